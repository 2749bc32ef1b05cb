/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the values of a dkms.conf as they are read back from bash
 * and validated. The input is text, one directive per line, "NAME[INDEX]=VALUE"
 * or "NAME=VALUE" (index 0), with \n, \0 and \\ escapes in VALUE; it is turned
 * into the NAME\0INDEX\0VALUE\0 dump dkms_conf_eval() reads back from bash, so
 * that the fuzzer reaches the validation of names, versions and locations
 * rather than the framing. Checks: an error is -EBADMSG or -ENOMEM with a
 * message naming the file; an accepted dkms.conf satisfies dkmsconf-check.h
 * (names and versions are safe path components, locations are normalized,
 * relative or under /kernel, /updates or /extra, without ".."); written back
 * as a dump it parses to the same values (normalizing is idempotent); and the
 * package name and version alone, as dkms_name_is_valid() judges them, are
 * checked against that rule on their own. Seeds: tests/fuzz/corpus/dkmsconf-values/.
 * Build and run:
 *   clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-dkmsconf-values.c src/modpkg/dkmsconf.c src/kernel/kernel.c \
 *         src/kernel/kver.c src/util/{log,strv,fs,spawn,hash}.c -lkmod -lcrypto -o /tmp/fuzz-dkmsconf-values
 *   mkdir -p /tmp/corpus-dv && /tmp/fuzz-dkmsconf-values -dict=tests/fuzz/dkmsconf-values.dict \
 *         -max_total_time=60 /tmp/corpus-dv tests/fuzz/corpus/dkmsconf-values */
#include <stdint.h>
#include "dkmsconf-check.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATH "/usr/src/fuzz-1.0/dkms.conf"

static const struct dkms_env env = {
        .kernelver = "6.1.0-50-amd64",
        .arch = "x86_64",
        .kernel_source_dir = "/usr/lib/modules/6.1.0-50-amd64/build",
        .dkms_tree = "/var/lib/distkernel/build/6.1.0-50-amd64",
        .source_tree = "/usr/src",
        .installed_modules_dir = "/usr/lib/modules/6.1.0-50-amd64/updates/dkms",
};

static void put(struct strbuf *sb, const char *s, size_t n) {
        check(strbuf_add(sb, s, n) >= 0 && strbuf_putc(sb, 0) >= 0);
}

/* One "NAME[INDEX]=VALUE" line to a triple. */
static void line_to_triple(struct strbuf *sb, const char *l, size_t n) {
        const char *eq = memchr(l, '=', n), *br;
        struct strbuf v = STRBUF_INIT;
        size_t nl;

        if (!eq)
                return;
        nl = (size_t) (eq - l);
        br = memchr(l, '[', nl);
        if (br && nl > 0 && l[nl - 1] == ']') {
                put(sb, l, (size_t) (br - l));
                put(sb, br + 1, nl - (size_t) (br - l) - 2);
        } else {
                put(sb, l, nl);
                put(sb, "0", 1);
        }
        for (const char *p = eq + 1; p < l + n; p++) {
                char c = *p;
                if (c == '\\' && p + 1 < l + n) {
                        p++;
                        c = *p == 'n' ? '\n' : *p == '0' ? 0 : *p;
                }
                check(strbuf_putc(&v, c) >= 0);
        }
        put(sb, v.buf ? v.buf : "", v.len);
        strbuf_done(&v);
}

static void triple(struct strbuf *sb, const char *name, size_t idx, const char *value) {
        char i[32];

        snprintf(i, sizeof i, "%zu", idx);
        put(sb, name, strlen(name));
        put(sb, i, strlen(i));
        put(sb, value ? value : "", value ? strlen(value) : 0);
}

