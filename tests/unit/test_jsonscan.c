/*
 * test_jsonscan.c — the incremental JSON scanner and NDJSON reader
 * (lib/jsonscan.h).
 *
 * Most cases run under every entry of CFGS: the reader hands the input out
 * whole, 1 byte, 7 bytes or a random 1..97 bytes at a time, and the input
 * window is either the production 64 KiB or a few bytes, so tokens, escapes,
 * UTF-8 sequences, captured values and lines all cross read and window
 * boundaries somewhere. Results are compared with jansson's own parse of
 * the whole text. A generated 100k-element snapshot (produced lazily by the
 * reader) checks that memory does not grow with the document, and a
 * seeded differential fuzz checks valid/invalid verdicts against jansson.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "mem.h"

#define BIG NM_JSCAN_BUFSIZE
#define MAXV (1 << 20)
#define DEPTH 64

typedef struct cfg {
	int piece;       /* bytes per read: 0 = all that fits, -1 = random 1..97 */
	size_t bufsize;  /* the scanner's window */
} cfg_t;

static const cfg_t CFGS[] = {
	{0, BIG}, {1, BIG}, {7, BIG}, {-1, BIG},
	{0, 1}, {1, 1}, {7, 5}, {-1, 13}, {0, 3}, {3, 64},
};
#define NCFG (sizeof CFGS / sizeof CFGS[0])

