/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "kernel/kernel.h"
#include "modpkg/dkmsconf.h"

struct sign_key;

/* Building one (package, kernel) pair, in a worker process: a fresh copy of the
 * sources under ROOT/var/lib/distkernel/build/KVER/NAME/VERSION/build, patches,
 * PRE_BUILD, MAKE, POST_BUILD, a check that every module was built, DKMS's
 * version sanity check, PRE_INSTALL, and staging of the modules (stripped,
 * signed when a key is given, and compressed like the kernel's own) in
 * .../stage/. All output goes to the log.
 * With a build user, the copy of the sources (build/) and a home/ for HOME and
 * TMPDIR are given to that user, and patches, PRE_BUILD, MAKE, POST_BUILD and
 * PRE_INSTALL run as that user; the built modules are copied into the stage by
 * root only when they are regular files of the build user reached without a
 * symbolic link, then stripped, signed and compressed there as root. */

enum build_result {
        BUILD_OK = 0,
        BUILD_FAILED = 1,
        BUILD_SKIPPED = 2, /* the kernel already has an equal or newer module */
        BUILD_ERROR = 3,   /* distkernel's own I/O failed (a full disk, an I/O error): not the
                            * package's fault, the next sync tries again */
};

struct build_request {
        const struct root *root;
        const struct kernel *kernel;
        const struct dkms_conf *conf;
        const struct dkms_env *env;
        const char *pkg_dir;      /* host path of the package sources */
        const char *work_dir;     /* root-relative .../build/KVER/NAME/VERSION */
        const char *log_path;     /* root-relative log file */
        const char *makeflags;    /* jobserver MAKEFLAGS or NULL */
        const int *keep_fds;
        size_t n_keep_fds;
        const char *cc;           /* compiler command for builds, NULL: the kernel's default */
        bool force;               /* skip the version sanity check */
        const struct sign_key *sign_key; /* sign the modules (after strip, before compression), or NULL */
        const char *sign_hash;    /* the kernel's CONFIG_MODULE_SIG_HASH; NULL: sha256 */
        const struct spawn_user *user; /* the package's code runs as this user; NULL: as root */
};

/* Runs the whole build; returns an enum build_result (never negative) and writes a
 * one-line reason to WORK_DIR/result when it is not BUILD_OK. Meant to run in a
 * child process (it spawns and waits for programs, and prints only to the log:
 * it points the log sink at the build log). */
int modpkg_build(const struct build_request *req);
/* Reads the reason left by modpkg_build(), NULL if none. */
char *modpkg_build_reason(const struct root *root, const char *work_dir);
/* Root-relative path of a staged module, and its final name. */
char *modpkg_staged_path(const char *work_dir, const struct dkms_module *m, enum module_compress c);
char *modpkg_installed_name(const struct dkms_module *m, enum module_compress c);
/* Root-relative path of the marker of a module whose kernel's own newer (or
 * identical) version is kept: the module is built but not installed. It holds
 * the reason. */
char *modpkg_kept_path(const char *work_dir, const struct dkms_module *m);
