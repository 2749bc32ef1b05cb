/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pwd.h>
#include <stdio.h>
#include "modpkg/builduser.h"
#include "util/log.h"
#include "util/strv.h"

void build_user_done(struct build_user *u) {
        u->name = mfree(u->name);
}

const char *build_user_name(const char *configured, bool host_root) {
        if (!isempty(configured))
                return configured;
        return host_root ? BUILD_USER_DEFAULT : "root";
}

/* getpwnam_r() or a scan of a passwd file: 1 and the ids when found, 0 when not. */
static int lookup(const char *name, const char *passwd_path, uid_t *ret_uid, gid_t *ret_gid) {
        struct passwd pw, *found = NULL;
        char buf[4096];
        int r;

        if (!passwd_path) {
                r = getpwnam_r(name, &pw, buf, sizeof buf, &found);
                if (r != 0 && r != ENOENT && r != ESRCH)
                        return -r;
        } else {
                FILE *f = fopen(passwd_path, "re");
                if (!f)
                        return -errno;
                while ((r = fgetpwent_r(f, &pw, buf, sizeof buf, &found)) == 0)
                        if (streq(found->pw_name, name))
                                break;
                fclose(f);
                if (r != 0 && r != ENOENT)
                        return -r;
                if (r == ENOENT)
                        found = NULL;
        }
        if (!found)
                return 0;
        *ret_uid = found->pw_uid;
        *ret_gid = found->pw_gid;
        return 1;
}

int build_user_resolve(const char *configured, bool host_root, const char *passwd_path, struct build_user *ret) {
        const char *name = build_user_name(configured, host_root);
        _cleanup_free_ char *where = passwd_path ? strdup_printf("'%s'", passwd_path) : strdup("the host");
        uid_t uid = 0;
        gid_t gid = 0;
        char *copy;
        int r;

        if (!where)
                return -ENOMEM;
        r = lookup(name, passwd_path, &uid, &gid);
        if (r < 0)
                return log_error_errno(r, "build user '%s': looking it up in %s failed: %s", name, where, strerror(-r));
        if (r == 0) {
                if (isempty(configured))
                        return log_error_errno(-ESRCH, "build user '%s' does not exist on %s: module packages are "
                                               "built as that user; create it (systemd-sysusers, or useradd "
                                               "--system %s) or set 'build-user = root'", name, where, name);
                return log_error_errno(-ESRCH, "build user '%s' (build-user in distkernel.conf) does not exist "
                                       "on %s: create it or set 'build-user' to an existing user", name, where);
        }
        copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        *ret = (struct build_user) { .name = copy, .id = { .uid = uid, .gid = gid }, .privileged = uid == 0 };
        return 0;
}

int build_user_for_root(const char *configured, const struct root *root, struct build_user *ret) {
        return build_user_resolve(configured, streq(root->path, "/"), NULL, ret);
}
