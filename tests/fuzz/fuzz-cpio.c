/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the cpio "newc" writer. The input is decoded into a list of
 * entries (directories, files written in two pieces, symlinks, character
 * devices) with paths over a tiny alphabet, so that nesting, duplicates, bad
 * order, "." and ".." and files used as directories all occur. Each entry goes
 * to the writer; whether it must be accepted is predicted here independently.
 * The archive is then parsed by a reader of its own below (not the writer's
 * code) and must hold exactly the accepted entries, plus the parent
 * directories the writer adds, in order, with the fixed metadata, 4-byte
 * alignment, the trailer and zero padding to 512 bytes.
 * Seeds: tests/fuzz/corpus/cpio/.
 * Build and run (a scratch corpus first, new inputs go there):
 *   clang -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-cpio.c src/initramfs/cpio.c src/util/{log,strv,fs}.c -o /tmp/fuzz-cpio
 *   mkdir -p /tmp/corpus-cpio && /tmp/fuzz-cpio -max_total_time=60 /tmp/corpus-cpio tests/fuzz/corpus/cpio
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "initramfs/cpio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENTRIES 64
#define MAX_OUT (1u << 20)

struct ent {
        char path[32];
        unsigned mode;          /* with the type bits */
        char data[256];
        size_t len;
        unsigned rmajor, rminor;
        bool implicit;          /* a parent the writer added */
};

struct out {
        uint8_t *buf;
        size_t len;
};

static int sink(void *u, const void *buf, size_t len) {
        struct out *o = u;
        if (o->len + len > MAX_OUT)
                return -ENOSPC;
        memcpy(o->buf + o->len, buf, len);
        o->len += len;
        return 0;
}

/* ------------------------------------------------- the independent model */

/* Component order: '/' below every other byte, end of string below both. */
static int cmp(const char *a, const char *b) {
        size_t i = 0;
        while (a[i] && a[i] == b[i])
                i++;
        int ca = a[i] == 0 ? -2 : a[i] == '/' ? -1 : (unsigned char) a[i];
        int cb = b[i] == 0 ? -2 : b[i] == '/' ? -1 : (unsigned char) b[i];
        return ca - cb;
}

static bool valid(const char *p) {
        size_t n = strlen(p);
        if (n == 0 || p[0] == '/' || p[n - 1] == '/' || strstr(p, "//"))
                return false;
        char tmp[34];
        snprintf(tmp, sizeof tmp, "/%s/", p);
        return !strstr(tmp, "/./") && !strstr(tmp, "/../");
}

/* Whether a proper ancestor of p was written as a non-directory. */
static bool under_file(const struct ent *w, size_t n, const char *p) {
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(w[i].path);
                if (!S_ISDIR(w[i].mode) && strncmp(p, w[i].path, l) == 0 && p[l] == '/')
                        return true;
        }
        return false;
}

static bool is_ancestor_or_self(const char *anc, size_t n, const char *p) {
        return strncmp(anc, p, n) == 0 && (p[n] == 0 || p[n] == '/');
}

/* ------------------------------------------------------ the input decoder */

struct input {
        const uint8_t *d;
        size_t n, i;
};

static uint8_t next(struct input *in) { return in->i < in->n ? in->d[in->i++] : 0; }

static void decode(struct input *in, struct ent *e) {
        static const char alphabet[] = "ab/./-z";
        uint8_t op = next(in), plen = next(in) % 10 + 1;

        memset(e, 0, sizeof *e);
        for (size_t i = 0; i < plen; i++)
                e->path[i] = alphabet[next(in) % (sizeof alphabet - 1)];
        switch (op & 3) {
        case 0:
                e->mode = S_IFDIR | (0700 | (op & 0077));
                return;
        case 3:
                e->mode = S_IFCHR | 0600;
                e->rmajor = next(in);
                e->rminor = next(in);
                return;
        case 2:
                e->mode = S_IFLNK | 0777;
                break;
        default:
                e->mode = S_IFREG | (0400 | ((op >> 2) & 0377));
        }
        e->len = next(in) % 64;
        for (size_t i = 0; i < e->len; i++)
                e->data[i] = (char) (next(in) | (S_ISLNK(e->mode) ? 1 : 0)); /* no NUL in a link target */
}

static int write_one(struct cpio_writer *w, const struct ent *e, uint8_t split) {
        int r;

        if (S_ISDIR(e->mode))
                return cpio_writer_dir(w, e->path, e->mode & 07777);
        if (S_ISCHR(e->mode))
                return cpio_writer_chardev(w, e->path, e->mode & 07777, e->rmajor, e->rminor);
        if (S_ISLNK(e->mode)) {
                char target[257];
                memcpy(target, e->data, e->len);
                target[e->len] = 0;
                return cpio_writer_symlink(w, e->path, target);
        }
        r = cpio_writer_file_begin(w, e->path, e->mode & 07777, e->len);
        size_t a = split % (e->len + 1);
        if (r >= 0)
                r = cpio_writer_file_data(w, e->data, a);
        if (r >= 0)
                r = cpio_writer_file_data(w, e->data + a, e->len - a);
        if (r >= 0)
                r = cpio_writer_file_end(w);
        return r;
}

