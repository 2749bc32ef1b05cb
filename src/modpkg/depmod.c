/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "modpkg/depmod.h"
#include "modpkg/depmod-internal.h"
#include "modpkg/modindex.h"
#include "util/log.h"
#include "util/strv.h"

#define INDEX_MAX (256u << 20)

const char *const dm_txt_name[_TXT_MAX] = { "modules.alias", "modules.softdep", "modules.devname" };
/* Every file the update reads the old state from and writes; modules.dep last. */
const char *const dm_index_files[DM_N_INDEX_FILES] = {
        "modules.dep.bin", "modules.alias", "modules.alias.bin", "modules.softdep",
        "modules.symbols", "modules.symbols.bin", "modules.devname", "modules.dep",
};

/* Takes s; returns it, or NULL (and s freed) without memory. */
char *dm_own(struct owned *o, char *s) {
        if (s && o->n == o->alloc) {
                size_t a = o->alloc ? o->alloc * 2 : 1024;
                char **q = reallocarray(o->p, a, sizeof *q);
                if (!q)
                        return mfree(s);
                o->p = q;
                o->alloc = a;
        }
        if (s)
                o->p[o->n++] = s;
        return s;
}

void dm_owned_done(struct owned *o) {
        for (size_t i = 0; i < o->n; i++)
                free(o->p[i]);
        free(o->p);
}

static void dm_done(struct dm *d) {
        for (size_t i = 0; i < d->n; i++) {
                struct dmod *m = &d->m[i];
                free(m->path);
                free(m->name);
                for (int t = 0; t < _TXT_MAX; t++)
                        strbuf_done(&m->new_text[t]);
                strv_free(m->needs);
                free(m->direct);
                free(m->all);
        }
        free(d->m);
        free(d->by_name);
        free(d->by_path);
        free(d->out);
        free(d->old_dep);
        free(d->old_sym);
        for (int t = 0; t < _TXT_MAX; t++)
                free(d->old_txt[t]);
        free(d->order);
        free(d->syms);
        dm_owned_done(&d->syms_own);
        free(d->dir);
        free(d->host);
        free(d->reason);
}

int dm_give_up(struct dm *d, const char *fmt, ...) {
        va_list ap;

        if (d->reason)
                return 0;
        va_start(ap, fmt);
        if (vasprintf(&d->reason, fmt, ap) < 0)
                d->reason = NULL;
        va_end(ap);
        return d->reason ? 0 : -ENOMEM;
}

static char *modname(const char *path) {
        const char *b = strrchr(path, '/');
        char *s = strndup(b ? b + 1 : path, strcspn(b ? b + 1 : path, "."));

        for (char *p = s; p && *p; p++)
                if (*p == '-')
                        *p = '_';
        return s;
}

static bool ts_newer_or_same(struct timespec a, struct timespec b) {
        return timespec_ns(a) >= timespec_ns(b);
}

/* ---------------------------------------------------------------- lookups */

static int name_cmp(const void *a, const void *b, void *ctx) {
        const struct dm *d = ctx;
        return strcmp(d->m[*(const size_t *) a].name, d->m[*(const size_t *) b].name);
}
static int path_cmp(const void *a, const void *b, void *ctx) {
        const struct dm *d = ctx;
        return strcmp(d->m[*(const size_t *) a].path, d->m[*(const size_t *) b].path);
}

static ssize_t find(const struct dm *d, const size_t *by, size_t n, bool by_name, const char *s, size_t len) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                const char *k = by_name ? d->m[by[mid]].name : d->m[by[mid]].path;
                int c = strncmp(k, s, len);
                if (c == 0 && k[len])
                        c = 1;
                if (c == 0)
                        return (ssize_t) by[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}
static ssize_t find_name(const struct dm *d, const char *s, size_t len) {
        return find(d, d->by_name, d->n_by_name, true, s, len);
}
static ssize_t find_path(const struct dm *d, const char *s, size_t len) {
        return find(d, d->by_path, d->n_by_path, false, s, len);
}

static int add_mod(struct dm *d, char *path, size_t walk) {
        char *name = modname(path);

        if (!name) {
                free(path);
                return -ENOMEM;
        }
        if (d->n == d->alloc) {
                size_t a = d->alloc ? d->alloc * 2 : 4096;
                struct dmod *m = reallocarray(d->m, a, sizeof *m);
                if (!m) {
                        free(path);
                        free(name);
                        return -ENOMEM;
                }
                d->m = m;
                d->alloc = a;
        }
        d->m[d->n++] = (struct dmod) { .path = path, .name = name, .walk = walk };
        return 0;
}

