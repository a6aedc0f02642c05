/*
 * handlers/graph.c — GET /api/graph (PROTOCOL.md §3.10): a bounded view of
 * a brain for the browser UI. Never the whole brain: at most `limit`
 * neurons (default 100, up to 10,000) — the first ones in creation order,
 * or with `around` the breadth-first neighbourhood of one neuron (both
 * directions, `depth` 1..3); the synapses among them; up to 1,000 fibers,
 * newest first; and the brain's totals.
 *
 * The brain: X-Brain-ID, else ?brain_id, else ui.default_brain. Because it
 * may come from the query string, this route finds the brain and checks
 * read access itself (dispatch only handles header and path brains).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FIBERS 1000

typedef struct view {
	nm_neuron_t *v;               /* neurons shown, in order */
	size_t n, cap;
	int64_t limit;
	nm_hmap_t in;                 /* id → 1, keys borrowed from v[] */
} view_t;

static bool view_has(const view_t *g, const char *id)
{
	return nm_hmap_get(&g->in, id, strlen(id)) != NULL;
}

static void view_add(view_t *g, const nm_neuron_t *n)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->v = nm_xrealloc(g->v, sizeof *g->v * g->cap);
	}
	nm_neuron_t *c = &g->v[g->n];
	memset(c, 0, sizeof *c);
	nm_neuron_copy(c, n);
	nm_hmap_put(&g->in, c->id, strlen(c->id), (void *)1);
	g->n++;
}

static void view_clear(view_t *g)
{
	for (size_t i = 0; i < g->n; i++)
		nm_neuron_clear(&g->v[i]);
	free(g->v);
	nm_hmap_free(&g->in);
}

static int first_neurons(void *arg, const nm_neuron_t *n)
{
	view_add(arg, n);
	return 0;
}

/* Ids of the neurons one synapse away from id (both directions). */
static int neighbour(void *arg, const nm_synapse_t *s)
{
	nm_strv_t *out = arg;
	nm_strv_push(out, nm_xstrdup(s->source_id));
	nm_strv_push(out, nm_xstrdup(s->target_id));
	return 0;
}

/* Breadth-first from `around`, depth levels, up to the limit. */
static int neighbourhood(nm_tx_t *tx, view_t *g, const char *around, int64_t depth, nm_err_t *err)
{
	nm_neuron_t n = {0};
	int rc = nm_tx_neuron_get(tx, around, &n, err);
	if (rc < 0)
		return rc;
	view_add(g, &n);
	nm_neuron_clear(&n);
	size_t level_start = 0;
	for (int64_t d = 0; d < depth && rc == 0 && (int64_t)g->n < g->limit; d++) {
		size_t level_end = g->n;
		for (size_t i = level_start; i < level_end && rc == 0 && (int64_t)g->n < g->limit; i++) {
			nm_strv_t ids = {0};
			nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
			char *id = nm_xstrdup(g->v[i].id);
			f.source_id = id;
			rc = nm_tx_synapse_scan(tx, &f, neighbour, &ids, err);
			f.source_id = NULL;
			f.target_id = id;
			if (rc == 0)
				rc = nm_tx_synapse_scan(tx, &f, neighbour, &ids, err);
			for (size_t k = 0; k < ids.n && rc == 0 && (int64_t)g->n < g->limit; k++) {
				if (view_has(g, ids.v[k]))
					continue;
				nm_neuron_t m = {0};
				nm_err_t e = {0};
				if (nm_tx_neuron_get(tx, ids.v[k], &m, &e) == 0)
					view_add(g, &m);
				nm_neuron_clear(&m);
			}
			nm_strv_clear(&ids);
			free(id);
		}
		level_start = level_end;
	}
	return rc;
}

/* Synapses among the shown neurons: each neuron's outgoing ones whose
 * target is shown, ordered by creation time (then id). */
typedef struct links {
	const view_t *g;
	nm_synapse_t *v;
	size_t n, cap;
} links_t;

static int keep_link(void *arg, const nm_synapse_t *s)
{
	links_t *l = arg;
	if (!view_has(l->g, s->target_id))
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = nm_xrealloc(l->v, sizeof *l->v * l->cap);
	}
	memset(&l->v[l->n], 0, sizeof l->v[l->n]);
	nm_synapse_copy(&l->v[l->n++], s);
	return 0;
}

