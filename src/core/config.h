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

enum boot_layout {
        LAYOUT_AUTO,
        LAYOUT_UKI,
        LAYOUT_BLS,
        LAYOUT_LEGACY,
        _LAYOUT_MAX,
};
const char *boot_layout_to_string(enum boot_layout l);

enum legacy_names {
        LEGACY_NAMES_DEBIAN,  /* vmlinuz-KVER, initrd.img-KVER */
        LEGACY_NAMES_FEDORA,  /* vmlinuz-KVER, initramfs-KVER.img (Fedora, Gentoo's installkernel) */
        _LEGACY_NAMES_MAX,
};

struct config {
        unsigned jobs;   /* jobs = N (0: number of CPUs) */
        char *build_cc;  /* build-cc = COMMAND, e.g. "ccache gcc" */
        char *build_user; /* build-user = NAME|root: who builds module packages (NULL: the default) */
        enum initramfs_generator initramfs;  /* initramfs = builtin|dracut|initramfs-tools|none */
        char **initramfs_packages;  /* initramfs-packages = NAME... (besides REMAKE_INITRD=yes ones) */
        char **initramfs_modules;   /* initramfs-modules = NAME... added to the module set */
        char *initramfs_compress;   /* initramfs-compress = zstd|xz|gzip|lz4|none[:LEVEL] */
        bool initramfs_hostonly;    /* initramfs-hostonly = yes|no (only when the root is /) */

        /* the boot stage */
        enum boot_layout layout;    /* layout = auto|uki|bls|legacy */
        enum legacy_names legacy_names; /* legacy-names = debian|fedora */
        char *boot;                 /* boot = auto|PATH: $BOOT (NULL: auto) */
        char *esp;                  /* esp = auto|PATH: the ESP (NULL: auto) */
        char *cmdline;              /* cmdline = ...: instead of /etc/kernel/cmdline */
        char *uki_stub;             /* uki-stub = PATH (host path) */
        char *uki_splash;           /* uki-splash = PATH (root-relative) */
        char *uki_dtb;              /* uki-dtb = PATH (root-relative) */
        unsigned keep;              /* keep = N installed kernels (at least 1; 0 here: the default, 3) */
        char **optional_packages;   /* optional-packages = NAME...: do not hold back the default */
        char *bootloader_hook;      /* bootloader-hook = COMMAND after a sync that changed entries */
        bool kernel_install;        /* kernel-install = yes: hand UKIs/kernels to kernel-install */
        bool esp_auto_gc;           /* esp-auto-gc = yes: free old UKIs when the ESP is full */
        char *secureboot_key;       /* secureboot-key = PATH (host path, PEM) */
        char *secureboot_cert;      /* secureboot-cert = PATH (host path, PEM) */
        char *module_sign_key;      /* module-sign-key = PATH */
        char *module_sign_cert;     /* module-sign-cert = PATH */

        /* kernel build */
        char *kernel_config;        /* kernel-config = PATH: base config of `kernel build` (host path) */
        char *kernel_localversion;  /* kernel-localversion = SUFFIX (default -dist) */
};

#define CONFIG_KEEP_DEFAULT 3u
static inline unsigned config_keep(const struct config *c) { return c->keep ? c->keep : CONFIG_KEEP_DEFAULT; }

void config_done(struct config *c);

/* Where the initramfs of kver is generated: in the legacy layout (and auto,
 * before it is resolved) /boot/initrd.img-KVER or /boot/initramfs-KVER.img
 * per legacy-names; in the uki and bls layouts, which copy it elsewhere or
 * embed it, CONFIG_INITRD_DIR/initrd.img-KVER. */
#define CONFIG_INITRD_DIR "/var/lib/distkernel/initramfs"
char *config_initrd_path(const struct config *c, const char *kver);
/* Parses text (from path, for messages). */
int config_parse(const char *path, const char *text, struct config *ret);
/* Loads the root's configuration; a missing file gives the defaults. */
int config_load(const struct root *root, struct config *ret);
