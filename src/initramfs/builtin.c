/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include "initramfs/builtin.h"
#include "initramfs/compress.h"
#include "initramfs/cpio.h"
#include "util/log.h"
#include "util/strv.h"

#define COPY_BUF_SIZE (256 * 1024)
#define OS_RELEASE_MAX (64 * 1024)

const char *const initramfs_generic_modules[] = {
        "virtio_pci", "virtio_blk", "virtio_scsi", "nvme", "ahci", "sd_mod", "sr_mod", "usb_storage", "uas",
        "xhci_pci", "ehci_pci", "ext4", "xfs", "btrfs", "vfat", "nls_cp437", "nls_iso8859-1", "dm_mod", "crc32c",
        NULL,
};

enum entry_kind { ENTRY_DIR, ENTRY_CHARDEV, ENTRY_DATA, ENTRY_HOST_FILE, ENTRY_ROOT_FILE };

/* One archive member and where its contents come from. */
struct entry {
        char *path;                     /* in the archive */
        enum entry_kind kind;
        mode_t perm;
        char *source;                   /* HOST_FILE: host path; ROOT_FILE: root-relative path */
        enum module_compress compress;  /* ROOT_FILE: stored decompressed */
        char *data;                     /* DATA */
        size_t size;                    /* DATA */
        unsigned major, minor;          /* CHARDEV */
};

struct manifest {
        struct entry *e;
        size_t n, alloc;
};

/* The state of one generation: where the bytes go and whether a failure there
 * was already reported. */
struct gen {
        const struct initramfs_request *req;
        int fd;
        struct compressor *compressor;
        struct cpio_writer *writer;
        uint8_t *buf;
        bool sink_failed;
};

static void entry_done(struct entry *e) {
        free(e->path);
        free(e->source);
        free(e->data);
}

static void manifest_done(struct manifest *m) {
        for (size_t i = 0; i < m->n; i++)
                entry_done(&m->e[i]);
        free(m->e);
}

/* Appends e, taking its strings (freed on failure too). */
static int manifest_add(struct manifest *m, struct entry e) {
        bool complete = e.path && (e.kind < ENTRY_HOST_FILE || e.source) && (e.kind != ENTRY_DATA || e.data);

        if (complete && m->n == m->alloc) {
                size_t na = m->alloc ? m->alloc * 2 : 128;
                struct entry *a = realloc(m->e, na * sizeof *a);
                if (a) {
                        m->e = a;
                        m->alloc = na;
                }
        }
        if (!complete || m->n == m->alloc) {
                entry_done(&e);
                return -ENOMEM;
        }
        m->e[m->n++] = e;
        return 0;
}

static int add_dir(struct manifest *m, const char *path, mode_t perm) {
        return manifest_add(m, (struct entry) { .path = strdup(path), .kind = ENTRY_DIR, .perm = perm });
}

static int add_data(struct manifest *m, char *path, char *data, size_t size) {
        return manifest_add(m, (struct entry) { .path = path, .kind = ENTRY_DATA, .perm = 0644,
                                                .data = data, .size = size });
}

static int add_root_file(struct manifest *m, char *path, char *source, enum module_compress c) {
        return manifest_add(m, (struct entry) { .path = path, .kind = ENTRY_ROOT_FILE, .perm = 0644,
                                                .source = source, .compress = c });
}

int64_t builtin_mtime(void) {
        const char *e = getenv("SOURCE_DATE_EPOCH");
        char *end;
        long long v;

        if (isempty(e))
                return 0;
        errno = 0;
        v = strtoll(e, &end, 10);
        if (errno || *end || end == e || v < 0 || v > UINT32_MAX) {
                log_warning("SOURCE_DATE_EPOCH='%s' is not a time the cpio format can hold, ignoring", e);
                return 0;
        }
        return v;
}

