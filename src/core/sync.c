/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include "core/exec.h"
#include "core/sync.h"
#include "modpkg/build.h"
#include "modpkg/install.h"
#include "sign/modsign.h"
#include "util/log.h"
#include "util/strv.h"

struct kjob {
        struct kernel *kernel;
        bool changed;       /* something was installed or removed: depmod */
        bool failed;
        struct irnode *ir;
};

struct run {
        const struct root *root;
        struct state *st;
        const struct sync_options *o;
        struct plan *plan;
        struct exec *exec;
        struct kjob *kjobs;
        size_t n_kjobs;
        struct irnode *ir;
        const struct config *cfg;
        int failed;
        const struct sign_key *module_sign_key; /* NULL: modules are not signed */
};

struct job_ud {
        struct run *run;
        struct pair *pair;  /* build job */
        struct kjob *kjob;  /* depmod job */
};

static char *depmod_key(const char *kver) { return strdup_printf("kernel:%s:depmod-needed", kver); }

static struct kjob *kjob_of(struct run *r, const struct kernel *k) {
        for (size_t i = 0; i < r->n_kjobs; i++)
                if (r->kjobs[i].kernel == k)
                        return &r->kjobs[i];
        return NULL;
}

static int build_start(void *userdata, pid_t *ret_pid) {
        struct job_ud *u = userdata;
        struct pair *x = u->pair;
        _cleanup_free_ char *work = pair_work_dir(x);
        _cleanup_free_ char *log = pair_log_path(x->pkg->name, x->pkg->version, x->kernel->kver);
        int fds[2];
        const char *mf;
        pid_t pid;

        if (!work || !log)
                return -ENOMEM;
        mf = exec_makeflags(u->run->exec, fds);
        if (u->run->o->progress)
                u->run->o->progress(u->run->o->userdata, x, false);
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char *hash = NULL;
                (void) modsign_kernel_hash(kernel_config(x->kernel), &hash);
                struct build_request req = {
                        .root = u->run->root, .kernel = x->kernel, .conf = x->conf, .env = &x->env,
                        .pkg_dir = x->pkg->host_path, .work_dir = work, .log_path = log,
                        .makeflags = mf, .keep_fds = mf ? fds : NULL, .n_keep_fds = mf ? 2 : 0,
                        .cc = u->run->o->cc, .force = u->run->o->force,
                        .sign_key = u->run->module_sign_key, .sign_hash = hash,
                        .user = u->run->o->build_user,
                };
                _exit(modpkg_build(&req));
        }
        *ret_pid = pid;
        return 0;
}

static void set_result(struct pair *x, enum pair_state s, char *msg) {
        x->result = s;
        free(x->result_message);
        x->result_message = msg;
}

