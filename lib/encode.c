/*
 * encode.c — storing one memory (ENGINE.md §2).
 *
 * Order matters (ids, insertion order and every later tie-break depend on
 * it): time neurons (hints, then the timestamp), entity neurons, keyword
 * neurons, the anchor, synapses a–d, temporal links e, the fiber. All of it
 * happens in the caller's write transaction, so two encodes never both
 * decide that "Alice" is new.
 *
 * Compat (upstream, defects included): a neuron that already exists is
 * skipped and not linked (D1); hint time neurons are deduplicated by the
 * wall-clock creation time of any time neuron (D2); temporal neighbours
 * are the first five fibers of the ±24 h window in insertion order (D4)
 * linked with weight 0.3 (D5); coherence is not stored and salience is
 * computed over new neurons only (D6).
 * Fixed: existing neurons are reused and linked (reported in
 * neurons_linked), found by case- and normalisation-insensitive key (D18);
 * time neurons are keyed by the interval they denote / the minute (D2);
 * temporal neighbours are the five nearest in time (D4), linked at 0.5
 * (D5); co-occurrence links between reused entities are reused rather
 * than duplicated; coherence is stored (D6).
 */
#include "engine.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#include "graph.h"
#include "isotime.h"
#include "jsonw.h"
#include "mem.h"
#include "text.h"
#include "uuid.h"

#define TEMPORAL_WINDOW (24 * 3600 * NM_USEC_PER_SEC)

int64_t nm_engine_now(const nm_engine_t *eng)
{
	if (eng->env && eng->env->frozen_clock != NM_TIME_NONE)
		return eng->env->frozen_clock;
	return nm_time_now();
}

/* A new object id: a UUID, or the brain's counter under the test hook. */
static char *new_id(nm_tx_t *tx, const nm_engine_t *eng)
{
	if (eng->env && eng->env->counter_ids)
		return nm_xasprintf("00000000-0000-0000-0000-%012llx",
		                    (unsigned long long)nm_brain_next_test_id(nm_tx_brain(tx)));
	char u[NM_UUID_BUFSZ];
	return nm_xstrdup(nm_uuid4(u));
}

/* The encode in progress. */
typedef struct enc {
	nm_tx_t *tx;
	nm_graph_t *g;
	const nm_engine_t *eng;
	bool fixed;
	int64_t now, ts;
	nm_strv_t created;        /* new neuron ids, in creation order */
	nm_strv_t linked;         /* reused neuron ids (fixed) */
	nm_strv_t time_ids, entity_ids, keyword_ids; /* the memory's neurons per role */
	nm_strv_t synapses;       /* a–d, in order (the fiber's synapse_ids) */
	int64_t synapses_created; /* of those, new ones (fixed mode may reuse co_occurs) */
	nm_strv_t neighbour_anchors;
	char *anchor;
	nm_err_t *err;
} enc_t;

static void enc_clear(enc_t *e)
{
	nm_strv_clear(&e->created);
	nm_strv_clear(&e->linked);
	nm_strv_clear(&e->time_ids);
	nm_strv_clear(&e->entity_ids);
	nm_strv_clear(&e->keyword_ids);
	nm_strv_clear(&e->synapses);
	nm_strv_clear(&e->neighbour_anchors);
	free(e->anchor);
}

/* Create a neuron; its id is appended to `role` and to `created`. */
static int add_neuron(enc_t *e, nm_neuron_type_t type, const char *content, size_t len, const char *meta,
                      nm_strv_t *role)
{
	nm_neuron_t n = {.id = new_id(e->tx, e->eng), .type = type, .content = (char *)content, .content_len = len,
	                 .metadata = (char *)meta, .created_at = e->now};
	int rc = nm_tx_neuron_add(e->tx, &n, e->err);
	if (rc == 0) {
		nm_strv_add(&e->created, n.id);
		if (role)
			nm_strv_add(role, n.id);
	}
	free(n.id);
	return rc;
}

/* Fixed mode: link an existing neuron instead of creating one. */
static void reuse(enc_t *e, const char *id, nm_strv_t *role)
{
	if (!nm_strv_has(&e->created, id))
		nm_strv_add(&e->linked, id);
	nm_strv_add(role, id);
}

