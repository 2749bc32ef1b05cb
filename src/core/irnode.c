/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include "core/irnode.h"
#include "initramfs/external.h"
#include "initramfs/initramfs.h"
#include "modpkg/install.h"
#include "util/log.h"
#include "util/strv.h"

void irnode_done(struct irnode *n) {
        free(n->output);
        free(n->tmp);
        free(n->log);
        strv_free(n->modules);
        free(n->message);
        inputs_done(&n->inputs);
        reasons_done(&n->reasons);
}

char *irnode_node_name(const char *kver) { return strdup_printf("initramfs:%s", kver); }

bool irnode_carries(const struct plan *p, const struct config *cfg, const char *name) {
        if (strv_contains(cfg->initramfs_packages, name))
                return true;
        for (size_t i = 0; i < p->n_pairs; i++)
                if (streq(p->pairs[i].pkg->name, name) && p->pairs[i].conf && p->pairs[i].conf->remake_initrd)
                        return true;
        return false;
}

static char *meta_key(const char *kver) { return strdup_printf("initramfs:%s:key", kver); }

char *irnode_recorded_key(struct state *st, const char *kver) {
        _cleanup_free_ char *k = meta_key(kver);
        char *v = NULL;
        if (k && state_meta_get(st, k, &v) >= 0)
                return v;
        return NULL;
}

/* "dktest_core.ko.xz" -> "dktest_core" */
static char *module_name(const char *path) {
        const char *base = strrchr(path, '/');
        char *n = strdup(base ? base + 1 : path), *ko;
        if (n && (ko = strstr(n, ".ko")))
                *ko = 0;
        return n;
}

/* A file's path and content hash ("" when it is not a regular file). */
static void add_file_hash(struct hasher *h, struct state *st, int fd, const char *path) {
        char hex[HASH_HEX_LEN] = "";
        struct stat s;

        if (fs_stat(fd, path, &s) >= 0 && S_ISREG(s.st_mode))
                (void) state_hash_file(st, fd, path, &s, hex);
        hasher_add_str(h, path);
        hasher_add_str(h, hex);
}

static void add_stat(struct hasher *h, int fd, const char *path) {
        struct stat st = {};
        (void) fs_stat(fd, path, &st);
        hasher_add_str(h, path);
        hasher_add(h, &st.st_size, sizeof st.st_size);
        hasher_add(h, &st.st_mtim, sizeof st.st_mtim);
        hasher_add(h, &st.st_ino, sizeof st.st_ino);
}

static int carried_files(struct irnode *n, struct state *st, const struct plan *p, struct hasher *h) {
        _cleanup_hasher_ struct hasher *mine = hasher_new();
        char hex[HASH_HEX_LEN];
        struct state_file *f = NULL;
        size_t nf = 0;
        int r = mine ? state_file_list(st, n->kernel->kver, NULL, NULL, &f, &nf) : -ENOMEM;
        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < nf; i++) {
                if (streq(f[i].name, INITRAMFS_OWNER) || !irnode_carries(p, n->cfg, f[i].name))
                        continue;
                hasher_add_str(h, f[i].path);
                hasher_add_str(h, f[i].sha256);
                hasher_add_str(mine, f[i].path);
                hasher_add_str(mine, f[i].sha256);
                r = strv_consume(&n->modules, module_name(f[i].path));
        }
        state_file_list_free(f, nf);
        hasher_final(mine, hex);
        return r < 0 ? r : inputs_add(&n->inputs, "carried-modules", hex, "the modules it carries changed");
}

/* The external generator's own configuration: dracut.conf and dracut.conf.d,
 * or initramfs-tools' initramfs.conf, modules and conf.d. Returns its
 * directory for messages, or NULL for the builtin generator. */
