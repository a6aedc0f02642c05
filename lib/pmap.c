/*
 * pmap.c — see pmap.h.
 *
 * Invariants: cap is 0 or a power of two; len ≤ cap/2 after every insert,
 * so every probe ends at an empty slot within a few steps.
 */
#include "pmap.h"

#include <stdlib.h>

#include "mem.h"

/* Pointers are aligned and clustered: mix all bits (murmur3 finaliser). */
static size_t mix(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h;
}

static nm_pmap_slot_t *probe(nm_pmap_slot_t *slots, size_t cap, const void *key)
{
	size_t mask = cap - 1;
	for (size_t i = mix(key) & mask;; i = (i + 1) & mask)
		if (!slots[i].key || slots[i].key == key)
			return &slots[i];
}

void nm_pmap_free(nm_pmap_t *m)
{
	free(m->slots);
	*m = (nm_pmap_t){0};
}

uintptr_t nm_pmap_get(const nm_pmap_t *m, const void *key)
{
	return m->cap ? probe(m->slots, m->cap, key)->val : 0;
}

void nm_pmap_put(nm_pmap_t *m, const void *key, uintptr_t val)
{
	if ((m->len + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		nm_pmap_slot_t *slots = nm_xcalloc(cap, sizeof *slots);
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].key)
				*probe(slots, cap, m->slots[i].key) = m->slots[i];
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	nm_pmap_slot_t *s = probe(m->slots, m->cap, key);
	if (!s->key)
		m->len++;
	*s = (nm_pmap_slot_t){key, val};
}
