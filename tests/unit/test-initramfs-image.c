/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole initramfs images of the builtin generator: on a fake root whose kernel
 * modules are compiled here, and, when the test cache of
 * tests/fixtures/prepare.sh is there, on real Debian kernels; the module
 * closure against modprobe; the inputs key. */
#include <sys/sysmacros.h>
#include "initramfs-test.h"
#include "initramfs/builtin.h"
#include "initramfs/compress.h"
#include "initramfs/modules.h"

#define FAKE_KVER "9.9.9-fake"
#define FAKE_CONFIG "CONFIG_X86=y\nCONFIG_MICROCODE=y\nCONFIG_RD_ZSTD=y\nCONFIG_RD_XZ=y\nCONFIG_RD_GZIP=y\n" \
                    "# CONFIG_RD_LZ4 is not set\n"

/* A root with a fake kernel FAKE_KVER: its modules are compiled from C here
 * (fakedep.ko.zst exports a symbol fakemod.ko.xz uses; fakemod has a soft pre
 * dependency on fakesoft.ko and post on fakepost.ko, an alias and firmware),
 * indexed by the host's depmod. */
static const char *const fake_sources[][2] = {
        { "kernel/drivers/fake/fakedep.ko",
          "__attribute__((section(\".modinfo\"), used)) static const char m[] = \"name=fakedep\\0license=GPL\\0\";\n"
          "int fakedep_fn(void) { return 0; }\n"
          "__attribute__((section(\"__ksymtab_strings\"), used)) static const char k[] = \"fakedep_fn\";\n" },
        { "kernel/drivers/fake/fakemod.ko",
          "__attribute__((section(\".modinfo\"), used)) static const char m[] = \"alias=fake:v*d*\\0"
          "alias=fs-fakefs\\0firmware=fake/fw.bin\\0firmware=fake/packed.bin\\0firmware=fake/missing.bin\\0"
          "softdep=pre: fakesoft post: fakepost\\0name=fakemod\\0license=GPL\\0\";\n"
          "int fakedep_fn(void);\nint fakemod_init(void) { return fakedep_fn(); }\n" },
        { "kernel/drivers/fake/fakesoft.ko",
          "__attribute__((section(\".modinfo\"), used)) static const char m[] = \"name=fakesoft\\0alias=soft:*\\0\";\n" },
        { "kernel/drivers/fake/fakepost.ko",
          "__attribute__((section(\".modinfo\"), used)) static const char m[] = \"name=fakepost\\0\";\n" },
};

static int compile_module(const char *root, const char *rel, const char *source) {
        _cleanup_free_ char *c = strdup_printf("%s/src.c", root);
        _cleanup_free_ char *ko = strdup_printf("%s/usr/lib/modules/" FAKE_KVER "/%s", root, rel);
        int r = c && ko ? write_host(c, source, strlen(source)) : -ENOMEM;
        if (r >= 0)
                r = RUN(NULL, NULL, NULL, "cc", "-c", "-x", "c", c, "-o", ko);
        unlink(c);
        return r;
}

static int fake_root_modules(const char *d) {
        int r = 0;
        for (size_t i = 0; r == 0 && i < ELEMENTSOF(fake_sources); i++)
                r = compile_module(d, fake_sources[i][0], fake_sources[i][1]);
        _cleanup_free_ char *dir = strdup_printf("%s/usr/lib/modules/" FAKE_KVER "/kernel/drivers/fake", d);
        if (r == 0)
                r = RUN(dir, NULL, NULL, "zstd", "-q", "--rm", "fakedep.ko");
        if (r == 0)
                r = RUN(dir, NULL, NULL, "xz", "--check=crc32", "fakemod.ko");
        if (r == 0)
                r = RUN(NULL, NULL, NULL, "depmod", "-b", d, FAKE_KVER);
        return r;
}

static char *fake_root(const char *config) {
        char *d = tmpdir();
        _cleanup_free_ char *cmd = d ? strdup_printf(
                "set -e; cd '%s'; mkdir -p usr/lib/modules/" FAKE_KVER "/kernel/drivers/fake boot etc "
                "usr/lib/firmware/fake; ln -s usr/lib lib; echo kernel > boot/vmlinuz-" FAKE_KVER "; "
                "touch usr/lib/modules/" FAKE_KVER "/modules.order usr/lib/modules/" FAKE_KVER "/modules.builtin "
                "usr/lib/modules/" FAKE_KVER "/modules.builtin.modinfo; "
                "printf 'NAME=Fake\\nID=fake\\n' > etc/os-release; printf 'fw' > usr/lib/firmware/fake/fw.bin; "
                "printf 'xz' > usr/lib/firmware/fake/packed.bin.xz", d) : NULL;
        _cleanup_free_ char *cfg = d ? strdup_printf("%s/boot/config-" FAKE_KVER, d) : NULL;

        if (!cmd || !cfg || system(cmd) != 0 || (config && write_host(cfg, config, strlen(config)) < 0) ||
            fake_root_modules(d) != 0) {
                rmtree(d);
                return NULL;
        }
        return d;
}

