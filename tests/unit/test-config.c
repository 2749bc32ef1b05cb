/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "test.h"
#include "core/config.h"

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
