/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>
#include "kernel/kver.h"
#include "modpkg/build.h"
#include "sign/modsign.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

struct ctx {
        const struct build_request *req;
        int log_fd;
        char *build_host;   /* host path of WORK/build */
        char *build_rel;
        char *home_rel;     /* WORK/home: HOME and TMPDIR of the build user */
        char **env;
        bool *kept;         /* per module: the kernel's own is kept, not installed */
};

static void logf_(struct ctx *c, const char *fmt, ...) _printf_(2, 3);
static void logf_(struct ctx *c, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vdprintf(c->log_fd, fmt, ap);
        va_end(ap);
}

/* Whether the reason is a failure of our own file operations (a full disk, an
 * I/O error), which says nothing about the package: the errno the failing
 * step left, when the reason names it. */
static bool reason_own_io;

static bool own_io_failure(int e) {
        return e == EIO || e == ENOSPC || e == EDQUOT || e == EROFS || e == ENOMEM || e == EMFILE || e == ENFILE;
}

static void set_reason(struct ctx *c, const char *fmt, ...) _printf_(2, 3);
static void set_reason(struct ctx *c, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL, *p = NULL;
        int e = errno;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return;
        reason_own_io = own_io_failure(e) && strstr(msg, strerror(e));
        logf_(c, "distkernel: %s\n", msg);
        p = path_join(c->req->work_dir, "result");
        if (p)
                (void) fs_write_atomic(c->req->root->fd, p, msg, strlen(msg), 0644);
}

char *modpkg_build_reason(const struct root *root, const char *work_dir) {
        _cleanup_free_ char *p = path_join(work_dir, "result");
        char *s = NULL;
        if (!p || fs_read_all(root->fd, p, 4096, &s, NULL) < 0)
                return NULL;
        return s;
}

char *modpkg_kept_path(const char *work_dir, const struct dkms_module *m) {
        return strdup_printf("%s/stage/%s.kept", work_dir, m->dest_name);
}

char *modpkg_installed_name(const struct dkms_module *m, enum module_compress comp) {
        return strdup_printf("%s.ko%s", m->dest_name, module_compress_suffix(comp));
}

char *modpkg_staged_path(const char *work_dir, const struct dkms_module *m, enum module_compress comp) {
        return strdup_printf("%s/stage/%s.ko%s", work_dir, m->dest_name, module_compress_suffix(comp));
}

