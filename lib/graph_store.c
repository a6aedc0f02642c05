/*
 * graph_store.c — the engine's graph (graph.h) answered from a storage
 * transaction, or, for the look-ups it holds, from the brain's in-memory
 * graph index (gindex.h) once nm_graph_use_index succeeded.
 *
 * Neurons, edge lists and fibers are cached for the life of the graph (one
 * engine call), so activation asks storage once per neuron it expands no
 * matter how many anchors reach it. Everything handed out is owned by the
 * graph's pool and freed by nm_graph_close. Neuron ids are interned: one
 * pointer per id for the life of the graph (the index's own strings when
 * it answers), which lets activation key its maps by pointer. Not thread-safe: one graph per
 * transaction, used by the thread that owns it.
 */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#include "gindex.h"
#include "hmap.h"
#include "mem.h"
#include "text.h"

struct nm_graph {
	nm_tx_t *tx;
	nm_gindex_t *gx;          /* the brain's index, shared-locked (nm_graph_use_index), or NULL */
	int edge_cap;             /* per direction, newest edges only; 0 = all */
	nm_hmap_t neurons;        /* id → nm_gneuron_t*, or MISSING */
	nm_hmap_t edges;          /* id → edge_list_t* */
	nm_hmap_t fibers;         /* id → nm_gfiber_t*, or MISSING */
	nm_hmap_t ids;            /* neuron id → its one copy (storage path) */
	void **pool;              /* every allocation handed out */
	size_t npool, cappool;
	nm_edge_t *ebuf;          /* the last nm_graph_edges answer */
	size_t ebuf_cap;
};

static const char missing_marker;
#define MISSING ((void *)&missing_marker)

typedef struct edge_list {
	nm_edge_t *v;
	size_t n;
} edge_list_t;

static void *keep(nm_graph_t *g, void *p)
{
	if (g->npool == g->cappool) {
		g->cappool = g->cappool ? g->cappool * 2 : 64;
		g->pool = nm_xrealloc(g->pool, sizeof *g->pool * g->cappool);
	}
	g->pool[g->npool++] = p;
	return p;
}

static const char *kstr(nm_graph_t *g, const char *s)
{
	return s ? keep(g, nm_xstrdup(s)) : NULL;
}

/* The graph's one copy of neuron id s. */
static const char *intern(nm_graph_t *g, const char *s)
{
	size_t len = strlen(s);
	const char *c = nm_hmap_get(&g->ids, s, len);
	if (!c) {
		c = kstr(g, s);
		nm_hmap_put(&g->ids, c, len, (void *)c);
	}
	return c;
}

nm_graph_t *nm_graph_open(nm_tx_t *tx)
{
	nm_graph_t *g = nm_xcalloc(1, sizeof *g);
	g->tx = tx;
	return g;
}

void nm_graph_close(nm_graph_t *g)
{
	if (!g)
		return;
	if (g->gx)
		nm__gx_close(nm_tx_brain(g->tx));
	for (size_t i = 0; i < g->npool; i++)
		free(g->pool[i]);
	free(g->pool);
	free(g->ebuf);
	nm_hmap_free(&g->neurons);
	nm_hmap_free(&g->edges);
	nm_hmap_free(&g->fibers);
	nm_hmap_free(&g->ids);
	free(g);
}

bool nm_graph_use_index(nm_graph_t *g)
{
	if (!g->gx)
		g->gx = nm__gx_open(nm_tx_brain(g->tx), NULL);
	return g->gx != NULL;
}

nm_tx_t *nm_graph_tx(nm_graph_t *g)
{
	return g->tx;
}

void nm_graph_cap_edges(nm_graph_t *g, int per_direction)
{
	g->edge_cap = per_direction;
}

static const nm_gneuron_t *cache_neuron(nm_graph_t *g, const nm_neuron_t *n)
{
	nm_gneuron_t *x = keep(g, nm_xmalloc(sizeof *x));
	x->id = intern(g, n->id);
	x->type = n->type;
	x->content = keep(g, nm_xstrndup(n->content, n->content_len));
	x->content_len = n->content_len;
	x->created_at = n->created_at;
	nm_hmap_put(&g->neurons, x->id, strlen(x->id), x);
	return x;
}

