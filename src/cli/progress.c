/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "cli/progress.h"
#include "util/log.h"
#include "util/strv.h"

#define REDRAW_INTERVAL 0.1  /* seconds: at most ten redraws a second */
#define TAIL_BYTES 4096      /* how much of a log's end we read for its last line */

#define SEP " \xc2\xb7 "     /* " · " */
#define C_RESET "\033[0m"
#define C_DIM "\033[2m"
#define C_GREEN "\033[32m"
#define C_RED "\033[31m"
#define C_BOLD "\033[1m"

enum mode {
        MODE_SILENT, /* --json, --quiet: failures on stderr only */
        MODE_PLAIN,  /* one line per event */
        MODE_LIVE,   /* a terminal: a live block redrawn in place */
};

struct slot {
        const void *node;   /* the pair or irnode */
        size_t seq;         /* its number in the counter */
        double started;
        char *label;        /* "v4l2loopback 0.12.7 · 6.1.0-56-amd64" */
        const char *phase;  /* "build", "initramfs" */
        char *log;          /* root-relative, or NULL */
};

struct progress {
        struct cli *cli;
        enum mode mode;
        bool colour;
        pid_t pid;          /* forked children inherit us: only this process draws */
        size_t n_jobs, seq, done, failed;
        struct slot *slots;
        size_t n_slots;
        size_t drawn;       /* lines of the live block on the screen */
        double last_draw;
        double started[1024]; /* plain mode: start time by job id */
};

static struct progress *active; /* the one with a live block, for progress_interrupt() */

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Colours per no-color.org: NO_COLOR set to anything but "" turns them off. */
static bool want_colour(void) {
        const char *nc = getenv("NO_COLOR");
        return !(nc && *nc);
}

static bool term_is_capable(void) {
        const char *t = getenv("TERM");
        return t && *t && !streq(t, "dumb");
}

struct progress *progress_new(struct cli *c) {
        struct progress *pr = calloc(1, sizeof *pr);

        if (!pr)
                return NULL;
        pr->cli = c;
        pr->pid = getpid();
        if (c->json || c->verbosity < 0)
                pr->mode = MODE_SILENT;
        else if (isatty(STDOUT_FILENO) && term_is_capable())
                pr->mode = MODE_LIVE;
        else
                pr->mode = MODE_PLAIN;
        pr->colour = pr->mode == MODE_LIVE && want_colour();
        if (pr->mode == MODE_LIVE)
                active = pr;
        return pr;
}

static const char *col(const struct progress *pr, const char *code) { return pr->colour ? code : ""; }

static unsigned term_width(void) {
        struct winsize ws = {};
        const char *c = getenv("COLUMNS");

        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        if (c && atoi(c) > 0)
                return (unsigned) atoi(c);
        return 80;
}

/* Erases the block: up to its first line, then to the end of the screen. */
static void clear_block(struct progress *pr) {
        if (pr->drawn == 0)
                return;
        printf("\033[%zuF\033[J", pr->drawn);
        pr->drawn = 0;
        fflush(stdout);
}

void progress_interrupt(void) {
        if (active && active->pid == getpid())
                clear_block(active);
}

static void slot_done(struct slot *s) {
        free(s->label);
        free(s->log);
}

struct progress *progress_free(struct progress *pr) {
        if (!pr)
                return NULL;
        if (pr->pid == getpid())
                clear_block(pr);
        if (active == pr)
                active = NULL;
        for (size_t i = 0; i < pr->n_slots; i++)
                slot_done(&pr->slots[i]);
        free(pr->slots);
        free(pr);
        return NULL;
}

/* The last non-empty line of a log, printable characters only (a build's
 * progress may end in \r or carry colour codes of its own), or NULL. Only its
 * last TAIL_BYTES are read. */
static char *log_last_line(int rootfd, const char *path) {
        _cleanup_close_ int fd = -EBADF;
        char buf[TAIL_BYTES + 1];
        off_t end;
        ssize_t n;
        char *line, *out, *o;

        if (!path || (fd = fs_open(rootfd, path, O_RDONLY | O_NOFOLLOW, 0)) < 0)
                return NULL;
        end = lseek(fd, 0, SEEK_END);
        if (end <= 0)
                return NULL;
        n = pread(fd, buf, TAIL_BYTES, end > TAIL_BYTES ? end - TAIL_BYTES : 0);
        if (n <= 0)
                return NULL;
        buf[n] = 0;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
                buf[--n] = 0;
        line = buf + n;
        while (line > buf && line[-1] != '\n' && line[-1] != '\r')
                line--;
        line += strspn(line, " \t");
        out = o = malloc(strlen(line) + 1);
        if (!out)
                return NULL;
        for (const char *i = line; *i; i++) {
                if (*i == '\033') { /* drop an escape sequence: ESC [ ... final byte */
                        if (i[1] == '[')
                                for (i += 2; *i && !(*i >= 0x40 && *i <= 0x7e); i++)
                                        ;
                        if (!*i)
                                break;
                        continue;
                }
                if ((unsigned char) *i >= 0x20 && *i != 0x7f)
                        *o++ = *i == '\t' ? ' ' : *i;
        }
        *o = 0;
        return out;
}

