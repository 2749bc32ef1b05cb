/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include "initramfs/builtin.h"
#include "util/log.h"
#include "util/strv.h"

/* Bump when the image's layout or format changes. */
#define KEY_VERSION "distkernel-initramfs-builtin-v1"
#define WALK_MAX_DEPTH 16

static const char *const index_files[] = {
        "modules.dep.bin", "modules.alias.bin", "modules.softdep", "modules.builtin.bin",
        "modules.builtin.alias.bin", "modules.symbols.bin",
};

static const char *const config_dirs[] = {
        "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d",
};

static void add_stat(struct hasher *h, const char *name, int r, const struct stat *st) {
        hasher_add_str(h, name);
        if (r < 0) {
                hasher_add_str(h, "absent");
                return;
        }
        hasher_add(h, &st->st_mode, sizeof st->st_mode);
        hasher_add(h, &st->st_size, sizeof st->st_size);
        hasher_add(h, &st->st_mtim, sizeof st->st_mtim);
        hasher_add(h, &st->st_ino, sizeof st->st_ino);
}

static void add_root_stat(struct hasher *h, const struct root *root, const char *path) {
        struct stat st;
        add_stat(h, path, fs_stat(root->fd, path, &st), &st);
}

static void add_list(struct hasher *h, const char *tag, char *const *l) {
        hasher_add_str(h, tag);
        STRV_FOREACH(s, l)
                hasher_add_str(h, *s);
        hasher_add_str(h, "");
}

/* Sorted names of a root directory's entries (none when absent). */
static int dir_names(int dfd, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        struct dirent *de;
        int fd, r = 0;
        DIR *d;

        if (!l)
                return -ENOMEM;
        fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        while (r >= 0 && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = strv_push(&l, de->d_name);
        closedir(d);
        strv_sort(l);
        *ret = TAKE_PTR(l);
        return r;
}

/* Every directory below dfd (not following symlinks): its path and stat identity. */
static int walk_dirs(struct hasher *h, int dfd, const char *path, int depth) {
        _cleanup_strv_free_ char **names = NULL;
        struct stat st;
        int r;

        add_stat(h, path, fstat(dfd, &st) < 0 ? -errno : 0, &st);
        if (depth > WALK_MAX_DEPTH)
                return 0;
        r = dir_names(dfd, &names);
        STRV_FOREACH(n, names) {
                _cleanup_close_ int sub = -EBADF;
                _cleanup_free_ char *p = NULL;
                if (r < 0)
                        break;
                sub = openat(dfd, *n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        continue;
                p = path_join(path, *n);
                r = p ? walk_dirs(h, sub, p, depth + 1) : -ENOMEM;
        }
        return r;
}

/* The modprobe.d files (each file's identity: edits in place count too). */
static int add_config(struct hasher *h, const struct root *root) {
        for (size_t i = 0; i < ELEMENTSOF(config_dirs); i++) {
                _cleanup_strv_free_ char **names = NULL;
                _cleanup_close_ int fd = fs_open_dir(root->fd, config_dirs[i]);
                int r;

                hasher_add_str(h, config_dirs[i]);
                if (fd < 0)
                        continue;
                r = dir_names(fd, &names);
                if (r < 0)
                        return r;
                STRV_FOREACH(n, names) {
                        struct stat st;
                        add_stat(h, *n, fstatat(fd, *n, &st, 0) < 0 ? -errno : 0, &st);
                }
        }
        return 0;
}

static int add_modules(struct hasher *h, const struct initramfs_request *req, const struct ir_modset *s) {
        for (size_t i = 0; i < ELEMENTSOF(index_files); i++) {
                _cleanup_free_ char *p = path_join(req->kernel->modules_dir, index_files[i]);
                if (!p)
                        return -ENOMEM;
                add_root_stat(h, req->root, p);
        }
        for (size_t i = 0; i < s->n; i++) {
                _cleanup_free_ char *p = path_join(req->kernel->modules_dir, s->modules[i].path);
                if (!p)
                        return -ENOMEM;
                hasher_add_str(h, s->modules[i].load ? "load" : "include");
                add_root_stat(h, req->root, p);
        }
        return 0;
}

static void add_request(struct hasher *h, const struct initramfs_request *req, char *const *host) {
        char num[64];

        hasher_add_str(h, KEY_VERSION);
        hasher_add_str(h, req->kernel->kver);
        hasher_add_str(h, req->kernel->modules_dir);
        hasher_add_str(h, initramfs_codec_to_string(req->codec));
        snprintf(num, sizeof num, "%d %lld", initramfs_codec_level(req->codec, req->level),
                 (long long) builtin_mtime());
        hasher_add_str(h, num);
        add_list(h, "modules", req->modules);
        add_list(h, "optional", req->optional_modules);
        add_list(h, "load", req->load);
        hasher_add_str(h, req->generic ? "generic" : "");
        add_list(h, "hostonly", host);
        if (req->kernel->config_path) {
                struct stat st;
                add_stat(h, req->kernel->config_path, stat(req->kernel->config_path, &st) < 0 ? -errno : 0, &st);
        }
}

static int add_files(struct hasher *h, const struct initramfs_request *req) {
        const char *fw = modset_firmware_dir(req->root);
        int r = 0;

        add_root_stat(h, req->root, "/etc/os-release");
        add_root_stat(h, req->root, "/usr/lib/os-release");
        if (req->init_binary) {
                struct stat st;
                add_stat(h, req->init_binary, stat(req->init_binary, &st) < 0 ? -errno : 0, &st);
        }
        hasher_add_str(h, strempty(fw));
        if (fw) {
                _cleanup_close_ int fd = fs_open_dir(req->root->fd, fw);
                r = fd < 0 ? 0 : walk_dirs(h, fd, fw, 0);
        }
        if (r >= 0)
                r = add_config(h, req->root);
        return r;
}

int initramfs_builtin_inputs_key(const struct initramfs_request *req, char ret_hex[HASH_HEX_LEN]) {
        _cleanup_hasher_ struct hasher *h = hasher_new();
        _cleanup_modset_ struct ir_modset *s = NULL;
        _cleanup_strv_free_ char **host = NULL;
        int r;

        if (!h)
                return -ENOMEM;
        r = builtin_request_check(req);
        if (r >= 0)
                r = builtin_modset(req, 0, &s, &host);
        if (r < 0)
                return r;
        add_request(h, req, host);
        r = add_modules(h, req, s);
        if (r >= 0)
                r = add_files(h, req);
        if (r < 0)
                return r;
        hasher_final(h, ret_hex);
        return 0;
}
