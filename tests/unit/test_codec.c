/*
 * test_codec.c — model ↔ JSON (lib/codec.h) against PROTOCOL.md §1.3–§1.7
 * and the object tables of §2: defaults, required fields, null handling,
 * types, ranges, enums (400), content limit (413), field order of the first
 * error, error prefixes, and the writers' exact output.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "isotime.h"
#include "mem.h"
#include "text.h"

#define NOW 1767323045000006LL /* 2026-01-02T03:04:05.000006 */
#define T1 1767323045000000LL  /* 2026-01-02T03:04:05 */

static const nm_decode_opts_t CREATE = {.mode = NM_DECODE_CREATE, .max_content_bytes = 1 << 20, .now = NOW};
static const nm_decode_opts_t PATCH = {.mode = NM_DECODE_PATCH, .max_content_bytes = 1 << 20, .now = NOW};

/* Parse a test body (NUL allowed inside strings as \u0000). Owned. */
static json_t *J(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_ALLOW_NUL, &je);
	cr_assert_not_null(v, "bad test JSON %s: %s", text, je.text);
	return v;
}

static void expect_err(int rc, const nm_err_t *err, int status, const char *detail_prefix)
{
	cr_expect_eq(rc, -status, "rc %d, want %d (detail \"%s\")", rc, -status, err->detail);
	cr_expect_eq(err->status, status, "status %d, want %d (detail \"%s\")", err->status, status, err->detail);
	cr_expect_eq(strncmp(err->detail, detail_prefix, strlen(detail_prefix)), 0,
	             "detail \"%s\" does not start with \"%s\"", err->detail, detail_prefix);
}

static bool is_uuid4(const char *s)
{
	if (!s || strlen(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' || s[14] != '4')
		return false;
	for (int i = 0; i < 36; i++)
		if (i != 8 && i != 13 && i != 18 && i != 23 && !strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* A JSON string literal (with quotes) of n copies of a UTF-8 piece. Owned. */
static char *repeat_json(const char *piece, int n)
{
	nm_buf_t b = {0};
	nm_buf_putc(&b, '"');
	for (int i = 0; i < n; i++)
		nm_buf_puts(&b, piece);
	nm_buf_putc(&b, '"');
	return nm_buf_steal(&b, NULL);
}

/* ---- decode helpers: run one decoder on JSON text ---- */

static int dec_neuron(const char *text, const nm_decode_opts_t *o, nm_neuron_t *n, unsigned *p, nm_err_t *e)
{
	json_t *v = J(text);
	memset(n, 0, sizeof *n);
	memset(e, 0, sizeof *e);
	int rc = nm_neuron_decode(v, o, n, p, e);
	json_decref(v);
	return rc;
}

static int dec_state(const char *text, const nm_decode_opts_t *o, nm_state_t *s, unsigned *p, nm_err_t *e)
{
	json_t *v = J(text);
	memset(s, 0, sizeof *s);
	memset(e, 0, sizeof *e);
	int rc = nm_state_decode(v, o, s, p, e);
	json_decref(v);
	return rc;
}

static int dec_synapse(const char *text, const nm_decode_opts_t *o, nm_synapse_t *s, unsigned *p, nm_err_t *e)
{
	json_t *v = J(text);
	memset(s, 0, sizeof *s);
	memset(e, 0, sizeof *e);
	int rc = nm_synapse_decode(v, o, s, p, e);
	json_decref(v);
	return rc;
}

static int dec_fiber(const char *text, const nm_decode_opts_t *o, nm_fiber_t *f, unsigned *p, nm_err_t *e)
{
	json_t *v = J(text);
	memset(f, 0, sizeof *f);
	memset(e, 0, sizeof *e);
	int rc = nm_fiber_decode(v, o, f, p, e);
	json_decref(v);
	return rc;
}

static int dec_brain(const char *text, const nm_decode_opts_t *o, const nm_config_t *base, nm_brain_rec_t *b,
                     unsigned *p, nm_err_t *e)
{
	json_t *v = J(text);
	memset(b, 0, sizeof *b);
	memset(e, 0, sizeof *e);
	int rc = nm_brain_decode(v, o, base, b, p, e);
	json_decref(v);
	return rc;
}

/* Expect a decode failure: run, check, clear. */
#define NEURON_FAILS(text, o, status, prefix)                          \
	do {                                                               \
		nm_neuron_t n_;                                                \
		unsigned p_;                                                   \
		nm_err_t e_;                                                   \
		int rc_ = dec_neuron(text, o, &n_, &p_, &e_);                  \
		expect_err(rc_, &e_, status, prefix);                          \
		nm_neuron_clear(&n_);                                          \
	} while (0)
#define STATE_FAILS(text, o, status, prefix)                           \
	do {                                                               \
		nm_state_t s_;                                                 \
		unsigned p_;                                                   \
		nm_err_t e_;                                                   \
		int rc_ = dec_state(text, o, &s_, &p_, &e_);                   \
		expect_err(rc_, &e_, status, prefix);                          \
		nm_state_clear(&s_);                                           \
	} while (0)
#define SYNAPSE_FAILS(text, o, status, prefix)                         \
	do {                                                               \
		nm_synapse_t s_;                                               \
		unsigned p_;                                                   \
		nm_err_t e_;                                                   \
		int rc_ = dec_synapse(text, o, &s_, &p_, &e_);                 \
		expect_err(rc_, &e_, status, prefix);                          \
		nm_synapse_clear(&s_);                                         \
	} while (0)
#define FIBER_FAILS(text, o, status, prefix)                           \
	do {                                                               \
		nm_fiber_t f_;                                                 \
		unsigned p_;                                                   \
		nm_err_t e_;                                                   \
		int rc_ = dec_fiber(text, o, &f_, &p_, &e_);                   \
		expect_err(rc_, &e_, status, prefix);                          \
		nm_fiber_clear(&f_);                                           \
	} while (0)
#define BRAIN_FAILS(text, o, status, prefix)                                  \
	do {                                                                      \
		nm_brain_rec_t b_;                                                    \
		unsigned p_;                                                          \
		nm_err_t e_;                                                          \
		int rc_ = dec_brain(text, o, &nm_config_default, &b_, &p_, &e_);      \
		expect_err(rc_, &e_, status, prefix);                                 \
		nm_brain_rec_clear(&b_);                                              \
	} while (0)

/* ================================ ids ================================ */

Test(codec_id, valid_ids)
{
	char big[300];
	memset(big, 'x', sizeof big);
	cr_expect(nm_id_valid("a", 1));
	cr_expect(nm_id_valid("default", 7));
	cr_expect(nm_id_valid(big, 255));
	cr_expect_not(nm_id_valid(big, 256));
	cr_expect_not(nm_id_valid("", 0));
	cr_expect_not(nm_id_valid("a\0b", 3));
	cr_expect_not(nm_id_valid("\0", 1));
	cr_expect(nm_id_valid("\xc4\x91", 2));
	cr_expect_eq(NM_ID_MAX, 255);
}

/* =============================== neuron =============================== */

Test(codec_neuron, create_defaults)
{
	nm_neuron_t n;
	unsigned p;
	nm_err_t e;
	int rc = dec_neuron("{\"type\":\"entity\",\"content\":\"Alice\"}", &CREATE, &n, &p, &e);
	cr_assert_eq(rc, 0, "%s", e.detail);
	cr_expect(is_uuid4(n.id), "default id \"%s\" is not a UUID v4", n.id ? n.id : "(null)");
	cr_expect_eq(n.type, NM_NEURON_ENTITY);
	cr_expect_eq(n.content_len, 5);
	cr_expect_str_eq(n.content, "Alice");
	cr_expect_str_eq(n.metadata, "{}");
	cr_expect_eq(n.created_at, NOW);
	cr_expect_eq(p, NM_F_TYPE | NM_F_CONTENT);
	nm_neuron_clear(&n);
}

Test(codec_neuron, create_defaults_differ_per_call)
{
	nm_neuron_t a, b;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_neuron("{\"type\":\"time\",\"content\":\"\"}", &CREATE, &a, &p, &e), 0);
	cr_assert_eq(dec_neuron("{\"type\":\"time\",\"content\":\"\"}", &CREATE, &b, &p, &e), 0);
	cr_expect_str_neq(a.id, b.id, "two creates got the same default id");
	cr_expect_eq(a.content_len, 0, "empty content is allowed");
	nm_neuron_clear(&a);
	nm_neuron_clear(&b);
}

Test(codec_neuron, create_all_fields)
{
	nm_neuron_t n;
	unsigned p;
	nm_err_t e;
	int rc = dec_neuron("{\"id\":\"n-1\",\"type\":\"concept\",\"content\":\"x\",\"metadata\":{\"b\":1,\"a\":[true,null]},"
	                    "\"created_at\":\"2026-01-02T03:04:05\",\"unknown\":[1,2]}",
	                    &CREATE, &n, &p, &e);
	cr_assert_eq(rc, 0, "%s", e.detail);
	cr_expect_str_eq(n.id, "n-1");
	cr_expect_eq(n.type, NM_NEURON_CONCEPT);
	cr_expect_str_eq(n.metadata, "{\"b\":1,\"a\":[true,null]}", "metadata keeps key order, compact");
	cr_expect_eq(n.created_at, T1);
	cr_expect_eq(p, NM_F_ID | NM_F_TYPE | NM_F_CONTENT | NM_F_METADATA | NM_F_CREATED_AT);
	nm_neuron_clear(&n);
}

Test(codec_neuron, every_type_value)
{
	for (int t = 0; t < NM_NEURON__COUNT; t++) {
		char body[100];
		snprintf(body, sizeof body, "{\"type\":\"%s\",\"content\":\"c\"}", nm_neuron_type_name((nm_neuron_type_t)t));
		nm_neuron_t n;
		unsigned p;
		nm_err_t e;
		cr_expect_eq(dec_neuron(body, &CREATE, &n, &p, &e), 0, "%s", body);
		cr_expect_eq(n.type, t);
		nm_neuron_clear(&n);
	}
}

Test(codec_neuron, null_optional_means_absent)
{
	nm_neuron_t n;
	unsigned p;
	nm_err_t e;
	int rc = dec_neuron("{\"id\":null,\"type\":\"time\",\"content\":\"c\",\"metadata\":null,\"created_at\":null}",
	                    &CREATE, &n, &p, &e);
	cr_assert_eq(rc, 0, "%s", e.detail);
	cr_expect(is_uuid4(n.id));
	cr_expect_str_eq(n.metadata, "{}");
	cr_expect_eq(n.created_at, NOW);
	cr_expect_eq(p, NM_F_TYPE | NM_F_CONTENT, "null fields are not 'present'");
	nm_neuron_clear(&n);
}

Test(codec_neuron, required_fields)
{
	NEURON_FAILS("{\"content\":\"c\"}", &CREATE, 422, "type: field required");
	NEURON_FAILS("{\"type\":\"time\"}", &CREATE, 422, "content: field required");
	NEURON_FAILS("{}", &CREATE, 422, "type: field required");
	NEURON_FAILS("{\"type\":null,\"content\":\"c\"}", &CREATE, 422, "type:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":null}", &CREATE, 422, "content:");
}

Test(codec_neuron, wrong_types)
{
	NEURON_FAILS("{\"type\":5,\"content\":\"c\"}", &CREATE, 422, "type:");
	NEURON_FAILS("{\"type\":[\"time\"],\"content\":\"c\"}", &CREATE, 422, "type:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":5}", &CREATE, 422, "content:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":{}}", &CREATE, 422, "content:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"c\",\"metadata\":[]}", &CREATE, 422, "metadata:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"c\",\"metadata\":\"{}\"}", &CREATE, 422, "metadata:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"c\",\"metadata\":1}", &CREATE, 422, "metadata:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"c\",\"created_at\":1767323045}", &CREATE, 422, "created_at:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"c\",\"created_at\":\"yesterday\"}", &CREATE, 422, "created_at:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"c\",\"created_at\":\"2023-02-29\"}", &CREATE, 422, "created_at:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"c\",\"created_at\":true}", &CREATE, 422, "created_at:");
}

Test(codec_neuron, bad_ids)
{
	NEURON_FAILS("{\"id\":5,\"type\":\"time\",\"content\":\"c\"}", &CREATE, 422, "id:");
	NEURON_FAILS("{\"id\":\"\",\"type\":\"time\",\"content\":\"c\"}", &CREATE, 422, "id:");
	NEURON_FAILS("{\"id\":\"a\\u0000b\",\"type\":\"time\",\"content\":\"c\"}", &CREATE, 422, "id:");
	NEURON_FAILS("{\"id\":true,\"type\":\"time\",\"content\":\"c\"}", &CREATE, 422, "id:");

	/* 255 bytes ok, 256 not: bytes, not code points (85 × 3-byte char = 255 bytes) */
	char *id255 = repeat_json("\xe1\xba\xb5", 85);
	char *id258 = repeat_json("\xe1\xba\xb5", 86);
	char body[1024];
	nm_neuron_t n;
	unsigned p;
	nm_err_t e;
	snprintf(body, sizeof body, "{\"id\":%s,\"type\":\"time\",\"content\":\"c\"}", id255);
	cr_expect_eq(dec_neuron(body, &CREATE, &n, &p, &e), 0, "255-byte id: %s", e.detail);
	cr_expect_eq(strlen(n.id ? n.id : ""), 255);
	nm_neuron_clear(&n);
	snprintf(body, sizeof body, "{\"id\":%s,\"type\":\"time\",\"content\":\"c\"}", id258);
	NEURON_FAILS(body, &CREATE, 422, "id:");
	char id256[300];
	memset(id256, 'a', 256);
	id256[256] = '\0';
	snprintf(body, sizeof body, "{\"id\":\"%s\",\"type\":\"time\",\"content\":\"c\"}", id256);
	NEURON_FAILS(body, &CREATE, 422, "id:");
	free(id255);
	free(id258);
}

Test(codec_neuron, unknown_type_400_lists_values)
{
	nm_neuron_t n;
	unsigned p;
	nm_err_t e;
	int rc = dec_neuron("{\"type\":\"foo\",\"content\":\"c\"}", &CREATE, &n, &p, &e);
	cr_expect_eq(rc, -400);
	cr_expect_eq(e.status, 400);
	cr_expect_str_eq(e.detail,
	                 "type: unknown value 'foo'; allowed: time, spatial, entity, action, state, concept, sensory, intent");
	nm_neuron_clear(&n);
	/* matching is case-sensitive */
	NEURON_FAILS("{\"type\":\"Time\",\"content\":\"c\"}", &CREATE, 400, "type: unknown value 'Time'");
	NEURON_FAILS("{\"type\":\"\",\"content\":\"c\"}", &CREATE, 400, "type: unknown value ''");
}

Test(codec_neuron, unknown_enum_detail_is_valid_utf8)
{
	/* the detail goes out as a JSON string: echoing a long multi-byte value
	 * must never cut a UTF-8 sequence in half */
	for (int len = 20; len <= 140; len += 1) {
		char *val = repeat_json("\xc4\x90", len); /* "ĐĐĐ…" */
		char body[600];
		snprintf(body, sizeof body, "{\"type\":%s,\"content\":\"c\"}", val);
		nm_neuron_t n;
		unsigned p;
		nm_err_t e;
		int rc = dec_neuron(body, &CREATE, &n, &p, &e);
		nm_neuron_clear(&n);
		free(val);
		cr_expect_eq(rc, -400);
		if (!nm_utf8_valid(e.detail, strlen(e.detail), NULL)) {
			cr_expect_fail("value of %d x U+0110: detail is not valid UTF-8: %s", len, e.detail);
			break;
		}
	}
}

Test(codec_neuron, content_limit_413_in_bytes)
{
	nm_decode_opts_t o = CREATE;
	o.max_content_bytes = 10;
	nm_neuron_t n;
	unsigned p;
	nm_err_t e;
	cr_expect_eq(dec_neuron("{\"type\":\"time\",\"content\":\"0123456789\"}", &o, &n, &p, &e), 0,
	             "exactly the limit is fine: %s", e.detail);
	nm_neuron_clear(&n);
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"0123456789a\"}", &o, 413, "content:");
	/* "ĐÀ NẴNG" is 7 code points but 11 bytes */
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"\xc4\x90\xc3\x80 N\xe1\xba\xb4NG\"}", &o, 413, "content:");
	/* 413 beats a later field's 422 (metadata after content in table order) */
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"0123456789a\",\"metadata\":5}", &o, 413, "content:");
}

