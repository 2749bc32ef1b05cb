/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>
#include <sys/statvfs.h>
#include "boot/env.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/lock.h"
#include "core/plan.h"
#include "core/state.h"
#include "sign/key.h"
#include "uki/uki.h"
#include "util/json.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

/* `doctor`: checks what sync needs and says, for each problem, the object, the
 * cause and the fix. Reads only: no lock is kept, the state is opened read-only.
 * Exit 0 without errors (warnings allowed), 1 otherwise. */

enum level { LEVEL_OK, LEVEL_WARNING, LEVEL_ERROR };
static const char *const level_table[] = { "ok", "warning", "error" };

struct finding {
        const char *check;
        enum level level;
        char *object, *message, *hint;
};

struct doctor {
        struct cli *cli;
        struct config cfg;
        struct boot_env env;
        bool env_ok;
        struct state *st;
        struct finding *f;
        size_t n;
};

static void finding(struct doctor *d, const char *check, enum level level, const char *object, const char *hint,
                    const char *fmt, ...) _printf_(6, 7);
static void finding(struct doctor *d, const char *check, enum level level, const char *object, const char *hint,
                    const char *fmt, ...) {
        struct finding *n = realloc(d->f, (d->n + 1) * sizeof *n);
        char *msg = NULL;
        va_list ap;

        if (!n)
                return;
        d->f = n;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        d->f[d->n++] = (struct finding) { check, level, object ? strdup(object) : NULL, msg,
                                          hint ? strdup(hint) : NULL };
}

static void doctor_done(struct doctor *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->f[i].object);
                free(d->f[i].message);
                free(d->f[i].hint);
        }
        free(d->f);
        boot_env_done(&d->env);
        config_done(&d->cfg);
        state_close(d->st);
}

static void check_state(struct doctor *d) {
        _cleanup_free_ char *db = root_host_path(&d->cli->root, STATE_DB), *problem = NULL, *hint = NULL;
        int r = state_open(&d->cli->root, STATE_READONLY, &d->st);

        if (r == -ENOENT) {
                finding(d, "state", LEVEL_WARNING, STATE_DB, "distkernel sync", "no state database yet: nothing was synced");
                return;
        }
        hint = strdup_printf("mv %s %s.broken && distkernel sync --rebuild", strempty(db), strempty(db));
        if (r < 0) {
                finding(d, "state", LEVEL_ERROR, STATE_DB, hint, "cannot open the state database: %s", log_last_error());
                return;
        }
        r = state_check_integrity(d->st, &problem);
        if (r != 0)
                finding(d, "state", LEVEL_ERROR, STATE_DB, hint, "the state database is damaged: %s",
                        r > 0 ? problem : log_last_error());
        else
                finding(d, "state", LEVEL_OK, STATE_DB, NULL, "the state database is sound");
}

static void check_lock(struct doctor *d) {
        bool waited = false, was;
        _cleanup_close_ int fd = -EBADF;

        if (!fs_exists(d->cli->root.fd, STATE_DIR)) {
                finding(d, "lock", LEVEL_OK, STATE_DIR "/lock", NULL, "nothing was synced yet: no lock to hold");
                return;
        }
        was = log_set_muted(true);
        fd = lock_take(&d->cli->root, LOCK_NO_WAIT, &waited);
        log_set_muted(was);

        if (fd == -EAGAIN)
                finding(d, "lock", LEVEL_WARNING, STATE_DIR "/lock", "wait for it, or see who holds it: "
                        "grep \"$(stat -c %i " STATE_DIR "/lock)\" /proc/locks",
                        "another distkernel is running: sync and the commands that change files wait for it");
        else if (fd < 0)
                finding(d, "lock", LEVEL_ERROR, STATE_DIR "/lock", "check the permissions of " STATE_DIR,
                        "cannot take the lock: %s", log_last_error());
        else
                finding(d, "lock", LEVEL_OK, STATE_DIR "/lock", NULL, "no other distkernel is running");
}

