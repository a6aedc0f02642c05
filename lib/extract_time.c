/*
 * extract_time.c — time expressions (ENGINE.md §3.1).
 *
 * Three pattern tables — Vietnamese, English, Vietnamese numbered — each
 * row a pattern and a resolver from the reference instant to [start, end].
 * Instants are µs since the epoch; calendar arithmetic goes through civil
 * dates (isotime.h), so months and leap years come out as Python's
 * datetime computes them. A resolver that would leave Python's datetime
 * range (years 1..9999) or timedelta range (±999,999,999 days) drops the
 * match, as the Python exception upstream does.
 *
 * Fixed mode (D7): every table pattern is wrapped in letter/digit
 * look-arounds so it cannot match inside a word, alternatives are tried
 * longest first ("earlier today" before "earlier"), the VI hour unit `h`/`g`
 * must not be followed by a letter, and a hint whose span lies inside
 * another hint's span is dropped. Thread-safe (patterns compiled once).
 */
#include "extract.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "isotime.h"
#include "mem.h"
#include "regex.h"
#include "text.h"

#define US_MIN (60 * NM_USEC_PER_SEC)
#define US_HOUR (60 * US_MIN)
#define US_DAY (24 * US_HOUR)
/* An offset wider than the datetime range leaves it from any reference
 * time (Python raises OverflowError: no hint). Checking against this
 * bound, not timedelta's 999999999 days (~8.6e19 µs, past INT64_MAX),
 * keeps every multiplication below in range. */
#define SPAN_MAX (NM_TIME_MAX - NM_TIME_MIN)

static const char *const gran_names[] = {"minute", "hour", "day", "week", "month", "year"};
const nm_enum_t nm_enum_granularity = {"granularity", gran_names, 6};

/* ---- calendar helpers (all on µs instants, UTC) ---- */

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / US_DAY : -((-t + US_DAY - 1) / US_DAY);
}

static int64_t sod(int64_t t) { return day_of(t) * US_DAY; }
static int64_t eod(int64_t t) { return sod(t) + US_DAY - 1; }
static int64_t at_hour(int64_t t, int h) { return sod(t) + h * US_HOUR; }

/* Monday = 0, as Python's weekday(). 1970-01-01 was a Thursday (3). */
static int weekday(int64_t t)
{
	int64_t d = (day_of(t) + 3) % 7;
	return (int)(d < 0 ? d + 7 : d);
}

static int64_t first_of_month(int64_t t)
{
	int64_t y;
	unsigned m, d;
	nm_civil_from_days(day_of(t), &y, &m, &d);
	return nm_days_from_civil(y, m, 1) * US_DAY;
}

static int64_t first_of_next_month(int64_t t)
{
	int64_t y;
	unsigned m, d;
	nm_civil_from_days(day_of(t), &y, &m, &d);
	return nm_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * US_DAY;
}

static bool in_range(int64_t t)
{
	return t >= NM_TIME_MIN && t <= NM_TIME_MAX;
}

/* ---- resolvers: ref (+ the match's number) → [start, end]; false = drop ---- */

typedef bool (*resolver_t)(int64_t ref, int64_t n, int64_t *s, int64_t *e);

static bool whole_day(int64_t ref, int64_t days, int64_t *s, int64_t *e)
{
	if (days > SPAN_MAX / US_DAY || days < -(SPAN_MAX / US_DAY))
		return false;
	int64_t t = ref + days * US_DAY;
	*s = sod(t);
	*e = eod(t);
	return in_range(t);
}

static bool r_today(int64_t r, int64_t n, int64_t *s, int64_t *e) { return whole_day(r, 0, s, e); }
static bool r_yesterday(int64_t r, int64_t n, int64_t *s, int64_t *e) { return whole_day(r, -1, s, e); }
static bool r_2days_ago(int64_t r, int64_t n, int64_t *s, int64_t *e) { return whole_day(r, -2, s, e); }
static bool r_tomorrow(int64_t r, int64_t n, int64_t *s, int64_t *e) { return whole_day(r, 1, s, e); }
static bool r_in_2days(int64_t r, int64_t n, int64_t *s, int64_t *e) { return whole_day(r, 2, s, e); }