Test(codec_neuron, content_with_nul_kept)
{
	nm_neuron_t n;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_neuron("{\"type\":\"time\",\"content\":\"a\\u0000b\"}", &CREATE, &n, &p, &e), 0, "%s", e.detail);
	cr_expect_eq(n.content_len, 3);
	cr_expect_eq(memcmp(n.content, "a\0b", 3), 0);
	nm_neuron_clear(&n);
}

Test(codec_neuron, first_error_in_table_order)
{
	/* bad id AND bad type: id comes first */
	NEURON_FAILS("{\"id\":\"\",\"type\":\"foo\",\"content\":\"c\"}", &CREATE, 422, "id:");
	NEURON_FAILS("{\"type\":\"foo\",\"id\":7}", &CREATE, 422, "id:");
	/* unknown type (400) before bad content (422) */
	NEURON_FAILS("{\"type\":\"foo\",\"content\":5}", &CREATE, 400, "type:");
	/* missing type before bad content */
	NEURON_FAILS("{\"content\":5}", &CREATE, 422, "type:");
	/* content before metadata before created_at */
	NEURON_FAILS("{\"type\":\"time\",\"content\":1,\"metadata\":1,\"created_at\":1}", &CREATE, 422, "content:");
	NEURON_FAILS("{\"type\":\"time\",\"content\":\"c\",\"metadata\":1,\"created_at\":1}", &CREATE, 422, "metadata:");
}

Test(codec_neuron, error_prefix)
{
	nm_decode_opts_t o = CREATE;
	o.prefix = "neurons[2].";
	NEURON_FAILS("{\"type\":\"foo\",\"content\":\"c\"}", &o, 400, "neurons[2].type: unknown value 'foo'; allowed: ");
	NEURON_FAILS("{\"type\":\"time\"}", &o, 422, "neurons[2].content: field required");
}

