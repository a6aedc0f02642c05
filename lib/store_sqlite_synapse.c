/*
 * store_sqlite_synapse.c — synapses in the SQLite backend.
 *
 * A synapse row stores its endpoints as neuron row numbers (seq), not ids:
 * an endpoint always exists (it is checked on insert and deleting a neuron
 * deletes its synapses), the integers keep the two endpoint indexes small,
 * and the ids come back through a join on neurons' primary key.
 */
#include "store_sqlite.h"

#include <stdio.h>

#include "mem.h"

#define SYN_COLS "s.seq, s.id, a.id, b.id, s.type, s.weight, s.direction, s.metadata, s.reinforced_count," \
                 " s.last_activated, s.created_at"
#define SYN_FROM " FROM synapses s JOIN neurons a ON a.seq = s.source JOIN neurons b ON b.seq = s.target"

static void row_synapse(sqlite3_stmt *s, nm_synapse_t *y)
{
	y->id = (char *)sqlite3_column_text(s, 1);
	y->source_id = (char *)sqlite3_column_text(s, 2);
	y->target_id = (char *)sqlite3_column_text(s, 3);
	y->type = (nm_synapse_type_t)sqlite3_column_int(s, 4);
	y->weight = sqlite3_column_double(s, 5);
	y->direction = (nm_direction_t)sqlite3_column_int(s, 6);
	y->metadata = (char *)sqlite3_column_text(s, 7);
	y->reinforced_count = sqlite3_column_int64(s, 8);
	y->last_activated = nm__col_time(s, 9);
	y->created_at = sqlite3_column_int64(s, 10);
}

typedef struct synapse_cb_arg {
	nm_synapse_cb cb;
	void *arg;
} synapse_cb_arg_t;

static int synapse_row(sqlite3_stmt *s, void *arg)
{
	synapse_cb_arg_t *a = arg;
	nm_synapse_t y;
	row_synapse(s, &y);
	return a->cb(a->arg, &y);
}

/* Endpoint row numbers, or 422 naming the missing endpoint. */
static int endpoints(sconn_t *c, const nm_synapse_t *y, int64_t *src, int64_t *dst, nm_err_t *err)
{
	*src = nm__sq_neuron_seq(c, y->source_id, err);
	if (*src < 0)
		return (int)*src;
	if (*src == 0)
		return nm_err_set(err, NM_ST_INVALID, "Source neuron %.*s does not exist", NM_ERR_STR(y->source_id, 255));
	*dst = nm__sq_neuron_seq(c, y->target_id, err);
	if (*dst < 0)
		return (int)*dst;
	if (*dst == 0)
		return nm_err_set(err, NM_ST_INVALID, "Target neuron %.*s does not exist", NM_ERR_STR(y->target_id, 255));
	return 0;
}

/* Bind parameters ?1 id … ?10 created_at shared by insert and update. */
static void bind_synapse(sqlite3_stmt *s, const nm_synapse_t *y, int64_t src, int64_t dst)
{
	sqlite3_bind_text(s, 1, y->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, src);
	sqlite3_bind_int64(s, 3, dst);
	sqlite3_bind_int(s, 4, (int)y->type);
	sqlite3_bind_double(s, 5, y->weight);
	sqlite3_bind_int(s, 6, (int)y->direction);
	sqlite3_bind_text(s, 7, y->metadata ? y->metadata : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, y->reinforced_count);
	nm__bind_time(s, 9, y->last_activated);
	sqlite3_bind_int64(s, 10, y->created_at);
}

int nm__sq_synapse_add(nm_tx_t *tx, const nm_synapse_t *y, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	int64_t src, dst;
	int rc = endpoints(c, y, &src, &dst, err);
	if (rc < 0)
		return rc;
	sqlite3_stmt *s = nm__sq(c, SQ_SYN_INSERT, err);
	if (!s)
		return -NM_ST_INTERNAL;
	bind_synapse(s, y, src, dst);
	rc = nm__sq_exec(c, s, err);
	if (rc == -NM_ST_CONFLICT)
		return nm__exists(err, "Synapse", y->id);
	return rc < 0 ? rc : nm__sq_counter(c, "synapses", 1, err);
}

