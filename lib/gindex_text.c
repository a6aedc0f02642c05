/*
 * gindex_text.c — inverted lists and BM25 top-k for the graph index
 * (gindex_text.h).
 *
 * Layout: a map token → posting list of (document, frequency), documents
 * ascending; each list has a term number; per document its tokens as term
 * numbers (to match multi-token phrases and to unindex the document when
 * its text changes); the totals FTS5's bm25() uses: searchable documents
 * (nrow) and their tokens (ntok).
 *
 * Scoring is FTS5's: per phrase idf = ln((nrow - df + 0.5) / (df + 0.5)),
 * floored at 1e-6, and a document's score the sum over the query's phrases,
 * in query order, of idf * f * (k1 + 1) / (f + k1 * (1 - b + b * D / avgdl))
 * (nm__bm25_idf, nm__bm25_tf). Every document matching a phrase is a match.
 *
 * Top-k (term at a time, with the MaxScore bound): a phrase adds at most
 * its score term at the highest frequency and the shortest document its
 * list has seen. Phrases are read highest bound first, each posting adding
 * a candidate. Once the bounds of the phrases still unread sum to less than
 * the k-th best partial score so far, no document outside the candidates
 * can reach the top k, nor can a candidate whose partial score plus those
 * bounds stays below it: the remaining phrases — the common terms, with the
 * long lists — are only merged (galloping) with the few candidates left.
 * The final scores are summed in query order, so the top k carry the
 * exhaustive scores, bit for bit.
 */
#include "gindex_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mem.h"

typedef struct post {
	uint32_t doc, freq, len;  /* len: the document's tokens (no look-up while scoring) */
} post_t;

struct nm_gxt_plist {
	char *token;              /* the map's key */
	uint32_t num;             /* its term number */
	post_t *v;
	uint32_t n, cap;
	/* the highest frequency and the shortest document the list has held:
	 * with them a bound on the term's score tighter than idf * (k1 + 1)
	 * (still a bound once those postings are gone) */
	uint32_t max_freq, min_len;
};
typedef nm_gxt_plist_t plist_t;

/* ---- building ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The position of doc in v (or where it would go). */
static uint32_t post_find(const post_t *v, uint32_t n, uint32_t doc)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v[mid].doc < doc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static plist_t *term_get(const nm_gxt_t *t, const char *token)
{
	return nm_hmap_get(&t->terms, token, strlen(token));
}

static plist_t *term_make(nm_gxt_t *t, const char *token)
{
	plist_t *pl = term_get(t, token);
	if (pl)
		return pl;
	pl = nm_xcalloc(1, sizeof *pl);
	pl->token = nm_xstrdup(token);
	if (t->nfree) {
		pl->num = t->free_nums[--t->nfree];
	} else {
		if (t->nlists == t->caplists) {
			t->caplists = t->caplists ? t->caplists * 2 : 1024;
			t->lists = nm_xrealloc(t->lists, sizeof *t->lists * t->caplists);
		}
		pl->num = t->nlists++;
	}
	t->lists[pl->num] = pl;
	nm_hmap_put(&t->terms, pl->token, strlen(pl->token), pl);
	t->bytes += sizeof *pl + strlen(token) + 56;
	return pl;
}

static void term_drop(nm_gxt_t *t, plist_t *pl)
{
	nm_hmap_del(&t->terms, pl->token, strlen(pl->token));
	t->lists[pl->num] = NULL;
	if (t->nfree == t->capfree) {
		t->capfree = t->capfree ? t->capfree * 2 : 64;
		t->free_nums = nm_xrealloc(t->free_nums, sizeof *t->free_nums * t->capfree);
	}
	t->free_nums[t->nfree++] = pl->num;
	t->bytes -= sizeof *pl + strlen(pl->token) + 56;
	free(pl->token);
	free(pl->v);
	free(pl);
}