static uint64_t rnd(uint64_t *st)
{
	uint64_t x = *st;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*st = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* ---- a reader over a fixed text ---- */

typedef struct src {
	const char *text;
	size_t len, pos;
	int piece;
	uint64_t rng;
	int64_t fail_at;   /* fail with 503 once pos reaches this; -1: never */
	int reads;
	int eof_reads;     /* reads at end of input: the scanner must stop at one */
} src_t;

static ssize_t src_read(void *arg, char *buf, size_t cap, nm_err_t *err)
{
	src_t *r = arg;
	r->reads++;
	if (r->fail_at >= 0 && r->pos >= (size_t)r->fail_at)
		return nm_err_set(err, NM_ST_UNAVAILABLE, "disk gone");
	size_t n = r->len - r->pos;
	if (r->piece > 0 && n > (size_t)r->piece)
		n = (size_t)r->piece;
	if (r->piece < 0) {
		size_t k = 1 + rnd(&r->rng) % 97;
		if (n > k)
			n = k;
	}
	if (n > cap)
		n = cap;
	if (r->fail_at >= 0 && r->pos + n > (size_t)r->fail_at)
		n = (size_t)r->fail_at - r->pos;
	if (n == 0)
		r->eof_reads++;
	memcpy(buf, r->text + r->pos, n);
	r->pos += n;
	return (ssize_t)n;
}

typedef struct fx {
	src_t src;
	nm_jscan_t *s;
	nm_err_t err;
} fx_t;

/* The fixture must stay put while open: the scanner points at f->src. */
static void fx_open(fx_t *f, const char *text, size_t len, cfg_t c, size_t max_value, int max_depth)
{
	memset(f, 0, sizeof *f);
	f->src = (src_t){.text = text, .len = len, .piece = c.piece, .rng = 0x9E3779B97F4A7C15ULL ^ len,
	                 .fail_at = -1};
	f->s = nm_jscan_new_buf((nm_reader_t){src_read, &f->src}, max_value, max_depth, c.bufsize);
	cr_assert_not_null(f->s);
}

static void fx_close(fx_t *f)
{
	cr_expect_leq(f->src.eof_reads, 1, "reader called again after end of input");
	nm_jscan_free(f->s);
}

static json_t *J(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	cr_assert_not_null(v, "bad test JSON %s: %s", text, je.text);
	return v;
}

static void expect_err(int rc, const nm_err_t *err, int status, const char *part, size_t ci)
{
	cr_expect_eq(rc, -status, "cfg %zu: rc %d, want %d (detail \"%s\")", ci, rc, -status, err->detail);
	cr_expect_eq(err->status, status, "cfg %zu: status %d, want %d (\"%s\")", ci, err->status, status,
	             err->detail);
	cr_expect_not_null(strstr(err->detail, part), "cfg %zu: detail \"%s\" lacks \"%s\"", ci, err->detail,
	                   part);
}

/* Rebuild the next value by walking it: containers down to walk levels
 * through obj/arr calls, anything deeper captured whole. NULL on error. */
static json_t *rebuild(nm_jscan_t *s, int walk, nm_err_t *err)
{
	json_t *v = NULL;
	const char *key;
	int rc, c = nm_jscan_peek(s, err);
	if (c < 0)
		return NULL;
	if (walk > 0 && c == '{') {
		if (nm_jscan_obj_begin(s, err) < 0)
			return NULL;
		v = json_object();
		while ((rc = nm_jscan_obj_next(s, &key, err)) == 1) {
			char *k = nm_xstrdup(key);
			json_t *m = rebuild(s, walk - 1, err);
			if (m)
				json_object_set_new(v, k, m);
			free(k);
			if (!m)
				rc = -1;
			if (rc < 0)
				break;
		}
	} else if (walk > 0 && c == '[') {
		if (nm_jscan_arr_begin(s, err) < 0)
			return NULL;
		v = json_array();
		while ((rc = nm_jscan_arr_next(s, err)) == 1) {
			json_t *m = rebuild(s, walk - 1, err);
			if (!m) {
				rc = -1;
				break;
			}
			json_array_append_new(v, m);
		}
	} else {
		return nm_jscan_value(s, &v, err) < 0 ? NULL : v;
	}
	if (rc < 0) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* Rebuild a whole document (walk as above) and check nm_jscan_end. */
static json_t *rebuild_doc(const char *text, size_t len, cfg_t c, int walk, size_t max_value, nm_err_t *err)
{
	fx_t f;
	fx_open(&f, text, len, c, max_value, DEPTH);
	json_t *v = rebuild(f.s, walk, err);
	if (v && nm_jscan_end(f.s, err) < 0) {
		json_decref(v);
		v = NULL;
	}
	fx_close(&f);
	return v;
}

/* Skip a whole document; rc of skip, then of end. */
static int skip_doc(const char *text, size_t len, cfg_t c, int max_depth, nm_err_t *err)
{
	fx_t f;
	fx_open(&f, text, len, c, 16, max_depth);
	int rc = nm_jscan_skip(f.s, err);
	if (rc == 0)
		rc = nm_jscan_end(f.s, err);
	fx_close(&f);
	return rc;
}

static const char SNAPSHOT[] =
	"{\n"
	"  \"brain_id\": \"b-1\",\n"
	"  \"version\": \"0.1.0\",\n"
	"  \"neurons\": [\n"
	"    {\"id\": \"n1\", \"type\": \"concept\", \"content\": \"alpha \\\"quoted\\\" \\\\ back\",\n"
	"     \"metadata\": {\"k\": [1, 2, {\"x\": null}], \"deep\": [[[[]]]]}},\n"
	"    {\"id\": \"n2\", \"type\": \"entity\", \"content\": \"caf\\u00e9 \xe2\x98\x95 \xf0\x9f\xa7\xa0\", \"metadata\": {}},\n"
	"    {\"id\": \"n3\", \"content\": \"nul\\u0000inside\", \"activation\": -1.5e-3, \"n\": 0, \"ok\": true}\n"
	"  ],\n"
	"  \"synapses\": [],\n"
	"  \"fibers\": [ {\"id\": \"f1\", \"neuron_ids\": [\"n1\", \"n2\"]} ],\n"
	"  \"unknown\": {\"anything\": [false, null, 1E+2, \"\\ud83e\\udde0\"]},\n"
	"  \"metadata\": {\"typed_memories\": [{\"id\": \"t1\", \"memory_type\": \"fact\"}, {\"id\": \"t2\"}],\n"
	"               \"exported_at\": \"2026-01-01T00:00:00\"}\n"
	"}\n";

/* ---- snapshot-shaped documents ---- */

Test(jsonscan, snapshot_member_by_member)
{
	json_t *ref = J(SNAPSHOT);
	for (size_t ci = 0; ci < NCFG; ci++) {
		fx_t f;
		const char *key;
		int rc, nneur = 0, ntyped = 0, nsyn = 0, skipped = 0;
		fx_open(&f, SNAPSHOT, strlen(SNAPSHOT), CFGS[ci], MAXV, DEPTH);
		cr_assert_eq(nm_jscan_peek(f.s, &f.err), '{');
		cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0, "%s", f.err.detail);
		while ((rc = nm_jscan_obj_next(f.s, &key, &f.err)) == 1) {
			if (strcmp(key, "neurons") == 0) {
				cr_assert_eq(nm_jscan_arr_begin(f.s, &f.err), 0);
				while ((rc = nm_jscan_arr_next(f.s, &f.err)) == 1) {
					json_t *v;
					cr_assert_eq(nm_jscan_value(f.s, &v, &f.err), 0, "cfg %zu: %s", ci, f.err.detail);
					cr_expect(json_equal(v, json_array_get(json_object_get(ref, "neurons"), (size_t)nneur)),
					          "cfg %zu: neuron %d differs", ci, nneur);
					json_decref(v);
					nneur++;
				}
			} else if (strcmp(key, "synapses") == 0) {
				cr_assert_eq(nm_jscan_arr_begin(f.s, &f.err), 0);
				while ((rc = nm_jscan_arr_next(f.s, &f.err)) == 1)
					nsyn++;
			} else if (strcmp(key, "metadata") == 0) {
				cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
				while ((rc = nm_jscan_obj_next(f.s, &key, &f.err)) == 1) {
					if (strcmp(key, "typed_memories") != 0) {
						cr_assert_eq(nm_jscan_skip(f.s, &f.err), 0);
						continue;
					}
					cr_assert_eq(nm_jscan_arr_begin(f.s, &f.err), 0);
					while ((rc = nm_jscan_arr_next(f.s, &f.err)) == 1) {
						json_t *v;
						cr_assert_eq(nm_jscan_value(f.s, &v, &f.err), 0, "%s", f.err.detail);
						cr_expect_str_eq(json_string_value(json_object_get(v, "id")), ntyped ? "t2" : "t1");
						json_decref(v);
						ntyped++;
					}
					cr_assert_eq(rc, 0, "cfg %zu: %s", ci, f.err.detail);
				}
			} else if (strcmp(key, "brain_id") == 0) {
				json_t *v;
				cr_assert_eq(nm_jscan_value(f.s, &v, &f.err), 0);
				cr_expect_str_eq(json_string_value(v), "b-1");
				json_decref(v);
			} else {
				cr_assert_eq(nm_jscan_skip(f.s, &f.err), 0, "cfg %zu: %s", ci, f.err.detail);
				skipped++;
			}
			cr_assert_geq(rc, 0, "cfg %zu: %s", ci, f.err.detail);
		}
		cr_assert_eq(rc, 0, "cfg %zu: %s", ci, f.err.detail);
		cr_expect_eq(nm_jscan_end(f.s, &f.err), 0, "cfg %zu: %s", ci, f.err.detail);
		cr_expect_eq(nneur, 3);
		cr_expect_eq(ntyped, 2);
		cr_expect_eq(nsyn, 0);
		cr_expect_eq(skipped, 3); /* version, fibers, unknown */
		cr_expect_eq(nm_jscan_offset(f.s), (int64_t)strlen(SNAPSHOT));
		fx_close(&f);
	}
	json_decref(ref);
}

/* Every walk depth gives back jansson's tree: values captured whole at any
 * level, containers streamed above it. */
Test(jsonscan, rebuild_matches_jansson)
{
	static const char *docs[] = {
		SNAPSHOT,
		"[]", "{}", "  [ ]  ", "[[], {}, [[]], {\"a\": {}}]",
		"[1, -0, 0.5, -12.25e-3, 1E2, 123456789012, true, false, null, \"s\"]",
		"{\"a\": {\"b\": {\"c\": {\"d\": [1, [2, [3, [4]]]]}}}, \"e\": \"\\\"}]\"}",
	};
	json_error_t je;
	for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
		json_t *ref = json_loads(docs[d], JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		cr_assert_not_null(ref);
		for (size_t ci = 0; ci < NCFG; ci++)
			for (int walk = 0; walk <= 6; walk++) {
				nm_err_t err = {0};
				json_t *v = rebuild_doc(docs[d], strlen(docs[d]), CFGS[ci], walk, MAXV, &err);
				cr_assert_not_null(v, "doc %zu cfg %zu walk %d: %s", d, ci, walk, err.detail);
				cr_expect(json_equal(v, ref), "doc %zu cfg %zu walk %d differs", d, ci, walk);
				json_decref(v);
				cr_expect_eq(skip_doc(docs[d], strlen(docs[d]), CFGS[ci], DEPTH, &err), 0, "%s", err.detail);
			}
		json_decref(ref);
	}
}

Test(jsonscan, scalars_peek_and_offset)
{
	static const struct {
		const char *text;
		int peek;
		const char *canon; /* the value re-dumped by jansson */
	} cases[] = {
		{"  42  ", '4', "42"}, {"-0.5e+3", '-', "-500.0"}, {"true", 't', "true"}, {"false\n", 'f', "false"},
		{"null", 'n', "null"}, {"\"x\"", '"', "\"x\""}, {"0", '0', "0"}, {"\t[ ]\r\n", '[', "[]"},
		{"{ }", '{', "{}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (size_t ci = 0; ci < NCFG; ci++) {
			fx_t f;
			json_t *v;
			fx_open(&f, cases[i].text, strlen(cases[i].text), CFGS[ci], MAXV, DEPTH);
			cr_expect_eq(nm_jscan_peek(f.s, &f.err), cases[i].peek, "%s", cases[i].text);
			cr_assert_eq(nm_jscan_value(f.s, &v, &f.err), 0, "%s: %s", cases[i].text, f.err.detail);
			char *dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			cr_expect_str_eq(dump, cases[i].canon);
			free(dump);
			json_decref(v);
			cr_expect_eq(nm_jscan_end(f.s, &f.err), 0, "%s: %s", cases[i].text, f.err.detail);
			cr_expect_eq(nm_jscan_offset(f.s), (int64_t)strlen(cases[i].text));
			fx_close(&f);
		}
}

Test(jsonscan, peek_array_elements)
{
	static const char doc[] = "[-1, \"a\", {}, [], true, false, null, 7]";
	static const char want[] = "-\"{[tfn7";
	for (size_t ci = 0; ci < NCFG; ci++) {
		fx_t f;
		fx_open(&f, doc, strlen(doc), CFGS[ci], MAXV, DEPTH);
		cr_assert_eq(nm_jscan_arr_begin(f.s, &f.err), 0);
		for (size_t i = 0; i < strlen(want); i++) {
			cr_assert_eq(nm_jscan_arr_next(f.s, &f.err), 1);
			cr_expect_eq(nm_jscan_peek(f.s, &f.err), want[i]);
			cr_expect_eq(nm_jscan_peek(f.s, &f.err), want[i], "peek does not consume");
			cr_assert_eq(nm_jscan_skip(f.s, &f.err), 0, "%s", f.err.detail);
		}
		cr_expect_eq(nm_jscan_arr_next(f.s, &f.err), 0);
		cr_expect_eq(nm_jscan_end(f.s, &f.err), 0);
		cr_expect_eq(nm_jscan_peek(f.s, &f.err), 0, "end of input");
		fx_close(&f);
	}
}

/* ---- strings and keys ---- */

Test(jsonscan, strings_across_boundaries)
{
	static const char doc[] =
		"[\"a\\\"b\", \"\\\\\\\\\", \"x\\u0000y\", \"\\u00e9\\ud83e\\udde0\", \"\xc3\xa9\xf0\x9f\xa7\xa0\","
		" \"\\/\\b\\f\\n\\r\\t\", \"\", \"\\\"\\\"\\\"\", \"0123456789abcdef0123456789abcdef\\\\\"]";
	static const struct {
		const char *bytes;
		size_t len;
	} want[] = {
		{"a\"b", 3}, {"\\\\", 2}, {"x\0y", 3}, {"\xc3\xa9\xf0\x9f\xa7\xa0", 6}, {"\xc3\xa9\xf0\x9f\xa7\xa0", 6},
		{"/\b\f\n\r\t", 6}, {"", 0}, {"\"\"\"", 3}, {"0123456789abcdef0123456789abcdef\\", 33},
	};
	for (size_t ci = 0; ci < NCFG; ci++) {
		fx_t f;
		fx_open(&f, doc, strlen(doc), CFGS[ci], MAXV, DEPTH);
		cr_assert_eq(nm_jscan_arr_begin(f.s, &f.err), 0);
		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
			json_t *v;
			cr_assert_eq(nm_jscan_arr_next(f.s, &f.err), 1, "cfg %zu: %s", ci, f.err.detail);
			cr_assert_eq(nm_jscan_value(f.s, &v, &f.err), 0, "cfg %zu #%zu: %s", ci, i, f.err.detail);
			cr_expect_eq(json_string_length(v), want[i].len, "cfg %zu #%zu", ci, i);
			cr_expect_eq(memcmp(json_string_value(v), want[i].bytes, want[i].len), 0, "cfg %zu #%zu", ci, i);
			json_decref(v);
		}
		cr_expect_eq(nm_jscan_arr_next(f.s, &f.err), 0);
		cr_expect_eq(nm_jscan_end(f.s, &f.err), 0);
		fx_close(&f);
		cr_expect_eq(skip_doc(doc, strlen(doc), CFGS[ci], DEPTH, &f.err), 0, "%s", f.err.detail);
	}
}

Test(jsonscan, keys_decoded)
{
	static const char doc[] = "{\"a\\\"b\": 1, \"\\u00e9\": 2, \"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\": 3, \"\": 4,"
	                          " \"\\ud83e\\udde0\" : 5 , \"plain_key\"\n:\n6}";
	static const char *want[] = {"a\"b", "\xc3\xa9", "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", "", "\xf0\x9f\xa7\xa0",
	                             "plain_key"};
	for (size_t ci = 0; ci < NCFG; ci++) {
		fx_t f;
		const char *key;
		fx_open(&f, doc, strlen(doc), CFGS[ci], MAXV, DEPTH);
		cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
			json_t *v;
			cr_assert_eq(nm_jscan_obj_next(f.s, &key, &f.err), 1, "cfg %zu: %s", ci, f.err.detail);
			cr_expect_str_eq(key, want[i], "cfg %zu #%zu", ci, i);
			cr_assert_eq(nm_jscan_value(f.s, &v, &f.err), 0);
			cr_expect_eq(json_integer_value(v), (json_int_t)i + 1);
			json_decref(v);
		}
		cr_expect_eq(nm_jscan_obj_next(f.s, &key, &f.err), 0);
		cr_expect_eq(nm_jscan_end(f.s, &f.err), 0);
		fx_close(&f);
	}
}

