/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "boot/env.h"
#include "uki/uki.h"
#include "util/log.h"
#include "util/strv.h"

#ifndef MSDOS_SUPER_MAGIC
#define MSDOS_SUPER_MAGIC 0x4d44
#endif

void boot_env_done(struct boot_env *e) {
        free(e->esp);
        free(e->boot);
        free(e->token);
        free(e->cmdline);
        free(e->os_release);
        free(e->os_release_path);
        free(e->pretty_name);
        free(e->sort_key);
        free(e->machine_id);
        free(e->stub);
        sign_key_free(e->sbkey);
        *e = (struct boot_env) {};
}

char *boot_legacy_kernel_path(const char *kver) { return strdup_printf("/boot/vmlinuz-%s", kver); }

static bool is_root(const struct root *root) { return streq(root->path, "/"); }

/* A FAT file system mounted at path (the real root only). */
static bool is_fat_mount(const struct root *root, const char *path) {
        _cleanup_close_ int fd = fs_open_dir(root->fd, path);
        _cleanup_close_ int pfd = -EBADF;
        _cleanup_free_ char *parent = NULL;
        struct statfs sfs;
        struct stat st, pst;

        if (fd < 0 || fstatfs(fd, &sfs) < 0 || sfs.f_type != MSDOS_SUPER_MAGIC)
                return false;
        parent = strdup_printf("%s/..", path);
        pfd = parent ? fs_open_dir(root->fd, parent) : -ENOMEM;
        return pfd >= 0 && fstat(fd, &st) >= 0 && fstat(pfd, &pst) >= 0 && st.st_dev != pst.st_dev;
}

static bool is_dir(const struct root *root, const char *path) {
        struct stat st;
        return fs_stat(root->fd, path, &st) >= 0 && S_ISDIR(st.st_mode);
}

static bool is_esp(const struct root *root, const char *path) {
        _cleanup_free_ char *efi = path_join(path, "EFI");
        if (is_root(root))
                return is_fat_mount(root, path);
        return efi && is_dir(root, efi);
}

/* A configured directory must exist. */
static int configured_dir(const struct root *root, const char *key, const char *path, char **ret) {
        if (!is_dir(root, path))
                return log_error_errno(-ENOENT, "'%s': %s '%s' is not a directory", CONFIG_PATH, key, path);
        *ret = strdup(path);
        return *ret ? 0 : -ENOMEM;
}

static int find_esp_and_boot(const struct root *root, const struct config *cfg, struct boot_env *e) {
        static const char *const candidates[] = { "/efi", "/boot", "/boot/efi" };
        int r;

        if (cfg->esp) {
                r = configured_dir(root, "esp", cfg->esp, &e->esp);
                if (r < 0)
                        return r;
        } else
                for (size_t i = 0; i < ELEMENTSOF(candidates) && !e->esp; i++)
                        if (is_esp(root, candidates[i]) && !(e->esp = strdup(candidates[i])))
                                return -ENOMEM;
        if (cfg->boot)
                return configured_dir(root, "boot", cfg->boot, &e->boot);
        /* XBOOTLDR: /boot when it is not the ESP and looks like one */
        if (!streq_ptr(e->esp, "/boot") &&
            (is_root(root) ? is_fat_mount(root, "/boot") : is_dir(root, "/boot/loader/entries")))
                e->boot = strdup("/boot");
        else if (e->esp)
                e->boot = strdup(e->esp);
        return e->boot || !e->esp ? 0 : -ENOMEM;
}

/* The value of KEY=VALUE in an os-release style text, unquoted; NULL if absent. */
static char *env_file_get(const char *text, const char *key) {
        size_t kl = strlen(key);
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *e = strchr(l, '\n');
                size_t len = e ? (size_t) (e - l) : strlen(l);
                if (len > kl && strncmp(l, key, kl) == 0 && l[kl] == '=') {
                        const char *v = l + kl + 1;
                        size_t vl = len - kl - 1;
                        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
                                v++;
                                vl -= 2;
                        }
                        return strndup(v, vl);
                }
        }
        return NULL;
}

