/*
 * store_pg.c — the PostgreSQL backend: the store, its catalog, brains,
 * transactions and the statement texts. The per-object operations live in
 * store_pg_neuron.c, _fiber.c and _meta.c; pools and statement execution
 * in store_pg_conn.c; the schema in store_pg_schema.c.
 *
 * Invariants:
 *  1. A brain is the rows keyed by its number b (nm_bstate.b, found by the
 *     record's `file` name); creating a brain inserts its nm_bstate row,
 *     deleting it deletes every row with its b.
 *  2. Every write transaction takes the brain's transaction-scoped
 *     advisory lock before it reads anything, then reads the brain's
 *     generation. Writes to one brain are therefore serial across every
 *     node sharing the database — the single-writer model the engine was
 *     built on (find-or-create of entities, co-occurrence pairs) holds for
 *     the cluster, so two nodes encoding "Alice" at once make one neuron —
 *     while different brains write in parallel. (Unique constraints alone
 *     would cover neuron ids, not the engine's look-then-insert steps.)
 *  3. A commit bumps the generation by one and stores what the
 *     transaction changed (the graph index's change log) under the new
 *     generation in nm_changes, in the same transaction: a node that
 *     finds the generation ahead of its index replays those rows
 *     (brain.c nm_brain_sync). The newest NM_PG_CHANGES_KEPT are kept.
 *  4. Read transactions are REPEATABLE READ, READ ONLY: one snapshot.
 *     With a replica configured, a read transaction runs there only when
 *     the replica has replayed the generation the caller requires
 *     (nm_brain_sync's), else on the primary (read-your-writes).
 *  5. Object counters are kept per transaction (pdelta_t) and written to
 *     nm_bstate by the commit statement; savepoints save and restore them.
 */
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "gindex.h"
#include "isotime.h"
#include "jsonw.h"
#include "mem.h"

#define NM_PG_LOCK_BRAIN 0x6e6d6272 /* advisory lock class of brain writers ("nmbr") */
#define NM_PG_CHANGES_KEPT 10000    /* change-log rows kept per brain */

#define FCOLS "seq, id, neuron_ids, synapse_ids, anchor_id, time_start, time_end, coherence, salience, frequency," \
              " summary, tags, metadata, created_at"
#define NCOLS "n.seq, n.id, n.type, n.content, n.metadata, n.created_at"

