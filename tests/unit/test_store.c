/*
 * test_store.c — THE storage contract (lib/store.h), written once and run
 * against every backend (STYLE.md "Tests"). Each case is a Criterion
 * parameterized test over the backends {"memory", "sqlite", "postgres"};
 * the sqlite and postgres runs get a fresh temporary data directory, and
 * the postgres run a fresh database on NMEMD_TEST_PG's server (pgdb.h;
 * skipped when that is unset), both removed in the .fini fixture.
 *
 * Semantics come from store.h and PROTOCOL.md §3 (scans, filters, orders).
 * Cases that only make sense for a persistent backend (reopen: close the
 * store, open it again on the same directory / database) are skipped for
 * "memory"; those about SQLite's files (schema migrations, the directory
 * lock) run for "sqlite" only.
 *
 * Determinism: no sleeps and no timing-dependent verdicts. Two isolation
 * tests give a concurrent reader a bounded chance to run (a deadline, as
 * STYLE.md's "wait by polling with a deadline"); whether it ran before or
 * after the deadline, the expected result is the same.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp, nftw, strtok_r; the Makefile also defines it */
#endif
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "isotime.h"
#include "mem.h"
#include "model.h"
#include "pgdb.h"
#include "store.h"
#include "text.h"

#define NONE NM_TIME_NONE
#define T0 1767323045000000LL /* 2026-01-02T03:04:05 */
#define SEC NM_USEC_PER_SEC
#define DAY (86400 * SEC)

/* ------------------------------------------------------------------ */
/* fixture                                                             */
/* ------------------------------------------------------------------ */

typedef struct be_param {
	char backend[16];
} be_param_t;

static be_param_t backends[] = {{"memory"}, {"sqlite"}, {"postgres"}};

static const char *BACKEND;       /* backend of the running test */
static char TMPDIR_[256];         /* sqlite, postgres: mkdtemp directory, "" otherwise */
static char DATA[300];            /* sqlite, postgres: data_dir inside TMPDIR_ */
static pgdb_t PG;                 /* postgres: the test's database */
static nm_store_t *S;             /* the store under test */
static nm_brain_t *B;             /* brain "b1", created by setup */
static nm_err_t E;                /* last error of the helpers below */

static bool is_memory(void)
{
	return strcmp(BACKEND, "memory") == 0;
}

static bool is_sqlite(void)
{
	return strcmp(BACKEND, "sqlite") == 0;
}

static bool is_postgres(void)
{
	return strcmp(BACKEND, "postgres") == 0;
}

static nm_store_t *open_store(nm_err_t *err)
{
	nm_store_opts_t o = {.backend = BACKEND, .data_dir = DATA, .readers_per_brain = 4, .max_open_brains = 16,
		.pg_url = is_postgres() ? PG.url : NULL, .pg_pool = 4};
	return nm_store_open(&o, err);
}

static int create_brain(const char *id, nm_brain_t **out)
{
	nm_brain_rec_t r = {.id = (char *)id, .name = (char *)"Brain", .config = nm_config_default,
		.metadata = (char *)"{}"};
	memset(&E, 0, sizeof E);
	return nm_store_brain_create(S, &r, out, &E);
}

static void setup(const char *backend)
{
	BACKEND = backend;
	TMPDIR_[0] = DATA[0] = '\0';
	if (is_postgres())
		pgdb_setup(&PG);
	if (!is_memory()) {
		snprintf(TMPDIR_, sizeof TMPDIR_, "/tmp/nmemd-unit-XXXXXX");
		cr_assert_not_null(mkdtemp(TMPDIR_), "mkdtemp: %s", strerror(errno));
		snprintf(DATA, sizeof DATA, "%s/data", TMPDIR_);
	} else {
		snprintf(DATA, sizeof DATA, "/nonexistent/nmemd-memory-backend");
	}
	nm_err_t err = {0};
	S = open_store(&err);
	cr_assert_not_null(S, "[%s] nm_store_open: %d %s", BACKEND, err.status, err.detail);
	cr_assert_eq(create_brain("b1", &B), 0, "[%s] create b1: %s", BACKEND, E.detail);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	if (B)
		nm_brain_release(B);
	B = NULL;
	if (S)
		nm_store_close(S);
	S = NULL;
	pgdb_teardown(&PG);
	if (TMPDIR_[0])
		nftw(TMPDIR_, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	TMPDIR_[0] = '\0';
}

/* One test body run for every backend. */
#define STORE_TEST(tname)                                                                 \
	static void tname##_body(void);                                                       \
	ParameterizedTestParameters(store, tname)                                             \
	{                                                                                     \
		return cr_make_param_array(be_param_t, backends, sizeof backends / sizeof backends[0]); \
	}                                                                                     \
	ParameterizedTest(be_param_t *p, store, tname, .fini = teardown, .timeout = 120)      \
	{                                                                                     \
		setup(p->backend);                                                                \
		tname##_body();                                                                   \
	}                                                                                     \
	static void tname##_body(void)

/* A skipped case does not reach its .fini: tear down first. */
#define SKIP_UNLESS(cond, why)                                \
	do {                                                      \
		if (!(cond)) {                                        \
			teardown();                                       \
			cr_skip_test("%s; %s skipped", why, BACKEND);     \
		}                                                     \
	} while (0)
#define PERSISTENT_ONLY() SKIP_UNLESS(!is_memory(), "persistent-backend case")
#define SQLITE_ONLY() SKIP_UNLESS(is_sqlite(), "case about SQLite's files")

/* ------------------------------------------------------------------ */
/* write helpers: each runs one nm_brain_write_sync on B, error in E    */
/* ------------------------------------------------------------------ */

typedef int (*apply_fn)(nm_tx_t *tx, void *arg, nm_err_t *err);

static int wsync_on(nm_brain_t *b, apply_fn fn, void *arg)
{
	memset(&E, 0, sizeof E);
	return nm_brain_write_sync(b, fn, arg, &E);
}

static int wsync(apply_fn fn, void *arg)
{
	return wsync_on(B, fn, arg);
}

static int ap_neuron_add(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_neuron_add(tx, arg, err); }
static int ap_neuron_update(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_neuron_update(tx, arg, err); }
static int ap_neuron_delete(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_neuron_delete(tx, arg, err); }
static int ap_state_put(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_state_put(tx, arg, err); }
static int ap_synapse_add(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_synapse_add(tx, arg, err); }
static int ap_synapse_update(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_synapse_update(tx, arg, err); }
static int ap_synapse_delete(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_synapse_delete(tx, arg, err); }
static int ap_fiber_add(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_fiber_add(tx, arg, err); }
static int ap_fiber_update(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_fiber_update(tx, arg, err); }
static int ap_fiber_delete(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_fiber_delete(tx, arg, err); }
static int ap_meta_put(nm_tx_t *tx, void *arg, nm_err_t *err) { return nm_tx_meta_put(tx, arg, err); }

typedef struct blob_put {
	const char *key;
	nm_memory_type_t type;
	const char *json;
} blob_put_t;

static int ap_typed_put(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	blob_put_t *p = arg;
	return nm_tx_typed_memory_put(tx, p->key, p->type, p->json, err);
}

static int ap_project_put(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	blob_put_t *p = arg;
	return nm_tx_project_put(tx, p->key, p->json, err);
}

static nm_neuron_t mkneuron(const char *id, nm_neuron_type_t type, const char *content, int64_t created)
{
	return (nm_neuron_t){.id = (char *)id, .type = type, .content = (char *)content,
		.content_len = strlen(content), .metadata = (char *)"{}", .created_at = created};
}

static int add_neuron_n(const char *id, nm_neuron_type_t type, const char *content, size_t len, int64_t created)
{
	nm_neuron_t n = mkneuron(id, type, content, created);
	n.content_len = len;
	return wsync(ap_neuron_add, &n);
}

static int add_neuron(const char *id, nm_neuron_type_t type, const char *content, int64_t created)
{
	return add_neuron_n(id, type, content, strlen(content), created);
}

/* Add neurons named by a comma list, type entity, content = id. */
static void add_neurons(const char *csv)
{
	char *dup = strdup(csv), *save = NULL;
	int i = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save), i++)
		cr_assert_eq(add_neuron(t, NM_NEURON_ENTITY, t, T0 + i), 0, "[%s] add %s: %s", BACKEND, t, E.detail);
	free(dup);
}

static nm_synapse_t mksynapse(const char *id, const char *src, const char *tgt, nm_synapse_type_t type, double w)
{
	return (nm_synapse_t){.id = (char *)id, .source_id = (char *)src, .target_id = (char *)tgt, .type = type,
		.weight = w, .direction = nm_synapse_default_direction(type), .metadata = (char *)"{}",
		.reinforced_count = 0, .last_activated = NONE, .created_at = T0};
}

static int add_synapse(const char *id, const char *src, const char *tgt, nm_synapse_type_t type, double w)
{
	nm_synapse_t s = mksynapse(id, src, tgt, type, w);
	return wsync(ap_synapse_add, &s);
}

static void strv_from(nm_strv_t *sv, const char *csv)
{
	if (!csv || !*csv)
		return;
	char *dup = strdup(csv), *save = NULL;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
		nm_strv_add(sv, t);
	free(dup);
}

typedef struct fspec {
	const char *id, *neurons, *anchor;
	int64_t t0, t1;
	double salience;
	int64_t freq;
	const char *tags;
	int64_t created;
} fspec_t;

/* Owned fiber from a spec (release with nm_fiber_clear). */
static void mkfiber(nm_fiber_t *f, const fspec_t *s)
{
	memset(f, 0, sizeof *f);
	f->id = strdup(s->id);
	strv_from(&f->neuron_ids, s->neurons ? s->neurons : "n1");
	f->anchor_neuron_id = strdup(s->anchor ? s->anchor : f->neuron_ids.v[0]);
	f->time_start = s->t0;
	f->time_end = s->t1;
	f->coherence = 0.25;
	f->salience = s->salience;
	f->frequency = s->freq;
	strv_from(&f->tags, s->tags);
	f->metadata = strdup("{}");
	f->created_at = s->created ? s->created : T0;
}

static int add_fiber(fspec_t s)
{
	nm_fiber_t f;
	mkfiber(&f, &s);
	int rc = wsync(ap_fiber_add, &f);
	nm_fiber_clear(&f);
	return rc;
}

/* ------------------------------------------------------------------ */
/* read helpers                                                         */
/* ------------------------------------------------------------------ */

static nm_tx_t *rbegin_on(nm_brain_t *b)
{
	nm_tx_t *tx = NULL;
	nm_err_t err = {0};
	int rc = nm_brain_read_begin(b, &tx, &err);
	cr_assert_eq(rc, 0, "[%s] read_begin: %d %s", BACKEND, err.status, err.detail);
	return tx;
}

static nm_tx_t *rbegin(void)
{
	return rbegin_on(B);
}

static int neuron_exists(const char *id)
{
	nm_tx_t *tx = rbegin();
	int rc = nm_tx_neuron_exists(tx, id, &E);
	nm_brain_read_end(tx);
	return rc;
}

static int get_neuron(const char *id, nm_neuron_t *out)
{
	nm_tx_t *tx = rbegin();
	memset(out, 0, sizeof *out);
	memset(&E, 0, sizeof E);
	int rc = nm_tx_neuron_get(tx, id, out, &E);
	nm_brain_read_end(tx);
	return rc;
}

static int get_state(const char *id, nm_state_t *out)
{
	nm_tx_t *tx = rbegin();
	memset(out, 0, sizeof *out);
	memset(&E, 0, sizeof E);
	int rc = nm_tx_state_get(tx, id, out, &E);
	nm_brain_read_end(tx);
	return rc;
}

static int get_synapse(const char *id, nm_synapse_t *out)
{
	nm_tx_t *tx = rbegin();
	memset(out, 0, sizeof *out);
	memset(&E, 0, sizeof E);
	int rc = nm_tx_synapse_get(tx, id, out, &E);
	nm_brain_read_end(tx);
	return rc;
}

static int get_fiber(const char *id, nm_fiber_t *out)
{
	nm_tx_t *tx = rbegin();
	memset(out, 0, sizeof *out);
	memset(&E, 0, sizeof E);
	int rc = nm_tx_fiber_get(tx, id, out, &E);
	nm_brain_read_end(tx);
	return rc;
}

static nm_stats_t tx_stats(void)
{
	nm_stats_t st;
	memset(&st, 0xff, sizeof st);
	nm_tx_t *tx = rbegin();
	int rc = nm_tx_stats(tx, &st, &E);
	nm_brain_read_end(tx);
	cr_assert_eq(rc, 0, "[%s] nm_tx_stats: %s", BACKEND, E.detail);
	return st;
}

static void list_put(nm_buf_t *b, const char *s)
{
	if (b->len)
		nm_buf_putc(b, ',');
	nm_buf_puts(b, s);
}

static int cb_neuron(void *arg, const nm_neuron_t *n)
{
	list_put(arg, n->id);
	return 0;
}

static int cb_synapse(void *arg, const nm_synapse_t *s)
{
	list_put(arg, s->id);
	return 0;
}

static int cb_fiber(void *arg, const nm_fiber_t *f)
{
	list_put(arg, f->id);
	return 0;
}

static int cb_blob(void *arg, const char *key, const char *json)
{
	nm_buf_t *b = arg;
	if (b->len)
		nm_buf_putc(b, ';');
	nm_buf_printf(b, "%s=%s", key, json);
	return 0;
}

/* Comma-joined ids of a scan; owned. */
static char *scan_neurons(const nm_neuron_filter_t *f)
{
	nm_buf_t b = {0};
	nm_tx_t *tx = rbegin();
	int rc = nm_tx_neuron_scan(tx, f, cb_neuron, &b, &E);
	nm_brain_read_end(tx);
	cr_assert_eq(rc, 0, "[%s] neuron scan: %s", BACKEND, E.detail);
	return nm_buf_steal(&b, NULL);
}

static char *scan_synapses(const nm_synapse_filter_t *f)
{
	nm_buf_t b = {0};
	nm_tx_t *tx = rbegin();
	int rc = nm_tx_synapse_scan(tx, f, cb_synapse, &b, &E);
	nm_brain_read_end(tx);
	cr_assert_eq(rc, 0, "[%s] synapse scan: %s", BACKEND, E.detail);
	return nm_buf_steal(&b, NULL);
}

static char *scan_fibers(const nm_fiber_filter_t *f)
{
	nm_buf_t b = {0};
	nm_tx_t *tx = rbegin();
	int rc = nm_tx_fiber_scan(tx, f, cb_fiber, &b, &E);
	nm_brain_read_end(tx);
	cr_assert_eq(rc, 0, "[%s] fiber scan: %s", BACKEND, E.detail);
	return nm_buf_steal(&b, NULL);
}

