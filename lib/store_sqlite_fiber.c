/*
 * store_sqlite_fiber.c — fibers in the SQLite backend.
 *
 * A fiber is one row of `fibers` (id lists and tags packed as NUL-separated
 * blobs, in first-seen order) plus its index entries: one fiber_neurons row
 * per member neuron id and one fiber_tags row per tag, both keyed by a
 * 64-bit hash of the string, and one fiber_time R*Tree box when both ends
 * of its time range are set. Index entries are candidates only: every row a
 * scan reads is re-checked against the filter in C (hash collisions, and
 * the R*Tree's 32-bit float boxes are rounded outwards), and offset/limit
 * are applied after that check.
 */
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "mem.h"

#define FIBER_COLS "seq, id, neuron_ids, synapse_ids, anchor_id, time_start, time_end, coherence, salience," \
                   " frequency, summary, tags, metadata, created_at"

/* Owned fiber from the current row (lists are unpacked into owned sets). */
static void row_fiber(sqlite3_stmt *s, nm_fiber_t *f)
{
	memset(f, 0, sizeof *f);
	f->id = nm_xstrdup((const char *)sqlite3_column_text(s, 1));
	nm_strv_unpack(&f->neuron_ids, sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
	nm_strv_unpack(&f->synapse_ids, sqlite3_column_blob(s, 3), (size_t)sqlite3_column_bytes(s, 3));
	f->anchor_neuron_id = nm_xstrdup((const char *)sqlite3_column_text(s, 4));
	f->time_start = nm__col_time(s, 5);
	f->time_end = nm__col_time(s, 6);
	f->coherence = sqlite3_column_double(s, 7);
	f->salience = sqlite3_column_double(s, 8);
	f->frequency = sqlite3_column_int64(s, 9);
	f->summary = nm_xstrdup((const char *)sqlite3_column_text(s, 10));
	nm_strv_unpack(&f->tags, sqlite3_column_blob(s, 11), (size_t)sqlite3_column_bytes(s, 11));
	f->metadata = nm_xstrdup((const char *)sqlite3_column_text(s, 12));
	f->created_at = sqlite3_column_int64(s, 13);
}

static int64_t strhash(const char *s)
{
	return (int64_t)nm_hash64(s, strlen(s));
}

/* Insert (or delete) the index entries of fiber `seq`. */
static int index_entries(sconn_t *c, int64_t seq, const nm_strv_t *neurons, const nm_strv_t *tags,
                         int64_t t0, int64_t t1, bool insert, nm_err_t *err)
{
	const nm_strv_t *lists[2] = {neurons, tags};
	const sq_id_t ids[2][2] = {{SQ_FN_DELETE, SQ_FN_INSERT}, {SQ_FT_DELETE, SQ_FT_INSERT}};
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++) {
			sqlite3_stmt *s = nm__sq(c, ids[l][insert], err);
			if (!s)
				return -NM_ST_INTERNAL;
			sqlite3_bind_int64(s, 1, strhash(lists[l]->v[i]));
			sqlite3_bind_int64(s, 2, seq);
			int rc = nm__sq_exec(c, s, err);
			if (rc < 0)
				return rc;
		}
	}
	if (t0 == NM_TIME_NONE || t1 == NM_TIME_NONE)
		return 0;
	sqlite3_stmt *s = nm__sq(c, insert ? SQ_FTIME_INSERT : SQ_FTIME_DELETE, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, seq);
	if (insert) {
		sqlite3_bind_double(s, 2, (double)(t0 / NM_USEC_PER_SEC));
		sqlite3_bind_double(s, 3, (double)(t1 / NM_USEC_PER_SEC));
	}
	return nm__sq_exec(c, s, err);
}

/* Bind ?2 … ?13 (everything but the key) of insert and update. */
static void bind_fiber(sqlite3_stmt *s, const nm_fiber_t *f, char **blobs)
{
	size_t n0, n1, n2;
	blobs[0] = nm_strv_pack(&f->neuron_ids, &n0);
	blobs[1] = nm_strv_pack(&f->synapse_ids, &n1);
	blobs[2] = nm_strv_pack(&f->tags, &n2);
	nm__bind_blob(s, 2, blobs[0], n0);
	nm__bind_blob(s, 3, blobs[1], n1);
	sqlite3_bind_text(s, 4, f->anchor_neuron_id, -1, SQLITE_STATIC);
	nm__bind_time(s, 5, f->time_start);
	nm__bind_time(s, 6, f->time_end);
	sqlite3_bind_double(s, 7, f->coherence);
	sqlite3_bind_double(s, 8, f->salience);
	sqlite3_bind_int64(s, 9, f->frequency);
	nm__bind_text(s, 10, f->summary);
	nm__bind_blob(s, 11, blobs[2], n2);
	sqlite3_bind_text(s, 12, f->metadata ? f->metadata : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 13, f->created_at);
}

