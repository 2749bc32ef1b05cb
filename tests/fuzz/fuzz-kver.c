/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: kver_compare() on up to three NUL-separated strings, checking
 * that it is an order (reflexive, antisymmetric, 0 only for equal strings,
 * transitive on the triple) and kver_is_valid() on each, checking that a valid
 * KVER is a safe path component. Seeds: tests/fuzz/corpus/kver/.
 * Build and run (a scratch corpus first, new inputs go there):
 *   clang -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-kver.c src/kernel/kver.c -o /tmp/fuzz-kver
 *   mkdir -p /tmp/corpus-kver && /tmp/fuzz-kver -max_total_time=60 /tmp/corpus-kver tests/fuzz/corpus/kver
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/kver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int x) { return (x > 0) - (x < 0); }

static void check_valid(const char *s) {
        if (!kver_is_valid(s))
                return;
        if (strlen(s) > 128 || strchr(s, '/') || strstr(s, "..") || s[0] == '.' || s[0] == '-')
                abort();
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f)
                        abort();
}

static void check_pair(const char *a, const char *b) {
        int ab = kver_compare(a, b), ba = kver_compare(b, a);

        if (sign(ab) != -sign(ba))
                abort();
        if ((ab == 0) != (strcmp(a, b) == 0))
                abort();
}

static void check_triple(const char *a, const char *b, const char *c) {
        int ab = sign(kver_compare(a, b)), bc = sign(kver_compare(b, c)), ac = sign(kver_compare(a, c));

        if (ab <= 0 && bc <= 0 && ac > 0)
                abort();
        if (ab >= 0 && bc >= 0 && ac < 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *buf, *s[3];
        size_t n = 0;

        if (size > 64 * 1024)
                return 0;
        buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = 0;
        /* "a\0b\0c": the strings are the NUL-separated pieces, "" when missing */
        for (char *p = buf; n < 3; n++) {
                s[n] = p;
                p += strlen(p);
                if (p < buf + size)
                        p++;
        }
        for (size_t i = 0; i < 3; i++) {
                check_valid(s[i]);
                if (kver_compare(s[i], s[i]) != 0)
                        abort();
        }
        check_pair(s[0], s[1]);
        check_pair(s[1], s[2]);
        check_pair(s[0], s[2]);
        check_triple(s[0], s[1], s[2]);
        check_triple(s[2], s[0], s[1]);
        check_triple(s[1], s[2], s[0]);
        free(buf);
        return 0;
}
