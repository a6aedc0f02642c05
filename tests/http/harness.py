"""Black-box harness for nmemd: start/stop servers, an HTTP client, raw
socket helpers and assertion helpers.  Python 3.11 standard library only.

Synchronisation is always by polling a condition with a deadline (health
check, process exit, socket close), never by sleeping for a fixed time.

Backends: "sqlite", "memory" and "postgres". A postgres server gets a fresh
database (tests/pg/pgtmp.py) on NMEMD_TEST_PG's PostgreSQL server, or,
when that is unset, on one started for this process on first use; it keeps
that database across restarts and drops it in cleanup().
"""
import datetime
import gzip
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pg"))
import pgtmp  # noqa: E402

# Set by run.py.
BIN = None
KEEP_TMP = False
START_TIMEOUT = 20.0     # seconds until /health must answer 200
STOP_TIMEOUT = 30.0      # seconds until the process must exit after SIGTERM
IO_TIMEOUT = 30.0        # socket timeout for ordinary requests
POLL_INTERVAL = 0.02     # polling period while waiting for a condition

BACKENDS = ("sqlite", "memory", "postgres")


class ServerError(AssertionError):
    pass


class Skip(Exception):
    """Raised by a test for a feature the server under test does not offer
    yet (reported as SKIP, counted neither as passed nor failed)."""


# ---------------------------------------------------------------------------
# Per-test registry of servers started by a test; run.py stops them after
# the test and turns a bad exit (non-zero after SIGTERM, sanitizer report)
# into a failure.
_test_servers = []


def only(*backends):
    """Decorator: run a per-backend test only for these backends."""
    def deco(f):
        f.backends = backends
        return f
    return deco


def start(backend="sqlite", **kw):
    """Start a server owned by the current test (stopped by the runner)."""
    srv = Server(backend, **kw)
    _test_servers.append(srv)
    srv.start(wait=kw.get("wait", True))
    return srv


def take_test_servers():
    global _test_servers
    out, _test_servers = _test_servers, []
    return out


