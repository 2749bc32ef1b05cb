/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kver_compare()/kver_is_valid(), the .config parser, and kernel discovery on
 * fake roots made in mkdtemp() directories (never the host's kernels). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include "test.h"
#include "logcapture.h"
#include "kernel/kernel.h"
#include "kernel/kbuild.h"
#include "kernel/kver.h"
#include "util/log.h"
#include "util/strv.h"

/* ------------------------------------------------------------ helpers */


static int mkdirs(const char *path) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -1;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return -1;
                        *s = '/';
                }
        return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* DIR/REL, its parent directories made. */
static char *mkparents(const char *dir, const char *rel) {
        char *p = path_join(dir, rel), *slash = p ? strrchr(p, '/') : NULL;
        int r;

        if (!slash)
                return mfree(p);
        *slash = 0;
        r = mkdirs(p);
        *slash = '/';
        return r < 0 ? mfree(p) : p;
}

/* Writes DIR/REL with the given content. */
static int wfile(const char *dir, const char *rel, const char *content) {
        _cleanup_free_ char *p = mkparents(dir, rel);
        FILE *f = p ? fopen(p, "we") : NULL;

        if (!f)
                return -1;
        fputs(content, f);
        return fclose(f) == 0 ? 0 : -1;
}

static int mkd(const char *dir, const char *rel) {
        _cleanup_free_ char *p = path_join(dir, rel);
        return p ? mkdirs(p) : -1;
}

/* Makes DIR/REL a symlink to target. */
static int lnk(const char *target, const char *dir, const char *rel) {
        _cleanup_free_ char *p = mkparents(dir, rel);
        return p ? symlink(target, p) : -1;
}

static char *mktemp_dir(void) {
        char t[] = "/tmp/dk-kver-XXXXXX";
        return mkdtemp(t) ? strdup(t) : NULL;
}

static void rmtree(char *d) {
        _cleanup_free_ char *cmd = d ? strdup_printf("rm -rf '%s'", d) : NULL;
        if (cmd && system(cmd) != 0)
                fprintf(stderr, "cleanup of %s failed\n", d);
        free(d);
}

/* A fake root and a directory outside it (for headers "on the host"). */
struct fake {
        char *dir, *host;
        struct root root;
};

#define FAKE_INIT { .root = { .fd = -EBADF } }

static int fake_init(struct fake *f) {
        f->dir = mktemp_dir();
        f->host = mktemp_dir();
        logs_reset();
        if (!f->dir || !f->host)
                return -1;
        if (lnk("usr/lib", f->dir, "lib") < 0 || mkd(f->dir, "usr/lib/modules") < 0 || mkd(f->dir, "boot") < 0)
                return -1;
        return 0;
}

static void fake_done(struct fake *f) {
        if (f->root.path)
                root_done(&f->root);
        rmtree(f->dir);
        rmtree(f->host);
}
#define _cleanup_fake_ _cleanup_(fake_done)

static int fake_open(struct fake *f) {
        return root_open(f->dir, &f->root);
}

/* An installed kernel: its modules dir, and an image in /boot. */
static int add_kernel(struct fake *f, const char *kver) {
        _cleanup_free_ char *moddir = strdup_printf("usr/lib/modules/%s/kernel", kver);
        _cleanup_free_ char *image = strdup_printf("boot/vmlinuz-%s", kver);
        if (!moddir || !image)
                return -1;
        return mkd(f->dir, moddir) < 0 ? -1 : wfile(f->dir, image, "MZ fake image");
}

static int sign(int x) { return (x > 0) - (x < 0); }

/* ---------------------------------------------------------- kver order */

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

TEST(order_pairs) {
        static const char *const less[][2] = {
                { "6.1.0-9", "6.1.0-10" },
                { "6.1.0-10", "6.12.1" },
                { "6.12.0-rc7", "6.12.0" },
                { "6.12.0", "6.12.1" },
                { "6.12.0-rc1", "6.12.0-rc2" },
                { "6.12.0-rc9", "6.12.0-rc10" },
                { "6.1.0-47-amd64", "6.1.0-50-amd64" },
                { "6.1.0-50-amd64", "6.12.117+deb12-amd64" },
                { "6.12~rc1", "6.12" },
                { "6.12~rc1", "6.12-rc2" },
                { "6.12~", "6.12" },
                { "6.12.0-rc7-amd64", "6.12.0-amd64" },
                { "6.12.0-rc7-amd64", "6.12.0" },
                { "5.10.0-rc1-custom", "5.10.0-custom" },
                { "5.10.0-rc1-custom", "5.10.0-rc2-custom" },
                { "5.10.0-rc1", "5.10.0-rc1-custom" },
                { "5.9.16", "5.10.0-rc1-custom" },
                { "6.8.0-45-generic", "6.8.0-100-generic" },
                { "6.11.3-200.fc40.x86_64", "6.11.3-300.fc41.x86_64" },
                { "6.11.3-arch1-1", "6.11.3-arch2-1" },
                { "6.6.0", "6.6.0+" },
                { "6.6", "6.6.0" },
                { "1.0a", "1.0+" }, /* dpkg: letters before other characters */
                { "", "0" },
        };
        for (size_t i = 0; i < ELEMENTSOF(less); i++) {
                int a = kver_compare(less[i][0], less[i][1]), b = kver_compare(less[i][1], less[i][0]);
                if (a >= 0 || b <= 0)
                        FAIL_AT("expected %s < %s, got %d and %d", less[i][0], less[i][1], a, b);
        }
}

