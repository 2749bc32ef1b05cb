/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: kconfig_parse() on an arbitrary .config, then kconfig_get()
 * for fixed names and for the names the input mentions, checked against a plain
 * linear scan (the last "CONFIG_X=" or "# CONFIG_X is not set" line of a name
 * wins), and kconfig_module_compress(). Seeds: tests/fuzz/corpus/kconfig/.
 * Build and run (a scratch corpus first, new inputs go there):
 *   clang -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-kconfig.c src/kernel/kernel.c src/kernel/kver.c src/util/{log,strv,fs}.c -o /tmp/fuzz-kconfig
 *   mkdir -p /tmp/corpus-kconfig && /tmp/fuzz-kconfig -max_total_time=60 /tmp/corpus-kconfig tests/fuzz/corpus/kconfig
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool name_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The reference: scans every line for name (nl bytes). Returns the value of the
 * last assignment (its length in *ret_len), NULL when unset or absent. */
static const char *scan(const char *t, size_t len, const char *name, size_t nl, size_t *ret_len) {
        const char *val = NULL;

        for (const char *line = t, *end = t + len; line < end;) {
                const char *eol = memchr(line, '\n', (size_t) (end - line));
                size_t ll;
                if (!eol)
                        eol = end;
                ll = (size_t) (eol - line);
                if (!memchr(line, 0, ll)) {
                        if (ll > 7 + nl && memcmp(line, "CONFIG_", 7) == 0 && memcmp(line + 7, name, nl) == 0 &&
                            line[7 + nl] == '=') {
                                val = line + 8 + nl;
                                *ret_len = ll - 8 - nl;
                        } else if (ll == 9 + nl + 11 && memcmp(line, "# CONFIG_", 9) == 0 &&
                                   memcmp(line + 9, name, nl) == 0 && memcmp(line + 9 + nl, " is not set", 11) == 0)
                                val = NULL;
                }
                line = eol + 1;
        }
        return val;
}

static void check_name(const struct kconfig *c, const char *t, size_t len, const char *name, size_t nl) {
        char buf[256];
        const char *want, *got;
        size_t wl = 0;

        if (nl == 0 || nl + 8 > sizeof buf)
                return;
        memcpy(buf, "CONFIG_", 7);
        memcpy(buf + 7, name, nl);
        buf[7 + nl] = 0;
        want = scan(t, len, name, nl, &wl);
        got = kconfig_get(c, buf);
        if (!want != !got || (want && (strlen(got) != wl || memcmp(got, want, wl) != 0)))
                abort();
        /* the same without the prefix, unless the name itself starts with "CONFIG_"
         * (then the prefix is taken as optional: documented ambiguity) */
        if (!startswith(buf + 7, "CONFIG_") && kconfig_get(c, buf + 7) != got)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const fixed[] = { "MODULE_COMPRESS_XZ", "CONFIG_MODULE_COMPRESS_ZSTD", "", "CONFIG_", "X" };
        const char *t = (const char *) data;
        struct kconfig *c = NULL;
        size_t checked = 0;

        if (size > 1024 * 1024)
                return 0;
        if (kconfig_parse(t, size, &c) < 0)
                return 0;
        for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
                (void) kconfig_get(c, fixed[i]);
        if ((unsigned) kconfig_module_compress(c) >= _MODULE_COMPRESS_MAX)
                abort();
        /* every name after a "CONFIG_" in the input, up to a limit */
        for (const char *p = t; checked < 64 && (p = memmem(p, size - (size_t) (p - t), "CONFIG_", 7)); checked++) {
                const char *name = p + 7, *e = name;
                while (e < t + size && name_char(*e))
                        e++;
                check_name(c, t, size, name, (size_t) (e - name));
                p = name;
        }
        kconfig_free(c);
        return 0;
}