static void post_add(nm_gxt_t *t, plist_t *pl, uint32_t doc, uint32_t freq, uint32_t len)
{
	if (!pl->n && !pl->cap)
		pl->min_len = len;
	if (freq > pl->max_freq)
		pl->max_freq = freq;
	if (len < pl->min_len)
		pl->min_len = len;
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 2;
		pl->v = nm_xrealloc(pl->v, sizeof *pl->v * pl->cap);
	}
	uint32_t at = pl->n && pl->v[pl->n - 1].doc > doc ? post_find(pl->v, pl->n, doc) : pl->n;
	memmove(&pl->v[at + 1], &pl->v[at], sizeof *pl->v * (pl->n - at));
	pl->v[at] = (post_t){doc, freq, len};
	pl->n++;
	t->bytes += sizeof(post_t);
}

static void post_remove(nm_gxt_t *t, plist_t *pl, uint32_t doc)
{
	uint32_t at = post_find(pl->v, pl->n, doc);
	if (at == pl->n || pl->v[at].doc != doc)
		return;
	memmove(&pl->v[at], &pl->v[at + 1], sizeof *pl->v * (pl->n - at - 1));
	pl->n--;
	t->bytes -= sizeof(post_t);
	if (!pl->n)
		term_drop(t, pl);
}

/* Each distinct term of a token sequence once, with its count. */
static void each_term(const uint32_t *tok, uint32_t n, void (*fn)(nm_gxt_t *, uint32_t, uint32_t, uint32_t),
                      nm_gxt_t *t, uint32_t doc)
{
	uint32_t *sorted = nm_xmalloc(sizeof *sorted * (n + 1));
	memcpy(sorted, tok, sizeof *sorted * n);
	qsort(sorted, n, sizeof *sorted, cmp_u32);
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i + 1;
		while (j < n && sorted[j] == sorted[i])
			j++;
		fn(t, sorted[i], doc, j - i);
		i = j;
	}
	free(sorted);
}

static void add_term(nm_gxt_t *t, uint32_t num, uint32_t doc, uint32_t freq)
{
	post_add(t, t->lists[num], doc, freq, t->docs[doc].ntok);
}

static void remove_term(nm_gxt_t *t, uint32_t num, uint32_t doc, uint32_t freq)
{
	post_remove(t, t->lists[num], doc);
}

/* Does the document hold exactly these tokens? */
static bool same_tokens(const nm_gxt_t *t, const nm_gxt_doc_t *d, const nm_strv_t *toks)
{
	if (!d->has || d->ntok != toks->n)
		return false;
	for (uint32_t i = 0; i < d->ntok; i++) {
		const plist_t *pl = term_get(t, toks->v[i]);
		if (!pl || pl->num != d->tok[i])
			return false;
	}
	return true;
}

void nm__gxt_set(nm_gxt_t *t, uint32_t doc, const char *text)
{
	if (doc >= t->ndocs) {
		uint32_t cap = t->ndocs ? t->ndocs : 1024;
		while (cap <= doc)
			cap *= 2;
		t->docs = nm_xrealloc(t->docs, sizeof *t->docs * cap);
		memset(&t->docs[t->ndocs], 0, sizeof *t->docs * (cap - t->ndocs));
		t->bytes += sizeof *t->docs * (cap - t->ndocs);
		t->ndocs = cap;
	}
	nm_gxt_doc_t *d = &t->docs[doc];
	nm_strv_t toks = {0};
	if (text)
		nm__fts_tokens(text, strlen(text), &toks);
	if (text ? same_tokens(t, d, &toks) : !d->has) {
		nm_strv_clear(&toks);
		return;
	}
	if (d->has) {
		each_term(d->tok, d->ntok, remove_term, t, doc);
		t->nrow--;
		t->ntok -= d->ntok;
		t->bytes -= sizeof *d->tok * d->ntok;
		free(d->tok);
		*d = (nm_gxt_doc_t){0};
	}
	if (text) {
		d->has = true;
		d->ntok = (uint32_t)toks.n;
		d->tok = nm_xmalloc(sizeof *d->tok * (toks.n + 1));
		for (size_t i = 0; i < toks.n; i++)
			d->tok[i] = term_make(t, toks.v[i])->num;
		each_term(d->tok, d->ntok, add_term, t, doc);
		t->nrow++;
		t->ntok += d->ntok;
		t->bytes += sizeof *d->tok * d->ntok;
	}
	nm_strv_clear(&toks);
}