Test(codec_neuron, patch_mode)
{
	nm_neuron_t n;
	unsigned p = 99;
	nm_err_t e;
	cr_assert_eq(dec_neuron("{}", &PATCH, &n, &p, &e), 0, "%s", e.detail);
	cr_expect_eq(p, 0);
	cr_expect_null(n.id, "no default id in PATCH mode");
	cr_expect_null(n.content);
	cr_expect_null(n.metadata, "no default metadata in PATCH mode");
	cr_expect_eq(n.created_at, 0);
	nm_neuron_clear(&n);

	cr_assert_eq(dec_neuron("{\"content\":\"new\",\"metadata\":{\"x\":1}}", &PATCH, &n, &p, &e), 0, "%s", e.detail);
	cr_expect_eq(p, NM_F_CONTENT | NM_F_METADATA);
	cr_expect_str_eq(n.content, "new");
	cr_expect_str_eq(n.metadata, "{\"x\":1}");
	nm_neuron_clear(&n);

	cr_assert_eq(dec_neuron("{\"type\":\"state\",\"type2\":1}", &PATCH, &n, &p, &e), 0);
	cr_expect_eq(p, NM_F_TYPE);
	cr_expect_eq(n.type, NM_NEURON_STATE);
	nm_neuron_clear(&n);

	/* null for type/content in PATCH = absent */
	cr_assert_eq(dec_neuron("{\"type\":null,\"content\":null,\"metadata\":null}", &PATCH, &n, &p, &e), 0, "%s",
	             e.detail);
	cr_expect_eq(p, 0);
	nm_neuron_clear(&n);

	/* validation still applies */
	NEURON_FAILS("{\"type\":\"nope\"}", &PATCH, 400, "type:");
	NEURON_FAILS("{\"content\":7}", &PATCH, 422, "content:");
	NEURON_FAILS("{\"metadata\":[]}", &PATCH, 422, "metadata:");
}

/* ================================ state ================================ */

Test(codec_state, create_defaults)
{
	/* PROTOCOL.md §2.2 defaults; codec.h: CREATE mode fills absent fields */
	nm_state_t s;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_state("{}", &CREATE, &s, &p, &e), 0, "%s", e.detail);
	cr_expect_eq(p, 0);
	cr_expect_float_eq(s.activation_level, 0.0, 0);
	cr_expect_eq(s.access_frequency, 0);
	cr_expect_eq(s.last_activated, NM_TIME_NONE, "last_activated defaults to null, got %lld",
	             (long long)s.last_activated);
	cr_expect_float_eq(s.decay_rate, NM_STATE_DEFAULT_DECAY, 0, "decay_rate defaults to 0.1, got %g", s.decay_rate);
	cr_expect_eq(s.created_at, NOW);
	nm_state_clear(&s);
}

Test(codec_state, all_fields)
{
	nm_state_t s;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_state("{\"neuron_id\":\"n-1\",\"activation_level\":0.7,\"access_frequency\":3.0,"
	                       "\"last_activated\":\"2026-01-02T03:04:05\",\"decay_rate\":2,"
	                       "\"created_at\":\"2026-01-02T03:04:05.000006\"}",
	                       &PATCH, &s, &p, &e),
	             0, "%s", e.detail);
	cr_expect_str_eq(s.neuron_id, "n-1");
	cr_expect_float_eq(s.activation_level, 0.7, 0);
	cr_expect_eq(s.access_frequency, 3);
	cr_expect_eq(s.last_activated, T1);
	cr_expect_float_eq(s.decay_rate, 2.0, 0, "decay_rate has no upper bound, integers accepted");
	cr_expect_eq(s.created_at, NOW);
	cr_expect_eq(p, NM_FS_NEURON_ID | NM_FS_ACTIVATION | NM_FS_ACCESS | NM_FS_LAST_ACTIVATED | NM_FS_DECAY |
	                    NM_FS_CREATED_AT);
	nm_state_clear(&s);
}

Test(codec_state, null_last_activated_clears)
{
	nm_state_t s;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_state("{\"last_activated\":null}", &PATCH, &s, &p, &e), 0, "%s", e.detail);
	cr_expect_eq(p, NM_FS_LAST_ACTIVATED, "an explicit null is given (it clears the stored value)");
	cr_expect_eq(s.last_activated, NM_TIME_NONE);
	nm_state_clear(&s);
	/* null for the non-nullable ones means absent */
	cr_assert_eq(dec_state("{\"activation_level\":null,\"access_frequency\":null,\"decay_rate\":null,"
	                       "\"created_at\":null,\"neuron_id\":null}",
	                       &PATCH, &s, &p, &e),
	             0, "%s", e.detail);
	cr_expect_eq(p, 0);
	nm_state_clear(&s);
}

Test(codec_state, ranges_and_types)
{
	STATE_FAILS("{\"activation_level\":-0.1}", &PATCH, 422, "activation_level:");
	STATE_FAILS("{\"activation_level\":1.01}", &PATCH, 422, "activation_level:");
	STATE_FAILS("{\"activation_level\":\"0.5\"}", &PATCH, 422, "activation_level:");
	STATE_FAILS("{\"activation_level\":true}", &PATCH, 422, "activation_level:");
	STATE_FAILS("{\"access_frequency\":-1}", &PATCH, 422, "access_frequency:");
	STATE_FAILS("{\"access_frequency\":3.5}", &PATCH, 422, "access_frequency:");
	STATE_FAILS("{\"access_frequency\":\"3\"}", &PATCH, 422, "access_frequency:");
	STATE_FAILS("{\"access_frequency\":1e300}", &PATCH, 422, "access_frequency:");
	STATE_FAILS("{\"decay_rate\":-0.01}", &PATCH, 422, "decay_rate:");
	STATE_FAILS("{\"last_activated\":0}", &PATCH, 422, "last_activated:");
	STATE_FAILS("{\"neuron_id\":\"\"}", &PATCH, 422, "neuron_id:");
	STATE_FAILS("{\"created_at\":\"2026-13-01\"}", &PATCH, 422, "created_at:");

	nm_state_t s;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_state("{\"activation_level\":1,\"access_frequency\":0}", &PATCH, &s, &p, &e), 0);
	cr_expect_float_eq(s.activation_level, 1.0, 0, "bounds are inclusive; integers accepted");
	nm_state_clear(&s);
	cr_assert_eq(dec_state("{\"activation_level\":0}", &PATCH, &s, &p, &e), 0);
	nm_state_clear(&s);
}

Test(codec_state, first_error_and_prefix)
{
	STATE_FAILS("{\"decay_rate\":-1,\"activation_level\":2}", &PATCH, 422, "activation_level:");
	STATE_FAILS("{\"neuron_id\":1,\"activation_level\":2}", &PATCH, 422, "neuron_id:");
	nm_decode_opts_t o = PATCH;
	o.prefix = "state.";
	STATE_FAILS("{\"access_frequency\":3.5}", &o, 422, "state.access_frequency:");
}

/* =============================== synapse =============================== */

Test(codec_synapse, create_defaults)
{
	nm_synapse_t s;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_synapse("{\"source_id\":\"a\",\"target_id\":\"b\",\"type\":\"leads_to\"}", &CREATE, &s, &p, &e), 0,
	             "%s", e.detail);
	cr_expect(is_uuid4(s.id));
	cr_expect_str_eq(s.source_id, "a");
	cr_expect_str_eq(s.target_id, "b");
	cr_expect_eq(s.type, NM_SYN_LEADS_TO);
	cr_expect_float_eq(s.weight, 0.5, 0);
	cr_expect_eq(s.direction, NM_DIR_UNI);
	cr_expect_str_eq(s.metadata, "{}");
	cr_expect_eq(s.reinforced_count, 0);
	cr_expect_eq(s.last_activated, NM_TIME_NONE);
	cr_expect_eq(s.created_at, NOW);
	cr_expect_eq(p, NM_FY_SOURCE | NM_FY_TARGET | NM_FY_TYPE);
	nm_synapse_clear(&s);
}

Test(codec_synapse, default_direction_by_type)
{
	for (int t = 0; t < NM_SYN__COUNT; t++) {
		const char *name = nm_synapse_type_name((nm_synapse_type_t)t);
		bool bi = !strcmp(name, "co_occurs") || !strcmp(name, "related_to") || !strcmp(name, "similar_to") ||
		          !strcmp(name, "near");
		char body[128];
		snprintf(body, sizeof body, "{\"source_id\":\"a\",\"target_id\":\"b\",\"type\":\"%s\"}", name);
		nm_synapse_t s;
		unsigned p;
		nm_err_t e;
		cr_assert_eq(dec_synapse(body, &CREATE, &s, &p, &e), 0, "%s: %s", name, e.detail);
		cr_expect_eq(s.type, t);
		cr_expect_eq(s.direction, bi ? NM_DIR_BI : NM_DIR_UNI, "default direction of %s", name);
		nm_synapse_clear(&s);
	}
}

