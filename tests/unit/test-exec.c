/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include "test.h"
#include "core/exec.h"
#include "util/spawn.h"

struct tj {
        const char *code;
        int status;
        int order;
        bool finished;
};
static int counter;

static int tj_start(void *u, pid_t *ret) {
        struct tj *t = u;
        struct spawn s = SPAWN_INIT;
        if (!t->code) {
                *ret = 0;
                return 0;
        }
        s.argv = (const char *const[]) { "sh", "-c", t->code, NULL };
        return spawn_start(&s, ret);
}

static int tj_finish(void *u, int status) {
        struct tj *t = u;
        t->status = status;
        t->order = counter++;
        t->finished = true;
        return status == 0 ? 0 : -1;
}

static const struct exec_job_ops ops = { tj_start, tj_finish };

TEST(failure_blocks_only_dependents) {
        struct exec *e = exec_new(2);
        struct tj a = { "exit 1" }, b = { "exit 0" }, c = { NULL }, d = { NULL };
        size_t ia, ib, ic, id;
        ASSERT_OK(exec_add(e, &ops, &a, true, &ia));
        ASSERT_OK(exec_add(e, &ops, &b, true, &ib));
        ASSERT_OK(exec_add(e, &ops, &c, false, &ic));
        ASSERT_OK(exec_add(e, &ops, &d, false, &id));
        ASSERT_OK(exec_depend(e, ic, ia));      /* blocked by a */
        ASSERT_OK(exec_depend_soft(e, id, ia)); /* runs anyway */
        ASSERT_OK(exec_depend(e, id, ib));
        ASSERT_EQ(exec_run(e), 2);
        ASSERT_EQ(a.status, 1);
        ASSERT_EQ(b.status, 0);
        ASSERT_EQ(c.status, EXEC_BLOCKED);
        ASSERT_EQ(d.status, 0);
        ASSERT_TRUE(d.order > a.order && d.order > b.order);
        exec_free(e);
}

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

TEST(parallel_bounded_by_jobs) {
        /* 4 jobs of 0.3 s with -j2 take about 0.6 s: two at a time, not four, not one. */
        struct exec *e = exec_new(2);
        struct tj t[4] = { { "sleep 0.3" }, { "sleep 0.3" }, { "sleep 0.3" }, { "sleep 0.3" } };
        double t0 = now(), dt;
        for (int i = 0; i < 4; i++)
                ASSERT_OK(exec_add(e, &ops, &t[i], true, NULL));
        ASSERT_EQ(exec_run(e), 0);
        dt = now() - t0;
        ASSERT_TRUE(dt > 0.55);
        ASSERT_TRUE(dt < 1.1);
        exec_free(e);
}

TEST(jobserver_tokens_are_returned) {
        /* A make run under our jobserver sees -j2 and the tokens come back:
         * after the run the pipe holds exactly jobs-1 tokens again. */
        struct exec *e = exec_new(3);
        int fds[2];
        const char *mf = exec_makeflags(e, fds);
        ASSERT_TRUE(mf != NULL);
        ASSERT_TRUE(strstr(mf, "--jobserver-auth=") != NULL);
        struct tj a = { "true" };
        ASSERT_OK(exec_add(e, &ops, &a, true, NULL));
        ASSERT_EQ(exec_run(e), 0);
        char buf[16];
        int fl = fcntl(fds[0], F_GETFL);
        fcntl(fds[0], F_SETFL, fl | O_NONBLOCK);
        ASSERT_EQ(read(fds[0], buf, sizeof buf), 2);
        fcntl(fds[0], F_SETFL, fl);
        exec_free(e);
}
