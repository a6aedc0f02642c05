/*
 * activate.c — spreading activation (activate.h, ENGINE.md §5).
 *
 * One run per anchor set: every anchor starts at level 1.0; the state with
 * the highest level is expanded next; a neighbour reached through a
 * synapse of weight w gets (level × decay) × w (two IEEE multiplications in
 * that order) if that is at least the floor; a neuron's result is the best
 * level seen (strictly better replaces, keeping its map position). The
 * pair (neuron, source anchor) is expanded once.
 *
 * The priority queue decides ties, and ties decide observable orders, so
 * compat mode reproduces CPython's heapq exactly (push: sift toward the
 * root; pop: move the last item to the root, sift it down to a leaf along
 * the smaller children, then back up — §5.2). Fixed mode orders by
 * (level desc, hops asc, push order asc), a total order.
 */
#include "activate.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

void nm_actmap_clear(nm_actmap_t *m)
{
	free(m->v);
	nm_pmap_free(&m->idx);
	memset(m, 0, sizeof *m);
}

nm_act_t *nm_actmap_get(const nm_actmap_t *m, const char *id)
{
	size_t i = (size_t)nm_pmap_get(&m->idx, id);
	return i ? &m->v[i - 1] : NULL;
}

/* Set id's entry (new ids are appended; existing ones keep their slot). */
static nm_act_t *actmap_put(nm_actmap_t *m, const char *id, double level, int hops)
{
	nm_act_t *a = nm_actmap_get(m, id);
	if (!a) {
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 32;
			m->v = nm_xrealloc(m->v, sizeof *m->v * m->cap);
		}
		a = &m->v[m->n++];
		nm_pmap_put(&m->idx, id, m->n);
	}
	*a = (nm_act_t){id, level, hops};
	return a;
}

/* ---- the priority queue ---- */

typedef struct state {
	double level;
	const char *id;
	int hops;
	int source;               /* index of the anchor it came from */
	uint64_t seq;             /* push order (fixed-mode tie-break) */
} state_t;

typedef struct heap {
	state_t *v;
	size_t n, cap;
	bool fixed;
	uint64_t pushes;
} heap_t;

/* "a pops before b" */
static bool less(const heap_t *h, const state_t *a, const state_t *b)
{
	if (!h->fixed)
		return a->level > b->level; /* upstream's ActivationState.__lt__ */
	if (a->level != b->level)
		return a->level > b->level;
	if (a->hops != b->hops)
		return a->hops < b->hops;
	return a->seq < b->seq;
}

/* CPython _siftdown: move v[pos] toward the root while it is less than
 * its parent. */
static void sift_down(heap_t *h, size_t start, size_t pos)
{
	state_t x = h->v[pos];
	while (pos > start) {
		size_t parent = (pos - 1) >> 1;
		if (!less(h, &x, &h->v[parent]))
			break;
		h->v[pos] = h->v[parent];
		pos = parent;
	}
	h->v[pos] = x;
}

/* CPython _siftup: sink v[pos] to a leaf along the smaller child, then
 * sift it back up. */
static void sift_up(heap_t *h, size_t pos)
{
	size_t end = h->n, start = pos, child = 2 * pos + 1;
	state_t x = h->v[pos];
	while (child < end) {
		size_t right = child + 1;
		if (right < end && !less(h, &h->v[child], &h->v[right]))
			child = right;
		h->v[pos] = h->v[child];
		pos = child;
		child = 2 * pos + 1;
	}
	h->v[pos] = x;
	sift_down(h, start, pos);
}

static void push(heap_t *h, state_t s)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->v = nm_xrealloc(h->v, sizeof *h->v * h->cap);
	}
	s.seq = h->pushes++;
	h->v[h->n++] = s;
	sift_down(h, 0, h->n - 1);
}

static state_t pop(heap_t *h)
{
	state_t last = h->v[--h->n];
	if (h->n == 0)
		return last;
	state_t top = h->v[0];
	h->v[0] = last;
	sift_up(h, 0);
	return top;
}

/* ---- one anchor set (§5.1) ----
 *
 * Per source anchor, a map neuron → VISITED once the pair was expanded,
 * or (fixed mode) the bits of the best level pushed for the pair so far.
 * Fixed mode skips a push that cannot matter: the pair is already
 * expanded, or a strictly better state for it is queued — that one pops
 * first and the pair is expanded once. The fixed order is total, so the
 * remaining states pop in the same order as without the pruning. Compat
 * mode pushes everything: CPython's heap layout decides its ties. */

