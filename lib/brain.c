/*
 * brain.c — a brain handle's life: references, lazily opened storage,
 * read transactions, and the group-commit writer (store.h).
 *
 * Group commit: nm_brain_write appends to the brain's queue; a thread that
 * finds no writer active becomes the writer and drains the queue batch by
 * batch, each batch in one backend transaction with a savepoint per write.
 * Nobody waits for the writer: submitters return at once and learn the
 * outcome in done(). So a worker pool never has more than one thread per
 * brain inside a write transaction, and concurrent writes to one brain cost
 * one commit (one fsync) per batch.
 *
 * A long write (an import streaming its body) takes the writer role for
 * itself with nm_brain_write_own, so it runs in its own thread instead of
 * holding up whichever request thread happened to be the writer; the
 * current writer hands over after its batch and the owner drains the
 * queue after its write.
 *
 * After a commit, and before any write of the batch is acknowledged, the
 * brain's graph index (gindex.h) replays what the batch changed.
 *
 * Invariants:
 *  1. users > 0 ⇒ bd != NULL; bd is only closed with users == 0 under mu.
 *  2. writer_active is true from the moment a thread takes the writer role
 *     until it has seen the queue empty under wq_mu; hence at most one
 *     write transaction per brain.
 *  3. The stats cache is only replaced by a reader when stats_gen has not
 *     moved since its read began, so it never goes back in time.
 *
 * Lock order: st->mu → b->mu; wq_mu is never held with another lock.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "gindex.h"
#include "isotime.h"
#include "mem.h"

const char *nm_brain_id(const nm_brain_t *b)
{
	return b->id;
}

void nm_brain_rec_get(nm_brain_t *b, nm_brain_rec_t *out)
{
	pthread_mutex_lock(&b->mu);
	nm_brain_rec_copy(out, &b->rec);
	pthread_mutex_unlock(&b->mu);
}

bool nm_brain_can(nm_brain_t *b, const char *principal, bool admin, bool write)
{
	pthread_mutex_lock(&b->mu);
	bool ok = write ? nm_brain_rec_can_write(&b->rec, principal, admin)
	                : nm_brain_rec_can_read(&b->rec, principal, admin);
	pthread_mutex_unlock(&b->mu);
	return ok;
}

static void brain_free(nm_brain_t *b)
{
	void *bs;
	const nm_backend_t *be = nm__store_backend(b->st, &bs);
	nm__lru_closed(b->st, b);
	if (b->bd) {
		be->brain_close(b->bd);
		nm__store_open_delta(b->st, -1);
	}
	if (b->dead && b->rec.file && b->rec.file[0])
		be->brain_destroy(bs, &b->rec);
	nm__gx_drop(b);
	nm_qcache_free(b->qc);
	pthread_rwlock_destroy(&b->gx_lock);
	pthread_mutex_destroy(&b->mu);
	pthread_mutex_destroy(&b->wq_mu);
	pthread_mutex_destroy(&b->sync_mu);
	pthread_cond_destroy(&b->wq_cv);
	nm_brain_rec_clear(&b->rec);
	free(b->id);
	free(b);
}

uint64_t nm_brain_content_gen(nm_brain_t *b)
{
	return atomic_load(&b->content_gen);
}

nm_qcache_t *nm_brain_qcache(nm_brain_t *b)
{
	return b->qc;
}

nm_brain_t *nm_brain_acquire(nm_brain_t *b)
{
	atomic_fetch_add(&b->refs, 1);
	return b;
}

void nm_brain_release(nm_brain_t *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		brain_free(b);
}

/* Start using b's storage, opening it if needed. */
static int brain_use(nm_brain_t *b, void **bd, nm_err_t *err)
{
	void *bs;
	const nm_backend_t *be = nm__store_backend(b->st, &bs);
	pthread_mutex_lock(&b->mu);
	if (b->dead) {
		pthread_mutex_unlock(&b->mu);
		return nm__not_found(err, "Brain", b->id);
	}
	bool opened = false;
	if (!b->bd) {
		int rc = be->brain_open(bs, &b->rec, &b->bd, err);
		if (rc < 0) {
			pthread_mutex_unlock(&b->mu);
			return rc;
		}
		opened = true;
	}
	b->users++;
	*bd = b->bd;
	pthread_mutex_unlock(&b->mu);
	if (opened)
		nm__store_open_delta(b->st, 1);
	nm__lru_touch(b->st, b);
	return 0;
}

static void brain_unuse(nm_brain_t *b)
{
	pthread_mutex_lock(&b->mu);
	b->users--;
	pthread_mutex_unlock(&b->mu);
}

