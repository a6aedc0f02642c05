/*
 * store_pg_fiber.c — fibers in the postgres backend: rows, look-up rows,
 * scans, nearest-in-time and full-text search.
 *
 * A fiber is one nm_fibers row (id lists and tags packed as NUL-separated
 * bytea, in first-seen order) plus look-up rows keyed (b, hash, fiber):
 * one per member neuron id (nm_fiber_neurons), per tag (nm_fiber_tags) and
 * per distinct search token (nm_fterms), and its search text with its
 * token count (nm_ftext). Look-up rows only find candidates: every row a
 * scan reads is re-checked in C (nm__fiber_matches), and offset/limit are
 * applied after that check.
 *
 * Search ranks exactly as the sqlite backend's FTS5 bm25() (and the memory
 * backend): each term is a phrase of its tokens; candidates are the fibers
 * holding the first token of some phrase, their texts are tokenised here
 * and phrases counted; the document count and total length come from the
 * brain's counters (nm_bstate plus this transaction's changes).
 */
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "mem.h"

#define FCOLS "seq, id, neuron_ids, synapse_ids, anchor_id, time_start, time_end, coherence, salience, frequency," \
              " summary, tags, metadata, created_at"

/* Owned fiber from row i (FCOLS). */
static void row_fiber(const PGresult *r, int i, nm_fiber_t *f)
{
	memset(f, 0, sizeof *f);
	f->id = nm_xstrdup(PQgetvalue(r, i, 1));
	nm__pg_strv(r, i, 2, &f->neuron_ids);
	nm__pg_strv(r, i, 3, &f->synapse_ids);
	f->anchor_neuron_id = nm_xstrdup(PQgetvalue(r, i, 4));
	f->time_start = nm__pg_time(r, i, 5);
	f->time_end = nm__pg_time(r, i, 6);
	f->coherence = nm__pg_dbl(r, i, 7);
	f->salience = nm__pg_dbl(r, i, 8);
	f->frequency = nm__pg_i64(r, i, 9);
	f->summary = PQgetisnull(r, i, 10) ? NULL : nm_xstrdup(PQgetvalue(r, i, 10));
	nm__pg_strv(r, i, 11, &f->tags);
	f->metadata = nm_xstrdup(PQgetvalue(r, i, 12));
	f->created_at = nm__pg_i64(r, i, 13);
}

static int64_t strhash(const char *s)
{
	return (int64_t)nm_hash64(s, strlen(s));
}

/* Hashes of a list's strings (a parameter). */
static void pgp_hashes(pgp_t *p, const nm_strv_t *v)
{
	int64_t *h = nm_xmalloc(sizeof *h * (v->n + 1));
	for (size_t i = 0; i < v->n; i++)
		h[i] = strhash(v->v[i]);
	pgp_int_array(p, h, v->n);
	free(h);
}

/* Insert or delete one kind of look-up rows of fiber seq. */
static int lookup_rows(nm_tx_t *tx, pq_id_t which, int64_t seq, const nm_strv_t *keys, nm_err_t *err)
{
	if (!keys->n)
		return 0;
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_hashes(&p, keys);
	pgp_int(&p, seq);
	return nm__pg_exec(PT(tx)->c, which, &p, err) < 0 ? (err ? -err->status : -NM_ST_INTERNAL) : 0;
}

static int index_entries(nm_tx_t *tx, int64_t seq, const nm_strv_t *neurons, const nm_strv_t *tags, bool insert,
                         nm_err_t *err)
{
	int rc = lookup_rows(tx, insert ? PQ_FN_PUT : PQ_FN_DELETE, seq, neurons, err);
	return rc < 0 ? rc : lookup_rows(tx, insert ? PQ_FT_PUT : PQ_FT_DELETE, seq, tags, err);
}

