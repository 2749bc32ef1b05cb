/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A shim over SQLite's default VFS that puts the state database's writes,
 * truncations, syncs, creations and deletions on fs_fault()'s sequence, so that
 * fault injection reaches the database as it reaches every other file
 * (SQLite's own test VFS, src/test6.c, does the same). Registered only while
 * faults are injected; the database sees an ordinary I/O error, or the process
 * dies at that point.
 *
 * Of the writes between two syncs of a file only the first is a fault point:
 * a failure at any of them fails the transaction the same way, and a crash
 * after the first leaves the same unsynced, uncommitted tail as one after any
 * other, which the sync that ends the transaction (a fault point) decides. */
#include <sqlite3.h>
#include "core/state-vfs.h"
#include "util/fs.h"

struct fault_file {
        sqlite3_file base;
        sqlite3_file *real; /* right after this struct, szOsFile of the real VFS */
        bool written;       /* written since the last sync: no new fault point */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;

#define REAL(f) (((struct fault_file *) (f))->real)

/* SQLITE_FULL for a full disk, as SQLite's unix VFS reports it; ioerr otherwise */
static int fault_rc(const char *op, int ioerr) {
        if (fs_fault(op) >= 0)
                return SQLITE_OK;
        return errno == ENOSPC || errno == EDQUOT ? SQLITE_FULL : ioerr;
}

static int f_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off) {
        return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}
static int f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off) {
        struct fault_file *p = (struct fault_file *) f;
        int rc = p->written ? SQLITE_OK : fault_rc("db-write", SQLITE_IOERR_WRITE);

        if (rc != SQLITE_OK)
                return rc;
        p->written = true;
        return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size) {
        int rc = fault_rc("db-truncate", SQLITE_IOERR_TRUNCATE);
        return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int f_sync(sqlite3_file *f, int flags) {
        int rc = fault_rc("db-fsync", SQLITE_IOERR_FSYNC);

        ((struct fault_file *) f)->written = false;
        return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int f_file_size(sqlite3_file *f, sqlite3_int64 *ret) { return REAL(f)->pMethods->xFileSize(REAL(f), ret); }
static int f_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int f_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int f_check_reserved(sqlite3_file *f, int *ret) {
        return REAL(f)->pMethods->xCheckReservedLock(REAL(f), ret);
}
static int f_file_control(sqlite3_file *f, int op, void *arg) {
        return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int f_sector_size(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int f_device_characteristics(sqlite3_file *f) {
        return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **ret) {
        return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, ret);
}
static int f_shm_lock(sqlite3_file *f, int off, int n, int flags) {
        return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void f_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int f_shm_unmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }

/* version 2: no memory-mapped I/O (xFetch), so every write goes through f_write */
static const sqlite3_io_methods fault_methods = {
        .iVersion = 2,
        .xClose = f_close,
        .xRead = f_read,
        .xWrite = f_write,
        .xTruncate = f_truncate,
        .xSync = f_sync,
        .xFileSize = f_file_size,
        .xLock = f_lock,
        .xUnlock = f_unlock,
        .xCheckReservedLock = f_check_reserved,
        .xFileControl = f_file_control,
        .xSectorSize = f_sector_size,
        .xDeviceCharacteristics = f_device_characteristics,
        .xShmMap = f_shm_map,
        .xShmLock = f_shm_lock,
        .xShmBarrier = f_shm_barrier,
        .xShmUnmap = f_shm_unmap,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *ret_flags) {
        struct fault_file *p = (struct fault_file *) f;
        int rc;

        (void) vfs;
        p->base.pMethods = NULL;
        p->real = (sqlite3_file *) (p + 1);
        p->written = false;
        if ((flags & SQLITE_OPEN_CREATE) && fault_rc("db-open", SQLITE_CANTOPEN) != SQLITE_OK)
                return SQLITE_CANTOPEN;
        rc = real_vfs->xOpen(real_vfs, name, p->real, flags, ret_flags);
        if (rc == SQLITE_OK && p->real->pMethods)
                p->base.pMethods = &fault_methods;
        return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
        int rc = fault_rc("db-unlink", SQLITE_IOERR_DELETE);
        (void) vfs;
        return rc != SQLITE_OK ? rc : real_vfs->xDelete(real_vfs, name, sync_dir);
}

const char *state_vfs_name(void) {
        if (fs_fault_count() < 0)
                return NULL; /* no faults injected: SQLite's own VFS */
        if (!real_vfs) {
                real_vfs = sqlite3_vfs_find(NULL);
                if (!real_vfs)
                        return NULL;
                fault_vfs = *real_vfs;
                fault_vfs.zName = "distkernel-fault";
                fault_vfs.szOsFile = (int) sizeof(struct fault_file) + real_vfs->szOsFile;
                fault_vfs.pNext = NULL;
                fault_vfs.xOpen = v_open;
                fault_vfs.xDelete = v_delete;
                if (sqlite3_vfs_register(&fault_vfs, 0) != SQLITE_OK) {
                        real_vfs = NULL;
                        return NULL;
                }
        }
        return fault_vfs.zName;
}
