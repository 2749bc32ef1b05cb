/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Kernel modules of the initramfs: the list to load at start
 * (lib/modules/KVER/modules.load) and the aliases for coldplug
 * (lib/modules/KVER/modules.alias-initramfs). Paths are relative to
 * lib/modules/KVER. */
#include <stdbool.h>
#include <stddef.h>

/* One line of modules.alias-initramfs:
 *   ALIAS-GLOB<TAB>MODULE-PATH[<TAB>DEP-PATH...]
 * with the dependencies in load order. All strings point into the buffer
 * the table was parsed from. */
struct alias_entry {
        const char *pattern;
        const char *module;
        const char *deps; /* "" or DEP<TAB>DEP...; iterate with alias_next_dep() */
};

struct alias_table {
        char *buf; /* owned: the file's contents, cut into strings */
        struct alias_entry *entries;
        size_t n;
        size_t n_bad; /* lines ignored as malformed */
};

/* Parse the contents of modules.alias-initramfs. Takes ownership of buf
 * (malloc'd, NUL-terminated) and cuts it in place. Empty lines and lines
 * starting with '#' are skipped; lines without a module path, or whose paths
 * are absolute or contain "..", are counted in n_bad and skipped. Returns 0
 * or -ENOMEM (buf is freed either way). */
int alias_table_parse(char *buf, struct alias_table *ret);
void alias_table_done(struct alias_table *t);

/* The next entry at or after *i whose pattern matches modalias (fnmatch);
 * *i is advanced past it. NULL when there is none. */
const struct alias_entry *alias_table_match(const struct alias_table *t, const char *modalias, size_t *i);

/* The first entry whose pattern is exactly alias (as "fs-ext4"), or NULL. */
const struct alias_entry *alias_table_find(const struct alias_table *t, const char *alias);

/* Copy the next dependency of *deps into buf and advance *deps; false at
 * the end (or when one does not fit, which is skipped). */
bool alias_next_dep(const char **deps, char *buf, size_t size);

/* Is a module path safe to open below lib/modules/KVER: relative, no "..",
 * not empty? */
bool module_path_ok(const char *path);

/* The module name of a path: basename, up to the first '.', with '-' as
 * '_'. "kernel/fs/ext4/ext4.ko" -> "ext4". */
void module_name_from_path(const char *path, char *buf, size_t size);

/* ---- I/O: loading (modload.c) */

struct modload;

/* Set up loading from /lib/modules/KVER: reads modules.alias-initramfs if
 * present. cmdline is the kernel command line (for NAME.param=value), the
 * blacklist a comma-separated list of module names not to load. Never fails:
 * what is missing is logged at debug level and leaves nothing to do. */
struct modload *modload_new(const char *kver, const char *cmdline, const char *blacklist);
void modload_free(struct modload *m);

/* Load every module named in modules.load, in order. */
void modload_load_list(struct modload *m);

/* One coldplug pass: read the modalias of every device under /sys/devices
 * not seen before and load the modules whose aliases match (dependencies
 * first). Returns the number of modules loaded by this pass. */
unsigned modload_coldplug(struct modload *m);

/* Load the module providing alias (e.g. "fs-xfs") if the table has one.
 * Returns true if a module was loaded now. */
bool modload_alias(struct modload *m, const char *alias);

/* How many modules were loaded, how many failed. */
void modload_counts(const struct modload *m, unsigned *ret_loaded, unsigned *ret_failed);
