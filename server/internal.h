/*
 * internal.h — PRIVATE to server/: the daemon's context, connections,
 * requests, jobs and the module functions they share.
 *
 * Threads (STYLE.md): the loop thread owns every uv handle, connection,
 * parser and response; workers run jobs and touch only the job and the
 * brain it names. A job crosses back to the loop through the pool's
 * completion queue (pool.c); that is the only way results travel.
 */
#ifndef SRV_INTERNAL_H
#define SRV_INTERNAL_H

#include <llhttp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "codec.h"
#include "engine.h"
#include "err.h"
#include "hmap.h"
#include "jsonw.h"
#include "mem.h"
#include "store.h"

/* ---- configuration (config.c) ---- */

typedef struct srv_config {
	char *host;
	int port;
	char *data_dir;
	char *storage;
	int workers;                  /* 0 = automatic */
	bool insecure;
	int queue_max;                /* bounded job queue */
	int64_t max_body;             /* limits.max_body_bytes */
	int64_t max_content;          /* limits.max_content_bytes */
	int64_t max_batch;            /* limits.max_batch_bytes */
	char *engine_mode;            /* engine.default_mode: fixed or compat */
	int64_t max_import;           /* import.max_bytes (JSON) */
	int64_t max_ndjson;           /* import.max_ndjson_bytes */
	int jobs_workers;             /* threads for long jobs: exports, imports, lifecycle */
	double jobs_keep;             /* seconds a finished job stays visible */
	char *backup_dir;             /* "" = <data_dir>/backups */
	double decay_interval;        /* seconds between scheduled decay runs; 0 = off */
	char *restore_file, *restore_brain; /* --restore FILE --brain ID (flags only) */
	char *ui_dir;                 /* files of /ui, /docs, /static ("" = found next to the binary) */
	char *default_brain;          /* ui.default_brain: /api/graph without a brain */
	int sync_max_queue;           /* sync.max_queue: frames a subscriber may have unwritten */
	bool sync_server_events;      /* sync.server_events: events after REST writes and jobs */
	int64_t max_header;           /* limits.max_header_bytes */
	int max_json_depth;
	int max_conns;
	double t_header, t_body, t_idle, t_drain; /* seconds */
	bool auth_enabled;
	char *keys_file;
	nm_strv_t keys;               /* inline auth.key lines */
	char *cors_origins;           /* "auto", "none", "*", or a comma-separated list */
	bool metrics_auth;
	bool access_log;
	int sqlite_readers;
	int sqlite_max_open;
	bool sqlite_sync_full;
	int sqlite_cache_kib;
	int64_t sqlite_mmap;
	int64_t graph_budget;         /* graph.memory_budget: all brains' in-memory graph indexes */
	int64_t qcache_bytes;         /* query_cache.max_bytes, per brain */
	char *pg_url, *pg_read_url;   /* pg.url, pg.read_url (storage = postgres) */
	int pg_pool;                  /* pg.pool_size */
	char *pg_sync_commit;         /* pg.synchronous_commit ("" = the server's setting) */
	char *node_id;                /* cluster.node_id ("" = host:port) */
	double qcache_bucket;         /* query_cache.time_bucket, seconds */
} srv_config_t;

void srv_config_defaults(srv_config_t *c);
void srv_config_free(srv_config_t *c);
/* Set one option by its conf-file name. Returns 0, or -1 with a message. */
int srv_config_set(srv_config_t *c, const char *key, const char *value, char *msg, size_t msglen);
/* Read a conf file (key = value lines). */
int srv_config_load(srv_config_t *c, const char *path, char *msg, size_t msglen);
/* Print every option with its default (for --help). */
void srv_config_usage(FILE *out);

/* ---- auth (auth.c) ---- */

typedef struct srv_keys srv_keys_t; /* immutable once built; swapped whole on reload */

typedef struct srv_principal {
	const char *name;   /* borrowed from the key table */
	bool admin;
} srv_principal_t;

srv_keys_t *srv_keys_load(const srv_config_t *c, char *msg, size_t msglen);
void srv_keys_free(srv_keys_t *k);
size_t srv_keys_count(const srv_keys_t *k);
/* Look up an Authorization header value ("Bearer <key>"). */
bool srv_keys_check(const srv_keys_t *k, const char *authz, srv_principal_t *out);
/* Lower-case hex SHA-256 of key (65 bytes with NUL). */
void srv_hash_key(const char *key, char out[65]);

