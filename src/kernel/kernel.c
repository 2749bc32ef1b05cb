/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include "kernel/kernel.h"
#include "kernel/kver.h"
#include "util/log.h"
#include "util/strv.h"

#define MODULES_DIR "/usr/lib/modules"
#define LEGACY_MODULES_DIR "/lib/modules" /* a directory of its own in roots without merged /usr */
#define KCONFIG_MAX (16u * 1024 * 1024)   /* real ones are about 300 KB */
#define MODULES_DEP_PEEK 4096             /* enough for the first line of modules.dep */
#define GUESS_MAX_ENTRIES 512             /* directory entries looked at when guessing compression */
#define GUESS_MAX_DEPTH 8

/* The root's path for messages: "" for "/", so that paths do not start with "//". */
static const char *root_prefix(const struct root *root) {
        return streq(root->path, "/") ? "" : root->path;
}

/* ------------------------------------------------------------ compression */

static const struct {
        const char *name, *suffix, *option;
} compress_table[_MODULE_COMPRESS_MAX] = {
        [MODULE_COMPRESS_NONE] = { "none", "", NULL },
        [MODULE_COMPRESS_GZIP] = { "gzip", ".gz", "MODULE_COMPRESS_GZIP" },
        [MODULE_COMPRESS_XZ] = { "xz", ".xz", "MODULE_COMPRESS_XZ" },
        [MODULE_COMPRESS_ZSTD] = { "zstd", ".zst", "MODULE_COMPRESS_ZSTD" },
};

const char *module_compress_suffix(enum module_compress c) {
        assert((unsigned) c < _MODULE_COMPRESS_MAX);
        return (unsigned) c < _MODULE_COMPRESS_MAX ? compress_table[c].suffix : "";
}

const char *module_compress_to_string(enum module_compress c) {
        assert((unsigned) c < _MODULE_COMPRESS_MAX);
        return (unsigned) c < _MODULE_COMPRESS_MAX ? compress_table[c].name : "unknown";
}

static bool mem_endswith(const char *s, size_t len, const char *suffix) {
        size_t l = strlen(suffix);
        return len >= l && memcmp(s + len - l, suffix, l) == 0;
}

/* The compression of a module file named s (len bytes, not necessarily
 * NUL-terminated): "x.ko", "x.ko.xz", …; -EINVAL if it is not a module. */
static int compress_from_module_name(const char *s, size_t len) {
        for (size_t i = 0; i < ELEMENTSOF(compress_table); i++) {
                char suffix[16];
                snprintf(suffix, sizeof suffix, ".ko%s", compress_table[i].suffix);
                if (mem_endswith(s, len, suffix))
                        return (int) i;
        }
        return -EINVAL;
}

/* ---------------------------------------------------------------- kconfig */

struct kconfig_entry {
        const char *name;  /* without "CONFIG_" */
        const char *value; /* verbatim; NULL for "# CONFIG_X is not set" */
};

/* The entries in the order of their lines, and a hash index over them whose
 * slot of a name holds its last line: the later line wins for a name given
 * twice. A .config has some 10000 lines and every kernel's is parsed by every
 * sync: building the index costs a tenth of sorting them. */
struct kconfig {
        char *text; /* a copy of the input; names and values point into it */
        struct kconfig_entry *entries;
        size_t n, alloc;
        size_t *slots;   /* 1 + index into entries, 0 for an empty slot */
        size_t n_slots;  /* a power of two, more than twice n */
};

/* The end of an option name: [A-Za-z0-9_]* */
static char *skip_name(char *s) {
        while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')
                s++;
        return s;
}

struct kconfig *kconfig_free(struct kconfig *c) {
        if (!c)
                return NULL;
        free(c->text);
        free(c->entries);
        free(c->slots);
        free(c);
        return NULL;
}

static int kconfig_add(struct kconfig *c, const char *name, const char *value) {
        if (c->n == c->alloc) {
                size_t a = c->alloc ? c->alloc * 2 : 256;
                struct kconfig_entry *e = reallocarray(c->entries, a, sizeof *e);
                if (!e)
                        return -ENOMEM;
                c->entries = e;
                c->alloc = a;
        }
        c->entries[c->n++] = (struct kconfig_entry) { .name = name, .value = value };
        return 0;
}

/* "CONFIG_X=value" or "# CONFIG_X is not set"; anything else is ignored. The
 * line is cut in place. */
