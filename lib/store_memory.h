/*
 * store_memory.h — PRIVATE to the memory backend (store_memory.c,
 * store_memory_lookup.c): its object, collection and brain types. See
 * store_memory.c for the design and invariants.
 */
#ifndef NM_STORE_MEMORY_H
#define NM_STORE_MEMORY_H

#include "internal.h"

enum { K_NEURON, K_SYNAPSE, K_FIBER, K_TYPED, K_PROJECT, K_KV, K__COUNT };

/* One stored object. Which union member is used follows the collection. */
typedef struct mobj {
	size_t slot;
	int64_t seq;                  /* creation sequence (from 1), for ordering ties and cursors */
	char *key;                    /* id (owned) */
	int64_t decayed_at;           /* neurons (their state) and synapses: last decay, or NM_TIME_NONE */
	char *ftext;                  /* fibers: the search text (store.h nm_tx_fiber_text), or NULL */
	union {
		struct {
			nm_neuron_t n;
			char *lower;          /* lower(content), for substring search */
			size_t lower_len;
			char *key;            /* nm_text_key(content), for key look-ups */
			bool has_span;        /* time neurons: the interval they denote */
			int64_t t0, t1;
			nm_state_t state;
		} nr;
		nm_synapse_t syn;
		nm_fiber_t fib;
		struct {
			char *json;           /* typed memories, projects: JSON text; kv: the value bytes (NUL after) */
			size_t len;
			int mtype;            /* typed memories: nm_memory_type_t */
		} blob;
	};
} mobj_t;

typedef struct mcoll {
	mobj_t **slots;
	size_t n, cap, live;
	nm_hmap_t by_id;
} mcoll_t;

typedef enum { U_INSERT, U_DELETE, U_UPDATE, U_META } undo_kind_t;

typedef struct undo {
	undo_kind_t kind;
	int coll;
	mobj_t *obj;                 /* the object (U_UPDATE: the live one) */
	mobj_t *old;                 /* U_UPDATE: a copy of the previous contents */
	char *old_meta;              /* U_META */
} undo_t;

typedef struct mbrain {
	pthread_rwlock_t lock;
	mcoll_t coll[K__COUNT];
	int64_t next_seq;
	char *meta;                  /* snapshot metadata JSON */
	int64_t updated_at;
	undo_t *undo;
	size_t nundo, capundo;
	size_t *marks;               /* savepoint stack: undo positions */
	size_t nmarks, capmarks;
} mbrain_t;

typedef struct mtx {
	nm_tx_t base;
	mbrain_t *mb;
} mtx_t;

#define MB(tx) (((mtx_t *)(tx))->mb)

/* The object with this id in a collection, or NULL. */
mobj_t *nm__mem_get(mbrain_t *mb, int coll, const char *id);
/* Changes through the undo log (store_memory.c): insert appends o (its
 * key set) in creation order; remove unlinks o; will_update records o's
 * contents before the caller changes them in place. */
void nm__mem_insert(mbrain_t *mb, int coll, mobj_t *o);
void nm__mem_remove(mbrain_t *mb, int coll, mobj_t *o);
void nm__mem_will_update(mbrain_t *mb, int coll, mobj_t *o);
/* Insert or replace a keyed blob (typed memories, projects, kv). */
int nm__mem_blob_put(nm_tx_t *tx, int coll, const char *key, int mtype, const char *data, size_t len);

/* Lifecycle cursors and kv (store_memory_lifecycle.c). */
int nm__mem_decay_scan(nm_tx_t *, nm_decay_kind_t, int64_t, int64_t, nm_decay_cb, void *, nm_err_t *);
int nm__mem_decay_set(nm_tx_t *, nm_decay_kind_t, int64_t, double, int64_t, nm_err_t *);
int nm__mem_orphan_scan(nm_tx_t *, int64_t, int64_t, nm_orphan_cb, void *, nm_err_t *);
int nm__mem_fiber_cursor(nm_tx_t *, int64_t, int64_t, nm_fiber_seq_cb, void *, nm_err_t *);
int nm__mem_decay_clock(nm_tx_t *, nm_decay_kind_t, const char *, int64_t *, nm_err_t *);
int nm__mem_decay_clock_set(nm_tx_t *, nm_decay_kind_t, const char *, int64_t, nm_err_t *);
int nm__mem_typed_memory_get(nm_tx_t *, const char *, char **, nm_err_t *);
int nm__mem_kv_put(nm_tx_t *, const char *, const void *, size_t, nm_err_t *);
int nm__mem_kv_get(nm_tx_t *, const char *, char **, size_t *, nm_err_t *);
int nm__mem_kv_del(nm_tx_t *, const char *, nm_err_t *);
int nm__mem_kv_scan(nm_tx_t *, const char *, const char *, nm_kv_cb, void *, nm_err_t *);

/* Engine look-ups (store_memory_lookup.c): linear scans. */
int nm__mem_time_spans(nm_tx_t *tx, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_neuron_cb cb, void *arg,
                       nm_err_t *err);
int nm__mem_fiber_nearest(nm_tx_t *tx, int64_t ts, int64_t max_dist, int64_t k, nm_fiber_cb cb, void *arg,
                          nm_err_t *err);
int nm__mem_fiber_search(nm_tx_t *tx, const nm_strv_t *terms, int64_t k, nm_fiber_score_cb cb, void *arg,
                         nm_err_t *err);

#endif
