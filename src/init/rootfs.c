/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/log.h"
#include "init/rootfs.h"
#include "util/macro.h"

static int try_mount(const char *dev, const char *type, unsigned long flags, const char *data, struct modload *m) {
        char alias[64];

        if (mount(dev, SYSROOT, type, flags, data) == 0)
                return 0;
        if (errno == ENODEV) {
                /* The kernel does not know this type yet: its module may be here. */
                snprintf(alias, sizeof(alias), "fs-%s", type);
                if (modload_alias(m, alias) && mount(dev, SYSROOT, type, flags, data) == 0)
                        return 0;
                errno = ENODEV;
        }
        if ((errno == EACCES || errno == EROFS) && !(flags & MS_RDONLY)) {
                log_warn("'%s': cannot mount read-write, mounting read-only", dev);
                if (mount(dev, SYSROOT, type, flags | MS_RDONLY, data) == 0)
                        return 0;
        }
        return -errno;
}

/* The block file systems the kernel knows (lines of /proc/filesystems without "nodev"). */
static void kernel_fs_types(char *buf, size_t size) {
        char text[4096];
        _cleanup_close_ int fd = open("/proc/filesystems", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
        size_t used = 0;

        buf[0] = 0;
        if (n <= 0)
                return;
        text[n] = 0;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                if (strncmp(line, "nodev", 5) == 0)
                        continue;
                while (*line == ' ' || *line == '\t')
                        line++;
                if (!*line || used + strlen(line) + 2 > size)
                        continue;
                used += (size_t) snprintf(buf + used, size - used, "%s%s", used ? "," : "", line);
        }
}

int rootfs_mount(const struct init_cmdline *c, const char *dev, const char *detected, struct modload *m,
                 char *ret_type, size_t type_size) {
        unsigned long flags = c->rw ? 0 : MS_RDONLY;
        char data[256], types[512], tried[512] = "";
        int r = -ENODEV;

        if (mount_options_parse(c->rootflags, &flags, data, sizeof(data)) < 0) {
                log_err("rootflags='%s': too long", c->rootflags);
                return -ENAMETOOLONG;
        }
        if (mkdir(SYSROOT, 0755) < 0 && errno != EEXIST) {
                log_err("'%s': cannot create: %m", SYSROOT);
                return -errno;
        }
        if (c->rootfstype[0])
                snprintf(types, sizeof(types), "%s", c->rootfstype);
        else if (strcmp(detected, "ext2") == 0 || strcmp(detected, "ext3") == 0)
                snprintf(types, sizeof(types), "%s,ext4", detected); /* ext4 mounts them too */
        else if (detected[0])
                snprintf(types, sizeof(types), "%s", detected);
        else
                kernel_fs_types(types, sizeof(types));

        for (char *save = NULL, *t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                r = try_mount(dev, t, flags, data, m);
                if (r == 0) {
                        snprintf(ret_type, type_size, "%s", t);
                        return 0;
                }
                log_debug("'%s': mounting as %s failed: %s", dev, t, strerror(-r));
                if (strlen(tried) + strlen(t) + 2 < sizeof(tried))
                        snprintf(tried + strlen(tried), sizeof(tried) - strlen(tried), "%s%s", tried[0] ? "," : "", t);
        }
        log_err("'%s': cannot mount the root file system (tried %s): %s", dev, tried[0] ? tried : "no types",
                strerror(-r));
        return r;
}

/* Is path an executable file in the new root, symlinks resolved inside it? */
static int check_init(int rootfd, const char *path) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
        struct stat st;
        _cleanup_close_ int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

        if (fd < 0 && errno == ENOSYS)
                return 0; /* an old kernel: let execv() tell */
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EISDIR;
        return st.st_mode & 0111 ? 0 : -EACCES;
}