static void free_blobs(char **blobs)
{
	for (int i = 0; i < 3; i++)
		free(blobs[i]);
}

int nm__sq_fiber_add(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	sqlite3_stmt *s = nm__sq(c, SQ_FIBER_INSERT, err);
	if (!s)
		return -NM_ST_INTERNAL;
	char *blobs[3];
	sqlite3_bind_text(s, 1, f->id, -1, SQLITE_STATIC);
	bind_fiber(s, f, blobs);
	int rc = nm__sq_exec(c, s, err);
	free_blobs(blobs);
	if (rc == -NM_ST_CONFLICT)
		return nm__exists(err, "Fiber", f->id);
	if (rc < 0)
		return rc;
	int64_t seq = sqlite3_last_insert_rowid(c->db);
	rc = index_entries(c, seq, &f->neuron_ids, &f->tags, f->time_start, f->time_end, true, err);
	if (rc == 0)
		rc = nm__sq_fiber_text(c, seq, f, false, err);
	return rc < 0 ? rc : nm__sq_counter(c, "fibers", 1, err);
}

int nm__sq_fiber_get(nm_tx_t *tx, const char *id, nm_fiber_t *out, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	sqlite3_stmt *s = nm__sq(c, SQ_FIBER_GET, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW)
		row_fiber(s, out);
	else
		ret = rc == SQLITE_DONE ? nm__not_found(err, "Fiber", id) : nm__sq_fail(c, rc, err);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

/* The stored fiber's row number and indexed fields; 404 when absent. */
static int fiber_key(sconn_t *c, const char *id, nm_fiber_key_t *k, nm_err_t *err)
{
	memset(k, 0, sizeof *k);
	sqlite3_stmt *s = nm__sq(c, SQ_FIBER_SEQ, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW) {
		k->seq = sqlite3_column_int64(s, 0);
		nm_strv_unpack(&k->neurons, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1));
		nm_strv_unpack(&k->tags, sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2));
		k->t0 = nm__col_time(s, 3);
		k->t1 = nm__col_time(s, 4);
		k->anchor = nm_xstrdup((const char *)sqlite3_column_text(s, 5));
		k->summary = nm_xstrdup((const char *)sqlite3_column_text(s, 6));
	} else {
		ret = rc == SQLITE_DONE ? nm__not_found(err, "Fiber", id) : nm__sq_fail(c, rc, err);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}


/* Look-up rows are rewritten only when what they are made of changed:
 * reinforcement updates fibers on every query, changing counters only. */
int nm__sq_fiber_update(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	nm_fiber_key_t k;
	int rc = fiber_key(c, f->id, &k, err);
	bool reindex = rc == 0 && !(nm_strv_eq(&k.neurons, &f->neuron_ids) && nm_strv_eq(&k.tags, &f->tags) &&
	                            k.t0 == f->time_start && k.t1 == f->time_end);
	bool retext = rc == 0 && nm__fiber_retext(k.anchor, k.summary, f);
	if (reindex)
		rc = index_entries(c, k.seq, &k.neurons, &k.tags, k.t0, k.t1, false, err);
	if (rc == 0) {
		sqlite3_stmt *s = nm__sq(c, SQ_FIBER_UPDATE, err);
		char *blobs[3];
		if (!s) {
			rc = -NM_ST_INTERNAL;
		} else {
			sqlite3_bind_int64(s, 1, k.seq);
			bind_fiber(s, f, blobs);
			rc = nm__sq_exec(c, s, err);
			free_blobs(blobs);
		}
	}
	if (rc == 0 && reindex)
		rc = index_entries(c, k.seq, &f->neuron_ids, &f->tags, f->time_start, f->time_end, true, err);
	if (rc == 0 && retext)
		rc = nm__sq_fiber_text(c, k.seq, f, true, err);
	nm__fiber_key_clear(&k);
	return rc;
}

