/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LD_PRELOAD shim for running distkernel under valgrind 3.19 (Debian 12),
 * which does not know openat2(2) and fails it with ENOSYS. Overrides
 * syscall(3): an openat2 that fails with ENOSYS is emulated with openat(2),
 * resolving RESOLVE_IN_ROOT / RESOLVE_BENEATH paths component by component
 * below the directory fd (symlinks followed inside it, ".." stopping at it).
 * For tests on sandbox roots only: it is not race-free like the kernel's. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef long (*syscall_fn)(long, ...);

/* Appends component c (length n) to the resolved path cur. */
static int push(char *cur, const char *c, size_t n) {
        size_t l = strlen(cur);

        if (l + 1 + n + 1 > PATH_MAX)
                return -ENAMETOOLONG;
        if (l)
                cur[l++] = '/';
        memcpy(cur + l, c, n);
        cur[l + n] = 0;
        return 0;
}

static void pop(char *cur) {
        char *s = strrchr(cur, '/');

        if (s)
                *s = 0;
        else
                cur[0] = 0;
}

static long emulate(int dirfd, const char *path, const struct open_how *how) {
        char cur[PATH_MAX] = "", todo[2 * PATH_MAX], target[PATH_MAX];
        int links = 0;
        const char *p;

        if (!(how->resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH)))
                return openat(dirfd, path, (int) how->flags, (mode_t) how->mode);
        if (strlen(path) >= sizeof todo)
                return errno = ENAMETOOLONG, -1;
        strcpy(todo, path);
        p = todo;
        while (*p) {
                size_t n = strcspn(p, "/");
                const char *c = p, *rest = p + n + (p[n] == '/');
                bool last = *rest == 0;
                struct stat st;
                ssize_t k;
                int r;

                p = rest;
                if (n == 0 || (n == 1 && c[0] == '.'))
                        continue;
                if (n == 2 && c[0] == '.' && c[1] == '.') {
                        if (!cur[0] && (how->resolve & RESOLVE_BENEATH))
                                return errno = EXDEV, -1;
                        pop(cur);
                        continue;
                }
                r = push(cur, c, n);
                if (r < 0)
                        return errno = -r, -1;
                if (fstatat(dirfd, cur, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
                        continue;
                if (last && (how->flags & (O_NOFOLLOW | O_PATH)) == (O_NOFOLLOW | O_PATH))
                        break;
                if (last && (how->flags & O_NOFOLLOW))
                        return errno = ELOOP, -1;
                if (how->resolve & RESOLVE_NO_SYMLINKS || ++links > 40)
                        return errno = ELOOP, -1;
                k = readlinkat(dirfd, cur, target, sizeof target - 1);
                if (k < 0)
                        return -1;
                target[k] = 0;
                pop(cur);
                if (target[0] == '/') {
                        if (how->resolve & RESOLVE_BENEATH)
                                return errno = EXDEV, -1;
                        cur[0] = 0;
                }
                if (strlen(target) + 1 + strlen(p) + 1 > sizeof todo)
                        return errno = ENAMETOOLONG, -1;
                memmove(todo + strlen(target) + 1, p, strlen(p) + 1);
                memcpy(todo, target, strlen(target));
                todo[strlen(target)] = '/';
                p = todo;
        }
        return openat(dirfd, cur[0] ? cur : ".", (int) how->flags, (mode_t) how->mode);
}

long syscall(long n, ...) {
        static syscall_fn real;
        long a[6], r;
        va_list ap;

        if (!real)
                real = (syscall_fn) dlsym(RTLD_NEXT, "syscall");
        va_start(ap, n);
        for (int i = 0; i < 6; i++)
                a[i] = va_arg(ap, long);
        va_end(ap);
        r = real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (n == SYS_openat2 && r < 0 && errno == ENOSYS)
                r = emulate((int) a[0], (const char *) a[1], (const struct open_how *) a[2]);
        return r;
}
