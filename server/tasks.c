/*
 * tasks.c — lifecycle jobs: decay, archive, restore, backup (PROTOCOL.md
 * §6.6), what GET /jobs/{id} reports.
 *
 * A job is registered here, then run on the long-job pool (ctx->lpool),
 * never on the request workers, so a decay of a million neurons does not
 * hold up requests. The registry keeps every job by id, and per brain the
 * one job it may run at a time (queued or running); a finished job stays
 * visible for jobs.keep seconds, then goes at the next registry access.
 * Jobs do not survive a restart (they are not stored).
 *
 * Ownership: the registry owns every srv_task_t. The thread running a job
 * uses it without the lock for fields only it writes (report, error, via
 * srv_task_end under the lock); a job is freed only once finished and
 * expired, so the runner never sees it vanish. Lock: `mu` guards the maps,
 * the list and each job's state/times/report; done/total are atomics.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "uuid.h"

typedef enum { T_QUEUED, T_RUNNING, T_DONE, T_FAILED } tstate_t;
static const char *const state_names[] = {"queued", "running", "done", "failed"};

struct srv_task {
	char id[NM_UUID_BUFSZ];
	const char *kind;             /* static string */
	char *brain_id;
	srv_ctx_t *ctx;
	nm_brain_t *brain;            /* reference while queued or running */
	tstate_t state;
	atomic_llong done, total;
	int64_t last_event;           /* when job_progress last went out (running thread only) */
	int64_t started_at, finished_at; /* NM_TIME_NONE until then */
	char *report;                 /* JSON text, when done */
	char *error;
	srv_task_fn fn;
	void *arg;
	void (*arg_free)(void *);
	srv_joblock_t *lock;          /* cluster: the brain's job lock, held until the job ends */
	srv_task_t *next;             /* registry list, oldest first */
};

struct srv_tasks {
	pthread_mutex_t mu;
	nm_hmap_t by_id;              /* id → task */
	nm_hmap_t active;             /* brain id → its queued or running task */
	srv_task_t *head, *tail;
};

srv_tasks_t *srv_tasks_new(void)
{
	srv_tasks_t *r = nm_xcalloc(1, sizeof *r);
	pthread_mutex_init(&r->mu, NULL);
	return r;
}

static void task_free(srv_task_t *t)
{
	srv_cluster_job_unlock(t->lock);
	if (t->arg_free)
		t->arg_free(t->arg);
	nm_brain_release(t->brain);
	free(t->brain_id);
	free(t->report);
	free(t->error);
	free(t);
}

