/*
 * test_text.c — UTF-8 validation and Python-compatible lower-casing
 * (lib/text.h).
 *
 * The lower-case table was generated with Python 3.11: for each s,
 * (s.encode(), s.lower().encode(), len(s.lower())). Strings are written as
 * byte escapes; a `" "` split follows an escape when the next character is a
 * hex digit.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "text.h"

/* ---- nm_utf8_valid ---- */

static void expect_valid(const char *s, size_t n, size_t ncp)
{
	size_t got = 999;
	cr_expect(nm_utf8_valid(s, n, &got), "rejected a valid %zu-byte string", n);
	cr_expect_eq(got, ncp, "code points: got %zu, want %zu", got, ncp);
	cr_expect(nm_utf8_valid(s, n, NULL), "ncp NULL must be allowed");
}

static void expect_invalid(const char *what, const char *s, size_t n)
{
	cr_expect_not(nm_utf8_valid(s, n, NULL), "accepted invalid UTF-8: %s", what);
	cr_expect_null(nm_utf8_lower(s, n, NULL), "nm_utf8_lower accepted invalid UTF-8: %s", what);
}

#define S(lit) (lit), (sizeof(lit) - 1)

Test(utf8_valid, ascii_and_empty)
{
	expect_valid("", 0, 0);
	expect_valid(S("hello"), 5);
	expect_valid(S("\x7f"), 1);
	/* NUL is a valid code point; validation goes by length */
	expect_valid(S("a\0b"), 3);
}

Test(utf8_valid, multibyte_counts)
{
	expect_valid(S("\xc2\x80"), 1);             /* U+0080, smallest 2-byte */
	expect_valid(S("\xdf\xbf"), 1);             /* U+07FF */
	expect_valid(S("\xe0\xa0\x80"), 1);         /* U+0800, smallest 3-byte */
	expect_valid(S("\xed\x9f\xbf"), 1);         /* U+D7FF, just below surrogates */
	expect_valid(S("\xee\x80\x80"), 1);         /* U+E000, just above */
	expect_valid(S("\xef\xbf\xbf"), 1);         /* U+FFFF (noncharacter, still valid) */
	expect_valid(S("\xf0\x90\x80\x80"), 1);     /* U+10000, smallest 4-byte */
	expect_valid(S("\xf4\x8f\xbf\xbf"), 1);     /* U+10FFFF, the maximum */
	/* "ĐÀ NẴNG" is 7 code points in 11 bytes */
	expect_valid(S("\xc4\x90\xc3\x80 N\xe1\xba\xb4NG"), 7);
	/* "Thành phố Hồ Chí Minh": 21 code points */
	expect_valid(S("Th\xc3\xa0nh ph\xe1\xbb\x91 H\xe1\xbb\x93 Ch\xc3\xad Minh"), 21);
	/* emoji + combining mark: each counts */
	expect_valid(S("\xf0\x9f\x98\x80i\xcc\x87"), 3);
}

Test(utf8_valid, overlongs_rejected)
{
	expect_invalid("C0 80 (overlong NUL)", S("\xc0\x80"));
	expect_invalid("C1 BF (overlong 7F)", S("\xc1\xbf"));
	expect_invalid("E0 80 80 (overlong)", S("\xe0\x80\x80"));
	expect_invalid("E0 9F BF (overlong U+07FF)", S("\xe0\x9f\xbf"));
	expect_invalid("F0 80 80 80 (overlong)", S("\xf0\x80\x80\x80"));
	expect_invalid("F0 8F BF BF (overlong U+FFFF)", S("\xf0\x8f\xbf\xbf"));
}

Test(utf8_valid, surrogates_rejected)
{
	expect_invalid("ED A0 80 (U+D800)", S("\xed\xa0\x80"));
	expect_invalid("ED BF BF (U+DFFF)", S("\xed\xbf\xbf"));
	expect_invalid("CESU-8 pair", S("\xed\xa0\xbd\xed\xb8\x80"));
	expect_invalid("surrogate after ASCII", S("abc\xed\xb0\x80"));
}

Test(utf8_valid, beyond_max_rejected)
{
	expect_invalid("F4 90 80 80 (U+110000)", S("\xf4\x90\x80\x80"));
	expect_invalid("F4 90 (lead of U+110000)", S("\xf4\x90"));
	expect_invalid("F5 80 80 80", S("\xf5\x80\x80\x80"));
	expect_invalid("F8 (5-byte lead)", S("\xf8\x88\x80\x80\x80"));
	expect_invalid("FF", S("\xff"));
	expect_invalid("FE", S("\xfe"));
}

