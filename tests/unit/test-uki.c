/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PE reader, section writer and UKI assembly, on synthetic PE images built here
 * (a v254-style stub: ImageBase above 4 GiB, SectionAlignment 4096; a v252-style
 * one: ImageBase 0, SectionAlignment 512, unaligned raw data, a COFF symbol
 * table), on malformed ones, and on Debian's real systemd-stub when installed. */
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "test.h"
#include "logcapture.h"
#include "uki-fixture.h"
#include "uki/pe-builder.h"
#include "uki/uki.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

#define REAL_STUB "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"


/* --------------------------------------------------------------- the reader */

TEST(pe_parse_synthetic) {
        struct syn p = stub_v254();
        size_t len;
        _cleanup_free_ uint8_t *d = syn_build(&p, &len);
        _cleanup_pe_image_ struct pe_image pe = {};

        ASSERT_OK(pe_parse(d, len, len, "stub", &pe));
        ASSERT_EQ(pe.machine, PE_MACHINE_X86_64);
        ASSERT_EQ(pe.magic, PE_MAGIC_PE32PLUS);
        ASSERT_EQ(pe.image_base, 0x1a2b30000ull);
        ASSERT_EQ(pe.section_alignment, 4096);
        ASSERT_EQ(pe.file_alignment, 512);
        ASSERT_EQ(pe.size_of_headers, 0x400);
        ASSERT_EQ(pe.n_data_dirs, 16);
        ASSERT_EQ(pe_data_dir_offset(&pe, PE_DIR_SECURITY), SYN_OPT + 112 + 8 * PE_DIR_SECURITY);
        ASSERT_EQ(pe.n_sections, 3);
        ASSERT_EQ(pe.section_table_offset, syn_table(&p));
        ASSERT_STREQ(pe.sections[2].name, ".sbat");
        ASSERT_EQ(pe.sections[1].virtual_address, 0x3000);
        ASSERT_EQ(pe.sections[1].pointer_to_raw_data, 0x1800);
        ASSERT_TRUE(pe_find_section(&pe, ".data") == &pe.sections[1]);
        ASSERT_NULL(pe_find_section(&pe, ".dat"));
        ASSERT_NULL(pe_find_section(&pe, ".linux"));
        ASSERT_NULL(pe_find_section(&pe, ".toolongname"));
}

TEST(pe_parse_pe32_read_only) {
        struct syn p = stub_v254();
        size_t len;
        _cleanup_free_ uint8_t *d = NULL;
        _cleanup_pe_image_ struct pe_image pe = {};
        _cleanup_pe_builder_ struct pe_builder b = {};

        p.magic = PE_MAGIC_PE32;
        p.image_base = 0x400000;
        d = syn_build(&p, &len);
        ASSERT_OK(pe_parse(d, len, len, "pe32", &pe));
        ASSERT_EQ(pe.image_base, 0x400000);
        ASSERT_EQ(pe_data_dir_offset(&pe, PE_DIR_SECURITY), SYN_OPT + 96 + 8 * PE_DIR_SECURITY);
        ASSERT_EQ(pe.n_sections, 3);
        ASSERT_ERR(pe_builder_init(&b, d, len, "pe32"), -EOPNOTSUPP);
}

/* Every prefix of an image cut inside its headers is rejected, never read past. */
TEST(pe_parse_truncated) {
        struct syn p = stub_v254();
        size_t len, table_end = syn_table(&p) + 40 * p.n;
        _cleanup_free_ uint8_t *d = syn_build(&p, &len);

        for (size_t cut = 0; cut < table_end; cut++) {
                _cleanup_free_ uint8_t *copy = malloc(cut ? cut : 1);
                struct pe_image pe = {};
                memcpy(copy, d, cut);
                ASSERT_ERR(pe_parse(copy, cut, cut, "cut", &pe), -EBADMSG);
        }
        {
                struct pe_image pe = {};
                ASSERT_ERR(pe_parse(d, table_end - 1, table_end - 1, "/x/linuxx64.efi.stub", &pe), -EBADMSG);
                ASSERT_STREQ(last_msg, "'/x/linuxx64.efi.stub': section table extends past the end of the file");
                ASSERT_ERR(pe_parse(d, SYN_LFANEW + 10, SYN_LFANEW + 10, "k", &pe), -EBADMSG);
                ASSERT_STREQ(last_msg, "'k': PE header extends past the end of the file");
                ASSERT_ERR(pe_parse(d, 0x30, 0x30, "k", &pe), -EBADMSG);
                ASSERT_STREQ(last_msg, "'k': file too short for a DOS header (48 bytes)");
                /* headers complete, section data cut off */
                ASSERT_ERR(pe_parse(d, 0x1000, 0x1000, "k", &pe), -EBADMSG);
                ASSERT_STREQ(last_msg, "'k': section '.text' data extends past the end of the file");
        }
}