void srv_tasks_free(srv_tasks_t *r)
{
	if (!r)
		return;
	for (srv_task_t *t = r->head, *next; t; t = next) {
		next = t->next;
		task_free(t);
	}
	nm_hmap_free(&r->by_id);
	nm_hmap_free(&r->active);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Drop finished jobs older than jobs.keep (mu held). */
static void expire(srv_ctx_t *ctx, srv_tasks_t *r)
{
	int64_t cutoff = nm_time_now() - (int64_t)(ctx->cfg.jobs_keep * NM_USEC_PER_SEC);
	srv_task_t **pp = &r->head, *prev = NULL;
	while (*pp) {
		srv_task_t *t = *pp;
		if (t->state >= T_DONE && t->finished_at < cutoff) {
			*pp = t->next;
			nm_hmap_del(&r->by_id, t->id, strlen(t->id));
			task_free(t);
			continue;
		}
		prev = t;
		pp = &t->next;
	}
	r->tail = prev;
}

static void run_job(srv_job_t *job)
{
	srv_task_t *t = job->state;
	srv_tasks_t *r = t->ctx->tasks;
	job->state = NULL;
	pthread_mutex_lock(&r->mu);
	t->state = T_RUNNING;
	t->started_at = nm_time_now();
	pthread_mutex_unlock(&r->mu);
	srv_log("job %s: %s of brain %s started", t->id, t->kind, t->brain_id);
	t->fn(t, t->arg);
	srv_job_free(job);
}

/* Register a job on b, with mu taken here and held on return: NULL with
 * the running job's id in id when b runs one. Cluster: the brain's job
 * lock across every node is taken first, outside mu (it waits for the
 * database); another node holding it is a running job too. */
static srv_task_t *claim(srv_ctx_t *ctx, nm_brain_t *b, const char *kind, char id[NM_UUID_BUFSZ])
{
	srv_tasks_t *r = ctx->tasks;
	const char *bid = nm_brain_id(b);
	bool elsewhere = false;
	srv_joblock_t *lock = srv_cluster_job_lock(ctx->cluster, bid, &elsewhere);
	pthread_mutex_lock(&r->mu);
	expire(ctx, r);
	srv_task_t *busy = nm_hmap_get(&r->active, bid, strlen(bid));
	if (busy || elsewhere) {
		if (busy)
			memcpy(id, busy->id, NM_UUID_BUFSZ);
		else
			snprintf(id, NM_UUID_BUFSZ, "on another node");
		srv_cluster_job_unlock(lock);
		return NULL;
	}
	srv_task_t *t = nm_xcalloc(1, sizeof *t);
	t->lock = lock;
	nm_uuid4(t->id);
	t->kind = kind;
	t->brain_id = nm_xstrdup(bid);
	t->ctx = ctx;
	t->brain = nm_brain_acquire(b);
	t->state = T_QUEUED;
	t->started_at = t->finished_at = NM_TIME_NONE;
	nm_hmap_put(&r->by_id, t->id, strlen(t->id), t);
	nm_hmap_put(&r->active, t->brain_id, strlen(t->brain_id), t);
	if (r->tail)
		r->tail->next = t;
	else
		r->head = t;
	r->tail = t;
	memcpy(id, t->id, NM_UUID_BUFSZ);
	return t;
}

/* Take back a job that never ran (mu held; it is the newest). */
static void unadd(srv_tasks_t *r, srv_task_t *t)
{
	nm_hmap_del(&r->by_id, t->id, strlen(t->id));
	nm_hmap_del(&r->active, t->brain_id, strlen(t->brain_id));
	srv_task_t **pp = &r->head, *prev = NULL;
	while (*pp != t)
		prev = *pp, pp = &(*pp)->next;
	*pp = NULL;
	r->tail = prev;
	t->arg_free = NULL; /* the caller still owns arg */
	task_free(t);
}

int srv_task_start(srv_ctx_t *ctx, nm_brain_t *b, const char *kind, srv_task_fn fn, void *arg,
                   void (*arg_free)(void *), char id[NM_UUID_BUFSZ])
{
	srv_tasks_t *r = ctx->tasks;
	int rc = 0;
	srv_task_t *t = claim(ctx, b, kind, id);
	if (!t) {
		rc = -409;
	} else {
		t->fn = fn;
		t->arg = arg;
		t->arg_free = arg_free;
		srv_job_t *job = nm_xcalloc(1, sizeof *job);
		job->ctx = ctx;
		job->fn = run_job;
		job->state = t;
		if (srv_pool_submit(ctx->lpool, job) < 0) {
			free(job);
			unadd(r, t);
			rc = -503;
		}
	}
	pthread_mutex_unlock(&r->mu);
	if (rc < 0 && arg_free)
		arg_free(arg);
	return rc;
}

srv_task_t *srv_task_begin(srv_ctx_t *ctx, nm_brain_t *b, const char *kind, char id[NM_UUID_BUFSZ])
{
	srv_tasks_t *r = ctx->tasks;
	srv_task_t *t = claim(ctx, b, kind, id);
	if (t) {
		t->state = T_RUNNING;
		t->started_at = nm_time_now();
	}
	pthread_mutex_unlock(&r->mu);
	return t;
}

nm_brain_t *srv_task_brain(srv_task_t *t)
{
	return t->brain;
}

const char *srv_task_id(srv_task_t *t)
{
	return t->id;
}

/* {"job_id", "kind", "done", "total"[, "report"]} for the sync events. */
static char *event_data(const srv_task_t *t, const char *report)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "job_id");
	nm_jw_str(&w, t->id);
	nm_jw_key(&w, "kind");
	nm_jw_str(&w, t->kind);
	nm_jw_key(&w, "done");
	nm_jw_int(&w, atomic_load(&t->done));
	nm_jw_key(&w, "total");
	nm_jw_int(&w, atomic_load(&t->total));
	if (report) {
		nm_jw_key(&w, "report");
		nm_jw_raw(&w, report);
	}
	nm_jw_obj_end(&w);
	return nm_buf_steal(&w.buf, NULL);
}

