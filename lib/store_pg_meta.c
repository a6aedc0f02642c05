/*
 * store_pg_meta.c — the postgres backend's brain-level data (snapshot
 * metadata, counts, typed memories, projects, creation counts), its
 * lifecycle cursors (decay and orphan scans, decay clocks) and its kv
 * table.
 *
 * Counts are nm_bstate's columns plus what the running transaction
 * changed (pdelta_t), so a write transaction sees its own writes. Decay
 * cursors are row numbers: a neuron's state shares its row, so both scans
 * walk a primary key from `after` and never skip or repeat a row however
 * the caller batches them. Orphans are checked against the fiber
 * membership rows by the neuron id's hash: a hash shared with another
 * neuron's fiber keeps a neuron (conservative, never a wrong delete).
 */
#include "store_pg.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Run statement which with (b) or (b, key); NULL with err on failure. */
static PGresult *run_b(nm_tx_t *tx, pq_id_t which, const char *key, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	if (key)
		pgp_text(&p, key);
	return nm__pg_run(PT(tx)->c, which, &p, err);
}

#define FAILED(err) ((err) ? -(err)->status : -NM_ST_INTERNAL)

int nm__pg_meta_get(nm_tx_t *tx, char **json, nm_err_t *err)
{
	PGresult *r = run_b(tx, PQ_META_GET, NULL, err);
	if (!r)
		return FAILED(err);
	*json = nm_xstrdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "{}");
	PQclear(r);
	return 0;
}

int nm__pg_meta_put(nm_tx_t *tx, const char *json, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, json);
	return nm__pg_exec(PT(tx)->c, PQ_META_PUT, &p, err) < 0 ? FAILED(err) : 0;
}

int nm__pg_stats(nm_tx_t *tx, nm_stats_t *out, nm_err_t *err)
{
	PGresult *r = run_b(tx, PQ_STATS, NULL, err);
	if (!r)
		return FAILED(err);
	const pdelta_t *d = &PT(tx)->d;
	memset(out, 0, sizeof *out);
	out->updated_at = NM_TIME_NONE;
	if (PQntuples(r)) {
		out->neurons = nm__pg_i64(r, 0, 0);
		out->synapses = nm__pg_i64(r, 0, 1);
		out->fibers = nm__pg_i64(r, 0, 2);
		out->typed_memories = nm__pg_i64(r, 0, 3);
		out->projects = nm__pg_i64(r, 0, 4);
		out->updated_at = nm__pg_time(r, 0, 5);
	}
	PQclear(r);
	out->neurons += d->neurons;
	out->synapses += d->synapses;
	out->fibers += d->fibers;
	out->typed_memories += d->typed_memories;
	out->projects += d->projects;
	if (d->updated_at != NM_TIME_NONE)
		out->updated_at = d->updated_at;
	return 0;
}

/* ---- typed memories and projects ---- */

static int blob_scan(nm_tx_t *tx, pq_id_t which, nm_blob_cb cb, void *arg, nm_err_t *err)
{
	PGresult *r = run_b(tx, which, NULL, err);
	if (!r)
		return FAILED(err);
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && !rc; i++)
		rc = cb(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	return rc;
}

/* An upsert whose single result says whether a row was inserted. */
static int upsert(nm_tx_t *tx, pq_id_t which, pgp_t *p, int64_t *counter, nm_err_t *err)
{
	PGresult *r = nm__pg_run(PT(tx)->c, which, p, err);
	if (!r)
		return FAILED(err);
	if (PQntuples(r) && PQgetvalue(r, 0, 0)[0] == 't')
		(*counter)++;
	PQclear(r);
	return 0;
}

int nm__pg_typed_memory_put(nm_tx_t *tx, const char *fiber_id, nm_memory_type_t type, const char *json,
                            nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, fiber_id);
	pgp_int(&p, (int64_t)type);
	pgp_text(&p, json);
	return upsert(tx, PQ_TM_PUT, &p, &PT(tx)->d.typed_memories, err);
}

int nm__pg_typed_memory_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err)
{
	return blob_scan(tx, PQ_TM_SCAN, cb, arg, err);
}

int nm__pg_typed_memory_get(nm_tx_t *tx, const char *fiber_id, char **json, nm_err_t *err)
{
	PGresult *r = run_b(tx, PQ_TM_GET, fiber_id, err);
	if (!r)
		return FAILED(err);
	int found = PQntuples(r) > 0;
	if (found)
		*json = nm_xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return found;
}

int nm__pg_typed_memory_counts(nm_tx_t *tx, int64_t *counts, nm_err_t *err)
{
	PGresult *r = run_b(tx, PQ_TM_COUNTS, NULL, err);
	if (!r)
		return FAILED(err);
	memset(counts, 0, sizeof *counts * NM_MEM__COUNT);
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t t = nm__pg_i64(r, i, 0);
		if (t >= 0 && t < NM_MEM__COUNT)
			counts[t] = nm__pg_i64(r, i, 1);
	}
	PQclear(r);
	return 0;
}

int nm__pg_project_put(nm_tx_t *tx, const char *id, const char *json, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, id);
	pgp_text(&p, json);
	return upsert(tx, PQ_PROJ_PUT, &p, &PT(tx)->d.projects, err);
}