struct ctx {
        struct root root;
        struct kernel *kernel;
};

static int ctx_open(struct ctx *c, const char *dir, const char *kver) {
        int r = root_open(dir, &c->root);
        return r < 0 ? r : kernel_load(&c->root, kver, &c->kernel);
}

static void ctx_done(struct ctx *c) {
        kernel_free(c->kernel);
        root_done(&c->root);
}
#define _cleanup_ctx_ _cleanup_(ctx_done)

/* ----------------------------------------------------- images, fake root */

struct image {
        char *dir;              /* the fake root */
        struct ctx c;
        char *init;             /* host path of a stand-in init */
        struct initramfs_request req;
};

static int image_setup(struct image *im, const char *config) {
        im->dir = fake_root(config);
        if (!im->dir)
                return -EIO;
        im->init = strdup_printf("%s/init-binary", im->dir);
        if (!im->init || write_host(im->init, "#!/bin/sh\necho init\n", 20) < 0)
                return -EIO;
        int r = ctx_open(&im->c, im->dir, FAKE_KVER);
        im->req = (struct initramfs_request) {
                .root = &im->c.root, .kernel = im->c.kernel, .codec = INITRAMFS_CODEC_NONE,
                .output = "/boot/initrd.img-" FAKE_KVER, .init_binary = im->init,
        };
        return r;
}

static void image_done(struct image *im) {
        ctx_done(&im->c);
        free(im->init);
        rmtree(im->dir);
}
#define _cleanup_image_ _cleanup_(image_done)

static char *host(const struct image *im, const char *rel) { return path_join(im->dir, rel); }

static char *hash_output(const struct image *im) {
        _cleanup_free_ char *p = host(im, im->req.output);
        return hash_host(p);
}

#define IMG_DIR "x/lib/modules/" FAKE_KVER "/"
#define FAKE_DIR "kernel/drivers/fake/"

TEST(image_fake_root_layout) {
        _cleanup_image_ struct image im = {};
        _cleanup_free_ char *img = NULL, *list = NULL, *text = NULL, *p = NULL;
        char *const load[] = { "fake:v1d2", NULL }, *const mods[] = { "fakemod", "fakesoft", NULL };
        struct stat st;

        ASSERT_OK(image_setup(&im, FAKE_CONFIG));
        im.req.load = load;
        im.req.modules = mods;
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        img = host(&im, im.req.output);
        ASSERT_OK(stat(img, &st));
        ASSERT_EQ(st.st_mode & 07777, 0600);
        list = host(&im, "list");
        ASSERT_EQ(RUN(im.dir, img, list, "cpio", "-t", "--quiet"), 0);
        text = read_host(list, NULL);
        ASSERT_STREQ(text, "dev\ndev/console\netc\netc/initrd-release\ninit\nlib\nlib/firmware\nlib/firmware/fake\n"
                           "lib/firmware/fake/fw.bin\nlib/firmware/fake/packed.bin.xz\nlib/modules\n"
                           "lib/modules/" FAKE_KVER "\nlib/modules/" FAKE_KVER "/kernel\n"
                           "lib/modules/" FAKE_KVER "/kernel/drivers\nlib/modules/" FAKE_KVER "/kernel/drivers/fake\n"
                           "lib/modules/" FAKE_KVER "/" FAKE_DIR "fakedep.ko\nlib/modules/" FAKE_KVER "/" FAKE_DIR "fakemod.ko\n"
                           "lib/modules/" FAKE_KVER "/" FAKE_DIR "fakepost.ko\nlib/modules/" FAKE_KVER "/" FAKE_DIR "fakesoft.ko\n"
                           "lib/modules/" FAKE_KVER "/modules.alias-initramfs\nlib/modules/" FAKE_KVER "/modules.load\n"
                           "proc\nroot\nrun\nsys\n");
        ASSERT_OK(extract(img, NULL, im.dir));
        free(text);
        text = (p = host(&im, IMG_DIR "modules.load")) ? read_host(p, NULL) : NULL;
        ASSERT_STREQ(text, FAKE_DIR "fakedep.ko\n" FAKE_DIR "fakesoft.ko\n" FAKE_DIR "fakemod.ko\n" FAKE_DIR "fakepost.ko\n");
        free(text);
        free(p);
        text = (p = host(&im, IMG_DIR "modules.alias-initramfs")) ? read_host(p, NULL) : NULL;
        ASSERT_TRUE(text && startswith(text, "# "));
        ASSERT_STREQ(strchr(text, '\n') + 1,
                     "module fakedep " FAKE_DIR "fakedep.ko\n"
                     "module fakesoft " FAKE_DIR "fakesoft.ko\n"
                     "module fakemod " FAKE_DIR "fakemod.ko " FAKE_DIR "fakedep.ko " FAKE_DIR "fakesoft.ko\n"
                     "module fakepost " FAKE_DIR "fakepost.ko\n"
                     "alias soft:* " FAKE_DIR "fakesoft.ko\n"
                     "alias fake:v*d* " FAKE_DIR "fakemod.ko\n"
                     "alias fs-fakefs " FAKE_DIR "fakemod.ko\n");
        free(text);
        free(p);
        text = (p = host(&im, "x/etc/initrd-release")) ? read_host(p, NULL) : NULL;
        ASSERT_STREQ(text, "NAME=Fake\nID=fake\nVARIANT_ID=initrd\n");
        free(text);
        free(p);
        text = (p = host(&im, "x/lib/firmware/fake/packed.bin.xz")) ? read_host(p, NULL) : NULL;
        ASSERT_STREQ(text, "xz");
        free(p);
        p = host(&im, "x/init");
        ASSERT_OK(stat(p, &st));
        ASSERT_EQ(st.st_mode & 07777, 0755);
        ASSERT_EQ(st.st_size, 20);
        free(p);
        p = host(&im, "x/dev/console");
        ASSERT_OK(lstat(p, &st));
        ASSERT_TRUE(S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 && minor(st.st_rdev) == 1);
}