TEST(order_equal_only_for_equal_strings) {
        ASSERT_EQ(kver_compare("6.12.117+deb12-amd64", "6.12.117+deb12-amd64"), 0);
        ASSERT_EQ(kver_compare("", ""), 0);
        /* the same by the rules, different bytes: never 0, opposite signs */
        ASSERT_TRUE(kver_compare("6.01", "6.1") != 0);
        ASSERT_EQ(kver_compare("6.01", "6.1"), -kver_compare("6.1", "6.01"));
        ASSERT_TRUE(kver_compare("6.12~rc1", "6.12-rc1") != 0);
        ASSERT_EQ(kver_compare("6.12~rc1", "6.12-rc1"), -kver_compare("6.12-rc1", "6.12~rc1"));
}

TEST(order_long_numbers) {
        static const char big[] = "6.1.0-123456789012345678901234567890123456789012345678901234567890";
        static const char bigger[] = "6.1.0-123456789012345678901234567890123456789012345678901234567891";
        static const char longer[] = "6.1.0-1234567890123456789012345678901234567890123456789012345678900";
        static const char zeros[] = "6.1.0-000000000000000000000000000000000000000000000000000000000000000000009";

        ASSERT_TRUE(kver_compare(big, bigger) < 0);
        ASSERT_TRUE(kver_compare(bigger, longer) < 0);
        ASSERT_TRUE(kver_compare(longer, big) > 0);
        ASSERT_TRUE(kver_compare(zeros, "6.1.0-10") < 0); /* 9 < 10, leading zeros do not count */
        ASSERT_TRUE(kver_compare(zeros, "6.1.0-8") > 0);
        ASSERT_TRUE(kver_compare("18446744073709551616", "18446744073709551615") > 0); /* 2^64 */
}

/* Versions, realistic and odd, for the total order checks. */
static const char *const corpus[] = {
        "6.1.0-9", "6.1.0-10", "6.12.1", "6.12.0-rc7", "6.12.0", "6.1.0-47-amd64", "6.1.0-50-amd64",
        "6.12.117+deb12-amd64", "6.12~rc1", "6.12", "6.12.0-rc7-amd64", "6.12.0-amd64", "5.10.0-rc1-custom",
        "5.10.0", "5.10.0-custom", "6.8.0-45-generic", "6.8.0-100-generic", "6.11.3-300.fc41.x86_64",
        "6.11.3-arch1-1", "1", "01", "001", "1.0", "1-rc1", "1~rc1", "1~", "1~~", "1a", "1.a", "a", "", "1-",
        "1--rc1", "1-rc", "1-rc1x", "-rc1", "~", "~~", "+", ".", "0", "00", "1.01", "1.1", "1.10", "A", "Z",
        "a1", "a01", "1+", "1+1", "1.0~rc1", "1.0-rc1", "1.0.0", "1_0", "\xff", "1\xff", "6.12.0-RC7",
        "99999999999999999999999999", "099999999999999999999999999", "100000000000000000000000000",
};

static int qsort_kver(const void *a, const void *b) {
        return kver_compare(*(const char *const *) a, *(const char *const *) b);
}

TEST(total_order) {
        const size_t n = ELEMENTSOF(corpus);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                        int a = kver_compare(corpus[i], corpus[j]), b = kver_compare(corpus[j], corpus[i]);
                        if (sign(a) != -sign(b) || (a == 0) != (i == j))
                                FAIL_AT("not antisymmetric: '%s' '%s': %d %d", corpus[i], corpus[j], a, b);
                        if (a < -1 || a > 1)
                                FAIL_AT("kver_compare('%s', '%s') = %d, not -1/0/1", corpus[i], corpus[j], a);
                        for (size_t k = 0; a < 0 && k < n; k++)
                                if (kver_compare(corpus[j], corpus[k]) < 0 && kver_compare(corpus[i], corpus[k]) >= 0)
                                        FAIL_AT("not transitive: '%s' '%s' '%s'", corpus[i], corpus[j], corpus[k]);
                }
}

TEST(total_order_qsort) {
        const size_t n = ELEMENTSOF(corpus);
        const char *fwd[ELEMENTSOF(corpus)], *rev[ELEMENTSOF(corpus)];

        /* qsort from two different starting orders gives the same result, and
         * every pair of the result is in order */
        for (size_t i = 0; i < n; i++) {
                fwd[i] = corpus[i];
                rev[i] = corpus[n - 1 - i];
        }
        qsort(fwd, n, sizeof *fwd, qsort_kver);
        qsort(rev, n, sizeof *rev, qsort_kver);
        for (size_t i = 0; i < n; i++) {
                if (fwd[i] != rev[i] && strcmp(fwd[i], rev[i]) != 0)
                        FAIL_AT("qsort depends on the input order at %zu: '%s' '%s'", i, fwd[i], rev[i]);
                for (size_t j = i + 1; j < n; j++)
                        if (kver_compare(fwd[i], fwd[j]) >= 0)
                                FAIL_AT("sorted[%zu] '%s' !< sorted[%zu] '%s'", i, fwd[i], j, fwd[j]);
        }
}