/* Hours h0..h1 of the day `days` from ref (h1 may pass midnight). */
static bool hours(int64_t ref, int64_t days, int h0, int h1, int64_t *s, int64_t *e)
{
	int64_t t = ref + days * US_DAY;
	if (!in_range(t))
		return false;
	*s = at_hour(t, h0);
	*e = at_hour(t, 0) + h1 * US_HOUR;
	return in_range(*e) && in_range(*s);
}

static bool r_morning(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, 0, 6, 12, s, e); }
static bool r_noon(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, 0, 11, 14, s, e); }
static bool r_vi_afternoon(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, 0, 14, 18, s, e); }
static bool r_en_afternoon(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, 0, 12, 18, s, e); }
static bool r_evening(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, 0, 18, 22, s, e); }
static bool r_vi_night(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, 0, 22, 30, s, e); }
static bool r_tonight(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, 0, 20, 28, s, e); }
static bool r_y_morning(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, -1, 6, 12, s, e); }
static bool r_y_noon_18(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, -1, 12, 18, s, e); }
static bool r_y_14_18(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, -1, 14, 18, s, e); }
static bool r_y_evening(int64_t r, int64_t n, int64_t *s, int64_t *e) { return hours(r, -1, 18, 22, s, e); }

/* "yesterday evening|last night": 18:00 … 23:59:59.000000 (no fraction). */
static bool r_last_night(int64_t r, int64_t n, int64_t *s, int64_t *e)
{
	if (!hours(r, -1, 18, 18, s, e))
		return false;
	*e = sod(*s) + 86399 * NM_USEC_PER_SEC;
	return true;
}

/* Weeks: Monday-based; k = weeks from this one. */
static bool week(int64_t r, int k, int64_t *s, int64_t *e)
{
	int64_t mon = r - weekday(r) * US_DAY;
	*s = sod(mon + 7 * k * US_DAY);
	*e = eod(mon + (7 * k + 6) * US_DAY);
	return in_range(mon + 7 * k * US_DAY) && in_range(mon + (7 * k + 6) * US_DAY);
}

static bool r_this_week(int64_t r, int64_t n, int64_t *s, int64_t *e) { return week(r, 0, s, e); }
static bool r_last_week(int64_t r, int64_t n, int64_t *s, int64_t *e) { return week(r, -1, s, e); }
static bool r_next_week(int64_t r, int64_t n, int64_t *s, int64_t *e) { return week(r, 1, s, e); }

static bool r_this_month(int64_t r, int64_t n, int64_t *s, int64_t *e)
{
	*s = first_of_month(r);
	int64_t next = first_of_next_month(r);
	*e = eod(next - US_DAY);
	return in_range(next); /* upstream computes day 28 + 4 days first */
}

static bool r_last_month(int64_t r, int64_t n, int64_t *s, int64_t *e)
{
	int64_t last = first_of_month(r) - US_DAY; /* last day of the previous month */
	if (!in_range(last))
		return false;
	*s = first_of_month(last);
	*e = eod(last);
	return true;
}

static bool r_recent(int64_t r, int64_t n, int64_t *s, int64_t *e)
{
	*s = r - 2 * US_HOUR;
	*e = r;
	return in_range(*s);
}

static bool r_vi_earlier(int64_t r, int64_t n, int64_t *s, int64_t *e)
{
	*s = r - 4 * US_HOUR;
	*e = r - 30 * US_MIN;
	return in_range(*s);
}

static bool r_earlier(int64_t r, int64_t n, int64_t *s, int64_t *e)
{
	*s = sod(r);
	*e = r - US_HOUR;
	return in_range(*e);
}

static bool r_minutes_ago(int64_t r, int64_t n, int64_t *s, int64_t *e)
{
	if (n + 5 > SPAN_MAX / US_MIN)
		return false;
	*s = r - (n + 5) * US_MIN;
	*e = r - (n > 5 ? n - 5 : 0) * US_MIN;
	return in_range(*s) && in_range(*e);
}

/* timedelta(hours=N ± 0.5): exact in whole seconds for every N that can
 * stay inside the datetime range. */
static bool r_hours_ago(int64_t r, int64_t n, int64_t *s, int64_t *e)
{
	if (n > SPAN_MAX / US_HOUR)
		return false;
	*s = r - n * US_HOUR - 30 * US_MIN;
	*e = n >= 1 ? r - n * US_HOUR + 30 * US_MIN : r;
	return in_range(*s) && in_range(*e);
}

