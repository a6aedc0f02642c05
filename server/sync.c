/*
 * sync.c — /sync/ws messages, subscriptions and event fan-out; GET
 * /sync/stats (PROTOCOL.md §3.9). WebSocket framing is ws.c.
 *
 * Clients: one per WebSocket connection, registered under a client id by
 * its `connect` message. Brains: an entry per brain that was subscribed
 * to, queried for history or sent an event: its subscribers and its last
 * HISTORY events (JSON text). Everything here is loop-thread state.
 *
 * Events reach the loop in one way, srv_sync_publish, callable from any
 * thread (workers after a commit, lifecycle jobs): a mutex-guarded list
 * and one uv_async, like finished jobs. The loop then appends each event
 * to its brain's history and writes it to every subscriber but its source.
 * A subscriber whose queue of unwritten frames is full (sync.max_queue)
 * gets one `error` {"error": "overflow"} event and is closed with 1008;
 * the others go on (events_dropped counts what it missed).
 *
 * Server events (sync.server_events, on by default): after every
 * successful REST write the connection layer calls srv_sync_after_job,
 * which maps the route to its event (neuron_created, memory_encoded, …)
 * with the answer as `data` — so an event is only ever sent after its
 * commit.
 */
#include "conn.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"

#define HISTORY 100                   /* events kept per brain */
#define NTYPES 20                     /* sync event types (event_types[]) */
#define HISTORY_REPLY 50              /* at most this many in a history answer */

typedef struct sbrain sbrain_t;

typedef struct client {
	srv_conn_t *c;
	char *id;                         /* NULL until `connect` */
	char *principal;                  /* from the upgrade request (auth on) */
	bool admin, auth_on;
	nm_strv_t brains;                 /* subscriptions */
	struct client *prev, *next;
} client_t;

struct sbrain {
	char *id;
	client_t **subs;
	size_t nsubs, capsubs;
	char *hist[HISTORY];              /* ring of SyncEvent JSON texts */
	int64_t hist_t[HISTORY];
	size_t hist_head, hist_n;
	uint64_t first_sub;               /* order of the first subscription (0 = never) */
};

typedef struct pending {
	char *brain_id, *type, *data, *source; /* data: JSON text; source: client id or NULL */
	const srv_conn_t *source_conn;
	bool remote;                      /* from another node (cluster.c): not published again */
	struct pending *next;
} pending_t;

struct srv_sync {
	srv_ctx_t *ctx;
	client_t *clients;
	int nclients, nconnected;
	nm_hmap_t brains;                 /* id → sbrain_t */
	nm_strv_t brain_ids;              /* owns the keys, in creation order */
	uint64_t sub_seq, next_client;
	uint64_t sent, dropped;
	uint64_t by_type[NTYPES];         /* events broadcast, per event_types[] entry */
	pthread_mutex_t mu;               /* guards head/tail */
	pending_t *head, *tail;
	uv_async_t async;
};

static const char *const event_types[NTYPES] = {
	"job_progress", "job_finished", "connected", "disconnected", "subscribed", "unsubscribed", "neuron_created",
	"neuron_updated", "neuron_deleted", "synapse_created", "synapse_updated", "synapse_deleted", "fiber_created",
	"fiber_updated", "fiber_deleted", "memory_encoded", "memory_queried", "full_sync", "partial_sync", "error",
};

/* Index of a sync event type in event_types[], or -1. */
static int event_type(const char *t)
{
	for (int i = 0; t && i < NTYPES; i++)
		if (strcmp(t, event_types[i]) == 0)
			return i;
	return -1;
}

static sbrain_t *brain_of(srv_sync_t *s, const char *id)
{
	sbrain_t *b = nm_hmap_get(&s->brains, id, strlen(id));
	if (!b) {
		b = nm_xcalloc(1, sizeof *b);
		b->id = nm_xstrdup(id);
		nm_strv_push(&s->brain_ids, b->id);
		nm_hmap_put(&s->brains, b->id, strlen(b->id), b);
	}
	return b;
}

