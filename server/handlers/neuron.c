/*
 * handlers/neuron.c — neurons, neuron states, neighbours and paths
 * (PROTOCOL.md §3.4–§3.6). Runs on workers; writes go through the brain's
 * group-commit writer and answer only after their commit.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "traverse.h"

typedef int (*decode_fn)(const json_t *, const nm_decode_opts_t *, void *, unsigned *, nm_err_t *);
#define DECODE(fn) ((decode_fn)(fn))
#define CLEAR(fn) ((void (*)(void *))(fn))

/* ---- list ---- */

typedef struct list_ctx {
	nm_jw_t w;
	int64_t count;
} list_ctx_t;

static int put_neuron(void *arg, const nm_neuron_t *n)
{
	list_ctx_t *l = arg;
	nm_jw_neuron(&l->w, n);
	l->count++;
	return 0;
}

static int neuron_list(srv_job_t *job, nm_tx_t *tx, nm_err_t *err)
{
	nm_neuron_filter_t *f = job->state;
	list_ctx_t l = {0};
	srv_list_open(job, &l.w, "neurons");
	int rc = nm_tx_neuron_scan(tx, f, put_neuron, &l, err);
	srv_list_close(job, &l.w, "count", l.count);
	return rc;
}

void srv_h_neuron_list(srv_job_t *job)
{
	nm_neuron_filter_t *f = nm_xcalloc(1, sizeof *f);
	*f = (nm_neuron_filter_t)NM_NEURON_FILTER_INIT;
	f->limit = 100;
	job->state = f;
	job->state_free = free;
	if (srv_q_enum(job, "type", &nm_enum_neuron_type, &f->type) < 0)
		goto fail;
	if ((f->contains = srv_query_get(&job->query, "content_contains")))
		f->contains_len = strlen(f->contains);
	if ((f->exact = srv_query_get(&job->query, "content_exact")))
		f->exact_len = strlen(f->exact);
	if (srv_q_time_range(job, &f->time_start, &f->time_end) < 0 ||
	    srv_q_int(job, "limit", 1, 10000, &f->limit) < 0 || srv_q_int(job, "offset", 0, INT64_MAX, &f->offset) < 0)
		goto fail;
	srv_job_read(job, neuron_list);
	return;
fail:
	srv_job_finish(job);
}

/* ---- create, get, update, delete ---- */

static int neuron_create_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(w);
	const nm_neuron_t *n = job->state;
	int rc = nm_tx_neuron_add(tx, n, err);
	if (rc == 0) {
		nm_jw_t jw;
		srv_job_json(job, 201, &jw);
		nm_jw_neuron(&jw, n);
		srv_job_json_done(job, &jw);
	}
	return rc;
}

void srv_h_neuron_create(srv_job_t *job)
{
	unsigned present;
	if (srv_job_decode(job, NM_DECODE_CREATE, sizeof(nm_neuron_t), DECODE(nm_neuron_decode),
	                   CLEAR(nm_neuron_clear), &present) < 0) {
		srv_job_finish(job);
		return;
	}
	srv_job_write(job, neuron_create_apply, NULL);
}

static int neuron_get(srv_job_t *job, nm_tx_t *tx, nm_err_t *err)
{
	nm_neuron_t n = {0};
	int rc = nm_tx_neuron_get(tx, job->params[0], &n, err);
	if (rc == 0) {
		nm_jw_t w;
		srv_job_json(job, 200, &w);
		nm_jw_neuron(&w, &n);
		srv_job_json_done(job, &w);
	}
	nm_neuron_clear(&n);
	return rc;
}

void srv_h_neuron_get(srv_job_t *job)
{
	srv_job_read(job, neuron_get);
}

/* PUT: type, content, metadata replace the stored ones when given. */
typedef struct neuron_patch {
	nm_neuron_t n;
	unsigned present;
} neuron_patch_t;

static void neuron_patch_clear(void *p)
{
	nm_neuron_clear(&((neuron_patch_t *)p)->n);
}

static int neuron_update_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(w);
	neuron_patch_t *p = job->state;
	nm_neuron_t cur = {0};
	int rc = nm_tx_neuron_get(tx, job->params[0], &cur, err);
	if (rc == 0) {
		if (p->present & NM_F_TYPE)
			cur.type = p->n.type;
		if (p->present & NM_F_CONTENT) {
			free(cur.content);
			cur.content = p->n.content, cur.content_len = p->n.content_len;
			p->n.content = NULL;
		}
		if (p->present & NM_F_METADATA) {
			free(cur.metadata);
			cur.metadata = p->n.metadata;
			p->n.metadata = NULL;
		}
		rc = nm_tx_neuron_update(tx, &cur, err);
	}
	if (rc == 0) {
		nm_jw_t jw;
		srv_job_json(job, 200, &jw);
		nm_jw_neuron(&jw, &cur);
		srv_job_json_done(job, &jw);
	}
	nm_neuron_clear(&cur);
	return rc;
}

void srv_h_neuron_update(srv_job_t *job)
{
	unsigned present;
	if (srv_job_decode(job, NM_DECODE_PATCH, sizeof(neuron_patch_t), DECODE(nm_neuron_decode), neuron_patch_clear,
	                   &present) < 0) {
		srv_job_finish(job);
		return;
	}
	((neuron_patch_t *)job->state)->present = present;
	srv_job_write(job, neuron_update_apply, NULL);
}

static int neuron_delete_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(w);
	int rc = nm_tx_neuron_delete(tx, job->params[0], err);
	if (rc == 0)
		srv_job_deleted(job, "id", job->params[0]);
	return rc;
}

void srv_h_neuron_delete(srv_job_t *job)
{
	srv_job_write(job, neuron_delete_apply, NULL);
}

/* ---- state ---- */

