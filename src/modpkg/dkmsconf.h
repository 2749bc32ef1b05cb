/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/macro.h"
#include "util/spawn.h"

struct kconfig;

/* dkms.conf: a bash fragment. It is evaluated the way DKMS does it, sourced by
 * bash in a child process per kernel with DKMS's variables set, and the
 * directives are read back over a pipe in a machine-safe form: a sequence of
 * NUL-terminated triples NAME\0INDEX\0VALUE\0 (scalars have index 0). The dump
 * is then parsed, defaulted, resolved for the kernel and validated in C. */

struct dkms_env {
        const char *kernelver;          /* KVER */
        const char *arch;               /* uname -m style, e.g. x86_64 */
        const char *kernel_source_dir;  /* host path of the headers */
        const char *dkms_tree;          /* host path; the build dir is $dkms_tree/NAME/VERSION/build */
        const char *source_tree;        /* host path of ROOT/usr/src */
        const char *installed_modules_dir; /* host path of ROOT/usr/lib/modules/KVER/updates/dkms */
        const struct spawn_user *user;  /* dkms.conf is evaluated as this user; NULL: as we are */
};

struct dkms_module {
        char *built_name;     /* BUILT_MODULE_NAME[i] (without .ko) */
        char *built_location; /* BUILT_MODULE_LOCATION[i], relative to the build dir, "" = top */
        char *dest_name;      /* DEST_MODULE_NAME[i], default built_name */
        char *dest_location;  /* DEST_MODULE_LOCATION[i], e.g. "/extra", "/updates/dkms" */
        bool strip;           /* STRIP[i], default yes */
};

struct dkms_conf {
        char *path;           /* the dkms.conf file, for messages */
        char *name;           /* PACKAGE_NAME */
        char *version;        /* PACKAGE_VERSION */
        struct dkms_module *modules;
        size_t n_modules;
        char *make;           /* the MAKE command for this kernel: MAKE[0] overridden by the last
                               * MAKE[i] whose MAKE_MATCH[i] matches kernelver; DKMS's default
                               * "make -C $kernel_source_dir M=$build_dir" when unset */
        char *clean;          /* CLEAN, may be NULL */
        char **patches;       /* PATCH[i] whose PATCH_MATCH[i] is empty or matches kernelver, in index order */
        char *pre_build, *post_build, *pre_install, *post_install, *post_add; /* may be NULL */
        bool autoinstall, remake_initrd, no_weak_modules;
        char *build_exclusive_kernel; /* ERE, may be NULL */
        char *build_exclusive_arch;   /* ERE, may be NULL */
        char **build_exclusive_config;/* e.g. {"CONFIG_ACPI", "!CONFIG_X"}, may be empty, never NULL */
        char **build_depends;         /* package names, never NULL */
};

struct dkms_conf *dkms_conf_free(struct dkms_conf *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dkms_conf *, dkms_conf_free)
#define _cleanup_dkms_conf_ _cleanup_(dkms_conf_freep)

/* Runs bash on PKGDIR/dkms.conf with env; returns the dump in *ret (malloc'd) and
 * its length. Errors (bash failed to source it, a syntax error, non-zero exit) are
 * reported naming the file with bash's own message, and return -EBADMSG. The
 * evaluation is killed after 30 s and the dump limited to 1 MiB (both -EBADMSG);
 * processes the file left in the background are killed. Implemented in
 * dkmsconf-eval.c. */
int dkms_conf_eval(const char *pkgdir, const struct dkms_env *env, char **ret, size_t *ret_len);
/* Pure: parses a dump for the kernel in env; applies DKMS's defaults; resolves
 * MAKE/PATCH matches; validates (safe names and versions, BUILT/DEST names
 * without ".ko"/"/"/"..", BUILT_MODULE_LOCATION relative and not escaping the
 * build dir, DEST_MODULE_LOCATION beginning with /kernel, /updates or /extra and
 * without "..", patch names plain file names, at least one module). Errors name
 * conf_path and the directive and return -EBADMSG.
 * As in DKMS, an empty value counts as unset. The module records are as many as
 * the highest index + 1 of BUILT_MODULE_NAME/BUILT_MODULE_LOCATION/
 * DEST_MODULE_NAME/DEST_MODULE_LOCATION (a hole is a record with a missing name,
 * never a dropped module). Regexes (MAKE_MATCH, PATCH_MATCH, BUILD_EXCLUSIVE_*) must
 * compile as EREs and stay simple enough for glibc: no back-references, no
 * adjacent repetitions ("a*+"), a bounded size. The dump is untrusted: a
 * truncated field, a bad or duplicate index, an index above 4095 are errors;
 * unknown names are skipped. */
int dkms_conf_parse(const char *conf_path, const char *dump, size_t len,
                    const struct dkms_env *env, struct dkms_conf **ret);
/* eval + parse; messages name PKGDIR/dkms.conf */
int dkms_conf_load(const char *pkgdir, const struct dkms_env *env, struct dkms_conf **ret);

/* Whether BUILD_EXCLUSIVE_KERNEL/ARCH/CONFIG exclude this kernel: returns 1 and a
 * human-readable reason ("BUILD_EXCLUSIVE_KERNEL '^6\.12\.' does not match
 * '6.1.0-50-amd64'") when excluded, 0 when not, -errno on error (a bad regex is
 * reported naming the conf path and is -EBADMSG). kc may be NULL (no config:
 * BUILD_EXCLUSIVE_CONFIG then excludes). ret_reason may be NULL; it is set only
 * when 1 is returned. */
int dkms_conf_excluded(const struct dkms_conf *c, const char *kver, const char *arch,
                       const struct kconfig *kc, char **ret_reason);

/* Safe names: [A-Za-z0-9][A-Za-z0-9._+-]* for package names and versions (at most
 * 128 chars, no ".."), module names [A-Za-z0-9_-]+ (at most 128 chars). */
bool dkms_name_is_valid(const char *s);
bool dkms_module_name_is_valid(const char *s);

/* The directive names dkms_conf_eval() reads back, NULL-terminated. */
extern const char *const dkms_directives[];
