/*
 * store_memory.c — the in-process backend ("memory"): brains live in RAM
 * and vanish with the process. For tests and ephemeral brains; it answers
 * exactly what the sqlite backend answers, with linear scans instead of
 * indexes (upstream's InMemoryStorage scans too).
 *
 * Design: each kind of object lives in a collection — a vector of slots in
 * creation order (a deleted object leaves a NULL slot) plus a map by id.
 * Every change inside a write transaction pushes an undo record; a
 * savepoint is a position in that log, so rolling back to it undoes the
 * changes in reverse. Commit drops the log (freeing what deletes and
 * updates left behind) and compacts slot vectors that are mostly holes.
 *
 * Invariants:
 *  1. Slot order is creation order: objects are only appended, and an undo
 *     of a delete puts the object back into its own slot.
 *  2. Undo records are applied strictly last-in first-out, so an undone
 *     insert is always the last slot of its collection.
 *  3. Slots are renumbered (compaction) only at commit, when no undo record
 *     refers to a slot index.
 *
 * Threads: a brain's rwlock is held shared by each read transaction and
 * exclusively by the write transaction, from begin to commit/rollback.
 */
#include "store_memory.h"

#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "mem.h"
#include "text.h"

/* ---- object lifetime ---- */

static void obj_clear(int coll, mobj_t *o)
{
	switch (coll) {
	case K_NEURON:
		nm_neuron_clear(&o->nr.n);
		free(o->nr.lower);
		free(o->nr.key);
		nm_state_clear(&o->nr.state);
		break;
	case K_SYNAPSE: nm_synapse_clear(&o->syn); break;
	case K_FIBER:
		nm_fiber_clear(&o->fib);
		free(o->ftext);
		break;
	default: free(o->blob.json); break;
	}
}

static void obj_free(int coll, mobj_t *o)
{
	if (!o)
		return;
	obj_clear(coll, o);
	free(o->key);
	free(o);
}

/* Deep copy of o's contents (for undo of an update). */
static mobj_t *obj_dup(int coll, const mobj_t *o)
{
	mobj_t *c = nm_xcalloc(1, sizeof *c);
	c->slot = o->slot;
	c->seq = o->seq;
	c->decayed_at = o->decayed_at;
	switch (coll) {
	case K_NEURON:
		nm_neuron_copy(&c->nr.n, &o->nr.n);
		c->nr.lower = nm_xstrndup(o->nr.lower, o->nr.lower_len);
		c->nr.lower_len = o->nr.lower_len;
		c->nr.key = nm_xstrdup(o->nr.key);
		c->nr.has_span = o->nr.has_span;
		c->nr.t0 = o->nr.t0;
		c->nr.t1 = o->nr.t1;
		c->nr.state = o->nr.state;
		c->nr.state.neuron_id = nm_xstrdup(o->nr.state.neuron_id);
		break;
	case K_SYNAPSE: nm_synapse_copy(&c->syn, &o->syn); break;
	case K_FIBER:
		nm_fiber_copy(&c->fib, &o->fib);
		c->ftext = nm_xstrdup(o->ftext);
		break;
	default:
		c->blob.json = nm_xstrndup(o->blob.json, o->blob.len);
		c->blob.len = o->blob.len;
		c->blob.mtype = o->blob.mtype;
		break;
	}
	return c;
}

/* Swap the contents (not slot/seq/key) of two objects. */
static void obj_swap(mobj_t *a, mobj_t *b)
{
	mobj_t t = *a;
	size_t slot = a->slot;
	int64_t seq = a->seq;
	char *key = a->key;
	*a = *b;
	*b = t;
	a->slot = slot, a->seq = seq, a->key = key;
	b->key = NULL;
}

/* ---- collections and the undo log ---- */

static void undo_push(mbrain_t *mb, undo_t u)
{
	if (mb->nundo == mb->capundo) {
		mb->capundo = mb->capundo ? mb->capundo * 2 : 64;
		mb->undo = nm_xrealloc(mb->undo, sizeof *mb->undo * mb->capundo);
	}
	mb->undo[mb->nundo++] = u;
}

mobj_t *nm__mem_get(mbrain_t *mb, int coll, const char *id)
{
	return nm_hmap_get(&mb->coll[coll].by_id, id, strlen(id));
}

