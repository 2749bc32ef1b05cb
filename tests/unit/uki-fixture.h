/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Synthetic PE images and a scratch-directory fixture for test-uki.c and the
 * seeds of tests/fuzz/fuzz-pe.c: syn_build() lays out a DOS header, "PE\0\0",
 * a COFF header, a PE32+ (or PE32) optional header with 16 data directories and
 * a section table, with each section's data (a text or a byte pattern) at the
 * given raw offset, and optionally a COFF symbol table at the end. */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include "uki/pe.h"
#include "uki/uki.h"
#include "util/fs.h"
#include "util/strv.h"

/* ------------------------------------------------------- synthetic images */

struct syn_sec {
        const char *name;
        uint32_t va, vs, ptr, size, flags;
        const char *text; /* the data; a byte pattern when NULL */
};

struct syn {
        uint32_t lfanew; /* 0: SYN_LFANEW */
        uint16_t machine, magic;
        uint64_t image_base;
        uint32_t sa, fa, soh, security_va;
        bool symtab;
        size_t n;
        struct syn_sec s[6];
};

#define SYN_LFANEW 0x80u
#define SYN_OPT (SYN_LFANEW + 24u)

static uint32_t syn_opt_size(const struct syn *p) {
        return (p->magic == PE_MAGIC_PE32 ? 96u : 112u) + 8u * 16u;
}
static uint32_t syn_lfanew(const struct syn *p) {
        return p->lfanew ?: SYN_LFANEW;
}
static uint32_t syn_table(const struct syn *p) {
        return syn_lfanew(p) + 24 + syn_opt_size(p);
}

static void syn_headers(const struct syn *p, uint8_t *d, uint32_t symtab) {
        uint8_t *coff = d + syn_lfanew(p) + 4, *o = d + syn_lfanew(p) + 24;
        uint32_t fixed = p->magic == PE_MAGIC_PE32 ? 96 : 112;

        d[0] = 'M', d[1] = 'Z';
        pe_put32(d + 0x3c, syn_lfanew(p));
        memcpy(d + syn_lfanew(p), "PE\0\0", 4);
        pe_put16(coff, p->machine);
        pe_put16(coff + 2, (uint16_t) p->n);
        pe_put32(coff + 8, symtab);
        pe_put32(coff + 12, symtab ? 3 : 0);
        pe_put16(coff + 16, (uint16_t) syn_opt_size(p));
        pe_put16(coff + 18, 0x206);
        pe_put16(o, p->magic);
        pe_put32(o + 8, 0x1000);
        if (p->magic == PE_MAGIC_PE32PLUS) {
                pe_put32(o + 24, (uint32_t) p->image_base);
                pe_put32(o + 28, (uint32_t) (p->image_base >> 32));
        } else
                pe_put32(o + 28, (uint32_t) p->image_base);
        pe_put32(o + 32, p->sa);
        pe_put32(o + 36, p->fa);
        pe_put32(o + 56, 0x10000);
        pe_put32(o + 60, p->soh);
        pe_put16(o + 68, 10);
        pe_put32(o + fixed - 4, 16);
        pe_put32(o + fixed + 8 * PE_DIR_SECURITY, p->security_va);
        pe_put32(o + fixed + 8 * PE_DIR_SECURITY + 4, p->security_va ? 0x100 : 0);
}

static void syn_section(const struct syn_sec *s, uint8_t *h, uint8_t *d) {
        memcpy(h, s->name, strnlen(s->name, 8));
        pe_put32(h + 8, s->vs);
        pe_put32(h + 12, s->va);
        pe_put32(h + 16, s->size);
        pe_put32(h + 20, s->ptr);
        pe_put32(h + 36, s->flags);
        for (uint32_t k = 0; k < s->size; k++)
                d[s->ptr + k] = s->text ? (k < strlen(s->text) ? (uint8_t) s->text[k] : 0)
                                        : (uint8_t) (k * 7 + s->va / 256 + 1);
}

static uint8_t *syn_build(const struct syn *p, size_t *ret_len) {
        size_t end = p->soh, symtab = 0;
        uint8_t *d;

        for (size_t i = 0; i < p->n; i++)
                if (p->s[i].ptr + p->s[i].size > end)
                        end = p->s[i].ptr + p->s[i].size;
        if (p->symtab) {
                symtab = end;
                end += 18 * 3 + 12; /* three symbols, a 12-byte string table */
        }
        d = calloc(1, end);
        if (!d)
                abort();
        syn_headers(p, d, (uint32_t) symtab);
        for (size_t i = 0; i < p->n; i++)
                syn_section(&p->s[i], d + syn_table(p) + 40 * i, d);
        if (p->symtab) {
                pe_put32(d + symtab + 54, 12);
                memcpy(d + symtab + 58, "_start\0\0", 8);
        }
        *ret_len = end;
        return d;
}

static const char stub_sbat[] =
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
        "systemd-stub,1,The systemd Developers,systemd,254,https://systemd.io/\n";
static const char kernel_sbat[] =
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
        "linux,1,The Linux Developers,linux,6.1,https://linux.org/\n";
static const char sbat_hdr[] = "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n";
static const char sbat_uki_line[] = "uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/\n";