int builtin_request_check(const struct initramfs_request *req) {
        if (!req->root || !req->kernel || isempty(req->output))
                return log_error_errno(-EINVAL, "initramfs request without a root, kernel or output");
        if ((unsigned) req->codec >= _INITRAMFS_CODEC_MAX)
                return log_error_errno(-EINVAL, "initramfs request with an unknown compression %d", (int) req->codec);
        return 0;
}

static int add_names(struct ir_modset *s, char *const *names, enum modset_missing missing, bool load) {
        STRV_FOREACH(n, names) {
                int r = modset_add(s, *n, missing, load);
                if (r < 0)
                        return r;
        }
        return 0;
}

int builtin_modset(const struct initramfs_request *req, unsigned flags, struct ir_modset **ret,
                   char ***ret_hostonly) {
        _cleanup_modset_ struct ir_modset *s = NULL;
        _cleanup_strv_free_ char **host = NULL;
        int r;

        if (req->hostonly) {
                r = initramfs_hostonly_modules(req->root, &host);
                if (r < 0)
                        return r;
        }
        r = modset_new(req->root, req->kernel, flags, &s);
        if (r >= 0)
                r = add_names(s, req->load, MODSET_REQUIRED, true);
        if (r >= 0)
                r = add_names(s, req->modules, MODSET_REQUIRED, false);
        if (r >= 0)
                r = add_names(s, req->optional_modules, MODSET_WARN, false);
        if (r >= 0 && req->generic)
                r = add_names(s, (char *const *) initramfs_generic_modules, MODSET_QUIET, false);
        if (r >= 0)
                r = add_names(s, host, MODSET_QUIET, false);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        if (ret_hostonly)
                *ret_hostonly = TAKE_PTR(host);
        return 0;
}

/* ------------------------------------------------------------- the files */

/* A field of modules.alias-initramfs: not empty, no white space or control
 * characters, which separate fields and lines there. */
static bool index_field_ok(const char *s) {
        if (isempty(s))
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 0x7f)
                        return false;
        return true;
}

/* Whether module i and everything it needs can be written as fields. */
static bool index_module_ok(const struct ir_modset *s, size_t i, const size_t *deps, size_t n) {
        if (!index_field_ok(s->modules[i].name) || !index_field_ok(s->modules[i].image_path))
                return false;
        for (size_t j = 0; j < n; j++)
                if (!index_field_ok(s->modules[deps[j]].image_path))
                        return false;
        return true;
}

int builtin_alias_index(const struct ir_modset *s, char **ret, size_t *ret_len) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        _cleanup_free_ bool *skip = calloc(s->n ? s->n : 1, sizeof(bool));
        int r = skip ? strbuf_puts(&sb, "# module NAME PATH [DEP...] / alias GLOB PATH (paths relative to this directory)\n")
                     : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < s->n; i++) {
                _cleanup_free_ size_t *deps = NULL;
                size_t n = 0;

                r = modset_deps(s, i, &deps, &n);
                if (r >= 0 && !index_module_ok(s, i, deps, n)) {
                        log_warning("module %zu of the initramfs: its name, path or a dependency's path has white "
                                    "space or control characters, not loadable on demand, skipping", i);
                        skip[i] = true;
                        continue;
                }
                if (r >= 0)
                        r = strbuf_printf(&sb, "module %s %s", s->modules[i].name, s->modules[i].image_path);
                for (size_t j = 0; r >= 0 && j < n; j++)
                        r = strbuf_printf(&sb, " %s", s->modules[deps[j]].image_path);
                if (r >= 0)
                        r = strbuf_putc(&sb, '\n');
        }
        for (size_t i = 0; r >= 0 && i < s->n; i++)
                STRV_FOREACH(a, s->modules[i].aliases) {
                        if (skip[i] || r < 0)
                                continue;
                        if (!index_field_ok(*a)) {
                                log_warning("module '%s': alias %zu has white space or control characters, skipping",
                                            s->modules[i].name, (size_t) (a - s->modules[i].aliases));
                                continue;
                        }
                        r = strbuf_printf(&sb, "alias %s %s\n", *a, s->modules[i].image_path);
                }
        if (r < 0)
                return r;
        *ret_len = sb.len;
        *ret = strbuf_detach(&sb);
        return *ret ? 0 : -ENOMEM;
}

