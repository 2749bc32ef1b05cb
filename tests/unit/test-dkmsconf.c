/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include "test.h"
#include "kernel/kernel.h"
#include "modpkg/dkmsconf.h"
#include "util/log.h"
#include "util/strv.h"

#define KVER "6.1.0-50-amd64"

static const struct dkms_env ENV = {
        .kernelver = KVER,
        .arch = "x86_64",
        .kernel_source_dir = "/ksrc",
        .dkms_tree = "/tree",
        .source_tree = "/usr/src",
        .installed_modules_dir = "/lib/modules/" KVER "/updates/dkms",
};

#define CONF "/usr/src/foo-1.2/dkms.conf"

/* A dump from NAME, INDEX, VALUE triples, NULL-terminated. */
static char *mkdump_va(size_t *ret_len, va_list ap) {
        struct strbuf sb = STRBUF_INIT;
        const char *s;

        while ((s = va_arg(ap, const char *)))
                if (strbuf_add(&sb, s, strlen(s) + 1) < 0)
                        abort();
        *ret_len = sb.len;
        return strbuf_detach(&sb);
}

static int parse_env(const struct dkms_env *env, struct dkms_conf **ret, ...) {
        _cleanup_free_ char *d = NULL;
        size_t len;
        va_list ap;

        va_start(ap, ret);
        d = mkdump_va(&len, ap);
        va_end(ap);
        return dkms_conf_parse(CONF, d, len, env, ret);
}
#define PARSE(ret, ...) parse_env(&ENV, ret, __VA_ARGS__, NULL)
#define PKG "PACKAGE_NAME", "0", "foo", "PACKAGE_VERSION", "0", "1.2"
#define PKGM PKG, "DEST_MODULE_LOCATION", "0", "/extra"

static bool last_error_is(const char *want) {
        if (streq(log_last_error(), want))
                return true;
        fprintf(stderr, "  last error: \"%s\"\n  wanted:     \"%s\"\n", log_last_error(), want);
        return false;
}

/* ------------------------------------------------------------------ parse: defaults */

TEST(parse_defaults) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;

        ASSERT_OK(PARSE(&c, PKG, "DEST_MODULE_LOCATION", "0", "/extra"));
        ASSERT_STREQ(c->path, CONF);
        ASSERT_STREQ(c->name, "foo");
        ASSERT_STREQ(c->version, "1.2");
        ASSERT_EQ(c->n_modules, 1);
        ASSERT_STREQ(c->modules[0].built_name, "foo");
        ASSERT_STREQ(c->modules[0].dest_name, "foo");
        ASSERT_STREQ(c->modules[0].built_location, "");
        ASSERT_STREQ(c->modules[0].dest_location, "/extra");
        ASSERT_TRUE(c->modules[0].strip);
        ASSERT_STREQ(c->make, "make -C /ksrc M=/tree/foo/1.2/build");
        ASSERT_NULL(c->clean);
        ASSERT_NULL(c->pre_build);
        ASSERT_NULL(c->post_install);
        ASSERT_TRUE(c->patches && !c->patches[0]);
        ASSERT_TRUE(c->build_exclusive_config && !c->build_exclusive_config[0]);
        ASSERT_TRUE(c->build_depends && !c->build_depends[0]);
        ASSERT_NULL(c->build_exclusive_kernel);
        ASSERT_NULL(c->build_exclusive_arch);
        ASSERT_FALSE(c->autoinstall);
        ASSERT_FALSE(c->remake_initrd);
        ASSERT_FALSE(c->no_weak_modules);
}

TEST(parse_missing_dest_location_defaults) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;

        ASSERT_OK(PARSE(&c, PKG, "BUILT_MODULE_NAME", "0", "bar", "DEST_MODULE_NAME", "0", "baz"));
        ASSERT_EQ(c->n_modules, 1);
        ASSERT_STREQ(c->modules[0].built_name, "bar");
        ASSERT_STREQ(c->modules[0].dest_name, "baz");
        ASSERT_STREQ(c->modules[0].dest_location, "/updates/dkms");
}

TEST(parse_empty_values_are_unset) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;

        ASSERT_OK(PARSE(&c, PKG, "BUILT_MODULE_NAME", "0", "", "CLEAN", "0", "", "MAKE", "0", ""));
        ASSERT_STREQ(c->modules[0].built_name, "foo");
        ASSERT_NULL(c->clean);
        ASSERT_STREQ(c->make, "make -C /ksrc M=/tree/foo/1.2/build");
}

TEST(parse_two_modules) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;

        ASSERT_OK(PARSE(&c, PKG,
                        "BUILT_MODULE_NAME", "0", "core", "BUILT_MODULE_NAME", "1", "user",
                        "BUILT_MODULE_LOCATION", "1", "./user//sub/",
                        "DEST_MODULE_LOCATION", "0", "/extra/", "DEST_MODULE_LOCATION", "1", "/kernel//drivers/./x",
                        "DEST_MODULE_NAME", "1", "user2",
                        "STRIP", "0", "no"));
        ASSERT_EQ(c->n_modules, 2);
        ASSERT_STREQ(c->modules[0].built_name, "core");
        ASSERT_STREQ(c->modules[0].dest_name, "core");
        ASSERT_STREQ(c->modules[0].dest_location, "/extra");
        ASSERT_STREQ(c->modules[1].built_name, "user");
        ASSERT_STREQ(c->modules[1].built_location, "user/sub");
        ASSERT_STREQ(c->modules[1].dest_name, "user2");
        ASSERT_STREQ(c->modules[1].dest_location, "/kernel/drivers/x");
        /* DKMS: an unset STRIP[i] inherits STRIP[0] */
        ASSERT_FALSE(c->modules[0].strip);
        ASSERT_FALSE(c->modules[1].strip);
}

TEST(parse_strip) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;

        ASSERT_OK(PARSE(&c, PKG, "BUILT_MODULE_NAME", "0", "a", "BUILT_MODULE_NAME", "1", "b",
                        "BUILT_MODULE_NAME", "2", "c", "STRIP", "1", "No", "STRIP", "2", "whatever"));
        ASSERT_TRUE(c->modules[0].strip);
        ASSERT_FALSE(c->modules[1].strip);
        ASSERT_TRUE(c->modules[2].strip);
}

