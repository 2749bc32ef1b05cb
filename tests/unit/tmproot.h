/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Scratch roots for unit tests: an empty directory under /tmp, removed with
 * everything below it afterwards. */
#include <stdio.h>
#include <stdlib.h>
#include "util/strv.h"

static inline char *mkroot(void) {
        char t[] = "/tmp/dk-test-XXXXXX";
        return mkdtemp(t) ? strdup(t) : NULL;
}

static inline void rmroot(char *d) {
        _cleanup_free_ char *cmd = strdup_printf("rm -rf '%s'", d);
        if (cmd && system(cmd) != 0)
                fprintf(stderr, "cleanup of %s failed\n", d);
        free(d);
}
