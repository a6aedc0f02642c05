/*
 * store_filter.c — fiber filter and ordering rules shared by backends
 * (PROTOCOL.md §3.8), so both stores agree to the tie. Thread-safe.
 */
#include "internal.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "isotime.h"
#include "mem.h"
#include "text.h"

static bool same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool nm__fiber_retext(const char *anchor, const char *summary, const nm_fiber_t *f)
{
	return !same_str(anchor, f->anchor_neuron_id) || !same_str(summary, f->summary);
}

bool nm__fiber_matches(const nm_fiber_t *f, const nm_fiber_filter_t *q)
{
	if (q->contains_neuron && !nm_strv_has(&f->neuron_ids, q->contains_neuron))
		return false;
	if (q->time_start != NM_TIME_NONE) {
		/* Overlap needs both ends set (PROTOCOL.md §3.8). */
		if (f->time_start == NM_TIME_NONE || f->time_end == NM_TIME_NONE)
			return false;
		if (f->time_start > q->time_end || f->time_end < q->time_start)
			return false;
	}
	if (q->tags)
		for (size_t i = 0; i < q->tags->n; i++)
			if (!nm_strv_has(&f->tags, q->tags->v[i]))
				return false;
	if (q->has_min_salience && !(f->salience >= q->min_salience))
		return false;
	return true;
}