const char *const nm__pg_fixed_sql[PQ__COUNT] = {
	[PQ_NEURON_INSERT] = "INSERT INTO nm_neurons (b, id, ihash, type, content, chash, khash, lcontent, metadata,"
	                     " created_at, decay_rate, s_created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
	                     " $12) ON CONFLICT (b, id) DO NOTHING RETURNING seq",
	[PQ_NEURON_GET] = "SELECT " NCOLS " FROM nm_neurons n WHERE n.b = $1 AND n.id = $2",
	[PQ_NEURON_SEQ] = "SELECT seq FROM nm_neurons WHERE b = $1 AND id = $2",
	[PQ_NEURON_UPDATE] = "UPDATE nm_neurons SET type = $3, content = $4, chash = $5, khash = $6, lcontent = $7,"
	                     " metadata = $8, created_at = $9 WHERE b = $1 AND id = $2 RETURNING seq",
	/* the neuron, every synapse touching it (a loop once) and its span */
	[PQ_NEURON_DELETE] = "WITH n AS (DELETE FROM nm_neurons WHERE b = $1 AND id = $2 RETURNING seq),"
	                     " s1 AS (DELETE FROM nm_synapses WHERE source IN (SELECT seq FROM n) RETURNING 1),"
	                     " s2 AS (DELETE FROM nm_synapses WHERE target IN (SELECT seq FROM n)"
	                     " AND source NOT IN (SELECT seq FROM n) RETURNING 1),"
	                     " t AS (DELETE FROM nm_spans WHERE seq IN (SELECT seq FROM n))"
	                     " SELECT (SELECT count(*) FROM n), (SELECT count(*) FROM s1) + (SELECT count(*) FROM s2)",
	[PQ_SPAN_DELETE] = "DELETE FROM nm_spans WHERE seq = $1",
	[PQ_SPAN_PUT] = "INSERT INTO nm_spans (seq, b, t0, t1) VALUES ($1, $2, $3, $4)",
	/* a span starting before t0 - (longest span) cannot reach t0; $5: the
	 * longest written by this transaction, not yet in nm_bstate */
	[PQ_SPAN_OVERLAP] = "SELECT " NCOLS " FROM nm_spans s JOIN nm_neurons n ON n.seq = s.seq WHERE s.b = $1"
	                    " AND s.t0 <= $3 AND s.t0 >= $2 - greatest((SELECT max_span FROM nm_bstate WHERE b = $1), $5)"
	                    " AND s.t1 >= $2 ORDER BY s.t0 DESC, s.seq DESC LIMIT $4",
	[PQ_SPAN_EXACT] = "SELECT " NCOLS " FROM nm_spans s JOIN nm_neurons n ON n.seq = s.seq WHERE s.b = $1"
	                  " AND s.t0 = $2 AND s.t1 = $3 ORDER BY s.seq DESC LIMIT $4",
	[PQ_STATE_GET] = "SELECT activation, access_frequency, last_activated, decay_rate, s_created_at FROM nm_neurons"
	                 " WHERE b = $1 AND id = $2",
	[PQ_STATE_PUT] = "UPDATE nm_neurons SET activation = $3, access_frequency = $4, last_activated = $5,"
	                 " decay_rate = $6, s_created_at = $7 WHERE b = $1 AND id = $2",
	/* endpoints by id: no row when one is missing (or on a duplicate id) */
	[PQ_SYN_INSERT] = "INSERT INTO nm_synapses (b, id, source, target, type, weight, direction, metadata,"
	                  " reinforced_count, last_activated, created_at) SELECT $1, $2, a.seq, t.seq, $5, $6, $7, $8,"
	                  " $9, $10, $11 FROM nm_neurons a, nm_neurons t WHERE a.b = $1 AND a.id = $3 AND t.b = $1"
	                  " AND t.id = $4 ON CONFLICT (b, id) DO NOTHING RETURNING seq",
	[PQ_SYN_GET] = "SELECT s.seq, s.id, a.id, t.id, s.type, s.weight, s.direction, s.metadata, s.reinforced_count,"
	               " s.last_activated, s.created_at FROM nm_synapses s JOIN nm_neurons a ON a.seq = s.source"
	               " JOIN nm_neurons t ON t.seq = s.target WHERE s.b = $1 AND s.id = $2",
	[PQ_SYN_UPDATE] = "UPDATE nm_synapses SET source = a.seq, target = t.seq, type = $5, weight = $6, direction = $7,"
	                  " metadata = $8, reinforced_count = $9, last_activated = $10, created_at = $11"
	                  " FROM nm_neurons a, nm_neurons t WHERE nm_synapses.b = $1 AND nm_synapses.id = $2"
	                  " AND a.b = $1 AND a.id = $3 AND t.b = $1 AND t.id = $4",
	[PQ_SYN_DELETE] = "DELETE FROM nm_synapses WHERE b = $1 AND id = $2",
	[PQ_FIBER_INSERT] = "INSERT INTO nm_fibers (b, id, neuron_ids, synapse_ids, anchor_id, time_start, time_end,"
	                    " coherence, salience, frequency, summary, tags, metadata, created_at) VALUES ($1, $2, $3,"
	                    " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (b, id) DO NOTHING"
	                    " RETURNING seq",
	[PQ_FIBER_GET] = "SELECT " FCOLS " FROM nm_fibers WHERE b = $1 AND id = $2",
	[PQ_FIBER_KEY] = "SELECT seq, neuron_ids, tags, time_start, time_end, anchor_id, summary FROM nm_fibers"
	                 " WHERE b = $1 AND id = $2",
	[PQ_FIBER_UPDATE] = "UPDATE nm_fibers SET neuron_ids = $3, synapse_ids = $4, anchor_id = $5, time_start = $6,"
	                    " time_end = $7, coherence = $8, salience = $9, frequency = $10, summary = $11, tags = $12,"
	                    " metadata = $13, created_at = $14 WHERE b = $1 AND seq = $2",
	/* the fiber and its typed memory; the count says whether there was one */
	[PQ_FIBER_DELETE] = "WITH f AS (DELETE FROM nm_fibers WHERE b = $1 AND seq = $2),"
	                    " tm AS (DELETE FROM nm_typed WHERE b = $1 AND fiber_id = $3 RETURNING 1)"
	                    " SELECT count(*) FROM tm",
	[PQ_FIBER_BY_SEQS] = "SELECT " FCOLS " FROM nm_fibers WHERE seq = ANY($1::int8[])",
	[PQ_FN_PUT] = "INSERT INTO nm_fiber_neurons (b, nhash, fseq) SELECT $1, unnest($2::int8[]), $3"
	              " ON CONFLICT DO NOTHING",
	[PQ_FN_DELETE] = "DELETE FROM nm_fiber_neurons WHERE b = $1 AND nhash = ANY($2::int8[]) AND fseq = $3",
	[PQ_FT_PUT] = "INSERT INTO nm_fiber_tags (b, thash, fseq) SELECT $1, unnest($2::int8[]), $3"
	              " ON CONFLICT DO NOTHING",
	[PQ_FT_DELETE] = "DELETE FROM nm_fiber_tags WHERE b = $1 AND thash = ANY($2::int8[]) AND fseq = $3",
	[PQ_FTEXT_PUT] = "INSERT INTO nm_ftext (fseq, b, text, ntok) VALUES ($1, $2, $3, $4)",
	[PQ_FTEXT_DELETE] = "DELETE FROM nm_ftext WHERE fseq = $1 RETURNING text, ntok",
	[PQ_FTEXT_GET] = "SELECT t.text FROM nm_ftext t JOIN nm_fibers f ON f.seq = t.fseq WHERE f.b = $1 AND f.id = $2",
	[PQ_FTERM_PUT] = "INSERT INTO nm_fterms (b, thash, fseq) SELECT $1, unnest($2::int8[]), $3"
	                 " ON CONFLICT DO NOTHING",
	[PQ_FTERM_DELETE] = "DELETE FROM nm_fterms WHERE b = $1 AND thash = ANY($2::int8[]) AND fseq = $3",
	[PQ_ANCHOR_TEXT] = "SELECT content FROM nm_neurons WHERE b = $1 AND id = $2",
	[PQ_FSEARCH] = "SELECT fseq, text, ntok FROM nm_ftext WHERE fseq IN"
	               " (SELECT fseq FROM nm_fterms WHERE b = $1 AND thash = ANY($2::int8[]))",
	[PQ_NEAR_BEFORE] = "SELECT " FCOLS " FROM nm_fibers WHERE b = $1 AND time_start <= $2 AND time_start >= $3"
	                   " ORDER BY time_start DESC, seq DESC LIMIT $4",
	[PQ_NEAR_AFTER] = "SELECT " FCOLS " FROM nm_fibers WHERE b = $1 AND time_start > $2 AND time_start <= $3"
	                  " ORDER BY time_start ASC, seq DESC LIMIT $4",
	[PQ_FIBER_CURSOR] = "SELECT " FCOLS " FROM nm_fibers WHERE b = $1 AND seq > $2 ORDER BY seq LIMIT $3",
	/* (xmax = 0): the row was inserted, not updated */
	[PQ_TM_PUT] = "INSERT INTO nm_typed (b, fiber_id, memory_type, json) VALUES ($1, $2, $3, $4)"
	              " ON CONFLICT (b, fiber_id) DO UPDATE SET memory_type = excluded.memory_type, json = excluded.json"
	              " RETURNING (xmax = 0)",
	[PQ_TM_SCAN] = "SELECT fiber_id, json FROM nm_typed WHERE b = $1 ORDER BY seq",
	[PQ_TM_GET] = "SELECT json FROM nm_typed WHERE b = $1 AND fiber_id = $2",
	[PQ_TM_COUNTS] = "SELECT memory_type, count(*) FROM nm_typed WHERE b = $1 GROUP BY memory_type",
	[PQ_PROJ_PUT] = "INSERT INTO nm_projects (b, id, json) VALUES ($1, $2, $3) ON CONFLICT (b, id)"
	                " DO UPDATE SET json = excluded.json RETURNING (xmax = 0)",
	[PQ_PROJ_SCAN] = "SELECT id, json FROM nm_projects WHERE b = $1 ORDER BY seq",
	[PQ_META_GET] = "SELECT snapshot_meta FROM nm_bstate WHERE b = $1",
	[PQ_META_PUT] = "UPDATE nm_bstate SET snapshot_meta = $2 WHERE b = $1",
	[PQ_STATS] = "SELECT neurons, synapses, fibers, typed_memories, projects, updated_at, doc_rows, doc_tokens"
	             " FROM nm_bstate WHERE b = $1",
	[PQ_COUNTS_SINCE] = "SELECT count(*) FROM nm_fibers WHERE b = $1 AND created_at >= $2",
	[PQ_DECAY_SCAN_N] = "SELECT seq, id, activation, last_activated, decayed_at, s_created_at FROM nm_neurons"
	                    " WHERE b = $1 AND seq > $2 ORDER BY seq LIMIT $3",
	[PQ_DECAY_SCAN_S] = "SELECT seq, id, weight, last_activated, decayed_at, created_at FROM nm_synapses"
	                    " WHERE b = $1 AND seq > $2 ORDER BY seq LIMIT $3",
	[PQ_DECAY_SET_N] = "UPDATE nm_neurons SET activation = $2, decayed_at = coalesce($3, decayed_at) WHERE seq = $1",
	[PQ_DECAY_SET_S] = "UPDATE nm_synapses SET weight = $2, decayed_at = coalesce($3, decayed_at) WHERE seq = $1",
	[PQ_ORPHAN_SCAN] = "SELECT n.seq, n.id FROM nm_neurons n WHERE n.b = $1 AND n.seq > $2"
	                   " AND NOT EXISTS (SELECT 1 FROM nm_synapses WHERE source = n.seq)"
	                   " AND NOT EXISTS (SELECT 1 FROM nm_synapses WHERE target = n.seq)"
	                   " AND NOT EXISTS (SELECT 1 FROM nm_fiber_neurons WHERE b = $1 AND nhash = n.ihash)"
	                   " ORDER BY n.seq LIMIT $3",
	[PQ_CLOCK_N] = "SELECT decayed_at FROM nm_neurons WHERE b = $1 AND id = $2",
	[PQ_CLOCK_S] = "SELECT decayed_at FROM nm_synapses WHERE b = $1 AND id = $2",
	[PQ_CLOCK_SET_N] = "UPDATE nm_neurons SET decayed_at = $3 WHERE b = $1 AND id = $2",
	[PQ_CLOCK_SET_S] = "UPDATE nm_synapses SET decayed_at = $3 WHERE b = $1 AND id = $2",
	[PQ_KV_PUT] = "INSERT INTO nm_kv (b, key, value) VALUES ($1, $2, $3) ON CONFLICT (b, key)"
	              " DO UPDATE SET value = excluded.value",
	[PQ_KV_GET] = "SELECT value FROM nm_kv WHERE b = $1 AND key = $2",
	[PQ_KV_DEL] = "DELETE FROM nm_kv WHERE b = $1 AND key = $2",
	[PQ_KV_SCAN] = "SELECT key, value FROM nm_kv WHERE b = $1 AND key >= $2 AND key > coalesce($3, '')"
	               " ORDER BY key",
	/* invariant 3: counters, generation, change log (and its oldest row
	 * out), in one statement. No NOTIFY here: committing one serialises
	 * every notifying commit of the server on a global lock, and other
	 * nodes read the generation when they need it. */
	[PQ_COMMIT_STATE] = "WITH u AS (UPDATE nm_bstate SET neurons = neurons + $2, synapses = synapses + $3,"
	                    " fibers = fibers + $4, typed_memories = typed_memories + $5, projects = projects + $6,"
	                    " doc_rows = doc_rows + $7, doc_tokens = doc_tokens + $8, max_span = greatest(max_span, $9),"
	                    " updated_at = coalesce($10, updated_at), gen = gen + 1 WHERE b = $1 RETURNING gen),"
	                    " c AS (INSERT INTO nm_changes (b, gen, log) SELECT $1, gen, $11 FROM u),"
	                    " p AS (DELETE FROM nm_changes WHERE b = $1 AND gen = (SELECT gen FROM u) - $12)"
	                    " SELECT gen FROM u",
	[PQ_GEN] = "SELECT gen FROM nm_bstate WHERE b = $1",
	/* Statements over a list of ids join the list (unnest) rather than
	 * test id = ANY(list): in a small brain the planner would otherwise
	 * scan the brain's rows and compare each with every id of the list. */
	/* reinforcement (nm_tx_reinforce), as reinforce.c computes it per object */
	[PQ_RF_NEURONS] = "UPDATE nm_neurons n SET activation = least(activation + $3, 1.0), access_frequency ="
	                  " access_frequency + 1, last_activated = $4 FROM unnest($2::text[]) u(id)"
	                  " WHERE n.b = $1 AND n.id = u.id",
	[PQ_RF_SYNAPSES] = "UPDATE nm_synapses s SET weight = least(weight + $3, 1.0), reinforced_count ="
	                   " reinforced_count + 1, last_activated = $4 FROM unnest($2::text[]) u(id)"
	                   " WHERE s.b = $1 AND s.id = u.id",
	[PQ_RF_FIBERS] = "UPDATE nm_fibers f SET frequency = frequency + 1 FROM unnest($2::text[]) u(id)"
	                 " WHERE f.b = $1 AND f.id = u.id",
	/* prefetch: the objects a change log names, by kind (a list may name
	 * an object twice: DISTINCT) */
	[PQ_PF_NEURONS] = "SELECT " NCOLS " FROM (SELECT DISTINCT id FROM unnest($2::text[]) u(id)) u"
	                  " JOIN nm_neurons n ON n.b = $1 AND n.id = u.id",
	[PQ_PF_SYNAPSES] = "SELECT s.seq, s.id, a.id, t.id, s.type, s.weight, s.direction, s.metadata, s.reinforced_count,"
	                   " s.last_activated, s.created_at FROM (SELECT DISTINCT id FROM unnest($2::text[]) u(id)) u"
	                   " JOIN nm_synapses s ON s.b = $1 AND s.id = u.id JOIN nm_neurons a ON a.seq = s.source"
	                   " JOIN nm_neurons t ON t.seq = s.target",
	[PQ_PF_FIBERS] = "SELECT f.seq, f.id, f.neuron_ids, f.synapse_ids, f.anchor_id, f.time_start, f.time_end,"
	                 " f.coherence, f.salience, f.frequency, f.summary, f.tags, f.metadata, f.created_at, t.text"
	                 " FROM (SELECT DISTINCT id FROM unnest($2::text[]) u(id)) u"
	                 " JOIN nm_fibers f ON f.b = $1 AND f.id = u.id LEFT JOIN nm_ftext t ON t.fseq = f.seq",
	/* the brain's live rows (not the kv map, not the change log) */
	[PQ_USED_BYTES] = "SELECT (SELECT pg_column_size(t.*) FROM nm_bstate t WHERE b = $1)"
	                  " + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM nm_neurons t WHERE b = $1)"
	                  " + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM nm_spans t WHERE b = $1)"
	                  " + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM nm_synapses t WHERE b = $1)"
	                  " + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM nm_fibers t WHERE b = $1)"
	                  " + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM nm_fiber_neurons t WHERE b = $1)"
	                  " + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM nm_fiber_tags t WHERE b = $1)"
	                  " + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM nm_ftext t WHERE b = $1)"
	                  " + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM nm_fterms t WHERE b = $1)"
	                  " + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM nm_typed t WHERE b = $1)"
	                  " + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM nm_projects t WHERE b = $1)",
	[PQ_CHANGES] = "SELECT gen, log FROM nm_changes WHERE b = $1 AND gen > $2 AND gen <= $3 ORDER BY gen",
};

