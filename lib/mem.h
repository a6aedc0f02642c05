/*
 * mem.h — allocation helpers and a growable byte buffer.
 *
 * Out-of-memory policy (as Redis's zmalloc): the nm_x* allocators abort the
 * process when malloc fails. Every other failure is reported to the caller;
 * an allocation failure is not something a client can provoke past the
 * configured body and content limits, and recovering from it half-way
 * through an SQLite transaction would be worse than a clean restart.
 */
#ifndef NM_MEM_H
#define NM_MEM_H

#include <stddef.h>
#include <stdint.h>

void *nm_xmalloc(size_t n);
void *nm_xcalloc(size_t n, size_t size);
void *nm_xrealloc(void *p, size_t n);
/* Owned copy of s (NULL → NULL). */
char *nm_xstrdup(const char *s);
/* Owned NUL-terminated copy of the n bytes at s. */
char *nm_xstrndup(const char *s, size_t n);
/* Owned printf-formatted string. */
char *nm_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer. `data` is owned by the buffer; it is always
 * NUL-terminated after any append (len excludes the NUL), so text can be
 * used as a C string. A zeroed struct is a valid empty buffer. */
typedef struct nm_buf {
	char *data;
	size_t len;
	size_t cap;
} nm_buf_t;

void nm_buf_reserve(nm_buf_t *b, size_t extra);
void nm_buf_append(nm_buf_t *b, const void *p, size_t n);
void nm_buf_puts(nm_buf_t *b, const char *s);
void nm_buf_putc(nm_buf_t *b, char c);
void nm_buf_printf(nm_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nm_buf_reset(nm_buf_t *b);      /* len = 0, memory kept */
void nm_buf_free(nm_buf_t *b);       /* releases memory, buffer is empty again */
/* Hands the data over to the caller (owned, free()), buffer becomes empty. */
char *nm_buf_steal(nm_buf_t *b, size_t *len);

/* 64-bit FNV-1a over n bytes: stable across runs and versions (it is stored
 * on disk as the content-hash index key). */
uint64_t nm_hash64(const void *p, size_t n);

#endif
