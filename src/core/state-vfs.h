/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The name of the SQLite VFS the state database is opened with: NULL (the
 * default VFS) unless fault injection is on (fs_fault_setup()), then a shim
 * that counts the database's writes, syncs, truncations, creations and
 * deletions as checked operations. */
const char *state_vfs_name(void);