/* Corrupts one field of a valid image and expects -EBADMSG and the message. */
static int corrupt(size_t off, const void *bytes, size_t n, const char *want) {
        struct syn p = stub_v254();
        size_t len;
        _cleanup_free_ uint8_t *d = syn_build(&p, &len);
        struct pe_image pe = {};
        int r;

        memcpy(d + off, bytes, n);
        r = pe_parse(d, len, len, "bad.efi", &pe);
        pe_image_done(&pe);
        if (r != -EBADMSG || strcmp(last_msg, want) != 0) {
                fprintf(stderr, "got %d \"%s\", want \"%s\"\n", r, last_msg, want);
                return -1;
        }
        return 0;
}

TEST(pe_parse_malformed) {
        const uint32_t opt = SYN_OPT, coff = SYN_LFANEW + 4;

        ASSERT_OK(corrupt(0, "ZM", 2, "'bad.efi': no MZ signature, not a PE image"));
        ASSERT_OK(corrupt(SYN_LFANEW, "PE\0\1", 4, "'bad.efi': no PE signature at offset 0x80"));
        ASSERT_OK(corrupt(0x3c, "\0\0\0\x10", 4, "'bad.efi': PE header offset 0x10000000 is beyond the limit of 0x100000"));
        ASSERT_OK(corrupt(0x3c, "\0\xff\x00\x00", 4, "'bad.efi': PE header extends past the end of the file"));
        ASSERT_OK(corrupt(coff + 2, "\0\0", 2, "'bad.efi': 0 sections, expected 1 to 96"));
        ASSERT_OK(corrupt(coff + 2, "\x61\0", 2, "'bad.efi': 97 sections, expected 1 to 96"));
        ASSERT_OK(corrupt(coff + 16, "\1\0", 2, "'bad.efi': optional header too short (1 bytes)"));
        ASSERT_OK(corrupt(coff + 16, "\x40\0", 2, "'bad.efi': optional header too short (64 bytes, need 112)"));
        ASSERT_OK(corrupt(coff + 16, "\xff\xff", 2, "'bad.efi': optional header extends past the end of the file"));
        ASSERT_OK(corrupt(opt, "\x07\x01", 2, "'bad.efi': unknown optional header magic 0x0107"));
        ASSERT_OK(corrupt(opt + 108, "\x11\0\0\0", 4, "'bad.efi': 17 data directories do not fit in the optional header"));
        ASSERT_OK(corrupt(opt + 108, "\xff\xff\xff\xff", 4,
                          "'bad.efi': 4294967295 data directories do not fit in the optional header"));
        /* .data raw pointer far beyond the file; .text at an address near 4 GiB */
        ASSERT_OK(corrupt(SYN_OPT + 240 + 40 + 20, "\0\0\0\x7f", 4,
                          "'bad.efi': section '.data' data extends past the end of the file"));
        ASSERT_OK(corrupt(SYN_OPT + 240 + 12, "\0\xf0\xff\xff", 4,
                          "'bad.efi': section '.text' extends past the 4 GiB address space"));
}

/* A section name with control characters is shown sanitized. */
TEST(pe_parse_hostile_name) {
        struct syn p = stub_v254();
        size_t len;
        _cleanup_free_ uint8_t *d = syn_build(&p, &len);
        struct pe_image pe = {};

        memcpy(d + SYN_OPT + 240 + 40, ".d\x01t\x1b\xff\xfe\x7f", 8);
        memcpy(d + SYN_OPT + 240 + 40 + 20, "\0\0\0\x7f", 4);
        ASSERT_ERR(pe_parse(d, len, len, "bad.efi", &pe), -EBADMSG);
        ASSERT_STREQ(last_msg, "'bad.efi': section '.d?t?" "?" "?" "?' data extends past the end of the file");
}

TEST(pe_load_fd_short_file) {
        _cleanup_fixture_ struct fixture f = {};
        struct syn p = stub_v254();
        size_t len;
        _cleanup_free_ uint8_t *d = syn_build(&p, &len);
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct pe_image pe = {};

        ASSERT_OK(fx_init(&f));
        path = fx_path(&f, "short.efi");
        ASSERT_OK(write_file(path, d, syn_table(&p) + 40 * 2 + 17));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_ERR(pe_load_fd(fd, path, &pe), -EBADMSG);
        ASSERT_TRUE(strstr(last_msg, "section table extends past the end of the file") != NULL);
        close(TAKE_FD(fd));
        ASSERT_OK(write_file(path, d, len));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ASSERT_OK(pe_load_fd(fd, path, &pe));
        ASSERT_EQ(pe.n_sections, 3);
        ASSERT_EQ(pe.file_size, len);
        pe_image_done(&pe);
}

/* Microsoft's algorithm, word by word, for reference. */
static uint32_t ref_checksum(const uint8_t *d, size_t len, size_t csum_off) {
        uint32_t sum = 0;
        for (size_t i = 0; i < len; i += 2) {
                uint32_t w = d[i] | (i + 1 < len ? d[i + 1] << 8 : 0);
                if (i >= csum_off && i < csum_off + 4)
                        w = 0;
                sum += w;
                sum = (sum & 0xffff) + (sum >> 16);
        }
        sum = (sum & 0xffff) + (sum >> 16);
        return sum + (uint32_t) len;
}

