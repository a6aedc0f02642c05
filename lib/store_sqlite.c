/*
 * store_sqlite.c — the SQLite backend: data directory, catalog, brain
 * files, connections, statement caches and transactions. The per-object
 * operations live in store_sqlite_neuron.c, _synapse.c and _fiber.c; the
 * brain-level data (metadata, stats, typed memories, projects) in
 * store_sqlite_meta.c.
 *
 * Layout of the data directory:
 *   LOCK                 flock()ed while a process serves this directory
 *   catalog.db           the brains table (records, not contents)
 *   brains/<file>.db     one database per brain (WAL: -wal and -shm too);
 *                        <file> is a UUID chosen at creation, so a brain
 *                        re-created under a deleted brain's id never meets
 *                        the old file.
 *
 * Invariants:
 *  1. Every connection runs in WAL mode with the same pragmas; writes go
 *     only through the brain's writer connection inside BEGIN IMMEDIATE.
 *  2. A reader connection is used by one transaction at a time; readers
 *     beyond opts->readers_per_brain are never created (callers wait).
 *  3. Files under brains/ that the catalog does not name are leftovers of
 *     a crash between creating/deleting a file and the catalog commit;
 *     they are removed at open.
 *
 * Threads: the catalog connection is used under the store's catalog mutex
 * (see store.c); brain connections per the rules above.
 */
#include "store_sqlite.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "codec.h"
#include "isotime.h"
#include "jsonw.h"
#include "mem.h"

typedef struct sstore {
	char *dir;
	int lock_fd;
	sqlite3 *catalog;
	const nm_store_opts_t *opts;
} sstore_t;

