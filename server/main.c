/*
 * main.c — nmemd: options, start-up, signals and shutdown.
 *
 * Start-up: defaults → --config file → flags (flags win) → checks (a
 * non-loopback address needs auth or --insecure) → keys → store → worker
 * pool → listener → loop. SIGTERM/SIGINT start a drain: stop accepting,
 * close idle connections, let in-flight requests finish (answers carry
 * Connection: close), then stop the workers, close the store and exit 0.
 * After timeouts.drain the daemon exits anyway: whatever was not yet
 * committed was not acknowledged either, and SQLite's WAL recovers the
 * rest. SIGHUP reloads the API keys.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isotime.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: nmemd [options]\n"
	        "\n"
	        "  --host ADDR        listen address (default 127.0.0.1)\n"
	        "  --port N           TCP port (default 8000)\n"
	        "  --data-dir DIR     data directory for the sqlite backend (default ./data)\n"
	        "  --storage NAME     sqlite (default), memory or postgres\n"
	        "  --pg URL           postgres: libpq URL of the primary (postgresql://user@host:port/db)\n"
	        "  --pg-read URL      postgres: a streaming replica to read from\n"
	        "  --workers N        worker threads (default: 2 x CPUs, at least 4)\n"
	        "  --config FILE      read options from FILE (key = value lines)\n"
	        "  --set KEY=VALUE    set any option below (repeatable)\n"
	        "  --insecure         allow a non-loopback address without API keys\n"
	        "  --hash-key KEY     print the SHA-256 to put in a keys file, and exit\n"
	        "  --restore FILE --brain ID\n"
	        "                     restore brain ID from a backup file (POST /brain/{id}/backup)\n"
	        "                     into the data directory, and exit; the daemon must not be\n"
	        "                     running on that directory. An existing brain keeps its\n"
	        "                     record; a missing one is created from the backup's.\n"
	        "                     (KEY '-' reads the key from standard input)\n"
	        "  --version          print the version and exit\n"
	        "  --help             this text\n"
	        "\n"
	        "Options (conf file names; flags override the file):\n");
	srv_config_usage(out);
}

static int hash_key(const char *key)
{
	char line[4096];
	if (strcmp(key, "-") == 0) {
		if (!fgets(line, sizeof line, stdin))
			return 2;
		line[strcspn(line, "\r\n")] = '\0';
		key = line;
	}
	if (!*key) {
		fprintf(stderr, "nmemd: empty key\n");
		return 2;
	}
	char hex[65];
	srv_hash_key(key, hex);
	printf("%s\n", hex);
	return 0;
}

/* Flags that map to options; NULL key = handled specially. */
static const struct {
	const char *flag, *key;
	bool takes_value;
} flags[] = {
	{"--host", "host", true},          {"--port", "port", true},   {"--data-dir", "data_dir", true},
	{"--storage", "storage", true},    {"--workers", "workers", true}, {"--insecure", "insecure", false},
	{"--config", NULL, true},          {"--set", NULL, true},
	{"--restore", NULL, true},         {"--brain", NULL, true},
	{"--pg", "pg.url", true},          {"--pg-read", "pg.read_url", true},
};

/* Parse argv in two passes: --config first, then everything else over it.
 * Returns -1 to exit with 2, 1 to exit with 0 (help/version/hash-key). */