#define EXPECT_SCAN(fn, filter, want, ...)                                                         \
	do {                                                                                           \
		char *got_ = fn(filter);                                                                   \
		cr_expect_str_eq(got_, want, "[%s] " __VA_ARGS__);                                        \
		free(got_);                                                                                \
	} while (0)

#define EXPECT_ERR(rc, want_status, detail_prefix)                                                   \
	do {                                                                                               \
		int rc_ = (rc);                                                                                \
		cr_expect_eq(rc_, -(want_status), "[%s] rc %d, want %d (%s)", BACKEND, rc_, -(want_status),   \
		             E.detail);                                                                        \
		cr_expect_eq(E.status, want_status, "[%s] status %d (%s)", BACKEND, E.status, E.detail);      \
		cr_expect_eq(strncmp(E.detail, detail_prefix, strlen(detail_prefix)), 0,                     \
		             "[%s] detail \"%s\" does not start with \"%s\"", BACKEND, E.detail, detail_prefix); \
	} while (0)

#define OK(expr) cr_assert_eq((expr), 0, "[%s] %s failed: %d %s", BACKEND, #expr, E.status, E.detail)

static char *brain_file_path(nm_brain_t *b, char *buf, size_t cap)
{
	nm_brain_rec_t r;
	nm_brain_rec_get(b, &r);
	snprintf(buf, cap, "%s/brains/%s.db", DATA, r.file ? r.file : "(null)");
	nm_brain_rec_clear(&r);
	return buf;
}

static bool file_exists(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0;
}

/* ================================================================== */
/* store and brains                                                    */
/* ================================================================== */

STORE_TEST(open_reports_backend)
{
	cr_expect_str_eq(nm_store_backend(S), BACKEND);
	cr_expect_eq(nm_store_brain_count(S), 1);
	cr_expect_str_eq(nm_brain_id(B), "b1");
	nm_store_counters_t c;
	nm_store_counters(S, &c);
	cr_expect_eq(c.commits, 0);
}

STORE_TEST(open_unknown_backend_fails)
{
	nm_store_opts_t o = {.backend = "nosuch", .data_dir = DATA};
	nm_err_t err = {0};
	nm_store_t *st = nm_store_open(&o, &err);
	cr_expect_null(st);
	cr_expect_neq(err.status, 0, "an error must be reported");
	nm_store_close(st); /* NULL is accepted */
}

static int each_collect(void *arg, nm_brain_t *b)
{
	list_put(arg, nm_brain_id(b));
	return 0;
}

static char *brain_ids(void)
{
	nm_buf_t b = {0};
	cr_assert_eq(nm_store_brain_each(S, each_collect, &b), 0);
	return nm_buf_steal(&b, NULL);
}

STORE_TEST(brain_create_get_record)
{
	nm_brain_rec_t r = {.id = (char *)"b2", .name = (char *)"Bộ não \xc4\x91", .owner_id = (char *)"alice",
		.is_public = true, .config = nm_config_default, .metadata = (char *)"{\"k\":[1,2]}"};
	r.config.max_spread_hops = 7;
	r.config.decay_rate = 0.1 + 0.2;
	nm_strv_add(&r.shared_with, "bob");
	nm_strv_add(&r.shared_with, "carol");
	int64_t before = nm_time_now();
	nm_brain_t *b2 = NULL;
	OK(nm_store_brain_create(S, &r, &b2, &E));
	int64_t after = nm_time_now();
	nm_strv_clear(&r.shared_with);
	cr_assert_not_null(b2);
	cr_expect_str_eq(nm_brain_id(b2), "b2");

	nm_brain_rec_t got;
	nm_brain_rec_get(b2, &got);
	cr_expect_str_eq(got.id, "b2");
	cr_expect_str_eq(got.name, "Bộ não \xc4\x91");
	cr_expect_str_eq(got.owner_id, "alice");
	cr_expect(got.is_public);
	cr_assert_eq(got.shared_with.n, 2);
	cr_expect_str_eq(got.shared_with.v[0], "bob");
	cr_expect_str_eq(got.shared_with.v[1], "carol");
	cr_expect_eq(got.config.max_spread_hops, 7);
	cr_expect_eq(got.config.decay_rate, 0.1 + 0.2);
	cr_expect_str_eq(got.metadata, "{\"k\":[1,2]}");
	cr_expect(got.created_at >= before && got.created_at <= after, "created_at set at creation");
	cr_expect_eq(got.updated_at, got.created_at);
	nm_brain_rec_clear(&got);

	nm_brain_t *again = nm_store_brain_get(S, "b2");
	cr_expect_eq(again, b2, "lookups return the registry's handle");
	nm_brain_release(again);
	cr_expect_null(nm_store_brain_get(S, "nope"));
	cr_expect_null(nm_store_brain_get(S, "B2"), "ids are case-sensitive");
	cr_expect_eq(nm_store_brain_count(S), 2);

	/* a fresh brain has zero counts and no contents change yet */
	nm_stats_t st;
	OK(nm_brain_stats(b2, &st, &E));
	cr_expect_eq(st.neurons + st.synapses + st.fibers + st.typed_memories + st.projects, 0);
	cr_expect_eq(st.updated_at, NONE);
	nm_brain_release(b2);

	/* out may be NULL */
	OK(create_brain("b3", NULL));
	cr_expect_eq(nm_store_brain_count(S), 3);
}

STORE_TEST(brain_create_duplicate_409)
{
	EXPECT_ERR(create_brain("b1", NULL), 409, "Brain b1 already exists");
	cr_expect_eq(nm_store_brain_count(S), 1);
	char *ids = brain_ids();
	cr_expect_str_eq(ids, "b1");
	free(ids);
}

STORE_TEST(brain_each_creation_order)
{
	OK(create_brain("zeta", NULL));
	OK(create_brain("alpha", NULL));
	OK(create_brain("mid", NULL));
	char *ids = brain_ids();
	cr_expect_str_eq(ids, "b1,zeta,alpha,mid");
	free(ids);
	cr_expect_eq(nm_store_brain_count(S), 4);
}

static int each_stop(void *arg, nm_brain_t *b)
{
	int *n = arg;
	return ++*n == 2 ? 42 : 0;
}

STORE_TEST(brain_each_stops_on_nonzero)
{
	OK(create_brain("b2", NULL));
	OK(create_brain("b3", NULL));
	int n = 0;
	cr_expect_eq(nm_store_brain_each(S, each_stop, &n), 42);
	cr_expect_eq(n, 2);
}

static int edit_rename(nm_brain_rec_t *rec, void *arg, nm_err_t *err)
{
	free(rec->name);
	rec->name = strdup(arg);
	free(rec->owner_id);
	rec->owner_id = strdup("dave");
	rec->config.max_context_tokens = 4321;
	nm_strv_add(&rec->shared_with, "erin");
	free(rec->metadata);
	rec->metadata = strdup("{\"v\":2}");
	return 0;
}

static int edit_fail(nm_brain_rec_t *rec, void *arg, nm_err_t *err)
{
	free(rec->name);
	rec->name = strdup("should not stick");
	return nm_err_set(err, NM_ST_INVALID, "name: nope");
}

STORE_TEST(brain_update)
{
	nm_brain_rec_t before;
	nm_brain_rec_get(B, &before);
	OK(nm_brain_update(B, edit_rename, (void *)"Renamed", &E));
	nm_brain_rec_t after;
	nm_brain_rec_get(B, &after);
	cr_expect_str_eq(after.name, "Renamed");
	cr_expect_str_eq(after.owner_id, "dave");
	cr_expect_eq(after.config.max_context_tokens, 4321);
	cr_assert_eq(after.shared_with.n, 1);
	cr_expect_str_eq(after.shared_with.v[0], "erin");
	cr_expect_str_eq(after.metadata, "{\"v\":2}");
	cr_expect_str_eq(after.id, before.id);
	cr_expect_eq(after.created_at, before.created_at);
	cr_expect_str_eq(after.file ? after.file : "", before.file ? before.file : "", "file is kept");
	cr_expect_geq(after.updated_at, before.updated_at);
	cr_expect(nm_brain_can(B, "dave", false, true), "access follows the new owner");
	cr_expect(nm_brain_can(B, "erin", false, false));
	cr_expect_not(nm_brain_can(B, "erin", false, true));

	/* a failing edit changes nothing */
	memset(&E, 0, sizeof E);
	cr_expect_eq(nm_brain_update(B, edit_fail, NULL, &E), -422);
	cr_expect_str_eq(E.detail, "name: nope");
	nm_brain_rec_t again;
	nm_brain_rec_get(B, &again);
	cr_expect_str_eq(again.name, "Renamed");
	cr_expect_eq(again.updated_at, after.updated_at);
	nm_brain_rec_clear(&before);
	nm_brain_rec_clear(&after);
	nm_brain_rec_clear(&again);
}

STORE_TEST(brain_delete_and_recreate)
{
	nm_brain_t *b2;
	OK(create_brain("b2", &b2));
	OK(create_brain("b3", NULL));
	OK(wsync_on(b2, ap_neuron_add, &(nm_neuron_t){.id = "n1", .content = "x", .content_len = 1,
	                                               .metadata = "{}", .created_at = T0}));
	char path[512];
	brain_file_path(b2, path, sizeof path);
	if (is_sqlite())
		cr_expect(file_exists(path), "brain file %s exists before delete", path);

	OK(nm_brain_delete(b2, &E));
	cr_expect_null(nm_store_brain_get(S, "b2"), "gone from the registry at once");
	cr_expect_eq(nm_store_brain_count(S), 2);
	char *ids = brain_ids();
	cr_expect_str_eq(ids, "b1,b3");
	free(ids);
	/* the handle we still hold refuses new work */
	nm_tx_t *tx = NULL;
	memset(&E, 0, sizeof E);
	cr_expect_eq(nm_brain_read_begin(b2, &tx, &E), -404);
	memset(&E, 0, sizeof E);
	cr_expect_eq(nm_brain_delete(b2, &E), -404, "second delete is 404");
	nm_brain_release(b2);
	if (is_sqlite())
		cr_expect_not(file_exists(path), "brain file %s removed after the last release", path);

	/* the id can be used again, for an empty brain at the end of the order */
	nm_brain_t *nb;
	OK(create_brain("b2", &nb));
	ids = brain_ids();
	cr_expect_str_eq(ids, "b1,b3,b2");
	free(ids);
	tx = rbegin_on(nb);
	cr_expect_eq(nm_tx_neuron_exists(tx, "n1", &E), 0, "old contents must not come back");
	nm_stats_t st;
	OK(nm_tx_stats(tx, &st, &E));
	cr_expect_eq(st.neurons, 0);
	nm_brain_read_end(tx);
	nm_brain_release(nb);
}

STORE_TEST(brain_access_checks)
{
	nm_brain_rec_t r = {.id = (char *)"priv", .name = (char *)"P", .owner_id = (char *)"alice",
		.config = nm_config_default, .metadata = (char *)"{}"};
	nm_strv_add(&r.shared_with, "bob");
	nm_brain_t *p;
	OK(nm_store_brain_create(S, &r, &p, &E));
	nm_strv_clear(&r.shared_with);
	cr_expect(nm_brain_can(p, "alice", false, true));
	cr_expect(nm_brain_can(p, "bob", false, false));
	cr_expect_not(nm_brain_can(p, "bob", false, true));
	cr_expect_not(nm_brain_can(p, "mallory", false, false));
	cr_expect(nm_brain_can(p, "root", true, true));
	cr_expect_not(nm_brain_can(p, NULL, false, false));
	nm_brain_release(p);
}

STORE_TEST(reopen_persists_brains_and_data)
{
	PERSISTENT_ONLY();
	nm_brain_rec_t r = {.id = (char *)"b2", .name = (char *)"Second \xc4\x91", .owner_id = (char *)"alice",
		.is_public = true, .config = nm_config_default, .metadata = (char *)"{\"m\":1}"};
	r.config.decay_rate = 0.1 + 0.2;
	r.config.max_spread_hops = 9;
	nm_strv_add(&r.shared_with, "bob");
	OK(nm_store_brain_create(S, &r, NULL, &E));
	nm_strv_clear(&r.shared_with);
	OK(create_brain("a0", NULL));
	add_neurons("n1,n2");
	OK(add_synapse("s1", "n1", "n2", NM_SYN_LEADS_TO, 0.7));
	OK(add_fiber((fspec_t){.id = "f1", .neurons = "n1,n2", .t0 = NONE, .t1 = NONE, .salience = 0.5, .tags = "t"}));
	nm_brain_t *b2 = nm_store_brain_get(S, "b2");
	nm_brain_rec_t want;
	nm_brain_rec_get(b2, &want);
	nm_brain_release(b2);
	nm_stats_t st_before = tx_stats();

	nm_brain_release(B);
	B = NULL;
	nm_store_close(S);
	S = NULL;
	nm_err_t err = {0};
	S = open_store(&err);
	cr_assert_not_null(S, "reopen: %s", err.detail);
	cr_expect_eq(nm_store_brain_count(S), 3);
	char *ids = brain_ids();
	cr_expect_str_eq(ids, "b1,b2,a0", "brains reloaded in creation order");
	free(ids);

	b2 = nm_store_brain_get(S, "b2");
	cr_assert_not_null(b2);
	nm_brain_rec_t got;
	nm_brain_rec_get(b2, &got);
	cr_expect_str_eq(got.name, want.name);
	cr_expect_str_eq(got.owner_id, "alice");
	cr_expect(got.is_public);
	cr_assert_eq(got.shared_with.n, 1);
	cr_expect_str_eq(got.shared_with.v[0], "bob");
	cr_expect_eq(got.config.decay_rate, 0.1 + 0.2, "config doubles survive bit-exactly");
	cr_expect_eq(got.config.max_spread_hops, 9);
	cr_expect_eq(memcmp(&got.config, &want.config, sizeof got.config), 0);
	cr_expect_str_eq(got.metadata, "{\"m\":1}");
	cr_expect_eq(got.created_at, want.created_at);
	cr_expect_eq(got.updated_at, want.updated_at);
	cr_expect_str_eq(got.file ? got.file : "", want.file ? want.file : "");
	nm_brain_rec_clear(&got);
	nm_brain_rec_clear(&want);
	nm_brain_release(b2);

	B = nm_store_brain_get(S, "b1");
	cr_assert_not_null(B);
	cr_expect_eq(neuron_exists("n1"), 1);
	cr_expect_eq(neuron_exists("n2"), 1);
	nm_synapse_t s;
	OK(get_synapse("s1", &s));
	cr_expect_float_eq(s.weight, 0.7, 0);
	nm_synapse_clear(&s);
	nm_fiber_t f;
	OK(get_fiber("f1", &f));
	nm_fiber_clear(&f);
	nm_stats_t st_after = tx_stats();
	cr_expect_eq(st_after.neurons, st_before.neurons);
	cr_expect_eq(st_after.synapses, st_before.synapses);
	cr_expect_eq(st_after.fibers, st_before.fibers);
	cr_expect_eq(st_after.updated_at, st_before.updated_at);
}