def free_port(host="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sha256_hex(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def poll_until(cond, timeout=START_TIMEOUT, what="condition"):
    """Call cond() until it returns a truthy value; raise after timeout."""
    end = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except (OSError, http.client.HTTPException) as e:
            last_exc = e
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(POLL_INTERVAL)


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer", "ThreadSanitizer", "AddressSanitizer:DEADLYSIGNAL")


class Server:
    """One nmemd process.  `config` (dict key -> value or list of values, or
    a raw string) is written to a temp file passed with --config; `sets`
    (dict or list of pairs) become --set key=value flags."""

    def __init__(self, backend="sqlite", *, config=None, sets=None, args=(), host="127.0.0.1",
                 port=None, data_dir=None, wait=True, env=None, pg_url=None):
        if BIN is None:
            raise ServerError("harness.BIN not set")
        self.backend = backend
        self.host = host
        self.connect_host = "127.0.0.1" if host in ("0.0.0.0", "127.0.0.1", "localhost") else host
        self.tmp = tempfile.mkdtemp(prefix="nmemd-http-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = port or free_port()
        self.config_path = None
        if config is not None:
            self.config_path = os.path.join(self.tmp, "nmemd.conf")
            self.write_config(config)
        if isinstance(sets, dict):
            sets = list(sets.items())
        self.sets = list(sets or [])
        self.args = list(args)
        self.env = env
        self.log_path = os.path.join(self.tmp, "stderr.log")
        self.out_path = os.path.join(self.tmp, "stdout.log")
        self.proc = None
        self.expect_dead = False
        self.clients = []
        self._c = None
        self.starts = 0
        # postgres: its database, made by the first start() (and dropped by
        # cleanup()), or another server's (pg_url=): a second node of a cluster
        self.pg_url = pg_url
        self.owns_db = pg_url is None

    # -- configuration -----------------------------------------------------
    def write_config(self, config):
        if isinstance(config, str):
            text = config
        else:
            lines = ["# written by tests/http/harness.py"]
            for k, v in config.items():
                for item in (v if isinstance(v, (list, tuple)) else [v]):
                    lines.append(f"{k} = {item}")
            text = "\n".join(lines) + "\n"
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(text)

    def cmdline(self):
        cmd = [BIN, "--host", self.host, "--port", str(self.port), "--data-dir", self.data_dir,
               "--storage", self.backend]
        if self.pg_url:
            cmd += ["--pg", self.pg_url]
        if self.config_path:
            cmd += ["--config", self.config_path]
        for k, v in self.sets:
            cmd += ["--set", f"{k}={v}"]
        return cmd + self.args

    # -- lifecycle ---------------------------------------------------------
    def start(self, wait=True):
        if self.backend == "postgres" and self.pg_url is None:
            self.pg_url = pgtmp.fresh_db()
        self.starts += 1
        log = open(self.log_path, "ab")
        out = open(self.out_path, "ab")
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(self.cmdline(), stdin=subprocess.DEVNULL, stdout=out, stderr=log,
                                     env=env)
        log.close()
        out.close()
        self.expect_dead = False
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout=None):
        timeout = START_TIMEOUT if timeout is None else timeout
        end = time.monotonic() + timeout
        last = None
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise ServerError(f"nmemd exited with status {rc} during startup "
                                  f"(cmd: {' '.join(self.cmdline())}); stderr tail:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(self.connect_host, self.port, timeout=5)
                try:
                    conn.request("GET", "/health")
                    r = conn.getresponse()
                    r.read()
                    if r.status == 200:
                        return
                    last = f"status {r.status}"
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
            if time.monotonic() > end:
                raise ServerError(f"nmemd not healthy within {timeout}s (last: {last}); stderr tail:\n"
                                  f"{self.log_tail()}")
            time.sleep(POLL_INTERVAL)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def healthy(self):
        if not self.alive():
            return False
        try:
            conn = http.client.HTTPConnection(self.connect_host, self.port, timeout=IO_TIMEOUT)
            try:
                conn.request("GET", "/health")
                r = conn.getresponse()
                r.read()
                return r.status == 200
            finally:
                conn.close()
        except (OSError, http.client.HTTPException):
            return False

    def close_clients(self):
        for c in self.clients:
            c.close()
        self.clients = []
        self._c = None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def sighup(self):
        self.signal(signal.SIGHUP)

    def terminate(self, timeout=None):
        """SIGTERM and wait for exit with a deadline; return the exit status.
        SIGKILL (and raise) when the deadline passes."""
        timeout = STOP_TIMEOUT if timeout is None else timeout
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.expect_dead = True
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise ServerError(f"nmemd did not exit within {timeout}s after SIGTERM")
        return self.proc.returncode

    def stop(self, expect=0):
        """SIGTERM, wait, assert exit status `expect` (None: don't check) and
        no sanitizer report in stderr."""
        self.close_clients()
        was_alive = self.alive()
        stopped_by_test = self.expect_dead
        rc = self.terminate()
        self.expect_dead = stopped_by_test
        self.check_sanitizers()
        if expect is not None and was_alive and rc != expect:
            raise ServerError(f"nmemd exited with status {rc} after SIGTERM (expected {expect}); "
                              f"stderr tail:\n{self.log_tail()}")
        if expect is not None and not was_alive and not self.expect_dead and rc is not None:
            raise ServerError(f"nmemd had already exited with status {rc}; stderr tail:\n{self.log_tail()}")
        return rc

    def restart(self):
        """SIGTERM (asserting exit 0) and start again on the same data dir and port."""
        self.stop(expect=0)
        self.start()
        return self

    def kill9(self):
        self.expect_dead = True
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(STOP_TIMEOUT)
        self.close_clients()

    def cleanup(self):
        """Stop if still running (status not checked) and remove temp files."""
        try:
            self.close_clients()
            if self.alive():
                try:
                    self.terminate()
                except ServerError:
                    pass
        finally:
            if not KEEP_TMP:
                shutil.rmtree(self.tmp, ignore_errors=True)
                if self.pg_url and self.owns_db:
                    try:
                        pgtmp.drop_db(self.pg_url)
                    except pgtmp.PgError as e:
                        print(f"warning: {e}", file=sys.stderr)
                    self.pg_url = None

    # -- logs --------------------------------------------------------------
    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n=30):
        return "\n".join(self.log_text().splitlines()[-n:])

    def check_sanitizers(self):
        text = self.log_text()
        for m in SANITIZER_MARKERS:
            i = text.find(m)
            if i >= 0:
                raise ServerError(f"sanitizer report in nmemd stderr:\n{text[max(0, i - 200):i + 3000]}")

    # -- clients -----------------------------------------------------------
    def client(self, **kw):
        c = Client(self.connect_host, self.port, **kw)
        self.clients.append(c)
        return c

    @property
    def c(self):
        if self._c is None:
            self._c = self.client()
        return self._c

    def req(self, *a, **kw):
        return self.c.req(*a, **kw)

    def raw(self, timeout=IO_TIMEOUT):
        return raw_connect(self.port, self.connect_host, timeout)


# ---------------------------------------------------------------------------
# JSON helpers: number tokens keep their source text so tests can check how
# the server formatted them (0.7 vs 0.69999999999999996, 1.0 vs 1).

class FloatTok(float):
    def __new__(cls, s):
        o = float.__new__(cls, s)
        o.text = s
        return o


class IntTok(int):
    def __new__(cls, s):
        o = int.__new__(cls, s)
        o.text = s
        return o


def typed_json(raw):
    return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw,
                      parse_float=FloatTok, parse_int=IntTok)


