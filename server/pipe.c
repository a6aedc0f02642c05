/*
 * pipe.c — a bounded byte pipe between the loop thread and a worker, for
 * bodies too large to hold: a streamed export (worker writes, loop sends)
 * and a streamed import (loop receives, worker reads).
 *
 * The worker side blocks (it is a pool thread); the loop side never does:
 * it takes what is there, or pushes and learns the pipe is full, and is
 * called back (srv_pipe_t.on_wake, on the loop thread) when the worker has
 * written, read or finished. Wake-ups travel like finished jobs: a list
 * under a mutex plus one uv_async (coalescing), here owned by the pipes
 * module so the two never wait on each other.
 *
 * Memory: at most `max` bytes wait in a pipe (a producer on the worker
 * side blocks beyond it; the loop stops reading the socket beyond it), and
 * the buffer holding them is compacted once the reader is `max` into it.
 *
 * Lifetime: two references, one per side, each dropped once with
 * srv_pipe_release; the wake list holds a third while the pipe is queued.
 * Either side may cancel (client gone, consumer gave up): the other side's
 * calls then fail fast. Lock: `mu` guards the buffer and flags; on_wake
 * and wake_arg are loop-thread only.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct srv_pipe {
	srv_ctx_t *ctx;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int refs;
	nm_buf_t data;                /* waiting bytes, from rpos on */
	size_t rpos;
	size_t max;
	bool eof, failed, cancelled;
	bool queued;                  /* in the wake list (guarded by the list's mutex) */
	srv_pipe_t *next_wake;
	void (*on_wake)(void *arg);   /* loop thread */
	void *wake_arg;
};

struct srv_pipes {
	pthread_mutex_t mu;
	srv_pipe_t *head;
	uv_async_t async;
};

static void on_async(uv_async_t *h)
{
	srv_pipes_t *ps = h->data;
	pthread_mutex_lock(&ps->mu);
	srv_pipe_t *p = ps->head;
	ps->head = NULL;
	for (srv_pipe_t *q = p; q; q = q->next_wake)
		q->queued = false;
	pthread_mutex_unlock(&ps->mu);
	while (p) {
		srv_pipe_t *next = p->next_wake;
		if (p->on_wake)
			p->on_wake(p->wake_arg);
		srv_pipe_release(p);
		p = next;
	}
}

srv_pipes_t *srv_pipes_new(srv_ctx_t *ctx)
{
	srv_pipes_t *ps = nm_xcalloc(1, sizeof *ps);
	pthread_mutex_init(&ps->mu, NULL);
	uv_async_init(ctx->loop, &ps->async, on_async);
	ps->async.data = ps;
	return ps;
}

static void on_closed(uv_handle_t *h)
{
	srv_pipes_t *ps = h->data;
	pthread_mutex_destroy(&ps->mu);
	free(ps);
}

void srv_pipes_free(srv_pipes_t *ps)
{
	if (!ps)
		return;
	on_async(&ps->async);
	uv_close((uv_handle_t *)&ps->async, on_closed); /* freed by the caller's last uv_run */
}

srv_pipe_t *srv_pipe_new(srv_ctx_t *ctx, size_t max)
{
	srv_pipe_t *p = nm_xcalloc(1, sizeof *p);
	p->ctx = ctx;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	atomic_init(&p->refs, 2);
	p->max = max;
	return p;
}

