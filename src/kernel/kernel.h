/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/fs.h"

/* Installed kernels: ROOT/usr/lib/modules/KVER/ with an image either at
 * ROOT/usr/lib/modules/KVER/vmlinuz (kernel-install layout) or ROOT/boot/vmlinuz-KVER
 * (Debian, Gentoo). A modules directory without an image is leftovers, not a kernel. */

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
        char *image;      /* root-relative, e.g. "/boot/vmlinuz-6.1.0-50-amd64" */
        char *build_dir;  /* host path of the headers (the resolved `build` link); NULL without headers */
        char *config_path;/* host path of the .config used (headers' .config, else /boot/config-KVER,
                           * else modules dir `config`); NULL if none */
        struct kconfig *config; /* NULL if no config found */
        enum module_compress compress; /* how the kernel's own modules are compressed */
};

struct kernel *kernel_free(struct kernel *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kernel *, kernel_free)
#define _cleanup_kernel_ _cleanup_(kernel_freep)
void kernel_list_free(struct kernel **l, size_t n);

/* Loads one kernel; -ENOENT when KVER is not an installed kernel (no modules
 * dir or no image), -EINVAL for an invalid KVER. Never fails for missing headers. */
int kernel_load(const struct root *root, const char *kver, struct kernel **ret);
/* All installed kernels, newest first (kver_compare). Leftover dirs are skipped. */
int kernel_discover(const struct root *root, struct kernel ***ret, size_t *ret_n);

/* Resolves ROOT/usr/lib/modules/KVER/build: inside the root when the target
 * exists there, else (the one deliberate exception) an absolute target is taken
 * as a host path, as Debian's link to /usr/src/linux-headers-KVER is when the root
 * is a sandbox. Returns -ENOENT when there are no headers. */
int kernel_resolve_build_dir(const struct root *root, const char *kver, char **ret_host_path);

/* .config handling */
int kconfig_parse(const char *text, size_t len, struct kconfig **ret);
int kconfig_load_file(const char *host_path, struct kconfig **ret);
struct kconfig *kconfig_free(struct kconfig *c);
/* Value of CONFIG_NAME ("y", "m", a number, or a string with its quotes), or NULL
 * when unset ("# CONFIG_X is not set" or absent). name may be given with or
 * without the CONFIG_ prefix. */
const char *kconfig_get(const struct kconfig *c, const char *name);
/* The kernel's module compression according to its config. */
enum module_compress kconfig_module_compress(const struct kconfig *c);