static int parse_args(srv_config_t *cfg, int argc, char **argv, int *exit_code)
{
	char msg[512];
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 1; i < argc; i++) {
			const char *a = argv[i];
			if (pass == 0 && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
				usage(stdout);
				return *exit_code = 0, 1;
			}
			if (pass == 0 && !strcmp(a, "--version")) {
				printf("nmemd %s (api %s)\n", NMEMD_VERSION, "0.5.0");
				return *exit_code = 0, 1;
			}
			if (pass == 0 && !strcmp(a, "--hash-key")) {
				*exit_code = i + 1 < argc ? hash_key(argv[i + 1]) : 2;
				return 1;
			}
			size_t k = 0;
			while (k < sizeof flags / sizeof flags[0] && strcmp(a, flags[k].flag))
				k++;
			if (k == sizeof flags / sizeof flags[0]) {
				fprintf(stderr, "nmemd: unknown argument '%s' (see --help)\n", a);
				return -1;
			}
			const char *v = "on";
			if (flags[k].takes_value) {
				if (++i >= argc) {
					fprintf(stderr, "nmemd: %s needs a value\n", a);
					return -1;
				}
				v = argv[i];
			}
			int rc = 0;
			if (pass == 0 && !strcmp(a, "--config"))
				rc = srv_config_load(cfg, v, msg, sizeof msg);
			else if (pass == 1 && !strcmp(a, "--set")) {
				char *eq = strchr(v, '=');
				char key[128];
				if (!eq || (size_t)(eq - v) >= sizeof key) {
					snprintf(msg, sizeof msg, "--set expects KEY=VALUE, got '%s'", v);
					rc = -1;
				} else {
					snprintf(key, sizeof key, "%.*s", (int)(eq - v), v);
					rc = srv_config_set(cfg, key, eq + 1, msg, sizeof msg);
				}
			} else if (pass == 1 && !strcmp(a, "--restore")) {
				free(cfg->restore_file);
				cfg->restore_file = nm_xstrdup(v);
			} else if (pass == 1 && !strcmp(a, "--brain")) {
				free(cfg->restore_brain);
				cfg->restore_brain = nm_xstrdup(v);
			} else if (pass == 1 && flags[k].key)
				rc = srv_config_set(cfg, flags[k].key, v, msg, sizeof msg);
			if (rc) {
				fprintf(stderr, "nmemd: %s\n", msg);
				return -1;
			}
		}
	}
	return 0;
}

static bool is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

/* Settings that need more than one option to check. */
/* The UI files when ui.dir is not set: server/ui of the source tree the
 * binary was built in (bin/nmemd → ../server/ui), else the installed
 * <prefix>/share/nmemd/ui (<prefix>/bin/nmemd → ../share/nmemd/ui). */
static char *find_ui_dir(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		const char *rel[] = {"../server/ui", "../share/nmemd/ui"};
		for (int i = 0; i < 2; i++) {
			char *dir = nm_xasprintf("%s/%s", exe, rel[i]);
			char *index = nm_xasprintf("%s/index.html", dir);
			bool ok = access(index, R_OK) == 0;
			free(index);
			if (ok)
				return dir;
			free(dir);
		}
	}
	return nm_xstrdup("server/ui");
}

