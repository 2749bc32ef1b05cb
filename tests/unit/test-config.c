/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include "test.h"
#include "logcapture.h"
#include "tmproot.h"
#include "boot/env.h"
#include "core/config.h"
#include "modpkg/builduser.h"

TEST(parse_values_and_comments) {
        struct config c;
        ASSERT_OK(config_parse("x.conf", "# comment\n\n jobs = 3 \nbuild-cc = ccache gcc\nfuture-key = 1\n", &c));
        ASSERT_EQ(c.jobs, 3);
        ASSERT_STREQ(c.build_cc, "ccache gcc");
        config_done(&c);
}

TEST(parse_errors) {
        struct config c;
        ASSERT_ERR(config_parse("x.conf", "jobs\n", &c), -EINVAL);
        ASSERT_ERR(config_parse("x.conf", "jobs = many\n", &c), -EINVAL);
        ASSERT_ERR(config_parse("x.conf", "jobs = -1\n", &c), -EINVAL);
}

TEST(boot_keys) {
        struct config c;
        ASSERT_OK(config_parse("x.conf", "", &c));
        ASSERT_EQ(c.layout, LAYOUT_AUTO);
        ASSERT_EQ(config_keep(&c), 3);
        ASSERT_TRUE(c.esp == NULL);
        config_done(&c);
        ASSERT_OK(config_parse("x.conf", "layout = uki\nesp = /efi\nboot = auto\nkeep = 2\n"
                               "optional-packages = nvidia, v4l2loopback\nesp-auto-gc = yes\n"
                               "secureboot-key = /etc/sb/db.key\nlegacy-names = fedora\n"
                               "bootloader-hook = grub-mkconfig -o /boot/grub/grub.cfg\n", &c));
        ASSERT_EQ(c.layout, LAYOUT_UKI);
        ASSERT_STREQ(c.esp, "/efi");
        ASSERT_TRUE(c.boot == NULL);
        ASSERT_EQ(config_keep(&c), 2);
        ASSERT_STREQ(c.optional_packages[1], "v4l2loopback");
        ASSERT_TRUE(c.esp_auto_gc);
        ASSERT_STREQ(c.secureboot_key, "/etc/sb/db.key");
        ASSERT_EQ(c.legacy_names, LEGACY_NAMES_FEDORA);
        ASSERT_STREQ(c.bootloader_hook, "grub-mkconfig -o /boot/grub/grub.cfg");
        config_done(&c);
        ASSERT_ERR(config_parse("x.conf", "layout = grub\n", &c), -EINVAL);
        ASSERT_ERR(config_parse("x.conf", "keep = 0\n", &c), -EINVAL);
}

TEST(initramfs_keys) {
        struct config c;
        ASSERT_OK(config_parse("x.conf", "initramfs = dracut\ninitramfs-packages = zfs spl\n"
                               "initramfs-modules = nvme\ninitramfs-compress = xz:6\ninitramfs-hostonly = yes\n", &c));
        ASSERT_EQ(c.initramfs, INITRAMFS_DRACUT);
        ASSERT_STREQ(c.initramfs_packages[1], "spl");
        ASSERT_STREQ(c.initramfs_modules[0], "nvme");
        ASSERT_STREQ(c.initramfs_compress, "xz:6");
        ASSERT_TRUE(c.initramfs_hostonly);
        config_done(&c);
        ASSERT_ERR(config_parse("x.conf", "initramfs = mkinitcpio\n", &c), -EINVAL);
        ASSERT_ERR(config_parse("x.conf", "initramfs-hostonly = maybe\n", &c), -EINVAL);
}

TEST(build_user_key) {
        struct config c;
        ASSERT_OK(config_parse("x.conf", "", &c));
        ASSERT_NULL(c.build_user);
        config_done(&c);
        ASSERT_OK(config_parse("x.conf", "build-user = builder\n", &c));
        ASSERT_STREQ(c.build_user, "builder");
        config_done(&c);
}

/* unset: the dedicated user for the host's "/", root for a sandbox root;
 * set, always what was set */
