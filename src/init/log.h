/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Messages of the initramfs's /init. Each one goes to the kernel log
 * (/dev/kmsg, so it stays in dmesg and the journal) and appears on the
 * console exactly once: the kernel echoes what is below its console log
 * level, the rest is written to the console (our stderr) directly when it
 * matters (warnings and errors; notices and info unless "quiet"; everything
 * with rd.debug). Debug messages skip the kernel log. Prefix:
 * "distkernel-init: ". */
#include <stdbool.h>
#include <syslog.h>

#define INIT_LOG_PREFIX "distkernel-init: "

/* Open /dev/kmsg and learn the console log level; lift the kernel's rate
 * limit for our writes to /dev/kmsg (restored by log_finish()). Call once
 * /proc and /dev are mounted; until then messages go to the console only. */
void log_setup(void);
void log_set_flags(bool debug, bool quiet);
/* Restore the rate limit and close /dev/kmsg, before handing over to the
 * real init. */
void log_finish(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

bool log_debug_enabled(void);
