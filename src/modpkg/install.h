/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/state.h"
#include "kernel/kernel.h"
#include "modpkg/dkmsconf.h"

/* Installing staged modules into ROOT/usr/lib/modules/KVER/updates/dkms/ and
 * removing them again, recorded in the state. Order for crash safety: the new
 * files are written as temps and renamed over their targets, then files of the
 * package's previous install that the new one does not replace are removed,
 * then the state is updated in one transaction. A crash in between leaves the
 * state describing files that differ, which sync detects and repairs. */

#define MODULES_DIR "/usr/lib/modules"
#define INSTALL_SUBDIR "updates/dkms"

/* Installs the staged modules of conf for kernel k and records them (pair
 * state "installed" with key). Other versions of the same package on this
 * kernel are uninstalled and forgotten. */
int modpkg_install(const struct root *root, struct state *st, const struct kernel *k,
                   const struct dkms_conf *conf, const char *work_dir, const char *key);

/* Removes the files recorded for package name (version NULL = every version)
 * on kernel kver and forgets them. Files that were modified since we installed
 * them are left in place with a warning. Returns the number of files removed. */
int modpkg_uninstall(const struct root *root, struct state *st, const char *kver,
                     const char *name, const char *version);

/* Brings the module indexes of kver up to date: in place when
 * modpkg_depmod_update() can (then *ret_pid is 0), else by running depmod -b
 * ROOT KVER, its output to log_fd. modpkg_depmod() waits for it and returns
 * depmod's exit status, or -errno. */
int modpkg_depmod(const struct root *root, const char *kver, int log_fd);
int modpkg_depmod_start(const struct root *root, const char *kver, int log_fd, pid_t *ret_pid);

/* Whether an installed file still is what we recorded (stat identity first,
 * content hash when that changed). */
bool modpkg_file_intact(const struct root *root, const struct state_file *f);

/* Runs POST_INSTALL (if any) from the package dir, appending to the log. A
 * failure is reported as a warning: the modules are installed. */
void modpkg_post_install(const struct root *root, const struct dkms_conf *conf, const char *pkg_dir,
                         const char *log_path);
