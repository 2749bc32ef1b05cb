/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/file.h>
#include "core/lock.h"
#include "core/state.h"
#include "util/log.h"

int lock_take(const struct root *root, enum lock_flags flags, bool *ret_waited) {
        _cleanup_close_ int fd = -EBADF;
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
        log_info("waiting for another distkernel working on this root to finish");
        *ret_waited = true;
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return log_error_errno(-errno, "'%s/lock': %s", STATE_DIR, strerror(errno));
        return TAKE_FD(fd);
}