TEST(pe_checksum_matches_reference) {
        const size_t len = 300001, off = 0xd8;
        _cleanup_free_ uint8_t *d = malloc(len);
        struct pe_csum c = PE_CSUM_INIT, c2 = PE_CSUM_INIT;
        uint32_t want;

        for (size_t i = 0; i < len; i++)
                d[i] = (uint8_t) ((i * 2654435761u) >> 13);
        memset(d + off, 0, 4);
        want = ref_checksum(d, len, off);
        pe_csum_add(&c, d, len);
        ASSERT_EQ(pe_csum_finish(&c), want);
        /* pieces at odd boundaries give the same */
        for (size_t pos = 0, step = 1; pos < len; pos += step, step = step * 3 % 4097 + 1)
                pe_csum_add(&c2, d + pos, pos + step <= len ? step : len - pos);
        ASSERT_EQ(pe_csum_finish(&c2), want);
        /* all 0xff words: the one's-complement sum is 0xffff, not 0 */
        memset(d, 0xff, 64);
        c = (struct pe_csum) PE_CSUM_INIT;
        pe_csum_add(&c, d, 64);
        ASSERT_EQ(pe_csum_finish(&c), ref_checksum(d, 64, 1000));
        ASSERT_EQ(pe_csum_finish(&c), 0xffff + 64);
}

/* The checksum Debian's stub was linked with is what we compute for it. */
TEST(pe_checksum_real_stub) {
        _cleanup_close_ int fd = open(REAL_STUB, O_RDONLY | O_CLOEXEC);
        _cleanup_pe_image_ struct pe_image pe = {};
        uint32_t sum;

        if (fd < 0) {
                printf("# %s not installed, skipping\n", REAL_STUB);
                return;
        }
        ASSERT_OK(pe_load_fd(fd, REAL_STUB, &pe));
        ASSERT_OK(pe_checksum_fd(fd, pe.opt_offset + PE_OPT_CHECKSUM, &sum));
        ASSERT_TRUE(pe.checksum != 0);
        ASSERT_EQ(sum, pe.checksum);
}

/* --------------------------------------------------------------- assembly */

struct want_sec {
        const char *name;
        uint64_t len;
};

/* The added sections follow the layout rules one field at a time: stub_end is
 * where the stub's (realigned) data ends, init_data its SizeOfInitializedData. */
static void check_layout(const struct uki_info *info, unsigned n_orig, uint64_t stub_end, uint32_t init_data,
                         const struct want_sec *w, size_t n) {
        const struct pe_image *pe = &info->pe;
        uint64_t end = stub_end, init = init_data;
        const struct pe_section *last = &pe->sections[pe->n_sections - 1];

        ASSERT_EQ(pe->n_sections, n_orig + n);
        for (size_t i = 0; i < n; i++) {
                const struct pe_section *s = &pe->sections[n_orig + i], *prev = s - 1;
                ASSERT_STREQ(s->name, w[i].name);
                ASSERT_EQ(s->virtual_size, w[i].len);
                ASSERT_EQ(s->pointer_to_raw_data, pe_round_up(end, pe->file_alignment));
                ASSERT_EQ(s->size_of_raw_data, pe_round_up(w[i].len, pe->file_alignment));
                ASSERT_EQ(s->virtual_address,
                          pe_round_up((uint64_t) prev->virtual_address + prev->virtual_size, pe->section_alignment));
                ASSERT_EQ(s->characteristics, streq(w[i].name, ".linux") ? PE_SCN_CNT_CODE | PE_SCN_MEM_READ
                                                                         : PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ);
                end = (uint64_t) s->pointer_to_raw_data + s->size_of_raw_data;
                init += w[i].len;
        }
        ASSERT_STREQ(last->name, ".linux");
        ASSERT_EQ(pe->size_of_image,
                  pe_round_up((uint64_t) last->virtual_address + last->virtual_size, pe->section_alignment));
        ASSERT_EQ(pe->size_of_initialized_data, init);
        ASSERT_EQ(pe->file_size, end);
        ASSERT_TRUE(pe->checksum != 0);
        ASSERT_EQ(pe->checksum, info->computed_checksum);
        ASSERT_EQ(pe->pointer_to_symbol_table, 0);
        ASSERT_EQ(pe->number_of_symbols, 0);
}

/* Section data of the output equals the bytes of a host file / a string. */
static void check_section_file(struct fixture *f, const char *uki, const char *section, const char *path) {
        _cleanup_free_ char *got = NULL, *want = NULL;
        size_t got_len = 0, want_len = 0;

        ASSERT_OK(uki_read_section(f->root.fd, uki, section, 64u << 20, &got, &got_len));
        want = read_host(path, &want_len);
        ASSERT_TRUE(want != NULL);
        ASSERT_EQ(got_len, want_len);
        ASSERT_TRUE(memcmp(got, want, want_len) == 0);
}

static void check_section_text(struct fixture *f, const char *uki, const char *section, const char *want, size_t len) {
        _cleanup_free_ char *got = NULL;
        size_t got_len = 0;

        ASSERT_OK(uki_read_section(f->root.fd, uki, section, 1u << 20, &got, &got_len));
        ASSERT_EQ(got_len, len);
        ASSERT_TRUE(memcmp(got, want, len) == 0);
}

