/*
 * handlers/snapshot.c — GET /brain/{id}/export and POST /brain/{id}/import
 * (PROTOCOL.md §3.2, §6.4, §6.6). Both run on the long-job pool.
 *
 * Export streams: the worker opens one read transaction (a consistent
 * snapshot), answers 200 with a chunked body and writes the snapshot into
 * a pipe the connection drains (srv_job_stream, conn_stream.c), so the
 * daemon's memory stays flat however big the brain is. A failure after the
 * head is sent can only end the stream early; a JSON consumer then sees
 * invalid JSON and an NDJSON one a missing "end" line.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "isotime.h"
#include "snapshot.h"

#define NDJSON_TYPE "application/x-ndjson"

/* Does an Accept header ask for NDJSON (and not JSON first)? */
static bool wants_ndjson(const char *accept)
{
	return accept && strstr(accept, NDJSON_TYPE) && !strstr(accept, "application/json");
}

static int pipe_sink(void *arg, const char *p, size_t n)
{
	return srv_pipe_write(arg, p, n) < 0 ? 1 : 0;
}

void srv_h_brain_export(srv_job_t *job)
{
	nm_err_t err = {0};
	nm_export_opts_t o = {.exported_at = nm_time_now()};
	const char *format = srv_query_get(&job->query, "format");
	if (format && strcmp(format, "ndjson") == 0) {
		o.ndjson = true;
	} else if (format && strcmp(format, "json") != 0) {
		srv_job_error(job, 400, "format: unknown value '%.*s'; allowed: json, ndjson", NM_ERR_STR(format, 60));
		goto done;
	} else if (!format) {
		o.ndjson = wants_ndjson(job->accept);
	}
	if (srv_q_bool(job, "exclude_sensitive", &o.exclude_sensitive) < 0)
		goto done;
	const char *ctype = o.ndjson ? NDJSON_TYPE : "application/json";
	if (job->head) { /* the GET's head: chunked, no body */
		job->status = 200;
		job->content_type = ctype;
		job->chunked_head = true;
		goto done;
	}
	nm_tx_t *tx;
	if (nm_brain_read_begin(job->brain, &tx, &err) < 0) {
		srv_job_errfrom(job, &err);
		goto done;
	}
	nm_tx_bulk(tx);
	nm_brain_t *b = nm_brain_acquire(job->brain);
	nm_brain_rec_t rec;
	nm_brain_rec_get(b, &rec);
	srv_pipe_t *p = srv_job_stream(job, ctype); /* job is gone from here on */
	nm_jw_t w;
	nm_jw_init(&w);
	w.sink = pipe_sink;
	w.sink_arg = p;
	int rc = nm_snapshot_export(tx, &rec, &o, &w, &err);
	if (rc == 0)
		rc = nm_jw_flush(&w) ? -1 : 0;
	srv_pipe_close(p, rc == 0);
	srv_pipe_release(p);
	if (rc < 0)
		srv_log("export of brain %s ended early: %s", rec.id, err.status ? err.detail : "client gone");
	nm_jw_free(&w);
	nm_brain_read_end(tx);
	nm_brain_rec_clear(&rec);
	nm_brain_release(b);
	return;
done:
	srv_job_finish(job);
}

/* ---- import ---- */

typedef struct import_run {
	srv_job_t *job;
	nm_import_opts_t o;
	nm_import_result_t res;
} import_run_t;

static ssize_t body_read(void *arg, char *buf, size_t cap, nm_err_t *err)
{
	ssize_t n = srv_pipe_read(arg, buf, cap);
	return n >= 0 ? n : nm_err_set(err, NM_ST_BAD_REQUEST, "request body incomplete");
}

static void import_progress(void *arg, int64_t elements)
{
	srv_log("import into brain %s: %lld elements so far", nm_brain_id(arg), (long long)elements);
}

static int import_apply(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	import_run_t *r = arg;
	return nm_snapshot_import(tx, (nm_reader_t){body_read, r->job->in}, &r->o, &r->res, err);
}

/* The brain to import into when the path names none yet: created now
 * (named after its id until the snapshot's name is known), deleted again
 * if the import fails. */
static int import_target(srv_job_t *job, bool *created)
{
	nm_brain_rec_t rec = {0};
	nm_err_t err = {0};
	rec.id = nm_xstrdup(job->params[0]);
	rec.name = nm_xstrdup(job->params[0]);
	rec.config = nm_config_default;
	rec.owner_id = nm_xstrdup(job->principal);
	int rc = nm_store_brain_create(job->ctx->store, &rec, &job->brain, &err);
	nm_brain_rec_clear(&rec);
	if (rc == -NM_ST_CONFLICT) /* created meanwhile: import into it */
		job->brain = nm_store_brain_lookup(job->ctx->store, job->params[0], NULL);
	else if (rc < 0)
		return srv_job_errfrom(job, &err);
	*created = rc == 0;
	if (!job->brain)
		return srv_job_error(job, 404, "Brain %.255s not found", job->params[0]);
	if (rc == -NM_ST_CONFLICT && job->auth_on && !nm_brain_can(job->brain, job->principal, job->admin, true))
		return srv_job_error(job, 403, "Access to brain %.255s denied", job->params[0]);
	return 0;
}

void srv_h_brain_import(srv_job_t *job)
{
	nm_err_t err = {0};
	import_run_t r = {.job = job};
	const char *format = srv_query_get(&job->query, "format");
	if (format && strcmp(format, "json") != 0 && strcmp(format, "ndjson") != 0) {
		srv_job_error(job, 400, "format: unknown value '%.*s'; allowed: json, ndjson", NM_ERR_STR(format, 60));
		goto done;
	}
	r.o.ndjson = format ? strcmp(format, "ndjson") == 0
	                    : job->content_type_in && strncasecmp(job->content_type_in, NDJSON_TYPE, 20) == 0;
	srv_decode_opts(job, NM_DECODE_CREATE, &r.o.decode);
	r.o.max_value = (size_t)job->ctx->cfg.max_body;
	r.o.max_depth = job->ctx->cfg.max_json_depth;
	r.o.progress = import_progress;
	bool created = false;
	if (!job->brain && import_target(job, &created) < 0)
		goto done;
	r.o.progress_arg = job->brain;
	if (nm_brain_write_own(job->brain, import_apply, &r, &err) < 0) {
		srv_job_errfrom(job, &err);
		if (created)
			nm_brain_delete(job->brain, NULL);
	} else if (nm_brain_update(job->brain, nm_import_take_name_config, &r.res, &err) < 0) {
		srv_job_errfrom(job, &err);
	} else {
		srv_job_put_brain(job, 200, job->brain);
	}
done:
	nm_import_result_clear(&r.res);
	srv_pipe_cancel(job->in, false); /* whatever is still coming is not wanted */
	srv_job_finish(job);
}
