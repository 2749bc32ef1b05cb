/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "init/cmdline.h"

#define WHITESPACE " \t\n\v\f\r" /* isspace() in the C locale, as the kernel's */

static bool copy_str(char *dst, size_t size, const char *src) {
        size_t l = strlen(src);

        if (l >= size)
                return false;
        memcpy(dst, src, l + 1);
        return true;
}

bool cmdline_next_word(const char **s, char *buf, size_t size, bool *truncated) {
        const char *p = *s;
        bool quote = false;
        size_t n = 0;

        while (*p && isspace((unsigned char) *p))
                p++;
        if (!*p) {
                *s = p;
                return false;
        }
        *truncated = false;
        for (; *p && (quote || !isspace((unsigned char) *p)); p++) {
                if (*p == '"') {
                        quote = !quote;
                        continue;
                }
                if (n + 1 < size)
                        buf[n++] = *p;
                else
                        *truncated = true;
        }
        if (size > 0)
                buf[n] = 0;
        *s = p;
        return true;
}

/* udev's escaping in /dev/disk/by-label names: \xNN for unsafe bytes. */
static int unescape_udev(const char *s, char *buf, size_t size) {
        size_t n = 0;

        for (; *s; s++) {
                char c = *s;
                if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char) s[2]) &&
                    isxdigit((unsigned char) s[3])) {
                        char hex[3] = { s[2], s[3], 0 };
                        c = (char) strtoul(hex, NULL, 16);
                        s += 3;
                }
                if (n + 1 >= size)
                        return -ENAMETOOLONG;
                buf[n++] = c;
        }
        buf[n] = 0;
        return 0;
}

/* Whether path has a ".." component: "/../" anywhere, or "/.." at its end. */
static bool has_dotdot(const char *path) {
        size_t l = strlen(path);

        return strstr(path, "/../") || (l >= 3 && strcmp(path + l - 3, "/..") == 0);
}

static const struct {
        const char *prefix;
        const char *by_dir;
        enum root_kind kind;
} root_tags[] = {
        { "UUID=", "/dev/disk/by-uuid/", ROOT_UUID },
        { "LABEL=", "/dev/disk/by-label/", ROOT_LABEL },
        { "PARTUUID=", "/dev/disk/by-partuuid/", ROOT_PARTUUID },
        { "PARTLABEL=", "/dev/disk/by-partlabel/", ROOT_PARTLABEL },
};

static bool parse_devnum(const char *s, unsigned *major, unsigned *minor) {
        char *end;
        unsigned long a, b;

        if (!isdigit((unsigned char) *s))
                return false;
        a = strtoul(s, &end, 10);
        if (*end != ':' || !isdigit((unsigned char) end[1]))
                return false;
        b = strtoul(end + 1, &end, 10);
        if (*end || a > 0xfff || b > 0xfffff)
                return false;
        *major = (unsigned) a;
        *minor = (unsigned) b;
        return true;
}

int root_spec_parse(const char *s, struct root_spec *ret) {
        struct root_spec spec = { .kind = ROOT_NONE };
        int r;

        if (!*s)
                return -EINVAL;
        for (size_t i = 0; i < sizeof(root_tags) / sizeof(root_tags[0]); i++) {
                const char *v = NULL;
                size_t lp = strlen(root_tags[i].prefix), lb = strlen(root_tags[i].by_dir);

                if (strncmp(s, root_tags[i].prefix, lp) == 0) {
                        v = s + lp;
                        if (!copy_str(spec.value, sizeof(spec.value), v))
                                return -ENAMETOOLONG;
                } else if (strncmp(s, root_tags[i].by_dir, lb) == 0) {
                        v = s + lb;
                        r = unescape_udev(v, spec.value, sizeof(spec.value));
                        if (r < 0)
                                return r;
                } else
                        continue;
                /* PARTUUID=.../PARTNROFF=N is not supported; neither are empty tags. */
                if (!spec.value[0] || (root_tags[i].kind == ROOT_PARTUUID && strchr(spec.value, '/')))
                        return -EINVAL;
                spec.kind = root_tags[i].kind;
                *ret = spec;
                return 0;
        }
        if (parse_devnum(s, &spec.major, &spec.minor)) {
                spec.kind = ROOT_DEVNUM;
                if (!copy_str(spec.value, sizeof(spec.value), s))
                        return -ENAMETOOLONG;
        } else if (s[0] == '/') {
                if (has_dotdot(s) || strcmp(s, "/") == 0)
                        return -EINVAL;
                spec.kind = ROOT_PATH;
                if (!copy_str(spec.value, sizeof(spec.value), s))
                        return -ENAMETOOLONG;
        } else if (!strchr(s, '=') && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0) {
                /* A bare kernel name, as in root=vda2. */
                spec.kind = ROOT_PATH;
                if (snprintf(spec.value, sizeof(spec.value), "/dev/%s", s) >= (int) sizeof(spec.value))
                        return -ENAMETOOLONG;
        } else
                return -EINVAL;
        *ret = spec;
        return 0;
}

