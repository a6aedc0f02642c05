/*
 * snapshot.c — import of a brain snapshot, streamed (snapshot.h).
 *
 * The reader walks the input with the incremental scanner (jsonscan.h):
 * each element of neurons, synapses, fibers, typed memories and projects
 * is parsed alone, validated like the POST of that object (codec.h) and
 * upserted at once in the caller's write transaction. Sections must be
 * applied in that order (a synapse needs its endpoints, a typed memory its
 * fiber); NDJSON guarantees it (§6.4: out of order is 422), and a JSON
 * document whose members come in another order has the early elements of
 * a later section buffered until their turn — only then does memory grow
 * with the input.
 *
 * Import rules (PROTOCOL.md §3.2): upsert by id — an existing neuron,
 * synapse or fiber with the same id is replaced whole, a new neuron gets a
 * default state; duplicate ids inside one section are 422 (checked by
 * fingerprint, idset.h); typed memories whose fiber is not in the snapshot
 * are dropped (upstream rule); snapshot metadata other than typed_memories
 * and projects is stored as is.
 */
#include "snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idset.h"
#include "isotime.h"
#include "lifecycle.h"
#include "mem.h"

static const char *const section_names[NM_SNAP__COUNT] = {"neurons", "synapses", "fibers", "typed_memories",
                                                          "projects"};
static const char *const kinds[NM_SNAP__COUNT] = {"neuron", "synapse", "fiber", "typed_memory", "project"};

/* Required members of a JSON document (bit per name). */
enum { R_NAME = 1, R_EXPORTED = 2, R_VERSION = 4, R_CONFIG = 8, R_NEURONS = 16, R_SYNAPSES = 32, R_FIBERS = 64 };

typedef struct pending {
	json_t **v;
	size_t n, cap;
} pending_t;

typedef struct importer {
	nm_tx_t *tx;
	const nm_import_opts_t *o;
	nm_import_result_t *res;
	nm_jscan_t *scan;
	nm_idset_t ids[3];            /* neurons, synapses, fibers of the snapshot */
	int64_t index[NM_SNAP__COUNT]; /* elements read per section (JSON error positions) */
	int applied;                  /* sections 0..applied-1 are complete and applied */
	bool read[NM_SNAP__COUNT];    /* JSON: the section's array has been read */
	pending_t pending[NM_SNAP__COUNT]; /* JSON: elements read before their turn */
	unsigned have;                /* R_* seen */
	json_t *meta;                 /* metadata minus typed_memories / projects */
	int64_t elements;
	nm_archive_writer_t *aw;      /* elements marked "archived": true go here (archive.c) */
} importer_t;

/* ---- one element ----
 *
 * Upserts try the insert first and update on 409: an import into a new
 * or empty brain — the common case — costs one storage call per element
 * (one round trip on postgres) instead of a look-up and an insert. A
 * refused insert changes nothing in any backend. */

static int upsert_neuron(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err)
{
	nm_err_t e = {0};
	int rc = nm_tx_neuron_add(tx, n, &e);
	if (rc == -NM_ST_CONFLICT)
		return nm_tx_neuron_update(tx, n, err);
	if (rc < 0)
		*err = e;
	return rc;
}

static int upsert_synapse(nm_tx_t *tx, const nm_synapse_t *y, const char *prefix, nm_err_t *err)
{
	nm_err_t e = {0};
	int rc = nm_tx_synapse_add(tx, y, &e);
	if (rc == 0)
		return 0;
	if (rc != -NM_ST_CONFLICT && rc != -NM_ST_INVALID) {
		*err = e;
		return rc;
	}
	/* a missing endpoint, named as the import reports it; else the id exists */
	const char *ends[2] = {y->source_id, y->target_id}, *names[2] = {"source_id", "target_id"};
	for (int i = 0; i < 2; i++) {
		int found = nm_tx_neuron_exists(tx, ends[i], err);
		if (found < 0)
			return found;
		if (!found)
			return nm_err_set(err, NM_ST_INVALID, "%s%s: neuron %.*s not found", prefix, names[i],
			                  NM_ERR_STR(ends[i], 255));
	}
	return nm_tx_synapse_update(tx, y, err);
}

