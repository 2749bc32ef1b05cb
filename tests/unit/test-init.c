/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure parts of the initramfs's /init: the kernel command line, mount
 * options, superblocks and partition tables on synthetic buffers, and the
 * coldplug alias table. */
#include <errno.h>
#include <stdint.h>
#include <sys/mount.h>

#include "test.h"
#include "init/cmdline.h"
#include "init/modules.h"
#include "init/probe.h"

/* ------------------------------------------------------------ cmdline */

TEST(cmdline_defaults) {
        struct init_cmdline c;

        cmdline_parse("BOOT_IMAGE=/vmlinuz console=ttyS0", &c);
        ASSERT_EQ(c.root.kind, ROOT_NONE);
        ASSERT_STREQ(c.init, "/sbin/init");
        ASSERT_FALSE(c.init_given);
        ASSERT_FALSE(c.rw);
        ASSERT_FALSE(c.debug);
        ASSERT_EQ(c.brk, BREAK_NONE);
        ASSERT_EQ(c.timeout_s, 30);
        ASSERT_STREQ(c.rootfstype, "");
        ASSERT_STREQ(c.problem, "");
}

TEST(cmdline_root_kinds) {
        struct init_cmdline c;

        cmdline_parse("root=UUID=0b8c8f0e-46c6-4a3f-9d2b-7f3f1f0c8a11 ro", &c);
        ASSERT_EQ(c.root.kind, ROOT_UUID);
        ASSERT_STREQ(c.root.value, "0b8c8f0e-46c6-4a3f-9d2b-7f3f1f0c8a11");
        ASSERT_STREQ(c.root_arg, "root=UUID=0b8c8f0e-46c6-4a3f-9d2b-7f3f1f0c8a11");

        cmdline_parse("root=/dev/vda2", &c);
        ASSERT_EQ(c.root.kind, ROOT_PATH);
        ASSERT_STREQ(c.root.value, "/dev/vda2");

        cmdline_parse("root=PARTUUID=6b2f5d41-01", &c);
        ASSERT_EQ(c.root.kind, ROOT_PARTUUID);
        ASSERT_STREQ(c.root.value, "6b2f5d41-01");

        cmdline_parse("root=PARTLABEL=root-x86-64", &c);
        ASSERT_EQ(c.root.kind, ROOT_PARTLABEL);
        ASSERT_STREQ(c.root.value, "root-x86-64");

        cmdline_parse("root=LABEL=rootfs", &c);
        ASSERT_EQ(c.root.kind, ROOT_LABEL);

        cmdline_parse("root=254:3", &c);
        ASSERT_EQ(c.root.kind, ROOT_DEVNUM);
        ASSERT_EQ(c.root.major, 254);
        ASSERT_EQ(c.root.minor, 3);

        cmdline_parse("root=vdb", &c);
        ASSERT_EQ(c.root.kind, ROOT_PATH);
        ASSERT_STREQ(c.root.value, "/dev/vdb");
}

TEST(cmdline_root_by_links) {
        struct root_spec s;

        ASSERT_OK(root_spec_parse("/dev/disk/by-uuid/abcd-1234", &s));
        ASSERT_EQ(s.kind, ROOT_UUID);
        ASSERT_STREQ(s.value, "abcd-1234");
        ASSERT_OK(root_spec_parse("/dev/disk/by-label/my\\x20root", &s));
        ASSERT_EQ(s.kind, ROOT_LABEL);
        ASSERT_STREQ(s.value, "my root");
        ASSERT_OK(root_spec_parse("/dev/disk/by-partuuid/6b2f5d41-01", &s));
        ASSERT_EQ(s.kind, ROOT_PARTUUID);
        ASSERT_OK(root_spec_parse("/dev/disk/by-partlabel/root", &s));
        ASSERT_EQ(s.kind, ROOT_PARTLABEL);
}

