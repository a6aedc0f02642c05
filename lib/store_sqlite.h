/*
 * store_sqlite.h — PRIVATE to the sqlite backend (store_sqlite*.c,
 * schema.c): connections with their statement caches, transactions, and
 * the helpers the per-object files share.
 */
#ifndef NM_STORE_SQLITE_H
#define NM_STORE_SQLITE_H

#include <sqlite3.h>

#include "internal.h"

/* Fixed statements, prepared once per connection on first use. */
typedef enum {
	SQ_BEGIN_READ, SQ_BEGIN_WRITE, SQ_COMMIT, SQ_ROLLBACK, SQ_SAVEPOINT, SQ_RELEASE, SQ_ROLLBACK_TO,
	SQ_COUNTER_ADD, SQ_META_GET, SQ_META_PUT,
	SQ_NEURON_INSERT, SQ_NEURON_GET, SQ_NEURON_SEQ, SQ_NEURON_UPDATE, SQ_NEURON_DELETE,
	SQ_STATE_INSERT, SQ_STATE_GET, SQ_STATE_PUT, SQ_STATE_DELETE,
	SQ_FTS_INSERT, SQ_FTS_DELETE, SQ_SPAN_PUT, SQ_SPAN_DELETE, SQ_SPAN_MAX, SQ_SPAN_OVERLAP, SQ_SPAN_EXACT,
	SQ_FFTS_INSERT, SQ_FFTS_DELETE, SQ_ANCHOR_TEXT, SQ_FFTS_TEXT,
	SQ_SYN_INSERT, SQ_SYN_GET, SQ_SYN_UPDATE, SQ_SYN_UPDATE_BODY, SQ_SYN_DELETE, SQ_SYN_DELETE_TOUCHING,
	SQ_FIBER_INSERT, SQ_FIBER_GET, SQ_FIBER_SEQ, SQ_FIBER_UPDATE, SQ_FIBER_DELETE,
	SQ_FN_INSERT, SQ_FN_DELETE, SQ_FT_INSERT, SQ_FT_DELETE, SQ_FTIME_INSERT, SQ_FTIME_DELETE,
	SQ_TM_UPDATE, SQ_TM_INSERT, SQ_TM_DELETE, SQ_TM_SCAN, SQ_TM_COUNTS, SQ_PROJ_UPDATE, SQ_PROJ_INSERT,
	SQ_PROJ_SCAN,
	SQ_DECAY_SCAN_N, SQ_DECAY_SCAN_S, SQ_DECAY_SET_N, SQ_DECAY_SET_S, SQ_ORPHAN_SCAN,
	SQ_KV_PUT, SQ_KV_GET, SQ_KV_DEL, SQ_KV_SCAN, SQ_FIBER_CURSOR, SQ_CLOCK_N, SQ_CLOCK_S, SQ_CLOCK_SET_N,
	SQ_CLOCK_SET_S, SQ_TM_GET,
	SQ__COUNT
} sq_id_t;

#define SQ_NEURON_SCAN_VARIANTS 128  /* bit mask of neuron filters */
#define SQ_SYN_SCAN_VARIANTS 64
#define SQ_FIBER_SCAN_VARIANTS 256   /* filters × order × direction */

/* One SQLite connection and its prepared statements. Used by one thread
 * at a time: the brain's writer, or the reader that took it from the pool. */
typedef struct sconn {
	sqlite3 *db;
	sqlite3_stmt *st[SQ__COUNT];
	sqlite3_stmt *nscan[SQ_NEURON_SCAN_VARIANTS];
	sqlite3_stmt *sscan[SQ_SYN_SCAN_VARIANTS];
	sqlite3_stmt *fscan[SQ_FIBER_SCAN_VARIANTS];
	struct sconn *next_free;
	bool disk_full;          /* a statement failed with SQLITE_FULL: checkpoint before the next write */
} sconn_t;

/* An open brain: the writer connection and a pool of readers. */
typedef struct sbrain {
	char *path;
	const nm_store_opts_t *opts;     /* borrowed from the store */
	sconn_t *writer;                 /* used only inside the write transaction */
	pthread_mutex_t mu;              /* guards free_readers, nreaders */
	pthread_cond_t cv;
	sconn_t *free_readers;
	int nreaders;                    /* connections created */
} sbrain_t;

typedef struct stx {
	nm_tx_t base;
	sbrain_t *sb;
	sconn_t *c;
	bool bulk;                       /* nm_tx_bulk: mmap off until read_end */
} stx_t;

#define SC(tx) (((stx_t *)(tx))->c)

