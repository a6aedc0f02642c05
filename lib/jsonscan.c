/*
 * jsonscan.c — the incremental JSON scanner and NDJSON line reader (see
 * jsonscan.h).
 *
 * Design. Input is read through a fixed window buf[0 .. end). The scanner
 * validates the JSON grammar itself (RFC 8259: strings with their escapes,
 * numbers, literals, commas, colons, nesting) byte by byte, but never builds
 * a tree: a value the caller wants is *captured* — its raw bytes collected —
 * and handed to jansson, which decodes it (UTF-8, \u surrogates, number
 * ranges). A value that lies inside the window is parsed in place; one that
 * straddles a window refill is copied piecewise into `cap`, which is
 * bounded by max_value. Skipped values are scanned and dropped, so their
 * size does not matter. Lines reuse the same capture machinery.
 *
 * Invariants:
 *  1. 0 <= pos <= end <= bufsize. buf[pos .. end) is unread input and
 *     base + pos is the document offset of buf[pos].
 *  2. The window is refilled only when it is fully read (pos == end); it is
 *     recycled (pos = end = 0) only when it is also full (end == bufsize).
 *     While `capturing`, recycling first appends buf[mark .. end) to cap and
 *     sets `flushed`, so a capture is always cap (if flushed) followed by
 *     buf[mark .. pos).
 *  3. cap never holds more than caplimit bytes: the limit is checked before
 *     each append (in fill and cap_end), never after.
 *  4. frames[0] is the document root; only the top frame changes state:
 *       PENDING -> AFTER        nm_jscan_value / _skip / _obj_begin /
 *                               _arr_begin (begin also pushes a FIRST frame)
 *       FIRST|AFTER -> PENDING  nm_jscan_obj_next / _arr_next returning 1
 *       FIRST|AFTER -> popped   nm_jscan_obj_next / _arr_next returning 0
 *     The root starts PENDING; nm_jscan_end wants it AFTER and alone.
 *  5. failed != 0 means `error` holds the first error; every public call
 *     then returns it again without reading (errors are sticky).
 *
 * Values are scanned with an explicit container stack (vstk), not by
 * recursion, so hostile nesting cannot overflow the C stack before the
 * max_depth check fires.
 *
 * Threads: a scanner is used by one thread at a time; it has no globals.
 * Deliberately not done: UTF-8 validation of skipped strings (the text is
 * thrown away), and any recovery after an error.
 */
#include "jsonscan.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* The "byte" returned by the peek helpers at end of input: outside 0..255
 * and non-negative, so it is told apart from bytes and from errors (< 0). */
#define JS_EOF 256

enum { F_FIRST, F_PENDING, F_AFTER };     /* frame_t.state, see invariant 4 */
enum { CAP_VALUE, CAP_KEY, CAP_LINE };    /* what is being captured (for messages) */

typedef struct frame {
	unsigned char type;   /* '{', '[', or 0 for the document root */
	unsigned char state;  /* F_* */
} frame_t;

struct nm_jscan {
	nm_reader_t rd;
	size_t max_value;
	int max_depth;

	/* the input window (invariants 1, 2) */
	char *buf;            /* bufsize + 1 bytes: the extra one takes a line's NUL */
	size_t bufsize;
	size_t pos;
	size_t end;
	int64_t base;         /* document offset of buf[0] */
	bool eof;             /* the reader returned 0: never call it again */

	/* the capture in progress (invariants 2, 3) */
	bool capturing;
	bool flushed;         /* part of the capture was moved to cap */
	int capkind;          /* CAP_* */
	size_t mark;          /* window index where the uncopied part starts */
	size_t caplimit;
	int64_t capstart;     /* document offset of the capture's first byte */
	nm_buf_t cap;         /* owned: a straddling value, key text or line */
	nm_buf_t key;         /* owned: the decoded key last returned */

