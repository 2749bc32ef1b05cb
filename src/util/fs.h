/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "util/macro.h"

/* Every path distkernel touches lives under a root, opened once as a directory
 * fd. Paths given to fs_* functions are relative to that root (a leading '/' is
 * allowed and means the root) and are resolved with openat2(RESOLVE_IN_ROOT):
 * symlinks and ".." can never lead outside it. All file I/O of the library goes
 * through here so that tests can inject failures (see fs_fault_*). */

/* A file time in nanoseconds, as the state records stat identities. */
static inline int64_t timespec_ns(struct timespec t) { return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec; }

struct root {
        int fd;
        char *path; /* absolute host path of the root, "/" for the real root */
};

int root_open(const char *path, struct root *ret);
void root_done(struct root *r);
/* Host path of a root-relative path (for programs we spawn). NULL on OOM. */
char *root_host_path(const struct root *r, const char *rel);
/* Whether the host path of the directory rel names the directory rel resolves
 * to inside the root: a program we spawn resolves the host path as the host
 * sees it, where a symbolic link on the way may lead out of the root. False
 * when either does not exist. */
bool root_host_path_inside(const struct root *r, const char *rel);
/* The host path of the directory rel, for a program we spawn that writes
 * there ("what" says what for the error, e.g. "run depmod"), checked with
 * root_host_path_inside(): -ELOOP, logged naming the directory, when a
 * symbolic link on the way leads out of the root; -ENOENT, logged, when it
 * does not exist. */
int root_host_dir(const struct root *r, const char *rel, const char *what, char **ret);

/* openat2() with RESOLVE_IN_ROOT relative to rootfd; returns fd or -errno.
 * O_CLOEXEC is always added. rootfd AT_FDCWD (in every fs_* function that
 * takes a rootfd) means a host path, resolved as open() would: for the few
 * files outside any root we read on purpose (our own programs, /proc, kernel
 * sources, configured key or config files on the host). */
int fs_open(int rootfd, const char *path, int flags, mode_t mode);
int fs_open_dir(int rootfd, const char *path);
int fs_stat(int rootfd, const char *path, struct stat *ret);
/* lstat-like: does not follow a final symlink. */
int fs_lstat(int rootfd, const char *path, struct stat *ret);
bool fs_exists(int rootfd, const char *path);
/* Creates the directory and its parents (mode for the new ones). */
int fs_mkdir_p(int rootfd, const char *path, mode_t mode);
/* Creates the parent directory of path and its parents. */
int fs_mkdir_parent(int rootfd, const char *path, mode_t mode);
/* Reads a whole file (at most max bytes, -EFBIG beyond), NUL-terminated. */
int fs_read_all(int rootfd, const char *path, size_t max, char **ret, size_t *ret_len);
int fd_read_all(int fd, size_t max, char **ret, size_t *ret_len);
/* Writes all of buf or fails. */
int fd_write_all(int fd, const void *buf, size_t len);
/* Asks the kernel to start writing len bytes at off (0: to the end) of fd to
 * disk without waiting, so that a later fsync finds less to wait for and the
 * disk works while we compute. Only a hint: nothing is reported. */
void fd_start_writeback(int fd, uint64_t off, uint64_t len);
/* Reads the target of a symlink inside the root (not resolved). */
int fs_readlink(int rootfd, const char *path, char **ret);
/* Renames within the root. */
int fs_rename(int rootfd, const char *from, const char *to);
/* Removes a file; -ENOENT when absent. */
int fs_unlink(int rootfd, const char *path);
/* Removes a tree without following symlinks; absent is success. */
int fs_rm_rf(int rootfd, const char *path);
/* Copies the tree below srcdir (a host directory fd) into dstdir (a directory fd
 * inside the root), regular files, directories and symlinks (copied as links). */
int fs_copy_tree(int srcdirfd, int dstdirfd);
/* Copies in to out from their offsets to the end of in. */
int fd_copy(int in, int out);
/* Gives the tree at path (not following symlinks, the directory included) to
 * uid:gid. */
int fs_chown_tree(int rootfd, const char *path, uid_t uid, gid_t gid);
/* Opens path below the directory dirfd for reading, with no symbolic link
 * anywhere on the way or at the end (-ELOOP), no ".." above dirfd (-EXDEV)
 * and no mount crossed: for files in a directory someone else controls. */
int fs_open_beneath(int dirfd, const char *path, int flags);
int fs_fsync_dir(int rootfd, const char *dir);

/* Staged files: a temp file in the target's directory (open for reading and
 * writing, so a writer can read back what it wrote), renamed over the target
 * by fs_tmp_commit() after fsync; fs_tmp_done() removes an uncommitted temp.
 * fs_tmp_open() first removes the target's temps a killed run left behind. */
struct fs_tmp {
        int fd;
        int dirfd;
        char *tmpname;  /* in dirfd */
        char *basename; /* target name in dirfd */
};
#define FS_TMP_INIT { .fd = -EBADF, .dirfd = -EBADF }
int fs_tmp_open(int rootfd, const char *target, mode_t mode, struct fs_tmp *ret);
int fs_tmp_commit(struct fs_tmp *t);
void fs_tmp_done(struct fs_tmp *t);
#define _cleanup_fs_tmp_ _cleanup_(fs_tmp_done)
/* Atomically replaces target with data. */
int fs_write_atomic(int rootfd, const char *target, const void *data, size_t len, mode_t mode);

/* Fault injection for tests (SQLite's test VFS does the same): every checked
 * operation (a create, write, fsync, rename, unlink, mkdir, symlink or removal,
 * here and in the few callers that do their own) first calls fs_fault(). After
 * fs_fault_setup("N[:WHAT]") the Nth of them, counted over this process and
 * every process it forks afterwards, fails with WHAT: an errno name (EIO, the
 * default, ENOSPC, EROFS, EDQUOT, EACCES) or number; WHAT "kill" kills the
 * process group at that point instead, as a crash would. N 0 only counts.
 * Returns -EINVAL for a malformed spec, 0 (and does nothing) for NULL or "". */
int fs_fault_setup(const char *spec);
/* 0 or, at the injected fault, -errno with errno set. */
int fs_fault(const char *op);
/* The number of checked operations so far; -1 without fs_fault_setup(). */
long fs_fault_count(void);
