/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "kernel/kernel.h"
#include "util/fs.h"

/* Building a kernel from source (`kernel build SRCDIR`):
 *
 *  1. configure: the base config, then the fragments appended in order (the
 *     later assignment wins), then CONFIG_LOCALVERSION, then `make
 *     olddefconfig` in an out-of-tree build dir (O=); with module-sign-key,
 *     CONFIG_MODULE_SIG_KEY names it (the kernel then trusts it and signs its
 *     own modules with it when its config enables module signing); every fragment option
 *     whose final value differs from what the fragment asked for (a
 *     dependency dropped it) is reported;
 *  2. `make kernelrelease` names it KVER; the build dir becomes
 *     ROOT/var/lib/distkernel/kbuild/KVER;
 *  3. `make -jN [CC=...]` the image and modules, into the log;
 *  4. stage the install: `make modules_install` (stripped), the image as
 *     vmlinuz, System.map and config, and a pruned header tree (Makefile,
 *     scripts with their built tools, include/, arch/ARCH/include, the
 *     generated headers, .config, Module.symvers, objtool) for out-of-tree
 *     modules, all in a staging dir;
 *  5. publish: the headers as ROOT/usr/src/linux-KVER, then the modules dir as
 *     ROOT/usr/lib/modules/KVER with build -> /usr/src/linux-KVER (renames:
 *     the kernel appears whole or not at all; a failure before leaves nothing
 *     installed).
 */

#define KBUILD_DIR "/var/lib/distkernel/kbuild"
#define KBUILD_LOCALVERSION_DEFAULT "-dist"

struct kbuild_request {
        const struct root *root;
        const char *src;            /* host path of the kernel sources */
        const char *base_config;    /* host path; required (the caller picks the default) */
        char **fragments;           /* host paths, applied in order */
        const char *localversion;   /* NULL: KBUILD_LOCALVERSION_DEFAULT; "" for none */
        unsigned jobs;
        const char *cc;             /* compiler command (CC=...), NULL: the default */
        bool strict;                /* a dropped fragment option is an error */
        const char *sign_pem;       /* host path of key + certificate (PEM) for in-tree module
                                     * signing (CONFIG_MODULE_SIG_KEY), or NULL */
        int log_fd;                 /* make's output */
        void (*progress)(void *userdata, const char *step);
        void *userdata;
};

/* Runs the whole build and install; *ret_kver gets the KVER. Errors name the
 * step and the log. */
int kbuild_run(const struct kbuild_request *req, char **ret_kver);

/* The options of a fragment (its text) whose value in the final config differs
 * from what it asks: "CONFIG_X=y (is n)" / "CONFIG_X=m (is not set)" / "# CONFIG_X
 * is not set (is y)", in fragment order; NULL when none. Pure. */
int kbuild_fragment_mismatches(const char *fragment, const struct kconfig *final, char ***ret);

/* The fragments of ROOT/etc/kernel/config.d/\*.config in name order, as host paths. */
int kbuild_fragments(const struct root *root, char ***ret);
