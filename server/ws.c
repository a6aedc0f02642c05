/*
 * ws.c — WebSocket connections (RFC 6455) for /sync/ws: the upgrade
 * handshake, frame parsing and writing. What the messages mean is sync.c.
 *
 * A connection becomes a WebSocket when dispatch routes GET /sync/ws here
 * after the usual checks (API key from Authorization or ?token=). The
 * handshake is checked (GET, Upgrade: websocket, Connection: upgrade,
 * Sec-WebSocket-Version: 13, a key of 16 base64 bytes; else 400, or 426
 * for another version) and answered 101 with Sec-WebSocket-Accept =
 * base64(SHA-1(key + GUID)) from libcrypto. From then on conn.c hands
 * every byte read to srv_ws_input.
 *
 * Frames: client frames must be masked (else close 1002); reserved bits
 * must be 0 (1002); control frames are final and at most 125 bytes (1002);
 * text messages may be fragmented, control frames may come between the
 * fragments; a message is at most WS_MAX_MESSAGE bytes (1009) and must be
 * UTF-8 (1007); binary messages are refused (1003). Ping is answered with
 * pong, close with close (echoing a valid code), after which the socket is
 * closed once the frame is written.
 *
 * Closing never frees anything at once (the socket closes when the close
 * frame has been written), so a parse loop may go on using its state.
 *
 * Output: unmasked text frames. Each connection counts the frames queued
 * in libuv and not yet written; past sync.max_queue the client is too slow:
 * sync.c sends it the overflow error and it is closed with 1008, so one
 * slow reader never holds the daemon's memory or other clients.
 * Loop thread only.
 */
#include "conn.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_MAX_MESSAGE (1u << 20)
#define WS_MAX_FRAME (WS_MAX_MESSAGE + 14)

enum { OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10 };

struct srv_ws {
	srv_conn_t *c;
	nm_buf_t in;                  /* bytes received, not yet a whole frame */
	nm_buf_t msg;                 /* a fragmented text message being assembled */
	bool in_message;
	bool closing;                 /* a close frame was sent: ignore input, close after write */
	int queued;                   /* frames handed to libuv, not yet written */
	void *client;                 /* sync.c's client */
};

/* ---- handshake ---- */

static bool has_token(const char *list, const char *token)
{
	size_t n = strlen(token);
	for (const char *p = list; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',')
			e++;
		const char *t = e;
		while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if ((size_t)(t - p) == n && strncasecmp(p, token, n) == 0)
			return true;
		p = e;
	}
	return false;
}

/* Sec-WebSocket-Accept for key (NUL-terminated base64 into out[29]). */
static bool accept_key(const char *key, char out[64])
{
	char buf[128];
	unsigned char sha[EVP_MAX_MD_SIZE];
	unsigned int shalen = 0;
	int n = snprintf(buf, sizeof buf, "%s" WS_GUID, key);
	if (n <= 0 || (size_t)n >= sizeof buf || !EVP_Digest(buf, (size_t)n, sha, &shalen, EVP_sha1(), NULL))
		return false;
	return EVP_EncodeBlock((unsigned char *)out, sha, (int)shalen) > 0;
}

/* A Sec-WebSocket-Key: base64 of exactly 16 bytes. */
static bool valid_key(const char *key)
{
	unsigned char raw[32];
	size_t n = key ? strlen(key) : 0;
	if (n != 24 || key[22] != '=' || key[23] != '=')
		return false;
	return EVP_DecodeBlock(raw, (const unsigned char *)key, 24) == 18; /* 16 bytes + 2 pad */
}