/* $3 … $14 of insert and update. */
static void bind_fiber(pgp_t *p, const nm_fiber_t *f)
{
	pgp_strv(p, &f->neuron_ids);
	pgp_strv(p, &f->synapse_ids);
	pgp_text(p, f->anchor_neuron_id);
	pgp_time(p, f->time_start);
	pgp_time(p, f->time_end);
	pgp_dbl(p, f->coherence);
	pgp_dbl(p, f->salience);
	pgp_int(p, f->frequency);
	pgp_text(p, f->summary);
	pgp_strv(p, &f->tags);
	pgp_text(p, f->metadata ? f->metadata : "{}");
	pgp_int(p, f->created_at);
}

int nm__pg_fiber_add(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, f->id);
	bind_fiber(&p, f);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_FIBER_INSERT, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	int64_t seq = PQntuples(r) ? nm__pg_i64(r, 0, 0) : 0;
	PQclear(r);
	if (!seq)
		return nm__exists(err, "Fiber", f->id);
	int rc = index_entries(tx, seq, &f->neuron_ids, &f->tags, true, err);
	if (rc == 0)
		rc = nm__pg_fiber_text(tx, seq, f, false, err);
	if (rc == 0)
		PT(tx)->d.fibers++;
	return rc;
}

void nm__pg_fetch_fibers(nm_tx_t *tx, char *const *ids, size_t n)
{
	PGresult *r = nm__pg_fetch_rows(tx, PQ_PF_FIBERS, ids, n);
	if (!r)
		return;
	for (int i = 0; i < PQntuples(r); i++) {
		pfiber_t *own = nm_xcalloc(1, sizeof *own);
		row_fiber(r, i, &own->f);
		own->text = PQgetisnull(r, i, 14) ? NULL : nm__pg_bytea(r, i, 14, NULL);
		nm_hmap_put(&PT(tx)->fetched[PF_FIBERS], own->f.id, strlen(own->f.id), own);
	}
	PT(tx)->has[PF_FIBERS] = true;
	PQclear(r);
}

int nm__pg_fiber_get(nm_tx_t *tx, const char *id, nm_fiber_t *out, nm_err_t *err)
{
	void *pre;
	int known = nm__pg_fetched(tx, PF_FIBERS, id, &pre);
	if (known >= 0) {
		if (known)
			nm_fiber_copy(out, &((pfiber_t *)pre)->f);
		return known ? 0 : nm__not_found(err, "Fiber", id);
	}
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, id);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_FIBER_GET, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	int rc = 0;
	if (PQntuples(r))
		row_fiber(r, 0, out);
	else
		rc = nm__not_found(err, "Fiber", id);
	PQclear(r);
	return rc;
}

/* The stored fiber's row number and indexed fields; 404 when absent. */
static int fiber_key(nm_tx_t *tx, const char *id, nm_fiber_key_t *k, nm_err_t *err)
{
	memset(k, 0, sizeof *k);
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, id);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_FIBER_KEY, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	if (!PQntuples(r)) {
		PQclear(r);
		return nm__not_found(err, "Fiber", id);
	}
	k->seq = nm__pg_i64(r, 0, 0);
	nm__pg_strv(r, 0, 1, &k->neurons);
	nm__pg_strv(r, 0, 2, &k->tags);
	k->t0 = nm__pg_time(r, 0, 3);
	k->t1 = nm__pg_time(r, 0, 4);
	k->anchor = nm_xstrdup(PQgetvalue(r, 0, 5));
	k->summary = PQgetisnull(r, 0, 6) ? NULL : nm_xstrdup(PQgetvalue(r, 0, 6));
	PQclear(r);
	return 0;
}

/* Look-up rows are rewritten only when what they are made of changed:
 * reinforcement updates fibers on every query, changing counters only. */
