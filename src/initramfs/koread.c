/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <lzma.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>
#include "initramfs/compress.h"

#define IN_SIZE (64 * 1024)
#define XZ_INDEX_MAX (1024 * 1024)

struct ko_reader {
        int fd;
        enum module_compress compress;
        bool in_eof;            /* the file is read to its end */
        bool done;              /* the last stream ended there */
        size_t in_pos, in_len;
        lzma_stream xz;
        bool xz_init;
        ZSTD_DCtx *zstd;
        size_t zstd_left;       /* ZSTD_decompressStream's last hint: 0 between frames */
        z_stream gz;
        bool gz_init;
        uint8_t in[IN_SIZE];
};

enum module_compress ko_compress_from_path(const char *path) {
        for (int c = MODULE_COMPRESS_GZIP; c < _MODULE_COMPRESS_MAX; c++)
                if (endswith(path, module_compress_suffix(c)))
                        return c;
        return MODULE_COMPRESS_NONE;
}

static ssize_t read_some(int fd, void *buf, size_t len) {
        for (;;) {
                ssize_t n = read(fd, buf, len);
                if (n >= 0 || errno != EINTR)
                        return n < 0 ? -errno : n;
        }
}

/* Refills the input buffer when it is used up; sets in_eof at the end. */
static int refill(struct ko_reader *r) {
        ssize_t n;

        if (r->in_pos < r->in_len || r->in_eof)
                return 0;
        n = read_some(r->fd, r->in, sizeof r->in);
        if (n < 0)
                return (int) n;
        r->in_pos = 0;
        r->in_len = (size_t) n;
        r->in_eof = n == 0;
        return 0;
}