bool srv_ws_upgrade(srv_conn_t *c, void *client)
{
	srv_req_t *r = &c->req;
	const char *why = NULL;
	if (r->method != HTTP_GET)
		why = "WebSocket upgrade needs GET";
	else if (!r->upgrade || !has_token(r->upgrade, "websocket"))
		why = "WebSocket upgrade required (Upgrade: websocket)";
	else if (!r->connection || !has_token(r->connection, "upgrade"))
		why = "WebSocket upgrade required (Connection: Upgrade)";
	else if (!valid_key(r->ws_key))
		why = "Sec-WebSocket-Key: must be 16 bytes, base64";
	if (why) {
		srv_conn_error(c, 400, why, NULL);
		return false;
	}
	if (!r->ws_version || strcmp(r->ws_version, "13") != 0) {
		srv_conn_error(c, 426, "Sec-WebSocket-Version: only 13 is supported", "Sec-WebSocket-Version: 13\r\n");
		return false;
	}
	char acc[64];
	if (!accept_key(r->ws_key, acc)) {
		srv_conn_error(c, 500, "Internal error", NULL);
		return false;
	}
	if (!r->reqid[0])
		srv_req_id(c);
	nm_buf_t h = {0};
	nm_buf_printf(&h, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	                  "Sec-WebSocket-Accept: %s\r\nX-Request-ID: %s\r\n\r\n", acc, r->reqid);
	size_t len;
	char *head = nm_buf_steal(&h, &len);
	srv_log_access(r->reqid, "GET", "/sync/ws", 8, 101, 0, 0);
	srv_ws_t *ws = nm_xcalloc(1, sizeof *ws);
	ws->c = c;
	ws->client = client;
	c->ws = ws;
	c->state = CS_WS;
	uv_timer_stop(&c->timer); /* a subscriber may stay quiet for hours */
	srv_conn_write(c, head, len, NULL, 0, false, NULL);
	/* bytes that came with the request belong to the WebSocket stream */
	if (c->pend_len) {
		char *data = c->pend;
		size_t n = c->pend_len;
		c->pend = NULL;
		c->pend_len = 0;
		srv_ws_input(c, data, n);
		free(data);
	}
	if (c->state == CS_WS)
		srv_conn_resume_reading(c);
	return true;
}

/* ---- output ---- */

static void on_frame_written(srv_conn_t *c, int status)
{
	srv_ws_t *ws = c->ws;
	if (!ws)
		return;
	ws->queued--;
	if (status < 0 || (ws->closing && ws->queued == 0))
		srv_conn_close(c);
}

