/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include "boot/boot.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/irnode.h"
#include "core/plan.h"
#include "core/state.h"
#include "kernel/kver.h"
#include "modpkg/builduser.h"
#include "sign/key.h"
#include "util/json.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

/* `graph [KVER] [--svg FILE]`: the nodes of the plan and what they depend on,
 * as Graphviz DOT (one cluster per kernel, nodes filled by state), rendered by
 * dot(1) with --svg, or as {"nodes","edges"} with --json. The graph is what
 * status computes: reading it changes nothing. */

/* Node states, with the fill colour and the legend's words. */
static const struct {
        const char *name, *color, *legend;
} states[] = {
        { "current", "palegreen", "up to date" },
        { "stale", "gold", "to rebuild (inputs changed)" },
        { "missing", "lightskyblue", "to build (never built)" },
        { "failed", "salmon", "failed" },
        { "held", "orange", "held back" },
        { "no_headers", "plum", "missing headers" },
        { "excluded", "lightgrey", "excluded (BUILD_EXCLUSIVE)" },
        { "ignored", "grey", "removed from distkernel" },
        { "none", "white", "not used (initramfs = none)" },
};

struct gnode {
        char *id;
        const char *kind;    /* kernel, package, module, initramfs, entry, config */
        const char *kver, *package, *version;
        const char *state;   /* a states[].name */
        char *detail;        /* why (the plan's reason, a failure), or NULL */
};

struct graph {
        struct gnode *nodes;
        size_t n_nodes, max_nodes;
        size_t (*edges)[2];
        size_t n_edges, max_edges;
};

static void graph_done(struct graph *g) {
        for (size_t i = 0; i < g->n_nodes; i++) {
                free(g->nodes[i].id);
                free(g->nodes[i].detail);
        }
        free(g->nodes);
        free(g->edges);
}

static const char *state_color(const char *state) {
        for (size_t i = 0; i < ELEMENTSOF(states); i++)
                if (streq(states[i].name, state))
                        return states[i].color;
        return "white";
}

/* Adds a node (the id is built from kind and the non-NULL parts); returns its index. */
static size_t add_node(struct graph *g, const char *kind, const char *kver, const char *package,
                       const char *version, const char *state, const char *detail) {
        size_t i = g->n_nodes;
        assert(i < g->max_nodes);
        g->nodes[i] = (struct gnode) { .kind = kind, .kver = kver, .package = package, .version = version,
                                       .state = state, .detail = detail ? strdup(detail) : NULL };
        g->nodes[i].id = strdup_printf("%s%s%s%s%s%s%s", kind, package ? "/" : "", strempty(package),
                                       version ? "/" : "", strempty(version), kver ? "@" : "", strempty(kver));
        g->n_nodes++;
        return i;
}

static void add_edge(struct graph *g, size_t from, size_t to) {
        assert(g->n_edges < g->max_edges);
        g->edges[g->n_edges][0] = from;
        g->edges[g->n_edges][1] = to;
        g->n_edges++;
}

static const char *module_state(const struct pair *x) {
        switch (x->action) {
        case ACTION_NONE:
                return x->prev == PAIR_FAILED ? "failed" : "current";
        case ACTION_BUILD:
                return x->prev == PAIR_STATE_INVALID ? "missing" : "stale";
        case ACTION_EXCLUDED:
                return "excluded";
        case ACTION_NO_HEADERS:
                return "no_headers";
        case ACTION_FAILED:
        case ACTION_INVALID:
        default:
                return "failed";
        }
}

static const char *initramfs_state(struct cli *c, struct state *st, const struct plan *p,
                                   const struct config *cfg, struct kernel *k, const char *cmdline) {
        struct irnode n = { .kernel = k, .cfg = cfg, .cmdline = cmdline };
        int r;

        if (cfg->initramfs == INITRAMFS_NONE)
                return "none";
        r = irnode_prepare(&n, &c->root, st, p);
        if (r > 0 && (!n.output || !fs_exists(c->root.fd, n.output)))
                r = 2;
        irnode_done(&n);
        return r == 0 ? "current" : r == 1 ? "stale" : r == 2 ? "missing" : "failed";
}

/* The entry's state from the boot stage's record; an entry whose inputs are
 * rebuilt is rebuilt too. */
static const char *entry_state(struct state *st, const char *kver, bool inputs_change, char **ret_detail) {
        _cleanup_free_ char *bs = boot_status(st, kver);

        if (bs && startswith(bs, "held: ")) {
                *ret_detail = strdup(bs + 6);
                return "held";
        }
        if (bs && startswith(bs, "failed: ")) {
                *ret_detail = strdup(bs + 8);
                return "failed";
        }
        if (!bs || !startswith(bs, "installed"))
                return "missing";
        return inputs_change ? "stale" : "current";
}

