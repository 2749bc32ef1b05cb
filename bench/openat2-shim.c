/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench/openat2-shim.c: lets valgrind 3.19 (Debian 12), which does not know
 * openat2(2), count the instructions of distkernel. Preloaded, it serves
 * syscall(SYS_openat2, dirfd, path, how, size) with RESOLVE_IN_ROOT walked in
 * user space: one component at a time from dirfd, symbolic links read and
 * followed, absolute ones and ".." kept inside dirfd. The walk's own
 * instructions are counted apart (its function is shim_openat2) so that
 * bench/run can subtract them. Only for counting: never for a real root. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PATH 4096

/* Resolves path in root: ret gets the root-relative path with no symbolic
 * link left on the way ("." for the root itself). */
static int walk(int root, const char *path, int flags, char ret[MAX_PATH]) {
        char todo[MAX_PATH * 2], link[MAX_PATH];
        size_t done = 0;
        int links = 0;

        if (snprintf(todo, sizeof todo, "%s", path) >= (int) sizeof todo)
                return -ENAMETOOLONG;
        ret[0] = 0;
        for (char *p = todo; *p;) {
                char *end = strchrnul(p, '/'), c[256];
                size_t n = (size_t) (end - p);
                struct stat st;
                bool last;

                p = *end ? end + 1 : end;
                while (*p == '/')
                        p++;
                last = !*p;
                if (n >= sizeof c)
                        return -ENAMETOOLONG;
                memcpy(c, end - n, n);
                c[n] = 0;
                if (n == 0 || strcmp(c, ".") == 0)
                        continue;
                if (strcmp(c, "..") == 0) {
                        char *s = strrchr(ret, '/');
                        done = s ? (size_t) (s - ret) : 0;
                        ret[done] = 0;
                        continue;
                }
                if (done + n + 2 > MAX_PATH)
                        return -ENAMETOOLONG;
                if (done)
                        ret[done++] = '/';
                memcpy(ret + done, c, n + 1);
                done += n;
                if (fstatat(root, ret, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode) ||
                    (last && (flags & O_NOFOLLOW)))
                        continue;
                if (++links > 40)
                        return -ELOOP;
                ssize_t l = readlinkat(root, ret, link, sizeof link - 1);
                if (l < 0)
                        return -errno;
                link[l] = 0;
                /* drop the link's name, or everything for an absolute target */
                char *s = strrchr(ret, '/');
                done = link[0] == '/' ? 0 : s ? (size_t) (s - ret) : 0;
                ret[done] = 0;
                char rest[MAX_PATH * 2];
                if (snprintf(rest, sizeof rest, "%s/%s", link, p) >= (int) sizeof rest)
                        return -ENAMETOOLONG;
                strcpy(todo, rest);
                p = todo;
        }
        if (!ret[0])
                strcpy(ret, ".");
        return 0;
}

__attribute__((noinline)) static long shim_openat2(int dirfd, const char *path, const struct open_how *how) {
        char resolved[MAX_PATH];
        int r;

        if (dirfd == AT_FDCWD || !(how->resolve & RESOLVE_IN_ROOT))
                return openat(dirfd, path, (int) how->flags, (mode_t) how->mode);
        r = walk(dirfd, path, (int) how->flags, resolved);
        if (r < 0) {
                errno = -r;
                return -1;
        }
        return openat(dirfd, resolved, (int) how->flags, (mode_t) how->mode);
}

long syscall(long number, ...) {
        static long (*next)(long, ...);
        long a[6];
        va_list ap;

        va_start(ap, number);
        for (int i = 0; i < 6; i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
        if (number == SYS_openat2)
                return shim_openat2((int) a[0], (const char *) a[1], (const struct open_how *) a[2]);
        if (!next)
                next = (long (*)(long, ...)) dlsym(RTLD_NEXT, "syscall");
        return next(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