/* A cached statement, reset and with bindings cleared. NULL after an error
 * (err filled). */
sqlite3_stmt *nm__sq(sconn_t *c, sq_id_t id, nm_err_t *err);
/* A statement compiled from sql into *slot on first use. */
sqlite3_stmt *nm__sq_dyn(sconn_t *c, sqlite3_stmt **slot, const char *sql, nm_err_t *err);
/* Map an SQLite result code to an nm_err_t (503 for I/O and busy, 500
 * otherwise); returns the negative status. */
int nm__sq_fail(sconn_t *c, int rc, nm_err_t *err);
/* Step every row of s through row(s, arg) (a nonzero return stops and is
 * returned); resets s and clears its bindings. */
int nm__sq_each(sconn_t *c, sqlite3_stmt *s, int (*row)(sqlite3_stmt *s, void *arg), void *arg, nm_err_t *err);
/* Step a statement that returns no rows; resets it. */
int nm__sq_exec(sconn_t *c, sqlite3_stmt *s, nm_err_t *err);
/* Add delta to one of the meta counters ("neurons", "synapses", …). */
int nm__sq_counter(sconn_t *c, const char *name, int64_t delta, nm_err_t *err);

/* Bind helpers: NM_TIME_NONE and NULL strings bind SQL NULL. */
void nm__bind_time(sqlite3_stmt *s, int i, int64_t t);
void nm__bind_text(sqlite3_stmt *s, int i, const char *v);
void nm__bind_blob(sqlite3_stmt *s, int i, const char *p, size_t n);
int64_t nm__col_time(sqlite3_stmt *s, int i);

/* Keep fiber_fts in step with fiber row `seq` (text: summary, else the
 * anchor's content); remove first when replacing. */
int nm__sq_fiber_text(sconn_t *c, int64_t seq, const nm_fiber_t *f, bool replace, nm_err_t *err);

/* Look up a neuron's row number; 0 when absent, < 0 on error. */
int64_t nm__sq_neuron_seq(sconn_t *c, const char *id, nm_err_t *err);

/* Lifecycle and kv operations (store_sqlite_lifecycle.c). */
int nm__sq_decay_scan(nm_tx_t *, nm_decay_kind_t, int64_t, int64_t, nm_decay_cb, void *, nm_err_t *);
int nm__sq_decay_set(nm_tx_t *, nm_decay_kind_t, int64_t, double, int64_t, nm_err_t *);
int nm__sq_orphan_scan(nm_tx_t *, int64_t, int64_t, nm_orphan_cb, void *, nm_err_t *);
int nm__sq_fiber_cursor(nm_tx_t *, int64_t, int64_t, nm_fiber_seq_cb, void *, nm_err_t *);
int nm__sq_decay_clock(nm_tx_t *, nm_decay_kind_t, const char *, int64_t *, nm_err_t *);
int nm__sq_decay_clock_set(nm_tx_t *, nm_decay_kind_t, const char *, int64_t, nm_err_t *);
int64_t nm__sq_used_bytes(nm_tx_t *);
int nm__sq_typed_memory_get(nm_tx_t *, const char *, char **, nm_err_t *);
int nm__sq_kv_put(nm_tx_t *, const char *, const void *, size_t, nm_err_t *);
int nm__sq_kv_get(nm_tx_t *, const char *, char **, size_t *, nm_err_t *);
int nm__sq_kv_del(nm_tx_t *, const char *, nm_err_t *);
int nm__sq_kv_scan(nm_tx_t *, const char *, const char *, nm_kv_cb, void *, nm_err_t *);

/* Online backup and backup files (store_sqlite_backup.c). */
int nm__sq_backup(nm_tx_t *, const char *, const char *, const nm_progress_t *, int64_t *, nm_err_t *);
int nm__sq_backup_check(const char *, char **, nm_err_t *);

/* Schema (schema.c): bring a database up to the current version. */
int nm__schema_catalog(sqlite3 *db, nm_err_t *err);
int nm__schema_brain(sqlite3 *db, nm_err_t *err);
/* Versions, exposed for tests of the migration path. */
#define NM_SCHEMA_BRAIN_VERSION 5
#define NM_SCHEMA_CATALOG_VERSION 1
/* Register the SQL functions nm_lower(), nm_key(), nm_key_hash(),
 * nm_iso_us(), nm_id_hash() on a connection. */
int nm__sq_register_functions(sqlite3 *db);
/* The matching key of a text and its stored hash (schema v3 lhash). */
char *nm__sq_key(const char *s, size_t n, size_t *outlen);
int64_t nm__sq_key_hash(const char *s, size_t n);

#endif
