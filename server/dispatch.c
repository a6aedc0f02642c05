/*
 * dispatch.c — from a complete request to an answer or a job
 * (DESIGN.md "How a request flows").
 *
 * The checks run in the order PROTOCOL.md §6.5 fixes, so two requests with
 * several faults get the same answer whatever the auth setting:
 *   1. OPTIONS preflight → 204 (no auth);  shutting down → 503
 *   2. API key (unless the route is public) → 401
 *   3. route → 404 / 405;  path encoding and ids → 422
 *   4. X-Brain-ID / {brain_id} → 422 missing, 404 unknown
 *   5. brain access → 403
 *   6. the handler, on a worker: body and query validation (400/422),
 *      then storage (404/409)
 * Steps 1–5 touch no storage (the brain registry is in memory), so bad
 * requests never cost a worker. Loop thread only.
 */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void srv_req_id(srv_conn_t *c)
{
	srv_req_t *r = &c->req;
	const char *in = r->reqid_in;
	size_t n = in ? strlen(in) : 0;
	bool ok = n > 0 && n < sizeof r->reqid;
	for (size_t i = 0; ok && i < n; i++)
		ok = (in[i] >= '0' && in[i] <= '9') || (in[i] >= 'a' && in[i] <= 'z') || (in[i] >= 'A' && in[i] <= 'Z') ||
		     strchr("-_.:", in[i]);
	if (ok)
		memcpy(r->reqid, in, n + 1);
	else
		snprintf(r->reqid, sizeof r->reqid, "%08llx-%llx", (unsigned long long)c->ctx->reqid_prefix,
		         (unsigned long long)++c->ctx->reqid_counter);
}

static void preflight(srv_conn_t *c)
{
	srv_req_t *r = &c->req;
	char extra[512];
	snprintf(extra, sizeof extra,
	         "Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS\r\n"
	         "Access-Control-Allow-Methods: GET, HEAD, POST, PUT, DELETE, OPTIONS\r\n"
	         "Access-Control-Allow-Headers: %s\r\nAccess-Control-Max-Age: 600\r\n",
	         r->acr_headers && *r->acr_headers && !strpbrk(r->acr_headers, "\r\n") ? r->acr_headers : "*");
	srv_conn_respond(c, 204, NULL, NULL, 0, extra);
}

/* An id taken from the path or a header: 1..255 bytes, no NUL. */
static bool bad_id(const char *s)
{
	return !nm_id_valid(s, strlen(s));
}

static bool needs_key(const srv_ctx_t *ctx, const srv_route_t *rt)
{
	if (!ctx->cfg.auth_enabled || !rt)
		return ctx->cfg.auth_enabled;
	if (rt->flags & SRV_R_PUBLIC)
		return false;
	if (rt->flags & SRV_R_METRICS)
		return ctx->cfg.metrics_auth;
	return true;
}

/* Steps 4 and 5: find the brain and check access. Returns the brain (a
 * reference, maybe NULL when the route needs none) or answers and sets
 * *failed; *deferred: a cluster brain this node does not know, to be
 * looked up on a worker (resolve_then_run). */
static nm_brain_t *resolve_brain(srv_conn_t *c, const srv_principal_t *who, bool *failed, bool *deferred)
{
	srv_req_t *r = &c->req;
	const srv_route_t *rt = r->match.route;
	srv_ctx_t *ctx = c->ctx;
	const char *id = NULL;
	char detail[400];
	*failed = *deferred = false;
	if (rt->flags & SRV_R_BRAIN_HEADER) {
		id = r->brain_id;
		if (!id || !*id) {
			*failed = true;
			srv_conn_error(c, 422, "X-Brain-ID header required", NULL);
			return NULL;
		}
		if (bad_id(id)) {
			*failed = true;
			srv_conn_error(c, 422, "X-Brain-ID: must be a non-empty id of at most 255 bytes", NULL);
			return NULL;
		}
	} else if (rt->flags & (SRV_R_BRAIN_PATH | SRV_R_IMPORT)) {
		id = r->match.params[0];
	} else {
		return NULL;
	}
	nm_brain_t *b = nm_store_brain_get(ctx->store, id);
	if (!b && nm_store_clustered(ctx->store)) {
		*deferred = true; /* maybe created on another node: the catalog decides */
		return NULL;
	}
	if (!b && (rt->flags & SRV_R_IMPORT))
		return NULL; /* import creates it */
	if (!b) {
		*failed = true;
		snprintf(detail, sizeof detail, "Brain %.255s not found", id);
		srv_conn_error(c, 404, detail, NULL);
		return NULL;
	}
	if (ctx->cfg.auth_enabled && !nm_brain_can(b, who->name, who->admin, (rt->flags & SRV_R_WRITE) != 0)) {
		*failed = true;
		srv_metrics_auth_failure(ctx->metrics, 403);
		snprintf(detail, sizeof detail, "Access to brain %.255s denied", id);
		srv_conn_error(c, 403, detail, NULL);
		nm_brain_release(b);
		return NULL;
	}
	return b;
}

/* A WebSocket's key may come as ?token=<key> (browsers cannot set headers
 * on a WebSocket); as "Bearer <key>", or NULL. */
static char *ws_token(srv_conn_t *c)
{
	srv_req_t *r = &c->req;
	if (!r->match.route || !(r->match.route->flags & SRV_R_WS) || (r->authz && *r->authz))
		return NULL;
	char *t = srv_req_query_param(r, "token");
	char *bearer = t ? nm_xasprintf("Bearer %s", t) : NULL;
	free(t);
	return bearer;
}

