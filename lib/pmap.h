/*
 * pmap.h — a pointer-keyed hash map (open addressing, linear probing, no
 * deletion).
 *
 * For hot loops over ids a graph hands out: graph.h guarantees one pointer
 * per id for the life of a graph, so identity is pointer equality and no
 * string is hashed or compared. Keys are not dereferenced. Values are
 * non-zero integers (0 means "absent"). Not thread-safe: owned by the
 * function or structure that declares it.
 */
#ifndef NM_PMAP_H
#define NM_PMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct nm_pmap_slot {
	const void *key;  /* NULL = empty */
	uintptr_t val;
} nm_pmap_slot_t;

typedef struct nm_pmap {
	nm_pmap_slot_t *slots;
	size_t cap;       /* power of two, or 0 */
	size_t len;
} nm_pmap_t;

/* A zeroed nm_pmap_t is an empty map. */
void nm_pmap_free(nm_pmap_t *m);
/* The value for key, or 0. */
uintptr_t nm_pmap_get(const nm_pmap_t *m, const void *key);
/* Insert or replace (val != 0, key != NULL). */
void nm_pmap_put(nm_pmap_t *m, const void *key, uintptr_t val);

#endif
