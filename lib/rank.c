/*
 * rank.c — fixed-mode fiber ranking (ENGINE.md §10, D20).
 *
 * Three ranked candidate lists are fused by reciprocal rank:
 *   graph:   fibers holding activated neurons, scored by the level that
 *            reached them × (0.5 + 0.5 × salience) (D20);
 *   lexical: BM25 over each memory's text with the question's keywords
 *            and entities as OR-ed terms;
 *   time:    when the question names a time, fibers whose time lies in
 *            the named window, nearest its middle first.
 * score(f) = Σ w_list / (K + rank_list(f)), K = 60; ties: newer fiber,
 * then id. The three best lexical hits also seed the activation (rank is
 * computed before it, nm__lexical), so the memories next to a hit — the
 * turn after a question, the fix after an incident — gain graph evidence.
 *
 * The constants were chosen on the quality corpora (tests/quality), recall@5
 * of fibers_matched on SQLite, team (44 memories, 32 questions) / chat (348
 * turns, 83 questions); BM25 alone: 0.630 / 0.396; compat: 0.479 / 0.272:
 *   equal weights, no hub damping, no seeds      0.716 / 0.355
 *   hub damping 1.0                              0.701 / 0.444
 *   hub damping 0.7, W_GRAPH 1.5                 0.716 / 0.462
 *   … + 3 lexical seeds (chosen)                 0.747 / 0.458
 *   … + 5 seeds                                  0.750 / 0.452
 *   … + 10 seeds                                 0.719 / 0.446
 * (RRF_K 20 vs 60 and W_TIME 0.5 vs 2 changed no top-5 list.)
 */
#include "retrieve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "mem.h"
#include "text.h"

#define RRF_K 60.0
#define W_GRAPH 1.5
#define W_LEX 1.0
#define W_TIME 1.0
#define HUB_DAMPING 0.7      /* graph contributions × 1 / (1 + 0.7 ln(1 + degree)) */
#define LEX_SEEDS 3          /* best lexical hits that also seed the activation */
#define K_LEX 50
#define K_TIME 50
#define GRAPH_NEURONS 50     /* activated neurons whose fibers are candidates */
#define FIBERS_PER_NEURON 10 /* newest fibers taken from each */

typedef struct fused {
	const nm_gfiber_t *f;
	double score;
} fused_t;

typedef struct fusion {
	fused_t *v;
	size_t n;
	nm_hmap_t idx;            /* fiber id → index + 1 */
} fusion_t;

static void vote(fusion_t *fu, const nm_gfiber_t *f, double w, size_t rank)
{
	size_t i = (size_t)(uintptr_t)nm_hmap_get(&fu->idx, f->id, strlen(f->id));
	if (!i) {
		fu->v = nm_xrealloc(fu->v, sizeof *fu->v * (fu->n + 1));
		fu->v[fu->n++] = (fused_t){f, 0.0};
		i = fu->n;
		nm_hmap_put(&fu->idx, f->id, strlen(f->id), (void *)(uintptr_t)i);
	}
	fu->v[i - 1].score += w / (RRF_K + (double)rank);
}

/* ---- graph list (D20) ---- */

static int by_score_desc(const void *a, const void *b)
{
	const fused_t *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	if (x->f->created_at != y->f->created_at)
		return x->f->created_at < y->f->created_at ? 1 : -1;
	return strcmp(x->f->id, y->f->id);
}