#define PROGRESS_EVERY (250 * 1000) /* µs between job_progress events of one job */

void srv_task_progress(srv_task_t *t, int64_t done, int64_t total)
{
	atomic_store(&t->total, total);
	atomic_store(&t->done, done);
	int64_t now = nm_time_now();
	if (now - t->last_event >= PROGRESS_EVERY || done == total) {
		t->last_event = now;
		srv_sync_publish(t->ctx, t->brain_id, "job_progress", event_data(t, NULL));
	}
}

bool srv_task_stopping(srv_task_t *t)
{
	return atomic_load(&t->ctx->stopping);
}

void srv_task_end(srv_task_t *t, char *report, const char *error)
{
	srv_tasks_t *r = t->ctx->tasks;
	pthread_mutex_lock(&r->mu);
	t->report = report;
	t->error = error ? nm_xstrdup(error) : NULL;
	t->state = error ? T_FAILED : T_DONE;
	t->finished_at = nm_time_now();
	nm_hmap_del(&r->active, t->brain_id, strlen(t->brain_id));
	nm_brain_t *b = t->brain;
	t->brain = NULL;
	srv_joblock_t *lock = t->lock;
	t->lock = NULL;
	pthread_mutex_unlock(&r->mu);
	srv_cluster_job_unlock(lock);
	nm_brain_release(b);
	char *data = event_data(t, report);
	if (error) {
		json_t *d = json_loads(data, 0, NULL);
		json_object_set_new(d, "error", json_string(error));
		free(data);
		data = nm_json_text(d);
		json_decref(d);
	}
	srv_sync_publish(t->ctx, t->brain_id, "job_finished", data);
	if (error)
		srv_log("job %s: %s of brain %s failed: %s", t->id, t->kind, t->brain_id, error);
	else
		srv_log("job %s: %s of brain %s done: %s", t->id, t->kind, t->brain_id, report ? report : "{}");
}

int srv_task_describe(srv_ctx_t *ctx, const char *id, const srv_principal_t *who, nm_jw_t *w, char *detail,
                      size_t dlen)
{
	srv_tasks_t *r = ctx->tasks;
	pthread_mutex_lock(&r->mu);
	expire(ctx, r);
	srv_task_t *t = nm_hmap_get(&r->by_id, id, strlen(id));
	if (t && ctx->cfg.auth_enabled && !who->admin) {
		/* visible to whoever may read the brain (admins only once it is gone) */
		nm_brain_t *b = nm_store_brain_get(ctx->store, t->brain_id);
		bool ok = b && nm_brain_can(b, who->name, false, false);
		nm_brain_release(b);
		if (!ok) {
			pthread_mutex_unlock(&r->mu);
			snprintf(detail, dlen, "Access to job %.64s denied", id);
			return -403;
		}
	}
	if (!t) {
		pthread_mutex_unlock(&r->mu);
		snprintf(detail, dlen, "Job %.64s not found", id);
		return -404;
	}
	nm_jw_obj(w);
	nm_jw_key(w, "job_id");
	nm_jw_str(w, t->id);
	nm_jw_key(w, "kind");
	nm_jw_str(w, t->kind);
	nm_jw_key(w, "brain_id");
	nm_jw_str(w, t->brain_id);
	nm_jw_key(w, "state");
	nm_jw_str(w, state_names[t->state]);
	nm_jw_key(w, "done");
	nm_jw_int(w, atomic_load(&t->done));
	nm_jw_key(w, "total");
	nm_jw_int(w, atomic_load(&t->total));
	nm_jw_key(w, "started_at");
	nm_jw_time(w, t->started_at);
	nm_jw_key(w, "finished_at");
	nm_jw_time(w, t->finished_at);
	nm_jw_key(w, "report");
	if (t->report)
		nm_jw_raw(w, t->report);
	else
		nm_jw_null(w);
	nm_jw_key(w, "error");
	nm_jw_str(w, t->error);
	nm_jw_obj_end(w);
	pthread_mutex_unlock(&r->mu);
	return 0;
}