int nm__pg_project_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err)
{
	return blob_scan(tx, PQ_PROJ_SCAN, cb, arg, err);
}

int nm__pg_fiber_counts_since(nm_tx_t *tx, const int64_t *since, int64_t *counts, int n, nm_err_t *err)
{
	for (int k = 0; k < n; k++) {
		pgp_t p = {0};
		pgp_int(&p, PB(tx));
		pgp_int(&p, since[k]);
		PGresult *r = nm__pg_run(PT(tx)->c, PQ_COUNTS_SINCE, &p, err);
		if (!r)
			return FAILED(err);
		counts[k] = nm__pg_i64(r, 0, 0);
		PQclear(r);
	}
	return 0;
}

/* ---- lifecycle ---- */

static void pgp_limit(pgp_t *p, int64_t limit)
{
	if (limit > 0)
		pgp_int(p, limit);
	else
		pgp_text(p, NULL);
}

int nm__pg_decay_scan(nm_tx_t *tx, nm_decay_kind_t kind, int64_t after, int64_t limit, nm_decay_cb cb, void *arg,
                      nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_int(&p, after);
	pgp_limit(&p, limit);
	PGresult *r = nm__pg_run(PT(tx)->c, kind == NM_DECAY_NEURONS ? PQ_DECAY_SCAN_N : PQ_DECAY_SCAN_S, &p, err);
	if (!r)
		return FAILED(err);
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		nm_decay_row_t row = {
			.seq = nm__pg_i64(r, i, 0),
			.id = PQgetvalue(r, i, 1),
			.value = nm__pg_dbl(r, i, 2),
			.last_activated = nm__pg_time(r, i, 3),
			.decayed_at = nm__pg_time(r, i, 4),
			.created_at = nm__pg_i64(r, i, 5),
		};
		rc = cb(arg, &row);
	}
	PQclear(r);
	return rc;
}

int nm__pg_decay_set(nm_tx_t *tx, nm_decay_kind_t kind, int64_t seq, double value, int64_t decayed_at,
                     nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, seq);
	pgp_dbl(&p, value);
	pgp_time(&p, decayed_at);
	return nm__pg_exec(PT(tx)->c, kind == NM_DECAY_NEURONS ? PQ_DECAY_SET_N : PQ_DECAY_SET_S, &p, err) < 0
		? FAILED(err) : 0;
}

int nm__pg_orphan_scan(nm_tx_t *tx, int64_t after, int64_t limit, nm_orphan_cb cb, void *arg, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_int(&p, after);
	pgp_limit(&p, limit);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_ORPHAN_SCAN, &p, err);
	if (!r)
		return FAILED(err);
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && !rc; i++)
		rc = cb(arg, nm__pg_i64(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	return rc;
}

int nm__pg_decay_clock(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, int64_t *out, nm_err_t *err)
{
	PGresult *r = run_b(tx, kind == NM_DECAY_NEURONS ? PQ_CLOCK_N : PQ_CLOCK_S, id, err);
	if (!r)
		return FAILED(err);
	*out = PQntuples(r) ? nm__pg_time(r, 0, 0) : NM_TIME_NONE;
	PQclear(r);
	return 0;
}

int nm__pg_decay_clock_set(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, int64_t t, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, id);
	pgp_time(&p, t);
	return nm__pg_exec(PT(tx)->c, kind == NM_DECAY_NEURONS ? PQ_CLOCK_SET_N : PQ_CLOCK_SET_S, &p, err) < 0
		? FAILED(err) : 0;
}

/* ---- kv ---- */

int nm__pg_kv_put(nm_tx_t *tx, const char *key, const void *val, size_t len, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, key);
	pgp_bin(&p, val, len);
	return nm__pg_exec(PT(tx)->c, PQ_KV_PUT, &p, err) < 0 ? FAILED(err) : 0;
}

int nm__pg_kv_get(nm_tx_t *tx, const char *key, char **val, size_t *len, nm_err_t *err)
{
	PGresult *r = run_b(tx, PQ_KV_GET, key, err);
	if (!r)
		return FAILED(err);
	int found = PQntuples(r) > 0;
	if (found)
		*val = nm__pg_bytea(r, 0, 0, len);
	PQclear(r);
	return found;
}

int nm__pg_kv_del(nm_tx_t *tx, const char *key, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, key);
	int64_t n = nm__pg_exec(PT(tx)->c, PQ_KV_DEL, &p, err);
	return n < 0 ? (int)n : n > 0;
}

int nm__pg_kv_scan(nm_tx_t *tx, const char *prefix, const char *after, nm_kv_cb cb, void *arg, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, prefix);
	pgp_text(&p, after);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_KV_SCAN, &p, err);
	if (!r)
		return FAILED(err);
	size_t plen = strlen(prefix);
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		const char *k = PQgetvalue(r, i, 0);
		if (strncmp(k, prefix, plen) != 0)
			break; /* past the prefix: done */
		size_t len;
		char *v = nm__pg_bytea(r, i, 1, &len);
		rc = cb(arg, k, v, len);
		free(v);
	}
	PQclear(r);
	return rc;
}