static int add_synapse(enc_t *e, const char *from, const char *to, nm_synapse_type_t type, double weight,
                       const char *meta, bool record)
{
	nm_synapse_t s = {.id = new_id(e->tx, e->eng), .source_id = (char *)from, .target_id = (char *)to,
	                  .type = type, .weight = weight < 0 ? 0 : weight > 1 ? 1 : weight,
	                  .direction = nm_synapse_default_direction(type), .metadata = (char *)(meta ? meta : "{}"),
	                  .last_activated = NM_TIME_NONE, .created_at = e->now};
	int rc = nm_tx_synapse_add(e->tx, &s, e->err);
	if (rc == 0 && record) {
		nm_strv_add(&e->synapses, s.id);
		e->synapses_created++;
	}
	free(s.id);
	return rc;
}

/* ---- step 1: time neurons ---- */

static char *time_meta(int64_t start, int64_t end, const char *gran)
{
	char a[NM_TIME_BUFSZ], b[NM_TIME_BUFSZ];
	return nm_xasprintf("{\"absolute_start\":\"%s\",\"absolute_end\":\"%s\",\"granularity\":\"%s\"}",
	                    nm_time_format_py(start, a), nm_time_format_py(end, b), gran);
}

/* Python: start + (end - start) / 2, timedelta division rounding half to
 * even at the microsecond. */
static int64_t midpoint(int64_t s, int64_t e)
{
	int64_t d = e - s, half = d / 2;
	if (d % 2 != 0 && (half % 2 != 0)) /* exact .5: round to even */
		half += d > 0 ? 1 : -1;
	return s + half;
}

static int time_neurons(enc_t *e, const char *content, size_t len)
{
	nm_time_hints_t hints;
	nm_extract_time(content, len, e->ts, NM_LANG_AUTO, e->eng->mode, &hints);
	int rc = 0;
	for (size_t i = 0; i < hints.n && rc == 0; i++) {
		const nm_time_hint_t *h = &hints.v[i];
		nm_idlist_t hit;
		if (e->fixed) {
			rc = nm_graph_time_spans(e->g, h->start, h->end, true, 1, &hit, e->err);
			if (rc == 0 && hit.n) {
				reuse(e, hit.v[0], &e->time_ids);
				continue;
			}
		} else {
			int64_t mid = midpoint(h->start, h->end), hour = 3600 * NM_USEC_PER_SEC;
			rc = nm_graph_time_created(e->g, mid - hour, mid + hour, 1, &hit, e->err);
			if (rc == 0 && hit.n) /* D1/D2: dropped, and nothing links to it */
				continue;
		}
		char *meta = time_meta(h->start, h->end, nm_enum_granularity.names[h->granularity]);
		if (rc == 0)
			rc = add_neuron(e, NM_NEURON_TIME, h->original, strlen(h->original), meta, &e->time_ids);
		free(meta);
	}
	nm_time_hints_clear(&hints);
	if (rc < 0)
		return rc;
	/* the timestamp itself, "YYYY-MM-DD HH:MM" */
	char stamp[NM_TIME_BUFSZ];
	nm_time_format(e->ts, stamp);
	stamp[10] = ' ';
	stamp[16] = '\0';
	if (e->fixed) {
		nm_idlist_t hit;
		if ((rc = nm_graph_find_exact(e->g, stamp, 16, NM_NEURON_TIME, 1, &hit, e->err)) < 0)
			return rc;
		if (hit.n) {
			reuse(e, hit.v[0], &e->time_ids);
			return 0;
		}
	}
	char *meta = time_meta(e->ts, e->ts, "minute");
	rc = add_neuron(e, NM_NEURON_TIME, stamp, 16, meta, &e->time_ids);
	free(meta);
	return rc;
}

/* ---- steps 2 and 3: entities and keywords ---- */

