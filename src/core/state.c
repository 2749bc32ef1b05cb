/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sqlite3.h>
#include <stdio.h>
#include <time.h>
#include "core/state.h"
#include "core/state-vfs.h"
#include "util/log.h"
#include "util/strv.h"

struct state {
        sqlite3 *db;
        char *path; /* host path, for messages */
        int txn_depth;
};

static const char *const pair_state_table[_PAIR_STATE_MAX] = {
        [PAIR_INSTALLED] = "installed",
        [PAIR_FAILED] = "failed",
        [PAIR_EXCLUDED] = "excluded",
        [PAIR_SKIPPED] = "skipped",
};

const char *pair_state_to_string(enum pair_state s) {
        return s >= 0 && s < _PAIR_STATE_MAX ? pair_state_table[s] : NULL;
}

enum pair_state pair_state_from_string(const char *s) {
        for (int i = 0; i < _PAIR_STATE_MAX; i++)
                if (s && streq(s, pair_state_table[i]))
                        return (enum pair_state) i;
        return PAIR_STATE_INVALID;
}

/* Migrations: index i brings the schema from version i to i+1. */
static const char *const migrations[] = {
        "CREATE TABLE kernels(kver TEXT PRIMARY KEY, image TEXT NOT NULL, added_at INTEGER NOT NULL,"
        "  ignored INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE packages(name TEXT NOT NULL, version TEXT NOT NULL, path TEXT NOT NULL,"
        "  added_at INTEGER NOT NULL, PRIMARY KEY(name, version));"
        "CREATE TABLE pairs(name TEXT NOT NULL, version TEXT NOT NULL, kver TEXT NOT NULL,"
        "  state TEXT NOT NULL, key TEXT, message TEXT, updated_at INTEGER NOT NULL,"
        "  PRIMARY KEY(name, version, kver));"
        "CREATE TABLE files(path TEXT PRIMARY KEY, kver TEXT NOT NULL, name TEXT NOT NULL,"
        "  version TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER, mtime_ns INTEGER, ino INTEGER);"
        "CREATE INDEX files_pair ON files(kver, name, version);"
        "CREATE TABLE hash_cache(path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
        "  ctime_ns INTEGER, ino INTEGER, sha256 TEXT NOT NULL);"
        "CREATE TABLE eval_cache(name TEXT NOT NULL, version TEXT NOT NULL, kver TEXT NOT NULL,"
        "  input_key TEXT NOT NULL, dump BLOB NOT NULL, PRIMARY KEY(name, version, kver));"
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);",
};

static int sql_error(struct state *s, const char *what) {
        return log_error_errno(-EIO, "'%s': %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int exec_sql(struct state *s, const char *sql) {
        char *err = NULL;
        if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
                int r = log_error_errno(-EIO, "'%s': %s", s->path, err ? err : "sql error");
                sqlite3_free(err);
                return r;
        }
        return 0;
}

static int prepare(struct state *s, const char *sql, sqlite3_stmt **ret) {
        if (sqlite3_prepare_v2(s->db, sql, -1, ret, NULL) != SQLITE_OK)
                return sql_error(s, "prepare");
        return 0;
}

static void finalizep(sqlite3_stmt **st) { sqlite3_finalize(*st); }
#define _cleanup_stmt_ _cleanup_(finalizep)

static void bind_texts(sqlite3_stmt *st, int first, const char *const *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                sqlite3_bind_text(st, first + (int) i, v[i], -1, SQLITE_TRANSIENT);
}

static int step_done(struct state *s, sqlite3_stmt *st) {
        int r = sqlite3_step(st);
        if (r != SQLITE_DONE && r != SQLITE_ROW)
                return sql_error(s, "step");
        return 0;
}

static int user_version(struct state *s, int *ret) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, "PRAGMA user_version", &st);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return sql_error(s, "reading schema version");
        *ret = sqlite3_column_int(st, 0);
        return 0;
}

static int migrate(struct state *s) {
        int v = 0, r;

        r = user_version(s, &v);
        if (r < 0)
                return r;
        if (v > STATE_SCHEMA_VERSION)
                return log_error_errno(-EPROTO, "'%s': schema version %d is newer than this distkernel (%d)",
                                       s->path, v, STATE_SCHEMA_VERSION);
        for (; v < STATE_SCHEMA_VERSION; v++) {
                char pragma[64];
                r = state_begin(s);
                if (r < 0)
                        return r;
                snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
                r = exec_sql(s, migrations[v]);
                if (r >= 0)
                        r = exec_sql(s, pragma);
                if (r < 0) {
                        state_rollback(s);
                        return r;
                }
                r = state_commit(s);
                if (r < 0)
                        return r;
        }
        return 0;
}

