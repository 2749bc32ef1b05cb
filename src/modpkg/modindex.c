/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "modpkg/modindex.h"
#include "util/strv.h"

#define INDEX_MAGIC 0xB007F457u
#define INDEX_VERSION 0x00020001u
#define NODE_PREFIX 0x80000000u
#define NODE_VALUES 0x40000000u
#define NODE_CHILDS 0x20000000u
#define NODE_MASK 0x0FFFFFFFu
#define CHILD_MAX 128

int modindex_add(struct modindex *x, const char *key, const char *value, uint32_t priority) {
        if (x->n == x->alloc) {
                size_t a = x->alloc ? x->alloc * 2 : 1024;
                struct modindex_entry *e = reallocarray(x->e, a, sizeof *e);
                if (!e)
                        return -ENOMEM;
                x->e = e;
                x->alloc = a;
        }
        x->e[x->n] = (struct modindex_entry) { key, value, priority, (uint32_t) x->n };
        x->n++;
        return 0;
}

void modindex_done(struct modindex *x) {
        free(x->e);
        *x = (struct modindex) MODINDEX_INIT;
}

static bool ascii(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s >= CHILD_MAX)
                        return false;
        return true;
}

static int entry_cmp(const void *a, const void *b) {
        const struct modindex_entry *x = a, *y = b;
        int c = strcmp(x->key, y->key);

        if (c)
                return c;
        if (x->priority != y->priority)
                return x->priority < y->priority ? -1 : 1;
        return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0; /* the later one first */
}

static int put_u32(struct strbuf *sb, uint32_t v) {
        uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };
        return strbuf_add(sb, b, 4);
}

/* Writes the node of entries [lo, hi), whose keys share their first d bytes
 * (the characters above it), children first; returns its offset and flags.
 * The root keeps an empty prefix, as depmod's does. */
static int write_node(const struct modindex *x, size_t lo, size_t hi, size_t d, bool root, struct strbuf *sb,
                      uint32_t *ret) {
        uint32_t offs[CHILD_MAX] = {}, flags = 0;
        size_t lcp = d, v_end = lo;
        int first = CHILD_MAX, last = -1, r;

        if (!root && lo < hi) {
                const char *a = x->e[lo].key, *b = x->e[hi - 1].key;
                while (a[lcp] && a[lcp] == b[lcp])
                        lcp++;
        }
        while (v_end < hi && x->e[v_end].key[lcp] == '\0')
                v_end++;
        for (size_t i = v_end; i < hi;) {
                unsigned char c = (unsigned char) x->e[i].key[lcp];
                size_t j = i;
                while (j < hi && (unsigned char) x->e[j].key[lcp] == c)
                        j++;
                r = write_node(x, i, j, lcp + 1, false, sb, &offs[c]);
                if (r < 0)
                        return r;
                if (first == CHILD_MAX)
                        first = c;
                last = c;
                i = j;
        }
        if (sb->len > NODE_MASK)
                return -EFBIG;
        *ret = (uint32_t) sb->len;
        if (lcp > d) {
                r = strbuf_add(sb, x->e[lo].key + d, lcp - d);
                if (r >= 0)
                        r = strbuf_putc(sb, '\0');
                if (r < 0)
                        return r;
                flags |= NODE_PREFIX;
        }
        if (last >= 0) {
                r = strbuf_putc(sb, (char) first);
                if (r >= 0)
                        r = strbuf_putc(sb, (char) last);
                for (int c = first; r >= 0 && c <= last; c++)
                        r = put_u32(sb, offs[c]);
                if (r < 0)
                        return r;
                flags |= NODE_CHILDS;
        }
        if (v_end > lo) {
                r = put_u32(sb, (uint32_t) (v_end - lo));
                for (size_t i = lo; r >= 0 && i < v_end; i++) {
                        r = put_u32(sb, x->e[i].priority);
                        if (r >= 0)
                                r = strbuf_add(sb, x->e[i].value, strlen(x->e[i].value) + 1);
                }
                if (r < 0)
                        return r;
                flags |= NODE_VALUES;
        }
        *ret |= flags;
        return 0;
}

int modindex_build(struct modindex *x, char **ret, size_t *ret_len) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        uint32_t root;
        int r;

        size_t size = 12;

        for (size_t i = 0; i < x->n; i++) {
                if (!ascii(x->e[i].key) || !ascii(x->e[i].value))
                        return -EINVAL;
                size += strlen(x->e[i].value) + 16;
        }
        if (strbuf_reserve(&sb, size) < 0)
                return -ENOMEM;
        if (x->n > 1)
                qsort(x->e, x->n, sizeof *x->e, entry_cmp);
        r = put_u32(&sb, INDEX_MAGIC);
        if (r >= 0)
                r = put_u32(&sb, INDEX_VERSION);
        if (r >= 0)
                r = put_u32(&sb, 0);
        if (r >= 0)
                r = write_node(x, 0, x->n, 0, true, &sb, &root);
        if (r < 0)
                return r;
        for (int i = 0; i < 4; i++)
                sb.buf[8 + i] = (char) (root >> (24 - 8 * i));
        *ret_len = sb.len;
        *ret = strbuf_detach(&sb);
        return *ret ? 0 : -ENOMEM;
}