/* Appends s to line, stopping at width columns (UTF-8: continuation bytes
 * take no column); returns the columns used. */
static size_t put_cols(FILE *f, const char *s, size_t width) {
        size_t cols = 0;
        for (; *s; s++) {
                bool cont = ((unsigned char) *s & 0xc0) == 0x80;
                if (!cont && cols >= width)
                        break;
                fputc(*s, f);
                cols += !cont;
        }
        return cols;
}

static void draw_block(struct progress *pr) {
        size_t width = term_width();
        double t = now();

        clear_block(pr);
        if (width > 1)
                width--; /* never touch the last column: some terminals wrap there */
        for (size_t i = 0; i < pr->n_slots; i++) {
                const struct slot *s = &pr->slots[i];
                _cleanup_free_ char *head = strdup_printf("[%zu/%zu] %s", s->seq, pr->n_jobs, s->label);
                _cleanup_free_ char *detail = strdup_printf(SEP "%s" SEP "%.0fs", s->phase, t - s->started);
                _cleanup_free_ char *tail = log_last_line(pr->cli->root.fd, s->log);
                size_t used;

                if (!head || !detail)
                        continue;
                used = put_cols(stdout, head, width);
                fputs(col(pr, C_DIM), stdout);
                used += put_cols(stdout, detail, width - used);
                if (tail && *tail && used + 3 < width) {
                        used += put_cols(stdout, SEP, width - used);
                        put_cols(stdout, tail, width - used);
                }
                fputs(col(pr, C_RESET), stdout);
                fputc('\n', stdout);
        }
        printf("%s%zu/%zu done%s", col(pr, C_BOLD), pr->done, pr->n_jobs, col(pr, C_RESET));
        if (pr->n_slots)
                printf(", %zu running", pr->n_slots);
        if (pr->failed)
                printf(", %s%zu failed%s", col(pr, C_RED), pr->failed, col(pr, C_RESET));
        fputc('\n', stdout);
        pr->drawn = pr->n_slots + 1;
        pr->last_draw = t;
        fflush(stdout);
}

static void tick(void *userdata) {
        struct progress *pr = userdata;
        if (pr->mode == MODE_LIVE && now() - pr->last_draw >= REDRAW_INTERVAL)
                draw_block(pr);
}

static int slot_add(struct progress *pr, const void *node, char *label, const char *phase, char *log) {
        struct slot *n = reallocarray(pr->slots, pr->n_slots + 1, sizeof *n);
        if (!n || !label) {
                free(label);
                free(log);
                if (n)
                        pr->slots = n;
                return -ENOMEM;
        }
        pr->slots = n;
        n[pr->n_slots++] = (struct slot) { node, ++pr->seq, now(), label, phase, log };
        return 0;
}

/* Removes node's slot; returns its run time in seconds, or -1. */
static double slot_remove(struct progress *pr, const void *node) {
        for (size_t i = 0; i < pr->n_slots; i++)
                if (pr->slots[i].node == node) {
                        double t = now() - pr->slots[i].started;
                        slot_done(&pr->slots[i]);
                        memmove(&pr->slots[i], &pr->slots[i + 1], (pr->n_slots - i - 1) * sizeof *pr->slots);
                        pr->n_slots--;
                        return t;
                }
        return -1;
}

/* A permanent line above the block: "ok WHAT · 12.3s · DETAIL". */
static void permanent(struct progress *pr, const char *colour, const char *verdict, const char *what, double secs,
                      const char *detail) {
        clear_block(pr);
        printf("%s%s%s %s", col(pr, colour), verdict, col(pr, C_RESET), what);
        fputs(col(pr, C_DIM), stdout);
        if (secs >= 0)
                printf(SEP "%.1fs", secs);
        if (detail && *detail)
                printf(SEP "%s", detail);
        fputs(col(pr, C_RESET), stdout);
        fputc('\n', stdout);
        fflush(stdout);
}

static char *host_path(const struct progress *pr, const char *path) {
        return root_host_path(&pr->cli->root, path);
}

