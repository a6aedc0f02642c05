/*
 * gindex_text.h — PRIVATE to lib/: the full-text part of a brain's graph
 * index (gindex.h): inverted lists over the fibers' search texts, ranked
 * with BM25 exactly as SQLite FTS5 ranks the fiber_fts table
 * (store.h nm_tx_fiber_search), so the engine's lexical candidates
 * (ENGINE.md §10) come from memory instead of one FTS5 query per question.
 *
 * Documents are the index's fiber slots. A document's text is what
 * storage says search matches for that fiber (nm_tx_fiber_text), kept as
 * its tokens' term numbers (phrases are matched on those); each term
 * of a search is a phrase of its tokens, as a quoted string in an FTS5
 * query, and the terms are OR-ed.
 *
 * Not thread-safe: the graph index's lock guards it (readers share it,
 * nm__gxt_set needs it exclusively).
 */
#ifndef NM_GINDEX_TEXT_H
#define NM_GINDEX_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "model.h"

typedef struct nm_gxt_doc {
	uint32_t *tok;            /* its tokens' term numbers, in text order (owned) */
	uint32_t ntok;
	bool has;                 /* searchable (a text, even one without tokens) */
} nm_gxt_doc_t;

typedef struct nm_gxt_plist nm_gxt_plist_t;

typedef struct nm_gxt {
	nm_hmap_t terms;          /* token → its posting list (documents ascending) */
	nm_gxt_plist_t **lists;   /* by term number; NULL = free number */
	uint32_t nlists, caplists;
	uint32_t *free_nums;      /* numbers of removed terms, reused first */
	uint32_t nfree, capfree;
	nm_gxt_doc_t *docs;
	uint32_t ndocs;           /* slots in docs */
	double nrow, ntok;        /* searchable documents, their tokens */
	size_t bytes;             /* estimated footprint */
} nm_gxt_t;

typedef struct nm_gxt_hit {
	uint32_t doc;
	double score;
} nm_gxt_hit_t;

/* Document doc's text becomes text (copied; NULL: none). Unchanged text
 * costs one comparison. */
void nm__gxt_set(nm_gxt_t *t, uint32_t doc, const char *text);
/* The k best documents for terms, best first (ties: the higher document,
 * i.e. the newer fiber, first), with FTS5's bm25() scores negated (higher
 * is better). *out is malloc'd (NULL when *n is 0). */
void nm__gxt_search(const nm_gxt_t *t, const nm_strv_t *terms, int64_t k, nm_gxt_hit_t **out, size_t *n);
void nm__gxt_free(nm_gxt_t *t);

#endif