void nm__mem_insert(mbrain_t *mb, int coll, mobj_t *o)
{
	mcoll_t *c = &mb->coll[coll];
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->slots = nm_xrealloc(c->slots, sizeof *c->slots * c->cap);
	}
	o->slot = c->n;
	o->seq = mb->next_seq++;
	o->decayed_at = NM_TIME_NONE;
	c->slots[c->n++] = o;
	c->live++;
	nm_hmap_put(&c->by_id, o->key, strlen(o->key), o);
	undo_push(mb, (undo_t){U_INSERT, coll, o, NULL, NULL});
}

void nm__mem_remove(mbrain_t *mb, int coll, mobj_t *o)
{
	mcoll_t *c = &mb->coll[coll];
	c->slots[o->slot] = NULL;
	c->live--;
	nm_hmap_del(&c->by_id, o->key, strlen(o->key));
	undo_push(mb, (undo_t){U_DELETE, coll, o, NULL, NULL});
}

/* Record o's current contents before the caller changes them. */
void nm__mem_will_update(mbrain_t *mb, int coll, mobj_t *o)
{
	undo_push(mb, (undo_t){U_UPDATE, coll, o, obj_dup(coll, o), NULL});
}

static void undo_one(mbrain_t *mb, undo_t *u)
{
	mcoll_t *c = u->kind == U_META ? NULL : &mb->coll[u->coll];
	switch (u->kind) {
	case U_INSERT:
		c->slots[u->obj->slot] = NULL;
		c->n = u->obj->slot; /* invariant 2: it was the last slot */
		c->live--;
		nm_hmap_del(&c->by_id, u->obj->key, strlen(u->obj->key));
		mb->next_seq--;
		obj_free(u->coll, u->obj);
		break;
	case U_DELETE:
		c->slots[u->obj->slot] = u->obj;
		c->live++;
		nm_hmap_put(&c->by_id, u->obj->key, strlen(u->obj->key), u->obj);
		break;
	case U_UPDATE:
		obj_swap(u->obj, u->old);
		obj_free(u->coll, u->old);
		break;
	case U_META:
		free(mb->meta);
		mb->meta = u->old_meta;
		break;
	}
}

/* Forget undo records from position `to` on, keeping their effects. */
static void undo_forget(mbrain_t *mb, size_t to)
{
	for (size_t i = to; i < mb->nundo; i++) {
		undo_t *u = &mb->undo[i];
		if (u->kind == U_DELETE)
			obj_free(u->coll, u->obj);
		else if (u->kind == U_UPDATE)
			obj_free(u->coll, u->old);
		else if (u->kind == U_META)
			free(u->old_meta);
	}
	mb->nundo = to;
}

static void undo_to(mbrain_t *mb, size_t to)
{
	while (mb->nundo > to)
		undo_one(mb, &mb->undo[--mb->nundo]);
}

static void coll_compact(mcoll_t *c)
{
	if (c->live * 2 >= c->n)
		return;
	size_t j = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->slots[i]) {
			c->slots[j] = c->slots[i];
			c->slots[j]->slot = j;
			j++;
		}
	c->n = j;
}

/* ---- store and brain lifetime ---- */

static int mem_open(const nm_store_opts_t *o, void **bs, nm_err_t *err)
{
	*bs = NULL;
	return 0;
}

static void mem_close(void *bs) {}

static int mem_catalog_load(void *bs, int (*cb)(void *, nm_brain_rec_t *), void *arg, nm_err_t *err)
{
	return 0;
}

static int mem_catalog_put(void *bs, const nm_brain_rec_t *rec, const int64_t *prev, nm_err_t *err)
{
	return 0;
}

static int mem_catalog_delete(void *bs, const nm_brain_rec_t *rec, nm_err_t *err)
{
	return 0;
}

static int mem_brain_init(void *bs, const nm_brain_rec_t *rec, nm_err_t *err)
{
	return 0;
}

static int mem_brain_open(void *bs, const nm_brain_rec_t *rec, void **bd, nm_err_t *err)
{
	mbrain_t *mb = nm_xcalloc(1, sizeof *mb);
	mb->next_seq = 1; /* seqs are positive: 0 is "before the first" for cursors */
	pthread_rwlock_init(&mb->lock, NULL);
	mb->meta = nm_xstrdup("{}");
	mb->updated_at = NM_TIME_NONE;
	*bd = mb;
	return 0;
}

