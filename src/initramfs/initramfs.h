/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "kernel/kernel.h"
#include "util/hash.h"

/* The builtin initramfs generator: a cpio "newc" archive written as a stream
 * through a compressor into a temp file beside the output, no process spawned.
 *
 * Layout of the image (paths without a leading '/' in the archive, sorted
 * component by component, parents before children, uid/gid 0, mtime
 * SOURCE_DATE_EPOCH when set else 0; two runs on the same inputs give the same
 * bytes):
 *
 *   init                                   the init program (request.init_binary)
 *   dev/ dev/console (char 5:1, 0600)      proc/ sys/ run/ root/
 *   etc/initrd-release                     the root's os-release, plus
 *                                          VARIANT_ID=initrd when it has none:
 *                                          its presence says "this is an initrd"
 *   lib/firmware/NAME[.xz|.zst]            the firmware of the included modules
 *                                          (modinfo "firmware"), as found under the
 *                                          root's /usr/lib/firmware (compressed
 *                                          variants stored as they are)
 *   lib/modules/KVER/PATH.ko               every included module at its path under
 *                                          the kernel's modules dir, DECOMPRESSED
 *                                          (a .ko.xz/.ko.zst/.ko.gz is stored as .ko):
 *                                          finit_module() on it is all it takes
 *   lib/modules/KVER/modules.load          the modules to load at boot, one PATH.ko
 *                                          (relative to lib/modules/KVER) a line, in
 *                                          load order: load them one after the other
 *   lib/modules/KVER/modules.alias-initramfs   see below
 *
 * When the root has /usr/lib/firmware/intel-ucode/ or amd-ucode/ (and the
 * kernel is x86 with CONFIG_MICROCODE, or its config is unknown), an
 * uncompressed cpio comes first with kernel/x86/microcode/GenuineIntel.bin (all
 * intel-ucode files concatenated, in name order) and AuthenticAMD.bin (all
 * amd-ucode/ *.bin concatenated), padded to 512 bytes; the compressed archive
 * follows it.
 *
 * modules.alias-initramfs, for loading drivers on demand (coldplug: match each
 * modalias file under /sys/devices against the aliases; and "fs-TYPE" before mounting a
 * file system of TYPE). Text, lines end in '\n', fields are separated by one
 * space, no field contains a space; lines starting with '#' are comments.
 * Two kinds of lines, all "module" lines first:
 *
 *   module NAME PATH [DEP...]
 *        NAME   the module's name as the kernel knows it ("virtio_blk", '_' not '-')
 *        PATH   its file relative to lib/modules/KVER ("kernel/drivers/block/virtio_blk.ko")
 *        DEP    the PATHs of everything that must be loaded before it: its hard
 *               dependencies and soft "pre:" dependencies, transitively, already
 *               in load order. To load NAME: finit_module() each DEP in order
 *               (EEXIST: already loaded, go on), then PATH.
 *   alias GLOB PATH
 *        GLOB   one of the module's aliases, an fnmatch(3) pattern without flags
 *               ("pci:v00001AF4d00001001sv*sd*bc*sc*i*", "fs-ext4", "crypto-crc32c")
 *        PATH   a PATH of a "module" line: load it as that line says.
 *
 * The module lines come in load order (a module's dependencies before it), the
 * alias lines in the order of their modules, each module's aliases in modinfo
 * order. A module built into the kernel has no line: no match for "fs-TYPE"
 * means the file system is built in (or absent), just mount. */

enum initramfs_codec {
        INITRAMFS_CODEC_NONE,
        INITRAMFS_CODEC_ZSTD,
        INITRAMFS_CODEC_XZ,
        INITRAMFS_CODEC_GZIP,
        INITRAMFS_CODEC_LZ4,
        _INITRAMFS_CODEC_MAX,
};
#define INITRAMFS_CODEC_DEFAULT INITRAMFS_CODEC_ZSTD

/* "none", "zstd", "xz", "gzip", "lz4"; NULL when out of range. */
const char *initramfs_codec_to_string(enum initramfs_codec c);
/* Also accepts "gz". -EINVAL when unknown. */
int initramfs_codec_from_string(const char *s);
/* Parses "CODEC" or "CODEC:LEVEL" (the config's initramfs-compress value);
 * *ret_level is 0 (the codec's default) without ":LEVEL". -EINVAL with a
 * message for an unknown codec or a level out of the codec's range. */