static nm_neuron_type_t entity_neuron_type(nm_entity_type_t t)
{
	switch (t) {
	case NM_ENT_LOCATION: return NM_NEURON_SPATIAL;
	case NM_ENT_EVENT: return NM_NEURON_ACTION;
	case NM_ENT_UNKNOWN: return NM_NEURON_CONCEPT;
	default: return NM_NEURON_ENTITY;
	}
}

/* Fixed: an existing non-time neuron with the same key, preferring one of
 * the wanted type; NULL when none. */
static const char *find_reusable(enc_t *e, const char *text, size_t len, nm_neuron_type_t want, int *rc)
{
	nm_idlist_t hits;
	*rc = nm_graph_find_key(e->g, text, len, 16, &hits, e->err);
	const char *best = NULL;
	for (size_t i = 0; *rc == 0 && i < hits.n; i++) {
		const nm_gneuron_t *n = nm_graph_neuron(e->g, hits.v[i], rc, e->err);
		if (!n || n->type == NM_NEURON_TIME)
			continue;
		if (nm_strv_has(&e->created, n->id) && !nm_strv_has(&e->entity_ids, n->id) &&
		    !nm_strv_has(&e->keyword_ids, n->id))
			continue; /* this memory's own time neurons */
		if (n->type == want)
			return n->id;
		if (!best)
			best = n->id;
	}
	return best;
}

static int entity_neurons(enc_t *e, const char *content, size_t len, nm_strv_t *entity_lower)
{
	nm_entities_t ents;
	nm_extract_entities(content, len, e->eng->mode, false, &ents);
	int rc = 0;
	for (size_t i = 0; i < ents.n && rc == 0; i++) {
		const nm_entity_t *x = &ents.v[i];
		size_t n = strlen(x->text);
		char *low = nm_utf8_lower(x->text, n, NULL);
		if (low)
			nm_strv_add(entity_lower, low);
		free(low);
		nm_neuron_type_t type = entity_neuron_type(x->type);
		if (e->fixed) {
			const char *old = find_reusable(e, x->text, n, type, &rc);
			if (rc == 0 && old) {
				if (!nm_strv_has(&e->entity_ids, old))
					reuse(e, old, &e->entity_ids);
				continue;
			}
		} else {
			nm_idlist_t hit;
			rc = nm_graph_find_exact(e->g, x->text, n, -1, 1, &hit, e->err);
			if (rc == 0 && hit.n)
				continue; /* D1: skipped, not linked */
		}
		char conf[32];
		nm_jw_format_double(x->confidence, conf);
		char *meta = nm_xasprintf("{\"entity_type\":\"%s\",\"confidence\":%s}", nm_enum_entity_type.names[x->type],
		                          conf);
		if (rc == 0)
			rc = add_neuron(e, type, x->text, n, meta, &e->entity_ids);
		free(meta);
	}
	nm_entities_clear(&ents);
	return rc;
}

/* D19: a Vietnamese syllable with a diacritic counts from 2 letters. */
static bool vi_diacritic(const char *w)
{
	static const char vi[] = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ";
	for (int32_t i = 0, n = (int32_t)strlen(w); i < n;) {
		int32_t at = i;
		UChar32 c;
		U8_NEXT(w, i, n, c);
		char ch[5] = {0};
		memcpy(ch, w + at, (size_t)(i - at));
		if (c >= 0x80 && strstr(vi, ch))
			return true;
	}
	return false;
}

static int keyword_neurons(enc_t *e, const char *content, size_t len, const nm_strv_t *entity_lower)
{
	nm_strv_t kws;
	nm_extract_keywords(content, len, e->eng->mode, &kws);
	int rc = 0;
	for (size_t i = 0; i < kws.n && i < 10 && rc == 0; i++) {
		const char *k = kws.v[i];
		size_t ncp = 0, n = strlen(k);
		nm_utf8_valid(k, n, &ncp);
		if (ncp < 3 && !(e->fixed && ncp == 2 && vi_diacritic(k)))
			continue;
		if (e->fixed) {
			if (nm_strv_has(entity_lower, k))
				continue; /* D18: the entity already stands for it */
			const char *old = find_reusable(e, k, n, NM_NEURON_CONCEPT, &rc);
			if (rc == 0 && old) {
				if (!nm_strv_has(&e->keyword_ids, old) && !nm_strv_has(&e->entity_ids, old))
					reuse(e, old, &e->keyword_ids);
				continue;
			}
		} else {
			nm_idlist_t hit;
			rc = nm_graph_find_exact(e->g, k, n, NM_NEURON_CONCEPT, 1, &hit, e->err);
			if (rc == 0 && hit.n)
				continue;
		}
		if (rc == 0)
			rc = add_neuron(e, NM_NEURON_CONCEPT, k, n, "{}", &e->keyword_ids);
	}
	nm_strv_clear(&kws);
	return rc;
}

