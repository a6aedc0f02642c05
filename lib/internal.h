/*
 * internal.h — PRIVATE to lib/: the backend function table and the parts of
 * the store and brain handle that backends and store.c share. Nothing
 * outside lib/ includes this file.
 */
#ifndef NM_INTERNAL_H
#define NM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "hmap.h"
#include "store.h"

typedef struct nm_backend nm_backend_t;
typedef struct nm_gindex nm_gindex_t;
typedef struct nm_gx_log nm_gx_log_t;

/* Every backend transaction embeds this as its first member. */
struct nm_tx {
	const nm_backend_t *be;
	nm_brain_t *brain;
	bool write;
	int64_t rows;               /* objects changed since the last savepoint */
	nm_gx_log_t *gx_log;        /* write transactions: what changed, for the graph index (gindex.h) */
	uint64_t cluster_gen;       /* cluster backends' write transactions: the brain's generation when it began */
};

/*
 * The backend function table. `bs` is the backend's store state (one per
 * nm_store_t), `bd` a brain's open storage. Data operations get the tx the
 * backend created in read_begin/write_begin. Return conventions are those
 * of store.h. Thread rules: catalog_* calls are serialised by the store's
 * catalog mutex; brain_open/brain_close by the brain's mutex; one write
 * transaction per brain at a time (the group-commit writer); read
 * transactions run concurrently with each other and with the writer.
 */
struct nm_backend {
	const char *name;
	bool evictable;             /* brains may be closed and reopened (persistent) */
	/* Shared by several nmemd processes (postgres): other nodes write too.
	 * Such a backend numbers each brain's commits (its generation: the
	 * write transaction's cluster_gen + 1 after commit) and provides gen,
	 * changes, catalog_get and read_begin_at (brain.c nm_brain_sync). */
	bool cluster;

	int (*open)(const nm_store_opts_t *o, void **bs, nm_err_t *err);
	void (*close)(void *bs);
	/* Calls cb with each stored brain record (taken: cb owns it). */
	int (*catalog_load)(void *bs, int (*cb)(void *arg, nm_brain_rec_t *rec), void *arg, nm_err_t *err);
	/* prev NULL: create; else update the record whose updated_at is *prev
	 * (cluster backends refuse the update, 409, when another node changed
	 * it since; the others may ignore prev) */
	int (*catalog_put)(void *bs, const nm_brain_rec_t *rec, const int64_t *prev, nm_err_t *err);
	/* cluster: one stored record (1, *out filled), 0 when there is none */
	int (*catalog_get)(void *bs, const char *id, nm_brain_rec_t *out, nm_err_t *err);
	int (*catalog_delete)(void *bs, const nm_brain_rec_t *rec, nm_err_t *err);

	int (*brain_init)(void *bs, const nm_brain_rec_t *rec, nm_err_t *err);
	int (*brain_open)(void *bs, const nm_brain_rec_t *rec, void **bd, nm_err_t *err);
	void (*brain_close)(void *bd);
	void (*brain_destroy)(void *bs, const nm_brain_rec_t *rec);

	int (*read_begin)(void *bd, nm_tx_t **tx, nm_err_t *err);
	/* cluster: a read transaction that sees at least generation need */
	int (*read_begin_at)(void *bd, uint64_t need, nm_tx_t **tx, nm_err_t *err);
	void (*read_end)(nm_tx_t *tx);
	int (*write_begin)(void *bd, nm_tx_t **tx, nm_err_t *err);
	int (*commit)(nm_tx_t *tx, nm_err_t *err);
	void (*rollback)(nm_tx_t *tx);
	int (*savepoint)(nm_tx_t *tx, nm_err_t *err);
	int (*release)(nm_tx_t *tx, nm_err_t *err);
	void (*rollback_to)(nm_tx_t *tx);
	/* cluster: the brain's committed generation now; the change logs of
	 * generations (after, upto] appended to log (1 when some are no
	 * longer kept: the caller rebuilds instead), read in tx. */
	int (*gen)(void *bd, uint64_t *gen, nm_err_t *err);
	int (*changes)(nm_tx_t *tx, uint64_t after, uint64_t upto, nm_gx_log_t *log, nm_err_t *err);
	/* Record the contents' last-change time (written before commit). */
	int (*set_updated_at)(nm_tx_t *tx, int64_t t, nm_err_t *err);