/* ---- metrics (metrics.c), loop thread only ---- */

typedef struct srv_metrics srv_metrics_t;
srv_metrics_t *srv_metrics_new(void);
void srv_metrics_free(srv_metrics_t *m);
/* route: the template string ("/memory/neurons/{neuron_id}"), or "other". */
void srv_metrics_request(srv_metrics_t *m, const char *method, const char *route, int status, double seconds,
                         size_t body_bytes);
void srv_metrics_auth_failure(srv_metrics_t *m, int status);
/* Append the request and auth families in Prometheus text format. */
void srv_metrics_write(const srv_metrics_t *m, nm_buf_t *b);

/* ---- logging (log.c) ---- */

void srv_log_init(bool access);
void srv_log_flush(void);
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void srv_log_access(const char *reqid, const char *method, const char *path, size_t pathlen, int status,
                    size_t bytes, double ms);

/* ---- the context: all daemon state (one instance) ---- */

typedef struct srv_pool srv_pool_t;
typedef struct srv_conn srv_conn_t;
typedef struct srv_tasks srv_tasks_t;
typedef struct srv_pipes srv_pipes_t;
typedef struct srv_pipe srv_pipe_t;
typedef struct srv_sync srv_sync_t;
typedef struct srv_cluster srv_cluster_t;
typedef struct srv_joblock srv_joblock_t;

typedef struct srv_ctx {
	srv_config_t cfg;
	uv_loop_t *loop;
	uv_tcp_t listener;
	uv_signal_t sigterm, sigint, sighup;
	uv_timer_t drain_timer;       /* shutdown deadline */
	uv_timer_t tick;              /* 100 ms: clock cache, log flush, drain check */
	nm_store_t *store;
	srv_pool_t *pool;             /* request workers */
	srv_pool_t *lpool;            /* long jobs: exports, imports, lifecycle (jobs.workers) */
	srv_tasks_t *tasks;           /* lifecycle jobs (tasks.c) */
	srv_pipes_t *pipes;           /* streamed bodies' wake-ups (pipe.c) */
	srv_sync_t *sync;             /* WebSocket subscribers and events (sync.c) */
	srv_cluster_t *cluster;       /* other nodes on the same postgres (cluster.c); NULL otherwise */
	uv_timer_t decay_timer;       /* scheduled decay (decay_interval) */
	atomic_bool stopping;         /* shutting_down, for other threads */
	srv_keys_t *keys;             /* loop thread */
	srv_metrics_t *metrics;       /* loop thread */
	bool cors_any;                /* allow every origin */
	nm_strv_t cors_list;          /* allowed origins when !cors_any */
	bool shutting_down;
	int nconns;                   /* open connections */
	srv_conn_t *conns;            /* list of open connections */
	int in_flight;                /* requests dispatched to workers */
	uint64_t reqid_prefix;
	uint64_t reqid_counter;
	char date[40];                /* cached Date header value */
	int64_t date_sec;
	int exit_code;
	nm_engine_mode_t engine_mode; /* brains without their own engine_mode */
	nm_engine_env_t engine_env;   /* test hooks (NMEMD_TEST_IDS, NMEMD_TEST_CLOCK) */
	atomic_uint_fast64_t encodes, queries; /* memories encoded, queries answered */
	atomic_uint_fast64_t qcache_hits, qcache_misses; /* cacheable queries answered from / not from the cache */
	/* spreading activation of answered (not cached) queries: runs, neurons
	 * expanded, edges examined, microseconds spent */
	atomic_uint_fast64_t act_runs, act_expanded, act_edges, act_us;
} srv_ctx_t;

/* ---- routes (router.c) ---- */

typedef struct srv_job srv_job_t;
typedef void (*srv_handler_fn)(srv_job_t *job);

