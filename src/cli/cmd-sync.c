/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <unistd.h>
#include "boot/boot.h"
#include "boot/publish.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "core/config.h"
#include "core/sync.h"
#include "kernel/kver.h"
#include "modpkg/builduser.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"

/* A dry run's boot entries that would be installed. */
static void entries_json(struct json *j, const struct boot_report *rep) {
        json_key(j, "entries");
        json_array_begin(j);
        for (size_t i = 0; i < rep->n_nodes; i++) {
                const struct boot_node *n = &rep->nodes[i];
                if (n->reasons.n == 0)
                        continue;
                json_object_begin(j);
                json_kv_string(j, "kver", n->kernel->kver);
                json_kv_string(j, "entry", n->entry);
                cli_reasons_json(j, &n->reasons);
                json_object_end(j);
        }
        json_array_end(j);
}

static void report_json(const struct plan *p, const struct sync_result *res, int status,
                        const struct boot_report *boot, const struct boot_env *env, bool dry_run) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_bool(&j, "ok", status == 0);
        json_key(&j, "pairs");
        json_array_begin(&j);
        for (size_t i = 0; i < p->n_pairs; i++) {
                const struct pair *x = &p->pairs[i];
                _cleanup_free_ char *log = pair_log_path(x->pkg->name, x->pkg->version, x->kernel->kver);
                json_object_begin(&j);
                json_kv_string(&j, "package", x->pkg->name);
                json_kv_string(&j, "version", x->pkg->version);
                json_kv_string(&j, "kver", x->kernel->kver);
                json_kv_string(&j, "action", pair_action_to_string(x->action));
                json_kv_string(&j, "why", x->why);
                json_kv_string(&j, "state", pair_status(x));
                json_kv_string(&j, "message", x->result_message);
                json_kv_string(&j, "log", log);
                cli_reasons_json(&j, &x->reasons);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_key(&j, "initramfs");
        json_array_begin(&j);
        for (size_t i = 0; i < res->n_ir; i++) {
                static const char *const names[] = { "skipped", "current", "generated", "failed" };
                const struct irnode *n = &res->ir[i];
                if (!n->kernel)
                        continue;
                json_object_begin(&j);
                json_kv_string(&j, "kver", n->kernel->kver);
                json_kv_string(&j, "path", n->output);
                json_kv_string(&j, "state", names[n->result]);
                json_kv_string(&j, "message", n->message);
                cli_reasons_json(&j, &n->reasons);
                json_object_end(&j);
        }
        json_array_end(&j);
        if (boot && dry_run)
                entries_json(&j, boot);
        else if (boot)
                boot_report_json(&j, boot, env);
        json_object_end(&j);
}

/* What a dry run would do and why, one line per node:
 * "build v4l2loopback 0.12.7 for 6.1.0-56-amd64: new kernel". */
static void report_dry_run(const struct plan *p, const struct sync_result *res, const struct boot_report *boot,
                           const struct boot_env *env) {
        size_t n = 0;

        for (size_t i = 0; i < p->n_pairs; i++) {
                const struct pair *x = &p->pairs[i];
                if (x->action == ACTION_NONE)
                        continue;
                printf("%s %s %s for %s: %s\n",
                       x->action != ACTION_BUILD ? pair_action_to_string(x->action) :
                       x->prev == PAIR_STATE_INVALID ? "build" : "rebuild",
                       x->pkg->name, x->pkg->version, x->kernel->kver, strempty(x->why));
                n++;
        }
        for (size_t i = 0; i < res->n_ir; i++) {
                _cleanup_free_ char *why = reasons_join(&res->ir[i].reasons);
                if (!why)
                        continue;
                printf("rebuild initramfs %s: %s\n", res->ir[i].kernel->kver, why);
                n++;
        }
        for (size_t i = 0; boot && i < boot->n_nodes; i++) {
                _cleanup_free_ char *why = reasons_join(&boot->nodes[i].reasons);
                if (!why)
                        continue;
                printf("install %s %s: %s\n", env->layout == LAYOUT_UKI ? "uki" : "entry",
                       boot->nodes[i].kernel->kver, why);
                n++;
        }
        if (n == 0)
                printf("nothing to do: everything is up to date\n");
}