static const char *generator_config(const struct irnode *n, int rootfd, struct state *st, char ret[HASH_HEX_LEN]) {
        static const char *const dracut[] = { "/etc/dracut.conf", "/etc/dracut.conf.d", NULL };
        static const char *const itools[] = { "/etc/initramfs-tools/initramfs.conf", "/etc/initramfs-tools/modules",
                                              "/etc/initramfs-tools/conf.d", NULL };
        const char *const *paths = n->cfg->initramfs == INITRAMFS_DRACUT ? dracut :
                                   n->cfg->initramfs == INITRAMFS_INITRAMFS_TOOLS ? itools : NULL;
        _cleanup_hasher_ struct hasher *h = NULL;

        if (!paths || !(h = hasher_new()))
                return NULL;
        for (const char *const *p = paths; *p; p++) {
                _cleanup_close_ int fd = fs_open_dir(rootfd, *p);
                _cleanup_strv_free_ char **names = NULL;
                DIR *d;
                struct dirent *de;

                if (fd < 0 || !(d = fdopendir(TAKE_FD(fd)))) {
                        add_file_hash(h, st, rootfd, *p);
                        continue;
                }
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.')
                                (void) strv_push(&names, de->d_name);
                closedir(d);
                strv_sort(names);
                STRV_FOREACH(name, names) {
                        _cleanup_free_ char *f = path_join(*p, *name);
                        if (f)
                                add_file_hash(h, st, rootfd, f);
                }
        }
        hasher_final(h, ret);
        return n->cfg->initramfs == INITRAMFS_DRACUT ? "/etc/dracut.conf.d" : "/etc/initramfs-tools";
}

static bool irnode_output_intact(const struct irnode *n, const struct root *root, struct state *st) {
        struct state_file *f = NULL;
        size_t nf = 0;
        bool ok = false;

        if (state_file_list(st, n->kernel->kver, INITRAMFS_OWNER, NULL, &f, &nf) < 0)
                return false;
        for (size_t i = 0; i < nf; i++)
                if (streq(f[i].path, n->output))
                        ok = modpkg_file_intact(root, &f[i]);
        state_file_list_free(f, nf);
        return ok;
}

