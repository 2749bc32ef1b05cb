/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/fs.h"

/* One writer per root: an flock(2) on ROOT/var/lib/distkernel/lock. The kernel
 * drops it when the holder dies, so a killed run never blocks the next one. */
enum lock_flags {
        LOCK_NO_WAIT = 1u << 0,
};

/* Takes the lock; returns the fd (keep it open while holding the lock), -EAGAIN
 * with LOCK_NO_WAIT when another process holds it. *ret_waited tells whether it
 * had to wait (the CLI says so); before waiting it logs (info) the pid of the
 * holder, as /proc/locks gives it. Nothing is written to the lock file. */
int lock_take(const struct root *root, enum lock_flags flags, bool *ret_waited);
