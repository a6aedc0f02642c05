/*
 * conn.h — PRIVATE to server/: a client connection and the request it is
 * reading, shared by conn.c (I/O, parsing, writing) and dispatch.c (from a
 * parsed request to an answer or a job). Loop thread only.
 */
#ifndef SRV_CONN_H
#define SRV_CONN_H

#include "internal.h"
#include "request.h"

/* Connection states (transitions in conn.c):
 *   IDLE  --first byte-->        HEAD   (on_message_begin)
 *   HEAD  --headers done-->      BODY   (on_headers_complete)
 *   BODY  --message complete-->  BUSY   (on_message_complete → srv_dispatch)
 *   BUSY  --answer queued-->     WRITE  (srv_conn_respond)
 *   WRITE --written, keep-alive--> IDLE (on_written)
 *   WRITE --written, after an error answer--> LINGER (linger): our side
 *         is shut down, input is read and dropped until EOF or 2 s, so
 *         the client sees the answer instead of a reset
 *   BUSY  --GET /sync/ws upgraded--> WS (ws.c: frames until close)
 *   any   --error/timeout/EOF--> CLOSED (conn_close)                     */
typedef enum { CS_IDLE, CS_HEAD, CS_BODY, CS_BUSY, CS_WRITE, CS_LINGER, CS_WS, CS_CLOSED } srv_cstate_t;

typedef struct srv_ws srv_ws_t;

struct srv_conn {
	uv_tcp_t tcp;                 /* handles embedded; freed after both close callbacks */
	uv_timer_t timer;
	uv_shutdown_t shutdown_req;   /* used once, by linger() */
	srv_ctx_t *ctx;
	srv_conn_t *prev, *next;      /* ctx->conns */
	llhttp_t parser;
	srv_cstate_t state;
	int open_handles;
	bool job_pending;             /* a worker holds a job for this connection */
	bool close_after_write;
	uint64_t gen;                 /* bumped per request; jobs carry it */
	char *pend;                   /* bytes received but not yet parsed (pipelining) */
	size_t pend_len;
	srv_pipe_t *out;              /* a streamed answer being sent (conn_stream.c) */
	bool out_writing;             /* a chunk of it is being written */
	srv_pipe_t *in;               /* a streamed request body being received (conn_stream.c) */
	srv_ws_t *ws;                 /* CS_WS: the WebSocket (ws.c) */
	bool in_paused;               /* reading stopped: the pipe is full */
	char rbuf[64 * 1024];         /* read buffer */
	srv_req_t req;
};

/* dispatch.c: decide what to do with a complete request (loop thread). */
void srv_dispatch(srv_conn_t *c);
/* Set the request's id: the client's X-Request-ID if plain, else a new one. */
void srv_req_id(srv_conn_t *c);

/* conn.c: answer the current request. body is taken (free()d later);
 * extra: additional header lines ("Name: value\r\n"...), or NULL. */
void srv_conn_respond(srv_conn_t *c, int status, const char *ctype, char *body, size_t len, const char *extra);
/* Answer with {"detail": detail}. */
void srv_conn_error(srv_conn_t *c, int status, const char *detail, const char *extra);

/* conn.c pieces used by conn_stream.c. head: the status line and headers
 * of an answer with Content-Length len, or chunked when len < 0 (logs and
 * counts the answer); owned. write: send head then body (both owned, body
 * may be NULL); ends: the answer's last bytes (then keep-alive or close),
 * else after(c, status) runs once written. */
char *srv_conn_head(srv_conn_t *c, int status, const char *ctype, int64_t len, const char *extra, size_t *hlen);
int srv_conn_write(srv_conn_t *c, char *head, size_t hlen, char *body, size_t blen, bool ends,
                   void (*after)(srv_conn_t *c, int status));
void srv_conn_close(srv_conn_t *c);
void srv_conn_arm(srv_conn_t *c, double seconds);
void srv_conn_resume_reading(srv_conn_t *c);

/* conn_stream.c: a job answered with a pipe (srv_job_stream): send its
 * head and then the pipe's bytes as chunks (a HEAD: the head alone); drop:
 * the connection closes. */
void srv_conn_stream_out(srv_conn_t *c, srv_job_t *job);
void srv_conn_stream_drop(srv_conn_t *c);
/* A streamed request body: in_start gives the job its end of a new pipe
 * (dispatch); push/end feed it (parser); check stops reading while the
 * pipe is full (after each read; the worker's reads resume it); drop lets
 * go of it (answered, closed). */
void srv_conn_stream_in_start(srv_conn_t *c, srv_job_t *job);
void srv_conn_stream_in_push(srv_conn_t *c, const char *p, size_t n);
void srv_conn_stream_in_end(srv_conn_t *c);
void srv_conn_stream_in_check(srv_conn_t *c);
void srv_conn_stream_in_drop(srv_conn_t *c);
/* ws.c: the WebSocket of a connection. upgrade: answer the handshake
 * (101, or 400/426) and switch the connection to frames; client is
 * sync.c's. input: bytes read. send: a text frame (false once closing).
 * queued: frames not yet written. close: a close frame, then the socket
 * when it is written. free: the connection is gone. */
bool srv_ws_upgrade(srv_conn_t *c, void *client);
void srv_ws_input(srv_conn_t *c, const char *data, size_t n);
bool srv_ws_send(srv_conn_t *c, const char *text, size_t n);
int srv_ws_queued(const srv_conn_t *c);
void srv_ws_close(srv_conn_t *c, int code, const char *reason);
void srv_ws_free(srv_conn_t *c);
/* sync.c: a WebSocket client joins (after the checks), sends a message,
 * leaves. */
void *srv_sync_join(srv_conn_t *c, const char *principal, bool admin);
void srv_sync_message(srv_conn_t *c, void *client, const char *text, size_t n);
void srv_sync_gone(srv_conn_t *c, void *client);

#endif
