/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init/cmdline.h"
#include "init/log.h"
#include "init/modules.h"
#include "util/macro.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define MAX_FILE (64u << 20)
#define MAX_DONE 4096     /* modules tried, by path */
#define SEEN_SLOTS 8192   /* modaliases handled, by hash; a power of two */
#define MAX_SYSFS_DEPTH 24

struct modload {
        int dirfd; /* /lib/modules/KVER */
        const char *cmdline;
        const char *blacklist;
        struct alias_table aliases;
        char *load_list; /* contents of modules.load */
        char *done[MAX_DONE];
        size_t n_done;
        uint64_t seen[SEEN_SLOTS];
        size_t n_seen;
        unsigned loaded, failed;
};

/* The whole of a small file below dirfd, NUL-terminated, or NULL. */
static char *read_file_at(int dirfd, const char *path) {
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        char *buf;
        size_t n = 0;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t) st.st_size >= MAX_FILE)
                return NULL;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return NULL;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        return buf;
}

struct modload *modload_new(const char *kver, const char *cmdline, const char *blacklist) {
        struct modload *m = calloc(1, sizeof(*m));
        char path[512];
        char *buf;

        if (!m) {
                log_err("out of memory, loading no modules");
                return NULL;
        }
        m->cmdline = cmdline;
        m->blacklist = blacklist;
        snprintf(path, sizeof(path), "/lib/modules/%s", kver);
        m->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (m->dirfd < 0) {
                log_debug("'%s': %m, no modules to load", path);
                return m;
        }
        m->load_list = read_file_at(m->dirfd, "modules.load");
        buf = read_file_at(m->dirfd, "modules.alias-initramfs");
        if (buf && alias_table_parse(buf, &m->aliases) < 0)
                log_err("out of memory reading '%s/modules.alias-initramfs', no coldplug", path);
        if (m->aliases.n_bad > 0)
                log_warn("'%s/modules.alias-initramfs': %zu malformed lines, ignoring", path, m->aliases.n_bad);
        log_debug("%zu aliases for coldplug", m->aliases.n);
        return m;
}

void modload_free(struct modload *m) {
        if (!m)
                return;
        if (m->dirfd >= 0)
                close(m->dirfd);
        alias_table_done(&m->aliases);
        free(m->load_list);
        for (size_t i = 0; i < m->n_done; i++)
                free(m->done[i]);
        free(m);
}

void modload_counts(const struct modload *m, unsigned *ret_loaded, unsigned *ret_failed) {
        *ret_loaded = m ? m->loaded : 0;
        *ret_failed = m ? m->failed : 0;
}

static bool is_done(struct modload *m, const char *path) {
        for (size_t i = 0; i < m->n_done; i++)
                if (strcmp(m->done[i], path) == 0)
                        return true;
        return false;
}

static void mark_done(struct modload *m, const char *path) {
        if (m->n_done < MAX_DONE) {
                char *copy = strdup(path);
                if (copy)
                        m->done[m->n_done++] = copy;
        }
}

static bool compressed(const char *path) {
        size_t l = strlen(path);

        return (l > 3 && (strcmp(path + l - 3, ".xz") == 0 || strcmp(path + l - 3, ".gz") == 0)) ||
               (l > 4 && strcmp(path + l - 4, ".zst") == 0);
}

/* Load one module; true if it was loaded now (not before, not failed). */
static bool load_one(struct modload *m, const char *path) {
        char name[128], params[512];
        int fd, r;

        if (is_done(m, path))
                return false;
        mark_done(m, path);
        if (!module_path_ok(path)) {
                log_warn("'%s': module path leaves the module directory, skipping", path);
                return false;
        }
        module_name_from_path(path, name, sizeof(name));
        if (m->blacklist && module_list_contains(m->blacklist, name)) {
                log_info("'%s': blacklisted on the command line, skipping", name);
                return false;
        }
        if (cmdline_module_params(m->cmdline ? m->cmdline : "", name, params, sizeof(params)) < 0)
                log_warn("'%s': module parameters on the command line too long, ignoring some", name);
        fd = openat(m->dirfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                log_err("'%s': cannot open module: %m", path);
                m->failed++;
                return false;
        }
        r = (int) syscall(SYS_finit_module, fd, params, compressed(path) ? MODULE_INIT_COMPRESSED_FILE : 0);
        if (r < 0)
                r = -errno;
        close(fd);
        if (r == -EEXIST) {
                log_debug("'%s': already loaded", name);
                return false;
        }
        if (r == -ENODEV || r == -ENXIO) {
                /* Hardware- or CPU-specific modules (crc32c-intel without SSE4.2). */
                log_info("'%s': no matching device or CPU feature, skipping", name);
                return false;
        }
        if (r < 0) {
                errno = -r;
                log_err("'%s': loading module failed: %m", path);
                m->failed++;
                return false;
        }
        m->loaded++;
        log_debug("loaded '%s'%s%s", name, params[0] ? " with " : "", params);
        return true;
}

