/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check(e): the property the fuzz target asserts; a violation aborts, which
 * libFuzzer reports as a crash with the input that caused it. */
#pragma once
#include <stdio.h>
#include <stdlib.h>

#define check(e)                                                                          \
        do {                                                                              \
                if (!(e)) {                                                               \
                        fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #e);    \
                        abort();                                                          \
                }                                                                         \
        } while (0)
