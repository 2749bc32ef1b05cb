/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "boot/boot.h"
#include "boot/kernel-install.h"
#include "boot/publish.h"
#include "core/irnode.h"
#include "initramfs/external.h"
#include "kernel/kver.h"
#include "modpkg/install.h"
#include "uki/uki.h"
#include "util/log.h"
#include "util/strv.h"

static const char *const result_table[] = {
        [BOOT_NONE] = "none",
        [BOOT_CURRENT] = "current",
        [BOOT_INSTALLED] = "installed",
        [BOOT_HELD] = "held back",
        [BOOT_FAILED] = "failed",
        [BOOT_RETIRED] = "retired",
};

const char *boot_node_result_to_string(enum boot_node_result r) { return result_table[r]; }

void boot_report_done(struct boot_report *r) {
        for (size_t i = 0; r->nodes && i < r->n_nodes; i++) {
                free(r->nodes[i].message);
                free(r->nodes[i].entry);
                reasons_done(&r->nodes[i].reasons);
        }
        free(r->nodes);
        free(r->default_kver);
        free(r->previous_default);
        strv_free(r->changed_kvers);
        *r = (struct boot_report) {};
}

/* ------------------------------------------------------------ state keys */

static char *meta_get(struct state *st, const char *key) {
        char *v = NULL;
        return key && state_meta_get(st, key, &v) >= 0 ? v : NULL;
}

static char *kernel_meta(const char *kver, const char *what) { return strdup_printf("kernel:%s:%s", kver, what); }

char *boot_default(struct state *st) { return meta_get(st, "boot:default"); }
char *boot_previous_default(struct state *st) { return meta_get(st, "boot:previous-default"); }
bool boot_gc_pending(struct state *st) {
        _cleanup_free_ char *v = meta_get(st, GC_PENDING_KEY);
        return v != NULL;
}

char *boot_status(struct state *st, const char *kver) {
        _cleanup_free_ char *k = kernel_meta(kver, "boot-status");
        return meta_get(st, k);
}

int boot_pin(struct state *st, const char *kver, bool pin) {
        _cleanup_free_ char *k = kernel_meta(kver, "pinned");
        return k ? state_meta_set(st, k, pin ? "yes" : NULL) : -ENOMEM;
}

bool boot_pinned(struct state *st, const char *kver) {
        _cleanup_free_ char *k = kernel_meta(kver, "pinned"), *v = meta_get(st, k);
        return v != NULL;
}

/* A kernel can be the default when its entry is installed. */
static bool bootable(struct state *st, const char *kver) {
        _cleanup_free_ char *mk = kernel_meta(kver, "boot-key"), *v = meta_get(st, mk);
        return v != NULL;
}

/* A no-op sync must not write: meta values are written only when they change. */
static int meta_update(struct state *st, const char *key, const char *value) {
        _cleanup_free_ char *old = meta_get(st, key);
        return streq_ptr(old, value) ? 0 : state_meta_set(st, key, value);
}
bool boot_entry_recorded(struct state *st, const char *kver) { return bootable(st, kver); }

static int set_status(struct state *st, const char *kver, const char *fmt, ...) _printf_(3, 4);
static int set_status(struct state *st, const char *kver, const char *fmt, ...) {
        _cleanup_free_ char *k = kernel_meta(kver, "boot-status"), *v = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&v, fmt, ap);
        va_end(ap);
        if (r < 0 || !k)
                return -ENOMEM;
        return meta_update(st, k, v);
}

/* ------------------------------------------------------------- readiness */

/* Why kernel k must not become bootable, or NULL when every required node
 * succeeded. */
static char *held_reason(const struct config *cfg, const struct plan *p, const struct irnode *ir,
                         const struct kernel *k) {
        for (size_t i = 0; i < p->n_pairs; i++) {
                const struct pair *x = &p->pairs[i];
                if (x->kernel != k || !x->pkg->latest || strv_contains(cfg->optional_packages, x->pkg->name))
                        continue;
                if (x->action == ACTION_NO_HEADERS)
                        return strdup_printf("'%s/%s' was not built: %s", x->pkg->name, x->pkg->version,
                                             strempty(x->why));
                if (x->result == PAIR_FAILED)
                        return strdup_printf("'%s/%s' failed to build (see 'distkernel module log %s %s')",
                                             x->pkg->name, x->pkg->version, x->pkg->name, k->kver);
        }
        if (ir && ir->result == IR_FAILED)
                return strdup_printf("its initramfs failed: %s", strempty(ir->message));
        return NULL;
}