Test(utf8_valid, truncated_and_stray)
{
	expect_invalid("lone continuation", S("\x80"));
	expect_invalid("continuation after ASCII", S("a\xbf"));
	expect_invalid("truncated 2-byte", S("\xc3"));
	expect_invalid("truncated 3-byte", S("\xe1\xba"));
	expect_invalid("truncated 4-byte", S("\xf0\x9f\x98"));
	expect_invalid("truncated before ASCII", S("\xe1\xbaX"));
	expect_invalid("lead followed by lead", S("\xc3\xc3\xa9"));
	/* a valid string cut by the length argument */
	const char *s = "\xc4\x90";
	cr_expect_not(nm_utf8_valid(s, 1, NULL));
	cr_expect(nm_utf8_valid(s, 2, NULL));
}

Test(utf8_valid, length_bounds_the_scan)
{
	/* bytes past n are never looked at: n = 0 of garbage is valid */
	cr_expect(nm_utf8_valid("\xff\xff", 0, NULL));
	size_t ncp = 9;
	cr_expect(nm_utf8_valid("ab\xff", 2, &ncp));
	cr_expect_eq(ncp, 2);
}

/* ---- nm_utf8_lower vs Python str.lower() ---- */

static const struct {
	const char *in, *out;
	size_t out_cp; /* len(s.lower()) in Python */
} lower_table[] = {
	{"Hello World", "hello world", 11},
	{"ABCxyz 123 !@#", "abcxyz 123 !@#", 14},
	{"", "", 0},
	{"\xc4\x90\xc3\x80 N\xe1\xba\xb4NG", "\xc4\x91\xc3\xa0 n\xe1\xba\xb5ng", 7}, /* ĐÀ NẴNG -> đà nẵng */
	{"Th\xc3\xa0nh ph\xe1\xbb\x91 H\xe1\xbb\x93 Ch\xc3\xad Minh",
	 "th\xc3\xa0nh ph\xe1\xbb\x91 h\xe1\xbb\x93 ch\xc3\xad minh", 21},
	{"STRA\xc3\x9f" "E", "stra\xc3\x9f" "e", 6},               /* STRAßE -> straße (ß stays) */
	{"\xe1\xba\x9e", "\xc3\x9f", 1},                             /* ẞ -> ß */
	{"\xce\x9f\xce\x94\xce\x9f\xce\xa3", "\xce\xbf\xce\xb4\xce\xbf\xcf\x82", 4}, /* ΟΔΟΣ -> οδος (final ς) */
	{"\xce\xa3\xce\x91\xce\xa3 \xce\x9f\xce\x94\xce\x9f\xce\xa3.",
	 "\xcf\x83\xce\xb1\xcf\x82 \xce\xbf\xce\xb4\xce\xbf\xcf\x82.", 9},           /* ΣΑΣ ΟΔΟΣ. -> σας οδος. */
	{"\xce\xa3", "\xcf\x83", 1},                                 /* lone Σ -> σ (not final) */
	{"\xce\x91\xce\xa3" "1", "\xce\xb1\xcf\x82" "1", 3},         /* ΑΣ1 -> ας1 */
	{"\xce\x91\xce\xa3\xce\x84\xce\x91", "\xce\xb1\xcf\x83\xce\x84\xce\xb1", 4}, /* ΑΣ΄Α -> ασ΄α */
	{"\xc4\xb0stanbul", "i\xcc\x87stanbul", 9},                 /* İstanbul -> i̇stanbul */
	{"\xc4\xb0", "i\xcc\x87", 2},                                /* İ -> i + U+0307 */
	{"I", "i", 1},                                               /* no Turkish dotless i */
	{"\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90 \xd0\x81\xd0\xb6",
	 "\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0 \xd1\x91\xd0\xb6", 9},   /* МОСКВА Ёж -> москва ёж */
	{"\xc7\x85", "\xc7\x86", 1},                                 /* ǅ -> ǆ */
	{"\xe2\x84\xa6", "\xcf\x89", 1},                             /* OHM SIGN -> ω */
	{"\xe2\x84\xaa", "k", 1},                                    /* KELVIN SIGN -> k */
	{"\xc3\x85NGSTR\xc3\x96M", "\xc3\xa5ngstr\xc3\xb6m", 8},    /* ÅNGSTRÖM */
	{"\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3", "\xef\xbd\x81\xef\xbd\x82\xef\xbd\x83", 3}, /* fullwidth ＡＢＣ */
	{"\xf0\x90\x90\x80", "\xf0\x90\x90\xa8", 1},                 /* Deseret 𐐀 -> 𐐨 (astral) */
	{"tab\x09NL\x0a", "tab\x09nl\x0a", 7},
	{"\xc3\x89" "COLE \xc3\x87" "A", "\xc3\xa9" "cole \xc3\xa7" "a", 8},       /* ÉCOLE ÇA */
	{"\xc4\x9e\xc3\x9c\xc5\x9e\xc3\x96\xc3\x87", "\xc4\x9f\xc3\xbc\xc5\x9f\xc3\xb6\xc3\xa7", 5}, /* ĞÜŞÖÇ */
};