/* ---- step 4: the anchor ---- */

/* {"is_anchor": true, "timestamp": …} with the caller's keys merged over
 * it (an overridden key keeps its position). */
static char *anchor_meta(int64_t ts, const char *caller)
{
	json_t *m = json_object();
	char t[NM_TIME_BUFSZ];
	json_object_set_new(m, "is_anchor", json_true());
	json_object_set_new(m, "timestamp", json_string(nm_time_format_py(ts, t)));
	json_t *c = caller ? json_loads(caller, JSON_ALLOW_NUL, NULL) : NULL;
	const char *k;
	json_t *v;
	json_object_foreach(c, k, v)
		json_object_set(m, k, v);
	char *s = nm_json_text(m);
	json_decref(c);
	json_decref(m);
	return s;
}

/* ---- step 5e: temporal neighbours ---- */

static int temporal_links(enc_t *e)
{
	nm_fiberlist_t fl;
	int rc;
	if (e->fixed) {
		rc = nm_graph_fibers_nearest(e->g, e->ts, TEMPORAL_WINDOW, 5, &fl, e->err);
	} else {
		rc = nm_graph_fibers_overlapping(e->g, e->ts - TEMPORAL_WINDOW, e->ts + TEMPORAL_WINDOW, 5, &fl, e->err);
		/* memory store: the first five, then stably sorted by salience desc */
		for (size_t i = 1; rc == 0 && i < fl.n; i++) {
			const nm_gfiber_t *x = fl.v[i];
			size_t j = i;
			while (j > 0 && fl.v[j - 1]->salience < x->salience) {
				fl.v[j] = fl.v[j - 1];
				j--;
			}
			fl.v[j] = x;
		}
	}
	double w = e->fixed ? 0.5 : 0.3;
	for (size_t i = 0; rc == 0 && i < fl.n; i++) {
		rc = add_synapse(e, e->anchor, fl.v[i]->anchor, NM_SYN_RELATED_TO, w, "{\"temporal_link\":true}", false);
		if (rc == 0)
			nm_strv_add(&e->neighbour_anchors, fl.v[i]->anchor);
	}
	return rc;
}

/* ---- step 5a–d and 6 ---- */

static int link_all(enc_t *e, const nm_strv_t *ids, nm_synapse_type_t type, double w)
{
	int rc = 0;
	for (size_t i = 0; i < ids->n && rc == 0; i++)
		rc = add_synapse(e, e->anchor, ids->v[i], type, w, NULL, true);
	return rc;
}

/* co_occurs between every pair of the memory's entities; fixed mode
 * reuses a link the pair already has. */
static int co_occurrence(enc_t *e)
{
	int rc = 0;
	for (size_t i = 0; i < e->entity_ids.n && rc == 0; i++)
		for (size_t j = i + 1; j < e->entity_ids.n && rc == 0; j++) {
			const char *a = e->entity_ids.v[i], *b = e->entity_ids.v[j];
			if (e->fixed) {
				const char *old = nm_graph_synapse_between(e->g, a, b, NM_SYN_CO_OCCURS, &rc, e->err);
				if (!old && rc == 0)
					old = nm_graph_synapse_between(e->g, b, a, NM_SYN_CO_OCCURS, &rc, e->err);
				if (old) {
					nm_strv_add(&e->synapses, old);
					continue;
				}
			}
			if (rc == 0)
				rc = add_synapse(e, a, b, NM_SYN_CO_OCCURS, 0.5, NULL, true);
		}
	return rc;
}