/* modules.load: the modules marked for loading, in load order. */
static int load_list(const struct ir_modset *s, char **ret, size_t *ret_len) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int r = strbuf_puts(&sb, "");

        for (size_t i = 0; r >= 0 && i < s->n; i++)
                if (s->modules[i].load)
                        r = strbuf_printf(&sb, "%s\n", s->modules[i].image_path);
        if (r < 0)
                return r;
        *ret_len = sb.len;
        *ret = strbuf_detach(&sb);
        return *ret ? 0 : -ENOMEM;
}

/* The root's os-release, marked as an initrd's when it says no variant. */
static int initrd_release(const struct root *root, char **ret, size_t *ret_len) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        _cleanup_free_ char *text = NULL;
        int r;

        r = fs_read_all(root->fd, "/etc/os-release", OS_RELEASE_MAX, &text, NULL);
        if (r < 0)
                r = fs_read_all(root->fd, "/usr/lib/os-release", OS_RELEASE_MAX, &text, NULL);
        r = strbuf_puts(&sb, r >= 0 ? text : "NAME=Linux\nID=linux\n");
        if (r >= 0 && sb.len > 0 && sb.buf[sb.len - 1] != '\n')
                r = strbuf_putc(&sb, '\n');
        if (r >= 0 && !startswith(sb.buf, "VARIANT_ID=") && !strstr(sb.buf, "\nVARIANT_ID="))
                r = strbuf_puts(&sb, "VARIANT_ID=initrd\n");
        if (r < 0)
                return r;
        *ret_len = sb.len;
        *ret = strbuf_detach(&sb);
        return *ret ? 0 : -ENOMEM;
}

static int add_skeleton(struct manifest *m, const struct initramfs_request *req) {
        static const char *const dirs[] = { "dev", "proc", "sys", "run" };
        char *data = NULL;
        size_t size = 0;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(dirs); i++)
                r = add_dir(m, dirs[i], 0755);
        if (r >= 0)
                r = add_dir(m, "root", 0700);
        if (r >= 0)
                r = manifest_add(m, (struct entry) { .path = strdup("dev/console"), .kind = ENTRY_CHARDEV,
                                                     .perm = 0600, .major = 5, .minor = 1 });
        if (r >= 0)
                r = initrd_release(req->root, &data, &size);
        if (r >= 0)
                r = add_data(m, strdup("etc/initrd-release"), data, size);
        if (r >= 0 && req->init_binary)
                r = manifest_add(m, (struct entry) { .path = strdup("init"), .kind = ENTRY_HOST_FILE,
                                                     .perm = 0755, .source = strdup(req->init_binary) });
        return r;
}

static int add_modules(struct manifest *m, const struct initramfs_request *req, const struct ir_modset *s) {
        const char *kver = req->kernel->kver;
        char *data = NULL;
        size_t size = 0;
        _cleanup_free_ char *dir = strdup_printf("lib/modules/%s", kver);
        int r = dir ? add_dir(m, dir, 0755) : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < s->n; i++)
                r = add_root_file(m, strdup_printf("%s/%s", dir, s->modules[i].image_path),
                                  strdup_printf("%s/%s", req->kernel->modules_dir, s->modules[i].path),
                                  s->modules[i].compress);
        if (r >= 0)
                r = load_list(s, &data, &size);
        if (r >= 0)
                r = add_data(m, strdup_printf("%s/modules.load", dir), data, size);
        if (r >= 0)
                r = builtin_alias_index(s, &data, &size);
        if (r >= 0)
                r = add_data(m, strdup_printf("%s/modules.alias-initramfs", dir), data, size);
        return r;
}

