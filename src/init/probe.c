/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "init/probe.h"

static uint16_t le16(const uint8_t *p) { return (uint16_t) (p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t) le32(p + 4) << 32; }

static void uuid_format(const uint8_t u[16], char out[37]) {
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
                 u[14], u[15]);
}

void guid_format(const uint8_t g[16], char out[37]) {
        snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", le32(g), le16(g + 4),
                 le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static bool all_zero(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i])
                        return false;
        return true;
}

/* A label of at most n bytes, ending at the first NUL; trailing blanks go
 * when trim is set (vfat pads with spaces). Control bytes become '?'. */
static void label_copy(char *dst, size_t size, const uint8_t *src, size_t n, bool trim) {
        size_t l = 0;

        while (l < n && src[l])
                l++;
        while (trim && l > 0 && src[l - 1] == ' ')
                l--;
        if (l >= size)
                l = size - 1;
        for (size_t i = 0; i < l; i++)
                dst[i] = src[i] < 0x20 || src[i] == 0x7f ? '?' : (char) src[i];
        dst[l] = 0;
}

/* ext2/3/4: superblock at 1024, magic 0xEF53 at 0x38. */
#define EXT_SB 1024
#define EXT_COMPAT_HAS_JOURNAL 0x4
#define EXT_INCOMPAT_JOURNAL_DEV 0x8
#define EXT3_INCOMPAT_SUPP (0x2 | 0x4 | 0x10) /* filetype, recover, meta_bg */
#define EXT2_INCOMPAT_SUPP (0x2 | 0x10)
#define EXT3_RO_COMPAT_SUPP (0x1 | 0x2 | 0x4) /* sparse_super, large_file, btree_dir */

static bool probe_ext(const uint8_t *buf, size_t len, struct probe_fs *ret) {
        const uint8_t *sb = buf + EXT_SB;
        uint32_t compat, incompat, ro_compat;

        if (len < EXT_SB + 0x100 || le16(sb + 0x38) != 0xEF53)
                return false;
        compat = le32(sb + 0x5C);
        incompat = le32(sb + 0x60);
        ro_compat = le32(sb + 0x64);
        if (incompat & EXT_INCOMPAT_JOURNAL_DEV)
                strcpy(ret->type, "jbd");
        else if ((incompat & ~EXT3_INCOMPAT_SUPP) || (ro_compat & ~EXT3_RO_COMPAT_SUPP))
                strcpy(ret->type, "ext4");
        else if (compat & EXT_COMPAT_HAS_JOURNAL)
                strcpy(ret->type, "ext3");
        else if (incompat & ~EXT2_INCOMPAT_SUPP)
                strcpy(ret->type, "ext4");
        else
                strcpy(ret->type, "ext2");
        uuid_format(sb + 0x68, ret->uuid);
        label_copy(ret->label, sizeof(ret->label), sb + 0x78, 16, false);
        return true;
}

/* XFS: big-endian superblock at 0: magic "XFSB", sb_uuid at 32, sb_fname[12] at 108. */
static bool probe_xfs(const uint8_t *buf, size_t len, struct probe_fs *ret) {
        if (len < 512 || memcmp(buf, "XFSB", 4) != 0)
                return false;
        strcpy(ret->type, "xfs");
        uuid_format(buf + 32, ret->uuid);
        label_copy(ret->label, sizeof(ret->label), buf + 108, 12, false);
        return true;
}

/* btrfs: superblock at 64 KiB: fsid at 0x20, magic "_BHRfS_M" at 0x40, label[256] at 0x12b. */
#define BTRFS_SB 0x10000
static bool probe_btrfs(const uint8_t *buf, size_t len, struct probe_fs *ret) {
        const uint8_t *sb = buf + BTRFS_SB;

        if (len < BTRFS_SB + 0x12b + 256 || memcmp(sb + 0x40, "_BHRfS_M", 8) != 0)
                return false;
        strcpy(ret->type, "btrfs");
        uuid_format(sb + 0x20, ret->uuid);
        label_copy(ret->label, sizeof(ret->label), sb + 0x12b, 256, false);
        return true;
}

/* FAT: a BIOS parameter block with sane geometry and an extended boot
 * signature (0x29) whose type string says FAT. */
static bool probe_vfat(const uint8_t *buf, size_t len, struct probe_fs *ret) {
        uint16_t sector_size;
        uint8_t per_cluster;
        const uint8_t *id, *label;

        if (len < 512)
                return false;
        sector_size = le16(buf + 11);
        per_cluster = buf[13];
        if ((sector_size != 512 && sector_size != 1024 && sector_size != 2048 && sector_size != 4096) ||
            per_cluster == 0 || (per_cluster & (per_cluster - 1)) || le16(buf + 14) == 0 || buf[16] == 0 ||
            buf[16] > 4)
                return false;
        if (buf[0x42] == 0x29 && memcmp(buf + 0x52, "FAT32   ", 8) == 0) {
                id = buf + 0x43;
                label = buf + 0x47;
        } else if (buf[0x26] == 0x29 && memcmp(buf + 0x36, "FAT1", 4) == 0) {
                id = buf + 0x27;
                label = buf + 0x2b;
        } else
                return false;
        strcpy(ret->type, "vfat");
        snprintf(ret->uuid, sizeof(ret->uuid), "%02X%02X-%02X%02X", id[3], id[2], id[1], id[0]);
        label_copy(ret->label, sizeof(ret->label), label, 11, true);
        if (strcmp(ret->label, "NO NAME") == 0)
                ret->label[0] = 0;
        return true;
}

