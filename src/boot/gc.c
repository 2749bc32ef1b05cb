/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "boot/boot.h"
#include "core/irnode.h"
#include "kernel/kver.h"
#include "modpkg/install.h"
#include "util/log.h"
#include "util/strv.h"

void gc_report_done(struct gc_report *r) {
        strv_free(r->removed);
        strv_free(r->kept);
        *r = (struct gc_report) {};
}

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

static int remove_owned(const struct root *root, struct state *st, const char *kver, const char *owner,
                        uint64_t *freed) {
        struct state_file *f = NULL;
        size_t nf = 0;
        int r = state_file_list(st, kver, owner, NULL, &f, &nf);

        for (size_t i = 0; r >= 0 && i < nf; i++) {
                struct stat fst;

                if (fs_lstat(root->fd, f[i].path, &fst) == -ENOENT)
                        log_debug("'%s' is gone already (an interrupted gc?)", f[i].path);
                else if (modpkg_file_intact(root, &f[i])) {
                        r = fs_unlink(root->fd, f[i].path);
                        if (r < 0 && r != -ENOENT) {
                                log_error_errno(r, "'%s': cannot remove: %s", f[i].path, strerror(-r));
                                break;
                        }
                        *freed += (uint64_t) f[i].size;
                        log_info("removed '%s'", f[i].path);
                } else
                        log_warning("'%s': changed since distkernel installed it, leaving it in place", f[i].path);
                r = state_file_delete(st, f[i].path);
                /* a BLS entry's per-kernel directory goes when it is empty */
                if (r >= 0 && streq(owner, BOOT_OWNER)) {
                        _cleanup_free_ char *dir = path_dirname(f[i].path), *host = NULL;
                        const char *base = dir ? strrchr(dir, '/') : NULL;
                        if (base && streq(base + 1, kver) && (host = root_host_path(root, dir)))
                                (void) rmdir(host);
                }
        }
        state_file_list_free(f, nf);
        return r;
}

int boot_remove_kernel_files(const struct root *root, struct state *st, const char *kver, uint64_t *freed) {
        static const char *const metas[][2] = { { "kernel", "boot-key" }, { "kernel", "boot-status" },
                                                { "kernel", "pinned" }, { "initramfs", "key" } };
        int r = remove_owned(root, st, kver, BOOT_OWNER, freed);
        if (r >= 0)
                r = remove_owned(root, st, kver, INITRAMFS_OWNER, freed);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(metas); i++) {
                _cleanup_free_ char *k = strdup_printf("%s:%s:%s", metas[i][0], kver, metas[i][1]);
                r = k ? state_meta_set(st, k, NULL) : -ENOMEM;
        }
        return r;
}

int boot_remove_entry(const struct root *root, struct state *st, const char *kver, const char *why,
                      uint64_t *freed) {
        _cleanup_free_ char *k = strdup_printf("kernel:%s:boot-key", kver);
        _cleanup_free_ char *s = strdup_printf("kernel:%s:boot-status", kver);
        _cleanup_free_ char *v = strdup_printf("removed: %s", why);
        int r;

        if (!k || !s || !v)
                return -ENOMEM;
        r = remove_owned(root, st, kver, BOOT_OWNER, freed);
        if (r >= 0)
                r = state_meta_set(st, k, NULL);
        if (r >= 0)
                r = state_meta_set(st, s, v);
        return r;
}

static int compare_newest_first(const void *a, const void *b) {
        return kver_compare(*(char *const *) b, *(char *const *) a);
}

static char *protected_reason(const struct root *root, struct state *st, const char *kver, const char *def,
                              const char *prev) {
        struct utsname u;
        if (streq(root->path, "/") && uname(&u) >= 0 && streq(u.release, kver))
                return strdup_printf("%s: the running kernel", kver);
        if (streq_ptr(def, kver))
                return strdup_printf("%s: the default", kver);
        if (streq_ptr(prev, kver))
                return strdup_printf("%s: the previous default (the fallback)", kver);
        if (boot_pinned(st, kver))
                return strdup_printf("%s: pinned", kver);
        return NULL;
}