Test(jsonscan, bad_keys)
{
	static const struct {
		const char *doc;
		const char *part;
	} cases[] = {
		{"{\"a\\u0000b\": 1}", "at byte 1: object key contains \\u0000"},
		{"{\"\\ud800\": 1}", "invalid JSON at byte"},   /* lone surrogate (jansson) */
		{"{\"\xff\": 1}", "invalid JSON at byte"},      /* not UTF-8 (jansson) */
		{"{\"a\\qb\": 1}", "at byte 4: invalid escape in string"},
		{"{\"a\nb\": 1}", "at byte 3: unescaped control character in string (found byte 0x0a)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (size_t ci = 0; ci < NCFG; ci++) {
			fx_t f;
			const char *key = "set";
			fx_open(&f, cases[i].doc, strlen(cases[i].doc), CFGS[ci], MAXV, DEPTH);
			cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
			int rc = nm_jscan_obj_next(f.s, &key, &f.err);
			expect_err(rc, &f.err, NM_ST_INVALID, cases[i].part, ci);
			cr_expect_null(key);
			fx_close(&f);
		}
}

/* ---- malformed documents ---- */

static const struct {
	const char *text;
	size_t len;        /* 0: strlen */
	const char *part;  /* expected in the detail; status is NM_ST_INVALID */
} BAD[] = {
	{"", 0, "at byte 0: unexpected end of input (expected a value)"},
	{"  \n ", 0, "at byte 4: unexpected end of input (expected a value)"},
	{"{\"a\": [1, 2", 0, "at byte 11: unexpected end of input (expected ',' or ']')"},
	{"{\"a\": [1, 2]", 0, "unexpected end of input (expected ',' or '}')"},
	{"{\"a\": 1} x", 0, "at byte 9: unexpected data after the top-level value"},
	{"[1] [2]", 0, "at byte 4: unexpected data after the top-level value"},
	{"[1, 2,]", 0, "at byte 6: expected a value"},
	{"{\"a\": 1,}", 0, "at byte 8: expected string"},
	{"{\"a\" 1}", 0, "at byte 5: expected ':'"},
	{"{\"a\": 1 x}", 0, "invalid JSON at byte 8: expected ',' or '}'"},
	{"{\"a\":1 \"b\":2}", 0, "expected ',' or '}'"},
	{"{1: 2}", 0, "at byte 1: expected string or '}'"},
	{"{,}", 0, "expected string or '}'"},
	{"[tru]", 0, "at byte 4: invalid literal, expected true"},
	{"[nulL]", 0, "invalid literal, expected null"},
	{"[fals", 0, "unexpected end of input (invalid literal, expected false)"},
	{"nul", 0, "unexpected end of input"},
	{"[True]", 0, "expected a value"},
	{"[\"a\tb\"]", 0, "at byte 3: unescaped control character in string (found byte 0x09)"},
	{"\"a\x01\"", 0, "unescaped control character in string (found byte 0x01)"},
	{"[\"0123456789abcdef01234\x1f" "6789\"]", 0, "at byte 23: unescaped control character in string (found byte 0x1f)"},
	{"[\"0123456789abcdef0123456789\n\"]", 0, "at byte 28: unescaped control character in string (found byte 0x0a)"},
	{"{\"0123456789abcdef01234\x7f\x00\": 1}", 30, "at byte 24: unescaped control character in string (found byte 0x00)"},
	{"[\"\\x\"]", 0, "at byte 3: invalid escape in string"},
	{"[\"\\u12g4\"]", 0, "at byte 6: invalid \\u escape in string"},
	{"[\"\\u12", 0, "unexpected end of input (invalid \\u escape in string)"},
	{"\"abc", 0, "at byte 4: unexpected end of input (unterminated string)"},
	{"\"abc\\", 0, "unexpected end of input (invalid escape in string)"},
	{"01", 0, "at byte 1: unexpected data after the top-level value"},
	{"[01]", 0, "at byte 2: expected ',' or ']'"},
	{"1.", 0, "unexpected end of input (expected a digit in number)"},
	{"[1.]", 0, "at byte 3: expected a digit in number"},
	{"[1.e5]", 0, "expected a digit in number"},
	{"-", 0, "unexpected end of input (expected a digit in number)"},
	{"[-a]", 0, "expected a digit in number"},
	{"[1e]", 0, "expected a digit in number"},
	{"[1e+]", 0, "expected a digit in number"},
	{"[+1]", 0, "at byte 1: expected a value"},
	{"[.5]", 0, "expected a value"},
	{"[1 2]", 0, "at byte 3: expected ',' or ']'"},
	{"[1,,2]", 0, "at byte 3: expected a value"},
	{"[,]", 0, "expected a value"},
	{"]", 0, "at byte 0: expected a value"},
	{"{\"a\":1]", 0, "expected ',' or '}'"},
	{"[}", 0, "expected a value"},
	{"\xef\xbb\xbf{}", 0, "at byte 0: expected a value"}, /* no BOM (RFC 8259 §8.1) */
	{"[1]\0", 4, "at byte 3: unexpected data after the top-level value (found byte 0x00)"},
	{"[1,\0]", 5, "expected a value (found byte 0x00)"},
	{"[1]\f", 0, "unexpected data"}, /* form feed is not JSON whitespace */
};

Test(jsonscan, malformed_value_and_skip)
{
	for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
		size_t len = BAD[i].len ? BAD[i].len : strlen(BAD[i].text);
		for (size_t ci = 0; ci < NCFG; ci++) {
			nm_err_t err = {0};
			json_t *v = rebuild_doc(BAD[i].text, len, CFGS[ci], 0, MAXV, &err);
			cr_expect_null(v, "case %zu accepted", i);
			json_decref(v);
			expect_err(-err.status, &err, NM_ST_INVALID, BAD[i].part, ci);
			memset(&err, 0, sizeof err);
			int rc = skip_doc(BAD[i].text, len, CFGS[ci], DEPTH, &err);
			expect_err(rc, &err, NM_ST_INVALID, BAD[i].part, ci);
			memset(&err, 0, sizeof err);
			v = rebuild_doc(BAD[i].text, len, CFGS[ci], 3, MAXV, &err);
			cr_expect_null(v, "case %zu accepted when walked", i);
			json_decref(v);
			cr_expect_eq(err.status, NM_ST_INVALID, "case %zu walked: %s", i, err.detail);
		}
	}
}