TEST(parse_records_follow_longest_array) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;

        /* three records from DEST_MODULE_LOCATION; names given for all */
        ASSERT_OK(PARSE(&c, PKG, "BUILT_MODULE_NAME", "0", "a", "BUILT_MODULE_NAME", "1", "b",
                        "BUILT_MODULE_NAME", "2", "c", "DEST_MODULE_LOCATION", "2", "/updates"));
        ASSERT_EQ(c->n_modules, 3);
        ASSERT_STREQ(c->modules[0].dest_location, "/updates/dkms");
        ASSERT_STREQ(c->modules[2].dest_location, "/updates");
}

TEST(parse_make_match_last_matching_wins) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;

        ASSERT_OK(PARSE(&c, PKGM, "MAKE", "0", "make base",
                        "MAKE", "1", "make six", "MAKE_MATCH", "1", "^6\\.",
                        "MAKE", "2", "make six-one", "MAKE_MATCH", "2", "^6\\.1\\.",
                        "MAKE", "3", "make five", "MAKE_MATCH", "3", "^5\\.",
                        "MAKE", "7", "", "MAKE_MATCH", "7", ".*"));
        ASSERT_STREQ(c->make, "make six-one");
}

TEST(parse_make_match_none_matching) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL, *d = NULL, *e = NULL;

        ASSERT_OK(PARSE(&c, PKGM, "MAKE", "0", "make base", "MAKE", "1", "make five", "MAKE_MATCH", "1", "^5\\."));
        ASSERT_STREQ(c->make, "make base");
        /* MAKE_MATCH[0] set and not matching: MAKE[0] is not the base, the default is */
        ASSERT_OK(PARSE(&d, PKGM, "MAKE", "0", "make base", "MAKE_MATCH", "0", "^4\\."));
        ASSERT_STREQ(d->make, "make -C /ksrc M=/tree/foo/1.2/build");
        ASSERT_OK(PARSE(&e, PKGM, "MAKE", "0", "make base", "MAKE_MATCH", "0", "amd64$"));
        ASSERT_STREQ(e->make, "make base");
}

TEST(parse_patch_match_filters) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;
        _cleanup_free_ char *j = NULL;

        ASSERT_OK(PARSE(&c, PKGM, "PATCH", "0", "a.patch",
                        "PATCH", "1", "b.patch", "PATCH_MATCH", "1", "^5",
                        "PATCH", "2", "c.patch", "PATCH_MATCH", "2", "^6\\.1\\.0-[0-9]+-amd64$",
                        "PATCH", "4", "d.patch", "PATCH_MATCH", "5", "^nothing"));
        j = strv_join(c->patches, ",");
        ASSERT_STREQ(j, "a.patch,c.patch,d.patch");
}

TEST(parse_realistic_regexes_accepted) {
        static const char *const res[] = {
                "^6\\.", "^[0-9]+\\.[0-9]+\\.[0-9]+-[0-9]+-(amd64|arm64|rt-amd64)$",
                "^(4\\.(1[4-9]|[2-9][0-9])|5\\.[0-9]+|6\\.[0-9]{1,2})\\.", ".*-generic$", "^[[:digit:]]{1,3}\\.",
                "^(2\\.6\\.|3\\.[0-9]\\.|3\\.1[0-6]\\.)", "el[89]_[0-9]+\\.x86_64$",
        };
        for (size_t i = 0; i < ELEMENTSOF(res); i++) {
                _cleanup_dkms_conf_ struct dkms_conf *c = NULL;
                ASSERT_OK(PARSE(&c, PKGM, "BUILD_EXCLUSIVE_KERNEL", "0", res[i], "MAKE", "0", "m",
                                "MAKE_MATCH", "0", res[i]));
        }
}

TEST(parse_flags_and_lists) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;
        _cleanup_free_ char *cfg = NULL, *deps = NULL;

        ASSERT_OK(PARSE(&c, PKGM, "AUTOINSTALL", "0", "YES", "REMAKE_INITRD", "0", "Yes",
                        "NO_WEAK_MODULES", "0", "no",
                        "BUILD_EXCLUSIVE_CONFIG", "0", " CONFIG_A  !CONFIG_B\tCONFIG_C\n",
                        "BUILD_DEPENDS", "0", "dep-a  dep_b", "BUILD_DEPENDS", "1", "dep.c dep-a",
                        "BUILD_EXCLUSIVE_KERNEL", "0", "^6\\.", "BUILD_EXCLUSIVE_ARCH", "0", "x86_64|aarch64",
                        "CLEAN", "0", "make clean", "PRE_BUILD", "0", "pre.sh arg",
                        "POST_BUILD", "0", "post.sh", "PRE_INSTALL", "0", "pi.sh",
                        "POST_INSTALL", "0", "poi.sh", "POST_ADD", "0", "pa.sh"));
        ASSERT_TRUE(c->autoinstall);
        ASSERT_TRUE(c->remake_initrd);
        ASSERT_FALSE(c->no_weak_modules);
        cfg = strv_join(c->build_exclusive_config, ",");
        ASSERT_STREQ(cfg, "CONFIG_A,!CONFIG_B,CONFIG_C");
        deps = strv_join(c->build_depends, ",");
        ASSERT_STREQ(deps, "dep-a,dep_b,dep.c");
        ASSERT_STREQ(c->build_exclusive_kernel, "^6\\.");
        ASSERT_STREQ(c->build_exclusive_arch, "x86_64|aarch64");
        ASSERT_STREQ(c->clean, "make clean");
        ASSERT_STREQ(c->pre_build, "pre.sh arg");
        ASSERT_STREQ(c->post_build, "post.sh");
        ASSERT_STREQ(c->pre_install, "pi.sh");
        ASSERT_STREQ(c->post_install, "poi.sh");
        ASSERT_STREQ(c->post_add, "pa.sh");
}

TEST(parse_unknown_directives_and_scalar_indexes_ignored) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;

        ASSERT_OK(PARSE(&c, "OBSOLETE_BY", "0", "x", PKGM, "MODULES_CONF", "3", "y",
                        "CLEAN", "2", "not clean[0]", "weird\001name", "zz", "v"));
        ASSERT_NULL(c->clean);
}