static void check_headers(struct doctor *d, const struct plan *p) {
        for (size_t i = 0; i < p->n_kernels; i++) {
                const struct kernel *k = p->kernels[i];
                _cleanup_free_ char *obj = strdup_printf("kernel %s", k->kver), *hint = NULL;
                if (strv_contains(p->ignored, k->kver))
                        continue;
                if (k->build_dir) {
                        finding(d, "headers", LEVEL_OK, obj, NULL, "headers at %s", k->build_dir);
                        continue;
                }
                hint = strdup_printf("apt-get install linux-headers-%s (or 'distkernel kernel remove %s')",
                                     k->kver, k->kver);
                finding(d, "headers", p->n_pkgs ? LEVEL_ERROR : LEVEL_WARNING, obj, hint,
                        "no headers: %s/build is missing or dangling%s", k->modules_dir,
                        p->n_pkgs ? ", so no module package can be built for it" : "");
        }
}

static void check_exclusive(struct doctor *d, const struct plan *p) {
        for (size_t i = 0; i < p->n_pkgs; i++) {
                const struct package *pkg = &p->pkgs[i];
                const char *why = NULL;
                size_t n = 0, excluded = 0;
                _cleanup_free_ char *obj = strdup_printf("package %s/%s", pkg->name, pkg->version), *hint = NULL;

                for (size_t j = 0; j < p->n_pairs; j++)
                        if (p->pairs[j].pkg == pkg) {
                                n++;
                                if (p->pairs[j].action == ACTION_EXCLUDED) {
                                        excluded++;
                                        why = p->pairs[j].why;
                                }
                        }
                if (n == 0 || excluded < n) {
                        if (n > 0)
                                finding(d, "build-exclusive", LEVEL_OK, obj, NULL, "builds for %zu of %zu kernel(s)",
                                        n - excluded, n);
                        continue;
                }
                hint = strdup_printf("install a kernel it supports, or 'distkernel module remove %s/%s'", pkg->name,
                                     pkg->version);
                finding(d, "build-exclusive", LEVEL_WARNING, obj, hint,
                        "BUILD_EXCLUSIVE excludes it from every installed kernel (%s)", strempty(why));
        }
}

static void check_kernels_and_packages(struct doctor *d) {
        _cleanup_plan_ struct plan *p = NULL;
        bool was = log_set_muted(true);
        int r;

        r = d->st ? plan_compute(&d->cli->root, d->st, NULL, 0, &p) : 0;
        log_set_muted(was);
        if (r < 0) {
                finding(d, "plan", LEVEL_ERROR, d->cli->root.path, "distkernel status",
                        "cannot compute what sync would do: %s", log_last_error());
                return;
        }
        if (!p) {
                struct kernel **l = NULL;
                size_t n = 0;
                struct plan tmp = {};
                if (kernel_discover(&d->cli->root, &l, &n) >= 0) {
                        tmp.kernels = l;
                        tmp.n_kernels = n;
                        check_headers(d, &tmp);
                }
                if (n == 0)
                        finding(d, "kernels", LEVEL_WARNING, "/usr/lib/modules", "install a kernel package",
                                "no kernel is installed (no modules dir with an image)");
                kernel_list_free(l, n);
                return;
        }
        if (p->n_kernels == 0)
                finding(d, "kernels", LEVEL_WARNING, "/usr/lib/modules", "install a kernel package",
                        "no kernel is installed (no modules dir with an image)");
        check_headers(d, p);
        check_exclusive(d, p);
}

