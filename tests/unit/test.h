/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Minimal self-registering unit tests. Each test file includes this once:
 *   TEST(name) { ASSERT_TRUE(x); ASSERT_STREQ(a, b); ASSERT_OK(r); }
 * and gets a main() that runs them all and ends with "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct test_case {
        const char *name;
        void (*fn)(void);
};
static struct test_case test_cases[256];
static int n_test_cases, test_failed_flag;

#define TEST(n)                                                          \
        static void test_##n(void);                                      \
        __attribute__((constructor)) static void register_##n(void) {    \
                test_cases[n_test_cases++] = (struct test_case) { #n, test_##n }; \
        }                                                                \
        static void test_##n(void)

#define FAIL_AT(fmt, ...)                                                \
        do {                                                             \
                fprintf(stderr, "%s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__); \
                test_failed_flag = 1;                                    \
                return;                                                  \
        } while (0)

#define ASSERT_TRUE(e) do { if (!(e)) FAIL_AT("assertion failed: %s", #e); } while (0)
#define ASSERT_FALSE(e) ASSERT_TRUE(!(e))
#define ASSERT_EQ(a, b) do { long long _a = (long long) (a), _b = (long long) (b); \
        if (_a != _b) FAIL_AT("%s == %s: %lld != %lld", #a, #b, _a, _b); } while (0)
#define ASSERT_OK(e) do { long long _r = (long long) (e); \
        if (_r < 0) FAIL_AT("%s failed: %lld (%s)", #e, _r, strerror((int) -_r)); } while (0)
#define ASSERT_ERR(e, want) do { long long _r = (long long) (e); \
        if (_r != (want)) FAIL_AT("%s: got %lld, want %s", #e, _r, #want); } while (0)
#define ASSERT_STREQ(a, b) do { const char *_a = (a), *_b = (b); \
        if (!_a || !_b || strcmp(_a, _b) != 0) \
                FAIL_AT("%s == %s: \"%s\" != \"%s\"", #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
#define ASSERT_NULL(e) ASSERT_TRUE((e) == NULL)

int main(int argc, char **argv) {
        int passed = 0, failed = 0;
        for (int i = 0; i < n_test_cases; i++) {
                if (argc > 1 && strcmp(argv[1], test_cases[i].name) != 0)
                        continue;
                test_failed_flag = 0;
                test_cases[i].fn();
                printf("%s %s\n", test_failed_flag ? "FAIL" : "ok", test_cases[i].name);
                if (test_failed_flag)
                        failed++;
                else
                        passed++;
        }
        printf("%d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
}
