/*
 * store.h — the storage interface: brains, their contents, transactions.
 *
 * One nm_store_t is one backend instance ("sqlite" under a data directory,
 * or "memory"). It keeps a registry of every brain (nm_brain_t handles,
 * loaded from the catalog at open) so looking a brain up never touches
 * storage; a brain's contents are opened lazily on first use and, for
 * persistent backends, closed again by an LRU bound.
 *
 * Reads run in a read transaction (nm_brain_read_begin/_end): a consistent
 * snapshot, many in parallel. Writes are submitted to the brain's single
 * writer (nm_brain_write): whoever finds the writer idle becomes it and
 * commits every queued write in one transaction (group commit), each write
 * inside its own savepoint so one failing write changes nothing while the
 * others commit. A write's done() runs only after the commit, so a reply
 * sent from done() is never ahead of the disk.
 *
 * All functions are thread-safe unless noted. Data operations (nm_tx_*) use
 * the transaction of the calling thread; a transaction is never shared.
 * Status codes: 0 or a negative NM_ST_* with err filled (err may be NULL).
 */
#ifndef NM_STORE_H
#define NM_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "isotime.h"
#include "model.h"
#include "qcache.h"

typedef struct nm_store nm_store_t;
typedef struct nm_brain nm_brain_t;
typedef struct nm_tx nm_tx_t;

typedef struct nm_store_opts {
	const char *backend;        /* "sqlite" (default), "memory" or "postgres" */
	const char *data_dir;       /* sqlite: directory holding catalog.db and brains/ */
	int readers_per_brain;      /* sqlite: pooled read connections per open brain (default 4) */
	int max_open_brains;        /* sqlite: LRU bound on brains with open files (default 256) */
	bool synchronous_full;      /* sqlite: fsync on every commit (false: synchronous = NORMAL) */
	int cache_kib;              /* sqlite: page cache per connection (default 8192) */
	int64_t mmap_bytes;         /* sqlite: mmap_size per connection (0 = no memory mapping) */
	int64_t graph_budget;       /* bytes all brains' graph indexes may take (0 = no index) */
	size_t query_cache_bytes;   /* per brain, for recent query answers (0 = no cache) */
	const char *pg_url;         /* postgres: libpq connection URL of the primary */
	const char *pg_read_url;    /* postgres: a streaming replica for reads (NULL = primary only) */
	int pg_pool;                /* postgres: connections per server (default 8) */
	const char *pg_sync_commit; /* postgres: synchronous_commit of write connections (NULL = server's) */
} nm_store_opts_t;

/* Counters for /metrics; read with relaxed atomics. */
typedef struct nm_store_counters {
	uint64_t commits;           /* write transactions committed */
	uint64_t rows_written;      /* objects inserted, updated or deleted by committed writes */
	uint64_t open_brains;       /* brains whose storage is open now */
	/* cluster (postgres): times this node brought a brain up to other
	 * nodes' commits, the commits that took, and index rebuilds because the
	 * change log no longer held them */
	uint64_t catchups, catchup_commits, catchup_rebuilds;
} nm_store_counters_t;

/* Open a store; owned, release with nm_store_close. Fails when the data
 * directory cannot be created, is used by another process, or holds a
 * catalog with a newer schema. */
nm_store_t *nm_store_open(const nm_store_opts_t *opts, nm_err_t *err);
/* Close every brain and the catalog. No brain handle may be in use. */
void nm_store_close(nm_store_t *st);
void nm_store_counters(nm_store_t *st, nm_store_counters_t *out);
const char *nm_store_backend(const nm_store_t *st);

/* ---- brains ---- */

/* A new reference to brain `id`, or NULL when there is none (or it is
 * being deleted). Never touches storage. Release with nm_brain_release. */
nm_brain_t *nm_store_brain_get(nm_store_t *st, const char *id);
/* The same, and for a cluster (postgres) a brain unknown here is looked
 * up in the shared catalog: one another node created a moment ago. May
 * wait for the database: not for the event loop. NULL with err (503)
 * when the catalog cannot be read, NULL alone when there is no brain. */