int state_open(const struct root *root, enum state_open_flags flags, struct state **ret) {
        _cleanup_state_ struct state *s = calloc(1, sizeof *s);
        int r;

        if (!s)
                return -ENOMEM;
        s->path = root_host_path(root, STATE_DB);
        if (!s->path)
                return -ENOMEM;
        if (flags & STATE_READONLY) {
                if (!fs_exists(root->fd, STATE_DB))
                        return -ENOENT;
        } else {
                r = fs_mkdir_p(root->fd, STATE_DIR, 0755);
                if (r < 0)
                        return log_error_errno(r, "'%s': cannot create: %s", STATE_DIR, strerror(-r));
        }
        /* sqlite opens the host path */
        {
                _cleanup_free_ char *dir = NULL;
                r = root_host_dir(root, STATE_DIR, "open the state database", &dir);
                if (r < 0)
                        return r;
        }
        if (sqlite3_open_v2(s->path, &s->db,
                            (flags & STATE_READONLY) ? SQLITE_OPEN_READONLY
                                                     : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            state_vfs_name()) != SQLITE_OK)
                return log_error_errno(-EIO, "'%s': cannot open: %s", s->path,
                                       s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_busy_timeout(s->db, 10000);
        if (!(flags & STATE_READONLY)) {
                r = exec_sql(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
                if (r < 0)
                        return r;
                r = migrate(s);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

struct state *state_close(struct state *s) {
        if (!s)
                return NULL;
        sqlite3_close(s->db);
        free(s->path);
        free(s);
        return NULL;
}

int state_begin(struct state *s) {
        if (s->txn_depth++ > 0)
                return 0;
        return exec_sql(s, "BEGIN IMMEDIATE");
}

int state_commit(struct state *s) {
        if (--s->txn_depth > 0)
                return 0;
        return exec_sql(s, "COMMIT");
}

void state_rollback(struct state *s) {
        if (s->txn_depth == 0)
                return;
        s->txn_depth = 0;
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs a statement with text parameters and no result rows. */
static int run(struct state *s, const char *sql, const char *const *args, size_t n) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, sql, &st);
        if (r < 0)
                return r;
        bind_texts(st, 1, args, n);
        return step_done(s, st);
}
#define RUN(s, sql, ...) run(s, sql, (const char *const[]) { __VA_ARGS__ }, \
                             sizeof((const char *const[]) { __VA_ARGS__ }) / sizeof(char *))

static char *col_text(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? strdup((const char *) t) : NULL;
}

int state_kernel_add(struct state *s, const char *kver, const char *image) {
        char now[32];
        snprintf(now, sizeof now, "%lld", (long long) time(NULL));
        return RUN(s, "INSERT INTO kernels(kver, image, added_at) VALUES(?1, ?2, ?3) "
                      "ON CONFLICT(kver) DO UPDATE SET image = ?2", kver, image, now);
}

int state_kernel_remove(struct state *s, const char *kver) {
        int r = state_begin(s);
        if (r < 0)
                return r;
        r = RUN(s, "DELETE FROM kernels WHERE kver = ?1", kver);
        /* the recorded inputs of its nodes (core/explain.h) */
        if (r >= 0)
                r = RUN(s, "DELETE FROM meta WHERE key IN ('inputs:initramfs:' || ?1, 'inputs:boot:' || ?1) OR key IN "
                           "(SELECT 'inputs:pair:' || name || '/' || version || '/' || kver FROM pairs WHERE kver = ?1)",
                        kver);
        if (r >= 0)
                r = RUN(s, "DELETE FROM pairs WHERE kver = ?1", kver);
        if (r >= 0)
                r = RUN(s, "DELETE FROM eval_cache WHERE kver = ?1", kver);
        if (r >= 0)
                r = RUN(s, "DELETE FROM meta WHERE key LIKE 'kernel:' || ?1 || ':%'", kver);
        if (r < 0) {
                state_rollback(s);
                return r;
        }
        return state_commit(s);
}

int state_kernel_set_ignored(struct state *s, const char *kver, bool ignored) {
        return RUN(s, "UPDATE kernels SET ignored = ?2 WHERE kver = ?1", kver, ignored ? "1" : "0");
}

int state_kernel_list(struct state *s, char ***ret, char ***ret_ignored) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l || (ret_ignored && !*ret_ignored && !(*ret_ignored = calloc(1, sizeof(char *)))))
                return -ENOMEM;
        r = prepare(s, "SELECT kver, ignored FROM kernels", &st);
        if (r < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                bool ign = sqlite3_column_int(st, 1) != 0;
                if (ret_ignored && ign && strv_consume(ret_ignored, col_text(st, 0)) < 0)
                        return -ENOMEM;
                if (strv_consume(&l, col_text(st, 0)) < 0)
                        return -ENOMEM;
        }
        if (r != SQLITE_DONE)
                return sql_error(s, "listing kernels");
        *ret = TAKE_PTR(l);
        return 0;
}

