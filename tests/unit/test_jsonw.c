/*
 * test_jsonw.c — the streaming JSON writer (lib/jsonw.h): shortest
 * round-trip doubles in Python repr style (PROTOCOL.md §1.7), separators,
 * string escaping, jansson trees, datetimes and sink streaming.
 *
 * The double table was generated with Python 3.11: for each value,
 * (float.hex(v), repr(v)). Values are written as C hex-float literals so the
 * table pins exact bit patterns.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"
#include "jsonw.h"

/* ---- nm_jw_format_double against Python repr ---- */

static const struct {
	double v;
	const char *repr;
} repr_table[] = {
	{0x1.6666666666666p-1, "0.7"},
	{0x1.3333333333334p-2, "0.30000000000000004"},
	{0x1.0000000000000p+0, "1.0"},
	{0x0.0p+0, "0.0"},
	{-0.0, "-0.0"},
	{0x1.1c37937e08000p+53, "1e+16"},
	{0x1.4f8b588e368f1p-17, "1e-05"},
	{0x1.a36e2eb1c432dp-14, "0.0001"},
	{0x1.d6f3454000000p+26, "123456789.0"},
	{0x1.1eb2d66005835p+997, "1.5e+300"},
	{0x0.0000000000001p-1022, "5e-324"},
	{0x1.4000000000000p+1, "2.5"},
	{0x1.0f0cf064dd592p+73, "1e+22"},
	{0x1.56a95319d63e1p+63, "1.2345678901234567e+19"},
	{0x1.1d7a91d7a91d8p-1, "0.5575757575757576"},
	{0x1.999999999999ap-4, "0.1"},
	{-0x1.8000000000000p+0, "-1.5"},
	{0x1.9000000000000p+6, "100.0"},
	{0x1.c6bf526340000p+49, "1000000000000000.0"},
	{0x1.18b54f22aeb00p+50, "1234567890123456.0"},
	{0x1.0000000000000p+53, "9007199254740992.0"},
	{0x1.0624dd2f1a9fcp-10, "0.001"},
	{0x1.ad7f29abcaf48p-24, "1e-07"},
	{0x1.921fb54442d18p+1, "3.141592653589793"},
	{0x1.0000000000000p-1022, "2.2250738585072014e-308"},
	{0x1.fffffffffffffp+1023, "1.7976931348623157e+308"},
	{0x0.0000000000003p-1022, "1.5e-323"},
	{0x1.5555555555555p-2, "0.3333333333333333"},
	{0x1.5555555555555p-1, "0.6666666666666666"},
	{0x1.249ad2594c37dp+332, "1e+100"},
	{0x1.edd2f1a9fbe77p+6, "123.456"},
	{-0x1.01f31f46ed246p-13, "-0.000123"},
	{0x1.999999999999ap-5, "0.05"},
	{0x1.999999999999ap-3, "0.2"},
	{0x1.3333333333333p-2, "0.3"},
	{0x1.52d02c7e14af6p+76, "1e+23"},
	{0x0.05c0ab9347ed7p-1022, "5e-310"},
	{0x0.000000000097dp-1022, "1.2e-320"},
	{0x1.1c37937e07fffp+53, "9999999999999998.0"},
	{0x1.9e0fcaf9380fcp-17, "1.234e-05"},
	{0x1.05e1c15097c81p-10, "0.000999"},
	{-0x1.12e0be826d695p-32, "-2.5e-10"},
	{0x1.1666666666666p+2, "4.35"},
	{0x1.8000000000000p-1022, "3.337610787760802e-308"},
	{0x1.9999999999999p-1, "0.7999999999999999"},
	{0x1.b1ae4d6e2ef50p+69, "1e+21"},
	{0x1.b69b4ba630f35p+56, "1.2345678901234568e+17"},
	{-0x1.1c37937e08000p+53, "-1e+16"},
};