static int check_config(srv_ctx_t *ctx)
{
	srv_config_t *c = &ctx->cfg;
	if (!strcmp(c->host, "localhost")) {
		free(c->host);
		c->host = nm_xstrdup("127.0.0.1");
	}
	if (strcmp(c->storage, "sqlite") && strcmp(c->storage, "memory") && strcmp(c->storage, "postgres")) {
		fprintf(stderr, "nmemd: storage: unknown backend '%s'; allowed: sqlite, memory, postgres\n", c->storage);
		return -1;
	}
	if (!strcmp(c->storage, "postgres") && !*c->pg_url) {
		fprintf(stderr, "nmemd: storage postgres needs a connection URL: --pg postgresql://user@host:port/db "
		                "(or pg.url)\n");
		return -1;
	}
	static const char *const sync_values[] = {"", "on", "off", "local", "remote_write", "remote_apply"};
	bool sync_ok = false;
	for (size_t i = 0; i < sizeof sync_values / sizeof sync_values[0]; i++)
		sync_ok |= !strcmp(c->pg_sync_commit, sync_values[i]);
	if (!sync_ok) {
		fprintf(stderr, "nmemd: pg.synchronous_commit: unknown value '%s'; allowed: on, off, local, remote_write, "
		                "remote_apply (or empty)\n", c->pg_sync_commit);
		return -1;
	}
	if (strcmp(c->storage, "postgres") && (*c->pg_url || *c->pg_read_url)) {
		fprintf(stderr, "nmemd: --pg / pg.url and --pg-read / pg.read_url need --storage postgres\n");
		return -1;
	}
	if (c->port < 1 || c->port > 65535) {
		fprintf(stderr, "nmemd: port must be between 1 and 65535\n");
		return -1;
	}
	bool loopback = is_loopback(c->host);
	if (!c->auth_enabled && !loopback && !c->insecure) {
		fprintf(stderr, "nmemd: refusing to listen on %s without API keys; enable auth.enabled (with keys) "
		                "or pass --insecure\n", c->host);
		return -1;
	}
	const char *o = c->cors_origins;
	ctx->cors_any = !strcmp(o, "*") || (!strcmp(o, "auto") && loopback);
	if (strcmp(o, "auto") && strcmp(o, "*") && strcmp(o, "none")) {
		for (const char *p = o; *p;) {
			size_t n = strcspn(p, ", ");
			if (n) {
				char *item = nm_xstrndup(p, n);
				nm_strv_add(&ctx->cors_list, item);
				free(item);
			}
			p += n;
			p += strspn(p, ", ");
		}
	}
	int mode = nm_enum_parse(&nm_enum_engine_mode, c->engine_mode, strlen(c->engine_mode));
	if (mode < 0) {
		fprintf(stderr, "nmemd: engine.default_mode: unknown value '%s'; allowed: fixed, compat\n", c->engine_mode);
		return -1;
	}
	ctx->engine_mode = (nm_engine_mode_t)mode;
	if (c->workers <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		c->workers = n > 2 ? (int)n * 2 : 4;
	}
	if (c->jobs_workers < 1) {
		fprintf(stderr, "nmemd: jobs.workers must be at least 1\n");
		return -1;
	}
	/* every thread that may hold a transaction, plus one for an index
	 * build and one for the cluster's own statements: no thread waits
	 * for a connection another waiting thread holds */
	if (c->pg_pool <= 0)
		c->pg_pool = c->workers + c->jobs_workers + 2;
	if (!c->ui_dir || !*c->ui_dir) {
		free(c->ui_dir);
		c->ui_dir = find_ui_dir();
	}
	if (!c->backup_dir || !*c->backup_dir) {
		free(c->backup_dir);
		c->backup_dir = nm_xasprintf("%s/backups", c->data_dir);
	}
	return 0;
}

/* ---- signals and shutdown ---- */

static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void finish(srv_ctx_t *ctx)
{
	uv_stop(ctx->loop);
}

static void on_drain_timeout(uv_timer_t *t)
{
	srv_ctx_t *ctx = t->data;
	srv_log("drain timeout: %d request(s) still running, %d connection(s) open; exiting", ctx->in_flight,
	        ctx->nconns);
	srv_log_flush();
	_exit(0); /* nothing uncommitted was acknowledged */
}

static void on_tick(uv_timer_t *t)
{
	srv_ctx_t *ctx = t->data;
	srv_log_flush();
	if (ctx->shutting_down) {
		srv_conns_shutdown(ctx); /* connections that became idle since */
		if (ctx->in_flight == 0 && ctx->nconns == 0)
			finish(ctx);
	}
}

static void on_stop_signal(uv_signal_t *s, int signum)
{
	srv_ctx_t *ctx = s->data;
	if (ctx->shutting_down)
		return;
	srv_log("%s received: draining %d request(s), %d connection(s)", signum == SIGINT ? "SIGINT" : "SIGTERM",
	        ctx->in_flight, ctx->nconns);
	ctx->shutting_down = true;
	atomic_store(&ctx->stopping, true);
	uv_timer_stop(&ctx->decay_timer);
	srv_conns_shutdown(ctx);
	uv_timer_start(&ctx->drain_timer, on_drain_timeout, (uint64_t)(ctx->cfg.t_drain * 1000), 0);
	on_tick(&ctx->tick);
}

