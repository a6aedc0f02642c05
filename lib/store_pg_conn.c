/*
 * store_pg_conn.c — the postgres backend's plumbing: connection pools,
 * statement preparation and execution, parameters and result columns.
 *
 * Statements use the extended protocol with text parameters, except bytea
 * values (neuron contents may hold NUL bytes), which go in binary. Every
 * statement is prepared once per connection under a fixed name the first
 * time that connection runs it; the SQL texts live in store_pg.c
 * (fixed_sql) and in the scan builders of the object files.
 *
 * Pools: a connection belongs to its pool and is used by one transaction
 * at a time. The pool creates connections up to its bound on demand and
 * makes callers wait beyond it. A connection found broken when taken is
 * reset (its prepared statements are gone with the server session).
 */
#include "store_pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isotime.h"
#include "mem.h"

extern const char *const nm__pg_fixed_sql[PQ__COUNT];

#define NM_PG_POOL_WAIT_S 30 /* longest wait for a pooled connection before 503 */

/* ---- parameters ---- */

static const char **slot(pgp_t *p)
{
	if (p->n >= PG_MAXP)
		abort(); /* a statement with more parameters than PG_MAXP is a programming error */
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->owned[p->n] = NULL;
	return &p->v[p->n++];
}

void pgp_int(pgp_t *p, int64_t v)
{
	int i = p->n;
	snprintf(p->num[i], sizeof p->num[i], "%lld", (long long)v);
	*slot(p) = p->num[i];
}

void pgp_dbl(pgp_t *p, double v)
{
	int i = p->n;
	/* 17 significant digits: the value comes back bit for bit */
	snprintf(p->num[i], sizeof p->num[i], "%.17g", v);
	*slot(p) = p->num[i];
}

void pgp_time(pgp_t *p, int64_t t)
{
	if (t == NM_TIME_NONE)
		*slot(p) = NULL;
	else
		pgp_int(p, t);
}

void pgp_text(pgp_t *p, const char *s)
{
	*slot(p) = s;
}

void pgp_take(pgp_t *p, char *s)
{
	int i = p->n;
	*slot(p) = s;
	p->owned[i] = s;
}

void pgp_bin(pgp_t *p, const void *data, size_t n)
{
	int i = p->n;
	*slot(p) = n ? data : "";
	p->len[i] = (int)n;
	p->fmt[i] = 1;
}

void pgp_text_array(pgp_t *p, char *const *v, size_t n)
{
	nm_buf_t b = {0};
	nm_buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		nm_buf_puts(&b, i ? ",\"" : "\"");
		for (const char *s = v[i]; *s; s++) {
			if (*s == '"' || *s == '\\')
				nm_buf_putc(&b, '\\');
			nm_buf_putc(&b, *s);
		}
		nm_buf_putc(&b, '"');
	}
	nm_buf_putc(&b, '}');
	pgp_take(p, nm_buf_steal(&b, NULL));
}

void pgp_strv(pgp_t *p, const nm_strv_t *v)
{
	size_t n;
	char *packed = nm_strv_pack(v, &n);
	pgp_bin(p, packed, n);
	p->owned[p->n - 1] = packed;
}

void pgp_int_array(pgp_t *p, const int64_t *v, size_t n)
{
	nm_buf_t b = {0};
	nm_buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++)
		nm_buf_printf(&b, "%s%lld", i ? "," : "", (long long)v[i]);
	nm_buf_putc(&b, '}');
	pgp_take(p, nm_buf_steal(&b, NULL));
}

void pgp_free(pgp_t *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->owned[i]);
	p->n = 0;
}

/* ---- errors ---- */

int nm__pg_fail(pconn_t *c, const PGresult *r, nm_err_t *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg)
		msg = c ? PQerrorMessage(c->pg) : "no connection";
	if (state && strncmp(state, "23", 2) == 0)
		return nm_err_set(err, NM_ST_CONFLICT, "constraint (%s)", msg);
	/* connection lost, server shutting down or out of resources,
	 * serialization failures and deadlocks: worth retrying later */
	if (!c || PQstatus(c->pg) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57", 2) == 0 || strncmp(state, "53", 2) == 0 || strncmp(state, "40", 2) == 0)
		return nm_err_set(err, NM_ST_UNAVAILABLE, "storage unavailable (postgres: %s)", msg);
	return nm_err_set(err, NM_ST_INTERNAL, "Internal error (storage: postgres %s: %s)", state, msg);
}