TEST(cmdline_root_bad) {
        struct init_cmdline c;
        struct root_spec s;

        ASSERT_ERR(root_spec_parse("", &s), -EINVAL);
        ASSERT_ERR(root_spec_parse("UUID=", &s), -EINVAL);
        ASSERT_ERR(root_spec_parse("PARTUUID=6b2f5d41-01/PARTNROFF=1", &s), -EINVAL);
        ASSERT_ERR(root_spec_parse("foo=bar", &s), -EINVAL);
        ASSERT_ERR(root_spec_parse("/dev/../etc", &s), -EINVAL);
        ASSERT_ERR(root_spec_parse("/dev/..", &s), -EINVAL);
        ASSERT_ERR(root_spec_parse("/..", &s), -EINVAL);
        ASSERT_OK(root_spec_parse("/dev/disk/by-label/..", &s)); /* a label, not a path */
        ASSERT_EQ(s.kind, ROOT_LABEL);
        ASSERT_ERR(root_spec_parse("a/b", &s), -EINVAL);

        /* A bad root= after a good one leaves the good one and says why. */
        cmdline_parse("root=/dev/vda root=UUID= quiet", &c);
        ASSERT_EQ(c.root.kind, ROOT_PATH);
        ASSERT_STREQ(c.root.value, "/dev/vda");
        ASSERT_TRUE(strstr(c.problem, "'root=UUID='") != NULL);
        ASSERT_TRUE(c.quiet);
}

TEST(cmdline_later_wins_and_flags) {
        struct init_cmdline c;

        cmdline_parse("root=/dev/vda ro root=LABEL=x rw rootfstype=ext4,xfs rootflags=noatime,data=journal "
                      "init=/lib/systemd/systemd rd.debug rd.timeout=5",
                      &c);
        ASSERT_EQ(c.root.kind, ROOT_LABEL);
        ASSERT_STREQ(c.root.value, "x");
        ASSERT_TRUE(c.rw);
        ASSERT_STREQ(c.rootfstype, "ext4,xfs");
        ASSERT_STREQ(c.rootflags, "noatime,data=journal");
        ASSERT_STREQ(c.init, "/lib/systemd/systemd");
        ASSERT_TRUE(c.init_given);
        ASSERT_TRUE(c.debug);
        ASSERT_EQ(c.timeout_s, 5);

        cmdline_parse("rw ro rd.timeout=0", &c);
        ASSERT_FALSE(c.rw);
        ASSERT_EQ(c.timeout_s, 0);
}

TEST(cmdline_quotes) {
        struct init_cmdline c;

        cmdline_parse("root=\"LABEL=my root\" quiet", &c);
        ASSERT_EQ(c.root.kind, ROOT_LABEL);
        ASSERT_STREQ(c.root.value, "my root");
        ASSERT_TRUE(c.quiet);

        cmdline_parse("root=LABEL=\"my root\"\trw", &c);
        ASSERT_STREQ(c.root.value, "my root");
        ASSERT_TRUE(c.rw);
}

TEST(cmdline_stops_at_dashes) {
        struct init_cmdline c;

        cmdline_parse("root=/dev/vda -- root=/dev/vdb rw", &c);
        ASSERT_STREQ(c.root.value, "/dev/vda");
        ASSERT_FALSE(c.rw);
}

TEST(cmdline_bad_values) {
        struct init_cmdline c;

        cmdline_parse("rd.timeout=abc init=sbin/init", &c);
        ASSERT_EQ(c.timeout_s, 30);
        ASSERT_STREQ(c.init, "/sbin/init");
        ASSERT_TRUE(strstr(c.problem, "rd.timeout=abc") != NULL);

        cmdline_parse("init=sbin/init", &c);
        ASSERT_TRUE(strstr(c.problem, "not an absolute path") != NULL);
        ASSERT_FALSE(c.init_given);

        cmdline_parse("rd.timeout=-1", &c);
        ASSERT_EQ(c.timeout_s, 30);
        ASSERT_TRUE(c.problem[0] != 0);
}

TEST(cmdline_break) {
        struct init_cmdline c;

        cmdline_parse("rd.break", &c);
        ASSERT_EQ(c.brk, BREAK_PRE_PIVOT);
        cmdline_parse("rd.break=pre-mount", &c);
        ASSERT_EQ(c.brk, BREAK_PRE_MOUNT);
        cmdline_parse("rd.break=pre-pivot", &c);
        ASSERT_EQ(c.brk, BREAK_PRE_PIVOT);
        cmdline_parse("rd.break=somewhere", &c);
        ASSERT_EQ(c.brk, BREAK_PRE_PIVOT);
        ASSERT_TRUE(c.problem[0] != 0);
}

