/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The in-place update of the module indexes (modpkg/depmod.h), between its
 * two files: depmod.c reads the old indexes and the tree and works out the
 * new state, depmod-write.c writes it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "util/fs.h"
#include "util/strv.h"

/* The text indexes with a module's lines in module order, and where a line
 * names its module: alias PATTERN NAME / softdep NAME ... / NAME devname ... */
enum { TXT_ALIAS, TXT_SOFTDEP, TXT_DEVNAME, _TXT_MAX };
extern const char *const dm_txt_name[_TXT_MAX];

/* Every file the update reads the old state from and writes; modules.dep last. */
#define DM_N_INDEX_FILES 8
extern const char *const dm_index_files[DM_N_INDEX_FILES];

struct span {
        const char *p;
        size_t n;
};

/* Strings freed together. */
struct owned {
        char **p;
        size_t n, alloc;
};

/* Takes s; returns it, or NULL (and s freed) without memory. */
char *dm_own(struct owned *o, char *s);
void dm_owned_done(struct owned *o);

struct dmod {
        char *path;             /* relative to the modules dir */
        char *name;             /* the module name: basename to the first '.', '-' as '_' */
        size_t walk;            /* 1-based position in the tree walk; 0: removed */
        long order;             /* line in modules.order; 0: not listed */
        bool newer;             /* its mtime is newer than the indexes' */
        bool fresh;             /* read with libkmod: added, newer, or not the kernel's */
        struct span dep;        /* old modules.dep line, without the newline */
        struct span text[_TXT_MAX]; /* old lines in the text indexes */
        struct strbuf new_text[_TXT_MAX]; /* fresh: its lines */
        char **needs;           /* fresh: the symbols it needs */
        size_t *direct, n_direct; /* fresh: the modules it needs directly */
        size_t *all, n_all;     /* everything it needs, in load order (computed on demand) */
        int mark;               /* closure: 0 not yet, 1 in progress, 2 done */
        bool suspect;           /* the lines of modules needing it may be stale */
        uint32_t idx;           /* position in the indexes */
};

struct sym {
        const char *name;       /* into the old modules.symbols, or in syms_own */
        size_t owner;
};

struct dm {
        const struct root *root;
        char *dir;              /* root-relative modules dir */
        char *host;             /* host path of it */
        struct dmod *m;
        size_t n, alloc;
        size_t *by_name, n_by_name; /* modules in the tree, by name */
        size_t *by_path, n_by_path; /* every module, by path */
        size_t *out;            /* modules in the tree, in index order */
        size_t n_out;
        char *old_dep, *old_sym, *old_txt[_TXT_MAX], *order;
        struct span txt_head[_TXT_MAX], sym_head;
        struct sym *syms;
        size_t n_syms, alloc_syms;
        struct owned syms_own;  /* the fresh modules' symbol names */
        struct timespec stamp;  /* mtime of the oldest index */
        char *reason;           /* why depmod must run */
        bool search_cfg;        /* depmod.d has search or override lines */
        size_t added, changed, removed;
};

/* Records why the update cannot be done; returns 0 (the caller stops), or
 * -ENOMEM. */
_printf_(2, 3) int dm_give_up(struct dm *d, const char *fmt, ...);
/* Writes the indexes of d's modules (d->out, in that order): staged, then
 * renamed over the old ones, modules.dep last. */
int depmod_write(struct dm *d);