/* ---- store ---- */

static int pg_open(const nm_store_opts_t *o, void **bs, nm_err_t *err)
{
	if (!o->pg_url || !*o->pg_url)
		return nm_err_set(err, NM_ST_INVALID, "the postgres backend needs a connection URL (--pg / pg.url)");
	pstore_t *ps = nm_xcalloc(1, sizeof *ps);
	nm__pg_pool_init(&ps->primary, o->pg_url, o->pg_sync_commit, o->pg_pool);
	nm__pg_pool_init(&ps->replica, o->pg_read_url && *o->pg_read_url ? o->pg_read_url : NULL, NULL, o->pg_pool);
	pconn_t *c = nm__pg_take(&ps->primary, err);
	int rc = c ? nm__pg_schema(c->pg, err) : -NM_ST_UNAVAILABLE;
	if (c)
		nm__pg_give(&ps->primary, c);
	if (rc == 0 && ps->replica.url) { /* reachable at start, so a typo is not found by the first read */
		pconn_t *r = nm__pg_take(&ps->replica, err);
		if (!r)
			rc = -NM_ST_UNAVAILABLE;
		else
			nm__pg_give(&ps->replica, r);
	}
	if (rc < 0) {
		nm__pg_pool_free(&ps->primary);
		nm__pg_pool_free(&ps->replica);
		free(ps);
		return rc;
	}
	*bs = ps;
	return 0;
}

