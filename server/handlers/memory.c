/*
 * handlers/memory.c — the engine over HTTP: POST /memory/encode,
 * /memory/encode/batch and /memory/query (PROTOCOL.md §3.3, §6.1).
 * Runs on workers.
 *
 * An encode runs inside the brain's write transaction (group commit), so
 * its "does Alice exist?" decisions and its writes are one atomic step and
 * the answer leaves only after the commit. A batch is one write: memory i
 * sees everything memories 0..i-1 created, and a failure anywhere rolls
 * the whole batch back. A query runs in a read transaction.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "isotime.h"

#define BATCH_MAX 1000

typedef struct encode_state {
	nm_encode_req_t *reqs;
	size_t n;
	nm_encode_out_t *outs;
	bool batch;
} encode_state_t;

static void encode_state_free(void *p)
{
	encode_state_t *s = p;
	for (size_t i = 0; i < s->n; i++) {
		nm_encode_req_clear(&s->reqs[i]);
		if (s->outs) /* NULL when validation failed before the write */
			nm_encode_out_clear(&s->outs[i]);
	}
	free(s->reqs);
	free(s->outs);
	free(s);
}

static void put_result(nm_jw_t *w, const nm_encode_out_t *o)
{
	nm_jw_obj(w);
	nm_jw_key(w, "fiber_id");
	nm_jw_str(w, o->fiber_id);
	nm_jw_key(w, "neurons_created");
	nm_jw_int(w, o->neurons_created);
	nm_jw_key(w, "neurons_linked");
	nm_jw_int(w, o->neurons_linked);
	nm_jw_key(w, "synapses_created");
	nm_jw_int(w, o->synapses_created);
	nm_jw_obj_end(w);
}

static int encode_apply(nm_tx_t *tx, nm_write_t *wr, nm_err_t *err)
{
	srv_job_t *job = srv_write_job(wr);
	encode_state_t *s = job->state;
	nm_engine_t eng;
	srv_job_engine(job, &eng);
	for (size_t i = 0; i < s->n; i++) {
		const nm_encode_req_t *r = &s->reqs[i];
		nm_encode_in_t in = {r->content, r->content_len, r->timestamp, r->metadata, r->has_tags ? &r->tags : NULL};
		nm_encode_out_clear(&s->outs[i]);
		int rc = nm_encode(tx, &eng, &in, &s->outs[i], err);
		if (rc < 0) {
			if (s->batch) {
				char pre[48];
				snprintf(pre, sizeof pre, "memories[%zu]: ", i);
				nm_err_prefix(err, pre);
			}
			return rc;
		}
	}
	nm_jw_t w;
	srv_job_json(job, s->batch ? 201 : 200, &w);
	if (s->batch) {
		nm_jw_obj(&w);
		nm_jw_key(&w, "results");
		nm_jw_arr(&w);
	}
	for (size_t i = 0; i < s->n; i++)
		put_result(&w, &s->outs[i]);
	if (s->batch) {
		nm_jw_arr_end(&w);
		nm_jw_key(&w, "count");
		nm_jw_int(&w, (int64_t)s->n);
		nm_jw_obj_end(&w);
	}
	srv_job_json_done(job, &w);
	return 0;
}

static void encode_after(srv_job_t *job)
{
	atomic_fetch_add(&job->ctx->encodes, ((encode_state_t *)job->state)->n);
}

static void start_encode(srv_job_t *job, encode_state_t *s)
{
	s->outs = nm_xcalloc(s->n ? s->n : 1, sizeof *s->outs);
	job->state = s;
	job->state_free = encode_state_free;
	srv_job_write(job, encode_apply, encode_after);
}

void srv_h_encode(srv_job_t *job)
{
	json_t *body = srv_job_body(job);
	if (!body) {
		srv_job_finish(job);
		return;
	}
	encode_state_t *s = nm_xcalloc(1, sizeof *s);
	s->reqs = nm_xcalloc(1, sizeof *s->reqs);
	s->n = 1;
	nm_decode_opts_t o;
	srv_decode_opts(job, NM_DECODE_CREATE, &o);
	nm_err_t err = {0};
	int rc = nm_encode_req_decode(body, &o, &s->reqs[0], &err);
	json_decref(body);
	if (rc < 0) {
		srv_job_errfrom(job, &err);
		encode_state_free(s);
		srv_job_finish(job);
		return;
	}
	start_encode(job, s);
}