nm_brain_t *nm_store_brain_lookup(nm_store_t *st, const char *id, nm_err_t *err);
void nm_brain_release(nm_brain_t *b);
/* Another reference to a brain the caller holds one to. */
nm_brain_t *nm_brain_acquire(nm_brain_t *b);
/* Borrowed, valid while the reference is held. */
const char *nm_brain_id(const nm_brain_t *b);
/* Owned copy of the brain's record (release with nm_brain_rec_clear). */
void nm_brain_rec_get(nm_brain_t *b, nm_brain_rec_t *out);
/* Access checks against the current record (PROTOCOL.md §6.5). */
bool nm_brain_can(nm_brain_t *b, const char *principal, bool admin, bool write);
/* Number of brains, and each brain in creation order (a reference is held
 * around each callback; a nonzero callback return stops and is returned). */
size_t nm_store_brain_count(nm_store_t *st);
int nm_store_brain_each(nm_store_t *st, int (*cb)(void *arg, nm_brain_t *b), void *arg);

/* Create a brain from rec (copied; rec->id must be set; created_at and
 * updated_at are set here). 409 when the id exists. On success *out (if
 * not NULL) receives a new reference. */
int nm_store_brain_create(nm_store_t *st, const nm_brain_rec_t *rec, nm_brain_t **out, nm_err_t *err);
/* Update the record: edit() gets a private copy of the current record and
 * changes it (returning < 0 aborts with its error); the result is written
 * to the catalog with a new updated_at and replaces the record. Updates of
 * one store are serialised, so edit() always sees the latest record. */
int nm_brain_update(nm_brain_t *b, int (*edit)(nm_brain_rec_t *rec, void *arg, nm_err_t *err), void *arg,
                    nm_err_t *err);
/* Remove the brain: it vanishes from the registry and catalog at once; its
 * storage is destroyed when the last reference is released. */
int nm_brain_delete(nm_brain_t *b, nm_err_t *err);
/* The brain's deterministic id counter (test hook NMEMD_TEST_IDS):
 * 1, 2, 3 … for the life of the process. */
int64_t nm_brain_next_test_id(nm_brain_t *b);
/* Current counts (cached after the first read or commit). */
int nm_brain_stats(nm_brain_t *b, nm_stats_t *out, nm_err_t *err);
/* The cached counts without touching storage; false when none are cached. */
bool nm_brain_stats_cached(nm_brain_t *b, nm_stats_t *out);
/* The brain's content generation: it grows with every committed write
 * (and restore), and has grown before the write is acknowledged. Read it
 * before a read transaction begins to label what that transaction saw. */
uint64_t nm_brain_content_gen(nm_brain_t *b);
/* Cluster backends (postgres), where other nmemd nodes write the same
 * brain: bring this node's view of b — graph index, query cache, cached
 * counts — up to the brain's last committed write on any node (one
 * generation read; the other nodes' change logs are replayed when it
 * moved). Call before a query; a no-op for single-node backends. After
 * it, read transactions see at least that write (on a replica only when
 * the replica has replayed it). */
int nm_brain_sync(nm_brain_t *b, nm_err_t *err);
/* postgres: a libpq connection (PGconn *) with nmemd's timeouts and
 * keepalives, for the daemon's own channels (server/cluster.c); check it
 * with PQstatus, close it with PQfinish. */
struct pg_conn *nm_pg_connect(const char *url);
/* Whether the store is shared with other nodes (postgres). */
bool nm_store_clustered(const nm_store_t *st);
/* Cluster: bring the brain registry up to the shared catalog (brains
 * created, changed or deleted by other nodes). */
int nm_store_catalog_sync(nm_store_t *st, nm_err_t *err);
/* The brain's query answer cache (qcache.h), or NULL when disabled. */
nm_qcache_t *nm_brain_qcache(nm_brain_t *b);

