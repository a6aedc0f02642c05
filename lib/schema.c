/*
 * schema.c — the SQLite schemas and their migrations.
 *
 * Each database carries its schema version in PRAGMA user_version. A
 * migration list per database holds one SQL script per version step; on
 * open, every step above the file's version runs in one transaction with
 * the version bump, so a crash mid-migration leaves the old version intact.
 * A file newer than this build is refused rather than guessed at.
 *
 * Brain database, version history:
 *   1  core tables: neurons, neuron_states, synapses, fibers with their
 *      neuron/tag/time index tables, typed memories, projects, meta
 *   2  neurons_fts: trigram index over lower(content) for substring search,
 *      back-filled from existing neurons
 *   3  the engine's look-ups: neurons.lhash (hash of nm_text_key(content))
 *      for case-insensitive exact matches; time_spans, the interval each
 *      time neuron denotes; fibers by time_start; fiber_fts, a BM25 index
 *      over each fiber's memory text; all back-filled
 *   4  lifecycle: decayed_at on neuron states and synapses (idempotent
 *      decay, ENGINE.md §6.4); kv, an ordered key → blob table holding the
 *      fiber archive (archive.c)
 *   5  synapses by (source, target) instead of source alone: the pair
 *      look-up of encode's co-occurrence links no longer walks every
 *      synapse of a hub neuron
 * Catalog database:
 *   1  brains
 *
 * Index choices (a protocol look-up never scans a table): neurons by id
 * (UNIQUE), type, content hash (exact match), created_at, and the trigram
 * FTS (substring); synapses by (source, target) and by target neuron row; fibers by
 * salience, created_at and frequency (descending, the default order, with
 * the row number breaking ties oldest first), fiber_neurons and fiber_tags
 * keyed by a 64-bit hash of the neuron id / tag (compact; candidates are
 * re-checked against the fiber itself), and an R*Tree over fiber time
 * ranges for overlap queries.
 */
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "mem.h"
#include "text.h"

static const char *const brain_steps[NM_SCHEMA_BRAIN_VERSION] = {
	/* 1 */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"INSERT INTO meta VALUES ('neurons', 0), ('synapses', 0), ('fibers', 0), ('typed_memories', 0),"
	" ('projects', 0), ('updated_at', NULL), ('snapshot_metadata', '{}');"
	"CREATE TABLE neurons (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type INTEGER NOT NULL,"
	" content TEXT NOT NULL, chash INTEGER NOT NULL, metadata TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX neurons_type ON neurons(type);"
	"CREATE INDEX neurons_chash ON neurons(chash);"
	"CREATE INDEX neurons_created ON neurons(created_at);"
	"CREATE TABLE neuron_states (seq INTEGER PRIMARY KEY, activation REAL NOT NULL,"
	" access_frequency INTEGER NOT NULL, last_activated INTEGER, decay_rate REAL NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE synapses (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source INTEGER NOT NULL,"
	" target INTEGER NOT NULL, type INTEGER NOT NULL, weight REAL NOT NULL, direction INTEGER NOT NULL,"
	" metadata TEXT NOT NULL, reinforced_count INTEGER NOT NULL, last_activated INTEGER,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX synapses_source ON synapses(source);"
	"CREATE INDEX synapses_target ON synapses(target);"
	"CREATE TABLE fibers (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, neuron_ids BLOB NOT NULL,"
	" synapse_ids BLOB NOT NULL, anchor_id TEXT NOT NULL, time_start INTEGER, time_end INTEGER,"
	" coherence REAL NOT NULL, salience REAL NOT NULL, frequency INTEGER NOT NULL, summary TEXT,"
	" tags BLOB NOT NULL, metadata TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX fibers_salience ON fibers(salience DESC);"
	"CREATE INDEX fibers_created ON fibers(created_at DESC);"
	"CREATE INDEX fibers_frequency ON fibers(frequency DESC);"
	"CREATE TABLE fiber_neurons (nhash INTEGER NOT NULL, fiber INTEGER NOT NULL,"
	" PRIMARY KEY (nhash, fiber)) WITHOUT ROWID;"
	"CREATE TABLE fiber_tags (thash INTEGER NOT NULL, fiber INTEGER NOT NULL,"
	" PRIMARY KEY (thash, fiber)) WITHOUT ROWID;"
	"CREATE VIRTUAL TABLE fiber_time USING rtree(id, t0, t1);"
	"CREATE TABLE typed_memories (seq INTEGER PRIMARY KEY, fiber_id TEXT NOT NULL UNIQUE,"
	" memory_type INTEGER NOT NULL, json TEXT NOT NULL);"
	"CREATE INDEX typed_memories_type ON typed_memories(memory_type);"
	"CREATE TABLE projects (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, json TEXT NOT NULL);",
	/* 2 */
	"CREATE VIRTUAL TABLE neurons_fts USING fts5(body, content='', tokenize='trigram case_sensitive 1');"
	"INSERT INTO neurons_fts(rowid, body) SELECT seq, nm_lower(content) FROM neurons;",
	/* 3 */
	"ALTER TABLE neurons ADD COLUMN lhash INTEGER;"
	"UPDATE neurons SET lhash = nm_key_hash(content);"
	"CREATE INDEX neurons_lhash ON neurons(lhash);"
	"CREATE TABLE time_spans (seq INTEGER PRIMARY KEY, t0 INTEGER NOT NULL, t1 INTEGER NOT NULL);"
	"INSERT INTO time_spans SELECT seq, nm_iso_us(json_extract(metadata, '$.absolute_start')),"
	" nm_iso_us(json_extract(metadata, '$.absolute_end')) FROM neurons WHERE type = 0 AND json_valid(metadata)"
	" AND nm_iso_us(json_extract(metadata, '$.absolute_start')) IS NOT NULL"
	" AND nm_iso_us(json_extract(metadata, '$.absolute_end')) IS NOT NULL;"
	"CREATE INDEX time_spans_t0 ON time_spans(t0);"
	"INSERT INTO meta VALUES ('max_time_span', (SELECT coalesce(max(t1 - t0), 0) FROM time_spans));"
	"CREATE INDEX fibers_time_start ON fibers(time_start);"
	"CREATE VIRTUAL TABLE fiber_fts USING fts5(text, tokenize='unicode61 remove_diacritics 0');"
	"INSERT INTO fiber_fts(rowid, text) SELECT f.seq, coalesce(nullif(f.summary, ''), n.content)"
	" FROM fibers f LEFT JOIN neurons n ON n.id = f.anchor_id"
	" WHERE coalesce(nullif(f.summary, ''), n.content) IS NOT NULL;",
	/* 4 */
	"ALTER TABLE neuron_states ADD COLUMN decayed_at INTEGER;"
	"ALTER TABLE synapses ADD COLUMN decayed_at INTEGER;"
	"CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;",
	/* 5 */
	"CREATE INDEX synapses_pair ON synapses(source, target);"
	"DROP INDEX synapses_source;",
};

