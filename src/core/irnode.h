/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/config.h"
#include "core/explain.h"
#include "core/plan.h"

/* The initramfs node of one kernel: initramfs(K) depends on the kernel, on the
 * installed modules of every package the initramfs carries (REMAKE_INITRD=yes
 * or named in initramfs-packages) and on the initramfs configuration. Its key
 * covers exactly those, so rebuilding a package the initramfs does not carry
 * regenerates nothing. */

#define INITRAMFS_OWNER "(initramfs)" /* the package name of its row in the files table */

struct irnode {
        struct kernel *kernel;
        const struct config *cfg;
        char key[HASH_HEX_LEN];
        char *output;       /* root-relative: /boot/initrd.img-KVER */
        char *tmp;          /* root-relative temp beside it */
        char *log;          /* root-relative log */
        char **modules;     /* modules of the carried packages installed for this kernel */
        bool force;
        const char *cmdline; /* the kernel command line, which a UEFI executable embeds (NULL: none) */
        bool uefi;          /* the generator produced a UEFI executable (dracut uefi=yes) */
        enum { IR_SKIPPED, IR_CURRENT, IR_BUILT, IR_FAILED } result;
        char *message;
        double seconds;
        struct inputs inputs;   /* its inputs one by one (after irnode_prepare) */
        struct reasons reasons; /* why it is regenerated, when it is */
};

void irnode_done(struct irnode *n);
/* Names of the packages the initramfs carries according to the plan and config. */
bool irnode_carries(const struct plan *p, const struct config *cfg, const char *name);
/* Computes the node's inputs (after the kernel's modules are installed) and its
 * key; returns 1 when it must be regenerated, 0 when it is current. */
int irnode_prepare(struct irnode *n, const struct root *root, struct state *st, const struct plan *p);
/* The node name of its recorded inputs: "initramfs:KVER". */
char *irnode_node_name(const char *kver);
/* Generates into n->tmp; runs in a child process. Returns 0 or -errno. */
int irnode_generate(const struct irnode *n, const struct root *root);
/* Publishes n->tmp as n->output and records it; or drops the temp on failure. */
int irnode_commit(struct irnode *n, const struct root *root, struct state *st);
void irnode_abort(struct irnode *n, const struct root *root);
/* The recorded state of a kernel's initramfs: its key, or NULL. */
char *irnode_recorded_key(struct state *st, const char *kver);
/* Host path of the builtin generator's /init program. */
char *irnode_init_binary(void);
/* The last line of the node's log (the generator's last word), or NULL. */
char *irnode_log_tail(const struct irnode *n, const struct root *root);
