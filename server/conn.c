/*
 * conn.c — client connections: accept, read, parse (llhttp), time out,
 * write answers, keep-alive and pipelining (states in conn.h).
 *
 * One request per connection is in progress at a time. When a message is
 * complete the parser is paused (on_message_complete returns HPE_PAUSED)
 * and reading stops; bytes already received for the next pipelined
 * requests wait in `pend` and are parsed after the answer is written.
 * Answers therefore leave in request order, and a client that pipelines a
 * flood is held back by TCP rather than by our memory.
 *
 * Limits enforced here (conf: limits.*, timeouts.*): request line +
 * headers (431), body by Content-Length before reading it and while
 * reading a chunked one (413), header time from the first byte (408),
 * body and write stalls, keep-alive idle time, and the connection count
 * (503). A request llhttp rejects is answered 400 and the connection
 * closed.
 *
 * Memory: a connection is freed only after both of its handles' close
 * callbacks ran and no job refers to it (job_pending), whichever is last.
 * Loop thread only.
 */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static llhttp_settings_t settings;

/* ---- lifetime ---- */

static void conn_free(srv_conn_t *c)
{
	srv_req_reset(&c->req);
	free(c->pend);
	free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
	srv_conn_t *c = h->data;
	if (--c->open_handles == 0 && !c->job_pending)
		conn_free(c);
}

void srv_conn_close(srv_conn_t *c)
{
	if (c->state == CS_CLOSED)
		return;
	c->state = CS_CLOSED;
	srv_ctx_t *ctx = c->ctx;
	if (c->prev)
		c->prev->next = c->next;
	else
		ctx->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctx->nconns--;
	srv_conn_stream_drop(c);
	srv_conn_stream_in_drop(c);
	srv_ws_free(c);
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

/* ---- timers ---- */

static void on_timeout(uv_timer_t *t)
{
	srv_conn_t *c = t->data;
	if (c->state == CS_HEAD || c->state == CS_BODY) {
		/* A request that stalls (slowloris) gets 408 and the door. */
		c->req.error = 408;
		srv_conn_error(c, 408, "request timed out", NULL);
		return;
	}
	srv_conn_close(c); /* idle keep-alive, or a client not reading our answer */
}

void srv_conn_arm(srv_conn_t *c, double seconds)
{
	uint64_t ms = (uint64_t)(seconds * 1000);
	uv_timer_start(&c->timer, on_timeout, ms ? ms : 1, 0);
}

/* ---- parser callbacks ---- */

static srv_conn_t *of(llhttp_t *p)
{
	return p->data;
}

static int on_message_begin(llhttp_t *p)
{
	srv_conn_t *c = of(p);
	srv_req_reset(&c->req);
	c->req.t0 = uv_hrtime();
	c->state = CS_HEAD;
	c->gen++;
	srv_conn_arm(c, c->ctx->cfg.t_header);
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	srv_conn_t *c = of(p);
	return srv_req_head(&c->req, &c->req.url, at, n, c->ctx->cfg.max_header);
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	srv_conn_t *c = of(p);
	return srv_req_head(&c->req, &c->req.hname, at, n, c->ctx->cfg.max_header);
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	srv_conn_t *c = of(p);
	return srv_req_head(&c->req, &c->req.hval, at, n, c->ctx->cfg.max_header);
}

static int on_header_value_complete(llhttp_t *p)
{
	srv_req_header_done(&of(p)->req);
	return 0;
}

static void write_raw(srv_conn_t *c, const char *text);

static int on_headers_complete(llhttp_t *p)
{
	srv_conn_t *c = of(p);
	srv_req_t *r = &c->req;
	const srv_config_t *cfg = &c->ctx->cfg;
	if (srv_req_head_done(r, llhttp_get_method(p), cfg, p->flags & F_CONTENT_LENGTH, p->content_length) < 0)
		return -1; /* refused before reading a byte of it */
	unsigned flags = r->match.route ? r->match.route->flags : 0;
	c->state = CS_BODY;
	srv_conn_arm(c, cfg->t_body);
	if (flags & SRV_R_STREAM_IN) {
		/* checked and handed to a worker now; the body follows through a pipe */
		r->streamed = true;
		srv_dispatch(c);
		if (c->state != CS_BODY)
			return 0; /* answered already: the rest of the body is dropped */
	}
	if (r->expect_continue)
		write_raw(c, "HTTP/1.1 100 Continue\r\n\r\n");
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	srv_conn_t *c = of(p);
	if (srv_req_body_bytes(&c->req, n) < 0)
		return -1;
	if (c->req.streamed)
		srv_conn_stream_in_push(c, at, n);
	else
		nm_buf_append(&c->req.body, at, n);
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	srv_conn_t *c = of(p);
	c->close_after_write = !llhttp_should_keep_alive(p);
	if (c->req.streamed) { /* dispatched at the headers; the answer comes from the job */
		srv_conn_stream_in_end(c);
		if (c->state == CS_BODY) {
			c->state = CS_BUSY;
			uv_timer_stop(&c->timer);
		}
		return HPE_PAUSED;
	}
	c->state = CS_BUSY;
	uv_timer_stop(&c->timer);
	srv_dispatch(c);
	return HPE_PAUSED;
}

void srv_conn_init_settings(void)
{
	llhttp_settings_init(&settings);
	settings.on_message_begin = on_message_begin;
	settings.on_url = on_url;
	settings.on_header_field = on_header_field;
	settings.on_header_value = on_header_value;
	settings.on_header_value_complete = on_header_value_complete;
	settings.on_headers_complete = on_headers_complete;
	settings.on_body = on_body;
	settings.on_message_complete = on_message_complete;
}

/* ---- reading ---- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	srv_conn_t *c = h->data;
	buf->base = c->rbuf;
	buf->len = sizeof c->rbuf;
}

/* Feed bytes to the parser; on a pause keep the rest for later. */
static void feed(srv_conn_t *c, const char *data, size_t len)
{
	llhttp_errno_t e = llhttp_execute(&c->parser, data, len);
	if (e == HPE_OK)
		return;
	if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) {
		const char *pos = llhttp_get_error_pos(&c->parser);
		size_t used = pos ? (size_t)(pos - data) : len;
		if (c->state == CS_WS) { /* upgraded: the rest is WebSocket frames */
			if (used < len)
				srv_ws_input(c, data + used, len - used);
			return;
		}
		if (used < len && c->state != CS_CLOSED) {
			char *rest = nm_xmalloc(len - used + c->pend_len);
			memcpy(rest, data + used, len - used);
			if (c->pend_len) /* still unparsed from before: goes after */
				memcpy(rest + len - used, c->pend, c->pend_len);
			free(c->pend);
			c->pend = rest;
			c->pend_len += len - used;
		}
		if (c->state != CS_CLOSED)
			uv_read_stop((uv_stream_t *)&c->tcp);
		return;
	}
	if (c->state == CS_CLOSED || c->state == CS_WRITE || c->state == CS_LINGER)
		return;
	int status = c->req.error ? c->req.error : 400;
	const char *detail = status == 431 ? "request header fields too large"
	                   : status == 413 ? "request body too large"
	                   : "malformed HTTP request";
	c->req.error = status;
	srv_conn_error(c, status, detail, NULL);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	srv_conn_t *c = s->data;
	if (nread < 0) {
		srv_conn_close(c);
		return;
	}
	if (nread == 0 || c->state == CS_LINGER)
		return;
	if (c->state == CS_WS) {
		srv_ws_input(c, buf->base, (size_t)nread);
		return;
	}
	if (c->state == CS_IDLE)
		uv_timer_stop(&c->timer);
	if (c->state == CS_BODY)
		srv_conn_arm(c, c->ctx->cfg.t_body); /* body timeout counts stalls, not total time */
	feed(c, buf->base, (size_t)nread);
	srv_conn_stream_in_check(c);
}

