/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"

/* Fault injection (tests only). The counter lives in a shared page, so that
 * the processes a sync forks (builds, initramfs generation) count on the same
 * sequence: the Nth checked operation of the whole run fails, whichever
 * process does it. */
static long fault_at = -1;
static long *fault_count;
static int fault_errno = EIO;
static bool fault_kill;
static pid_t fault_pgrp;
static bool fault_init;

static const struct {
        const char *name;
        int errno_value;
} fault_errnos[] = {
        { "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EROFS", EROFS }, { "EDQUOT", EDQUOT }, { "EACCES", EACCES },
};

static int parse_fault_errno(const char *s, int *ret) {
        char *end;
        long v;

        for (size_t i = 0; i < ELEMENTSOF(fault_errnos); i++)
                if (streq(s, fault_errnos[i].name)) {
                        *ret = fault_errnos[i].errno_value;
                        return 0;
                }
        v = strtol(s, &end, 10);
        if (*s == 0 || *end || v < 1 || v > 4095)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

int fs_fault_setup(const char *spec) {
        char *end;
        long at;
        int e = EIO;

        fault_init = true;
        if (!spec || !*spec)
                return 0;
        at = strtol(spec, &end, 10);
        if (end == spec || at < 0 || (*end && *end != ':'))
                return -EINVAL;
        if (*end == ':' && !streq(end + 1, "kill") && parse_fault_errno(end + 1, &e) < 0)
                return -EINVAL;
        fault_count = mmap(NULL, sizeof *fault_count, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (fault_count == MAP_FAILED) {
                fault_count = NULL;
                return -errno;
        }
        *fault_count = 0;
        fault_at = at;
        fault_errno = e;
        fault_kill = *end == ':' && streq(end + 1, "kill");
        if (fault_kill) {
                /* a crash takes the forked workers with it: one process group to kill */
                (void) setpgid(0, 0);
                fault_pgrp = getpgrp();
        }
        return 0;
}

int fs_fault(const char *op) {
        long n;

        /* a program that did not call fs_fault_setup() (the unit tests) */
        if (!fault_init)
                (void) fs_fault_setup(getenv("DISTKERNEL_FAULT"));
        if (!fault_count)
                return 0;
        n = __atomic_add_fetch(fault_count, 1, __ATOMIC_SEQ_CST);
        if (n != fault_at)
                return 0;
        if (fault_kill) {
                (void) kill(-fault_pgrp, SIGKILL);
                raise(SIGKILL);
        }
        log_debug("injected fault at operation %ld (%s): %s", n, op, strerror(fault_errno));
        errno = fault_errno;
        return -fault_errno;
}

long fs_fault_count(void) {
        return fault_count ? __atomic_load_n(fault_count, __ATOMIC_SEQ_CST) : -1;
}

static const char *rel(const char *path) {
        while (*path == '/')
                path++;
        return *path ? path : ".";
}

int fs_open(int rootfd, const char *path, int flags, mode_t mode) {
        struct open_how how = {
                .flags = (uint64_t) flags | O_CLOEXEC,
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        long fd;

        if ((flags & (O_WRONLY | O_RDWR | O_CREAT)) && fs_fault("open") < 0)
                return -errno;
        if (rootfd == AT_FDCWD) {
                /* a host path, on purpose: no root to stay in */
                how.resolve = 0;
                fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
                return fd < 0 ? -errno : (int) fd;
        }
        fd = syscall(SYS_openat2, rootfd, rel(path), &how, sizeof how);
        return fd < 0 ? -errno : (int) fd;
}

int fs_open_dir(int rootfd, const char *path) {
        return fs_open(rootfd, path, O_RDONLY | O_DIRECTORY, 0);
}

/* Opens the parent directory of path and returns its last component. */
static int open_parent(int rootfd, const char *path, int *ret_dirfd, char **ret_base) {
        /* a host path (AT_FDCWD) keeps its leading '/' */
        _cleanup_free_ char *p = strdup(rootfd == AT_FDCWD ? path : rel(path));
        char *slash;
        int fd;

        if (!p)
                return -ENOMEM;
        slash = strrchr(p, '/');
        if (slash) {
                *slash = 0;
                fd = fs_open_dir(rootfd, slash == p ? "/" : p);
        } else
                fd = fs_open_dir(rootfd, ".");
        if (fd < 0)
                return fd;
        *ret_base = strdup(slash ? slash + 1 : p);
        if (!*ret_base) {
                close(fd);
                return -ENOMEM;
        }
        if (streq(*ret_base, "..") || streq(*ret_base, ".")) {
                close(fd);
                *ret_base = mfree(*ret_base);
                return -EINVAL;
        }
        *ret_dirfd = fd;
        return 0;
}

int fs_stat(int rootfd, const char *path, struct stat *ret) {
        _cleanup_close_ int fd = fs_open(rootfd, path, O_PATH, 0);
        if (fd < 0)
                return fd;
        return fstat(fd, ret) < 0 ? -errno : 0;
}

int fs_lstat(int rootfd, const char *path, struct stat *ret) {
        _cleanup_close_ int fd = fs_open(rootfd, path, O_PATH | O_NOFOLLOW, 0);
        if (fd < 0)
                return fd;
        return fstat(fd, ret) < 0 ? -errno : 0;
}

bool fs_exists(int rootfd, const char *path) {
        struct stat st;
        return fs_stat(rootfd, path, &st) >= 0;
}

int fs_mkdir_parent(int rootfd, const char *path, mode_t mode) {
        _cleanup_free_ char *dir = path_dirname(path);
        if (!dir)
                return -ENOMEM;
        return streq(dir, ".") || streq(dir, "/") ? 0 : fs_mkdir_p(rootfd, dir, mode);
}

int fs_mkdir_p(int rootfd, const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(rel(path));
        struct stat st;
        char *s;

        if (!p)
                return -ENOMEM;
        if (streq(p, "."))
                return 0;
        /* most calls find the directory there: no write, nothing that can fail */
        if (fs_stat(rootfd, p, &st) >= 0 && S_ISDIR(st.st_mode))
                return 0;
        for (s = p;; s++) {
                if (*s == '/' || *s == 0) {
                        char c = *s;
                        _cleanup_close_ int dfd = -EBADF;
                        _cleanup_free_ char *base = NULL;
                        int r;

                        *s = 0;
                        r = open_parent(rootfd, p, &dfd, &base);
                        if (r < 0)
                                return r;
                        if (fstatat(dfd, base, &st, 0) < 0 || !S_ISDIR(st.st_mode)) {
                                r = fs_fault("mkdir");
                                if (r < 0)
                                        return r;
                                if (mkdirat(dfd, base, mode) < 0 && errno != EEXIST)
                                        return -errno;
                        }
                        *s = c;
                        if (c == 0)
                                break;
                }
        }
        return 0;
}

int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        struct stat st;
        /* a regular file is read into room for all of it (and a byte more, to
         * see its end), the rest 64 KiB at a time */
        size_t chunk = fstat(fd, &st) >= 0 && S_ISREG(st.st_mode) && (uint64_t) st.st_size < max ?
                (size_t) st.st_size + 1 : 65536;

        for (;;) {
                ssize_t n;
                if (sb.len + 1 >= sb.alloc && strbuf_reserve(&sb, chunk) < 0)
                        return -ENOMEM;
                chunk = 65536;
                n = read(fd, sb.buf + sb.len, sb.alloc - sb.len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                if (sb.len + (size_t) n > max)
                        return -EFBIG;
                sb.len += (size_t) n;
                sb.buf[sb.len] = 0;
        }
        sb.buf[sb.len] = 0;
        if (ret_len)
                *ret_len = sb.len;
        *ret = strbuf_detach(&sb);
        return *ret ? 0 : -ENOMEM;
}

int fs_read_all(int rootfd, const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = fs_open(rootfd, path, O_RDONLY, 0);
        if (fd < 0)
                return fd;
        return fd_read_all(fd, max, ret, ret_len);
}

int fd_write_all(int fd, const void *buf, size_t len) {
        const char *p = buf;
        int r;

        r = fs_fault("write");
        if (r < 0)
                return r;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

void fd_start_writeback(int fd, uint64_t off, uint64_t len) {
        /* not every file system has it (EINVAL, ENOSYS); fsync still decides */
        (void) sync_file_range(fd, (off_t) off, (off_t) len, SYNC_FILE_RANGE_WRITE);
}

int fs_readlink(int rootfd, const char *path, char **ret) {
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_free_ char *base = NULL;
        char buf[PATH_MAX];
        ssize_t n;
        int r;

        r = open_parent(rootfd, path, &dfd, &base);
        if (r < 0)
                return r;
        n = readlinkat(dfd, base, buf, sizeof buf - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int fs_unlink(int rootfd, const char *path) {
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_free_ char *base = NULL;
        int r;

        r = open_parent(rootfd, path, &dfd, &base);
        if (r < 0)
                return r;
        r = fs_fault("unlink");
        if (r < 0)
                return r;
        return unlinkat(dfd, base, 0) < 0 ? -errno : 0;
}

static int rm_rf_children(int dfd) {
        DIR *d = fdopendir(dfd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                close(dfd);
                return -errno;
        }
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (de->d_type == DT_DIR) {
                        int sub = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0) {
                                r = -errno;
                                continue;
                        }
                        int q = rm_rf_children(sub);
                        if (q < 0)
                                r = q;
                        if (fs_fault("rmdir") < 0 || unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0)
                                r = -errno;
                } else if (fs_fault("unlink") < 0 || unlinkat(dirfd(d), de->d_name, 0) < 0)
                        r = -errno;
        }
        closedir(d);
        return r;
}

int fs_rm_rf(int rootfd, const char *path) {
        _cleanup_close_ int pfd = -EBADF;
        _cleanup_free_ char *base = NULL;
        struct stat st;
        int r, fd;

        r = open_parent(rootfd, path, &pfd, &base);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        r = fs_fault("rm");
        if (r < 0)
                return r;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(pfd, base, 0) < 0 ? -errno : 0;
        fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = rm_rf_children(fd);
        if (r < 0)
                return r;
        return unlinkat(pfd, base, AT_REMOVEDIR) < 0 ? -errno : 0;
}

static int copy_fd(int in, int out) {
        char buf[65536];
        for (;;) {
                ssize_t n = read(in, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                int r = fd_write_all(out, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
}

int fs_copy_tree(int srcdirfd, int dstdirfd) {
        int dupfd = fcntl(srcdirfd, F_DUPFD_CLOEXEC, 3);
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (dupfd < 0)
                return -errno;
        d = fdopendir(dupfd);
        if (!d) {
                close(dupfd);
                return -errno;
        }
        rewinddir(d);
        while (r >= 0 && (de = readdir(d))) {
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(srcdirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = -errno;
                        break;
                }
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int s = -EBADF, t = -EBADF;
                        if (fs_fault("mkdir") < 0 ||
                            (mkdirat(dstdirfd, de->d_name, st.st_mode & 07777) < 0 && errno != EEXIST)) {
                                r = -errno;
                                break;
                        }
                        s = openat(srcdirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        t = openat(dstdirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (s < 0 || t < 0) {
                                r = -errno;
                                break;
                        }
                        r = fs_copy_tree(s, t);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(srcdirfd, de->d_name, target, sizeof target - 1);
                        if (n < 0) {
                                r = -errno;
                                break;
                        }
                        target[n] = 0;
                        if (fs_fault("symlink") < 0 || symlinkat(target, dstdirfd, de->d_name) < 0)
                                r = -errno;
                } else if (S_ISREG(st.st_mode)) {
                        _cleanup_close_ int s = -EBADF, t = -EBADF;
                        s = openat(srcdirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                        t = fs_fault("create") < 0 ? -1 :
                            openat(dstdirfd, de->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                   st.st_mode & 07777);
                        if (s < 0 || t < 0) {
                                r = -errno;
                                break;
                        }
                        r = copy_fd(s, t);
                        if (r >= 0 && close(TAKE_FD(t)) < 0)
                                r = -errno;
                }
        }
        closedir(d);
        return r;
}

int fd_copy(int in, int out) {
        return copy_fd(in, out);
}

static int chown_children(int dfd, uid_t uid, gid_t gid) {
        DIR *d = fdopendir(dfd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                close(dfd);
                return -errno;
        }
        while (r >= 0 && (de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fchownat(dirfd(d), de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                        r = -errno;
                else if (de->d_type == DT_DIR) {
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        r = sub < 0 ? -errno : chown_children(sub, uid, gid);
                }
        }
        closedir(d);
        return r;
}

int fs_chown_tree(int rootfd, const char *path, uid_t uid, gid_t gid) {
        int fd = fs_open(rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0), r;

        if (fd < 0)
                return fd;
        if (fchown(fd, uid, gid) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return chown_children(fd, uid, gid);
}

int fs_open_beneath(int dirfd, const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) flags | O_NOFOLLOW | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        long fd;

        assert(!(flags & (O_CREAT | O_TMPFILE)));
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        return fd < 0 ? -errno : (int) fd;
}

int fs_fsync_dir(int rootfd, const char *dir) {
        _cleanup_close_ int fd = fs_open_dir(rootfd, dir);
        int r;

        if (fd < 0)
                return fd;
        r = fs_fault("fsync");
        if (r < 0)
                return r;
        return fsync(fd) < 0 ? -errno : 0;
}

/* Removes the temps of base in dfd that a killed run left: ".#BASE.<16 hex>"
 * (the lock keeps two runs from writing one target at a time). */
static void drop_stale_temps(int dfd, const char *target, const char *base) {
        int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        size_t bl = strlen(base);
        struct dirent *de;
        DIR *d;

        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        while ((de = readdir(d))) {
                const char *n = de->d_name;
                if (strncmp(n, ".#", 2) == 0 && strncmp(n + 2, base, bl) == 0 && n[2 + bl] == '.' &&
                    strlen(n + 3 + bl) == 16 && strspn(n + 3 + bl, "0123456789abcdef") == 16 &&
                    unlinkat(dirfd(d), n, 0) == 0)
                        log_info("'%s': removed '%s', left by an interrupted run", target, n);
        }
        closedir(d);
}

int fs_tmp_open(int rootfd, const char *target, mode_t mode, struct fs_tmp *ret) {
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_free_ char *base = NULL;
        int r;

        r = open_parent(rootfd, target, &dfd, &base);
        if (r < 0)
                return r;
        drop_stale_temps(dfd, target, base);
        for (int tries = 0; tries < 100; tries++) {
                uint64_t rnd = 0;
                _cleanup_free_ char *name = NULL;
                int fd;

                if (getrandom(&rnd, sizeof rnd, 0) < 0)
                        rnd = (uint64_t) getpid() * 1000003u + (uint64_t) tries;
                name = strdup_printf(".#%s.%016llx", base, (unsigned long long) rnd);
                if (!name)
                        return -ENOMEM;
                r = fs_fault("create");
                if (r < 0)
                        return r;
                fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
                if (fd < 0) {
                        if (errno == EEXIST)
                                continue;
                        return -errno;
                }
                if (fchmod(fd, mode) < 0) {
                        r = -errno;
                        close(fd);
                        unlinkat(dfd, name, 0);
                        return r;
                }
                *ret = (struct fs_tmp) {
                        .fd = fd, .dirfd = TAKE_FD(dfd),
                        .tmpname = TAKE_PTR(name), .basename = TAKE_PTR(base),
                };
                return 0;
        }
        return -EEXIST;
}

int fs_tmp_commit(struct fs_tmp *t) {
        int r;

        if (fs_fault("fsync") < 0 || fsync(t->fd) < 0)
                return -errno;
        if (close(TAKE_FD(t->fd)) < 0)
                return -errno;
        r = fs_fault("rename");
        if (r < 0)
                return r;
        if (renameat(t->dirfd, t->tmpname, t->dirfd, t->basename) < 0)
                return -errno;
        t->tmpname = mfree(t->tmpname);
        if (fs_fault("fsync") < 0 || fsync(t->dirfd) < 0)
                return -errno;
        return 0;
}

void fs_tmp_done(struct fs_tmp *t) {
        if (t->fd >= 0)
                close(t->fd);
        if (t->tmpname && t->dirfd >= 0)
                unlinkat(t->dirfd, t->tmpname, 0);
        if (t->dirfd >= 0)
                close(t->dirfd);
        free(t->tmpname);
        free(t->basename);
        *t = (struct fs_tmp) FS_TMP_INIT;
}

int fs_write_atomic(int rootfd, const char *target, const void *data, size_t len, mode_t mode) {
        _cleanup_fs_tmp_ struct fs_tmp t = FS_TMP_INIT;
        int r;

        r = fs_tmp_open(rootfd, target, mode, &t);
        if (r < 0)
                return r;
        r = fd_write_all(t.fd, data, len);
        if (r < 0)
                return r;
        return fs_tmp_commit(&t);
}

int root_open(const char *path, struct root *ret) {
        _cleanup_free_ char *abs = realpath(path, NULL);
        int fd;

        if (!abs)
                return -errno;
        fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret = (struct root) { .fd = fd, .path = TAKE_PTR(abs) };
        return 0;
}

void root_done(struct root *r) {
        if (r->fd >= 0)
                close(r->fd);
        r->fd = -EBADF;
        r->path = mfree(r->path);
}

char *root_host_path(const struct root *r, const char *p) {
        return path_join(r->path, p);
}

bool root_host_path_inside(const struct root *r, const char *rel) {
        _cleanup_close_ int fd = fs_open_dir(r->fd, rel);
        _cleanup_free_ char *host = root_host_path(r, rel);
        struct stat a, b;

        return fd >= 0 && host && fstat(fd, &a) == 0 && stat(host, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

int root_host_dir(const struct root *r, const char *rel, const char *what, char **ret) {
        _cleanup_free_ char *host = root_host_path(r, rel);
        struct stat st;

        if (!host)
                return -ENOMEM;
        if (fs_stat(r->fd, rel, &st) < 0 || !S_ISDIR(st.st_mode))
                return log_error_errno(-ENOENT, "'%s': no such directory, cannot %s there", rel, what);
        if (!root_host_path_inside(r, rel))
                return log_error_errno(-ELOOP, "'%s': a symbolic link on the way leads out of the root, refusing to "
                                       "%s there", rel, what);
        *ret = TAKE_PTR(host);
        return 0;
}

int fs_rename(int rootfd, const char *from, const char *to) {
        _cleanup_close_ int fd1 = -EBADF, fd2 = -EBADF;
        _cleanup_free_ char *b1 = NULL, *b2 = NULL;
        int r;

        r = open_parent(rootfd, from, &fd1, &b1);
        if (r >= 0)
                r = open_parent(rootfd, to, &fd2, &b2);
        if (r < 0)
                return r;
        r = fs_fault("rename");
        if (r < 0)
                return r;
        return renameat(fd1, b1, fd2, b2) < 0 ? -errno : 0;
}
