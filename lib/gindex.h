/*
 * gindex.h — PRIVATE to lib/: a brain's in-memory graph index, the fast
 * path of the engine's queries (DESIGN.md "Graph index"). gindex.c has
 * the design and invariants.
 *
 * Life of an index: built from one read snapshot on the first query that
 * wants it (nm__gx_open), kept in the brain handle, updated by the brain's
 * writer after every commit from the commit's change log (nm__gx_commit:
 * the changed objects are re-read from storage, so the index ends equal to
 * what was committed, whatever the transaction did), dropped when a commit
 * changed too much to replay (it is rebuilt on the next query), when its
 * brain closes, or to stay within the store's memory budget (least
 * recently used brains first). Storage stays the source of truth.
 *
 * Locking: the brain's gx_lock. Queries hold it shared from nm__gx_open to
 * nm__gx_close; building, applying a commit and dropping hold it
 * exclusively.
 */
#ifndef NM_GINDEX_H
#define NM_GINDEX_H

#include "graph.h"
#include "internal.h"

/* What a write transaction changed, by kind ('n' neuron, 's' synapse, 'f'
 * fiber; upper case for a delete) and id, in order; replayed after the
 * commit. Past NM_GX_LOG_MAX entries it only remembers that the index must
 * be rebuilt. */
#define NM_GX_LOG_MAX 50000
struct nm_gx_log {
	char *kinds;
	char **ids;
	size_t n, cap;
	bool rebuild;
};

void nm__gx_log_note(nm_gx_log_t *log, char kind, const char *id);
void nm__gx_log_free(nm_gx_log_t *log);

/* The brain's index, shared-locked, built first if needed; NULL when the
 * index is off (budget 0) or cannot be built (then the caller reads
 * storage). Release with nm__gx_close. */
nm_gindex_t *nm__gx_open(nm_brain_t *b, nm_err_t *err);
void nm__gx_close(nm_brain_t *b);
/* After a commit (the writer, before acknowledging): bring the index up to
 * date with what log changed. */
void nm__gx_commit(nm_brain_t *b, const nm_gx_log_t *log);
/* Drop the brain's index (closing, deleting, evicting). */
void nm__gx_drop(nm_brain_t *b);

/* ---- queries (shared lock held); the same answers as graph_store.c's
 * storage path. Returned pointers live until nm__gx_close. ---- */

const nm_gneuron_t *nm__gx_neuron(nm_gindex_t *gx, const char *id);
const nm_gfiber_t *nm__gx_fiber(nm_gindex_t *gx, const char *id);
/* Edges of id (out then in, creation order, at most cap newest per
 * direction when cap > 0, weight >= min_weight) into the caller's buffer
 * *buf of *bufcap entries, grown as needed. */
int nm__gx_edges(nm_gindex_t *gx, const char *id, double min_weight, int cap, nm_edge_t **buf, size_t *bufcap,
                 size_t *n);
/* Neurons with this matching key (nm_text_key), creation order. */
int nm__gx_find_key(nm_gindex_t *gx, const char *key, size_t klen, int64_t limit, nm_idlist_t *out);
int nm__gx_time_spans(nm_gindex_t *gx, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_idlist_t *out);
int nm__gx_fibers_of(nm_gindex_t *gx, const char *id, bool newest_first, int64_t limit, nm_fiberlist_t *out);
int nm__gx_fibers_nearest(nm_gindex_t *gx, int64_t ts, int64_t max_dist, int64_t k, nm_fiberlist_t *out);
/* Full-text search over the fibers, as nm_tx_fiber_search ranks it (*out
 * malloc'd). */
int nm__gx_fiber_search(nm_gindex_t *gx, const nm_strv_t *terms, int64_t k, nm_scored_t **out, size_t *n);

#endif
