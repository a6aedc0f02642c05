/*
 * store_pg_neuron.c — neurons (with their state), time spans and synapses
 * in the postgres backend.
 *
 * A neuron is one nm_neurons row: the object, its state columns, and the
 * look-up columns computed here — ihash (hash of the id, for fiber
 * membership), chash (of the content, exact match), khash (of
 * nm_text_key(content), re-checked in C) and lcontent (the lower-cased
 * content the trigram index covers, with NUL bytes as U+FFFD since text
 * cannot hold them). A needle holding NUL or U+FFFD is therefore matched
 * in C; so is the key, whose hash only finds candidates. Whenever a filter
 * is checked in C, offset and limit are applied in C too.
 *
 * Synapses store their endpoints as neuron row numbers; the ids come back
 * through joins.
 */
#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "text.h"

#define NCOLS "n.seq, n.id, n.type, n.content, n.metadata, n.created_at"

/* A neuron from a row of NCOLS; content is owned by the caller (*buf). */
static void row_neuron(const PGresult *r, int i, nm_neuron_t *n, char **buf)
{
	n->id = PQgetvalue(r, i, 1);
	n->type = (nm_neuron_type_t)atoi(PQgetvalue(r, i, 2));
	*buf = nm__pg_bytea(r, i, 3, &n->content_len);
	n->content = *buf;
	n->metadata = PQgetvalue(r, i, 4);
	n->created_at = nm__pg_i64(r, i, 5);
}

/* lower(content) with NUL as U+FFFD. */
static char *lowered(const char *s, size_t n)
{
	size_t len = 0;
	char *low = nm_utf8_lower(s, n, &len);
	if (!low)
		low = nm_xstrndup(s, n), len = n;
	nm_buf_t b = {0};
	for (size_t i = 0; i < len; i++) {
		if (low[i])
			nm_buf_putc(&b, low[i]);
		else
			nm_buf_puts(&b, "\xef\xbf\xbd");
	}
	free(low);
	nm_buf_putc(&b, 0);
	return nm_buf_steal(&b, NULL);
}

static int64_t key_hash(const char *s, size_t n)
{
	size_t klen = 0;
	char *k = nm_text_key(s, n, &klen);
	int64_t h = k ? (int64_t)nm_hash64(k, klen) : 0;
	free(k);
	return h;
}

/* $3.. of update after b, id: type, content, chash, khash, lcontent,
 * metadata, created_at. */
static void bind_body(pgp_t *p, const nm_neuron_t *n)
{
	pgp_int(p, n->type);
	pgp_bin(p, n->content, n->content_len);
	pgp_int(p, (int64_t)nm_hash64(n->content, n->content_len));
	pgp_int(p, key_hash(n->content, n->content_len));
	pgp_take(p, lowered(n->content, n->content_len));
	pgp_text(p, n->metadata ? n->metadata : "{}");
	pgp_int(p, n->created_at);
}

/* A time neuron's span row (none for other neurons); fresh: no old row. */
static int put_span(nm_tx_t *tx, int64_t seq, const nm_neuron_t *n, bool fresh, nm_err_t *err)
{
	pgp_t p = {0};
	if (!fresh) {
		pgp_int(&p, seq);
		if (nm__pg_exec(PT(tx)->c, PQ_SPAN_DELETE, &p, err) < 0)
			return err ? -err->status : -NM_ST_INTERNAL;
	}
	int64_t t0, t1;
	if (n->type != NM_NEURON_TIME || !nm__time_span(n->metadata ? n->metadata : "{}", &t0, &t1))
		return 0;
	pgp_int(&p, seq);
	pgp_int(&p, PB(tx));
	pgp_int(&p, t0);
	pgp_int(&p, t1);
	if (nm__pg_exec(PT(tx)->c, PQ_SPAN_PUT, &p, err) < 0)
		return err ? -err->status : -NM_ST_INTERNAL;
	if (t1 - t0 > PT(tx)->d.max_span)
		PT(tx)->d.max_span = t1 - t0;
	return 0;
}