static const char *const fixed_sql[SQ__COUNT] = {
	[SQ_BEGIN_READ] = "BEGIN",
	[SQ_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_SAVEPOINT] = "SAVEPOINT w",
	[SQ_RELEASE] = "RELEASE w",
	[SQ_ROLLBACK_TO] = "ROLLBACK TO w",
	[SQ_COUNTER_ADD] = "UPDATE meta SET value = value + ?2 WHERE key = ?1",
	[SQ_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[SQ_META_PUT] = "UPDATE meta SET value = ?2 WHERE key = ?1",
	[SQ_NEURON_INSERT] = "INSERT INTO neurons (id, type, content, chash, metadata, created_at, lhash)"
	                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[SQ_NEURON_GET] = "SELECT seq, id, type, content, metadata, created_at FROM neurons WHERE id = ?1",
	[SQ_NEURON_SEQ] = "SELECT seq FROM neurons WHERE id = ?1",
	[SQ_NEURON_UPDATE] = "UPDATE neurons SET type = ?2, content = ?3, chash = ?4, metadata = ?5,"
	                     " created_at = ?6, lhash = ?7 WHERE seq = ?1",
	[SQ_NEURON_DELETE] = "DELETE FROM neurons WHERE seq = ?1",
	[SQ_STATE_INSERT] = "INSERT INTO neuron_states (seq, activation, access_frequency, last_activated,"
	                    " decay_rate, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[SQ_STATE_GET] = "SELECT s.activation, s.access_frequency, s.last_activated, s.decay_rate, s.created_at"
	                 " FROM neurons n JOIN neuron_states s ON s.seq = n.seq WHERE n.id = ?1",
	[SQ_STATE_PUT] = "UPDATE neuron_states SET activation = ?2, access_frequency = ?3, last_activated = ?4,"
	                 " decay_rate = ?5, created_at = ?6 WHERE seq = ?1",
	[SQ_STATE_DELETE] = "DELETE FROM neuron_states WHERE seq = ?1",
	[SQ_FTS_INSERT] = "INSERT INTO neurons_fts (rowid, body) VALUES (?1, nm_lower(?2))",
	[SQ_FTS_DELETE] = "INSERT INTO neurons_fts (neurons_fts, rowid, body) VALUES ('delete', ?1, nm_lower(?2))",
	[SQ_SPAN_PUT] = "INSERT INTO time_spans (seq, t0, t1) VALUES (?1, ?2, ?3)",
	[SQ_SPAN_DELETE] = "DELETE FROM time_spans WHERE seq = ?1",
	[SQ_SPAN_MAX] = "UPDATE meta SET value = max(value, ?1) WHERE key = 'max_time_span'",
	/* Overlap: a span starting before t0 - max_time_span cannot reach t0,
	 * so the t0 index is scanned over a bounded range. */
	[SQ_SPAN_OVERLAP] = "SELECT n.seq, n.id, n.type, n.content, n.metadata, n.created_at FROM time_spans s"
	                    " JOIN neurons n ON n.seq = s.seq WHERE s.t0 <= ?2"
	                    " AND s.t0 >= ?1 - (SELECT value FROM meta WHERE key = 'max_time_span') AND s.t1 >= ?1"
	                    " ORDER BY s.t0 DESC, s.seq DESC LIMIT ?3",
	[SQ_SPAN_EXACT] = "SELECT n.seq, n.id, n.type, n.content, n.metadata, n.created_at FROM time_spans s"
	                  " JOIN neurons n ON n.seq = s.seq WHERE s.t0 = ?1 AND s.t1 = ?2 ORDER BY s.seq DESC LIMIT ?3",
	[SQ_FFTS_INSERT] = "INSERT INTO fiber_fts (rowid, text) VALUES (?1, ?2)",
	[SQ_FFTS_DELETE] = "DELETE FROM fiber_fts WHERE rowid = ?1",
	[SQ_ANCHOR_TEXT] = "SELECT content FROM neurons WHERE id = ?1",
	[SQ_FFTS_TEXT] = "SELECT text FROM fiber_fts WHERE rowid = (SELECT seq FROM fibers WHERE id = ?1)",
	[SQ_SYN_INSERT] = "INSERT INTO synapses (id, source, target, type, weight, direction, metadata,"
	                  " reinforced_count, last_activated, created_at)"
	                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[SQ_SYN_GET] = "SELECT s.seq, s.id, a.id, b.id, s.type, s.weight, s.direction, s.metadata,"
	               " s.reinforced_count, s.last_activated, s.created_at FROM synapses s"
	               " JOIN neurons a ON a.seq = s.source JOIN neurons b ON b.seq = s.target WHERE s.id = ?1",
	[SQ_SYN_UPDATE] = "UPDATE synapses SET source = ?2, target = ?3, type = ?4, weight = ?5, direction = ?6,"
	                  " metadata = ?7, reinforced_count = ?8, last_activated = ?9, created_at = ?10"
	                  " WHERE id = ?1",
	/* the same ends: no indexed column in SET, so no index entry rewritten */
	[SQ_SYN_UPDATE_BODY] = "UPDATE synapses SET type = ?4, weight = ?5, direction = ?6, metadata = ?7,"
	                       " reinforced_count = ?8, last_activated = ?9, created_at = ?10"
	                       " WHERE id = ?1 AND source = ?2 AND target = ?3",
	[SQ_SYN_DELETE] = "DELETE FROM synapses WHERE id = ?1",
	[SQ_SYN_DELETE_TOUCHING] = "DELETE FROM synapses WHERE source = ?1 OR target = ?1",
	[SQ_FIBER_INSERT] = "INSERT INTO fibers (id, neuron_ids, synapse_ids, anchor_id, time_start, time_end,"
	                    " coherence, salience, frequency, summary, tags, metadata, created_at)"
	                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[SQ_FIBER_GET] = "SELECT seq, id, neuron_ids, synapse_ids, anchor_id, time_start, time_end, coherence,"
	                 " salience, frequency, summary, tags, metadata, created_at FROM fibers WHERE id = ?1",
	[SQ_FIBER_SEQ] = "SELECT seq, neuron_ids, tags, time_start, time_end, anchor_id, summary FROM fibers WHERE id = ?1",
	[SQ_FIBER_UPDATE] = "UPDATE fibers SET neuron_ids = ?2, synapse_ids = ?3, anchor_id = ?4, time_start = ?5,"
	                    " time_end = ?6, coherence = ?7, salience = ?8, frequency = ?9, summary = ?10,"
	                    " tags = ?11, metadata = ?12, created_at = ?13 WHERE seq = ?1",
	[SQ_FIBER_DELETE] = "DELETE FROM fibers WHERE seq = ?1",
	[SQ_FN_INSERT] = "INSERT OR IGNORE INTO fiber_neurons (nhash, fiber) VALUES (?1, ?2)",
	[SQ_FN_DELETE] = "DELETE FROM fiber_neurons WHERE nhash = ?1 AND fiber = ?2",
	[SQ_FT_INSERT] = "INSERT OR IGNORE INTO fiber_tags (thash, fiber) VALUES (?1, ?2)",
	[SQ_FT_DELETE] = "DELETE FROM fiber_tags WHERE thash = ?1 AND fiber = ?2",
	[SQ_FTIME_INSERT] = "INSERT INTO fiber_time (id, t0, t1) VALUES (?1, ?2, ?3)",
	[SQ_FTIME_DELETE] = "DELETE FROM fiber_time WHERE id = ?1",
	[SQ_TM_UPDATE] = "UPDATE typed_memories SET memory_type = ?2, json = ?3 WHERE fiber_id = ?1",
	[SQ_TM_INSERT] = "INSERT INTO typed_memories (fiber_id, memory_type, json) VALUES (?1, ?2, ?3)",
	[SQ_TM_DELETE] = "DELETE FROM typed_memories WHERE fiber_id = ?1",
	[SQ_TM_SCAN] = "SELECT fiber_id, json FROM typed_memories ORDER BY seq",
	[SQ_TM_COUNTS] = "SELECT memory_type, count(*) FROM typed_memories GROUP BY memory_type",
	[SQ_PROJ_UPDATE] = "UPDATE projects SET json = ?3 WHERE id = ?1",
	[SQ_PROJ_INSERT] = "INSERT INTO projects (id, json) VALUES (?1, ?3)",
	[SQ_PROJ_SCAN] = "SELECT id, json FROM projects ORDER BY seq",
	[SQ_DECAY_SCAN_N] = "SELECT s.seq, n.id, s.activation, s.last_activated, s.decayed_at, s.created_at"
	                    " FROM neuron_states s JOIN neurons n ON n.seq = s.seq WHERE s.seq > ?1 ORDER BY s.seq"
	                    " LIMIT ?2",
	[SQ_DECAY_SCAN_S] = "SELECT seq, id, weight, last_activated, decayed_at, created_at FROM synapses"
	                    " WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	[SQ_DECAY_SET_N] = "UPDATE neuron_states SET activation = ?2, decayed_at = coalesce(?3, decayed_at)"
	                   " WHERE seq = ?1",
	[SQ_DECAY_SET_S] = "UPDATE synapses SET weight = ?2, decayed_at = coalesce(?3, decayed_at) WHERE seq = ?1",
	[SQ_ORPHAN_SCAN] = "SELECT n.seq, n.id FROM neurons n WHERE n.seq > ?1"
	                   " AND NOT EXISTS (SELECT 1 FROM synapses WHERE source = n.seq)"
	                   " AND NOT EXISTS (SELECT 1 FROM synapses WHERE target = n.seq)"
	                   " AND NOT EXISTS (SELECT 1 FROM fiber_neurons WHERE nhash = nm_id_hash(n.id))"
	                   " ORDER BY n.seq LIMIT ?2",
	[SQ_KV_PUT] = "INSERT OR REPLACE INTO kv (key, value) VALUES (?1, ?2)",
	[SQ_KV_GET] = "SELECT value FROM kv WHERE key = ?1",
	[SQ_KV_DEL] = "DELETE FROM kv WHERE key = ?1",
	[SQ_KV_SCAN] = "SELECT key, value FROM kv WHERE key >= ?1 AND key > ?2 ORDER BY key",
	[SQ_FIBER_CURSOR] = "SELECT seq, id, neuron_ids, synapse_ids, anchor_id, time_start, time_end, coherence,"
	                    " salience, frequency, summary, tags, metadata, created_at FROM fibers WHERE seq > ?1"
	                    " ORDER BY seq LIMIT ?2",
	[SQ_CLOCK_N] = "SELECT s.decayed_at FROM neurons n JOIN neuron_states s ON s.seq = n.seq WHERE n.id = ?1",
	[SQ_CLOCK_S] = "SELECT decayed_at FROM synapses WHERE id = ?1",
	[SQ_CLOCK_SET_N] = "UPDATE neuron_states SET decayed_at = ?2 WHERE seq = (SELECT seq FROM neurons WHERE id = ?1)",
	[SQ_CLOCK_SET_S] = "UPDATE synapses SET decayed_at = ?2 WHERE id = ?1",
	[SQ_TM_GET] = "SELECT json FROM typed_memories WHERE fiber_id = ?1",
};

/* ---- statement helpers (store_sqlite.h) ---- */

int nm__sq_fail(sconn_t *c, int rc, nm_err_t *err)
{
	int prim = rc & 0xff;
	if (prim == SQLITE_FULL && c)
		c->disk_full = true;
	if (prim == SQLITE_FULL || prim == SQLITE_IOERR || prim == SQLITE_BUSY || prim == SQLITE_LOCKED ||
	    prim == SQLITE_READONLY || prim == SQLITE_CANTOPEN || prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
		return nm_err_set(err, NM_ST_UNAVAILABLE, "storage unavailable (%s)", sqlite3_errstr(rc));
	return nm_err_set(err, NM_ST_INTERNAL, "Internal error (storage: %s)", sqlite3_errstr(rc));
}

sqlite3_stmt *nm__sq_dyn(sconn_t *c, sqlite3_stmt **slot, const char *sql, nm_err_t *err)
{
	if (!*slot) {
		int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
		if (rc != SQLITE_OK) {
			nm__sq_fail(c, rc, err);
			*slot = NULL;
			return NULL;
		}
	}
	return *slot;
}

sqlite3_stmt *nm__sq(sconn_t *c, sq_id_t id, nm_err_t *err)
{
	return nm__sq_dyn(c, &c->st[id], fixed_sql[id], err);
}

int nm__sq_exec(sconn_t *c, sqlite3_stmt *s, nm_err_t *err)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return nm_err_set(err, NM_ST_CONFLICT, "constraint");
	return nm__sq_fail(c, rc, err);
}

int nm__sq_each(sconn_t *c, sqlite3_stmt *s, int (*row)(sqlite3_stmt *s, void *arg), void *arg, nm_err_t *err)
{
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((ret = row(s, arg)))
			break;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (ret)
		return ret;
	return rc == SQLITE_DONE ? 0 : nm__sq_fail(c, rc, err);
}

int nm__sq_counter(sconn_t *c, const char *name, int64_t delta, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(c, SQ_COUNTER_ADD, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, delta);
	return nm__sq_exec(c, s, err);
}

void nm__bind_time(sqlite3_stmt *s, int i, int64_t t)
{
	if (t == NM_TIME_NONE)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, t);
}