STORE_TEST(many_brains_beyond_the_open_bound)
{
	/* open_store() bounds open brains at 16 (sqlite LRU); 40 brains must
	 * still each keep their own contents while being closed and reopened */
	enum { N = 40 };
	for (int i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof id, "m%02d", i);
		nm_brain_t *b;
		OK(create_brain(id, &b));
		nm_neuron_t n = mkneuron(id, NM_NEURON_ENTITY, id, T0 + i);
		cr_assert_eq(wsync_on(b, ap_neuron_add, &n), 0, "[%s] %s: %s", BACKEND, id, E.detail);
		nm_brain_release(b);
	}
	nm_store_counters_t c;
	nm_store_counters(S, &c);
	if (is_sqlite())
		cr_expect_leq(c.open_brains, 16, "open brains %llu above the bound", (unsigned long long)c.open_brains);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++) {
			char id[16];
			snprintf(id, sizeof id, "m%02d", i);
			nm_brain_t *b = nm_store_brain_get(S, id);
			cr_assert_not_null(b);
			nm_tx_t *tx = rbegin_on(b);
			nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
			nm_buf_t got = {0};
			OK(nm_tx_neuron_scan(tx, &f, cb_neuron, &got, &E));
			nm_brain_read_end(tx);
			cr_expect_str_eq(got.data ? got.data : "", id, "[%s] contents of brain %s", BACKEND, id);
			nm_buf_free(&got);
			nm_brain_release(b);
		}
	nm_store_counters(S, &c);
	if (is_sqlite())
		cr_expect_leq(c.open_brains, 16);
	cr_expect_eq(nm_store_brain_count(S), N + 1);
}

STORE_TEST(data_dir_locked_while_open)
{
	SQLITE_ONLY();
	nm_err_t err = {0};
	nm_store_t *second = open_store(&err);
	cr_expect_null(second, "a second store on the same data directory must be refused");
	if (second)
		nm_store_close(second);
	else
		cr_expect_neq(err.status, 0);
}

/* ================================================================== */
/* neurons                                                             */
/* ================================================================== */

STORE_TEST(neuron_add_get_round_trip)
{
	nm_neuron_t n = {.id = "n-1", .type = NM_NEURON_CONCEPT, .content = "Đà Nẵng \"quoted\"",
		.content_len = strlen("Đà Nẵng \"quoted\""), .metadata = "{\"b\":1,\"a\":[true]}", .created_at = T0 + 6};
	OK(wsync(ap_neuron_add, &n));
	nm_neuron_t got;
	OK(get_neuron("n-1", &got));
	cr_expect_str_eq(got.id, "n-1");
	cr_expect_eq(got.type, NM_NEURON_CONCEPT);
	cr_expect_eq(got.content_len, n.content_len);
	cr_expect_str_eq(got.content, "Đà Nẵng \"quoted\"");
	cr_expect_str_eq(got.metadata, "{\"b\":1,\"a\":[true]}");
	cr_expect_eq(got.created_at, T0 + 6);
	nm_neuron_clear(&got);

	EXPECT_ERR(get_neuron("n-2", &got), 404, "Neuron n-2 not found");
	nm_neuron_clear(&got);
	cr_expect_eq(neuron_exists("n-1"), 1);
	cr_expect_eq(neuron_exists("n-2"), 0);
	cr_expect_eq(neuron_exists("N-1"), 0, "ids compare byte-wise");
}

STORE_TEST(error_details_with_long_ids_are_valid_utf8)
{
	/* ids are up to 255 bytes of UTF-8 (PROTOCOL.md §1.5) and details are
	 * sent as JSON strings: shortening an id must not split a character */
	char id[256];
	for (int i = 0; i < 85; i++)
		memcpy(id + 3 * i, "\xe1\xba\xb5", 3); /* "ẵ" × 85 = 255 bytes */
	id[255] = '\0';
	nm_neuron_t got;
	EXPECT_ERR(get_neuron(id, &got), 404, "Neuron \xe1\xba\xb5");
	nm_neuron_clear(&got);
	cr_expect(nm_utf8_valid(E.detail, strlen(E.detail), NULL), "[%s] 404 detail is not valid UTF-8", BACKEND);
	add_neurons("n1");
	EXPECT_ERR(add_synapse("s", id, "n1", NM_SYN_BEFORE, 0.5), 422, "Source neuron \xe1\xba\xb5");
	cr_expect(nm_utf8_valid(E.detail, strlen(E.detail), NULL), "[%s] 422 detail is not valid UTF-8", BACKEND);
	OK(add_neuron(id, NM_NEURON_ENTITY, "x", T0));
	EXPECT_ERR(add_neuron(id, NM_NEURON_ENTITY, "x", T0), 409, "Neuron \xe1\xba\xb5");
	cr_expect(nm_utf8_valid(E.detail, strlen(E.detail), NULL), "[%s] 409 detail is not valid UTF-8", BACKEND);
	nm_neuron_t n;
	OK(get_neuron(id, &n));
	cr_expect_str_eq(n.id, id, "a 255-byte id round-trips");
	nm_neuron_clear(&n);
}

STORE_TEST(neuron_pre_epoch_and_extreme_times)
{
	OK(add_neuron("old", NM_NEURON_TIME, "old", NM_TIME_MIN));
	OK(add_neuron("neg", NM_NEURON_TIME, "neg", -1));
	OK(add_neuron("max", NM_NEURON_TIME, "max", NM_TIME_MAX));
	nm_neuron_t got;
	OK(get_neuron("old", &got));
	cr_expect_eq(got.created_at, NM_TIME_MIN);
	nm_neuron_clear(&got);
	OK(get_neuron("neg", &got));
	cr_expect_eq(got.created_at, -1);
	nm_neuron_clear(&got);
	OK(get_neuron("max", &got));
	cr_expect_eq(got.created_at, NM_TIME_MAX);
	nm_neuron_clear(&got);
}

STORE_TEST(neuron_content_with_nul)
{
	OK(add_neuron_n("z", NM_NEURON_ENTITY, "a\0b", 3, T0));
	nm_neuron_t got;
	OK(get_neuron("z", &got));
	cr_expect_eq(got.content_len, 3);
	cr_expect_eq(memcmp(got.content, "a\0b", 3), 0);
	nm_neuron_clear(&got);
}

STORE_TEST(neuron_duplicate_409)
{
	OK(add_neuron("n1", NM_NEURON_ENTITY, "first", T0));
	EXPECT_ERR(add_neuron("n1", NM_NEURON_ACTION, "second", T0 + 1), 409, "Neuron n1 already exists");
	nm_neuron_t got;
	OK(get_neuron("n1", &got));
	cr_expect_str_eq(got.content, "first", "the original is untouched");
	cr_expect_eq(got.type, NM_NEURON_ENTITY);
	nm_neuron_clear(&got);
	cr_expect_eq(tx_stats().neurons, 1);
}

STORE_TEST(neuron_add_creates_default_state)
{
	OK(add_neuron("n1", NM_NEURON_ENTITY, "x", T0));
	nm_state_t s;
	OK(get_state("n1", &s));
	cr_expect_str_eq(s.neuron_id, "n1");
	cr_expect_float_eq(s.activation_level, 0.0, 0);
	cr_expect_eq(s.access_frequency, 0);
	cr_expect_eq(s.last_activated, NONE);
	cr_expect_float_eq(s.decay_rate, NM_STATE_DEFAULT_DECAY, 0);
	cr_expect_neq(s.created_at, NONE);
	nm_state_clear(&s);
	EXPECT_ERR(get_state("nope", &s), 404, "Neuron nope not found");
	nm_state_clear(&s);
}

STORE_TEST(state_put_get)
{
	OK(add_neuron("n1", NM_NEURON_ENTITY, "x", T0));
	nm_state_t put = {.neuron_id = "n1", .activation_level = 0.7, .access_frequency = 12,
		.last_activated = T0 + 5, .decay_rate = 0.3, .created_at = T0 - DAY};
	OK(wsync(ap_state_put, &put));
	nm_state_t s;
	OK(get_state("n1", &s));
	cr_expect_float_eq(s.activation_level, 0.7, 0);
	cr_expect_eq(s.access_frequency, 12);
	cr_expect_eq(s.last_activated, T0 + 5);
	cr_expect_float_eq(s.decay_rate, 0.3, 0);
	cr_expect_eq(s.created_at, T0 - DAY);
	nm_state_clear(&s);
	/* last_activated back to null */
	put.last_activated = NONE;
	OK(wsync(ap_state_put, &put));
	OK(get_state("n1", &s));
	cr_expect_eq(s.last_activated, NONE);
	nm_state_clear(&s);
	/* a state for a neuron that does not exist is refused */
	put.neuron_id = "ghost";
	EXPECT_ERR(wsync(ap_state_put, &put), 404, "Neuron ghost not found");
}

STORE_TEST(neuron_update)
{
	OK(add_neuron("n1", NM_NEURON_ENTITY, "alpha beta", T0));
	OK(add_neuron("n2", NM_NEURON_ENTITY, "other", T0 + 1));
	nm_neuron_t u = {.id = "n1", .type = NM_NEURON_STATE, .content = "gamma delta", .content_len = 11,
		.metadata = "{\"u\":true}", .created_at = T0};
	OK(wsync(ap_neuron_update, &u));
	nm_neuron_t got;
	OK(get_neuron("n1", &got));
	cr_expect_eq(got.type, NM_NEURON_STATE);
	cr_expect_str_eq(got.content, "gamma delta");
	cr_expect_str_eq(got.metadata, "{\"u\":true}");
	nm_neuron_clear(&got);

	/* the search indexes follow the new content and type */
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.contains = "gamma";
	f.contains_len = 5;
	EXPECT_SCAN(scan_neurons, &f, "n1", "contains new content");
	f.contains = "alpha";
	EXPECT_SCAN(scan_neurons, &f, "", "old content no longer found");
	f = (nm_neuron_filter_t)NM_NEURON_FILTER_INIT;
	f.exact = "alpha beta";
	f.exact_len = 10;
	EXPECT_SCAN(scan_neurons, &f, "", "old exact content no longer found");
	f.exact = "gamma delta";
	f.exact_len = 11;
	EXPECT_SCAN(scan_neurons, &f, "n1", "exact new content");
	f = (nm_neuron_filter_t)NM_NEURON_FILTER_INIT;
	f.type = NM_NEURON_STATE;
	EXPECT_SCAN(scan_neurons, &f, "n1", "type index updated");
	f.type = -1;
	EXPECT_SCAN(scan_neurons, &f, "n1,n2", "update keeps the creation position");

	u.id = "ghost";
	EXPECT_ERR(wsync(ap_neuron_update, &u), 404, "Neuron ghost not found");
}

STORE_TEST(neuron_delete_cascades_synapses_and_state_not_fibers)
{
	add_neurons("n1,n2,n3");
	OK(add_synapse("s12", "n1", "n2", NM_SYN_LEADS_TO, 0.5));
	OK(add_synapse("s21", "n2", "n1", NM_SYN_LEADS_TO, 0.5));
	OK(add_synapse("s22", "n2", "n2", NM_SYN_RELATED_TO, 0.5));
	OK(add_synapse("s13", "n1", "n3", NM_SYN_LEADS_TO, 0.5));
	OK(add_fiber((fspec_t){.id = "f1", .neurons = "n1,n2", .anchor = "n2", .t0 = NONE, .t1 = NONE}));
	OK(wsync(ap_neuron_delete, (void *)"n2"));

	cr_expect_eq(neuron_exists("n2"), 0);
	nm_state_t st;
	EXPECT_ERR(get_state("n2", &st), 404, "Neuron n2 not found");
	nm_state_clear(&st);
	nm_synapse_filter_t sf = NM_SYNAPSE_FILTER_INIT;
	EXPECT_SCAN(scan_synapses, &sf, "s13", "synapses touching n2 (source, target, self-loop) are gone");
	nm_synapse_t s;
	EXPECT_ERR(get_synapse("s12", &s), 404, "Synapse s12 not found");
	nm_synapse_clear(&s);

	nm_fiber_t f;
	OK(get_fiber("f1", &f));
	cr_expect_eq(f.neuron_ids.n, 2, "fibers keep dangling ids");
	cr_expect(nm_strv_has(&f.neuron_ids, "n2"));
	cr_expect_str_eq(f.anchor_neuron_id, "n2");
	nm_fiber_clear(&f);

	nm_stats_t stt = tx_stats();
	cr_expect_eq(stt.neurons, 2);
	cr_expect_eq(stt.synapses, 1);
	cr_expect_eq(stt.fibers, 1);

	EXPECT_ERR(wsync(ap_neuron_delete, (void *)"n2"), 404, "Neuron n2 not found");
	/* the id is free again */
	OK(add_neuron("n2", NM_NEURON_TIME, "again", T0));
	nm_state_t fresh;
	OK(get_state("n2", &fresh));
	cr_expect_float_eq(fresh.decay_rate, NM_STATE_DEFAULT_DECAY, 0, "a re-created neuron gets a fresh state");
	nm_state_clear(&fresh);
}

/* ---- neuron scans ---- */

STORE_TEST(neuron_scan_creation_order)
{
	/* insertion order, not created_at order and not id order */
	OK(add_neuron("n3", NM_NEURON_ENTITY, "c", T0 + 30));
	OK(add_neuron("n1", NM_NEURON_ENTITY, "a", T0 + 10));
	OK(add_neuron("n2", NM_NEURON_ENTITY, "b", T0 - 20));
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	EXPECT_SCAN(scan_neurons, &f, "n3,n1,n2", "creation order");
	OK(wsync(ap_neuron_delete, (void *)"n1"));
	OK(add_neuron("n1", NM_NEURON_ENTITY, "a", T0 + 10));
	EXPECT_SCAN(scan_neurons, &f, "n3,n2,n1", "a re-created neuron goes last");
}

STORE_TEST(neuron_scan_type)
{
	OK(add_neuron("a", NM_NEURON_ENTITY, "x", T0));
	OK(add_neuron("b", NM_NEURON_TIME, "x", T0));
	OK(add_neuron("c", NM_NEURON_ENTITY, "x", T0));
	OK(add_neuron("d", NM_NEURON_INTENT, "x", T0));
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.type = NM_NEURON_ENTITY;
	EXPECT_SCAN(scan_neurons, &f, "a,c", "type entity");
	f.type = NM_NEURON_INTENT;
	EXPECT_SCAN(scan_neurons, &f, "d", "type intent");
	f.type = NM_NEURON_SENSORY;
	EXPECT_SCAN(scan_neurons, &f, "", "type with no neurons");
}

static void set_contains(nm_neuron_filter_t *f, const char *s)
{
	*f = (nm_neuron_filter_t)NM_NEURON_FILTER_INIT;
	f->contains = s;
	f->contains_len = strlen(s);
}

