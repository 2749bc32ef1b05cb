/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include "test.h"
#include "kernel/kernel.h"
#include "kernel/kver.h"
#include "util/strv.h"

TEST(order_as_users_expect) {
        static const char *const sorted[] = {
                "5.10.0-rc1-custom", "5.10.0", "6.1.0-9", "6.1.0-10", "6.1.0-47-amd64", "6.1.0-50-amd64",
                "6.12~rc1", "6.12", "6.12.0-rc7", "6.12.0-rc7-amd64", "6.12.0", "6.12.0-amd64", "6.12.1",
                "6.12.117+deb12-amd64", "99999999999999999999999.0",
        };
        for (size_t i = 0; i < ELEMENTSOF(sorted); i++)
                for (size_t j = 0; j < ELEMENTSOF(sorted); j++) {
                        int c = kver_compare(sorted[i], sorted[j]);
                        if ((i < j && c >= 0) || (i > j && c <= 0) || (i == j && c != 0))
                                FAIL_AT("kver_compare(%s, %s) = %d", sorted[i], sorted[j], c);
                }
}

TEST(total_order) {
        static const char *const v[] = { "1", "01", "1.0", "1-rc1", "1~rc1", "1a", "1.a", "a", "", "1-", "1--rc1" };
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                for (size_t j = 0; j < ELEMENTSOF(v); j++) {
                        int a = kver_compare(v[i], v[j]), b = kver_compare(v[j], v[i]);
                        if (a != -b || (a == 0) != (i == j))
                                FAIL_AT("not antisymmetric: %s %s", v[i], v[j]);
                        for (size_t k = 0; k < ELEMENTSOF(v); k++)
                                if (a < 0 && kver_compare(v[j], v[k]) < 0 && kver_compare(v[i], v[k]) >= 0)
                                        FAIL_AT("not transitive: %s %s %s", v[i], v[j], v[k]);
                }
}

TEST(valid) {
        ASSERT_TRUE(kver_is_valid("6.12.117+deb12-amd64"));
        ASSERT_FALSE(kver_is_valid("../etc"));
        ASSERT_FALSE(kver_is_valid("a/b"));
        ASSERT_FALSE(kver_is_valid(".hidden"));
        ASSERT_FALSE(kver_is_valid("a\nb"));
        ASSERT_FALSE(kver_is_valid(""));
}

TEST(kconfig) {
        static const char text[] = "# comment\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S=\"x y\"\nCONFIG_A=m\ngarbage\nCONFIG_=1\n";
        struct kconfig *c = NULL;
        ASSERT_OK(kconfig_parse(text, sizeof text - 1, &c));
        ASSERT_STREQ(kconfig_get(c, "CONFIG_A"), "m");
        ASSERT_STREQ(kconfig_get(c, "S"), "\"x y\"");
        ASSERT_NULL(kconfig_get(c, "CONFIG_B"));
        ASSERT_EQ(kconfig_module_compress(c), MODULE_COMPRESS_NONE);
        kconfig_free(c);
        ASSERT_OK(kconfig_parse("CONFIG_MODULE_COMPRESS_ZSTD=y\n", 30, &c));
        ASSERT_EQ(kconfig_module_compress(c), MODULE_COMPRESS_ZSTD);
        kconfig_free(c);
}

#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int sh(const char *fmt, const char *d) {
        _cleanup_free_ char *cmd = strdup_printf(fmt, d, d, d, d, d, d);
        return cmd ? system(cmd) : -1;
}

TEST(discover) {
        char t[] = "/tmp/dk-kver-XXXXXX";
        char *d = mkdtemp(t);
        struct root r;
        struct kernel **l = NULL;
        size_t n = 0;

        ASSERT_TRUE(d != NULL);
        /* A: image in /boot, headers outside the root; B: kernel-install layout,
         * no headers; C: leftovers without image; D: a build link escaping with ../ */
        ASSERT_EQ(sh("mkdir -p %s/usr/lib/modules/6.1.0-9 %s/usr/lib/modules/6.1.0-10 %s/usr/lib/modules/6.0-old "
                     "%s/boot %s/hdr && ln -s usr/lib %s/lib", d), 0);
        ASSERT_EQ(sh("touch %s/boot/vmlinuz-6.1.0-9 %s/usr/lib/modules/6.1.0-10/vmlinuz && "
                     "echo CONFIG_MODULE_COMPRESS_XZ=y > %s/hdr/.config && ln -s %s/hdr %s/usr/lib/modules/6.1.0-9/build", d), 0);
        ASSERT_EQ(sh("ln -s ../../../../../../etc %s/usr/lib/modules/6.1.0-10/build", d), 0);
        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(kernel_discover(&r, &l, &n));
        ASSERT_EQ(n, 2);
        ASSERT_STREQ(l[0]->kver, "6.1.0-10");
        ASSERT_STREQ(l[0]->image, "/usr/lib/modules/6.1.0-10/vmlinuz");
        ASSERT_NULL(l[0]->build_dir); /* ../ resolves inside the root: no etc there */
        ASSERT_STREQ(l[1]->kver, "6.1.0-9");
        ASSERT_STREQ(l[1]->image, "/boot/vmlinuz-6.1.0-9");
        ASSERT_TRUE(l[1]->build_dir && strstr(l[1]->build_dir, "/hdr"));
        ASSERT_EQ(l[1]->compress, MODULE_COMPRESS_XZ);
        kernel_list_free(l, n);
        root_done(&r);
        sh("rm -rf %s", d);
}