void nm__bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

void nm__bind_blob(sqlite3_stmt *s, int i, const char *p, size_t n)
{
	sqlite3_bind_blob64(s, i, n ? p : "", n, SQLITE_STATIC);
}

int64_t nm__col_time(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NM_TIME_NONE : sqlite3_column_int64(s, i);
}

int64_t nm__sq_neuron_seq(sconn_t *c, const char *id, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(c, SQ_NEURON_SEQ, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	int64_t seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return nm__sq_fail(c, rc, err);
	return seq;
}

/* ---- connections ---- */

/* WAL pages before the committing writer checkpoints (SQLite's default is
 * 1000). Hot pages — index roots and leaves, the meta counters — change
 * in most commits; a longer WAL writes each back once per checkpoint
 * instead of once per 1000 pages: single encodes with 16 clients +19%.
 * The WAL of a busy brain grows to ~32 MiB (4 KiB pages). */
#define NM_SQ_WAL_PAGES 8000

static int set_pragmas(sqlite3 *db, const nm_store_opts_t *o)
{
	char sql[512];
	snprintf(sql, sizeof sql,
	         "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; PRAGMA foreign_keys = OFF;"
	         "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -%d; PRAGMA mmap_size = %lld;"
	         "PRAGMA wal_autocheckpoint = %d;",
	         o->synchronous_full ? "FULL" : "NORMAL", o->cache_kib > 0 ? o->cache_kib : 8192,
	         (long long)(o->mmap_bytes > 0 ? o->mmap_bytes : 0), NM_SQ_WAL_PAGES);
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int open_db(const char *path, const nm_store_opts_t *o, sqlite3 **out, nm_err_t *err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		sqlite3_extended_result_codes(db, 1);
		rc = set_pragmas(db, o);
	}
	if (rc == SQLITE_OK)
		rc = nm__sq_register_functions(db);
	if (rc != SQLITE_OK) {
		nm_err_set(err, NM_ST_UNAVAILABLE, "cannot open database: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return -NM_ST_UNAVAILABLE;
	}
	*out = db;
	return 0;
}

static sconn_t *conn_open(const char *path, const nm_store_opts_t *o, nm_err_t *err)
{
	sconn_t *c = nm_xcalloc(1, sizeof *c);
	if (open_db(path, o, &c->db, err) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static void finalize_all(sqlite3_stmt **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sqlite3_finalize(v[i]);
}

static void conn_close(sconn_t *c)
{
	if (!c)
		return;
	finalize_all(c->st, SQ__COUNT);
	finalize_all(c->nscan, SQ_NEURON_SCAN_VARIANTS);
	finalize_all(c->sscan, SQ_SYN_SCAN_VARIANTS);
	finalize_all(c->fscan, SQ_FIBER_SCAN_VARIANTS);
	sqlite3_close_v2(c->db);
	free(c);
}

/* ---- store ---- */

static char *brain_path(const sstore_t *ss, const char *file)
{
	return nm_xasprintf("%s/brains/%s.db", ss->dir, file);
}

static int mkdir_p(const char *path, nm_err_t *err)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return 0;
	return nm_err_set(err, NM_ST_UNAVAILABLE, "cannot create directory %s: %s", path, strerror(errno));
}

static void remove_brain_files(const char *path)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		char *p = nm_xasprintf("%s%s", path, sfx[i]);
		unlink(p);
		free(p);
	}
}

static int sq_open(const nm_store_opts_t *o, void **bs, nm_err_t *err)
{
	sstore_t *ss = nm_xcalloc(1, sizeof *ss);
	ss->dir = nm_xstrdup(o->data_dir);
	ss->opts = o;
	ss->lock_fd = -1;
	char *brains = nm_xasprintf("%s/brains", ss->dir);
	char *lock = nm_xasprintf("%s/LOCK", ss->dir);
	char *cat = nm_xasprintf("%s/catalog.db", ss->dir);
	int rc = mkdir_p(ss->dir, err);
	if (rc == 0)
		rc = mkdir_p(brains, err);
	if (rc == 0) {
		ss->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
		if (ss->lock_fd < 0 || flock(ss->lock_fd, LOCK_EX | LOCK_NB) < 0)
			rc = nm_err_set(err, NM_ST_UNAVAILABLE, "data directory %s is in use by another process (or %s)",
			                ss->dir, strerror(errno));
	}
	if (rc == 0)
		rc = open_db(cat, o, &ss->catalog, err);
	if (rc == 0)
		rc = nm__schema_catalog(ss->catalog, err);
	free(brains);
	free(lock);
	free(cat);
	if (rc < 0) {
		if (ss->catalog)
			sqlite3_close_v2(ss->catalog);
		if (ss->lock_fd >= 0)
			close(ss->lock_fd);
		free(ss->dir);
		free(ss);
		return rc;
	}
	*bs = ss;
	return 0;
}

static void sq_close(void *bs)
{
	sstore_t *ss = bs;
	sqlite3_close_v2(ss->catalog);
	if (ss->lock_fd >= 0)
		close(ss->lock_fd);
	free(ss->dir);
	free(ss);
}

/* Remove brain files the catalog does not know (invariant 3). */
static void sweep_orphans(sstore_t *ss, const nm_hmap_t *files)
{
	char *dirpath = nm_xasprintf("%s/brains", ss->dir);
	DIR *d = opendir(dirpath);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		const char *dot = strchr(e->d_name, '.');
		if (e->d_name[0] == '.' || !dot)
			continue;
		if (nm_hmap_get(files, e->d_name, (size_t)(dot - e->d_name)))
			continue;
		char *p = nm_xasprintf("%s/%s", dirpath, e->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	free(dirpath);
}

static int sq_catalog_load(void *bs, int (*cb)(void *, nm_brain_rec_t *), void *arg, nm_err_t *err)
{
	sstore_t *ss = bs;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(ss->catalog,
	                       "SELECT id, name, owner_id, is_public, shared_with, config, metadata, created_at,"
	                       " updated_at, file FROM brains ORDER BY seq", -1, &s, NULL) != SQLITE_OK)
		return nm_err_set(err, NM_ST_UNAVAILABLE, "cannot read catalog: %s", sqlite3_errmsg(ss->catalog));
	nm_hmap_t files = {0};
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		nm_brain_rec_t r = {0};
		r.id = nm_xstrdup((const char *)sqlite3_column_text(s, 0));
		r.name = nm_xstrdup((const char *)sqlite3_column_text(s, 1));
		r.owner_id = nm_xstrdup((const char *)sqlite3_column_text(s, 2));
		r.is_public = sqlite3_column_int(s, 3) != 0;
		nm_strv_unpack(&r.shared_with, sqlite3_column_blob(s, 4), (size_t)sqlite3_column_bytes(s, 4));
		r.config = nm_config_default;
		json_t *cfg = json_loads((const char *)sqlite3_column_text(s, 5), 0, NULL);
		nm_config_decode(cfg, "", &r.config, NULL);
		json_decref(cfg);
		r.metadata = nm_xstrdup((const char *)sqlite3_column_text(s, 6));
		r.created_at = sqlite3_column_int64(s, 7);
		r.updated_at = sqlite3_column_int64(s, 8);
		r.file = nm_xstrdup((const char *)sqlite3_column_text(s, 9));
		nm_hmap_put(&files, r.file, strlen(r.file), (void *)1);
		/* the map's keys point into records handed to cb, which keeps them */
		if (cb(arg, &r)) {
			rc = SQLITE_ABORT;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		sweep_orphans(ss, &files);
	nm_hmap_free(&files);
	if (rc != SQLITE_DONE)
		return nm_err_set(err, NM_ST_UNAVAILABLE, "cannot read catalog: %s", sqlite3_errstr(rc));
	return 0;
}

static int catalog_exec(sstore_t *ss, sqlite3_stmt *s, nm_err_t *err)
{
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	return nm_err_set(err, NM_ST_UNAVAILABLE, "catalog write failed: %s", sqlite3_errstr(rc));
}

static int sq_catalog_put(void *bs, const nm_brain_rec_t *r, const int64_t *prev, nm_err_t *err)
{
	bool create = !prev;
	sstore_t *ss = bs;
	sqlite3_stmt *s;
	const char *sql = create
		? "INSERT INTO brains (id, name, owner_id, is_public, shared_with, config, metadata, created_at,"
		  " updated_at, file) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		: "UPDATE brains SET name = ?2, owner_id = ?3, is_public = ?4, shared_with = ?5, config = ?6,"
		  " metadata = ?7, created_at = ?8, updated_at = ?9, file = ?10 WHERE id = ?1";
	if (sqlite3_prepare_v2(ss->catalog, sql, -1, &s, NULL) != SQLITE_OK)
		return nm_err_set(err, NM_ST_UNAVAILABLE, "catalog write failed: %s", sqlite3_errmsg(ss->catalog));
	size_t swlen;
	char *sw = nm_strv_pack(&r->shared_with, &swlen);
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_config(&w, &r->config);
	sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->name, -1, SQLITE_STATIC);
	nm__bind_text(s, 3, r->owner_id);
	sqlite3_bind_int(s, 4, r->is_public);
	nm__bind_blob(s, 5, sw, swlen);
	sqlite3_bind_text(s, 6, w.buf.data, (int)w.buf.len, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, r->metadata ? r->metadata : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, r->created_at);
	sqlite3_bind_int64(s, 9, r->updated_at);
	sqlite3_bind_text(s, 10, r->file, -1, SQLITE_STATIC);
	int rc = catalog_exec(ss, s, err);
	free(sw);
	nm_jw_free(&w);
	return rc;
}

static int sq_catalog_delete(void *bs, const nm_brain_rec_t *rec, nm_err_t *err)
{
	const char *id = rec->id;
	sstore_t *ss = bs;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(ss->catalog, "DELETE FROM brains WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		return nm_err_set(err, NM_ST_UNAVAILABLE, "catalog write failed: %s", sqlite3_errmsg(ss->catalog));
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	return catalog_exec(ss, s, err);
}

/* ---- brains ---- */

static int sq_brain_init(void *bs, const nm_brain_rec_t *rec, nm_err_t *err)
{
	sstore_t *ss = bs;
	char *path = brain_path(ss, rec->file);
	sqlite3 *db;
	int rc = open_db(path, ss->opts, &db, err);
	if (rc == 0) {
		rc = nm__schema_brain(db, err);
		sqlite3_close_v2(db);
	}
	if (rc < 0)
		remove_brain_files(path);
	free(path);
	return rc;
}

static void sq_brain_destroy(void *bs, const nm_brain_rec_t *rec)
{
	char *path = brain_path(bs, rec->file);
	remove_brain_files(path);
	free(path);
}

/* Replace a closed brain's files with a copy of src (checked by the
 * caller): written beside, synced, renamed over the old file, whose WAL
 * and shared-memory files go first so none of them outlives it. */
static int sq_brain_restore(void *bs, const nm_brain_rec_t *rec, const char *src, nm_err_t *err)
{
	char *path = brain_path(bs, rec->file), *tmp = nm_xasprintf("%s.restore", path);
	int in = open(src, O_RDONLY), out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640), rc = 0;
	char buf[1 << 16];
	ssize_t n = 0;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	if (in < 0 || out < 0 || n < 0 || fsync(out) < 0)
		rc = nm_err_set(err, NM_ST_UNAVAILABLE, "restore: cannot copy %s: %s", src, strerror(errno));
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc == 0) {
		char *wal = nm_xasprintf("%s-wal", path), *shm = nm_xasprintf("%s-shm", path);
		unlink(wal);
		unlink(shm);
		free(wal);
		free(shm);
		if (rename(tmp, path) < 0)
			rc = nm_err_set(err, NM_ST_UNAVAILABLE, "restore: cannot replace %s: %s", path, strerror(errno));
	}
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

static int sq_brain_open(void *bs, const nm_brain_rec_t *rec, void **bd, nm_err_t *err)
{
	sstore_t *ss = bs;
	sbrain_t *sb = nm_xcalloc(1, sizeof *sb);
	sb->path = brain_path(ss, rec->file);
	sb->opts = ss->opts;
	pthread_mutex_init(&sb->mu, NULL);
	pthread_cond_init(&sb->cv, NULL);
	sb->writer = conn_open(sb->path, sb->opts, err);
	if (!sb->writer || nm__schema_brain(sb->writer->db, err) < 0) {
		conn_close(sb->writer);
		pthread_mutex_destroy(&sb->mu);
		pthread_cond_destroy(&sb->cv);
		free(sb->path);
		free(sb);
		return err ? -err->status : -NM_ST_UNAVAILABLE;
	}
	*bd = sb;
	return 0;
}

static void sq_brain_close(void *bd)
{
	sbrain_t *sb = bd;
	while (sb->free_readers) {
		sconn_t *c = sb->free_readers;
		sb->free_readers = c->next_free;
		conn_close(c);
	}
	conn_close(sb->writer);
	pthread_mutex_destroy(&sb->mu);
	pthread_cond_destroy(&sb->cv);
	free(sb->path);
	free(sb);
}

/* ---- transactions ---- */

static sconn_t *reader_take(sbrain_t *sb, nm_err_t *err)
{
	pthread_mutex_lock(&sb->mu);
	for (;;) {
		if (sb->free_readers) {
			sconn_t *c = sb->free_readers;
			sb->free_readers = c->next_free;
			pthread_mutex_unlock(&sb->mu);
			return c;
		}
		if (sb->nreaders < sb->opts->readers_per_brain) {
			sb->nreaders++;
			pthread_mutex_unlock(&sb->mu);
			sconn_t *c = conn_open(sb->path, sb->opts, err);
			if (!c) {
				pthread_mutex_lock(&sb->mu);
				sb->nreaders--;
				pthread_cond_signal(&sb->cv);
				pthread_mutex_unlock(&sb->mu);
			}
			return c;
		}
		pthread_cond_wait(&sb->cv, &sb->mu);
	}
}

static void reader_give(sbrain_t *sb, sconn_t *c)
{
	pthread_mutex_lock(&sb->mu);
	c->next_free = sb->free_readers;
	sb->free_readers = c;
	pthread_cond_signal(&sb->cv);
	pthread_mutex_unlock(&sb->mu);
}

static int begin(sbrain_t *sb, sconn_t *c, sq_id_t which, nm_tx_t **tx, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(c, which, err);
	if (!s || nm__sq_exec(c, s, err) < 0)
		return err ? -err->status : -NM_ST_UNAVAILABLE;
	stx_t *t = nm_xcalloc(1, sizeof *t);
	t->sb = sb;
	t->c = c;
	*tx = &t->base;
	return 0;
}

static int sq_read_begin(void *bd, nm_tx_t **tx, nm_err_t *err)
{
	sbrain_t *sb = bd;
	sconn_t *c = reader_take(sb, err);
	if (!c)
		return -NM_ST_UNAVAILABLE;
	int rc = begin(sb, c, SQ_BEGIN_READ, tx, err);
	if (rc < 0)
		reader_give(sb, c);
	return rc;
}

static void finish(nm_tx_t *tx, sq_id_t which)
{
	stx_t *t = (stx_t *)tx;
	sqlite3_stmt *s = nm__sq(t->c, which, NULL);
	if (s)
		nm__sq_exec(t->c, s, NULL);
	if (!sqlite3_get_autocommit(t->c->db)) /* a failed COMMIT leaves the transaction open */
		sqlite3_exec(t->c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Bulk scans read without the memory map (restored at read_end). */
static void sq_bulk(nm_tx_t *tx)
{
	stx_t *t = (stx_t *)tx;
	if (t->sb->opts->mmap_bytes > 0 && sqlite3_exec(t->c->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL) == SQLITE_OK)
		t->bulk = true;
}

static void sq_read_end(nm_tx_t *tx)
{
	stx_t *t = (stx_t *)tx;
	finish(tx, SQ_COMMIT);
	if (t->bulk) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA mmap_size = %lld", (long long)t->sb->opts->mmap_bytes);
		sqlite3_exec(t->c->db, sql, NULL, NULL, NULL);
	}
	reader_give(t->sb, t->c);
	free(t);
}

/* The WAL only shrinks when a checkpoint truncates it, and is only
 * checkpointed at NM_SQ_WAL_PAGES (~32 MiB per brain): on a nearly full disk
 * (or after a write failed with SQLITE_FULL) that space would be lost to
 * WAL growth, and space freed later would go straight back into it. So
 * while free space is low, every write starts from a checkpointed,
 * truncated WAL. statvfs costs a system call per write transaction. */
#define NM_SQ_LOW_SPACE (64u << 20) /* twice a full WAL */

static void reclaim_wal(const sbrain_t *sb, sconn_t *c)
{
	struct statvfs v;
	bool low = statvfs(sb->path, &v) == 0 && (uint64_t)v.f_bavail * v.f_frsize < NM_SQ_LOW_SPACE;
	if (!low && !c->disk_full)
		return;
	if (sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK)
		c->disk_full = false;
}

static int sq_write_begin(void *bd, nm_tx_t **tx, nm_err_t *err)
{
	sbrain_t *sb = bd;
	reclaim_wal(sb, sb->writer);
	return begin(sb, sb->writer, SQ_BEGIN_WRITE, tx, err);
}

static int sq_commit(nm_tx_t *tx, nm_err_t *err)
{
	stx_t *t = (stx_t *)tx;
	sqlite3_stmt *s = nm__sq(t->c, SQ_COMMIT, err);
	int rc = s ? nm__sq_exec(t->c, s, err) : -NM_ST_INTERNAL;
	if (rc < 0)
		return rc; /* the caller rolls back, which frees the tx */
	free(t);
	return 0;
}

static void sq_rollback(nm_tx_t *tx)
{
	finish(tx, SQ_ROLLBACK);
	free(tx);
}

static int sq_savepoint(nm_tx_t *tx, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_SAVEPOINT, err);
	return s ? nm__sq_exec(SC(tx), s, err) : -NM_ST_INTERNAL;
}

static int sq_release(nm_tx_t *tx, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_RELEASE, err);
	return s ? nm__sq_exec(SC(tx), s, err) : -NM_ST_INTERNAL;
}