/* The stored modules are the decompressed files. */
TEST(image_stores_modules_decompressed) {
        _cleanup_image_ struct image im = {};
        _cleanup_free_ char *img = NULL, *a = NULL, *b = NULL, *src = NULL, *out = NULL;
        char *const mods[] = { "fakemod", NULL };

        ASSERT_OK(image_setup(&im, FAKE_CONFIG));
        im.req.modules = mods;
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        img = host(&im, im.req.output);
        ASSERT_OK(extract(img, NULL, im.dir));
        const char *pairs[][3] = { { FAKE_DIR "fakemod.ko", ".xz", "xz" }, { FAKE_DIR "fakedep.ko", ".zst", "zstd" } };
        for (size_t i = 0; i < 2; i++) {
                free(src);
                free(out);
                free(a);
                free(b);
                src = strdup_printf("%s/usr/lib/modules/" FAKE_KVER "/%s%s", im.dir, pairs[i][0], pairs[i][1]);
                out = strdup_printf("%s/plain", im.dir);
                ASSERT_EQ(RUN(NULL, src, out, pairs[i][2], "-dc"), 0);
                a = hash_host(out);
                free(out);
                out = strdup_printf("%s/" IMG_DIR "%s", im.dir, pairs[i][0]);
                b = hash_host(out);
                ASSERT_STREQ(a, b);
        }
}

TEST(image_reproducible_and_source_date_epoch) {
        _cleanup_image_ struct image im = {};
        _cleanup_free_ char *h1 = NULL, *h2 = NULL, *h3 = NULL, *img = NULL, *p = NULL;
        struct stat st;

        ASSERT_OK(image_setup(&im, FAKE_CONFIG));
        im.req.generic = true;
        im.req.codec = INITRAMFS_CODEC_ZSTD;
        unsetenv("SOURCE_DATE_EPOCH");
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        h1 = hash_output(&im);
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        h2 = hash_output(&im);
        ASSERT_STREQ(h1, h2);
        setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        unsetenv("SOURCE_DATE_EPOCH");
        h3 = hash_output(&im);
        ASSERT_FALSE(streq(h1, h3));
        img = host(&im, im.req.output);
        ASSERT_OK(extract(img, "zstd", im.dir));
        p = host(&im, "x/etc/initrd-release");
        ASSERT_OK(stat(p, &st));
        ASSERT_EQ(st.st_mtime, 1700000000);
        ASSERT_FALSE(log_has("not found")); /* the generic set is quiet */
        log_clear();
}

