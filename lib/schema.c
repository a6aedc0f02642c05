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
 * Catalog database:
 *   1  brains
 *
 * Index choices (a protocol look-up never scans a table): neurons by id
 * (UNIQUE), type, content hash (exact match), created_at, and the trigram
 * FTS (substring); synapses by source and target neuron row; fibers by
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

int nm__sq_register_functions(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "nm_lower", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
	                                  fn_lower, NULL, NULL, NULL);
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
