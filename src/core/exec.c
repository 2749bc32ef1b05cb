/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include "core/exec.h"
#include "util/log.h"

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE, JOB_FAILED };

struct job {
        const struct exec_job_ops *ops;
        void *userdata;
        bool needs_token, holds_token;
        enum job_state state;
        size_t *deps, n_deps;
        bool *soft;
        pid_t pid;
        int pidfd;
};

struct exec {
        unsigned n_jobs;
        struct job *jobs;
        size_t n;
        int pipe[2];     /* jobserver pipe, shared with the makes */
        int token_rd;    /* our own non-blocking read end */
        char makeflags[96];
        unsigned implicit_used; /* 0 or 1: our implicit slot */
        void (*tick)(void *userdata);
        void *tick_userdata;
        int tick_ms;
};

struct exec *exec_new(unsigned n_jobs) {
        struct exec *e = calloc(1, sizeof *e);
        char path[64];

        if (!e)
                return NULL;
        e->n_jobs = n_jobs ? n_jobs : 1;
        e->pipe[0] = e->pipe[1] = e->token_rd = -EBADF;
        if (pipe2(e->pipe, O_CLOEXEC) < 0)
                return e;
        /* A second open file description of the read end, non-blocking for us
         * only: the makes keep their blocking one. */
        snprintf(path, sizeof path, "/proc/self/fd/%d", e->pipe[0]);
        e->token_rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        for (unsigned i = 1; i < e->n_jobs && e->token_rd >= 0; i++)
                if (write(e->pipe[1], "+", 1) != 1)
                        break;
        if (e->token_rd >= 0)
                snprintf(e->makeflags, sizeof e->makeflags, " -j%u --jobserver-auth=%d,%d",
                         e->n_jobs, e->pipe[0], e->pipe[1]);
        return e;
}

struct exec *exec_free(struct exec *e) {
        if (!e)
                return NULL;
        for (size_t i = 0; i < e->n; i++) {
                free(e->jobs[i].deps);
                free(e->jobs[i].soft);
                if (e->jobs[i].state == JOB_RUNNING) {
                        kill(e->jobs[i].pid, SIGTERM);
                        waitpid(e->jobs[i].pid, NULL, 0);
                        close(e->jobs[i].pidfd);
                }
        }
        free(e->jobs);
        for (int i = 0; i < 2; i++)
                if (e->pipe[i] >= 0)
                        close(e->pipe[i]);
        if (e->token_rd >= 0)
                close(e->token_rd);
        free(e);
        return NULL;
}

const char *exec_makeflags(struct exec *e, int ret_fds[2]) {
        if (!e->makeflags[0])
                return NULL;
        ret_fds[0] = e->pipe[0];
        ret_fds[1] = e->pipe[1];
        return e->makeflags;
}

unsigned exec_jobs(struct exec *e) { return e->n_jobs; }

int exec_add(struct exec *e, const struct exec_job_ops *ops, void *userdata, bool needs_token, size_t *ret_id) {
        struct job *m = realloc(e->jobs, (e->n + 1) * sizeof *m);
        if (!m)
                return -ENOMEM;
        e->jobs = m;
        e->jobs[e->n] = (struct job) { .ops = ops, .userdata = userdata, .needs_token = needs_token,
                                       .pidfd = -EBADF };
        if (ret_id)
                *ret_id = e->n;
        e->n++;
        return 0;
}

static int depend(struct exec *e, size_t job, size_t on, bool soft) {
        struct job *j;
        size_t *m;
        bool *f;

        if (job >= e->n || on >= e->n)
                return -EINVAL;
        j = &e->jobs[job];
        m = realloc(j->deps, (j->n_deps + 1) * sizeof *m);
        if (!m)
                return -ENOMEM;
        j->deps = m;
        f = realloc(j->soft, (j->n_deps + 1) * sizeof *f);
        if (!f)
                return -ENOMEM;
        j->soft = f;
        j->soft[j->n_deps] = soft;
        j->deps[j->n_deps++] = on;
        return 0;
}

int exec_depend(struct exec *e, size_t job, size_t on) { return depend(e, job, on, false); }
int exec_depend_soft(struct exec *e, size_t job, size_t on) { return depend(e, job, on, true); }

/* 1: all deps done, 0: some pending, -1: some failed */
static int deps_state(struct exec *e, struct job *j) {
        int r = 1;
        for (size_t i = 0; i < j->n_deps; i++) {
                enum job_state s = e->jobs[j->deps[i]].state;
                if (s == JOB_FAILED && !j->soft[i])
                        return -1;
                if (s != JOB_DONE && s != JOB_FAILED)
                        r = 0;
        }
        return r;
}

