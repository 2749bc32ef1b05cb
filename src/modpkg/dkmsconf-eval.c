/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include "modpkg/dkmsconf.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

/* dkms.conf evaluation: bash in a child process; the pure parsing is in dkmsconf.c. */

#define DUMP_MAX (1024 * 1024)          /* bytes of directives one dkms.conf may produce */
#define EVAL_TIMEOUT_MS (30 * 1000)
#define STDERR_KEEP 4096                /* bytes of bash's stderr kept for the message */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The end of a complete dump: a triple whose name no directive has. */
static const char SENTINEL[] = "@end\0" "0\0";
#define SENTINEL_LEN sizeof(SENTINEL) /* includes the empty value's NUL */

/* The dkms.conf is sourced inside a function, as DKMS's safe_source() does (so
 * `local` and `declare` work), with the dump fd closed; the directives are then
 * written from the same function, so that its locals are seen. The syntax check
 * comes first: bash carries on after a syntax error in a sourced file. */
static char *eval_script(int fd) {
        _cleanup_strbuf_ struct strbuf names = STRBUF_INIT;

        for (size_t i = 0; dkms_directives[i]; i++)
                if (strbuf_printf(&names, "%s%s", i ? " " : "", dkms_directives[i]) < 0)
                        return NULL;
        return strdup_printf(
                "__dk_eval() {\n"
                "        . ./dkms.conf %1$d>&-\n"
                "        builtin set +u\n"
                "        builtin local __dk_n __dk_i\n"
                "        for __dk_n in %2$s; do\n"
                "                builtin local -n __dk_r=$__dk_n\n"
                "                for __dk_i in \"${!__dk_r[@]}\"; do\n"
                "                        builtin printf '%%s\\0%%s\\0%%s\\0' \"$__dk_n\" \"$__dk_i\" \"${__dk_r[$__dk_i]}\"\n"
                "                done\n"
                "                builtin unset -n __dk_r\n"
                "        done >&%1$d\n"
                "        builtin printf '%%s\\0%%s\\0\\0' @end 0 >&%1$d\n"
                "}\n"
                "\"$BASH\" --norc --noprofile -O extglob -n ./dkms.conf %1$d>&- || exit 2\n"
                "__dk_eval\n",
                fd, names.buf);
}

static char **eval_env(const struct dkms_env *env, const char *conf_path) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        const char *path = getenv("PATH"), *src = strempty(env->kernel_source_dir);

        if (!l || strv_pushf(&l, "PATH=%s", isempty(path) ? DEFAULT_PATH : path) < 0 ||
            strv_push(&l, "LANG=C") < 0 ||
            strv_pushf(&l, "kernelver=%s", strempty(env->kernelver)) < 0 ||
            strv_pushf(&l, "arch=%s", strempty(env->arch)) < 0 ||
            strv_pushf(&l, "kernel_source_dir=%s", src) < 0 ||
            strv_pushf(&l, "kernel_config=%s%s", src, *src ? "/.config" : "") < 0 ||
            strv_pushf(&l, "dkms_tree=%s", strempty(env->dkms_tree)) < 0 ||
            strv_pushf(&l, "source_tree=%s", strempty(env->source_tree)) < 0 ||
            strv_pushf(&l, "installed_modules_dir=%s", strempty(env->installed_modules_dir)) < 0 ||
            strv_push(&l, "module=") < 0 ||
            strv_pushf(&l, "dkms_conf=%s", conf_path) < 0)
                return NULL;
        return TAKE_PTR(l);
}

struct eval {
        pid_t pid;
        int dump_fd, err_fd, pid_fd;
        bool dump_eof, err_eof, exited;
        struct strbuf dump, err;
};
#define EVAL_INIT { .pid = -1, .dump_fd = -EBADF, .err_fd = -EBADF, .pid_fd = -EBADF }

static void eval_done(struct eval *e) {
        closep(&e->dump_fd);
        closep(&e->err_fd);
        closep(&e->pid_fd);
        strbuf_done(&e->dump);
        strbuf_done(&e->err);
}

/* bash with the dump pipe's write end as an extra fd, stdout to /dev/null, stderr to
 * a pipe, in its own process group so that leftovers can be killed. */
