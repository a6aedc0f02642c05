/*
 * extract_keyword.c — keywords, stop words and word counts
 * (ENGINE.md §0, §3.3).
 *
 * Compat tokenises lower(text) with upstream's `\b[a-zA-ZÀ-ỹ]+\b` (a token
 * touching a digit or '_' yields nothing). Fixed mode (D19) takes maximal
 * runs of letters, marks and digits that contain a letter, so "v2", "q3"
 * and "2fa" are keywords and "2024" is not. Both keep tokens of at least
 * two code points that are not stop words, first occurrence only.
 * Thread-safe.
 */
#include "extract.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "hmap.h"
#include "mem.h"
#include "regex.h"
#include "text.h"

/* Upstream's inline stop list: 119 English and 51 Vietnamese words. */
static const char *const stop_words[] = {
	"the", "a", "an", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "do", "does",
	"did", "will", "would", "could", "should", "may", "might", "must", "shall", "can", "need", "dare", "ought",
	"used", "to", "of", "in", "for", "on", "with", "at", "by", "from", "as", "into", "through", "during",
	"before", "after", "above", "below", "between", "under", "again", "further", "then", "once", "here",
	"there", "when", "where", "why", "how", "all", "each", "few", "more", "most", "other", "some", "such",
	"no", "nor", "not", "only", "own", "same", "so", "than", "too", "very", "just", "and", "but", "if", "or",
	"because", "until", "while", "this", "that", "these", "those", "i", "me", "my", "myself", "we", "our",
	"ours", "ourselves", "you", "your", "yours", "yourself", "he", "him", "his", "himself", "she", "her",
	"hers", "herself", "it", "its", "itself", "they", "them", "their", "theirs", "what", "which", "who",
	"whom",
	"và", "của", "là", "có", "được", "cho", "với", "này", "trong", "để", "các", "những", "một", "đã", "tôi",
	"bạn", "anh", "chị", "em", "ở", "tại", "khi", "thì", "mà", "nếu", "vì", "cũng", "như", "từ", "đến", "lại",
	"ra", "vào", "lên", "xuống", "rồi", "sẽ", "đang", "vẫn", "còn", "chỉ", "rất", "quá", "làm", "gì", "sao",
	"nào", "đâu", "ai", "bao", "nhiêu",
};

static nm_hmap_t stop_set;
static nm_re_t *tok_compat;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	for (size_t i = 0; i < sizeof stop_words / sizeof stop_words[0]; i++)
		nm_hmap_put(&stop_set, stop_words[i], strlen(stop_words[i]), (void *)1);
	tok_compat = nm_re_compile("\\b[a-zA-ZÀ-ỹ]+\\b", false);
}

bool nm_is_stop_word(const char *w)
{
	pthread_once(&once, init);
	return nm_hmap_get(&stop_set, w, strlen(w)) != NULL;
}

typedef struct kw {
	const char *low;
	nm_strv_t *out;
} kw_t;

static void consider(kw_t *k, const char *s, size_t n)
{
	size_t ncp;
	nm_utf8_valid(s, n, &ncp);
	if (ncp < 2)
		return;
	char *w = nm_xstrndup(s, n);
	if (!nm_is_stop_word(w))
		nm_strv_add(k->out, w); /* keeps the first occurrence */
	free(w);
}

static int on_token(void *arg, const nm_re_match_t *m)
{
	kw_t *k = arg;
	consider(k, k->low + m->start[0], (size_t)(m->end[0] - m->start[0]));
	return 0;
}

/* D19: maximal runs of \p{L}\p{M}\p{N} holding at least one letter. */
static void fixed_tokens(kw_t *k, size_t len)
{
	int32_t i = 0, n = (int32_t)len, start = -1;
	bool letter = false;
	while (i <= n) {
		int32_t at = i;
		UChar32 c = 0;
		if (i < n)
			U8_NEXT(k->low, i, n, c);
		else
			i++;
		bool in_word = at < n && c >= 0 && (u_isalpha(c) || (U_GET_GC_MASK(c) & (U_GC_M_MASK | U_GC_N_MASK)));
		if (in_word) {
			if (start < 0)
				start = at, letter = false;
			letter |= u_isalpha(c) != 0;
		} else if (start >= 0) {
			if (letter)
				consider(k, k->low + start, (size_t)(at - start));
			start = -1;
		}
	}
}

void nm_extract_keywords(const char *text, size_t len, nm_engine_mode_t mode, nm_strv_t *out)
{
	pthread_once(&once, init);
	memset(out, 0, sizeof *out);
	size_t llen;
	char *low = nm_utf8_lower(text, len, &llen);
	if (!low)
		return;
	kw_t k = {low, out};
	if (mode == NM_MODE_COMPAT)
		nm_re_each(tok_compat, low, llen, on_token, &k);
	else
		fixed_tokens(&k, llen);
	free(low);
}

size_t nm_word_count(const char *s, size_t len)
{
	size_t words = 0;
	bool in_word = false;
	int32_t i = 0, n = (int32_t)len;
	while (i < n) {
		UChar32 c;
		U8_NEXT(s, i, n, c);
		bool space = c >= 0 && nm_py_isspace(c);
		if (!space && !in_word)
			words++;
		in_word = !space;
	}
	return words;
}