static int load_os_release(const struct root *root, struct boot_env *e) {
        static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };
        for (size_t i = 0; i < ELEMENTSOF(paths) && !e->os_release; i++)
                if (fs_read_all(root->fd, paths[i], 1u << 16, &e->os_release, NULL) >= 0 &&
                    !(e->os_release_path = strdup(paths[i])))
                        return -ENOMEM;
        if (e->os_release) {
                e->pretty_name = env_file_get(e->os_release, "PRETTY_NAME");
                if (!e->pretty_name)
                        e->pretty_name = env_file_get(e->os_release, "NAME");
                e->sort_key = env_file_get(e->os_release, "IMAGE_ID");
                if (!e->sort_key)
                        e->sort_key = env_file_get(e->os_release, "ID");
        }
        if (!e->pretty_name)
                e->pretty_name = strdup("Linux");
        if (!e->sort_key)
                e->sort_key = strdup("linux");
        return e->pretty_name && e->sort_key ? 0 : -ENOMEM;
}

/* The first line of a small file, trimmed; NULL when absent or empty. */
static char *first_line(const struct root *root, const char *path) {
        _cleanup_free_ char *text = NULL;
        char *s, *end;

        if (fs_read_all(root->fd, path, 4096, &text, NULL) < 0)
                return NULL;
        s = text + strspn(text, " \t\n");
        end = s + strcspn(s, "\n");
        while (end > s && isspace((unsigned char) end[-1]))
                end--;
        return end > s ? strndup(s, (size_t) (end - s)) : NULL;
}

bool boot_token_valid(const char *t) {
        if (!t || !*t || strlen(t) > 64 || streq(t, ".") || streq(t, ".."))
                return false;
        for (const char *p = t; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("-_.", *p))
                        return false;
        return true;
}

static int load_token(const struct root *root, struct boot_env *e) {
        char *t;

        e->machine_id = first_line(root, "/etc/machine-id");
        if (e->machine_id && (strlen(e->machine_id) != 32 || streq(e->machine_id, "uninitialized")))
                e->machine_id = mfree(e->machine_id);
        t = first_line(root, "/etc/kernel/entry-token");
        if (t && !boot_token_valid(t)) {
                log_warning("'/etc/kernel/entry-token': '%s' is not a valid entry token, ignoring", t);
                t = mfree(t);
        }
        if (!t && e->machine_id)
                t = strdup(e->machine_id);
        if (!t && e->os_release && (t = env_file_get(e->os_release, "ID")) && !boot_token_valid(t))
                t = mfree(t);
        if (!t)
                t = strdup("linux");
        e->token = t;
        return t ? 0 : -ENOMEM;
}

int boot_cmdline_from_text(const char *path, const char *text, size_t len, bool from_proc, char **ret) {
        _cleanup_strv_free_ char **words = NULL, **kept = NULL;
        char *joined;
        int r;

        if (strlen(text) != len)
                return log_error_errno(-EBADMSG, "'%s': contains a NUL byte", path);
        r = strv_split(text, BOOT_CMDLINE_BLANKS, &words);
        if (r < 0)
                return r;
        STRV_FOREACH(w, words)
                if ((!from_proc || (strncmp(*w, "BOOT_IMAGE=", 11) != 0 && strncmp(*w, "initrd=", 7) != 0)) &&
                    (r = strv_push(&kept, *w)) < 0)
                        return r;
        joined = kept ? strv_join(kept, " ") : strdup("");
        if (!joined)
                return -ENOMEM;
        *ret = joined;
        return 0;
}

/* cmdline = ..., else /etc/kernel/cmdline (lines joined), else on the real
 * root the running kernel's, without what the boot loader added. */
static int load_cmdline(const struct root *root, const struct config *cfg, struct boot_env *e) {
        _cleanup_free_ char *text = NULL;
        const char *path = "/etc/kernel/cmdline";
        size_t len = 0;
        bool from_proc = false;
        int r;

        if (cfg->cmdline)
                return (e->cmdline = strdup(cfg->cmdline)) ? 0 : -ENOMEM;
        r = fs_read_all(root->fd, path, 1u << 16, &text, &len);
        if (r == -ENOENT && is_root(root)) {
                path = "/proc/cmdline";
                r = fs_read_all(AT_FDCWD, path, 1u << 16, &text, &len);
                from_proc = true;
        }
        if (r == -ENOENT) {
                log_warning("'/etc/kernel/cmdline': missing, and no 'cmdline =' in '%s': using an empty command line",
                            CONFIG_PATH);
                return (e->cmdline = strdup("")) ? 0 : -ENOMEM;
        }
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read: %s", path, strerror(-r));
        return boot_cmdline_from_text(path, text, len, from_proc, &e->cmdline);
}