void nm__brain_close_idle(nm_brain_t *b)
{
	void *bs;
	const nm_backend_t *be = nm__store_backend(b->st, &bs);
	bool closed = false;
	pthread_mutex_lock(&b->mu);
	if (b->bd && b->users == 0) {
		be->brain_close(b->bd);
		b->bd = NULL;
		closed = true;
	}
	pthread_mutex_unlock(&b->mu);
	if (closed) {
		nm__store_open_delta(b->st, -1);
		nm__lru_closed(b->st, b);
	}
}

int nm_brain_read_begin(nm_brain_t *b, nm_tx_t **tx, nm_err_t *err)
{
	void *bs, *bd;
	const nm_backend_t *be = nm__store_backend(b->st, &bs);
	int rc = brain_use(b, &bd, err);
	if (rc < 0)
		return rc;
	rc = be->cluster ? be->read_begin_at(bd, atomic_load(&b->known_gen), tx, err) : be->read_begin(bd, tx, err);
	if (rc < 0) {
		brain_unuse(b);
		return rc;
	}
	(*tx)->be = be;
	(*tx)->brain = b;
	(*tx)->write = false;
	return 0;
}

void nm_brain_read_end(nm_tx_t *tx)
{
	if (!tx)
		return;
	nm_brain_t *b = tx->brain;
	tx->be->read_end(tx);
	brain_unuse(b);
}

nm_brain_t *nm_tx_brain(nm_tx_t *tx)
{
	return tx->brain;
}

int64_t nm_brain_next_test_id(nm_brain_t *b)
{
	return atomic_fetch_add(&b->test_ids, 1) + 1;
}

bool nm_brain_stats_cached(nm_brain_t *b, nm_stats_t *out)
{
	pthread_mutex_lock(&b->mu);
	bool ok = b->stats_valid;
	if (ok)
		*out = b->stats;
	pthread_mutex_unlock(&b->mu);
	return ok;
}

int nm_brain_stats(nm_brain_t *b, nm_stats_t *out, nm_err_t *err)
{
	int rc = nm_brain_sync(b, err); /* cluster: counts another node changed */
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&b->mu);
	if (b->stats_valid) {
		*out = b->stats;
		pthread_mutex_unlock(&b->mu);
		return 0;
	}
	uint64_t gen = b->stats_gen;
	pthread_mutex_unlock(&b->mu);
	nm_tx_t *tx;
	rc = nm_brain_read_begin(b, &tx, err);
	if (rc < 0)
		return rc;
	rc = tx->be->stats(tx, out, err);
	nm_brain_read_end(tx);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&b->mu);
	if (b->stats_gen == gen) {
		b->stats = *out;
		b->stats_valid = true;
	}
	pthread_mutex_unlock(&b->mu);
	return 0;
}

/* Raise known_gen to at least g. */
static void know(nm_brain_t *b, uint64_t g)
{
	uint64_t k = atomic_load(&b->known_gen);
	while (k < g && !atomic_compare_exchange_weak(&b->known_gen, &k, g))
		;
}

/* Replay the other nodes' commits (seen_gen, upto] into the index and
 * drop what they made stale (sync_mu held). A range no longer kept in the
 * change log drops the index, rebuilt by the next query. */
static int catch_up(nm_brain_t *b, const nm_backend_t *be, uint64_t upto, nm_err_t *err)
{
	if (upto <= b->seen_gen)
		return 0;
	know(b, upto);
	/* no index to bring up to date: nothing to read (one built later
	 * reads a snapshot that has generation upto) */
	pthread_rwlock_rdlock(&b->gx_lock);
	bool indexed = b->gx != NULL;
	pthread_rwlock_unlock(&b->gx_lock);
	nm_gx_log_t log = {0};
	nm_tx_t *tx;
	int rc = indexed ? nm_brain_read_begin(b, &tx, err) : 0;
	if (rc == 0 && indexed) {
		rc = be->changes(tx, b->seen_gen, upto, &log, err);
		nm_brain_read_end(tx);
	}
	if (rc < 0) {
		nm__gx_log_free(&log);
		return rc;
	}
	if (rc > 0) {
		nm__gx_log_free(&log);
		log.rebuild = true;
	}
	nm__gx_commit(b, &log);
	nm__gx_log_free(&log);
	pthread_mutex_lock(&b->mu);
	b->stats_valid = false;
	b->stats_gen++;
	pthread_mutex_unlock(&b->mu);
	atomic_fetch_add(&b->content_gen, 1); /* after the index has it (qcache.h) */
	nm__store_count_catchup(b->st, upto - b->seen_gen, rc > 0);
	b->seen_gen = upto;
	return 0;
}