/* ------------------------------------------------------------ the nodes */

struct ctx {
        const struct root *root;
        struct state *st;
        const struct config *cfg;
        const struct boot_env *env;
        const struct plan *plan;
        const struct boot_options *o;
};

/* What one kernel's entry is made of. */
struct entry {
        const struct kernel *k;
        enum boot_layout layout;
        const char *initrd;     /* root-relative initramfs, NULL without one */
        bool initrd_is_uki;     /* the generator made a UEFI executable */
        char *targets[3];       /* root-relative files installed, the main one first */
        size_t n_targets;
};

static void entry_done(struct entry *e) {
        for (size_t i = 0; i < e->n_targets; i++)
                free(e->targets[i]);
}

static int add_target(struct entry *e, char *path) {
        if (!path)
                return -ENOMEM;
        e->targets[e->n_targets++] = path;
        return 0;
}

static int entry_targets(const struct ctx *c, struct entry *e) {
        const struct boot_env *env = c->env;
        const char *kv = e->k->kver;
        _cleanup_free_ char *legacy = NULL;
        int r;

        switch (e->layout) {
        case LAYOUT_UKI:
                return add_target(e, strdup_printf("%s/EFI/Linux/%s-%s.efi", streq(env->boot, "/") ? "" : env->boot,
                                                   env->token, kv));
        case LAYOUT_BLS:
                r = add_target(e, strdup_printf("%s/loader/entries/%s-%s.conf", streq(env->boot, "/") ? "" : env->boot,
                                                env->token, kv));
                if (r >= 0)
                        r = add_target(e, strdup_printf("%s/%s/%s/linux", streq(env->boot, "/") ? "" : env->boot,
                                                        env->token, kv));
                if (r >= 0 && e->initrd)
                        r = add_target(e, strdup_printf("%s/%s/%s/initrd", streq(env->boot, "/") ? "" : env->boot,
                                                        env->token, kv));
                return r;
        default:
                legacy = boot_legacy_kernel_path(kv);
                if (!legacy)
                        return -ENOMEM;
                /* the package's own /boot/vmlinuz-KVER is not ours to copy over */
                if (streq(legacy, e->k->image))
                        return 0;
                return add_target(e, TAKE_PTR(legacy));
        }
}

static void add_file(struct hasher *h, struct state *st, int fd, const char *path) {
        char hex[HASH_HEX_LEN] = "";
        struct stat s;

        hasher_add_str(h, path ? path : "");
        if (path && fs_stat(fd, path, &s) >= 0)
                (void) state_hash_file(st, fd, path, &s, hex);
        hasher_add_str(h, hex);
}

static void entry_key(const struct ctx *c, const struct entry *e, char ret[HASH_HEX_LEN]) {
        _cleanup_hasher_ struct hasher *h = hasher_new();
        const struct boot_env *env = c->env;
        int rfd = c->root->fd;

        if (!h) {
                *ret = 0;
                return;
        }
        hasher_add_str(h, "boot-v1");
        hasher_add_str(h, boot_layout_to_string(e->layout));
        hasher_add_str(h, env->token);
        hasher_add_str(h, e->k->kver);
        for (size_t i = 0; i < e->n_targets; i++)
                hasher_add_str(h, e->targets[i]);
        add_file(h, c->st, rfd, e->k->image);
        add_file(h, c->st, rfd, e->initrd);
        hasher_add_str(h, env->cmdline);
        hasher_add_str(h, strempty(env->sb_fingerprint));
        if (e->layout == LAYOUT_UKI && !e->initrd_is_uki) {
                hasher_add_str(h, strempty(env->os_release));
                add_file(h, c->st, c->plan->hostfd, env->stub);
                add_file(h, c->st, rfd, c->cfg->uki_splash);
                add_file(h, c->st, rfd, c->cfg->uki_dtb);
        }
        if (e->layout == LAYOUT_BLS) {
                hasher_add_str(h, env->pretty_name);
                hasher_add_str(h, env->sort_key);
                hasher_add_str(h, strempty(env->machine_id));
        }
        hasher_final(h, ret);
}

