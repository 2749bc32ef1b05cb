/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "util/fs.h"
#include "util/spawn.h"
#include "util/strv.h"

extern char **environ;

int spawn_find_program(const char *name, char **ret) {
        const char *path = getenv("PATH");
        _cleanup_strv_free_ char **dirs = NULL;

        if (strchr(name, '/')) {
                *ret = strdup(name);
                return *ret ? 0 : -ENOMEM;
        }
        if (strv_split(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       ":", &dirs) < 0)
                return -ENOMEM;
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *p = path_join(*d, name);
                if (!p)
                        return -ENOMEM;
                if (access(p, X_OK) == 0) {
                        *ret = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

int spawn_drop_privileges(const struct spawn_user *u) {
        uid_t ru, eu, su;
        gid_t rg, eg, sg;

        if (setgroups(0, NULL) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
            setresuid(u->uid, u->uid, u->uid) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        umask(022);
        /* all three ids of both kinds changed, and there is no way back */
        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
                return -errno;
        if (ru != u->uid || eu != u->uid || su != u->uid || rg != u->gid || eg != u->gid || sg != u->gid ||
            getgroups(0, NULL) != 0)
                return -EPERM;
        if (u->uid != 0 && (setuid(0) == 0 || setgid(0) == 0))
                return -EPERM;
        return 0;
}

static int child_fd(int want, int fallback_null) {
        return want >= 0 ? want : fallback_null;
}

_Noreturn static void child(const struct spawn *s, const char *prog, int errpipe, int devnull) {
        int in = child_fd(s->fd_in, devnull), out = child_fd(s->fd_out, devnull);
        int err = s->fd_err == -2 ? out : child_fd(s->fd_err, devnull);
        int e;

        if (s->new_pgrp)
                setpgid(0, 0);
        /* Move the fds out of the way of 0..2 first, then dup into place. */
        in = fcntl(in, F_DUPFD_CLOEXEC, 3);
        out = fcntl(out, F_DUPFD_CLOEXEC, 3);
        err = fcntl(err, F_DUPFD_CLOEXEC, 3);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                goto fail;
        for (size_t i = 0; i < s->n_keep_fds; i++) {
                int fl = fcntl(s->keep_fds[i], F_GETFD);
                if (fl < 0 || fcntl(s->keep_fds[i], F_SETFD, fl & ~FD_CLOEXEC) < 0)
                        goto fail;
        }
        signal(SIGPIPE, SIG_DFL);
        if (s->user && (e = spawn_drop_privileges(s->user)) < 0) {
                errno = -e;
                goto fail;
        }
        if (s->cwd && chdir(s->cwd) < 0)
                goto fail;
        execve(prog, (char *const *) s->argv, s->envp ? s->envp : environ);
fail:
        e = errno;
        (void) !write(errpipe, &e, sizeof e);
        _exit(127);
}

int spawn_start(const struct spawn *s, pid_t *ret_pid) {
        _cleanup_free_ char *prog = NULL;
        _cleanup_close_ int devnull = -EBADF;
        int pfd[2], r, e = 0;
        pid_t pid;
        ssize_t n;

        r = spawn_find_program(s->argv[0], &prog);
        if (r < 0)
                return r;
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0)
                return -errno;
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(pfd[0]);
                close(pfd[1]);
                return r;
        }
        if (pid == 0) {
                close(pfd[0]);
                child(s, prog, pfd[1], devnull);
        }
        close(pfd[1]);
        do
                n = read(pfd[0], &e, sizeof e);
        while (n < 0 && errno == EINTR);
        close(pfd[0]);
        if (n == sizeof e) {
                (void) spawn_wait(pid);
                return -e;
        }
        *ret_pid = pid;
        return 0;
}

int spawn_wait(pid_t pid) {
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

int spawn_run(const struct spawn *s) {
        pid_t pid;
        int r = spawn_start(s, &pid);
        return r < 0 ? r : spawn_wait(pid);
}

int spawn_capture(const char *const *argv, char *const *envp, const char *cwd, size_t max, char **ret_out) {
        struct spawn s = SPAWN_INIT;
        _cleanup_free_ char *out = NULL;
        int pfd[2], r, q;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        s.argv = argv;
        s.envp = envp;
        s.cwd = cwd;
        s.fd_out = pfd[1];
        s.fd_err = 2;
        r = spawn_start(&s, &pid);
        close(pfd[1]);
        if (r < 0) {
                close(pfd[0]);
                return r;
        }
        q = fd_read_all(pfd[0], max, &out, NULL);
        close(pfd[0]);
        r = spawn_wait(pid);
        if (q < 0)
                return q;
        *ret_out = TAKE_PTR(out);
        return r;
}
