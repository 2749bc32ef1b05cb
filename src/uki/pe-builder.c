/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include "uki/pe-builder.h"
#include "util/log.h"

static int _printf_(3, 4) fail(int r, const char *name, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return log_error_errno(r, "'%s': %s", name, msg);
}

static bool is_pow2(uint32_t x) {
        return x && !(x & (x - 1));
}

static uint8_t *coff_header(struct pe_builder *b) {
        return b->img + b->pe.pe_offset + 4;
}

static uint8_t *opt_header(struct pe_builder *b) {
        return b->img + b->pe.opt_offset;
}

static uint8_t *section_header(struct pe_builder *b, unsigned i) {
        return b->img + b->pe.section_table_offset + (size_t) PE_SECTION_HEADER_SIZE * i;
}

/* Writes what we manage of section i's header: name, sizes, addresses, flags. */
static void put_section(struct pe_builder *b, unsigned i) {
        const struct pe_section *s = &b->pe.sections[i];
        uint8_t *h = section_header(b, i);

        memcpy(h, s->name, PE_SECTION_NAME_MAX);
        pe_put32(h + 8, s->virtual_size);
        pe_put32(h + 12, s->virtual_address);
        pe_put32(h + 16, s->size_of_raw_data);
        pe_put32(h + 20, s->pointer_to_raw_data);
        pe_put32(h + 36, s->characteristics);
}

static int check_image(const struct pe_builder *b) {
        const struct pe_image *pe = &b->pe;

        if (pe->magic != PE_MAGIC_PE32PLUS)
                return fail(-EOPNOTSUPP, b->name, "a PE32 image, only PE32+ stubs can be extended");
        if (pe->n_data_dirs > PE_DIR_SECURITY && pe->data_dirs[PE_DIR_SECURITY].virtual_address != 0)
                return fail(-EINVAL, b->name, "the stub is signed, refusing to extend it");
        if (!is_pow2(pe->file_alignment) || pe->file_alignment < 512 || pe->file_alignment > 65536)
                return fail(-EBADMSG, b->name, "FileAlignment 0x%x is not a power of two from 512 to 64 KiB",
                            pe->file_alignment);
        if (!is_pow2(pe->section_alignment) || pe->section_alignment < pe->file_alignment ||
            pe->section_alignment > (1u << 20))
                return fail(-EBADMSG, b->name,
                            "SectionAlignment 0x%x is not a power of two from FileAlignment to 1 MiB",
                            pe->section_alignment);
        return 0;
}

/* Section data in file order and addresses ascending, nothing overlapping the
 * headers or each other: the layout rules rely on it. */
static int check_layout(const struct pe_builder *b, size_t len) {
        const struct pe_image *pe = &b->pe;
        uint64_t raw_end = pe->size_of_headers, va_end = pe->size_of_headers;
        char pn[PE_SECTION_NAME_MAX + 1];

        if (pe->section_table_offset + (uint64_t) PE_SECTION_HEADER_SIZE * pe->n_sections > pe->size_of_headers)
                return fail(-EBADMSG, b->name, "section table extends past SizeOfHeaders (0x%x)", pe->size_of_headers);
        if (pe->size_of_headers > len)
                return fail(-EBADMSG, b->name, "SizeOfHeaders 0x%x is past the end of the file", pe->size_of_headers);
        for (unsigned i = 0; i < pe->n_sections; i++) {
                const struct pe_section *s = &pe->sections[i];

                snprintf(pn, sizeof pn, "%s", s->name);
                for (char *c = pn; *c; c++)
                        if (*c <= ' ' || *c >= 0x7f)
                                *c = '?';
                if (s->size_of_raw_data > 0 && s->pointer_to_raw_data < raw_end)
                        return fail(-EBADMSG, b->name, "section '%s' data overlaps the headers or the previous section", pn);
                if (s->virtual_address < va_end)
                        return fail(-EBADMSG, b->name, "section '%s' overlaps the headers or the previous section in memory", pn);
                if (s->size_of_raw_data > 0)
                        raw_end = (uint64_t) s->pointer_to_raw_data + s->size_of_raw_data;
                va_end = (uint64_t) s->virtual_address + s->virtual_size;
        }
        return 0;
}

/* The length of the image without a symbol table that ends exactly at the end
 * of the file (and does not overlap section data); len if there is none. */