static int upsert_fiber(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err)
{
	nm_err_t e = {0};
	int rc = nm_tx_fiber_add(tx, f, &e);
	if (rc == -NM_ST_CONFLICT)
		return nm_tx_fiber_update(tx, f, err);
	if (rc < 0)
		*err = e;
	return rc;
}

/* A decoded object's id must be new to its section. */
static int first_time(importer_t *im, int s, const char *id, const char *prefix, nm_err_t *err)
{
	if (nm_idset_add(&im->ids[s], id, strlen(id)))
		return 0;
	return nm_err_set(err, NM_ST_INVALID, "%sid: duplicate id %.*s", prefix, NM_ERR_STR(id, 255));
}

/* An element marked "archived": true goes into the archive, not the live
 * tables (PROTOCOL.md §6.6); a synapse's endpoints may be archived too. */
static bool is_archived(const json_t *o)
{
	return json_is_true(json_object_get(o, "archived"));
}

static nm_archive_writer_t *writer(importer_t *im, nm_err_t *err)
{
	if (!im->aw)
		im->aw = nm_archive_writer_new(im->tx, err);
	return im->aw;
}

static int endpoint_known(importer_t *im, const char *id, nm_err_t *err)
{
	if (nm_idset_has(&im->ids[NM_SNAP_NEURONS], id, strlen(id)) || nm_archive_has(im->tx, NM_SNAP_NEURONS, id))
		return 1;
	return nm_tx_neuron_exists(im->tx, id, err);
}

static int archive_model(importer_t *im, int s, void *obj, const char *prefix, nm_err_t *err)
{
	nm_archive_writer_t *w = writer(im, err);
	if (!w)
		return -NM_ST_INTERNAL;
	if (s == NM_SNAP_NEURONS)
		return nm_archive_writer_neuron(w, obj, err);
	if (s == NM_SNAP_FIBERS)
		return nm_archive_writer_fiber(w, obj, err);
	const nm_synapse_t *y = obj;
	const char *ends[2] = {y->source_id, y->target_id}, *names[2] = {"source_id", "target_id"};
	for (int e = 0; e < 2; e++) {
		int rc = endpoint_known(im, ends[e], err);
		if (rc < 0)
			return rc;
		if (!rc)
			return nm_err_set(err, NM_ST_INVALID, "%s%s: neuron %.*s not found", prefix, names[e],
			                  NM_ERR_STR(ends[e], 255));
	}
	return nm_archive_writer_synapse(w, y, err);
}

static int model_element(importer_t *im, int s, const json_t *o, const char *prefix, nm_err_t *err)
{
	nm_decode_opts_t d = im->o->decode;
	d.mode = NM_DECODE_CREATE;
	d.prefix = prefix;
	unsigned present;
	const json_t *id = json_object_get(o, "id");
	if (!id || json_is_null(id))
		return nm_err_set(err, NM_ST_INVALID, "%sid: field required", prefix);
	int rc;
	bool archived = is_archived(o);
	if (s == NM_SNAP_NEURONS) {
		nm_neuron_t n = {0};
		if ((rc = nm_neuron_decode(o, &d, &n, &present, err)) == 0 && (rc = first_time(im, s, n.id, prefix, err)) == 0)
			rc = archived ? archive_model(im, s, &n, prefix, err) : upsert_neuron(im->tx, &n, err);
		nm_neuron_clear(&n);
	} else if (s == NM_SNAP_SYNAPSES) {
		nm_synapse_t y = {0};
		if ((rc = nm_synapse_decode(o, &d, &y, &present, err)) == 0 &&
		    (rc = first_time(im, s, y.id, prefix, err)) == 0)
			rc = archived ? archive_model(im, s, &y, prefix, err) : upsert_synapse(im->tx, &y, prefix, err);
		nm_synapse_clear(&y);
	} else {
		nm_fiber_t f = {0};
		if ((rc = nm_fiber_decode(o, &d, &f, &present, err)) == 0 && (rc = first_time(im, s, f.id, prefix, err)) == 0)
			rc = archived ? archive_model(im, s, &f, prefix, err) : upsert_fiber(im->tx, &f, err);
		nm_fiber_clear(&f);
	}
	return rc;
}