static void send_frame(srv_ws_t *ws, int op, const char *p, size_t n)
{
	if (ws->closing && op != OP_CLOSE)
		return;
	char hdr[10];
	size_t hl = 2;
	hdr[0] = (char)(0x80 | op);
	if (n < 126) {
		hdr[1] = (char)n;
	} else if (n < 65536) {
		hdr[1] = 126;
		hdr[2] = (char)(n >> 8);
		hdr[3] = (char)n;
		hl = 4;
	} else {
		hdr[1] = 127;
		for (int i = 0; i < 8; i++)
			hdr[2 + i] = (char)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	char *frame = nm_xmalloc(hl + n + 1);
	memcpy(frame, hdr, hl);
	if (n)
		memcpy(frame + hl, p, n);
	ws->queued++;
	srv_conn_write(ws->c, frame, hl + n, NULL, 0, false, on_frame_written);
}

bool srv_ws_send(srv_conn_t *c, const char *text, size_t n)
{
	srv_ws_t *ws = c->ws;
	if (!ws || ws->closing)
		return false;
	send_frame(ws, OP_TEXT, text, n);
	return true;
}

int srv_ws_queued(const srv_conn_t *c)
{
	return c->ws ? c->ws->queued : 0;
}

void srv_ws_close(srv_conn_t *c, int code, const char *reason)
{
	srv_ws_t *ws = c->ws;
	if (!ws || ws->closing)
		return;
	char body[128];
	size_t rl = reason ? strlen(reason) : 0;
	if (rl > sizeof body - 2)
		rl = sizeof body - 2;
	body[0] = (char)(code >> 8);
	body[1] = (char)code;
	if (rl)
		memcpy(body + 2, reason, rl);
	send_frame(ws, OP_CLOSE, body, 2 + rl);
	ws->closing = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	srv_conn_arm(c, 5.0); /* a peer that reads nothing more is cut off */
}

/* ---- input ---- */

/* A received close frame: echo its code (or 1000), then close. */
static void on_close_frame(srv_ws_t *ws, const unsigned char *p, size_t n)
{
	int code = 1000;
	if (n == 1) {
		code = 1002;
	} else if (n >= 2) {
		int got = p[0] << 8 | p[1];
		bool ok = (got >= 1000 && got <= 1003) || (got >= 1007 && got <= 1014) || (got >= 3000 && got <= 4999);
		code = ok && nm_utf8_valid((const char *)p + 2, n - 2, NULL) ? got : 1002;
	}
	srv_ws_close(ws->c, code, NULL);
}

/* One whole frame (payload unmasked in place). Returns false when the
 * connection is closing. */
static bool on_frame(srv_ws_t *ws, bool fin, int op, unsigned char *p, size_t n)
{
	srv_conn_t *c = ws->c;
	switch (op) {
	case OP_PING:
		send_frame(ws, OP_PONG, (const char *)p, n);
		return true;
	case OP_PONG:
		return true;
	case OP_CLOSE:
		on_close_frame(ws, p, n);
		return false;
	case OP_BINARY:
		srv_ws_close(c, 1003, "binary messages are not supported");
		return false;
	case OP_TEXT:
	case OP_CONT:
		if ((op == OP_TEXT) == ws->in_message) {
			srv_ws_close(c, 1002, op == OP_TEXT ? "new message inside a fragmented one" : "continuation without a message");
			return false;
		}
		if (ws->msg.len + n > WS_MAX_MESSAGE) {
			srv_ws_close(c, 1009, "message too big");
			return false;
		}
		nm_buf_append(&ws->msg, p, n);
		ws->in_message = !fin;
		if (!fin)
			return true;
		if (!nm_utf8_valid(ws->msg.data ? ws->msg.data : "", ws->msg.len, NULL)) {
			srv_ws_close(c, 1007, "text message is not UTF-8");
			return false;
		}
		srv_sync_message(c, ws->client, ws->msg.data ? ws->msg.data : "", ws->msg.len);
		nm_buf_reset(&ws->msg);
		return c->state == CS_WS && !ws->closing;
	default:
		srv_ws_close(c, 1002, "unknown opcode");
		return false;
	}
}

/* Parse as many whole frames as ws->in holds; keep the rest. */
static void parse(srv_ws_t *ws)
{
	unsigned char *b = (unsigned char *)ws->in.data;
	size_t have = ws->in.len, pos = 0;
	while (have - pos >= 2 && !ws->closing) {
		unsigned char *f = b + pos;
		bool fin = f[0] & 0x80, masked = f[1] & 0x80;
		int op = f[0] & 0x0f;
		uint64_t n = f[1] & 0x7f;
		size_t hl = 2;
		if ((f[0] & 0x70) || !masked) {
			srv_ws_close(ws->c, 1002, (f[0] & 0x70) ? "reserved bits set" : "client frames must be masked");
			break;
		}
		if (n == 126 || n == 127) {
			size_t ext = n == 126 ? 2 : 8;
			if (have - pos < 2 + ext)
				break;
			n = 0;
			for (size_t i = 0; i < ext; i++)
				n = n << 8 | f[2 + i];
			hl += ext;
		}
		if ((op & 0x8) && (!fin || n > 125)) {
			srv_ws_close(ws->c, 1002, "control frames must be final and at most 125 bytes");
			break;
		}
		if (n > WS_MAX_FRAME) {
			srv_ws_close(ws->c, 1009, "frame too big");
			break;
		}
		if (have - pos < hl + 4 + n)
			break;
		unsigned char *mask = f + hl, *p = f + hl + 4;
		for (uint64_t i = 0; i < n; i++)
			p[i] ^= mask[i & 3];
		pos += hl + 4 + (size_t)n;
		if (!on_frame(ws, fin, op, p, (size_t)n))
			break;
	}
	memmove(ws->in.data, ws->in.data + pos, have - pos);
	ws->in.len = have - pos;
}

void srv_ws_input(srv_conn_t *c, const char *data, size_t n)
{
	srv_ws_t *ws = c->ws;
	if (!ws || ws->closing)
		return;
	nm_buf_append(&ws->in, data, n);
	parse(ws);
}

void srv_ws_free(srv_conn_t *c)
{
	srv_ws_t *ws = c->ws;
	if (!ws)
		return;
	srv_sync_gone(c, ws->client);
	c->ws = NULL;
	nm_buf_free(&ws->in);
	nm_buf_free(&ws->msg);
	free(ws);
}
