/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <libkmod.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include "initramfs/compress.h"
#include "initramfs/cpio.h"
#include "initramfs/modules.h"
#include "util/log.h"
#include "util/strv.h"

#define NOT_ADDED SIZE_MAX

/* The modprobe.d directories of the root, most important first. */
static const char *const config_dirs[] = {
        "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d",
};

/* The host path of the modules dir; refuses one that leads outside the root. */
static int modules_host_dir(const struct root *root, const struct kernel *k, char **ret) {
        _cleanup_free_ char *p = root_host_path(root, k->modules_dir), *real = NULL;
        size_t n = strlen(root->path);

        if (!p)
                return -ENOMEM;
        real = realpath(p, NULL);
        if (!real) {
                int r = -errno;
                return log_error_errno(r, "'%s': cannot open the modules directory of kernel '%s': %s",
                                       p, k->kver, strerror(-r));
        }
        if (!streq(root->path, "/") && (strncmp(real, root->path, n) != 0 || (real[n] && real[n] != '/')))
                return log_error_errno(-EXDEV, "'%s': the modules directory of kernel '%s' leads outside the root",
                                       p, k->kver);
        *ret = TAKE_PTR(real);
        return 0;
}

static int modules_indexed(const struct root *root, const struct kernel *k) {
        _cleanup_free_ char *p = path_join(k->modules_dir, "modules.dep.bin");
        struct stat st;

        if (!p)
                return -ENOMEM;
        if (fs_stat(root->fd, p, &st) < 0)
                return log_error_errno(-ENOENT, "'%s': missing, the modules of kernel '%s' are not indexed (run depmod)",
                                       p, k->kver);
        return 0;
}

int modset_new(const struct root *root, const struct kernel *k, unsigned flags, struct ir_modset **ret) {
        _cleanup_modset_ struct ir_modset *s = calloc(1, sizeof *s);
        char *cfg[ELEMENTSOF(config_dirs) + 1] = {};
        int r;

        if (!s)
                return -ENOMEM;
        s->root = root;
        s->kernel = k;
        s->info = flags & MODSET_INFO;
        r = modules_host_dir(root, k, &s->dir);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(config_dirs); i++)
                if (!(cfg[i] = root_host_path(root, config_dirs[i])))
                        r = -ENOMEM;
        if (r >= 0 && !(s->ctx = kmod_new(s->dir, (const char *const *) cfg)))
                r = log_error_errno(-ENOMEM, "'%s': cannot set up libkmod", s->dir);
        for (size_t i = 0; i < ELEMENTSOF(config_dirs); i++)
                free(cfg[i]);
        if (r < 0)
                return r;
        kmod_set_log_priority(s->ctx, 0); /* its complaints are ours to word */
        r = modules_indexed(root, k);
        if (r < 0)
                return r;
        /* Fails when any index is missing (an older depmod makes fewer): the
         * lookups then open the ones there are themselves. */
        if (kmod_load_resources(s->ctx) < 0)
                log_debug("'%s': not every module index is there", s->dir);
        *ret = TAKE_PTR(s);
        return 0;
}

static void module_done(struct ir_module *m) {
        free(m->name);
        free(m->path);
        free(m->image_path);
        strv_free(m->aliases);
        strv_free(m->firmware);
        free(m->before);
        free(m->after);
}

struct ir_modset *modset_free(struct ir_modset *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                module_done(&s->modules[i]);
        free(s->modules);
        kmod_unref(s->ctx);
        free(s->dir);
        strv_free(s->visiting);
        free(s);
        return NULL;
}

static size_t find(const struct ir_modset *s, const char *name) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->modules[i].name, name))
                        return i;
        return NOT_ADDED;
}

static int push_index(size_t **a, size_t *n, size_t i) {
        size_t *m;

        if (i == NOT_ADDED)
                return 0;
        for (size_t j = 0; j < *n; j++)
                if ((*a)[j] == i)
                        return 0;
        m = realloc(*a, (*n + 1) * sizeof(size_t));
        if (!m)
                return -ENOMEM;
        m[(*n)++] = i;
        *a = m;
        return 0;
}