/* The builtin generator's /init: beside our binary (a build tree), else installed. */
char *irnode_init_binary(void) {
        _cleanup_free_ char *self = NULL;
        char *slash, *p;

        /* our binary may have been replaced while we run (a rebuild, a package
         * upgrade): the link then ends in " (deleted)"; its directory holds
         * the new one */
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n > 0) {
                buf[n] = 0;
                if (endswith(buf, " (deleted)"))
                        buf[n - strlen(" (deleted)")] = 0;
                self = strdup(buf);
        }
        slash = self ? strrchr(self, '/') : NULL;

        if (slash) {
                *slash = 0;
                p = path_join(self, "distkernel-init");
                if (p && access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        return strdup(LIBEXECDIR "/distkernel/distkernel-init");
}

static char *stat_id(int fd, const char *path) {
        struct stat st = {};
        (void) fs_stat(fd, path, &st);
        return strdup_printf("%s:%lld:%lld.%09ld:%llu", path, (long long) st.st_size, (long long) st.st_mtim.tv_sec,
                             st.st_mtim.tv_nsec, (unsigned long long) st.st_ino);
}

/* The inputs of the node beside its key, one by one, for explaining. */
static int irnode_inputs(struct irnode *n, const struct root *root, const char *init, const char *genconf_dir,
                         const char *genconf) {
        const struct config *c = n->cfg;
        _cleanup_free_ char *mods = c->initramfs_modules ? strv_join(c->initramfs_modules, " ") : strdup("");
        _cleanup_free_ char *settings = NULL, *image = stat_id(root->fd, n->kernel->image);
        _cleanup_free_ char *initid = init ? stat_id(AT_FDCWD, init) : NULL;
        int r;

        settings = mods ? strdup_printf("%s|%s|%s|%s", initramfs_generator_to_string(c->initramfs),
                                        strempty(c->initramfs_compress),
                                        c->initramfs_hostonly ? "hostonly" : "generic", mods) : NULL;
        if (!settings || !image || (init && !initid))
                return -ENOMEM;
        r = inputs_add(&n->inputs, "initramfs-settings", settings, "the initramfs settings in '%s' changed",
                       CONFIG_PATH);
        if (r >= 0)
                r = inputs_add(&n->inputs, "kernel-image", image, "the kernel image '%s' changed", n->kernel->image);
        if (r >= 0 && genconf)
                r = inputs_add(&n->inputs, "generator-config", genconf, "generator config %s changed", genconf_dir);
        if (r >= 0 && init)
                r = inputs_add(&n->inputs, "init", initid, "the builtin initramfs's /init program changed");
        return r;
}

/* Why the node is regenerated: its recorded inputs against the current ones. */
static int irnode_explain(struct irnode *n, struct state *st, const char *old_key, bool intact) {
        _cleanup_(inputs_done) struct inputs old = {};
        _cleanup_free_ char *node = irnode_node_name(n->kernel->kver);
        int r;

        if (!node)
                return -ENOMEM;
        if (n->force)
                return reasons_add(&n->reasons, "rebuild", "regeneration requested");
        if (!old_key)
                return reasons_add(&n->reasons, "not-built", "not generated yet");
        if (!streq(old_key, n->key)) {
                r = inputs_recorded(st, node, &old);
                if (r < 0 && r != -ENOENT)
                        return r;
                r = r >= 0 ? reasons_diff(&n->reasons, &old, &n->inputs) : 0;
                if (r != 0)
                        return r;
                return reasons_add(&n->reasons, "unknown", "its inputs changed");
        }
        if (!intact)
                return reasons_add(&n->reasons, "modified-file", "'%s' was modified or removed", n->output);
        return 0;
}

int irnode_prepare(struct irnode *n, const struct root *root, struct state *st, const struct plan *p) {
        _cleanup_hasher_ struct hasher *h = hasher_new();
        _cleanup_free_ char *old = NULL, *init = NULL;
        const struct config *c = n->cfg;
        char genconf[HASH_HEX_LEN];
        const char *genconf_dir;
        bool intact;
        int r;

        n->output = config_initrd_path(c, n->kernel->kver);
        n->tmp = n->output ? strdup_printf("%s.distkernel-new", n->output) : NULL;
        n->log = strdup_printf(LOG_DIR "/initramfs-%s.log", n->kernel->kver);
        n->modules = calloc(1, sizeof(char *));
        if (!h || !n->output || !n->tmp || !n->log || !n->modules)
                return -ENOMEM;
        hasher_add_str(h, "initramfs-v1");
        hasher_add_str(h, initramfs_generator_to_string(c->initramfs));
        hasher_add_str(h, strempty(c->initramfs_compress));
        hasher_add_str(h, c->initramfs_hostonly ? "hostonly" : "generic");
        STRV_FOREACH(m, c->initramfs_modules)
                hasher_add_str(h, *m);
        hasher_add_str(h, n->kernel->kver);
        add_stat(h, root->fd, n->kernel->image);
        /* dracut's uefi=yes output embeds the command line */
        if (c->initramfs == INITRAMFS_DRACUT && external_dracut_wants_uefi(root)) {
                hasher_add_str(h, strempty(n->cmdline));
                r = inputs_add(&n->inputs, "cmdline", n->cmdline, "the kernel command line changed");
                if (r < 0)
                        return r;
        }
        if (c->initramfs == INITRAMFS_BUILTIN) {
                init = irnode_init_binary();
                if (!init)
                        return -ENOMEM;
                add_stat(h, AT_FDCWD, init);
        }
        /* an external generator reads its own configuration too */
        genconf_dir = generator_config(n, root->fd, st, genconf);
        if (genconf_dir)
                hasher_add_str(h, genconf);
        r = carried_files(n, st, p, h);
        if (r < 0)
                return r;
        strv_sort(n->modules);
        hasher_final(h, n->key);
        old = irnode_recorded_key(st, n->kernel->kver);
        intact = old && irnode_output_intact(n, root, st);
        if (!n->force && old && streq(old, n->key) && intact)
                return 0;
        /* only a node that runs needs its inputs one by one: a no-op sync stays cheap */
        r = irnode_inputs(n, root, init, genconf_dir, genconf_dir ? genconf : NULL);
        if (r >= 0)
                r = irnode_explain(n, st, old, intact);
        return r < 0 ? r : 1;
}

/* The builtin generator: the carried packages' modules are included and
 * loaded at boot; in generic mode the common storage and file system drivers
 * come too (loaded on demand by the init's coldplug), in host-only mode what
 * the running system's root needs. */
static int irnode_generate_builtin(const struct irnode *n, const struct root *root, int log_fd) {
        _cleanup_free_ char *init = irnode_init_binary();
        bool hostonly = n->cfg->initramfs_hostonly && streq(root->path, "/");
        enum initramfs_codec codec = INITRAMFS_CODEC_DEFAULT;
        int level = 0, r;

        if (!init)
                return -ENOMEM;
        if (access(init, X_OK) < 0)
                return log_error_errno(-ENOENT, "'%s': the initramfs init program is missing", init);
        if (n->cfg->initramfs_compress) {
                r = initramfs_compress_parse(n->cfg->initramfs_compress, &codec, &level);
                if (r < 0)
                        return r;
        }
        struct initramfs_request req = {
                .root = root, .kernel = n->kernel, .modules = n->modules,
                .optional_modules = n->cfg->initramfs_modules, .generic = !hostonly, .hostonly = hostonly,
                .load = n->modules, .codec = codec, .level = level, .output = n->tmp, .init_binary = init,
        };
        return initramfs_builtin_generate(&req);
}

static int generate_external(const struct irnode *n, const struct root *root, int log_fd) {
        _cleanup_free_ char *stub = NULL, *dir = path_dirname(n->tmp);
        struct external_request req = {
                .root = root, .kernel = n->kernel, .add_modules = n->modules,
                .hostonly = n->cfg->initramfs_hostonly && streq(root->path, "/"),
                .output = n->tmp, .log_fd = log_fd,
                .generator = n->cfg->initramfs == INITRAMFS_DRACUT ? GENERATOR_DRACUT : GENERATOR_INITRAMFS_TOOLS,
        };
        if (!dir)
                return -ENOMEM;
        /* the generator writes to the host path of its output */
        if (!root_host_path_inside(root, dir))
                return log_error_errno(-ELOOP, "'%s': a symbolic link on the way leads out of the root, refusing "
                                       "to generate the initramfs there", dir);
        if (req.generator == GENERATOR_DRACUT && external_dracut_wants_uefi(root)) {
                stub = external_find_efi_stub(root);
                if (!stub)
                        return log_error_errno(-ENOENT, "'/etc/dracut.conf' (or .d) sets uefi=yes but no EFI stub is "
                                               "installed (package systemd-boot-efi)");
                req.uefi_stub = stub;
                req.uefi_cmdline = n->cmdline;
        }
        return external_generate(&req);
}

int irnode_generate(const struct irnode *n, const struct root *root) {
        _cleanup_close_ int log_fd = -EBADF;
        int r;

        r = fs_mkdir_p(root->fd, LOG_DIR, 0755);
        if (r >= 0)
                r = fs_mkdir_parent(root->fd, n->output, 0755);
        if (r < 0)
                return r;
        log_fd = fs_open(root->fd, n->log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
        (void) fs_unlink(root->fd, n->tmp);
        switch (n->cfg->initramfs) {
        case INITRAMFS_BUILTIN:
                /* we run in a child of our own: our messages go to the log too */
                if (log_fd >= 0)
                        (void) dup2(log_fd, STDERR_FILENO);
                return irnode_generate_builtin(n, root, log_fd);
        case INITRAMFS_DRACUT:
        case INITRAMFS_INITRAMFS_TOOLS:
                return generate_external(n, root, log_fd);
        default:
                return 0;
        }
}

void irnode_abort(struct irnode *n, const struct root *root) {
        if (n->tmp) /* NULL when it never started (a dependency failed) */
                (void) fs_unlink(root->fd, n->tmp);
}

/* After a layout change the kernel's previous initramfs sits elsewhere: remove
 * it (when it is still what we wrote) and its row. */
static int drop_moved(const struct irnode *n, const struct root *root, struct state *st) {
        struct state_file *f = NULL;
        size_t nf = 0;
        int r = state_file_list(st, n->kernel->kver, INITRAMFS_OWNER, NULL, &f, &nf);

        for (size_t i = 0; r >= 0 && i < nf; i++) {
                if (streq(f[i].path, n->output))
                        continue;
                if (modpkg_file_intact(root, &f[i]))
                        (void) fs_unlink(root->fd, f[i].path);
                r = state_file_delete(st, f[i].path);
        }
        state_file_list_free(f, nf);
        return r;
}

int irnode_commit(struct irnode *n, const struct root *root, struct state *st) {
        struct state_file f = { .path = n->output, .kver = n->kernel->kver, .name = INITRAMFS_OWNER,
                                .version = (char *) initramfs_generator_to_string(n->cfg->initramfs) };
        _cleanup_free_ char *mk = meta_key(n->kernel->kver);
        _cleanup_close_ int fd = fs_open(root->fd, n->tmp, O_RDONLY | O_NOFOLLOW, 0);
        struct stat stt;
        int r;

        if (fd < 0 || fstat(fd, &stt) < 0 || stt.st_size == 0)
                return log_error_errno(-EBADMSG, "'%s': the generator wrote no image", n->tmp);
        n->uefi = external_is_pe(root->fd, n->tmp);
        /* an initramfs may hold secrets (keys, host configuration): 0600,
         * whatever the generator's umask was */
        r = fchmod(fd, 0600) < 0 ? -errno : 0;
        if (r >= 0)
                r = hash_fd(fd, f.sha256);
        if (r >= 0 && (fs_fault("fsync") < 0 || fsync(fd) < 0))
                r = -errno;
        if (r >= 0)
                r = fs_rename(root->fd, n->tmp, n->output);
        if (r >= 0) {
                _cleanup_free_ char *dir = path_dirname(n->output);
                r = dir ? fs_fsync_dir(root->fd, dir) : -ENOMEM;
        }
        if (r < 0)
                return log_error_errno(r, "'%s': cannot install: %s", n->output, strerror(-r));
        f.size = stt.st_size;
        f.mtime_ns = timespec_ns(stt.st_mtim);
        f.ino = (int64_t) stt.st_ino;
        r = state_begin(st);
        if (r >= 0)
                r = drop_moved(n, root, st);
        if (r >= 0)
                r = state_file_add(st, &f);
        if (r >= 0)
                r = state_meta_set(st, mk, n->key);
        if (r >= 0) {
                _cleanup_free_ char *node = irnode_node_name(n->kernel->kver);
                r = node ? inputs_record(st, node, &n->inputs) : -ENOMEM;
        }
        if (r < 0) {
                state_rollback(st);
                return r;
        }
        return state_commit(st);
}

char *irnode_log_tail(const struct irnode *n, const struct root *root) {
        _cleanup_free_ char *text = NULL;
        char *end, *start;

        if (!n->log || fs_read_all(root->fd, n->log, 16u << 20, &text, NULL) < 0)
                return NULL;
        end = text + strlen(text);
        while (end > text && (end[-1] == '\n' || end[-1] == ' '))
                *--end = 0;
        start = strrchr(text, '\n');
        return strdup(start ? start + 1 : text);
}