static int state_get(srv_job_t *job, nm_tx_t *tx, nm_err_t *err)
{
	nm_state_t s = {0};
	int rc = nm_tx_state_get(tx, job->params[0], &s, err);
	if (rc == 0) {
		nm_jw_t w;
		srv_job_json(job, 200, &w);
		nm_jw_state(&w, &s);
		srv_job_json_done(job, &w);
	}
	nm_state_clear(&s);
	return rc;
}

void srv_h_state_get(srv_job_t *job)
{
	srv_job_read(job, state_get);
}

typedef struct state_patch {
	nm_state_t s;
	unsigned present;
} state_patch_t;

static void state_patch_clear(void *p)
{
	nm_state_clear(&((state_patch_t *)p)->s);
}

static int state_put_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(w);
	state_patch_t *p = job->state;
	nm_state_t cur = {0};
	int rc = nm_tx_state_get(tx, job->params[0], &cur, err);
	if (rc == 0) {
		unsigned m = p->present;
		if (m & NM_FS_ACTIVATION)
			cur.activation_level = p->s.activation_level;
		if (m & NM_FS_ACCESS)
			cur.access_frequency = p->s.access_frequency;
		if (m & NM_FS_LAST_ACTIVATED)
			cur.last_activated = p->s.last_activated;
		if (m & NM_FS_DECAY)
			cur.decay_rate = p->s.decay_rate;
		if (m & NM_FS_CREATED_AT)
			cur.created_at = p->s.created_at;
		rc = nm_tx_state_put(tx, &cur, err);
	}
	if (rc == 0) {
		nm_jw_t jw;
		srv_job_json(job, 200, &jw);
		nm_jw_state(&jw, &cur);
		srv_job_json_done(job, &jw);
	}
	nm_state_clear(&cur);
	return rc;
}

void srv_h_state_put(srv_job_t *job)
{
	unsigned present;
	if (srv_job_decode(job, NM_DECODE_PATCH, sizeof(state_patch_t), DECODE(nm_state_decode), state_patch_clear,
	                   &present) < 0) {
		srv_job_finish(job);
		return;
	}
	state_patch_t *p = job->state;
	p->present = present;
	if ((p->present & NM_FS_NEURON_ID) && strcmp(p->s.neuron_id, job->params[0]) != 0) {
		srv_job_error(job, 422, "neuron_id: must match the neuron in the path");
		srv_job_finish(job);
		return;
	}
	srv_job_write(job, state_put_apply, NULL);
}

/* ---- neighbours and paths ---- */

typedef struct step_ctx {
	nm_jw_t w;
	int64_t count;
} step_ctx_t;

static int put_step(void *arg, const nm_neuron_t *n, const nm_synapse_t *s)
{
	step_ctx_t *c = arg;
	nm_jw_obj(&c->w);
	nm_jw_key(&c->w, "neuron");
	nm_jw_neuron(&c->w, n);
	nm_jw_key(&c->w, "synapse");
	nm_jw_synapse(&c->w, s);
	nm_jw_obj_end(&c->w);
	c->count++;
	return 0;
}

static int neighbors(srv_job_t *job, nm_tx_t *tx, nm_err_t *err)
{
	step_ctx_t c = {0};
	srv_list_open(job, &c.w, "neighbors");
	int rc = nm_neighbors(tx, job->params[0], job->state, put_step, &c, err);
	srv_list_close(job, &c.w, "count", c.count);
	return rc;
}

void srv_h_neighbors(srv_job_t *job)
{
	nm_neighbor_query_t *q = nm_xcalloc(1, sizeof *q);
	job->state = q;
	job->state_free = free;
	int dir = NM_NB_BOTH;
	nm_strv_t types = {0};
	if (srv_q_enum(job, "direction", &nm_enum_nb_dir, &dir) < 0)
		goto fail;
	q->dir = (nm_nb_dir_t)dir;
	srv_q_list(job, "synapse_types", &types);
	for (size_t i = 0; i < types.n; i++) {
		int t = nm_enum_parse(&nm_enum_synapse_type, types.v[i], strlen(types.v[i]));
		if (t < 0) {
			srv_job_error(job, 400, "synapse_types: unknown value '%.*s'; allowed: %s", NM_ERR_STR(types.v[i], 60),
			              nm_enum_allowed(&nm_enum_synapse_type));
			goto fail;
		}
		q->has_types = true;
		q->types[t] = true;
	}
	int rc = srv_q_num(job, "min_weight", &q->min_weight);
	if (rc < 0 || srv_q_int(job, "limit", 1, 100000, &q->limit) < 0)
		goto fail;
	q->has_min_weight = rc > 0;
	nm_strv_clear(&types);
	srv_job_read(job, neighbors);
	return;
fail:
	nm_strv_clear(&types);
	srv_job_finish(job);
}

static int path(srv_job_t *job, nm_tx_t *tx, nm_err_t *err)
{
	step_ctx_t c = {0};
	const int64_t *hops = job->state;
	srv_list_open(job, &c.w, "path");
	int rc = nm_path(tx, job->params[0], srv_query_get(&job->query, "target_id"), (int)*hops, put_step, &c, err);
	srv_list_close(job, &c.w, "hops", c.count);
	return rc;
}

void srv_h_path(srv_job_t *job)
{
	int64_t *hops = nm_xmalloc(sizeof *hops);
	*hops = 4;
	job->state = hops;
	job->state_free = free;
	const char *target = srv_query_get(&job->query, "target_id");
	if (!target || !*target) {
		srv_job_error(job, 422, "target_id: field required");
		srv_job_finish(job);
		return;
	}
	if (srv_q_int(job, "max_hops", 1, 20, hops) < 0) {
		srv_job_finish(job);
		return;
	}
	srv_job_read(job, path);
}
