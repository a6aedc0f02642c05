/*
 * qcache.h — a brain's cache of recent query answers.
 *
 * The key is whatever the caller says determines an answer (query text,
 * depth, engine mode and config, reference-time bucket, …); the value is
 * opaque bytes. Every entry carries the brain's content generation
 * (nm_brain_content_gen) at the moment the query began: a look-up with a
 * newer generation finds nothing and empties the cache, so a value is
 * never served once a later write has been acknowledged. Bounded in bytes
 * (keys, values and bookkeeping), least recently used evicted first.
 * Thread-safe: one mutex per cache.
 */
#ifndef NM_QCACHE_H
#define NM_QCACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct nm_qcache nm_qcache_t;

/* A cache of at most max_bytes; NULL when max_bytes is 0 (no cache). */
nm_qcache_t *nm_qcache_new(size_t max_bytes);
void nm_qcache_free(nm_qcache_t *c);
/* A copy of key's value stored at generation gen (malloc'd, *vlen set),
 * or NULL. c may be NULL. */
char *nm_qcache_get(nm_qcache_t *c, const void *key, size_t klen, uint64_t gen, size_t *vlen);
/* Store a copy of val for key at generation gen; ignored when gen is
 * older than the cache's (the answer predates a write) or the entry
 * alone would exceed the bound. c may be NULL. */
void nm_qcache_put(nm_qcache_t *c, const void *key, size_t klen, uint64_t gen, const void *val, size_t vlen);
/* Bytes held now. */
size_t nm_qcache_bytes(nm_qcache_t *c);

#endif