enum {
	SRV_R_PUBLIC = 1u << 0,       /* no API key needed */
	SRV_R_BRAIN_HEADER = 1u << 1, /* brain from X-Brain-ID (required) */
	SRV_R_BRAIN_PATH = 1u << 2,   /* brain from the {brain_id} parameter (must exist) */
	SRV_R_WRITE = 1u << 3,        /* needs write access to the brain */
	SRV_R_LOOP = 1u << 4,         /* answered on the loop thread, no storage */
	SRV_R_IMPORT = 1u << 5,       /* import body limit; the brain may not exist yet */
	SRV_R_METRICS = 1u << 6,      /* public unless metrics.require_auth */
	SRV_R_BATCH = 1u << 7,        /* batch body limit */
	SRV_R_LONG = 1u << 8,         /* runs on the long-job pool */
	SRV_R_STREAM_IN = 1u << 9,    /* dispatched at the headers; the body reaches the job through job->in */
	SRV_R_WS = 1u << 10,          /* WebSocket upgrade (key may come as ?token=) */
};

typedef struct srv_route {
	int method;                   /* llhttp_method_t */
	const char *tmpl;             /* e.g. "/memory/neurons/{neuron_id}" */
	srv_handler_fn fn;
	unsigned flags;
} srv_route_t;

#define SRV_MAX_PARAMS 2
typedef struct srv_match {
	const srv_route_t *route;     /* NULL: no route for this method */
	bool path_known;              /* some route has this path */
	char allow[64];               /* methods of the path, for 405 */
	char *params[SRV_MAX_PARAMS]; /* percent-decoded segments (owned) */
	int nparams;
	bool bad_encoding;            /* a segment is not valid UTF-8 after decoding */
} srv_match_t;

/* Match a raw path (no query string). Fills m; caller frees the params. */
void srv_route_match(int method, const char *path, size_t len, srv_match_t *m);
void srv_match_free(srv_match_t *m);

/* ---- query strings and percent-decoding (query.c) ---- */

typedef struct srv_query {
	char **keys, **vals;          /* decoded, owned */
	size_t n;
	bool bad_encoding;            /* invalid %-escape or UTF-8 somewhere */
} srv_query_t;

void srv_query_parse(srv_query_t *q, const char *s, size_t len);
void srv_query_free(srv_query_t *q);
/* The last value of key, or NULL (borrowed). */
const char *srv_query_get(const srv_query_t *q, const char *key);
/* Percent-decode (and '+' → ' ' when plus) into an owned string;
 * *ok = false on a malformed escape or invalid UTF-8. */
char *srv_pct_decode(const char *s, size_t len, bool plus, size_t *outlen, bool *ok);

/* ---- jobs (pool.c) ---- */

struct srv_job {
	srv_ctx_t *ctx;
	srv_conn_t *conn;             /* loop-owned; workers never touch it */
	uint64_t conn_gen;
	srv_handler_fn fn;            /* the route's handler, run on a worker */
	srv_handler_fn then;          /* cluster: the handler, once a brain unknown here is found (dispatch.c) */
	const srv_route_t *route;
	/* inputs, owned by the job */
	char *params[SRV_MAX_PARAMS];
	srv_query_t query;
	char *body;
	size_t body_len;
	srv_pipe_t *in;               /* SRV_R_STREAM_IN: the body, read as it arrives (srv_pipe_read) */
	char *brain_header;           /* X-Brain-ID as sent (may name no brain) */
	char *accept;                 /* Accept, or NULL */
	char *content_type_in;        /* Content-Type of the request, or NULL */
	nm_brain_t *brain;            /* reference, or NULL */
	char *principal;              /* NULL when auth is off */
	bool admin;
	bool auth_on;
	bool head;                    /* HEAD request: no body in the answer */
	/* outputs, written by the worker before completion */
	int status;
	nm_buf_t out;
	const char *content_type;     /* NULL = application/json */
	srv_pipe_t *pipe;             /* a streamed answer (srv_job_stream): the loop's end */
	bool chunked_head;            /* HEAD of a streamed route: the GET's head (chunked), no body */
	/* a write job: the write submitted to the brain's writer */
	nm_write_t write;
	void (*after)(srv_job_t *job); /* runs after the write committed */
	void *state;                  /* handler's own data for the write */
	void (*state_free)(void *);   /* frees state, or: */
	void (*state_clear)(void *);  /* clears it (then state is free()d) */
	srv_job_t *next;              /* queue link */
};