STORE_TEST(neuron_scan_contains_lowercase)
{
	OK(add_neuron("a", NM_NEURON_ENTITY, "Alice met Bob", T0));
	OK(add_neuron("b", NM_NEURON_ENTITY, "alice again", T0));
	OK(add_neuron("c", NM_NEURON_ENTITY, "ALICE shouting", T0));
	OK(add_neuron("d", NM_NEURON_ENTITY, "nobody here", T0));
	nm_neuron_filter_t f;
	set_contains(&f, "alice");
	EXPECT_SCAN(scan_neurons, &f, "a,b,c", "lower-case needle matches every case of the content");
	set_contains(&f, "met bob");
	EXPECT_SCAN(scan_neurons, &f, "a", "substring across words");
	set_contains(&f, "ice");
	EXPECT_SCAN(scan_neurons, &f, "a,b,c", "3-character needle");
	set_contains(&f, "li");
	EXPECT_SCAN(scan_neurons, &f, "a,b,c", "2-character needle (below trigram size)");
	set_contains(&f, "y");
	EXPECT_SCAN(scan_neurons, &f, "d", "1-character needle");
	set_contains(&f, "zzz");
	EXPECT_SCAN(scan_neurons, &f, "", "no match");
}

STORE_TEST(neuron_scan_contains_needle_case_insensitive)
{
	/* store.h: "case-insensitive (Unicode lower() of both sides)" */
	OK(add_neuron("a", NM_NEURON_ENTITY, "Alice met Bob", T0));
	OK(add_neuron("b", NM_NEURON_ENTITY, "alice again", T0));
	nm_neuron_filter_t f;
	set_contains(&f, "ALICE");
	EXPECT_SCAN(scan_neurons, &f, "a,b", "upper-case needle");
	set_contains(&f, "Al");
	EXPECT_SCAN(scan_neurons, &f, "a,b", "short mixed-case needle");
	set_contains(&f, "\xc4\x90\xc3\x80"); /* "ĐÀ" */
	EXPECT_SCAN(scan_neurons, &f, "", "no Vietnamese content yet");
}

STORE_TEST(neuron_scan_contains_unicode)
{
	OK(add_neuron("vn", NM_NEURON_SPATIAL, "Chuyến đi \xc4\x90\xc3\x80 N\xe1\xba\xb4NG", T0)); /* ĐÀ NẴNG */
	OK(add_neuron("tr", NM_NEURON_SPATIAL, "\xc4\xb0stanbul", T0));                          /* İstanbul */
	OK(add_neuron("de", NM_NEURON_SPATIAL, "STRASSE und Stra\xc3\x9f" "e", T0));             /* Straße */
	OK(add_neuron("gr", NM_NEURON_SPATIAL, "\xce\x9f\xce\x94\xce\x9f\xce\xa3", T0));         /* ΟΔΟΣ */
	nm_neuron_filter_t f;
	set_contains(&f, "\xc4\x91\xc3\xa0 n\xe1\xba\xb5ng"); /* "đà nẵng" */
	EXPECT_SCAN(scan_neurons, &f, "vn", "Vietnamese lower-cased");
	set_contains(&f, "n\xe1\xba\xb5");                   /* "nẵ" (2 code points) */
	EXPECT_SCAN(scan_neurons, &f, "vn", "short Vietnamese needle");
	set_contains(&f, "i\xcc\x87stan");                   /* "i̇stan": İ lowers to i + U+0307 */
	EXPECT_SCAN(scan_neurons, &f, "tr", "İ lower-cases to two code points");
	set_contains(&f, "stra\xc3\x9f");                   /* "straß" */
	EXPECT_SCAN(scan_neurons, &f, "de", "ß is kept by lower()");
	set_contains(&f, "strasse");
	EXPECT_SCAN(scan_neurons, &f, "de", "plain ASCII still matches");
	set_contains(&f, "\xce\xbf\xce\xb4\xce\xbf\xcf\x82"); /* "οδος" with final ς */
	EXPECT_SCAN(scan_neurons, &f, "gr", "final sigma as Python lower() gives it");
}

STORE_TEST(neuron_scan_contains_literal_wildcards)
{
	OK(add_neuron("pct", NM_NEURON_ENTITY, "100% sure", T0));
	OK(add_neuron("und", NM_NEURON_ENTITY, "snake_case name", T0));
	OK(add_neuron("x", NM_NEURON_ENTITY, "snakeXcase 100 sure", T0));
	OK(add_neuron("q", NM_NEURON_ENTITY, "say \"hi\" *now*", T0));
	nm_neuron_filter_t f;
	set_contains(&f, "%");
	EXPECT_SCAN(scan_neurons, &f, "pct", "%% is literal");
	set_contains(&f, "0% s");
	EXPECT_SCAN(scan_neurons, &f, "pct", "%% inside a long needle is literal");
	set_contains(&f, "_");
	EXPECT_SCAN(scan_neurons, &f, "und", "_ is literal");
	set_contains(&f, "snake_case");
	EXPECT_SCAN(scan_neurons, &f, "und", "_ inside a long needle is literal");
	set_contains(&f, "\"hi\"");
	EXPECT_SCAN(scan_neurons, &f, "q", "double quotes in the needle");
	set_contains(&f, "*now*");
	EXPECT_SCAN(scan_neurons, &f, "q", "FTS operators in the needle are literal");
	set_contains(&f, "hi\" OR \"100");
	EXPECT_SCAN(scan_neurons, &f, "", "no query injection");
}

STORE_TEST(neuron_scan_exact)
{
	OK(add_neuron("a", NM_NEURON_ENTITY, "Alice", T0));
	OK(add_neuron("b", NM_NEURON_ENTITY, "alice", T0));
	OK(add_neuron("c", NM_NEURON_ENTITY, "Alice ", T0));
	OK(add_neuron("d", NM_NEURON_ENTITY, "Alice", T0));
	OK(add_neuron_n("z1", NM_NEURON_ENTITY, "a\0b", 3, T0));
	OK(add_neuron_n("z2", NM_NEURON_ENTITY, "a\0c", 3, T0));
	OK(add_neuron_n("z3", NM_NEURON_ENTITY, "a", 1, T0));
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.exact = "Alice";
	f.exact_len = 5;
	EXPECT_SCAN(scan_neurons, &f, "a,d", "byte-exact, case-sensitive");
	f.exact = "a\0b";
	f.exact_len = 3;
	EXPECT_SCAN(scan_neurons, &f, "z1", "NUL bytes inside content compare exactly");
	f.exact = "a";
	f.exact_len = 1;
	EXPECT_SCAN(scan_neurons, &f, "z3", "a prefix up to NUL is not equal");
	f.exact = "";
	f.exact_len = 0;
	EXPECT_SCAN(scan_neurons, &f, "", "empty content matches nothing here");
	OK(add_neuron("e", NM_NEURON_ENTITY, "", T0));
	EXPECT_SCAN(scan_neurons, &f, "e", "empty content matches the empty neuron");
}

STORE_TEST(neuron_scan_contains_with_nul_needle)
{
	OK(add_neuron_n("z1", NM_NEURON_ENTITY, "xA\0By", 5, T0));
	OK(add_neuron_n("z2", NM_NEURON_ENTITY, "xa\0cy", 5, T0));
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.contains = "a\0b";
	f.contains_len = 3;
	EXPECT_SCAN(scan_neurons, &f, "z1", "needle with NUL");
}

STORE_TEST(neuron_scan_time_range_inclusive)
{
	for (int i = 0; i < 5; i++) {
		char id[16];
		snprintf(id, sizeof id, "t%d", i);
		OK(add_neuron(id, NM_NEURON_TIME, "x", T0 + i * SEC));
	}
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.time_start = T0 + 1 * SEC;
	f.time_end = T0 + 3 * SEC;
	EXPECT_SCAN(scan_neurons, &f, "t1,t2,t3", "both ends inclusive");
	f.time_start = T0 + 1 * SEC + 1;
	f.time_end = T0 + 3 * SEC - 1;
	EXPECT_SCAN(scan_neurons, &f, "t2", "microsecond precision");
	f.time_start = T0 + 3 * SEC;
	f.time_end = T0 + 1 * SEC;
	EXPECT_SCAN(scan_neurons, &f, "", "start > end is empty");
	f.time_start = T0 + 2 * SEC;
	f.time_end = T0 + 2 * SEC;
	EXPECT_SCAN(scan_neurons, &f, "t2", "single instant");
	f.time_start = NM_TIME_MIN;
	f.time_end = NM_TIME_MAX;
	EXPECT_SCAN(scan_neurons, &f, "t0,t1,t2,t3,t4", "whole range");
}

STORE_TEST(neuron_scan_limit_offset)
{
	add_neurons("a,b,c,d,e");
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.limit = 2;
	EXPECT_SCAN(scan_neurons, &f, "a,b", "limit");
	f.offset = 1;
	EXPECT_SCAN(scan_neurons, &f, "b,c", "limit+offset");
	f.limit = 0;
	f.offset = 3;
	EXPECT_SCAN(scan_neurons, &f, "d,e", "offset alone, limit 0 = none");
	f.offset = 5;
	EXPECT_SCAN(scan_neurons, &f, "", "offset past the end");
	f.offset = 0;
	f.limit = 100;
	EXPECT_SCAN(scan_neurons, &f, "a,b,c,d,e", "limit larger than count");
}

STORE_TEST(neuron_scan_combined_filters)
{
	OK(add_neuron("a", NM_NEURON_ENTITY, "Hanoi trip", T0));
	OK(add_neuron("b", NM_NEURON_SPATIAL, "Hanoi", T0 + SEC));
	OK(add_neuron("c", NM_NEURON_ENTITY, "hanoi food", T0 + 2 * SEC));
	OK(add_neuron("d", NM_NEURON_ENTITY, "Saigon trip", T0 + 3 * SEC));
	OK(add_neuron("e", NM_NEURON_ENTITY, "HANOI again", T0 + 4 * SEC));
	OK(add_neuron("f", NM_NEURON_ENTITY, "hanoi", T0 + 5 * SEC));
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.type = NM_NEURON_ENTITY;
	f.contains = "hanoi";
	f.contains_len = 5;
	EXPECT_SCAN(scan_neurons, &f, "a,c,e,f", "type AND contains");
	f.time_start = T0 + SEC;
	f.time_end = T0 + 4 * SEC;
	EXPECT_SCAN(scan_neurons, &f, "c,e", "type AND contains AND time");
	f.limit = 1;
	EXPECT_SCAN(scan_neurons, &f, "c", "limit applies after filtering");
	f.offset = 1;
	EXPECT_SCAN(scan_neurons, &f, "e", "offset applies after filtering");
	f = (nm_neuron_filter_t)NM_NEURON_FILTER_INIT;
	f.exact = "hanoi";
	f.exact_len = 5;
	f.contains = "han";
	f.contains_len = 3;
	f.type = NM_NEURON_ENTITY;
	EXPECT_SCAN(scan_neurons, &f, "f", "exact AND contains AND type");
	f.type = NM_NEURON_SPATIAL;
	EXPECT_SCAN(scan_neurons, &f, "", "exact AND contradicting type");
}

static int stop_at_second(void *arg, const nm_neuron_t *n)
{
	int *k = arg;
	return ++*k == 2 ? 99 : 0;
}

STORE_TEST(neuron_scan_callback_stops)
{
	add_neurons("a,b,c");
	int k = 0;
	nm_tx_t *tx = rbegin();
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	cr_expect_eq(nm_tx_neuron_scan(tx, &f, stop_at_second, &k, &E), 99);
	nm_brain_read_end(tx);
	cr_expect_eq(k, 2);
}

/* ================================================================== */
/* synapses                                                            */
/* ================================================================== */

STORE_TEST(synapse_add_get_round_trip)
{
	add_neurons("n1,n2");
	nm_synapse_t s = {.id = "s1", .source_id = "n1", .target_id = "n2", .type = NM_SYN_CAUSED_BY, .weight = 0.1 + 0.2,
		.direction = NM_DIR_BI, .metadata = "{\"w\":\"x\"}", .reinforced_count = 7, .last_activated = T0 + 9,
		.created_at = T0 - 1};
	OK(wsync(ap_synapse_add, &s));
	nm_synapse_t got;
	OK(get_synapse("s1", &got));
	cr_expect_str_eq(got.id, "s1");
	cr_expect_str_eq(got.source_id, "n1");
	cr_expect_str_eq(got.target_id, "n2");
	cr_expect_eq(got.type, NM_SYN_CAUSED_BY);
	cr_expect_eq(got.weight, 0.1 + 0.2, "weight bit-exact");
	cr_expect_eq(got.direction, NM_DIR_BI);
	cr_expect_str_eq(got.metadata, "{\"w\":\"x\"}");
	cr_expect_eq(got.reinforced_count, 7);
	cr_expect_eq(got.last_activated, T0 + 9);
	cr_expect_eq(got.created_at, T0 - 1);
	nm_synapse_clear(&got);

	s.id = "s2";
	s.last_activated = NONE;
	OK(wsync(ap_synapse_add, &s));
	OK(get_synapse("s2", &got));
	cr_expect_eq(got.last_activated, NONE);
	nm_synapse_clear(&got);
	EXPECT_ERR(get_synapse("s3", &got), 404, "Synapse s3 not found");
	nm_synapse_clear(&got);
}

STORE_TEST(synapse_missing_endpoint_422)
{
	add_neurons("n1");
	EXPECT_ERR(add_synapse("s1", "ghost", "n1", NM_SYN_BEFORE, 0.5), 422, "Source neuron ghost does not exist");
	EXPECT_ERR(add_synapse("s1", "n1", "phantom", NM_SYN_BEFORE, 0.5), 422, "Target neuron phantom does not exist");
	EXPECT_ERR(add_synapse("s1", "ghost", "phantom", NM_SYN_BEFORE, 0.5), 422, "Source neuron ghost does not exist");
	nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
	EXPECT_SCAN(scan_synapses, &f, "", "nothing stored");
	cr_expect_eq(tx_stats().synapses, 0);
}

STORE_TEST(synapse_duplicate_self_loop_multi_edge)
{
	add_neurons("n1,n2");
	OK(add_synapse("s1", "n1", "n2", NM_SYN_BEFORE, 0.5));
	EXPECT_ERR(add_synapse("s1", "n2", "n1", NM_SYN_AFTER, 0.1), 409, "Synapse s1 already exists");
	OK(add_synapse("s2", "n1", "n2", NM_SYN_BEFORE, 0.5));
	OK(add_synapse("loop", "n1", "n1", NM_SYN_RELATED_TO, 1.0));
	nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
	EXPECT_SCAN(scan_synapses, &f, "s1,s2,loop", "multigraph with a self-loop");
}