static char *merged_sbat(const char *const *lines, size_t *ret_len) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        strbuf_puts(&sb, sbat_hdr);
        for (; *lines; lines++)
                strbuf_puts(&sb, *lines);
        *ret_len = sb.len + 1;
        return strbuf_detach(&sb);
}

static unsigned count_sections(const struct pe_image *pe, const char *name) {
        unsigned n = 0;
        for (unsigned i = 0; i < pe->n_sections; i++)
                n += streq(pe->sections[i].name, name);
        return n;
}

TEST(layout_v254_stub) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_uki_info_ struct uki_info info = {};
        struct syn stub = stub_v254();
        struct uki_request req;
        _cleanup_free_ char *sbat = NULL;
        size_t sbat_len;
        struct stat st;

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, false));
        req = fx_request(&f, &p, "/efi/EFI/Linux/debian-6.1.0-55-amd64.efi");
        ASSERT_OK(fs_mkdir_p(f.root.fd, "/efi/EFI/Linux", 0755));
        ASSERT_OK(uki_build(&req));
        ASSERT_OK(uki_inspect(f.root.fd, req.output, &info));
        ASSERT_EQ(info.pe.image_base, 0x1a2b30000ull);
        ASSERT_EQ(info.pe.section_alignment, 4096);
        ASSERT_EQ(info.pe.file_alignment, 512);
        ASSERT_EQ(info.pe.size_of_headers, 0x400);
        ASSERT_OK(stat(p.linux_path, &st));
        const struct want_sec w[] = {
                { ".osrel", strlen(req.os_release) }, { ".cmdline", strlen(req.cmdline) },
                { ".uname", strlen(req.uname) },      { ".initrd", 100001 },
                { ".linux", (uint64_t) st.st_size },
        };
        check_layout(&info, 3, 0x1c00, 0x1000, w, ELEMENTSOF(w));
        /* the stub's sections stay where they were; .sbat merged in place */
        ASSERT_EQ(info.pe.sections[0].pointer_to_raw_data, 0x400);
        ASSERT_EQ(info.pe.sections[2].virtual_address, 0x4000);
        ASSERT_EQ(count_sections(&info.pe, ".sbat"), 1);
        sbat = merged_sbat((const char *const[]) { stub_sbat + strlen(sbat_hdr), sbat_uki_line, NULL }, &sbat_len);
        ASSERT_EQ(info.pe.sections[2].virtual_size, sbat_len);
        check_section_text(&f, req.output, ".sbat", sbat, sbat_len);
        check_section_text(&f, req.output, ".cmdline", req.cmdline, strlen(req.cmdline));
        check_section_text(&f, req.output, ".osrel", req.os_release, strlen(req.os_release));
        check_section_text(&f, req.output, ".uname", req.uname, strlen(req.uname));
        check_section_file(&f, req.output, ".initrd", p.initrd);
        check_section_file(&f, req.output, ".linux", p.linux_path);
}

TEST(layout_v252_stub) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_uki_info_ struct uki_info info = {};
        struct syn stub = stub_v252();
        struct uki_request req;
        _cleanup_free_ char *sbat = NULL, *old = NULL, *orig = NULL;
        size_t sbat_len, old_len, orig_len;
        struct stat st;

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, true));
        req = fx_request(&f, &p, "uki.efi");
        ASSERT_OK(uki_build(&req));
        ASSERT_OK(uki_inspect(f.root.fd, req.output, &info));
        ASSERT_EQ(info.pe.image_base, 0);
        ASSERT_EQ(info.pe.section_alignment, 512);
        ASSERT_TRUE(info.pe.characteristics & PE_FILE_LOCAL_SYMS_STRIPPED);
        /* realigned: .data's size rounded, .sbat and .sdmagic moved up */
        ASSERT_EQ(info.pe.sections[1].pointer_to_raw_data, 0x2400);
        ASSERT_EQ(info.pe.sections[1].size_of_raw_data, 0x200);
        ASSERT_EQ(info.pe.sections[2].pointer_to_raw_data, 0x2600);
        ASSERT_EQ(info.pe.sections[2].size_of_raw_data, 0x200);
        ASSERT_EQ(info.pe.sections[3].pointer_to_raw_data, 0x2800);
        ASSERT_EQ(info.pe.sections[3].size_of_raw_data, 0x200);
        ASSERT_OK(stat(p.linux_path, &st));
        sbat = merged_sbat((const char *const[]) { stub_sbat + strlen(sbat_hdr), kernel_sbat + strlen(sbat_hdr),
                                                   sbat_uki_line, NULL }, &sbat_len);
        const struct want_sec w[] = {
                { ".osrel", strlen(req.os_release) }, { ".cmdline", strlen(req.cmdline) },
                { ".uname", strlen(req.uname) },      { ".initrd", 100001 },
                { ".sbat", sbat_len },                { ".linux", (uint64_t) st.st_size },
        };
        check_layout(&info, 4, 0x2a00, 0x1000, w, ELEMENTSOF(w));
        /* too big for the room before .sdmagic: appended, the stub's renamed */
        ASSERT_EQ(count_sections(&info.pe, ".sbat"), 1);
        ASSERT_STREQ(info.pe.sections[2].name, ".oldsbat");
        check_section_text(&f, req.output, ".sbat", sbat, sbat_len);
        check_section_text(&f, req.output, ".oldsbat", stub_sbat, strlen(stub_sbat));
        /* the realigned sections keep their bytes */
        ASSERT_OK(uki_read_section(f.root.fd, req.output, ".sdmagic", 4096, &old, &old_len));
        orig = read_host(p.stub, &orig_len);
        ASSERT_TRUE(orig && old_len == 0x34 && memcmp(old, orig + 0x2623, 0x34) == 0);
}

