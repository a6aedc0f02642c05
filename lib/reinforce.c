/*
 * reinforce.c — Hebbian reinforcement on read (engine.h nm_reinforce).
 *
 * Upstream never reinforces (D13) and its neuron rule would set rather than
 * add (D17); the fixed engine strengthens what a query used, after the
 * answer has gone out, in the brain's writer. Runs in the caller's write
 * transaction; missing objects (deleted since the query) are skipped.
 * Backends that can do it in a few set-based statements (postgres) do
 * (nm_tx_reinforce); the others are updated object by object here.
 */
#include "engine.h"

#include <string.h>

static double capped(double v)
{
	return v < 1.0 ? v : 1.0;
}

static int neurons(nm_tx_t *tx, char **ids, size_t n, double delta, int64_t now, nm_err_t *err)
{
	for (size_t i = 0; i < n; i++) {
		nm_state_t s = {0};
		nm_err_t e = {0};
		int rc = nm_tx_state_get(tx, ids[i], &s, &e);
		if (rc == 0) {
			s.activation_level = capped(s.activation_level + delta);
			s.access_frequency++;
			s.last_activated = now;
			rc = nm_tx_state_put(tx, &s, err);
		} else if (rc != -NM_ST_NOT_FOUND && err) {
			*err = e;
		}
		nm_state_clear(&s);
		if (rc < 0 && rc != -NM_ST_NOT_FOUND)
			return rc;
	}
	return 0;
}

static int synapses(nm_tx_t *tx, char **ids, size_t n, double delta, int64_t now, nm_err_t *err)
{
	for (size_t i = 0; i < n; i++) {
		nm_synapse_t s = {0};
		nm_err_t e = {0};
		int rc = nm_tx_synapse_get(tx, ids[i], &s, &e);
		if (rc == 0) {
			s.weight = capped(s.weight + delta);
			s.reinforced_count++;
			s.last_activated = now;
			rc = nm_tx_synapse_update(tx, &s, err);
		} else if (rc != -NM_ST_NOT_FOUND && err) {
			*err = e;
		}
		nm_synapse_clear(&s);
		if (rc < 0 && rc != -NM_ST_NOT_FOUND)
			return rc;
	}
	return 0;
}

static int fibers(nm_tx_t *tx, const nm_strv_t *ids, nm_err_t *err)
{
	for (size_t i = 0; i < ids->n; i++) {
		nm_fiber_t f = {0};
		nm_err_t e = {0};
		int rc = nm_tx_fiber_get(tx, ids->v[i], &f, &e);
		if (rc == 0) {
			f.frequency++;
			rc = nm_tx_fiber_update(tx, &f, err);
		} else if (rc != -NM_ST_NOT_FOUND && err) {
			*err = e;
		}
		nm_fiber_clear(&f);
		if (rc < 0 && rc != -NM_ST_NOT_FOUND)
			return rc;
	}
	return 0;
}

int nm_reinforce(nm_tx_t *tx, const nm_engine_t *eng, const nm_query_out_t *q, nm_err_t *err)
{
	double delta = eng->config.reinforcement_delta;
	int64_t now = nm_engine_now(eng);
	int rc = nm_tx_reinforce(tx, q->sub_neurons, q->n_sub_neurons, q->sub_synapses, q->n_sub_synapses,
	                         &q->fibers_matched, delta, now, err);
	if (rc <= 0)
		return rc; /* done in a few statements, or failed */
	rc = neurons(tx, q->sub_neurons, q->n_sub_neurons, delta, now, err);
	if (rc == 0)
		rc = synapses(tx, q->sub_synapses, q->n_sub_synapses, delta, now, err);
	if (rc == 0)
		rc = fibers(tx, &q->fibers_matched, err);
	return rc;
}
