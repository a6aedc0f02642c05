/*
 * model.h — the objects a brain holds (PROTOCOL.md §2) and their enums.
 *
 * Ownership: a struct filled by a `get` call owns its strings and is
 * released with the matching nm_*_clear(); a struct passed to a scan
 * callback is borrowed and valid only during the callback. Metadata is kept
 * as canonical JSON text (an object, compact, written by jsonw.c) rather
 * than a parsed tree: most requests only store and return it, so it is
 * never re-parsed on the way through.
 *
 * Strings are NUL-terminated UTF-8. Ids, names and tags may not contain NUL
 * (codec.c rejects them); neuron content may, so it carries its length.
 */
#ifndef NM_MODEL_H
#define NM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- enums: values in wire order; *_name() gives the JSON string ---- */

typedef enum {
	NM_NEURON_TIME, NM_NEURON_SPATIAL, NM_NEURON_ENTITY, NM_NEURON_ACTION,
	NM_NEURON_STATE, NM_NEURON_CONCEPT, NM_NEURON_SENSORY, NM_NEURON_INTENT,
	NM_NEURON__COUNT
} nm_neuron_type_t;

typedef enum {
	NM_SYN_HAPPENED_AT, NM_SYN_BEFORE, NM_SYN_AFTER, NM_SYN_DURING, NM_SYN_AT_LOCATION,
	NM_SYN_CONTAINS, NM_SYN_NEAR, NM_SYN_CAUSED_BY, NM_SYN_LEADS_TO, NM_SYN_ENABLES,
	NM_SYN_PREVENTS, NM_SYN_CO_OCCURS, NM_SYN_RELATED_TO, NM_SYN_SIMILAR_TO, NM_SYN_IS_A,
	NM_SYN_HAS_PROPERTY, NM_SYN_INVOLVES, NM_SYN_FELT, NM_SYN_EVOKES,
	NM_SYN__COUNT
} nm_synapse_type_t;

typedef enum { NM_DIR_UNI, NM_DIR_BI, NM_DIR__COUNT } nm_direction_t;

/* Neighbour query direction (GET …/neighbors?direction=). */
typedef enum { NM_NB_OUT, NM_NB_IN, NM_NB_BOTH, NM_NB__COUNT } nm_nb_dir_t;

/* Fiber list ordering; NM_ORDER_DEFAULT = salience desc, ties oldest first;
 * NM_ORDER_INSERTION = creation (row) order, for exports — not a wire value. */
typedef enum { NM_ORDER_CREATED_AT, NM_ORDER_SALIENCE, NM_ORDER_FREQUENCY, NM_ORDER__COUNT,
	NM_ORDER_DEFAULT = -1, NM_ORDER_INSERTION = -2 } nm_fiber_order_t;

/* Typed memory kinds (snapshot metadata.typed_memories[].memory_type). */
typedef enum {
	NM_MEM_FACT, NM_MEM_DECISION, NM_MEM_PREFERENCE, NM_MEM_TODO, NM_MEM_INSIGHT,
	NM_MEM_CONTEXT, NM_MEM_INSTRUCTION, NM_MEM_ERROR, NM_MEM_WORKFLOW, NM_MEM_REFERENCE,
	NM_MEM__COUNT
} nm_memory_type_t;

/* An enum's value table: names[i] is the wire string of value i. */
typedef struct nm_enum {
	const char *field;          /* default field name for error details */
	const char *const *names;
	int count;
} nm_enum_t;

extern const nm_enum_t nm_enum_neuron_type, nm_enum_synapse_type, nm_enum_direction,
	nm_enum_nb_dir, nm_enum_fiber_order, nm_enum_memory_type, nm_enum_confidence,
	nm_enum_engine_mode; /* "fixed", "compat": the values of nm_engine_mode_t (extract.h) */

/* Index of the n-byte name in e, or -1. Exact, case-sensitive. */
int nm_enum_parse(const nm_enum_t *e, const char *s, size_t n);
/* "a, b, c": the allowed values, for error details. Borrowed, static. */
const char *nm_enum_allowed(const nm_enum_t *e);

static inline const char *nm_neuron_type_name(nm_neuron_type_t t) { return nm_enum_neuron_type.names[t]; }
static inline const char *nm_synapse_type_name(nm_synapse_type_t t) { return nm_enum_synapse_type.names[t]; }
static inline const char *nm_direction_name(nm_direction_t d) { return nm_enum_direction.names[d]; }

/* Default direction of a new synapse of type t: bi for co_occurs,
 * related_to, similar_to, near; uni otherwise (PROTOCOL.md §1.6). */
nm_direction_t nm_synapse_default_direction(nm_synapse_type_t t);

/* ---- a set of strings kept in first-seen order ---- */