static void pg_close(void *bs)
{
	pstore_t *ps = bs;
	nm__pg_pool_free(&ps->primary);
	nm__pg_pool_free(&ps->replica);
	free(ps);
}

/* Run one statement outside any transaction on a primary connection of
 * its own (catalog, generations); a connection whose server went away is
 * reconnected and the statement run again, once. */
static PGresult *primary_run(pstore_t *ps, const char *sql, pgp_t *p, nm_err_t *err)
{
	pconn_t *c = nm__pg_take(&ps->primary, err);
	if (!c) {
		pgp_free(p);
		return NULL;
	}
	PGresult *r = PQexecParams(c->pg, sql, p->n, NULL, p->v, p->len, p->fmt, 0);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK && PQstatus(c->pg) != CONNECTION_OK &&
	    nm__pg_reset(&ps->primary, c, NULL)) {
		PQclear(r);
		r = PQexecParams(c->pg, sql, p->n, NULL, p->v, p->len, p->fmt, 0);
		s = PQresultStatus(r);
	}
	pgp_free(p);
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		nm__pg_fail(c, r, err);
		PQclear(r);
		r = NULL;
	}
	nm__pg_give(&ps->primary, c);
	return r;
}

static void row_rec(const PGresult *r, int i, nm_brain_rec_t *out)
{
	memset(out, 0, sizeof *out);
	out->id = nm_xstrdup(PQgetvalue(r, i, 0));
	out->name = nm_xstrdup(PQgetvalue(r, i, 1));
	out->owner_id = PQgetisnull(r, i, 2) ? NULL : nm_xstrdup(PQgetvalue(r, i, 2));
	out->is_public = PQgetvalue(r, i, 3)[0] == 't';
	nm__pg_strv(r, i, 4, &out->shared_with);
	out->config = nm_config_default;
	json_t *cfg = json_loads(PQgetvalue(r, i, 5), 0, NULL);
	nm_config_decode(cfg, "", &out->config, NULL);
	json_decref(cfg);
	out->metadata = nm_xstrdup(PQgetvalue(r, i, 6));
	out->created_at = nm__pg_i64(r, i, 7);
	out->updated_at = nm__pg_i64(r, i, 8);
	out->file = nm_xstrdup(PQgetvalue(r, i, 9));
}