/* ------------------------------------------------------------------ parse: validation */

struct bad_case {
        const char *want; /* the message after "'CONF': " */
        const char *triples[16];
};

static const struct bad_case bad_cases[] = {
        { "PACKAGE_NAME is missing", { "PACKAGE_VERSION", "0", "1" } },
        { "PACKAGE_VERSION is missing", { "PACKAGE_NAME", "0", "foo" } },
        { "PACKAGE_NAME is not a valid package name", { "PACKAGE_NAME", "0", "../x", "PACKAGE_VERSION", "0", "1" } },
        { "PACKAGE_NAME is not a valid package name", { "PACKAGE_NAME", "0", "-x", "PACKAGE_VERSION", "0", "1" } },
        { "PACKAGE_VERSION is not a valid version", { "PACKAGE_NAME", "0", "x", "PACKAGE_VERSION", "0", "1/2" } },
        { "PACKAGE_VERSION is not a valid version", { "PACKAGE_NAME", "0", "x", "PACKAGE_VERSION", "0", "1..2" } },
        { "BUILT_MODULE_NAME[0] ends in .ko", { PKGM, "BUILT_MODULE_NAME", "0", "foo.ko" } },
        { "BUILT_MODULE_NAME[0] ends in .o", { PKGM, "BUILT_MODULE_NAME", "0", "foo.o" } },
        { "BUILT_MODULE_NAME[0] contains '/'", { PKGM, "BUILT_MODULE_NAME", "0", "sub/foo" } },
        { "BUILT_MODULE_NAME[0] is not a valid module name", { PKGM, "BUILT_MODULE_NAME", "0", "foo bar" } },
        { "DEST_MODULE_NAME[0] ends in .ko", { PKGM, "DEST_MODULE_NAME", "0", "x.ko" } },
        { "DEST_MODULE_NAME[0] contains '/'", { PKGM, "DEST_MODULE_NAME", "0", "../x" } },
        { "BUILT_MODULE_NAME[1] is missing", { PKGM, "BUILT_MODULE_NAME", "0", "a", "DEST_MODULE_LOCATION", "1", "/extra" } },
        { "BUILT_MODULE_NAME[0] is missing", { PKG } },
        { "BUILT_MODULE_LOCATION[0] is an absolute path", { PKGM, "BUILT_MODULE_LOCATION", "0", "/abs" } },
        { "BUILT_MODULE_LOCATION[0] leaves the build directory", { PKGM, "BUILT_MODULE_LOCATION", "0", "src/../../x" } },
        { "BUILT_MODULE_LOCATION[0] leaves the build directory", { PKGM, "BUILT_MODULE_LOCATION", "0", ".." } },
        { "BUILT_MODULE_LOCATION[0] contains a control character", { PKGM, "BUILT_MODULE_LOCATION", "0", "a\nb" } },
        { "DEST_MODULE_LOCATION[0] leaves the install directory", { PKG, "DEST_MODULE_LOCATION", "0", "/extra/../../../../etc" } },
        { "DEST_MODULE_LOCATION[0] leaves the install directory", { PKG, "DEST_MODULE_LOCATION", "0", "/kernel/.." } },
        { "DEST_MODULE_LOCATION[0] does not begin with /kernel, /updates or /extra", { PKG, "DEST_MODULE_LOCATION", "0", "/etc" } },
        { "DEST_MODULE_LOCATION[0] does not begin with /kernel, /updates or /extra", { PKG, "DEST_MODULE_LOCATION", "0", "extra" } },
        { "PATCH[3] is not a plain file name", { PKGM, "PATCH", "3", "../../etc/x.patch" } },
        { "PATCH[0] is not a plain file name", { PKGM, "PATCH", "0", ".." } },
        { "MAKE_MATCH[1] is not a valid regular expression", { PKGM, "MAKE", "1", "m", "MAKE_MATCH", "1", "(" } },
        { "PATCH_MATCH[0] is not a valid regular expression", { PKGM, "PATCH", "0", "p", "PATCH_MATCH", "0", "[a" } },
        { "MAKE_MATCH[0] is too complex a regular expression", { PKGM, "MAKE", "0", "m", "MAKE_MATCH", "0", "(a{200}){200}" } },
        { "MAKE_MATCH[0] uses a back-reference", { PKGM, "MAKE", "0", "m", "MAKE_MATCH", "0", "(.)\\1" } },
        { "MAKE_MATCH[0] has adjacent repetition operators", { PKGM, "MAKE", "0", "m", "MAKE_MATCH", "0", "T++++++++++++++++++++++++++++++" } },
        { "MAKE_MATCH[0] has adjacent repetition operators", { PKGM, "MAKE", "0", "m", "MAKE_MATCH", "0", "a*+" } },
        { "MAKE_MATCH[0] has adjacent repetition operators", { PKGM, "MAKE", "0", "m", "MAKE_MATCH", "0", "a{2}{3}" } },
        { "MAKE_MATCH[0] is too complex a regular expression", { PKGM, "MAKE", "0", "m", "MAKE_MATCH", "0", "((((((((((((x*)+)+)+)+)+)+)+)+)+)+)+)+" } },
        { "MAKE_MATCH[0] is too complex a regular expression", { PKGM, "MAKE", "0", "m", "MAKE_MATCH", "0", "(x*|y*){1000}" } },
        { "MAKE_MATCH[0] is too complex a regular expression", { PKGM, "MAKE", "0", "m", "MAKE_MATCH", "0", "((((a{,99}){,99}){,99}))" } },
        { "MAKE_MATCH[0] is too complex a regular expression", { PKGM, "MAKE", "0", "m", "MAKE_MATCH", "0", "([[:digit:]+]{99}){99}" } },
        { "BUILD_EXCLUSIVE_KERNEL is not a valid regular expression", { PKGM, "BUILD_EXCLUSIVE_KERNEL", "0", "*(" } },
        { "BUILD_EXCLUSIVE_ARCH is not a valid regular expression", { PKGM, "BUILD_EXCLUSIVE_ARCH", "0", "x{2,1}" } },
        { "BUILD_EXCLUSIVE_CONFIG has an invalid option name", { PKGM, "BUILD_EXCLUSIVE_CONFIG", "0", "CONFIG_A;rm" } },
        { "BUILD_EXCLUSIVE_CONFIG has an invalid option name", { PKGM, "BUILD_EXCLUSIVE_CONFIG", "0", "CONFIG_A !" } },
        { "BUILD_DEPENDS[1] has an invalid package name", { PKGM, "BUILD_DEPENDS", "1", "ok ../evil" } },
        /* hostile dumps */
        { "BUILT_MODULE_NAME has a malformed index", { PKGM, "BUILT_MODULE_NAME", "x", "a" } },
        { "BUILT_MODULE_NAME has a malformed index", { PKGM, "BUILT_MODULE_NAME", "-1", "a" } },
        { "BUILT_MODULE_NAME has a malformed index", { PKGM, "BUILT_MODULE_NAME", "", "a" } },
        { "MAKE[4096] index is out of range", { PKGM, "MAKE", "4096", "a" } },
        { "MAKE[184467440737] index is out of range", { PKGM, "MAKE", "18446744073709551617", "a" } },
        { "PACKAGE_NAME[0] appears twice or out of order", { PKGM, "PACKAGE_NAME", "0", "bar" } },
        { "MAKE[1] appears twice or out of order", { PKGM, "MAKE", "2", "a", "MAKE", "1", "b" } },
};