STORE_TEST(synapse_update_delete)
{
	add_neurons("n1,n2,n3");
	OK(add_synapse("s1", "n1", "n2", NM_SYN_BEFORE, 0.5));
	nm_synapse_t u = mksynapse("s1", "n1", "n2", NM_SYN_INVOLVES, 0.9);
	u.direction = NM_DIR_BI;
	u.metadata = "{\"x\":1}";
	u.reinforced_count = 3;
	u.last_activated = T0 + 1;
	OK(wsync(ap_synapse_update, &u));
	nm_synapse_t got;
	OK(get_synapse("s1", &got));
	cr_expect_eq(got.type, NM_SYN_INVOLVES);
	cr_expect_float_eq(got.weight, 0.9, 0);
	cr_expect_eq(got.direction, NM_DIR_BI);
	cr_expect_str_eq(got.metadata, "{\"x\":1}");
	cr_expect_eq(got.reinforced_count, 3);
	cr_expect_eq(got.last_activated, T0 + 1);
	nm_synapse_clear(&got);
	nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
	f.type = NM_SYN_INVOLVES;
	EXPECT_SCAN(scan_synapses, &f, "s1", "type filter sees the update");
	/* new ends: the synapse moves in the source and target look-ups */
	u.source_id = "n2";
	u.target_id = "n3";
	OK(wsync(ap_synapse_update, &u));
	f = (nm_synapse_filter_t)NM_SYNAPSE_FILTER_INIT;
	f.source_id = "n2";
	f.target_id = "n3";
	EXPECT_SCAN(scan_synapses, &f, "s1", "found by its new ends");
	f = (nm_synapse_filter_t)NM_SYNAPSE_FILTER_INIT;
	f.source_id = "n1";
	EXPECT_SCAN(scan_synapses, &f, "", "gone from its old source");

	u.id = "ghost";
	EXPECT_ERR(wsync(ap_synapse_update, &u), 404, "Synapse ghost not found");
	OK(wsync(ap_synapse_delete, (void *)"s1"));
	EXPECT_ERR(get_synapse("s1", &got), 404, "Synapse s1 not found");
	nm_synapse_clear(&got);
	EXPECT_ERR(wsync(ap_synapse_delete, (void *)"s1"), 404, "Synapse s1 not found");
	cr_expect_eq(tx_stats().synapses, 0);
	cr_expect_eq(neuron_exists("n1"), 1, "deleting a synapse leaves its neurons");
}

STORE_TEST(synapse_scan_filters)
{
	add_neurons("a,b,c");
	OK(add_synapse("s1", "a", "b", NM_SYN_BEFORE, 0.2));
	OK(add_synapse("s2", "b", "c", NM_SYN_AFTER, 0.8));
	OK(add_synapse("s3", "a", "c", NM_SYN_BEFORE, 0.5));
	OK(add_synapse("s4", "c", "a", NM_SYN_NEAR, 1.0));
	OK(add_synapse("s5", "a", "b", NM_SYN_NEAR, 0.5));
	nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
	EXPECT_SCAN(scan_synapses, &f, "s1,s2,s3,s4,s5", "all, creation order");
	f.source_id = "a";
	EXPECT_SCAN(scan_synapses, &f, "s1,s3,s5", "source");
	f.target_id = "b";
	EXPECT_SCAN(scan_synapses, &f, "s1,s5", "source AND target");
	f.type = NM_SYN_NEAR;
	EXPECT_SCAN(scan_synapses, &f, "s5", "source AND target AND type");
	f = (nm_synapse_filter_t)NM_SYNAPSE_FILTER_INIT;
	f.target_id = "c";
	EXPECT_SCAN(scan_synapses, &f, "s2,s3", "target");
	f = (nm_synapse_filter_t)NM_SYNAPSE_FILTER_INIT;
	f.type = NM_SYN_BEFORE;
	EXPECT_SCAN(scan_synapses, &f, "s1,s3", "type");
	f = (nm_synapse_filter_t)NM_SYNAPSE_FILTER_INIT;
	f.has_min_weight = true;
	f.min_weight = 0.5;
	EXPECT_SCAN(scan_synapses, &f, "s2,s3,s4,s5", "min_weight is inclusive");
	f.min_weight = 0.0;
	EXPECT_SCAN(scan_synapses, &f, "s1,s2,s3,s4,s5", "min_weight 0 keeps everything");
	f.min_weight = 1.0;
	EXPECT_SCAN(scan_synapses, &f, "s4", "min_weight 1");
	f.min_weight = 0.5;
	f.source_id = "a";
	EXPECT_SCAN(scan_synapses, &f, "s3,s5", "min_weight AND source");
	f = (nm_synapse_filter_t)NM_SYNAPSE_FILTER_INIT;
	f.limit = 2;
	f.offset = 1;
	EXPECT_SCAN(scan_synapses, &f, "s2,s3", "limit/offset");
	f.source_id = "a";
	EXPECT_SCAN(scan_synapses, &f, "s3,s5", "limit/offset after filtering");
	f = (nm_synapse_filter_t)NM_SYNAPSE_FILTER_INIT;
	f.source_id = "nobody";
	EXPECT_SCAN(scan_synapses, &f, "", "unknown source");
}

/* ================================================================== */
/* fibers                                                              */
/* ================================================================== */

STORE_TEST(fiber_add_get_round_trip)
{
	nm_fiber_t f = {0};
	f.id = strdup("f1");
	strv_from(&f.neuron_ids, "n3,n1,n2");
	strv_from(&f.synapse_ids, "s2,s1");
	f.anchor_neuron_id = strdup("n1");
	f.time_start = T0 - DAY;
	f.time_end = T0 + 7;
	f.coherence = 0.1 + 0.2;
	f.salience = 0.75;
	f.frequency = 42;
	f.summary = strdup("Tóm tắt \"x\"");
	strv_from(&f.tags, "zeta,alpha,");
	nm_strv_add(&f.tags, "");
	f.metadata = strdup("{\"enc\":{\"v\":1}}");
	f.created_at = T0;
	OK(wsync(ap_fiber_add, &f));
	nm_fiber_t g;
	OK(get_fiber("f1", &g));
	cr_expect_str_eq(g.id, "f1");
	cr_assert_eq(g.neuron_ids.n, 3);
	cr_expect_str_eq(g.neuron_ids.v[0], "n3", "set order kept");
	cr_expect_str_eq(g.neuron_ids.v[1], "n1");
	cr_expect_str_eq(g.neuron_ids.v[2], "n2");
	cr_assert_eq(g.synapse_ids.n, 2);
	cr_expect_str_eq(g.synapse_ids.v[0], "s2");
	cr_expect_str_eq(g.anchor_neuron_id, "n1");
	cr_expect_eq(g.time_start, T0 - DAY);
	cr_expect_eq(g.time_end, T0 + 7);
	cr_expect_eq(g.coherence, 0.1 + 0.2);
	cr_expect_float_eq(g.salience, 0.75, 0);
	cr_expect_eq(g.frequency, 42);
	cr_expect_str_eq(g.summary, "Tóm tắt \"x\"");
	cr_assert_eq(g.tags.n, 3);
	cr_expect_str_eq(g.tags.v[0], "zeta");
	cr_expect_str_eq(g.tags.v[1], "alpha");
	cr_expect_str_eq(g.tags.v[2], "", "an empty tag is a tag");
	cr_expect_str_eq(g.metadata, "{\"enc\":{\"v\":1}}");
	cr_expect_eq(g.created_at, T0);
	nm_fiber_clear(&g);
	nm_fiber_clear(&f);

	/* NULL summary, null times, empty sets */
	OK(add_fiber((fspec_t){.id = "f2", .neurons = "n1", .t0 = NONE, .t1 = NONE}));
	OK(get_fiber("f2", &g));
	cr_expect_null(g.summary);
	cr_expect_eq(g.time_start, NONE);
	cr_expect_eq(g.time_end, NONE);
	cr_expect_eq(g.synapse_ids.n, 0);
	cr_expect_eq(g.tags.n, 0);
	nm_fiber_clear(&g);
	EXPECT_ERR(get_fiber("f3", &g), 404, "Fiber f3 not found");
	nm_fiber_clear(&g);
	cr_expect_eq(tx_stats().fibers, 2);
}

STORE_TEST(fiber_duplicate_update_delete)
{
	OK(add_fiber((fspec_t){.id = "f1", .neurons = "n1,n2", .t0 = T0, .t1 = T0 + SEC, .salience = 0.5, .tags = "a,b"}));
	EXPECT_ERR(add_fiber((fspec_t){.id = "f1", .neurons = "n9", .t0 = NONE, .t1 = NONE}), 409, "Fiber f1 already exists");

	/* update changes every index: neurons, tags, time, salience */
	nm_fiber_t u;
	mkfiber(&u, &(fspec_t){.id = "f1", .neurons = "n7,n8", .anchor = "n8", .t0 = T0 + 10 * DAY, .t1 = T0 + 11 * DAY,
	                       .salience = 0.9, .freq = 5, .tags = "c"});
	free(u.summary);
	u.summary = strdup("now summarised");
	OK(wsync(ap_fiber_update, &u));
	nm_fiber_t g;
	OK(get_fiber("f1", &g));
	cr_expect_str_eq(g.anchor_neuron_id, "n8");
	cr_expect_str_eq(g.summary, "now summarised");
	cr_expect_eq(g.frequency, 5);
	nm_fiber_clear(&g);

	nm_fiber_filter_t q = NM_FIBER_FILTER_INIT;
	q.contains_neuron = "n1";
	EXPECT_SCAN(scan_fibers, &q, "", "old neuron gone from the index");
	q.contains_neuron = "n7";
	EXPECT_SCAN(scan_fibers, &q, "f1", "new neuron indexed");
	q = (nm_fiber_filter_t)NM_FIBER_FILTER_INIT;
	nm_strv_t tags = {0};
	strv_from(&tags, "a");
	q.tags = &tags;
	EXPECT_SCAN(scan_fibers, &q, "", "old tag gone");
	nm_strv_clear(&tags);
	strv_from(&tags, "c");
	EXPECT_SCAN(scan_fibers, &q, "f1", "new tag indexed");
	nm_strv_clear(&tags);
	q = (nm_fiber_filter_t)NM_FIBER_FILTER_INIT;
	q.time_start = T0;
	q.time_end = T0 + SEC;
	EXPECT_SCAN(scan_fibers, &q, "", "old time range gone");
	q.time_start = T0 + 10 * DAY + SEC;
	q.time_end = T0 + 10 * DAY + 2 * SEC;
	EXPECT_SCAN(scan_fibers, &q, "f1", "new time range indexed");

	/* clearing the times removes the fiber from time queries */
	free(u.summary);
	u.summary = NULL;
	u.time_start = u.time_end = NONE;
	OK(wsync(ap_fiber_update, &u));
	EXPECT_SCAN(scan_fibers, &q, "", "null times never match");
	OK(get_fiber("f1", &g));
	cr_expect_null(g.summary, "summary back to null");
	nm_fiber_clear(&g);

	free(u.id);
	u.id = strdup("ghost");
	EXPECT_ERR(wsync(ap_fiber_update, &u), 404, "Fiber ghost not found");
	nm_fiber_clear(&u);

	OK(wsync(ap_fiber_delete, (void *)"f1"));
	EXPECT_ERR(get_fiber("f1", &g), 404, "Fiber f1 not found");
	nm_fiber_clear(&g);
	EXPECT_ERR(wsync(ap_fiber_delete, (void *)"f1"), 404, "Fiber f1 not found");
	q = (nm_fiber_filter_t)NM_FIBER_FILTER_INIT;
	q.contains_neuron = "n7";
	EXPECT_SCAN(scan_fibers, &q, "", "deleted fiber leaves the index");
	cr_expect_eq(tx_stats().fibers, 0);
}

STORE_TEST(fiber_scan_contains_neuron_exact)
{
	OK(add_fiber((fspec_t){.id = "f1", .neurons = "n-1,x", .t0 = NONE, .t1 = NONE}));
	OK(add_fiber((fspec_t){.id = "f10", .neurons = "n-10", .t0 = NONE, .t1 = NONE}));
	OK(add_fiber((fspec_t){.id = "f100", .neurons = "y,n-100,n-1", .anchor = "y", .t0 = NONE, .t1 = NONE}));
	nm_fiber_filter_t q = NM_FIBER_FILTER_INIT;
	q.order = NM_ORDER_CREATED_AT;
	q.descending = false;
	q.contains_neuron = "n-1";
	EXPECT_SCAN(scan_fibers, &q, "f1,f100", "n-1 is not a prefix match of n-10");
	q.contains_neuron = "n-10";
	EXPECT_SCAN(scan_fibers, &q, "f10", "exact element");
	q.contains_neuron = "n-";
	EXPECT_SCAN(scan_fibers, &q, "", "no substring match");
	q.contains_neuron = "N-1";
	EXPECT_SCAN(scan_fibers, &q, "", "case-sensitive");
}

STORE_TEST(fiber_scan_time_overlap)
{
	/* realistic instants a few microseconds and days apart */
	OK(add_fiber((fspec_t){.id = "A", .t0 = T0 + 10, .t1 = T0 + 20, .created = T0 + 1}));
	OK(add_fiber((fspec_t){.id = "B", .t0 = T0 + 20, .t1 = T0 + 30, .created = T0 + 2}));
	OK(add_fiber((fspec_t){.id = "C", .t0 = T0 + 31, .t1 = T0 + 40, .created = T0 + 3}));
	OK(add_fiber((fspec_t){.id = "D", .t0 = NONE, .t1 = NONE, .created = T0 + 4}));
	OK(add_fiber((fspec_t){.id = "E", .t0 = T0 + 15, .t1 = NONE, .created = T0 + 5}));
	OK(add_fiber((fspec_t){.id = "F", .t0 = NONE, .t1 = T0 + 25, .created = T0 + 6}));
	OK(add_fiber((fspec_t){.id = "G", .t0 = T0 - 400 * DAY, .t1 = T0 + 400 * DAY, .created = T0 + 7}));
	OK(add_fiber((fspec_t){.id = "H", .t0 = -5 * DAY - 1, .t1 = -5 * DAY + 1, .created = T0 + 8}));
	nm_fiber_filter_t q = NM_FIBER_FILTER_INIT;
	q.order = NM_ORDER_CREATED_AT;
	q.descending = false;
	q.time_start = T0 + 20;
	q.time_end = T0 + 25;
	EXPECT_SCAN(scan_fibers, &q, "A,B,G", "touching ends overlap; half-open fibers never match");
	q.time_start = T0 + 21;
	q.time_end = T0 + 30;
	EXPECT_SCAN(scan_fibers, &q, "B,G", "1 µs after A ends");
	q.time_start = T0 + 30;
	q.time_end = T0 + 30;
	EXPECT_SCAN(scan_fibers, &q, "B,G", "a single instant on B's end");
	q.time_start = T0 - DAY;
	q.time_end = T0 + DAY;
	EXPECT_SCAN(scan_fibers, &q, "A,B,C,G", "a window around all of them");
	q.time_start = T0 + 500 * DAY;
	q.time_end = T0 + 600 * DAY;
	EXPECT_SCAN(scan_fibers, &q, "", "after everything");
	q.time_start = -5 * DAY;
	q.time_end = -5 * DAY;
	EXPECT_SCAN(scan_fibers, &q, "H", "pre-1970 ranges");
	q.time_start = -5 * DAY + 2;
	q.time_end = -4 * DAY;
	EXPECT_SCAN(scan_fibers, &q, "", "1 µs after a pre-1970 range");
}