static void sq_rollback_to(nm_tx_t *tx)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_ROLLBACK_TO, NULL);
	if (s)
		nm__sq_exec(SC(tx), s, NULL);
	s = nm__sq(SC(tx), SQ_RELEASE, NULL);
	if (s)
		nm__sq_exec(SC(tx), s, NULL);
}

static int sq_set_updated_at(nm_tx_t *tx, int64_t t, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_META_PUT, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, "updated_at", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, t);
	return nm__sq_exec(SC(tx), s, err);
}

/* Brain-level data (store_sqlite_meta.c). */
int nm__sq_meta_get(nm_tx_t *tx, char **json, nm_err_t *err);
int nm__sq_meta_put(nm_tx_t *tx, const char *json, nm_err_t *err);
int nm__sq_stats(nm_tx_t *tx, nm_stats_t *out, nm_err_t *err);
int nm__sq_typed_memory_put(nm_tx_t *tx, const char *fiber_id, nm_memory_type_t type, const char *json,
                            nm_err_t *err);
int nm__sq_typed_memory_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err);
int nm__sq_typed_memory_counts(nm_tx_t *tx, int64_t *counts, nm_err_t *err);
int nm__sq_project_put(nm_tx_t *tx, const char *id, const char *json, nm_err_t *err);
int nm__sq_project_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err);
int nm__sq_fiber_counts_since(nm_tx_t *tx, const int64_t *since, int64_t *counts, int n, nm_err_t *err);
int64_t nm__sq_size_bytes(nm_tx_t *tx);