/* A SyncEvent as JSON text (data: JSON text, or NULL for {}). */
static char *event_json(const char *type, const char *brain_id, int64_t t, const char *data, const char *source)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "type");
	nm_jw_str(&w, type);
	nm_jw_key(&w, "brain_id");
	nm_jw_str(&w, brain_id);
	nm_jw_key(&w, "timestamp");
	nm_jw_time(&w, t);
	nm_jw_key(&w, "data");
	nm_jw_raw(&w, data ? data : "{}");
	nm_jw_key(&w, "source_client_id");
	nm_jw_str(&w, source);
	nm_jw_obj_end(&w);
	return nm_buf_steal(&w.buf, NULL);
}

static void send_text(srv_sync_t *s, client_t *cl, const char *text)
{
	if (srv_ws_send(cl->c, text, strlen(text)))
		s->sent++;
}

/* Reply to one client with an event of its own. */
static void reply(srv_sync_t *s, client_t *cl, const char *type, const char *brain_id, const char *data)
{
	char *e = event_json(type, brain_id, nm_time_now(), data, NULL);
	send_text(s, cl, e);
	free(e);
}

/* ---- fan-out (loop thread) ---- */

static void remember(sbrain_t *b, const char *event, int64_t t)
{
	size_t slot = (b->hist_head + b->hist_n) % HISTORY;
	if (b->hist_n == HISTORY) {
		free(b->hist[b->hist_head]);
		slot = b->hist_head;
		b->hist_head = (b->hist_head + 1) % HISTORY;
	} else {
		b->hist_n++;
	}
	b->hist[slot] = nm_xstrdup(event);
	b->hist_t[slot] = t;
}

static void deliver(srv_sync_t *s, pending_t *p)
{
	int64_t now = nm_time_now();
	char *e = event_json(p->type, p->brain_id, now, p->data, p->source);
	int t = event_type(p->type);
	if (t >= 0)
		s->by_type[t]++;
	sbrain_t *b = nm_hmap_get(&s->brains, p->brain_id, strlen(p->brain_id));
	if (b) {
		remember(b, e, now);
		for (size_t i = 0; i < b->nsubs; i++) {
			client_t *cl = b->subs[i];
			if (cl->c == p->source_conn)
				continue;
			if (srv_ws_queued(cl->c) >= s->ctx->cfg.sync_max_queue) {
				s->dropped++;
				static const char overflow[] = "{\"error\": \"overflow\"}";
				char *oe = event_json("error", "*", now, overflow, NULL);
				srv_ws_send(cl->c, oe, strlen(oe)); /* past the bound, once, then close */
				free(oe);
				srv_ws_close(cl->c, 1008, "subscriber too slow");
				continue;
			}
			send_text(s, cl, e);
		}
	}
	free(e);
	if (!p->remote)
		srv_cluster_publish(s->ctx->cluster, p->brain_id, p->type, p->data, p->source);
}

static void pending_free(pending_t *p)
{
	free(p->brain_id);
	free(p->type);
	free(p->data);
	free(p->source);
	free(p);
}

static void on_async(uv_async_t *h)
{
	srv_sync_t *s = h->data;
	pthread_mutex_lock(&s->mu);
	pending_t *p = s->head;
	s->head = s->tail = NULL;
	pthread_mutex_unlock(&s->mu);
	while (p) {
		pending_t *next = p->next;
		deliver(s, p);
		pending_free(p);
		p = next;
	}
}

static void queue(srv_sync_t *s, pending_t *p)
{
	pthread_mutex_lock(&s->mu);
	if (s->tail)
		s->tail->next = p;
	else
		s->head = p;
	s->tail = p;
	pthread_mutex_unlock(&s->mu);
	uv_async_send(&s->async);
}

static void publish(srv_ctx_t *ctx, const char *brain_id, const char *type, char *data, const char *source,
                    bool remote)
{
	pending_t *p = nm_xcalloc(1, sizeof *p);
	p->brain_id = nm_xstrdup(brain_id);
	p->type = nm_xstrdup(type);
	p->data = data;
	p->source = source ? nm_xstrdup(source) : NULL;
	p->remote = remote;
	queue(ctx->sync, p);
}

void srv_sync_publish(srv_ctx_t *ctx, const char *brain_id, const char *type, char *data)
{
	if (!ctx->sync || !ctx->cfg.sync_server_events)
		free(data);
	else
		publish(ctx, brain_id, type, data, NULL, false);
}