static int by_creation(const void *a, const void *b)
{
	const nm_synapse_t *x = a, *y = b;
	if (x->created_at != y->created_at)
		return x->created_at < y->created_at ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void put_neurons(nm_jw_t *w, const view_t *g)
{
	nm_jw_key(w, "neurons");
	nm_jw_arr(w);
	for (size_t i = 0; i < g->n; i++) {
		const nm_neuron_t *n = &g->v[i];
		nm_jw_obj(w);
		nm_jw_key(w, "id");
		nm_jw_str(w, n->id);
		nm_jw_key(w, "type");
		nm_jw_str(w, nm_neuron_type_name(n->type));
		nm_jw_key(w, "content");
		nm_jw_strn(w, n->content, n->content_len);
		nm_jw_key(w, "metadata");
		nm_jw_raw(w, n->metadata);
		nm_jw_obj_end(w);
	}
	nm_jw_arr_end(w);
}

static void put_links(nm_jw_t *w, const links_t *l)
{
	nm_jw_key(w, "synapses");
	nm_jw_arr(w);
	for (size_t i = 0; i < l->n; i++) {
		const nm_synapse_t *s = &l->v[i];
		nm_jw_obj(w);
		nm_jw_key(w, "id");
		nm_jw_str(w, s->id);
		nm_jw_key(w, "source_id");
		nm_jw_str(w, s->source_id);
		nm_jw_key(w, "target_id");
		nm_jw_str(w, s->target_id);
		nm_jw_key(w, "type");
		nm_jw_str(w, nm_synapse_type_name(s->type));
		nm_jw_key(w, "weight");
		nm_jw_real(w, s->weight);
		nm_jw_key(w, "direction");
		nm_jw_str(w, nm_direction_name(s->direction));
		nm_jw_obj_end(w);
	}
	nm_jw_arr_end(w);
}

static int put_fiber(void *arg, const nm_fiber_t *f)
{
	nm_jw_t *w = arg;
	nm_jw_obj(w);
	nm_jw_key(w, "id");
	nm_jw_str(w, f->id);
	nm_jw_key(w, "summary");
	nm_jw_str(w, f->summary);
	nm_jw_key(w, "neuron_count");
	nm_jw_int(w, (int64_t)f->neuron_ids.n);
	nm_jw_obj_end(w);
	return 0;
}

typedef struct graph_req {
	int64_t limit, depth;
	const char *around;
} graph_req_t;

static int write_graph(srv_job_t *job, nm_tx_t *tx, const graph_req_t *q, nm_err_t *err)
{
	view_t g = {.limit = q->limit};
	links_t l = {.g = &g};
	nm_stats_t st;
	int rc;
	if (q->around) {
		rc = neighbourhood(tx, &g, q->around, q->depth, err);
	} else {
		nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
		f.limit = q->limit;
		rc = nm_tx_neuron_scan(tx, &f, first_neurons, &g, err);
	}
	for (size_t i = 0; i < g.n && rc == 0; i++) {
		nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
		f.source_id = g.v[i].id;
		rc = nm_tx_synapse_scan(tx, &f, keep_link, &l, err);
	}
	if (rc == 0)
		rc = nm_tx_stats(tx, &st, err);
	if (rc == 0) {
		if (l.n)
			qsort(l.v, l.n, sizeof *l.v, by_creation);
		nm_jw_t w;
		srv_job_json(job, 200, &w);
		nm_jw_obj(&w);
		put_neurons(&w, &g);
		put_links(&w, &l);
		nm_jw_key(&w, "fibers");
		nm_jw_arr(&w);
		nm_fiber_filter_t ff = NM_FIBER_FILTER_INIT;
		ff.order = NM_ORDER_INSERTION;
		ff.descending = true;
		ff.limit = MAX_FIBERS;
		rc = nm_tx_fiber_scan(tx, &ff, put_fiber, &w, err);
		nm_jw_arr_end(&w);
		nm_jw_key(&w, "stats");
		nm_jw_obj(&w);
		nm_jw_key(&w, "neuron_count");
		nm_jw_int(&w, st.neurons);
		nm_jw_key(&w, "synapse_count");
		nm_jw_int(&w, st.synapses);
		nm_jw_key(&w, "fiber_count");
		nm_jw_int(&w, st.fibers);
		nm_jw_obj_end(&w);
		nm_jw_obj_end(&w);
		srv_job_json_done(job, &w);
	}
	for (size_t i = 0; i < l.n; i++)
		nm_synapse_clear(&l.v[i]);
	free(l.v);
	view_clear(&g);
	return rc;
}

/* The brain of the request (a new reference in job->brain), or an answer. */
static int graph_brain(srv_job_t *job)
{
	const char *id = job->brain_header && *job->brain_header ? job->brain_header
	               : srv_query_get(&job->query, "brain_id");
	if (!id || !*id)
		id = *job->ctx->cfg.default_brain ? job->ctx->cfg.default_brain : NULL;
	if (!id)
		return srv_job_error(job, 404, "no brain: send X-Brain-ID or ?brain_id= (or set ui.default_brain)");
	if (!nm_id_valid(id, strlen(id)))
		return srv_job_error(job, 422, "brain_id: must be a non-empty id of at most 255 bytes");
	job->brain = nm_store_brain_lookup(job->ctx->store, id, NULL);
	if (!job->brain)
		return srv_job_error(job, 404, "Brain %.255s not found", id);
	if (job->auth_on && !nm_brain_can(job->brain, job->principal, job->admin, false))
		return srv_job_error(job, 403, "Access to brain %.255s denied", id);
	return 0;
}

void srv_h_graph(srv_job_t *job)
{
	graph_req_t q = {.limit = 100, .depth = 1, .around = srv_query_get(&job->query, "around")};
	nm_err_t err = {0};
	if (graph_brain(job) < 0 || srv_q_int(job, "limit", 1, 10000, &q.limit) < 0 ||
	    srv_q_int(job, "depth", 1, 3, &q.depth) < 0)
		goto done;
	if (q.around && !nm_id_valid(q.around, strlen(q.around))) {
		srv_job_error(job, 422, "around: must be a neuron id");
		goto done;
	}
	nm_tx_t *tx;
	int rc = nm_brain_read_begin(job->brain, &tx, &err);
	if (rc == 0) {
		rc = write_graph(job, tx, &q, &err);
		nm_brain_read_end(tx);
	}
	if (rc < 0)
		srv_job_errfrom(job, &err);
done:
	srv_job_finish(job);
}