	int (*neuron_add)(nm_tx_t *, const nm_neuron_t *, nm_err_t *);
	int (*neuron_get)(nm_tx_t *, const char *, nm_neuron_t *, nm_err_t *);
	int (*neuron_update)(nm_tx_t *, const nm_neuron_t *, nm_err_t *);
	int (*neuron_delete)(nm_tx_t *, const char *, nm_err_t *);
	int (*neuron_exists)(nm_tx_t *, const char *, nm_err_t *);
	int (*neuron_scan)(nm_tx_t *, const nm_neuron_filter_t *, nm_neuron_cb, void *, nm_err_t *);
	int (*state_get)(nm_tx_t *, const char *, nm_state_t *, nm_err_t *);
	int (*state_put)(nm_tx_t *, const nm_state_t *, nm_err_t *);
	int (*synapse_add)(nm_tx_t *, const nm_synapse_t *, nm_err_t *);
	int (*synapse_get)(nm_tx_t *, const char *, nm_synapse_t *, nm_err_t *);
	int (*synapse_update)(nm_tx_t *, const nm_synapse_t *, nm_err_t *);
	int (*synapse_delete)(nm_tx_t *, const char *, nm_err_t *);
	int (*synapse_scan)(nm_tx_t *, const nm_synapse_filter_t *, nm_synapse_cb, void *, nm_err_t *);
	int (*fiber_add)(nm_tx_t *, const nm_fiber_t *, nm_err_t *);
	int (*fiber_get)(nm_tx_t *, const char *, nm_fiber_t *, nm_err_t *);
	int (*fiber_update)(nm_tx_t *, const nm_fiber_t *, nm_err_t *);
	int (*fiber_delete)(nm_tx_t *, const char *, nm_err_t *);
	int (*fiber_scan)(nm_tx_t *, const nm_fiber_filter_t *, nm_fiber_cb, void *, nm_err_t *);
	int (*typed_memory_put)(nm_tx_t *, const char *, nm_memory_type_t, const char *, nm_err_t *);
	int (*typed_memory_scan)(nm_tx_t *, nm_blob_cb, void *, nm_err_t *);
	int (*typed_memory_get)(nm_tx_t *, const char *, char **, nm_err_t *);
	int (*typed_memory_counts)(nm_tx_t *, int64_t *, nm_err_t *);
	int (*project_put)(nm_tx_t *, const char *, const char *, nm_err_t *);
	int (*project_scan)(nm_tx_t *, nm_blob_cb, void *, nm_err_t *);
	int (*meta_get)(nm_tx_t *, char **, nm_err_t *);
	int (*meta_put)(nm_tx_t *, const char *, nm_err_t *);
	int (*stats)(nm_tx_t *, nm_stats_t *, nm_err_t *);
	int (*fiber_counts_since)(nm_tx_t *, const int64_t *, int64_t *, int, nm_err_t *);
	int (*time_spans)(nm_tx_t *, int64_t, int64_t, bool, int64_t, nm_neuron_cb, void *, nm_err_t *);
	int (*fiber_nearest)(nm_tx_t *, int64_t, int64_t, int64_t, nm_fiber_cb, void *, nm_err_t *);
	int (*fiber_search)(nm_tx_t *, const nm_strv_t *, int64_t, nm_fiber_score_cb, void *, nm_err_t *);
	int (*fiber_text)(nm_tx_t *, const char *, char **, nm_err_t *);
	int64_t (*size_bytes)(nm_tx_t *);
	/* lifecycle (store.h "lifecycle") */
	int (*decay_scan)(nm_tx_t *, nm_decay_kind_t, int64_t, int64_t, nm_decay_cb, void *, nm_err_t *);
	int (*decay_set)(nm_tx_t *, nm_decay_kind_t, int64_t, double, int64_t, nm_err_t *);
	int (*orphan_scan)(nm_tx_t *, int64_t, int64_t, nm_orphan_cb, void *, nm_err_t *);
	int (*fiber_cursor)(nm_tx_t *, int64_t, int64_t, nm_fiber_seq_cb, void *, nm_err_t *);
	int (*decay_clock)(nm_tx_t *, nm_decay_kind_t, const char *, int64_t *, nm_err_t *);
	int (*decay_clock_set)(nm_tx_t *, nm_decay_kind_t, const char *, int64_t, nm_err_t *);
	int64_t (*used_bytes)(nm_tx_t *);
	void (*bulk)(nm_tx_t *);          /* may be NULL */
	int (*kv_put)(nm_tx_t *, const char *, const void *, size_t, nm_err_t *);
	int (*kv_get)(nm_tx_t *, const char *, char **, size_t *, nm_err_t *);
	int (*kv_del)(nm_tx_t *, const char *, nm_err_t *);
	int (*kv_scan)(nm_tx_t *, const char *, const char *, nm_kv_cb, void *, nm_err_t *);
	/* May be NULL. The objects of a change log (gindex.h) are about to be
	 * read one by one in read tx: fetch them together. The gets that
	 * follow answer from what was fetched (absent ones 404). */
	void (*prefetch)(nm_tx_t *, const nm_gx_log_t *);
	/* May be NULL. nm_tx_reinforce in a few set-based statements; *rows:
	 * the objects changed. */
	int (*reinforce)(nm_tx_t *, char *const *neurons, size_t nn, char *const *synapses, size_t ns,
	                 const nm_strv_t *fibers, double delta, int64_t now, int64_t *rows, nm_err_t *);
	/* Backup (NULL: the backend keeps no files). backup: copy the snapshot
	 * of read tx to file dest with the brain record (JSON) inside, *bytes
	 * its size; backup_check: is file a restorable backup, and its record
	 * (owned, or NULL); brain_restore: replace the (closed) brain's storage
	 * with file. */
	int (*backup)(nm_tx_t *, const char *, const char *, const nm_progress_t *, int64_t *, nm_err_t *);
	int (*backup_check)(const char *, char **, nm_err_t *);
	int (*brain_restore)(void *, const nm_brain_rec_t *, const char *, nm_err_t *);
};