/* A typed memory (keyed by fiber_id, with a valid memory_type) or a
 * project (keyed by id), stored as its JSON text without "kind". */
static int blob_element(importer_t *im, int s, const json_t *o, const char *prefix, nm_err_t *err)
{
	const char *keyfield = s == NM_SNAP_TYPED ? "fiber_id" : "id";
	const json_t *k = json_object_get(o, keyfield);
	if (!json_is_string(k) || !nm_id_valid(json_string_value(k), json_string_length(k)))
		return nm_err_set(err, NM_ST_INVALID, "%s%s: must be a non-empty string", prefix, keyfield);
	const char *key = json_string_value(k);
	json_t *copy = json_copy((json_t *)o);
	json_object_del(copy, "kind");
	json_object_del(copy, "archived");
	char *text = nm_json_text(copy);
	json_decref(copy);
	int rc = 0;
	if (s == NM_SNAP_PROJECTS) {
		rc = nm_tx_project_put(im->tx, key, text, err);
		im->res->counts[s]++;
	} else {
		const json_t *t = json_object_get(o, "memory_type");
		int mtype = json_is_string(t) ? nm_enum_parse(&nm_enum_memory_type, json_string_value(t),
		                                              json_string_length(t)) : -2;
		if (mtype == -2)
			rc = nm_err_set(err, NM_ST_INVALID, "%smemory_type: must be a string", prefix);
		else if (mtype < 0)
			rc = nm_err_set(err, NM_ST_BAD_REQUEST, "%smemory_type: unknown value '%.*s'; allowed: %s", prefix,
			                NM_ERR_STR(json_string_value(t), 60), nm_enum_allowed(&nm_enum_memory_type));
		else if (nm_idset_has(&im->ids[NM_SNAP_FIBERS], key, strlen(key))) {
			nm_archive_writer_t *w = is_archived(o) ? writer(im, err) : NULL;
			if (is_archived(o))
				rc = w ? nm_archive_writer_typed(w, key, text, err) : -NM_ST_INTERNAL;
			else
				rc = nm_tx_typed_memory_put(im->tx, key, (nm_memory_type_t)mtype, text, err);
			im->res->counts[s]++;
		}
	}
	free(text);
	return rc;
}

/* Validate and apply one element of section s; where is its position
 * ("neurons[3]" or "line 5") for error details. */
static int element(importer_t *im, int s, const json_t *o, const char *where, nm_err_t *err)
{
	char prefix[96];
	snprintf(prefix, sizeof prefix, im->o->ndjson ? "%s: " : "%s.", where);
	if (!json_is_object(o))
		return nm_err_set(err, NM_ST_INVALID, "%s: must be an object", where);
	int rc = s <= NM_SNAP_FIBERS ? model_element(im, s, o, prefix, err) : blob_element(im, s, o, prefix, err);
	if (rc == 0 && s <= NM_SNAP_FIBERS)
		im->res->counts[s]++;
	if (rc == 0 && ++im->elements % 100000 == 0 && im->o->progress)
		im->o->progress(im->o->progress_arg, im->elements);
	return rc;
}

/* ---- the document's head: brain_name, exported_at, version, config ---- */

static int head_member(importer_t *im, const char *key, const json_t *v, nm_err_t *err)
{
	int64_t t;
	if (strcmp(key, "brain_name") == 0) {
		if (!json_is_string(v) || !json_string_length(v) || memchr(json_string_value(v), 0, json_string_length(v)))
			return nm_err_set(err, NM_ST_INVALID, "brain_name: must be a non-empty string");
		free(im->res->name);
		im->res->name = nm_xstrdup(json_string_value(v));
		im->have |= R_NAME;
	} else if (strcmp(key, "exported_at") == 0) {
		if (!json_is_string(v) || nm_time_parse(json_string_value(v), json_string_length(v), &t))
			return nm_err_set(err, NM_ST_INVALID, "exported_at: invalid datetime");
		im->have |= R_EXPORTED;
	} else if (strcmp(key, "version") == 0) {
		if (!json_is_string(v))
			return nm_err_set(err, NM_ST_INVALID, "version: must be a string");
		im->have |= R_VERSION;
	} else if (strcmp(key, "config") == 0) {
		if (!json_is_object(v))
			return nm_err_set(err, NM_ST_INVALID, "config: must be an object");
		im->have |= R_CONFIG;
		return nm_config_decode(v, "", &im->res->config, err);
	}
	return 0;
}