void state_package_list_free(struct state_package *l, size_t n) {
        for (size_t i = 0; l && i < n; i++) {
                free(l[i].name);
                free(l[i].version);
                free(l[i].path);
        }
        free(l);
}

int state_package_add(struct state *s, const char *name, const char *version, const char *path) {
        char now[32];
        snprintf(now, sizeof now, "%lld", (long long) time(NULL));
        return RUN(s, "INSERT INTO packages(name, version, path, added_at) VALUES(?1, ?2, ?3, ?4) "
                      "ON CONFLICT(name, version) DO UPDATE SET path = ?3", name, version, path, now);
}

int state_package_remove(struct state *s, const char *name, const char *version) {
        int r = state_begin(s);
        if (r < 0)
                return r;
        r = RUN(s, "DELETE FROM packages WHERE name = ?1 AND version = ?2", name, version);
        if (r >= 0)
                r = RUN(s, "DELETE FROM meta WHERE key IN (SELECT 'inputs:pair:' || name || '/' || version || '/' || "
                           "kver FROM pairs WHERE name = ?1 AND version = ?2)", name, version);
        if (r >= 0)
                r = RUN(s, "DELETE FROM pairs WHERE name = ?1 AND version = ?2", name, version);
        if (r >= 0)
                r = RUN(s, "DELETE FROM eval_cache WHERE name = ?1 AND version = ?2", name, version);
        if (r < 0) {
                state_rollback(s);
                return r;
        }
        return state_commit(s);
}

int state_package_list(struct state *s, struct state_package **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        struct state_package *l = NULL;
        size_t n = 0;
        int r;

        r = prepare(s, "SELECT name, version, path FROM packages ORDER BY name, version", &st);
        if (r < 0)
                return r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                struct state_package *m = realloc(l, (n + 1) * sizeof *l);
                if (!m) {
                        state_package_list_free(l, n);
                        return -ENOMEM;
                }
                l = m;
                l[n++] = (struct state_package) { col_text(st, 0), col_text(st, 1), col_text(st, 2) };
        }
        if (r != SQLITE_DONE) {
                state_package_list_free(l, n);
                return sql_error(s, "listing packages");
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

void state_pair_list_free(struct state_pair *l, size_t n) {
        for (size_t i = 0; l && i < n; i++) {
                free(l[i].name);
                free(l[i].version);
                free(l[i].kver);
                free(l[i].key);
                free(l[i].message);
        }
        free(l);
}

int state_pair_set(struct state *s, const char *name, const char *version, const char *kver,
                   enum pair_state ps, const char *key, const char *message) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, "INSERT OR REPLACE INTO pairs(name, version, kver, state, key, message, updated_at) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st);
        if (r < 0)
                return r;
        bind_texts(st, 1, (const char *const[]) { name, version, kver, pair_state_to_string(ps), key, message }, 6);
        sqlite3_bind_int64(st, 7, (sqlite3_int64) time(NULL));
        return step_done(s, st);
}

int state_pair_delete(struct state *s, const char *name, const char *version, const char *kver) {
        int r = RUN(s, "DELETE FROM meta WHERE key = 'inputs:pair:' || ?1 || '/' || ?2 || '/' || ?3", name, version, kver);
        if (r < 0)
                return r;
        return RUN(s, "DELETE FROM pairs WHERE name = ?1 AND version = ?2 AND kver = ?3", name, version, kver);
}

