/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The builtin initramfs generator's parts: the cpio writer checked with the
 * real cpio, each codec with the real decompressor, reading compressed
 * modules, host-only detection on a fake sysfs. Whole images: test-initramfs-image.c. */
#include "initramfs-test.h"
#include "initramfs/builtin.h"
#include "initramfs/compress.h"
#include "initramfs/cpio.h"
#include "initramfs/initramfs.h"

/* ---------------------------------------------------------------- cpio */

TEST(cpio_path_order) {
        ASSERT_TRUE(cpio_path_compare("a", "a/b") < 0);
        ASSERT_TRUE(cpio_path_compare("a/b", "a-b") < 0);
        ASSERT_TRUE(cpio_path_compare("a/z", "a-b") < 0);
        ASSERT_TRUE(cpio_path_compare("lib/firmware/x", "lib/modules") < 0);
        ASSERT_EQ(cpio_path_compare("x/y", "x/y"), 0);
        ASSERT_TRUE(cpio_path_is_valid("lib/modules/6.1.0/kernel/x.ko"));
        ASSERT_FALSE(cpio_path_is_valid("/init"));
        ASSERT_FALSE(cpio_path_is_valid("a//b"));
        ASSERT_FALSE(cpio_path_is_valid("a/../b"));
        ASSERT_FALSE(cpio_path_is_valid("a/./b"));
        ASSERT_FALSE(cpio_path_is_valid("a/"));
        ASSERT_FALSE(cpio_path_is_valid(""));
        ASSERT_TRUE(cpio_path_is_valid("..a/b.."));
}

struct membuf {
        struct strbuf sb;
        int fail_after;         /* fail the Nth sink call, 0: never */
};
static int mem_sink(void *u, const void *buf, size_t len) {
        struct membuf *m = u;
        if (m->fail_after && --m->fail_after == 0)
                return -ENOSPC;
        return strbuf_add(&m->sb, buf, len);
}

TEST(cpio_writer_refuses_bad_order_and_sizes) {
        struct membuf m = { STRBUF_INIT, 0 };
        _cleanup_cpio_writer_ struct cpio_writer *w = NULL;

        ASSERT_ERR(cpio_writer_new(mem_sink, &m, -1, &w), -ERANGE);
        ASSERT_ERR(cpio_writer_new(mem_sink, &m, (int64_t) UINT32_MAX + 1, &w), -ERANGE);
        ASSERT_OK(cpio_writer_new(mem_sink, &m, 0, &w));
        ASSERT_OK(cpio_writer_file(w, "b", 0644, "x", 1));
        ASSERT_ERR(cpio_writer_file(w, "a", 0644, "x", 1), -EINVAL);   /* out of order */
        ASSERT_ERR(cpio_writer_file(w, "b", 0644, "x", 1), -EINVAL);   /* duplicate */
        ASSERT_ERR(cpio_writer_file(w, "b/c", 0644, "x", 1), -ENOTDIR); /* below a file */
        ASSERT_ERR(cpio_writer_dir(w, "/c", 0755), -EINVAL);
        ASSERT_ERR(cpio_writer_file_begin(w, "c", 0644, (uint64_t) UINT32_MAX + 1), -EFBIG);
        ASSERT_OK(cpio_writer_file_begin(w, "d", 0644, 3));
        ASSERT_ERR(cpio_writer_dir(w, "e", 0755), -EINVAL);             /* a file is open */
        ASSERT_ERR(cpio_writer_file_data(w, "abcd", 4), -EBADMSG);      /* more than announced */
        ASSERT_OK(cpio_writer_file_data(w, "ab", 2));
        ASSERT_ERR(cpio_writer_file_end(w), -EBADMSG);                  /* fewer */
        strbuf_done(&m.sb);
}

TEST(cpio_writer_sink_error_sticks) {
        struct membuf m = { STRBUF_INIT, 1 };
        _cleanup_cpio_writer_ struct cpio_writer *w = NULL;
        _cleanup_free_ uint8_t *big = calloc(1, 200000);

        ASSERT_OK(cpio_writer_new(mem_sink, &m, 0, &w));
        ASSERT_ERR(cpio_writer_file(w, "big", 0644, big, 200000), -ENOSPC);
        ASSERT_ERR(cpio_writer_dir(w, "z", 0755), -ENOSPC);
        ASSERT_ERR(cpio_writer_finish(w), -ENOSPC);
        strbuf_done(&m.sb);
}

