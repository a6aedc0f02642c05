/*
 * fuzz_extract.c — libFuzzer target for text extraction (lib/extract.h):
 * time expressions in every language setting, entities (statement and
 * query), keywords, the query parser and the word count, each in both
 * engine modes, with a fixed reference time (2024-03-06T15:30:00 UTC, the
 * one tests/unit/test_extract.c uses).
 *
 * The input is the text itself. lib/ receives only valid UTF-8 (jansson
 * and srv_pct_decode validate every string first), and lib/regex.c
 * matches with PCRE2_NO_UTF_CHECK, so invalid UTF-8 is outside the
 * contract: bytes that do not form valid UTF-8 are replaced by U+FFFD
 * before the calls. NUL bytes stay (JSON_ALLOW_NUL lets "\u0000" through).
 * NMEMD_FUZZ_RAW_UTF8=1 in the environment skips the repair, to see what
 * invalid input would do.
 *
 * Oracles besides the sanitizers (extract.h's promises):
 *   1. time hints: span inside the text, `original` is exactly the bytes
 *      of the span, granularity a known value;
 *   2. entities: span inside the text, text non-empty valid UTF-8, known
 *      type, finite confidence, no two with the same lower(text) + type;
 *   3. keywords: valid UTF-8, at least 2 code points, no repeats;
 *   4. the query parser: language VI or EN, known intent and perspective,
 *      and its parts obey 1-3.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "extract.h"
#include "fuzz.h"
#include "isotime.h"
#include "mem.h"
#include "text.h"

static int64_t ref;
static bool raw;

/* Valid UTF-8: the input itself, or a copy with U+FFFD for each byte that
 * starts no valid sequence. */
