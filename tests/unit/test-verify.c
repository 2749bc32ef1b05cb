/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include "logcapture.h"
#include "test.h"
#include "tmproot.h"
#include "boot/bls.h"
#include "boot/boot.h"
#include "boot/verify.h"
#include "core/state.h"
#include "util/strv.h"

#define KV "6.1.0-50-amd64"

TEST(bls_entry_files_parses_references) {
        _cleanup_strv_free_ char **l = NULL;

        ASSERT_OK(bls_entry_files("title Debian\n"
                                  "# linux /commented/out\n"
                                  "version " KV "\n"
                                  "options root=LABEL=x initrd=/not/a/key\n"
                                  "  linux\t/tok/" KV "/linux  \n"
                                  "initrd /tok/" KV "/microcode /tok/" KV "/initrd\r\n"
                                  "initrd /extra\n"
                                  "devicetree /dtb\n"
                                  "linuxefi /not/a/key\n", &l));
        ASSERT_EQ(strv_length(l), 5);
        ASSERT_STREQ(l[0], "/tok/" KV "/linux");
        ASSERT_STREQ(l[1], "/tok/" KV "/microcode");
        ASSERT_STREQ(l[2], "/tok/" KV "/initrd");
        ASSERT_STREQ(l[3], "/extra");
        ASSERT_STREQ(l[4], "/dtb");
}

TEST(bls_entry_files_empty_and_malformed) {
        char **l = (char **) 1;

        ASSERT_OK(bls_entry_files("title nothing\n\n", &l));
        ASSERT_NULL(l);
        l = (char **) 1;
        ASSERT_OK(bls_entry_files("", &l));
        ASSERT_NULL(l);
        ASSERT_ERR(bls_entry_files("linux /a\ninitrd   \n", &l), -EBADMSG);
        ASSERT_ERR(bls_entry_files("linux\n", &l), -EBADMSG);
}

TEST(bls_entry_boot_dir_and_paths) {
        _cleanup_free_ char *a = bls_entry_boot_dir("/efi/loader/entries/tok-" KV ".conf");
        _cleanup_free_ char *b = bls_entry_boot_dir("/loader/entries/x.conf");
        _cleanup_free_ char *c = bls_entry_boot_dir("/efi/x.conf");
        _cleanup_free_ char *d = bls_entry_boot_dir("/efi/loader/entries/sub/x.conf");

        ASSERT_STREQ(a, "/efi");
        ASSERT_STREQ(b, "/");
        ASSERT_NULL(c);
        ASSERT_NULL(d);
        ASSERT_TRUE(bls_path_valid("/tok/" KV "/linux"));
        ASSERT_TRUE(bls_path_valid("tok/..x/linux"));
        ASSERT_FALSE(bls_path_valid("/tok/../../etc/shadow"));
        ASSERT_FALSE(bls_path_valid(".."));
        ASSERT_FALSE(bls_path_valid("/a/.."));
        ASSERT_FALSE(bls_path_valid(""));
}

/* A file written and recorded as distkernel records it. */
static int put(struct root *r, struct state *s, const char *path, const char *data, const char *owner,
               const char *version) {
        struct state_file f = { .path = (char *) path, .kver = (char *) KV, .name = (char *) owner,
                                .version = (char *) version };
        struct stat st;
        int q;

        q = fs_mkdir_parent(r->fd, path, 0755);
        if (q >= 0)
                q = fs_write_atomic(r->fd, path, data, strlen(data), 0644);
        if (q < 0)
                return q;
        hash_buf(data, strlen(data), f.sha256);
        q = fs_lstat(r->fd, path, &st);
        if (q < 0)
                return q;
        f.size = st.st_size;
        f.mtime_ns = timespec_ns(st.st_mtim);
        f.ino = (int64_t) st.st_ino;
        return state_file_add(s, &f);
}

static const struct verify_finding *find(const struct verify_report *rep, const char *path) {
        for (size_t i = 0; i < rep->n_findings; i++)
                if (streq_ptr(rep->findings[i].path, path))
                        return &rep->findings[i];
        return NULL;
}

static const char entry[] = "title Test\nversion " KV "\nlinux /tok/" KV "/linux\ninitrd /tok/" KV "/initrd\n";

/* A bls root: a module, an initramfs, the entry and its files; the kernel the
 * default, installed. */
static int make_root(struct root *r, struct state *s) {
        int q = 0;

        if (q >= 0)
                q = put(r, s, "/usr/lib/modules/" KV "/updates/dkms/foo.ko", "module", "foo", "1.0");
        if (q >= 0)
                q = put(r, s, "/var/lib/distkernel/initramfs/initrd.img-" KV, "initramfs", "(initramfs)", "builtin");
        if (q >= 0)
                q = put(r, s, "/efi/tok/" KV "/linux", "kernel", BOOT_OWNER, "bls");
        if (q >= 0)
                q = put(r, s, "/efi/tok/" KV "/initrd", "initramfs", BOOT_OWNER, "bls");
        if (q >= 0)
                q = put(r, s, "/efi/loader/entries/tok-" KV ".conf", entry, BOOT_OWNER, "bls");
        if (q >= 0)
                q = state_kernel_add(s, KV, "/boot/vmlinuz-" KV);
        if (q >= 0)
                q = state_meta_set(s, "kernel:" KV ":boot-key", "k");
        if (q >= 0)
                q = state_meta_set(s, "kernel:" KV ":boot-status", "installed");
        if (q >= 0)
                q = state_meta_set(s, "boot:default", KV);
        return q;
}