TEST(cmdline_long_word) {
        char buf[1200], *p = buf;
        struct init_cmdline c;

        p += sprintf(p, "root=/dev/");
        memset(p, 'a', 700);
        p[700] = 0;
        strcat(buf, " rw");
        cmdline_parse(buf, &c);
        ASSERT_EQ(c.root.kind, ROOT_NONE);
        ASSERT_TRUE(c.rw);
        ASSERT_TRUE(strstr(c.problem, "too long") != NULL);
}

TEST(cmdline_blacklist) {
        struct init_cmdline c;

        cmdline_parse("modprobe.blacklist=nouveau,floppy rd.driver.blacklist=pcspkr", &c);
        ASSERT_STREQ(c.blacklist, "nouveau,floppy,pcspkr");
        ASSERT_TRUE(module_list_contains(c.blacklist, "floppy"));
        ASSERT_TRUE(module_list_contains("virtio-blk", "virtio_blk"));
        ASSERT_FALSE(module_list_contains(c.blacklist, "flop"));
        ASSERT_FALSE(module_list_contains("", "x"));
}

TEST(cmdline_module_params) {
        char buf[128];

        ASSERT_OK(cmdline_module_params("root=/dev/vda virtio_blk.queue_depth=64 ext4.x=1 virtio-blk.poll_queues=2 "
                                        "virtio_blk.name=\"a b\" virtio_blkx.y=1 virtio_blk.=3",
                                        "virtio_blk", buf, sizeof(buf)));
        ASSERT_STREQ(buf, "queue_depth=64 poll_queues=2 name=\"a b\"");
        ASSERT_OK(cmdline_module_params("quiet", "ext4", buf, sizeof(buf)));
        ASSERT_STREQ(buf, "");
        ASSERT_ERR(cmdline_module_params("m.aaaaaaaaaaaaaaaa=1 m.b=2", "m", buf, 10), -ENAMETOOLONG);
        /* White space the quotes kept stays inside one parameter for the kernel too */
        ASSERT_OK(cmdline_module_params("m.a=\"x\ny=1\" m.\"b c\"=2 m.\"d e\"", "m", buf, sizeof(buf)));
        ASSERT_STREQ(buf, "a=\"x\ny=1\" \"b c=2\" \"d e\"");
}

/* The blacklist holds 255 bytes, whether given in one word or in several. */
TEST(cmdline_blacklist_full) {
        struct init_cmdline c;
        char line[300];

        snprintf(line, sizeof(line), "modprobe.blacklist=%0255d", 0);
        cmdline_parse(line, &c);
        ASSERT_EQ(strlen(c.blacklist), 255);
        ASSERT_STREQ(c.problem, "");
}

/* A root= too long for root_arg is ignored as a whole: the messages that name
 * root_arg must name the root that is looked for. */
TEST(cmdline_root_arg_too_long) {
        struct init_cmdline c;
        char line[600];

        snprintf(line, sizeof(line), "root=/dev/vda root=/dev/%0252d", 0);
        cmdline_parse(line, &c);
        ASSERT_STREQ(c.root.value, "/dev/vda");
        ASSERT_STREQ(c.root_arg, "root=/dev/vda");
        ASSERT_TRUE(strstr(c.problem, "too long") != NULL);
}

TEST(mount_options) {
        unsigned long flags = MS_RDONLY;
        char data[64];

        ASSERT_OK(mount_options_parse("noatime,errors=remount-ro,nodev,data=ordered", &flags, data, sizeof(data)));
        ASSERT_EQ(flags, MS_RDONLY | MS_NOATIME | MS_NODEV);
        ASSERT_STREQ(data, "errors=remount-ro,data=ordered");

        flags = MS_RDONLY;
        ASSERT_OK(mount_options_parse("rw,,defaults", &flags, data, sizeof(data)));
        ASSERT_EQ(flags, 0);
        ASSERT_STREQ(data, "");

        flags = 0;
        ASSERT_OK(mount_options_parse("", &flags, data, sizeof(data)));
        ASSERT_EQ(flags, 0);
        ASSERT_ERR(mount_options_parse("subvol=@rootfs-with-a-long-name", &flags, data, 8), -ENAMETOOLONG);
}

