/*
 * context.c — the answer, its confidence and the context text of a query
 * (ENGINE.md §4.4, §4.5; fixed mode D12, D21).
 *
 * Compat reproduces upstream: the answer is the best-scoring activated
 * neuron (usually the query's own word, D12) and the context counts a
 * line's words even when the line no longer fits. Fixed: the answer is the
 * memory text of the best-ranked fiber, the confidence comes from the
 * strongest neuron that is not a query anchor, and the context counts only
 * lines it emits and lists 20 non-time neurons above the report floor.
 */
#include "retrieve.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

static bool is_anchor(const nm_qstate_t *q, const char *id)
{
	for (int s = 0; s < 4; s++)
		for (size_t i = 0; i < q->sets[s].n; i++)
			if (strcmp(q->sets[s].v[i], id) == 0)
				return true;
	return false;
}

static bool in_list(const nm_idlist_t *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], id) == 0)
			return true;
	return false;
}

typedef struct cand {
	const char *id;
	double score;
} cand_t;

/* Compat: intersections first (×1.5), then the other activated ids, then
 * a stable sort by score. */
static int compat_answer(nm_qstate_t *q, nm_query_out_t *out)
{
	if (q->act.n == 0)
		return 0;
	cand_t *c = nm_xmalloc(sizeof *c * (q->inter.n + q->act.n));
	size_t n = 0;
	for (size_t i = 0; i < q->inter.n; i++) {
		const nm_act_t *a = nm_actmap_get(&q->act, q->inter.v[i]);
		if (a)
			c[n++] = (cand_t){a->id, a->level * 1.5};
	}
	for (size_t i = 0; i < q->act.n; i++)
		if (!in_list(&q->inter, q->act.v[i].id))
			c[n++] = (cand_t){q->act.v[i].id, q->act.v[i].level};
	size_t best = 0;
	for (size_t i = 1; i < n; i++) /* first of the highest = stable sort's head */
		if (c[i].score > c[best].score)
			best = i;
	int rc = 0;
	if (n) {
		const nm_gneuron_t *top = nm_graph_neuron(q->g, c[best].id, &rc, q->err);
		if (top) {
			out->answer = nm_xstrndup(top->content, top->content_len);
			out->answer_len = top->content_len;
			double conf = c[best].score < 1.0 ? c[best].score : 1.0;
			if (q->inter.n) {
				conf = conf + 0.1 * (double)q->inter.n;
				conf = conf < 1.0 ? conf : 1.0;
			}
			out->confidence = conf;
		}
	}
	free(c);
	return rc;
}

/* Fixed (D12): the best fiber's memory text; confidence from the strongest
 * activated neuron that is not a query anchor. */
static int fixed_answer(nm_qstate_t *q, nm_query_out_t *out)
{
	if (q->nfibers == 0)
		return 0;
	int rc = 0;
	const nm_gfiber_t *f = q->fibers[0];
	const nm_gneuron_t *anchor = nm_graph_neuron(q->g, f->anchor, &rc, q->err);
	if (f->summary && *f->summary) {
		out->answer = nm_xstrdup(f->summary);
		out->answer_len = strlen(f->summary);
	} else if (anchor) {
		out->answer = nm_xstrndup(anchor->content, anchor->content_len);
		out->answer_len = anchor->content_len;
	}
	double best = 0;
	for (size_t i = 0; i < q->act.n; i++) {
		const nm_act_t *a = &q->sorted[i];
		if (is_anchor(q, a->id))
			continue;
		best = a->level * (in_list(&q->inter, a->id) ? 1.5 : 1.0);
		break; /* sorted: the first non-anchor is the strongest */
	}
	double conf = best + 0.1 * (double)q->inter.n;
	out->confidence = conf < 1.0 ? conf : 1.0;
	return rc;
}

int nm__answer(nm_qstate_t *q, nm_query_out_t *out)
{
	return q->fixed ? fixed_answer(q, out) : compat_answer(q, out);
}

/* ---- context text ---- */

typedef struct ctx {
	nm_buf_t text;
	bool any;
	size_t tokens;
	size_t max;
	bool fixed;
} ctx_t;

static void emit(ctx_t *c, const char *line, size_t len)
{
	if (c->any)
		nm_buf_putc(&c->text, '\n');
	nm_buf_append(&c->text, line, len);
	c->any = true;
}

/* Count a line against the budget; true when it may be emitted. Compat
 * counts it even when it does not fit (D21). */
static bool fits(ctx_t *c, const char *line, size_t len)
{
	size_t w = nm_word_count(line, len);
	if (c->tokens + w > c->max) {
		if (!c->fixed)
			c->tokens += w;
		return false;
	}
	c->tokens += w;
	return true;
}

/* Emit the line if it fits; frees it. False when it did not fit. */
static bool add_line(ctx_t *c, nm_buf_t *line)
{
	bool ok = fits(c, line->data, line->len);
	if (ok)
		emit(c, line->data, line->len);
	nm_buf_free(line);
	return ok;
}

static int memories(nm_qstate_t *q, ctx_t *c, nm_strv_t *shown)
{
	int rc = 0;
	if (!q->nfibers)
		return 0;
	emit(c, "## Relevant Memories\n", 21);
	for (size_t i = 0; i < q->nfibers && i < 5 && rc == 0; i++) {
		const nm_gfiber_t *f = q->fibers[i];
		nm_buf_t line = {0};
		if (f->summary && *f->summary) {
			nm_buf_printf(&line, "- %s", f->summary);
		} else {
			const nm_gneuron_t *a = nm_graph_neuron(q->g, f->anchor, &rc, q->err);
			if (!a)
				continue;
			nm_buf_puts(&line, "- ");
			nm_buf_append(&line, a->content, a->content_len);
			nm_strv_add(shown, a->id);
		}
		if (!add_line(c, &line))
			break;
	}
	return rc;
}

static int related(nm_qstate_t *q, ctx_t *c, const nm_strv_t *shown)
{
	emit(c, "\n## Related Information\n", 24);
	int rc = 0;
	size_t taken = 0;
	for (size_t i = 0; i < q->act.n && taken < 20 && rc == 0; i++) {
		const nm_act_t *a = &q->sorted[i];
		if (c->fixed && a->level < q->report_floor)
			break;
		const nm_gneuron_t *n = nm_graph_neuron(q->g, a->id, &rc, q->err);
		if (!c->fixed)
			taken++; /* compat: skipped neurons use up a slot too (D21) */
		if (!n || n->type == NM_NEURON_TIME || (c->fixed && nm_strv_has(shown, n->id)))
			continue;
		if (c->fixed)
			taken++;
		nm_buf_t line = {0};
		nm_buf_printf(&line, "- [%s] ", nm_neuron_type_name(n->type));
		nm_buf_append(&line, n->content, n->content_len);
		if (!add_line(c, &line))
			break;
	}
	return rc;
}

int nm__context(nm_qstate_t *q, nm_query_out_t *out)
{
	int64_t max = q->in->max_tokens > 0 ? q->in->max_tokens : q->eng->config.max_context_tokens;
	ctx_t c = {.max = (size_t)max, .fixed = q->fixed};
	nm_strv_t shown = {0};
	int rc = 0;
	if (!(q->fixed && q->act.n == 0 && q->nfibers == 0)) { /* D21: nothing found → "" */
		rc = memories(q, &c, &shown);
		if (rc == 0 && c.tokens < c.max)
			rc = related(q, &c, &shown);
	}
	nm_strv_clear(&shown);
	out->context = c.text.data ? nm_buf_steal(&c.text, &out->context_len) : nm_xstrdup("");
	return rc;
}
