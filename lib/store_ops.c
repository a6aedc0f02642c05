/*
 * store_ops.c — nm_tx_* data operations (store.h): dispatch to the
 * transaction's backend. Write operations refuse read transactions and
 * count the objects they change (for the rows-written metric). Functions
 * are in the order of store.h.
 */
#include "internal.h"

#include <stdlib.h>

#include "gindex.h"
#include "text.h"

static int read_only(nm_err_t *err)
{
	return nm_err_set(err, NM_ST_INTERNAL, "Internal error: write in a read transaction");
}

/* A changed object, for the graph index (replayed after the commit). */
static int noted(nm_tx_t *tx, int rc, char kind, const char *id)
{
	if (rc == 0 && tx->gx_log)
		nm__gx_log_note(tx->gx_log, kind, id);
	return rc;
}

int nm_tx_neuron_add(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->neuron_add(tx, n, err);
	if (rc == 0)
		tx->rows++;
	return noted(tx, rc, 'n', n->id);
}

int nm_tx_neuron_get(nm_tx_t *tx, const char *id, nm_neuron_t *out, nm_err_t *err)
{
	return tx->be->neuron_get(tx, id, out, err);
}

int nm_tx_neuron_update(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->neuron_update(tx, n, err);
	if (rc == 0)
		tx->rows++;
	return noted(tx, rc, 'n', n->id);
}

/* The synapses a neuron delete takes with it, for the change log. */
static int note_synapse(void *arg, const nm_synapse_t *s)
{
	nm__gx_log_note(arg, 'S', s->id);
	return 0;
}

int nm_tx_neuron_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	if (tx->gx_log && !tx->gx_log->rebuild) {
		nm_synapse_filter_t f = NM_SYNAPSE_FILTER_INIT;
		f.source_id = id;
		tx->be->synapse_scan(tx, &f, note_synapse, tx->gx_log, NULL);
		f.source_id = NULL;
		f.target_id = id;
		tx->be->synapse_scan(tx, &f, note_synapse, tx->gx_log, NULL);
	}
	int rc = tx->be->neuron_delete(tx, id, err);
	if (rc == 0)
		tx->rows++;
	return noted(tx, rc, 'N', id);
}

int nm_tx_neuron_exists(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	return tx->be->neuron_exists(tx, id, err);
}

int nm_tx_neuron_scan(nm_tx_t *tx, const nm_neuron_filter_t *f, nm_neuron_cb cb, void *arg, nm_err_t *err)
{
	if (!f->contains && !f->key)
		return tx->be->neuron_scan(tx, f, cb, arg, err);
	/* Backends compare with lower(content) and key(content): normalise
	 * the needles once here. */
	nm_neuron_filter_t q = *f;
	char *low = NULL, *key = NULL;
	if (f->contains && !(low = nm_utf8_lower(f->contains, f->contains_len, &q.contains_len)))
		return nm_err_set(err, NM_ST_INVALID, "content_contains: invalid UTF-8");
	if (f->key && !(key = nm_text_key(f->key, f->key_len, &q.key_len))) {
		free(low);
		return nm_err_set(err, NM_ST_INVALID, "key: invalid UTF-8");
	}
	q.contains = low ? low : f->contains;
	q.key = key;
	int rc = tx->be->neuron_scan(tx, &q, cb, arg, err);
	free(low);
	free(key);
	return rc;
}

int nm_tx_state_get(nm_tx_t *tx, const char *neuron_id, nm_state_t *out, nm_err_t *err)
{
	return tx->be->state_get(tx, neuron_id, out, err);
}

int nm_tx_state_put(nm_tx_t *tx, const nm_state_t *s, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->state_put(tx, s, err);
	if (rc == 0)
		tx->rows++;
	return rc;
}

int nm_tx_synapse_add(nm_tx_t *tx, const nm_synapse_t *s, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->synapse_add(tx, s, err);
	if (rc == 0)
		tx->rows++;
	return noted(tx, rc, 's', s->id);
}

