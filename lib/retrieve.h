/*
 * retrieve.h — PRIVATE to the engine (retrieve.c, rank.c, context.c):
 * the state of one query as it moves through the pipeline of ENGINE.md §4.
 */
#ifndef NM_RETRIEVE_H
#define NM_RETRIEVE_H

#include "activate.h"
#include "engine.h"
#include "graph.h"

typedef struct nm_qstate {
	nm_graph_t *g;
	const nm_engine_t *eng;
	const nm_query_in_t *in;
	bool fixed;
	int64_t ref;
	nm_stimulus_t stim;
	nm_idlist_t sets[4];          /* anchors: time, entity, keyword; [3]: fixed mode's lexical seeds */
	nm_scored_t *lex;             /* fixed: lexical candidates, best first */
	size_t nlex;
	nm_actmap_t act;
	nm_idlist_t inter;            /* intersections */
	nm_act_t *sorted;             /* act by level desc (stable) */
	const nm_gfiber_t **fibers;   /* matched, final order */
	size_t nfibers;
	double report_floor;          /* levels shown in subgraph/context/counts */
	nm_err_t *err;
} nm_qstate_t;

/* rank.c — fixed mode: lexical candidates (before activation: the best
 * of them also seed it), then graph, lexical and time lists fused (§10). */
int nm__lexical(nm_qstate_t *q);
int nm__rank_fixed(nm_qstate_t *q);
/* context.c — the answer and the context text (§4.4, §4.5, D12, D21). */
int nm__answer(nm_qstate_t *q, nm_query_out_t *out);
int nm__context(nm_qstate_t *q, nm_query_out_t *out);

#endif
