/*
 * snapshot.h — brain export and import in the JSON snapshot shape of
 * PROTOCOL.md §2.8.
 *
 * Import is split in two so that the expensive, storage-free part runs
 * before the write transaction: nm_snapshot_decode validates the whole
 * document into model structs (422/400 naming the element, e.g.
 * "synapses[12].type: ..."), then nm_snapshot_apply upserts it inside the
 * caller's write transaction, checking what needs the brain (a synapse
 * endpoint must be in the snapshot or already stored).
 */
#ifndef NM_SNAPSHOT_H
#define NM_SNAPSHOT_H

#include <jansson.h>

#include "codec.h"
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

typedef struct nm_snapshot nm_snapshot_t;

/* Validate root (borrowed) into an owned snapshot (nm_snapshot_free). */
int nm_snapshot_decode(const json_t *root, const nm_decode_opts_t *o, nm_snapshot_t **out, nm_err_t *err);
void nm_snapshot_free(nm_snapshot_t *s);
/* Borrowed views of the decoded brain fields. */
const char *nm_snapshot_name(const nm_snapshot_t *s);
const nm_config_t *nm_snapshot_config(const nm_snapshot_t *s);
/* For an import into a new brain: every synapse endpoint must be one of
 * the snapshot's neurons (422 naming the synapse otherwise). */
int nm_snapshot_check_closed(const nm_snapshot_t *s, nm_err_t *err);
/* Upsert everything into the brain of tx (a write transaction). */
int nm_snapshot_apply(nm_tx_t *tx, const nm_snapshot_t *s, nm_err_t *err);

#endif
