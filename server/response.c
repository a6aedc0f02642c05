/*
 * response.c — building answers on the job: JSON bodies, {"detail": …}
 * errors, and the status line texts. Any thread (a job is owned by one
 * thread at a time).
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

const char *srv_status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 422: return "Unprocessable Content";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

void srv_error_body(nm_buf_t *b, const char *detail)
{
	nm_jw_t w;
	nm_jw_init(&w);
	nm_jw_obj(&w);
	nm_jw_key(&w, "detail");
	nm_jw_str(&w, detail);
	nm_jw_obj_end(&w);
	nm_buf_reset(b);
	nm_buf_append(b, w.buf.data, w.buf.len);
	nm_jw_free(&w);
}

int srv_job_error(srv_job_t *job, int status, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	job->status = status;
	job->content_type = NULL;
	srv_error_body(&job->out, detail);
	return -status;
}

int srv_job_errfrom(srv_job_t *job, const nm_err_t *err)
{
	int status = err && err->status ? err->status : 500;
	return srv_job_error(job, status, "%s", err && err->status ? err->detail : "Internal error");
}

void srv_job_json(srv_job_t *job, int status, nm_jw_t *w)
{
	job->status = status;
	job->content_type = NULL;
	nm_jw_init(w);
	nm_buf_free(&w->buf);
	w->buf = job->out;       /* write straight into the job's buffer */
	nm_buf_reset(&w->buf);
}

void srv_job_json_done(srv_job_t *job, nm_jw_t *w)
{
	job->out = w->buf;
	w->buf = (nm_buf_t){0};
}
