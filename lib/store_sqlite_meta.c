/*
 * store_sqlite_meta.c — the sqlite backend's brain-level data (store.h):
 * snapshot metadata, object counts and stats, typed memories and projects
 * (JSON blobs keyed by fiber / project id), creation counts since given
 * instants, and the size of the brain's files.
 */
#include "store_sqlite.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "isotime.h"
#include "mem.h"

int nm__sq_meta_get(nm_tx_t *tx, char **json, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_META_GET, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, "snapshot_metadata", -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	*json = nm_xstrdup(rc == SQLITE_ROW && sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0)
	                                                                 : "{}");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : nm__sq_fail(SC(tx), rc, err);
}

int nm__sq_meta_put(nm_tx_t *tx, const char *json, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_META_PUT, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, "snapshot_metadata", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, json, -1, SQLITE_STATIC);
	return nm__sq_exec(SC(tx), s, err);
}

int nm__sq_stats(nm_tx_t *tx, nm_stats_t *out, nm_err_t *err)
{
	sqlite3_stmt *s;
	static const char sql[] = "SELECT key, value FROM meta WHERE key IN"
	                          " ('neurons', 'synapses', 'fibers', 'typed_memories', 'projects', 'updated_at')";
	if (sqlite3_prepare_v2(SC(tx)->db, sql, -1, &s, NULL) != SQLITE_OK)
		return nm__sq_fail(SC(tx), sqlite3_errcode(SC(tx)->db), err);
	memset(out, 0, sizeof *out);
	out->updated_at = NM_TIME_NONE;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		int64_t v = sqlite3_column_int64(s, 1);
		if (strcmp(k, "neurons") == 0)
			out->neurons = v;
		else if (strcmp(k, "synapses") == 0)
			out->synapses = v;
		else if (strcmp(k, "fibers") == 0)
			out->fibers = v;
		else if (strcmp(k, "typed_memories") == 0)
			out->typed_memories = v;
		else if (strcmp(k, "projects") == 0)
			out->projects = v;
		else
			out->updated_at = nm__col_time(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : nm__sq_fail(SC(tx), rc, err);
}

/* ---- typed memories and projects ---- */

typedef struct blob_cb_arg {
	nm_blob_cb cb;
	void *arg;
} blob_cb_arg_t;

static int blob_row(sqlite3_stmt *s, void *arg)
{
	blob_cb_arg_t *b = arg;
	return b->cb(b->arg, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1));
}

static int blob_scan(nm_tx_t *tx, sq_id_t which, nm_blob_cb cb, void *arg, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), which, err);
	blob_cb_arg_t b = {cb, arg};
	return s ? nm__sq_each(SC(tx), s, blob_row, &b, err) : -NM_ST_INTERNAL;
}

/* Replace-or-insert of a keyed blob: update first; insert (and count) when
 * no row had the key. Parameters: ?1 key, ?2 memory type, ?3 json. */
static int blob_put(nm_tx_t *tx, sq_id_t upd, sq_id_t ins, const char *counter, const char *key, int mtype,
                    const char *json, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *s = nm__sq(c, pass ? ins : upd, err);
		if (!s)
			return -NM_ST_INTERNAL;
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, mtype); /* unused by the project statements */
		sqlite3_bind_text(s, 3, json, -1, SQLITE_STATIC);
		int rc = nm__sq_exec(c, s, err);
		if (rc < 0)
			return rc;
		if (pass == 0 && sqlite3_changes(c->db) > 0)
			return 0;
	}
	return nm__sq_counter(c, counter, 1, err);
}

int nm__sq_typed_memory_put(nm_tx_t *tx, const char *fiber_id, nm_memory_type_t type, const char *json,
                               nm_err_t *err)
{
	return blob_put(tx, SQ_TM_UPDATE, SQ_TM_INSERT, "typed_memories", fiber_id, (int)type, json, err);
}

int nm__sq_typed_memory_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err)
{
	return blob_scan(tx, SQ_TM_SCAN, cb, arg, err);
}

int nm__sq_typed_memory_counts(nm_tx_t *tx, int64_t *counts, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_TM_COUNTS, err);
	if (!s)
		return -NM_ST_INTERNAL;
	memset(counts, 0, sizeof *counts * NM_MEM__COUNT);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int t = sqlite3_column_int(s, 0);
		if (t >= 0 && t < NM_MEM__COUNT)
			counts[t] = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : nm__sq_fail(SC(tx), rc, err);
}

int nm__sq_project_put(nm_tx_t *tx, const char *id, const char *json, nm_err_t *err)
{
	return blob_put(tx, SQ_PROJ_UPDATE, SQ_PROJ_INSERT, "projects", id, 0, json, err);
}

int nm__sq_project_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err)
{
	return blob_scan(tx, SQ_PROJ_SCAN, cb, arg, err);
}

int nm__sq_fiber_counts_since(nm_tx_t *tx, const int64_t *since, int64_t *counts, int n, nm_err_t *err)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(SC(tx)->db, "SELECT count(*) FROM fibers WHERE created_at >= ?1", -1, &s, NULL) != SQLITE_OK)
		return nm__sq_fail(SC(tx), sqlite3_errcode(SC(tx)->db), err);
	int rc = SQLITE_DONE;
	for (int k = 0; k < n; k++) {
		sqlite3_bind_int64(s, 1, since[k]);
		rc = sqlite3_step(s);
		counts[k] = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		sqlite3_reset(s);
		if (rc != SQLITE_ROW)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : nm__sq_fail(SC(tx), rc, err);
}

/* Database plus write-ahead log, as the file system reports them. */
int64_t nm__sq_size_bytes(nm_tx_t *tx)
{
	struct stat st;
	int64_t total = 0;
	const char *path = ((stx_t *)tx)->sb->path;
	if (stat(path, &st) == 0)
		total += st.st_size;
	char *wal = nm_xasprintf("%s-wal", path);
	if (stat(wal, &st) == 0)
		total += st.st_size;
	free(wal);
	return total;
}