#define REC_COLS "id, name, owner_id, is_public, shared_with, config, metadata, created_at, updated_at, file"

static int pg_catalog_load(void *bs, int (*cb)(void *, nm_brain_rec_t *), void *arg, nm_err_t *err)
{
	pgp_t p = {0};
	PGresult *r = primary_run(bs, "SELECT " REC_COLS " FROM nm_brains ORDER BY seq", &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_UNAVAILABLE;
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		nm_brain_rec_t rec;
		row_rec(r, i, &rec);
		rc = cb(arg, &rec);
	}
	PQclear(r);
	return rc ? -NM_ST_INTERNAL : 0;
}

int nm__pg_catalog_get(void *bs, const char *id, nm_brain_rec_t *out, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_text(&p, id);
	PGresult *r = primary_run(bs, "SELECT " REC_COLS " FROM nm_brains WHERE id = $1", &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_UNAVAILABLE;
	int found = PQntuples(r) > 0;
	if (found)
		row_rec(r, 0, out);
	PQclear(r);
	return found;
}

/* The outcome of a catalog write whose second column counts the rows it
 * changed: none means the brain was deleted (or re-created) elsewhere. */
static int catalog_changed(PGresult *r, const char *id, nm_err_t *err)
{
	if (!r)
		return err ? -err->status : -NM_ST_UNAVAILABLE;
	bool changed = PQntuples(r) == 1 && nm__pg_i64(r, 0, 1) > 0;
	PQclear(r);
	return changed ? 0 : nm__not_found(err, "Brain", id);
}

static int pg_catalog_put(void *bs, const nm_brain_rec_t *rec, const int64_t *prev, nm_err_t *err)
{
	/* the other nodes hear of it (server/cluster.c). An update matches the
	 * brain's storage name and the record's last stamp too: a node that
	 * has not heard yet of a delete and re-create elsewhere, or of an
	 * update made elsewhere a moment ago, changes nothing (404 / 409) */
	const char *sql = !prev
		? "WITH w AS (INSERT INTO nm_brains (" REC_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
		  " RETURNING 1) SELECT pg_notify('nmemd_catalog', $1), (SELECT count(*) FROM w)"
		: "WITH w AS (UPDATE nm_brains SET name = $2, owner_id = $3, is_public = $4, shared_with = $5, config = $6,"
		  " metadata = $7, created_at = $8, updated_at = $9 WHERE id = $1 AND file = $10 AND updated_at = $11"
		  " RETURNING 1) SELECT pg_notify('nmemd_catalog', $1), (SELECT count(*) FROM w)";
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_config(&w, &rec->config);
	pgp_t p = {0};
	pgp_text(&p, rec->id);
	pgp_text(&p, rec->name);
	pgp_text(&p, rec->owner_id);
	pgp_text(&p, rec->is_public ? "t" : "f");
	pgp_strv(&p, &rec->shared_with);
	pgp_text(&p, w.buf.data);
	pgp_text(&p, rec->metadata ? rec->metadata : "{}");
	pgp_int(&p, rec->created_at);
	pgp_int(&p, rec->updated_at);
	pgp_text(&p, rec->file);
	if (prev)
		pgp_int(&p, *prev);
	PGresult *r = primary_run(bs, sql, &p, err);
	nm_jw_free(&w);
	int rc = catalog_changed(r, rec->id, err);
	nm_brain_rec_t now;
	if (rc == -NM_ST_NOT_FOUND && prev && nm__pg_catalog_get(bs, rec->id, &now, NULL) == 1) {
		if (!strcmp(now.file, rec->file)) /* still there: changed elsewhere meanwhile */
			rc = nm_err_set(err, NM_ST_CONFLICT, "Brain %.255s was changed on another node meanwhile; retry",
			                rec->id);
		nm_brain_rec_clear(&now);
	}
	return rc;
}

static int pg_catalog_delete(void *bs, const nm_brain_rec_t *rec, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_text(&p, rec->id);
	pgp_text(&p, rec->file);
	PGresult *r = primary_run(bs, "WITH w AS (DELETE FROM nm_brains WHERE id = $1 AND file = $2 RETURNING 1)"
	                              " SELECT pg_notify('nmemd_catalog', $1), (SELECT count(*) FROM w)", &p, err);
	return catalog_changed(r, rec->id, err);
}

/* ---- brains ---- */

static int pg_brain_init(void *bs, const nm_brain_rec_t *rec, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_text(&p, rec->file);
	PGresult *r = primary_run(bs, "INSERT INTO nm_bstate (file) VALUES ($1) ON CONFLICT (file) DO NOTHING", &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_UNAVAILABLE;
	PQclear(r);
	return 0;
}

static int pg_brain_open(void *bs, const nm_brain_rec_t *rec, void **bd, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_text(&p, rec->file);
	PGresult *r = primary_run(bs, "SELECT b FROM nm_bstate WHERE file = $1", &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_UNAVAILABLE;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return nm_err_set(err, NM_ST_UNAVAILABLE, "brain %s has no storage in postgres", rec->id);
	}
	pbrain_t *pb = nm_xcalloc(1, sizeof *pb);
	pb->ps = bs;
	pb->b = (int32_t)nm__pg_i64(r, 0, 0);
	PQclear(r);
	*bd = pb;
	return 0;
}

static void pg_brain_close(void *bd)
{
	free(bd);
}

/* Every row of the brain, in one transaction that holds the brain's
 * writer lock first: a write another node has in flight commits before
 * (and is deleted with the rest) or finds no state row after (and fails). */
static void pg_brain_destroy(void *bs, const nm_brain_rec_t *rec)
{
	static const char *const tables[] = {"nm_neurons", "nm_spans", "nm_synapses", "nm_fibers",
	                                     "nm_fiber_neurons", "nm_fiber_tags", "nm_ftext", "nm_fterms",
	                                     "nm_typed", "nm_projects", "nm_kv", "nm_changes"};
	pstore_t *ps = bs;
	pconn_t *c = nm__pg_take(&ps->primary, NULL);
	if (!c)
		return; /* rows left without a catalog entry are never read */
	char *file = PQescapeLiteral(c->pg, rec->file, strlen(rec->file));
	if (!file) {
		nm__pg_give(&ps->primary, c);
		return;
	}
	nm_buf_t sql = {0};
	nm_buf_printf(&sql, "BEGIN; SELECT pg_advisory_xact_lock(%d, b) FROM nm_bstate WHERE file = %s;"
	              " WITH k AS (SELECT b FROM nm_bstate WHERE file = %s)", NM_PG_LOCK_BRAIN, file, file);
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		nm_buf_printf(&sql, ", d%zu AS (DELETE FROM %s WHERE b = (SELECT b FROM k))", i, tables[i]);
	nm_buf_puts(&sql, " DELETE FROM nm_bstate WHERE b = (SELECT b FROM k); COMMIT");
	PQfreemem(file);
	if (nm__pg_simple(c, sql.data, NULL, NULL) < 0)
		nm__pg_simple(c, "ROLLBACK", NULL, NULL);
	nm__pg_give(&ps->primary, c);
	nm_buf_free(&sql);
}

/* ---- transactions ---- */

static int begin(pbrain_t *pb, ppool_t *pool, const char *sql, nm_tx_t **tx, nm_err_t *err)
{
	pconn_t *c = nm__pg_take(pool, err);
	if (!c)
		return -NM_ST_UNAVAILABLE;
	PGresult *r = NULL;
	int rc = nm__pg_simple(c, sql, &r, err);
	/* a pooled connection whose server went away (a restart, a failover)
	 * is only found out by its next statement: reconnect, once */
	if (rc < 0 && PQstatus(c->pg) != CONNECTION_OK && nm__pg_reset(pool, c, NULL))
		rc = nm__pg_simple(c, sql, &r, err);
	/* no state row: another node deleted the brain (this one will hear of
	 * it): nothing may be read or written as if it still existed */
	if (rc == 0 && (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)) {
		PQclear(r);
		rc = nm_err_set(err, NM_ST_NOT_FOUND, "Brain not found (deleted)");
	}
	if (rc < 0) {
		nm__pg_simple(c, "ROLLBACK", NULL, NULL);
		nm__pg_give(pool, c);
		return rc;
	}
	ptx_t *t = nm_xcalloc(1, sizeof *t);
	t->pb = pb;
	t->pool = pool;
	t->c = c;
	t->d.updated_at = NM_TIME_NONE;
	t->gen = (uint64_t)nm__pg_i64(r, 0, 0);
	PQclear(r);
	*tx = &t->base;
	return 0;
}

static void tx_free(ptx_t *t)
{
	nm__pg_give(t->pool, t->c);
	nm__pg_seq_forget(&t->base);
	nm__pg_fetched_free(&t->base);
	free(t);
}

/* ---- reinforcement: three statements instead of two per object ---- */

static int pg_reinforce(nm_tx_t *tx, char *const *neurons, size_t nn, char *const *synapses, size_t ns,
                        const nm_strv_t *fibers, double delta, int64_t now, int64_t *rows, nm_err_t *err)
{
	const pq_id_t which[3] = {PQ_RF_NEURONS, PQ_RF_SYNAPSES, PQ_RF_FIBERS};
	char *const *ids[3] = {neurons, synapses, fibers->v};
	size_t n[3] = {nn, ns, fibers->n};
	for (int k = 0; k < 3; k++) {
		if (!n[k])
			continue;
		pgp_t p = {0};
		pgp_int(&p, PB(tx));
		pgp_text_array(&p, ids[k], n[k]);
		if (k < 2) {
			pgp_dbl(&p, delta);
			pgp_int(&p, now);
		}
		int64_t changed = nm__pg_exec(PT(tx)->c, which[k], &p, err);
		if (changed < 0)
			return (int)changed;
		*rows += changed;
	}
	return 0;
}

/* ---- prefetch (a change-log replay reads every object it names) ---- */

void nm__pg_prefetch(nm_tx_t *tx, const nm_gx_log_t *log)
{
	static const char kinds[3] = {'n', 's', 'f'};
	static void (*const fetch[3])(nm_tx_t *, char *const *, size_t) = {nm__pg_fetch_neurons, nm__pg_fetch_synapses,
	                                                                   nm__pg_fetch_fibers};
	for (int k = 0; k < 3; k++) {
		nm_strv_t ids = {0};
		for (size_t i = 0; i < log->n; i++)
			if (log->kinds[i] == kinds[k])
				nm_strv_add(&ids, log->ids[i]);
		if (ids.n)
			fetch[k](tx, ids.v, ids.n);
		nm_strv_clear(&ids);
	}
}

int nm__pg_fetched(nm_tx_t *tx, int kind, const char *id, void **obj)
{
	if (!PT(tx)->has[kind])
		return -1;
	*obj = nm_hmap_get(&PT(tx)->fetched[kind], id, strlen(id));
	return *obj != NULL;
}

static void free_fetched(void *arg, const char *key, size_t klen, void *val)
{
	int kind = *(int *)arg;
	if (kind == PF_NEURONS) {
		nm_neuron_clear(val);
	} else if (kind == PF_SYNAPSES) {
		nm_synapse_clear(val);
	} else {
		nm_fiber_clear(&((pfiber_t *)val)->f);
		free(((pfiber_t *)val)->text);
	}
	free(val);
}

void nm__pg_fetched_free(nm_tx_t *tx)
{
	for (int k = 0; k < 3; k++) {
		nm_hmap_each(&PT(tx)->fetched[k], free_fetched, &k);
		nm_hmap_free(&PT(tx)->fetched[k]);
		PT(tx)->has[k] = false;
	}
}

static void finish(nm_tx_t *tx)
{
	nm__pg_simple(PT(tx)->c, "ROLLBACK", NULL, NULL);
	tx_free(PT(tx));
}

static int pg_gen(void *bd, uint64_t *gen, nm_err_t *err);

/* Invariant 4: the replica when it has what the caller needs: at least
 * need_gen and the primary's generation now (a write another node
 * acknowledged a moment ago is read back). */
static int pg_read_begin_at(void *bd, uint64_t need_gen, nm_tx_t **tx, nm_err_t *err)
{
	pbrain_t *pb = bd;
	uint64_t now;
	if (pb->ps->replica.url && pg_gen(bd, &now, NULL) == 0 && now > need_gen)
		need_gen = now;
	char sql[160];
	snprintf(sql, sizeof sql, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT gen FROM nm_bstate WHERE b = %d",
	         (int)pb->b);
	if (pb->ps->replica.url && begin(pb, &pb->ps->replica, sql, tx, NULL) == 0) {
		if (PT(*tx)->gen >= need_gen)
			return 0;
		finish(*tx); /* the replica is behind: the primary answers */
	}
	return begin(pb, &pb->ps->primary, sql, tx, err);
}

static int pg_read_begin(void *bd, nm_tx_t **tx, nm_err_t *err)
{
	return pg_read_begin_at(bd, 0, tx, err);
}

static void pg_read_end(nm_tx_t *tx)
{
	finish(tx);
}

/* Invariant 2: lock, then read the generation (a statement of its own, so
 * its snapshot is taken after the lock is held). */
static int pg_write_begin(void *bd, nm_tx_t **tx, nm_err_t *err)
{
	pbrain_t *pb = bd;
	char sql[200];
	snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d, %d); SELECT gen FROM nm_bstate WHERE b = %d",
	         NM_PG_LOCK_BRAIN, (int)pb->b, (int)pb->b);
	int rc = begin(pb, &pb->ps->primary, sql, tx, err);
	if (rc == 0)
		(*tx)->cluster_gen = PT(*tx)->gen;
	return rc;
}