static void report_text(struct cli *c, const struct plan *p, bool dry_run) {
        size_t built = 0, failed = 0, same = 0, excluded = 0, other = 0;

        for (size_t i = 0; i < p->n_pairs; i++) {
                const struct pair *x = &p->pairs[i];
                if (dry_run)
                        continue;
                if (x->action == ACTION_NONE)
                        same++;
                else if (x->result == PAIR_FAILED)
                        failed++;
                else if (x->action == ACTION_EXCLUDED)
                        excluded++;
                else if (x->action == ACTION_BUILD)
                        built++;
                else
                        other++;
        }
        if (dry_run)
                return;
        fflush(stdout);
        for (size_t i = 0; i < p->n_pairs; i++) {
                const struct pair *x = &p->pairs[i];
                if (x->action == ACTION_NO_HEADERS)
                        fprintf(stderr, "distkernel: '%s/%s' for kernel '%s': not built: %s, skipping\n", x->pkg->name,
                                x->pkg->version, x->kernel->kver, x->why);
                else if (x->result == PAIR_FAILED && x->action != ACTION_BUILD)
                        fprintf(stderr, "distkernel: '%s/%s' for kernel '%s': %s; 'distkernel sync --rebuild' retries it\n",
                                x->pkg->name, x->pkg->version, x->kernel->kver, strempty(x->result_message));
        }
        if (c->verbosity < 0)
                return;
        printf("sync: %zu built, %zu failed, %zu up to date, %zu excluded%s\n", built, failed, same, excluded,
               other ? ", some not built (see above)" : "");
        if (failed)
                printf("See a build log with 'distkernel module log NAME KVER'.\n");
}

/* The boot stage after the modules and initramfs; with a promotion, gc. */
static int boot_stage(struct cli *c, struct state *st, const struct config *cfg, const struct boot_env *env,
                      const struct plan *p, const struct sync_result *res, const struct boot_options *bo,
                      struct boot_report *rep) {
        _cleanup_(gc_report_done) struct gc_report gc = {};
        _cleanup_free_ char *old_default = boot_default(st);
        unsigned mark = log_error_count();
        int r;

        r = boot_run(&c->root, st, cfg, env, p, res, bo, rep);
        if (r < 0)
                return cli_failed(-EXIT_FAIL, mark, "boot", r);
        if (boot_run_hook(c, cfg, env, rep) != 0)
                r = 1;
        if ((rep->default_kver && !streq_ptr(old_default, rep->default_kver)) || boot_gc_pending(st)) {
                mark = log_error_count();
                r = boot_gc(&c->root, st, cfg, false, &gc);
                if (r < 0)
                        return cli_failed(-EXIT_FAIL, mark, "gc", r);
                STRV_FOREACH(k, gc.removed)
                        if (c->verbosity >= 0 && !c->json)
                                printf("gc: removed kernel %s (keep = %u)\n", *k, config_keep(cfg));
        }
        return r;
}

static int run_sync(struct cli *c, struct sync_options *o, const struct boot_options *bo) {
        _cleanup_(config_done) struct config cfg = {};
        _cleanup_(sync_result_done) struct sync_result res = {};
        _cleanup_(boot_env_done) struct boot_env env = {};
        _cleanup_(boot_report_done) struct boot_report rep = {};
        _cleanup_(build_user_done) struct build_user bu = {};
        _cleanup_state_ struct state *st = NULL;
        _cleanup_plan_ struct plan *p = NULL;
        _cleanup_progress_ struct progress *pr = NULL;
        _cleanup_close_ int lock = -EBADF;
        bool boot = !o->dry_run && !o->modules_only;
        int r, b = 0;

        if (config_load(&c->root, &cfg) < 0)
                return EXIT_FAIL;
        if (!o->jobs)
                o->jobs = cfg.jobs;
        o->cc = cfg.build_cc;
        o->cfg = &cfg;
        if (build_user_for_root(cfg.build_user, &c->root, &bu) < 0)
                return EXIT_FAIL; /* reported */
        o->build_user = build_user_spawn(&bu);
        unsigned mark = log_error_count();
        r = boot_env_load(&c->root, &cfg, &env);
        if (r < 0)
                return cli_failed(EXIT_FAIL, mark, "sync", r);
        cfg.layout = env.layout;
        o->cmdline = env.cmdline;
        if (bo->uki_only && env.layout != LAYOUT_UKI)
                return cli_error(EXIT_FAIL, "uki: '%s': the layout is %s, not uki; set 'layout = uki'", CONFIG_PATH,
                                 boot_layout_to_string(env.layout));
        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, false, &st) < 0)
                return EXIT_FAIL;
        pr = progress_new(c);
        if (!pr)
                return cli_error(EXIT_FAIL, "sync: out of memory");
        progress_attach(pr, o);
        mark = log_error_count();
        r = sync_run(&c->root, st, o, &p, &res);
        progress_interrupt();
        if (r < 0)
                return cli_failed(EXIT_FAIL, mark, "sync", r);
        if (!c->json)
                report_text(c, p, o->dry_run);
        if (o->dry_run && !o->modules_only) {
                struct boot_options dry = *bo;
                dry.dry_run = true;
                mark = log_error_count();
                b = boot_run(&c->root, st, &cfg, &env, p, &res, &dry, &rep);
                if (b < 0)
                        return cli_failed(EXIT_FAIL, mark, "sync", b);
        }
        if (o->dry_run && !c->json)
                report_dry_run(p, &res, &rep, &env);
        if (boot) {
                b = boot_stage(c, st, &cfg, &env, p, &res, bo, &rep);
                if (b < 0)
                        return -b;
                if (!c->json)
                        boot_report_text(c, &rep);
        }
        if (c->json)
                report_json(p, &res, r || b, boot || o->dry_run ? &rep : NULL, &env, o->dry_run);
        return r == 0 && b == 0 ? EXIT_OK : EXIT_FAIL;
}

