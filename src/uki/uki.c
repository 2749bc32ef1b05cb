/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include "uki/pe-builder.h"
#include "uki/uki.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/strv.h"

#define STUB_MAX (16u << 20)
#define SBAT_MAX (64u << 10)
#define COPY_BUFFER_SIZE (1u << 20)
#define WRITEBACK_STEP (4u << 20)

static const char sbat_header[] = "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md";
static const char sbat_uki[] = "uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/";

static const struct {
        const char *arch;
        uint16_t machine;
} arch_table[] = {
        { "x64", PE_MACHINE_X86_64 },
        { "aa64", PE_MACHINE_ARM64 },
        { "ia32", PE_MACHINE_I386 },
};

/* One new section: data from memory or streamed from a file. */
struct input {
        const char *section;
        const char *path; /* host path of a file input, NULL for data */
        int fd;
        const void *data;
        uint64_t len;
        int index; /* in the section table, or -1 when written in place */
};

enum { IN_OSREL, IN_CMDLINE, IN_DTB, IN_UNAME, IN_SPLASH, IN_INITRD, IN_SBAT, IN_LINUX, _IN_MAX };

struct uki_ctx {
        const struct uki_request *req;
        char *stub_path;
        struct pe_builder b;
        struct pe_image kernel;
        char *sbat;
        struct input in[_IN_MAX];
};

static void uki_ctx_done(struct uki_ctx *c) {
        for (size_t i = 0; i < _IN_MAX; i++)
                if (c->in[i].fd >= 0)
                        close(c->in[i].fd);
        pe_builder_done(&c->b);
        pe_image_done(&c->kernel);
        free(c->sbat);
        free(c->stub_path);
}

const char *uki_native_arch(void) {
#if defined(__x86_64__)
        return "x64";
#elif defined(__aarch64__)
        return "aa64";
#elif defined(__i386__)
        return "ia32";
#else
        return NULL;
#endif
}

uint16_t uki_arch_machine(const char *arch) {
        for (size_t i = 0; arch && i < ELEMENTSOF(arch_table); i++)
                if (streq(arch_table[i].arch, arch))
                        return arch_table[i].machine;
        return 0;
}

int uki_find_stub(const char *prefix, const char *arch, char **ret) {
        _cleanup_free_ char *rel = NULL, *p = NULL;

        arch = arch ?: uki_native_arch();
        if (!uki_arch_machine(arch))
                return log_error_errno(-EINVAL, "no systemd-stub for EFI architecture '%s'", strempty(arch));
        rel = strdup_printf("usr/lib/systemd/boot/efi/linux%s.efi.stub", arch);
        if (!rel)
                return -ENOMEM;
        p = path_join(prefix ?: "/", rel);
        if (!p)
                return -ENOMEM;
        if (access(p, R_OK) < 0)
                return log_error_errno(-errno, "'%s': no EFI stub for %s (package systemd-boot-efi): %m", p, arch);
        *ret = TAKE_PTR(p);
        return 0;
}

/* Opens a host file for reading; it must be a regular file (O_NONBLOCK: a FIFO
 * must not block us before we can tell). */
static int open_input(const char *path, int *ret_fd, uint64_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0)
                return log_error_errno(-errno, "'%s': cannot open: %m", path);
        if (fstat(fd, &st) < 0)
                return log_error_errno(-errno, "'%s': cannot stat: %m", path);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(-EINVAL, "'%s': not a regular file", path);
        *ret_fd = TAKE_FD(fd);
        *ret_len = (uint64_t) st.st_size;
        return 0;
}

static int load_stub(struct uki_ctx *c) {
        const char *arch = c->req->arch ?: uki_native_arch();
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *path = c->req->stub;
        uint64_t len;
        size_t n;
        int r;

        if (!path) {
                r = uki_find_stub(NULL, arch, &c->stub_path);
                if (r < 0)
                        return r;
                path = c->stub_path;
        }
        r = open_input(path, &fd, &len);
        if (r < 0)
                return r;
        r = fd_read_all(fd, STUB_MAX, &data, &n);
        if (r == -EFBIG)
                return log_error_errno(r, "'%s': larger than %u MiB, not an EFI stub", path, STUB_MAX >> 20);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read: %s", path, strerror(-r));
        r = pe_builder_init(&c->b, data, n, path);
        if (r < 0)
                return r;
        if ((c->req->arch || !c->req->stub) && c->b.pe.machine != uki_arch_machine(arch))
                return log_error_errno(-EINVAL, "'%s': built for PE machine 0x%04x, not for EFI architecture '%s'",
                                       path, c->b.pe.machine, strempty(arch));
        return 0;
}

/* Appends the entries of one SBAT CSV text (up to its first NUL): every line but
 * the "sbat," header line and empty ones. A text from a PE section must begin
 * with the header (as ukify requires), else it is skipped. */
