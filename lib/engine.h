/*
 * engine.h — the NeuralMemory engine (ENGINE.md): encode a memory into a
 * brain, and answer a query by spreading activation.
 *
 * The engine works inside a transaction of the caller (encode: the brain's
 * write transaction, so its look-up-then-create decisions are atomic;
 * query: a read transaction) and reaches the graph through graph.h.
 * Two modes (ENGINE.md §0): NM_MODE_COMPAT reproduces NeuralMemory v0.5.0
 * exactly, NM_MODE_FIXED (default) repairs the defects of §8 and ranks
 * with lexical + graph + time fusion (§10). Thread-safe: all state lives
 * in the call.
 */
#ifndef NM_ENGINE_H
#define NM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "activate.h"
#include "extract.h"
#include "model.h"
#include "store.h"

/* Deterministic hooks for parity tests (ENGINE.md §7.1): a frozen wall
 * clock and counter ids "00000000-0000-0000-0000-%012x" per brain. */
typedef struct nm_engine_env {
	int64_t frozen_clock;     /* NM_TIME_NONE: the real clock */
	bool counter_ids;
} nm_engine_env_t;

typedef struct nm_engine {
	nm_engine_mode_t mode;
	nm_config_t config;       /* the brain's config */
	const nm_engine_env_t *env; /* may be NULL */
} nm_engine_t;

/* ---- encode (ENGINE.md §2) ---- */

typedef struct nm_encode_in {
	const char *content;
	size_t content_len;
	int64_t timestamp;        /* NM_TIME_NONE: now */
	const char *metadata;     /* JSON object text, or NULL */
	const nm_strv_t *tags;    /* or NULL */
} nm_encode_in_t;

typedef struct nm_encode_out {
	char *fiber_id;           /* owned */
	int64_t neurons_created;
	int64_t neurons_linked;
	int64_t synapses_created;
} nm_encode_out_t;

/* Encode one memory in the write transaction tx. */
int nm_encode(nm_tx_t *tx, const nm_engine_t *eng, const nm_encode_in_t *in, nm_encode_out_t *out, nm_err_t *err);
void nm_encode_out_clear(nm_encode_out_t *o);

/* ---- query (ENGINE.md §4) ---- */

typedef struct nm_query_in {
	const char *query;
	size_t query_len;
	int depth;                /* 0..3, or -1 to detect */
	int64_t max_tokens;       /* <= 0: the brain's max_context_tokens */
	int64_t reference_time;   /* NM_TIME_NONE: now */
	bool include_subgraph;
} nm_query_in_t;

typedef struct nm_query_out {
	char *answer;             /* NULL = null; may hold NUL bytes: answer_len */
	size_t answer_len;
	double confidence;
	int depth_used;
	int64_t neurons_activated;
	nm_strv_t fibers_matched;
	char *context;            /* context_len bytes (content may hold NUL) */
	size_t context_len;
	nm_intent_t intent;
	int64_t anchors_found;
	int64_t intersections;
	bool has_subgraph;        /* include_subgraph asked: the lists below go out on the wire */
	/* subgraph: lists keep duplicates and order, so plain arrays */
	char **sub_neurons, **sub_synapses, **sub_anchors;
	size_t n_sub_neurons, n_sub_synapses, n_sub_anchors;
	double *sub_levels;       /* activation of each sub_neurons[i] */
	nm_act_stats_t activation; /* what spreading activation walked */
	double activation_ms;     /* time it took */
	/* fixed mode fills the subgraph lists even when not asked for them:
	 * they are what nm_reinforce strengthens */
} nm_query_out_t;

int nm_query(nm_tx_t *tx, const nm_engine_t *eng, const nm_query_in_t *in, nm_query_out_t *out, nm_err_t *err);
void nm_query_out_clear(nm_query_out_t *o);

/* Reinforcement on read (fixed mode, ENGINE.md §6.4, D13, D17): in the
 * write transaction tx, every neuron of q's subgraph gets level
 * min(1, level + reinforcement_delta), access_frequency + 1 and
 * last_activated now; every synapse of it weight min(1, w + delta),
 * reinforced_count + 1, last_activated now; every matched fiber
 * frequency + 1. Objects deleted since the query are skipped. */
int nm_reinforce(nm_tx_t *tx, const nm_engine_t *eng, const nm_query_out_t *q, nm_err_t *err);

/* The engine's clock (frozen or real). */
int64_t nm_engine_now(const nm_engine_t *eng);

#endif
