/*
 * test_gindex.c — the in-memory graph index answers exactly what storage
 * answers (gindex.h, graph.h), on every backend, after randomised
 * sequences of writes: neuron, synapse and fiber creates, updates and
 * deletes (deleting a neuron takes its synapses), weight changes through
 * decay, and a bulk write large enough to make the index rebuild; and,
 * interleaved with those (issue 7), the whole-brain writes: archive runs
 * (lifecycle.h: old fibers with the neurons only they reach move out of
 * the live tables), restores of some or all archived fibers, decay runs
 * that prune, and snapshot imports merged into the non-empty brain
 * (snapshot.h: generated JSON and NDJSON with live and "archived"
 * elements, imports that fail halfway and roll back, and the brain's own
 * exports imported again, now or rounds later).
 *
 * Every round compares, for every neuron id ever used: the neuron, its
 * edges (caps 0 and 2, two weight floors), its fibers both ways, the key
 * look-up of its content; and fiber look-ups by id, time-span and
 * nearest-fiber look-ups over a grid of windows.
 *
 * The postgres runs use a fresh database on NMEMD_TEST_PG's server
 * (pgdb.h; skipped when that is unset).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "graph.h"
#include "isotime.h"
#include "jsonw.h"
#include "lifecycle.h"
#include "mem.h"
#include "pgdb.h"
#include "snapshot.h"
#include "store.h"

typedef struct be_param {
	char backend[16];             /* an array: criterion copies parameters into the test's process */
} be_param_t;

static be_param_t backends[] = {{"memory"}, {"sqlite"}, {"postgres"}};
static char TMP[256], DATA[300];
static pgdb_t PG;
static nm_store_t *S;
static nm_brain_t *B;
static unsigned SEED;
static const char *BACKEND;
static char STEP[200] = "start"; /* the last write, named in failure messages */

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
	bool pg = strcmp(backend, "postgres") == 0;
	if (pg)
		pgdb_setup(&PG);
	if (strcmp(backend, "memory") != 0) {
		snprintf(TMP, sizeof TMP, "/tmp/nmemd-gx-XXXXXX");
		cr_assert_not_null(mkdtemp(TMP));
		snprintf(DATA, sizeof DATA, "%s/data", TMP);
	}
	nm_store_opts_t o = {.backend = backend, .data_dir = DATA, .readers_per_brain = 2, .max_open_brains = 4,
	                     .graph_budget = 64 << 20, .pg_url = pg ? PG.url : NULL, .pg_pool = 4};
	nm_err_t err = {0};
	S = nm_store_open(&o, &err);
	cr_assert_not_null(S, "%s", err.detail);
	nm_brain_rec_t r = {.id = (char *)"g", .name = (char *)"g", .config = nm_config_default, .metadata = (char *)"{}"};
	cr_assert_eq(nm_store_brain_create(S, &r, &B, &err), 0, "%s", err.detail);
}

