/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/config.h"
#include "core/irnode.h"
#include "core/plan.h"

/* sync: bring every (package, kernel) pair up to date. The caller holds the
 * lock. Builds run in parallel (-j), each successful build is installed as soon
 * as it finishes, depmod runs once per kernel after its last install. A failed
 * pair blocks only what depends on it; the modules of a previously installed
 * version stay until a new build succeeds. */
struct sync_options {
        const char *kernel;  /* only this kernel, or NULL */
        unsigned jobs;       /* 0: number of CPUs + 1 */
        bool rebuild;        /* rebuild everything, retry failed pairs */
        bool force;          /* skip the version sanity check */
        bool dry_run;        /* plan only */
        const char *cc;      /* compiler command for module builds, or NULL */
        const struct spawn_user *build_user; /* package code runs as this user; NULL: as root */
        const struct config *cfg; /* NULL: defaults */
        bool force_initramfs; /* regenerate the initramfs of the selected kernels */
        bool modules_only;   /* skip the initramfs stage */
        const char *cmdline; /* kernel command line (for generators that embed it), or NULL */
        /* Progress events, all optional, called in this process. begin: the
         * jobs are about to run; n_jobs counts the builds and the initramfs
         * nodes, each of which ends in exactly one done event. progress: a pair
         * started (done == false) or finished. ir_progress: an initramfs node
         * started or finished; a current node only finishes, with IR_CURRENT.
         * tick: about every 100 ms while jobs run. */
        void (*begin)(void *userdata, const struct plan *p, size_t n_jobs);
        void (*progress)(void *userdata, const struct pair *p, bool done);
        void (*ir_progress)(void *userdata, const struct irnode *n, bool done);
        void (*tick)(void *userdata);
        void *userdata;
};

/* The initramfs nodes of the last sync_run(), one per kernel of the plan. */
struct sync_result {
        struct irnode *ir;
        size_t n_ir;
};
void sync_result_done(struct sync_result *r);

/* Returns 0 when every required pair succeeded, 1 when some failed, -errno on
 * errors that stopped the sync. *ret_plan gets the executed plan with results. */
int sync_run(const struct root *root, struct state *st, const struct sync_options *o, struct plan **ret_plan,
             struct sync_result *ret_result);

/* Forgets kernels whose files are gone and registers new ones; also used by
 * `kernel list`. */
int sync_reconcile_kernels(const struct root *root, struct state *st, struct plan *p);

/* Uninstalls everything distkernel installed for kver, removes its build dirs
 * and runs depmod when the kernel's modules dir still exists. */
/* Marks kernel kver's module indexes as needing an update (before files are
 * removed), or clears the mark (after the update). A mark left by a crash or
 * a failed update makes the next sync update them. */
int sync_depmod_mark(struct state *st, const char *kver, bool needed);
int sync_forget_kernel(const struct root *root, struct state *st, const char *kver, bool keep_registered);