static int build_finish(void *userdata, int status) {
        struct job_ud *u = userdata;
        struct run *run = u->run;
        struct pair *x = u->pair;
        struct kjob *kj = kjob_of(run, x->kernel);
        _cleanup_free_ char *work = pair_work_dir(x);
        _cleanup_free_ char *log = pair_log_path(x->pkg->name, x->pkg->version, x->kernel->kver);
        _cleanup_free_ char *dk = depmod_key(x->kernel->kver);
        bool remember = true; /* a failure of the package, not of our own I/O: not retried */
        int r = 0, q;

        if (!work || !log || !dk)
                return -ENOMEM;
        if (status != EXEC_BLOCKED) {
                /* the inputs of this attempt, which the next plan compares
                 * with: before the install records the pair, so that a crash
                 * in between cannot leave an installed pair without them */
                _cleanup_free_ char *node = pair_node_name(x);
                r = node ? inputs_record(run->st, node, &x->inputs) : -ENOMEM;
        }
        if (status == BUILD_OK) {
                /* (a failure to record the inputs fails the install: an
                 * installed pair without them would never get them) */
                if (r >= 0)
                        r = state_meta_set(run->st, dk, "1");
                if (r >= 0)
                        r = modpkg_install(run->root, run->st, x->kernel, x->conf, work, x->key);
                if (r >= 0) {
                        kj->changed = true;
                        set_result(x, PAIR_INSTALLED, NULL);
                        modpkg_post_install(run->root, x->conf, x->pkg->host_path, log);
                        q = fs_rm_rf(run->root->fd, work);
                        if (q < 0)
                                log_warning("'%s': cannot remove: %s, the next sync does", work, strerror(-q));
                } else {
                        set_result(x, PAIR_FAILED, strdup_printf("installing failed: %s", log_last_error()));
                        remember = false;
                }
        } else if (status == BUILD_SKIPPED)
                set_result(x, PAIR_SKIPPED, modpkg_build_reason(run->root, work));
        else {
                _cleanup_free_ char *why = modpkg_build_reason(run->root, work);
                if (status == EXEC_BLOCKED)
                        set_result(x, PAIR_FAILED, strdup("not built: a package in its BUILD_DEPENDS failed"));
                else
                        set_result(x, PAIR_FAILED, strdup_printf("%s (log: %s)", why ? why : "build failed", log));
                remember = status != BUILD_ERROR;
        }
        if (r < 0) /* our own I/O failed (the inputs, the install): retried */
                remember = false;
        if (x->result != PAIR_INSTALLED && remember)
                (void) state_pair_set(run->st, x->pkg->name, x->pkg->version, x->kernel->kver, x->result,
                                      x->key, x->result_message);
        if (run->o->progress)
                run->o->progress(run->o->userdata, x, true);
        if (x->result == PAIR_FAILED) {
                run->failed++;
                return -1;
        }
        return 0;
}

static const struct exec_job_ops build_ops = { build_start, build_finish };

