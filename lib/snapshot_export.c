/*
 * snapshot_export.c — a brain's snapshot as one JSON document (PROTOCOL.md
 * §2.8) or NDJSON lines (§6.4), written object by object as the backends
 * scan them (creation order), so memory stays constant: with a sink on the
 * writer, nothing but the object at hand and the writer's buffer is held.
 *
 * Both formats share one walk: sections (neurons, synapses, fibers, typed
 * memories, projects) of items; the format only decides the framing — an
 * array member, or a line with a "kind".
 *
 * Archived objects (archive.c) follow the live ones of their section,
 * flagged "archived": true (PROTOCOL.md §6.6).
 *
 * exclude_sensitive drops every neuron whose content upstream's export
 * would refuse (sensitive.h, severity ≥ 2), every synapse touching one,
 * their ids from fibers' neuron_ids/synapse_ids, and fibers anchored on
 * one (with their typed memories): a fiber needs its anchor. The sets of
 * dropped ids are the only memory that grows, with the secrets found.
 */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "lifecycle.h"
#include "mem.h"
#include "sensitive.h"

enum { S_NEURONS, S_SYNAPSES, S_FIBERS, S_TYPED, S_PROJECTS, S__COUNT };
static const char *const kinds[S__COUNT] = {"neuron", "synapse", "fiber", "typed_memory", "project"};

typedef struct exporter {
	nm_tx_t *tx;
	nm_jw_t *w;
	const nm_export_opts_t *o;
	int section;
	bool archived;                /* emitting archived objects (archive.c): flagged */
	int64_t counts[S__COUNT];
	nm_hmap_t drop[3];            /* exclude_sensitive: dropped neuron, synapse, fiber ids */
	nm_strv_t keys;               /* owns the ids the drop maps point to (scanned objects are borrowed) */
} exporter_t;

static bool dropped(const exporter_t *e, int s, const char *id)
{
	return nm_hmap_get(&e->drop[s], id, strlen(id)) != NULL;
}

static void drop(exporter_t *e, int s, const char *id)
{
	char *key = nm_xstrdup(id);
	nm_strv_push(&e->keys, key);
	nm_hmap_put(&e->drop[s], key, strlen(key), (void *)1);
}

static void section(exporter_t *e, int s, const char *key)
{
	e->section = s;
	if (e->o->ndjson)
		return;
	nm_jw_key(e->w, key);
	nm_jw_arr(e->w);
}

static void section_end(exporter_t *e)
{
	if (!e->o->ndjson)
		nm_jw_arr_end(e->w);
}

static void item(exporter_t *e)
{
	nm_jw_obj(e->w);
	if (e->o->ndjson) {
		nm_jw_key(e->w, "kind");
		nm_jw_str(e->w, kinds[e->section]);
	}
}

static int item_end(exporter_t *e)
{
	if (e->archived) {
		nm_jw_key(e->w, "archived");
		nm_jw_bool(e->w, true);
	}
	nm_jw_obj_end(e->w);
	if (e->o->ndjson)
		nm_jw_line(e->w);
	e->counts[e->section]++;
	return e->w->error;
}

static int put_neuron(void *arg, const nm_neuron_t *n)
{
	exporter_t *e = arg;
	if (e->o->exclude_sensitive && nm_sensitive_severity(n->content, n->content_len) >= 2) {
		drop(e, S_NEURONS, n->id);
		return 0;
	}
	item(e);
	nm_jw_neuron_fields(e->w, n);
	return item_end(e);
}

static int put_synapse(void *arg, const nm_synapse_t *s)
{
	exporter_t *e = arg;
	if (dropped(e, S_NEURONS, s->source_id) || dropped(e, S_NEURONS, s->target_id)) {
		drop(e, S_SYNAPSES, s->id);
		return 0;
	}
	item(e);
	nm_jw_synapse_fields(e->w, s);
	return item_end(e);
}

/* ids of v that are not dropped, into out (borrowed strings). */
static void kept(const exporter_t *e, int s, const nm_strv_t *v, nm_strv_t *out)
{
	out->n = 0;
	for (size_t i = 0; i < v->n; i++)
		if (!dropped(e, s, v->v[i]))
			out->v[out->n++] = v->v[i];
}