srv_pool_t *srv_pool_new(srv_ctx_t *ctx, int workers, int queue_max);
/* Stop the workers after the queue drains; joins them. */
void srv_pool_free(srv_pool_t *p);
/* Queue a job (loop thread). Returns -1 when the queue is full. */
int srv_pool_submit(srv_pool_t *p, srv_job_t *job);
int srv_pool_depth(srv_pool_t *p);
int srv_pool_workers(srv_pool_t *p);
/* Hand a finished job back to the loop (any thread; exactly once). */
void srv_job_finish(srv_job_t *job);
void srv_job_free(srv_job_t *job);

/* ---- pipes (pipe.c): streamed bodies between the loop and a worker ---- */

typedef enum { SRV_PIPE_OPEN, SRV_PIPE_EOF, SRV_PIPE_FAILED, SRV_PIPE_CANCELLED } srv_pipe_state_t;

srv_pipes_t *srv_pipes_new(srv_ctx_t *ctx);
void srv_pipes_free(srv_pipes_t *ps);
/* A pipe holding at most about max bytes; two references (one per side). */
srv_pipe_t *srv_pipe_new(srv_ctx_t *ctx, size_t max);
void srv_pipe_release(srv_pipe_t *p);
/* Loop side: fn(arg) runs on the loop thread after the worker side wrote,
 * read, closed or cancelled. */
void srv_pipe_on_wake(srv_pipe_t *p, void (*fn)(void *arg), void *arg);
/* Worker side, blocking. write: -1 once cancelled. close: the producer's
 * end (ok: complete; else failed). read: bytes, 0 at the end, -1 when the
 * producer failed or the pipe was cancelled. */
int srv_pipe_write(srv_pipe_t *p, const char *s, size_t n);
void srv_pipe_close(srv_pipe_t *p, bool ok);
ssize_t srv_pipe_read(srv_pipe_t *p, char *buf, size_t cap);
/* Loop side. take: every waiting byte into *out (owned), and the state.
 * push: append; true when the pipe is now full (stop reading). */
srv_pipe_state_t srv_pipe_take(srv_pipe_t *p, nm_buf_t *out);
bool srv_pipe_push(srv_pipe_t *p, const char *s, size_t n);
bool srv_pipe_full(srv_pipe_t *p);
/* Either side gives up; the other side's calls fail from now on. */
void srv_pipe_cancel(srv_pipe_t *p, bool from_loop);

/* ---- sync events (sync.c) ---- */

srv_sync_t *srv_sync_new(srv_ctx_t *ctx);
/* An event another node published (cluster.c): delivered to this node's
 * subscribers like a local one, not published again. data: owned JSON
 * text or NULL; source: the sending client's id or NULL. Any thread. */
void srv_sync_remote(srv_ctx_t *ctx, const char *brain_id, const char *type, char *data, const char *source);

/* ---- cluster (cluster.c): NULL when storage is not shared ---- */
srv_cluster_t *srv_cluster_new(srv_ctx_t *ctx);
void srv_cluster_free(srv_cluster_t *cl);
/* This process's node id (cluster.node_id + a random suffix), or NULL. */
const char *srv_cluster_node(const srv_cluster_t *cl);
/* Send an event to the other nodes' subscribers (queued; any thread). */
void srv_cluster_publish(srv_cluster_t *cl, const char *brain_id, const char *type, const char *data,
                         const char *source);
/* Take the lease `name` for `seconds` unless another node holds it
 * unexpired: true when this node may go ahead (always without a cluster). */
bool srv_cluster_lease(srv_cluster_t *cl, const char *name, double seconds);
/* The brain's lifecycle-job lock across the cluster (a session advisory
 * lock: a crashed node's lock goes with its connection). NULL with *busy
 * when another node holds it; NULL without a cluster. */
srv_joblock_t *srv_cluster_job_lock(srv_cluster_t *cl, const char *brain_id, bool *busy);
void srv_cluster_job_unlock(srv_joblock_t *l);
void srv_sync_free(srv_sync_t *s);
/* Broadcast an event of brain_id to its subscribers (any thread); data is
 * a JSON object text (taken; NULL = {}). Nothing when server events are
 * off. */
void srv_sync_publish(srv_ctx_t *ctx, const char *brain_id, const char *type, char *data);
/* Loop thread: after a job answered, the event its write produces. */
void srv_sync_after_job(srv_job_t *job);
void srv_h_sync_stats(srv_job_t *job);
/* The WebSocket families of /metrics (loop thread). */
void srv_sync_metrics(const srv_sync_t *s, nm_buf_t *b);

