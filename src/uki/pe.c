/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include "uki/pe.h"
#include "util/log.h"

int pe_malformed(const char *name, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return log_error_errno(-EBADMSG, "'%s': %s", name, msg);
}

/* A section name fit for a message: non-printable bytes become '?'. */
static const char *printable_name(const char *raw, char buf[static PE_SECTION_NAME_MAX + 1]) {
        size_t i;

        for (i = 0; i < PE_SECTION_NAME_MAX && raw[i]; i++)
                buf[i] = (raw[i] > ' ' && raw[i] < 0x7f) ? raw[i] : '?';
        buf[i] = 0;
        return buf;
}

void pe_image_done(struct pe_image *pe) {
        pe->sections = mfree(pe->sections);
        pe->n_sections = 0;
}

static bool fits(uint64_t size, uint64_t off, uint64_t len) {
        return off <= size && len <= size - off;
}

static int parse_dos(const uint8_t *d, size_t size, const char *name, struct pe_image *pe) {
        if (size < 0x40)
                return pe_malformed(name, "file too short for a DOS header (%zu bytes)", size);
        if (d[0] != 'M' || d[1] != 'Z')
                return pe_malformed(name, "no MZ signature, not a PE image");
        pe->pe_offset = pe_get32(d + 0x3c);
        if (pe->pe_offset > PE_MAX_PE_OFFSET)
                return pe_malformed(name, "PE header offset 0x%x is beyond the limit of 0x%x", pe->pe_offset,
                           PE_MAX_PE_OFFSET);
        if (!fits(size, pe->pe_offset, PE_COFF_HEADER_SIZE))
                return pe_malformed(name, "PE header extends past the end of the file");
        if (memcmp(d + pe->pe_offset, "PE\0\0", 4) != 0)
                return pe_malformed(name, "no PE signature at offset 0x%x", pe->pe_offset);
        return 0;
}

static int parse_coff(const uint8_t *d, size_t size, const char *name, struct pe_image *pe) {
        const uint8_t *h = d + pe->pe_offset + 4;

        pe->machine = pe_get16(h);
        pe->n_sections = pe_get16(h + 2);
        pe->pointer_to_symbol_table = pe_get32(h + 8);
        pe->number_of_symbols = pe_get32(h + 12);
        pe->size_of_optional_header = pe_get16(h + 16);
        pe->characteristics = pe_get16(h + 18);
        if (pe->n_sections == 0 || pe->n_sections > PE_MAX_SECTIONS)
                return pe_malformed(name, "%u sections, expected 1 to %u", pe->n_sections, PE_MAX_SECTIONS);
        pe->opt_offset = pe->pe_offset + PE_COFF_HEADER_SIZE;
        if (pe->size_of_optional_header < 2)
                return pe_malformed(name, "optional header too short (%u bytes)", pe->size_of_optional_header);
        if (!fits(size, pe->opt_offset, pe->size_of_optional_header))
                return pe_malformed(name, "optional header extends past the end of the file");
        return 0;
}

static int parse_optional(const uint8_t *d, const char *name, struct pe_image *pe) {
        const uint8_t *o = d + pe->opt_offset;
        uint32_t fixed, n_dirs;

        pe->magic = pe_get16(o);
        if (pe->magic != PE_MAGIC_PE32PLUS && pe->magic != PE_MAGIC_PE32)
                return pe_malformed(name, "unknown optional header magic 0x%04x", pe->magic);
        fixed = pe->magic == PE_MAGIC_PE32PLUS ? 112 : 96;
        if (pe->size_of_optional_header < fixed)
                return pe_malformed(name, "optional header too short (%u bytes, need %u)",
                           pe->size_of_optional_header, fixed);
        pe->size_of_initialized_data = pe_get32(o + PE_OPT_SIZE_OF_INITIALIZED_DATA);
        pe->image_base = pe->magic == PE_MAGIC_PE32PLUS ? (uint64_t) pe_get32(o + 24) | (uint64_t) pe_get32(o + 28) << 32
                                                        : pe_get32(o + 28);
        pe->section_alignment = pe_get32(o + 32);
        pe->file_alignment = pe_get32(o + 36);
        pe->major_image_version = pe_get16(o + 44);
        pe->size_of_image = pe_get32(o + PE_OPT_SIZE_OF_IMAGE);
        pe->size_of_headers = pe_get32(o + PE_OPT_SIZE_OF_HEADERS);
        pe->checksum = pe_get32(o + PE_OPT_CHECKSUM);
        pe->subsystem = pe_get16(o + 68);
        n_dirs = pe_get32(o + fixed - 4);
        if ((uint64_t) fixed + 8 * (uint64_t) n_dirs > pe->size_of_optional_header)
                return pe_malformed(name, "%u data directories do not fit in the optional header", n_dirs);
        pe->n_data_dirs = n_dirs < PE_MAX_DATA_DIRS ? n_dirs : PE_MAX_DATA_DIRS;
        pe->data_dirs_offset = pe->opt_offset + fixed;
        for (uint32_t i = 0; i < pe->n_data_dirs; i++)
                pe->data_dirs[i] = (struct pe_data_dir) {
                        .virtual_address = pe_get32(o + fixed + 8 * i),
                        .size = pe_get32(o + fixed + 8 * i + 4),
                };
        return 0;
}

