/*
 * store_sqlite_neuron.c — neurons and neuron states in the SQLite backend.
 *
 * A neuron is one row of `neurons` (its row number `seq` is its creation
 * order), one row of `neuron_states` with the same seq, and one entry of
 * the trigram index `neurons_fts` holding lower(content). The three change
 * together, in the caller's transaction. Exact-content look-ups go through
 * the 64-bit content hash index and compare the content itself.
 */
#include "store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "mem.h"
#include "text.h"

/* Borrowed neuron from the current row of a "seq, id, type, content,
 * metadata, created_at" result. */
static void row_neuron(sqlite3_stmt *s, nm_neuron_t *n);

typedef struct neuron_cb_arg {
	nm_neuron_cb cb;
	void *arg;
} neuron_cb_arg_t;

static int neuron_row(sqlite3_stmt *s, void *arg)
{
	neuron_cb_arg_t *a = arg;
	nm_neuron_t n;
	row_neuron(s, &n);
	return a->cb(a->arg, &n);
}

static void row_neuron(sqlite3_stmt *s, nm_neuron_t *n)
{
	n->id = (char *)sqlite3_column_text(s, 1);
	n->type = (nm_neuron_type_t)sqlite3_column_int(s, 2);
	n->content = (char *)sqlite3_column_text(s, 3);
	n->content_len = (size_t)sqlite3_column_bytes(s, 3);
	if (!n->content)
		n->content = "";
	n->metadata = (char *)sqlite3_column_text(s, 4);
	n->created_at = sqlite3_column_int64(s, 5);
}

static int fts(sconn_t *c, sq_id_t which, int64_t seq, const char *content, size_t len, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(c, which, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_text64(s, 2, content, len, SQLITE_STATIC, SQLITE_UTF8);
	return nm__sq_exec(c, s, err);
}

static void bind_neuron_body(sqlite3_stmt *s, const nm_neuron_t *n)
{
	sqlite3_bind_int(s, 2, (int)n->type);
	sqlite3_bind_text64(s, 3, n->content, n->content_len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)nm_hash64(n->content, n->content_len));
	sqlite3_bind_text(s, 5, n->metadata ? n->metadata : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, n->created_at);
	sqlite3_bind_int64(s, 7, nm__sq_key_hash(n->content, n->content_len));
}

/* The time_spans row of a time neuron (or its absence otherwise). A
 * fresh row number has no old row to remove. (Not INSERT OR REPLACE: each
 * one opened a statement savepoint whose release took a fifth of encode
 * time at 30k memories, growing with the brain.) */
static int put_span(sconn_t *c, int64_t seq, const nm_neuron_t *n, bool fresh, nm_err_t *err)
{
	int64_t t0, t1;
	bool has = n->type == NM_NEURON_TIME && nm__time_span(n->metadata ? n->metadata : "{}", &t0, &t1);
	int rc = 0;
	sqlite3_stmt *s;
	if (!fresh) {
		if (!(s = nm__sq(c, SQ_SPAN_DELETE, err)))
			return -NM_ST_INTERNAL;
		sqlite3_bind_int64(s, 1, seq);
		if ((rc = nm__sq_exec(c, s, err)) < 0)
			return rc;
	}
	if (!has)
		return 0;
	if (!(s = nm__sq(c, SQ_SPAN_PUT, err)))
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, t0);
	sqlite3_bind_int64(s, 3, t1);
	if ((rc = nm__sq_exec(c, s, err)) < 0)
		return rc;
	if (!(s = nm__sq(c, SQ_SPAN_MAX, err)))
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, t1 - t0);
	return nm__sq_exec(c, s, err);
}