Test(jsonw_double, python_repr_table)
{
	for (size_t i = 0; i < sizeof repr_table / sizeof repr_table[0]; i++) {
		char buf[32];
		memset(buf, 'X', sizeof buf);
		int n = nm_jw_format_double(repr_table[i].v, buf);
		cr_expect_str_eq(buf, repr_table[i].repr, "format(%a) = \"%s\", Python repr gives \"%s\"",
		                 repr_table[i].v, buf, repr_table[i].repr);
		cr_expect_eq((size_t)n, strlen(buf), "returned length %d for \"%s\"", n, buf);
	}
}

/* The values the brief names, one assertion each, so a failure names them. */
Test(jsonw_double, named_values)
{
	char buf[32];
	nm_jw_format_double(0.1 + 0.2, buf);
	cr_expect_str_eq(buf, "0.30000000000000004");
	nm_jw_format_double(12345678901234567890.0, buf);
	cr_expect_str_eq(buf, "1.2345678901234567e+19");
	nm_jw_format_double(5e-324, buf);
	cr_expect_str_eq(buf, "5e-324");
	nm_jw_format_double(1e16, buf);
	cr_expect_str_eq(buf, "1e+16");
	nm_jw_format_double(1e-05, buf);
	cr_expect_str_eq(buf, "1e-05");
	nm_jw_format_double(-0.0, buf);
	cr_expect_str_eq(buf, "-0.0");
}

Test(jsonw_double, non_finite_is_null)
{
	char buf[32];
	nm_jw_format_double(NAN, buf);
	cr_expect_str_eq(buf, "null");
	nm_jw_format_double(INFINITY, buf);
	cr_expect_str_eq(buf, "null");
	nm_jw_format_double(-INFINITY, buf);
	cr_expect_str_eq(buf, "null");
}

static uint64_t rng_next(uint64_t *s) /* xorshift64* */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Number of significant digits in a repr-style number ("100.0" → 1,
 * "0.0001" → 1, "1.2345678901234567e+19" → 17). */
static int sig_digits(const char *s)
{
	char d[40];
	int n = 0;
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && n < 39)
			d[n++] = *s;
	int a = 0;
	while (a < n && d[a] == '0')
		a++;
	while (n > a && d[n - 1] == '0')
		n--;
	return n > a ? n - a : 1;
}

static bool same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

/* Check one value; returns false (with a message in why) on failure. */
static bool check_shortest(double v, char *why, size_t whylen)
{
	char out[32];
	int n = nm_jw_format_double(v, out);
	if (n <= 0 || (size_t)n != strlen(out) || n >= 32) {
		snprintf(why, whylen, "%a: bad length %d", v, n);
		return false;
	}
	char *end;
	double back = strtod(out, &end);
	if (*end || !same_bits(back, v)) {
		snprintf(why, whylen, "%a: \"%s\" reads back as %a", v, out, back);
		return false;
	}
	if (!strchr(out, '.') && !strchr(out, 'e')) {
		snprintf(why, whylen, "%a: \"%s\" has neither '.' nor exponent (repr style)", v, out);
		return false;
	}
	/* Python repr: exponent form exactly when the decimal exponent is < -4 or >= 16 */
	int nd = sig_digits(out);
	char shorter[400];
	snprintf(shorter, sizeof shorter, "%.*e", nd - 1, v);
	int exp10 = atoi(strchr(shorter, 'e') + 1); /* exponent of the digits actually emitted */
	bool want_exp = exp10 < -4 || exp10 >= 16;
	if (want_exp != (strchr(out, 'e') != NULL)) {
		snprintf(why, whylen, "%a: \"%s\" uses the wrong notation for exponent %d", v, out, exp10);
		return false;
	}
	for (int p = 1; p < nd; p++) {
		snprintf(shorter, sizeof shorter, "%.*g", p, v);
		if (same_bits(strtod(shorter, NULL), v)) {
			snprintf(why, whylen, "%a: \"%s\" has %d digits but \"%.40s\" also reads back", v, out, nd,
			         shorter);
			return false;
		}
	}
	return true;
}