static void check_generator(struct doctor *d) {
        static const struct {
                enum initramfs_generator g;
                const char *program, *package;
        } progs[] = {
                { INITRAMFS_DRACUT, "dracut", "dracut-core" },
                { INITRAMFS_INITRAMFS_TOOLS, "mkinitramfs", "initramfs-tools" },
        };
        const char *gen = initramfs_generator_to_string(d->cfg.initramfs);

        for (size_t i = 0; i < ELEMENTSOF(progs); i++) {
                _cleanup_free_ char *path = NULL, *obj = NULL, *hint = NULL;
                if (progs[i].g != d->cfg.initramfs)
                        continue;
                obj = strdup_printf("initramfs = %s", gen);
                if (spawn_find_program(progs[i].program, &path) >= 0) {
                        finding(d, "initramfs", LEVEL_OK, obj, NULL, "%s is installed (%s)", progs[i].program, path);
                        return;
                }
                hint = strdup_printf("apt-get install %s, or set 'initramfs = builtin' in %s", progs[i].package,
                                     CONFIG_PATH);
                finding(d, "initramfs", LEVEL_ERROR, obj, hint, "%s is not installed ('%s' is not in PATH)",
                        progs[i].package, progs[i].program);
                return;
        }
        finding(d, "initramfs", LEVEL_OK, CONFIG_PATH, NULL, "initramfs generator %s", gen);
}

static void check_stub(struct doctor *d) {
        _cleanup_free_ char *stub = NULL;
        bool was;
        int r;

        if (!d->env_ok || d->env.layout != LAYOUT_UKI)
                return;
        if (d->cfg.uki_stub) {
                int err = access(d->cfg.uki_stub, R_OK) < 0 ? errno : 0;
                if (err == 0)
                        finding(d, "uki-stub", LEVEL_OK, d->cfg.uki_stub, NULL, "EFI stub (uki-stub)");
                else
                        finding(d, "uki-stub", LEVEL_ERROR, d->cfg.uki_stub,
                                "apt-get install systemd-boot-efi, or correct uki-stub in " CONFIG_PATH,
                                "the configured EFI stub cannot be read: %s; layout uki cannot build UKIs",
                                strerror(err));
                return;
        }
        if (d->env.stub) {
                finding(d, "uki-stub", LEVEL_OK, d->env.stub, NULL, "EFI stub");
                return;
        }
        was = log_set_muted(true);
        r = uki_find_stub(NULL, NULL, &stub);
        log_set_muted(was);
        if (r >= 0)
                finding(d, "uki-stub", LEVEL_OK, stub, NULL, "EFI stub");
        else
                finding(d, "uki-stub", LEVEL_ERROR, "/usr/lib/systemd/boot/efi", "apt-get install systemd-boot-efi",
                        "no EFI stub (linux*.efi.stub) for layout uki: %s", log_last_error());
}

/* The size of the largest file below dir, 0 when none. */
static uint64_t largest_file(const struct root *root, const char *dir) {
        _cleanup_close_ int fd = fs_open_dir(root->fd, dir);
        uint64_t max = 0;
        struct dirent *de;
        struct stat st;
        DIR *dp;

        if (fd < 0 || !(dp = fdopendir(TAKE_FD(fd))))
                return 0;
        while ((de = readdir(dp)))
                if (fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
                    (uint64_t) st.st_size > max)
                        max = (uint64_t) st.st_size;
        closedir(dp);
        return max;
}

/* What one more entry needs: the largest installed UKI, else the newest
 * kernel's image and initramfs. */
static uint64_t entry_size(struct doctor *d) {
        _cleanup_free_ char *linux_dir = path_join(d->env.boot, "EFI/Linux");
        struct kernel **l = NULL;
        size_t n = 0;
        uint64_t size = linux_dir ? largest_file(&d->cli->root, linux_dir) : 0;
        struct stat st;

        if (size > 0 || kernel_discover(&d->cli->root, &l, &n) < 0)
                return size;
        if (n > 0 && fs_stat(d->cli->root.fd, l[0]->image, &st) >= 0)
                size += (uint64_t) st.st_size;
        _cleanup_free_ char *ir = n > 0 ? config_initrd_path(&d->cfg, l[0]->kver) : NULL;
        if (ir && fs_stat(d->cli->root.fd, ir, &st) >= 0)
                size += (uint64_t) st.st_size;
        kernel_list_free(l, n);
        return size;
}

