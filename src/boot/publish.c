/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/magic.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "boot/publish.h"
#include "sign/authenticode.h"
#include "util/log.h"
#include "util/strv.h"

#define COPY_CHUNK (1u << 20)
/* room for a signature and alignment beyond the source's size */
#define SIGN_SLACK (64u << 10)

void publish_set_done(struct publish_set *s) {
        for (size_t i = 0; i < s->n; i++) {
                struct publish_item *it = &s->items[i];
                fs_tmp_done(&it->tmp);
                free(it->target);
                free(it->source);
                free(it->data);
                free(it->uki);
        }
        free(s->items);
        *s = (struct publish_set) {};
}

static struct publish_item *add_item(struct publish_set *s, const char *target, mode_t mode) {
        struct publish_item *items = realloc(s->items, (s->n + 1) * sizeof *items), *it;
        if (!items)
                return NULL;
        s->items = items;
        it = &items[s->n];
        *it = (struct publish_item) { .mode = mode, .tmp = FS_TMP_INIT, .target = strdup(target) };
        if (!it->target)
                return NULL;
        s->n++;
        return it;
}

int publish_add_copy(struct publish_set *s, const char *target, const char *source, mode_t mode,
                     const struct sign_key *sign) {
        struct publish_item *it = add_item(s, target, mode);
        if (!it || !(it->source = strdup(source)))
                return -ENOMEM;
        it->sign = sign;
        return 0;
}

int publish_add_data(struct publish_set *s, const char *target, const char *data, size_t len, mode_t mode) {
        struct publish_item *it = add_item(s, target, mode);
        if (!it || !(it->data = malloc(len + 1)))
                return -ENOMEM;
        memcpy(it->data, data, len);
        it->len = len;
        return 0;
}

int publish_add_uki(struct publish_set *s, const char *target, const struct uki_request *req, mode_t mode) {
        struct publish_item *it = add_item(s, target, mode);
        if (!it || !(it->uki = malloc(sizeof *req)))
                return -ENOMEM;
        *it->uki = *req;
        it->uki->output = it->target;
        return 0;
}

/* What a UKI will take: its inputs, plus headers and alignment. */
static uint64_t uki_size_hint(const struct uki_request *req) {
        const char *in[] = { req->stub, req->linux_path, req->initrd, req->splash, req->dtb };
        uint64_t n = 1u << 20;
        struct stat st;
        for (size_t i = 0; i < ELEMENTSOF(in); i++)
                if (in[i] && stat(in[i], &st) >= 0)
                        n += (uint64_t) st.st_size;
        return n;
}

int publish_free_space(const struct root *root, const char *dir, uint64_t *ret) {
        _cleanup_close_ int fd = fs_open_dir(root->fd, dir);
        struct statvfs sv;

        if (fd < 0)
                return fd;
        if (fstatvfs(fd, &sv) < 0)
                return -errno;
        *ret = (uint64_t) sv.f_bavail * sv.f_frsize;
        return 0;
}

static void human(uint64_t n, char buf[static 32]) {
        if (n >= (10u << 20))
                snprintf(buf, 32, "%llu MiB", (unsigned long long) (n >> 20));
        else
                snprintf(buf, 32, "%llu KiB", (unsigned long long) ((n + 1023) >> 10));
}

/* Sums what the set writes per target directory and compares with the free
 * space there (temps live beside their targets until the rename). */
static int check_space(const struct root *root, struct publish_set *s) {
        for (size_t i = 0; i < s->n; i++) {
                _cleanup_free_ char *dir = path_dirname(s->items[i].target);
                uint64_t need = 0, avail;
                char a[32], b[32];
                int r;

                if (!dir)
                        return -ENOMEM;
                for (size_t j = 0; j < s->n; j++) {
                        _cleanup_free_ char *d = path_dirname(s->items[j].target);
                        struct stat st;
                        if (!d)
                                return -ENOMEM;
                        if (!streq(d, dir))
                                continue;
                        if (s->items[j].uki)
                                need += uki_size_hint(s->items[j].uki);
                        else if (s->items[j].source) {
                                r = fs_stat(root->fd, s->items[j].source, &st);
                                if (r < 0)
                                        return log_error_errno(r, "'%s': cannot stat: %s", s->items[j].source,
                                                               strerror(-r));
                                need += (uint64_t) st.st_size + (s->items[j].sign ? SIGN_SLACK : 0);
                        } else
                                need += s->items[j].len;
                }
                if (publish_free_space(root, dir, &avail) < 0)
                        continue; /* created below; its parent's check is the rename's */
                if (avail < need) {
                        human(need, a);
                        human(avail, b);
                        return log_error_errno(-ENOSPC, "'%s': not enough space: %s needed, %s free", dir, a, b);
                }
        }
        return 0;
}