Test(jsonw_double, random_bit_patterns_round_trip_shortest)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int failures = 0;
	char first[200] = "";
	for (int i = 0; i < 100000; i++) {
		uint64_t bits = rng_next(&seed);
		double v;
		memcpy(&v, &bits, sizeof v);
		if (!isfinite(v))
			continue;
		char why[200];
		if (!check_shortest(v, why, sizeof why)) {
			if (!failures++)
				snprintf(first, sizeof first, "%s", why);
		}
	}
	cr_expect_eq(failures, 0, "%d of 100000 values failed; first: %s", failures, first);
}

Test(jsonw_double, random_decimals_round_trip_shortest)
{
	/* short decimals (what clients send: 0.35, 12.5, 1e-05 …) must come back short */
	uint64_t seed = 42;
	for (int i = 0; i < 20000; i++) {
		int digits = 1 + (int)(rng_next(&seed) % 15);
		int exp = (int)(rng_next(&seed) % 40) - 20;
		uint64_t mant = rng_next(&seed) % 1000000000000000ULL;
		char src[64];
		snprintf(src, sizeof src, "%.*e", digits - 1, (double)mant * 1e-15 + 1.0);
		char *e = strchr(src, 'e');
		snprintf(e, sizeof src - (size_t)(e - src), "e%+d", exp);
		double v = strtod(src, NULL);
		char why[200];
		cr_assert(check_shortest(v, why, sizeof why), "from \"%s\": %s", src, why);
		char out[32];
		nm_jw_format_double(v, out);
		cr_assert_leq(sig_digits(out), digits, "\"%s\" printed as \"%s\"", src, out);
	}
}

/* ---- writer structure ---- */

static char *take(nm_jw_t *w)
{
	return nm_buf_steal(&w->buf, NULL);
}

Test(jsonw, empty_containers)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_arr(&w);
	nm_jw_obj(&w);
	nm_jw_obj_end(&w);
	nm_jw_arr(&w);
	nm_jw_arr_end(&w);
	nm_jw_arr(&w);
	nm_jw_arr(&w);
	nm_jw_arr_end(&w);
	nm_jw_arr_end(&w);
	nm_jw_arr_end(&w);
	char *s = take(&w);
	cr_expect_str_eq(s, "[{},[],[[]]]");
	free(s);
	nm_jw_free(&w);
}

Test(jsonw, commas_and_colons)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "a");
	nm_jw_int(&w, 1);
	nm_jw_key(&w, "b");
	nm_jw_str(&w, "x");
	nm_jw_key(&w, "c");
	nm_jw_arr(&w);
	nm_jw_int(&w, 1);
	nm_jw_real(&w, 2.5);
	nm_jw_obj(&w);
	nm_jw_key(&w, "d");
	nm_jw_null(&w);
	nm_jw_key(&w, "e");
	nm_jw_bool(&w, true);
	nm_jw_obj_end(&w);
	nm_jw_bool(&w, false);
	nm_jw_arr_end(&w);
	nm_jw_key(&w, "f");
	nm_jw_obj(&w);
	nm_jw_obj_end(&w);
	nm_jw_key(&w, "g");
	nm_jw_obj(&w);
	nm_jw_key(&w, "h");
	nm_jw_arr(&w);
	nm_jw_arr_end(&w);
	nm_jw_obj_end(&w);
	nm_jw_obj_end(&w);
	char *s = take(&w);
	cr_expect_str_eq(s, "{\"a\":1,\"b\":\"x\",\"c\":[1,2.5,{\"d\":null,\"e\":true},false],\"f\":{},\"g\":{\"h\":[]}}");
	free(s);
	nm_jw_free(&w);
}

Test(jsonw, deep_nesting)
{
	nm_jw_t w;
	nm_jw_init(&w);
	for (int i = 0; i < 40; i++) {
		nm_jw_arr(&w);
		nm_jw_int(&w, i);
	}
	for (int i = 0; i < 40; i++)
		nm_jw_arr_end(&w);
	nm_buf_t want = {0};
	for (int i = 0; i < 40; i++)
		nm_buf_printf(&want, "%s%d", i ? ",[" : "[", i);
	for (int i = 0; i < 40; i++)
		nm_buf_putc(&want, ']');
	cr_expect_str_eq(w.buf.data, want.data);
	nm_buf_free(&want);
	nm_jw_free(&w);
}

