/*
 * test_isotime.c — nm_time_parse / nm_time_format (lib/isotime.h) against
 * PROTOCOL.md §1.4. Expected instants were computed with Python 3.11:
 * (datetime.fromisoformat(s) converted to naive UTC - datetime(1970,1,1))
 * // timedelta(microseconds=1).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "isotime.h"

/* Parse a NUL-terminated string; the NUL is not part of the input. */
static int parse(const char *s, int64_t *out)
{
	return nm_time_parse(s, strlen(s), out);
}

static void expect_ok(const char *s, int64_t want)
{
	int64_t t = 12345;
	int rc = parse(s, &t);
	cr_expect_eq(rc, 0, "parse(\"%s\") failed", s);
	if (rc == 0)
		cr_expect_eq(t, want, "parse(\"%s\") = %lld, want %lld", s, (long long)t, (long long)want);
}

static void expect_fail(const char *s)
{
	int64_t t = 0;
	cr_expect_eq(parse(s, &t), -1, "parse(\"%s\") accepted (got %lld)", s, (long long)t);
}

static const char *fmt(int64_t t)
{
	static char buf[NM_TIME_BUFSZ];
	return nm_time_format(t, buf);
}

/* ---- accepted forms ---- */

Test(isotime, naive_seconds)
{
	expect_ok("2026-01-02T03:04:05", 1767323045000000LL);
}

Test(isotime, naive_with_micros)
{
	expect_ok("2026-01-02T03:04:05.000006", 1767323045000006LL);
	expect_ok("2026-01-02T03:04:05.123456", 1767323045123456LL);
}

Test(isotime, space_separator)
{
	expect_ok("2026-01-02 03:04:05.123456", 1767323045123456LL);
	expect_ok("2026-01-02 03:04", 1767323040000000LL);
}

Test(isotime, offsets_converted_to_utc)
{
	expect_ok("2026-01-02T03:04:05+07:00", 1767297845000000LL);
	expect_ok("2026-01-02T03:04:05-05:30", 1767342845000000LL);
	expect_ok("2026-01-02T03:04:05Z", 1767323045000000LL);
	expect_ok("2026-01-02T03:04:05+00:00", 1767323045000000LL);
	expect_ok("2026-01-02T03:04:05-00:00", 1767323045000000LL);
	/* the offset moves the instant to the previous day */
	expect_ok("2026-01-02T00:30:00+01:00", 1767310200000000LL);
	expect_ok("2026-01-02T03:04:05.5+07:00", 1767297845500000LL);
	expect_ok("2026-01-02T03:04+07:00", 1767297840000000LL);
}

Test(isotime, date_only_is_midnight)
{
	expect_ok("2026-01-02", 1767312000000000LL);
	expect_ok("1970-01-01", 0);
}

Test(isotime, seconds_optional)
{
	expect_ok("2026-01-02T03:04", 1767323040000000LL);
	expect_ok("2026-01-02T03:04Z", 1767323040000000LL);
}

Test(isotime, fraction_digits_1_to_9)
{
	const int64_t base = 1767323045000000LL;
	expect_ok("2026-01-02T03:04:05.1", base + 100000);
	expect_ok("2026-01-02T03:04:05.12", base + 120000);
	expect_ok("2026-01-02T03:04:05.123", base + 123000);
	expect_ok("2026-01-02T03:04:05.1234", base + 123400);
	expect_ok("2026-01-02T03:04:05.12345", base + 123450);
	expect_ok("2026-01-02T03:04:05.123456", base + 123456);
	/* beyond 6 digits: truncated, never rounded */
	expect_ok("2026-01-02T03:04:05.1234567", base + 123456);
	expect_ok("2026-01-02T03:04:05.12345678", base + 123456);
	expect_ok("2026-01-02T03:04:05.123456999", base + 123456);
	expect_ok("2026-01-02T03:04:05.999999999", base + 999999);
	expect_ok("2026-01-02T03:04:05.000000", base);
	expect_ok("2026-01-02T03:04:05.0", base);
}

Test(isotime, fraction_zero_or_too_many_digits_fail)
{
	expect_fail("2026-01-02T03:04:05.");
	expect_fail("2026-01-02T03:04:05.1234567890");
	expect_fail("2026-01-02T03:04:05.Z");
}

Test(isotime, bounds)
{
	expect_ok("0001-01-01", NM_TIME_MIN);
	expect_ok("0001-01-01T00:00:00", -62135596800000000LL);
	expect_ok("9999-12-31T23:59:59.999999", NM_TIME_MAX);
	expect_ok("9999-12-31T23:59:59.999999", 253402300799999999LL);
	expect_ok("9999-12-31T23:59:59.9999999", NM_TIME_MAX);
	expect_fail("0000-01-01");
	expect_fail("0000-12-31T23:59:59");
	expect_fail("10000-01-01");
	expect_fail("10000-01-01T00:00:00");
}