void nm__gxt_free(nm_gxt_t *t)
{
	for (uint32_t i = 0; i < t->nlists; i++)
		if (t->lists[i]) {
			free(t->lists[i]->token);
			free(t->lists[i]->v);
			free(t->lists[i]);
		}
	free(t->lists);
	free(t->free_nums);
	nm_hmap_free(&t->terms);
	for (uint32_t i = 0; i < t->ndocs; i++)
		free(t->docs[i].tok);
	free(t->docs);
	memset(t, 0, sizeof *t);
}

/* ---- search ---- */

typedef struct phrase {
	const post_t *v;          /* (document, instances, length) ascending */
	uint32_t n;               /* = df */
	post_t *own;              /* v when built here (multi-token phrases) */
	uint32_t max_freq, min_len; /* over v (or over more: still bounds) */
	double idf, bound;
} phrase_t;

/* Instances of the term sequence num[0..n) in a document, overlapping
 * ones included (nm__fts_phrase_count's rule). */
static uint32_t instances(const nm_gxt_doc_t *d, const uint32_t *num, size_t n)
{
	uint32_t hits = 0;
	for (uint32_t i = 0; i + n <= d->ntok; i++)
		hits += memcmp(&d->tok[i], num, sizeof *num * n) == 0;
	return hits;
}

/* The documents containing a multi-token phrase: the candidates of its
 * rarest token, each checked against the document's term numbers. */
static void phrase_postings(const nm_gxt_t *t, const nm_strv_t *toks, phrase_t *p)
{
	const plist_t *rare = NULL;
	uint32_t *num = nm_xmalloc(sizeof *num * toks->n);
	for (size_t i = 0; i < toks->n; i++) {
		const plist_t *pl = term_get(t, toks->v[i]);
		if (!pl) { /* a token no document has */
			free(num);
			return;
		}
		num[i] = pl->num;
		if (!rare || pl->n < rare->n)
			rare = pl;
	}
	p->own = nm_xmalloc(sizeof *p->own * (rare->n + 1));
	p->min_len = UINT32_MAX;
	for (uint32_t i = 0; i < rare->n; i++) {
		const post_t *x = &rare->v[i];
		uint32_t hits = instances(&t->docs[x->doc], num, toks->n);
		if (!hits)
			continue;
		p->own[p->n++] = (post_t){x->doc, hits, x->len};
		if (hits > p->max_freq)
			p->max_freq = hits;
		if (x->len < p->min_len)
			p->min_len = x->len;
	}
	p->v = p->own;
	free(num);
}

static void phrase_open(const nm_gxt_t *t, const char *term, double avgdl, phrase_t *p)
{
	nm_strv_t toks = {0};
	nm__fts_tokens(term, strlen(term), &toks);
	*p = (phrase_t){0};
	if (toks.n == 1) {
		const plist_t *pl = term_get(t, toks.v[0]);
		if (pl) {
			p->v = pl->v;
			p->n = pl->n;
			p->max_freq = pl->max_freq;
			p->min_len = pl->min_len;
		}
	} else if (toks.n > 1) {
		phrase_postings(t, &toks, p);
	}
	nm_strv_clear(&toks);
	p->idf = nm__bm25_idf(t->nrow, p->n);
	/* the score term grows with the frequency and shrinks with the length */
	p->bound = p->n ? nm__bm25_tf(p->idf, p->max_freq, p->min_len, avgdl) : 0.0;
}

/* Candidates: documents with their per-phrase contributions. */
typedef struct cands {
	uint32_t *doc;
	double *contrib;          /* [cand * nphrases + phrase] */
	double *partial;          /* sum over the phrases read so far */
	size_t n, cap, nphr;
	uint32_t *slot;           /* open addressing: doc + 1 → cand + 1 */
	size_t mask;
} cands_t;

static size_t cand_find(const cands_t *c, uint32_t doc, bool *found)
{
	size_t h = (doc * 0x9E3779B1u) & c->mask;
	while (c->slot[h * 2]) {
		if (c->slot[h * 2] == doc + 1) {
			*found = true;
			return h;
		}
		h = (h + 1) & c->mask;
	}
	*found = false;
	return h;
}

