/*
 * decay.c — decay and pruning of a whole brain (lifecycle.h, ENGINE.md §6).
 *
 * A run walks neuron states, then synapses, then (prune_orphans) orphan
 * neurons, each by a row cursor in batches of BATCH rows; each batch is
 * one write through the brain's writer, its counts merged into the report
 * only once it has committed. decide() is the whole rule for one row, so
 * dry runs and real runs cannot disagree.
 */
#include "lifecycle.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isotime.h"
#include "mem.h"

#define BATCH 2000
#define USEC_PER_DAY (86400.0 * NM_USEC_PER_SEC)

typedef enum { A_SKIP, A_DECAY, A_PRUNE } action_t;

/* The rule for one row: what happens to it and its new value. */
static action_t decide(const nm_decay_opts_t *o, const nm_decay_row_t *r, double *out)
{
	int64_t start;
	if (o->compat) {
		if (r->last_activated == NM_TIME_NONE)
			return A_SKIP;
		start = r->last_activated;
	} else {
		start = r->last_activated;
		if (r->decayed_at != NM_TIME_NONE && (start == NM_TIME_NONE || r->decayed_at > start))
			start = r->decayed_at;
		if (start == NM_TIME_NONE)
			start = r->created_at;
	}
	double days = (double)(o->reference_time - start) / USEC_PER_DAY;
	if (days < o->min_age_days)
		return A_SKIP;
	double v = r->value * exp(-o->decay_rate * days);
	if (!(v < r->value))
		return A_SKIP;
	*out = v < o->prune_threshold ? 0.0 : v;
	return v < o->prune_threshold ? A_PRUNE : A_DECAY;
}

typedef struct change {
	int64_t seq;
	double value;
	action_t action;
	char *id;                     /* synapses and orphans (NULL for neuron states) */
	bool del;                     /* delete the row (pruned synapse in default mode, orphan) */
} change_t;

typedef struct batch {
	const nm_decay_opts_t *o;
	int kind;                     /* nm_decay_kind_t, or ORPHANS */
	int64_t after;                /* cursor: last row seen */
	int64_t seen;
	nm_decay_report_t d;          /* this batch's counts */
	change_t *v;                  /* changes to write (NULL in dry runs) */
	size_t n;
} batch_t;

#define ORPHANS 2

static void count(batch_t *bt, action_t a)
{
	bool neuron = bt->kind == NM_DECAY_NEURONS;
	nm_decay_report_t *d = &bt->d;
	(*(neuron ? &d->neurons_processed : &d->synapses_processed))++;
	if (a == A_SKIP)
		return;
	(*(neuron ? &d->neurons_decayed : &d->synapses_decayed))++;
	if (a == A_PRUNE)
		(*(neuron ? &d->neurons_pruned : &d->synapses_pruned))++;
}

static int on_row(void *arg, const nm_decay_row_t *r)
{
	batch_t *bt = arg;
	double v = 0;
	action_t a = decide(bt->o, r, &v);
	bt->after = r->seq;
	bt->seen++;
	count(bt, a);
	if (a != A_SKIP && bt->v) {
		bool syn = bt->kind == NM_DECAY_SYNAPSES;
		bt->v[bt->n++] = (change_t){r->seq, v, a, syn ? nm_xstrdup(r->id) : NULL,
		                            syn && a == A_PRUNE && !bt->o->compat};
	}
	return 0;
}

static int on_orphan(void *arg, int64_t seq, const char *id)
{
	batch_t *bt = arg;
	bt->after = seq;
	bt->seen++;
	bt->d.orphans_removed++;
	if (bt->v)
		bt->v[bt->n++] = (change_t){seq, 0, A_PRUNE, nm_xstrdup(id), true};
	return 0;
}

static int scan(nm_tx_t *tx, batch_t *bt, nm_err_t *err)
{
	if (bt->kind == ORPHANS)
		return nm_tx_orphan_scan(tx, bt->after, BATCH, on_orphan, bt, err);
	return nm_tx_decay_scan(tx, (nm_decay_kind_t)bt->kind, bt->after, BATCH, on_row, bt, err);
}

/* Write one change. compat writes the value only (no decayed_at, no
 * deletes); default mode stamps decayed_at and deletes pruned synapses. */
static int apply_change(nm_tx_t *tx, const batch_t *bt, const change_t *c, nm_err_t *err)
{
	if (bt->kind == ORPHANS)
		return nm_tx_neuron_delete(tx, c->id, err);
	if (c->del) /* a pruned synapse, default mode */
		return nm_tx_synapse_delete(tx, c->id, err);
	if (c->action == A_PRUNE && bt->kind == NM_DECAY_SYNAPSES) /* compat: counted, left alone */
		return 0;
	return nm_tx_decay_set(tx, (nm_decay_kind_t)bt->kind, c->seq, c->id, c->value,
	                       bt->o->compat ? NM_TIME_NONE : bt->o->reference_time, err);
}

