/*
 * isotime.c — ISO-8601 parsing and formatting of microsecond instants.
 *
 * Thread-safe: pure functions over the caller's data. The civil-date
 * conversions are Howard Hinnant's days_from_civil/civil_from_days
 * algorithms (public domain), valid far beyond the years 1..9999 we allow.
 */
#include "isotime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t nm_time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NM_USEC_PER_SEC + ts.tv_nsec / 1000;
}

double nm_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int64_t nm_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void nm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* Read exactly `k` ASCII digits at s[*i]; -1 when not all are digits. */
static int digits(const char *s, size_t n, size_t *i, int k)
{
	int v = 0;
	if (*i + (size_t)k > n)
		return -1;
	for (int j = 0; j < k; j++) {
		char c = s[*i + (size_t)j];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)k;
	return v;
}

static int expect(const char *s, size_t n, size_t *i, char c)
{
	if (*i < n && s[*i] == c) {
		(*i)++;
		return 0;
	}
	return -1;
}

/* Time of day after the date: HH:MM[:SS[.f{1,9}]] → microseconds. */
static int parse_clock(const char *s, size_t n, size_t *i, int64_t *us)
{
	int hh = digits(s, n, i, 2), mm;
	if (hh < 0 || hh > 23 || expect(s, n, i, ':') || (mm = digits(s, n, i, 2)) < 0 || mm > 59)
		return -1;
	int ss = 0;
	int64_t frac = 0;
	if (*i < n && s[*i] == ':') {
		(*i)++;
		if ((ss = digits(s, n, i, 2)) < 0 || ss > 59)
			return -1;
		if (*i < n && s[*i] == '.') {
			(*i)++;
			int nd = 0;
			while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
				if (nd < 6)
					frac = frac * 10 + (s[*i] - '0');
				nd++;
				(*i)++;
			}
			if (nd < 1 || nd > 9)
				return -1;
			for (int k = nd; k < 6; k++)
				frac *= 10;
		}
	}
	*us = ((int64_t)hh * 3600 + mm * 60 + ss) * NM_USEC_PER_SEC + frac;
	return 0;
}

/* Optional Z or ±HH:MM → offset in microseconds to subtract. */
static int parse_offset(const char *s, size_t n, size_t *i, int64_t *off)
{
	*off = 0;
	if (*i >= n)
		return 0;
	if (s[*i] == 'Z') {
		(*i)++;
		return 0;
	}
	if (s[*i] != '+' && s[*i] != '-')
		return -1;
	int sign = s[*i] == '-' ? -1 : 1;
	(*i)++;
	int oh = digits(s, n, i, 2), om;
	if (oh < 0 || oh > 23 || expect(s, n, i, ':') || (om = digits(s, n, i, 2)) < 0 || om > 59)
		return -1;
	*off = sign * ((int64_t)oh * 3600 + om * 60) * NM_USEC_PER_SEC;
	return 0;
}

int nm_time_parse(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	int y = digits(s, n, &i, 4), m, d;
	if (y < 1 || expect(s, n, &i, '-') || (m = digits(s, n, &i, 2)) < 1 || m > 12 ||
	    expect(s, n, &i, '-') || (d = digits(s, n, &i, 2)) < 1 || d > days_in_month(y, (unsigned)m))
		return -1;
	int64_t clock = 0, off = 0;
	if (i < n) {
		if (s[i] != 'T' && s[i] != ' ')
			return -1;
		i++;
		if (parse_clock(s, n, &i, &clock) || parse_offset(s, n, &i, &off))
			return -1;
	}
	if (i != n)
		return -1;
	int64_t t = nm_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 * NM_USEC_PER_SEC + clock - off;
	if (t < NM_TIME_MIN || t > NM_TIME_MAX)
		return -1;
	*out = t;
	return 0;
}

char *nm_time_format(int64_t t, char *buf)
{
	int64_t days = t / (86400 * NM_USEC_PER_SEC);
	int64_t rem = t % (86400 * NM_USEC_PER_SEC);
	if (rem < 0) {
		rem += 86400 * NM_USEC_PER_SEC;
		days--;
	}
	int64_t y;
	unsigned m, d;
	nm_civil_from_days(days, &y, &m, &d);
	int64_t secs = rem / NM_USEC_PER_SEC;
	snprintf(buf, NM_TIME_BUFSZ, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lld", (long long)y, m, d,
	         (long long)(secs / 3600), (long long)(secs / 60 % 60), (long long)(secs % 60),
	         (long long)(rem % NM_USEC_PER_SEC));
	return buf;
}

char *nm_time_format_py(int64_t t, char *buf)
{
	nm_time_format(t, buf);
	if (strcmp(buf + 19, ".000000") == 0)
		buf[19] = '\0';
	return buf;
}