TEST(sbat_appended_without_stub_sbat) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_uki_info_ struct uki_info info = {};
        struct syn stub = stub_v254();
        struct uki_request req;
        _cleanup_free_ char *sbat = NULL;
        size_t sbat_len;

        stub.n = 2;
        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, false));
        req = fx_request(&f, &p, "uki.efi");
        req.sbat = "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
                   "my,1,Me,my,1,https://example.org/\n";
        ASSERT_OK(uki_build(&req));
        ASSERT_OK(uki_inspect(f.root.fd, req.output, &info));
        ASSERT_EQ(count_sections(&info.pe, ".sbat"), 1);
        ASSERT_STREQ(info.pe.sections[info.pe.n_sections - 2].name, ".sbat");
        sbat = merged_sbat((const char *const[]) { "my,1,Me,my,1,https://example.org/\n", NULL }, &sbat_len);
        check_section_text(&f, req.output, ".sbat", sbat, sbat_len);
}

TEST(all_sections_in_order) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_uki_info_ struct uki_info info = {};
        _cleanup_free_ char *dtb = NULL, *bmp = NULL;
        struct syn stub = stub_v254();
        struct uki_request req;
        const char *want[] = { ".text", ".data", ".sbat", ".osrel", ".cmdline", ".dtb", ".uname", ".splash",
                               ".initrd", ".linux" };

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, false));
        dtb = fx_path(&f, "board.dtb");
        bmp = fx_path(&f, "splash.bmp");
        ASSERT_OK(write_file(dtb, "\xd0\x0d\xfe\xed dtb", 8));
        ASSERT_OK(write_file(bmp, "BM splash", 9));
        req = fx_request(&f, &p, "uki.efi");
        req.dtb = dtb;
        req.splash = bmp;
        ASSERT_OK(uki_build(&req));
        ASSERT_OK(uki_inspect(f.root.fd, req.output, &info));
        ASSERT_EQ(info.pe.n_sections, ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                ASSERT_STREQ(info.pe.sections[i].name, want[i]);
        check_section_file(&f, req.output, ".dtb", dtb);
        check_section_file(&f, req.output, ".splash", bmp);
}

/* Empty or absent inputs add no section; only .linux is required. */
TEST(minimal_uki) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_uki_info_ struct uki_info info = {};
        struct syn stub = stub_v254();
        struct uki_request req;

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, false));
        req = fx_request(&f, &p, "uki.efi");
        req.cmdline = "";
        req.os_release = NULL;
        req.uname = NULL;
        req.initrd = NULL;
        ASSERT_OK(uki_build(&req));
        ASSERT_OK(uki_inspect(f.root.fd, req.output, &info));
        ASSERT_EQ(info.pe.n_sections, 4);
        ASSERT_STREQ(info.pe.sections[3].name, ".linux");
        ASSERT_EQ(info.pe.checksum, info.computed_checksum);
        req.linux_path = NULL;
        ASSERT_ERR(uki_build(&req), -EINVAL);
}

TEST(reproducible) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_free_ char *a = NULL, *b = NULL, *pa = NULL, *pb = NULL;
        struct syn stub = stub_v252();
        struct uki_request req;
        size_t la = 0, lb = 0;

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, true));
        req = fx_request(&f, &p, "a.efi");
        ASSERT_OK(uki_build(&req));
        req.output = "b.efi";
        ASSERT_OK(uki_build(&req));
        pa = fx_path(&f, "root/a.efi");
        pb = fx_path(&f, "root/b.efi");
        a = read_host(pa, &la);
        b = read_host(pb, &lb);
        ASSERT_TRUE(a && b);
        ASSERT_EQ(la, lb);
        ASSERT_TRUE(memcmp(a, b, la) == 0);
}

/* ------------------------------------------------------------ refusals */

/* No temp file is left in the root's top directory. */
static bool no_temp_files(struct fixture *f) {
        _cleanup_free_ char *pattern = fx_path(f, "root/.#*");
        glob_t g;
        bool none = glob(pattern, 0, NULL, &g) == GLOB_NOMATCH;
        if (!none)
                globfree(&g);
        return none;
}