static char *repair(const char *s, size_t n, size_t *outlen)
{
	nm_buf_t b = {0};
	nm_buf_reserve(&b, n + 1);
	for (size_t i = 0; i < n;) {
		size_t k = 1;
		while (k <= 4 && i + k <= n && !nm_utf8_valid(s + i, k, NULL))
			k++;
		if (k <= 4 && i + k <= n) {
			nm_buf_append(&b, s + i, k);
			i += k;
		} else {
			nm_buf_append(&b, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
	if (!b.data)
		nm_buf_append(&b, "", 0);
	return nm_buf_steal(&b, outlen);
}

static void check_hints(const nm_time_hints_t *h, const char *s, size_t n)
{
	for (size_t i = 0; i < h->n; i++) {
		const nm_time_hint_t *t = &h->v[i];
		FZ_CHECK(t->span_start <= t->span_end && t->span_end <= n, "hint %zu span [%zu, %zu) of %zu bytes", i,
		         t->span_start, t->span_end, n);
		FZ_CHECK(t->original && strlen(t->original) == t->span_end - t->span_start &&
		         memcmp(t->original, s + t->span_start, t->span_end - t->span_start) == 0,
		         "hint %zu original '%s' is not the span [%zu, %zu)", i, t->original ? t->original : "(null)",
		         t->span_start, t->span_end);
		FZ_CHECK(t->granularity >= NM_GRAN_MINUTE && t->granularity <= NM_GRAN_YEAR, "granularity %d",
		         (int)t->granularity);
	}
}

static void check_entities(const nm_entities_t *e, size_t n)
{
	for (size_t i = 0; i < e->n; i++) {
		const nm_entity_t *x = &e->v[i];
		FZ_CHECK(x->start <= x->end && x->end <= n, "entity %zu span [%zu, %zu) of %zu bytes", i, x->start,
		         x->end, n);
		FZ_CHECK(x->text && *x->text && nm_utf8_valid(x->text, strlen(x->text), NULL),
		         "entity %zu text is empty or not UTF-8", i);
		FZ_CHECK(x->type >= NM_ENT_PERSON && x->type <= NM_ENT_UNKNOWN, "entity type %d", (int)x->type);
		FZ_CHECK(isfinite(x->confidence), "entity %zu confidence %g", i, x->confidence);
		size_t la;
		char *a = nm_utf8_lower(x->text, strlen(x->text), &la);
		for (size_t j = 0; j < i; j++) {
			if (e->v[j].type != x->type)
				continue;
			size_t lb;
			char *b = nm_utf8_lower(e->v[j].text, strlen(e->v[j].text), &lb);
			FZ_CHECK(!(a && b && la == lb && memcmp(a, b, la) == 0), "entities %zu and %zu are both '%s'", j, i,
			         x->text);
			free(b);
		}
		free(a);
	}
}

static void check_keywords(const nm_strv_t *k)
{
	for (size_t i = 0; i < k->n; i++) {
		size_t ncp;
		const char *w = k->v[i];
		FZ_CHECK(w && nm_utf8_valid(w, strlen(w), &ncp), "keyword %zu not UTF-8", i);
		FZ_CHECK(ncp >= 2, "keyword %zu '%s' has %zu code point(s)", i, w, ncp);
		for (size_t j = 0; j < i; j++)
			FZ_CHECK(strcmp(k->v[j], w) != 0, "keyword '%s' twice", w);
	}
}

static void extract(const char *s, size_t n, nm_engine_mode_t mode)
{
	static const nm_lang_t langs[] = {NM_LANG_AUTO, NM_LANG_VI, NM_LANG_EN};
	for (size_t l = 0; l < sizeof langs / sizeof langs[0]; l++) {
		nm_time_hints_t h = {0};
		nm_extract_time(s, n, ref, langs[l], mode, &h);
		check_hints(&h, s, n);
		nm_time_hints_clear(&h);
	}
	for (int q = 0; q < 2; q++) {
		nm_entities_t e = {0};
		nm_extract_entities(s, n, mode, q, &e);
		check_entities(&e, n);
		nm_entities_clear(&e);
	}
	nm_strv_t k = {0};
	nm_extract_keywords(s, n, mode, &k);
	check_keywords(&k);
	nm_strv_clear(&k);

	nm_stimulus_t st = {0};
	nm_parse_query(s, n, ref, mode, &st);
	FZ_CHECK(st.language == NM_LANG_VI || st.language == NM_LANG_EN, "language %d", (int)st.language);
	FZ_CHECK(st.intent >= NM_INTENT_ASK_WHAT && st.intent <= NM_INTENT_UNKNOWN, "intent %d", (int)st.intent);
	FZ_CHECK(st.perspective >= NM_PERSP_RECALL && st.perspective <= NM_PERSP_SUMMARIZE, "perspective %d",
	         (int)st.perspective);
	check_hints(&st.hints, s, n);
	check_entities(&st.entities, n);
	check_keywords(&st.keywords);
	nm_stimulus_clear(&st);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *r = "2024-03-06T15:30:00";
	if (nm_time_parse(r, strlen(r), &ref) != 0)
		abort();
	const char *env = getenv("NMEMD_FUZZ_RAW_UTF8");
	raw = env && *env == '1';
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;
	char *s;
	if (raw || nm_utf8_valid((const char *)data, size, NULL)) {
		s = nm_xstrndup((const char *)data, size); /* exact size + NUL: ASan catches overreads */
		n = size;
	} else {
		s = repair((const char *)data, size, &n);
	}
	FZ_CHECK(nm_word_count(s, n) <= n, "word count above the byte count");
	extract(s, n, NM_MODE_FIXED);
	extract(s, n, NM_MODE_COMPAT);
	for (size_t i = 0, j; i < n; i = j + 1) { /* each word alone: the stop list */
		for (j = i; j < n && s[j] != ' '; j++)
			;
		if (j - i < 64) {
			char w[64];
			memcpy(w, s + i, j - i);
			w[j - i] = '\0';
			nm_is_stop_word(w);
		}
	}
	free(s);
	return 0;
}