static int sbat_append(struct strbuf *sb, const char *text, size_t len, bool need_header, const char *what) {
        _cleanup_free_ char *copy = strndup(text, len);
        char *line, *save = NULL;
        bool first = true;

        if (!copy)
                return -ENOMEM;
        if (need_header && !startswith(copy, "sbat,")) {
                log_warning("'%s': .sbat does not begin with an SBAT header line, ignoring", what);
                return 0;
        }
        for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save), first = false) {
                size_t l = strlen(line);
                if (l > 0 && line[l - 1] == '\r')
                        line[--l] = 0;
                if (l == 0 || (first && startswith(line, "sbat,")))
                        continue;
                if (strbuf_puts(sb, line) < 0 || strbuf_putc(sb, '\n') < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Reads a .sbat section of an image, if it has one, and appends its entries. */
static int sbat_append_pe(struct strbuf *sb, int fd, const struct pe_image *pe, const char *what) {
        const struct pe_section *s = pe_find_section(pe, ".sbat");
        _cleanup_free_ void *data = NULL;
        size_t len;
        int r;

        if (!s)
                return 0;
        r = pe_read_section(fd, s, SBAT_MAX, &data, &len);
        if (r == -EFBIG)
                return log_error_errno(r, "'%s': .sbat section larger than %u KiB", what, SBAT_MAX >> 10);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read the .sbat section: %s", what, strerror(-r));
        return sbat_append(sb, data, len, true, what);
}

static int build_sbat(struct uki_ctx *c) {
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;
        int idx = pe_builder_find_original(&c->b, ".sbat");
        const char *stub = c->req->stub ?: c->stub_path;
        int r = 0;

        if (strbuf_puts(&sb, sbat_header) < 0 || strbuf_putc(&sb, '\n') < 0)
                return -ENOMEM;
        if (idx >= 0) {
                const struct pe_section *s = &c->b.pe.sections[idx];
                size_t n = s->virtual_size < s->size_of_raw_data ? s->virtual_size : s->size_of_raw_data;
                const char *text = n > 0 ? (const char *) c->b.img + s->pointer_to_raw_data : "";
                r = sbat_append(&sb, text, n, true, stub);
        }
        if (r >= 0)
                r = sbat_append_pe(&sb, c->in[IN_LINUX].fd, &c->kernel, c->req->linux_path);
        if (r >= 0 && c->req->sbat)
                r = sbat_append(&sb, c->req->sbat, strlen(c->req->sbat), false, "request");
        else if (r >= 0 && (strbuf_puts(&sb, sbat_uki) < 0 || strbuf_putc(&sb, '\n') < 0))
                r = -ENOMEM;
        if (r < 0)
                return r;
        c->in[IN_SBAT].len = sb.len + 1; /* with the NUL, as ukify writes it */
        c->sbat = strbuf_detach(&sb);
        c->in[IN_SBAT].data = c->sbat;
        return c->sbat ? 0 : -ENOMEM;
}

static int load_kernel(struct uki_ctx *c) {
        struct input *in = &c->in[IN_LINUX];
        int r;

        in->path = c->req->linux_path;
        r = open_input(in->path, &in->fd, &in->len);
        if (r < 0)
                return r;
        r = pe_load_fd(in->fd, in->path, &c->kernel);
        if (r < 0)
                return r;
        if (c->kernel.machine != c->b.pe.machine)
                return log_error_errno(-EINVAL, "'%s': a kernel for PE machine 0x%04x, the stub is for 0x%04x",
                                       in->path, c->kernel.machine, c->b.pe.machine);
        return 0;
}

static int setup_inputs(struct uki_ctx *c) {
        const struct uki_request *req = c->req;
        static const char *const names[_IN_MAX] = {
                ".osrel", ".cmdline", ".dtb", ".uname", ".splash", ".initrd", ".sbat", ".linux",
        };
        const char *files[_IN_MAX] = { [IN_DTB] = req->dtb, [IN_SPLASH] = req->splash, [IN_INITRD] = req->initrd };
        const char *texts[_IN_MAX] = { [IN_OSREL] = req->os_release, [IN_CMDLINE] = req->cmdline,
                                       [IN_UNAME] = req->uname };
        int r;

        for (size_t i = 0; i < _IN_MAX; i++) {
                c->in[i].section = names[i];
                c->in[i].index = -1;
                if (texts[i]) {
                        c->in[i].data = texts[i];
                        c->in[i].len = strlen(texts[i]);
                }
                if (!files[i])
                        continue;
                c->in[i].path = files[i];
                r = open_input(files[i], &c->in[i].fd, &c->in[i].len);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The merged .sbat in the stub's own section, or appended (see uki.h). */
static int place_sbat(struct uki_ctx *c) {
        struct input *in = &c->in[IN_SBAT];
        int idx = pe_builder_find_original(&c->b, ".sbat"), r;

        if (idx >= 0) {
                r = pe_builder_replace(&c->b, (unsigned) idx, in->data, in->len);
                if (r != -ENOSPC)
                        return r;
                log_debug("'%s': merged .sbat does not fit the stub's, appending it", c->b.name);
                pe_builder_rename(&c->b, (unsigned) idx, ".oldsbat");
        }
        r = pe_builder_add(&c->b, in->section, in->len, PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ);
        if (r < 0)
                return r;
        in->index = r;
        return 0;
}

static int place_sections(struct uki_ctx *c) {
        int r;

        if (c->in[IN_LINUX].len == 0)
                return log_error_errno(-EINVAL, "'%s': empty kernel image", c->in[IN_LINUX].path);
        for (size_t i = 0; i < _IN_MAX; i++) {
                struct input *in = &c->in[i];
                uint32_t flags = i == IN_LINUX ? PE_SCN_CNT_CODE | PE_SCN_MEM_READ
                                               : PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ;

                if (i == IN_SBAT)
                        r = place_sbat(c);
                else if (in->len == 0)
                        continue;
                else
                        r = in->index = pe_builder_add(&c->b, in->section, in->len, flags);
                if (r < 0)
                        return r;
        }
        return pe_builder_finish(&c->b);
}

/* The output stream: every byte goes through the checksum. */
struct out {
        int fd;
        const char *name;
        uint64_t off;
        uint64_t flushed; /* writeback started up to here */
        struct pe_csum csum;
        uint8_t *buf;
};

static int out_write(struct out *o, const void *data, size_t len) {
        int r = fd_write_all(o->fd, data, len);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot write: %s", o->name, strerror(-r));
        pe_csum_add(&o->csum, data, len);
        o->off += len;
        /* the disk writes what we have while we produce the rest */
        if (o->off - o->flushed >= WRITEBACK_STEP) {
                fd_start_writeback(o->fd, o->flushed, o->off - o->flushed);
                o->flushed = o->off;
        }
        return 0;
}

static int out_zero(struct out *o, uint64_t len) {
        static const uint8_t zeros[4096];

        while (len > 0) {
                size_t n = len < sizeof zeros ? (size_t) len : sizeof zeros;
                int r = out_write(o, zeros, n);
                if (r < 0)
                        return r;
                len -= n;
        }
        return 0;
}

/* Streams in->len bytes of a file input, in big pieces. */
static int out_copy(struct out *o, const struct input *in) {
        uint64_t done = 0;

        while (done < in->len) {
                uint64_t want = in->len - done < COPY_BUFFER_SIZE ? in->len - done : COPY_BUFFER_SIZE;
                ssize_t n = pread(in->fd, o->buf, (size_t) want, (off_t) done);
                int r;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno(-errno, "'%s': cannot read: %m", in->path);
                if (n == 0)
                        return log_error_errno(-EIO, "'%s': file shrank while being read", in->path);
                r = out_write(o, o->buf, (size_t) n);
                if (r < 0)
                        return r;
                done += (uint64_t) n;
        }
        return 0;
}

/* Writes one new section at its offset: data, then zeros up to SizeOfRawData. */
static int out_section(struct out *o, const struct pe_section *s, const struct input *in) {
        int r;

        r = out_zero(o, s->pointer_to_raw_data - o->off);
        if (r >= 0)
                r = in->path ? out_copy(o, in) : out_write(o, in->data, (size_t) in->len);
        if (r >= 0)
                r = out_zero(o, s->pointer_to_raw_data + s->size_of_raw_data - o->off);
        return r;
}

/* The sections in table (= file) order, then the checksum into its field. */
static int write_sections(struct uki_ctx *c, struct out *o) {
        uint8_t field[4];
        int r;

        r = out_write(o, c->b.img, c->b.img_len);
        for (unsigned i = c->b.n_original; r >= 0 && i < c->b.pe.n_sections; i++)
                for (size_t k = 0; k < _IN_MAX; k++)
                        if (c->in[k].index == (int) i) {
                                r = out_section(o, &c->b.pe.sections[i], &c->in[k]);
                                break;
                        }
        if (r < 0)
                return r;
        pe_put32(field, pe_csum_finish(&o->csum));
        if (lseek(o->fd, (off_t) pe_builder_checksum_offset(&c->b), SEEK_SET) < 0)
                return log_error_errno(-errno, "'%s': cannot seek: %m", o->name);
        r = fd_write_all(o->fd, field, sizeof field);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot write: %s", o->name, strerror(-r));
        return 0;
}

/* The SHA-256 of the finished output, read back on a thread of its own while
 * the main one fsyncs it (hash_fd() preads: the two share no file offset). */
struct hash_job {
        int fd;
        char hex[HASH_HEX_LEN];
        int r;
};

static void *hash_output(void *userdata) {
        struct hash_job *j = userdata;
        j->r = hash_fd(j->fd, j->hex);
        return NULL;
}

/* With ret_sha256: fsync the output while it is hashed. */
static int sync_and_hash(struct uki_ctx *c, int fd, const char *name) {
        struct hash_job job = { .fd = fd, .r = -ECHILD };
        pthread_t thread;
        bool threaded;
        int r;

        fd_start_writeback(fd, 0, 0);
        threaded = pthread_create(&thread, NULL, hash_output, &job) == 0;
        r = fs_fault("fsync");
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (threaded)
                (void) pthread_join(thread, NULL);
        else
                hash_output(&job);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot write: %s", name, strerror(-r));
        if (job.r < 0)
                return log_error_errno(job.r, "'%s': cannot read back: %s", name, strerror(-job.r));
        memcpy(c->req->ret_sha256, job.hex, HASH_HEX_LEN);
        return 0;
}

static int write_output(struct uki_ctx *c) {
        _cleanup_fs_tmp_ struct fs_tmp t = FS_TMP_INIT;
        _cleanup_free_ uint8_t *buf = malloc(COPY_BUFFER_SIZE);
        struct out o = { .name = c->req->output, .csum = PE_CSUM_INIT, .buf = buf };
        int r;

        if (!buf)
                return -ENOMEM;
        if (c->req->output_fd > 0) {
                o.fd = c->req->output_fd;
                if (ftruncate(o.fd, 0) < 0 || lseek(o.fd, 0, SEEK_SET) < 0)
                        return log_error_errno(-errno, "'%s': cannot rewind: %m", o.name);
                r = write_sections(c, &o);
                if (r >= 0 && c->req->ret_sha256)
                        r = sync_and_hash(c, o.fd, o.name);
                return r;
        }
        r = fs_tmp_open(c->req->rootfd, c->req->output, c->req->mode ?: 0644, &t);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot create a temporary file: %s", o.name, strerror(-r));
        o.fd = t.fd;
        r = write_sections(c, &o);
        if (r >= 0 && c->req->ret_sha256)
                r = sync_and_hash(c, o.fd, o.name);
        if (r < 0)
                return r;
        r = fs_tmp_commit(&t);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot commit: %s", o.name, strerror(-r));
        return 0;
}

int uki_build(const struct uki_request *req) {
        _cleanup_(uki_ctx_done) struct uki_ctx c = { .req = req };
        int r;

        for (size_t i = 0; i < _IN_MAX; i++)
                c.in[i].fd = -EBADF;
        if (isempty(req->output) || isempty(req->linux_path))
                return log_error_errno(-EINVAL, "UKI request without an output or a kernel image");
        r = load_stub(&c);
        if (r >= 0)
                r = setup_inputs(&c);
        if (r >= 0)
                r = load_kernel(&c);
        if (r >= 0)
                r = build_sbat(&c);
        if (r >= 0)
                r = place_sections(&c);
        if (r >= 0)
                r = write_output(&c);
        return r;
}

void uki_info_done(struct uki_info *info) {
        pe_image_done(&info->pe);
}

int uki_inspect(int rootfd, const char *path, struct uki_info *ret) {
        _cleanup_close_ int fd = fs_open(rootfd, path, O_RDONLY | O_NONBLOCK, 0);
        _cleanup_pe_image_ struct pe_image pe = {};
        uint32_t sum;
        int r;

        if (fd < 0)
                return log_error_errno(fd, "'%s': cannot open: %s", path, strerror(-fd));
        r = pe_load_fd(fd, path, &pe);
        if (r < 0)
                return r;
        r = pe_checksum_fd(fd, (uint64_t) pe.opt_offset + PE_OPT_CHECKSUM, &sum);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read: %s", path, strerror(-r));
        *ret = (struct uki_info) { .pe = pe, .computed_checksum = sum };
        pe.sections = NULL;
        return 0;
}

int uki_read_section(int rootfd, const char *path, const char *section, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = fs_open(rootfd, path, O_RDONLY | O_NONBLOCK, 0);
        _cleanup_pe_image_ struct pe_image pe = {};
        const struct pe_section *s;
        void *data;
        int r;

        if (fd < 0)
                return log_error_errno(fd, "'%s': cannot open: %s", path, strerror(-fd));
        r = pe_load_fd(fd, path, &pe);
        if (r < 0)
                return r;
        s = pe_find_section(&pe, section);
        if (!s)
                return -ENXIO;
        r = pe_read_section(fd, s, max, &data, ret_len);
        if (r == -EBADMSG)
                return log_error_errno(r, "'%s': section '%s' is truncated", path, section);
        if (r < 0)
                return r;
        *ret = data;
        return 0;
}