/*
 * The brain handle (store.h's nm_brain_t). Fields say which lock guards
 * them; "immutable" ones are set before the handle is shared.
 *
 * States: creating (in map, !ready) → ready (lookups find it) → unlinked
 * (deleted: gone from registry) → dead (no new users) → freed (refs 0).
 * Storage: closed (bd NULL) ⇄ open, opened by nm__brain_use on demand and
 * closed by nm__brain_close_idle (LRU) or when the handle is freed.
 */
struct nm_brain {
	nm_store_t *st;                   /* immutable */
	char *id;                         /* immutable copy of rec.id: the registry's map key */
	atomic_int refs;                  /* registry 1 + each holder */
	pthread_mutex_t mu;               /* guards rec, dead, bd, users, stats* */
	nm_brain_rec_t rec;               /* current record; replaced whole on update */
	bool dead;
	void *bd;                         /* backend storage, NULL when closed */
	int users;                        /* transactions using bd now */
	nm_stats_t stats;                 /* cache, valid when stats_valid */
	bool stats_valid;
	uint64_t stats_gen;               /* bumped by every commit */
	/* bumped by every commit after the graph index has it, before any
	 * acknowledgement: the query cache's generation (qcache.h) */
	_Atomic uint64_t content_gen;
	nm_qcache_t *qc;                  /* immutable pointer; NULL = no cache */
	/* guarded by st->mu */
	bool ready, unlinked, in_lru;
	nm_brain_t *prev, *next;          /* creation order */
	nm_brain_t *lru_prev, *lru_next;
	/* the write queue (group commit), guarded by wq_mu */
	pthread_mutex_t wq_mu;
	nm_write_t *wq_head, *wq_tail;
	bool writer_active;               /* a thread is draining the queue */
	int own_waiters;                  /* threads waiting in nm_brain_write_own */
	pthread_cond_t wq_cv;             /* signalled when the writer role is free */
	atomic_llong test_ids;            /* NMEMD_TEST_IDS=counter: the last id handed out */
	/* the graph index (gindex.c); gx_lock guards gx */
	pthread_rwlock_t gx_lock;
	nm_gindex_t *gx;
	atomic_llong gx_used;             /* last query that used it (µs), for LRU eviction */
	/* cluster backends (brain.c nm_brain_sync): sync_mu orders the
	 * replays of other nodes' commits with this node's own commits */
	pthread_mutex_t sync_mu;
	uint64_t seen_gen;                /* guarded by sync_mu: the generation index, cache and stats reflect */
	_Atomic uint64_t known_gen;       /* highest generation known committed: reads must see it */
};

/* store.c internals used by brain.c */
const nm_backend_t *nm__store_backend(nm_store_t *st, void **bs);
void nm__store_count_commit(nm_store_t *st, int64_t rows);
/* cluster: a catch-up with other nodes' commits (nm_store_counters_t) */
void nm__store_count_catchup(nm_store_t *st, uint64_t commits, bool rebuilt);
void nm__store_open_delta(nm_store_t *st, int delta);
void nm__lru_unlink(nm_store_t *st, nm_brain_t *b);   /* st->mu held */
void nm__lru_touch(nm_store_t *st, nm_brain_t *b);
void nm__lru_closed(nm_store_t *st, nm_brain_t *b);
/* brain.c internals used by store.c */
void nm__brain_close_idle(nm_brain_t *b);
/* The graph index budget (store.c): the budget in bytes (0 = no index),
 * accounting, and eviction of least recently used indexes (all but keep)
 * until the total fits. */
int64_t nm__store_graph_budget(nm_store_t *st);
void nm__store_graph_bytes(nm_store_t *st, int64_t delta);
void nm__store_graph_make_room(nm_store_t *st, nm_brain_t *keep);

