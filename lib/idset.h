/*
 * idset.h — a compact set of ids by 128-bit fingerprint, for checks over
 * millions of ids without keeping the ids (a streamed import's duplicate
 * ids, the fibers a snapshot holds). 16 bytes per id at most 50% load.
 *
 * Two ids are taken as equal when both 64-bit halves of their fingerprints
 * are: two independent hashes (FNV-1a and a seeded multiply-mix over
 * 8-byte words), so a false "already there" needs a 128-bit collision.
 * Not thread-safe. A zeroed nm_idset_t is an empty set.
 */
#ifndef NM_IDSET_H
#define NM_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nm_idset {
	uint64_t *slots;              /* pairs (a, b); (0, 0) = empty */
	size_t cap;                   /* pairs, power of two */
	size_t len;
} nm_idset_t;

/* Add id; false when it was already in the set. */
bool nm_idset_add(nm_idset_t *s, const char *id, size_t len);
bool nm_idset_has(const nm_idset_t *s, const char *id, size_t len);
void nm_idset_free(nm_idset_t *s);

#endif
