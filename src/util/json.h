/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include "util/macro.h"

/* A small streaming JSON writer: the caller emits keys and values in order;
 * commas and nesting are tracked here. Strings are escaped as RFC 8259 says. */
struct json {
        FILE *f;
        int depth;
        bool need_comma[64];
        bool after_key;
};

void json_init(struct json *j, FILE *f);
/* How many documents json_init() began in this process (the CLI writes an error
 * document only when a command wrote none). */
unsigned json_documents(void);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s); /* NULL writes null */
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Key + value shorthands. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);