int nm__pg_fiber_update(nm_tx_t *tx, const nm_fiber_t *f, nm_err_t *err)
{
	nm_fiber_key_t k;
	int rc = fiber_key(tx, f->id, &k, err);
	if (rc < 0)
		return rc;
	bool reindex = !(nm_strv_eq(&k.neurons, &f->neuron_ids) && nm_strv_eq(&k.tags, &f->tags));
	bool retext = nm__fiber_retext(k.anchor, k.summary, f);
	if (reindex)
		rc = index_entries(tx, k.seq, &k.neurons, &k.tags, false, err);
	if (rc == 0) {
		pgp_t p = {0};
		pgp_int(&p, PB(tx));
		pgp_int(&p, k.seq);
		bind_fiber(&p, f);
		if (nm__pg_exec(PT(tx)->c, PQ_FIBER_UPDATE, &p, err) < 0)
			rc = err ? -err->status : -NM_ST_INTERNAL;
	}
	if (rc == 0 && reindex)
		rc = index_entries(tx, k.seq, &f->neuron_ids, &f->tags, true, err);
	if (rc == 0 && retext)
		rc = nm__pg_fiber_text(tx, k.seq, f, true, err);
	nm__fiber_key_clear(&k);
	return rc;
}

/* Remove fiber seq's search text, its terms and its share of the counters. */
static int text_remove(nm_tx_t *tx, int64_t seq, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, seq);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_FTEXT_DELETE, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	int rc = 0;
	if (PQntuples(r)) {
		size_t len;
		char *text = nm__pg_bytea(r, 0, 0, &len);
		nm_strv_t toks = {0};
		nm__fts_tokens(text, len, &toks);
		rc = lookup_rows(tx, PQ_FTERM_DELETE, seq, &toks, err);
		PT(tx)->d.doc_rows--;
		PT(tx)->d.doc_tokens -= nm__pg_i64(r, 0, 1);
		nm_strv_clear(&toks);
		free(text);
	}
	PQclear(r);
	return rc;
}

int nm__pg_fiber_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	nm_fiber_key_t k;
	int rc = fiber_key(tx, id, &k, err);
	if (rc < 0)
		return rc;
	rc = index_entries(tx, k.seq, &k.neurons, &k.tags, false, err);
	if (rc == 0)
		rc = text_remove(tx, k.seq, err);
	if (rc == 0) {
		pgp_t p = {0};
		pgp_int(&p, PB(tx));
		pgp_int(&p, k.seq);
		pgp_text(&p, id);
		PGresult *r = nm__pg_run(PT(tx)->c, PQ_FIBER_DELETE, &p, err);
		if (!r) {
			rc = err ? -err->status : -NM_ST_INTERNAL;
		} else {
			if (nm__pg_i64(r, 0, 0) > 0) {
				tx->rows++;
				PT(tx)->d.typed_memories--;
			}
			PQclear(r);
			PT(tx)->d.fibers--;
		}
	}
	nm__fiber_key_clear(&k);
	return rc;
}

int nm__pg_fiber_text(nm_tx_t *tx, int64_t seq, const nm_fiber_t *f, bool replace, nm_err_t *err)
{
	int rc = replace ? text_remove(tx, seq, err) : 0;
	if (rc < 0)
		return rc;
	char *text = NULL;
	size_t len = 0;
	if (f->summary && *f->summary) {
		text = nm_xstrdup(f->summary);
		len = strlen(text);
	} else {
		pgp_t p = {0};
		pgp_int(&p, PB(tx));
		pgp_text(&p, f->anchor_neuron_id);
		PGresult *r = nm__pg_run(PT(tx)->c, PQ_ANCHOR_TEXT, &p, err);
		if (!r)
			return err ? -err->status : -NM_ST_INTERNAL;
		if (PQntuples(r))
			text = nm__pg_bytea(r, 0, 0, &len);
		PQclear(r);
	}
	if (!text)
		return 0; /* not searchable: no summary, no anchor */
	nm_strv_t toks = {0};
	nm__fts_tokens(text, len, &toks);
	pgp_t p = {0};
	pgp_int(&p, seq);
	pgp_int(&p, PB(tx));
	pgp_bin(&p, text, len);
	pgp_int(&p, (int64_t)toks.n);
	if (nm__pg_exec(PT(tx)->c, PQ_FTEXT_PUT, &p, err) < 0)
		rc = err ? -err->status : -NM_ST_INTERNAL;
	if (rc == 0)
		rc = lookup_rows(tx, PQ_FTERM_PUT, seq, &toks, err);
	PT(tx)->d.doc_rows++;
	PT(tx)->d.doc_tokens += (int64_t)toks.n;
	nm_strv_clear(&toks);
	free(text);
	return rc;
}