static int copy_hashing(int in, int out, struct hasher *h, const char *src) {
        _cleanup_free_ char *buf = malloc(COPY_CHUNK);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(in, buf, COPY_CHUNK);
                int r;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno(-errno, "'%s': cannot read: %m", src);
                if (n == 0)
                        return 0;
                hasher_add(h, buf, (size_t) n);
                r = fd_write_all(out, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
}

/* Writes one item's temp and fills in its file record. */
static int stage_one(const struct root *root, struct publish_item *it) {
        _cleanup_hasher_ struct hasher *h = hasher_new();
        _cleanup_close_ int in = -EBADF;
        struct stat st;
        int r;

        if (!h)
                return -ENOMEM;
        r = fs_mkdir_parent(root->fd, it->target, 0755);
        if (r >= 0)
                r = fs_tmp_open(root->fd, it->target, it->mode, &it->tmp);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot create a temporary file beside it: %s", it->target,
                                       strerror(-r));
        if (it->source) {
                in = fs_open(root->fd, it->source, O_RDONLY, 0);
                if (in < 0)
                        return log_error_errno(in, "'%s': cannot open: %s", it->source, strerror(-in));
        }
        if (it->uki) {
                /* hashed as it is written */
                it->uki->output_fd = it->tmp.fd;
                it->uki->ret_sha256 = it->file.sha256;
                r = uki_build(it->uki);
                it->uki->ret_sha256 = NULL;
        } else if (it->sign) {
                /* read back to be hashed while the disk writes it */
                r = authenticode_sign_fd(in, it->tmp.fd, it->sign, it->source);
                if (r >= 0)
                        fd_start_writeback(it->tmp.fd, 0, 0);
                if (r >= 0)
                        r = hash_fd(it->tmp.fd, it->file.sha256);
        } else if (it->source) {
                r = copy_hashing(in, it->tmp.fd, h, it->source);
                if (r >= 0)
                        hasher_final(h, it->file.sha256);
        } else {
                r = fd_write_all(it->tmp.fd, it->data, it->len);
                if (r >= 0)
                        hash_buf(it->data, it->len, it->file.sha256);
        }
        if (r >= 0 && (fs_fault("fsync") < 0 || fsync(it->tmp.fd) < 0))
                r = errno ? -errno : -EIO;
        if (r >= 0 && fstat(it->tmp.fd, &st) < 0)
                r = -errno;
        if (r < 0)
                return log_error_errno(r, "'%s': cannot write: %s", it->target, strerror(-r));
        it->file.size = st.st_size;
        it->file.mtime_ns = timespec_ns(st.st_mtim);
        it->file.ino = (int64_t) st.st_ino;
        return 0;
}

void publish_unstage(struct publish_set *s) {
        for (size_t i = 0; i < s->n; i++)
                fs_tmp_done(&s->items[i].tmp);
}

/* Temps of ours that a killed run left beside target: ".#NAME.<16 hex>". */
static void drop_stale_temps(const struct root *root, const char *target) {
        _cleanup_free_ char *dir = path_dirname(target), *host = NULL;
        const char *base = strrchr(target, '/');
        DIR *d;
        struct dirent *de;

        if (!dir || !base || !(host = root_host_path(root, dir)) || !(d = opendir(host)))
                return;
        base++;
        while ((de = readdir(d))) {
                const char *n = de->d_name;
                size_t bl = strlen(base);
                if (strncmp(n, ".#", 2) == 0 && strncmp(n + 2, base, bl) == 0 && n[2 + bl] == '.' &&
                    strlen(n + 3 + bl) == 16 && strspn(n + 3 + bl, "0123456789abcdef") == 16 &&
                    unlinkat(dirfd(d), n, 0) == 0)
                        log_info("removed '%s/%s', left by an interrupted run", dir, n);
        }
        closedir(d);
}

int publish_stage(const struct root *root, struct publish_set *s) {
        int r;

        for (size_t i = 0; i < s->n; i++)
                drop_stale_temps(root, s->items[i].target);
        r = check_space(root, s);
        for (size_t i = 0; r >= 0 && i < s->n; i++)
                r = stage_one(root, &s->items[i]);
        return r;
}

