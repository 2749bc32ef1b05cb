/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include "kernel/kernel.h"
#include "kernel/kver.h"
#include "util/log.h"
#include "util/strv.h"

static const char *const compress_suffix[_MODULE_COMPRESS_MAX] = {
        [MODULE_COMPRESS_NONE] = "", [MODULE_COMPRESS_GZIP] = ".gz",
        [MODULE_COMPRESS_XZ] = ".xz", [MODULE_COMPRESS_ZSTD] = ".zst",
};
static const char *const compress_name[_MODULE_COMPRESS_MAX] = {
        [MODULE_COMPRESS_NONE] = "none", [MODULE_COMPRESS_GZIP] = "gzip",
        [MODULE_COMPRESS_XZ] = "xz", [MODULE_COMPRESS_ZSTD] = "zstd",
};

const char *module_compress_suffix(enum module_compress c) { return compress_suffix[c]; }
const char *module_compress_to_string(enum module_compress c) { return compress_name[c]; }

/* A parsed .config: entries sorted by name (without "CONFIG_") for bsearch. */
struct kconfig_entry {
        char *name, *value;
        size_t seq; /* line order, so that the last of duplicates wins */
};
struct kconfig {
        struct kconfig_entry *e;
        size_t n;
};

struct kconfig *kconfig_free(struct kconfig *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++) {
                free(c->e[i].name);
                free(c->e[i].value);
        }
        free(c->e);
        free(c);
        return NULL;
}

static int entry_cmp(const void *a, const void *b) {
        return strcmp(((const struct kconfig_entry *) a)->name, ((const struct kconfig_entry *) b)->name);
}

static int entry_cmp_seq(const void *a, const void *b) {
        const struct kconfig_entry *x = a, *y = b;
        int r = strcmp(x->name, y->name);
        return r ? r : (x->seq > y->seq) - (x->seq < y->seq);
}

static int add_entry(struct kconfig *c, size_t *alloc, const char *name, size_t nl, const char *value, size_t vl) {
        if (c->n == *alloc) {
                size_t a = *alloc ? *alloc * 2 : 256;
                struct kconfig_entry *m = realloc(c->e, a * sizeof *m);
                if (!m)
                        return -ENOMEM;
                c->e = m;
                *alloc = a;
        }
        c->e[c->n].name = strndup(name, nl);
        c->e[c->n].value = strndup(value, vl);
        c->e[c->n].seq = c->n;
        if (!c->e[c->n].name || !c->e[c->n].value) {
                free(c->e[c->n].name);
                free(c->e[c->n].value);
                return -ENOMEM;
        }
        c->n++;
        return 0;
}

/* Lines "CONFIG_NAME=value"; "# CONFIG_X is not set" and anything else are
 * skipped (an unset option is simply absent). Later lines win, as in Kconfig. */
int kconfig_parse(const char *text, size_t len, struct kconfig **ret) {
        struct kconfig *c = calloc(1, sizeof *c);
        size_t alloc = 0, w = 0;
        const char *p = text, *end = text + len;

        if (!c)
                return -ENOMEM;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *eol = nl ? nl : end;
                const char *name = p + 7, *eq;
                if ((size_t) (eol - p) > 7 && memcmp(p, "CONFIG_", 7) == 0 &&
                    (eq = memchr(name, '=', (size_t) (eol - name))) && eq > name &&
                    add_entry(c, &alloc, name, (size_t) (eq - name), eq + 1, (size_t) (eol - eq - 1)) < 0) {
                        kconfig_free(c);
                        return -ENOMEM;
                }
                p = eol + 1;
        }
        qsort(c->e, c->n, sizeof *c->e, entry_cmp_seq);
        for (size_t i = 0; i < c->n; i++) {
                if (i + 1 < c->n && streq(c->e[i].name, c->e[i + 1].name)) {
                        free(c->e[i].name);
                        free(c->e[i].value);
                        continue;
                }
                c->e[w++] = c->e[i];
        }
        c->n = w;
        *ret = c;
        return 0;
}

