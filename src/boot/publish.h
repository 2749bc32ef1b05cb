/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/state.h"
#include "sign/key.h"
#include "uki/uki.h"
#include "util/fs.h"

/* Installing a set of files that belong together, in two steps: publish_stage()
 * checks the free space of each target's file system, then writes every file
 * as a temp beside its target (copied, or signed on the way when a Secure Boot
 * key is given) and fsyncs it; publish_commit() renames them over their
 * targets in the order they were added (the one that makes the set visible,
 * e.g. a boot entry, goes last), syncs the file systems (syncfs: the ESP is
 * FAT) and records the files in the state in one transaction. Any failure
 * before the renames removes every temp and leaves the targets as they were. */

struct publish_item {
        char *target;             /* root-relative */
        char *source;             /* root-relative file to copy, or NULL */
        char *data;               /* or the contents */
        size_t len;
        mode_t mode;
        const struct sign_key *sign;  /* Authenticode-sign the copy */
        struct uki_request *uki;  /* or assemble a UKI straight into the temp */
        struct fs_tmp tmp;
        struct state_file file;   /* what gets recorded */
};

struct publish_set {
        struct publish_item *items;
        size_t n;
};

void publish_set_done(struct publish_set *s);
int publish_add_copy(struct publish_set *s, const char *target, const char *source, mode_t mode,
                     const struct sign_key *sign);
int publish_add_data(struct publish_set *s, const char *target, const char *data, size_t len, mode_t mode);
/* A UKI assembled by uki_build() straight into the target's temp (req is
 * copied; its strings must outlive the set). */
int publish_add_uki(struct publish_set *s, const char *target, const struct uki_request *req, mode_t mode);
/* -ENOSPC with a message saying how much is needed and free when a target's
 * file system lacks room. */
int publish_stage(const struct root *root, struct publish_set *s);
/* Drops the temps of a staged set (to stage it again). */
void publish_unstage(struct publish_set *s);
int publish_commit(const struct root *root, struct state *st, struct publish_set *s, const char *kver,
                   const char *owner, const char *version);

/* Copies a file from the host (outside the root) to the root-relative target,
 * atomically (temp, fsync, rename); not recorded in the state. */
int publish_host_file(const struct root *root, const char *host_src, const char *target, mode_t mode);

/* Points the symlink link (root-relative) at target (a relative path written as
 * is), atomically; target NULL removes the link (never a regular file). */
int publish_symlink(const struct root *root, const char *link, const char *target);

/* Free bytes for an unprivileged writer on the file system holding the
 * root-relative directory dir. */
int publish_free_space(const struct root *root, const char *dir, uint64_t *ret);