/* ------------------------------------------------------------ probe */

static uint8_t img[PROBE_READ_SIZE];

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t) v); put16(p + 2, (uint16_t) (v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t) v); put32(p + 4, (uint32_t) (v >> 32)); }

static const uint8_t uuid_bytes[16] = { 0x0b, 0x8c, 0x8f, 0x0e, 0x46, 0xc6, 0x4a, 0x3f,
                                        0x9d, 0x2b, 0x7f, 0x3f, 0x1f, 0x0c, 0x8a, 0x11 };
#define UUID_STR "0b8c8f0e-46c6-4a3f-9d2b-7f3f1f0c8a11"

static void make_ext(uint32_t compat, uint32_t incompat, uint32_t ro_compat, const char *label) {
        uint8_t *sb = img + 1024;

        memset(img, 0, sizeof(img));
        put16(sb + 0x38, 0xEF53);
        put32(sb + 0x5C, compat);
        put32(sb + 0x60, incompat);
        put32(sb + 0x64, ro_compat);
        memcpy(sb + 0x68, uuid_bytes, 16);
        /* the volume name field: up to 16 bytes, NUL-padded, not terminated */
        memcpy(sb + 0x78, label, strnlen(label, 16));
}

TEST(probe_ext4) {
        struct probe_fs fs;

        /* mkfs.ext4's usual: has_journal ext_attr resize_inode dir_index; filetype extents 64bit flex_bg ... */
        make_ext(0x3c, 0x2c2, 0x46b, "rootfs");
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 1);
        ASSERT_STREQ(fs.type, "ext4");
        ASSERT_STREQ(fs.uuid, UUID_STR);
        ASSERT_STREQ(fs.label, "rootfs");

        /* A 16-byte label has no NUL. */
        make_ext(0x3c, 0x2c2, 0x46b, "0123456789abcdef");
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 1);
        ASSERT_STREQ(fs.label, "0123456789abcdef");

        make_ext(0x3c, 0x2, 0x3, "");
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 1);
        ASSERT_STREQ(fs.type, "ext3");
        ASSERT_STREQ(fs.label, "");

        make_ext(0x38, 0x2, 0x3, "");
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 1);
        ASSERT_STREQ(fs.type, "ext2");

        make_ext(0, 0x8, 0, "");
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 1);
        ASSERT_STREQ(fs.type, "jbd");

        /* Cut short before the superblock's end: not recognised, no overread. */
        make_ext(0x3c, 0x2c2, 0x46b, "rootfs");
        ASSERT_EQ(probe_filesystem(img, 1100, &fs), 0);
        ASSERT_STREQ(fs.type, "");
}

TEST(probe_xfs_btrfs) {
        struct probe_fs fs;

        memset(img, 0, sizeof(img));
        memcpy(img, "XFSB", 4);
        memcpy(img + 32, uuid_bytes, 16);
        memcpy(img + 108, "xfsroot", 7);
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 1);
        ASSERT_STREQ(fs.type, "xfs");
        ASSERT_STREQ(fs.uuid, UUID_STR);
        ASSERT_STREQ(fs.label, "xfsroot");

        memset(img, 0, sizeof(img));
        memcpy(img + 0x10000 + 0x20, uuid_bytes, 16);
        memcpy(img + 0x10000 + 0x40, "_BHRfS_M", 8);
        memcpy(img + 0x10000 + 0x12b, "btr", 3);
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 1);
        ASSERT_STREQ(fs.type, "btrfs");
        ASSERT_STREQ(fs.uuid, UUID_STR);
        ASSERT_STREQ(fs.label, "btr");
        ASSERT_EQ(probe_filesystem(img, 0x10000 + 0x100, &fs), 0);
}

static void make_fat_bpb(void) {
        memset(img, 0, sizeof(img));
        put16(img + 11, 512);
        img[13] = 8;
        put16(img + 14, 32);
        img[16] = 2;
        img[510] = 0x55;
        img[511] = 0xAA;
}

