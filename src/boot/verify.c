/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <openssl/x509.h>
#include "boot/bls.h"
#include "boot/boot.h"
#include "boot/verify.h"
#include "initramfs/compress.h"
#include "sign/authenticode.h"
#include "sign/key.h"
#include "sign/modsign.h"
#include "util/log.h"
#include "util/strv.h"

/* Larger than any module, as modsign reads them. */
#define MODULE_MAX (1024u * 1024 * 1024)

static const char *const problem_table[_VERIFY_PROBLEM_MAX] = {
        [VERIFY_MISSING] = "missing",
        [VERIFY_NOT_REGULAR] = "not a regular file",
        [VERIFY_MODIFIED] = "modified",
        [VERIFY_UNSIGNED] = "unsigned",
        [VERIFY_BAD_SIGNATURE] = "bad signature",
        [VERIFY_BROKEN_ENTRY] = "broken entry",
        [VERIFY_NO_DEFAULT] = "no default kernel",
        [VERIFY_DEFAULT_INCOMPLETE] = "default kernel incomplete",
};

const char *verify_problem_to_string(enum verify_problem p) {
        return p >= 0 && p < _VERIFY_PROBLEM_MAX ? problem_table[p] : NULL;
}

void verify_report_done(struct verify_report *r) {
        for (size_t i = 0; r->findings && i < r->n_findings; i++) {
                struct verify_finding *f = &r->findings[i];
                free(f->path);
                free(f->kver);
                free(f->owner);
                free(f->version);
                free(f->detail);
        }
        free(r->findings);
        free(r->default_kver);
        *r = (struct verify_report) {};
}

/* ---------------------------------------------------------------- report */

static int add(struct verify_report *rep, enum verify_problem problem, const char *path,
               const struct state_file *f, const char *kver, const char *fmt, ...) _printf_(6, 7);
static int add(struct verify_report *rep, enum verify_problem problem, const char *path,
               const struct state_file *f, const char *kver, const char *fmt, ...) {
        struct verify_finding *m = realloc(rep->findings, (rep->n_findings + 1) * sizeof *m);
        struct verify_finding *x;
        va_list ap;
        int r = 0;

        if (!m)
                return -ENOMEM;
        rep->findings = m;
        x = &m[rep->n_findings++];
        *x = (struct verify_finding) { .problem = problem };
        if (fmt) {
                va_start(ap, fmt);
                r = vasprintf(&x->detail, fmt, ap);
                va_end(ap);
                if (r < 0)
                        x->detail = NULL;
        }
        if (f)
                kver = f->kver;
        if (r < 0 || (path && !(x->path = strdup(path))) || (kver && !(x->kver = strdup(kver))) ||
            (f && f->name && !(x->owner = strdup(f->name))) || (f && f->version && !(x->version = strdup(f->version))))
                return -ENOMEM;
        return 0;
}

/* The last error without its leading "'PATH': " (the finding names the file). */
static const char *last_error_about(const char *path) {
        const char *e = log_last_error();
        size_t n = strlen(path);

        if (e[0] == '\'' && strncmp(e + 1, path, n) == 0 && startswith(e + 1 + n, "': "))
                return e + 1 + n + 3;
        return e;
}

/* ------------------------------------------------------------ the checks */

struct ctx {
        const struct root *root;
        struct state *st;
        X509 *sb_cert;
        X509 *module_cert;
        struct verify_report *rep;
        bool full;
};