Test(utf8_lower, python_table)
{
	for (size_t i = 0; i < sizeof lower_table / sizeof lower_table[0]; i++) {
		const char *in = lower_table[i].in;
		size_t outlen = 12345;
		char *got = nm_utf8_lower(in, strlen(in), &outlen);
		cr_assert_not_null(got, "row %zu: NULL for valid input", i);
		cr_expect_str_eq(got, lower_table[i].out, "row %zu", i);
		cr_expect_eq(outlen, strlen(lower_table[i].out), "row %zu: outlen", i);
		size_t ncp;
		cr_expect(nm_utf8_valid(got, outlen, &ncp));
		cr_expect_eq(ncp, lower_table[i].out_cp, "row %zu: code points", i);
		free(got);
	}
}

Test(utf8_lower, dotted_capital_i_is_two_code_points)
{
	size_t n;
	char *got = nm_utf8_lower(S("\xc4\xb0"), &n);
	cr_assert_not_null(got);
	cr_expect_eq(n, 3);
	cr_expect_eq(memcmp(got, "i\xcc\x87", 3), 0);
	cr_expect_eq(got[3], '\0');
	free(got);
}

Test(utf8_lower, outlen_may_be_null)
{
	char *got = nm_utf8_lower(S("ABC"), NULL);
	cr_assert_not_null(got);
	cr_expect_str_eq(got, "abc");
	free(got);
}

Test(utf8_lower, embedded_nul_kept)
{
	size_t n = 0;
	char *got = nm_utf8_lower(S("A\0B"), &n);
	cr_assert_not_null(got);
	cr_expect_eq(n, 3);
	cr_expect_eq(memcmp(got, "a\0b", 4), 0);
	free(got);
}

Test(utf8_lower, long_strings_past_stack_buffers)
{
	/* > 512 UTF-16 units in and out: the heap path, incl. growth (İ → 2 units) */
	nm_buf_t in = {0}, want = {0};
	for (int i = 0; i < 300; i++) {
		nm_buf_puts(&in, "\xc4\x90\xc3\x80 N\xe1\xba\xb4NG \xc4\xb0 ");
		nm_buf_puts(&want, "\xc4\x91\xc3\xa0 n\xe1\xba\xb5ng i\xcc\x87 ");
	}
	size_t n = 0;
	char *got = nm_utf8_lower(in.data, in.len, &n);
	cr_assert_not_null(got);
	cr_expect_eq(n, want.len);
	cr_expect_str_eq(got, want.data);
	free(got);

	/* exactly 512 and 511 ASCII bytes: the stack buffer's edge */
	for (size_t len = 510; len <= 514; len++) {
		char *up = malloc(len), *lo = malloc(len + 1);
		for (size_t i = 0; i < len; i++) {
			up[i] = (char)('A' + i % 26);
			lo[i] = (char)('a' + i % 26);
		}
		lo[len] = '\0';
		got = nm_utf8_lower(up, len, &n);
		cr_assert_not_null(got, "len %zu", len);
		cr_expect_eq(n, len);
		cr_expect_str_eq(got, lo, "len %zu", len);
		free(got);
		free(up);
		free(lo);
	}
	/* 600 × İ: 600 UTF-16 units in, 1200 out */
	nm_buf_reset(&in);
	nm_buf_reset(&want);
	for (int i = 0; i < 600; i++) {
		nm_buf_puts(&in, "\xc4\xb0");
		nm_buf_puts(&want, "i\xcc\x87");
	}
	got = nm_utf8_lower(in.data, in.len, &n);
	cr_assert_not_null(got);
	cr_expect_eq(n, want.len);
	cr_expect_str_eq(got, want.data);
	free(got);
	nm_buf_free(&in);
	nm_buf_free(&want);
}

Test(utf8_lower, invalid_input_is_null)
{
	cr_expect_null(nm_utf8_lower(S("\xff"), NULL));
	cr_expect_null(nm_utf8_lower(S("abc\xc3"), NULL));
	cr_expect_null(nm_utf8_lower(S("\xed\xa0\x80"), NULL));
	cr_expect_null(nm_utf8_lower(S("\xc0\x80"), NULL));
	cr_expect_null(nm_utf8_lower(S("\xf4\x90\x80\x80"), NULL));
	/* invalid bytes late in a long string (heap path) */
	nm_buf_t in = {0};
	for (int i = 0; i < 1000; i++)
		nm_buf_puts(&in, "ABC");
	nm_buf_puts(&in, "\xe1\xba");
	cr_expect_null(nm_utf8_lower(in.data, in.len, NULL));
	nm_buf_free(&in);
}
