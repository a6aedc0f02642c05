/*
 * store_pg.h — PRIVATE to the postgres backend (store_pg*.c): the
 * connection pool, statements, parameters, transactions and the helpers
 * the per-object files share. store_pg_schema.c has the schema,
 * store_pg.c the invariants, README "Running a cluster" the guarantees.
 */
#ifndef NM_STORE_PG_H
#define NM_STORE_PG_H

#include <libpq-fe.h>

#include "internal.h"

/* Fixed statements, prepared once per connection on first use (named
 * "f<id>"). Dynamic scan variants are prepared per filter mask. */
typedef enum {
	PQ_NEURON_INSERT, PQ_NEURON_GET, PQ_NEURON_SEQ, PQ_NEURON_UPDATE, PQ_NEURON_DELETE,
	PQ_SPAN_DELETE, PQ_SPAN_PUT, PQ_SPAN_OVERLAP, PQ_SPAN_EXACT, PQ_STATE_GET, PQ_STATE_PUT,
	PQ_SYN_INSERT, PQ_SYN_GET, PQ_SYN_UPDATE, PQ_SYN_DELETE,
	PQ_FIBER_INSERT, PQ_FIBER_GET, PQ_FIBER_KEY, PQ_FIBER_UPDATE, PQ_FIBER_DELETE, PQ_FIBER_BY_SEQS,
	PQ_FN_PUT, PQ_FN_DELETE, PQ_FT_PUT, PQ_FT_DELETE, PQ_FTEXT_PUT, PQ_FTEXT_DELETE, PQ_FTEXT_GET,
	PQ_FTERM_PUT, PQ_FTERM_DELETE, PQ_ANCHOR_TEXT, PQ_FSEARCH, PQ_NEAR_BEFORE, PQ_NEAR_AFTER, PQ_FIBER_CURSOR,
	PQ_TM_PUT, PQ_TM_SCAN, PQ_TM_GET, PQ_TM_COUNTS, PQ_PROJ_PUT, PQ_PROJ_SCAN,
	PQ_META_GET, PQ_META_PUT, PQ_STATS, PQ_COUNTS_SINCE,
	PQ_DECAY_SCAN_N, PQ_DECAY_SCAN_S, PQ_DECAY_SET_N, PQ_DECAY_SET_S, PQ_ORPHAN_SCAN,
	PQ_CLOCK_N, PQ_CLOCK_S, PQ_CLOCK_SET_N, PQ_CLOCK_SET_S,
	PQ_KV_PUT, PQ_KV_GET, PQ_KV_DEL, PQ_KV_SCAN,
	PQ_COMMIT_STATE, PQ_GEN, PQ_CHANGES, PQ_USED_BYTES, PQ_PF_NEURONS, PQ_PF_SYNAPSES, PQ_PF_FIBERS, PQ_RF_NEURONS, PQ_RF_SYNAPSES, PQ_RF_FIBERS,
	PQ__COUNT
} pq_id_t;

#define PQ_NSCAN_VARIANTS 64
/* Rows per page of an unbounded scan (store_pg_neuron.c, _fiber.c). */
#define NM_PG_PAGE 1000
#define NM_PG_PAGE_STR "1000"
#define PQ_SSCAN_VARIANTS 64
#define PQ_FSCAN_VARIANTS 128

/* One connection and the statements prepared on it. Used by one thread at
 * a time: whoever took it from its pool. */
typedef struct pconn {
	PGconn *pg;
	bool prepared[PQ__COUNT];
	bool nscan[PQ_NSCAN_VARIANTS], sscan[PQ_SSCAN_VARIANTS], fscan[PQ_FSCAN_VARIANTS];
	struct pconn *next_free;
} pconn_t;

/* A bounded pool of connections to one server. */
typedef struct ppool {
	char *url;
	char *sync_commit;               /* SET synchronous_commit on each connection (NULL = server default) */
	int max, n;                      /* connections allowed, created */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pconn_t *free;
} ppool_t;

/* The backend's store state. */
typedef struct pstore {
	ppool_t primary;
	ppool_t replica;                 /* url NULL: reads use the primary */
} pstore_t;