TEST(valid) {
        char max[129], over[130];

        memset(max, 'a', 128);
        max[128] = 0;
        memset(over, 'a', 129);
        over[129] = 0;
        ASSERT_TRUE(kver_is_valid("6.12.117+deb12-amd64"));
        ASSERT_TRUE(kver_is_valid("6.12~rc1"));
        ASSERT_TRUE(kver_is_valid("6.11.3-300.fc41.x86_64"));
        ASSERT_TRUE(kver_is_valid("a"));
        ASSERT_TRUE(kver_is_valid(max));
        ASSERT_FALSE(kver_is_valid(over));
        ASSERT_FALSE(kver_is_valid("../etc"));
        ASSERT_FALSE(kver_is_valid(".."));
        ASSERT_FALSE(kver_is_valid("."));
        ASSERT_FALSE(kver_is_valid("6..1"));
        ASSERT_FALSE(kver_is_valid("a/b"));
        ASSERT_FALSE(kver_is_valid(".hidden"));
        ASSERT_FALSE(kver_is_valid("-rc1"));
        ASSERT_FALSE(kver_is_valid("a\nb"));
        ASSERT_FALSE(kver_is_valid("a b"));
        ASSERT_FALSE(kver_is_valid("6.1\xc3\xa9"));
        ASSERT_FALSE(kver_is_valid("6.1$x"));
        ASSERT_FALSE(kver_is_valid(""));
        ASSERT_FALSE(kver_is_valid(NULL));
}

/* -------------------------------------------------------------- kconfig */

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

TEST(kconfig_edges) {
        static const char text[] =
                "CONFIG_X=y\n"
                "# CONFIG_X is not set\n"   /* later wins: unset */
                "# CONFIG_Y is not set\n"
                "CONFIG_Y=m\n"              /* later wins: m */
                "CONFIG_N=1024\n"
                "CONFIG_HEX=0x10\n"
                "CONFIG_EQ=\"a=b\"\n"
                "CONFIG_EMPTY=\n"
                "CONFIG_CR=y\r\n"           /* verbatim */
                " CONFIG_INDENTED=y\n"
                "CONFIG_SPACE =y\n"
                "#CONFIG_Z is not set\n"
                "# CONFIG_W is not set, really\n"
                "CONFIG_lower_9=y\n"
                "CONFIG_BAD-NAME=y\n"
                "CONFIG_NUL=a\0b\n"        /* a line with a NUL is garbage */
                "\n\n"
                "CONFIG_LAST=end";         /* no final newline */
        _cleanup_kconfig_ struct kconfig *c = NULL;

        ASSERT_OK(kconfig_parse(text, sizeof text - 1, &c));
        ASSERT_NULL(kconfig_get(c, "X"));
        ASSERT_STREQ(kconfig_get(c, "Y"), "m");
        ASSERT_STREQ(kconfig_get(c, "CONFIG_N"), "1024");
        ASSERT_STREQ(kconfig_get(c, "HEX"), "0x10");
        ASSERT_STREQ(kconfig_get(c, "EQ"), "\"a=b\"");
        ASSERT_STREQ(kconfig_get(c, "EMPTY"), "");
        ASSERT_STREQ(kconfig_get(c, "CR"), "y\r");
        ASSERT_NULL(kconfig_get(c, "INDENTED"));
        ASSERT_NULL(kconfig_get(c, "SPACE"));
        ASSERT_NULL(kconfig_get(c, "Z"));
        ASSERT_NULL(kconfig_get(c, "W"));
        ASSERT_STREQ(kconfig_get(c, "lower_9"), "y");
        ASSERT_NULL(kconfig_get(c, "BAD"));
        ASSERT_NULL(kconfig_get(c, "BAD-NAME"));
        ASSERT_NULL(kconfig_get(c, "NUL"));
        ASSERT_STREQ(kconfig_get(c, "LAST"), "end");
        ASSERT_NULL(kconfig_get(c, "CONFIG_"));
        ASSERT_NULL(kconfig_get(c, ""));
        ASSERT_NULL(kconfig_get(c, "MISSING"));
        ASSERT_NULL(kconfig_get(NULL, "X"));
        ASSERT_NULL(kconfig_get(c, NULL));
}

TEST(kconfig_empty) {
        _cleanup_kconfig_ struct kconfig *a = NULL, *b = NULL;

        ASSERT_OK(kconfig_parse("", 0, &a));
        ASSERT_NULL(kconfig_get(a, "A"));
        ASSERT_OK(kconfig_parse(NULL, 0, &b));
        ASSERT_EQ(kconfig_module_compress(b), MODULE_COMPRESS_NONE);
        ASSERT_EQ(kconfig_module_compress(NULL), MODULE_COMPRESS_NONE);
}

TEST(kconfig_many_sorted) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        _cleanup_kconfig_ struct kconfig *c = NULL;

        /* in reverse order, each given twice: the second wins */
        for (int i = 2000; i > 0; i--)
                ASSERT_OK(strbuf_printf(&sb, "CONFIG_OPT_%d=first\nCONFIG_OPT_%d=%d\n", i, i, i));
        ASSERT_OK(kconfig_parse(sb.buf, sb.len, &c));
        for (int i = 1; i <= 2000; i++) {
                char name[32], want[16];
                snprintf(name, sizeof name, "OPT_%d", i);
                snprintf(want, sizeof want, "%d", i);
                ASSERT_STREQ(kconfig_get(c, name), want);
        }
        ASSERT_NULL(kconfig_get(c, "OPT_0"));
}

