/*
 * store_memory_lifecycle.c — the memory backend's lifecycle cursors (decay
 * and orphan scans) and kv map (store.h "lifecycle", "kv").
 *
 * Cursors are creation sequences: slots hold objects in seq order (with
 * holes where objects were deleted), so a cursor is found by binary search
 * and a batch continues from there. kv entries are a collection like the
 * others; a scan sorts the matching keys (the memory backend is for tests
 * and small brains, see store_memory.c).
 */
#include "store_memory.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Index of the first slot at or after i holding an object (c->n if none). */
static size_t next_live(const mcoll_t *c, size_t i)
{
	while (i < c->n && !c->slots[i])
		i++;
	return i;
}

/* Index of the first object with seq > after. */
static size_t first_after(const mcoll_t *c, int64_t after)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, j = next_live(c, mid);
		if (j >= hi || c->slots[j]->seq > after)
			hi = mid;
		else
			lo = j + 1;
	}
	return next_live(c, lo);
}

static mobj_t *by_seq(const mcoll_t *c, int64_t seq)
{
	size_t i = first_after(c, seq - 1);
	return i < c->n && c->slots[i]->seq == seq ? c->slots[i] : NULL;
}

int nm__mem_decay_scan(nm_tx_t *tx, nm_decay_kind_t kind, int64_t after, int64_t limit, nm_decay_cb cb, void *arg,
                       nm_err_t *err)
{
	const mcoll_t *c = &MB(tx)->coll[kind == NM_DECAY_NEURONS ? K_NEURON : K_SYNAPSE];
	int64_t n = 0;
	for (size_t i = first_after(c, after); i < c->n && (limit <= 0 || n < limit); i = next_live(c, i + 1), n++) {
		const mobj_t *o = c->slots[i];
		nm_decay_row_t r = {.seq = o->seq, .id = o->key, .decayed_at = o->decayed_at};
		if (kind == NM_DECAY_NEURONS) {
			r.value = o->nr.state.activation_level;
			r.last_activated = o->nr.state.last_activated;
			r.created_at = o->nr.state.created_at;
		} else {
			r.value = o->syn.weight;
			r.last_activated = o->syn.last_activated;
			r.created_at = o->syn.created_at;
		}
		int rc = cb(arg, &r);
		if (rc)
			return rc;
	}
	return 0;
}

int nm__mem_decay_set(nm_tx_t *tx, nm_decay_kind_t kind, int64_t seq, double value, int64_t decayed_at,
                      nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	int coll = kind == NM_DECAY_NEURONS ? K_NEURON : K_SYNAPSE;
	mobj_t *o = by_seq(&mb->coll[coll], seq);
	if (!o)
		return 0; /* gone meanwhile: nothing to decay */
	nm__mem_will_update(mb, coll, o);
	if (kind == NM_DECAY_NEURONS)
		o->nr.state.activation_level = value;
	else
		o->syn.weight = value;
	if (decayed_at != NM_TIME_NONE)
		o->decayed_at = decayed_at;
	return 0;
}

static void mark(nm_hmap_t *m, const char *id)
{
	nm_hmap_put(m, id, strlen(id), (void *)1);
}

int nm__mem_orphan_scan(nm_tx_t *tx, int64_t after, int64_t limit, nm_orphan_cb cb, void *arg, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	nm_hmap_t used = {0};
	const mcoll_t *sc = &mb->coll[K_SYNAPSE], *fc = &mb->coll[K_FIBER], *nc = &mb->coll[K_NEURON];
	for (size_t i = 0; i < sc->n; i++)
		if (sc->slots[i]) {
			mark(&used, sc->slots[i]->syn.source_id);
			mark(&used, sc->slots[i]->syn.target_id);
		}
	for (size_t i = 0; i < fc->n; i++)
		if (fc->slots[i])
			for (size_t k = 0; k < fc->slots[i]->fib.neuron_ids.n; k++)
				mark(&used, fc->slots[i]->fib.neuron_ids.v[k]);
	int rc = 0;
	int64_t n = 0;
	for (size_t i = first_after(nc, after); i < nc->n && (limit <= 0 || n < limit) && !rc; i = next_live(nc, i + 1)) {
		const mobj_t *o = nc->slots[i];
		if (nm_hmap_get(&used, o->key, strlen(o->key)))
			continue;
		rc = cb(arg, o->seq, o->key);
		n++;
	}
	nm_hmap_free(&used);
	return rc;
}

