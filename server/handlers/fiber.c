/*
 * handlers/fiber.c — fibers (PROTOCOL.md §3.8). Runs on workers.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef int (*decode_fn)(const json_t *, const nm_decode_opts_t *, void *, unsigned *, nm_err_t *);

typedef struct list_ctx {
	nm_jw_t w;
	int64_t count;
} list_ctx_t;

static int put_fiber(void *arg, const nm_fiber_t *f)
{
	list_ctx_t *l = arg;
	nm_jw_fiber(&l->w, f);
	l->count++;
	return 0;
}

/* The list filter with the tag set it points to. */
typedef struct fiber_query {
	nm_fiber_filter_t f;
	nm_strv_t tags;
} fiber_query_t;

static void fiber_query_clear(void *p)
{
	nm_strv_clear(&((fiber_query_t *)p)->tags);
}

static int fiber_list(srv_job_t *job, nm_tx_t *tx, nm_err_t *err)
{
	fiber_query_t *q = job->state;
	list_ctx_t l = {0};
	srv_list_open(job, &l.w, "fibers");
	int rc = nm_tx_fiber_scan(tx, &q->f, put_fiber, &l, err);
	srv_list_close(job, &l.w, "count", l.count);
	return rc;
}

void srv_h_fiber_list(srv_job_t *job)
{
	fiber_query_t *q = nm_xcalloc(1, sizeof *q);
	q->f = (nm_fiber_filter_t)NM_FIBER_FILTER_INIT;
	q->f.limit = 100;
	job->state = q;
	job->state_clear = fiber_query_clear;
	nm_fiber_filter_t *f = &q->f;
	f->contains_neuron = srv_query_get(&job->query, "contains_neuron");
	int order = NM_ORDER_DEFAULT, rc;
	if (srv_q_time_range(job, &f->time_start, &f->time_end) < 0)
		goto fail;
	srv_q_list(job, "tags", &q->tags);
	if (q->tags.n)
		f->tags = &q->tags;
	if ((rc = srv_q_num(job, "min_salience", &f->min_salience)) < 0)
		goto fail;
	f->has_min_salience = rc > 0;
	if (srv_q_enum(job, "order_by", &nm_enum_fiber_order, &order) < 0 ||
	    srv_q_bool(job, "descending", &f->descending) < 0 || srv_q_int(job, "limit", 1, 10000, &f->limit) < 0 ||
	    srv_q_int(job, "offset", 0, INT64_MAX, &f->offset) < 0)
		goto fail;
	f->order = (nm_fiber_order_t)order;
	srv_job_read(job, fiber_list);
	return;
fail:
	srv_job_finish(job);
}

static void answer(srv_job_t *job, int status, const nm_fiber_t *f)
{
	nm_jw_t w;
	srv_job_json(job, status, &w);
	nm_jw_fiber(&w, f);
	srv_job_json_done(job, &w);
}

static int create_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(w);
	int rc = nm_tx_fiber_add(tx, job->state, err);
	if (rc == 0)
		answer(job, 201, job->state);
	return rc;
}

void srv_h_fiber_create(srv_job_t *job)
{
	unsigned present;
	if (srv_job_decode(job, NM_DECODE_CREATE, sizeof(nm_fiber_t), (decode_fn)nm_fiber_decode,
	                   (void (*)(void *))nm_fiber_clear, &present) < 0) {
		srv_job_finish(job);
		return;
	}
	srv_job_write(job, create_apply, NULL);
}

static int fiber_get(srv_job_t *job, nm_tx_t *tx, nm_err_t *err)
{
	nm_fiber_t f = {0};
	int rc = nm_tx_fiber_get(tx, job->params[0], &f, err);
	if (rc == 0)
		answer(job, 200, &f);
	nm_fiber_clear(&f);
	return rc;
}

void srv_h_fiber_get(srv_job_t *job)
{
	srv_job_read(job, fiber_get);
}

typedef struct fiber_patch {
	nm_fiber_t f;
	unsigned present;
} fiber_patch_t;

static void patch_clear(void *p)
{
	nm_fiber_clear(&((fiber_patch_t *)p)->f);
}

static void take_strv(nm_strv_t *dst, nm_strv_t *src)
{
	nm_strv_clear(dst);
	*dst = *src;
	*src = (nm_strv_t){0};
}

static void take_str(char **dst, char **src)
{
	free(*dst);
	*dst = *src;
	*src = NULL;
}

/* Given fields replace the stored ones; then the fiber rules are checked. */
static void merge(nm_fiber_t *cur, fiber_patch_t *p)
{
	unsigned m = p->present;
	nm_fiber_t *f = &p->f;
	if (m & NM_FF_NEURONS)
		take_strv(&cur->neuron_ids, &f->neuron_ids);
	if (m & NM_FF_SYNAPSES)
		take_strv(&cur->synapse_ids, &f->synapse_ids);
	if (m & NM_FF_ANCHOR)
		take_str(&cur->anchor_neuron_id, &f->anchor_neuron_id);
	if (m & NM_FF_TIME_START)
		cur->time_start = f->time_start;
	if (m & NM_FF_TIME_END)
		cur->time_end = f->time_end;
	if (m & NM_FF_COHERENCE)
		cur->coherence = f->coherence;
	if (m & NM_FF_SALIENCE)
		cur->salience = f->salience;
	if (m & NM_FF_FREQUENCY)
		cur->frequency = f->frequency;
	if (m & NM_FF_SUMMARY)
		take_str(&cur->summary, &f->summary);
	if (m & NM_FF_TAGS)
		take_strv(&cur->tags, &f->tags);
	if (m & NM_FF_METADATA)
		take_str(&cur->metadata, &f->metadata);
}

static int update_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(w);
	fiber_patch_t *p = job->state;
	nm_fiber_t cur = {0};
	int rc = nm_tx_fiber_get(tx, job->params[0], &cur, err);
	if (rc == 0) {
		merge(&cur, p);
		rc = nm_fiber_check(&cur, "", err);
	}
	if (rc == 0)
		rc = nm_tx_fiber_update(tx, &cur, err);
	if (rc == 0)
		answer(job, 200, &cur);
	nm_fiber_clear(&cur);
	return rc;
}

void srv_h_fiber_update(srv_job_t *job)
{
	unsigned present;
	if (srv_job_decode(job, NM_DECODE_PATCH, sizeof(fiber_patch_t), (decode_fn)nm_fiber_decode, patch_clear,
	                   &present) < 0) {
		srv_job_finish(job);
		return;
	}
	((fiber_patch_t *)job->state)->present = present;
	srv_job_write(job, update_apply, NULL);
}

static int delete_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(w);
	int rc = nm_tx_fiber_delete(tx, job->params[0], err);
	if (rc == 0)
		srv_job_deleted(job, "id", job->params[0]);
	return rc;
}

void srv_h_fiber_delete(srv_job_t *job)
{
	srv_job_write(job, delete_apply, NULL);
}
