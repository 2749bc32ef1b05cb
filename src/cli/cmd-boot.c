/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include "boot/boot.h"
#include "cli/cli.h"
#include "kernel/kver.h"
#include "util/json.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

void boot_report_text(struct cli *c, const struct boot_report *rep) {
        for (size_t i = 0; i < rep->n_nodes; i++) {
                const struct boot_node *n = &rep->nodes[i];
                if (n->result == BOOT_HELD)
                        fprintf(stderr, "distkernel: kernel '%s' is held back: %s; it does not become the default "
                                "('distkernel sync --force' installs it anyway)\n", n->kernel->kver, n->message);
                else if (n->result == BOOT_FAILED)
                        fprintf(stderr, "distkernel: kernel '%s': installing its boot entry failed: %s\n",
                                n->kernel->kver, strempty(n->message));
                else if (n->result == BOOT_INSTALLED && c->verbosity >= 0)
                        printf("installed %s%s\n", n->entry, n->forced ? " (forced although held back)" : "");
        }
        if (c->verbosity >= 0 && rep->default_kver)
                printf("default kernel: %s%s%s\n", rep->default_kver, rep->previous_default ? ", fallback: " : "",
                       strempty(rep->previous_default));
}

/* "reasons": [{"input": "cmdline", "text": "..."}]: why a node runs. */
void cli_reasons_json(struct json *j, const struct reasons *r) {
        json_key(j, "reasons");
        json_array_begin(j);
        for (size_t i = 0; r && i < r->n; i++) {
                json_object_begin(j);
                json_kv_string(j, "input", r->v[i].input);
                json_kv_string(j, "text", r->v[i].text);
                json_object_end(j);
        }
        json_array_end(j);
}

void boot_report_json(struct json *j, const struct boot_report *rep, const struct boot_env *env) {
        json_key(j, "boot");
        json_object_begin(j);
        json_kv_string(j, "layout", boot_layout_to_string(env->layout));
        json_kv_string(j, "esp", env->esp);
        json_kv_string(j, "boot", env->boot);
        json_kv_string(j, "default", rep->default_kver);
        json_kv_string(j, "previous_default", rep->previous_default);
        json_key(j, "kernels");
        json_array_begin(j);
        for (size_t i = 0; i < rep->n_nodes; i++) {
                const struct boot_node *n = &rep->nodes[i];
                if (n->result == BOOT_NONE)
                        continue;
                json_object_begin(j);
                json_kv_string(j, "kver", n->kernel->kver);
                json_kv_string(j, "state", boot_node_result_to_string(n->result));
                json_kv_string(j, "entry", n->entry);
                json_kv_string(j, "message", n->message);
                json_kv_bool(j, "forced", n->forced);
                cli_reasons_json(j, &n->reasons);
                json_object_end(j);
        }
        json_array_end(j);
        json_object_end(j);
}

/* bootloader-hook = COMMAND: split at blanks (no shell), run with the changed
 * kernels and the default in its environment. A failure is reported, the
 * entries stay installed. */
int boot_run_hook(struct cli *c, const struct config *cfg, const struct boot_env *env,
                  const struct boot_report *rep) {
        _cleanup_strv_free_ char **argv = NULL, **envp = NULL;
        _cleanup_free_ char *changed = NULL;
        extern char **environ;
        int r;

        if (!cfg->bootloader_hook || !rep->changed)
                return 0;
        r = strv_split(cfg->bootloader_hook, " \t", &argv);
        if (r < 0 || !argv || !argv[0])
                return cli_error(EXIT_FAIL, "'%s': bootloader-hook is empty", CONFIG_PATH);
        envp = strv_copy(environ);
        changed = rep->changed_kvers ? strv_join(rep->changed_kvers, " ") : strdup("");
        if (!envp || !changed || strv_pushf(&envp, "DISTKERNEL_CHANGED=%s", changed) < 0 ||
            strv_pushf(&envp, "DISTKERNEL_DEFAULT=%s", strempty(rep->default_kver)) < 0 ||
            strv_pushf(&envp, "DISTKERNEL_PREVIOUS_DEFAULT=%s", strempty(rep->previous_default)) < 0 ||
            strv_pushf(&envp, "DISTKERNEL_ROOT=%s", c->root.path) < 0 ||
            strv_pushf(&envp, "DISTKERNEL_LAYOUT=%s", boot_layout_to_string(env->layout)) < 0 ||
            strv_pushf(&envp, "DISTKERNEL_BOOT=%s", strempty(env->boot)) < 0)
                return EXIT_FAIL;
        struct spawn s = SPAWN_INIT;
        s.argv = (const char *const *) argv;
        s.envp = envp;
        s.fd_out = c->json ? STDERR_FILENO : STDOUT_FILENO;
        s.fd_err = STDERR_FILENO;
        fflush(stdout);
        r = spawn_run(&s);
        if (r < 0)
                return cli_error(EXIT_FAIL, "bootloader-hook '%s': cannot run: %s; the entries are installed, the "
                                 "boot loader's menu may be stale", cfg->bootloader_hook, strerror(-r));
        if (r > 0)
                return cli_error(EXIT_FAIL, "bootloader-hook '%s': exited with status %d; the entries are installed, "
                                 "the boot loader's menu may be stale", cfg->bootloader_hook, r);
        return 0;
}

static void json_strv(struct json *j, char **l) {
        json_array_begin(j);
        STRV_FOREACH(s, l)
                json_string(j, *s);
        json_array_end(j);
}

int cmd_gc(struct cli *c, int argc, char **argv) {
        _cleanup_(config_done) struct config cfg = {};
        _cleanup_(gc_report_done) struct gc_report rep = {};
        _cleanup_state_ struct state *st = NULL;
        _cleanup_close_ int lock = -EBADF;
        bool dry_run = argc == 2 && streq(argv[1], "--dry-run");
        int r;

        if (argc > 2 || (argc == 2 && !dry_run))
                return cli_usage("gc: usage: gc [--dry-run]");
        if (config_load(&c->root, &cfg) < 0)
                return EXIT_FAIL;
        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, false, &st) < 0)
                return EXIT_FAIL;
        unsigned mark = log_error_count();
        r = boot_gc(&c->root, st, &cfg, dry_run, &rep);
        if (r < 0)
                return cli_failed(EXIT_FAIL, mark, "gc", r);
        if (c->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j);
                json_kv_bool(&j, "ok", true);
                json_kv_bool(&j, "dry_run", dry_run);
                json_key(&j, "removed");
                json_strv(&j, rep.removed);
                json_key(&j, "kept");
                json_strv(&j, rep.kept);
                json_kv_int(&j, "freed_bytes", (int64_t) rep.freed);
                json_object_end(&j);
                return EXIT_OK;
        }
        STRV_FOREACH(k, rep.kept)
                if (c->verbosity >= 0)
                        printf("kept %s\n", *k);
        STRV_FOREACH(k, rep.removed)
                printf("%s %s\n", dry_run ? "would remove" : "removed", *k);
        if (c->verbosity >= 0 && !dry_run)
                printf("gc: %zu kernel(s) removed, %llu MiB freed\n", strv_length(rep.removed),
                       (unsigned long long) (rep.freed >> 20));
        return EXIT_OK;
}
