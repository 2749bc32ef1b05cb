/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "init/modules.h"

bool module_path_ok(const char *path) {
        const char *p = path;

        if (!*path || *path == '/')
                return false;
        while (*p) {
                size_t l = strcspn(p, "/");
                if ((l == 2 && p[0] == '.' && p[1] == '.') || l == 0)
                        return false;
                p += l;
                if (*p == '/')
                        p++;
        }
        return path[strlen(path) - 1] != '/';
}

void module_name_from_path(const char *path, char *buf, size_t size) {
        const char *base = strrchr(path, '/');
        size_t n = 0;

        base = base ? base + 1 : path;
        for (; *base && *base != '.' && n + 1 < size; base++)
                buf[n++] = *base == '-' ? '_' : *base;
        if (size > 0)
                buf[n] = 0;
}

static bool deps_ok(const char *deps) {
        char one[512];

        while (*deps) {
                size_t l = strcspn(deps, "\t");
                if (l == 0 || l >= sizeof(one))
                        return false;
                memcpy(one, deps, l);
                one[l] = 0;
                if (!module_path_ok(one))
                        return false;
                deps += l;
                if (*deps == '\t')
                        deps++;
        }
        return true;
}

/* Splits buf into lines in place; returns the number of lines. */
static size_t cut_lines(char *buf, char ***ret) {
        size_t lines = 1, n = 0;
        char **l, *p = buf;

        for (const char *c = buf; *c; c++)
                lines += *c == '\n';
        l = calloc(lines, sizeof(*l));
        if (!l)
                return (size_t) -1;
        while (*p) {
                char *line = p, *nl = strchr(p, '\n');
                if (nl) {
                        *nl = 0;
                        p = nl + 1;
                } else
                        p += strlen(p);
                if (*line && line[strlen(line) - 1] == '\r')
                        line[strlen(line) - 1] = 0;
                if (*line && *line != '#')
                        l[n++] = line;
        }
        *ret = l;
        return n;
}

/* "module NAME PATH [DEP...]": the deps become a TAB-separated list in place. */
static bool parse_module_line(char *line, const char **ret_path, const char **ret_deps) {
        char *name = line + strlen("module "), *path, *deps;

        path = strchr(name, ' ');
        if (!path || path == name)
                return false;
        *path++ = 0;
        deps = strchr(path, ' ');
        if (deps) {
                *deps++ = 0;
                for (char *c = deps; *c; c++)
                        if (*c == ' ')
                                *c = '\t';
        }
        if (!module_path_ok(path) || (deps && !deps_ok(deps)))
                return false;
        *ret_path = path;
        *ret_deps = deps ? deps : "";
        return true;
}

static const char *deps_of(struct alias_entry *mods, size_t n, const char *path) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(mods[i].module, path) == 0)
                        return mods[i].deps;
        return NULL;
}

/* The legacy form "GLOB<TAB>PATH[<TAB>DEP...]". */
static bool parse_tab_line(char *line, struct alias_entry *ret) {
        char *tab = strchr(line, '\t'), *tab2;

        if (!tab || tab == line)
                return false;
        *tab = 0;
        tab2 = strchr(tab + 1, '\t');
        if (tab2)
                *tab2 = 0;
        if (!module_path_ok(tab + 1) || (tab2 && !deps_ok(tab2 + 1)))
                return false;
        *ret = (struct alias_entry) { .pattern = line, .module = tab + 1, .deps = tab2 ? tab2 + 1 : "" };
        return true;
}

/* "alias GLOB PATH", with the deps of PATH's module line. */
static bool parse_alias_line(char *line, struct alias_entry *mods, size_t n_mods, struct alias_entry *ret) {
        char *glob = line + strlen("alias "), *path = strchr(glob, ' ');
        const char *deps;

        if (!path || path == glob)
                return false;
        *path++ = 0;
        deps = deps_of(mods, n_mods, path);
        if (!deps)
                return false;
        *ret = (struct alias_entry) { .pattern = glob, .module = path, .deps = deps };
        return true;
}

int alias_table_parse(char *buf, struct alias_table *ret) {
        struct alias_entry *e = NULL, *mods = NULL;
        size_t n = 0, n_mods = 0, bad = 0, nl;
        char **lines = NULL;

        nl = cut_lines(buf, &lines);
        if (nl != (size_t) -1) {
                e = calloc(nl + 1, sizeof(*e));
                mods = calloc(nl + 1, sizeof(*mods));
        }
        if (!e || !mods) {
                free(lines);
                free(e);
                free(mods);
                free(buf);
                return -ENOMEM;
        }
        for (size_t i = 0; i < nl; i++)
                if (strncmp(lines[i], "module ", 7) == 0) {
                        if (parse_module_line(lines[i], &mods[n_mods].module, &mods[n_mods].deps))
                                n_mods++;
                        else
                                bad++;
                }
        for (size_t i = 0; i < nl; i++) {
                if (strncmp(lines[i], "module", 6) == 0 && (lines[i][6] == 0 || lines[i][6] == ' ' ||
                                                           lines[i][6] == '\0'))
                        continue;
                if (strncmp(lines[i], "alias ", 6) == 0 ? parse_alias_line(lines[i], mods, n_mods, &e[n]) :
                                                          parse_tab_line(lines[i], &e[n]))
                        n++;
                else
                        bad++;
        }
        free(lines);
        free(mods);
        *ret = (struct alias_table) { .buf = buf, .entries = e, .n = n, .n_bad = bad };
        return 0;
}

void alias_table_done(struct alias_table *t) {
        free(t->entries);
        free(t->buf);
        *t = (struct alias_table) {};
}

const struct alias_entry *alias_table_match(const struct alias_table *t, const char *modalias, size_t *i) {
        for (; *i < t->n; (*i)++) {
                const struct alias_entry *e = &t->entries[*i];
                char c = e->pattern[0];

                /* Most patterns start with a literal bus name: a cheap first test. */
                if (c != '*' && c != '?' && c != '[' && c != '\\' && c != modalias[0])
                        continue;
                if (fnmatch(e->pattern, modalias, 0) == 0) {
                        (*i)++;
                        return e;
                }
        }
        return NULL;
}

const struct alias_entry *alias_table_find(const struct alias_table *t, const char *alias) {
        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->entries[i].pattern, alias) == 0)
                        return &t->entries[i];
        return NULL;
}

bool alias_next_dep(const char **deps, char *buf, size_t size) {
        while (**deps) {
                size_t l = strcspn(*deps, "\t");
                const char *s = *deps;

                *deps += l;
                if (**deps == '\t')
                        (*deps)++;
                if (l == 0 || l >= size)
                        continue;
                memcpy(buf, s, l);
                buf[l] = 0;
                return true;
        }
        return false;
}