/* What only jansson checks: captured values are refused, skipped ones pass
 * (skipped text is never stored; see nm_jscan_skip). */
Test(jsonscan, jansson_checks_captured_values)
{
	static const char *docs[] = {"\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\xff\"", "\"\xc3\"", "1e999",
	                             "123456789012345678901234567890"};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
		for (size_t ci = 0; ci < NCFG; ci++) {
			nm_err_t err = {0};
			json_t *v = rebuild_doc(docs[i], strlen(docs[i]), CFGS[ci], 0, MAXV, &err);
			cr_expect_null(v, "%s accepted", docs[i]);
			cr_expect_eq(err.status, NM_ST_INVALID);
			cr_expect_eq(strncmp(err.detail, "invalid JSON at byte ", 21), 0, "%s", err.detail);
			cr_expect_eq(skip_doc(docs[i], strlen(docs[i]), CFGS[ci], DEPTH, &err), 0);
		}
}

Test(jsonscan, error_offset_deep_in_document)
{
	nm_buf_t b = {0};
	nm_buf_putc(&b, '[');
	for (int i = 0; i < 50000; i++)
		nm_buf_puts(&b, "1,");
	nm_buf_puts(&b, "x]");
	for (size_t ci = 0; ci < NCFG; ci++) {
		nm_err_t err = {0};
		int rc = skip_doc(b.data, b.len, CFGS[ci], DEPTH, &err);
		expect_err(rc, &err, NM_ST_INVALID, "invalid JSON at byte 100001: expected a value", ci);
		json_t *v = rebuild_doc(b.data, b.len, CFGS[ci], 1, MAXV, &err);
		cr_expect_null(v);
		expect_err(-err.status, &err, NM_ST_INVALID, "invalid JSON at byte 100001: expected a value", ci);
	}
	nm_buf_free(&b);
}

/* ---- limits ---- */

static char *big_member_doc(size_t n)
{
	nm_buf_t b = {0};
	nm_buf_puts(&b, "{\"big\": \"");
	for (size_t i = 0; i < n; i++)
		nm_buf_putc(&b, (char)('a' + i % 26));
	nm_buf_puts(&b, "\", \"small\": [1]}");
	return nm_buf_steal(&b, NULL);
}

Test(jsonscan, max_value)
{
	for (size_t ci = 0; ci < NCFG; ci++) {
		for (size_t n = 62; n <= 63; n++) { /* 64 and 65 bytes with the quotes */
			char *doc = big_member_doc(n);
			fx_t f;
			const char *key;
			json_t *v;
			fx_open(&f, doc, strlen(doc), CFGS[ci], 64, DEPTH);
			cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
			cr_assert_eq(nm_jscan_obj_next(f.s, &key, &f.err), 1);
			int rc = nm_jscan_value(f.s, &v, &f.err);
			if (n == 62) {
				cr_expect_eq(rc, 0, "cfg %zu: %s", ci, f.err.detail);
				cr_expect_eq(json_string_length(v), 62);
				json_decref(v);
			} else {
				expect_err(rc, &f.err, NM_ST_TOO_LARGE, "JSON value at byte 8 is larger than 64 bytes", ci);
				cr_expect_null(v);
			}
			fx_close(&f);
			free(doc);
		}
	}
}

