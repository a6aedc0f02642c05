/*
 * handlers/lifecycle.c — decay, archive, restore, backup and GET /jobs/{id}
 * (PROTOCOL.md §6.6). The POST routes validate on a request worker; the
 * work is then registered as a job (tasks.c), answered 202 at once, and
 * runs on the long-job pool in batches (lifecycle.h). A dry run moves the
 * request itself to the long-job pool, computes there and answers 200, so
 * a dry run over a big brain never holds a request worker.
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "isotime.h"
#include "lifecycle.h"

/* The reference time of a run: the body's, else the (test-hookable) clock. */
static int64_t reference_time(srv_job_t *job, int64_t given)
{
	if (given != NM_TIME_NONE)
		return given;
	nm_engine_t eng;
	srv_job_engine(job, &eng);
	return nm_engine_now(&eng);
}

/* Answer a started job: 202 {"job_id", "kind", "state": "queued"}, or
 * 409 naming the brain's running job, or 503. */
static void answer_start(srv_job_t *job, const char *kind, srv_task_fn fn, void *arg, void (*arg_free)(void *))
{
	char id[37];
	int rc = srv_task_start(job->ctx, job->brain, kind, fn, arg, arg_free, id);
	if (rc == -409) {
		srv_job_error(job, 409, "Brain %.255s is running job %s; one lifecycle job per brain at a time",
		              nm_brain_id(job->brain), id);
		return;
	}
	if (rc < 0) {
		srv_job_error(job, 503, "server busy: long-job queue full");
		return;
	}
	nm_jw_t w;
	srv_job_json(job, 202, &w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "job_id");
	nm_jw_str(&w, id);
	nm_jw_key(&w, "kind");
	nm_jw_str(&w, kind);
	nm_jw_key(&w, "state");
	nm_jw_str(&w, "queued");
	nm_jw_obj_end(&w);
	srv_job_json_done(job, &w);
}

static void step(void *arg, int64_t done, int64_t total)
{
	srv_task_progress(arg, done, total);
}

static bool stop(void *arg)
{
	return srv_task_stopping(arg);
}

static nm_progress_t task_progress(srv_task_t *t)
{
	return (nm_progress_t){step, stop, t};
}

/* End a job with the report written by put (or the error). */
static void end_task(srv_task_t *t, int rc, const nm_err_t *err, void (*put)(nm_jw_t *, const void *),
                     const void *report)
{
	if (rc < 0) {
		srv_task_end(t, NULL, err->status ? err->detail : "Internal error");
		return;
	}
	nm_jw_t w;
	nm_jw_init(&w);
	put(&w, report);
	srv_task_end(t, nm_buf_steal(&w.buf, NULL), NULL);
	nm_jw_free(&w);
}

/* Move the request to the long-job pool, where fn computes the dry run
 * and answers; arg is the job's state from now on. */
static void dry_run(srv_job_t *job, srv_handler_fn fn, void *arg, void (*arg_free)(void *))
{
	job->state = arg;
	job->state_free = arg_free;
	job->fn = fn;
	if (srv_pool_submit(job->ctx->lpool, job) < 0) {
		srv_job_error(job, 503, "server busy: long-job queue full");
		srv_job_finish(job);
	}
}

/* ---- decay ---- */

static void decay_dry(srv_job_t *job)
{
	nm_decay_report_t r;
	nm_err_t err = {0};
	if (nm_decay_run(job->brain, job->state, NULL, &r, &err) < 0) {
		srv_job_errfrom(job, &err);
	} else {
		nm_jw_t w;
		srv_job_json(job, 200, &w);
		nm_jw_decay_report(&w, &r);
		srv_job_json_done(job, &w);
	}
	srv_job_finish(job);
}

static void put_decay(nm_jw_t *w, const void *r)
{
	nm_jw_decay_report(w, r);
}

static void decay_task(srv_task_t *t, void *arg)
{
	nm_progress_t p = task_progress(t);
	nm_decay_report_t r;
	nm_err_t err = {0};
	int rc = nm_decay_run(srv_task_brain(t), arg, &p, &r, &err);
	end_task(t, rc, &err, put_decay, &r);
}

void srv_h_decay(srv_job_t *job)
{
	nm_err_t err = {0};
	nm_decay_req_t q;
	json_t *body = srv_job_body_opt(job);
	if (!body)
		goto done;
	if (nm_decay_req_decode(body, &q, &err) < 0) {
		srv_job_errfrom(job, &err);
		goto done;
	}
	nm_engine_t eng;
	srv_job_engine(job, &eng);
	nm_decay_opts_t *o = nm_xcalloc(1, sizeof *o);
	*o = (nm_decay_opts_t){
		.decay_rate = q.decay_rate >= 0 ? q.decay_rate : eng.config.decay_rate,
		.prune_threshold = q.prune_threshold,
		.min_age_days = q.min_age_days,
		.prune_orphans = q.prune_orphans,
		.reference_time = reference_time(job, q.reference_time),
		.dry_run = q.dry_run,
		.compat = eng.mode == NM_MODE_COMPAT,
	};
	json_decref(body);
	if (o->dry_run) {
		dry_run(job, decay_dry, o, free);
		return;
	}
	answer_start(job, "decay", decay_task, o, free);
	srv_job_finish(job);
	return;
done:
	json_decref(body);
	srv_job_finish(job);
}

