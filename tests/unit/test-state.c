/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include "test.h"
#include "tmproot.h"
#include "core/explain.h"
#include "core/lock.h"
#include "core/state.h"
#include "util/strv.h"

TEST(schema_and_rows) {
        char *d = mkroot();
        struct root r;
        struct state *s = NULL;
        struct state_pair *pairs = NULL;
        size_t n = 0;
        _cleanup_strv_free_ char **k = NULL, **ign = NULL;

        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(state_open(&r, 0, &s));
        ASSERT_OK(state_kernel_add(s, "6.1.0-50-amd64", "/boot/vmlinuz-6.1.0-50-amd64"));
        ASSERT_OK(state_kernel_set_ignored(s, "6.1.0-50-amd64", true));
        ASSERT_OK(state_kernel_list(s, &k, &ign));
        ASSERT_EQ(strv_length(k), 1);
        ASSERT_EQ(strv_length(ign), 1);
        ASSERT_OK(state_package_add(s, "foo", "1.0", "/usr/src/foo-1.0"));
        ASSERT_OK(state_pair_set(s, "foo", "1.0", "6.1.0-50-amd64", PAIR_FAILED, "k", "boom"));
        ASSERT_OK(state_pair_list(s, NULL, &pairs, &n));
        ASSERT_EQ(n, 1);
        ASSERT_EQ(pairs[0].state, PAIR_FAILED);
        ASSERT_STREQ(pairs[0].message, "boom");
        state_pair_list_free(pairs, n);
        state_close(s);
        /* reopening keeps everything and does not migrate again */
        ASSERT_OK(state_open(&r, STATE_READONLY, &s));
        ASSERT_OK(state_pair_list(s, "6.1.0-50-amd64", &pairs, &n));
        ASSERT_EQ(n, 1);
        state_pair_list_free(pairs, n);
        state_close(s);
        root_done(&r);
        rmroot(d);
}

TEST(rollback) {
        char *d = mkroot();
        struct root r;
        struct state *s = NULL;
        struct state_package *l = NULL;
        size_t n = 0;

        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(state_open(&r, 0, &s));
        ASSERT_OK(state_begin(s));
        ASSERT_OK(state_package_add(s, "foo", "1.0", "/usr/src/foo-1.0"));
        state_rollback(s);
        ASSERT_OK(state_package_list(s, &l, &n));
        ASSERT_EQ(n, 0);
        state_package_list_free(l, n);
        state_close(s);
        root_done(&r);
        rmroot(d);
}

TEST(hash_cache_notices_changes) {
        char *d = mkroot();
        struct root r;
        struct state *s = NULL;
        char a[HASH_HEX_LEN], b[HASH_HEX_LEN];

        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(state_open(&r, 0, &s));
        ASSERT_OK(fs_write_atomic(r.fd, "/f", "one", 3, 0644));
        ASSERT_OK(state_hash_file(s, r.fd, "/f", NULL, a));
        ASSERT_OK(fs_write_atomic(r.fd, "/f", "two", 3, 0644));
        ASSERT_OK(state_hash_file(s, r.fd, "/f", NULL, b));
        ASSERT_FALSE(streq(a, b));
        state_close(s);
        root_done(&r);
        rmroot(d);
}

TEST(newer_schema_refused) {
        char *d = mkroot();
        struct root r;
        struct state *s = NULL;
        _cleanup_free_ char *cmd = NULL;

        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(state_open(&r, 0, &s));
        state_close(s);
        cmd = strdup_printf("sqlite3 '%s/var/lib/distkernel/state.db' 'PRAGMA user_version=99' 2>/dev/null", d);
        if (system(cmd) == 0) {
                s = NULL;
                ASSERT_ERR(state_open(&r, 0, &s), -EPROTO);
        }
        root_done(&r);
        rmroot(d);
}

/* A second taker with LOCK_NO_WAIT gets -EAGAIN until the first closes its
 * fd; taking the lock writes nothing (a no-op run leaves the root as it was). */
TEST(lock_excludes_and_writes_nothing) {
        char *d = mkroot();
        struct root r;
        _cleanup_free_ char *text = NULL;
        bool waited = true;
        int fd, fd2;
        size_t len;

        ASSERT_OK(root_open(d, &r));
        fd = lock_take(&r, 0, &waited);
        ASSERT_OK(fd);
        ASSERT_FALSE(waited);
        ASSERT_OK(fs_read_all(r.fd, STATE_DIR "/lock", 64, &text, &len));
        ASSERT_EQ(len, 0);
        ASSERT_ERR(lock_take(&r, LOCK_NO_WAIT, &waited), -EAGAIN);
        close(fd);
        fd2 = lock_take(&r, LOCK_NO_WAIT, &waited);
        ASSERT_OK(fd2);
        close(fd2);
        root_done(&r);
        rmroot(d);
}