static int make_fiber(enc_t *e, const nm_encode_in_t *in, nm_encode_out_t *out)
{
	nm_fiber_t f = {.id = new_id(e->tx, e->eng), .anchor_neuron_id = e->anchor, .time_start = e->ts,
	                .time_end = e->ts, .metadata = (char *)(in->metadata ? in->metadata : "{}"),
	                .created_at = e->now};
	if (e->fixed) { /* every neuron of the memory */
		nm_strv_copy(&f.neuron_ids, &e->time_ids);
		nm_strv_copy(&f.neuron_ids, &e->entity_ids);
		nm_strv_copy(&f.neuron_ids, &e->keyword_ids);
		nm_strv_add(&f.neuron_ids, e->anchor);
	} else {
		nm_strv_copy(&f.neuron_ids, &e->created);
	}
	nm_strv_copy(&f.synapse_ids, &e->synapses);
	if (in->tags)
		nm_strv_copy(&f.tags, in->tags);
	int64_t n = (int64_t)f.neuron_ids.n;
	double possible = (double)(n * (n - 1)) / 2;
	double coherence = (double)f.synapse_ids.n / (possible > 1 ? possible : 1);
	double sal = coherence + 0.3 < 1.0 ? coherence + 0.3 : 1.0;
	f.salience = sal < 0 ? 0 : sal;
	f.coherence = e->fixed ? (coherence > 1 ? 1 : coherence) : 0.0; /* D6 */
	int rc = nm_tx_fiber_add(e->tx, &f, e->err);
	if (rc == 0) {
		out->fiber_id = f.id;
		f.id = NULL;
	}
	free(f.id);
	nm_strv_clear(&f.neuron_ids);
	nm_strv_clear(&f.synapse_ids);
	nm_strv_clear(&f.tags);
	return rc;
}

int nm_encode(nm_tx_t *tx, const nm_engine_t *eng, const nm_encode_in_t *in, nm_encode_out_t *out, nm_err_t *err)
{
	memset(out, 0, sizeof *out);
	enc_t e = {.tx = tx, .g = nm_graph_open(tx), .eng = eng, .fixed = eng->mode == NM_MODE_FIXED,
	           .now = nm_engine_now(eng), .err = err};
	e.ts = in->timestamp != NM_TIME_NONE ? in->timestamp : e.now;
	nm_strv_t entity_lower = {0};
	int rc = time_neurons(&e, in->content, in->content_len);
	if (rc == 0)
		rc = entity_neurons(&e, in->content, in->content_len, &entity_lower);
	if (rc == 0)
		rc = keyword_neurons(&e, in->content, in->content_len, &entity_lower);
	if (rc == 0) {
		char *meta = anchor_meta(e.ts, in->metadata);
		rc = add_neuron(&e, NM_NEURON_CONCEPT, in->content, in->content_len, meta, NULL);
		free(meta);
		e.anchor = nm_xstrdup(e.created.v[e.created.n - 1]);
	}
	if (rc == 0)
		rc = link_all(&e, &e.time_ids, NM_SYN_HAPPENED_AT, 0.9);
	if (rc == 0)
		rc = link_all(&e, &e.entity_ids, NM_SYN_INVOLVES, 0.8);
	if (rc == 0)
		rc = link_all(&e, &e.keyword_ids, NM_SYN_RELATED_TO, 0.6);
	if (rc == 0)
		rc = co_occurrence(&e);
	if (rc == 0)
		rc = temporal_links(&e);
	if (rc == 0)
		rc = make_fiber(&e, in, out);
	if (rc == 0) {
		out->neurons_created = (int64_t)e.created.n;
		out->neurons_linked = (int64_t)(e.linked.n + e.neighbour_anchors.n);
		out->synapses_created = e.synapses_created;
	}
	nm_strv_clear(&entity_lower);
	enc_clear(&e);
	nm_graph_close(e.g);
	return rc;
}

void nm_encode_out_clear(nm_encode_out_t *o)
{
	free(o->fiber_id);
	memset(o, 0, sizeof *o);
}
