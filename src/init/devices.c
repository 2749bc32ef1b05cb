/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init/devices.h"
#include "init/log.h"
#include "util/macro.h"

static uint8_t probe_buf[PROBE_READ_SIZE];

/* A one-line sysfs attribute of /sys/class/block/NAME. */
static int read_attr(const char *name, const char *attr, char *buf, size_t size) {
        char path[256];
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        snprintf(path, sizeof(path), "/sys/class/block/%s/%s", name, attr);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

int blockdev_node(const struct blockdev *d, char *path, size_t size) {
        struct stat st;

        if ((size_t) snprintf(path, size, "/dev/%s", d->name) >= size)
                return -ENAMETOOLONG;
        for (char *c = path + 5; *c; c++)
                if (*c == '!')
                        *c = '/';
        if (stat(path, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == makedev(d->major, d->minor))
                return 0;
        /* No devtmpfs node (or a stale one): make our own, flat in /dev. */
        snprintf(path, size, "/dev/.distkernel-%u-%u", d->major, d->minor);
        if (mknod(path, S_IFBLK | 0600, makedev(d->major, d->minor)) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static ssize_t read_at(int fd, void *buf, size_t len, off_t off) {
        size_t n = 0;

        while (n < len) {
                ssize_t k = pread(fd, (uint8_t *) buf + n, len - n, off + (off_t) n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return n > 0 ? (ssize_t) n : -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        return (ssize_t) n;
}

static int open_dev(const struct blockdev *d) {
        char path[128];
        int r = blockdev_node(d, path, sizeof(path)), fd;

        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static const struct blockdev *find_name(const struct blockdevs *b, const char *name) {
        for (size_t i = 0; i < b->n; i++)
                if (strcmp(b->dev[i].name, name) == 0)
                        return &b->dev[i];
        return NULL;
}

/* The partition's PARTUUID and PARTLABEL from its disk's GPT or MBR. */
static void probe_partition(struct blockdevs *b, struct blockdev *d) {
        const struct blockdev *disk = find_name(b, d->parent);
        struct gpt_header gpt;
        uint8_t sector[4096], entry[4096];
        unsigned ss = 512;
        uint32_t sig;
        char attr[32];
        _cleanup_close_ int fd = -EBADF;

        if (!disk)
                return;
        if (read_attr(disk->name, "queue/logical_block_size", attr, sizeof(attr)) == 0) {
                ss = (unsigned) strtoul(attr, NULL, 10);
                if (ss < 512 || ss > sizeof(sector) || (ss & (ss - 1)))
                        ss = 512;
        }
        fd = open_dev(disk);
        if (fd < 0)
                return;
        if (read_at(fd, sector, ss, (off_t) ss) == (ssize_t) ss && gpt_parse_header(sector, ss, &gpt) == 0) {
                if (d->partno > gpt.n_entries)
                        return;
                if (read_at(fd, entry, gpt.entry_size, (off_t) (gpt.entries_lba * ss + (uint64_t) (d->partno - 1) * gpt.entry_size)) ==
                    (ssize_t) gpt.entry_size)
                        gpt_parse_entry(entry, gpt.entry_size, d->partuuid, d->partlabel, sizeof(d->partlabel));
                return;
        }
        if (read_at(fd, sector, 512, 0) == 512 && mbr_parse(sector, 512, &sig) == MBR_DOS)
                snprintf(d->partuuid, sizeof(d->partuuid), "%08x-%02x", sig, d->partno);
}

static void probe_dev(struct blockdevs *b, struct blockdev *d) {
        char attr[64];
        ssize_t n;
        _cleanup_close_ int fd = -EBADF;

        if (read_attr(d->name, "size", attr, sizeof(attr)) < 0 || strtoull(attr, NULL, 10) == 0)
                return; /* no medium yet: again next time */
        d->probed = true;
        fd = open_dev(d);
        if (fd < 0) {
                errno = -fd;
                log_debug("'%s': cannot open: %m", d->name);
                return;
        }
        n = read_at(fd, probe_buf, sizeof(probe_buf), 0);
        if (n < 0) {
                errno = (int) -n;
                log_debug("'%s': cannot read: %m", d->name);
                return;
        }
        probe_filesystem(probe_buf, (size_t) n, &d->fs);
        if (d->partno > 0)
                probe_partition(b, d);
        log_debug("'%s' (%u:%u): %s%s%s%s%s%s%s%s%s", d->name, d->major, d->minor,
                  d->fs.type[0] ? d->fs.type : "no file system", d->fs.uuid[0] ? " UUID=" : "", d->fs.uuid,
                  d->fs.label[0] ? " LABEL=" : "", d->fs.label, d->partuuid[0] ? " PARTUUID=" : "", d->partuuid,
                  d->partlabel[0] ? " PARTLABEL=" : "", d->partlabel);
}

/* Fill in name, numbers and partition facts of a new device from sysfs. */
static bool add_dev(struct blockdevs *b, const char *name) {
        struct blockdev *d;
        char attr[64], link[512], path[256];
        unsigned major, minor;
        ssize_t l;

        if (strlen(name) >= sizeof(d->name) || read_attr(name, "dev", attr, sizeof(attr)) < 0 ||
            sscanf(attr, "%u:%u", &major, &minor) != 2)
                return false;
        if (b->n >= BLOCKDEVS_MAX) {
                if (!b->full_warned)
                        log_warn("more than %d block devices, not looking at '%s' and later ones, ignoring",
                                 BLOCKDEVS_MAX, name);
                b->full_warned = true;
                return false;
        }
        d = &b->dev[b->n];
        *d = (struct blockdev) { .major = major, .minor = minor };
        strcpy(d->name, name);
        if (read_attr(name, "partition", attr, sizeof(attr)) == 0) {
                d->partno = (unsigned) strtoul(attr, NULL, 10);
                snprintf(path, sizeof(path), "/sys/class/block/%s", name);
                l = readlink(path, link, sizeof(link) - 1);
                if (l > 0) {
                        char *slash;
                        link[l] = 0;
                        slash = strrchr(link, '/');
                        if (slash) {
                                *slash = 0;
                                slash = strrchr(link, '/');
                                slash = slash ? slash + 1 : link;
                                if (strlen(slash) < sizeof(d->parent))
                                        strcpy(d->parent, slash);
                        }
                }
        }
        b->n++;
        return true;
}

void blockdevs_scan(struct blockdevs *b) {
        DIR *dir = opendir("/sys/class/block");
        struct dirent *de;

        if (!dir)
                return;
        /* Disks sort before their partitions only by chance: add first, probe after. */
        while ((de = readdir(dir)))
                if (de->d_name[0] != '.' && !find_name(b, de->d_name))
                        add_dev(b, de->d_name);
        closedir(dir);
        for (size_t i = 0; i < b->n; i++)
                if (!b->dev[i].probed)
                        probe_dev(b, &b->dev[i]);
}

bool blockdev_matches(const struct blockdev *d, const struct root_spec *spec) {
        switch (spec->kind) {
        case ROOT_UUID:
                return d->fs.uuid[0] && strcmp(d->fs.type, "jbd") != 0 && strcasecmp(d->fs.uuid, spec->value) == 0;
        case ROOT_LABEL:
                return d->fs.label[0] && strcmp(d->fs.type, "jbd") != 0 && strcmp(d->fs.label, spec->value) == 0;
        case ROOT_PARTUUID:
                return d->partuuid[0] && strcasecmp(d->partuuid, spec->value) == 0;
        case ROOT_PARTLABEL:
                return d->partlabel[0] && strcmp(d->partlabel, spec->value) == 0;
        case ROOT_DEVNUM:
                return d->major == spec->major && d->minor == spec->minor;
        default:
                return false;
        }
}

const struct blockdev *blockdevs_find(const struct blockdevs *b, const struct root_spec *spec, unsigned *ret_dupes) {
        struct root_spec by_num = { .kind = ROOT_DEVNUM };
        const struct blockdev *found = NULL;
        unsigned dupes = 0;
        struct stat st;

        if (spec->kind == ROOT_PATH) {
                if (stat(spec->value, &st) < 0 || !S_ISBLK(st.st_mode))
                        return NULL;
                by_num.major = major(st.st_rdev);
                by_num.minor = minor(st.st_rdev);
                spec = &by_num;
        }
        for (size_t i = 0; i < b->n; i++)
                if (b->dev[i].probed && blockdev_matches(&b->dev[i], spec)) {
                        if (found)
                                dupes++;
                        else
                                found = &b->dev[i];
                }
        /* A device node whose device has size 0 is still "there" for root=/dev/X. */
        for (size_t i = 0; !found && spec == &by_num && i < b->n; i++)
                if (blockdev_matches(&b->dev[i], spec))
                        found = &b->dev[i];
        *ret_dupes = dupes;
        return found;
}

static void append(char *buf, size_t size, size_t *n, const char *s) {
        size_t l = strlen(s);

        if (*n + l + 4 >= size) {
                if (*n + 4 < size)
                        strcpy(buf + *n, "...");
                *n = size;
                return;
        }
        memcpy(buf + *n, s, l + 1);
        *n += l;
}

void blockdevs_describe(const struct blockdevs *b, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = 0;
        if (b->n == 0) {
                snprintf(buf, size, "no block devices");
                return;
        }
        for (size_t i = 0; i < b->n && n < size; i++) {
                const struct blockdev *d = &b->dev[i];
                char one[512], *p = one;
                size_t left = sizeof(one);
                int k;

                k = snprintf(p, left, "%s%s (", i ? ", " : "", d->name);
                p += k;
                left -= (size_t) k;
                if (!d->probed)
                        k = snprintf(p, left, "empty");
                else if (d->fs.type[0])
                        k = snprintf(p, left, "%s UUID=%s%s%s", d->fs.type, d->fs.uuid, d->fs.label[0] ? " LABEL=" : "",
                                     d->fs.label);
                else
                        k = snprintf(p, left, "no file system");
                if (k > 0 && (size_t) k < left) {
                        p += k;
                        left -= (size_t) k;
                }
                if (d->partuuid[0]) {
                        k = snprintf(p, left, " PARTUUID=%s%s%s", d->partuuid, d->partlabel[0] ? " PARTLABEL=" : "",
                                     d->partlabel);
                        if (k > 0 && (size_t) k < left) {
                                p += k;
                                left -= (size_t) k;
                        }
                }
                snprintf(p, left, ")");
                append(buf, size, &n, one);
        }
}
