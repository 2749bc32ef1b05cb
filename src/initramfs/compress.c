/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <lz4.h>
#include <lz4hc.h>
#include <lzma.h>
#include <sched.h>
#include <stdio.h>
#include <zlib.h>
#include <zstd.h>
#include "initramfs/compress.h"
#include "util/log.h"

#define OUT_SIZE (128 * 1024)
#define WRITE_CHUNK (1024 * 1024)
#define ZSTD_MAX_WORKERS 8
#define ZSTD_JOB_SIZE (2 * 1024 * 1024)
#define XZ_DICT_MAX (1024 * 1024)
#define LZ4_LEGACY_MAGIC 0x184C2102u
#define LZ4_LEGACY_BLOCK (8 * 1024 * 1024)

struct compressor;

struct codec {
        const char *name;
        const char *kconfig;    /* the option the kernel needs to read it */
        int level_min, level_max, level_default;
        int (*init)(struct compressor *c);
        int (*write)(struct compressor *c, const void *buf, size_t len);
        int (*finish)(struct compressor *c);
        void (*done)(struct compressor *c);
};

struct compressor {
        const struct codec *codec;
        int level;
        initramfs_sink_fn sink;
        void *userdata;
        uint8_t *out;           /* output buffer: OUT_SIZE, or a whole lz4 block */
        ZSTD_CCtx *zstd;
        lzma_stream xz;
        bool xz_init;
        z_stream gz;
        bool gz_init;
        uint8_t *lz4_in;        /* the block being filled */
        size_t lz4_in_len;
        bool lz4_magic;
};

static int put(struct compressor *c, const void *buf, size_t len) {
        return len ? c->sink(c->userdata, buf, len) : 0;
}

/* ------------------------------------------------------------------- zstd */

static unsigned online_cpus(void) {
        cpu_set_t set;
        int n = 0;

        if (sched_getaffinity(0, sizeof set, &set) == 0)
                n = CPU_COUNT(&set);
        if (n <= 0)
                n = (int) sysconf(_SC_NPROCESSORS_ONLN);
        return n <= 0 ? 1 : n > ZSTD_MAX_WORKERS ? ZSTD_MAX_WORKERS : (unsigned) n;
}

static int zstd_err(size_t r) {
        return log_error_errno(-EIO, "zstd compression failed: %s", ZSTD_getErrorName(r));
}

static int zstd_init(struct compressor *c) {
        size_t r;

        c->zstd = ZSTD_createCCtx();
        c->out = malloc(OUT_SIZE);
        if (!c->zstd || !c->out)
                return -ENOMEM;
        r = ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_compressionLevel, c->level);
        if (!ZSTD_isError(r))
                r = ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_checksumFlag, 1);
        if (ZSTD_isError(r))
                return zstd_err(r);
        /* Without multithreading in libzstd this fails: single-threaded then. */
        r = ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_nbWorkers, (int) online_cpus());
        if (ZSTD_isError(r)) {
                log_debug("zstd: no multithreading (%s), compressing in one thread", ZSTD_getErrorName(r));
                return 0;
        }
        r = ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_jobSize, ZSTD_JOB_SIZE);
        return ZSTD_isError(r) ? zstd_err(r) : 0;
}

static int zstd_run(struct compressor *c, const void *buf, size_t len, ZSTD_EndDirective mode) {
        ZSTD_inBuffer in = { buf, len, 0 };
        size_t left;

        do {
                ZSTD_outBuffer out = { c->out, OUT_SIZE, 0 };
                int r;

                left = ZSTD_compressStream2(c->zstd, &out, &in, mode);
                if (ZSTD_isError(left))
                        return zstd_err(left);
                r = put(c, c->out, out.pos);
                if (r < 0)
                        return r;
        } while (mode == ZSTD_e_end ? left > 0 : in.pos < in.size);
        return 0;
}

static int zstd_write(struct compressor *c, const void *buf, size_t len) {
        return zstd_run(c, buf, len, ZSTD_e_continue);
}

static int zstd_finish(struct compressor *c) { return zstd_run(c, NULL, 0, ZSTD_e_end); }

static void zstd_done(struct compressor *c) { ZSTD_freeCCtx(c->zstd); }

/* --------------------------------------------------------------------- xz */

static int xz_init(struct compressor *c) {
        lzma_options_lzma opt;
        lzma_filter filters[] = {
                { .id = LZMA_FILTER_LZMA2, .options = &opt },
                { .id = LZMA_VLI_UNKNOWN, .options = NULL },
        };
        lzma_ret r;

        c->out = malloc(OUT_SIZE);
        if (!c->out)
                return -ENOMEM;
        if (lzma_lzma_preset(&opt, (uint32_t) c->level))
                return log_error_errno(-EINVAL, "xz: invalid preset %d", c->level);
        if (opt.dict_size > XZ_DICT_MAX)
                opt.dict_size = XZ_DICT_MAX;
        c->xz = (lzma_stream) LZMA_STREAM_INIT;
        r = lzma_stream_encoder(&c->xz, filters, LZMA_CHECK_CRC32);
        if (r == LZMA_MEM_ERROR)
                return -ENOMEM;
        if (r != LZMA_OK)
                return log_error_errno(-EIO, "xz: cannot set up the encoder (error %d)", (int) r);
        c->xz_init = true;
        return 0;
}