TEST(signed_stub_refused) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_free_ char *want = NULL, *text = NULL;
        struct syn stub = stub_v254();
        struct uki_request req;

        stub.security_va = 0x2000;
        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, false));
        req = fx_request(&f, &p, "uki.efi");
        ASSERT_OK(fs_write_atomic(f.root.fd, "uki.efi", "old", 3, 0644));
        ASSERT_ERR(uki_build(&req), -EINVAL);
        want = strdup_printf("'%s': the stub is signed, refusing to extend it", p.stub);
        ASSERT_STREQ(last_msg, want);
        ASSERT_OK(fs_read_all(f.root.fd, "uki.efi", 100, &text, NULL));
        ASSERT_STREQ(text, "old");
        ASSERT_TRUE(no_temp_files(&f));
}

/* A stub whose headers leave room for 7 section headers. */
static struct syn stub_crowded(void) {
        return (struct syn) {
                .lfanew = 0x3a8, .machine = PE_MACHINE_X86_64, .magic = PE_MAGIC_PE32PLUS,
                .sa = 4096, .fa = 512, .soh = 0x4d8, .n = 1,
                .s = { { ".text", 0x1000, 0x200, 0x600, 0x200, 0x60000020, NULL } },
        };
}

TEST(header_space) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_free_ char *dtb = NULL, *want = NULL;
        struct syn stub = stub_crowded();
        struct uki_request req;

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, false));
        dtb = fx_path(&f, "board.dtb");
        ASSERT_OK(write_file(dtb, "dtb", 3));
        req = fx_request(&f, &p, "uki.efi");
        /* SizeOfHeaders 0x4d8 rounds up to 0x600: 7 slots after the table at 0x4d8 */
        req.dtb = dtb;
        ASSERT_OK(uki_build(&req)); /* osrel cmdline dtb uname initrd sbat linux */
        req.splash = dtb;           /* one more */
        ASSERT_ERR(uki_build(&req), -ENOSPC);
        want = strdup_printf("'%s': not enough header space to add section '.linux' "
                             "(the section table would end at 0x618, SizeOfHeaders is 0x600)", p.stub);
        ASSERT_STREQ(last_msg, want);
}

TEST(header_space_in_use) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        struct syn stub = stub_v254();
        struct uki_request req;
        _cleanup_free_ uint8_t *d = NULL;
        _cleanup_free_ char *path = NULL;
        size_t len;

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, false));
        d = syn_build(&stub, &len);
        d[syn_table(&stub) + 3 * 40 + 5] = 0x42;
        path = fx_path(&f, "stub.efi");
        ASSERT_OK(write_file(path, d, len));
        req = fx_request(&f, &p, "uki.efi");
        ASSERT_ERR(uki_build(&req), -ENOSPC);
        ASSERT_TRUE(strstr(last_msg, "the header space for section '.osrel' is in use") != NULL);
}

TEST(bad_stub_layouts) {
        _cleanup_pe_builder_ struct pe_builder b = {};
        struct syn p = stub_v254();
        size_t len;
        _cleanup_free_ uint8_t *d = NULL;

        p.fa = 256;
        d = syn_build(&p, &len);
        ASSERT_ERR(pe_builder_init(&b, d, len, "s"), -EBADMSG);
        ASSERT_STREQ(last_msg, "'s': FileAlignment 0x100 is not a power of two from 512 to 64 KiB");
        pe_builder_done(&b);
        free(d);
        p = stub_v254();
        p.s[1].ptr = 0x1600; /* inside .text's data */
        d = syn_build(&p, &len);
        ASSERT_ERR(pe_builder_init(&b, d, len, "s"), -EBADMSG);
        ASSERT_STREQ(last_msg, "'s': section '.data' data overlaps the headers or the previous section");
        pe_builder_done(&b);
        free(d);
        p = stub_v254();
        p.s[1].va = 0x2000; /* inside .text in memory */
        d = syn_build(&p, &len);
        ASSERT_ERR(pe_builder_init(&b, d, len, "s"), -EBADMSG);
        ASSERT_STREQ(last_msg, "'s': section '.data' overlaps the headers or the previous section in memory");
        pe_builder_done(&b);
        free(d);
        p = stub_v254();
        p.soh = 0x1f0; /* the section table ends at 0x200 */
        d = syn_build(&p, &len);
        ASSERT_ERR(pe_builder_init(&b, d, len, "s"), -EBADMSG);
        ASSERT_STREQ(last_msg, "'s': section table extends past SizeOfHeaders (0x1f0)");
}

TEST(image_over_4g) {
        _cleanup_pe_builder_ struct pe_builder b = {};
        struct syn p = stub_v254();
        size_t len;
        _cleanup_free_ uint8_t *d = syn_build(&p, &len);

        ASSERT_OK(pe_builder_init(&b, d, len, "s"));
        ASSERT_OK(pe_builder_add(&b, ".initrd", 0xf0000000u, PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ));
        ASSERT_ERR(pe_builder_add(&b, ".linux", 0x10000000u, PE_SCN_CNT_CODE | PE_SCN_MEM_READ), -EFBIG);
        ASSERT_STREQ(last_msg, "'s': adding section '.linux' (268435456 bytes) makes the image exceed 4 GiB");
}

