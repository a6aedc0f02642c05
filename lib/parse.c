/*
 * parse.c — the query parser (ENGINE.md §3.4): language, time hints,
 * entities, keywords, intent and perspective.
 *
 * Intent, compat: upstream's rows in upstream's order, each pattern a
 * caseless substring search on lower(query) (so "ai" in "fail" is ask_who,
 * D9). Fixed: the same patterns on letter boundaries, rows reordered so the
 * specific ones come first (feeling, why, when, where, who, how, pattern,
 * confirm, compare, what). Thread-safe.
 */
#include "extract.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#include "mem.h"
#include "regex.h"
#include "text.h"

static const char *const intent_names[] = {"ask_what", "ask_where", "ask_when", "ask_who", "ask_why", "ask_how",
	"ask_feeling", "ask_pattern", "confirm", "compare", "recall", "unknown"};
const nm_enum_t nm_enum_intent = {"query_intent", intent_names, 12};


typedef struct intent_row {
	nm_intent_t intent;
	const char *patterns[11]; /* NULL-terminated */
} intent_row_t;

/* Upstream order (compat). */
static const intent_row_t rows[] = {
	{NM_INTENT_ASK_WHAT, {"what", "which", "tell me about", "gì", "cái gì", "điều gì", "chuyện gì", "việc gì"}},
	{NM_INTENT_ASK_WHERE, {"where", "location", "place", "ở đâu", "đâu", "chỗ nào", "nơi nào"}},
	{NM_INTENT_ASK_WHEN, {"when", "what time", "khi nào", "lúc nào", "bao giờ", "mấy giờ"}},
	{NM_INTENT_ASK_WHO, {"who", "whom", "ai", "người nào", "với ai"}},
	{NM_INTENT_ASK_WHY, {"why", "reason", "cause", "tại sao", "vì sao", "lý do"}},
	{NM_INTENT_ASK_HOW, {"how did", "how was", "how to", "như thế nào", "làm sao", "thế nào", "ra sao"}},
	{NM_INTENT_ASK_FEELING, {"how (?:did|do) (?:i|you) feel", "feeling", "emotion", "cảm thấy", "cảm xúc",
	                         "tâm trạng", "vui không", "buồn không"}},
	{NM_INTENT_ASK_PATTERN, {"usually", "typically", "pattern", "often", "always", "thường", "hay", "luôn",
	                         "mỗi khi"}},
	{NM_INTENT_CONFIRM, {"did (?:i|we|you)", "was there", "have (?:i|we|you)", "is it true", "có phải",
	                     "đúng không", "phải không"}},
	{NM_INTENT_COMPARE, {"compare", "difference", "versus", "vs", "better", "worse", "so sánh", "khác nhau",
	                     "giống nhau", "hơn"}},
};
#define NROWS (sizeof rows / sizeof rows[0])
/* Fixed order: row indexes into rows[]. */
static const int fixed_order[NROWS] = {6, 4, 2, 1, 3, 5, 7, 8, 9, 0};

static nm_re_t *compiled[2][NROWS][11];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void compile_all(void)
{
	for (size_t r = 0; r < NROWS; r++)
		for (int k = 0; rows[r].patterns[k]; k++) {
			compiled[NM_MODE_COMPAT][r][k] = nm_re_compile(rows[r].patterns[k], true);
			char *p = nm_xasprintf("(?<!\\p{L})(?:%s)(?!\\p{L})", rows[r].patterns[k]);
			compiled[NM_MODE_FIXED][r][k] = nm_re_compile(p, true);
			free(p);
		}
}

static nm_intent_t detect_intent(const char *low, size_t n, nm_engine_mode_t mode)
{
	nm_re_match_t m;
	for (size_t i = 0; i < NROWS; i++) {
		size_t r = mode == NM_MODE_FIXED ? (size_t)fixed_order[i] : i;
		for (int k = 0; compiled[mode][r][k]; k++)
			if (nm_re_search(compiled[mode][r][k], low, n, 0, &m))
				return rows[r].intent;
	}
	return NM_INTENT_RECALL;
}

static nm_perspective_t detect_perspective(const char *low, nm_intent_t intent)
{
	static const char *const summary[] = {"summary", "summarize", "tóm tắt", "overview", "tổng kết"};
	static const char *const analysis[] = {"analyze", "understand", "explain", "phân tích", "giải thích"};
	if (intent == NM_INTENT_CONFIRM)
		return NM_PERSP_CONFIRM;
	if (intent == NM_INTENT_COMPARE)
		return NM_PERSP_COMPARE;
	for (size_t i = 0; i < 5; i++)
		if (strstr(low, summary[i]))
			return NM_PERSP_SUMMARIZE;
	for (size_t i = 0; i < 5; i++)
		if (strstr(low, analysis[i]))
			return NM_PERSP_ANALYZE;
	return NM_PERSP_RECALL;
}

static bool is_vi_word(const char *w, size_t n)
{
	static const char *const vi_words[] = {"của", "và", "là", "có", "được", "cho", "với", "này", "trong", "để",
	                                       "các"};
	for (size_t k = 0; k < sizeof vi_words / sizeof vi_words[0]; k++)
		if (strlen(vi_words[k]) == n && memcmp(w, vi_words[k], n) == 0)
			return true;
	return false;
}

/* Vietnamese when > 5 % of the query's code points are Vietnamese letters
 * (counted in its lower-case form), or a Vietnamese function word occurs. */
static nm_lang_t detect_language(const char *q, size_t len, const char *low, size_t llen)
{
	static const char vi_letters[] = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ";
	size_t qlen = 0, vi = 0;
	nm_utf8_valid(q, len, &qlen);
	int32_t i = 0;
	while ((size_t)i < llen) {
		int32_t at = i;
		UChar32 c;
		U8_NEXT(low, i, (int32_t)llen, c);
		char buf[5] = {0};
		memcpy(buf, low + at, (size_t)(i - at));
		if (c >= 0x80 && strstr(vi_letters, buf))
			vi++;
	}
	if ((double)vi > (double)qlen * 0.05)
		return NM_LANG_VI;
	/* whitespace tokens of lower(query) */
	int32_t start = -1, n = (int32_t)llen;
	for (i = 0; i <= n;) {
		int32_t at = i;
		UChar32 c = ' ';
		if (i < n)
			U8_NEXT(low, i, n, c);
		else
			i++;
		if (!nm_py_isspace(c)) {
			if (start < 0)
				start = at;
			continue;
		}
		if (start >= 0 && is_vi_word(low + start, (size_t)(at - start)))
			return NM_LANG_VI;
		start = -1;
	}
	return NM_LANG_EN;
}

void nm_parse_query(const char *q, size_t len, int64_t ref, nm_engine_mode_t mode, nm_stimulus_t *out)
{
	pthread_once(&once, compile_all);
	memset(out, 0, sizeof *out);
	size_t llen = 0;
	char *low = nm_utf8_lower(q, len, &llen);
	if (!low)
		low = nm_xstrdup(""), llen = 0;
	out->language = detect_language(q, len, low, llen);
	nm_extract_time(q, len, ref, out->language, mode, &out->hints);
	nm_extract_entities(q, len, mode, true, &out->entities);
	nm_extract_keywords(q, len, mode, &out->keywords);
	out->intent = detect_intent(low, llen, mode);
	out->perspective = detect_perspective(low, out->intent);
	free(low);
}

void nm_stimulus_clear(nm_stimulus_t *s)
{
	nm_time_hints_clear(&s->hints);
	nm_entities_clear(&s->entities);
	nm_strv_clear(&s->keywords);
}
