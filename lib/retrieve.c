/*
 * retrieve.c — the query pipeline (ENGINE.md §4): parse, depth, anchors,
 * spreading activation, fiber matching, subgraph, answer, context.
 *
 * Compat follows upstream step for step: anchors by substring in insertion
 * order with tiny limits (D11), time anchors by creation time (D3),
 * activation floor 0.2 (D10), fibers by salience only (D20).
 * Fixed: anchors by exact key first (substring only as a fallback), most
 * connected then newest; time anchors by the interval a time neuron
 * denotes; activation spreads down to a floor of threshold/4 with a
 * fan-out cap and is reported from the threshold up; fibers are ranked by
 * fusing graph, lexical and time candidates (rank.c).
 */
#include "retrieve.h"

#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "mem.h"
#include "text.h"

static int detect_depth(const nm_stimulus_t *s, const char *q, size_t len)
{
	switch (s->intent) {
	case NM_INTENT_ASK_WHY:
	case NM_INTENT_ASK_FEELING: return 3;
	case NM_INTENT_ASK_PATTERN: return 2;
	case NM_INTENT_ASK_HOW:
	case NM_INTENT_COMPARE: return 1;
	default: break;
	}
	/* whitespace tokens of lower(query), punctuation kept */
	static const char *const ctx_words[] = {"before", "after", "then", "trước", "sau", "rồi"};
	size_t llen;
	char *low = nm_utf8_lower(q, len, &llen);
	int depth = 0;
	for (char *tok = low ? strtok(low, " \t\n\r\v\f") : NULL; tok && !depth; tok = strtok(NULL, " \t\n\r\v\f"))
		for (size_t i = 0; i < sizeof ctx_words / sizeof ctx_words[0]; i++)
			if (strcmp(tok, ctx_words[i]) == 0)
				depth = 1;
	free(low);
	return depth;
}

static int depth_hops(int depth, const nm_config_t *c)
{
	static const int hops[] = {1, 3, 4};
	return depth >= 0 && depth < 3 ? hops[depth] : (int)c->max_spread_hops;
}

static void idlist_add(nm_idlist_t *l, const char *id)
{
	l->v = nm_xrealloc(l->v, sizeof *l->v * (l->n + 1));
	l->v[l->n++] = id;
}

static void idlist_extend(nm_idlist_t *l, const nm_idlist_t *more)
{
	for (size_t i = 0; i < more->n; i++)
		idlist_add(l, more->v[i]);
}

/* ---- anchors (§4.1) ---- */

static int compat_anchors(nm_qstate_t *q)
{
	nm_idlist_t hit;
	int rc = 0;
	for (size_t i = 0; i < q->stim.hints.n && rc == 0; i++) {
		rc = nm_graph_time_created(q->g, q->stim.hints.v[i].start, q->stim.hints.v[i].end, 5, &hit, q->err);
		idlist_extend(&q->sets[0], &hit);
	}
	for (size_t i = 0; i < q->stim.entities.n && rc == 0; i++) {
		rc = nm_graph_find_contains(q->g, q->stim.entities.v[i].text, 3, &hit, q->err);
		idlist_extend(&q->sets[1], &hit);
	}
	for (size_t i = 0; i < q->stim.keywords.n && i < 5 && rc == 0; i++) {
		rc = nm_graph_find_contains(q->g, q->stim.keywords.v[i], 2, &hit, q->err);
		idlist_extend(&q->sets[2], &hit);
	}
	return rc;
}

/* D11: neurons for one signal — exact key first, substring as fallback;
 * most connected first, then newest; at most `limit`. */