Test(codec_synapse, explicit_values)
{
	nm_synapse_t s;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_synapse("{\"id\":\"s-1\",\"source_id\":\"a\",\"target_id\":\"a\",\"type\":\"co_occurs\",\"weight\":1,"
	                         "\"direction\":\"uni\",\"metadata\":{\"k\":\"v\"},\"reinforced_count\":4.0,"
	                         "\"last_activated\":\"2026-01-02 03:04:05Z\",\"created_at\":\"2026-01-02T03:04:05\"}",
	                         &CREATE, &s, &p, &e),
	             0, "%s", e.detail);
	cr_expect_str_eq(s.id, "s-1");
	cr_expect_str_eq(s.target_id, "a", "self-loops are allowed");
	cr_expect_float_eq(s.weight, 1.0, 0);
	cr_expect_eq(s.direction, NM_DIR_UNI, "explicit direction wins over the type default");
	cr_expect_str_eq(s.metadata, "{\"k\":\"v\"}");
	cr_expect_eq(s.reinforced_count, 4);
	cr_expect_eq(s.last_activated, T1);
	cr_expect_eq(s.created_at, T1);
	cr_expect_eq(p, NM_FY_ID | NM_FY_SOURCE | NM_FY_TARGET | NM_FY_TYPE | NM_FY_WEIGHT | NM_FY_DIRECTION |
	                    NM_FY_METADATA | NM_FY_REINFORCED | NM_FY_LAST_ACTIVATED | NM_FY_CREATED_AT);
	nm_synapse_clear(&s);

	cr_assert_eq(dec_synapse("{\"source_id\":\"a\",\"target_id\":\"b\",\"type\":\"before\",\"weight\":0}", &CREATE, &s,
	                         &p, &e),
	             0);
	cr_expect_float_eq(s.weight, 0.0, 0, "weight 0 is in range and not replaced by the default");
	nm_synapse_clear(&s);
}

Test(codec_synapse, nulls)
{
	nm_synapse_t s;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_synapse("{\"id\":null,\"source_id\":\"a\",\"target_id\":\"b\",\"type\":\"near\",\"weight\":null,"
	                         "\"direction\":null,\"metadata\":null,\"reinforced_count\":null,\"last_activated\":null,"
	                         "\"created_at\":null}",
	                         &CREATE, &s, &p, &e),
	             0, "%s", e.detail);
	cr_expect(is_uuid4(s.id));
	cr_expect_float_eq(s.weight, 0.5, 0);
	cr_expect_eq(s.direction, NM_DIR_BI);
	cr_expect_str_eq(s.metadata, "{}");
	cr_expect_eq(s.last_activated, NM_TIME_NONE);
	cr_expect_eq(s.created_at, NOW);
	cr_expect_eq(p, NM_FY_SOURCE | NM_FY_TARGET | NM_FY_TYPE | NM_FY_LAST_ACTIVATED);
	nm_synapse_clear(&s);
	SYNAPSE_FAILS("{\"source_id\":null,\"target_id\":\"b\",\"type\":\"near\"}", &CREATE, 422, "source_id:");
	SYNAPSE_FAILS("{\"source_id\":\"a\",\"target_id\":null,\"type\":\"near\"}", &CREATE, 422, "target_id:");
	SYNAPSE_FAILS("{\"source_id\":\"a\",\"target_id\":\"b\",\"type\":null}", &CREATE, 422, "type:");
}

Test(codec_synapse, required)
{
	SYNAPSE_FAILS("{\"target_id\":\"b\",\"type\":\"near\"}", &CREATE, 422, "source_id: field required");
	SYNAPSE_FAILS("{\"source_id\":\"a\",\"type\":\"near\"}", &CREATE, 422, "target_id: field required");
	SYNAPSE_FAILS("{\"source_id\":\"a\",\"target_id\":\"b\"}", &CREATE, 422, "type: field required");
}

#define SYN(extra) "{\"source_id\":\"a\",\"target_id\":\"b\",\"type\":\"near\"" extra "}"

Test(codec_synapse, ranges_and_types)
{
	SYNAPSE_FAILS(SYN(",\"weight\":1.01"), &CREATE, 422, "weight:");
	SYNAPSE_FAILS(SYN(",\"weight\":-0.01"), &CREATE, 422, "weight:");
	SYNAPSE_FAILS(SYN(",\"weight\":\"0.5\""), &CREATE, 422, "weight:");
	SYNAPSE_FAILS(SYN(",\"weight\":false"), &CREATE, 422, "weight:");
	SYNAPSE_FAILS(SYN(",\"reinforced_count\":-1"), &CREATE, 422, "reinforced_count:");
	SYNAPSE_FAILS(SYN(",\"reinforced_count\":1.5"), &CREATE, 422, "reinforced_count:");
	SYNAPSE_FAILS(SYN(",\"metadata\":[1]"), &CREATE, 422, "metadata:");
	SYNAPSE_FAILS(SYN(",\"last_activated\":\"2026-01-02T25:00\""), &CREATE, 422, "last_activated:");
	SYNAPSE_FAILS(SYN(",\"created_at\":12"), &CREATE, 422, "created_at:");
	SYNAPSE_FAILS("{\"source_id\":\"\",\"target_id\":\"b\",\"type\":\"near\"}", &CREATE, 422, "source_id:");
	SYNAPSE_FAILS("{\"source_id\":\"a\",\"target_id\":7,\"type\":\"near\"}", &CREATE, 422, "target_id:");
	SYNAPSE_FAILS("{\"source_id\":\"a\",\"target_id\":\"b\\u0000\",\"type\":\"near\"}", &CREATE, 422, "target_id:");
	SYNAPSE_FAILS(SYN(",\"direction\":1"), &CREATE, 422, "direction:");
}

Test(codec_synapse, unknown_enums_400)
{
	nm_synapse_t s;
	unsigned p;
	nm_err_t e;
	int rc = dec_synapse("{\"source_id\":\"a\",\"target_id\":\"b\",\"type\":\"likes\"}", &CREATE, &s, &p, &e);
	cr_expect_eq(rc, -400);
	cr_expect_str_eq(e.detail, "type: unknown value 'likes'; allowed: happened_at, before, after, during, "
	                           "at_location, contains, near, caused_by, leads_to, enables, prevents, co_occurs, "
	                           "related_to, similar_to, is_a, has_property, involves, felt, evokes");
	nm_synapse_clear(&s);
	rc = dec_synapse(SYN(",\"direction\":\"both\""), &CREATE, &s, &p, &e);
	cr_expect_eq(rc, -400);
	cr_expect_str_eq(e.detail, "direction: unknown value 'both'; allowed: uni, bi");
	nm_synapse_clear(&s);
}

Test(codec_synapse, unknown_enum_lists_all_values_with_prefix_and_long_value)
{
	/* §1.3: the 400 detail lists every allowed value, also inside an import
	 * (prefix) and when the rejected value is long (it may be shortened) */
	nm_decode_opts_t o = CREATE;
	o.prefix = "synapses[12].";
	nm_synapse_t s;
	unsigned p;
	nm_err_t e;
	int rc = dec_synapse("{\"source_id\":\"a\",\"target_id\":\"b\","
	                     "\"type\":\"a_rather_long_unknown_synapse_type_name_here\"}",
	                     &o, &s, &p, &e);
	cr_expect_eq(rc, -400);
	cr_expect_eq(strncmp(e.detail, "synapses[12].type: unknown value '", 34), 0, "%s", e.detail);
	const char *tail = "has_property, involves, felt, evokes";
	size_t dl = strlen(e.detail), tl = strlen(tail);
	cr_expect(dl >= tl && strcmp(e.detail + dl - tl, tail) == 0, "allowed list cut short: \"%s\"", e.detail);
	nm_synapse_clear(&s);
}

Test(codec_synapse, first_error_in_table_order)
{
	/* bad id AND bad type → id */
	SYNAPSE_FAILS("{\"id\":\"\",\"source_id\":\"a\",\"target_id\":\"b\",\"type\":\"likes\"}", &CREATE, 422, "id:");
	/* missing source before unknown type */
	SYNAPSE_FAILS("{\"target_id\":\"b\",\"type\":\"likes\"}", &CREATE, 422, "source_id:");
	/* unknown type (400) before bad weight (422) */
	SYNAPSE_FAILS("{\"source_id\":\"a\",\"target_id\":\"b\",\"type\":\"likes\",\"weight\":9}", &CREATE, 400, "type:");
	/* weight before direction */
	SYNAPSE_FAILS(SYN(",\"direction\":\"sideways\",\"weight\":9"), &CREATE, 422, "weight:");
	/* direction before metadata */
	SYNAPSE_FAILS(SYN(",\"metadata\":1,\"direction\":\"sideways\""), &CREATE, 400, "direction:");
}

Test(codec_synapse, error_prefix)
{
	nm_decode_opts_t o = CREATE;
	o.prefix = "synapses[3].";
	SYNAPSE_FAILS(SYN(",\"weight\":1.01"), &o, 422, "synapses[3].weight:");
	SYNAPSE_FAILS("{\"source_id\":\"a\",\"target_id\":\"b\",\"type\":\"x\"}", &o, 400, "synapses[3].type: unknown value 'x'");
}