Test(jsonw, integers)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_arr(&w);
	nm_jw_int(&w, 0);
	nm_jw_int(&w, -1);
	nm_jw_int(&w, INT64_MAX);
	nm_jw_int(&w, INT64_MIN);
	nm_jw_arr_end(&w);
	cr_expect_str_eq(w.buf.data, "[0,-1,9223372036854775807,-9223372036854775808]");
	nm_jw_free(&w);
}

Test(jsonw, reals_in_documents)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_arr(&w);
	nm_jw_real(&w, 0.7);
	nm_jw_real(&w, 1.0);
	nm_jw_real(&w, 0.0);
	nm_jw_real(&w, 1e-05);
	nm_jw_real(&w, NAN);
	nm_jw_arr_end(&w);
	cr_expect_str_eq(w.buf.data, "[0.7,1.0,0.0,1e-05,null]");
	nm_jw_free(&w);
}

static void expect_str_json(const char *s, size_t n, const char *want)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_strn(&w, s, n);
	cr_expect_str_eq(w.buf.data, want);
	nm_jw_free(&w);
}

Test(jsonw, string_escaping)
{
	expect_str_json("", 0, "\"\"");
	expect_str_json("plain", 5, "\"plain\"");
	expect_str_json("a\"b", 3, "\"a\\\"b\"");
	expect_str_json("a\\b", 3, "\"a\\\\b\"");
	expect_str_json("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
	expect_str_json("\x01", 1, "\"\\u0001\"");
	expect_str_json("\x1f", 1, "\"\\u001f\"");
	expect_str_json("\x0b", 1, "\"\\u000b\"");
	expect_str_json("\x1b[0m", 4, "\"\\u001b[0m\"");
	/* '/' and DEL need no escape */
	expect_str_json("a/b\x7f", 4, "\"a/b\x7f\"");
	/* UTF-8 passes through byte for byte */
	expect_str_json("\xc4\x90\xc3\x80 N\xe1\xba\xb4NG \xf0\x9f\x98\x80", 16,
	                "\"\xc4\x90\xc3\x80 N\xe1\xba\xb4NG \xf0\x9f\x98\x80\"");
	/* a run of plain bytes around escapes is copied intact */
	expect_str_json("abc\"def\\ghi\njkl", 15, "\"abc\\\"def\\\\ghi\\njkl\"");
}

Test(jsonw, embedded_nul)
{
	expect_str_json("a\0b", 3, "\"a\\u0000b\"");
	expect_str_json("\0", 1, "\"\\u0000\"");
	expect_str_json("\0\0", 2, "\"\\u0000\\u0000\"");
}

Test(jsonw, keys_are_escaped)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "we\"ird\n");
	nm_jw_int(&w, 1);
	nm_jw_obj_end(&w);
	cr_expect_str_eq(w.buf.data, "{\"we\\\"ird\\n\":1}");
	nm_jw_free(&w);
}

Test(jsonw, null_string_and_time)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "s");
	nm_jw_str(&w, NULL);
	nm_jw_key(&w, "t");
	nm_jw_time(&w, 1767323045000006LL);
	nm_jw_key(&w, "u");
	nm_jw_time(&w, NM_TIME_NONE);
	nm_jw_key(&w, "v");
	nm_jw_time(&w, -1);
	nm_jw_obj_end(&w);
	cr_expect_str_eq(w.buf.data,
	                 "{\"s\":null,\"t\":\"2026-01-02T03:04:05.000006\",\"u\":null,\"v\":\"1969-12-31T23:59:59.999999\"}");
	nm_jw_free(&w);
}

