/* SPDX-License-Identifier: GPL-2.0-or-later */
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
}

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

static void add_stat(struct hasher *h, int fd, const char *path) {
        struct stat st = {};
        (void) fs_stat(fd, path, &st);
        hasher_add_str(h, path);
        hasher_add(h, &st.st_size, sizeof st.st_size);
        hasher_add(h, &st.st_mtim, sizeof st.st_mtim);
        hasher_add(h, &st.st_ino, sizeof st.st_ino);
}

static int carried_files(struct irnode *n, struct state *st, const struct plan *p, struct hasher *h) {
        struct state_file *f = NULL;
        size_t nf = 0;
        int r = state_file_list(st, n->kernel->kver, NULL, NULL, &f, &nf);
        if (r < 0)
                return r;
        for (size_t i = 0; r >= 0 && i < nf; i++) {
                if (streq(f[i].name, INITRAMFS_OWNER) || !irnode_carries(p, n->cfg, f[i].name))
                        continue;
                hasher_add_str(h, f[i].path);
                hasher_add_str(h, f[i].sha256);
                r = strv_consume(&n->modules, module_name(f[i].path));
        }
        state_file_list_free(f, nf);
        return r;
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

int irnode_prepare(struct irnode *n, const struct root *root, struct state *st, const struct plan *p) {
        _cleanup_hasher_ struct hasher *h = hasher_new();
        _cleanup_free_ char *old = NULL;
        const struct config *c = n->cfg;
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
        if (c->initramfs == INITRAMFS_DRACUT && external_dracut_wants_uefi(root))
                hasher_add_str(h, strempty(n->cmdline));
        if (c->initramfs == INITRAMFS_BUILTIN) {
                _cleanup_free_ char *init = irnode_init_binary();
                if (!init)
                        return -ENOMEM;
                add_stat(h, AT_FDCWD, init);
        }
        r = carried_files(n, st, p, h);
        if (r < 0)
                return r;
        strv_sort(n->modules);
        hasher_final(h, n->key);
        old = irnode_recorded_key(st, n->kernel->kver);
        if (!n->force && old && streq(old, n->key) && irnode_output_intact(n, root, st))
                return 0;
        return 1;
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
                        return log_error_errno(-ENOENT, "dracut.conf asks for uefi=yes but no EFI stub is installed "
                                               "(install systemd-boot-efi)");
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
        if (r < 0) {
                state_rollback(st);
                return r;
        }
        return state_commit(st);
}

char *irnode_log_tail(const struct irnode *n, const struct root *root) {
        _cleanup_free_ char *text = NULL;
        char *end, *start;

        if (fs_read_all(root->fd, n->log, 16u << 20, &text, NULL) < 0)
                return NULL;
        end = text + strlen(text);
        while (end > text && (end[-1] == '\n' || end[-1] == ' '))
                *--end = 0;
        start = strrchr(text, '\n');
        return strdup(start ? start + 1 : text);
}