/* ---- jobs ---- */

void srv_h_job_get(srv_job_t *job)
{
	srv_principal_t who = {job->principal, job->admin};
	char detail[160];
	nm_jw_t w;
	srv_job_json(job, 200, &w);
	int rc = srv_task_describe(job->ctx, job->params[0], &who, &w, detail, sizeof detail);
	srv_job_json_done(job, &w);
	if (rc < 0)
		srv_job_error(job, -rc, "%s", detail);
}

/* ---- scheduled decay (decay_interval) ---- */

/* Decay each brain in turn with the route's defaults, as a job of its
 * own (visible in GET /jobs/{id}); a brain busy with another job is
 * skipped until the next round. Runs on the long-job pool. */
static int decay_one(void *arg, nm_brain_t *b)
{
	srv_ctx_t *ctx = arg;
	if (atomic_load(&ctx->stopping))
		return 1;
	/* cluster: one node decays a brain per interval (whichever asks first) */
	char *lease = nm_xasprintf("decay:%s", nm_brain_id(b));
	bool mine = srv_cluster_lease(ctx->cluster, lease, ctx->cfg.decay_interval * 0.9);
	free(lease);
	if (!mine)
		return 0;
	char id[37];
	srv_task_t *t = srv_task_begin(ctx, b, "decay", id);
	if (!t) {
		srv_log("scheduled decay: brain %s skipped, it is running job %s", nm_brain_id(b), id);
		return 0;
	}
	nm_brain_rec_t rec;
	nm_brain_rec_get(b, &rec);
	int mode = rec.config.engine_mode >= 0 ? rec.config.engine_mode : (int)ctx->engine_mode;
	nm_decay_opts_t o = {
		.decay_rate = rec.config.decay_rate,
		.prune_threshold = 0.01,
		.reference_time = ctx->engine_env.frozen_clock != NM_TIME_NONE ? ctx->engine_env.frozen_clock : nm_time_now(),
		.compat = mode == NM_MODE_COMPAT,
	};
	nm_brain_rec_clear(&rec);
	decay_task(t, &o);
	return 0;
}

static void scheduled_round(srv_job_t *job)
{
	srv_log("scheduled decay: starting a round over %zu brain(s)", nm_store_brain_count(job->ctx->store));
	nm_store_brain_each(job->ctx->store, decay_one, job->ctx);
	srv_job_free(job);
}

static void on_decay_timer(uv_timer_t *timer)
{
	srv_ctx_t *ctx = timer->data;
	srv_job_t *job = nm_xcalloc(1, sizeof *job);
	job->ctx = ctx;
	job->fn = scheduled_round;
	if (srv_pool_submit(ctx->lpool, job) < 0) {
		srv_log("scheduled decay: long-job queue full, round skipped");
		free(job);
	}
}

void srv_decay_schedule(srv_ctx_t *ctx)
{
	uv_timer_init(ctx->loop, &ctx->decay_timer);
	ctx->decay_timer.data = ctx;
	uint64_t ms = (uint64_t)(ctx->cfg.decay_interval * 1000);
	if (ms) {
		uv_timer_start(&ctx->decay_timer, on_decay_timer, ms, ms);
		srv_log("scheduled decay every %.0f s", ctx->cfg.decay_interval);
	}
}

/* ---- backup ---- */

typedef struct backup_arg {
	char *dest;
	int64_t bytes;
	double ms;
} backup_arg_t;

static void backup_arg_free(void *p)
{
	backup_arg_t *a = p;
	free(a->dest);
	free(a);
}

static void put_backup(nm_jw_t *w, const void *p)
{
	const backup_arg_t *a = p;
	nm_jw_obj(w);
	nm_jw_key(w, "path");
	nm_jw_str(w, a->dest);
	nm_jw_key(w, "bytes");
	nm_jw_int(w, a->bytes);
	nm_jw_key(w, "duration_ms");
	nm_jw_real(w, round(a->ms * 1000) / 1000);
	nm_jw_obj_end(w);
}

static void backup_task(srv_task_t *t, void *arg)
{
	backup_arg_t *a = arg;
	nm_progress_t p = task_progress(t);
	nm_err_t err = {0};
	int64_t t0 = nm_time_now();
	int rc = nm_brain_backup(srv_task_brain(t), a->dest, &p, &a->bytes, &err);
	a->ms = (double)(nm_time_now() - t0) / 1000.0;
	end_task(t, rc, &err, put_backup, a);
}

/* The default file name: "<brain>-<UTC timestamp>.db", the id reduced to
 * characters safe in a file name. */