static bool changes(const char *state) {
        return streq(state, "stale") || streq(state, "missing");
}

static int graph_kernel(struct cli *c, struct state *st, const struct plan *p, const struct config *cfg,
                        const struct boot_env *env, struct graph *g, size_t i, size_t config_node) {
        struct kernel *k = p->kernels[i];
        bool ignored = strv_contains(p->ignored, k->kver), carried_change = false;
        size_t kn, irn, en;
        const char *irs;
        _cleanup_free_ char *detail = NULL;

        kn = add_node(g, "kernel", k->kver, NULL, NULL, ignored ? "ignored" : k->build_dir ? "current" : "no_headers",
                      ignored ? "removed with 'distkernel kernel remove'" : k->build_dir ? NULL :
                      "no headers: its 'build' link is missing or dangling");
        irs = ignored ? "ignored" : initramfs_state(c, st, p, cfg, k, env->cmdline);
        irn = add_node(g, "initramfs", k->kver, NULL, NULL, irs, initramfs_generator_to_string(cfg->initramfs));
        add_edge(g, kn, irn);
        add_edge(g, config_node, irn);
        for (size_t j = 0; j < p->n_pairs; j++) {
                const struct pair *x = &p->pairs[j];
                size_t mn, pn = SIZE_MAX;
                if (x->kernel != k)
                        continue;
                mn = add_node(g, "module", k->kver, x->pkg->name, x->pkg->version, module_state(x),
                              x->action == ACTION_NONE ? x->prev_message : x->why);
                for (size_t m = 0; m < g->n_nodes && pn == SIZE_MAX; m++)
                        if (streq(g->nodes[m].kind, "package") && streq(g->nodes[m].package, x->pkg->name) &&
                            streq(g->nodes[m].version, x->pkg->version))
                                pn = m;
                if (pn != SIZE_MAX)
                        add_edge(g, pn, mn);
                add_edge(g, kn, mn);
                if (irnode_carries(p, cfg, x->pkg->name)) {
                        add_edge(g, mn, irn);
                        carried_change |= changes(module_state(x));
                }
        }
        const char *es = ignored ? "ignored" : entry_state(st, k->kver, changes(irs) || carried_change, &detail);
        en = add_node(g, "entry", k->kver, NULL, NULL, es, detail);
        add_edge(g, kn, en);
        add_edge(g, irn, en);
        add_edge(g, config_node, en);
        return 0;
}

static int graph_build(struct cli *c, struct state *st, const struct plan *p, const struct config *cfg,
                       const struct boot_env *env, struct graph *g) {
        size_t config_node;

        g->max_nodes = 2 + p->n_pkgs + p->n_kernels * 3 + p->n_pairs;
        g->max_edges = 4 * g->max_nodes;
        g->nodes = calloc(g->max_nodes, sizeof *g->nodes);
        g->edges = calloc(g->max_edges, sizeof *g->edges);
        if (!g->nodes || !g->edges)
                return -ENOMEM;
        config_node = add_node(g, "config", NULL, NULL, NULL, "current",
                               "configuration, command line, os-release, EFI stub, signing keys");
        for (size_t i = 0; i < p->n_pkgs; i++)
                if (p->pkgs[i].latest && !p->pkgs[i].missing)
                        add_node(g, "package", NULL, p->pkgs[i].name, p->pkgs[i].version, "current", p->pkgs[i].path);
        for (size_t i = 0; i < p->n_kernels; i++)
                graph_kernel(c, st, p, cfg, env, g, i, config_node);
        for (size_t i = 0; i < g->n_nodes; i++)
                if (!g->nodes[i].id)
                        return -ENOMEM;
        return 0;
}

/* A DOT double-quoted string: '"' and '\' escaped. */
static void dot_quoted(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fputc('\\', f);
                fputc(*s == '\n' ? ' ' : *s, f);
        }
        fputc('"', f);
}

static void dot_node(FILE *f, const struct gnode *n, const char *layout) {
        _cleanup_free_ char *label = NULL;

        if (streq(n->kind, "module"))
                label = strdup_printf("module\\n%s/%s", n->package, n->version);
        else if (streq(n->kind, "package"))
                label = strdup_printf("package\\n%s/%s", n->package, n->version);
        else if (streq(n->kind, "kernel"))
                label = strdup_printf("kernel\\n%s", n->kver);
        else if (streq(n->kind, "initramfs"))
                label = strdup_printf("initramfs\\n%s", strempty(n->detail));
        else if (streq(n->kind, "entry"))
                label = strdup_printf("%s entry\\n%s", layout, n->kver);
        else
                label = strdup("config\\ncmdline, keys, stub");
        fputs("    ", f);
        dot_quoted(f, n->id);
        fprintf(f, " [label=\"%s\", fillcolor=%s%s", label ? label : n->kind, state_color(n->state),
                streq(n->kind, "kernel") ? ", shape=box3d" : streq(n->kind, "package") ? ", shape=folder" :
                streq(n->state, "excluded") ? ", style=\"rounded,filled,dashed\"" : "");
        if (n->detail && !streq(n->kind, "initramfs")) {
                fputs(", tooltip=", f);
                dot_quoted(f, n->detail);
        }
        fputs("];\n", f);
}

