/*
 * fuzz_request.c — libFuzzer target for the request path: bytes from a
 * client through llhttp, the router, the query string and the JSON body
 * decoders, as far as a request gets before it touches storage.
 *
 * The input is the raw byte stream of one connection (several pipelined
 * requests allowed). conn.c's parser callbacks also drive libuv handles,
 * so this file has thin callbacks of its own over the same request
 * assembly (request.c: URL and header spans, the headers nmemd keeps,
 * head bytes against limits.max_header_bytes (431), the route and its body
 * limit at the end of the head, Content-Length and body bytes against it
 * (413)), pausing after each message and resuming where llhttp stopped (as
 * conn.c's feed/next_request do). Each complete request then goes through
 * what dispatch.c and the handlers do before storage: the path parameter
 * and X-Brain-ID checks (nm_id_valid), the query string (srv_query_parse,
 * srv_pct_decode, every srv_q_* reader the handlers use), and the body
 * (srv_job_body / srv_job_body_opt, then the decoder of lib/codec.h the
 * route's handler calls) — on a srv_job_t whose ctx holds the default
 * configuration, linked against the real server objects (no loop runs).
 *
 * Oracles besides the sanitizers:
 *   1. The stream is parsed twice, whole and in pieces of 1..7 bytes; both
 *      runs must see the same requests (method, URL, kept headers, body,
 *      route) and end the same way: span callbacks split anywhere.
 *   2. A neuron, synapse or fiber body that decodes (create mode) is
 *      written back with the codec writer; that text must be JSON that
 *      decodes again and writes back byte for byte the same.
 */
#include <llhttp.h>
#include <string.h>

#include "codec.h"
#include "fuzz.h"
#include "internal.h"
#include "mem.h"
#include "request.h"

typedef struct fz {
	srv_req_t r;        /* assembled by request.c, as for a connection */
	int requests;       /* complete requests seen */
	uint64_t digest;    /* what the requests were, for oracle 1 */
} fz_t;

static srv_ctx_t ctx;   /* cfg only: srv_job_body and srv_decode_opts read it */
static llhttp_settings_t settings;

static void mix(fz_t *f, const void *p, size_t n)
{
	uint64_t h = nm_hash64(p, n);
	f->digest = (f->digest ^ h) * 0x100000001b3ULL + n;
}

static void mix_str(fz_t *f, const char *s)
{
	mix(f, s ? s : "\x01(null)", s ? strlen(s) : 7);
}

/* ---- the handlers' work before storage ---- */

/* Every query reader the handlers call, on the job's query. */
static void query_params(srv_job_t *job)
{
	int64_t i;
	double d;
	bool b;
	int e;
	static const struct { const char *key; int64_t lo, hi; } ints[] = {
		{"limit", 1, 10000}, {"offset", 0, INT64_MAX}, {"depth", 1, 3}, {"max_hops", 1, 20},
	};
	for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
		srv_q_int(job, ints[k].key, ints[k].lo, ints[k].hi, &i);
	srv_q_num(job, "min_weight", &d);
	srv_q_num(job, "min_salience", &d);
	srv_q_bool(job, "descending", &b);
	srv_q_bool(job, "exclude_sensitive", &b);
	srv_q_enum(job, "type", &nm_enum_neuron_type, &e);
	srv_q_enum(job, "type", &nm_enum_synapse_type, &e);
	srv_q_enum(job, "direction", &nm_enum_nb_dir, &e);
	srv_q_enum(job, "order_by", &nm_enum_fiber_order, &e);
	int64_t t0, t1;
	srv_q_time_range(job, &t0, &t1);
	nm_strv_t l = {0};
	srv_q_list(job, "tags", &l);
	srv_q_list(job, "synapse_types", &l);
	nm_strv_clear(&l);
	srv_query_get(&job->query, "format");
	srv_query_get(&job->query, "token");
	nm_buf_reset(&job->out);
}

typedef int (*decode_fn)(const json_t *, const nm_decode_opts_t *, void *, unsigned *, nm_err_t *);
typedef void (*write_fn)(nm_jw_t *, const void *);

