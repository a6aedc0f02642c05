/*
 * gindex.c — the in-memory graph index of a brain (gindex.h).
 *
 * Layout: neurons, synapses and fibers are slots in growable arrays; an
 * object's slot never moves, a removed object leaves a dead slot (reused
 * never: `ord`, its position, is also its creation order, which the
 * engine's tie-breaks depend on — ENGINE.md §7.2). Maps by id give the
 * slot. Each neuron keeps its out- and in-synapses and its fibers as slot
 * lists in creation order; the key map lists neurons per matching key
 * (nm_text_key of the content); time neurons with a denoted interval and
 * fibers with a time_start are also kept sorted by time; the fibers'
 * search texts are inverted lists by fiber slot (gindex_text.c).
 *
 * Invariants:
 *  1. A live synapse's slot is in its source's out list and its target's
 *     in list (once each, a self-loop in both), nowhere else.
 *  2. A live fiber's slot is in the fiber list of every live neuron its
 *     neuron_ids name (a fiber may name neurons the index does not hold:
 *     they get it when they appear).
 *  3. Every list holds slots in increasing `ord`, i.e. creation order.
 *  4. The index equals a storage snapshot: the one it was built from, then
 *     every commit replayed in order (nm__gx_commit re-reads each changed
 *     object after the commit, so a replay is exact whatever the
 *     transaction's own steps were).
 *
 * Memory: `bytes` estimates the index's footprint (strings, slots, lists,
 * map entries); the store keeps the sum within its budget by dropping the
 * least recently used indexes before a build.
 */
#include "gindex.h"

#include <stdlib.h>
#include <string.h>

#include "gindex_text.h"
#include "hmap.h"
#include "isotime.h"
#include "mem.h"
#include "text.h"

#include "codec.h"

typedef struct slots {
	uint32_t *v;
	uint32_t n, cap;
} slots_t;

typedef struct gneuron {
	nm_gneuron_t g;               /* id, content owned */
	char *key;                    /* nm_text_key(content) */
	size_t klen;
	bool live, has_span;
	int64_t t0, t1;               /* the interval a time neuron denotes */
	slots_t out, in, fibers;
} gneuron_t;

typedef struct gsynapse {
	char *id;
	uint32_t src, dst;            /* neuron slots */
	const char *src_id, *dst_id;  /* their ids (borrowed): an edge list reads no neuron */
	double weight;
	nm_synapse_type_t type;
	bool live;
} gsynapse_t;

typedef struct gfiber {
	nm_gfiber_t g;                /* id, anchor, summary owned */
	nm_strv_t neuron_ids;         /* to leave their lists when it changes */
	bool live;
} gfiber_t;

typedef struct keylist {
	char *key;                    /* the map's key (its own copy: neurons change content) */
	slots_t neurons;
} keylist_t;

typedef struct waiting {
	char *id;                     /* the map's key */
	slots_t fibers;
} waiting_t;

typedef struct sorted {
	int64_t key;
	uint32_t slot;
} sorted_t;

typedef struct sortvec {
	sorted_t *v;
	size_t n, cap;
} sortvec_t;

struct nm_gindex {
	gneuron_t *neurons;
	gsynapse_t *synapses;
	gfiber_t *fibers;
	uint32_t nn, ns, nf, capn, caps, capf;
	nm_hmap_t neuron_by_id, synapse_by_id, fiber_by_id; /* id → slot + 1 */
	nm_hmap_t by_key;             /* key → keylist_t* */
	sortvec_t spans;              /* time neurons by t0 */
	int64_t max_span;             /* longest t1 - t0 among them */
	sortvec_t starts;             /* fibers by time_start */
	nm_hmap_t waiting;            /* neuron id not held yet → waiting_t* (fibers naming it) */
	nm_gxt_t text;                /* fibers' search texts by fiber slot (gindex_text.h) */
	size_t bytes;                 /* includes text.bytes */
};

/* ---- small containers ---- */

static void slots_add(slots_t *s, uint32_t x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->v = nm_xrealloc(s->v, sizeof *s->v * s->cap);
	}
	s->v[s->n++] = x; /* callers add in increasing slot order (invariant 3) */
}

/* Insert x keeping the list sorted (replays may add an old object). */
static void slots_insert(slots_t *s, uint32_t x)
{
	if (!s->n || s->v[s->n - 1] < x) {
		slots_add(s, x);
		return;
	}
	uint32_t i = s->n;
	while (i > 0 && s->v[i - 1] > x)
		i--;
	if (i > 0 && s->v[i - 1] == x)
		return;
	slots_add(s, x);
	memmove(&s->v[i + 1], &s->v[i], sizeof *s->v * (s->n - 1 - i));
	s->v[i] = x;
}