int nm__pg_neuron_add(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, n->id);
	pgp_int(&p, (int64_t)nm_hash64(n->id, strlen(n->id)));
	pgp_int(&p, n->type);
	pgp_bin(&p, n->content, n->content_len);
	pgp_int(&p, (int64_t)nm_hash64(n->content, n->content_len));
	pgp_int(&p, key_hash(n->content, n->content_len));
	pgp_take(&p, lowered(n->content, n->content_len));
	pgp_text(&p, n->metadata ? n->metadata : "{}");
	pgp_int(&p, n->created_at);
	pgp_dbl(&p, NM_STATE_DEFAULT_DECAY);
	pgp_int(&p, nm_time_now());
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_NEURON_INSERT, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	int64_t seq = PQntuples(r) ? nm__pg_i64(r, 0, 0) : 0;
	PQclear(r);
	if (!seq)
		return nm__exists(err, "Neuron", n->id);
	nm__pg_seq_note(tx, n->id, seq);
	int rc = put_span(tx, seq, n, true, err);
	if (rc == 0)
		PT(tx)->d.neurons++;
	return rc;
}

/* One row of a statement taking (b, id), or 404 for kind. */
static PGresult *by_id(nm_tx_t *tx, pq_id_t which, const char *kind, const char *id, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, id);
	PGresult *r = nm__pg_run(PT(tx)->c, which, &p, err);
	if (r && PQntuples(r) == 0) {
		PQclear(r);
		nm__not_found(err, kind, id);
		return NULL;
	}
	return r;
}

PGresult *nm__pg_fetch_rows(nm_tx_t *tx, pq_id_t which, char *const *ids, size_t n)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text_array(&p, ids, n);
	return nm__pg_run(PT(tx)->c, which, &p, NULL);
}

void nm__pg_fetch_neurons(nm_tx_t *tx, char *const *ids, size_t n)
{
	PGresult *r = nm__pg_fetch_rows(tx, PQ_PF_NEURONS, ids, n);
	if (!r)
		return;
	for (int i = 0; i < PQntuples(r); i++) {
		nm_neuron_t row, *own = nm_xcalloc(1, sizeof *own);
		char *buf;
		row_neuron(r, i, &row, &buf);
		nm_neuron_copy(own, &row);
		free(buf);
		nm_hmap_put(&PT(tx)->fetched[PF_NEURONS], own->id, strlen(own->id), own);
	}
	PT(tx)->has[PF_NEURONS] = true;
	PQclear(r);
}

int nm__pg_neuron_get(nm_tx_t *tx, const char *id, nm_neuron_t *out, nm_err_t *err)
{
	void *pre;
	int known = nm__pg_fetched(tx, PF_NEURONS, id, &pre);
	if (known >= 0) {
		if (known)
			nm_neuron_copy(out, pre);
		return known ? 0 : nm__not_found(err, "Neuron", id);
	}
	PGresult *r = by_id(tx, PQ_NEURON_GET, "Neuron", id, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	nm_neuron_t n;
	char *buf;
	row_neuron(r, 0, &n, &buf);
	nm__pg_seq_note(tx, n.id, nm__pg_i64(r, 0, 0));
	nm_neuron_copy(out, &n);
	free(buf);
	PQclear(r);
	return 0;
}

int nm__pg_neuron_update(nm_tx_t *tx, const nm_neuron_t *n, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, n->id);
	bind_body(&p, n);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_NEURON_UPDATE, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	int64_t seq = PQntuples(r) ? nm__pg_i64(r, 0, 0) : 0;
	PQclear(r);
	if (!seq)
		return nm__not_found(err, "Neuron", n->id);
	return put_span(tx, seq, n, false, err);
}

int nm__pg_neuron_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, id);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_NEURON_DELETE, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	int64_t neurons = nm__pg_i64(r, 0, 0), synapses = nm__pg_i64(r, 0, 1);
	PQclear(r);
	if (!neurons)
		return nm__not_found(err, "Neuron", id);
	nm__pg_seq_note(tx, id, 0);
	PT(tx)->d.neurons--;
	PT(tx)->d.synapses -= synapses;
	tx->rows += synapses;
	return 0;
}

