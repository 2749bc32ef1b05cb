/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include "boot/boot.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/irnode.h"
#include "core/plan.h"
#include "core/state.h"
#include "modpkg/builduser.h"
#include "sign/key.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"

/* One cell of the status table: a registered version on a kernel. */
struct cell {
        const char *name, *version, *state, *message;
};

/* Cells of kernel k: the planned pairs, then older versions still installed there. */
static size_t kernel_cells(const struct plan *p, const struct kernel *k, struct cell *out) {
        size_t n = 0;
        for (size_t i = 0; i < p->n_pairs; i++) {
                const struct pair *x = &p->pairs[i];
                if (x->kernel != k)
                        continue;
                out[n++] = (struct cell) { x->pkg->name, x->pkg->version, pair_status(x),
                                           x->result_message ? x->result_message :
                                           x->action == ACTION_NONE ? x->prev_message : x->why };
        }
        for (size_t i = 0; i < p->n_rows; i++) {
                const struct state_pair *row = &p->rows[i];
                bool planned = false;
                if (!streq(row->kver, k->kver))
                        continue;
                for (size_t j = 0; j < n; j++)
                        planned |= streq(out[j].name, row->name) && streq(out[j].version, row->version);
                if (!planned)
                        out[n++] = (struct cell) { row->name, row->version,
                                                   pair_state_to_string(row->state), row->message };
        }
        return n;
}

/* The kernel command line (a dracut UEFI executable's input). */
static const char *status_cmdline;

/* The initramfs of a kernel as status shows it: generator, size, state. */
struct irstatus {
        const char *generator, *state;
        int64_t size;
};

static struct irstatus ir_status(struct cli *c, struct state *st, const struct plan *p,
                                 const struct config *cfg, struct kernel *k) {
        struct irnode n = { .kernel = k, .cfg = cfg, .cmdline = status_cmdline };
        struct irstatus s = { initramfs_generator_to_string(cfg->initramfs), "none", -1 };
        struct stat stt;
        int r;

        if (cfg->initramfs == INITRAMFS_NONE)
                return s;
        r = irnode_prepare(&n, &c->root, st, p);
        if (n.output && fs_stat(c->root.fd, n.output, &stt) >= 0)
                s.size = stt.st_size;
        s.state = r == 0 ? "current" : r < 0 ? "unknown" : s.size >= 0 ? "stale" : "missing";
        irnode_done(&n);
        return s;
}