char *boot_protected_reason(const struct root *root, struct state *st, const char *kver) {
        _cleanup_free_ char *def = boot_default(st), *prev = boot_previous_default(st);
        return protected_reason(root, st, kver, def, prev);
}

/* Removes the logs of kver: LOG_DIR/NAME-VERSION/KVER.log and initramfs-KVER.log. */
static void remove_logs(const struct root *root, const char *kver) {
        _cleanup_free_ char *ir = strdup_printf("/var/lib/distkernel/log/initramfs-%s.log", kver);
        _cleanup_free_ char *dir = root_host_path(root, "/var/lib/distkernel/log");
        _cleanup_(closedirp) DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;

        if (ir)
                (void) fs_unlink(root->fd, ir);
        while (d && (de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                p = strdup_printf("/var/lib/distkernel/log/%s/%s.log", de->d_name, kver);
                if (p)
                        (void) fs_unlink(root->fd, p);
        }
}

/* A kernel distkernel built (kernel build) is distkernel's to remove whole:
 * its modules dir, header tree and build dir. */
static int remove_built(const struct root *root, const char *kver) {
        _cleanup_free_ char *mods = strdup_printf("/usr/lib/modules/%s", kver);
        _cleanup_free_ char *headers = strdup_printf("/usr/src/linux-%s", kver);
        _cleanup_free_ char *kbuild = strdup_printf("/var/lib/distkernel/kbuild/%s", kver);
        int r;

        if (!mods || !headers || !kbuild)
                return -ENOMEM;
        r = fs_rm_rf(root->fd, mods);
        if (r >= 0)
                r = fs_rm_rf(root->fd, headers);
        if (r >= 0)
                r = fs_rm_rf(root->fd, kbuild);
        if (r < 0)
                return log_error_errno(r, "kernel '%s': cannot remove what distkernel built: %s", kver, strerror(-r));
        log_info("kernel %s: removed its modules, headers and build dir (distkernel built it)", kver);
        return 0;
}

static int remove_kernel(const struct root *root, struct state *st, const char *kver, uint64_t *freed) {
        _cleanup_(kernel_freep) struct kernel *k = NULL;
        _cleanup_free_ char *bk = strdup_printf("kernel:%s:built", kver), *built = NULL;
        int r;

        if (!bk)
                return -ENOMEM;
        (void) state_meta_get(st, bk, &built);
        r = boot_remove_kernel_files(root, st, kver, freed);
        if (r >= 0)
                r = sync_forget_kernel(root, st, kver, !built);
        if (r >= 0 && built)
                r = remove_built(root, kver);
        if (r >= 0 && built)
                r = state_meta_set(st, bk, NULL);
        if (r < 0)
                return r;
        remove_logs(root, kver);
        if (built)
                return 0;
        if (kernel_load(root, kver, &k) >= 0)
                log_info("kernel %s: its image '%s' and modules belong to the package manager; "
                         "remove them with it (e.g. apt remove linux-image-%s)", kver, k->image, kver);
        return 0;
}

int boot_gc(const struct root *root, struct state *st, const struct config *cfg, bool dry_run,
            struct gc_report *ret) {
        _cleanup_strv_free_ char **kvers = NULL;
        _cleanup_free_ char *def = boot_default(st), *prev = boot_previous_default(st);
        struct gc_report rep = {};
        unsigned keep = config_keep(cfg);
        size_t n;
        int r;

        r = state_kernel_list(st, &kvers, NULL);
        if (r < 0)
                return r;
        n = strv_length(kvers);
        if (n > 1)
                qsort(kvers, n, sizeof *kvers, compare_newest_first);
        for (size_t i = keep; r >= 0 && i < n; i++) {
                char *why = protected_reason(root, st, kvers[i], def, prev);
                if (why) {
                        r = strv_consume(&rep.kept, why);
                        continue;
                }
                if (!dry_run)
                        r = remove_kernel(root, st, kvers[i], &rep.freed);
                if (r >= 0)
                        r = strv_push(&rep.removed, kvers[i]);
        }
        if (r >= 0 && !dry_run)
                r = state_meta_set(st, GC_PENDING_KEY, NULL);
        if (r < 0) {
                gc_report_done(&rep);
                return r;
        }
        *ret = rep;
        return 0;
}