/* ---- statements ---- */

PGresult *nm__pg_run_dyn(pconn_t *c, bool *prepared, const char *name, const char *sql, pgp_t *p, nm_err_t *err)
{
	PGresult *r;
	if (!*prepared) {
		r = PQprepare(c->pg, name, sql, 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			nm__pg_fail(c, r, err);
			PQclear(r);
			pgp_free(p);
			return NULL;
		}
		PQclear(r);
		*prepared = true;
	}
	r = PQexecPrepared(c->pg, name, p->n, p->v, p->len, p->fmt, 0);
	pgp_free(p);
	ExecStatusType s = PQresultStatus(r);
	if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
		return r;
	nm__pg_fail(c, r, err);
	PQclear(r);
	return NULL;
}

PGresult *nm__pg_run(pconn_t *c, pq_id_t id, pgp_t *p, nm_err_t *err)
{
	char name[16];
	snprintf(name, sizeof name, "f%d", (int)id);
	return nm__pg_run_dyn(c, &c->prepared[id], name, nm__pg_fixed_sql[id], p, err);
}

int64_t nm__pg_exec(pconn_t *c, pq_id_t id, pgp_t *p, nm_err_t *err)
{
	PGresult *r = nm__pg_run(c, id, p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	const char *n = PQcmdTuples(r);
	int64_t rows = *n ? strtoll(n, NULL, 10) : 0;
	PQclear(r);
	return rows;
}

/* ---- result columns ---- */

int64_t nm__pg_i64(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

double nm__pg_dbl(const PGresult *r, int row, int col)
{
	return strtod(PQgetvalue(r, row, col), NULL);
}

int64_t nm__pg_time(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NM_TIME_NONE : nm__pg_i64(r, row, col);
}

const char *nm__pg_str(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : 0;
}

/* bytea_output = 'hex' is set on every connection: "\x" then two hex
 * digits per byte. */
char *nm__pg_bytea(const PGresult *r, int row, int col, size_t *len)
{
	const char *s = PQgetvalue(r, row, col);
	size_t n = (size_t)PQgetlength(r, row, col);
	if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
		s += 2;
		n -= 2;
	}
	char *out = nm_xmalloc(n / 2 + 1);
	for (size_t i = 0; i + 1 < n; i += 2)
		out[i / 2] = (char)(hexval(s[i]) << 4 | hexval(s[i + 1]));
	out[n / 2] = 0;
	if (len)
		*len = n / 2;
	return out;
}

void nm__pg_strv(const PGresult *r, int row, int col, nm_strv_t *out)
{
	size_t n;
	char *packed = nm__pg_bytea(r, row, col, &n);
	nm_strv_unpack(out, packed, n);
	free(packed);
}

/* ---- pools ---- */

/* Limits that turn a hung server, a dead peer or a stuck node into errors
 * (503) instead of waits: the server drops a session whose client
 * vanished within ~25 s (keepalives) or that sits in a transaction for 10
 * minutes (its locks go with it); a lock wait — another node's writer on
 * the same brain — or a statement gives up after 60 s / 5 minutes. */
#define NM_PG_SESSION_LIMITS "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5;" \
	" SET tcp_keepalives_count = 3; SET idle_in_transaction_session_timeout = '10min';" \
	" SET lock_timeout = '60s'; SET statement_timeout = '5min'"
/* The client side: connecting gives up after 10 s, and a server that stops
 * answering is found out by keepalives / unacknowledged data within ~30 s.
 * Values in the URL override these (they come after). */
static const char *const conn_keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                                        "keepalives_count", "tcp_user_timeout", "dbname", NULL};

PGconn *nm_pg_connect(const char *url)
{
	const char *vals[] = {"10", "1", "10", "5", "3", "30000", url, NULL};
	return PQconnectdbParams(conn_keys, vals, 1);
}

