/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "initramfs/initramfs.h"
#include "util/log.h"
#include "util/strv.h"

#define MAX_DEPTH 8

struct root_mount {
        unsigned major, minor;
        char *fstype;
        char *source;
};

static void root_mount_done(struct root_mount *m) {
        free(m->fstype);
        free(m->source);
}

/* A small host file (sysfs attribute), trailing newlines stripped; NULL when unreadable. */
static char *read_attr(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char *text = NULL;

        if (fd < 0 || fd_read_all(fd, 64 * 1024, &text, NULL) < 0)
                return NULL;
        return strstrip_nl(text);
}

static int add(char ***l, const char *s) {
        if (isempty(s) || strv_contains(*l, s))
                return 0;
        return strv_push(l, s);
}

/* Parses one mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - TYPE SOURCE SUPEROPTS". */
static int parse_line(const char *line, struct root_mount *ret) {
        _cleanup_strv_free_ char **f = NULL;
        size_t n, sep;
        int r = strv_split(line, " ", &f);

        if (r < 0)
                return r;
        n = strv_length(f);
        for (sep = 6; sep < n && !streq(f[sep], "-"); sep++)
                ;
        if (n < 6 || sep + 2 >= n || !streq(f[4], "/"))
                return 0;
        if (sscanf(f[2], "%u:%u", &ret->major, &ret->minor) != 2)
                return 0;
        ret->fstype = strdup(f[sep + 1]);
        ret->source = strdup(f[sep + 2]);
        return ret->fstype && ret->source ? 1 : -ENOMEM;
}

/* The last mount on "/" (the one visible). */
static int find_root_mount(const char *mountinfo, struct root_mount *ret) {
        _cleanup_close_ int fd = open(mountinfo, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        struct root_mount m = {};
        bool found = false;
        char *save = NULL;
        int r;

        if (fd < 0 || (r = fd_read_all(fd, 16 * 1024 * 1024, &text, NULL)) < 0) {
                r = fd < 0 ? -errno : r;
                return log_error_errno(r, "'%s': cannot read: %s", mountinfo, strerror(-r));
        }
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                struct root_mount x = {};
                r = parse_line(line, &x);
                if (r < 0)
                        return r;
                if (r > 0) {
                        root_mount_done(&m);
                        m = x;
                        found = true;
                }
        }
        if (!found)
                return log_error_errno(-ENOENT, "'%s': no file system is mounted on '/'", mountinfo);
        *ret = m;
        return 0;
}

/* Each ancestor's driver module and modalias, from dev up to SYSFS/devices. */
static int walk_ancestors(const char *sysfs, const char *dev, char ***l) {
        _cleanup_free_ char *p = strdup(dev), *top = path_join(sysfs, "devices");
        int r = 0;

        if (!p || !top)
                return -ENOMEM;
        while (r >= 0 && startswith(p, top) && strlen(p) > strlen(top)) {
                _cleanup_free_ char *drv = path_join(p, "driver/module"), *alias_file = path_join(p, "modalias");
                _cleanup_free_ char *alias = NULL;
                char buf[PATH_MAX];
                ssize_t n;

                if (!drv || !alias_file)
                        return -ENOMEM;
                n = readlink(drv, buf, sizeof buf - 1);
                if (n > 0) {
                        buf[n] = 0;
                        r = add(l, basename(buf));
                }
                alias = read_attr(alias_file);
                if (r >= 0 && alias)
                        r = add(l, alias);
                *strrchr(p, '/') = 0;
        }
        return r;
}

static const char *md_personality(const char *level) {
        if (!level)
                return NULL;
        if (streq(level, "raid4") || streq(level, "raid5") || streq(level, "raid6"))
                return "raid456";
        if (streq(level, "raid0") || streq(level, "raid1") || streq(level, "raid10") || streq(level, "linear"))
                return level;
        return NULL;
}

/* Device mapper and md: their own modules. */
static int stacked_modules(const char *dev, char ***l) {
        _cleanup_free_ char *dm = path_join(dev, "dm"), *uuid_file = path_join(dev, "dm/uuid"),
                            *level_file = path_join(dev, "md/level"), *uuid = NULL, *level = NULL;
        struct stat st;
        int r = 0;

        if (!dm || !uuid_file || !level_file)
                return -ENOMEM;
        if (stat(dm, &st) >= 0) {
                r = add(l, "dm_mod");
                uuid = read_attr(uuid_file);
                if (r >= 0 && uuid && startswith(uuid, "CRYPT-"))
                        r = add(l, "dm_crypt");
        }
        level = read_attr(level_file);
        if (r >= 0 && md_personality(level))
                r = add(l, md_personality(level));
        return r;
}

static int walk_device(const char *sysfs, const char *path, int depth, char ***l);

static int walk_slaves(const char *sysfs, const char *dev, int depth, char ***l) {
        _cleanup_free_ char *dir = path_join(dev, "slaves");
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return 0;
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                if (de->d_name[0] == '.')
                        continue;
                p = path_join(dir, de->d_name);
                r = p ? walk_device(sysfs, p, depth + 1, l) : -ENOMEM;
        }
        closedir(d);
        return r;
}

static int walk_device(const char *sysfs, const char *path, int depth, char ***l) {
        _cleanup_free_ char *dev = realpath(path, NULL);
        int r;

        if (depth > MAX_DEPTH)
                return 0;
        if (!dev) {
                log_debug("'%s': %s, skipping", path, strerror(errno));
                return 0;
        }
        r = walk_ancestors(sysfs, dev, l);
        if (r >= 0)
                r = stacked_modules(dev, l);
        if (r >= 0)
                r = walk_slaves(sysfs, dev, depth, l);
        return r;
}

/* The sysfs directory of the root's block device: MAJ:MIN of the mount, else
 * (btrfs and others show an anonymous device there) the source's device. */
static char *block_dir(const char *sysfs, const struct root_mount *m) {
        char *p = strdup_printf("%s/dev/block/%u:%u", sysfs, m->major, m->minor);
        struct stat st;

        if (!p || access(p, F_OK) >= 0 || !startswith(m->source, "/dev/"))
                return p;
        free(p);
        if (stat(m->source, &st) < 0 || !S_ISBLK(st.st_mode))
                return NULL;
        return strdup_printf("%s/dev/block/%u:%u", sysfs, major(st.st_rdev), minor(st.st_rdev));
}

int initramfs_hostonly_modules_at(const char *mountinfo, const char *sysfs_path, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        _cleanup_free_ char *dir = NULL, *fs = NULL, *sysfs = realpath(sysfs_path, NULL);
        struct root_mount m = {};
        int r;

        if (!l)
                return -ENOMEM;
        if (!sysfs)
                return log_error_errno(-errno, "'%s': %s", sysfs_path, strerror(errno));
        r = find_root_mount(mountinfo, &m);
        if (r < 0)
                return r;
        dir = block_dir(sysfs, &m);
        fs = strdup_printf("fs-%s", m.fstype);
        r = fs ? 0 : -ENOMEM;
        if (r >= 0 && dir)
                r = walk_device(sysfs, dir, 0, &l);
        if (r >= 0)
                r = add(&l, fs);
        if (r >= 0 && !dir)
                log_debug("'%s' on '/' is no block device, only its file system module is added", m.source);
        root_mount_done(&m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int initramfs_hostonly_modules(const struct root *root, char ***ret) {
        if (!streq(root->path, "/"))
                return log_error_errno(-EINVAL, "'%s': host-only module detection needs the root to be '/'",
                                       root->path);
        return initramfs_hostonly_modules_at("/proc/self/mountinfo", "/sys", ret);
}