#define VISITED ((uintptr_t)1) /* never a level's bits: levels are normal doubles or 0 */

static uintptr_t level_bits(double level)
{
	_Static_assert(sizeof(uintptr_t) == sizeof(double), "levels are kept in pointer-sized map values");
	uintptr_t v;
	memcpy(&v, &level, sizeof v);
	return v;
}

/* Fixed mode: should a state (id, level) of this source be queued? */
static bool worth_pushing(nm_pmap_t *seen, const char *id, double level)
{
	uintptr_t v = nm_pmap_get(seen, id);
	if (v == VISITED)
		return false;
	if (v) {
		double best;
		memcpy(&best, &v, sizeof best);
		if (level < best)
			return false;
	}
	if (level_bits(level) > VISITED)
		nm_pmap_put(seen, id, level_bits(level));
	return true;
}

static int spread_one(nm_graph_t *g, const nm_idlist_t *anchors, const nm_spread_t *sp, nm_actmap_t *res,
                      nm_act_stats_t *st, nm_err_t *err)
{
	heap_t h = {.fixed = sp->mode == NM_MODE_FIXED};
	nm_pmap_t *visited = nm_xcalloc(anchors->n ? anchors->n : 1, sizeof *visited); /* per source */
	int64_t examined = 0;
	int rc = 0;
	for (size_t i = 0; i < anchors->n; i++) {
		const nm_gneuron_t *n = nm_graph_neuron(g, anchors->v[i], &rc, err);
		if (rc < 0)
			goto done;
		if (!n)
			continue;
		push(&h, (state_t){1.0, n->id, 0, (int)i, 0});
		actmap_put(res, n->id, 1.0, 0);
	}
	while (h.n) {
		if (sp->edge_budget > 0 && examined >= sp->edge_budget)
			break; /* the strongest part is done: the queue pops in level order */
		state_t cur = pop(&h);
		nm_pmap_t *seen = &visited[cur.source];
		if (nm_pmap_get(seen, cur.id) == VISITED)
			continue;
		nm_pmap_put(seen, cur.id, VISITED);
		if (cur.hops >= sp->max_hops)
			continue;
		/* weights are at most 1: nothing can pass the floor from here, so
		 * the edges need not be read (same result, much less I/O) */
		if (cur.level * sp->decay < sp->floor)
			continue;
		const nm_edge_t *e;
		size_t ne;
		if ((rc = nm_graph_edges(g, cur.id, sp->min_weight, &e, &ne, err)) < 0)
			goto done;
		size_t first = 0;
		if (sp->fanout_cap > 0 && ne > (size_t)sp->fanout_cap)
			first = ne - (size_t)sp->fanout_cap; /* the most recent edges */
		examined += (int64_t)(ne - first);
		st->expanded++;
		for (size_t k = first; k < ne; k++) {
			double level = cur.level * sp->decay * e[k].weight;
			if (level < sp->floor)
				continue;
			nm_act_t *old = nm_actmap_get(res, e[k].other);
			if (!old || level > old->level)
				actmap_put(res, e[k].other, level, cur.hops + 1);
			if (h.fixed && !worth_pushing(seen, e[k].other, level))
				continue;
			push(&h, (state_t){level, e[k].other, cur.hops + 1, cur.source, 0});
		}
	}
done:
	st->edges += examined;
	for (size_t i = 0; i < (anchors->n ? anchors->n : 1); i++)
		nm_pmap_free(&visited[i]);
	free(visited);
	free(h.v);
	return rc;
}

/* ---- several sets (§5.3) ---- */

typedef struct tally {
	const char *id;
	int count;
	double sum;
	size_t first;             /* order of first appearance */
} tally_t;

/* (count, sum) descending, then first appearance: a total order, so the
 * sort is stable by construction. */
static int by_tally(const void *pa, const void *pb)
{
	const tally_t *a = pa, *b = pb;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->sum != b->sum)
		return a->sum > b->sum ? -1 : 1;
	return a->first < b->first ? -1 : a->first > b->first;
}

/* Ids in more than one map, by (count, sum of levels) descending, ties
 * in first-appearance order. */