TEST(kconfig_module_compress) {
        static const struct {
                const char *text;
                enum module_compress want;
        } cases[] = {
                { "CONFIG_MODULE_COMPRESS_NONE=y\n# CONFIG_MODULE_COMPRESS_GZIP is not set\n", MODULE_COMPRESS_NONE },
                { "CONFIG_MODULE_COMPRESS_GZIP=y\n", MODULE_COMPRESS_GZIP },
                { "CONFIG_MODULE_COMPRESS=y\nCONFIG_MODULE_COMPRESS_XZ=y\nCONFIG_MODULE_COMPRESS_ALL=y\n", MODULE_COMPRESS_XZ },
                { "CONFIG_MODULE_COMPRESS_ZSTD=y\n", MODULE_COMPRESS_ZSTD },
                { "CONFIG_MODULE_COMPRESS_ZSTD=m\n", MODULE_COMPRESS_NONE },
                { "CONFIG_MODULE_COMPRESS_XZ=y\n# CONFIG_MODULE_COMPRESS_XZ is not set\n", MODULE_COMPRESS_NONE },
                { "CONFIG_MODULE_COMPRESS=y\n", MODULE_COMPRESS_NONE },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_kconfig_ struct kconfig *c = NULL;
                ASSERT_OK(kconfig_parse(cases[i].text, strlen(cases[i].text), &c));
                if (kconfig_module_compress(c) != cases[i].want)
                        FAIL_AT("case %zu: got %d, want %d", i, (int) kconfig_module_compress(c), (int) cases[i].want);
        }
}

TEST(module_compress_names) {
        ASSERT_STREQ(module_compress_suffix(MODULE_COMPRESS_NONE), "");
        ASSERT_STREQ(module_compress_suffix(MODULE_COMPRESS_GZIP), ".gz");
        ASSERT_STREQ(module_compress_suffix(MODULE_COMPRESS_XZ), ".xz");
        ASSERT_STREQ(module_compress_suffix(MODULE_COMPRESS_ZSTD), ".zst");
        ASSERT_STREQ(module_compress_to_string(MODULE_COMPRESS_NONE), "none");
        ASSERT_STREQ(module_compress_to_string(MODULE_COMPRESS_GZIP), "gzip");
        ASSERT_STREQ(module_compress_to_string(MODULE_COMPRESS_XZ), "xz");
        ASSERT_STREQ(module_compress_to_string(MODULE_COMPRESS_ZSTD), "zstd");
}

TEST(kconfig_load_file) {
        char *d = mktemp_dir();
        _cleanup_free_ char *p = d ? path_join(d, "config") : NULL, *missing = d ? path_join(d, "nope") : NULL;
        _cleanup_kconfig_ struct kconfig *c = NULL;

        logs_reset();
        ASSERT_TRUE(p && missing);
        ASSERT_OK(wfile(d, "config", "CONFIG_MODULE_COMPRESS_GZIP=y\nCONFIG_LOCALVERSION=\"\"\n"));
        ASSERT_OK(kconfig_load_file(p, &c));
        ASSERT_EQ(kconfig_module_compress(c), MODULE_COMPRESS_GZIP);
        ASSERT_STREQ(kconfig_get(c, "LOCALVERSION"), "\"\"");
        ASSERT_ERR(kconfig_load_file(missing, &c), -ENOENT);
        ASSERT_TRUE(logged(missing));
        ASSERT_ERR(kconfig_load_file(d, &c), -EISDIR);
        rmtree(d);
}

/* ------------------------------------------------------------- kernels */

TEST(discover_fake_root) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_free_ char *hdr = NULL, *inroot = NULL, *k3build = NULL;
        struct kernel **l = NULL;
        size_t n = 0;

        ASSERT_OK(fake_init(&f));
        /* K1: /boot image and config, headers outside the root (Debian in a sandbox) */
        ASSERT_OK(add_kernel(&f, "6.1.0-50-amd64"));
        ASSERT_OK(wfile(f.dir, "boot/config-6.1.0-50-amd64", "CONFIG_MODULE_COMPRESS_GZIP=y\n"));
        ASSERT_OK(wfile(f.host, "linux-headers-6.1.0-50-amd64/.config", "CONFIG_MODULE_COMPRESS_ZSTD=y\n"));
        hdr = path_join(f.host, "linux-headers-6.1.0-50-amd64");
        ASSERT_OK(lnk(hdr, f.dir, "usr/lib/modules/6.1.0-50-amd64/build"));
        /* K2: kernel-install layout, config beside the modules, a build link escaping
         * with ../ (resolves inside the root: no etc there, no headers) */
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.12.0-rc7-amd64/vmlinuz", "MZ"));
        ASSERT_OK(lnk("../../../../../../../etc", f.dir, "usr/lib/modules/6.12.0-rc7-amd64/build"));
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.12.0-rc7-amd64/config", "CONFIG_MODULE_COMPRESS_XZ=y\n"));
        /* K3: an absolute build link whose target exists inside the root and on the host */
        ASSERT_OK(add_kernel(&f, "6.12.0-amd64"));
        ASSERT_OK(wfile(f.host, "hdr3/.config", "CONFIG_MODULE_COMPRESS_GZIP=y\n"));
        k3build = path_join(f.host, "hdr3");
        inroot = path_join(k3build, ".config");
        ASSERT_OK(wfile(f.dir, inroot, "CONFIG_MODULE_COMPRESS_XZ=y\n"));
        ASSERT_OK(lnk(k3build, f.dir, "usr/lib/modules/6.12.0-amd64/build"));
        /* leftovers, an invalid name, a stray file */
        ASSERT_OK(mkd(f.dir, "usr/lib/modules/6.0.0-old/updates/dkms"));
        ASSERT_OK(mkd(f.dir, "usr/lib/modules/bad name"));
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/modules.conf", ""));
        ASSERT_OK(fake_open(&f));

        ASSERT_OK(kernel_discover(&f.root, &l, &n));
        ASSERT_EQ(n, 3);
        ASSERT_STREQ(l[0]->kver, "6.12.0-amd64");
        ASSERT_STREQ(l[1]->kver, "6.12.0-rc7-amd64");
        ASSERT_STREQ(l[2]->kver, "6.1.0-50-amd64");

        ASSERT_STREQ(l[0]->image, "/boot/vmlinuz-6.12.0-amd64");
        ASSERT_STREQ(l[0]->modules_dir, "/usr/lib/modules/6.12.0-amd64");
        ASSERT_TRUE(l[0]->build_dir && startswith(l[0]->build_dir, f.root.path)); /* the root wins */
        ASSERT_TRUE(endswith(l[0]->config_path, "/.config") && startswith(l[0]->config_path, f.root.path));
        ASSERT_EQ(kernel_compress(l[0]), MODULE_COMPRESS_XZ);

        ASSERT_STREQ(l[1]->image, "/usr/lib/modules/6.12.0-rc7-amd64/vmlinuz");
        ASSERT_NULL(l[1]->build_dir);
        ASSERT_TRUE(endswith(l[1]->config_path, "/usr/lib/modules/6.12.0-rc7-amd64/config"));
        ASSERT_EQ(kernel_compress(l[1]), MODULE_COMPRESS_XZ);

        ASSERT_STREQ(l[2]->image, "/boot/vmlinuz-6.1.0-50-amd64");
        ASSERT_STREQ(l[2]->build_dir, hdr); /* the host path, as the link says */
        ASSERT_TRUE(startswith(l[2]->config_path, hdr));
        ASSERT_TRUE(kernel_config(l[2]) != NULL);
        ASSERT_EQ(kernel_compress(l[2]), MODULE_COMPRESS_ZSTD); /* the headers' config before /boot's */

        ASSERT_TRUE(logged("bad name': not a valid kernel version, skipping"));
        ASSERT_TRUE(logged("6.0.0-old"));
        ASSERT_FALSE(logged("modules.conf"));
        kernel_list_free(l, n);
}

