/*
 * archive.c — moving old fibers out of the live brain into compressed
 * segments inside the brain's own storage, and back (lifecycle.h).
 *
 * Storage (store.h kv, keys under "arch/"):
 *   arch/seg/<n>        one segment: zstd of JSON lines, one object each —
 *                       {"k":"n","neuron":{..},"state":{..},"clock":t}
 *                       {"k":"s","synapse":{..},"clock":t}
 *                       {"k":"f","fiber":{..}}  {"k":"t","fiber_id":..,"typed_memory":{..}}
 *                       ("clock" is decayed_at, so decay resumes where it was)
 *   arch/cnt/<n>        "live raw stored": objects of segment n still
 *                       archived there, and its sizes (the segment goes when
 *                       its count reaches 0)
 *   arch/idx/<k>/<id>   <n>: where the archived object of kind k lives — the
 *                       truth; a segment line without its index entry is a
 *                       leftover of a restored or replaced object
 *   arch/end/<nid>\x01<sid>  an archived synapse touching neuron nid
 *   arch/meta           "next fibers neurons synapses typed raw stored"
 * Segment numbers are %016llx, so key order is archive order.
 *
 * What moves (issue 5): fibers created before the cutoff whose anchor has
 * not been activated since; with them every neuron of theirs that belongs
 * to no live fiber and has no synapse path from a neuron of a live fiber
 * (edges into it, or bidirectional ones: an old memory linked to a
 * still-used one stays, as does whatever it links to); every synapse
 * touching a moved neuron; and each moved fiber's typed memory. Archived
 * objects are deleted from the live tables, so no query or list sees
 * them.
 *
 * A run first collects the candidate fibers in one read transaction
 * (fingerprints, idset.h), then archives them in batches of BATCH fibers,
 * one write and one segment each. Restore reverses it per fiber: its
 * archived neurons, the fiber and its typed memory, then every archived
 * synapse whose two endpoints are live again.
 */
#include "lifecycle.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "codec.h"
#include "hmap.h"
#include "idset.h"
#include "isotime.h"
#include "mem.h"

#define BATCH 256
#define ZLEVEL 3

/* ---- the meta record and small key helpers ---- */

typedef struct meta {
	int64_t next, fibers, neurons, synapses, typed, raw, stored;
} meta_t;

static int meta_get(nm_tx_t *tx, meta_t *m, nm_err_t *err)
{
	char *v = NULL;
	size_t len;
	memset(m, 0, sizeof *m);
	m->next = 1;
	int rc = nm_tx_kv_get(tx, "arch/meta", &v, &len, err);
	if (rc == 1)
		sscanf(v, "%" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64, &m->next,
		       &m->fibers, &m->neurons, &m->synapses, &m->typed, &m->raw, &m->stored);
	free(v);
	return rc < 0 ? rc : 0;
}

static int meta_put(nm_tx_t *tx, const meta_t *m, nm_err_t *err)
{
	char v[200];
	int n = snprintf(v, sizeof v, "%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64,
	                 m->next, m->fibers, m->neurons, m->synapses, m->typed, m->raw, m->stored);
	return nm_tx_kv_put(tx, "arch/meta", v, (size_t)n, err);
}

/* Kinds of archived objects: index letters and meta counters. */
enum { K_N, K_S, K_F, K_T };
static const char kind_letter[] = "nsft";

static int64_t *meta_count(meta_t *m, int k)
{
	return k == K_N ? &m->neurons : k == K_S ? &m->synapses : k == K_F ? &m->fibers : &m->typed;
}

static char *idx_key(int k, const char *id)
{
	return nm_xasprintf("arch/idx/%c/%s", kind_letter[k], id);
}

static char *end_key(const char *nid, const char *sid)
{
	return nm_xasprintf("arch/end/%s\x01%s", nid, sid);
}

/* Segment of archived object (k, id): > 0, 0 when not archived. */
static int64_t idx_get(nm_tx_t *tx, int k, const char *id, nm_err_t *err)
{
	char *key = idx_key(k, id), *v = NULL;
	size_t len;
	int rc = nm_tx_kv_get(tx, key, &v, &len, err);
	free(key);
	int64_t seg = rc == 1 ? (int64_t)strtoll(v, NULL, 16) : 0;
	free(v);
	return rc < 0 ? rc : seg;
}

/* ---- segments ---- */

static int seg_put(nm_tx_t *tx, int64_t n, const nm_buf_t *raw, int64_t count, int64_t *stored, nm_err_t *err)
{
	size_t cap = ZSTD_compressBound(raw->len);
	char *z = nm_xmalloc(cap ? cap : 1);
	size_t zl = ZSTD_compress(z, cap, raw->data ? raw->data : "", raw->len, ZLEVEL);
	if (ZSTD_isError(zl)) {
		free(z);
		return nm_err_set(err, NM_ST_INTERNAL, "archive: compression failed: %s", ZSTD_getErrorName(zl));
	}
	char key[40], cnt[80];
	snprintf(key, sizeof key, "arch/seg/%016" PRIx64, n);
	int rc = nm_tx_kv_put(tx, key, z, zl, err);
	free(z);
	snprintf(key, sizeof key, "arch/cnt/%016" PRIx64, n);
	int cl = snprintf(cnt, sizeof cnt, "%" PRId64 " %zu %zu", count, raw->len, zl);
	if (rc == 0)
		rc = nm_tx_kv_put(tx, key, cnt, (size_t)cl, err);
	*stored = (int64_t)zl;
	return rc;
}

/* The lines of segment n (decompressed into out; "" when it is gone). */
static int seg_get(nm_tx_t *tx, int64_t n, nm_buf_t *out, nm_err_t *err)
{
	char key[40], *z = NULL;
	size_t zl;
	snprintf(key, sizeof key, "arch/seg/%016" PRIx64, n);
	nm_buf_reset(out);
	int rc = nm_tx_kv_get(tx, key, &z, &zl, err);
	if (rc <= 0)
		return rc;
	unsigned long long size = ZSTD_getFrameContentSize(z, zl);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
		free(z);
		return nm_err_set(err, NM_ST_INTERNAL, "archive segment %" PRId64 " is damaged", n);
	}
	nm_buf_reserve(out, (size_t)size + 1);
	size_t got = ZSTD_decompress(out->data, (size_t)size + 1, z, zl);
	free(z);
	if (ZSTD_isError(got))
		return nm_err_set(err, NM_ST_INTERNAL, "archive segment %" PRId64 " is damaged", n);
	out->len = got;
	out->data[got] = '\0';
	return 0;
}

