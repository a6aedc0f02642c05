/*
 * log.c — the access log and daemon messages, both on stderr.
 *
 * Lines are collected in a buffer and written when it passes 32 KiB, when
 * the loop's 100 ms tick calls srv_log_flush, and at exit: one write(2)
 * per batch instead of one per request, so logging costs little at tens of
 * thousands of requests per second and a line is never more than ~100 ms
 * late. Daemon messages (srv_log) are flushed at once. Any thread may log;
 * the buffer is guarded by one mutex.
 */
#include "internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "isotime.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static nm_buf_t buf;           /* guarded by mu */
static bool access_on = true;  /* set once at start-up */

void srv_log_init(bool access)
{
	access_on = access;
}

static void flush_locked(void)
{
	size_t off = 0;
	while (off < buf.len) {
		ssize_t n = write(STDERR_FILENO, buf.data + off, buf.len - off);
		if (n <= 0)
			break; /* stderr gone: drop the lines rather than block */
		off += (size_t)n;
	}
	nm_buf_reset(&buf);
}

void srv_log_flush(void)
{
	pthread_mutex_lock(&mu);
	flush_locked();
	pthread_mutex_unlock(&mu);
}

static void stamp(char *ts)
{
	nm_time_format(nm_time_now(), ts);
	ts[23] = 'Z'; /* milliseconds are enough in a log line */
	ts[24] = '\0';
}

void srv_log(const char *fmt, ...)
{
	char ts[NM_TIME_BUFSZ];
	stamp(ts);
	va_list ap;
	va_start(ap, fmt);
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&mu);
	nm_buf_printf(&buf, "%s nmemd: %s\n", ts, msg);
	flush_locked();
	pthread_mutex_unlock(&mu);
}

void srv_log_access(const char *reqid, const char *method, const char *path, size_t pathlen, int status,
                    size_t bytes, double ms)
{
	if (!access_on)
		return;
	char ts[NM_TIME_BUFSZ];
	stamp(ts);
	/* Control characters in a client's path must not forge log lines. */
	char safe[512];
	size_t n = 0;
	for (size_t i = 0; i < pathlen && n < sizeof safe - 4; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c < 0x20 || c == 0x7f || c == ' ')
			n += (size_t)snprintf(safe + n, sizeof safe - n, "%%%02X", c);
		else
			safe[n++] = (char)c;
	}
	safe[n] = '\0';
	pthread_mutex_lock(&mu);
	nm_buf_printf(&buf, "%s %s %s %s %d %zu %.3fms\n", ts, reqid, method, safe, status, bytes, ms);
	if (buf.len > 32 * 1024)
		flush_locked();
	pthread_mutex_unlock(&mu);
}
