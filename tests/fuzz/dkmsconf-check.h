/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every dkms.conf that dkms_conf_parse() accepts must satisfy, whatever
 * the dump: checked by the dkmsconf fuzz targets. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "modpkg/dkmsconf.h"
#include "util/strv.h"

#define check(e)                                                                          \
        do {                                                                              \
                if (!(e)) {                                                               \
                        fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #e);    \
                        abort();                                                          \
                }                                                                         \
        } while (0)

static inline bool check_no_control(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

/* A name used as one path component: no '/', not "." or "..", no control
 * characters, does not begin with '-' or '.' (options, hidden files). */
static inline void check_component(const char *s) {
        check(s && *s && strlen(s) <= 128);
        check(!strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0);
        check(s[0] != '-' && s[0] != '.');
        check(check_no_control(s));
}

/* A normalized location: components without empty, "." and ".." ones. */
static inline void check_location(const char *s, bool absolute) {
        const char *p = s;

        check(s && check_no_control(s));
        if (absolute) {
                check(s[0] == '/');
                p++;
        } else if (*s == 0)
                return;
        while (*p) {
                size_t n = strcspn(p, "/");
                check(n > 0);
                check(!(n == 1 && p[0] == '.') && !(n == 2 && p[0] == '.' && p[1] == '.'));
                p += n;
                if (*p) {
                        p++;
                        check(*p); /* no trailing '/' */
                }
        }
}

static inline void check_module_name(const char *s) {
        check(s && *s && strlen(s) <= 128 && !strchr(s, '/') && !strchr(s, '.'));
        for (const char *p = s; *p; p++)
                check((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '-');
        check(dkms_module_name_is_valid(s));
}

static inline void check_conf(const struct dkms_conf *c) {
        check(dkms_name_is_valid(c->name) && dkms_name_is_valid(c->version));
        check_component(c->name);
        check_component(c->version);
        check(!strstr(c->name, "..") && !strstr(c->version, ".."));
        check(c->n_modules >= 1 && c->n_modules <= 4096);
        for (size_t i = 0; i < c->n_modules; i++) {
                const struct dkms_module *m = &c->modules[i];
                check_module_name(m->built_name);
                check_module_name(m->dest_name);
                check_location(m->built_location, false);
                check_location(m->dest_location, true);
                check(strncmp(m->dest_location, "/kernel", 7) == 0 || strncmp(m->dest_location, "/updates", 8) == 0 ||
                      strncmp(m->dest_location, "/extra", 6) == 0);
        }
        check(c->make && *c->make);
        check(c->patches && c->build_exclusive_config && c->build_depends);
        STRV_FOREACH(p, c->patches)
                check(**p && !strchr(*p, '/') && strcmp(*p, ".") != 0 && strcmp(*p, "..") != 0 &&
                      check_no_control(*p));
        STRV_FOREACH(d, c->build_depends) {
                check(dkms_name_is_valid(*d));
                check_component(*d);
        }
        STRV_FOREACH(o, c->build_exclusive_config)
                check(**o && strspn(*o + (**o == '!'), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                          "0123456789_") == strlen(*o + (**o == '!')) &&
                      (*o)[**o == '!']);
}