static int add_firmware(struct manifest *m, const struct ir_modset *s) {
        _cleanup_strv_free_ char **fw = NULL;
        _cleanup_free_ char *base = NULL;
        int r = modset_firmware(s, &base, &fw);

        STRV_FOREACH(f, fw)
                if (r >= 0)
                        r = add_root_file(m, strdup_printf("lib/firmware/%s", *f),
                                          strdup_printf("%s/%s", base, *f), MODULE_COMPRESS_NONE);
        return r;
}

static int entry_compare(const void *a, const void *b) {
        return cpio_path_compare(((const struct entry *) a)->path, ((const struct entry *) b)->path);
}

static int manifest_build(const struct initramfs_request *req, const struct ir_modset *s, struct manifest *m) {
        int r = add_skeleton(m, req);

        if (r >= 0)
                r = add_modules(m, req, s);
        if (r >= 0)
                r = add_firmware(m, s);
        if (r < 0)
                return r;
        qsort(m->e, m->n, sizeof *m->e, entry_compare);
        for (size_t i = 1; i < m->n; i++)
                if (cpio_path_compare(m->e[i - 1].path, m->e[i].path) == 0)
                        return log_error_errno(-EEXIST, "'%s': two files for one place in the image", m->e[i].path);
        return 0;
}

/* ----------------------------------------------------------- the writing */

static int gen_fd_sink(void *userdata, const void *buf, size_t len) {
        struct gen *g = userdata;
        int r = fd_write_all(g->fd, buf, len);

        if (r < 0 && !g->sink_failed) {
                g->sink_failed = true;
                log_error_errno(r, "'%s': cannot write: %s", g->req->output, strerror(-r));
        }
        return r;
}

static int gen_compress_sink(void *userdata, const void *buf, size_t len) {
        struct gen *g = userdata;
        int r = compressor_write(g->compressor, buf, len);

        if (r < 0)
                g->sink_failed = true; /* reported by the compressor or gen_fd_sink */
        return r;
}

/* Reports a failure of the writer that no sink reported. */
static int entry_failed(const struct gen *g, const char *path, int r) {
        if (g->sink_failed)
                return r;
        if (r == -EBADMSG)
                return log_error_errno(r, "'%s': changed while it was being archived", path);
        return log_error_errno(r, "'%s': cannot add it to the image: %s", path, strerror(-r));
}