void srv_sync_remote(srv_ctx_t *ctx, const char *brain_id, const char *type, char *data, const char *source)
{
	if (!ctx->sync)
		free(data);
	else
		publish(ctx, brain_id, type, data, source, true);
}

/* ---- subscriptions ---- */

static void unsubscribe(sbrain_t *b, client_t *cl)
{
	for (size_t i = 0; i < b->nsubs; i++)
		if (b->subs[i] == cl) {
			memmove(&b->subs[i], &b->subs[i + 1], sizeof *b->subs * (b->nsubs - i - 1));
			b->nsubs--;
			return;
		}
}

static bool subscribed(const client_t *cl, const char *brain_id)
{
	return nm_strv_has(&cl->brains, brain_id);
}

static void drop_subscriptions(srv_sync_t *s, client_t *cl)
{
	for (size_t i = 0; i < cl->brains.n; i++) {
		sbrain_t *b = nm_hmap_get(&s->brains, cl->brains.v[i], strlen(cl->brains.v[i]));
		if (b)
			unsubscribe(b, cl);
	}
	nm_strv_clear(&cl->brains);
}

/* May this client read (or write) brain id? Auth off: yes. */
static bool allowed(srv_sync_t *s, const client_t *cl, const char *id, bool write)
{
	if (!cl->auth_on)
		return true;
	nm_brain_t *b = nm_store_brain_get(s->ctx->store, id);
	bool ok = b && nm_brain_can(b, cl->principal, cl->admin, write);
	nm_brain_release(b);
	return ok;
}

/* {"success": ok, "client_id": id[, "error": err]} */
static char *status_data(bool ok, const char *client_id, const char *error)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "success");
	nm_jw_bool(&w, ok);
	if (client_id) {
		nm_jw_key(&w, "client_id");
		nm_jw_str(&w, client_id);
	}
	if (error) {
		nm_jw_key(&w, "error");
		nm_jw_str(&w, error);
	}
	nm_jw_obj_end(&w);
	return nm_buf_steal(&w.buf, NULL);
}

static void on_subscribe(srv_sync_t *s, client_t *cl, const char *brain_id)
{
	if (!allowed(s, cl, brain_id, false)) {
		char *d = status_data(false, cl->id, "forbidden");
		reply(s, cl, "error", brain_id, d);
		free(d);
		return;
	}
	sbrain_t *b = brain_of(s, brain_id);
	if (!subscribed(cl, brain_id)) {
		nm_strv_push(&cl->brains, nm_xstrdup(brain_id));
		if (b->nsubs == b->capsubs) {
			b->capsubs = b->capsubs ? b->capsubs * 2 : 4;
			b->subs = nm_xrealloc(b->subs, sizeof *b->subs * b->capsubs);
		}
		b->subs[b->nsubs++] = cl;
		if (!b->first_sub)
			b->first_sub = ++s->sub_seq;
	}
	char *d = status_data(true, cl->id, NULL);
	reply(s, cl, "subscribed", brain_id, d);
	free(d);
}

static void on_unsubscribe(srv_sync_t *s, client_t *cl, const char *brain_id)
{
	bool was = subscribed(cl, brain_id);
	if (was) {
		sbrain_t *b = nm_hmap_get(&s->brains, brain_id, strlen(brain_id));
		if (b)
			unsubscribe(b, cl);
		nm_strv_t keep = {0};
		for (size_t i = 0; i < cl->brains.n; i++)
			if (strcmp(cl->brains.v[i], brain_id) != 0)
				nm_strv_push(&keep, nm_xstrdup(cl->brains.v[i]));
		nm_strv_clear(&cl->brains);
		cl->brains = keep;
	}
	char *d = status_data(was, NULL, NULL);
	reply(s, cl, "unsubscribed", brain_id, d);
	free(d);
}