static int build_env(struct ctx *c) {
        const struct dkms_env *e = c->req->env;
        const char *path = getenv("PATH");
        _cleanup_free_ char *home = c->req->user ? root_host_path(c->req->root, c->home_rel) : strdup("/root");
        char **l = NULL;

        if (!home)
                return -ENOMEM;
        if (strv_pushf(&l, "PATH=%s", path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
            strv_push(&l, "LC_ALL=C") < 0 || strv_pushf(&l, "HOME=%s", home) < 0 ||
            (c->req->user && strv_pushf(&l, "TMPDIR=%s", home) < 0) ||
            strv_pushf(&l, "kernelver=%s", e->kernelver) < 0 ||
            strv_pushf(&l, "arch=%s", e->arch) < 0 ||
            strv_pushf(&l, "kernel_source_dir=%s", e->kernel_source_dir) < 0 ||
            strv_pushf(&l, "dkms_tree=%s", e->dkms_tree) < 0 ||
            strv_pushf(&l, "source_tree=%s", e->source_tree) < 0 ||
            (c->req->makeflags && strv_pushf(&l, "MAKEFLAGS=%s", c->req->makeflags) < 0) ||
            (c->req->cc && strv_pushf(&l, "CC=%s", c->req->cc) < 0)) {
                strv_free(l);
                return -ENOMEM;
        }
        /* the compiler wrappers' own settings (build-cc = distcc gcc, ccache gcc, icecc) */
        extern char **environ;
        for (char **v = environ; v && *v; v++)
                if ((startswith(*v, "DISTCC_") || startswith(*v, "CCACHE_") || startswith(*v, "ICECC")) &&
                    strv_push(&l, *v) < 0) {
                        strv_free(l);
                        return -ENOMEM;
                }
        c->env = l;
        return 0;
}

/* Runs argv in dir with the log as output, as the build user when as_user (the
 * package's code and what works on its tree) or else as root (what works on the
 * stage); returns the exit status or -errno. */
static int run_logged(struct ctx *c, const char *const *argv, const char *dir, bool as_user) {
        struct spawn s = SPAWN_INIT;
        s.argv = argv;
        s.user = as_user ? c->req->user : NULL;
        s.envp = c->env;
        s.cwd = dir;
        s.fd_out = c->log_fd;
        s.fd_err = -2;
        s.keep_fds = c->req->keep_fds;
        s.n_keep_fds = c->req->n_keep_fds;
        return spawn_run(&s);
}

static int run_shell(struct ctx *c, const char *what, const char *code, const char *dir) {
        int r;
        logf_(c, "distkernel: running %s: %s\n", what, code);
        r = run_logged(c, (const char *const[]) { "bash", "--norc", "--noprofile", "-c", code, NULL }, dir, true);
        if (r == -EACCES && c->req->user) {
                set_reason(c, "cannot run %s: the build user (uid %u) cannot enter '%s': permission denied", what,
                           (unsigned) c->req->user->uid, dir);
                return r;
        }
        if (r < 0) {
                set_reason(c, "cannot run %s: %s", what, strerror(-r));
                return r;
        }
        if (r != 0) {
                set_reason(c, "%s exited with status %d", what, r);
                return -EPROTO;
        }
        return 0;
}

/* PRE_BUILD/POST_BUILD run from the build dir, PRE_INSTALL from the sources, as
 * DKMS does: "exec DIR/SCRIPT" with the words after the script as arguments. */
static int run_script(struct ctx *c, const char *what, const char *script, const char *dir) {
        _cleanup_free_ char *code = NULL;
        if (isempty(script))
                return 0;
        code = strdup_printf("exec ./%s", script);
        if (!code)
                return -ENOMEM;
        return run_shell(c, what, code, dir);
}

static int prepare_tree(struct ctx *c) {
        const struct build_request *req = c->req;
        _cleanup_close_ int src = -EBADF, dst = -EBADF;
        int r;

        /* WORK is root's; only build/ and home/ in it are the build user's */
        r = fs_rm_rf(req->root->fd, req->work_dir);
        if (r >= 0)
                r = fs_mkdir_p(req->root->fd, req->work_dir, 0755);
        if (r >= 0)
                r = fs_mkdir_p(req->root->fd, c->build_rel, 0700);
        if (r >= 0 && req->user)
                r = fs_mkdir_p(req->root->fd, c->home_rel, 0700);
        if (r < 0) {
                set_reason(c, "'%s': cannot prepare: %s", c->build_rel, strerror(-r));
                return r;
        }
        src = open(req->pkg_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dst = fs_open_dir(req->root->fd, c->build_rel);
        if (src < 0 || dst < 0) {
                set_reason(c, "'%s': cannot open: %s", src < 0 ? req->pkg_dir : c->build_rel, strerror(errno));
                return -errno;
        }
        /* make, patch and the package's scripts run at the host path: it
         * must be the directory we just made inside the root, not one a
         * symbolic link on the way leads to (outside, as the host sees it) */
        if (!root_host_path_inside(req->root, c->build_rel)) {
                set_reason(c, "'%s': a symbolic link on the way leads out of the root, refusing to build there",
                           c->build_rel);
                return -ELOOP;
        }
        r = fs_copy_tree(src, dst);
        if (r < 0) {
                set_reason(c, "copying '%s' to '%s': %s", req->pkg_dir, c->build_rel, strerror(-r));
                return r;
        }
        if (!req->user)
                return 0;
        r = fs_chown_tree(req->root->fd, c->build_rel, req->user->uid, req->user->gid);
        if (r >= 0)
                r = fs_chown_tree(req->root->fd, c->home_rel, req->user->uid, req->user->gid);
        if (r < 0)
                set_reason(c, "'%s': cannot give it to the build user (uid %u): %s", c->build_rel,
                           (unsigned) req->user->uid, strerror(-r));
        return r;
}

static int apply_patches(struct ctx *c) {
        STRV_FOREACH(p, c->req->conf->patches) {
                _cleanup_free_ char *rel = strdup_printf("patches/%s", *p);
                int r;
                if (!rel)
                        return -ENOMEM;
                logf_(c, "distkernel: applying patch %s\n", *p);
                r = run_logged(c, (const char *const[]) { "patch", "-p1", "--forward", "--batch", "-i", rel, NULL },
                               c->build_host, true);
                if (r != 0) {
                        set_reason(c, "patch '%s' does not apply (status %d)", *p, r);
                        return -EPROTO;
                }
        }
        return 0;
}

/* Quotes s for bash as a single word. */
static char *shell_quote(const char *s) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        if (strbuf_putc(&sb, '\'') < 0)
                return NULL;
        for (; *s; s++)
                if ((*s == '\'' ? strbuf_puts(&sb, "'\\''") : strbuf_putc(&sb, *s)) < 0)
                        return NULL;
        if (strbuf_putc(&sb, '\'') < 0)
                return NULL;
        return strbuf_detach(&sb);
}

/* DKMS runs MAKE with "make" replaced by "make -jN KERNELRELEASE=KVER"; the -j
 * comes from our jobserver instead, and a configured compiler goes in as CC=. */
static char *make_command(struct ctx *c) {
        const char *m = c->req->conf->make, *rest = startswith(m, "make");
        _cleanup_free_ char *cc = NULL, *kv = shell_quote(c->req->env->kernelver);

        if (!kv || (c->req->cc && !(cc = shell_quote(c->req->cc))))
                return NULL;
        if (rest && (*rest == ' ' || *rest == 0))
                return strdup_printf("make KERNELRELEASE=%s%s%s%s", kv, cc ? " CC=" : "", strempty(cc), rest);
        return strdup(m);
}

/* Copies built module i out of the build directory, which the build user
 * controlled, into the stage, which only root writes: no symbolic link on the
 * way or at the end, nothing outside, a regular file, owned by the build user
 * (a hard link to someone else's file is not). Root reads only what the build
 * user could have written itself. */
static int copy_built(struct ctx *c, int build_fd, int stage_fd, size_t i) {
        const struct dkms_conf *conf = c->req->conf;
        const struct dkms_module *m = &conf->modules[i];
        const char *loc = isempty(m->built_location) ? "." : m->built_location;
        _cleanup_free_ char *rel = isempty(m->built_location) ? strdup_printf("%s.ko", m->built_name) :
                                   strdup_printf("%s/%s.ko", m->built_location, m->built_name);
        _cleanup_free_ char *dst = strdup_printf("%s.ko", m->dest_name);
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        struct stat st;
        int r;

        if (!rel || !dst)
                return -ENOMEM;
        in = fs_open_beneath(build_fd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (in == -ENOENT || in == -ENOTDIR) {
                set_reason(c, "'%s': BUILT_MODULE_NAME[%zu] '%s' was not built (no '%s/%s.ko')",
                           conf->path, i, m->built_name, loc, m->built_name);
                return -ENOENT;
        }
        if (in == -ELOOP || in == -EXDEV) {
                set_reason(c, "'%s/%s': a symbolic link (or a path leading out of the build directory), "
                           "refusing to install it", c->build_rel, rel);
                return -ELOOP;
        }
        if (in < 0 || fstat(in, &st) < 0) {
                r = in < 0 ? in : -errno;
                set_reason(c, "'%s/%s': cannot open: %s", c->build_rel, rel, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                set_reason(c, "'%s/%s': not a regular file, refusing to install it", c->build_rel, rel);
                return -EBADFD;
        }
        if (c->req->user && st.st_uid != c->req->user->uid) {
                set_reason(c, "'%s/%s': owned by uid %u, not by the build user, refusing to install it",
                           c->build_rel, rel, (unsigned) st.st_uid);
                return -EPERM;
        }
        out = openat(stage_fd, dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        r = out < 0 ? -errno : fd_copy(in, out);
        if (r >= 0 && close(TAKE_FD(out)) < 0)
                r = -errno;
        if (r < 0)
                set_reason(c, "'%s/%s': copying it to the stage failed: %s", c->build_rel, rel, strerror(-r));
        return r;
}

/* The stage: WORK/stage, root's, with a copy of every built module. */
static int stage_copy(struct ctx *c) {
        _cleanup_free_ char *rel = path_join(c->req->work_dir, "stage");
        _cleanup_close_ int build_fd = -EBADF, stage_fd = -EBADF;
        int r;

        if (!rel)
                return -ENOMEM;
        r = fs_mkdir_p(c->req->root->fd, rel, 0755);
        if (r >= 0)
                r = stage_fd = fs_open_dir(c->req->root->fd, rel);
        if (r < 0) {
                set_reason(c, "'%s': cannot create: %s", rel, strerror(-r));
                return r;
        }
        build_fd = fs_open_dir(c->req->root->fd, c->build_rel);
        if (build_fd < 0) {
                set_reason(c, "'%s': cannot open: %s", c->build_rel, strerror(-build_fd));
                return build_fd;
        }
        for (size_t i = 0; i < c->req->conf->n_modules; i++) {
                r = copy_built(c, build_fd, stage_fd, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

static char *module_info(struct kmod_module *mod, const char *key) {
        struct kmod_list *info = NULL, *l;
        char *v = NULL;

        if (kmod_module_get_info(mod, &info) < 0)
                return NULL;
        kmod_list_foreach(l, info)
                if (!v && streq(kmod_module_info_get_key(l), key))
                        v = strdup(strempty(kmod_module_info_get_value(l)));
        kmod_module_info_free_list(info);
        return v;
}

/* The kernel's own copy of module NAME (not one in updates/dkms), or NULL. */
static struct kmod_module *kernel_module(struct kmod_ctx *kctx, const char *name) {
        struct kmod_list *list = NULL, *l;
        struct kmod_module *found = NULL;

        if (kmod_module_new_from_lookup(kctx, name, &list) < 0)
                return NULL;
        kmod_list_foreach(l, list) {
                struct kmod_module *m = kmod_module_get_module(l);
                const char *p = kmod_module_get_path(m);
                if (!found && p && !strstr(p, "/updates/dkms/") && streq(kmod_module_get_name(m), name))
                        found = m;
                else
                        kmod_module_unref(m);
        }
        kmod_module_unref_list(list);
        return found;
}

/* DKMS's version sanity check, module by module: 1 (and why, in *ret_why) when
 * the kernel already ships this module in a newer version, or in the same
 * version from the same source (srcversion). Unlike DKMS 3.0, two modules
 * without a version, or of one version from different sources, are not taken
 * for equal: the package's own is installed. */
static int version_sane(struct kmod_ctx *kctx, struct kmod_ctx *bctx, const struct dkms_module *m,
                        const char *built, char **ret_why) {
        struct kmod_module *km = kernel_module(kctx, m->dest_name), *bm = NULL;
        _cleanup_free_ char *kv = NULL, *bv = NULL, *ks = NULL, *bs = NULL;
        int skip = 0;

        if (!km)
                return 0;
        /* a context of its own: the kernel's context already knows a module of that name */
        if (kmod_module_new_from_path(bctx, built, &bm) >= 0) {
                kv = module_info(km, "version");
                bv = module_info(bm, "version");
                ks = module_info(km, "srcversion");
                bs = module_info(bm, "srcversion");
        }
        if (kv && bv) {
                int cmp = kver_compare(kv, bv);
                skip = cmp > 0 || (cmp == 0 && (!ks || !bs || streq(ks, bs)));
        }
        if (skip) {
                *ret_why = strdup_printf("module '%s' version %s is not newer than the kernel's own '%s' "
                                         "(version %s)", m->dest_name, bv, kmod_module_get_path(km), kv);
                if (!*ret_why)
                        skip = -ENOMEM;
        }
        kmod_module_unref(km);
        kmod_module_unref(bm);
        return skip;
}

/* Marks the modules whose kernel's own version is kept (their staged copy goes,
 * a WORK/stage/NAME.kept marker says why); 1 when that is every module. */
static int check_versions(struct ctx *c, const char *stage_host) {
        const struct build_request *req = c->req;
        _cleanup_free_ char *moddir = NULL, *last = NULL;
        struct kmod_ctx *kctx, *bctx;
        size_t n_kept = 0;
        int r = 0;

        if (req->force || req->conf->n_modules == 0)
                return 0;
        moddir = root_host_path(req->root, "/usr/lib/modules");
        if (!moddir || !(moddir = path_join(TAKE_PTR(moddir), req->kernel->kver)))
                return -ENOMEM;
        c->kept = calloc(req->conf->n_modules, sizeof *c->kept);
        if (!c->kept)
                return -ENOMEM;
        kctx = kmod_new(moddir, (const char *const[]) { NULL });
        bctx = kmod_new(moddir, (const char *const[]) { NULL });
        if (!kctx || !bctx) {
                kmod_unref(kctx);
                kmod_unref(bctx);
                return 0;
        }
        kmod_set_log_priority(kctx, 0);
        kmod_set_log_priority(bctx, 0);
        for (size_t i = 0; r >= 0 && i < req->conf->n_modules; i++) {
                const struct dkms_module *m = &req->conf->modules[i];
                _cleanup_free_ char *b = strdup_printf("%s/%s.ko", stage_host, m->dest_name);
                _cleanup_free_ char *why = NULL, *marker = NULL;
                if (!b) {
                        r = -ENOMEM;
                        break;
                }
                r = version_sane(kctx, bctx, m, b, &why);
                if (r <= 0)
                        continue;
                marker = modpkg_kept_path(req->work_dir, m);
                if (!marker) {
                        r = -ENOMEM;
                        break;
                }
                logf_(c, "distkernel: %s, keeping the kernel's ('distkernel sync --force' installs it)\n", why);
                r = fs_write_atomic(req->root->fd, marker, why, strlen(why), 0644);
                if (r < 0) {
                        set_reason(c, "'%s': cannot write: %s", marker, strerror(-r));
                        break;
                }
                (void) unlink(b);
                c->kept[i] = true;
                n_kept++;
                free(last);
                last = TAKE_PTR(why);
        }
        kmod_unref(kctx);
        kmod_unref(bctx);
        if (r < 0)
                return r;
        if (n_kept < req->conf->n_modules)
                return 0;
        if (n_kept == 1)
                set_reason(c, "%s; 'distkernel sync --force' installs it anyway", last);
        else
                set_reason(c, "no module is newer than the kernel's own (%s, ...); 'distkernel sync --force' "
                           "installs them anyway", last);
        return 1;
}

static const char *sign_hash(const struct build_request *req) {
        return req->sign_hash ? req->sign_hash : "sha256";
}

/* Signs the stripped module before compression: the kernel checks the
 * signature of the module as loaded, decompressed. */
static int sign_one(struct ctx *c, const struct dkms_module *m, const char *path) {
        int r = modsign_file(path, c->req->sign_key, sign_hash(c->req));
        if (r < 0)
                set_reason(c, "signing module '%s' failed: %s", m->dest_name, log_last_error());
        return r;
}

/* Strips, signs and compresses the staged copy, as root. */
static int stage_one(struct ctx *c, const struct dkms_module *m, const char *stage_host) {
        enum module_compress comp = kernel_compress(c->req->kernel);
        _cleanup_free_ char *dst = strdup_printf("%s/%s.ko", stage_host, m->dest_name);
        int r = 0;

        if (!dst)
                return -ENOMEM;
        if (m->strip)
                r = run_logged(c, (const char *const[]) { "strip", "-g", dst, NULL }, NULL, false);
        if (r == 0 && c->req->sign_key) {
                r = sign_one(c, m, dst);
                if (r < 0)
                        return r;
        }
        if (r == 0 && comp == MODULE_COMPRESS_XZ)
                r = run_logged(c, (const char *const[]) { "xz", "--check=crc32", "--lzma2=dict=1MiB", "-f", dst, NULL }, NULL, false);
        else if (r == 0 && comp == MODULE_COMPRESS_ZSTD)
                r = run_logged(c, (const char *const[]) { "zstd", "-T0", "--rm", "-f", "-q", dst, NULL }, NULL, false);
        else if (r == 0 && comp == MODULE_COMPRESS_GZIP)
                r = run_logged(c, (const char *const[]) { "gzip", "-n", "-f", dst, NULL }, NULL, false);
        if (r != 0) {
                set_reason(c, "staging module '%s' failed (status %d)", m->dest_name, r);
                return r < 0 ? r : -EPROTO;
        }
        return 0;
}

static int stage(struct ctx *c, const char *host) {
        int r;

        if (c->req->sign_key) {
                if (!c->req->sign_hash)
                        logf_(c, "distkernel: the kernel's config sets no CONFIG_MODULE_SIG_HASH, signing with sha256\n");
                logf_(c, "distkernel: signing the modules with '%s' and '%s' (%s)\n", c->req->sign_key->key_path,
                      c->req->sign_key->cert_path, sign_hash(c->req));
        }
        for (size_t i = 0; i < c->req->conf->n_modules; i++) {
                if (c->kept && c->kept[i])
                        continue;
                r = stage_one(c, &c->req->conf->modules[i], host);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int open_log(const struct build_request *req) {
        int r = fs_mkdir_parent(req->root->fd, req->log_path, 0755);
        if (r < 0)
                return r;
        return fs_open(req->root->fd, req->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
}

static int build_steps(struct ctx *c) {
        const struct dkms_conf *conf = c->req->conf;
        _cleanup_free_ char *make = NULL, *stage_rel = NULL, *stage_host = NULL;
        int r;

        r = prepare_tree(c);
        if (r >= 0)
                r = apply_patches(c);
        if (r >= 0)
                r = run_script(c, "PRE_BUILD", conf->pre_build, c->build_host);
        if (r < 0)
                return BUILD_FAILED;
        make = make_command(c);
        if (!make)
                return BUILD_FAILED;
        r = run_shell(c, "MAKE", make, c->build_host);
        if (r >= 0)
                r = run_script(c, "POST_BUILD", conf->post_build, c->build_host);
        if (r >= 0)
                r = stage_copy(c);
        if (r < 0)
                return BUILD_FAILED;
        stage_rel = path_join(c->req->work_dir, "stage");
        stage_host = stage_rel ? root_host_path(c->req->root, stage_rel) : NULL;
        if (!stage_host)
                return BUILD_FAILED;
        r = check_versions(c, stage_host);
        if (r > 0)
                return BUILD_SKIPPED;
        if (r >= 0)
                r = run_script(c, "PRE_INSTALL", conf->pre_install, c->req->pkg_dir);
        if (r >= 0)
                r = stage(c, stage_host);
        return r < 0 ? BUILD_FAILED : BUILD_OK;
}

/* Messages of the library while building go to the build log. Errors are left
 * out: they come back through log_last_error() into the reason, which is
 * logged. */
static void log_to_build_log(void *userdata, enum log_level level, const char *msg) {
        struct ctx *c = userdata;
        if (level != LOG_ERR)
                logf_(c, "distkernel: %s\n", msg);
}

static void ctx_done(struct ctx *c) {
        if (c->log_fd >= 0)
                close(c->log_fd);
        free(c->build_rel);
        free(c->build_host);
        free(c->home_rel);
        free(c->kept);
        strv_free(c->env);
}

int modpkg_build(const struct build_request *req) {
        _cleanup_(ctx_done) struct ctx c = { .req = req, .log_fd = -EBADF };
        int r;

        c.log_fd = open_log(req);
        if (c.log_fd < 0)
                c.log_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        c.build_rel = path_join(req->work_dir, "build");
        c.build_host = c.build_rel ? root_host_path(req->root, c.build_rel) : NULL;
        c.home_rel = path_join(req->work_dir, "home");
        if (!c.build_host || !c.home_rel || build_env(&c) < 0)
                return BUILD_FAILED;
        log_set_sink(log_to_build_log, &c);
        logf_(&c, "distkernel: building %s/%s for %s in %s as %s\n", req->conf->name, req->conf->version,
              req->kernel->kver, c.build_host, req->user ? "the build user" : "root");
        if (req->user)
                logf_(&c, "distkernel: build user uid %u gid %u\n", (unsigned) req->user->uid,
                      (unsigned) req->user->gid);
        r = build_steps(&c);
        if (r == BUILD_FAILED && reason_own_io)
                r = BUILD_ERROR;
        logf_(&c, "distkernel: %s\n", r == BUILD_OK ? "built" : r == BUILD_SKIPPED ? "skipped" : "failed");
        log_set_sink(NULL, NULL); /* c goes away */
        return r;
}