/* Opens a file entry's source for reading (decompressed) and finds its size. */
static int open_source(const struct gen *g, const struct entry *e, struct ko_reader **ret, uint64_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (e->kind == ENTRY_HOST_FILE)
                fd = open(e->source, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        else
                fd = fs_open(g->req->root->fd, e->source, O_RDONLY | O_NOCTTY, 0);
        if (fd < 0 && e->kind == ENTRY_HOST_FILE)
                fd = -errno;
        if (fd < 0)
                return log_error_errno(fd, "'%s': cannot open: %s", e->source, strerror(-fd));
        if (fstat(fd, &st) < 0)
                return log_error_errno(-errno, "'%s': cannot stat: %s", e->source, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return log_error_errno(-EINVAL, "'%s': not a regular file", e->source);
        r = ko_decompressed_size(fd, e->compress, ret_size);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read: %s", e->source,
                                       r == -EBADMSG ? "corrupt compressed data" : strerror(-r));
        return ko_reader_new(TAKE_FD(fd), e->compress, ret);
}

static int write_file(struct gen *g, const struct entry *e) {
        _cleanup_ko_reader_ struct ko_reader *rd = NULL;
        uint64_t size = 0;
        int r = open_source(g, e, &rd, &size);

        if (r < 0)
                return r;
        r = cpio_writer_file_begin(g->writer, e->path, e->perm, size);
        if (r < 0)
                return entry_failed(g, e->source, r);
        for (;;) {
                ssize_t n = ko_reader_read(rd, g->buf, COPY_BUF_SIZE);
                if (n < 0)
                        return log_error_errno((int) n, "'%s': cannot read: %s", e->source,
                                               n == -EBADMSG ? "corrupt compressed data" : strerror((int) -n));
                if (n == 0)
                        break;
                r = cpio_writer_file_data(g->writer, g->buf, (size_t) n);
                if (r < 0)
                        return entry_failed(g, e->source, r);
        }
        r = cpio_writer_file_end(g->writer);
        return r < 0 ? entry_failed(g, e->source, r) : 0;
}

static int write_entry(struct gen *g, const struct entry *e) {
        int r;

        switch (e->kind) {
        case ENTRY_DIR:
                r = cpio_writer_dir(g->writer, e->path, e->perm);
                break;
        case ENTRY_CHARDEV:
                r = cpio_writer_chardev(g->writer, e->path, e->perm, e->major, e->minor);
                break;
        case ENTRY_DATA:
                r = cpio_writer_file(g->writer, e->path, e->perm, e->data, e->size);
                break;
        default:
                return write_file(g, e);
        }
        return r < 0 ? entry_failed(g, e->path, r) : 0;
}

static int write_archive(struct gen *g, const struct manifest *m, int64_t mtime) {
        _cleanup_compressor_ struct compressor *c = NULL;
        _cleanup_cpio_writer_ struct cpio_writer *w = NULL;
        int r;

        r = compressor_new(g->req->codec, g->req->level, gen_fd_sink, g, &c);
        if (r < 0)
                return r;
        r = cpio_writer_new(gen_compress_sink, g, mtime, &w);
        if (r < 0)
                return r;
        g->compressor = c;
        g->writer = w;
        for (size_t i = 0; r >= 0 && i < m->n; i++)
                r = write_entry(g, &m->e[i]);
        if (r >= 0 && (r = cpio_writer_finish(w)) < 0)
                r = entry_failed(g, "TRAILER!!!", r);
        if (r >= 0)
                r = compressor_finish(c);
        g->compressor = NULL;
        g->writer = NULL;
        return r;
}

/* ------------------------------------------------------ early microcode */

/* Regular files of a firmware subdirectory with the suffix, sorted, as root-relative paths. */
static int list_dir(const struct root *root, const char *dir, const char *suffix, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int fd = fs_open_dir(root->fd, dir), r = 0;
        struct dirent *de;
        DIR *d;

        if (!l)
                return -ENOMEM;
        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                *ret = TAKE_PTR(l);
                return 0;
        }
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                struct stat st;
                if (de->d_name[0] == '.' || !endswith(de->d_name, suffix))
                        continue;
                p = strdup_printf("%s/%s", dir, de->d_name);
                if (!p)
                        r = -ENOMEM;
                else if (fs_stat(root->fd, p, &st) >= 0 && S_ISREG(st.st_mode))
                        r = strv_consume(&l, TAKE_PTR(p));
        }
        closedir(d);
        strv_sort(l);
        *ret = TAKE_PTR(l);
        return r;
}

/* One microcode blob: the files concatenated. */
static int write_blob(struct gen *g, const char *path, char **files) {
        uint64_t total = 0;
        struct stat st;
        int r;

        STRV_FOREACH(f, files)
                if (fs_stat(g->req->root->fd, *f, &st) >= 0)
                        total += (uint64_t) st.st_size;
        r = cpio_writer_file_begin(g->writer, path, 0644, total);
        if (r < 0)
                return entry_failed(g, path, r);
        STRV_FOREACH(f, files) {
                _cleanup_ko_reader_ struct ko_reader *rd = NULL;
                int fd = fs_open(g->req->root->fd, *f, O_RDONLY | O_NOCTTY, 0);
                ssize_t n;

                if (fd < 0)
                        return log_error_errno(fd, "'%s': cannot open: %s", *f, strerror(-fd));
                r = ko_reader_new(fd, MODULE_COMPRESS_NONE, &rd);
                while (r >= 0 && (n = ko_reader_read(rd, g->buf, COPY_BUF_SIZE)) != 0)
                        r = n < 0 ? log_error_errno((int) n, "'%s': cannot read: %s", *f, strerror((int) -n))
                                  : cpio_writer_file_data(g->writer, g->buf, (size_t) n);
                if (r < 0)
                        return g->sink_failed || r != -EBADMSG ? r : entry_failed(g, *f, r);
        }
        r = cpio_writer_file_end(g->writer);
        return r < 0 ? entry_failed(g, path, r) : 0;
}

