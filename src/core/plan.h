/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/explain.h"
#include "core/state.h"
#include "kernel/kernel.h"
#include "modpkg/dkmsconf.h"

/* The plan: which (package, kernel) pairs exist, what their inputs' key is
 * and what must happen to each. Computing it reads the state, stats files and
 * evaluates dkms.conf only when its inputs changed (the evaluation is cached
 * in the state), so that a no-op sync costs a few stats. `status` shows a plan;
 * `sync` executes it. */

#define BUILD_DIR STATE_DIR "/build"
#define LOG_DIR STATE_DIR "/log"

struct package {
        char *name, *version;
        char *path;       /* root-relative sources dir */
        char *host_path;
        char tree_hash[HASH_HEX_LEN];
        bool latest;      /* the highest registered version of its name */
        bool missing;     /* the sources are gone */
};

enum pair_action {
        ACTION_NONE,        /* up to date (installed or skipped with the same key) */
        ACTION_BUILD,       /* must be (re)built */
        ACTION_EXCLUDED,    /* BUILD_EXCLUSIVE_* rules this kernel out */
        ACTION_FAILED,      /* failed before with the same inputs: not retried without --rebuild */
        ACTION_NO_HEADERS,  /* no headers for the kernel */
        ACTION_INVALID,     /* dkms.conf could not be evaluated for this kernel */
};

struct pair {
        struct package *pkg;
        struct kernel *kernel;
        struct dkms_conf *conf;
        struct dkms_env env;       /* strings owned by the pair (env_* below) */
        char *env_dkms_tree, *env_source_tree, *env_installed;
        char key[HASH_HEX_LEN];
        enum pair_action action;
        char *why;                 /* reason for the action (for ACTION_BUILD: the reasons joined) */
        struct inputs inputs;      /* its inputs one by one, recorded with its result */
        struct reasons reasons;    /* ACTION_BUILD: which inputs changed */
        enum pair_state prev;      /* PAIR_STATE_INVALID when never attempted */
        char *prev_message;
        /* filled by sync */
        enum pair_state result;
        char *result_message;
        size_t job;
};

struct plan {
        const struct root *root;
        struct state *state;
        int hostfd;                /* "/" of the host, for headers outside the root */
        char *arch;
        char compiler_id[HASH_HEX_LEN];
        struct kernel **kernels;   /* newest first */
        size_t n_kernels;
        char **ignored;            /* kernels the user removed */
        struct package *pkgs;
        size_t n_pkgs;
        struct pair *pairs;
        size_t n_pairs;
        struct state_pair *rows;   /* the state's pair rows at planning time */
        size_t n_rows;
        char module_sign_id[65];   /* fingerprint of the module signing certificate, "" when unsigned */
        const struct spawn_user *build_user; /* dkms.conf is evaluated as this user; NULL: as we are */
};

enum plan_flags {
        PLAN_REBUILD = 1u << 0,    /* rebuild everything, retry failed pairs */
        PLAN_FORCE = 1u << 1,      /* rebuild pairs skipped for the kernel's own newer module */
};

struct plan *plan_free(struct plan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct plan *, plan_free)
#define _cleanup_plan_ _cleanup_(plan_freep)

/* Computes the plan; only_kver limits it to one kernel. */
int plan_compute(const struct root *root, struct state *st, const char *only_kver,
                 enum plan_flags flags, struct plan **ret);
/* The same, for modules signed with the certificate of fingerprint
 * module_sign_id (sign_key_fingerprint()), NULL when they are not signed: it is
 * part of every pair's key, so that a new, changed or removed certificate
 * rebuilds and re-signs the modules. */
int plan_compute_signed(const struct root *root, struct state *st, const char *only_kver,
                        enum plan_flags flags, const char *module_sign_id,
                        const struct spawn_user *build_user, struct plan **ret);

const char *pair_action_to_string(enum pair_action a);
/* The node name of a pair's recorded inputs: "pair:NAME/VERSION/KVER". */
char *pair_node_name(const struct pair *p);
/* Root-relative paths of a pair's work dir and log. */
char *pair_work_dir(const struct pair *p);
char *pair_log_path(const char *name, const char *version, const char *kver);
/* The state row of a (name, version, kver), or NULL. */
const struct state_pair *plan_row(const struct plan *p, const char *name, const char *version, const char *kver);
/* What status shows for a pair: installed, failed, excluded, skipped, stale
 * (installed, but its inputs changed) or missing (never built, no headers). */
const char *pair_status(const struct pair *x);
