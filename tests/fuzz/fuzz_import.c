/*
 * fuzz_import.c — libFuzzer target for the streamed import: the
 * incremental JSON scanner and NDJSON line reader (lib/jsonscan.h), and
 * nm_snapshot_import (lib/snapshot.h) into a brain of the memory backend.
 *
 * Input: one control byte, then the document.
 *   bit 0     1 = NDJSON, 0 = one JSON document
 *   bits 1-3  bytes per read: 1, 2, 3, 7, 13, 64, 4096 or all that fits
 *             (the reader hands the document out in those pieces, so
 *             tokens, escapes and lines cross read boundaries)
 *   bits 4-6  the scanner's input window in part 1: 64 KiB, 1, 2, 3, 5,
 *             13, 64 or 4096 bytes
 *   bit 7     part 1's NDJSON line limit: 64 bytes instead of 1 MiB
 *
 * Part 1, the scanner alone. JSON: the document read whole with
 * nm_jscan_value must agree with jansson's parse of the same bytes (same
 * verdict within the limits, equal values), and a walk that descends into
 * containers and captures or skips members (chosen from a hash of the
 * input) must accept whatever jansson accepts. NDJSON: nm_jscan_line must
 * give back exactly the input's lines (without "\n" or "\r\n", nor a
 * "\r" ending the input).
 * Part 2, the import: a new brain per input, nm_brain_write_own running
 * nm_snapshot_import with the server's options (limits.max_body_bytes
 * elements, limits.max_json_depth), then nm_brain_update with the
 * snapshot's name and config, as server/handlers/snapshot.c does. Errors
 * must be client errors (4xx); a 5xx from well-behaved storage is a bug.
 * A snapshot that imports must export (JSON and NDJSON) and import again
 * into an empty brain with the same element counts.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "isotime.h"
#include "jsonscan.h"
#include "mem.h"
#include "snapshot.h"
#include "store.h"

#define MAXV (1 << 20)
#define DEPTH 64

static nm_store_t *store;
static int64_t now;

/* ---- a reader over the input, in pieces ---- */

typedef struct src {
	const char *p;
	size_t len, pos, piece;
} src_t;

static ssize_t src_read(void *arg, char *buf, size_t cap, nm_err_t *err)
{
	src_t *s = arg;
	size_t n = s->len - s->pos;
	if (s->piece && n > s->piece)
		n = s->piece;
	if (n > cap)
		n = cap;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static nm_reader_t reader(src_t *s, const char *p, size_t len, size_t piece)
{
	*s = (src_t){.p = p, .len = len, .piece = piece};
	return (nm_reader_t){src_read, s};
}

/* ---- part 1: the scanner ---- */

static int depth_of(const json_t *v)
{
	int d = 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			int c = depth_of(x);
			d = c > d ? c : d;
		}
		return d + 1;
	}
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			int c = depth_of(json_array_get(v, i));
			d = c > d ? c : d;
		}
		return d + 1;
	}
	return 0;
}

typedef struct walk {
	nm_jscan_t *s;
	uint64_t rng;
	nm_err_t err;
} walk_t;

static unsigned pick(walk_t *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (unsigned)(w->rng >> 32);
}

/* Consume the next value: descend into a container, capture it or skip
 * it. Returns 0 or the scanner's error. */
static int walk_value(walk_t *w)
{
	int c = nm_jscan_peek(w->s, &w->err);
	if (c < 0)
		return c;
	unsigned how = pick(w) % 4;
	if (how == 0) {
		json_t *v;
		int rc = nm_jscan_value(w->s, &v, &w->err);
		FZ_CHECK((rc == 0) == (v != NULL), "nm_jscan_value returned %d with %s value", rc, v ? "a" : "no");
		json_decref(v);
		return rc;
	}
	if (how == 1 || (c != '{' && c != '['))
		return nm_jscan_skip(w->s, &w->err);
	int rc;
	if (c == '{') {
		const char *key;
		rc = nm_jscan_obj_begin(w->s, &w->err);
		while (rc == 0 && (rc = nm_jscan_obj_next(w->s, &key, &w->err)) == 1) {
			FZ_CHECK(key != NULL, "obj_next gave 1 without a key");
			rc = walk_value(w);
		}
	} else {
		rc = nm_jscan_arr_begin(w->s, &w->err);
		while (rc == 0 && (rc = nm_jscan_arr_next(w->s, &w->err)) == 1)
			rc = walk_value(w);
	}
	return rc < 0 ? rc : 0;
}

