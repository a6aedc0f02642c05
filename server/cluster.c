/*
 * cluster.c — what makes several nmemd nodes on one PostgreSQL database
 * one service (storage = postgres): the notification channel between
 * nodes, cluster-wide leases and per-brain job locks. README "Running a
 * cluster" states the guarantees.
 *
 * One thread owns one connection (conn) that LISTENs on two channels:
 *   nmemd_catalog  a node created, changed or deleted a brain: the
 *                  registry is brought up to the catalog
 *                  (nm_store_catalog_sync);
 *   nmemd_events   a node's /sync/ws event: delivered to this node's
 *                  subscribers (srv_sync_remote) unless it came from here.
 * The same thread sends this node's events (srv_cluster_publish queues
 * them; a pipe wakes the thread): pg_notify with a JSON payload, or, past
 * NOTIFY's 8000 bytes, a row of nm_events whose id is notified. After a
 * lost connection it reconnects (once a second) and re-syncs the catalog,
 * since notifications sent meanwhile are gone.
 *
 * Graph indexes and query caches need no notification: every query reads
 * the brain's generation first (nm_brain_sync), so a node answers with
 * every write acknowledged anywhere before the query began.
 *
 * Leases (srv_cluster_lease) and job locks (srv_cluster_job_lock) use a
 * second connection, `cmd`, guarded by cmd_mu, from worker threads.
 */
#include "internal.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isotime.h"
#include "uuid.h"

#define NOTIFY_MAX 7900               /* NOTIFY payloads must stay under 8000 bytes */
#define NM_PG_LOCK_JOB 0x6e6d6a62     /* advisory lock class of lifecycle jobs ("nmjb") */

typedef struct outgoing {
	char *payload;
	struct outgoing *next;
} outgoing_t;

struct srv_cluster {
	srv_ctx_t *ctx;
	char *node;                       /* this process: node id + a random suffix */
	pthread_t thread;
	int wake[2];                      /* pipe: queued events, or stop */
	pthread_mutex_t mu;               /* guards out, stop */
	outgoing_t *out, *out_tail;
	bool stop;
	PGconn *conn;                     /* the thread's */
	pthread_mutex_t cmd_mu;
	PGconn *cmd;                      /* leases, job locks */
};