static void print_dot(FILE *f, const struct graph *g, const struct plan *p, const char *root, const char *layout) {
        fputs("digraph distkernel {\n", f);
        fputs("    graph [rankdir=LR, fontname=\"sans-serif\", labelloc=t, label=", f);
        _cleanup_free_ char *title = strdup_printf("distkernel: %s (layout %s)", root, layout);
        dot_quoted(f, strempty(title));
        fputs("];\n    node [shape=box, style=\"rounded,filled\", fontname=\"sans-serif\"];\n", f);
        for (size_t i = 0; i < g->n_nodes; i++)
                if (!g->nodes[i].kver)
                        dot_node(f, &g->nodes[i], layout);
        for (size_t k = 0; k < p->n_kernels; k++) {
                fprintf(f, "    subgraph \"cluster_%zu\" {\n    label=", k);
                _cleanup_free_ char *cl = strdup_printf("kernel %s", p->kernels[k]->kver);
                dot_quoted(f, strempty(cl));
                fputs(";\n    style=rounded;\n", f);
                for (size_t i = 0; i < g->n_nodes; i++)
                        if (g->nodes[i].kver && streq(g->nodes[i].kver, p->kernels[k]->kver))
                                dot_node(f, &g->nodes[i], layout);
                fputs("    }\n", f);
        }
        for (size_t e = 0; e < g->n_edges; e++) {
                fputs("    ", f);
                dot_quoted(f, g->nodes[g->edges[e][0]].id);
                fputs(" -> ", f);
                dot_quoted(f, g->nodes[g->edges[e][1]].id);
                fputs(";\n", f);
        }
        fputs("    subgraph \"cluster_legend\" {\n    label=\"legend\";\n    style=dashed;\n", f);
        for (size_t i = 0; i < ELEMENTSOF(states); i++)
                fprintf(f, "    \"legend/%s\" [label=\"%s\", fillcolor=%s];\n", states[i].name, states[i].legend,
                        states[i].color);
        for (size_t i = 0; i + 1 < ELEMENTSOF(states); i++)
                fprintf(f, "    \"legend/%s\" -> \"legend/%s\" [style=invis];\n", states[i].name, states[i + 1].name);
        fputs("    }\n}\n", f);
}

