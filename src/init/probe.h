/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Recognising file systems and partition tables from the bytes at the start
 * of a block device. Pure: every function takes a buffer and its length and
 * never reads past it; a short buffer is just "not recognised". */
#include <stddef.h>
#include <stdint.h>

/* How much of a device probe_filesystem() wants to see: btrfs keeps its
 * superblock at 64 KiB. */
#define PROBE_READ_SIZE (0x10000 + 0x1000)

struct probe_fs {
        char type[16];  /* "ext2", "ext3", "ext4", "xfs", "btrfs", "vfat"; "" when not recognised */
        char uuid[40];  /* as blkid prints it: lower-case 8-4-4-4-12, or XXXX-XXXX for vfat */
        char label[96];
};

/* Recognise the file system whose first len bytes are buf. Returns 1 and
 * fills *ret when recognised, 0 otherwise (*ret is then zeroed). */
int probe_filesystem(const uint8_t *buf, size_t len, struct probe_fs *ret);

struct gpt_header {
        uint64_t entries_lba;
        uint32_t n_entries;
        uint32_t entry_size;
        char disk_guid[37];
};

/* Parse a GPT header (the sector at LBA 1; len at least its header size).
 * Checks the signature, the sizes and the header's CRC32. Returns 0, or
 * -EBADMSG when it is not a valid GPT header. */
int gpt_parse_header(const uint8_t *buf, size_t len, struct gpt_header *ret);

/* Parse one GPT partition entry of len (>= 128) bytes. Returns 0 with the
 * partition's unique GUID (lower case) in partuuid and its name, converted
 * from UTF-16LE to UTF-8, in partlabel (truncated to label_size - 1); -ENOENT
 * for an unused entry; -EBADMSG if len is too short. */
int gpt_parse_entry(const uint8_t *buf, size_t len, char partuuid[37], char *partlabel, size_t label_size);

enum mbr_kind {
        MBR_NONE,       /* no 0x55AA boot signature */
        MBR_DOS,        /* a DOS partition table */
        MBR_PROTECTIVE, /* the protective MBR of a GPT disk */
};

/* Look at the first sector (len >= 512). For MBR_DOS, *ret_signature is the
 * disk signature that PARTUUID=SSSSSSSS-NN refers to. */
enum mbr_kind mbr_parse(const uint8_t *buf, size_t len, uint32_t *ret_signature);

/* Format a GPT GUID (mixed endian, as stored on disk) in lower case. */
void guid_format(const uint8_t g[16], char out[37]);

/* The CRC32 of GPT (and zlib). */
uint32_t probe_crc32(uint32_t crc, const uint8_t *buf, size_t len);