static int depmod_start(void *userdata, pid_t *ret_pid) {
        struct job_ud *u = userdata;
        _cleanup_free_ char *log = strdup_printf(LOG_DIR "/depmod-%s.log", u->kjob->kernel->kver);
        _cleanup_close_ int fd = -EBADF;

        if (!u->kjob->changed)
                return 0; /* nothing installed after all */
        if (!log || fs_mkdir_p(u->run->root->fd, LOG_DIR, 0755) < 0)
                return -ENOMEM;
        fd = fs_open(u->run->root->fd, log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
        return modpkg_depmod_start(u->run->root, u->kjob->kernel->kver, fd, ret_pid);
}

static int depmod_finish(void *userdata, int status) {
        struct job_ud *u = userdata;
        _cleanup_free_ char *dk = depmod_key(u->kjob->kernel->kver);

        if (status != 0) {
                u->kjob->failed = true;
                u->run->failed++;
                if (status < 0) /* it did not start; the cause is logged */
                        log_error("kernel '%s': the module indexes could not be updated: %s", u->kjob->kernel->kver,
                                  strerror(-status));
                else
                        log_error("kernel '%s': depmod failed with status %d; see '%s/depmod-%s.log'",
                                  u->kjob->kernel->kver, status, LOG_DIR, u->kjob->kernel->kver);
                return -1;
        }
        if (u->kjob->changed && dk)
                (void) state_meta_set(u->run->st, dk, NULL);
        return 0;
}

static const struct exec_job_ops depmod_ops = { depmod_start, depmod_finish };

static int ir_start(void *userdata, pid_t *ret_pid) {
        struct job_ud *u = userdata;
        struct irnode *n = u->kjob->ir;
        pid_t pid;
        int r;

        r = irnode_prepare(n, u->run->root, u->run->st, u->run->plan);
        if (r <= 0) {
                if (r == 0)
                        n->result = IR_CURRENT;
                *ret_pid = 0;
                return r;
        }
        if (u->run->o->ir_progress)
                u->run->o->ir_progress(u->run->o->userdata, n, false);
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                _exit(irnode_generate(n, u->run->root) < 0 ? 1 : 0);
        *ret_pid = pid;
        return 0;
}

static int ir_finish(void *userdata, int status) {
        struct job_ud *u = userdata;
        struct irnode *n = u->kjob->ir;
        int r = -EPROTO;

        if (n->result == IR_CURRENT) {
                if (u->run->o->ir_progress)
                        u->run->o->ir_progress(u->run->o->userdata, n, true);
                return 0;
        }
        if (status == 0)
                r = irnode_commit(n, u->run->root, u->run->st);
        if (r >= 0)
                n->result = IR_BUILT;
        else {
                _cleanup_free_ char *tail = status == EXEC_BLOCKED ? NULL : irnode_log_tail(n, u->run->root);
                irnode_abort(n, u->run->root);
                n->result = IR_FAILED;
                n->message = status == EXEC_BLOCKED ? strdup("not generated: depmod failed") :
                             status == 0 ? strdup(log_last_error()) :
                             strdup_printf("generation failed: %s (log: %s)", strempty(tail), n->log);
                u->run->failed++;
        }
        if (u->run->o->ir_progress)
                u->run->o->ir_progress(u->run->o->userdata, n, true);
        return r;
}

static const struct exec_job_ops ir_ops = { ir_start, ir_finish };

static struct job_ud *ud_new(struct run *r, struct pair *x, struct kjob *k) {
        struct job_ud *u = calloc(1, sizeof *u);
        if (u)
                *u = (struct job_ud) { r, x, k };
        return u;
}

static int add_ir_job(struct run *r, struct kjob *kj, size_t k, size_t depmod_id,
                      struct job_ud ***uds, size_t *n_uds) {
        struct job_ud *u;
        size_t id;
        int q;

        /* a kernel gc removed (kept registered, ignored) gets no initramfs again */
        if (!r->ir || r->cfg->initramfs == INITRAMFS_NONE || strv_contains(r->plan->ignored, kj->kernel->kver))
                return 0;
        kj->ir = &r->ir[k];
        *kj->ir = (struct irnode) { .kernel = kj->kernel, .cfg = r->cfg, .force = r->o->force_initramfs,
                                    .cmdline = r->o->cmdline };
        u = (*uds)[(*n_uds)++] = ud_new(r, NULL, kj);
        if (!u)
                return -ENOMEM;
        q = exec_add(r->exec, &ir_ops, u, true, &id);
        return q < 0 ? q : exec_depend(r->exec, id, depmod_id);
}

static int add_jobs(struct run *r, struct job_ud ***uds, size_t *n_uds) {
        struct plan *p = r->plan;
        int q;

        *uds = calloc(p->n_pairs + 2 * p->n_kernels + 1, sizeof **uds);
        r->kjobs = calloc(p->n_kernels + 1, sizeof *r->kjobs);
        if (!*uds || !r->kjobs)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_pairs; i++) {
                struct pair *x = &p->pairs[i];
                struct job_ud *u;
                if (x->action != ACTION_BUILD)
                        continue;
                u = (*uds)[(*n_uds)++] = ud_new(r, x, NULL);
                if (!u)
                        return -ENOMEM;
                q = exec_add(r->exec, &build_ops, u, true, &x->job);
                if (q < 0)
                        return q;
        }
        /* BUILD_DEPENDS: a pair waits for the pairs of the packages it names on its kernel. */
        for (size_t i = 0; i < p->n_pairs; i++) {
                struct pair *x = &p->pairs[i];
                if (x->action != ACTION_BUILD)
                        continue;
                for (size_t j = 0; j < p->n_pairs; j++)
                        if (p->pairs[j].action == ACTION_BUILD && p->pairs[j].kernel == x->kernel &&
                            strv_contains(x->conf->build_depends, p->pairs[j].pkg->name) &&
                            (q = exec_depend(r->exec, x->job, p->pairs[j].job)) < 0)
                                return q;
        }
        for (size_t k = 0; k < p->n_kernels; k++) {
                struct kernel *kern = p->kernels[k];
                struct kjob *kj = &r->kjobs[r->n_kjobs++];
                _cleanup_free_ char *dk = depmod_key(kern->kver), *v = NULL;
                size_t id;
                struct job_ud *u;

                kj->kernel = kern;
                kj->changed = dk && state_meta_get(r->st, dk, &v) >= 0;
                u = (*uds)[(*n_uds)++] = ud_new(r, NULL, kj);
                if (!u)
                        return -ENOMEM;
                q = exec_add(r->exec, &depmod_ops, u, false, &id);
                for (size_t i = 0; q >= 0 && i < p->n_pairs; i++)
                        if (p->pairs[i].action == ACTION_BUILD && p->pairs[i].kernel == kern)
                                q = exec_depend_soft(r->exec, id, p->pairs[i].job);
                if (q < 0)
                        return q;
                q = add_ir_job(r, kj, k, id, uds, n_uds);
                if (q < 0)
                        return q;
        }
        return 0;
}

