/*
 * store_sqlite_lifecycle.c — the sqlite backend's lifecycle cursors (decay
 * and orphan scans) and its kv table (store.h "lifecycle", "kv").
 *
 * Cursors are row numbers: neuron_states share their neuron's seq, so both
 * scans walk a primary key from `after` and never skip or repeat a row
 * however the caller batches them. Orphans are checked against
 * fiber_neurons by the neuron id's hash: a hash shared with another
 * neuron's fiber keeps a neuron (conservative, never a wrong delete).
 */
#include "store_sqlite.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

typedef struct decay_arg {
	nm_decay_cb cb;
	void *arg;
} decay_arg_t;

static int decay_row(sqlite3_stmt *s, void *p)
{
	decay_arg_t *a = p;
	nm_decay_row_t r = {
		.seq = sqlite3_column_int64(s, 0),
		.id = (const char *)sqlite3_column_text(s, 1),
		.value = sqlite3_column_double(s, 2),
		.last_activated = nm__col_time(s, 3),
		.decayed_at = nm__col_time(s, 4),
		.created_at = sqlite3_column_int64(s, 5),
	};
	return a->cb(a->arg, &r);
}

int nm__sq_decay_scan(nm_tx_t *tx, nm_decay_kind_t kind, int64_t after, int64_t limit, nm_decay_cb cb, void *arg,
                      nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), kind == NM_DECAY_NEURONS ? SQ_DECAY_SCAN_N : SQ_DECAY_SCAN_S, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1);
	decay_arg_t a = {cb, arg};
	return nm__sq_each(SC(tx), s, decay_row, &a, err);
}

int nm__sq_decay_set(nm_tx_t *tx, nm_decay_kind_t kind, int64_t seq, double value, int64_t decayed_at,
                     nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), kind == NM_DECAY_NEURONS ? SQ_DECAY_SET_N : SQ_DECAY_SET_S, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_double(s, 2, value);
	nm__bind_time(s, 3, decayed_at);
	return nm__sq_exec(SC(tx), s, err);
}

typedef struct orphan_arg {
	nm_orphan_cb cb;
	void *arg;
} orphan_arg_t;

static int orphan_row(sqlite3_stmt *s, void *p)
{
	orphan_arg_t *a = p;
	return a->cb(a->arg, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1));
}

int nm__sq_orphan_scan(nm_tx_t *tx, int64_t after, int64_t limit, nm_orphan_cb cb, void *arg, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_ORPHAN_SCAN, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1);
	orphan_arg_t a = {cb, arg};
	return nm__sq_each(SC(tx), s, orphan_row, &a, err);
}

static int clock_row(sqlite3_stmt *s, void *p)
{
	*(int64_t *)p = nm__col_time(s, 0);
	return 1;
}

int nm__sq_decay_clock(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, int64_t *out, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), kind == NM_DECAY_NEURONS ? SQ_CLOCK_N : SQ_CLOCK_S, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	*out = NM_TIME_NONE;
	int rc = nm__sq_each(SC(tx), s, clock_row, out, err);
	return rc < 0 ? rc : 0;
}

int nm__sq_decay_clock_set(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, int64_t t, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), kind == NM_DECAY_NEURONS ? SQ_CLOCK_SET_N : SQ_CLOCK_SET_S, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	nm__bind_time(s, 2, t);
	return nm__sq_exec(SC(tx), s, err);
}

static int64_t pragma(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Pages of every table and index but kv (which holds the archive), by the
 * dbstat table; without dbstat, the pages not on the free list. */
int64_t nm__sq_used_bytes(nm_tx_t *tx)
{
	sqlite3 *db = SC(tx)->db;
	int64_t v = pragma(db, "SELECT coalesce(sum(pgsize), -1) FROM dbstat WHERE name <> 'kv'");
	if (v > 0)
		return v;
	return (pragma(db, "PRAGMA page_count") - pragma(db, "PRAGMA freelist_count")) * pragma(db, "PRAGMA page_size");
}

static int text_row(sqlite3_stmt *s, void *p)
{
	*(char **)p = nm_xstrdup((const char *)sqlite3_column_text(s, 0));
	return 1;
}

int nm__sq_typed_memory_get(nm_tx_t *tx, const char *fiber_id, char **json, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_TM_GET, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, fiber_id, -1, SQLITE_STATIC);
	*json = NULL;
	int rc = nm__sq_each(SC(tx), s, text_row, json, err);
	return rc < 0 ? rc : *json != NULL;
}

/* ---- kv ---- */

int nm__sq_kv_put(nm_tx_t *tx, const char *key, const void *val, size_t len, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_KV_PUT, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	nm__bind_blob(s, 2, val, len);
	return nm__sq_exec(SC(tx), s, err);
}

typedef struct kv_out {
	char *val;
	size_t len;
} kv_out_t;

static int kv_get_row(sqlite3_stmt *s, void *p)
{
	kv_out_t *o = p;
	o->len = (size_t)sqlite3_column_bytes(s, 0);
	o->val = nm_xmalloc(o->len + 1);
	if (o->len)
		memcpy(o->val, sqlite3_column_blob(s, 0), o->len);
	o->val[o->len] = 0;
	return 1;
}

int nm__sq_kv_get(nm_tx_t *tx, const char *key, char **val, size_t *len, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_KV_GET, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	kv_out_t o = {0};
	int rc = nm__sq_each(SC(tx), s, kv_get_row, &o, err);
	if (rc < 0)
		return rc;
	*val = o.val;
	*len = o.len;
	return o.val != NULL;
}

int nm__sq_kv_del(nm_tx_t *tx, const char *key, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_KV_DEL, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int rc = nm__sq_exec(SC(tx), s, err);
	return rc < 0 ? rc : sqlite3_changes(SC(tx)->db) > 0;
}

typedef struct kv_scan_arg {
	const char *prefix;
	size_t plen;
	nm_kv_cb cb;
	void *arg;
	int ret;
} kv_scan_arg_t;

static int kv_scan_row(sqlite3_stmt *s, void *p)
{
	kv_scan_arg_t *a = p;
	const char *k = (const char *)sqlite3_column_text(s, 0);
	if (strncmp(k, a->prefix, a->plen) != 0)
		return 1; /* past the prefix: done */
	a->ret = a->cb(a->arg, k, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1));
	return a->ret;
}

int nm__sq_kv_scan(nm_tx_t *tx, const char *prefix, const char *after, nm_kv_cb cb, void *arg, nm_err_t *err)
{
	sqlite3_stmt *s = nm__sq(SC(tx), SQ_KV_SCAN, err);
	if (!s)
		return -NM_ST_INTERNAL;
	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, after ? after : "", -1, SQLITE_STATIC);
	kv_scan_arg_t a = {prefix, strlen(prefix), cb, arg, 0};
	int rc = nm__sq_each(SC(tx), s, kv_scan_row, &a, err);
	return rc < 0 ? rc : a.ret;
}