static PGconn *connect_to(const char *url)
{
	PGconn *c = nm_pg_connect(url);
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* ---- incoming ---- */

static void on_event(srv_cluster_t *cl, const char *payload)
{
	json_t *ev = json_loads(payload, 0, NULL);
	const char *node = json_string_value(json_object_get(ev, "n"));
	const char *brain = json_string_value(json_object_get(ev, "b"));
	const char *type = json_string_value(json_object_get(ev, "t"));
	const json_t *data = json_object_get(ev, "d");
	if (node && brain && type && strcmp(node, cl->node) != 0)
		srv_sync_remote(cl->ctx, brain, type, data && !json_is_null(data) ? nm_json_text(data) : NULL,
		                json_string_value(json_object_get(ev, "s")));
	json_decref(ev);
}

/* A large event: its row in nm_events. */
static void on_event_ref(srv_cluster_t *cl, const char *id)
{
	const char *v[1] = {id};
	PGresult *r = PQexecParams(cl->conn, "SELECT payload FROM nm_events WHERE id = $1", 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		on_event(cl, PQgetvalue(r, 0, 0));
	PQclear(r);
}

static void take_notifications(srv_cluster_t *cl)
{
	PGnotify *n;
	bool catalog = false;
	while ((n = PQnotifies(cl->conn))) {
		if (!strcmp(n->relname, "nmemd_catalog"))
			catalog = true;
		else if (n->extra[0] == '@')
			on_event_ref(cl, n->extra + 1);
		else
			on_event(cl, n->extra);
		PQfreemem(n);
	}
	nm_err_t err = {0};
	if (catalog && nm_store_catalog_sync(cl->ctx->store, &err) < 0)
		srv_log("cluster: catalog sync failed: %s", err.detail);
}

/* ---- outgoing ---- */

static void send_event(srv_cluster_t *cl, const char *payload)
{
	PGresult *r;
	if (strlen(payload) <= NOTIFY_MAX) {
		const char *v[1] = {payload};
		r = PQexecParams(cl->conn, "SELECT pg_notify('nmemd_events', $1)", 1, NULL, v, NULL, NULL, 0);
	} else {
		const char *v[1] = {payload};
		r = PQexecParams(cl->conn,
		                 "WITH old AS (DELETE FROM nm_events WHERE created_at < now() - interval '5 minutes'),"
		                 " e AS (INSERT INTO nm_events (payload) VALUES ($1) RETURNING id)"
		                 " SELECT pg_notify('nmemd_events', '@' || id) FROM e",
		                 1, NULL, v, NULL, NULL, 0);
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		srv_log("cluster: event not sent to other nodes: %s", PQerrorMessage(cl->conn));
	PQclear(r);
}

void srv_cluster_publish(srv_cluster_t *cl, const char *brain_id, const char *type, const char *data,
                         const char *source)
{
	if (!cl)
		return;
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "n");
	nm_jw_str(&w, cl->node);
	nm_jw_key(&w, "b");
	nm_jw_str(&w, brain_id);
	nm_jw_key(&w, "t");
	nm_jw_str(&w, type);
	nm_jw_key(&w, "d");
	if (data)
		nm_jw_raw(&w, data);
	else
		nm_jw_null(&w);
	nm_jw_key(&w, "s");
	if (source)
		nm_jw_str(&w, source);
	else
		nm_jw_null(&w);
	nm_jw_obj_end(&w);
	outgoing_t *o = nm_xcalloc(1, sizeof *o);
	o->payload = nm_buf_steal(&w.buf, NULL);
	nm_jw_free(&w);
	pthread_mutex_lock(&cl->mu);
	if (cl->out_tail)
		cl->out_tail->next = o;
	else
		cl->out = o;
	cl->out_tail = o;
	pthread_mutex_unlock(&cl->mu);
	ssize_t n = write(cl->wake[1], "e", 1);
	(void)n; /* a full pipe already holds a wake-up */
}

/* Send what is queued; false when asked to stop. */
static bool drain_out(srv_cluster_t *cl)
{
	char buf[64];
	while (read(cl->wake[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&cl->mu);
	outgoing_t *o = cl->out;
	cl->out = cl->out_tail = NULL;
	bool stop = cl->stop;
	pthread_mutex_unlock(&cl->mu);
	while (o) {
		outgoing_t *next = o->next;
		if (cl->conn)
			send_event(cl, o->payload); /* without a connection, other nodes miss it (logged below) */
		free(o->payload);
		free(o);
		o = next;
	}
	return !stop;
}

/* ---- the thread ---- */

static bool listen_on(srv_cluster_t *cl)
{
	PGresult *r = PQexec(cl->conn, "LISTEN nmemd_catalog; LISTEN nmemd_events");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok;
}

static void *run(void *arg)
{
	srv_cluster_t *cl = arg;
	bool warned = false;
	for (;;) {
		if (!cl->conn) {
			cl->conn = connect_to(cl->ctx->cfg.pg_url);
			if (cl->conn && listen_on(cl)) {
				nm_err_t err = {0};
				if (nm_store_catalog_sync(cl->ctx->store, &err) < 0) /* what was missed meanwhile */
					srv_log("cluster: catalog sync failed: %s", err.detail);
				if (warned)
					srv_log("cluster: notification channel back");
				warned = false;
			} else if (cl->conn) {
				PQfinish(cl->conn);
				cl->conn = NULL;
			}
			if (!cl->conn && !warned) {
				srv_log("cluster: no notification channel to postgres (retrying each second): events from "
				        "other nodes are not relayed meanwhile");
				warned = true;
			}
		}
		struct pollfd p[2] = {{cl->wake[0], POLLIN, 0}, {cl->conn ? PQsocket(cl->conn) : -1, POLLIN, 0}};
		poll(p, cl->conn ? 2 : 1, cl->conn ? -1 : 1000);
		if (!drain_out(cl))
			break;
		if (cl->conn) { /* sending may have read notifications too: always look */
			if (!PQconsumeInput(cl->conn) || PQstatus(cl->conn) != CONNECTION_OK) {
				PQfinish(cl->conn);
				cl->conn = NULL;
				continue;
			}
			take_notifications(cl);
		}
	}
	if (cl->conn)
		PQfinish(cl->conn);
	return NULL;
}

srv_cluster_t *srv_cluster_new(srv_ctx_t *ctx)
{
	if (!nm_store_clustered(ctx->store))
		return NULL;
	srv_cluster_t *cl = nm_xcalloc(1, sizeof *cl);
	cl->ctx = ctx;
	char rnd[NM_UUID_BUFSZ];
	cl->node = *ctx->cfg.node_id ? nm_xasprintf("%s/%.8s", ctx->cfg.node_id, nm_uuid4(rnd))
	                             : nm_xasprintf("%s:%d/%.8s", ctx->cfg.host, ctx->cfg.port, nm_uuid4(rnd));
	pthread_mutex_init(&cl->mu, NULL);
	pthread_mutex_init(&cl->cmd_mu, NULL);
	if (pipe2(cl->wake, O_NONBLOCK | O_CLOEXEC) < 0)
		abort();
	/* listening before the node answers its first request: an event sent
	 * by another node after this one is up is never missed */
	cl->conn = connect_to(ctx->cfg.pg_url);
	if (cl->conn && !listen_on(cl)) {
		PQfinish(cl->conn);
		cl->conn = NULL;
	}
	pthread_create(&cl->thread, NULL, run, cl);
	return cl;
}

void srv_cluster_free(srv_cluster_t *cl)
{
	if (!cl)
		return;
	pthread_mutex_lock(&cl->mu);
	cl->stop = true;
	pthread_mutex_unlock(&cl->mu);
	ssize_t n = write(cl->wake[1], "s", 1);
	(void)n;
	pthread_join(cl->thread, NULL);
	for (outgoing_t *o = cl->out, *next; o; o = next) {
		next = o->next;
		free(o->payload);
		free(o);
	}
	if (cl->cmd)
		PQfinish(cl->cmd);
	close(cl->wake[0]);
	close(cl->wake[1]);
	pthread_mutex_destroy(&cl->mu);
	pthread_mutex_destroy(&cl->cmd_mu);
	free(cl->node);
	free(cl);
}

const char *srv_cluster_node(const srv_cluster_t *cl)
{
	return cl ? cl->node : NULL;
}

/* ---- leases and job locks ---- */

/* Run one statement on cmd (reconnected when lost); its result or NULL. */
static PGresult *cmd_run(srv_cluster_t *cl, const char *sql, int n, const char *const *v)
{
	pthread_mutex_lock(&cl->cmd_mu);
	if (cl->cmd && PQstatus(cl->cmd) != CONNECTION_OK) {
		PQfinish(cl->cmd);
		cl->cmd = NULL;
	}
	if (!cl->cmd)
		cl->cmd = connect_to(cl->ctx->cfg.pg_url);
	PGresult *r = cl->cmd ? PQexecParams(cl->cmd, sql, n, NULL, v, NULL, NULL, 0) : NULL;
	pthread_mutex_unlock(&cl->cmd_mu);
	if (r && PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
		srv_log("cluster: %s", PQresultErrorMessage(r));
		PQclear(r);
		r = NULL;
	}
	return r;
}

bool srv_cluster_lease(srv_cluster_t *cl, const char *name, double seconds)
{
	if (!cl)
		return true;
	char now[24], until[24];
	int64_t t = nm_time_now();
	snprintf(now, sizeof now, "%lld", (long long)t);
	snprintf(until, sizeof until, "%lld", (long long)(t + (int64_t)(seconds * 1e6)));
	const char *v[4] = {name, cl->node, now, until};
	PGresult *r = cmd_run(cl,
	                      "INSERT INTO nm_leases (name, holder, until) VALUES ($1, $2, $4) ON CONFLICT (name)"
	                      " DO UPDATE SET holder = excluded.holder, until = excluded.until"
	                      " WHERE nm_leases.until < $3::bigint RETURNING 1",
	                      4, v);
	bool ok = r && PQntuples(r) == 1;
	PQclear(r);
	return ok;
}

struct srv_joblock {
	PGconn *conn;                     /* holds the session lock; closing it releases the lock */
};

srv_joblock_t *srv_cluster_job_lock(srv_cluster_t *cl, const char *brain_id, bool *busy)
{
	*busy = false;
	if (!cl)
		return NULL;
	PGconn *c = connect_to(cl->ctx->cfg.pg_url);
	if (!c)
		return NULL; /* postgres unreachable: the job fails on its own storage errors */
	char cls[16];
	snprintf(cls, sizeof cls, "%d", NM_PG_LOCK_JOB);
	const char *v[2] = {cls, brain_id};
	PGresult *r = PQexecParams(c,
	                           "SELECT pg_try_advisory_lock($1::int, s.b) FROM nm_brains r"
	                           " JOIN nm_bstate s ON s.file = r.file WHERE r.id = $2",
	                           2, NULL, v, NULL, NULL, 0);
	bool got = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	*busy = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !got;
	PQclear(r);
	if (!got) {
		PQfinish(c);
		return NULL;
	}
	srv_joblock_t *l = nm_xcalloc(1, sizeof *l);
	l->conn = c;
	return l;
}

void srv_cluster_job_unlock(srv_joblock_t *l)
{
	if (!l)
		return;
	PQfinish(l->conn);
	free(l);
}
