/*
 * test_uuid.c — nm_uuid4 (lib/uuid.h): canonical lower-case UUID v4 text,
 * as Python's str(uuid4()) (PROTOCOL.md §1.5).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "uuid.h"

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Check one UUID's text; returns a reason or NULL when it is well-formed. */
static const char *check_uuid(const char *u)
{
	if (strlen(u) != 36)
		return "length is not 36";
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash && u[i] != '-')
			return "dash missing at 8-4-4-4-12 position";
		if (!dash && !is_lower_hex(u[i]))
			return "not a lower-case hex digit";
	}
	if (u[14] != '4')
		return "version nibble is not 4";
	if (!strchr("89ab", u[19]))
		return "variant nibble is not 8, 9, a or b";
	return NULL;
}

Test(uuid, returns_its_buffer_and_terminates)
{
	char buf[NM_UUID_BUFSZ + 4];
	memset(buf, 'X', sizeof buf);
	cr_expect_eq(nm_uuid4(buf), buf);
	cr_expect_eq(buf[36], '\0');
	cr_expect_eq(buf[37], 'X', "nm_uuid4 wrote past NM_UUID_BUFSZ");
	cr_expect_eq(NM_UUID_BUFSZ, 37);
}

Test(uuid, canonical_v4_format)
{
	for (int i = 0; i < 1000; i++) {
		char u[NM_UUID_BUFSZ];
		nm_uuid4(u);
		const char *why = check_uuid(u);
		cr_assert_null(why, "\"%s\": %s", u, why ? why : "");
	}
}

Test(uuid, checker_rejects_bad_forms)
{
	/* the checker above must itself be able to fail */
	cr_expect_null(check_uuid("123e4567-e89b-42d3-a456-426614174000"));
	cr_expect_not_null(check_uuid("123E4567-e89b-42d3-a456-426614174000"));
	cr_expect_not_null(check_uuid("123e4567-e89b-12d3-a456-426614174000"));
	cr_expect_not_null(check_uuid("123e4567-e89b-42d3-c456-426614174000"));
	cr_expect_not_null(check_uuid("123e4567e89b-42d3-a456-4266141740001"));
	cr_expect_not_null(check_uuid("123e4567-e89b-42d3-a456-42661417400"));
}

Test(uuid, all_variant_nibbles_occur)
{
	/* with random bytes, 2000 draws see each of 8, 9, a, b (p(miss) < 1e-240) */
	bool seen[4] = {0};
	for (int i = 0; i < 2000; i++) {
		char u[NM_UUID_BUFSZ];
		nm_uuid4(u);
		seen[strchr("89ab", u[19]) - "89ab"] = true;
	}
	for (int k = 0; k < 4; k++)
		cr_expect(seen[k], "variant nibble %c never produced", "89ab"[k]);
}

Test(uuid, unique_over_10k)
{
	enum { N = 10000 };
	char(*ids)[NM_UUID_BUFSZ] = malloc(sizeof *ids * N);
	nm_hmap_t seen = {0};
	for (int i = 0; i < N; i++) {
		nm_uuid4(ids[i]);
		cr_assert_null(nm_hmap_put(&seen, ids[i], 36, ids[i]), "duplicate uuid %s at draw %d", ids[i], i);
	}
	cr_expect_eq(seen.len, N);
	nm_hmap_free(&seen);
	free(ids);
}
