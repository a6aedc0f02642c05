/*
 * store.c — the store and its brain registry (store.h).
 *
 * Owns: the backend instance, the registry of brain handles (a hash map by
 * id plus a list in creation order), the LRU of brains whose storage is
 * open, and the metrics counters.
 *
 * Invariants:
 *  1. Every live brain is in `brains` and in the creation list, and the
 *     registry holds one reference to it. A brain being created is in the
 *     map (so a second create sees 409) but not `ready`, and lookups skip it.
 *  2. A brain in the LRU list has open storage or is about to; only brains
 *     with no active users are closed, and only by evict_some().
 *  3. A deleted brain is `unlinked` (gone from map, list and LRU) before it
 *     is marked dead; its storage is destroyed by the last release.
 *
 * Lock order: catalog_mu → st->mu → b->mu. Never take st->mu while holding
 * a brain's mu. The backend's catalog_* calls run under catalog_mu.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "gindex.h"
#include "isotime.h"
#include "mem.h"
#include "uuid.h"

struct nm_store {
	const nm_backend_t *be;
	void *bs;                        /* backend state */
	nm_store_opts_t opts;
	pthread_mutex_t catalog_mu;      /* serialises catalog writes and record updates */
	pthread_mutex_t mu;              /* guards brains, first/last, lru_* */
	nm_hmap_t brains;                /* id → nm_brain_t* */
	nm_brain_t *first, *last;        /* creation order */
	nm_brain_t *lru_head, *lru_tail; /* most recently used first */
	size_t count;                    /* ready brains */
	atomic_uint_fast64_t commits, rows_written, open_brains;
	atomic_uint_fast64_t catchups, catchup_commits, catchup_rebuilds; /* nm_store_counters_t */
	atomic_llong graph_bytes;        /* all brains' graph indexes (gindex.c) */
};

static const nm_backend_t *find_backend(const char *name)
{
	if (!name || strcmp(name, "sqlite") == 0)
		return &nm__backend_sqlite;
	if (strcmp(name, "memory") == 0)
		return &nm__backend_memory;
	if (strcmp(name, "postgres") == 0)
		return &nm__backend_pg;
	return NULL;
}

static nm_brain_t *brain_new(nm_store_t *st, nm_brain_rec_t *rec_taken)
{
	nm_brain_t *b = nm_xcalloc(1, sizeof *b);
	b->st = st;
	b->rec = *rec_taken;
	b->id = nm_xstrdup(rec_taken->id);
	atomic_init(&b->refs, 1);
	pthread_mutex_init(&b->mu, NULL);
	pthread_mutex_init(&b->wq_mu, NULL);
	pthread_mutex_init(&b->sync_mu, NULL);
	pthread_cond_init(&b->wq_cv, NULL);
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	/* a commit's index update must not wait behind a stream of queries */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&b->gx_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	b->stats.updated_at = NM_TIME_NONE;
	b->qc = nm_qcache_new(st->opts.query_cache_bytes);
	return b;
}

static void list_append(nm_store_t *st, nm_brain_t *b)
{
	b->prev = st->last;
	b->next = NULL;
	if (st->last)
		st->last->next = b;
	else
		st->first = b;
	st->last = b;
	st->count++;
}

/* Take b out of the registry (catalog_mu held): lookups no longer find
 * it and it is marked dead; its storage goes with the last reference
 * (unless its file name was cleared). The caller releases the registry's
 * reference. */
static void registry_remove(nm_store_t *st, nm_brain_t *b)
{
	pthread_mutex_lock(&st->mu);
	nm_hmap_del(&st->brains, b->id, strlen(b->id));
	if (b->prev)
		b->prev->next = b->next;
	else
		st->first = b->next;
	if (b->next)
		b->next->prev = b->prev;
	else
		st->last = b->prev;
	st->count--;
	nm__lru_unlink(st, b);
	b->unlinked = true;
	pthread_mutex_unlock(&st->mu);
	pthread_mutex_lock(&b->mu);
	b->dead = true;
	pthread_mutex_unlock(&b->mu);
}