int probe_filesystem(const uint8_t *buf, size_t len, struct probe_fs *ret) {
        static bool (*const probes[])(const uint8_t *, size_t, struct probe_fs *) = {
                probe_ext, probe_xfs, probe_btrfs, probe_vfat,
        };

        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
                *ret = (struct probe_fs) {};
                if (probes[i](buf, len, ret))
                        return 1;
        }
        *ret = (struct probe_fs) {};
        return 0;
}

uint32_t probe_crc32(uint32_t crc, const uint8_t *buf, size_t len) {
        crc = ~crc;
        for (size_t i = 0; i < len; i++) {
                crc ^= buf[i];
                for (int k = 0; k < 8; k++)
                        crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
        }
        return ~crc;
}

#define GPT_HEADER_MIN 92
#define GPT_HEADER_MAX 512

int gpt_parse_header(const uint8_t *buf, size_t len, struct gpt_header *ret) {
        uint8_t copy[GPT_HEADER_MAX];
        uint32_t size, crc, n, esize;

        if (len < GPT_HEADER_MIN || memcmp(buf, "EFI PART", 8) != 0)
                return -EBADMSG;
        size = le32(buf + 12);
        if (size < GPT_HEADER_MIN || size > GPT_HEADER_MAX || size > len)
                return -EBADMSG;
        memcpy(copy, buf, size);
        memset(copy + 16, 0, 4);
        crc = le32(buf + 16);
        if (probe_crc32(0, copy, size) != crc)
                return -EBADMSG;
        n = le32(buf + 80);
        esize = le32(buf + 84);
        if (le64(buf + 24) != 1 || n == 0 || n > 4096 || esize < 128 || esize > 4096 || esize % 8)
                return -EBADMSG;
        *ret = (struct gpt_header) { .entries_lba = le64(buf + 72), .n_entries = n, .entry_size = esize };
        guid_format(buf + 56, ret->disk_guid);
        return 0;
}

/* UTF-16LE (BMP and surrogate pairs) to UTF-8, stopping at NUL. */
static void utf16le_to_utf8(const uint8_t *src, size_t units, char *dst, size_t size) {
        size_t n = 0;

        for (size_t i = 0; i < units; i++) {
                uint32_t c = le16(src + 2 * i);
                char enc[4];
                size_t l;

                if (c == 0)
                        break;
                if (c >= 0xD800 && c < 0xDC00 && i + 1 < units) {
                        uint32_t lo = le16(src + 2 * (i + 1));
                        if (lo >= 0xDC00 && lo < 0xE000) {
                                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                                i++;
                        }
                }
                if (c >= 0xD800 && c < 0xE000)
                        c = 0xFFFD;
                if (c < 0x20 || c == 0x7f)
                        c = '?';
                if (c < 0x80) {
                        enc[0] = (char) c;
                        l = 1;
                } else if (c < 0x800) {
                        enc[0] = (char) (0xC0 | c >> 6);
                        enc[1] = (char) (0x80 | (c & 0x3F));
                        l = 2;
                } else if (c < 0x10000) {
                        enc[0] = (char) (0xE0 | c >> 12);
                        enc[1] = (char) (0x80 | ((c >> 6) & 0x3F));
                        enc[2] = (char) (0x80 | (c & 0x3F));
                        l = 3;
                } else {
                        enc[0] = (char) (0xF0 | c >> 18);
                        enc[1] = (char) (0x80 | ((c >> 12) & 0x3F));
                        enc[2] = (char) (0x80 | ((c >> 6) & 0x3F));
                        enc[3] = (char) (0x80 | (c & 0x3F));
                        l = 4;
                }
                if (n + l >= size)
                        break;
                memcpy(dst + n, enc, l);
                n += l;
        }
        if (size > 0)
                dst[n] = 0;
}

int gpt_parse_entry(const uint8_t *buf, size_t len, char partuuid[37], char *partlabel, size_t label_size) {
        if (len < 128)
                return -EBADMSG;
        if (all_zero(buf, 16))
                return -ENOENT;
        guid_format(buf + 16, partuuid);
        utf16le_to_utf8(buf + 56, 36, partlabel, label_size);
        return 0;
}

enum mbr_kind mbr_parse(const uint8_t *buf, size_t len, uint32_t *ret_signature) {
        if (len < 512 || buf[510] != 0x55 || buf[511] != 0xAA)
                return MBR_NONE;
        for (int i = 0; i < 4; i++)
                if (buf[446 + 16 * i + 4] == 0xEE)
                        return MBR_PROTECTIVE;
        *ret_signature = le32(buf + 440);
        return MBR_DOS;
}
