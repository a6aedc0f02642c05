/* err.c — filling nm_err_t (see err.h). Thread-safe: touches only the
 * caller's struct. */
#include "err.h"

#include <stdio.h>
#include <string.h>

int nm_err_vset(nm_err_t *err, int status, const char *fmt, va_list ap)
{
	if (err) {
		err->status = status;
		int n = vsnprintf(err->detail, sizeof err->detail, fmt, ap);
		if (n >= (int)sizeof err->detail) /* truncated: do not end inside a character */
			err->detail[nm_utf8_prefix(err->detail, sizeof err->detail - 1)] = '\0';
	}
	return -status;
}

int nm_err_set(nm_err_t *err, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = nm_err_vset(err, status, fmt, ap);
	va_end(ap);
	return rc;
}

void nm_err_prefix(nm_err_t *err, const char *prefix)
{
	if (!err)
		return;
	char tmp[sizeof err->detail];
	snprintf(tmp, sizeof tmp, "%s%s", prefix, err->detail);
	tmp[nm_utf8_prefix(tmp, sizeof tmp - 1)] = '\0';
	memcpy(err->detail, tmp, sizeof tmp);
}