static const char *const catalog_steps[NM_SCHEMA_CATALOG_VERSION] = {
	/* 1 */
	"CREATE TABLE brains (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
	" owner_id TEXT, is_public INTEGER NOT NULL, shared_with BLOB NOT NULL, config TEXT NOT NULL,"
	" metadata TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	" file TEXT NOT NULL);",
};

/* nm_lower(text): lower-cased copy, or NULL for NULL / invalid UTF-8. */
static void fn_lower(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	size_t n = (size_t)sqlite3_value_bytes(argv[0]), outlen = 0;
	char *low = nm_utf8_lower(s ? s : "", s ? n : 0, &outlen);
	if (!low)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, low, (int)outlen, free);
}

/* nm_key(text): nm_text_key, the case/NFC-insensitive matching key. */
static void fn_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	size_t n = 0;
	char *k = nm__sq_key((const char *)sqlite3_value_text(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), &n);
	if (!k)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, k, (int)n, free);
}

/* nm_key_hash(text): the 64-bit hash of nm_key(text), stored in lhash. */
static void fn_key_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3_result_int64(ctx, nm__sq_key_hash((const char *)sqlite3_value_text(argv[0]),
	                                          (size_t)sqlite3_value_bytes(argv[0])));
}

/* nm_id_hash(text): the 64-bit hash fiber_neurons keys neuron ids by. */
static void fn_id_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	sqlite3_result_int64(ctx, s ? (int64_t)nm_hash64(s, (size_t)sqlite3_value_bytes(argv[0])) : 0);
}

/* nm_iso_us(text): an ISO datetime as µs since the epoch, or NULL. */
static void fn_iso_us(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int64_t t;
	const char *s = (const char *)sqlite3_value_text(argv[0]);
	if (s && nm_time_parse(s, (size_t)sqlite3_value_bytes(argv[0]), &t) == 0)
		sqlite3_result_int64(ctx, t);
	else
		sqlite3_result_null(ctx);
}

int nm__sq_register_functions(sqlite3 *db)
{
	static const struct {
		const char *name;
		void (*fn)(sqlite3_context *, int, sqlite3_value **);
	} fns[] = {{"nm_lower", fn_lower}, {"nm_key", fn_key}, {"nm_key_hash", fn_key_hash}, {"nm_iso_us", fn_iso_us},
	         {"nm_id_hash", fn_id_hash}};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		int rc = sqlite3_create_function_v2(db, fns[i].name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
		                                    fns[i].fn, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

char *nm__sq_key(const char *s, size_t n, size_t *outlen)
{
	return nm_text_key(s ? s : "", s ? n : 0, outlen);
}

int64_t nm__sq_key_hash(const char *s, size_t n)
{
	size_t klen = 0;
	char *k = nm__sq_key(s, n, &klen);
	int64_t h = k ? (int64_t)nm_hash64(k, klen) : 0;
	free(k);
	return h;
}

static int migrate(sqlite3 *db, const char *what, const char *const *steps, int latest, nm_err_t *err)
{
	sqlite3_stmt *s;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > latest)
		return nm_err_set(err, NM_ST_UNAVAILABLE,
		                  "%s database has schema version %d, newer than this nmemd (%d)", what, version, latest);
	if (version == latest)
		return 0;
	char *msg = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	for (int v = version; v < latest; v++)
		if (sqlite3_exec(db, steps[v], NULL, NULL, &msg) != SQLITE_OK)
			goto fail;
	char bump[64];
	snprintf(bump, sizeof bump, "PRAGMA user_version = %d", latest);
	if (sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK || sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	nm_err_set(err, NM_ST_UNAVAILABLE, "%s database migration failed: %s", what, msg ? msg : "?");
	sqlite3_free(msg);
	return -NM_ST_UNAVAILABLE;
}

int nm__schema_catalog(sqlite3 *db, nm_err_t *err)
{
	return migrate(db, "catalog", catalog_steps, NM_SCHEMA_CATALOG_VERSION, err);
}

int nm__schema_brain(sqlite3 *db, nm_err_t *err)
{
	return migrate(db, "brain", brain_steps, NM_SCHEMA_BRAIN_VERSION, err);
}