Test(codec_synapse, patch_mode)
{
	nm_synapse_t s;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_synapse("{\"weight\":0.9,\"metadata\":{\"k\":1}}", &PATCH, &s, &p, &e), 0, "%s", e.detail);
	cr_expect_eq(p, NM_FY_WEIGHT | NM_FY_METADATA, "nothing is required in PATCH mode");
	cr_expect_float_eq(s.weight, 0.9, 0);
	cr_expect_null(s.id);
	cr_expect_null(s.source_id);
	nm_synapse_clear(&s);
	cr_assert_eq(dec_synapse("{}", &PATCH, &s, &p, &e), 0);
	cr_expect_eq(p, 0);
	cr_expect_null(s.metadata);
	nm_synapse_clear(&s);
	SYNAPSE_FAILS("{\"weight\":2}", &PATCH, 422, "weight:");
	SYNAPSE_FAILS("{\"type\":\"nope\"}", &PATCH, 400, "type:");
}

/* ================================ fiber ================================ */

#define FIB(extra) "{\"neuron_ids\":[\"a\",\"b\"],\"anchor_neuron_id\":\"a\"" extra "}"

Test(codec_fiber, create_defaults)
{
	nm_fiber_t f;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_fiber(FIB(""), &CREATE, &f, &p, &e), 0, "%s", e.detail);
	cr_expect(is_uuid4(f.id));
	cr_assert_eq(f.neuron_ids.n, 2);
	cr_expect_str_eq(f.neuron_ids.v[0], "a");
	cr_expect_str_eq(f.neuron_ids.v[1], "b");
	cr_expect_eq(f.synapse_ids.n, 0);
	cr_expect_str_eq(f.anchor_neuron_id, "a");
	cr_expect_eq(f.time_start, NM_TIME_NONE);
	cr_expect_eq(f.time_end, NM_TIME_NONE);
	cr_expect_float_eq(f.coherence, 0, 0);
	cr_expect_float_eq(f.salience, 0, 0);
	cr_expect_eq(f.frequency, 0);
	cr_expect_null(f.summary);
	cr_expect_eq(f.tags.n, 0);
	cr_expect_str_eq(f.metadata, "{}");
	cr_expect_eq(f.created_at, NOW);
	cr_expect_eq(p, NM_FF_NEURONS | NM_FF_ANCHOR);
	nm_fiber_clear(&f);
}

Test(codec_fiber, all_fields_and_sets_dedup_first_seen)
{
	nm_fiber_t f;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_fiber("{\"id\":\"f-1\",\"neuron_ids\":[\"n3\",\"n1\",\"n3\",\"n2\",\"n1\"],"
	                       "\"synapse_ids\":[\"s2\",\"s1\",\"s2\"],\"anchor_neuron_id\":\"n1\","
	                       "\"time_start\":\"2026-01-02T03:04:05\",\"time_end\":\"2026-01-02T03:04:05.000006\","
	                       "\"coherence\":0.25,\"salience\":1,\"frequency\":7.0,\"summary\":\"S\",\"tags\":[\"y\",\"x\",\"y\",\"\"],"
	                       "\"metadata\":{\"m\":[]},\"created_at\":\"2026-01-02\"}",
	                       &CREATE, &f, &p, &e),
	             0, "%s", e.detail);
	cr_expect_str_eq(f.id, "f-1");
	cr_assert_eq(f.neuron_ids.n, 3);
	cr_expect_str_eq(f.neuron_ids.v[0], "n3");
	cr_expect_str_eq(f.neuron_ids.v[1], "n1");
	cr_expect_str_eq(f.neuron_ids.v[2], "n2");
	cr_assert_eq(f.synapse_ids.n, 2);
	cr_expect_str_eq(f.synapse_ids.v[0], "s2");
	cr_expect_str_eq(f.synapse_ids.v[1], "s1");
	cr_expect_eq(f.time_start, T1);
	cr_expect_eq(f.time_end, NOW);
	cr_expect_float_eq(f.coherence, 0.25, 0);
	cr_expect_float_eq(f.salience, 1.0, 0);
	cr_expect_eq(f.frequency, 7);
	cr_expect_str_eq(f.summary, "S");
	cr_assert_eq(f.tags.n, 3);
	cr_expect_str_eq(f.tags.v[0], "y");
	cr_expect_str_eq(f.tags.v[1], "x");
	cr_expect_str_eq(f.tags.v[2], "");
	cr_expect_str_eq(f.metadata, "{\"m\":[]}");
	cr_expect_eq(f.created_at, 1767312000000000LL);
	cr_expect_eq(p, 0x1fff, "all 13 fields present, got %#x", p);
	nm_fiber_clear(&f);
}

Test(codec_fiber, anchor_must_be_member)
{
	FIBER_FAILS("{\"neuron_ids\":[\"a\",\"b\"],\"anchor_neuron_id\":\"c\"}", &CREATE, 422, "anchor_neuron_id:");
	FIBER_FAILS("{\"neuron_ids\":[],\"anchor_neuron_id\":\"a\"}", &CREATE, 422, "anchor_neuron_id:");
	FIBER_FAILS("{\"neuron_ids\":[\"n-10\"],\"anchor_neuron_id\":\"n-1\"}", &CREATE, 422, "anchor_neuron_id:");
}

Test(codec_fiber, required_and_nulls)
{
	FIBER_FAILS("{\"anchor_neuron_id\":\"a\"}", &CREATE, 422, "neuron_ids: field required");
	FIBER_FAILS("{\"neuron_ids\":[\"a\"]}", &CREATE, 422, "anchor_neuron_id: field required");
	FIBER_FAILS("{\"neuron_ids\":null,\"anchor_neuron_id\":\"a\"}", &CREATE, 422, "neuron_ids:");
	FIBER_FAILS("{\"neuron_ids\":[\"a\"],\"anchor_neuron_id\":null}", &CREATE, 422, "anchor_neuron_id:");

	nm_fiber_t f;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_fiber(FIB(",\"id\":null,\"synapse_ids\":null,\"time_start\":null,\"time_end\":null,"
	                           "\"coherence\":null,\"salience\":null,\"frequency\":null,\"summary\":null,"
	                           "\"tags\":null,\"metadata\":null,\"created_at\":null"),
	                       &CREATE, &f, &p, &e),
	             0, "%s", e.detail);
	cr_expect(is_uuid4(f.id));
	cr_expect_eq(f.time_start, NM_TIME_NONE);
	cr_expect_eq(f.time_end, NM_TIME_NONE);
	cr_expect_null(f.summary);
	cr_expect_str_eq(f.metadata, "{}");
	cr_expect_eq(f.created_at, NOW);
	/* nullable fields given as null count as present (they clear on update) */
	cr_expect_eq(p, NM_FF_NEURONS | NM_FF_ANCHOR | NM_FF_TIME_START | NM_FF_TIME_END | NM_FF_SUMMARY);
	nm_fiber_clear(&f);
}

Test(codec_fiber, types_and_ranges)
{
	FIBER_FAILS("{\"neuron_ids\":\"a\",\"anchor_neuron_id\":\"a\"}", &CREATE, 422, "neuron_ids:");
	FIBER_FAILS("{\"neuron_ids\":[1],\"anchor_neuron_id\":\"a\"}", &CREATE, 422, "neuron_ids:");
	FIBER_FAILS("{\"neuron_ids\":[\"a\",\"\"],\"anchor_neuron_id\":\"a\"}", &CREATE, 422, "neuron_ids:");
	FIBER_FAILS("{\"neuron_ids\":[\"a\",\"b\\u0000\"],\"anchor_neuron_id\":\"a\"}", &CREATE, 422, "neuron_ids:");
	FIBER_FAILS(FIB(",\"synapse_ids\":{}"), &CREATE, 422, "synapse_ids:");
	FIBER_FAILS(FIB(",\"synapse_ids\":[null]"), &CREATE, 422, "synapse_ids:");
	FIBER_FAILS(FIB(",\"time_start\":5"), &CREATE, 422, "time_start:");
	FIBER_FAILS(FIB(",\"time_end\":\"soon\""), &CREATE, 422, "time_end:");
	FIBER_FAILS(FIB(",\"coherence\":1.5"), &CREATE, 422, "coherence:");
	FIBER_FAILS(FIB(",\"coherence\":-0.5"), &CREATE, 422, "coherence:");
	FIBER_FAILS(FIB(",\"salience\":-0.1"), &CREATE, 422, "salience:");
	FIBER_FAILS(FIB(",\"salience\":1.01"), &CREATE, 422, "salience:");
	FIBER_FAILS(FIB(",\"frequency\":2.5"), &CREATE, 422, "frequency:");
	FIBER_FAILS(FIB(",\"frequency\":-1"), &CREATE, 422, "frequency:");
	FIBER_FAILS(FIB(",\"summary\":5"), &CREATE, 422, "summary:");
	FIBER_FAILS(FIB(",\"summary\":\"a\\u0000b\""), &CREATE, 422, "summary:");
	FIBER_FAILS(FIB(",\"tags\":\"t\""), &CREATE, 422, "tags:");
	FIBER_FAILS(FIB(",\"tags\":[\"ok\",3]"), &CREATE, 422, "tags:");
	FIBER_FAILS(FIB(",\"tags\":[\"a\\u0000\"]"), &CREATE, 422, "tags:");
	FIBER_FAILS(FIB(",\"metadata\":[]"), &CREATE, 422, "metadata:");
	FIBER_FAILS(FIB(",\"created_at\":\"2026-01-02T03:04:05+25:00\""), &CREATE, 422, "created_at:");

	char *big = repeat_json("x", 256);
	char body[600];
	snprintf(body, sizeof body, "{\"neuron_ids\":[\"a\",%s],\"anchor_neuron_id\":\"a\"}", big);
	FIBER_FAILS(body, &CREATE, 422, "neuron_ids:");
	free(big);
}

