/* SPDX-License-Identifier: GPL-2.0-or-later */
/* distkernel-init: the /init of distkernel's initramfs. Mounts the API file
 * systems, loads the initramfs's modules, waits for the root device named
 * on the kernel command line, mounts it and hands over to its init. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "init/cmdline.h"
#include "init/devices.h"
#include "init/log.h"
#include "init/modules.h"
#include "init/rootfs.h"

#ifndef DISTKERNEL_VERSION
#define DISTKERNEL_VERSION "unknown"
#endif

#define EMERGENCY_DELAY_S 10
#define MAX_INIT_ARGS 64

static char cmdline_text[4096];
static struct init_cmdline arg;
static struct blockdevs devs;

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static void mount_api(const char *what, const char *where, const char *type, unsigned long flags, const char *data) {
        if (mkdir(where, 0755) < 0 && errno != EEXIST)
                log_err("'%s': cannot create: %m", where);
        if (mount(what, where, type, flags, data) < 0 && errno != EBUSY)
                log_err("'%s': cannot mount %s: %m", where, type);
}

/* The kernel gives init the console as fds 0-2 if the initramfs has
 * /dev/console; if it had none, take it from devtmpfs now. */
static void setup_console(void) {
        int fd;

        if (fcntl(STDIN_FILENO, F_GETFD) >= 0 && fcntl(STDOUT_FILENO, F_GETFD) >= 0 && fcntl(STDERR_FILENO, F_GETFD) >= 0)
                return;
        fd = open("/dev/console", O_RDWR | O_NOCTTY);
        if (fd < 0)
                return;
        for (int i = 0; i < 3; i++)
                if (fcntl(i, F_GETFD) < 0)
                        dup2(fd, i);
        if (fd > 2)
                close(fd);
}

static void read_cmdline(void) {
        int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, cmdline_text, sizeof(cmdline_text) - 1) : -1;

        if (fd >= 0)
                close(fd);
        if (n < 0) {
                log_err("'/proc/cmdline': cannot read: %m");
                n = 0;
        }
        cmdline_text[n] = 0;
        cmdline_parse(cmdline_text, &arg);
        log_set_flags(arg.debug, arg.quiet);
        if (arg.problem[0])
                log_warn("kernel command line: %s", arg.problem);
}

static const char *why_not_found(void) {
        static char buf[128];

        switch (arg.root.kind) {
        case ROOT_UUID:
                return "no block device with that UUID";
        case ROOT_LABEL:
                return "no block device with that label";
        case ROOT_PARTUUID:
                return "no partition with that PARTUUID";
        case ROOT_PARTLABEL:
                return "no GPT partition with that name";
        case ROOT_DEVNUM:
                snprintf(buf, sizeof(buf), "no block device %u:%u", arg.root.major, arg.root.minor);
                return buf;
        default:
                snprintf(buf, sizeof(buf), "'%.100s' did not appear", arg.root.value);
                return buf;
        }
}

static void report_timeout(struct modload *m, double waited) {
        char found[720];
        unsigned loaded, failed;

        blockdevs_describe(&devs, found, sizeof(found));
        modload_counts(m, &loaded, &failed);
        log_err("waited %.0f s for %s (%s; found: %s)", waited, arg.root_arg, why_not_found(), found);
        if (failed > 0)
                log_err("%u modules failed to load (%u loaded); see the messages above", failed, loaded);
}