void nm__pg_seq_note(nm_tx_t *tx, const char *id, int64_t seq)
{
	ptx_t *t = PT(tx);
	char *k = nm_xstrdup(id);
	nm_strv_push(&t->seq_keys, k);
	nm_hmap_put(&t->seqs, k, strlen(k), (void *)(intptr_t)(seq ? seq : -1));
}

void nm__pg_seq_forget(nm_tx_t *tx)
{
	nm_hmap_free(&PT(tx)->seqs);
	nm_strv_clear(&PT(tx)->seq_keys);
}

int64_t nm__pg_neuron_seq(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	intptr_t known = (intptr_t)nm_hmap_get(&PT(tx)->seqs, id, strlen(id));
	if (known)
		return known < 0 ? 0 : (int64_t)known;
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, id);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_NEURON_SEQ, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	int64_t seq = PQntuples(r) ? nm__pg_i64(r, 0, 0) : 0;
	PQclear(r);
	nm__pg_seq_note(tx, id, seq);
	return seq;
}

int nm__pg_neuron_exists(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	int64_t seq = nm__pg_neuron_seq(tx, id, err);
	return seq < 0 ? (int)seq : seq > 0;
}

/* Filter bits of the neuron scan variants. */
enum { NF_TYPE = 1, NF_LIKE = 2, NF_EXACT = 4, NF_TIME = 8, NF_WINDOW = 16, NF_KEY = 32 };

static const char *neuron_scan_sql(unsigned mask, char *buf, size_t cap)
{
	int k = 1;
	size_t n = (size_t)snprintf(buf, cap, "SELECT " NCOLS " FROM nm_neurons n WHERE n.b = $%d", k++);
	if (mask & NF_TYPE)
		n += (size_t)snprintf(buf + n, cap - n, " AND n.type = $%d", k++);
	if (mask & NF_LIKE)
		n += (size_t)snprintf(buf + n, cap - n, " AND n.lcontent LIKE $%d", k++);
	if (mask & NF_EXACT)
		n += (size_t)snprintf(buf + n, cap - n, " AND n.chash = $%d AND n.content = $%d", k, k + 1), k += 2;
	if (mask & NF_TIME)
		n += (size_t)snprintf(buf + n, cap - n, " AND n.created_at BETWEEN $%d AND $%d", k, k + 1), k += 2;
	if (mask & NF_KEY)
		n += (size_t)snprintf(buf + n, cap - n, " AND n.khash = $%d", k++);
	if (mask & NF_WINDOW)
		snprintf(buf + n, cap - n, " ORDER BY n.seq LIMIT $%d OFFSET $%d", k, k + 1);
	else /* a page after row $k */
		snprintf(buf + n, cap - n, " AND n.seq > $%d ORDER BY n.seq LIMIT " NM_PG_PAGE_STR, k);
	return buf;
}

/* The needle as a LIKE pattern: %needle% with backslash, % and _ escaped. */
static char *like_pattern(const char *s, size_t n)
{
	nm_buf_t b = {0};
	nm_buf_putc(&b, '%');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '%' || s[i] == '_')
			nm_buf_putc(&b, '\\');
		nm_buf_putc(&b, s[i]);
	}
	nm_buf_putc(&b, '%');
	return nm_buf_steal(&b, NULL);
}

/* Does the neuron pass the filters checked in C? */
static bool c_match(const nm_neuron_filter_t *f, bool contains, const nm_neuron_t *n)
{
	bool ok = true;
	if (contains) {
		size_t len = 0;
		char *low = nm_utf8_lower(n->content, n->content_len, &len);
		ok = low && memmem(low, len, f->contains, f->contains_len);
		free(low);
	}
	if (ok && f->key) {
		size_t klen = 0;
		char *k = nm_text_key(n->content, n->content_len, &klen);
		ok = k && klen == f->key_len && memcmp(k, f->key, klen) == 0;
		free(k);
	}
	return ok;
}