TEST(image_each_codec_decompresses) {
        _cleanup_image_ struct image im = {};
        const char *tools[] = { "zstd", "xz", "gzip", "lz4" };
        enum initramfs_codec cs[] = { INITRAMFS_CODEC_ZSTD, INITRAMFS_CODEC_XZ, INITRAMFS_CODEC_GZIP, INITRAMFS_CODEC_LZ4 };
        char *const mods[] = { "fakemod", NULL };

        ASSERT_OK(image_setup(&im, NULL)); /* no config: every codec allowed */
        im.req.modules = mods;
        for (size_t i = 0; i < ELEMENTSOF(cs); i++) {
                _cleanup_free_ char *img = host(&im, im.req.output), *x = host(&im, "x"), *p = NULL, *text = NULL;
                rmtree(TAKE_PTR(x));
                im.req.codec = cs[i];
                ASSERT_OK(initramfs_builtin_generate(&im.req));
                ASSERT_OK(extract(img, tools[i], im.dir));
                p = host(&im, IMG_DIR "modules.alias-initramfs");
                text = read_host(p, NULL);
                ASSERT_TRUE(text && strstr(text, "alias fs-fakefs " FAKE_DIR "fakemod.ko\n"));
        }
}

TEST(image_refuses_codec_kernel_cannot_read) {
        _cleanup_image_ struct image im = {};
        _cleanup_free_ char *img = NULL;

        ASSERT_OK(image_setup(&im, FAKE_CONFIG));
        im.req.codec = INITRAMFS_CODEC_LZ4;
        ASSERT_ERR(initramfs_builtin_generate(&im.req), -EOPNOTSUPP);
        ASSERT_STREQ(log_last_error(), "kernel '" FAKE_KVER "' cannot decompress a lz4 initramfs (CONFIG_RD_LZ4 is not set)");
        img = host(&im, im.req.output);
        ASSERT_TRUE(access(img, F_OK) < 0);
        log_clear();
}

static int count_temps(const struct image *im) {
        _cleanup_free_ char *cmd = strdup_printf("ls -A '%s/boot' | grep -c '^\\.#' > '%s/count'", im->dir, im->dir);
        _cleanup_free_ char *p = host(im, "count"), *text = NULL;
        if (!cmd || system(cmd) < 0)
                return -1;
        text = read_host(p, NULL);
        return text ? atoi(text) : -1;
}

TEST(image_failure_keeps_previous_image) {
        _cleanup_image_ struct image im = {};
        _cleanup_free_ char *h1 = NULL, *h2 = NULL;
        char *const missing[] = { "nosuch_module", NULL };

        ASSERT_OK(image_setup(&im, FAKE_CONFIG));
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        h1 = hash_output(&im);
        im.req.modules = missing;
        ASSERT_ERR(initramfs_builtin_generate(&im.req), -ENOENT);
        ASSERT_STREQ(log_last_error(), "module 'nosuch_module' not found for kernel '" FAKE_KVER "'");
        im.req.modules = NULL;
        im.req.optional_modules = missing;
        log_clear();
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        ASSERT_TRUE(log_has("1 module 'nosuch_module' not found for kernel '" FAKE_KVER "', skipping"));
        im.req.init_binary = "/nonexistent/init";
        ASSERT_ERR(initramfs_builtin_generate(&im.req), -ENOENT);
        ASSERT_STREQ(log_last_error(), "'/nonexistent/init': cannot open: No such file or directory");
        h2 = hash_output(&im);
        ASSERT_STREQ(h1, h2);
        ASSERT_EQ(count_temps(&im), 0);
        log_clear();
}

/* Every checked I/O operation of a generation fails in turn (in a child: the
 * fault counter is per process); the image must be the previous one or, when
 * only the directory's fsync after the rename failed, the complete new one, and
 * no temp file may remain. */
TEST(image_fault_injection) {
        _cleanup_image_ struct image im = {};
        _cleanup_free_ char *h1 = NULL, *h_new = NULL, *self = realpath("/proc/self/exe", NULL);
        _cleanup_strv_free_ char **seen = NULL;
        int n;

        if (getenv("DK_IR_FAULT_ROOT"))
                return;
        ASSERT_OK(image_setup(&im, FAKE_CONFIG));
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        h1 = hash_output(&im);
        setenv("DK_IR_FAULT_ROOT", im.dir, 1);
        for (n = 1; n < 200; n++) {
                _cleanup_free_ char *fault = strdup_printf("%d", n);
                int status;
                setenv("DISTKERNEL_FAULT", fault, 1);
                status = RUN(NULL, NULL, NULL, self, "fault_child");
                unsetenv("DISTKERNEL_FAULT");
                if (status == 0)
                        break;
                ASSERT_EQ(status, 3);
                ASSERT_OK(strv_consume(&seen, hash_output(&im)));
                ASSERT_EQ(count_temps(&im), 0);
        }
        unsetenv("DK_IR_FAULT_ROOT");
        ASSERT_TRUE(n > 3 && n < 200);
        h_new = hash_output(&im);
        ASSERT_FALSE(streq(h1, h_new));
        STRV_FOREACH(h, seen)
                ASSERT_TRUE(streq(*h, h1) || (streq(*h, h_new) && h == seen + strv_length(seen) - 1));
}