static size_t symbols_start(struct pe_builder *b, const uint8_t *d, size_t len) {
        uint64_t p = b->pe.pointer_to_symbol_table, size = 18 * (uint64_t) b->pe.number_of_symbols;

        if (p == 0 || p < b->pe.size_of_headers || p > len)
                return len;
        for (unsigned i = 0; i < b->pe.n_sections; i++) {
                const struct pe_section *s = &b->pe.sections[i];
                if (s->size_of_raw_data > 0 && (uint64_t) s->pointer_to_raw_data + s->size_of_raw_data > p)
                        return len;
        }
        if (size <= len - p && len - p - size >= 4)
                size += pe_get32(d + p + size); /* the string table, its size first */
        if (size != len - p)
                return len;
        b->pe.pointer_to_symbol_table = 0;
        b->pe.number_of_symbols = 0;
        b->pe.characteristics |= PE_FILE_LOCAL_SYMS_STRIPPED;
        return (size_t) p;
}

/* Copies d[0..len) to a new buffer, each section's data moved up to a multiple
 * of FileAlignment and padded to one, everything after it shifted along. */
static int realign(struct pe_builder *b, const uint8_t *d, size_t len) {
        uint64_t fa = b->pe.file_alignment, pos = 0, o = 0;
        uint64_t cap = (uint64_t) len + ((uint64_t) b->pe.n_sections + 1) * 2 * fa;

        b->img = calloc(1, cap);
        if (!b->img)
                return -ENOMEM;
        for (unsigned i = 0; i < b->pe.n_sections; i++) {
                struct pe_section *s = &b->pe.sections[i];

                if (s->size_of_raw_data == 0)
                        continue;
                memcpy(b->img + o, d + pos, s->pointer_to_raw_data - pos);
                o = pe_round_up(o + s->pointer_to_raw_data - pos, fa);
                memcpy(b->img + o, d + s->pointer_to_raw_data, s->size_of_raw_data);
                pos = (uint64_t) s->pointer_to_raw_data + s->size_of_raw_data;
                s->pointer_to_raw_data = (uint32_t) o;
                o += pe_round_up(s->size_of_raw_data, fa);
                if (o > UINT32_MAX)
                        return fail(-EFBIG, b->name, "realigned image exceeds 4 GiB");
                s->size_of_raw_data = (uint32_t) pe_round_up(s->size_of_raw_data, fa);
        }
        memcpy(b->img + o, d + pos, len - pos);
        o += len - pos;
        b->pe.size_of_headers = (uint32_t) pe_round_up(b->pe.size_of_headers, fa);
        b->img_len = (size_t) (o > b->pe.size_of_headers ? o : b->pe.size_of_headers);
        return 0;
}

static void put_headers(struct pe_builder *b) {
        pe_put16(coff_header(b) + 2, b->pe.n_sections);
        pe_put32(coff_header(b) + 8, b->pe.pointer_to_symbol_table);
        pe_put32(coff_header(b) + 12, b->pe.number_of_symbols);
        pe_put16(coff_header(b) + 18, b->pe.characteristics);
        pe_put32(opt_header(b) + PE_OPT_SIZE_OF_INITIALIZED_DATA, b->pe.size_of_initialized_data);
        pe_put32(opt_header(b) + PE_OPT_SIZE_OF_IMAGE, b->pe.size_of_image);
        pe_put32(opt_header(b) + PE_OPT_SIZE_OF_HEADERS, b->pe.size_of_headers);
        pe_put32(opt_header(b) + PE_OPT_CHECKSUM, b->pe.checksum);
}

int pe_builder_init(struct pe_builder *b, const void *data, size_t len, const char *name) {
        int r;

        *b = (struct pe_builder) { .name = name };
        r = pe_parse(data, len, len, name, &b->pe);
        if (r < 0)
                return r;
        r = check_image(b);
        if (r >= 0)
                r = check_layout(b, len);
        if (r < 0)
                return r;
        len = symbols_start(b, data, len);
        r = realign(b, data, len);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < b->pe.n_sections; i++)
                put_section(b, i);
        put_headers(b);
        b->n_original = b->pe.n_sections;
        b->file_end = b->img_len;
        return 0;
}

void pe_builder_done(struct pe_builder *b) {
        b->img = mfree(b->img);
        pe_image_done(&b->pe);
}