Test(jsonw, strv_and_raw)
{
	nm_strv_t sv = {0};
	nm_strv_add(&sv, "a");
	nm_strv_add(&sv, "b\"c");
	nm_strv_t empty = {0};
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "tags");
	nm_jw_strv(&w, &sv);
	nm_jw_key(&w, "none");
	nm_jw_strv(&w, &empty);
	nm_jw_key(&w, "meta");
	nm_jw_raw(&w, "{\"k\":[1,2]}");
	nm_jw_key(&w, "after");
	nm_jw_int(&w, 3);
	nm_jw_obj_end(&w);
	cr_expect_str_eq(w.buf.data, "{\"tags\":[\"a\",\"b\\\"c\"],\"none\":[],\"meta\":{\"k\":[1,2]},\"after\":3}");
	nm_jw_free(&w);
	nm_strv_clear(&sv);
}

Test(jsonw, jansson_tree_keeps_insertion_order)
{
	json_error_t je;
	const char *src = "{\"z\":1,\"a\":[1,2.5,1.0,\"x\",true,false,null],\"m\":{\"k\":\"v\",\"b\":{}},"
	                  "\"0.7\":0.7,\"big\":-9223372036854775808}";
	json_t *v = json_loads(src, 0, &je);
	cr_assert_not_null(v, "%s", je.text);
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_arr(&w);
	nm_jw_json(&w, v);
	nm_jw_int(&w, 9);
	nm_jw_arr_end(&w);
	cr_expect_str_eq(w.buf.data, "[{\"z\":1,\"a\":[1,2.5,1.0,\"x\",true,false,null],\"m\":{\"k\":\"v\",\"b\":{}},"
	                             "\"0.7\":0.7,\"big\":-9223372036854775808},9]");
	nm_jw_free(&w);

	/* the same text from nm_json_text */
	char *t = nm_json_text(v);
	cr_expect_str_eq(t, src);
	free(t);
	json_decref(v);
}

Test(jsonw, jansson_order_not_alphabetical)
{
	/* built in code, keys inserted in reverse alphabetical order */
	json_t *o = json_object();
	const char *keys[] = {"zeta", "epsilon", "delta", "beta", "alpha"};
	for (int i = 0; i < 5; i++)
		json_object_set_new(o, keys[i], json_integer(i));
	char *t = nm_json_text(o);
	cr_expect_str_eq(t, "{\"zeta\":0,\"epsilon\":1,\"delta\":2,\"beta\":3,\"alpha\":4}");
	free(t);
	json_decref(o);
}

Test(jsonw, jansson_strings_escaped_incl_nul)
{
	json_t *a = json_array();
	json_array_append_new(a, json_stringn("a\0b", 3));
	json_array_append_new(a, json_string("q\"\\\n\x01 \xc3\xa9"));
	char *t = nm_json_text(a);
	cr_expect_str_eq(t, "[\"a\\u0000b\",\"q\\\"\\\\\\n\\u0001 \xc3\xa9\"]");
	free(t);
	json_decref(a);
}

Test(jsonw, json_text_scalars)
{
	json_t *vals[] = {json_null(), json_true(), json_integer(-5), json_real(0.1), json_string("")};
	const char *want[] = {"null", "true", "-5", "0.1", "\"\""};
	for (int i = 0; i < 5; i++) {
		char *t = nm_json_text(vals[i]);
		cr_expect_str_eq(t, want[i]);
		free(t);
		json_decref(vals[i]);
	}
}

/* ---- sink streaming ---- */

typedef struct sink_state {
	nm_buf_t got;
	int calls;
	int fail_at;      /* 1-based call number that fails; 0 = never */
	size_t max_chunk;
} sink_state_t;

static int sink(void *arg, const char *p, size_t n)
{
	sink_state_t *s = arg;
	s->calls++;
	if (s->fail_at && s->calls >= s->fail_at)
		return -5;
	if (n > s->max_chunk)
		s->max_chunk = n;
	nm_buf_append(&s->got, p, n);
	return 0;
}