static void mem_brain_close(void *bd)
{
	mbrain_t *mb = bd;
	for (int k = 0; k < K__COUNT; k++) {
		mcoll_t *c = &mb->coll[k];
		for (size_t i = 0; i < c->n; i++)
			obj_free(k, c->slots[i]);
		free(c->slots);
		nm_hmap_free(&c->by_id);
	}
	free(mb->meta);
	free(mb->undo);
	free(mb->marks);
	pthread_rwlock_destroy(&mb->lock);
	free(mb);
}

static void mem_brain_destroy(void *bs, const nm_brain_rec_t *rec) {}

/* ---- transactions ---- */

static int tx_new(mbrain_t *mb, nm_tx_t **tx)
{
	mtx_t *t = nm_xcalloc(1, sizeof *t);
	t->mb = mb;
	*tx = &t->base;
	return 0;
}

static int mem_read_begin(void *bd, nm_tx_t **tx, nm_err_t *err)
{
	pthread_rwlock_rdlock(&((mbrain_t *)bd)->lock);
	return tx_new(bd, tx);
}

static void mem_read_end(nm_tx_t *tx)
{
	pthread_rwlock_unlock(&MB(tx)->lock);
	free(tx);
}

static int mem_write_begin(void *bd, nm_tx_t **tx, nm_err_t *err)
{
	pthread_rwlock_wrlock(&((mbrain_t *)bd)->lock);
	return tx_new(bd, tx);
}

static void tx_end(nm_tx_t *tx)
{
	mbrain_t *mb = MB(tx);
	mb->nmarks = 0;
	pthread_rwlock_unlock(&mb->lock);
	free(tx);
}

static int mem_commit(nm_tx_t *tx, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	undo_forget(mb, 0);
	for (int k = 0; k < K__COUNT; k++)
		coll_compact(&mb->coll[k]);
	tx_end(tx);
	return 0;
}

static void mem_rollback(nm_tx_t *tx)
{
	undo_to(MB(tx), 0);
	tx_end(tx);
}

static int mem_savepoint(nm_tx_t *tx, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	if (mb->nmarks == mb->capmarks) {
		mb->capmarks = mb->capmarks ? mb->capmarks * 2 : 8;
		mb->marks = nm_xrealloc(mb->marks, sizeof *mb->marks * mb->capmarks);
	}
	mb->marks[mb->nmarks++] = mb->nundo;
	return 0;
}

static int mem_release(nm_tx_t *tx, nm_err_t *err)
{
	MB(tx)->nmarks--;
	return 0;
}

static void mem_rollback_to(nm_tx_t *tx)
{
	mbrain_t *mb = MB(tx);
	undo_to(mb, mb->marks[--mb->nmarks]);
}

static int mem_set_updated_at(nm_tx_t *tx, int64_t t, nm_err_t *err)
{
	MB(tx)->updated_at = t; /* set only right before commit: nothing to undo */
	return 0;
}

/* ---- neurons ---- */

static void neuron_fill(mobj_t *o, const nm_neuron_t *n)
{
	nm_neuron_copy(&o->nr.n, n);
	o->nr.lower = nm_utf8_lower(n->content, n->content_len, &o->nr.lower_len);
	if (!o->nr.lower) { /* content with invalid UTF-8 cannot come from JSON; match nothing */
		o->nr.lower = nm_xstrdup("");
		o->nr.lower_len = 0;
	}
	o->nr.key = nm_text_key(n->content, n->content_len, NULL);
	o->nr.has_span = n->type == NM_NEURON_TIME && nm__time_span(n->metadata, &o->nr.t0, &o->nr.t1);
}

static int mem_neuron_add(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	if (nm__mem_get(mb, K_NEURON, n->id))
		return nm__exists(err, "Neuron", n->id);
	mobj_t *o = nm_xcalloc(1, sizeof *o);
	o->key = nm_xstrdup(n->id);
	neuron_fill(o, n);
	o->nr.state = (nm_state_t){.neuron_id = nm_xstrdup(n->id), .last_activated = NM_TIME_NONE,
		.decay_rate = NM_STATE_DEFAULT_DECAY, .created_at = nm_time_now()};
	nm__mem_insert(mb, K_NEURON, o);
	return 0;
}

static int mem_neuron_get(nm_tx_t *tx, const char *id, nm_neuron_t *out, nm_err_t *err)
{
	mobj_t *o = nm__mem_get(MB(tx), K_NEURON, id);
	if (!o)
		return nm__not_found(err, "Neuron", id);
	nm_neuron_copy(out, &o->nr.n);
	return 0;
}