static void on_hup(uv_signal_t *s, int signum)
{
	srv_ctx_t *ctx = s->data;
	char msg[512];
	srv_keys_t *k = srv_keys_load(&ctx->cfg, msg, sizeof msg);
	if (!k) {
		srv_log("SIGHUP: keeping the old keys: %s", msg);
		return;
	}
	srv_keys_free(ctx->keys);
	ctx->keys = k;
	srv_log("SIGHUP: %zu API key(s) loaded", srv_keys_count(k));
}

static void start_handles(srv_ctx_t *ctx)
{
	uv_signal_t *sigs[] = {&ctx->sigterm, &ctx->sigint, &ctx->sighup};
	int nums[] = {SIGTERM, SIGINT, SIGHUP};
	for (int i = 0; i < 3; i++) {
		uv_signal_init(ctx->loop, sigs[i]);
		sigs[i]->data = ctx;
		uv_signal_start(sigs[i], nums[i] == SIGHUP ? on_hup : on_stop_signal, nums[i]);
	}
	uv_timer_init(ctx->loop, &ctx->drain_timer);
	uv_timer_init(ctx->loop, &ctx->tick);
	ctx->drain_timer.data = ctx->tick.data = ctx;
	uv_timer_start(&ctx->tick, on_tick, 100, 100);
}

/* Deterministic test hooks (ENGINE.md §7.1), from the environment. */
static int test_hooks(srv_ctx_t *ctx)
{
	const char *ids = getenv("NMEMD_TEST_IDS"), *clock = getenv("NMEMD_TEST_CLOCK");
	ctx->engine_env.frozen_clock = NM_TIME_NONE;
	if (ids && *ids) {
		if (strcmp(ids, "counter") != 0) {
			fprintf(stderr, "nmemd: NMEMD_TEST_IDS: only 'counter' is supported\n");
			return -1;
		}
		ctx->engine_env.counter_ids = true;
	}
	if (clock && *clock && nm_time_parse(clock, strlen(clock), &ctx->engine_env.frozen_clock)) {
		fprintf(stderr, "nmemd: NMEMD_TEST_CLOCK: invalid datetime '%s'\n", clock);
		return -1;
	}
	return 0;
}

static nm_store_t *open_store(srv_ctx_t *ctx)
{
	const srv_config_t *c = &ctx->cfg;
	nm_store_opts_t o = {
		.backend = c->storage,
		.data_dir = c->data_dir,
		.readers_per_brain = c->sqlite_readers,
		.max_open_brains = c->sqlite_max_open,
		.synchronous_full = c->sqlite_sync_full,
		.cache_kib = c->sqlite_cache_kib,
		.mmap_bytes = c->sqlite_mmap,
		.graph_budget = c->graph_budget,
		.query_cache_bytes = (size_t)c->qcache_bytes,
		.pg_url = c->pg_url,
		.pg_read_url = c->pg_read_url,
		.pg_pool = (int)c->pg_pool,
		.pg_sync_commit = c->pg_sync_commit,
	};
	nm_err_t err = {0};
	nm_store_t *st = nm_store_open(&o, &err);
	if (!st)
		fprintf(stderr, "nmemd: cannot open storage: %s\n", err.detail);
	return st;
}

/* nmemd --restore FILE --brain ID: offline, then exit. */
static int restore(srv_ctx_t *ctx)
{
	if (!ctx->cfg.restore_brain) {
		fprintf(stderr, "nmemd: --restore needs --brain ID\n");
		return 2;
	}
	if (!(ctx->store = open_store(ctx)))
		return 1;
	nm_err_t err = {0};
	int rc = nm_store_restore(ctx->store, ctx->cfg.restore_file, ctx->cfg.restore_brain, &err);
	nm_store_close(ctx->store);
	if (rc < 0) {
		fprintf(stderr, "nmemd: %s\n", err.detail);
		return 1;
	}
	printf("restored brain %s from %s into %s\n", ctx->cfg.restore_brain, ctx->cfg.restore_file, ctx->cfg.data_dir);
	return 0;
}

