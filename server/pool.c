/*
 * pool.c — the worker pool: jobs in, results back to the loop.
 *
 * DESIGN: the loop thread queues jobs (srv_pool_submit) on a bounded FIFO;
 * N worker threads take them in order and run job->fn. A job finishes by
 * srv_job_finish, from the worker or — for writes — from whichever thread
 * committed the brain's batch: it is appended to the completion list under
 * `done_mu` and the loop is woken with uv_async_send. uv_async_send
 * coalesces, so the loop callback takes the whole list in one go and
 * handles every job (libuv's threadpool.c does the same).
 *
 * Lock rules: `mu` guards the job queue and `stopping`; `done_mu` guards
 * the completion list. Neither is held while running a job or while
 * calling into the loop, and the two are never held together.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

struct srv_pool {
	srv_ctx_t *ctx;
	pthread_t *threads;
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	srv_job_t *head, *tail;       /* queued jobs, guarded by mu */
	int depth;                    /* queued, guarded by mu */
	int max;
	bool stopping;
	pthread_mutex_t done_mu;
	srv_job_t *done_head, *done_tail; /* finished jobs, guarded by done_mu */
	uv_async_t async;             /* loop-owned; wakes the loop */
};

static void *worker(void *arg)
{
	srv_pool_t *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		srv_job_t *job = p->head;
		if (!job) { /* stopping and drained */
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		p->head = job->next;
		if (!p->head)
			p->tail = NULL;
		p->depth--;
		pthread_mutex_unlock(&p->mu);
		job->next = NULL;
		job->fn(job);
	}
}

static void on_async(uv_async_t *h)
{
	srv_pool_t *p = h->data;
	pthread_mutex_lock(&p->done_mu);
	srv_job_t *job = p->done_head;
	p->done_head = p->done_tail = NULL;
	pthread_mutex_unlock(&p->done_mu);
	while (job) {
		srv_job_t *next = job->next;
		job->next = NULL;
		srv_conn_job_done(job);
		job = next;
	}
}

static void on_closed(uv_handle_t *h)
{
	srv_pool_t *p = h->data;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->done_mu);
	free(p->threads);
	free(p);
}

srv_pool_t *srv_pool_new(srv_ctx_t *ctx, int workers, int queue_max)
{
	srv_pool_t *p = nm_xcalloc(1, sizeof *p);
	p->ctx = ctx;
	p->max = queue_max > 0 ? queue_max : 4096;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_mutex_init(&p->done_mu, NULL);
	uv_async_init(ctx->loop, &p->async, on_async);
	p->async.data = p;
	p->threads = nm_xcalloc((size_t)workers, sizeof *p->threads);
	for (int i = 0; i < workers; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			break;
		p->nthreads++;
	}
	return p;
}

void srv_pool_free(srv_pool_t *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	on_async(&p->async); /* answer (or drop) what finished meanwhile */
	uv_close((uv_handle_t *)&p->async, on_closed); /* freed by the caller's last uv_run */
}

int srv_pool_submit(srv_pool_t *p, srv_job_t *job)
{
	pthread_mutex_lock(&p->mu);
	if (p->depth >= p->max || p->stopping) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	job->next = NULL;
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->depth++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int srv_pool_depth(srv_pool_t *p)
{
	pthread_mutex_lock(&p->mu);
	int d = p->depth;
	pthread_mutex_unlock(&p->mu);
	return d;
}

int srv_pool_workers(srv_pool_t *p)
{
	return p->nthreads;
}

void srv_job_finish(srv_job_t *job)
{
	srv_pool_t *p = job->ctx->pool;
	pthread_mutex_lock(&p->done_mu);
	if (p->done_tail)
		p->done_tail->next = job;
	else
		p->done_head = job;
	p->done_tail = job;
	pthread_mutex_unlock(&p->done_mu);
	uv_async_send(&p->async);
}

void srv_job_free(srv_job_t *job)
{
	if (!job)
		return;
	for (int i = 0; i < SRV_MAX_PARAMS; i++)
		free(job->params[i]);
	srv_query_free(&job->query);
	free(job->body);
	free(job->brain_header);
	free(job->accept);
	free(job->content_type_in);
	nm_brain_release(job->brain);
	free(job->principal);
	nm_buf_free(&job->out);
	if (job->in) { /* the worker's end of a request body */
		srv_pipe_cancel(job->in, false);
		srv_pipe_release(job->in);
	}
	if (job->pipe) { /* never reached a connection */
		srv_pipe_cancel(job->pipe, true);
		srv_pipe_release(job->pipe);
	}
	if (job->state_free)
		job->state_free(job->state);
	else if (job->state_clear) {
		job->state_clear(job->state);
		free(job->state);
	}
	free(job);
}