const nm_gneuron_t *nm_graph_neuron(nm_graph_t *g, const char *id, int *rc, nm_err_t *err)
{
	*rc = 0;
	if (g->gx)
		return nm__gx_neuron(g->gx, id);
	void *hit = nm_hmap_get(&g->neurons, id, strlen(id));
	if (hit)
		return hit == MISSING ? NULL : hit;
	nm_neuron_t n = {0};
	nm_err_t e = {0};
	int r = nm_tx_neuron_get(g->tx, id, &n, &e);
	if (r == -NM_ST_NOT_FOUND) {
		nm_hmap_put(&g->neurons, kstr(g, id), strlen(id), MISSING);
		return NULL;
	}
	if (r < 0) {
		*rc = r;
		if (err)
			*err = e;
		return NULL;
	}
	const nm_gneuron_t *x = cache_neuron(g, &n);
	nm_neuron_clear(&n);
	return x;
}

static void reverse(nm_edge_t *v, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		nm_edge_t t = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

typedef struct collect {
	nm_graph_t *g;
	edge_list_t *l;
	const char *self;
	bool out;
	bool skip_self_loops;
} collect_t;

static int add_edge(void *arg, const nm_synapse_t *s)
{
	collect_t *c = arg;
	const char *other = c->out ? s->target_id : s->source_id;
	if (c->skip_self_loops && strcmp(s->source_id, s->target_id) == 0)
		return 0; /* already listed among the out edges */
	edge_list_t *l = c->l;
	l->v = nm_xrealloc(l->v, sizeof *l->v * (l->n + 1));
	l->v[l->n++] = (nm_edge_t){intern(c->g, other), kstr(c->g, s->id), s->weight, s->type, c->out};
	return 0;
}

int nm_graph_edges(nm_graph_t *g, const char *id, double min_weight, const nm_edge_t **edges, size_t *n,
                   nm_err_t *err)
{
	if (g->gx) {
		int rc = nm__gx_edges(g->gx, id, min_weight, g->edge_cap, &g->ebuf, &g->ebuf_cap, n);
		*edges = g->ebuf;
		return rc;
	}
	edge_list_t *l = nm_hmap_get(&g->edges, id, strlen(id));
	if (!l) {
		l = keep(g, nm_xcalloc(1, sizeof *l));
		nm_synapse_filter_t fo = NM_SYNAPSE_FILTER_INIT, fi = NM_SYNAPSE_FILTER_INIT;
		fo.source_id = fi.target_id = id;
		fo.newest_first = fi.newest_first = g->edge_cap > 0;
		fo.limit = fi.limit = g->edge_cap;
		collect_t co = {g, l, id, true, false}, ci = {g, l, id, false, true};
		int rc = nm_tx_synapse_scan(g->tx, &fo, add_edge, &co, err);
		size_t nout = l->n;
		if (rc == 0)
			rc = nm_tx_synapse_scan(g->tx, &fi, add_edge, &ci, err);
		if (g->edge_cap > 0) { /* newest-first reads: back to creation order */
			reverse(l->v, nout);
			reverse(l->v + nout, l->n - nout);
		}
		keep(g, l->v);
		if (rc < 0)
			return rc;
		nm_hmap_put(&g->edges, kstr(g, id), strlen(id), l);
	}
	/* Filter by weight into the answer buffer (cached lists are complete). */
	if (g->ebuf_cap < l->n + 1) {
		g->ebuf_cap = l->n + 1;
		g->ebuf = nm_xrealloc(g->ebuf, sizeof *g->ebuf * g->ebuf_cap);
	}
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].weight >= min_weight)
			g->ebuf[k++] = l->v[i];
	*edges = g->ebuf;
	*n = k;
	return 0;
}

typedef struct idcollect {
	nm_graph_t *g;
	nm_idlist_t *out;
} idcollect_t;

static int add_id(void *arg, const nm_neuron_t *n)
{
	idcollect_t *c = arg;
	const nm_gneuron_t *x = nm_hmap_get(&c->g->neurons, n->id, strlen(n->id));
	if (!x || x == MISSING)
		x = cache_neuron(c->g, n);
	c->out->v = nm_xrealloc(c->out->v, sizeof *c->out->v * (c->out->n + 1));
	c->out->v[c->out->n++] = x->id;
	return 0;
}