int state_pair_list(struct state *s, const char *kver, struct state_pair **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        struct state_pair *l = NULL;
        size_t n = 0;
        int r;

        r = prepare(s, "SELECT name, version, kver, state, key, message, updated_at FROM pairs "
                       "WHERE ?1 IS NULL OR kver = ?1 ORDER BY kver, name, version", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, kver, -1, SQLITE_TRANSIENT);
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                struct state_pair *m = realloc(l, (n + 1) * sizeof *l);
                _cleanup_free_ char *stname = col_text(st, 3);
                if (!m) {
                        state_pair_list_free(l, n);
                        return -ENOMEM;
                }
                l = m;
                l[n++] = (struct state_pair) {
                        col_text(st, 0), col_text(st, 1), col_text(st, 2),
                        pair_state_from_string(stname), col_text(st, 4), col_text(st, 5),
                        sqlite3_column_int64(st, 6),
                };
        }
        if (r != SQLITE_DONE) {
                state_pair_list_free(l, n);
                return sql_error(s, "listing pairs");
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

void state_file_list_free(struct state_file *l, size_t n) {
        for (size_t i = 0; l && i < n; i++) {
                free(l[i].path);
                free(l[i].kver);
                free(l[i].name);
                free(l[i].version);
        }
        free(l);
}

int state_file_add(struct state *s, const struct state_file *f) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r = prepare(s, "INSERT OR REPLACE INTO files(path, kver, name, version, sha256, size, mtime_ns, ino) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &st);
        if (r < 0)
                return r;
        bind_texts(st, 1, (const char *const[]) { f->path, f->kver, f->name, f->version, f->sha256 }, 5);
        sqlite3_bind_int64(st, 6, f->size);
        sqlite3_bind_int64(st, 7, f->mtime_ns);
        sqlite3_bind_int64(st, 8, f->ino);
        return step_done(s, st);
}

int state_file_delete(struct state *s, const char *path) {
        return RUN(s, "DELETE FROM files WHERE path = ?1", path);
}

int state_file_list(struct state *s, const char *kver, const char *name, const char *version,
                    struct state_file **ret, size_t *ret_n) {
        static const char *const cols[] = { "kver", "name", "version" };
        const char *const vals[] = { kver, name, version };
        _cleanup_strbuf_ struct strbuf sql = STRBUF_INIT;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        struct state_file *l = NULL;
        size_t n = 0;
        int r;

        /* Only the given columns in the WHERE clause: "(?1 IS NULL OR kver =
         * ?1)" keeps SQLite from using the files_pair index, and the planner
         * asks once per pair, so that every sync scanned all files per pair. */
        r = strbuf_puts(&sql, "SELECT path, kver, name, version, sha256, size, mtime_ns, ino FROM files WHERE 1");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(cols); i++)
                if (vals[i])
                        r = strbuf_printf(&sql, " AND %s = ?%zu", cols[i], i + 1);
        if (r < 0 || strbuf_puts(&sql, " ORDER BY path") < 0)
                return -ENOMEM;
        r = prepare(s, sql.buf, &st);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(cols); i++)
                if (vals[i])
                        sqlite3_bind_text(st, (int) i + 1, vals[i], -1, SQLITE_TRANSIENT);
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                struct state_file *m = realloc(l, (n + 1) * sizeof *l);
                if (!m) {
                        state_file_list_free(l, n);
                        return -ENOMEM;
                }
                l = m;
                l[n] = (struct state_file) {
                        .path = col_text(st, 0), .kver = col_text(st, 1),
                        .name = col_text(st, 2), .version = col_text(st, 3),
                        .size = sqlite3_column_int64(st, 5), .mtime_ns = sqlite3_column_int64(st, 6),
                        .ino = sqlite3_column_int64(st, 7),
                };
                snprintf(l[n].sha256, HASH_HEX_LEN, "%s", strempty((const char *) sqlite3_column_text(st, 4)));
                n++;
        }
        if (r != SQLITE_DONE) {
                state_file_list_free(l, n);
                return sql_error(s, "listing files");
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int state_hash_file(struct state *s, int rootfd, const char *path, const struct stat *st_,
                    char ret_hex[HASH_HEX_LEN]) {
        _cleanup_stmt_ sqlite3_stmt *q = NULL, *u = NULL;
        struct stat st;
        int r;

        if (st_)
                st = *st_;
        else if ((r = fs_stat(rootfd, path, &st)) < 0)
                return r;
        r = prepare(s, "SELECT sha256 FROM hash_cache WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3 "
                       "AND ctime_ns = ?4 AND ino = ?5", &q);
        if (r < 0)
                return r;
        sqlite3_bind_text(q, 1, path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 2, st.st_size);
        sqlite3_bind_int64(q, 3, timespec_ns(st.st_mtim));
        sqlite3_bind_int64(q, 4, timespec_ns(st.st_ctim));
        sqlite3_bind_int64(q, 5, (sqlite3_int64) st.st_ino);
        if (sqlite3_step(q) == SQLITE_ROW) {
                snprintf(ret_hex, HASH_HEX_LEN, "%s", strempty((const char *) sqlite3_column_text(q, 0)));
                return 0;
        }
        r = hash_file_at(rootfd, path, ret_hex);
        if (r < 0)
                return r;
        if (sqlite3_db_readonly(s->db, "main") == 1)
                return 0;
        r = prepare(s, "INSERT OR REPLACE INTO hash_cache(path, size, mtime_ns, ctime_ns, ino, sha256) "
                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6)", &u);
        if (r < 0)
                return r;
        sqlite3_bind_text(u, 1, path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(u, 2, st.st_size);
        sqlite3_bind_int64(u, 3, timespec_ns(st.st_mtim));
        sqlite3_bind_int64(u, 4, timespec_ns(st.st_ctim));
        sqlite3_bind_int64(u, 5, (sqlite3_int64) st.st_ino);
        sqlite3_bind_text(u, 6, ret_hex, -1, SQLITE_TRANSIENT);
        /* the hash is right; a cache we cannot write only costs time next run */
        if (sqlite3_step(u) != SQLITE_DONE)
                log_warning("'%s': cannot cache the hash of '%s': %s, ignoring", s->path, path, sqlite3_errmsg(s->db));
        return 0;
}

int state_eval_get(struct state *s, const char *name, const char *version, const char *kver,
                   const char *input_key, char **ret, size_t *ret_len) {
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        const void *blob;
        int r, n;

        r = prepare(s, "SELECT dump FROM eval_cache WHERE name = ?1 AND version = ?2 AND kver = ?3 "
                       "AND input_key = ?4", &q);
        if (r < 0)
                return r;
        bind_texts(q, 1, (const char *const[]) { name, version, kver, input_key }, 4);
        if (sqlite3_step(q) != SQLITE_ROW)
                return -ENOENT;
        blob = sqlite3_column_blob(q, 0);
        n = sqlite3_column_bytes(q, 0);
        *ret = malloc((size_t) n + 1);
        if (!*ret)
                return -ENOMEM;
        if (n > 0)
                memcpy(*ret, blob, (size_t) n);
        (*ret)[n] = 0;
        *ret_len = (size_t) n;
        return 0;
}

int state_eval_put(struct state *s, const char *name, const char *version, const char *kver,
                   const char *input_key, const char *dump, size_t len) {
        _cleanup_stmt_ sqlite3_stmt *u = NULL;
        int r;

        if (sqlite3_db_readonly(s->db, "main") == 1)
                return 0;
        r = prepare(s, "INSERT OR REPLACE INTO eval_cache(name, version, kver, input_key, dump) "
                       "VALUES(?1, ?2, ?3, ?4, ?5)", &u);
        if (r < 0)
                return r;
        bind_texts(u, 1, (const char *const[]) { name, version, kver, input_key }, 4);
        sqlite3_bind_blob(u, 5, dump, (int) len, SQLITE_TRANSIENT);
        return step_done(s, u);
}

int state_meta_get(struct state *s, const char *key, char **ret) {
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        int r = prepare(s, "SELECT value FROM meta WHERE key = ?1", &q);
        if (r < 0)
                return r;
        sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(q) != SQLITE_ROW)
                return -ENOENT;
        *ret = col_text(q, 0);
        return *ret ? 0 : -ENOMEM;
}

int state_meta_set(struct state *s, const char *key, const char *value) {
        /* a write that changes nothing still costs a commit (an fdatasync
         * outside a transaction): skip it when the row already says so */
        {
                _cleanup_stmt_ sqlite3_stmt *q = NULL;
                int r = prepare(s, "SELECT value FROM meta WHERE key = ?1", &q);
                if (r < 0)
                        return r;
                sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT);
                r = sqlite3_step(q);
                if (r == SQLITE_DONE && !value)
                        return 0;
                if (r == SQLITE_ROW && value && streq_ptr((const char *) sqlite3_column_text(q, 0), value))
                        return 0;
        }
        if (!value)
                return RUN(s, "DELETE FROM meta WHERE key = ?1", key);
        return RUN(s, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", key, value);
}

int state_check_integrity(struct state *s, char **ret_problem) {
        _cleanup_stmt_ sqlite3_stmt *q = NULL;
        int r = prepare(s, "PRAGMA quick_check", &q);

        if (r < 0)
                return r;
        if (sqlite3_step(q) != SQLITE_ROW)
                return sql_error(s, "quick_check");
        _cleanup_free_ char *v = col_text(q, 0);
        if (!v)
                return -ENOMEM;
        if (streq(v, "ok"))
                return 0;
        *ret_problem = TAKE_PTR(v);
        return 1;
}