static void on_history(srv_sync_t *s, client_t *cl, const char *brain_id, const json_t *since)
{
	if (!allowed(s, cl, brain_id, false)) {
		char *d = status_data(false, cl->id, "forbidden");
		reply(s, cl, "error", brain_id, d);
		free(d);
		return;
	}
	int64_t t0 = NM_TIME_MIN;
	if (json_is_string(since))
		nm_time_parse(json_string_value(since), json_string_length(since), &t0);
	sbrain_t *b = brain_of(s, brain_id);
	size_t first = 0, n = b->hist_n;
	while (first < n && b->hist_t[(b->hist_head + first) % HISTORY] <= t0)
		first++;
	if (n - first > HISTORY_REPLY)
		first = n - HISTORY_REPLY;
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "type");
	nm_jw_str(&w, "history");
	nm_jw_key(&w, "brain_id");
	nm_jw_str(&w, brain_id);
	nm_jw_key(&w, "events");
	nm_jw_arr(&w);
	for (size_t i = first; i < n; i++)
		nm_jw_raw(&w, b->hist[(b->hist_head + i) % HISTORY]);
	nm_jw_arr_end(&w);
	nm_jw_obj_end(&w);
	send_text(s, cl, w.buf.data);
	nm_jw_free(&w);
}

/* A client's own event, broadcast to the brain's other subscribers. */
static bool on_event(srv_sync_t *s, client_t *cl, const json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *brain_id = json_string_value(json_object_get(ev, "brain_id"));
	if (!json_is_object(ev) || event_type(type) < 0 || !brain_id || !*brain_id)
		return false;
	if (!allowed(s, cl, brain_id, true)) {
		char *d = status_data(false, cl->id, "forbidden");
		reply(s, cl, "error", brain_id, d);
		free(d);
		return true;
	}
	const json_t *data = json_object_get(ev, "data");
	pending_t p = {.brain_id = (char *)brain_id, .type = (char *)type, .source = cl->id, .source_conn = cl->c};
	p.data = json_is_object(data) ? nm_json_text(data) : NULL;
	brain_of(s, brain_id);
	deliver(s, &p);
	free(p.data);
	return true;
}

/* A frame that is no message we understand: error event, close 1007. */
static void refuse(srv_sync_t *s, client_t *cl, const char *why)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "error");
	nm_jw_str(&w, why);
	nm_jw_obj_end(&w);
	reply(s, cl, "error", "*", w.buf.data);
	nm_jw_free(&w);
	srv_ws_close(cl->c, 1007, why);
}

void srv_sync_message(srv_conn_t *c, void *client, const char *text, size_t n)
{
	srv_sync_t *s = c->ctx->sync;
	client_t *cl = client;
	json_t *m = json_loadb(text, n, 0, NULL);
	const char *action = json_string_value(json_object_get(m, "action"));
	const json_t *bid = json_object_get(m, "brain_id");
	const char *brain_id = json_is_string(bid) && json_string_length(bid) ? json_string_value(bid) : NULL;
	if (!json_is_object(m)) {
		refuse(s, cl, "message is not a JSON object");
	} else if (action && strcmp(action, "ping") == 0) {
		send_text(s, cl, "{\"type\": \"pong\"}");
	} else if (action && strcmp(action, "connect") == 0) {
		const char *id = json_string_value(json_object_get(m, "client_id"));
		if (!cl->id)
			s->nconnected++;
		free(cl->id);
		cl->id = id && *id ? nm_xstrdup(id) : nm_xasprintf("client-%llu", (unsigned long long)++s->next_client);
		nm_jw_t w;
		nm_jw_init(&w);
		nm_jw_obj(&w);
		nm_jw_key(&w, "client_id");
		nm_jw_str(&w, cl->id);
		nm_jw_obj_end(&w);
		reply(s, cl, "connected", "*", w.buf.data);
		nm_jw_free(&w);
	} else if (!cl->id || !action) {
		/* before connect, or no action: ignored (upstream) */
	} else if (strcmp(action, "subscribe") == 0 && brain_id) {
		on_subscribe(s, cl, brain_id);
	} else if (strcmp(action, "unsubscribe") == 0 && brain_id) {
		on_unsubscribe(s, cl, brain_id);
	} else if (strcmp(action, "get_history") == 0 && brain_id) {
		on_history(s, cl, brain_id, json_object_get(m, "since"));
	} else if (strcmp(action, "event") == 0) {
		if (!on_event(s, cl, json_object_get(m, "event")))
			refuse(s, cl, "event: needs a sync event type and a brain_id");
	}
	json_decref(m);
}