/* Filters, in SQL and in C, and where the scan stands. */
typedef struct nscan {
	const nm_neuron_filter_t *f;
	unsigned mask;
	bool c_contains, in_c;
	int64_t skip, left;              /* offset/limit applied in C (in_c) */
} nscan_t;

/* One statement: the window, or the page after row `after`; *last gets
 * the last row number read (0: the scan is over). */
static int neuron_page(nm_tx_t *tx, nscan_t *q, int64_t after, int64_t *last, nm_neuron_cb cb, void *arg,
                       nm_err_t *err)
{
	const nm_neuron_filter_t *f = q->f;
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	if (q->mask & NF_TYPE)
		pgp_int(&p, f->type);
	if (q->mask & NF_LIKE)
		pgp_take(&p, like_pattern(f->contains, f->contains_len));
	if (q->mask & NF_EXACT) {
		pgp_int(&p, (int64_t)nm_hash64(f->exact, f->exact_len));
		pgp_bin(&p, f->exact, f->exact_len);
	}
	if (q->mask & NF_TIME) {
		pgp_int(&p, f->time_start);
		pgp_int(&p, f->time_end);
	}
	if (q->mask & NF_KEY) /* f->key is already nm_text_key()ed (store_ops.c) */
		pgp_int(&p, (int64_t)nm_hash64(f->key, f->key_len));
	if (q->mask & NF_WINDOW) {
		if (f->limit > 0)
			pgp_int(&p, f->limit);
		else
			pgp_text(&p, NULL);
		pgp_int(&p, f->offset);
	} else {
		pgp_int(&p, after);
	}
	char sql[640], name[16];
	snprintf(name, sizeof name, "n%u", q->mask);
	pconn_t *c = PT(tx)->c;
	PGresult *r = nm__pg_run_dyn(c, &c->nscan[q->mask], name, neuron_scan_sql(q->mask, sql, sizeof sql), &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	int rc = 0, rows = PQntuples(r);
	*last = !(q->mask & NF_WINDOW) && rows == NM_PG_PAGE ? nm__pg_i64(r, rows - 1, 0) : 0;
	for (int i = 0; i < rows && !rc && q->left != 0; i++) {
		nm_neuron_t n;
		char *buf;
		row_neuron(r, i, &n, &buf);
		if (q->mask & (NF_KEY | NF_EXACT)) /* the engine's look-ups: their synapses are asked for next */
			nm__pg_seq_note(tx, n.id, nm__pg_i64(r, i, 0));
		if (!q->in_c || c_match(f, q->c_contains, &n)) {
			if (q->skip > 0) {
				q->skip--;
			} else {
				if (q->left > 0)
					q->left--;
				rc = cb(arg, &n);
			}
		}
		free(buf);
	}
	PQclear(r);
	if (q->left == 0)
		*last = 0;
	return rc;
}

/* Unbounded scans (an export) read pages of NM_PG_PAGE rows by row
 * number, so memory stays bounded and the callback may use the
 * transaction itself. */
int nm__pg_neuron_scan(nm_tx_t *tx, const nm_neuron_filter_t *f, nm_neuron_cb cb, void *arg, nm_err_t *err)
{
	nscan_t q = {.f = f};
	if (f->type >= 0)
		q.mask |= NF_TYPE;
	if (f->contains) {
		if (memchr(f->contains, 0, f->contains_len) || memmem(f->contains, f->contains_len, "\xef\xbf\xbd", 3))
			q.c_contains = true;
		else
			q.mask |= NF_LIKE;
	}
	if (f->exact)
		q.mask |= NF_EXACT;
	if (f->time_start != NM_TIME_NONE)
		q.mask |= NF_TIME;
	if (f->key)
		q.mask |= NF_KEY;
	q.in_c = q.c_contains || f->key;
	if ((f->limit > 0 || f->offset > 0) && !q.in_c)
		q.mask |= NF_WINDOW;
	q.skip = q.in_c ? f->offset : 0;
	q.left = q.in_c && f->limit > 0 ? f->limit : -1;
	int64_t after = 0;
	int rc;
	do
		rc = neuron_page(tx, &q, after, &after, cb, arg, err);
	while (rc == 0 && after > 0);
	return rc;
}

static int each_neuron(PGresult *r, nm_neuron_cb cb, void *arg)
{
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		nm_neuron_t n;
		char *buf;
		row_neuron(r, i, &n, &buf);
		rc = cb(arg, &n);
		free(buf);
	}
	PQclear(r);
	return rc;
}

