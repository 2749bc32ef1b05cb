/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the initramfs's /init reading the kernel command line
 * (src/init/cmdline.c). On the input as a command line:
 *  - cmdline_parse(): every field NUL-terminated; a root= that was taken is
 *    in root_arg and root_spec_parse() of it gives the same spec; a root path
 *    is absolute without a ".." component; init is absolute; and the parsed
 *    values written back as a command line (quoted) parse to the same values;
 *  - cmdline_module_params() for module "m" (and "m-x" = "m_x"): the
 *    parameters, split again the way the kernel splits them, are exactly the
 *    "m.PARAM" words of the command line, in order, with nothing added;
 *  - mount_options_parse() on rootflags: the data holds only the unknown
 *    options, none empty;
 *  - root_spec_parse() on the input's first line directly.
 * Seeds: tests/fuzz/corpus/init-cmdline/. Build and run:
 *   clang -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-init-cmdline.c src/init/cmdline.c -o /tmp/fuzz-init-cmdline
 *   mkdir -p /tmp/corpus-ic && /tmp/fuzz-init-cmdline -dict=tests/fuzz/init-cmdline.dict \
 *         -max_total_time=60 /tmp/corpus-ic tests/fuzz/corpus/init-cmdline
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include "init/cmdline.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(f) check(memchr((f), 0, sizeof(f)))

static bool has_dotdot_component(const char *p) {
        for (const char *c = p; (c = strstr(c, "..")); c++)
                if ((c == p || c[-1] == '/') && (c[2] == 0 || c[2] == '/'))
                        return true;
        return false;
}

static void check_spec(const struct root_spec *s) {
        TERMINATED(s->value);
        switch (s->kind) {
        case ROOT_NONE:
                return;
        case ROOT_PATH:
                check(s->value[0] == '/' && strcmp(s->value, "/") != 0);
                check(!has_dotdot_component(s->value));
                return;
        case ROOT_DEVNUM:
                check(s->major <= 0xfff && s->minor <= 0xfffff);
                return;
        case ROOT_PARTUUID:
                check(!strchr(s->value, '/'));
                /* fall through */
        default:
                check(s->value[0]);
        }
}

static void check_same_spec(const struct root_spec *a, const struct root_spec *b) {
        check(a->kind == b->kind && strcmp(a->value, b->value) == 0);
        if (a->kind == ROOT_DEVNUM)
                check(a->major == b->major && a->minor == b->minor);
}

/* The parsed command line written back, each value quoted. */
static void unparse(const struct init_cmdline *c, char *buf, size_t size) {
        static const char *const breaks[] = { "0", "pre-mount", "pre-pivot" };
        int n = snprintf(buf, size, "%s%s%s rd.break=%s rd.timeout=%u", c->rw ? "rw" : "ro", c->quiet ? " quiet" : "",
                         c->debug ? " rd.debug" : " rd.debug=0", breaks[c->brk], c->timeout_s);

        check(n > 0 && (size_t) n < size);
        if (c->root.kind != ROOT_NONE)
                n += snprintf(buf + n, size - (size_t) n, " root=\"%s\"", c->root_arg + 5);
        if (c->rootfstype[0])
                n += snprintf(buf + n, size - (size_t) n, " rootfstype=\"%s\"", c->rootfstype);
        if (c->rootflags[0])
                n += snprintf(buf + n, size - (size_t) n, " \"rootflags=%s\"", c->rootflags);
        if (c->init_given)
                n += snprintf(buf + n, size - (size_t) n, " init=\"%s\"", c->init);
        if (c->blacklist[0])
                n += snprintf(buf + n, size - (size_t) n, " modprobe.blacklist=\"%s\"", c->blacklist);
        check((size_t) n < size);
}

