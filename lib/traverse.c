/*
 * traverse.c — neighbours and paths (traverse.h).
 *
 * Synapse scans are collected into arrays before anything else is asked of
 * the transaction: a backend may run one statement per scan kind, so a scan
 * must not be nested inside another scan's callback. Thread-safe (each call
 * works in its caller's transaction).
 */
#include "traverse.h"

#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "mem.h"

typedef struct synv {
	nm_synapse_t *v;
	size_t n, cap;
} synv_t;

static int collect(void *arg, const nm_synapse_t *s)
{
	synv_t *sv = arg;
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 16;
		sv->v = nm_xrealloc(sv->v, sizeof *sv->v * sv->cap);
	}
	nm_synapse_copy(&sv->v[sv->n++], s);
	return 0;
}

static void synv_free(synv_t *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		nm_synapse_clear(&sv->v[i]);
	free(sv->v);
}

static bool keep(const nm_neighbor_query_t *q, const nm_synapse_t *s)
{
	if (q->has_types && !q->types[s->type])
		return false;
	return !q->has_min_weight || s->weight >= q->min_weight;
}

/* Emit (neighbour, synapse) unless the neighbour is gone. Returns the
 * callback's value, or -status on a storage error. */
static int emit(nm_tx_t *tx, const char *nid, const nm_synapse_t *s, nm_step_cb cb, void *arg, nm_err_t *err)
{
	nm_neuron_t n = {0};
	nm_err_t e = {0};
	int rc = nm_tx_neuron_get(tx, nid, &n, &e);
	if (rc == -NM_ST_NOT_FOUND)
		return 0;
	if (rc < 0) {
		if (err)
			*err = e;
		return rc;
	}
	rc = cb(arg, &n, s);
	nm_neuron_clear(&n);
	return rc;
}

int nm_neighbors(nm_tx_t *tx, const char *id, const nm_neighbor_query_t *q, nm_step_cb cb, void *arg,
                 nm_err_t *err)
{
	synv_t out = {0}, in = {0};
	nm_synapse_filter_t fo = NM_SYNAPSE_FILTER_INIT, fi = NM_SYNAPSE_FILTER_INIT;
	fo.source_id = id;
	fi.target_id = id;
	int rc = 0;
	if (q->dir != NM_NB_IN)
		rc = nm_tx_synapse_scan(tx, &fo, collect, &out, err);
	if (rc == 0 && q->dir != NM_NB_OUT)
		rc = nm_tx_synapse_scan(tx, &fi, collect, &in, err);
	int64_t left = q->limit > 0 ? q->limit : -1;
	for (size_t i = 0; rc == 0 && left != 0 && i < out.n; i++) {
		if (!keep(q, &out.v[i]))
			continue;
		rc = emit(tx, out.v[i].target_id, &out.v[i], cb, arg, err);
		left--;
	}
	for (size_t i = 0; rc == 0 && left != 0 && i < in.n; i++) {
		nm_synapse_t *s = &in.v[i];
		if (!keep(q, s) || (q->dir == NM_NB_IN && s->direction != NM_DIR_BI))
			continue;
		/* In "both", the out part already listed (source, s) for a
		 * self-loop: the only way an incoming pair can repeat. */
		if (q->dir == NM_NB_BOTH && strcmp(s->source_id, s->target_id) == 0)
			continue;
		rc = emit(tx, s->source_id, s, cb, arg, err);
		left--;
	}
	synv_free(&out);
	synv_free(&in);
	return rc;
}

/* BFS bookkeeping: neuron id → predecessor id (owned strings). */
typedef struct visit {
	char *id;
	char *pred;
} visit_t;

static visit_t *visit_add(nm_hmap_t *seen, const char *id, const char *pred)
{
	visit_t *v = nm_xmalloc(sizeof *v);
	v->id = nm_xstrdup(id);
	v->pred = nm_xstrdup(pred);
	nm_hmap_put(seen, v->id, strlen(v->id), v);
	return v;
}

