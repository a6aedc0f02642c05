/*
 * regex.h — PCRE2 patterns with Python `re` semantics (ENGINE.md §0).
 *
 * Upstream's extraction patterns are Python regular expressions on str.
 * PCRE2 with UTF + UCP agrees with them except in three places, which
 * nm_re_compile patches into every pattern it compiles:
 *   1. `\s` is Python's str.isspace() set (adds U+001C..U+001F, drops
 *      U+180E), inside and outside character classes;
 *   2. in caseless patterns a literal `i` also matches U+0130 and U+0131;
 *   3. in caseless patterns the classes À-Ỹ / à-ỹ also match U+1FD3 and
 *      U+1FE3.
 * `$` means end of text or before a final LF, as in Python (newline
 * convention LF). Patterns are compiled once, JIT-compiled when
 * available, and are then safe to use from any thread.
 */
#ifndef NM_REGEX_H
#define NM_REGEX_H

#include <stdbool.h>
#include <stddef.h>

typedef struct nm_re nm_re_t;

/* Compile (never fails for the built-in patterns: a bad pattern aborts,
 * it is a programming error). Owned; patterns live for the process. */
nm_re_t *nm_re_compile(const char *pattern, bool caseless);

/* A match: group g spans [start[g], end[g]) (bytes), or -1 if unset. */
#define NM_RE_MAX_GROUPS 4
typedef struct nm_re_match {
	long start[NM_RE_MAX_GROUPS];
	long end[NM_RE_MAX_GROUPS];
} nm_re_match_t;

/* Search from byte offset `from`; true when a match was found. */
bool nm_re_search(const nm_re_t *re, const char *s, size_t len, size_t from, nm_re_match_t *m);

/* Python finditer: call cb for every non-overlapping match left to right;
 * a nonzero return stops. */
void nm_re_each(const nm_re_t *re, const char *s, size_t len, int (*cb)(void *arg, const nm_re_match_t *m),
                void *arg);

/* Python str.isspace() for one code point. */
bool nm_py_isspace(int cp);

#endif