static int put_fiber(void *arg, const nm_fiber_t *f)
{
	exporter_t *e = arg;
	if (!e->o->exclude_sensitive) {
		item(e);
		nm_jw_fiber_fields(e->w, f);
		return item_end(e);
	}
	if (dropped(e, S_NEURONS, f->anchor_neuron_id)) {
		drop(e, S_FIBERS, f->id);
		return 0;
	}
	nm_fiber_t g = *f;
	char **nv = nm_xmalloc(sizeof *nv * (f->neuron_ids.n + 1)), **sv = nm_xmalloc(sizeof *sv * (f->synapse_ids.n + 1));
	g.neuron_ids.v = nv;
	g.synapse_ids.v = sv;
	kept(e, S_NEURONS, &f->neuron_ids, &g.neuron_ids);
	kept(e, S_SYNAPSES, &f->synapse_ids, &g.synapse_ids);
	item(e);
	nm_jw_fiber_fields(e->w, &g);
	free(nv);
	free(sv);
	return item_end(e);
}

static int put_blob(void *arg, const char *key, const char *json)
{
	exporter_t *e = arg;
	if (e->section == S_TYPED && dropped(e, S_FIBERS, key))
		return 0;
	if (!e->o->ndjson && !e->archived) {
		nm_jw_raw(e->w, json);
		e->counts[e->section]++;
		return e->w->error;
	}
	item(e);
	nm_jw_members(e->w, json);
	return item_end(e);
}

/* The brain's fields: the document's head, or the NDJSON "brain" line. */
static void head(exporter_t *e, const nm_brain_rec_t *rec)
{
	nm_jw_t *w = e->w;
	nm_jw_obj(w);
	if (e->o->ndjson) {
		nm_jw_key(w, "kind");
		nm_jw_str(w, "brain");
	}
	nm_jw_key(w, "brain_id");
	nm_jw_str(w, rec->id);
	nm_jw_key(w, "brain_name");
	nm_jw_str(w, rec->name);
	nm_jw_key(w, "exported_at");
	nm_jw_time(w, e->o->exported_at);
	nm_jw_key(w, "version");
	nm_jw_str(w, NM_SNAPSHOT_VERSION);
}

static void put_config_meta(exporter_t *e, const nm_brain_rec_t *rec, const char *meta)
{
	nm_jw_key(e->w, "config");
	nm_jw_config(e->w, &rec->config);
	nm_jw_key(e->w, "metadata");
	nm_jw_obj(e->w);
	nm_jw_members(e->w, meta);
}

static void end_line(exporter_t *e)
{
	static const char *const names[S__COUNT] = {"neuron_count", "synapse_count", "fiber_count",
	                                            "typed_memory_count", "project_count"};
	nm_jw_obj(e->w);
	nm_jw_key(e->w, "kind");
	nm_jw_str(e->w, "end");
	for (int i = 0; i < S__COUNT; i++) {
		nm_jw_key(e->w, names[i]);
		nm_jw_int(e->w, e->counts[i]);
	}
	nm_jw_obj_end(e->w);
	nm_jw_line(e->w);
}

/* Is there a live object with this id in the current section? (An id
 * archived and then created again: the live one is exported.) */
static bool live_twin(const exporter_t *e, const char *id)
{
	if (!id || e->section == S_TYPED)
		return false;
	if (e->section == S_NEURONS)
		return nm_tx_neuron_exists(e->tx, id, NULL) == 1;
	int rc;
	if (e->section == S_SYNAPSES) {
		nm_synapse_t y = {0};
		rc = nm_tx_synapse_get(e->tx, id, &y, NULL);
		nm_synapse_clear(&y);
	} else {
		nm_fiber_t f = {0};
		rc = nm_tx_fiber_get(e->tx, id, &f, NULL);
		nm_fiber_clear(&f);
	}
	return rc == 0;
}

/* An archived object, decoded back to its model struct so it is written
 * exactly like a live one (same number formatting), then flagged. */