/* Missing, not regular, modified, or intact (1). */
static int check_content(const struct ctx *c, const struct state_file *f) {
        char hex[HASH_HEX_LEN];
        struct stat st;
        int r;

        r = fs_lstat(c->root->fd, f->path, &st);
        if (r == -ENOENT || r == -ENOTDIR)
                return add(c->rep, VERIFY_MISSING, f->path, f, NULL, NULL);
        if (r < 0)
                return add(c->rep, VERIFY_MISSING, f->path, f, NULL, "cannot stat: %s", strerror(-r));
        if (!S_ISREG(st.st_mode))
                return add(c->rep, VERIFY_NOT_REGULAR, f->path, f, NULL, "%s",
                           S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory" : "a special file");
        if (!c->full && st.st_size == f->size && timespec_ns(st.st_mtim) == f->mtime_ns &&
            (int64_t) st.st_ino == f->ino)
                return 1;
        c->rep->n_hashed++;
        r = hash_file_at(c->root->fd, f->path, hex);
        if (r < 0)
                return add(c->rep, VERIFY_MODIFIED, f->path, f, NULL, "cannot read: %s", strerror(-r));
        if (!streq(hex, f->sha256))
                return add(c->rep, VERIFY_MODIFIED, f->path, f, NULL, NULL);
        return 1;
}

static bool is_boot_image(const struct state_file *f) {
        const char *base = strrchr(f->path, '/');

        base = base ? base + 1 : f->path;
        return streq_ptr(f->name, BOOT_OWNER) &&
               (endswith(base, ".efi") || streq(base, "linux") || startswith(base, "vmlinuz-"));
}

static bool is_module(const struct state_file *f) {
        return f->name && f->name[0] != '(' &&
               (endswith(f->path, ".ko") || ko_compress_from_path(f->path) != MODULE_COMPRESS_NONE);
}

static bool is_bls_entry(const struct state_file *f) {
        return streq_ptr(f->name, BOOT_OWNER) && strstr(f->path, "/loader/entries/") && endswith(f->path, ".conf");
}

static int check_authenticode(const struct ctx *c, const struct state_file *f) {
        _cleanup_close_ int fd = fs_open(c->root->fd, f->path, O_RDONLY | O_NOFOLLOW, 0);
        const char *why;
        bool was;
        int r;

        if (fd < 0)
                return add(c->rep, VERIFY_MISSING, f->path, f, NULL, "cannot open: %s", strerror(-fd));
        was = log_set_muted(true);
        r = authenticode_verify_fd(fd, c->sb_cert, f->path);
        log_set_muted(was);
        if (r >= 0)
                return 0;
        if (r == -ENOMEM)
                return r;
        why = last_error_about(f->path);
        return add(c->rep, startswith(why, "no signature") ? VERIFY_UNSIGNED : VERIFY_BAD_SIGNATURE, f->path, f,
                   NULL, "%s", why);
}

/* Reads a module decompressed into buf. */
static int read_module(const struct ctx *c, const char *path, struct strbuf *buf) {
        _cleanup_(ko_reader_freep) struct ko_reader *kr = NULL;
        char chunk[1 << 16];
        int fd, r;

        fd = fs_open(c->root->fd, path, O_RDONLY | O_NOFOLLOW, 0);
        if (fd < 0)
                return log_error_errno(fd, "'%s': cannot open: %s", path, strerror(-fd));
        r = ko_reader_new(fd, ko_compress_from_path(path), &kr);
        if (r < 0) {
                close(fd);
                return log_error_errno(r, "'%s': cannot read: %s", path, strerror(-r));
        }
        for (;;) {
                ssize_t n = ko_reader_read(kr, chunk, sizeof chunk);
                if (n < 0)
                        return log_error_errno((int) n, "'%s': cannot decompress: %s", path, strerror((int) -n));
                if (n == 0)
                        return 0;
                if (buf->len + (size_t) n > MODULE_MAX)
                        return log_error_errno(-EFBIG, "'%s': larger than any module", path);
                if (strbuf_add(buf, chunk, (size_t) n) < 0)
                        return -ENOMEM;
        }
}

static int check_module_signature(const struct ctx *c, const struct state_file *f) {
        _cleanup_strbuf_ struct strbuf buf = STRBUF_INIT;
        bool was = log_set_muted(true);
        int r;

        r = read_module(c, f->path, &buf);
        if (r >= 0)
                r = modsign_verify(buf.buf ? buf.buf : "", buf.len, c->module_cert, f->path);
        log_set_muted(was);
        if (r >= 0)
                return 0;
        if (r == -ENOMEM)
                return r;
        return add(c->rep, r == -ENODATA ? VERIFY_UNSIGNED : VERIFY_BAD_SIGNATURE, f->path, f, NULL, "%s",
                   last_error_about(f->path));
}

static int check_entry(const struct ctx *c, const struct state_file *f) {
        _cleanup_free_ char *text = NULL, *boot = bls_entry_boot_dir(f->path);
        _cleanup_strv_free_ char **files = NULL;
        size_t len;
        int r;

        if (!boot)
                return add(c->rep, VERIFY_BROKEN_ENTRY, f->path, f, NULL, "not in a loader/entries/ directory");
        r = fs_read_all(c->root->fd, f->path, 1u << 20, &text, &len);
        if (r < 0)
                return add(c->rep, VERIFY_BROKEN_ENTRY, f->path, f, NULL, "cannot read: %s", strerror(-r));
        r = bls_entry_files(text, &files);
        if (r == -EBADMSG)
                return add(c->rep, VERIFY_BROKEN_ENTRY, f->path, f, NULL, "a linux, initrd, efi or devicetree "
                           "line without a path");
        if (r < 0)
                return r;
        if (strv_length(files) == 0)
                return add(c->rep, VERIFY_BROKEN_ENTRY, f->path, f, NULL, "refers to no kernel");
        STRV_FOREACH(p, files) {
                _cleanup_free_ char *target = NULL;
                struct stat st;

                if (!bls_path_valid(*p)) {
                        r = add(c->rep, VERIFY_BROKEN_ENTRY, f->path, f, NULL, "'%s' leads out of '%s'", *p, boot);
                        if (r < 0)
                                return r;
                        continue;
                }
                target = path_join(boot, *p);
                if (!target)
                        return -ENOMEM;
                r = fs_stat(c->root->fd, target, &st);
                if (r >= 0 && S_ISREG(st.st_mode))
                        continue;
                r = add(c->rep, VERIFY_BROKEN_ENTRY, f->path, f, NULL, "'%s' %s", target,
                        r == -ENOENT || r == -ENOTDIR ? "does not exist" : r < 0 ? strerror(-r) : "is not a regular file");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_file(const struct ctx *c, const struct state_file *f) {
        int r = check_content(c, f);

        if (r <= 0)
                return r;
        if (c->sb_cert && is_boot_image(f))
                r = check_authenticode(c, f);
        else if (c->module_cert && is_module(f))
                r = check_module_signature(c, f);
        if (r >= 0 && is_bls_entry(f))
                r = check_entry(c, f);
        return r < 0 ? r : 0;
}

/* Whether a finding is about a boot file of kver. */
static const struct verify_finding *boot_finding(const struct verify_report *rep, const char *kver) {
        for (size_t i = 0; i < rep->n_findings; i++)
                if (streq_ptr(rep->findings[i].kver, kver) && streq_ptr(rep->findings[i].owner, BOOT_OWNER))
                        return &rep->findings[i];
        return NULL;
}

static int check_default(const struct ctx *c) {
        _cleanup_strv_free_ char **kvers = NULL;
        _cleanup_free_ char *status = NULL;
        const struct verify_finding *bad;
        const char *def;
        int r;

        r = state_kernel_list(c->st, &kvers, NULL);
        if (r < 0)
                return r;
        c->rep->default_kver = boot_default(c->st);
        def = c->rep->default_kver;
        if (!def)
                return kvers ? add(c->rep, VERIFY_NO_DEFAULT, NULL, NULL, NULL,
                                   "%zu kernel(s) registered, none of them bootable", strv_length(kvers)) : 0;
        if (!strv_contains(kvers, def))
                return add(c->rep, VERIFY_DEFAULT_INCOMPLETE, NULL, NULL, def, "it is not a registered kernel");
        if (!boot_entry_recorded(c->st, def))
                return add(c->rep, VERIFY_DEFAULT_INCOMPLETE, NULL, NULL, def, "its boot entry is not recorded");
        status = boot_status(c->st, def);
        if (!status || !startswith(status, "installed"))
                return add(c->rep, VERIFY_DEFAULT_INCOMPLETE, NULL, NULL, def, "its boot status is '%s'",
                           status ? status : "unknown");
        bad = boot_finding(c->rep, def);
        if (bad)
                return add(c->rep, VERIFY_DEFAULT_INCOMPLETE, NULL, NULL, def, "'%s' of its boot entry is %s",
                           bad->path ? bad->path : def, verify_problem_to_string(bad->problem));
        return 0;
}

static void x509_freep(X509 **x) { X509_free(*x); }

static int load_cert(const struct root *root, const char *path, X509 **ret) {
        *ret = NULL;
        return path ? sign_cert_load(root->fd, path, ret) : 0;
}

int verify_run(const struct root *root, struct state *st, const struct config *cfg, enum verify_flags flags,
               struct verify_report *ret) {
        _cleanup_(x509_freep) X509 *sb_cert = NULL, *module_cert = NULL;
        _cleanup_(verify_report_done) struct verify_report rep = {};
        struct ctx c = { .root = root, .st = st, .rep = &rep, .full = flags & VERIFY_FULL };
        struct state_file *files = NULL;
        size_t n = 0;
        int r;

        r = load_cert(root, cfg->secureboot_key ? cfg->secureboot_cert : NULL, &sb_cert);
        if (r >= 0)
                r = load_cert(root, cfg->module_sign_key ? cfg->module_sign_cert : NULL, &module_cert);
        if (r < 0)
                return r;
        c.sb_cert = sb_cert;
        c.module_cert = module_cert;
        r = state_file_list(st, NULL, NULL, NULL, &files, &n);
        if (r < 0)
                return r;
        rep.n_files = n;
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = check_file(&c, &files[i]);
        state_file_list_free(files, n);
        if (r >= 0)
                r = check_default(&c);
        if (r < 0)
                return r;
        *ret = rep;
        rep = (struct verify_report) {};
        return 0;
}
