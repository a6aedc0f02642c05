/*
 * jsonw.c — see jsonw.h.
 *
 * Invariants: (1) need_comma[d] is true when the container open at depth d
 * already holds a value; (2) after_key is true between nm_jw_key and the
 * value that follows, so that value gets no comma; (3) w->buf always holds
 * only text not yet handed to the sink.
 */
#include "jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isotime.h"

void nm_jw_init(nm_jw_t *w)
{
	memset(w, 0, sizeof *w);
	w->sink_threshold = 64 * 1024;
}

void nm_jw_free(nm_jw_t *w)
{
	nm_buf_free(&w->buf);
}

int nm_jw_flush(nm_jw_t *w)
{
	if (w->sink && !w->error && w->buf.len) {
		int rc = w->sink(w->sink_arg, w->buf.data, w->buf.len);
		if (rc)
			w->error = rc;
	}
	if (w->sink)
		nm_buf_reset(&w->buf);
	return w->error;
}

static void maybe_flush(nm_jw_t *w)
{
	if (w->sink && w->buf.len >= w->sink_threshold)
		nm_jw_flush(w);
}

/* Separator before a value (or key) at the current depth. */
static void pre_value(nm_jw_t *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		nm_buf_putc(&w->buf, ',');
	w->need_comma[w->depth] = true;
}

static void open_container(nm_jw_t *w, char c)
{
	pre_value(w);
	nm_buf_putc(&w->buf, c);
	if (w->depth < NM_JW_MAX_DEPTH)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void close_container(nm_jw_t *w, char c)
{
	nm_buf_putc(&w->buf, c);
	if (w->depth > 0)
		w->depth--;
	maybe_flush(w);
}

void nm_jw_obj(nm_jw_t *w) { open_container(w, '{'); }
void nm_jw_obj_end(nm_jw_t *w) { close_container(w, '}'); }
void nm_jw_arr(nm_jw_t *w) { open_container(w, '['); }
void nm_jw_arr_end(nm_jw_t *w) { close_container(w, ']'); }

static void put_string(nm_buf_t *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	nm_buf_reserve(b, n + 2);
	nm_buf_putc(b, '"');
	size_t run = 0; /* start of the pending run of bytes needing no escape */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		nm_buf_append(b, s + run, i - run);
		run = i + 1;
		char esc[7] = {'\\', 0};
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
		}
		nm_buf_puts(b, esc);
	}
	nm_buf_append(b, s + run, n - run);
	nm_buf_putc(b, '"');
}

void nm_jw_key(nm_jw_t *w, const char *key)
{
	pre_value(w);
	put_string(&w->buf, key, strlen(key));
	nm_buf_putc(&w->buf, ':');
	w->after_key = true;
}

void nm_jw_strn(nm_jw_t *w, const char *s, size_t n)
{
	pre_value(w);
	put_string(&w->buf, s, n);
	maybe_flush(w);
}

void nm_jw_str(nm_jw_t *w, const char *s)
{
	if (!s)
		nm_jw_null(w);
	else
		nm_jw_strn(w, s, strlen(s));
}

void nm_jw_int(nm_jw_t *w, int64_t v)
{
	pre_value(w);
	nm_buf_printf(&w->buf, "%" PRId64, v);
}

