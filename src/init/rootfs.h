/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Mounting the root file system and handing over to it. */
#include <stdbool.h>
#include <stddef.h>

#include "init/cmdline.h"
#include "init/modules.h"

#define SYSROOT "/sysroot"

/* Mount dev on SYSROOT with the command line's rootfstype=, rootflags= and
 * ro/rw. Without rootfstype= it tries the type found in the superblock
 * (detected, may be "") and then every block file system the kernel knows.
 * A type the kernel does not know gets its "fs-TYPE" module loaded first.
 * Returns 0 with the type used in ret_type, or -errno (reported). */
int rootfs_mount(const struct init_cmdline *c, const char *dev, const char *detected, struct modload *m,
                 char *ret_type, size_t type_size);

/* Find the init to run in the mounted root: init= if given, else the
 * kernel's list (/sbin/init, /etc/init, /bin/init, /bin/sh). Symlinks are
 * resolved inside the new root. Returns 0 with the path in ret, or -ENOENT
 * (reported). */
int rootfs_find_init(const struct init_cmdline *c, char *ret, size_t size);

/* Move /dev, /proc, /sys and /run into SYSROOT, make SYSROOT the root
 * (mount --move + chroot), and delete what the initramfs held (without
 * crossing into other file systems, and only if / was a ramfs or tmpfs).
 * Returns 0 or -errno (reported); on failure the old root may be half
 * dismantled, so the caller can only stop. */
int rootfs_switch(void);

/* Start /bin/sh on the console if the initramfs has one and wait for it.
 * Returns false (and starts nothing) when there is no shell. */
bool rootfs_shell(const char *why);

/* Stop for good: a shell if there is one (then return, so the caller can try
 * again), else power off after delay_s seconds (never returns). */
void rootfs_emergency(unsigned delay_s);
