/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "kernel/kernel.h"

/* The external initramfs generators: the real dracut and initramfs-tools'
 * mkinitramfs, run for one kernel of the root. When the root is not "/", they
 * run in a private mount namespace in which the root's modules directory,
 * /boot (for config-KVER) and firmware are bind-mounted where the tools look
 * for them, so they package the root's kernel with the host's tools. */

enum external_generator {
        GENERATOR_DRACUT,
        GENERATOR_INITRAMFS_TOOLS,
};

struct external_request {
        const struct root *root;
        const struct kernel *kernel;
        enum external_generator generator;
        char **add_modules;     /* modules of the carried packages (names) */
        bool hostonly;          /* dracut --hostonly; generic otherwise */
        const char *output;     /* root-relative file to write (a temp; the caller renames it) */
        int log_fd;             /* the tool's output */
        const char *uefi_stub;  /* host path of the EFI stub, for dracut's uefi=yes */
        const char *uefi_cmdline; /* the command line its UEFI executable embeds, or NULL */
};

/* Runs the generator and waits for it. Meant to run in a child process of its
 * own (it unshares the mount namespace). Returns 0 or a negative errno /
 * -EPROTO when the tool failed (its output is in the log). */
int external_generate(const struct external_request *req);

/* Whether the root's dracut configuration asks for a UEFI executable (uefi=yes
 * in dracut.conf or dracut.conf.d/\*.conf). */
bool external_dracut_wants_uefi(const struct root *root);
/* Whether the file starts like a PE image ("MZ"). */
bool external_is_pe(int rootfd, const char *path);
/* The systemd EFI stub for this architecture, NULL when not installed. */
char *external_find_efi_stub(const struct root *root);