/* The first missing required member, as a 422. */
static int require(const importer_t *im, unsigned need, nm_err_t *err)
{
	static const char *const names[] = {"brain_name", "exported_at", "version", "config", "neurons", "synapses",
	                                    "fibers"};
	for (int i = 0; i < 7; i++)
		if ((need & (1u << i)) && !(im->have & (1u << i)))
			return nm_err_set(err, NM_ST_INVALID, "%s: field required", names[i]);
	return 0;
}

/* Snapshot metadata besides typed_memories and projects. */
static void keep_meta(importer_t *im, const char *key, json_t *v)
{
	if (!im->meta)
		im->meta = json_object();
	json_object_set(im->meta, key, v);
}

/* ---- JSON documents ---- */

/* Apply the pending elements of every section whose turn has come. */
static int advance(importer_t *im, nm_err_t *err)
{
	while (im->applied < NM_SNAP__COUNT && im->read[im->applied]) {
		int s = im->applied;
		pending_t *p = &im->pending[s];
		for (size_t i = 0; i < p->n; i++) {
			char where[64];
			snprintf(where, sizeof where, "%s[%zu]", section_names[s], i);
			int rc = element(im, s, p->v[i], where, err);
			if (rc < 0)
				return rc;
		}
		for (size_t i = 0; i < p->n; i++)
			json_decref(p->v[i]);
		free(p->v);
		*p = (pending_t){0};
		im->applied++;
	}
	return 0;
}

/* An array member naming section s: apply its elements as they come when
 * it is their turn, else keep them for advance(). */
static int json_section(importer_t *im, int s, nm_err_t *err)
{
	if (im->read[s])
		return nm_err_set(err, NM_ST_INVALID, "%s: duplicate member", section_names[s]);
	if (nm_jscan_peek(im->scan, err) != '[')
		return nm_err_set(err, NM_ST_INVALID, "%s: must be an array", section_names[s]);
	int rc = nm_jscan_arr_begin(im->scan, err);
	while (rc == 0 && (rc = nm_jscan_arr_next(im->scan, err)) == 1) {
		json_t *v;
		if ((rc = nm_jscan_value(im->scan, &v, err)) < 0)
			break;
		if (im->applied == s) {
			char where[64];
			snprintf(where, sizeof where, "%s[%lld]", section_names[s], (long long)im->index[s]);
			rc = element(im, s, v, where, err);
			json_decref(v);
		} else {
			pending_t *p = &im->pending[s];
			if (p->n == p->cap) {
				p->cap = p->cap ? p->cap * 2 : 256;
				p->v = nm_xrealloc(p->v, sizeof *p->v * p->cap);
			}
			p->v[p->n++] = v;
		}
		im->index[s]++;
	}
	if (rc < 0)
		return rc;
	im->read[s] = true;
	return advance(im, err);
}

static int json_metadata(importer_t *im, nm_err_t *err)
{
	if (nm_jscan_peek(im->scan, err) == 'n') { /* null: no metadata */
		json_t *v;
		int rc = nm_jscan_value(im->scan, &v, err);
		json_decref(v);
		return rc;
	}
	if (nm_jscan_peek(im->scan, err) != '{')
		return nm_err_set(err, NM_ST_INVALID, "metadata: must be an object");
	const char *key;
	int rc = nm_jscan_obj_begin(im->scan, err);
	while (rc == 0 && (rc = nm_jscan_obj_next(im->scan, &key, err)) == 1) {
		if (strcmp(key, "typed_memories") == 0 || strcmp(key, "projects") == 0) {
			int s = key[0] == 't' ? NM_SNAP_TYPED : NM_SNAP_PROJECTS;
			if (nm_jscan_peek(im->scan, err) == 'n') {
				json_t *v;
				rc = nm_jscan_value(im->scan, &v, err);
				json_decref(v);
				continue;
			}
			rc = json_section(im, s, err);
			continue;
		}
		char *k = nm_xstrdup(key);
		json_t *v;
		if ((rc = nm_jscan_value(im->scan, &v, err)) == 0)
			keep_meta(im, k, v);
		json_decref(v);
		free(k);
	}
	return rc < 0 ? rc : 0;
}