static int parse_section(const uint8_t *h, const char *name, struct pe_image *pe, struct pe_section *s) {
        char pn[PE_SECTION_NAME_MAX + 1];

        memcpy(s->name, h, PE_SECTION_NAME_MAX);
        s->name[PE_SECTION_NAME_MAX] = 0;
        s->virtual_size = pe_get32(h + 8);
        s->virtual_address = pe_get32(h + 12);
        s->size_of_raw_data = pe_get32(h + 16);
        s->pointer_to_raw_data = pe_get32(h + 20);
        s->characteristics = pe_get32(h + 36);
        if (s->size_of_raw_data > 0 && !fits(pe->file_size, s->pointer_to_raw_data, s->size_of_raw_data))
                return pe_malformed(name, "section '%s' data extends past the end of the file", printable_name(s->name, pn));
        if ((uint64_t) s->virtual_address + s->virtual_size > UINT32_MAX)
                return pe_malformed(name, "section '%s' extends past the 4 GiB address space", printable_name(s->name, pn));
        return 0;
}

static int parse_sections(const uint8_t *d, size_t size, const char *name, struct pe_image *pe) {
        int r;

        pe->section_table_offset = pe->opt_offset + pe->size_of_optional_header;
        if (!fits(size, pe->section_table_offset, (uint64_t) PE_SECTION_HEADER_SIZE * pe->n_sections))
                return pe_malformed(name, "section table extends past the end of the file");
        /* Room for PE_MAX_SECTIONS, so that a builder can append in place. */
        pe->sections = calloc(PE_MAX_SECTIONS, sizeof(struct pe_section));
        if (!pe->sections)
                return -ENOMEM;
        for (unsigned i = 0; i < pe->n_sections; i++) {
                r = parse_section(d + pe->section_table_offset + PE_SECTION_HEADER_SIZE * i, name, pe,
                                  &pe->sections[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pe_parse(const void *data, size_t size, uint64_t file_size, const char *name, struct pe_image *ret) {
        _cleanup_pe_image_ struct pe_image pe = { .file_size = file_size };
        int r;

        assert(size <= file_size);
        r = parse_dos(data, size, name, &pe);
        if (r >= 0)
                r = parse_coff(data, size, name, &pe);
        if (r >= 0)
                r = parse_optional(data, name, &pe);
        if (r >= 0)
                r = parse_sections(data, size, name, &pe);
        if (r < 0)
                return r;
        *ret = pe;
        pe.sections = NULL;
        return 0;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off, size_t *ret_len) {
        size_t done = 0;

        while (done < len) {
                ssize_t n = pread(fd, (uint8_t *) buf + done, len - done, (off_t) (off + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                done += (size_t) n;
        }
        *ret_len = done;
        return 0;
}

/* How many leading bytes the headers need, judging from the first size bytes
 * (which may be too few to tell: then a lower bound). */
static uint64_t headers_extent(const uint8_t *d, size_t size) {
        uint64_t lfanew, n, soh;

        if (size < 0x40)
                return 0x40;
        lfanew = pe_get32(d + 0x3c);
        if (lfanew > PE_MAX_PE_OFFSET || size < lfanew + PE_COFF_HEADER_SIZE)
                return lfanew > PE_MAX_PE_OFFSET ? size : lfanew + PE_COFF_HEADER_SIZE;
        n = pe_get16(d + lfanew + 6);
        soh = pe_get16(d + lfanew + 20);
        if (n > PE_MAX_SECTIONS) /* rejected anyway, don't read the table */
                n = 0;
        return lfanew + PE_COFF_HEADER_SIZE + soh + PE_SECTION_HEADER_SIZE * n;
}

int pe_load_fd(int fd, const char *name, struct pe_image *ret) {
        _cleanup_free_ uint8_t *buf = NULL;
        uint64_t want = 0x40, need;
        size_t len = 0;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return log_error_errno(-errno, "'%s': cannot stat: %m", name);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(-EINVAL, "'%s': not a regular file", name);
        for (;;) {
                size_t n = (size_t) (want < (uint64_t) st.st_size ? want : (uint64_t) st.st_size);
                uint8_t *nb = realloc(buf, n ? n : 1);

                if (!nb)
                        return -ENOMEM;
                buf = nb;
                r = pread_full(fd, buf, n, 0, &len);
                if (r < 0)
                        return log_error_errno(r, "'%s': cannot read: %s", name, strerror(-r));
                need = headers_extent(buf, len);
                if (need <= len || len < n || len == (uint64_t) st.st_size)
                        break;
                want = need;
        }
        return pe_parse(buf, len, (uint64_t) st.st_size > len ? (uint64_t) st.st_size : len, name, ret);
}

const struct pe_section *pe_find_section(const struct pe_image *pe, const char *name) {
        if (strlen(name) > PE_SECTION_NAME_MAX)
                return NULL;
        for (unsigned i = 0; i < pe->n_sections; i++)
                if (strncmp(pe->sections[i].name, name, PE_SECTION_NAME_MAX) == 0)
                        return &pe->sections[i];
        return NULL;
}

int pe_read_section(int fd, const struct pe_section *s, size_t max, void **ret, size_t *ret_len) {
        size_t n = s->virtual_size, from_file, got = 0;
        _cleanup_free_ uint8_t *buf = NULL;
        int r;

        if (n > max)
                return -EFBIG;
        buf = calloc(1, n + 1);
        if (!buf)
                return -ENOMEM;
        from_file = n < s->size_of_raw_data ? n : s->size_of_raw_data;
        r = pread_full(fd, buf, from_file, s->pointer_to_raw_data, &got);
        if (r < 0)
                return r;
        if (got != from_file)
                return -EBADMSG;
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = n;
        return 0;
}

void pe_csum_add(struct pe_csum *c, const void *buf, size_t len) {
        const uint8_t *p = buf;
        uint64_t s = c->sum;
        size_t i;

        if (len > 0 && (c->len & 1)) { /* an odd offset: this byte is a word's high half */
                s += (uint64_t) p[0] << 8;
                p++;
                len--;
                c->len++;
        }
        /* 32-bit words: 2^32 = 1 mod 0xffff, so summing them is summing 16-bit words. */
        for (i = 0; i + 4 <= len; i += 4)
                s += pe_get32(p + i);
        if (i + 2 <= len) {
                s += pe_get16(p + i);
                i += 2;
        }
        if (i < len)
                s += p[i];
        c->len += len;
        c->sum = (s & 0xffffffffu) + (s >> 32);
}

uint32_t pe_csum_finish(const struct pe_csum *c) {
        uint64_t s = c->sum;

        while (s >> 16)
                s = (s & 0xffff) + (s >> 16);
        return (uint32_t) (s + c->len);
}

int pe_checksum_fd(int fd, uint64_t csum_offset, uint32_t *ret) {
        const size_t bufsize = 1u << 20;
        _cleanup_free_ uint8_t *buf = malloc(bufsize);
        struct pe_csum c = PE_CSUM_INIT;
        uint64_t off = 0;

        if (!buf)
                return -ENOMEM;
        for (;;) {
                size_t n = 0;
                int r = pread_full(fd, buf, bufsize, off, &n);
                if (r < 0)
                        return r;
                if (n == 0)
                        break;
                for (uint64_t i = csum_offset; i < csum_offset + 4; i++)
                        if (i >= off && i < off + n)
                                buf[i - off] = 0;
                pe_csum_add(&c, buf, n);
                off += n;
        }
        *ret = pe_csum_finish(&c);
        return 0;
}