TEST(fault_child) {
        const char *dir = getenv("DK_IR_FAULT_ROOT");
        struct image im = {};
        char *const load[] = { "fakemod", NULL };
        int r;

        if (!dir)
                return;
        r = ctx_open(&im.c, dir, FAKE_KVER);
        im.req = (struct initramfs_request) { .root = &im.c.root, .kernel = im.c.kernel, .load = load,
                                              .codec = INITRAMFS_CODEC_ZSTD, .output = "/boot/initrd.img-" FAKE_KVER };
        if (r >= 0)
                r = initramfs_builtin_generate(&im.req);
        ctx_done(&im.c);
        strbuf_done(&logged);
        _exit(r < 0 ? 3 : 0);
}

TEST(image_early_microcode) {
        _cleanup_image_ struct image im = {};
        _cleanup_free_ char *img = NULL, *list = NULL, *text = NULL, *p = NULL, *rest = NULL, *cmd = NULL;
        size_t n = 0, off;

        ASSERT_OK(image_setup(&im, FAKE_CONFIG));
        cmd = strdup_printf("cd '%s/usr/lib/firmware' && mkdir intel-ucode amd-ucode && printf AAAA > intel-ucode/06-01-01 "
                            "&& printf BB > intel-ucode/06-02-02 && printf CCC > amd-ucode/microcode_amd.bin "
                            "&& echo x > amd-ucode/README", im.dir);
        ASSERT_EQ(system(cmd), 0);
        im.req.codec = INITRAMFS_CODEC_ZSTD;
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        img = host(&im, im.req.output);
        list = host(&im, "list");
        ASSERT_EQ(RUN(im.dir, img, list, "cpio", "-t", "--quiet"), 0);
        text = read_host(list, NULL);
        ASSERT_STREQ(text, "kernel\nkernel/x86\nkernel/x86/microcode\nkernel/x86/microcode/AuthenticAMD.bin\n"
                           "kernel/x86/microcode/GenuineIntel.bin\n");
        ASSERT_OK(extract(img, NULL, im.dir));
        free(text);
        text = (p = host(&im, "x/kernel/x86/microcode/GenuineIntel.bin")) ? read_host(p, NULL) : NULL;
        ASSERT_STREQ(text, "AAAABB");
        free(text);
        text = read_host(img, &n);
        ASSERT_TRUE(text != NULL);
        for (off = 512; off < n && memcmp(text + off, "\x28\xb5\x2f\xfd", 4) != 0; off += 512)
                ;
        ASSERT_TRUE(off < n);
        ASSERT_EQ(text[off - 1], 0);
        rest = host(&im, "rest.zst");
        ASSERT_OK(write_host(rest, text + off, n - off));
        ASSERT_EQ(RUN(im.dir, rest, list, "zstd", "-dc"), 0);
        /* a kernel without CONFIG_MICROCODE gets no early archive */
        free(text);
        kconfig_free(im.c.kernel->config);
        ASSERT_OK(kconfig_parse("CONFIG_RD_ZSTD=y\n", 16, &im.c.kernel->config));
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        text = read_host(img, &n);
        ASSERT_TRUE(text && memcmp(text, "\x28\xb5\x2f\xfd", 4) == 0);
}