static void begin(void *userdata, _unused_ const struct plan *p, size_t n_jobs) {
        struct progress *pr = userdata;
        pr->n_jobs = n_jobs;
}

static void pair_event_live(struct progress *pr, const struct pair *x, bool done) {
        _cleanup_free_ char *label = strdup_printf("%s %s" SEP "%s", x->pkg->name, x->pkg->version, x->kernel->kver);
        _cleanup_free_ char *log = pair_log_path(x->pkg->name, x->pkg->version, x->kernel->kver);
        _cleanup_free_ char *hlog = NULL;
        double secs;

        if (!label || !log)
                return;
        if (!done) {
                (void) slot_add(pr, x, TAKE_PTR(label), "build", TAKE_PTR(log));
                return;
        }
        secs = slot_remove(pr, x);
        pr->done++;
        if (x->result == PAIR_FAILED) {
                pr->failed++;
                hlog = host_path(pr, log);
                _cleanup_free_ char *d = strdup_printf("log: %s", strempty(hlog));
                permanent(pr, C_RED, "FAILED", label, secs, d);
        } else if (x->result == PAIR_SKIPPED)
                permanent(pr, C_DIM, "skipped", label, secs, x->result_message);
        else
                permanent(pr, C_GREEN, "ok", label, secs, NULL);
}

static void pair_event_plain(struct progress *pr, const struct pair *x, bool done) {
        size_t slot = x->job % ELEMENTSOF(pr->started);

        if (!done) {
                pr->started[slot] = now();
                printf("building %s/%s for %s (%s)\n", x->pkg->name, x->pkg->version, x->kernel->kver, x->why);
        } else
                printf("%s %s/%s for %s in %.1f s%s%s\n", pair_state_to_string(x->result), x->pkg->name,
                       x->pkg->version, x->kernel->kver, now() - pr->started[slot],
                       x->result_message ? ": " : "", strempty(x->result_message));
        fflush(stdout);
}

static void pair_event(void *userdata, const struct pair *x, bool done) {
        struct progress *pr = userdata;

        if (pr->mode == MODE_LIVE)
                pair_event_live(pr, x, done);
        else if (pr->mode == MODE_PLAIN && !(done && x->result == PAIR_FAILED))
                pair_event_plain(pr, x, done);
        if (done && x->result == PAIR_FAILED) {
                fflush(stdout);
                fprintf(stderr, "distkernel: '%s/%s' for kernel '%s': %s\n", x->pkg->name, x->pkg->version, x->kernel->kver,
                        strempty(x->result_message));
        }
}

static void ir_event_live(struct progress *pr, const struct irnode *n, bool done) {
        _cleanup_free_ char *label = strdup_printf("initramfs" SEP "%s", n->kernel->kver);
        double secs;

        if (!label)
                return;
        if (!done) {
                (void) slot_add(pr, n, TAKE_PTR(label), initramfs_generator_to_string(n->cfg->initramfs),
                                n->log ? strdup(n->log) : NULL);
                return;
        }
        secs = slot_remove(pr, n);
        pr->done++;
        if (n->result == IR_FAILED) {
                _cleanup_free_ char *hlog = n->log ? host_path(pr, n->log) : NULL;
                _cleanup_free_ char *d = hlog ? strdup_printf("log: %s", hlog) : NULL;
                pr->failed++;
                permanent(pr, C_RED, "FAILED", label, secs, d);
        } else if (n->result == IR_BUILT)
                permanent(pr, C_GREEN, "ok", label, secs, n->output);
}

static void ir_event(void *userdata, const struct irnode *n, bool done) {
        struct progress *pr = userdata;

        if (pr->mode == MODE_LIVE)
                ir_event_live(pr, n, done);
        else if (pr->mode == MODE_PLAIN && !done)
                printf("generating the initramfs for %s (%s)\n", n->kernel->kver,
                       initramfs_generator_to_string(n->cfg->initramfs));
        else if (pr->mode == MODE_PLAIN && n->result == IR_BUILT)
                printf("installed %s%s\n", n->output, n->uefi ? " (a UEFI executable)" : "");
        fflush(stdout);
        if (done && n->result == IR_FAILED) {
                fprintf(stderr, "distkernel: kernel '%s': initramfs: %s; the previous image stays\n", n->kernel->kver,
                        strempty(n->message));
        }
}

void progress_attach(struct progress *pr, struct sync_options *o) {
        o->begin = begin;
        o->progress = pair_event;
        o->ir_progress = ir_event;
        o->tick = pr->mode == MODE_LIVE ? tick : NULL;
        o->userdata = pr;
}