static void check_cmdline(const char *text) {
        struct init_cmdline c, again;
        char back[2048];

        cmdline_parse(text, &c);
        TERMINATED(c.root_arg);
        TERMINATED(c.rootfstype);
        TERMINATED(c.rootflags);
        TERMINATED(c.init);
        TERMINATED(c.blacklist);
        TERMINATED(c.problem);
        check_spec(&c.root);
        check(c.init[0] == '/');
        check(c.timeout_s <= 1000000);
        check((unsigned) c.brk <= BREAK_PRE_PIVOT);
        if (c.root.kind != ROOT_NONE) {
                struct root_spec s;
                check(strncmp(c.root_arg, "root=", 5) == 0);
                check(root_spec_parse(c.root_arg + 5, &s) == 0);
                check_same_spec(&s, &c.root);
        }
        unparse(&c, back, sizeof back);
        cmdline_parse(back, &again);
        if (again.problem[0])
                fprintf(stderr, "written back: %s\nproblem: %s\n", back, again.problem);
        check(!again.problem[0]);
        check_same_spec(&c.root, &again.root);
        check(strcmp(c.root_arg, again.root_arg) == 0 && strcmp(c.rootfstype, again.rootfstype) == 0 &&
              strcmp(c.rootflags, again.rootflags) == 0 && strcmp(c.init, again.init) == 0 &&
              strcmp(c.blacklist, again.blacklist) == 0);
        check(c.init_given == again.init_given && c.rw == again.rw && c.debug == again.debug &&
              c.quiet == again.quiet && c.brk == again.brk && c.timeout_s == again.timeout_s);

        if (c.rootflags[0]) {
                char opts[256];
                unsigned long flags = MS_RDONLY;
                int r = mount_options_parse(c.rootflags, &flags, opts, sizeof opts);
                check(r == 0 || r == -ENAMETOOLONG);
                if (r == 0) {
                        check(strlen(opts) <= strlen(c.rootflags));
                        check(opts[0] != ',' && !strstr(opts, ",,"));
                        check(!opts[0] || opts[strlen(opts) - 1] != ',');
                        check(!(flags & ~(unsigned long) (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC |
                                                          MS_SYNCHRONOUS | MS_DIRSYNC | MS_NOATIME |
                                                          MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME |
                                                          MS_LAZYTIME)));
                }
        }
}

/* Whether w is a "NAME.PARAM" word for module name ('-' = '_'), and PARAM. */
static bool module_word(const char *w, const char *name, const char **ret_param) {
        const char *dot = strchr(w, '.'), *eq = strchr(w, '=');
        size_t n;

        if (!dot || (eq && eq < dot))
                return false;
        n = (size_t) (dot - w);
        if (n != strlen(name))
                return false;
        for (size_t i = 0; i < n; i++)
                if (w[i] != name[i] && !(strchr("-_", w[i]) && strchr("-_", name[i])))
                        return false;
        if (!dot[1] || dot[1] == '=')
                return false;
        *ret_param = dot + 1;
        return true;
}

static void check_module_params(const char *text, const char *name) {
        char buf[1024], word[512], out[1024];
        const char *s = text, *o;
        bool truncated, trunc2;
        int r;

        r = cmdline_module_params(text, name, buf, sizeof buf);
        check(r == 0 || r == -ENAMETOOLONG);
        TERMINATED(buf);
        if (r < 0)
                return;
        o = buf;
        while (cmdline_next_word(&s, word, sizeof word, &truncated)) {
                const char *param;
                if (strcmp(word, "--") == 0)
                        break;
                if (truncated || !module_word(word, name, &param))
                        continue;
                check(cmdline_next_word(&o, out, sizeof out, &trunc2) && !trunc2);
                if (strcmp(out, param) != 0)
                        fprintf(stderr, "parameter '%s' came out as '%s' in '%s'\n", param, out, buf);
                check(strcmp(out, param) == 0);
        }
        check(!cmdline_next_word(&o, out, sizeof out, &trunc2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct root_spec spec;
        char *text, *nl;

        if (size > 16 * 1024)
                return 0;
        text = malloc(size + 1);
        check(text);
        memcpy(text, data, size);
        text[size] = 0;
        check_cmdline(text);
        check_module_params(text, "m");
        check_module_params(text, "m_x");
        nl = strchr(text, '\n');
        if (nl)
                *nl = 0;
        if (root_spec_parse(text, &spec) == 0)
                check_spec(&spec);
        free(text);
        return 0;
}
