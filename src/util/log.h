/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>
#include "util/macro.h"

/* The library never prints: every message goes to the sink the program installs
 * (the CLI prints, the tests capture). Without a sink, messages are dropped. */
enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

typedef void (*log_fn_t)(void *userdata, enum log_level level, const char *msg);

void log_set_sink(log_fn_t fn, void *userdata);
void log_set_max_level(enum log_level level);
/* While muted, messages reach no sink; errors still set log_last_error(). For
 * a caller that turns the errors of what it calls into data (verify's
 * findings). Returns the previous setting. */
bool log_set_muted(bool muted);
enum log_level log_get_max_level(void);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);
/* Reports an error and returns r (a negative errno), so a caller can write
 * `return log_error_errno(-ENOENT, "'%s': not found", p);`. */
int log_error_errno(int r, const char *fmt, ...) _printf_(2, 3);

/* The text of the last error reported, "" if none (lets a caller attach the cause
 * of a failure to the object it failed for). */
const char *log_last_error(void);
/* How many errors reached the sink (muted ones do not count): a caller that
 * notes it before a call knows afterwards whether the call reported its failure. */
unsigned log_error_count(void);

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