static int graph_list(nm_qstate_t *q, fusion_t *fu)
{
	fusion_t g = {0};
	int rc = 0;
	for (size_t i = 0; i < q->act.n && i < GRAPH_NEURONS && rc == 0; i++) {
		const nm_act_t *a = &q->sorted[i];
		nm_fiberlist_t fl;
		const nm_edge_t *ed;
		size_t deg = 0;
		if ((rc = nm_graph_edges(q->g, a->id, 0.0, &ed, &deg, q->err)) < 0)
			break;
		/* a hub (a speaker's name, a word in every memory) says little about
		 * which memory is meant: damp it by its degree, as idf does */
		double hubw = 1.0 / (1.0 + HUB_DAMPING * log(1.0 + (double)deg));
		rc = nm_graph_fibers_of_newest(q->g, a->id, FIBERS_PER_NEURON, &fl, q->err);
		for (size_t k = 0; k < fl.n; k++) {
			double s = a->level * (0.5 + 0.5 * fl.v[k]->salience) * hubw;
			size_t j = (size_t)(uintptr_t)nm_hmap_get(&g.idx, fl.v[k]->id, strlen(fl.v[k]->id));
			if (j) { /* reached before through a stronger neuron: keep the max */
				if (s > g.v[j - 1].score)
					g.v[j - 1].score = s;
				continue;
			}
			g.v = nm_xrealloc(g.v, sizeof *g.v * (g.n + 1));
			g.v[g.n++] = (fused_t){fl.v[k], s};
			nm_hmap_put(&g.idx, fl.v[k]->id, strlen(fl.v[k]->id), (void *)(uintptr_t)g.n);
		}
	}
	if (g.n > 1)
		qsort(g.v, g.n, sizeof *g.v, by_score_desc);
	for (size_t i = 0; i < g.n; i++)
		vote(fu, g.v[i].f, W_GRAPH, i + 1);
	free(g.v);
	nm_hmap_free(&g.idx);
	return rc;
}

/* ---- lexical list ---- */

int nm__lexical(nm_qstate_t *q)
{
	nm_strv_t terms = {0};
	for (size_t i = 0; i < q->stim.keywords.n; i++)
		nm_strv_add(&terms, q->stim.keywords.v[i]);
	for (size_t i = 0; i < q->stim.entities.n; i++) {
		char *low = nm_utf8_lower(q->stim.entities.v[i].text, strlen(q->stim.entities.v[i].text), NULL);
		if (low)
			nm_strv_add(&terms, low);
		free(low);
	}
	int rc = terms.n ? nm_graph_fiber_search(q->g, &terms, K_LEX, &q->lex, &q->nlex, q->err) : 0;
	nm_strv_clear(&terms);
	/* the best lexical hits seed the activation (their neighbourhood —
	 * adjacent memories, shared entities — then counts as graph evidence) */
	for (size_t i = 0; i < q->nlex && i < (size_t)LEX_SEEDS; i++) {
		q->sets[3].v = nm_xrealloc(q->sets[3].v, sizeof *q->sets[3].v * (q->sets[3].n + 1));
		q->sets[3].v[q->sets[3].n++] = q->lex[i].fiber->anchor;
	}
	return rc;
}

static void lexical_list(nm_qstate_t *q, fusion_t *fu)
{
	for (size_t i = 0; i < q->nlex; i++)
		vote(fu, q->lex[i].fiber, W_LEX, i + 1);
}

/* ---- time list ---- */

static int time_list(nm_qstate_t *q, fusion_t *fu)
{
	int rc = 0;
	size_t rank = 0;
	nm_hmap_t seen = {0};
	for (size_t h = 0; h < q->stim.hints.n && rc == 0; h++) {
		const nm_time_hint_t *t = &q->stim.hints.v[h];
		if (t->start > t->end)
			continue;
		int64_t mid = t->start + (t->end - t->start) / 2;
		nm_fiberlist_t fl;
		rc = nm_graph_fibers_nearest(q->g, mid, (t->end - t->start) / 2, K_TIME, &fl, q->err);
		for (size_t k = 0; k < fl.n; k++) {
			if (nm_hmap_get(&seen, fl.v[k]->id, strlen(fl.v[k]->id)))
				continue;
			nm_hmap_put(&seen, fl.v[k]->id, strlen(fl.v[k]->id), (void *)1);
			vote(fu, fl.v[k], W_TIME, ++rank);
		}
	}
	nm_hmap_free(&seen);
	return rc;
}

int nm__rank_fixed(nm_qstate_t *q)
{
	fusion_t fu = {0};
	int rc = graph_list(q, &fu);
	lexical_list(q, &fu);
	if (rc == 0)
		rc = time_list(q, &fu);
	if (fu.n > 1)
		qsort(fu.v, fu.n, sizeof *fu.v, by_score_desc);
	q->fibers = nm_xmalloc(sizeof *q->fibers * (fu.n + 1));
	for (size_t i = 0; i < fu.n; i++)
		q->fibers[i] = fu.v[i].f;
	q->nfibers = fu.n < 10 ? fu.n : 10;
	free(fu.v);
	nm_hmap_free(&fu.idx);
	return rc;
}
