/*
 * snapshot.c — export and import of whole brains (snapshot.h).
 *
 * (Export is snapshot_export.c.) Import keeps the decoded snapshot in
 * memory; the streaming variants come with NDJSON (PROTOCOL.md §6.4).
 *
 * Import rules (PROTOCOL.md §3.2): upsert by id — an existing neuron,
 * synapse or fiber with the same id is replaced whole, a new neuron gets a
 * default state; duplicate ids inside one array are 422; typed memories
 * whose fiber is not in the snapshot are dropped (upstream rule); snapshot
 * metadata other than typed_memories and projects is stored as is.
 */
#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "isotime.h"
#include "mem.h"

/* ---- import ---- */

typedef struct blob_item {
	char *key;
	int mtype;
	char *json;
} blob_item_t;

struct nm_snapshot {
	char *name;
	nm_config_t config;
	char *meta;                  /* metadata minus typed_memories/projects */
	nm_neuron_t *neurons;
	size_t nneurons;
	nm_synapse_t *synapses;
	size_t nsynapses;
	nm_fiber_t *fibers;
	size_t nfibers;
	blob_item_t *typed, *projects;
	size_t ntyped, nprojects;
	nm_hmap_t neuron_ids;        /* ids of snapshot neurons (keys borrowed from neurons[]) */
};

void nm_snapshot_free(nm_snapshot_t *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->meta);
	for (size_t i = 0; i < s->nneurons; i++)
		nm_neuron_clear(&s->neurons[i]);
	for (size_t i = 0; i < s->nsynapses; i++)
		nm_synapse_clear(&s->synapses[i]);
	for (size_t i = 0; i < s->nfibers; i++)
		nm_fiber_clear(&s->fibers[i]);
	blob_item_t *lists[2] = {s->typed, s->projects};
	size_t counts[2] = {s->ntyped, s->nprojects};
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < counts[l]; i++) {
			free(lists[l][i].key);
			free(lists[l][i].json);
		}
		free(lists[l]);
	}
	free(s->neurons);
	free(s->synapses);
	free(s->fibers);
	nm_hmap_free(&s->neuron_ids);
	free(s);
}

const char *nm_snapshot_name(const nm_snapshot_t *s)
{
	return s->name;
}

const nm_config_t *nm_snapshot_config(const nm_snapshot_t *s)
{
	return &s->config;
}

/* A required top-level member of the given JSON type. */
static const json_t *member(const json_t *root, const char *key, json_type type, const char *what, nm_err_t *err)
{
	const json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v)) {
		nm_err_set(err, NM_ST_INVALID, "%s: field required", key);
		return NULL;
	}
	if (json_typeof(v) != type) {
		nm_err_set(err, NM_ST_INVALID, "%s: must be %s", key, what);
		return NULL;
	}
	return v;
}

/* Decode every element of one array with `decode`; ids must be present
 * and unique within the array. */
typedef int (*decode_fn)(const json_t *, const nm_decode_opts_t *, void *, unsigned *, nm_err_t *);

static int decode_array(const json_t *arr, const char *name, const nm_decode_opts_t *base, size_t elem_size,
                        decode_fn decode, char *(*id_of)(void *), void **items, size_t *count, nm_err_t *err)
{
	size_t n = json_array_size(arr);
	char *v = nm_xcalloc(n ? n : 1, elem_size);
	*items = v;
	*count = 0;
	nm_hmap_t seen = {0};
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char prefix[64];
		snprintf(prefix, sizeof prefix, "%s[%zu].", name, i);
		const json_t *o = json_array_get(arr, i);
		nm_decode_opts_t opts = *base;
		opts.prefix = prefix;
		unsigned present;
		if (!json_is_object(o))
			rc = nm_err_set(err, NM_ST_INVALID, "%s[%zu]: must be an object", name, i);
		else if (!json_object_get(o, "id") || json_is_null(json_object_get(o, "id")))
			rc = nm_err_set(err, NM_ST_INVALID, "%sid: field required", prefix);
		else
			rc = decode(o, &opts, v + i * elem_size, &present, err);
		(*count)++; /* decoded (or partly decoded) items are freed by the caller */
		if (rc == 0) {
			char *id = id_of(v + i * elem_size);
			if (nm_hmap_get(&seen, id, strlen(id)))
				rc = nm_err_set(err, NM_ST_INVALID, "%sid: duplicate id %.*s", prefix, NM_ERR_STR(id, 255));
			else
				nm_hmap_put(&seen, id, strlen(id), (void *)1);
		}
	}
	nm_hmap_free(&seen);
	return rc;
}

static char *neuron_id(void *p) { return ((nm_neuron_t *)p)->id; }
static char *synapse_id(void *p) { return ((nm_synapse_t *)p)->id; }
static char *fiber_id(void *p) { return ((nm_fiber_t *)p)->id; }

/* typed_memories / projects inside metadata: objects with a string key
 * field; typed memories also need a valid memory_type. */
