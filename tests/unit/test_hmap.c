/*
 * test_hmap.c — the byte-string hash map (lib/hmap.h): put/get/replace/
 * delete, tombstones and regrowth, prefix-sharing and binary keys.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

#define S(lit) (lit), (sizeof(lit) - 1)

Test(hmap, empty_map)
{
	nm_hmap_t m = {0};
	cr_expect_null(nm_hmap_get(&m, S("x")));
	cr_expect_null(nm_hmap_del(&m, S("x")));
	cr_expect_eq(m.len, 0);
	nm_hmap_free(&m);
	nm_hmap_free(&m); /* free of an empty (already freed) map is fine */
}

Test(hmap, put_get_replace_delete)
{
	nm_hmap_t m = {0};
	int a = 1, b = 2, c = 3;
	cr_expect_null(nm_hmap_put(&m, S("alpha"), &a));
	cr_expect_null(nm_hmap_put(&m, S("beta"), &b));
	cr_expect_eq(m.len, 2);
	cr_expect_eq(nm_hmap_get(&m, S("alpha")), &a);
	cr_expect_eq(nm_hmap_get(&m, S("beta")), &b);
	cr_expect_null(nm_hmap_get(&m, S("gamma")));

	/* replace returns the previous value and keeps the count */
	cr_expect_eq(nm_hmap_put(&m, S("alpha"), &c), &a);
	cr_expect_eq(m.len, 2);
	cr_expect_eq(nm_hmap_get(&m, S("alpha")), &c);

	cr_expect_eq(nm_hmap_del(&m, S("alpha")), &c);
	cr_expect_eq(m.len, 1);
	cr_expect_null(nm_hmap_get(&m, S("alpha")));
	cr_expect_null(nm_hmap_del(&m, S("alpha")), "second delete finds nothing");
	cr_expect_eq(nm_hmap_get(&m, S("beta")), &b);

	/* re-insert after delete */
	cr_expect_null(nm_hmap_put(&m, S("alpha"), &a));
	cr_expect_eq(nm_hmap_get(&m, S("alpha")), &a);
	cr_expect_eq(m.len, 2);
	nm_hmap_free(&m);
	cr_expect_eq(m.len, 0);
	cr_expect_null(nm_hmap_get(&m, S("beta")));
}

Test(hmap, lookup_uses_bytes_not_pointer)
{
	nm_hmap_t m = {0};
	int v = 7;
	char k1[] = "same-key";
	char k2[] = "same-key";
	nm_hmap_put(&m, k1, strlen(k1), &v);
	cr_expect_eq(nm_hmap_get(&m, k2, strlen(k2)), &v);
	nm_hmap_free(&m);
}

Test(hmap, replace_takes_new_key_storage)
{
	/* hmap.c: on replace the map keeps the key pointer given with the new
	 * value, so the old key's storage may be freed. */
	nm_hmap_t m = {0};
	int a = 1, b = 2;
	char *k1 = strdup("key");
	char *k2 = strdup("key");
	nm_hmap_put(&m, k1, 3, &a);
	cr_expect_eq(nm_hmap_put(&m, k2, 3, &b), &a);
	memset(k1, 'X', 3);
	free(k1);
	cr_expect_eq(nm_hmap_get(&m, S("key")), &b);
	nm_hmap_free(&m);
	free(k2);
}

Test(hmap, keys_with_equal_prefixes)
{
	nm_hmap_t m = {0};
	static const char *const keys[] = {"", "n", "n-", "n-1", "n-10", "n-100", "n-1000", "n-10000"};
	int vals[8];
	for (int i = 0; i < 8; i++)
		cr_expect_null(nm_hmap_put(&m, keys[i], strlen(keys[i]), &vals[i]));
	cr_expect_eq(m.len, 8);
	for (int i = 0; i < 8; i++)
		cr_expect_eq(nm_hmap_get(&m, keys[i], strlen(keys[i])), &vals[i], "key \"%s\"", keys[i]);
	/* the same bytes with different lengths are different keys */
	cr_expect_eq(nm_hmap_get(&m, "n-10000", 4), &vals[4]);
	cr_expect_eq(nm_hmap_get(&m, "n-10000", 0), &vals[0]);
	cr_expect_null(nm_hmap_get(&m, S("n-2")));
	cr_expect_eq(nm_hmap_del(&m, S("n-10")), &vals[4]);
	cr_expect_eq(nm_hmap_get(&m, S("n-1")), &vals[3]);
	cr_expect_eq(nm_hmap_get(&m, S("n-100")), &vals[5]);
	cr_expect_null(nm_hmap_get(&m, S("n-10")));
	nm_hmap_free(&m);
}

Test(hmap, binary_keys_with_nul)
{
	nm_hmap_t m = {0};
	int a, b, c, d;
	nm_hmap_put(&m, "a\0b", 3, &a);
	nm_hmap_put(&m, "a\0c", 3, &b);
	nm_hmap_put(&m, "a", 1, &c);
	nm_hmap_put(&m, "\0", 1, &d);
	cr_expect_eq(m.len, 4);
	cr_expect_eq(nm_hmap_get(&m, "a\0b", 3), &a);
	cr_expect_eq(nm_hmap_get(&m, "a\0c", 3), &b);
	cr_expect_eq(nm_hmap_get(&m, "a", 1), &c);
	cr_expect_eq(nm_hmap_get(&m, "a\0", 2), NULL);
	cr_expect_eq(nm_hmap_get(&m, "\0", 1), &d);
	cr_expect_eq(nm_hmap_get(&m, "\0\0", 2), NULL);
	cr_expect_eq(nm_hmap_del(&m, "a\0b", 3), &a);
	cr_expect_eq(nm_hmap_get(&m, "a\0c", 3), &b);
	cr_expect_null(nm_hmap_get(&m, "a\0b", 3));
	nm_hmap_free(&m);
}