TEST(inputs_key_follows_inputs) {
        _cleanup_image_ struct image im = {};
        char k1[HASH_HEX_LEN], k2[HASH_HEX_LEN];
        char *const mods[] = { "fakemod", NULL };
        const char *const changes[] = {
                "touch -d @1000 usr/lib/modules/" FAKE_KVER "/" FAKE_DIR "fakedep.ko.zst",
                "printf new > usr/lib/firmware/fake/new.bin",
                "mkdir -p etc/modprobe.d && echo 'softdep fakepost pre: fakedep' > etc/modprobe.d/x.conf",
                "echo 'options fakedep x=1' >> etc/modprobe.d/x.conf",
                "touch -d @2000 init-binary",
                "echo VERSION=2 >> etc/os-release",
        };

        ASSERT_OK(image_setup(&im, FAKE_CONFIG));
        im.req.modules = mods;
        im.req.codec = INITRAMFS_CODEC_ZSTD;
        ASSERT_OK(initramfs_builtin_inputs_key(&im.req, k1));
        ASSERT_OK(initramfs_builtin_inputs_key(&im.req, k2));
        ASSERT_STREQ(k1, k2);
        ASSERT_OK(initramfs_builtin_generate(&im.req)); /* its own output is no input */
        ASSERT_OK(initramfs_builtin_inputs_key(&im.req, k2));
        ASSERT_STREQ(k1, k2);
        for (size_t i = 0; i < ELEMENTSOF(changes); i++) {
                _cleanup_free_ char *cmd = strdup_printf("cd '%s' && %s", im.dir, changes[i]);
                ASSERT_EQ(system(cmd), 0);
                ASSERT_OK(initramfs_builtin_inputs_key(&im.req, k2));
                if (streq(k1, k2))
                        FAIL_AT("key unchanged by: %s", changes[i]);
                memcpy(k1, k2, sizeof k1);
        }
        im.req.level = 19;
        ASSERT_OK(initramfs_builtin_inputs_key(&im.req, k2));
        ASSERT_FALSE(streq(k1, k2));
        im.req.level = 3; /* zstd's default: the same image as 0 */
        ASSERT_OK(initramfs_builtin_inputs_key(&im.req, k2));
        im.req.level = 0;
        ASSERT_OK(initramfs_builtin_inputs_key(&im.req, k1));
        ASSERT_STREQ(k1, k2);
        setenv("SOURCE_DATE_EPOCH", "5", 1);
        ASSERT_OK(initramfs_builtin_inputs_key(&im.req, k2));
        unsetenv("SOURCE_DATE_EPOCH");
        ASSERT_FALSE(streq(k1, k2));
        im.req.codec = INITRAMFS_CODEC_XZ;
        ASSERT_OK(initramfs_builtin_inputs_key(&im.req, k2));
        ASSERT_FALSE(streq(k1, k2));
}

/* ------------------------------------------------------ module closure */

/* The closure of name as modprobe --show-depends prints it (paths relative to
 * the modules dir, one a line) and as modset_add() finds it. */
static int closures(struct ctx *c, const char *dir, const char *name, char **ret_ours, char **ret_modprobe) {
        _cleanup_modset_ struct ir_modset *s = NULL;
        _cleanup_strbuf_ struct strbuf ours = STRBUF_INIT, theirs = STRBUF_INIT;
        _cleanup_free_ char *out = strdup_printf("%s/modprobe.out", dir), *cfg = strdup_printf("%s/etc/modprobe.d", dir);
        _cleanup_free_ char *prefix = strdup_printf("insmod %s/lib/modules/%s/", dir, c->kernel->kver), *text = NULL;
        _cleanup_strv_free_ char **seen = NULL;
        char *save = NULL;
        int r = modset_new(&c->root, c->kernel, 0, &s);

        if (r >= 0)
                r = modset_add(s, name, MODSET_QUIET, false);
        for (size_t i = 0; r >= 0 && i < s->n; i++)
                r = strbuf_printf(&ours, "%s\n", s->modules[i].path);
        if (r < 0)
                return r;
        r = RUN(NULL, NULL, out, "modprobe", "--show-depends", "-C", cfg, "-S", c->kernel->kver, "-d", dir, name);
        text = read_host(out, NULL);
        for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
                const char *p = startswith(l, prefix);
                if (!p)
                        continue;
                l[p - l + strcspn(p, " ")] = 0;
                if (!strv_contains(seen, p) && (strv_push(&seen, p) < 0 || strbuf_printf(&theirs, "%s\n", p) < 0))
                        return -ENOMEM;
        }
        *ret_ours = strdup(strempty(ours.buf));
        *ret_modprobe = strdup(strempty(theirs.buf));
        return 0;
}

static int check_closure(struct ctx *c, const char *dir, const char *name) {
        _cleanup_free_ char *ours = NULL, *theirs = NULL;
        int r = closures(c, dir, name, &ours, &theirs);
        if (r < 0)
                return r;
        if (streq(ours, theirs))
                return 0;
        fprintf(stderr, "closure of '%s' differs:\n--- ours\n%s--- modprobe\n%s", name, ours, theirs);
        return -EBADMSG;
}

TEST(closure_matches_modprobe_fake) {
        _cleanup_image_ struct image im = {};
        _cleanup_free_ char *cfg = NULL;

        if (!have_program("modprobe"))
                return (void) printf("skip: no modprobe\n");
        ASSERT_OK(image_setup(&im, FAKE_CONFIG));
        cfg = host(&im, "etc/modprobe.d");
        ASSERT_EQ(mkdir(cfg, 0755), 0);
        ASSERT_OK(check_closure(&im.c, im.dir, "fakemod"));
        ASSERT_OK(check_closure(&im.c, im.dir, "fake:v1d1"));
        ASSERT_OK(check_closure(&im.c, im.dir, "nosuch"));
}

