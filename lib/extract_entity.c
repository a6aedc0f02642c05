/*
 * extract_entity.c — entities (ENGINE.md §3.2): Vietnamese person names
 * after a kinship prefix, runs of capitalised words, and places after a
 * location indicator; then de-duplicated on lower(text) + type.
 *
 * Compat reproduces upstream's rule mode, including its caseless name and
 * location patterns (D8) and the PYTHONHASHSEED=0 order of the location
 * indicators. Fixed mode (D8): names and places must start with an
 * upper-case letter (only the prefix/indicator word is caseless), a place
 * is at most four capitalised words, the sentence-start rule does not
 * apply to queries (but a sentence-initial stop word such as "Why" is
 * never an entity), capitalised tokens may contain digits ("Q3"), and the
 * result is ordered by position in the text. Thread-safe.
 */
#include "extract.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#include "mem.h"
#include "regex.h"
#include "text.h"

static const char *const ent_names[] = {"person", "location", "organization", "product", "event", "unknown"};
const nm_enum_t nm_enum_entity_type = {"entity_type", ent_names, 6};

/* Upstream's LOCATION_INDICATORS in the iteration order of its set under
 * PYTHONHASHSEED=0 (ENGINE.md §3.2, §7.2). */
static const char *const indicators[] = {"tại", "đến", "hotel", "ở", "restaurant", "shop", "at", "công ty",
	"cà phê", "quán", "từ", "in", "to", "from", "cafe", "office", "store", "văn phòng", "nhà hàng", "building"};
#define NIND (sizeof indicators / sizeof indicators[0])

#define VI_PREFIXES "anh|chị|em|bạn|cô|chú|bác|ông|bà"

static struct {
	nm_re_t *names[2], *caps[2], *places[2][NIND];
} re;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void compile_all(void)
{
	re.names[NM_MODE_COMPAT] = nm_re_compile(
		"\\b(?:" VI_PREFIXES ")\\s+([A-ZÀ-Ỹ][a-zà-ỹ]+(?:\\s+[A-ZÀ-Ỹ][a-zà-ỹ]+)*)", true);
	re.names[NM_MODE_FIXED] = nm_re_compile(
		"\\b(?i:" VI_PREFIXES ")\\s+(\\p{Lu}\\p{Ll}+(?:\\s+\\p{Lu}\\p{Ll}+)*)", false);
	re.caps[NM_MODE_COMPAT] = nm_re_compile("\\b([A-Z][a-zA-Z]+(?:\\s+[A-Z][a-zA-Z]+)*)\\b", false);
	re.caps[NM_MODE_FIXED] = nm_re_compile("\\b([A-Z][a-zA-Z0-9]+(?:\\s+[A-Z][a-zA-Z0-9]+)*)\\b", false);
	for (size_t i = 0; i < NIND; i++) {
		char *p = nm_xasprintf("\\b%s\\s+([A-ZÀ-Ỹ][a-zà-ỹA-ZÀ-Ỹ\\s]+?)(?:[,.]|\\s+(?:với|và|to|with|for)|$)",
		                       indicators[i]);
		re.places[NM_MODE_COMPAT][i] = nm_re_compile(p, true);
		free(p);
		p = nm_xasprintf("(?<![\\p{L}\\p{N}])(?i:%s)\\s+(\\p{Lu}[\\p{L}\\p{M}\\p{N}]*"
		                 "(?:[ \\t]+\\p{Lu}[\\p{L}\\p{M}\\p{N}]*){0,3})(?![\\p{L}\\p{M}\\p{N}])", indicators[i]);
		re.places[NM_MODE_FIXED][i] = nm_re_compile(p, false);
		free(p);
	}
}

static void add(nm_entities_t *out, const char *text, size_t n, nm_entity_type_t type, double conf, size_t start)
{
	out->v = nm_xrealloc(out->v, sizeof *out->v * (out->n + 1));
	out->v[out->n++] = (nm_entity_t){nm_xstrndup(text, n), type, conf, start, start + n};
}

typedef struct pass {
	const char *text;
	size_t len;
	nm_engine_mode_t mode;
	bool is_query;
	nm_entities_t *out;
	size_t pass1_end;       /* entities [0, pass1_end) came from pass 1 */
	nm_strv_t known_lower;  /* pass 3: lower texts of passes 1–2 */
} pass_t;

static int on_name(void *arg, const nm_re_match_t *m)
{
	pass_t *p = arg;
	add(p->out, p->text + m->start[1], (size_t)(m->end[1] - m->start[1]), NM_ENT_PERSON, 0.8, (size_t)m->start[1]);
	return 0;
}

static bool stop_word_lower(const char *w, size_t n)
{
	char *low = nm_utf8_lower(w, n, NULL);
	bool hit = low && nm_is_stop_word(low);
	free(low);
	return hit;
}

static bool is_skip_word(const char *w, size_t n)
{
	static const char *const skip[] = {"the", "a", "an", "i", "my", "we", "they"};
	char *low = nm_utf8_lower(w, n, NULL);
	bool hit = false;
	for (size_t i = 0; low && i < sizeof skip / sizeof skip[0]; i++)
		hit |= strcmp(low, skip[i]) == 0;
	free(low);
	return hit;
}