static int find(nm_graph_t *g, const nm_neuron_filter_t *f, nm_idlist_t *out, nm_err_t *err)
{
	memset(out, 0, sizeof *out);
	idcollect_t c = {g, out};
	int rc = nm_tx_neuron_scan(g->tx, f, add_id, &c, err);
	keep(g, out->v);
	return rc;
}

int nm_graph_find_contains(nm_graph_t *g, const char *needle, int64_t limit, nm_idlist_t *out, nm_err_t *err)
{
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.contains = needle;
	f.contains_len = strlen(needle);
	f.limit = limit;
	return find(g, &f, out, err);
}

int nm_graph_find_exact(nm_graph_t *g, const char *content, size_t len, int type, int64_t limit, nm_idlist_t *out,
                        nm_err_t *err)
{
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.exact = content;
	f.exact_len = len;
	f.type = type;
	f.limit = limit;
	return find(g, &f, out, err);
}

int nm_graph_time_created(nm_graph_t *g, int64_t t0, int64_t t1, int64_t limit, nm_idlist_t *out, nm_err_t *err)
{
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.type = NM_NEURON_TIME;
	f.time_start = t0;
	f.time_end = t1;
	f.limit = limit;
	if (t0 > t1) { /* an empty window matches nothing */
		memset(out, 0, sizeof *out);
		return 0;
	}
	return find(g, &f, out, err);
}

static const nm_gfiber_t *cache_fiber(nm_graph_t *g, const nm_fiber_t *f)
{
	nm_gfiber_t *x = nm_hmap_get(&g->fibers, f->id, strlen(f->id));
	if (x && x != MISSING)
		return x;
	x = keep(g, nm_xmalloc(sizeof *x));
	x->id = kstr(g, f->id);
	x->anchor = kstr(g, f->anchor_neuron_id);
	x->summary = kstr(g, f->summary);
	x->salience = f->salience;
	x->time_start = f->time_start;
	x->time_end = f->time_end;
	x->created_at = f->created_at;
	nm_hmap_put(&g->fibers, x->id, strlen(x->id), x);
	return x;
}

typedef struct fcollect {
	nm_graph_t *g;
	nm_fiberlist_t *out;
} fcollect_t;

static int add_fiber(void *arg, const nm_fiber_t *f)
{
	fcollect_t *c = arg;
	c->out->v = nm_xrealloc(c->out->v, sizeof *c->out->v * (c->out->n + 1));
	c->out->v[c->out->n++] = cache_fiber(c->g, f);
	return 0;
}

static int fibers(nm_graph_t *g, nm_fiber_filter_t *f, nm_fiberlist_t *out, nm_err_t *err)
{
	memset(out, 0, sizeof *out);
	f->order = NM_ORDER_INSERTION; /* ascending unless the caller set descending */
	fcollect_t c = {g, out};
	int rc = nm_tx_fiber_scan(g->tx, f, add_fiber, &c, err);
	keep(g, out->v);
	return rc;
}

int nm_graph_fibers_of(nm_graph_t *g, const char *id, int64_t limit, nm_fiberlist_t *out, nm_err_t *err)
{
	if (g->gx) {
		int rc = nm__gx_fibers_of(g->gx, id, false, limit, out);
		keep(g, out->v);
		return rc;
	}
	nm_fiber_filter_t f = NM_FIBER_FILTER_INIT;
	f.contains_neuron = id;
	f.limit = limit;
	f.descending = false;
	return fibers(g, &f, out, err);
}

int nm_graph_fibers_of_newest(nm_graph_t *g, const char *id, int64_t limit, nm_fiberlist_t *out, nm_err_t *err)
{
	if (g->gx) {
		int rc = nm__gx_fibers_of(g->gx, id, true, limit, out);
		keep(g, out->v);
		return rc;
	}
	nm_fiber_filter_t f = NM_FIBER_FILTER_INIT;
	f.contains_neuron = id;
	f.limit = limit;
	f.descending = true;
	return fibers(g, &f, out, err);
}

int nm_graph_fibers_overlapping(nm_graph_t *g, int64_t t0, int64_t t1, int64_t limit, nm_fiberlist_t *out,
                                nm_err_t *err)
{
	nm_fiber_filter_t f = NM_FIBER_FILTER_INIT;
	f.time_start = t0;
	f.time_end = t1;
	f.limit = limit;
	f.descending = false;
	return fibers(g, &f, out, err);
}