STORE_TEST(fiber_scan_tags_all_of)
{
	OK(add_fiber((fspec_t){.id = "f1", .t0 = NONE, .t1 = NONE, .tags = "x,y"}));
	OK(add_fiber((fspec_t){.id = "f2", .t0 = NONE, .t1 = NONE, .tags = "x"}));
	OK(add_fiber((fspec_t){.id = "f3", .t0 = NONE, .t1 = NONE, .tags = "y,z"}));
	OK(add_fiber((fspec_t){.id = "f4", .t0 = NONE, .t1 = NONE}));
	OK(add_fiber((fspec_t){.id = "f5", .t0 = NONE, .t1 = NONE, .tags = "z,y,x"}));
	nm_fiber_filter_t q = NM_FIBER_FILTER_INIT;
	q.order = NM_ORDER_CREATED_AT;
	q.descending = false;
	nm_strv_t t = {0};
	q.tags = &t;
	strv_from(&t, "x");
	EXPECT_SCAN(scan_fibers, &q, "f1,f2,f5", "one tag");
	nm_strv_clear(&t);
	strv_from(&t, "x,y");
	EXPECT_SCAN(scan_fibers, &q, "f1,f5", "all of two tags");
	nm_strv_clear(&t);
	strv_from(&t, "y,x");
	EXPECT_SCAN(scan_fibers, &q, "f1,f5", "order of the query tags does not matter");
	nm_strv_clear(&t);
	strv_from(&t, "x,y,z");
	EXPECT_SCAN(scan_fibers, &q, "f5", "three tags");
	nm_strv_clear(&t);
	strv_from(&t, "q");
	EXPECT_SCAN(scan_fibers, &q, "", "unknown tag");
	nm_strv_clear(&t);
	strv_from(&t, "X");
	EXPECT_SCAN(scan_fibers, &q, "", "tags are case-sensitive");
	nm_strv_clear(&t);
}

STORE_TEST(fiber_scan_min_salience)
{
	OK(add_fiber((fspec_t){.id = "a", .t0 = NONE, .t1 = NONE, .salience = 0.2}));
	OK(add_fiber((fspec_t){.id = "b", .t0 = NONE, .t1 = NONE, .salience = 0.5}));
	OK(add_fiber((fspec_t){.id = "c", .t0 = NONE, .t1 = NONE, .salience = 0.8}));
	OK(add_fiber((fspec_t){.id = "d", .t0 = NONE, .t1 = NONE, .salience = 0.0}));
	nm_fiber_filter_t q = NM_FIBER_FILTER_INIT;
	q.has_min_salience = true;
	q.min_salience = 0.5;
	EXPECT_SCAN(scan_fibers, &q, "c,b", "inclusive, default order");
	q.min_salience = 0.0;
	EXPECT_SCAN(scan_fibers, &q, "c,b,a,d", "0 keeps everything");
	q.min_salience = 0.81;
	EXPECT_SCAN(scan_fibers, &q, "", "above all");
}

STORE_TEST(fiber_scan_default_order_salience_desc_ties_creation)
{
	OK(add_fiber((fspec_t){.id = "f1", .t0 = NONE, .t1 = NONE, .salience = 0.5, .created = T0 + 5}));
	OK(add_fiber((fspec_t){.id = "f2", .t0 = NONE, .t1 = NONE, .salience = 0.9, .created = T0 + 4}));
	OK(add_fiber((fspec_t){.id = "f3", .t0 = NONE, .t1 = NONE, .salience = 0.5, .created = T0 + 3}));
	OK(add_fiber((fspec_t){.id = "f4", .t0 = NONE, .t1 = NONE, .salience = 0.1, .created = T0 + 2}));
	OK(add_fiber((fspec_t){.id = "f5", .t0 = NONE, .t1 = NONE, .salience = 0.9, .created = T0 + 1}));
	nm_fiber_filter_t q = NM_FIBER_FILTER_INIT;
	EXPECT_SCAN(scan_fibers, &q, "f2,f5,f1,f3,f4", "salience desc, ties in creation (insertion) order");
	q.descending = false; /* ignored without order_by: default is always desc */
	EXPECT_SCAN(scan_fibers, &q, "f2,f5,f1,f3,f4", "default order ignores descending");
	q.limit = 2;
	q.offset = 1;
	q.descending = true;
	EXPECT_SCAN(scan_fibers, &q, "f5,f1", "limit/offset after ordering");
	q.offset = 4;
	EXPECT_SCAN(scan_fibers, &q, "f4", "last page");
}

STORE_TEST(fiber_scan_order_by)
{
	/* created_at ties: f2/f4; frequency ties: f1/f3; salience ties: f3/f4 */
	OK(add_fiber((fspec_t){.id = "f1", .t0 = NONE, .t1 = NONE, .salience = 0.3, .freq = 5, .created = T0 + 300}));
	OK(add_fiber((fspec_t){.id = "f2", .t0 = NONE, .t1 = NONE, .salience = 0.1, .freq = 9, .created = T0 + 100}));
	OK(add_fiber((fspec_t){.id = "f3", .t0 = NONE, .t1 = NONE, .salience = 0.7, .freq = 5, .created = T0 + 200}));
	OK(add_fiber((fspec_t){.id = "f4", .t0 = NONE, .t1 = NONE, .salience = 0.7, .freq = 1, .created = T0 + 100}));
	nm_fiber_filter_t q = NM_FIBER_FILTER_INIT;
	q.order = NM_ORDER_CREATED_AT;
	q.descending = false;
	EXPECT_SCAN(scan_fibers, &q, "f2,f4,f3,f1", "created_at asc, ties oldest first");
	q.descending = true;
	EXPECT_SCAN(scan_fibers, &q, "f1,f3,f2,f4", "created_at desc, ties still oldest first");
	q.order = NM_ORDER_FREQUENCY;
	EXPECT_SCAN(scan_fibers, &q, "f2,f1,f3,f4", "frequency desc");
	q.descending = false;
	EXPECT_SCAN(scan_fibers, &q, "f4,f1,f3,f2", "frequency asc");
	q.order = NM_ORDER_SALIENCE;
	EXPECT_SCAN(scan_fibers, &q, "f2,f1,f3,f4", "salience asc");
	q.descending = true;
	EXPECT_SCAN(scan_fibers, &q, "f3,f4,f1,f2", "salience desc");
	q.order = NM_ORDER_FREQUENCY;
	q.limit = 2;
	q.offset = 1;
	EXPECT_SCAN(scan_fibers, &q, "f1,f3", "limit/offset after ordering");
	q.limit = 0;
	q.offset = 3;
	EXPECT_SCAN(scan_fibers, &q, "f4", "offset only");
}

STORE_TEST(fiber_scan_combined)
{
	OK(add_fiber((fspec_t){.id = "a", .neurons = "n1,n2", .t0 = T0, .t1 = T0 + DAY, .salience = 0.6, .tags = "work"}));
	OK(add_fiber((fspec_t){.id = "b", .neurons = "n1", .t0 = T0, .t1 = T0 + DAY, .salience = 0.9, .tags = "home"}));
	OK(add_fiber((fspec_t){.id = "c", .neurons = "n2,n1", .anchor = "n2", .t0 = T0 + 5 * DAY, .t1 = T0 + 6 * DAY,
	                       .salience = 0.8, .tags = "work,urgent"}));
	OK(add_fiber((fspec_t){.id = "d", .neurons = "n1", .t0 = NONE, .t1 = NONE, .salience = 1.0, .tags = "work"}));
	OK(add_fiber((fspec_t){.id = "e", .neurons = "n3", .t0 = T0, .t1 = T0 + DAY, .salience = 0.95, .tags = "work"}));
	nm_fiber_filter_t q = NM_FIBER_FILTER_INIT;
	nm_strv_t t = {0};
	strv_from(&t, "work");
	q.contains_neuron = "n1";
	q.tags = &t;
	EXPECT_SCAN(scan_fibers, &q, "d,c,a", "neuron AND tag, salience desc");
	q.has_min_salience = true;
	q.min_salience = 0.7;
	EXPECT_SCAN(scan_fibers, &q, "d,c", "AND min_salience");
	q.time_start = T0;
	q.time_end = T0 + 7 * DAY;
	EXPECT_SCAN(scan_fibers, &q, "c", "AND time overlap");
	q.has_min_salience = false;
	EXPECT_SCAN(scan_fibers, &q, "c,a", "neuron AND tag AND time");
	q.limit = 1;
	q.offset = 1;
	EXPECT_SCAN(scan_fibers, &q, "a", "window after filter and order");
	nm_strv_clear(&t);
}

/* ================================================================== */
/* typed memories, projects, meta, stats                               */
/* ================================================================== */

static char *scan_blobs(bool typed)
{
	nm_buf_t b = {0};
	nm_tx_t *tx = rbegin();
	int rc = typed ? nm_tx_typed_memory_scan(tx, cb_blob, &b, &E) : nm_tx_project_scan(tx, cb_blob, &b, &E);
	nm_brain_read_end(tx);
	cr_assert_eq(rc, 0, "[%s] blob scan: %s", BACKEND, E.detail);
	return nm_buf_steal(&b, NULL);
}

static void typed_counts(int64_t *counts)
{
	for (int i = 0; i < NM_MEM__COUNT; i++)
		counts[i] = -1;
	nm_tx_t *tx = rbegin();
	int rc = nm_tx_typed_memory_counts(tx, counts, &E);
	nm_brain_read_end(tx);
	cr_assert_eq(rc, 0, "[%s] counts: %s", BACKEND, E.detail);
}

STORE_TEST(typed_memories_put_scan_counts)
{
	static const char *const fids[] = {"f1", "f2", "f3"};
	for (int i = 0; i < 3; i++)
		OK(add_fiber((fspec_t){.id = fids[i], .t0 = NONE, .t1 = NONE}));
	OK(wsync(ap_typed_put, &(blob_put_t){"f1", NM_MEM_FACT, "{\"fiber_id\":\"f1\",\"v\":1}"}));
	OK(wsync(ap_typed_put, &(blob_put_t){"f2", NM_MEM_DECISION, "{\"fiber_id\":\"f2\"}"}));
	OK(wsync(ap_typed_put, &(blob_put_t){"f3", NM_MEM_FACT, "{\"fiber_id\":\"f3\"}"}));
	int64_t c[NM_MEM__COUNT];
	typed_counts(c);
	cr_expect_eq(c[NM_MEM_FACT], 2);
	cr_expect_eq(c[NM_MEM_DECISION], 1);
	cr_expect_eq(c[NM_MEM_TODO], 0, "absent types count 0");
	cr_expect_eq(tx_stats().typed_memories, 3);

	/* put replaces (type and json), keeping its place */
	OK(wsync(ap_typed_put, &(blob_put_t){"f1", NM_MEM_TODO, "{\"fiber_id\":\"f1\",\"v\":2}"}));
	typed_counts(c);
	cr_expect_eq(c[NM_MEM_FACT], 1);
	cr_expect_eq(c[NM_MEM_TODO], 1);
	cr_expect_eq(tx_stats().typed_memories, 3);
	char *s = scan_blobs(true);
	cr_expect_str_eq(s, "f1={\"fiber_id\":\"f1\",\"v\":2};f2={\"fiber_id\":\"f2\"};f3={\"fiber_id\":\"f3\"}");
	free(s);

	/* deleting a fiber removes its typed memory */
	OK(wsync(ap_fiber_delete, (void *)"f2"));
	typed_counts(c);
	cr_expect_eq(c[NM_MEM_DECISION], 0);
	s = scan_blobs(true);
	cr_expect_str_eq(s, "f1={\"fiber_id\":\"f1\",\"v\":2};f3={\"fiber_id\":\"f3\"}");
	free(s);
	nm_stats_t st = tx_stats();
	cr_expect_eq(st.typed_memories, 2);
	cr_expect_eq(st.fibers, 2);
}

STORE_TEST(projects_put_scan)
{
	OK(wsync(ap_project_put, &(blob_put_t){"p2", 0, "{\"id\":\"p2\"}"}));
	OK(wsync(ap_project_put, &(blob_put_t){"p1", 0, "{\"id\":\"p1\"}"}));
	OK(wsync(ap_project_put, &(blob_put_t){"p2", 0, "{\"id\":\"p2\",\"name\":\"x\"}"}));
	char *s = scan_blobs(false);
	cr_expect_str_eq(s, "p2={\"id\":\"p2\",\"name\":\"x\"};p1={\"id\":\"p1\"}");
	free(s);
	cr_expect_eq(tx_stats().projects, 2);
}

STORE_TEST(meta_get_put)
{
	nm_tx_t *tx = rbegin();
	char *m = NULL;
	OK(nm_tx_meta_get(tx, &m, &E));
	nm_brain_read_end(tx);
	cr_expect_str_eq(m, "{}", "never set → {}");
	free(m);
	OK(wsync(ap_meta_put, (void *)"{\"source\":\"import\",\"n\":[1]}"));
	tx = rbegin();
	OK(nm_tx_meta_get(tx, &m, &E));
	nm_brain_read_end(tx);
	cr_expect_str_eq(m, "{\"source\":\"import\",\"n\":[1]}");
	free(m);
}

STORE_TEST(stats_counts_follow_writes)
{
	nm_stats_t st = tx_stats();
	cr_expect_eq(st.neurons, 0);
	cr_expect_eq(st.updated_at, NONE, "no content change yet");
	int64_t before = nm_time_now();
	add_neurons("a,b,c");
	OK(add_synapse("s1", "a", "b", NM_SYN_BEFORE, 0.5));
	OK(add_synapse("s2", "b", "c", NM_SYN_BEFORE, 0.5));
	OK(add_fiber((fspec_t){.id = "f", .neurons = "a", .t0 = NONE, .t1 = NONE}));
	OK(wsync(ap_project_put, &(blob_put_t){"p", 0, "{}"}));
	int64_t after = nm_time_now();
	st = tx_stats();
	cr_expect_eq(st.neurons, 3);
	cr_expect_eq(st.synapses, 2);
	cr_expect_eq(st.fibers, 1);
	cr_expect_eq(st.projects, 1);
	cr_expect_eq(st.typed_memories, 0);
	cr_expect(st.updated_at >= before && st.updated_at <= after, "updated_at is the last commit time");
	nm_stats_t bs;
	OK(nm_brain_stats(B, &bs, &E));
	cr_expect_eq(bs.neurons, 3);
	cr_expect_eq(bs.synapses, 2);
	cr_expect_eq(bs.updated_at, st.updated_at);

	OK(wsync(ap_neuron_delete, (void *)"b"));
	st = tx_stats();
	cr_expect_eq(st.neurons, 2);
	cr_expect_eq(st.synapses, 0, "cascade is counted");
	OK(nm_brain_stats(B, &bs, &E));
	cr_expect_eq(bs.neurons, 2, "cached stats follow commits");
	cr_expect_eq(bs.synapses, 0);

	/* a failed write changes no count and no updated_at */
	int64_t last = st.updated_at;
	EXPECT_ERR(add_neuron("a", NM_NEURON_ENTITY, "dup", T0), 409, "Neuron a already exists");
	st = tx_stats();
	cr_expect_eq(st.neurons, 2);
	cr_expect_eq(st.updated_at, last);
}