static int fixed_lookup(nm_qstate_t *q, const char *text, int64_t limit, nm_idlist_t *set)
{
	nm_idlist_t hit;
	int rc = nm_graph_find_key(q->g, text, strlen(text), 64, &hit, q->err);
	if (rc == 0 && hit.n == 0)
		rc = nm_graph_find_contains(q->g, text, 64, &hit, q->err);
	if (rc < 0 || hit.n == 0)
		return rc;
	size_t *deg = nm_xmalloc(sizeof *deg * hit.n);
	const char **v = nm_xmalloc(sizeof *v * hit.n);
	for (size_t i = 0; i < hit.n && rc == 0; i++) { /* newest first … */
		const nm_edge_t *e;
		v[i] = hit.v[hit.n - 1 - i];
		rc = nm_graph_edges(q->g, v[i], 0.0, &e, &deg[i], q->err);
	}
	for (size_t i = 1; i < hit.n; i++) { /* … then stably by degree, highest first */
		const char *x = v[i];
		size_t d = deg[i], j = i;
		while (j > 0 && deg[j - 1] < d) {
			v[j] = v[j - 1];
			deg[j] = deg[j - 1];
			j--;
		}
		v[j] = x;
		deg[j] = d;
	}
	for (size_t i = 0; i < hit.n && i < (size_t)limit && rc == 0; i++)
		idlist_add(set, v[i]);
	free(deg);
	free(v);
	return rc;
}

static int fixed_anchors(nm_qstate_t *q)
{
	nm_idlist_t hit;
	int rc = 0;
	for (size_t i = 0; i < q->stim.hints.n && rc == 0; i++) {
		rc = nm_graph_time_spans(q->g, q->stim.hints.v[i].start, q->stim.hints.v[i].end, false, 5, &hit, q->err);
		idlist_extend(&q->sets[0], &hit);
	}
	for (size_t i = 0; i < q->stim.entities.n && rc == 0; i++)
		rc = fixed_lookup(q, q->stim.entities.v[i].text, 5, &q->sets[1]);
	for (size_t i = 0; i < q->stim.keywords.n && i < 8 && rc == 0; i++)
		rc = fixed_lookup(q, q->stim.keywords.v[i], 5, &q->sets[2]);
	return rc;
}

/* ---- fibers, compat (§4.2) ---- */

static void stable_sort_salience(const nm_gfiber_t **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		const nm_gfiber_t *x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1]->salience < x->salience) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static int compat_fibers(nm_qstate_t *q)
{
	const nm_gfiber_t **all = NULL;
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < q->act.n && i < 20 && rc == 0; i++) {
		nm_fiberlist_t fl;
		rc = nm_graph_fibers_of(q->g, q->sorted[i].id, 3, &fl, q->err);
		stable_sort_salience(fl.v, fl.n); /* the memory store sorts its first 3 */
		for (size_t k = 0; k < fl.n; k++) {
			bool seen = false;
			for (size_t j = 0; j < n && !seen; j++)
				seen = all[j] == fl.v[k];
			if (!seen) {
				all = nm_xrealloc(all, sizeof *all * (n + 1));
				all[n++] = fl.v[k];
			}
		}
	}
	stable_sort_salience(all, n);
	q->fibers = all;
	q->nfibers = n < 10 ? n : 10;
	return rc;
}

/* ---- subgraph (§4.3) ---- */

static void strs_add(char ***v, size_t *n, const char *s)
{
	*v = nm_xrealloc(*v, sizeof **v * (*n + 1));
	(*v)[(*n)++] = nm_xstrdup(s);
}

static int subgraph(nm_qstate_t *q, nm_query_out_t *out)
{
	size_t sel = 0;
	nm_pmap_t chosen = {0}; /* canonical ids (graph.h) */
	for (size_t i = 0; i < q->act.n && sel < 50; i++)
		if (q->sorted[i].level >= q->eng->config.activation_threshold) {
			out->sub_levels = nm_xrealloc(out->sub_levels, sizeof *out->sub_levels * (out->n_sub_neurons + 1));
			out->sub_levels[out->n_sub_neurons] = q->sorted[i].level;
			strs_add(&out->sub_neurons, &out->n_sub_neurons, q->sorted[i].id);
			nm_pmap_put(&chosen, q->sorted[i].id, 1);
			sel++;
		}
	int rc = 0;
	for (size_t i = 0; i < out->n_sub_neurons && rc == 0; i++) {
		const nm_edge_t *e;
		size_t ne;
		rc = nm_graph_edges(q->g, out->sub_neurons[i], -1.0, &e, &ne, q->err);
		for (size_t k = 0; k < ne; k++) /* outgoing synapses, creation order */
			if (e[k].out && nm_pmap_get(&chosen, e[k].other))
				strs_add(&out->sub_synapses, &out->n_sub_synapses, e[k].synapse_id);
	}
	for (int s = 0; s < 3; s++)
		for (size_t i = 0; i < q->sets[s].n; i++)
			strs_add(&out->sub_anchors, &out->n_sub_anchors, q->sets[s].v[i]);
	nm_pmap_free(&chosen);
	return rc;
}