/* ---- transactions ---- */

int nm_brain_read_begin(nm_brain_t *b, nm_tx_t **tx, nm_err_t *err);
void nm_brain_read_end(nm_tx_t *tx);
/* Mark a read transaction, before its first read, as a bulk scan of the
 * whole brain (export, backup): it reads through the page cache it has
 * rather than memory-mapping the file, so the daemon's resident memory
 * does not grow with the brain (sqlite; no-op elsewhere). */
void nm_tx_bulk(nm_tx_t *tx);

typedef struct nm_write nm_write_t;
struct nm_write {
	/* Runs inside the brain's write transaction, in a savepoint of its own.
	 * Returning < 0 rolls this write back (others in the batch still
	 * commit); err is then the write's result. */
	int (*apply)(nm_tx_t *tx, nm_write_t *w, nm_err_t *err);
	/* Called exactly once, after the commit (or the failure), possibly on
	 * another thread and possibly before nm_brain_write returns. `err`
	 * holds the outcome (status 0 = committed). May free w. */
	void (*done)(nm_write_t *w);
	nm_err_t err;
	int64_t rows;              /* objects changed by apply; set by apply, for counters */
	nm_write_t *next;          /* private to the write queue */
};

/* Queue a write on b's writer. The caller keeps a reference to b until
 * done() has run. */
void nm_brain_write(nm_brain_t *b, nm_write_t *w);
/* Convenience: run apply(tx, arg) as one write and wait for its commit. */
int nm_brain_write_sync(nm_brain_t *b, int (*apply)(nm_tx_t *tx, void *arg, nm_err_t *err),
                        void *arg, nm_err_t *err);

/* The same, but apply runs in the calling thread, alone in its
 * transaction: for long writes (a streamed import). The caller waits for
 * the writer role, then holds it for the whole apply; other writes queue
 * meanwhile and are committed right after. */
int nm_brain_write_own(nm_brain_t *b, int (*apply)(nm_tx_t *tx, void *arg, nm_err_t *err), void *arg,
                       nm_err_t *err);

/* The brain a transaction belongs to (borrowed). */
nm_brain_t *nm_tx_brain(nm_tx_t *tx);

/* ---- filters ---- */

typedef struct nm_neuron_filter {
	int type;                    /* NeuronType, or -1 for any */
	const char *contains;        /* substring, case-insensitive (Unicode lower() of both sides); NULL = none */
	size_t contains_len;
	const char *exact;           /* byte-exact content; NULL = none */
	size_t exact_len;
	const char *key;             /* same nm_text_key() (case/NFC-insensitive equality); NULL = none */
	size_t key_len;
	int64_t time_start, time_end; /* created_at range, inclusive; NM_TIME_NONE = none */
	int64_t limit;               /* 0 = no limit */
	int64_t offset;
} nm_neuron_filter_t;

typedef struct nm_synapse_filter {
	const char *source_id;       /* NULL = any */
	const char *target_id;
	int type;                    /* SynapseType, or -1 */
	bool has_min_weight;
	double min_weight;
	bool newest_first;           /* reverse creation order */
	int64_t limit, offset;       /* limit 0 = none */
} nm_synapse_filter_t;

typedef struct nm_fiber_filter {
	const char *contains_neuron; /* NULL = any */
	int64_t time_start, time_end; /* overlap window; NM_TIME_NONE = none */
	const nm_strv_t *tags;       /* fibers having all of them; NULL = any */
	bool has_min_salience;
	double min_salience;
	nm_fiber_order_t order;      /* NM_ORDER_DEFAULT = salience desc */
	bool descending;             /* also applies to NM_ORDER_INSERTION (newest first) */
	int64_t limit, offset;
} nm_fiber_filter_t;