/* The change log as stored: kind byte, id, NUL, …; "R" for a rebuild. */
static char *pack_log(const nm_gx_log_t *log, size_t *len)
{
	nm_buf_t b = {0};
	if (!log || log->rebuild) {
		nm_buf_putc(&b, 'R');
	} else {
		for (size_t i = 0; i < log->n; i++) {
			nm_buf_putc(&b, log->kinds[i]);
			nm_buf_append(&b, log->ids[i], strlen(log->ids[i]) + 1);
		}
	}
	return nm_buf_steal(&b, len);
}

static int pg_commit(nm_tx_t *tx, nm_err_t *err)
{
	ptx_t *t = PT(tx);
	size_t loglen;
	char *log = pack_log(tx->gx_log, &loglen);
	pgp_t p = {0};
	pgp_int(&p, t->pb->b);
	pgp_int(&p, t->d.neurons);
	pgp_int(&p, t->d.synapses);
	pgp_int(&p, t->d.fibers);
	pgp_int(&p, t->d.typed_memories);
	pgp_int(&p, t->d.projects);
	pgp_int(&p, t->d.doc_rows);
	pgp_int(&p, t->d.doc_tokens);
	pgp_int(&p, t->d.max_span);
	pgp_time(&p, t->d.updated_at);
	pgp_bin(&p, log, loglen);
	pgp_int(&p, NM_PG_CHANGES_KEPT);
	int64_t rc = nm__pg_exec(t->c, PQ_COMMIT_STATE, &p, err);
	free(log);
	if (rc == 0) /* the state row went with the brain: commit nothing */
		rc = nm_err_set(err, NM_ST_NOT_FOUND, "Brain not found (deleted)");
	if (rc >= 0)
		rc = nm__pg_simple(t->c, "COMMIT", NULL, err);
	if (rc < 0)
		return (int)rc; /* the caller rolls back, which frees the tx */
	tx_free(t);
	return 0;
}