class Resp(tuple):
    """(status, headers, body) with extras: .raw (bytes), .header_list."""

    def __new__(cls, status, headers, body, raw=b"", header_list=()):
        t = tuple.__new__(cls, (status, headers, body))
        t.raw = raw
        t.header_list = list(header_list)
        return t

    status = property(lambda s: s[0])
    headers = property(lambda s: s[1])
    body = property(lambda s: s[2])

    def typed(self):
        return typed_json(self.raw)

    def __repr__(self):
        b = self.raw[:600]
        return f"<HTTP {self[0]} {b!r}{'...' if len(self.raw) > 600 else ''}>"


def decode_body(raw, headers):
    enc = headers.get("content-encoding", "").strip().lower()
    if enc == "gzip":
        raw = gzip.decompress(raw)
    elif enc == "deflate":
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            raw = zlib.decompress(raw, -zlib.MAX_WBITS)
    return raw


def parse_body(raw, headers):
    ctype = headers.get("content-type", "")
    if "json" in ctype and "ndjson" not in ctype and raw:
        try:
            return json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return raw.decode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def qs(params):
    """Form-encode like aiohttp/yarl: space -> '+', ':' and ',' unescaped."""
    if isinstance(params, dict):
        params = list(params.items())
    return urllib.parse.urlencode([(k, v) for k, v in params if v is not None],
                                  quote_via=urllib.parse.quote_plus, safe=":,")


def pq(segment):
    """Percent-encode one path segment (everything but unreserved)."""
    return urllib.parse.quote(segment, safe="")


