/*
 * traverse.h — graph walks over the storage interface: neighbours of a
 * neuron and the shortest path between two (PROTOCOL.md §3.6). They use
 * only nm_tx_* calls, so every backend gets the same semantics.
 */
#ifndef NM_TRAVERSE_H
#define NM_TRAVERSE_H

#include "store.h"

/* Called per (neuron, synapse) item with borrowed objects; nonzero stops. */
typedef int (*nm_step_cb)(void *arg, const nm_neuron_t *n, const nm_synapse_t *s);

typedef struct nm_neighbor_query {
	nm_nb_dir_t dir;
	bool has_types;
	bool types[NM_SYN__COUNT];   /* with has_types: allowed synapse types */
	bool has_min_weight;
	double min_weight;
	int64_t limit;               /* 0 = unlimited */
} nm_neighbor_query_t;

/* out: synapses from the neuron (neighbour = target); in: synapses to it
 * whose direction is bi (neighbour = source); both: out, then every
 * synapse to it, skipping (neuron, synapse) pairs already listed. Each part
 * in synapse creation order. An unknown neuron has no neighbours (0). */
int nm_neighbors(nm_tx_t *tx, const char *id, const nm_neighbor_query_t *q, nm_step_cb cb, void *arg,
                 nm_err_t *err);

/* Breadth-first shortest path from → to along synapse direction, up to
 * max_hops; per step the heaviest synapse between the two neurons
 * (earliest on ties). Emits each reached neuron with its synapse; emits
 * nothing when there is no path, an end is unknown, or from == to. */
int nm_path(nm_tx_t *tx, const char *from, const char *to, int max_hops, nm_step_cb cb, void *arg, nm_err_t *err);

#endif
