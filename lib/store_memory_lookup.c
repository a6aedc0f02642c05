/*
 * store_memory_lookup.c — the engine's look-ups in the memory backend
 * (store.h: nm_tx_time_spans, nm_tx_fiber_nearest, nm_tx_fiber_search).
 * The memory backend keeps no indexes: each call scans its collection, in
 * the caller's transaction (the brain's lock is held). BM25 uses the same
 * formula and tokens as SQLite's FTS5 (store_filter.c) so both backends
 * rank alike.
 */
#include "store_memory.h"

#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "mem.h"


typedef struct ranked {
	mobj_t *o;
	int64_t key;              /* sort key, ascending; ties: newer seq first */
	double score;             /* fiber search: higher first */
} ranked_t;

static int by_key(const void *a, const void *b)
{
	const ranked_t *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->o->seq < y->o->seq ? 1 : x->o->seq > y->o->seq ? -1 : 0;
}

static int by_score(const void *a, const void *b)
{
	const ranked_t *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->o->seq < y->o->seq ? 1 : x->o->seq > y->o->seq ? -1 : 0;
}

int nm__mem_time_spans(nm_tx_t *tx, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_neuron_cb cb,
                          void *arg, nm_err_t *err)
{
	mcoll_t *c = &MB(tx)->coll[K_NEURON];
	ranked_t *r = nm_xmalloc(sizeof *r * (c->live + 1));
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++) {
		mobj_t *o = c->slots[i];
		if (!o || !o->nr.has_span)
			continue;
		bool hit = exact ? o->nr.t0 == t0 && o->nr.t1 == t1 : o->nr.t0 <= t1 && o->nr.t1 >= t0;
		if (hit)
			r[n++] = (ranked_t){o, -o->nr.t0, 0}; /* latest start first */
	}
	qsort(r, n, sizeof *r, by_key);
	int rc = 0;
	for (size_t i = 0; i < n && (limit <= 0 || (int64_t)i < limit) && !rc; i++)
		rc = cb(arg, &r[i].o->nr.n);
	free(r);
	return rc;
}

int nm__mem_fiber_nearest(nm_tx_t *tx, int64_t ts, int64_t max_dist, int64_t k, nm_fiber_cb cb, void *arg,
                             nm_err_t *err)
{
	mcoll_t *c = &MB(tx)->coll[K_FIBER];
	ranked_t *r = nm_xmalloc(sizeof *r * (c->live + 1));
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++) {
		mobj_t *o = c->slots[i];
		if (!o || o->fib.time_start == NM_TIME_NONE)
			continue;
		int64_t d = o->fib.time_start - ts;
		d = d < 0 ? -d : d;
		if (d <= max_dist)
			r[n++] = (ranked_t){o, d, 0};
	}
	qsort(r, n, sizeof *r, by_key);
	int rc = 0;
	for (size_t i = 0; i < n && (int64_t)i < k && !rc; i++)
		rc = cb(arg, &r[i].o->fib);
	free(r);
	return rc;
}

int nm__mem_fiber_search(nm_tx_t *tx, const nm_strv_t *terms, int64_t k, nm_fiber_score_cb cb, void *arg,
                         nm_err_t *err)
{
	mcoll_t *c = &MB(tx)->coll[K_FIBER];
	size_t nt = terms->n;
	/* each term is a phrase of its tokens, as in an FTS5 query */
	nm_strv_t *phrases = nm_xcalloc(nt + 1, sizeof *phrases);
	for (size_t t = 0; t < nt; t++)
		nm__fts_tokens(terms->v[t], strlen(terms->v[t]), &phrases[t]);
	/* hits[i * nt + t]: instances of phrase t in fiber i */
	double *hits = nm_xcalloc(c->n * nt + 1, sizeof *hits), *len = nm_xcalloc(c->n + 1, sizeof *len);
	double *df = nm_xcalloc(nt + 1, sizeof *df), total = 0, nrows = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->slots[i] || !c->slots[i]->ftext)
			continue;
		nm_strv_t toks = {0};
		nm__fts_tokens(c->slots[i]->ftext, strlen(c->slots[i]->ftext), &toks);
		nrows++; /* every row counts, a text without tokens too */
		total += (double)toks.n;
		len[i] = (double)toks.n;
		for (size_t t = 0; t < nt; t++) {
			hits[i * nt + t] = (double)nm__fts_phrase_count(&toks, &phrases[t]);
			df[t] += hits[i * nt + t] > 0;
		}
		nm_strv_clear(&toks);
	}
	double *idf = nm_xcalloc(nt + 1, sizeof *idf);
	for (size_t t = 0; t < nt; t++)
		idf[t] = nm__bm25_idf(nrows, df[t]);
	ranked_t *r = nm_xmalloc(sizeof *r * (c->n + 1));
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++) {
		double s = 0;
		bool match = false;
		for (size_t t = 0; t < nt; t++) {
			double tf = hits[i * nt + t];
			match |= tf > 0;
			s += tf > 0 ? nm__bm25_tf(idf[t], tf, len[i], total / nrows) : 0.0;
		}
		if (match)
			r[n++] = (ranked_t){c->slots[i], 0, s};
	}
	qsort(r, n, sizeof *r, by_score);
	int rc = 0;
	for (size_t i = 0; i < n && (int64_t)i < k && !rc; i++)
		rc = cb(arg, &r[i].o->fib, r[i].score);
	for (size_t t = 0; t < nt; t++)
		nm_strv_clear(&phrases[t]);
	free(phrases);
	free(hits);
	free(len);
	free(df);
	free(idf);
	free(r);
	return rc;
}