static bool token_take(struct exec *e) {
        char c;
        if (!e->implicit_used) {
                e->implicit_used = 1;
                return true;
        }
        if (e->token_rd < 0)
                return false;
        return read(e->token_rd, &c, 1) == 1;
}

static void token_give(struct exec *e) {
        /* The implicit slot is returned last: as long as any token job runs, one
         * of them holds it. */
        if (e->implicit_used && e->token_rd >= 0) {
                unsigned running = 0;
                for (size_t i = 0; i < e->n; i++)
                        running += e->jobs[i].holds_token;
                if (running > 0) {
                        (void) !write(e->pipe[1], "+", 1);
                        return;
                }
        }
        e->implicit_used = 0;
}

static void finish(struct exec *e, struct job *j, int status) {
        int r = j->ops->finish(j->userdata, status);
        j->state = r < 0 || status == EXEC_BLOCKED ? JOB_FAILED : JOB_DONE;
        if (j->holds_token) {
                j->holds_token = false;
                token_give(e);
        }
}

static int start(struct exec *e, struct job *j) {
        pid_t pid = 0;
        int r;

        if (j->needs_token) {
                if (!token_take(e))
                        return 0; /* no slot now */
                j->holds_token = true;
        }
        r = j->ops->start(j->userdata, &pid);
        if (r < 0 || pid == 0) {
                finish(e, j, r < 0 ? r : 0);
                return 1;
        }
        j->pid = pid;
        j->pidfd = pidfd_open(pid, 0);
        j->state = JOB_RUNNING;
        return 1;
}

/* Starts what can start; returns whether any job waits for a token. */
static bool start_ready(struct exec *e, bool *progress) {
        bool wants_token = false;
        for (size_t i = 0; i < e->n; i++) {
                struct job *j = &e->jobs[i];
                int d;
                if (j->state != JOB_WAITING)
                        continue;
                d = deps_state(e, j);
                if (d < 0) {
                        finish(e, j, EXEC_BLOCKED);
                        *progress = true;
                } else if (d > 0) {
                        if (start(e, j))
                                *progress = true;
                        else
                                wants_token = true;
                }
        }
        return wants_token;
}

static int reap(struct exec *e, struct job *j) {
        int status;
        while (waitpid(j->pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        close(j->pidfd);
        j->pidfd = -EBADF;
        finish(e, j, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        return 0;
}

static int wait_some(struct exec *e, bool wants_token) {
        struct pollfd *p = calloc(e->n + 1, sizeof *p);
        size_t np = 0;
        int r;

        if (!p)
                return -ENOMEM;
        for (size_t i = 0; i < e->n; i++)
                if (e->jobs[i].state == JOB_RUNNING)
                        p[np++] = (struct pollfd) { .fd = e->jobs[i].pidfd, .events = POLLIN };
        if (wants_token && e->token_rd >= 0)
                p[np++] = (struct pollfd) { .fd = e->token_rd, .events = POLLIN };
        r = poll(p, np, np ? (e->tick ? e->tick_ms : 1000) : 0);
        free(p);
        if (r < 0 && errno != EINTR)
                return -errno;
        for (size_t i = 0; i < e->n; i++) {
                struct job *j = &e->jobs[i];
                struct pollfd one = { .fd = j->pidfd, .events = POLLIN };
                if (j->state == JOB_RUNNING && (j->pidfd < 0 || poll(&one, 1, 0) > 0)) {
                        r = reap(e, j);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

void exec_set_tick(struct exec *e, void (*tick)(void *userdata), void *userdata, int interval_ms) {
        e->tick = tick;
        e->tick_userdata = userdata;
        e->tick_ms = interval_ms > 0 ? interval_ms : 1000;
}

int exec_run(struct exec *e) {
        int failed = 0;

        for (;;) {
                bool progress = false, running = false, waiting = false, wants_token;
                int r;

                wants_token = start_ready(e, &progress);
                for (size_t i = 0; i < e->n; i++) {
                        running |= e->jobs[i].state == JOB_RUNNING;
                        waiting |= e->jobs[i].state == JOB_WAITING;
                }
                if (!running && !waiting)
                        break;
                if (progress && !running)
                        continue;
                if (!running && !progress)
                        return log_error_errno(-EDEADLK, "job graph cannot make progress");
                r = wait_some(e, wants_token);
                if (r < 0)
                        return r;
                if (e->tick)
                        e->tick(e->tick_userdata);
        }
        for (size_t i = 0; i < e->n; i++)
                failed += e->jobs[i].state == JOB_FAILED;
        return failed;
}