static void scan_json(const char *p, size_t len, size_t piece, size_t bufsize)
{
	json_error_t je;
	json_t *ref = json_loadb(p, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	/* jansson 2.14 lets a raw NUL byte through after a number or literal
	 * ("[1\0]" is [1]); the scanner refuses it, as RFC 8259 does, so
	 * jansson's yes is no reference for such a document */
	bool in_limits = ref && !memchr(p, '\0', len) && depth_of(ref) <= DEPTH && len <= MAXV;

	/* the whole document as one captured value */
	src_t src;
	nm_err_t err = {0};
	nm_jscan_t *s = nm_jscan_new_buf(reader(&src, p, len, piece), MAXV, DEPTH, bufsize);
	json_t *v = NULL;
	int rc = nm_jscan_value(s, &v, &err);
	if (rc == 0)
		rc = nm_jscan_end(s, &err);
	FZ_CHECK(rc == 0 || (err.status && rc == -err.status), "rc %d with status %d", rc, err.status);
	FZ_CHECK(rc < 0 || ref, "the scanner accepted what jansson refuses (%s)", je.text);
	FZ_CHECK(rc == 0 || !in_limits, "the scanner refused what jansson accepts: %s", err.detail);
	FZ_CHECK(rc < 0 || json_equal(v, ref), "the scanner's value differs from jansson's");
	FZ_CHECK(nm_jscan_footprint(s) <= 4 * (size_t)MAXV + bufsize + (1 << 16), "footprint %zu",
	         nm_jscan_footprint(s));
	json_decref(v);
	nm_jscan_free(s);

	/* a walk: containers entered, members captured or skipped */
	walk_t w = {.rng = nm_hash64(p, len) | 1};
	w.s = nm_jscan_new_buf(reader(&src, p, len, piece), MAXV, DEPTH, bufsize);
	rc = walk_value(&w);
	if (rc == 0)
		rc = nm_jscan_end(w.s, &w.err);
	FZ_CHECK(rc == 0 || !in_limits, "the walk refused what jansson accepts: %s", w.err.detail);
	/* errors stick */
	if (rc < 0) {
		nm_err_t again = {0};
		FZ_CHECK(nm_jscan_peek(w.s, &again) == rc && again.status == w.err.status, "error did not stick");
	}
	nm_jscan_free(w.s);
	json_decref(ref);
}

static void scan_lines(const char *p, size_t len, size_t piece, size_t bufsize, size_t maxv)
{
	src_t src;
	nm_err_t err = {0};
	nm_jscan_t *s = nm_jscan_new_buf(reader(&src, p, len, piece), maxv, DEPTH, bufsize);
	const char *line;
	size_t n, off = 0;
	int rc;
	while ((rc = nm_jscan_line(s, &line, &n, &err)) == 1) {
		/* the input from off: the line, then "\n", "\r\n", the end, or
		 * "\r" and the end (a last line's CR is dropped too) */
		FZ_CHECK(off + n <= len && memcmp(p + off, line, n) == 0, "line %lld is not the input at byte %zu",
		         (long long)nm_jscan_lineno(s), off);
		FZ_CHECK(line[n] == '\0', "line %lld not NUL-terminated", (long long)nm_jscan_lineno(s));
		off += n;
		if (off < len && p[off] == '\r' && (off + 1 == len || p[off + 1] == '\n'))
			off++;
		FZ_CHECK(off == len || p[off] == '\n', "line %lld ends at byte %zu, not at a newline",
		         (long long)nm_jscan_lineno(s), off);
		if (off < len)
			off++;
	}
	FZ_CHECK(rc <= 0, "nm_jscan_line returned %d", rc);
	if (rc == 0)
		FZ_CHECK(off == len, "lines end at byte %zu of %zu", off, len);
	else
		FZ_CHECK(err.status == NM_ST_TOO_LARGE && maxv < len, "line reader error %d: %s", err.status, err.detail);
	nm_jscan_free(s);
}

/* ---- part 2: the import ---- */

typedef struct run {
	const char *p;
	size_t len, piece;
	nm_import_opts_t o;
	nm_import_result_t res;
} run_t;

static int import_apply(nm_tx_t *tx, void *arg, nm_err_t *err)
{
	run_t *r = arg;
	src_t src;
	return nm_snapshot_import(tx, reader(&src, r->p, r->len, r->piece), &r->o, &r->res, err);
}

static nm_brain_t *new_brain(void)
{
	static unsigned long serial;
	char id[32];
	snprintf(id, sizeof id, "fz%lu", ++serial);
	nm_brain_rec_t rec = {.id = id, .name = id, .config = nm_config_default, .metadata = (char *)"{}"};
	nm_brain_t *b = NULL;
	nm_err_t err = {0};
	FZ_CHECK(nm_store_brain_create(store, &rec, &b, &err) == 0, "create brain: %s", err.detail);
	return b;
}

static void drop_brain(nm_brain_t *b)
{
	nm_brain_delete(b, NULL);
	nm_brain_release(b);
}

/* Import p into a new brain; returns it (a reference) on success, else
 * NULL. res gets the import's counts. */
static nm_brain_t *import(const char *p, size_t len, bool ndjson, size_t piece, nm_import_result_t *res,
                          nm_err_t *err)
{
	nm_brain_t *b = new_brain();
	run_t r = {.p = p, .len = len, .piece = piece};
	r.o.ndjson = ndjson;
	r.o.decode = (nm_decode_opts_t){.mode = NM_DECODE_CREATE, .prefix = "", .max_content_bytes = 1 << 20, .now = now};
	r.o.max_value = MAXV;
	r.o.max_depth = DEPTH;
	int rc = nm_brain_write_own(b, import_apply, &r, err);
	if (rc == 0)
		rc = nm_brain_update(b, nm_import_take_name_config, &r.res, err);
	FZ_CHECK(rc == 0 || (rc == -err->status && err->status >= 400 && err->status < 500),
	         "import failed with %d, status %d: %s", rc, err->status, err->detail);
	*res = r.res;
	res->name = NULL;
	nm_import_result_clear(&r.res);
	if (rc < 0) {
		drop_brain(b);
		return NULL;
	}
	return b;
}

static int export(nm_brain_t *b, bool ndjson, nm_jw_t *w, nm_err_t *err)
{
	nm_tx_t *tx;
	int rc = nm_brain_read_begin(b, &tx, err);
	if (rc < 0)
		return rc;
	nm_brain_rec_t rec;
	nm_brain_rec_get(b, &rec);
	nm_export_opts_t o = {.ndjson = ndjson, .exported_at = now};
	nm_jw_init(w);
	rc = nm_snapshot_export(tx, &rec, &o, w, err);
	nm_brain_rec_clear(&rec);
	nm_brain_read_end(tx);
	return rc;
}

static void round_trip(nm_brain_t *b, const nm_import_result_t *first)
{
	for (int nd = 0; nd < 2; nd++) {
		nm_jw_t w;
		nm_err_t err = {0};
		FZ_CHECK(export(b, nd, &w, &err) == 0, "export (%s) of an imported brain: %s", nd ? "ndjson" : "json",
		         err.detail);
		nm_import_result_t again;
		nm_brain_t *b2 = import(w.buf.data, w.buf.len, nd, 0, &again, &err);
		FZ_CHECK(b2, "the %s export of an imported snapshot does not import: %s\n%.*s", nd ? "NDJSON" : "JSON",
		         err.detail, (int)(w.buf.len > 4000 ? 4000 : w.buf.len), w.buf.data);
		for (int s = 0; s <= NM_SNAP_FIBERS; s++)
			FZ_CHECK(again.counts[s] == first->counts[s], "section %d: %lld imported, %lld after export/import",
			         s, (long long)first->counts[s], (long long)again.counts[s]);
		drop_brain(b2);
		nm_jw_free(&w);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_object_seed(1);
	nm_store_opts_t o = {.backend = "memory"};
	nm_err_t err = {0};
	store = nm_store_open(&o, &err);
	if (!store) {
		fprintf(stderr, "fuzz_import: nm_store_open: %s\n", err.detail);
		abort();
	}
	const char *t = "2026-01-01T00:00:00";
	if (nm_time_parse(t, strlen(t), &now) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pieces[8] = {1, 2, 3, 7, 13, 64, 4096, 0};
	static const size_t windows[8] = {NM_JSCAN_BUFSIZE, 1, 2, 3, 5, 13, 64, 4096};
	if (size < 1)
		return 0;
	unsigned ctl = data[0];
	/* an exact-size copy, so ASan sees reads past the document's end */
	size_t len = size - 1;
	char *p = nm_xmalloc(len ? len : 1);
	memcpy(p, data + 1, len);
	bool ndjson = ctl & 1;
	size_t piece = pieces[(ctl >> 1) & 7], window = windows[(ctl >> 4) & 7];

	if (ndjson)
		scan_lines(p, len, piece, window, ctl & 0x80 ? 64 : MAXV);
	else
		scan_json(p, len, piece, window);

	nm_import_result_t res;
	nm_err_t err = {0};
	nm_brain_t *b = import(p, len, ndjson, piece, &res, &err);
	if (b) {
		round_trip(b, &res);
		drop_brain(b);
	}
	free(p);
	return 0;
}