int nm__sq_synapse_get(nm_tx_t *tx, const char *id, nm_synapse_t *out, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	sqlite3_stmt *s = nm__sq(c, SQ_SYN_GET, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW) {
		nm_synapse_t y;
		row_synapse(s, &y);
		nm_synapse_copy(out, &y);
	} else {
		ret = rc == SQLITE_DONE ? nm__not_found(err, "Synapse", id) : nm__sq_fail(c, rc, err);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int nm__sq_synapse_update(nm_tx_t *tx, const nm_synapse_t *y, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	int64_t src, dst;
	int rc = endpoints(c, y, &src, &dst, err);
	if (rc < 0)
		return rc;
	/* the usual update (reinforcement, decay) keeps the ends */
	sqlite3_stmt *s = nm__sq(c, SQ_SYN_UPDATE_BODY, err);
	if (!s)
		return -NM_ST_INTERNAL;
	bind_synapse(s, y, src, dst);
	if ((rc = nm__sq_exec(c, s, err)) < 0)
		return rc;
	if (sqlite3_changes(c->db))
		return 0;
	if (!(s = nm__sq(c, SQ_SYN_UPDATE, err)))
		return -NM_ST_INTERNAL;
	bind_synapse(s, y, src, dst);
	if ((rc = nm__sq_exec(c, s, err)) < 0)
		return rc;
	return sqlite3_changes(c->db) ? 0 : nm__not_found(err, "Synapse", y->id);
}

int nm__sq_synapse_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	sqlite3_stmt *s = nm__sq(c, SQ_SYN_DELETE, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = nm__sq_exec(c, s, err);
	if (rc < 0)
		return rc;
	if (!sqlite3_changes(c->db))
		return nm__not_found(err, "Synapse", id);
	return nm__sq_counter(c, "synapses", -1, err);
}

static int64_t tx_neuron_seq(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	return nm__sq_neuron_seq(SC(tx), id, err);
}

static const char *synapse_scan_sql(unsigned mask, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "SELECT " SYN_COLS SYN_FROM " WHERE 1");
	if (mask & NM_SF_SOURCE)
		n += (size_t)snprintf(buf + n, cap - n, " AND s.source = ?1");
	if (mask & NM_SF_TARGET)
		n += (size_t)snprintf(buf + n, cap - n, " AND s.target = ?2");
	if (mask & NM_SF_TYPE)
		n += (size_t)snprintf(buf + n, cap - n, " AND s.type = ?3");
	if (mask & NM_SF_WEIGHT)
		n += (size_t)snprintf(buf + n, cap - n, " AND s.weight >= ?4");
	n += (size_t)snprintf(buf + n, cap - n, " ORDER BY s.seq%s", mask & NM_SF_NEWEST ? " DESC" : "");
	if (mask & NM_SF_WINDOW)
		snprintf(buf + n, cap - n, " LIMIT ?5 OFFSET ?6");
	return buf;
}

int nm__sq_synapse_scan(nm_tx_t *tx, const nm_synapse_filter_t *f, nm_synapse_cb cb, void *arg, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	int64_t src, dst;
	unsigned mask;
	int rc = nm__synapse_scan_plan(tx, f, tx_neuron_seq, &mask, &src, &dst, err);
	if (rc <= 0)
		return rc;
	char sql[512];
	sqlite3_stmt *s = nm__sq_dyn(c, &c->sscan[mask], synapse_scan_sql(mask, sql, sizeof sql), err);
	if (!s)
		return -NM_ST_INTERNAL;
	if (mask & NM_SF_SOURCE)
		sqlite3_bind_int64(s, 1, src);
	if (mask & NM_SF_TARGET)
		sqlite3_bind_int64(s, 2, dst);
	if (mask & NM_SF_TYPE)
		sqlite3_bind_int(s, 3, f->type);
	if (mask & NM_SF_WEIGHT)
		sqlite3_bind_double(s, 4, f->min_weight);
	if (mask & NM_SF_WINDOW) {
		sqlite3_bind_int64(s, 5, f->limit > 0 ? f->limit : -1);
		sqlite3_bind_int64(s, 6, f->offset);
	}
	synapse_cb_arg_t a = {cb, arg};
	return nm__sq_each(c, s, synapse_row, &a, err);
}
