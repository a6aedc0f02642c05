/*
 * jsonscan.h — a pull-based incremental JSON scanner and an NDJSON line
 * reader, for importing documents too large to hold in memory (a brain
 * snapshot of millions of elements).
 *
 * The caller walks the document's outer structure itself (objects member by
 * member, arrays element by element) and takes each interesting value whole
 * as a jansson tree (nm_jscan_value), or skips it (nm_jscan_skip). Memory
 * use is one input window (64 KiB) plus the largest single captured value,
 * whatever the size of the document.
 *
 * Usage for {"neurons": [{...}, ...], ...}:
 *
 *	nm_jscan_obj_begin(s, err);
 *	while ((rc = nm_jscan_obj_next(s, &key, err)) == 1) {
 *		if (strcmp(key, "neurons") == 0) {
 *			nm_jscan_arr_begin(s, err);
 *			while ((rc = nm_jscan_arr_next(s, err)) == 1)
 *				nm_jscan_value(s, &v, err) ... json_decref(v);
 *		} else {
 *			nm_jscan_skip(s, err);
 *		}
 *	}
 *	nm_jscan_end(s, err);
 *
 * (every rc < 0 must of course be checked). Errors: malformed JSON is
 * NM_ST_INVALID with a detail like "invalid JSON at byte 1234: expected ','
 * or '}'"; a value or line over max_value is NM_ST_TOO_LARGE; reader errors
 * come back unchanged; calling in the wrong order (e.g. obj_next while a
 * member value is still unread) is NM_ST_INTERNAL. Errors are sticky:
 * after the first one every call returns it again.
 *
 * The JSON calls and nm_jscan_line are two modes: use one or the other on a
 * scanner, not both. Not thread-safe: one scanner per thread (a scanner may
 * move between threads between calls).
 */
#ifndef NM_JSONSCAN_H
#define NM_JSONSCAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define NM_JSCAN_BUFSIZE (64 * 1024) /* input window of nm_jscan_new */

/* A blocking byte source: read up to cap (> 0) bytes into buf; returns the
 * number of bytes read (> 0), 0 at end of input (read is not called again),
 * or < 0 for an error: a negative NM_ST_* status with err filled, which the
 * scanner passes through unchanged. */
typedef struct nm_reader {
	ssize_t (*read)(void *arg, char *buf, size_t cap, nm_err_t *err);
	void *arg;
} nm_reader_t;

typedef struct nm_jscan nm_jscan_t;

/* Owned scanner (nm_jscan_free) reading from rd; rd.arg is borrowed and
 * must outlive the scanner. max_value (> 0): the largest single captured
 * value, object key or NDJSON line in bytes; larger is NM_ST_TOO_LARGE.
 * max_depth (>= 1): the deepest container nesting inside one value read by
 * nm_jscan_value or nm_jscan_skip (counted from that value: [[1]] is 2), and
 * separately the deepest nesting of obj_begin/arr_begin calls. Returns NULL
 * on invalid arguments. */
nm_jscan_t *nm_jscan_new(nm_reader_t rd, size_t max_value, int max_depth);
/* nm_jscan_new with a chosen input window (>= 1 byte). Tests use tiny
 * windows to drive every path across window refills. */
nm_jscan_t *nm_jscan_new_buf(nm_reader_t rd, size_t max_value, int max_depth, size_t bufsize);
void nm_jscan_free(nm_jscan_t *s); /* NULL is a no-op */

/* Bytes of input consumed so far (for error messages). */
int64_t nm_jscan_offset(const nm_jscan_t *s);

/* Objects: nm_jscan_obj_begin consumes '{' (anything else is an error).
 * Then call nm_jscan_obj_next until it returns 0: 1 when a member follows —
 * the key and ':' are consumed and *key is set (borrowed from the scanner,
 * valid until the next call; a key containing \u0000 is an error) — 0 when
 * the object closed ('}'), < 0 on error (*key is NULL then). Commas are the
 * scanner's business.
 * After 1 the caller MUST consume the member value with nm_jscan_value,
 * nm_jscan_skip, nm_jscan_obj_begin or nm_jscan_arr_begin. */
int nm_jscan_obj_begin(nm_jscan_t *s, nm_err_t *err);
int nm_jscan_obj_next(nm_jscan_t *s, const char **key, nm_err_t *err);

/* Arrays: the same pattern; nm_jscan_arr_next returns 1 when an element
 * follows (not consumed: the caller MUST consume it as above), 0 when the
 * array closed (']'). */
int nm_jscan_arr_begin(nm_jscan_t *s, nm_err_t *err);
int nm_jscan_arr_next(nm_jscan_t *s, nm_err_t *err);

/* The next complete value (any type), parsed by jansson with
 * JSON_DECODE_ANY | JSON_ALLOW_NUL. On success *out is a new reference;
 * on error it is NULL. */
int nm_jscan_value(nm_jscan_t *s, json_t **out, nm_err_t *err);

/* The next complete value, validated and discarded. Not limited by
 * max_value (it streams); still limited by max_depth. Strings are checked
 * for escapes and raw control characters but not for UTF-8 or unpaired
 * \u surrogates: skipped text is never stored. */
int nm_jscan_skip(nm_jscan_t *s, nm_err_t *err);

/* The first byte of the next value, not consumed: '{', '[', '"', 'n', 't',
 * 'f', or '-' / a digit for a number; 0 at end of input; < 0 on error
 * (including a byte that cannot start a value). */
int nm_jscan_peek(nm_jscan_t *s, nm_err_t *err);

/* After the top-level value: only whitespace may follow until the end of
 * input. Returns 0, or < 0 (trailing data, an empty document, or the
 * top-level value not fully consumed). */
int nm_jscan_end(nm_jscan_t *s, nm_err_t *err);

/* NDJSON: the next line, without its '\n' and a '\r' before it. Returns 1
 * with *line and *len set (borrowed, valid until the next call; NUL-terminated
 * for convenience, though the line itself may hold NUL bytes), 0 at end of
 * input, < 0 on error. A last line without '\n' counts; blank lines are
 * returned with len 0 (the caller skips them). A line longer than
 * max_value is NM_ST_TOO_LARGE. */
int nm_jscan_line(nm_jscan_t *s, const char **line, size_t *len, nm_err_t *err);
/* The 1-based number of the line last returned (0 before the first). */
int64_t nm_jscan_lineno(const nm_jscan_t *s);

/* Heap bytes held by the scanner right now (window, capture and key
 * buffers, stacks). For tests and diagnostics: it must stay independent of
 * the document size. */
size_t nm_jscan_footprint(const nm_jscan_t *s);

#endif
