/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include "core/config.h"
#include "util/log.h"
#include "util/strv.h"

static const char *const generator_table[_INITRAMFS_GENERATOR_MAX] = {
        [INITRAMFS_BUILTIN] = "builtin",
        [INITRAMFS_DRACUT] = "dracut",
        [INITRAMFS_INITRAMFS_TOOLS] = "initramfs-tools",
        [INITRAMFS_NONE] = "none",
};

const char *initramfs_generator_to_string(enum initramfs_generator g) { return generator_table[g]; }

void config_done(struct config *c) {
        c->build_cc = mfree(c->build_cc);
        c->initramfs_packages = strv_free(c->initramfs_packages);
        c->initramfs_modules = strv_free(c->initramfs_modules);
        c->initramfs_compress = mfree(c->initramfs_compress);
}

static int parse_bool(const char *path, unsigned line, const char *key, const char *v, bool *ret) {
        if (streq(v, "yes") || streq(v, "true") || streq(v, "1"))
                *ret = true;
        else if (streq(v, "no") || streq(v, "false") || streq(v, "0"))
                *ret = false;
        else
                return log_error_errno(-EINVAL, "'%s':%u: %s '%s' is not yes or no", path, line, key, v);
        return 0;
}

static int set_initramfs_key(const char *path, unsigned line, const char *key, const char *value,
                             struct config *c) {
        if (streq(key, "initramfs")) {
                for (int g = 0; g < _INITRAMFS_GENERATOR_MAX; g++)
                        if (streq(value, generator_table[g])) {
                                c->initramfs = (enum initramfs_generator) g;
                                return 0;
                        }
                return log_error_errno(-EINVAL, "'%s':%u: initramfs '%s' is not one of builtin, dracut, "
                                       "initramfs-tools, none", path, line, value);
        }
        if (streq(key, "initramfs-packages") || streq(key, "initramfs-modules")) {
                char ***l = streq(key, "initramfs-packages") ? &c->initramfs_packages : &c->initramfs_modules;
                strv_free(*l);
                return strv_split(value, " \t,", l);
        }
        if (streq(key, "initramfs-compress")) {
                free(c->initramfs_compress);
                c->initramfs_compress = strdup(value);
                return c->initramfs_compress ? 0 : -ENOMEM;
        }
        if (streq(key, "initramfs-hostonly"))
                return parse_bool(path, line, key, value, &c->initramfs_hostonly);
        log_warning("'%s':%u: unknown key '%s', ignoring", path, line, key);
        return 0;
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
                return set_initramfs_key(path, line, key, value, c);
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
