/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "uki/pe.h"

/* Extending a PE32+ image (an EFI stub) with new sections, the way systemd's
 * ukify pe_add_sections() does (v254 and later):
 *
 *  - a COFF symbol table that ends exactly at the end of the file is cut off
 *    (PointerToSymbolTable and NumberOfSymbols zeroed, LOCAL_SYMS_STRIPPED set);
 *  - every section's PointerToRawData and SizeOfRawData are rounded up to
 *    FileAlignment (zero padding inserted, later data shifted), SizeOfHeaders
 *    too;
 *  - a signed image (Certificate Table present) is refused;
 *  - each new section header goes right after the last one, and must end at or
 *    below SizeOfHeaders; its data at PointerToRawData = round_up(end of file,
 *    FileAlignment), SizeOfRawData = round_up(len, FileAlignment),
 *    VirtualAddress = round_up(previous VirtualAddress + VirtualSize,
 *    SectionAlignment), VirtualSize = len; NumberOfSections and
 *    SizeOfInitializedData grow;
 *  - finally SizeOfImage = round_up(last VirtualAddress + VirtualSize,
 *    SectionAlignment) and CheckSum = 0 (the writer fills in the real one).
 *
 * The image is small and kept in memory; the data of the new sections is not:
 * the caller writes it at the recorded offsets (see pe_builder_added()). */
struct pe_builder {
        const char *name;  /* the stub's name, for messages */
        uint8_t *img;      /* the stub's bytes as they will be written */
        size_t img_len;
        struct pe_image pe;  /* its headers, kept in sync with img */
        uint16_t n_original; /* sections that came with the stub */
        uint64_t file_end;   /* end of the output as laid out so far */
};

/* Parses and checks the stub (a copy of data is made), strips the symbol table
 * and realigns the sections. -EBADMSG on a malformed or unusable image,
 * -EOPNOTSUPP on PE32, -EINVAL on a signed one; each with a message. */
int pe_builder_init(struct pe_builder *b, const void *data, size_t len, const char *name);
void pe_builder_done(struct pe_builder *b);
#define _cleanup_pe_builder_ _cleanup_(pe_builder_done)

/* Appends a section of len bytes (1 .. 4 GiB - 1) and returns its index.
 * -ENOSPC when its header does not fit below SizeOfHeaders, -EFBIG when the
 * image would pass 4 GiB; both with a message. */
int pe_builder_add(struct pe_builder *b, const char *name, uint64_t len, uint32_t characteristics);
/* Replaces the data of one of the stub's own sections in place: the new data
 * must fit both its SizeOfRawData and the address space up to the next
 * section, -ENOSPC (no message) otherwise. VirtualSize becomes len. */
int pe_builder_replace(struct pe_builder *b, unsigned index, const void *data, size_t len);
/* Renames section index (name at most 8 bytes). */
void pe_builder_rename(struct pe_builder *b, unsigned index, const char *name);
/* The index of the stub's own section of that name, or -ENOENT. */
int pe_builder_find_original(const struct pe_builder *b, const char *name);
/* Sets SizeOfImage and SizeOfInitializedData, zeroes CheckSum. */
int pe_builder_finish(struct pe_builder *b);
/* File offset of the CheckSum field. */
uint64_t pe_builder_checksum_offset(const struct pe_builder *b);