static int mem_neuron_update(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	mobj_t *o = nm__mem_get(mb, K_NEURON, n->id);
	if (!o)
		return nm__not_found(err, "Neuron", n->id);
	nm__mem_will_update(mb, K_NEURON, o);
	nm_neuron_clear(&o->nr.n);
	free(o->nr.lower);
	free(o->nr.key);
	neuron_fill(o, n);
	return 0;
}

static int mem_neuron_exists(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	return nm__mem_get(MB(tx), K_NEURON, id) != NULL;
}

static int mem_neuron_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	mobj_t *o = nm__mem_get(mb, K_NEURON, id);
	if (!o)
		return nm__not_found(err, "Neuron", id);
	mcoll_t *c = &mb->coll[K_SYNAPSE];
	for (size_t i = 0; i < c->n; i++) {
		mobj_t *s = c->slots[i];
		if (s && (strcmp(s->syn.source_id, id) == 0 || strcmp(s->syn.target_id, id) == 0)) {
			nm__mem_remove(mb, K_SYNAPSE, s);
			tx->rows++;
		}
	}
	nm__mem_remove(mb, K_NEURON, o);
	return 0;
}

static bool neuron_matches(const mobj_t *o, const nm_neuron_filter_t *f)
{
	const nm_neuron_t *n = &o->nr.n;
	if (f->type >= 0 && (int)n->type != f->type)
		return false;
	if (f->exact && (n->content_len != f->exact_len || memcmp(n->content, f->exact, f->exact_len) != 0))
		return false;
	if (f->contains && !memmem(o->nr.lower, o->nr.lower_len, f->contains, f->contains_len))
		return false;
	if (f->key && (!o->nr.key || strcmp(o->nr.key, f->key) != 0))
		return false;
	if (f->time_start != NM_TIME_NONE && (n->created_at < f->time_start || n->created_at > f->time_end))
		return false;
	return true;
}

/* Apply offset and limit while scanning: returns 1 to emit, 0 to skip,
 * -1 when the limit is reached. */
static int window(int64_t *skip, int64_t *left)
{
	if (*skip > 0) {
		(*skip)--;
		return 0;
	}
	if (*left == 0)
		return -1;
	if (*left > 0)
		(*left)--;
	return 1;
}