TEST(parse_validation_errors) {
        for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++) {
                const struct bad_case *b = &bad_cases[i];
                struct strbuf sb = STRBUF_INIT;
                _cleanup_free_ char *d = NULL, *want = strdup_printf("'%s': %s", CONF, b->want);
                struct dkms_conf *c = NULL;
                size_t len;
                int r;

                for (size_t j = 0; b->triples[j]; j++)
                        ASSERT_OK(strbuf_add(&sb, b->triples[j], strlen(b->triples[j]) + 1));
                len = sb.len;
                d = strbuf_detach(&sb);
                r = dkms_conf_parse(CONF, d, len, &ENV, &c);
                if (r != -EBADMSG || !last_error_is(want))
                        fprintf(stderr, "  case %zu (%s): r=%d\n", i, b->want, r);
                ASSERT_ERR(r, -EBADMSG);
                ASSERT_TRUE(streq(log_last_error(), want));
                ASSERT_NULL(c);
        }
}

TEST(parse_dump_length_is_respected) {
        static const char d[] = "PACKAGE_NAME\0" "0\0" "foo\0" "PACKAGE_VERSION\0" "0\0" "1.2\0";
        struct dkms_conf *c = NULL;

        /* cut inside the last value: the value has no NUL within len */
        ASSERT_ERR(dkms_conf_parse(CONF, d, sizeof d - 3, &ENV, &c), -EBADMSG);
        ASSERT_TRUE(last_error_is("'" CONF "': malformed directive dump (truncated)"));
        ASSERT_ERR(dkms_conf_parse(CONF, d, sizeof d - 6, &ENV, &c), -EBADMSG);
        ASSERT_ERR(dkms_conf_parse(CONF, d, 5, &ENV, &c), -EBADMSG);
        ASSERT_ERR(dkms_conf_parse(CONF, d, 0, &ENV, &c), -EBADMSG);
        ASSERT_TRUE(last_error_is("'" CONF "': PACKAGE_NAME is missing"));
        ASSERT_NULL(c);
}

TEST(parse_hostile_dumps_do_not_crash) {
        static const char *const words[] = {
                "PACKAGE_NAME", "PACKAGE_VERSION", "BUILT_MODULE_NAME", "DEST_MODULE_LOCATION",
                "BUILT_MODULE_LOCATION", "DEST_MODULE_NAME", "MAKE", "MAKE_MATCH", "PATCH", "PATCH_MATCH",
                "STRIP", "BUILD_EXCLUSIVE_CONFIG", "BUILD_DEPENDS", "0", "1", "2", "4095", "99999999999",
                "foo", "1.2", "/extra", "..", "/", "", "(", ".*", "a{9}{9}", "no", "\xff\xfe", "x.ko",
        };
        unsigned seed = 12345;

        for (int iter = 0; iter < 20000; iter++) {
                char buf[512];
                size_t len = 0;
                struct dkms_conf *c = NULL;
                int n = 1 + (int) ((seed = seed * 1103515245 + 12345) >> 16) % 24;

                for (int k = 0; k < n; k++) {
                        const char *w = words[((seed = seed * 1103515245 + 12345) >> 16) % ELEMENTSOF(words)];
                        size_t l = strlen(w) + 1;
                        if (len + l > sizeof buf)
                                break;
                        memcpy(buf + len, w, l);
                        len += l;
                        if (((seed >> 8) & 15) == 0 && len > 0)
                                buf[len - 1] = 'X'; /* a missing NUL */
                }
                if (dkms_conf_parse(CONF, buf, len, &ENV, &c) >= 0) {
                        ASSERT_TRUE(c->n_modules > 0 && c->make && c->patches);
                        dkms_conf_free(c);
                }
        }
}

static char *repeat(const char *unit, size_t n) {
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < n; i++)
                if (strbuf_puts(&sb, unit) < 0)
                        abort();
        return strbuf_detach(&sb);
}