/* ---- clients ---- */

void *srv_sync_join(srv_conn_t *c, const char *principal, bool admin)
{
	srv_sync_t *s = c->ctx->sync;
	client_t *cl = nm_xcalloc(1, sizeof *cl);
	cl->c = c;
	cl->principal = nm_xstrdup(principal);
	cl->admin = admin;
	cl->auth_on = c->ctx->cfg.auth_enabled;
	cl->next = s->clients;
	if (s->clients)
		s->clients->prev = cl;
	s->clients = cl;
	s->nclients++;
	return cl;
}

void srv_sync_gone(srv_conn_t *c, void *client)
{
	srv_sync_t *s = c->ctx->sync;
	client_t *cl = client;
	drop_subscriptions(s, cl);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		s->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	s->nclients--;
	if (cl->id)
		s->nconnected--;
	free(cl->id);
	free(cl->principal);
	free(cl);
}

/* ---- GET /sync/stats (loop thread) ---- */

static int by_first_sub(const void *a, const void *b)
{
	const sbrain_t *x = *(sbrain_t *const *)a, *y = *(sbrain_t *const *)b;
	return x->first_sub < y->first_sub ? -1 : x->first_sub > y->first_sub;
}

void srv_h_sync_stats(srv_job_t *job)
{
	srv_sync_t *s = job->ctx->sync;
	sbrain_t **v = nm_xmalloc(sizeof *v * (s->brain_ids.n + 1));
	size_t n = 0, hist = 0;
	for (size_t i = 0; i < s->brain_ids.n; i++) {
		sbrain_t *b = nm_hmap_get(&s->brains, s->brain_ids.v[i], strlen(s->brain_ids.v[i]));
		hist += b->hist_n;
		if (b->nsubs)
			v[n++] = b;
	}
	qsort(v, n, sizeof *v, by_first_sub);
	nm_jw_t w;
	srv_job_json(job, 200, &w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "connected_clients");
	nm_jw_int(&w, s->nconnected);
	nm_jw_key(&w, "brain_subscriptions");
	nm_jw_obj(&w);
	for (size_t i = 0; i < n; i++) {
		nm_jw_key(&w, v[i]->id);
		nm_jw_int(&w, (int64_t)v[i]->nsubs);
	}
	nm_jw_obj_end(&w);
	nm_jw_key(&w, "event_history_size");
	nm_jw_int(&w, (int64_t)hist);
	nm_jw_key(&w, "events_sent");
	nm_jw_int(&w, (int64_t)s->sent);
	nm_jw_key(&w, "events_dropped");
	nm_jw_int(&w, (int64_t)s->dropped);
	nm_jw_obj_end(&w);
	srv_job_json_done(job, &w);
	free(v);
}

/* ---- /metrics (loop thread) ---- */

void srv_sync_metrics(const srv_sync_t *s, nm_buf_t *b)
{
	nm_buf_printf(b, "# HELP nmemd_ws_connections Open WebSocket connections.\n# TYPE nmemd_ws_connections gauge\n"
	                 "nmemd_ws_connections %d\n", s->nclients);
	nm_buf_puts(b, "# HELP nmemd_sync_events_total Sync events broadcast, by type.\n"
	               "# TYPE nmemd_sync_events_total counter\n");
	for (int i = 0; i < NTYPES; i++)
		nm_buf_printf(b, "nmemd_sync_events_total{type=\"%s\"} %llu\n", event_types[i],
		              (unsigned long long)s->by_type[i]);
}

/* ---- server events after REST writes ---- */

