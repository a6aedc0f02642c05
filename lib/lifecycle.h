/*
 * lifecycle.h — work on a whole brain that runs as a job: decay and
 * pruning (ENGINE.md §6, decay.c) and fiber archiving (archive.c); online
 * backup is nm_brain_backup (store.h). Progress: nm_progress_t (store.h).
 *
 * A run never holds the brain's writer for long: it works in batches, each
 * batch one write through the brain's group-commit writer (store.h), so
 * requests to the brain keep being served between batches, and a run that
 * stops early (shutdown, error) leaves the brain as its last committed
 * batch left it. Dry runs compute the same report in one read transaction
 * and change nothing.
 */
#ifndef NM_LIFECYCLE_H
#define NM_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "jsonw.h"
#include "snapshot.h"
#include "store.h"

/* ---- decay (decay.c) ---- */

typedef struct nm_decay_opts {
	double decay_rate;            /* per day */
	double prune_threshold;
	double min_age_days;
	bool prune_orphans;
	int64_t reference_time;       /* µs */
	bool dry_run;
	bool compat;                  /* upstream v0.5.0 arithmetic (ENGINE.md §6.2) */
} nm_decay_opts_t;

typedef struct nm_decay_report {
	int64_t neurons_processed, neurons_decayed, neurons_pruned;
	int64_t synapses_processed, synapses_decayed, synapses_pruned;
	int64_t orphans_removed;
	int64_t reference_time;
	double duration_ms;
	bool dry_run;
	bool interrupted;             /* stopped early; committed batches stay */
} nm_decay_report_t;

/* Apply (or, dry, compute) decay over every neuron state and synapse of b.
 *
 * Default mode (ENGINE.md §6.4 with the D15–D17 fixes): a value decays by
 * exp(−rate × days) where days run from the latest of last_activated and
 * the previous decay (decayed_at), or from created_at when neither is set,
 * so running decay twice at one reference time changes nothing the second
 * time. Rows younger than min_age_days by that clock are left alone. A
 * neuron level below the threshold goes to 0; a synapse weight below it is
 * deleted; with prune_orphans, neurons no synapse touches and no fiber
 * holds are then deleted (a dry run counts the orphans there are now).
 * compat: upstream's arithmetic — only rows with last_activated decay,
 * always from last_activated (repeated runs compound, D16), pruned
 * synapses are counted and left as they were, nothing is deleted. */
int nm_decay_run(nm_brain_t *b, const nm_decay_opts_t *o, const nm_progress_t *p, nm_decay_report_t *r,
                 nm_err_t *err);
void nm_jw_decay_report(nm_jw_t *w, const nm_decay_report_t *r);

/* ---- archive (archive.c) ---- */

typedef struct nm_archive_opts {
	int64_t cutoff;               /* fibers created before it, anchors not activated since */
	bool dry_run;
} nm_archive_opts_t;

typedef struct nm_archive_report {
	int64_t fibers, neurons, synapses; /* archived, or restored */
	int64_t bytes_before, bytes_after; /* live storage in use (0 for the memory backend) */
	double duration_ms;
	bool dry_run;
	bool interrupted;
} nm_archive_report_t;

/* Move old fibers, with the neurons only they reach and those neurons'
 * synapses, into compressed segments out of every query (archive.c). */
int nm_archive_run(nm_brain_t *b, const nm_archive_opts_t *o, const nm_progress_t *p, nm_archive_report_t *r,
                   nm_err_t *err);
/* Bring archived fibers back exactly (fiber_ids, or all when NULL): their
 * neurons and states, typed memories, and every archived synapse whose
 * endpoints are live again. Unknown ids are skipped; an object whose id
 * is live again meanwhile keeps the live version. */
int nm_archive_restore(nm_brain_t *b, const nm_strv_t *fiber_ids, const nm_progress_t *p, nm_archive_report_t *r,
                       nm_err_t *err);
void nm_jw_archive_report(nm_jw_t *w, const nm_archive_report_t *r, bool restore);

typedef struct nm_archive_counts {
	int64_t fibers, neurons, synapses, typed, raw_bytes, stored_bytes;
} nm_archive_counts_t;

int nm_archive_counts(nm_tx_t *tx, nm_archive_counts_t *out, nm_err_t *err);
/* Each archived object of a snapshot section (NM_SNAP_NEURONS, _SYNAPSES,
 * _FIBERS, _TYPED) in archive order: obj is its wire object (a typed
 * memory's blob), line the whole archive line (neurons: "state"). */
int nm_archive_each(nm_tx_t *tx, int section, int (*cb)(void *arg, const json_t *obj, const json_t *line),
                    void *arg, nm_err_t *err);

/* Imports of objects that arrive with "archived": true: written into new
 * segments (replacing a live or archived object with the same id). end
 * stores the last segment; with err NULL it only frees (after a failure,
 * whose transaction is rolled back). */
typedef struct nm_archive_writer nm_archive_writer_t;
nm_archive_writer_t *nm_archive_writer_new(nm_tx_t *tx, nm_err_t *err);
int nm_archive_writer_neuron(nm_archive_writer_t *w, const nm_neuron_t *n, nm_err_t *err);
int nm_archive_writer_synapse(nm_archive_writer_t *w, const nm_synapse_t *y, nm_err_t *err);
int nm_archive_writer_fiber(nm_archive_writer_t *w, const nm_fiber_t *f, nm_err_t *err);
int nm_archive_writer_typed(nm_archive_writer_t *w, const char *fiber_id, const char *json, nm_err_t *err);
int nm_archive_writer_end(nm_archive_writer_t *w, nm_err_t *err);
/* Is (section, id) archived? */
bool nm_archive_has(nm_tx_t *tx, int section, const char *id);

#endif