/* Fills aliases and firmware from modinfo. */
static int module_info(struct ir_modset *s, struct kmod_module *km, struct ir_module *m) {
        struct kmod_list *info = NULL, *l;
        int r;

        m->aliases = calloc(1, sizeof(char *));
        m->firmware = calloc(1, sizeof(char *));
        if (!m->aliases || !m->firmware)
                return -ENOMEM;
        if (!s->info)
                return 0;
        r = kmod_module_get_info(km, &info);
        if (r < 0) {
                log_warning("'%s/%s': cannot read the module's information, its aliases and firmware are left out",
                            s->dir, m->path);
                return 0;
        }
        r = 0;
        kmod_list_foreach(l, info) {
                const char *key = kmod_module_info_get_key(l), *value = kmod_module_info_get_value(l);
                if (r >= 0 && value && !strpbrk(value, " \t\n") && streq(key, "alias"))
                        r = strv_push(&m->aliases, value);
                else if (r >= 0 && value && streq(key, "firmware"))
                        r = strv_push(&m->firmware, value);
        }
        kmod_module_info_free_list(info);
        return r;
}

/* Name, paths and compression of a module file path the index gave. */
static int module_paths(struct ir_modset *s, struct kmod_module *km, const char *host, struct ir_module *m) {
        const char *rel = startswith(host, s->dir);
        enum module_compress c;

        if (!rel || *rel != '/' || !cpio_path_is_valid(rel + 1))
                return log_error_errno(-EINVAL, "'%s': module '%s' of kernel '%s' is outside its modules directory",
                                       host, kmod_module_get_name(km), s->kernel->kver);
        rel++;
        c = ko_compress_from_path(rel);
        m->name = strdup(kmod_module_get_name(km));
        m->path = strdup(rel);
        m->image_path = strndup(rel, strlen(rel) - strlen(module_compress_suffix(c)));
        m->compress = c;
        if (!m->name || !m->path || !m->image_path)
                return -ENOMEM;
        if (!endswith(m->image_path, ".ko"))
                return log_error_errno(-EINVAL, "'%s': not a kernel module file name", host);
        return 0;
}

static int append(struct ir_modset *s, struct ir_module *m, size_t *ret) {
        if (s->n == s->alloc) {
                size_t na = s->alloc ? s->alloc * 2 : 64;
                struct ir_module *a = realloc(s->modules, na * sizeof *a);
                if (!a)
                        return -ENOMEM;
                s->modules = a;
                s->alloc = na;
        }
        s->modules[s->n] = *m;
        *m = (struct ir_module) {};
        *ret = s->n++;
        return 0;
}

static int visit(struct ir_modset *s, struct kmod_module *km, size_t *ret);

/* Visits every module of a kmod list, collecting the added ones' indices. */
static int visit_list(struct ir_modset *s, struct kmod_list *list, size_t **a, size_t *n) {
        struct kmod_list *l;
        int r = 0;

        kmod_list_foreach(l, list) {
                struct kmod_module *km = kmod_module_get_module(l);
                size_t i = NOT_ADDED;
                r = visit(s, km, &i);
                kmod_module_unref(km);
                if (r >= 0)
                        r = push_index(a, n, i);
                if (r < 0)
                        break;
        }
        return r;
}

/* As modprobe does: the hard dependencies (in modules.dep's load order), then
 * the soft pre dependencies. */
static int visit_deps(struct ir_modset *s, struct kmod_module *km, struct kmod_list *pre, struct ir_module *m) {
        struct kmod_list *deps = kmod_module_get_dependencies(km);
        int r = visit_list(s, deps, &m->before, &m->n_before);

        if (r >= 0)
                r = visit_list(s, pre, &m->before, &m->n_before);
        kmod_module_unref_list(deps);
        return r;
}

static int visit_new(struct ir_modset *s, struct kmod_module *km, const char *host, size_t *ret) {
        struct kmod_list *pre = NULL, *post = NULL;
        struct ir_module m = {};
        size_t *after = NULL, n_after = 0, i = NOT_ADDED;
        int r;

        (void) kmod_module_get_softdeps(km, &pre, &post);
        r = strv_push(&s->visiting, kmod_module_get_name(km));
        if (r >= 0) {
                size_t top = strv_length(s->visiting) - 1;
                r = visit_deps(s, km, pre, &m);
                s->visiting[top] = mfree(s->visiting[top]);
        }
        if (r >= 0)
                r = module_paths(s, km, host, &m);
        if (r >= 0)
                r = module_info(s, km, &m);
        if (r >= 0)
                r = append(s, &m, &i);
        if (r >= 0)
                r = visit_list(s, post, &after, &n_after);
        if (r >= 0) {
                s->modules[i].after = after;
                s->modules[i].n_after = n_after;
                *ret = i;
        } else
                free(after);
        module_done(&m);
        kmod_module_unref_list(pre);
        kmod_module_unref_list(post);
        return r;
}