int nm_brain_sync(nm_brain_t *b, nm_err_t *err)
{
	void *bs, *bd;
	const nm_backend_t *be = nm__store_backend(b->st, &bs);
	if (!be->cluster)
		return 0;
	int rc = brain_use(b, &bd, err);
	if (rc < 0)
		return rc;
	uint64_t g = 0;
	rc = be->gen(bd, &g, err);
	brain_unuse(b);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&b->sync_mu);
	rc = catch_up(b, be, g, err);
	pthread_mutex_unlock(&b->sync_mu);
	return rc;
}

/* After this node's commit of generation base + 1 (cluster backends):
 * first what other nodes committed before it, then its own changes. */
static void cluster_committed(nm_brain_t *b, const nm_backend_t *be, uint64_t base, const nm_gx_log_t *log)
{
	pthread_mutex_lock(&b->sync_mu);
	know(b, base + 1);
	if (catch_up(b, be, base, NULL) < 0)
		nm__gx_drop(b); /* cannot replay what came before: rebuild later */
	nm__gx_commit(b, log);
	b->seen_gen = base + 1;
	pthread_mutex_unlock(&b->sync_mu);
}

/* Fail every write of the batch that has no outcome yet with err. */
static void fail_pending(nm_write_t *batch, const nm_err_t *err, bool all)
{
	for (nm_write_t *w = batch; w; w = w->next)
		if (all || w->err.status == 0)
			w->err = *err;
}

/* Apply one write inside its own savepoint (or, alone in its transaction,
 * without one). Returns true when it stays. */
static bool apply_one(const nm_backend_t *be, nm_tx_t *tx, nm_write_t *w, bool alone)
{
	if (alone) { /* a failure rolls the whole transaction back */
		tx->rows = 0;
		if (w->apply(tx, w, &w->err) < 0) {
			if (!w->err.status)
				nm_err_set(&w->err, NM_ST_INTERNAL, "Internal error");
			return false;
		}
		w->rows = tx->rows;
		return true;
	}
	if (be->savepoint(tx, &w->err) < 0)
		return false;
	tx->rows = 0;
	if (w->apply(tx, w, &w->err) < 0) {
		if (!w->err.status)
			nm_err_set(&w->err, NM_ST_INTERNAL, "Internal error");
		be->rollback_to(tx);
		return false;
	}
	if (be->release(tx, &w->err) < 0) {
		be->rollback_to(tx);
		return false;
	}
	w->rows = tx->rows;
	return true;
}

/* Commit a batch of writes in one transaction. alone: the batch is one
 * write that owns the transaction (nm_brain_write_own) and runs without a
 * savepoint — a savepoint over a long write would keep a rollback journal
 * of every page it touched. */
static void run_batch(nm_brain_t *b, nm_write_t *batch, bool alone)
{
	void *bs, *bd;
	const nm_backend_t *be = nm__store_backend(b->st, &bs);
	nm_err_t err = {0};
	nm_tx_t *tx = NULL;
	if (brain_use(b, &bd, &err) < 0) {
		fail_pending(batch, &err, true);
		goto done;
	}
	if (be->write_begin(bd, &tx, &err) < 0) {
		fail_pending(batch, &err, true);
		brain_unuse(b);
		goto done;
	}
	nm_gx_log_t log = {0};
	tx->be = be;
	tx->brain = b;
	tx->write = true;
	tx->gx_log = &log;
	int kept = 0;
	int64_t rows = 0;
	for (nm_write_t *w = batch; w; w = w->next) {
		if (apply_one(be, tx, w, alone)) {
			kept++;
			rows += w->rows;
		}
	}
	nm_stats_t st;
	int rc = 0;
	uint64_t base = tx->cluster_gen;
	if (kept) {
		rc = be->set_updated_at(tx, nm_time_now(), &err);
		if (rc == 0)
			rc = be->stats(tx, &st, &err);
		if (rc == 0)
			rc = be->commit(tx, &err);
		if (rc < 0) {
			be->rollback(tx);
			nm_err_set(&err, NM_ST_UNAVAILABLE, "storage unavailable: the write could not be committed");
			fail_pending(batch, &err, false);
		}
	} else {
		be->rollback(tx);
	}
	if (kept && rc == 0) {
		nm__store_count_commit(b->st, rows);
		pthread_mutex_lock(&b->mu);
		b->stats = st;
		b->stats_valid = true;
		b->stats_gen++;
		pthread_mutex_unlock(&b->mu);
		/* before any acknowledgement: a query after it sees the write */
		if (be->cluster)
			cluster_committed(b, be, base, &log);
		else
			nm__gx_commit(b, &log);
		atomic_fetch_add(&b->content_gen, 1); /* after the index has it (qcache.h) */
	}
	nm__gx_log_free(&log);
	brain_unuse(b);
done:
	for (nm_write_t *w = batch, *next; w; w = next) {
		next = w->next;
		w->done(w);
	}
}