/* One object of segment n leaves the archive; the segment goes with its
 * last object (then 1). */
static int seg_release(nm_tx_t *tx, int64_t n, meta_t *m, nm_err_t *err)
{
	char key[40], *v = NULL;
	size_t len;
	snprintf(key, sizeof key, "arch/cnt/%016" PRIx64, n);
	int rc = nm_tx_kv_get(tx, key, &v, &len, err);
	if (rc <= 0)
		return rc;
	int64_t count = 0, raw = 0, stored = 0;
	sscanf(v, "%" SCNd64 " %" SCNd64 " %" SCNd64, &count, &raw, &stored);
	free(v);
	if (--count > 0) {
		char cnt[80];
		int cl = snprintf(cnt, sizeof cnt, "%" PRId64 " %" PRId64 " %" PRId64, count, raw, stored);
		return nm_tx_kv_put(tx, key, cnt, (size_t)cl, err);
	}
	m->raw -= raw;
	m->stored -= stored;
	rc = nm_tx_kv_del(tx, key, err);
	snprintf(key, sizeof key, "arch/seg/%016" PRIx64, n);
	if (rc >= 0)
		rc = nm_tx_kv_del(tx, key, err);
	return rc < 0 ? rc : 1; /* 1: the segment is gone */
}

/* Call cb with each JSON line object of a decompressed segment. */
static int seg_lines(const nm_buf_t *seg, int (*cb)(void *arg, json_t *o), void *arg)
{
	const char *p = seg->data, *end = seg->data + seg->len;
	int rc = 0;
	while (p && p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		json_t *o = json_loadb(p, n, JSON_ALLOW_NUL, NULL);
		if (o)
			rc = cb(arg, o);
		json_decref(o);
		p = nl ? nl + 1 : NULL;
	}
	return rc;
}

/* ---- writing a segment (a run's batch, or an import) ---- */

typedef struct segw {
	nm_tx_t *tx;
	meta_t *m;
	int64_t n;                    /* this segment's number */
	nm_buf_t raw;
	int64_t count;
	nm_jw_t w;
} segw_t;

static void segw_begin(segw_t *s, nm_tx_t *tx, meta_t *m)
{
	memset(s, 0, sizeof *s);
	s->tx = tx;
	s->m = m;
	s->n = m->next;
	nm_jw_init(&s->w);
}

/* Index (k, id) into this segment, replacing an older archived copy. */
static int segw_index(segw_t *s, int k, const char *id, nm_err_t *err)
{
	int64_t old = idx_get(s->tx, k, id, err);
	if (old < 0)
		return (int)old;
	int rc = old ? seg_release(s->tx, old, s->m, err) : 0;
	rc = rc < 0 ? rc : 0;
	if (rc == 0 && !old)
		(*meta_count(s->m, k))++;
	char *key = idx_key(k, id), v[20];
	int vl = snprintf(v, sizeof v, "%016" PRIx64, s->n);
	if (rc == 0)
		rc = nm_tx_kv_put(s->tx, key, v, (size_t)vl, err);
	free(key);
	s->count++;
	return rc;
}

static void segw_line_end(segw_t *s)
{
	nm_jw_obj_end(&s->w);
	nm_jw_line(&s->w);
	nm_buf_append(&s->raw, s->w.buf.data, s->w.buf.len);
	nm_buf_reset(&s->w.buf);
}

static void segw_line(segw_t *s, const char *k)
{
	nm_jw_obj(&s->w);
	nm_jw_key(&s->w, "k");
	nm_jw_str(&s->w, k);
}

static int segw_neuron(segw_t *s, const nm_neuron_t *n, const nm_state_t *st, int64_t clock, nm_err_t *err)
{
	segw_line(s, "n");
	nm_jw_key(&s->w, "neuron");
	nm_jw_neuron(&s->w, n);
	nm_jw_key(&s->w, "state");
	nm_jw_state(&s->w, st);
	nm_jw_key(&s->w, "clock");
	nm_jw_time(&s->w, clock);
	segw_line_end(s);
	return segw_index(s, K_N, n->id, err);
}

static int segw_synapse(segw_t *s, const nm_synapse_t *y, int64_t clock, nm_err_t *err)
{
	segw_line(s, "s");
	nm_jw_key(&s->w, "synapse");
	nm_jw_synapse(&s->w, y);
	nm_jw_key(&s->w, "clock");
	nm_jw_time(&s->w, clock);
	segw_line_end(s);
	int rc = segw_index(s, K_S, y->id, err);
	const char *ends[2] = {y->source_id, y->target_id};
	for (int e = 0; e < 2 && rc == 0; e++) {
		char *key = end_key(ends[e], y->id);
		rc = nm_tx_kv_put(s->tx, key, "", 0, err);
		free(key);
	}
	return rc;
}

static int segw_fiber(segw_t *s, const nm_fiber_t *f, nm_err_t *err)
{
	segw_line(s, "f");
	nm_jw_key(&s->w, "fiber");
	nm_jw_fiber(&s->w, f);
	segw_line_end(s);
	return segw_index(s, K_F, f->id, err);
}

static int segw_typed(segw_t *s, const char *fiber_id, const char *json, nm_err_t *err)
{
	segw_line(s, "t");
	nm_jw_key(&s->w, "fiber_id");
	nm_jw_str(&s->w, fiber_id);
	nm_jw_key(&s->w, "typed_memory");
	nm_jw_raw(&s->w, json);
	segw_line_end(s);
	return segw_index(s, K_T, fiber_id, err);
}

/* Store the segment (if it holds anything) and advance meta. */
static int segw_end(segw_t *s, nm_err_t *err)
{
	int rc = 0;
	if (s->count) {
		int64_t stored = 0;
		rc = seg_put(s->tx, s->n, &s->raw, s->count, &stored, err);
		s->m->raw += (int64_t)s->raw.len;
		s->m->stored += stored;
		s->m->next++;
	}
	nm_buf_free(&s->raw);
	nm_jw_free(&s->w);
	return rc;
}

/* ---- a run ---- */

typedef struct run {
	const nm_archive_opts_t *o;
	nm_idset_t cand;              /* candidate fibers */
	int64_t ncand;
	nm_idset_t gone_n, gone_s;    /* neurons and synapses moved (or, dry, that would be) */
	nm_idset_t stay, doomed;      /* reachability answers for the run (stays()) */
	nm_archive_report_t *r;
	/* the batch at hand */
	int64_t after;                /* fiber cursor */
	nm_fiber_t *fibers;
	size_t nfibers;
	int64_t scanned;
	nm_hmap_t excl;               /* neuron id → (void *)1 exclusive, (void *)2 not (memo) */
	nm_strv_t memo_keys;          /* owned keys of excl */
} run_t;

