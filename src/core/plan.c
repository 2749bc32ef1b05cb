/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/utsname.h>
#include "core/plan.h"
#include "kernel/kver.h"
#include "modpkg/install.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

static const char *const action_table[] = {
        [ACTION_NONE] = "up-to-date",
        [ACTION_BUILD] = "build",
        [ACTION_EXCLUDED] = "excluded",
        [ACTION_FAILED] = "failed",
        [ACTION_NO_HEADERS] = "no-headers",
        [ACTION_INVALID] = "invalid",
};

const char *pair_action_to_string(enum pair_action a) { return action_table[a]; }

char *pair_work_dir(const struct pair *p) {
        return strdup_printf(BUILD_DIR "/%s/%s/%s", p->kernel->kver, p->pkg->name, p->pkg->version);
}

char *pair_node_name(const struct pair *p) {
        return strdup_printf("pair:%s/%s/%s", p->pkg->name, p->pkg->version, p->kernel->kver);
}

char *pair_log_path(const char *name, const char *version, const char *kver) {
        return strdup_printf(LOG_DIR "/%s-%s/%s.log", name, version, kver);
}

static void pair_done(struct pair *p) {
        dkms_conf_free(p->conf);
        free(p->env_dkms_tree);
        free(p->env_source_tree);
        free(p->env_installed);
        free(p->why);
        inputs_done(&p->inputs);
        reasons_done(&p->reasons);
        free(p->prev_message);
        free(p->result_message);
}

struct plan *plan_free(struct plan *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_pairs; i++)
                pair_done(&p->pairs[i]);
        free(p->pairs);
        for (size_t i = 0; i < p->n_pkgs; i++) {
                free(p->pkgs[i].name);
                free(p->pkgs[i].version);
                free(p->pkgs[i].path);
                free(p->pkgs[i].host_path);
        }
        free(p->pkgs);
        kernel_list_free(p->kernels, p->n_kernels);
        strv_free(p->ignored);
        state_pair_list_free(p->rows, p->n_rows);
        free(p->arch);
        if (p->hostfd >= 0)
                close(p->hostfd);
        free(p);
        return NULL;
}

const struct state_pair *plan_row(const struct plan *p, const char *name, const char *version, const char *kver) {
        for (size_t i = 0; i < p->n_rows; i++)
                if (streq(p->rows[i].name, name) && streq(p->rows[i].version, version) &&
                    streq(p->rows[i].kver, kver))
                        return &p->rows[i];
        return NULL;
}

/* Hashes a package's tree: every file's path, mode and content (content hashes
 * come from the stat-keyed cache, so an unchanged tree costs a walk of stats). */