static char *file_id(struct state *st, int fd, const char *path) {
        char hex[HASH_HEX_LEN] = "";
        struct stat s;
        if (path && fs_stat(fd, path, &s) >= 0)
                (void) state_hash_file(st, fd, path, &s, hex);
        return strdup_printf("%s:%s", strempty(path), hex);
}

/* The entry's inputs one by one (the same as its key's), for explaining. */
static int entry_inputs(const struct ctx *c, const struct entry *e, struct inputs *l) {
        const struct boot_env *env = c->env;
        int rfd = c->root->fd;
        _cleanup_free_ char *image = file_id(c->st, rfd, e->k->image), *initrd = file_id(c->st, rfd, e->initrd);
        _cleanup_free_ char *stub = NULL, *splash = NULL, *dtb = NULL, *entry = NULL;
        _cleanup_strv_free_ char **t = NULL;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < e->n_targets; i++)
                r = strv_push(&t, e->targets[i]);
        if (r >= 0 && e->layout == LAYOUT_BLS)
                r = strv_pushf(&t, "%s|%s|%s", env->pretty_name, env->sort_key, strempty(env->machine_id));
        entry = t ? strv_join(t, "|") : strdup("");
        if (r < 0 || !image || !initrd || !entry)
                return -ENOMEM;
        r = inputs_add(l, "entry", entry, "the entry's layout, name or files changed");
        if (r >= 0)
                r = inputs_add(l, "kernel-image", image, "the kernel image '%s' changed", e->k->image);
        if (r >= 0)
                r = inputs_add(l, "initramfs", initrd, "the initramfs changed");
        if (r >= 0)
                r = inputs_add(l, "cmdline", env->cmdline, "the kernel command line (/etc/kernel/cmdline) changed");
        if (r >= 0 && *env->sb_fingerprint)
                r = inputs_add(l, "secureboot-cert", env->sb_fingerprint, "secureboot-cert changed");
        if (r >= 0 && e->layout == LAYOUT_UKI && !e->initrd_is_uki) {
                stub = file_id(c->st, c->plan->hostfd, env->stub);
                splash = file_id(c->st, rfd, c->cfg->uki_splash);
                dtb = file_id(c->st, rfd, c->cfg->uki_dtb);
                if (!stub || !splash || !dtb)
                        return -ENOMEM;
                r = inputs_add(l, "os-release", env->os_release, "os-release changed");
                if (r >= 0)
                        r = inputs_add(l, "stub", stub, "the EFI stub '%s' changed", strempty(env->stub));
                if (r >= 0)
                        r = inputs_add(l, "splash", splash, "uki-splash changed");
                if (r >= 0)
                        r = inputs_add(l, "devicetree", dtb, "uki-dtb changed");
        }
        return r;
}

static char *boot_node_name(const char *kver) { return strdup_printf("boot:%s", kver); }

/* Why the entry is installed again: its recorded inputs against l. */
static int entry_explain(const struct ctx *c, struct boot_node *n, const struct inputs *l, const char *old,
                         const struct irnode *ir) {
        _cleanup_(inputs_done) struct inputs prev = {};
        _cleanup_free_ char *node = boot_node_name(n->kernel->kver);
        bool has_initramfs = false;
        int r;

        if (!node)
                return -ENOMEM;
        if (c->o->rebuild)
                return reasons_add(&n->reasons, "rebuild", "rebuild requested");
        if (!old)
                return reasons_add(&n->reasons, "not-built", "not installed yet");
        if (!streq(old, n->key)) {
                r = inputs_recorded(c->st, node, &prev);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r >= 0 && (r = reasons_diff(&n->reasons, &prev, l)) < 0)
                        return r;
        }
        for (size_t i = 0; i < n->reasons.n; i++)
                has_initramfs |= streq(n->reasons.v[i].input, "initramfs");
        /* a dry run sees the old initramfs: say that a new one is coming */
        if (c->o->dry_run && ir && ir->reasons.n > 0 && !has_initramfs &&
            (r = reasons_add(&n->reasons, "initramfs", "the initramfs will be regenerated")) < 0)
                return r;
        if (n->reasons.n == 0)
                return reasons_add(&n->reasons, streq(old, n->key) ? "modified-file" : "unknown",
                                   streq(old, n->key) ? "an installed file of the entry was modified or removed" :
                                                        "its inputs changed");
        return 0;
}

