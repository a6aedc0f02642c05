/*
 * graph.h — how the engine reaches a brain's graph.
 *
 * The engine asks a small set of questions — a neuron's edges, neurons by
 * content or time, fibers holding a neuron or overlapping a window — through
 * this table of functions, never through storage directly. graph_store.c
 * answers them from a storage transaction (nm_tx_*); an in-memory graph
 * index can answer the same questions without changing the algorithms.
 *
 * Every list is in creation (insertion) order unless stated: upstream's
 * memory store scans in insertion order and the engine's tie-breaks depend
 * on it (ENGINE.md §7.2). Returned strings and arrays are borrowed from the
 * graph and stay valid until nm_graph_close. Neuron ids from
 * nm_graph_neuron and edges are canonical: the same id is the same
 * pointer for the life of the graph. One graph per transaction;
 * not thread-safe.
 */
#ifndef NM_GRAPH_H
#define NM_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"
#include "store.h"

typedef struct nm_graph nm_graph_t;

/* An edge of a neuron: the neighbour, the synapse, its weight. */
typedef struct nm_edge {
	const char *other;
	const char *synapse_id;
	double weight;
	nm_synapse_type_t type;
	bool out;                 /* the neuron is the synapse's source */
} nm_edge_t;

/* The fields of a neuron the engine reads. */
typedef struct nm_gneuron {
	const char *id;
	nm_neuron_type_t type;
	const char *content;
	size_t content_len;
	int64_t created_at;
} nm_gneuron_t;

/* The fields of a fiber the engine reads. */
typedef struct nm_gfiber {
	const char *id;
	const char *anchor;
	const char *summary;      /* NULL when none */
	double salience;
	int64_t time_start, time_end;
	int64_t created_at;
} nm_gfiber_t;

typedef struct nm_idlist {
	const char **v;
	size_t n;
} nm_idlist_t;

typedef struct nm_fiberlist {
	const nm_gfiber_t **v;
	size_t n;
} nm_fiberlist_t;

/* Open the storage-backed graph over tx. Owned; nm_graph_close. */
nm_graph_t *nm_graph_open(nm_tx_t *tx);
void nm_graph_close(nm_graph_t *g);
/* Answer from the brain's in-memory graph index where it can (neurons,
 * edges, key and time-span look-ups, fibers by neuron and time, fibers by
 * id; substring, BM25 and the compat look-ups stay on storage). Built on
 * first use; false when there is none (the index is off or over budget).
 * For read-only engine calls: the index holds committed state only. */
bool nm_graph_use_index(nm_graph_t *g);
/* Fixed mode's fan-out cap: edges lists hold at most the newest n edges
 * of each direction (still in creation order). 0 = all (the default). */
void nm_graph_cap_edges(nm_graph_t *g, int per_direction);
nm_tx_t *nm_graph_tx(nm_graph_t *g);

/* A neuron, or NULL (not found) with *rc = 0, or NULL with *rc < 0. */
const nm_gneuron_t *nm_graph_neuron(nm_graph_t *g, const char *id, int *rc, nm_err_t *err);
/* Out edges then in edges (each in synapse creation order), both
 * directions whatever the synapse's direction flag, weight >= min_weight.
 * A self-loop appears once. The list lives until the next nm_graph_edges
 * call on g (the strings in it until nm_graph_close). */
int nm_graph_edges(nm_graph_t *g, const char *id, double min_weight, const nm_edge_t **edges, size_t *n,
                   nm_err_t *err);
/* Neurons whose lower(content) contains lower(needle), first `limit`. */
int nm_graph_find_contains(nm_graph_t *g, const char *needle, int64_t limit, nm_idlist_t *out, nm_err_t *err);
/* Neurons whose content is exactly `content` (type -1 = any), first `limit`. */
int nm_graph_find_exact(nm_graph_t *g, const char *content, size_t len, int type, int64_t limit, nm_idlist_t *out,
                        nm_err_t *err);
/* Time neurons created within [t0, t1], first `limit`. */
int nm_graph_time_created(nm_graph_t *g, int64_t t0, int64_t t1, int64_t limit, nm_idlist_t *out, nm_err_t *err);
/* Fibers whose neuron_ids hold id, first `limit` in creation order. */
int nm_graph_fibers_of(nm_graph_t *g, const char *id, int64_t limit, nm_fiberlist_t *out, nm_err_t *err);
/* The same, newest first. */
int nm_graph_fibers_of_newest(nm_graph_t *g, const char *id, int64_t limit, nm_fiberlist_t *out, nm_err_t *err);
/* Fibers with both times set overlapping [t0, t1], first `limit`. */
int nm_graph_fibers_overlapping(nm_graph_t *g, int64_t t0, int64_t t1, int64_t limit, nm_fiberlist_t *out,
                                nm_err_t *err);
/* ---- look-ups of the fixed engine (ENGINE.md §8) ---- */

/* Neurons whose key lower(NFC(content)) equals key(text), creation order. */
int nm_graph_find_key(nm_graph_t *g, const char *text, size_t len, int64_t limit, nm_idlist_t *out, nm_err_t *err);
/* Time neurons whose denoted interval (metadata absolute_start/end)
 * overlaps [t0, t1], latest start first; exact = only [t0, t1] itself. */
int nm_graph_time_spans(nm_graph_t *g, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_idlist_t *out,
                        nm_err_t *err);
/* The k fibers whose time_start is nearest ts (within max_dist), nearest
 * first, ties newer first. */
int nm_graph_fibers_nearest(nm_graph_t *g, int64_t ts, int64_t max_dist, int64_t k, nm_fiberlist_t *out,
                            nm_err_t *err);
/* A synapse from a to b of the given type, or NULL. */
const char *nm_graph_synapse_between(nm_graph_t *g, const char *a, const char *b, nm_synapse_type_t type, int *rc,
                                     nm_err_t *err);
/* Fibers whose memory text best matches any of the terms (BM25), best
 * first, with their scores (higher is better). */
typedef struct nm_scored {
	const nm_gfiber_t *fiber;
	double score;
} nm_scored_t;
int nm_graph_fiber_search(nm_graph_t *g, const nm_strv_t *terms, int64_t k, nm_scored_t **out, size_t *n,
                          nm_err_t *err);

/* A fiber by id, or NULL (*rc as for nm_graph_neuron). */
const nm_gfiber_t *nm_graph_fiber(nm_graph_t *g, const char *id, int *rc, nm_err_t *err);

#endif