int nm__sq_fiber_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	nm_fiber_key_t k;
	int rc = fiber_key(c, id, &k, err);
	if (rc == 0)
		rc = index_entries(c, k.seq, &k.neurons, &k.tags, k.t0, k.t1, false, err);
	sqlite3_stmt *s;
	if (rc == 0 && (s = nm__sq(c, SQ_FIBER_DELETE, err))) {
		sqlite3_bind_int64(s, 1, k.seq);
		rc = nm__sq_exec(c, s, err);
	}
	if (rc == 0 && (s = nm__sq(c, SQ_FFTS_DELETE, err))) {
		sqlite3_bind_int64(s, 1, k.seq);
		rc = nm__sq_exec(c, s, err);
	}
	if (rc == 0)
		rc = nm__sq_counter(c, "fibers", -1, err);
	if (rc == 0 && (s = nm__sq(c, SQ_TM_DELETE, err))) {
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		rc = nm__sq_exec(c, s, err);
		if (rc == 0 && sqlite3_changes(c->db)) {
			tx->rows++;
			rc = nm__sq_counter(c, "typed_memories", -1, err);
		}
	}
	nm__fiber_key_clear(&k);
	return rc;
}


static const char *fiber_scan_sql(unsigned filters, nm_fiber_order_t order, bool desc, char *buf, size_t cap)
{
	/* With a neuron, drive the scan from its fiber_neurons entries: they
	 * are in fiber order, so "first/newest N holding neuron X" reads N. */
	size_t n = filters & NM_FSCAN_NEURON
		? (size_t)snprintf(buf, cap, "SELECT " FIBER_COLS " FROM fiber_neurons fn JOIN fibers ON fibers.seq = fn.fiber"
		                             " WHERE fn.nhash = ?1")
		: (size_t)snprintf(buf, cap, "SELECT " FIBER_COLS " FROM fibers WHERE 1");
	if (filters & NM_FSCAN_TIME)
		n += (size_t)snprintf(buf + n, cap - n,
		                      " AND seq IN (SELECT id FROM fiber_time WHERE t0 <= ?3 AND t1 >= ?2)"
		                      " AND time_start <= ?5 AND time_end >= ?4");
	if (filters & NM_FSCAN_TAGS) /* the first tag narrows; the C re-check covers all of them */
		n += (size_t)snprintf(buf + n, cap - n, " AND seq IN (SELECT fiber FROM fiber_tags WHERE thash = ?6)");
	if (filters & NM_FSCAN_SALIENCE)
		n += (size_t)snprintf(buf + n, cap - n, " AND salience >= ?7");
	static const char *const cols[] = {"created_at", "salience", "frequency"};
	if (order == NM_ORDER_INSERTION)
		snprintf(buf + n, cap - n, " ORDER BY %s %s", filters & NM_FSCAN_NEURON ? "fn.fiber" : "seq", desc ? "DESC" : "ASC");
	else
		snprintf(buf + n, cap - n, " ORDER BY %s %s, seq", cols[order], desc ? "DESC" : "ASC");
	return buf;
}

int nm__sq_fiber_scan(nm_tx_t *tx, const nm_fiber_filter_t *f, nm_fiber_cb cb, void *arg, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	unsigned filters;
	int ord;
	bool desc;
	unsigned variant = nm__fiber_scan_plan(f, &filters, &ord, &desc);
	char sql[768];
	sqlite3_stmt *s = nm__sq_dyn(c, &c->fscan[variant], fiber_scan_sql(filters, (nm_fiber_order_t)ord, desc, sql,
	                                                                    sizeof sql), err);
	if (!s)
		return -NM_ST_INTERNAL;
	if (filters & NM_FSCAN_NEURON)
		sqlite3_bind_int64(s, 1, strhash(f->contains_neuron));
	if (filters & NM_FSCAN_TIME) {
		/* Box corners in whole seconds, widened by one so that flooring
		 * never excludes a candidate; the exact test follows in SQL. */
		sqlite3_bind_double(s, 2, (double)(f->time_start / NM_USEC_PER_SEC - 1));
		sqlite3_bind_double(s, 3, (double)(f->time_end / NM_USEC_PER_SEC + 1));
		sqlite3_bind_int64(s, 4, f->time_start);
		sqlite3_bind_int64(s, 5, f->time_end);
	}
	if (filters & NM_FSCAN_TAGS)
		sqlite3_bind_int64(s, 6, strhash(f->tags->v[0]));
	if (filters & NM_FSCAN_SALIENCE)
		sqlite3_bind_double(s, 7, f->min_salience);
	int64_t skip = f->offset, left = f->limit > 0 ? f->limit : -1;
	int rc, ret = 0;
	while (left != 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		nm_fiber_t fb;
		row_fiber(s, &fb);
		if (nm__fiber_matches(&fb, f)) {
			if (skip > 0)
				skip--;
			else {
				if (left > 0)
					left--;
				ret = cb(arg, &fb);
			}
		}
		nm_fiber_clear(&fb);
		if (ret)
			break;
	}
	if (left == 0)
		rc = SQLITE_DONE;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (ret)
		return ret;
	return rc == SQLITE_DONE ? 0 : nm__sq_fail(c, rc, err);
}