TEST(probe_vfat) {
        struct probe_fs fs;

        make_fat_bpb();
        img[0x42] = 0x29;
        put32(img + 0x43, 0x1234ABCD);
        memcpy(img + 0x47, "EFI        ", 11);
        memcpy(img + 0x52, "FAT32   ", 8);
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 1);
        ASSERT_STREQ(fs.type, "vfat");
        ASSERT_STREQ(fs.uuid, "1234-ABCD");
        ASSERT_STREQ(fs.label, "EFI");

        make_fat_bpb();
        img[0x26] = 0x29;
        put32(img + 0x27, 0xDEADBEEF);
        memcpy(img + 0x2b, "NO NAME    ", 11);
        memcpy(img + 0x36, "FAT16   ", 8);
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 1);
        ASSERT_STREQ(fs.uuid, "DEAD-BEEF");
        ASSERT_STREQ(fs.label, "");

        /* An MBR is not a FAT boot sector. */
        memset(img, 0, sizeof(img));
        img[510] = 0x55;
        img[511] = 0xAA;
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 0);
}

TEST(probe_nothing) {
        struct probe_fs fs;

        memset(img, 0, sizeof(img));
        ASSERT_EQ(probe_filesystem(img, sizeof(img), &fs), 0);
        ASSERT_EQ(probe_filesystem(img, 0, &fs), 0);
}