static int xz_run(struct compressor *c, const void *buf, size_t len, lzma_action action) {
        lzma_ret ret;

        c->xz.next_in = buf;
        c->xz.avail_in = len;
        do {
                int r;

                c->xz.next_out = c->out;
                c->xz.avail_out = OUT_SIZE;
                ret = lzma_code(&c->xz, action);
                if (ret != LZMA_OK && ret != LZMA_STREAM_END)
                        return log_error_errno(ret == LZMA_MEM_ERROR ? -ENOMEM : -EIO,
                                               "xz compression failed (error %d)", (int) ret);
                r = put(c, c->out, OUT_SIZE - c->xz.avail_out);
                if (r < 0)
                        return r;
        } while (action == LZMA_FINISH ? ret != LZMA_STREAM_END : c->xz.avail_in > 0);
        return 0;
}

static int xz_write(struct compressor *c, const void *buf, size_t len) {
        return xz_run(c, buf, len, LZMA_RUN);
}

static int xz_finish(struct compressor *c) { return xz_run(c, NULL, 0, LZMA_FINISH); }

static void xz_done(struct compressor *c) {
        if (c->xz_init)
                lzma_end(&c->xz);
}

/* ------------------------------------------------------------------- gzip */

static int gzip_init(struct compressor *c) {
        c->out = malloc(OUT_SIZE);
        if (!c->out)
                return -ENOMEM;
        /* windowBits 15 + 16: a gzip header and trailer instead of zlib's */
        if (deflateInit2(&c->gz, c->level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return log_error_errno(-ENOMEM, "gzip: cannot set up the compressor");
        c->gz_init = true;
        return 0;
}

static int gzip_run(struct compressor *c, const void *buf, size_t len, int flush) {
        int ret;

        c->gz.next_in = (Bytef *) buf;
        c->gz.avail_in = (uInt) len;
        do {
                int r;

                c->gz.next_out = c->out;
                c->gz.avail_out = OUT_SIZE;
                ret = deflate(&c->gz, flush);
                if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
                        return log_error_errno(-EIO, "gzip compression failed (error %d)", ret);
                r = put(c, c->out, OUT_SIZE - c->gz.avail_out);
                if (r < 0)
                        return r;
        } while (flush == Z_FINISH ? ret != Z_STREAM_END : c->gz.avail_in > 0);
        return 0;
}

static int gzip_write(struct compressor *c, const void *buf, size_t len) {
        return gzip_run(c, buf, len, Z_NO_FLUSH);
}

static int gzip_finish(struct compressor *c) { return gzip_run(c, NULL, 0, Z_FINISH); }

static void gzip_done(struct compressor *c) {
        if (c->gz_init)
                deflateEnd(&c->gz);
}

/* -------------------------------------------------------------------- lz4 */

static void put_le32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
        p[2] = (uint8_t) (v >> 16);
        p[3] = (uint8_t) (v >> 24);
}

static int lz4_init(struct compressor *c) {
        c->lz4_in = malloc(LZ4_LEGACY_BLOCK);
        c->out = malloc(4 + (size_t) LZ4_compressBound(LZ4_LEGACY_BLOCK));
        return c->lz4_in && c->out ? 0 : -ENOMEM;
}

static int lz4_magic(struct compressor *c) {
        uint8_t m[4];

        if (c->lz4_magic)
                return 0;
        c->lz4_magic = true;
        put_le32(m, LZ4_LEGACY_MAGIC);
        return put(c, m, sizeof m);
}

static int lz4_block(struct compressor *c) {
        int bound = LZ4_compressBound(LZ4_LEGACY_BLOCK), n, r;

        r = lz4_magic(c);
        if (r < 0)
                return r;
        if (c->level < 3)
                n = LZ4_compress_default((const char *) c->lz4_in, (char *) c->out + 4, (int) c->lz4_in_len, bound);
        else
                n = LZ4_compress_HC((const char *) c->lz4_in, (char *) c->out + 4, (int) c->lz4_in_len, bound,
                                    c->level);
        if (n <= 0)
                return log_error_errno(-EIO, "lz4 compression failed");
        put_le32(c->out, (uint32_t) n);
        c->lz4_in_len = 0;
        return put(c, c->out, 4 + (size_t) n);
}

static int lz4_write(struct compressor *c, const void *buf, size_t len) {
        const uint8_t *p = buf;

        while (len > 0) {
                size_t n = LZ4_LEGACY_BLOCK - c->lz4_in_len;
                if (n > len)
                        n = len;
                memcpy(c->lz4_in + c->lz4_in_len, p, n);
                c->lz4_in_len += n;
                p += n;
                len -= n;
                if (c->lz4_in_len == LZ4_LEGACY_BLOCK) {
                        int r = lz4_block(c);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int lz4_finish(struct compressor *c) {
        return c->lz4_in_len > 0 ? lz4_block(c) : lz4_magic(c);
}

static void lz4_done(struct compressor *c) { free(c->lz4_in); }

/* ------------------------------------------------------------------- none */

static int none_init(struct compressor *c) { return 0; }
static int none_write(struct compressor *c, const void *buf, size_t len) { return put(c, buf, len); }
static int none_finish(struct compressor *c) { return 0; }
static void none_done(struct compressor *c) {}

static const struct codec codecs[_INITRAMFS_CODEC_MAX] = {
        [INITRAMFS_CODEC_NONE] = { "none", NULL, 0, 0, 0, none_init, none_write, none_finish, none_done },
        [INITRAMFS_CODEC_ZSTD] = { "zstd", "RD_ZSTD", 1, 22, 3, zstd_init, zstd_write, zstd_finish, zstd_done },
        [INITRAMFS_CODEC_XZ] = { "xz", "RD_XZ", 1, 9, 6, xz_init, xz_write, xz_finish, xz_done },
        [INITRAMFS_CODEC_GZIP] = { "gzip", "RD_GZIP", 1, 9, 6, gzip_init, gzip_write, gzip_finish, gzip_done },
        [INITRAMFS_CODEC_LZ4] = { "lz4", "RD_LZ4", 1, 12, 9, lz4_init, lz4_write, lz4_finish, lz4_done },
};

const char *initramfs_codec_to_string(enum initramfs_codec c) {
        return (unsigned) c < _INITRAMFS_CODEC_MAX ? codecs[c].name : NULL;
}

int initramfs_codec_from_string(const char *s) {
        if (streq(s, "gz"))
                return INITRAMFS_CODEC_GZIP;
        for (int i = 0; i < _INITRAMFS_CODEC_MAX; i++)
                if (streq(codecs[i].name, s))
                        return i;
        return -EINVAL;
}

int initramfs_codec_level(enum initramfs_codec c, int level) {
        return level != 0 ? level : codecs[c].level_default;
}

static int check_level(enum initramfs_codec c, int level) {
        const struct codec *k = &codecs[c];

        if (level == 0 || (level >= k->level_min && level <= k->level_max))
                return 0;
        if (k->level_max == 0)
                return log_error_errno(-EINVAL, "'%s': takes no compression level", k->name);
        return log_error_errno(-EINVAL, "'%s': compression level %d is out of range %d..%d",
                               k->name, level, k->level_min, k->level_max);
}

int initramfs_compress_parse(const char *s, enum initramfs_codec *ret_codec, int *ret_level) {
        _cleanup_free_ char *name = strdup(s);
        char *colon, *end;
        long level = 0;
        int c, r;

        if (!name)
                return -ENOMEM;
        colon = strchr(name, ':');
        if (colon) {
                *colon = 0;
                errno = 0;
                level = strtol(colon + 1, &end, 10);
                if (errno || end == colon + 1 || *end || level < -1000 || level > 1000)
                        return log_error_errno(-EINVAL, "'%s': invalid compression level", s);
        }
        c = initramfs_codec_from_string(name);
        if (c < 0)
                return log_error_errno(-EINVAL, "'%s': unknown compression (zstd, xz, gzip, lz4 or none)", s);
        r = check_level(c, (int) level);
        if (r < 0)
                return r;
        *ret_codec = c;
        *ret_level = (int) level;
        return 0;
}

int initramfs_compress_supported(const struct kconfig *kc, const char *kver, enum initramfs_codec c) {
        const char *opt;

        if ((unsigned) c >= _INITRAMFS_CODEC_MAX)
                return -EINVAL;
        opt = codecs[c].kconfig;
        if (!opt || !kc || streq_ptr(kconfig_get(kc, opt), "y"))
                return 0;
        return log_error_errno(-EOPNOTSUPP, "kernel '%s' cannot decompress a %s initramfs (CONFIG_%s is not set)",
                               kver, codecs[c].name, opt);
}

int compressor_new(enum initramfs_codec codec, int level, initramfs_sink_fn sink, void *userdata,
                   struct compressor **ret) {
        struct compressor *c;
        int r;

        if ((unsigned) codec >= _INITRAMFS_CODEC_MAX)
                return -EINVAL;
        r = check_level(codec, level);
        if (r < 0)
                return r;
        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->codec = &codecs[codec];
        c->level = initramfs_codec_level(codec, level);
        c->sink = sink;
        c->userdata = userdata;
        r = c->codec->init(c);
        if (r < 0) {
                compressor_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int compressor_write(struct compressor *c, const void *buf, size_t len) {
        const uint8_t *p = buf;

        while (len > 0) {
                size_t n = len < WRITE_CHUNK ? len : WRITE_CHUNK;
                int r = c->codec->write(c, p, n);
                if (r < 0)
                        return r;
                p += n;
                len -= n;
        }
        return 0;
}

int compressor_sink(void *userdata, const void *buf, size_t len) {
        return compressor_write(userdata, buf, len);
}

int compressor_finish(struct compressor *c) { return c->codec->finish(c); }

struct compressor *compressor_free(struct compressor *c) {
        if (!c)
                return NULL;
        c->codec->done(c);
        free(c->out);
        free(c);
        return NULL;
}