/* On FAT (the ESP), which has no journal, the whole file system is synced after
 * a rename, as bootctl does. Elsewhere the temp's fsync and the directory's
 * fsync in fs_tmp_commit() make the rename durable, and syncfs would wait for
 * every other writer's data on that file system too (on a busy /var, most of
 * the time a UKI rebuild took). */
static int sync_if_fat(int dirfd) {
        struct statfs sf;

        if (fstatfs(dirfd, &sf) < 0)
                return -errno;
        if (sf.f_type != MSDOS_SUPER_MAGIC)
                return 0;
        return syncfs(dirfd) < 0 ? -errno : 0;
}

int publish_commit(const struct root *root, struct state *st, struct publish_set *s, const char *kver,
                   const char *owner, const char *version) {
        int r;

        for (size_t i = 0; i < s->n; i++) {
                struct publish_item *it = &s->items[i];
                int dirfd = it->tmp.dirfd;
                r = fs_tmp_commit(&it->tmp);
                if (r >= 0)
                        r = sync_if_fat(dirfd);
                if (r < 0)
                        return log_error_errno(r, "'%s': cannot install: %s", it->target, strerror(-r));
        }
        r = state_begin(st);
        for (size_t i = 0; r >= 0 && i < s->n; i++) {
                struct state_file f = s->items[i].file;
                f.path = s->items[i].target;
                f.kver = (char *) kver;
                f.name = (char *) owner;
                f.version = (char *) version;
                r = state_file_add(st, &f);
        }
        if (r < 0) {
                state_rollback(st);
                return r;
        }
        return state_commit(st);
}

int publish_host_file(const struct root *root, const char *host_src, const char *target, mode_t mode) {
        _cleanup_fs_tmp_ struct fs_tmp t = FS_TMP_INIT;
        _cleanup_hasher_ struct hasher *h = hasher_new();
        _cleanup_close_ int in = open(host_src, O_RDONLY | O_CLOEXEC);
        int r;

        if (in < 0)
                return log_error_errno(-errno, "'%s': cannot open: %m", host_src);
        if (!h)
                return -ENOMEM;
        r = fs_mkdir_parent(root->fd, target, 0755);
        if (r >= 0)
                r = fs_tmp_open(root->fd, target, mode, &t);
        if (r >= 0)
                r = copy_hashing(in, t.fd, h, host_src);
        if (r >= 0)
                r = fs_tmp_commit(&t);
        return r < 0 ? log_error_errno(r, "'%s': cannot install: %s", target, strerror(-r)) : 0;
}

int publish_symlink(const struct root *root, const char *link, const char *target) {
        _cleanup_free_ char *cur = NULL, *dir = path_dirname(link), *tmp = NULL;
        _cleanup_close_ int dfd = -EBADF;
        const char *base = strrchr(link, '/');
        struct stat st;
        int r;

        if (!dir || !base)
                return -ENOMEM;
        base++;
        r = fs_lstat(root->fd, link, &st);
        if (r >= 0 && !S_ISLNK(st.st_mode)) {
                log_warning("'%s' is not a symbolic link, leaving it alone", link);
                return 0;
        }
        if (r >= 0 && fs_readlink(root->fd, link, &cur) >= 0 && streq_ptr(cur, target))
                return 0;
        if (r < 0 && !target)
                return 0;
        dfd = fs_open_dir(root->fd, dir);
        if (dfd < 0)
                return log_error_errno(dfd, "'%s': cannot open: %s", dir, strerror(-dfd));
        if (!target) {
                if ((fs_fault("unlink") < 0 || unlinkat(dfd, base, 0) < 0) && errno != ENOENT)
                        return log_error_errno(-errno, "'%s': cannot remove: %m", link);
                return fs_fault("fsync") < 0 || fsync(dfd) < 0 ? -errno : 0;
        }
        tmp = strdup_printf(".#%s.%d", base, getpid());
        if (!tmp)
                return -ENOMEM;
        (void) unlinkat(dfd, tmp, 0);
        if (fs_fault("symlink") < 0 || symlinkat(target, dfd, tmp) < 0)
                return log_error_errno(errno ? -errno : -EIO, "'%s': cannot create link: %m", link);
        if (fs_fault("rename") < 0 || renameat(dfd, tmp, dfd, base) < 0) {
                r = errno ? -errno : -EIO;
                (void) unlinkat(dfd, tmp, 0);
                return log_error_errno(r, "'%s': cannot replace link: %s", link, strerror(-r));
        }
        return fs_fault("fsync") < 0 || fsync(dfd) < 0 ? -errno : 0;
}