static void problem(struct init_cmdline *c, const char *word, const char *why) {
        if (!c->problem[0])
                snprintf(c->problem, sizeof(c->problem), "'%.60s%s': %.80s", word, strlen(word) > 60 ? "..." : "", why);
}

static void set_str(struct init_cmdline *c, const char *word, char *dst, size_t size, const char *v) {
        if (!copy_str(dst, size, v))
                problem(c, word, "value too long, ignoring");
}

static void add_blacklist(struct init_cmdline *c, const char *word, const char *v) {
        size_t l = strlen(c->blacklist);

        if (l + (l > 0) + strlen(v) + 1 > sizeof(c->blacklist)) { /* a comma only after another name */
                problem(c, word, "value too long, ignoring");
                return;
        }
        if (l > 0)
                c->blacklist[l++] = ',';
        strcpy(c->blacklist + l, v);
}

static void parse_timeout(struct init_cmdline *c, const char *word, const char *v) {
        char *end;
        unsigned long t;

        errno = 0;
        t = strtoul(v, &end, 10);
        if (!isdigit((unsigned char) *v) || *end || errno || t > 1000000) {
                problem(c, word, "not a number of seconds, ignoring");
                return;
        }
        c->timeout_s = (unsigned) t;
}

static void parse_break(struct init_cmdline *c, const char *word, const char *v) {
        if (!v || strcmp(v, "pre-pivot") == 0 || strcmp(v, "prepivot") == 0 || strcmp(v, "1") == 0)
                c->brk = BREAK_PRE_PIVOT;
        else if (strcmp(v, "pre-mount") == 0 || strcmp(v, "premount") == 0 ||
                 strcmp(v, "initqueue") == 0 || strcmp(v, "pre-udev") == 0 || strcmp(v, "cmdline") == 0)
                c->brk = BREAK_PRE_MOUNT;
        else if (strcmp(v, "0") == 0)
                c->brk = BREAK_NONE;
        else {
                problem(c, word, "unknown break point, breaking before switching root");
                c->brk = BREAK_PRE_PIVOT;
        }
}

static void parse_word(struct init_cmdline *c, char *word) {
        char *eq = strchr(word, '=');
        const char *key = word, *v = NULL;
        char full[512];
        int r;

        snprintf(full, sizeof(full), "%s", word);
        if (eq) {
                *eq = 0;
                v = eq + 1;
        }
        if (strcmp(key, "ro") == 0 && !v)
                c->rw = false;
        else if (strcmp(key, "rw") == 0 && !v)
                c->rw = true;
        else if (strcmp(key, "quiet") == 0 && !v)
                c->quiet = true;
        else if (strcmp(key, "rd.debug") == 0)
                c->debug = !v || strcmp(v, "0") != 0;
        else if (strcmp(key, "rd.break") == 0)
                parse_break(c, full, v);
        else if (!v)
                return;
        else if (strcmp(key, "root") == 0) {
                struct root_spec spec;
                if (strlen(full) >= sizeof(c->root_arg)) { /* the spec and the word shown go together */
                        problem(c, full, "value too long, ignoring");
                        return;
                }
                r = root_spec_parse(v, &spec);
                if (r < 0) {
                        problem(c, full, r == -ENAMETOOLONG ? "value too long, ignoring"
                                                            : "not a device path, MAJ:MIN, UUID=, LABEL=, PARTUUID= or PARTLABEL=, ignoring");
                        return;
                }
                c->root = spec;
                set_str(c, full, c->root_arg, sizeof(c->root_arg), full);
        } else if (strcmp(key, "rootfstype") == 0)
                set_str(c, full, c->rootfstype, sizeof(c->rootfstype), v);
        else if (strcmp(key, "rootflags") == 0)
                set_str(c, full, c->rootflags, sizeof(c->rootflags), v);
        else if (strcmp(key, "init") == 0) {
                if (v[0] != '/') {
                        problem(c, full, "not an absolute path, ignoring");
                        return;
                }
                set_str(c, full, c->init, sizeof(c->init), v);
                c->init_given = true;
        } else if (strcmp(key, "rd.timeout") == 0)
                parse_timeout(c, full, v);
        else if (strcmp(key, "modprobe.blacklist") == 0 || strcmp(key, "rd.driver.blacklist") == 0)
                add_blacklist(c, full, v);
}