static bool accessed(nm_tx_t *tx, const nm_fiber_t *f, int64_t cutoff)
{
	nm_state_t st = {0};
	nm_err_t e = {0};
	bool yes = nm_tx_state_get(tx, f->anchor_neuron_id, &st, &e) == 0 && st.last_activated != NM_TIME_NONE &&
	           st.last_activated >= cutoff;
	nm_state_clear(&st);
	return yes;
}

typedef struct collect {
	run_t *run;
	nm_tx_t *tx;
	int64_t after;
	int64_t seen;
} collect_t;

static int collect_one(void *arg, int64_t seq, const nm_fiber_t *f)
{
	collect_t *c = arg;
	c->after = seq;
	c->seen++;
	if (f->created_at < c->run->o->cutoff && !accessed(c->tx, f, c->run->o->cutoff)) {
		nm_idset_add(&c->run->cand, f->id, strlen(f->id));
		c->run->ncand++;
	}
	return 0;
}

/* Pass 1: every candidate fiber, from one read snapshot. */
static int collect(nm_brain_t *b, run_t *run, nm_err_t *err)
{
	nm_tx_t *tx;
	int rc = nm_brain_read_begin(b, &tx, err);
	if (rc < 0)
		return rc;
	collect_t c = {.run = run, .tx = tx};
	do {
		c.seen = 0;
		rc = nm_tx_fiber_cursor(tx, c.after, 4096, collect_one, &c, err);
	} while (rc == 0 && c.seen == 4096);
	nm_brain_read_end(tx);
	return rc;
}

/* Does every live fiber holding neuron id belong to the candidates? */
typedef struct excl_arg {
	const run_t *run;
	bool exclusive;
} excl_arg_t;

static int excl_fiber(void *arg, const nm_fiber_t *f)
{
	excl_arg_t *a = arg;
	if (!nm_idset_has(&a->run->cand, f->id, strlen(f->id))) {
		a->exclusive = false;
		return 1;
	}
	return 0;
}

static int exclusive(nm_tx_t *tx, run_t *run, const char *id, bool *out, nm_err_t *err)
{
	void *memo = nm_hmap_get(&run->excl, id, strlen(id));
	if (memo) {
		*out = memo == (void *)1;
		return 0;
	}
	nm_fiber_filter_t f = NM_FIBER_FILTER_INIT;
	f.contains_neuron = id;
	f.order = NM_ORDER_INSERTION;
	excl_arg_t a = {run, true};
	int rc = nm_tx_fiber_scan(tx, &f, excl_fiber, &a, err);
	if (rc < 0)
		return rc;
	nm_strv_push(&run->memo_keys, nm_xstrdup(id));
	const char *key = run->memo_keys.v[run->memo_keys.n - 1];
	nm_hmap_put(&run->excl, key, strlen(key), a.exclusive ? (void *)1 : (void *)2);
	*out = a.exclusive;
	return 0;
}

/* Synapses touching neuron id (both directions), collected (owned). */
typedef struct syn_list {
	nm_synapse_t *v;
	size_t n, cap;
} syn_list_t;

static int syn_keep(void *arg, const nm_synapse_t *s)
{
	syn_list_t *l = arg;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = nm_xrealloc(l->v, sizeof *l->v * l->cap);
	}
	memset(&l->v[l->n], 0, sizeof l->v[l->n]);
	nm_synapse_copy(&l->v[l->n++], s);
	return 0;
}

