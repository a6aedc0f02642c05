/*
 * hmap.h — a string-keyed hash map (open addressing, linear probing).
 *
 * Keys are byte strings (pointer + length); the map stores the pointer it is
 * given, it does not copy keys: the caller keeps each key alive as long as
 * its entry exists (typically the key points into the value). Not
 * thread-safe: the owner of a map says which lock guards it.
 */
#ifndef NM_HMAP_H
#define NM_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct nm_hmap_slot {
	const char *key;   /* NULL = empty; NM_HMAP_TOMB = deleted */
	size_t klen;
	uint64_t hash;
	void *val;
} nm_hmap_slot_t;

typedef struct nm_hmap {
	nm_hmap_slot_t *slots;
	size_t cap;    /* power of two, or 0 */
	size_t len;    /* live entries */
	size_t used;   /* live + tombstones */
} nm_hmap_t;

/* A zeroed nm_hmap_t is an empty map. */
void nm_hmap_free(nm_hmap_t *m);
/* Borrowed value for key, or NULL. */
void *nm_hmap_get(const nm_hmap_t *m, const char *key, size_t klen);
/* Insert or replace; returns the previous value (or NULL). */
void *nm_hmap_put(nm_hmap_t *m, const char *key, size_t klen, void *val);
/* Remove; returns the removed value (or NULL). */
void *nm_hmap_del(nm_hmap_t *m, const char *key, size_t klen);
/* Call fn with every entry, in no particular order; fn must not change
 * the map. */
void nm_hmap_each(const nm_hmap_t *m, void (*fn)(void *arg, const char *key, size_t klen, void *val), void *arg);

#endif