static int run(nm_qstate_t *q, nm_query_out_t *out)
{
	const nm_query_in_t *in = q->in;
	const nm_config_t *cfg = &q->eng->config;
	nm_parse_query(in->query, in->query_len, q->ref, q->eng->mode, &q->stim);
	out->intent = q->stim.intent;
	out->depth_used = in->depth >= 0 ? in->depth : detect_depth(&q->stim, in->query, in->query_len);
	int rc = q->fixed ? fixed_anchors(q) : compat_anchors(q);
	if (rc < 0)
		return rc;
	out->anchors_found = (int64_t)(q->sets[0].n + q->sets[1].n + q->sets[2].n);
	if (q->fixed && (rc = nm__lexical(q)) < 0)
		return rc;
	nm_spread_t sp = {
		.max_hops = depth_hops(out->depth_used, cfg),
		.decay = 0.5,
		.floor = q->fixed ? cfg->activation_threshold / 4 : cfg->activation_threshold,
		.min_weight = 0.1,
		.fanout_cap = 0, /* applied by the graph (nm_graph_cap_edges) */
		.edge_budget = q->fixed ? 10000 : 0, /* §9.2: ≤ ~10⁴ edge visits */
		.mode = q->eng->mode,
	};
	double t0 = nm_mono_ms();
	rc = nm_activate_sets(q->g, q->sets, 4, 3, &sp, &q->act, &q->inter, &out->activation, q->err);
	out->activation_ms = nm_mono_ms() - t0;
	if (rc < 0)
		return rc;
	q->sorted = nm_act_sorted(&q->act);
	out->intersections = (int64_t)q->inter.n;
	if (q->fixed) {
		out->neurons_activated = 0;
		for (size_t i = 0; i < q->act.n; i++)
			out->neurons_activated += q->act.v[i].level >= q->report_floor;
	} else {
		out->neurons_activated = (int64_t)q->act.n;
	}
	rc = q->fixed ? nm__rank_fixed(q) : compat_fibers(q);
	for (size_t i = 0; rc == 0 && i < q->nfibers; i++)
		nm_strv_add(&out->fibers_matched, q->fibers[i]->id);
	if (rc == 0 && (in->include_subgraph || q->fixed))
		rc = subgraph(q, out);
	out->has_subgraph = in->include_subgraph;
	if (rc == 0)
		rc = nm__answer(q, out);
	if (rc == 0)
		rc = nm__context(q, out);
	return rc;
}

int nm_query(nm_tx_t *tx, const nm_engine_t *eng, const nm_query_in_t *in, nm_query_out_t *out, nm_err_t *err)
{
	memset(out, 0, sizeof *out);
	nm_qstate_t q = {.g = nm_graph_open(tx), .eng = eng, .in = in, .fixed = eng->mode == NM_MODE_FIXED,
	                 .report_floor = eng->config.activation_threshold, .err = err};
	q.ref = in->reference_time != NM_TIME_NONE ? in->reference_time : nm_engine_now(eng);
	if (q.fixed) { /* §9: a hub spreads over its 256 most recent edges; the in-memory index answers */
		nm_graph_cap_edges(q.g, 128);
		nm_graph_use_index(q.g);
	}
	int rc = run(&q, out);
	nm_stimulus_clear(&q.stim);
	for (int s = 0; s < 4; s++)
		free(q.sets[s].v);
	nm_actmap_clear(&q.act);
	free(q.inter.v);
	free(q.sorted);
	free(q.fibers);
	nm_graph_close(q.g);
	if (rc < 0)
		nm_query_out_clear(out);
	return rc;
}

static void strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void nm_query_out_clear(nm_query_out_t *o)
{
	free(o->answer);
	nm_strv_clear(&o->fibers_matched);
	free(o->context);
	strs_free(o->sub_neurons, o->n_sub_neurons);
	strs_free(o->sub_synapses, o->n_sub_synapses);
	strs_free(o->sub_anchors, o->n_sub_anchors);
	free(o->sub_levels);
	memset(o, 0, sizeof *o);
}