const char *kconfig_get(const struct kconfig *c, const char *name) {
        struct kconfig_entry key, *e;
        const char *n = startswith(name, "CONFIG_");

        if (!c)
                return NULL;
        key.name = (char *) (n ? n : name);
        e = bsearch(&key, c->e, c->n, sizeof *c->e, entry_cmp);
        return e ? e->value : NULL;
}

int kconfig_load_file(const char *host_path, struct kconfig **ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = open(host_path, O_RDONLY | O_CLOEXEC);
        size_t len;
        int r;

        if (fd < 0)
                return -errno;
        r = fd_read_all(fd, 16u << 20, &text, &len);
        if (r < 0)
                return r;
        return kconfig_parse(text, len, ret);
}

enum module_compress kconfig_module_compress(const struct kconfig *c) {
        if (streq_ptr(kconfig_get(c, "MODULE_COMPRESS_ZSTD"), "y"))
                return MODULE_COMPRESS_ZSTD;
        if (streq_ptr(kconfig_get(c, "MODULE_COMPRESS_XZ"), "y"))
                return MODULE_COMPRESS_XZ;
        if (streq_ptr(kconfig_get(c, "MODULE_COMPRESS_GZIP"), "y"))
                return MODULE_COMPRESS_GZIP;
        return MODULE_COMPRESS_NONE;
}

struct kernel *kernel_free(struct kernel *k) {
        if (!k)
                return NULL;
        free(k->kver);
        free(k->image);
        free(k->build_dir);
        free(k->config_path);
        kconfig_free(k->config);
        free(k);
        return NULL;
}

void kernel_list_free(struct kernel **l, size_t n) {
        for (size_t i = 0; l && i < n; i++)
                kernel_free(l[i]);
        free(l);
}

static bool is_dir_at(int rootfd, const char *path) {
        struct stat st;
        return fs_stat(rootfd, path, &st) >= 0 && S_ISDIR(st.st_mode);
}

static bool is_file_at(int rootfd, const char *path) {
        struct stat st;
        return fs_stat(rootfd, path, &st) >= 0 && S_ISREG(st.st_mode);
}

int kernel_resolve_build_dir(const struct root *root, const char *kver, char **ret) {
        _cleanup_free_ char *link = strdup_printf("/usr/lib/modules/%s/build", kver), *target = NULL;
        struct stat st;
        int r;

        if (!link)
                return -ENOMEM;
        r = fs_readlink(root->fd, link, &target);
        if (r == -EINVAL) {
                /* a real directory */
                if (!is_dir_at(root->fd, link))
                        return -ENOENT;
                *ret = root_host_path(root, link);
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0)
                return -ENOENT;
        if (target[0] != '/') {
                _cleanup_free_ char *rel = strdup_printf("/usr/lib/modules/%s/%s", kver, target);
                if (!rel)
                        return -ENOMEM;
                if (!is_dir_at(root->fd, rel))
                        return -ENOENT;
                *ret = root_host_path(root, rel);
                return *ret ? 0 : -ENOMEM;
        }
        if (is_dir_at(root->fd, target)) {
                *ret = root_host_path(root, target);
                return *ret ? 0 : -ENOMEM;
        }
        /* The one deliberate escape: an absolute link to headers outside the root,
         * as Debian's /usr/src/linux-headers-KVER seen from a sandbox root. */
        if (stat(target, &st) < 0 || !S_ISDIR(st.st_mode))
                return -ENOENT;
        *ret = TAKE_PTR(target);
        return 0;
}

static void load_config(const struct root *root, struct kernel *k) {
        _cleanup_free_ char *boot = strdup_printf("/boot/config-%s", k->kver);
        _cleanup_free_ char *mod = strdup_printf("/usr/lib/modules/%s/config", k->kver);
        char *candidates[3] = {};

        if (k->build_dir)
                candidates[0] = path_join(k->build_dir, ".config");
        if (boot && is_file_at(root->fd, boot))
                candidates[1] = root_host_path(root, boot);
        if (mod && is_file_at(root->fd, mod))
                candidates[2] = root_host_path(root, mod);
        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                if (!k->config && candidates[i] && kconfig_load_file(candidates[i], &k->config) >= 0)
                        k->config_path = TAKE_PTR(candidates[i]);
                free(candidates[i]);
        }
}