static int read_install_conf_layout(const struct root *root, enum boot_layout *ret) {
        _cleanup_free_ char *text = NULL, *v = NULL;

        if (fs_read_all(root->fd, "/etc/kernel/install.conf", 1u << 16, &text, NULL) < 0)
                return 0;
        v = env_file_get(text, "layout");
        if (!v)
                return 0;
        *ret = streq(v, "uki") ? LAYOUT_UKI : streq(v, "bls") ? LAYOUT_BLS : LAYOUT_LEGACY;
        return 1;
}

static int find_stub(const struct root *root, const struct config *cfg, struct boot_env *e) {
        _cleanup_free_ char *in_root = NULL, *rel = NULL;
        const char *arch = uki_native_arch();

        if (cfg->uki_stub)
                return (e->stub = strdup(cfg->uki_stub)) ? 0 : -ENOMEM;
        /* the root's own stub first (a sandbox may carry its own), then the host's */
        rel = arch ? strdup_printf("/usr/lib/systemd/boot/efi/linux%s.efi.stub", arch) : NULL;
        if (!is_root(root) && rel && fs_exists(root->fd, rel) && uki_find_stub(root->path, NULL, &in_root) >= 0) {
                e->stub = TAKE_PTR(in_root);
                return 0;
        }
        return 0;
}

static int resolve_layout(const struct root *root, const struct config *cfg, struct boot_env *e) {
        enum boot_layout l = cfg->layout;
        _cleanup_free_ char *linux_dir = NULL, *entries = NULL;

        if (l == LAYOUT_AUTO && read_install_conf_layout(root, &l) == 0) {
                linux_dir = e->boot ? path_join(e->boot, "EFI/Linux") : NULL;
                entries = e->boot ? path_join(e->boot, "loader/entries") : NULL;
                if (linux_dir && is_dir(root, linux_dir))
                        l = LAYOUT_UKI;
                else if (entries && is_dir(root, entries))
                        l = LAYOUT_BLS;
                else
                        l = LAYOUT_LEGACY;
        }
        e->layout = l;
        if ((l == LAYOUT_UKI || l == LAYOUT_BLS) && !e->boot)
                return log_error_errno(-ENOENT, "'%s': layout %s needs an EFI System Partition, none is at /efi, "
                                       "/boot or /boot/efi; set 'esp = PATH'", CONFIG_PATH, boot_layout_to_string(l));
        return 0;
}

int boot_env_load(const struct root *root, const struct config *cfg, struct boot_env *ret) {
        struct boot_env e = {};
        int r;

        r = find_esp_and_boot(root, cfg, &e);
        if (r >= 0)
                r = load_os_release(root, &e);
        if (r >= 0)
                r = load_token(root, &e);
        if (r >= 0)
                r = load_cmdline(root, cfg, &e);
        if (r >= 0)
                r = find_stub(root, cfg, &e);
        if (r >= 0)
                r = resolve_layout(root, cfg, &e);
        if (r >= 0 && cfg->kernel_install && e.layout != LAYOUT_BLS)
                r = log_error_errno(-EINVAL, "'%s': kernel-install = yes needs layout = bls (the layout is %s; "
                                    "Debian 12's kernel-install 252 has no uki layout)", CONFIG_PATH,
                                    boot_layout_to_string(e.layout));
        if (r >= 0 && cfg->kernel_install && cfg->secureboot_key)
                r = log_error_errno(-EINVAL, "'%s': kernel-install = yes cannot sign the kernel for Secure Boot; "
                                    "use distkernel's own bls layout (kernel-install = no)", CONFIG_PATH);
        if (r >= 0 && e.layout == LAYOUT_UKI && !e.stub)
                r = uki_find_stub(NULL, NULL, &e.stub);
        if (r >= 0 && (cfg->secureboot_key || cfg->secureboot_cert)) {
                if (!cfg->secureboot_key || !cfg->secureboot_cert)
                        r = log_error_errno(-EINVAL, "'%s': secureboot-key and secureboot-cert go together",
                                            CONFIG_PATH);
                else
                        r = sign_key_load(root->fd, cfg->secureboot_key, cfg->secureboot_cert, &e.sbkey);
                if (r >= 0)
                        r = sign_key_fingerprint(e.sbkey, e.sb_fingerprint);
        }
        if (r < 0) {
                boot_env_done(&e);
                return r;
        }
        *ret = e;
        return 0;
}
