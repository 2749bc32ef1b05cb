/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the PE reader and the section writer on arbitrary bytes.
 * pe_parse() on the input and pe_load_fd() on it as a file must agree; what the
 * builder accepts as a stub is extended with sections the way uki_build() does
 * (.sbat in place or appended, .linux last), and the headers it produces must
 * parse again and follow the layout rules. Seeds: tests/fuzz/corpus/pe/
 * (synthetic stubs and kernels as tests/unit/uki-fixture.h builds them).
 *
 *   clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-pe.c src/uki/pe.c src/uki/pe-builder.c src/util/{log,strv}.c -o fuzz-pe
 *   mkdir -p /tmp/corpus-pe && ./fuzz-pe -max_total_time=300 -timeout=5 /tmp/corpus-pe tests/fuzz/corpus/pe */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "uki/pe-builder.h"
#include "util/log.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Section data as uki_read_section() reads it, and the file's checksum. */
static void read_sections(int fd, const struct pe_image *pe) {
        uint32_t sum;

        for (unsigned i = 0; i < pe->n_sections; i++) {
                void *d = NULL;
                size_t len = 0;
                if (pe_read_section(fd, &pe->sections[i], 1u << 20, &d, &len) >= 0)
                        check(len == pe->sections[i].virtual_size && ((char *) d)[len] == 0);
                free(d);
        }
        check(pe_checksum_fd(fd, (uint64_t) pe->opt_offset + PE_OPT_CHECKSUM, &sum) >= 0);
}

/* The same verdict from memory and from a file. */
static void load_as_file(const uint8_t *data, size_t size, int parsed) {
        struct pe_image pe = {};
        int fd = memfd_create("fuzz-pe", MFD_CLOEXEC), r;

        if (fd < 0)
                return;
        if (write(fd, data, size) == (ssize_t) size) {
                r = pe_load_fd(fd, "fuzz", &pe);
                check((r >= 0) == (parsed >= 0));
                if (r >= 0)
                        read_sections(fd, &pe);
                pe_image_done(&pe);
        }
        close(fd);
}

/* Appended sections: aligned, after the previous data and address, no overlap. */
static void check_added(const struct pe_builder *b) {
        const struct pe_image *pe = &b->pe;

        for (unsigned i = b->n_original; i < pe->n_sections; i++) {
                const struct pe_section *s = &pe->sections[i], *prev = &pe->sections[i - 1];
                check(s->pointer_to_raw_data % pe->file_alignment == 0);
                check(s->size_of_raw_data % pe->file_alignment == 0);
                check(s->virtual_size <= s->size_of_raw_data);
                check(s->pointer_to_raw_data >= b->img_len);
                check(s->virtual_address >= (uint64_t) prev->virtual_address + prev->virtual_size);
                check(s->virtual_address % pe->section_alignment == 0);
        }
        check(pe->size_of_image % pe->section_alignment == 0);
}

static void build(const uint8_t *data, size_t size) {
        static const char sbat[] = "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
                                   "uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/\n";
        struct pe_builder b = {};
        struct pe_image again = {};
        int idx;

        if (pe_builder_init(&b, data, size, "fuzz") < 0)
                goto out;
        if (pe_builder_add(&b, ".osrel", 300, PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ) < 0 ||
            pe_builder_add(&b, ".initrd", 70000, PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ) < 0)
                goto out;
        idx = pe_builder_find_original(&b, ".sbat");
        if (idx >= 0 && pe_builder_replace(&b, (unsigned) idx, sbat, sizeof sbat) < 0)
                pe_builder_rename(&b, (unsigned) idx, ".oldsbat");
        if (pe_builder_add(&b, ".linux", 5000, PE_SCN_CNT_CODE | PE_SCN_MEM_READ) < 0 || pe_builder_finish(&b) < 0)
                goto out;
        check_added(&b);
        /* the headers as written parse, with the appended data counted */
        check(pe_parse(b.img, b.img_len, b.file_end, "again", &again) >= 0);
        check(again.n_sections == b.pe.n_sections && again.checksum == 0);
        check(again.pointer_to_symbol_table == 0 || again.pointer_to_symbol_table == b.pe.pointer_to_symbol_table);
out:
        pe_image_done(&again);
        pe_builder_done(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct pe_image pe = {};
        struct pe_csum c = PE_CSUM_INIT;
        int r;

        if (size > 1u << 20)
                return 0;
        r = pe_parse(data, size, size, "fuzz", &pe);
        if (r >= 0) {
                const struct pe_section *s = pe_find_section(&pe, ".sbat");
                check(!s || s->size_of_raw_data == 0 || (uint64_t) s->pointer_to_raw_data + s->size_of_raw_data <= size);
        }
        pe_image_done(&pe);
        load_as_file(data, size, r);
        pe_csum_add(&c, data, size);
        (void) pe_csum_finish(&c);
        build(data, size);
        return 0;
}