int main(int argc, char **argv)
{
	static srv_ctx_t ctx; /* the one context; handles inside must not move */
	int code = 0;
	srv_config_defaults(&ctx.cfg);
	int rc = parse_args(&ctx.cfg, argc, argv, &code);
	if (rc)
		return rc > 0 ? code : 2;
	if (check_config(&ctx) || test_hooks(&ctx))
		return 2;
	if (ctx.cfg.restore_file) {
		code = restore(&ctx);
		srv_config_free(&ctx.cfg);
		return code;
	}
	signal(SIGPIPE, SIG_IGN);
	/* glibc gives each thread that allocates an arena of its own (up to 8
	 * per core), and freed memory stays in the arena that freed it: with
	 * request, long-job and writer threads that kept ~90 MiB of freed heap
	 * resident after a 45k-memory fill. One arena per core instead. */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	mallopt(M_ARENA_MAX, cores > 2 ? (int)cores : 2);
	json_object_seed(0);
	srv_log_init(ctx.cfg.access_log);
	char msg[512];
	ctx.keys = srv_keys_load(&ctx.cfg, msg, sizeof msg);
	if (!ctx.keys) {
		fprintf(stderr, "nmemd: %s\n", msg);
		return 2;
	}
	if (ctx.cfg.auth_enabled && srv_keys_count(ctx.keys) == 0) {
		fprintf(stderr, "nmemd: auth.enabled is on but no keys are configured (auth.key or auth.keys_file)\n");
		return 2;
	}
	if (!(ctx.store = open_store(&ctx)))
		return 1;
	ctx.loop = uv_default_loop();
	ctx.metrics = srv_metrics_new();
	ctx.reqid_prefix = (uint64_t)nm_time_now() & 0xffffffffu;
	ctx.pool = srv_pool_new(&ctx, ctx.cfg.workers, ctx.cfg.queue_max);
	ctx.lpool = srv_pool_new(&ctx, ctx.cfg.jobs_workers, ctx.cfg.queue_max);
	ctx.tasks = srv_tasks_new();
	ctx.pipes = srv_pipes_new(&ctx);
	ctx.sync = srv_sync_new(&ctx);
	ctx.cluster = srv_cluster_new(&ctx);
	if (srv_listen(&ctx, msg, sizeof msg)) {
		fprintf(stderr, "nmemd: %s\n", msg);
		code = 1;
	} else {
		start_handles(&ctx);
		srv_decay_schedule(&ctx);
		srv_log("nmemd %s listening on %s:%d (storage %s, data %s, %d workers)%s", NMEMD_VERSION, ctx.cfg.host,
		        ctx.cfg.port, ctx.cfg.storage, ctx.cfg.data_dir, srv_pool_workers(ctx.pool),
		        ctx.cfg.auth_enabled ? "" : " -- authentication is OFF: every client has full access");
		if (ctx.cluster)
			srv_log("cluster node %s: brains, writes and /sync/ws events are shared with every nmemd on this "
			        "database", srv_cluster_node(ctx.cluster));
		if (ctx.engine_env.counter_ids || ctx.engine_env.frozen_clock != NM_TIME_NONE)
			srv_log("TEST HOOKS ACTIVE (NMEMD_TEST_IDS / NMEMD_TEST_CLOCK): ids and clock are not real");
		uv_run(ctx.loop, UV_RUN_DEFAULT);
		srv_log("stopped accepting; closing storage");
	}
	atomic_store(&ctx.stopping, true);
	srv_pool_free(ctx.lpool); /* long jobs stop at their next batch (ctx.stopping) */
	srv_pool_free(ctx.pool);
	srv_tasks_free(ctx.tasks);
	srv_cluster_free(ctx.cluster); /* before sync: its thread delivers into it */
	srv_pipes_free(ctx.pipes);
	srv_sync_free(ctx.sync);
	nm_store_close(ctx.store);
	uv_walk(ctx.loop, close_walk, NULL);
	uv_run(ctx.loop, UV_RUN_DEFAULT);
	uv_loop_close(ctx.loop);
	srv_metrics_free(ctx.metrics);
	srv_keys_free(ctx.keys);
	nm_strv_clear(&ctx.cors_list);
	srv_config_free(&ctx.cfg);
	srv_log_flush();
	return code;
}