static const char *fiber_scan_sql(unsigned filters, nm_fiber_order_t order, bool desc, char *buf, size_t cap)
{
	/* With a neuron, drive the scan from its membership rows, which are
	 * in fiber order: "first/newest N holding neuron X" reads N. */
	int k = 2;
	size_t n = filters & NM_FSCAN_NEURON
		? (size_t)snprintf(buf, cap, "SELECT f.seq, f.id, f.neuron_ids, f.synapse_ids, f.anchor_id, f.time_start,"
		                             " f.time_end, f.coherence, f.salience, f.frequency, f.summary, f.tags,"
		                             " f.metadata, f.created_at FROM nm_fiber_neurons fn"
		                             " JOIN nm_fibers f ON f.seq = fn.fseq WHERE fn.b = $1 AND fn.nhash = $%d", k++)
		: (size_t)snprintf(buf, cap, "SELECT " FCOLS " FROM nm_fibers f WHERE f.b = $1");
	if (filters & NM_FSCAN_TIME)
		n += (size_t)snprintf(buf + n, cap - n, " AND f.time_start <= $%d AND f.time_end >= $%d", k, k + 1), k += 2;
	if (filters & NM_FSCAN_TAGS) /* the first tag narrows; the C re-check covers all of them */
		n += (size_t)snprintf(buf + n, cap - n,
		                      " AND f.seq IN (SELECT fseq FROM nm_fiber_tags WHERE b = $1 AND thash = $%d)", k++);
	if (filters & NM_FSCAN_SALIENCE)
		n += (size_t)snprintf(buf + n, cap - n, " AND f.salience >= $%d", k++);
	static const char *const cols[] = {"f.created_at", "f.salience", "f.frequency"};
	if (order == NM_ORDER_INSERTION) /* by pages, past row $k */
		snprintf(buf + n, cap - n, " AND f.seq %s $%d ORDER BY f.seq %s LIMIT " NM_PG_PAGE_STR, desc ? "<" : ">", k,
		         desc ? "DESC" : "ASC");
	else
		snprintf(buf + n, cap - n, " ORDER BY %s %s, f.seq", cols[order], desc ? "DESC" : "ASC");
	return buf;
}

/* Insertion order (an export's) reads pages of NM_PG_PAGE rows by row
 * number: memory stays bounded and the callback may use the transaction.
 * The other orders read the filtered rows at once. */
int nm__pg_fiber_scan(nm_tx_t *tx, const nm_fiber_filter_t *f, nm_fiber_cb cb, void *arg, nm_err_t *err)
{
	unsigned filters;
	int ord;
	bool desc;
	unsigned variant = nm__fiber_scan_plan(f, &filters, &ord, &desc);
	bool paged = ord == NM_ORDER_INSERTION;
	char sql[768], name[16];
	snprintf(name, sizeof name, "F%u", variant);
	fiber_scan_sql(filters, (nm_fiber_order_t)ord, desc, sql, sizeof sql);
	int64_t skip = f->offset, left = f->limit > 0 ? f->limit : -1, after = desc ? INT64_MAX : 0;
	int rc = 0;
	for (bool more = true; more && left != 0 && !rc;) {
		pgp_t p = {0};
		pgp_int(&p, PB(tx));
		if (filters & NM_FSCAN_NEURON)
			pgp_int(&p, strhash(f->contains_neuron));
		if (filters & NM_FSCAN_TIME) {
			pgp_int(&p, f->time_end);
			pgp_int(&p, f->time_start);
		}
		if (filters & NM_FSCAN_TAGS)
			pgp_int(&p, strhash(f->tags->v[0]));
		if (filters & NM_FSCAN_SALIENCE)
			pgp_dbl(&p, f->min_salience);
		if (paged)
			pgp_int(&p, after);
		pconn_t *c = PT(tx)->c;
		PGresult *r = nm__pg_run_dyn(c, &c->fscan[variant], name, sql, &p, err);
		if (!r)
			return err ? -err->status : -NM_ST_INTERNAL;
		int rows = PQntuples(r);
		more = paged && rows == NM_PG_PAGE;
		for (int i = 0; i < rows && left != 0 && !rc; i++) {
			nm_fiber_t fb;
			row_fiber(r, i, &fb);
			after = nm__pg_i64(r, i, 0);
			if (nm__fiber_matches(&fb, f)) {
				if (skip > 0) {
					skip--;
				} else {
					if (left > 0)
						left--;
					rc = cb(arg, &fb);
				}
			}
			nm_fiber_clear(&fb);
		}
		PQclear(r);
	}
	return rc;
}

