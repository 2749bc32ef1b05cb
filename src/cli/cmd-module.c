/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/utsname.h>
#include "cli/cli.h"
#include "core/config.h"
#include "core/plan.h"
#include "core/state.h"
#include "core/sync.h"
#include "kernel/kernel.h"
#include "kernel/kver.h"
#include "modpkg/builduser.h"
#include "modpkg/dkmsconf.h"
#include "modpkg/install.h"
#include "util/json.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

static int module_list(struct cli *c) {
        _cleanup_state_ struct state *st = NULL;
        struct state_package *l = NULL;
        size_t n = 0;

        if (cli_state_open(c, true, &st) < 0)
                return EXIT_FAIL;
        if (st && state_package_list(st, &l, &n) < 0)
                return EXIT_FAIL;
        if (c->json) {
                struct json j;
                json_init(&j, stdout);
                json_array_begin(&j);
                for (size_t i = 0; i < n; i++) {
                        json_object_begin(&j);
                        json_kv_string(&j, "package", l[i].name);
                        json_kv_string(&j, "version", l[i].version);
                        json_kv_string(&j, "path", l[i].path);
                        json_object_end(&j);
                }
                json_array_end(&j);
        } else
                for (size_t i = 0; i < n; i++)
                        printf("%s/%s  %s\n", l[i].name, l[i].version, l[i].path);
        state_package_list_free(l, n);
        return EXIT_OK;
}

/* The package dir as a root-relative path: a host path below the root, or a
 * path that exists inside the root. */
static int package_path(struct cli *c, const char *arg, char **ret) {
        _cleanup_free_ char *abs = realpath(arg, NULL);
        const char *in = abs ? startswith(abs, c->root.path) : NULL;

        if (streq(c->root.path, "/") && abs)
                in = abs;
        if (in && (*in == '/' || *in == 0)) {
                *ret = strdup(*in ? in : "/");
                return *ret ? 0 : -ENOMEM;
        }
        if (arg[0] == '/' && fs_exists(c->root.fd, arg)) {
                *ret = strdup(arg);
                return *ret ? 0 : -ENOMEM;
        }
        return -ENOENT;
}

/* dkms.conf is evaluated for the newest kernel (with headers if any), as DKMS
 * evaluates it for the running kernel on `dkms add`. */
static int validate(struct cli *c, const char *host_dir, struct dkms_conf **ret) {
        _cleanup_(config_done) struct config cfg = {};
        _cleanup_(build_user_done) struct build_user bu = {};
        struct kernel **l = NULL;
        size_t n = 0, pick = 0;
        struct utsname u;
        _cleanup_free_ char *tree = root_host_path(&c->root, BUILD_DIR);
        _cleanup_free_ char *src = root_host_path(&c->root, "/usr/src");
        int r;

        r = config_load(&c->root, &cfg);
        if (r >= 0)
                r = build_user_for_root(cfg.build_user, &c->root, &bu);
        if (r < 0)
                return r; /* reported */
        (void) uname(&u);
        (void) kernel_discover(&c->root, &l, &n);
        for (size_t i = n; i > 0; i--)
                if (l[i - 1]->build_dir)
                        pick = i - 1;
        struct dkms_env env = {
                .kernelver = n ? l[pick]->kver : u.release, .arch = u.machine,
                .kernel_source_dir = n && l[pick]->build_dir ? l[pick]->build_dir : "/nonexistent",
                .dkms_tree = tree, .source_tree = src, .installed_modules_dir = "/nonexistent",
                .user = build_user_spawn(&bu),
        };
        r = dkms_conf_load(host_dir, &env, ret);
        kernel_list_free(l, n);
        return r;
}

static int run_post_add(const struct dkms_conf *conf, const char *dir) {
        _cleanup_free_ char *code = NULL;
        struct spawn s = SPAWN_INIT;

        if (isempty(conf->post_add))
                return 0;
        code = strdup_printf("exec ./%s", conf->post_add);
        if (!code)
                return -ENOMEM;
        s.argv = (const char *const[]) { "bash", "--norc", "--noprofile", "-c", code, NULL };
        s.cwd = dir;
        s.fd_out = 1;
        s.fd_err = 2;
        return spawn_run(&s);
}

