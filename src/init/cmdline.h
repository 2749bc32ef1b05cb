/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The kernel command line as the initramfs's /init reads it. Pure: parses
 * strings into fixed-size structs, no I/O, no allocation. */
#include <stdbool.h>
#include <stddef.h>

enum root_kind {
        ROOT_NONE,      /* no root= given */
        ROOT_PATH,      /* /dev/vda2 */
        ROOT_DEVNUM,    /* 254:2 */
        ROOT_UUID,      /* UUID=... (file system UUID) */
        ROOT_LABEL,     /* LABEL=... */
        ROOT_PARTUUID,  /* PARTUUID=... (GPT partition GUID, or MBR SSSSSSSS-NN) */
        ROOT_PARTLABEL, /* PARTLABEL=... (GPT partition name) */
};

/* Where rd.break stops, if anywhere. */
enum rd_break {
        BREAK_NONE,
        BREAK_PRE_MOUNT, /* rd.break=pre-mount: before looking for the root */
        BREAK_PRE_PIVOT, /* rd.break, rd.break=pre-pivot: root mounted, before switching */
};

struct root_spec {
        enum root_kind kind;
        char value[256];       /* the path, or the value after "UUID=" etc. */
        unsigned major, minor; /* ROOT_DEVNUM */
};

struct init_cmdline {
        struct root_spec root;
        char root_arg[256];    /* root= as given, for messages */
        char rootfstype[128];  /* comma-separated list, "" if not given */
        char rootflags[256];
        char init[256];        /* default /sbin/init */
        bool init_given;       /* init= was on the command line */
        bool rw;               /* default false: mount the root read-only */
        bool debug;            /* rd.debug */
        bool quiet;            /* quiet */
        enum rd_break brk;
        unsigned timeout_s;    /* rd.timeout=, default 30; 0 waits forever */
        char blacklist[256];   /* modprobe.blacklist= and rd.driver.blacklist=, comma-separated */
        char problem[160];     /* the first word ignored as malformed, and why; "" if none */
};

#define ROOT_TIMEOUT_DEFAULT 30

/* Parse a kernel command line (the contents of /proc/cmdline) into *ret.
 * Words are separated by white space; double quotes group (the kernel's
 * rules: root="LABEL=my root" and root=LABEL="my root" both work); parsing
 * stops at "--". A later word overrides an earlier one. Never fails: a
 * malformed word is ignored and the first such is described in ret->problem. */
void cmdline_parse(const char *s, struct init_cmdline *ret);

/* Parse a root= value. Returns 0, or -EINVAL for an empty or malformed value
 * (UUID= with nothing after it, a relative path, a bad MAJ:MIN), -ENAMETOOLONG
 * when it does not fit. /dev/disk/by-{uuid,label,partuuid,partlabel}/X are
 * turned into the matching tag (udev's \xNN escapes decoded), since no udev
 * makes those links here. */
int root_spec_parse(const char *s, struct root_spec *ret);

/* Split mount options as mount(8) takes them ("noatime,errors=remount-ro")
 * into MS_* flags and the rest for the file system's data argument. The flags
 * start from *flags (MS_RDONLY or not), "ro"/"rw" override it. Returns 0 or
 * -ENAMETOOLONG when the data does not fit in data_size. */
int mount_options_parse(const char *opts, unsigned long *flags, char *data, size_t data_size);

/* Iterate over the next word of a command line: *s is advanced past it. The
 * word, quotes removed, is copied to buf (truncated to size - 1; *truncated
 * tells). Returns false at the end. */
bool cmdline_next_word(const char **s, char *buf, size_t size, bool *truncated);

/* Does the comma-separated list contain name? '-' and '_' are the same, as in
 * module names. */
bool module_list_contains(const char *list, const char *name);

/* Copy "NAME.param=value" words for module NAME from the command line into
 * buf as "param=value param2=value2" (kmod's rule: '-' and '_' are the same in
 * NAME). Returns 0 or -ENAMETOOLONG. */
int cmdline_module_params(const char *cmdline, const char *name, char *buf, size_t size);
