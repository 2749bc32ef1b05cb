/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the kernel command line distkernel embeds in UKIs and BLS
 * entries, read from /etc/kernel/cmdline (or /proc/cmdline) by
 * boot_cmdline_from_text(), and the entry token check boot_token_valid() on
 * the input's first line. The first byte says whether the text is
 * /proc/cmdline. Checks: a NUL byte in the text is an error naming the file;
 * otherwise the result is the input's words (independently split on white
 * space, the boot loader's BOOT_IMAGE= and initrd= dropped for /proc/cmdline)
 * joined by single spaces: no white space at its ends, none but single spaces
 * inside, and reading the result again gives it unchanged. A valid token is a
 * safe file name component. Seeds: tests/fuzz/corpus/kernel-cmdline/.
 * Build and run (a scratch corpus first, new inputs go there):
 *   clang -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-kernel-cmdline.c src/boot/env.c ... (see tests/fuzz/run.sh) -o /tmp/fuzz-kernel-cmdline
 *   mkdir -p /tmp/corpus-kc && /tmp/fuzz-kernel-cmdline -dict=tests/fuzz/kernel-cmdline.dict \
 *         -max_total_time=60 /tmp/corpus-kc tests/fuzz/corpus/kernel-cmdline
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "boot/env.h"
#include "util/log.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool blank(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* The expected result, word by word. */
static char *model(const char *text, size_t len, bool from_proc) {
        char *out = malloc(len + 1), *o = out;
        size_t i = 0;

        check(out);
        while (i < len) {
                size_t start, n;
                while (i < len && blank(text[i]))
                        i++;
                start = i;
                while (i < len && !blank(text[i]))
                        i++;
                n = i - start;
                if (n == 0)
                        break;
                if (from_proc && ((n >= 11 && memcmp(text + start, "BOOT_IMAGE=", 11) == 0) ||
                                  (n >= 7 && memcmp(text + start, "initrd=", 7) == 0)))
                        continue;
                if (o > out)
                        *o++ = ' ';
                memcpy(o, text + start, n);
                o += n;
        }
        *o = 0;
        return out;
}

static void check_token(const char *s, size_t len) {
        char *t = strndup(s, strcspn(s, "\n") < len ? strcspn(s, "\n") : len);

        check(t);
        if (boot_token_valid(t)) {
                size_t n = strlen(t);
                check(n >= 1 && n <= 64);
                check(strcmp(t, ".") != 0 && strcmp(t, "..") != 0);
                for (const char *p = t; *p; p++)
                        check(isalnum((unsigned char) *p) || *p == '-' || *p == '_' || *p == '.');
        }
        free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *path;
        char *text, *got = NULL, *again = NULL, *want;
        bool from_proc;
        size_t len;
        int r;

        log_set_sink(NULL, NULL);
        if (size < 1 || size > 64 * 1024)
                return 0;
        from_proc = data[0] & 1;
        path = from_proc ? "/proc/cmdline" : "/etc/kernel/cmdline";
        len = size - 1;
        text = malloc(len + 1);
        check(text);
        memcpy(text, data + 1, len);
        text[len] = 0;
        check_token(text, len);

        r = boot_cmdline_from_text(path, text, len, from_proc, &got);
        if (memchr(text, 0, len)) {
                check(r == -EBADMSG);
                check(strstr(log_last_error(), path) && strstr(log_last_error(), "NUL"));
                free(text);
                return 0;
        }
        check(r == 0);
        want = model(text, len, from_proc);
        if (strcmp(got, want) != 0)
                fprintf(stderr, "got  '%s'\nwant '%s'\n", got, want);
        check(strcmp(got, want) == 0);
        for (size_t i = 0; got[i]; i++)
                check(!blank(got[i]) || (got[i] == ' ' && i > 0 && got[i + 1] && got[i + 1] != ' '));
        check(boot_cmdline_from_text(path, got, strlen(got), false, &again) == 0);
        check(strcmp(again, got) == 0);
        free(again);
        free(want);
        free(got);
        free(text);
        return 0;
}