int nm__pg_time_spans(nm_tx_t *tx, int64_t t0, int64_t t1, bool exact, int64_t limit, nm_neuron_cb cb, void *arg,
                      nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_int(&p, t0);
	pgp_int(&p, t1);
	if (limit > 0)
		pgp_int(&p, limit);
	else
		pgp_text(&p, NULL);
	if (!exact)
		pgp_int(&p, PT(tx)->d.max_span);
	PGresult *r = nm__pg_run(PT(tx)->c, exact ? PQ_SPAN_EXACT : PQ_SPAN_OVERLAP, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	return each_neuron(r, cb, arg);
}

int nm__pg_state_get(nm_tx_t *tx, const char *id, nm_state_t *out, nm_err_t *err)
{
	PGresult *r = by_id(tx, PQ_STATE_GET, "Neuron", id, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	out->neuron_id = nm_xstrdup(id);
	out->activation_level = nm__pg_dbl(r, 0, 0);
	out->access_frequency = nm__pg_i64(r, 0, 1);
	out->last_activated = nm__pg_time(r, 0, 2);
	out->decay_rate = nm__pg_dbl(r, 0, 3);
	out->created_at = nm__pg_i64(r, 0, 4);
	PQclear(r);
	return 0;
}

int nm__pg_state_put(nm_tx_t *tx, const nm_state_t *st, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, st->neuron_id);
	pgp_dbl(&p, st->activation_level);
	pgp_int(&p, st->access_frequency);
	pgp_time(&p, st->last_activated);
	pgp_dbl(&p, st->decay_rate);
	pgp_int(&p, st->created_at);
	int64_t n = nm__pg_exec(PT(tx)->c, PQ_STATE_PUT, &p, err);
	if (n < 0)
		return (int)n;
	return n ? 0 : nm__not_found(err, "Neuron", st->neuron_id);
}

/* ---- synapses ---- */

#define SYN_COLS "s.seq, s.id, a.id, t.id, s.type, s.weight, s.direction, s.metadata, s.reinforced_count," \
                 " s.last_activated, s.created_at"
#define SYN_FROM " FROM nm_synapses s JOIN nm_neurons a ON a.seq = s.source JOIN nm_neurons t ON t.seq = s.target"

static void row_synapse(const PGresult *r, int i, nm_synapse_t *y)
{
	y->id = PQgetvalue(r, i, 1);
	y->source_id = PQgetvalue(r, i, 2);
	y->target_id = PQgetvalue(r, i, 3);
	y->type = (nm_synapse_type_t)atoi(PQgetvalue(r, i, 4));
	y->weight = nm__pg_dbl(r, i, 5);
	y->direction = (nm_direction_t)atoi(PQgetvalue(r, i, 6));
	y->metadata = PQgetvalue(r, i, 7);
	y->reinforced_count = nm__pg_i64(r, i, 8);
	y->last_activated = nm__pg_time(r, i, 9);
	y->created_at = nm__pg_i64(r, i, 10);
}

/* Endpoint row numbers, or 422 naming the missing endpoint. */
static int endpoints(nm_tx_t *tx, const nm_synapse_t *y, int64_t *src, int64_t *dst, nm_err_t *err)
{
	if ((*src = nm__pg_neuron_seq(tx, y->source_id, err)) < 0)
		return (int)*src;
	if (*src == 0)
		return nm_err_set(err, NM_ST_INVALID, "Source neuron %.*s does not exist", NM_ERR_STR(y->source_id, 255));
	if ((*dst = nm__pg_neuron_seq(tx, y->target_id, err)) < 0)
		return (int)*dst;
	if (*dst == 0)
		return nm_err_set(err, NM_ST_INVALID, "Target neuron %.*s does not exist", NM_ERR_STR(y->target_id, 255));
	return 0;
}

/* $1 b, $2 id, $3 source id, $4 target id … $11 created_at, shared by
 * insert and update (the statements find the endpoints' rows). */
static void bind_synapse(pgp_t *p, nm_tx_t *tx, const nm_synapse_t *y)
{
	pgp_int(p, PB(tx));
	pgp_text(p, y->id);
	pgp_text(p, y->source_id);
	pgp_text(p, y->target_id);
	pgp_int(p, y->type);
	pgp_dbl(p, y->weight);
	pgp_int(p, y->direction);
	pgp_text(p, y->metadata ? y->metadata : "{}");
	pgp_int(p, y->reinforced_count);
	pgp_time(p, y->last_activated);
	pgp_int(p, y->created_at);
}

/* One round trip when it works; when no row changed, why: a missing
 * endpoint (422) or else the id's state (exists / not found). */
int nm__pg_synapse_add(nm_tx_t *tx, const nm_synapse_t *y, nm_err_t *err)
{
	pgp_t p = {0};
	bind_synapse(&p, tx, y);
	PGresult *r = nm__pg_run(PT(tx)->c, PQ_SYN_INSERT, &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	bool added = PQntuples(r) > 0;
	PQclear(r);
	if (!added) {
		int64_t src, dst;
		int rc = endpoints(tx, y, &src, &dst, err);
		return rc < 0 ? rc : nm__exists(err, "Synapse", y->id);
	}
	PT(tx)->d.synapses++;
	return 0;
}

void nm__pg_fetch_synapses(nm_tx_t *tx, char *const *ids, size_t n)
{
	PGresult *r = nm__pg_fetch_rows(tx, PQ_PF_SYNAPSES, ids, n);
	if (!r)
		return;
	for (int i = 0; i < PQntuples(r); i++) {
		nm_synapse_t row, *own = nm_xcalloc(1, sizeof *own);
		row_synapse(r, i, &row);
		nm_synapse_copy(own, &row);
		nm_hmap_put(&PT(tx)->fetched[PF_SYNAPSES], own->id, strlen(own->id), own);
	}
	PT(tx)->has[PF_SYNAPSES] = true;
	PQclear(r);
}

int nm__pg_synapse_get(nm_tx_t *tx, const char *id, nm_synapse_t *out, nm_err_t *err)
{
	void *pre;
	int known = nm__pg_fetched(tx, PF_SYNAPSES, id, &pre);
	if (known >= 0) {
		if (known)
			nm_synapse_copy(out, pre);
		return known ? 0 : nm__not_found(err, "Synapse", id);
	}
	PGresult *r = by_id(tx, PQ_SYN_GET, "Synapse", id, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	nm_synapse_t y;
	row_synapse(r, 0, &y);
	nm_synapse_copy(out, &y);
	PQclear(r);
	return 0;
}

int nm__pg_synapse_update(nm_tx_t *tx, const nm_synapse_t *y, nm_err_t *err)
{
	pgp_t p = {0};
	bind_synapse(&p, tx, y);
	int64_t n = nm__pg_exec(PT(tx)->c, PQ_SYN_UPDATE, &p, err);
	if (n < 0)
		return (int)n;
	if (n)
		return 0;
	int64_t src, dst;
	int rc = endpoints(tx, y, &src, &dst, err);
	return rc < 0 ? rc : nm__not_found(err, "Synapse", y->id);
}

int nm__pg_synapse_delete(nm_tx_t *tx, const char *id, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	pgp_text(&p, id);
	int64_t n = nm__pg_exec(PT(tx)->c, PQ_SYN_DELETE, &p, err);
	if (n < 0)
		return (int)n;
	if (!n)
		return nm__not_found(err, "Synapse", id);
	PT(tx)->d.synapses--;
	return 0;
}


static const char *synapse_scan_sql(unsigned mask, char *buf, size_t cap)
{
	int k = 1;
	size_t n = (size_t)snprintf(buf, cap, "SELECT " SYN_COLS SYN_FROM " WHERE s.b = $%d", k++);
	if (mask & NM_SF_SOURCE)
		n += (size_t)snprintf(buf + n, cap - n, " AND s.source = $%d", k++);
	if (mask & NM_SF_TARGET)
		n += (size_t)snprintf(buf + n, cap - n, " AND s.target = $%d", k++);
	if (mask & NM_SF_TYPE)
		n += (size_t)snprintf(buf + n, cap - n, " AND s.type = $%d", k++);
	if (mask & NM_SF_WEIGHT)
		n += (size_t)snprintf(buf + n, cap - n, " AND s.weight >= $%d", k++);
	const char *dir = mask & NM_SF_NEWEST ? " DESC" : "";
	if (mask & NM_SF_WINDOW) /* a page after (before, newest first) row $k otherwise */
		snprintf(buf + n, cap - n, " ORDER BY s.seq%s LIMIT $%d OFFSET $%d", dir, k, k + 1);
	else
		snprintf(buf + n, cap - n, " AND s.seq %s $%d ORDER BY s.seq%s LIMIT " NM_PG_PAGE_STR,
		         mask & NM_SF_NEWEST ? "<" : ">", k, dir);
	return buf;
}

/* One statement of a synapse scan (the window, or the page past row
 * `after`); *last: the last row read when a full page came back, else 0. */
static int synapse_page(nm_tx_t *tx, const nm_synapse_filter_t *f, unsigned mask, int64_t src, int64_t dst,
                        int64_t after, int64_t *last, nm_synapse_cb cb, void *arg, nm_err_t *err)
{
	pgp_t p = {0};
	pgp_int(&p, PB(tx));
	if (mask & NM_SF_SOURCE)
		pgp_int(&p, src);
	if (mask & NM_SF_TARGET)
		pgp_int(&p, dst);
	if (mask & NM_SF_TYPE)
		pgp_int(&p, f->type);
	if (mask & NM_SF_WEIGHT)
		pgp_dbl(&p, f->min_weight);
	if (mask & NM_SF_WINDOW) {
		if (f->limit > 0)
			pgp_int(&p, f->limit);
		else
			pgp_text(&p, NULL);
		pgp_int(&p, f->offset);
	} else {
		pgp_int(&p, after);
	}
	char sql[512], name[16];
	snprintf(name, sizeof name, "s%u", mask);
	pconn_t *c = PT(tx)->c;
	PGresult *r = nm__pg_run_dyn(c, &c->sscan[mask], name, synapse_scan_sql(mask, sql, sizeof sql), &p, err);
	if (!r)
		return err ? -err->status : -NM_ST_INTERNAL;
	int rc = 0, rows = PQntuples(r);
	*last = !(mask & NM_SF_WINDOW) && rows == NM_PG_PAGE ? nm__pg_i64(r, rows - 1, 0) : 0;
	for (int i = 0; i < rows && !rc; i++) {
		nm_synapse_t y;
		row_synapse(r, i, &y);
		rc = cb(arg, &y);
	}
	PQclear(r);
	return rc;
}

int nm__pg_synapse_scan(nm_tx_t *tx, const nm_synapse_filter_t *f, nm_synapse_cb cb, void *arg, nm_err_t *err)
{
	int64_t src, dst;
	unsigned mask;
	int rc = nm__synapse_scan_plan(tx, f, nm__pg_neuron_seq, &mask, &src, &dst, err);
	if (rc <= 0)
		return rc;
	int64_t after = f->newest_first ? INT64_MAX : 0, last;
	while ((rc = synapse_page(tx, f, mask, src, dst, after, &last, cb, arg, err)) == 0 && last > 0)
		after = last;
	return rc;
}