/* The jobs that report a done event: builds and initramfs nodes. */
static size_t count_jobs(const struct run *r) {
        size_t n = 0;
        for (size_t i = 0; i < r->plan->n_pairs; i++)
                n += r->plan->pairs[i].action == ACTION_BUILD;
        for (size_t i = 0; i < r->n_kjobs; i++)
                n += r->kjobs[i].ir != NULL;
        return n;
}

/* Records exclusions and counts pairs that stay failed. */
static int record_static(struct run *r) {
        for (size_t i = 0; i < r->plan->n_pairs; i++) {
                struct pair *x = &r->plan->pairs[i];
                int q;
                switch (x->action) {
                case ACTION_EXCLUDED:
                        set_result(x, PAIR_EXCLUDED, x->why ? strdup(x->why) : NULL);
                        if (x->prev == PAIR_EXCLUDED && streq_ptr(x->prev_message, x->why))
                                break;
                        q = state_pair_set(r->st, x->pkg->name, x->pkg->version, x->kernel->kver,
                                           PAIR_EXCLUDED, "", x->why);
                        if (q < 0)
                                return q;
                        break;
                case ACTION_FAILED:
                case ACTION_INVALID:
                        set_result(x, PAIR_FAILED, x->why ? strdup(x->why) : NULL);
                        r->failed++;
                        break;
                case ACTION_NONE:
                        set_result(x, x->prev, NULL);
                        /* the build dir an interrupted cleanup left behind */
                        if (x->prev == PAIR_INSTALLED) {
                                _cleanup_free_ char *work = pair_work_dir(x);
                                if (work)
                                        (void) fs_rm_rf(r->root->fd, work);
                        }
                        break;
                default:
                        break;
                }
        }
        return 0;
}

/* Older versions that are no longer installed anywhere were superseded: forget them. */
static int forget_superseded(struct run *r) {
        struct plan *p = r->plan;
        for (size_t i = 0; i < p->n_pkgs; i++) {
                struct state_file *f = NULL;
                size_t n = 0;
                int q;
                if (p->pkgs[i].latest)
                        continue;
                q = state_file_list(r->st, NULL, p->pkgs[i].name, p->pkgs[i].version, &f, &n);
                state_file_list_free(f, n);
                if (q < 0)
                        return q;
                if (n > 0)
                        continue;
                log_info("%s/%s is superseded by a newer version and no longer installed anywhere, forgetting it",
                         p->pkgs[i].name, p->pkgs[i].version);
                q = state_package_remove(r->st, p->pkgs[i].name, p->pkgs[i].version);
                if (q < 0)
                        return q;
        }
        return 0;
}

int sync_depmod_mark(struct state *st, const char *kver, bool needed) {
        _cleanup_free_ char *dk = depmod_key(kver);
        return dk ? state_meta_set(st, dk, needed ? "1" : NULL) : -ENOMEM;
}