/* Per-object operations (store_sqlite_neuron.c, _synapse.c, _fiber.c). */
int nm__sq_neuron_add(nm_tx_t *, const nm_neuron_t *, nm_err_t *);
int nm__sq_neuron_get(nm_tx_t *, const char *, nm_neuron_t *, nm_err_t *);
int nm__sq_neuron_update(nm_tx_t *, const nm_neuron_t *, nm_err_t *);
int nm__sq_neuron_delete(nm_tx_t *, const char *, nm_err_t *);
int nm__sq_neuron_exists(nm_tx_t *, const char *, nm_err_t *);
int nm__sq_neuron_scan(nm_tx_t *, const nm_neuron_filter_t *, nm_neuron_cb, void *, nm_err_t *);
int nm__sq_state_get(nm_tx_t *, const char *, nm_state_t *, nm_err_t *);
int nm__sq_state_put(nm_tx_t *, const nm_state_t *, nm_err_t *);
int nm__sq_synapse_add(nm_tx_t *, const nm_synapse_t *, nm_err_t *);
int nm__sq_synapse_get(nm_tx_t *, const char *, nm_synapse_t *, nm_err_t *);
int nm__sq_synapse_update(nm_tx_t *, const nm_synapse_t *, nm_err_t *);
int nm__sq_synapse_delete(nm_tx_t *, const char *, nm_err_t *);
int nm__sq_synapse_scan(nm_tx_t *, const nm_synapse_filter_t *, nm_synapse_cb, void *, nm_err_t *);
int nm__sq_fiber_add(nm_tx_t *, const nm_fiber_t *, nm_err_t *);
int nm__sq_fiber_get(nm_tx_t *, const char *, nm_fiber_t *, nm_err_t *);
int nm__sq_fiber_update(nm_tx_t *, const nm_fiber_t *, nm_err_t *);
int nm__sq_fiber_delete(nm_tx_t *, const char *, nm_err_t *);
int nm__sq_fiber_scan(nm_tx_t *, const nm_fiber_filter_t *, nm_fiber_cb, void *, nm_err_t *);
int nm__sq_time_spans(nm_tx_t *, int64_t, int64_t, bool, int64_t, nm_neuron_cb, void *, nm_err_t *);
int nm__sq_fiber_nearest(nm_tx_t *, int64_t, int64_t, int64_t, nm_fiber_cb, void *, nm_err_t *);
int nm__sq_fiber_search(nm_tx_t *, const nm_strv_t *, int64_t, nm_fiber_score_cb, void *, nm_err_t *);
int nm__sq_fiber_search_text(nm_tx_t *, const char *, char **, nm_err_t *);