/* Without a config: the suffix of the kernel's own modules in modules.dep. */
static enum module_compress guess_compress(const struct root *root, const char *kver) {
        _cleanup_free_ char *dep = strdup_printf("/usr/lib/modules/%s/modules.dep", kver), *text = NULL;
        char *colon;

        if (!dep || fs_read_all(root->fd, dep, 64u << 20, &text, NULL) < 0)
                return MODULE_COMPRESS_NONE;
        colon = strchr(text, ':');
        if (!colon)
                return MODULE_COMPRESS_NONE;
        *colon = 0;
        for (int c = MODULE_COMPRESS_GZIP; c < _MODULE_COMPRESS_MAX; c++)
                if (endswith(text, compress_suffix[c]))
                        return (enum module_compress) c;
        return MODULE_COMPRESS_NONE;
}

int kernel_load(const struct root *root, const char *kver, struct kernel **ret) {
        _cleanup_kernel_ struct kernel *k = NULL;
        _cleanup_free_ char *dir = NULL, *img1 = NULL, *img2 = NULL;

        if (!kver_is_valid(kver))
                return -EINVAL;
        dir = strdup_printf("/usr/lib/modules/%s", kver);
        img1 = strdup_printf("/usr/lib/modules/%s/vmlinuz", kver);
        img2 = strdup_printf("/boot/vmlinuz-%s", kver);
        k = calloc(1, sizeof *k);
        if (!dir || !img1 || !img2 || !k || !(k->kver = strdup(kver)))
                return -ENOMEM;
        if (!is_dir_at(root->fd, dir))
                return -ENOENT;
        if (is_file_at(root->fd, img1))
                k->image = TAKE_PTR(img1);
        else if (is_file_at(root->fd, img2))
                k->image = TAKE_PTR(img2);
        else
                return -ENOENT;
        if (kernel_resolve_build_dir(root, kver, &k->build_dir) == -ENOMEM)
                return -ENOMEM;
        load_config(root, k);
        k->compress = k->config ? kconfig_module_compress(k->config) : guess_compress(root, kver);
        *ret = TAKE_PTR(k);
        return 0;
}

static int cmp_kernel_newest_first(const void *a, const void *b) {
        return kver_compare((*(struct kernel *const *) b)->kver, (*(struct kernel *const *) a)->kver);
}

static int list_names(const struct root *root, const char *dir, char ***names) {
        _cleanup_close_ int fd = fs_open_dir(root->fd, dir);
        struct dirent *de;
        DIR *d;

        if (fd < 0)
                return fd == -ENOENT ? 0 : fd;
        d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || strv_contains(*names, de->d_name))
                        continue;
                if (strv_push(names, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        }
        closedir(d);
        return 0;
}

int kernel_discover(const struct root *root, struct kernel ***ret, size_t *ret_n) {
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
        struct kernel **l = NULL;
        size_t n = 0;
        struct stat st;
        int r;

        if (!names)
                return -ENOMEM;
        r = list_names(root, "/usr/lib/modules", &names);
        /* a /lib that is not the merged-/usr symlink has its own modules */
        if (r >= 0 && fs_lstat(root->fd, "/lib", &st) >= 0 && S_ISDIR(st.st_mode))
                r = list_names(root, "/lib/modules", &names);
        if (r < 0)
                return r;
        l = calloc(strv_length(names) + 1, sizeof *l);
        if (!l)
                return -ENOMEM;
        STRV_FOREACH(name, names) {
                if (!kver_is_valid(*name)) {
                        log_warning("'/usr/lib/modules/%s': not a valid kernel version, skipping", *name);
                        continue;
                }
                r = kernel_load(root, *name, &l[n]);
                if (r == -ENOMEM) {
                        kernel_list_free(l, n);
                        return r;
                }
                if (r < 0)
                        log_debug("'/usr/lib/modules/%s': no kernel image, skipping", *name);
                else
                        n++;
        }
        qsort(l, n, sizeof *l, cmp_kernel_newest_first);
        *ret = l;
        *ret_n = n;
        return 0;
}
