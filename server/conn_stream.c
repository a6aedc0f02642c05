/*
 * conn_stream.c — bodies streamed through a pipe (pipe.c) between the
 * connection and a worker, both ways.
 *
 * Out: exports of whole brains, sent with Transfer-Encoding: chunked while
 * the worker is still writing them (PROTOCOL.md §6.6 "Export transport").
 *
 * The pump sends whatever the pipe holds as one chunk, waits for that write
 * to finish, then looks again; when the pipe is empty it waits for the
 * worker's wake-up. So at most one chunk is in flight and at most the
 * pipe's bound waits behind it: memory stays constant however big the
 * brain. A finished pipe gets the terminating chunk (and keep-alive goes
 * on); a failed one closes the connection without it, which a client sees
 * as truncation. A client that stops reading trips the write timeout
 * (timeouts.body), which closes the connection and cancels the pipe, and
 * the worker stops.
 *
 * In: an import's body goes to the job as it arrives. The request was
 * dispatched at its headers (SRV_R_STREAM_IN), so auth, route and brain
 * checks answered before any body byte was read; the parser pushes body
 * bytes into the pipe, reading stops while the pipe is full and resumes
 * when the worker has read. An answer that comes before the body ended
 * (an invalid element at line 3) drops the rest and closes the connection.
 * Loop thread only.
 */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pump(void *arg);

static void on_chunk(srv_conn_t *c, int status)
{
	c->out_writing = false;
	if (status < 0) {
		srv_conn_close(c);
		return;
	}
	pump(c);
}

static void finish(srv_conn_t *c)
{
	srv_pipe_t *p = c->out;
	c->out = NULL;
	srv_pipe_on_wake(p, NULL, NULL);
	srv_pipe_release(p);
}

static void pump(void *arg)
{
	srv_conn_t *c = arg;
	if (!c->out || c->out_writing || c->state == CS_CLOSED)
		return;
	nm_buf_t data;
	srv_pipe_state_t st = srv_pipe_take(c->out, &data);
	if (data.len) {
		char frame[24];
		int n = snprintf(frame, sizeof frame, "%zx\r\n", data.len);
		nm_buf_puts(&data, "\r\n");
		size_t len;
		char *body = nm_buf_steal(&data, &len);
		c->out_writing = true;
		srv_conn_arm(c, c->ctx->cfg.t_body);
		srv_conn_write(c, nm_xstrndup(frame, (size_t)n), (size_t)n, body, len, false, on_chunk);
		return;
	}
	nm_buf_free(&data);
	if (st == SRV_PIPE_EOF) {
		finish(c);
		srv_conn_arm(c, c->ctx->cfg.t_body);
		srv_conn_write(c, nm_xstrdup("0\r\n\r\n"), 5, NULL, 0, true, NULL);
	} else if (st != SRV_PIPE_OPEN) {
		srv_conn_close(c); /* failed mid-stream: no terminating chunk */
	} else {
		uv_timer_stop(&c->timer); /* the worker is producing; our side is idle */
	}
}

void srv_conn_stream_out(srv_conn_t *c, srv_job_t *job)
{
	size_t hlen;
	char *head = srv_conn_head(c, job->status, job->content_type, -1, NULL, &hlen);
	if (!job->pipe) { /* HEAD: the head alone */
		c->state = CS_WRITE;
		srv_conn_arm(c, c->ctx->cfg.t_body);
		srv_conn_write(c, head, hlen, NULL, 0, true, NULL);
		return;
	}
	c->out = job->pipe;
	job->pipe = NULL;
	c->state = CS_WRITE;
	srv_pipe_on_wake(c->out, pump, c);
	c->out_writing = true;
	srv_conn_arm(c, c->ctx->cfg.t_body);
	srv_conn_write(c, head, hlen, NULL, 0, false, on_chunk);
}

void srv_conn_stream_drop(srv_conn_t *c)
{
	if (!c->out)
		return;
	srv_pipe_cancel(c->out, true);
	finish(c);
}

/* ---- request bodies ---- */

static void resume(void *arg)
{
	srv_conn_t *c = arg;
	if (!c->in || !c->in_paused || c->state != CS_BODY || srv_pipe_full(c->in))
		return;
	c->in_paused = false;
	srv_conn_arm(c, c->ctx->cfg.t_body);
	srv_conn_resume_reading(c);
}

void srv_conn_stream_in_start(srv_conn_t *c, srv_job_t *job)
{
	srv_pipe_t *p = srv_pipe_new(c->ctx, 1u << 20);
	job->in = p;
	c->in = p;
	srv_pipe_on_wake(p, resume, c);
}

void srv_conn_stream_in_push(srv_conn_t *c, const char *p, size_t n)
{
	if (c->in)
		srv_pipe_push(c->in, p, n);
}

void srv_conn_stream_in_end(srv_conn_t *c)
{
	if (c->in)
		srv_pipe_close(c->in, true);
}

void srv_conn_stream_in_check(srv_conn_t *c)
{
	if (c->in && c->state == CS_BODY && !c->in_paused && srv_pipe_full(c->in)) {
		c->in_paused = true;
		uv_read_stop((uv_stream_t *)&c->tcp);
		uv_timer_stop(&c->timer); /* waiting for the worker, not the client */
	}
}

void srv_conn_stream_in_drop(srv_conn_t *c)
{
	if (!c->in)
		return;
	srv_pipe_on_wake(c->in, NULL, NULL);
	srv_pipe_cancel(c->in, true);
	srv_pipe_release(c->in);
	c->in = NULL;
	if (c->in_paused && c->state != CS_CLOSED) {
		c->in_paused = false;
		srv_conn_resume_reading(c); /* drop what is left */
	}
}