/* A deterministic document of ~100 KB exercising every writer call. */
static void emit_doc(nm_jw_t *w)
{
	json_t *tree = json_pack("{s:i,s:[f,s,b]}", "n", 7, "l", 0.25, "s", true);
	nm_jw_obj(w);
	nm_jw_key(w, "items");
	nm_jw_arr(w);
	for (int i = 0; i < 1000; i++) {
		char id[32];
		snprintf(id, sizeof id, "item-%04d \"q\"", i);
		nm_jw_obj(w);
		nm_jw_key(w, "id");
		nm_jw_str(w, id);
		nm_jw_key(w, "i");
		nm_jw_int(w, i * 7919);
		nm_jw_key(w, "r");
		nm_jw_real(w, i / 7.0);
		nm_jw_key(w, "b");
		nm_jw_bool(w, i % 2);
		nm_jw_key(w, "z");
		nm_jw_null(w);
		nm_jw_key(w, "t");
		nm_jw_time(w, (int64_t)i * 86400000000LL);
		nm_jw_key(w, "raw");
		nm_jw_raw(w, "{\"x\":[]}");
		nm_jw_key(w, "tree");
		nm_jw_json(w, tree);
		nm_jw_key(w, "bin");
		nm_jw_strn(w, "a\0\n", 3);
		nm_jw_obj_end(w);
	}
	nm_jw_arr_end(w);
	nm_jw_obj_end(w);
	json_decref(tree);
}

Test(jsonw, sink_output_identical_to_unbuffered)
{
	nm_jw_t plain;
	nm_jw_init(&plain);
	emit_doc(&plain);
	cr_assert_gt(plain.buf.len, 50000);

	sink_state_t s = {0};
	nm_jw_t w;
	nm_jw_init(&w);
	w.sink = sink;
	w.sink_arg = &s;
	w.sink_threshold = 1024;
	emit_doc(&w);
	int calls_before_flush = s.calls;
	cr_expect_gt(calls_before_flush, 10, "the threshold should have flushed many times, got %d", s.calls);
	cr_expect_lt(w.buf.len, 1024 + 512, "buffer holds %zu bytes, beyond threshold + one item", w.buf.len);
	cr_expect_eq(nm_jw_flush(&w), 0);
	cr_expect_eq(w.buf.len, 0, "flush leaves nothing buffered");
	cr_expect_eq(s.got.len, plain.buf.len);
	cr_expect(s.got.len == plain.buf.len && memcmp(s.got.data, plain.buf.data, s.got.len) == 0,
	          "streamed output differs from the unbuffered output");
	/* flushing again with nothing buffered does not call the sink */
	int calls = s.calls;
	cr_expect_eq(nm_jw_flush(&w), 0);
	cr_expect_eq(s.calls, calls);
	nm_jw_free(&w);
	nm_jw_free(&plain);
	nm_buf_free(&s.got);
}

Test(jsonw, sink_default_threshold)
{
	sink_state_t s = {0};
	nm_jw_t w;
	nm_jw_init(&w);
	w.sink = sink;
	w.sink_arg = &s;
	cr_expect_eq(w.sink_threshold, 64 * 1024);
	emit_doc(&w);
	nm_jw_flush(&w);
	cr_expect_geq(s.calls, 2);
	cr_expect_lt(s.max_chunk, 64 * 1024 + 512);
	nm_jw_free(&w);
	nm_buf_free(&s.got);
}

Test(jsonw, flush_without_sink_keeps_buffer)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_str(&w, "kept");
	cr_expect_eq(nm_jw_flush(&w), 0);
	cr_expect_str_eq(w.buf.data, "\"kept\"");
	nm_jw_free(&w);
}

Test(jsonw, sink_error_sticks)
{
	sink_state_t s = {.fail_at = 3};
	nm_jw_t w;
	nm_jw_init(&w);
	w.sink = sink;
	w.sink_arg = &s;
	w.sink_threshold = 256;
	emit_doc(&w);
	cr_expect_eq(s.calls, 3, "after the failing call the sink must not be called again (calls=%d)", s.calls);
	cr_expect_eq(w.error, -5);
	cr_expect_eq(nm_jw_flush(&w), -5);
	cr_expect_eq(s.calls, 3);
	cr_expect_lt(w.buf.len, 256 + 512, "dropped output must not accumulate");
	nm_jw_free(&w);
	nm_buf_free(&s.got);
}