TEST(build_user_name) {
        ASSERT_STREQ(build_user_name(NULL, true), BUILD_USER_DEFAULT);
        ASSERT_STREQ(build_user_name("", true), BUILD_USER_DEFAULT);
        ASSERT_STREQ(build_user_name(NULL, false), "root");
        ASSERT_STREQ(build_user_name("root", true), "root");
        ASSERT_STREQ(build_user_name("builder", false), "builder");
        ASSERT_STREQ(build_user_name("builder", true), "builder");
}

static char *passwd_file(const char *dir, const char *text) {
        char *p = strdup_printf("%s/passwd", dir);
        int fd = p ? open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
        if (fd < 0 || fd_write_all(fd, text, strlen(text)) < 0)
                abort();
        close(fd);
        return p;
}

TEST(build_user_resolve) {
        _cleanup_free_ char *dir = mkroot(), *pw = NULL;
        struct build_user u = {};

        ASSERT_TRUE(dir);
        pw = passwd_file(dir, "root:x:0:0:root:/root:/bin/bash\n"
                              BUILD_USER_DEFAULT ":x:991:987:builds:/nonexistent:/usr/sbin/nologin\n"
                              "builder:x:1200:1300::/home/builder:/bin/sh\n");
        /* the host's "/" without the key: the dedicated user */
        ASSERT_OK(build_user_resolve(NULL, true, pw, &u));
        ASSERT_STREQ(u.name, BUILD_USER_DEFAULT);
        ASSERT_EQ(u.id.uid, 991);
        ASSERT_EQ(u.id.gid, 987);
        ASSERT_FALSE(u.privileged);
        ASSERT_TRUE(build_user_spawn(&u) == &u.id);
        build_user_done(&u);
        /* a sandbox root without the key: root, nothing dropped */
        ASSERT_OK(build_user_resolve(NULL, false, pw, &u));
        ASSERT_STREQ(u.name, "root");
        ASSERT_TRUE(u.privileged);
        ASSERT_NULL(build_user_spawn(&u));
        build_user_done(&u);
        /* an explicit user, whatever the root */
        ASSERT_OK(build_user_resolve("builder", false, pw, &u));
        ASSERT_EQ(u.id.uid, 1200);
        ASSERT_EQ(u.id.gid, 1300);
        build_user_done(&u);
        ASSERT_OK(build_user_resolve("root", true, pw, &u));
        ASSERT_NULL(build_user_spawn(&u));
        build_user_done(&u);
        rmroot(TAKE_PTR(dir));
}

/* a missing user is an error naming it and the fix; never root instead */
TEST(build_user_missing) {
        _cleanup_free_ char *dir = mkroot(), *pw = NULL;
        struct build_user u = {};

        ASSERT_TRUE(dir);
        pw = passwd_file(dir, "root:x:0:0:root:/root:/bin/bash\n");
        logs_reset();
        ASSERT_ERR(build_user_resolve(NULL, true, pw, &u), -ESRCH);
        ASSERT_MSG("build user '" BUILD_USER_DEFAULT "' does not exist");
        ASSERT_MSG("systemd-sysusers");
        ASSERT_MSG("'build-user = root'");
        ASSERT_NULL(u.name);
        ASSERT_ERR(build_user_resolve("nobody-here", false, pw, &u), -ESRCH);
        ASSERT_MSG("build user 'nobody-here' (build-user in distkernel.conf) does not exist");
        ASSERT_NULL(u.name);
        ASSERT_ERR(build_user_resolve("x", false, "/nonexistent/passwd", &u), -ENOENT);
        ASSERT_MSG("'/nonexistent/passwd'");
        rmroot(TAKE_PTR(dir));
}

/* List items are separated by any white space (as values are trimmed of):
 * a carriage return was an item of its own. */