static int mem_neuron_scan(nm_tx_t *tx, const nm_neuron_filter_t *f, nm_neuron_cb cb, void *arg, nm_err_t *err)
{
	mcoll_t *c = &MB(tx)->coll[K_NEURON];
	int64_t skip = f->offset, left = f->limit > 0 ? f->limit : -1;
	for (size_t i = 0; i < c->n; i++) {
		mobj_t *o = c->slots[i];
		if (!o || !neuron_matches(o, f))
			continue;
		int w = window(&skip, &left);
		if (w < 0)
			break;
		if (w > 0) {
			int rc = cb(arg, &o->nr.n);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int mem_state_get(nm_tx_t *tx, const char *id, nm_state_t *out, nm_err_t *err)
{
	mobj_t *o = nm__mem_get(MB(tx), K_NEURON, id);
	if (!o)
		return nm__not_found(err, "Neuron", id);
	*out = o->nr.state;
	out->neuron_id = nm_xstrdup(o->nr.state.neuron_id);
	return 0;
}

static int mem_state_put(nm_tx_t *tx, const nm_state_t *s, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	mobj_t *o = nm__mem_get(mb, K_NEURON, s->neuron_id);
	if (!o)
		return nm__not_found(err, "Neuron", s->neuron_id);
	nm__mem_will_update(mb, K_NEURON, o);
	char *nid = o->nr.state.neuron_id;
	o->nr.state = *s;
	o->nr.state.neuron_id = nid;
	return 0;
}

/* ---- synapses ---- */

static int endpoints_exist(mbrain_t *mb, const nm_synapse_t *s, nm_err_t *err)
{
	if (!nm__mem_get(mb, K_NEURON, s->source_id))
		return nm_err_set(err, NM_ST_INVALID, "Source neuron %.*s does not exist", NM_ERR_STR(s->source_id, 255));
	if (!nm__mem_get(mb, K_NEURON, s->target_id))
		return nm_err_set(err, NM_ST_INVALID, "Target neuron %.*s does not exist", NM_ERR_STR(s->target_id, 255));
	return 0;
}

static int mem_synapse_add(nm_tx_t *tx, const nm_synapse_t *s, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	int rc = endpoints_exist(mb, s, err);
	if (rc < 0)
		return rc;
	if (nm__mem_get(mb, K_SYNAPSE, s->id))
		return nm__exists(err, "Synapse", s->id);
	mobj_t *o = nm_xcalloc(1, sizeof *o);
	o->key = nm_xstrdup(s->id);
	nm_synapse_copy(&o->syn, s);
	nm__mem_insert(mb, K_SYNAPSE, o);
	return 0;
}

static int mem_synapse_get(nm_tx_t *tx, const char *id, nm_synapse_t *out, nm_err_t *err)
{
	mobj_t *o = nm__mem_get(MB(tx), K_SYNAPSE, id);
	if (!o)
		return nm__not_found(err, "Synapse", id);
	nm_synapse_copy(out, &o->syn);
	return 0;
}

static int mem_synapse_update(nm_tx_t *tx, const nm_synapse_t *s, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	mobj_t *o = nm__mem_get(mb, K_SYNAPSE, s->id);
	if (!o)
		return nm__not_found(err, "Synapse", s->id);
	int rc = endpoints_exist(mb, s, err);
	if (rc < 0)
		return rc;
	nm__mem_will_update(mb, K_SYNAPSE, o);
	nm_synapse_clear(&o->syn);
	nm_synapse_copy(&o->syn, s);
	return 0;
}

static int mem_synapse_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	mobj_t *o = nm__mem_get(mb, K_SYNAPSE, id);
	if (!o)
		return nm__not_found(err, "Synapse", id);
	nm__mem_remove(mb, K_SYNAPSE, o);
	return 0;
}

static bool synapse_matches(const nm_synapse_t *s, const nm_synapse_filter_t *f)
{
	if (f->source_id && strcmp(s->source_id, f->source_id) != 0)
		return false;
	if (f->target_id && strcmp(s->target_id, f->target_id) != 0)
		return false;
	if (f->type >= 0 && (int)s->type != f->type)
		return false;
	if (f->has_min_weight && !(s->weight >= f->min_weight))
		return false;
	return true;
}

static int mem_synapse_scan(nm_tx_t *tx, const nm_synapse_filter_t *f, nm_synapse_cb cb, void *arg,
                            nm_err_t *err)
{
	mcoll_t *c = &MB(tx)->coll[K_SYNAPSE];
	int64_t skip = f->offset, left = f->limit > 0 ? f->limit : -1;
	for (size_t k = 0; k < c->n; k++) {
		mobj_t *o = c->slots[f->newest_first ? c->n - 1 - k : k];
		if (!o || !synapse_matches(&o->syn, f))
			continue;
		int w = window(&skip, &left);
		if (w < 0)
			break;
		if (w > 0) {
			int rc = cb(arg, &o->syn);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ---- fibers ---- */

/* As the SQLite backend indexes it: the summary when not empty, else the
 * anchor's content as it is now. */
static char *search_text(mbrain_t *mb, const nm_fiber_t *f)
{
	if (f->summary && *f->summary)
		return nm_xstrdup(f->summary);
	const mobj_t *a = nm__mem_get(mb, K_NEURON, f->anchor_neuron_id);
	return a ? nm_xstrndup(a->nr.n.content, a->nr.n.content_len) : NULL;
}

static int mem_fiber_add(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	if (nm__mem_get(mb, K_FIBER, f->id))
		return nm__exists(err, "Fiber", f->id);
	mobj_t *o = nm_xcalloc(1, sizeof *o);
	o->key = nm_xstrdup(f->id);
	nm_fiber_copy(&o->fib, f);
	o->ftext = search_text(mb, f);
	nm__mem_insert(mb, K_FIBER, o);
	return 0;
}

static int mem_fiber_get(nm_tx_t *tx, const char *id, nm_fiber_t *out, nm_err_t *err)
{
	mobj_t *o = nm__mem_get(MB(tx), K_FIBER, id);
	if (!o)
		return nm__not_found(err, "Fiber", id);
	nm_fiber_copy(out, &o->fib);
	return 0;
}

static int mem_fiber_update(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	mobj_t *o = nm__mem_get(mb, K_FIBER, f->id);
	if (!o)
		return nm__not_found(err, "Fiber", f->id);
	nm__mem_will_update(mb, K_FIBER, o);
	bool retext = nm__fiber_retext(o->fib.anchor_neuron_id, o->fib.summary, f);
	nm_fiber_clear(&o->fib);
	nm_fiber_copy(&o->fib, f);
	if (retext) {
		free(o->ftext);
		o->ftext = search_text(mb, f);
	}
	return 0;
}

static int mem_fiber_text(nm_tx_t *tx, const char *id, char **text, nm_err_t *err)
{
	const mobj_t *o = nm__mem_get(MB(tx), K_FIBER, id);
	*text = o ? nm_xstrdup(o->ftext) : NULL;
	return 0;
}

static int mem_fiber_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	mobj_t *o = nm__mem_get(mb, K_FIBER, id);
	if (!o)
		return nm__not_found(err, "Fiber", id);
	mobj_t *tm = nm__mem_get(mb, K_TYPED, id);
	if (tm) {
		nm__mem_remove(mb, K_TYPED, tm);
		tx->rows++;
	}
	nm__mem_remove(mb, K_FIBER, o);
	return 0;
}

static int fiber_cmp(const void *a, const void *b, void *arg)
{
	const nm_fiber_filter_t *f = arg;
	const mobj_t *x = *(mobj_t *const *)a, *y = *(mobj_t *const *)b;
	return nm__fiber_order_cmp(&x->fib, x->seq, &y->fib, y->seq, f->order, f->descending);
}

static int mem_fiber_scan(nm_tx_t *tx, const nm_fiber_filter_t *f, nm_fiber_cb cb, void *arg, nm_err_t *err)
{
	mcoll_t *c = &MB(tx)->coll[K_FIBER];
	mobj_t **hits = nm_xmalloc(sizeof *hits * (c->live + 1));
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->slots[i] && nm__fiber_matches(&c->slots[i]->fib, f))
			hits[n++] = c->slots[i];
	qsort_r(hits, n, sizeof *hits, fiber_cmp, (void *)f);
	int64_t skip = f->offset, left = f->limit > 0 ? f->limit : -1;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		int w = window(&skip, &left);
		if (w < 0)
			break;
		if (w > 0)
			rc = cb(arg, &hits[i]->fib);
	}
	free(hits);
	return rc;
}

/* ---- typed memories, projects, meta, stats ---- */

int nm__mem_blob_put(nm_tx_t *tx, int coll, const char *key, int mtype, const char *data, size_t len)
{
	mbrain_t *mb = MB(tx);
	mobj_t *o = nm__mem_get(mb, coll, key);
	if (o) {
		nm__mem_will_update(mb, coll, o);
		free(o->blob.json);
	} else {
		o = nm_xcalloc(1, sizeof *o);
		o->key = nm_xstrdup(key);
		nm__mem_insert(mb, coll, o);
	}
	o->blob.json = nm_xstrndup(data, len);
	o->blob.len = len;
	o->blob.mtype = mtype;
	return 0;
}

static int blob_scan(nm_tx_t *tx, int coll, nm_blob_cb cb, void *arg)
{
	mcoll_t *c = &MB(tx)->coll[coll];
	for (size_t i = 0; i < c->n; i++) {
		if (!c->slots[i])
			continue;
		int rc = cb(arg, c->slots[i]->key, c->slots[i]->blob.json);
		if (rc)
			return rc;
	}
	return 0;
}

static int mem_typed_memory_put(nm_tx_t *tx, const char *fiber_id, nm_memory_type_t type, const char *json,
                                nm_err_t *err)
{
	return nm__mem_blob_put(tx, K_TYPED, fiber_id, (int)type, json, strlen(json));
}

static int mem_typed_memory_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err)
{
	return blob_scan(tx, K_TYPED, cb, arg);
}

static int mem_typed_memory_counts(nm_tx_t *tx, int64_t *counts, nm_err_t *err)
{
	mcoll_t *c = &MB(tx)->coll[K_TYPED];
	memset(counts, 0, sizeof *counts * NM_MEM__COUNT);
	for (size_t i = 0; i < c->n; i++)
		if (c->slots[i])
			counts[c->slots[i]->blob.mtype]++;
	return 0;
}

static int mem_project_put(nm_tx_t *tx, const char *id, const char *json, nm_err_t *err)
{
	return nm__mem_blob_put(tx, K_PROJECT, id, 0, json, strlen(json));
}

static int mem_project_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err)
{
	return blob_scan(tx, K_PROJECT, cb, arg);
}