/* Keys for the big tests live in one array so their storage outlives the map. */
typedef struct keys {
	char (*k)[16];
	size_t *len;
	int n;
} keys_t;

static keys_t make_keys(int n)
{
	keys_t ks = {malloc(sizeof *ks.k * (size_t)n), malloc(sizeof *ks.len * (size_t)n), n};
	for (int i = 0; i < n; i++)
		ks.len[i] = (size_t)snprintf(ks.k[i], sizeof ks.k[i], "k%d", i);
	return ks;
}

static void free_keys(keys_t *ks)
{
	free(ks->k);
	free(ks->len);
}

/* Value for key i: a distinct non-NULL pointer that encodes i. */
#define VAL(i) ((void *)(uintptr_t)((i) + 1))

Test(hmap, regrowth_100k)
{
	keys_t ks = make_keys(100000);
	nm_hmap_t m = {0};
	for (int i = 0; i < ks.n; i++) {
		cr_assert_null(nm_hmap_put(&m, ks.k[i], ks.len[i], VAL(i)));
		cr_assert_leq(m.used * 4, m.cap * 3, "load factor above 3/4 after %d inserts", i + 1);
	}
	cr_expect_eq(m.len, 100000);
	cr_expect_eq(m.cap & (m.cap - 1), 0, "cap %zu is not a power of two", m.cap);
	for (int i = 0; i < ks.n; i++)
		cr_assert_eq(nm_hmap_get(&m, ks.k[i], ks.len[i]), VAL(i), "key %s", ks.k[i]);
	cr_expect_null(nm_hmap_get(&m, S("k100000")));
	cr_expect_null(nm_hmap_get(&m, S("k-1")));
	nm_hmap_free(&m);
	free_keys(&ks);
}

Test(hmap, tombstones_keep_probe_chains)
{
	keys_t ks = make_keys(100000);
	nm_hmap_t m = {0};
	for (int i = 0; i < ks.n; i++)
		nm_hmap_put(&m, ks.k[i], ks.len[i], VAL(i));
	/* delete every odd key: the even ones stay reachable past the tombstones */
	for (int i = 1; i < ks.n; i += 2)
		cr_assert_eq(nm_hmap_del(&m, ks.k[i], ks.len[i]), VAL(i));
	cr_expect_eq(m.len, 50000);
	for (int i = 0; i < ks.n; i++) {
		void *want = i % 2 ? NULL : VAL(i);
		cr_assert_eq(nm_hmap_get(&m, ks.k[i], ks.len[i]), want, "key %s", ks.k[i]);
	}
	/* re-insert the odd keys with new values */
	for (int i = 1; i < ks.n; i += 2)
		cr_assert_null(nm_hmap_put(&m, ks.k[i], ks.len[i], VAL(i + 1000000)));
	cr_expect_eq(m.len, 100000);
	for (int i = 0; i < ks.n; i++) {
		void *want = i % 2 ? VAL(i + 1000000) : VAL(i);
		cr_assert_eq(nm_hmap_get(&m, ks.k[i], ks.len[i]), want, "key %s", ks.k[i]);
	}
	nm_hmap_free(&m);
	free_keys(&ks);
}

Test(hmap, churn_does_not_grow_without_bound)
{
	/* insert/delete cycles over a small live set: tombstones must be
	 * reclaimed by rehashing, not by doubling forever */
	keys_t ks = make_keys(100000);
	nm_hmap_t m = {0};
	for (int i = 0; i < ks.n; i++) {
		cr_assert_null(nm_hmap_put(&m, ks.k[i], ks.len[i], VAL(i)));
		if (i >= 100)
			cr_assert_eq(nm_hmap_del(&m, ks.k[i - 100], ks.len[i - 100]), VAL(i - 100));
		cr_assert_leq(m.used * 4, m.cap * 3);
	}
	cr_expect_eq(m.len, 100);
	cr_expect_leq(m.cap, 1024, "cap grew to %zu for 100 live keys", m.cap);
	for (int i = ks.n - 100; i < ks.n; i++)
		cr_assert_eq(nm_hmap_get(&m, ks.k[i], ks.len[i]), VAL(i));
	for (int i = 0; i < ks.n - 100; i += 997)
		cr_assert_null(nm_hmap_get(&m, ks.k[i], ks.len[i]));
	nm_hmap_free(&m);
	free_keys(&ks);
}

Test(hmap, delete_all_then_reuse)
{
	keys_t ks = make_keys(5000);
	nm_hmap_t m = {0};
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < ks.n; i++)
			cr_assert_null(nm_hmap_put(&m, ks.k[i], ks.len[i], VAL(i + round)));
		cr_assert_eq(m.len, (size_t)ks.n);
		for (int i = 0; i < ks.n; i++)
			cr_assert_eq(nm_hmap_del(&m, ks.k[i], ks.len[i]), VAL(i + round));
		cr_assert_eq(m.len, 0);
		for (int i = 0; i < ks.n; i += 13)
			cr_assert_null(nm_hmap_get(&m, ks.k[i], ks.len[i]));
	}
	nm_hmap_free(&m);
	free_keys(&ks);
}