/* The accepted configuration as a dump again. */
static void unparse(const struct dkms_conf *c, struct strbuf *sb) {
        triple(sb, "PACKAGE_NAME", 0, c->name);
        triple(sb, "PACKAGE_VERSION", 0, c->version);
        for (size_t i = 0; i < c->n_modules; i++) {
                const struct dkms_module *m = &c->modules[i];
                triple(sb, "BUILT_MODULE_NAME", i, m->built_name);
                triple(sb, "BUILT_MODULE_LOCATION", i, m->built_location);
                triple(sb, "DEST_MODULE_NAME", i, m->dest_name);
                triple(sb, "DEST_MODULE_LOCATION", i, m->dest_location);
                triple(sb, "STRIP", i, m->strip ? "yes" : "no");
        }
        triple(sb, "MAKE", 0, c->make);
        for (size_t i = 0; c->patches[i]; i++)
                triple(sb, "PATCH", i, c->patches[i]);
        triple(sb, "CLEAN", 0, c->clean);
        triple(sb, "PRE_BUILD", 0, c->pre_build);
        triple(sb, "POST_INSTALL", 0, c->post_install);
        triple(sb, "BUILD_EXCLUSIVE_KERNEL", 0, c->build_exclusive_kernel);
        triple(sb, "BUILD_EXCLUSIVE_ARCH", 0, c->build_exclusive_arch);
        {
                _cleanup_free_ char *cfg = strv_join(c->build_exclusive_config, " ");
                _cleanup_free_ char *deps = strv_join(c->build_depends, "\t");
                check(cfg && deps);
                triple(sb, "BUILD_EXCLUSIVE_CONFIG", 0, cfg);
                triple(sb, "BUILD_DEPENDS", 0, deps);
        }
        triple(sb, "AUTOINSTALL", 0, c->autoinstall ? "YES" : "no");
        triple(sb, "REMAKE_INITRD", 0, c->remake_initrd ? "yes" : "");
}

static bool streq_null(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static void check_same_strv(char **a, char **b) {
        check(strv_length(a) == strv_length(b));
        for (size_t i = 0; a[i]; i++)
                check(strcmp(a[i], b[i]) == 0);
}

static void check_same(const struct dkms_conf *a, const struct dkms_conf *b) {
        check(strcmp(a->name, b->name) == 0 && strcmp(a->version, b->version) == 0);
        check(a->n_modules == b->n_modules);
        for (size_t i = 0; i < a->n_modules; i++) {
                const struct dkms_module *x = &a->modules[i], *y = &b->modules[i];
                check(strcmp(x->built_name, y->built_name) == 0 && strcmp(x->dest_name, y->dest_name) == 0);
                check(strcmp(x->built_location, y->built_location) == 0);
                check(strcmp(x->dest_location, y->dest_location) == 0);
                check(x->strip == y->strip);
        }
        check(strcmp(a->make, b->make) == 0);
        check_same_strv(a->patches, b->patches);
        check(streq_null(a->clean, b->clean) && streq_null(a->pre_build, b->pre_build));
        check(streq_null(a->build_exclusive_kernel, b->build_exclusive_kernel));
        check(streq_null(a->build_exclusive_arch, b->build_exclusive_arch));
        check_same_strv(a->build_exclusive_config, b->build_exclusive_config);
        check_same_strv(a->build_depends, b->build_depends);
        check(a->autoinstall == b->autoinstall && a->remake_initrd == b->remake_initrd);
}

/* dkms_name_is_valid() against its documented rule. */
static void check_name_rule(const char *s, size_t n) {
        bool want = n >= 1 && n <= 128 && !strstr(s, "..") && strlen(s) == n;

        for (size_t i = 0; want && i < n; i++) {
                char c = s[i];
                bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                want = alnum || (i > 0 && strchr("._+-", c));
        }
        check(dkms_name_is_valid(s) == want);
        if (want)
                check_component(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct strbuf dump = STRBUF_INIT, back = STRBUF_INIT;
        struct dkms_conf *c = NULL, *again = NULL;
        const char *t = (const char *) data, *end = t + size;
        char *first;
        int r;

        log_set_sink(NULL, NULL);
        if (size > 256 * 1024)
                return 0;
        for (const char *l = t; l < end;) {
                const char *e = memchr(l, '\n', (size_t) (end - l));
                if (!e)
                        e = end;
                line_to_triple(&dump, l, (size_t) (e - l));
                l = e + 1;
        }
        first = strndup(t, memchr(t, '\n', size) ? (size_t) ((const char *) memchr(t, '\n', size) - t) : size);
        check(first);
        check_name_rule(first, strlen(first));
        free(first);

        r = dkms_conf_parse(PATH, dump.buf ? dump.buf : "", dump.len, &env, &c);
        if (r < 0) {
                check(r == -EBADMSG || r == -ENOMEM);
                check(strncmp(log_last_error(), "'" PATH "': ", strlen(PATH) + 4) == 0);
                strbuf_done(&dump);
                return 0;
        }
        check_conf(c);
        unparse(c, &back);
        r = dkms_conf_parse(PATH, back.buf, back.len, &env, &again);
        if (r < 0)
                fprintf(stderr, "written back, refused: %s\n", log_last_error());
        check(r == 0);
        check_same(c, again);
        dkms_conf_free(again);
        dkms_conf_free(c);
        strbuf_done(&back);
        strbuf_done(&dump);
        return 0;
}
