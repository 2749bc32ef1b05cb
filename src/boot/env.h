/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/config.h"
#include "sign/key.h"

/* Where and how kernels are installed for booting: the layout, the EFI System
 * Partition and $BOOT (Boot Loader Specification), the entry token, and the
 * inputs every boot entry shares (command line, os-release, stub, keys).
 *
 * Discovery, as the Boot Loader Specification says: the ESP is the configured
 * `esp`, else the first of /efi, /boot, /boot/efi that is one. When the root is
 * the running system's "/", a candidate must be a mount point of a FAT file
 * system; in a sandbox root it is a directory holding EFI/. $BOOT is the
 * configured `boot`, else /boot when it is an XBOOTLDR (a FAT mount point or
 * a directory holding loader/entries that is not the ESP), else the ESP.
 *
 * layout = auto picks: what /etc/kernel/install.conf says (layout=uki|bls|other),
 * else uki when $BOOT/EFI/Linux exists, else bls when
 * $BOOT/loader/entries exists, else legacy. */
struct boot_env {
        enum boot_layout layout;  /* resolved, never LAYOUT_AUTO */
        char *esp;                /* root-relative, NULL when none was found */
        char *boot;               /* root-relative $BOOT, NULL when none */
        char *token;              /* the entry token */
        char *cmdline;            /* never NULL ("" when none is configured) */
        char *os_release;         /* contents, or NULL */
        char *os_release_path;    /* root-relative, or NULL */
        char *pretty_name;        /* PRETTY_NAME, else NAME, else "Linux" */
        char *sort_key;           /* IMAGE_ID, else ID, else "linux" */
        char *machine_id;         /* NULL when the root has none */
        char *stub;               /* host path of the EFI stub, NULL when none */
        struct sign_key *sbkey;   /* Secure Boot key, or NULL */
        char sb_fingerprint[65];  /* "" without a key */
};

void boot_env_done(struct boot_env *e);
/* Resolves everything above. Errors (reported with the file): a configured
 * esp/boot that does not exist, layout uki or bls without an ESP/$BOOT, uki
 * without a stub, Secure Boot keys that do not load. */
int boot_env_load(const struct root *root, const struct config *cfg, struct boot_env *ret);

/* The kernel command line from the text of /etc/kernel/cmdline (or, with
 * from_proc, /proc/cmdline, whose BOOT_IMAGE= and initrd= words the boot
 * loader added are dropped): its words, separated by any white space over any
 * number of lines, joined by single spaces. Pure; path is for messages. A NUL
 * byte among the len bytes of text is an error (-EBADMSG). */
#define BOOT_CMDLINE_BLANKS " \t\n\r\v\f"
int boot_cmdline_from_text(const char *path, const char *text, size_t len, bool from_proc, char **ret);

/* Whether t may be the entry token (from /etc/kernel/entry-token, the
 * machine ID or os-release's ID), which names directories and files: 1 to 64
 * of [A-Za-z0-9._-], not "." or "..". */
bool boot_token_valid(const char *t);

/* The root-relative path of kernel KVER's image in the legacy layout,
 * /boot/vmlinuz-KVER (its initramfs: config_initrd_path()). */
char *boot_legacy_kernel_path(const char *kver);
