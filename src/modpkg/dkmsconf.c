/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include "kernel/kernel.h"
#include "modpkg/dkmsconf.h"
#include "util/log.h"
#include "util/strv.h"

#define INDEX_MAX 4095                  /* highest array index accepted */
#define NAME_LEN_MAX 128
#define REGEX_LEN_MAX 1024
#define REGEX_DEPTH_MAX 32              /* nested groups */
#define REGEX_COST_MAX 2000             /* nodes of the compiled tree, estimated */
#define LIST_LEN_MAX 4096               /* bytes of a location or a list value */
#define DEPENDS_MAX 256
#define DEFAULT_DEST "/updates/dkms"

enum directive {
        D_PACKAGE_NAME, D_PACKAGE_VERSION,
        D_BUILT_MODULE_NAME, D_BUILT_MODULE_LOCATION, D_DEST_MODULE_NAME, D_DEST_MODULE_LOCATION,
        D_STRIP, D_MAKE, D_MAKE_MATCH, D_CLEAN, D_PATCH, D_PATCH_MATCH,
        D_PRE_BUILD, D_POST_BUILD, D_PRE_INSTALL, D_POST_INSTALL, D_POST_ADD,
        D_AUTOINSTALL, D_BUILD_EXCLUSIVE_KERNEL, D_BUILD_EXCLUSIVE_ARCH, D_BUILD_EXCLUSIVE_CONFIG,
        D_BUILD_DEPENDS, D_REMAKE_INITRD, D_NO_WEAK_MODULES,
        _D_MAX,
};

const char *const dkms_directives[_D_MAX + 1] = {
        [D_PACKAGE_NAME] = "PACKAGE_NAME",
        [D_PACKAGE_VERSION] = "PACKAGE_VERSION",
        [D_BUILT_MODULE_NAME] = "BUILT_MODULE_NAME",
        [D_BUILT_MODULE_LOCATION] = "BUILT_MODULE_LOCATION",
        [D_DEST_MODULE_NAME] = "DEST_MODULE_NAME",
        [D_DEST_MODULE_LOCATION] = "DEST_MODULE_LOCATION",
        [D_STRIP] = "STRIP",
        [D_MAKE] = "MAKE",
        [D_MAKE_MATCH] = "MAKE_MATCH",
        [D_CLEAN] = "CLEAN",
        [D_PATCH] = "PATCH",
        [D_PATCH_MATCH] = "PATCH_MATCH",
        [D_PRE_BUILD] = "PRE_BUILD",
        [D_POST_BUILD] = "POST_BUILD",
        [D_PRE_INSTALL] = "PRE_INSTALL",
        [D_POST_INSTALL] = "POST_INSTALL",
        [D_POST_ADD] = "POST_ADD",
        [D_AUTOINSTALL] = "AUTOINSTALL",
        [D_BUILD_EXCLUSIVE_KERNEL] = "BUILD_EXCLUSIVE_KERNEL",
        [D_BUILD_EXCLUSIVE_ARCH] = "BUILD_EXCLUSIVE_ARCH",
        [D_BUILD_EXCLUSIVE_CONFIG] = "BUILD_EXCLUSIVE_CONFIG",
        [D_BUILD_DEPENDS] = "BUILD_DEPENDS",
        [D_REMAKE_INITRD] = "REMAKE_INITRD",
        [D_NO_WEAK_MODULES] = "NO_WEAK_MODULES",
};

/* ------------------------------------------------------------------ names */

static bool name_char(char ch, const char *extra) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               (ch && strchr(extra, ch));
}

bool dkms_name_is_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > NAME_LEN_MAX || !name_char(s[0], "") || strstr(s, ".."))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!name_char(s[i], "._+-"))
                        return false;
        return true;
}

bool dkms_module_name_is_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > NAME_LEN_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!name_char(s[i], "_-"))
                        return false;
        return true;
}

