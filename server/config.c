/*
 * config.c — daemon options: defaults, the conf file and --set overrides.
 *
 * One table lists every option with its conf-file name, type, default and
 * help text; conf/nmemd.conf documents the same names. Values are parsed
 * strictly: an unknown key or a malformed value stops start-up with a
 * message naming the line. Sizes take an optional K/M/G (KiB/MiB/GiB)
 * suffix; durations an optional ms/s/m/h suffix (seconds by default);
 * booleans on/off, true/false, yes/no, 1/0. Single-threaded (start-up).
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_STR, T_INT, T_SIZE, T_BOOL, T_SECS, T_LIST } opt_type_t;

typedef struct opt {
	const char *name;
	opt_type_t type;
	size_t off;
	const char *def;
	const char *help;
} opt_t;

#define O(field) offsetof(srv_config_t, field)
static const opt_t opts[] = {
	{"host", T_STR, O(host), "127.0.0.1", "address to listen on"},
	{"port", T_INT, O(port), "8000", "TCP port"},
	{"data_dir", T_STR, O(data_dir), "./data", "directory for the SQLite catalog and brain files"},
	{"storage", T_STR, O(storage), "sqlite", "storage backend: sqlite, memory or postgres"},
	{"workers", T_INT, O(workers), "0", "worker threads (0 = twice the CPUs, at least 4)"},
	{"insecure", T_BOOL, O(insecure), "off", "allow a non-loopback address without auth"},
	{"queue.max_jobs", T_INT, O(queue_max), "4096", "queued jobs before answering 503"},
	{"limits.max_body_bytes", T_SIZE, O(max_body), "64M", "request body limit (413 beyond)"},
	{"limits.max_content_bytes", T_SIZE, O(max_content), "1M", "neuron content limit (413 beyond)"},
	{"limits.max_batch_bytes", T_SIZE, O(max_batch), "16M", "body limit of POST /memory/encode/batch"},
	{"import.max_bytes", T_SIZE, O(max_import), "256M", "body limit of a JSON brain import"},
	{"import.max_ndjson_bytes", T_SIZE, O(max_ndjson), "4G", "body limit of an NDJSON brain import"},
	{"jobs.workers", T_INT, O(jobs_workers), "2",
	 "threads for long jobs (exports, imports, decay, archive, backup); they never hold up requests"},
	{"jobs.keep", T_SECS, O(jobs_keep), "1h", "how long GET /jobs/{id} still knows a finished job"},
	{"backup.dir", T_STR, O(backup_dir), "", "directory for POST /brain/{id}/backup (empty: <data_dir>/backups)"},
	{"sync.server_events", T_BOOL, O(sync_server_events), "on",
	 "send WebSocket subscribers an event after every REST write, encode, import and job step"},
	{"sync.max_queue", T_INT, O(sync_max_queue), "1000",
	 "events a subscriber may have unwritten before it is dropped (error 'overflow', close 1008)"},
	{"ui.dir", T_STR, O(ui_dir), "",
	 "files served at /ui, /docs and /static (empty: server/ui of the source tree, else <prefix>/share/nmemd/ui)"},
	{"ui.default_brain", T_STR, O(default_brain), "", "brain of GET /api/graph when the request names none"},
	{"decay_interval", T_SECS, O(decay_interval), "0",
	 "run decay over every brain, one at a time, this often (0 = off, e.g. 24h)"},
	{"limits.max_header_bytes", T_SIZE, O(max_header), "16K", "request line + headers limit (431 beyond)"},
	{"limits.max_json_depth", T_INT, O(max_json_depth), "64", "deepest JSON nesting accepted (422 beyond)"},
	{"limits.max_connections", T_INT, O(max_conns), "1024", "open connections (more are answered 503)"},
	{"timeouts.header", T_SECS, O(t_header), "10", "time to receive a request's line and headers"},
	{"timeouts.body", T_SECS, O(t_body), "30", "longest pause while receiving a body or sending a reply"},
	{"timeouts.idle", T_SECS, O(t_idle), "60", "keep-alive idle time before closing"},
	{"timeouts.drain", T_SECS, O(t_drain), "10", "on SIGTERM, time allowed for in-flight requests"},
	{"engine.default_mode", T_STR, O(engine_mode), "fixed",
	 "engine mode of brains that do not set config.engine_mode: fixed or compat"},
	{"auth.enabled", T_BOOL, O(auth_enabled), "off", "require API keys (PROTOCOL.md 6.5)"},
	{"auth.keys_file", T_STR, O(keys_file), "", "file of '<sha256-hex> <principal> <role>' lines"},
	{"auth.key", T_LIST, O(keys), NULL, "one key line '<sha256-hex> <principal> <role>' (repeatable)"},
	{"cors.origins", T_STR, O(cors_origins), "auto",
	 "allowed origins: auto (* when loopback-only, none otherwise), *, none, or a comma list"},
	{"metrics.require_auth", T_BOOL, O(metrics_auth), "off", "require an API key for /metrics"},
	{"log.access", T_BOOL, O(access_log), "on", "one access-log line per request on stderr"},
	{"sqlite.readers", T_INT, O(sqlite_readers), "4", "read connections per open brain"},
	{"sqlite.max_open_brains", T_INT, O(sqlite_max_open), "256", "brains kept open (LRU)"},
	{"sqlite.synchronous_full", T_BOOL, O(sqlite_sync_full), "on",
	 "fsync every commit (off: survive kill -9 but not power loss)"},
	{"sqlite.cache_kib", T_INT, O(sqlite_cache_kib), "8192", "page cache per connection, KiB"},
	{"sqlite.mmap_bytes", T_SIZE, O(sqlite_mmap), "256M", "memory-mapped I/O per connection"},
	{"graph.memory_budget", T_SIZE, O(graph_budget), "768M",
	 "memory for the brains' in-memory graph indexes (least recently used dropped beyond; 0 = no index)"},
	{"query_cache.max_bytes", T_SIZE, O(qcache_bytes), "4M",
	 "per brain: recent answers of queries that do not reinforce, dropped by any write (0 = no cache)"},
	{"pg.url", T_STR, O(pg_url), "", "storage = postgres: libpq URL of the primary (postgresql://user@host:port/db)"},
	{"pg.read_url", T_STR, O(pg_read_url), "",
	 "storage = postgres: a streaming replica for reads (empty: the primary serves every read)"},
	{"pg.pool_size", T_INT, O(pg_pool), "0",
	 "storage = postgres: connections per server (0 = workers + jobs.workers + 2)"},
	{"pg.synchronous_commit", T_STR, O(pg_sync_commit), "",
	 "storage = postgres: synchronous_commit of writes (e.g. remote_apply: acknowledged writes are on the replica; "
	 "empty: the server's setting)"},
	{"cluster.node_id", T_STR, O(node_id), "",
	 "this node's name among nmemd nodes sharing one postgres (empty: host:port)"},
	{"query_cache.time_bucket", T_SECS, O(qcache_bucket), "1",
	 "queries without reference_time share a cached answer within this many seconds of each other"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static const opt_t *find(const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

static int parse_size(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (end == v || n < 0 || errno)
		return -1;
	int shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || n > (INT64_MAX >> shift))
		return -1;
	*out = (int64_t)n << shift;
	return 0;
}

static int parse_secs(const char *v, double *out)
{
	char *end;
	double d = strtod(v, &end);
	if (end == v || !(d >= 0) || d > 1e7)
		return -1;
	if (strcmp(end, "ms") == 0)
		d /= 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		d *= 60;
	else if (strcmp(end, "h") == 0)
		d *= 3600;
	else if (*end && strcmp(end, "s") != 0)
		return -1;
	*out = d;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"on", "true", "yes", "1"}, *const no[] = {"off", "false", "no", "0"};
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

int srv_config_set(srv_config_t *c, const char *key, const char *value, char *msg, size_t msglen)
{
	const opt_t *o = find(key);
	if (!o) {
		snprintf(msg, msglen, "unknown option '%s'", key);
		return -1;
	}
	void *p = (char *)c + o->off;
	int rc = 0;
	char *end;
	switch (o->type) {
	case T_STR:
		free(*(char **)p);
		*(char **)p = nm_xstrdup(value);
		break;
	case T_INT: {
		errno = 0;
		long v = strtol(value, &end, 10);
		rc = (end == value || *end || errno || v < 0 || v > INT32_MAX) ? -1 : 0;
		if (!rc)
			*(int *)p = (int)v;
		break;
	}
	case T_SIZE: rc = parse_size(value, (int64_t *)p); break;
	case T_BOOL: rc = parse_bool(value, (bool *)p); break;
	case T_SECS: rc = parse_secs(value, (double *)p); break;
	case T_LIST: nm_strv_add((nm_strv_t *)p, value); break;
	}
	if (rc)
		snprintf(msg, msglen, "invalid value '%s' for %s", value, key);
	return rc;
}

void srv_config_defaults(srv_config_t *c)
{
	char msg[128];
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].def)
			srv_config_set(c, opts[i].name, opts[i].def, msg, sizeof msg);
}

void srv_config_free(srv_config_t *c)
{
	for (size_t i = 0; i < NOPTS; i++) {
		void *p = (char *)c + opts[i].off;
		if (opts[i].type == T_STR)
			free(*(char **)p);
		else if (opts[i].type == T_LIST)
			nm_strv_clear(p);
	}
	free(c->restore_file);
	free(c->restore_brain);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int srv_config_load(srv_config_t *c, const char *path, char *msg, size_t msglen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(msg, msglen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	char line[4096], sub[256];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(msg, msglen, "%s:%d: expected 'key = value'", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		if ((rc = srv_config_set(c, trim(s), trim(eq + 1), sub, sizeof sub)))
			snprintf(msg, msglen, "%s:%d: %s", path, lineno, sub);
	}
	fclose(f);
	return rc;
}

void srv_config_usage(FILE *out)
{
	for (size_t i = 0; i < NOPTS; i++)
		fprintf(out, "  %-26s %s (default: %s)\n", opts[i].name, opts[i].help,
		        opts[i].def ? (*opts[i].def ? opts[i].def : "unset") : "none");
}