static int module_add(struct cli *c, const char *arg) {
        _cleanup_free_ char *rel = NULL, *host = NULL;
        _cleanup_dkms_conf_ struct dkms_conf *conf = NULL;
        _cleanup_state_ struct state *st = NULL;
        _cleanup_close_ int lock = -EBADF;
        int r;

        r = package_path(c, arg, &rel);
        if (r < 0)
                return cli_error(EXIT_FAIL, "module add: '%s': not a directory inside the root '%s'", arg,
                                 c->root.path);
        host = root_host_path(&c->root, rel);
        if (!host)
                return EXIT_FAIL;
        r = validate(c, host, &conf);
        if (r < 0)
                return EXIT_FAIL; /* reported, naming the dkms.conf and the directive */
        r = run_post_add(conf, host);
        if (r != 0)
                return cli_error(EXIT_FAIL, "module add: '%s/dkms.conf': POST_ADD '%s' failed (%d)", host,
                                 conf->post_add, r);
        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, false, &st) < 0 || state_package_add(st, conf->name, conf->version, rel) < 0)
                return EXIT_FAIL;
        if (c->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j);
                json_kv_bool(&j, "ok", true);
                json_kv_string(&j, "package", conf->name);
                json_kv_string(&j, "version", conf->version);
                json_kv_string(&j, "path", rel);
                json_object_end(&j);
        } else if (c->verbosity >= 0)
                printf("Registered %s/%s from %s. Run 'distkernel sync' to build it.\n", conf->name, conf->version, rel);
        return EXIT_OK;
}

/* Brings the indexes of kernel kver up to date after a removal, with the log
 * a sync's depmod writes. */
static int depmod_logged(struct cli *c, const char *kver) {
        _cleanup_free_ char *log = strdup_printf(LOG_DIR "/depmod-%s.log", kver);
        _cleanup_close_ int fd = -EBADF;

        if (log && fs_mkdir_p(c->root.fd, LOG_DIR, 0755) >= 0)
                fd = fs_open(c->root.fd, log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
        return modpkg_depmod(&c->root, kver, fd >= 0 ? fd : -1);
}

static int module_remove(struct cli *c, const char *spec) {
        _cleanup_free_ char *name = strdup(spec);
        char *version = name ? strchr(name, '/') : NULL;
        _cleanup_state_ struct state *st = NULL;
        _cleanup_strv_free_ char **kernels = NULL;
        _cleanup_close_ int lock = -EBADF;
        struct state_package *l = NULL;
        size_t n = 0, matched = 0;
        struct json j;
        int r = 0;

        if (!name)
                return EXIT_FAIL;
        if (version)
                *version++ = 0;
        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, false, &st) < 0 || state_package_list(st, &l, &n) < 0 ||
            state_kernel_list(st, &kernels, NULL) < 0)
                return EXIT_FAIL;
        if (c->json) {
                json_init(&j, stdout);
                json_object_begin(&j);
                json_key(&j, "removed");
                json_array_begin(&j);
        }
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (!streq(l[i].name, name) || (version && !streq(l[i].version, version)))
                        continue;
                matched++;
                STRV_FOREACH(k, kernels) {
                        int q = sync_depmod_mark(st, *k, true);
                        if (q >= 0)
                                q = modpkg_uninstall(&c->root, st, *k, l[i].name, l[i].version);
                        if (q > 0 && depmod_logged(c, *k) != 0)
                                log_warning("kernel '%s': depmod failed after removing modules; see '%s/depmod-%s.log'; "
                                            "the next sync runs it again", *k, LOG_DIR, *k);
                        else if (q >= 0)
                                q = sync_depmod_mark(st, *k, false);
                        if (q < 0)
                                r = q;
                }
                if (r >= 0)
                        r = state_package_remove(st, l[i].name, l[i].version);
                if (r >= 0 && c->json) {
                        json_object_begin(&j);
                        json_kv_string(&j, "package", l[i].name);
                        json_kv_string(&j, "version", l[i].version);
                        json_object_end(&j);
                } else if (r >= 0 && c->verbosity >= 0)
                        printf("Removed %s/%s from every kernel.\n", l[i].name, l[i].version);
        }
        if (c->json) {
                json_array_end(&j);
                json_kv_bool(&j, "ok", r >= 0 && matched > 0);
                json_object_end(&j);
        }
        state_package_list_free(l, n);
        if (r < 0)
                return cli_error(EXIT_FAIL, "module remove: '%s': %s", spec, strerror(-r));
        if (!matched)
                return cli_error(EXIT_FAIL, "module remove: '%s': no such registered package; see 'distkernel module list'", spec);
        return EXIT_OK;
}