/* Oracle 2: decode(write(x)) succeeds and writes x's text again. */
static void round_trip(decode_fn decode, void (*clear)(void *), write_fn put, const void *x, size_t size,
                       const nm_decode_opts_t *o)
{
	nm_jw_t w1, w2;
	nm_jw_init(&w1);
	put(&w1, x);
	json_error_t je;
	json_t *v = json_loadb(w1.buf.data, w1.buf.len, JSON_ALLOW_NUL, &je);
	FZ_CHECK(v && json_is_object(v), "writer output is not a JSON object (%s): %.*s", je.text,
	         (int)(w1.buf.len > 2000 ? 2000 : w1.buf.len), w1.buf.data);
	void *y = nm_xcalloc(1, size);
	unsigned present;
	nm_err_t err = {0};
	int rc = decode(v, o, y, &present, &err);
	FZ_CHECK(rc == 0, "writer output does not decode again: %s: %.*s", err.detail,
	         (int)(w1.buf.len > 2000 ? 2000 : w1.buf.len), w1.buf.data);
	nm_jw_init(&w2);
	put(&w2, y);
	FZ_CHECK(w1.buf.len == w2.buf.len && memcmp(w1.buf.data, w2.buf.data, w1.buf.len) == 0,
	         "write/decode/write differs:\n%.*s\n%.*s", (int)w1.buf.len, w1.buf.data, (int)w2.buf.len,
	         w2.buf.data);
	clear(y);
	free(y);
	json_decref(v);
	nm_jw_free(&w1);
	nm_jw_free(&w2);
}

/* A model body (neuron, state, synapse, fiber) as srv_job_decode does it. */
static void model_body(srv_job_t *job, nm_decode_mode_t mode, decode_fn decode, void (*clear)(void *),
                       write_fn put, size_t size)
{
	json_t *body = srv_job_body(job);
	if (!body)
		return;
	nm_decode_opts_t o;
	srv_decode_opts(job, mode, &o);
	void *x = nm_xcalloc(1, size);
	unsigned present = 0;
	nm_err_t err = {0};
	int rc = decode(body, &o, x, &present, &err);
	FZ_CHECK(rc == 0 || (err.status >= 400 && err.status < 600 && rc == -err.status),
	         "decoder returned %d with status %d", rc, err.status);
	if (rc < 0)
		srv_job_errfrom(job, &err);
	else if (mode == NM_DECODE_PATCH && decode == (decode_fn)nm_fiber_decode)
		nm_fiber_check(x, "", &err);
	else if (mode == NM_DECODE_CREATE && put)
		round_trip(decode, clear, put, x, size, &o);
	clear(x);
	free(x);
	json_decref(body);
}

static void brain_body(srv_job_t *job, nm_decode_mode_t mode)
{
	json_t *body = srv_job_body(job);
	if (!body)
		return;
	nm_decode_opts_t o;
	srv_decode_opts(job, mode, &o);
	nm_brain_rec_t rec = {0};
	unsigned present;
	nm_err_t err = {0};
	if (nm_brain_decode(body, &o, &nm_config_default, &rec, &present, &err) == 0) {
		/* the config written back must decode to the same config */
		nm_jw_t w;
		nm_jw_init(&w);
		nm_jw_config(&w, &rec.config);
		json_t *v = json_loadb(w.buf.data, w.buf.len, 0, NULL);
		FZ_CHECK(v, "nm_jw_config wrote invalid JSON: %s", w.buf.data);
		nm_config_t c = nm_config_default;
		FZ_CHECK(nm_config_decode(v, "", &c, &err) == 0, "config does not decode again: %s", err.detail);
		FZ_CHECK(memcmp(&c, &rec.config, sizeof c) == 0, "config round trip differs: %s", w.buf.data);
		json_decref(v);
		nm_jw_free(&w);
	}
	nm_brain_rec_clear(&rec);
	json_decref(body);
}

static void engine_body(srv_job_t *job, bool query)
{
	json_t *body = srv_job_body(job);
	if (!body)
		return;
	nm_decode_opts_t o;
	srv_decode_opts(job, NM_DECODE_CREATE, &o);
	nm_err_t err = {0};
	if (query) {
		nm_query_req_t q = {0};
		nm_query_req_decode(body, &o, &q, &err);
		nm_query_req_clear(&q);
	} else {
		nm_encode_req_t e = {0};
		nm_encode_req_decode(body, &o, &e, &err);
		nm_encode_req_clear(&e);
	}
	json_decref(body);
}

/* POST /memory/encode/batch: {"memories": [...]} as srv_h_encode_batch. */
static void batch_body(srv_job_t *job)
{
	json_t *body = srv_job_body(job);
	if (!body)
		return;
	const json_t *mem = json_object_get(body, "memories");
	for (size_t i = 0; json_is_array(mem) && i < json_array_size(mem) && i < 1000; i++) {
		char prefix[48];
		snprintf(prefix, sizeof prefix, "memories[%zu].", i);
		nm_decode_opts_t o;
		srv_decode_opts(job, NM_DECODE_CREATE, &o);
		o.prefix = prefix;
		const json_t *item = json_array_get(mem, i);
		if (!json_is_object(item))
			break;
		nm_encode_req_t e = {0};
		nm_err_t err = {0};
		int rc = nm_encode_req_decode(item, &o, &e, &err);
		nm_encode_req_clear(&e);
		if (rc < 0)
			break;
	}
	json_decref(body);
}