static int decoders_init(struct ko_reader *r) {
        switch (r->compress) {
        case MODULE_COMPRESS_XZ:
                r->xz = (lzma_stream) LZMA_STREAM_INIT;
                if (lzma_stream_decoder(&r->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
                        return -ENOMEM;
                r->xz_init = true;
                return 0;
        case MODULE_COMPRESS_ZSTD:
                r->zstd = ZSTD_createDCtx();
                return r->zstd ? 0 : -ENOMEM;
        case MODULE_COMPRESS_GZIP:
                if (inflateInit2(&r->gz, 15 + 32) != Z_OK)
                        return -ENOMEM;
                r->gz_init = true;
                return 0;
        default:
                return 0;
        }
}

int ko_reader_new(int fd, enum module_compress c, struct ko_reader **ret) {
        struct ko_reader *r = calloc(1, sizeof *r);
        int q;

        if (!r) {
                close(fd);
                return -ENOMEM;
        }
        r->fd = fd;
        r->compress = c;
        r->zstd_left = 1; /* an empty file is no zstd frame */
        if (lseek(fd, 0, SEEK_SET) < 0) {
                ko_reader_free(r);
                return -errno;
        }
        q = decoders_init(r);
        if (q < 0) {
                ko_reader_free(r);
                return q;
        }
        *ret = r;
        return 0;
}

struct ko_reader *ko_reader_free(struct ko_reader *r) {
        if (!r)
                return NULL;
        if (r->xz_init)
                lzma_end(&r->xz);
        ZSTD_freeDCtx(r->zstd);
        if (r->gz_init)
                inflateEnd(&r->gz);
        if (r->fd >= 0)
                close(r->fd);
        free(r);
        return NULL;
}

static ssize_t xz_read(struct ko_reader *r, void *buf, size_t len) {
        for (;;) {
                int q = refill(r);
                lzma_ret ret;
                size_t produced;

                if (q < 0)
                        return q;
                r->xz.next_in = r->in + r->in_pos;
                r->xz.avail_in = r->in_len - r->in_pos;
                r->xz.next_out = buf;
                r->xz.avail_out = len;
                ret = lzma_code(&r->xz, r->in_eof ? LZMA_FINISH : LZMA_RUN);
                r->in_pos = r->in_len - r->xz.avail_in;
                produced = len - r->xz.avail_out;
                if (ret == LZMA_STREAM_END)
                        r->done = true;
                else if (ret != LZMA_OK)
                        return ret == LZMA_MEM_ERROR ? -ENOMEM : -EBADMSG;
                if (produced > 0 || r->done)
                        return (ssize_t) produced;
                if (r->in_eof)
                        return -EBADMSG;
        }
}

static ssize_t zstd_read(struct ko_reader *r, void *buf, size_t len) {
        for (;;) {
                ZSTD_outBuffer out = { buf, len, 0 };
                ZSTD_inBuffer in;
                int q = refill(r);

                if (q < 0)
                        return q;
                if (r->in_eof && r->zstd_left == 0) { /* the last frame is complete and flushed */
                        r->done = true;
                        return 0;
                }
                in = (ZSTD_inBuffer) { r->in, r->in_len, r->in_pos };
                r->zstd_left = ZSTD_decompressStream(r->zstd, &out, &in);
                if (ZSTD_isError(r->zstd_left))
                        return -EBADMSG;
                r->in_pos = in.pos;
                if (out.pos > 0)
                        return (ssize_t) out.pos;
                if (r->in_eof)
                        return -EBADMSG;
        }
}

static ssize_t gzip_read(struct ko_reader *r, void *buf, size_t len) {
        for (;;) {
                int q = refill(r), ret;
                size_t produced;

                if (q < 0)
                        return q;
                if (r->in_eof && r->done)
                        return 0;
                if (r->done) {          /* another gzip member follows */
                        if (inflateReset(&r->gz) != Z_OK)
                                return -EBADMSG;
                        r->done = false;
                }
                r->gz.next_in = r->in + r->in_pos;
                r->gz.avail_in = (uInt) (r->in_len - r->in_pos);
                r->gz.next_out = buf;
                r->gz.avail_out = (uInt) len;
                ret = inflate(&r->gz, Z_NO_FLUSH);
                r->in_pos = r->in_len - r->gz.avail_in;
                produced = len - r->gz.avail_out;
                if (ret == Z_STREAM_END)
                        r->done = true;
                else if (ret != Z_OK && !(ret == Z_BUF_ERROR && !r->in_eof))
                        return ret == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
                if (produced > 0)
                        return (ssize_t) produced;
                if (r->in_eof && !r->done)
                        return -EBADMSG;
        }
}

ssize_t ko_reader_read(struct ko_reader *r, void *buf, size_t len) {
        if (len > INT32_MAX)
                len = INT32_MAX;
        switch (r->compress) {
        case MODULE_COMPRESS_XZ:
                return r->done ? 0 : xz_read(r, buf, len);
        case MODULE_COMPRESS_ZSTD:
                return r->done ? 0 : zstd_read(r, buf, len);
        case MODULE_COMPRESS_GZIP:
                return gzip_read(r, buf, len);
        default:
                return read_some(r->fd, buf, len);
        }
}

/* The uncompressed size from the index of an .xz file that is one stream
 * without padding; -EBADMSG otherwise (then it is counted). */
static int xz_index_size(int fd, uint64_t *ret) {
        uint8_t footer[LZMA_STREAM_HEADER_SIZE];
        _cleanup_free_ uint8_t *buf = NULL;
        lzma_stream_flags flags;
        lzma_index *idx = NULL;
        uint64_t memlimit = UINT64_MAX;
        size_t pos = 0;
        struct stat st;
        bool ok;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size < 2 * LZMA_STREAM_HEADER_SIZE ||
            pread(fd, footer, sizeof footer, st.st_size - LZMA_STREAM_HEADER_SIZE) != sizeof footer ||
            lzma_stream_footer_decode(&flags, footer) != LZMA_OK ||
            flags.backward_size > XZ_INDEX_MAX ||
            flags.backward_size + 2 * LZMA_STREAM_HEADER_SIZE > (uint64_t) st.st_size)
                return -EBADMSG;
        buf = malloc(flags.backward_size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, flags.backward_size,
                  st.st_size - LZMA_STREAM_HEADER_SIZE - (off_t) flags.backward_size) != (ssize_t) flags.backward_size ||
            lzma_index_buffer_decode(&idx, &memlimit, NULL, buf, &pos, flags.backward_size) != LZMA_OK)
                return -EBADMSG;
        ok = lzma_index_stream_size(idx) == (uint64_t) st.st_size;
        *ret = lzma_index_uncompressed_size(idx);
        lzma_index_end(idx, NULL);
        return ok ? 0 : -EBADMSG;
}

static int count(int fd, enum module_compress c, uint64_t *ret) {
        _cleanup_ko_reader_ struct ko_reader *r = NULL;
        _cleanup_free_ uint8_t *buf = malloc(IN_SIZE * 2);
        int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3), q;
        uint64_t total = 0;
        ssize_t n;

        if (dfd < 0)
                return -errno;
        q = ko_reader_new(dfd, c, &r);
        if (q < 0)
                return q;
        if (!buf)
                return -ENOMEM;
        while ((n = ko_reader_read(r, buf, IN_SIZE * 2)) > 0)
                total += (uint64_t) n;
        if (n < 0)
                return (int) n;
        *ret = total;
        return 0;
}

int ko_decompressed_size(int fd, enum module_compress c, uint64_t *ret) {
        struct stat st;

        if (c == MODULE_COMPRESS_NONE) {
                if (fstat(fd, &st) < 0)
                        return -errno;
                *ret = (uint64_t) st.st_size;
                return 0;
        }
        if (c == MODULE_COMPRESS_XZ && xz_index_size(fd, ret) >= 0)
                return 0;
        return count(fd, c, ret);
}