Test(codec_fiber, time_order)
{
	FIBER_FAILS(FIB(",\"time_start\":\"2026-01-02T03:04:06\",\"time_end\":\"2026-01-02T03:04:05\""), &CREATE, 422,
	            "time_end:");
	nm_fiber_t f;
	unsigned p;
	nm_err_t e;
	/* equal is fine; one side null is fine; offsets compared as instants */
	cr_expect_eq(dec_fiber(FIB(",\"time_start\":\"2026-01-02T03:04:05\",\"time_end\":\"2026-01-02T03:04:05\""), &CREATE,
	                       &f, &p, &e),
	             0, "%s", e.detail);
	nm_fiber_clear(&f);
	cr_expect_eq(dec_fiber(FIB(",\"time_start\":\"2026-01-02T03:04:05\",\"time_end\":null"), &CREATE, &f, &p, &e), 0);
	nm_fiber_clear(&f);
	cr_expect_eq(dec_fiber(FIB(",\"time_end\":\"2000-01-01\""), &CREATE, &f, &p, &e), 0);
	nm_fiber_clear(&f);
	cr_expect_eq(dec_fiber(FIB(",\"time_start\":\"2026-01-02T10:00:00+07:00\",\"time_end\":\"2026-01-02T04:00:00\""),
	                       &CREATE, &f, &p, &e),
	             0, "10:00+07:00 is 03:00Z, before 04:00: %s", e.detail);
	nm_fiber_clear(&f);
}

Test(codec_fiber, first_error_in_table_order)
{
	/* bad id before bad neuron_ids */
	FIBER_FAILS("{\"id\":\"\",\"neuron_ids\":5,\"anchor_neuron_id\":\"a\"}", &CREATE, 422, "id:");
	/* neuron_ids before anchor */
	FIBER_FAILS("{\"neuron_ids\":5}", &CREATE, 422, "neuron_ids:");
	/* synapse_ids before anchor */
	FIBER_FAILS("{\"neuron_ids\":[\"a\"],\"synapse_ids\":1}", &CREATE, 422, "synapse_ids:");
	/* anchor membership before time_start */
	FIBER_FAILS("{\"neuron_ids\":[\"a\"],\"anchor_neuron_id\":\"b\",\"time_start\":\"x\"}", &CREATE, 422,
	            "anchor_neuron_id:");
	/* time order before coherence */
	FIBER_FAILS(FIB(",\"coherence\":5,\"time_start\":\"2026-01-03\",\"time_end\":\"2026-01-02\""), &CREATE, 422,
	            "time_end:");
	/* coherence before salience before frequency */
	FIBER_FAILS(FIB(",\"frequency\":-1,\"salience\":2,\"coherence\":2"), &CREATE, 422, "coherence:");
	FIBER_FAILS(FIB(",\"frequency\":-1,\"salience\":2"), &CREATE, 422, "salience:");
	/* summary before tags before metadata before created_at */
	FIBER_FAILS(FIB(",\"created_at\":1,\"metadata\":1,\"tags\":1,\"summary\":1"), &CREATE, 422, "summary:");
	FIBER_FAILS(FIB(",\"created_at\":1,\"metadata\":1,\"tags\":1"), &CREATE, 422, "tags:");
	FIBER_FAILS(FIB(",\"created_at\":1,\"metadata\":1"), &CREATE, 422, "metadata:");
}

Test(codec_fiber, error_prefix)
{
	nm_decode_opts_t o = CREATE;
	o.prefix = "fibers[0].";
	FIBER_FAILS("{\"neuron_ids\":[\"a\"],\"anchor_neuron_id\":\"z\"}", &o, 422, "fibers[0].anchor_neuron_id:");
	FIBER_FAILS(FIB(",\"salience\":7"), &o, 422, "fibers[0].salience:");
}

Test(codec_fiber, patch_mode_and_check)
{
	nm_fiber_t f;
	unsigned p;
	nm_err_t e;
	/* PATCH: nothing required, no anchor/time checks (done after merging) */
	cr_assert_eq(dec_fiber("{\"anchor_neuron_id\":\"zzz\",\"time_start\":\"2026-01-03\",\"time_end\":\"2026-01-02\"}",
	                       &PATCH, &f, &p, &e),
	             0, "%s", e.detail);
	cr_expect_eq(p, NM_FF_ANCHOR | NM_FF_TIME_START | NM_FF_TIME_END);
	cr_expect_null(f.id);
	cr_expect_null(f.metadata);

	/* nm_fiber_check on the merged result */
	nm_strv_add(&f.neuron_ids, "a");
	memset(&e, 0, sizeof e);
	cr_expect_eq(nm_fiber_check(&f, NULL, &e), -422);
	cr_expect_eq(strncmp(e.detail, "anchor_neuron_id:", 17), 0, "%s", e.detail);
	nm_strv_add(&f.neuron_ids, "zzz");
	memset(&e, 0, sizeof e);
	cr_expect_eq(nm_fiber_check(&f, "p.", &e), -422);
	cr_expect_eq(strncmp(e.detail, "p.time_end:", 11), 0, "%s", e.detail);
	f.time_end = f.time_start;
	cr_expect_eq(nm_fiber_check(&f, NULL, NULL), 0);
	f.time_end = NM_TIME_NONE;
	cr_expect_eq(nm_fiber_check(&f, NULL, NULL), 0);
	nm_fiber_clear(&f);

	cr_assert_eq(dec_fiber("{\"salience\":0.9,\"tags\":[\"b\",\"a\",\"b\"]}", &PATCH, &f, &p, &e), 0);
	cr_expect_eq(p, NM_FF_SALIENCE | NM_FF_TAGS);
	cr_expect_eq(f.tags.n, 2);
	nm_fiber_clear(&f);
	FIBER_FAILS("{\"salience\":9}", &PATCH, 422, "salience:");
}

/* ================================ brain ================================ */

Test(codec_brain, create_defaults)
{
	nm_brain_rec_t b;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_brain("{\"name\":\"My brain\"}", &CREATE, &nm_config_default, &b, &p, &e), 0, "%s", e.detail);
	cr_expect_null(b.id, "the brain id default is the server's (§3.2), not the codec's");
	cr_expect_str_eq(b.name, "My brain");
	cr_expect_null(b.owner_id);
	cr_expect_not(b.is_public);
	cr_expect_eq(b.shared_with.n, 0);
	cr_expect_eq(memcmp(&b.config, &nm_config_default, sizeof b.config), 0);
	cr_expect_str_eq(b.metadata, "{}");
	cr_expect_eq(p, NM_FB_NAME);
	nm_brain_rec_clear(&b);
}

Test(codec_brain, all_fields)
{
	nm_brain_rec_t b;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_brain("{\"id\":\"default\",\"name\":\"B\",\"owner_id\":\"alice\",\"is_public\":true,"
	                       "\"shared_with\":[\"bob\",\"carol\",\"bob\"],\"config\":{\"decay_rate\":0.3,"
	                       "\"max_spread_hops\":3.0,\"bogus\":1},\"metadata\":{\"k\":1}}",
	                       &CREATE, &nm_config_default, &b, &p, &e),
	             0, "%s", e.detail);
	cr_expect_str_eq(b.id, "default");
	cr_expect_str_eq(b.owner_id, "alice");
	cr_expect(b.is_public);
	cr_assert_eq(b.shared_with.n, 2);
	cr_expect_str_eq(b.shared_with.v[0], "bob");
	cr_expect_str_eq(b.shared_with.v[1], "carol");
	cr_expect_float_eq(b.config.decay_rate, 0.3, 0);
	cr_expect_eq(b.config.max_spread_hops, 3);
	cr_expect_float_eq(b.config.reinforcement_delta, 0.05, 0, "keys not given keep the base value");
	cr_expect_eq(b.config.max_context_tokens, 1500);
	cr_expect_str_eq(b.metadata, "{\"k\":1}");
	cr_expect_eq(p, NM_FB_ID | NM_FB_NAME | NM_FB_OWNER | NM_FB_PUBLIC | NM_FB_SHARED | NM_FB_CONFIG | NM_FB_METADATA);
	nm_brain_rec_clear(&b);
}