static void lifecycle_body(srv_job_t *job, const char *tmpl)
{
	json_t *body = srv_job_body_opt(job);
	if (!body)
		return;
	nm_err_t err = {0};
	if (strstr(tmpl, "/decay")) {
		nm_decay_req_t q;
		nm_decay_req_decode(body, &q, &err);
	} else if (strstr(tmpl, "/backup")) {
		char *name = NULL;
		if (nm_backup_req_decode(body, &name, &err) == 0 && name)
			FZ_CHECK(!strchr(name, '/') && strcmp(name, ".") && strcmp(name, ".."), "backup name %s", name);
		free(name);
	} else if (strstr(tmpl, "/restore")) {
		nm_restore_req_t q = {0};
		nm_restore_req_decode(body, &q, &err);
		nm_strv_clear(&q.fiber_ids);
	} else if (strstr(tmpl, "/archive")) {
		nm_archive_req_t q;
		nm_archive_req_decode(body, &q, &err);
	}
	json_decref(body);
}

#define DEC(f) ((decode_fn)(f))
#define CLR(f) ((void (*)(void *))(f))
#define PUT(f) ((write_fn)(f))

/* The body decoder of the route's handler. */
static void body(srv_job_t *job, int method, const char *t)
{
	bool post = method == HTTP_POST, put = method == HTTP_PUT;
	nm_decode_mode_t mode = post ? NM_DECODE_CREATE : NM_DECODE_PATCH;
	if (!strcmp(t, "/brain/create") && post)
		brain_body(job, NM_DECODE_CREATE);
	else if (!strcmp(t, "/brain/{brain_id}") && put)
		brain_body(job, NM_DECODE_PATCH);
	else if (!strncmp(t, "/brain/{brain_id}/", 18) && post && !strstr(t, "/import"))
		lifecycle_body(job, t);
	else if (!strcmp(t, "/memory/encode"))
		engine_body(job, false);
	else if (!strcmp(t, "/memory/encode/batch"))
		batch_body(job);
	else if (!strcmp(t, "/memory/query"))
		engine_body(job, true);
	else if (!strcmp(t, "/memory/neurons/{neuron_id}/state") && put)
		model_body(job, NM_DECODE_PATCH, DEC(nm_state_decode), CLR(nm_state_clear), NULL, sizeof(nm_state_t));
	else if (!strncmp(t, "/memory/neurons", 15) && (post || put))
		model_body(job, mode, DEC(nm_neuron_decode), CLR(nm_neuron_clear), PUT(nm_jw_neuron), sizeof(nm_neuron_t));
	else if (!strncmp(t, "/memory/synapses", 16) && (post || put))
		model_body(job, mode, DEC(nm_synapse_decode), CLR(nm_synapse_clear), PUT(nm_jw_synapse),
		           sizeof(nm_synapse_t));
	else if (!strncmp(t, "/memory/fibers", 14) && (post || put))
		model_body(job, mode, DEC(nm_fiber_decode), CLR(nm_fiber_clear), PUT(nm_jw_fiber), sizeof(nm_fiber_t));
}

/* A complete request: dispatch.c's checks, then the handler's parsing. */
static void handle(fz_t *f, int method)
{
	srv_req_t *r = &f->r;
	const char *url = r->url.data ? r->url.data : "";
	mix(f, &method, sizeof method);
	mix(f, url, r->url.len);
	mix(f, r->body.data ? r->body.data : "", r->body.len);
	mix_str(f, r->brain_id);
	mix_str(f, r->ctype);
	mix_str(f, r->authz);
	mix_str(f, r->accept);
	mix_str(f, r->origin);
	mix_str(f, r->reqid_in);
	mix_str(f, r->upgrade);
	mix_str(f, r->connection);
	mix(f, &r->expect_continue, sizeof r->expect_continue);
	const srv_route_t *rt = r->match.route;
	mix_str(f, rt ? rt->tmpl : NULL);
	f->requests++;

	const char *q = memchr(url, '?', r->url.len);
	size_t plen = q ? (size_t)(q - url) : r->url.len;
	/* the access log and the 404 path decode the path too */
	bool ok;
	size_t n;
	free(srv_pct_decode(url, plen, false, &n, &ok));
	if (!rt)
		return;
	for (int i = 0; i < r->match.nparams; i++)
		nm_id_valid(r->match.params[i], strlen(r->match.params[i]));
	if (r->brain_id)
		nm_id_valid(r->brain_id, strlen(r->brain_id));
	srv_job_t job = {.ctx = &ctx, .route = rt};
	if (q)
		srv_query_parse(&job.query, q + 1, r->url.len - (size_t)(q + 1 - url));
	if (!job.query.bad_encoding) {
		query_params(&job);
		if (!(rt->flags & SRV_R_STREAM_IN)) {
			job.body = r->body.data;
			job.body_len = r->body.len;
			body(&job, rt->method, rt->tmpl);
		}
	}
	free(job.state);
	srv_query_free(&job.query);
	nm_buf_free(&job.out);
}