/* --------------------------------------------------- the independent reader */

static unsigned long hex8(const uint8_t *p) {
        unsigned long v = 0;
        for (int i = 0; i < 8; i++) {
                int c = p[i];
                if (c >= '0' && c <= '9')
                        v = v * 16 + (unsigned) (c - '0');
                else if (c >= 'A' && c <= 'F')
                        v = v * 16 + (unsigned) (c - 'A' + 10);
                else
                        abort(); /* the writer uses upper-case hex only */
        }
        return v;
}

static size_t align4(size_t x) { return (x + 3) & ~(size_t) 3; }

/* Parses the archive into r (at most max); returns the count; aborts on any
 * violation of the format or of the fixed metadata. */
static size_t read_archive(const struct out *o, uint32_t mtime, struct ent *r, size_t max) {
        size_t off = 0, n = 0;

        for (;;) {
                if (off % 4 || off + 110 > o->len || memcmp(o->buf + off, "070701", 6) != 0)
                        abort();
                const uint8_t *h = o->buf + off;
                unsigned long f[13];
                for (int i = 0; i < 13; i++)
                        f[i] = hex8(h + 6 + 8 * i);
                size_t namesize = f[11], filesize = f[6];
                if (namesize < 2 || off + 110 + namesize > o->len || h[110 + namesize - 1] != 0 ||
                    strlen((const char *) h + 110) != namesize - 1 || f[2] || f[3] || f[7] || f[8] || f[12])
                        abort();
                const char *name = (const char *) h + 110;
                size_t data = align4(off + 110 + namesize);
                if (data + filesize > o->len)
                        abort();
                if (strcmp(name, "TRAILER!!!") == 0) {
                        if (f[0] || f[1] || f[4] != 1 || filesize)
                                abort();
                        off = data;
                        break;
                }
                if (n == max || namesize > sizeof r[n].path || filesize > sizeof r[n].data || f[0] != n + 1 ||
                    f[5] != mtime || f[4] != (S_ISDIR(f[1]) ? 2u : 1u))
                        abort();
                memset(&r[n], 0, sizeof r[n]);
                memcpy(r[n].path, name, namesize);
                r[n].mode = (unsigned) f[1];
                r[n].rmajor = (unsigned) f[9];
                r[n].rminor = (unsigned) f[10];
                memcpy(r[n].data, o->buf + data, filesize);
                r[n].len = filesize;
                n++;
                off = align4(data + filesize);
        }
        if (o->len % 512 || o->len < off)
                abort();
        for (size_t i = off; i < o->len; i++)
                if (o->buf[i])
                        abort();
        return n;
}

/* -------------------------------------------------------------- checking */

static void check(const struct ent *want, size_t nw, const struct ent *got, size_t ng) {
        size_t j = 0;

        for (size_t i = 0; i < ng; i++) {
                const struct ent *g = &got[i];
                if (i > 0 && cmp(got[i - 1].path, g->path) >= 0)
                        abort();
                const char *slash = strrchr(g->path, '/');
                if (slash) { /* its parent is the closest earlier directory on its way */
                        size_t pl = (size_t) (slash - g->path);
                        bool found = false;
                        for (size_t k = i; k-- > 0 && !found;)
                                found = strlen(got[k].path) == pl && is_ancestor_or_self(got[k].path, pl, g->path) &&
                                        S_ISDIR(got[k].mode);
                        if (!found)
                                abort();
                }
                if (j < nw && strcmp(want[j].path, g->path) == 0) {
                        const struct ent *e = &want[j++];
                        if (e->mode != g->mode || e->len != g->len || memcmp(e->data, g->data, e->len) != 0 ||
                            e->rmajor != g->rmajor || e->rminor != g->rminor)
                                abort();
                } else if (g->mode != (S_IFDIR | 0755) || g->len)
                        abort(); /* an added parent */
        }
        if (j != nw)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct ent want[MAX_ENTRIES], got[4 * MAX_ENTRIES];
        struct input in = { data, size, 0 };
        struct out o = { malloc(MAX_OUT), 0 };
        struct cpio_writer *w = NULL;
        uint32_t mtime = (uint32_t) next(&in) << 24 | next(&in);
        size_t nw = 0, ng;
        const char *last = "";

        if (!o.buf || cpio_writer_new(sink, &o, mtime, &w) < 0)
                abort();
        while (in.i < in.n && nw < MAX_ENTRIES) {
                struct ent e;
                decode(&in, &e);
                uint8_t split = next(&in);
                bool accept = valid(e.path) && (!*last || cmp(last, e.path) < 0) && !under_file(want, nw, e.path) &&
                              !(S_ISLNK(e.mode) && e.len == 0);
                int r = write_one(w, &e, split);
                if ((r >= 0) != accept)
                        abort();
                if (r >= 0) {
                        want[nw] = e;
                        last = want[nw++].path;
                }
        }
        if (cpio_writer_finish(w) < 0)
                abort();
        if (cpio_writer_offset(w) != o.len)
                abort();
        ng = read_archive(&o, mtime, got, 4 * MAX_ENTRIES);
        check(want, nw, got, ng);
        cpio_writer_free(w);
        free(o.buf);
        return 0;
}
