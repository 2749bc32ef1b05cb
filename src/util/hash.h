/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include "util/macro.h"

/* SHA-256 through OpenSSL, rendered as 64 lower-case hex digits. */
#define HASH_HEX_LEN 65

struct hasher;
struct hasher *hasher_new(void);
void hasher_free(struct hasher *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct hasher *, hasher_free)
#define _cleanup_hasher_ _cleanup_(hasher_freep)
void hasher_add(struct hasher *h, const void *data, size_t len);
/* Adds s including its terminating NUL, so that ("ab","c") != ("a","bc"). */
void hasher_add_str(struct hasher *h, const char *s);
void hasher_final(struct hasher *h, char ret_hex[HASH_HEX_LEN]);

void hash_buf(const void *data, size_t len, char ret_hex[HASH_HEX_LEN]);
/* The whole file from offset 0, whatever fd's offset (pread: safe on a second
 * thread while another uses fd). */
int hash_fd(int fd, char ret_hex[HASH_HEX_LEN]);
int hash_file_at(int rootfd, const char *path, char ret_hex[HASH_HEX_LEN]);