/* Whether the recorded files of the entry are exactly its targets, intact. */
static bool entry_intact(const struct ctx *c, const struct entry *e) {
        struct state_file *f = NULL;
        size_t nf = 0, found = 0;
        bool ok = true;

        if (state_file_list(c->st, e->k->kver, BOOT_OWNER, NULL, &f, &nf) < 0)
                return false;
        for (size_t i = 0; i < nf && ok; i++) {
                bool want = false;
                for (size_t t = 0; t < e->n_targets; t++)
                        want |= streq(f[i].path, e->targets[t]);
                ok = want && modpkg_file_intact(c->root, &f[i]);
                found += want;
        }
        state_file_list_free(f, nf);
        return ok && found == e->n_targets;
}

static char *host_path(const struct ctx *c, const char *rel) { return rel ? root_host_path(c->root, rel) : NULL; }

/* The UKI's inputs as host paths (kept in *keep, freed by the caller). */
static int uki_request_for(const struct ctx *c, const struct entry *e, char *keep[static 4],
                           struct uki_request *ret) {
        keep[0] = host_path(c, e->k->image);
        keep[1] = host_path(c, e->initrd);
        keep[2] = host_path(c, c->cfg->uki_splash);
        keep[3] = host_path(c, c->cfg->uki_dtb);
        if (!keep[0] || (e->initrd && !keep[1]))
                return -ENOMEM;
        *ret = (struct uki_request) {
                .rootfd = c->root->fd, .mode = 0644, .stub = c->env->stub, .linux_path = keep[0],
                .initrd = keep[1], .cmdline = c->env->cmdline, .os_release = c->env->os_release,
                .uname = e->k->kver, .splash = keep[2], .dtb = keep[3], .output_fd = -1,
        };
        return 0;
}

/* Assembles the UKI into the stage dir (to be signed on its way to $BOOT);
 * returns its root-relative path. The staged file is read once and removed:
 * it is not made durable (the signed copy is). */
