/*
 * codec.h — model ↔ JSON: request bodies (jansson trees) to validated model
 * structs, and model structs to the wire shapes of PROTOCOL.md §2.
 *
 * Validation follows PROTOCOL.md §1.3: fields are checked in the order of
 * the object's table and the first failure decides; unknown keys are
 * ignored; null for an optional non-nullable field means absent; wrong JSON
 * type, out-of-range number, bad datetime → 422; unknown enum value → 400
 * naming every allowed value; content over the limit → 413. Details read
 * "<prefix><field>: <reason>", where prefix is "" for a request body and
 * e.g. "synapses[3]." inside an import.
 *
 * Decoders fill a zero-initialised struct with owned values (release with
 * nm_*_clear, also after a failure) and set bits of *present for the fields
 * the body gave. In NM_DECODE_CREATE mode absent fields get their defaults
 * (new UUID, now, 0.5 …) and required fields must be present; in
 * NM_DECODE_PATCH mode nothing is required and absent fields stay zero.
 * Thread-safe.
 */
#ifndef NM_CODEC_H
#define NM_CODEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "jsonw.h"
#include "model.h"

typedef enum { NM_DECODE_CREATE, NM_DECODE_PATCH } nm_decode_mode_t;

typedef struct nm_decode_opts {
	nm_decode_mode_t mode;
	const char *prefix;        /* error detail prefix; NULL = "" */
	size_t max_content_bytes;  /* neuron content limit (413 beyond) */
	int64_t now;               /* default for created_at */
} nm_decode_opts_t;

/* Field bits for *present. */
enum { NM_F_ID = 1u << 0, NM_F_TYPE = 1u << 1, NM_F_CONTENT = 1u << 2, NM_F_METADATA = 1u << 3,
	NM_F_CREATED_AT = 1u << 4 };
enum { NM_FS_NEURON_ID = 1u << 0, NM_FS_ACTIVATION = 1u << 1, NM_FS_ACCESS = 1u << 2,
	NM_FS_LAST_ACTIVATED = 1u << 3, NM_FS_DECAY = 1u << 4, NM_FS_CREATED_AT = 1u << 5 };
enum { NM_FY_ID = 1u << 0, NM_FY_SOURCE = 1u << 1, NM_FY_TARGET = 1u << 2, NM_FY_TYPE = 1u << 3,
	NM_FY_WEIGHT = 1u << 4, NM_FY_DIRECTION = 1u << 5, NM_FY_METADATA = 1u << 6,
	NM_FY_REINFORCED = 1u << 7, NM_FY_LAST_ACTIVATED = 1u << 8, NM_FY_CREATED_AT = 1u << 9 };
enum { NM_FF_ID = 1u << 0, NM_FF_NEURONS = 1u << 1, NM_FF_SYNAPSES = 1u << 2, NM_FF_ANCHOR = 1u << 3,
	NM_FF_TIME_START = 1u << 4, NM_FF_TIME_END = 1u << 5, NM_FF_COHERENCE = 1u << 6,
	NM_FF_SALIENCE = 1u << 7, NM_FF_FREQUENCY = 1u << 8, NM_FF_SUMMARY = 1u << 9,
	NM_FF_TAGS = 1u << 10, NM_FF_METADATA = 1u << 11, NM_FF_CREATED_AT = 1u << 12 };
enum { NM_FB_ID = 1u << 0, NM_FB_NAME = 1u << 1, NM_FB_OWNER = 1u << 2, NM_FB_PUBLIC = 1u << 3,
	NM_FB_SHARED = 1u << 4, NM_FB_CONFIG = 1u << 5, NM_FB_METADATA = 1u << 6 };

/* Each returns 0, or a negative status with err filled. `obj` is borrowed
 * and must be a JSON object (the callers check the body's type). */
int nm_neuron_decode(const json_t *obj, const nm_decode_opts_t *o, nm_neuron_t *out,
                     unsigned *present, nm_err_t *err);
int nm_state_decode(const json_t *obj, const nm_decode_opts_t *o, nm_state_t *out,
                    unsigned *present, nm_err_t *err);
int nm_synapse_decode(const json_t *obj, const nm_decode_opts_t *o, nm_synapse_t *out,
                      unsigned *present, nm_err_t *err);
/* In CREATE mode also checks anchor ∈ neuron_ids and time_start ≤ time_end;
 * PATCH callers check them after merging (nm_fiber_check). */
int nm_fiber_decode(const json_t *obj, const nm_decode_opts_t *o, nm_fiber_t *out,
                    unsigned *present, nm_err_t *err);
