/*
 * sensitive.c — the default sensitive-content rules of NeuralMemory v0.5.0
 * (sensitive.h).
 *
 * Owns a table of rules (type, severity, pattern) in upstream's order and
 * their compiled forms, built once by pthread_once and kept for the life
 * of the process. Any thread may call in; compiled patterns are read-only.
 *
 * Invariants:
 *   1. rules[] lists upstream's default patterns in upstream's order with
 *      upstream's severities. The order matters only for ties: two rules of
 *      the same severity matching at the same position report the earlier
 *      rule's type, as upstream's stable sort does.
 *   2. Each pattern is upstream's regex, spelled for nm_re_compile (which
 *      already gives `\s`, caseless `i` and `$` their Python meaning), with
 *      two more patches that nm_re_compile does not make, found by
 *      comparing every code point against Python's `re` for every class and
 *      literal used here:
 *        a. a leading `(?i)` becomes the caseless flag;
 *        b. caseless classes holding ASCII letters, and the capital `I` of
 *           AKIA, also match U+0130 and U+0131, as Python's IGNORECASE does
 *           (PCRE2 already adds U+017F for s and U+212A for k).
 *   3. Matching takes time linear in the text, where upstream's regexes
 *      are quadratic on some inputs (1 MiB of content could stall a worker
 *      for minutes). Two rules are reshaped to an equivalent form, with the
 *      same matches and the same leftmost start (all this module uses):
 *        a. private_key: whitespace is consumed possessively; it is always
 *           followed by a non-space literal, so no split of it can matter;
 *        b. database_url: candidates (the scheme and "://") are found by
 *           one regex and each is checked by an anchored possessive one:
 *           the first ':' at least one character into the URL, then the
 *           first '@' at least one character after it, then any non-space.
 *           When a candidate fails, every later candidate in the same run
 *           of non-space characters fails too (its first ':' comes no
 *           earlier and the run's last '@' is the same), so the search
 *           resumes after that run.
 *   4. The answer depends only on which rules match and where each one's
 *      leftmost match starts: upstream's result list is ordered by
 *      (severity desc, start asc), and its de-duplication by (start, end)
 *      never removes a match that would come first (the only rule ranked
 *      before a stronger one is jwt, whose matches begin "eyJ" and so
 *      never share a span with a card number or an SSN).
 *
 * Not done here: redaction, per-match spans, or rule sets other than the
 * default one. Text is not copied or lower-cased; the regexes run on the
 * caller's bytes.
 */
#include "sensitive.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "regex.h"
#include "text.h"

/* Python's (?i)[A-Z] also takes U+0130 İ and U+0131 ı (2b above). */
#define CI_I "\\x{130}\\x{131}"
/* An upstream [a-zA-Z0-9_\-] value class, caseless. */
#define VALUE_CLASS "[a-zA-Z0-9_\\-" CI_I "]"
/* The schemes of a database URL, with the "://" after them. */
#define DB_SCHEME "(?:postgres|mysql|mongodb|redis)://"

typedef struct rule {
	const char *type;    /* upstream's SensitiveType value */
	int severity;        /* 1 (low) .. 3 (high), as upstream */
	bool caseless;       /* upstream's pattern starts with (?i) */
	const char *pattern; /* for nm_re_compile; see invariant 2 */
	/* NULL, or (invariant 3b) `pattern` only finds candidates: one matches
	 * when `check` (anchored with \G) matches at its start; after a failed
	 * one the search resumes where `skip` (anchored too) ends. */
	const char *check;
	const char *skip;
} rule_t;

#define RULE(type, sev, caseless, pattern) {type, sev, caseless, pattern, NULL, NULL}
#define SCANNED(type, sev, caseless, pattern, check, skip) {type, sev, caseless, pattern, check, skip}

