/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>
#include "util/macro.h"

/* The executor runs a graph of jobs in parallel. Jobs that need a CPU slot
 * ("token" jobs, e.g. module builds) are bounded by -j through a GNU make
 * jobserver that we own: the builds' own makes take their extra slots from the
 * same pool, so the whole tree of compilers never exceeds -j. A failed job
 * blocks only the jobs that depend on it. */

#define EXEC_BLOCKED (-10000) /* finish() status when a dependency failed */

struct exec_job_ops {
        /* Starts the job: returns <0 on failure, or 0 with *ret_pid the child to
         * wait for, or 0 with *ret_pid == 0 when it completed inline. */
        int (*start)(void *userdata, pid_t *ret_pid);
        /* Called once, in the parent, with the child's exit status (0..255,
         * 128+signal), 0 for an inline job, start()'s error, or EXEC_BLOCKED.
         * Returns <0 when the job is to be considered failed. */
        int (*finish)(void *userdata, int status);
};

struct exec;
struct exec *exec_new(unsigned n_jobs);
struct exec *exec_free(struct exec *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct exec *, exec_free)
#define _cleanup_exec_ _cleanup_(exec_freep)

int exec_add(struct exec *e, const struct exec_job_ops *ops, void *userdata, bool needs_token, size_t *ret_id);
/* job runs after on succeeded; a failure of on blocks job. */
int exec_depend(struct exec *e, size_t job, size_t on);
/* job runs after on finished, whatever its outcome. */
int exec_depend_soft(struct exec *e, size_t job, size_t on);
/* Calls tick at least every interval_ms while jobs run (and after each job
 * finished), in the parent: a progress display redraws from it. */
void exec_set_tick(struct exec *e, void (*tick)(void *userdata), void *userdata, int interval_ms);
/* Runs every job; returns the number of failed or blocked jobs, or -errno. */
int exec_run(struct exec *e);
/* The jobserver: fds to keep open in children and the MAKEFLAGS value
 * (e.g. " -j2 --jobserver-auth=5,6"); NULL when no jobserver could be set up. */
const char *exec_makeflags(struct exec *e, int ret_fds[2]);
unsigned exec_jobs(struct exec *e);
