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