/* The event a successful write route produces, or NULL. */
static const char *route_event(const srv_job_t *job, bool *deleted)
{
	static const struct {
		int method;
		const char *tmpl, *type;
	} map[] = {
		{HTTP_POST, "/memory/neurons", "neuron_created"},
		{HTTP_PUT, "/memory/neurons/{neuron_id}", "neuron_updated"},
		{HTTP_PUT, "/memory/neurons/{neuron_id}/state", "neuron_updated"},
		{HTTP_DELETE, "/memory/neurons/{neuron_id}", "neuron_deleted"},
		{HTTP_POST, "/memory/synapses", "synapse_created"},
		{HTTP_PUT, "/memory/synapses/{synapse_id}", "synapse_updated"},
		{HTTP_DELETE, "/memory/synapses/{synapse_id}", "synapse_deleted"},
		{HTTP_POST, "/memory/fibers", "fiber_created"},
		{HTTP_PUT, "/memory/fibers/{fiber_id}", "fiber_updated"},
		{HTTP_DELETE, "/memory/fibers/{fiber_id}", "fiber_deleted"},
		{HTTP_POST, "/memory/encode", "memory_encoded"},
		{HTTP_POST, "/memory/encode/batch", "memory_encoded"},
		{HTTP_POST, "/brain/{brain_id}/import", "full_sync"},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (job->route->method == map[i].method && strcmp(job->route->tmpl, map[i].tmpl) == 0) {
			*deleted = map[i].method == HTTP_DELETE;
			return map[i].type;
		}
	return NULL;
}

void srv_sync_after_job(srv_job_t *job)
{
	srv_ctx_t *ctx = job->ctx;
	bool deleted = false;
	const char *type;
	if (!ctx->cfg.sync_server_events || job->status < 200 || job->status >= 300 || !job->brain || !job->route ||
	    !(type = route_event(job, &deleted)))
		return;
	const char *brain_id = nm_brain_id(job->brain);
	json_t *body = json_loadb(job->out.data ? job->out.data : "", job->out.len, JSON_ALLOW_NUL, NULL);
	if (deleted) {
		json_t *d = json_pack("{s:s}", "id", job->params[0]);
		srv_sync_publish(ctx, brain_id, type, nm_json_text(d));
		json_decref(d);
	} else if (strcmp(job->route->tmpl, "/memory/encode/batch") == 0) {
		size_t i;
		json_t *r;
		json_array_foreach(json_object_get(body, "results"), i, r)
			srv_sync_publish(ctx, brain_id, type, nm_json_text(r));
	} else if (strcmp(type, "full_sync") == 0) { /* data = Stats (§2.7), as of the import's commit */
		nm_stats_t st;
		if (!nm_brain_stats_cached(job->brain, &st))
			st = (nm_stats_t){json_integer_value(json_object_get(body, "neuron_count")),
			                  json_integer_value(json_object_get(body, "synapse_count")),
			                  json_integer_value(json_object_get(body, "fiber_count")), 0, 0, 0};
		json_t *d = json_pack("{s:s,s:I,s:I,s:I,s:I}", "brain_id", brain_id, "neuron_count", (json_int_t)st.neurons,
		                      "synapse_count", (json_int_t)st.synapses, "fiber_count", (json_int_t)st.fibers,
		                      "project_count", (json_int_t)st.projects);
		srv_sync_publish(ctx, brain_id, type, d ? nm_json_text(d) : NULL);
		json_decref(d);
	} else {
		/* the answer is the object (or the encode result) as written: reuse its text */
		srv_sync_publish(ctx, brain_id, type, nm_xstrndup(job->out.data, job->out.len));
	}
	json_decref(body);
}

/* ---- life ---- */

srv_sync_t *srv_sync_new(srv_ctx_t *ctx)
{
	srv_sync_t *s = nm_xcalloc(1, sizeof *s);
	s->ctx = ctx;
	pthread_mutex_init(&s->mu, NULL);
	uv_async_init(ctx->loop, &s->async, on_async);
	s->async.data = s;
	return s;
}

static void on_closed(uv_handle_t *h)
{
	srv_sync_t *s = h->data;
	pending_t *p = s->head;
	while (p) {
		pending_t *next = p->next;
		pending_free(p);
		p = next;
	}
	for (size_t i = 0; i < s->brain_ids.n; i++) {
		sbrain_t *b = nm_hmap_get(&s->brains, s->brain_ids.v[i], strlen(s->brain_ids.v[i]));
		for (size_t k = 0; k < b->hist_n; k++)
			free(b->hist[(b->hist_head + k) % HISTORY]);
		free(b->subs);
		free(b);
	}
	nm_hmap_free(&s->brains);
	nm_strv_clear(&s->brain_ids);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void srv_sync_free(srv_sync_t *s)
{
	if (s)
		uv_close((uv_handle_t *)&s->async, on_closed); /* freed by the caller's last uv_run */
}
