/*
 * err.h — the error report every fallible lib/ call can fill.
 *
 * Modelled on jansson's json_error_t: the caller owns the struct (usually on
 * the stack) and passes a pointer, or NULL when it does not care. `status`
 * uses HTTP status numbers as the shared list of error kinds so that lib/
 * stays HTTP-free while server/ can answer {"detail": ...} without a mapping
 * table. `detail` is the human-readable text sent to clients: it never holds
 * a stack trace, a file path or an SQL statement.
 */
#ifndef NM_ERR_H
#define NM_ERR_H

#include <stdarg.h>

#include "text.h"

enum {
	NM_ST_OK = 0,
	NM_ST_BAD_REQUEST = 400,   /* unknown enum value */
	NM_ST_FORBIDDEN = 403,
	NM_ST_NOT_FOUND = 404,
	NM_ST_CONFLICT = 409,      /* duplicate id, job already running */
	NM_ST_TOO_LARGE = 413,
	NM_ST_INVALID = 422,       /* malformed or out-of-range input */
	NM_ST_INTERNAL = 500,
	NM_ST_UNAVAILABLE = 503,   /* storage unavailable, shutting down */
};

typedef struct nm_err {
	int status;        /* one of NM_ST_*; 0 when no error was recorded */
	char detail[512];  /* NUL-terminated UTF-8, truncated (on a character boundary) if longer */
} nm_err_t;

/* Record an error and return -status (so `return nm_err_set(...)` reads well
 * in functions returning int). `err` may be NULL. */
int nm_err_set(nm_err_t *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int nm_err_vset(nm_err_t *err, int status, const char *fmt, va_list ap);

/* "%.*s" arguments for an untrusted string in a detail: at most max bytes,
 * cut on a character boundary. */
#define NM_ERR_STR(s, max) nm_utf8_prefix((s), (max)), (s)

/* Prefix the existing detail with `prefix` (e.g. "synapses[3]."), keeping
 * the status. No-op when err is NULL. */
void nm_err_prefix(nm_err_t *err, const char *prefix);

#endif
