/*
 * store_memory.h — PRIVATE to the memory backend (store_memory.c,
 * store_memory_lookup.c): its object, collection and brain types. See
 * store_memory.c for the design and invariants.
 */
#ifndef NM_STORE_MEMORY_H
#define NM_STORE_MEMORY_H

#include "internal.h"

enum { K_NEURON, K_SYNAPSE, K_FIBER, K_TYPED, K_PROJECT, K__COUNT };

/* One stored object. Which union member is used follows the collection. */
typedef struct mobj {
	size_t slot;
	int64_t seq;                  /* creation sequence, for ordering ties */
	char *key;                    /* id (owned) */
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
			char *json;
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

/* Engine look-ups (store_memory_lookup.c): linear scans. */
int nm__mem_time_spans(nm_tx_t *tx, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_neuron_cb cb, void *arg,
                       nm_err_t *err);
int nm__mem_fiber_nearest(nm_tx_t *tx, int64_t ts, int64_t max_dist, int64_t k, nm_fiber_cb cb, void *arg,
                          nm_err_t *err);
int nm__mem_fiber_search(nm_tx_t *tx, const nm_strv_t *terms, int64_t k, nm_fiber_score_cb cb, void *arg,
                         nm_err_t *err);

#endif
