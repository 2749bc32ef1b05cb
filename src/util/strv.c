/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include "util/strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **s = l; *s; s++)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

int strv_consume(char ***l, char *s) {
        size_t n;
        char **m;

        if (!s)
                return -ENOMEM;
        n = strv_length(*l);
        m = realloc(*l, (n + 2) * sizeof(char *));
        if (!m) {
                free(s);
                return -ENOMEM;
        }
        m[n] = s;
        m[n + 1] = NULL;
        *l = m;
        return 0;
}

int strv_push(char ***l, const char *s) { return strv_consume(l, strdup(s)); }

int strv_pushf(char ***l, const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return strv_consume(l, s);
}

bool strv_contains(char *const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

char **strv_copy(char *const *l) {
        char **r = calloc(1, sizeof(char *));
        if (!r)
                return NULL;
        STRV_FOREACH(i, l)
                if (strv_push(&r, *i) < 0)
                        return strv_free(r);
        return r;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void strv_sort(char **l) { qsort(l, strv_length(l), sizeof(char *), cmp_str); }

int strv_split(const char *s, const char *sep, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        while (*s) {
                size_t n;
                s += strspn(s, sep);
                n = strcspn(s, sep);
                if (n == 0)
                        break;
                if (strv_consume(&l, strndup(s, n)) < 0)
                        return -ENOMEM;
                s += n;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

char *strv_join(char *const *l, const char *sep) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        STRV_FOREACH(i, l)
                if ((i != l && strbuf_puts(&sb, sep) < 0) || strbuf_puts(&sb, *i) < 0)
                        return NULL;
        return strbuf_detach(&sb);
}

int strbuf_reserve(struct strbuf *sb, size_t extra) {
        if (sb->len + extra + 1 > sb->alloc) {
                size_t a = sb->alloc ? sb->alloc : 64;
                char *b;
                while (a < sb->len + extra + 1)
                        a *= 2;
                b = realloc(sb->buf, a);
                if (!b)
                        return -ENOMEM;
                sb->buf = b;
                sb->alloc = a;
        }
        return 0;
}

int strbuf_add(struct strbuf *sb, const void *data, size_t len) {
        if (strbuf_reserve(sb, len) < 0)
                return -ENOMEM;
        if (len)
                memcpy(sb->buf + sb->len, data, len);
        sb->len += len;
        sb->buf[sb->len] = 0;
        return 0;
}

int strbuf_puts(struct strbuf *sb, const char *s) { return strbuf_add(sb, s, strlen(s)); }
int strbuf_putc(struct strbuf *sb, char c) { return strbuf_add(sb, &c, 1); }

int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap) {
        char *s;
        int r;

        if (vasprintf(&s, fmt, ap) < 0)
                return -ENOMEM;
        r = strbuf_puts(sb, s);
        free(s);
        return r;
}

int strbuf_printf(struct strbuf *sb, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = strbuf_vprintf(sb, fmt, ap);
        va_end(ap);
        return r;
}

char *strbuf_detach(struct strbuf *sb) {
        char *b = sb->buf ? sb->buf : strdup("");
        sb->buf = NULL;
        sb->len = sb->alloc = 0;
        return b;
}

void strbuf_done(struct strbuf *sb) {
        free(sb->buf);
        sb->buf = NULL;
        sb->len = sb->alloc = 0;
}

char *strdup_printf(const char *fmt, ...) {
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

char *path_join(const char *a, const char *b) {
        size_t la = strlen(a);
        while (la > 1 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        if (la == 1 && a[0] == '/')
                return strdup_printf("/%s", b);
        return *b ? strdup_printf("%.*s/%s", (int) la, a, b) : strndup(a, la);
}

char *path_dirname(const char *p) {
        const char *slash = strrchr(p, '/');
        if (!slash)
                return strdup(".");
        while (slash > p && slash[-1] == '/')
                slash--;
        return slash == p ? strdup("/") : strndup(p, (size_t) (slash - p));
}

char *strstrip_nl(char *s) {
        size_t l = strlen(s);
        while (l > 0 && (s[l - 1] == '\n' || s[l - 1] == '\r'))
                s[--l] = 0;
        return s;
}