int cmd_initramfs(struct cli *c, int argc, char **argv) {
        struct sync_options o = { .jobs = c->jobs, .force_initramfs = true };

        if (argc != 2)
                return cli_usage("initramfs: usage: initramfs KVER");
        if (!kver_is_valid(argv[1]))
                return cli_error(EXIT_USAGE, "initramfs: '%s' is not a valid kernel version", argv[1]);
        o.kernel = argv[1];
        return run_sync(c, &o, &(struct boot_options) { .only = argv[1] });
}

int cmd_uki(struct cli *c, int argc, char **argv) {
        struct sync_options o = { .jobs = c->jobs };

        if (argc != 2)
                return cli_usage("uki: usage: uki KVER");
        if (!kver_is_valid(argv[1]))
                return cli_error(EXIT_USAGE, "uki: '%s' is not a valid kernel version", argv[1]);
        o.kernel = argv[1];
        return run_sync(c, &o, &(struct boot_options) { .only = argv[1], .rebuild = true, .uki_only = true });
}

/* installkernel VERSION IMAGE [SYSTEM.MAP [DIR]], as the kernel's `make install`
 * calls it: the image (and System.map, and the build's .config when make runs
 * in the build tree) go to ROOT/usr/lib/modules/VERSION/, then a full sync. DIR
 * (the traditional /boot) is not used: the layout decides where entries go. */
int cmd_installkernel(struct cli *c, int argc, char **argv) {
        struct sync_options o = {};
        _cleanup_free_ char *dir = NULL, *image = NULL, *map = NULL, *config = NULL;
        _cleanup_state_ struct state *st = NULL;
        const char *kver;
        int r;

        if (argc < 3 || argc > 5)
                return cli_usage("installkernel: usage: installkernel VERSION IMAGE [SYSTEM.MAP [DIR]]");
        kver = argv[1];
        if (!kver_is_valid(kver))
                return cli_error(EXIT_USAGE, "installkernel: '%s' is not a valid kernel version", kver);
        dir = strdup_printf("/usr/lib/modules/%s", kver);
        image = dir ? path_join(dir, "vmlinuz") : NULL;
        map = dir ? path_join(dir, "System.map") : NULL;
        config = dir ? path_join(dir, "config") : NULL;
        if (!image || !map || !config)
                return EXIT_FAIL;
        unsigned mark = log_error_count();
        r = publish_host_file(&c->root, argv[2], image, 0644);
        if (r >= 0 && argc >= 4 && *argv[3])
                r = publish_host_file(&c->root, argv[3], map, 0644);
        if (r >= 0 && access(".config", R_OK) == 0)
                r = publish_host_file(&c->root, ".config", config, 0644);
        if (r < 0)
                return cli_failed(EXIT_FAIL, mark, "installkernel", r);
        if (c->verbosity >= 0)
                printf("installed kernel %s as %s\n", kver, image);
        /* a kernel that was removed from distkernel before comes back */
        if (cli_state_open(c, false, &st) < 0)
                return EXIT_FAIL;
        (void) state_kernel_set_ignored(st, kver, false);
        st = state_close(st);
        return run_sync(c, &o, &(struct boot_options) {});
}

int cli_sync_all(struct cli *c) {
        struct sync_options o = { .jobs = c->jobs };
        return run_sync(c, &o, &(struct boot_options) {});
}

int cmd_sync(struct cli *c, int argc, char **argv) {
        static const struct option opts[] = {
                { "kernel", required_argument, NULL, 'k' },
                { "rebuild", no_argument, NULL, 'r' },
                { "force", no_argument, NULL, 'f' },
                { "dry-run", no_argument, NULL, 'n' },
                { "no-wait", no_argument, NULL, 'W' },
                {}
        };
        struct sync_options o = { .jobs = c->jobs };
        int opt;

        while ((opt = getopt_long(argc, argv, "k:", opts, NULL)) >= 0)
                switch (opt) {
                case 'k': o.kernel = optarg; break;
                case 'r': o.rebuild = true; break;
                case 'f': o.force = true; break;
                case 'n': o.dry_run = true; break;
                case 'W': c->no_wait = true; break;
                default: return cli_usage("sync: invalid option");
                }
        if (optind < argc)
                return cli_usage("sync: unexpected argument '%s'", argv[optind]);
        /* plan: what sync would do and why */
        if (streq(argv[0], "plan"))
                o.dry_run = true;
        if (o.kernel && !kver_is_valid(o.kernel))
                return cli_error(EXIT_USAGE, "sync: '%s' is not a valid kernel version", o.kernel);
        return run_sync(c, &o, &(struct boot_options) { .force = o.force, .rebuild = o.rebuild, .only = o.kernel });
}