void srv_conn_resume_reading(srv_conn_t *c)
{
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* After an answer: go back to reading, parsing what is already here. */
static void next_request(srv_conn_t *c)
{
	c->state = CS_IDLE;
	srv_req_reset(&c->req);
	srv_conn_arm(c, c->ctx->cfg.t_idle);
	llhttp_resume(&c->parser);
	while (c->pend_len && c->state == CS_IDLE) {
		char *data = c->pend;
		size_t len = c->pend_len;
		c->pend = NULL;
		c->pend_len = 0;
		feed(c, data, len);
		free(data);
	}
	if (c->state == CS_IDLE || c->state == CS_HEAD || c->state == CS_BODY)
		uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* ---- writing ---- */

typedef struct wreq {
	uv_write_t w;
	srv_conn_t *c;
	char *head;
	char *body;
	bool ends_request;            /* false for interim answers and chunks */
	void (*after)(srv_conn_t *c, int status); /* a chunk written (not for ends_request) */
} wreq_t;

static void on_shutdown(uv_shutdown_t *req, int status)
{
	/* Nothing to do: the linger timer or the client's EOF closes. */
}

/* After an error answer (400, 408, 413, 431): stop sending, keep reading
 * (and dropping) what the client still sends for a moment. Closing at once
 * with unread input would make the kernel reset the connection, and the
 * client could lose our answer. */
static void linger(srv_conn_t *c)
{
	c->state = CS_LINGER;
	free(c->pend);
	c->pend = NULL;
	c->pend_len = 0;
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
		srv_conn_close(c);
		return;
	}
	srv_conn_arm(c, 2.0);
}

static void on_written(uv_write_t *w, int status)
{
	wreq_t *wr = (wreq_t *)w;
	srv_conn_t *c = wr->c;
	bool ends = wr->ends_request;
	void (*after)(srv_conn_t *, int) = wr->after;
	free(wr->head);
	free(wr->body);
	free(wr);
	if (c->state == CS_CLOSED)
		return;
	if (!ends) {
		if (after)
			after(c, status);
		return;
	}
	if (status == 0 && c->req.error)
		linger(c);
	else if (status < 0 || c->close_after_write || c->ctx->shutting_down)
		srv_conn_close(c);
	else
		next_request(c);
}

int srv_conn_write(srv_conn_t *c, char *head, size_t hlen, char *body, size_t blen, bool ends,
                   void (*after)(srv_conn_t *c, int status))
{
	wreq_t *wr = nm_xcalloc(1, sizeof *wr);
	wr->c = c;
	wr->head = head;
	wr->body = body;
	wr->ends_request = ends;
	wr->after = after;
	uv_buf_t bufs[2] = {uv_buf_init(head, (unsigned)hlen), uv_buf_init(body ? body : "", (unsigned)blen)};
	if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, bufs, body && blen ? 2 : 1, on_written) < 0) {
		free(wr->head);
		free(wr->body);
		free(wr);
		srv_conn_close(c);
		return -1;
	}
	return 0;
}

