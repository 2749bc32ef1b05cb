/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "initramfs/cpio.h"
#include "initramfs/initramfs.h"

/* Streaming compressors for the image, one table entry per codec (compress.c),
 * each producing what the kernel's initramfs loader reads:
 *   zstd  a zstd frame with a content checksum, multithreaded: ZSTD_c_nbWorkers
 *         = the CPUs we may run on, at most 8, and 2 MiB jobs. With nbWorkers
 *         >= 1 and a fixed job size the output does not depend on the number
 *         of workers (reproducible across machines); the job size bounds the
 *         memory (about 23 MiB with 2 workers, 40 MiB with 8, at level 3)
 *   xz    an .xz stream with a CRC32 check (the kernel's xz decoder knows no
 *         other), LZMA2 with the preset's settings and a 1 MiB dictionary, as
 *         the kernel's own usr/Makefile does (bounds our memory and the boot's)
 *   gzip  a gzip member (deflate, mtime 0 in the header)
 *   lz4   the legacy frame: magic 0x184C2102, then blocks of 8 MiB of input,
 *         each a 32-bit little-endian compressed size and the LZ4 block;
 *         levels 1-2 LZ4_compress_default, 3-12 LZ4_compress_HC
 *   none  the bytes as they are
 * Output goes to a sink (see cpio.h). */

struct compressor;

/* level 0: the codec's default. -EINVAL for a level out of range. */
int compressor_new(enum initramfs_codec codec, int level, initramfs_sink_fn sink, void *userdata,
                   struct compressor **ret);
int compressor_write(struct compressor *c, const void *buf, size_t len);
/* An initramfs_sink_fn writing into the compressor (userdata: the compressor). */
int compressor_sink(void *userdata, const void *buf, size_t len);
/* Ends the stream and flushes everything to the sink. */
int compressor_finish(struct compressor *c);
struct compressor *compressor_free(struct compressor *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct compressor *, compressor_free)
#define _cleanup_compressor_ _cleanup_(compressor_freep)

/* Reading kernel modules decompressed (.ko.xz, .ko.zst, .ko.gz; koread.c). */
struct ko_reader;
/* Takes over fd. */
int ko_reader_new(int fd, enum module_compress c, struct ko_reader **ret);
/* Like read(2): bytes read, 0 at the end, -EBADMSG for corrupt data. */
ssize_t ko_reader_read(struct ko_reader *r, void *buf, size_t len);
struct ko_reader *ko_reader_free(struct ko_reader *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ko_reader *, ko_reader_free)
#define _cleanup_ko_reader_ _cleanup_(ko_reader_freep)
/* The decompressed size of the module file open at fd (left at an unspecified
 * offset): st_size when uncompressed, from the index of a single-stream .xz,
 * else by decompressing it once. */
int ko_decompressed_size(int fd, enum module_compress c, uint64_t *ret);
/* The compression a module's file name says (".ko.xz" ...), NONE for ".ko". */
enum module_compress ko_compress_from_path(const char *path);