int rootfs_find_init(const struct init_cmdline *c, char *ret, size_t size) {
        static const char *const defaults[] = { "/sbin/init", "/etc/init", "/bin/init", "/bin/sh" };
        _cleanup_close_ int rootfd = open(SYSROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (rootfd < 0)
                return -errno;
        r = check_init(rootfd, c->init);
        if (r == 0 || c->init_given) {
                if (r < 0) {
                        log_err("init='%s': not an executable file in the root file system: %s", c->init, strerror(-r));
                        return r;
                }
                snprintf(ret, size, "%s", c->init);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
                if (check_init(rootfd, defaults[i]) == 0) {
                        log_warn("'%s': not found in the root file system, using '%s'", c->init, defaults[i]);
                        snprintf(ret, size, "%s", defaults[i]);
                        return 0;
                }
        log_err("no init in the root file system (tried '%s', /etc/init, /bin/init, /bin/sh)", c->init);
        return -ENOENT;
}

/* Delete everything below dirfd that is on device dev (rm -rf, one file system). */
static void remove_children(int dirfd, dev_t dev, int depth) {
        int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        struct dirent *de;
        DIR *d;

        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        while ((de = readdir(d))) {
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0 || depth > 64)
                                continue;
                        remove_children(sub, dev, depth + 1);
                        if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0)
                                log_debug("'%s': cannot remove: %m", de->d_name);
                } else if (unlinkat(dirfd, de->d_name, 0) < 0)
                        log_debug("'%s': cannot remove: %m", de->d_name);
        }
        closedir(d);
}

/* Our own device nodes (made when devtmpfs had none) must not reach the real system. */
static void remove_own_nodes(void) {
        DIR *d = opendir("/dev");
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, ".distkernel-", 12) == 0)
                        unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
}

static void move_api_mounts(void) {
        static const char *const mounts[] = { "/dev", "/proc", "/sys", "/run" };

        for (size_t i = 0; i < ELEMENTSOF(mounts); i++) {
                char target[64];
                struct stat st;

                snprintf(target, sizeof(target), SYSROOT "%s", mounts[i]);
                if (stat(target, &st) == 0 && S_ISDIR(st.st_mode) && mount(mounts[i], target, NULL, MS_MOVE, NULL) == 0)
                        continue;
                log_warn("'%s': cannot move to the root file system (%m), unmounting", mounts[i]);
                umount2(mounts[i], MNT_DETACH);
        }
}

int rootfs_switch(void) {
        struct statfs sfs;
        struct stat root_st, new_st;
        bool initramfs;
        _cleanup_close_ int oldroot = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (oldroot < 0 || fstat(oldroot, &root_st) < 0 || stat(SYSROOT, &new_st) < 0) {
                log_err("cannot look at '/' or '%s': %m", SYSROOT);
                return -errno;
        }
        if (root_st.st_dev == new_st.st_dev) {
                log_err("'%s': not a mount point", SYSROOT);
                return -EINVAL;
        }
        initramfs = fstatfs(oldroot, &sfs) == 0 &&
                    ((unsigned long) sfs.f_type == RAMFS_MAGIC || (unsigned long) sfs.f_type == TMPFS_MAGIC);

        remove_own_nodes();
        move_api_mounts();
        if (chdir(SYSROOT) < 0 || mount(SYSROOT, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0) {
                log_err("cannot make '%s' the root: %m", SYSROOT);
                return -errno;
        }
        if (initramfs)
                remove_children(oldroot, root_st.st_dev, 0);
        else
                log_warn("'/': the old root is not a ramfs or tmpfs, leaving its contents alone");
        return 0;
}

bool rootfs_shell(const char *why) {
        pid_t pid;
        int status;

        if (access("/bin/sh", X_OK) < 0)
                return false;
        log_notice("%s: starting /bin/sh; leave it to go on", why);
        pid = fork();
        if (pid < 0) {
                log_err("'/bin/sh': cannot start: %m");
                return false;
        }
        if (pid == 0) {
                setsid();
                ioctl(STDIN_FILENO, TIOCSCTTY, 1);
                setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 0);
                execl("/bin/sh", "sh", (char *) NULL);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return true;
}

void rootfs_emergency(unsigned delay_s) {
        if (rootfs_shell("cannot go on"))
                return;
        log_err("no shell in the initramfs: powering off in %u s", delay_s);
        sleep(delay_s);
        sync();
        reboot(RB_POWER_OFF);
        reboot(RB_HALT_SYSTEM);
        for (;;)
                pause();
}
