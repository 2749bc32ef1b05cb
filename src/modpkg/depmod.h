/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/fs.h"

/* depmod's indexes of kernel kver, brought up to date in place: instead of
 * reading every module of the kernel again (depmod: ~4000 files, a second and
 * more), the indexes the last depmod wrote are taken as they are, the module
 * tree is walked, and only the modules added or changed since (a newer mtime,
 * as "depmod -A" judges) are read, with libkmod as depmod reads them. Removed
 * modules are dropped. The result is what depmod writes for the same tree:
 * modules.alias, .alias.bin, .softdep, .devname and .symbols.bin byte for
 * byte; modules.symbols the same lines (depmod's are in hash order);
 * modules.dep the same lines with the same dependencies, in a valid load
 * order. modules.builtin*.bin do not depend on the modules and stay.
 *
 * When that cannot be vouched for, nothing is written and the caller runs
 * depmod: an index missing or not in depmod's layout, two modules of one
 * name (which one wins is depmod's search order), an unchanged module
 * needing a removed or changed one, a symbol exported twice, a module
 * libkmod cannot read, a depmod.d line other than search and override, a
 * gzip-compressed module (Debian's depmod does not read those), a symbolic
 * link in the tree, a modules.weakdep (kmod 33's depmod writes it; this
 * does not).
 *
 * The files are staged as temps, fsynced, and renamed with modules.dep last,
 * so an interrupted update leaves modules.dep older than the modules it
 * misses and the next update (or depmod) redoes it.
 *
 * Returns 1 when updated (a line "incremental: ..." written to log_fd, if
 * >= 0), 0 when depmod must run (a line "full: REASON" written to log_fd), or
 * -errno (reported). */
int modpkg_depmod_update(const struct root *root, const char *kver, int log_fd);
