/*
 * request.h — PRIVATE to server/: one HTTP request as llhttp's callbacks
 * assemble it — URL, the headers nmemd reads, body — and the checks made
 * while it arrives: head size (431), route and its body limit, body size
 * (413). No libuv: conn.c drives it for a connection, and the request
 * fuzz target (tests/fuzz/fuzz_request.c) drives the same code directly.
 */
#ifndef SRV_REQUEST_H
#define SRV_REQUEST_H

#include "internal.h"

/* The request being read or answered. */
typedef struct srv_req {
	nm_buf_t url;
	nm_buf_t hname, hval;         /* header being assembled */
	size_t head_bytes;            /* request line + headers so far */
	char *brain_id;               /* X-Brain-ID (NULL when absent) */
	char *authz;                  /* Authorization */
	char *origin;                 /* Origin */
	char *reqid_in;               /* X-Request-ID as sent */
	char *acr_method;             /* Access-Control-Request-Method */
	char *acr_headers;            /* Access-Control-Request-Headers */
	char *accept;
	char *ctype;                  /* Content-Type */
	char *upgrade, *connection;   /* Upgrade, Connection (WebSocket handshake) */
	char *ws_key, *ws_version;    /* Sec-WebSocket-Key, Sec-WebSocket-Version */
	bool expect_continue;
	nm_buf_t body;
	size_t body_bytes;             /* size of the body received (for metrics) */
	int64_t body_limit;
	srv_match_t match;            /* route, filled at headers complete */
	int method;
	uint64_t t0;                  /* the connection's clock (uv_hrtime) at the first byte */
	char reqid[48];
	int error;                    /* status to answer a broken request with, then close */
	bool streamed;                /* SRV_R_STREAM_IN: dispatched at the headers, body piped to the job */
	const char *route_name;       /* for metrics */
} srv_req_t;

/* Free everything and start an empty request (method -1: not parsed). */
void srv_req_reset(srv_req_t *r);
/* Append a span of the request line or a header to part (r->url, hname or
 * hval), counting it against max_head bytes: over it, error 431 and -1. */
int srv_req_head(srv_req_t *r, nm_buf_t *part, const char *at, size_t n, int64_t max_head);
/* A header is complete: keep it if nmemd reads it, reset hname/hval. */
void srv_req_header_done(srv_req_t *r);
/* The head is complete: match the route, set the body limit for it, and
 * refuse (413, -1) a declared Content-Length above the limit. */
int srv_req_head_done(srv_req_t *r, int method, const srv_config_t *cfg, bool has_length, uint64_t length);
/* n more body bytes arrived: over the limit, 413 and -1; else counted. */
int srv_req_body_bytes(srv_req_t *r, size_t n);
/* A query-string parameter of the URL, decoded (owned), or NULL. */
char *srv_req_query_param(const srv_req_t *r, const char *name);
/* Does the request ask for NDJSON (Content-Type or ?format=ndjson)? */
bool srv_req_ndjson(const srv_req_t *r);

#endif
