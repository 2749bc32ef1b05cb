/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "cli/cli.h"
#include "core/sync.h"

/* What a sync shows while it runs, fed by the executor's events
 * (sync_options' begin, progress, ir_progress, tick).
 *
 * On a terminal (stdout a tty, TERM set and not "dumb") a live block at the
 * bottom, redrawn in place at most ten times a second, has one line per
 * running job ("[3/7] v4l2loopback 0.12.7 · 6.1.0-56-amd64 · build · 12s ·
 * the last line of its log") and a counter; finished jobs scroll above it as
 * permanent lines (ok, skipped, FAILED with the log). Colours only there, and
 * never when NO_COLOR is set to a non-empty value.
 *
 * Otherwise (a pipe, a file, a package manager's log) one plain line per
 * event, flushed at once: no escape codes, no timestamps. With --json or
 * --quiet nothing on stdout. Failures go to stderr in every mode. */

struct progress;

struct progress *progress_new(struct cli *c);
/* Clears the live block (the permanent lines stay) and frees. */
struct progress *progress_free(struct progress *pr);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct progress *, progress_free)
#define _cleanup_progress_ _cleanup_(progress_freep)

/* Points o's progress callbacks at pr. */
void progress_attach(struct progress *pr, struct sync_options *o);

/* Erases the live block, if one is drawn, before another message goes to
 * the terminal; the next tick draws it again. Safe to call at any time. */
void progress_interrupt(void);
