/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small driver of uki_build() and uki_inspect() for the boot test and the
 * measurements (until the CLI has a command for it):
 *
 *   mkuki [--root DIR] --output PATH --linux KERNEL [--initrd FILE] [--cmdline TEXT]
 *         [--os-release FILE] [--uname KVER] [--stub FILE] [--arch ARCH]
 *         [--splash FILE] [--dtb FILE]
 *   mkuki [--root DIR] --inspect PATH
 *
 * Built by tests/uki/boot-uki.sh and tests/uki/bench-uki.sh:
 *   cc -O2 -std=gnu11 -D_GNU_SOURCE -Isrc tests/uki/mkuki.c src/uki/{pe,pe-builder,uki}.c \
 *      src/util/{fs,log,strv}.c -o mkuki */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include "uki/uki.h"
#include "util/fs.h"
#include "util/log.h"

static void print_msg(void *userdata, enum log_level level, const char *msg) {
        fprintf(stderr, "mkuki: %s\n", msg);
}

static int inspect(int rootfd, const char *path) {
        _cleanup_uki_info_ struct uki_info info = {};
        int r = uki_inspect(rootfd, path, &info);

        if (r < 0)
                return r;
        printf("machine 0x%04x image-base 0x%llx section-alignment 0x%x file-alignment 0x%x "
               "size-of-image 0x%x checksum 0x%08x computed 0x%08x\n",
               info.pe.machine, (unsigned long long) info.pe.image_base, info.pe.section_alignment,
               info.pe.file_alignment, info.pe.size_of_image, info.pe.checksum, info.computed_checksum);
        for (unsigned i = 0; i < info.pe.n_sections; i++) {
                const struct pe_section *s = &info.pe.sections[i];
                printf("%-8s va 0x%08x vsize 0x%08x raw 0x%08x rawsize 0x%08x flags 0x%08x\n", s->name,
                       s->virtual_address, s->virtual_size, s->pointer_to_raw_data, s->size_of_raw_data,
                       s->characteristics);
        }
        return 0;
}

static int read_file(const char *path, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd_read_all(fd, 1 << 20, ret, NULL);
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'R' },     { "output", required_argument, NULL, 'o' },
                { "linux", required_argument, NULL, 'l' },    { "initrd", required_argument, NULL, 'i' },
                { "cmdline", required_argument, NULL, 'c' },  { "os-release", required_argument, NULL, 'O' },
                { "uname", required_argument, NULL, 'u' },    { "stub", required_argument, NULL, 's' },
                { "arch", required_argument, NULL, 'a' },     { "splash", required_argument, NULL, 'S' },
                { "dtb", required_argument, NULL, 'd' },      { "inspect", required_argument, NULL, 'I' },
                {},
        };
        struct uki_request req = {};
        const char *root = "/", *inspect_path = NULL;
        _cleanup_free_ char *osrel = NULL;
        struct root rt;
        int c, r;

        log_set_sink(print_msg, NULL);
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'R': root = optarg; break;
                case 'o': req.output = optarg; break;
                case 'l': req.linux_path = optarg; break;
                case 'i': req.initrd = optarg; break;
                case 'c': req.cmdline = optarg; break;
                case 'u': req.uname = optarg; break;
                case 's': req.stub = optarg; break;
                case 'a': req.arch = optarg; break;
                case 'S': req.splash = optarg; break;
                case 'd': req.dtb = optarg; break;
                case 'I': inspect_path = optarg; break;
                case 'O':
                        r = read_file(optarg, &osrel);
                        if (r < 0) {
                                fprintf(stderr, "mkuki: '%s': %s\n", optarg, strerror(-r));
                                return 1;
                        }
                        req.os_release = osrel;
                        break;
                default: return 2;
                }
        }
        r = root_open(root, &rt);
        if (r < 0) {
                fprintf(stderr, "mkuki: '%s': %s\n", root, strerror(-r));
                return 1;
        }
        req.rootfd = rt.fd;
        r = inspect_path ? inspect(rt.fd, inspect_path) : uki_build(&req);
        root_done(&rt);
        return r < 0 ? 1 : 0;
}
