/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/verify.h"
#include "cli/cli.h"
#include "core/state.h"
#include "util/json.h"
#include "util/log.h"

static void print_json(const struct verify_report *rep) {
        struct json j;

        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_bool(&j, "ok", rep->n_findings == 0);
        json_kv_int(&j, "files", (int64_t) rep->n_files);
        json_kv_int(&j, "hashed", (int64_t) rep->n_hashed);
        json_kv_string(&j, "default", rep->default_kver);
        json_key(&j, "problems");
        json_array_begin(&j);
        for (size_t i = 0; i < rep->n_findings; i++) {
                const struct verify_finding *f = &rep->findings[i];
                json_object_begin(&j);
                json_kv_string(&j, "problem", verify_problem_to_string(f->problem));
                json_kv_string(&j, "path", f->path);
                json_kv_string(&j, "kver", f->kver);
                json_kv_string(&j, "owner", f->owner);
                json_kv_string(&j, "version", f->version);
                json_kv_string(&j, "detail", f->detail);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
}

/* One line per finding: "PATH: PROBLEM (OWNER VERSION, kernel KVER): DETAIL". */
static void print_text(struct cli *c, const struct verify_report *rep) {
        for (size_t i = 0; i < rep->n_findings; i++) {
                const struct verify_finding *f = &rep->findings[i];
                if (f->path)
                        printf("%s: %s (%s%s%s%s%s)", f->path, verify_problem_to_string(f->problem),
                               strempty(f->owner), f->version ? " " : "", strempty(f->version),
                               f->kver ? ", kernel " : "", strempty(f->kver));
                else if (f->kver)
                        printf("kernel %s: %s", f->kver, verify_problem_to_string(f->problem));
                else
                        printf("%s", verify_problem_to_string(f->problem));
                printf("%s%s\n", f->detail ? ": " : "", strempty(f->detail));
        }
        if (c->verbosity >= 0 || rep->n_findings)
                printf(rep->n_findings ? "verify: %zu file(s) checked (%zu hashed), %zu problem(s)\n"
                                       : "verify: %zu file(s) checked (%zu hashed), all intact\n",
                       rep->n_files, rep->n_hashed, rep->n_findings);
}

int cmd_verify(struct cli *c, int argc, char **argv) {
        _cleanup_(config_done) struct config cfg = {};
        _cleanup_(verify_report_done) struct verify_report rep = {};
        _cleanup_state_ struct state *st = NULL;
        _cleanup_close_ int lock = -EBADF;
        enum verify_flags flags = 0;
        int r;

        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--full"))
                        flags |= VERIFY_FULL;
                else
                        return cli_usage("verify: unexpected argument '%s'", argv[i]);
        }
        if (config_load(&c->root, &cfg) < 0)
                return EXIT_FAIL;
        /* a sync in progress replaces files: wait for it to finish */
        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, true, &st) < 0)
                return EXIT_FAIL;
        if (st) {
                unsigned mark = log_error_count();
                r = verify_run(&c->root, st, &cfg, flags, &rep);
                if (r < 0)
                        return cli_failed(EXIT_FAIL, mark, "verify", r);
        }
        if (c->json)
                print_json(&rep);
        else
                print_text(c, &rep);
        return rep.n_findings ? EXIT_FAIL : EXIT_OK;
}
