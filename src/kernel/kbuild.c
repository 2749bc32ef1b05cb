/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kernel/kbuild.h"
#include "kernel/kver.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

/* --------------------------------------------------------------- fragments */

static char *trim_line(const char *s, size_t len) {
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
                len--;
        while (len && (*s == ' ' || *s == '\t')) {
                s++;
                len--;
        }
        return strndup(s, len);
}

int kbuild_fragment_mismatches(const char *fragment, const struct kconfig *final, char ***ret) {
        _cleanup_strv_free_ char **out = NULL;
        const char *l = fragment;

        while (l && *l) {
                const char *e = strchr(l, '\n');
                _cleanup_free_ char *line = trim_line(l, e ? (size_t) (e - l) : strlen(l));
                char *eq, *name = NULL;
                const char *want = NULL, *have;
                int r;

                l = e ? e + 1 : NULL;
                if (!line)
                        return -ENOMEM;
                if (startswith(line, "# CONFIG_") && strstr(line, " is not set")) {
                        name = line + 2;
                        *strstr(name, " is not set") = 0;
                } else if (startswith(line, "CONFIG_") && (eq = strchr(line, '='))) {
                        *eq = 0;
                        name = line;
                        want = eq + 1;
                        if (streq(want, "n"))
                                want = NULL;
                } else
                        continue;
                have = kconfig_get(final, name);
                if (streq_ptr(want, have))
                        continue;
                if (want)
                        r = strv_pushf(&out, "%s=%s (is %s)", name, want, have ? have : "not set");
                else
                        r = strv_pushf(&out, "# %s is not set (is %s)", name, have);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int compare_str(const void *a, const void *b) { return strcmp(*(char *const *) a, *(char *const *) b); }

int kbuild_fragments(const struct root *root, char ***ret) {
        _cleanup_free_ char *dir = root_host_path(root, "/etc/kernel/config.d");
        _cleanup_strv_free_ char **l = NULL;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        while (d && r >= 0 && (de = readdir(d))) {
                size_t n = strlen(de->d_name);
                if (de->d_name[0] == '.' || n < 8 || !streq(de->d_name + n - 7, ".config"))
                        continue;
                r = strv_pushf(&l, "%s/%s", dir, de->d_name);
        }
        if (d)
                closedir(d);
        if (r < 0)
                return r;
        if (l)
                qsort(l, strv_length(l), sizeof *l, compare_str);
        *ret = TAKE_PTR(l);
        return 0;
}

/* ------------------------------------------------------------------ make */

struct kb {
        const struct kbuild_request *req;
        char *out;        /* host path of the build dir */
        char *kver;
        const char *last_step; /* the last step shown */
};

static int run(const struct kb *b, const char *const *argv, const char *what) {
        struct spawn s = SPAWN_INIT;
        int r;

        if (b->req->progress && !streq_ptr(b->last_step, what)) {
                b->req->progress(b->req->userdata, what);
                ((struct kb *) b)->last_step = what;
        }
        if (b->req->log_fd >= 0)
                dprintf(b->req->log_fd, "\n### %s\n", what);
        s.argv = argv;
        s.fd_out = b->req->log_fd;
        s.fd_err = -2;
        r = spawn_run(&s);
        if (r < 0)
                return log_error_errno(r, "'%s': kernel build: %s: cannot run %s: %s", b->req->src, what, argv[0],
                                       strerror(-r));
        if (r != 0)
                return log_error_errno(-EPROTO, "'%s': kernel build: %s failed (status %d)", b->req->src, what, r);
        return 0;
}

/* make -C SRC O=OUT [CC=..] [-jN] TARGETS... (a NULL-terminated list) */
static int make(const struct kb *b, const char *what, const char *const *targets) {
        _cleanup_free_ char *o = strdup_printf("O=%s", b->out), *cc = NULL, *j = NULL;
        const char *argv[24];
        size_t n = 0;

        if (!o)
                return -ENOMEM;
        argv[n++] = "make";
        argv[n++] = "-s";
        argv[n++] = "-C";
        argv[n++] = b->req->src;
        argv[n++] = o;
        if (b->req->cc) {
                cc = strdup_printf("CC=%s", b->req->cc);
                if (!cc)
                        return -ENOMEM;
                argv[n++] = cc;
        }
        j = strdup_printf("-j%u", b->req->jobs ? b->req->jobs : 1);
        if (!j)
                return -ENOMEM;
        argv[n++] = j;
        for (size_t i = 0; targets[i] && n < ELEMENTSOF(argv) - 1; i++)
                argv[n++] = targets[i];
        argv[n] = NULL;
        return run(b, argv, what);
}

/* ------------------------------------------------------------- configure */

static int append_file(FILE *f, const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = fs_read_all(AT_FDCWD, path, 16u << 20, &text, &len);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read: %s", path, strerror(-r));
        fprintf(f, "\n# from %s\n", path);
        fwrite(text, 1, len, f);
        fputc('\n', f);
        return 0;
}

static int configure(struct kb *b) {
        const struct kbuild_request *req = b->req;
        _cleanup_free_ char *cfg = path_join(b->out, ".config"), *final_text = NULL;
        _cleanup_(kconfig_freep) struct kconfig *final = NULL;
        _cleanup_strv_free_ char **dropped = NULL;
        const char *lv = req->localversion ? req->localversion : KBUILD_LOCALVERSION_DEFAULT;
        FILE *f;
        int r;

        if (!cfg)
                return -ENOMEM;
        f = fopen(cfg, "we");
        if (!f)
                return log_error_errno(-errno, "'%s': cannot create: %m", cfg);
        r = append_file(f, req->base_config);
        STRV_FOREACH(p, req->fragments)
                if (r >= 0)
                        r = append_file(f, *p);
        /* the suffix keeps our KVER apart from packaged kernels' */
        fprintf(f, "\nCONFIG_LOCALVERSION=\"%s\"\n# CONFIG_LOCALVERSION_AUTO is not set\n", lv);
        if (req->sign_pem)
                fprintf(f, "CONFIG_MODULE_SIG_KEY=\"%s\"\n", req->sign_pem);
        if (fclose(f) != 0 && r >= 0)
                r = log_error_errno(-errno, "'%s': cannot write: %m", cfg);
        if (r >= 0)
                r = make(b, "make olddefconfig", (const char *const[]) { "olddefconfig", NULL });
        if (r >= 0)
                r = kconfig_load_file(cfg, &final);
        if (r < 0)
                return r;
        STRV_FOREACH(p, req->fragments) {
                _cleanup_strv_free_ char **m = NULL;
                r = fs_read_all(AT_FDCWD, *p, 16u << 20, &final_text, NULL);
                if (r >= 0)
                        r = kbuild_fragment_mismatches(final_text, final, &m);
                final_text = mfree(final_text);
                if (r < 0)
                        return r;
                STRV_FOREACH(x, m)
                        if ((r = strv_pushf(&dropped, "'%s': %s", *p, *x)) < 0)
                                return r;
        }
        if (dropped) {
                _cleanup_free_ char *all = strv_join(dropped, "; ");
                if (req->strict)
                        return log_error_errno(-EINVAL, "'%s': kernel build: the final config differs from the "
                                               "fragments (a dependency is missing): %s", req->src, strempty(all));
                log_warning("'%s': kernel build: the final config differs from the fragments (a dependency is "
                            "missing): %s", req->src, strempty(all));
        }
        return 0;
}

/* make -s kernelrelease: the KVER */
static int kernelrelease(struct kb *b) {
        _cleanup_free_ char *o = strdup_printf("O=%s", b->out), *out = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        r = spawn_capture((const char *const[]) { "make", "-s", "-C", b->req->src, o, "kernelrelease", NULL },
                          NULL, NULL, 4096, &out);
        if (r != 0 || !out)
                return log_error_errno(-EPROTO, "'%s': kernel build: make kernelrelease failed", b->req->src);
        strstrip_nl(out);
        if (!kver_is_valid(out))
                return log_error_errno(-EINVAL, "kernel build: '%s' is not a valid kernel release", out);
        b->kver = TAKE_PTR(out);
        return 0;
}

/* ---------------------------------------------------------------- install */

static int cp(const struct kb *b, const char *from, const char *to) {
        return run(b, (const char *const[]) { "cp", "-a", "--", from, to, NULL }, "copy headers");
}

/* The header tree out-of-tree modules build against: the sources' Makefile,
 * scripts, include/ and arch include dirs, overlaid with the build dir's
 * generated headers, built tools, .config and Module.symvers. */
static int stage_headers(const struct kb *b, const char *arch, const char *dst) {
        static const char *const from_src[] = { "Makefile", "scripts", "include" };
        static const char *const from_out[] = { ".config", "Module.symvers", "include/generated", "include/config",
                                                "scripts" };
        _cleanup_free_ char *asrc = NULL, *adst = NULL, *amk = NULL, *agen = NULL, *agen_dst = NULL;
        _cleanup_free_ char *objtool = NULL, *objtool_dst = NULL;
        int r = 0;

        if (mkdir(dst, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "'%s': cannot create: %m", dst);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(from_src); i++) {
                _cleanup_free_ char *s = path_join(b->req->src, from_src[i]);
                r = s ? cp(b, s, dst) : -ENOMEM;
        }
        asrc = strdup_printf("%s/arch/%s/include", b->req->src, arch);
        amk = strdup_printf("%s/arch/%s/Makefile", b->req->src, arch);
        adst = strdup_printf("%s/arch/%s", dst, arch);
        agen = strdup_printf("%s/arch/%s/include/generated", b->out, arch);
        agen_dst = strdup_printf("%s/arch/%s/include", dst, arch);
        objtool = strdup_printf("%s/tools/objtool/objtool", b->out);
        objtool_dst = strdup_printf("%s/tools/objtool", dst);
        if (!asrc || !amk || !adst || !agen || !agen_dst || !objtool || !objtool_dst)
                return -ENOMEM;
        if (r >= 0)
                r = run(b, (const char *const[]) { "mkdir", "-p", adst, objtool_dst, NULL }, "copy headers");
        if (r >= 0)
                r = cp(b, asrc, adst);
        if (r >= 0)
                r = cp(b, amk, adst);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(from_out); i++) {
                _cleanup_free_ char *s = path_join(b->out, from_out[i]), *d = NULL;
                _cleanup_free_ char *sub = strdup(from_out[i]);
                char *slash = sub ? strrchr(sub, '/') : NULL;
                if (!s || !sub)
                        return -ENOMEM;
                if (access(s, F_OK) < 0)
                        continue;
                if (slash)
                        *slash = 0;
                d = slash ? path_join(dst, sub) : strdup(dst);
                r = d ? cp(b, s, d) : -ENOMEM;
        }
        if (r >= 0 && access(agen, F_OK) == 0)
                r = cp(b, agen, agen_dst);
        if (r >= 0 && access(objtool, X_OK) == 0)
                r = cp(b, objtool, objtool_dst);
        return r;
}

static int install(struct kb *b) {
        const struct root *root = b->req->root;
        _cleanup_free_ char *stage = strdup_printf("%s.install", b->out), *modpath = NULL, *mods = NULL;
        _cleanup_free_ char *headers = NULL, *image_name = NULL, *image = NULL, *o = NULL, *arch = NULL;
        _cleanup_free_ char *mods_rel = NULL, *headers_rel = NULL, *build_link = NULL, *src_link = NULL;
        _cleanup_free_ char *dst_mods = NULL, *dst_headers = NULL;
        int r;

        if (!stage)
                return -ENOMEM;
        (void) run(b, (const char *const[]) { "rm", "-rf", "--", stage, NULL }, "clean the staging dir");
        modpath = strdup_printf("INSTALL_MOD_PATH=%s", stage);
        mods = strdup_printf("%s/lib/modules/%s", stage, b->kver);
        headers = strdup_printf("%s/linux-%s", stage, b->kver);
        o = strdup_printf("O=%s", b->out);
        if (!modpath || !mods || !headers || !o)
                return -ENOMEM;
        r = spawn_capture((const char *const[]) { "make", "-s", "-C", b->req->src, o, "image_name", NULL }, NULL,
                          NULL, 4096, &image_name);
        if (r != 0 || !image_name)
                return log_error_errno(-EPROTO, "'%s': kernel build: make image_name failed", b->req->src);
        strstrip_nl(image_name);
        image = path_join(b->out, image_name);
        /* arch/x86/boot/bzImage -> x86 */
        arch = strdup(image_name + (startswith(image_name, "arch/") ? 5 : 0));
        if (!image || !arch)
                return -ENOMEM;
        if (strchr(arch, '/'))
                *strchr(arch, '/') = 0;
        {
                _cleanup_free_ char *cfgp = path_join(b->out, ".config");
                _cleanup_(kconfig_freep) struct kconfig *kc = NULL;
                if (!cfgp)
                        return -ENOMEM;
                r = kconfig_load_file(cfgp, &kc);
                if (r < 0)
                        return r;
                if (kconfig_get(kc, "MODULES"))
                        r = make(b, "make modules_install", (const char *const[]) { modpath, "INSTALL_MOD_STRIP=1",
                                                                                    "DEPMOD=true", "modules_install",
                                                                                    NULL });
                if (r < 0)
                        return r;
        }
        (void) run(b, (const char *const[]) { "mkdir", "-p", mods, NULL }, "stage the image");
        {
                _cleanup_free_ char *v = path_join(mods, "vmlinuz"), *m = path_join(mods, "System.map");
                _cleanup_free_ char *c = path_join(mods, "config"), *sm = path_join(b->out, "System.map");
                _cleanup_free_ char *sc = path_join(b->out, ".config");
                _cleanup_free_ char *bl = path_join(mods, "build"), *sl = path_join(mods, "source");
                if (!v || !m || !c || !sm || !sc || !bl || !sl)
                        return -ENOMEM;
                (void) unlink(bl);
                (void) unlink(sl);
                r = run(b, (const char *const[]) { "cp", "--", image, v, NULL }, "stage the image");
                if (r >= 0)
                        r = run(b, (const char *const[]) { "cp", "--", sm, m, NULL }, "stage System.map");
                if (r >= 0)
                        r = run(b, (const char *const[]) { "cp", "--", sc, c, NULL }, "stage the config");
        }
        if (r >= 0)
                r = stage_headers(b, arch, headers);
        if (r < 0)
                return r;
        /* publish: headers first, then the modules dir that makes the kernel appear */
        mods_rel = strdup_printf("/usr/lib/modules/%s", b->kver);
        headers_rel = strdup_printf("/usr/src/linux-%s", b->kver);
        build_link = strdup_printf("/usr/lib/modules/%s/build", b->kver);
        if (!mods_rel || !headers_rel || !build_link)
                return -ENOMEM;
        if (symlinkat(headers_rel, AT_FDCWD, (src_link = path_join(mods, "build"))) < 0)
                return log_error_errno(-errno, "'%s': cannot create: %m", src_link);
        r = fs_mkdir_p(root->fd, "/usr/src", 0755);
        if (r >= 0)
                r = fs_mkdir_p(root->fd, "/usr/lib/modules", 0755);
        if (r < 0)
                return r;
        /* the renames below and depmod work at host paths */
        {
                _cleanup_free_ char *src_dir = NULL, *mods_dir = NULL;
                r = root_host_dir(root, "/usr/src", "install the kernel headers", &src_dir);
                if (r >= 0)
                        r = root_host_dir(root, "/usr/lib/modules", "install the kernel", &mods_dir);
                if (r < 0)
                        return r;
                dst_headers = path_join(src_dir, headers_rel + strlen("/usr/src/"));
                dst_mods = path_join(mods_dir, b->kver);
                if (!dst_headers || !dst_mods)
                        return -ENOMEM;
        }
        (void) run(b, (const char *const[]) { "rm", "-rf", "--", dst_headers, NULL }, "replace the headers");
        if (rename(headers, dst_headers) < 0)
                return log_error_errno(-errno, "'%s': cannot install: %m", dst_headers);
        (void) run(b, (const char *const[]) { "rm", "-rf", "--", dst_mods, NULL }, "replace the modules");
        if (rename(mods, dst_mods) < 0)
                return log_error_errno(-errno, "'%s': cannot install: %m", dst_mods);
        (void) run(b, (const char *const[]) { "rm", "-rf", "--", stage, NULL }, "clean the staging dir");
        return run(b, (const char *const[]) { "depmod", "-b", root->path, b->kver, NULL }, "depmod");
}

int kbuild_run(const struct kbuild_request *req, char **ret_kver) {
        _cleanup_free_ char *base = strrchr(req->src, '/') ? strdup(strrchr(req->src, '/') + 1) : strdup(req->src);
        _cleanup_free_ char *tmp_rel = NULL, *final = NULL;
        struct kb b = { .req = req };
        int r;

        if (!base)
                return -ENOMEM;
        {
                _cleanup_free_ char *mk = path_join(req->src, "Makefile"), *kc = path_join(req->src, "Kconfig");
                if (!mk || !kc)
                        return -ENOMEM;
                if (access(mk, R_OK) < 0 || access(kc, R_OK) < 0)
                        return log_error_errno(-ENOENT, "'%s': no kernel sources there (no Makefile and Kconfig)",
                                               req->src);
        }
        tmp_rel = strdup_printf(KBUILD_DIR "/.configure-%s", base);
        if (!tmp_rel)
                return -ENOMEM;
        r = fs_mkdir_p(req->root->fd, tmp_rel, 0755);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot create: %s", tmp_rel, strerror(-r));
        r = root_host_dir(req->root, tmp_rel, "build the kernel", &b.out);
        if (r < 0)
                return r;
        r = configure(&b);
        if (r >= 0)
                r = kernelrelease(&b);
        if (r >= 0)
                r = root_host_dir(req->root, KBUILD_DIR, "build the kernel", &final);
        if (r >= 0) {
                /* the build dir is named after the release: kbuild/KVER */
                char *dir = strdup_printf("%s/%s", final, b.kver);
                if (!dir)
                        r = -ENOMEM;
                else {
                        (void) run(&b, (const char *const[]) { "rm", "-rf", "--", dir, NULL }, "clean the build dir");
                        if (rename(b.out, dir) < 0)
                                r = log_error_errno(-errno, "'%s': cannot rename to '%s': %m", b.out, dir);
                        free(b.out);
                        b.out = dir;
                }
        }
        if (r >= 0)
                r = make(&b, "make (image and modules)", (const char *const[]) { "all", NULL });
        if (r >= 0)
                r = install(&b);
        free(b.out);
        if (r < 0) {
                free(b.kver);
                return r;
        }
        *ret_kver = b.kver;
        return 0;
}