int nm__sq_neuron_add(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	sqlite3_stmt *s = nm__sq(c, SQ_NEURON_INSERT, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, n->id, -1, SQLITE_STATIC);
	bind_neuron_body(s, n);
	int rc = nm__sq_exec(c, s, err);
	if (rc == -NM_ST_CONFLICT)
		return nm__exists(err, "Neuron", n->id);
	if (rc < 0)
		return rc;
	int64_t seq = sqlite3_last_insert_rowid(c->db);
	s = nm__sq(c, SQ_STATE_INSERT, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_double(s, 2, 0.0);
	sqlite3_bind_int64(s, 3, 0);
	sqlite3_bind_null(s, 4);
	sqlite3_bind_double(s, 5, NM_STATE_DEFAULT_DECAY);
	sqlite3_bind_int64(s, 6, nm_time_now());
	if ((rc = nm__sq_exec(c, s, err)) < 0)
		return rc;
	if ((rc = fts(c, SQ_FTS_INSERT, seq, n->content, n->content_len, err)) < 0)
		return rc;
	if ((rc = put_span(c, seq, n, true, err)) < 0)
		return rc;
	return nm__sq_counter(c, "neurons", 1, err);
}

/* Run SQ_NEURON_GET for id; on a row, cb gets the borrowed neuron. */
static int with_neuron(sconn_t *c, const char *id, int (*cb)(sconn_t *, sqlite3_stmt *, const nm_neuron_t *,
                                                              void *, nm_err_t *), void *arg, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(c, SQ_NEURON_GET, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	int ret;
	if (rc == SQLITE_ROW) {
		nm_neuron_t n;
		row_neuron(s, &n);
		ret = cb(c, s, &n, arg, err);
	} else if (rc == SQLITE_DONE) {
		ret = nm__not_found(err, "Neuron", id);
	} else {
		ret = nm__sq_fail(c, rc, err);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

static int copy_out(sconn_t *c, sqlite3_stmt *s, const nm_neuron_t *n, void *arg, nm_err_t *err)
{
	nm_neuron_copy(arg, n);
	return 0;
}

int nm__sq_neuron_get(nm_tx_t *tx, const char *id, nm_neuron_t *out, nm_err_t *err)
{
	return with_neuron(SC(tx), id, copy_out, out, err);
}

/* The old row's seq and content, copied out before the row changes. */
typedef struct old_row {
	int64_t seq;
	char *content;
	size_t len;
} old_row_t;

static int take_old(sconn_t *c, sqlite3_stmt *s, const nm_neuron_t *n, void *arg, nm_err_t *err)
{
	old_row_t *o = arg;
	o->seq = sqlite3_column_int64(s, 0);
	o->content = nm_xstrndup(n->content, n->content_len);
	o->len = n->content_len;
	return 0;
}

int nm__sq_neuron_update(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	old_row_t old = {0};
	int rc = with_neuron(c, n->id, take_old, &old, err);
	if (rc < 0)
		return rc;
	sqlite3_stmt *s = nm__sq(c, SQ_NEURON_UPDATE, err);
	if (!s) {
		rc = -NM_ST_INTERNAL;
		goto done;
	}
	sqlite3_bind_int64(s, 1, old.seq);
	bind_neuron_body(s, n);
	if ((rc = nm__sq_exec(c, s, err)) < 0)
		goto done;
	if (old.len != n->content_len || memcmp(old.content, n->content, old.len) != 0) {
		rc = fts(c, SQ_FTS_DELETE, old.seq, old.content, old.len, err);
		if (rc == 0)
			rc = fts(c, SQ_FTS_INSERT, old.seq, n->content, n->content_len, err);
	}
	if (rc == 0)
		rc = put_span(c, old.seq, n, false, err);
done:
	free(old.content);
	return rc;
}

int nm__sq_neuron_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	old_row_t old = {0};
	int rc = with_neuron(c, id, take_old, &old, err);
	if (rc < 0)
		return rc;
	static const sq_id_t steps[] = {SQ_SYN_DELETE_TOUCHING, SQ_STATE_DELETE, SQ_SPAN_DELETE, SQ_NEURON_DELETE};
	int64_t synapses = 0;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0] && rc == 0; i++) {
		sqlite3_stmt *s = nm__sq(c, steps[i], err);
		if (!s) {
			rc = -NM_ST_INTERNAL;
			break;
		}
		sqlite3_bind_int64(s, 1, old.seq);
		rc = nm__sq_exec(c, s, err);
		if (i == 0)
			synapses = sqlite3_changes64(c->db);
	}
	if (rc == 0)
		rc = fts(c, SQ_FTS_DELETE, old.seq, old.content, old.len, err);
	if (rc == 0 && synapses)
		rc = nm__sq_counter(c, "synapses", -synapses, err);
	if (rc == 0)
		rc = nm__sq_counter(c, "neurons", -1, err);
	tx->rows += synapses;
	free(old.content);
	return rc;
}

int nm__sq_neuron_exists(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	int64_t seq = nm__sq_neuron_seq(SC(tx), id, err);
	return seq < 0 ? (int)seq : seq > 0;
}

/* Filter bits of the neuron scan statement variants. */
enum { NF_TYPE = 1, NF_FTS = 2, NF_INSTR = 4, NF_EXACT = 8, NF_TIME = 16, NF_WINDOW = 32, NF_KEY = 64 };

static const char *neuron_scan_sql(unsigned mask, char *buf, size_t cap)
{
	/* A substring alone: the trigram index's matches in row order, joined
	 * one by one, so a LIMIT stops early (IN (subquery) collects every
	 * match first: thousands for a common word). With a type too, the IN
	 * form: the type index then skips the matches of other types. */
	bool stream = (mask & NF_FTS) && !(mask & NF_TYPE);
	size_t n = (size_t)snprintf(buf, cap, "SELECT seq, id, type, content, metadata, created_at FROM %s WHERE 1",
	                            stream ? "(SELECT rowid AS r FROM neurons_fts WHERE neurons_fts MATCH ?2"
	                                     " ORDER BY rowid) f JOIN neurons ON seq = f.r"
	                                   : "neurons");
	if (mask & NF_TYPE)
		n += (size_t)snprintf(buf + n, cap - n, " AND type = ?1");
	if ((mask & NF_FTS) && !stream)
		n += (size_t)snprintf(buf + n, cap - n,
		                      " AND seq IN (SELECT rowid FROM neurons_fts WHERE neurons_fts MATCH ?2)");
	if (mask & NF_INSTR)
		n += (size_t)snprintf(buf + n, cap - n, " AND instr(nm_lower(content), ?3) > 0");
	if (mask & NF_EXACT)
		n += (size_t)snprintf(buf + n, cap - n, " AND chash = ?4 AND content = ?5");
	if (mask & NF_TIME)
		n += (size_t)snprintf(buf + n, cap - n, " AND created_at BETWEEN ?6 AND ?7");
	if (mask & NF_KEY)
		n += (size_t)snprintf(buf + n, cap - n, " AND lhash = ?10 AND nm_key(content) = ?11");
	n += (size_t)snprintf(buf + n, cap - n, stream ? " ORDER BY f.r" : " ORDER BY seq");
	if (mask & NF_WINDOW)
		snprintf(buf + n, cap - n, " LIMIT ?8 OFFSET ?9");
	return buf;
}

/* The needle as an FTS5 string literal: "…" with inner quotes doubled. */
static char *fts_phrase(const char *s, size_t n)
{
	nm_buf_t b = {0};
	nm_buf_putc(&b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			nm_buf_putc(&b, '"');
		nm_buf_putc(&b, s[i]);
	}
	nm_buf_putc(&b, '"');
	return nm_buf_steal(&b, NULL);
}

int nm__sq_neuron_scan(nm_tx_t *tx, const nm_neuron_filter_t *f, nm_neuron_cb cb, void *arg, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	unsigned mask = 0;
	size_t ncp = 0;
	if (f->type >= 0)
		mask |= NF_TYPE;
	if (f->contains) {
		/* The trigram index answers needles of three or more characters
		 * (and cannot hold NUL); shorter ones are checked row by row. */
		nm_utf8_valid(f->contains, f->contains_len, &ncp);
		mask |= ncp >= 3 && !memchr(f->contains, 0, f->contains_len) ? NF_FTS : NF_INSTR;
	}
	if (f->exact)
		mask |= NF_EXACT;
	if (f->time_start != NM_TIME_NONE)
		mask |= NF_TIME;
	if (f->limit > 0 || f->offset > 0)
		mask |= NF_WINDOW;
	if (f->key)
		mask |= NF_KEY;
	char sql[640];
	sqlite3_stmt *s = nm__sq_dyn(c, &c->nscan[mask], neuron_scan_sql(mask, sql, sizeof sql), err);
	if (!s)
		return -NM_ST_INTERNAL;
	char *phrase = NULL;
	if (mask & NF_TYPE)
		sqlite3_bind_int(s, 1, f->type);
	if (mask & NF_FTS) {
		phrase = fts_phrase(f->contains, f->contains_len);
		sqlite3_bind_text(s, 2, phrase, -1, SQLITE_STATIC);
	}
	if (mask & NF_INSTR)
		sqlite3_bind_text64(s, 3, f->contains, f->contains_len, SQLITE_STATIC, SQLITE_UTF8);
	if (mask & NF_EXACT) {
		sqlite3_bind_int64(s, 4, (sqlite3_int64)nm_hash64(f->exact, f->exact_len));
		sqlite3_bind_text64(s, 5, f->exact, f->exact_len, SQLITE_STATIC, SQLITE_UTF8);
	}
	if (mask & NF_TIME) {
		sqlite3_bind_int64(s, 6, f->time_start);
		sqlite3_bind_int64(s, 7, f->time_end);
	}
	if (mask & NF_WINDOW) {
		sqlite3_bind_int64(s, 8, f->limit > 0 ? f->limit : -1);
		sqlite3_bind_int64(s, 9, f->offset);
	}
	if (mask & NF_KEY) { /* f->key is already nm_text_key()ed (store_ops.c) */
		sqlite3_bind_int64(s, 10, (sqlite3_int64)nm_hash64(f->key, f->key_len));
		sqlite3_bind_text64(s, 11, f->key, f->key_len, SQLITE_STATIC, SQLITE_UTF8);
	}
	neuron_cb_arg_t a = {cb, arg};
	int rc = nm__sq_each(c, s, neuron_row, &a, err);
	free(phrase);
	return rc;
}

int nm__sq_time_spans(nm_tx_t *tx, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_neuron_cb cb, void *arg,
                      nm_err_t *err)
{
	sconn_t *c = SC(tx);
	sqlite3_stmt *s = nm__sq(c, exact ? SQ_SPAN_EXACT : SQ_SPAN_OVERLAP, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, t0);
	sqlite3_bind_int64(s, 2, t1);
	sqlite3_bind_int64(s, 3, limit > 0 ? limit : -1);
	neuron_cb_arg_t a = {cb, arg};
	return nm__sq_each(c, s, neuron_row, &a, err);
}

int nm__sq_state_get(nm_tx_t *tx, const char *id, nm_state_t *out, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	sqlite3_stmt *s = nm__sq(c, SQ_STATE_GET, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW) {
		out->neuron_id = nm_xstrdup(id);
		out->activation_level = sqlite3_column_double(s, 0);
		out->access_frequency = sqlite3_column_int64(s, 1);
		out->last_activated = nm__col_time(s, 2);
		out->decay_rate = sqlite3_column_double(s, 3);
		out->created_at = sqlite3_column_int64(s, 4);
	} else {
		ret = rc == SQLITE_DONE ? nm__not_found(err, "Neuron", id) : nm__sq_fail(c, rc, err);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int nm__sq_state_put(nm_tx_t *tx, const nm_state_t *st, nm_err_t *err)
{
	sconn_t *c = SC(tx);
	int64_t seq = nm__sq_neuron_seq(c, st->neuron_id, err);
	if (seq < 0)
		return (int)seq;
	if (seq == 0)
		return nm__not_found(err, "Neuron", st->neuron_id);
	sqlite3_stmt *s = nm__sq(c, SQ_STATE_PUT, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_double(s, 2, st->activation_level);
	sqlite3_bind_int64(s, 3, st->access_frequency);
	nm__bind_time(s, 4, st->last_activated);
	sqlite3_bind_double(s, 5, st->decay_rate);
	sqlite3_bind_int64(s, 6, st->created_at);
	return nm__sq_exec(c, s, err);
}