static int import_json(importer_t *im, nm_err_t *err)
{
	const char *key;
	if (nm_jscan_peek(im->scan, err) != '{')
		return nm_err_set(err, NM_ST_INVALID, "body: must be a JSON object");
	int rc = nm_jscan_obj_begin(im->scan, err);
	while (rc == 0 && (rc = nm_jscan_obj_next(im->scan, &key, err)) == 1) {
		int s = -1;
		for (int i = 0; i <= NM_SNAP_FIBERS; i++)
			if (strcmp(key, section_names[i]) == 0)
				s = i;
		if (s >= 0) {
			im->have |= R_NEURONS << s;
			rc = json_section(im, s, err);
		} else if (strcmp(key, "metadata") == 0) {
			rc = json_metadata(im, err);
		} else {
			char *k = nm_xstrdup(key);
			json_t *v;
			if ((rc = nm_jscan_value(im->scan, &v, err)) == 0)
				rc = head_member(im, k, v, err);
			json_decref(v);
			free(k);
		}
	}
	if (rc < 0 || (rc = nm_jscan_end(im->scan, err)) < 0)
		return rc;
	if ((rc = require(im, R_NAME | R_EXPORTED | R_VERSION | R_NEURONS | R_SYNAPSES | R_FIBERS | R_CONFIG, err)) < 0)
		return rc;
	im->read[NM_SNAP_TYPED] = im->read[NM_SNAP_PROJECTS] = true; /* optional */
	return advance(im, err);
}

/* ---- NDJSON ---- */

/* Prefix err's detail with the current line: "line 3: <detail>". */
static int at_line(const importer_t *im, nm_err_t *err)
{
	char detail[sizeof err->detail];
	snprintf(detail, sizeof detail, "%s", err->detail);
	return nm_err_set(err, err->status, "line %lld: %s", (long long)nm_jscan_lineno(im->scan), detail);
}

static int brain_line(importer_t *im, json_t *o, nm_err_t *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		if (strcmp(key, "metadata") == 0) {
			if (json_is_null(v))
				continue;
			if (!json_is_object(v))
				return nm_err_set(err, NM_ST_INVALID, "line %lld: metadata: must be an object",
				                  (long long)nm_jscan_lineno(im->scan));
			const char *mk;
			json_t *mv;
			json_object_foreach(v, mk, mv)
				if (strcmp(mk, "typed_memories") != 0 && strcmp(mk, "projects") != 0)
					keep_meta(im, mk, mv);
			continue;
		}
		if (head_member(im, key, v, err) < 0)
			return at_line(im, err);
	}
	return require(im, R_NAME | R_EXPORTED | R_VERSION | R_CONFIG, err) < 0 ? at_line(im, err) : 0;
}

/* The end line's counts must be those of the lines received. */
static int end_line(importer_t *im, json_t *o, nm_err_t *err)
{
	static const char *const names[NM_SNAP__COUNT] = {"neuron_count", "synapse_count", "fiber_count",
	                                                  "typed_memory_count", "project_count"};
	for (int s = 0; s < NM_SNAP__COUNT; s++) {
		const json_t *c = json_object_get(o, names[s]);
		if (!json_is_integer(c) || json_integer_value(c) != im->index[s])
			return nm_err_set(err, NM_ST_INVALID, "truncated or inconsistent stream: end line %s is %s, %lld %s"
			                  " line(s) received", names[s], json_is_integer(c) ? "different" : "missing",
			                  (long long)im->index[s], kinds[s]);
	}
	return 0;
}

static int kind_of(const char *k)
{
	for (int s = 0; s < NM_SNAP__COUNT; s++)
		if (strcmp(k, kinds[s]) == 0)
			return s;
	return strcmp(k, "brain") == 0 ? -1 : strcmp(k, "end") == 0 ? NM_SNAP__COUNT : -2;
}