static void cand_rehash(cands_t *c, size_t cap)
{
	size_t ocap = c->slot ? c->mask + 1 : 0;
	uint32_t *old = c->slot;
	c->mask = cap - 1;
	c->slot = nm_xcalloc(cap * 2, sizeof *c->slot);
	for (size_t i = 0; i < ocap; i++)
		if (old[i * 2]) {
			bool f;
			size_t h = cand_find(c, old[i * 2] - 1, &f);
			c->slot[h * 2] = old[i * 2];
			c->slot[h * 2 + 1] = old[i * 2 + 1];
		}
	free(old);
}

static void cand_reserve(cands_t *c, size_t n)
{
	c->cap = n;
	c->doc = nm_xrealloc(c->doc, sizeof *c->doc * c->cap);
	c->partial = nm_xrealloc(c->partial, sizeof *c->partial * c->cap);
	c->contrib = nm_xrealloc(c->contrib, sizeof *c->contrib * c->cap * c->nphr);
}

/* Room for about hint candidates before anything grows. */
static void cand_init(cands_t *c, size_t hint)
{
	size_t cap = 64;
	while (cap < hint * 2)
		cap *= 2;
	cand_rehash(c, cap);
	cand_reserve(c, cap / 2);
}

/* The candidate of doc, added if new. */
static size_t cand_get(cands_t *c, uint32_t doc)
{
	bool found;
	size_t h = cand_find(c, doc, &found);
	if (found)
		return c->slot[h * 2 + 1] - 1;
	if (c->n == c->cap)
		cand_reserve(c, c->cap * 2);
	size_t k = c->n++;
	c->doc[k] = doc;
	c->partial[k] = 0.0;
	memset(&c->contrib[k * c->nphr], 0, sizeof *c->contrib * c->nphr);
	c->slot[h * 2] = doc + 1;
	c->slot[h * 2 + 1] = (uint32_t)k + 1;
	if (c->n * 2 > c->mask + 1)
		cand_rehash(c, (c->mask + 1) * 2);
	return k;
}

/* A candidate by its document, to merge candidates with posting lists. */
typedef struct by_doc_entry {
	uint32_t doc, cand;
} by_doc_t;

static int by_doc(const void *a, const void *b)
{
	uint32_t x = ((const by_doc_t *)a)->doc, y = ((const by_doc_t *)b)->doc;
	return x < y ? -1 : x > y;
}

/* The first posting at or after `from` whose document is >= doc:
 * galloping, then binary search. */
static uint32_t post_seek(const post_t *v, uint32_t n, uint32_t from, uint32_t doc)
{
	uint32_t step = 1, lo = from, hi = from;
	while (hi < n && v[hi].doc < doc) {
		lo = hi + 1;
		hi = from + step;
		step *= 2;
	}
	if (hi > n)
		hi = n;
	return lo + post_find(v + lo, hi - lo, doc);
}

/* The k-th largest of v[0..n) (v is reordered); k in 1..n. Three-way
 * partitions: scores repeat a lot (same length, same frequency). */
static double kth_largest(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n, want = k - 1;
	for (;;) {
		double pivot = v[lo + (hi - lo) / 2], x;
		size_t lt = lo, i = lo, gt = hi; /* [lo,lt) > pivot, [lt,gt) = pivot, [gt,hi) < pivot */
		while (i < gt) {
			if (v[i] > pivot) {
				x = v[lt], v[lt++] = v[i], v[i++] = x;
			} else if (v[i] < pivot) {
				x = v[--gt], v[gt] = v[i], v[i] = x;
			} else {
				i++;
			}
		}
		if (want < lt)
			hi = lt;
		else if (want >= gt)
			lo = gt;
		else
			return pivot;
	}
}

typedef struct order {
	size_t i;
	double bound;
} order_t;