int initramfs_compress_parse(const char *s, enum initramfs_codec *ret_codec, int *ret_level);
/* The level actually used: level, or the codec's default when level is 0
 * (zstd 3, xz 6, gzip 6, lz4 1, none 0). */
int initramfs_codec_level(enum initramfs_codec c, int level);
/* Whether kernel kver (config kc) can unpack an initramfs compressed with c:
 * checks CONFIG_RD_ZSTD/RD_XZ/RD_GZIP/RD_LZ4. Returns 0 when it can (always for
 * none, and when kc is NULL: unknown config), else logs
 * "kernel 'KVER' cannot decompress a zstd initramfs (CONFIG_RD_ZSTD is not set)"
 * and returns -EOPNOTSUPP. */
int initramfs_compress_supported(const struct kconfig *kc, const char *kver, enum initramfs_codec c);

/* The generic module set: storage, USB storage, common file systems, device
 * mapper; NULL-terminated. Names absent from a kernel or built into it are
 * skipped silently. */
extern const char *const initramfs_generic_modules[];

struct initramfs_request {
        const struct root *root;
        const struct kernel *kernel;
        /* Modules to include with all they depend on (hard and soft pre/post
         * dependencies), by name or alias. Built-in ones are skipped; an unknown
         * one is an error naming it and the kernel. */
        char *const *modules;
        /* Same, but an unknown one is a warning ("..., skipping"). */
        char *const *optional_modules;
        /* Add initramfs_generic_modules (unknown ones skipped without a word). */
        bool generic;
        /* Add the modules the running system needs for its root file system
         * (initramfs_hostonly_modules()); only valid when root->path is "/"
         * (-EINVAL otherwise). Unknown ones are skipped without a word. */
        bool hostonly;
        /* Modules loaded unconditionally at boot (modules.load), by name or
         * alias, with their dependencies; included too. Unknown: an error. */
        char *const *load;
        enum initramfs_codec codec;
        int level;              /* 0: the codec's default */
        /* Root-relative file to write, e.g. "/boot/initrd.img-KVER": written to
         * a temp file beside it and renamed over it only on success (a failure
         * leaves the previous file untouched). Mode 0600. */
        const char *output;
        /* Host path of the program to store as /init; NULL: no /init. */
        const char *init_binary;
};

/* Generates the image of req->kernel. Checks first that the kernel can
 * decompress the codec. The archive is streamed and no process is spawned:
 * memory use does not grow with the module set (the compressor's buffers, at
 * most 16 MiB for lz4's 8 MiB blocks and about 40 MiB for zstd with 8 workers,
 * plus libkmod holding the largest module decompressed while reading its
 * modinfo). Returns 0, or a negative errno after logging what failed. */
int initramfs_builtin_generate(const struct initramfs_request *req);

/* A key over everything the image made from req depends on, cheap to compute
 * (stats, no file contents, no decompression): the format version, kernel
 * version, codec and resolved level, SOURCE_DATE_EPOCH, the request's lists and
 * flags (and the host-only module list), the module closure with each module
 * file's stat identity (size, mtime, inode), the kmod index files and the
 * root's modprobe.d files, the mtimes of every directory under the firmware
 * directory (a firmware file added, removed or replaced changes its directory),
 * the os-release and the init binary's stat identity. Same key: regenerating
 * would give the same bytes. Errors as for initramfs_builtin_generate() when
 * the module set cannot be resolved. */
int initramfs_builtin_inputs_key(const struct initramfs_request *req, char ret_hex[HASH_HEX_LEN]);

/* Host-only detection: the modules the running system needs to reach its root
 * file system. Finds the source and type of "/" in /proc/self/mountinfo, then
 * walks /sys/dev/block/MAJ:MIN and its ancestors (and the slaves of a
 * device-mapper or md device) collecting each device's driver module
 * (driver/module) and modalias, plus dm_mod/dm_crypt/raid personalities and
 * "fs-TYPE" for the file system. *ret is a NULL-terminated list of names and
 * aliases, in discovery order, without duplicates, for
 * initramfs_request.optional_modules or hostonly. -EINVAL unless root->path
 * is "/" (a sandbox root says nothing about the host's hardware). */
int initramfs_hostonly_modules(const struct root *root, char ***ret);
/* The same from a given mountinfo file and sysfs directory (for tests). */
int initramfs_hostonly_modules_at(const char *mountinfo, const char *sysfs, char ***ret);