static void write_raw(srv_conn_t *c, const char *text)
{
	srv_conn_write(c, nm_xstrdup(text), strlen(text), NULL, 0, false, NULL);
}

static const char *date_header(srv_ctx_t *ctx)
{
	time_t now = time(NULL);
	if (now != ctx->date_sec) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(ctx->date, sizeof ctx->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		ctx->date_sec = now;
	}
	return ctx->date;
}

/* CORS headers for an allowed Origin (PROTOCOL.md §1.1). */
static void cors_headers(srv_conn_t *c, nm_buf_t *h)
{
	const char *o = c->req.origin;
	if (!o || !*o || strpbrk(o, "\r\n"))
		return;
	srv_ctx_t *ctx = c->ctx;
	if (!ctx->cors_any && !nm_strv_has(&ctx->cors_list, o))
		return;
	nm_buf_printf(h, "Access-Control-Allow-Origin: %s\r\nAccess-Control-Allow-Credentials: true\r\n"
	                 "Access-Control-Expose-Headers: X-Request-ID\r\nVary: Origin\r\n", o);
}

static const char *method_name(int m)
{
	return m < 0 ? "-" : llhttp_method_name((llhttp_method_t)m);
}

char *srv_conn_head(srv_conn_t *c, int status, const char *ctype, int64_t len, const char *extra, size_t *hlen)
{
	srv_ctx_t *ctx = c->ctx;
	srv_req_t *r = &c->req;
	if (r->streamed && c->state == CS_BODY) {
		/* answered before the whole body came: drop the rest, then close */
		if (!r->error)
			r->error = status;
		if (c->job_pending)
			c->gen++; /* this answer wins; the job's is dropped */
		srv_conn_stream_in_drop(c);
	}
	if (r->error || status == 400 || ctx->shutting_down)
		c->close_after_write = true;
	if (!r->reqid[0])
		srv_req_id(c);
	nm_buf_t h = {0};
	nm_buf_printf(&h, "HTTP/1.1 %d %s\r\nServer: nmemd/" NMEMD_VERSION "\r\nDate: %s\r\n", status,
	              srv_status_text(status), date_header(ctx));
	if (status != 204 && len >= 0)
		nm_buf_printf(&h, "Content-Type: %s\r\nContent-Length: %lld\r\n", ctype ? ctype : "application/json",
		              (long long)len);
	else if (status != 204)
		nm_buf_printf(&h, "Content-Type: %s\r\nTransfer-Encoding: chunked\r\n", ctype ? ctype : "application/json");
	nm_buf_printf(&h, "X-Request-ID: %s\r\n", r->reqid);
	cors_headers(c, &h);
	if (extra)
		nm_buf_puts(&h, extra);
	if (c->close_after_write)
		nm_buf_puts(&h, "Connection: close\r\n");
	nm_buf_puts(&h, "\r\n");

	double secs = (double)(uv_hrtime() - r->t0) / 1e9;
	const char *url = r->url.data ? r->url.data : "";
	const char *q = memchr(url, '?', r->url.len);
	srv_metrics_request(ctx->metrics, method_name(r->method), r->route_name ? r->route_name : "other", status, secs,
	                    r->body_bytes);
	srv_log_access(r->reqid, method_name(r->method), url, q ? (size_t)(q - url) : r->url.len,
	               status, r->method == HTTP_HEAD || len < 0 ? 0 : (size_t)len, secs * 1000);
	return nm_buf_steal(&h, hlen);
}

