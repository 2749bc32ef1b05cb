/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include "util/json.h"

static unsigned documents;

void json_init(struct json *j, FILE *f) {
        *j = (struct json) { .f = f };
        documents++;
}

unsigned json_documents(void) { return documents; }

static void value_prefix(struct json *j) {
        if (j->after_key) {
                j->after_key = false;
                return;
        }
        if (j->need_comma[j->depth])
                fputc(',', j->f);
        j->need_comma[j->depth] = true;
}

static void open(struct json *j, char c) {
        value_prefix(j);
        fputc(c, j->f);
        if (j->depth < (int) ELEMENTSOF(j->need_comma) - 1)
                j->depth++;
        j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c) {
        fputc(c, j->f);
        if (j->depth > 0)
                j->depth--;
        if (j->depth == 0)
                fputc('\n', j->f);
}

void json_object_begin(struct json *j) { open(j, '{'); }
void json_object_end(struct json *j) { close_(j, '}'); }
void json_array_begin(struct json *j) { open(j, '['); }
void json_array_end(struct json *j) { close_(j, ']'); }

static void put_escaped(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                switch (*p) {
                case '"': fputs("\\\"", f); break;
                case '\\': fputs("\\\\", f); break;
                case '\n': fputs("\\n", f); break;
                case '\t': fputs("\\t", f); break;
                case '\r': fputs("\\r", f); break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        }
        fputc('"', f);
}

void json_key(struct json *j, const char *key) {
        value_prefix(j);
        put_escaped(j->f, key);
        fputc(':', j->f);
        j->after_key = true;
}

void json_string(struct json *j, const char *s) {
        if (!s) {
                json_null(j);
                return;
        }
        value_prefix(j);
        put_escaped(j->f, s);
}

void json_int(struct json *j, int64_t v) {
        value_prefix(j);
        fprintf(j->f, "%" PRId64, v);
}

void json_bool(struct json *j, bool v) {
        value_prefix(j);
        fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j) {
        value_prefix(j);
        fputs("null", j->f);
}

void json_kv_string(struct json *j, const char *key, const char *s) { json_key(j, key); json_string(j, s); }
void json_kv_int(struct json *j, const char *key, int64_t v) { json_key(j, key); json_int(j, v); }
void json_kv_bool(struct json *j, const char *key, bool v) { json_key(j, key); json_bool(j, v); }
