/*
 * store_filter.c — fiber filter and ordering rules shared by backends
 * (PROTOCOL.md §3.8), so both stores agree to the tie. Thread-safe.
 */
#include "internal.h"

#include <string.h>

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
		return cmp_int(seq_a, seq_b);
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