/* The .fini of every case: also after a failed assertion. */
static void teardown(void)
{
	nm_brain_release(B);
	nm_store_close(S);
	B = NULL;
	S = NULL;
	pgdb_teardown(&PG);
	if (TMP[0])
		nftw(TMP, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- random writes ---- */

static void nid(char *buf, unsigned i)
{
	snprintf(buf, 16, "n%u", i % NIDS);
}

static const char *const words[] = {"Alice", "alice", "Bob", "deploy", "Đà Nẵng", "đà nẵng", "cache", "API"};
/* fiber summaries (a fiber's search text when set, else its anchor's content) */
static const char *const summaries[] = {"Alice deployed the cache", "Bob and Alice met in Đà Nẵng",
                                        "cache cache API deploy", "nẵng đà Bob"};

static int ap_random(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	int ops = *(int *)arg;
	for (int k = 0; k < ops; k++) {
		char a[16], b[16], id[32], meta[160];
		nm_err_t e = {0};
		nid(a, rnd());
		nid(b, rnd());
		unsigned op = rnd() % 11;
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
			                  .direction = rnd() % 4 ? NM_DIR_UNI : NM_DIR_BI, .metadata = (char *)"{}",
			                  .last_activated = NM_TIME_NONE, .created_at = T0};
			if (nm_tx_synapse_add(tx, &s, &e) == -NM_ST_CONFLICT)
				nm_tx_synapse_update(tx, &s, &e);
		} else if (op < 8) { /* a fiber over 1-3 neurons */
			snprintf(id, sizeof id, "f%u", rnd() % 20);
			char c[16];
			nid(c, rnd());
			char *ids[3] = {a, b, c};
			nm_fiber_t f = {.id = id, .neuron_ids = {ids, 1 + rnd() % 3}, .anchor_neuron_id = a,
			                .summary = rnd() % 3 ? NULL : (char *)summaries[rnd() % 4],
			                .time_start = rnd() % 4 ? T0 + (int64_t)(rnd() % 50) * MIN : NM_TIME_NONE,
			                .salience = 0.5, .metadata = (char *)"{}",
			                .created_at = T0 + (int64_t)(rnd() % 50) * MIN}; /* archive runs pick by age */
			f.time_end = f.time_start;
			if (nm_tx_fiber_add(tx, &f, &e) == -NM_ST_CONFLICT)
				nm_tx_fiber_update(tx, &f, &e);
		} else if (op == 8) {
			nm_tx_neuron_delete(tx, a, &e);
		} else if (op == 10) { /* an activation: an archive run leaves fibers anchored here alone */
			nm_state_t st = {.neuron_id = a, .activation_level = 0.5, .access_frequency = 1,
			                 .last_activated = T0 + (int64_t)(rnd() % 60) * MIN,
			                 .decay_rate = NM_STATE_DEFAULT_DECAY, .created_at = T0};
			nm_tx_state_put(tx, &st, &e);
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

/* ---- whole-brain writes: archive, restore, decay runs, imports ---- */

/* What the lifecycle steps did over a test, so it can check they did
 * something (a sequence that never archives or imports tests nothing). */
typedef struct tally {
	int64_t archived_fibers, archived_neurons, archived_synapses;
	int64_t restored_fibers, restored_neurons, restored_synapses;
	int64_t imports, imports_failed, imported_archived, reimports, reimports_refused, pruned;
} tally_t;

static tally_t TALLY;
static char *SAVED;              /* an earlier export of the brain, imported again later */
static size_t SAVED_LEN;
static bool SAVED_NDJSON;
static int64_t DECAY_REF;        /* decay runs' reference time, moving forward */

/* An import's byte source: a buffer handed over in uneven pieces, so
 * elements straddle reads. */
typedef struct memsrc {
	const char *p;
	size_t len, pos;
} memsrc_t;

static ssize_t mem_read(void *arg, char *buf, size_t cap, nm_err_t *err)
{
	memsrc_t *m = arg;
	size_t n = m->len - m->pos;
	size_t piece = 97 + (m->pos * 7919) % 3001;
	if (n > piece)
		n = piece;
	if (n > cap)
		n = cap;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

typedef struct import_run {
	memsrc_t src;
	nm_import_opts_t o;
	nm_import_result_t res;
} import_run_t;

/* As the server's import handler: the snapshot streamed into one write
 * that owns the brain's writer, then the brain takes its name and config. */
static int import_apply(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	import_run_t *r = arg;
	return nm_snapshot_import(tx, (nm_reader_t){mem_read, &r->src}, &r->o, &r->res, err);
}

static int import_text(const char *text, size_t len, bool ndjson, nm_err_t *err)
{
	import_run_t r = {.src = {text, len, 0}};
	r.o.ndjson = ndjson;
	r.o.decode = (nm_decode_opts_t){.mode = NM_DECODE_CREATE, .max_content_bytes = 1 << 20, .now = T0};
	r.o.max_value = 1 << 20;
	r.o.max_depth = 64;
	int rc = nm_brain_write_own(B, import_apply, &r, err);
	if (rc == 0)
		rc = nm_brain_update(B, nm_import_take_name_config, &r.res, err);
	nm_import_result_clear(&r.res);
	return rc;
}

/* The brain's snapshot now, as the export handler writes it (owned). */
static char *export_text(bool ndjson, size_t *len)
{
	nm_tx_t *tx;
	nm_err_t err = {0};
	cr_assert_eq(nm_brain_read_begin(B, &tx, &err), 0, "%s", err.detail);
	nm_tx_bulk(tx);
	nm_brain_rec_t rec;
	nm_brain_rec_get(B, &rec);
	nm_export_opts_t o = {.ndjson = ndjson, .exported_at = T0};
	nm_jw_t w;
	nm_jw_init(&w);
	cr_assert_eq(nm_snapshot_export(tx, &rec, &o, &w, &err), 0, "[%s] export: %s", BACKEND, err.detail);
	nm_brain_read_end(tx);
	nm_brain_rec_clear(&rec);
	char *text = nm_buf_steal(&w.buf, len);
	nm_jw_free(&w);
	return text;
}

/* ---- generated snapshots ---- */

typedef struct gen {
	nm_jw_t w;
	bool ndjson;
	int64_t counts[NM_SNAP__COUNT];
	int archived;
} gen_t;

static void gen_item(gen_t *g, int section, const char *kind)
{
	nm_jw_obj(&g->w);
	if (g->ndjson) {
		nm_jw_key(&g->w, "kind");
		nm_jw_str(&g->w, kind);
	}
	g->counts[section]++;
}

static void gen_item_end(gen_t *g, bool archived)
{
	if (archived) {
		nm_jw_key(&g->w, "archived");
		nm_jw_bool(&g->w, true);
		g->archived++;
	}
	nm_jw_obj_end(&g->w);
	if (g->ndjson)
		nm_jw_line(&g->w);
}

/* A JSON document's section member, or nothing for NDJSON. */
static void gen_section(gen_t *g, const char *name)
{
	if (!g->ndjson) {
		nm_jw_key(&g->w, name);
		nm_jw_arr(&g->w);
	}
}

static void gen_section_end(gen_t *g)
{
	if (!g->ndjson)
		nm_jw_arr_end(&g->w);
}

typedef struct plan {
	bool live[NIDS], archived[NIDS];  /* the brain now */
	int nn;                            /* the snapshot's neurons */
	unsigned n_idx[NIDS];
	bool n_arch[NIDS];
	bool in_snap[NIDS], snap_arch[NIDS];
	int ns;
	unsigned s_id[60], s_src[60], s_dst[60], s_type[60], s_dir[60], s_w[60];
	bool s_arch[60];
	int nf;
	unsigned f_id[20], f_n[20][3], f_len[20];
	int64_t f_start[20], f_created[20];
	bool f_arch[20], f_typed[20];
	unsigned n_word[NIDS];
	bool n_time[NIDS];
	int64_t n_t[NIDS], n_created[NIDS];
} plan_t;

/* Choose a snapshot to merge into the brain: neurons, synapses and fibers
 * with ids of the test's pools (so most replace stored objects), some
 * "archived". Live synapses join neurons live after the neuron section;
 * archived ones may also join archived neurons. */
static void plan_snapshot(plan_t *p)
{
	memset(p, 0, sizeof *p);
	nm_tx_t *tx;
	nm_err_t err = {0};
	cr_assert_eq(nm_brain_read_begin(B, &tx, &err), 0, "%s", err.detail);
	for (unsigned i = 0; i < NIDS; i++) {
		char id[16];
		nid(id, i);
		p->live[i] = nm_tx_neuron_exists(tx, id, NULL) > 0;
		p->archived[i] = nm_archive_has(tx, NM_SNAP_NEURONS, id);
	}
	nm_brain_read_end(tx);
	int want = 1 + (int)(rnd() % 10);
	for (int k = 0; k < want; k++) {
		unsigned i = rnd() % NIDS;
		if (p->in_snap[i])
			continue;
		p->in_snap[i] = true;
		p->snap_arch[i] = rnd() % 5 == 0;
		p->n_idx[p->nn] = i;
		p->n_arch[p->nn] = p->snap_arch[i];
		p->n_word[p->nn] = rnd() % 8;
		p->n_time[p->nn] = rnd() % 3 == 0;
		p->n_t[p->nn] = T0 + (int64_t)(rnd() % 50) * MIN;
		p->n_created[p->nn] = T0 + (int64_t)(rnd() % 50) * MIN;
		p->nn++;
	}
	unsigned live_after[NIDS], known[NIDS], nl = 0, nk = 0;
	for (unsigned i = 0; i < NIDS; i++) {
		bool after = p->in_snap[i] ? !p->snap_arch[i] : p->live[i];
		if (after)
			live_after[nl++] = i;
		if (after || p->in_snap[i] || p->archived[i] || p->live[i])
			known[nk++] = i;
	}
	bool used_s[60] = {0}, used_f[20] = {0};
	want = (int)(rnd() % 10);
	for (int k = 0; k < want; k++) {
		unsigned id = rnd() % 60;
		bool arch = rnd() % 5 == 0;
		const unsigned *from = arch ? known : live_after;
		unsigned nfrom = arch ? nk : nl;
		if (used_s[id] || !nfrom)
			continue;
		used_s[id] = true;
		p->s_id[p->ns] = id;
		p->s_arch[p->ns] = arch;
		p->s_src[p->ns] = from[rnd() % nfrom];
		p->s_dst[p->ns] = rnd() % 8 ? from[rnd() % nfrom] : p->s_src[p->ns];
		p->s_type[p->ns] = rnd() % 4;
		p->s_dir[p->ns] = rnd() % 3 == 0;
		p->s_w[p->ns] = rnd() % 100;
		p->ns++;
	}
	want = (int)(rnd() % 5);
	for (int k = 0; k < want; k++) {
		unsigned id = rnd() % 20;
		if (used_f[id])
			continue;
		used_f[id] = true;
		p->f_id[p->nf] = id;
		p->f_arch[p->nf] = rnd() % 5 == 0;
		p->f_typed[p->nf] = rnd() % 2 == 0;
		p->f_len[p->nf] = 1 + rnd() % 3;
		for (unsigned j = 0; j < p->f_len[p->nf]; j++)
			p->f_n[p->nf][j] = rnd() % NIDS;
		p->f_start[p->nf] = rnd() % 4 ? T0 + (int64_t)(rnd() % 50) * MIN : NM_TIME_NONE;
		p->f_created[p->nf] = T0 + (int64_t)(rnd() % 50) * MIN;
		p->nf++;
	}
}

static void gen_neurons(gen_t *g, const plan_t *p)
{
	gen_section(g, "neurons");
	for (int k = 0; k < p->nn; k++) {
		char id[16], meta[160], t0[40], t1[40];
		nid(id, p->n_idx[k]);
		nm_time_format(p->n_t[k], t0);
		nm_time_format(p->n_t[k] + MIN, t1);
		snprintf(meta, sizeof meta, p->n_time[k] ? "{\"absolute_start\":\"%s\",\"absolute_end\":\"%s\"}" : "{}", t0,
		         t1);
		nm_neuron_t n = {.id = id, .type = p->n_time[k] ? NM_NEURON_TIME : NM_NEURON_ENTITY,
		                 .content = (char *)words[p->n_word[k]], .metadata = meta, .created_at = p->n_created[k]};
		n.content_len = strlen(n.content);
		gen_item(g, NM_SNAP_NEURONS, "neuron");
		nm_jw_neuron_fields(&g->w, &n);
		gen_item_end(g, p->n_arch[k]);
	}
	gen_section_end(g);
}

static void gen_synapses(gen_t *g, const plan_t *p, bool broken)
{
	gen_section(g, "synapses");
	for (int k = 0; k < p->ns + broken; k++) {
		char id[16], a[16], b[16];
		snprintf(id, sizeof id, "s%u", k < p->ns ? p->s_id[k] : 60);
		if (k < p->ns) {
			nid(a, p->s_src[k]);
			nid(b, p->s_dst[k]);
		} else { /* an endpoint neither in the snapshot nor stored: 422, the import rolls back */
			snprintf(a, sizeof a, "ghost");
			snprintf(b, sizeof b, "ghost");
		}
		nm_synapse_t y = {.id = id, .source_id = a, .target_id = b,
		                  .type = (nm_synapse_type_t)(k < p->ns ? p->s_type[k] : 0),
		                  .weight = k < p->ns ? p->s_w[k] / 100.0 : 0.5,
		                  .direction = k < p->ns && p->s_dir[k] ? NM_DIR_BI : NM_DIR_UNI, .metadata = (char *)"{}",
		                  .last_activated = NM_TIME_NONE, .created_at = T0};
		gen_item(g, NM_SNAP_SYNAPSES, "synapse");
		nm_jw_synapse_fields(&g->w, &y);
		gen_item_end(g, k < p->ns && p->s_arch[k]);
	}
	gen_section_end(g);
}

static void gen_fibers(gen_t *g, const plan_t *p)
{
	gen_section(g, "fibers");
	for (int k = 0; k < p->nf; k++) {
		char id[16], nids[3][16];
		char *v[3];
		size_t n = 0;
		snprintf(id, sizeof id, "f%u", p->f_id[k]);
		for (unsigned j = 0; j < p->f_len[k]; j++) {
			nid(nids[n], p->f_n[k][j]);
			bool dup = false;
			for (size_t i = 0; i < n; i++)
				dup |= strcmp(v[i], nids[n]) == 0;
			if (!dup) {
				v[n] = nids[n];
				n++;
			}
		}
		nm_fiber_t f = {.id = id, .neuron_ids = {v, n}, .anchor_neuron_id = v[0], .time_start = p->f_start[k],
		                .time_end = p->f_start[k], .salience = 0.25, .metadata = (char *)"{}",
		                .created_at = p->f_created[k]};
		gen_item(g, NM_SNAP_FIBERS, "fiber");
		nm_jw_fiber_fields(&g->w, &f);
		gen_item_end(g, p->f_arch[k]);
	}
	gen_section_end(g);
}

static void gen_typed(gen_t *g, const plan_t *p)
{
	gen_section(g, "typed_memories");
	for (int k = 0; k < p->nf; k++) {
		if (!p->f_typed[k])
			continue;
		char id[16];
		snprintf(id, sizeof id, "f%u", p->f_id[k]);
		gen_item(g, NM_SNAP_TYPED, "typed_memory");
		nm_jw_key(&g->w, "fiber_id");
		nm_jw_str(&g->w, id);
		nm_jw_key(&g->w, "memory_type");
		nm_jw_str(&g->w, "fact");
		gen_item_end(g, p->f_arch[k]);
	}
	gen_section_end(g);
}

static void gen_head(gen_t *g)
{
	char t[40];
	nm_jw_obj(&g->w);
	if (g->ndjson) {
		nm_jw_key(&g->w, "kind");
		nm_jw_str(&g->w, "brain");
	}
	nm_jw_key(&g->w, "brain_name");
	nm_jw_str(&g->w, "g");
	nm_jw_key(&g->w, "exported_at");
	nm_jw_str(&g->w, nm_time_format(T0, t));
	nm_jw_key(&g->w, "version");
	nm_jw_str(&g->w, NM_SNAPSHOT_VERSION);
	nm_jw_key(&g->w, "config");
	nm_jw_config(&g->w, &nm_config_default);
	if (g->ndjson) {
		nm_jw_obj_end(&g->w);
		nm_jw_line(&g->w);
	}
}

/* A snapshot per the plan, NDJSON (§6.4 order) or a JSON document whose
 * sections come in a shuffled order (the importer buffers early ones). */
static char *gen_snapshot(const plan_t *p, bool ndjson, bool broken, size_t *len, int *archived)
{
	gen_t g = {.ndjson = ndjson};
	nm_jw_init(&g.w);
	gen_head(&g);
	if (ndjson) {
		gen_neurons(&g, p);
		gen_synapses(&g, p, broken);
		gen_fibers(&g, p);
		gen_typed(&g, p);
		static const char *const names[NM_SNAP__COUNT] = {"neuron_count", "synapse_count", "fiber_count",
		                                                  "typed_memory_count", "project_count"};
		nm_jw_obj(&g.w);
		nm_jw_key(&g.w, "kind");
		nm_jw_str(&g.w, "end");
		for (int s = 0; s < NM_SNAP__COUNT; s++) {
			nm_jw_key(&g.w, names[s]);
			nm_jw_int(&g.w, g.counts[s]);
		}
		nm_jw_obj_end(&g.w);
		nm_jw_line(&g.w);
	} else {
		int order[4] = {0, 1, 2, 3};
		for (int i = 3; i > 0; i--) {
			int j = (int)(rnd() % (unsigned)(i + 1)), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < 4; i++) {
			if (order[i] == 0)
				gen_neurons(&g, p);
			else if (order[i] == 1)
				gen_synapses(&g, p, broken);
			else if (order[i] == 2)
				gen_fibers(&g, p);
			else {
				nm_jw_key(&g.w, "metadata");
				nm_jw_obj(&g.w);
				gen_typed(&g, p);
				nm_jw_obj_end(&g.w);
			}
		}
		nm_jw_obj_end(&g.w);
	}
	*archived = g.archived;
	char *text = nm_buf_steal(&g.w.buf, len);
	nm_jw_free(&g.w);
	return text;
}

/* ---- the steps ---- */

static void step_archive(int round)
{
	nm_err_t err = {0};
	nm_archive_opts_t o = {.cutoff = T0 + (int64_t)(rnd() % 60) * MIN, .dry_run = rnd() % 8 == 0};
	nm_archive_report_t r;
	snprintf(STEP, sizeof STEP, "round %d: archive%s, cutoff +%lld min", round, o.dry_run ? " (dry)" : "",
	         (long long)((o.cutoff - T0) / MIN));
	cr_assert_eq(nm_archive_run(B, &o, NULL, &r, &err), 0, "[%s] %s: %s", BACKEND, STEP, err.detail);
	if (!o.dry_run) {
		TALLY.archived_fibers += r.fibers;
		TALLY.archived_neurons += r.neurons;
		TALLY.archived_synapses += r.synapses;
	}
	size_t n = strlen(STEP);
	snprintf(STEP + n, sizeof STEP - n, " (%lld fibers, %lld neurons, %lld synapses)", (long long)r.fibers,
	         (long long)r.neurons, (long long)r.synapses);
}

static void step_restore(int round, bool all)
{
	nm_err_t err = {0};
	nm_strv_t ids = {0};
	char *s = STEP + snprintf(STEP, sizeof STEP, "round %d: restore %s", round, all ? "all" : "");
	if (!all) {
		int want = 1 + (int)(rnd() % 6);
		for (int k = 0; k < want; k++) {
			char *id = nm_xasprintf(rnd() % 7 ? "f%u" : "x%u", rnd() % 20); /* x…: unknown ids are skipped */
			if (s < STEP + sizeof STEP - 8)
				s += snprintf(s, (size_t)(STEP + sizeof STEP - s), "%s ", id);
			nm_strv_push(&ids, id);
		}
	}
	nm_archive_report_t r;
	cr_assert_eq(nm_archive_restore(B, all ? NULL : &ids, NULL, &r, &err), 0, "[%s] %s: %s", BACKEND, STEP,
	             err.detail);
	nm_strv_clear(&ids);
	TALLY.restored_fibers += r.fibers;
	TALLY.restored_neurons += r.neurons;
	TALLY.restored_synapses += r.synapses;
	size_t n = strlen(STEP);
	snprintf(STEP + n, sizeof STEP - n, "(%lld fibers, %lld neurons, %lld synapses)", (long long)r.fibers,
	         (long long)r.neurons, (long long)r.synapses);
}

static void step_import(int round)
{
	plan_t p;
	plan_snapshot(&p);
	bool ndjson = rnd() % 2, broken = rnd() % 6 == 0;
	size_t len;
	int archived;
	char *text = gen_snapshot(&p, ndjson, broken, &len, &archived);
	snprintf(STEP, sizeof STEP, "round %d: %simport of %s (%d neurons, %d synapses, %d fibers, %d archived)", round,
	         broken ? "failing " : "", ndjson ? "NDJSON" : "JSON", p.nn, p.ns, p.nf, archived);
	nm_err_t err = {0};
	int rc = import_text(text, len, ndjson, &err);
	if (broken) {
		cr_assert_eq(rc, -NM_ST_INVALID, "[%s] %s: %d %s", BACKEND, STEP, rc, err.detail);
		cr_assert(strstr(err.detail, "ghost"), "[%s] %s: %s", BACKEND, STEP, err.detail);
		TALLY.imports_failed++;
	} else {
		cr_assert_eq(rc, 0, "[%s] %s: %s\n%.*s", BACKEND, STEP, err.detail, (int)(len < 4000 ? len : 4000), text);
		TALLY.imports++;
		TALLY.imported_archived += archived;
	}
	free(text);
}

/* KNOWN BUG (lib, not the index; reported with issue 7): an archive run
 * moves every synapse touching a moved neuron, also one whose other end
 * stays live; when that end is deleted later (DELETE, a decay run's
 * orphan pruning, an import replacing it with an archived copy), the
 * export still lists the archived synapse and the import refuses it
 * ("synapses[i].target_id: neuron X not found"), even into an empty
 * brain. Until that is settled, an export the import refuses so is
 * imported again without those synapses; the refusal itself rolls back
 * whole (the comparison after the step covers it). */
static bool dangling_refusal(const nm_err_t *err)
{
	return err->status == NM_ST_INVALID && strstr(err->detail, "_id: neuron ") &&
	       strstr(err->detail, " not found");
}

/* Is neuron id live, archived, or in the snapshot (names)? */
static bool neuron_known(nm_tx_t *tx, const json_t *names, const char *id)
{
	return json_object_get(names, id) || nm_tx_neuron_exists(tx, id, NULL) > 0 ||
	       nm_archive_has(tx, NM_SNAP_NEURONS, id);
}

static bool dangling(nm_tx_t *tx, const json_t *names, const json_t *y)
{
	return json_is_true(json_object_get(y, "archived")) &&
	       (!neuron_known(tx, names, json_string_value(json_object_get(y, "source_id"))) ||
	        !neuron_known(tx, names, json_string_value(json_object_get(y, "target_id"))));
}

/* The snapshot without archived synapses whose ends are gone (owned). */
static char *strip_dangling(const char *text, size_t len, bool ndjson, size_t *out_len, int *dropped)
{
	nm_tx_t *tx;
	nm_err_t err = {0};
	cr_assert_eq(nm_brain_read_begin(B, &tx, &err), 0, "%s", err.detail);
	json_t *names = json_object();
	nm_buf_t out = {0};
	*dropped = 0;
	if (ndjson) {
		for (const char *p = text, *end = text + len, *nl; p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				nl = end;
			json_t *o = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL, NULL);
			cr_assert_not_null(o);
			const char *kind = json_string_value(json_object_get(o, "kind"));
			if (strcmp(kind, "neuron") == 0)
				json_object_set_new(names, json_string_value(json_object_get(o, "id")), json_true());
			if (strcmp(kind, "synapse") == 0 && dangling(tx, names, o)) {
				++*dropped;
			} else if (strcmp(kind, "end") == 0) {
				json_t *c = json_object_get(o, "synapse_count");
				json_integer_set(c, json_integer_value(c) - *dropped);
				char *line = json_dumps(o, JSON_COMPACT);
				nm_buf_printf(&out, "%s\n", line);
				free(line);
			} else {
				nm_buf_append(&out, p, (size_t)(nl - p));
				nm_buf_putc(&out, '\n');
			}
			json_decref(o);
		}
	} else {
		json_t *doc = json_loadb(text, len, JSON_ALLOW_NUL, NULL), *v;
		cr_assert_not_null(doc);
		size_t i;
		json_array_foreach(json_object_get(doc, "neurons"), i, v)
			json_object_set_new(names, json_string_value(json_object_get(v, "id")), json_true());
		json_t *syn = json_object_get(doc, "synapses");
		for (i = json_array_size(syn); i-- > 0;)
			if (dangling(tx, names, json_array_get(syn, i))) {
				json_array_remove(syn, i);
				++*dropped;
			}
		char *t = json_dumps(doc, JSON_COMPACT);
		nm_buf_puts(&out, t);
		free(t);
		json_decref(doc);
	}
	json_decref(names);
	nm_brain_read_end(tx);
	return nm_buf_steal(&out, out_len);
}

/* The brain's own export imported again: now (every object replaced by
 * itself, archived ones re-archived), or a saved one rounds later (the
 * brain merged back towards an older state). */
static void step_reimport(int round, bool saved)
{
	nm_err_t err = {0};
	char *text;
	size_t len;
	bool ndjson;
	if (saved && SAVED) {
		snprintf(STEP, sizeof STEP, "round %d: import of an earlier %s export", round,
		         SAVED_NDJSON ? "NDJSON" : "JSON");
		text = SAVED;
		len = SAVED_LEN;
		ndjson = SAVED_NDJSON;
		SAVED = NULL;
	} else {
		ndjson = rnd() % 2;
		text = export_text(ndjson, &len);
		snprintf(STEP, sizeof STEP, "round %d: import of its own %s export", round, ndjson ? "NDJSON" : "JSON");
		free(SAVED); /* the newer export replaces the one kept */
		SAVED = nm_xmalloc(len + 1); /* for a later round */
		memcpy(SAVED, text, len);
		SAVED[len] = '\0';
		SAVED_LEN = len;
		SAVED_NDJSON = ndjson;
	}
	int rc = import_text(text, len, ndjson, &err);
	if (rc < 0 && dangling_refusal(&err)) {
		int dropped;
		size_t len2;
		char *text2 = strip_dangling(text, len, ndjson, &len2, &dropped);
		cr_assert_gt(dropped, 0, "[%s] %s: refused, but no dangling archived synapse: %s", BACKEND, STEP,
		             err.detail);
		TALLY.reimports_refused++;
		size_t n = strlen(STEP);
		snprintf(STEP + n, sizeof STEP - n, ", again without %d dangling archived synapses", dropped);
		rc = import_text(text2, len2, ndjson, &err);
		free(text2);
	}
	free(text);
	cr_assert_eq(rc, 0, "[%s] %s: %s", BACKEND, STEP, err.detail);
	TALLY.reimports++;
}

static void step_decay(int round)
{
	nm_err_t err = {0};
	DECAY_REF += (int64_t)(1 + rnd() % 5) * 86400 * NM_USEC_PER_SEC;
	nm_decay_opts_t o = {.decay_rate = 0.02 + (rnd() % 10) / 100.0, .prune_threshold = 0.15, .min_age_days = 0,
	                     .prune_orphans = rnd() % 4 == 0, .reference_time = DECAY_REF};
	nm_decay_report_t r;
	cr_assert_eq(nm_decay_run(B, &o, NULL, &r, &err), 0, "[%s] decay: %s", BACKEND, err.detail);
	TALLY.pruned += r.synapses_pruned + r.neurons_pruned + r.orphans_removed;
	snprintf(STEP, sizeof STEP, "round %d: decay run%s (%lld synapses pruned, %lld orphans removed)", round,
	         o.prune_orphans ? " with orphans" : "", (long long)r.synapses_pruned, (long long)r.orphans_removed);
}

/* One whole-brain write, chosen at random. */
static void lifecycle_step(int round)
{
	unsigned op = rnd() % 12;
	if (op < 3)
		step_archive(round);
	else if (op < 5)
		step_restore(round, false);
	else if (op == 5)
		step_restore(round, true);
	else if (op < 9)
		step_import(round);
	else if (op < 11)
		step_reimport(round, op == 10);
	else
		step_decay(round);
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
		cr_log_error("[%s] after %s: %s: index [%s] storage [%s]", BACKEND, STEP, what, la, lb);
	cr_assert_eq(a->n, b->n, "[%s] after %s: %s: %zu ids from the index, %zu from storage", BACKEND, STEP, what, a->n,
	             b->n);
	for (size_t i = 0; i < a->n; i++)
		cr_assert_str_eq(a->v[i], b->v[i], "[%s] after %s: %s[%zu]: index %s, storage %s", BACKEND, STEP, what, i,
		                 a->v[i], b->v[i]);
}

static void same_fibers(const nm_fiberlist_t *a, const nm_fiberlist_t *b, const char *what)
{
	cr_assert_eq(a->n, b->n, "[%s] after %s: %s: %zu fibers from the index, %zu from storage", BACKEND, STEP, what,
	             a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		cr_assert_str_eq(a->v[i]->id, b->v[i]->id, "[%s] after %s: %s[%zu]", BACKEND, STEP, what, i);
		cr_assert_eq(a->v[i]->time_start, b->v[i]->time_start, "[%s] after %s: %s[%zu] time_start", BACKEND, STEP,
		             what, i);
		cr_assert_str_eq(a->v[i]->anchor, b->v[i]->anchor, "[%s] after %s: %s[%zu] anchor", BACKEND, STEP, what, i);
	}
}

/* Full-text search (fiber texts: summaries, anchors' contents): the same
 * fibers in the same order with the same scores, for single-token terms,
 * phrases (in order and reversed), missing terms and repeated terms. */
static void compare_search(nm_graph_t *x, nm_graph_t *y)
{
	static const char *const queries[][4] = {
		{"alice"}, {"deploy", "cache"}, {"đà nẵng", "bob"}, {"nẵng đà"}, {"api", "alice", "zzz"},
		{"cache", "cache"}, {"zzz"}, {"bob", "deploy", "đà nẵng", "api"}, {"Alice deployed"},
	};
	for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++)
		for (int64_t k = 2; k <= 50; k += 48) {
			nm_strv_t terms = {0};
			for (size_t i = 0; i < 4 && queries[q][i]; i++)
				nm_strv_add(&terms, queries[q][i]);
			nm_scored_t *a, *b;
			size_t na, nb;
			cr_assert_eq(nm_graph_fiber_search(x, &terms, k, &a, &na, NULL), 0);
			cr_assert_eq(nm_graph_fiber_search(y, &terms, k, &b, &nb, NULL), 0);
			cr_assert_eq(na, nb, "[%s] after %s: search %zu k=%lld: %zu fibers from the index, %zu from storage",
			             BACKEND, STEP, q, (long long)k, na, nb);
			for (size_t i = 0; i < na; i++) {
				cr_assert_str_eq(a[i].fiber->id, b[i].fiber->id, "[%s] after %s: search %zu k=%lld [%zu]", BACKEND,
				                 STEP, q, (long long)k, i);
				cr_assert_float_eq(a[i].score, b[i].score, 1e-12 * (1 + b[i].score),
				                   "[%s] after %s: search %zu [%zu] score", BACKEND, STEP, q, i);
			}
			nm_strv_clear(&terms);
		}
}

/* (The storage graph caches a neuron's edge list with the cap it had when
 * first asked, so each cap gets graphs of its own.) */
static void compare_neuron(nm_graph_t *x, nm_graph_t *y, const char *id, int cap)
{
	int rc1, rc2;
	char what[64];
	const nm_gneuron_t *a = nm_graph_neuron(x, id, &rc1, NULL), *b = nm_graph_neuron(y, id, &rc2, NULL);
	cr_assert_eq(!a, !b, "[%s] after %s: neuron %s: index %s, storage %s", BACKEND, STEP, id,
	             a ? "has it" : "lacks it", b ? "has it" : "lacks it");
	if (a) {
		cr_assert_eq(a->content_len, b->content_len, "[%s] after %s: neuron %s content", BACKEND, STEP, id);
		cr_assert(memcmp(a->content, b->content, a->content_len) == 0, "[%s] after %s: neuron %s content", BACKEND,
		          STEP, id);
		cr_assert_eq(a->type, b->type, "[%s] after %s: neuron %s type", BACKEND, STEP, id);
		cr_assert_eq(a->created_at, b->created_at, "[%s] after %s: neuron %s created_at", BACKEND, STEP, id);
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
			cr_assert_eq(n1, n2, "[%s] after %s: edges of %s (cap %d, min %.1f): index %zu, storage %zu", BACKEND,
			             STEP, id, cap, w * 0.5, n1, n2);
			for (size_t i = 0; i < n1; i++) {
				cr_assert_str_eq(e1[i].synapse_id, e2[i].synapse_id, "[%s] after %s: edge %zu of %s", BACKEND, STEP,
				                 i, id);
				cr_assert_str_eq(e1[i].other, e2[i].other, "[%s] after %s: edge %s", BACKEND, STEP, e1[i].synapse_id);
				cr_assert_eq(e1[i].out, e2[i].out, "[%s] after %s: edge %s", BACKEND, STEP, e1[i].synapse_id);
				cr_assert_float_eq(e1[i].weight, e2[i].weight, 1e-12, "[%s] after %s: edge %s weight", BACKEND, STEP,
				                   e1[i].synapse_id);
				cr_assert_eq(e1[i].type, e2[i].type, "[%s] after %s: edge %s type", BACKEND, STEP, e1[i].synapse_id);
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
		cr_assert_eq(!a, !b, "[%s] after %s: fiber %s: index %s, storage %s", BACKEND, STEP, id,
		             a ? "has it" : "lacks it", b ? "has it" : "lacks it");
		if (a) {
			cr_assert_float_eq(a->salience, b->salience, 1e-12, "[%s] after %s: fiber %s", BACKEND, STEP, id);
			cr_assert_str_eq(a->anchor, b->anchor, "[%s] after %s: fiber %s anchor", BACKEND, STEP, id);
			cr_assert_eq(a->time_start, b->time_start, "[%s] after %s: fiber %s time_start", BACKEND, STEP, id);
			cr_assert_eq(a->time_end, b->time_end, "[%s] after %s: fiber %s time_end", BACKEND, STEP, id);
			cr_assert_eq(a->created_at, b->created_at, "[%s] after %s: fiber %s created_at", BACKEND, STEP, id);
		}
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
	compare_search(x, y);
	nm_graph_close(x);
	nm_graph_close(y);
	nm_brain_read_end(tx);
}

ParameterizedTestParameters(gindex, matches_storage)
{
	return cr_make_param_array(be_param_t, backends, sizeof backends / sizeof backends[0]);
}

/* Random writes, each round followed (two rounds in three) by one
 * whole-brain write: archive, restore, import, decay run. */
ParameterizedTest(be_param_t *p, gindex, matches_storage, .fini = teardown, .timeout = 120)
{
	setup(p->backend);
	SEED = 12345;
	memset(&TALLY, 0, sizeof TALLY);
	DECAY_REF = T0;
	nm_err_t err = {0};
	snprintf(STEP, sizeof STEP, "nothing (an empty brain)");
	compare_all(); /* builds the index of an empty brain */
	for (int round = 0; round < 150; round++) {
		int ops = 1 + (int)(rnd() % 12);
		cr_assert_eq(nm_brain_write_sync(B, ap_random, &ops, &err), 0, "%s", err.detail);
		if (round % 15 == 14)
			cr_assert_eq(nm_brain_write_sync(B, ap_decay, NULL, &err), 0, "%s", err.detail);
		snprintf(STEP, sizeof STEP, "round %d: %d random writes%s", round, ops, round % 15 == 14 ? ", decay" : "");
		compare_all(); /* the index replayed every commit */
		if (rnd() % 3) {
			lifecycle_step(round);
			compare_all();
		}
	}
	cr_log_info("[%s] archived %lld fibers, %lld neurons, %lld synapses; restored %lld fibers, %lld neurons, "
	            "%lld synapses; %lld imports (%lld archived elements), %lld failed, %lld re-imports (%lld first refused: "
	            "known bug); %lld pruned",
	            BACKEND, (long long)TALLY.archived_fibers, (long long)TALLY.archived_neurons,
	            (long long)TALLY.archived_synapses, (long long)TALLY.restored_fibers,
	            (long long)TALLY.restored_neurons, (long long)TALLY.restored_synapses, (long long)TALLY.imports,
	            (long long)TALLY.imported_archived, (long long)TALLY.imports_failed, (long long)TALLY.reimports,
	            (long long)TALLY.reimports_refused, (long long)TALLY.pruned);
	/* the sequence did what it is meant to test */
	cr_assert_gt(TALLY.archived_fibers, 0);
	cr_assert_gt(TALLY.archived_neurons, 0);
	cr_assert_gt(TALLY.archived_synapses, 0);
	cr_assert_gt(TALLY.restored_fibers, 0);
	cr_assert_gt(TALLY.restored_neurons, 0);
	cr_assert_gt(TALLY.restored_synapses, 0);
	cr_assert_gt(TALLY.imports, 0);
	cr_assert_gt(TALLY.imported_archived, 0);
	cr_assert_gt(TALLY.imports_failed, 0);
	cr_assert_gt(TALLY.reimports, 0);
	cr_assert_gt(TALLY.pruned, 0);
	free(SAVED);
	SAVED = NULL;
}

ParameterizedTestParameters(gindex, rebuilds_after_bulk_writes)
{
	return cr_make_param_array(be_param_t, backends, sizeof backends / sizeof backends[0]);
}

ParameterizedTest(be_param_t *p, gindex, rebuilds_after_bulk_writes, .fini = teardown, .timeout = 120)
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
}