static void intersect(const nm_actmap_t *maps, size_t nmaps, nm_idlist_t *out)
{
	size_t cap = 0;
	for (size_t m = 0; m < nmaps; m++)
		cap += maps[m].n;
	tally_t *t = nm_xmalloc(sizeof *t * (cap + 1));
	size_t nt = 0;
	nm_pmap_t idx = {0};
	for (size_t m = 0; m < nmaps; m++)
		for (size_t i = 0; i < maps[m].n; i++) {
			const nm_act_t *a = &maps[m].v[i];
			size_t k = (size_t)nm_pmap_get(&idx, a->id);
			if (!k) {
				t[nt] = (tally_t){a->id, 0, 0.0, nt};
				k = ++nt;
				nm_pmap_put(&idx, a->id, k);
			}
			t[k - 1].count++;
			t[k - 1].sum += a->level;
		}
	nm_pmap_free(&idx);
	size_t n = 0;
	for (size_t i = 0; i < nt; i++)
		if (t[i].count >= 2)
			t[n++] = t[i];
	qsort(t, n, sizeof *t, by_tally);
	memset(out, 0, sizeof *out);
	if (n) {
		out->v = nm_xmalloc(sizeof *out->v * n);
		for (size_t i = 0; i < n; i++)
			out->v[i] = t[i].id;
		out->n = n;
	}
	free(t);
}

int nm_activate_sets(nm_graph_t *g, const nm_idlist_t *sets, size_t nsets, size_t ncounted, const nm_spread_t *sp,
                     nm_actmap_t *out, nm_idlist_t *intersections, nm_act_stats_t *stats, nm_err_t *err)
{
	nm_act_stats_t local;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	memset(out, 0, sizeof *out);
	memset(intersections, 0, sizeof *intersections);
	nm_actmap_t *maps = nm_xcalloc(nsets ? nsets : 1, sizeof *maps);
	size_t nmaps = 0, counted = 0;
	int rc = 0;
	for (size_t s = 0; s < nsets && rc == 0; s++)
		if (sets[s].n) {
			rc = spread_one(g, &sets[s], sp, &maps[nmaps++], stats, err);
			counted += s < ncounted;
		}
	if (rc < 0 || nmaps == 0)
		goto done;
	if (nmaps == 1) {
		*out = maps[0];
		maps[0] = (nm_actmap_t){0};
		if (sp->mode == NM_MODE_COMPAT) { /* D12: every activated id counts */
			intersections->v = nm_xmalloc(sizeof *intersections->v * (out->n + 1));
			for (size_t i = 0; i < out->n; i++)
				intersections->v[i] = out->v[i].id;
			intersections->n = out->n;
		}
		goto done;
	}
	intersect(maps, counted, intersections);
	nm_pmap_t inter = {0};
	for (size_t i = 0; i < intersections->n; i++)
		nm_pmap_put(&inter, intersections->v[i], 1);
	for (size_t m = 0; m < nmaps; m++)
		for (size_t i = 0; i < maps[m].n; i++) {
			const nm_act_t *a = &maps[m].v[i];
			nm_act_t *old = nm_actmap_get(out, a->id);
			if (!old) {
				actmap_put(out, a->id, a->level, a->hops);
				continue;
			}
			double level = nm_pmap_get(&inter, a->id) && m < counted
				? old->level + a->level * 0.5   /* an intersection: boost */
				: (a->level > old->level ? a->level : old->level);
			old->level = level < 1.0 ? level : 1.0;
			if (a->hops < old->hops)
				old->hops = a->hops;
		}
	nm_pmap_free(&inter);
done:
	for (size_t m = 0; m < nsets; m++)
		nm_actmap_clear(&maps[m]);
	free(maps);
	return rc;
}

/* Stable merge sort, descending by level. */
static void merge_sort(nm_act_t *v, nm_act_t *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	merge_sort(v, tmp, h);
	merge_sort(v + h, tmp, n - h);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = v[j].level > v[i].level ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, sizeof *v * n);
}

nm_act_t *nm_act_sorted(const nm_actmap_t *m)
{
	nm_act_t *v = nm_xmalloc(sizeof *v * (m->n + 1)), *tmp = nm_xmalloc(sizeof *tmp * (m->n + 1));
	if (m->n)
		memcpy(v, m->v, sizeof *v * m->n);
	merge_sort(v, tmp, m->n);
	free(tmp);
	return v;
}