static int hash_tree(struct plan *p, struct hasher *h, const char *dir, const char *relprefix) {
        _cleanup_close_ int fd = fs_open_dir(p->root->fd, dir);
        _cleanup_strv_free_ char **names = NULL;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (fd < 0)
                return fd;
        d = fdopendir(TAKE_FD(fd));
        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && strv_push(&names, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        closedir(d);
        strv_sort(names);
        STRV_FOREACH(n, names) {
                _cleanup_free_ char *path = path_join(dir, *n);
                _cleanup_free_ char *rel = strdup_printf("%s%s", relprefix, *n);
                struct stat st;
                char hex[HASH_HEX_LEN];

                if (!path || !rel)
                        return -ENOMEM;
                if (fs_lstat(p->root->fd, path, &st) < 0)
                        continue;
                hasher_add_str(h, rel);
                hasher_add(h, &st.st_mode, sizeof st.st_mode);
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_free_ char *sub = strdup_printf("%s/", rel);
                        if (!sub)
                                return -ENOMEM;
                        r = hash_tree(p, h, path, sub);
                } else if (S_ISLNK(st.st_mode)) {
                        _cleanup_free_ char *t = NULL;
                        r = fs_readlink(p->root->fd, path, &t);
                        if (r >= 0)
                                hasher_add_str(h, t);
                } else if (S_ISREG(st.st_mode)) {
                        r = state_hash_file(p->state, p->root->fd, path, &st, hex);
                        if (r >= 0)
                                hasher_add_str(h, hex);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_packages(struct plan *p) {
        struct state_package *l = NULL;
        size_t n = 0;
        int r;

        r = state_package_list(p->state, &l, &n);
        if (r < 0)
                return r;
        p->pkgs = calloc(n ? n : 1, sizeof *p->pkgs);
        if (!p->pkgs) {
                state_package_list_free(l, n);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                struct package *k = &p->pkgs[p->n_pkgs++];
                _cleanup_hasher_ struct hasher *h = hasher_new();
                *k = (struct package) { .name = TAKE_PTR(l[i].name), .version = TAKE_PTR(l[i].version),
                                        .path = TAKE_PTR(l[i].path), .latest = true };
                k->host_path = root_host_path(p->root, k->path);
                if (!h || !k->host_path) {
                        r = -ENOMEM;
                        break;
                }
                /* gone is gone; unreadable must not look like gone (its modules would go) */
                r = hash_tree(p, h, k->path, "");
                if (r == -ENOENT) {
                        k->missing = true;
                        r = 0;
                } else if (r < 0) {
                        log_error_errno(r, "'%s': cannot read package %s/%s: %s", k->path, k->name, k->version,
                                        strerror(-r));
                        break;
                }
                hasher_final(h, k->tree_hash);
        }
        state_package_list_free(l, n);
        for (size_t i = 0; i < p->n_pkgs; i++)
                for (size_t j = 0; j < p->n_pkgs; j++)
                        if (i != j && streq(p->pkgs[i].name, p->pkgs[j].name) && !p->pkgs[j].missing &&
                            kver_compare(p->pkgs[j].version, p->pkgs[i].version) > 0)
                                p->pkgs[i].latest = false;
        return r < 0 ? r : 0;
}

/* What a module build depends on in the kernel: its release, .config and
 * Module.symvers. */
static int kernel_identity(struct plan *p, const struct kernel *k, char ret[HASH_HEX_LEN],
                           char ret_files[static 2][HASH_HEX_LEN]) {
        _cleanup_hasher_ struct hasher *h = hasher_new();
        static const char *const files[] = { ".config", "Module.symvers" };

        if (!h)
                return -ENOMEM;
        hasher_add_str(h, k->kver);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *f = path_join(k->build_dir, files[i]);
                char *hex = ret_files[i];
                *hex = 0;
                if (!f)
                        return -ENOMEM;
                (void) state_hash_file(p->state, p->hostfd, f, NULL, hex);
                hasher_add_str(h, hex);
        }
        hasher_final(h, ret);
        return 0;
}

/* The compiler's identity: the resolved path and stat of gcc. */
static void compiler_identity(struct plan *p) {
        _cleanup_free_ char *prog = NULL, *real = NULL, *id = NULL;
        struct stat st = {};

        if (spawn_find_program("gcc", &prog) >= 0 && (real = realpath(prog, NULL)))
                (void) stat(real, &st);
        id = strdup_printf("%s:%lld:%lld", strempty(real), (long long) st.st_size, (long long) st.st_mtime);
        hash_buf(strempty(id), strlen(strempty(id)), p->compiler_id);
}

static int pair_env(struct plan *p, struct pair *x) {
        const char *kv = x->kernel->kver;
        _cleanup_free_ char *tree = strdup_printf(BUILD_DIR "/%s", kv);
        _cleanup_free_ char *inst = strdup_printf(MODULES_DIR "/%s/" INSTALL_SUBDIR, kv);

        if (!tree || !inst)
                return -ENOMEM;
        x->env_dkms_tree = root_host_path(p->root, tree);
        x->env_source_tree = root_host_path(p->root, "/usr/src");
        x->env_installed = root_host_path(p->root, inst);
        if (!x->env_dkms_tree || !x->env_source_tree || !x->env_installed)
                return -ENOMEM;
        x->env = (struct dkms_env) {
                .kernelver = kv, .arch = p->arch, .kernel_source_dir = x->kernel->build_dir,
                .dkms_tree = x->env_dkms_tree, .source_tree = x->env_source_tree,
                .installed_modules_dir = x->env_installed, .user = p->build_user,
        };
        return 0;
}

/* Evaluates dkms.conf for the pair's kernel, from the cache when the inputs
 * (package tree, kernel identity, arch, root) are unchanged. */
static int pair_eval(struct plan *p, struct pair *x, const char *kident, char **ret, size_t *ret_len) {
        _cleanup_hasher_ struct hasher *h = hasher_new();
        char ikey[HASH_HEX_LEN];
        int r;

        if (!h)
                return -ENOMEM;
        hasher_add_str(h, "eval-v1");
        hasher_add_str(h, x->pkg->tree_hash);
        hasher_add_str(h, kident);
        hasher_add_str(h, p->arch);
        hasher_add_str(h, p->root->path);
        hasher_final(h, ikey);
        r = state_eval_get(p->state, x->pkg->name, x->pkg->version, x->kernel->kver, ikey, ret, ret_len);
        if (r != -ENOENT)
                return r;
        r = dkms_conf_eval(x->pkg->host_path, &x->env, ret, ret_len);
        if (r < 0)
                return r;
        (void) state_eval_put(p->state, x->pkg->name, x->pkg->version, x->kernel->kver, ikey, *ret, *ret_len);
        return 0;
}

/* The pair's inputs one by one, for explaining a rebuild. */
static int pair_inputs(struct plan *p, struct pair *x, char kfiles[static 2][HASH_HEX_LEN], const char *dump,
                       size_t len) {
        char dhex[HASH_HEX_LEN];
        int r;

        hash_buf(dump, len, dhex);
        r = inputs_add(&x->inputs, "sources", x->pkg->tree_hash, "the sources in '%s' changed", x->pkg->path);
        if (r >= 0)
                r = inputs_add(&x->inputs, "dkms.conf", dhex, "'%s/dkms.conf' evaluates differently", x->pkg->path);
        if (r >= 0)
                r = inputs_add(&x->inputs, "kernel-config", kfiles[0], "the kernel's .config changed");
        if (r >= 0)
                r = inputs_add(&x->inputs, "module-symvers", kfiles[1], "the kernel's Module.symvers changed");
        if (r >= 0)
                r = inputs_add(&x->inputs, "compiler", p->compiler_id, "the compiler changed");
        if (r >= 0 && *p->module_sign_id)
                r = inputs_add(&x->inputs, "module-sign-cert", p->module_sign_id,
                               "the module signing certificate changed");
        return r;
}

static void pair_key(struct plan *p, struct pair *x, const char *kident, const char *dump, size_t len,
                     _unused_ enum plan_flags flags) {
        _cleanup_hasher_ struct hasher *h = hasher_new();
        if (!h)
                return;
        hasher_add_str(h, "pair-v1");
        hasher_add_str(h, x->pkg->tree_hash);
        hasher_add(h, dump, len);
        hasher_add_str(h, kident);
        hasher_add_str(h, p->compiler_id);
        if (*p->module_sign_id) /* nothing when unsigned: keys from before signing existed stay valid */
                hasher_add_str(h, p->module_sign_id);
        hasher_final(h, x->key);
}

static bool pair_files_intact(struct plan *p, struct pair *x, char **ret_bad) {
        struct state_file *f = NULL;
        size_t n = 0;
        bool ok = true;

        if (state_file_list(p->state, x->kernel->kver, x->pkg->name, x->pkg->version, &f, &n) < 0)
                return false;
        for (size_t i = 0; ok && i < n; i++)
                if (!modpkg_file_intact(p->root, &f[i])) {
                        ok = false;
                        *ret_bad = strdup(f[i].path);
                }
        state_file_list_free(f, n);
        return ok;
}

/* Why a pair with no row of its own is built: a new kernel, a new version of
 * the package, a new package, or the first sync. */
static int explain_new(struct plan *p, struct pair *x) {
        const char *kv = x->kernel->kver, *other = NULL;
        bool kernel_known = false, package_known = false;

        for (size_t i = 0; i < p->n_rows; i++) {
                const struct state_pair *row = &p->rows[i];
                if (streq(row->kver, kv))
                        kernel_known = true;
                if (streq(row->name, x->pkg->name)) {
                        package_known = true;
                        if (streq(row->kver, kv) && row->state == PAIR_INSTALLED)
                                other = row->version;
                }
        }
        if (other)
                return reasons_add(&x->reasons, "new-version", "new version %s (%s is installed)", x->pkg->version,
                                   other);
        if (package_known && !kernel_known)
                return reasons_add(&x->reasons, "new-kernel", "new kernel");
        if (kernel_known && !package_known)
                return reasons_add(&x->reasons, "new-package", "new package");
        return reasons_add(&x->reasons, "not-built", "not built for this kernel yet");
}

/* Which recorded inputs changed; "unknown" when none were recorded (a state
 * from before inputs were recorded). */
static int explain_changed(struct plan *p, struct pair *x) {
        _cleanup_(inputs_done) struct inputs old = {};
        _cleanup_free_ char *node = pair_node_name(x);
        int r;

        if (!node)
                return -ENOMEM;
        r = inputs_recorded(p->state, node, &old);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r >= 0) {
                r = reasons_diff(&x->reasons, &old, &x->inputs);
                if (r != 0)
                        return r;
        }
        return reasons_add(&x->reasons, "unknown", "its inputs changed (sources, dkms.conf, kernel config, "
                           "Module.symvers, compiler or module signing certificate)");
}

static int decide(struct plan *p, struct pair *x, enum plan_flags flags) {
        const struct state_pair *row = plan_row(p, x->pkg->name, x->pkg->version, x->kernel->kver);
        _cleanup_free_ char *bad = NULL;
        bool same = row && row->key && streq(row->key, x->key);
        int r = 0;

        x->action = ACTION_BUILD;
        if (!row)
                r = explain_new(p, x);
        else if (flags & PLAN_REBUILD)
                r = reasons_add(&x->reasons, "rebuild", "rebuild requested");
        else if (!same)
                r = explain_changed(p, x);
        else if (row->state == PAIR_SKIPPED && (flags & PLAN_FORCE))
                r = reasons_add(&x->reasons, "force", "it was skipped for the kernel's own module; --force installs it");
        else if (row->state == PAIR_FAILED) {
                x->action = ACTION_FAILED;
                x->why = strdup(strempty(row->message));
        } else if (row->state == PAIR_INSTALLED && !pair_files_intact(p, x, &bad))
                r = reasons_add(&x->reasons, "modified-file", "'%s' was modified or removed", strempty(bad));
        else
                x->action = ACTION_NONE;
        if (r < 0)
                return r;
        if (x->action == ACTION_BUILD && !(x->why = reasons_join(&x->reasons)))
                return -ENOMEM;
        return 0;
}

/* kident, kfiles: the kernel's identity and its files' hashes
 * (kernel_identity()), "" when it has no headers */
static int plan_pair(struct plan *p, struct kernel *k, const char *kident, char kfiles[static 2][HASH_HEX_LEN],
                     struct package *pkg, enum plan_flags flags) {
        struct pair *x = &p->pairs[p->n_pairs++];
        _cleanup_free_ char *dump = NULL;
        const struct state_pair *row = plan_row(p, pkg->name, pkg->version, k->kver);
        _cleanup_free_ char *conf_path = NULL;
        size_t len = 0;
        int r;

        *x = (struct pair) { .pkg = pkg, .kernel = k, .result = PAIR_STATE_INVALID,
                             .prev = row ? row->state : PAIR_STATE_INVALID };
        if (row && row->message && !(x->prev_message = strdup(row->message)))
                return -ENOMEM;
        if (!k->build_dir) {
                x->action = ACTION_NO_HEADERS;
                x->why = strdup_printf("no headers: '" MODULES_DIR "/%s/build' is missing or dangling", k->kver);
                return 0;
        }
        r = pair_env(p, x);
        if (r < 0)
                return r;
        conf_path = path_join(x->pkg->host_path, "dkms.conf");
        if (!conf_path)
                return -ENOMEM;
        r = pair_eval(p, x, kident, &dump, &len);
        if (r >= 0)
                r = dkms_conf_parse(conf_path, dump, len, &x->env, &x->conf);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                x->action = ACTION_INVALID;
                x->why = strdup(log_last_error());
                return 0;
        }
        /* (the config is parsed only for a package that asks about it) */
        r = dkms_conf_excluded(x->conf, k->kver, p->arch,
                               x->conf->build_exclusive_config[0] ? kernel_config(k) : NULL, &x->why);
        if (r < 0) {
                x->action = ACTION_INVALID;
                x->why = strdup(log_last_error());
                return 0;
        }
        if (r > 0) {
                x->action = ACTION_EXCLUDED;
                return 0;
        }
        pair_key(p, x, kident, dump, len, flags);
        r = pair_inputs(p, x, kfiles, dump, len);
        if (r < 0)
                return r;
        return decide(p, x, flags);
}