TEST(cpio_header_layout) {
        struct membuf m = { STRBUF_INIT, 0 };
        _cleanup_cpio_writer_ struct cpio_writer *w = NULL;
        /* ino 1, mode 0100644, uid 0, gid 0, nlink 1, mtime 7, size 3, dev 0:0, rdev 0:0, namesize 2, check 0 */
        const char *expect = "070701" "00000001" "000081A4" "00000000" "00000000" "00000001" "00000007" "00000003"
                             "00000000" "00000000" "00000000" "00000000" "00000002" "00000000" "a\0" "xyz\0";

        ASSERT_OK(cpio_writer_new(mem_sink, &m, 7, &w));
        ASSERT_OK(cpio_writer_file(w, "a", 0644, "xyz", 3));
        ASSERT_OK(cpio_writer_finish(w));
        ASSERT_EQ(m.sb.len, 512);
        ASSERT_EQ(cpio_writer_offset(w), 512);
        ASSERT_TRUE(memcmp(m.sb.buf, expect, 116) == 0);
        /* the trailer: ino 0, mode 0, nlink 1, mtime 0, namesize 11, at offset 116 */
        ASSERT_TRUE(memcmp(m.sb.buf + 116, "07070100000000000000000000000000000000000000010000000000000000", 62) == 0);
        ASSERT_TRUE(memcmp(m.sb.buf + 116 + 110, "TRAILER!!!", 11) == 0);
        for (size_t i = 116 + 110 + 11; i < 512; i++)
                ASSERT_EQ(m.sb.buf[i], 0);
        strbuf_done(&m.sb);
}

/* Writes an archive of awkward sizes with out-of-order-free entries to a file. */
static int write_sample(const char *path, int64_t mtime) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        _cleanup_cpio_writer_ struct cpio_writer *w = NULL;
        _cleanup_free_ uint8_t *big = make_data(300001, 1);
        int r = fd < 0 || !big ? -EIO : cpio_writer_new(initramfs_sink_fd, &fd, mtime, &w);

        if (r >= 0)
                r = cpio_writer_dir(w, "dev", 0755);
        if (r >= 0)
                r = cpio_writer_file(w, "empty", 0600, "", 0);
        if (r >= 0)
                r = cpio_writer_file(w, "etc/a/b/deep.txt", 0640, "deep\n", 5);
        if (r >= 0)
                r = cpio_writer_symlink(w, "etc/link", "a/b/deep.txt");
        if (r >= 0)
                r = cpio_writer_file_begin(w, "lib/big.bin", 0755, 300001);
        for (size_t off = 0; r >= 0 && off < 300001; off += 70001)
                r = cpio_writer_file_data(w, big + off, off + 70001 > 300001 ? 300001 - off : 70001);
        if (r >= 0)
                r = cpio_writer_file_end(w);
        if (r >= 0)
                r = cpio_writer_file(w, "lib-z", 0644, "1", 1);
        return r >= 0 ? cpio_writer_finish(w) : r;
}

TEST(cpio_round_trip_with_cpio_tool) {
        _cleanup_rmtree_ char *d = tmpdir();
        _cleanup_free_ char *img = strdup_printf("%s/a.cpio", d), *list = strdup_printf("%s/list", d);
        _cleanup_free_ char *deep = strdup_printf("%s/x/etc/a/b/deep.txt", d), *link = strdup_printf("%s/x/etc/link", d);
        _cleanup_free_ char *bigp = strdup_printf("%s/x/lib/big.bin", d), *text = NULL, *got = NULL;
        _cleanup_free_ uint8_t *big = make_data(300001, 1);
        struct stat st;
        char target[64] = "";
        size_t n = 0;

        if (!have_program("cpio"))
                return (void) printf("skip: no cpio\n");
        ASSERT_OK(write_sample(img, 1234567));
        ASSERT_OK(stat(img, &st));
        ASSERT_EQ(st.st_size % 512, 0);
        ASSERT_EQ(RUN(d, img, list, "cpio", "-t", "--quiet"), 0);
        text = read_host(list, NULL);
        ASSERT_STREQ(text, "dev\nempty\netc\netc/a\netc/a/b\netc/a/b/deep.txt\netc/link\nlib\nlib/big.bin\nlib-z\n");
        ASSERT_OK(extract(img, NULL, d));
        got = read_host(deep, NULL);
        ASSERT_STREQ(got, "deep\n");
        ASSERT_OK(lstat(deep, &st));
        ASSERT_EQ(st.st_mode & 07777, 0640);
        ASSERT_EQ(st.st_mtime, 1234567);
        ASSERT_TRUE(readlink(link, target, sizeof target - 1) > 0);
        ASSERT_STREQ(target, "a/b/deep.txt");
        free(got);
        got = read_host(bigp, &n);
        ASSERT_EQ(n, 300001);
        ASSERT_TRUE(got && memcmp(got, big, n) == 0);
        ASSERT_OK(stat(bigp, &st));
        ASSERT_EQ(st.st_mode & 07777, 0755);
}