TEST(discover_empty) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        struct kernel **l = NULL;
        size_t n = 42;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(fake_open(&f));
        ASSERT_OK(kernel_discover(&f.root, &l, &n));
        ASSERT_EQ(n, 0);
        kernel_list_free(l, n);
        rmtree(f.dir);
        f.dir = mktemp_dir(); /* no usr/lib/modules at all */
        root_done(&f.root);
        ASSERT_OK(fake_open(&f));
        ASSERT_OK(kernel_discover(&f.root, &l, &n));
        ASSERT_EQ(n, 0);
        kernel_list_free(l, n);
}

TEST(discover_sorted_newest_first) {
        static const char *const kvers[] = {
                "6.1.0-9-amd64", "6.12.0-rc7-amd64", "6.1.0-10-amd64", "6.12.1-amd64", "5.10.0-rc1-custom",
                "6.12.0-amd64", "6.12.117+deb12-amd64", "6.12~rc1-amd64",
        };
        static const char *const want[] = {
                "6.12.117+deb12-amd64", "6.12.1-amd64", "6.12.0-amd64", "6.12.0-rc7-amd64", "6.12~rc1-amd64",
                "6.1.0-10-amd64", "6.1.0-9-amd64", "5.10.0-rc1-custom",
        };
        _cleanup_fake_ struct fake f = FAKE_INIT;
        struct kernel **l = NULL;
        size_t n = 0;

        ASSERT_OK(fake_init(&f));
        for (size_t i = 0; i < ELEMENTSOF(kvers); i++)
                ASSERT_OK(add_kernel(&f, kvers[i]));
        ASSERT_OK(fake_open(&f));
        ASSERT_OK(kernel_discover(&f.root, &l, &n));
        ASSERT_EQ(n, ELEMENTSOF(want));
        for (size_t i = 0; i < n; i++)
                if (!streq(l[i]->kver, want[i]))
                        FAIL_AT("position %zu: got %s, want %s", i, l[i]->kver, want[i]);
        kernel_list_free(l, n);
}

/* A root without merged /usr: /lib/modules is a directory of its own. */
TEST(discover_legacy_lib_modules) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_kernel_ struct kernel *k = NULL;
        struct kernel **l = NULL;
        size_t n = 0;

        ASSERT_OK(fake_init(&f));
        {
                _cleanup_free_ char *lib = path_join(f.dir, "lib");
                ASSERT_EQ(unlink(lib), 0);
        }
        /* A: unpacked into /lib/modules; we already installed into /usr/lib/modules/A/updates */
        ASSERT_OK(mkd(f.dir, "lib/modules/6.1.0-55-amd64/kernel/fs"));
        ASSERT_OK(wfile(f.dir, "lib/modules/6.1.0-55-amd64/modules.dep", "kernel/fs/foo.ko.xz:\n"));
        ASSERT_OK(mkd(f.host, "headers-A"));
        {
                _cleanup_free_ char *h = path_join(f.host, "headers-A");
                ASSERT_OK(lnk(h, f.dir, "lib/modules/6.1.0-55-amd64/build"));
        }
        ASSERT_OK(mkd(f.dir, "usr/lib/modules/6.1.0-55-amd64/updates/dkms"));
        ASSERT_OK(wfile(f.dir, "boot/vmlinuz-6.1.0-55-amd64", "MZ"));
        /* B: only in /lib/modules */
        ASSERT_OK(mkd(f.dir, "lib/modules/6.1.0-56-amd64/kernel"));
        ASSERT_OK(wfile(f.dir, "boot/vmlinuz-6.1.0-56-amd64", "MZ"));
        ASSERT_OK(mkd(f.dir, "lib/modules/bad name"));
        ASSERT_OK(fake_open(&f));

        ASSERT_OK(kernel_discover(&f.root, &l, &n));
        ASSERT_EQ(n, 2);
        ASSERT_STREQ(l[0]->kver, "6.1.0-56-amd64");
        ASSERT_STREQ(l[0]->modules_dir, "/lib/modules/6.1.0-56-amd64");
        ASSERT_STREQ(l[1]->kver, "6.1.0-55-amd64");
        ASSERT_STREQ(l[1]->modules_dir, "/lib/modules/6.1.0-55-amd64"); /* the one with the kernel's modules */
        ASSERT_TRUE(l[1]->build_dir && endswith(l[1]->build_dir, "/headers-A"));
        ASSERT_EQ(kernel_compress(l[1]), MODULE_COMPRESS_XZ);
        ASSERT_TRUE(logged("/lib/modules/bad name': not a valid kernel version, skipping"));
        kernel_list_free(l, n);

        ASSERT_OK(kernel_load(&f.root, "6.1.0-56-amd64", &k));
        ASSERT_STREQ(k->image, "/boot/vmlinuz-6.1.0-56-amd64");
}

