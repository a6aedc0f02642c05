/*
 * text.h — Unicode text helpers, all backed by ICU (libicu).
 *
 * "lower" means Python's str.lower(): the full Unicode lowercase mapping
 * with SpecialCasing (İ → i̇, final sigma), which ICU's u_strToLower
 * implements for the root locale. Case *folding* is a different mapping and
 * must not be used where the protocol says lower-case (ENGINE.md §0).
 * Thread-safe.
 */
#ifndef NM_TEXT_H
#define NM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when the n bytes at s are well-formed UTF-8 (no surrogates, no
 * overlongs). When ncp is not NULL it receives the number of code points. */
bool nm_utf8_valid(const char *s, size_t n, size_t *ncp);

/* The length of the longest prefix of s (NUL-terminated) that is at most
 * max bytes and ends on a code-point boundary: for printing an untrusted
 * string into a bounded message with "%.*s" without splitting a character. */
int nm_utf8_prefix(const char *s, size_t max);

/* Owned (free()) NUL-terminated lower-case copy of the n bytes of UTF-8 at
 * s; *outlen receives its length. Returns NULL when s is not valid UTF-8. */
char *nm_utf8_lower(const char *s, size_t n, size_t *outlen);

/* The matching key of a text: lower(NFC(s)) — case and normalisation
 * insensitive, so "Đà Nẵng" typed precomposed or decomposed, upper or
 * lower case, gives one key. Owned; NULL for invalid UTF-8. */
char *nm_text_key(const char *s, size_t n, size_t *outlen);

#endif