#define NM_NEURON_FILTER_INIT {.type = -1, .time_start = NM_TIME_NONE, .time_end = NM_TIME_NONE}
#define NM_SYNAPSE_FILTER_INIT {.type = -1}
#define NM_FIBER_FILTER_INIT {.time_start = NM_TIME_NONE, .time_end = NM_TIME_NONE, .order = NM_ORDER_DEFAULT, \
	.descending = true}

/* Scan callbacks get borrowed objects valid during the call; a nonzero
 * return stops the scan and becomes the scan's return value. */
typedef int (*nm_neuron_cb)(void *arg, const nm_neuron_t *n);
typedef int (*nm_synapse_cb)(void *arg, const nm_synapse_t *s);
typedef int (*nm_fiber_cb)(void *arg, const nm_fiber_t *f);
typedef int (*nm_blob_cb)(void *arg, const char *key, const char *json);

/* ---- data operations (PROTOCOL.md §3); "404" etc. are the statuses ---- */

/* Neurons. add: 409 on duplicate id; also creates the default state.
 * delete: also its state and every synapse touching it; fibers untouched. */
int nm_tx_neuron_add(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err);
int nm_tx_neuron_get(nm_tx_t *tx, const char *id, nm_neuron_t *out, nm_err_t *err);
int nm_tx_neuron_update(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err);
int nm_tx_neuron_delete(nm_tx_t *tx, const char *id, nm_err_t *err);
/* 1 when the neuron exists, 0 when not, < 0 on error. */
int nm_tx_neuron_exists(nm_tx_t *tx, const char *id, nm_err_t *err);
/* Creation order (ties: id). */
int nm_tx_neuron_scan(nm_tx_t *tx, const nm_neuron_filter_t *f, nm_neuron_cb cb, void *arg, nm_err_t *err);

/* Neuron states: get 404 when the neuron does not exist; put writes the
 * whole state (callers merge partial updates first). */
int nm_tx_state_get(nm_tx_t *tx, const char *neuron_id, nm_state_t *out, nm_err_t *err);
int nm_tx_state_put(nm_tx_t *tx, const nm_state_t *s, nm_err_t *err);

/* Synapses. add: 409 duplicate id, 422 when an endpoint neuron is missing. */
int nm_tx_synapse_add(nm_tx_t *tx, const nm_synapse_t *s, nm_err_t *err);
int nm_tx_synapse_get(nm_tx_t *tx, const char *id, nm_synapse_t *out, nm_err_t *err);
int nm_tx_synapse_update(nm_tx_t *tx, const nm_synapse_t *s, nm_err_t *err);
int nm_tx_synapse_delete(nm_tx_t *tx, const char *id, nm_err_t *err);
/* Creation order. */
int nm_tx_synapse_scan(nm_tx_t *tx, const nm_synapse_filter_t *f, nm_synapse_cb cb, void *arg, nm_err_t *err);

/* Fibers. delete also removes the typed memory attached to the fiber. */
int nm_tx_fiber_add(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err);
int nm_tx_fiber_get(nm_tx_t *tx, const char *id, nm_fiber_t *out, nm_err_t *err);
int nm_tx_fiber_update(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err);
int nm_tx_fiber_delete(nm_tx_t *tx, const char *id, nm_err_t *err);
/* Ordered per f->order (ties: creation order), then offset/limit. */
int nm_tx_fiber_scan(nm_tx_t *tx, const nm_fiber_filter_t *f, nm_fiber_cb cb, void *arg, nm_err_t *err);

/* Typed memories (keyed by fiber id) and projects (keyed by project id):
 * opaque JSON objects carried by snapshots. put replaces. */
int nm_tx_typed_memory_put(nm_tx_t *tx, const char *fiber_id, nm_memory_type_t type, const char *json, nm_err_t *err);
int nm_tx_typed_memory_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err);
/* The typed memory of a fiber: 1 with an owned JSON text, 0 when none. */
int nm_tx_typed_memory_get(nm_tx_t *tx, const char *fiber_id, char **json, nm_err_t *err);
/* Counts per memory type (array of NM_MEM__COUNT). */
int nm_tx_typed_memory_counts(nm_tx_t *tx, int64_t *counts, nm_err_t *err);
int nm_tx_project_put(nm_tx_t *tx, const char *id, const char *json, nm_err_t *err);
int nm_tx_project_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err);