/* With the merged-/usr symlink, /lib/modules is not listed a second time. */
TEST(discover_merged_usr_no_duplicates) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        struct kernel **l = NULL;
        size_t n = 0;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(add_kernel(&f, "6.1.0-55-amd64"));
        ASSERT_OK(mkd(f.dir, "usr/lib/modules/bad name"));
        ASSERT_OK(fake_open(&f));
        ASSERT_OK(kernel_discover(&f.root, &l, &n));
        ASSERT_EQ(n, 1);
        ASSERT_STREQ(l[0]->modules_dir, "/usr/lib/modules/6.1.0-55-amd64");
        /* the warning once, for /usr/lib/modules only */
        ASSERT_TRUE(logged("/usr/lib/modules/bad name"));
        ASSERT_FALSE(strstr(strstr(logs.buf, "bad name") + 1, "bad name"));
        kernel_list_free(l, n);
}

TEST(kernel_load_errors) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        struct kernel *k = NULL;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(mkd(f.dir, "usr/lib/modules/6.0.0-old"));
        ASSERT_OK(mkd(f.dir, "usr/lib/modules/6.0.1/vmlinuz")); /* not a file */
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.0.2", ""));      /* not a directory */
        ASSERT_OK(wfile(f.dir, "boot/vmlinuz-6.0.2", "MZ"));
        ASSERT_OK(mkd(f.dir, "usr/lib/modules/6.0.3"));
        ASSERT_OK(lnk("/etc/hostname", f.dir, "boot/vmlinuz-6.0.3")); /* resolves in the root: absent */
        ASSERT_OK(fake_open(&f));
        ASSERT_ERR(kernel_load(&f.root, "../../etc", &k), -EINVAL);
        ASSERT_ERR(kernel_load(&f.root, "", &k), -EINVAL);
        ASSERT_ERR(kernel_load(&f.root, NULL, &k), -EINVAL);
        ASSERT_ERR(kernel_load(&f.root, "6.9.9", &k), -ENOENT);
        ASSERT_ERR(kernel_load(&f.root, "6.0.0-old", &k), -ENOENT);
        ASSERT_ERR(kernel_load(&f.root, "6.0.1", &k), -ENOENT);
        ASSERT_ERR(kernel_load(&f.root, "6.0.2", &k), -ENOENT);
        ASSERT_ERR(kernel_load(&f.root, "6.0.3", &k), -ENOENT);
        ASSERT_NULL(k);
}

TEST(kernel_load_image_symlink_in_root) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_kernel_ struct kernel *k = NULL;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(mkd(f.dir, "usr/lib/modules/6.0.3"));
        ASSERT_OK(wfile(f.dir, "boot/real-image", "MZ"));
        ASSERT_OK(lnk("/boot/real-image", f.dir, "boot/vmlinuz-6.0.3"));
        ASSERT_OK(fake_open(&f));
        ASSERT_OK(kernel_load(&f.root, "6.0.3", &k));
        ASSERT_STREQ(k->image, "/boot/vmlinuz-6.0.3");
        ASSERT_NULL(k->build_dir);
        ASSERT_NULL(kernel_config(k));
        ASSERT_NULL(k->config_path);
        ASSERT_EQ(kernel_compress(k), MODULE_COMPRESS_NONE);
}

/* Resolves the build link of kernel "6.1.0-1" after making it with target. */
static int build_with_link(struct fake *f, const char *target, char **ret) {
        int r = lnk(target, f->dir, "usr/lib/modules/6.1.0-1/build");
        if (r < 0)
                return -EIO;
        return kernel_resolve_build_dir(&f->root, "6.1.0-1", ret);
}

TEST(build_dir_absolute_outside_root) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_free_ char *hdr = NULL, *got = NULL;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(add_kernel(&f, "6.1.0-1"));
        ASSERT_OK(mkd(f.host, "linux-headers-6.1.0-1"));
        hdr = path_join(f.host, "linux-headers-6.1.0-1");
        ASSERT_OK(fake_open(&f));
        ASSERT_OK(build_with_link(&f, hdr, &got));
        ASSERT_STREQ(got, hdr);
}

TEST(build_dir_absolute_inside_root) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_free_ char *got = NULL, *want = NULL;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(add_kernel(&f, "6.1.0-1"));
        /* /usr/src/linux-headers-6.1.0-1 in the root is itself a link (absolute,
         * to /opt/h): followed inside the root, not on the host */
        ASSERT_OK(mkd(f.dir, "opt/h"));
        ASSERT_OK(lnk("/opt/h", f.dir, "usr/src/linux-headers-6.1.0-1"));
        ASSERT_OK(fake_open(&f));
        want = path_join(f.root.path, "opt/h");
        ASSERT_OK(build_with_link(&f, "/usr/src/linux-headers-6.1.0-1", &got));
        ASSERT_STREQ(got, want);
}