TEST(parse_huge_values_are_bounded) {
        _cleanup_free_ char *deps = repeat("a ", 300000), *deps2 = repeat("p ", 300), *path = repeat("a/", 300000);
        _cleanup_free_ char *cfg = repeat("CONFIG_A ", 100000), *many = NULL;
        struct strbuf sb = STRBUF_INIT;
        struct dkms_conf *c = NULL;
        time_t t0 = time(NULL);

        ASSERT_ERR(PARSE(&c, PKGM, "BUILD_DEPENDS", "0", deps), -EBADMSG);
        ASSERT_TRUE(last_error_is("'" CONF "': BUILD_DEPENDS[0] is too long"));
        ASSERT_ERR(PARSE(&c, PKG, "BUILT_MODULE_LOCATION", "0", path), -EBADMSG);
        ASSERT_TRUE(last_error_is("'" CONF "': BUILT_MODULE_LOCATION[0] is too long"));
        ASSERT_ERR(PARSE(&c, PKGM, "BUILD_EXCLUSIVE_CONFIG", "0", cfg), -EBADMSG);
        ASSERT_TRUE(last_error_is("'" CONF "': BUILD_EXCLUSIVE_CONFIG is too long"));
        /* many distinct short names */
        for (int i = 0; i < 300; i++)
                ASSERT_OK(strbuf_printf(&sb, "dep%d ", i));
        many = strbuf_detach(&sb);
        ASSERT_ERR(PARSE(&c, PKGM, "BUILD_DEPENDS", "0", many), -EBADMSG);
        ASSERT_TRUE(last_error_is("'" CONF "': BUILD_DEPENDS[0] lists too many packages"));
        /* duplicates do not count */
        ASSERT_OK(PARSE(&c, PKGM, "BUILD_DEPENDS", "0", deps2));
        ASSERT_EQ(strv_length(c->build_depends), 1);
        dkms_conf_free(c);
        ASSERT_TRUE(time(NULL) - t0 < 5);
}

TEST(name_validity) {
        ASSERT_TRUE(dkms_name_is_valid("v4l2loopback"));
        ASSERT_TRUE(dkms_name_is_valid("acpi-call"));
        ASSERT_TRUE(dkms_name_is_valid("1.2.3+git20240101"));
        ASSERT_FALSE(dkms_name_is_valid(""));
        ASSERT_FALSE(dkms_name_is_valid(NULL));
        ASSERT_FALSE(dkms_name_is_valid(".hidden"));
        ASSERT_FALSE(dkms_name_is_valid("a..b"));
        ASSERT_FALSE(dkms_name_is_valid("a/b"));
        ASSERT_FALSE(dkms_name_is_valid("a b"));
        char longname[130];
        memset(longname, 'a', sizeof longname - 1);
        longname[sizeof longname - 1] = 0;
        ASSERT_FALSE(dkms_name_is_valid(longname));
        longname[128] = 0;
        ASSERT_TRUE(dkms_name_is_valid(longname));
        ASSERT_TRUE(dkms_module_name_is_valid("acpi_call"));
        ASSERT_TRUE(dkms_module_name_is_valid("nvidia-drm"));
        ASSERT_FALSE(dkms_module_name_is_valid("a.ko"));
        ASSERT_FALSE(dkms_module_name_is_valid("a+b"));
        ASSERT_FALSE(dkms_module_name_is_valid(""));
}

/* ------------------------------------------------------------------ exclusion */

static struct kconfig *mkconfig(const char *text) {
        struct kconfig *kc = NULL;
        if (kconfig_parse(text, strlen(text), &kc) < 0)
                return NULL;
        return kc;
}

TEST(kconfig_lookup) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        struct kconfig *kc;
        char name[32];

        /* enough names to grow the index more than once */
        for (int i = 0; i < 5000; i++)
                ASSERT_OK(strbuf_printf(&sb, "CONFIG_OPT_%d=%d\n", i, i));
        ASSERT_OK(strbuf_puts(&sb, "CONFIG_TWICE=y\n# a comment\nCONFIG_TWICE=m\nCONFIG_UNSET=y\n"
                                   "# CONFIG_UNSET is not set\nCONFIG_=x\nCONFIG_STR=\"a b\"\n"));
        kc = mkconfig(sb.buf);
        ASSERT_TRUE(kc != NULL);
        for (int i = 0; i < 5000; i += 7) {
                char value[16];
                snprintf(name, sizeof name, "OPT_%d", i);
                snprintf(value, sizeof value, "%d", i);
                ASSERT_STREQ(kconfig_get(kc, name), value);
        }
        ASSERT_STREQ(kconfig_get(kc, "CONFIG_OPT_4999"), "4999");
        ASSERT_STREQ(kconfig_get(kc, "TWICE"), "m"); /* the later line wins */
        ASSERT_NULL(kconfig_get(kc, "UNSET"));
        ASSERT_STREQ(kconfig_get(kc, "STR"), "\"a b\"");
        ASSERT_NULL(kconfig_get(kc, "OPT_5000"));
        ASSERT_NULL(kconfig_get(kc, "OPT"));
        ASSERT_NULL(kconfig_get(kc, ""));
        kconfig_free(kc);
        kc = mkconfig("");
        ASSERT_TRUE(kc != NULL);
        ASSERT_NULL(kconfig_get(kc, "ANY"));
        kconfig_free(kc);
}

TEST(excluded_kernel_and_arch) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;
        _cleanup_free_ char *why = NULL, *why2 = NULL;

        ASSERT_OK(PARSE(&c, PKGM, "BUILD_EXCLUSIVE_KERNEL", "0", "^6\\.12\\.", "BUILD_EXCLUSIVE_ARCH", "0", "^x86_64$"));
        ASSERT_EQ(dkms_conf_excluded(c, "6.12.1-amd64", "x86_64", NULL, &why), 0);
        ASSERT_NULL(why);
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", NULL, &why), 1);
        ASSERT_STREQ(why, "BUILD_EXCLUSIVE_KERNEL '^6\\.12\\.' does not match '" KVER "'");
        ASSERT_EQ(dkms_conf_excluded(c, "6.12.1-arm64", "aarch64", NULL, &why2), 1);
        ASSERT_STREQ(why2, "BUILD_EXCLUSIVE_ARCH '^x86_64$' does not match 'aarch64'");
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", NULL, NULL), 1);
}

