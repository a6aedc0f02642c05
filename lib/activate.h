/*
 * activate.h — spreading activation (ENGINE.md §5).
 *
 * An activation map is insertion-ordered (neuron → level, hops): the order
 * in which neurons were first reached is observable upstream (ties in
 * every later sort keep it), so the map keeps it too. Ids are borrowed
 * from the graph the activation ran on.
 */
#ifndef NM_ACTIVATE_H
#define NM_ACTIVATE_H

#include "extract.h"
#include "graph.h"
#include "pmap.h"

typedef struct nm_act {
	const char *id;
	double level;
	int hops;
} nm_act_t;

typedef struct nm_actmap {
	nm_act_t *v;              /* insertion order */
	size_t n, cap;
	nm_pmap_t idx;            /* id pointer → index + 1 */
} nm_actmap_t;

void nm_actmap_clear(nm_actmap_t *m);
/* The entry for id (a pointer the same graph handed out), or NULL. */
nm_act_t *nm_actmap_get(const nm_actmap_t *m, const char *id);

typedef struct nm_spread {
	int max_hops;
	double decay;             /* 0.5 */
	double floor;             /* levels below it do not spread (compat: activation_threshold) */
	double min_weight;        /* synapses lighter than this are not walked (0.1) */
	int fanout_cap;           /* fixed mode: most recent edges per direction walked; 0 = all */
	int64_t edge_budget;      /* fixed mode: edges examined per anchor set before stopping; 0 = no limit */
	nm_engine_mode_t mode;    /* heap tie-breaks: CPython heapq (compat) or deterministic (fixed) */
} nm_spread_t;

/* What one activation did, summed over its anchor sets: neurons expanded
 * (their edges read) and edges examined. */
typedef struct nm_act_stats {
	int64_t expanded;
	int64_t edges;
} nm_act_stats_t;

/* Activation from each non-empty anchor set, combined (§5.3).
 * intersections: ids reached from more than one of the first `ncounted`
 * sets, strongest first (compat: with a single set, every activated id);
 * they are boosted. Sets past ncounted (fixed mode's lexical seeds) add
 * activation without counting: a duplicate keeps its best level. Both
 * outputs are owned by the caller (nm_actmap_clear; free(intersections->v)).
 * stats (zeroed first) may be NULL. */
int nm_activate_sets(nm_graph_t *g, const nm_idlist_t *sets, size_t nsets, size_t ncounted, const nm_spread_t *sp,
                     nm_actmap_t *out, nm_idlist_t *intersections, nm_act_stats_t *stats, nm_err_t *err);

/* Stable descending sort of activation entries by level (a copy). */
nm_act_t *nm_act_sorted(const nm_actmap_t *m);

#endif