static bool r_days_ago(int64_t r, int64_t n, int64_t *s, int64_t *e) { return whole_day(r, -n, s, e); }

static bool r_vi_days_ago(int64_t r, int64_t n, int64_t *s, int64_t *e) { return whole_day(r, -n, s, e); }

static bool r_vi_weeks_ago(int64_t r, int64_t n, int64_t *s, int64_t *e)
{
	if (n > SPAN_MAX / (7 * US_DAY))
		return false;
	int64_t a = r - 7 * n * US_DAY, b = r - 7 * (n - 1) * US_DAY;
	*s = sod(a);
	*e = eod(b);
	return in_range(a) && in_range(b);
}

/* ---- tables ---- */

typedef struct row {
	const char *compat;   /* upstream pattern */
	const char *fixed;    /* alternatives longest first (NULL: same as compat) */
	resolver_t resolve;
	int numbered;         /* 0: table row (granularity inferred); 1: group 1 is a number */
	int gran;             /* numbered rows: explicit granularity */
} row_t;

static const row_t vi_rows[] = {
	{"hôm nay", NULL, r_today, 0, 0},
	{"hôm qua", NULL, r_yesterday, 0, 0},
	{"hôm kia", NULL, r_2days_ago, 0, 0},
	{"ngày mai", NULL, r_tomorrow, 0, 0},
	{"ngày kia", NULL, r_in_2days, 0, 0},
	{"sáng nay", NULL, r_morning, 0, 0},
	{"trưa nay", NULL, r_noon, 0, 0},
	{"chiều nay", NULL, r_vi_afternoon, 0, 0},
	{"tối nay", NULL, r_evening, 0, 0},
	{"đêm nay", NULL, r_vi_night, 0, 0},
	{"sáng qua|sáng hôm qua", "sáng hôm qua|sáng qua", r_y_morning, 0, 0},
	{"chiều qua|chiều hôm qua", "chiều hôm qua|chiều qua", r_y_14_18, 0, 0},
	{"tối qua|tối hôm qua", "tối hôm qua|tối qua", r_y_evening, 0, 0},
	{"tuần này", NULL, r_this_week, 0, 0},
	{"tuần trước|tuần rồi", NULL, r_last_week, 0, 0},
	{"tuần sau|tuần tới", NULL, r_next_week, 0, 0},
	{"tháng này", NULL, r_this_month, 0, 0},
	{"tháng trước|tháng rồi", NULL, r_last_month, 0, 0},
	{"mới|vừa|vừa xong|mới đây", "vừa xong|mới đây|mới|vừa", r_recent, 0, 0},
	{"nãy|lúc nãy", "lúc nãy|nãy", r_vi_earlier, 0, 0},
};

static const row_t en_rows[] = {
	{"today", NULL, r_today, 0, 0},
	{"yesterday", NULL, r_yesterday, 0, 0},
	{"day before yesterday", NULL, r_2days_ago, 0, 0},
	{"tomorrow", NULL, r_tomorrow, 0, 0},
	{"this morning", NULL, r_morning, 0, 0},
	{"this afternoon", NULL, r_en_afternoon, 0, 0},
	{"this evening", NULL, r_evening, 0, 0},
	{"tonight", NULL, r_tonight, 0, 0},
	{"yesterday morning", NULL, r_y_morning, 0, 0},
	{"yesterday afternoon", NULL, r_y_noon_18, 0, 0},
	{"yesterday evening|last night", NULL, r_last_night, 0, 0},
	{"this week", NULL, r_this_week, 0, 0},
	{"last week", NULL, r_last_week, 0, 0},
	{"next week", NULL, r_next_week, 0, 0},
	{"this month", NULL, r_this_month, 0, 0},
	{"last month", NULL, r_last_month, 0, 0},
	{"just now|just|recently", NULL, r_recent, 0, 0},
	{"earlier|earlier today", "earlier today|earlier", r_earlier, 0, 0},
	{"(\\d+)\\s*minutes?\\s*ago", NULL, r_minutes_ago, 1, -1},
	{"(\\d+)\\s*hours?\\s*ago", NULL, r_hours_ago, 1, -1},
	{"(\\d+)\\s*days?\\s*ago", NULL, r_days_ago, 1, -1},
};

