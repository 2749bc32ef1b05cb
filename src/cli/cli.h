/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdio.h>
#include "util/fs.h"

/* Exit statuses (documented in distkernel(8)). */
enum {
        EXIT_OK = 0,
        EXIT_FAIL = 1,    /* an operation failed, or some pair failed to build */
        EXIT_USAGE = 2,   /* bad command line */
        EXIT_LOCKED = 3,  /* --no-wait and another distkernel holds the lock */
};

struct cli {
        struct root root;
        unsigned jobs;
        bool json;
        int verbosity;  /* -1 quiet, 0 normal, 1 verbose */
        bool no_wait;
};

/* Each command: argv[0] is the command name; returns an exit status. */
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_sync(struct cli *c, int argc, char **argv);
int cmd_kernel(struct cli *c, int argc, char **argv);
int cmd_module(struct cli *c, int argc, char **argv);
int cmd_initramfs(struct cli *c, int argc, char **argv);
int cmd_uki(struct cli *c, int argc, char **argv);
int cmd_gc(struct cli *c, int argc, char **argv);
int cmd_installkernel(struct cli *c, int argc, char **argv);
/* A full sync, as `distkernel sync` (for commands that end in one). */
int cli_sync_all(struct cli *c);
int cmd_verify(struct cli *c, int argc, char **argv);
int cmd_graph(struct cli *c, int argc, char **argv);
int cmd_doctor(struct cli *c, int argc, char **argv);
/* Hidden: words for shell completion (commands, kernels, packages). */
int cmd_complete(struct cli *c, int argc, char **argv);

/* With --json, errors reported through cli_error(), cli_usage() and the log
 * sink are kept; cli_errors_finish() prints them as a document
 * {"ok":false,"exit_status":N,"errors":[...]} when the command printed none,
 * and returns status. */
void cli_errors_record(bool on);
void cli_errors_add(const char *msg, const char *hint);
int cli_errors_finish(const struct cli *c, int status);

/* Output helpers */
void cli_log_sink(void *userdata, int level, const char *msg);
int cli_error(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A library call failed with r: returns status, and reports "WHAT: strerror"
 * only when the call reported nothing itself since mark (log_error_count()
 * taken before the call), so that no error is printed twice. */
int cli_failed(int status, unsigned mark, const char *what, int r);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Flushes stdout and reports a write error (ENOSPC, EPIPE) as a failure. */
int cli_close_stdout(int status);
/* Takes the root's lock honouring --no-wait; returns the fd or an exit status < 0
 * as -EXIT_LOCKED / -EXIT_FAIL. */
int cli_lock(struct cli *c);
/* Opens the state for writing; reports errors. */
struct state;
int cli_state_open(struct cli *c, bool readonly, struct state **ret);
/* A table: rows of cells, printed with aligned columns. */
void cli_print_table(FILE *f, char ***rows, size_t n_rows, size_t n_cols);
struct plan;
struct config;
void status_print_table(struct cli *c, struct state *st, const struct plan *p, const struct config *cfg);

/* The boot stage's output (cmd-boot.c). */
struct boot_report;
struct boot_env;
struct json;
void boot_report_text(struct cli *c, const struct boot_report *rep);
struct reasons;
/* "reasons": [{"input", "text"}]: why a node ran (empty array when none). */
void cli_reasons_json(struct json *j, const struct reasons *r);
void boot_report_json(struct json *j, const struct boot_report *rep, const struct boot_env *env);
/* Runs bootloader-hook after a change; returns 0 or an exit status. */
int boot_run_hook(struct cli *c, const struct config *cfg, const struct boot_env *env, const struct boot_report *rep);
