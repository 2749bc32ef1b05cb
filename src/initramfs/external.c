/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include "initramfs/external.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

static int bind(const char *src, const char *dst) {
        if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                return log_error_errno(-errno, "'%s': cannot bind-mount it on '%s': %m", src, dst);
        return 0;
}

/* Makes the root's kernel visible at the paths the tools hard-code. */
static int enter_namespace(const struct external_request *req) {
        const char *kver = req->kernel->kver;
        _cleanup_free_ char *mods = root_host_path(req->root, req->kernel->modules_dir);
        _cleanup_free_ char *boot = root_host_path(req->root, "/boot");
        _cleanup_free_ char *fw = root_host_path(req->root, "/usr/lib/firmware");
        _cleanup_free_ char *target = strdup_printf("/usr/lib/modules/%s", kver);
        struct stat st;
        int r;

        if (streq(req->root->path, "/"))
                return 0;
        if (!mods || !boot || !fw || !target)
                return -ENOMEM;
        if (unshare(CLONE_NEWNS) < 0)
                return log_error_errno(-errno, "cannot create a mount namespace: %m");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return log_error_errno(-errno, "cannot make mounts private: %m");
        if (mount("tmpfs", "/usr/lib/modules", "tmpfs", 0, "mode=0755") < 0)
                return log_error_errno(-errno, "'/usr/lib/modules': cannot mount a tmpfs: %m");
        if (mkdir(target, 0755) < 0)
                return log_error_errno(-errno, "'%s': cannot create: %m", target);
        r = bind(mods, target);
        if (r >= 0 && stat(boot, &st) >= 0)
                r = bind(boot, "/boot");
        if (r >= 0 && stat(fw, &st) >= 0 && stat("/usr/lib/firmware", &st) >= 0)
                r = bind(fw, "/usr/lib/firmware");
        return r;
}

static int run(const struct external_request *req, const char *const *argv) {
        struct spawn s = SPAWN_INIT;
        int r;

        s.argv = argv;
        s.fd_out = req->log_fd;
        s.fd_err = -2;
        r = spawn_run(&s);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot run: %s", argv[0], strerror(-r));
        if (r != 0)
                return log_error_errno(-EPROTO, "'%s' exited with status %d", argv[0], r);
        return 0;
}

static int dracut(const struct external_request *req, const char *out) {
        _cleanup_free_ char *drivers = strv_join(req->add_modules, " ");
        _cleanup_free_ char *conf = root_host_path(req->root, "/etc/dracut.conf");
        _cleanup_free_ char *confdir = root_host_path(req->root, "/etc/dracut.conf.d");
        char empty[] = "/tmp/distkernel-dracut-XXXXXX";
        const char *argv[32];
        size_t n = 0;
        struct stat st;
        int r;

        if (!drivers || !conf || !confdir)
                return -ENOMEM;
        /* a root without its own dracut.conf gets none rather than the host's */
        if (stat(conf, &st) < 0)
                strcpy(conf, "/dev/null");
        argv[n++] = "dracut";
        argv[n++] = "--force";
        argv[n++] = req->hostonly ? "--hostonly" : "--no-hostonly";
        argv[n++] = "--kver";
        argv[n++] = req->kernel->kver;
        argv[n++] = "--conf";
        argv[n++] = conf;
        if (stat(confdir, &st) >= 0) {
                argv[n++] = "--confdir";
                argv[n++] = confdir;
        } else if (!streq(req->root->path, "/") && mkdtemp(empty)) {
                argv[n++] = "--confdir"; /* an empty one rather than the host's */
                argv[n++] = empty;
        }
        if (*drivers) {
                argv[n++] = "--force-drivers"; /* included and loaded early, like --add-drivers + load */
                argv[n++] = drivers;
        }
        if (req->uefi_stub) {
                argv[n++] = "--uefi-stub";
                argv[n++] = req->uefi_stub;
                if (req->uefi_cmdline) {
                        /* the root's command line, not the host's /etc/kernel/cmdline */
                        argv[n++] = "--kernel-cmdline";
                        argv[n++] = req->uefi_cmdline;
                }
        }
        argv[n++] = out;
        argv[n] = NULL;
        r = run(req, argv);
        (void) rmdir(empty);
        return r;
}

