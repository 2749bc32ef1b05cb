/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include "modpkg/build.h"
#include "modpkg/depmod.h"
#include "modpkg/install.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

bool modpkg_file_intact(const struct root *root, const struct state_file *f) {
        char hex[HASH_HEX_LEN];
        struct stat st;

        if (fs_lstat(root->fd, f->path, &st) < 0 || !S_ISREG(st.st_mode))
                return false;
        if (st.st_size == f->size && timespec_ns(st.st_mtim) == f->mtime_ns && (int64_t) st.st_ino == f->ino)
                return true;
        return hash_file_at(root->fd, f->path, hex) >= 0 && streq(hex, f->sha256);
}

struct staged {
        struct fs_tmp tmp;
        struct state_file file;
};

static void staged_free(struct staged *s, size_t n) {
        for (size_t i = 0; s && i < n; i++) {
                fs_tmp_done(&s[i].tmp);
                free(s[i].file.path);
        }
        free(s);
}

/* Copies one staged module to a temp file beside its target, hashing it. */
static int copy_in(const struct root *root, const char *src, const char *dst, struct staged *out) {
        _cleanup_close_ int in = fs_open(root->fd, src, O_RDONLY | O_NOFOLLOW, 0);
        _cleanup_hasher_ struct hasher *h = hasher_new();
        char buf[1 << 16];
        int r;

        if (in < 0)
                return log_error_errno(in, "'%s': cannot open staged module: %s", src, strerror(-in));
        if (!h)
                return -ENOMEM;
        r = fs_tmp_open(root->fd, dst, 0644, &out->tmp);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot create: %s", dst, strerror(-r));
        for (;;) {
                ssize_t n = read(in, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno(-errno, "'%s': read error: %m", src);
                if (n == 0)
                        break;
                hasher_add(h, buf, (size_t) n);
                r = fd_write_all(out->tmp.fd, buf, (size_t) n);
                if (r < 0)
                        return log_error_errno(r, "'%s': write error: %s", dst, strerror(-r));
        }
        hasher_final(h, out->file.sha256);
        out->file.path = strdup(dst);
        return out->file.path ? 0 : -ENOMEM;
}

static int stage_all(const struct root *root, const struct kernel *k, const struct dkms_conf *conf,
                     const char *work_dir, struct staged **ret) {
        struct staged *s = calloc(conf->n_modules, sizeof *s);
        _cleanup_free_ char *dir = strdup_printf(MODULES_DIR "/%s/" INSTALL_SUBDIR, k->kver);
        int r;

        if (!s || !dir) {
                free(s);
                return -ENOMEM;
        }
        for (size_t i = 0; i < conf->n_modules; i++)
                s[i].tmp = (struct fs_tmp) FS_TMP_INIT;
        r = fs_mkdir_p(root->fd, dir, 0755);
        if (r < 0) {
                free(s);
                return log_error_errno(r, "'%s': cannot create: %s", dir, strerror(-r));
        }
        for (size_t i = 0; i < conf->n_modules; i++) {
                _cleanup_free_ char *src = modpkg_staged_path(work_dir, &conf->modules[i], kernel_compress(k));
                _cleanup_free_ char *name = modpkg_installed_name(&conf->modules[i], kernel_compress(k));
                _cleanup_free_ char *dst = name ? path_join(dir, name) : NULL;
                _cleanup_free_ char *kept = modpkg_kept_path(work_dir, &conf->modules[i]);
                struct stat st;
                if (!src || !dst || !kept)
                        r = -ENOMEM;
                else if (fs_lstat(root->fd, kept, &st) >= 0)
                        continue; /* the kernel's own is newer: not installed */
                else
                        r = copy_in(root, src, dst, &s[i]);
                if (r < 0) {
                        staged_free(s, conf->n_modules);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

static int publish(const struct root *root, struct staged *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                int r;
                if (!s[i].file.path) /* kept the kernel's */
                        continue;
                r = fs_tmp_commit(&s[i].tmp);
                if (r < 0)
                        return log_error_errno(r, "'%s': cannot install: %s", s[i].file.path, strerror(-r));
                if (fs_lstat(root->fd, s[i].file.path, &st) >= 0) {
                        s[i].file.size = st.st_size;
                        s[i].file.mtime_ns = timespec_ns(st.st_mtim);
                        s[i].file.ino = (int64_t) st.st_ino;
                }
        }
        return 0;
}

static bool staged_has(const struct staged *s, size_t n, const char *path) {
        for (size_t i = 0; i < n; i++)
                if (streq_ptr(s[i].file.path, path))
                        return true;
        return false;
}

/* Removes this package's older files (any version) that the new install did not
 * overwrite; returns them so that their rows go too. */
static int remove_replaced(const struct root *root, struct state *st, const struct kernel *k,
                           const struct dkms_conf *conf, const struct staged *s) {
        struct state_file *old = NULL;
        size_t n_old = 0;
        int r = state_file_list(st, k->kver, conf->name, NULL, &old, &n_old);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_old; i++) {
                if (staged_has(s, conf->n_modules, old[i].path))
                        continue;
                if (modpkg_file_intact(root, &old[i]))
                        (void) fs_unlink(root->fd, old[i].path);
                else
                        log_warning("'%s': modified since it was installed, leaving it in place", old[i].path);
        }
        state_file_list_free(old, n_old);
        return 0;
}

static int record(struct state *st, const struct kernel *k, const struct dkms_conf *conf,
                  struct staged *s, const char *key) {
        struct state_pair *pairs = NULL;
        size_t n_pairs = 0;
        int r;

        r = state_begin(st);
        if (r < 0)
                return r;
        r = state_pair_list(st, k->kver, &pairs, &n_pairs);
        for (size_t i = 0; r >= 0 && i < n_pairs; i++)
                if (streq(pairs[i].name, conf->name) && !streq(pairs[i].version, conf->version))
                        r = state_pair_delete(st, pairs[i].name, pairs[i].version, k->kver);
        state_pair_list_free(pairs, n_pairs);
        if (r >= 0) {
                struct state_file *old = NULL;
                size_t n_old = 0;
                r = state_file_list(st, k->kver, conf->name, NULL, &old, &n_old);
                for (size_t i = 0; r >= 0 && i < n_old; i++)
                        r = state_file_delete(st, old[i].path);
                state_file_list_free(old, n_old);
        }
        for (size_t i = 0; r >= 0 && i < conf->n_modules; i++) {
                if (!s[i].file.path)
                        continue;
                s[i].file.kver = k->kver;
                s[i].file.name = conf->name;
                s[i].file.version = conf->version;
                r = state_file_add(st, &s[i].file);
                s[i].file.kver = s[i].file.name = s[i].file.version = NULL;
        }
        if (r >= 0)
                r = state_pair_set(st, conf->name, conf->version, k->kver, PAIR_INSTALLED, key, NULL);
        if (r < 0) {
                state_rollback(st);
                return r;
        }
        return state_commit(st);
}

int modpkg_install(const struct root *root, struct state *st, const struct kernel *k,
                   const struct dkms_conf *conf, const char *work_dir, const char *key) {
        struct staged *s = NULL;
        int r;

        r = stage_all(root, k, conf, work_dir, &s);
        if (r < 0)
                return r;
        r = publish(root, s, conf->n_modules);
        if (r >= 0)
                r = remove_replaced(root, st, k, conf, s);
        if (r >= 0)
                r = record(st, k, conf, s, key);
        staged_free(s, conf->n_modules);
        return r;
}

int modpkg_uninstall(const struct root *root, struct state *st, const char *kver,
                     const char *name, const char *version) {
        struct state_file *files = NULL;
        size_t n = 0;
        int r, removed = 0;

        r = state_file_list(st, kver, name, version, &files, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (modpkg_file_intact(root, &files[i])) {
                        r = fs_unlink(root->fd, files[i].path);
                        if (r < 0 && r != -ENOENT) {
                                log_error("'%s': cannot remove: %s", files[i].path, strerror(-r));
                                break;
                        }
                        removed++;
                } else if (fs_exists(root->fd, files[i].path))
                        log_warning("'%s': modified since it was installed, leaving it in place", files[i].path);
        }
        if (r >= 0 || r == -ENOENT) {
                r = state_begin(st);
                for (size_t i = 0; r >= 0 && i < n; i++)
                        r = state_file_delete(st, files[i].path);
                if (r >= 0)
                        r = state_commit(st);
                else
                        state_rollback(st);
        }
        state_file_list_free(files, n);
        return r < 0 ? r : removed;
}

int modpkg_depmod_start(const struct root *root, const char *kver, int log_fd, pid_t *ret_pid) {
        _cleanup_free_ char *dir = strdup_printf("/lib/modules/%s", kver), *host = NULL;
        struct spawn s = SPAWN_INIT;
        int r;

        if (!dir)
                return -ENOMEM;
        r = modpkg_depmod_update(root, kver, log_fd);
        if (r != 0) {
                *ret_pid = 0;
                return r < 0 ? r : 0;
        }
        /* depmod writes its indexes at the host path ROOT/lib/modules/KVER */
        r = root_host_dir(root, dir, "run depmod", &host);
        if (r < 0)
                return r;
        s.argv = (const char *const[]) { "depmod", "-b", root->path, kver, NULL };
        s.fd_out = log_fd;
        s.fd_err = log_fd >= 0 ? -2 : 2;
        return spawn_start(&s, ret_pid);
}

int modpkg_depmod(const struct root *root, const char *kver, int log_fd) {
        pid_t pid;
        int r = modpkg_depmod_start(root, kver, log_fd, &pid);
        return r < 0 ? r : pid == 0 ? 0 : spawn_wait(pid);
}

void modpkg_post_install(const struct root *root, const struct dkms_conf *conf, const char *pkg_dir,
                         const char *log_path) {
        _cleanup_free_ char *code = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct spawn s = SPAWN_INIT;
        int r;

        if (isempty(conf->post_install))
                return;
        code = strdup_printf("exec ./%s", conf->post_install);
        if (!code)
                return;
        fd = fs_open(root->fd, log_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0644);
        s.argv = (const char *const[]) { "bash", "--norc", "--noprofile", "-c", code, NULL };
        s.cwd = pkg_dir;
        s.fd_out = fd;
        s.fd_err = -2;
        r = spawn_run(&s);
        if (r != 0)
                log_warning("'%s/dkms.conf': POST_INSTALL '%s' failed (%d), see '%s'", pkg_dir,
                            conf->post_install, r, log_path);
}