typedef struct nm_strv {
	char **v;     /* owned strings (or borrowed, in scan callbacks) */
	size_t n;
} nm_strv_t;

/* Append an owned copy of s unless already present (a linear check: for
 * short lists). */
void nm_strv_add(nm_strv_t *sv, const char *s);
/* Append s, taking ownership; no check (O(1)). */
void nm_strv_push(nm_strv_t *sv, char *s);
bool nm_strv_has(const nm_strv_t *sv, const char *s);
/* Same strings in the same order. */
bool nm_strv_eq(const nm_strv_t *a, const nm_strv_t *b);
void nm_strv_clear(nm_strv_t *sv);
void nm_strv_copy(nm_strv_t *dst, const nm_strv_t *src);
/* Pack into one owned blob "a\0b\0c\0" (*len bytes) and back: the storage
 * format of id and tag lists. nm_strv_unpack appends to sv. */
char *nm_strv_pack(const nm_strv_t *sv, size_t *len);
void nm_strv_unpack(nm_strv_t *sv, const char *blob, size_t len);

/* ---- objects ---- */

typedef struct nm_neuron {
	char *id;
	nm_neuron_type_t type;
	char *content;          /* may hold NUL bytes: use content_len */
	size_t content_len;
	char *metadata;         /* JSON object text */
	int64_t created_at;     /* µs, UTC */
} nm_neuron_t;

typedef struct nm_state {
	char *neuron_id;
	double activation_level;
	int64_t access_frequency;
	int64_t last_activated; /* NM_TIME_NONE = null */
	double decay_rate;
	int64_t created_at;
} nm_state_t;

typedef struct nm_synapse {
	char *id;
	char *source_id;
	char *target_id;
	nm_synapse_type_t type;
	double weight;
	nm_direction_t direction;
	char *metadata;
	int64_t reinforced_count;
	int64_t last_activated; /* NM_TIME_NONE = null */
	int64_t created_at;
} nm_synapse_t;

typedef struct nm_fiber {
	char *id;
	nm_strv_t neuron_ids;
	nm_strv_t synapse_ids;
	char *anchor_neuron_id;
	int64_t time_start;     /* NM_TIME_NONE = null */
	int64_t time_end;
	double coherence;
	double salience;
	int64_t frequency;
	char *summary;          /* NULL = null */
	nm_strv_t tags;
	char *metadata;
	int64_t created_at;
} nm_fiber_t;

typedef struct nm_config {
	double decay_rate;
	double reinforcement_delta;
	double activation_threshold;
	int64_t max_spread_hops;
	int64_t max_context_tokens;
	double default_synapse_weight;
	int engine_mode;          /* "fixed" 0 / "compat" 1 (extract.h); -1 = the daemon's default */
} nm_config_t;

/* The brain record (catalog): everything about a brain except its
 * contents. Counts and the contents' updated_at come from nm_stats_t. */
typedef struct nm_brain_rec {
	char *id;
	char *name;
	char *owner_id;          /* NULL = null */
	bool is_public;
	nm_strv_t shared_with;
	nm_config_t config;
	char *metadata;          /* JSON object text */
	int64_t created_at;
	int64_t updated_at;
	char *file;              /* backend storage name (sqlite: file stem); not on the wire */
} nm_brain_rec_t;

/* Live counts of a brain's contents. */
typedef struct nm_stats {
	int64_t neurons, synapses, fibers, typed_memories, projects;
	int64_t updated_at;      /* last commit that changed contents, or NM_TIME_NONE */
} nm_stats_t;

/* Default values (PROTOCOL.md §2). */
extern const nm_config_t nm_config_default;
#define NM_STATE_DEFAULT_DECAY 0.1
#define NM_SYNAPSE_DEFAULT_WEIGHT 0.5

void nm_neuron_clear(nm_neuron_t *n);
void nm_state_clear(nm_state_t *s);
void nm_synapse_clear(nm_synapse_t *s);
void nm_fiber_clear(nm_fiber_t *f);
void nm_brain_rec_clear(nm_brain_rec_t *b);
/* Deep copies into zero-initialised dst. */
void nm_neuron_copy(nm_neuron_t *dst, const nm_neuron_t *src);
void nm_synapse_copy(nm_synapse_t *dst, const nm_synapse_t *src);
void nm_fiber_copy(nm_fiber_t *dst, const nm_fiber_t *src);
void nm_brain_rec_copy(nm_brain_rec_t *dst, const nm_brain_rec_t *src);

/* Upstream Brain.can_access / can_write (PROTOCOL.md §6.5); principal NULL
 * means "no principal" (auth off is decided by the caller, not here). */
bool nm_brain_rec_can_read(const nm_brain_rec_t *b, const char *principal, bool admin);
bool nm_brain_rec_can_write(const nm_brain_rec_t *b, const char *principal, bool admin);

#endif