TEST(crc32_and_guid) {
        /* The GUID of the EFI system partition type, as stored on disk. */
        static const uint8_t esp[16] = { 0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
                                         0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B };
        char s[37];

        ASSERT_EQ(probe_crc32(0, (const uint8_t *) "123456789", 9), 0xCBF43926u);
        guid_format(esp, s);
        ASSERT_STREQ(s, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
}

static void make_gpt_header(uint8_t *h, uint32_t n, uint32_t esize) {
        memset(h, 0, 512);
        memcpy(h, "EFI PART", 8);
        put32(h + 8, 0x00010000);
        put32(h + 12, 92);
        put64(h + 24, 1);
        put64(h + 32, 2047);
        put64(h + 40, 34);
        put64(h + 48, 2014);
        memcpy(h + 56, uuid_bytes, 16);
        put64(h + 72, 2);
        put32(h + 80, n);
        put32(h + 84, esize);
        put32(h + 16, probe_crc32(0, h, 92));
}

TEST(gpt_header) {
        struct gpt_header g;
        uint8_t h[512];

        make_gpt_header(h, 128, 128);
        ASSERT_OK(gpt_parse_header(h, sizeof(h), &g));
        ASSERT_EQ(g.entries_lba, 2);
        ASSERT_EQ(g.n_entries, 128);
        ASSERT_EQ(g.entry_size, 128);
        ASSERT_STREQ(g.disk_guid, "0e8f8c0b-c646-3f4a-9d2b-7f3f1f0c8a11");

        h[60] ^= 1; /* a flipped bit: the CRC no longer matches */
        ASSERT_ERR(gpt_parse_header(h, sizeof(h), &g), -EBADMSG);
        make_gpt_header(h, 128, 100); /* entries smaller than 128 bytes */
        ASSERT_ERR(gpt_parse_header(h, sizeof(h), &g), -EBADMSG);
        make_gpt_header(h, 128, 128);
        ASSERT_ERR(gpt_parse_header(h, 64, &g), -EBADMSG);
        h[0] = 'X';
        ASSERT_ERR(gpt_parse_header(h, sizeof(h), &g), -EBADMSG);
}

TEST(gpt_entry) {
        uint8_t e[128] = { 0 };
        char uuid[37], label[112];
        const char *name = "root";

        ASSERT_ERR(gpt_parse_entry(e, sizeof(e), uuid, label, sizeof(label)), -ENOENT);
        e[0] = 0xAF; /* any non-zero type */
        memcpy(e + 16, uuid_bytes, 16);
        for (size_t i = 0; name[i]; i++)
                put16(e + 56 + 2 * i, (uint16_t) name[i]);
        put16(e + 56 + 8, 0x00E9); /* é */
        put16(e + 56 + 10, 0x20AC); /* € */
        put16(e + 56 + 12, 0xD83D); /* U+1F600 as a surrogate pair */
        put16(e + 56 + 14, 0xDE00);
        ASSERT_OK(gpt_parse_entry(e, sizeof(e), uuid, label, sizeof(label)));
        ASSERT_STREQ(uuid, "0e8f8c0b-c646-3f4a-9d2b-7f3f1f0c8a11");
        ASSERT_STREQ(label, "root\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");

        /* Truncated to the buffer, never a partial character. */
        ASSERT_OK(gpt_parse_entry(e, sizeof(e), uuid, label, 7));
        ASSERT_STREQ(label, "root\xc3\xa9");
        ASSERT_ERR(gpt_parse_entry(e, 100, uuid, label, sizeof(label)), -EBADMSG);
}

TEST(mbr) {
        uint8_t s[512] = { 0 };
        uint32_t sig = 0;

        ASSERT_EQ(mbr_parse(s, sizeof(s), &sig), MBR_NONE);
        s[510] = 0x55;
        s[511] = 0xAA;
        put32(s + 440, 0x6b2f5d41);
        s[446 + 4] = 0x83;
        ASSERT_EQ(mbr_parse(s, sizeof(s), &sig), MBR_DOS);
        ASSERT_EQ(sig, 0x6b2f5d41);
        s[446 + 16 + 4] = 0xEE;
        ASSERT_EQ(mbr_parse(s, sizeof(s), &sig), MBR_PROTECTIVE);
        ASSERT_EQ(mbr_parse(s, 100, &sig), MBR_NONE);
}

/* ------------------------------------------------------------ aliases */

static const char alias_text[] =
        "# generated\n"
        "pci:v00001AF4d00001000sv*sd*bc*sc*i*\tkernel/drivers/virtio/virtio_pci.ko\tkernel/drivers/virtio/virtio.ko\tkernel/drivers/virtio/virtio_ring.ko\n"
        "pci:v00001AF4d*sv*sd*bc*sc*i*\tkernel/drivers/virtio/virtio_pci.ko\tkernel/drivers/virtio/virtio.ko\n"
        "virtio:d00000002v*\tkernel/drivers/block/virtio_blk.ko\n"
        "\n"
        "fs-ext4\tkernel/fs/ext4/ext4.ko\tkernel/lib/crc16.ko\n"
        "no-module-here\n"
        "bad\t/abs/path.ko\n"
        "bad2\tkernel/ok.ko\t../escape.ko\n"
        "*:c[0-9]*\tkernel/any.ko\r\n"
        "last\tkernel/last.ko";

static int parse_sample(struct alias_table *t) {
        char *buf = strdup(alias_text);
        return buf ? alias_table_parse(buf, t) : -ENOMEM;
}

TEST(alias_parse) {
        struct alias_table t;

        ASSERT_OK(parse_sample(&t));
        ASSERT_EQ(t.n, 6);
        ASSERT_EQ(t.n_bad, 3);
        ASSERT_STREQ(t.entries[0].pattern, "pci:v00001AF4d00001000sv*sd*bc*sc*i*");
        ASSERT_STREQ(t.entries[0].module, "kernel/drivers/virtio/virtio_pci.ko");
        ASSERT_STREQ(t.entries[0].deps, "kernel/drivers/virtio/virtio.ko\tkernel/drivers/virtio/virtio_ring.ko");
        ASSERT_STREQ(t.entries[2].deps, "");
        ASSERT_STREQ(t.entries[4].module, "kernel/any.ko");
        ASSERT_STREQ(t.entries[5].module, "kernel/last.ko");
        alias_table_done(&t);
}

TEST(alias_match) {
        const struct alias_entry *e;
        struct alias_table t;
        size_t i = 0;

        ASSERT_OK(parse_sample(&t));
        e = alias_table_match(&t, "pci:v00001AF4d00001000sv00001AF4sd00000002bc01sc00i00", &i);
        ASSERT_TRUE(e == &t.entries[0]);
        e = alias_table_match(&t, "pci:v00001AF4d00001000sv00001AF4sd00000002bc01sc00i00", &i);
        ASSERT_TRUE(e == &t.entries[1]);
        e = alias_table_match(&t, "pci:v00001AF4d00001000sv00001AF4sd00000002bc01sc00i00", &i);
        ASSERT_NULL(e);

        i = 0;
        e = alias_table_match(&t, "virtio:d00000002v00001AF4", &i);
        ASSERT_TRUE(e != NULL && strcmp(e->module, "kernel/drivers/block/virtio_blk.ko") == 0);
        ASSERT_NULL(alias_table_match(&t, "virtio:d00000002v00001AF4", &i));

        i = 0;
        ASSERT_NULL(alias_table_match(&t, "virtio:d00000001v00001AF4", &i));
        i = 0;
        e = alias_table_match(&t, "usb:c7x", &i);
        ASSERT_TRUE(e != NULL && strcmp(e->module, "kernel/any.ko") == 0);

        ASSERT_TRUE(alias_table_find(&t, "fs-ext4") == &t.entries[3]);
        ASSERT_NULL(alias_table_find(&t, "fs-xfs"));
        alias_table_done(&t);
}

TEST(alias_deps) {
        const char *deps = "a/x.ko\tb/y.ko\t\tc/z.ko";
        char buf[16];

        ASSERT_TRUE(alias_next_dep(&deps, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "a/x.ko");
        ASSERT_TRUE(alias_next_dep(&deps, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "b/y.ko");
        ASSERT_TRUE(alias_next_dep(&deps, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "c/z.ko");
        ASSERT_FALSE(alias_next_dep(&deps, buf, sizeof(buf)));

        deps = "much/too/long/for/the/buffer.ko\tok.ko";
        ASSERT_TRUE(alias_next_dep(&deps, buf, sizeof(buf)));
        ASSERT_STREQ(buf, "ok.ko");
}

TEST(alias_empty) {
        struct alias_table t;
        char *buf = strdup("");
        size_t i = 0;

        ASSERT_OK(alias_table_parse(buf, &t));
        ASSERT_EQ(t.n, 0);
        ASSERT_NULL(alias_table_match(&t, "pci:x", &i));
        alias_table_done(&t);
}

TEST(module_paths) {
        char name[32];

        ASSERT_TRUE(module_path_ok("kernel/fs/ext4/ext4.ko"));
        ASSERT_TRUE(module_path_ok("updates/dkms/v4l2loopback.ko"));
        ASSERT_FALSE(module_path_ok(""));
        ASSERT_FALSE(module_path_ok("/kernel/x.ko"));
        ASSERT_FALSE(module_path_ok("kernel/../../x.ko"));
        ASSERT_FALSE(module_path_ok(".."));
        ASSERT_FALSE(module_path_ok("kernel//x.ko"));
        ASSERT_FALSE(module_path_ok("kernel/"));
        ASSERT_TRUE(module_path_ok("kernel/..x/a.ko"));

        module_name_from_path("kernel/arch/x86/crypto/crc32c-intel.ko", name, sizeof(name));
        ASSERT_STREQ(name, "crc32c_intel");
        module_name_from_path("ext4.ko.xz", name, sizeof(name));
        ASSERT_STREQ(name, "ext4");
        module_name_from_path("kernel/drivers/block/virtio_blk.ko", name, 7);
        ASSERT_STREQ(name, "virtio");
}

TEST(alias_table_generator_format) {
        /* the format src/initramfs/initramfs.h documents */
        char *buf = strdup("# comment\n"
                           "module virtio_ring kernel/drivers/virtio/virtio_ring.ko\n"
                           "module virtio_blk kernel/drivers/block/virtio_blk.ko kernel/drivers/virtio/virtio_ring.ko\n"
                           "alias virtio:d00000002v* kernel/drivers/block/virtio_blk.ko\n"
                           "alias fs-ext4 kernel/fs/ext4/ext4.ko\n");
        struct alias_table t;
        const struct alias_entry *e;
        const char *deps;
        char dep[256];
        size_t i = 0;

        ASSERT_OK(alias_table_parse(buf, &t));
        ASSERT_EQ(t.n, 1);
        ASSERT_EQ(t.n_bad, 1); /* the alias of a module without a module line */
        e = alias_table_match(&t, "virtio:d00000002v00001AF4", &i);
        ASSERT_TRUE(e != NULL);
        ASSERT_STREQ(e->module, "kernel/drivers/block/virtio_blk.ko");
        deps = e->deps;
        ASSERT_TRUE(alias_next_dep(&deps, dep, sizeof dep));
        ASSERT_STREQ(dep, "kernel/drivers/virtio/virtio_ring.ko");
        ASSERT_FALSE(alias_next_dep(&deps, dep, sizeof dep));
        alias_table_done(&t);
}
