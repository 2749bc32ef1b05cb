/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <sys/stat.h>
#include "initramfs/cpio.h"
#include "util/fs.h"

#define CPIO_BUF_SIZE (64 * 1024)
#define CPIO_HEADER_SIZE 110
#define CPIO_PATH_MAX 4095
#define CPIO_TRAILER "TRAILER!!!"

struct cpio_writer {
        initramfs_sink_fn sink;
        void *userdata;
        uint32_t mtime;
        uint32_t next_ino;
        char *last;             /* the last path written, NULL at the start */
        bool last_is_dir;
        bool in_file;
        bool finished;
        uint64_t remaining;     /* bytes the open file still expects */
        uint64_t offset;
        int error;
        size_t buf_len;
        uint8_t buf[CPIO_BUF_SIZE];
};

int initramfs_sink_fd(void *userdata, const void *buf, size_t len) {
        return fd_write_all(*(int *) userdata, buf, len);
}

static int path_byte(unsigned char c) {
        return c == 0 ? 0 : c == '/' ? 1 : c + 1;
}

int cpio_path_compare(const char *a, const char *b) {
        while (*a && *a == *b) {
                a++;
                b++;
        }
        return path_byte((unsigned char) *a) - path_byte((unsigned char) *b);
}

bool cpio_path_is_valid(const char *p) {
        size_t len = strlen(p);

        if (len == 0 || len > CPIO_PATH_MAX || p[0] == '/' || p[len - 1] == '/')
                return false;
        for (const char *c = p; *c;) {
                size_t n = strcspn(c, "/");
                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += n;
                if (*c == '/')
                        c++;
        }
        return true;
}

int cpio_writer_new(initramfs_sink_fn sink, void *userdata, int64_t mtime, struct cpio_writer **ret) {
        struct cpio_writer *w;

        if (mtime < 0 || mtime > UINT32_MAX)
                return -ERANGE;
        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->sink = sink;
        w->userdata = userdata;
        w->mtime = (uint32_t) mtime;
        w->next_ino = 1;
        *ret = w;
        return 0;
}

struct cpio_writer *cpio_writer_free(struct cpio_writer *w) {
        if (!w)
                return NULL;
        free(w->last);
        free(w);
        return NULL;
}

uint64_t cpio_writer_offset(const struct cpio_writer *w) { return w->offset; }

static int flush(struct cpio_writer *w) {
        int r;

        if (w->buf_len == 0)
                return 0;
        r = w->sink(w->userdata, w->buf, w->buf_len);
        w->buf_len = 0;
        if (r < 0)
                w->error = r;
        return r;
}

static int emit(struct cpio_writer *w, const void *data, size_t len) {
        int r;

        if (w->error < 0)
                return w->error;
        w->offset += len;
        if (w->buf_len + len <= sizeof w->buf) {
                memcpy(w->buf + w->buf_len, data, len);
                w->buf_len += len;
                return 0;
        }
        r = flush(w);
        if (r < 0)
                return r;
        if (len >= sizeof w->buf / 2) {
                r = w->sink(w->userdata, data, len);
                if (r < 0)
                        w->error = r;
                return r;
        }
        memcpy(w->buf, data, len);
        w->buf_len = len;
        return 0;
}

/* Zeros up to the next multiple of align. */
static int pad(struct cpio_writer *w, unsigned align) {
        static const uint8_t zeros[512];
        size_t n = (size_t) ((align - w->offset % align) % align);
        return n ? emit(w, zeros, n) : 0;
}

static int header(struct cpio_writer *w, const char *path, uint32_t ino, mode_t mode,
                  uint32_t nlink, uint32_t mtime, uint64_t size, unsigned rmajor, unsigned rminor) {
        char h[CPIO_HEADER_SIZE + 1];
        int r;

        snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                 ino, (unsigned) mode, 0u, 0u, nlink, mtime, (unsigned) size, 0u, 0u,
                 rmajor, rminor, (unsigned) strlen(path) + 1, 0u);
        r = emit(w, h, CPIO_HEADER_SIZE);
        if (r >= 0)
                r = emit(w, path, strlen(path) + 1);
        if (r >= 0)
                r = pad(w, 4);
        return r;
}

static int remember(struct cpio_writer *w, const char *path, bool is_dir) {
        char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        free(w->last);
        w->last = p;
        w->last_is_dir = is_dir;
        return 0;
}

