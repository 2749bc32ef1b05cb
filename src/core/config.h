/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/fs.h"

/* ROOT/etc/distkernel/distkernel.conf: "key = value" lines, '#' comments.
 * Unknown keys are warned about and ignored (a newer config on an older
 * distkernel still works); a malformed line is an error naming file and line. */
#define CONFIG_PATH "/etc/distkernel/distkernel.conf"

enum initramfs_generator {
        INITRAMFS_BUILTIN,
        INITRAMFS_DRACUT,
        INITRAMFS_INITRAMFS_TOOLS,
        INITRAMFS_NONE,
        _INITRAMFS_GENERATOR_MAX,
};
const char *initramfs_generator_to_string(enum initramfs_generator g);

struct config {
        unsigned jobs;   /* jobs = N (0: number of CPUs) */
        char *build_cc;  /* build-cc = COMMAND, e.g. "ccache gcc" */
        enum initramfs_generator initramfs;  /* initramfs = builtin|dracut|initramfs-tools|none */
        char **initramfs_packages;  /* initramfs-packages = NAME... (besides REMAKE_INITRD=yes ones) */
        char **initramfs_modules;   /* initramfs-modules = NAME... added to the module set */
        char *initramfs_compress;   /* initramfs-compress = zstd|xz|gzip|lz4|none[:LEVEL] */
        bool initramfs_hostonly;    /* initramfs-hostonly = yes|no (only when the root is /) */
};

void config_done(struct config *c);
/* Parses text (from path, for messages). */
int config_parse(const char *path, const char *text, struct config *ret);
/* Loads the root's configuration; a missing file gives the defaults. */
int config_load(const struct root *root, struct config *ret);