static int load_one(void *arg, nm_brain_rec_t *rec)
{
	nm_store_t *st = arg;
	nm_brain_t *b = brain_new(st, rec);
	b->ready = true;
	nm_hmap_put(&st->brains, b->id, strlen(b->id), b);
	list_append(st, b);
	return 0;
}

nm_store_t *nm_store_open(const nm_store_opts_t *opts, nm_err_t *err)
{
	const nm_backend_t *be = find_backend(opts->backend);
	if (!be) {
		nm_err_set(err, NM_ST_INVALID, "storage: unknown backend '%s'; allowed: sqlite, memory, postgres", opts->backend);
		return NULL;
	}
	nm_store_t *st = nm_xcalloc(1, sizeof *st);
	st->be = be;
	st->opts = *opts;
	st->opts.backend = be->name;
	st->opts.data_dir = nm_xstrdup(opts->data_dir ? opts->data_dir : "./data");
	if (st->opts.readers_per_brain <= 0)
		st->opts.readers_per_brain = 4;
	if (st->opts.max_open_brains <= 0)
		st->opts.max_open_brains = 256;
	pthread_mutex_init(&st->catalog_mu, NULL);
	pthread_mutex_init(&st->mu, NULL);
	if (be->open(&st->opts, &st->bs, err) < 0)
		goto fail;
	if (be->catalog_load(st->bs, load_one, st, err) < 0) {
		be->close(st->bs);
		goto fail;
	}
	return st;
fail:
	nm_hmap_free(&st->brains);
	free((char *)st->opts.data_dir);
	free(st);
	return NULL;
}

void nm_store_close(nm_store_t *st)
{
	if (!st)
		return;
	nm_brain_t *b = st->first;
	while (b) {
		nm_brain_t *next = b->next;
		b->unlinked = true;
		nm_brain_release(b); /* the registry's reference: closes storage */
		b = next;
	}
	nm_hmap_free(&st->brains);
	st->be->close(st->bs);
	pthread_mutex_destroy(&st->mu);
	pthread_mutex_destroy(&st->catalog_mu);
	free((char *)st->opts.data_dir);
	free(st);
}

const char *nm_store_backend(const nm_store_t *st)
{
	return st->be->name;
}

void nm_store_counters(nm_store_t *st, nm_store_counters_t *out)
{
	out->commits = atomic_load_explicit(&st->commits, memory_order_relaxed);
	out->rows_written = atomic_load_explicit(&st->rows_written, memory_order_relaxed);
	out->open_brains = atomic_load_explicit(&st->open_brains, memory_order_relaxed);
	out->catchups = atomic_load_explicit(&st->catchups, memory_order_relaxed);
	out->catchup_commits = atomic_load_explicit(&st->catchup_commits, memory_order_relaxed);
	out->catchup_rebuilds = atomic_load_explicit(&st->catchup_rebuilds, memory_order_relaxed);
}

void nm__store_count_catchup(nm_store_t *st, uint64_t commits, bool rebuilt)
{
	atomic_fetch_add_explicit(&st->catchups, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&st->catchup_commits, commits, memory_order_relaxed);
	if (rebuilt)
		atomic_fetch_add_explicit(&st->catchup_rebuilds, 1, memory_order_relaxed);
}

void nm__store_count_commit(nm_store_t *st, int64_t rows)
{
	atomic_fetch_add_explicit(&st->commits, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&st->rows_written, (uint64_t)rows, memory_order_relaxed);
}

const nm_backend_t *nm__store_backend(nm_store_t *st, void **bs)
{
	*bs = st->bs;
	return st->be;
}

static nm_brain_t *adopt(nm_store_t *st, nm_brain_rec_t *rec);

nm_brain_t *nm_store_brain_get(nm_store_t *st, const char *id)
{
	pthread_mutex_lock(&st->mu);
	nm_brain_t *b = nm_hmap_get(&st->brains, id, strlen(id));
	if (b && b->ready)
		atomic_fetch_add(&b->refs, 1);
	else
		b = NULL;
	pthread_mutex_unlock(&st->mu);
	return b;
}