Test(jsonscan, max_value_detected_before_reading_everything)
{
	char *doc = big_member_doc(1 << 20);
	fx_t f;
	const char *key;
	json_t *v;
	fx_open(&f, doc, strlen(doc), CFGS[3], 1000, DEPTH);
	cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
	cr_assert_eq(nm_jscan_obj_next(f.s, &key, &f.err), 1);
	expect_err(nm_jscan_value(f.s, &v, &f.err), &f.err, NM_ST_TOO_LARGE, "larger than 1000 bytes", 3);
	cr_expect_lt(f.src.pos, (size_t)BIG + 2000, "read %zu bytes", f.src.pos);
	cr_expect_lt(nm_jscan_footprint(f.s), (size_t)BIG + 8192);
	fx_close(&f);
	free(doc);
}

Test(jsonscan, skip_beyond_max_value)
{
	nm_buf_t b = {0};
	nm_buf_puts(&b, "{\"huge\": [");
	for (int i = 0; i < 40000; i++)
		nm_buf_printf(&b, "%s{\"s\": \"element %d \\\"q\\\" \\\\\", \"v\": [%d.5e1, null]}", i ? ", " : "", i, i);
	nm_buf_puts(&b, "], \"longstr\": \"");
	for (int i = 0; i < 300000; i++)
		nm_buf_putc(&b, (char)('a' + i % 26));
	nm_buf_puts(&b, "\", \"after\": {\"ok\": true}}");
	for (size_t ci = 0; ci < NCFG; ci++) {
		if (CFGS[ci].piece == 1 && CFGS[ci].bufsize == 1)
			continue; /* ~3 MB one byte a read: slow under ASan, nothing new */
		fx_t f;
		const char *key;
		json_t *v;
		fx_open(&f, b.data, b.len, CFGS[ci], 64, DEPTH);
		cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
		cr_assert_eq(nm_jscan_obj_next(f.s, &key, &f.err), 1);
		cr_assert_eq(nm_jscan_skip(f.s, &f.err), 0, "cfg %zu: %s", ci, f.err.detail);
		cr_assert_eq(nm_jscan_obj_next(f.s, &key, &f.err), 1);
		cr_expect_str_eq(key, "longstr");
		cr_assert_eq(nm_jscan_skip(f.s, &f.err), 0, "cfg %zu: %s", ci, f.err.detail);
		cr_assert_eq(nm_jscan_obj_next(f.s, &key, &f.err), 1);
		cr_expect_str_eq(key, "after");
		cr_assert_eq(nm_jscan_value(f.s, &v, &f.err), 0, "%s", f.err.detail);
		cr_expect(json_is_true(json_object_get(v, "ok")));
		json_decref(v);
		cr_expect_eq(nm_jscan_obj_next(f.s, &key, &f.err), 0);
		cr_expect_eq(nm_jscan_end(f.s, &f.err), 0);
		cr_expect_leq(nm_jscan_footprint(f.s), CFGS[ci].bufsize + 4096);
		fx_close(&f);
	}
	nm_buf_free(&b);
}

Test(jsonscan, key_over_max_value)
{
	char *doc = big_member_doc(10);
	for (size_t ci = 0; ci < NCFG; ci++) {
		fx_t f;
		const char *key;
		fx_open(&f, doc, strlen(doc), CFGS[ci], 2, DEPTH); /* "big" is 3 bytes */
		cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
		expect_err(nm_jscan_obj_next(f.s, &key, &f.err), &f.err, NM_ST_TOO_LARGE,
		           "object key at byte 1 is longer than 2 bytes", ci);
		fx_close(&f);
	}
	free(doc);
}

Test(jsonscan, max_depth)
{
	static const char *ok4[] = {"[[[[1]]]]", "{\"a\": [{\"b\": [1]}]}", "[[[[]]]]", "[1, [2, [3, [4, 5]]], {}]"};
	static const char *bad4[] = {"[[[[[1]]]]]", "{\"a\": [{\"b\": [{\"c\": {}}]}]}", "[[[[[]]]]]"};
	for (size_t ci = 0; ci < NCFG; ci++) {
		nm_err_t err = {0};
		for (size_t i = 0; i < sizeof ok4 / sizeof ok4[0]; i++) {
			cr_expect_eq(skip_doc(ok4[i], strlen(ok4[i]), CFGS[ci], 4, &err), 0, "%s: %s", ok4[i], err.detail);
			fx_t f;
			json_t *v;
			fx_open(&f, ok4[i], strlen(ok4[i]), CFGS[ci], MAXV, 4);
			cr_expect_eq(nm_jscan_value(f.s, &v, &f.err), 0, "%s: %s", ok4[i], f.err.detail);
			json_decref(v);
			fx_close(&f);
		}
		for (size_t i = 0; i < sizeof bad4 / sizeof bad4[0]; i++) {
			expect_err(skip_doc(bad4[i], strlen(bad4[i]), CFGS[ci], 4, &err), &err, NM_ST_INVALID,
			           "nested deeper than 4 levels", ci);
			fx_t f;
			json_t *v;
			fx_open(&f, bad4[i], strlen(bad4[i]), CFGS[ci], MAXV, 4);
			expect_err(nm_jscan_value(f.s, &v, &f.err), &f.err, NM_ST_INVALID, "nested deeper than 4 levels", ci);
			fx_close(&f);
		}
	}
}

Test(jsonscan, depth_bomb_stops_early)
{
	size_t n = 1 << 20;
	char *doc = nm_xmalloc(n);
	memset(doc, '[', n);
	nm_err_t err = {0};
	expect_err(skip_doc(doc, n, CFGS[0], 512, &err), &err, NM_ST_INVALID,
	           "invalid JSON at byte 512: nested deeper than 512 levels", 0);
	free(doc);
}

Test(jsonscan, caller_nesting_limited)
{
	static const char doc[] = "{\"a\": {\"b\": {\"c\": 1}}}";
	fx_t f;
	const char *key;
	fx_open(&f, doc, strlen(doc), CFGS[0], MAXV, 2);
	cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
	cr_assert_eq(nm_jscan_obj_next(f.s, &key, &f.err), 1);
	cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
	cr_assert_eq(nm_jscan_obj_next(f.s, &key, &f.err), 1);
	expect_err(nm_jscan_obj_begin(f.s, &f.err), &f.err, NM_ST_INVALID, "nested deeper than 2 levels", 0);
	fx_close(&f);
}

/* ---- reader errors, stickiness, misuse ---- */

Test(jsonscan, reader_error_passed_through_and_sticky)
{
	for (size_t ci = 0; ci < NCFG; ci++) {
		fx_t f;
		const char *key;
		json_t *v;
		fx_open(&f, SNAPSHOT, strlen(SNAPSHOT), CFGS[ci], MAXV, DEPTH);
		f.src.fail_at = 60; /* inside the neurons array */
		cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
		int rc;
		while ((rc = nm_jscan_obj_next(f.s, &key, &f.err)) == 1 && (rc = nm_jscan_value(f.s, &v, &f.err)) == 0)
			json_decref(v);
		cr_expect_eq(rc, -NM_ST_UNAVAILABLE, "cfg %zu: rc %d (%s)", ci, rc, f.err.detail);
		cr_expect_eq(f.err.status, NM_ST_UNAVAILABLE);
		cr_expect_str_eq(f.err.detail, "disk gone");
		int reads = f.src.reads;
		nm_err_t again = {0};
		cr_expect_eq(nm_jscan_skip(f.s, &again), -NM_ST_UNAVAILABLE);
		cr_expect_str_eq(again.detail, "disk gone");
		cr_expect_eq(nm_jscan_end(f.s, NULL), -NM_ST_UNAVAILABLE);
		cr_expect_eq(f.src.reads, reads, "reader called after its error");
		fx_close(&f);
	}
}