	frame_t *frames;      /* owned: caller-driven containers, [0] = root */
	int nframes;
	int frames_cap;
	unsigned char *vstk;  /* owned: open containers of the value being scanned */
	int vstk_cap;

	int64_t lineno;       /* lines returned so far */
	int failed;           /* 0, or the sticky negative status (invariant 5) */
	nm_err_t error;       /* the report for `failed` */
};

/* ---- errors ---- */

static int fail(nm_jscan_t *s, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(nm_jscan_t *s, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nm_err_vset(&s->error, status, fmt, ap);
	va_end(ap);
	s->failed = -status;
	return -status;
}

/* Malformed input at the current byte c (JS_EOF at end of input). */
static int bad(nm_jscan_t *s, int c, const char *what)
{
	int64_t at = s->base + (int64_t)s->pos;
	if (c == JS_EOF)
		return fail(s, NM_ST_INVALID, "invalid JSON at byte %" PRId64 ": unexpected end of input (%s)",
		            at, what);
	if (c < 0x20)
		return fail(s, NM_ST_INVALID, "invalid JSON at byte %" PRId64 ": %s (found byte 0x%02x)",
		            at, what, c);
	return fail(s, NM_ST_INVALID, "invalid JSON at byte %" PRId64 ": %s", at, what);
}

/* The caller broke the call protocol of jsonscan.h: a bug, not bad input. */
static int misuse(nm_jscan_t *s, const char *what)
{
	return fail(s, NM_ST_INTERNAL, "JSON scanner misuse: %s", what);
}

static int too_deep(nm_jscan_t *s)
{
	return fail(s, NM_ST_INVALID, "invalid JSON at byte %" PRId64 ": nested deeper than %d levels",
	            s->base + (int64_t)s->pos, s->max_depth);
}

static int too_large(nm_jscan_t *s)
{
	switch (s->capkind) {
	case CAP_LINE:
		return fail(s, NM_ST_TOO_LARGE, "line %" PRId64 " is longer than %zu bytes",
		            s->lineno + 1, s->max_value);
	case CAP_KEY:
		return fail(s, NM_ST_TOO_LARGE, "object key at byte %" PRId64 " is longer than %zu bytes",
		            s->capstart, s->max_value);
	default:
		return fail(s, NM_ST_TOO_LARGE, "JSON value at byte %" PRId64 " is larger than %zu bytes",
		            s->capstart, s->max_value);
	}
}

/* Copy the sticky error out to the caller's struct. */
static int report(const nm_jscan_t *s, int rc, nm_err_t *err)
{
	if (rc < 0 && err)
		*err = s->error;
	return rc;
}

/* ---- the window ---- */

/* Read more input; requires pos == end. 1: more bytes are in the window,
 * 0: end of input, < 0: error (recorded). */
static int fill(nm_jscan_t *s)
{
	assert(s->pos == s->end);
	if (s->failed) /* never call the reader again after an error */
		return s->failed;
	if (s->eof)
		return 0;
	if (s->capturing && s->cap.len + (s->end - s->mark) > s->caplimit)
		return too_large(s);
	if (s->end == s->bufsize) {
		if (s->capturing) {
			nm_buf_append(&s->cap, s->buf + s->mark, s->end - s->mark);
			s->flushed = true;
			s->mark = 0;
		}
		s->base += (int64_t)s->end;
		s->pos = s->end = 0;
	}
	size_t room = s->bufsize - s->end;
	memset(&s->error, 0, sizeof s->error);
	ssize_t n = s->rd.read(s->rd.arg, s->buf + s->end, room, &s->error);
	if (n > 0 && (size_t)n <= room) {
		s->end += (size_t)n;
		return 1;
	}
	if (n == 0) {
		s->eof = true;
		return 0;
	}
	if (n > 0)
		return misuse(s, "reader returned more bytes than asked for");
	if (s->error.status == 0 || n < INT_MIN)
		return fail(s, NM_ST_INTERNAL, "read error at byte %" PRId64, s->base + (int64_t)s->end);
	s->failed = (int)n; /* the reader's own status and detail, unchanged */
	return (int)n;
}

static int peek_slow(nm_jscan_t *s)
{
	int rc = fill(s);
	if (rc <= 0)
		return rc < 0 ? rc : JS_EOF;
	return (unsigned char)s->buf[s->pos];
}

/* The next byte, not consumed; JS_EOF or < 0 (error). */
static inline int peekc(nm_jscan_t *s)
{
	if (s->pos < s->end)
		return (unsigned char)s->buf[s->pos];
	return peek_slow(s);
}

/* Skip whitespace; then as peekc. */
static int peek_token(nm_jscan_t *s)
{
	for (;;) {
		while (s->pos < s->end) {
			unsigned char c = (unsigned char)s->buf[s->pos];
			if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
				return c;
			s->pos++;
		}
		int rc = fill(s);
		if (rc <= 0)
			return rc < 0 ? rc : JS_EOF;
	}
}

static bool starts_value(int c)
{
	return c == '{' || c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n' || c == '-' ||
	       (c >= '0' && c <= '9');
}

/* ---- capture (invariants 2, 3) ---- */

static void cap_begin(nm_jscan_t *s, int kind, size_t limit)
{
	nm_buf_reset(&s->cap);
	s->capturing = true;
	s->flushed = false;
	s->capkind = kind;
	s->mark = s->pos;
	s->caplimit = limit;
	s->capstart = s->base + (int64_t)s->pos;
}

/* End the capture at pos: *p and *n receive every byte since cap_begin,
 * borrowed (the window or cap), valid until the window is next read. */
static int cap_end(nm_jscan_t *s, char **p, size_t *n)
{
	size_t tail = s->pos - s->mark;
	s->capturing = false;
	if (s->cap.len + tail > s->caplimit)
		return too_large(s);
	if (!s->flushed) {
		*p = s->buf + s->mark;
		*n = tail;
		return 0;
	}
	nm_buf_append(&s->cap, s->buf + s->mark, tail);
	*p = s->cap.data;
	*n = s->cap.len;
	return 0;
}

/* ---- tokens ---- */

/* True when one of the 8 bytes in w is '"', '\\' or below 0x20. Each term
 * is the exact "some byte is zero / less than n" test from Bit Twiddling
 * Hacks (false positives only occur above a true hit, so the OR is exact). */
static inline bool word_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"');
	uint64_t b = w ^ (ones * '\\');
	return ((((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & high) != 0;
}

/* Length of the run of plain string bytes at p (at most n): the tight
 * loop of the scanner, 8 bytes a step. */
static size_t string_run(const char *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (word_special(w))
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\' || c < 0x20)
			break;
	}
	return i;
}

static bool is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* After a backslash: one escape. \u must have 4 hex digits; whether they
 * pair up as surrogates is jansson's check (captured values and keys). */
static int scan_escape(nm_jscan_t *s)
{
	int c = peekc(s);
	switch (c) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		s->pos++;
		return 0;
	case 'u':
		s->pos++;
		for (int i = 0; i < 4; i++) {
			c = peekc(s);
			if (c < 0)
				return c;
			if (!is_hex(c))
				return bad(s, c, "invalid \\u escape in string");
			s->pos++;
		}
		return 0;
	default:
		return c < 0 ? c : bad(s, c, "invalid escape in string");
	}
}

/* Consume a string from its opening '"'. *escaped (may be NULL) is set
 * when the string holds an escape. */
static int scan_string(nm_jscan_t *s, bool *escaped)
{
	s->pos++;
	for (;;) {
		s->pos += string_run(s->buf + s->pos, s->end - s->pos);
		if (s->pos == s->end) {
			int rc = fill(s);
			if (rc < 0)
				return rc;
			if (rc == 0)
				return bad(s, JS_EOF, "unterminated string");
			continue;
		}
		unsigned char c = (unsigned char)s->buf[s->pos];
		if (c == '"') {
			s->pos++;
			return 0;
		}
		if (c != '\\')
			return bad(s, c, "unescaped control character in string");
		s->pos++;
		if (escaped)
			*escaped = true;
		int rc = scan_escape(s);
		if (rc < 0)
			return rc;
	}
}

/* One or more digits. */
static int scan_digits(nm_jscan_t *s)
{
	int c, n = 0;
	while ((c = peekc(s)) >= '0' && c <= '9') {
		s->pos++;
		n++;
	}
	if (c < 0)
		return c;
	return n ? 0 : bad(s, c, "expected a digit in number");
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? — what follows is the
 * caller's business ("01" ends after "0" and the '1' is then unexpected). */
static int scan_number(nm_jscan_t *s)
{
	int c = peekc(s), rc;
	if (c == '-') {
		s->pos++;
		c = peekc(s);
	}
	if (c == '0')
		s->pos++;
	else if ((rc = scan_digits(s)) < 0)
		return rc;
	c = peekc(s);
	if (c == '.') {
		s->pos++;
		if ((rc = scan_digits(s)) < 0)
			return rc;
		c = peekc(s);
	}
	if (c == 'e' || c == 'E') {
		s->pos++;
		c = peekc(s);
		if (c == '+' || c == '-')
			s->pos++;
		if ((rc = scan_digits(s)) < 0)
			return rc;
		c = peekc(s);
	}
	return c < 0 ? c : 0;
}

static int scan_literal(nm_jscan_t *s, const char *lit, const char *what)
{
	for (const char *p = lit; *p; p++) {
		int c = peekc(s);
		if (c < 0)
			return c;
		if (c != (unsigned char)*p)
			return bad(s, c, what);
		s->pos++;
	}
	return 0;
}

/* A non-container value starting with byte c. */
static int scan_scalar(nm_jscan_t *s, int c)
{
	switch (c) {
	case '"':
		return scan_string(s, NULL);
	case 't':
		return scan_literal(s, "true", "invalid literal, expected true");
	case 'f':
		return scan_literal(s, "false", "invalid literal, expected false");
	case 'n':
		return scan_literal(s, "null", "invalid literal, expected null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return scan_number(s);
		return bad(s, c, "expected a value");
	}
}

/* A member's key and ':' inside a scanned value; `what` names what was
 * expected when the key is missing. */
static int scan_key(nm_jscan_t *s, const char *what)
{
	int c = peek_token(s);
	if (c < 0)
		return c;
	if (c != '"')
		return bad(s, c, what);
	int rc = scan_string(s, NULL);
	if (rc < 0)
		return rc;
	c = peek_token(s);
	if (c < 0)
		return c;
	if (c != ':')
		return bad(s, c, "expected ':'");
	s->pos++;
	return 0;
}

/* Open container c ('{' or '[') at nesting *depth inside a scanned value.
 * 1: a value follows (an object's first key is consumed), 0: it was empty
 * and is closed again. */
static int open_container(nm_jscan_t *s, int *depth, int c)
{
	if (*depth >= s->max_depth)
		return too_deep(s);
	if (*depth >= s->vstk_cap) {
		int cap = s->vstk_cap ? 2 * s->vstk_cap : 16;
		s->vstk = nm_xrealloc(s->vstk, (size_t)cap);
		s->vstk_cap = cap;
	}
	s->vstk[(*depth)++] = (unsigned char)c;
	s->pos++;
	int next = peek_token(s);
	if (next < 0)
		return next;
	if (next == (c == '{' ? '}' : ']')) {
		s->pos++;
		(*depth)--;
		return 0;
	}
	if (c == '[')
		return 1;
	int rc = scan_key(s, "expected string or '}'");
	return rc < 0 ? rc : 1;
}

/* Consume and validate one complete value. */
static int scan_value(nm_jscan_t *s)
{
	int depth = 0, c, rc;
	bool want_value = true;

	for (;;) {
		if (want_value) {
			c = peek_token(s);
			if (c < 0)
				return c;
			if (c == '{' || c == '[')
				rc = open_container(s, &depth, c);
			else
				rc = scan_scalar(s, c);
			if (rc < 0)
				return rc;
			want_value = rc == 1;
			continue;
		}
		if (depth == 0)
			return 0;
		unsigned char open = s->vstk[depth - 1];
		c = peek_token(s);
		if (c < 0)
			return c;
		if (c == ',') {
			s->pos++;
			if (open == '{' && (rc = scan_key(s, "expected string")) < 0)
				return rc;
			want_value = true;
		} else if (c == (open == '{' ? '}' : ']')) {
			s->pos++;
			depth--;
		} else {
			return bad(s, c, open == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
}

/* ---- the caller's frames (invariant 4) ---- */

static frame_t *top(nm_jscan_t *s)
{
	return &s->frames[s->nframes - 1];
}

/* The caller is about to consume a value: there must be one pending. */
static int take_value(nm_jscan_t *s)
{
	frame_t *f = top(s);
	if (f->state != F_PENDING)
		return misuse(s, f->type ? "no value expected here (call obj_next/arr_next first)"
		                         : "the top-level value was already read");
	f->state = F_AFTER;
	return 0;
}

static int begin(nm_jscan_t *s, int type)
{
	int rc = take_value(s);
	if (rc < 0)
		return rc;
	int c = peek_token(s);
	if (c < 0)
		return c;
	if (c != type)
		return bad(s, c, type == '{' ? "expected '{'" : "expected '['");
	if (s->nframes > s->max_depth)
		return too_deep(s);
	if (s->nframes == s->frames_cap) {
		s->frames_cap *= 2;
		s->frames = nm_xrealloc(s->frames, (size_t)s->frames_cap * sizeof *s->frames);
	}
	s->frames[s->nframes++] = (frame_t){.type = (unsigned char)type, .state = F_FIRST};
	s->pos++;
	return 0;
}

/* Read an object key from its '"' into s->key. Keys without escapes or
 * non-ASCII bytes are copied as they are; the rest go through jansson,
 * which decodes escapes and surrogate pairs and validates UTF-8. */
static int read_key(nm_jscan_t *s)
{
	bool escaped = false;
	char *p = NULL;
	size_t n = 0;
	cap_begin(s, CAP_KEY, s->max_value + 2); /* + the quotes */
	int rc = scan_string(s, &escaped);
	if (rc < 0 || (rc = cap_end(s, &p, &n)) < 0)
		return rc;
	nm_buf_reset(&s->key);
	bool ascii = !escaped;
	for (size_t i = 1; ascii && i + 1 < n; i++)
		ascii = (unsigned char)p[i] < 0x80;
	if (ascii) {
		nm_buf_append(&s->key, p + 1, n - 2);
		return 0;
	}
	json_error_t je;
	json_t *k = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!k)
		return fail(s, NM_ST_INVALID, "invalid JSON at byte %" PRId64 ": %s", s->capstart + je.position,
		            je.text);
	const char *v = json_string_value(k);
	size_t len = json_string_length(k);
	if (memchr(v, '\0', len))
		rc = fail(s, NM_ST_INVALID, "invalid JSON at byte %" PRId64 ": object key contains \\u0000",
		          s->capstart);
	else
		nm_buf_append(&s->key, v, len);
	json_decref(k);
	return rc;
}

/* Step to the next item of the open container (type '{' or '['): *closed
 * when it ended, else the item's first byte (past the comma after an
 * earlier item; 0 at the end of input); *fp is the container's frame. */
static int next_item(nm_jscan_t *s, char type, frame_t **fp, bool *closed)
{
	frame_t *f = *fp = top(s);
	char close = type == '{' ? '}' : ']';
	if (f->type != type || f->state == F_PENDING)
		return misuse(s, f->type != type ? (type == '{' ? "obj_next outside an object" : "arr_next outside an array")
		                                 : (type == '{' ? "member value not consumed" : "array element not consumed"));
	int c = peek_token(s);
	if (c < 0)
		return c;
	*closed = c == close;
	if (*closed) {
		s->pos++;
		s->nframes--;
		return 0;
	}
	if (f->state != F_AFTER)
		return c;
	if (c != ',')
		return bad(s, c, type == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
	s->pos++;
	return peek_token(s);
}

static int obj_next(nm_jscan_t *s, const char **key)
{
	frame_t *f;
	bool first = top(s)->state != F_AFTER, closed = false;
	int c = next_item(s, '{', &f, &closed);
	if (c < 0 || closed)
		return c;
	if (c != '"')
		return bad(s, c, first ? "expected string or '}'" : "expected string");
	int rc = read_key(s);
	if (rc < 0)
		return rc;
	if ((c = peek_token(s)) < 0)
		return c;
	if (c != ':')
		return bad(s, c, "expected ':'");
	s->pos++;
	f->state = F_PENDING;
	*key = s->key.data;
	return 1;
}

static int arr_next(nm_jscan_t *s)
{
	frame_t *f;
	bool first = top(s)->state != F_AFTER, closed = false;
	int c = next_item(s, '[', &f, &closed);
	if (c < 0 || closed)
		return c;
	if (!starts_value(c))
		return bad(s, c, first ? "expected a value or ']'" : "expected a value");
	f->state = F_PENDING;
	return 1;
}

/* ---- whole values ---- */

static int value(nm_jscan_t *s, json_t **out)
{
	char *p = NULL;
	size_t n = 0;
	int rc = take_value(s);
	if (rc < 0)
		return rc;
	int c = peek_token(s);
	if (c < 0)
		return c;
	if (c == JS_EOF)
		return bad(s, c, "expected a value");
	cap_begin(s, CAP_VALUE, s->max_value);
	if ((rc = scan_value(s)) < 0 || (rc = cap_end(s, &p, &n)) < 0)
		return rc;
	json_error_t je;
	*out = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!*out)
		return fail(s, NM_ST_INVALID, "invalid JSON at byte %" PRId64 ": %s", s->capstart + je.position,
		            je.text);
	return 0;
}

static int skip(nm_jscan_t *s)
{
	int rc = take_value(s);
	if (rc < 0)
		return rc;
	int c = peek_token(s);
	if (c < 0)
		return c;
	if (c == JS_EOF)
		return bad(s, c, "expected a value");
	return scan_value(s);
}

static int end(nm_jscan_t *s)
{
	if (s->nframes != 1)
		return misuse(s, "nm_jscan_end with containers still open");
	int c = peek_token(s);
	if (c < 0)
		return c;
	if (s->frames[0].state == F_PENDING)
		return c == JS_EOF ? bad(s, c, "expected a value") : misuse(s, "the top-level value was not read");
	if (c != JS_EOF)
		return bad(s, c, "unexpected data after the top-level value");
	return 0;
}

/* ---- NDJSON ---- */

static int line(nm_jscan_t *s, const char **out, size_t *len)
{
	char *p = NULL, *nl = NULL;
	size_t n = 0;
	int rc;

	cap_begin(s, CAP_LINE, s->max_value + 1); /* + room for a '\r' */
	for (;;) {
		nl = memchr(s->buf + s->pos, '\n', s->end - s->pos);
		if (nl) {
			s->pos = (size_t)(nl - s->buf);
			break;
		}
		s->pos = s->end;
		if ((rc = fill(s)) < 0)
			return rc;
		if (rc == 0)
			break;
	}
	if ((rc = cap_end(s, &p, &n)) < 0)
		return rc;
	if (nl)
		s->pos++;
	else if (n == 0)
		return 0;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > s->max_value)
		return too_large(s);
	/* In the window this overwrites the consumed '\n' or '\r', or the spare
	 * byte after a full window; in cap it is the buffer's own NUL slot. */
	p[n] = '\0';
	s->lineno++;
	*out = p;
	*len = n;
	return 1;
}

/* ---- public API ---- */

nm_jscan_t *nm_jscan_new_buf(nm_reader_t rd, size_t max_value, int max_depth, size_t bufsize)
{
	if (!rd.read || max_value == 0 || max_depth < 1 || bufsize == 0 || bufsize > SIZE_MAX / 2)
		return NULL;
	nm_jscan_t *s = nm_xcalloc(1, sizeof *s);
	s->rd = rd;
	s->max_value = max_value > SIZE_MAX / 4 ? SIZE_MAX / 4 : max_value; /* room for the +2s */
	s->max_depth = max_depth;
	s->bufsize = bufsize;
	s->buf = nm_xmalloc(bufsize + 1);
	s->frames_cap = 8;
	s->frames = nm_xmalloc((size_t)s->frames_cap * sizeof *s->frames);
	s->frames[0] = (frame_t){.type = 0, .state = F_PENDING};
	s->nframes = 1;
	return s;
}

nm_jscan_t *nm_jscan_new(nm_reader_t rd, size_t max_value, int max_depth)
{
	return nm_jscan_new_buf(rd, max_value, max_depth, NM_JSCAN_BUFSIZE);
}

void nm_jscan_free(nm_jscan_t *s)
{
	if (!s)
		return;
	free(s->buf);
	nm_buf_free(&s->cap);
	nm_buf_free(&s->key);
	free(s->frames);
	free(s->vstk);
	free(s);
}

int64_t nm_jscan_offset(const nm_jscan_t *s)
{
	return s->base + (int64_t)s->pos;
}

int64_t nm_jscan_lineno(const nm_jscan_t *s)
{
	return s->lineno;
}

size_t nm_jscan_footprint(const nm_jscan_t *s)
{
	return sizeof *s + s->bufsize + 1 + s->cap.cap + s->key.cap +
	       (size_t)s->frames_cap * sizeof *s->frames + (size_t)s->vstk_cap;
}

int nm_jscan_obj_begin(nm_jscan_t *s, nm_err_t *err)
{
	return report(s, s->failed ? s->failed : begin(s, '{'), err);
}

int nm_jscan_obj_next(nm_jscan_t *s, const char **key, nm_err_t *err)
{
	*key = NULL;
	return report(s, s->failed ? s->failed : obj_next(s, key), err);
}

int nm_jscan_arr_begin(nm_jscan_t *s, nm_err_t *err)
{
	return report(s, s->failed ? s->failed : begin(s, '['), err);
}

int nm_jscan_arr_next(nm_jscan_t *s, nm_err_t *err)
{
	return report(s, s->failed ? s->failed : arr_next(s), err);
}

int nm_jscan_value(nm_jscan_t *s, json_t **out, nm_err_t *err)
{
	*out = NULL;
	return report(s, s->failed ? s->failed : value(s, out), err);
}

int nm_jscan_skip(nm_jscan_t *s, nm_err_t *err)
{
	return report(s, s->failed ? s->failed : skip(s), err);
}

int nm_jscan_peek(nm_jscan_t *s, nm_err_t *err)
{
	if (s->failed)
		return report(s, s->failed, err);
	int c = peek_token(s);
	if (c >= 0 && c != JS_EOF && !starts_value(c))
		c = bad(s, c, "expected a value");
	return report(s, c == JS_EOF ? 0 : c, err);
}

int nm_jscan_end(nm_jscan_t *s, nm_err_t *err)
{
	return report(s, s->failed ? s->failed : end(s), err);
}

int nm_jscan_line(nm_jscan_t *s, const char **out, size_t *len, nm_err_t *err)
{
	*out = NULL;
	*len = 0;
	return report(s, s->failed ? s->failed : line(s, out, len), err);
}
