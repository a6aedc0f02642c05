/*
 * test_idset.c — the fingerprint set (idset.h): membership, duplicates,
 * growth, ids with the same prefix or length, the empty set.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "idset.h"

Test(idset, empty_set_has_nothing)
{
	nm_idset_t s = {0};
	cr_expect_not(nm_idset_has(&s, "a", 1));
	cr_expect_not(nm_idset_has(&s, "", 0));
	nm_idset_free(&s);
}

Test(idset, add_reports_first_time_only)
{
	nm_idset_t s = {0};
	cr_expect(nm_idset_add(&s, "neuron-1", 8));
	cr_expect_not(nm_idset_add(&s, "neuron-1", 8), "a second add of the same id is refused");
	cr_expect(nm_idset_has(&s, "neuron-1", 8));
	cr_expect_not(nm_idset_has(&s, "neuron-", 7), "a prefix is another id");
	cr_expect_not(nm_idset_has(&s, "neuron-2", 8));
	cr_expect_eq(s.len, 1);
	nm_idset_free(&s);
	cr_expect_eq(s.len, 0);
	cr_expect_not(nm_idset_has(&s, "neuron-1", 8), "freed set is empty");
}

Test(idset, lengths_and_bytes_count)
{
	nm_idset_t s = {0};
	const char a[] = "abcdefgh12345678", b[] = "abcdefgh12345679";
	for (size_t n = 0; n <= 16; n++)
		cr_expect(nm_idset_add(&s, a, n), "prefix of length %zu is new", n);
	cr_expect(nm_idset_add(&s, b, 16), "differs in the last byte");
	cr_expect_eq(s.len, 18);
	nm_idset_free(&s);
}

Test(idset, grows_to_many_ids)
{
	nm_idset_t s = {0};
	char id[32];
	for (int i = 0; i < 200000; i++) {
		int n = snprintf(id, sizeof id, "n%d", i);
		cr_assert(nm_idset_add(&s, id, (size_t)n), "id %s new", id);
	}
	cr_expect_eq(s.len, 200000);
	cr_expect_leq(s.len * 2, s.cap, "load stays at or below one half");
	for (int i = 0; i < 200000; i += 997) {
		int n = snprintf(id, sizeof id, "n%d", i);
		cr_expect(nm_idset_has(&s, id, (size_t)n));
		cr_expect_not(nm_idset_add(&s, id, (size_t)n));
	}
	for (int i = 200000; i < 200100; i++) {
		int n = snprintf(id, sizeof id, "n%d", i);
		cr_expect_not(nm_idset_has(&s, id, (size_t)n), "never added: %s", id);
	}
	nm_idset_free(&s);
}