TEST(excluded_config) {
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL, *none = NULL;
        struct kconfig *yes = mkconfig("CONFIG_ACPI=y\nCONFIG_VIDEO_DEV=m\n# CONFIG_DEBUG is not set\n");
        struct kconfig *no = mkconfig("# CONFIG_ACPI is not set\nCONFIG_VIDEO_DEV=m\n");
        struct kconfig *debug = mkconfig("CONFIG_ACPI=y\nCONFIG_VIDEO_DEV=m\nCONFIG_DEBUG=y\n");
        struct kconfig *str = mkconfig("CONFIG_ACPI=\"y\"\nCONFIG_VIDEO_DEV=m\n");
        char *why = NULL;

        ASSERT_TRUE(yes && no && debug && str);
        ASSERT_OK(PARSE(&c, PKGM, "BUILD_EXCLUSIVE_CONFIG", "0", "CONFIG_ACPI VIDEO_DEV !CONFIG_DEBUG"));
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", yes, &why), 0);
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", no, &why), 1);
        ASSERT_STREQ(why, "BUILD_EXCLUSIVE_CONFIG requires CONFIG_ACPI, which is not set to y or m");
        why = mfree(why);
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", debug, &why), 1);
        ASSERT_STREQ(why, "BUILD_EXCLUSIVE_CONFIG excludes CONFIG_DEBUG, which is set to y");
        why = mfree(why);
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", str, &why), 1);
        why = mfree(why);
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", NULL, &why), 1);
        ASSERT_STREQ(why, "BUILD_EXCLUSIVE_CONFIG 'CONFIG_ACPI' needs the kernel's config, which was not found");
        why = mfree(why);
        ASSERT_OK(PARSE(&none, PKGM));
        ASSERT_EQ(dkms_conf_excluded(none, KVER, "x86_64", NULL, &why), 0);
        ASSERT_NULL(why);
        kconfig_free(yes);
        kconfig_free(no);
        kconfig_free(debug);
        kconfig_free(str);
}

/* ------------------------------------------------------------------ eval with bash */

struct sandbox {
        char *top;  /* the temp dir */
        char *dir;  /* the package dir */
        char *ksrc; /* a fake kernel_source_dir */
        struct dkms_env env;
};

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
}

static void sandbox_init(struct sandbox *s, const char *conf, const char *config) {
        char t[] = "/tmp/dk-test-XXXXXX";
        _cleanup_free_ char *p = NULL, *k = NULL;

        if (!mkdtemp(t))
                abort();
        s->top = strdup(t);
        s->dir = strdup_printf("%s/pkg-1.0", t);
        s->ksrc = strdup_printf("%s/ksrc", t);
        if (mkdir(s->dir, 0755) < 0 || mkdir(s->ksrc, 0755) < 0)
                abort();
        p = strdup_printf("%s/dkms.conf", s->dir);
        if (conf)
                write_file(p, conf);
        k = strdup_printf("%s/.config", s->ksrc);
        if (config)
                write_file(k, config);
        s->env = ENV;
        s->env.kernel_source_dir = s->ksrc;
}

static void sandbox_done(struct sandbox *s) {
        _cleanup_free_ char *cmd = NULL;

        if (!s->top)
                return;
        cmd = strdup_printf("rm -rf '%s'", s->top);
        if (system(cmd) != 0)
                fprintf(stderr, "cleanup of %s failed\n", s->top);
        free(s->top);
        free(s->dir);
        free(s->ksrc);
}
#define _cleanup_sandbox_ _cleanup_(sandbox_done)

static const char v4l2loopback_conf[] =
        "PACKAGE_NAME=\"v4l2loopback\"\n"
        "PACKAGE_VERSION=\"0.12.7\"\n"
        "if [ -f $kernel_source_dir/.config ]; then\n"
        "    . $kernel_source_dir/.config\n"
        "    if ! { echo \"$kernelver\"; echo 5.18; } | sort -V -C; then\n"
        "        if [ \"${CONFIG_VIDEO_DEV:-n}\" = \"n\" ]; then\n"
        "            BUILD_EXCLUSIVE_KERNEL=\"REQUIRES CONFIG_VIDEO_DEV\"\n"
        "        fi\n"
        "    else\n"
        "        if [ \"${CONFIG_VIDEO_V4L2:-n}\" = \"n\" ]; then\n"
        "            BUILD_EXCLUSIVE_KERNEL=\"REQUIRES CONFIG_VIDEO_V4L2\"\n"
        "        fi\n"
        "    fi\n"
        "fi\n"
        "MAKE[0]=\"make KERNEL_DIR=${kernel_source_dir} all\"\n"
        "CLEAN=\"make clean\"\n"
        "BUILT_MODULE_NAME[0]=\"$PACKAGE_NAME\"\n"
        "DEST_MODULE_LOCATION[0]=\"/extra\"\n"
        "AUTOINSTALL=\"yes\"\n";

TEST(eval_v4l2loopback_with_video_dev) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;
        _cleanup_free_ char *make = NULL;
        struct kconfig *kc = mkconfig("CONFIG_VIDEO_DEV=m\n");

        sandbox_init(&s, v4l2loopback_conf, "# generated\nCONFIG_VIDEO_DEV=m\nCONFIG_LOCALVERSION=\"\"\n");
        ASSERT_OK(dkms_conf_load(s.dir, &s.env, &c));
        ASSERT_STREQ(c->name, "v4l2loopback");
        ASSERT_STREQ(c->version, "0.12.7");
        ASSERT_EQ(c->n_modules, 1);
        ASSERT_STREQ(c->modules[0].built_name, "v4l2loopback");
        ASSERT_STREQ(c->modules[0].dest_location, "/extra");
        make = strdup_printf("make KERNEL_DIR=%s all", s.ksrc);
        ASSERT_STREQ(c->make, make);
        ASSERT_STREQ(c->clean, "make clean");
        ASSERT_TRUE(c->autoinstall);
        ASSERT_NULL(c->build_exclusive_kernel);
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", kc, NULL), 0);
        kconfig_free(kc);
}

TEST(eval_v4l2loopback_without_video_dev) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL, *old = NULL;
        _cleanup_free_ char *why = NULL;

        sandbox_init(&s, v4l2loopback_conf, "# CONFIG_VIDEO_DEV is not set\nCONFIG_VIDEO_V4L2=m\n");
        ASSERT_OK(dkms_conf_load(s.dir, &s.env, &c));
        ASSERT_STREQ(c->build_exclusive_kernel, "REQUIRES CONFIG_VIDEO_DEV");
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", NULL, &why), 1);
        ASSERT_STREQ(why, "BUILD_EXCLUSIVE_KERNEL 'REQUIRES CONFIG_VIDEO_DEV' does not match '" KVER "'");
        /* before 5.18 it is CONFIG_VIDEO_V4L2 that counts, and it is set */
        s.env.kernelver = "5.10.0-30-amd64";
        ASSERT_OK(dkms_conf_load(s.dir, &s.env, &old));
        ASSERT_NULL(old->build_exclusive_kernel);
}