static int ndjson_line(importer_t *im, const char *line, size_t len, bool *ended, nm_err_t *err)
{
	long long n = (long long)nm_jscan_lineno(im->scan);
	if (*ended)
		return nm_err_set(err, NM_ST_INVALID, "line %lld: data after the end line", n);
	json_error_t je;
	json_t *o = json_loadb(line, len, JSON_ALLOW_NUL, &je);
	if (!o)
		return nm_err_set(err, NM_ST_INVALID, "line %lld: invalid JSON: %s", n, je.text);
	const json_t *k = json_object_get(o, "kind");
	int rc = 0, s = json_is_string(k) ? kind_of(json_string_value(k)) : -3;
	bool first = !(im->have & R_NAME);
	if (!json_is_object(o) || s == -3)
		rc = nm_err_set(err, NM_ST_INVALID, "line %lld: an object with a string \"kind\" is required", n);
	else if (s == -2)
		rc = nm_err_set(err, NM_ST_INVALID, "line %lld: unknown kind '%.*s'", n, NM_ERR_STR(json_string_value(k), 40));
	else if (first != (s == -1))
		rc = nm_err_set(err, NM_ST_INVALID, first ? "line %lld: the first line must be kind \"brain\""
		                                          : "line %lld: a second \"brain\" line", n);
	else if (s == -1)
		rc = brain_line(im, o, err);
	else if (s < im->applied)
		rc = nm_err_set(err, NM_ST_INVALID, "line %lld: '%s' line out of order (after '%s' lines)", n, kinds[s],
		                kinds[im->applied]);
	else if (s == NM_SNAP__COUNT) {
		rc = end_line(im, o, err);
		*ended = true;
	} else {
		char where[32];
		snprintf(where, sizeof where, "line %lld", n);
		im->applied = s;
		im->index[s]++;
		rc = element(im, s, o, where, err);
	}
	json_decref(o);
	return rc;
}

static int import_ndjson(importer_t *im, nm_err_t *err)
{
	const char *line;
	size_t len;
	bool ended = false;
	int rc;
	while ((rc = nm_jscan_line(im->scan, &line, &len, err)) == 1) {
		while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			len--;
		if (len && (rc = ndjson_line(im, line, len, &ended, err)) < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (!ended)
		return nm_err_set(err, NM_ST_INVALID, "truncated or inconsistent stream: no end line");
	return 0;
}

/* ---- entry ---- */

int nm_snapshot_import(nm_tx_t *tx, nm_reader_t rd, const nm_import_opts_t *o, nm_import_result_t *out,
                       nm_err_t *err)
{
	memset(out, 0, sizeof *out);
	out->config = nm_config_default;
	importer_t im = {.tx = tx, .o = o, .res = out};
	im.scan = nm_jscan_new(rd, o->max_value, o->max_depth);
	int rc = o->ndjson ? import_ndjson(&im, err) : import_json(&im, err);
	if (rc == 0) {
		char *meta = im.meta ? nm_json_text(im.meta) : nm_xstrdup("{}");
		rc = nm_tx_meta_put(tx, meta, err);
		free(meta);
	}
	if (rc == 0)
		rc = nm_archive_writer_end(im.aw, err);
	else
		nm_archive_writer_end(im.aw, NULL);
	nm_jscan_free(im.scan);
	for (int i = 0; i < 3; i++)
		nm_idset_free(&im.ids[i]);
	for (int s = 0; s < NM_SNAP__COUNT; s++) {
		for (size_t i = 0; i < im.pending[s].n; i++)
			json_decref(im.pending[s].v[i]);
		free(im.pending[s].v);
	}
	json_decref(im.meta);
	return rc < 0 ? rc : 0;
}

int nm_import_take_name_config(nm_brain_rec_t *rec, void *arg, nm_err_t *err)
{
	const nm_import_result_t *res = arg;
	free(rec->name);
	rec->name = nm_xstrdup(res->name);
	rec->config = res->config;
	return 0;
}

void nm_import_result_clear(nm_import_result_t *r)
{
	free(r->name);
	memset(r, 0, sizeof *r);
}