/* Snapshot metadata kept besides typed memories and projects (a JSON
 * object text; "{}" when never set). get returns an owned string. */
int nm_tx_meta_get(nm_tx_t *tx, char **json, nm_err_t *err);
int nm_tx_meta_put(nm_tx_t *tx, const char *json, nm_err_t *err);

/* Reinforcement of what a query used (engine.h nm_reinforce), for
 * backends where one statement per object is costly (postgres): each
 * neuron's activation min(level + delta, 1) with access_frequency + 1 and
 * last_activated now; each synapse's weight likewise with
 * reinforced_count + 1; each fiber's frequency + 1; ids that no longer
 * exist are skipped; the lists hold no duplicates. 1 when the backend has
 * no such statement (the caller updates object by object). */
int nm_tx_reinforce(nm_tx_t *tx, char *const *neurons, size_t nn, char *const *synapses, size_t ns,
                    const nm_strv_t *fibers, double delta, int64_t now, nm_err_t *err);

/* Live counts (and the contents' last change) as of this transaction. */
int nm_tx_stats(nm_tx_t *tx, nm_stats_t *out, nm_err_t *err);
/* ---- look-ups for the engine ---- */

/* Time neurons whose denoted interval — absolute_start..absolute_end of
 * their metadata — overlaps [t0, t1] (exact: is [t0, t1]); latest start
 * first, then newest; at most limit (0 = no limit). */
int nm_tx_time_spans(nm_tx_t *tx, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_neuron_cb cb, void *arg,
                     nm_err_t *err);
/* Fibers whose time_start lies within max_dist of ts, nearest first
 * (ties: newest first); at most k. */
int nm_tx_fiber_nearest(nm_tx_t *tx, int64_t ts, int64_t max_dist, int64_t k, nm_fiber_cb cb, void *arg,
                        nm_err_t *err);
/* Full-text search over each fiber's memory text (its summary, else its
 * anchor neuron's content when the fiber was created or last changed its
 * summary or anchor): fibers
 * containing any of the terms, best BM25 first; at most k. */
typedef int (*nm_fiber_score_cb)(void *arg, const nm_fiber_t *f, double score);
int nm_tx_fiber_search(nm_tx_t *tx, const nm_strv_t *terms, int64_t k, nm_fiber_score_cb cb, void *arg,
                       nm_err_t *err);
/* The text that search matches for this fiber (above), owned by the
 * caller, or NULL: the fiber is not searchable (no summary, and its anchor
 * did not exist when it was written) or does not exist. */
int nm_tx_fiber_text(nm_tx_t *tx, const char *fiber_id, char **text, nm_err_t *err);

/* Fibers created at or after each of the n instants since[i]. */
int nm_tx_fiber_counts_since(nm_tx_t *tx, const int64_t *since, int64_t *counts, int n, nm_err_t *err);
/* Bytes the brain's storage takes (0 for the memory backend). */
int64_t nm_tx_size_bytes(nm_tx_t *tx);

/* ---- lifecycle (lifecycle.h): progress, backup, cursors ---- */

/* Progress of a long run, reported from the running thread. */
typedef struct nm_progress {
	void (*step)(void *arg, int64_t done, int64_t total);
	bool (*stop)(void *arg);      /* polled between steps: true ends the run early */
	void *arg;
} nm_progress_t;

/* Online backup: copy b's committed contents, as of now, into the new
 * file dest, with b's record inside; b keeps serving meanwhile. 422 for
 * backends that keep no files. *bytes: the copy's size. */
