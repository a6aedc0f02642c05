/*
 * idset.c — fingerprint set (idset.h): open addressing, linear probing,
 * grown at 50% load.
 */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The second hash: 8-byte words folded through splitmix64's finaliser. */
static uint64_t hash2(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = mix(h ^ w);
		p += 8, n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	return mix(h ^ w ^ 0x5bd1e995ULL);
}

static void fingerprint(const char *id, size_t len, uint64_t *a, uint64_t *b)
{
	*a = nm_hash64(id, len);
	*b = hash2(id, len);
	if (!*a && !*b) /* (0, 0) marks an empty slot */
		*b = 1;
}

static size_t find(const nm_idset_t *s, uint64_t a, uint64_t b, bool *found)
{
	size_t mask = s->cap - 1, i = (size_t)(b & mask);
	for (;; i = (i + 1) & mask) {
		uint64_t *p = &s->slots[2 * i];
		if (p[0] == a && p[1] == b) {
			*found = true;
			return i;
		}
		if (!p[0] && !p[1]) {
			*found = false;
			return i;
		}
	}
}

static void grow(nm_idset_t *s)
{
	nm_idset_t n = {.cap = s->cap ? s->cap * 2 : 1024};
	n.slots = nm_xcalloc(n.cap * 2, sizeof *n.slots);
	for (size_t i = 0; i < s->cap; i++) {
		uint64_t a = s->slots[2 * i], b = s->slots[2 * i + 1];
		if (!a && !b)
			continue;
		bool found;
		size_t j = find(&n, a, b, &found);
		n.slots[2 * j] = a;
		n.slots[2 * j + 1] = b;
	}
	n.len = s->len;
	free(s->slots);
	*s = n;
}

bool nm_idset_add(nm_idset_t *s, const char *id, size_t len)
{
	if ((s->len + 1) * 2 > s->cap)
		grow(s);
	uint64_t a, b;
	fingerprint(id, len, &a, &b);
	bool found;
	size_t i = find(s, a, b, &found);
	if (found)
		return false;
	s->slots[2 * i] = a;
	s->slots[2 * i + 1] = b;
	s->len++;
	return true;
}

bool nm_idset_has(const nm_idset_t *s, const char *id, size_t len)
{
	if (!s->cap)
		return false;
	uint64_t a, b;
	fingerprint(id, len, &a, &b);
	bool found;
	find(s, a, b, &found);
	return found;
}

void nm_idset_free(nm_idset_t *s)
{
	free(s->slots);
	memset(s, 0, sizeof *s);
}
