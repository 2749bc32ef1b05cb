/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>
#include "util/fs.h"
#include "util/spawn.h"

/* The user package code runs as: the evaluation of dkms.conf, patches,
 * PRE_BUILD, MAKE, POST_BUILD and PRE_INSTALL. Installing, signing and depmod
 * stay root's. Set by `build-user = NAME|root`; unset, it is
 * BUILD_USER_DEFAULT when the root is the host's "/" (the install step creates
 * that user) and root for a sandbox root. The user is looked up in the host's
 * user database: the build runs on the host, whatever the root. A user that
 * does not exist is an error, never a silent fallback to root. */
#define BUILD_USER_DEFAULT "distkernel-build"

struct build_user {
        char *name;
        struct spawn_user id;
        bool privileged;  /* uid 0: nothing is dropped */
};

void build_user_done(struct build_user *u);
/* The name to use: the configured one, else the default for that root. Pure;
 * returns a static or the configured string. */
const char *build_user_name(const char *configured, bool host_root);
/* Resolves the build user for that configuration and root. passwd_path NULL:
 * the system's user database (NSS); else that passwd-format file (for tests).
 * Errors: -ESRCH when the user does not exist (logged, naming the user, where
 * it was looked up, and how to fix it), -errno when the lookup failed. */
int build_user_resolve(const char *configured, bool host_root, const char *passwd_path, struct build_user *ret);
/* build_user_resolve() for that root (the host's "/" or a sandbox) in the
 * system's user database. */
int build_user_for_root(const char *configured, const struct root *root, struct build_user *ret);
/* The spawn identity to drop to, NULL when the builds run as root. */
static inline const struct spawn_user *build_user_spawn(const struct build_user *u) {
        return u && !u->privileged ? &u->id : NULL;
}