/* ---- llhttp callbacks: conn.c's, without the connection (its timers,
 * states, streaming and dispatch), over the same request.c ---- */

static int on_message_begin(llhttp_t *p)
{
	fz_t *f = p->data;
	srv_req_reset(&f->r);
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	fz_t *f = p->data;
	return srv_req_head(&f->r, &f->r.url, at, n, ctx.cfg.max_header);
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	fz_t *f = p->data;
	return srv_req_head(&f->r, &f->r.hname, at, n, ctx.cfg.max_header);
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	fz_t *f = p->data;
	return srv_req_head(&f->r, &f->r.hval, at, n, ctx.cfg.max_header);
}

static int on_header_value_complete(llhttp_t *p)
{
	srv_req_header_done(&((fz_t *)p->data)->r);
	return 0;
}

static int on_headers_complete(llhttp_t *p)
{
	fz_t *f = p->data;
	return srv_req_head_done(&f->r, llhttp_get_method(p), &ctx.cfg, p->flags & F_CONTENT_LENGTH, p->content_length);
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	fz_t *f = p->data;
	if (srv_req_body_bytes(&f->r, n) < 0)
		return -1;
	nm_buf_append(&f->r.body, at, n);
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	fz_t *f = p->data;
	handle(f, llhttp_get_method(p));
	llhttp_should_keep_alive(p);
	return HPE_PAUSED;
}

/* Parse the stream in pieces of `piece` bytes (0: whole), resuming after
 * each message as conn.c does. Returns the final llhttp error. */
static llhttp_errno_t parse(fz_t *f, const char *data, size_t len, size_t piece)
{
	llhttp_t p;
	llhttp_init(&p, HTTP_REQUEST, &settings);
	p.data = f;
	llhttp_errno_t e = HPE_OK;
	size_t off = 0;
	while (off < len) {
		size_t n = piece && len - off > piece ? piece : len - off;
		e = llhttp_execute(&p, data + off, n);
		if (e == HPE_PAUSED) {
			const char *pos = llhttp_get_error_pos(&p);
			size_t used = pos ? (size_t)(pos - (data + off)) : n;
			FZ_CHECK(used <= n, "llhttp paused %zu bytes into a %zu-byte piece", used, n);
			llhttp_resume(&p);
			off += used;
			e = HPE_OK;
			continue;
		}
		if (e != HPE_OK)
			break; /* HPE_PAUSED_UPGRADE: the rest is WebSocket frames; else a 400/413/431 */
		off += n;
	}
	int error = f->r.error;
	srv_req_reset(&f->r);
	mix(f, &error, sizeof error);
	return e;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	srv_config_defaults(&ctx.cfg);
	json_object_seed(1);
	llhttp_settings_init(&settings);
	settings.on_message_begin = on_message_begin;
	settings.on_url = on_url;
	settings.on_header_field = on_header_field;
	settings.on_header_value = on_header_value;
	settings.on_header_value_complete = on_header_value_complete;
	settings.on_headers_complete = on_headers_complete;
	settings.on_body = on_body;
	settings.on_message_complete = on_message_complete;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_t whole = {0}, pieces = {0};
	llhttp_errno_t e1 = parse(&whole, (const char *)data, size, 0);
	/* 1..7 bytes a piece, chosen by the input so a corpus replays alike */
	size_t piece = 1 + (size ? data[size / 2] % 7 : 0);
	llhttp_errno_t e2 = parse(&pieces, (const char *)data, size, piece);
	FZ_CHECK(e1 == e2 && whole.requests == pieces.requests && whole.digest == pieces.digest,
	         "whole: %s, %d request(s); in %zu-byte pieces: %s, %d request(s)%s", llhttp_errno_name(e1),
	         whole.requests, piece, llhttp_errno_name(e2), pieces.requests,
	         whole.digest != pieces.digest ? "; the requests differ" : "");
	return 0;
}