TEST(machine_mismatch) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        struct syn stub = stub_v254(), k = kernel_syn(false);
        struct uki_request req;
        _cleanup_free_ char *kpath = NULL;

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, false));
        req = fx_request(&f, &p, "uki.efi");
        req.arch = "aa64";
        ASSERT_ERR(uki_build(&req), -EINVAL);
        ASSERT_TRUE(strstr(last_msg, "built for PE machine 0x8664, not for EFI architecture 'aa64'") != NULL);
        req.arch = "x64";
        k.machine = PE_MACHINE_ARM64;
        ASSERT_OK(fx_syn(&f, "vmlinuz", &k));
        ASSERT_ERR(uki_build(&req), -EINVAL);
        ASSERT_TRUE(strstr(last_msg, "a kernel for PE machine 0xaa64, the stub is for 0x8664") != NULL);
        kpath = fx_path(&f, "vmlinuz");
        ASSERT_OK(write_file(kpath, "\x1f\x8b gzip, not a PE", 17));
        ASSERT_ERR(uki_build(&req), -EBADMSG);
        ASSERT_TRUE(strstr(last_msg, "file too short for a DOS header") != NULL);
        req.initrd = "/nonexistent/initrd";
        ASSERT_ERR(uki_build(&req), -ENOENT);
        ASSERT_STREQ(last_msg, "'/nonexistent/initrd': cannot open: No such file or directory");
        ASSERT_FALSE(fs_exists(f.root.fd, "uki.efi"));
        ASSERT_TRUE(no_temp_files(&f));
}

/* A FIFO (or a directory) as an input is refused, without blocking on it. */
TEST(non_regular_inputs) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        struct syn stub = stub_v254();
        struct uki_request req;
        _cleanup_free_ char *fifo = NULL, *want = NULL;

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, false));
        fifo = fx_path(&f, "fifo");
        ASSERT_EQ(mkfifo(fifo, 0600), 0);
        req = fx_request(&f, &p, "uki.efi");
        req.initrd = fifo;
        ASSERT_ERR(uki_build(&req), -EINVAL);
        want = strdup_printf("'%s': not a regular file", fifo);
        ASSERT_STREQ(last_msg, want);
        req.initrd = p.initrd;
        req.stub = f.dir;
        ASSERT_ERR(uki_build(&req), -EINVAL);
        ASSERT_OK(fs_mkdir_p(f.root.fd, "dir.efi", 0755));
        ASSERT_ERR(uki_read_section(f.root.fd, "dir.efi", ".linux", 100, &want, NULL), -EINVAL);
}

TEST(find_stub) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_free_ char *stub = NULL, *found = NULL;

        ASSERT_OK(fx_init(&f));
        ASSERT_ERR(uki_find_stub(f.dir, "x64", &found), -ENOENT);
        ASSERT_TRUE(strstr(last_msg, "usr/lib/systemd/boot/efi/linuxx64.efi.stub': no EFI stub for x64") != NULL);
        ASSERT_ERR(uki_find_stub(f.dir, "riscv64", &found), -EINVAL);
        stub = fx_path(&f, "usr/lib/systemd/boot/efi/linuxaa64.efi.stub");
        {
                struct root r;
                ASSERT_OK(root_open(f.dir, &r));
                ASSERT_OK(fs_mkdir_p(r.fd, "usr/lib/systemd/boot/efi", 0755));
                root_done(&r);
        }
        ASSERT_OK(write_file(stub, "x", 1));
        ASSERT_OK(uki_find_stub(f.dir, "aa64", &found));
        ASSERT_STREQ(found, stub);
        ASSERT_EQ(uki_arch_machine("x64"), PE_MACHINE_X86_64);
        ASSERT_EQ(uki_arch_machine("ia32"), PE_MACHINE_I386);
        ASSERT_EQ(uki_arch_machine("mips"), 0);
#ifdef __x86_64__
        ASSERT_STREQ(uki_native_arch(), "x64");
#endif
}

/* ------------------------------------------------------ atomicity under faults */

/* Run by fault_injection in a child with DISTKERNEL_FAULT=N: one build into
 * $UKI_FAULT_DIR, exit status 0 if it succeeded, 3 if not. Passes trivially
 * when run without those variables. */
TEST(fault_child) {
        const char *dir = getenv("UKI_FAULT_DIR");
        _cleanup_(req_paths_done) struct req_paths p = {};
        struct fixture f = {};
        struct uki_request req;
        _cleanup_free_ char *root = NULL;

        if (!dir || !getenv("DISTKERNEL_FAULT"))
                return;
        snprintf(f.dir, sizeof f.dir, "%s", dir);
        root = fx_path(&f, "root");
        if (root_open(root, &f.root) < 0)
                _exit(4);
        req = fx_request(&f, &p, "uki.efi");
        _exit(uki_build(&req) < 0 ? 3 : 0);
}