/* ---- lifecycle jobs (tasks.c) ---- */

typedef struct srv_task srv_task_t;
typedef void (*srv_task_fn)(srv_task_t *t, void *arg);

srv_tasks_t *srv_tasks_new(void);
void srv_tasks_free(srv_tasks_t *r);
/* Register a `kind` job on brain b and queue fn(t, arg) on the long-job
 * pool; arg is the job's (freed with arg_free when the job goes). 0 with
 * the new id; -409 with the id of the job b is already running; -503 when
 * the long-job queue is full (arg freed in both cases). */
int srv_task_start(srv_ctx_t *ctx, nm_brain_t *b, const char *kind, srv_task_fn fn, void *arg,
                   void (*arg_free)(void *), char id[37]);
/* Register a job on b that the calling thread runs itself (already
 * "running"); NULL with the running job's id when b runs one. */
srv_task_t *srv_task_begin(srv_ctx_t *ctx, nm_brain_t *b, const char *kind, char id[37]);
/* For the running job (its thread). */
nm_brain_t *srv_task_brain(srv_task_t *t);
const char *srv_task_id(srv_task_t *t);
void srv_task_progress(srv_task_t *t, int64_t done, int64_t total);
bool srv_task_stopping(srv_task_t *t);
/* The end: report (JSON text, taken) or error. Exactly once. */
void srv_task_end(srv_task_t *t, char *report, const char *error);
/* GET /jobs/{id}: write the job to w, or -404/-403 with a detail. */
int srv_task_describe(srv_ctx_t *ctx, const char *id, const srv_principal_t *who, nm_jw_t *w, char *detail,
                      size_t dlen);
/* Scheduled decay (decay_interval): start the timer (loop thread). */
void srv_decay_schedule(srv_ctx_t *ctx);

/* ---- connections (conn.c) ---- */

int srv_listen(srv_ctx_t *ctx, char *msg, size_t msglen);
/* Stop accepting and close idle connections (shutdown). */
void srv_conns_shutdown(srv_ctx_t *ctx);
/* Loop thread: a job came back; answer its connection. */
void srv_conn_job_done(srv_job_t *job);

/* ---- responses (response.c) ---- */

