/* mem.c — see mem.h. Thread-safe (no shared state). */
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "nmemd: out of memory allocating %zu bytes\n", n);
	abort();
}

void *nm_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *nm_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *nm_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *nm_xstrdup(const char *s)
{
	return s ? nm_xstrndup(s, strlen(s)) : NULL;
}

char *nm_xstrndup(const char *s, size_t n)
{
	char *p = nm_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *nm_xasprintf(const char *fmt, ...)
{
	nm_buf_t b = {0};
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	nm_buf_reserve(&b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b.data, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return b.data;
}

void nm_buf_reserve(nm_buf_t *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = nm_xrealloc(b->data, cap);
	b->cap = cap;
}

void nm_buf_append(nm_buf_t *b, const void *p, size_t n)
{
	nm_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void nm_buf_puts(nm_buf_t *b, const char *s)
{
	nm_buf_append(b, s, strlen(s));
}

void nm_buf_putc(nm_buf_t *b, char c)
{
	nm_buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void nm_buf_printf(nm_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	nm_buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void nm_buf_reset(nm_buf_t *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void nm_buf_free(nm_buf_t *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *nm_buf_steal(nm_buf_t *b, size_t *len)
{
	if (!b->data) {
		nm_buf_reserve(b, 0);
		b->data[0] = '\0';
	}
	char *p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

uint64_t nm_hash64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}