void srv_pipe_release(srv_pipe_t *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	nm_buf_free(&p->data);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

/* Ask the loop to call on_wake (any thread; p->mu not held). */
static void wake(srv_pipe_t *p)
{
	srv_pipes_t *ps = p->ctx->pipes;
	pthread_mutex_lock(&ps->mu);
	if (!p->queued) {
		p->queued = true;
		atomic_fetch_add(&p->refs, 1);
		p->next_wake = ps->head;
		ps->head = p;
	}
	pthread_mutex_unlock(&ps->mu);
	uv_async_send(&ps->async);
}

void srv_pipe_on_wake(srv_pipe_t *p, void (*fn)(void *arg), void *arg)
{
	p->on_wake = fn;
	p->wake_arg = arg;
}

static size_t avail(const srv_pipe_t *p)
{
	return p->data.len - p->rpos;
}

/* ---- worker side (blocking) ---- */

int srv_pipe_write(srv_pipe_t *p, const char *s, size_t n)
{
	pthread_mutex_lock(&p->mu);
	while (avail(p) >= p->max && !p->cancelled)
		pthread_cond_wait(&p->cv, &p->mu);
	bool ok = !p->cancelled;
	if (ok)
		nm_buf_append(&p->data, s, n);
	pthread_mutex_unlock(&p->mu);
	if (ok)
		wake(p);
	return ok ? 0 : -1;
}

void srv_pipe_close(srv_pipe_t *p, bool ok)
{
	pthread_mutex_lock(&p->mu);
	if (ok)
		p->eof = true;
	else
		p->failed = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	wake(p);
}

ssize_t srv_pipe_read(srv_pipe_t *p, char *buf, size_t cap)
{
	pthread_mutex_lock(&p->mu);
	while (!avail(p) && !p->eof && !p->failed && !p->cancelled)
		pthread_cond_wait(&p->cv, &p->mu);
	ssize_t n = -1;
	bool was_full = avail(p) >= p->max;
	if (avail(p)) {
		n = (ssize_t)(avail(p) < cap ? avail(p) : cap);
		memcpy(buf, p->data.data + p->rpos, (size_t)n);
		p->rpos += (size_t)n;
		if (p->rpos == p->data.len) {
			nm_buf_reset(&p->data);
			p->rpos = 0;
		} else if (p->rpos >= p->max) { /* keep the buffer from growing behind the reader */
			memmove(p->data.data, p->data.data + p->rpos, avail(p));
			p->data.len -= p->rpos;
			p->rpos = 0;
		}
	} else if (p->eof) {
		n = 0;
	}
	bool resume = was_full && avail(p) < p->max;
	pthread_mutex_unlock(&p->mu);
	if (resume)
		wake(p); /* the loop may read the socket again */
	return n;
}

/* ---- loop side (never blocks) ---- */

srv_pipe_state_t srv_pipe_take(srv_pipe_t *p, nm_buf_t *out)
{
	pthread_mutex_lock(&p->mu);
	*out = (nm_buf_t){0};
	if (avail(p)) {
		if (p->rpos)
			nm_buf_append(out, p->data.data + p->rpos, avail(p));
		else
			*out = p->data;
		p->data = (nm_buf_t){0};
		p->rpos = 0;
		pthread_cond_signal(&p->cv);
	}
	srv_pipe_state_t st = p->cancelled ? SRV_PIPE_CANCELLED : p->failed ? SRV_PIPE_FAILED
	                    : p->eof ? SRV_PIPE_EOF : SRV_PIPE_OPEN;
	pthread_mutex_unlock(&p->mu);
	return st;
}

bool srv_pipe_push(srv_pipe_t *p, const char *s, size_t n)
{
	pthread_mutex_lock(&p->mu);
	if (!p->cancelled) {
		nm_buf_append(&p->data, s, n);
		pthread_cond_signal(&p->cv);
	}
	bool full = avail(p) >= p->max && !p->cancelled;
	pthread_mutex_unlock(&p->mu);
	return full;
}

bool srv_pipe_full(srv_pipe_t *p)
{
	pthread_mutex_lock(&p->mu);
	bool full = avail(p) >= p->max && !p->cancelled;
	pthread_mutex_unlock(&p->mu);
	return full;
}

void srv_pipe_cancel(srv_pipe_t *p, bool from_loop)
{
	pthread_mutex_lock(&p->mu);
	p->cancelled = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (!from_loop)
		wake(p);
}
