/*
 * handlers/synapse.c — synapses (PROTOCOL.md §3.7). Runs on workers.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef int (*decode_fn)(const json_t *, const nm_decode_opts_t *, void *, unsigned *, nm_err_t *);

typedef struct list_ctx {
	nm_jw_t w;
	int64_t count;
} list_ctx_t;

static int put_synapse(void *arg, const nm_synapse_t *s)
{
	list_ctx_t *l = arg;
	nm_jw_synapse(&l->w, s);
	l->count++;
	return 0;
}

static int synapse_list(srv_job_t *job, nm_tx_t *tx, nm_err_t *err)
{
	list_ctx_t l = {0};
	srv_list_open(job, &l.w, "synapses");
	int rc = nm_tx_synapse_scan(tx, job->state, put_synapse, &l, err);
	srv_list_close(job, &l.w, "count", l.count);
	return rc;
}

void srv_h_synapse_list(srv_job_t *job)
{
	nm_synapse_filter_t *f = nm_xcalloc(1, sizeof *f);
	*f = (nm_synapse_filter_t)NM_SYNAPSE_FILTER_INIT;
	job->state = f;
	job->state_free = free;
	f->source_id = srv_query_get(&job->query, "source_id");
	f->target_id = srv_query_get(&job->query, "target_id");
	int rc;
	if (srv_q_enum(job, "type", &nm_enum_synapse_type, &f->type) < 0 ||
	    (rc = srv_q_num(job, "min_weight", &f->min_weight)) < 0 ||
	    srv_q_int(job, "limit", 1, 1000000, &f->limit) < 0 || srv_q_int(job, "offset", 0, INT64_MAX, &f->offset) < 0) {
		srv_job_finish(job);
		return;
	}
	f->has_min_weight = rc > 0;
	srv_job_read(job, synapse_list);
}

static void answer(srv_job_t *job, int status, const nm_synapse_t *s)
{
	nm_jw_t w;
	srv_job_json(job, status, &w);
	nm_jw_synapse(&w, s);
	srv_job_json_done(job, &w);
}

static int create_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(w);
	int rc = nm_tx_synapse_add(tx, job->state, err);
	if (rc == 0)
		answer(job, 201, job->state);
	return rc;
}

void srv_h_synapse_create(srv_job_t *job)
{
	unsigned present;
	if (srv_job_decode(job, NM_DECODE_CREATE, sizeof(nm_synapse_t), (decode_fn)nm_synapse_decode,
	                   (void (*)(void *))nm_synapse_clear, &present) < 0) {
		srv_job_finish(job);
		return;
	}
	srv_job_write(job, create_apply, NULL);
}

static int synapse_get(srv_job_t *job, nm_tx_t *tx, nm_err_t *err)
{
	nm_synapse_t s = {0};
	int rc = nm_tx_synapse_get(tx, job->params[0], &s, err);
	if (rc == 0)
		answer(job, 200, &s);
	nm_synapse_clear(&s);
	return rc;
}

void srv_h_synapse_get(srv_job_t *job)
{
	srv_job_read(job, synapse_get);
}

typedef struct synapse_patch {
	nm_synapse_t s;
	unsigned present;
} synapse_patch_t;

static void patch_clear(void *p)
{
	nm_synapse_clear(&((synapse_patch_t *)p)->s);
}

/* id, endpoints and created_at cannot change: given and different is 422. */
static int immutable(const synapse_patch_t *p, const nm_synapse_t *cur, nm_err_t *err)
{
	const struct {
		unsigned bit;
		const char *name, *given, *stored;
	} fixed[] = {
		{NM_FY_ID, "id", p->s.id, cur->id},
		{NM_FY_SOURCE, "source_id", p->s.source_id, cur->source_id},
		{NM_FY_TARGET, "target_id", p->s.target_id, cur->target_id},
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if ((p->present & fixed[i].bit) && strcmp(fixed[i].given, fixed[i].stored) != 0)
			return nm_err_set(err, NM_ST_INVALID, "%s: cannot be changed", fixed[i].name);
	if ((p->present & NM_FY_CREATED_AT) && p->s.created_at != cur->created_at)
		return nm_err_set(err, NM_ST_INVALID, "created_at: cannot be changed");
	return 0;
}

static int update_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(w);
	synapse_patch_t *p = job->state;
	nm_synapse_t cur = {0};
	int rc = nm_tx_synapse_get(tx, job->params[0], &cur, err);
	if (rc == 0)
		rc = immutable(p, &cur, err);
	if (rc == 0) {
		unsigned m = p->present;
		if (m & NM_FY_WEIGHT)
			cur.weight = p->s.weight;
		if (m & NM_FY_METADATA) {
			free(cur.metadata);
			cur.metadata = nm_xstrdup(p->s.metadata);
		}
		if (m & NM_FY_TYPE)
			cur.type = p->s.type;
		if (m & NM_FY_DIRECTION)
			cur.direction = p->s.direction;
		if (m & NM_FY_REINFORCED)
			cur.reinforced_count = p->s.reinforced_count;
		if (m & NM_FY_LAST_ACTIVATED)
			cur.last_activated = p->s.last_activated;
		rc = nm_tx_synapse_update(tx, &cur, err);
	}
	if (rc == 0)
		answer(job, 200, &cur);
	nm_synapse_clear(&cur);
	return rc;
}

void srv_h_synapse_update(srv_job_t *job)
{
	unsigned present;
	if (srv_job_decode(job, NM_DECODE_PATCH, sizeof(synapse_patch_t), (decode_fn)nm_synapse_decode, patch_clear,
	                   &present) < 0) {
		srv_job_finish(job);
		return;
	}
	((synapse_patch_t *)job->state)->present = present;
	srv_job_write(job, update_apply, NULL);
}

static int delete_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(w);
	int rc = nm_tx_synapse_delete(tx, job->params[0], err);
	if (rc == 0)
		srv_job_deleted(job, "id", job->params[0]);
	return rc;
}

void srv_h_synapse_delete(srv_job_t *job)
{
	srv_job_write(job, delete_apply, NULL);
}
