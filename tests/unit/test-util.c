/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include "test.h"
#include "tmproot.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/spawn.h"
#include "util/strv.h"

TEST(path_join) {
        _cleanup_free_ char *a = path_join("/", "usr"), *b = path_join("/x/", "/y"), *c = path_join("a", "");
        ASSERT_STREQ(a, "/usr");
        ASSERT_STREQ(b, "/x/y");
        ASSERT_STREQ(c, "a");
}

TEST(strv) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *j = NULL;
        ASSERT_OK(strv_split("  b a   c ", " ", &l));
        ASSERT_EQ(strv_length(l), 3);
        strv_sort(l);
        j = strv_join(l, ",");
        ASSERT_STREQ(j, "a,b,c");
        ASSERT_TRUE(strv_contains(l, "b"));
        ASSERT_FALSE(strv_contains(l, "d"));
}

TEST(fs_in_root_cannot_escape) {
        char *d = mkroot();
        struct root r;
        _cleanup_free_ char *link = NULL;
        if (!d)
                FAIL_AT("%s", "mkdtemp failed");
        link = strdup_printf("%s/esc", d);
        ASSERT_OK(root_open(d, &r));
        /* a symlink pointing at the host's /etc resolves inside the root */
        ASSERT_EQ(symlink("/etc", link), 0);
        ASSERT_ERR(fs_open(r.fd, "/esc/passwd", O_RDONLY, 0), -ENOENT);
        ASSERT_ERR(fs_open(r.fd, "../../../etc/passwd", O_RDONLY, 0), -ENOENT);
        ASSERT_OK(fs_mkdir_p(r.fd, "/a/b/c", 0755));
        ASSERT_OK(fs_write_atomic(r.fd, "/a/b/c/f", "hello", 5, 0644));
        char *text = NULL;
        ASSERT_OK(fs_read_all(r.fd, "a/b/c/f", 100, &text, NULL));
        ASSERT_STREQ(text, "hello");
        free(text);
        /* writes through the escaping link land inside the root */
        ASSERT_ERR(fs_write_atomic(r.fd, "/esc/dk-test-file", "x", 1, 0644), -ENOENT);
        ASSERT_OK(fs_mkdir_p(r.fd, "/etc", 0755));
        ASSERT_OK(fs_write_atomic(r.fd, "/esc/dk-test-file", "x", 1, 0644));
        ASSERT_FALSE(access("/etc/dk-test-file", F_OK) == 0);
        ASSERT_TRUE(fs_exists(r.fd, "/etc/dk-test-file"));
        ASSERT_OK(fs_rm_rf(r.fd, "/a"));
        ASSERT_FALSE(fs_exists(r.fd, "/a"));
        root_done(&r);
        rmroot(d);
}

TEST(fs_tmp_failure_leaves_nothing) {
        char *d = mkroot();
        struct root r;
        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(fs_write_atomic(r.fd, "/f", "old", 3, 0644));
        {
                _cleanup_fs_tmp_ struct fs_tmp t = FS_TMP_INIT;
                ASSERT_OK(fs_tmp_open(r.fd, "/f", 0644, &t));
                ASSERT_OK(fd_write_all(t.fd, "new", 3));
                /* not committed: dropped */
        }
        char *text = NULL;
        ASSERT_OK(fs_read_all(r.fd, "/f", 100, &text, NULL));
        ASSERT_STREQ(text, "old");
        free(text);
        _cleanup_free_ char *cmd = strdup_printf("test $(ls -A '%s' | wc -l) -eq 1", d);
        ASSERT_EQ(system(cmd), 0);
        root_done(&r);
        rmroot(d);
}

/* A killed run leaves ".#NAME.<16 hex>" beside NAME: the next write of NAME
 * removes it, and nothing else. */
TEST(fs_tmp_open_drops_stale_temps) {
        char *d = mkroot();
        struct root r;
        ASSERT_OK(root_open(d, &r));
        ASSERT_OK(fs_write_atomic(r.fd, "/.#f.0123456789abcdef", "x", 1, 0644));
        ASSERT_OK(fs_write_atomic(r.fd, "/.#f.0123456789abcdeg", "x", 1, 0644));
        ASSERT_OK(fs_write_atomic(r.fd, "/.#g.0123456789abcdef", "x", 1, 0644));
        ASSERT_OK(fs_write_atomic(r.fd, "/.#f.x.0123456789abcdef", "x", 1, 0644));
        ASSERT_OK(fs_write_atomic(r.fd, "/f", "new", 3, 0644));
        ASSERT_FALSE(fs_exists(r.fd, "/.#f.0123456789abcdef"));
        ASSERT_TRUE(fs_exists(r.fd, "/.#f.0123456789abcdeg"));
        ASSERT_TRUE(fs_exists(r.fd, "/.#g.0123456789abcdef"));
        ASSERT_TRUE(fs_exists(r.fd, "/.#f.x.0123456789abcdef"));
        ASSERT_TRUE(fs_exists(r.fd, "/f"));
        root_done(&r);
        rmroot(d);
}

TEST(hash) {
        char hex[HASH_HEX_LEN];
        hash_buf("abc", 3, hex);
        ASSERT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(spawn) {
        char *out = NULL;
        ASSERT_EQ(spawn_capture((const char *const[]) { "sh", "-c", "echo hi; exit 3", NULL }, NULL, NULL, 100, &out), 3);
        ASSERT_STREQ(out, "hi\n");
        free(out);
        ASSERT_ERR(spawn_capture((const char *const[]) { "/nonexistent/prog", NULL }, NULL, NULL, 100, &out), -ENOENT);
}

TEST(json_escapes) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        struct json j;
        json_init(&j, f);
        json_object_begin(&j);
        json_kv_string(&j, "a", "x\"y\n\x01");
        json_key(&j, "l");
        json_array_begin(&j);
        json_int(&j, 1);
        json_bool(&j, false);
        json_null(&j);
        json_array_end(&j);
        json_object_end(&j);
        fclose(f);
        ASSERT_STREQ(buf, "{\"a\":\"x\\\"y\\n\\u0001\",\"l\":[1,false,null]}\n");
        free(buf);
}

TEST(host_paths_with_at_fdcwd) {
        _cleanup_free_ char *text = NULL, *target = NULL;
        char cwd[4096];
        struct stat st;

        /* AT_FDCWD means a host path, wherever we are */
        ASSERT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
        ASSERT_OK(chdir("/tmp"));
        ASSERT_OK(fs_read_all(AT_FDCWD, "/proc/self/stat", 1u << 16, &text, NULL));
        ASSERT_TRUE(strlen(text) > 0);
        ASSERT_OK(fs_stat(AT_FDCWD, "/proc/self/exe", &st));
        ASSERT_OK(fs_readlink(AT_FDCWD, "/proc/self/exe", &target));
        ASSERT_TRUE(target[0] == '/');
        ASSERT_OK(chdir(cwd));
}