int sync_forget_kernel(const struct root *root, struct state *st, const char *kver, bool keep_registered) {
        _cleanup_free_ char *dk = depmod_key(kver);
        _cleanup_free_ char *dir = strdup_printf(BUILD_DIR "/%s", kver);
        _cleanup_free_ char *mods = strdup_printf(MODULES_DIR "/%s", kver);
        int r;

        if (!dir || !mods || !dk)
                return -ENOMEM;
        /* until depmod ran: a crash in between leaves the mark, and the next
         * sync's depmod job for the kernel */
        r = state_meta_set(st, dk, "1");
        if (r >= 0)
                r = modpkg_uninstall(root, st, kver, NULL, NULL);
        if (r < 0)
                return r;
        (void) fs_rm_rf(root->fd, dir);
        if (r > 0 && fs_exists(root->fd, mods) && modpkg_depmod(root, kver, -1) != 0)
                log_warning("kernel '%s': depmod failed after removing modules", kver);
        else {
                r = state_meta_set(st, dk, NULL);
                if (r < 0)
                        return r;
        }
        if (keep_registered) {
                r = state_kernel_set_ignored(st, kver, true);
                if (r >= 0)
                        r = state_begin(st);
                if (r >= 0) {
                        struct state_pair *l = NULL;
                        size_t n = 0;
                        r = state_pair_list(st, kver, &l, &n);
                        for (size_t i = 0; r >= 0 && i < n; i++)
                                r = state_pair_delete(st, l[i].name, l[i].version, kver);
                        state_pair_list_free(l, n);
                        /* and the recorded inputs of its initramfs and entry */
                        for (size_t i = 0; r >= 0 && i < 2; i++) {
                                _cleanup_free_ char *node = strdup_printf("%s:%s", i ? "boot" : "initramfs", kver);
                                r = node ? inputs_record(st, node, NULL) : -ENOMEM;
                        }
                        r = r < 0 ? (state_rollback(st), r) : state_commit(st);
                }
                return r;
        }
        return state_kernel_remove(st, kver);
}

int sync_reconcile_kernels(const struct root *root, struct state *st, struct plan *p) {
        _cleanup_strv_free_ char **registered = NULL;
        int r = state_kernel_list(st, &registered, NULL);
        if (r < 0)
                return r;
        STRV_FOREACH(kv, registered) {
                bool present = false;
                for (size_t i = 0; i < p->n_kernels; i++)
                        present |= streq(p->kernels[i]->kver, *kv);
                if (present)
                        continue;
                log_info("kernel %s is no longer installed, forgetting it", *kv);
                r = sync_forget_kernel(root, st, *kv, false);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < p->n_kernels; i++)
                if (!strv_contains(registered, p->kernels[i]->kver)) {
                        r = state_kernel_add(st, p->kernels[i]->kver, p->kernels[i]->image);
                        if (r < 0)
                                return r;
                }
        return 0;
}

void sync_result_done(struct sync_result *r) {
        for (size_t i = 0; r->ir && i < r->n_ir; i++)
                irnode_done(&r->ir[i]);
        free(r->ir);
        *r = (struct sync_result) {};
}

/* The configured module signing key, loaded once per sync so that a bad key
 * fails it before any build, and its certificate's fingerprint ("" without). */
static int load_module_sign_key(const struct root *root, const struct config *cfg, struct sign_key **ret,
                                char ret_id[static 65]) {
        struct sign_key *k = NULL;
        int r;

        if (!cfg->module_sign_key && !cfg->module_sign_cert) {
                *ret = NULL;
                ret_id[0] = 0;
                return 0;
        }
        if (!cfg->module_sign_key || !cfg->module_sign_cert)
                return log_error_errno(-EINVAL, "'%s': %s is set but %s is not; modules are signed with both",
                                       CONFIG_PATH, cfg->module_sign_key ? "module-sign-key" : "module-sign-cert",
                                       cfg->module_sign_key ? "module-sign-cert" : "module-sign-key");
        r = sign_key_load(root->fd, cfg->module_sign_key, cfg->module_sign_cert, &k);
        if (r < 0)
                return r;
        r = sign_key_fingerprint(k, ret_id);
        if (r < 0) {
                sign_key_free(k);
                return log_error_errno(r, "'%s': cannot compute the certificate's fingerprint", cfg->module_sign_cert);
        }
        *ret = k;
        return 0;
}

/* A dry run's initramfs nodes: prepared (inputs, key, reasons) but not
 * generated. Their result is IR_CURRENT; reasons say why one would be
 * regenerated, including a carried package that is about to be rebuilt. */