static int on_caps(void *arg, const nm_re_match_t *m)
{
	pass_t *p = arg;
	size_t s = (size_t)m->start[1], n = (size_t)(m->end[1] - m->start[1]);
	for (size_t i = 0; i < p->pass1_end; i++) /* the same span as a name */
		if (p->out->v[i].start == s && p->out->v[i].end == s + n)
			return 0;
	const char *w = p->text + s;
	if (is_skip_word(w, n))
		return 0;
	bool sentence_start = s == 0 || strchr(".!?\n", p->text[s - 1]) != NULL;
	bool one_word = true;
	size_t ncp = 0;
	int32_t i = 0;
	while ((size_t)i < n) { /* one word = no whitespace inside; length in code points */
		UChar32 c;
		U8_NEXT(w, i, (int32_t)n, c);
		if (nm_py_isspace(c))
			one_word = false;
		ncp++;
	}
	if (sentence_start && one_word) {
		/* Fixed: a sentence-initial stop word ("Why", "Tell"?) is never an
		 * entity; other short words are kept in queries ("Bob"). */
		if (p->mode == NM_MODE_FIXED && stop_word_lower(w, n))
			return 0;
		if (ncp < 4 && !(p->mode == NM_MODE_FIXED && p->is_query))
			return 0;
	}
	add(p->out, w, n, NM_ENT_UNKNOWN, 0.5, s);
	return 0;
}

/* Python str.strip(): whitespace off both ends; returns the new length. */
static size_t strip(const char **s, size_t n)
{
	int32_t b = 0, e = (int32_t)n;
	while (b < e) {
		int32_t k = b;
		UChar32 c;
		U8_NEXT(*s, k, e, c);
		if (!nm_py_isspace(c))
			break;
		b = k;
	}
	while (e > b) {
		int32_t k = e;
		UChar32 c;
		U8_PREV(*s, b, k, c);
		if (!nm_py_isspace(c))
			break;
		e = k;
	}
	*s += b;
	return (size_t)(e - b);
}

static int on_place(void *arg, const nm_re_match_t *m)
{
	pass_t *p = arg;
	const char *s = p->text + m->start[1];
	size_t n = strip(&s, (size_t)(m->end[1] - m->start[1])), ncp = 0;
	nm_utf8_valid(s, n, &ncp);
	char *low = nm_utf8_lower(s, n, NULL);
	bool known = low && nm_strv_has(&p->known_lower, low);
	free(low);
	if (!known && ncp >= 2)
		add(p->out, s, n, NM_ENT_LOCATION, 0.7, (size_t)(s - p->text));
	return 0;
}

/* Fixed mode: entities in text order (insertion sort: lists are short and
 * ties keep their extraction order). */
static void sort_by_start(nm_entities_t *e)
{
	for (size_t i = 1; i < e->n; i++) {
		nm_entity_t x = e->v[i];
		size_t j = i;
		while (j > 0 && e->v[j - 1].start > x.start) {
			e->v[j] = e->v[j - 1];
			j--;
		}
		e->v[j] = x;
	}
}

/* Drop later entities with the same lower(text) + type. */
static void dedup(nm_entities_t *e)
{
	nm_strv_t seen = {0};
	size_t k = 0;
	for (size_t i = 0; i < e->n; i++) {
		char *low = nm_utf8_lower(e->v[i].text, strlen(e->v[i].text), NULL);
		char *key = nm_xasprintf("%s:%s", low ? low : "", ent_names[e->v[i].type]);
		free(low);
		if (nm_strv_has(&seen, key)) {
			free(e->v[i].text);
		} else {
			nm_strv_add(&seen, key);
			e->v[k++] = e->v[i];
		}
		free(key);
	}
	e->n = k;
	nm_strv_clear(&seen);
}

void nm_extract_entities(const char *text, size_t len, nm_engine_mode_t mode, bool is_query, nm_entities_t *out)
{
	pthread_once(&once, compile_all);
	memset(out, 0, sizeof *out);
	pass_t p = {.text = text, .len = len, .mode = mode, .is_query = is_query, .out = out};
	nm_re_each(re.names[mode], text, len, on_name, &p);
	p.pass1_end = out->n;
	nm_re_each(re.caps[mode], text, len, on_caps, &p);
	for (size_t i = 0; i < out->n; i++) {
		char *low = nm_utf8_lower(out->v[i].text, strlen(out->v[i].text), NULL);
		if (low)
			nm_strv_add(&p.known_lower, low);
		free(low);
	}
	for (size_t i = 0; i < NIND; i++)
		nm_re_each(re.places[mode][i], text, len, on_place, &p);
	nm_strv_clear(&p.known_lower);
	if (mode == NM_MODE_FIXED)
		sort_by_start(out);
	dedup(out);
}

void nm_entities_clear(nm_entities_t *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].text);
	free(e->v);
	memset(e, 0, sizeof *e);
}