/* A finished JSON error body on job (any thread). Returns -status. */
int srv_job_error(srv_job_t *job, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int srv_job_errfrom(srv_job_t *job, const nm_err_t *err);
/* Start the job's JSON answer: returns a writer over job->out. */
void srv_job_json(srv_job_t *job, int status, nm_jw_t *w);
void srv_job_json_done(srv_job_t *job, nm_jw_t *w);
/* Build an error body {"detail": ...} into b. */
void srv_error_body(nm_buf_t *b, const char *detail);
const char *srv_status_text(int status);

/* ---- handlers (server/handlers/): run on workers unless SRV_R_LOOP ---- */

/* Submit the job's write to its brain; apply runs in the writer. When the
 * write has committed, after (if not NULL) runs in the committing thread
 * to finish the answer; then the job finishes. A failed write answers
 * with its error. */
void srv_job_write(srv_job_t *job, int (*apply)(nm_tx_t *tx, nm_write_t *w, nm_err_t *err),
                   void (*after)(srv_job_t *job));
/* Answer 200 with a body the caller streams: returns the worker's end of
 * a pipe (write, then srv_pipe_close and srv_pipe_release) and finishes
 * the job — the caller must not touch job afterwards. */
srv_pipe_t *srv_job_stream(srv_job_t *job, const char *content_type);
/* Run fn in a read transaction of the job's brain, answer errors, finish. */
void srv_job_read(srv_job_t *job, int (*fn)(srv_job_t *job, nm_tx_t *tx, nm_err_t *err));
/* Answer with brain b (§2.6, counts current). */
void srv_job_put_brain(srv_job_t *job, int status, nm_brain_t *b);
/* {"status": "deleted", "<key>": id} */
void srv_job_deleted(srv_job_t *job, const char *key, const char *id);
/* {"<key>": [...], "<count_key>": n} around items the caller writes. */
void srv_list_open(srv_job_t *job, nm_jw_t *w, const char *key);
void srv_list_close(srv_job_t *job, nm_jw_t *w, const char *count_key, int64_t count);
/* Decode the body into a new job->state of `size` bytes (released with
 * clear); answers and returns < 0 on failure. */
int srv_job_decode(srv_job_t *job, nm_decode_mode_t mode, size_t size,
                   int (*decode)(const json_t *, const nm_decode_opts_t *, void *, unsigned *, nm_err_t *),
                   void (*clear)(void *), unsigned *present);
/* The job that owns a write (for apply callbacks). */
srv_job_t *srv_write_job(nm_write_t *w);
/* Parse the body as one JSON object (422 on failure, nesting limit
 * enforced). Returns an owned reference or NULL after answering. */
json_t *srv_job_body(srv_job_t *job);
/* The same, but an empty body is an empty object (all-optional bodies). */
json_t *srv_job_body_opt(srv_job_t *job);
/* The engine as the job's brain is configured (mode: the brain's, else
 * the daemon's default). */
void srv_job_engine(srv_job_t *job, nm_engine_t *eng);
/* Options for decoding request objects. */
void srv_decode_opts(srv_job_t *job, nm_decode_mode_t mode, nm_decode_opts_t *opts);

/* Query-parameter readers: 1 = present (value set), 0 = absent, < 0 =
 * answered with an error (422, or 400 for enums). */
int srv_q_int(srv_job_t *job, const char *key, int64_t lo, int64_t hi, int64_t *out);
int srv_q_num(srv_job_t *job, const char *key, double *out);
int srv_q_bool(srv_job_t *job, const char *key, bool *out);
int srv_q_enum(srv_job_t *job, const char *key, const nm_enum_t *e, int *out);
int srv_q_time(srv_job_t *job, const char *key, int64_t *out);
/* time_start/time_end pair: both or neither. */
int srv_q_time_range(srv_job_t *job, int64_t *start, int64_t *end);
/* Comma-separated list, empty items dropped (owned strv). */
void srv_q_list(srv_job_t *job, const char *key, nm_strv_t *out);

/* Loop-thread handlers write into the same job fields. */
void srv_h_health(srv_job_t *job);
void srv_h_root(srv_job_t *job);
void srv_h_openapi(srv_job_t *job);
void srv_h_metrics(srv_job_t *job);

void srv_h_brain_create(srv_job_t *job);
void srv_h_brain_get(srv_job_t *job);
void srv_h_brain_update(srv_job_t *job);
void srv_h_brain_delete(srv_job_t *job);
void srv_h_brain_stats(srv_job_t *job);
void srv_h_brain_list(srv_job_t *job);
void srv_h_brain_export(srv_job_t *job);
void srv_h_brain_import(srv_job_t *job);

void srv_h_neuron_list(srv_job_t *job);
void srv_h_neuron_create(srv_job_t *job);
void srv_h_neuron_get(srv_job_t *job);
void srv_h_neuron_update(srv_job_t *job);
void srv_h_neuron_delete(srv_job_t *job);
void srv_h_state_get(srv_job_t *job);
void srv_h_state_put(srv_job_t *job);
void srv_h_neighbors(srv_job_t *job);
void srv_h_path(srv_job_t *job);

void srv_h_synapse_list(srv_job_t *job);
void srv_h_synapse_create(srv_job_t *job);
void srv_h_synapse_get(srv_job_t *job);
void srv_h_synapse_update(srv_job_t *job);
void srv_h_synapse_delete(srv_job_t *job);

void srv_h_fiber_list(srv_job_t *job);
void srv_h_fiber_create(srv_job_t *job);
void srv_h_fiber_get(srv_job_t *job);
void srv_h_fiber_update(srv_job_t *job);
void srv_h_fiber_delete(srv_job_t *job);

void srv_h_decay(srv_job_t *job);
void srv_h_archive(srv_job_t *job);
void srv_h_archive_restore(srv_job_t *job);
void srv_h_backup(srv_job_t *job);
void srv_h_job_get(srv_job_t *job);

void srv_h_ui(srv_job_t *job);
void srv_h_docs(srv_job_t *job);
void srv_h_static(srv_job_t *job);
void srv_h_graph(srv_job_t *job);

void srv_h_encode(srv_job_t *job);
void srv_h_encode_batch(srv_job_t *job);
void srv_h_query(srv_job_t *job);

#endif
