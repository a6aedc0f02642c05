/*
 * handlers/meta.c — routes about the daemon itself: /health, /,
 * /openapi.json and /metrics. They touch no storage and run on the loop
 * thread (SRV_R_LOOP), which keeps health checks cheap and answerable even
 * when every worker is busy.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* proto/openapi.json, linked into the binary by the Makefile. */
extern const char _binary_proto_openapi_json_start[];
extern const char _binary_proto_openapi_json_end[];

#define API_VERSION "0.5.0"

void srv_h_health(srv_job_t *job)
{
	nm_jw_t w;
	srv_job_json(job, 200, &w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "status");
	nm_jw_str(&w, "healthy");
	nm_jw_key(&w, "version");
	nm_jw_str(&w, NMEMD_VERSION);
	nm_jw_key(&w, "api_version");
	nm_jw_str(&w, API_VERSION);
	nm_jw_obj_end(&w);
	srv_job_json_done(job, &w);
}

void srv_h_root(srv_job_t *job)
{
	static const char *const kv[][2] = {
		{"name", "nmemd"},
		{"description", "NeuralMemory storage and retrieval server (C)"},
		{"version", NMEMD_VERSION},
		{"docs", "/openapi.json"},
		{"health", "/health"},
		{"ui", "/ui"},
	};
	nm_jw_t w;
	srv_job_json(job, 200, &w);
	nm_jw_obj(&w);
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
		nm_jw_key(&w, kv[i][0]);
		nm_jw_str(&w, kv[i][1]);
	}
	nm_jw_obj_end(&w);
	srv_job_json_done(job, &w);
}

void srv_h_openapi(srv_job_t *job)
{
	job->status = 200;
	nm_buf_reset(&job->out);
	nm_buf_append(&job->out, _binary_proto_openapi_json_start,
	              (size_t)(_binary_proto_openapi_json_end - _binary_proto_openapi_json_start));
}

/* process_* metrics from /proc/self/stat (Linux). */
static void process_metrics(nm_buf_t *b)
{
	FILE *f = fopen("/proc/self/stat", "r");
	if (!f)
		return;
	unsigned long utime = 0, stime = 0, vsize = 0;
	long rss = 0;
	unsigned long long start = 0;
	int n = fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d %llu %lu %ld",
	               &utime, &stime, &start, &vsize, &rss);
	fclose(f);
	if (n != 5)
		return;
	double tick = (double)sysconf(_SC_CLK_TCK);
	long page = sysconf(_SC_PAGESIZE);
	double boot = 0;
	FILE *up = fopen("/proc/uptime", "r");
	double uptime = 0;
	if (up) {
		if (fscanf(up, "%lf", &uptime) != 1)
			uptime = 0;
		fclose(up);
	}
	boot = (double)time(NULL) - uptime;
	nm_buf_printf(b, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n"
	                 "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %ld\n"
	                 "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %lu\n"
	                 "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.0f\n",
	              (double)(utime + stime) / tick, rss * page, vsize, boot + (double)start / tick);
}

static int sum_stats(void *arg, nm_brain_t *b)
{
	/* Totals over brains whose counts are known without opening files. */
	nm_stats_t st;
	int64_t *tot = arg;
	if (nm_brain_stats_cached(b, &st)) {
		tot[0] += st.neurons;
		tot[1] += st.synapses;
		tot[2] += st.fibers;
	}
	return 0;
}

static void gauge(nm_buf_t *b, const char *name, const char *help, long long v)
{
	nm_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, v);
}

