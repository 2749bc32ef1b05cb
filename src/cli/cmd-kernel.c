/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include "boot/boot.h"
#include "core/config.h"
#include "core/plan.h"
#include "kernel/kbuild.h"
#include "sign/key.h"
#include "util/spawn.h"
#include "cli/cli.h"
#include "core/state.h"
#include "core/sync.h"
#include "kernel/kernel.h"
#include "kernel/kver.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"

static int kernel_list(struct cli *c) {
        _cleanup_state_ struct state *st = NULL;
        _cleanup_strv_free_ char **registered = NULL, **ignored = NULL;
        struct kernel **l = NULL;
        size_t n = 0;
        int r;

        if (cli_state_open(c, true, &st) < 0)
                return EXIT_FAIL;
        if (st && state_kernel_list(st, &registered, &ignored) < 0)
                return EXIT_FAIL;
        r = kernel_discover(&c->root, &l, &n);
        if (r < 0)
                return cli_error(EXIT_FAIL, "kernel list: %s", strerror(-r));
        if (c->json) {
                struct json j;
                json_init(&j, stdout);
                json_array_begin(&j);
                for (size_t i = 0; i < n; i++) {
                        json_object_begin(&j);
                        json_kv_string(&j, "kver", l[i]->kver);
                        json_kv_string(&j, "image", l[i]->image);
                        json_kv_string(&j, "headers", l[i]->build_dir);
                        json_kv_bool(&j, "registered", strv_contains(registered, l[i]->kver));
                        json_kv_bool(&j, "ignored", strv_contains(ignored, l[i]->kver));
                        json_object_end(&j);
                }
                json_array_end(&j);
        } else
                for (size_t i = 0; i < n; i++)
                        printf("%s  %s%s%s\n", l[i]->kver, l[i]->image, l[i]->build_dir ? "" : "  (no headers)",
                               strv_contains(ignored, l[i]->kver) ? "  (removed from distkernel)" : "");
        kernel_list_free(l, n);
        return EXIT_OK;
}

static int kernel_add(struct cli *c, const char *kver) {
        _cleanup_state_ struct state *st = NULL;
        _cleanup_kernel_ struct kernel *k = NULL;
        _cleanup_close_ int lock = -EBADF;
        int r;

        if (!kver_is_valid(kver))
                return cli_error(EXIT_FAIL, "kernel add: '%s' is not a valid kernel version", kver);
        r = kernel_load(&c->root, kver, &k);
        if (r == -ENOENT)
                return cli_error(EXIT_FAIL, "kernel add: kernel '%s' is not installed (no '%s/usr/lib/modules/%s' "
                                 "with an image beside it or in /boot)", kver, c->root.path, kver);
        if (r < 0)
                return cli_error(EXIT_FAIL, "kernel add: '%s': %s", kver, strerror(-r));
        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, false, &st) < 0)
                return EXIT_FAIL;
        r = state_kernel_add(st, kver, k->image);
        if (r >= 0)
                r = state_kernel_set_ignored(st, kver, false);
        if (r < 0)
                return EXIT_FAIL;
        if (c->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j);
                json_kv_bool(&j, "ok", true);
                json_kv_string(&j, "kver", kver);
                json_kv_bool(&j, "headers", k->build_dir != NULL);
                json_object_end(&j);
        } else if (c->verbosity >= 0)
                printf("Registered kernel %s%s. Run 'distkernel sync' to build its modules.\n", kver,
                       k->build_dir ? "" : " (it has no headers: modules cannot be built for it)");
        return EXIT_OK;
}

static int kernel_remove(struct cli *c, const char *kver) {
        _cleanup_state_ struct state *st = NULL;
        _cleanup_kernel_ struct kernel *k = NULL;
        _cleanup_close_ int lock = -EBADF;
        int r;

        if (!kver_is_valid(kver))
                return cli_error(EXIT_FAIL, "kernel remove: '%s' is not a valid kernel version", kver);
        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, false, &st) < 0)
                return EXIT_FAIL;
        r = kernel_load(&c->root, kver, &k);
        uint64_t freed = 0;
        unsigned mark = log_error_count();
        r = boot_remove_kernel_files(&c->root, st, kver, &freed);
        if (r >= 0)
                r = sync_forget_kernel(&c->root, st, kver, k != NULL);
        if (r < 0)
                return cli_failed(EXIT_FAIL, mark, "kernel remove", r);
        if (c->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j);
                json_kv_bool(&j, "ok", true);
                json_kv_string(&j, "kver", kver);
                json_kv_int(&j, "freed_bytes", (int64_t) freed);
                json_object_end(&j);
        } else if (c->verbosity >= 0)
                printf("Removed what distkernel installed for kernel %s%s.\n", kver,
                       k ? "; 'distkernel kernel add' brings it back" : "");
        return EXIT_OK;
}

