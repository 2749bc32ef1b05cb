/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "boot/env.h"
#include "core/plan.h"
#include "core/state.h"
#include "core/sync.h"

/* The boot stage of sync: for every kernel whose required nodes succeeded, the
 * boot entry of its layout is built and installed, and the newest such kernel
 * becomes the default.
 *
 *  uki     $BOOT/EFI/Linux/TOKEN-KVER.efi, assembled from the stub, the kernel,
 *          its initramfs, the command line and os-release (or the generator's
 *          own UEFI executable when dracut made one), signed when configured.
 *  bls     $BOOT/TOKEN/KVER/linux and initrd, $BOOT/loader/entries/TOKEN-KVER.conf.
 *  legacy  /boot/vmlinuz-KVER (copied when the kernel lives elsewhere) beside its
 *          initramfs, and the links vmlinuz, initrd.img (the default) and
 *          vmlinuz.old, initrd.img.old (the previous default).
 *
 * A kernel is held back when a required package failed or was not built for it
 * (packages in optional-packages do not count) or its initramfs failed: its
 * entry is not installed, the default stays where it is, and its status says
 * why. Each entry is a node with a key over all its inputs (kernel image,
 * initramfs, command line, os-release, stub, splash, devicetree, layout, token,
 * signing certificate), recorded in the state (meta boot:KVER:key) with its
 * files (owner BOOT_OWNER); a current entry is not rewritten. Files are staged
 * as temps beside their targets, fsynced and renamed; the file system is
 * synced; free space is checked first. The previous default's files are never
 * touched while another kernel is installed. */

#define BOOT_OWNER "(boot)"
#define BOOT_STAGE_DIR "/var/lib/distkernel/stage"

enum boot_node_result {
        BOOT_NONE,       /* not looked at (not in this sync) */
        BOOT_CURRENT,    /* installed and up to date */
        BOOT_INSTALLED,  /* (re)installed now */
        BOOT_HELD,       /* held back: a required node failed */
        BOOT_FAILED,     /* building or installing the entry failed */
        BOOT_RETIRED,    /* its entry was removed to make room (esp-auto-gc) */
};
const char *boot_node_result_to_string(enum boot_node_result r);

struct boot_node {
        const struct kernel *kernel;
        char key[HASH_HEX_LEN];
        enum boot_node_result result;
        bool forced;         /* installed although held back (--force) */
        char *message;       /* why held back or failed */
        char *entry;         /* root-relative path of the main installed file */
        struct reasons reasons; /* why it is (or, dry run, would be) installed again */
};

struct boot_options {
        bool force;          /* install held-back kernels too */
        bool rebuild;        /* rewrite entries even when current */
        const char *only;    /* only this kernel (others keep their state) */
        bool uki_only;       /* `uki KVER`: the layout must be uki */
        bool dry_run;        /* only explain which entries would be installed (reasons), change nothing */
};

struct boot_report {
        struct boot_node *nodes;
        size_t n_nodes;
        char *default_kver;       /* after this run, NULL if none */
        char *previous_default;   /* NULL if none */
        bool changed;             /* entries or the default changed */
        char **changed_kvers;
};
void boot_report_done(struct boot_report *r);

/* Runs the boot stage for the kernels of the plan, after sync_run(): res holds
 * their initramfs nodes. Returns 0 when every kernel is installed or current,
 * 1 when some were held back or failed, -errno when the stage stopped. */
int boot_run(const struct root *root, struct state *st, const struct config *cfg, const struct boot_env *env,
             const struct plan *p, const struct sync_result *res, const struct boot_options *o,
             struct boot_report *ret);

/* The recorded default and previous default kernels (NULL when none). */
char *boot_default(struct state *st);
char *boot_previous_default(struct state *st);
/* The recorded boot status of kver: NULL (never looked at), "installed", or
 * "held: REASON" / "failed: REASON". */
char *boot_status(struct state *st, const char *kver);

/* Whether kver's boot entry is installed (its key is recorded): only such a
 * kernel can be the default. */
bool boot_entry_recorded(struct state *st, const char *kver);

/* Kernel pins (never removed by gc). */
int boot_pin(struct state *st, const char *kver, bool pin);
bool boot_pinned(struct state *st, const char *kver);

/* Retention (gc): of the registered kernels, newest first, the first `keep`
 * stay; beyond them a kernel stays when it is the running kernel (root "/"),
 * the default, the previous default or pinned. For the others everything
 * distkernel made is removed: boot entries and UKIs, kernel and initramfs
 * copies, built and installed modules (depmod runs again), build dirs, logs and
 * state rows; the kernel is then left "ignored" so that sync does not rebuild
 * it. A packaged kernel's own files (image, modules) belong to the package
 * manager and stay; gc says so. */
struct gc_report {
        char **removed;   /* kernels whose artifacts were removed */
        char **kept;      /* "KVER: why" for kernels beyond keep that stay */
        uint64_t freed;   /* bytes */
};
void gc_report_done(struct gc_report *r);
#define GC_PENDING_KEY "boot:gc-pending"
int boot_gc(const struct root *root, struct state *st, const struct config *cfg, bool dry_run,
            struct gc_report *ret);
/* Whether a promotion changed the default and gc has not completed since (a
 * sync was interrupted): the next sync runs it. boot_gc() clears it. */
bool boot_gc_pending(struct state *st);
/* Why gc must keep kver (the running kernel, the default, the previous
 * default, pinned), or NULL. */
char *boot_protected_reason(const struct root *root, struct state *st, const char *kver);
/* Removes kver's boot entry only (it is no longer bootable; its modules and
 * initramfs stay), adding the bytes freed. */
int boot_remove_entry(const struct root *root, struct state *st, const char *kver, const char *why,
                      uint64_t *freed);
/* Removes what distkernel installed for kver's boot entry and initramfs, and
 * the rows recording them; returns the bytes freed. */
int boot_remove_kernel_files(const struct root *root, struct state *st, const char *kver, uint64_t *freed);