static int mem_meta_get(nm_tx_t *tx, char **json, nm_err_t *err)
{
	*json = nm_xstrdup(MB(tx)->meta);
	return 0;
}

static int mem_meta_put(nm_tx_t *tx, const char *json, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	undo_push(mb, (undo_t){.kind = U_META, .old_meta = mb->meta});
	mb->meta = nm_xstrdup(json);
	return 0;
}

static int mem_stats(nm_tx_t *tx, nm_stats_t *out, nm_err_t *err)
{
	mbrain_t *mb = MB(tx);
	out->neurons = (int64_t)mb->coll[K_NEURON].live;
	out->synapses = (int64_t)mb->coll[K_SYNAPSE].live;
	out->fibers = (int64_t)mb->coll[K_FIBER].live;
	out->typed_memories = (int64_t)mb->coll[K_TYPED].live;
	out->projects = (int64_t)mb->coll[K_PROJECT].live;
	out->updated_at = mb->updated_at;
	return 0;
}

static int mem_fiber_counts_since(nm_tx_t *tx, const int64_t *since, int64_t *counts, int n, nm_err_t *err)
{
	mcoll_t *c = &MB(tx)->coll[K_FIBER];
	memset(counts, 0, sizeof *counts * (size_t)n);
	for (size_t i = 0; i < c->n; i++)
		for (int k = 0; c->slots[i] && k < n; k++)
			if (c->slots[i]->fib.created_at >= since[k])
				counts[k]++;
	return 0;
}

