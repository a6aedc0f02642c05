/*
 * query.c — percent-decoding and form-encoded query strings
 * (PROTOCOL.md §1.1): '+' is a space in queries, %XX escapes are decoded,
 * the result must be valid UTF-8, a repeated key's last value wins.
 * Thread-safe.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *srv_pct_decode(const char *s, size_t len, bool plus, size_t *outlen, bool *ok)
{
	char *out = nm_xmalloc(len + 1);
	size_t n = 0;
	*ok = true;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1, lo = i + 2 < len ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				*ok = false;
				out[n++] = c;
				continue;
			}
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[n++] = plus && c == '+' ? ' ' : c;
		}
	}
	out[n] = '\0';
	/* NUL cannot be part of an id, a filter or a name: refuse it here. */
	if (!nm_utf8_valid(out, n, NULL) || memchr(out, '\0', n))
		*ok = false;
	if (outlen)
		*outlen = n;
	return out;
}

void srv_query_parse(srv_query_t *q, const char *s, size_t len)
{
	memset(q, 0, sizeof *q);
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != '&')
			j++;
		if (j > i) {
			const char *eq = memchr(s + i, '=', j - i);
			size_t klen = eq ? (size_t)(eq - (s + i)) : j - i;
			bool ok1, ok2;
			char *k = srv_pct_decode(s + i, klen, true, NULL, &ok1);
			char *v = eq ? srv_pct_decode(eq + 1, (size_t)(s + j - eq - 1), true, NULL, &ok2)
			             : (ok2 = true, nm_xstrdup(""));
			if (!ok1 || !ok2)
				q->bad_encoding = true;
			q->keys = nm_xrealloc(q->keys, sizeof *q->keys * (q->n + 1));
			q->vals = nm_xrealloc(q->vals, sizeof *q->vals * (q->n + 1));
			q->keys[q->n] = k;
			q->vals[q->n] = v;
			q->n++;
		}
		i = j + 1;
	}
}

void srv_query_free(srv_query_t *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->keys[i]);
		free(q->vals[i]);
	}
	free(q->keys);
	free(q->vals);
	memset(q, 0, sizeof *q);
}

const char *srv_query_get(const srv_query_t *q, const char *key)
{
	for (size_t i = q->n; i-- > 0;)
		if (strcmp(q->keys[i], key) == 0)
			return q->vals[i];
	return NULL;
}