static bool has_control_char(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

/* ------------------------------------------------------------------ the dump */

struct entry {
        unsigned idx;
        const char *value; /* points into the dump */
};

struct values {
        struct entry *e;
        size_t n, alloc;
};

struct dump {
        const char *path;
        struct values v[_D_MAX];
};

static void dump_done(struct dump *d) {
        for (size_t i = 0; i < _D_MAX; i++)
                d->v[i].e = mfree(d->v[i].e);
}

static int directive_lookup(const char *name) {
        for (int i = 0; i < _D_MAX; i++)
                if (streq(dkms_directives[i], name))
                        return i;
        return -1;
}

/* Takes the next NUL-terminated field; a field without its NUL is a truncated dump. */
static const char *next_field(const char **p, const char *end) {
        const char *f = *p, *z = memchr(f, 0, (size_t) (end - f));

        if (!z)
                return NULL;
        *p = z + 1;
        return f;
}

static int parse_index(const struct dump *d, const char *name, const char *s, unsigned *ret) {
        size_t n = strspn(s, "0123456789");
        unsigned long v;

        if (n == 0 || s[n] != 0)
                return log_error_errno(-EBADMSG, "'%s': %s has a malformed index", d->path, name);
        if (n > 9 || (v = strtoul(s, NULL, 10)) > INDEX_MAX)
                return log_error_errno(-EBADMSG, "'%s': %s[%.12s] index is out of range", d->path, name, s);
        *ret = (unsigned) v;
        return 0;
}

static int values_add(const struct dump *d, enum directive k, struct values *v, unsigned idx, const char *value) {
        if (v->n > 0 && v->e[v->n - 1].idx >= idx)
                return log_error_errno(-EBADMSG, "'%s': %s[%u] appears twice or out of order",
                                       d->path, dkms_directives[k], idx);
        if (v->n == v->alloc) {
                size_t a = v->alloc ? v->alloc * 2 : 4;
                struct entry *e = reallocarray(v->e, a, sizeof *e);
                if (!e)
                        return -ENOMEM;
                v->e = e;
                v->alloc = a;
        }
        v->e[v->n++] = (struct entry) { idx, value };
        return 0;
}

/* Splits the NAME\0INDEX\0VALUE\0 triples. Values are not copied: they point into
 * the dump, each ends at its NUL. Unknown names (a newer version's) are skipped. */
static int dump_parse(const char *path, const char *buf, size_t len, struct dump *d) {
        const char *p = buf, *end = buf + len;

        d->path = path;
        while (p < end) {
                const char *name = next_field(&p, end), *index = NULL, *value = NULL;
                unsigned idx = 0;
                int k, r;

                if (name)
                        index = next_field(&p, end);
                if (index)
                        value = next_field(&p, end);
                if (!value)
                        return log_error_errno(-EBADMSG, "'%s': malformed directive dump (truncated)", path);
                k = directive_lookup(name);
                if (k < 0)
                        continue;
                r = parse_index(d, name, index, &idx);
                if (r < 0)
                        return r;
                r = values_add(d, k, &d->v[k], idx, value);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The value at idx; NULL when unset or empty (DKMS tests all directives with [[ $X ]]). */
static const char *dump_get(const struct dump *d, enum directive k, unsigned idx) {
        const struct values *v = &d->v[k];
        size_t lo = 0, hi = v->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (v->e[mid].idx == idx)
                        return isempty(v->e[mid].value) ? NULL : v->e[mid].value;
                if (v->e[mid].idx < idx)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* Highest index + 1: a hole in a module array is a missing record, not a dropped one. */
static unsigned dump_size(const struct dump *d, enum directive k) {
        const struct values *v = &d->v[k];
        return v->n ? v->e[v->n - 1].idx + 1 : 0;
}

/* ------------------------------------------------------------------ errors, regexes */

static int bad(const struct dkms_conf *c, enum directive k, long idx, const char *problem) {
        if (idx < 0)
                return log_error_errno(-EBADMSG, "'%s': %s %s", c->path, dkms_directives[k], problem);
        return log_error_errno(-EBADMSG, "'%s': %s[%ld] %s", c->path, dkms_directives[k], idx, problem);
}

/* The end of a bracket expression starting at p ("[]a]", "[^]a]", "[[:digit:]]"). */
static const char *regex_bracket_end(const char *p) {
        const char *q = p + 1;

        q += *q == '^';
        q += *q == ']';
        while (*q && *q != ']') {
                const char *e;
                if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=') &&
                    (e = strstr(q + 2, (char[]) { q[1], ']', 0 }))) {
                        q = e + 2;
                        continue;
                }
                q++;
        }
        return *q ? q : q - 1;
}

/* "{m}", "{m,}", "{m,n}", "{,n}" at p: the copies of the atom it asks for, 0 if it is no bound. */
static uint64_t regex_bound(const char **p) {
        const char *q = *p + 1;
        uint64_t m = 0, n;

        if (!isdigit((unsigned char) *q) && *q != ',') /* glibc takes "{,n}" too */
                return 0;
        for (; isdigit((unsigned char) *q); q++)
                m = m < 100000 ? m * 10 + (uint64_t) (*q - '0') : m;
        n = m;
        if (*q == ',')
                for (n = m + 1, q++; isdigit((unsigned char) *q); q++)
                        n = n < 100000 ? n * 10 + (uint64_t) (*q - '0') : n;
        if (*q != '}')
                return 0;
        *p = q;
        return (n > m ? n : m) + 1;
}

/* Estimates the size of the tree glibc's regcomp() builds: "x+" becomes "xx*" and
 * "x{m,n}" n copies of x, so repetitions of repetitions grow exponentially, and the
 * work on empty-matching parts is quadratic in that size. Adjacent repetitions
 * ("x*+", undefined in POSIX) and back-references (exponential matching) are
 * refused. Returns the problem, NULL if none: no version pattern comes close. */
static const char *regex_problem(const char *re) {
        struct { uint64_t total, last; } st[REGEX_DEPTH_MAX + 1] = {};
        size_t depth = 0;
        bool repeated = false;

        if (strlen(re) > REGEX_LEN_MAX)
                return "is too long a regular expression";
        for (const char *p = re; *p; p++) {
                uint64_t atom = 1, k = 0;

                if (*p == '(') {
                        if (++depth > REGEX_DEPTH_MAX)
                                return "is too complex a regular expression";
                        st[depth].total = st[depth].last = 0;
                        repeated = false;
                        continue;
                }
                if (*p == '*' || *p == '?' || *p == '+' || (*p == '{' && (k = regex_bound(&p)) > 0)) {
                        if (repeated)
                                return "has adjacent repetition operators";
                        repeated = true;
                        k = *p == '+' ? 2 : k;
                        if (k == 0) { /* '*' and '?' add a node */
                                st[depth].total++;
                                st[depth].last++;
                        } else {      /* the last atom copied k times */
                                st[depth].total += st[depth].last * (k - 1) + 1;
                                st[depth].last *= k;
                        }
                } else {
                        if (*p == ')' && depth > 0)
                                atom = st[depth--].total + 1;
                        else if (*p == '[')
                                p = regex_bracket_end(p);
                        else if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
                                return "uses a back-reference";
                        else if (*p == '\\' && p[1])
                                p++;
                        repeated = false;
                        st[depth].total += atom;
                        st[depth].last = *p == '|' ? 0 : atom;
                }
                if (st[depth].total > REGEX_COST_MAX)
                        return "is too complex a regular expression";
        }
        return NULL;
}

/* Compiles an ERE as bash's =~ does; reports a bad one against the directive. */
static int ere_compile(const struct dkms_conf *c, enum directive k, long idx, const char *re, regex_t *ret) {
        const char *problem = regex_problem(re);
        int r;

        if (problem)
                return bad(c, k, idx, problem);
        r = regcomp(ret, re, REG_EXTENDED | REG_NOSUB);
        if (r == REG_ESPACE)
                return -ENOMEM;
        if (r != 0)
                return bad(c, k, idx, "is not a valid regular expression");
        return 0;
}

static int ere_match(const struct dkms_conf *c, enum directive k, long idx, const char *re, const char *s) {
        regex_t rx;
        int r = ere_compile(c, k, idx, re, &rx);

        if (r < 0)
                return r;
        r = regexec(&rx, s, 0, NULL, 0) == 0;
        regfree(&rx);
        return r;
}

/* ------------------------------------------------------------------ parsing */

struct dkms_conf *dkms_conf_free(struct dkms_conf *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; c->modules && i < c->n_modules; i++) {
                free(c->modules[i].built_name);
                free(c->modules[i].built_location);
                free(c->modules[i].dest_name);
                free(c->modules[i].dest_location);
        }
        free(c->modules);
        free(c->path);
        free(c->name);
        free(c->version);
        free(c->make);
        free(c->clean);
        strv_free(c->patches);
        free(c->pre_build);
        free(c->post_build);
        free(c->pre_install);
        free(c->post_install);
        free(c->post_add);
        free(c->build_exclusive_kernel);
        free(c->build_exclusive_arch);
        strv_free(c->build_exclusive_config);
        strv_free(c->build_depends);
        return mfree(c);
}

/* Copies an optional value: *ret stays NULL when unset. */
static int copy_opt(const char *v, char **ret) {
        if (!v)
                return 0;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int parse_package(struct dkms_conf *c, const struct dump *d) {
        const char *name = dump_get(d, D_PACKAGE_NAME, 0), *version = dump_get(d, D_PACKAGE_VERSION, 0);

        if (!name)
                return bad(c, D_PACKAGE_NAME, -1, "is missing");
        if (!dkms_name_is_valid(name))
                return bad(c, D_PACKAGE_NAME, -1, "is not a valid package name");
        if (!version)
                return bad(c, D_PACKAGE_VERSION, -1, "is missing");
        if (!dkms_name_is_valid(version))
                return bad(c, D_PACKAGE_VERSION, -1, "is not a valid version");
        if (copy_opt(name, &c->name) < 0 || copy_opt(version, &c->version) < 0)
                return -ENOMEM;
        return 0;
}

static int check_module_name(const struct dkms_conf *c, enum directive k, unsigned i, const char *s) {
        if (endswith(s, ".ko"))
                return bad(c, k, i, "ends in .ko");
        if (endswith(s, ".o"))
                return bad(c, k, i, "ends in .o");
        if (strchr(s, '/'))
                return bad(c, k, i, "contains '/'");
        if (!dkms_module_name_is_valid(s))
                return bad(c, k, i, "is not a valid module name");
        return 0;
}

/* Normalizes a location: components joined by '/', without empty and "." ones; with
 * a leading '/' when absolute. -EXDEV for a ".." component. */
static int location_normalize(const char *s, bool absolute, char **ret) {
        _cleanup_strv_free_ char **parts = NULL;
        _cleanup_strbuf_ struct strbuf sb = STRBUF_INIT;

        if (strv_split(s, "/", &parts) < 0)
                return -ENOMEM;
        STRV_FOREACH(p, parts) {
                if (streq(*p, "."))
                        continue;
                if (streq(*p, ".."))
                        return -EXDEV;
                if (((absolute || sb.len > 0) && strbuf_putc(&sb, '/') < 0) || strbuf_puts(&sb, *p) < 0)
                        return -ENOMEM;
        }
        *ret = strbuf_detach(&sb);
        return *ret ? 0 : -ENOMEM;
}

static int parse_built_location(const struct dkms_conf *c, unsigned i, const char *s, char **ret) {
        int r;

        if (!s)
                s = "";
        if (s[0] == '/')
                return bad(c, D_BUILT_MODULE_LOCATION, i, "is an absolute path");
        if (strlen(s) > LIST_LEN_MAX)
                return bad(c, D_BUILT_MODULE_LOCATION, i, "is too long");
        if (has_control_char(s))
                return bad(c, D_BUILT_MODULE_LOCATION, i, "contains a control character");
        r = location_normalize(s, false, ret);
        if (r == -EXDEV)
                return bad(c, D_BUILT_MODULE_LOCATION, i, "leaves the build directory");
        return r;
}

static int parse_dest_location(const struct dkms_conf *c, unsigned i, const char *s, char **ret) {
        int r;

        if (!s)
                s = DEFAULT_DEST;
        if (!startswith(s, "/kernel") && !startswith(s, "/updates") && !startswith(s, "/extra"))
                return bad(c, D_DEST_MODULE_LOCATION, i, "does not begin with /kernel, /updates or /extra");
        if (strlen(s) > LIST_LEN_MAX)
                return bad(c, D_DEST_MODULE_LOCATION, i, "is too long");
        if (has_control_char(s))
                return bad(c, D_DEST_MODULE_LOCATION, i, "contains a control character");
        r = location_normalize(s, true, ret);
        if (r == -EXDEV)
                return bad(c, D_DEST_MODULE_LOCATION, i, "leaves the install directory");
        return r;
}

/* DKMS: STRIP[i] starting with n/N disables, an unset STRIP[i] inherits STRIP[0]. */
static bool parse_strip(const struct dump *d, unsigned i) {
        const char *s = dump_get(d, D_STRIP, i);

        if (!s && i > 0)
                s = dump_get(d, D_STRIP, 0);
        return !(s && (s[0] == 'n' || s[0] == 'N'));
}

static int parse_module(struct dkms_conf *c, const struct dump *d, unsigned i, struct dkms_module *m) {
        const char *built = dump_get(d, D_BUILT_MODULE_NAME, i), *dest = dump_get(d, D_DEST_MODULE_NAME, i);
        int r;

        if (!built && c->n_modules == 1)
                built = c->name;
        if (!built)
                return bad(c, D_BUILT_MODULE_NAME, i, "is missing");
        r = check_module_name(c, D_BUILT_MODULE_NAME, i, built);
        if (r < 0)
                return r;
        if (!dest)
                dest = built;
        r = check_module_name(c, D_DEST_MODULE_NAME, i, dest);
        if (r < 0)
                return r;
        r = parse_built_location(c, i, dump_get(d, D_BUILT_MODULE_LOCATION, i), &m->built_location);
        if (r < 0)
                return r;
        r = parse_dest_location(c, i, dump_get(d, D_DEST_MODULE_LOCATION, i), &m->dest_location);
        if (r < 0)
                return r;
        m->strip = parse_strip(d, i);
        if (copy_opt(built, &m->built_name) < 0 || copy_opt(dest, &m->dest_name) < 0)
                return -ENOMEM;
        return 0;
}

/* DKMS 3.0: as many records as the longest of the four module arrays. */
static int parse_modules(struct dkms_conf *c, const struct dump *d) {
        static const enum directive arrays[] = {
                D_BUILT_MODULE_NAME, D_BUILT_MODULE_LOCATION, D_DEST_MODULE_NAME, D_DEST_MODULE_LOCATION,
        };
        unsigned n = 0;

        for (size_t k = 0; k < ELEMENTSOF(arrays); k++)
                if (dump_size(d, arrays[k]) > n)
                        n = dump_size(d, arrays[k]);
        if (n == 0)
                return bad(c, D_BUILT_MODULE_NAME, 0, "is missing");
        c->modules = calloc(n, sizeof *c->modules);
        if (!c->modules)
                return -ENOMEM;
        c->n_modules = n;
        for (unsigned i = 0; i < n; i++) {
                int r = parse_module(c, d, i, &c->modules[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* DKMS: MAKE[0] unless MAKE_MATCH[0] is set, overridden by every later MAKE[i] whose
 * MAKE_MATCH[i] matches; the default command when nothing is left. */
static int parse_make(struct dkms_conf *c, const struct dump *d, const struct dkms_env *env) {
        const struct values *v = &d->v[D_MAKE];
        const char *make = dump_get(d, D_MAKE_MATCH, 0) ? NULL : dump_get(d, D_MAKE, 0);

        for (size_t j = 0; j < v->n; j++) {
                unsigned i = v->e[j].idx;
                const char *re = dump_get(d, D_MAKE_MATCH, i);
                int r;

                if (isempty(v->e[j].value) || !re)
                        continue;
                r = ere_match(c, D_MAKE_MATCH, i, re, strempty(env->kernelver));
                if (r < 0)
                        return r;
                if (r > 0)
                        make = v->e[j].value;
        }
        if (make)
                c->make = strdup(make);
        else
                c->make = strdup_printf("make -C %s M=%s/%s/%s/build", strempty(env->kernel_source_dir),
                                        strempty(env->dkms_tree), c->name, c->version);
        return c->make ? 0 : -ENOMEM;
}

static bool is_plain_file_name(const char *s) {
        return !strchr(s, '/') && !streq(s, ".") && !streq(s, "..") && !has_control_char(s);
}

/* PATCH[i] applies when PATCH_MATCH[i] is unset or matches kernelver. */
static int parse_patches(struct dkms_conf *c, const struct dump *d, const struct dkms_env *env) {
        const struct values *v = &d->v[D_PATCH];

        c->patches = calloc(1, sizeof(char *));
        if (!c->patches)
                return -ENOMEM;
        for (size_t j = 0; j < v->n; j++) {
                unsigned i = v->e[j].idx;
                const char *p = v->e[j].value, *re = dump_get(d, D_PATCH_MATCH, i);
                int r = 1;

                if (isempty(p))
                        continue;
                if (!is_plain_file_name(p))
                        return bad(c, D_PATCH, i, "is not a plain file name");
                if (re)
                        r = ere_match(c, D_PATCH_MATCH, i, re, strempty(env->kernelver));
                if (r < 0)
                        return r;
                if (r > 0 && strv_push(&c->patches, p) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_commands(struct dkms_conf *c, const struct dump *d) {
        if (copy_opt(dump_get(d, D_CLEAN, 0), &c->clean) < 0 ||
            copy_opt(dump_get(d, D_PRE_BUILD, 0), &c->pre_build) < 0 ||
            copy_opt(dump_get(d, D_POST_BUILD, 0), &c->post_build) < 0 ||
            copy_opt(dump_get(d, D_PRE_INSTALL, 0), &c->pre_install) < 0 ||
            copy_opt(dump_get(d, D_POST_INSTALL, 0), &c->post_install) < 0 ||
            copy_opt(dump_get(d, D_POST_ADD, 0), &c->post_add) < 0)
                return -ENOMEM;
        return 0;
}

static bool is_config_option(const char *s) {
        if (*s == '!')
                s++;
        return *s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static int parse_config_list(struct dkms_conf *c, const struct dump *d) {
        const char *s = dump_get(d, D_BUILD_EXCLUSIVE_CONFIG, 0);

        if (s && strlen(s) > LIST_LEN_MAX)
                return bad(c, D_BUILD_EXCLUSIVE_CONFIG, -1, "is too long");
        if (strv_split(strempty(s), " \t\n", &c->build_exclusive_config) < 0)
                return -ENOMEM;
        STRV_FOREACH(o, c->build_exclusive_config)
                if (!is_config_option(*o))
                        return bad(c, D_BUILD_EXCLUSIVE_CONFIG, -1, "has an invalid option name");
        return 0;
}

/* BUILD_DEPENDS: an array in DKMS, expanded unquoted, so each element may hold a list too. */
static int parse_depends(struct dkms_conf *c, const struct dump *d) {
        const struct values *v = &d->v[D_BUILD_DEPENDS];

        c->build_depends = calloc(1, sizeof(char *));
        if (!c->build_depends)
                return -ENOMEM;
        for (size_t j = 0; j < v->n; j++) {
                _cleanup_strv_free_ char **l = NULL;

                if (strlen(v->e[j].value) > LIST_LEN_MAX)
                        return bad(c, D_BUILD_DEPENDS, v->e[j].idx, "is too long");
                if (strv_split(v->e[j].value, " \t\n", &l) < 0)
                        return -ENOMEM;
                STRV_FOREACH(n, l) {
                        if (!dkms_name_is_valid(*n))
                                return bad(c, D_BUILD_DEPENDS, v->e[j].idx, "has an invalid package name");
                        if (strv_contains(c->build_depends, *n))
                                continue;
                        if (strv_length(c->build_depends) >= DEPENDS_MAX)
                                return bad(c, D_BUILD_DEPENDS, v->e[j].idx, "lists too many packages");
                        if (strv_push(&c->build_depends, *n) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int parse_exclusive(struct dkms_conf *c, const struct dump *d) {
        static const enum directive res[] = { D_BUILD_EXCLUSIVE_KERNEL, D_BUILD_EXCLUSIVE_ARCH };
        char **dst[] = { &c->build_exclusive_kernel, &c->build_exclusive_arch };

        for (size_t k = 0; k < ELEMENTSOF(res); k++) {
                const char *re = dump_get(d, res[k], 0);
                regex_t rx;
                int r;

                if (!re)
                        continue;
                r = ere_compile(c, res[k], -1, re, &rx);
                if (r < 0)
                        return r;
                regfree(&rx);
                if (copy_opt(re, dst[k]) < 0)
                        return -ENOMEM;
        }
        return parse_config_list(c, d);
}

static bool is_yes(const char *s) {
        return s && strcasecmp(s, "yes") == 0;
}

int dkms_conf_parse(const char *conf_path, const char *dump, size_t len,
                    const struct dkms_env *env, struct dkms_conf **ret) {
        _cleanup_(dump_done) struct dump d = {};
        _cleanup_dkms_conf_ struct dkms_conf *c = NULL;
        int r;

        r = dump_parse(conf_path, dump, len, &d);
        if (r < 0)
                return r;
        c = calloc(1, sizeof *c);
        if (!c || !(c->path = strdup(conf_path)))
                return -ENOMEM;
        r = parse_package(c, &d);
        if (r >= 0)
                r = parse_modules(c, &d);
        if (r >= 0)
                r = parse_make(c, &d, env);
        if (r >= 0)
                r = parse_patches(c, &d, env);
        if (r >= 0)
                r = parse_commands(c, &d);
        if (r >= 0)
                r = parse_exclusive(c, &d);
        if (r >= 0)
                r = parse_depends(c, &d);
        if (r < 0)
                return r;
        c->autoinstall = is_yes(dump_get(&d, D_AUTOINSTALL, 0));
        c->remake_initrd = is_yes(dump_get(&d, D_REMAKE_INITRD, 0));
        c->no_weak_modules = is_yes(dump_get(&d, D_NO_WEAK_MODULES, 0));
        *ret = TAKE_PTR(c);
        return 0;
}

/* ------------------------------------------------------------------ exclusion */

static int set_reason(char **ret_reason, char *reason) {
        if (!reason)
                return -ENOMEM;
        if (ret_reason)
                *ret_reason = reason;
        else
                free(reason);
        return 1;
}

static int excluded_regex(const struct dkms_conf *c, enum directive k, const char *re, const char *s,
                          char **ret_reason) {
        int r;

        if (isempty(re))
                return 0;
        r = ere_match(c, k, -1, re, strempty(s));
        if (r != 0)
                return r < 0 ? r : 0;
        return set_reason(ret_reason, strdup_printf("%s '%s' does not match '%s'",
                                                    dkms_directives[k], re, strempty(s)));
}

/* DKMS: CONFIG_X must be y or m, !CONFIG_X must not be. */
static int excluded_config(const struct dkms_conf *c, const struct kconfig *kc, char **ret_reason) {
        STRV_FOREACH(o, c->build_exclusive_config) {
                bool neg = **o == '!';
                const char *name = *o + neg, *v;

                if (!kc)
                        return set_reason(ret_reason, strdup_printf(
                                "BUILD_EXCLUSIVE_CONFIG '%s' needs the kernel's config, which was not found", *o));
                v = kconfig_get(kc, name);
                if (neg && v && (streq(v, "y") || streq(v, "m")))
                        return set_reason(ret_reason, strdup_printf(
                                "BUILD_EXCLUSIVE_CONFIG excludes %s, which is set to %s", name, v));
                if (!neg && !(v && (streq(v, "y") || streq(v, "m"))))
                        return set_reason(ret_reason, strdup_printf(
                                "BUILD_EXCLUSIVE_CONFIG requires %s, which is not set to y or m", name));
        }
        return 0;
}

int dkms_conf_excluded(const struct dkms_conf *c, const char *kver, const char *arch,
                       const struct kconfig *kc, char **ret_reason) {
        int r;

        r = excluded_regex(c, D_BUILD_EXCLUSIVE_KERNEL, c->build_exclusive_kernel, kver, ret_reason);
        if (r != 0)
                return r;
        r = excluded_regex(c, D_BUILD_EXCLUSIVE_ARCH, c->build_exclusive_arch, arch, ret_reason);
        if (r != 0)
                return r;
        return excluded_config(c, kc, ret_reason);
}
