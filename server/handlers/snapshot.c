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
	if (job->head) {
		job->status = 200;
		job->content_type = ctype;
		goto done;
	}
	nm_tx_t *tx;
	if (nm_brain_read_begin(job->brain, &tx, &err) < 0) {
		srv_job_errfrom(job, &err);
		goto done;
	}
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

static int take_name_config(nm_brain_rec_t *rec, void *arg, nm_err_t *err)
{
	const nm_snapshot_t *s = arg;
	free(rec->name);
	rec->name = nm_xstrdup(nm_snapshot_name(s));
	rec->config = *nm_snapshot_config(s);
	return 0;
}

/* After the write: on success name and config come from the snapshot; on
 * failure a brain created for this import goes again (nothing imported). */
typedef struct import_state {
	nm_snapshot_t *snap;
	bool created;
} import_state_t;

static void import_state_free(void *p)
{
	import_state_t *is = p;
	nm_snapshot_free(is->snap);
	free(is);
}

static int import_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	const import_state_t *is = srv_write_job(w)->state;
	return nm_snapshot_apply(tx, is->snap, err);
}

static void import_done(nm_write_t *w)
{
	srv_job_t *job = srv_write_job(w);
	import_state_t *is = job->state;
	nm_err_t err = {0};
	if (w->err.status) {
		srv_job_errfrom(job, &w->err);
		if (is->created)
			nm_brain_delete(job->brain, NULL);
	} else if (nm_brain_update(job->brain, take_name_config, is->snap, &err) < 0) {
		srv_job_errfrom(job, &err);
	} else {
		srv_job_put_brain(job, 200, job->brain);
	}
	srv_job_finish(job);
}

/* A brain for the import to fill, when the path names none yet. Its
 * synapses can then only point into the snapshot: that is checked before
 * the brain exists. */
static int import_target(srv_job_t *job, const nm_snapshot_t *s, bool *created)
{
	nm_err_t cerr = {0};
	if (nm_snapshot_check_closed(s, &cerr) < 0)
		return srv_job_errfrom(job, &cerr);
	nm_brain_rec_t rec = {0};
	nm_err_t err = {0};
	rec.id = nm_xstrdup(job->params[0]);
	rec.name = nm_xstrdup(nm_snapshot_name(s));
	rec.config = *nm_snapshot_config(s);
	rec.owner_id = nm_xstrdup(job->principal);
	int rc = nm_store_brain_create(job->ctx->store, &rec, &job->brain, &err);
	nm_brain_rec_clear(&rec);
	if (rc == -NM_ST_CONFLICT) /* created meanwhile: import into it */
		job->brain = nm_store_brain_get(job->ctx->store, job->params[0]);
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
	nm_snapshot_t *s = NULL;
	json_t *body = srv_job_body(job);
	if (!body)
		goto fail;
	nm_decode_opts_t o;
	srv_decode_opts(job, NM_DECODE_CREATE, &o);
	int rc = nm_snapshot_decode(body, &o, &s, &err);
	json_decref(body);
	if (rc < 0) {
		srv_job_errfrom(job, &err);
		goto fail;
	}
	bool created = false;
	if (!job->brain && import_target(job, s, &created) < 0)
		goto fail;
	import_state_t *is = nm_xcalloc(1, sizeof *is);
	is->snap = s;
	is->created = created;
	job->state = is;
	job->state_free = import_state_free;
	job->write.apply = import_apply;
	job->write.done = import_done;
	nm_brain_write(job->brain, &job->write);
	return;
fail:
	nm_snapshot_free(s);
	srv_job_finish(job);
}
