/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include "util/macro.h"

/* A streaming writer of cpio "newc" archives, the format the kernel unpacks
 * into its rootfs (Documentation/driver-api/early-userspace/buffer-format.rst):
 * per entry a 110-byte header "070701" + 13 fields of 8 hex digits (ino, mode,
 * uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
 * namesize with its NUL, check), the name and its NUL padded to a multiple of
 * 4, the data padded to a multiple of 4; then "TRAILER!!!", and the whole
 * padded with zeros to a multiple of 512 bytes.
 *
 * Deterministic: uid and gid 0, every mtime the one given, inodes numbered 1,
 * 2, ... in write order, nlink 2 for directories and 1 otherwise, devmajor and
 * devminor 0. Entries must come in strictly increasing cpio_path_compare()
 * order (so parents before children, no duplicates): -EINVAL otherwise. A
 * directory missing between the previous entry and the next one is written
 * first (mode 0755), so a caller need not list parents.
 *
 * Output goes through an internal 64 KiB buffer to the sink; the first sink
 * error is returned by that call and every later one. */

/* Consumes len bytes; returns 0 or a negative errno. */
typedef int (*initramfs_sink_fn)(void *userdata, const void *buf, size_t len);

/* A sink writing to an fd (userdata: a pointer to the int fd). */
int initramfs_sink_fd(void *userdata, const void *buf, size_t len);

/* Orders paths component by component: "a" < "a/b" < "a-b" (a '/' sorts before
 * every other byte), so a directory's whole subtree follows it directly. */
int cpio_path_compare(const char *a, const char *b);
/* A relative path of non-empty components, none "." or "..", no leading or
 * trailing '/', at most 4095 bytes. */
bool cpio_path_is_valid(const char *p);

struct cpio_writer;
/* -ERANGE when mtime does not fit the format (32 bits). */
int cpio_writer_new(initramfs_sink_fn sink, void *userdata, int64_t mtime, struct cpio_writer **ret);
struct cpio_writer *cpio_writer_free(struct cpio_writer *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cpio_writer *, cpio_writer_free)
#define _cleanup_cpio_writer_ _cleanup_(cpio_writer_freep)

/* perm: permission bits (07777). */
int cpio_writer_dir(struct cpio_writer *w, const char *path, mode_t perm);
int cpio_writer_symlink(struct cpio_writer *w, const char *path, const char *target);
int cpio_writer_chardev(struct cpio_writer *w, const char *path, mode_t perm, unsigned major, unsigned minor);
/* A regular file from memory. */
int cpio_writer_file(struct cpio_writer *w, const char *path, mode_t perm, const void *data, size_t size);
/* A regular file streamed: begin with its size (at most 4 GiB - 1, -EFBIG
 * beyond), then data in any pieces, then end. More or fewer bytes than
 * announced is -EBADMSG. */
int cpio_writer_file_begin(struct cpio_writer *w, const char *path, mode_t perm, uint64_t size);
int cpio_writer_file_data(struct cpio_writer *w, const void *buf, size_t len);
int cpio_writer_file_end(struct cpio_writer *w);
/* Writes the trailer and the padding and flushes the buffer to the sink. */
int cpio_writer_finish(struct cpio_writer *w);
/* Bytes produced so far (including what is still buffered). */
uint64_t cpio_writer_offset(const struct cpio_writer *w);