TEST(eval_acpi_call) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;
        _cleanup_free_ char *make = NULL, *why = NULL;
        struct kconfig *acpi = mkconfig("CONFIG_ACPI=y\n"), *noacpi = mkconfig("# CONFIG_ACPI is not set\n");

        sandbox_init(&s,
                     "PACKAGE_NAME=\"acpi-call\"\n"
                     "PACKAGE_VERSION=\"1.2.2\"\n"
                     "BUILT_MODULE_NAME[0]=\"acpi_call\"\n"
                     "DEST_MODULE_LOCATION[0]=\"/kernel/drivers/acpi\"\n"
                     "MAKE[0]=\"make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build\"\n"
                     "BUILD_EXCLUSIVE_CONFIG=\"CONFIG_ACPI\"\n"
                     "AUTOINSTALL=\"yes\"\n", NULL);
        ASSERT_OK(dkms_conf_load(s.dir, &s.env, &c));
        make = strdup_printf("make -C %s M=/tree/acpi-call/1.2.2/build", s.ksrc);
        ASSERT_STREQ(c->make, make);
        ASSERT_STREQ(c->modules[0].built_name, "acpi_call");
        ASSERT_STREQ(c->modules[0].dest_name, "acpi_call");
        ASSERT_STREQ(c->modules[0].dest_location, "/kernel/drivers/acpi");
        ASSERT_EQ(strv_length(c->build_exclusive_config), 1);
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", acpi, NULL), 0);
        ASSERT_EQ(dkms_conf_excluded(c, KVER, "x86_64", noacpi, &why), 1);
        ASSERT_STREQ(why, "BUILD_EXCLUSIVE_CONFIG requires CONFIG_ACPI, which is not set to y or m");
        kconfig_free(acpi);
        kconfig_free(noacpi);
}

TEST(eval_conditional_on_kernelver) {
        static const char conf[] =
                "PACKAGE_NAME=cond\nPACKAGE_VERSION=2.0\n"
                "if [[ $kernelver == 6.* ]]; then\n"
                "        BUILT_MODULE_NAME[0]=cond_new\n"
                "        PATCH[0]=six.patch\n"
                "else\n"
                "        BUILT_MODULE_NAME[0]=cond_old\n"
                "fi\n"
                "DEST_MODULE_LOCATION[0]=/updates\n"
                "MAKE[0]=\"make -C $kernel_source_dir\"\n"
                "MAKE[1]=\"make old\"; MAKE_MATCH[1]=\"^5\\.\"\n";
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_dkms_conf_ struct dkms_conf *six = NULL, *five = NULL;

        sandbox_init(&s, conf, NULL);
        ASSERT_OK(dkms_conf_load(s.dir, &s.env, &six));
        ASSERT_STREQ(six->modules[0].built_name, "cond_new");
        ASSERT_EQ(strv_length(six->patches), 1);
        ASSERT_TRUE(startswith(six->make, "make -C /tmp/"));
        s.env.kernelver = "5.15.0-1-generic";
        ASSERT_OK(dkms_conf_load(s.dir, &s.env, &five));
        ASSERT_STREQ(five->modules[0].built_name, "cond_old");
        ASSERT_EQ(strv_length(five->patches), 0);
        ASSERT_STREQ(five->make, "make old");
}

TEST(eval_syntax_error) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_free_ char *want = NULL;
        struct dkms_conf *c = NULL;
        char *dump = NULL;
        size_t len = 0;

        sandbox_init(&s, "PACKAGE_NAME=bad\nPACKAGE_VERSION=1\nif then fi\nBUILT_MODULE_NAME[0]=bad\n", NULL);
        ASSERT_ERR(dkms_conf_eval(s.dir, &s.env, &dump, &len), -EBADMSG);
        ASSERT_NULL(dump);
        want = strdup_printf("'%s/dkms.conf': line 3: syntax error near unexpected token `then'", s.dir);
        ASSERT_TRUE(last_error_is(want));
        ASSERT_ERR(dkms_conf_load(s.dir, &s.env, &c), -EBADMSG);
        ASSERT_NULL(c);
}

TEST(eval_syntax_error_unterminated_if) {
        _cleanup_sandbox_ struct sandbox s = {};
        struct dkms_conf *c = NULL;

        sandbox_init(&s, "PACKAGE_NAME=bad\nPACKAGE_VERSION=1\nif [ -n \"$kernelver\" ]; then\n  MAKE[0]=x\n", NULL);
        ASSERT_ERR(dkms_conf_load(s.dir, &s.env, &c), -EBADMSG);
        ASSERT_TRUE(strstr(log_last_error(), "/dkms.conf': line 5: syntax error: unexpected end of file"));
}

TEST(eval_failures) {
        static const struct { const char *conf, *want; } cases[] = {
                { "PACKAGE_NAME=x\nexit 0\nPACKAGE_VERSION=1\n", "sourcing it stopped before its end (exit in dkms.conf?)" },
                { "PACKAGE_NAME=x\nexit 3\n", "sourcing it failed with exit status 3" },
                { "set -e\nPACKAGE_NAME=x\necho oops >&2\nfalse\n", "oops" },
                { "PACKAGE_NAME=x\necho \"died: $kernelver\" >&2\nkill -9 $$\n", "died: " KVER },
                { "PACKAGE_NAME=x\nprintf -v big '%*s' 1100000 ''\nCLEAN=$big\n", "its directives exceed 1048576 bytes" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_sandbox_ struct sandbox s = {};
                _cleanup_free_ char *want = NULL;
                char *dump = NULL;
                size_t len = 0;

                sandbox_init(&s, cases[i].conf, NULL);
                want = strdup_printf("'%s/dkms.conf': %s", s.dir, cases[i].want);
                ASSERT_ERR(dkms_conf_eval(s.dir, &s.env, &dump, &len), -EBADMSG);
                ASSERT_TRUE(last_error_is(want));
                ASSERT_NULL(dump);
        }
}

TEST(eval_missing_conf) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_free_ char *want = NULL;
        char *dump = NULL;
        size_t len = 0;

        sandbox_init(&s, NULL, NULL);
        want = strdup_printf("'%s/dkms.conf': No such file or directory", s.dir);
        ASSERT_ERR(dkms_conf_eval(s.dir, &s.env, &dump, &len), -EBADMSG);
        ASSERT_TRUE(last_error_is(want));
}