Test(isotime, offset_pushing_out_of_range_fails)
{
	/* 9999-12-31T23:00-05:00 is 10000-01-01T04:00Z */
	expect_fail("9999-12-31T23:00:00-05:00");
	expect_fail("9999-12-31T23:59:59.999999-00:01");
	/* 0001-01-01T00:00+00:01 is 0000-12-31T23:59Z */
	expect_fail("0001-01-01T00:00:00+00:01");
	/* the same local times with offsets that stay in range are fine */
	expect_ok("9999-12-31T23:00:00+05:00", 253402279200000000LL);
	expect_ok("0001-01-01T00:00:00-00:01", NM_TIME_MIN + 60 * NM_USEC_PER_SEC);
}

Test(isotime, leap_years)
{
	expect_ok("2024-02-29T00:00:00", 1709164800000000LL);
	expect_ok("2000-02-29", 951782400000000LL);
	expect_fail("2023-02-29");
	expect_fail("1900-02-29");
	expect_fail("2024-02-30");
	expect_ok("2023-02-28", 1677542400000000LL);
}

Test(isotime, invalid_month_day_clock)
{
	expect_fail("2026-00-10");
	expect_fail("2026-13-01");
	expect_fail("2026-01-00");
	expect_fail("2026-01-32");
	expect_fail("2026-04-31");
	expect_fail("2026-06-31");
	expect_fail("2026-01-02T24:00:00");
	expect_fail("2026-01-02T23:60:00");
	expect_fail("2026-01-02T23:59:60");
	expect_fail("2026-01-02T03:04:05+24:00");
	expect_fail("2026-01-02T03:04:05+07:60");
}

Test(isotime, malformed)
{
	expect_fail("");
	expect_fail("garbage");
	expect_fail("2026");
	expect_fail("2026-01");
	expect_fail("2026-1-02");
	expect_fail("2026-01-2");
	expect_fail("26-01-02");
	expect_fail("2026/01/02");
	expect_fail("2026-01-02T");
	expect_fail("2026-01-02 ");
	expect_fail("2026-01-02T03");
	expect_fail("2026-01-02T03:");
	expect_fail("2026-01-02T3:04");
	expect_fail("2026-01-02T03:04:5");
	expect_fail("2026-01-02t03:04:05");
	expect_fail("2026-01-02  03:04:05");
	expect_fail(" 2026-01-02T03:04:05");
	expect_fail("2026-01-02T03:04:05+07");
	expect_fail("2026-01-02T03:04:05+0700");
	expect_fail("2026-01-02T03:04:05+7:00");
	expect_fail("2026-01-02Z");
	expect_fail("-2026-01-02");
	expect_fail("+2026-01-02");
	expect_fail("２０２６-01-02");
}

Test(isotime, trailing_junk)
{
	expect_fail("2026-01-02T03:04:05 ");
	expect_fail("2026-01-02T03:04:05x");
	expect_fail("2026-01-02T03:04:05ZZ");
	expect_fail("2026-01-02T03:04:05Z+01:00");
	expect_fail("2026-01-02T03:04:05+07:00x");
	expect_fail("2026-01-02T03:04:05.123456 UTC");
	expect_fail("2026-01-02x");
	expect_fail("2026-01-02T03:04:05\n");
}

Test(isotime, numbers_are_not_datetimes)
{
	expect_fail("1767323045");
	expect_fail("1767323045.5");
	expect_fail("0");
	expect_fail("20260102");
	expect_fail("20260102T030405");
}

Test(isotime, respects_length_not_nul)
{
	/* the input need not be NUL-terminated: only n bytes are read */
	char exact[10];
	memcpy(exact, "2026-01-02", 10);
	int64_t t = 0;
	cr_expect_eq(nm_time_parse(exact, sizeof exact, &t), 0);
	cr_expect_eq(t, 1767312000000000LL);

	const char *s = "2026-01-02T03:04:05junk";
	cr_expect_eq(nm_time_parse(s, 19, &t), 0);
	cr_expect_eq(t, 1767323045000000LL);
	cr_expect_eq(nm_time_parse(s, 18, &t), -1, "a cut-off seconds field must fail");

	/* an embedded NUL inside the n bytes is junk */
	cr_expect_eq(nm_time_parse("2026-01-02\0", 11, &t), -1);
	cr_expect_eq(nm_time_parse("2026-01-02T03:04:05\0", 20, &t), -1);
}

/* ---- formatting ---- */

