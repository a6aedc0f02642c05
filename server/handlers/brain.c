/*
 * handlers/brain.c — brains: create, get, update, delete, stats and list
 * (PROTOCOL.md §3.2; export and import are handlers/snapshot.c). Runs on
 * workers. Brain records live in the store's registry and catalog; their
 * contents are reached through transactions.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "lifecycle.h"
#include "uuid.h"

void srv_job_put_brain(srv_job_t *job, int status, nm_brain_t *b)
{
	nm_err_t err = {0};
	nm_stats_t st;
	if (nm_brain_stats(b, &st, &err) < 0) {
		srv_job_errfrom(job, &err);
		return;
	}
	nm_brain_rec_t rec;
	nm_brain_rec_get(b, &rec);
	nm_jw_t w;
	srv_job_json(job, status, &w);
	nm_jw_brain(&w, &rec, &st);
	srv_job_json_done(job, &w);
	nm_brain_rec_clear(&rec);
}

/* The id rule of PROTOCOL.md §3.2: body id → X-Brain-ID naming no brain
 * → a new UUID. */
static void choose_id(srv_job_t *job, nm_brain_rec_t *rec)
{
	if (rec->id)
		return;
	const char *h = job->brain_header;
	if (h && nm_id_valid(h, strlen(h))) {
		nm_brain_t *existing = nm_store_brain_get(job->ctx->store, h);
		nm_brain_release(existing);
		if (!existing) {
			rec->id = nm_xstrdup(h);
			return;
		}
	}
	char u[NM_UUID_BUFSZ];
	rec->id = nm_xstrdup(nm_uuid4(u));
}

/* With auth on the owner defaults to the caller; only an admin may give a
 * brain to someone else. */
static int check_owner(srv_job_t *job, nm_brain_rec_t *rec, unsigned present)
{
	if (!job->auth_on)
		return 0;
	if (!(present & NM_FB_OWNER) || !rec->owner_id) {
		free(rec->owner_id);
		rec->owner_id = nm_xstrdup(job->principal);
		return 0;
	}
	if (!job->admin && strcmp(rec->owner_id, job->principal) != 0)
		return srv_job_error(job, 403, "owner_id: only an admin may create a brain owned by another principal");
	return 0;
}

void srv_h_brain_create(srv_job_t *job)
{
	nm_brain_rec_t rec = {0};
	nm_err_t err = {0};
	json_t *body = srv_job_body(job);
	if (!body)
		goto done;
	nm_decode_opts_t o;
	srv_decode_opts(job, NM_DECODE_CREATE, &o);
	unsigned present;
	if (nm_brain_decode(body, &o, &nm_config_default, &rec, &present, &err) < 0) {
		srv_job_errfrom(job, &err);
		goto done;
	}
	choose_id(job, &rec);
	if (strcmp(rec.id, "create") == 0) {
		srv_job_error(job, 422, "id: 'create' is reserved");
		goto done;
	}
	if (check_owner(job, &rec, present) < 0)
		goto done;
	nm_brain_t *b;
	if (nm_store_brain_create(job->ctx->store, &rec, &b, &err) < 0) {
		srv_job_errfrom(job, &err);
		goto done;
	}
	srv_job_put_brain(job, 200, b);
	nm_brain_release(b);
done:
	json_decref(body);
	nm_brain_rec_clear(&rec);
	srv_job_finish(job);
}

void srv_h_brain_get(srv_job_t *job)
{
	srv_job_put_brain(job, 200, job->brain);
	srv_job_finish(job);
}

/* PUT: a partial update decoded against the current record, under the
 * store's record lock (nm_brain_update), so concurrent updates compose. */
typedef struct update_arg {
	srv_job_t *job;
	json_t *body;
} update_arg_t;

static int edit_brain(nm_brain_rec_t *rec, void *arg, nm_err_t *err)
{
	update_arg_t *u = arg;
	nm_decode_opts_t o;
	srv_decode_opts(u->job, NM_DECODE_PATCH, &o);
	nm_brain_rec_t patch = {0};
	unsigned present;
	int rc = nm_brain_decode(u->body, &o, &rec->config, &patch, &present, err);
	if (rc == 0 && (present & NM_FB_ID) && strcmp(patch.id, rec->id) != 0)
		rc = nm_err_set(err, NM_ST_INVALID, "id: must match the brain in the path");
	if (rc == 0) {
		if (present & NM_FB_NAME)
			free(rec->name), rec->name = patch.name, patch.name = NULL;
		if (present & NM_FB_OWNER)
			free(rec->owner_id), rec->owner_id = patch.owner_id, patch.owner_id = NULL;
		if (present & NM_FB_PUBLIC)
			rec->is_public = patch.is_public;
		if (present & NM_FB_SHARED)
			nm_strv_clear(&rec->shared_with), rec->shared_with = patch.shared_with, patch.shared_with = (nm_strv_t){0};
		if (present & NM_FB_CONFIG)
			rec->config = patch.config;
		if (present & NM_FB_METADATA)
			free(rec->metadata), rec->metadata = patch.metadata, patch.metadata = NULL;
	}
	nm_brain_rec_clear(&patch);
	return rc;
}

void srv_h_brain_update(srv_job_t *job)
{
	update_arg_t u = {job, srv_job_body(job)};
	nm_err_t err = {0};
	if (u.body) {
		if (nm_brain_update(job->brain, edit_brain, &u, &err) < 0)
			srv_job_errfrom(job, &err);
		else
			srv_job_put_brain(job, 200, job->brain);
	}
	json_decref(u.body);
	srv_job_finish(job);
}

