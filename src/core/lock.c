/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>
#include "core/lock.h"
#include "core/state.h"
#include "util/log.h"

/* The holder writes its pid into the lock file, for the message of a waiter. */
static void record_holder(int fd) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%ld\n", (long) getpid());

        if (ftruncate(fd, 0) == 0)
                (void) fd_write_all(fd, buf, (size_t) n);
}

static long read_holder(int fd) {
        char buf[32] = "";
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        char *end;
        long pid;

        if (n <= 0)
                return 0;
        buf[n] = 0;
        pid = strtol(buf, &end, 10);
        return pid > 0 && (*end == '\n' || *end == 0) ? pid : 0;
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
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
                record_holder(fd);
                return TAKE_FD(fd);
        }
        if (errno != EWOULDBLOCK)
                return log_error_errno(-errno, "'%s/lock': %s", STATE_DIR, strerror(errno));
        if (flags & LOCK_NO_WAIT)
                return -EAGAIN;
        holder = read_holder(fd);
        if (holder > 0)
                log_info("waiting for another distkernel (pid %ld) working on this root to finish", holder);
        else
                log_info("waiting for another distkernel working on this root to finish");
        *ret_waited = true;
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return log_error_errno(-errno, "'%s/lock': %s", STATE_DIR, strerror(errno));
        record_holder(fd);
        return TAKE_FD(fd);
}
