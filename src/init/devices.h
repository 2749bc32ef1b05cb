/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The block devices the kernel has shown so far (/sys/class/block), each
 * probed once for its file system and, for partitions, the partition's GPT
 * GUID and name or its MBR PARTUUID. Fixed-size: no allocation. */
#include <stdbool.h>
#include <stddef.h>

#include "init/cmdline.h"
#include "init/probe.h"

#define BLOCKDEVS_MAX 128

struct blockdev {
        char name[64];      /* sysfs name: "vda1" ("!" stands for "/") */
        unsigned major, minor;
        unsigned partno;    /* 0 for a whole disk */
        char parent[64];    /* the disk of a partition */
        bool probed;
        struct probe_fs fs;
        char partuuid[40];
        char partlabel[112];
};

struct blockdevs {
        struct blockdev dev[BLOCKDEVS_MAX];
        size_t n;
        bool full_warned;
};

/* Add the block devices that appeared since the last call and probe them.
 * Devices of size 0 (no medium yet) are looked at again next time. */
void blockdevs_scan(struct blockdevs *b);

/* The device root= names, or NULL. For ROOT_PATH, the path must exist as a
 * block device node; it is then looked up by device number. *ret_dupes is
 * set to the number of other devices that match as well. */
const struct blockdev *blockdevs_find(const struct blockdevs *b, const struct root_spec *spec, unsigned *ret_dupes);

/* "vda (ext4 UUID=... LABEL=...), vda1 (PARTUUID=...), vdb (no file system)"
 * or "no block devices", truncated with "..." to fit size. */
void blockdevs_describe(const struct blockdevs *b, char *buf, size_t size);

/* The device node of d: /dev/NAME, made with mknod() if devtmpfs has none.
 * Returns 0 or -errno. */
int blockdev_node(const struct blockdev *d, char *path, size_t size);

/* Does the device match the spec (UUID, LABEL, PARTUUID, PARTLABEL, devnum)? */
bool blockdev_matches(const struct blockdev *d, const struct root_spec *spec);