static int kconfig_parse_line(struct kconfig *c, char *line) {
        char *name, *end;

        if ((name = (char *) startswith(line, "CONFIG_"))) {
                end = skip_name(name);
                if (end == name || *end != '=')
                        return 0;
                *end = 0;
                return kconfig_add(c, name, end + 1);
        }
        if ((name = (char *) startswith(line, "# CONFIG_"))) {
                end = skip_name(name);
                if (end == name || !streq(end, " is not set"))
                        return 0;
                *end = 0;
                return kconfig_add(c, name, NULL);
        }
        return 0;
}

/* FNV-1a */
static size_t name_hash(const char *name) {
        uint64_t h = 14695981039346656037ULL;
        for (; *name; name++)
                h = (h ^ (unsigned char) *name) * 1099511628211ULL;
        return (size_t) h;
}

/* The slot of name: its entry's, or the empty one where it would go. */
static size_t *kconfig_slot(const struct kconfig *c, const char *name) {
        size_t mask = c->n_slots - 1;
        for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask)
                if (c->slots[i] == 0 || streq(c->entries[c->slots[i] - 1].name, name))
                        return &c->slots[i];
}

static int kconfig_index(struct kconfig *c) {
        c->n_slots = 16;
        while (c->n_slots <= 2 * c->n)
                c->n_slots *= 2;
        c->slots = calloc(c->n_slots, sizeof *c->slots);
        if (!c->slots)
                return -ENOMEM;
        for (size_t i = 0; i < c->n; i++)
                *kconfig_slot(c, c->entries[i].name) = i + 1;
        return 0;
}