static ssize_t broken_read(void *arg, char *buf, size_t cap, nm_err_t *err)
{
	return -1; /* breaks the contract: no NM_ST_* status, err untouched */
}

Test(jsonscan, reader_without_status)
{
	nm_jscan_t *s = nm_jscan_new((nm_reader_t){broken_read, NULL}, 10, 4);
	nm_err_t err = {0};
	json_t *v;
	cr_expect_eq(nm_jscan_value(s, &v, &err), -NM_ST_INTERNAL);
	cr_expect_str_eq(err.detail, "read error at byte 0");
	nm_jscan_free(s);
}

Test(jsonscan, invalid_json_error_is_sticky)
{
	static const char doc[] = "[1 2, 3]";
	fx_t f;
	fx_open(&f, doc, strlen(doc), CFGS[0], MAXV, DEPTH);
	cr_assert_eq(nm_jscan_arr_begin(f.s, &f.err), 0);
	cr_assert_eq(nm_jscan_arr_next(f.s, &f.err), 1);
	cr_assert_eq(nm_jscan_skip(f.s, &f.err), 0);
	expect_err(nm_jscan_arr_next(f.s, &f.err), &f.err, NM_ST_INVALID, "at byte 3: expected ',' or ']'", 0);
	nm_err_t again = {0};
	expect_err(nm_jscan_arr_next(f.s, &again), &again, NM_ST_INVALID, "at byte 3: expected ',' or ']'", 0);
	const char *line;
	size_t len;
	expect_err(nm_jscan_line(f.s, &line, &len, &again), &again, NM_ST_INVALID, "at byte 3", 0);
	fx_close(&f);
}

Test(jsonscan, call_order_misuse)
{
	static const char doc[] = "{\"a\": [1], \"b\": 2}";
	const char *key;
	json_t *v;
	fx_t f;

	fx_open(&f, doc, strlen(doc), CFGS[0], MAXV, DEPTH);
	cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
	cr_assert_eq(nm_jscan_obj_next(f.s, &key, &f.err), 1);
	expect_err(nm_jscan_obj_next(f.s, &key, &f.err), &f.err, NM_ST_INTERNAL, "member value not consumed", 0);
	fx_close(&f);

	fx_open(&f, doc, strlen(doc), CFGS[0], MAXV, DEPTH);
	cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
	expect_err(nm_jscan_value(f.s, &v, &f.err), &f.err, NM_ST_INTERNAL, "no value expected here", 0);
	fx_close(&f);

	fx_open(&f, doc, strlen(doc), CFGS[0], MAXV, DEPTH);
	cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
	expect_err(nm_jscan_arr_next(f.s, &f.err), &f.err, NM_ST_INTERNAL, "arr_next outside an array", 0);
	fx_close(&f);

	fx_open(&f, doc, strlen(doc), CFGS[0], MAXV, DEPTH);
	cr_assert_eq(nm_jscan_skip(f.s, &f.err), 0);
	expect_err(nm_jscan_skip(f.s, &f.err), &f.err, NM_ST_INTERNAL, "top-level value was already read", 0);
	fx_close(&f);

	fx_open(&f, doc, strlen(doc), CFGS[0], MAXV, DEPTH);
	cr_assert_eq(nm_jscan_obj_begin(f.s, &f.err), 0);
	expect_err(nm_jscan_end(f.s, &f.err), &f.err, NM_ST_INTERNAL, "containers still open", 0);
	fx_close(&f);

	fx_open(&f, doc, strlen(doc), CFGS[0], MAXV, DEPTH);
	expect_err(nm_jscan_arr_begin(f.s, &f.err), &f.err, NM_ST_INVALID, "at byte 0: expected '['", 0);
	fx_close(&f);
}

Test(jsonscan, new_rejects_bad_arguments)
{
	nm_reader_t rd = {broken_read, NULL};
	cr_expect_null(nm_jscan_new((nm_reader_t){NULL, NULL}, 10, 4));
	cr_expect_null(nm_jscan_new(rd, 0, 4));
	cr_expect_null(nm_jscan_new(rd, 10, 0));
	cr_expect_null(nm_jscan_new_buf(rd, 10, 4, 0));
	nm_jscan_free(NULL);
}

/* ---- NDJSON ---- */

static void expect_lines(const char *text, size_t textlen, const char *const *want, size_t n, size_t max)
{
	for (size_t ci = 0; ci < NCFG; ci++) {
		fx_t f;
		const char *line;
		size_t len;
		fx_open(&f, text, textlen, CFGS[ci], max, DEPTH);
		cr_expect_eq(nm_jscan_lineno(f.s), 0);
		for (size_t i = 0; i < n; i++) {
			cr_assert_eq(nm_jscan_line(f.s, &line, &len, &f.err), 1, "cfg %zu line %zu: %s", ci, i + 1,
			             f.err.detail);
			cr_expect_eq(len, strlen(want[i]), "cfg %zu line %zu", ci, i + 1);
			cr_expect_str_eq(line, want[i], "cfg %zu line %zu", ci, i + 1);
			cr_expect_eq(nm_jscan_lineno(f.s), (int64_t)i + 1);
		}
		cr_expect_eq(nm_jscan_line(f.s, &line, &len, &f.err), 0, "cfg %zu: extra line", ci);
		cr_expect_eq(nm_jscan_line(f.s, &line, &len, &f.err), 0, "cfg %zu: end is stable", ci);
		cr_expect_eq(nm_jscan_lineno(f.s), (int64_t)n);
		fx_close(&f);
	}
}

Test(jsonscan, ndjson_lines)
{
	static const char t1[] = "a\r\n\n{\"x\":1}\n\r\nlast";
	static const char *w1[] = {"a", "", "{\"x\":1}", "", "last"};
	expect_lines(t1, strlen(t1), w1, 5, 100);
	static const char *w2[] = {"x"};
	expect_lines("x\n", 2, w2, 1, 100);
	expect_lines("x", 1, w2, 1, 100);
	expect_lines("x\r", 2, w2, 1, 100);
	expect_lines("", 0, NULL, 0, 100);
	static const char *w3[] = {""};
	expect_lines("\n", 1, w3, 1, 100);
	static const char *w4[] = {"a\rb", " spaced ", "\t"};
	expect_lines("a\rb\r\n spaced \n\t\n", 16, w4, 3, 100);
	/* lines longer than the window go through the capture buffer */
	static const char *w5[] = {"0123456789012345678901234567890123456789", "", "abcdefghijklmnopqrstuvwxyz"};
	static const char t5[] = "0123456789012345678901234567890123456789\r\n\nabcdefghijklmnopqrstuvwxyz";
	expect_lines(t5, strlen(t5), w5, 3, 40);
}

