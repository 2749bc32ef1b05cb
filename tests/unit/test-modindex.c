/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include "test.h"
#include "modpkg/modindex.h"
#include "util/strv.h"

static uint32_t be32(const char *b, size_t off) {
        const unsigned char *p = (const unsigned char *) b + off;
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* A reader as libkmod reads the format: the values of key, "prio:value,...",
 * or NULL when the key is not there. */
static char *lookup(const char *b, size_t len, const char *key) {
        uint32_t off = be32(b, 8);

        for (;;) {
                size_t p = off & 0x0FFFFFFF;
                if (p >= len)
                        return NULL;
                if (off & 0x80000000) {
                        size_t n = strlen(b + p);
                        if (strncmp(b + p, key, n) != 0)
                                return NULL;
                        key += n;
                        p += n + 1;
                }
                if (!*key) {
                        struct strbuf sb = STRBUF_INIT;
                        if (off & 0x20000000)
                                p += 2 + 4 * ((unsigned char) b[p + 1] - (unsigned char) b[p] + 1);
                        if (off & 0x40000000) {
                                uint32_t n = be32(b, p);
                                p += 4;
                                for (uint32_t i = 0; i < n; i++) {
                                        strbuf_printf(&sb, "%s%u:%s", i ? "," : "", be32(b, p), b + p + 4);
                                        p += 4 + strlen(b + p + 4) + 1;
                                }
                        }
                        return strbuf_detach(&sb);
                }
                if (!(off & 0x20000000))
                        return NULL;
                unsigned char c = (unsigned char) *key, first = (unsigned char) b[p], last = (unsigned char) b[p + 1];
                if (c < first || c > last)
                        return NULL;
                off = be32(b, p + 2 + 4 * (c - first));
                if (!off)
                        return NULL;
                key++;
        }
}

TEST(modindex_one_key_bytes) {
        _cleanup_modindex_ struct modindex x = MODINDEX_INIT;
        _cleanup_free_ char *b = NULL;
        size_t len;
        static const unsigned char want[] = {
                0xB0, 0x07, 0xF4, 0x57, 0x00, 0x02, 0x00, 0x01, 0x20, 0x00, 0x00, 0x16, /* header, root at 22 */
                0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 'x', 0,                 /* node "a": 1 value */
                'a', 'a', 0x40, 0x00, 0x00, 0x0C,                                       /* root: child 'a' */
        };
        ASSERT_OK(modindex_add(&x, "a", "x", 1));
        ASSERT_OK(modindex_build(&x, &b, &len));
        ASSERT_EQ(len, sizeof want);
        ASSERT_TRUE(memcmp(b, want, len) == 0);
}

TEST(modindex_empty) {
        _cleanup_modindex_ struct modindex x = MODINDEX_INIT;
        _cleanup_free_ char *b = NULL;
        size_t len;
        ASSERT_OK(modindex_build(&x, &b, &len));
        ASSERT_EQ(len, 12);
        ASSERT_EQ(be32(b, 8), 12);
}

TEST(modindex_prefixes_and_lookups) {
        static const char *const keys[] = { "once", "ask", "one", "ate", "on", "symbol:foo", "symbol:foobar" };
        _cleanup_modindex_ struct modindex x = MODINDEX_INIT;
        _cleanup_free_ char *b = NULL;
        size_t len;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                ASSERT_OK(modindex_add(&x, keys[i], keys[i], (uint32_t) i));
        ASSERT_OK(modindex_build(&x, &b, &len));
        ASSERT_FALSE(be32(b, 8) & 0x80000000); /* the root has no prefix, as depmod's */
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                _cleanup_free_ char *v = lookup(b, len, keys[i]), *want = strdup_printf("%zu:%s", i, keys[i]);
                ASSERT_STREQ(v, want);
        }
        _cleanup_free_ char *none = lookup(b, len, "o"), *none2 = lookup(b, len, "symbol:fo"),
                            *none3 = lookup(b, len, "onex");
        ASSERT_TRUE(!none || !*none);
        ASSERT_TRUE(!none2 || !*none2);
        ASSERT_TRUE(none3 == NULL);
}

TEST(modindex_value_order) {
        _cleanup_modindex_ struct modindex x = MODINDEX_INIT;
        _cleanup_free_ char *b = NULL, *v = NULL;
        size_t len;
        /* by priority; of equal priority the later first, as depmod inserts */
        ASSERT_OK(modindex_add(&x, "k", "first", 5));
        ASSERT_OK(modindex_add(&x, "k", "second", 5));
        ASSERT_OK(modindex_add(&x, "k", "low", 1));
        ASSERT_OK(modindex_add(&x, "k", "high", 9));
        ASSERT_OK(modindex_build(&x, &b, &len));
        v = lookup(b, len, "k");
        ASSERT_STREQ(v, "1:low,5:second,5:first,9:high");
}

TEST(modindex_refuses_8bit) {
        _cleanup_modindex_ struct modindex x = MODINDEX_INIT;
        _cleanup_free_ char *b = NULL;
        size_t len;
        ASSERT_OK(modindex_add(&x, "caf\xc3\xa9", "m", 0));
        ASSERT_ERR(modindex_build(&x, &b, &len), -EINVAL);
}
