/*
 * request.c — see request.h.
 */
#include "request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"

void srv_req_reset(srv_req_t *r)
{
	/* (method -1 = not parsed yet: metrics and logs show "-") */
	nm_buf_free(&r->url);
	nm_buf_free(&r->hname);
	nm_buf_free(&r->hval);
	nm_buf_free(&r->body);
	free(r->brain_id);
	free(r->authz);
	free(r->origin);
	free(r->reqid_in);
	free(r->acr_method);
	free(r->acr_headers);
	free(r->accept);
	free(r->ctype);
	free(r->upgrade);
	free(r->connection);
	free(r->ws_key);
	free(r->ws_version);
	srv_match_free(&r->match);
	memset(r, 0, sizeof *r);
	r->method = -1;
}

int srv_req_head(srv_req_t *r, nm_buf_t *part, const char *at, size_t n, int64_t max_head)
{
	r->head_bytes += n;
	if ((int64_t)r->head_bytes > max_head) {
		r->error = 431;
		return -1;
	}
	nm_buf_append(part, at, n);
	return 0;
}

static void keep_header(char **slot, nm_buf_t *v)
{
	free(*slot);
	*slot = nm_xstrndup(v->data ? v->data : "", v->len);
}

void srv_req_header_done(srv_req_t *r)
{
	const char *name = r->hname.data ? r->hname.data : "";
	if (!strcasecmp(name, "x-brain-id"))
		keep_header(&r->brain_id, &r->hval);
	else if (!strcasecmp(name, "authorization"))
		keep_header(&r->authz, &r->hval);
	else if (!strcasecmp(name, "origin"))
		keep_header(&r->origin, &r->hval);
	else if (!strcasecmp(name, "x-request-id"))
		keep_header(&r->reqid_in, &r->hval);
	else if (!strcasecmp(name, "access-control-request-method"))
		keep_header(&r->acr_method, &r->hval);
	else if (!strcasecmp(name, "access-control-request-headers"))
		keep_header(&r->acr_headers, &r->hval);
	else if (!strcasecmp(name, "accept"))
		keep_header(&r->accept, &r->hval);
	else if (!strcasecmp(name, "content-type"))
		keep_header(&r->ctype, &r->hval);
	else if (!strcasecmp(name, "upgrade"))
		keep_header(&r->upgrade, &r->hval);
	else if (!strcasecmp(name, "connection"))
		keep_header(&r->connection, &r->hval);
	else if (!strcasecmp(name, "sec-websocket-key"))
		keep_header(&r->ws_key, &r->hval);
	else if (!strcasecmp(name, "sec-websocket-version"))
		keep_header(&r->ws_version, &r->hval);
	else if (!strcasecmp(name, "expect") && r->hval.data && !strcasecmp(r->hval.data, "100-continue"))
		r->expect_continue = true;
	nm_buf_reset(&r->hname);
	nm_buf_reset(&r->hval);
}

int srv_req_head_done(srv_req_t *r, int method, const srv_config_t *cfg, bool has_length, uint64_t length)
{
	r->method = method;
	const char *url = r->url.data ? r->url.data : "";
	const char *q = memchr(url, '?', r->url.len);
	size_t plen = q ? (size_t)(q - url) : r->url.len;
	srv_route_match(method, url, plen, &r->match);
	unsigned flags = r->match.route ? r->match.route->flags : 0;
	r->body_limit = flags & SRV_R_IMPORT ? (srv_req_ndjson(r) ? cfg->max_ndjson : cfg->max_import)
	              : flags & SRV_R_BATCH ? cfg->max_batch : cfg->max_body;
	if (has_length && length > (uint64_t)r->body_limit) {
		r->error = 413;
		return -1;
	}
	return 0;
}

int srv_req_body_bytes(srv_req_t *r, size_t n)
{
	if ((int64_t)(r->body_bytes + n) > r->body_limit) {
		r->error = 413;
		return -1;
	}
	r->body_bytes += n;
	return 0;
}

char *srv_req_query_param(const srv_req_t *r, const char *name)
{
	const char *url = r->url.data ? r->url.data : "";
	const char *q = memchr(url, '?', r->url.len);
	if (!q)
		return NULL;
	srv_query_t qs;
	srv_query_parse(&qs, q + 1, r->url.len - (size_t)(q + 1 - url));
	char *v = nm_xstrdup(srv_query_get(&qs, name));
	srv_query_free(&qs);
	return v;
}

bool srv_req_ndjson(const srv_req_t *r)
{
	if (r->ctype && strncasecmp(r->ctype, "application/x-ndjson", 20) == 0)
		return true;
	char *f = srv_req_query_param(r, "format");
	bool nd = f && strcmp(f, "ndjson") == 0;
	free(f);
	return nd;
}