static void batch_reset(batch_t *bt)
{
	for (size_t i = 0; i < bt->n; i++)
		free(bt->v[i].id);
	bt->n = 0;
	bt->seen = 0;
	memset(&bt->d, 0, sizeof bt->d);
}

static int batch_apply(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	batch_t *bt = arg;
	int64_t start = bt->after;
	batch_reset(bt);
	int rc = scan(tx, bt, err);
	for (size_t i = 0; i < bt->n && rc == 0; i++)
		rc = apply_change(tx, bt, &bt->v[i], err);
	if (rc < 0)
		bt->after = start; /* rolled back: the cursor stays */
	return rc;
}

static void merge(nm_decay_report_t *r, const nm_decay_report_t *d)
{
	r->neurons_processed += d->neurons_processed;
	r->neurons_decayed += d->neurons_decayed;
	r->neurons_pruned += d->neurons_pruned;
	r->synapses_processed += d->synapses_processed;
	r->synapses_decayed += d->synapses_decayed;
	r->synapses_pruned += d->synapses_pruned;
	r->orphans_removed += d->orphans_removed;
}

/* One pass (a kind) over the brain. Dry: inside tx; else batch writes. */
static int pass(nm_brain_t *b, nm_tx_t *tx, batch_t *bt, const nm_progress_t *p, int64_t *done, int64_t total,
                nm_decay_report_t *r, nm_err_t *err)
{
	do {
		if (p && p->stop && p->stop(p->arg)) {
			r->interrupted = true;
			return 0;
		}
		int rc = tx ? scan(tx, bt, err) : nm_brain_write_sync(b, batch_apply, bt, err);
		if (rc < 0)
			return rc;
		merge(r, &bt->d);
		*done += bt->seen;
		if (p && p->step)
			p->step(p->arg, *done < total ? *done : total, total);
		int64_t seen = bt->seen;
		batch_reset(bt);
		if (seen < BATCH)
			return 0;
	} while (1);
}

int nm_decay_run(nm_brain_t *b, const nm_decay_opts_t *o, const nm_progress_t *p, nm_decay_report_t *r,
                 nm_err_t *err)
{
	double t0 = nm_mono_ms();
	memset(r, 0, sizeof *r);
	r->reference_time = o->reference_time;
	r->dry_run = o->dry_run;
	nm_stats_t st;
	int rc = nm_brain_stats(b, &st, err);
	if (rc < 0)
		return rc;
	bool orphans = o->prune_orphans && !o->compat;
	int64_t total = st.neurons + st.synapses + (orphans ? st.neurons : 0), done = 0;
	nm_tx_t *tx = NULL;
	if (o->dry_run && (rc = nm_brain_read_begin(b, &tx, err)) < 0)
		return rc;
	batch_t bt = {.o = o};
	if (!o->dry_run)
		bt.v = nm_xmalloc(sizeof *bt.v * BATCH);
	int kinds[3] = {NM_DECAY_NEURONS, NM_DECAY_SYNAPSES, ORPHANS};
	for (int k = 0; k < (orphans ? 3 : 2) && rc == 0 && !r->interrupted; k++) {
		bt.kind = kinds[k];
		bt.after = 0;
		rc = pass(b, tx, &bt, p, &done, total, r, err);
	}
	if (rc == 0 && !r->interrupted && p && p->step)
		p->step(p->arg, total, total);
	batch_reset(&bt);
	free(bt.v);
	nm_brain_read_end(tx);
	r->duration_ms = nm_mono_ms() - t0;
	return rc;
}

void nm_jw_decay_report(nm_jw_t *w, const nm_decay_report_t *r)
{
	const char *names[] = {"neurons_processed", "neurons_decayed", "neurons_pruned", "synapses_processed",
	                       "synapses_decayed", "synapses_pruned", "orphans_removed"};
	int64_t vals[] = {r->neurons_processed, r->neurons_decayed, r->neurons_pruned, r->synapses_processed,
	                  r->synapses_decayed, r->synapses_pruned, r->orphans_removed};
	nm_jw_obj(w);
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		nm_jw_key(w, names[i]);
		nm_jw_int(w, vals[i]);
	}
	nm_jw_key(w, "duration_ms");
	nm_jw_real(w, round(r->duration_ms * 1000) / 1000);
	nm_jw_key(w, "reference_time");
	nm_jw_time(w, r->reference_time);
	nm_jw_key(w, "dry_run");
	nm_jw_bool(w, r->dry_run);
	nm_jw_key(w, "interrupted");
	nm_jw_bool(w, r->interrupted);
	nm_jw_obj_end(w);
}
