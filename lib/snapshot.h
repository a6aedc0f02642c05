/*
 * snapshot.h — brain export and import in the JSON snapshot shape of
 * PROTOCOL.md §2.8.
 *
 * Both directions stream: export writes object by object
 * (snapshot_export.c), import reads element by element from a byte
 * source (snapshot.c), so neither holds a whole brain in memory.
 */
#ifndef NM_SNAPSHOT_H
#define NM_SNAPSHOT_H

#include <jansson.h>

#include "codec.h"
#include "jsonscan.h"
#include "jsonw.h"
#include "store.h"

#define NM_SNAPSHOT_VERSION "0.1.0"

typedef struct nm_export_opts {
	bool ndjson;                /* PROTOCOL.md §6.4 lines instead of the §2.8 document */
	bool exclude_sensitive;     /* drop secrets (sensitive.h), see snapshot_export.c */
	int64_t exported_at;
} nm_export_opts_t;

/* Write the snapshot of the brain seen by tx (a read transaction: one
 * consistent view) to w, object by object, so with a sink on w memory
 * stays constant. rec supplies id, name and config. */
int nm_snapshot_export(nm_tx_t *tx, const nm_brain_rec_t *rec, const nm_export_opts_t *o, nm_jw_t *w,
                       nm_err_t *err);

/* ---- import (snapshot.c) ---- */

typedef struct nm_import_opts {
	bool ndjson;                /* PROTOCOL.md §6.4 lines, else the §2.8 document */
	nm_decode_opts_t decode;    /* content limit, default times */
	size_t max_value;           /* the largest single element or line (413 beyond) */
	int max_depth;              /* JSON nesting inside one element */
	/* called every 100,000 elements (for the log); may be NULL */
	void (*progress)(void *arg, int64_t elements);
	void *progress_arg;
} nm_import_opts_t;

enum { NM_SNAP_NEURONS, NM_SNAP_SYNAPSES, NM_SNAP_FIBERS, NM_SNAP_TYPED, NM_SNAP_PROJECTS, NM_SNAP__COUNT };

typedef struct nm_import_result {
	char *name;                 /* brain_name (owned) */
	nm_config_t config;         /* defaults plus the snapshot's keys */
	int64_t counts[NM_SNAP__COUNT]; /* elements imported (typed memories of absent fibers not counted) */
} nm_import_result_t;

/* Read a snapshot from rd, parsing it incrementally (memory: one element
 * at a time, plus 16 bytes per id for duplicate checks), and upsert it into
 * tx, a write transaction the caller holds for the whole read
 * (nm_brain_write_own). Rules of PROTOCOL.md §3.2 and §6.4: upsert by id
 * (a new neuron gets a default state), duplicate ids in one section 422, a
 * synapse endpoint must be in the snapshot or already stored (422), typed
 * memories of fibers not in the snapshot are dropped, snapshot metadata
 * other than typed_memories/projects is stored whole. Errors name the
 * element: "synapses[12].source_id: ..." (JSON) or "line 14: ..." (NDJSON).
 * On error the caller rolls the transaction back. */
int nm_snapshot_import(nm_tx_t *tx, nm_reader_t rd, const nm_import_opts_t *o, nm_import_result_t *out,
                       nm_err_t *err);
void nm_import_result_clear(nm_import_result_t *r);
/* After a committed import: give the brain the snapshot's name and config
 * (an nm_brain_update editor; arg is the nm_import_result_t). */
int nm_import_take_name_config(nm_brain_rec_t *rec, void *arg, nm_err_t *err);

#endif