static int by_bound(const void *a, const void *b)
{
	const order_t *x = a, *y = b;
	if (x->bound != y->bound)
		return x->bound > y->bound ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int by_hit(const void *a, const void *b)
{
	const nm_gxt_hit_t *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->doc > y->doc ? -1 : x->doc < y->doc;
}

void nm__gxt_search(const nm_gxt_t *t, const nm_strv_t *terms, int64_t k, nm_gxt_hit_t **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	size_t np = terms->n;
	if (!np || k <= 0 || t->nrow <= 0)
		return;
	phrase_t *ph = nm_xcalloc(np, sizeof *ph);
	order_t *ord = nm_xmalloc(sizeof *ord * np);
	double rest = 0.0, avgdl = t->ntok / t->nrow;
	for (size_t i = 0; i < np; i++) {
		phrase_open(t, terms->v[i], avgdl, &ph[i]);
		ord[i] = (order_t){i, ph[i].bound};
		rest += ph[i].bound;
	}
	qsort(ord, np, sizeof *ord, by_bound);
	cands_t c = {.nphr = np};
	cand_init(&c, ph[ord[0].i].n + (size_t)k);
	bool adding = true;
	double *scratch = NULL, best = 0.0; /* best: the highest partial score */
	by_doc_t *in_order = NULL;          /* candidates still scored, by document, once no more are added */
	size_t nlive = 0;
	for (size_t o = 0; o < np; o++) {
		const phrase_t *p = &ph[ord[o].i];
		size_t pi = ord[o].i;
		rest -= p->bound;
		if (adding) {
			for (uint32_t j = 0; j < p->n; j++) {
				size_t ci = cand_get(&c, p->v[j].doc);
				double s = nm__bm25_tf(p->idf, p->v[j].freq, p->v[j].len, avgdl);
				c.contrib[ci * np + pi] = s;
				c.partial[ci] += s;
				if (c.partial[ci] > best)
					best = c.partial[ci];
			}
		} else {
			uint32_t at = 0;
			for (size_t x = 0; x < nlive && at < p->n; x++) {
				size_t ci = in_order[x].cand;
				at = post_seek(p->v, p->n, at, in_order[x].doc);
				if (at == p->n || p->v[at].doc != in_order[x].doc)
					continue;
				c.contrib[ci * np + pi] = nm__bm25_tf(p->idf, p->v[at].freq, p->v[at].len, avgdl);
			}
		}
		/* rest bounds any document not yet seen (margin: rounding); the
		 * k-th partial score is at most the best one */
		if (adding && c.n >= (size_t)k && o + 1 < np && rest * (1.0 + 1e-9) < best) {
			scratch = nm_xrealloc(scratch, sizeof *scratch * c.n);
			memcpy(scratch, c.partial, sizeof *scratch * c.n);
			double kth = kth_largest(scratch, c.n, (size_t)k);
			if (rest * (1.0 + 1e-9) < kth) {
				/* from now on only candidates that can still reach the
				 * k-th partial score are scored (the others stay below it
				 * whatever the rest adds), in document order */
				adding = false;
				in_order = nm_xmalloc(sizeof *in_order * c.n);
				for (size_t x = 0; x < c.n; x++)
					if (c.partial[x] + rest * (1.0 + 1e-9) >= kth)
						in_order[nlive++] = (by_doc_t){c.doc[x], (uint32_t)x};
				qsort(in_order, nlive, sizeof *in_order, by_doc);
			}
		}
	}
	/* final scores in query order; only those reaching the k-th are sorted */
	nm_gxt_hit_t *hits = nm_xmalloc(sizeof *hits * (c.n + 1));
	for (size_t ci = 0; ci < c.n; ci++) {
		double s = 0.0;
		for (size_t i = 0; i < np; i++)
			s += c.contrib[ci * np + i];
		hits[ci] = (nm_gxt_hit_t){c.doc[ci], s};
	}
	size_t n = c.n;
	if (n > (size_t)k) {
		scratch = nm_xrealloc(scratch, sizeof *scratch * n);
		for (size_t i = 0; i < n; i++)
			scratch[i] = hits[i].score;
		double kth = kth_largest(scratch, n, (size_t)k);
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (hits[i].score >= kth)
				hits[m++] = hits[i];
		n = m;
	}
	qsort(hits, n, sizeof *hits, by_hit);
	*nout = n < (size_t)k ? n : (size_t)k;
	*out = hits;
	if (!*nout) {
		free(hits);
		*out = NULL;
	}
	for (size_t i = 0; i < np; i++)
		free(ph[i].own);
	free(ph);
	free(ord);
	free(scratch);
	free(in_order);
	free(c.doc);
	free(c.contrib);
	free(c.partial);
	free(c.slot);
}
