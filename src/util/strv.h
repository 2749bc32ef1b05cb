/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>
#include "util/macro.h"

/* NULL-terminated string vectors, owned: strv_free() frees the strings too. */
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char *const *l);
/* Appends a copy of s (or takes ownership with strv_consume). -ENOMEM on failure. */
int strv_push(char ***l, const char *s);
int strv_consume(char ***l, char *s);
int strv_pushf(char ***l, const char *fmt, ...) _printf_(2, 3);
bool strv_contains(char *const *l, const char *s);
char **strv_copy(char *const *l);
void strv_sort(char **l);
/* Splits on any of the separator characters, dropping empty words. */
int strv_split(const char *s, const char *sep, char ***ret);
char *strv_join(char *const *l, const char *sep);

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)

/* A growable string. */
struct strbuf {
        char *buf;
        size_t len, alloc;
};
#define STRBUF_INIT { NULL, 0, 0 }
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
/* Makes room for extra more bytes (and the NUL), so that adding them does
 * not move the buffer. */
int strbuf_reserve(struct strbuf *sb, size_t extra);
int strbuf_puts(struct strbuf *sb, const char *s);
int strbuf_putc(struct strbuf *sb, char c);
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Returns the buffer (never NULL after a successful add; "" if empty) and resets sb. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_done(struct strbuf *sb);
#define _cleanup_strbuf_ _cleanup_(strbuf_done)

char *strdup_printf(const char *fmt, ...) _printf_(1, 2);
/* Joins path components with single slashes. */
char *path_join(const char *a, const char *b);
/* The directory part of a path: "/a/b" -> "/a", "/a" -> "/", "a" -> ".". */
char *path_dirname(const char *p);
/* Strips trailing newlines in place; returns s. */
char *strstrip_nl(char *s);