/* ------------------------------------------- real kernels (test cache) */

static char *cache_var(const char *name) {
        const char *cache = getenv("DISTKERNEL_TEST_CACHE");
        _cleanup_free_ char *env = strdup_printf("%s/env", cache ? cache : "/var/cache/distkernel-tests");
        _cleanup_free_ char *text = env ? read_host(env, NULL) : NULL, *key = strdup_printf("\n%s=", name);
        const char *p = text && key ? strstr(text, key) : NULL;
        return p ? strndup(p + strlen(key), strcspn(p + strlen(key), "\n")) : NULL;
}

static char *real_dirs[4];

__attribute__((destructor)) static void real_roots_done(void) {
        for (size_t i = 0; i < ELEMENTSOF(real_dirs); i++)
                rmtree(real_dirs[i]);
}

/* A sandbox root with kernel KVER (tests/fixtures/mkroot.sh), made once; NULL without the cache. */
static const char *real_root(size_t slot, const char *kver) {
        _cleanup_free_ char *script = strdup_printf("%s/tests/fixtures/mkroot.sh", TEST_SRCDIR), *cfg = NULL;
        char *d;

        if (real_dirs[slot])
                return real_dirs[slot];
        d = tmpdir();
        if (!d || !script || RUN(NULL, NULL, NULL, "bash", script, d, kver) != 0) {
                rmtree(d);
                return NULL;
        }
        cfg = strdup_printf("%s/etc/modprobe.d", d);
        if (!cfg || mkdir(cfg, 0755) < 0) {
                rmtree(d);
                return NULL;
        }
        return real_dirs[slot] = d;
}

/* The kernel's module names of every step-th line of modules.order. */
static char **sample_modules(const char *dir, const char *kver, size_t step) {
        _cleanup_free_ char *p = strdup_printf("%s/usr/lib/modules/%s/modules.order", dir, kver);
        _cleanup_free_ char *text = p ? read_host(p, NULL) : NULL;
        _cleanup_strv_free_ char **lines = NULL, **l = calloc(1, sizeof(char *));
        if (!text || !l || strv_split(text, "\n", &lines) < 0)
                return NULL;
        for (size_t i = 0; lines[i]; i += step) {
                char *base = strrchr(lines[i], '/'), *name = strdup(base ? base + 1 : lines[i]);
                if (!name)
                        return NULL;
                name[strcspn(name, ".")] = 0;
                for (char *c = name; *c; c++)
                        if (*c == '-')
                                *c = '_';
                if (strv_consume(&l, name) < 0)
                        return NULL;
                if (strv_length(lines) - i <= step)
                        break;
        }
        return TAKE_PTR(l);
}

static void closure_real(size_t slot, const char *var) {
        _cleanup_free_ char *kver = cache_var(var);
        _cleanup_ctx_ struct ctx c = {};
        _cleanup_strv_free_ char **names = NULL;
        const char *dir;
        int bad = 0, n = 0;

        if (!kver || !have_program("modprobe"))
                return (void) printf("skip: no test cache (tests/fixtures/prepare.sh) or no modprobe\n");
        dir = real_root(slot, kver);
        ASSERT_TRUE(dir != NULL);
        ASSERT_OK(ctx_open(&c, dir, kver));
        names = sample_modules(dir, kver, 29);
        ASSERT_TRUE(names != NULL);
        for (const char *const *g = initramfs_generic_modules; *g; g++)
                ASSERT_OK(strv_push(&names, *g));
        STRV_FOREACH(m, names) {
                int r = check_closure(&c, dir, *m);
                ASSERT_TRUE(r >= 0 || r == -EBADMSG);
                bad += r < 0;
                n++;
        }
        printf("%s: %d closures compared with modprobe, %d differ\n", kver, n, bad);
        ASSERT_EQ(bad, 0);
}

TEST(closure_matches_modprobe_kver_a) { closure_real(0, "KVER_A"); }
TEST(closure_matches_modprobe_kver_c) { closure_real(1, "KVER_C"); }

/* The generic image of a real kernel with xz modules: every stored module is
 * its decompressed source, modules.load is ext4's closure in modprobe's order,
 * and a second run gives the same bytes. */