static char *default_name(srv_job_t *job)
{
	nm_buf_t b = {0};
	for (const char *s = nm_brain_id(job->brain); *s && b.len < 128; s++)
		nm_buf_putc(&b, strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *s) ? *s : '_');
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
	nm_buf_printf(&b, "-%s.db", ts);
	return nm_buf_steal(&b, NULL);
}

void srv_h_backup(srv_job_t *job)
{
	nm_err_t err = {0};
	char *name = NULL;
	json_t *body = srv_job_body_opt(job);
	if (!body)
		goto done;
	if (nm_backup_req_decode(body, &name, &err) < 0) {
		srv_job_errfrom(job, &err);
		goto done;
	}
	if (strcmp(nm_store_backend(job->ctx->store), "sqlite") != 0) {
		srv_job_error(job, 422, "backup: the %s backend keeps no files to back up; use GET /brain/{id}/export",
		              nm_store_backend(job->ctx->store));
		goto done;
	}
	const char *dir = job->ctx->cfg.backup_dir;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		srv_job_error(job, 503, "backup directory %s: %s", dir, strerror(errno));
		goto done;
	}
	if (!name)
		name = default_name(job);
	backup_arg_t *a = nm_xcalloc(1, sizeof *a);
	a->dest = nm_xasprintf("%s/%s", dir, name);
	if (access(a->dest, F_OK) == 0) {
		srv_job_error(job, 409, "backup file %s already exists", name);
		backup_arg_free(a);
		goto done;
	}
	answer_start(job, "backup", backup_task, a, backup_arg_free);
done:
	free(name);
	json_decref(body);
	srv_job_finish(job);
}

/* ---- archive and restore ---- */

typedef struct archive_arg {
	nm_archive_opts_t o;
	nm_strv_t ids;                /* restore: fiber ids */
	bool all;
	nm_archive_report_t r;
} archive_arg_t;

static void archive_arg_free(void *p)
{
	archive_arg_t *a = p;
	nm_strv_clear(&a->ids);
	free(a);
}

static void put_archive(nm_jw_t *w, const void *r)
{
	nm_jw_archive_report(w, r, false);
}

static void put_restore(nm_jw_t *w, const void *r)
{
	nm_jw_archive_report(w, r, true);
}

static void archive_task(srv_task_t *t, void *arg)
{
	archive_arg_t *a = arg;
	nm_progress_t p = task_progress(t);
	nm_err_t err = {0};
	int rc = nm_archive_run(srv_task_brain(t), &a->o, &p, &a->r, &err);
	end_task(t, rc, &err, put_archive, &a->r);
}

static void restore_task(srv_task_t *t, void *arg)
{
	archive_arg_t *a = arg;
	nm_progress_t p = task_progress(t);
	nm_err_t err = {0};
	int rc = nm_archive_restore(srv_task_brain(t), a->all ? NULL : &a->ids, &p, &a->r, &err);
	end_task(t, rc, &err, put_restore, &a->r);
}

static void archive_dry(srv_job_t *job)
{
	archive_arg_t *a = job->state;
	nm_err_t err = {0};
	if (nm_archive_run(job->brain, &a->o, NULL, &a->r, &err) < 0) {
		srv_job_errfrom(job, &err);
	} else {
		nm_jw_t w;
		srv_job_json(job, 200, &w);
		nm_jw_archive_report(&w, &a->r, false);
		srv_job_json_done(job, &w);
	}
	srv_job_finish(job);
}

void srv_h_archive(srv_job_t *job)
{
	nm_err_t err = {0};
	nm_archive_req_t q;
	json_t *body = srv_job_body_opt(job);
	if (!body)
		goto done;
	if (nm_archive_req_decode(body, &q, &err) < 0) {
		srv_job_errfrom(job, &err);
		goto done;
	}
	archive_arg_t *a = nm_xcalloc(1, sizeof *a);
	a->o.cutoff = reference_time(job, q.reference_time) - q.older_than_days * 86400 * NM_USEC_PER_SEC;
	a->o.dry_run = q.dry_run;
	json_decref(body);
	if (q.dry_run) {
		dry_run(job, archive_dry, a, archive_arg_free);
		return;
	}
	answer_start(job, "archive", archive_task, a, archive_arg_free);
	srv_job_finish(job);
	return;
done:
	json_decref(body);
	srv_job_finish(job);
}

void srv_h_archive_restore(srv_job_t *job)
{
	nm_err_t err = {0};
	nm_restore_req_t q = {0};
	json_t *body = srv_job_body_opt(job);
	if (!body)
		goto done;
	if (nm_restore_req_decode(body, &q, &err) < 0) {
		srv_job_errfrom(job, &err);
		nm_strv_clear(&q.fiber_ids);
		goto done;
	}
	archive_arg_t *a = nm_xcalloc(1, sizeof *a);
	a->ids = q.fiber_ids;
	a->all = q.all;
	answer_start(job, "restore", restore_task, a, archive_arg_free);
done:
	json_decref(body);
	srv_job_finish(job);
}
