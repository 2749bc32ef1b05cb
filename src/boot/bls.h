/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/macro.h"

/* Reading Boot Loader Specification type 1 entries (loader/entries/NAME.conf):
 * pure, for verify and its fuzz target (tests/fuzz/fuzz-bls-entry.c). */

/* The files a Boot Loader Specification type 1 entry refers to, as written
 * (relative to its $BOOT): the values of its linux, efi and devicetree lines
 * and of every initrd line (blank-separated, as GRUB's blscfg also reads
 * them), in order. Comments and other keys are skipped. -EBADMSG when one of
 * these keys has no value; *ret is then NULL. */
int bls_entry_files(const char *text, char ***ret);
/* The $BOOT of an entry at root-relative path (the directory above
 * loader/entries/), or NULL when the path is not in a loader/entries/
 * directory (or on OOM). "/loader/entries/x.conf" gives "/". */
char *bls_entry_boot_dir(const char *entry_path);
/* Whether a path of an entry stays inside $BOOT: not empty, no ".." component. */
bool bls_path_valid(const char *p);