static int module_log(struct cli *c, const char *name, const char *kver) {
        _cleanup_state_ struct state *st = NULL;
        struct state_package *l = NULL;
        size_t n = 0;
        char *best = NULL;
        int r = -ENOENT;

        if (!dkms_name_is_valid(name))
                return cli_error(EXIT_FAIL, "module log: '%s' is not a valid package name", name);
        if (!kver_is_valid(kver))
                return cli_error(EXIT_FAIL, "module log: '%s' is not a valid kernel version", kver);
        if (cli_state_open(c, true, &st) < 0 || (st && state_package_list(st, &l, &n) < 0))
                return EXIT_FAIL;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = pair_log_path(name, l[i].version, kver);
                if (streq(l[i].name, name) && p && fs_exists(c->root.fd, p) &&
                    (!best || kver_compare(l[i].version, best) > 0))
                        best = l[i].version;
        }
        if (best) {
                _cleanup_free_ char *p = pair_log_path(name, best, kver), *text = NULL;
                r = p ? fs_read_all(c->root.fd, p, 64u << 20, &text, NULL) : -ENOMEM;
                if (r >= 0 && c->json) {
                        struct json j;
                        json_init(&j, stdout);
                        json_object_begin(&j);
                        json_kv_string(&j, "package", name);
                        json_kv_string(&j, "version", best);
                        json_kv_string(&j, "kver", kver);
                        json_kv_string(&j, "log", p);
                        json_kv_string(&j, "text", text);
                        json_object_end(&j);
                } else if (r >= 0)
                        fputs(text, stdout);
        }
        state_package_list_free(l, n);
        if (r < 0)
                return cli_error(EXIT_FAIL, "module log: no build log of '%s' for kernel '%s'; see 'distkernel status'", name,
                                 kver);
        return EXIT_OK;
}

/* Registers every ROOT/usr/src/\*\/dkms.conf package that is not registered
 * and removes registered packages whose sources are gone: what the package
 * manager hooks run when packages arrive or leave. A package that does not
 * validate is reported and skipped; the others go on. */
static int module_scan(struct cli *c) {
        _cleanup_free_ char *src = root_host_path(&c->root, "/usr/src");
        _cleanup_strv_free_ char **gone = NULL, **known = NULL;
        _cleanup_state_ struct state *st = NULL;
        struct state_package *l = NULL;
        struct dirent *de;
        DIR *d;
        size_t n = 0;
        int status = EXIT_OK;

        if (!src || cli_state_open(c, false, &st) < 0 || state_package_list(st, &l, &n) < 0)
                return EXIT_FAIL;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *conf = path_join(l[i].path, "dkms.conf");
                if (conf && !fs_exists(c->root.fd, conf))
                        (void) strv_pushf(&gone, "%s/%s", l[i].name, l[i].version);
                (void) strv_push(&known, l[i].path);
        }
        state_package_list_free(l, n);
        st = state_close(st);
        /* with --json, one document for the whole scan */
        struct cli quiet = *c;
        _cleanup_strv_free_ char **added = NULL, **removed = NULL;
        if (c->json) {
                quiet.json = false;
                quiet.verbosity = -1;
        }
        STRV_FOREACH(g, gone)
                if (module_remove(&quiet, *g) != EXIT_OK)
                        status = EXIT_FAIL;
                else
                        (void) strv_push(&removed, *g);
        d = opendir(src);
        while (d && (de = readdir(d))) {
                _cleanup_free_ char *rel = NULL, *conf = NULL;
                if (de->d_name[0] == '.')
                        continue;
                rel = strdup_printf("/usr/src/%s", de->d_name);
                conf = rel ? path_join(rel, "dkms.conf") : NULL;
                if (!conf || !fs_exists(c->root.fd, conf) || strv_contains(known, rel))
                        continue;
                if (module_add(&quiet, rel) != EXIT_OK)
                        status = EXIT_FAIL;
                else
                        (void) strv_push(&added, rel);
        }
        if (d)
                closedir(d);
        if (c->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j);
                json_kv_bool(&j, "ok", status == EXIT_OK);
                json_key(&j, "added");
                json_array_begin(&j);
                STRV_FOREACH(a, added)
                        json_string(&j, *a);
                json_array_end(&j);
                json_key(&j, "removed");
                json_array_begin(&j);
                STRV_FOREACH(a, removed)
                        json_string(&j, *a);
                json_array_end(&j);
                json_object_end(&j);
        }
        return status;
}

int cmd_module(struct cli *c, int argc, char **argv) {
        if (argc < 2)
                return cli_usage("module: missing subcommand (list, add, remove, log)");
        if (streq(argv[1], "list") && argc == 2)
                return module_list(c);
        if (streq(argv[1], "add") && argc == 3)
                return module_add(c, argv[2]);
        if (streq(argv[1], "remove") && argc == 3)
                return module_remove(c, argv[2]);
        if (streq(argv[1], "log") && argc == 4)
                return module_log(c, argv[2], argv[3]);
        if (streq(argv[1], "scan") && argc == 2)
                return module_scan(c);
        return cli_usage("module: usage: module list | add PATH | remove NAME[/VERSION] | log NAME KVER | scan");
}