static int64_t mem_size_bytes(nm_tx_t *tx)
{
	return 0;
}

const nm_backend_t nm__backend_memory = {
	.name = "memory",
	.evictable = false,
	.open = mem_open,
	.close = mem_close,
	.catalog_load = mem_catalog_load,
	.catalog_put = mem_catalog_put,
	.catalog_delete = mem_catalog_delete,
	.brain_init = mem_brain_init,
	.brain_open = mem_brain_open,
	.brain_close = mem_brain_close,
	.brain_destroy = mem_brain_destroy,
	.read_begin = mem_read_begin,
	.read_end = mem_read_end,
	.write_begin = mem_write_begin,
	.commit = mem_commit,
	.rollback = mem_rollback,
	.savepoint = mem_savepoint,
	.release = mem_release,
	.rollback_to = mem_rollback_to,
	.set_updated_at = mem_set_updated_at,
	.neuron_add = mem_neuron_add,
	.neuron_get = mem_neuron_get,
	.neuron_update = mem_neuron_update,
	.neuron_delete = mem_neuron_delete,
	.neuron_exists = mem_neuron_exists,
	.neuron_scan = mem_neuron_scan,
	.state_get = mem_state_get,
	.state_put = mem_state_put,
	.synapse_add = mem_synapse_add,
	.synapse_get = mem_synapse_get,
	.synapse_update = mem_synapse_update,
	.synapse_delete = mem_synapse_delete,
	.synapse_scan = mem_synapse_scan,
	.fiber_add = mem_fiber_add,
	.fiber_get = mem_fiber_get,
	.fiber_update = mem_fiber_update,
	.fiber_delete = mem_fiber_delete,
	.fiber_scan = mem_fiber_scan,
	.typed_memory_put = mem_typed_memory_put,
	.typed_memory_scan = mem_typed_memory_scan,
	.typed_memory_get = nm__mem_typed_memory_get,
	.typed_memory_counts = mem_typed_memory_counts,
	.project_put = mem_project_put,
	.project_scan = mem_project_scan,
	.meta_get = mem_meta_get,
	.meta_put = mem_meta_put,
	.stats = mem_stats,
	.fiber_counts_since = mem_fiber_counts_since,
	.size_bytes = mem_size_bytes,
	.time_spans = nm__mem_time_spans,
	.fiber_nearest = nm__mem_fiber_nearest,
	.fiber_search = nm__mem_fiber_search,
	.fiber_text = mem_fiber_text,
	.decay_scan = nm__mem_decay_scan,
	.decay_set = nm__mem_decay_set,
	.orphan_scan = nm__mem_orphan_scan,
	.fiber_cursor = nm__mem_fiber_cursor,
	.decay_clock = nm__mem_decay_clock,
	.decay_clock_set = nm__mem_decay_clock_set,
	.used_bytes = mem_size_bytes,
	.kv_put = nm__mem_kv_put,
	.kv_get = nm__mem_kv_get,
	.kv_del = nm__mem_kv_del,
	.kv_scan = nm__mem_kv_scan,
};