TEST(build_dir_relative) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_free_ char *got = NULL, *want = NULL;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(add_kernel(&f, "6.1.0-1"));
        ASSERT_OK(mkd(f.dir, "usr/src/linux-6.1"));
        ASSERT_OK(fake_open(&f));
        want = path_join(f.root.path, "usr/src/linux-6.1");
        ASSERT_OK(build_with_link(&f, "../../../src/linux-6.1", &got));
        ASSERT_STREQ(got, want);
}

TEST(build_dir_relative_escape_stays_in_root) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_free_ char *got = NULL, *want = NULL;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(add_kernel(&f, "6.1.0-1"));
        ASSERT_OK(fake_open(&f));
        /* /tmp exists on the host, not in the root: no headers, no escape */
        ASSERT_ERR(build_with_link(&f, "../../../../../../../../../../tmp", &got), -ENOENT);
        ASSERT_NULL(got);
        /* once the root has a tmp, that one */
        ASSERT_OK(mkd(f.dir, "tmp"));
        want = path_join(f.root.path, "tmp");
        ASSERT_OK(kernel_resolve_build_dir(&f.root, "6.1.0-1", &got));
        ASSERT_STREQ(got, want);
}

TEST(build_dir_real_directory) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_free_ char *got = NULL, *want = NULL;
        _cleanup_kernel_ struct kernel *k = NULL;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(add_kernel(&f, "6.1.0-1"));
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.1.0-1/build/.config", "CONFIG_MODULE_COMPRESS_GZIP=y\n"));
        ASSERT_OK(fake_open(&f));
        want = path_join(f.root.path, "usr/lib/modules/6.1.0-1/build");
        ASSERT_OK(kernel_resolve_build_dir(&f.root, "6.1.0-1", &got));
        ASSERT_STREQ(got, want);
        ASSERT_OK(kernel_load(&f.root, "6.1.0-1", &k));
        ASSERT_STREQ(k->build_dir, want);
        ASSERT_EQ(kernel_compress(k), MODULE_COMPRESS_GZIP);
}

TEST(build_dir_missing_or_broken) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_free_ char *got = NULL;
        _cleanup_kernel_ struct kernel *k = NULL;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(add_kernel(&f, "6.1.0-1"));
        ASSERT_OK(add_kernel(&f, "6.1.0-2"));
        ASSERT_OK(add_kernel(&f, "6.1.0-3"));
        ASSERT_OK(add_kernel(&f, "6.1.0-4"));
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.1.0-2/build", "not a directory"));
        ASSERT_OK(lnk("/usr/lib/modules/6.1.0-3/build", f.dir, "usr/lib/modules/6.1.0-3/build")); /* loop */
        ASSERT_OK(lnk("/nonexistent/dk-kver-headers", f.dir, "usr/lib/modules/6.1.0-4/build"));
        ASSERT_OK(fake_open(&f));
        ASSERT_ERR(kernel_resolve_build_dir(&f.root, "6.1.0-1", &got), -ENOENT);
        ASSERT_ERR(kernel_resolve_build_dir(&f.root, "6.1.0-2", &got), -ENOENT);
        ASSERT_TRUE(logged("/usr/lib/modules/6.1.0-2/build': not a directory, ignoring"));
        ASSERT_ERR(kernel_resolve_build_dir(&f.root, "6.1.0-4", &got), -ENOENT);
        ASSERT_ERR(kernel_resolve_build_dir(&f.root, "6.9.9", &got), -ENOENT);
        ASSERT_ERR(kernel_resolve_build_dir(&f.root, "../x", &got), -EINVAL);
        ASSERT_NULL(got);
        /* never fatal for kernel_load */
        for (int i = 1; i <= 4; i++) {
                char kver[16];
                snprintf(kver, sizeof kver, "6.1.0-%d", i);
                ASSERT_OK(kernel_load(&f.root, kver, &k));
                ASSERT_NULL(k->build_dir);
                k = kernel_free(k);
        }
}

TEST(config_fallbacks) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_kernel_ struct kernel *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        _cleanup_free_ char *boot = NULL;

        ASSERT_OK(fake_init(&f));
        /* A: headers without .config: /boot's */
        ASSERT_OK(add_kernel(&f, "6.1.0-1"));
        ASSERT_OK(mkd(f.dir, "usr/lib/modules/6.1.0-1/build"));
        ASSERT_OK(wfile(f.dir, "boot/config-6.1.0-1", "CONFIG_MODULE_COMPRESS_GZIP=y\n"));
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.1.0-1/config", "CONFIG_MODULE_COMPRESS_XZ=y\n"));
        /* B: no /boot config: the modules dir's */
        ASSERT_OK(add_kernel(&f, "6.1.0-2"));
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.1.0-2/config", "CONFIG_MODULE_COMPRESS_XZ=y\n"));
        /* C: an empty /boot config is skipped with a warning */
        ASSERT_OK(add_kernel(&f, "6.1.0-3"));
        ASSERT_OK(wfile(f.dir, "boot/config-6.1.0-3", "garbage\n"));
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.1.0-3/config", "CONFIG_MODULE_COMPRESS_ZSTD=y\n"));
        /* D: /boot/config is a directory: a warning, then none */
        ASSERT_OK(add_kernel(&f, "6.1.0-4"));
        ASSERT_OK(mkd(f.dir, "boot/config-6.1.0-4"));
        ASSERT_OK(fake_open(&f));

        ASSERT_OK(kernel_load(&f.root, "6.1.0-1", &a));
        boot = strdup_printf("%s/boot/config-6.1.0-1", f.root.path);
        ASSERT_STREQ(a->config_path, boot);
        ASSERT_EQ(kernel_compress(a), MODULE_COMPRESS_GZIP);
        ASSERT_OK(kernel_load(&f.root, "6.1.0-2", &b));
        ASSERT_TRUE(endswith(b->config_path, "/usr/lib/modules/6.1.0-2/config"));
        ASSERT_EQ(kernel_compress(b), MODULE_COMPRESS_XZ);
        ASSERT_OK(kernel_load(&f.root, "6.1.0-3", &c));
        ASSERT_TRUE(endswith(c->config_path, "/usr/lib/modules/6.1.0-3/config"));
        ASSERT_EQ(kernel_compress(c), MODULE_COMPRESS_ZSTD);
        ASSERT_TRUE(logged("/boot/config-6.1.0-3': no CONFIG_ lines, ignoring"));
        ASSERT_OK(kernel_load(&f.root, "6.1.0-4", &d));
        ASSERT_NULL(d->config_path);
        ASSERT_NULL(kernel_config(d));
        ASSERT_TRUE(logged("/boot/config-6.1.0-4': Is a directory, ignoring"));
}

