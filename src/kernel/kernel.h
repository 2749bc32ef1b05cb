/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/fs.h"

/* Installed kernels: ROOT/usr/lib/modules/KVER/ with an image either at
 * ROOT/usr/lib/modules/KVER/vmlinuz (kernel-install layout) or ROOT/boot/vmlinuz-KVER
 * (Debian, Gentoo). A modules directory without an image is leftovers, not a kernel.
 * In a root without merged /usr (ROOT/lib/modules a directory of its own, as when
 * packages are unpacked), ROOT/lib/modules/KVER counts as well; both are looked at,
 * the one with the kernel's own modules (modules.dep or kernel/) first. */

enum module_compress {
        MODULE_COMPRESS_NONE,
        MODULE_COMPRESS_GZIP,
        MODULE_COMPRESS_XZ,
        MODULE_COMPRESS_ZSTD,
        _MODULE_COMPRESS_MAX,
};
/* ".gz", ".xz", ".zst" or "" */
const char *module_compress_suffix(enum module_compress c);
const char *module_compress_to_string(enum module_compress c);

struct kconfig; /* a parsed kernel .config */

struct kernel {
        char *kver;
        char *modules_dir;/* root-relative, "/usr/lib/modules/KVER", or "/lib/modules/KVER" in a
                           * root whose /lib is not merged into /usr and that holds the kernel there */
        char *image;      /* root-relative, e.g. "/boot/vmlinuz-6.1.0-50-amd64" */
        char *build_dir;  /* host path of the headers (the resolved `build` link); NULL without headers */
        char *config_path;/* host path of the .config used (headers' .config, else /boot/config-KVER,
                           * else modules dir `config`); NULL if none */
        /* the config, parsed by kernel_config() on first use; read it only through that */
        struct kconfig *config;
        bool config_tried;
        int config_dirfd; /* config_rel is below it (the headers, or the root) */
        char *config_rel;
        enum module_compress compress; /* guessed from the modules; see kernel_compress() */
};

/* The kernel's config, read and parsed on first use (cached in k); NULL without
 * one, or when it cannot be read or has no CONFIG_ lines (a warning, once). */
const struct kconfig *kernel_config(const struct kernel *k);
/* How the kernel's own modules are compressed: as its config says, else as
 * its modules.dep (or a few of its modules) show. */
enum module_compress kernel_compress(const struct kernel *k);

struct kernel *kernel_free(struct kernel *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kernel *, kernel_free)
#define _cleanup_kernel_ _cleanup_(kernel_freep)
void kernel_list_free(struct kernel **l, size_t n);

/* Loads one kernel into *ret (free with kernel_free()); -ENOENT when KVER is not
 * an installed kernel (no modules dir or no image; not logged), -EINVAL for an
 * invalid KVER. Never fails for missing or dangling headers (build_dir NULL) nor
 * for a config that cannot be read (kernel_config() warns when it is first
 * used). Cheap: stats, one readlink, a peek at modules.dep; the config is read
 * only when kernel_config() or kernel_compress() needs it. */
int kernel_load(const struct root *root, const char *kver, struct kernel **ret);
/* All installed kernels, newest first (kver_compare), as an array of n kernels
 * (NULL when none) for kernel_list_free(). Leftover dirs are skipped (debug
 * message), directories with an invalid name too (a warning). A missing
 * ROOT/usr/lib/modules is no kernels, not an error. */
int kernel_discover(const struct root *root, struct kernel ***ret, size_t *ret_n);

/* Resolves ROOT/usr/lib/modules/KVER/build: inside the root when the target
 * exists there, else (the one deliberate exception) an absolute target is taken
 * as a host path, as Debian's link to /usr/src/linux-headers-KVER is when the root
 * is a sandbox. A relative target, or `..` in one, never leaves the root; `build`
 * may also be a directory. *ret_host_path (caller frees) is a host path: for an
 * in-root target where the kernel resolved it (symlinks followed inside the root),
 * else the absolute target as written. Returns -ENOENT when there are no headers
 * (no `build`, dangling, or not a directory), -EINVAL for an invalid KVER. */
int kernel_resolve_build_dir(const struct root *root, const char *kver, char **ret_host_path);

/* .config handling. kconfig_parse() reads lines "CONFIG_X=value" and
 * "# CONFIG_X is not set" (the later line wins for a name given twice) and ignores
 * everything else, so it fails only with -ENOMEM; text need not be NUL-terminated.
 * kconfig_load_file() reads a host path (at most 16 MiB), logging failures. */
int kconfig_parse(const char *text, size_t len, struct kconfig **ret);
int kconfig_load_file(const char *host_path, struct kconfig **ret);
struct kconfig *kconfig_free(struct kconfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kconfig *, kconfig_free)
#define _cleanup_kconfig_ _cleanup_(kconfig_freep)
/* Value of CONFIG_NAME ("y", "m", a number, or a string with its quotes), or NULL
 * when unset ("# CONFIG_X is not set" or absent). name may be given with or
 * without the CONFIG_ prefix. */
const char *kconfig_get(const struct kconfig *c, const char *name);
/* The kernel's module compression according to its config: the one of
 * CONFIG_MODULE_COMPRESS_{GZIP,XZ,ZSTD} that is y, NONE otherwise (and for NULL). */
enum module_compress kconfig_module_compress(const struct kconfig *c);