TEST(integrity_check) {
        char *d = mkroot(), *db = NULL, *problem = NULL;
        struct root r;
        struct state *s = NULL;
        char junk[512];
        FILE *f;

        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(state_open(&r, 0, &s));
        for (int i = 0; i < 200; i++) {
                char name[32];
                snprintf(name, sizeof name, "pkg%03d", i);
                ASSERT_OK(state_package_add(s, name, "1.0", "/usr/src/a-rather-long-path-to-fill-pages-1.0"));
        }
        ASSERT_EQ(state_check_integrity(s, &problem), 0);
        ASSERT_NULL(problem);
        state_close(s);
        /* garbage over the start of every page after the first (which holds
         * the schema): the b-tree pages of the tables */
        db = root_host_path(&r, STATE_DB);
        ASSERT_TRUE(db && (f = fopen(db, "r+")));
        unsigned char hdr[18];
        ASSERT_EQ(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
        long page = hdr[16] << 8 | hdr[17], size;
        ASSERT_OK(fseek(f, 0, SEEK_END));
        size = ftell(f);
        ASSERT_TRUE(page >= 512 && size >= 2 * page);
        memset(junk, 0x5a, sizeof junk);
        for (long off = page; off < size; off += page) {
                ASSERT_OK(fseek(f, off, SEEK_SET));
                ASSERT_EQ(fwrite(junk, 1, sizeof junk, f), sizeof junk);
        }
        ASSERT_OK(fclose(f));
        ASSERT_OK(state_open(&r, STATE_READONLY, &s));
        ASSERT_EQ(state_check_integrity(s, &problem), 1);
        ASSERT_TRUE(problem && *problem);
        free(problem);
        free(db);
        state_close(s);
        root_done(&r);
        rmroot(d);
}

/* A node's recorded inputs, compared with new ones, name exactly what changed,
 * what appeared and what no longer applies. */
TEST(inputs_explain) {
        char *d = mkroot();
        struct root r;
        struct state *s = NULL;
        struct inputs old = {}, cur = {}, back = {};
        struct reasons why = {};
        _cleanup_free_ char *joined = NULL;

        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(state_open(&r, 0, &s));
        ASSERT_EQ(inputs_recorded(s, "initramfs:6.1.0-50-amd64", &back), -ENOENT);
        ASSERT_OK(inputs_add(&old, "cmdline", "root=/dev/sda1", "the command line changed"));
        ASSERT_OK(inputs_add(&old, "init", "a", "init changed"));
        ASSERT_OK(inputs_add(&old, "stub", "x", "the stub changed"));
        ASSERT_OK(inputs_record(s, "initramfs:6.1.0-50-amd64", &old));
        ASSERT_OK(inputs_recorded(s, "initramfs:6.1.0-50-amd64", &back));
        ASSERT_EQ(back.n, 3);
        ASSERT_STREQ(back.v[0].name, "cmdline");
        ASSERT_STREQ(back.v[0].value, old.v[0].value);

        ASSERT_OK(inputs_add(&cur, "cmdline", "root=/dev/sda2", "the command line changed"));
        ASSERT_OK(inputs_add(&cur, "stub", "x", "the stub changed"));
        ASSERT_OK(inputs_add(&cur, "secureboot-cert", "f00", "secureboot-cert changed"));
        ASSERT_EQ(reasons_diff(&why, &back, &cur), 3);
        ASSERT_STREQ(why.v[0].input, "cmdline");
        ASSERT_STREQ(why.v[1].input, "secureboot-cert");
        ASSERT_STREQ(why.v[2].input, "init");
        joined = reasons_join(&why);
        ASSERT_STREQ(joined, "the command line changed; secureboot-cert changed; init no longer applies");
        reasons_done(&why);
        ASSERT_EQ(reasons_diff(&why, &back, &back), 0);
        ASSERT_TRUE(reasons_join(&why) == NULL);

        /* forgetting: explicitly, with the package, with the kernel */
        ASSERT_OK(inputs_record(s, "initramfs:6.1.0-50-amd64", NULL));
        inputs_done(&back);
        ASSERT_EQ(inputs_recorded(s, "initramfs:6.1.0-50-amd64", &back), -ENOENT);
        ASSERT_OK(state_kernel_add(s, "6.1.0-50-amd64", "/boot/vmlinuz-6.1.0-50-amd64"));
        ASSERT_OK(state_package_add(s, "foo", "1.0", "/usr/src/foo-1.0"));
        ASSERT_OK(state_pair_set(s, "foo", "1.0", "6.1.0-50-amd64", PAIR_INSTALLED, "k", NULL));
        ASSERT_OK(inputs_record(s, "pair:foo/1.0/6.1.0-50-amd64", &cur));
        ASSERT_OK(state_package_remove(s, "foo", "1.0"));
        ASSERT_EQ(inputs_recorded(s, "pair:foo/1.0/6.1.0-50-amd64", &back), -ENOENT);
        ASSERT_OK(state_pair_set(s, "foo", "1.0", "6.1.0-50-amd64", PAIR_INSTALLED, "k", NULL));
        ASSERT_OK(inputs_record(s, "pair:foo/1.0/6.1.0-50-amd64", &cur));
        ASSERT_OK(inputs_record(s, "boot:6.1.0-50-amd64", &cur));
        ASSERT_OK(state_kernel_remove(s, "6.1.0-50-amd64"));
        ASSERT_EQ(inputs_recorded(s, "pair:foo/1.0/6.1.0-50-amd64", &back), -ENOENT);
        ASSERT_EQ(inputs_recorded(s, "boot:6.1.0-50-amd64", &back), -ENOENT);
        inputs_done(&old);
        inputs_done(&cur);
        reasons_done(&why);
        state_close(s);
        root_done(&r);
        rmroot(d);
}
