/*
 * jsonw.h — a streaming JSON writer.
 *
 * Why not jansson's json_dumps: jansson prints every double with 17
 * significant digits (0.7 → 0.69999999999999996), while the protocol wants
 * the shortest text that reads back to the same double, as Python's repr
 * does (PROTOCOL.md §1.7); and exports of large brains must be written
 * piecewise, without first building the whole document as a tree. Requests
 * are still parsed with jansson; this module only writes.
 *
 * Usage: nm_jw_obj(w); nm_jw_key(w, "id"); nm_jw_str(w, id); nm_jw_obj_end(w);
 * Commas and colons are inserted by the writer. The output accumulates in
 * w->buf (owned by the writer; take it with nm_buf_steal). When `sink` is
 * set, the buffer is handed to it whenever it passes `sink_threshold` bytes
 * and at nm_jw_flush(); a sink error sticks in w->error and later writes are
 * dropped. Not thread-safe: one writer per thread.
 */
#ifndef NM_JSONW_H
#define NM_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "model.h"

#define NM_JW_MAX_DEPTH 64 /* nesting of writer calls; json_t values nest freely */

typedef struct nm_jw {
	nm_buf_t buf;
	int depth;
	bool need_comma[NM_JW_MAX_DEPTH + 1];
	bool after_key;
	/* optional sink for streaming */
	int (*sink)(void *arg, const char *p, size_t n);
	void *sink_arg;
	size_t sink_threshold;
	int error;             /* first sink error, 0 if none */
} nm_jw_t;

void nm_jw_init(nm_jw_t *w);
void nm_jw_free(nm_jw_t *w);
/* Hand buffered output to the sink (no-op without one). Returns w->error. */
int nm_jw_flush(nm_jw_t *w);

void nm_jw_obj(nm_jw_t *w);
void nm_jw_obj_end(nm_jw_t *w);
void nm_jw_arr(nm_jw_t *w);
void nm_jw_arr_end(nm_jw_t *w);
void nm_jw_key(nm_jw_t *w, const char *key);

void nm_jw_str(nm_jw_t *w, const char *s);            /* NULL writes null */
void nm_jw_strn(nm_jw_t *w, const char *s, size_t n);
void nm_jw_int(nm_jw_t *w, int64_t v);
void nm_jw_real(nm_jw_t *w, double v);                /* shortest round-trip form */
void nm_jw_bool(nm_jw_t *w, bool v);
void nm_jw_null(nm_jw_t *w);
void nm_jw_time(nm_jw_t *w, int64_t t);              /* NM_TIME_NONE writes null */
void nm_jw_strv(nm_jw_t *w, const nm_strv_t *sv);
/* A value already serialised as JSON (trusted text, e.g. stored metadata). */
void nm_jw_raw(nm_jw_t *w, const char *json);
void nm_jw_json(nm_jw_t *w, const json_t *v);         /* borrowed */
/* The members of a serialised object (trusted text "{...}"), written into
 * the object open now, after what it already holds. */
void nm_jw_members(nm_jw_t *w, const char *obj);
/* End an NDJSON line: a newline after a complete top-level value; the
 * next value starts a new line (no comma). */
void nm_jw_line(nm_jw_t *w);

/* Shortest text for v that strtod reads back exactly, in Python repr style
 * ("0.7", "1.0", "1e-05", "1e+16"). buf needs 32 bytes; returns length. */
int nm_jw_format_double(double v, char *buf);

/* Serialise a jansson value to an owned compact JSON string (free()). */
char *nm_json_text(const json_t *v);

#endif