static int eval_start(struct eval *e, const char *pkgdir, const struct dkms_env *env, const char *conf_path) {
        _cleanup_free_ char *script = NULL;
        _cleanup_strv_free_ char **envp = NULL;
        struct spawn s = SPAWN_INIT;
        int dump[2], err[2], r;

        if (pipe2(dump, O_CLOEXEC) < 0)
                return -errno;
        e->dump_fd = dump[0];
        if (pipe2(err, O_CLOEXEC) < 0) {
                r = -errno;
                close(dump[1]);
                return r;
        }
        e->err_fd = err[0];
        script = eval_script(dump[1]);
        envp = eval_env(env, conf_path);
        s.argv = (const char *const[]) { "bash", "--norc", "--noprofile", "-c", strempty(script), NULL };
        s.envp = envp;
        s.cwd = pkgdir;
        s.fd_err = err[1];
        s.keep_fds = &dump[1];
        s.n_keep_fds = 1;
        s.new_pgrp = true;
        s.user = env->user;
        r = script && envp ? spawn_start(&s, &e->pid) : -ENOMEM;
        close(dump[1]);
        close(err[1]);
        if (r < 0)
                return r;
        if (fcntl(e->dump_fd, F_SETFL, O_NONBLOCK) < 0 || fcntl(e->err_fd, F_SETFL, O_NONBLOCK) < 0)
                return -errno;
        /* Without pidfds (Linux < 5.3), the end of the dump stands for bash's exit. */
#ifdef SYS_pidfd_open
        e->pid_fd = (int) syscall(SYS_pidfd_open, e->pid, 0);
#endif
        e->exited = e->pid_fd < 0;
        return 0;
}

/* One read from the dump (max bytes, -EFBIG beyond) or stderr (the excess dropped):
 * 1 at EOF, 0 after data, -EAGAIN when there is nothing to read. */
static int eval_read(struct eval *e, bool dump) {
        struct strbuf *sb = dump ? &e->dump : &e->err;
        size_t max = dump ? DUMP_MAX + SENTINEL_LEN : STDERR_KEEP, take;
        char buf[16384];
        ssize_t n = read(dump ? e->dump_fd : e->err_fd, buf, sizeof buf);

        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
        if (n == 0) {
                *(dump ? &e->dump_eof : &e->err_eof) = true;
                return 1;
        }
        take = (size_t) n;
        if (sb->len + take > max) {
                if (dump)
                        return -EFBIG;
                take = max - sb->len;
        }
        return strbuf_add(sb, buf, take);
}

/* Reads what is in the pipe now; the bound keeps a writer that never stops from
 * holding us here. */
