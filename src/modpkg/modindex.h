/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "util/macro.h"

/* The binary module indexes libkmod reads (modules.dep.bin, modules.alias.bin,
 * modules.symbols.bin): a trie of 7-bit ASCII keys, each key with values
 * ordered by priority. The layout is depmod's, byte for byte: integers big
 * endian; a header (magic 0xB007F457, version 2.1, root offset); nodes
 * written children first, each a NUL-terminated prefix (when not empty),
 * the range of child characters with one offset per character (0 for none)
 * and the values (count, then priority and NUL-terminated string each), the
 * high bits of a node's offset telling which of the three are there. Values
 * of one key are in priority order; of equal priority, the one added last
 * comes first, as depmod's insertion puts it. */

struct modindex_entry {
        const char *key;
        const char *value;
        uint32_t priority;
        uint32_t seq;
};

struct modindex {
        struct modindex_entry *e;
        size_t n, alloc;
};
#define MODINDEX_INIT { NULL, 0, 0 }

/* Adds key → value. The strings are not copied: they must outlive the
 * modindex_build() call. */
int modindex_add(struct modindex *x, const char *key, const char *value, uint32_t priority);
/* The index file's bytes, in *ret (malloc'd). -EINVAL when a key or value has
 * a byte outside 7-bit ASCII (depmod refuses those too). Sorts the entries. */
int modindex_build(struct modindex *x, char **ret, size_t *ret_len);
void modindex_done(struct modindex *x);
#define _cleanup_modindex_ _cleanup_(modindex_done)