int nm__mem_fiber_cursor(nm_tx_t *tx, int64_t after, int64_t limit, nm_fiber_seq_cb cb, void *arg, nm_err_t *err)
{
	const mcoll_t *c = &MB(tx)->coll[K_FIBER];
	int64_t n = 0;
	for (size_t i = first_after(c, after); i < c->n && (limit <= 0 || n < limit); i = next_live(c, i + 1), n++) {
		int rc = cb(arg, c->slots[i]->seq, &c->slots[i]->fib);
		if (rc)
			return rc;
	}
	return 0;
}

int nm__mem_decay_clock(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, int64_t *out, nm_err_t *err)
{
	const mobj_t *o = nm__mem_get(MB(tx), kind == NM_DECAY_NEURONS ? K_NEURON : K_SYNAPSE, id);
	*out = o ? o->decayed_at : NM_TIME_NONE;
	return 0;
}

int nm__mem_decay_clock_set(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, int64_t t, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	int coll = kind == NM_DECAY_NEURONS ? K_NEURON : K_SYNAPSE;
	mobj_t *o = nm__mem_get(mb, coll, id);
	if (o) {
		nm__mem_will_update(mb, coll, o);
		o->decayed_at = t;
	}
	return 0;
}

int nm__mem_typed_memory_get(nm_tx_t *tx, const char *fiber_id, char **json, nm_err_t *err)
{
	const mobj_t *o = nm__mem_get(MB(tx), K_TYPED, fiber_id);
	*json = o ? nm_xstrdup(o->blob.json) : NULL;
	return o != NULL;
}

/* ---- kv ---- */

int nm__mem_kv_put(nm_tx_t *tx, const char *key, const void *val, size_t len, nm_err_t *err)
{
	return nm__mem_blob_put(tx, K_KV, key, 0, val, len);
}

int nm__mem_kv_get(nm_tx_t *tx, const char *key, char **val, size_t *len, nm_err_t *err)
{
	const mobj_t *o = nm__mem_get(MB(tx), K_KV, key);
	if (!o)
		return 0;
	*val = nm_xstrndup(o->blob.json, o->blob.len);
	*len = o->blob.len;
	return 1;
}

int nm__mem_kv_del(nm_tx_t *tx, const char *key, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	mobj_t *o = nm__mem_get(mb, K_KV, key);
	if (!o)
		return 0;
	nm__mem_remove(mb, K_KV, o);
	return 1;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp((*(mobj_t *const *)a)->key, (*(mobj_t *const *)b)->key);
}

int nm__mem_kv_scan(nm_tx_t *tx, const char *prefix, const char *after, nm_kv_cb cb, void *arg, nm_err_t *err)
{
	const mcoll_t *c = &MB(tx)->coll[K_KV];
	size_t plen = strlen(prefix), n = 0;
	mobj_t **v = nm_xmalloc(sizeof *v * (c->live ? c->live : 1));
	for (size_t i = 0; i < c->n; i++) {
		mobj_t *o = c->slots[i];
		if (o && strncmp(o->key, prefix, plen) == 0 && (!after || strcmp(o->key, after) > 0))
			v[n++] = o;
	}
	qsort(v, n, sizeof *v, key_cmp);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = cb(arg, v[i]->key, v[i]->blob.json, v[i]->blob.len);
	free(v);
	return rc;
}