static void slots_remove(slots_t *s, uint32_t x)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i] == x) {
			memmove(&s->v[i], &s->v[i + 1], sizeof *s->v * (s->n - i - 1));
			s->n--;
			return;
		}
}

static void sort_insert(sortvec_t *sv, int64_t key, uint32_t slot)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 64;
		sv->v = nm_xrealloc(sv->v, sizeof *sv->v * sv->cap);
	}
	size_t lo = 0, hi = sv->n; /* first position with a greater (key, slot) */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sv->v[mid].key < key || (sv->v[mid].key == key && sv->v[mid].slot < slot))
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&sv->v[lo + 1], &sv->v[lo], sizeof *sv->v * (sv->n - lo));
	sv->v[lo] = (sorted_t){key, slot};
	sv->n++;
}

static void sort_remove(sortvec_t *sv, int64_t key, uint32_t slot)
{
	size_t lo = 0, hi = sv->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sv->v[mid].key < key || (sv->v[mid].key == key && sv->v[mid].slot < slot))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sv->n && sv->v[lo].key == key && sv->v[lo].slot == slot) {
		memmove(&sv->v[lo], &sv->v[lo + 1], sizeof *sv->v * (sv->n - lo - 1));
		sv->n--;
	}
}

/* First position whose key is >= key. */
static size_t sort_lower(const sortvec_t *sv, int64_t key)
{
	size_t lo = 0, hi = sv->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sv->v[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t slot_of(const nm_hmap_t *m, const char *id)
{
	return (uint32_t)(uintptr_t)nm_hmap_get(m, id, strlen(id)); /* slot + 1, 0 = none */
}

/* Fiber f names neuron id, which the index does not hold. */
static void wait_for(nm_gindex_t *gx, const char *id, uint32_t f)
{
	waiting_t *w = nm_hmap_get(&gx->waiting, id, strlen(id));
	if (!w) {
		w = nm_xcalloc(1, sizeof *w);
		w->id = nm_xstrdup(id);
		nm_hmap_put(&gx->waiting, w->id, strlen(w->id), w);
	}
	slots_insert(&w->fibers, f);
}

/* ---- neurons ---- */

static void unkey(nm_gindex_t *gx, gneuron_t *n, uint32_t slot)
{
	if (!n->key)
		return;
	keylist_t *l = nm_hmap_get(&gx->by_key, n->key, n->klen);
	if (l) {
		slots_remove(&l->neurons, slot);
		if (!l->neurons.n) {
			nm_hmap_del(&gx->by_key, n->key, n->klen);
			free(l->key);
			free(l->neurons.v);
			free(l);
		}
	}
}

/* Index the content-derived parts of neuron slot (key, time span). */
static void set_content(nm_gindex_t *gx, uint32_t slot, const nm_neuron_t *src)
{
	gneuron_t *n = &gx->neurons[slot];
	unkey(gx, n, slot);
	if (n->has_span)
		sort_remove(&gx->spans, n->t0, slot);
	free((char *)n->g.content);
	free(n->key);
	n->g.type = src->type;
	n->g.content = nm_xstrndup(src->content, src->content_len);
	n->g.content_len = src->content_len;
	n->g.created_at = src->created_at;
	n->key = nm_text_key(src->content, src->content_len, &n->klen);
	if (n->key) {
		keylist_t *l = nm_hmap_get(&gx->by_key, n->key, n->klen);
		if (!l) {
			l = nm_xcalloc(1, sizeof *l);
			l->key = nm_xstrndup(n->key, n->klen);
			nm_hmap_put(&gx->by_key, l->key, n->klen, l);
			gx->bytes += n->klen + 48;
		}
		slots_insert(&l->neurons, slot);
	}
	n->has_span = src->type == NM_NEURON_TIME && nm__time_span(src->metadata, &n->t0, &n->t1);
	if (n->has_span) {
		sort_insert(&gx->spans, n->t0, slot);
		if (n->t1 - n->t0 > gx->max_span)
			gx->max_span = n->t1 - n->t0;
	}
	gx->bytes += src->content_len + n->klen + 64;
}

static uint32_t neuron_put(nm_gindex_t *gx, const nm_neuron_t *src)
{
	uint32_t s = slot_of(&gx->neuron_by_id, src->id);
	if (s) {
		set_content(gx, s - 1, src);
		return s - 1;
	}
	if (gx->nn == gx->capn) {
		gx->capn = gx->capn ? gx->capn * 2 : 1024;
		gx->neurons = nm_xrealloc(gx->neurons, sizeof *gx->neurons * gx->capn);
	}
	uint32_t slot = gx->nn++;
	gneuron_t *n = &gx->neurons[slot];
	memset(n, 0, sizeof *n);
	n->g.id = nm_xstrdup(src->id);
	n->live = true;
	nm_hmap_put(&gx->neuron_by_id, n->g.id, strlen(n->g.id), (void *)(uintptr_t)(slot + 1));
	set_content(gx, slot, src);
	gx->bytes += sizeof *n + strlen(src->id) + 48;
	return slot;
}

static void synapse_unlink(nm_gindex_t *gx, uint32_t s);

static void neuron_remove(nm_gindex_t *gx, uint32_t slot)
{
	gneuron_t *n = &gx->neurons[slot];
	if (!n->live)
		return;
	/* its synapses went with it in storage */
	while (n->out.n)
		synapse_unlink(gx, n->out.v[n->out.n - 1]);
	while (n->in.n)
		synapse_unlink(gx, n->in.v[n->in.n - 1]);
	unkey(gx, n, slot);
	if (n->has_span)
		sort_remove(&gx->spans, n->t0, slot);
	nm_hmap_del(&gx->neuron_by_id, n->g.id, strlen(n->g.id));
	n->live = false;
	for (uint32_t i = 0; i < n->fibers.n; i++) /* they still name it */
		wait_for(gx, n->g.id, n->fibers.v[i]);
	n->fibers.n = 0;
}

/* ---- synapses ---- */

static void synapse_unlink(nm_gindex_t *gx, uint32_t s)
{
	gsynapse_t *y = &gx->synapses[s];
	if (!y->live)
		return;
	slots_remove(&gx->neurons[y->src].out, s);
	slots_remove(&gx->neurons[y->dst].in, s);
	nm_hmap_del(&gx->synapse_by_id, y->id, strlen(y->id));
	y->live = false;
}

/* Put a synapse (new, or changed). One whose ends the index does not hold
 * is left out (storage refuses such synapses; only a replay of several
 * commits can meet one, and the later replay of its neuron fixes it). */
static void synapse_put(nm_gindex_t *gx, const nm_synapse_t *src)
{
	uint32_t a = slot_of(&gx->neuron_by_id, src->source_id), b = slot_of(&gx->neuron_by_id, src->target_id);
	uint32_t s = slot_of(&gx->synapse_by_id, src->id);
	if (s && gx->synapses[s - 1].src == a - 1 && gx->synapses[s - 1].dst == b - 1 && a && b) {
		gx->synapses[s - 1].weight = src->weight; /* the usual change: a weight */
		gx->synapses[s - 1].type = src->type;
		return;
	}
	if (s)
		synapse_unlink(gx, s - 1); /* ends changed: link again, same slot (creation order) */
	if (!a || !b)
		return;
	if (!s) {
		if (gx->ns == gx->caps) {
			gx->caps = gx->caps ? gx->caps * 2 : 1024;
			gx->synapses = nm_xrealloc(gx->synapses, sizeof *gx->synapses * gx->caps);
		}
		s = ++gx->ns;
		gx->synapses[s - 1] = (gsynapse_t){.id = nm_xstrdup(src->id)};
		gx->bytes += sizeof(gsynapse_t) + strlen(src->id) + 56;
	}
	gsynapse_t *y = &gx->synapses[s - 1];
	y->src = a - 1;
	y->dst = b - 1;
	y->src_id = gx->neurons[a - 1].g.id;
	y->dst_id = gx->neurons[b - 1].g.id;
	y->weight = src->weight;
	y->type = src->type;
	y->live = true;
	nm_hmap_put(&gx->synapse_by_id, y->id, strlen(y->id), (void *)(uintptr_t)s);
	slots_insert(&gx->neurons[a - 1].out, s - 1);
	slots_insert(&gx->neurons[b - 1].in, s - 1);
}

static void synapse_remove(nm_gindex_t *gx, const char *id)
{
	uint32_t s = slot_of(&gx->synapse_by_id, id);
	if (s)
		synapse_unlink(gx, s - 1);
}

/* ---- fibers ---- */

static void fiber_unlink(nm_gindex_t *gx, uint32_t f)
{
	gfiber_t *x = &gx->fibers[f];
	for (size_t i = 0; i < x->neuron_ids.n; i++) {
		uint32_t n = slot_of(&gx->neuron_by_id, x->neuron_ids.v[i]);
		if (n)
			slots_remove(&gx->neurons[n - 1].fibers, f);
	}
	if (x->g.time_start != NM_TIME_NONE)
		sort_remove(&gx->starts, x->g.time_start, f);
}

/* A fiber's search text, counted in the index's bytes. */
static void set_text(nm_gindex_t *gx, uint32_t f, const char *text)
{
	size_t before = gx->text.bytes;
	nm__gxt_set(&gx->text, f, text);
	gx->bytes = gx->bytes - before + gx->text.bytes;
}

/* Put a fiber as storage holds it, with its search text (nm_tx_fiber_text). */
static void fiber_put(nm_gindex_t *gx, const nm_fiber_t *src, const char *text)
{
	uint32_t s = slot_of(&gx->fiber_by_id, src->id);
	if (!s) {
		if (gx->nf == gx->capf) {
			gx->capf = gx->capf ? gx->capf * 2 : 1024;
			gx->fibers = nm_xrealloc(gx->fibers, sizeof *gx->fibers * gx->capf);
		}
		s = ++gx->nf;
		gfiber_t *x = &gx->fibers[s - 1];
		memset(x, 0, sizeof *x);
		x->g.id = nm_xstrdup(src->id);
		x->g.time_start = NM_TIME_NONE;
		x->live = true;
		nm_hmap_put(&gx->fiber_by_id, x->g.id, strlen(x->g.id), (void *)(uintptr_t)s);
		gx->bytes += sizeof *x + strlen(src->id) + 48;
	} else {
		fiber_unlink(gx, s - 1);
	}
	uint32_t f = s - 1;
	gfiber_t *x = &gx->fibers[f];
	free((char *)x->g.anchor);
	free((char *)x->g.summary);
	nm_strv_clear(&x->neuron_ids);
	x->g.anchor = nm_xstrdup(src->anchor_neuron_id);
	x->g.summary = nm_xstrdup(src->summary);
	x->g.salience = src->salience;
	x->g.time_start = src->time_start;
	x->g.time_end = src->time_end;
	x->g.created_at = src->created_at;
	nm_strv_copy(&x->neuron_ids, &src->neuron_ids);
	for (size_t i = 0; i < src->neuron_ids.n; i++) {
		const char *nid = src->neuron_ids.v[i];
		uint32_t n = slot_of(&gx->neuron_by_id, nid);
		if (n) {
			slots_insert(&gx->neurons[n - 1].fibers, f);
		} else { /* a neuron it names is not here (yet): remember */
			wait_for(gx, nid, f);
		}
		gx->bytes += 8 + strlen(nid);
	}
	if (x->g.time_start != NM_TIME_NONE)
		sort_insert(&gx->starts, x->g.time_start, f);
	set_text(gx, f, text);
}

static void fiber_remove(nm_gindex_t *gx, const char *id)
{
	uint32_t s = slot_of(&gx->fiber_by_id, id);
	if (!s)
		return;
	fiber_unlink(gx, s - 1);
	set_text(gx, s - 1, NULL);
	nm_hmap_del(&gx->fiber_by_id, id, strlen(id));
	gx->fibers[s - 1].live = false;
}

/* A neuron that appears after fibers naming it gets those fibers
 * (invariant 2); stale entries (fibers changed since) are skipped. */
static void adopt_fibers(nm_gindex_t *gx, uint32_t slot)
{
	const char *id = gx->neurons[slot].g.id;
	waiting_t *w = nm_hmap_del(&gx->waiting, id, strlen(id));
	if (!w)
		return;
	for (uint32_t i = 0; i < w->fibers.n; i++) {
		const gfiber_t *x = &gx->fibers[w->fibers.v[i]];
		if (x->live && nm_strv_has(&x->neuron_ids, id))
			slots_insert(&gx->neurons[slot].fibers, w->fibers.v[i]);
	}
	free(w->id);
	free(w->fibers.v);
	free(w);
}

/* ---- build and free ---- */

static void free_key_list(void *arg, const char *key, size_t klen, void *val)
{
	keylist_t *l = val;
	free(l->key);
	free(l->neurons.v);
	free(l);
}

static void free_waiting(void *arg, const char *key, size_t klen, void *val)
{
	waiting_t *w = val;
	free(w->id);
	free(w->fibers.v);
	free(w);
}

static void gx_free(nm_gindex_t *gx)
{
	if (!gx)
		return;
	for (uint32_t i = 0; i < gx->nn; i++) {
		gneuron_t *n = &gx->neurons[i];
		free((char *)n->g.id);
		free((char *)n->g.content);
		free(n->key);
		free(n->out.v);
		free(n->in.v);
		free(n->fibers.v);
	}
	for (uint32_t i = 0; i < gx->ns; i++)
		free(gx->synapses[i].id);
	for (uint32_t i = 0; i < gx->nf; i++) {
		gfiber_t *x = &gx->fibers[i];
		free((char *)x->g.id);
		free((char *)x->g.anchor);
		free((char *)x->g.summary);
		nm_strv_clear(&x->neuron_ids);
	}
	nm_hmap_each(&gx->by_key, free_key_list, NULL);
	nm_hmap_free(&gx->by_key);
	nm_hmap_each(&gx->waiting, free_waiting, NULL);
	nm_hmap_free(&gx->waiting);
	nm_hmap_free(&gx->neuron_by_id);
	nm_hmap_free(&gx->synapse_by_id);
	nm_hmap_free(&gx->fiber_by_id);
	nm__gxt_free(&gx->text);
	free(gx->spans.v);
	free(gx->starts.v);
	free(gx->neurons);
	free(gx->synapses);
	free(gx->fibers);
	free(gx);
}

static int build_neuron(void *arg, const nm_neuron_t *n)
{
	neuron_put(arg, n);
	return 0;
}

static int build_synapse(void *arg, const nm_synapse_t *s)
{
	synapse_put(arg, s);
	return 0;
}

typedef struct build_ctx {
	nm_gindex_t *gx;
	nm_tx_t *tx;
	nm_err_t *err;
} build_ctx_t;

static int build_fiber(void *arg, const nm_fiber_t *f)
{
	build_ctx_t *b = arg;
	char *text;
	int rc = nm_tx_fiber_text(b->tx, f->id, &text, b->err);
	if (rc == 0)
		fiber_put(b->gx, f, text);
	free(text);
	return rc;
}

/* The whole brain as of tx's snapshot, in creation order. */
static nm_gindex_t *build(nm_tx_t *tx, nm_err_t *err)
{
	nm_gindex_t *gx = nm_xcalloc(1, sizeof *gx);
	nm_neuron_filter_t nf = NM_NEURON_FILTER_INIT;
	nm_synapse_filter_t sf = NM_SYNAPSE_FILTER_INIT;
	nm_fiber_filter_t ff = NM_FIBER_FILTER_INIT;
	ff.order = NM_ORDER_INSERTION;
	ff.descending = false;
	nm_tx_bulk(tx);
	int rc = nm_tx_neuron_scan(tx, &nf, build_neuron, gx, err);
	if (rc == 0)
		rc = nm_tx_synapse_scan(tx, &sf, build_synapse, gx, err);
	build_ctx_t bc = {gx, tx, err};
	if (rc == 0)
		rc = nm_tx_fiber_scan(tx, &ff, build_fiber, &bc, err);
	if (rc < 0) {
		gx_free(gx);
		return NULL;
	}
	return gx;
}

/* ---- the brain's index ---- */

nm_gindex_t *nm__gx_open(nm_brain_t *b, nm_err_t *err)
{
	int64_t budget = nm__store_graph_budget(b->st);
	if (budget <= 0)
		return NULL;
	atomic_store(&b->gx_used, nm_time_now());
	pthread_rwlock_rdlock(&b->gx_lock);
	if (b->gx)
		return b->gx;
	pthread_rwlock_unlock(&b->gx_lock);
	nm__store_graph_make_room(b->st, b);
	pthread_rwlock_wrlock(&b->gx_lock);
	if (!b->gx) {
		/* the snapshot starts under the lock: a commit either lands before
		 * it (and is in the snapshot) or replays after the build */
		nm_tx_t *tx;
		nm_err_t e = {0};
		if (nm_brain_read_begin(b, &tx, &e) == 0) {
			b->gx = build(tx, &e);
			nm_brain_read_end(tx);
		}
		if (b->gx)
			nm__store_graph_bytes(b->st, (int64_t)b->gx->bytes);
		else if (err)
			*err = e;
	}
	pthread_rwlock_unlock(&b->gx_lock);
	pthread_rwlock_rdlock(&b->gx_lock);
	if (b->gx)
		return b->gx;
	pthread_rwlock_unlock(&b->gx_lock);
	return NULL;
}

void nm__gx_close(nm_brain_t *b)
{
	pthread_rwlock_unlock(&b->gx_lock);
}

void nm__gx_drop(nm_brain_t *b)
{
	pthread_rwlock_wrlock(&b->gx_lock);
	nm_gindex_t *gx = b->gx;
	b->gx = NULL;
	pthread_rwlock_unlock(&b->gx_lock);
	if (gx) {
		nm__store_graph_bytes(b->st, -(int64_t)gx->bytes);
		gx_free(gx);
	}
}

/* A deleted object leaves the index. */
static void forget(nm_gindex_t *gx, char kind, const char *id)
{
	if (kind == 'n') {
		uint32_t s = slot_of(&gx->neuron_by_id, id);
		if (s)
			neuron_remove(gx, s - 1);
	} else if (kind == 's') {
		synapse_remove(gx, id);
	} else {
		fiber_remove(gx, id);
	}
}

/* Re-read one changed object and put it (or its absence) in the index.
 * false when storage could not say (an I/O error, a lost connection): the
 * index is then dropped rather than left without the object. */
static bool replay(nm_gindex_t *gx, nm_tx_t *tx, char kind, const char *id)
{
	nm_err_t e = {0};
	int rc;
	if (kind == 'n') {
		nm_neuron_t n = {0};
		if ((rc = nm_tx_neuron_get(tx, id, &n, &e)) == 0) {
			bool fresh = !slot_of(&gx->neuron_by_id, id);
			uint32_t slot = neuron_put(gx, &n);
			if (fresh)
				adopt_fibers(gx, slot);
		} else if (rc == -NM_ST_NOT_FOUND) {
			uint32_t s = slot_of(&gx->neuron_by_id, id);
			if (s)
				neuron_remove(gx, s - 1);
		}
		nm_neuron_clear(&n);
	} else if (kind == 's') {
		nm_synapse_t y = {0};
		if ((rc = nm_tx_synapse_get(tx, id, &y, &e)) == 0)
			synapse_put(gx, &y);
		else if (rc == -NM_ST_NOT_FOUND)
			synapse_remove(gx, id);
		nm_synapse_clear(&y);
	} else {
		nm_fiber_t f = {0};
		char *text = NULL;
		if ((rc = nm_tx_fiber_get(tx, id, &f, &e)) == 0 && (rc = nm_tx_fiber_text(tx, id, &text, &e)) == 0)
			fiber_put(gx, &f, text);
		else if (rc == -NM_ST_NOT_FOUND)
			fiber_remove(gx, id);
		free(text);
		nm_fiber_clear(&f);
	}
	return rc == 0 || rc == -NM_ST_NOT_FOUND;
}

void nm__gx_commit(nm_brain_t *b, const nm_gx_log_t *log)
{
	if (!log->n && !log->rebuild)
		return;
	if (log->rebuild) {
		nm__gx_drop(b); /* rebuilt by the next query */
		return;
	}
	pthread_rwlock_wrlock(&b->gx_lock);
	nm_gindex_t *gx = b->gx;
	nm_tx_t *tx;
	nm_err_t e = {0};
	nm_strv_t del_keys = {0};     /* owns last_del's keys */
	if (gx && nm_brain_read_begin(b, &tx, &e) == 0) {
		size_t before = gx->bytes;
		if (tx->be->prefetch) /* a round trip per kind, not per object (postgres) */
			tx->be->prefetch(tx, log);
		/* deletes first: an object deleted and created again in one commit
		 * is a new row in storage (it sorts last), so here it must be a new
		 * slot, created at its last creation, i.e. the first of its log
		 * entries after its last delete; earlier entries are skipped */
		nm_hmap_t last_del = {0};
		for (size_t i = 0; i < log->n; i++)
			if (log->kinds[i] >= 'A' && log->kinds[i] <= 'Z') {
				forget(gx, (char)(log->kinds[i] - 'A' + 'a'), log->ids[i]);
				char *key = nm_xasprintf("%c%s", log->kinds[i] - 'A' + 'a', log->ids[i]);
				nm_strv_push(&del_keys, key);
				nm_hmap_put(&last_del, key, strlen(key), (void *)(uintptr_t)(i + 1));
			}
		/* then what is there now: neurons first, so synapses and fibers
		 * find their ends; new objects in creation (log) order */
		static const char order[] = "nsf";
		bool intact = true;
		for (int k = 0; k < 3 && intact; k++)
			for (size_t i = 0; i < log->n && intact; i++) {
				if (log->kinds[i] != order[k])
					continue;
				char key[NM_ID_MAX + 2];
				snprintf(key, sizeof key, "%c%s", log->kinds[i], log->ids[i]);
				if ((uintptr_t)nm_hmap_get(&last_del, key, strlen(key)) > i)
					continue; /* before its last delete: not what storage holds */
				intact = replay(gx, tx, log->kinds[i], log->ids[i]);
			}
		nm_hmap_free(&last_del);
		nm_strv_clear(&del_keys);
		nm_brain_read_end(tx);
		nm__store_graph_bytes(b->st, (int64_t)gx->bytes - (int64_t)before);
		if (!intact) { /* storage could not answer: drop, rebuild later */
			b->gx = NULL;
			nm__store_graph_bytes(b->st, -(int64_t)gx->bytes);
			gx_free(gx);
		}
	} else if (gx) {
		b->gx = NULL; /* cannot replay: drop, rebuild later */
		nm__store_graph_bytes(b->st, -(int64_t)gx->bytes);
		gx_free(gx);
	}
	pthread_rwlock_unlock(&b->gx_lock);
}

/* ---- change logs ---- */

void nm__gx_log_note(nm_gx_log_t *log, char kind, const char *id)
{
	if (log->rebuild)
		return;
	if (log->n == NM_GX_LOG_MAX) {
		nm__gx_log_free(log);
		log->rebuild = true;
		return;
	}
	if (log->n == log->cap) {
		log->cap = log->cap ? log->cap * 2 : 16;
		log->kinds = nm_xrealloc(log->kinds, log->cap);
		log->ids = nm_xrealloc(log->ids, sizeof *log->ids * log->cap);
	}
	log->kinds[log->n] = kind;
	log->ids[log->n++] = nm_xstrdup(id);
}

void nm__gx_log_free(nm_gx_log_t *log)
{
	for (size_t i = 0; i < log->n; i++)
		free(log->ids[i]);
	free(log->kinds);
	free(log->ids);
	bool rebuild = log->rebuild;
	memset(log, 0, sizeof *log);
	log->rebuild = rebuild;
}

/* ---- queries ---- */

const nm_gneuron_t *nm__gx_neuron(nm_gindex_t *gx, const char *id)
{
	uint32_t s = slot_of(&gx->neuron_by_id, id);
	return s ? &gx->neurons[s - 1].g : NULL;
}

const nm_gfiber_t *nm__gx_fiber(nm_gindex_t *gx, const char *id)
{
	uint32_t s = slot_of(&gx->fiber_by_id, id);
	return s ? &gx->fibers[s - 1].g : NULL;
}

int nm__gx_edges(nm_gindex_t *gx, const char *id, double min_weight, int cap, nm_edge_t **buf, size_t *bufcap,
                 size_t *n)
{
	uint32_t s = slot_of(&gx->neuron_by_id, id);
	*n = 0;
	if (!s)
		return 0;
	const gneuron_t *x = &gx->neurons[s - 1];
	const slots_t *lists[2] = {&x->out, &x->in};
	if (*bufcap < (size_t)x->out.n + x->in.n + 1) {
		*bufcap = (size_t)x->out.n + x->in.n + 1;
		*buf = nm_xrealloc(*buf, sizeof **buf * *bufcap);
	}
	nm_edge_t *v = *buf;
	for (int d = 0; d < 2; d++) {
		const slots_t *l = lists[d];
		uint32_t from = cap > 0 && l->n > (uint32_t)cap ? l->n - (uint32_t)cap : 0; /* the newest cap */
		for (uint32_t i = from; i < l->n; i++) {
			const gsynapse_t *y = &gx->synapses[l->v[i]];
			if (d == 1 && y->src == y->dst)
				continue; /* a self-loop is listed once, as out */
			if (y->weight < min_weight)
				continue;
			v[(*n)++] = (nm_edge_t){d == 0 ? y->dst_id : y->src_id, y->id, y->weight, y->type, d == 0};
		}
	}
	return 0;
}

int nm__gx_find_key(nm_gindex_t *gx, const char *key, size_t klen, int64_t limit, nm_idlist_t *out)
{
	memset(out, 0, sizeof *out);
	const keylist_t *kl = nm_hmap_get(&gx->by_key, key, klen);
	if (!kl)
		return 0;
	const slots_t *l = &kl->neurons;
	size_t n = limit > 0 && (size_t)limit < l->n ? (size_t)limit : l->n;
	out->v = nm_xmalloc(sizeof *out->v * (n + 1));
	for (size_t i = 0; i < n; i++)
		out->v[out->n++] = gx->neurons[l->v[i]].g.id;
	return 0;
}

static int by_start_desc(const void *a, const void *b)
{
	const sorted_t *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return x->slot < y->slot ? 1 : x->slot > y->slot ? -1 : 0; /* then newest */
}

int nm__gx_time_spans(nm_gindex_t *gx, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_idlist_t *out)
{
	memset(out, 0, sizeof *out);
	/* overlap: n.t0 <= t1 and n.t1 >= t0, so n.t0 >= t0 - max_span */
	size_t i = sort_lower(&gx->spans, exact ? t0 : t0 - gx->max_span);
	sorted_t *hits = NULL;
	size_t nh = 0, caph = 0;
	for (; i < gx->spans.n && gx->spans.v[i].key <= (exact ? t0 : t1); i++) {
		const gneuron_t *n = &gx->neurons[gx->spans.v[i].slot];
		bool hit = exact ? n->t0 == t0 && n->t1 == t1 : n->t1 >= t0;
		if (!hit)
			continue;
		if (nh == caph) {
			caph = caph ? caph * 2 : 16;
			hits = nm_xrealloc(hits, sizeof *hits * caph);
		}
		hits[nh++] = gx->spans.v[i];
	}
	if (nh)
		qsort(hits, nh, sizeof *hits, by_start_desc);
	size_t n = limit > 0 && (size_t)limit < nh ? (size_t)limit : nh;
	out->v = nm_xmalloc(sizeof *out->v * (n + 1));
	for (size_t k = 0; k < n; k++)
		out->v[out->n++] = gx->neurons[hits[k].slot].g.id;
	free(hits);
	return 0;
}

int nm__gx_fibers_of(nm_gindex_t *gx, const char *id, bool newest_first, int64_t limit, nm_fiberlist_t *out)
{
	memset(out, 0, sizeof *out);
	uint32_t s = slot_of(&gx->neuron_by_id, id);
	const slots_t *l = NULL;
	bool check = false;
	if (s) {
		l = &gx->neurons[s - 1].fibers;
	} else { /* fibers may name a neuron that is not there */
		const waiting_t *w = nm_hmap_get(&gx->waiting, id, strlen(id));
		l = w ? &w->fibers : NULL;
		check = true; /* entries may be stale */
	}
	if (!l)
		return 0;
	out->v = nm_xmalloc(sizeof *out->v * (l->n + 1));
	for (size_t i = 0; i < l->n && (limit <= 0 || (int64_t)out->n < limit); i++) {
		const gfiber_t *x = &gx->fibers[l->v[newest_first ? l->n - 1 - i : i]];
		if (!check || (x->live && nm_strv_has(&x->neuron_ids, id)))
			out->v[out->n++] = &x->g;
	}
	return 0;
}

typedef struct near {
	int64_t dist;
	uint32_t slot;
} near_t;

static int by_near(const void *a, const void *b)
{
	const near_t *x = a, *y = b;
	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	return x->slot < y->slot ? 1 : x->slot > y->slot ? -1 : 0; /* ties: newest first */
}

int nm__gx_fibers_nearest(nm_gindex_t *gx, int64_t ts, int64_t max_dist, int64_t k, nm_fiberlist_t *out)
{
	memset(out, 0, sizeof *out);
	size_t lo = sort_lower(&gx->starts, ts - max_dist), hi = sort_lower(&gx->starts, ts + max_dist + 1);
	/* every fiber in the window is a candidate; windows are narrow (hours) */
	near_t *c = nm_xmalloc(sizeof *c * (hi - lo + 1));
	size_t n = 0;
	for (size_t i = lo; i < hi; i++) {
		int64_t d = gx->starts.v[i].key - ts;
		c[n++] = (near_t){d < 0 ? -d : d, gx->starts.v[i].slot};
	}
	if (n)
		qsort(c, n, sizeof *c, by_near);
	size_t m = (int64_t)n < k ? n : (size_t)k;
	out->v = nm_xmalloc(sizeof *out->v * (m + 1));
	for (size_t i = 0; i < m; i++)
		out->v[out->n++] = &gx->fibers[c[i].slot].g;
	free(c);
	return 0;
}

int nm__gx_fiber_search(nm_gindex_t *gx, const nm_strv_t *terms, int64_t k, nm_scored_t **out, size_t *n)
{
	nm_gxt_hit_t *hits;
	nm__gxt_search(&gx->text, terms, k, &hits, n);
	*out = *n ? nm_xmalloc(sizeof **out * *n) : NULL;
	for (size_t i = 0; i < *n; i++)
		(*out)[i] = (nm_scored_t){&gx->fibers[hits[i].doc].g, hits[i].score};
	free(hits);
	return 0;
}