static int kernel_pin(struct cli *c, const char *kver, bool pin) {
        _cleanup_state_ struct state *st = NULL;
        _cleanup_strv_free_ char **registered = NULL;
        _cleanup_close_ int lock = -EBADF;

        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, false, &st) < 0 || state_kernel_list(st, &registered, NULL) < 0)
                return EXIT_FAIL;
        if (!strv_contains(registered, kver))
                return cli_error(EXIT_FAIL, "kernel %s: '%s' is not a kernel distkernel manages; see 'distkernel kernel list'",
                                 pin ? "pin" : "unpin", kver);
        if (boot_pin(st, kver, pin) < 0)
                return EXIT_FAIL;
        if (c->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j);
                json_kv_bool(&j, "ok", true);
                json_kv_string(&j, "kver", kver);
                json_kv_bool(&j, "pinned", pin);
                json_object_end(&j);
        } else if (c->verbosity >= 0)
                printf(pin ? "Pinned kernel %s: gc keeps it.\n" : "Unpinned kernel %s.\n", kver);
        return EXIT_OK;
}

static void kbuild_progress(void *userdata, const char *step) {
        struct cli *c = userdata;
        if (c->verbosity >= 0 && !c->json) {
                printf("kernel build: %s\n", step);
                fflush(stdout);
        }
}

/* The base config: --config, else kernel-config, else the newest installed
 * kernel's, else the running kernel's /proc/config.gz (root / only), written
 * to a file below the kbuild dir. */
static int base_config(struct cli *c, const struct config *cfg, const char *opt, char **ret) {
        _cleanup_free_ char *tmp_rel = NULL, *out = NULL;
        struct kernel **l = NULL;
        size_t n = 0;
        int r;

        if (opt || cfg->kernel_config)
                return (*ret = strdup(opt ? opt : cfg->kernel_config)) ? 0 : -ENOMEM;
        r = kernel_discover(&c->root, &l, &n);
        if (r >= 0 && n > 0 && l[0]->config_path) {
                *ret = strdup(l[0]->config_path);
                kernel_list_free(l, n);
                return *ret ? 0 : -ENOMEM;
        }
        kernel_list_free(l, n);
        if (!streq(c->root.path, "/") || access("/proc/config.gz", R_OK) < 0)
                return log_error_errno(-ENOENT, "'%s': kernel build: no base config: set 'kernel-config = PATH' "
                                       "or give --config FILE", CONFIG_PATH);
        r = spawn_capture((const char *const[]) { "zcat", "/proc/config.gz", NULL }, NULL, NULL, 16u << 20, &out);
        tmp_rel = strdup(KBUILD_DIR "/running.config");
        if (r != 0 || !out || !tmp_rel)
                return log_error_errno(-EIO, "'/proc/config.gz': cannot read; give --config FILE");
        r = fs_mkdir_p(c->root.fd, KBUILD_DIR, 0755);
        if (r >= 0)
                r = fs_write_atomic(c->root.fd, tmp_rel, out, strlen(out), 0644);
        if (r < 0)
                return r;
        *ret = root_host_path(&c->root, tmp_rel);
        return *ret ? 0 : -ENOMEM;
}

/* module-sign-key/-cert as the one PEM file CONFIG_MODULE_SIG_KEY wants, 0600
 * below the kbuild dir; *ret gets its host path, NULL without a key. */
static int signing_pem(struct cli *c, const struct config *cfg, char **ret) {
        _cleanup_free_ char *key = NULL, *cert = NULL, *both = NULL;
        _cleanup_sign_key_ struct sign_key *k = NULL;
        static const char rel[] = KBUILD_DIR "/signing_key.pem";
        int r;

        *ret = NULL;
        if (!cfg->module_sign_key || !cfg->module_sign_cert)
                return 0;
        /* checks the key's mode and that the two belong together */
        r = sign_key_load(c->root.fd, cfg->module_sign_key, cfg->module_sign_cert, &k);
        if (r >= 0)
                r = fs_read_all(c->root.fd, cfg->module_sign_key, 1u << 20, &key, NULL);
        if (r >= 0)
                r = fs_read_all(c->root.fd, cfg->module_sign_cert, 1u << 20, &cert, NULL);
        if (r < 0)
                return r;
        both = strdup_printf("%s\n%s", key, cert);
        if (!both)
                return -ENOMEM;
        r = fs_mkdir_p(c->root.fd, KBUILD_DIR, 0755);
        if (r >= 0)
                r = fs_write_atomic(c->root.fd, rel, both, strlen(both), 0600);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot write: %s", rel, strerror(-r));
        *ret = root_host_path(&c->root, rel);
        return *ret ? 0 : -ENOMEM;
}

