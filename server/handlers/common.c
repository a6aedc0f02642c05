/*
 * handlers/common.c — what every handler shares: the request body as
 * JSON, query-parameter readers with the protocol's error rules
 * (PROTOCOL.md §1.3, §1.7), decode options, and writes through the brain's
 * group-commit writer. Runs on workers.
 */
#include "internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"

/* Deepest [ / { nesting of a JSON text, ignoring brackets in strings;
 * stops counting once past limit. */
static int json_depth(const char *s, size_t n, int limit)
{
	int depth = 0, max = 0;
	bool in_str = false;
	for (size_t i = 0; i < n && max <= limit; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return max;
}

json_t *srv_job_body(srv_job_t *job)
{
	int limit = job->ctx->cfg.max_json_depth;
	if (!job->body_len) {
		srv_job_error(job, 422, "body: a JSON object is required");
		return NULL;
	}
	if (json_depth(job->body, job->body_len, limit) > limit) {
		srv_job_error(job, 422, "body: JSON nested deeper than %d levels", limit);
		return NULL;
	}
	json_error_t je;
	json_t *v = json_loadb(job->body, job->body_len, JSON_ALLOW_NUL, &je);
	if (!v) {
		srv_job_error(job, 422, "body: invalid JSON: %s (line %d, column %d)", je.text, je.line, je.column);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		srv_job_error(job, 422, "body: must be a JSON object");
		return NULL;
	}
	return v;
}

srv_pipe_t *srv_job_stream(srv_job_t *job, const char *content_type)
{
	srv_pipe_t *p = srv_pipe_new(job->ctx, 1u << 20);
	job->pipe = p;
	job->status = 200;
	job->content_type = content_type;
	srv_job_finish(job);
	return p;
}

json_t *srv_job_body_opt(srv_job_t *job)
{
	return job->body_len ? srv_job_body(job) : json_object();
}

void srv_job_engine(srv_job_t *job, nm_engine_t *eng)
{
	nm_brain_rec_t rec;
	nm_brain_rec_get(job->brain, &rec);
	eng->config = rec.config;
	eng->mode = rec.config.engine_mode >= 0 ? (nm_engine_mode_t)rec.config.engine_mode : job->ctx->engine_mode;
	eng->env = &job->ctx->engine_env;
	nm_brain_rec_clear(&rec);
}

void srv_decode_opts(srv_job_t *job, nm_decode_mode_t mode, nm_decode_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->mode = mode;
	o->prefix = "";
	o->max_content_bytes = (size_t)job->ctx->cfg.max_content;
	o->now = nm_time_now();
}

/* ---- query parameters ---- */

int srv_q_int(srv_job_t *job, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	const char *v = srv_query_get(&job->query, key);
	if (!v)
		return 0;
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end || !isfinite(d) || d != floor(d) || fabs(d) > 9e18)
		return srv_job_error(job, 422, "%s: must be an integer", key);
	if (d < (double)lo || d > (double)hi)
		return srv_job_error(job, 422, "%s: must be between %lld and %lld", key, (long long)lo, (long long)hi);
	*out = (int64_t)d;
	return 1;
}

int srv_q_num(srv_job_t *job, const char *key, double *out)
{
	const char *v = srv_query_get(&job->query, key);
	if (!v)
		return 0;
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end || !isfinite(d))
		return srv_job_error(job, 422, "%s: must be a finite number", key);
	*out = d;
	return 1;
}