/* A brain's open storage: its key in every table. */
typedef struct pbrain {
	pstore_t *ps;
	int32_t b;
} pbrain_t;

/* Counters a write transaction changes, flushed to nm_bstate at commit
 * (one statement instead of one per object). */
typedef struct pdelta {
	int64_t neurons, synapses, fibers, typed_memories, projects, doc_rows, doc_tokens;
	int64_t max_span;                /* largest time span written (0 = none) */
	int64_t updated_at;              /* NM_TIME_NONE = unchanged */
} pdelta_t;

typedef struct ptx {
	nm_tx_t base;
	pbrain_t *pb;
	ppool_t *pool;                   /* where c goes back */
	pconn_t *c;
	pdelta_t d, saved;               /* saved: at the open savepoint */
	uint64_t gen;                    /* write: the brain's generation when the lock was taken */
	/* Neuron row numbers looked up or written by this transaction (id →
	 * seq, -1 = absent). Coherent for the whole transaction: a read
	 * transaction sees one snapshot, and a write transaction holds the
	 * brain's lock, so only its own writes change the rows (they update
	 * the map; a savepoint rollback empties it). Keys live in seq_keys. */
	nm_hmap_t seqs;
	nm_strv_t seq_keys;
	/* Objects fetched together for a change-log replay (backend prefetch),
	 * by kind (PF_NEURONS …): id → owned object; a kind fetched (has) and
	 * an id missing from its map means the object does not exist. */
	bool has[3];
	nm_hmap_t fetched[3];
} ptx_t;

enum { PF_NEURONS, PF_SYNAPSES, PF_FIBERS };
/* A prefetched fiber and its search text (NULL: not searchable). */
typedef struct pfiber {
	nm_fiber_t f;
	char *text;
} pfiber_t;

#define PT(tx) ((ptx_t *)(tx))
#define PB(tx) (PT(tx)->pb->b)

/* ---- parameters: text values, bytea in binary ---- */
#define PG_MAXP 16
typedef struct pgp {
	int n;
	const char *v[PG_MAXP];
	int len[PG_MAXP], fmt[PG_MAXP];
	char num[PG_MAXP][32];
	char *owned[PG_MAXP];            /* freed by pgp_free */
} pgp_t;

void pgp_int(pgp_t *p, int64_t v);
void pgp_dbl(pgp_t *p, double v);
void pgp_time(pgp_t *p, int64_t t);               /* NM_TIME_NONE → NULL */
void pgp_text(pgp_t *p, const char *s);           /* NULL → NULL */
void pgp_bin(pgp_t *p, const void *data, size_t n);
void pgp_strv(pgp_t *p, const nm_strv_t *v);        /* packed (nm_strv_pack) as bytea */
void pgp_take(pgp_t *p, char *s);                 /* text, freed with the parameters */
/* A text[] literal of n strings (a parameter). */
void pgp_text_array(pgp_t *p, char *const *v, size_t n);
/* An int8[] literal of n values (a parameter). */
void pgp_int_array(pgp_t *p, const int64_t *v, size_t n);
void pgp_free(pgp_t *p);

/* ---- statements ---- */

/* Run fixed statement id with p (freed); the result (PGRES_TUPLES_OK or
 * COMMAND_OK) or NULL with err set. Constraint violations map to 409. */
PGresult *nm__pg_run(pconn_t *c, pq_id_t id, pgp_t *p, nm_err_t *err);
/* The same for a statement variant: sql prepared as `name` on first use,
 * remembered in *prepared. */
PGresult *nm__pg_run_dyn(pconn_t *c, bool *prepared, const char *name, const char *sql, pgp_t *p, nm_err_t *err);
/* Run fixed statement id and discard the result; the affected rows count
 * (≥ 0) or a negative status. */
int64_t nm__pg_exec(pconn_t *c, pq_id_t id, pgp_t *p, nm_err_t *err);
/* A failed connection or statement as an nm_err_t (503 when the server is
 * unreachable or the transaction cannot go on, 409 for a constraint, 500
 * otherwise); returns the negative status. */
int nm__pg_fail(pconn_t *c, const PGresult *r, nm_err_t *err);

/* A simple-protocol statement (may be several; no parameters): 0, with
 * the last result in *out when out is not NULL, or a negative status. */
