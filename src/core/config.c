/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include "core/config.h"
#include "util/log.h"
#include "util/strv.h"

void config_done(struct config *c) {
        c->build_cc = mfree(c->build_cc);
}

static char *trim(char *s) {
        char *e;
        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

static int set_key(const char *path, unsigned line, const char *key, const char *value, struct config *c) {
        if (streq(key, "jobs")) {
                char *end;
                long v = strtol(value, &end, 10);
                if (*value == 0 || *end || v < 0 || v > 1024)
                        return log_error_errno(-EINVAL, "'%s':%u: jobs '%s' is not a number between 0 and 1024",
                                               path, line, value);
                c->jobs = (unsigned) v;
        } else if (streq(key, "build-cc")) {
                free(c->build_cc);
                c->build_cc = *value ? strdup(value) : NULL;
                if (*value && !c->build_cc)
                        return -ENOMEM;
        } else
                log_warning("'%s':%u: unknown key '%s', ignoring", path, line, key);
        return 0;
}

int config_parse(const char *path, const char *text, struct config *ret) {
        _cleanup_free_ char *copy = strdup(text);
        struct config c = {};
        char *l;
        unsigned line = 0;
        int r;

        if (!copy)
                return -ENOMEM;
        for (char *p = copy; (l = strsep(&p, "\n")); ) {
                char *eq, *s = trim(l);
                line++;
                if (*s == 0 || *s == '#')
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        config_done(&c);
                        return log_error_errno(-EINVAL, "'%s':%u: expected 'key = value'", path, line);
                }
                *eq = 0;
                r = set_key(path, line, trim(s), trim(eq + 1), &c);
                if (r < 0) {
                        config_done(&c);
                        return r;
                }
        }
        *ret = c;
        return 0;
}

int config_load(const struct root *root, struct config *ret) {
        _cleanup_free_ char *text = NULL;
        int r = fs_read_all(root->fd, CONFIG_PATH, 1u << 20, &text, NULL);
        if (r == -ENOENT) {
                *ret = (struct config) {};
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read: %s", CONFIG_PATH, strerror(-r));
        return config_parse(CONFIG_PATH, text, ret);
}
