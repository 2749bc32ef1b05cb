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