nm_brain_t *nm_store_brain_lookup(nm_store_t *st, const char *id, nm_err_t *err)
{
	nm_brain_t *b = nm_store_brain_get(st, id);
	if (b || !st->be->cluster)
		return b;
	/* under catalog_mu: a delete here, or a catalog sync, cannot slip in
	 * between reading the record and registering it */
	pthread_mutex_lock(&st->catalog_mu);
	nm_brain_rec_t rec;
	if (!(b = nm_store_brain_get(st, id)) && st->be->catalog_get(st->bs, id, &rec, err) == 1)
		b = adopt(st, &rec);
	pthread_mutex_unlock(&st->catalog_mu);
	return b;
}

size_t nm_store_brain_count(nm_store_t *st)
{
	pthread_mutex_lock(&st->mu);
	size_t n = st->count;
	pthread_mutex_unlock(&st->mu);
	return n;
}

int nm_store_brain_each(nm_store_t *st, int (*cb)(void *arg, nm_brain_t *b), void *arg)
{
	/* Snapshot the list under the lock, then call back without it. */
	pthread_mutex_lock(&st->mu);
	size_t n = 0;
	nm_brain_t **v = nm_xmalloc(sizeof *v * (st->count + 1));
	for (nm_brain_t *b = st->first; b; b = b->next) {
		atomic_fetch_add(&b->refs, 1);
		v[n++] = b;
	}
	pthread_mutex_unlock(&st->mu);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = cb(arg, v[i]);
		nm_brain_release(v[i]);
	}
	free(v);
	return rc;
}

int nm_store_brain_create(nm_store_t *st, const nm_brain_rec_t *rec, nm_brain_t **out, nm_err_t *err)
{
	nm_brain_rec_t r;
	nm_brain_rec_copy(&r, rec);
	char u[NM_UUID_BUFSZ];
	free(r.file);
	r.file = nm_xstrdup(nm_uuid4(u));
	r.created_at = r.updated_at = nm_time_now();
	if (!r.metadata)
		r.metadata = nm_xstrdup("{}");

	pthread_mutex_lock(&st->mu);
	if (nm_hmap_get(&st->brains, r.id, strlen(r.id))) {
		pthread_mutex_unlock(&st->mu);
		nm_brain_rec_clear(&r);
		return nm_err_set(err, NM_ST_CONFLICT, "Brain %s already exists", rec->id);
	}
	nm_brain_t *b = brain_new(st, &r);
	nm_hmap_put(&st->brains, b->id, strlen(b->id), b);
	pthread_mutex_unlock(&st->mu);

	pthread_mutex_lock(&st->catalog_mu);
	int rc = st->be->brain_init(st->bs, &b->rec, err);
	if (rc == 0) {
		rc = st->be->catalog_put(st->bs, &b->rec, NULL, err);
		if (rc < 0)
			st->be->brain_destroy(st->bs, &b->rec);
	}
	/* still under catalog_mu: a catalog sync (cluster) either ran before
	 * the record was stored or sees the brain ready */
	pthread_mutex_lock(&st->mu);
	if (rc < 0) {
		nm_hmap_del(&st->brains, b->id, strlen(b->id));
		b->unlinked = true;
	} else {
		b->ready = true;
		list_append(st, b);
		if (out)
			atomic_fetch_add(&b->refs, 1);
	}
	pthread_mutex_unlock(&st->mu);
	pthread_mutex_unlock(&st->catalog_mu);
	if (rc < 0) {
		nm_brain_release(b); /* not dead: its (already destroyed) storage is left alone */
		return rc;
	}
	if (out)
		*out = b;
	return 0;
}