static int put_archived(void *arg, const json_t *obj, const json_t *line)
{
	exporter_t *e = arg;
	if (live_twin(e, json_string_value(json_object_get(obj, "id"))))
		return 0;
	nm_decode_opts_t d = {.mode = NM_DECODE_CREATE, .prefix = "", .max_content_bytes = SIZE_MAX};
	unsigned present;
	nm_err_t err = {0};
	int rc = 0;
	if (e->section == S_NEURONS) {
		nm_neuron_t n = {0};
		if (nm_neuron_decode(obj, &d, &n, &present, &err) == 0)
			rc = put_neuron(e, &n);
		nm_neuron_clear(&n);
	} else if (e->section == S_SYNAPSES) {
		nm_synapse_t y = {0};
		if (nm_synapse_decode(obj, &d, &y, &present, &err) == 0)
			rc = put_synapse(e, &y);
		nm_synapse_clear(&y);
	} else if (e->section == S_FIBERS) {
		nm_fiber_t f = {0};
		if (nm_fiber_decode(obj, &d, &f, &present, &err) == 0)
			rc = put_fiber(e, &f);
		nm_fiber_clear(&f);
	} else {
		char *text = nm_json_text(obj);
		rc = put_blob(e, json_string_value(json_object_get(line, "fiber_id")), text);
		free(text);
	}
	return rc;
}

/* After a section's live objects: its archived ones. */
static int archived(nm_tx_t *tx, exporter_t *e, int rc, nm_err_t *err)
{
	if (rc != 0 || e->section > S_TYPED)
		return rc;
	e->archived = true;
	rc = nm_archive_each(tx, e->section, put_archived, e, err);
	e->archived = false;
	return rc;
}

static int walk(nm_tx_t *tx, exporter_t *e, nm_err_t *err)
{
	nm_neuron_filter_t nf = NM_NEURON_FILTER_INIT;
	nm_synapse_filter_t sf = NM_SYNAPSE_FILTER_INIT;
	nm_fiber_filter_t ff = NM_FIBER_FILTER_INIT;
	ff.order = NM_ORDER_INSERTION;
	ff.descending = false;
	int rc;
	section(e, S_NEURONS, "neurons");
	rc = archived(tx, e, nm_tx_neuron_scan(tx, &nf, put_neuron, e, err), err);
	section_end(e);
	section(e, S_SYNAPSES, "synapses");
	if (rc == 0)
		rc = archived(tx, e, nm_tx_synapse_scan(tx, &sf, put_synapse, e, err), err);
	section_end(e);
	section(e, S_FIBERS, "fibers");
	if (rc == 0)
		rc = archived(tx, e, nm_tx_fiber_scan(tx, &ff, put_fiber, e, err), err);
	section_end(e);
	return rc;
}

static int walk_blobs(nm_tx_t *tx, exporter_t *e, nm_err_t *err)
{
	section(e, S_TYPED, "typed_memories");
	int rc = archived(tx, e, nm_tx_typed_memory_scan(tx, put_blob, e, err), err);
	section_end(e);
	section(e, S_PROJECTS, "projects");
	if (rc == 0)
		rc = nm_tx_project_scan(tx, put_blob, e, err);
	section_end(e);
	return rc;
}

int nm_snapshot_export(nm_tx_t *tx, const nm_brain_rec_t *rec, const nm_export_opts_t *o, nm_jw_t *w,
                       nm_err_t *err)
{
	char *meta = NULL;
	int rc = nm_tx_meta_get(tx, &meta, err);
	if (rc < 0)
		return rc;
	exporter_t e = {.tx = tx, .w = w, .o = o};
	head(&e, rec);
	if (o->ndjson) { /* brain line, items, end line */
		put_config_meta(&e, rec, meta);
		nm_jw_obj_end(w);
		nm_jw_obj_end(w);
		nm_jw_line(w);
		rc = walk(tx, &e, err);
		if (rc == 0)
			rc = walk_blobs(tx, &e, err);
		if (rc == 0)
			end_line(&e);
	} else { /* one document: arrays, then config and metadata holding the blobs */
		rc = walk(tx, &e, err);
		put_config_meta(&e, rec, meta);
		if (rc == 0)
			rc = walk_blobs(tx, &e, err);
		nm_jw_obj_end(w);
		nm_jw_obj_end(w);
	}
	free(meta);
	for (int i = 0; i < 3; i++)
		nm_hmap_free(&e.drop[i]);
	nm_strv_clear(&e.keys);
	if (rc > 0 || w->error) /* the sink failed (client gone): a scan stopped */
		return nm_err_set(err, NM_ST_UNAVAILABLE, "export interrupted");
	return rc;
}
