/* err.c — filling nm_err_t (see err.h). Thread-safe: touches only the
 * caller's struct. */
#include "err.h"

#include <stdio.h>
#include <string.h>

int nm_err_vset(nm_err_t *err, int status, const char *fmt, va_list ap)
{
	if (err) {
		err->status = status;
		vsnprintf(err->detail, sizeof err->detail, fmt, ap);
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
	memcpy(err->detail, tmp, sizeof tmp);
}