int srv_q_bool(srv_job_t *job, const char *key, bool *out)
{
	const char *v = srv_query_get(&job->query, key);
	if (!v)
		return 0;
	if (!strcasecmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return srv_job_error(job, 422, "%s: must be true or false", key);
	return 1;
}

int srv_q_enum(srv_job_t *job, const char *key, const nm_enum_t *e, int *out)
{
	const char *v = srv_query_get(&job->query, key);
	if (!v)
		return 0;
	int x = nm_enum_parse(e, v, strlen(v));
	if (x < 0)
		return srv_job_error(job, 400, "%s: unknown value '%.*s'; allowed: %s", key, NM_ERR_STR(v, 60),
		                     nm_enum_allowed(e));
	*out = x;
	return 1;
}

int srv_q_time(srv_job_t *job, const char *key, int64_t *out)
{
	const char *v = srv_query_get(&job->query, key);
	if (!v)
		return 0;
	if (nm_time_parse(v, strlen(v), out))
		return srv_job_error(job, 422, "%s: invalid datetime (expected ISO 8601, e.g. 2026-01-02T03:04:05)", key);
	return 1;
}

int srv_q_time_range(srv_job_t *job, int64_t *start, int64_t *end)
{
	*start = *end = NM_TIME_NONE;
	int a = srv_q_time(job, "time_start", start);
	if (a < 0)
		return a;
	int b = srv_q_time(job, "time_end", end);
	if (b < 0)
		return b;
	if (a != b)
		return srv_job_error(job, 422, "%s: time_start and time_end must be given together",
		                     a ? "time_end" : "time_start");
	return a;
}

void srv_q_list(srv_job_t *job, const char *key, nm_strv_t *out)
{
	const char *v = srv_query_get(&job->query, key);
	while (v && *v) {
		const char *comma = strchr(v, ',');
		size_t n = comma ? (size_t)(comma - v) : strlen(v);
		if (n) {
			char *item = nm_xstrndup(v, n);
			nm_strv_add(out, item);
			free(item);
		}
		v = comma ? comma + 1 : NULL;
	}
}

/* ---- writes ---- */

srv_job_t *srv_write_job(nm_write_t *w)
{
	return (srv_job_t *)((char *)w - offsetof(srv_job_t, write));
}

static void write_done(nm_write_t *w)
{
	srv_job_t *job = srv_write_job(w);
	if (w->err.status)
		srv_job_errfrom(job, &w->err);
	else if (job->after)
		job->after(job);
	srv_job_finish(job);
}

void srv_job_write(srv_job_t *job, int (*apply)(nm_tx_t *tx, nm_write_t *w, nm_err_t *err),
                   void (*after)(srv_job_t *job))
{
	job->after = after;
	job->write.apply = apply;
	job->write.done = write_done;
	nm_brain_write(job->brain, &job->write);
}

/* ---- reads and common answers ---- */

void srv_job_read(srv_job_t *job, int (*fn)(srv_job_t *job, nm_tx_t *tx, nm_err_t *err))
{
	nm_err_t err = {0};
	nm_tx_t *tx;
	int rc = nm_brain_read_begin(job->brain, &tx, &err);
	if (rc == 0) {
		rc = fn(job, tx, &err);
		nm_brain_read_end(tx);
	}
	if (rc < 0)
		srv_job_errfrom(job, &err);
	srv_job_finish(job);
}

void srv_job_deleted(srv_job_t *job, const char *key, const char *id)
{
	nm_jw_t w;
	srv_job_json(job, 200, &w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "status");
	nm_jw_str(&w, "deleted");
	nm_jw_key(&w, key);
	nm_jw_str(&w, id);
	nm_jw_obj_end(&w);
	srv_job_json_done(job, &w);
}

/* A list answer {"<key>": [ ... ], "count": n}: open, then close. */
void srv_list_open(srv_job_t *job, nm_jw_t *w, const char *key)
{
	srv_job_json(job, 200, w);
	nm_jw_obj(w);
	nm_jw_key(w, key);
	nm_jw_arr(w);
}

void srv_list_close(srv_job_t *job, nm_jw_t *w, const char *count_key, int64_t count)
{
	nm_jw_arr_end(w);
	nm_jw_key(w, count_key);
	nm_jw_int(w, count);
	nm_jw_obj_end(w);
	srv_job_json_done(job, w);
}

/* Decode the body into job->state with decode(); answers on failure.
 * Returns 0 when the state is ready. */
int srv_job_decode(srv_job_t *job, nm_decode_mode_t mode, size_t size,
                   int (*decode)(const json_t *, const nm_decode_opts_t *, void *, unsigned *, nm_err_t *),
                   void (*clear)(void *), unsigned *present)
{
	json_t *body = srv_job_body(job);
	if (!body)
		return -1;
	nm_decode_opts_t o;
	srv_decode_opts(job, mode, &o);
	nm_err_t err = {0};
	job->state = nm_xcalloc(1, size);
	job->state_clear = clear;
	int rc = decode(body, &o, job->state, present, &err);
	json_decref(body);
	if (rc < 0)
		srv_job_errfrom(job, &err);
	return rc;
}