void cmdline_parse(const char *s, struct init_cmdline *ret) {
        char word[512];
        bool truncated;

        *ret = (struct init_cmdline) { .timeout_s = ROOT_TIMEOUT_DEFAULT };
        strcpy(ret->init, "/sbin/init");
        while (cmdline_next_word(&s, word, sizeof(word), &truncated)) {
                if (strcmp(word, "--") == 0)
                        break;
                if (truncated) {
                        problem(ret, word, "too long, ignoring");
                        continue;
                }
                parse_word(ret, word);
        }
}

static const struct {
        const char *name;
        unsigned long set, clear;
} mount_flags[] = {
        { "ro", MS_RDONLY, 0 },
        { "rw", 0, MS_RDONLY },
        { "nosuid", MS_NOSUID, 0 },
        { "suid", 0, MS_NOSUID },
        { "nodev", MS_NODEV, 0 },
        { "dev", 0, MS_NODEV },
        { "noexec", MS_NOEXEC, 0 },
        { "exec", 0, MS_NOEXEC },
        { "sync", MS_SYNCHRONOUS, 0 },
        { "async", 0, MS_SYNCHRONOUS },
        { "dirsync", MS_DIRSYNC, 0 },
        { "noatime", MS_NOATIME, 0 },
        { "atime", 0, MS_NOATIME },
        { "nodiratime", MS_NODIRATIME, 0 },
        { "diratime", 0, MS_NODIRATIME },
        { "relatime", MS_RELATIME, 0 },
        { "norelatime", 0, MS_RELATIME },
        { "strictatime", MS_STRICTATIME, 0 },
        { "lazytime", MS_LAZYTIME, 0 },
        { "nolazytime", 0, MS_LAZYTIME },
        { "defaults", 0, 0 },
};

int mount_options_parse(const char *opts, unsigned long *flags, char *data, size_t data_size) {
        const char *p = opts;
        size_t n = 0;

        if (data_size == 0)
                return -ENAMETOOLONG;
        data[0] = 0;
        while (*p) {
                size_t l = strcspn(p, ",");
                bool known = false;

                for (size_t i = 0; l > 0 && i < sizeof(mount_flags) / sizeof(mount_flags[0]); i++)
                        if (strlen(mount_flags[i].name) == l && strncmp(p, mount_flags[i].name, l) == 0) {
                                *flags = (*flags & ~mount_flags[i].clear) | mount_flags[i].set;
                                known = true;
                                break;
                        }
                if (!known && l > 0) {
                        if (n + (n > 0) + l + 1 > data_size)
                                return -ENAMETOOLONG;
                        if (n > 0)
                                data[n++] = ',';
                        memcpy(data + n, p, l);
                        n += l;
                        data[n] = 0;
                }
                p += l;
                if (*p == ',')
                        p++;
        }
        return 0;
}

static bool module_name_eq(const char *a, size_t la, const char *b, size_t lb) {
        if (la != lb)
                return false;
        for (size_t i = 0; i < la; i++) {
                char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
                if (x != y)
                        return false;
        }
        return true;
}

bool module_list_contains(const char *list, const char *name) {
        size_t ln = strlen(name);

        while (*list) {
                size_t l = strcspn(list, ",");
                if (l > 0 && module_name_eq(list, l, name, ln))
                        return true;
                list += l;
                if (*list == ',')
                        list++;
        }
        return false;
}

int cmdline_module_params(const char *cmdline, const char *name, char *buf, size_t size) {
        size_t ln = strlen(name), n = 0;
        char word[512];
        bool truncated;

        if (size == 0)
                return -ENAMETOOLONG;
        buf[0] = 0;
        while (cmdline_next_word(&cmdline, word, sizeof(word), &truncated)) {
                const char *dot = strchr(word, '.'), *eq = strchr(word, '=');
                const char *param;
                int k;

                if (strcmp(word, "--") == 0)
                        break;
                if (truncated || !dot || (eq && eq < dot) || !module_name_eq(word, (size_t) (dot - word), name, ln))
                        continue;
                param = dot + 1;
                if (!*param || *param == '=')
                        continue;
                /* Quoted as the kernel's parser takes them: "param=value" when the
                 * name has white space, param="value" when only the value has. */
                if (strpbrk(param, WHITESPACE) && (!eq || strpbrk(param, WHITESPACE) < eq))
                        k = snprintf(buf + n, size - n, "%s\"%s\"", n ? " " : "", param);
                else if (eq && strpbrk(eq + 1, WHITESPACE))
                        k = snprintf(buf + n, size - n, "%s%.*s\"%s\"", n ? " " : "",
                                     (int) (eq + 1 - param), param, eq + 1);
                else
                        k = snprintf(buf + n, size - n, "%s%s", n ? " " : "", param);
                if (k < 0 || (size_t) k >= size - n) {
                        buf[n] = 0;
                        return -ENAMETOOLONG;
                }
                n += (size_t) k;
        }
        return 0;
}
