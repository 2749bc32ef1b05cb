/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: bls_entry_files() on a BLS type 1 entry, checking that it
 * either fails with -EBADMSG/-ENOMEM leaving *ret NULL or returns non-empty
 * paths without blanks at their ends, and bls_path_valid() on each, checking
 * that a valid path has no ".." component. The input's first line is also
 * given to bls_entry_boot_dir() as an entry path. Seeds:
 * tests/fuzz/corpus/bls-entry/. Build and run:
 *   clang -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-bls-entry.c src/boot/bls.c src/util/strv.c src/util/log.c -o /tmp/fuzz-bls-entry
 *   mkdir -p /tmp/corpus-bls && /tmp/fuzz-bls-entry -max_total_time=60 /tmp/corpus-bls tests/fuzz/corpus/bls-entry
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "boot/bls.h"
#include "util/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p) {
        size_t n = strlen(p);

        if (n == 0 || strchr(" \t\r\n", p[0]) || strchr(" \t\r\n", p[n - 1]))
                abort();
        if (!bls_path_valid(p))
                return;
        for (const char *c = p; (c = strstr(c, "..")); c++)
                if ((c == p || c[-1] == '/') && (c[2] == 0 || c[2] == '/'))
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char **files = (char **) 1, *text, *nl, *boot;
        int r;

        if (size > 64 * 1024)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        r = bls_entry_files(text, &files);
        if (r < 0) {
                if (r != -EBADMSG && r != -ENOMEM)
                        abort();
        } else
                STRV_FOREACH(p, files)
                        check_path(*p);
        if (r >= 0)
                strv_free(files);
        nl = strchr(text, '\n');
        if (nl)
                *nl = 0;
        boot = bls_entry_boot_dir(text);
        if (boot && (!strstr(text, "/loader/entries/") || strlen(boot) > strlen(text)))
                abort();
        free(boot);
        free(text);
        return 0;
}