static int eval_drain(struct eval *e, bool dump) {
        for (int i = 0; i < 256 && !(dump ? e->dump_eof : e->err_eof); i++) {
                int r = eval_read(e, dump);
                if (r == -EAGAIN)
                        return 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static long now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int eval_poll_once(struct eval *e, int timeout) {
        struct pollfd p[3];
        int n = 0, r = 0;

        if (!e->dump_eof)
                p[n++] = (struct pollfd) { .fd = e->dump_fd, .events = POLLIN };
        if (!e->err_eof)
                p[n++] = (struct pollfd) { .fd = e->err_fd, .events = POLLIN };
        if (!e->exited)
                p[n++] = (struct pollfd) { .fd = e->pid_fd, .events = POLLIN };
        if (poll(p, (nfds_t) n, timeout) < 0)
                return errno == EINTR ? 0 : -errno;
        for (int i = 0; i < n && (r >= 0 || r == -EAGAIN); i++) {
                if (!p[i].revents)
                        continue;
                if (p[i].fd == e->pid_fd)
                        e->exited = true;
                else
                        r = eval_read(e, p[i].fd == e->dump_fd);
        }
        return r == -EAGAIN ? 0 : r;
}

/* Reads the dump and stderr until bash has exited (or, without a pidfd, until the
 * dump is closed); -ETIME past the deadline. What bash wrote before it exited is
 * then in the pipes: subshells it left in the background may hold them open. */
static int eval_collect(struct eval *e) {
        long deadline = now_ms() + EVAL_TIMEOUT_MS;
        int r;

        while (!e->exited || (e->pid_fd < 0 && !e->dump_eof)) {
                long left = deadline - now_ms();
                if (left <= 0)
                        return -ETIME;
                r = eval_poll_once(e, (int) left);
                if (r < 0)
                        return r;
        }
        r = eval_drain(e, true);
        if (r < 0)
                return r;
        return eval_drain(e, false);
}

/* bash's first message about the file (else its first line), without the "bash: "
 * and "./dkms.conf: " prefixes, control characters replaced. NULL if none. */
static char *bash_error(char *err) {
        char *first = NULL, *next, *p;

        for (char *line = err; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (!*line)
                        continue;
                if (!first || strstr(line, "./dkms.conf: ")) {
                        first = line;
                        if (strstr(line, "./dkms.conf: "))
                                break;
                }
        }
        if (!first)
                return NULL;
        p = strstr(first, "./dkms.conf: ");
        if (p)
                first = p + strlen("./dkms.conf: ");
        for (p = first; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        return first;
}

static int eval_finish(struct eval *e, const char *conf_path, int status, char **ret, size_t *ret_len) {
        struct strbuf *d = &e->dump;
        bool complete = d->len >= SENTINEL_LEN && memcmp(d->buf + d->len - SENTINEL_LEN, SENTINEL, SENTINEL_LEN) == 0;
        const char *msg = e->err.buf ? bash_error(e->err.buf) : NULL;

        if (status != 0 || !complete) {
                if (msg)
                        return log_error_errno(-EBADMSG, "'%s': %s", conf_path, msg);
                if (status != 0)
                        return log_error_errno(-EBADMSG, "'%s': sourcing it failed with exit status %d",
                                               conf_path, status);
                return log_error_errno(-EBADMSG, "'%s': sourcing it stopped before its end (exit in dkms.conf?)",
                                       conf_path);
        }
        d->len -= SENTINEL_LEN;
        d->buf[d->len] = 0;
        *ret_len = d->len;
        *ret = strbuf_detach(d);
        return *ret ? 0 : -ENOMEM;
}

int dkms_conf_eval(const char *pkgdir, const struct dkms_env *env, char **ret, size_t *ret_len) {
        _cleanup_(eval_done) struct eval e = EVAL_INIT;
        _cleanup_free_ char *conf_path = path_join(pkgdir, "dkms.conf");
        int r, status;

        if (!conf_path)
                return -ENOMEM;
        r = eval_start(&e, pkgdir, env, conf_path);
        if (r == -EACCES && e.pid < 0 && env->user)
                return log_error_errno(r, "'%s': the build user (uid %u) cannot enter '%s': permission denied",
                                       conf_path, (unsigned) env->user->uid, pkgdir);
        if (r < 0 && e.pid < 0)
                return log_error_errno(r, "'%s': cannot run bash: %s", conf_path, strerror(-r));
        if (r >= 0)
                r = eval_collect(&e);
        assert(e.pid > 0);
        (void) kill(-e.pid, SIGKILL); /* and what it left running in the background */
        status = spawn_wait(e.pid);
        if (r == -ETIME)
                return log_error_errno(-EBADMSG, "'%s': evaluation took longer than %d s, killed",
                                       conf_path, EVAL_TIMEOUT_MS / 1000);
        if (r == -EFBIG)
                return log_error_errno(-EBADMSG, "'%s': its directives exceed %d bytes", conf_path, DUMP_MAX);
        if (r < 0)
                return log_error_errno(r, "'%s': reading its directives from bash failed: %s",
                                       conf_path, strerror(-r));
        return eval_finish(&e, conf_path, status, ret, ret_len);
}

int dkms_conf_load(const char *pkgdir, const struct dkms_env *env, struct dkms_conf **ret) {
        _cleanup_free_ char *conf_path = path_join(pkgdir, "dkms.conf"), *dump = NULL;
        size_t len = 0;
        int r;

        if (!conf_path)
                return -ENOMEM;
        r = dkms_conf_eval(pkgdir, env, &dump, &len);
        if (r < 0)
                return r;
        return dkms_conf_parse(conf_path, dump, len, env, ret);
}