/* Whether prefix (the first n bytes of a path) is w->last or one of its ancestors. */
static bool written_already(const struct cpio_writer *w, const char *prefix, size_t n) {
        return w->last && strncmp(w->last, prefix, n) == 0 && (w->last[n] == 0 || w->last[n] == '/');
}

/* Writes the directories between the previous entry and path. */
static int parents(struct cpio_writer *w, const char *path) {
        for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
                size_t n = (size_t) (s - path);
                _cleanup_free_ char *dir = NULL;
                int r;

                if (written_already(w, path, n)) {
                        if (w->last[n] == 0 && !w->last_is_dir)
                                return -ENOTDIR;
                        continue;
                }
                dir = strndup(path, n);
                if (!dir)
                        return -ENOMEM;
                r = header(w, dir, w->next_ino++, S_IFDIR | 0755, 2, w->mtime, 0, 0, 0);
                if (r >= 0)
                        r = remember(w, dir, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Checks the state and the order, then writes the missing parents. */
static int begin_entry(struct cpio_writer *w, const char *path) {
        if (w->error < 0)
                return w->error;
        if (w->in_file || w->finished)
                return -EINVAL;
        if (!cpio_path_is_valid(path) || (w->last && cpio_path_compare(w->last, path) >= 0))
                return -EINVAL;
        return parents(w, path);
}

static int entry(struct cpio_writer *w, const char *path, mode_t mode, uint64_t size,
                 unsigned rmajor, unsigned rminor) {
        int r = begin_entry(w, path);
        if (r < 0)
                return r;
        if (size > UINT32_MAX)
                return -EFBIG;
        r = header(w, path, w->next_ino++, mode, S_ISDIR(mode) ? 2 : 1, w->mtime, size, rmajor, rminor);
        if (r >= 0)
                r = remember(w, path, S_ISDIR(mode));
        return r;
}

int cpio_writer_dir(struct cpio_writer *w, const char *path, mode_t perm) {
        return entry(w, path, S_IFDIR | (perm & 07777), 0, 0, 0);
}

int cpio_writer_chardev(struct cpio_writer *w, const char *path, mode_t perm, unsigned major, unsigned minor) {
        return entry(w, path, S_IFCHR | (perm & 07777), 0, major, minor);
}

int cpio_writer_symlink(struct cpio_writer *w, const char *path, const char *target) {
        size_t n = strlen(target);
        int r;

        if (n == 0 || n > CPIO_PATH_MAX)
                return -EINVAL;
        r = entry(w, path, S_IFLNK | 0777, n, 0, 0);
        if (r >= 0)
                r = emit(w, target, n);
        if (r >= 0)
                r = pad(w, 4);
        return r;
}

int cpio_writer_file_begin(struct cpio_writer *w, const char *path, mode_t perm, uint64_t size) {
        int r = entry(w, path, S_IFREG | (perm & 07777), size, 0, 0);
        if (r < 0)
                return r;
        w->in_file = true;
        w->remaining = size;
        return 0;
}

int cpio_writer_file_data(struct cpio_writer *w, const void *buf, size_t len) {
        if (w->error < 0)
                return w->error;
        if (!w->in_file)
                return -EINVAL;
        if (len > w->remaining)
                return -EBADMSG;
        w->remaining -= len;
        return emit(w, buf, len);
}

int cpio_writer_file_end(struct cpio_writer *w) {
        if (w->error < 0)
                return w->error;
        if (!w->in_file)
                return -EINVAL;
        if (w->remaining > 0)
                return -EBADMSG;
        w->in_file = false;
        return pad(w, 4);
}

int cpio_writer_file(struct cpio_writer *w, const char *path, mode_t perm, const void *data, size_t size) {
        int r = cpio_writer_file_begin(w, path, perm, size);
        if (r >= 0)
                r = cpio_writer_file_data(w, data, size);
        if (r >= 0)
                r = cpio_writer_file_end(w);
        return r;
}

int cpio_writer_finish(struct cpio_writer *w) {
        int r;

        if (w->error < 0)
                return w->error;
        if (w->in_file || w->finished)
                return -EINVAL;
        r = header(w, CPIO_TRAILER, 0, 0, 1, 0, 0, 0, 0);
        if (r >= 0)
                r = pad(w, 512);
        if (r >= 0)
                r = flush(w);
        if (r >= 0)
                w->finished = true;
        return r;
}