int nm_tx_synapse_get(nm_tx_t *tx, const char *id, nm_synapse_t *out, nm_err_t *err)
{
	return tx->be->synapse_get(tx, id, out, err);
}

int nm_tx_synapse_update(nm_tx_t *tx, const nm_synapse_t *s, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->synapse_update(tx, s, err);
	if (rc == 0)
		tx->rows++;
	return noted(tx, rc, 's', s->id);
}

int nm_tx_synapse_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->synapse_delete(tx, id, err);
	if (rc == 0)
		tx->rows++;
	return noted(tx, rc, 'S', id);
}

int nm_tx_synapse_scan(nm_tx_t *tx, const nm_synapse_filter_t *f, nm_synapse_cb cb, void *arg, nm_err_t *err)
{
	return tx->be->synapse_scan(tx, f, cb, arg, err);
}

int nm_tx_fiber_add(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->fiber_add(tx, f, err);
	if (rc == 0)
		tx->rows++;
	return noted(tx, rc, 'f', f->id);
}

int nm_tx_fiber_get(nm_tx_t *tx, const char *id, nm_fiber_t *out, nm_err_t *err)
{
	return tx->be->fiber_get(tx, id, out, err);
}

int nm_tx_fiber_update(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->fiber_update(tx, f, err);
	if (rc == 0)
		tx->rows++;
	return noted(tx, rc, 'f', f->id);
}

int nm_tx_fiber_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->fiber_delete(tx, id, err);
	if (rc == 0)
		tx->rows++;
	return noted(tx, rc, 'F', id);
}

int nm_tx_fiber_scan(nm_tx_t *tx, const nm_fiber_filter_t *f, nm_fiber_cb cb, void *arg, nm_err_t *err)
{
	return tx->be->fiber_scan(tx, f, cb, arg, err);
}

int nm_tx_typed_memory_put(nm_tx_t *tx, const char *fiber_id, nm_memory_type_t type, const char *json, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->typed_memory_put(tx, fiber_id, type, json, err);
	if (rc == 0)
		tx->rows++;
	return rc;
}

int nm_tx_typed_memory_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err)
{
	return tx->be->typed_memory_scan(tx, cb, arg, err);
}

int nm_tx_typed_memory_counts(nm_tx_t *tx, int64_t *counts, nm_err_t *err)
{
	return tx->be->typed_memory_counts(tx, counts, err);
}

int nm_tx_project_put(nm_tx_t *tx, const char *id, const char *json, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->project_put(tx, id, json, err);
	if (rc == 0)
		tx->rows++;
	return rc;
}

int nm_tx_project_scan(nm_tx_t *tx, nm_blob_cb cb, void *arg, nm_err_t *err)
{
	return tx->be->project_scan(tx, cb, arg, err);
}

int nm_tx_meta_get(nm_tx_t *tx, char **json, nm_err_t *err)
{
	return tx->be->meta_get(tx, json, err);
}

int nm_tx_meta_put(nm_tx_t *tx, const char *json, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->meta_put(tx, json, err);
	if (rc == 0)
		tx->rows++;
	return rc;
}

int nm_tx_stats(nm_tx_t *tx, nm_stats_t *out, nm_err_t *err)
{
	return tx->be->stats(tx, out, err);
}

int nm_tx_fiber_counts_since(nm_tx_t *tx, const int64_t *since, int64_t *counts, int n, nm_err_t *err)
{
	return tx->be->fiber_counts_since(tx, since, counts, n, err);
}

int64_t nm_tx_size_bytes(nm_tx_t *tx)
{
	return tx->be->size_bytes(tx);
}

int nm_tx_time_spans(nm_tx_t *tx, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_neuron_cb cb, void *arg,
                     nm_err_t *err)
{
	return tx->be->time_spans(tx, t0, t1, exact, limit, cb, arg, err);
}

int nm_tx_fiber_nearest(nm_tx_t *tx, int64_t ts, int64_t max_dist, int64_t k, nm_fiber_cb cb, void *arg,
                        nm_err_t *err)
{
	return tx->be->fiber_nearest(tx, ts, max_dist, k, cb, arg, err);
}

