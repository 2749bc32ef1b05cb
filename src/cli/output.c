/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/progress.h"
#include "core/lock.h"
#include "core/state.h"
#include "util/log.h"

void cli_log_sink(void *userdata, int level, const char *msg) {
        progress_interrupt();
        fflush(stdout);
        if (level == LOG_ERR)
                cli_errors_add(msg, NULL);
        if (level <= LOG_WARN)
                fprintf(stderr, "distkernel: %s\n", msg);
        else
                fprintf(stderr, "%s\n", msg);
}

int cli_error(int r, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        progress_interrupt();
        fflush(stdout);
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        fprintf(stderr, "distkernel: %s", strempty(msg));
        cli_errors_add(strempty(msg), NULL);
        fputc('\n', stderr);
        return r;
}

int cli_failed(int status, unsigned mark, const char *what, int r) {
        if (log_error_count() != mark)
                return status; /* the library said what failed, once */
        return cli_error(status, "%s: %s", what, strerror(r < 0 ? -r : EIO));
}

int cli_usage(const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        fflush(stdout);
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        fprintf(stderr, "distkernel: %s", strempty(msg));
        cli_errors_add(strempty(msg), "distkernel --help");
        fputs("\nTry 'distkernel --help'.\n", stderr);
        return EXIT_USAGE;
}

int cli_close_stdout(int status) {
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "distkernel: writing to standard output: %s\n", strerror(errno));
                return status ? status : EXIT_FAIL;
        }
        return status;
}

int cli_lock(struct cli *c) {
        bool waited = false;
        int fd = lock_take(&c->root, c->no_wait ? LOCK_NO_WAIT : 0, &waited);
        if (fd == -EAGAIN) {
                cli_error(0, "another distkernel is working on '%s'; not waiting (--no-wait)", c->root.path);
                return -EXIT_LOCKED;
        }
        if (fd < 0)
                return -EXIT_FAIL;
        if (waited && c->verbosity >= 0)
                fprintf(stderr, "distkernel: waited for another distkernel to finish\n");
        return fd;
}

int cli_state_open(struct cli *c, bool readonly, struct state **ret) {
        unsigned mark = log_error_count();
        int r = state_open(&c->root, readonly ? STATE_READONLY : 0, ret);
        if (r == -ENOENT && readonly) {
                *ret = NULL;
                return 0;
        }
        if (r < 0 && log_error_count() == mark)
                cli_error(0, "'%s%s': cannot open the state: %s", c->root.path, STATE_DB, strerror(-r));
        return r;
}

void cli_print_table(FILE *f, char ***rows, size_t n_rows, size_t n_cols) {
        size_t w[64] = {};
        for (size_t i = 0; i < n_rows; i++)
                for (size_t j = 0; j < n_cols && j < 64; j++)
                        if (rows[i][j] && strlen(rows[i][j]) > w[j])
                                w[j] = strlen(rows[i][j]);
        for (size_t i = 0; i < n_rows; i++) {
                for (size_t j = 0; j < n_cols && j < 64; j++)
                        fprintf(f, "%-*s%s", j + 1 < n_cols ? (int) w[j] : 0, rows[i][j] ? rows[i][j] : "-",
                                j + 1 < n_cols ? "  " : "");
                fputc('\n', f);
        }
}