int nm__pg_simple(pconn_t *c, const char *sql, PGresult **out, nm_err_t *err);

/* ---- pools (store_pg_conn.c) ---- */
void nm__pg_pool_init(ppool_t *pool, const char *url, const char *sync_commit, int max);
void nm__pg_pool_free(ppool_t *pool);
/* A connection of the pool (waits while all are in use), or NULL with
 * err (503) when the server cannot be reached. */
pconn_t *nm__pg_take(ppool_t *pool, nm_err_t *err);
void nm__pg_give(ppool_t *pool, pconn_t *c);
/* Reconnect a connection whose session was lost (the server restarted,
 * or failed over): true when it is usable again. */
bool nm__pg_reset(const ppool_t *pool, pconn_t *c, nm_err_t *err);

/* ---- result columns ---- */
int64_t nm__pg_i64(const PGresult *r, int row, int col);
double nm__pg_dbl(const PGresult *r, int row, int col);
int64_t nm__pg_time(const PGresult *r, int row, int col);   /* NULL → NM_TIME_NONE */
const char *nm__pg_str(const PGresult *r, int row, int col); /* NULL → NULL */
/* A bytea column (hex output) decoded into an owned, NUL-terminated copy. */
char *nm__pg_bytea(const PGresult *r, int row, int col, size_t *len);
/* A bytea column holding a packed list (pgp_strv), appended to out. */
void nm__pg_strv(const PGresult *r, int row, int col, nm_strv_t *out);

/* Neuron row number by id (0 when absent, < 0 on error), remembered for
 * the transaction; note one (seq 0: absent) or forget them all. */
int64_t nm__pg_neuron_seq(nm_tx_t *tx, const char *id, nm_err_t *err);
void nm__pg_seq_note(nm_tx_t *tx, const char *id, int64_t seq);
void nm__pg_seq_forget(nm_tx_t *tx);
/* Keep a fiber's search text, its terms and the document counters in step
 * (store.h nm_tx_fiber_search); replace: remove the old text first. */
int nm__pg_fiber_text(nm_tx_t *tx, int64_t seq, const nm_fiber_t *f, bool replace, nm_err_t *err);

/* Change-log replays (backend prefetch): fetch the objects of kind (PF_*)
 * named in ids (n) into the transaction's fetched map; free them all. */
void nm__pg_prefetch(nm_tx_t *tx, const nm_gx_log_t *log);
void nm__pg_fetch_neurons(nm_tx_t *tx, char *const *ids, size_t n);
void nm__pg_fetch_synapses(nm_tx_t *tx, char *const *ids, size_t n);
void nm__pg_fetch_fibers(nm_tx_t *tx, char *const *ids, size_t n);
void nm__pg_fetched_free(nm_tx_t *tx);
/* Rows of prefetch statement which for ids (a text[]), or NULL: that
 * kind is then read object by object as usual. */
PGresult *nm__pg_fetch_rows(nm_tx_t *tx, pq_id_t which, char *const *ids, size_t n);
/* The prefetched object of kind for id: 1 with *obj, 0 when it does not
 * exist, -1 when the kind was not prefetched (ask storage). */
int nm__pg_fetched(nm_tx_t *tx, int kind, const char *id, void **obj);

/* Schema (store_pg_schema.c): create or migrate; refuse a newer one. */
#define NM_PG_SCHEMA_VERSION 1
int nm__pg_schema(PGconn *pg, nm_err_t *err);