static int load_kernels(struct plan *p, const char *only_kver) {
        int r = kernel_discover(p->root, &p->kernels, &p->n_kernels);
        if (r < 0)
                return r;
        if (only_kver) {
                size_t j = 0;
                for (size_t i = 0; i < p->n_kernels; i++) {
                        if (streq(p->kernels[i]->kver, only_kver))
                                p->kernels[j++] = p->kernels[i];
                        else
                                kernel_free(p->kernels[i]);
                }
                p->n_kernels = j;
                if (j == 0)
                        return log_error_errno(-ENOENT, "kernel '%s': not installed in '%s' "
                                               "(no modules dir with an image); see 'distkernel kernel list'",
                                               only_kver, p->root->path);
        }
        return 0;
}

int plan_compute(const struct root *root, struct state *st, const char *only_kver,
                 enum plan_flags flags, struct plan **ret) {
        return plan_compute_signed(root, st, only_kver, flags, NULL, NULL, ret);
}

int plan_compute_signed(const struct root *root, struct state *st, const char *only_kver,
                        enum plan_flags flags, const char *module_sign_id,
                        const struct spawn_user *build_user, struct plan **ret) {
        _cleanup_plan_ struct plan *p = calloc(1, sizeof *p);
        _cleanup_strv_free_ char **registered = NULL;
        struct utsname u;
        int r;

        if (!p)
                return -ENOMEM;
        snprintf(p->module_sign_id, sizeof p->module_sign_id, "%s", strempty(module_sign_id));
        p->root = root;
        p->state = st;
        p->build_user = build_user;
        p->hostfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        p->arch = strdup(uname(&u) >= 0 ? u.machine : "x86_64");
        if (p->hostfd < 0 || !p->arch)
                return -errno;
        compiler_identity(p);
        r = load_kernels(p, only_kver);
        if (r >= 0)
                r = state_kernel_list(st, &registered, &p->ignored);
        if (r >= 0)
                r = load_packages(p);
        if (r >= 0)
                r = state_pair_list(st, NULL, &p->rows, &p->n_rows);
        if (r < 0)
                return r;
        p->pairs = calloc(p->n_kernels * p->n_pkgs + 1, sizeof *p->pairs);
        if (!p->pairs)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_kernels; i++) {
                char kident[HASH_HEX_LEN] = "", kfiles[2][HASH_HEX_LEN] = { "", "" };
                if (strv_contains(p->ignored, p->kernels[i]->kver))
                        continue;
                /* once per kernel, not per pair: it hashes the headers' files */
                if (p->kernels[i]->build_dir && (r = kernel_identity(p, p->kernels[i], kident, kfiles)) < 0)
                        return r;
                for (size_t j = 0; j < p->n_pkgs; j++) {
                        if (!p->pkgs[j].latest || p->pkgs[j].missing)
                                continue;
                        r = plan_pair(p, p->kernels[i], kident, kfiles, &p->pkgs[j], flags);
                        if (r < 0)
                                return r;
                }
        }
        *ret = TAKE_PTR(p);
        return 0;
}

const char *pair_status(const struct pair *x) {
        if (x->result != PAIR_STATE_INVALID)
                return pair_state_to_string(x->result);
        switch (x->action) {
        case ACTION_NONE:
                return pair_state_to_string(x->prev);
        case ACTION_BUILD:
                return x->prev == PAIR_STATE_INVALID ? "missing" : "stale";
        case ACTION_EXCLUDED:
                return "excluded";
        case ACTION_FAILED:
        case ACTION_INVALID:
                return "failed";
        case ACTION_NO_HEADERS:
        default:
                return "missing";
        }
}
