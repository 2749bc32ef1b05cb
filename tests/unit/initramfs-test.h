/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Helpers of the initramfs unit tests (test-initramfs.c, test-initramfs-image.c):
 * a log sink that keeps the messages, temporary directories, running the real
 * tools (cpio, the decompressors, modprobe) with files as stdin/stdout. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include "test.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

static struct strbuf logged = STRBUF_INIT;
static inline void capture(void *u, enum log_level level, const char *msg) {
        strbuf_printf(&logged, "%d %s\n", (int) level, msg);
}
__attribute__((constructor)) static void setup_log(void) {
        log_set_sink(capture, NULL);
        log_set_max_level(LOG_INFO);
}
static inline void log_clear(void) { strbuf_done(&logged); }
static inline bool log_has(const char *s) { return logged.buf && strstr(logged.buf, s); }

static inline char *tmpdir(void) {
        char t[] = "/tmp/dk-ir-XXXXXX";
        return mkdtemp(t) ? strdup(t) : NULL;
}

static inline void rmtree(char *d) {
        _cleanup_free_ char *cmd = d ? strdup_printf("rm -rf '%s'", d) : NULL;
        if (cmd && system(cmd) != 0)
                fprintf(stderr, "cleanup of %s failed\n", d);
        free(d);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char *, rmtree)
#define _cleanup_rmtree_ _cleanup_(rmtreep)

/* Runs argv with stdin/stdout from/to host files (NULL: /dev/null) in cwd; the exit status. */
static inline int run_io(const char *cwd, const char *in, const char *out, const char *const *argv) {
        _cleanup_close_ int fin = in ? open(in, O_RDONLY | O_CLOEXEC) : -1;
        _cleanup_close_ int fout = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
        struct spawn s = SPAWN_INIT;

        if ((in && fin < 0) || (out && fout < 0))
                return -errno;
        s.argv = argv;
        s.cwd = cwd;
        s.fd_in = fin;
        s.fd_out = fout;
        return spawn_run(&s);
}
#define RUN(cwd, in, out, ...) run_io(cwd, in, out, (const char *const[]) { __VA_ARGS__, NULL })

static inline bool have_program(const char *name) {
        _cleanup_free_ char *p = NULL;
        return spawn_find_program(name, &p) >= 0;
}

static inline int write_host(const char *path, const void *data, size_t len) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        return fd < 0 ? -errno : fd_write_all(fd, data, len);
}

static inline char *read_host(const char *path, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        char *s = NULL;
        if (fd < 0 || fd_read_all(fd, 512u << 20, &s, ret_len) < 0)
                return NULL;
        return s;
}

static inline char *hash_host(const char *path) {
        size_t n = 0;
        _cleanup_free_ char *s = read_host(path, &n);
        char *h = malloc(HASH_HEX_LEN);
        if (!s || !h)
                return mfree(h);
        hash_buf(s, n, h);
        return h;
}

/* Compressible test data: words picked by an LCG. */
static inline uint8_t *make_data(size_t n, uint32_t seed) {
        static const char *const words[] = { "initramfs ", "module ", "kernel ", "zstd ", "\n", "firmware ",
                                             "\x01\x02\x03", "cpio ", "alias ", "virtio " };
        uint8_t *d = malloc(n);
        for (size_t i = 0; d && i < n;) {
                const char *w;
                seed = seed * 1103515245u + 12345u;
                w = words[(seed >> 16) % ELEMENTSOF(words)];
                for (; *w && i < n; w++, i++)
                        d[i] = (uint8_t) (*w ^ ((seed >> 24) & 1 ? 0 : (uint8_t) (i & 3)));
        }
        return d;
}

/* Decompresses (tool NULL: copies) image into DIR/image.cpio and extracts it into DIR/x. */
static inline int extract(const char *image, const char *tool, const char *dir) {
        _cleanup_free_ char *cpio = strdup_printf("%s/image.cpio", dir), *x = strdup_printf("%s/x", dir);
        int r;

        if (!cpio || !x || mkdir(x, 0755) < 0)
                return -ENOMEM;
        r = tool ? RUN(NULL, image, cpio, tool, "-dc") : RUN(NULL, image, cpio, "cat");
        if (r == 0)
                r = RUN(x, cpio, NULL, "cpio", "-idm", "--quiet");
        return r;
}
