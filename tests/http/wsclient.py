"""Minimal RFC 6455 WebSocket client on raw sockets, for the black-box tests
of /sync/ws.  Python standard library only.

    ws = WS.connect(port, headers={...}, query="token=...")   # 101 checked
    ws.send_json({"action": "ping"}); ws.recv_json() == {"type": "pong"}
    ws.send_frame(OP_TEXT, b"...", fin=False) ...              # any framing
    code, reason = ws.read_until_close()

Client frames are masked unless told otherwise (to test the server's
refusal).  Every read has a deadline (a socket timeout); a read that passes
it raises WSTimeout, an end of stream raises WSClosed.  Nothing sleeps.
"""
import base64
import hashlib
import json
import os
import socket
import struct
import time

import harness as H

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
OP_NAMES = {0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}


class WSTimeout(AssertionError):
    pass


class WSClosed(AssertionError):
    """The stream ended (EOF or reset) where a frame was expected."""


class Frame:
    def __init__(self, fin, opcode, payload, masked=False, rsv=0):
        self.fin = fin
        self.opcode = opcode
        self.payload = payload
        self.masked = masked
        self.rsv = rsv

    def __repr__(self):
        p = self.payload[:200]
        return (f"<frame {OP_NAMES.get(self.opcode, self.opcode)} fin={self.fin} len={len(self.payload)} "
                f"{p!r}{'...' if len(self.payload) > 200 else ''}>")


class Message:
    """A whole message: opcode (text/binary, or a control opcode) and data."""

    def __init__(self, opcode, data):
        self.opcode = opcode
        self.data = data

    @property
    def text(self):
        return self.data.decode("utf-8")

    def json(self):
        return json.loads(self.data.decode("utf-8"))

    def close_code(self):
        """(code, reason) of a close message; (None, "") for an empty one."""
        if len(self.data) < 2:
            return None, ""
        return struct.unpack("!H", self.data[:2])[0], self.data[2:].decode("utf-8", "replace")

    def __repr__(self):
        d = self.data[:300]
        return f"<message {OP_NAMES.get(self.opcode, self.opcode)} {d!r}{'...' if len(self.data) > 300 else ''}>"


def make_key():
    return base64.b64encode(os.urandom(16)).decode("ascii")


