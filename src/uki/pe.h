/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include "util/macro.h"

/* PE/COFF images (Microsoft PE format specification, "PE Format"; UEFI
 * executables are PE32+ images). Layout of the parts we read:
 *
 *   DOS header   "MZ" at 0, e_lfanew (u32) at 0x3c: offset of the PE header
 *   PE header    "PE\0\0", then the COFF file header (20 bytes): Machine u16,
 *                NumberOfSections u16, TimeDateStamp u32, PointerToSymbolTable
 *                u32, NumberOfSymbols u32, SizeOfOptionalHeader u16,
 *                Characteristics u16
 *   optional     Magic 0x20b (PE32+) or 0x10b (PE32), fields up to the data
 *   header       directories (112 resp. 96 bytes), NumberOfRvaAndSizes entries
 *                of {VirtualAddress u32, Size u32}
 *   sections     right after the optional header, 40 bytes each: Name[8],
 *                VirtualSize, VirtualAddress, SizeOfRawData, PointerToRawData,
 *                relocation/line number pointers and counts, Characteristics
 *
 * Input is treated as hostile: every offset is checked against the file size
 * before use, counts are capped, and a short or malformed image is -EBADMSG
 * with a message naming the file and the problem. */

#define PE_SECTION_NAME_MAX 8
/* systemd-stub (v252 verify_pe) accepts at most 96 sections; so do we. */
#define PE_MAX_SECTIONS 96
#define PE_MAX_DATA_DIRS 16
/* The DOS stub before the PE header is small in every real image. */
#define PE_MAX_PE_OFFSET (1u << 20)

#define PE_MAGIC_PE32 0x10b
#define PE_MAGIC_PE32PLUS 0x20b

#define PE_MACHINE_I386 0x014c
#define PE_MACHINE_X86_64 0x8664
#define PE_MACHINE_ARM64 0xaa64

#define PE_FILE_LOCAL_SYMS_STRIPPED 0x0008

#define PE_SCN_CNT_CODE 0x00000020u
#define PE_SCN_CNT_INITIALIZED_DATA 0x00000040u
#define PE_SCN_MEM_READ 0x40000000u

#define PE_DIR_SECURITY 4 /* the Authenticode certificate table */

/* Sizes and offsets: of the COFF header after "PE\0\0", of fields in the optional
 * header (same in PE32 and PE32+ for these), of a section header. */
#define PE_COFF_HEADER_SIZE 24 /* including the signature */
#define PE_OPT_SIZE_OF_INITIALIZED_DATA 8
#define PE_OPT_SIZE_OF_IMAGE 56
#define PE_OPT_SIZE_OF_HEADERS 60
#define PE_OPT_CHECKSUM 64
#define PE_SECTION_HEADER_SIZE 40

struct pe_data_dir {
        uint32_t virtual_address;
        uint32_t size;
};

struct pe_section {
        char name[PE_SECTION_NAME_MAX + 1]; /* NUL-terminated; may hold any bytes */
        uint32_t virtual_size;
        uint32_t virtual_address;
        uint32_t size_of_raw_data;
        uint32_t pointer_to_raw_data;
        uint32_t characteristics;
};

struct pe_image {
        uint64_t file_size;
        uint32_t pe_offset; /* e_lfanew */
        uint16_t machine;
        uint16_t n_sections;
        uint32_t pointer_to_symbol_table;
        uint32_t number_of_symbols;
        uint16_t size_of_optional_header;
        uint16_t characteristics;
        uint16_t magic;
        uint16_t subsystem;
        uint16_t major_image_version;
        uint64_t image_base;
        uint32_t size_of_initialized_data;
        uint32_t section_alignment;
        uint32_t file_alignment;
        uint32_t size_of_image;
        uint32_t size_of_headers;
        uint32_t checksum;
        uint32_t n_data_dirs; /* as read, at most PE_MAX_DATA_DIRS */
        struct pe_data_dir data_dirs[PE_MAX_DATA_DIRS];
        uint32_t opt_offset;           /* file offset of the optional header */
        uint32_t data_dirs_offset;     /* file offset of the data directory table */
        uint32_t section_table_offset; /* file offset of the section table */
        struct pe_section *sections;   /* n_sections entries, owned */
};

void pe_image_done(struct pe_image *pe);
#define _cleanup_pe_image_ _cleanup_(pe_image_done)

/* Parses the headers of an image whose first size bytes are at data and whose
 * whole length is file_size (>= size): everything up to the end of the section
 * table must lie within data. Section raw data must lie within file_size.
 * name is used in messages. -EBADMSG on malformed input, -ENOMEM. */
int pe_parse(const void *data, size_t size, uint64_t file_size, const char *name, struct pe_image *ret);
/* Reports a malformed image, "'NAME': WHAT", and returns -EBADMSG. */
int pe_malformed(const char *name, const char *fmt, ...) _printf_(2, 3);
/* Reads and parses the headers of an open file (pread, the offset is unchanged). */
int pe_load_fd(int fd, const char *name, struct pe_image *ret);

/* The section whose name is exactly name (NUL-padded in the table), the first
 * one if there are several; NULL if none. */
const struct pe_section *pe_find_section(const struct pe_image *pe, const char *name);
/* Reads the VirtualSize bytes of a section's data (as firmware and systemd-stub
 * see them; beyond SizeOfRawData they are zeros) from fd, at most max bytes
 * (-EFBIG beyond); the buffer gets a NUL appended that is not counted. */
int pe_read_section(int fd, const struct pe_section *s, size_t max, void **ret, size_t *ret_len);

/* The PE image checksum (what Windows' CheckSumMappedFile() computes): the 16-bit
 * one's-complement sum of the file's little-endian 16-bit words (an odd last byte
 * padded with zero), the CheckSum field counted as zero, plus the file length.
 * Streamed: feed the bytes in order, in any pieces. */
struct pe_csum {
        uint64_t sum;
        uint64_t len;
};
#define PE_CSUM_INIT { 0, 0 }
void pe_csum_add(struct pe_csum *c, const void *buf, size_t len);
uint32_t pe_csum_finish(const struct pe_csum *c);
/* The checksum of a whole file, the field at csum_offset counted as zero. */
int pe_checksum_fd(int fd, uint64_t csum_offset, uint32_t *ret);

/* File offset of data directory entry i (8 bytes: VirtualAddress, Size); the
 * caller checks i < pe->n_data_dirs. */
static inline uint64_t pe_data_dir_offset(const struct pe_image *pe, unsigned i) {
        return (uint64_t) pe->data_dirs_offset + 8u * i;
}

static inline uint16_t pe_get16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}
static inline uint32_t pe_get32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}
static inline void pe_put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}
static inline void pe_put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}
static inline uint64_t pe_round_up(uint64_t x, uint64_t align) {
        return (x + align - 1) / align * align;
}
