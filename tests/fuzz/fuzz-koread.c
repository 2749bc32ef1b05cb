/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: reading kernel module files decompressed
 * (src/initramfs/koread.c), which the builtin generator does for every module
 * it puts in an initramfs. Byte 0 picks the compression (none, gzip, xz,
 * zstd) and the mode, byte 1 the size of the reads; the rest is the payload.
 *  - mode "compress": the payload is compressed here with the codec's own
 *    library (in one or two concatenated streams/members/frames, as module
 *    files may be), and ko_reader_read() must give back exactly the payload,
 *    ko_decompressed_size() its length, whatever the read size;
 *  - mode "raw": the payload is the module file as is: reading ends with 0
 *    or -EBADMSG, never another error, and when it ends well
 *    ko_decompressed_size() agrees with the bytes read. Output is capped, so
 *    a decompression bomb only costs time up to the cap.
 * Seeds: tests/fuzz/corpus/koread/. Build and run:
 *   clang -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-koread.c src/initramfs/koread.c src/kernel/kernel.c src/kernel/kver.c \
 *         src/util/{log,strv,fs}.c -llzma -lzstd -lz -o /tmp/fuzz-koread
 *   mkdir -p /tmp/corpus-ko && /tmp/fuzz-koread -dict=tests/fuzz/koread.dict \
 *         -max_total_time=60 /tmp/corpus-ko tests/fuzz/corpus/koread
 */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include "initramfs/compress.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX (8u << 20)

static size_t gzip_compress(const uint8_t *in, size_t len, uint8_t *out, size_t size) {
        z_stream z = {};

        check(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        z.next_in = (uint8_t *) in;
        z.avail_in = (uInt) len;
        z.next_out = out;
        z.avail_out = (uInt) size;
        check(deflate(&z, Z_FINISH) == Z_STREAM_END);
        deflateEnd(&z);
        return size - z.avail_out;
}

static size_t xz_compress(const uint8_t *in, size_t len, uint8_t *out, size_t size) {
        size_t pos = 0;

        check(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL, in, len, out, &pos, size) == LZMA_OK);
        return pos;
}

static size_t zstd_compress(const uint8_t *in, size_t len, uint8_t *out, size_t size) {
        size_t n = ZSTD_compress(out, size, in, len, 1);

        check(!ZSTD_isError(n));
        return n;
}

static size_t compress_with(enum module_compress c, const uint8_t *in, size_t len, uint8_t *out, size_t size) {
        switch (c) {
        case MODULE_COMPRESS_GZIP:
                return gzip_compress(in, len, out, size);
        case MODULE_COMPRESS_XZ:
                return xz_compress(in, len, out, size);
        case MODULE_COMPRESS_ZSTD:
                return zstd_compress(in, len, out, size);
        default:
                memcpy(out, in, len);
                return len;
        }
}

static int memfd_with(const void *buf, size_t len) {
        int fd = memfd_create("ko", MFD_CLOEXEC);

        check(fd >= 0);
        check(write(fd, buf, len) == (ssize_t) len);
        return fd;
}

/* Reads fd decompressed in chunks of chunk bytes into *ret (at most OUT_MAX,
 * *capped then); returns the last ko_reader_read() result (0 at the end). */
static ssize_t read_all(int fd, enum module_compress c, size_t chunk, uint8_t **ret, size_t *ret_len, bool *capped) {
        struct ko_reader *r = NULL;
        uint8_t *out = NULL, *buf = malloc(chunk);
        size_t n = 0, alloc = 0;
        ssize_t k;

        check(buf);
        check(ko_reader_new(fcntl(fd, F_DUPFD_CLOEXEC, 3), c, &r) == 0);
        *capped = false;
        while ((k = ko_reader_read(r, buf, chunk)) > 0) {
                check((size_t) k <= chunk);
                if (n + (size_t) k > OUT_MAX) {
                        *capped = true;
                        break;
                }
                if (n + (size_t) k > alloc) {
                        alloc = 2 * (n + (size_t) k);
                        out = realloc(out, alloc);
                        check(out);
                }
                memcpy(out + n, buf, (size_t) k);
                n += (size_t) k;
        }
        ko_reader_free(r);
        free(buf);
        *ret = out;
        *ret_len = n;
        return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const size_t chunks[] = { 1, 7, 512, 4096, 65536, 200000 };
        enum module_compress c;
        bool raw, capped;
        size_t chunk, len, n, out_len;
        const uint8_t *p;
        uint8_t *file, *out;
        uint64_t dsize = 0;
        ssize_t k;
        int fd, r;

        if (size < 2 || size > 256 * 1024)
                return 0;
        c = (enum module_compress) (data[0] % _MODULE_COMPRESS_MAX);
        raw = data[0] & 4;
        chunk = chunks[data[1] % (sizeof chunks / sizeof *chunks)];
        p = data + 2;
        len = size - 2;

        if (raw) {
                fd = memfd_with(p, len);
                k = read_all(fd, c, chunk, &out, &out_len, &capped);
                check(k == 0 || k == -EBADMSG || capped);
                if (k == 0 && !capped) {
                        r = ko_decompressed_size(fd, c, &dsize);
                        check(r == 0);
                        check(dsize == out_len);
                }
        } else {
                size_t bound = 2 * (len + 1024) + 2 * ZSTD_compressBound(len) + 65536;
                size_t half = data[1] & 0x80 ? len / 2 : len; /* two streams, one after the other */
                file = malloc(bound);
                check(file);
                n = compress_with(c, p, half, file, bound);
                if (half < len)
                        n += compress_with(c, p + half, len - half, file + n, bound - n);
                fd = memfd_with(file, n);
                free(file);
                k = read_all(fd, c, chunk, &out, &out_len, &capped);
                check(k == 0 && !capped);
                check(out_len == len && (len == 0 || memcmp(out, p, len) == 0));
                check(ko_decompressed_size(fd, c, &dsize) == 0);
                check(dsize == len);
        }
        free(out);
        close(fd);
        return 0;
}