static int decode_blobs(const json_t *arr, const char *name, const char *keyfield, bool typed, blob_item_t **out,
                        size_t *count, nm_err_t *err)
{
	*out = NULL;
	*count = 0;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return nm_err_set(err, NM_ST_INVALID, "metadata.%s: must be an array", name);
	size_t n = json_array_size(arr);
	*out = nm_xcalloc(n ? n : 1, sizeof **out);
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(arr, i);
		const json_t *k = json_object_get(o, keyfield);
		if (!json_is_object(o) || !json_is_string(k) || !nm_id_valid(json_string_value(k), json_string_length(k)))
			return nm_err_set(err, NM_ST_INVALID, "metadata.%s[%zu].%s: must be a non-empty string", name, i,
			                  keyfield);
		int mtype = 0;
		if (typed) {
			const json_t *t = json_object_get(o, "memory_type");
			if (!json_is_string(t))
				return nm_err_set(err, NM_ST_INVALID, "metadata.%s[%zu].memory_type: must be a string", name, i);
			mtype = nm_enum_parse(&nm_enum_memory_type, json_string_value(t), json_string_length(t));
			if (mtype < 0)
				return nm_err_set(err, NM_ST_BAD_REQUEST, "metadata.%s[%zu].memory_type: unknown value '%.*s';"
				                  " allowed: %s", name, i, NM_ERR_STR(json_string_value(t), 60),
				                  nm_enum_allowed(&nm_enum_memory_type));
		}
		(*out)[*count].key = nm_xstrdup(json_string_value(k));
		(*out)[*count].mtype = mtype;
		(*out)[*count].json = nm_json_text(o);
		(*count)++;
	}
	return 0;
}

static int decode_head(const json_t *root, nm_snapshot_t *s, nm_err_t *err)
{
	const json_t *v;
	if (!(v = member(root, "brain_name", JSON_STRING, "a string", err)))
		return -NM_ST_INVALID;
	size_t len = json_string_length(v);
	if (len == 0 || memchr(json_string_value(v), 0, len))
		return nm_err_set(err, NM_ST_INVALID, "brain_name: must be a non-empty string");
	s->name = nm_xstrdup(json_string_value(v));
	int64_t t;
	if (!(v = member(root, "exported_at", JSON_STRING, "a datetime", err)))
		return -NM_ST_INVALID;
	if (nm_time_parse(json_string_value(v), json_string_length(v), &t))
		return nm_err_set(err, NM_ST_INVALID, "exported_at: invalid datetime");
	if (!member(root, "version", JSON_STRING, "a string", err))
		return -NM_ST_INVALID;
	return 0;
}

static int decode_meta(const json_t *root, nm_snapshot_t *s, nm_err_t *err)
{
	const json_t *meta = json_object_get(root, "metadata");
	if (meta && !json_is_null(meta) && !json_is_object(meta))
		return nm_err_set(err, NM_ST_INVALID, "metadata: must be an object");
	json_t *rest = json_object();
	const char *k;
	json_t *v;
	if (meta)
		json_object_foreach((json_t *)meta, k, v)
			if (strcmp(k, "typed_memories") != 0 && strcmp(k, "projects") != 0)
				json_object_set(rest, k, v);
	s->meta = nm_json_text(rest);
	json_decref(rest);
	int rc = decode_blobs(json_object_get(meta, "typed_memories"), "typed_memories", "fiber_id", true, &s->typed,
	                      &s->ntyped, err);
	if (rc == 0)
		rc = decode_blobs(json_object_get(meta, "projects"), "projects", "id", false, &s->projects,
		                  &s->nprojects, err);
	return rc;
}

int nm_snapshot_decode(const json_t *root, const nm_decode_opts_t *o, nm_snapshot_t **out, nm_err_t *err)
{
	nm_snapshot_t *s = nm_xcalloc(1, sizeof *s);
	nm_decode_opts_t base = *o;
	base.mode = NM_DECODE_CREATE;
	s->config = nm_config_default;
	const json_t *neurons, *synapses, *fibers, *config;
	int rc = decode_head(root, s, err);
	if (rc == 0 && !(neurons = member(root, "neurons", JSON_ARRAY, "an array", err)))
		rc = -NM_ST_INVALID;
	if (rc == 0 && !(synapses = member(root, "synapses", JSON_ARRAY, "an array", err)))
		rc = -NM_ST_INVALID;
	if (rc == 0 && !(fibers = member(root, "fibers", JSON_ARRAY, "an array", err)))
		rc = -NM_ST_INVALID;
	if (rc == 0 && !(config = member(root, "config", JSON_OBJECT, "an object", err)))
		rc = -NM_ST_INVALID;
	if (rc == 0)
		rc = nm_config_decode(config, "", &s->config, err);
	if (rc == 0)
		rc = decode_array(neurons, "neurons", &base, sizeof(nm_neuron_t), (decode_fn)nm_neuron_decode, neuron_id,
		                  (void **)&s->neurons, &s->nneurons, err);
	if (rc == 0)
		rc = decode_array(synapses, "synapses", &base, sizeof(nm_synapse_t), (decode_fn)nm_synapse_decode,
		                  synapse_id, (void **)&s->synapses, &s->nsynapses, err);
	if (rc == 0)
		rc = decode_array(fibers, "fibers", &base, sizeof(nm_fiber_t), (decode_fn)nm_fiber_decode, fiber_id,
		                  (void **)&s->fibers, &s->nfibers, err);
	if (rc == 0)
		rc = decode_meta(root, s, err);
	if (rc < 0) {
		nm_snapshot_free(s);
		return rc;
	}
	for (size_t i = 0; i < s->nneurons; i++)
		nm_hmap_put(&s->neuron_ids, s->neurons[i].id, strlen(s->neurons[i].id), (void *)1);
	*out = s;
	return 0;
}