int nm_fiber_check(const nm_fiber_t *f, const char *prefix, nm_err_t *err);
/* Brain create/update body. `out->config` starts from `base` (defaults on
 * create, the stored config on update) and takes the given keys. */
int nm_brain_decode(const json_t *obj, const nm_decode_opts_t *o, const nm_config_t *base,
                    nm_brain_rec_t *out, unsigned *present, nm_err_t *err);
/* Merge the keys of a BrainConfig object (or null = nothing) into cfg. */
int nm_config_decode(const json_t *v, const char *prefix, nm_config_t *cfg, nm_err_t *err);

/* Request bodies of the engine routes. */
typedef struct nm_encode_req {
	char *content;
	size_t content_len;
	int64_t timestamp;        /* NM_TIME_NONE = now */
	char *metadata;           /* JSON object text, or NULL */
	nm_strv_t tags;
	bool has_tags;
} nm_encode_req_t;

typedef struct nm_query_req {
	char *query;
	size_t query_len;
	int depth;                /* -1 = detect */
	int64_t max_tokens;
	bool include_subgraph;
	int64_t reference_time;   /* NM_TIME_NONE = now */
	bool reinforce;           /* [nmemd] strengthen what the query used (fixed mode; default true) */
} nm_query_req_t;

/* POST /memory/encode: content (non-blank, ≤ max_content_bytes → 413),
 * timestamp, metadata, tags. */
int nm_encode_req_decode(const json_t *obj, const nm_decode_opts_t *o, nm_encode_req_t *out, nm_err_t *err);
void nm_encode_req_clear(nm_encode_req_t *r);
/* POST /memory/query: query (non-empty, ≤ 64 KiB), depth 0..3 or null,
 * max_tokens 50..5000 (500), include_subgraph, reference_time, reinforce. */
int nm_query_req_decode(const json_t *obj, const nm_decode_opts_t *o, nm_query_req_t *out, nm_err_t *err);
void nm_query_req_clear(nm_query_req_t *r);

/* Bodies of the lifecycle routes (PROTOCOL.md §6.6); every field is
 * optional. Times NM_TIME_NONE = now; decay_rate < 0 = the brain's. */
typedef struct nm_decay_req {
	double decay_rate;        /* 0..1 */
	double prune_threshold;   /* 0..1, default 0.01 */
	double min_age_days;      /* >= 0, default 0 */
	bool prune_orphans;
	int64_t reference_time;
	bool dry_run;
} nm_decay_req_t;

typedef struct nm_archive_req {
	int64_t older_than_days;  /* >= 1, default 90 */
	int64_t reference_time;
	bool dry_run;
} nm_archive_req_t;

typedef struct nm_restore_req {
	nm_strv_t fiber_ids;      /* one of fiber_ids (non-empty) or all: true is required */
	bool all;
} nm_restore_req_t;

int nm_decay_req_decode(const json_t *obj, nm_decay_req_t *out, nm_err_t *err);
int nm_archive_req_decode(const json_t *obj, nm_archive_req_t *out, nm_err_t *err);
int nm_restore_req_decode(const json_t *obj, nm_restore_req_t *out, nm_err_t *err);
/* backup: path, a file name (no '/', not "." or ".."), or NULL. */
int nm_backup_req_decode(const json_t *obj, char **path, nm_err_t *err);

/* Validate an id value: non-empty string, ≤ 255 bytes, no NUL. */
bool nm_id_valid(const char *s, size_t n);
#define NM_ID_MAX 255

/* ---- writers: emit the full wire shape, every field, in table order ---- */
void nm_jw_neuron(nm_jw_t *w, const nm_neuron_t *n);
void nm_jw_state(nm_jw_t *w, const nm_state_t *s);
void nm_jw_synapse(nm_jw_t *w, const nm_synapse_t *s);
void nm_jw_fiber(nm_jw_t *w, const nm_fiber_t *f);
/* The same members, into an object the caller opened (NDJSON lines, flags). */
void nm_jw_neuron_fields(nm_jw_t *w, const nm_neuron_t *n);
void nm_jw_synapse_fields(nm_jw_t *w, const nm_synapse_t *s);
void nm_jw_fiber_fields(nm_jw_t *w, const nm_fiber_t *f);
void nm_jw_config(nm_jw_t *w, const nm_config_t *c);
/* Brain (§2.6): record plus counts; updated_at is the later of the
 * record's and the contents'. */
void nm_jw_brain(nm_jw_t *w, const nm_brain_rec_t *b, const nm_stats_t *st);

#endif
