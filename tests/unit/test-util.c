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

/* For files in a directory someone else controls: no link anywhere, nothing
 * outside, and the open never follows what it refuses. */
TEST(fs_open_beneath) {
        char *d = mkroot();
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *f = NULL, *l1 = NULL, *l2 = NULL, *sub = NULL;

        if (!d)
                FAIL_AT("%s", "mkdtemp failed");
        f = strdup_printf("%s/m.ko", d);
        l1 = strdup_printf("%s/link.ko", d);
        l2 = strdup_printf("%s/dirlink", d);
        sub = strdup_printf("%s/sub", d);
        ASSERT_EQ(mkdir(sub, 0755), 0);
        fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        ASSERT_TRUE(fd >= 0);
        closep(&fd);
        ASSERT_EQ(symlink("/etc/passwd", l1), 0);
        ASSERT_EQ(symlink("/etc", l2), 0);
        dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(dfd >= 0);
        fd = fs_open_beneath(dfd, "./m.ko", O_RDONLY);
        ASSERT_TRUE(fd >= 0);
        closep(&fd);
        ASSERT_ERR(fs_open_beneath(dfd, "link.ko", O_RDONLY), -ELOOP);
        ASSERT_ERR(fs_open_beneath(dfd, "dirlink/passwd", O_RDONLY), -ELOOP);
        ASSERT_ERR(fs_open_beneath(dfd, "sub/../../etc/passwd", O_RDONLY), -EXDEV);
        ASSERT_ERR(fs_open_beneath(dfd, "/etc/passwd", O_RDONLY), -EXDEV);
        ASSERT_ERR(fs_open_beneath(dfd, "sub/none.ko", O_RDONLY), -ENOENT);
        rmroot(d);
}

/* As root: a spawn with a user runs with that uid and gid only, no groups, and
 * cannot become root again (not even through a setuid program). */
TEST(spawn_as_user) {
        struct spawn_user u = { .uid = 65534, .gid = 65534 };
        struct spawn s = SPAWN_INIT;

        if (geteuid() != 0) {
                fprintf(stderr, "skipped: not root\n");
                return;
        }
        s.user = &u;
        s.argv = (const char *const[]) { "sh", "-c",
                "test \"$(id -u) $(id -g) $(id -G)\" = '65534 65534 65534' && test \"$(umask)\" = 0022 && "
                "! cat /etc/shadow 2>/dev/null && grep -q '^NoNewPrivs:[[:space:]]*1' /proc/self/status", NULL };
        ASSERT_EQ(spawn_run(&s), 0);
        /* and what the child checks after dropping */
        pid_t pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0)
                _exit(spawn_drop_privileges(&u) == 0 && setuid(0) < 0 && seteuid(0) < 0 && setgid(0) < 0 &&
                      geteuid() == 65534 ? 0 : 1);
        ASSERT_EQ(spawn_wait(pid), 0);
}