/* ---------------------------------------------------------- compression */

TEST(compress_parse_and_levels) {
        enum initramfs_codec c;
        int level;

        ASSERT_OK(initramfs_compress_parse("zstd", &c, &level));
        ASSERT_EQ(c, INITRAMFS_CODEC_ZSTD);
        ASSERT_EQ(level, 0);
        ASSERT_EQ(initramfs_codec_level(c, level), 3);
        ASSERT_OK(initramfs_compress_parse("xz:9", &c, &level));
        ASSERT_EQ(c, INITRAMFS_CODEC_XZ);
        ASSERT_EQ(level, 9);
        ASSERT_OK(initramfs_compress_parse("gz", &c, &level));
        ASSERT_EQ(c, INITRAMFS_CODEC_GZIP);
        ASSERT_OK(initramfs_compress_parse("lz4:12", &c, &level));
        ASSERT_OK(initramfs_compress_parse("none", &c, &level));
        ASSERT_EQ(c, INITRAMFS_CODEC_NONE);
        ASSERT_ERR(initramfs_compress_parse("lz4:13", &c, &level), -EINVAL);
        ASSERT_TRUE(log_has("'lz4': compression level 13 is out of range 1..12"));
        ASSERT_ERR(initramfs_compress_parse("none:1", &c, &level), -EINVAL);
        ASSERT_ERR(initramfs_compress_parse("zstd:x", &c, &level), -EINVAL);
        ASSERT_ERR(initramfs_compress_parse("brotli", &c, &level), -EINVAL);
        ASSERT_STREQ(initramfs_codec_to_string(INITRAMFS_CODEC_LZ4), "lz4");
        ASSERT_NULL(initramfs_codec_to_string(_INITRAMFS_CODEC_MAX));
        log_clear();
}

TEST(compress_supported_checks_kernel_config) {
        _cleanup_kconfig_ struct kconfig *kc = NULL;
        const char *cfg = "CONFIG_RD_ZSTD=y\nCONFIG_RD_GZIP=m\n# CONFIG_RD_LZ4 is not set\n";

        ASSERT_OK(kconfig_parse(cfg, strlen(cfg), &kc));
        ASSERT_OK(initramfs_compress_supported(kc, "6.1.0-1-amd64", INITRAMFS_CODEC_ZSTD));
        ASSERT_OK(initramfs_compress_supported(kc, "6.1.0-1-amd64", INITRAMFS_CODEC_NONE));
        ASSERT_OK(initramfs_compress_supported(NULL, "6.1.0-1-amd64", INITRAMFS_CODEC_LZ4));
        ASSERT_ERR(initramfs_compress_supported(kc, "6.1.0-1-amd64", INITRAMFS_CODEC_LZ4), -EOPNOTSUPP);
        ASSERT_STREQ(log_last_error(), "kernel '6.1.0-1-amd64' cannot decompress a lz4 initramfs (CONFIG_RD_LZ4 is not set)");
        ASSERT_ERR(initramfs_compress_supported(kc, "6.1.0-1-amd64", INITRAMFS_CODEC_XZ), -EOPNOTSUPP);
        ASSERT_ERR(initramfs_compress_supported(kc, "6.1.0-1-amd64", INITRAMFS_CODEC_GZIP), -EOPNOTSUPP);
        log_clear();
}

