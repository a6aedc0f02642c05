/*
 * extract.h — text extraction for the engine (ENGINE.md §3): time
 * expressions, entities, keywords, and the query parser.
 *
 * Every function takes the engine mode: NM_MODE_COMPAT reproduces
 * NeuralMemory v0.5.0 exactly (defects included), NM_MODE_FIXED applies
 * the fixes of ENGINE.md §8 (D7 temporal boundaries, D8 entities, D9
 * intents, D18/D19 keywords). Patterns are PCRE2 (UTF + UCP), compiled
 * once per process; all functions are thread-safe.
 *
 * Input must be valid UTF-8 (callers pass text jansson or the URL decoder
 * validated): patterns match with PCRE2_NO_UTF_CHECK, and invalid bytes
 * are undefined behaviour inside PCRE2's JIT.
 *
 * Offsets are byte offsets into the UTF-8 input. Results are owned by the
 * caller and released with the matching *_clear.
 */
#ifndef NM_EXTRACT_H
#define NM_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef enum { NM_MODE_FIXED, NM_MODE_COMPAT } nm_engine_mode_t; /* names: nm_enum_engine_mode */

typedef enum { NM_LANG_AUTO, NM_LANG_VI, NM_LANG_EN } nm_lang_t;

typedef enum {
	NM_GRAN_MINUTE, NM_GRAN_HOUR, NM_GRAN_DAY, NM_GRAN_WEEK, NM_GRAN_MONTH, NM_GRAN_YEAR
} nm_granularity_t;
extern const nm_enum_t nm_enum_granularity; /* "minute" … "year" */

typedef struct nm_time_hint {
	char *original;           /* the matched text, as written */
	size_t span_start, span_end;
	int64_t start, end;       /* µs, UTC (start may exceed end: "earlier" before 01:00) */
	nm_granularity_t granularity;
	bool fuzzy;
} nm_time_hint_t;

typedef struct nm_time_hints {
	nm_time_hint_t *v;
	size_t n;
} nm_time_hints_t;

/* Time expressions of text resolved against ref (ENGINE.md §3.1): for
 * NM_LANG_AUTO, the VI table, the EN table, then the VI numbered patterns;
 * de-duplicated on (start, end). Fixed mode: matches need word
 * boundaries and a hint inside another hint's span is dropped (D7). */
void nm_extract_time(const char *text, size_t len, int64_t ref, nm_lang_t lang, nm_engine_mode_t mode,
                     nm_time_hints_t *out);
void nm_time_hints_clear(nm_time_hints_t *h);

typedef enum {
	NM_ENT_PERSON, NM_ENT_LOCATION, NM_ENT_ORGANIZATION, NM_ENT_PRODUCT, NM_ENT_EVENT, NM_ENT_UNKNOWN
} nm_entity_type_t;
extern const nm_enum_t nm_enum_entity_type; /* "person", "location", … "unknown" */

typedef struct nm_entity {
	char *text;
	nm_entity_type_t type;
	double confidence;
	size_t start, end;        /* span in the text */
} nm_entity_t;

typedef struct nm_entities {
	nm_entity_t *v;
	size_t n;
} nm_entities_t;

/* Entities (ENGINE.md §3.2): Vietnamese names, capitalised runs,
 * locations after an indicator; de-duplicated on lower(text) + type.
 * is_query relaxes the fixed-mode sentence-start rule (D8). */
void nm_extract_entities(const char *text, size_t len, nm_engine_mode_t mode, bool is_query, nm_entities_t *out);
void nm_entities_clear(nm_entities_t *e);

/* Keywords (ENGINE.md §3.3): lower-cased tokens of ≥ 2 code points not in
 * the stop list, first occurrence kept, in text order. Fixed mode
 * tokenises runs of letters, marks and digits containing a letter (D19). */
void nm_extract_keywords(const char *text, size_t len, nm_engine_mode_t mode, nm_strv_t *out);
/* Is w (lower-case) one of the 170 stop words? */
bool nm_is_stop_word(const char *w);

typedef enum {
	NM_INTENT_ASK_WHAT, NM_INTENT_ASK_WHERE, NM_INTENT_ASK_WHEN, NM_INTENT_ASK_WHO, NM_INTENT_ASK_WHY,
	NM_INTENT_ASK_HOW, NM_INTENT_ASK_FEELING, NM_INTENT_ASK_PATTERN, NM_INTENT_CONFIRM, NM_INTENT_COMPARE,
	NM_INTENT_RECALL, NM_INTENT_UNKNOWN
} nm_intent_t;
extern const nm_enum_t nm_enum_intent; /* wire values of PROTOCOL.md §1.6 */

typedef enum {
	NM_PERSP_RECALL, NM_PERSP_CONFIRM, NM_PERSP_COMPARE, NM_PERSP_ANALYZE, NM_PERSP_SUMMARIZE
} nm_perspective_t;

typedef struct nm_stimulus {
	nm_lang_t language;       /* NM_LANG_VI or NM_LANG_EN */
	nm_intent_t intent;
	nm_perspective_t perspective;
	nm_time_hints_t hints;
	nm_entities_t entities;
	nm_strv_t keywords;
} nm_stimulus_t;

/* Parse a query (ENGINE.md §3.4). */
void nm_parse_query(const char *q, size_t len, int64_t ref, nm_engine_mode_t mode, nm_stimulus_t *out);
void nm_stimulus_clear(nm_stimulus_t *s);

/* Word count as Python's len(str.split()) (ENGINE.md §0). */
size_t nm_word_count(const char *s, size_t len);

#endif
