/*
 * test_qcache.c — the query answer cache (lib/qcache.h): generations,
 * byte bound and LRU order; and the pointer map (lib/pmap.h) activation
 * uses.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pmap.h"
#include "qcache.h"

/* The value cached for key at gen, as a NUL-terminated copy, or NULL. */
static char *get(nm_qcache_t *c, const char *key, uint64_t gen)
{
	size_t n;
	return nm_qcache_get(c, key, strlen(key), gen, &n);
}

static void put(nm_qcache_t *c, const char *key, uint64_t gen, const char *val)
{
	nm_qcache_put(c, key, strlen(key), gen, val, strlen(val));
}

static void expect_value(nm_qcache_t *c, const char *key, uint64_t gen, const char *want)
{
	char *v = get(c, key, gen);
	if (!want)
		cr_expect_null(v, "%s at gen %llu: expected no value, got %s", key, (unsigned long long)gen, v);
	else
		cr_expect(v && strcmp(v, want) == 0, "%s at gen %llu: expected %s, got %s", key, (unsigned long long)gen,
		          want, v ? v : "(none)");
	free(v);
}

Test(qcache, hit_and_replace)
{
	nm_qcache_t *c = nm_qcache_new(1 << 20);
	expect_value(c, "q", 0, NULL);
	put(c, "q", 0, "answer");
	expect_value(c, "q", 0, "answer");
	put(c, "q", 0, "another");
	expect_value(c, "q", 0, "another");
	expect_value(c, "q2", 0, NULL);
	nm_qcache_free(c);
}

Test(qcache, newer_generation_empties)
{
	nm_qcache_t *c = nm_qcache_new(1 << 20);
	put(c, "a", 3, "A");
	put(c, "b", 3, "B");
	expect_value(c, "a", 4, NULL);   /* a write happened: nothing survives */
	expect_value(c, "b", 3, NULL);   /* not even for a late reader of gen 3 */
	cr_expect_eq(nm_qcache_bytes(c), 0);
	nm_qcache_free(c);
}

Test(qcache, older_generation_put_is_ignored)
{
	nm_qcache_t *c = nm_qcache_new(1 << 20);
	expect_value(c, "a", 5, NULL);   /* the cache is at gen 5 now */
	put(c, "a", 4, "stale");         /* an answer computed before the write */
	expect_value(c, "a", 5, NULL);
	put(c, "a", 5, "fresh");
	expect_value(c, "a", 5, "fresh");
	nm_qcache_free(c);
}

Test(qcache, bound_evicts_least_recently_used)
{
	char val[400];
	memset(val, 'v', sizeof val - 1);
	val[sizeof val - 1] = '\0';
	nm_qcache_t *c = nm_qcache_new(1200); /* two entries fit, three do not */
	put(c, "a", 0, val);
	put(c, "b", 0, val);
	free(get(c, "a", 0));             /* a is now the most recent */
	put(c, "c", 0, val);              /* evicts b */
	expect_value(c, "b", 0, NULL);
	expect_value(c, "a", 0, val);
	expect_value(c, "c", 0, val);
	cr_expect_leq(nm_qcache_bytes(c), 1200);
	char big[2000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	put(c, "big", 0, big);            /* larger than the whole cache: not stored, nothing evicted */
	expect_value(c, "big", 0, NULL);
	expect_value(c, "a", 0, val);
	nm_qcache_free(c);
}

Test(qcache, disabled_is_null)
{
	nm_qcache_t *c = nm_qcache_new(0);
	cr_expect_null(c);
	put(c, "a", 0, "A");
	expect_value(c, "a", 0, NULL);
	cr_expect_eq(nm_qcache_bytes(c), 0);
}

Test(pmap, identity_not_content)
{
	char a[] = "same", b[] = "same";
	nm_pmap_t m = {0};
	cr_expect_eq(nm_pmap_get(&m, a), 0);
	nm_pmap_put(&m, a, 7);
	cr_expect_eq(nm_pmap_get(&m, a), 7);
	cr_expect_eq(nm_pmap_get(&m, b), 0, "keys are pointers: equal text is another key");
	nm_pmap_put(&m, a, 9);
	cr_expect_eq(nm_pmap_get(&m, a), 9);
	cr_expect_eq(m.len, 1);
	nm_pmap_free(&m);
}

Test(pmap, grows)
{
	enum { N = 10000 };
	int *keys = calloc(N, sizeof *keys);
	nm_pmap_t m = {0};
	for (uintptr_t i = 0; i < N; i++)
		nm_pmap_put(&m, &keys[i], i + 1);
	cr_expect_eq(m.len, N);
	for (uintptr_t i = 0; i < N; i++)
		cr_expect_eq(nm_pmap_get(&m, &keys[i]), i + 1);
	nm_pmap_free(&m);
	free(keys);
}