/* Fibers of a result with their row numbers (owned). */
typedef struct fiber_rows {
	nm_fiber_t *v;
	int64_t *seq;
	size_t n;
} fiber_rows_t;

static void read_rows(PGresult *r, fiber_rows_t *out)
{
	out->n = (size_t)PQntuples(r);
	out->v = nm_xcalloc(out->n + 1, sizeof *out->v);
	out->seq = nm_xcalloc(out->n + 1, sizeof *out->seq);
	for (size_t i = 0; i < out->n; i++) {
		row_fiber(r, (int)i, &out->v[i]);
		out->seq[i] = nm__pg_i64(r, (int)i, 0);
	}
	PQclear(r);
}

static void rows_free(fiber_rows_t *r)
{
	for (size_t i = 0; i < r->n; i++)
		nm_fiber_clear(&r->v[i]);
	free(r->v);
	free(r->seq);
}

static int nearest_run(nm_tx_t *tx, pq_id_t which, int64_t ts, int64_t bound, int64_t k, fiber_rows_t *out,
                       nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_int(&p, ts);
	pgp_int(&p, bound);
	pgp_int(&p, k);
	PGresult *r = nm__pg_run(PT(tx)->c, which, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	read_rows(r, out);
	return 0;
}

int nm__pg_fiber_nearest(nm_tx_t *tx, int64_t ts, int64_t max_dist, int64_t k, nm_fiber_cb cb, void *arg,
                         nm_err_t *err)
{
	fiber_rows_t lo = {0}, hi = {0};
	int rc = nearest_run(tx, PQ_NEAR_BEFORE, ts, ts - max_dist, k, &lo, err);
	if (rc == 0)
		rc = nearest_run(tx, PQ_NEAR_AFTER, ts, ts + max_dist, k, &hi, err);
	if (rc == 0)
		rc = nm__fiber_nearest_merge(ts, k, lo.v, lo.seq, lo.n, hi.v, hi.seq, hi.n, cb, arg);
	rows_free(&lo);
	rows_free(&hi);
	return rc;
}

typedef struct scored {
	int64_t seq;
	double score;
} scored_t;

static int by_score(const void *a, const void *b)
{
	const scored_t *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->seq > y->seq ? -1 : x->seq < y->seq;
}

int nm__pg_fiber_search(nm_tx_t *tx, const nm_strv_t *terms, int64_t k, nm_fiber_score_cb cb, void *arg,
                        nm_err_t *err)
{
	size_t nt = terms->n;
	if (!nt || k <= 0)
		return 0;
	/* the brain's document counters as this transaction sees them */
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_STATS, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return nm_err_set(err, NM_ST_NOT_FOUND, "Brain not found (deleted)");
	}
	double nrows = (double)(nm__pg_i64(r, 0, 6) + PT(tx)->d.doc_rows);
	double total = (double)(nm__pg_i64(r, 0, 7) + PT(tx)->d.doc_tokens);
	PQclear(r);
	nm_strv_t *phrases = nm_xcalloc(nt, sizeof *phrases), firsts = {0};
	for (size_t t = 0; t < nt; t++) {
		nm__fts_tokens(terms->v[t], strlen(terms->v[t]), &phrases[t]);
		if (phrases[t].n)
			nm_strv_add(&firsts, phrases[t].v[0]);
	}
	int rc = 0;
	scored_t *hits = NULL;
	size_t nh = 0;
	if (firsts.n && nrows > 0) {
		pgp_int(&p, PB(tx));
		pgp_hashes(&p, &firsts);
		r = nm__pg_run(PT(tx)->c, PQ_FSEARCH, &p, err);
		rc = r ? 0 : (err ? -err->status : -NM_ST_INTERNAL);
	} else {
		r = NULL;
	}
	if (r) {
		/* counts[i * nt + t]: instances of phrase t in candidate i */
		size_t nc = (size_t)PQntuples(r);
		double *counts = nm_xcalloc(nc * nt + 1, sizeof *counts), *len = nm_xcalloc(nc + 1, sizeof *len);
		double *df = nm_xcalloc(nt, sizeof *df);
		for (size_t i = 0; i < nc; i++) {
			size_t n;
			char *text = nm__pg_bytea(r, (int)i, 1, &n);
			nm_strv_t toks = {0};
			nm__fts_tokens(text, n, &toks);
			len[i] = (double)toks.n;
			for (size_t t = 0; t < nt; t++) {
				counts[i * nt + t] = (double)nm__fts_phrase_count(&toks, &phrases[t]);
				df[t] += counts[i * nt + t] > 0;
			}
			nm_strv_clear(&toks);
			free(text);
		}
		hits = nm_xmalloc(sizeof *hits * (nc + 1));
		for (size_t i = 0; i < nc; i++) {
			double s = 0;
			bool match = false;
			for (size_t t = 0; t < nt; t++) {
				double tf = counts[i * nt + t];
				match |= tf > 0;
				s += tf > 0 ? nm__bm25_tf(nm__bm25_idf(nrows, df[t]), tf, len[i], total / nrows) : 0.0;
			}
			if (match)
				hits[nh++] = (scored_t){nm__pg_i64(r, (int)i, 0), s};
		}
		PQclear(r);
		free(counts);
		free(len);
		free(df);
	}
	if (nh)
		qsort(hits, nh, sizeof *hits, by_score);
	if ((int64_t)nh > k)
		nh = (size_t)k;
	if (rc == 0 && nh) {
		int64_t *seqs = nm_xmalloc(sizeof *seqs * nh);
		for (size_t i = 0; i < nh; i++)
			seqs[i] = hits[i].seq;
		pgp_int_array(&p, seqs, nh);
		free(seqs);
		r = nm__pg_run(PT(tx)->c, PQ_FIBER_BY_SEQS, &p, err);
		if (!r) {
			rc = err ? -err->status : -NM_ST_INTERNAL;
		} else {
			fiber_rows_t fr;
			read_rows(r, &fr);
			for (size_t i = 0; i < nh && !rc; i++)
				for (size_t j = 0; j < fr.n; j++)
					if (fr.seq[j] == hits[i].seq) {
						rc = cb(arg, &fr.v[j], hits[i].score);
						break;
					}
			rows_free(&fr);
		}
	}
	for (size_t t = 0; t < nt; t++)
		nm_strv_clear(&phrases[t]);
	free(phrases);
	nm_strv_clear(&firsts);
	free(hits);
	return rc;
}

int nm__pg_fiber_search_text(nm_tx_t *tx, const char *fiber_id, char **text, nm_err_t *err)
{
	void *pre;
	int known = nm__pg_fetched(tx, PF_FIBERS, fiber_id, &pre);
	if (known >= 0) {
		if (known && ((pfiber_t *)pre)->text)
			*text = nm_xstrdup(((pfiber_t *)pre)->text);
		return 0;
	}
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, fiber_id);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_FTEXT_GET, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	if (PQntuples(r))
		*text = nm__pg_bytea(r, 0, 0, NULL);
	PQclear(r);
	return 0;
}

int nm__pg_fiber_cursor(nm_tx_t *tx, int64_t after, int64_t limit, nm_fiber_seq_cb cb, void *arg, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_int(&p, after);
	if (limit > 0)
		pgp_int(&p, limit);
	else
		pgp_text(&p, NULL);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_FIBER_CURSOR, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		nm_fiber_t f;
		row_fiber(r, i, &f);
		rc = cb(arg, nm__pg_i64(r, i, 0), &f);
		nm_fiber_clear(&f);
	}
	PQclear(r);
	return rc;
}