static int dry_run_ir(struct run *r) {
        struct plan *p = r->plan;
        int q = 0;

        if (r->o->modules_only || r->cfg->initramfs == INITRAMFS_NONE)
                return 0;
        r->ir = calloc(p->n_kernels + 1, sizeof *r->ir);
        if (!r->ir)
                return -ENOMEM;
        for (size_t k = 0; q >= 0 && k < p->n_kernels; k++) {
                struct irnode *n = &r->ir[k];
                *n = (struct irnode) { .kernel = p->kernels[k], .cfg = r->cfg, .force = r->o->force_initramfs,
                                       .cmdline = r->o->cmdline, .result = IR_CURRENT };
                if (strv_contains(p->ignored, n->kernel->kver))
                        continue;
                q = irnode_prepare(n, r->root, r->st, p);
                for (size_t i = 0; q >= 0 && i < p->n_pairs; i++) {
                        const struct pair *x = &p->pairs[i];
                        if (x->kernel == n->kernel && x->action == ACTION_BUILD &&
                            irnode_carries(p, r->cfg, x->pkg->name))
                                q = reasons_add(&n->reasons, "carried-modules", "it carries %s %s, which is rebuilt",
                                                x->pkg->name, x->pkg->version);
                }
        }
        if (q < 0) {
                for (size_t k = 0; k < p->n_kernels; k++)
                        irnode_done(&r->ir[k]);
                r->ir = mfree(r->ir);
        }
        return q < 0 ? q : 0;
}

int sync_run(const struct root *root, struct state *st, const struct sync_options *o, struct plan **ret_plan,
             struct sync_result *ret_result) {
        static const struct config defaults = {};
        _cleanup_plan_ struct plan *p = NULL;
        struct run run = { .root = root, .st = st, .o = o, .cfg = o->cfg ? o->cfg : &defaults };
        struct job_ud **uds = NULL;
        size_t n_uds = 0;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        _cleanup_sign_key_ struct sign_key *msk = NULL;
        char msk_id[65];
        int r;

        r = load_module_sign_key(root, run.cfg, &msk, msk_id);
        if (r < 0)
                return r;
        run.module_sign_key = msk;
        r = plan_compute_signed(root, st, o->kernel, (o->rebuild ? PLAN_REBUILD : 0) | (o->force ? PLAN_FORCE : 0),
                                *msk_id ? msk_id : NULL, o->build_user, &p);
        if (r < 0)
                return r;
        run.plan = p;
        if (!o->kernel && !o->dry_run) {
                r = sync_reconcile_kernels(root, st, p);
                if (r < 0)
                        return r;
        }
        if (o->dry_run) {
                r = dry_run_ir(&run);
                if (r < 0)
                        return r;
                *ret_result = (struct sync_result) { .ir = run.ir, .n_ir = run.ir ? p->n_kernels : 0 };
                *ret_plan = TAKE_PTR(p);
                return 0;
        }
        /* One slot more than CPUs by default, as ninja does: a module build
         * spends part of its time in serial steps (kbuild's top-level make,
         * modpost, the link) and on the disk, and with exactly one slot per CPU
         * a CPU idles whenever one build is in such a step. */
        run.exec = exec_new(o->jobs ? o->jobs : (unsigned) (ncpu > 0 ? ncpu : 1) + 1);
        if (!run.exec)
                return -ENOMEM;
        if (!o->modules_only && !(run.ir = calloc(p->n_kernels + 1, sizeof *run.ir)))
                return -ENOMEM;
        r = record_static(&run);
        if (r >= 0)
                r = add_jobs(&run, &uds, &n_uds);
        if (r >= 0 && o->begin)
                o->begin(o->userdata, p, count_jobs(&run));
        if (r >= 0 && o->tick)
                exec_set_tick(run.exec, o->tick, o->userdata, 100);
        if (r >= 0)
                r = exec_run(run.exec);
        exec_free(run.exec);
        for (size_t i = 0; i < n_uds; i++)
                free(uds[i]);
        free(uds);
        free(run.kjobs);
        if (r >= 0)
                r = forget_superseded(&run);
        if (r < 0) {
                for (size_t i = 0; run.ir && i < p->n_kernels; i++)
                        irnode_done(&run.ir[i]);
                free(run.ir);
                return r;
        }
        *ret_result = (struct sync_result) { .ir = run.ir, .n_ir = run.ir ? p->n_kernels : 0 };
        *ret_plan = TAKE_PTR(p);
        return run.failed > 0 ? 1 : 0;
}