TEST(verify_intact_then_each_problem) {
        _cleanup_(verify_report_done) struct verify_report rep = {};
        static const struct config cfg = {};
        const struct verify_finding *f;
        char *d = mkroot();
        struct root r;
        struct state *s = NULL;

        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(state_open(&r, 0, &s));
        ASSERT_OK(make_root(&r, s));
        ASSERT_OK(verify_run(&r, s, &cfg, 0, &rep));
        ASSERT_EQ(rep.n_findings, 0);
        ASSERT_EQ(rep.n_files, 5);
        ASSERT_STREQ(rep.default_kver, KV);
        verify_report_done(&rep);

        /* same size, other bytes; a missing initrd; a symlink for the initramfs */
        ASSERT_OK(fs_write_atomic(r.fd, "/usr/lib/modules/" KV "/updates/dkms/foo.ko", "MODULE", 6, 0644));
        ASSERT_OK(fs_unlink(r.fd, "/efi/tok/" KV "/initrd"));
        ASSERT_OK(fs_unlink(r.fd, "/var/lib/distkernel/initramfs/initrd.img-" KV));
        ASSERT_TRUE(symlinkat("/etc/hostname", r.fd, "var/lib/distkernel/initramfs/initrd.img-" KV) == 0);
        ASSERT_OK(verify_run(&r, s, &cfg, 0, &rep));
        f = find(&rep, "/usr/lib/modules/" KV "/updates/dkms/foo.ko");
        ASSERT_TRUE(f && f->problem == VERIFY_MODIFIED);
        ASSERT_STREQ(f->owner, "foo");
        ASSERT_STREQ(f->version, "1.0");
        ASSERT_STREQ(f->kver, KV);
        f = find(&rep, "/efi/tok/" KV "/initrd");
        ASSERT_TRUE(f && f->problem == VERIFY_MISSING);
        f = find(&rep, "/var/lib/distkernel/initramfs/initrd.img-" KV);
        ASSERT_TRUE(f && f->problem == VERIFY_NOT_REGULAR);
        f = find(&rep, "/efi/loader/entries/tok-" KV ".conf");
        ASSERT_TRUE(f && f->problem == VERIFY_BROKEN_ENTRY);
        ASSERT_TRUE(f->detail && strstr(f->detail, "'/efi/tok/" KV "/initrd' does not exist"));
        f = find(&rep, NULL);
        ASSERT_TRUE(f && f->problem == VERIFY_DEFAULT_INCOMPLETE);
        ASSERT_STREQ(f->kver, KV);
        ASSERT_EQ(rep.n_findings, 5);
        /* nothing was logged: the problems are the findings */
        ASSERT_FALSE(logged("initrd"));

        state_close(s);
        root_done(&r);
        rmroot(d);
}

TEST(verify_entry_leaving_boot_and_default) {
        _cleanup_(verify_report_done) struct verify_report rep = {};
        static const struct config cfg = {};
        const struct verify_finding *f;
        char *d = mkroot();
        struct root r;
        struct state *s = NULL;

        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(state_open(&r, 0, &s));
        ASSERT_OK(make_root(&r, s));
        ASSERT_OK(put(&r, s, "/efi/loader/entries/tok-" KV ".conf", "linux /tok/../../etc/passwd\n", BOOT_OWNER,
                      "bls"));
        ASSERT_OK(state_meta_set(s, "kernel:" KV ":boot-status", "held: foo/1.0 failed to build"));
        ASSERT_OK(verify_run(&r, s, &cfg, 0, &rep));
        f = find(&rep, "/efi/loader/entries/tok-" KV ".conf");
        ASSERT_TRUE(f && f->problem == VERIFY_BROKEN_ENTRY);
        ASSERT_TRUE(f->detail && strstr(f->detail, "leads out of '/efi'"));
        f = find(&rep, NULL);
        ASSERT_TRUE(f && f->problem == VERIFY_DEFAULT_INCOMPLETE);
        ASSERT_TRUE(f->detail && strstr(f->detail, "held: foo/1.0"));
        verify_report_done(&rep);

        ASSERT_OK(state_meta_set(s, "boot:default", NULL));
        ASSERT_OK(verify_run(&r, s, &cfg, 0, &rep));
        f = find(&rep, NULL);
        ASSERT_TRUE(f && f->problem == VERIFY_NO_DEFAULT);
        state_close(s);
        root_done(&r);
        rmroot(d);
}