Test(codec_brain, name_length_in_code_points)
{
	char body[1024];
	nm_brain_rec_t b;
	unsigned p;
	nm_err_t e;
	/* 100 × "ẵ" (3 bytes each, 300 bytes) is 100 code points: OK */
	char *name100 = repeat_json("\xe1\xba\xb5", 100);
	snprintf(body, sizeof body, "{\"name\":%s}", name100);
	cr_expect_eq(dec_brain(body, &CREATE, &nm_config_default, &b, &p, &e), 0, "100 code points: %s", e.detail);
	nm_brain_rec_clear(&b);
	/* 101 code points: 422 */
	char *name101 = repeat_json("\xe1\xba\xb5", 101);
	snprintf(body, sizeof body, "{\"name\":%s}", name101);
	BRAIN_FAILS(body, &CREATE, 422, "name:");
	char *ascii101 = repeat_json("a", 101);
	snprintf(body, sizeof body, "{\"name\":%s}", ascii101);
	BRAIN_FAILS(body, &CREATE, 422, "name:");
	/* 1 code point (4 bytes) OK, empty not */
	cr_expect_eq(dec_brain("{\"name\":\"\xf0\x9f\xa7\xa0\"}", &CREATE, &nm_config_default, &b, &p, &e), 0);
	nm_brain_rec_clear(&b);
	BRAIN_FAILS("{\"name\":\"\"}", &CREATE, 422, "name:");
	free(name100);
	free(name101);
	free(ascii101);
}

Test(codec_brain, required_types_nulls)
{
	BRAIN_FAILS("{}", &CREATE, 422, "name: field required");
	BRAIN_FAILS("{\"name\":null}", &CREATE, 422, "name:");
	BRAIN_FAILS("{\"name\":5}", &CREATE, 422, "name:");
	BRAIN_FAILS("{\"name\":\"a\\u0000b\"}", &CREATE, 422, "name:");
	BRAIN_FAILS("{\"name\":\"n\",\"owner_id\":5}", &CREATE, 422, "owner_id:");
	BRAIN_FAILS("{\"name\":\"n\",\"is_public\":\"true\"}", &CREATE, 422, "is_public:");
	BRAIN_FAILS("{\"name\":\"n\",\"is_public\":1}", &CREATE, 422, "is_public:");
	BRAIN_FAILS("{\"name\":\"n\",\"shared_with\":\"bob\"}", &CREATE, 422, "shared_with:");
	BRAIN_FAILS("{\"name\":\"n\",\"shared_with\":[1]}", &CREATE, 422, "shared_with:");
	BRAIN_FAILS("{\"name\":\"n\",\"metadata\":\"{}\"}", &CREATE, 422, "metadata:");
	BRAIN_FAILS("{\"id\":\"\",\"name\":\"n\"}", &CREATE, 422, "id:");

	nm_brain_rec_t b;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_brain("{\"name\":\"n\",\"owner_id\":null,\"is_public\":null,\"shared_with\":null,\"config\":null,"
	                       "\"metadata\":null,\"id\":null}",
	                       &CREATE, &nm_config_default, &b, &p, &e),
	             0, "%s", e.detail);
	cr_expect_null(b.owner_id);
	cr_expect_not(b.is_public);
	cr_expect_str_eq(b.metadata, "{}");
	cr_expect_eq(memcmp(&b.config, &nm_config_default, sizeof b.config), 0);
	cr_expect_eq(p, NM_FB_NAME | NM_FB_OWNER, "owner_id is nullable: null is given (clears it)");
	nm_brain_rec_clear(&b);
}

Test(codec_brain, config_ranges)
{
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"max_spread_hops\":11}}", &CREATE, 422, "config.max_spread_hops:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"max_spread_hops\":0}}", &CREATE, 422, "config.max_spread_hops:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"max_spread_hops\":3.5}}", &CREATE, 422, "config.max_spread_hops:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"decay_rate\":1.5}}", &CREATE, 422, "config.decay_rate:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"reinforcement_delta\":0.51}}", &CREATE, 422,
	            "config.reinforcement_delta:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"activation_threshold\":-0.1}}", &CREATE, 422,
	            "config.activation_threshold:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"max_context_tokens\":99}}", &CREATE, 422, "config.max_context_tokens:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"max_context_tokens\":10001}}", &CREATE, 422,
	            "config.max_context_tokens:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"default_synapse_weight\":1.5}}", &CREATE, 422,
	            "config.default_synapse_weight:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"decay_rate\":\"0.1\"}}", &CREATE, 422, "config.decay_rate:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":[]}", &CREATE, 422, "config:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":5}", &CREATE, 422, "config:");

	nm_brain_rec_t b;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_brain("{\"name\":\"n\",\"config\":{\"max_spread_hops\":10,\"max_context_tokens\":100,"
	                       "\"reinforcement_delta\":0.5,\"decay_rate\":0,\"activation_threshold\":1,"
	                       "\"default_synapse_weight\":1}}",
	                       &CREATE, &nm_config_default, &b, &p, &e),
	             0, "bounds are inclusive: %s", e.detail);
	cr_expect_eq(b.config.max_spread_hops, 10);
	cr_expect_eq(b.config.max_context_tokens, 100);
	cr_expect_float_eq(b.config.reinforcement_delta, 0.5, 0);
	nm_brain_rec_clear(&b);
}

Test(codec_brain, config_order_and_prefix)
{
	/* config keys in table order: decay_rate first */
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"max_spread_hops\":11,\"decay_rate\":5}}", &CREATE, 422,
	            "config.decay_rate:");
	/* fields before config win; config before metadata */
	BRAIN_FAILS("{\"name\":\"\",\"config\":{\"max_spread_hops\":11}}", &CREATE, 422, "name:");
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"max_spread_hops\":11},\"metadata\":1}", &CREATE, 422, "config.");
	BRAIN_FAILS("{\"id\":7,\"name\":\"\"}", &CREATE, 422, "id:");
	nm_decode_opts_t o = CREATE;
	o.prefix = "snapshot.";
	BRAIN_FAILS("{\"name\":\"n\",\"config\":{\"max_spread_hops\":11}}", &o, 422, "snapshot.config.max_spread_hops:");
}

Test(codec_brain, config_decode_direct)
{
	nm_config_t c = nm_config_default;
	cr_expect_eq(nm_config_decode(NULL, NULL, &c, NULL), 0);
	json_t *nul = json_null();
	cr_expect_eq(nm_config_decode(nul, NULL, &c, NULL), 0);
	json_decref(nul);
	cr_expect_eq(memcmp(&c, &nm_config_default, sizeof c), 0);

	json_t *v = J("{\"activation_threshold\":0.35,\"max_context_tokens\":2000.0}");
	cr_expect_eq(nm_config_decode(v, NULL, &c, NULL), 0);
	cr_expect_float_eq(c.activation_threshold, 0.35, 0);
	cr_expect_eq(c.max_context_tokens, 2000);
	cr_expect_float_eq(c.decay_rate, 0.1, 0);
	json_decref(v);

	nm_err_t e = {0};
	v = J("{\"max_spread_hops\":11}");
	cr_expect_eq(nm_config_decode(v, "import.", &c, &e), -422);
	cr_expect_eq(strncmp(e.detail, "import.config.max_spread_hops:", 30), 0, "%s", e.detail);
	json_decref(v);
}

Test(codec_brain, update_merges_onto_base)
{
	nm_config_t base = nm_config_default;
	base.max_spread_hops = 9;
	base.decay_rate = 0.7;
	nm_brain_rec_t b;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_brain("{\"config\":{\"decay_rate\":0.2}}", &PATCH, &base, &b, &p, &e), 0, "%s", e.detail);
	cr_expect_eq(p, NM_FB_CONFIG);
	cr_expect_null(b.name, "name not required in PATCH mode");
	cr_expect_float_eq(b.config.decay_rate, 0.2, 0);
	cr_expect_eq(b.config.max_spread_hops, 9, "stored value kept for keys not given");
	cr_expect_null(b.metadata, "no default metadata in PATCH mode");
	nm_brain_rec_clear(&b);

	cr_assert_eq(dec_brain("{}", &PATCH, &base, &b, &p, &e), 0);
	cr_expect_eq(p, 0);
	cr_expect_eq(memcmp(&b.config, &base, sizeof base), 0);
	nm_brain_rec_clear(&b);
	BRAIN_FAILS("{\"name\":\"\"}", &PATCH, 422, "name:");
}

/* =============================== writers =============================== */

typedef void (*writer_fn)(nm_jw_t *w, const void *obj);

static char *write_one(void (*fn)(nm_jw_t *, const void *), const void *obj)
{
	nm_jw_t w;
	nm_jw_init(&w);
	fn(&w, obj);
	char *s = nm_buf_steal(&w.buf, NULL);
	nm_jw_free(&w);
	return s;
}

static void wr_neuron(nm_jw_t *w, const void *o) { nm_jw_neuron(w, o); }
static void wr_state(nm_jw_t *w, const void *o) { nm_jw_state(w, o); }
static void wr_synapse(nm_jw_t *w, const void *o) { nm_jw_synapse(w, o); }
static void wr_fiber(nm_jw_t *w, const void *o) { nm_jw_fiber(w, o); }
static void wr_config(nm_jw_t *w, const void *o) { nm_jw_config(w, o); }

