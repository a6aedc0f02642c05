/*
 * regex.c — PCRE2 with Python semantics (regex.h).
 *
 * The rewrite of a pattern (rewrite()) walks it once, tracking whether it
 * is inside a character class, and applies the three patches of regex.h.
 * Match data is allocated per call from the stack-sized context of PCRE2;
 * compiled code is immutable and shared by all threads.
 */
#include "regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Python's whitespace: Unicode White_Space minus U+180E (not White_Space
 * since Unicode 6.3 anyway) plus U+001C..U+001F. */
#define PY_SPACE_SET "\\t-\\r\\x{1C}-\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}" \
                     "\\x{205F}\\x{3000}"

struct nm_re {
	pcre2_code *code;
};

bool nm_py_isspace(int c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
	       c == 0x3000;
}

static char *rewrite(const char *p, bool caseless)
{
	nm_buf_t b = {0};
	bool in_class = false;
	size_t class_start = 0;
	for (size_t i = 0; p[i]; i++) {
		char c = p[i];
		if (c == '\\' && p[i + 1]) {
			if (p[i + 1] == 's')
				nm_buf_puts(&b, in_class ? PY_SPACE_SET : "[" PY_SPACE_SET "]");
			else
				nm_buf_append(&b, p + i, 2);
			i++;
			continue;
		}
		if (!in_class && c == '[') {
			in_class = true;
			class_start = b.len;
			nm_buf_putc(&b, c);
			continue;
		}
		if (in_class && c == ']' && b.len > class_start + 1) {
			const char *cls = b.data + class_start;
			if (caseless && (strstr(cls, "À-Ỹ") || strstr(cls, "à-ỹ")))
				nm_buf_puts(&b, "\\x{1FD3}\\x{1FE3}");
			in_class = false;
			nm_buf_putc(&b, c);
			continue;
		}
		if (caseless && !in_class && c == 'i')
			nm_buf_puts(&b, "[iİı]");
		else
			nm_buf_putc(&b, c);
	}
	return nm_buf_steal(&b, NULL);
}

nm_re_t *nm_re_compile(const char *pattern, bool caseless)
{
	char *p = rewrite(pattern, caseless);
	int errcode;
	PCRE2_SIZE erroff;
	uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK | (caseless ? PCRE2_CASELESS : 0);
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED, opts, &errcode, &erroff, cc);
	pcre2_compile_context_free(cc);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof msg);
		fprintf(stderr, "nmemd: bad built-in pattern %s at %zu: %s\n", p, (size_t)erroff, msg);
		abort();
	}
	free(p);
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* optional: falls back to the interpreter */
	nm_re_t *re = nm_xmalloc(sizeof *re);
	re->code = code;
	return re;
}

bool nm_re_search(const nm_re_t *re, const char *s, size_t len, size_t from, nm_re_match_t *m)
{
	pcre2_match_data *md = pcre2_match_data_create(NM_RE_MAX_GROUPS, NULL);
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, from, PCRE2_NO_UTF_CHECK, md, NULL);
	if (rc > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		for (int g = 0; g < NM_RE_MAX_GROUPS; g++) {
			bool set = g < rc && ov[2 * g] != PCRE2_UNSET;
			m->start[g] = set ? (long)ov[2 * g] : -1;
			m->end[g] = set ? (long)ov[2 * g + 1] : -1;
		}
	}
	pcre2_match_data_free(md);
	return rc > 0;
}

void nm_re_each(const nm_re_t *re, const char *s, size_t len, int (*cb)(void *arg, const nm_re_match_t *m),
                void *arg)
{
	size_t pos = 0;
	nm_re_match_t m;
	while (pos <= len && nm_re_search(re, s, len, pos, &m)) {
		if (cb(arg, &m))
			return;
		if ((size_t)m.end[0] > pos) {
			pos = (size_t)m.end[0];
		} else { /* empty match: step one code point */
			pos = (size_t)m.end[0] + 1;
			while (pos < len && ((unsigned char)s[pos] & 0xC0) == 0x80)
				pos++;
		}
	}
}