/* Compresses data with codec into a file, decompresses it with the real tool. */
static int codec_round_trip(enum initramfs_codec codec, int level, const char *tool, size_t size) {
        _cleanup_rmtree_ char *d = tmpdir();
        _cleanup_free_ char *z = strdup_printf("%s/z", d), *out = strdup_printf("%s/out", d), *back = NULL;
        _cleanup_free_ uint8_t *data = make_data(size, 42);
        _cleanup_compressor_ struct compressor *c = NULL;
        _cleanup_close_ int fd = z ? open(z, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
        size_t n = 0;
        int r;

        if (fd < 0 || !data)
                return -EIO;
        r = compressor_new(codec, level, initramfs_sink_fd, &fd, &c);
        for (size_t off = 0; r >= 0 && off < size; off += 100003)
                r = compressor_write(c, data + off, off + 100003 > size ? size - off : 100003);
        if (r >= 0)
                r = compressor_finish(c);
        if (r < 0)
                return r;
        r = tool ? RUN(NULL, z, out, tool, "-dc") : RUN(NULL, z, out, "cat");
        if (r != 0)
                return -EBADMSG;
        back = read_host(out, &n);
        return back && n == size && memcmp(back, data, size) == 0 ? 0 : -EBADMSG;
}

TEST(codec_zstd_round_trip) { ASSERT_OK(codec_round_trip(INITRAMFS_CODEC_ZSTD, 0, "zstd", 5u << 20)); }
TEST(codec_zstd_level_19_round_trip) { ASSERT_OK(codec_round_trip(INITRAMFS_CODEC_ZSTD, 19, "zstd", 1u << 20)); }
TEST(codec_xz_round_trip) { ASSERT_OK(codec_round_trip(INITRAMFS_CODEC_XZ, 0, "xz", 3u << 20)); }
TEST(codec_gzip_round_trip) { ASSERT_OK(codec_round_trip(INITRAMFS_CODEC_GZIP, 0, "gzip", 3u << 20)); }
/* more than two 8 MiB legacy blocks, fast and HC */
TEST(codec_lz4_legacy_round_trip) { ASSERT_OK(codec_round_trip(INITRAMFS_CODEC_LZ4, 1, "lz4", 17u << 20)); }
TEST(codec_lz4_hc_round_trip) { ASSERT_OK(codec_round_trip(INITRAMFS_CODEC_LZ4, 0, "lz4", 9u << 20)); }
TEST(codec_none_round_trip) { ASSERT_OK(codec_round_trip(INITRAMFS_CODEC_NONE, 0, NULL, 1u << 20)); }

TEST(codec_xz_uses_crc32_and_lz4_legacy_magic) {
        _cleanup_rmtree_ char *d = tmpdir();
        _cleanup_free_ char *z = strdup_printf("%s/z", d), *head = NULL;
        for (int i = 0; i < 2; i++) {
                _cleanup_compressor_ struct compressor *c = NULL;
                _cleanup_close_ int fd = open(z, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                size_t n = 0;
                ASSERT_OK(compressor_new(i ? INITRAMFS_CODEC_LZ4 : INITRAMFS_CODEC_XZ, 0, initramfs_sink_fd, &fd, &c));
                ASSERT_OK(compressor_write(c, "hello", 5));
                ASSERT_OK(compressor_finish(c));
                free(head);
                head = read_host(z, &n);
                ASSERT_TRUE(head && n > 8);
                if (i == 0) /* stream flags: check type 1 = CRC32 */
                        ASSERT_TRUE(memcmp(head, "\xfd" "7zXZ\0\0\x01", 8) == 0);
                else
                        ASSERT_TRUE(memcmp(head, "\x02\x21\x4c\x18", 4) == 0);
        }
}

/* ------------------------------------------------------ module reading */

static int ko_check(const char *dir, const char *tool, enum module_compress c, const uint8_t *data, size_t size) {
        _cleanup_free_ char *plain = strdup_printf("%s/m.ko", dir);
        _cleanup_free_ char *packed = strdup_printf("%s/m.ko%s", dir, module_compress_suffix(c));
        _cleanup_ko_reader_ struct ko_reader *rd = NULL;
        _cleanup_free_ uint8_t *back = malloc(size + 1);
        uint64_t got = 0;
        size_t off = 0;
        ssize_t n;
        int fd, r;

        r = write_host(plain, data, size);
        if (r >= 0 && tool)
                r = RUN(dir, NULL, NULL, tool, "-q", "-f", "m.ko") == 0 ? 0 : -EIO;
        fd = r < 0 ? -1 : open(packed, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !back)
                return -EIO;
        r = ko_decompressed_size(fd, c, &got);
        if (r < 0 || got != size) {
                close(fd);
                return -EBADMSG;
        }
        r = ko_reader_new(fd, c, &rd);
        while (r >= 0 && (n = ko_reader_read(rd, back + off, size + 1 - off < 7777 ? size + 1 - off : 7777)) > 0)
                off += (size_t) n;
        unlink(packed);
        unlink(plain);
        return off == size && memcmp(back, data, size) == 0 ? 0 : -EBADMSG;
}

TEST(ko_reader_decompresses_modules) {
        _cleanup_rmtree_ char *d = tmpdir();
        _cleanup_free_ uint8_t *data = make_data(1234567, 7);

        ASSERT_EQ(ko_compress_from_path("a/b.ko.zst"), MODULE_COMPRESS_ZSTD);
        ASSERT_EQ(ko_compress_from_path("a/b.ko"), MODULE_COMPRESS_NONE);
        ASSERT_OK(ko_check(d, NULL, MODULE_COMPRESS_NONE, data, 1234567));
        ASSERT_OK(ko_check(d, "xz", MODULE_COMPRESS_XZ, data, 1234567));
        ASSERT_OK(ko_check(d, "zstd", MODULE_COMPRESS_ZSTD, data, 1234567));
        ASSERT_OK(ko_check(d, "gzip", MODULE_COMPRESS_GZIP, data, 1234567));
        ASSERT_OK(ko_check(d, "xz", MODULE_COMPRESS_XZ, data, 0));
}

/* Reads a module file to its end: its size, or the error. */
static int64_t ko_read_all(const char *path, enum module_compress c) {
        _cleanup_ko_reader_ struct ko_reader *rd = NULL;
        int fd = open(path, O_RDONLY | O_CLOEXEC), r;
        char buf[4096];
        int64_t total = 0;
        ssize_t n;

        if (fd < 0)
                return -errno;
        r = ko_reader_new(fd, c, &rd);
        if (r < 0)
                return r;
        while ((n = ko_reader_read(rd, buf, sizeof buf)) > 0)
                total += n;
        return n < 0 ? n : total;
}

TEST(ko_reader_rejects_corrupt_and_truncated) {
        _cleanup_rmtree_ char *d = tmpdir();
        _cleanup_free_ uint8_t *data = make_data(200000, 9);
        _cleanup_free_ char *plain = strdup_printf("%s/m.ko", d);
        const char *tools[] = { "xz", "zstd", "gzip" };
        enum module_compress cs[] = { MODULE_COMPRESS_XZ, MODULE_COMPRESS_ZSTD, MODULE_COMPRESS_GZIP };

        for (size_t i = 0; i < 3; i++) {
                _cleanup_free_ char *packed = strdup_printf("%s/m.ko%s", d, module_compress_suffix(cs[i]));
                _cleanup_free_ char *z = NULL;
                size_t n = 0;
                ASSERT_OK(write_host(plain, data, 200000));
                ASSERT_EQ(RUN(d, NULL, NULL, tools[i], "-q", "-f", "m.ko"), 0);
                z = read_host(packed, &n);
                ASSERT_TRUE(z && n > 100);
                ASSERT_EQ(ko_read_all(packed, cs[i]), 200000);
                ASSERT_OK(write_host(packed, z, n / 2)); /* truncated */
                ASSERT_ERR(ko_read_all(packed, cs[i]), -EBADMSG);
                z[n / 2] ^= 0x55; /* corrupt in the middle */
                ASSERT_OK(write_host(packed, z, n));
                ASSERT_ERR(ko_read_all(packed, cs[i]), -EBADMSG);
                unlink(packed);
        }
}

/* ------------------------------------------------------------ host-only */

static int make_sysfs(const char *d) {
        _cleanup_free_ char *cmd = strdup_printf(
                "set -e; cd '%s'; P=sys/devices/pci0000:00/0000:00:1f.2; S=$P/ata1/host0/target0:0:0/0:0:0:0; "
                "mkdir -p $S/block/sda/sda2 sys/devices/virtual/block/dm-0/dm sys/devices/virtual/block/dm-0/slaves "
                "sys/bus/pci/drivers/ahci sys/bus/scsi/drivers/sd sys/dev/block; "
                "ln -s ../../../../module/ahci sys/bus/pci/drivers/ahci/module; "
                "ln -s ../../../../module/sd_mod sys/bus/scsi/drivers/sd/module; "
                "ln -s \"$PWD/sys/bus/pci/drivers/ahci\" $P/driver; ln -s \"$PWD/sys/bus/scsi/drivers/sd\" $S/driver; "
                "echo pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01 > $P/modalias; "
                "echo scsi:t-0x00 > $S/modalias; "
                "ln -s ../../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2 sys/dev/block/8:2; "
                "ln -s ../../devices/virtual/block/dm-0 sys/dev/block/254:0; "
                "ln -s ../../../../pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2 "
                "sys/devices/virtual/block/dm-0/slaves/sda2; "
                "echo CRYPT-LUKS2-0123-root > sys/devices/virtual/block/dm-0/dm/uuid; "
                "printf '22 1 0:20 / / rw - tmpfs none rw\\n29 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\\n"
                "30 29 0:5 / /dev rw - devtmpfs udev rw\\n' > plain; "
                "printf '29 1 254:0 / / rw,relatime - xfs /dev/mapper/root rw\\n' > crypt", d);
        return cmd && system(cmd) == 0 ? 0 : -EIO;
}

TEST(hostonly_fake_sysfs) {
        _cleanup_rmtree_ char *d = tmpdir();
        _cleanup_free_ char *plain = strdup_printf("%s/plain", d), *crypt = strdup_printf("%s/crypt", d);
        _cleanup_free_ char *sys = strdup_printf("%s/sys", d), *a = NULL, *b = NULL;
        _cleanup_strv_free_ char **l1 = NULL, **l2 = NULL;

        ASSERT_OK(make_sysfs(d));
        ASSERT_OK(initramfs_hostonly_modules_at(plain, sys, &l1));
        a = strv_join(l1, ",");
        ASSERT_STREQ(a, "sd_mod,scsi:t-0x00,ahci,pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01,fs-ext4");
        ASSERT_OK(initramfs_hostonly_modules_at(crypt, sys, &l2));
        b = strv_join(l2, ",");
        ASSERT_STREQ(b, "dm_mod,dm_crypt,sd_mod,scsi:t-0x00,ahci,pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01,"
                        "fs-xfs");
        ASSERT_ERR(initramfs_hostonly_modules_at(sys, sys, &l2), -EISDIR);
}

TEST(hostonly_needs_the_real_root) {
        _cleanup_rmtree_ char *d = tmpdir();
        _cleanup_strv_free_ char **l = NULL;
        struct root r;

        ASSERT_OK(root_open(d, &r));
        ASSERT_ERR(initramfs_hostonly_modules(&r, &l), -EINVAL);
        root_done(&r);
        log_clear();
        ASSERT_OK(root_open("/", &r));
        ASSERT_OK(initramfs_hostonly_modules(&r, &l)); /* whatever this machine has */
        ASSERT_TRUE(strv_length(l) >= 1 && startswith(l[strv_length(l) - 1], "fs-"));
        root_done(&r);
        log_clear();
}

/* modinfo aliases are outside data: one with a newline could add lines of its
 * own to modules.alias-initramfs, one with a space would shift the fields. */
TEST(alias_index_refuses_separators) {
        char *a_aliases[] = { "virtio:d00000002v*", "x\nalias fs-ext4 kernel/a.ko", "b c", "", NULL };
        char *b_aliases[] = { "fs-b", NULL };
        size_t b_before[] = { 0 };
        struct ir_module mods[] = {
                { .name = "a", .image_path = "kernel/a.ko", .aliases = a_aliases },
                { .name = "b", .image_path = "kernel/b c.ko", .aliases = b_aliases, .before = b_before, .n_before = 1 },
        };
        struct ir_modset s = { .modules = mods, .n = 2 };
        _cleanup_free_ char *text = NULL;
        size_t len = 0;

        ASSERT_OK(builtin_alias_index(&s, &text, &len));
        ASSERT_STREQ(text, "# module NAME PATH [DEP...] / alias GLOB PATH (paths relative to this directory)\n"
                           "module a kernel/a.ko\n"
                           "alias virtio:d00000002v* kernel/a.ko\n");
}
