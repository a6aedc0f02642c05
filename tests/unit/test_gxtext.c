/*
 * test_gxtext.c — the graph index's full-text lists (gindex_text.h): the
 * pruned top-k equals the exhaustive ranking's first k, texts replaced or
 * removed leave the lists as if never indexed, phrases count as FTS5 counts
 * them. (Equality with SQLite's FTS5 is test_gindex's job.)
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gindex_text.h"
#include "mem.h"

static unsigned SEED;
static unsigned rnd(void)
{
	SEED = SEED * 1103515245u + 12345u;
	return (SEED >> 8) & 0xffffff;
}

/* Skewed vocabulary: word i about twice as likely as word i + 1 for the
 * first few, then flat: long lists for common words, short for rare. */
static const char *word(void)
{
	static const char *const w[] = {"the", "deploy", "cache", "alice", "bob", "api", "đà", "nẵng", "payments",
	                                "incident", "rollback", "carol", "ledger", "hanoi", "berlin", "queue"};
	unsigned r = rnd() % 1000;
	if (r < 300)
		return w[0];
	if (r < 500)
		return w[1];
	if (r < 620)
		return w[2];
	return w[3 + r % 13];
}

static char *text(void)
{
	char buf[512] = "";
	int n = 1 + (int)(rnd() % 12);
	for (int i = 0; i < n; i++) {
		strcat(buf, word());
		strcat(buf, i % 3 == 2 ? ", " : " ");
	}
	return nm_xstrdup(buf);
}

static void same(const nm_gxt_hit_t *a, size_t na, const nm_gxt_hit_t *b, size_t nb, const char *what)
{
	cr_assert_eq(na, nb, "%s: %zu vs %zu hits", what, na, nb);
	for (size_t i = 0; i < na; i++) {
		cr_assert_eq(a[i].doc, b[i].doc, "%s: hit %zu", what, i);
		cr_assert(a[i].score == b[i].score, "%s: hit %zu score %.17g vs %.17g", what, i, a[i].score, b[i].score);
	}
}

static void terms_of(nm_strv_t *t, int q)
{
	static const char *const qs[][4] = {
		{"the"}, {"the", "deploy"}, {"alice", "the", "cache"}, {"đà nẵng"}, {"ledger", "deploy", "the", "queue"},
		{"hanoi"}, {"nope"}, {"bob", "bob"}, {"cache deploy", "the"}, {"deploy", "cache", "the", "api"},
	};
	memset(t, 0, sizeof *t);
	for (int i = 0; i < 4 && qs[q][i]; i++)
		nm_strv_add(t, qs[q][i]);
}

Test(gxtext, pruned_top_k_is_the_exhaustive_prefix)
{
	nm_gxt_t t = {0};
	int pruned = 0;
	SEED = 7;
	for (uint32_t d = 0; d < 3000; d++) {
		char *s = text();
		nm__gxt_set(&t, d, d % 50 == 7 ? NULL : s);
		free(s);
	}
	for (int q = 0; q < 410; q++)
		for (int64_t k = 1; k <= 64; k *= 4) {
			nm_strv_t terms;
			if (q < 10) {
				terms_of(&terms, q);
			} else { /* random queries of 1-4 words */
				memset(&terms, 0, sizeof terms);
				for (int i = 0, n = 1 + q % 4; i < n; i++)
					nm_strv_add(&terms, word());
			}
			nm_gxt_hit_t *a, *all;
			size_t na, nall;
			nm__gxt_search(&t, &terms, k, &a, &na);
			nm__gxt_search(&t, &terms, 1 << 20, &all, &nall);
			char what[64];
			snprintf(what, sizeof what, "query %d, k %lld", q, (long long)k);
			same(a, na, all, nall < (size_t)k ? nall : (size_t)k, what);
			if (q != 6)
				cr_assert_gt(na, 0, "%s: matches", what);
			pruned += na < nall;
			for (size_t i = 1; i < nall; i++)
				cr_assert(all[i - 1].score > all[i].score ||
				              (all[i - 1].score == all[i].score && all[i - 1].doc > all[i].doc),
				          "%s: order at %zu", what, i);
			free(a);
			free(all);
			nm_strv_clear(&terms);
		}
	cr_assert_gt(pruned, 1000, "top-k cut most rankings short");
	nm__gxt_free(&t);
}

Test(gxtext, replaced_texts_leave_no_trace)
{
	nm_gxt_t a = {0}, b = {0};
	char *final[600] = {0};
	SEED = 99;
	/* a: texts set, replaced, removed and set again in random order */
	for (int i = 0; i < 3000; i++) {
		uint32_t d = rnd() % 600;
		char *s = rnd() % 5 ? text() : NULL;
		nm__gxt_set(&a, d, s);
		free(final[d]);
		final[d] = s;
	}
	/* b: only the final texts, in document order */
	for (uint32_t d = 0; d < 600; d++)
		nm__gxt_set(&b, d, final[d]);
	cr_assert_eq(a.nrow, b.nrow);
	cr_assert_eq(a.ntok, b.ntok);
	cr_assert_eq(a.terms.len, b.terms.len, "no empty lists are left behind");
	for (int q = 0; q < 10; q++) {
		nm_strv_t terms;
		terms_of(&terms, q);
		nm_gxt_hit_t *x, *y;
		size_t nx, ny;
		nm__gxt_search(&a, &terms, 20, &x, &nx);
		nm__gxt_search(&b, &terms, 20, &y, &ny);
		same(x, nx, y, ny, "replayed vs built");
		free(x);
		free(y);
		nm_strv_clear(&terms);
	}
	for (uint32_t d = 0; d < 600; d++) {
		nm__gxt_set(&a, d, NULL);
		free(final[d]);
	}
	cr_assert_eq(a.nrow, 0);
	cr_assert_eq(a.ntok, 0);
	cr_assert_eq(a.terms.len, 0);
	nm__gxt_free(&a);
	nm__gxt_free(&b);
}

Test(gxtext, phrases)
{
	nm_gxt_t t = {0};
	nm__gxt_set(&t, 0, "Đà Nẵng đà nẵng, Đà");     /* the phrase twice */
	nm__gxt_set(&t, 1, "nẵng đà");                /* reversed: no instance */
	nm__gxt_set(&t, 2, "ở Đà Nẵng hôm qua");      /* once */
	nm__gxt_set(&t, 3, "a a a");
	nm_strv_t terms = {0};
	nm_strv_add(&terms, "đà nẵng");
	nm_gxt_hit_t *h;
	size_t n;
	nm__gxt_search(&t, &terms, 10, &h, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(h[0].doc, 0, "two instances beat one");
	cr_assert_eq(h[1].doc, 2);
	free(h);
	nm_strv_clear(&terms);
	nm_strv_add(&terms, "a a");                    /* overlapping instances count */
	nm_strv_add(&terms, "!!");                     /* no tokens: matches nothing */
	nm__gxt_search(&t, &terms, 10, &h, &n);
	cr_assert_eq(n, 1);
	cr_assert_eq(h[0].doc, 3);
	free(h);
	nm_strv_clear(&terms);
	nm__gxt_free(&t);
}
