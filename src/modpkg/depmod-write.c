/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "modpkg/depmod-internal.h"
#include "modpkg/modindex.h"
#include "util/log.h"

struct outputs {
        struct strbuf text[ELEMENTSOF(dm_index_files)];
        struct modindex dep_idx, alias_idx, sym_idx;
        struct owned keep;      /* strings the indexes point into */
};

static int out_file(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(dm_index_files); i++)
                if (streq(dm_index_files[i], name))
                        return (int) i;
        return -1;
}

static void outputs_done(struct outputs *o) {
        for (size_t i = 0; i < ELEMENTSOF(dm_index_files); i++)
                strbuf_done(&o->text[i]);
        modindex_done(&o->dep_idx);
        modindex_done(&o->alias_idx);
        modindex_done(&o->sym_idx);
        dm_owned_done(&o->keep);
}

/* depmod's alias keys: '-' as '_' outside [...]; NULL for an unmatched bracket. */
static char *alias_key(const char *a, size_t len) {
        char *s = strndup(a, len < 1023 ? len : 1023);

        for (size_t i = 0; s && s[i]; i++) {
                if (s[i] == '-')
                        s[i] = '_';
                else if (s[i] == ']')
                        return mfree(s);
                else if (s[i] == '[') {
                        size_t off = strcspn(s + i, "]");
                        if (!s[i + off])
                                return mfree(s);
                        i += off;
                }
        }
        return s;
}

static int emit_deps(struct dm *d, struct outputs *o) {
        struct strbuf *sb = &o->text[out_file("modules.dep")];
        int r = strbuf_reserve(sb, strlen(d->old_dep) + 65536);

        for (size_t k = 0; r >= 0 && k < d->n_out; k++) {
                const struct dmod *m = &d->m[d->out[k]];
                size_t start = sb->len;
                char *line;
                if (m->fresh) {
                        r = strbuf_printf(sb, "%s:", m->path);
                        for (size_t j = 0; r >= 0 && j < m->n_all; j++)
                                r = strbuf_printf(sb, " %s", d->m[m->all[j]].path);
                } else
                        r = strbuf_add(sb, m->dep.p, m->dep.n);
                if (r < 0)
                        return r;
                line = dm_own(&o->keep, strndup(sb->buf + start, sb->len - start));
                if (!line || strbuf_putc(sb, '\n') < 0)
                        return -ENOMEM;
                r = modindex_add(&o->dep_idx, m->name, line, m->idx);
        }
        return r;
}

static int emit_texts(struct dm *d, struct outputs *o) {
        for (int t = 0; t < _TXT_MAX; t++) {
                struct strbuf *sb = &o->text[out_file(dm_txt_name[t])];
                int r = strbuf_reserve(sb, strlen(d->old_txt[t]) + 65536);
                if (r >= 0)
                        r = strbuf_add(sb, d->txt_head[t].p, d->txt_head[t].n);
                for (size_t k = 0; r >= 0 && k < d->n_out; k++) {
                        const struct dmod *m = &d->m[d->out[k]];
                        const char *p = m->fresh ? m->new_text[t].buf : m->text[t].p;
                        size_t n = m->fresh ? m->new_text[t].len : m->text[t].n;
                        if (!n)
                                continue;
                        r = strbuf_add(sb, p, n);
                        if (t != TXT_ALIAS)
                                continue;
                        /* alias PATTERN NAME: key PATTERN, value NAME */
                        for (const char *l = p; r >= 0 && l < p + n;) {
                                const char *nl = memchr(l, '\n', (size_t) (p + n - l));
                                size_t plen = (size_t) (nl - l) - 6 - 1 - strlen(m->name);
                                char *key = alias_key(l + 6, plen);
                                if (key && !dm_own(&o->keep, key))
                                        return -ENOMEM;
                                if (key)
                                        r = modindex_add(&o->alias_idx, key, m->name, m->idx);
                                l = nl + 1;
                        }
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int emit_symbols(struct dm *d, struct outputs *o) {
        struct strbuf *sb = &o->text[out_file("modules.symbols")];
        int r = strbuf_reserve(sb, (size_t) (d->n_syms + 1) * 64);
        if (r >= 0)
                r = strbuf_add(sb, d->sym_head.p, d->sym_head.n);

        /* the kept ones in their old order, then the fresh modules' */
        for (size_t i = 0; r >= 0 && i < d->n_syms; i++) {
                const struct sym *s = &d->syms[i];
                const struct dmod *m = &d->m[s->owner];
                char *key = dm_own(&o->keep, strdup_printf("symbol:%s", s->name));
                if (!key)
                        return -ENOMEM;
                r = strbuf_printf(sb, "alias %s %s\n", key, m->name);
                if (r >= 0)
                        r = modindex_add(&o->sym_idx, key, m->name, m->idx);
        }
        return r;
}

static int emit(struct dm *d, struct outputs *o) {
        static const struct {
                const char *file;
                size_t off;
        } bins[] = {
                { "modules.dep.bin", offsetof(struct outputs, dep_idx) },
                { "modules.alias.bin", offsetof(struct outputs, alias_idx) },
                { "modules.symbols.bin", offsetof(struct outputs, sym_idx) },
        };
        int r = emit_deps(d, o);

        if (r >= 0)
                r = emit_texts(d, o);
        if (r >= 0)
                r = emit_symbols(d, o);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(bins); i++) {
                struct strbuf *sb = &o->text[out_file(bins[i].file)];
                r = modindex_build((struct modindex *) ((char *) o + bins[i].off), &sb->buf, &sb->len);
                if (r == -EINVAL)
                        return dm_give_up(d, "a key of '%s' is not 7-bit ASCII", bins[i].file);
                sb->alloc = sb->len;
        }
        return r;
}

/* Stages every index, then renames them over the old ones, modules.dep last. */
static int write_all(struct dm *d, struct outputs *o) {
        struct fs_tmp tmp[ELEMENTSOF(dm_index_files)];
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(dm_index_files); i++)
                tmp[i] = (struct fs_tmp) FS_TMP_INIT;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(dm_index_files); i++) {
                _cleanup_free_ char *p = path_join(d->dir, dm_index_files[i]);
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                r = fs_tmp_open(d->root->fd, p, 0644, &tmp[i]);
                if (r >= 0)
                        r = fd_write_all(tmp[i].fd, o->text[i].buf, o->text[i].len);
                if (r >= 0)
                        fd_start_writeback(tmp[i].fd, 0, 0);
                if (r < 0)
                        log_error("'%s': cannot write: %s", p, strerror(-r));
        }
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(dm_index_files); i++) {
                r = fs_tmp_commit(&tmp[i]);
                if (r < 0)
                        log_error("'%s/%s': cannot replace: %s", d->dir, dm_index_files[i], strerror(-r));
        }
        for (size_t i = 0; i < ELEMENTSOF(dm_index_files); i++)
                fs_tmp_done(&tmp[i]);
        return r;
}

int depmod_write(struct dm *d) {
        _cleanup_(outputs_done) struct outputs o = {};
        int r = emit(d, &o);

        if (r < 0 || d->reason)
                return r;
        return write_all(d, &o);
}