/* Upsert helpers: update when the id exists, add otherwise. */
static int upsert_neuron(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err)
{
	int rc = nm_tx_neuron_exists(tx, n->id, err);
	if (rc < 0)
		return rc;
	return rc ? nm_tx_neuron_update(tx, n, err) : nm_tx_neuron_add(tx, n, err);
}

static int endpoint_known(nm_tx_t *tx, const nm_snapshot_t *s, const char *id, nm_err_t *err)
{
	if (nm_hmap_get(&s->neuron_ids, id, strlen(id)))
		return 1;
	return nm_tx_neuron_exists(tx, id, err);
}

/* Check synapse i's endpoints: in the snapshot, or (with tx) stored. */
static int check_endpoints(nm_tx_t *tx, const nm_snapshot_t *s, size_t i, nm_err_t *err)
{
	const nm_synapse_t *y = &s->synapses[i];
	const char *ends[2] = {y->source_id, y->target_id};
	const char *names[2] = {"source_id", "target_id"};
	for (int e = 0; e < 2; e++) {
		int rc = tx ? endpoint_known(tx, s, ends[e], err)
		            : nm_hmap_get(&s->neuron_ids, ends[e], strlen(ends[e])) != NULL;
		if (rc < 0)
			return rc;
		if (!rc)
			return nm_err_set(err, NM_ST_INVALID, "synapses[%zu].%s: neuron %.*s not found", i, names[e], NM_ERR_STR(ends[e], 255));
	}
	return 0;
}

int nm_snapshot_check_closed(const nm_snapshot_t *s, nm_err_t *err)
{
	for (size_t i = 0; i < s->nsynapses; i++) {
		int rc = check_endpoints(NULL, s, i, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Is there a stored synapse (or fiber) with this id? 1 yes, 0 no. */
static int stored(nm_tx_t *tx, const char *id, bool synapse, nm_err_t *err)
{
	nm_err_t e = {0};
	int rc;
	if (synapse) {
		nm_synapse_t cur = {0};
		rc = nm_tx_synapse_get(tx, id, &cur, &e);
		nm_synapse_clear(&cur);
	} else {
		nm_fiber_t cur = {0};
		rc = nm_tx_fiber_get(tx, id, &cur, &e);
		nm_fiber_clear(&cur);
	}
	if (rc == -NM_ST_NOT_FOUND)
		return 0;
	if (rc < 0) {
		if (err)
			*err = e;
		return rc;
	}
	return 1;
}

static int upsert_synapse(nm_tx_t *tx, const nm_snapshot_t *s, size_t i, nm_err_t *err)
{
	const nm_synapse_t *y = &s->synapses[i];
	int rc = check_endpoints(tx, s, i, err);
	if (rc < 0)
		return rc;
	if ((rc = stored(tx, y->id, true, err)) < 0)
		return rc;
	return rc ? nm_tx_synapse_update(tx, y, err) : nm_tx_synapse_add(tx, y, err);
}

static int upsert_fiber(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err)
{
	int rc = stored(tx, f->id, false, err);
	if (rc < 0)
		return rc;
	return rc ? nm_tx_fiber_update(tx, f, err) : nm_tx_fiber_add(tx, f, err);
}

int nm_snapshot_apply(nm_tx_t *tx, const nm_snapshot_t *s, nm_err_t *err)
{
	int rc = 0;
	for (size_t i = 0; i < s->nneurons && rc == 0; i++)
		rc = upsert_neuron(tx, &s->neurons[i], err);
	for (size_t i = 0; i < s->nsynapses && rc == 0; i++)
		rc = upsert_synapse(tx, s, i, err);
	nm_hmap_t fibers = {0};
	for (size_t i = 0; i < s->nfibers && rc == 0; i++) {
		rc = upsert_fiber(tx, &s->fibers[i], err);
		nm_hmap_put(&fibers, s->fibers[i].id, strlen(s->fibers[i].id), (void *)1);
	}
	for (size_t i = 0; i < s->ntyped && rc == 0; i++)
		if (nm_hmap_get(&fibers, s->typed[i].key, strlen(s->typed[i].key)))
			rc = nm_tx_typed_memory_put(tx, s->typed[i].key, (nm_memory_type_t)s->typed[i].mtype,
			                            s->typed[i].json, err);
	nm_hmap_free(&fibers);
	for (size_t i = 0; i < s->nprojects && rc == 0; i++)
		rc = nm_tx_project_put(tx, s->projects[i].key, s->projects[i].json, err);
	if (rc == 0)
		rc = nm_tx_meta_put(tx, s->meta, err);
	return rc;
}