static void syn_list_clear(syn_list_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		nm_synapse_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int touching(nm_tx_t *tx, const char *id, syn_list_t *out, nm_err_t *err)
{
	nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
	f.target_id = id;
	int rc = nm_tx_synapse_scan(tx, &f, syn_keep, out, err);
	f.target_id = NULL;
	f.source_id = id;
	return rc < 0 ? rc : nm_tx_synapse_scan(tx, &f, syn_keep, out, err);
}

/* The neighbour that reaches id through synapse s (an edge into id, or a
 * bidirectional one), or NULL. */
static const char *reached_from(const nm_synapse_t *s, const char *id)
{
	if (strcmp(s->target_id, id) == 0)
		return strcmp(s->source_id, id) ? s->source_id : NULL;
	return s->direction == NM_DIR_BI ? s->target_id : NULL;
}

#define REACH_CAP 100000 /* neurons one search may visit; beyond, the neuron stays */

/* Does neuron id stay live: is there a synapse path to it from a neuron of
 * a live (non-candidate) fiber? A backward breadth-first search through
 * neurons in no live fiber; answers are remembered for the run (a path
 * found stays a path; a search that exhausts dooms every neuron it saw). */
static int stays(nm_tx_t *tx, run_t *run, const char *id, bool *out, nm_err_t *err)
{
	bool ex;
	*out = true;
	if (nm_idset_has(&run->stay, id, strlen(id)))
		return 0;
	if (nm_idset_has(&run->doomed, id, strlen(id))) {
		*out = false;
		return 0;
	}
	int rc = exclusive(tx, run, id, &ex, err);
	if (rc < 0 || !ex)
		return rc;
	nm_strv_t seen = {0};         /* visit order; the queue is seen[head..] */
	nm_hmap_t in = {0};
	nm_strv_push(&seen, nm_xstrdup(id));
	nm_hmap_put(&in, seen.v[0], strlen(seen.v[0]), (void *)1);
	bool found = false;
	for (size_t head = 0; head < seen.n && !found && rc == 0 && seen.n < REACH_CAP; head++) {
		syn_list_t l = {0};
		rc = touching(tx, seen.v[head], &l, err);
		for (size_t i = 0; i < l.n && !found && rc == 0; i++) {
			const char *u = reached_from(&l.v[i], seen.v[head]);
			if (!u || nm_hmap_get(&in, u, strlen(u)) || nm_idset_has(&run->gone_n, u, strlen(u)) ||
			    nm_idset_has(&run->doomed, u, strlen(u)))
				continue;
			if (nm_idset_has(&run->stay, u, strlen(u)) || ((rc = exclusive(tx, run, u, &ex, err)) == 0 && !ex)) {
				found = true;
				break;
			}
			nm_strv_push(&seen, nm_xstrdup(u));
			nm_hmap_put(&in, seen.v[seen.n - 1], strlen(u), (void *)1);
		}
		syn_list_clear(&l);
	}
	if (rc == 0 && found)
		nm_idset_add(&run->stay, id, strlen(id));
	else if (rc == 0 && seen.n < REACH_CAP) { /* nothing live reaches any of them */
		for (size_t i = 0; i < seen.n; i++)
			nm_idset_add(&run->doomed, seen.v[i], strlen(seen.v[i]));
		*out = false;
	}
	nm_hmap_free(&in);
	nm_strv_clear(&seen);
	return rc;
}

/* Should neuron id move with the batch? Only if no live path reaches it. */
static int moves(nm_tx_t *tx, run_t *run, const char *id, bool *out, nm_err_t *err)
{
	bool stay;
	int rc = stays(tx, run, id, &stay, err);
	*out = !stay;
	return rc;
}

static int take_fiber(void *arg, int64_t seq, const nm_fiber_t *f)
{
	run_t *run = arg;
	run->after = seq;
	run->scanned++;
	if (!nm_idset_has(&run->cand, f->id, strlen(f->id)))
		return 0;
	nm_fiber_copy(&run->fibers[run->nfibers++], f);
	return run->nfibers == BATCH;
}

static void batch_clear(run_t *run)
{
	for (size_t i = 0; i < run->nfibers; i++)
		nm_fiber_clear(&run->fibers[i]);
	run->nfibers = 0;
	nm_hmap_free(&run->excl);
	nm_strv_clear(&run->memo_keys);
}

/* Archive one neuron: its line, then its live row goes (with its state). */
static int move_neuron(nm_tx_t *tx, segw_t *sw, const char *id, nm_err_t *err)
{
	nm_neuron_t n = {0};
	nm_state_t st = {0};
	int64_t clock;
	int rc = nm_tx_neuron_get(tx, id, &n, err);
	if (rc == 0)
		rc = nm_tx_state_get(tx, id, &st, err);
	if (rc == 0)
		rc = nm_tx_decay_clock(tx, NM_DECAY_NEURONS, id, &clock, err);
	if (rc == 0)
		rc = segw_neuron(sw, &n, &st, clock, err);
	nm_neuron_clear(&n);
	nm_state_clear(&st);
	return rc;
}

/* The decisions of one batch: neurons that move, and their synapses. */
typedef struct moving {
	nm_strv_t neurons;
	syn_list_t synapses;
	nm_hmap_t seen_syn;
} moving_t;

static int decide(nm_tx_t *tx, run_t *run, moving_t *mv, nm_err_t *err)
{
	nm_hmap_t seen = {0};
	int rc = 0;
	for (size_t i = 0; i < run->nfibers && rc == 0; i++) {
		const nm_strv_t *ids = &run->fibers[i].neuron_ids;
		for (size_t k = 0; k < ids->n && rc == 0; k++) {
			const char *id = ids->v[k];
			if (nm_hmap_get(&seen, id, strlen(id)) || nm_idset_has(&run->gone_n, id, strlen(id)))
				continue;
			nm_hmap_put(&seen, id, strlen(id), (void *)1);
			bool yes;
			if ((rc = nm_tx_neuron_exists(tx, id, err)) <= 0)
				continue; /* gone already (or an error) */
			if ((rc = moves(tx, run, id, &yes, err)) == 0 && yes)
				nm_strv_push(&mv->neurons, nm_xstrdup(id));
		}
	}
	nm_hmap_free(&seen);
	for (size_t i = 0; i < mv->neurons.n; i++)
		nm_idset_add(&run->gone_n, mv->neurons.v[i], strlen(mv->neurons.v[i]));
	for (size_t i = 0; i < mv->neurons.n && rc == 0; i++) {
		syn_list_t l = {0};
		rc = touching(tx, mv->neurons.v[i], &l, err);
		for (size_t k = 0; k < l.n; k++) {
			const char *sid = l.v[k].id;
			if (nm_hmap_get(&mv->seen_syn, sid, strlen(sid)) || nm_idset_has(&run->gone_s, sid, strlen(sid)))
				continue;
			syn_keep(&mv->synapses, &l.v[k]);
			const char *key = mv->synapses.v[mv->synapses.n - 1].id;
			nm_hmap_put(&mv->seen_syn, key, strlen(key), (void *)1);
		}
		syn_list_clear(&l);
	}
	for (size_t i = 0; i < mv->synapses.n; i++)
		nm_idset_add(&run->gone_s, mv->synapses.v[i].id, strlen(mv->synapses.v[i].id));
	return rc < 0 ? rc : 0;
}

/* Write the batch's segment and take its objects out of the live tables. */
static int move_batch(nm_tx_t *tx, run_t *run, moving_t *mv, nm_err_t *err)
{
	meta_t m;
	int rc = meta_get(tx, &m, err);
	if (rc < 0)
		return rc;
	segw_t sw;
	segw_begin(&sw, tx, &m);
	for (size_t i = 0; i < mv->neurons.n && rc == 0; i++)
		rc = move_neuron(tx, &sw, mv->neurons.v[i], err);
	for (size_t i = 0; i < mv->synapses.n && rc == 0; i++) {
		int64_t clock;
		rc = nm_tx_decay_clock(tx, NM_DECAY_SYNAPSES, mv->synapses.v[i].id, &clock, err);
		if (rc == 0)
			rc = segw_synapse(&sw, &mv->synapses.v[i], clock, err);
	}
	for (size_t i = 0; i < run->nfibers && rc == 0; i++) {
		const nm_fiber_t *f = &run->fibers[i];
		char *tm = NULL;
		rc = segw_fiber(&sw, f, err);
		if (rc == 0 && (rc = nm_tx_typed_memory_get(tx, f->id, &tm, err)) == 1)
			rc = segw_typed(&sw, f->id, tm, err);
		free(tm);
	}
	if (rc >= 0)
		rc = segw_end(&sw, err);
	else
		segw_end(&sw, NULL);
	for (size_t i = 0; i < mv->synapses.n && rc == 0; i++)
		rc = nm_tx_synapse_delete(tx, mv->synapses.v[i].id, err);
	for (size_t i = 0; i < run->nfibers && rc == 0; i++)
		rc = nm_tx_fiber_delete(tx, run->fibers[i].id, err);
	for (size_t i = 0; i < mv->neurons.n && rc == 0; i++)
		rc = nm_tx_neuron_delete(tx, mv->neurons.v[i], err);
	if (rc == 0)
		rc = meta_put(tx, &m, err);
	return rc;
}

typedef struct batch_arg {
	run_t *run;
	int64_t fibers, neurons, synapses; /* of this batch, merged after commit */
} batch_arg_t;

/* Select the next batch of candidates and, unless dry, move it. */
static int batch(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	batch_arg_t *a = arg;
	run_t *run = a->run;
	int64_t start = run->after;
	batch_clear(run);
	int rc;
	do {
		run->scanned = 0;
		rc = nm_tx_fiber_cursor(tx, run->after, 4096, take_fiber, run, err);
	} while (rc == 0 && run->nfibers < BATCH && run->scanned == 4096);
	if (rc < 0)
		return rc;
	moving_t mv = {0};
	rc = decide(tx, run, &mv, err);
	if (rc == 0 && !run->o->dry_run)
		rc = move_batch(tx, run, &mv, err);
	a->fibers = (int64_t)run->nfibers;
	a->neurons = (int64_t)mv.neurons.n;
	a->synapses = (int64_t)mv.synapses.n;
	nm_strv_clear(&mv.neurons);
	syn_list_clear(&mv.synapses);
	nm_hmap_free(&mv.seen_syn);
	if (rc < 0)
		run->after = start;
	return rc;
}

/* Live bytes: storage the live tables and indexes take (store.h). */
static int live_bytes(nm_brain_t *b, int64_t *out, nm_err_t *err)
{
	nm_tx_t *tx;
	int rc = nm_brain_read_begin(b, &tx, err);
	if (rc < 0)
		return rc;
	*out = nm_tx_used_bytes(tx);
	nm_brain_read_end(tx);
	return 0;
}

int nm_archive_run(nm_brain_t *b, const nm_archive_opts_t *o, const nm_progress_t *p, nm_archive_report_t *r,
                   nm_err_t *err)
{
	double t0 = nm_mono_ms();
	memset(r, 0, sizeof *r);
	r->dry_run = o->dry_run;
	run_t run = {.o = o, .r = r};
	run.fibers = nm_xcalloc(BATCH, sizeof *run.fibers);
	int rc = live_bytes(b, &r->bytes_before, err);
	if (rc == 0)
		rc = collect(b, &run, err);
	nm_tx_t *tx = NULL;
	if (rc == 0 && o->dry_run)
		rc = nm_brain_read_begin(b, &tx, err);
	int64_t done = 0;
	while (rc == 0 && done < run.ncand) {
		if (p && p->stop && p->stop(p->arg)) {
			r->interrupted = true;
			break;
		}
		batch_arg_t a = {.run = &run};
		rc = tx ? batch(tx, &a, err) : nm_brain_write_sync(b, batch, &a, err);
		if (rc < 0)
			break;
		r->fibers += a.fibers;
		r->neurons += a.neurons;
		r->synapses += a.synapses;
		done += a.fibers;
		if (p && p->step)
			p->step(p->arg, done, run.ncand);
		if (!a.fibers)
			break; /* the rest went meanwhile */
	}
	nm_brain_read_end(tx);
	batch_clear(&run);
	free(run.fibers);
	nm_idset_free(&run.cand);
	nm_idset_free(&run.gone_n);
	nm_idset_free(&run.gone_s);
	nm_idset_free(&run.stay);
	nm_idset_free(&run.doomed);
	if (rc == 0)
		rc = live_bytes(b, &r->bytes_after, err);
	if (rc == 0 && o->dry_run)
		r->bytes_after = r->bytes_before; /* nothing moved */
	r->duration_ms = nm_mono_ms() - t0;
	return rc;
}

/* ---- restore ---- */

static const char *const fields[] = {"neuron", "synapse", "fiber", "typed_memory"};

/* The line's object id ("fiber_id" for typed memories), or NULL. */
static const char *line_id(const json_t *o, int *kind)
{
	const char *k = json_string_value(json_object_get(o, "k"));
	const char *p = k && k[0] && !k[1] ? strchr(kind_letter, k[0]) : NULL;
	if (!p)
		return NULL;
	*kind = (int)(p - kind_letter);
	if (*kind == K_T)
		return json_string_value(json_object_get(o, "fiber_id"));
	return json_string_value(json_object_get(json_object_get(o, fields[*kind]), "id"));
}

/* A decompressed segment, parsed once: its lines by "<k>:<id>". */
typedef struct segcache {
	int64_t n;                    /* the segment held, 0 = none */
	nm_hmap_t lines;              /* key → json_t * (a reference each) */
	nm_strv_t keys;               /* owns the keys */
} segcache_t;

static void segcache_clear(segcache_t *c)
{
	for (size_t i = 0; i < c->keys.n; i++)
		json_decref(nm_hmap_get(&c->lines, c->keys.v[i], strlen(c->keys.v[i])));
	nm_hmap_free(&c->lines);
	nm_strv_clear(&c->keys);
	c->n = 0;
}

static int cache_line(void *arg, json_t *o)
{
	segcache_t *c = arg;
	int k;
	const char *id = line_id(o, &k);
	if (!id)
		return 0;
	char *key = nm_xasprintf("%c:%s", kind_letter[k], id);
	json_t *old = nm_hmap_put(&c->lines, key, strlen(key), json_incref(o));
	if (old) { /* a later copy of the same object in one segment wins */
		json_decref(old);
		free(key);
	} else {
		nm_strv_push(&c->keys, key);
	}
	return 0;
}

/* The line of (k, id) in segment n (borrowed from the cache), or NULL. */
static int seg_find(nm_tx_t *tx, segcache_t *c, int64_t n, int k, const char *id, json_t **line, nm_err_t *err)
{
	if (c->n != n) {
		nm_buf_t buf = {0};
		segcache_clear(c);
		int rc = seg_get(tx, n, &buf, err);
		if (rc == 0)
			seg_lines(&buf, cache_line, c);
		nm_buf_free(&buf);
		if (rc < 0)
			return rc;
		c->n = n;
	}
	char *key = nm_xasprintf("%c:%s", kind_letter[k], id);
	*line = nm_hmap_get(&c->lines, key, strlen(key));
	free(key);
	return 0;
}

typedef struct restorer {
	nm_tx_t *tx;
	meta_t m;
	segcache_t cache;
	nm_archive_report_t *r;
} restorer_t;



/* The archived line of (k, id), and leave it out of the archive from now
 * (index entry, segment count, meta). NULL (0) when not archived. */
static int unarchive(restorer_t *rs, int k, const char *id, json_t **line, nm_err_t *err)
{
	*line = NULL;
	int64_t seg = idx_get(rs->tx, k, id, err);
	if (seg <= 0)
		return (int)seg;
	json_t *found = NULL;
	int rc = seg_find(rs->tx, &rs->cache, seg, k, id, &found, err);
	if (rc < 0)
		return rc;
	char *key = idx_key(k, id);
	rc = nm_tx_kv_del(rs->tx, key, err);
	free(key);
	if (rc >= 0)
		rc = seg_release(rs->tx, seg, &rs->m, err);
	(*meta_count(&rs->m, k))--;
	*line = json_incref(found);
	return rc < 0 ? rc : found != NULL;
}

static int restore_synapses_of(restorer_t *rs, const char *nid, nm_err_t *err);

/* decayed_at as it was when archived (the line's "clock"). */
static int restore_clock(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, const json_t *line, nm_err_t *err)
{
	int64_t t;
	const json_t *c = json_object_get(line, "clock");
	if (!json_is_string(c) || nm_time_parse(json_string_value(c), json_string_length(c), &t))
		return 0;
	return nm_tx_decay_clock_set(tx, kind, id, t, err);
}

static int restore_neuron(restorer_t *rs, const char *id, nm_err_t *err)
{
	json_t *line;
	int rc = unarchive(rs, K_N, id, &line, err);
	if (rc <= 0)
		return rc;
	nm_decode_opts_t o = {.mode = NM_DECODE_CREATE, .prefix = "archive: ", .max_content_bytes = SIZE_MAX};
	nm_neuron_t n = {0};
	nm_state_t st = {0};
	unsigned present;
	int exists = nm_tx_neuron_exists(rs->tx, id, err);
	rc = exists < 0 ? exists : 0;
	if (rc == 0 && !exists) { /* a live neuron with this id meanwhile wins */
		rc = nm_neuron_decode(json_object_get(line, "neuron"), &o, &n, &present, err);
		if (rc == 0)
			rc = nm_tx_neuron_add(rs->tx, &n, err);
		if (rc == 0)
			rc = nm_state_decode(json_object_get(line, "state"), &o, &st, &present, err);
		if (rc == 0)
			rc = nm_tx_state_put(rs->tx, &st, err);
		if (rc == 0)
			rc = restore_clock(rs->tx, NM_DECAY_NEURONS, id, line, err);
		if (rc == 0)
			rs->r->neurons++;
	}
	nm_neuron_clear(&n);
	nm_state_clear(&st);
	json_decref(line);
	return rc < 0 ? rc : restore_synapses_of(rs, id, err);
}

/* Archived synapses touching nid whose two endpoints are live now. */
typedef struct end_arg {
	nm_strv_t sids;
} end_arg_t;

static int end_entry(void *arg, const char *key, const char *val, size_t len)
{
	const char *sep = strchr(key, '\x01');
	if (sep)
		nm_strv_push(&((end_arg_t *)arg)->sids, nm_xstrdup(sep + 1));
	return 0;
}

static bool synapse_live(nm_tx_t *tx, const char *id)
{
	nm_synapse_t cur = {0};
	bool yes = nm_tx_synapse_get(tx, id, &cur, NULL) == 0;
	nm_synapse_clear(&cur);
	return yes;
}

static int restore_synapse(restorer_t *rs, const char *sid, nm_err_t *err)
{
	int64_t seg = idx_get(rs->tx, K_S, sid, err);
	if (seg <= 0)
		return (int)seg;
	json_t *found = NULL;
	int frc = seg_find(rs->tx, &rs->cache, seg, K_S, sid, &found, err);
	if (frc < 0 || !found)
		return frc;
	json_incref(found);
	nm_decode_opts_t o = {.mode = NM_DECODE_CREATE, .prefix = "archive: "};
	nm_synapse_t y = {0};
	unsigned present;
	int rc = nm_synapse_decode(json_object_get(found, "synapse"), &o, &y, &present, err);
	int src = rc == 0 ? nm_tx_neuron_exists(rs->tx, y.source_id, err) : 0;
	int dst = rc == 0 && src > 0 ? nm_tx_neuron_exists(rs->tx, y.target_id, err) : 0;
	if (src < 0 || dst < 0)
		rc = src < 0 ? src : dst;
	if (rc == 0 && src > 0 && dst > 0) { /* both ends live: it comes back */
		json_t *line;
		rc = unarchive(rs, K_S, sid, &line, err);
		json_decref(line);
		const char *ends[2] = {y.source_id, y.target_id};
		for (int e = 0; e < 2 && rc >= 0; e++) {
			char *key = end_key(ends[e], sid);
			rc = nm_tx_kv_del(rs->tx, key, err);
			free(key);
		}
		rc = rc < 0 ? rc : 0;
		if (rc == 0 && !synapse_live(rs->tx, sid)) { /* a live one with this id meanwhile wins */
			rc = nm_tx_synapse_add(rs->tx, &y, err);
			if (rc == 0)
				rc = restore_clock(rs->tx, NM_DECAY_SYNAPSES, sid, found, err);
			if (rc == 0)
				rs->r->synapses++;
		}
	}
	nm_synapse_clear(&y);
	json_decref(found);
	return rc;
}

static int restore_synapses_of(restorer_t *rs, const char *nid, nm_err_t *err)
{
	end_arg_t a = {0};
	char *prefix = nm_xasprintf("arch/end/%s\x01", nid);
	int rc = nm_tx_kv_scan(rs->tx, prefix, NULL, end_entry, &a, err);
	free(prefix);
	for (size_t i = 0; i < a.sids.n && rc >= 0; i++)
		rc = restore_synapse(rs, a.sids.v[i], err);
	nm_strv_clear(&a.sids);
	return rc < 0 ? rc : 0;
}

static int restore_fiber(restorer_t *rs, const char *id, nm_err_t *err)
{
	json_t *line;
	int rc = unarchive(rs, K_F, id, &line, err);
	if (rc <= 0)
		return rc;
	nm_decode_opts_t o = {.mode = NM_DECODE_CREATE, .prefix = "archive: "};
	nm_fiber_t f = {0};
	unsigned present;
	rc = nm_fiber_decode(json_object_get(line, "fiber"), &o, &f, &present, err);
	for (size_t i = 0; i < f.neuron_ids.n && rc >= 0; i++)
		rc = restore_neuron(rs, f.neuron_ids.v[i], err);
	nm_fiber_t cur = {0};
	int live = rc >= 0 ? nm_tx_fiber_get(rs->tx, id, &cur, NULL) : -1;
	nm_fiber_clear(&cur);
	if (rc >= 0 && live != 0) {
		rc = nm_tx_fiber_add(rs->tx, &f, err);
		if (rc == 0)
			rs->r->fibers++;
	}
	json_t *tline = NULL;
	if (rc >= 0 && (rc = unarchive(rs, K_T, id, &tline, err)) == 1) {
		const json_t *tm = json_object_get(tline, "typed_memory");
		const json_t *t = json_object_get(tm, "memory_type");
		int mtype = json_is_string(t) ? nm_enum_parse(&nm_enum_memory_type, json_string_value(t),
		                                              json_string_length(t)) : -1;
		char *text = nm_json_text(tm);
		rc = live != 0 && mtype >= 0 ? nm_tx_typed_memory_put(rs->tx, id, (nm_memory_type_t)mtype, text, err) : 0;
		free(text);
	}
	json_decref(tline);
	nm_fiber_clear(&f);
	json_decref(line);
	return rc < 0 ? rc : 0;
}

typedef struct restore_batch {
	const nm_strv_t *ids;         /* the fibers to restore (all: taken from the index) */
	bool all;
	size_t pos;
	nm_archive_report_t *r;
	int64_t done;
} restore_batch_t;

static int first_fibers(void *arg, const char *key, const char *val, size_t len)
{
	nm_strv_t *v = arg;
	nm_strv_push(v, nm_xstrdup(key + strlen("arch/idx/f/")));
	return v->n >= BATCH;
}

static int restore_apply(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	restore_batch_t *b = arg;
	restorer_t rs = {.tx = tx, .r = b->r};
	int rc = meta_get(tx, &rs.m, err);
	nm_strv_t page = {0};
	const nm_strv_t *ids = b->ids;
	size_t from = b->pos, to;
	if (b->all) { /* the first archived fibers left, a batch at a time */
		if (rc == 0)
			rc = nm_tx_kv_scan(tx, "arch/idx/f/", NULL, first_fibers, &page, err);
		ids = &page;
		from = 0;
	}
	to = from + BATCH < ids->n ? from + BATCH : ids->n;
	for (size_t i = from; i < to && rc >= 0; i++)
		rc = restore_fiber(&rs, ids->v[i], err);
	if (rc >= 0)
		rc = meta_put(tx, &rs.m, err);
	b->done = (int64_t)(to - from);
	if (!b->all)
		b->pos = to;
	nm_strv_clear(&page);
	segcache_clear(&rs.cache);
	return rc < 0 ? rc : 0;
}

int nm_archive_restore(nm_brain_t *b, const nm_strv_t *fiber_ids, const nm_progress_t *p, nm_archive_report_t *r,
                       nm_err_t *err)
{
	double t0 = nm_mono_ms();
	memset(r, 0, sizeof *r);
	nm_archive_counts_t c = {0};
	nm_tx_t *tx;
	int rc = nm_brain_read_begin(b, &tx, err);
	if (rc == 0) {
		rc = nm_archive_counts(tx, &c, err);
		nm_brain_read_end(tx);
	}
	int64_t total = fiber_ids ? (int64_t)fiber_ids->n : c.fibers, done = 0;
	restore_batch_t rb = {.ids = fiber_ids, .all = !fiber_ids, .r = r};
	while (rc == 0 && done < total) {
		if (p && p->stop && p->stop(p->arg)) {
			r->interrupted = true;
			break;
		}
		rc = nm_brain_write_sync(b, restore_apply, &rb, err);
		done += rb.done;
		if (p && p->step)
			p->step(p->arg, done < total ? done : total, total);
		if (!rb.done)
			break;
	}
	r->duration_ms = nm_mono_ms() - t0;
	return rc;
}

/* ---- imports: objects that arrive archived ---- */

#define IMPORT_SEGMENT 1024 /* objects per segment written by an import */

struct nm_archive_writer {
	nm_tx_t *tx;
	meta_t m;
	segw_t sw;
	segcache_t cache;             /* segments of objects being replaced */
};

nm_archive_writer_t *nm_archive_writer_new(nm_tx_t *tx, nm_err_t *err)
{
	nm_archive_writer_t *w = nm_xcalloc(1, sizeof *w);
	w->tx = tx;
	if (meta_get(tx, &w->m, err) < 0) {
		free(w);
		return NULL;
	}
	segw_begin(&w->sw, tx, &w->m);
	return w;
}

/* After each object: a full segment is stored and a new one begun. */
static int writer_step(nm_archive_writer_t *w, int rc, nm_err_t *err)
{
	if (rc < 0 || w->sw.count < IMPORT_SEGMENT)
		return rc;
	rc = segw_end(&w->sw, err);
	segw_begin(&w->sw, w->tx, &w->m);
	return rc;
}

/* An archived copy replaces a live object with the same id. */
static int drop_live(nm_tx_t *tx, int k, const char *id, nm_err_t *err)
{
	nm_err_t e = {0};
	int rc = k == K_N ? nm_tx_neuron_delete(tx, id, &e) : k == K_S ? nm_tx_synapse_delete(tx, id, &e)
	                                                              : nm_tx_fiber_delete(tx, id, &e);
	if (rc == -NM_ST_NOT_FOUND)
		return 0;
	if (rc < 0)
		*err = e;
	return rc;
}

/* The state a neuron about to be archived keeps: the live one, or the
 * archived copy's (re-importing a brain's own export changes no state),
 * else the default of a new neuron. */
static int prior_state(nm_archive_writer_t *w, const nm_neuron_t *n, nm_state_t *st, int64_t *clock, nm_err_t *err)
{
	nm_err_t e = {0};
	*clock = NM_TIME_NONE;
	if (nm_tx_state_get(w->tx, n->id, st, &e) == 0)
		return nm_tx_decay_clock(w->tx, NM_DECAY_NEURONS, n->id, clock, err);
	nm_state_clear(st);
	*st = (nm_state_t){.neuron_id = nm_xstrdup(n->id), .last_activated = NM_TIME_NONE,
	                   .decay_rate = NM_STATE_DEFAULT_DECAY, .created_at = n->created_at};
	int64_t seg = idx_get(w->tx, K_N, n->id, err);
	json_t *line = NULL;
	int rc = seg > 0 ? seg_find(w->tx, &w->cache, seg, K_N, n->id, &line, err) : (int)seg;
	if (rc < 0 || !line)
		return rc;
	nm_decode_opts_t o = {.mode = NM_DECODE_CREATE, .prefix = "archive: "};
	nm_state_t old = {0};
	unsigned present;
	if (nm_state_decode(json_object_get(line, "state"), &o, &old, &present, &e) == 0) {
		nm_state_clear(st);
		*st = old;
	} else {
		nm_state_clear(&old);
	}
	const json_t *c = json_object_get(line, "clock");
	if (json_is_string(c))
		nm_time_parse(json_string_value(c), json_string_length(c), clock);
	return 0;
}

int nm_archive_writer_neuron(nm_archive_writer_t *w, const nm_neuron_t *n, nm_err_t *err)
{
	nm_state_t st = {0};
	int64_t clock;
	int rc = prior_state(w, n, &st, &clock, err);
	if (rc == 0)
		rc = drop_live(w->tx, K_N, n->id, err);
	if (rc == 0)
		rc = segw_neuron(&w->sw, n, &st, clock, err);
	nm_state_clear(&st);
	return writer_step(w, rc, err);
}

int nm_archive_writer_synapse(nm_archive_writer_t *w, const nm_synapse_t *y, nm_err_t *err)
{
	int rc = drop_live(w->tx, K_S, y->id, err);
	if (rc == 0)
		rc = segw_synapse(&w->sw, y, NM_TIME_NONE, err);
	return writer_step(w, rc, err);
}

int nm_archive_writer_fiber(nm_archive_writer_t *w, const nm_fiber_t *f, nm_err_t *err)
{
	int rc = drop_live(w->tx, K_F, f->id, err);
	if (rc == 0)
		rc = segw_fiber(&w->sw, f, err);
	return writer_step(w, rc, err);
}

int nm_archive_writer_typed(nm_archive_writer_t *w, const char *fiber_id, const char *json, nm_err_t *err)
{
	return writer_step(w, segw_typed(&w->sw, fiber_id, json, err), err);
}

int nm_archive_writer_end(nm_archive_writer_t *w, nm_err_t *err)
{
	if (!w)
		return 0;
	int rc = err ? segw_end(&w->sw, err) : (segw_end(&w->sw, NULL), 0);
	if (rc == 0 && err)
		rc = meta_put(w->tx, &w->m, err);
	segcache_clear(&w->cache);
	free(w);
	return rc;
}

bool nm_archive_has(nm_tx_t *tx, int section, const char *id)
{
	static const int map[] = {[NM_SNAP_NEURONS] = K_N, [NM_SNAP_SYNAPSES] = K_S, [NM_SNAP_FIBERS] = K_F,
	                          [NM_SNAP_TYPED] = K_T};
	return idx_get(tx, map[section], id, NULL) > 0;
}

/* ---- reading the archive: counts, exports ---- */

int nm_archive_counts(nm_tx_t *tx, nm_archive_counts_t *out, nm_err_t *err)
{
	meta_t m;
	int rc = meta_get(tx, &m, err);
	*out = (nm_archive_counts_t){m.fibers, m.neurons, m.synapses, m.typed, m.raw, m.stored};
	return rc;
}

typedef struct each_arg {
	nm_tx_t *tx;
	int64_t seg;
	int kind;
	int (*cb)(void *arg, const json_t *obj, const json_t *line);
	void *arg;
	nm_err_t *err;
	int rc;
} each_arg_t;

static int each_line(void *arg, json_t *o)
{
	each_arg_t *a = arg;
	const char *k = json_string_value(json_object_get(o, "k"));
	if (!k || k[0] != kind_letter[a->kind])
		return 0;
	const json_t *obj = json_object_get(o, fields[a->kind]);
	const char *id = a->kind == K_T ? json_string_value(json_object_get(o, "fiber_id"))
	                                : json_string_value(json_object_get(obj, "id"));
	if (!id)
		return 0;
	int64_t seg = idx_get(a->tx, a->kind, id, a->err);
	if (seg < 0)
		return a->rc = (int)seg;
	if (seg != a->seg)
		return 0; /* restored or replaced since */
	return a->rc = a->cb(a->arg, obj, o);
}

typedef struct seg_scan {
	each_arg_t *each;
	nm_buf_t buf;
} seg_scan_t;

static int each_segment(void *arg, const char *key, const char *val, size_t len)
{
	seg_scan_t *s = arg;
	each_arg_t *a = s->each;
	a->seg = (int64_t)strtoll(key + strlen("arch/seg/"), NULL, 16);
	int rc = seg_get(a->tx, a->seg, &s->buf, a->err);
	if (rc < 0)
		return a->rc = rc;
	seg_lines(&s->buf, each_line, a);
	return a->rc;
}

int nm_archive_each(nm_tx_t *tx, int kind, int (*cb)(void *arg, const json_t *obj, const json_t *line), void *arg,
                    nm_err_t *err)
{
	static const int map[] = {[NM_SNAP_NEURONS] = K_N, [NM_SNAP_SYNAPSES] = K_S, [NM_SNAP_FIBERS] = K_F,
	                          [NM_SNAP_TYPED] = K_T};
	if (kind < 0 || kind > NM_SNAP_TYPED)
		return 0;
	each_arg_t a = {.tx = tx, .kind = map[kind], .cb = cb, .arg = arg, .err = err};
	seg_scan_t s = {.each = &a};
	int rc = nm_tx_kv_scan(tx, "arch/seg/", NULL, each_segment, &s, err);
	nm_buf_free(&s.buf);
	return rc < 0 ? rc : a.rc;
}

void nm_jw_archive_report(nm_jw_t *w, const nm_archive_report_t *r, bool restore)
{
	const char *v = restore ? "restored" : "archived";
	char key[32];
	int64_t vals[] = {r->fibers, r->neurons, r->synapses};
	const char *kinds[] = {"fibers", "neurons", "synapses"};
	nm_jw_obj(w);
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof key, "%s_%s", kinds[i], v);
		nm_jw_key(w, key);
		nm_jw_int(w, vals[i]);
	}
	if (!restore) {
		nm_jw_key(w, "bytes_before");
		nm_jw_int(w, r->bytes_before);
		nm_jw_key(w, "bytes_after");
		nm_jw_int(w, r->bytes_after);
		nm_jw_key(w, "dry_run");
		nm_jw_bool(w, r->dry_run);
	}
	nm_jw_key(w, "duration_ms");
	nm_jw_real(w, round(r->duration_ms * 1000) / 1000);
	nm_jw_key(w, "interrupted");
	nm_jw_bool(w, r->interrupted);
	nm_jw_obj_end(w);
}
