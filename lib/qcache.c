/*
 * qcache.c — see qcache.h.
 *
 * Entries live in one allocation each (header, key, value), indexed by
 * an nm_hmap keyed on the entry's own key bytes and threaded on a doubly
 * linked list, most recently used first. Invariants, under mu: every
 * entry has generation c->gen; bytes is the sum of entry sizes and at
 * most max_bytes after every put.
 */
#include "qcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "mem.h"

typedef struct entry {
	struct entry *prev, *next;
	size_t klen, vlen;
	char data[];              /* key bytes, then value bytes */
} entry_t;

struct nm_qcache {
	pthread_mutex_t mu;
	nm_hmap_t map;            /* key → entry_t* */
	entry_t *head, *tail;     /* most / least recently used */
	uint64_t gen;
	size_t bytes, max_bytes;
};

static size_t entry_size(const entry_t *e)
{
	return sizeof *e + e->klen + e->vlen + sizeof(nm_hmap_slot_t) * 2; /* the map's share, roughly */
}

static void unlink_entry(nm_qcache_t *c, entry_t *e)
{
	*(e->prev ? &e->prev->next : &c->head) = e->next;
	*(e->next ? &e->next->prev : &c->tail) = e->prev;
}

static void push_front(nm_qcache_t *c, entry_t *e)
{
	e->prev = NULL;
	e->next = c->head;
	*(c->head ? &c->head->prev : &c->tail) = e;
	c->head = e;
}

static void drop(nm_qcache_t *c, entry_t *e)
{
	unlink_entry(c, e);
	nm_hmap_del(&c->map, e->data, e->klen);
	c->bytes -= entry_size(e);
	free(e);
}

static void clear(nm_qcache_t *c)
{
	while (c->head)
		drop(c, c->head);
	nm_hmap_free(&c->map);
}

nm_qcache_t *nm_qcache_new(size_t max_bytes)
{
	if (!max_bytes)
		return NULL;
	nm_qcache_t *c = nm_xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
	c->max_bytes = max_bytes;
	return c;
}

void nm_qcache_free(nm_qcache_t *c)
{
	if (!c)
		return;
	clear(c);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* mu held: make gen current (a newer generation empties the cache);
 * false when gen is older than the cache's. */
static bool at_gen(nm_qcache_t *c, uint64_t gen)
{
	if (gen < c->gen)
		return false;
	if (gen > c->gen) {
		clear(c);
		c->gen = gen;
	}
	return true;
}

char *nm_qcache_get(nm_qcache_t *c, const void *key, size_t klen, uint64_t gen, size_t *vlen)
{
	if (!c)
		return NULL;
	char *out = NULL;
	pthread_mutex_lock(&c->mu);
	entry_t *e = at_gen(c, gen) ? nm_hmap_get(&c->map, key, klen) : NULL;
	if (e) {
		unlink_entry(c, e);
		push_front(c, e);
		out = nm_xmalloc(e->vlen + 1);
		memcpy(out, e->data + e->klen, e->vlen);
		out[e->vlen] = '\0';
		*vlen = e->vlen;
	}
	pthread_mutex_unlock(&c->mu);
	return out;
}

void nm_qcache_put(nm_qcache_t *c, const void *key, size_t klen, uint64_t gen, const void *val, size_t vlen)
{
	if (!c)
		return;
	entry_t *e = nm_xmalloc(sizeof *e + klen + vlen);
	e->klen = klen;
	e->vlen = vlen;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, val, vlen);
	pthread_mutex_lock(&c->mu);
	if (!at_gen(c, gen) || entry_size(e) > c->max_bytes) {
		pthread_mutex_unlock(&c->mu);
		free(e);
		return;
	}
	entry_t *old = nm_hmap_get(&c->map, e->data, klen);
	if (old)
		drop(c, old);
	while (c->bytes + entry_size(e) > c->max_bytes)
		drop(c, c->tail);
	nm_hmap_put(&c->map, e->data, klen, e);
	push_front(c, e);
	c->bytes += entry_size(e);
	pthread_mutex_unlock(&c->mu);
}

size_t nm_qcache_bytes(nm_qcache_t *c)
{
	if (!c)
		return 0;
	pthread_mutex_lock(&c->mu);
	size_t n = c->bytes;
	pthread_mutex_unlock(&c->mu);
	return n;
}