void srv_h_brain_delete(srv_job_t *job)
{
	nm_err_t err = {0};
	if (nm_brain_delete(job->brain, &err) < 0) {
		srv_job_errfrom(job, &err);
	} else {
		nm_jw_t w;
		srv_job_json(job, 200, &w);
		nm_jw_obj(&w);
		nm_jw_key(&w, "status");
		nm_jw_str(&w, "deleted");
		nm_jw_key(&w, "brain_id");
		nm_jw_str(&w, nm_brain_id(job->brain));
		nm_jw_obj_end(&w);
		srv_job_json_done(job, &w);
	}
	srv_job_finish(job);
}

/* Stats (§2.7) with nmemd's additions, from one read transaction. */
static int write_stats(srv_job_t *job, nm_tx_t *tx, nm_err_t *err)
{
	nm_stats_t st;
	int64_t types[NM_MEM__COUNT], now = nm_time_now(), day = 86400 * NM_USEC_PER_SEC;
	int64_t since[4] = {now - day, now - 7 * day, now - 30 * day, NM_TIME_MIN}, ages[4];
	int rc = nm_tx_stats(tx, &st, err);
	if (rc == 0)
		rc = nm_tx_typed_memory_counts(tx, types, err);
	if (rc == 0)
		rc = nm_tx_fiber_counts_since(tx, since, ages, 4, err);
	nm_archive_counts_t ac = {0};
	if (rc == 0)
		rc = nm_archive_counts(tx, &ac, err);
	if (rc < 0)
		return rc;
	nm_jw_t w;
	srv_job_json(job, 200, &w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "brain_id");
	nm_jw_str(&w, nm_brain_id(job->brain));
	const char *names[] = {"neuron_count", "synapse_count", "fiber_count", "project_count"};
	int64_t vals[] = {st.neurons, st.synapses, st.fibers, st.projects};
	for (int i = 0; i < 4; i++) {
		nm_jw_key(&w, names[i]);
		nm_jw_int(&w, vals[i]);
	}
	nm_jw_key(&w, "memory_types");
	nm_jw_obj(&w);
	for (int i = 0; i < NM_MEM__COUNT; i++)
		if (types[i]) {
			nm_jw_key(&w, nm_enum_memory_type.names[i]);
			nm_jw_int(&w, types[i]);
		}
	nm_jw_obj_end(&w);
	nm_jw_key(&w, "freshness");
	nm_jw_obj(&w);
	const char *bands[] = {"fresh", "recent", "aging", "stale"};
	for (int i = 0; i < 4; i++) {
		nm_jw_key(&w, bands[i]);
		nm_jw_int(&w, ages[i] - (i ? ages[i - 1] : 0));
	}
	nm_jw_obj_end(&w);
	const char *archived[] = {"archived_fiber_count", "archived_neuron_count", "archived_synapse_count"};
	int64_t arch[] = {ac.fibers, ac.neurons, ac.synapses};
	for (int i = 0; i < 3; i++) {
		nm_jw_key(&w, archived[i]);
		nm_jw_int(&w, arch[i]);
	}
	nm_jw_key(&w, "db_size_bytes");
	nm_jw_int(&w, nm_tx_size_bytes(tx));
	nm_jw_obj_end(&w);
	srv_job_json_done(job, &w);
	return 0;
}

void srv_h_brain_stats(srv_job_t *job)
{
	nm_err_t err = {0};
	nm_tx_t *tx;
	int rc = nm_brain_read_begin(job->brain, &tx, &err);
	if (rc == 0) {
		rc = write_stats(job, tx, &err);
		nm_brain_read_end(tx);
	}
	if (rc < 0)
		srv_job_errfrom(job, &err);
	srv_job_finish(job);
}

/* GET /brains: readable brains in creation order, a page of them. */
typedef struct list_arg {
	srv_job_t *job;
	nm_jw_t *w;
	int64_t offset, limit, total;
	int rc;
	nm_err_t err;
} list_arg_t;

static int list_one(void *arg, nm_brain_t *b)
{
	list_arg_t *a = arg;
	srv_job_t *job = a->job;
	if (job->auth_on && !nm_brain_can(b, job->principal, job->admin, false))
		return 0;
	int64_t i = a->total++;
	if (i < a->offset || i >= a->offset + a->limit || a->rc)
		return 0;
	nm_stats_t st;
	if ((a->rc = nm_brain_stats(b, &st, &a->err)) < 0)
		return 0;
	nm_brain_rec_t rec;
	nm_brain_rec_get(b, &rec);
	nm_jw_brain(a->w, &rec, &st);
	nm_brain_rec_clear(&rec);
	return 0;
}

void srv_h_brain_list(srv_job_t *job)
{
	list_arg_t a = {.job = job, .limit = 100};
	if (srv_q_int(job, "limit", 1, 1000, &a.limit) < 0 || srv_q_int(job, "offset", 0, INT64_MAX, &a.offset) < 0)
		goto done;
	nm_jw_t w;
	a.w = &w;
	srv_job_json(job, 200, &w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "brains");
	nm_jw_arr(&w);
	nm_store_brain_each(job->ctx->store, list_one, &a);
	nm_jw_arr_end(&w);
	nm_jw_key(&w, "total");
	nm_jw_int(&w, a.total);
	nm_jw_obj_end(&w);
	srv_job_json_done(job, &w);
	if (a.rc < 0)
		srv_job_errfrom(job, &a.err);
done:
	srv_job_finish(job);
}