TEST(compress_guessed_without_config) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_kernel_ struct kernel *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(add_kernel(&f, "6.1.0-1")); /* modules.dep says zstd */
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.1.0-1/modules.dep",
                        "kernel/arch/x86/events/amd/power.ko.zst:\nkernel/fs/foo.ko.zst: kernel/fs/bar.ko.zst\n"));
        ASSERT_OK(add_kernel(&f, "6.1.0-2")); /* no modules.dep: a file under kernel/ */
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.1.0-2/kernel/drivers/net/README", ""));
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.1.0-2/kernel/drivers/net/e1000/e1000.ko.gz", ""));
        ASSERT_OK(add_kernel(&f, "6.1.0-3")); /* nothing to go by */
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.1.0-3/modules.dep", ""));
        ASSERT_OK(add_kernel(&f, "6.1.0-4")); /* a config: it wins, the tree is not looked at */
        ASSERT_OK(wfile(f.dir, "boot/config-6.1.0-4", "CONFIG_MODULE_COMPRESS_NONE=y\n"));
        ASSERT_OK(wfile(f.dir, "usr/lib/modules/6.1.0-4/modules.dep", "kernel/fs/foo.ko.xz:\n"));
        ASSERT_OK(fake_open(&f));

        ASSERT_OK(kernel_load(&f.root, "6.1.0-1", &a));
        ASSERT_EQ(kernel_compress(a), MODULE_COMPRESS_ZSTD);
        ASSERT_NULL(kernel_config(a));
        ASSERT_OK(kernel_load(&f.root, "6.1.0-2", &b));
        ASSERT_EQ(kernel_compress(b), MODULE_COMPRESS_GZIP);
        ASSERT_OK(kernel_load(&f.root, "6.1.0-3", &c));
        ASSERT_EQ(kernel_compress(c), MODULE_COMPRESS_NONE);
        ASSERT_OK(kernel_load(&f.root, "6.1.0-4", &d));
        ASSERT_EQ(kernel_compress(d), MODULE_COMPRESS_NONE);
}

TEST(compress_guess_does_not_follow_symlinks) {
        _cleanup_fake_ struct fake f = FAKE_INIT;
        _cleanup_kernel_ struct kernel *k = NULL;

        ASSERT_OK(fake_init(&f));
        ASSERT_OK(add_kernel(&f, "6.1.0-1"));
        /* kernel/ links to a host directory full of modules: not looked at */
        ASSERT_OK(wfile(f.host, "mods/x.ko.xz", ""));
        {
                _cleanup_free_ char *mods = path_join(f.host, "mods");
                ASSERT_OK(lnk(mods, f.dir, "usr/lib/modules/6.1.0-1/kernel/sub"));
        }
        ASSERT_OK(fake_open(&f));
        ASSERT_OK(kernel_load(&f.root, "6.1.0-1", &k));
        ASSERT_EQ(kernel_compress(k), MODULE_COMPRESS_NONE);
}

TEST(kbuild_fragment_mismatches) {
        _cleanup_(kconfig_freep) struct kconfig *final = NULL;
        _cleanup_strv_free_ char **m = NULL;
        static const char final_text[] = "CONFIG_MODULES=y\nCONFIG_EXT4_FS=m\n# CONFIG_USB_STORAGE is not set\n"
                                         "CONFIG_LOCALVERSION=\"-dist\"\nCONFIG_DEBUG_INFO=y\n";
        static const char fragment[] = "# a comment\n  CONFIG_MODULES=y\nCONFIG_EXT4_FS=y\nCONFIG_USB_STORAGE=y\n"
                                       "# CONFIG_DEBUG_INFO is not set\nCONFIG_SOUND=n\n"
                                       "CONFIG_LOCALVERSION=\"-dist\"\n\ngarbage line\n";

        ASSERT_OK(kconfig_parse(final_text, strlen(final_text), &final));
        ASSERT_OK(kbuild_fragment_mismatches(fragment, final, &m));
        ASSERT_EQ(strv_length(m), 3);
        ASSERT_STREQ(m[0], "CONFIG_EXT4_FS=y (is m)");
        ASSERT_STREQ(m[1], "CONFIG_USB_STORAGE=y (is not set)");
        ASSERT_STREQ(m[2], "# CONFIG_DEBUG_INFO is not set (is y)");
        m = strv_free(m);
        ASSERT_OK(kbuild_fragment_mismatches("CONFIG_MODULES=y\n", final, &m));
        ASSERT_TRUE(m == NULL);
}
