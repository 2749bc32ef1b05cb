/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "init/log.h"

#define DEVKMSG_SYSCTL "/proc/sys/kernel/printk_devkmsg"
#define MSG_MAX 960 /* the kernel takes records up to about 1 KiB */

static int kmsg_fd = -1;
static int console_level = 7;
static bool arg_debug, arg_quiet;
static char saved_devkmsg[16];

static void read_small(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

        if (fd >= 0)
                close(fd);
        buf[n > 0 ? n : 0] = 0;
        buf[strcspn(buf, "\n")] = 0;
}

static void write_small(const char *path, const char *s) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return;
        if (write(fd, s, strlen(s)) < 0) {
                /* Locked by printk.devkmsg= on the command line: leave it. */
        }
        close(fd);
}

void log_setup(void) {
        char buf[64];

        if (kmsg_fd < 0)
                kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
        read_small("/proc/sys/kernel/printk", buf, sizeof(buf));
        if (buf[0] >= '0' && buf[0] <= '9')
                console_level = atoi(buf);
        read_small(DEVKMSG_SYSCTL, saved_devkmsg, sizeof(saved_devkmsg));
        if (strcmp(saved_devkmsg, "ratelimit") == 0)
                write_small(DEVKMSG_SYSCTL, "on");
        else
                saved_devkmsg[0] = 0;
}

void log_set_flags(bool debug, bool quiet) {
        arg_debug = debug;
        arg_quiet = quiet;
}

bool log_debug_enabled(void) { return arg_debug; }

void log_finish(void) {
        if (saved_devkmsg[0])
                write_small(DEVKMSG_SYSCTL, saved_devkmsg);
        saved_devkmsg[0] = 0;
        if (kmsg_fd >= 0)
                close(kmsg_fd);
        kmsg_fd = -1;
}

static void write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, s, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return;
                s += k;
                n -= (size_t) k;
        }
}

void log_msg(int level, const char *fmt, ...) {
        char msg[MSG_MAX], rec[MSG_MAX + 32];
        bool echoed = false, to_console;
        va_list ap;
        int n;

        if (level >= LOG_DEBUG && !arg_debug)
                return;
        va_start(ap, fmt);
        n = vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t) n >= sizeof(msg))
                memcpy(msg + sizeof(msg) - 4, "...", 4);

        if (kmsg_fd >= 0 && level < LOG_DEBUG) {
                /* Facility "daemon", so it is not mistaken for the kernel's own. */
                n = snprintf(rec, sizeof(rec), "<%d>" INIT_LOG_PREFIX "%s\n", LOG_DAEMON | level, msg);
                if (n > 0 && write(kmsg_fd, rec, (size_t) n) == n)
                        echoed = level < console_level;
        }
        to_console = level <= LOG_WARNING || (level <= LOG_INFO && !arg_quiet) || arg_debug;
        if (!echoed && to_console) {
                n = snprintf(rec, sizeof(rec), INIT_LOG_PREFIX "%s\n", msg);
                if (n > 0)
                        write_all(STDERR_FILENO, rec, (size_t) n > sizeof(rec) - 1 ? sizeof(rec) - 1 : (size_t) n);
        }
}