void modload_load_list(struct modload *m) {
        const char *p;

        if (!m || m->dirfd < 0 || !m->load_list)
                return;
        for (p = m->load_list; *p;) {
                size_t l = strcspn(p, "\n");
                char path[512];

                if (l > 0 && l < sizeof(path) && *p != '#') {
                        memcpy(path, p, l);
                        path[l] = 0;
                        if (path[l - 1] == '\r')
                                path[l - 1] = 0;
                        if (path[0])
                                load_one(m, path);
                } else if (l >= sizeof(path))
                        log_warn("'modules.load': line too long, skipping");
                p += l;
                if (*p == '\n')
                        p++;
        }
}

static unsigned load_entry(struct modload *m, const struct alias_entry *e) {
        const char *deps = e->deps;
        char dep[512];
        unsigned n = 0;

        while (alias_next_dep(&deps, dep, sizeof(dep)))
                n += load_one(m, dep);
        n += load_one(m, e->module);
        return n;
}

bool modload_alias(struct modload *m, const char *alias) {
        const struct alias_entry *e;

        if (!m || m->dirfd < 0)
                return false;
        e = alias_table_find(&m->aliases, alias);
        return e && load_entry(m, e) > 0;
}

static uint64_t fnv1a(const char *s) {
        uint64_t h = 0xcbf29ce484222325ull;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ull;
        return h ? h : 1;
}

/* Record a modalias; false if it was seen before. When the table is full,
 * everything counts as new (slower, still right). */
static bool seen_add(struct modload *m, const char *modalias) {
        uint64_t h = fnv1a(modalias);
        size_t i = (size_t) h & (SEEN_SLOTS - 1);

        if (m->n_seen >= SEEN_SLOTS * 3 / 4)
                return true;
        for (; m->seen[i]; i = (i + 1) & (SEEN_SLOTS - 1))
                if (m->seen[i] == h)
                        return false;
        m->seen[i] = h;
        m->n_seen++;
        return true;
}

static unsigned handle_modalias(struct modload *m, int dirfd) {
        char buf[4096];
        const struct alias_entry *e;
        unsigned n = 0;
        size_t i = 0;
        ssize_t k;
        int fd;

        fd = openat(dirfd, "modalias", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k <= 0)
                return 0;
        buf[k] = 0;
        buf[strcspn(buf, "\n")] = 0;
        if (!buf[0] || !seen_add(m, buf))
                return 0;
        while ((e = alias_table_match(&m->aliases, buf, &i))) {
                log_debug("'%s' matches '%s'", buf, e->module);
                n += load_entry(m, e);
        }
        return n;
}

static unsigned walk(struct modload *m, int dirfd, int depth) {
        struct dirent *de;
        unsigned n = 0;
        DIR *d;
        int fd;

        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return 0;
        }
        while ((de = readdir(d))) {
                if (de->d_type == DT_REG && strcmp(de->d_name, "modalias") == 0)
                        n += handle_modalias(m, dirfd);
                else if (de->d_type == DT_DIR && de->d_name[0] != '.' && depth < MAX_SYSFS_DEPTH) {
                        int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0) {
                                n += walk(m, sub, depth + 1);
                                close(sub);
                        }
                }
        }
        closedir(d);
        return n;
}

unsigned modload_coldplug(struct modload *m) {
        unsigned n;
        int fd;

        if (!m || m->dirfd < 0 || m->aliases.n == 0)
                return 0;
        fd = open("/sys/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = walk(m, fd, 0);
        close(fd);
        if (n > 0)
                log_debug("coldplug loaded %u modules", n);
        return n;
}