def accept_for(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


def upgrade_request(path="/sync/ws", key=None, headers=None, method="GET", host="127.0.0.1", drop=()):
    """Bytes of an upgrade request.  headers override or add to the standard
    ones (a value of None removes that header); drop: header names left out."""
    hdrs = {"Host": host, "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Key": key if key is not None else make_key(), "Sec-WebSocket-Version": "13"}
    for k, v in (headers or {}).items():
        hit = next((h for h in hdrs if h.lower() == k.lower()), None)
        if hit is not None:
            del hdrs[hit]
        if v is not None:
            hdrs[k] = v
    lines = [f"{method} {path} HTTP/1.1"]
    for k, v in hdrs.items():
        if k.lower() in {d.lower() for d in drop}:
            continue
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def encode_frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None, mask_key=None):
    """One frame.  length overrides the declared payload length (to announce
    more than is sent)."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0x0F)
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return head + key + mask_bytes(payload, key)


def mask_bytes(data, key):
    if not data:
        return b""
    k = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(len(data), "big")


class WS:
    """One WebSocket connection (client side)."""

    def __init__(self, sock, response=None, leftover=b""):
        self.sock = sock
        self.response = response
        self.buf = bytearray(leftover)
        self.partial = None       # (opcode, [pieces]) of a fragmented message being read
        self.eof = False
        self.closed_by_us = False
        self.cid = None           # client id after sync_connect
        self.before_close = []

    # -- opening -------------------------------------------------------------
    @classmethod
    def connect(cls, port, host="127.0.0.1", path="/sync/ws", headers=None, query=None,
                timeout=H.IO_TIMEOUT, rcvbuf=None, expect_status=101):
        """Connect and do the handshake.  With expect_status 101 (default) the
        answer must be 101 with the right Sec-WebSocket-Accept, and a WS is
        returned; otherwise the HTTP answer (harness.RawResponse) is returned
        after asserting its status."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(timeout)
        try:
            sock.connect((host, port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            key = make_key()
            if query:
                path = path + ("&" if "?" in path else "?") + (query if isinstance(query, str) else H.qs(query))
            sock.sendall(upgrade_request(path, key, headers))
            resp, rest = read_http_head(sock, timeout)
        except BaseException:
            sock.close()
            raise
        if resp.status != expect_status:
            sock.close()
            raise AssertionError(f"WebSocket upgrade: expected HTTP {expect_status}, got {resp!r}")
        if expect_status != 101:
            sock.close()
            return resp
        try:
            check_upgrade(resp, key)
        except BaseException:
            sock.close()
            raise
        return cls(sock, resp, rest)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- sending -------------------------------------------------------------
    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload=b"", fin=True, mask=True, rsv=0, length=None):
        self.send_raw(encode_frame(opcode, payload, fin=fin, mask=mask, rsv=rsv, length=length))

    def send_message(self, data, opcode=OP_TEXT, pieces=None, between=None, mask=True):
        """A text (str) or binary message, optionally fragmented: pieces is a
        list of fragment sizes (the rest goes in a last fragment) or a list
        of bytes/str fragments; between maps a fragment index i to a list of
        (opcode, payload) control frames sent after fragment i."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if pieces is None:
            frags = [data]
        elif all(isinstance(p, int) for p in pieces):
            frags, pos = [], 0
            for n in pieces:
                frags.append(data[pos:pos + n])
                pos += n
            if pos < len(data):
                frags.append(data[pos:])
        else:
            frags = [p.encode("utf-8") if isinstance(p, str) else p for p in pieces]
        out = b""
        for i, f in enumerate(frags):
            out += encode_frame(opcode if i == 0 else OP_CONT, f, fin=i == len(frags) - 1, mask=mask)
            for op, payload in (between or {}).get(i, ()):
                out += encode_frame(op, payload, mask=mask)
        self.send_raw(out)

    def send_text(self, text, **kw):
        self.send_message(text, OP_TEXT, **kw)

    def send_binary(self, data, **kw):
        self.send_message(data, OP_BINARY, **kw)

    def send_json(self, obj, **kw):
        self.send_message(json.dumps(obj), OP_TEXT, **kw)

    def send_ping(self, payload=b""):
        self.send_frame(OP_PING, payload)

    def send_pong(self, payload=b""):
        self.send_frame(OP_PONG, payload)

    def send_close(self, code=1000, reason=""):
        payload = b"" if code is None else struct.pack("!H", code) + reason.encode("utf-8")
        self.send_frame(OP_CLOSE, payload)
        self.closed_by_us = True

    # -- receiving -----------------------------------------------------------
    def _fill(self, n, deadline):
        while len(self.buf) < n:
            if self.eof:
                raise WSClosed(f"connection closed with {len(self.buf)} of {n} bytes of a frame")
            left = deadline - time.monotonic()
            if left <= 0:
                raise WSTimeout(f"timed out waiting for a WebSocket frame ({len(self.buf)} bytes buffered)")
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(1 << 20)
            except socket.timeout:
                raise WSTimeout(f"timed out waiting for a WebSocket frame ({len(self.buf)} bytes buffered)")
            except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
                d = b""
            if not d:
                self.eof = True
            self.buf += d

    def _take(self, n):
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def recv_frame(self, timeout=H.IO_TIMEOUT):
        """The next frame as sent (server frames must not be masked)."""
        deadline = time.monotonic() + timeout
        self._fill(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n = b1 & 0x7F
        hl = 2
        if n == 126:
            self._fill(4, deadline)
            n = struct.unpack("!H", bytes(self.buf[2:4]))[0]
            hl = 4
        elif n == 127:
            self._fill(10, deadline)
            n = struct.unpack("!Q", bytes(self.buf[2:10]))[0]
            hl = 10
        masked = bool(b1 & 0x80)
        if masked:
            hl += 4
        self._fill(hl + n, deadline)
        head = self._take(hl)
        payload = self._take(n)
        if masked:
            payload = mask_bytes(payload, head[-4:])
        return Frame(bool(b0 & 0x80), b0 & 0x0F, payload, masked, (b0 >> 4) & 7)

    def recv(self, timeout=H.IO_TIMEOUT):
        """The next message: a control frame as it comes (also between the
        fragments of a data message), or a whole reassembled data message.
        Server frames are checked: unmasked, no reserved bits, valid
        fragmentation."""
        deadline = time.monotonic() + timeout
        while True:
            f = self.recv_frame(max(0.0, deadline - time.monotonic()))
            if f.masked:
                raise AssertionError(f"server frame is masked: {f!r}")
            if f.rsv:
                raise AssertionError(f"server frame has reserved bits set: {f!r}")
            if f.opcode >= 8:
                if not f.fin or len(f.payload) > 125:
                    raise AssertionError(f"bad server control frame: {f!r}")
                return Message(f.opcode, f.payload)
            if f.opcode == OP_CONT:
                if self.partial is None:
                    raise AssertionError("server sent a continuation frame outside a message")
                self.partial[1].append(f.payload)
            else:
                if self.partial is not None:
                    raise AssertionError("server started a message inside a fragmented one")
                self.partial = (f.opcode, [f.payload])
            if f.fin:
                op, parts = self.partial
                self.partial = None
                return Message(op, b"".join(parts))

    def recv_json(self, timeout=H.IO_TIMEOUT, skip_pong=False):
        """The next message, which must be a text message holding JSON;
        a close frame or another opcode fails the test with what came."""
        while True:
            m = self.recv(timeout)
            if m.opcode == OP_PONG and skip_pong:
                continue
            if m.opcode == OP_CLOSE:
                raise AssertionError(f"expected a JSON text message, got close {m.close_code()}")
            if m.opcode != OP_TEXT:
                raise AssertionError(f"expected a JSON text message, got {m!r}")
            try:
                return json.loads(m.data.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise AssertionError(f"server text message is not JSON: {m!r}")

    def request(self, obj, timeout=H.IO_TIMEOUT):
        """Send a JSON message, return the next JSON message."""
        self.send_json(obj)
        return self.recv_json(timeout)

    def read_until_close(self, timeout=H.IO_TIMEOUT, allow_eof=False, keep=True):
        """Read messages until a close frame; returns (code, reason).  The
        messages before it are in self.before_close (unless keep is False:
        large bursts).  An end of stream without a close frame fails, or
        returns None when allow_eof."""
        self.before_close = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                m = self.recv(max(0.0, deadline - time.monotonic()))
            except WSClosed:
                if allow_eof:
                    return None
                raise AssertionError(f"connection ended without a close frame; before it: {self.before_close[-5:]!r}")
            if m.opcode == OP_CLOSE:
                return m.close_code()
            if keep:
                self.before_close.append(m)
            else:
                self.before_close = [m]

    def expect_eof(self, timeout=H.IO_TIMEOUT):
        """After a close handshake: the server closes the TCP connection
        (no more frames).  Fails on a frame or when the deadline passes."""
        deadline = time.monotonic() + timeout
        while True:
            if self.buf:
                raise AssertionError(f"data after the close frame: {bytes(self.buf[:100])!r}")
            if self.eof:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                raise WSTimeout("the server did not close the TCP connection after the close frame")
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                raise WSTimeout("the server did not close the TCP connection after the close frame")
            except (ConnectionResetError, ConnectionAbortedError):
                d = b""
            if not d:
                self.eof = True
            self.buf += d

    # -- sync protocol shorthands ---------------------------------------------
    def sync_connect(self, client_id=None):
        msg = {"action": "connect"}
        if client_id is not None:
            msg["client_id"] = client_id
        ev = self.request(msg)
        if ev.get("type") != "connected":
            raise AssertionError(f"connect: expected a connected event, got {ev!r}")
        self.cid = ev["data"]["client_id"]
        return self.cid

    def subscribe(self, brain_id):
        ev = self.request({"action": "subscribe", "brain_id": brain_id})
        if ev.get("type") != "subscribed" or ev.get("data", {}).get("success") is not True:
            raise AssertionError(f"subscribe {brain_id}: expected subscribed, got {ev!r}")
        return ev

    def ping(self):
        """Send the ping action and return the next message (JSON)."""
        return self.request({"action": "ping"})


def read_http_head(sock, timeout=H.IO_TIMEOUT):
    """Read one HTTP response head (and, unless it is 101, its body when it
    has a Content-Length).  Returns (harness.RawResponse, leftover bytes)."""
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out reading the upgrade answer; got {buf[:300]!r}")
        sock.settimeout(left)
        try:
            d = sock.recv(65536)
        except socket.timeout:
            raise AssertionError(f"timed out reading the upgrade answer; got {buf[:300]!r}")
        if not d:
            raise AssertionError(f"connection closed before the upgrade answer; got {buf[:300]!r}")
        buf += d
    i = buf.index(b"\r\n\r\n")
    head, rest = buf[:i].decode("latin-1"), buf[i + 4:]
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    hl = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hl.append((k.strip().lower(), v.strip()))
    h = dict(hl)
    body = b""
    if status != 101 and "content-length" in h:
        n = int(h["content-length"])
        while len(rest) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out reading the upgrade answer's body")
            sock.settimeout(left)
            d = sock.recv(65536)
            if not d:
                break
            rest += d
        body, rest = rest[:n], rest[n:]
    return H.RawResponse(status, parts[2] if len(parts) > 2 else "", h, body, hl), rest


def check_upgrade(resp, key):
    """A 101 answer to an upgrade with this key (RFC 6455 §4.2.2)."""
    if resp.status != 101:
        raise AssertionError(f"expected 101, got {resp!r}")
    if resp.headers.get("upgrade", "").lower() != "websocket":
        raise AssertionError(f"101 without Upgrade: websocket: {resp.header_list!r}")
    if "upgrade" not in [t.strip().lower() for t in resp.headers.get("connection", "").split(",")]:
        raise AssertionError(f"101 without Connection: Upgrade: {resp.header_list!r}")
    want = accept_for(key)
    if resp.headers.get("sec-websocket-accept") != want:
        raise AssertionError(f"Sec-WebSocket-Accept: expected {want!r}, got "
                             f"{resp.headers.get('sec-websocket-accept')!r}")
