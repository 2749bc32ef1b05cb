/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "core/state.h"

/* Why a node runs. A node's key hashes all its inputs; to say which of them
 * changed, each node also records its inputs one by one (a name and a hash of
 * the value) in the state when it succeeds (meta "inputs:NODE"), and the
 * planner compares them with the current ones. The names are stable (they
 * appear in --json): sources, dkms.conf, kernel-config, module-symvers,
 * compiler, module-sign-cert, initramfs-settings, generator-config,
 * kernel-image, init, carried-modules, cmdline, initramfs, secureboot-cert,
 * os-release, stub, splash, devicetree, entry. */

struct input {
        char *name;
        char *value;  /* a hash of the value */
        char *text;   /* what to say when it changed: "/etc/kernel/cmdline changed" */
};

struct inputs {
        struct input *v;
        size_t n;
};
void inputs_done(struct inputs *l);
/* Adds an input; value is hashed (NULL counts as ""); text is a printf format. */
int inputs_add(struct inputs *l, const char *name, const char *value, const char *fmt, ...) _printf_(4, 5);

/* Records l as the inputs of node (e.g. "initramfs:6.1.0-56-amd64"); NULL
 * forgets them. */
int inputs_record(struct state *st, const char *node, const struct inputs *l);
/* The recorded inputs of node (texts NULL); -ENOENT when none are recorded. */
int inputs_recorded(struct state *st, const char *node, struct inputs *ret);

/* A reason: the input that changed (a name above, or "new-kernel",
 * "new-package", "new-version", "modified-file", "rebuild", "unknown",
 * "not-built") and the sentence saying so. */
struct reason {
        char *input;
        char *text;
};
struct reasons {
        struct reason *v;
        size_t n;
};
void reasons_done(struct reasons *r);
int reasons_add(struct reasons *r, const char *input, const char *fmt, ...) _printf_(3, 4);
/* Adds one reason per input of cur whose value differs from old (or is new),
 * and per input of old that cur lacks ("NAME no longer applies"). Returns the number
 * added. */
int reasons_diff(struct reasons *r, const struct inputs *old, const struct inputs *cur);
/* The reasons joined with "; ", or NULL when there are none. */
char *reasons_join(const struct reasons *r);