int nm_tx_fiber_search(nm_tx_t *tx, const nm_strv_t *terms, int64_t k, nm_fiber_score_cb cb, void *arg,
                       nm_err_t *err)
{
	return tx->be->fiber_search(tx, terms, k, cb, arg, err);
}

int nm_tx_fiber_text(nm_tx_t *tx, const char *fiber_id, char **text, nm_err_t *err)
{
	*text = NULL;
	return tx->be->fiber_text(tx, fiber_id, text, err);
}

int nm_tx_decay_scan(nm_tx_t *tx, nm_decay_kind_t kind, int64_t after, int64_t limit, nm_decay_cb cb, void *arg,
                     nm_err_t *err)
{
	return tx->be->decay_scan(tx, kind, after, limit, cb, arg, err);
}

int nm_tx_decay_set(nm_tx_t *tx, nm_decay_kind_t kind, int64_t seq, const char *id, double value,
                    int64_t decayed_at, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	int rc = tx->be->decay_set(tx, kind, seq, value, decayed_at, err);
	if (rc == 0)
		tx->rows++;
	return kind == NM_DECAY_SYNAPSES ? noted(tx, rc, 's', id) : rc; /* the index holds weights, not levels */
}

int nm_tx_orphan_scan(nm_tx_t *tx, int64_t after, int64_t limit, nm_orphan_cb cb, void *arg, nm_err_t *err)
{
	return tx->be->orphan_scan(tx, after, limit, cb, arg, err);
}

int nm_tx_kv_put(nm_tx_t *tx, const char *key, const void *val, size_t len, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	return tx->be->kv_put(tx, key, val, len, err);
}

int nm_tx_kv_get(nm_tx_t *tx, const char *key, char **val, size_t *len, nm_err_t *err)
{
	return tx->be->kv_get(tx, key, val, len, err);
}

int nm_tx_kv_del(nm_tx_t *tx, const char *key, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	return tx->be->kv_del(tx, key, err);
}

int nm_tx_kv_scan(nm_tx_t *tx, const char *prefix, const char *after, nm_kv_cb cb, void *arg, nm_err_t *err)
{
	return tx->be->kv_scan(tx, prefix, after, cb, arg, err);
}

int nm_tx_fiber_cursor(nm_tx_t *tx, int64_t after, int64_t limit, nm_fiber_seq_cb cb, void *arg, nm_err_t *err)
{
	return tx->be->fiber_cursor(tx, after, limit, cb, arg, err);
}

int nm_tx_decay_clock(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, int64_t *out, nm_err_t *err)
{
	return tx->be->decay_clock(tx, kind, id, out, err);
}

int nm_tx_decay_clock_set(nm_tx_t *tx, nm_decay_kind_t kind, const char *id, int64_t t, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	return tx->be->decay_clock_set(tx, kind, id, t, err);
}

int64_t nm_tx_used_bytes(nm_tx_t *tx)
{
	return tx->be->used_bytes(tx);
}

int nm_tx_typed_memory_get(nm_tx_t *tx, const char *fiber_id, char **json, nm_err_t *err)
{
	return tx->be->typed_memory_get(tx, fiber_id, json, err);
}

void nm_tx_bulk(nm_tx_t *tx)
{
	if (tx->be->bulk)
		tx->be->bulk(tx);
}

int nm_tx_reinforce(nm_tx_t *tx, char *const *neurons, size_t nn, char *const *synapses, size_t ns,
                    const nm_strv_t *fibers, double delta, int64_t now, nm_err_t *err)
{
	if (!tx->write)
		return read_only(err);
	if (!tx->be->reinforce)
		return 1;
	int64_t rows = 0;
	int rc = tx->be->reinforce(tx, neurons, nn, synapses, ns, fibers, delta, now, &rows, err);
	if (rc < 0)
		return rc;
	tx->rows += rows;
	for (size_t i = 0; i < ns; i++)
		noted(tx, 0, 's', synapses[i]);
	for (size_t i = 0; i < fibers->n; i++)
		noted(tx, 0, 'f', fibers->v[i]);
	return 0;
}