static void pg_rollback(nm_tx_t *tx)
{
	finish(tx);
}

static int pg_savepoint(nm_tx_t *tx, nm_err_t *err)
{
	PT(tx)->saved = PT(tx)->d;
	return nm__pg_simple(PT(tx)->c, "SAVEPOINT w", NULL, err);
}

static int pg_release(nm_tx_t *tx, nm_err_t *err)
{
	return nm__pg_simple(PT(tx)->c, "RELEASE w", NULL, err);
}

static void pg_rollback_to(nm_tx_t *tx)
{
	PT(tx)->d = PT(tx)->saved;
	nm__pg_seq_forget(tx); /* rows written since the savepoint are gone */
	nm__pg_simple(PT(tx)->c, "ROLLBACK TO w; RELEASE w", NULL, NULL);
}

static int pg_set_updated_at(nm_tx_t *tx, int64_t t, nm_err_t *err)
{
	PT(tx)->d.updated_at = t;
	return 0;
}

/* The bytes of the brain's live rows: the tables are shared by every
 * brain, so neither file sizes nor (shared) indexes are attributed. Reads
 * every row of the brain: for stats and archive reports, not hot paths. */
static int64_t pg_used_bytes(nm_tx_t *tx)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_USED_BYTES, &p, NULL);
	int64_t n = r && PQntuples(r) ? nm__pg_i64(r, 0, 0) : 0;
	PQclear(r);
	return n;
}

