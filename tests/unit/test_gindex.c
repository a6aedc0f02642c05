/*
 * test_gindex.c — the in-memory graph index answers exactly what storage
 * answers (gindex.h, graph.h), on both backends, after randomised
 * sequences of writes: neuron, synapse and fiber creates, updates and
 * deletes (deleting a neuron takes its synapses), weight changes through
 * decay, and a bulk write large enough to make the index rebuild.
 *
 * Every round compares, for every neuron id ever used: the neuron, its
 * edges (caps 0 and 2, two weight floors), its fibers both ways, the key
 * look-up of its content; and fiber look-ups by id, time-span and
 * nearest-fiber look-ups over a grid of windows.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "isotime.h"
#include "mem.h"
#include "store.h"

typedef struct be_param {
	char backend[16];             /* an array: criterion copies parameters into the test's process */
} be_param_t;

static be_param_t backends[] = {{"memory"}, {"sqlite"}};
static char TMP[256], DATA[300];
static nm_store_t *S;
static nm_brain_t *B;
static unsigned SEED;
static const char *BACKEND;

#define NIDS 40
#define T0 1767225600000000LL /* 2026-01-01 */
#define MIN (60LL * NM_USEC_PER_SEC)

static unsigned rnd(void)
{
	SEED = SEED * 1103515245u + 12345u;
	return (SEED >> 8) & 0xffffff;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void setup(const char *backend)
{
	BACKEND = backend;
	TMP[0] = '\0';
	snprintf(DATA, sizeof DATA, "/nonexistent/gindex");
	if (strcmp(backend, "sqlite") == 0) {
		snprintf(TMP, sizeof TMP, "/tmp/nmemd-gx-XXXXXX");
		cr_assert_not_null(mkdtemp(TMP));
		snprintf(DATA, sizeof DATA, "%s/data", TMP);
	}
	nm_store_opts_t o = {.backend = backend, .data_dir = DATA, .readers_per_brain = 2, .max_open_brains = 4,
	                     .graph_budget = 64 << 20};
	nm_err_t err = {0};
	S = nm_store_open(&o, &err);
	cr_assert_not_null(S, "%s", err.detail);
	nm_brain_rec_t r = {.id = (char *)"g", .name = (char *)"g", .config = nm_config_default, .metadata = (char *)"{}"};
	cr_assert_eq(nm_store_brain_create(S, &r, &B, &err), 0, "%s", err.detail);
}

static void teardown(void)
{
	nm_brain_release(B);
	nm_store_close(S);
	if (TMP[0])
		nftw(TMP, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- random writes ---- */

static void nid(char *buf, unsigned i)
{
	snprintf(buf, 16, "n%u", i % NIDS);
}

static const char *const words[] = {"Alice", "alice", "Bob", "deploy", "Đà Nẵng", "đà nẵng", "cache", "API"};

static int ap_random(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	int ops = *(int *)arg;
	for (int k = 0; k < ops; k++) {
		char a[16], b[16], id[32], meta[160];
		nm_err_t e = {0};
		nid(a, rnd());
		nid(b, rnd());
		unsigned op = rnd() % 10;
		if (op < 3) { /* a neuron: time neurons get a denoted interval */
			int64_t t = T0 + (int64_t)(rnd() % 50) * MIN;
			bool time = rnd() % 3 == 0;
			char t0[40], t1[40];
			nm_time_format(t, t0);
			nm_time_format(t + (int64_t)(rnd() % 4) * MIN, t1);
			snprintf(meta, sizeof meta, time ? "{\"absolute_start\":\"%s\",\"absolute_end\":\"%s\"}" : "{}", t0, t1);
			nm_neuron_t n = {.id = a, .type = time ? NM_NEURON_TIME : NM_NEURON_CONCEPT,
			                 .content = (char *)words[rnd() % 8], .metadata = meta, .created_at = t};
			n.content_len = strlen(n.content);
			if (nm_tx_neuron_add(tx, &n, &e) == -NM_ST_CONFLICT)
				nm_tx_neuron_update(tx, &n, &e);
		} else if (op < 6) { /* a synapse between two neurons */
			snprintf(id, sizeof id, "s%u", rnd() % 60);
			nm_synapse_t s = {.id = id, .source_id = a, .target_id = rnd() % 8 ? b : a,
			                  .type = (nm_synapse_type_t)(rnd() % 4), .weight = (rnd() % 100) / 100.0,
			                  .direction = NM_DIR_UNI, .metadata = (char *)"{}", .last_activated = NM_TIME_NONE,
			                  .created_at = T0};
			if (nm_tx_synapse_add(tx, &s, &e) == -NM_ST_CONFLICT)
				nm_tx_synapse_update(tx, &s, &e);
		} else if (op < 8) { /* a fiber over 1-3 neurons */
			snprintf(id, sizeof id, "f%u", rnd() % 20);
			char c[16];
			nid(c, rnd());
			char *ids[3] = {a, b, c};
			nm_fiber_t f = {.id = id, .neuron_ids = {ids, 1 + rnd() % 3}, .anchor_neuron_id = a,
			                .time_start = rnd() % 4 ? T0 + (int64_t)(rnd() % 50) * MIN : NM_TIME_NONE,
			                .salience = 0.5, .metadata = (char *)"{}", .created_at = T0};
			f.time_end = f.time_start;
			if (nm_tx_fiber_add(tx, &f, &e) == -NM_ST_CONFLICT)
				nm_tx_fiber_update(tx, &f, &e);
		} else if (op == 8) {
			nm_tx_neuron_delete(tx, a, &e);
		} else {
			snprintf(id, sizeof id, rnd() % 2 ? "s%u" : "f%u", rnd() % 60);
			if (id[0] == 's')
				nm_tx_synapse_delete(tx, id, &e);
			else
				nm_tx_fiber_delete(tx, id, &e);
		}
	}
	return 0;
}

/* Decay-style weight changes through the row cursor. */
static int reweigh(void *arg, const nm_decay_row_t *r)
{
	nm_tx_t *tx = arg;
	nm_tx_decay_set(tx, NM_DECAY_SYNAPSES, r->seq, r->id, r->value / 2, T0, NULL);
	return 0;
}

static int ap_decay(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	return nm_tx_decay_scan(tx, NM_DECAY_SYNAPSES, 0, 0, reweigh, tx, err);
}

/* ---- comparing the two paths ---- */

static void same_ids(const nm_idlist_t *a, const nm_idlist_t *b, const char *what)
{
	char la[512] = "", lb[512] = "";
	for (size_t i = 0; i < a->n && strlen(la) < 400; i++)
		strcat(strcat(la, a->v[i]), " ");
	for (size_t i = 0; i < b->n && strlen(lb) < 400; i++)
		strcat(strcat(lb, b->v[i]), " ");
	if (a->n != b->n || (a->n && strcmp(la, lb)))
		cr_log_error("[%s] %s: index [%s] storage [%s]", BACKEND, what, la, lb);
	cr_assert_eq(a->n, b->n, "[%s] %s: %zu ids from the index, %zu from storage", BACKEND, what, a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		cr_assert_str_eq(a->v[i], b->v[i], "[%s] %s[%zu]: index %s, storage %s", BACKEND, what, i, a->v[i], b->v[i]);
}

static void same_fibers(const nm_fiberlist_t *a, const nm_fiberlist_t *b, const char *what)
{
	cr_assert_eq(a->n, b->n, "%s: %zu fibers from the index, %zu from storage", what, a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		cr_assert_str_eq(a->v[i]->id, b->v[i]->id, "%s[%zu]", what, i);
		cr_assert_eq(a->v[i]->time_start, b->v[i]->time_start, "%s[%zu] time_start", what, i);
		cr_assert_str_eq(a->v[i]->anchor, b->v[i]->anchor, "%s[%zu] anchor", what, i);
	}
}

/* (The storage graph caches a neuron's edge list with the cap it had when
 * first asked, so each cap gets graphs of its own.) */
static void compare_neuron(nm_graph_t *x, nm_graph_t *y, const char *id, int cap)
{
	int rc1, rc2;
	char what[64];
	const nm_gneuron_t *a = nm_graph_neuron(x, id, &rc1, NULL), *b = nm_graph_neuron(y, id, &rc2, NULL);
	cr_assert_eq(!a, !b, "neuron %s: index %s, storage %s", id, a ? "has it" : "lacks it", b ? "has it" : "lacks it");
	if (a) {
		cr_assert_eq(a->content_len, b->content_len);
		cr_assert(memcmp(a->content, b->content, a->content_len) == 0, "neuron %s content", id);
		cr_assert_eq(a->type, b->type);
		nm_idlist_t k1, k2;
		cr_assert_eq(nm_graph_find_key(x, a->content, a->content_len, 0, &k1, NULL), 0);
		cr_assert_eq(nm_graph_find_key(y, a->content, a->content_len, 0, &k2, NULL), 0);
		snprintf(what, sizeof what, "key of %s", id);
		same_ids(&k1, &k2, what);
	}
	nm_graph_cap_edges(x, cap);
	nm_graph_cap_edges(y, cap);
	for (int w = 0; w < 2; w++) {
			const nm_edge_t *e1, *e2;
			size_t n1, n2;
			cr_assert_eq(nm_graph_edges(x, id, w * 0.5, &e1, &n1, NULL), 0);
			cr_assert_eq(nm_graph_edges(y, id, w * 0.5, &e2, &n2, NULL), 0);
			cr_assert_eq(n1, n2, "[%s] edges of %s (cap %d, min %.1f): index %zu, storage %zu", BACKEND, id, cap,
			             w * 0.5, n1, n2);
			for (size_t i = 0; i < n1; i++) {
				cr_assert_str_eq(e1[i].synapse_id, e2[i].synapse_id, "edge %zu of %s", i, id);
				cr_assert_str_eq(e1[i].other, e2[i].other);
				cr_assert_eq(e1[i].out, e2[i].out);
				cr_assert_float_eq(e1[i].weight, e2[i].weight, 1e-12);
				cr_assert_eq(e1[i].type, e2[i].type);
			}
	}
	nm_fiberlist_t f1, f2;
	cr_assert_eq(nm_graph_fibers_of(x, id, 0, &f1, NULL), 0);
	cr_assert_eq(nm_graph_fibers_of(y, id, 0, &f2, NULL), 0);
	snprintf(what, sizeof what, "fibers of %s", id);
	same_fibers(&f1, &f2, what);
	cr_assert_eq(nm_graph_fibers_of_newest(x, id, 2, &f1, NULL), 0);
	cr_assert_eq(nm_graph_fibers_of_newest(y, id, 2, &f2, NULL), 0);
	same_fibers(&f1, &f2, "newest fibers");
}

static void compare_all(void)
{
	nm_tx_t *tx;
	nm_err_t err = {0};
	cr_assert_eq(nm_brain_read_begin(B, &tx, &err), 0, "%s", err.detail);
	nm_graph_t *x, *y;
	for (int cap = 2; cap >= 0; cap -= 2) {
		x = nm_graph_open(tx);
		y = nm_graph_open(tx);
		cr_assert(nm_graph_use_index(x), "the index is on");
		for (unsigned i = 0; i < NIDS; i++) {
			char id[16];
			nid(id, i);
			compare_neuron(x, y, id, cap);
		}
		if (cap) {
			nm_graph_close(x);
			nm_graph_close(y);
		}
	}
	for (unsigned i = 0; i < 20; i++) {
		char id[16];
		snprintf(id, sizeof id, "f%u", i);
		int rc1, rc2;
		const nm_gfiber_t *a = nm_graph_fiber(x, id, &rc1, NULL), *b = nm_graph_fiber(y, id, &rc2, NULL);
		cr_assert_eq(!a, !b, "fiber %s", id);
		if (a)
			cr_assert_float_eq(a->salience, b->salience, 1e-12);
	}
	for (int64_t w = 0; w < 52; w += 3)
		for (int exact = 0; exact < 2; exact++) {
			nm_idlist_t s1, s2;
			int64_t t0 = T0 + w * MIN, t1 = t0 + (w % 4) * MIN;
			cr_assert_eq(nm_graph_time_spans(x, t0, t1, exact, 0, &s1, NULL), 0);
			cr_assert_eq(nm_graph_time_spans(y, t0, t1, exact, 0, &s2, NULL), 0);
			same_ids(&s1, &s2, "time spans");
			nm_fiberlist_t f1, f2;
			cr_assert_eq(nm_graph_fibers_nearest(x, t0, 5 * MIN, 5, &f1, NULL), 0);
			cr_assert_eq(nm_graph_fibers_nearest(y, t0, 5 * MIN, 5, &f2, NULL), 0);
			same_fibers(&f1, &f2, "nearest fibers");
		}
	nm_graph_close(x);
	nm_graph_close(y);
	nm_brain_read_end(tx);
}

ParameterizedTestParameters(gindex, matches_storage)
{
	return cr_make_param_array(be_param_t, backends, sizeof backends / sizeof backends[0]);
}

ParameterizedTest(be_param_t *p, gindex, matches_storage, .timeout = 120)
{
	setup(p->backend);
	SEED = 12345;
	nm_err_t err = {0};
	compare_all(); /* builds the index of an empty brain */
	for (int round = 0; round < 60; round++) {
		int ops = 1 + (int)(rnd() % 12);
		cr_assert_eq(nm_brain_write_sync(B, ap_random, &ops, &err), 0, "%s", err.detail);
		if (round % 15 == 14)
			cr_assert_eq(nm_brain_write_sync(B, ap_decay, NULL, &err), 0, "%s", err.detail);
		compare_all(); /* the index replayed every commit */
	}
	teardown();
}

ParameterizedTestParameters(gindex, rebuilds_after_bulk_writes)
{
	return cr_make_param_array(be_param_t, backends, sizeof backends / sizeof backends[0]);
}

ParameterizedTest(be_param_t *p, gindex, rebuilds_after_bulk_writes, .timeout = 120)
{
	setup(p->backend);
	SEED = 777;
	nm_err_t err = {0};
	int ops = 200;
	cr_assert_eq(nm_brain_write_sync(B, ap_random, &ops, &err), 0, "%s", err.detail);
	compare_all();
	ops = 60000; /* past the change log's bound: the index is dropped and rebuilt */
	cr_assert_eq(nm_brain_write_sync(B, ap_random, &ops, &err), 0, "%s", err.detail);
	compare_all();
	teardown();
}