static const rule_t rules[] = {
	/* Generic API Key */
	RULE("api_key", 3, true, "(api[_-]?key|apikey)\\s*[=:]\\s*['\"]?(" VALUE_CLASS "{16,})['\"]?"),
	/* Generic Secret */
	RULE("secret", 3, true, "(secret|secret[_-]?key)\\s*[=:]\\s*['\"]?(" VALUE_CLASS "{16,})['\"]?"),
	/* Generic Password: any 4+ characters that are not space or quotes */
	RULE("password", 3, true, "(password|passwd|pwd)\\s*[=:]\\s*['\"]?([^\\s'\"]{4,})['\"]?"),
	/* Generic Token; "bearer" needs `=`/`:` too, as upstream */
	RULE("token", 3, true,
	     "(token|auth[_-]?token|access[_-]?token|bearer)\\s*[=:]\\s*['\"]?([a-zA-Z0-9_\\-\\." CI_I "]{16,})['\"]?"),
	/* AWS Access Key (the id must follow its variable name) */
	RULE("aws_key", 3, true,
	     "aws[_-]?access[_-]?key[_-]?id\\s*[=:]\\s*['\"]?(AK[I" CI_I "]A[0-9A-Z" CI_I "]{16})['\"]?"),
	/* AWS Secret Key */
	RULE("aws_key", 3, true,
	     "aws[_-]?secret[_-]?access[_-]?key\\s*[=:]\\s*['\"]?([a-zA-Z0-9/+=" CI_I "]{40})['\"]?"),
	/* Database URL with user:password@; upstream's regex is
	 * (postgres|mysql|mongodb|redis)://[^\s]+:[^\s]+@[^\s]+ (3b) */
	SCANNED("database_url", 3, true, DB_SCHEME,
	        "\\G" DB_SCHEME "[^\\s][^\\s:]*+:[^\\s][^\\s@]*+@[^\\s]",
	        "\\G[^\\s]*+"),
	/* Private Key (PEM header; case-sensitive); upstream's regex is
	 * -----BEGIN\s+(RSA|DSA|EC|OPENSSH|PGP)?\s*PRIVATE KEY----- (3a) */
	RULE("private_key", 3, false, "-----BEGIN\\s++(?:(?:RSA|DSA|EC|OPENSSH|PGP)\\s*+)?PRIVATE KEY-----"),
	/* JWT Token */
	RULE("jwt", 2, false, "eyJ[a-zA-Z0-9_-]*\\.eyJ[a-zA-Z0-9_-]*\\.[a-zA-Z0-9_-]*"),
	/* Credit Card: Visa 13/16, MasterCard 51-55, Amex 34/37, Discover
	 * 6011/65; digit layout only, no Luhn check (upstream has none). */
	RULE("credit_card", 3, false,
	     "\\b(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|3[47][0-9]{13}|6(?:011|5[0-9]{2})[0-9]{12})\\b"),
	/* SSN (US); \d is any Unicode decimal digit, as in Python */
	RULE("ssn", 3, false, "\\b\\d{3}-\\d{2}-\\d{4}\\b"),
	/* Long Base64 String */
	RULE("generic_secret", 1, false, "\\b[A-Za-z0-9+/]{40,}={0,2}\\b"),
	/* Long Hex String */
	RULE("generic_secret", 1, false, "\\b[a-fA-F0-9]{32,}\\b"),
};

#define NRULES (sizeof rules / sizeof rules[0])

/* The compiled forms of rules[i]; written once under `once`, then
 * read-only. check and skip are NULL for a plain rule. */
static struct crule {
	nm_re_t *pattern, *check, *skip;
} compiled[NRULES];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void compile_all(void)
{
	for (size_t i = 0; i < NRULES; i++) {
		const rule_t *r = &rules[i];
		compiled[i].pattern = nm_re_compile(r->pattern, r->caseless);
		if (r->check) {
			compiled[i].check = nm_re_compile(r->check, r->caseless);
			compiled[i].skip = nm_re_compile(r->skip, r->caseless);
		}
	}
}

/* Where rules[i]'s leftmost match starts (byte offset), or -1. */
static long rule_start(size_t i, const char *s, size_t len)
{
	const struct crule *c = &compiled[i];
	nm_re_match_t m, cm;
	size_t pos = 0;
	while (pos <= len && nm_re_search(c->pattern, s, len, pos, &m)) {
		if (!c->check)
			return m.start[0];
		size_t at = (size_t)m.start[0];
		if (nm_re_search(c->check, s, len, at, &cm))
			return m.start[0];
		/* Resume after the run the candidate ruled out; never before the
		 * end of the candidate itself, which is not empty. */
		pos = (size_t)m.end[0];
		if (nm_re_search(c->skip, s, len, at, &cm) && (size_t)cm.end[0] > pos)
			pos = (size_t)cm.end[0];
	}
	return -1;
}

/* Severity of upstream's first match (0: none; 3: invalid UTF-8, fail
 * closed). *top receives the rule of that match, NULL if there is none or
 * the text is not valid UTF-8. */
static int scan(const char *s, size_t len, const rule_t **top)
{
	*top = NULL;
	if (len == 0)
		return 0; /* no rule matches the empty string */
	if (!nm_utf8_valid(s, len, NULL))
		return 3;
	pthread_once(&once, compile_all);

	long best_start = 0;
	for (size_t i = 0; i < NRULES; i++) {
		const rule_t *r = &rules[i];
		/* Invariant 4: a later rule wins only with a higher severity, or
		 * the same severity and an earlier start. */
		if (*top && (r->severity < (*top)->severity || (r->severity == (*top)->severity && best_start == 0)))
			continue;
		long start = rule_start(i, s, len);
		if (start < 0)
			continue;
		if (!*top || r->severity > (*top)->severity || start < best_start) {
			*top = r;
			best_start = start;
		}
	}
	return *top ? (*top)->severity : 0;
}

bool nm_sensitive(const char *s, size_t len)
{
	return nm_sensitive_severity(s, len) > 0;
}

const char *nm_sensitive_type(const char *s, size_t len)
{
	const rule_t *top;
	scan(s, len, &top);
	return top ? top->type : NULL;
}

int nm_sensitive_severity(const char *s, size_t len)
{
	const rule_t *top;
	return scan(s, len, &top);
}