static void print_json(const struct graph *g, const struct plan *p, const char *root, const char *layout) {
        struct json j;

        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_string(&j, "root", root);
        json_kv_string(&j, "layout", layout);
        json_key(&j, "kernels");
        json_array_begin(&j);
        for (size_t i = 0; i < p->n_kernels; i++)
                json_string(&j, p->kernels[i]->kver);
        json_array_end(&j);
        json_key(&j, "nodes");
        json_array_begin(&j);
        for (size_t i = 0; i < g->n_nodes; i++) {
                const struct gnode *n = &g->nodes[i];
                json_object_begin(&j);
                json_kv_string(&j, "id", n->id);
                json_kv_string(&j, "kind", n->kind);
                json_kv_string(&j, "kver", n->kver);
                json_kv_string(&j, "package", n->package);
                json_kv_string(&j, "version", n->version);
                json_kv_string(&j, "state", n->state);
                json_kv_string(&j, "detail", n->detail);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_key(&j, "edges");
        json_array_begin(&j);
        for (size_t e = 0; e < g->n_edges; e++) {
                json_object_begin(&j);
                json_kv_string(&j, "from", g->nodes[g->edges[e][0]].id);
                json_kv_string(&j, "to", g->nodes[g->edges[e][1]].id);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
}

/* Renders dot text into an SVG file: dot reads a pipe and writes a temp
 * beside the target, renamed over it once dot succeeded. */
static int render_svg(const char *dot_text, size_t len, const char *target) {
        _cleanup_fs_tmp_ struct fs_tmp t = FS_TMP_INIT;
        _cleanup_free_ char *prog = NULL;
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        struct spawn s = SPAWN_INIT;
        int fds[2], r, w;
        pid_t pid;

        if (spawn_find_program("dot", &prog) < 0)
                return cli_error(EXIT_FAIL, "graph --svg: 'dot' is not installed: install Graphviz "
                                 "('apt-get install graphviz'), or run 'distkernel graph > FILE.dot'");
        r = fs_tmp_open(AT_FDCWD, target, 0644, &t);
        if (r < 0)
                return cli_error(EXIT_FAIL, "graph --svg: '%s': cannot create: %s", target, strerror(-r));
        if (pipe2(fds, O_CLOEXEC) < 0)
                return cli_error(EXIT_FAIL, "graph --svg: '%s': cannot create a pipe: %m", target);
        in = fds[0];
        out = fds[1];
        s.argv = (const char *const[]) { prog, "-Tsvg", NULL };
        s.fd_in = in;
        s.fd_out = t.fd;
        s.fd_err = STDERR_FILENO;
        r = spawn_start(&s, &pid);
        if (r < 0)
                return cli_error(EXIT_FAIL, "graph --svg: cannot run '%s': %s", prog, strerror(-r));
        close(TAKE_FD(in));
        w = fd_write_all(out, dot_text, len);
        close(TAKE_FD(out));
        r = spawn_wait(pid);
        if (r != 0 || w < 0)
                return cli_error(EXIT_FAIL, "graph --svg: '%s -Tsvg' failed (exit status %d); '%s' is unchanged",
                                 prog, r, target);
        r = fs_tmp_commit(&t);
        if (r < 0)
                return cli_error(EXIT_FAIL, "graph --svg: '%s': cannot write: %s", target, strerror(-r));
        return EXIT_OK;
}

static const char *sign_id(struct cli *c, const struct config *cfg, char id[static 65]) {
        if (!cfg->module_sign_key || !cfg->module_sign_cert)
                return NULL;
        return sign_cert_fingerprint(c->root.fd, cfg->module_sign_cert, id) < 0 ? NULL : id;
}

int cmd_graph(struct cli *c, int argc, char **argv) {
        static const struct option opts[] = {
                { "svg", required_argument, NULL, 's' },
                {}
        };
        _cleanup_(config_done) struct config cfg = {};
        _cleanup_(build_user_done) struct build_user bu = {};
        _cleanup_(boot_env_done) struct boot_env env = {};
        _cleanup_(graph_done) struct graph g = {};
        _cleanup_state_ struct state *st = NULL;
        _cleanup_plan_ struct plan *p = NULL;
        _cleanup_free_ char *text = NULL;
        const char *svg = NULL, *kver = NULL, *layout;
        char id[65];
        size_t len = 0;
        FILE *f;
        int o, r;

        while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (o) {
                case 's': svg = optarg; break;
                default: return cli_usage("graph: usage: graph [KVER] [--svg FILE]");
                }
        if (optind + 1 < argc)
                return cli_usage("graph: usage: graph [KVER] [--svg FILE]");
        kver = optind < argc ? argv[optind] : NULL;
        if (kver && !kver_is_valid(kver))
                return cli_error(EXIT_USAGE, "graph: '%s' is not a valid kernel version", kver);
        if (config_load(&c->root, &cfg) < 0)
                return EXIT_FAIL;
        if (boot_env_load(&c->root, &cfg, &env) >= 0)
                cfg.layout = env.layout;
        /* a changed dkms.conf is evaluated, as the build user */
        if (build_user_for_root(cfg.build_user, &c->root, &bu) < 0)
                return EXIT_FAIL; /* reported */
        if (cli_state_open(c, false, &st) < 0)
                return EXIT_FAIL;
        unsigned mark = log_error_count();
        r = plan_compute_signed(&c->root, st, kver, 0, sign_id(c, &cfg, id), build_user_spawn(&bu), &p);
        if (r < 0)
                return cli_failed(EXIT_FAIL, mark, "graph", r);
        layout = boot_layout_to_string(cfg.layout);
        if (graph_build(c, st, p, &cfg, &env, &g) < 0)
                return cli_error(EXIT_FAIL, "graph: out of memory");
        if (c->json && !svg) {
                print_json(&g, p, c->root.path, layout);
                return EXIT_OK;
        }
        if (!svg) {
                print_dot(stdout, &g, p, c->root.path, layout);
                return EXIT_OK;
        }
        f = open_memstream(&text, &len);
        if (!f)
                return cli_error(EXIT_FAIL, "graph: out of memory");
        print_dot(f, &g, p, c->root.path, layout);
        if (fclose(f) != 0)
                return cli_error(EXIT_FAIL, "graph: out of memory");
        r = render_svg(text, len, svg);
        if (c->json && r == EXIT_OK) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j);
                json_kv_bool(&j, "ok", true);
                json_kv_string(&j, "svg", svg);
                json_kv_int(&j, "nodes", (int64_t) g.n_nodes);
                json_kv_int(&j, "edges", (int64_t) g.n_edges);
                json_object_end(&j);
        }
        return r;
}