static int run_fault_child(const char *dir, int n) {
        /* resolved first: under valgrind, /proc/self/exe is valgrind's tool */
        _cleanup_free_ char *self = realpath("/proc/self/exe", NULL);
        char num[16];
        pid_t pid;
        int status;

        if (!self)
                return -errno;
        snprintf(num, sizeof num, "%d", n);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                setenv("DISTKERNEL_FAULT", num, 1);
                setenv("UKI_FAULT_DIR", dir, 1);
                execl(self, "test-uki", "fault_child", (char *) NULL);
                _exit(5);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Each checked write, fsync and rename fails in turn: the old UKI stays whole
 * or the new one is complete, and no temp file is left. */
TEST(fault_injection) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_free_ char *want = NULL, *out = NULL;
        struct syn stub = stub_v252();
        struct uki_request req;
        size_t want_len = 0;
        int n, rc = 3;

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_inputs(&f, &stub, true));
        req = fx_request(&f, &p, "uki.efi");
        ASSERT_OK(uki_build(&req));
        out = fx_path(&f, "root/uki.efi");
        want = read_host(out, &want_len);
        ASSERT_TRUE(want != NULL);
        for (n = 1; n < 200 && rc != 0; n++) {
                _cleanup_free_ char *got = NULL;
                size_t got_len = 0;

                ASSERT_OK(fs_write_atomic(f.root.fd, "uki.efi", "old", 3, 0644));
                rc = run_fault_child(f.dir, n);
                ASSERT_TRUE(rc == 0 || rc == 3);
                got = read_host(out, &got_len);
                ASSERT_TRUE(got != NULL);
                ASSERT_TRUE((got_len == 3 && memcmp(got, "old", 3) == 0) ||
                            (got_len == want_len && memcmp(got, want, want_len) == 0));
                ASSERT_TRUE(rc == 3 || got_len == want_len);
                ASSERT_TRUE(no_temp_files(&f));
        }
        ASSERT_EQ(rc, 0);
        printf("# %d injected faults\n", n - 2);
}

/* ------------------------------------------------------ the real stub */

/* Our section table is what objdump reads from the output. */
static void check_objdump(const char *path, const struct uki_info *info) {
        const char *argv[] = { "objdump", "-h", path, NULL };
        _cleanup_free_ char *out = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        unsigned seen = 0;
        char *prog = NULL;

        if (spawn_find_program("objdump", &prog) < 0) {
                printf("# objdump not installed, skipping the comparison\n");
                return;
        }
        free(prog);
        ASSERT_EQ(spawn_capture(argv, NULL, NULL, 1 << 20, &out), 0);
        ASSERT_OK(strv_split(out, "\n", &lines));
        STRV_FOREACH(l, lines) {
                unsigned idx;
                char name[32];
                unsigned long long size, vma, lma, off;

                if (sscanf(*l, " %u %31s %llx %llx %llx %llx", &idx, name, &size, &vma, &lma, &off) != 6)
                        continue;
                const struct pe_section *s = &info->pe.sections[idx];
                ASSERT_TRUE(idx < info->pe.n_sections && idx == seen);
                ASSERT_STREQ(name, s->name);
                ASSERT_EQ(size, s->virtual_size);
                ASSERT_EQ(vma, info->pe.image_base + s->virtual_address);
                ASSERT_EQ(off, s->pointer_to_raw_data);
                seen++;
        }
        ASSERT_EQ(seen, info->pe.n_sections);
}

static void build_with_real_stub(const char *kernel) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_uki_info_ struct uki_info info = {};
        _cleanup_free_ char *out = NULL;
        struct syn k = kernel_syn(false);
        struct uki_request req;

        ASSERT_OK(fx_init(&f));
        ASSERT_OK(fx_syn(&f, "stub.efi", &k)); /* replaced below */
        ASSERT_OK(fx_inputs(&f, &k, false));
        req = fx_request(&f, &p, "uki.efi");
        req.stub = NULL; /* found for the native architecture */
        if (kernel)
                req.linux_path = kernel;
        ASSERT_OK(uki_build(&req));
        ASSERT_OK(uki_inspect(f.root.fd, "uki.efi", &info));
        ASSERT_EQ(info.pe.checksum, info.computed_checksum);
        ASSERT_STREQ(info.pe.sections[info.pe.n_sections - 1].name, ".linux");
        ASSERT_EQ(count_sections(&info.pe, ".sbat"), 1);
        ASSERT_EQ(info.pe.pointer_to_symbol_table, 0);
        out = fx_path(&f, "root/uki.efi");
        check_objdump(out, &info);
        check_section_text(&f, "uki.efi", ".cmdline", req.cmdline, strlen(req.cmdline));
        check_section_file(&f, "uki.efi", ".linux", req.linux_path);
}

TEST(real_stub) {
        glob_t g;

        if (access(REAL_STUB, R_OK) < 0 || !streq_ptr(uki_native_arch(), "x64")) {
                printf("# %s not installed, skipping\n", REAL_STUB);
                return;
        }
        build_with_real_stub(NULL);
        if (glob("/var/cache/distkernel-tests/kernels/*/boot/vmlinuz-*", 0, NULL, &g) == 0) {
                build_with_real_stub(g.gl_pathv[0]);
                globfree(&g);
        } else
                printf("# no cached Debian kernel, real stub tried with a synthetic one only\n");
}