static int build_uki(const struct ctx *c, const struct entry *e, char **ret) {
        _cleanup_free_ char *out = strdup_printf(BOOT_STAGE_DIR "/%s.efi", e->k->kver);
        _cleanup_close_ int fd = -EBADF;
        char *keep[4] = {};
        struct uki_request req;
        int r;

        r = out ? uki_request_for(c, e, keep, &req) : -ENOMEM;
        if (r >= 0)
                r = fs_mkdir_p(c->root->fd, BOOT_STAGE_DIR, 0700);
        if (r >= 0) {
                fd = fs_open(c->root->fd, out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
                r = fd < 0 ? log_error_errno(fd, "'%s': cannot create: %s", out, strerror(-fd)) : 0;
        }
        if (r >= 0) {
                req.output = out;
                req.output_fd = fd;
                r = uki_build(&req);
        }
        for (size_t i = 0; i < ELEMENTSOF(keep); i++)
                free(keep[i]);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}

static char *bls_entry_text(const struct ctx *c, const struct entry *e) {
        const struct boot_env *env = c->env;
        const char *b = streq(env->boot, "/") ? "" : env->boot;
        struct strbuf sb = {};

        strbuf_printf(&sb, "title %s\nversion %s\n", env->pretty_name, e->k->kver);
        if (env->machine_id)
                strbuf_printf(&sb, "machine-id %s\n", env->machine_id);
        strbuf_printf(&sb, "sort-key %s\n", env->sort_key);
        if (*env->cmdline)
                strbuf_printf(&sb, "options %s\n", env->cmdline);
        /* paths in an entry are relative to $BOOT */
        strbuf_printf(&sb, "linux %s\n", e->targets[1] + strlen(b));
        if (e->n_targets > 2)
                strbuf_printf(&sb, "initrd %s\n", e->targets[2] + strlen(b));
        return strbuf_detach(&sb);
}

static int compare_oldest_first(const void *a, const void *b) {
        return kver_compare(*(char *const *) a, *(char *const *) b);
}

/* After -ENOSPC on $BOOT: the entries of older kernels that gc could remove
 * (bootable, not protected, not this one), oldest first. With esp-auto-gc the
 * oldest is removed and 1 returned (stage again); otherwise the error says
 * what could be freed and 0 is returned. */
static int make_room(const struct ctx *c, const struct entry *e) {
        _cleanup_strv_free_ char **kvers = NULL, **hint = NULL;
        _cleanup_free_ char *joined = NULL;
        uint64_t total = 0;
        size_t n;
        int r;

        r = state_kernel_list(c->st, &kvers, NULL);
        if (r < 0)
                return r;
        n = strv_length(kvers);
        if (n > 1)
                qsort(kvers, n, sizeof *kvers, compare_oldest_first);
        STRV_FOREACH(kv, kvers) {
                _cleanup_free_ char *why = NULL;
                struct state_file *f = NULL;
                size_t nf = 0;
                uint64_t size = 0;

                if (streq(*kv, e->k->kver) || !bootable(c->st, *kv) ||
                    (why = boot_protected_reason(c->root, c->st, *kv)))
                        continue;
                r = state_file_list(c->st, *kv, BOOT_OWNER, NULL, &f, &nf);
                for (size_t i = 0; r >= 0 && i < nf; i++)
                        size += (uint64_t) f[i].size;
                state_file_list_free(f, nf);
                if (r < 0)
                        return r;
                if (c->cfg->esp_auto_gc) {
                        _cleanup_free_ char *reason = strdup_printf("to make room for %s (esp-auto-gc)", e->k->kver);
                        uint64_t freed = 0;
                        r = reason ? boot_remove_entry(c->root, c->st, *kv, reason, &freed) : -ENOMEM;
                        if (r < 0)
                                return r;
                        log_warning("kernel '%s': removed its boot entry (%llu MiB) %s", *kv,
                                    (unsigned long long) (freed >> 20), reason);
                        return 1;
                }
                total += size;
                r = strv_pushf(&hint, "%s (%llu MiB)", *kv, (unsigned long long) (size >> 20));
                if (r < 0)
                        return r;
        }
        if (!hint) {
                log_error("kernel '%s': no entry of an older kernel can go to make room (the others are the "
                          "default, the fallback, running or pinned); see 'distkernel kernel list'", e->k->kver);
                return 0;
        }
        joined = strv_join(hint, ", ");
        log_error("kernel '%s': removing the entries of older kernels would free %llu MiB: %s; run "
                  "'distkernel gc' (keep = %u) or set 'esp-auto-gc = yes' in '%s'", e->k->kver,
                  (unsigned long long) (total >> 20), strempty(joined), config_keep(c->cfg), CONFIG_PATH);
        return 0;
}

static void free_uki_inputs(char *(*l)[4]) {
        for (size_t i = 0; i < 4; i++)
                free((*l)[i]);
}

/* Stages every file of the entry (the main one, e.g. the BLS entry, last to be
 * published), then publishes and records them. */
/* The entry's key and its inputs one by one, in one transaction: a crash in
 * between would leave an entry that is current without its inputs. */
static int record_key(const struct ctx *c, const char *kver, const char *key, const struct inputs *inputs) {
        _cleanup_free_ char *mk = kernel_meta(kver, "boot-key"), *node = boot_node_name(kver);
        int r;

        if (!mk || !node)
                return -ENOMEM;
        r = state_begin(c->st);
        if (r >= 0)
                r = state_meta_set(c->st, mk, key);
        if (r >= 0)
                r = inputs_record(c->st, node, inputs);
        if (r < 0) {
                state_rollback(c->st);
                return r;
        }
        return state_commit(c->st);
}

static int install_entry(const struct ctx *c, struct entry *e, const char *key, const struct inputs *inputs) {
        _cleanup_(publish_set_done) struct publish_set set = {};
        _cleanup_free_ char *staged_uki = NULL, *text = NULL;
        _cleanup_(free_uki_inputs) char *uki_inputs[4] = {};
        const struct sign_key *sb = c->env->sbkey;
        int r = 0;

        if (e->layout == LAYOUT_BLS && c->cfg->kernel_install) {
                char *targets[4] = {};
                for (size_t i = 0; i < e->n_targets && i < 3; i++)
                        targets[i] = e->targets[i];
                r = boot_kernel_install_add(c->root, c->st, c->env, e->k->kver, e->k->image, e->initrd, targets);
                return r < 0 ? r : record_key(c, e->k->kver, key, inputs);
        }
        switch (e->layout) {
        case LAYOUT_UKI:
                /* a UKI carries the initramfs, which may hold keys: 0600 like the initramfs */
                if (e->initrd_is_uki)
                        r = publish_add_copy(&set, e->targets[0], e->initrd, 0600, sb);
                else if (!sb) {
                        /* assembled straight into its temp on $BOOT: one write of the bytes */
                        struct uki_request req;
                        r = uki_request_for(c, e, uki_inputs, &req);
                        if (r >= 0)
                                r = publish_add_uki(&set, e->targets[0], &req, 0600);
                } else {
                        r = build_uki(c, e, &staged_uki);
                        if (r >= 0)
                                r = publish_add_copy(&set, e->targets[0], staged_uki, 0600, sb);
                }
                break;
        case LAYOUT_BLS:
                r = publish_add_copy(&set, e->targets[1], e->k->image, 0644, sb);
                if (r >= 0 && e->n_targets > 2)
                        r = publish_add_copy(&set, e->targets[2], e->initrd, 0600, NULL);
                if (r >= 0 && !(text = bls_entry_text(c, e)))
                        r = -ENOMEM;
                if (r >= 0)
                        r = publish_add_data(&set, e->targets[0], text, strlen(text), 0644);
                break;
        default:
                if (e->n_targets > 0)
                        r = publish_add_copy(&set, e->targets[0], e->k->image, 0644, sb);
                break;
        }
        while (r >= 0) {
                int q;
                r = publish_stage(c->root, &set);
                if (r != -ENOSPC)
                        break;
                publish_unstage(&set);
                q = make_room(c, e);
                if (q <= 0) {
                        r = q < 0 ? q : r;
                        break;
                }
                r = 0;
        }
        if (r >= 0)
                r = publish_commit(c->root, c->st, &set, e->k->kver, BOOT_OWNER,
                                   boot_layout_to_string(e->layout));
        if (staged_uki)
                (void) fs_unlink(c->root->fd, staged_uki);
        return r < 0 ? r : record_key(c, e->k->kver, key, inputs);
}

/* Removes files recorded for the kernel's entry that are no longer its
 * targets (the layout or token changed). */
static int drop_stale(const struct ctx *c, const struct entry *e) {
        struct state_file *f = NULL;
        size_t nf = 0;
        int r = state_file_list(c->st, e->k->kver, BOOT_OWNER, NULL, &f, &nf);

        for (size_t i = 0; r >= 0 && i < nf; i++) {
                bool want = false;
                for (size_t t = 0; t < e->n_targets; t++)
                        want |= streq(f[i].path, e->targets[t]);
                if (want)
                        continue;
                if (modpkg_file_intact(c->root, &f[i]))
                        (void) fs_unlink(c->root->fd, f[i].path);
                r = state_file_delete(c->st, f[i].path);
        }
        state_file_list_free(f, nf);
        return r;
}

static int run_node(const struct ctx *c, struct boot_node *n, const struct irnode *ir, const char *held) {
        _cleanup_(entry_done) struct entry e = { .k = n->kernel, .layout = c->env->layout };
        _cleanup_free_ char *mk = kernel_meta(n->kernel->kver, "boot-key"), *old = NULL;
        _cleanup_(inputs_done) struct inputs inputs = {};
        bool current;
        int r;

        if (!mk)
                return -ENOMEM;
        if (ir && ir->output && ir->result != IR_SKIPPED && fs_exists(c->root->fd, ir->output)) {
                e.initrd = ir->output;
                e.initrd_is_uki = external_is_pe(c->root->fd, ir->output);
                if (e.initrd_is_uki && e.layout != LAYOUT_UKI) {
                        log_info("kernel %s: the initramfs generator made a UEFI executable, installing it "
                                 "as a UKI", n->kernel->kver);
                        e.layout = LAYOUT_UKI;
                }
        }
        r = entry_targets(c, &e);
        if (r < 0)
                return r;
        if (e.n_targets)
                n->entry = strdup(e.targets[0]);
        else
                n->entry = strdup(n->kernel->image);
        if (held && !c->o->force && !c->o->dry_run) {
                n->result = BOOT_HELD;
                n->message = strdup(held);
                return set_status(c->st, n->kernel->kver, "held: %s", held);
        }
        if (held) {
                log_warning("kernel '%s': installing it although %s (--force)", n->kernel->kver, held);
                n->forced = true;
        }
        entry_key(c, &e, n->key);
        old = meta_get(c->st, mk);
        if (!old && !c->o->rebuild) {
                /* its entry was removed to make room on the ESP: it stays
                 * retired until `uki KVER` (or sync --rebuild) asks again */
                _cleanup_free_ char *st = boot_status(c->st, n->kernel->kver);
                if (st && startswith(st, "removed: ")) {
                        n->result = BOOT_RETIRED;
                        n->message = strdup(st + strlen("removed: "));
                        return 0;
                }
        }
        current = !c->o->rebuild && old && streq(old, n->key) && entry_intact(c, &e);
        if (current && !(c->o->dry_run && ir && ir->reasons.n > 0)) {
                n->result = BOOT_CURRENT;
                return c->o->dry_run ? 0 : set_status(c->st, n->kernel->kver, "installed");
        }
        /* only an entry that is installed needs its inputs one by one: a no-op sync stays cheap */
        r = entry_inputs(c, &e, &inputs);
        if (r >= 0)
                r = entry_explain(c, n, &inputs, old, ir);
        if (r < 0 || c->o->dry_run)
                return r;
        r = install_entry(c, &e, n->key, &inputs);
        if (r >= 0)
                r = drop_stale(c, &e);
        if (r < 0) {
                n->result = BOOT_FAILED;
                n->message = strdup(*log_last_error() ? log_last_error() : strerror(-r));
                return set_status(c->st, n->kernel->kver, "failed: %s", strempty(n->message));
        }
        n->result = BOOT_INSTALLED;
        return set_status(c->st, n->kernel->kver, n->forced ? "installed (forced)" : "installed");
}

/* ------------------------------------------------------------ promotion */

static int legacy_links(const struct ctx *c, const char *def, const char *prev) {
        _cleanup_free_ char *ki = NULL, *ii = NULL, *ko = NULL, *io = NULL;
        const char *iname = c->cfg->legacy_names == LEGACY_NAMES_FEDORA ? "initramfs" : "initrd.img";
        struct config legacy = *c->cfg;
        int r = 0;

        legacy.layout = LAYOUT_LEGACY;
        if (def) {
                ki = strdup_printf("vmlinuz-%s", def);
                ii = config_initrd_path(&legacy, def);
        }
        if (prev) {
                ko = strdup_printf("vmlinuz-%s", prev);
                io = config_initrd_path(&legacy, prev);
        }
        if ((def && (!ki || !ii)) || (prev && (!ko || !io)))
                return -ENOMEM;
        r = publish_symlink(c->root, "/boot/vmlinuz", ki);
        if (r >= 0) {
                _cleanup_free_ char *l = strdup_printf("/boot/%s", iname);
                r = l ? publish_symlink(c->root, l, ii && fs_exists(c->root->fd, ii) ? ii + strlen("/boot/") : NULL)
                      : -ENOMEM;
        }
        if (r >= 0)
                r = publish_symlink(c->root, "/boot/vmlinuz.old", ko);
        if (r >= 0) {
                _cleanup_free_ char *l = strdup_printf("/boot/%s.old", iname);
                r = l ? publish_symlink(c->root, l, io && fs_exists(c->root->fd, io) ? io + strlen("/boot/") : NULL)
                      : -ENOMEM;
        }
        return r;
}

static int promote(const struct ctx *c, struct boot_report *rep) {
        _cleanup_strv_free_ char **kvers = NULL;
        _cleanup_free_ char *old = boot_default(c->st), *old_prev = boot_previous_default(c->st);
        const char *def = NULL;
        char *prev;
        int r;

        r = state_kernel_list(c->st, &kvers, NULL);
        if (r < 0)
                return r;
        STRV_FOREACH(kv, kvers)
                if (bootable(c->st, *kv) && (!def || kver_compare(*kv, def) > 0))
                        def = *kv;
        prev = old_prev;
        if (!streq_ptr(def, old))
                prev = old;
        if (prev && (streq_ptr(prev, def) || !strv_contains(kvers, prev) || !bootable(c->st, prev)))
                prev = NULL;
        rep->default_kver = def ? strdup(def) : NULL;
        rep->previous_default = prev ? strdup(prev) : NULL;
        /* (rep->changed also says that entries changed, for the hook) */
        bool default_changed = !streq_ptr(def, old);
        if (default_changed) {
                rep->changed = true;
                if (def)
                        log_info("kernel %s is the default now%s%s", def, old ? ", was " : "", strempty(old));
        }
        if (c->env->layout == LAYOUT_LEGACY) {
                r = legacy_links(c, def, prev);
                if (r < 0)
                        return r;
        }
        /* one transaction: a crash in between would leave the fallback unset
         * and no gc ever coming */
        r = state_begin(c->st);
        if (r >= 0)
                r = meta_update(c->st, "boot:default", def);
        if (r >= 0)
                r = meta_update(c->st, "boot:previous-default", prev);
        if (r >= 0 && def && default_changed)
                r = state_meta_set(c->st, GC_PENDING_KEY, "1");
        if (r < 0) {
                state_rollback(c->st);
                return r;
        }
        return state_commit(c->st);
}

/* Entries and initramfs images of kernels that are no longer registered (the
 * package manager removed the kernel): removed, so they never boot a kernel
 * whose modules are gone. */
static int drop_orphans(const struct ctx *c) {
        _cleanup_strv_free_ char **kvers = NULL, **orphans = NULL;
        static const char *const owners[] = { BOOT_OWNER, INITRAMFS_OWNER };
        int r = state_kernel_list(c->st, &kvers, NULL);

        for (size_t o = 0; r >= 0 && o < ELEMENTSOF(owners); o++) {
                struct state_file *f = NULL;
                size_t nf = 0;
                r = state_file_list(c->st, NULL, owners[o], NULL, &f, &nf);
                for (size_t i = 0; r >= 0 && i < nf; i++)
                        if (!strv_contains(kvers, f[i].kver) && !strv_contains(orphans, f[i].kver))
                                r = strv_push(&orphans, f[i].kver);
                state_file_list_free(f, nf);
        }
        STRV_FOREACH(kv, orphans) {
                uint64_t freed = 0;
                if (r < 0)
                        break;
                log_info("kernel %s is gone, removing its boot entry and initramfs", *kv);
                r = boot_remove_kernel_files(c->root, c->st, *kv, &freed);
        }
        return r;
}

int boot_run(const struct root *root, struct state *st, const struct config *cfg, const struct boot_env *env,
             const struct plan *p, const struct sync_result *res, const struct boot_options *o,
             struct boot_report *ret) {
        struct ctx c = { root, st, cfg, env, p, o };
        struct boot_report rep = {};
        int r = 0, failed = 0;

        rep.nodes = calloc(p->n_kernels + 1, sizeof *rep.nodes);
        if (!rep.nodes)
                return -ENOMEM;
        for (size_t k = 0; r >= 0 && k < p->n_kernels; k++) {
                struct boot_node *n = &rep.nodes[rep.n_nodes++];
                const struct irnode *ir = res && k < res->n_ir ? &res->ir[k] : NULL;
                _cleanup_free_ char *held = NULL;

                n->kernel = p->kernels[k];
                if ((o->only && !streq(o->only, n->kernel->kver)) || strv_contains(p->ignored, n->kernel->kver))
                        continue;
                held = o->dry_run ? NULL : held_reason(cfg, p, ir, n->kernel);
                r = run_node(&c, n, ir, held);
                if (n->result == BOOT_HELD || n->result == BOOT_FAILED)
                        failed++;
                if (n->result == BOOT_INSTALLED) {
                        rep.changed = true;
                        if (r >= 0)
                                r = strv_push(&rep.changed_kvers, n->kernel->kver);
                }
        }
        if (r >= 0 && !o->dry_run)
                r = drop_orphans(&c);
        if (r >= 0 && !o->dry_run)
                r = promote(&c, &rep);
        if (r < 0) {
                boot_report_done(&rep);
                return r;
        }
        *ret = rep;
        return failed ? 1 : 0;
}