void srv_conn_respond(srv_conn_t *c, int status, const char *ctype, char *body, size_t len, const char *extra)
{
	if (c->state == CS_CLOSED) {
		free(body);
		return;
	}
	size_t hlen;
	char *head = srv_conn_head(c, status, ctype, (int64_t)len, extra, &hlen);
	bool head_only = c->req.method == HTTP_HEAD || !len;
	c->state = CS_WRITE;
	srv_conn_arm(c, c->ctx->cfg.t_body);
	if (head_only) {
		free(body);
		body = NULL;
	}
	srv_conn_write(c, head, hlen, body, head_only ? 0 : len, true, NULL);
}

void srv_conn_error(srv_conn_t *c, int status, const char *detail, const char *extra)
{
	nm_buf_t b = {0};
	srv_error_body(&b, detail);
	size_t len;
	char *body = nm_buf_steal(&b, &len);
	srv_conn_respond(c, status, NULL, body, len, extra);
}

/* ---- jobs coming back ---- */

void srv_conn_job_done(srv_job_t *job)
{
	srv_conn_t *c = job->conn;
	job->ctx->in_flight--;
	c->job_pending = false;
	srv_sync_after_job(job); /* a committed write: subscribers hear of it, client still here or not */
	if (c->gen == job->conn_gen)
		srv_conn_stream_in_drop(c); /* the job is done with the body */
	if (c->state == CS_CLOSED) {
		if (c->open_handles == 0)
			conn_free(c);
	} else if (c->gen == job->conn_gen && (job->pipe || job->chunked_head)) {
		srv_conn_stream_out(c, job);
	} else if (c->gen == job->conn_gen) {
		size_t len;
		char *body = nm_buf_steal(&job->out, &len);
		const char *extra = job->status == 503 ? "Retry-After: 1\r\n" : NULL;
		srv_conn_respond(c, job->status ? job->status : 500, job->content_type, body, len, extra);
	}
	srv_job_free(job);
}

/* ---- accepting ---- */

static void on_connection(uv_stream_t *server, int status)
{
	srv_ctx_t *ctx = server->data;
	if (status < 0)
		return;
	srv_conn_t *c = nm_xcalloc(1, sizeof *c);
	c->ctx = ctx;
	uv_tcp_init(ctx->loop, &c->tcp);
	uv_timer_init(ctx->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->open_handles = 2;
	c->next = ctx->conns;
	if (ctx->conns)
		ctx->conns->prev = c;
	ctx->conns = c;
	ctx->nconns++;
	c->state = CS_IDLE;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		srv_conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	if (ctx->nconns > ctx->cfg.max_conns || ctx->shutting_down) {
		static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
		                           "Content-Length: 40\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
		                           "{\"detail\": \"too many open connections\"}";
		uv_buf_t b = uv_buf_init((char *)busy, sizeof busy - 1);
		uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
		srv_conn_close(c);
		return;
	}
	srv_conn_arm(c, ctx->cfg.t_idle);
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

int srv_listen(srv_ctx_t *ctx, char *msg, size_t msglen)
{
	struct sockaddr_storage addr;
	int rc = uv_ip4_addr(ctx->cfg.host, ctx->cfg.port, (struct sockaddr_in *)&addr);
	if (rc < 0)
		rc = uv_ip6_addr(ctx->cfg.host, ctx->cfg.port, (struct sockaddr_in6 *)&addr);
	if (rc < 0) {
		snprintf(msg, msglen, "invalid host address '%s' (give a numeric IPv4 or IPv6 address)", ctx->cfg.host);
		return -1;
	}
	srv_conn_init_settings();
	uv_tcp_init(ctx->loop, &ctx->listener);
	ctx->listener.data = ctx;
	if ((rc = uv_tcp_bind(&ctx->listener, (struct sockaddr *)&addr, 0)) < 0 ||
	    (rc = uv_listen((uv_stream_t *)&ctx->listener, 1024, on_connection)) < 0) {
		snprintf(msg, msglen, "cannot listen on %s:%d: %s", ctx->cfg.host, ctx->cfg.port, uv_strerror(rc));
		return -1;
	}
	return 0;
}

void srv_conns_shutdown(srv_ctx_t *ctx)
{
	if (!uv_is_closing((uv_handle_t *)&ctx->listener))
		uv_close((uv_handle_t *)&ctx->listener, NULL);
	/* Idle connections go now; busy ones close after their answer. */
	for (srv_conn_t *c = ctx->conns, *next; c; c = next) {
		next = c->next;
		if (c->state == CS_IDLE)
			srv_conn_close(c);
		else if (c->state == CS_WS)
			srv_ws_close(c, 1001, "server shutting down");
	}
}
