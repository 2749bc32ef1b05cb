/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <sys/stat.h>
#include "util/fs.h"
#include "util/hash.h"

/* The state database, ROOT/var/lib/distkernel/state.db (SQLite). It records
 * what distkernel knows and did: registered kernels and packages, the result and
 * key of each (package, kernel) pair, every file it installed with its sha256,
 * and caches (file hashes by stat identity, evaluated dkms.conf dumps) that make
 * a no-op sync cheap. Changes that belong together go in one transaction. */

#define STATE_DIR "/var/lib/distkernel"
#define STATE_DB STATE_DIR "/state.db"
#define STATE_SCHEMA_VERSION 1

struct state;

enum state_open_flags {
        STATE_READONLY = 1u << 0, /* do not create; fail with -ENOENT when missing */
};

int state_open(const struct root *root, enum state_open_flags flags, struct state **ret);
struct state *state_close(struct state *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct state *, state_close)
#define _cleanup_state_ _cleanup_(state_closep)

int state_begin(struct state *s);
int state_commit(struct state *s);
void state_rollback(struct state *s);

/* Kernels */
int state_kernel_add(struct state *s, const char *kver, const char *image);
int state_kernel_remove(struct state *s, const char *kver);
/* A kernel the user removed while its files are still there is kept "ignored":
 * sync leaves it alone until `kernel add`. */
int state_kernel_set_ignored(struct state *s, const char *kver, bool ignored);
/* Returns the registered KVERs (unsorted), and those ignored if ret_ignored
 * (*ret_ignored must be NULL or a strv; it is appended to). */
int state_kernel_list(struct state *s, char ***ret, char ***ret_ignored);

/* Packages */
struct state_package {
        char *name, *version, *path; /* path root-relative */
};
void state_package_list_free(struct state_package *l, size_t n);
int state_package_add(struct state *s, const char *name, const char *version, const char *path);
int state_package_remove(struct state *s, const char *name, const char *version);
int state_package_list(struct state *s, struct state_package **ret, size_t *ret_n);

/* Pairs: one row per (package name, version, kernel) that was attempted. */
enum pair_state {
        PAIR_INSTALLED,
        PAIR_FAILED,
        PAIR_EXCLUDED,
        PAIR_SKIPPED,  /* the kernel ships an equal or newer module */
        _PAIR_STATE_MAX,
        PAIR_STATE_INVALID = -1,
};
const char *pair_state_to_string(enum pair_state s);
enum pair_state pair_state_from_string(const char *s);

struct state_pair {
        char *name, *version, *kver;
        enum pair_state state;
        char *key;      /* the key of the inputs of the last attempt */
        char *message;  /* failure or exclusion reason, may be NULL */
        int64_t updated_at;
};
void state_pair_list_free(struct state_pair *l, size_t n);
int state_pair_set(struct state *s, const char *name, const char *version, const char *kver,
                   enum pair_state st, const char *key, const char *message);
int state_pair_delete(struct state *s, const char *name, const char *version, const char *kver);
/* All pairs, or those of one kernel (kver != NULL). */
int state_pair_list(struct state *s, const char *kver, struct state_pair **ret, size_t *ret_n);

/* Installed files, root-relative paths. */
struct state_file {
        char *path, *kver, *name, *version;
        char sha256[HASH_HEX_LEN];
        int64_t size, mtime_ns, ino;
};
void state_file_list_free(struct state_file *l, size_t n);
int state_file_add(struct state *s, const struct state_file *f);
int state_file_delete(struct state *s, const char *path);
/* Files of one pair (name/version may be NULL = any), or of a kernel. */
int state_file_list(struct state *s, const char *kver, const char *name, const char *version,
                    struct state_file **ret, size_t *ret_n);

/* Content hashes keyed by path and stat identity: returns the cached sha256 when
 * size, mtime, ctime and inode still match, else hashes and records it. */
int state_hash_file(struct state *s, int rootfd, const char *path, const struct stat *st,
                    char ret_hex[HASH_HEX_LEN]);

/* Evaluated dkms.conf dumps, keyed by an input key. */
int state_eval_get(struct state *s, const char *name, const char *version, const char *kver,
                   const char *input_key, char **ret, size_t *ret_len);
int state_eval_put(struct state *s, const char *name, const char *version, const char *kver,
                   const char *input_key, const char *dump, size_t len);

/* Per-kernel values (e.g. the depmod key). */
int state_meta_get(struct state *s, const char *key, char **ret);
/* SQLite's quick_check of the database: 0 when it is sound, 1 with the first
 * problem in *ret_problem (caller frees), -errno when it cannot be run. */
int state_check_integrity(struct state *s, char **ret_problem);
int state_meta_set(struct state *s, const char *key, const char *value);