static void json_status(struct cli *c, struct state *st, const struct plan *p, const struct config *cfg) {
        struct json j;
        struct cell *cells = calloc(p->n_pkgs + p->n_rows + 1, sizeof *cells);

        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_string(&j, "root", c->root.path);
        _cleanup_free_ char *def = boot_default(st), *prev = boot_previous_default(st);
        json_kv_string(&j, "layout", boot_layout_to_string(cfg->layout));
        json_kv_string(&j, "default", def);
        json_kv_string(&j, "previous_default", prev);
        json_key(&j, "kernels");
        json_array_begin(&j);
        for (size_t i = 0; cells && i < p->n_kernels; i++) {
                const struct kernel *k = p->kernels[i];
                size_t n = kernel_cells(p, k, cells);
                json_object_begin(&j);
                json_kv_string(&j, "kver", k->kver);
                json_kv_string(&j, "image", k->image);
                json_kv_bool(&j, "headers", k->build_dir != NULL);
                json_kv_bool(&j, "ignored", strv_contains(p->ignored, k->kver));
                json_kv_bool(&j, "pinned", boot_pinned(st, k->kver));
                _cleanup_free_ char *bs = boot_status(st, k->kver);
                json_kv_string(&j, "boot", bs);
                struct irstatus irs = ir_status(c, st, p, cfg, p->kernels[i]);
                json_key(&j, "initramfs");
                json_object_begin(&j);
                json_kv_string(&j, "generator", irs.generator);
                json_kv_string(&j, "state", irs.state);
                json_key(&j, "size");
                if (irs.size >= 0)
                        json_int(&j, irs.size);
                else
                        json_null(&j);
                json_object_end(&j);
                json_key(&j, "modules");
                json_array_begin(&j);
                for (size_t m = 0; m < n; m++) {
                        _cleanup_free_ char *log = pair_log_path(cells[m].name, cells[m].version, k->kver);
                        json_object_begin(&j);
                        json_kv_string(&j, "package", cells[m].name);
                        json_kv_string(&j, "version", cells[m].version);
                        json_kv_string(&j, "state", cells[m].state);
                        json_kv_string(&j, "log", log);
                        json_kv_string(&j, "message", cells[m].message);
                        json_object_end(&j);
                }
                json_array_end(&j);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_key(&j, "packages");
        json_array_begin(&j);
        for (size_t i = 0; i < p->n_pkgs; i++) {
                json_object_begin(&j);
                json_kv_string(&j, "package", p->pkgs[i].name);
                json_kv_string(&j, "version", p->pkgs[i].version);
                json_kv_string(&j, "path", p->pkgs[i].path);
                json_kv_bool(&j, "latest", p->pkgs[i].latest);
                json_kv_bool(&j, "sources_present", !p->pkgs[i].missing);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        free(cells);
}

/* A failed build in one line: why, and the command that shows its log
 * (with the log's path), when there is a log. */
static void print_failed(struct cli *c, const struct cell *x, const char *kver) {
        _cleanup_free_ char *log = pair_log_path(x->name, x->version, kver), *why = strdup(x->message);
        _cleanup_free_ char *host = log ? root_host_path(&c->root, log) : NULL;
        char *paren = why ? strstr(why, " (log: ") : NULL;

        if (!why || !host)
                return;
        if (paren)
                *paren = 0; /* the path comes below */
        if (fs_exists(c->root.fd, log))
                printf("%s/%s failed for %s: %s; 'distkernel module log %s %s' shows %s\n", x->name, x->version, kver,
                       why, x->name, kver, host);
        else
                printf("%s/%s failed for %s: %s\n", x->name, x->version, kver, why);
}

/* The log of a kernel's initramfs, when the reason it is held back is its
 * initramfs. */
static char *held_log(struct cli *c, const char *kver, const char *why) {
        _cleanup_free_ char *log = NULL;
        if (!strstr(why, "its initramfs failed") || !(log = strdup_printf(LOG_DIR "/initramfs-%s.log", kver)))
                return NULL;
        return fs_exists(c->root.fd, log) ? root_host_path(&c->root, log) : NULL;
}

/* The default kernel, and each kernel that is held back and why. */
static void print_boot(struct cli *c, struct state *st, const struct plan *p, const struct config *cfg) {
        _cleanup_free_ char *def = boot_default(st), *prev = boot_previous_default(st);

        if (p->n_kernels == 0)
                return;
        printf("Layout %s; default kernel: %s%s%s\n", boot_layout_to_string(cfg->layout),
               def ? def : "none yet (run 'distkernel sync')", prev ? ", fallback: " : "", strempty(prev));
        for (size_t i = 0; i < p->n_kernels; i++) {
                _cleanup_free_ char *bs = boot_status(st, p->kernels[i]->kver);
                _cleanup_free_ char *log = bs && startswith(bs, "held: ") ? held_log(c, p->kernels[i]->kver, bs) : NULL;
                if (bs && startswith(bs, "held: "))
                        printf("%s is held back: %s%s%s%s. Fix it and run 'distkernel sync' (or 'sync --force' to "
                               "install it anyway).\n", p->kernels[i]->kver, bs + 6, log ? "; see 'less " : "",
                               strempty(log), log ? "'" : "");
                else if (bs && startswith(bs, "removed: "))
                        printf("%s: its boot entry was removed %s; 'distkernel sync --rebuild' brings it back.\n",
                               p->kernels[i]->kver, bs + 9);
                else if (bs && startswith(bs, "failed: "))
                        printf("%s: its boot entry failed: %s\n", p->kernels[i]->kver, bs + 8);
                if (boot_pinned(st, p->kernels[i]->kver) && c->verbosity >= 0)
                        printf("%s is pinned (gc keeps it).\n", p->kernels[i]->kver);
        }
}

/* Columns: one per registered package version that appears anywhere. */
static char **columns(const struct plan *p) {
        char **cols = calloc(1, sizeof(char *));
        for (size_t i = 0; cols && i < p->n_pkgs; i++)
                if (strv_pushf(&cols, "%s/%s", p->pkgs[i].name, p->pkgs[i].version) < 0)
                        return strv_free(cols);
        return cols;
}

void status_print_table(struct cli *c, struct state *st, const struct plan *p, const struct config *cfg) {
        _cleanup_strv_free_ char **cols = columns(p);
        size_t nc = strv_length(cols) + 2, nr = p->n_kernels + 1;
        char **irs = calloc(p->n_kernels + 1, sizeof(char *));
        char ***rows = calloc(nr, sizeof *rows);
        struct cell *cells = calloc(p->n_pkgs + p->n_rows + 1, sizeof *cells);

        if (!cols || !rows || !cells || !irs)
                goto out;
        for (size_t r = 0; r < nr; r++)
                if (!(rows[r] = calloc(nc, sizeof(char *))))
                        goto out;
        rows[0][0] = "KERNEL";
        rows[0][1] = "INITRAMFS";
        for (size_t k = 2; k < nc; k++)
                rows[0][k] = cols[k - 2];
        for (size_t i = 0; i < p->n_kernels; i++) {
                size_t n = kernel_cells(p, p->kernels[i], cells);
                struct irstatus ir = ir_status(c, st, p, cfg, p->kernels[i]);
                rows[i + 1][0] = p->kernels[i]->kver;
                if (cfg->initramfs == INITRAMFS_NONE)
                        irs[i] = strdup("none");
                else if (ir.size >= 0)
                        irs[i] = strdup_printf("%s %s %.1fM", ir.generator, ir.state, (double) ir.size / (1 << 20));
                else
                        irs[i] = strdup_printf("%s %s", ir.generator, ir.state);
                rows[i + 1][1] = irs[i];
                for (size_t m = 0; m < n; m++)
                        for (size_t k = 2; k < nc; k++) {
                                _cleanup_free_ char *col = strdup_printf("%s/%s", cells[m].name, cells[m].version);
                                if (col && streq(col, cols[k - 2]))
                                        rows[i + 1][k] = (char *) cells[m].state;
                        }
                if (strv_contains(p->ignored, p->kernels[i]->kver))
                        for (size_t k = 2; k < nc; k++)
                                rows[i + 1][k] = "ignored";
        }
        if (p->n_kernels == 0)
                printf("No kernels installed in '%s'.\n", c->root.path);
        else
                cli_print_table(stdout, rows, nr, nc);
        print_boot(c, st, p, cfg);
        for (size_t i = 0; i < p->n_kernels; i++) {
                size_t n = kernel_cells(p, p->kernels[i], cells);
                for (size_t m = 0; m < n; m++)
                        if (cells[m].message && streq(cells[m].state, "failed"))
                                print_failed(c, &cells[m], p->kernels[i]->kver);
                        else if (cells[m].message && (c->verbosity > 0 || streq(cells[m].state, "skipped")))
                                printf("%s/%s on %s: %s: %s\n", cells[m].name, cells[m].version,
                                       p->kernels[i]->kver, cells[m].state, cells[m].message);
        }
out:
        for (size_t r = 0; rows && r < nr; r++)
                free(rows[r]);
        for (size_t i = 0; irs && i < p->n_kernels; i++)
                free(irs[i]);
        free(irs);
        free(rows);
        free(cells);
}

/* The fingerprint sync puts into the pair keys when modules are signed (from
 * the certificate alone: status need not be able to read the private key);
 * NULL when they are not, or when the certificate cannot be read (then sync
 * fails too, and the pairs show as stale). */
static const char *module_sign_id(struct cli *c, const struct config *cfg, char id[static 65]) {
        if (!cfg->module_sign_key || !cfg->module_sign_cert)
                return NULL;
        return sign_cert_fingerprint(c->root.fd, cfg->module_sign_cert, id) < 0 ? NULL : id;
}

int cmd_status(struct cli *c, int argc, char **argv) {
        _cleanup_(config_done) struct config cfg = {};
        _cleanup_(boot_env_done) struct boot_env env = {};
        _cleanup_(build_user_done) struct build_user bu = {};
        char id[65];
        _cleanup_state_ struct state *st = NULL;
        _cleanup_plan_ struct plan *p = NULL;
        int r;

        if (argc > 1)
                return cli_usage("status: unexpected argument '%s'", argv[1]);
        if (config_load(&c->root, &cfg) < 0)
                return EXIT_FAIL;
        /* the layout decides where the initramfs lives */
        if (boot_env_load(&c->root, &cfg, &env) >= 0) {
                cfg.layout = env.layout;
                status_cmdline = env.cmdline;
        }
        /* status evaluates a changed dkms.conf, as the build user */
        if (build_user_for_root(cfg.build_user, &c->root, &bu) < 0)
                return EXIT_FAIL; /* reported */
        r = cli_state_open(c, false, &st);
        if (r < 0)
                return EXIT_FAIL;
        unsigned mark = log_error_count();
        r = plan_compute_signed(&c->root, st, NULL, 0, module_sign_id(c, &cfg, id), build_user_spawn(&bu), &p);
        if (r < 0)
                return cli_failed(EXIT_FAIL, mark, "status", r);
        if (c->json)
                json_status(c, st, p, &cfg);
        else
                status_print_table(c, st, p, &cfg);
        return EXIT_OK;
}