int nm_brain_update(nm_brain_t *b, int (*edit)(nm_brain_rec_t *rec, void *arg, nm_err_t *err), void *arg,
                    nm_err_t *err)
{
	nm_store_t *st = b->st;
	pthread_mutex_lock(&st->catalog_mu);
	nm_brain_rec_t r;
	pthread_mutex_lock(&b->mu);
	bool dead = b->dead;
	nm_brain_rec_copy(&r, &b->rec);
	pthread_mutex_unlock(&b->mu);
	/* cluster: edit the stored record, which another node may have changed
	 * since this one heard of it (the update then matches only that
	 * storage name: a brain re-created elsewhere answers 404) */
	nm_brain_rec_t stored;
	if (!dead && st->be->cluster && st->be->catalog_get(st->bs, b->id, &stored, NULL) == 1) {
		if (!strcmp(stored.file, r.file)) {
			nm_brain_rec_clear(&r);
			r = stored;
		} else {
			nm_brain_rec_clear(&stored);
		}
	}
	int64_t prev = r.updated_at;
	int rc = dead ? nm__not_found(err, "Brain", b->id) : edit(&r, arg, err);
	if (rc == 0) {
		r.updated_at = nm_time_now();
		if (r.updated_at <= prev) /* the stored stamp came from another node's clock */
			r.updated_at = prev + 1;
		rc = st->be->catalog_put(st->bs, &r, &prev, err);
	}
	if (rc == 0) {
		pthread_mutex_lock(&b->mu);
		nm_brain_rec_t old = b->rec;
		b->rec = r;
		pthread_mutex_unlock(&b->mu);
		nm_brain_rec_clear(&old);
	} else {
		nm_brain_rec_clear(&r);
	}
	pthread_mutex_unlock(&st->catalog_mu);
	return rc;
}

int nm_brain_delete(nm_brain_t *b, nm_err_t *err)
{
	nm_store_t *st = b->st;
	pthread_mutex_lock(&st->catalog_mu);
	pthread_mutex_lock(&st->mu);
	bool gone = b->unlinked;
	pthread_mutex_unlock(&st->mu);
	if (gone) {
		pthread_mutex_unlock(&st->catalog_mu);
		return nm__not_found(err, "Brain", b->id);
	}
	nm_brain_rec_t rec;
	nm_brain_rec_get(b, &rec);
	int rc = st->be->catalog_delete(st->bs, &rec, err);
	nm_brain_rec_clear(&rec);
	if (rc == 0)
		registry_remove(st, b);
	pthread_mutex_unlock(&st->catalog_mu);
	if (rc == 0)
		nm_brain_release(b); /* the registry's reference */
	return rc;
}

/* ---- cluster: the registry follows the shared catalog ---- */

bool nm_store_clustered(const nm_store_t *st)
{
	return st->be->cluster;
}

/* Register a record another node stored (taken); the brain, referenced,
 * or the one registered meanwhile. */
static nm_brain_t *adopt(nm_store_t *st, nm_brain_rec_t *rec)
{
	pthread_mutex_lock(&st->mu);
	nm_brain_t *b = nm_hmap_get(&st->brains, rec->id, strlen(rec->id));
	if (b) {
		nm_brain_rec_clear(rec);
		b = b->ready ? b : NULL;
	} else {
		b = brain_new(st, rec);
		b->ready = true;
		nm_hmap_put(&st->brains, b->id, strlen(b->id), b);
		list_append(st, b);
	}
	if (b)
		atomic_fetch_add(&b->refs, 1);
	pthread_mutex_unlock(&st->mu);
	return b;
}

/* A brain deleted elsewhere leaves the registry (catalog_mu held); the
 * deleting node owns the storage and removes it, so this handle forgets
 * its storage name. Releases the registry's reference. */
static void forget(nm_store_t *st, nm_brain_t *b)
{
	pthread_mutex_lock(&b->mu);
	free(b->rec.file);
	b->rec.file = nm_xstrdup("");
	pthread_mutex_unlock(&b->mu);
	registry_remove(st, b);
	nm_brain_release(b);
}

/* The first registered brain whose id is not a key of live, or NULL. */
static nm_brain_t *first_not_in(nm_store_t *st, const nm_hmap_t *live)
{
	pthread_mutex_lock(&st->mu);
	nm_brain_t *b = st->first;
	while (b && nm_hmap_get(live, b->id, strlen(b->id)))
		b = b->next;
	pthread_mutex_unlock(&st->mu);
	return b;
}

typedef struct recs {
	nm_brain_rec_t *v;
	size_t n;
} recs_t;

static int collect(void *arg, nm_brain_rec_t *rec)
{
	recs_t *r = arg;
	r->v = nm_xrealloc(r->v, sizeof *r->v * (r->n + 1));
	r->v[r->n++] = *rec;
	return 0;
}