int nm_jw_format_double(double v, char *buf)
{
	if (!isfinite(v))
		return snprintf(buf, 32, "null");
	if (v == 0)
		return snprintf(buf, 32, signbit(v) ? "-0.0" : "0.0");
	char e[40];
	/* A normal double's shortest form is found from 15 digits up (any
	 * decimal of <= 15 digits survives the round trip, DBL_DIG); a
	 * subnormal has fewer significant bits, so search from 1. */
	for (int prec = fpclassify(v) == FP_SUBNORMAL ? 1 : 15; prec <= 17; prec++) {
		snprintf(e, sizeof e, "%.*e", prec - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	/* e = [-]d.ddde±XX: collect sign, significant digits and exponent. */
	const char *p = e;
	char *o = buf;
	if (*p == '-')
		*o++ = *p++;
	char dig[20];
	int nd = 0;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			dig[nd++] = *p;
	int exp = atoi(p + 1);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	if (exp >= -4 && exp < 16) {
		if (exp < 0) {
			o += sprintf(o, "0.");
			for (int i = -1; i > exp; i--)
				*o++ = '0';
			memcpy(o, dig, (size_t)nd);
			o += nd;
		} else {
			for (int i = 0; i <= exp; i++)
				*o++ = i < nd ? dig[i] : '0';
			*o++ = '.';
			if (nd > exp + 1) {
				memcpy(o, dig + exp + 1, (size_t)(nd - exp - 1));
				o += nd - exp - 1;
			} else {
				*o++ = '0';
			}
		}
	} else {
		*o++ = dig[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, dig + 1, (size_t)(nd - 1));
			o += nd - 1;
		}
		o += sprintf(o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	}
	*o = '\0';
	return (int)(o - buf);
}

void nm_jw_real(nm_jw_t *w, double v)
{
	char tmp[32];
	int n = nm_jw_format_double(v, tmp);
	pre_value(w);
	nm_buf_append(&w->buf, tmp, (size_t)n);
}

void nm_jw_bool(nm_jw_t *w, bool v)
{
	pre_value(w);
	nm_buf_puts(&w->buf, v ? "true" : "false");
}

void nm_jw_null(nm_jw_t *w)
{
	pre_value(w);
	nm_buf_puts(&w->buf, "null");
}

void nm_jw_time(nm_jw_t *w, int64_t t)
{
	if (t == NM_TIME_NONE) {
		nm_jw_null(w);
		return;
	}
	char tmp[NM_TIME_BUFSZ];
	nm_jw_str(w, nm_time_format(t, tmp));
}

void nm_jw_strv(nm_jw_t *w, const nm_strv_t *sv)
{
	nm_jw_arr(w);
	for (size_t i = 0; i < sv->n; i++)
		nm_jw_str(w, sv->v[i]);
	nm_jw_arr_end(w);
}

void nm_jw_members(nm_jw_t *w, const char *obj)
{
	const char *a = strchr(obj, '{'), *b = strrchr(obj, '}');
	if (!a || !b || b <= a)
		return;
	for (a++; a < b && strchr(" \t\r\n", *a); a++)
		;
	if (a == b)
		return;
	if (w->need_comma[w->depth])
		nm_buf_putc(&w->buf, ',');
	w->need_comma[w->depth] = true;
	nm_buf_append(&w->buf, a, (size_t)(b - a));
	maybe_flush(w);
}

void nm_jw_line(nm_jw_t *w)
{
	nm_buf_putc(&w->buf, '\n');
	w->need_comma[0] = false;
	maybe_flush(w);
}

void nm_jw_raw(nm_jw_t *w, const char *json)
{
	pre_value(w);
	nm_buf_puts(&w->buf, json);
	maybe_flush(w);
}

/* Recursive writer for jansson values; handles its own separators. */
static void put_json(nm_buf_t *b, const json_t *v)
{
	char tmp[32];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		bool first = true;
		nm_buf_putc(b, '{');
		json_object_foreach((json_t *)v, k, x) {
			if (!first)
				nm_buf_putc(b, ',');
			first = false;
			put_string(b, k, strlen(k));
			nm_buf_putc(b, ':');
			put_json(b, x);
		}
		nm_buf_putc(b, '}');
		break;
	}
	case JSON_ARRAY:
		nm_buf_putc(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				nm_buf_putc(b, ',');
			put_json(b, json_array_get(v, i));
		}
		nm_buf_putc(b, ']');
		break;
	case JSON_STRING:
		put_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		nm_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		nm_buf_append(b, tmp, (size_t)nm_jw_format_double(json_real_value(v), tmp));
		break;
	case JSON_TRUE: nm_buf_puts(b, "true"); break;
	case JSON_FALSE: nm_buf_puts(b, "false"); break;
	case JSON_NULL: nm_buf_puts(b, "null"); break;
	}
}

void nm_jw_json(nm_jw_t *w, const json_t *v)
{
	pre_value(w);
	put_json(&w->buf, v);
	maybe_flush(w);
}

char *nm_json_text(const json_t *v)
{
	nm_buf_t b = {0};
	put_json(&b, v);
	return nm_buf_steal(&b, NULL);
}