TEST(list_split_on_any_white_space) {
        struct config c;

        ASSERT_OK(config_parse("x.conf", "initramfs-modules = nvme \r ahci,\vext4\f\r\n", &c));
        ASSERT_EQ(strv_length(c.initramfs_modules), 3);
        ASSERT_STREQ(c.initramfs_modules[0], "nvme");
        ASSERT_STREQ(c.initramfs_modules[1], "ahci");
        ASSERT_STREQ(c.initramfs_modules[2], "ext4");
        config_done(&c);
}

/* A root holding only /etc/distkernel/distkernel.conf with len bytes of text. */
static int config_root(char *dir, const char *text, size_t len) {
        _cleanup_free_ char *etc = NULL, *conf = NULL, *file = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (!mkdtemp(dir))
                return -errno;
        etc = strdup_printf("%s/etc", dir);
        conf = strdup_printf("%s/etc/distkernel", dir);
        file = strdup_printf("%s/etc/distkernel/distkernel.conf", dir);
        if (!etc || !conf || !file || mkdir(etc, 0755) < 0 || mkdir(conf, 0755) < 0)
                return -1;
        fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        return fd < 0 ? -1 : fd_write_all(fd, text, len);
}

static void config_root_remove(const char *dir) {
        _cleanup_free_ char *file = strdup_printf("%s/etc/distkernel/distkernel.conf", dir);
        _cleanup_free_ char *conf = strdup_printf("%s/etc/distkernel", dir);
        _cleanup_free_ char *etc = strdup_printf("%s/etc", dir);

        (void) unlink(file);
        (void) rmdir(conf);
        (void) rmdir(etc);
        (void) rmdir(dir);
}

/* A NUL byte would end the text early and silently drop the lines after it. */
TEST(load_refuses_nul_byte) {
        static const char text[] = "jobs = 2\0layout = bogus\n";
        char dir[] = "/tmp/test-config-XXXXXX";
        struct root root = {};
        struct config c;

        logs_reset();
        ASSERT_OK(config_root(dir, text, sizeof text - 1));
        ASSERT_OK(root_open(dir, &root));
        ASSERT_ERR(config_load(&root, &c), -EINVAL);
        ASSERT_MSG("'/etc/distkernel/distkernel.conf': contains a NUL byte");
        root_done(&root);
        config_root_remove(dir);
}

TEST(kernel_cmdline_from_text) {
        static const char crlf[] = "root=/dev/vda2 ro\r\nquiet\v\f splash \n\n";
        static const char proc[] = "BOOT_IMAGE=/vmlinuz-6.1 root=/dev/vda2 initrd=\\initrd.img ro\n";
        static const char nul[] = "root=/dev/vda2\0 ro";
        _cleanup_free_ char *a = NULL, *b = NULL, *e = NULL;
        char *x = NULL;

        /* DOS line ends and other white space separate words, never end up in one */
        ASSERT_OK(boot_cmdline_from_text("/etc/kernel/cmdline", crlf, sizeof crlf - 1, false, &a));
        ASSERT_STREQ(a, "root=/dev/vda2 ro quiet splash");
        ASSERT_OK(boot_cmdline_from_text("/proc/cmdline", proc, sizeof proc - 1, true, &b));
        ASSERT_STREQ(b, "root=/dev/vda2 ro");
        ASSERT_OK(boot_cmdline_from_text("/etc/kernel/cmdline", "", 0, false, &e));
        ASSERT_STREQ(e, "");
        logs_reset();
        ASSERT_ERR(boot_cmdline_from_text("/etc/kernel/cmdline", nul, sizeof nul - 1, false, &x), -EBADMSG);
        ASSERT_MSG("'/etc/kernel/cmdline': contains a NUL byte");
        ASSERT_TRUE(x == NULL);
}

TEST(entry_token_valid) {
        ASSERT_TRUE(boot_token_valid("debian"));
        ASSERT_TRUE(boot_token_valid("0123456789abcdef0123456789abcdef"));
        ASSERT_TRUE(!boot_token_valid(".."));
        ASSERT_TRUE(!boot_token_valid("a/b"));
        ASSERT_TRUE(!boot_token_valid(""));
        ASSERT_TRUE(!boot_token_valid("deb ian"));
}