void srv_h_encode_batch(srv_job_t *job)
{
	json_t *body = srv_job_body(job);
	encode_state_t *s = nm_xcalloc(1, sizeof *s);
	s->batch = true;
	if (!body)
		goto fail;
	const json_t *mem = json_object_get(body, "memories");
	if (!mem || json_is_null(mem)) {
		srv_job_error(job, 422, "memories: field required");
		goto fail;
	}
	if (!json_is_array(mem) || json_array_size(mem) < 1 || json_array_size(mem) > BATCH_MAX) {
		srv_job_error(job, 422, "memories: must be an array of 1 to %d memories", BATCH_MAX);
		goto fail;
	}
	s->reqs = nm_xcalloc(json_array_size(mem), sizeof *s->reqs);
	for (size_t i = 0; i < json_array_size(mem); i++) {
		char prefix[48];
		snprintf(prefix, sizeof prefix, "memories[%zu].", i);
		nm_decode_opts_t o;
		srv_decode_opts(job, NM_DECODE_CREATE, &o);
		o.prefix = prefix;
		nm_err_t err = {0};
		const json_t *item = json_array_get(mem, i);
		s->n = i + 1;
		if (!json_is_object(item)) {
			srv_job_error(job, 422, "memories[%zu]: must be an object", i);
			goto fail;
		}
		if (nm_encode_req_decode(item, &o, &s->reqs[i], &err) < 0) {
			srv_job_errfrom(job, &err);
			goto fail;
		}
	}
	json_decref(body);
	start_encode(job, s);
	return;
fail:
	json_decref(body);
	encode_state_free(s);
	srv_job_finish(job);
}

/* ---- query ---- */

static void put_strs(nm_jw_t *w, char **v, size_t n)
{
	nm_jw_arr(w);
	for (size_t i = 0; i < n; i++)
		nm_jw_str(w, v[i]);
	nm_jw_arr_end(w);
}

/* Writes the answer; [*lat_at, *lat_end) of the body is the latency value. */
static void put_query(srv_job_t *job, const nm_query_out_t *o, double ms, bool fixed, size_t *lat_at,
                      size_t *lat_end)
{
	nm_jw_t w;
	srv_job_json(job, 200, &w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "answer");
	if (o->answer)
		nm_jw_strn(&w, o->answer, o->answer_len);
	else
		nm_jw_null(&w);
	nm_jw_key(&w, "confidence");
	nm_jw_real(&w, o->confidence);
	nm_jw_key(&w, "depth_used");
	nm_jw_int(&w, o->depth_used);
	nm_jw_key(&w, "neurons_activated");
	nm_jw_int(&w, o->neurons_activated);
	nm_jw_key(&w, "fibers_matched");
	nm_jw_strv(&w, &o->fibers_matched);
	nm_jw_key(&w, "context");
	nm_jw_strn(&w, o->context, o->context_len);
	nm_jw_key(&w, "latency_ms");
	*lat_at = w.buf.len;
	nm_jw_real(&w, ms);
	*lat_end = w.buf.len;
	nm_jw_key(&w, "subgraph");
	if (o->has_subgraph) {
		nm_jw_obj(&w);
		nm_jw_key(&w, "neuron_ids");
		put_strs(&w, o->sub_neurons, o->n_sub_neurons);
		nm_jw_key(&w, "synapse_ids");
		put_strs(&w, o->sub_synapses, o->n_sub_synapses);
		nm_jw_key(&w, "anchor_ids");
		put_strs(&w, o->sub_anchors, o->n_sub_anchors);
		if (fixed) { /* nmemd addition (the UI shades neurons by it); compat keeps upstream's shape */
			nm_jw_key(&w, "activations");
			nm_jw_obj(&w);
			for (size_t i = 0; i < o->n_sub_neurons; i++) {
				nm_jw_key(&w, o->sub_neurons[i]);
				nm_jw_real(&w, o->sub_levels[i]);
			}
			nm_jw_obj_end(&w);
		}
		nm_jw_obj_end(&w);
	} else {
		nm_jw_null(&w);
	}
	nm_jw_key(&w, "metadata");
	nm_jw_obj(&w);
	nm_jw_key(&w, "query_intent");
	nm_jw_str(&w, nm_enum_intent.names[o->intent]);
	nm_jw_key(&w, "anchors_found");
	nm_jw_int(&w, o->anchors_found);
	nm_jw_key(&w, "intersections");
	nm_jw_int(&w, o->intersections);
	nm_jw_obj_end(&w);
	nm_jw_obj_end(&w);
	srv_job_json_done(job, &w);
}