/* ---- the cluster (brain.c) ---- */

static int pg_gen(void *bd, uint64_t *gen, nm_err_t *err)
{
	pbrain_t *pb = bd;
	pgp_t p = {0};
	pgp_int(&p, pb->b);
	PGresult *r = primary_run(pb->ps, nm__pg_fixed_sql[PQ_GEN], &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_UNAVAILABLE;
	*gen = PQntuples(r) ? (uint64_t)nm__pg_i64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

/* Replay the change log rows (after, upto] into log; 1 when rows in that
 * range are gone (pruned: the caller rebuilds), 0 when complete. */
static int pg_changes(nm_tx_t *tx, uint64_t after, uint64_t upto, nm_gx_log_t *log, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_int(&p, (int64_t)after);
	pgp_int(&p, (int64_t)upto);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_CHANGES, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_UNAVAILABLE;
	int n = PQntuples(r);
	int gone = (uint64_t)n != upto - after;
	for (int i = 0; i < n && !gone; i++) {
		size_t len;
		char *b = nm__pg_bytea(r, i, 1, &len);
		if (len == 1 && b[0] == 'R')
			gone = 1;
		for (size_t at = 0; !gone && at + 1 < len;) {
			const char *id = b + at + 1;
			nm__gx_log_note(log, b[at], id);
			at += 2 + strlen(id);
		}
		free(b);
	}
	PQclear(r);
	return gone;
}

const nm_backend_t nm__backend_pg = {
	.name = "postgres",
	.evictable = true,
	.cluster = true,
	.open = pg_open,
	.close = pg_close,
	.catalog_load = pg_catalog_load,
	.catalog_get = nm__pg_catalog_get,
	.catalog_put = pg_catalog_put,
	.catalog_delete = pg_catalog_delete,
	.brain_init = pg_brain_init,
	.brain_open = pg_brain_open,
	.brain_close = pg_brain_close,
	.brain_destroy = pg_brain_destroy,
	.read_begin = pg_read_begin,
	.read_begin_at = pg_read_begin_at,
	.read_end = pg_read_end,
	.write_begin = pg_write_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.release = pg_release,
	.rollback_to = pg_rollback_to,
	.set_updated_at = pg_set_updated_at,
	.gen = pg_gen,
	.changes = pg_changes,
	.neuron_add = nm__pg_neuron_add,
	.neuron_get = nm__pg_neuron_get,
	.neuron_update = nm__pg_neuron_update,
	.neuron_delete = nm__pg_neuron_delete,
	.neuron_exists = nm__pg_neuron_exists,
	.neuron_scan = nm__pg_neuron_scan,
	.state_get = nm__pg_state_get,
	.state_put = nm__pg_state_put,
	.synapse_add = nm__pg_synapse_add,
	.synapse_get = nm__pg_synapse_get,
	.synapse_update = nm__pg_synapse_update,
	.synapse_delete = nm__pg_synapse_delete,
	.synapse_scan = nm__pg_synapse_scan,
	.fiber_add = nm__pg_fiber_add,
	.fiber_get = nm__pg_fiber_get,
	.fiber_update = nm__pg_fiber_update,
	.fiber_delete = nm__pg_fiber_delete,
	.fiber_scan = nm__pg_fiber_scan,
	.typed_memory_put = nm__pg_typed_memory_put,
	.typed_memory_scan = nm__pg_typed_memory_scan,
	.typed_memory_get = nm__pg_typed_memory_get,
	.typed_memory_counts = nm__pg_typed_memory_counts,
	.project_put = nm__pg_project_put,
	.project_scan = nm__pg_project_scan,
	.meta_get = nm__pg_meta_get,
	.meta_put = nm__pg_meta_put,
	.stats = nm__pg_stats,
	.fiber_counts_since = nm__pg_fiber_counts_since,
	.size_bytes = pg_used_bytes,
	.time_spans = nm__pg_time_spans,
	.fiber_nearest = nm__pg_fiber_nearest,
	.fiber_search = nm__pg_fiber_search,
	.fiber_text = nm__pg_fiber_search_text,
	.decay_scan = nm__pg_decay_scan,
	.decay_set = nm__pg_decay_set,
	.orphan_scan = nm__pg_orphan_scan,
	.fiber_cursor = nm__pg_fiber_cursor,
	.decay_clock = nm__pg_decay_clock,
	.decay_clock_set = nm__pg_decay_clock_set,
	.used_bytes = pg_used_bytes,
	.kv_put = nm__pg_kv_put,
	.kv_get = nm__pg_kv_get,
	.kv_del = nm__pg_kv_del,
	.kv_scan = nm__pg_kv_scan,
	.prefetch = nm__pg_prefetch,
	.reinforce = pg_reinforce,
};