static srv_job_t *make_job(srv_conn_t *c, nm_brain_t *b, const srv_principal_t *who)
{
	srv_req_t *r = &c->req;
	srv_job_t *job = nm_xcalloc(1, sizeof *job);
	job->ctx = c->ctx;
	job->conn = c;
	job->conn_gen = c->gen;
	job->route = r->match.route;
	job->fn = r->match.route->fn;
	for (int i = 0; i < r->match.nparams; i++) {
		job->params[i] = r->match.params[i];
		r->match.params[i] = NULL;
	}
	const char *url = r->url.data ? r->url.data : "";
	const char *q = memchr(url, '?', r->url.len);
	if (q)
		srv_query_parse(&job->query, q + 1, r->url.len - (size_t)(q + 1 - url));
	if (r->streamed)
		srv_conn_stream_in_start(c, job);
	else
		job->body = nm_buf_steal(&r->body, &job->body_len);
	job->brain_header = nm_xstrdup(r->brain_id);
	job->accept = nm_xstrdup(r->accept);
	job->content_type_in = nm_xstrdup(r->ctype);
	job->brain = b;
	job->auth_on = c->ctx->cfg.auth_enabled;
	job->principal = nm_xstrdup(who->name);
	job->admin = who->admin;
	job->head = r->method == HTTP_HEAD;
	return job;
}

/* Cluster (a worker): the brain this node did not know, from the shared
 * catalog — another node may have created it a moment ago; the loop
 * thread never waits for the database. Then the same checks as
 * resolve_brain, and the route. */
static void resolve_then_run(srv_job_t *job)
{
	const srv_route_t *rt = job->route;
	const char *id = rt->flags & SRV_R_BRAIN_HEADER ? job->brain_header : job->params[0];
	nm_err_t err = {0};
	nm_brain_t *b = nm_store_brain_lookup(job->ctx->store, id, &err);
	job->fn = job->then;
	if (!b && !(rt->flags & SRV_R_IMPORT)) { /* import creates it */
		if (err.status)
			srv_job_errfrom(job, &err);
		else
			srv_job_error(job, 404, "Brain %.255s not found", id);
		srv_job_finish(job);
		return;
	}
	if (b && job->auth_on && !nm_brain_can(b, job->principal, job->admin, (rt->flags & SRV_R_WRITE) != 0)) {
		srv_job_error(job, 403, "Access to brain %.255s denied", id);
		nm_brain_release(b);
		srv_job_finish(job);
		return;
	}
	job->brain = b;
	job->fn(job);
}

/* Run a loop-thread handler (no storage) and answer at once. */
static void run_here(srv_conn_t *c, srv_job_t *job)
{
	job->fn(job);
	size_t len;
	char *body = nm_buf_steal(&job->out, &len);
	srv_conn_respond(c, job->status, job->content_type, body, len, NULL);
	job->conn = NULL;
	srv_job_free(job);
}

void srv_dispatch(srv_conn_t *c)
{
	srv_req_t *r = &c->req;
	srv_ctx_t *ctx = c->ctx;
	const srv_route_t *rt = r->match.route;
	srv_req_id(c);
	r->route_name = rt ? rt->tmpl : "other";
	if (r->method == HTTP_OPTIONS) {
		preflight(c);
		return;
	}
	if (ctx->shutting_down) {
		srv_conn_error(c, 503, "shutting down", "Retry-After: 1\r\n");
		return;
	}
	srv_principal_t who = {0};
	char *bearer = ws_token(c);
	bool keyed = needs_key(ctx, rt) ? srv_keys_check(ctx->keys, bearer ? bearer : r->authz, &who) : true;
	free(bearer);
	if (!keyed) {
		srv_metrics_auth_failure(ctx->metrics, 401);
		srv_conn_error(c, 401, "Missing or invalid API key", "WWW-Authenticate: Bearer\r\n");
		return;
	}
	if (!rt) {
		if (r->match.path_known) {
			char allow[96];
			snprintf(allow, sizeof allow, "Allow: %s\r\n", r->match.allow);
			srv_conn_error(c, 405, "Method Not Allowed", allow);
		} else {
			srv_conn_error(c, 404, "Not Found", NULL);
		}
		return;
	}
	if (r->match.bad_encoding) {
		srv_conn_error(c, 422, "path: invalid percent-encoding or UTF-8", NULL);
		return;
	}
	for (int i = 0; i < r->match.nparams; i++)
		if (bad_id(r->match.params[i])) {
			srv_conn_error(c, 422, "path: ids must be 1 to 255 bytes", NULL);
			return;
		}
	if (rt->flags & SRV_R_WS) {
		void *client = srv_sync_join(c, who.name, who.admin);
		if (!srv_ws_upgrade(c, client))
			srv_sync_gone(c, client);
		return;
	}
	bool failed, deferred;
	nm_brain_t *b = resolve_brain(c, &who, &failed, &deferred);
	if (failed)
		return;
	srv_job_t *job = make_job(c, b, &who);
	if (deferred) {
		job->then = job->fn;
		job->fn = resolve_then_run;
	}
	if (job->query.bad_encoding) {
		job->conn = NULL;
		srv_job_free(job);
		srv_conn_error(c, 422, "query: invalid percent-encoding or UTF-8", NULL);
		return;
	}
	if (rt->flags & SRV_R_LOOP) {
		run_here(c, job);
		return;
	}
	if (srv_pool_submit(rt->flags & SRV_R_LONG ? ctx->lpool : ctx->pool, job) < 0) {
		job->conn = NULL;
		srv_job_free(job);
		srv_conn_error(c, 503, "server busy: job queue full", "Retry-After: 1\r\n");
		return;
	}
	c->job_pending = true;
	ctx->in_flight++;
}
