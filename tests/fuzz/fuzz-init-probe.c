/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: what the initramfs's /init reads from disks and from its
 * own files. The first byte picks the parser, the rest is its input:
 *   0: probe_filesystem() on a device start (padded to PROBE_READ_SIZE with
 *      the input repeated, so btrfs's superblock at 64 KiB is reachable)
 *   1: gpt_parse_header() + gpt_parse_entry() + mbr_parse()
 *   2: cmdline_parse(), cmdline_module_params(), mount_options_parse()
 *   3: alias_table_parse() and matching the input's first line against it
 * Seeds: tests/fuzz/corpus/init-probe/ (real ext4, vfat, xfs, GPT and MBR sectors).
 * Checks: results are NUL-terminated within their fields, a recognised file
 * system has a type, no parser reads past its buffer (ASan).
 * Build and run:
 *   clang -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-init-probe.c src/init/probe.c src/init/cmdline.c src/init/modules.c \
 *         -o /tmp/fuzz-init-probe
 *   mkdir -p /tmp/corpus-init && /tmp/fuzz-init-probe -max_total_time=60 /tmp/corpus-init tests/fuzz/corpus/init-probe
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "init/cmdline.h"
#include "init/modules.h"
#include "init/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t size) {
        if (!memchr(s, 0, size))
                abort();
}

static void fuzz_fs(const uint8_t *data, size_t size) {
        static uint8_t buf[PROBE_READ_SIZE];
        struct probe_fs fs;
        size_t len = size;

        if (size == 0)
                return;
        if (len > sizeof(buf))
                len = sizeof(buf);
        /* Short inputs: also try them stretched to a whole device start. */
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = data[i % size];
        for (int pass = 0; pass < 2; pass++) {
                uint8_t *copy = malloc(pass ? sizeof(buf) : len);
                size_t n = pass ? sizeof(buf) : len;
                int r;

                if (!copy)
                        return;
                memcpy(copy, pass ? buf : data, n);
                r = probe_filesystem(copy, n, &fs);
                check_str(fs.type, sizeof(fs.type));
                check_str(fs.uuid, sizeof(fs.uuid));
                check_str(fs.label, sizeof(fs.label));
                if ((r == 1) != (fs.type[0] != 0))
                        abort();
                free(copy);
        }
}

static void fuzz_tables(const uint8_t *data, size_t size) {
        struct gpt_header g;
        char uuid[37], label[112];
        uint32_t sig;
        uint8_t *copy = malloc(size ? size : 1);

        if (!copy)
                return;
        memcpy(copy, data, size);
        if (gpt_parse_header(copy, size, &g) == 0) {
                check_str(g.disk_guid, sizeof(g.disk_guid));
                if (g.entry_size < 128 || g.n_entries == 0)
                        abort();
        }
        if (gpt_parse_entry(copy, size, uuid, label, sizeof(label)) == 0) {
                check_str(uuid, sizeof(uuid));
                check_str(label, sizeof(label));
        }
        mbr_parse(copy, size, &sig);
        free(copy);
}

static char *to_str(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (!s)
                return NULL;
        memcpy(s, data, size);
        s[size] = 0;
        return s;
}

static void fuzz_cmdline(const uint8_t *data, size_t size) {
        struct init_cmdline c;
        char params[256], mdata[128];
        unsigned long flags = MS_RDONLY;
        char *s = to_str(data, size);

        if (!s)
                return;
        cmdline_parse(s, &c);
        check_str(c.root.value, sizeof(c.root.value));
        check_str(c.root_arg, sizeof(c.root_arg));
        check_str(c.init, sizeof(c.init));
        check_str(c.problem, sizeof(c.problem));
        if (c.init[0] != '/')
                abort();
        if (c.root.kind == ROOT_NONE && c.root_arg[0])
                abort();
        if (cmdline_module_params(s, "virtio_blk", params, sizeof(params)) == 0)
                check_str(params, sizeof(params));
        if (mount_options_parse(c.rootflags, &flags, mdata, sizeof(mdata)) == 0)
                check_str(mdata, sizeof(mdata));
        module_list_contains(c.blacklist, "ext4");
        free(s);
}

static void fuzz_aliases(const uint8_t *data, size_t size) {
        struct alias_table t;
        char *s = to_str(data, size), first[256], dep[128];
        size_t l, i = 0;
        const struct alias_entry *e;

        if (!s)
                return;
        l = strcspn(s, "\n");
        if (l >= sizeof(first))
                l = sizeof(first) - 1;
        memcpy(first, s, l);
        first[l] = 0;
        if (alias_table_parse(s, &t) < 0)
                return;
        while ((e = alias_table_match(&t, first, &i))) {
                const char *deps = e->deps;
                if (!module_path_ok(e->module))
                        abort();
                while (alias_next_dep(&deps, dep, sizeof(dep)))
                        if (!module_path_ok(dep))
                                abort();
        }
        alias_table_done(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        switch (data[0] % 4) {
        case 0:
                fuzz_fs(data + 1, size - 1);
                break;
        case 1:
                fuzz_tables(data + 1, size - 1);
                break;
        case 2:
                fuzz_cmdline(data + 1, size - 1);
                break;
        default:
                fuzz_aliases(data + 1, size - 1);
        }
        return 0;
}
