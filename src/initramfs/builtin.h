/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "initramfs/initramfs.h"
#include "initramfs/modules.h"

/* Shared by the generator (builtin.c) and its input key (key.c). */

/* Checks the request's fields (not the files). -EINVAL with a message. */
int builtin_request_check(const struct initramfs_request *req);
/* The archive's mtime: SOURCE_DATE_EPOCH when set and valid, else 0. */
int64_t builtin_mtime(void);
/* Resolves the request's module set (modset_new() flags: MODSET_INFO or 0).
 * With *ret_hostonly, also returns the host-only list it used (NULL without). */
int builtin_modset(const struct initramfs_request *req, unsigned flags, struct ir_modset **ret,
                   char ***ret_hostonly);
/* The contents of modules.alias-initramfs for the set (format in initramfs.h).
 * A module whose name or path, or a path it depends on, has white space or
 * control characters is left out with a warning (it is still in the image),
 * as is such an alias (modinfo of a module found in the root is outside data). */
int builtin_alias_index(const struct ir_modset *s, char **ret, size_t *ret_len);