/* The VI hour pattern has its own resolver (period words); see vi_hour(). */
#define VI_HOUR_COMPAT "(\\d{1,2})\\s*(?:giờ|h|g)(?:\\s*(sáng|chiều|tối))?"
#define VI_HOUR_FIXED "(\\d{1,2})\\s*(?:giờ|h(?!\\p{L})|g(?!\\p{L}))(?:\\s*(sáng|chiều|tối)(?!\\p{L}))?"
static const row_t vi_numbered[] = {
	{VI_HOUR_COMPAT, VI_HOUR_FIXED, NULL, 1, NM_GRAN_HOUR},
	{"(\\d+)\\s*ngày\\s*(?:trước|qua)", NULL, r_vi_days_ago, 1, NM_GRAN_DAY},
	{"(\\d+)\\s*tuần\\s*(?:trước|qua)", NULL, r_vi_weeks_ago, 1, NM_GRAN_WEEK},
};

#define NVI (sizeof vi_rows / sizeof vi_rows[0])
#define NEN (sizeof en_rows / sizeof en_rows[0])
#define NNUM (sizeof vi_numbered / sizeof vi_numbered[0])

static nm_re_t *compiled[2][NVI + NEN + NNUM]; /* [mode][row], set once */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const row_t *row_at(size_t i)
{
	return i < NVI ? &vi_rows[i] : i < NVI + NEN ? &en_rows[i - NVI] : &vi_numbered[i - NVI - NEN];
}

static void compile_all(void)
{
	for (size_t i = 0; i < NVI + NEN + NNUM; i++) {
		const row_t *r = row_at(i);
		compiled[NM_MODE_COMPAT][i] = nm_re_compile(r->compat, true);
		/* the VI hour row guards its own end: "2h30" is 02:00, "10 GB" nothing */
		const char *tail = r == &vi_numbered[0] ? "" : "(?![\\p{L}\\p{N}])";
		char *fixed = nm_xasprintf("(?<![\\p{L}\\p{N}])(?:%s)%s", r->fixed ? r->fixed : r->compat, tail);
		compiled[NM_MODE_FIXED][i] = nm_re_compile(fixed, true);
		free(fixed);
	}
}

/* ---- matching ---- */

/* Python int() of a run of Unicode decimal digits; -1 when too large to
 * matter (every resolver then drops the match anyway). */
static int64_t parse_number(const char *s, size_t len)
{
	int64_t v = 0;
	int32_t i = 0;
	while ((size_t)i < len) {
		UChar32 c;
		U8_NEXT(s, i, (int32_t)len, c);
		int d = u_charDigitValue(c);
		if (d < 0)
			break;
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + d;
	}
	return v;
}

/* "3 giờ chiều": the hour of today with the period word applied. */
static bool vi_hour(const char *text, const nm_re_match_t *m, int64_t ref, int64_t *s, int64_t *e)
{
	int64_t h = parse_number(text + m->start[1], (size_t)(m->end[1] - m->start[1]));
	if (m->start[2] >= 0) {
		const char *p = text + m->start[2];
		size_t n = (size_t)(m->end[2] - m->start[2]);
		/* the pattern is caseless: compare lower-cased */
		char *low = nm_utf8_lower(p, n, NULL);
		bool pm = low && (strcmp(low, "chiều") == 0 || strcmp(low, "tối") == 0);
		bool am = low && strcmp(low, "sáng") == 0;
		free(low);
		if (pm && h < 12)
			h += 12;
		if (am && h == 12)
			h = 0;
	}
	if (h < 0 || h > 23)
		return false;
	int64_t t = at_hour(ref, (int)h); /* ref.replace(hour=h, minute=0, …) */
	*s = t - 30 * US_MIN;
	*e = t + 30 * US_MIN;
	return in_range(*s) && in_range(*e);
}

static nm_granularity_t infer_granularity(int64_t s, int64_t e)
{
	double secs = (double)(e - s) / 1e6;
	if (secs <= 3600)
		return NM_GRAN_MINUTE;
	if (secs <= 86400)
		return NM_GRAN_HOUR;
	if (secs <= 604800)
		return NM_GRAN_DAY;
	if (secs <= 2678400)
		return NM_GRAN_WEEK;
	if (secs <= 31536000)
		return NM_GRAN_MONTH;
	return NM_GRAN_YEAR;
}