const nm_gfiber_t *nm_graph_fiber(nm_graph_t *g, const char *id, int *rc, nm_err_t *err)
{
	*rc = 0;
	if (g->gx)
		return nm__gx_fiber(g->gx, id);
	void *hit = nm_hmap_get(&g->fibers, id, strlen(id));
	if (hit)
		return hit == MISSING ? NULL : hit;
	nm_fiber_t f = {0};
	nm_err_t e = {0};
	int r = nm_tx_fiber_get(g->tx, id, &f, &e);
	const nm_gfiber_t *x = NULL;
	if (r == 0)
		x = cache_fiber(g, &f);
	else if (r == -NM_ST_NOT_FOUND)
		nm_hmap_put(&g->fibers, kstr(g, id), strlen(id), MISSING);
	else {
		*rc = r;
		if (err)
			*err = e;
	}
	nm_fiber_clear(&f);
	return x;
}

int nm_graph_find_key(nm_graph_t *g, const char *text, size_t len, int64_t limit, nm_idlist_t *out, nm_err_t *err)
{
	if (g->gx) {
		size_t klen;
		char *key = nm_text_key(text, len, &klen);
		if (!key)
			return nm_err_set(err, NM_ST_INVALID, "key: invalid UTF-8");
		int rc = nm__gx_find_key(g->gx, key, klen, limit, out);
		free(key);
		keep(g, out->v);
		return rc;
	}
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.key = text;
	f.key_len = len;
	f.limit = limit;
	return find(g, &f, out, err);
}

int nm_graph_time_spans(nm_graph_t *g, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_idlist_t *out,
                        nm_err_t *err)
{
	if (g->gx) {
		int rc = nm__gx_time_spans(g->gx, t0, t1, exact, limit, out);
		keep(g, out->v);
		return rc;
	}
	memset(out, 0, sizeof *out);
	idcollect_t c = {g, out};
	int rc = nm_tx_time_spans(g->tx, t0, t1, exact, limit, add_id, &c, err);
	keep(g, out->v);
	return rc;
}

int nm_graph_fibers_nearest(nm_graph_t *g, int64_t ts, int64_t max_dist, int64_t k, nm_fiberlist_t *out,
                            nm_err_t *err)
{
	if (g->gx) {
		int rc = nm__gx_fibers_nearest(g->gx, ts, max_dist, k, out);
		keep(g, out->v);
		return rc;
	}
	memset(out, 0, sizeof *out);
	fcollect_t c = {g, out};
	int rc = nm_tx_fiber_nearest(g->tx, ts, max_dist, k, add_fiber, &c, err);
	keep(g, out->v);
	return rc;
}

typedef struct first_syn {
	nm_graph_t *g;
	const char *id;
} first_syn_t;

static int take_first(void *arg, const nm_synapse_t *s)
{
	first_syn_t *f = arg;
	f->id = kstr(f->g, s->id);
	return 1; /* stop */
}

const char *nm_graph_synapse_between(nm_graph_t *g, const char *a, const char *b, nm_synapse_type_t type, int *rc,
                                     nm_err_t *err)
{
	nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
	f.source_id = a;
	f.target_id = b;
	f.type = (int)type;
	f.limit = 1;
	first_syn_t fs = {g, NULL};
	int r = nm_tx_synapse_scan(g->tx, &f, take_first, &fs, err);
	*rc = r < 0 ? r : 0;
	return fs.id;
}

typedef struct scollect {
	nm_graph_t *g;
	nm_scored_t *v;
	size_t n;
} scollect_t;

static int add_scored(void *arg, const nm_fiber_t *f, double score)
{
	scollect_t *c = arg;
	c->v = nm_xrealloc(c->v, sizeof *c->v * (c->n + 1));
	c->v[c->n++] = (nm_scored_t){cache_fiber(c->g, f), score};
	return 0;
}

int nm_graph_fiber_search(nm_graph_t *g, const nm_strv_t *terms, int64_t k, nm_scored_t **out, size_t *n,
                          nm_err_t *err)
{
	if (g->gx) {
		int rc = nm__gx_fiber_search(g->gx, terms, k, out, n);
		keep(g, *out);
		return rc;
	}
	scollect_t c = {g, NULL, 0};
	int rc = nm_tx_fiber_search(g->tx, terms, k, add_scored, &c, err);
	keep(g, c.v);
	*out = c.v;
	*n = c.n;
	return rc;
}
