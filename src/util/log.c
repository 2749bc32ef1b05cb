/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include "util/log.h"

static log_fn_t sink;
static void *sink_userdata;
static enum log_level max_level = LOG_INFO;
static char last_error[4096];
static unsigned n_errors;
static bool muted;

const char *log_last_error(void) { return last_error; }
unsigned log_error_count(void) { return n_errors; }

bool endswith(const char *s, const char *suffix) {
        size_t ls = strlen(s), lx = strlen(suffix);
        return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

void log_set_sink(log_fn_t fn, void *userdata) {
        sink = fn;
        sink_userdata = userdata;
}

void log_set_max_level(enum log_level level) { max_level = level; }

bool log_set_muted(bool m) {
        bool old = muted;
        muted = m;
        return old;
}
enum log_level log_get_max_level(void) { return max_level; }

static void log_va(enum log_level level, const char *fmt, va_list ap) {
        char buf[4096];

        vsnprintf(buf, sizeof buf, fmt, ap);
        if (level == LOG_ERR) {
                snprintf(last_error, sizeof last_error, "%s", buf);
                if (!muted)
                        n_errors++;
        }
        if (!sink || muted || level > max_level)
                return;
        sink(sink_userdata, level, buf);
}

void log_msg(enum log_level level, const char *fmt, ...) {
        va_list ap;
        int saved = errno;

        va_start(ap, fmt);
        log_va(level, fmt, ap);
        va_end(ap);
        errno = saved;
}

int log_error_errno(int r, const char *fmt, ...) {
        va_list ap;
        int saved = errno;

        va_start(ap, fmt);
        log_va(LOG_ERR, fmt, ap);
        va_end(ap);
        errno = saved;
        return r < 0 ? r : -r;
}