typedef struct scan {
	const char *text;
	int64_t ref;
	const row_t *row;
	nm_time_hints_t *out;
} scan_t;

static void push(nm_time_hints_t *h, nm_time_hint_t x)
{
	h->v = nm_xrealloc(h->v, sizeof *h->v * (h->n + 1));
	h->v[h->n++] = x;
}

static int on_match(void *arg, const nm_re_match_t *m)
{
	scan_t *sc = arg;
	const row_t *r = sc->row;
	int64_t s, e;
	bool ok;
	if (!r->resolve) {
		ok = vi_hour(sc->text, m, sc->ref, &s, &e);
	} else if (r->numbered) {
		int64_t n = parse_number(sc->text + m->start[1], (size_t)(m->end[1] - m->start[1]));
		ok = n >= 0 && r->resolve(sc->ref, n, &s, &e);
	} else {
		ok = r->resolve(sc->ref, 0, &s, &e);
	}
	if (!ok)
		return 0;
	nm_time_hint_t h = {
		.original = nm_xstrndup(sc->text + m->start[0], (size_t)(m->end[0] - m->start[0])),
		.span_start = (size_t)m->start[0],
		.span_end = (size_t)m->end[0],
		.start = s,
		.end = e,
		/* table rows (incl. EN "N … ago") infer their granularity and are
		 * fuzzy; the VI numbered rows carry theirs and are not */
		.granularity = r->gran >= 0 && r->numbered ? (nm_granularity_t)r->gran : infer_granularity(s, e),
		.fuzzy = !(r->numbered && r->gran >= 0),
	};
	push(sc->out, h);
	return 0;
}

static void drop(nm_time_hints_t *h, size_t i)
{
	free(h->v[i].original);
	memmove(&h->v[i], &h->v[i + 1], sizeof *h->v * (h->n - i - 1));
	h->n--;
}

/* De-duplicate on (start, end), keeping the first. */
static void dedup(nm_time_hints_t *h)
{
	for (size_t i = 0; i < h->n; i++)
		for (size_t j = i + 1; j < h->n;)
			if (h->v[j].start == h->v[i].start && h->v[j].end == h->v[i].end)
				drop(h, j);
			else
				j++;
}

/* Fixed mode: a hint whose span lies inside another's goes (the first of
 * two equal spans stays). */
static void drop_nested(nm_time_hints_t *h)
{
	for (size_t i = 0; i < h->n;) {
		bool inside = false;
		for (size_t j = 0; j < h->n && !inside; j++) {
			if (j == i)
				continue;
			const nm_time_hint_t *a = &h->v[i], *b = &h->v[j];
			bool within = b->span_start <= a->span_start && a->span_end <= b->span_end;
			bool equal = b->span_start == a->span_start && b->span_end == a->span_end;
			inside = within && (!equal || j < i);
		}
		if (inside)
			drop(h, i);
		else
			i++;
	}
}

void nm_extract_time(const char *text, size_t len, int64_t ref, nm_lang_t lang, nm_engine_mode_t mode,
                     nm_time_hints_t *out)
{
	pthread_once(&once, compile_all);
	memset(out, 0, sizeof *out);
	/* auto: VI table, EN table, VI numbered; vi: VI + numbered; en: EN. */
	size_t from[3], to[3], nparts = 0;
	if (lang != NM_LANG_EN)
		from[nparts] = 0, to[nparts++] = NVI;
	if (lang != NM_LANG_VI)
		from[nparts] = NVI, to[nparts++] = NVI + NEN;
	if (lang != NM_LANG_EN)
		from[nparts] = NVI + NEN, to[nparts++] = NVI + NEN + NNUM;
	scan_t sc = {text, ref, NULL, out};
	for (size_t p = 0; p < nparts; p++)
		for (size_t i = from[p]; i < to[p]; i++) {
			sc.row = row_at(i);
			nm_re_each(compiled[mode][i], text, len, on_match, &sc);
		}
	dedup(out);
	if (mode == NM_MODE_FIXED)
		drop_nested(out);
}

void nm_time_hints_clear(nm_time_hints_t *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].original);
	free(h->v);
	memset(h, 0, sizeof *h);
}
