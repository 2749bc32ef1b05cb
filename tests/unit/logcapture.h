/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The library's messages, captured for a unit test program: every message as
 * "LEVEL text" lines in `logs` (logged() searches them), the last error in
 * last_msg (ASSERT_MSG checks it). The sink is installed before the tests run;
 * logs_reset() empties both and lets debug messages through. */

#include <stdio.h>
#include <string.h>
#include "test.h"
#include "util/log.h"
#include "util/strv.h"

static struct strbuf logs = STRBUF_INIT;
static char last_msg[1024];

static void capture(_unused_ void *userdata, enum log_level level, const char *msg) {
        strbuf_printf(&logs, "%d %s\n", (int) level, msg);
        if (level == LOG_ERR)
                snprintf(last_msg, sizeof last_msg, "%s", msg);
}

__attribute__((constructor)) static void logcapture_install(void) {
        log_set_sink(capture, NULL);
}

static inline void logs_reset(void) {
        strbuf_done(&logs);
        last_msg[0] = 0;
        log_set_sink(capture, NULL);
        log_set_max_level(LOG_DEBUG);
}

static inline bool logged(const char *s) { return logs.buf && strstr(logs.buf, s); }

#define ASSERT_MSG(s)                                                                          \
        do {                                                                                   \
                if (!strstr(last_msg, (s)))                                                    \
                        FAIL_AT("message \"%s\" lacks \"%s\"", last_msg, (s));                 \
        } while (0)