static bool wants_microcode(const struct kernel *k) {
        const struct kconfig *c = kernel_config(k);
        return !c || (streq_ptr(kconfig_get(c, "X86"), "y") && streq_ptr(kconfig_get(c, "MICROCODE"), "y"));
}

static int write_microcode(struct gen *g, int64_t mtime) {
        const char *fw = modset_firmware_dir(g->req->root);
        _cleanup_free_ char *intel_dir = NULL, *amd_dir = NULL;
        _cleanup_strv_free_ char **intel = NULL, **amd = NULL;
        _cleanup_cpio_writer_ struct cpio_writer *w = NULL;
        int r;

        if (!fw || !wants_microcode(g->req->kernel))
                return 0;
        intel_dir = strdup_printf("%s/intel-ucode", fw);
        amd_dir = strdup_printf("%s/amd-ucode", fw);
        if (!intel_dir || !amd_dir)
                return -ENOMEM;
        r = list_dir(g->req->root, intel_dir, "", &intel);
        if (r >= 0)
                r = list_dir(g->req->root, amd_dir, ".bin", &amd);
        if (r < 0 || (!*intel && !*amd))
                return r;
        r = cpio_writer_new(gen_fd_sink, g, mtime, &w);
        if (r < 0)
                return r;
        g->writer = w;
        if (*amd)
                r = write_blob(g, "kernel/x86/microcode/AuthenticAMD.bin", amd);
        if (r >= 0 && *intel)
                r = write_blob(g, "kernel/x86/microcode/GenuineIntel.bin", intel);
        if (r >= 0 && (r = cpio_writer_finish(w)) < 0)
                r = entry_failed(g, "TRAILER!!!", r);
        g->writer = NULL;
        return r;
}

/* ------------------------------------------------------------ the whole */

static int output_dir(const struct initramfs_request *req) {
        int r = fs_mkdir_parent(req->root->fd, req->output, 0755);
        return r < 0 ? log_error_errno(r, "'%s': cannot create its directory: %s", req->output, strerror(-r)) : 0;
}

static int generate(const struct initramfs_request *req, const struct manifest *m) {
        _cleanup_fs_tmp_ struct fs_tmp tmp = FS_TMP_INIT;
        _cleanup_free_ uint8_t *buf = malloc(COPY_BUF_SIZE);
        struct gen g = { .req = req, .buf = buf };
        int64_t mtime = builtin_mtime();
        int r;

        if (!buf)
                return -ENOMEM;
        r = output_dir(req);
        if (r < 0)
                return r;
        r = fs_tmp_open(req->root->fd, req->output, 0600, &tmp);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot create a temporary file beside it: %s", req->output,
                                       strerror(-r));
        g.fd = tmp.fd;
        r = write_microcode(&g, mtime);
        if (r >= 0)
                r = write_archive(&g, m, mtime);
        if (r < 0)
                return r;
        r = fs_tmp_commit(&tmp);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot install: %s", req->output, strerror(-r));
        return 0;
}

int initramfs_builtin_generate(const struct initramfs_request *req) {
        _cleanup_modset_ struct ir_modset *s = NULL;
        struct manifest m = {};
        int r;

        r = builtin_request_check(req);
        if (r >= 0)
                r = initramfs_compress_supported(kernel_config(req->kernel), req->kernel->kver, req->codec);
        if (r >= 0)
                r = builtin_modset(req, MODSET_INFO, &s, NULL);
        if (r >= 0)
                r = manifest_build(req, s, &m);
        if (r >= 0)
                r = generate(req, &m);
        manifest_done(&m);
        return r;
}