Test(isotime, format_shape)
{
	cr_expect_str_eq(fmt(0), "1970-01-01T00:00:00.000000");
	cr_expect_str_eq(fmt(1767323045000006LL), "2026-01-02T03:04:05.000006");
	cr_expect_str_eq(fmt(1767323045123456LL), "2026-01-02T03:04:05.123456");
	cr_expect_str_eq(fmt(NM_TIME_MIN), "0001-01-01T00:00:00.000000");
	cr_expect_str_eq(fmt(NM_TIME_MAX), "9999-12-31T23:59:59.999999");
	cr_expect_eq(strlen(fmt(NM_TIME_MAX)), 26);
}

Test(isotime, format_negative_instants)
{
	cr_expect_str_eq(fmt(-1), "1969-12-31T23:59:59.999999");
	cr_expect_str_eq(fmt(-1000000), "1969-12-31T23:59:59.000000");
	cr_expect_str_eq(fmt(-86400000000LL), "1969-12-31T00:00:00.000000");
	cr_expect_str_eq(fmt(-86400000001LL), "1969-12-30T23:59:59.999999");
	cr_expect_str_eq(fmt(-2203848000000000LL), "1900-03-01T12:00:00.000000");
	cr_expect_str_eq(fmt(-30595938649500000LL), "1000-06-15T08:09:10.500000");
}

Test(isotime, parse_negative_instants)
{
	expect_ok("1969-12-31T23:59:59.999999", -1);
	expect_ok("1900-03-01T12:00:00", -2203848000000000LL);
	expect_ok("1000-06-15T08:09:10.5", -30595938649500000LL);
}

Test(isotime, round_trip_strings)
{
	static const char *const canon[] = {
		"2026-01-02T03:04:05.000006", "1970-01-01T00:00:00.000000", "1969-12-31T23:59:59.999999",
		"0001-01-01T00:00:00.000000", "9999-12-31T23:59:59.999999", "2024-02-29T12:34:56.789012",
		"1600-02-29T00:00:00.000001", "1899-12-31T23:59:59.000000",
	};
	for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++) {
		int64_t t;
		cr_assert_eq(parse(canon[i], &t), 0, "parse(\"%s\")", canon[i]);
		cr_expect_str_eq(fmt(t), canon[i]);
	}
	/* non-canonical input comes back in the canonical form */
	int64_t t;
	cr_assert_eq(parse("2026-01-02 03:04:05+07:00", &t), 0);
	cr_expect_str_eq(fmt(t), "2026-01-01T20:04:05.000000");
	cr_assert_eq(parse("2026-01-02", &t), 0);
	cr_expect_str_eq(fmt(t), "2026-01-02T00:00:00.000000");
	cr_assert_eq(parse("2026-01-02T03:04:05.1234567", &t), 0);
	cr_expect_str_eq(fmt(t), "2026-01-02T03:04:05.123456");
}

/* xorshift64*: a fixed-seed generator so every run checks the same values. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

Test(isotime, round_trip_random_instants)
{
	uint64_t seed = 0x1234567887654321ULL;
	const uint64_t span = (uint64_t)(NM_TIME_MAX - NM_TIME_MIN) + 1;
	for (int i = 0; i < 100000; i++) {
		int64_t t = NM_TIME_MIN + (int64_t)(rng_next(&seed) % span);
		char buf[NM_TIME_BUFSZ];
		nm_time_format(t, buf);
		cr_assert_eq(strlen(buf), 26, "format(%lld) = \"%s\"", (long long)t, buf);
		int64_t back = 0;
		cr_assert_eq(nm_time_parse(buf, 26, &back), 0, "parse(\"%s\")", buf);
		cr_assert_eq(back, t, "round trip of %lld through \"%s\" gave %lld", (long long)t, buf,
		             (long long)back);
	}
}

Test(isotime, civil_day_conversions)
{
	cr_expect_eq(nm_days_from_civil(1970, 1, 1), 0);
	cr_expect_eq(nm_days_from_civil(1969, 12, 31), -1);
	cr_expect_eq(nm_days_from_civil(2000, 3, 1), 11017);
	cr_expect_eq(nm_days_from_civil(1, 1, 1), -719162);
	cr_expect_eq(nm_days_from_civil(9999, 12, 31), 2932896);
	for (int64_t z = -719162; z <= 2932896; z += 7) {
		int64_t y;
		unsigned m, d;
		nm_civil_from_days(z, &y, &m, &d);
		cr_assert_eq(nm_days_from_civil(y, m, d), z, "day %lld -> %lld-%u-%u", (long long)z, (long long)y, m, d);
	}
}

Test(isotime, now_is_in_range)
{
	int64_t t = nm_time_now();
	/* after 2020-01-01 and before 9999: a sanity check, not a timing test */
	cr_expect_gt(t, 1577836800000000LL);
	cr_expect_lt(t, NM_TIME_MAX);
}
