/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>
#include "util/macro.h"

/* Starting programs: an argv array, an explicit environment and working
 * directory, and the fds for stdin/stdout/stderr. The program is looked up in
 * PATH before fork; an exec failure in the child is reported back over a
 * close-on-exec pipe, so failing to start is an error (-errno) while a non-zero
 * exit is a result. Shell code is run only as {"bash", "-c", code}. */
/* Who the child runs as: root gives up its supplementary groups, then its gid
 * and uid (real, effective, saved), sets no_new_privs (a setuid program cannot
 * bring root back) and umask 022, and checks that root cannot be regained. */
struct spawn_user {
        uid_t uid;
        gid_t gid;
};

struct spawn {
        const char *const *argv;
        char *const *envp;      /* NULL: inherit our environment */
        const char *cwd;        /* NULL: ours */
        int fd_in, fd_out, fd_err; /* -1: /dev/null; fd_err == -2: same as fd_out */
        const int *keep_fds;    /* extra fds the child inherits (jobserver) */
        size_t n_keep_fds;
        bool new_pgrp;          /* own process group, so it can be killed as a whole */
        const struct spawn_user *user; /* NULL: as we are */
};
#define SPAWN_INIT { .fd_in = -1, .fd_out = -1, .fd_err = -1 }

/* Finds a program in PATH (or returns a copy of a path with a '/'). */
int spawn_find_program(const char *name, char **ret);
/* What the child does before exec when spawn.user is set; 0 or -errno. Also for
 * tests, in a child of their own. */
int spawn_drop_privileges(const struct spawn_user *u);
int spawn_start(const struct spawn *s, pid_t *ret_pid);
/* Waits for pid; returns the exit status (0..255) or 128+signal. */
int spawn_wait(pid_t pid);
/* spawn_start() + spawn_wait(); returns the exit status or -errno. */
int spawn_run(const struct spawn *s);
/* Runs argv and captures its stdout (at most max bytes); returns the exit status. */
int spawn_capture(const char *const *argv, char *const *envp, const char *cwd, size_t max, char **ret_out);
