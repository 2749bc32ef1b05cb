/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: config_parse() on an arbitrary distkernel.conf. Checks:
 * it returns 0, -EINVAL or -ENOMEM; an error was reported as "'PATH':LINE: ..."
 * with a LINE the text has; on success every string value is non-empty,
 * without white space at its ends and without a newline, list items are
 * non-empty words without separators, numbers are in range; and the
 * configuration written back as "key = value" lines parses to the same
 * configuration (the round trip). Seeds: tests/fuzz/corpus/config/.
 * Build and run (a scratch corpus first, new inputs go there):
 *   clang -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-config.c src/core/config.c src/util/{log,strv,fs}.c -o /tmp/fuzz-config
 *   mkdir -p /tmp/corpus-config && /tmp/fuzz-config -dict=tests/fuzz/config.dict \
 *         -max_total_time=60 /tmp/corpus-config tests/fuzz/corpus/config
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/config.h"
#include "util/log.h"
#include "util/strv.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATH "/etc/distkernel/distkernel.conf"

/* The keys and where they are, independent of config.c's tables. */
static const struct {
        const char *key;
        size_t offset;
} strings[] = {
        { "build-cc", offsetof(struct config, build_cc) },
        { "initramfs-compress", offsetof(struct config, initramfs_compress) },
        { "boot", offsetof(struct config, boot) },
        { "esp", offsetof(struct config, esp) },
        { "cmdline", offsetof(struct config, cmdline) },
        { "uki-stub", offsetof(struct config, uki_stub) },
        { "uki-splash", offsetof(struct config, uki_splash) },
        { "uki-dtb", offsetof(struct config, uki_dtb) },
        { "bootloader-hook", offsetof(struct config, bootloader_hook) },
        { "secureboot-key", offsetof(struct config, secureboot_key) },
        { "secureboot-cert", offsetof(struct config, secureboot_cert) },
        { "module-sign-key", offsetof(struct config, module_sign_key) },
        { "module-sign-cert", offsetof(struct config, module_sign_cert) },
        { "kernel-config", offsetof(struct config, kernel_config) },
        { "kernel-localversion", offsetof(struct config, kernel_localversion) },
}, lists[] = {
        { "initramfs-packages", offsetof(struct config, initramfs_packages) },
        { "initramfs-modules", offsetof(struct config, initramfs_modules) },
        { "optional-packages", offsetof(struct config, optional_packages) },
};

#define FIELD(c, type, off) (*(type *) ((char *) (c) + (off)))

static void check_string(const char *s) {
        size_t n = strlen(s);

        check(n > 0);
        check(!isspace((unsigned char) s[0]) && !isspace((unsigned char) s[n - 1]));
        check(!strchr(s, '\n'));
}

static void check_config(const struct config *c) {
        for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
                const char *s = FIELD(c, char *, strings[i].offset);
                if (s)
                        check_string(s);
        }
        for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
                STRV_FOREACH(w, FIELD(c, char **, lists[i].offset))
                        check(**w && !strpbrk(*w, " \t\n\r\v\f,"));
        check(c->jobs <= 1024 && c->keep <= 1024);
        check((unsigned) c->initramfs < _INITRAMFS_GENERATOR_MAX);
        check((unsigned) c->layout < _LAYOUT_MAX);
        check((unsigned) c->legacy_names < _LEGACY_NAMES_MAX);
}

/* Writes c back as a configuration file. */
static char *unparse(const struct config *c) {
        static const char *const generators[] = { "builtin", "dracut", "initramfs-tools", "none" };
        static const char *const layouts[] = { "auto", "uki", "bls", "legacy" };
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        check(f);
        for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
                const char *s = FIELD(c, char *, strings[i].offset);
                if (s)
                        fprintf(f, "%s = %s\n", strings[i].key, s);
        }
        for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
                char **l = FIELD(c, char **, lists[i].offset);
                if (!l)
                        continue;
                fprintf(f, "  %s=", lists[i].key);
                STRV_FOREACH(w, l)
                        fprintf(f, "%s%s", w == l ? "" : ",\t", *w);
                fputc('\n', f);
        }
        fprintf(f, "# a comment\ninitramfs-hostonly = %s\nkernel-install = %s\nesp-auto-gc = %s\n",
                c->initramfs_hostonly ? "yes" : "no", c->kernel_install ? "true" : "false",
                c->esp_auto_gc ? "1" : "0");
        fprintf(f, "initramfs = %s\nlayout = %s\nlegacy-names = %s\njobs = %u\n", generators[c->initramfs],
                layouts[c->layout], c->legacy_names == LEGACY_NAMES_FEDORA ? "fedora" : "debian", c->jobs);
        if (c->keep)
                fprintf(f, "keep = %u\n", c->keep);
        check(fclose(f) == 0);
        return buf;
}

static bool streq_null(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static void check_same(const struct config *a, const struct config *b) {
        for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
                check(streq_null(FIELD(a, char *, strings[i].offset), FIELD(b, char *, strings[i].offset)));
        for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
                char **x = FIELD(a, char **, lists[i].offset), **y = FIELD(b, char **, lists[i].offset);
                check(strv_length(x) == strv_length(y));
                for (size_t j = 0; j < strv_length(x); j++)
                        check(strcmp(x[j], y[j]) == 0);
        }
        check(a->jobs == b->jobs && a->keep == b->keep && a->initramfs == b->initramfs && a->layout == b->layout &&
              a->legacy_names == b->legacy_names && a->initramfs_hostonly == b->initramfs_hostonly &&
              a->kernel_install == b->kernel_install && a->esp_auto_gc == b->esp_auto_gc);
}

/* An error names the file and a line the text has: "'PATH':LINE: ...". */
static void check_error(const char *text) {
        const char *msg = log_last_error();
        unsigned lines = 1, line = 0;
        int n = 0;

        for (const char *p = text; *p; p++)
                lines += *p == '\n';
        check(sscanf(msg, "'" PATH "':%u: %n", &line, &n) == 1 && n > 0);
        check(line >= 1 && line <= lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct config c, again;
        char *text, *back;
        int r;

        log_set_sink(NULL, NULL);
        if (size > 64 * 1024)
                return 0;
        text = strndup((const char *) data, size); /* config_load() refuses a NUL byte */
        check(text);
        r = config_parse(PATH, text, &c);
        if (r < 0) {
                check(r == -EINVAL || r == -ENOMEM);
                if (r == -EINVAL)
                        check_error(text);
                free(text);
                return 0;
        }
        check_config(&c);
        back = unparse(&c);
        r = config_parse(PATH, back, &again);
        if (r < 0)
                fprintf(stderr, "written back:\n%s\nfails: %s\n", back, log_last_error());
        check(r == 0);
        check_same(&c, &again);
        config_done(&again);
        config_done(&c);
        free(back);
        free(text);
        return 0;
}