/* Drain the queue as the writer (wq_mu held, writer_active set); gives the
 * role up when the queue is empty, or early to a waiting
 * nm_brain_write_own, which drains what is left after its own write. */
static void drain(nm_brain_t *b)
{
	for (;;) {
		nm_write_t *batch = b->own_waiters ? NULL : b->wq_head;
		if (!batch)
			break;
		b->wq_head = b->wq_tail = NULL;
		pthread_mutex_unlock(&b->wq_mu);
		run_batch(b, batch, false);
		pthread_mutex_lock(&b->wq_mu);
	}
	b->writer_active = false;
	pthread_cond_broadcast(&b->wq_cv);
}

void nm_brain_write(nm_brain_t *b, nm_write_t *w)
{
	w->next = NULL;
	w->err = (nm_err_t){0};
	w->rows = 0;
	pthread_mutex_lock(&b->wq_mu);
	if (b->wq_tail)
		b->wq_tail->next = w;
	else
		b->wq_head = w;
	b->wq_tail = w;
	if (!b->writer_active && !b->own_waiters) {
		b->writer_active = true;
		drain(b);
	}
	pthread_mutex_unlock(&b->wq_mu);
}

/* nm_brain_write_sync: a write plus a condition variable to wait on. */
typedef struct sync_write {
	nm_write_t w;
	int (*fn)(nm_tx_t *tx, void *arg, nm_err_t *err);
	void *arg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool finished;
} sync_write_t;

static int sync_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	sync_write_t *s = (sync_write_t *)w;
	return s->fn(tx, s->arg, err);
}

static void sync_done(nm_write_t *w)
{
	sync_write_t *s = (sync_write_t *)w;
	pthread_mutex_lock(&s->mu);
	s->finished = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* The outcome of a finished sync write. */
static int sync_result(const sync_write_t *s, nm_err_t *err)
{
	if (s->w.err.status) {
		if (err)
			*err = s->w.err;
		return -s->w.err.status;
	}
	return 0;
}

int nm_brain_write_own(nm_brain_t *b, int (*apply)(nm_tx_t *tx, void *arg, nm_err_t *err), void *arg,
                       nm_err_t *err)
{
	sync_write_t s = {.w = {.apply = sync_apply, .done = sync_done}, .fn = apply, .arg = arg};
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	pthread_mutex_lock(&b->wq_mu);
	b->own_waiters++;
	while (b->writer_active)
		pthread_cond_wait(&b->wq_cv, &b->wq_mu);
	b->own_waiters--;
	b->writer_active = true;
	pthread_mutex_unlock(&b->wq_mu);
	run_batch(b, &s.w, true); /* sync_done runs in here: s.finished */
	pthread_mutex_lock(&b->wq_mu);
	drain(b);
	pthread_mutex_unlock(&b->wq_mu);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	return sync_result(&s, err);
}

int nm_brain_write_sync(nm_brain_t *b, int (*apply)(nm_tx_t *tx, void *arg, nm_err_t *err), void *arg,
                        nm_err_t *err)
{
	sync_write_t s = {.w = {.apply = sync_apply, .done = sync_done}, .fn = apply, .arg = arg};
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	nm_brain_write(b, &s.w);
	pthread_mutex_lock(&s.mu);
	while (!s.finished)
		pthread_cond_wait(&s.cv, &s.mu);
	pthread_mutex_unlock(&s.mu);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	return sync_result(&s, err);
}

int nm_brain_backup(nm_brain_t *b, const char *dest, const nm_progress_t *p, int64_t *bytes, nm_err_t *err)
{
	void *bs;
	const nm_backend_t *be = nm__store_backend(b->st, &bs);
	if (!be->backup)
		return nm_err_set(err, NM_ST_INVALID, "backup: the %s backend keeps no files to back up;"
		                  " use GET /brain/{id}/export", be->name);
	nm_brain_rec_t rec;
	nm_brain_rec_get(b, &rec);
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_brain(&w, &rec, NULL);
	nm_brain_rec_clear(&rec);
	nm_tx_t *tx;
	int rc = nm_brain_read_begin(b, &tx, err);
	if (rc == 0) {
		nm_tx_bulk(tx);
		rc = be->backup(tx, dest, w.buf.data, p, bytes, err);
		nm_brain_read_end(tx);
	}
	nm_jw_free(&w);
	return rc;
}
