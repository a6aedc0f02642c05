/*
 * isotime.h — instants as int64 microseconds since the Unix epoch (UTC), and
 * their ISO-8601 text form (PROTOCOL.md §1.4).
 *
 * The representable range is Python's datetime range, 0001-01-01T00:00:00 to
 * 9999-12-31T23:59:59.999999, so every value nmemd emits parses in the
 * client. NM_TIME_NONE stands for "unset" (JSON null).
 */
#ifndef NM_ISOTIME_H
#define NM_ISOTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NM_TIME_NONE INT64_MIN
#define NM_USEC_PER_SEC 1000000LL
#define NM_TIME_MIN (-62135596800LL * NM_USEC_PER_SEC)                 /* 0001-01-01 */
#define NM_TIME_MAX (253402300799LL * NM_USEC_PER_SEC + 999999LL)      /* 9999-12-31T23:59:59.999999 */

/* Wall clock now, microseconds. */
int64_t nm_time_now(void);

/* Monotonic clock, milliseconds: for durations only. */
double nm_mono_ms(void);

/* Parse `s` (n bytes, need not be NUL-terminated): YYYY-MM-DD, optionally
 * followed by 'T' or one space and HH:MM[:SS[.f{1,9}]], then optionally 'Z'
 * or ±HH:MM. Offsets are converted to UTC; digits past the sixth fraction
 * digit are truncated. Returns 0 and sets *out, or -1 when the text is not
 * such a datetime or lies outside the representable range. */
int nm_time_parse(const char *s, size_t n, int64_t *out);

/* Format as YYYY-MM-DDTHH:MM:SS.ffffff (always 6 fraction digits, no
 * suffix) into buf (at least NM_TIME_BUFSZ bytes). Returns buf. */
#define NM_TIME_BUFSZ 32
char *nm_time_format(int64_t t, char *buf);

/* Python's datetime.isoformat() of a naive value: like nm_time_format but
 * without the fraction when the microsecond is 0 (engine metadata keeps
 * upstream's exact strings). */
char *nm_time_format_py(int64_t t, char *buf);

/* Civil date conversion helpers (proleptic Gregorian), exposed for tests
 * and the engine's calendar arithmetic. */
int64_t nm_days_from_civil(int64_t y, unsigned m, unsigned d);
void nm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
