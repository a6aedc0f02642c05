/*
 * hmap.c — see hmap.h.
 *
 * Invariants: (1) cap is 0 or a power of two; (2) used ≤ 3/4 cap after every
 * insert (tombstones count, so probes always end at an empty slot); (3) a
 * deleted slot becomes a tombstone, never empty, so later probe chains stay
 * intact. The map grows (or rehashes in place to drop tombstones) when (2)
 * would break.
 */
#include "hmap.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

static const char tomb_marker;

/* In-memory hashing only (nothing stored): 8 bytes per step, then a
 * final avalanche (the murmur3 finaliser). nm_hash64 (FNV-1a) stays the
 * hash of record on disk. */
static uint64_t hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}
#define NM_HMAP_TOMB (&tomb_marker)

static nm_hmap_slot_t *find(const nm_hmap_t *m, const char *key, size_t klen, uint64_t h)
{
	if (!m->cap)
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		nm_hmap_slot_t *s = &m->slots[i];
		if (!s->key)
			return NULL;
		if (s->key != NM_HMAP_TOMB && s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
			return s;
	}
}

static void rehash(nm_hmap_t *m, size_t cap)
{
	nm_hmap_slot_t *old = m->slots;
	size_t oldcap = m->cap;
	m->slots = nm_xcalloc(cap, sizeof *m->slots);
	m->cap = cap;
	m->used = m->len;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].key || old[i].key == NM_HMAP_TOMB)
			continue;
		size_t j = old[i].hash & (cap - 1);
		while (m->slots[j].key)
			j = (j + 1) & (cap - 1);
		m->slots[j] = old[i];
	}
	free(old);
}

void nm_hmap_free(nm_hmap_t *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}

void *nm_hmap_get(const nm_hmap_t *m, const char *key, size_t klen)
{
	nm_hmap_slot_t *s = find(m, key, klen, hash(key, klen));
	return s ? s->val : NULL;
}

void *nm_hmap_put(nm_hmap_t *m, const char *key, size_t klen, void *val)
{
	uint64_t h = hash(key, klen);
	nm_hmap_slot_t *s = find(m, key, klen, h);
	if (s) {
		void *prev = s->val;
		s->val = val;
		s->key = key; /* the new value owns the key storage now */
		return prev;
	}
	if ((m->used + 1) * 4 > m->cap * 3) {
		size_t cap = m->cap ? m->cap : 16;
		while ((m->len + 1) * 2 > cap)
			cap *= 2;
		rehash(m, cap);
	}
	size_t mask = m->cap - 1, i = h & mask;
	while (m->slots[i].key && m->slots[i].key != NM_HMAP_TOMB)
		i = (i + 1) & mask;
	if (!m->slots[i].key)
		m->used++;
	m->slots[i] = (nm_hmap_slot_t){key, klen, h, val};
	m->len++;
	return NULL;
}

void *nm_hmap_del(nm_hmap_t *m, const char *key, size_t klen)
{
	nm_hmap_slot_t *s = find(m, key, klen, hash(key, klen));
	if (!s)
		return NULL;
	void *val = s->val;
	s->key = NM_HMAP_TOMB;
	s->val = NULL;
	m->len--;
	return val;
}

void nm_hmap_each(const nm_hmap_t *m, void (*fn)(void *arg, const char *key, size_t klen, void *val), void *arg)
{
	for (size_t i = 0; i < m->cap; i++) {
		const nm_hmap_slot_t *s = &m->slots[i];
		if (s->key && s->key != NM_HMAP_TOMB)
			fn(arg, s->key, s->klen, s->val);
	}
}