Test(codec_write, neuron)
{
	nm_neuron_t n = {.id = "n-1", .type = NM_NEURON_CONCEPT, .content = "a\"b\0c", .content_len = 5,
		.metadata = "{\"k\":[1]}", .created_at = NOW};
	char *s = write_one(wr_neuron, &n);
	cr_expect_str_eq(s, "{\"id\":\"n-1\",\"type\":\"concept\",\"content\":\"a\\\"b\\u0000c\",\"metadata\":{\"k\":[1]},"
	                    "\"created_at\":\"2026-01-02T03:04:05.000006\"}");
	free(s);
}

Test(codec_write, state)
{
	nm_state_t st = {.neuron_id = "n-1", .activation_level = 0.7, .access_frequency = 3,
		.last_activated = NM_TIME_NONE, .decay_rate = 0.1, .created_at = NOW};
	char *s = write_one(wr_state, &st);
	cr_expect_str_eq(s, "{\"neuron_id\":\"n-1\",\"activation_level\":0.7,\"access_frequency\":3,"
	                    "\"last_activated\":null,\"decay_rate\":0.1,\"created_at\":\"2026-01-02T03:04:05.000006\"}");
	free(s);
	st.activation_level = 0;
	st.access_frequency = 0;
	st.last_activated = T1;
	st.decay_rate = 1;
	s = write_one(wr_state, &st);
	cr_expect_str_eq(s, "{\"neuron_id\":\"n-1\",\"activation_level\":0.0,\"access_frequency\":0,"
	                    "\"last_activated\":\"2026-01-02T03:04:05.000000\",\"decay_rate\":1.0,"
	                    "\"created_at\":\"2026-01-02T03:04:05.000006\"}");
	free(s);
}

Test(codec_write, synapse)
{
	nm_synapse_t sy = {.id = "s-1", .source_id = "a", .target_id = "b", .type = NM_SYN_CO_OCCURS,
		.weight = 0.1 + 0.2, .direction = NM_DIR_BI, .metadata = "{}", .reinforced_count = 2,
		.last_activated = NM_TIME_NONE, .created_at = 0};
	char *s = write_one(wr_synapse, &sy);
	cr_expect_str_eq(s, "{\"id\":\"s-1\",\"source_id\":\"a\",\"target_id\":\"b\",\"type\":\"co_occurs\","
	                    "\"weight\":0.30000000000000004,\"direction\":\"bi\",\"metadata\":{},\"reinforced_count\":2,"
	                    "\"last_activated\":null,\"created_at\":\"1970-01-01T00:00:00.000000\"}");
	free(s);
}

Test(codec_write, fiber)
{
	nm_fiber_t f = {.id = "f-1", .anchor_neuron_id = "n2", .time_start = NM_TIME_NONE, .time_end = NM_TIME_NONE,
		.coherence = 0.5, .salience = 1, .frequency = 4, .summary = NULL, .metadata = "{\"x\":null}",
		.created_at = NOW};
	nm_strv_add(&f.neuron_ids, "n2");
	nm_strv_add(&f.neuron_ids, "n1");
	char *s = write_one(wr_fiber, &f);
	cr_expect_str_eq(s, "{\"id\":\"f-1\",\"neuron_ids\":[\"n2\",\"n1\"],\"synapse_ids\":[],\"anchor_neuron_id\":\"n2\","
	                    "\"time_start\":null,\"time_end\":null,\"coherence\":0.5,\"salience\":1.0,\"frequency\":4,"
	                    "\"summary\":null,\"tags\":[],\"metadata\":{\"x\":null},"
	                    "\"created_at\":\"2026-01-02T03:04:05.000006\"}");
	free(s);

	nm_strv_add(&f.synapse_ids, "s1");
	nm_strv_add(&f.tags, "t\"1");
	f.summary = "Sum\n";
	f.time_start = T1;
	f.time_end = NOW;
	s = write_one(wr_fiber, &f);
	cr_expect_str_eq(s, "{\"id\":\"f-1\",\"neuron_ids\":[\"n2\",\"n1\"],\"synapse_ids\":[\"s1\"],"
	                    "\"anchor_neuron_id\":\"n2\",\"time_start\":\"2026-01-02T03:04:05.000000\","
	                    "\"time_end\":\"2026-01-02T03:04:05.000006\",\"coherence\":0.5,\"salience\":1.0,\"frequency\":4,"
	                    "\"summary\":\"Sum\\n\",\"tags\":[\"t\\\"1\"],\"metadata\":{\"x\":null},"
	                    "\"created_at\":\"2026-01-02T03:04:05.000006\"}");
	free(s);
	nm_strv_clear(&f.neuron_ids);
	nm_strv_clear(&f.synapse_ids);
	nm_strv_clear(&f.tags);
}

Test(codec_write, config)
{
	char *s = write_one(wr_config, &nm_config_default);
	cr_expect_str_eq(s, "{\"decay_rate\":0.1,\"reinforcement_delta\":0.05,\"activation_threshold\":0.2,"
	                    "\"max_spread_hops\":4,\"max_context_tokens\":1500,\"default_synapse_weight\":0.5}");
	free(s);
}

static char *write_brain(const nm_brain_rec_t *b, const nm_stats_t *st)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_brain(&w, b, st);
	char *s = nm_buf_steal(&w.buf, NULL);
	nm_jw_free(&w);
	return s;
}

Test(codec_write, brain)
{
	nm_brain_rec_t b = {.id = "b1", .name = "Brain \xc4\x91", .owner_id = NULL, .is_public = false,
		.config = nm_config_default, .metadata = "{}", .created_at = T1, .updated_at = T1, .file = "b1-file"};
	nm_strv_add(&b.shared_with, "bob");
	nm_stats_t st = {.neurons = 3, .synapses = 2, .fibers = 1, .typed_memories = 9, .projects = 8,
		.updated_at = NOW};
	char *s = write_brain(&b, &st);
	cr_expect_str_eq(s, "{\"id\":\"b1\",\"name\":\"Brain \xc4\x91\",\"owner_id\":null,\"is_public\":false,"
	                    "\"shared_with\":[\"bob\"],\"config\":{\"decay_rate\":0.1,\"reinforcement_delta\":0.05,"
	                    "\"activation_threshold\":0.2,\"max_spread_hops\":4,\"max_context_tokens\":1500,"
	                    "\"default_synapse_weight\":0.5},\"metadata\":{},\"neuron_count\":3,\"synapse_count\":2,"
	                    "\"fiber_count\":1,\"created_at\":\"2026-01-02T03:04:05.000000\","
	                    "\"updated_at\":\"2026-01-02T03:04:05.000006\"}");
	free(s);

	/* the record's updated_at wins when later; no stats → zero counts */
	b.owner_id = "alice";
	b.is_public = true;
	b.updated_at = NOW + 1;
	s = write_brain(&b, NULL);
	cr_expect_str_eq(s, "{\"id\":\"b1\",\"name\":\"Brain \xc4\x91\",\"owner_id\":\"alice\",\"is_public\":true,"
	                    "\"shared_with\":[\"bob\"],\"config\":{\"decay_rate\":0.1,\"reinforcement_delta\":0.05,"
	                    "\"activation_threshold\":0.2,\"max_spread_hops\":4,\"max_context_tokens\":1500,"
	                    "\"default_synapse_weight\":0.5},\"metadata\":{},\"neuron_count\":0,\"synapse_count\":0,"
	                    "\"fiber_count\":0,\"created_at\":\"2026-01-02T03:04:05.000000\","
	                    "\"updated_at\":\"2026-01-02T03:04:05.000007\"}");
	free(s);
	st.updated_at = NM_TIME_NONE;
	s = write_brain(&b, &st);
	cr_expect(strstr(s, "\"updated_at\":\"2026-01-02T03:04:05.000007\"}") != NULL, "%s", s);
	free(s);
	nm_strv_clear(&b.shared_with);
}

Test(codec_write, decode_then_write_round_trip)
{
	const char *body = "{\"id\":\"f\",\"neuron_ids\":[\"b\",\"a\",\"b\"],\"synapse_ids\":[],\"anchor_neuron_id\":\"a\","
	                   "\"time_start\":\"2026-01-02 03:04:05+07:00\",\"time_end\":null,\"coherence\":0.7,"
	                   "\"salience\":0.5575757575757576,\"frequency\":3.0,\"summary\":\"\xc4\x91\",\"tags\":[\"x\"],"
	                   "\"metadata\":{\"z\":1,\"a\":2.5},\"created_at\":\"2026-01-02T03:04:05.000006\"}";
	nm_fiber_t f;
	unsigned p;
	nm_err_t e;
	cr_assert_eq(dec_fiber(body, &CREATE, &f, &p, &e), 0, "%s", e.detail);
	char *s = write_one(wr_fiber, &f);
	cr_expect_str_eq(s, "{\"id\":\"f\",\"neuron_ids\":[\"b\",\"a\"],\"synapse_ids\":[],\"anchor_neuron_id\":\"a\","
	                    "\"time_start\":\"2026-01-01T20:04:05.000000\",\"time_end\":null,\"coherence\":0.7,"
	                    "\"salience\":0.5575757575757576,\"frequency\":3,\"summary\":\"\xc4\x91\",\"tags\":[\"x\"],"
	                    "\"metadata\":{\"z\":1,\"a\":2.5},\"created_at\":\"2026-01-02T03:04:05.000006\"}");
	free(s);
	nm_fiber_clear(&f);
}
