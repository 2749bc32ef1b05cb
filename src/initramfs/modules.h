/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "kernel/kernel.h"

/* The module set of an initramfs: the closure of the requested names and
 * aliases with libkmod on the kernel's modules dir (kmod_new(ROOT/MODULES_DIR)
 * with the root's modprobe.d directories as configuration), in load order,
 * the way modprobe orders them: for each module its hard dependencies
 * (modules.dep), then its soft "pre:" dependencies, then itself, then its soft
 * "post:" dependencies. Built-in modules (modules.builtin) are skipped. */

struct ir_module {
        char *name;             /* the kernel's name: "virtio_blk" */
        char *path;             /* relative to the modules dir, as installed: "kernel/.../virtio_blk.ko.xz" */
        char *image_path;       /* path without the compression suffix: "kernel/.../virtio_blk.ko" */
        enum module_compress compress;
        char **aliases;         /* modinfo "alias" values (only with MODSET_INFO) */
        char **firmware;        /* modinfo "firmware" values (only with MODSET_INFO) */
        size_t *before;         /* indices of its hard and soft pre dependencies */
        size_t n_before;
        size_t *after;          /* indices of its soft post dependencies */
        size_t n_after;
        bool load;              /* loaded unconditionally at boot (modules.load) */
};

struct ir_modset {
        const struct root *root;
        const struct kernel *kernel;
        struct kmod_ctx *ctx;
        char *dir;              /* host path of the kernel's modules dir */
        bool info;              /* read modinfo (aliases, firmware) */
        struct ir_module *modules; /* in load order */
        size_t n, alloc;
        char **visiting;        /* names being visited (breaks soft dependency cycles) */
};

enum modset_flags {
        MODSET_INFO = 1u << 0,  /* read each module's modinfo (aliases, firmware) */
};

/* How modset_add() treats a name this kernel has no module for. */
enum modset_missing {
        MODSET_REQUIRED,        /* error "module 'X' not found for kernel 'KVER'" */
        MODSET_WARN,            /* warning "..., skipping" */
        MODSET_QUIET,           /* debug message only */
};

int modset_new(const struct root *root, const struct kernel *k, unsigned flags, struct ir_modset **ret);
struct ir_modset *modset_free(struct ir_modset *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ir_modset *, modset_free)
#define _cleanup_modset_ _cleanup_(modset_freep)

/* Adds the modules name (a module name or an alias, as modprobe takes it)
 * resolves to, with their dependencies. With load, they and what they need are
 * marked to be loaded at boot. A name that resolves only to built-in modules is
 * fine (nothing added). */
int modset_add(struct ir_modset *s, const char *name, enum modset_missing missing, bool load);
/* Everything module i needs loaded before it (hard and pre dependencies,
 * transitively), as indices in load order; *ret NULL when none. */
int modset_deps(const struct ir_modset *s, size_t i, size_t **ret, size_t *ret_n);
/* The firmware of all modules found in the root: paths relative to the
 * firmware directory (*ret_base, root-relative: /usr/lib/firmware, else
 * /lib/firmware), for each modinfo name the first of NAME, NAME.zst, NAME.xz
 * that is a file there, sorted and without duplicates. Missing ones are
 * reported at debug level (much firmware is optional). */
int modset_firmware(const struct ir_modset *s, char **ret_base, char ***ret);
/* The root's firmware directory (root-relative), NULL when neither exists. */
const char *modset_firmware_dir(const struct root *root);