/* Wait for the root device; fills dev_path and the detected type. */
static bool wait_for_root(struct modload *m, double start, char *dev_path, size_t size, char *fstype, size_t fs_size) {
        double deadline = start + arg.timeout_s, told = 0;
        unsigned dupes, pass = 0;

        for (;; pass++) {
                const struct blockdev *d;
                double t;

                modload_coldplug(m);
                blockdevs_scan(&devs);
                d = blockdevs_find(&devs, &arg.root, &dupes);
                if (d) {
                        if (dupes > 0)
                                log_warn("'%s' matches %u more block devices, using '%s'", arg.root_arg, dupes, d->name);
                        if (arg.root.kind == ROOT_PATH)
                                snprintf(dev_path, size, "%s", arg.root.value);
                        else if (blockdev_node(d, dev_path, size) < 0) {
                                log_err("'%s': no device node for it: %m", d->name);
                                return false;
                        }
                        snprintf(fstype, fs_size, "%s", d->fs.type);
                        return true;
                }
                t = now_s();
                if (arg.timeout_s > 0 && t >= deadline) {
                        report_timeout(m, t - start);
                        return false;
                }
                if (t - start >= 5 && t - told >= 10) {
                        log_notice("waiting for %s%s", arg.root_arg, arg.timeout_s ? "" : " (no time limit)");
                        told = t;
                }
                /* Quick passes while drivers come up, then calmer ones. */
                sleep_ms(pass < 20 ? 50 : 200);
        }
}

static void exec_init(const char *init, int argc, char **argv) {
        char *args[MAX_INIT_ARGS + 2];
        int n = 0;

        args[n++] = (char *) init;
        for (int i = 1; i < argc && n < MAX_INIT_ARGS; i++)
                args[n++] = argv[i];
        args[n] = NULL;
        execv(init, args);
        log_err("'%s': cannot execute: %m", init);
}

static void setup(void) {
        mount_api("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        mount_api("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        mount_api("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_STRICTATIME, "mode=0755");
        mount_api("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=0755,size=10%");
        setup_console();
        log_setup();
        setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 0);
}

int main(int argc, char **argv) {
        char dev_path[256], detected[16], fstype[64], init[256];
        struct modload *m;
        struct utsname u;
        unsigned loaded, failed;
        double start = now_s(), mounted;

        if (getpid() != 1) {
                if (argc > 1 && strcmp(argv[1], "--version") == 0) {
                        printf("distkernel-init %s\n", DISTKERNEL_VERSION);
                        return 0;
                }
                fprintf(stderr, INIT_LOG_PREFIX "the initramfs's /init: runs as PID 1 only\n");
                return 1;
        }
        umask(022);
        setup();
        read_cmdline();
        uname(&u);
        log_info("distkernel-init %s on Linux %s", DISTKERNEL_VERSION, u.release);

        m = modload_new(u.release, cmdline_text, arg.blacklist);
        modload_load_list(m);

        if (arg.brk == BREAK_PRE_MOUNT && !rootfs_shell("rd.break=pre-mount"))
                log_notice("rd.break: no /bin/sh in the initramfs, going on");
        for (;;) {
                if (arg.root.kind == ROOT_NONE)
                        log_err("no 'root=' on the kernel command line%s", arg.problem[0] ? " (see above)" : "");
                else if (wait_for_root(m, start, dev_path, sizeof(dev_path), detected, sizeof(detected)) &&
                         rootfs_mount(&arg, dev_path, detected, m, fstype, sizeof(fstype)) == 0) {
                        if (rootfs_find_init(&arg, init, sizeof(init)) == 0)
                                break;
                        umount2(SYSROOT, MNT_DETACH);
                }
                rootfs_emergency(EMERGENCY_DELAY_S);
                /* The shell was left: look again. */
                start = now_s();
        }
        mounted = now_s();
        if (arg.brk == BREAK_PRE_PIVOT && !rootfs_shell("rd.break"))
                log_notice("rd.break: no /bin/sh in the initramfs, going on");

        modload_counts(m, &loaded, &failed);
        log_notice("root %s (%s%s) mounted after %.1f s, switching to %s (%u modules loaded%s)", dev_path, fstype,
                   arg.rw ? ", rw" : "", mounted - start, init, loaded, failed ? ", some failed" : "");
        modload_free(m);
        if (rootfs_switch() == 0) {
                log_finish();
                exec_init(init, argc, argv);
        }
        log_finish();
        log_err("cannot hand over to the root file system");
        rootfs_emergency(EMERGENCY_DELAY_S);
        return 1;
}