static void seen_free(nm_hmap_t *seen)
{
	for (size_t i = 0; i < seen->cap; i++) {
		visit_t *v = seen->slots[i].val;
		if (v) {
			free(v->id);
			free(v->pred);
			free(v);
		}
	}
	nm_hmap_free(seen);
}

/* Heaviest synapse from → to (earliest on ties) into *best. */
static int best_synapse(nm_tx_t *tx, const char *from, const char *to, nm_synapse_t *best, nm_err_t *err)
{
	synv_t sv = {0};
	nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
	f.source_id = from;
	f.target_id = to;
	int rc = nm_tx_synapse_scan(tx, &f, collect, &sv, err);
	size_t bi = 0;
	for (size_t i = 1; i < sv.n; i++)
		if (sv.v[i].weight > sv.v[bi].weight)
			bi = i;
	if (rc == 0 && sv.n)
		nm_synapse_copy(best, &sv.v[bi]);
	synv_free(&sv);
	return rc;
}

/* Expand the BFS one level: every neuron of `level` in order. Sets *found
 * when `to` was reached; the next level goes to *next. */
static int expand(nm_tx_t *tx, nm_hmap_t *seen, char **level, size_t nlevel, const char *to, char ***next,
                  size_t *nnext, bool *found, nm_err_t *err)
{
	size_t cap = 0;
	*next = NULL;
	*nnext = 0;
	for (size_t i = 0; i < nlevel && !*found; i++) {
		synv_t sv = {0};
		nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
		f.source_id = level[i];
		int rc = nm_tx_synapse_scan(tx, &f, collect, &sv, err);
		for (size_t k = 0; rc == 0 && k < sv.n && !*found; k++) {
			const char *t = sv.v[k].target_id;
			if (nm_hmap_get(seen, t, strlen(t)))
				continue;
			visit_t *v = visit_add(seen, t, level[i]);
			if (strcmp(t, to) == 0) {
				*found = true;
				break;
			}
			if (*nnext == cap) {
				cap = cap ? cap * 2 : 16;
				*next = nm_xrealloc(*next, sizeof **next * cap);
			}
			(*next)[(*nnext)++] = v->id;
		}
		synv_free(&sv);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int nm_path(nm_tx_t *tx, const char *from, const char *to, int max_hops, nm_step_cb cb, void *arg, nm_err_t *err)
{
	if (strcmp(from, to) == 0)
		return 0;
	int rc = nm_tx_neuron_exists(tx, from, err);
	if (rc <= 0)
		return rc;
	if ((rc = nm_tx_neuron_exists(tx, to, err)) <= 0)
		return rc;
	rc = 0;
	nm_hmap_t seen = {0};
	visit_t *root = visit_add(&seen, from, "");
	char **level = nm_xmalloc(sizeof *level);
	level[0] = root->id;
	size_t nlevel = 1;
	bool found = false;
	for (int hop = 0; hop < max_hops && nlevel && !found && rc == 0; hop++) {
		char **next;
		size_t nnext;
		rc = expand(tx, &seen, level, nlevel, to, &next, &nnext, &found, err);
		free(level);
		level = next;
		nlevel = nnext;
	}
	free(level);
	if (rc == 0 && found) {
		/* Walk back from the target, then emit front to back. */
		size_t n = 0;
		visit_t **chain = NULL;
		for (visit_t *v = nm_hmap_get(&seen, to, strlen(to)); v && v->pred[0];
		     v = nm_hmap_get(&seen, v->pred, strlen(v->pred))) {
			chain = nm_xrealloc(chain, sizeof *chain * (n + 1));
			chain[n++] = v;
		}
		for (size_t i = n; i-- > 0 && rc == 0;) {
			nm_synapse_t s = {0};
			rc = best_synapse(tx, chain[i]->pred, chain[i]->id, &s, err);
			if (rc == 0)
				rc = emit(tx, chain[i]->id, &s, cb, arg, err);
			nm_synapse_clear(&s);
		}
		free(chain);
	}
	seen_free(&seen);
	return rc;
}