static int cmp_num(double a, double b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_int(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

int nm__fiber_order_cmp(const nm_fiber_t *a, int64_t seq_a, const nm_fiber_t *b, int64_t seq_b,
                        nm_fiber_order_t order, bool descending)
{
	int c;
	if (order == NM_ORDER_INSERTION)
		return descending ? cmp_int(seq_b, seq_a) : cmp_int(seq_a, seq_b);
	switch (order) {
	case NM_ORDER_CREATED_AT: c = cmp_int(a->created_at, b->created_at); break;
	case NM_ORDER_FREQUENCY: c = cmp_int(a->frequency, b->frequency); break;
	case NM_ORDER_SALIENCE: c = cmp_num(a->salience, b->salience); break;
	default: c = cmp_num(a->salience, b->salience); descending = true; break;
	}
	if (descending)
		c = -c;
	if (c)
		return c;
	/* Ties: oldest first, whatever the direction (creation sequence). */
	return cmp_int(seq_a, seq_b);
}

bool nm__time_span(const char *metadata, int64_t *t0, int64_t *t1)
{
	json_t *m = json_loads(metadata, JSON_ALLOW_NUL, NULL);
	const json_t *a = json_object_get(m, "absolute_start"), *b = json_object_get(m, "absolute_end");
	bool ok = json_is_string(a) && json_is_string(b) &&
	          nm_time_parse(json_string_value(a), json_string_length(a), t0) == 0 &&
	          nm_time_parse(json_string_value(b), json_string_length(b), t1) == 0;
	json_decref(m);
	return ok;
}

double nm__bm25_idf(double ndocs, double df)
{
	double idf = log((ndocs - df + 0.5) / (df + 0.5));
	return idf <= 0.0 ? 1e-6 : idf;
}

double nm__bm25_tf(double idf, double tf, double doclen, double avgdl)
{
	const double k1 = NM_BM25_K1, b = NM_BM25_B;
	/* the operations in FTS5's order (fts5Bm25Function) */
	return idf * ((tf * (k1 + 1.0)) / (tf + k1 * (1 - b + b * doclen / avgdl)));
}

size_t nm__fts_phrase_count(const nm_strv_t *doc, const nm_strv_t *phrase)
{
	size_t hits = 0;
	for (size_t i = 0; phrase->n && i + phrase->n <= doc->n; i++) {
		size_t j = 0;
		while (j < phrase->n && strcmp(doc->v[i + j], phrase->v[j]) == 0)
			j++;
		hits += j == phrase->n;
	}
	return hits;
}

void nm__fts_tokens(const char *s, size_t n, nm_strv_t *out)
{
	int32_t i = 0, len = (int32_t)n, start = -1;
	while (i <= len) {
		int32_t at = i;
		UChar32 c = 0;
		if (i < len)
			U8_NEXT(s, i, len, c);
		else
			i++;
		bool word = at < len && c >= 0 && (u_isalpha(c) || u_isdigit(c) || (U_GET_GC_MASK(c) & U_GC_N_MASK));
		if (word && start < 0)
			start = at;
		if (!word && start >= 0) {
			char *low = nm_utf8_lower(s + start, (size_t)(at - start), NULL);
			if (low) {
				out->v = nm_xrealloc(out->v, sizeof *out->v * (out->n + 1));
				out->v[out->n++] = low;
			}
			start = -1;
		}
	}
}

int nm__fiber_nearest_merge(int64_t ts, int64_t k, const nm_fiber_t *lo, const int64_t *lo_seq, size_t nlo,
                            const nm_fiber_t *hi, const int64_t *hi_seq, size_t nhi, nm_fiber_cb cb, void *arg)
{
	size_t i = 0, j = 0;
	int rc = 0;
	for (int64_t taken = 0; rc == 0 && taken < k && (i < nlo || j < nhi); taken++) {
		bool take_lo;
		if (i >= nlo)
			take_lo = false;
		else if (j >= nhi)
			take_lo = true;
		else {
			int64_t dl = ts - lo[i].time_start, dh = hi[j].time_start - ts;
			take_lo = dl < dh || (dl == dh && lo_seq[i] > hi_seq[j]);
		}
		rc = cb(arg, take_lo ? &lo[i++] : &hi[j++]);
	}
	return rc;
}

int nm__synapse_scan_plan(nm_tx_t *tx, const nm_synapse_filter_t *f,
                          int64_t (*seq)(nm_tx_t *tx, const char *id, nm_err_t *err), unsigned *mask, int64_t *src,
                          int64_t *dst, nm_err_t *err)
{
	*mask = 0;
	*src = *dst = 0;
	if (f->source_id) {
		*mask |= NM_SF_SOURCE;
		if ((*src = seq(tx, f->source_id, err)) <= 0)
			return *src < 0 ? (int)*src : 0;
	}
	if (f->target_id) {
		*mask |= NM_SF_TARGET;
		if ((*dst = seq(tx, f->target_id, err)) <= 0)
			return *dst < 0 ? (int)*dst : 0;
	}
	if (f->type >= 0)
		*mask |= NM_SF_TYPE;
	if (f->has_min_weight)
		*mask |= NM_SF_WEIGHT;
	if (f->limit > 0 || f->offset > 0)
		*mask |= NM_SF_WINDOW;
	if (f->newest_first)
		*mask |= NM_SF_NEWEST;
	return 1;
}

void nm__fiber_key_clear(nm_fiber_key_t *k)
{
	nm_strv_clear(&k->neurons);
	nm_strv_clear(&k->tags);
	free(k->anchor);
	free(k->summary);
}

unsigned nm__fiber_scan_plan(const nm_fiber_filter_t *f, unsigned *filters, int *order, bool *desc)
{
	*filters = 0;
	if (f->contains_neuron)
		*filters |= NM_FSCAN_NEURON;
	if (f->time_start != NM_TIME_NONE)
		*filters |= NM_FSCAN_TIME;
	if (f->tags && f->tags->n)
		*filters |= NM_FSCAN_TAGS;
	if (f->has_min_salience)
		*filters |= NM_FSCAN_SALIENCE;
	*desc = f->order == NM_ORDER_DEFAULT ? true : f->descending;
	*order = f->order == NM_ORDER_DEFAULT ? NM_ORDER_SALIENCE : f->order;
	return *filters | (unsigned)(*order == NM_ORDER_INSERTION ? 3 : *order) << 4 | (unsigned)*desc << 6;
}