/* The session settings of every connection (again after a reset). */
static bool session_setup(const ppool_t *pool, PGconn *pg, nm_err_t *err)
{
	char sql[512];
	snprintf(sql, sizeof sql, "SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; " NM_PG_SESSION_LIMITS "%s%s%s",
	         pool->sync_commit ? "; SET synchronous_commit = '" : "", pool->sync_commit ? pool->sync_commit : "",
	         pool->sync_commit ? "'" : "");
	PGresult *r = PQexec(pg, sql);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		nm_err_set(err, NM_ST_UNAVAILABLE, "storage unavailable (postgres: %s)", PQerrorMessage(pg));
	PQclear(r);
	return ok;
}

static pconn_t *conn_open(ppool_t *pool, nm_err_t *err)
{
	PGconn *pg = nm_pg_connect(pool->url);
	if (PQstatus(pg) != CONNECTION_OK) {
		nm_err_set(err, NM_ST_UNAVAILABLE, "storage unavailable (postgres: cannot connect: %s)",
		           PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	if (!session_setup(pool, pg, err)) {
		PQfinish(pg);
		return NULL;
	}
	pconn_t *c = nm_xcalloc(1, sizeof *c);
	c->pg = pg;
	return c;
}

static void conn_close(pconn_t *c)
{
	PQfinish(c->pg);
	free(c);
}

void nm__pg_pool_init(ppool_t *pool, const char *url, const char *sync_commit, int max)
{
	memset(pool, 0, sizeof *pool);
	pool->url = url ? nm_xstrdup(url) : NULL;
	pool->sync_commit = sync_commit && *sync_commit ? nm_xstrdup(sync_commit) : NULL;
	pool->max = max > 0 ? max : 8;
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->cv, NULL);
}

void nm__pg_pool_free(ppool_t *pool)
{
	while (pool->free) {
		pconn_t *c = pool->free;
		pool->free = c->next_free;
		conn_close(c);
	}
	pthread_mutex_destroy(&pool->mu);
	pthread_cond_destroy(&pool->cv);
	free(pool->url);
	free(pool->sync_commit);
}

bool nm__pg_reset(const ppool_t *pool, pconn_t *c, nm_err_t *err)
{
	PQreset(c->pg); /* a new session: the prepared statements are gone */
	memset(c->prepared, 0, sizeof c->prepared);
	memset(c->nscan, 0, sizeof c->nscan);
	memset(c->sscan, 0, sizeof c->sscan);
	memset(c->fscan, 0, sizeof c->fscan);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		nm_err_set(err, NM_ST_UNAVAILABLE, "storage unavailable (postgres: %s)", PQerrorMessage(c->pg));
		return false;
	}
	return session_setup(pool, c->pg, err);
}

pconn_t *nm__pg_take(ppool_t *pool, nm_err_t *err)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += NM_PG_POOL_WAIT_S;
	pthread_mutex_lock(&pool->mu);
	for (;;) {
		if (pool->free) {
			pconn_t *c = pool->free;
			pool->free = c->next_free;
			pthread_mutex_unlock(&pool->mu);
			if (PQstatus(c->pg) == CONNECTION_OK || nm__pg_reset(pool, c, err))
				return c;
			nm__pg_give(pool, c);
			return NULL;
		}
		if (pool->n < pool->max) {
			pool->n++;
			pthread_mutex_unlock(&pool->mu);
			pconn_t *c = conn_open(pool, err);
			if (!c) {
				pthread_mutex_lock(&pool->mu);
				pool->n--;
				pthread_cond_signal(&pool->cv);
				pthread_mutex_unlock(&pool->mu);
			}
			return c;
		}
		if (pthread_cond_timedwait(&pool->cv, &pool->mu, &deadline) == ETIMEDOUT && !pool->free &&
		    pool->n >= pool->max) {
			pthread_mutex_unlock(&pool->mu);
			nm_err_set(err, NM_ST_UNAVAILABLE, "storage busy: no free postgres connection for %d s (pg.pool_size)",
			           NM_PG_POOL_WAIT_S);
			return NULL;
		}
	}
}

void nm__pg_give(ppool_t *pool, pconn_t *c)
{
	pthread_mutex_lock(&pool->mu);
	c->next_free = pool->free;
	pool->free = c;
	pthread_cond_signal(&pool->cv);
	pthread_mutex_unlock(&pool->mu);
}

int nm__pg_simple(pconn_t *c, const char *sql, PGresult **out, nm_err_t *err)
{
	PGresult *r = PQexec(c->pg, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		int rc = nm__pg_fail(c, r, err);
		PQclear(r);
		return rc;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}