/* Per-object operations (store_pg_neuron.c, _fiber.c, _meta.c). */
int nm__pg_neuron_add(nm_tx_t *, const nm_neuron_t *, nm_err_t *);
int nm__pg_neuron_get(nm_tx_t *, const char *, nm_neuron_t *, nm_err_t *);
int nm__pg_neuron_update(nm_tx_t *, const nm_neuron_t *, nm_err_t *);
int nm__pg_neuron_delete(nm_tx_t *, const char *, nm_err_t *);
int nm__pg_neuron_exists(nm_tx_t *, const char *, nm_err_t *);
int nm__pg_neuron_scan(nm_tx_t *, const nm_neuron_filter_t *, nm_neuron_cb, void *, nm_err_t *);
int nm__pg_state_get(nm_tx_t *, const char *, nm_state_t *, nm_err_t *);
int nm__pg_state_put(nm_tx_t *, const nm_state_t *, nm_err_t *);
int nm__pg_time_spans(nm_tx_t *, int64_t, int64_t, bool, int64_t, nm_neuron_cb, void *, nm_err_t *);
int nm__pg_synapse_add(nm_tx_t *, const nm_synapse_t *, nm_err_t *);
int nm__pg_synapse_get(nm_tx_t *, const char *, nm_synapse_t *, nm_err_t *);
int nm__pg_synapse_update(nm_tx_t *, const nm_synapse_t *, nm_err_t *);
int nm__pg_synapse_delete(nm_tx_t *, const char *, nm_err_t *);
int nm__pg_synapse_scan(nm_tx_t *, const nm_synapse_filter_t *, nm_synapse_cb, void *, nm_err_t *);
int nm__pg_fiber_add(nm_tx_t *, const nm_fiber_t *, nm_err_t *);
int nm__pg_fiber_get(nm_tx_t *, const char *, nm_fiber_t *, nm_err_t *);
int nm__pg_fiber_update(nm_tx_t *, const nm_fiber_t *, nm_err_t *);
int nm__pg_fiber_delete(nm_tx_t *, const char *, nm_err_t *);
int nm__pg_fiber_scan(nm_tx_t *, const nm_fiber_filter_t *, nm_fiber_cb, void *, nm_err_t *);
int nm__pg_fiber_nearest(nm_tx_t *, int64_t, int64_t, int64_t, nm_fiber_cb, void *, nm_err_t *);
int nm__pg_fiber_search(nm_tx_t *, const nm_strv_t *, int64_t, nm_fiber_score_cb, void *, nm_err_t *);
int nm__pg_fiber_search_text(nm_tx_t *, const char *, char **, nm_err_t *);
int nm__pg_fiber_cursor(nm_tx_t *, int64_t, int64_t, nm_fiber_seq_cb, void *, nm_err_t *);
int nm__pg_typed_memory_put(nm_tx_t *, const char *, nm_memory_type_t, const char *, nm_err_t *);
int nm__pg_typed_memory_scan(nm_tx_t *, nm_blob_cb, void *, nm_err_t *);
int nm__pg_typed_memory_get(nm_tx_t *, const char *, char **, nm_err_t *);
int nm__pg_typed_memory_counts(nm_tx_t *, int64_t *, nm_err_t *);
int nm__pg_project_put(nm_tx_t *, const char *, const char *, nm_err_t *);
int nm__pg_project_scan(nm_tx_t *, nm_blob_cb, void *, nm_err_t *);
int nm__pg_meta_get(nm_tx_t *, char **, nm_err_t *);
int nm__pg_meta_put(nm_tx_t *, const char *, nm_err_t *);
int nm__pg_stats(nm_tx_t *, nm_stats_t *, nm_err_t *);
int nm__pg_fiber_counts_since(nm_tx_t *, const int64_t *, int64_t *, int, nm_err_t *);
int nm__pg_decay_scan(nm_tx_t *, nm_decay_kind_t, int64_t, int64_t, nm_decay_cb, void *, nm_err_t *);
int nm__pg_decay_set(nm_tx_t *, nm_decay_kind_t, int64_t, double, int64_t, nm_err_t *);
int nm__pg_orphan_scan(nm_tx_t *, int64_t, int64_t, nm_orphan_cb, void *, nm_err_t *);
int nm__pg_decay_clock(nm_tx_t *, nm_decay_kind_t, const char *, int64_t *, nm_err_t *);
int nm__pg_decay_clock_set(nm_tx_t *, nm_decay_kind_t, const char *, int64_t, nm_err_t *);
int nm__pg_kv_put(nm_tx_t *, const char *, const void *, size_t, nm_err_t *);
int nm__pg_kv_get(nm_tx_t *, const char *, char **, size_t *, nm_err_t *);
int nm__pg_kv_del(nm_tx_t *, const char *, nm_err_t *);
int nm__pg_kv_scan(nm_tx_t *, const char *, const char *, nm_kv_cb, void *, nm_err_t *);

#endif
