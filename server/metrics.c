/*
 * metrics.c — request counters and histograms for GET /metrics
 * (PROTOCOL.md §6.2), and the Prometheus text exposition.
 *
 * Series are created on first use and kept in creation order (a vector
 * plus a map from label text to index), so the exposition is stable.
 * Updated and read on the loop thread only: no locks. Gauges that live
 * elsewhere (queue depth, open brains, commits) are read when the page is
 * built (handlers/meta.c).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double dur_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                    0.25, 0.5, 1, 2.5, 5, 10};
static const double size_bounds[] = {256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216,
                                     67108864};
#define NDUR (sizeof dur_bounds / sizeof dur_bounds[0])
#define NSIZE (sizeof size_bounds / sizeof size_bounds[0])

typedef struct series {
	char *labels;             /* e.g. method="GET",route="/health" */
	uint64_t count;
	double sum;
	uint64_t buckets[NDUR];   /* cumulative at exposition; per-bucket here */
} series_t;

typedef struct family {
	series_t *v;
	size_t n;
	nm_hmap_t idx;
} family_t;

struct srv_metrics {
	family_t requests;        /* counter: method, route, status */
	family_t durations;       /* histogram: method, route */
	family_t body_sizes;      /* histogram: route */
	family_t queries;         /* histogram: POST /memory/query durations */
	uint64_t auth_401, auth_403;
};

srv_metrics_t *srv_metrics_new(void)
{
	return nm_xcalloc(1, sizeof(srv_metrics_t));
}

static void family_free(family_t *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].labels);
	free(f->v);
	nm_hmap_free(&f->idx);
}

void srv_metrics_free(srv_metrics_t *m)
{
	if (!m)
		return;
	family_free(&m->requests);
	family_free(&m->durations);
	family_free(&m->body_sizes);
	family_free(&m->queries);
	free(m);
}

static series_t *series(family_t *f, const char *labels)
{
	size_t len = strlen(labels);
	void *hit = nm_hmap_get(&f->idx, labels, len);
	if (hit)
		return &f->v[(size_t)hit - 1];
	/* The map stores indexes (+1), not pointers: the vector moves as it grows. */
	f->v = nm_xrealloc(f->v, sizeof *f->v * (f->n + 1));
	series_t *s = &f->v[f->n++];
	memset(s, 0, sizeof *s);
	s->labels = nm_xstrdup(labels);
	nm_hmap_put(&f->idx, s->labels, len, (void *)(uintptr_t)f->n);
	return s;
}

static void observe(series_t *s, const double *bounds, size_t nb, double v)
{
	s->count++;
	s->sum += v;
	for (size_t i = 0; i < nb; i++)
		if (v <= bounds[i]) {
			s->buckets[i]++;
			break;
		}
}

void srv_metrics_request(srv_metrics_t *m, const char *method, const char *route, int status, double seconds,
                         size_t body_bytes)
{
	char labels[256];
	snprintf(labels, sizeof labels, "method=\"%s\",route=\"%s\",status=\"%d\"", method, route, status);
	series(&m->requests, labels)->count++;
	snprintf(labels, sizeof labels, "method=\"%s\",route=\"%s\"", method, route);
	observe(series(&m->durations, labels), dur_bounds, NDUR, seconds);
	if (strcmp(route, "/memory/query") == 0 && status == 200)
		observe(series(&m->queries, ""), dur_bounds, NDUR, seconds);
	if (body_bytes) {
		snprintf(labels, sizeof labels, "route=\"%s\"", route);
		observe(series(&m->body_sizes, labels), size_bounds, NSIZE, (double)body_bytes);
	}
}

void srv_metrics_auth_failure(srv_metrics_t *m, int status)
{
	if (status == 401)
		m->auth_401++;
	else
		m->auth_403++;
}

static void put_histogram(nm_buf_t *b, const char *name, const char *help, const family_t *f, const double *bounds,
                          size_t nb)
{
	nm_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < f->n; i++) {
		const series_t *s = &f->v[i];
		const char *sep = s->labels[0] ? "," : "";
		uint64_t cum = 0;
		for (size_t k = 0; k < nb; k++) {
			cum += s->buckets[k];
			nm_buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, s->labels, sep, bounds[k],
			              (unsigned long long)cum);
		}
		nm_buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, s->labels, sep, (unsigned long long)s->count);
		nm_buf_printf(b, "%s_sum{%s} %.9g\n%s_count{%s} %llu\n", name, s->labels, s->sum, name, s->labels,
		              (unsigned long long)s->count);
	}
}

/* Append the request families to b (the rest of the page is meta.c's). */
void srv_metrics_write(const srv_metrics_t *m, nm_buf_t *b)
{
	nm_buf_puts(b, "# HELP nmemd_http_requests_total HTTP requests answered.\n"
	               "# TYPE nmemd_http_requests_total counter\n");
	for (size_t i = 0; i < m->requests.n; i++)
		nm_buf_printf(b, "nmemd_http_requests_total{%s} %llu\n", m->requests.v[i].labels,
		              (unsigned long long)m->requests.v[i].count);
	put_histogram(b, "nmemd_http_request_duration_seconds", "Time from request parsed to answer queued.",
	              &m->durations, dur_bounds, NDUR);
	put_histogram(b, "nmemd_http_request_body_bytes", "Request body sizes.", &m->body_sizes, size_bounds, NSIZE);
	put_histogram(b, "nmemd_query_duration_seconds", "Answered queries, request to reply.", &m->queries, dur_bounds,
	              NDUR);
	nm_buf_printf(b, "# HELP nmemd_auth_failures_total Requests refused by authentication.\n"
	                 "# TYPE nmemd_auth_failures_total counter\n"
	                 "nmemd_auth_failures_total{status=\"401\"} %llu\n"
	                 "nmemd_auth_failures_total{status=\"403\"} %llu\n",
	              (unsigned long long)m->auth_401, (unsigned long long)m->auth_403);
}
