/*
 * sensitive.h — does a text look like it holds a secret? The default rule
 * set of NeuralMemory v0.5.0's safety module (safety/sensitive.py,
 * get_default_patterns), used by GET /brain/{id}/export?exclude_sensitive.
 *
 * Thirteen regular-expression rules, each with a type and a severity:
 *   3  api_key, secret, password, token (keyword then `=` or `:` then a
 *      value), aws_key (access key id, secret access key), database_url
 *      (postgres/mysql/mongodb/redis URL with user:password@), private_key
 *      (PEM header), credit_card (Visa/MC/Amex/Discover digit layout),
 *      ssn (ddd-dd-dddd);
 *   2  jwt (eyJ….eyJ….…);
 *   1  generic_secret (a run of 40+ base64 characters, or of 32+ hex
 *      digits: long words, git hashes and MD5 sums count).
 * Matching is upstream's, quirks included: no Luhn check on card numbers,
 * no confidence score, no minimum length beyond what each regex says;
 * `Authorization: Bearer x` is not a token (no `=`/`:` after "bearer"),
 * "postgresql://" and "mongodb+srv://" URLs are not database URLs.
 *
 * Severity threshold: upstream's check_sensitive_content(text) defaults to
 * min_severity=1, i.e. every rule; nm_sensitive is that call. Upstream's
 * own export (`nmem brain export --exclude-sensitive`) and `nmem remember`
 * call it with min_severity=2, which ignores the two severity-1 rules;
 * nm_sensitive_severity(s, len) >= 2 is that call.
 *
 * Content is UTF-8 (it may contain NUL). Text that is not valid UTF-8
 * cannot be checked and is reported as sensitive at severity 3 (fail
 * closed), with no type. Time is linear in len (upstream's regexes are
 * quadratic on some texts; see sensitive.c). Thread-safe; the patterns
 * are compiled on first use (pthread_once) and never freed.
 */
#ifndef NM_SENSITIVE_H
#define NM_SENSITIVE_H

#include <stdbool.h>
#include <stddef.h>

/* True when check_sensitive_content(text) with default arguments would
 * return at least one match. s may be NULL when len is 0. */
bool nm_sensitive(const char *s, size_t len);

/* The type of the first match upstream's default call returns (its list
 * is ordered by severity, highest first, then by position): "api_key",
 * "secret", "password", "token", "aws_key", "database_url", "private_key",
 * "jwt", "credit_card", "ssn" or "generic_secret". NULL when nothing
 * matches or s is not valid UTF-8. Borrowed: a static string. */
const char *nm_sensitive_type(const char *s, size_t len);

/* The highest severity of any matching rule, 1..3, or 0 when none
 * matches (3 for invalid UTF-8). check_sensitive_content(text,
 * min_severity=k) is non-empty exactly when this is >= k. */
int nm_sensitive_severity(const char *s, size_t len);

#endif