int pe_builder_add(struct pe_builder *b, const char *name, uint64_t len, uint32_t characteristics) {
        const struct pe_image *pe = &b->pe;
        const struct pe_section *prev = &pe->sections[pe->n_sections - 1];
        uint64_t slot = pe->section_table_offset + (uint64_t) PE_SECTION_HEADER_SIZE * pe->n_sections;
        uint64_t ptr = pe_round_up(b->file_end, pe->file_alignment), va;
        static const uint8_t zero[PE_SECTION_HEADER_SIZE];
        unsigned i = pe->n_sections;

        assert(len > 0 && strlen(name) <= PE_SECTION_NAME_MAX);
        if (i >= PE_MAX_SECTIONS || slot + PE_SECTION_HEADER_SIZE > pe->size_of_headers)
                return fail(-ENOSPC, b->name, "not enough header space to add section '%s' "
                            "(the section table would end at 0x%llx, SizeOfHeaders is 0x%x)",
                            name, (unsigned long long) (slot + PE_SECTION_HEADER_SIZE), pe->size_of_headers);
        if (memcmp(b->img + slot, zero, sizeof zero) != 0)
                return fail(-ENOSPC, b->name, "the header space for section '%s' is in use", name);
        va = pe_round_up((uint64_t) prev->virtual_address + prev->virtual_size, pe->section_alignment);
        if (len > UINT32_MAX || ptr + pe_round_up(len, pe->file_alignment) > UINT32_MAX || va + len > UINT32_MAX)
                return fail(-EFBIG, b->name, "adding section '%s' (%llu bytes) makes the image exceed 4 GiB",
                            name, (unsigned long long) len);
        b->pe.sections[i] = (struct pe_section) {
                .virtual_size = (uint32_t) len,
                .virtual_address = (uint32_t) va,
                .size_of_raw_data = (uint32_t) pe_round_up(len, pe->file_alignment),
                .pointer_to_raw_data = (uint32_t) ptr,
                .characteristics = characteristics,
        };
        strncpy(b->pe.sections[i].name, name, PE_SECTION_NAME_MAX);
        b->pe.n_sections++;
        b->pe.size_of_initialized_data = len > UINT32_MAX - pe->size_of_initialized_data
                                                 ? UINT32_MAX : pe->size_of_initialized_data + (uint32_t) len;
        b->file_end = ptr + b->pe.sections[i].size_of_raw_data;
        put_section(b, i);
        put_headers(b);
        return (int) i;
}

int pe_builder_find_original(const struct pe_builder *b, const char *name) {
        for (unsigned i = 0; i < b->n_original; i++)
                if (strncmp(b->pe.sections[i].name, name, PE_SECTION_NAME_MAX) == 0)
                        return (int) i;
        return -ENOENT;
}

int pe_builder_replace(struct pe_builder *b, unsigned index, const void *data, size_t len) {
        struct pe_section *s = &b->pe.sections[index];

        assert(index < b->n_original);
        if (len > s->size_of_raw_data)
                return -ENOSPC;
        if (index + 1 < b->pe.n_sections && (uint64_t) s->virtual_address + len > b->pe.sections[index + 1].virtual_address)
                return -ENOSPC;
        memcpy(b->img + s->pointer_to_raw_data, data, len);
        memset(b->img + s->pointer_to_raw_data + len, 0, s->size_of_raw_data - len);
        s->virtual_size = (uint32_t) len;
        put_section(b, index);
        return 0;
}

void pe_builder_rename(struct pe_builder *b, unsigned index, const char *name) {
        assert(index < b->pe.n_sections && strlen(name) <= PE_SECTION_NAME_MAX);
        memset(b->pe.sections[index].name, 0, sizeof b->pe.sections[index].name);
        memcpy(b->pe.sections[index].name, name, strlen(name));
        put_section(b, index);
}

int pe_builder_finish(struct pe_builder *b) {
        const struct pe_section *last = &b->pe.sections[b->pe.n_sections - 1];
        uint64_t size = pe_round_up((uint64_t) last->virtual_address + last->virtual_size, b->pe.section_alignment);

        if (size > UINT32_MAX)
                return fail(-EFBIG, b->name, "SizeOfImage would exceed 4 GiB");
        b->pe.size_of_image = (uint32_t) size;
        b->pe.checksum = 0;
        put_headers(b);
        return 0;
}

uint64_t pe_builder_checksum_offset(const struct pe_builder *b) {
        return (uint64_t) b->pe.opt_offset + PE_OPT_CHECKSUM;
}