/* A time neuron's denoted interval, from its metadata JSON text
 * (absolute_start / absolute_end); false when it has none. */
bool nm__time_span(const char *metadata, int64_t *t0, int64_t *t1);

/* BM25 as SQLite FTS5's bm25() computes it, for code that ranks in C:
 * a phrase's idf from the searchable documents and those containing it
 * (floored at 1e-6), and its part of a document's score from its
 * instances in the document (tf), the document's length in tokens and the
 * average length. */
#define NM_BM25_K1 1.2
#define NM_BM25_B 0.75
double nm__bm25_idf(double ndocs, double df);
double nm__bm25_tf(double idf, double tf, double doclen, double avgdl);

/* Tokens for full-text search: runs of letters and digits, lower-cased
 * (SQLite's unicode61 with diacritics kept). Appends to out (not a set). */
void nm__fts_tokens(const char *s, size_t n, nm_strv_t *out);
/* Instances of a phrase (a search term's tokens, in order) in a
 * document's tokens, overlapping ones included, as FTS5 counts them; a
 * phrase without tokens occurs nowhere. */
size_t nm__fts_phrase_count(const nm_strv_t *doc, const nm_strv_t *phrase);

extern const nm_backend_t nm__backend_memory;
extern const nm_backend_t nm__backend_sqlite;
extern const nm_backend_t nm__backend_pg;

/* Standard not-found / duplicate details, shared by backends. */
int nm__not_found(nm_err_t *err, const char *kind, const char *id);
int nm__exists(nm_err_t *err, const char *kind, const char *id);

/* Does fiber f satisfy the non-ordering parts of filter q? Shared by
 * backends that filter in C (memory) and as a re-check (sqlite). */
bool nm__fiber_matches(const nm_fiber_t *f, const nm_fiber_filter_t *q);
/* Does an update to f change the fiber's search text (store.h
 * nm_tx_fiber_search), given the anchor and summary it has now? The text
 * follows changes of those two only. */
bool nm__fiber_retext(const char *anchor, const char *summary, const nm_fiber_t *f);
/* What a fiber's look-up rows (neuron and tag entries, time range, search
 * text) are made of, as the SQL backends store them: read before an update
 * or delete to rewrite only what changed. */
typedef struct nm_fiber_key {
	int64_t seq, t0, t1;
	nm_strv_t neurons, tags;
	char *anchor, *summary;
} nm_fiber_key_t;
void nm__fiber_key_clear(nm_fiber_key_t *k);
/* nm_tx_fiber_nearest from two runs of rows: lo, the fibers starting at
 * or before ts, nearest first; hi, those after it, nearest first; each
 * with its row numbers. cb gets the k nearest of both (ties: the newer
 * row). */
int nm__fiber_nearest_merge(int64_t ts, int64_t k, const nm_fiber_t *lo, const int64_t *lo_seq, size_t nlo,
                            const nm_fiber_t *hi, const int64_t *hi_seq, size_t nhi, nm_fiber_cb cb, void *arg);
/* A synapse scan's plan for the SQL backends: the filter bits of its
 * statement variant, and the endpoints' neuron row numbers (looked up
 * with seq). 1: scan; 0: an endpoint names no neuron, so no synapse
 * matches; < 0: error. */
enum { NM_SF_SOURCE = 1, NM_SF_TARGET = 2, NM_SF_TYPE = 4, NM_SF_WEIGHT = 8, NM_SF_WINDOW = 16, NM_SF_NEWEST = 32 };
int nm__synapse_scan_plan(nm_tx_t *tx, const nm_synapse_filter_t *f,
                          int64_t (*seq)(nm_tx_t *tx, const char *id, nm_err_t *err), unsigned *mask, int64_t *src,
                          int64_t *dst, nm_err_t *err);
/* A fiber scan's plan for the SQL backends: the filter bits, the order
 * (NM_ORDER_DEFAULT resolved to salience, descending) and the statement
 * variant number (4 filter bits, order 0..3 with 3 = insertion, direction). */
enum { NM_FSCAN_NEURON = 1, NM_FSCAN_TIME = 2, NM_FSCAN_TAGS = 4, NM_FSCAN_SALIENCE = 8 };
unsigned nm__fiber_scan_plan(const nm_fiber_filter_t *f, unsigned *filters, int *order, bool *desc);
/* qsort-style comparison for fiber ordering; a and b carry their creation
 * sequence in seq_a/seq_b for ties. */
int nm__fiber_order_cmp(const nm_fiber_t *a, int64_t seq_a, const nm_fiber_t *b, int64_t seq_b,
                        nm_fiber_order_t order, bool descending);

#endif