/* Traversal counters of /metrics (nmemd_activation_*). */
static void count_activation(srv_ctx_t *ctx, const nm_query_out_t *o)
{
	atomic_fetch_add(&ctx->act_runs, 1);
	atomic_fetch_add(&ctx->act_expanded, (uint64_t)o->activation.expanded);
	atomic_fetch_add(&ctx->act_edges, (uint64_t)o->activation.edges);
	atomic_fetch_add(&ctx->act_us, (uint64_t)llround(o->activation_ms * 1000));
}

/* Reinforcement after a query: its own write on the brain's writer, owned
 * here and freed when the write is done (nobody waits for it). */
typedef struct reinforcement {
	nm_write_t w;
	nm_brain_t *brain;
	nm_engine_t eng;
	nm_query_out_t out;
} reinforcement_t;

static int reinforce_apply(nm_tx_t *tx, nm_write_t *w, nm_err_t *err)
{
	reinforcement_t *r = (reinforcement_t *)w;
	return nm_reinforce(tx, &r->eng, &r->out, err);
}

static void reinforce_done(nm_write_t *w)
{
	reinforcement_t *r = (reinforcement_t *)w;
	if (w->err.status)
		srv_log("reinforcement skipped on brain %s: %s", nm_brain_id(r->brain), w->err.detail);
	nm_query_out_clear(&r->out);
	nm_brain_release(r->brain);
	free(r);
}

/* ---- the query cache (qcache.h) ----
 *
 * Only queries that do not reinforce are cached: a reinforcing query is a
 * write, and the next identical query must see its effect. The key is
 * everything the answer depends on: engine mode and config (the config
 * lives in the catalog, not behind the brain's generation), the request's
 * fields, and the reference time — given, or "now" in buckets of
 * query_cache.time_bucket seconds. The value is the answer's body with
 * its latency cut out: [size_t split][body before latency][body after]. */

typedef struct qkey_head {
	int mode, depth;
	bool include_subgraph, ref_given;
	int64_t max_tokens, ref;
	nm_config_t config;
} qkey_head_t;

static void query_key(const srv_job_t *job, const nm_engine_t *eng, const nm_query_req_t *r, nm_buf_t *key)
{
	qkey_head_t h;
	memset(&h, 0, sizeof h); /* padding too: the key is compared bytewise */
	h.mode = (int)eng->mode;
	h.depth = r->depth;
	h.include_subgraph = r->include_subgraph;
	h.max_tokens = r->max_tokens;
	h.config = eng->config;
	h.ref_given = r->reference_time != NM_TIME_NONE;
	double bucket = job->ctx->cfg.qcache_bucket * (double)NM_USEC_PER_SEC;
	h.ref = h.ref_given ? r->reference_time
	        : bucket >= 1 ? (int64_t)floor((double)nm_engine_now(eng) / bucket) : nm_engine_now(eng);
	nm_buf_append(key, &h, sizeof h);
	nm_buf_append(key, r->query, r->query_len);
}

/* Answer from the cache; false on a miss. */
static bool cached_answer(srv_job_t *job, const nm_buf_t *key, uint64_t gen, double t0)
{
	size_t n, split;
	char *v = nm_qcache_get(nm_brain_qcache(job->brain), key->data, key->len, gen, &n);
	if (!v)
		return false;
	memcpy(&split, v, sizeof split);
	nm_jw_t lat;
	nm_jw_init(&lat);
	nm_jw_real(&lat, round((nm_mono_ms() - t0) * 1000) / 1000);
	nm_jw_t w;
	srv_job_json(job, 200, &w);
	nm_buf_append(&w.buf, v + sizeof split, split);
	nm_buf_append(&w.buf, lat.buf.data, lat.buf.len);
	nm_buf_append(&w.buf, v + sizeof split + split, n - sizeof split - split);
	srv_job_json_done(job, &w);
	nm_jw_free(&lat);
	free(v);
	return true;
}

