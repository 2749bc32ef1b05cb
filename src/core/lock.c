/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "core/lock.h"
#include "core/state.h"
#include "util/log.h"

/* The pid holding the flock on fd, from /proc/locks ("1: FLOCK  ADVISORY
 * WRITE PID MAJ:MIN:INODE 0 EOF", device numbers in hex; waiters' lines have
 * "->" before FLOCK), 0 when unknown. Nothing is written: a run that only
 * takes the lock leaves the root as it was. */
static long lock_holder(int fd) {
        _cleanup_free_ char *line = NULL;
        struct stat st;
        size_t n = 0;
        long holder = 0;
        FILE *f;

        if (fstat(fd, &st) < 0 || !(f = fopen("/proc/locks", "re")))
                return 0;
        while (holder == 0 && getline(&line, &n, f) > 0) {
                unsigned maj, min;
                unsigned long ino;
                long pid;
                if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &pid, &maj, &min, &ino) == 4 &&
                    maj == major(st.st_dev) && min == minor(st.st_dev) && ino == st.st_ino && pid > 0)
                        holder = pid;
        }
        fclose(f);
        return holder;
}

int lock_take(const struct root *root, enum lock_flags flags, bool *ret_waited) {
        _cleanup_close_ int fd = -EBADF;
        long holder;
        int r;

        r = fs_mkdir_p(root->fd, STATE_DIR, 0755);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot create: %s", STATE_DIR, strerror(-r));
        fd = fs_open(root->fd, STATE_DIR "/lock", O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_error_errno(fd, "'%s/lock': cannot open: %s", STATE_DIR, strerror(-fd));
        *ret_waited = false;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                return TAKE_FD(fd);
        if (errno != EWOULDBLOCK)
                return log_error_errno(-errno, "'%s/lock': %s", STATE_DIR, strerror(errno));
        if (flags & LOCK_NO_WAIT)
                return -EAGAIN;
        holder = lock_holder(fd);
        if (holder > 0)
                log_info("waiting for another distkernel (pid %ld) working on this root to finish", holder);
        else
                log_info("waiting for another distkernel working on this root to finish");
        *ret_waited = true;
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return log_error_errno(-errno, "'%s/lock': %s", STATE_DIR, strerror(errno));
        return TAKE_FD(fd);
}