TEST(eval_output_is_discarded) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;
        _cleanup_free_ char *dump = NULL;
        size_t len = 0;

        sandbox_init(&s,
                     "echo 'PACKAGE_NAME' ; printf 'MAKE\\0000\\0evil\\0'\n"
                     "echo 'a warning on stderr' >&2\n"
                     "PACKAGE_NAME=loud PACKAGE_VERSION=1.0\n"
                     "ls /nonexistent-dir\n"
                     "BUILT_MODULE_NAME[0]=loud\n", NULL);
        ASSERT_OK(dkms_conf_eval(s.dir, &s.env, &dump, &len));
        ASSERT_FALSE(memmem(dump, len, "evil", 4));
        ASSERT_FALSE(memmem(dump, len, "warning", 7));
        ASSERT_OK(dkms_conf_parse("x", dump, len, &s.env, &c));
        ASSERT_STREQ(c->name, "loud");
        ASSERT_TRUE(startswith(c->make, "make -C /tmp/dk-test-"));
        ASSERT_TRUE(endswith(c->make, "/ksrc M=/tree/loud/1.0/build"));
}

TEST(eval_values_with_newlines_quotes_tabs) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;

        sandbox_init(&s,
                     "PACKAGE_NAME='quote' BUILT_MODULE_NAME=q\n"
                     "PACKAGE_VERSION=\"1.0\"\n"
                     "MAKE[0]=$'make\\tA=\"x y\"\\nB=\\'z\\' \\\\ $HOME'\n"
                     "CLEAN=\"line1\n"
                     "line2\"\n"
                     "PRE_BUILD='it'\"'\"'s \"quoted\" ${not_expanded}'\n"
                     "POST_BUILD=$'\\x01\\x7f\\xff'\n", NULL);
        ASSERT_OK(dkms_conf_load(s.dir, &s.env, &c));
        ASSERT_STREQ(c->make, "make\tA=\"x y\"\nB='z' \\ $HOME");
        ASSERT_STREQ(c->clean, "line1\nline2");
        ASSERT_STREQ(c->pre_build, "it's \"quoted\" ${not_expanded}");
        ASSERT_STREQ(c->post_build, "\x01\x7f\xff");
}

TEST(eval_dkms_variables_and_environment) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;
        _cleanup_free_ char *want = NULL, *cwd = NULL;

        sandbox_init(&s,
                     "PACKAGE_NAME=vars PACKAGE_VERSION=1 BUILT_MODULE_NAME=vars\n"
                     "PRE_BUILD=\"$kernelver|$arch|$kernel_source_dir|$kernel_config|$dkms_tree|$source_tree"
                     "|$installed_modules_dir|[$module]|$dkms_conf\"\n"
                     "POST_BUILD=\"${HOME-nohome} ${LANG} ${BASH_ENV-nobashenv} ${USER-nouser}\"\n"
                     "PRE_INSTALL=$PWD\n", NULL);
        ASSERT_OK(dkms_conf_load(s.dir, &s.env, &c));
        want = strdup_printf(KVER "|x86_64|%s|%s/.config|/tree|/usr/src|/lib/modules/" KVER "/updates/dkms|[]|%s/dkms.conf",
                             s.ksrc, s.ksrc, s.dir);
        ASSERT_STREQ(c->pre_build, want);
        ASSERT_STREQ(c->post_build, "nohome C nobashenv nouser");
        cwd = realpath(s.dir, NULL);
        ASSERT_STREQ(c->pre_install, cwd);
}

TEST(eval_like_dkms_function_scope_and_sparse_arrays) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;

        /* DKMS sources inside a function: local and declare work and are seen; return stops the file */
        sandbox_init(&s,
                     "local PACKAGE_NAME=scope\n"
                     "declare PACKAGE_VERSION=3.0\n"
                     "declare -a BUILT_MODULE_NAME=([0]=a [1]=b)\n"
                     "MAKE[0]=base; MAKE[17]=seventeen; MAKE_MATCH[17]=.\n"
                     "printf() { :; }\n"
                     "return 0\n"
                     "PACKAGE_VERSION=never\n", NULL);
        ASSERT_OK(dkms_conf_load(s.dir, &s.env, &c));
        ASSERT_STREQ(c->name, "scope");
        ASSERT_STREQ(c->version, "3.0");
        ASSERT_EQ(c->n_modules, 2);
        ASSERT_STREQ(c->modules[1].built_name, "b");
        ASSERT_STREQ(c->make, "seventeen");
}

TEST(eval_background_process_does_not_hold_it) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;
        time_t t0 = time(NULL);

        sandbox_init(&s, "PACKAGE_NAME=bg PACKAGE_VERSION=1 BUILT_MODULE_NAME=bg\n(sleep 20; echo late >&2) &\nsleep 20 &\n", NULL);
        ASSERT_OK(dkms_conf_load(s.dir, &s.env, &c));
        ASSERT_TRUE(time(NULL) - t0 < 10);
}

TEST(eval_invalid_conf_is_reported_by_load) {
        _cleanup_sandbox_ struct sandbox s = {};
        _cleanup_free_ char *want = NULL;
        struct dkms_conf *c = NULL;

        sandbox_init(&s,
                     "PACKAGE_NAME=\"bad-dest\"\nPACKAGE_VERSION=\"1.0\"\nBUILT_MODULE_NAME[0]=\"bad_dest\"\n"
                     "DEST_MODULE_LOCATION[0]=\"/extra/../../../../etc\"\n", NULL);
        want = strdup_printf("'%s/dkms.conf': DEST_MODULE_LOCATION[0] leaves the install directory", s.dir);
        ASSERT_ERR(dkms_conf_load(s.dir, &s.env, &c), -EBADMSG);
        ASSERT_TRUE(last_error_is(want));
}