int nm_brain_backup(nm_brain_t *b, const char *dest, const nm_progress_t *p, int64_t *bytes, nm_err_t *err);
/* Restore brain id from a backup file: its contents are replaced (record
 * kept), or it is created from the record inside the file. The file is
 * checked first (an nmemd brain, not newer than this build, intact). For
 * the offline tool (nmemd --restore): the brain must not be in use. */
int nm_store_restore(nm_store_t *st, const char *file, const char *id, nm_err_t *err);


/* What decay sees of a neuron state or a synapse: its row position
 * (creation order; the cursor), id, level or weight, and its clocks.
 * decayed_at is the reference time of the last decay that changed it
 * (ENGINE.md §6.4), kept by the store and not part of the wire objects. */
typedef enum { NM_DECAY_NEURONS, NM_DECAY_SYNAPSES } nm_decay_kind_t;
typedef struct nm_decay_row {
	int64_t seq;
	const char *id;
	double value;
	int64_t last_activated, decayed_at, created_at; /* NM_TIME_NONE = null */
} nm_decay_row_t;
typedef int (*nm_decay_cb)(void *arg, const nm_decay_row_t *row);
typedef int (*nm_orphan_cb)(void *arg, int64_t seq, const char *id);

/* Rows with seq > after, in seq order, at most limit. */
int nm_tx_decay_scan(nm_tx_t *tx, nm_decay_kind_t kind, int64_t after, int64_t limit, nm_decay_cb cb, void *arg,
                     nm_err_t *err);
/* Set a row's level/weight; decayed_at NM_TIME_NONE leaves it as it is.
 * id is the row's (for the graph index's change log). */
int nm_tx_decay_set(nm_tx_t *tx, nm_decay_kind_t kind, int64_t seq, const char *id, double value,
                    int64_t decayed_at, nm_err_t *err);
/* Neurons with seq > after that no synapse touches and no fiber holds, in
 * seq order, at most limit. */
int nm_tx_orphan_scan(nm_tx_t *tx, int64_t after, int64_t limit, nm_orphan_cb cb, void *arg, nm_err_t *err);

/* Fibers with seq > after in creation order, at most limit, each with its
 * row position (the cursor for the next call). */
typedef int (*nm_fiber_seq_cb)(void *arg, int64_t seq, const nm_fiber_t *f);
int nm_tx_fiber_cursor(nm_tx_t *tx, int64_t after, int64_t limit, nm_fiber_seq_cb cb, void *arg, nm_err_t *err);
/* A neuron state's or synapse's decayed_at by id (NM_TIME_NONE when never
 * decayed or absent), and setting it (archive and restore keep it). */
int nm_tx_decay_clock(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, int64_t *out, nm_err_t *err);
int nm_tx_decay_clock_set(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, int64_t t, nm_err_t *err);
/* Bytes the live contents take in storage now: every table and index but
 * the kv map (sqlite, by dbstat); 0 for the memory backend. */
int64_t nm_tx_used_bytes(nm_tx_t *tx);

/* ---- kv: an ordered map from text keys to byte values inside a brain,
 * for lib modules that keep records of their own (the fiber archive).
 * Keys are 1..255 bytes without NUL, ordered bytewise; part of the
 * brain's transactions like everything else. ---- */

int nm_tx_kv_put(nm_tx_t *tx, const char *key, const void *val, size_t len, nm_err_t *err);
/* 1 with an owned copy in *val and *len (NUL-terminated) when present, 0 when not. */
int nm_tx_kv_get(nm_tx_t *tx, const char *key, char **val, size_t *len, nm_err_t *err);
/* 1 when a value was removed, 0 when there was none. */
int nm_tx_kv_del(nm_tx_t *tx, const char *key, nm_err_t *err);
/* Keys that start with prefix and sort after `after` (NULL: from the
 * first), in key order. */
typedef int (*nm_kv_cb)(void *arg, const char *key, const char *val, size_t len);
int nm_tx_kv_scan(nm_tx_t *tx, const char *prefix, const char *after, nm_kv_cb cb, void *arg, nm_err_t *err);

#endif
