/*
 * store_sqlite_backup.c — online backup of a brain and the checks on a
 * backup file before it is restored (lifecycle.h "backup").
 *
 * A backup copies the brain's pages with SQLite's online backup API from
 * a reader connection inside its read transaction, so the copy is that
 * transaction's snapshot: every write committed before it began, none
 * after, while the brain's writer goes on committing (WAL readers never
 * block it). The copy is written to "<dest>.partial", switched to a
 * rollback journal (one self-contained file), stamped with the brain's
 * record (so a restore can recreate the brain) in kv under BACKUP_KEY,
 * synced, then renamed into place: a backup file either is complete or
 * does not exist.
 */
#include "store_sqlite.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"

#define BACKUP_KEY "nmemd.backup.record"
#define PAGES_PER_STEP 1024

static int fail_db(sqlite3 *db, const char *what, nm_err_t *err)
{
	return nm_err_set(err, NM_ST_UNAVAILABLE, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Copy the snapshot of tx's connection into dest; progress in pages. */
static int copy_pages(sqlite3 *src, sqlite3 *dest, const nm_progress_t *p, nm_err_t *err)
{
	sqlite3_backup *bk = sqlite3_backup_init(dest, "main", src, "main");
	if (!bk)
		return fail_db(dest, "backup", err);
	int rc;
	do {
		rc = sqlite3_backup_step(bk, PAGES_PER_STEP);
		if (p && p->step)
			p->step(p->arg, sqlite3_backup_pagecount(bk) - sqlite3_backup_remaining(bk),
			        sqlite3_backup_pagecount(bk));
		if (p && p->stop && p->stop(p->arg) && rc != SQLITE_DONE) {
			sqlite3_backup_finish(bk);
			return nm_err_set(err, NM_ST_UNAVAILABLE, "backup interrupted by shutdown");
		}
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(bk);
	return rc == SQLITE_DONE ? 0 : fail_db(dest, "backup", err);
}

/* Make the copy one self-contained file carrying the brain's record. */
static int seal(sqlite3 *dest, const char *record, nm_err_t *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_exec(dest, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dest, "INSERT OR REPLACE INTO kv (key, value) VALUES ('" BACKUP_KEY "', ?1)", -1, &s,
	                       NULL) != SQLITE_OK)
		return fail_db(dest, "backup", err);
	sqlite3_bind_blob(s, 1, record, (int)strlen(record), SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : fail_db(dest, "backup", err);
}

int nm__sq_backup(nm_tx_t *tx, const char *dest, const char *record, const nm_progress_t *p, int64_t *bytes,
                  nm_err_t *err)
{
	sqlite3 *src = SC(tx)->db, *out = NULL;
	/* start the read snapshot now (BEGIN is deferred until the first read) */
	if (sqlite3_exec(src, "SELECT count(*) FROM meta", NULL, NULL, NULL) != SQLITE_OK)
		return fail_db(src, "backup", err);
	char *tmp = nm_xasprintf("%s.partial", dest);
	unlink(tmp);
	int rc = sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK
	             ? 0 : fail_db(out, "backup: cannot create the file", err);
	if (rc == 0)
		rc = copy_pages(src, out, p, err);
	if (rc == 0)
		rc = seal(out, record, err);
	if (sqlite3_close(out) != SQLITE_OK && rc == 0)
		rc = nm_err_set(err, NM_ST_UNAVAILABLE, "backup: closing the copy failed");
	if (rc == 0 && (fsync_path(tmp) < 0 || rename(tmp, dest) < 0))
		rc = nm_err_set(err, NM_ST_UNAVAILABLE, "backup: cannot write %s", dest);
	if (rc < 0) {
		unlink(tmp);
	} else {
		char *dir = nm_xstrdup(dest), *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		fsync_path(slash ? dir : ".");
		free(dir);
		FILE *f = fopen(dest, "rb");
		if (f && fseek(f, 0, SEEK_END) == 0)
			*bytes = ftell(f);
		if (f)
			fclose(f);
	}
	free(tmp);
	return rc;
}

int nm__sq_backup_check(const char *file, char **record, nm_err_t *err)
{
	sqlite3 *db = NULL;
	*record = NULL;
	if (access(file, R_OK) != 0)
		return nm_err_set(err, NM_ST_NOT_FOUND, "%s: cannot read the file", file);
	if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return nm_err_set(err, NM_ST_INVALID, "%s: not a SQLite database", file);
	}
	sqlite3_stmt *s = NULL;
	int version = -1, rc = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	int tables = 0; /* a brain has these; the catalog (also version 1) does not */
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
	                           " ('meta', 'neurons', 'neuron_states', 'synapses', 'fibers')", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		tables = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (version < 1 || version > NM_SCHEMA_BRAIN_VERSION || tables != 5)
		rc = nm_err_set(err, NM_ST_INVALID, "%s: not an nmemd brain backup (schema version %d, %d of 5 brain tables)",
		                file, version, tables);
	if (rc == 0 && (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK ||
	                sqlite3_step(s) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0))
		rc = nm_err_set(err, NM_ST_INVALID, "%s: the database is damaged (quick_check failed)", file);
	sqlite3_finalize(s);
	s = NULL;
	if (rc == 0 && sqlite3_prepare_v2(db, "SELECT value FROM kv WHERE key = '" BACKUP_KEY "'", -1, &s, NULL) ==
	               SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		*record = nm_xstrndup(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}
