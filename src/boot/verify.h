/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/config.h"
#include "core/state.h"

/* Checking what distkernel installed against what the state recorded
 * (`distkernel verify`). Nothing is written and nothing is repaired: sync
 * does that. The checks:
 *
 *  - every recorded file exists, is a regular file and has the recorded
 *    content (stat identity first, SHA-256 when that changed; with
 *    VERIFY_FULL the SHA-256 of every file, whatever its stat identity says:
 *    a file changed in place behind a restored mtime, or bad sectors, show);
 *  - with secureboot-cert configured, the boot images distkernel installed
 *    (UKIs, "*.efi"; kernel copies, "linux" and "vmlinuz-*") carry a valid
 *    Authenticode signature by it;
 *  - with module-sign-cert configured, every module a package installed
 *    carries a valid signature by it (checked decompressed);
 *  - each BLS entry distkernel installed refers (linux, initrd, efi,
 *    devicetree) to files that exist, inside its $BOOT;
 *  - the default kernel is complete: registered, its entry recorded and
 *    intact, its boot status "installed".
 *
 * Certificates are read alone: the private keys need not be readable. The
 * entries are read with boot/bls.h. */

enum verify_problem {
        VERIFY_MISSING,            /* a recorded file is gone */
        VERIFY_NOT_REGULAR,        /* it is no longer a regular file */
        VERIFY_MODIFIED,           /* its content is not the recorded one */
        VERIFY_UNSIGNED,           /* it carries no signature, one is configured */
        VERIFY_BAD_SIGNATURE,      /* its signature is not by the certificate, or does not match */
        VERIFY_BROKEN_ENTRY,       /* a BLS entry refers to a missing file, or out of its $BOOT */
        VERIFY_NO_DEFAULT,         /* kernels are registered but none is the default */
        VERIFY_DEFAULT_INCOMPLETE, /* the default kernel's entry is not installed and intact */
        _VERIFY_PROBLEM_MAX,
};
const char *verify_problem_to_string(enum verify_problem p);

struct verify_finding {
        enum verify_problem problem;
        char *path;     /* root-relative; NULL for a problem of a kernel as a whole */
        char *kver;     /* NULL when about no one kernel */
        char *owner;    /* the recorded owner (package name, "(boot)", "(initramfs)"), or NULL */
        char *version;  /* the owner's version (for "(boot)", the layout), or NULL */
        char *detail;   /* why, or NULL */
};

struct verify_report {
        struct verify_finding *findings;
        size_t n_findings;
        size_t n_files;       /* recorded files checked */
        size_t n_hashed;      /* of them, read and hashed whole */
        char *default_kver;   /* the recorded default, NULL if none */
};
void verify_report_done(struct verify_report *r);

enum verify_flags {
        VERIFY_FULL = 1u << 0, /* hash every file: no stat identity shortcut */
};

/* Runs every check above on the root's state st. Returns 0 and the report
 * (empty findings: everything matches), or -errno when the checks could not
 * run (the state cannot be read, a configured certificate does not load;
 * reported). The problems found are findings, not logged. */
int verify_run(const struct root *root, struct state *st, const struct config *cfg, enum verify_flags flags,
               struct verify_report *ret);