static void check_esp(struct doctor *d) {
        _cleanup_free_ char *host = NULL, *hint = NULL;
        struct statvfs sv;
        uint64_t free_bytes, need;

        if (!d->env_ok || d->env.layout == LAYOUT_LEGACY) {
                if (d->env_ok)
                        finding(d, "esp", LEVEL_OK, d->env.esp ? d->env.esp : "/boot", NULL,
                                "layout legacy: no EFI System Partition needed");
                return;
        }
        host = root_host_path(&d->cli->root, d->env.boot);
        if (!host || statvfs(host, &sv) < 0) {
                int err = host ? errno : ENOMEM;
                finding(d, "esp", LEVEL_ERROR, d->env.boot, "mount it, or set 'boot = PATH' in " CONFIG_PATH,
                        "cannot look at the file system: %s", strerror(err));
                return;
        }
        free_bytes = (uint64_t) sv.f_bavail * sv.f_frsize;
        need = entry_size(d);
        if (need == 0) {
                finding(d, "esp", LEVEL_OK, d->env.boot, NULL, "%" PRIu64 " MiB free", free_bytes >> 20);
                return;
        }
        hint = strdup_printf("'distkernel gc', a lower 'keep = N' or 'esp-auto-gc = yes' in %s, or a larger %s",
                             CONFIG_PATH, d->env.boot);
        if (free_bytes < need)
                finding(d, "esp", LEVEL_ERROR, d->env.boot, hint,
                        "%" PRIu64 " MiB free, less than one more %s entry (%" PRIu64 " MiB): the next kernel will "
                        "not fit", free_bytes >> 20, boot_layout_to_string(d->env.layout), (need + (1 << 20) - 1) >> 20);
        else if (free_bytes < 2 * need)
                finding(d, "esp", LEVEL_WARNING, d->env.boot, hint,
                        "nearly full: %" PRIu64 " MiB free, room for fewer than two more %s entries (%" PRIu64
                        " MiB each)", free_bytes >> 20, boot_layout_to_string(d->env.layout),
                        (need + (1 << 20) - 1) >> 20);
        else
                finding(d, "esp", LEVEL_OK, d->env.boot, NULL, "%" PRIu64 " MiB free (an entry takes %" PRIu64 " MiB)",
                        free_bytes >> 20, (need + (1 << 20) - 1) >> 20);
}

static void check_key_pair(struct doctor *d, const char *what, const char *key, const char *cert) {
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *hint = NULL;
        struct stat st;
        bool was;
        int r;

        if (!key && !cert)
                return;
        if (!key || !cert) {
                finding(d, "keys", LEVEL_ERROR, CONFIG_PATH, "set both in " CONFIG_PATH, "%s-key and %s-cert go together",
                        what, what);
                return;
        }
        if (fs_stat(d->cli->root.fd, key, &st) < 0) {
                finding(d, "keys", LEVEL_ERROR, key, "correct " CONFIG_PATH, "%s-key does not exist", what);
                return;
        }
        hint = strdup_printf("chmod 600 %s", key);
        if (st.st_mode & S_IROTH) {
                finding(d, "keys", LEVEL_ERROR, key, hint, "private key is readable by everyone (mode %04o)",
                        (unsigned) (st.st_mode & 07777));
                return;
        }
        if (st.st_mode & S_IRGRP)
                finding(d, "keys", LEVEL_WARNING, key, hint, "private key is readable by its group (mode %04o)",
                        (unsigned) (st.st_mode & 07777));
        was = log_set_muted(true);
        r = sign_key_load(d->cli->root.fd, key, cert, &k);
        log_set_muted(was);
        free(hint);
        hint = strdup_printf("make %s-cert the certificate of %s-key: compare 'openssl x509 -noout -pubkey -in %s' "
                             "with 'openssl pkey -pubout -in %s'", what, what, cert, key);
        if (r < 0)
                finding(d, "keys", LEVEL_ERROR, cert, hint, "%s", log_last_error());
        else
                finding(d, "keys", LEVEL_OK, key, NULL, "%s key and certificate belong together", what);
}