/* Adds km after what it needs; *ret its index, NOT_ADDED when built in or being visited. */
static int visit(struct ir_modset *s, struct kmod_module *km, size_t *ret) {
        const char *name = kmod_module_get_name(km), *host = kmod_module_get_path(km);
        size_t i = find(s, name);

        *ret = i;
        if (i != NOT_ADDED || strv_contains(s->visiting, name))
                return 0;
        if (!host) {
                log_debug("module '%s' is built into kernel '%s'", name, s->kernel->kver);
                return 0;
        }
        return visit_new(s, km, host, ret);
}

static void mark_load(struct ir_modset *s, size_t i) {
        struct ir_module *m = &s->modules[i];

        if (m->load)
                return;
        m->load = true;
        for (size_t j = 0; j < m->n_before; j++)
                mark_load(s, m->before[j]);
        for (size_t j = 0; j < m->n_after; j++)
                mark_load(s, m->after[j]);
}

static int missing_module(const struct ir_modset *s, const char *name, enum modset_missing missing) {
        switch (missing) {
        case MODSET_REQUIRED:
                return log_error_errno(-ENOENT, "module '%s' not found for kernel '%s'", name, s->kernel->kver);
        case MODSET_WARN:
                log_warning("module '%s' not found for kernel '%s', skipping", name, s->kernel->kver);
                return 0;
        default:
                log_debug("module '%s' not found for kernel '%s', skipping", name, s->kernel->kver);
                return 0;
        }
}

int modset_add(struct ir_modset *s, const char *name, enum modset_missing missing, bool load) {
        struct kmod_list *list = NULL, *l;
        int r;

        r = kmod_module_new_from_lookup(s->ctx, name, &list);
        if (r < 0)
                return log_error_errno(r, "cannot look up module '%s' for kernel '%s'", name, s->kernel->kver);
        if (!list)
                return missing_module(s, name, missing);
        kmod_list_foreach(l, list) {
                struct kmod_module *km = kmod_module_get_module(l);
                size_t i = NOT_ADDED;
                r = visit(s, km, &i);
                kmod_module_unref(km);
                if (r < 0)
                        break;
                if (load && i != NOT_ADDED)
                        mark_load(s, i);
        }
        kmod_module_unref_list(list);
        return r;
}

static void mark_before(const struct ir_modset *s, size_t i, bool *seen) {
        const struct ir_module *m = &s->modules[i];

        for (size_t j = 0; j < m->n_before; j++)
                if (!seen[m->before[j]]) {
                        seen[m->before[j]] = true;
                        mark_before(s, m->before[j], seen);
                }
}

int modset_deps(const struct ir_modset *s, size_t i, size_t **ret, size_t *ret_n) {
        _cleanup_free_ bool *seen = calloc(s->n ? s->n : 1, sizeof(bool));
        size_t *a = NULL, n = 0;

        if (!seen)
                return -ENOMEM;
        mark_before(s, i, seen);
        seen[i] = false;
        for (size_t j = 0; j < s->n; j++)
                if (seen[j] && push_index(&a, &n, j) < 0) {
                        free(a);
                        return -ENOMEM;
                }
        *ret = a;
        *ret_n = n;
        return 0;
}

const char *modset_firmware_dir(const struct root *root) {
        struct stat st;

        if (fs_stat(root->fd, "/usr/lib/firmware", &st) >= 0 && S_ISDIR(st.st_mode))
                return "/usr/lib/firmware";
        if (fs_stat(root->fd, "/lib/firmware", &st) >= 0 && S_ISDIR(st.st_mode))
                return "/lib/firmware";
        return NULL;
}

/* The first of NAME, NAME.zst, NAME.xz that is a file in base; NULL if none. */
static char *find_firmware(const struct root *root, const char *base, const char *name) {
        static const char *const suffixes[] = { "", ".zst", ".xz" };

        if (!cpio_path_is_valid(name) || strpbrk(name, "*?["))
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s%s", base, name, suffixes[i]);
                struct stat st;
                if (p && fs_stat(root->fd, p, &st) >= 0 && S_ISREG(st.st_mode))
                        return strdup_printf("%s%s", name, suffixes[i]);
        }
        return NULL;
}

int modset_firmware(const struct ir_modset *s, char **ret_base, char ***ret) {
        const char *base = modset_firmware_dir(s->root);
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; base && i < s->n; i++)
                STRV_FOREACH(fw, s->modules[i].firmware) {
                        char *f = find_firmware(s->root, base, *fw);
                        if (!f) {
                                log_debug("firmware '%s' of module '%s' not found, skipping", *fw, s->modules[i].name);
                                continue;
                        }
                        if (strv_contains(l, f)) {
                                free(f);
                                continue;
                        }
                        if (strv_consume(&l, f) < 0)
                                return -ENOMEM;
                }
        strv_sort(l);
        *ret_base = strdup(strempty(base));
        if (!*ret_base)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}