STORE_TEST(write_in_read_transaction_refused)
{
	nm_tx_t *tx = rbegin();
	nm_neuron_t n = mkneuron("n1", NM_NEURON_ENTITY, "x", T0);
	memset(&E, 0, sizeof E);
	cr_expect_lt(nm_tx_neuron_add(tx, &n, &E), 0);
	cr_expect_neq(E.status, 0);
	nm_brain_read_end(tx);
	cr_expect_eq(neuron_exists("n1"), 0);
}

/* ================================================================== */
/* group commit and transactions                                       */
/* ================================================================== */

typedef struct gc_arg {
	int thread;
	int failures;
	nm_err_t first;
} gc_arg_t;

static void *gc_thread(void *p)
{
	gc_arg_t *a = p;
	for (int i = 0; i < 200; i++) {
		char id[32];
		snprintf(id, sizeof id, "t%d-%d", a->thread, i);
		nm_neuron_t n = mkneuron(id, NM_NEURON_ENTITY, id, T0 + i);
		nm_err_t err = {0};
		if (nm_brain_write_sync(B, ap_neuron_add, &n, &err) != 0 && !a->failures++)
			a->first = err;
	}
	return NULL;
}

STORE_TEST(group_commit_8_threads_x_200)
{
	nm_store_counters_t c0, c1;
	nm_store_counters(S, &c0);
	pthread_t th[8];
	gc_arg_t args[8];
	for (int i = 0; i < 8; i++) {
		args[i] = (gc_arg_t){.thread = i};
		cr_assert_eq(pthread_create(&th[i], NULL, gc_thread, &args[i]), 0);
	}
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 8; i++)
		cr_expect_eq(args[i].failures, 0, "[%s] thread %d: %d failures, first: %s", BACKEND, i, args[i].failures,
		             args[i].first.detail);
	nm_stats_t st = tx_stats();
	cr_expect_eq(st.neurons, 1600);
	nm_tx_t *tx = rbegin();
	int missing = 0;
	for (int t = 0; t < 8; t++)
		for (int i = 0; i < 200; i++) {
			char id[32];
			snprintf(id, sizeof id, "t%d-%d", t, i);
			if (nm_tx_neuron_exists(tx, id, &E) != 1)
				missing++;
		}
	nm_brain_read_end(tx);
	cr_expect_eq(missing, 0, "[%s] %d neurons missing", BACKEND, missing);
	nm_store_counters(S, &c1);
	cr_expect_geq(c1.commits - c0.commits, 1);
	cr_expect_leq(c1.commits - c0.commits, 1600, "never more commits than writes");
	cr_expect_eq(c1.rows_written - c0.rows_written, 1600);
}

/* A queued write for the batch tests: adds neuron `id`, optionally fails
 * after adding it; records its outcome. */
typedef struct qwrite {
	nm_write_t w;
	const char *id;
	bool fail_after_add;
	int done_calls;
	nm_err_t result;
} qwrite_t;

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static int q_done_total;

static int q_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	qwrite_t *q = (qwrite_t *)w;
	nm_neuron_t n = mkneuron(q->id, NM_NEURON_ENTITY, q->id, T0);
	int rc = nm_tx_neuron_add(tx, &n, err);
	if (rc < 0)
		return rc;
	if (q->fail_after_add)
		return nm_err_set(err, NM_ST_INVALID, "apply failed after adding %s", q->id);
	return 0;
}

static void q_done(nm_write_t *w)
{
	qwrite_t *q = (qwrite_t *)w;
	pthread_mutex_lock(&q_mu);
	q->done_calls++;
	q->result = w->err;
	q_done_total++;
	pthread_cond_broadcast(&q_cv);
	pthread_mutex_unlock(&q_mu);
}

static void q_wait(int total)
{
	pthread_mutex_lock(&q_mu);
	while (q_done_total < total)
		pthread_cond_wait(&q_cv, &q_mu);
	pthread_mutex_unlock(&q_mu);
}

/* The first write queues the others while it holds the writer role, so
 * they are committed together as one later batch (store.h: whoever finds
 * the writer idle commits every queued write in one transaction). */
static qwrite_t *q_batch;
static int q_batch_n;

static int q_apply_and_queue(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	int rc = q_apply(tx, w, err);
	for (int i = 0; i < q_batch_n; i++)
		nm_brain_write(nm_tx_brain(tx), &q_batch[i].w);
	return rc;
}

STORE_TEST(batch_failing_write_rolls_back_only_itself)
{
	qwrite_t first = {.w = {.apply = q_apply_and_queue, .done = q_done}, .id = "a"};
	qwrite_t batch[] = {
		{.w = {.apply = q_apply, .done = q_done}, .id = "n2"},
		{.w = {.apply = q_apply, .done = q_done}, .id = "n2"},                         /* duplicate → 409 */
		{.w = {.apply = q_apply, .done = q_done}, .id = "n3"},
		{.w = {.apply = q_apply, .done = q_done}, .id = "n4", .fail_after_add = true}, /* → 422 */
		{.w = {.apply = q_apply, .done = q_done}, .id = "n5"},
	};
	q_batch = batch;
	q_batch_n = 5;
	q_done_total = 0;
	nm_store_counters_t c0, c1;
	nm_store_counters(S, &c0);
	nm_brain_write(B, &first.w);
	q_wait(6);
	nm_store_counters(S, &c1);

	cr_expect_eq(first.done_calls, 1);
	cr_expect_eq(first.result.status, 0, "%s", first.result.detail);
	for (int i = 0; i < 5; i++)
		cr_expect_eq(batch[i].done_calls, 1, "[%s] done() of write %d ran %d times", BACKEND, i, batch[i].done_calls);
	cr_expect_eq(batch[0].result.status, 0, "%s", batch[0].result.detail);
	cr_expect_eq(batch[1].result.status, 409, "[%s] duplicate: %d %s", BACKEND, batch[1].result.status,
	             batch[1].result.detail);
	cr_expect_str_eq(batch[1].result.detail, "Neuron n2 already exists");
	cr_expect_eq(batch[2].result.status, 0, "%s", batch[2].result.detail);
	cr_expect_eq(batch[3].result.status, 422);
	cr_expect_str_eq(batch[3].result.detail, "apply failed after adding n4");
	cr_expect_eq(batch[4].result.status, 0, "%s", batch[4].result.detail);

	cr_expect_eq(neuron_exists("a"), 1);
	cr_expect_eq(neuron_exists("n2"), 1);
	cr_expect_eq(neuron_exists("n3"), 1);
	cr_expect_eq(neuron_exists("n4"), 0, "the failed write left nothing");
	cr_expect_eq(neuron_exists("n5"), 1);
	nm_neuron_t n2;
	OK(get_neuron("n2", &n2));
	cr_expect_str_eq(n2.content, "n2");
	nm_neuron_clear(&n2);
	cr_expect_eq(tx_stats().neurons, 4);
	cr_expect_eq(c1.commits - c0.commits, 2, "[%s] the queued writes share one commit (got %llu commits)", BACKEND,
	             (unsigned long long)(c1.commits - c0.commits));
	cr_expect_eq(c1.rows_written - c0.rows_written, 4, "rows of failed writes are not counted");
}

static int ap_add_then_fail(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	nm_neuron_t n = mkneuron(arg, NM_NEURON_ENTITY, "doomed", T0);
	int rc = nm_tx_neuron_add(tx, &n, err);
	if (rc < 0)
		return rc;
	nm_synapse_t s = mksynapse("doomed-syn", arg, arg, NM_SYN_RELATED_TO, 0.5);
	rc = nm_tx_synapse_add(tx, &s, err);
	if (rc < 0)
		return rc;
	return nm_err_set(err, NM_ST_INVALID, "changed my mind");
}

STORE_TEST(failing_apply_leaves_nothing)
{
	add_neurons("keep");
	nm_stats_t st0 = tx_stats();
	nm_store_counters_t c0, c1;
	nm_store_counters(S, &c0);
	EXPECT_ERR(wsync(ap_add_then_fail, (void *)"gone"), 422, "changed my mind");
	nm_store_counters(S, &c1);
	cr_expect_eq(neuron_exists("gone"), 0);
	nm_state_t s;
	EXPECT_ERR(get_state("gone", &s), 404, "Neuron gone not found");
	nm_state_clear(&s);
	nm_synapse_t y;
	EXPECT_ERR(get_synapse("doomed-syn", &y), 404, "Synapse doomed-syn not found");
	nm_synapse_clear(&y);
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	f.contains = "doomed";
	f.contains_len = 6;
	EXPECT_SCAN(scan_neurons, &f, "", "search index rolled back too");
	nm_stats_t st1 = tx_stats();
	cr_expect_eq(st1.neurons, st0.neurons);
	cr_expect_eq(st1.synapses, st0.synapses);
	cr_expect_eq(st1.updated_at, st0.updated_at, "no commit, no updated_at change");
	cr_expect_eq(c1.commits, c0.commits, "nothing to commit");
	nm_stats_t bs;
	OK(nm_brain_stats(B, &bs, &E));
	cr_expect_eq(bs.neurons, st0.neurons);
	/* the same id can be added afterwards */
	OK(add_neuron("gone", NM_NEURON_ENTITY, "back", T0));
}

/* ---- isolation ---- */

typedef struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool flag;
	int rc;
	int seen;
	const char *id;
} waiter_t;

static void waiter_init(waiter_t *w, const char *id)
{
	memset(w, 0, sizeof *w);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->id = id;
	w->seen = -1;
}

static void waiter_set(waiter_t *w)
{
	pthread_mutex_lock(&w->mu);
	w->flag = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Wait for the flag until a deadline; the verdict never depends on which. */
static void waiter_wait_deadline(waiter_t *w, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->flag && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
		;
	pthread_mutex_unlock(&w->mu);
}

static void *writer_thread(void *p)
{
	waiter_t *w = p;
	nm_neuron_t n = mkneuron(w->id, NM_NEURON_ENTITY, "late", T0);
	nm_err_t err = {0};
	w->rc = nm_brain_write_sync(B, ap_neuron_add, &n, &err);
	waiter_set(w);
	return NULL;
}

STORE_TEST(read_transaction_is_a_snapshot)
{
	add_neurons("early");
	nm_tx_t *r = rbegin();
	cr_expect_eq(nm_tx_neuron_exists(r, "early", &E), 1);
	cr_expect_eq(nm_tx_neuron_exists(r, "late", &E), 0);
	waiter_t w;
	waiter_init(&w, "late");
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, writer_thread, &w), 0);
	/* A backend may let the writer commit now (snapshot readers) or make it
	 * wait for this reader (locking); either way this reader must not see
	 * the new neuron. */
	waiter_wait_deadline(&w, 500);
	cr_expect_eq(nm_tx_neuron_exists(r, "late", &E), 0, "[%s] a read transaction saw a later commit", BACKEND);
	nm_neuron_filter_t f = NM_NEURON_FILTER_INIT;
	nm_buf_t b = {0};
	OK(nm_tx_neuron_scan(r, &f, cb_neuron, &b, &E));
	cr_expect_str_eq(b.data ? b.data : "", "early");
	nm_buf_free(&b);
	nm_stats_t st;
	OK(nm_tx_stats(r, &st, &E));
	cr_expect_eq(st.neurons, 1, "stats in the same snapshot");
	nm_brain_read_end(r);
	pthread_join(th, NULL);
	cr_expect_eq(w.rc, 0);
	cr_expect_eq(neuron_exists("late"), 1, "a new transaction sees the commit");
}

static void *reader_thread(void *p)
{
	waiter_t *w = p;
	nm_tx_t *tx = NULL;
	nm_err_t err = {0};
	w->rc = nm_brain_read_begin(B, &tx, &err);
	if (w->rc == 0) {
		w->seen = nm_tx_neuron_exists(tx, w->id, &err);
		nm_brain_read_end(tx);
	}
	waiter_set(w);
	return NULL;
}

static int ap_add_wait_reader_fail(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	waiter_t *w = arg;
	nm_neuron_t n = mkneuron(w->id, NM_NEURON_ENTITY, "uncommitted", T0);
	int rc = nm_tx_neuron_add(tx, &n, err);
	if (rc < 0)
		return rc;
	pthread_t th;
	if (pthread_create(&th, NULL, reader_thread, w) != 0)
		return nm_err_set(err, NM_ST_INTERNAL, "pthread_create");
	pthread_detach(th);
	waiter_wait_deadline(w, 500);
	return nm_err_set(err, NM_ST_INVALID, "rolled back on purpose");
}

STORE_TEST(readers_never_see_uncommitted_writes)
{
	waiter_t w;
	waiter_init(&w, "dirty");
	EXPECT_ERR(wsync(ap_add_wait_reader_fail, &w), 422, "rolled back on purpose");
	/* the reader ran during the write (snapshot backends) or after the
	 * rollback (locking backends): in both cases it saw nothing */
	pthread_mutex_lock(&w.mu);
	while (!w.flag)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	cr_expect_eq(w.rc, 0);
	cr_expect_eq(w.seen, 0, "[%s] a reader saw an uncommitted neuron", BACKEND);
	cr_expect_eq(neuron_exists("dirty"), 0);
}

static int ap_fail_404(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	return nm_err_set(err, NM_ST_NOT_FOUND, "Thing %s not found", (const char *)arg);
}

static int ap_noop(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	return 0;
}

STORE_TEST(write_sync_reports_apply_result)
{
	EXPECT_ERR(wsync(ap_fail_404, (void *)"x"), 404, "Thing x not found");
	cr_expect_str_eq(E.detail, "Thing x not found", "the apply's error is returned verbatim");
	memset(&E, 0, sizeof E);
	cr_expect_eq(nm_brain_write_sync(B, ap_noop, NULL, &E), 0);
	cr_expect_eq(E.status, 0);
	cr_expect_eq(nm_brain_write_sync(B, ap_noop, NULL, NULL), 0, "err may be NULL");
	cr_expect_eq(nm_brain_write_sync(B, ap_fail_404, (void *)"y", NULL), -404, "err may be NULL on failure too");
}