static void check_boot_env(struct doctor *d) {
        /* the ESP and layout, without the stub and keys, which have checks of their own */
        struct config tmp = d->cfg;
        bool was = log_set_muted(true);
        int r;

        tmp.uki_stub = (char *) "/";
        tmp.secureboot_key = tmp.secureboot_cert = NULL;
        r = boot_env_load(&d->cli->root, &tmp, &d->env);
        log_set_muted(was);
        d->env_ok = r >= 0;
        if (r < 0) {
                finding(d, "esp", LEVEL_ERROR, d->cfg.esp ? d->cfg.esp : "/efi", "mount the ESP, or set 'esp = PATH' "
                        "(or 'layout = legacy') in " CONFIG_PATH, "%s", log_last_error());
                return;
        }
        if (d->env.stub && streq(d->env.stub, "/"))
                d->env.stub = mfree(d->env.stub);
}

static void print_text(const struct doctor *d, size_t errors, size_t warnings) {
        for (size_t i = 0; i < d->n; i++) {
                const struct finding *f = &d->f[i];
                if (f->level == LEVEL_OK && d->cli->verbosity < 0)
                        continue;
                printf("%-8s%-16s%s%s%s\n", level_table[f->level], f->check, strempty(f->object),
                       f->object ? ": " : "", strempty(f->message));
                if (f->hint && f->level != LEVEL_OK)
                        printf("%-24sfix: %s\n", "", f->hint);
        }
        printf("doctor: %zu error(s), %zu warning(s)\n", errors, warnings);
}

static void print_json(const struct doctor *d, size_t errors, size_t warnings) {
        struct json j;

        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_bool(&j, "ok", errors == 0);
        json_kv_string(&j, "root", d->cli->root.path);
        json_kv_int(&j, "errors", (int64_t) errors);
        json_kv_int(&j, "warnings", (int64_t) warnings);
        json_key(&j, "checks");
        json_array_begin(&j);
        for (size_t i = 0; i < d->n; i++) {
                json_object_begin(&j);
                json_kv_string(&j, "check", d->f[i].check);
                json_kv_string(&j, "level", level_table[d->f[i].level]);
                json_kv_string(&j, "object", d->f[i].object);
                json_kv_string(&j, "message", d->f[i].message);
                json_kv_string(&j, "hint", d->f[i].hint);
                json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
}

int cmd_doctor(struct cli *c, int argc, char **argv) {
        _cleanup_(doctor_done) struct doctor d = { .cli = c };
        size_t errors = 0, warnings = 0;
        bool was;

        if (argc > 1)
                return cli_usage("doctor: unexpected argument '%s'", argv[1]);
        was = log_set_muted(true);
        if (config_load(&c->root, &d.cfg) < 0) {
                log_set_muted(was);
                finding(&d, "config", LEVEL_ERROR, CONFIG_PATH, "correct the line, see distkernel(8)", "%s",
                        log_last_error());
                config_done(&d.cfg);
                d.cfg = (struct config) {};
        } else {
                log_set_muted(was);
                finding(&d, "config", LEVEL_OK, CONFIG_PATH, NULL, "layout %s, initramfs %s",
                        boot_layout_to_string(d.cfg.layout), initramfs_generator_to_string(d.cfg.initramfs));
        }
        check_state(&d);
        check_lock(&d);
        check_kernels_and_packages(&d);
        check_generator(&d);
        check_boot_env(&d);
        check_stub(&d);
        check_esp(&d);
        check_key_pair(&d, "secureboot", d.cfg.secureboot_key, d.cfg.secureboot_cert);
        check_key_pair(&d, "module-sign", d.cfg.module_sign_key, d.cfg.module_sign_cert);
        for (size_t i = 0; i < d.n; i++) {
                errors += d.f[i].level == LEVEL_ERROR;
                warnings += d.f[i].level == LEVEL_WARNING;
        }
        if (c->json)
                print_json(&d, errors, warnings);
        else
                print_text(&d, errors, warnings);
        return errors ? EXIT_FAIL : EXIT_OK;
}