/* ---------------------------------------------------------------- inputs */

/* depmod.d lines other than search and override (external, exclude, ...) can
 * bring in modules the indexes do not show. */
static int check_config(struct dm *d) {
        static const char *const dirs[] = { "/etc/depmod.d", "/run/depmod.d", "/usr/local/lib/depmod.d",
                                            "/usr/lib/depmod.d", "/lib/depmod.d" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_close_ int fd = fs_open_dir(d->root->fd, dirs[i]);
                DIR *dir;
                struct dirent *de;

                if (fd < 0)
                        continue;
                dir = fdopendir(fd);
                if (!dir)
                        return -errno;
                TAKE_FD(fd);
                while ((de = readdir(dir)) && !d->reason) {
                        _cleanup_free_ char *p = NULL, *text = NULL;
                        if (de->d_name[0] == '.' || !endswith(de->d_name, ".conf"))
                                continue;
                        p = path_join(dirs[i], de->d_name);
                        if (!p || fs_read_all(d->root->fd, p, 1 << 20, &text, NULL) < 0)
                                continue;
                        for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                                l += strspn(l, " \t");
                                if (*l == '#' || *l == '\n' || *l == '\0')
                                        continue;
                                if (startswith(l, "search") || startswith(l, "override")) {
                                        d->search_cfg = true;
                                        continue;
                                }
                                (void) dm_give_up(d, "'%s' has '%.*s' lines", p, (int) strcspn(l, " \t\n"), l);
                                break;
                        }
                }
                closedir(dir);
        }
        return 0;
}

/* The oldest mtime of the indexes: modules newer than that are re-read. */
static int check_stamp(struct dm *d) {
        _cleanup_free_ char *weak = path_join(d->dir, "modules.weakdep");
        bool first = true;

        /* kmod 33's depmod indexes weak dependencies too, which this does not */
        if (!weak)
                return -ENOMEM;
        if (fs_exists(d->root->fd, weak))
                return dm_give_up(d, "'%s' is an index this update does not write", weak);

        for (size_t i = 0; i < ELEMENTSOF(dm_index_files); i++) {
                _cleanup_free_ char *p = path_join(d->dir, dm_index_files[i]);
                struct stat st;
                if (!p)
                        return -ENOMEM;
                if (fs_stat(d->root->fd, p, &st) < 0 || !S_ISREG(st.st_mode))
                        return dm_give_up(d, "no '%s'", dm_index_files[i]);
                if (first || !ts_newer_or_same(st.st_mtim, d->stamp))
                        d->stamp = st.st_mtim;
                first = false;
        }
        return 0;
}

static bool module_file(const char *name, struct dm *d) {
        if (endswith(name, ".ko") || endswith(name, ".ko.xz") || endswith(name, ".ko.zst"))
                return true;
        if (endswith(name, ".ko.gz"))
                (void) dm_give_up(d, "'%s' is compressed with gzip", name);
        return false;
}

/* Walks the tree as depmod does (readdir order, "build" and "source"
 * skipped), noting each module and whether it is newer than the indexes. */