/* ================================================================== */
/* sqlite schema: migrations                                           */
/* ================================================================== */

static int user_version(const char *path)
{
	sqlite3 *db = NULL;
	int v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK, "open %s", path);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
}

static bool has_table(const char *path, const char *name)
{
	sqlite3 *db = NULL;
	bool found = false;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = ?1", -1, &s, NULL) == SQLITE_OK) {
			sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
			found = sqlite3_step(s) == SQLITE_ROW;
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return found;
}

static void close_all(void)
{
	if (B)
		nm_brain_release(B);
	B = NULL;
	nm_store_close(S);
	S = NULL;
}

static void reopen_all(void)
{
	nm_err_t err = {0};
	S = open_store(&err);
	cr_assert_not_null(S, "reopen: %d %s", err.status, err.detail);
	B = nm_store_brain_get(S, "b1");
	cr_assert_not_null(B, "b1 reloaded");
}

STORE_TEST(migrations_are_idempotent)
{
	SQLITE_ONLY();
	OK(add_neuron("n1", NM_NEURON_ENTITY, "Hello Đà Nẵng", T0));
	char path[512], cat[512];
	brain_file_path(B, path, sizeof path);
	snprintf(cat, sizeof cat, "%s/catalog.db", DATA);
	close_all();
	int bv = user_version(path), cv = user_version(cat);
	cr_expect_gt(bv, 0, "brain file carries a schema version");
	cr_expect_gt(cv, 0, "catalog carries a schema version");
	for (int i = 0; i < 3; i++) {
		reopen_all();
		cr_expect_eq(neuron_exists("n1"), 1, "data intact after reopen %d", i);
		close_all();
		cr_expect_eq(user_version(path), bv, "brain version unchanged by reopen %d", i);
		cr_expect_eq(user_version(cat), cv);
	}
	reopen_all();
	nm_neuron_filter_t f;
	set_contains(&f, "\xc4\x91\xc3\xa0 n\xe1\xba\xb5ng");
	EXPECT_SCAN(scan_neurons, &f, "n1", "search still works");
}

STORE_TEST(migration_from_brain_schema_v1)
{
	/* schema.c: version 1 had no neurons_fts (added, and back-filled from
	 * existing neurons, by version 2), none of version 3's engine look-ups
	 * none of version 4's lifecycle columns, and synapses indexed by
	 * source alone (version 5: by source and target). Build a real
	 * version-1 file by taking a current one back: undo what versions 2 to
	 * 5 did, set user_version 1. */
	SQLITE_ONLY();
	OK(add_neuron("vn", NM_NEURON_SPATIAL, "Chuyến đi \xc4\x90\xc3\x80 N\xe1\xba\xb4NG", T0));
	OK(add_neuron("en", NM_NEURON_ENTITY, "Alice met Bob", T0 + 1));
	OK(add_synapse("s", "vn", "en", NM_SYN_RELATED_TO, 0.5));
	char path[512];
	brain_file_path(B, path, sizeof path);
	close_all();
	int latest = user_version(path);
	cr_assert_geq(latest, 2, "brain schema should be at least version 2");
	cr_assert(has_table(path, "neurons_fts"));
	exec_sql(path, "DROP TABLE neurons_fts; DROP INDEX neurons_lhash; ALTER TABLE neurons DROP COLUMN lhash;"
	               " DROP TABLE time_spans; DROP INDEX fibers_time_start; DROP TABLE fiber_fts;"
	               " DELETE FROM meta WHERE key = 'max_time_span'; ALTER TABLE neuron_states DROP COLUMN decayed_at;"
	               " ALTER TABLE synapses DROP COLUMN decayed_at; DROP TABLE kv;"
	               " DROP INDEX synapses_pair; CREATE INDEX synapses_source ON synapses(source);"
	               " PRAGMA user_version = 1;");
	cr_assert_eq(user_version(path), 1);
	cr_assert_not(has_table(path, "neurons_fts"));

	reopen_all();
	nm_neuron_filter_t f;
	set_contains(&f, "\xc4\x91\xc3\xa0 n\xe1\xba\xb5ng"); /* long needle: uses the index */
	EXPECT_SCAN(scan_neurons, &f, "vn", "v1 rows back-filled into the index");
	set_contains(&f, "met bob");
	EXPECT_SCAN(scan_neurons, &f, "en", "every v1 row back-filled");
	set_contains(&f, "al");
	EXPECT_SCAN(scan_neurons, &f, "en", "short needle");
	nm_synapse_t s;
	OK(get_synapse("s", &s));
	nm_synapse_clear(&s);
	/* new rows after the upgrade are indexed too */
	OK(add_neuron("new", NM_NEURON_ENTITY, "Alice after migration", T0 + 2));
	set_contains(&f, "alice");
	EXPECT_SCAN(scan_neurons, &f, "en,new", "new and migrated rows");
	close_all();
	cr_expect_eq(user_version(path), latest, "file upgraded to the current version");
	cr_expect(has_table(path, "neurons_fts"));
	cr_expect(has_table(path, "synapses_pair") && !has_table(path, "synapses_source"), "v5 synapse index");
}

STORE_TEST(newer_brain_schema_refused)
{
	SQLITE_ONLY();
	add_neurons("n1");
	char path[512];
	brain_file_path(B, path, sizeof path);
	close_all();
	exec_sql(path, "PRAGMA user_version = 999;");
	reopen_all(); /* the catalog is fine; the brain opens lazily */
	nm_tx_t *tx = NULL;
	nm_err_t err = {0};
	int rc = nm_brain_read_begin(B, &tx, &err);
	cr_expect_lt(rc, 0, "a brain file newer than this build must not be opened");
	if (rc == 0)
		nm_brain_read_end(tx);
	else
		cr_expect_eq(err.status, 503, "%d %s", err.status, err.detail);
	close_all();
	cr_expect_eq(user_version(path), 999, "the newer file is left alone");
}

STORE_TEST(newer_catalog_schema_refused)
{
	SQLITE_ONLY();
	char cat[512];
	snprintf(cat, sizeof cat, "%s/catalog.db", DATA);
	close_all();
	exec_sql(cat, "PRAGMA user_version = 999;");
	nm_err_t err = {0};
	S = open_store(&err);
	cr_expect_null(S, "a catalog newer than this build must be refused");
	if (!S)
		cr_expect_neq(err.status, 0);
	cr_expect_eq(user_version(cat), 999);
}

/* ------------------------------------------------------------------ */
/* lifecycle cursors and kv (store.h "lifecycle", "kv")                 */
/* ------------------------------------------------------------------ */

typedef struct rows {
	char ids[16][16];
	int64_t seq[16];
	double value[16];
	int64_t clock[16];
	int n;
} rows_t;

static int take_row(void *arg, const nm_decay_row_t *r)
{
	rows_t *x = arg;
	snprintf(x->ids[x->n], sizeof x->ids[0], "%s", r->id);
	x->seq[x->n] = r->seq;
	x->value[x->n] = r->value;
	x->clock[x->n++] = r->decayed_at;
	return 0;
}

static rows_t decay_rows(nm_decay_kind_t kind, int64_t after, int64_t limit)
{
	rows_t x = {0};
	nm_tx_t *tx = rbegin();
	cr_assert_eq(nm_tx_decay_scan(tx, kind, after, limit, take_row, &x, &E), 0, "[%s] decay_scan: %s", BACKEND,
	             E.detail);
	nm_brain_read_end(tx);
	return x;
}

STORE_TEST(decay_cursor_visits_every_row_once)
{
	add_neurons("a,b,c,d,e");
	OK(add_synapse("s1", "a", "b", NM_SYN_RELATED_TO, 0.5));
	OK(add_synapse("s2", "b", "c", NM_SYN_RELATED_TO, 0.25));
	OK(wsync(ap_neuron_delete, "c")); /* a hole in the middle; s2 goes with c */
	rows_t all = decay_rows(NM_DECAY_NEURONS, 0, 0);
	cr_assert_eq(all.n, 4, "[%s] four neurons", BACKEND);
	cr_expect_str_eq(all.ids[0], "a", "[%s] the first object is visited (cursor 0)", BACKEND);
	cr_expect_str_eq(all.ids[3], "e");
	for (int i = 1; i < all.n; i++)
		cr_expect_gt(all.seq[i], all.seq[i - 1], "[%s] creation order", BACKEND);
	/* batches of 2 from the cursor see the same rows */
	rows_t p1 = decay_rows(NM_DECAY_NEURONS, 0, 2), p2 = decay_rows(NM_DECAY_NEURONS, p1.seq[1], 2),
	       p3 = decay_rows(NM_DECAY_NEURONS, p2.seq[p2.n - 1], 2);
	cr_expect_eq(p1.n + p2.n + p3.n, 4);
	cr_expect_str_eq(p2.ids[0], "d", "[%s] after b comes d (c deleted)", BACKEND);
	cr_expect_eq(p3.n, 0);
	rows_t syn = decay_rows(NM_DECAY_SYNAPSES, 0, 0);
	cr_assert_eq(syn.n, 1, "[%s] one synapse left", BACKEND);
	cr_expect_float_eq(syn.value[0], 0.5, 1e-12);
	cr_expect_eq(syn.clock[0], NM_TIME_NONE, "never decayed");
}

typedef struct decay_set_arg {
	nm_decay_kind_t kind;
	int64_t seq;
	double v;
	int64_t t;
} decay_set_arg_t;

static int ap_decay_set(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	decay_set_arg_t *a = arg;
	return nm_tx_decay_set(tx, a->kind, a->seq, "", a->v, a->t, err);
}

STORE_TEST(decay_set_keeps_the_clock_across_updates)
{
	add_neurons("a,b");
	OK(add_synapse("s1", "a", "b", NM_SYN_RELATED_TO, 0.5));
	rows_t syn = decay_rows(NM_DECAY_SYNAPSES, 0, 0);
	decay_set_arg_t a = {NM_DECAY_SYNAPSES, syn.seq[0], 0.25, T0 + 1000};
	OK(wsync(ap_decay_set, &a));
	nm_synapse_t s;
	OK(get_synapse("s1", &s));
	cr_expect_float_eq(s.weight, 0.25, 1e-12, "[%s] weight written", BACKEND);
	/* a client update keeps decayed_at (it is not part of the wire object) */
	free(s.metadata);
	s.metadata = strdup("{\"x\":1}");
	OK(wsync(ap_synapse_update, &s));
	nm_synapse_clear(&s);
	syn = decay_rows(NM_DECAY_SYNAPSES, 0, 0);
	cr_expect_eq(syn.clock[0], T0 + 1000, "[%s] decayed_at kept across PUT", BACKEND);
	/* NM_TIME_NONE leaves the clock alone */
	a.v = 0.125;
	a.t = NM_TIME_NONE;
	OK(wsync(ap_decay_set, &a));
	syn = decay_rows(NM_DECAY_SYNAPSES, 0, 0);
	cr_expect_float_eq(syn.value[0], 0.125, 1e-12);
	cr_expect_eq(syn.clock[0], T0 + 1000);
	rows_t n = decay_rows(NM_DECAY_NEURONS, 0, 0);
	decay_set_arg_t b = {NM_DECAY_NEURONS, n.seq[1], 0.75, T0 + 5};
	OK(wsync(ap_decay_set, &b));
	n = decay_rows(NM_DECAY_NEURONS, 0, 0);
	cr_expect_float_eq(n.value[1], 0.75, 1e-12, "[%s] activation of b", BACKEND);
	cr_expect_eq(n.clock[1], T0 + 5);
	cr_expect_eq(n.clock[0], NM_TIME_NONE, "a untouched");
}

static int take_orphan(void *arg, int64_t seq, const char *id)
{
	rows_t *x = arg;
	snprintf(x->ids[x->n], sizeof x->ids[0], "%s", id);
	x->seq[x->n++] = seq;
	return 0;
}

STORE_TEST(orphan_scan_finds_neurons_without_synapses_or_fibers)
{
	add_neurons("a,b,c,d");
	OK(add_synapse("s1", "a", "b", NM_SYN_RELATED_TO, 0.5));
	OK(add_fiber((fspec_t){.id = "f1", .neurons = "c", .salience = 0.5}));
	rows_t x = {0};
	nm_tx_t *tx = rbegin();
	OK(nm_tx_orphan_scan(tx, 0, 0, take_orphan, &x, &E));
	nm_brain_read_end(tx);
	cr_assert_eq(x.n, 1, "[%s] only d is an orphan", BACKEND);
	cr_expect_str_eq(x.ids[0], "d");
}

typedef struct kv_arg {
	const char *key, *val;
	size_t len;
} kv_arg_t;

static int ap_kv_put(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	kv_arg_t *a = arg;
	return nm_tx_kv_put(tx, a->key, a->val, a->len, err);
}

static int ap_kv_del(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	return nm_tx_kv_del(tx, arg, err) < 0 ? -1 : 0;
}

static int kv_collect(void *arg, const char *key, const char *val, size_t len)
{
	nm_buf_t *b = arg;
	nm_buf_printf(b, "%s=%zu;", key, len);
	return 0;
}

STORE_TEST(kv_ordered_prefix_scan_and_binary_values)
{
	const char bin[] = {'x', 0, 'y'};
	kv_arg_t puts[] = {{"arch/b", "2", 1}, {"arch/a", bin, 3}, {"arch/c", "", 0}, {"other/a", "9", 1},
	                   {"arch/a", bin, 2}};
	for (size_t i = 0; i < 5; i++)
		OK(wsync(ap_kv_put, &puts[i]));
	nm_tx_t *tx = rbegin();
	char *v = NULL;
	size_t len = 0;
	cr_expect_eq(nm_tx_kv_get(tx, "arch/a", &v, &len, &E), 1, "[%s] present", BACKEND);
	cr_expect_eq(len, 2, "replaced by the last put");
	cr_expect(v && v[0] == 'x' && v[1] == 0 && v[2] == 0, "bytes kept, NUL after");
	free(v);
	cr_expect_eq(nm_tx_kv_get(tx, "arch/zz", &v, &len, &E), 0, "absent");
	nm_buf_t b = {0};
	OK(nm_tx_kv_scan(tx, "arch/", NULL, kv_collect, &b, &E));
	cr_expect_str_eq(b.data, "arch/a=2;arch/b=1;arch/c=0;", "[%s] key order, prefix only", BACKEND);
	nm_buf_reset(&b);
	OK(nm_tx_kv_scan(tx, "arch/", "arch/a", kv_collect, &b, &E));
	cr_expect_str_eq(b.data, "arch/b=1;arch/c=0;", "[%s] after a key", BACKEND);
	nm_buf_free(&b);
	nm_brain_read_end(tx);
	OK(wsync(ap_kv_del, "arch/b"));
	tx = rbegin();
	cr_expect_eq(nm_tx_kv_get(tx, "arch/b", &v, &len, &E), 0, "[%s] deleted", BACKEND);
	nm_brain_read_end(tx);
}