/* initramfs-tools takes extra modules from CONFDIR/modules: a copy of the
 * root's (or the host's) configuration directory with them appended. */
static int mkinitramfs(const struct external_request *req, const char *out) {
        char tmp[] = "/tmp/distkernel-itools-XXXXXX";
        _cleanup_free_ char *src = root_host_path(req->root, "/etc/initramfs-tools");
        _cleanup_free_ char *modules = NULL;
        struct stat st;
        FILE *f;
        int r;

        if (!src || !mkdtemp(tmp))
                return -ENOMEM;
        if (stat(src, &st) < 0)
                src = mfree(src);
        r = run(req, (const char *const[]) { "cp", "-a", "--", src ? src : "/etc/initramfs-tools", tmp, NULL });
        modules = strdup_printf("%s/initramfs-tools/modules", tmp);
        if (r >= 0 && modules && (f = fopen(modules, "ae"))) {
                STRV_FOREACH(m, req->add_modules)
                        fprintf(f, "%s\n", *m);
                r = fclose(f) == 0 ? 0 : -errno;
        }
        if (r >= 0) {
                _cleanup_free_ char *confdir = strdup_printf("%s/initramfs-tools", tmp);
                r = run(req, (const char *const[]) { "mkinitramfs", "-d", confdir, "-o", out, req->kernel->kver, NULL });
        }
        (void) run(req, (const char *const[]) { "rm", "-rf", "--", tmp, NULL });
        return r;
}

int external_generate(const struct external_request *req) {
        _cleanup_free_ char *out = root_host_path(req->root, req->output);
        int r;

        if (!out)
                return -ENOMEM;
        r = enter_namespace(req);
        if (r < 0)
                return r;
        return req->generator == GENERATOR_DRACUT ? dracut(req, out) : mkinitramfs(req, out);
}

static bool conf_says_uefi(const struct root *root, const char *path) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        bool uefi = false;

        if (fs_read_all(root->fd, path, 1u << 20, &text, NULL) < 0 || strv_split(text, "\n", &lines) < 0)
                return false;
        STRV_FOREACH(l, lines) {
                const char *v = *l + strspn(*l, " \t");
                if ((v = startswith(v, "uefi")) && (v = v + strspn(v, " \t")) && *v == '=') {
                        v++;
                        v += strspn(v, " \t\"'");
                        uefi = startswith(v, "yes") != NULL;
                }
        }
        return uefi;
}

bool external_dracut_wants_uefi(const struct root *root) {
        _cleanup_close_ int fd = fs_open_dir(root->fd, "/etc/dracut.conf.d");
        _cleanup_strv_free_ char **names = NULL;
        bool uefi = conf_says_uefi(root, "/etc/dracut.conf");
        DIR *d;
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(TAKE_FD(fd))))
                return uefi;
        while ((de = readdir(d)))
                if (endswith(de->d_name, ".conf"))
                        (void) strv_push(&names, de->d_name);
        closedir(d);
        strv_sort(names);
        STRV_FOREACH(n, names) {
                _cleanup_free_ char *p = strdup_printf("/etc/dracut.conf.d/%s", *n);
                if (p && conf_says_uefi(root, p))
                        uefi = true;
        }
        return uefi;
}

bool external_is_pe(int rootfd, const char *path) {
        _cleanup_close_ int fd = fs_open(rootfd, path, O_RDONLY, 0);
        char magic[2];
        return fd >= 0 && read(fd, magic, 2) == 2 && magic[0] == 'M' && magic[1] == 'Z';
}

char *external_find_efi_stub(const struct root *root) {
        struct utsname u;
        const char *arch = uname(&u) >= 0 && streq(u.machine, "aarch64") ? "aa64" :
                           streq(u.machine, "i686") ? "ia32" : "x64";
        _cleanup_free_ char *p = strdup_printf("/usr/lib/systemd/boot/efi/linux%s.efi.stub", arch);
        struct stat st;

        if (p && fs_stat(root->fd, p, &st) >= 0)
                return root_host_path(root, p);
        if (p && stat(p, &st) >= 0)
                return TAKE_PTR(p);
        return NULL;
}