int nm_store_catalog_sync(nm_store_t *st, nm_err_t *err)
{
	if (!st->be->cluster)
		return 0;
	recs_t r = {0};
	pthread_mutex_lock(&st->catalog_mu);
	int rc = st->be->catalog_load(st->bs, collect, &r, err);
	nm_hmap_t live = {0};
	nm_strv_t live_ids = {0};            /* owns the map's keys: the records go to the brains */
	for (size_t i = 0; i < r.n; i++)
		nm_strv_add(&live_ids, r.v[i].id);
	for (size_t i = 0; rc == 0 && i < live_ids.n; i++)
		nm_hmap_put(&live, live_ids.v[i], strlen(live_ids.v[i]), (void *)1);
	for (size_t i = 0; rc == 0 && i < r.n; i++) {
		nm_brain_t *b = nm_store_brain_get(st, r.v[i].id);
		if (!b) {
			nm_brain_t *nb = adopt(st, &r.v[i]);
			nm_brain_release(nb);
			continue;
		}
		pthread_mutex_lock(&b->mu);
		bool recreated = strcmp(b->rec.file ? b->rec.file : "", r.v[i].file ? r.v[i].file : "") != 0;
		pthread_mutex_unlock(&b->mu);
		if (recreated) { /* deleted and created again elsewhere: a new brain under the old name */
			forget(st, b);
			nm_brain_release(b);
			nm_brain_release(adopt(st, &r.v[i]));
			continue;
		}
		pthread_mutex_lock(&b->mu);
		if (b->rec.updated_at != r.v[i].updated_at) { /* changed elsewhere: the stored record wins */
			nm_brain_rec_t old = b->rec;
			b->rec = r.v[i];
			r.v[i] = old;
		}
		pthread_mutex_unlock(&b->mu);
		nm_brain_rec_clear(&r.v[i]);
		nm_brain_release(b);
	}
	/* deleted elsewhere: out of the registry */
	for (nm_brain_t *gone; rc == 0 && (gone = first_not_in(st, &live));)
		forget(st, gone);
	pthread_mutex_unlock(&st->catalog_mu);
	nm_hmap_free(&live);
	nm_strv_clear(&live_ids);
	free(r.v);
	return rc;
}

/* ---- LRU of open brains (st->mu held by callers of the nm__lru_* pair) ---- */

void nm__lru_unlink(nm_store_t *st, nm_brain_t *b)
{
	if (!b->in_lru)
		return;
	if (b->lru_prev)
		b->lru_prev->lru_next = b->lru_next;
	else
		st->lru_head = b->lru_next;
	if (b->lru_next)
		b->lru_next->lru_prev = b->lru_prev;
	else
		st->lru_tail = b->lru_prev;
	b->lru_prev = b->lru_next = NULL;
	b->in_lru = false;
}

/* Mark b most recently used, then close the least recently used idle
 * brains beyond the bound. Called without any brain lock held. */
void nm__lru_touch(nm_store_t *st, nm_brain_t *b)
{
	if (!st->be->evictable)
		return;
	nm_brain_t *victims[8];
	int nv = 0;
	pthread_mutex_lock(&st->mu);
	if (!b->unlinked) {
		nm__lru_unlink(st, b);
		b->lru_next = st->lru_head;
		if (st->lru_head)
			st->lru_head->lru_prev = b;
		st->lru_head = b;
		if (!st->lru_tail)
			st->lru_tail = b;
		b->in_lru = true;
	}
	uint64_t open = atomic_load(&st->open_brains);
	for (nm_brain_t *v = st->lru_tail; v && open > (uint64_t)st->opts.max_open_brains && nv < 8;
	     v = v->lru_prev) {
		if (v == b)
			continue;
		victims[nv++] = v;
		atomic_fetch_add(&v->refs, 1);
		open--;
	}
	pthread_mutex_unlock(&st->mu);
	for (int i = 0; i < nv; i++) {
		nm__brain_close_idle(victims[i]);
		nm_brain_release(victims[i]);
	}
}