static int kernel_build(struct cli *c, int argc, char **argv) {
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "strict-config", no_argument, NULL, 's' },
                { "localversion", required_argument, NULL, 'l' },
                {}
        };
        _cleanup_(config_done) struct config cfg = {};
        _cleanup_strv_free_ char **fragments = NULL;
        _cleanup_free_ char *base = NULL, *kver = NULL, *log = NULL, *src = NULL, *mk = NULL, *pem = NULL;
        _cleanup_state_ struct state *st = NULL;
        _cleanup_close_ int lock = -EBADF, log_fd = -EBADF;
        const char *config_opt = NULL, *lv = NULL;
        bool strict = false;
        int o, r;

        optind = 1;
        while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) >= 0)
                switch (o) {
                case 'c': config_opt = optarg; break;
                case 's': strict = true; break;
                case 'l': lv = optarg; break;
                default: return cli_usage("kernel build: invalid option");
                }
        if (optind + 1 != argc - 1)
                return cli_usage("kernel build: usage: kernel build [--config FILE] [--strict-config] "
                                 "[--localversion SUFFIX] SRCDIR");
        src = realpath(argv[optind + 1], NULL);
        if (!src)
                return cli_error(EXIT_FAIL, "kernel build: '%s': %m", argv[optind + 1]);
        if (config_load(&c->root, &cfg) < 0)
                return EXIT_FAIL;
        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        unsigned mark = log_error_count();
        if ((r = base_config(c, &cfg, config_opt, &base)) < 0 || (r = kbuild_fragments(&c->root, &fragments)) < 0 ||
            (r = signing_pem(c, &cfg, &pem)) < 0)
                return cli_failed(EXIT_FAIL, mark, "kernel build", r);
        log = strdup_printf(LOG_DIR "/kernel-build-%s.log", strrchr(src, '/') + 1);
        if (!log || fs_mkdir_p(c->root.fd, LOG_DIR, 0755) < 0)
                return EXIT_FAIL;
        log_fd = fs_open(c->root.fd, log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
        if (log_fd < 0)
                return cli_error(EXIT_FAIL, "'%s': cannot create: %s", log, strerror(-log_fd));
        if (c->verbosity >= 0 && !c->json)
                printf("kernel build: %s with base config %s and %zu fragment(s); log: %s%s\n", src, base,
                       strv_length(fragments), c->root.path, log);
        struct kbuild_request req = {
                .root = &c->root, .src = src, .base_config = base, .fragments = fragments,
                .localversion = lv ? lv : cfg.kernel_localversion, .jobs = c->jobs ? c->jobs : cfg.jobs,
                .cc = cfg.build_cc, .strict = strict, .log_fd = log_fd, .progress = kbuild_progress, .userdata = c,
                .sign_pem = pem,
        };
        if (!req.jobs) {
                long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
                req.jobs = ncpu > 0 ? (unsigned) ncpu : 1;
        }
        mark = log_error_count();
        r = kbuild_run(&req, &kver);
        if (r < 0) {
                (void) cli_failed(EXIT_FAIL, mark, "kernel build", r);
                return cli_error(EXIT_FAIL, "'%s': the kernel was not built, nothing was installed (log: '%s%s')", src,
                                 streq(c->root.path, "/") ? "" : c->root.path, log);
        }
        if (cli_state_open(c, false, &st) < 0)
                return EXIT_FAIL;
        mk = strdup_printf("kernel:%s:built", kver);
        _cleanup_free_ char *image = strdup_printf("/usr/lib/modules/%s/vmlinuz", kver);
        r = mk && image ? state_kernel_add(st, kver, image) : -ENOMEM;
        if (r >= 0)
                r = state_kernel_set_ignored(st, kver, false);
        if (r >= 0)
                r = state_meta_set(st, mk, src);
        if (r < 0)
                return EXIT_FAIL;
        st = state_close(st);
        close(TAKE_FD(lock));
        if (c->verbosity >= 0 && !c->json)
                printf("kernel build: installed kernel %s; syncing\n", kver);
        return cli_sync_all(c);
}

int cmd_kernel(struct cli *c, int argc, char **argv) {
        if (argc < 2)
                return cli_usage("kernel: missing subcommand (list, add, remove)");
        if (streq(argv[1], "list") && argc == 2)
                return kernel_list(c);
        if (streq(argv[1], "add") && argc == 3)
                return kernel_add(c, argv[2]);
        if (streq(argv[1], "remove") && argc == 3)
                return kernel_remove(c, argv[2]);
        if (streq(argv[1], "build") && argc >= 3)
                return kernel_build(c, argc, argv);
        if ((streq(argv[1], "pin") || streq(argv[1], "unpin")) && argc == 3)
                return kernel_pin(c, argv[2], streq(argv[1], "pin"));
        return cli_usage("kernel: usage: kernel list | kernel add KVER | kernel remove KVER | "
                         "kernel pin KVER | kernel unpin KVER | kernel build [OPTIONS] SRCDIR");
}