static void cache_answer(srv_job_t *job, const nm_buf_t *key, uint64_t gen, size_t lat_at, size_t lat_end)
{
	const nm_buf_t *body = &job->out;
	nm_buf_t v = {0};
	nm_buf_append(&v, &lat_at, sizeof lat_at);
	nm_buf_append(&v, body->data, lat_at);
	nm_buf_append(&v, body->data + lat_end, body->len - lat_end);
	nm_qcache_put(nm_brain_qcache(job->brain), key->data, key->len, gen, v.data, v.len);
	nm_buf_free(&v);
}

/* Answer the query: from the cache when it may (cacheable), else from a
 * read transaction, handing the result to the caller in *out (for
 * reinforcement) when the answer was built. */
static int run_query(srv_job_t *job, const nm_engine_t *eng, bool cacheable, nm_query_out_t *out, nm_err_t *err)
{
	double t0 = nm_mono_ms();
	const nm_query_req_t *r = job->state;
	nm_buf_t key = {0};
	int rc = nm_brain_sync(job->brain, err); /* cluster: what other nodes wrote, first */
	if (rc < 0)
		return rc;
	uint64_t gen = nm_brain_content_gen(job->brain); /* before the transaction: labels what it sees */
	cacheable = cacheable && nm_brain_qcache(job->brain);
	if (cacheable) {
		query_key(job, eng, r, &key);
		if (cached_answer(job, &key, gen, t0)) {
			atomic_fetch_add(&job->ctx->qcache_hits, 1);
			atomic_fetch_add(&job->ctx->queries, 1);
			nm_buf_free(&key);
			return 0;
		}
		atomic_fetch_add(&job->ctx->qcache_misses, 1);
	}
	nm_query_in_t in = {r->query, r->query_len, r->depth, r->max_tokens, r->reference_time, r->include_subgraph};
	nm_tx_t *tx;
	rc = nm_brain_read_begin(job->brain, &tx, err);
	if (rc == 0) {
		rc = nm_query(tx, eng, &in, out, err);
		nm_brain_read_end(tx);
	}
	if (rc == 0) {
		size_t lat_at, lat_end;
		/* latency covers the whole retrieval, rounded to the microsecond */
		put_query(job, out, round((nm_mono_ms() - t0) * 1000) / 1000, eng->mode == NM_MODE_FIXED, &lat_at, &lat_end);
		atomic_fetch_add(&job->ctx->queries, 1);
		count_activation(job->ctx, out);
		if (cacheable)
			cache_answer(job, &key, gen, lat_at, lat_end);
	}
	nm_buf_free(&key);
	return rc;
}

void srv_h_query(srv_job_t *job)
{
	json_t *body = srv_job_body(job);
	if (!body) {
		srv_job_finish(job);
		return;
	}
	nm_query_req_t *r = nm_xcalloc(1, sizeof *r);
	job->state = r;
	job->state_clear = (void (*)(void *))nm_query_req_clear;
	nm_decode_opts_t o;
	srv_decode_opts(job, NM_DECODE_CREATE, &o);
	nm_err_t err = {0};
	int rc = nm_query_req_decode(body, &o, r, &err);
	json_decref(body);
	nm_engine_t eng;
	srv_job_engine(job, &eng);
	bool reinforce = eng.mode == NM_MODE_FIXED && r->reinforce;
	nm_query_out_t out = {0};
	if (rc == 0 && (rc = run_query(job, &eng, !reinforce, &out, &err)) < 0)
		nm_query_out_clear(&out);
	reinforce = reinforce && rc == 0;
	nm_brain_t *brain = reinforce ? nm_brain_acquire(job->brain) : NULL;
	if (rc < 0)
		srv_job_errfrom(job, &err);
	srv_job_finish(job); /* the answer goes out now; job is no longer ours */
	if (!reinforce) {
		nm_query_out_clear(&out);
		return;
	}
	reinforcement_t *rf = nm_xcalloc(1, sizeof *rf);
	rf->w.apply = reinforce_apply;
	rf->w.done = reinforce_done;
	rf->brain = brain;
	rf->eng = eng;
	rf->out = out;
	nm_brain_write(brain, &rf->w);
}