void srv_h_metrics(srv_job_t *job)
{
	srv_ctx_t *ctx = job->ctx;
	nm_buf_t *b = &job->out;
	nm_buf_reset(b);
	job->status = 200;
	job->content_type = "text/plain; version=0.0.4; charset=utf-8";
	nm_buf_printf(b, "# HELP nmemd_build_info nmemd build.\n# TYPE nmemd_build_info gauge\n"
	                 "nmemd_build_info{version=\"%s\",api_version=\"%s\"} 1\n", NMEMD_VERSION, API_VERSION);
	srv_metrics_write(ctx->metrics, b);
	gauge(b, "nmemd_http_requests_in_flight", "Requests handed to workers and not yet answered.", ctx->in_flight);
	gauge(b, "nmemd_http_connections", "Open client connections.", ctx->nconns);
	gauge(b, "nmemd_worker_queue_depth", "Jobs waiting for a worker.", srv_pool_depth(ctx->pool));
	gauge(b, "nmemd_workers", "Worker threads.", srv_pool_workers(ctx->pool));
	gauge(b, "nmemd_brains", "Brains.", (long long)nm_store_brain_count(ctx->store));
	srv_sync_metrics(ctx->sync, b);
	nm_store_counters_t sc;
	nm_store_counters(ctx->store, &sc);
	gauge(b, "nmemd_open_brains", "Brains whose storage is open.", (long long)sc.open_brains);
	if (nm_store_clustered(ctx->store))
		nm_buf_printf(b, "# HELP nmemd_cluster_catchups_total Times this node brought a brain up to other nodes'"
		                 " commits (graph index replayed, cached answers dropped).\n"
		                 "# TYPE nmemd_cluster_catchups_total counter\nnmemd_cluster_catchups_total %llu\n"
		                 "# HELP nmemd_cluster_catchup_commits_total Other nodes' commits caught up with.\n"
		                 "# TYPE nmemd_cluster_catchup_commits_total counter\n"
		                 "nmemd_cluster_catchup_commits_total %llu\n"
		                 "# HELP nmemd_cluster_index_rebuilds_total Graph indexes dropped because the change log no"
		                 " longer held the commits to replay.\n# TYPE nmemd_cluster_index_rebuilds_total counter\n"
		                 "nmemd_cluster_index_rebuilds_total %llu\n",
		              (unsigned long long)sc.catchups, (unsigned long long)sc.catchup_commits,
		              (unsigned long long)sc.catchup_rebuilds);
	int64_t tot[3] = {0};
	nm_store_brain_each(ctx->store, sum_stats, tot);
	gauge(b, "nmemd_neurons", "Neurons in brains whose counts are loaded.", tot[0]);
	gauge(b, "nmemd_synapses", "Synapses in brains whose counts are loaded.", tot[1]);
	gauge(b, "nmemd_fibers", "Fibers in brains whose counts are loaded.", tot[2]);
	nm_buf_printf(b, "# HELP nmemd_encode_total Memories encoded.\n# TYPE nmemd_encode_total counter\n"
	                 "nmemd_encode_total %llu\n# HELP nmemd_query_total Queries answered.\n"
	                 "# TYPE nmemd_query_total counter\nnmemd_query_total %llu\n",
	              (unsigned long long)atomic_load(&ctx->encodes), (unsigned long long)atomic_load(&ctx->queries));
	uint64_t hits = atomic_load(&ctx->qcache_hits), misses = atomic_load(&ctx->qcache_misses);
	nm_buf_printf(b, "# HELP nmemd_query_cache_requests_total Queries that may be answered from the cache"
	                 " (no reinforcement), by result.\n# TYPE nmemd_query_cache_requests_total counter\n"
	                 "nmemd_query_cache_requests_total{result=\"hit\"} %llu\n"
	                 "nmemd_query_cache_requests_total{result=\"miss\"} %llu\n"
	                 "# HELP nmemd_query_cache_hit_ratio Hits over cacheable queries since start.\n"
	                 "# TYPE nmemd_query_cache_hit_ratio gauge\nnmemd_query_cache_hit_ratio %g\n",
	              (unsigned long long)hits, (unsigned long long)misses,
	              hits + misses ? (double)hits / (double)(hits + misses) : 0.0);
	nm_buf_printf(b, "# HELP nmemd_activation_runs_total Spreading activations run (queries not answered from the cache).\n"
	                 "# TYPE nmemd_activation_runs_total counter\nnmemd_activation_runs_total %llu\n"
	                 "# HELP nmemd_activation_neurons_visited_total Neurons whose synapses activation walked.\n"
	                 "# TYPE nmemd_activation_neurons_visited_total counter\nnmemd_activation_neurons_visited_total %llu\n"
	                 "# HELP nmemd_activation_edges_total Synapses activation examined (hops tried).\n"
	                 "# TYPE nmemd_activation_edges_total counter\nnmemd_activation_edges_total %llu\n"
	                 "# HELP nmemd_activation_seconds_total Time spent in spreading activation.\n"
	                 "# TYPE nmemd_activation_seconds_total counter\nnmemd_activation_seconds_total %.6f\n",
	              (unsigned long long)atomic_load(&ctx->act_runs), (unsigned long long)atomic_load(&ctx->act_expanded),
	              (unsigned long long)atomic_load(&ctx->act_edges), (double)atomic_load(&ctx->act_us) / 1e6);
	nm_buf_printf(b, "# HELP nmemd_sqlite_commits_total Write transactions committed (all backends).\n"
	                 "# TYPE nmemd_sqlite_commits_total counter\nnmemd_sqlite_commits_total %llu\n"
	                 "# HELP nmemd_sqlite_rows_written_total Objects inserted, updated or deleted.\n"
	                 "# TYPE nmemd_sqlite_rows_written_total counter\nnmemd_sqlite_rows_written_total %llu\n",
	              (unsigned long long)sc.commits, (unsigned long long)sc.rows_written);
	process_metrics(b);
}