TEST(image_real_kernel_generic) {
        _cleanup_free_ char *kver = cache_var("KVER_C"), *ours = NULL, *theirs = NULL, *h1 = NULL, *h2 = NULL;
        _cleanup_free_ char *img = NULL, *idx = NULL, *text = NULL, *out = NULL, *load = NULL;
        _cleanup_rmtree_ char *work = tmpdir();
        _cleanup_ctx_ struct ctx c = {};
        _cleanup_strv_free_ char **lines = NULL;
        char *const load_names[] = { "ext4", NULL };
        const char *dir;
        int n = 0;

        if (!kver)
                return (void) printf("skip: no test cache (tests/fixtures/prepare.sh)\n");
        ASSERT_TRUE((dir = real_root(1, kver)) != NULL);
        ASSERT_OK(ctx_open(&c, dir, kver));
        struct initramfs_request req = { .root = &c.root, .kernel = c.kernel, .generic = true, .load = load_names,
                                         .codec = INITRAMFS_CODEC_ZSTD, .output = "/boot/initrd.img-test" };
        ASSERT_OK(initramfs_builtin_generate(&req));
        img = strdup_printf("%s/boot/initrd.img-test", dir);
        h1 = hash_host(img);
        ASSERT_OK(initramfs_builtin_generate(&req));
        h2 = hash_host(img);
        ASSERT_STREQ(h1, h2);
        ASSERT_OK(extract(img, "zstd", work));
        idx = strdup_printf("%s/x/lib/modules/%s/modules.alias-initramfs", work, kver);
        text = read_host(idx, NULL);
        ASSERT_TRUE(text && strv_split(text, "\n", &lines) >= 0);
        out = strdup_printf("%s/plain", work);
        STRV_FOREACH(l, lines) {
                _cleanup_strv_free_ char **f = NULL;
                _cleanup_free_ char *src = NULL, *in_image = NULL, *a = NULL, *b = NULL;
                if (!startswith(*l, "module "))
                        continue;
                ASSERT_OK(strv_split(*l, " ", &f));
                src = strdup_printf("%s%s/%s.xz", dir, c.kernel->modules_dir, f[2]);
                in_image = strdup_printf("%s/x/lib/modules/%s/%s", work, kver, f[2]);
                ASSERT_EQ(RUN(NULL, src, out, "xz", "-dc"), 0);
                a = hash_host(out);
                b = hash_host(in_image);
                ASSERT_STREQ(a, b);
                n++;
        }
        ASSERT_TRUE(n > 20);
        ASSERT_TRUE(strstr(text, "alias fs-ext4 kernel/fs/ext4/ext4.ko\n") != NULL);
        ASSERT_OK(closures(&c, dir, "ext4", &ours, &theirs));
        free(text);
        load = strdup_printf("%s/x/lib/modules/%s/modules.load", work, kver);
        text = read_host(load, NULL);
        for (char *s = strstr(theirs, ".xz\n"); s; s = strstr(s, ".xz\n"))
                memmove(s, s + 3, strlen(s + 3) + 1);
        ASSERT_STREQ(text, theirs);
}

/* A required module built into the kernel is no error (and not in the image);
 * a kernel whose modules were never indexed is one, naming depmod. */
TEST(image_builtin_module_and_unindexed_kernel) {
        _cleanup_image_ struct image im = {};
        _cleanup_free_ char *cmd = NULL, *img = NULL, *list = NULL, *text = NULL;
        char *const mods[] = { "fakebuiltin", "fakemod", NULL };

        ASSERT_OK(image_setup(&im, FAKE_CONFIG));
        cmd = strdup_printf("cd '%s/usr/lib/modules/" FAKE_KVER "' && echo kernel/fs/fakebuiltin.ko > modules.builtin "
                            "&& depmod -b '%s' " FAKE_KVER " 2>/dev/null", im.dir, im.dir);
        ASSERT_EQ(system(cmd), 0);
        im.req.modules = mods;
        ASSERT_OK(initramfs_builtin_generate(&im.req));
        img = host(&im, im.req.output);
        list = host(&im, "list");
        ASSERT_EQ(RUN(im.dir, img, list, "cpio", "-t", "--quiet"), 0);
        text = read_host(list, NULL);
        ASSERT_TRUE(text && strstr(text, FAKE_DIR "fakemod.ko\n") && !strstr(text, "fakebuiltin"));
        free(cmd);
        cmd = strdup_printf("rm '%s/usr/lib/modules/" FAKE_KVER "/modules.dep.bin'", im.dir);
        ASSERT_EQ(system(cmd), 0);
        ASSERT_ERR(initramfs_builtin_generate(&im.req), -ENOENT);
        ASSERT_STREQ(log_last_error(), "'/usr/lib/modules/" FAKE_KVER "/modules.dep.bin': missing, the modules of kernel '"
                                       FAKE_KVER "' are not indexed (run depmod)");
        log_clear();
}