const nm_backend_t nm__backend_sqlite = {
	.name = "sqlite",
	.evictable = true,
	.open = sq_open,
	.close = sq_close,
	.catalog_load = sq_catalog_load,
	.catalog_put = sq_catalog_put,
	.catalog_delete = sq_catalog_delete,
	.brain_init = sq_brain_init,
	.brain_open = sq_brain_open,
	.brain_close = sq_brain_close,
	.brain_destroy = sq_brain_destroy,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.write_begin = sq_write_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.set_updated_at = sq_set_updated_at,
	.neuron_add = nm__sq_neuron_add,
	.neuron_get = nm__sq_neuron_get,
	.neuron_update = nm__sq_neuron_update,
	.neuron_delete = nm__sq_neuron_delete,
	.neuron_exists = nm__sq_neuron_exists,
	.neuron_scan = nm__sq_neuron_scan,
	.state_get = nm__sq_state_get,
	.state_put = nm__sq_state_put,
	.synapse_add = nm__sq_synapse_add,
	.synapse_get = nm__sq_synapse_get,
	.synapse_update = nm__sq_synapse_update,
	.synapse_delete = nm__sq_synapse_delete,
	.synapse_scan = nm__sq_synapse_scan,
	.fiber_add = nm__sq_fiber_add,
	.fiber_get = nm__sq_fiber_get,
	.fiber_update = nm__sq_fiber_update,
	.fiber_delete = nm__sq_fiber_delete,
	.fiber_scan = nm__sq_fiber_scan,
	.typed_memory_put = nm__sq_typed_memory_put,
	.typed_memory_scan = nm__sq_typed_memory_scan,
	.typed_memory_get = nm__sq_typed_memory_get,
	.typed_memory_counts = nm__sq_typed_memory_counts,
	.project_put = nm__sq_project_put,
	.project_scan = nm__sq_project_scan,
	.meta_get = nm__sq_meta_get,
	.meta_put = nm__sq_meta_put,
	.stats = nm__sq_stats,
	.fiber_counts_since = nm__sq_fiber_counts_since,
	.size_bytes = nm__sq_size_bytes,
	.time_spans = nm__sq_time_spans,
	.fiber_nearest = nm__sq_fiber_nearest,
	.fiber_search = nm__sq_fiber_search,
	.fiber_text = nm__sq_fiber_search_text,
	.decay_scan = nm__sq_decay_scan,
	.decay_set = nm__sq_decay_set,
	.orphan_scan = nm__sq_orphan_scan,
	.fiber_cursor = nm__sq_fiber_cursor,
	.decay_clock = nm__sq_decay_clock,
	.decay_clock_set = nm__sq_decay_clock_set,
	.used_bytes = nm__sq_used_bytes,
	.bulk = sq_bulk,
	.kv_put = nm__sq_kv_put,
	.kv_get = nm__sq_kv_get,
	.kv_del = nm__sq_kv_del,
	.kv_scan = nm__sq_kv_scan,
	.backup = nm__sq_backup,
	.backup_check = nm__sq_backup_check,
	.brain_restore = sq_brain_restore,
};