int nm__sq_fiber_text(sconn_t *c, int64_t seq, const nm_fiber_t *f, bool replace, nm_err_t *err)
{
	sqlite3_stmt *s;
	int rc = 0;
	if (replace) {
		if (!(s = nm__sq(c, SQ_FFTS_DELETE, err)))
			return -NM_ST_INTERNAL;
		sqlite3_bind_int64(s, 1, seq);
		if ((rc = nm__sq_exec(c, s, err)) < 0)
			return rc;
	}
	sqlite3_stmt *ins = nm__sq(c, SQ_FFTS_INSERT, err);
	if (!ins)
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(ins, 1, seq);
	if (f->summary && *f->summary)
		return sqlite3_bind_text(ins, 2, f->summary, -1, SQLITE_STATIC), nm__sq_exec(c, ins, err);
	if (!(s = nm__sq(c, SQ_ANCHOR_TEXT, err)))
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, f->anchor_neuron_id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		/* bind a copy: the anchor row's memory goes with the reset */
		sqlite3_bind_text64(ins, 2, (const char *)sqlite3_column_text(s, 0), (sqlite3_uint64)sqlite3_column_bytes(s, 0),
		                    SQLITE_TRANSIENT, SQLITE_UTF8);
		rc = nm__sq_exec(c, ins, err);
	} else {
		sqlite3_reset(ins);
		sqlite3_clear_bindings(ins);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/* Rows of a fiber statement, owned, with their row numbers. */
typedef struct fiber_rows {
	nm_fiber_t *v;
	int64_t *seq;
	double *score;
	size_t n;
} fiber_rows_t;

static int read_rows(sconn_t *c, sqlite3_stmt *s, int score_col, fiber_rows_t *out, nm_err_t *err)
{
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		out->v = nm_xrealloc(out->v, sizeof *out->v * (out->n + 1));
		out->seq = nm_xrealloc(out->seq, sizeof *out->seq * (out->n + 1));
		out->score = nm_xrealloc(out->score, sizeof *out->score * (out->n + 1));
		row_fiber(s, &out->v[out->n]);
		out->seq[out->n] = sqlite3_column_int64(s, 0);
		out->score[out->n] = score_col >= 0 ? sqlite3_column_double(s, score_col) : 0;
		out->n++;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : nm__sq_fail(c, rc, err);
}

static void rows_free(fiber_rows_t *r)
{
	for (size_t i = 0; i < r->n; i++)
		nm_fiber_clear(&r->v[i]);
	free(r->v);
	free(r->seq);
	free(r->score);
}

int nm__sq_fiber_nearest(nm_tx_t *tx, int64_t ts, int64_t max_dist, int64_t k, nm_fiber_cb cb, void *arg,
                         nm_err_t *err)
{
	static const char before[] = "SELECT " FIBER_COLS " FROM fibers WHERE time_start <= ?1 AND time_start >= ?2"
	                             " ORDER BY time_start DESC, seq DESC LIMIT ?3";
	static const char after[] = "SELECT " FIBER_COLS " FROM fibers WHERE time_start > ?1 AND time_start <= ?2"
	                            " ORDER BY time_start ASC, seq DESC LIMIT ?3";
	sconn_t *c = SC(tx);
	fiber_rows_t lo = {0}, hi = {0};
	sqlite3_stmt *s = nm__sq_dyn(c, &c->fscan[240], before, err);
	int rc = s ? 0 : -NM_ST_INTERNAL;
	if (rc == 0) {
		sqlite3_bind_int64(s, 1, ts);
		sqlite3_bind_int64(s, 2, ts - max_dist);
		sqlite3_bind_int64(s, 3, k);
		rc = read_rows(c, s, -1, &lo, err);
	}
	if (rc == 0 && !(s = nm__sq_dyn(c, &c->fscan[241], after, err)))
		rc = -NM_ST_INTERNAL;
	if (rc == 0) {
		sqlite3_bind_int64(s, 1, ts);
		sqlite3_bind_int64(s, 2, ts + max_dist);
		sqlite3_bind_int64(s, 3, k);
		rc = read_rows(c, s, -1, &hi, err);
	}
	if (rc == 0)
		rc = nm__fiber_nearest_merge(ts, k, lo.v, lo.seq, lo.n, hi.v, hi.seq, hi.n, cb, arg);
	rows_free(&lo);
	rows_free(&hi);
	return rc;
}

/* Terms as an FTS5 query: each a quoted string, OR-ed. */
static char *match_expr(const nm_strv_t *terms)
{
	nm_buf_t b = {0};
	for (size_t i = 0; i < terms->n; i++) {
		if (i)
			nm_buf_puts(&b, " OR ");
		nm_buf_putc(&b, '"');
		for (const char *p = terms->v[i]; *p; p++) {
			if (*p == '"')
				nm_buf_putc(&b, '"');
			nm_buf_putc(&b, *p);
		}
		nm_buf_putc(&b, '"');
	}
	return nm_buf_steal(&b, NULL);
}

int nm__sq_fiber_search(nm_tx_t *tx, const nm_strv_t *terms, int64_t k, nm_fiber_score_cb cb, void *arg,
                        nm_err_t *err)
{
	/* top k inside FTS5 first, then the join: joining every match before
	 * the sort costs a row look-up per matching fiber */
	static const char sql[] = "SELECT f.seq, f.id, f.neuron_ids, f.synapse_ids, f.anchor_id, f.time_start,"
	                          " f.time_end, f.coherence, f.salience, f.frequency, f.summary, f.tags, f.metadata,"
	                          " f.created_at, s.score FROM (SELECT rowid, -bm25(fiber_fts) AS score FROM fiber_fts"
	                          " WHERE fiber_fts MATCH ?1 ORDER BY bm25(fiber_fts), rowid DESC LIMIT ?2) s"
	                          " JOIN fibers f ON f.seq = s.rowid ORDER BY s.score DESC, f.seq DESC";
	if (!terms->n)
		return 0;
	sconn_t *c = SC(tx);
	sqlite3_stmt *s = nm__sq_dyn(c, &c->fscan[242], sql, err);
	if (!s)
		return -NM_ST_INTERNAL;
	char *expr = match_expr(terms);
	sqlite3_bind_text(s, 1, expr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, k);
	fiber_rows_t r = {0};
	int rc = read_rows(c, s, 14, &r, err);
	free(expr);
	for (size_t i = 0; rc == 0 && i < r.n; i++)
		rc = cb(arg, &r.v[i], r.score[i]);
	rows_free(&r);
	return rc;
}

int nm__sq_fiber_search_text(nm_tx_t *tx, const char *fiber_id, char **text, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	sqlite3_stmt *s = nm__sq(c, SQ_FFTS_TEXT, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, fiber_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*text = nm_xstrndup((const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : nm__sq_fail(c, rc, err);
}

typedef struct cursor_arg {
	nm_fiber_seq_cb cb;
	void *arg;
} cursor_arg_t;

static int cursor_row(sqlite3_stmt *s, void *p)
{
	cursor_arg_t *a = p;
	nm_fiber_t f;
	row_fiber(s, &f);
	int rc = a->cb(a->arg, sqlite3_column_int64(s, 0), &f);
	nm_fiber_clear(&f);
	return rc;
}

int nm__sq_fiber_cursor(nm_tx_t *tx, int64_t after, int64_t limit, nm_fiber_seq_cb cb, void *arg, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_FIBER_CURSOR, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1);
	cursor_arg_t a = {cb, arg};
	return nm__sq_each(SC(tx), s, cursor_row, &a, err);
}