/* As systemd v254+ builds them: ImageBase above 4 GiB, 4096/512 alignment. */
static struct syn stub_v254(void) {
        return (struct syn) {
                .machine = PE_MACHINE_X86_64, .magic = PE_MAGIC_PE32PLUS, .image_base = 0x1a2b30000ull,
                .sa = 4096, .fa = 512, .soh = 0x400, .n = 3,
                .s = {
                        { ".text", 0x1000, 0x1234, 0x400, 0x1400, 0x60000020, NULL },
                        { ".data", 0x3000, 0x100, 0x1800, 0x200, 0xc0000040, NULL },
                        { ".sbat", 0x4000, sizeof stub_sbat - 1, 0x1a00, 0x200, 0x40000040, stub_sbat },
                },
        };
}

/* As gnu-efi built v252's: ImageBase 0, 512/512, unaligned raw data, symbols. */
static struct syn stub_v252(void) {
        return (struct syn) {
                .machine = PE_MACHINE_X86_64, .magic = PE_MAGIC_PE32PLUS, .sa = 512, .fa = 512,
                .soh = 0x400, .symtab = true, .n = 4,
                .s = {
                        { ".text", 0x4000, 0x1ff0, 0x400, 0x2000, 0x60000020, NULL },
                        { ".data", 0x6000, 0x123, 0x2400, 0x123, 0xc0000040, NULL },
                        { ".sbat", 0x7000, sizeof stub_sbat - 1, 0x2523, 0x100, 0x40000040, stub_sbat },
                        { ".sdmagic", 0x7100, 0x34, 0x2623, 0x34, 0x40000040, NULL },
                },
        };
}

static struct syn kernel_syn(bool with_sbat) {
        return (struct syn) {
                .machine = PE_MACHINE_X86_64, .magic = PE_MAGIC_PE32PLUS, .sa = 4096, .fa = 512,
                .soh = 0x200, .n = with_sbat ? 2 : 1,
                .s = {
                        { ".text", 0x1000, 0x3000, 0x200, 0x3000, 0x60000020, NULL },
                        { ".sbat", 0x4000, sizeof kernel_sbat - 1, 0x3200, 0x200, 0x40000040, kernel_sbat },
                },
        };
}

/* ----------------------------------------------------------------- helpers */

struct fixture {
        char dir[64];
        struct root root;
};

static int write_file(const char *path, const void *data, size_t len) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        return fd < 0 ? -errno : fd_write_all(fd, data, len);
}

static char *fx_path(struct fixture *f, const char *name) {
        return path_join(f->dir, name);
}

/* Writes a synthetic image to DIR/name. */
static int fx_syn(struct fixture *f, const char *name, const struct syn *p) {
        _cleanup_free_ char *path = fx_path(f, name);
        size_t len;
        _cleanup_free_ uint8_t *d = syn_build(p, &len);
        return write_file(path, d, len);
}

static int fx_init(struct fixture *f) {
        _cleanup_free_ char *root = NULL;
        snprintf(f->dir, sizeof f->dir, "/tmp/dk-test-uki-XXXXXX");
        if (!mkdtemp(f->dir))
                return -errno;
        root = fx_path(f, "root");
        if (mkdir(root, 0755) < 0)
                return -errno;
        return root_open(root, &f->root);
}

static void fx_done(struct fixture *f) {
        _cleanup_free_ char *cmd = strdup_printf("rm -rf '%s'", f->dir);
        root_done(&f->root);
        if (cmd && system(cmd) != 0)
                fprintf(stderr, "cleanup of %s failed\n", f->dir);
}
#define _cleanup_fixture_ _cleanup_(fx_done)

static char *read_host(const char *path, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        char *s = NULL;
        return fd >= 0 && fd_read_all(fd, 256u << 20, &s, ret_len) >= 0 ? s : NULL;
}

/* Standard inputs in DIR: stub.efi (from p), vmlinuz, initrd (odd length). */
static int fx_inputs(struct fixture *f, const struct syn *stub, bool kernel_sbat_section) {
        struct syn k = kernel_syn(kernel_sbat_section);
        _cleanup_free_ char *initrd = fx_path(f, "initrd");
        _cleanup_free_ uint8_t *data = malloc(100001);
        int r;

        if (!data)
                return -ENOMEM;
        for (size_t i = 0; i < 100001; i++)
                data[i] = (uint8_t) (i * 13 + 5);
        r = fx_syn(f, "stub.efi", stub);
        if (r >= 0)
                r = fx_syn(f, "vmlinuz", &k);
        if (r >= 0)
                r = write_file(initrd, data, 100001);
        return r;
}

struct req_paths {
        char *stub, *linux_path, *initrd;
};

static void req_paths_done(struct req_paths *p) {
        free(p->stub);
        free(p->linux_path);
        free(p->initrd);
}

static struct uki_request fx_request(struct fixture *f, struct req_paths *p, const char *output) {
        p->stub = fx_path(f, "stub.efi");
        p->linux_path = fx_path(f, "vmlinuz");
        p->initrd = fx_path(f, "initrd");
        return (struct uki_request) {
                .rootfd = f->root.fd, .output = output, .stub = p->stub, .arch = "x64",
                .linux_path = p->linux_path, .initrd = p->initrd,
                .cmdline = "console=ttyS0 panic=-1", .os_release = "ID=debian\nVERSION_ID=12\n",
                .uname = "6.1.0-55-amd64",
        };
}