class Client:
    """Keep-alive HTTP/1.1 client over http.client with full control of the
    headers sent (no implicit Accept-Encoding)."""

    def __init__(self, host, port, timeout=IO_TIMEOUT, headers=None):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.default_headers = dict(headers or {})
        self.conn = None
        self.uses = 0

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.uses = 0
        return self.conn

    def req(self, method, path, body=None, headers=None, brain=None, raw=None, query=None):
        """Send one request; returns Resp(status, headers(lower-cased), body).
        body: JSON-encoded (any JSON value); raw: bytes sent as is;
        brain: X-Brain-ID; query: dict/list of pairs appended form-encoded."""
        if query is not None:
            path = path + ("&" if "?" in path else "?") + qs(query)
        hdrs = dict(self.default_headers)
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode("utf-8")
        if brain is not None:
            hdrs["X-Brain-ID"] = brain
        if headers:
            hdrs.update(headers)
        for attempt in (0, 1):
            conn = self._conn()
            reused = self.uses > 0
            try:
                return self._send(conn, method, path, hdrs, data)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                self.close()
                if attempt or not reused:
                    raise
            except Exception:
                self.close()
                raise

    def _send(self, conn, method, path, hdrs, data):
        conn.putrequest(method, path, skip_accept_encoding=True)
        lower = {k.lower() for k in hdrs}
        for k, v in hdrs.items():
            conn.putheader(k, v)
        if data is not None and "content-length" not in lower and "transfer-encoding" not in lower:
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        self.uses += 1
        r = conn.getresponse()
        raw = r.read()
        hl = [(k.lower(), v) for k, v in r.getheaders()]
        h = {}
        for k, v in hl:
            h[k] = v
        if r.will_close:
            self.close()
        raw = decode_body(raw, h)
        return Resp(r.status, h, parse_body(raw, h), raw, hl)

    # shorthand
    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.req("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.req("DELETE", path, **kw)


# ---------------------------------------------------------------------------
# Raw sockets (malformed HTTP, pipelining, timeouts).

def raw_connect(port, host="127.0.0.1", timeout=IO_TIMEOUT):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until_close(sock, timeout=IO_TIMEOUT):
    """Read until EOF.  Returns (data, closed): closed is False when the
    timeout passed with the connection still open, True on EOF or reset."""
    sock.settimeout(timeout)
    chunks = []
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return b"".join(chunks), False
        sock.settimeout(left)
        try:
            d = sock.recv(65536)
        except socket.timeout:
            return b"".join(chunks), False
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            return b"".join(chunks), True
        if not d:
            return b"".join(chunks), True
        chunks.append(d)


class RawResponse:
    def __init__(self, status, reason, headers, body, header_list):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.header_list = header_list
        self.raw = body

    @property
    def body(self):
        return parse_body(self.raw, self.headers)

    def __repr__(self):
        return f"<raw HTTP {self.status} {self.raw[:300]!r}>"


def _parse_one(buf, head_only=False, eof=False):
    """Parse one response from buf.  Returns (RawResponse, rest) or None when
    more data is needed."""
    i = buf.find(b"\r\n\r\n")
    if i < 0:
        return None
    head = buf[:i].decode("latin-1")
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    hl = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hl.append((k.strip().lower(), v.strip()))
    h = dict(hl)
    rest = buf[i + 4:]
    if head_only or status in (204, 304) or 100 <= status < 200:
        return RawResponse(status, reason, h, b"", hl), rest
    if "chunked" in h.get("transfer-encoding", "").lower():
        body = b""
        pos = 0
        while True:
            j = rest.find(b"\r\n", pos)
            if j < 0:
                return None
            size = int(rest[pos:j].split(b";")[0], 16)
            if size == 0:
                k = rest.find(b"\r\n\r\n", j)
                if k < 0:
                    if rest[j:j + 4] == b"\r\n\r\n":
                        k = j
                    else:
                        return None
                return RawResponse(status, reason, h, body, hl), rest[k + 4:]
            if len(rest) < j + 2 + size + 2:
                return None
            body += rest[j + 2:j + 2 + size]
            pos = j + 2 + size + 2
    if "content-length" in h:
        n = int(h["content-length"])
        if len(rest) < n:
            return None
        return RawResponse(status, reason, h, rest[:n], hl), rest[n:]
    if eof:
        return RawResponse(status, reason, h, rest, hl), b""
    return None


def parse_responses(data, head_methods=(), eof=True):
    """Parse every complete response in data (bytes read until close)."""
    out = []
    idx = 0
    buf = data
    while buf:
        head_only = idx < len(head_methods) and head_methods[idx] == "HEAD"
        r = _parse_one(buf, head_only, eof)
        if r is None:
            break
        resp, buf = r
        if 100 <= resp.status < 200:
            continue
        out.append(resp)
        idx += 1
    return out, buf


def read_responses(sock, n, timeout=IO_TIMEOUT, head_methods=()):
    """Read exactly n responses (skipping 1xx) from sock; returns (list,
    closed).  Stops early on EOF."""
    buf = b""
    out = []
    end = time.monotonic() + timeout
    closed = False
    while len(out) < n:
        while True:
            head_only = len(out) < len(head_methods) and head_methods[len(out)] == "HEAD"
            r = _parse_one(buf, head_only, closed) if buf else None
            if r is None:
                break
            resp, buf = r
            if not (100 <= resp.status < 200):
                out.append(resp)
            if len(out) >= n:
                break
        if len(out) >= n:
            break
        if closed:
            raise AssertionError(f"connection closed after {len(out)}/{n} responses; unparsed: {buf[:300]!r}")
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out reading responses ({len(out)}/{n}); got {buf[:300]!r}")
        sock.settimeout(left)
        try:
            d = sock.recv(65536)
        except socket.timeout:
            raise AssertionError(f"timed out reading responses ({len(out)}/{n}); got {buf[:300]!r}")
        except (ConnectionResetError, ConnectionAbortedError):
            d = b""
        if not d:
            closed = True
        buf += d
    return out, closed


def http_request_bytes(method, path, headers=None, body=None, host="127.0.0.1"):
    """Build a request.  body: bytes, or JSON value (encoded)."""
    if body is not None and not isinstance(body, (bytes, bytearray)):
        body = json.dumps(body, ensure_ascii=False).encode("utf-8")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    hdrs = dict(headers or {})
    if body is not None and not any(k.lower() in ("content-length", "transfer-encoding") for k in hdrs):
        hdrs["Content-Length"] = str(len(body))
    for k, v in hdrs.items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + (body or b"")


def chunked(data, sizes):
    """Encode data as chunked transfer coding with the given chunk sizes
    (the remainder goes in a final chunk)."""
    out = b""
    pos = 0
    for n in sizes:
        part = data[pos:pos + n]
        if not part:
            break
        out += b"%x\r\n" % len(part) + part + b"\r\n"
        pos += n
    if pos < len(data):
        out += b"%x\r\n" % (len(data) - pos) + data[pos:] + b"\r\n"
    return out + b"0\r\n\r\n"


# ---------------------------------------------------------------------------
# Assertions and shapes.

DT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")
UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

NEURON_TYPES = ["time", "spatial", "entity", "action", "state", "concept", "sensory", "intent"]
SYNAPSE_TYPES = ["happened_at", "before", "after", "during", "at_location", "contains", "near",
                 "caused_by", "leads_to", "enables", "prevents", "co_occurs", "related_to",
                 "similar_to", "is_a", "has_property", "involves", "felt", "evokes"]
BI_DEFAULT_TYPES = {"co_occurs", "related_to", "similar_to", "near"}
DIRECTIONS = ["uni", "bi"]
NEIGHBOR_DIRECTIONS = ["out", "in", "both"]
ORDER_BY = ["created_at", "salience", "frequency"]
EXPORT_FORMATS = ["json", "ndjson"]

NEURON_KEYS = ["id", "type", "content", "metadata", "created_at"]
STATE_KEYS = ["neuron_id", "activation_level", "access_frequency", "last_activated", "decay_rate",
              "created_at"]
SYNAPSE_KEYS = ["id", "source_id", "target_id", "type", "weight", "direction", "metadata",
                "reinforced_count", "last_activated", "created_at"]
FIBER_KEYS = ["id", "neuron_ids", "synapse_ids", "anchor_neuron_id", "time_start", "time_end",
              "coherence", "salience", "frequency", "summary", "tags", "metadata", "created_at"]
CONFIG_KEYS = ["decay_rate", "reinforcement_delta", "activation_threshold", "max_spread_hops",
               "max_context_tokens", "default_synapse_weight"]
DEFAULT_CONFIG = {"decay_rate": 0.1, "reinforcement_delta": 0.05, "activation_threshold": 0.2,
                  "max_spread_hops": 4, "max_context_tokens": 1500, "default_synapse_weight": 0.5}
BRAIN_KEYS = ["id", "name", "owner_id", "is_public", "shared_with", "config", "metadata",
              "neuron_count", "synapse_count", "fiber_count", "created_at", "updated_at"]
STATS_KEYS = ["brain_id", "neuron_count", "synapse_count", "fiber_count", "project_count"]
STATS_EXTRA_KEYS = ["memory_types", "freshness", "archived_fiber_count", "archived_neuron_count",
                    "archived_synapse_count", "db_size_bytes"]
SNAPSHOT_KEYS = ["brain_id", "brain_name", "exported_at", "version", "neurons", "synapses", "fibers",
                 "config", "metadata"]
SNAP_SYNAPSE_KEYS = set(SYNAPSE_KEYS)


def fail(msg):
    raise AssertionError(msg)


def expect(cond, msg="expectation failed"):
    if not cond:
        raise AssertionError(msg)


def eq(actual, expected, what="value"):
    if actual != expected or type(actual) is bool and type(expected) is not bool \
            or type(expected) is bool and type(actual) is not bool:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def status(resp, code, what=""):
    if resp[0] != code:
        raise AssertionError(f"{what + ': ' if what else ''}expected HTTP {code}, got {resp!r}")
    return resp


def is_json_ct(headers):
    return headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


def ok(resp, code=200, what=""):
    """Status `code`, JSON content type, a JSON object body."""
    status(resp, code, what)
    expect(is_json_ct(resp[1]), f"{what}: Content-Type not application/json: {resp[1].get('content-type')!r}")
    expect(isinstance(resp[2], dict), f"{what}: body is not a JSON object: {resp!r}")
    return resp[2]


def err(resp, code, detail=None, startswith=None, contains=(), what=""):
    """An error answer: status, JSON content type, body exactly {"detail": str}."""
    pre = f"{what}: " if what else ""
    if resp[0] != code:
        raise AssertionError(f"{pre}expected HTTP {code}, got {resp!r}")
    expect(is_json_ct(resp[1]), f"{pre}error Content-Type not application/json: {resp[1].get('content-type')!r}")
    body = resp[2]
    expect(isinstance(body, dict) and list(body) == ["detail"] and isinstance(body["detail"], str),
           f"{pre}error body is not exactly {{\"detail\": str}}: {resp!r}")
    d = body["detail"]
    if detail is not None and d != detail:
        raise AssertionError(f"{pre}detail: expected {detail!r}, got {d!r}")
    if startswith is not None:
        opts = startswith if isinstance(startswith, (list, tuple)) else [startswith]
        expect(any(d.startswith(s) for s in opts), f"{pre}detail {d!r} does not start with {startswith!r}")
    for c in contains:
        expect(c in d, f"{pre}detail {d!r} does not contain {c!r}")
    return d


def field_err(resp, field, what=""):
    """422 whose detail starts with the field name."""
    return err(resp, 422, startswith=field, what=what)


def enum_err(resp, field, allowed, what=""):
    """400 naming the field and every allowed value."""
    return err(resp, 400, contains=[field] + list(allowed), what=what)


def check_dt(s, what="datetime"):
    expect(isinstance(s, str) and DT_RE.match(s), f"{what}: not YYYY-MM-DDTHH:MM:SS.ffffff: {s!r}")
    datetime.datetime.fromisoformat(s)
    return s


def check_keys(obj, keys, what="object"):
    expect(isinstance(obj, dict), f"{what}: not an object: {obj!r}")
    if list(obj) != list(keys):
        raise AssertionError(f"{what}: keys {list(obj)} != expected {list(keys)} (order matters)")


def is_uuid4(s):
    return isinstance(s, str) and bool(UUID4_RE.match(s))


def check_number(v, what, integer=False):
    if integer:
        expect(type(v) is int or isinstance(v, IntTok), f"{what}: expected an integer, got {v!r}")
    else:
        expect(isinstance(v, (int, float)) and not isinstance(v, bool), f"{what}: expected a number, got {v!r}")


def check_neuron(n, what="neuron", **exp):
    check_keys(n, NEURON_KEYS, what)
    expect(isinstance(n["id"], str) and n["id"], f"{what}.id: {n['id']!r}")
    expect(n["type"] in NEURON_TYPES, f"{what}.type: {n['type']!r}")
    expect(isinstance(n["content"], str), f"{what}.content: {n['content']!r}")
    expect(isinstance(n["metadata"], dict), f"{what}.metadata: {n['metadata']!r}")
    check_dt(n["created_at"], f"{what}.created_at")
    for k, v in exp.items():
        eq(n[k], v, f"{what}.{k}")
    return n


def check_state(s, what="state", **exp):
    check_keys(s, STATE_KEYS, what)
    check_number(s["activation_level"], f"{what}.activation_level")
    check_number(s["access_frequency"], f"{what}.access_frequency", integer=True)
    if s["last_activated"] is not None:
        check_dt(s["last_activated"], f"{what}.last_activated")
    check_number(s["decay_rate"], f"{what}.decay_rate")
    check_dt(s["created_at"], f"{what}.created_at")
    for k, v in exp.items():
        eq(s[k], v, f"{what}.{k}")
    return s


def check_synapse(s, what="synapse", **exp):
    check_keys(s, SYNAPSE_KEYS, what)
    expect(s["type"] in SYNAPSE_TYPES, f"{what}.type: {s['type']!r}")
    expect(s["direction"] in DIRECTIONS, f"{what}.direction: {s['direction']!r}")
    check_number(s["weight"], f"{what}.weight")
    expect(isinstance(s["metadata"], dict), f"{what}.metadata")
    check_number(s["reinforced_count"], f"{what}.reinforced_count", integer=True)
    if s["last_activated"] is not None:
        check_dt(s["last_activated"], f"{what}.last_activated")
    check_dt(s["created_at"], f"{what}.created_at")
    for k, v in exp.items():
        eq(s[k], v, f"{what}.{k}")
    return s


def check_fiber(f, what="fiber", **exp):
    check_keys(f, FIBER_KEYS, what)
    for k in ("neuron_ids", "synapse_ids", "tags"):
        expect(isinstance(f[k], list) and all(isinstance(x, str) for x in f[k]), f"{what}.{k}: {f[k]!r}")
    for k in ("time_start", "time_end"):
        if f[k] is not None:
            check_dt(f[k], f"{what}.{k}")
    check_number(f["coherence"], f"{what}.coherence")
    check_number(f["salience"], f"{what}.salience")
    check_number(f["frequency"], f"{what}.frequency", integer=True)
    expect(f["summary"] is None or isinstance(f["summary"], str), f"{what}.summary")
    expect(isinstance(f["metadata"], dict), f"{what}.metadata")
    check_dt(f["created_at"], f"{what}.created_at")
    for k, v in exp.items():
        eq(f[k], v, f"{what}.{k}")
    return f


def check_config(c, what="config", **exp):
    check_keys(c, CONFIG_KEYS, what)
    for k in CONFIG_KEYS:
        check_number(c[k], f"{what}.{k}", integer=k in ("max_spread_hops", "max_context_tokens"))
    for k, v in exp.items():
        eq(c[k], v, f"{what}.{k}")
    return c


def check_brain(b, what="brain", **exp):
    check_keys(b, BRAIN_KEYS, what)
    expect(isinstance(b["name"], str), f"{what}.name")
    expect(b["owner_id"] is None or isinstance(b["owner_id"], str), f"{what}.owner_id")
    expect(type(b["is_public"]) is bool, f"{what}.is_public: {b['is_public']!r}")
    expect(isinstance(b["shared_with"], list), f"{what}.shared_with")
    check_config(b["config"], f"{what}.config")
    expect(isinstance(b["metadata"], dict), f"{what}.metadata")
    for k in ("neuron_count", "synapse_count", "fiber_count"):
        check_number(b[k], f"{what}.{k}", integer=True)
    check_dt(b["created_at"], f"{what}.created_at")
    check_dt(b["updated_at"], f"{what}.updated_at")
    for k, v in exp.items():
        eq(b[k], v, f"{what}.{k}")
    return b


def dt(s):
    return datetime.datetime.fromisoformat(s)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------------------
# Object helpers (each asserts success).

def uid(prefix="x"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_brain(c, name=None, **fields):
    bid = fields.pop("id", None) or uid("b")
    body = {"id": bid, "name": name or f"brain {bid}"}
    body.update(fields)
    r = c.req("POST", "/brain/create", body)
    ok(r, 200, "create brain")
    eq(r[2].get("id"), bid, "created brain id")
    return bid


def mk_neuron(c, brain, content="x", type="concept", **fields):
    body = {"type": type, "content": content}
    body.update(fields)
    r = c.req("POST", "/memory/neurons", body, brain=brain)
    return ok(r, 201, "create neuron")


def mk_synapse(c, brain, source_id, target_id, type="related_to", **fields):
    body = {"source_id": source_id, "target_id": target_id, "type": type}
    body.update(fields)
    r = c.req("POST", "/memory/synapses", body, brain=brain)
    return ok(r, 201, "create synapse")


def mk_fiber(c, brain, neuron_ids, anchor=None, **fields):
    body = {"neuron_ids": list(neuron_ids), "anchor_neuron_id": anchor or neuron_ids[0]}
    body.update(fields)
    r = c.req("POST", "/memory/fibers", body, brain=brain)
    return ok(r, 201, "create fiber")


def stats(c, brain):
    return ok(c.req("GET", f"/brain/{pq(brain)}/stats"), 200, "stats")


def counts(c, brain):
    s = stats(c, brain)
    return (s["neuron_count"], s["synapse_count"], s["fiber_count"])


def export(c, brain):
    return ok(c.req("GET", f"/brain/{pq(brain)}/export"), 200, "export")


def content_of(c, brain):
    """Everything of a brain that must not change after a failed request:
    export without exported_at, plus the brain record minus nothing."""
    e = export(c, brain)
    e.pop("exported_at", None)
    b = ok(c.req("GET", f"/brain/{pq(brain)}"), 200, "get brain")
    return {"export": e, "brain": b}


def states_of(c, brain, neuron_ids):
    return {n: c.req("GET", f"/memory/neurons/{pq(n)}/state", brain=brain)[2] for n in neuron_ids}


def list_neurons(c, brain, **params):
    return ok(c.req("GET", "/memory/neurons", brain=brain, query=params or None), 200, "list neurons")


def list_synapses(c, brain, **params):
    return ok(c.req("GET", "/memory/synapses", brain=brain, query=params or None), 200, "list synapses")


def list_fibers(c, brain, **params):
    return ok(c.req("GET", "/memory/fibers", brain=brain, query=params or None), 200, "list fibers")


def ids(items):
    return [x["id"] for x in items]


def run_threads(n, target, *args):
    """Run target(i, *args) in n threads released together; re-raise the
    first exception."""
    barrier = threading.Barrier(n)
    errors = []

    def wrap(i):
        try:
            barrier.wait(IO_TIMEOUT)
            target(i, *args)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append((i, e))

    ts = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(STOP_TIMEOUT * 4)
        if t.is_alive():
            raise AssertionError("worker thread did not finish")
    if errors:
        i, e = errors[0]
        raise AssertionError(f"{len(errors)} thread(s) failed; thread {i}: {e!r}") from e


def parse_metrics(text):
    """Prometheus text -> list of (name, labels dict, value float)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$', line)
        if not m:
            raise AssertionError(f"unparseable metrics line: {line!r}")
        labels = {}
        if m.group(3):
            for lm in re.finditer(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3)):
                labels[lm.group(1)] = lm.group(2)
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def metric_value(samples, name, **labels):
    """Sum of the samples named `name` whose labels include `labels`."""
    vals = [v for n, l, v in samples if n == name and all(l.get(k) == str(x) for k, x in labels.items())]
    return sum(vals) if vals else None


def pq_path(path):
    """Percent-encode a path the way yarl does for an unescaped id (non-ASCII
    and spaces encoded, sub-delims kept)."""
    return urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~%")


# ---------------------------------------------------------------------------
# Engine routes (POST /memory/encode, /memory/encode/batch, /memory/query;
# PROTOCOL.md §3.3, §6.1).

ENCODE_RESULT_KEYS = ["fiber_id", "neurons_created", "neurons_linked", "synapses_created"]
QUERY_RESULT_KEYS = ["answer", "confidence", "depth_used", "neurons_activated", "fibers_matched", "context",
                     "latency_ms", "subgraph", "metadata"]
QUERY_METADATA_KEYS = ["query_intent", "anchors_found", "intersections"]
SUBGRAPH_KEYS = ["neuron_ids", "synapse_ids", "anchor_ids"]
QUERY_INTENTS = ["ask_what", "ask_where", "ask_when", "ask_who", "ask_why", "ask_how", "ask_feeling",
                 "ask_pattern", "confirm", "compare", "recall", "unknown"]


def encode(c, brain, content, what="encode", **fields):
    """POST /memory/encode; asserts 200 and returns the body."""
    body = {"content": content}
    body.update(fields)
    return ok(c.req("POST", "/memory/encode", body, brain=brain), 200, what)


def query(c, brain, text, what="query", **fields):
    """POST /memory/query; asserts 200 and returns the body.

    Reinforcement on read (fixed mode) runs after the answer, so a later
    query could see it or not depending on timing: tests ask without it
    (reinforce=False) unless they pass reinforce=True to test it."""
    body = {"query": text, "reinforce": False}
    body.update(fields)
    return ok(c.req("POST", "/memory/query", body, brain=brain), 200, what)