Test(jsonscan, ndjson_nul_bytes)
{
	static const char text[] = "a\0b\nc";
	for (size_t ci = 0; ci < NCFG; ci++) {
		fx_t f;
		const char *line;
		size_t len;
		fx_open(&f, text, 5, CFGS[ci], 10, DEPTH);
		cr_assert_eq(nm_jscan_line(f.s, &line, &len, &f.err), 1);
		cr_expect_eq(len, 3);
		cr_expect_eq(memcmp(line, "a\0b", 4), 0);
		cr_assert_eq(nm_jscan_line(f.s, &line, &len, &f.err), 1);
		cr_expect_str_eq(line, "c");
		fx_close(&f);
	}
}

Test(jsonscan, ndjson_line_too_long)
{
	static const char text[] = "0123456789\r\n0123456789\n01234567890\nnever";
	for (size_t ci = 0; ci < NCFG; ci++) {
		fx_t f;
		const char *line;
		size_t len;
		fx_open(&f, text, strlen(text), CFGS[ci], 10, DEPTH);
		cr_assert_eq(nm_jscan_line(f.s, &line, &len, &f.err), 1, "cfg %zu: %s", ci, f.err.detail);
		cr_assert_eq(nm_jscan_line(f.s, &line, &len, &f.err), 1, "cfg %zu: %s", ci, f.err.detail);
		cr_expect_eq(len, 10);
		expect_err(nm_jscan_line(f.s, &line, &len, &f.err), &f.err, NM_ST_TOO_LARGE,
		           "line 3 is longer than 10 bytes", ci);
		cr_expect_null(line);
		cr_expect_eq(nm_jscan_lineno(f.s), 2);
		fx_close(&f);
	}
	/* a last line without '\n' is held to the same limit */
	fx_t f;
	const char *line;
	size_t len;
	fx_open(&f, "01234567890", 11, CFGS[1], 10, DEPTH);
	expect_err(nm_jscan_line(f.s, &line, &len, &f.err), &f.err, NM_ST_TOO_LARGE, "line 1 is longer", 1);
	fx_close(&f);
}

Test(jsonscan, ndjson_huge_line_fails_early)
{
	size_t n = 4 << 20;
	char *text = nm_xmalloc(n);
	memset(text, 'x', n);
	fx_t f;
	const char *line;
	size_t len;
	fx_open(&f, text, n, CFGS[3], 1000, DEPTH);
	expect_err(nm_jscan_line(f.s, &line, &len, &f.err), &f.err, NM_ST_TOO_LARGE, "line 1 is longer than 1000", 3);
	cr_expect_lt(f.src.pos, (size_t)BIG + 2000, "read %zu bytes", f.src.pos);
	fx_close(&f);
	free(text);
}

/* ---- memory does not grow with the document ---- */

/* A reader that generates a snapshot of n neurons (or n NDJSON lines)
 * lazily: the document never exists in memory as a whole. */
typedef struct gen {
	int n;
	int i;          /* next element; -1 before the head */
	bool ndjson;
	bool done;
	char piece[256];
	size_t plen, ppos;
	uint64_t rng;
	int64_t total;
} gen_t;

static void gen_next(gen_t *g)
{
	int i = g->i++;
	int len;
	if (g->ndjson) {
		if (i == g->n) {
			g->done = true;
			len = 0;
		} else {
			len = snprintf(g->piece, sizeof g->piece, "{\"id\": \"n%d\", \"c\": \"caf\\u00e9 %d\"}%s", i, i,
			               i % 10 == 3 ? "\r\n\n" : "\n");
		}
	} else if (i < 0) {
		len = snprintf(g->piece, sizeof g->piece, "{\"brain_id\": \"gen\", \"neurons\": [\n");
	} else if (i < g->n) {
		len = snprintf(g->piece, sizeof g->piece,
		               "%s{\"id\": \"n%d\", \"content\": \"memory %d with \\\"quotes\\\" and \\u00e9 \xc3\xa9\","
		               " \"weight\": 0.%d, \"tags\": [\"a\", \"b\"], \"meta\": {\"k\": [1, {\"x\": null}]}}",
		               i ? ",\n  " : "  ", i, i, i);
	} else if (i == g->n) {
		len = snprintf(g->piece, sizeof g->piece,
		               "\n], \"metadata\": {\"typed_memories\": [{\"id\": \"t\"}]}}\n");
	} else {
		g->done = true;
		len = 0;
	}
	g->plen = (size_t)len;
	g->ppos = 0;
}

static ssize_t gen_read(void *arg, char *buf, size_t cap, nm_err_t *err)
{
	gen_t *g = arg;
	while (g->ppos == g->plen && !g->done)
		gen_next(g);
	size_t n = g->plen - g->ppos;
	size_t k = 1 + rnd(&g->rng) % 500;
	if (n > k)
		n = k;
	if (n > cap)
		n = cap;
	memcpy(buf, g->piece + g->ppos, n);
	g->ppos += n;
	g->total += (int64_t)n;
	return (ssize_t)n;
}

#define GEN_N 100000

static void stream_generated(size_t bufsize, bool use_skip)
{
	gen_t g = {.n = GEN_N, .i = -1, .rng = 42};
	nm_err_t err = {0};
	nm_jscan_t *s = nm_jscan_new_buf((nm_reader_t){gen_read, &g}, 4096, 16, bufsize);
	const char *key;
	int rc, count = 0;
	size_t peak = 0;
	cr_assert_eq(nm_jscan_obj_begin(s, &err), 0);
	while ((rc = nm_jscan_obj_next(s, &key, &err)) == 1) {
		if (strcmp(key, "neurons") != 0) {
			cr_assert_eq(nm_jscan_skip(s, &err), 0, "%s", err.detail);
			continue;
		}
		cr_assert_eq(nm_jscan_arr_begin(s, &err), 0);
		while ((rc = nm_jscan_arr_next(s, &err)) == 1) {
			if (use_skip) {
				cr_assert_eq(nm_jscan_skip(s, &err), 0, "%s", err.detail);
			} else {
				json_t *v;
				char id[32];
				cr_assert_eq(nm_jscan_value(s, &v, &err), 0, "element %d: %s", count, err.detail);
				snprintf(id, sizeof id, "n%d", count);
				cr_assert_str_eq(json_string_value(json_object_get(v, "id")), id);
				json_decref(v);
			}
			count++;
			size_t fp = nm_jscan_footprint(s);
			if (fp > peak)
				peak = fp;
		}
		cr_assert_eq(rc, 0, "%s", err.detail);
	}
	cr_assert_eq(rc, 0, "%s", err.detail);
	cr_assert_eq(nm_jscan_end(s, &err), 0, "%s", err.detail);
	cr_expect_eq(count, GEN_N);
	cr_expect_eq(nm_jscan_offset(s), g.total);
	cr_expect_gt(g.total, 12 * 1000 * 1000, "document only %" PRId64 " bytes", g.total);
	/* the window, one element's capture buffer (< 512 B) and small stacks */
	cr_expect_leq(peak, bufsize + 2048, "footprint peaked at %zu bytes", peak);
	nm_jscan_free(s);
}

Test(jsonscan, generated_100k_values_bounded_memory, .timeout = 120)
{
	stream_generated(BIG, false);
}