static int walk(struct dm *d, int dfd, const char *rel) {
        _cleanup_close_ int fd = dfd;
        DIR *dir = fdopendir(fd);
        struct dirent *de;
        int r = 0;

        if (!dir)
                return -errno;
        TAKE_FD(fd);
        while (r >= 0 && !d->reason && (de = readdir(dir))) {
                const char *n = de->d_name;
                _cleanup_free_ char *p = NULL;
                struct stat st;
                bool is_dir = de->d_type == DT_DIR;

                if (streq(n, ".") || streq(n, "..") || streq(n, "build") || streq(n, "source"))
                        continue;
                if (de->d_type == DT_REG && !module_file(n, d))
                        continue; /* not a module: no stat */
                p = *rel ? strdup_printf("%s/%s", rel, n) : strdup(n);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                if (!is_dir) { /* a module's mtime; what DT_UNKNOWN is */
                        if (fstatat(dirfd(dir), n, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue; /* depmod skips it too */
                        if (S_ISLNK(st.st_mode)) { /* depmod follows it, maybe out of the root */
                                r = dm_give_up(d, "'%s' is a symbolic link", p);
                                continue;
                        }
                        is_dir = S_ISDIR(st.st_mode);
                        if (!is_dir && (!S_ISREG(st.st_mode) || (de->d_type != DT_REG && !module_file(n, d))))
                                continue;
                }
                if (is_dir) {
                        int sub = openat(dirfd(dir), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                r = walk(d, sub, p);
                        continue;
                }
                r = add_mod(d, TAKE_PTR(p), d->n + 1);
                if (r >= 0 && ts_newer_or_same(st.st_mtim, d->stamp))
                        d->m[d->n - 1].newer = d->m[d->n - 1].fresh = true;
        }
        closedir(dir);
        return r;
}

static int read_index(struct dm *d, const char *name, char **ret) {
        _cleanup_free_ char *p = path_join(d->dir, name);
        int r;

        if (!p)
                return -ENOMEM;
        r = fs_read_all(d->root->fd, p, INDEX_MAX, ret, NULL);
        if (r < 0)
                return log_error_errno(r, "'%s/%s': cannot read: %s", d->dir, name, strerror(-r));
        return 0;
}

/* The leading comment lines of an index. */
static struct span head(const char *s) {
        const char *p = s;
        while (*p == '#')
                p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
        return (struct span) { s, (size_t) (p - s) };
}

/* modules.dep: which modules were indexed; the tree's others are added,
 * its lines for modules no longer there removed. */
static int read_deps(struct dm *d) {
        size_t n_tree = d->n;
        int r = read_index(d, "modules.dep", &d->old_dep);

        for (size_t i = 0; i < d->n; i++)
                d->by_path[i] = i;
        d->n_by_path = d->n;
        qsort_r(d->by_path, d->n, sizeof *d->by_path, path_cmp, d);
        for (const char *l = d->old_dep; r >= 0 && l && *l;) {
                const char *nl = strchrnul(l, '\n'), *colon = memchr(l, ':', (size_t) (nl - l));
                ssize_t i;
                if (!colon)
                        return dm_give_up(d, "'%s/modules.dep' has a line without ':'", d->dir);
                i = find_path(d, l, (size_t) (colon - l));
                if (i < 0) { /* removed: remembered for the users check */
                        char *p = strndup(l, (size_t) (colon - l));
                        if (!p || add_mod(d, p, 0) < 0)
                                return -ENOMEM;
                        i = (ssize_t) d->n - 1;
                } else if (d->m[i].dep.p)
                        return dm_give_up(d, "'%s/modules.dep' lists '%.*s' twice", d->dir, (int) (colon - l), l);
                d->m[i].dep = (struct span) { l, (size_t) (nl - l) };
                l = *nl ? nl + 1 : nl;
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_tree; i++)
                if (!d->m[i].dep.p)
                        d->m[i].fresh = true;
        if (d->n != n_tree) { /* the removed ones join the path lookup */
                size_t *b = reallocarray(d->by_path, d->n, sizeof *b);
                if (!b)
                        return -ENOMEM;
                d->by_path = b;
                for (size_t i = 0; i < d->n; i++)
                        b[i] = i;
                d->n_by_path = d->n;
                qsort_r(b, d->n, sizeof *b, path_cmp, d);
        }
        return 0;
}

/* The modules in the tree, sorted by cmp. */
static int tree_sorted(struct dm *d, int (*cmp)(const void *, const void *, void *), size_t **ret, size_t *ret_n) {
        size_t *a = calloc(d->n ? d->n : 1, sizeof *a), n = 0;

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < d->n; i++)
                if (d->m[i].walk)
                        a[n++] = i;
        qsort_r(a, n, sizeof *a, cmp, d);
        *ret = a;
        *ret_n = n;
        return 0;
}

static int index_names(struct dm *d) {
        int r = tree_sorted(d, name_cmp, &d->by_name, &d->n_by_name);

        if (r < 0)
                return r;
        for (size_t i = 1; i < d->n_by_name; i++) {
                struct dmod *a = &d->m[d->by_name[i - 1]], *b = &d->m[d->by_name[i]], *lose;
                if (!streq(a->name, b->name))
                        continue;
                if (d->search_cfg)
                        return dm_give_up(d, "'%s' and '%s' are both module '%s'", a->path, b->path, a->name);
                /* depmod's default search order: updates/ first, else the first found */
                if (!!startswith(a->path, "updates") != !!startswith(b->path, "updates"))
                        lose = startswith(a->path, "updates") ? b : a;
                else
                        lose = a->walk < b->walk ? b : a;
                /* it leaves the tree; once indexed, it was removed */
                lose->walk = 0;
                lose->fresh = false;
                if (lose == b)
                        d->by_name[i] = d->by_name[i - 1];
        }
        /* without the ones that lost */
        size_t k = 0;
        for (size_t i = 0; i < d->n_by_name; i++)
                if (d->m[d->by_name[i]].walk && (k == 0 || d->by_name[k - 1] != d->by_name[i]))
                        d->by_name[k++] = d->by_name[i];
        d->n_by_name = k;
        return 0;
}

/* The next path a modules.dep line lists after *p (its "path:" skipped by
 * the caller), in *ret; false at the end of the line. */
static bool next_dep(const char **p, const char *end, struct span *ret) {
        const char *s = *p;
        size_t len;

        while (s < end && *s == ' ')
                s++;
        len = strcspn(s, " \n");
        if (s + len > end)
                len = (size_t) (end - s);
        *p = s + len;
        *ret = (struct span) { s, len };
        return len > 0;
}

/* What follows "path:" in a module's old modules.dep line. */
static const char *dep_list(const struct dmod *m) {
        return (const char *) memchr(m->dep.p, ':', m->dep.n) + 1;
}

/* An unchanged module's line lists everything it needs; if one of those is
 * removed, or changed, or now needs something else, the line is stale, and
 * so may be others: depmod's job. */
static int check_suspects(struct dm *d) {
        bool any = false;

        for (size_t i = 0; i < d->n && !any; i++)
                any = d->m[i].suspect;
        if (!any)
                return 0;
        for (size_t i = 0; i < d->n; i++) {
                const struct dmod *m = &d->m[i];
                const char *p, *end = m->dep.p + m->dep.n;
                struct span dep;
                if (!m->walk || m->fresh || !m->dep.p)
                        continue;
                for (p = dep_list(m); next_dep(&p, end, &dep);) {
                        ssize_t j = find_path(d, dep.p, dep.n);
                        if (j >= 0 && d->m[j].suspect)
                                return dm_give_up(d, "'%s' needs '%s', which changed", m->path, d->m[j].path);
                }
        }
        return 0;
}

static int check_users(struct dm *d) {
        for (size_t i = 0; i < d->n; i++)
                d->m[i].suspect = d->m[i].dep.p && (!d->m[i].walk || d->m[i].newer);
        return check_suspects(d);
}

/* Whether a module read again needs what its old line says. */
static bool same_needs(const struct dm *d, const struct dmod *m) {
        const char *p = dep_list(m), *end = m->dep.p + m->dep.n;
        struct span dep;
        size_t n = 0;

        while (next_dep(&p, end, &dep)) {
                bool found = false;
                for (size_t k = 0; k < m->n_all && !found; k++)
                        found = strncmp(d->m[m->all[k]].path, dep.p, dep.n) == 0 && !d->m[m->all[k]].path[dep.n];
                if (!found)
                        return false;
                n++;
        }
        return n == m->n_all;
}

static int check_reread(struct dm *d) {
        for (size_t i = 0; i < d->n; i++) {
                struct dmod *m = &d->m[i];
                m->suspect = m->walk && m->fresh && m->dep.p && !m->newer && !same_needs(d, m);
        }
        return check_suspects(d);
}

/* modules.order: depmod lists the modules named there first, in its order
 * (named without the compression suffix), the others after, in walk order. */
static int read_order(struct dm *d) {
        long line = 0;
        int r = read_index(d, "modules.order", &d->order);

        for (char *l = d->order; r >= 0 && l && *l;) {
                char *nl = strchrnul(l, '\n');
                size_t len = (size_t) (nl - l);
                line++;
                if (!*nl)
                        return dm_give_up(d, "'%s/modules.order' does not end in a newline", d->dir);
                for (int c = 0; c < 3; c++) {
                        static const char *const suffix[] = { "", ".xz", ".zst" };
                        char p[PATH_MAX];
                        ssize_t i = snprintf(p, sizeof p, "%.*s%s", (int) len, l, suffix[c]) < (int) sizeof p ?
                                find_path(d, p, strlen(p)) : -1;
                        if (i >= 0 && d->m[i].walk) {
                                if (!d->m[i].order)
                                        d->m[i].order = line;
                                break;
                        }
                }
                l = nl + 1;
        }
        return r;
}

/* The modules the kernel did not bring (modules.order does not list them)
 * are read again every time: one may need a symbol that was not there when
 * its line was written and is now. The kernel's own modules were linked
 * against each other and vmlinux, so what they need is in their lines. */
static int reread_unlisted(struct dm *d) {
        for (size_t i = 0; i < d->n; i++)
                if (d->m[i].walk && !d->m[i].order)
                        d->m[i].fresh = true;
        return 0;
}

/* A module's lines in a text index, which depmod writes module by module. */
static const char *line_module(int t, const char *l, const char *nl, size_t *ret_len) {
        const char *s, *e;

        switch (t) {
        case TXT_ALIAS: /* alias PATTERN NAME */
                for (e = nl; e > l && e[-1] != ' '; e--)
                        ;
                *ret_len = (size_t) (nl - e);
                return e;
        case TXT_SOFTDEP: /* softdep NAME ... */
                s = l + strcspn(l, " \n");
                s += *s == ' ';
                *ret_len = strcspn(s, " \n");
                return s;
        default: /* NAME devname ... */
                *ret_len = strcspn(l, " \n");
                return l;
        }
}

static int read_texts(struct dm *d) {
        for (int t = 0; t < _TXT_MAX; t++) {
                int r = read_index(d, dm_txt_name[t], &d->old_txt[t]);
                if (r < 0)
                        return r;
                d->txt_head[t] = head(d->old_txt[t]);
                for (const char *l = d->old_txt[t] + d->txt_head[t].n; *l;) {
                        const char *nl = strchrnul(l, '\n'), *nm;
                        size_t len;
                        ssize_t i;
                        if (!*nl)
                                return dm_give_up(d, "'%s/%s' does not end in a newline", d->dir, dm_txt_name[t]);
                        nm = line_module(t, l, nl, &len);
                        if ((t == TXT_ALIAS && (!startswith(l, "alias ") || nm < l + 8)) ||
                            (t == TXT_SOFTDEP && !startswith(l, "softdep ")) || len == 0)
                                return dm_give_up(d, "'%s/%s' is not in depmod's layout", d->dir, dm_txt_name[t]);
                        i = find_name(d, nm, len);
                        if (i >= 0 && !d->m[i].fresh) {
                                struct span *s = &d->m[i].text[t];
                                if (!s->p)
                                        *s = (struct span) { l, 0 };
                                else if (s->p + s->n != l)
                                        return dm_give_up(d, "'%s/%s': the lines of '%s' are not together",
                                                       d->dir, dm_txt_name[t], d->m[i].name);
                                s->n += (size_t) (nl - l) + 1;
                        }
                        l = nl + 1;
                }
        }
        return 0;
}

static int add_sym(struct dm *d, const char *name, size_t owner) {
        if (d->n_syms == d->alloc_syms) {
                size_t a = d->alloc_syms ? d->alloc_syms * 2 : 16384;
                struct sym *s = reallocarray(d->syms, a, sizeof *s);
                if (!s)
                        return -ENOMEM;
                d->syms = s;
                d->alloc_syms = a;
        }
        d->syms[d->n_syms++] = (struct sym) { name, owner };
        return 0;
}

/* modules.symbols: "alias symbol:NAME MODULE" for every exported symbol. */
static int read_symbols(struct dm *d) {
        int r = read_index(d, "modules.symbols", &d->old_sym);

        if (r < 0)
                return r;
        d->sym_head = head(d->old_sym);
        for (char *l = d->old_sym + d->sym_head.n; *l;) {
                char *nl = strchrnul(l, '\n'), *sp;
                ssize_t i;
                if (!*nl || !startswith(l, "alias symbol:") || !(sp = memchr(l + 13, ' ', (size_t) (nl - l - 13))))
                        return dm_give_up(d, "'%s/modules.symbols' is not in depmod's layout", d->dir);
                i = find_name(d, sp + 1, (size_t) (nl - sp - 1));
                *sp = *nl = '\0';
                if (i >= 0 && !d->m[i].fresh && add_sym(d, l + 13, (size_t) i) < 0)
                        return -ENOMEM;
                l = nl + 1;
        }
        return 0;
}

/* ---------------------------------------------------------------- fresh modules */

/* What depmod takes from a module's modinfo, in its formats. */
static int fresh_info(struct dmod *m, struct kmod_module *km) {
        struct kmod_list *list = NULL, *l;
        const char *devname = NULL;
        char type = 0;
        unsigned major = 0, minor = 0;
        bool dev_done = false;
        int r = kmod_module_get_info(km, &list);

        if (r < 0)
                return 0; /* depmod skips it too */
        r = 0;
        kmod_list_foreach(l, list) {
                const char *k = kmod_module_info_get_key(l), *v = kmod_module_info_get_value(l);
                unsigned a, b;
                if (!k || !v)
                        continue;
                if (streq(k, "alias")) {
                        r = strbuf_printf(&m->new_text[TXT_ALIAS], "alias %s %s\n", v, m->name);
                        if (!dev_done) {
                                if (startswith(v, "devname:"))
                                        devname = v + 8;
                                else if (sscanf(v, "char-major-%u-%u", &a, &b) == 2)
                                        type = 'c', major = a, minor = b;
                                else if (sscanf(v, "block-major-%u-%u", &a, &b) == 2)
                                        type = 'b', major = a, minor = b;
                                if (type && devname) {
                                        r = strbuf_printf(&m->new_text[TXT_DEVNAME], "%s %s %c%u:%u\n", m->name,
                                                          devname, type, major, minor);
                                        dev_done = true;
                                }
                        }
                } else if (streq(k, "softdep"))
                        r = strbuf_printf(&m->new_text[TXT_SOFTDEP], "softdep %s %s\n", m->name, v);
                if (r < 0)
                        break;
        }
        kmod_module_info_free_list(list);
        return r;
}

static int fresh_symbols(struct dm *d, size_t i, struct kmod_module *km) {
        struct dmod *m = &d->m[i];
        struct kmod_list *list = NULL, *l;
        int r = 0;

        if (kmod_module_get_symbols(km, &list) >= 0) {
                kmod_list_foreach(l, list) {
                        const char *s = kmod_module_symbol_get_symbol(l);
                        char *name = s ? dm_own(&d->syms_own, strdup(s)) : NULL;
                        if (!s)
                                continue;
                        if (!name || add_sym(d, name, i) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                }
                kmod_module_symbols_free_list(list);
        }
        list = NULL;
        if (r < 0 || kmod_module_get_dependency_symbols(km, &list) < 0)
                return r;
        kmod_list_foreach(l, list) {
                const char *s = kmod_module_dependency_symbol_get_symbol(l);
                if (s && (r = strv_push(&m->needs, s[0] == '.' ? s + 1 : s)) < 0)
                        break;
        }
        kmod_module_dependency_symbols_free_list(list);
        return r;
}

static int read_fresh(struct dm *d) {
        const char *null_config = NULL;
        struct kmod_ctx *ctx = kmod_new(d->host, &null_config);
        int r = 0;

        if (!ctx)
                return log_error_errno(-ENOMEM, "'%s': cannot set up libkmod", d->host);
        kmod_set_log_priority(ctx, 0); /* its complaints are ours to word */
        for (size_t i = 0; r >= 0 && !d->reason && i < d->n; i++) {
                _cleanup_free_ char *p = NULL;
                struct kmod_module *km = NULL;
                if (!d->m[i].walk || !d->m[i].fresh)
                        continue;
                p = path_join(d->host, d->m[i].path);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                if (kmod_module_new_from_path(ctx, p, &km) < 0) {
                        r = dm_give_up(d, "libkmod cannot read '%s'", d->m[i].path);
                        break;
                }
                r = fresh_info(&d->m[i], km);
                if (r >= 0)
                        r = fresh_symbols(d, i, km);
                kmod_module_unref(km);
        }
        kmod_unref(ctx);
        return r;
}

static int sym_cmp(const void *a, const void *b) {
        return strcmp(((const struct sym *) a)->name, ((const struct sym *) b)->name);
}

/* Who exports what the fresh modules need. */
static int resolve(struct dm *d) {
        _cleanup_free_ struct sym *s = NULL;
        size_t n = d->n_syms;

        if (n && !(s = malloc(n * sizeof *s)))
                return -ENOMEM;
        if (n)
                memcpy(s, d->syms, n * sizeof *s);
        qsort(s, n, sizeof *s, sym_cmp);
        for (size_t i = 1; i < n; i++)
                if (streq(s[i - 1].name, s[i].name))
                        return dm_give_up(d, "symbol '%s' is exported by '%s' and '%s'", s[i].name,
                                       d->m[s[i - 1].owner].path, d->m[s[i].owner].path);
        for (size_t i = 0; i < d->n; i++) {
                struct dmod *m = &d->m[i];
                if (!m->walk || !m->fresh)
                        continue;
                STRV_FOREACH(need, m->needs) {
                        const struct sym *k = bsearch(&(struct sym) { .name = *need }, s, n, sizeof *s, sym_cmp);
                        size_t o;
                        bool seen = false;
                        if (!k || (o = k->owner) == i)
                                continue;
                        for (size_t j = 0; j < m->n_direct && !seen; j++)
                                seen = m->direct[j] == o;
                        if (seen)
                                continue;
                        size_t *a = reallocarray(m->direct, m->n_direct + 1, sizeof *a);
                        if (!a)
                                return -ENOMEM;
                        m->direct = a;
                        a[m->n_direct++] = o;
                }
        }
        return 0;
}

/* ---------------------------------------------------------------- order */

/* Where libkmod's hash table of 512 buckets (depmod's modules by name) puts
 * a name: Paul Hsieh's SuperFastHash of it, as libkmod-hash.c computes it. */
static unsigned name_bucket(const char *key) {
        size_t n = strlen(key);
        uint32_t h = (uint32_t) n, tmp;
        const unsigned char *k = (const unsigned char *) key;

        for (size_t i = n / 4; i > 0; i--, k += 4) {
                h += (uint32_t) (k[0] | k[1] << 8);
                tmp = ((uint32_t) (k[2] | k[3] << 8) << 11) ^ h;
                h = (h << 16) ^ tmp;
                h += h >> 11;
        }
        switch (n & 3) {
        case 3:
                h += (uint32_t) (k[0] | k[1] << 8);
                h ^= h << 16;
                h ^= (uint32_t) (signed char) k[2] << 18;
                h += h >> 11;
                break;
        case 2:
                h += (uint32_t) (k[0] | k[1] << 8);
                h ^= h << 11;
                h += h >> 17;
                break;
        case 1:
                h += (uint32_t) (signed char) k[0];
                h ^= h << 10;
                h += h >> 1;
                break;
        }
        h ^= h << 3;
        h += h >> 5;
        h ^= h << 4;
        h += h >> 17;
        h ^= h << 25;
        h += h >> 6;
        return h & 511;
}

/* depmod's order: the modules modules.order lists, in its order, then the
 * others as depmod's table of names hands them out (by bucket, then name),
 * which a stable sort keeps. */
static int out_cmp(const void *a, const void *b, void *ctx) {
        const struct dm *d = ctx;
        const struct dmod *x = &d->m[*(const size_t *) a], *y = &d->m[*(const size_t *) b];
        unsigned bx, by;

        if (!!x->order != !!y->order)
                return x->order ? -1 : 1;
        if (x->order)
                return x->order < y->order ? -1 : x->order > y->order;
        bx = name_bucket(x->name);
        by = name_bucket(y->name);
        if (bx != by)
                return bx < by ? -1 : 1;
        return strcmp(x->name, y->name);
}

static int order_modules(struct dm *d) {
        int r = tree_sorted(d, out_cmp, &d->out, &d->n_out);

        if (r < 0)
                return r;
        for (size_t i = 0; i < d->n_out; i++)
                d->m[d->out[i]].idx = (uint32_t) i;
        return 0;
}

static int push_unique(size_t **a, size_t *n, size_t v) {
        size_t *b;

        for (size_t i = 0; i < *n; i++)
                if ((*a)[i] == v)
                        return 0;
        b = reallocarray(*a, *n + 1, sizeof *b);
        if (!b)
                return -ENOMEM;
        b[(*n)++] = v;
        *a = b;
        return 0;
}

/* Everything module i needs: an unchanged one's from its modules.dep line, a
 * fresh one's from what it needs directly and what those need. */
static int closure(struct dm *d, size_t i) {
        struct dmod *m = &d->m[i];
        int r = 0;

        if (m->mark == 2)
                return 0;
        if (m->mark == 1)
                return dm_give_up(d, "'%s' is in a dependency cycle", m->path);
        m->mark = 1;
        if (!m->fresh) {
                const char *p = dep_list(m), *end = m->dep.p + m->dep.n;
                struct span dep;
                while (r >= 0 && next_dep(&p, end, &dep)) {
                        ssize_t j = find_path(d, dep.p, dep.n);
                        if (j < 0 || !d->m[j].walk)
                                return dm_give_up(d, "'%s' needs '%.*s', which is not there", m->path, (int) dep.n,
                                               dep.p);
                        r = push_unique(&m->all, &m->n_all, (size_t) j);
                }
        } else
                for (size_t k = 0; r >= 0 && !d->reason && k < m->n_direct; k++) {
                        size_t j = m->direct[k];
                        r = closure(d, j);
                        if (r >= 0)
                                r = push_unique(&m->all, &m->n_all, j);
                        for (size_t q = 0; r >= 0 && q < d->m[j].n_all; q++)
                                r = push_unique(&m->all, &m->n_all, d->m[j].all[q]);
                }
        m->mark = 2;
        return r;
}

/* Load order for modprobe, which loads a line's modules from its end: a
 * module before everything it needs. Whatever needs x needs all x needs and
 * x, so it needs more: most needs first is such an order. */
static int load_cmp(const void *a, const void *b, void *ctx) {
        const struct dm *d = ctx;
        const struct dmod *x = &d->m[*(const size_t *) a], *y = &d->m[*(const size_t *) b];

        if (x->n_all != y->n_all)
                return x->n_all > y->n_all ? -1 : 1;
        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int fresh_closures(struct dm *d) {
        for (size_t i = 0; i < d->n && !d->reason; i++) {
                struct dmod *m = &d->m[i];
                int r;
                if (!m->walk || !m->fresh)
                        continue;
                r = closure(d, i);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < m->n_all && !d->reason; k++) {
                        r = closure(d, m->all[k]);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < d->n && !d->reason; i++)
                if (d->m[i].walk && d->m[i].fresh && d->m[i].n_all > 1) {
                                        qsort_r(d->m[i].all, d->m[i].n_all, sizeof *d->m[i].all, load_cmp, d);
                }
        return 0;
}

/* ---------------------------------------------------------------- entry */

static int update(struct dm *d) {
        int (*const steps[])(struct dm *) = {
                check_config, check_stamp, NULL /* walk */, read_deps, read_order, reread_unlisted,
                index_names, check_users, read_texts, read_symbols, read_fresh, resolve, order_modules,
                fresh_closures, check_reread,
        };
        int r = 0;

        for (size_t i = 0; r >= 0 && !d->reason && i < ELEMENTSOF(steps); i++) {
                if (steps[i]) {
                        r = steps[i](d);
                        continue;
                }
                int fd = fs_open_dir(d->root->fd, d->dir);
                r = fd < 0 ? fd : walk(d, fd, "");
                if (r >= 0 && !(d->by_path = calloc(d->n ? d->n : 1, sizeof *d->by_path)))
                        r = -ENOMEM;
        }
        if (r < 0 || d->reason)
                return r;
        for (size_t i = 0; i < d->n; i++) {
                const struct dmod *m = &d->m[i];
                d->added += m->walk && !m->dep.p;
                d->changed += m->walk && m->dep.p && m->newer;
                d->removed += !m->walk && m->dep.p;
        }
        if (!d->added && !d->changed && !d->removed)
                return 1; /* nothing to do */
        r = depmod_write(d);
        return r < 0 || d->reason ? r : 1;
}

int modpkg_depmod_update(const struct root *root, const char *kver, int log_fd) {
        _cleanup_(dm_done) struct dm d = { .root = root };
        struct timespec t0, t1;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        d.dir = strdup_printf("/lib/modules/%s", kver);
        if (!d.dir)
                return -ENOMEM;
        r = root_host_dir(root, d.dir, "update the module indexes", &d.host);
        if (r < 0)
                return r;
        r = update(&d);
        if (r < 0)
                return r;
        if (d.reason) {
                log_debug("kernel '%s': depmod runs in full: %s", kver, d.reason);
                if (log_fd >= 0)
                        (void) dprintf(log_fd, "full: %s\n", d.reason);
                return 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (long) ((timespec_ns(t1) - timespec_ns(t0)) / 1000000);
        log_debug("kernel '%s': module indexes updated in place: %zu added, %zu changed, %zu removed, in %ld ms",
                  kver, d.added, d.changed, d.removed, ms);
        if (log_fd >= 0)
                (void) dprintf(log_fd, "incremental: %zu added, %zu changed, %zu removed, %zu modules, %ld ms\n",
                               d.added, d.changed, d.removed, d.n_out, ms);
        return 1;
}
