/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "boot/boot.h"
#include "boot/kernel-install.h"
#include "boot/publish.h"
#include "core/plan.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

/* KERNEL_INSTALL_CONF_ROOT for our calls: the token and command line we
 * resolved, the bls layout, and no initrd generator (kernel-install 253 and
 * later read initrd_generator; 252 decides by $BOOT/TOKEN existing). */
#define KI_CONF_DIR "/var/lib/distkernel/kernel-install"

static int write_conf(const struct root *root, const struct boot_env *env) {
        _cleanup_free_ char *tok = strdup_printf("%s\n", env->token), *cmd = strdup_printf("%s\n", env->cmdline);
        static const char install_conf[] = "layout=bls\ninitrd_generator=none\nuki_generator=none\n";
        int r;

        if (!tok || !cmd)
                return -ENOMEM;
        r = fs_mkdir_p(root->fd, KI_CONF_DIR, 0755);
        if (r >= 0)
                r = fs_write_atomic(root->fd, KI_CONF_DIR "/entry-token", tok, strlen(tok), 0644);
        if (r >= 0)
                r = fs_write_atomic(root->fd, KI_CONF_DIR "/cmdline", cmd, strlen(cmd), 0644);
        if (r >= 0)
                r = fs_write_atomic(root->fd, KI_CONF_DIR "/install.conf", install_conf, strlen(install_conf), 0644);
        return r < 0 ? log_error_errno(r, "'%s': cannot write: %s", KI_CONF_DIR, strerror(-r)) : 0;
}

static int record(const struct root *root, struct state *st, const char *kver, char *const *paths) {
        int r = state_begin(st);
        STRV_FOREACH(p, paths) {
                struct state_file f = { .path = *p, .kver = (char *) kver, .name = (char *) BOOT_OWNER,
                                        .version = (char *) "kernel-install" };
                struct stat s;
                if (r < 0)
                        break;
                if (fs_stat(root->fd, *p, &s) < 0) {
                        r = log_error_errno(-ENOENT, "'%s': kernel-install did not create it", *p);
                        break;
                }
                f.size = s.st_size;
                f.mtime_ns = timespec_ns(s.st_mtim);
                f.ino = (int64_t) s.st_ino;
                r = hash_file_at(root->fd, *p, f.sha256);
                if (r >= 0)
                        r = state_file_add(st, &f);
        }
        if (r < 0) {
                state_rollback(st);
                return r;
        }
        return state_commit(st);
}

int boot_kernel_install_add(const struct root *root, struct state *st, const struct boot_env *env,
                            const char *kver, const char *image, const char *initrd, char *const *targets) {
        _cleanup_free_ char *boot_host = root_host_path(root, env->boot), *conf = root_host_path(root, KI_CONF_DIR);
        _cleanup_free_ char *image_host = root_host_path(root, image), *initrd_host = NULL;
        _cleanup_free_ char *tokdir = path_join(env->boot, env->token);
        _cleanup_free_ char *log = strdup_printf(LOG_DIR "/kernel-install-%s.log", kver);
        _cleanup_strv_free_ char **envp = NULL;
        _cleanup_close_ int log_fd = -EBADF;
        extern char **environ;
        const char *argv[] = { "kernel-install", "add", kver, image_host, NULL, NULL };
        int r;

        if (!boot_host || !conf || !image_host || !tokdir || !log)
                return -ENOMEM;
        if (initrd) {
                /* the plugins name the copy after the file: hand it over as "initrd" */
                _cleanup_free_ char *dir = strdup_printf(BOOT_STAGE_DIR "/kernel-install-%s", kver);
                _cleanup_free_ char *link = dir ? path_join(dir, "initrd") : NULL;
                _cleanup_free_ char *target = root_host_path(root, initrd);
                if (!link || !target)
                        return -ENOMEM;
                r = fs_mkdir_p(root->fd, dir, 0700);
                if (r >= 0)
                        r = publish_symlink(root, link, target);
                if (r < 0)
                        return r;
                initrd_host = root_host_path(root, link);
                if (!initrd_host)
                        return -ENOMEM;
                argv[4] = initrd_host;
        }
        r = write_conf(root, env);
        if (r < 0)
                return r;
        /* kernel-install 252 picks the bls layout when $BOOT/TOKEN exists */
        r = fs_mkdir_p(root->fd, tokdir, 0755);
        if (r >= 0)
                r = fs_mkdir_p(root->fd, LOG_DIR, 0755);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot create: %s", tokdir, strerror(-r));
        /* kernel-install and its plugins write and read at host paths */
        {
                _cleanup_free_ char *h1 = NULL, *h2 = NULL, *h3 = NULL;
                r = root_host_dir(root, env->boot, "run kernel-install", &h1);
                if (r >= 0)
                        r = root_host_dir(root, tokdir, "run kernel-install", &h2);
                if (r >= 0)
                        r = root_host_dir(root, KI_CONF_DIR, "run kernel-install", &h3);
                if (r < 0)
                        return r;
        }
        envp = strv_copy(environ);
        if (!envp || strv_pushf(&envp, "BOOT_ROOT=%s", boot_host) < 0 ||
            strv_pushf(&envp, "KERNEL_INSTALL_CONF_ROOT=%s", conf) < 0 ||
            strv_pushf(&envp, "KERNEL_INSTALL_LAYOUT=bls") < 0 ||
            strv_pushf(&envp, "KERNEL_INSTALL_INITRD_GENERATOR=none") < 0 ||
            strv_pushf(&envp, "KERNEL_INSTALL_UKI_GENERATOR=none") < 0 ||
            /* our own kernel-install plugin must not call us back */
            strv_pushf(&envp, "DISTKERNEL_KERNEL_INSTALL=1") < 0 ||
            (env->machine_id && strv_pushf(&envp, "MACHINE_ID=%s", env->machine_id) < 0))
                return -ENOMEM;
        log_fd = fs_open(root->fd, log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
        struct spawn s = SPAWN_INIT;
        s.argv = argv;
        s.envp = envp;
        s.fd_out = log_fd >= 0 ? log_fd : -1;
        s.fd_err = -2;
        r = spawn_run(&s);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot run: %s", argv[0], strerror(-r));
        if (r != 0)
                return log_error_errno(-EPROTO, "kernel '%s': 'kernel-install add' exited with status %d; see '%s'", kver, r,
                                       log);
        return record(root, st, kver, targets);
}