Test(jsonscan, generated_100k_small_window, .timeout = 120)
{
	stream_generated(100, false);
}

Test(jsonscan, generated_100k_skipped, .timeout = 120)
{
	stream_generated(BIG, true);
}

Test(jsonscan, generated_100k_ndjson_lines, .timeout = 120)
{
	gen_t g = {.n = GEN_N, .i = 0, .ndjson = true, .rng = 7};
	nm_err_t err = {0};
	nm_jscan_t *s = nm_jscan_new_buf((nm_reader_t){gen_read, &g}, 64, 16, 1000);
	const char *line;
	size_t len;
	int rc, count = 0, blank = 0;
	while ((rc = nm_jscan_line(s, &line, &len, &err)) == 1) {
		if (len == 0) {
			blank++;
			continue;
		}
		char want[64];
		snprintf(want, sizeof want, "{\"id\": \"n%d\", \"c\": \"caf\\u00e9 %d\"}", count, count);
		cr_assert_str_eq(line, want, "line %" PRId64, nm_jscan_lineno(s));
		count++;
	}
	cr_assert_eq(rc, 0, "%s", err.detail);
	cr_expect_eq(count, GEN_N);
	cr_expect_eq(blank, GEN_N / 10);
	cr_expect_eq(nm_jscan_lineno(s), GEN_N + GEN_N / 10);
	cr_expect_leq(nm_jscan_footprint(s), 1000 + 2048);
	nm_jscan_free(s);
}

/* ---- differential fuzz against jansson ---- */

static const char *const FZ_STR[] = {
	"\"\"", "\"a\"", "\"caf\xc3\xa9\"", "\"\\u00e9\\n\"", "\"q\\\"q\\\\\"", "\"\\ud83e\\udde0\"", "\"\\u0000\"",
	"\"\xf0\x9f\xa7\xa0 brain\"",
};
static const char *const FZ_NUM[] = {"0", "-0", "12", "-3.25", "1e5", "2.5E-3", "123456", "0.0", "-7e+2"};
static const char *const FZ_WS[] = {"", "", "", " ", "\n", "\t", "\r\n  "};

static void fz_value(nm_buf_t *b, uint64_t *rng, int depth)
{
	int k = (int)(rnd(rng) % (depth < 5 ? 7 : 4));
	nm_buf_puts(b, FZ_WS[rnd(rng) % 7]);
	switch (k) {
	case 0:
		nm_buf_puts(b, FZ_STR[rnd(rng) % 8]);
		break;
	case 1:
		nm_buf_puts(b, FZ_NUM[rnd(rng) % 9]);
		break;
	case 2:
		nm_buf_puts(b, (const char *[]){"true", "false", "null"}[rnd(rng) % 3]);
		break;
	case 3:
		nm_buf_puts(b, FZ_STR[rnd(rng) % 8]);
		break;
	case 4: case 5: {
		int n = (int)(rnd(rng) % 5);
		nm_buf_putc(b, '[');
		for (int i = 0; i < n; i++) {
			if (i)
				nm_buf_putc(b, ',');
			fz_value(b, rng, depth + 1);
		}
		nm_buf_puts(b, FZ_WS[rnd(rng) % 7]);
		nm_buf_putc(b, ']');
		break;
	}
	default: {
		int n = (int)(rnd(rng) % 5);
		nm_buf_putc(b, '{');
		for (int i = 0; i < n; i++) {
			if (i)
				nm_buf_putc(b, ',');
			nm_buf_puts(b, FZ_WS[rnd(rng) % 7]);
			nm_buf_puts(b, FZ_STR[rnd(rng) % 6]); /* no \u0000 keys: jansson refuses them too */
			nm_buf_puts(b, FZ_WS[rnd(rng) % 7]);
			nm_buf_putc(b, ':');
			fz_value(b, rng, depth + 1);
		}
		nm_buf_puts(b, FZ_WS[rnd(rng) % 7]);
		nm_buf_putc(b, '}');
	}
	}
	nm_buf_puts(b, FZ_WS[rnd(rng) % 7]);
}

static void fz_mutate(nm_buf_t *b, uint64_t *rng)
{
	static const char alpha[] = "{}[]\",:0123456789-+.eEtfnrlsuaxb\\/ \n\t\x01";
	if (b->len == 0)
		return;
	size_t at = rnd(rng) % b->len;
	switch (rnd(rng) % 4) {
	case 0: /* replace */
		b->data[at] = alpha[rnd(rng) % (sizeof alpha - 1)];
		break;
	case 1: /* delete */
		memmove(b->data + at, b->data + at + 1, b->len - at);
		b->len--;
		break;
	case 2: /* insert */
		nm_buf_putc(b, 0);
		memmove(b->data + at + 1, b->data + at, b->len - at - 1);
		b->data[at] = alpha[rnd(rng) % (sizeof alpha - 1)];
		break;
	default: /* truncate */
		b->len = at;
		b->data[at] = '\0';
	}
}

/* Errors only jansson reports (UTF-8, surrogates, number range): the
 * scanner's skip lets them pass by design. */
static bool jansson_only(const char *text)
{
	return strstr(text, "Unicode") || strstr(text, "decode byte") || strstr(text, "overflow") ||
	       strstr(text, "too big") || strstr(text, "NUL byte in object key");
}

Test(jsonscan, differential_fuzz, .timeout = 120)
{
	uint64_t rng = 20260102;
	int valid = 0, invalid = 0;
	for (int iter = 0; iter < 3000; iter++) {
		nm_buf_t b = {0};
		fz_value(&b, &rng, 0);
		int muts = iter % 3 == 0 ? 0 : (int)(rnd(&rng) % 3) + 1;
		for (int m = 0; m < muts; m++)
			fz_mutate(&b, &rng);
		if (!b.data)
			nm_buf_reserve(&b, 0);
		json_error_t je;
		json_t *ref = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		cfg_t c = CFGS[iter % NCFG];
		int walk = (int)(rnd(&rng) % 4);
		nm_err_t err = {0};
		json_t *v = rebuild_doc(b.data, b.len, c, walk, MAXV, &err);
		cr_assert_eq(!!v, !!ref, "iter %d walk %d: jansson %s, scanner %s; input: %.*s", iter, walk,
		             ref ? "ok" : je.text, v ? "ok" : err.detail, (int)b.len, b.data);
		if (v) {
			cr_assert(json_equal(v, ref), "iter %d: trees differ; input: %s", iter, b.data);
			cr_assert_eq(err.status, 0);
		} else {
			cr_assert(err.status == NM_ST_INVALID, "iter %d: %d %s", iter, err.status, err.detail);
		}
		int rc = skip_doc(b.data, b.len, c, DEPTH, &err);
		if (ref || !jansson_only(je.text))
			cr_assert_eq(rc == 0, !!ref, "iter %d skip: jansson %s, scanner %s; input: %.*s", iter,
			             ref ? "ok" : je.text, rc ? err.detail : "ok", (int)b.len, b.data);
		ref ? valid++ : invalid++;
		json_decref(v);
		json_decref(ref);
		nm_buf_free(&b);
	}
	cr_expect_gt(valid, 1000);
	cr_expect_gt(invalid, 800);
}