void nm__lru_closed(nm_store_t *st, nm_brain_t *b)
{
	pthread_mutex_lock(&st->mu);
	nm__lru_unlink(st, b);
	pthread_mutex_unlock(&st->mu);
}

void nm__store_open_delta(nm_store_t *st, int delta)
{
	if (delta > 0)
		atomic_fetch_add(&st->open_brains, 1);
	else
		atomic_fetch_sub(&st->open_brains, 1);
}

int nm__not_found(nm_err_t *err, const char *kind, const char *id)
{
	return nm_err_set(err, NM_ST_NOT_FOUND, "%s %.*s not found", kind, NM_ERR_STR(id, 255));
}

int nm__exists(nm_err_t *err, const char *kind, const char *id)
{
	return nm_err_set(err, NM_ST_CONFLICT, "%s %.*s already exists", kind, NM_ERR_STR(id, 255));
}

/* A brain record from a backup's JSON (the wire shape), for id. */
static void record_from(const char *json, const char *id, nm_brain_rec_t *rec)
{
	json_t *v = json ? json_loads(json, 0, NULL) : NULL;
	nm_decode_opts_t o = {.mode = NM_DECODE_CREATE, .prefix = ""};
	unsigned present;
	nm_err_t e = {0};
	memset(rec, 0, sizeof *rec);
	if (!json_is_object(v) || nm_brain_decode(v, &o, &nm_config_default, rec, &present, &e) < 0) {
		nm_brain_rec_clear(rec);
		memset(rec, 0, sizeof *rec);
		rec->config = nm_config_default;
	}
	json_decref(v);
	free(rec->id);
	rec->id = nm_xstrdup(id);
	if (!rec->name)
		rec->name = nm_xstrdup(id);
}

int nm_store_restore(nm_store_t *st, const char *file, const char *id, nm_err_t *err)
{
	if (!st->be->backup_check)
		return nm_err_set(err, NM_ST_INVALID, "restore: the %s backend has no files to restore into", st->be->name);
	if (!nm_id_valid(id, strlen(id)))
		return nm_err_set(err, NM_ST_INVALID, "restore: invalid brain id");
	char *json = NULL;
	int rc = st->be->backup_check(file, &json, err);
	if (rc < 0)
		return rc;
	nm_brain_t *b = nm_store_brain_get(st, id);
	if (!b) {
		nm_brain_rec_t rec;
		record_from(json, id, &rec);
		rc = nm_store_brain_create(st, &rec, &b, err);
		nm_brain_rec_clear(&rec);
	}
	free(json);
	if (rc < 0)
		return rc;
	nm__brain_close_idle(b);
	pthread_mutex_lock(&b->mu);
	bool busy = b->bd != NULL;
	if (!busy)
		rc = st->be->brain_restore(st->bs, &b->rec, file, err);
	b->stats_valid = false;
	b->stats_gen++;
	atomic_fetch_add(&b->content_gen, 1);
	pthread_mutex_unlock(&b->mu);
	nm_brain_release(b);
	if (busy)
		return nm_err_set(err, NM_ST_CONFLICT, "restore: brain %s is in use", id);
	return rc;
}

/* ---- the graph index budget ---- */

int64_t nm__store_graph_budget(nm_store_t *st)
{
	return st->opts.graph_budget;
}

void nm__store_graph_bytes(nm_store_t *st, int64_t delta)
{
	atomic_fetch_add(&st->graph_bytes, delta);
}

/* Drop least recently used indexes (never keep's) until the total fits. */
void nm__store_graph_make_room(nm_store_t *st, nm_brain_t *keep)
{
	while (atomic_load(&st->graph_bytes) > st->opts.graph_budget) {
		nm_brain_t *victim = NULL;
		int64_t oldest = INT64_MAX;
		pthread_mutex_lock(&st->mu);
		for (nm_brain_t *b = st->first; b; b = b->next)
			if (b != keep && b->gx && atomic_load(&b->gx_used) < oldest) {
				oldest = atomic_load(&b->gx_used);
				victim = b;
			}
		if (victim)
			nm_brain_acquire(victim);
		pthread_mutex_unlock(&st->mu);
		if (!victim)
			return;
		nm__gx_drop(victim);
		nm_brain_release(victim);
	}
}