int kconfig_parse(const char *text, size_t len, struct kconfig **ret) {
        _cleanup_kconfig_ struct kconfig *c = calloc(1, sizeof *c);
        char *line, *end;

        if (!c || !(c->text = malloc(len + 1)))
                return -ENOMEM;
        if (len > 0)
                memcpy(c->text, text, len);
        c->text[len] = 0;
        for (line = c->text, end = c->text + len; line < end;) {
                char *eol = memchr(line, '\n', (size_t) (end - line));
                if (!eol)
                        eol = end;
                *eol = 0;
                /* a line with a NUL in it is garbage */
                if (strlen(line) == (size_t) (eol - line) && kconfig_parse_line(c, line) < 0)
                        return -ENOMEM;
                line = eol + 1;
        }
        if (kconfig_index(c) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

/* Reads and parses path below dirfd (resolved inside dirfd). Does not log. */
static int kconfig_load_at(int dirfd, const char *path, struct kconfig **ret) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = fs_read_all(dirfd, path, KCONFIG_MAX, &text, &len);
        if (r < 0)
                return r;
        return kconfig_parse(text, len, ret);
}

int kconfig_load_file(const char *host_path, struct kconfig **ret) {
        _cleanup_close_ int fd = open(host_path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if (fd < 0)
                return log_error_errno(-errno, "'%s': cannot open: %m", host_path);
        r = fd_read_all(fd, KCONFIG_MAX, &text, &len);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read: %s", host_path, strerror(-r));
        return kconfig_parse(text, len, ret);
}

const char *kconfig_get(const struct kconfig *c, const char *name) {
        const char *n;
        size_t *slot;

        if (!c || !name || c->n == 0)
                return NULL;
        n = startswith(name, "CONFIG_");
        slot = kconfig_slot(c, n ? n : name);
        return *slot ? c->entries[*slot - 1].value : NULL;
}

enum module_compress kconfig_module_compress(const struct kconfig *c) {
        for (size_t i = 0; i < ELEMENTSOF(compress_table); i++)
                if (compress_table[i].option && streq_ptr(kconfig_get(c, compress_table[i].option), "y"))
                        return (enum module_compress) i;
        return MODULE_COMPRESS_NONE;
}

/* ------------------------------------------------------- kernel's modules */

/* The module compression of the first module listed in modules.dep
 * ("kernel/fs/foo.ko.xz: …"); -ENOENT when that tells nothing. */
static int guess_compress_from_dep(const struct root *root, const char *moddir) {
        _cleanup_free_ char *path = path_join(moddir, "modules.dep");
        _cleanup_close_ int fd = -EBADF;
        char buf[MODULES_DEP_PEEK];
        size_t len = 0;

        if (!path)
                return -ENOMEM;
        fd = fs_open(root->fd, path, O_RDONLY, 0);
        if (fd < 0)
                return -ENOENT;
        while (len < sizeof buf) {
                ssize_t n = read(fd, buf + len, sizeof buf - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t) n;
        }
        for (size_t i = 0; i < len; i++)
                if (buf[i] == ':' || buf[i] == '\n') {
                        int r = compress_from_module_name(buf, i);
                        return r < 0 ? -ENOENT : r;
                }
        return -ENOENT;
}

/* Depth-first search for a module file below dfd (taken), looking at no more
 * than *budget entries. Returns the compression or -ENOENT. */
static int guess_compress_in_tree(int dfd, unsigned depth, unsigned *budget) {
        DIR *d = fdopendir(dfd);
        struct dirent *de;
        int r = -ENOENT;

        if (!d) {
                close(dfd);
                return -ENOENT;
        }
        while (r < 0 && *budget > 0 && (de = readdir(d))) {
                (*budget)--;
                if (de->d_name[0] == '.')
                        continue;
                r = compress_from_module_name(de->d_name, strlen(de->d_name));
                if (r >= 0 || depth >= GUESS_MAX_DEPTH || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
                        continue;
                /* O_NOFOLLOW and a single name: this stays below dfd */
                int sub = fs_open(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
                if (sub >= 0)
                        r = guess_compress_in_tree(sub, depth + 1, budget);
                else
                        r = -ENOENT;
        }
        closedir(d);
        return r < 0 ? -ENOENT : r;
}

/* Without a config: the compression of the kernel's own modules, from the first
 * line of modules.dep, else from a few files under kernel/. */
static int guess_compress(const struct root *root, char *const *dirs, enum module_compress *ret) {
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *kdir = path_join(*d, "kernel");
                unsigned budget = GUESS_MAX_ENTRIES;
                int r, fd;

                r = guess_compress_from_dep(root, *d);
                if (r == -ENOMEM || !kdir)
                        return -ENOMEM;
                if (r < 0 && (fd = fs_open_dir(root->fd, kdir)) >= 0)
                        r = guess_compress_in_tree(fd, 0, &budget);
                if (r >= 0) {
                        log_debug("'%s%s': modules are compressed with %s (guessed without a config)",
                                  root_prefix(root), *d, compress_table[r].name);
                        *ret = (enum module_compress) r;
                        return 0;
                }
        }
        *ret = MODULE_COMPRESS_NONE;
        return 0;
}

/* ---------------------------------------------------------- kernel layout */

static bool same_inode(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether a modules dir holds the kernel's own modules, not only ours. */
static bool has_own_modules(const struct root *root, const char *moddir) {
        _cleanup_free_ char *dep = path_join(moddir, "modules.dep"), *kdir = path_join(moddir, "kernel");
        return dep && kdir && (fs_exists(root->fd, dep) || fs_exists(root->fd, kdir));
}

/* The modules directories of kver (root-relative): MODULES_DIR/KVER and, when it
 * is another directory (no merged /usr), LEGACY_MODULES_DIR/KVER; the one with the
 * kernel's own modules first. Empty when there is none. */
static int modules_dirs(const struct root *root, const char *kver, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        static const char *const bases[] = { MODULES_DIR, LEGACY_MODULES_DIR };
        struct stat st[ELEMENTSOF(bases)];

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(bases); i++) {
                _cleanup_free_ char *p = strdup_printf("%s/%s", bases[i], kver);
                if (!p)
                        return -ENOMEM;
                if (fs_stat(root->fd, p, &st[i]) < 0 || !S_ISDIR(st[i].st_mode))
                        continue;
                if (i > 0 && l[0] && same_inode(&st[0], &st[i]))
                        continue;
                if (strv_consume(&l, TAKE_PTR(p)) < 0)
                        return -ENOMEM;
        }
        if (l[0] && l[1] && !has_own_modules(root, l[0]) && has_own_modules(root, l[1])) {
                char *t = l[0];
                l[0] = l[1];
                l[1] = t;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static bool is_regular_file(const struct root *root, const char *path) {
        struct stat st;
        return fs_stat(root->fd, path, &st) >= 0 && S_ISREG(st.st_mode);
}

/* The image: MODDIR/vmlinuz (kernel-install), else /boot/vmlinuz-KVER. */
static int find_image(const struct root *root, const char *kver, char *const *dirs, char **ret) {
        _cleanup_free_ char *boot = NULL;

        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *p = path_join(*d, "vmlinuz");
                if (!p)
                        return -ENOMEM;
                if (is_regular_file(root, p)) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        boot = strdup_printf("/boot/vmlinuz-%s", kver);
        if (!boot)
                return -ENOMEM;
        if (!is_regular_file(root, boot))
                return -ENOENT;
        *ret = TAKE_PTR(boot);
        return 0;
}

/* -------------------------------------------------------------- headers */

/* Errors meaning "the build link leads nowhere". */
static bool is_absent(int r) {
        return r == -ENOENT || r == -ENOTDIR || r == -ELOOP;
}

/* The host path of a directory opened inside the root, as the kernel resolved
 * it: every symlink and ".." followed inside the root, so the path stays there
 * when a program we start uses it. */
static int fd_host_path(const struct root *root, int fd, char **ret) {
        char proc[64], buf[PATH_MAX];
        const char *rest;
        ssize_t n;

        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        n = readlink(proc, buf, sizeof buf - 1);
        if (n < 0)
                return log_error_errno(-errno, "'%s': cannot resolve: %m", proc);
        buf[n] = 0;
        rest = streq(root->path, "/") ? buf : startswith(buf, root->path);
        if (!rest || (*rest != '/' && *rest != 0))
                return log_error_errno(-EXDEV, "'%s': resolved outside the root '%s'", buf, root->path);
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

/* The deliberate escape: an absolute build link whose target is not in the root
 * is taken as a host path (Debian's /usr/src/linux-headers-KVER in a sandbox). */
static int build_on_host(const char *link, const char *target, char **ret_path, int *ret_fd) {
        int fd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0) {
                log_debug("'%s': '%s' exists neither in the root nor on the host, no headers", link, target);
                return -ENOENT;
        }
        *ret_path = strdup(target);
        if (!*ret_path) {
                close(fd);
                return -ENOMEM;
        }
        *ret_fd = fd;
        return 0;
}

/* MODDIR/build: a directory, or a link resolved inside the root, or else when
 * absolute on the host. -ENOENT when absent, dangling or not a directory. */
static int resolve_build_in(const struct root *root, const char *moddir, char **ret_path, int *ret_fd) {
        _cleanup_free_ char *link = path_join(moddir, "build"), *target = NULL, *shown = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (!link || !(shown = strdup_printf("%s%s", root_prefix(root), link)))
                return -ENOMEM;
        r = fs_lstat(root->fd, link, &st);
        if (is_absent(r))
                return -ENOENT;
        if (r >= 0 && S_ISLNK(st.st_mode))
                r = fs_readlink(root->fd, link, &target);
        if (r < 0)
                return log_error_errno(r, "'%s': %s", shown, strerror(-r));
        fd = fs_open(root->fd, link, O_PATH | O_DIRECTORY, 0);
        if (fd >= 0) {
                r = fd_host_path(root, fd, ret_path);
                if (r >= 0)
                        *ret_fd = TAKE_FD(fd);
                return r;
        }
        if (!is_absent(fd))
                return log_error_errno(fd, "'%s': %s", shown, strerror(-fd));
        if (fs_stat(root->fd, link, &st) >= 0) {
                log_warning("'%s': not a directory, ignoring", shown);
                return -ENOENT;
        }
        if (!target || target[0] != '/') {
                log_debug("'%s': dangling link to '%s', no headers", shown, strempty(target));
                return -ENOENT;
        }
        return build_on_host(shown, target, ret_path, ret_fd);
}

static int resolve_build(const struct root *root, char *const *dirs, char **ret_path, int *ret_fd) {
        STRV_FOREACH(d, dirs) {
                int r = resolve_build_in(root, *d, ret_path, ret_fd);
                if (r != -ENOENT)
                        return r;
        }
        return -ENOENT;
}

int kernel_resolve_build_dir(const struct root *root, const char *kver, char **ret_host_path) {
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!kver_is_valid(kver))
                return log_error_errno(-EINVAL, "'%s': not a valid kernel version", strempty(kver));
        r = modules_dirs(root, kver, &dirs);
        if (r < 0)
                return r;
        return resolve_build(root, dirs, ret_host_path, &fd);
}

/* --------------------------------------------------------------- config */

#define CONFIG_PEEK 4096

/* Whether path below dirfd looks like a config: a regular file with a
 * CONFIG_ line near its start (a .config has one within its first lines). One
 * that is there but is not is skipped with a warning naming host. */
static bool config_candidate(int dirfd, const char *path, const char *host) {
        _cleanup_close_ int fd = -EBADF;
        char buf[CONFIG_PEEK + 1];
        struct stat st;
        ssize_t n;

        if (!path)
                return false;
        fd = fs_open(dirfd, path, O_RDONLY | O_NONBLOCK, 0);
        if (fd < 0) {
                if (!is_absent(fd))
                        log_warning("'%s': %s, ignoring", strempty(host), strerror(-fd));
                return false;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                log_warning("'%s': %s, ignoring", strempty(host),
                            S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
                return false;
        }
        n = read(fd, buf, CONFIG_PEEK);
        if (n < 0) {
                log_warning("'%s': %m, ignoring", strempty(host));
                return false;
        }
        buf[n] = 0;
        if (!memmem(buf, (size_t) n, "CONFIG_", 7)) {
                log_warning("'%s': no CONFIG_ lines, ignoring", strempty(host));
                return false;
        }
        return true;
}

/* Chooses the config: the headers' .config, else /boot/config-KVER, else
 * MODDIR/config. It is read and parsed on first use (kernel_config()): a sync
 * that builds nothing needs only its hash, from the hash cache. */
static int find_config(const struct root *root, struct kernel *k, char *const *dirs, int build_fd) {
        _cleanup_strv_free_ char **rels = NULL, **hosts = NULL;
        size_t n;

        /* candidates in order, as (below dirfd, host path) pairs */
        if (build_fd >= 0 &&
            (strv_push(&rels, ".config") < 0 || strv_consume(&hosts, path_join(k->build_dir, ".config")) < 0))
                return -ENOMEM;
        if (strv_pushf(&rels, "/boot/config-%s", k->kver) < 0)
                return -ENOMEM;
        for (char *const *d = dirs; *d; d++)
                if (strv_consume(&rels, path_join(*d, "config")) < 0)
                        return -ENOMEM;
        for (size_t i = strv_length(hosts); rels[i]; i++)
                if (strv_consume(&hosts, root_host_path(root, rels[i])) < 0)
                        return -ENOMEM;
        n = strv_length(rels);
        for (size_t i = 0; i < n; i++) {
                int dirfd = build_fd >= 0 && i == 0 ? build_fd : root->fd;
                if (!config_candidate(dirfd, rels[i], hosts[i]))
                        continue;
                k->config_dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
                if (k->config_dirfd < 0)
                        return -errno;
                k->config_rel = strdup(rels[i]);
                k->config_path = strdup(hosts[i]);
                return k->config_rel && k->config_path ? 0 : -ENOMEM;
        }
        return 0;
}

const struct kconfig *kernel_config(const struct kernel *k_) {
        /* logically const: the parse is cached */
        struct kernel *k = (struct kernel *) k_;
        _cleanup_kconfig_ struct kconfig *c = NULL;
        int r;

        if (k->config || k->config_tried || !k->config_rel)
                return k->config;
        k->config_tried = true;
        r = kconfig_load_at(k->config_dirfd, k->config_rel, &c);
        if (r < 0)
                log_warning("'%s': %s, ignoring", k->config_path, strerror(-r));
        else if (c->n == 0)
                log_warning("'%s': no CONFIG_ lines, ignoring", k->config_path);
        else
                k->config = TAKE_PTR(c);
        return k->config;
}

enum module_compress kernel_compress(const struct kernel *k) {
        const struct kconfig *c = kernel_config(k);
        return c ? kconfig_module_compress(c) : k->compress;
}

/* --------------------------------------------------------------- kernels */

struct kernel *kernel_free(struct kernel *k) {
        if (!k)
                return NULL;
        free(k->kver);
        free(k->modules_dir);
        free(k->image);
        free(k->build_dir);
        free(k->config_path);
        if (k->config_rel) /* config_dirfd is set with it */
                close(k->config_dirfd);
        free(k->config_rel);
        kconfig_free(k->config);
        free(k);
        return NULL;
}

void kernel_list_free(struct kernel **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                kernel_free(l[i]);
        free(l);
}

/* Headers, config and module compression of a kernel that has an image. */
static int kernel_load_details(const struct root *root, struct kernel *k, char *const *dirs) {
        _cleanup_close_ int build_fd = -EBADF;
        int r;

        r = resolve_build(root, dirs, &k->build_dir, &build_fd);
        if (r < 0 && r != -ENOENT)
                return r;
        r = find_config(root, k, dirs, build_fd);
        if (r < 0)
                return r;
        /* what kernel_compress() says without a config (a peek at modules.dep) */
        return guess_compress(root, dirs, &k->compress);
}

int kernel_load(const struct root *root, const char *kver, struct kernel **ret) {
        _cleanup_kernel_ struct kernel *k = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        int r;

        if (!kver_is_valid(kver))
                return log_error_errno(-EINVAL, "'%s': not a valid kernel version", strempty(kver));
        r = modules_dirs(root, kver, &dirs);
        if (r < 0)
                return r;
        if (!dirs[0]) {
                log_debug("kernel '%s': no '%s/%s' in '%s'", kver, MODULES_DIR, kver, root->path);
                return -ENOENT;
        }
        k = calloc(1, sizeof *k);
        if (k)
                k->config_dirfd = -EBADF;
        if (!k || !(k->kver = strdup(kver)) || !(k->modules_dir = strdup(dirs[0])))
                return -ENOMEM;
        r = find_image(root, kver, dirs, &k->image);
        if (r < 0)
                return r;
        r = kernel_load_details(root, k, dirs);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(k);
        return 0;
}

/* Adds the kernel versions found in dir (root-relative) to *names, skipping
 * what is not a directory, invalid names (with a warning) and duplicates. */
static int list_kvers(const struct root *root, const char *dir, char ***names) {
        int fd = fs_open_dir(root->fd, dir);
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (is_absent(fd))
                return 0;
        if (fd < 0)
                return log_error_errno(fd, "'%s%s': cannot open: %s", root_prefix(root), dir, strerror(-fd));
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (!(p = strdup_printf("%s/%s", dir, de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                if (fs_stat(root->fd, p, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (!kver_is_valid(de->d_name))
                        log_warning("'%s%s': not a valid kernel version, skipping", root_prefix(root), p);
                else if (!strv_contains(*names, de->d_name))
                        r = strv_push(names, de->d_name);
        }
        closedir(d);
        return r;
}

static int kernel_cmp_newest_first(const void *a, const void *b) {
        return kver_compare((*(struct kernel *const *) b)->kver, (*(struct kernel *const *) a)->kver);
}

struct kernel_list {
        struct kernel **l;
        size_t n;
};

static void kernel_list_done(struct kernel_list *kl) {
        kernel_list_free(kl->l, kl->n);
}

/* Whether LEGACY_MODULES_DIR is a directory of its own, not MODULES_DIR seen
 * through the merged-/usr symlink /lib -> usr/lib. */
static bool legacy_modules_dir_distinct(const struct root *root) {
        struct stat a, b;

        if (fs_stat(root->fd, LEGACY_MODULES_DIR, &b) < 0 || !S_ISDIR(b.st_mode))
                return false;
        return fs_stat(root->fd, MODULES_DIR, &a) < 0 || !same_inode(&a, &b);
}

int kernel_discover(const struct root *root, struct kernel ***ret, size_t *ret_n) {
        _cleanup_(kernel_list_done) struct kernel_list kl = {};
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = list_kvers(root, MODULES_DIR, &names);
        if (r >= 0 && legacy_modules_dir_distinct(root))
                r = list_kvers(root, LEGACY_MODULES_DIR, &names);
        if (r < 0)
                return r;
        if (names && !(kl.l = calloc(strv_length(names), sizeof *kl.l)))
                return -ENOMEM;
        STRV_FOREACH(name, names) {
                r = kernel_load(root, *name, &kl.l[kl.n]);
                if (r == -ENOENT) {
                        log_debug("kernel '%s': modules directory without an image (vmlinuz beside the modules "
                                  "or /boot/vmlinuz-%s), skipping", *name, *name);
                        continue;
                }
                if (r < 0)
                        return r;
                kl.n++;
        }
        if (kl.n > 1)
                qsort(kl.l, kl.n, sizeof *kl.l, kernel_cmp_newest_first);
        *ret = TAKE_PTR(kl.l);
        *ret_n = kl.n;
        kl.n = 0;
        return 0;
}
