"""Helpers shared by the benchmark and load scripts (Python 3 stdlib only).

* Daemon: start a private nmemd (temporary data directory, free port, access
  log off), wait for /health, stop it by PID (SIGTERM, then SIGKILL).
* rss(pid): VmRSS / RssAnon / VmHWM from /proc/PID/status, in KiB.
* Conn: a small blocking HTTP/1.1 keep-alive client on a raw socket
  (Content-Length and chunked bodies), cheaper than http.client so that the
  client, which shares the machine's cores with the daemon, costs as little
  as possible.
* pct(values, p): nearest-rank percentile.
* parse_http(buf): incremental response parser used by the asyncio/selector
  load generator.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def rss(pid):
    """{"VmRSS", "RssAnon", "RssFile", "VmHWM"} of a process, KiB (empty dict if unreadable)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def raise_nofile(need):
    """Raise the soft RLIMIT_NOFILE to the hard limit; return (soft, hard) after."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard and (hard == resource.RLIM_INFINITY or soft < need):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


class Daemon:
    """A private nmemd. Use as a context manager; stop() ends only our own PID."""

    def __init__(self, binary, storage="sqlite", sets=(), log_name="nmemd.log", workers=None):
        self.binary = os.path.abspath(binary)
        self.tmp = tempfile.mkdtemp(prefix="nmemd-bench-")
        self.port = free_port()
        self.host = "127.0.0.1"
        cmd = [self.binary, "--port", str(self.port), "--data-dir", self.tmp, "--storage", storage,
               "--set", "log.access=off"]
        if workers is not None:
            cmd += ["--workers", str(workers)]
        for s in sets:
            cmd += ["--set", s]
        self.cmd = cmd
        self.log_path = os.path.join(self.tmp, log_name)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nmemd exited with {self.proc.returncode}: {self.tail()}")
            try:
                c = Conn(self.host, self.port, timeout=2)
                st, _ = c.request("GET", "/health")
                c.close()
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("nmemd did not answer /health within 30 s")

    def tail(self, n=2000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def data_bytes(self):
        total = 0
        for root, _, files in os.walk(self.tmp):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
        return total

    def stop(self, timeout=120):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


class HTTPError(Exception):
    def __init__(self, status, body, what=""):
        super().__init__(f"{what}: HTTP {status} {body[:300]!r}")
        self.status, self.body = status, body


def parse_http(buf, start=0):
    """Parse one response from buf[start:]. Returns (status, headers dict, body, next_offset) or None if
    incomplete. Header names are lower-case."""
    he = buf.find(b"\r\n\r\n", start)
    if he < 0:
        return None
    head = bytes(buf[start:he]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    pos = he + 4
    if "content-length" in headers:
        n = int(headers["content-length"])
        if len(buf) - pos < n:
            return None
        return status, headers, bytes(buf[pos:pos + n]), pos + n
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            le = buf.find(b"\r\n", pos)
            if le < 0:
                return None
            size = int(bytes(buf[pos:le]).split(b";")[0], 16)
            if len(buf) < le + 2 + size + 2:
                return None
            body += buf[le + 2:le + 2 + size]
            pos = le + 2 + size + 2
            if size == 0:
                return status, headers, bytes(body), pos
    if status in (204, 304) or 100 <= status < 200:
        return status, headers, b"", pos
    return None  # body until close: not used by nmemd


def build_request(method, path, host, body=None, brain=None, extra=None):
    """Bytes of one HTTP/1.1 request (body: dict/list -> JSON, bytes as is)."""
    if body is not None and not isinstance(body, (bytes, bytearray)):
        body = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if brain:
        lines.append(f"X-Brain-ID: {brain}")
    if body is not None:
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    for k, v in (extra or {}).items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class Conn:
    """Blocking keep-alive connection. request() returns (status, body bytes)."""

    def __init__(self, host, port, timeout=600):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = None
        self.buf = bytearray()
        self.connect()

    def connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.used = 0

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def send_raw(self, req, retry_stale=True):
        """Send pre-built request bytes, wait for the response: (status, body).

        A reused keep-alive connection that the server closed while it was idle
        (timeouts.idle) is reopened and the request sent again, once; unless
        retry_stale is false, when that is an error like any other close."""
        if self.sock is None:
            self.connect()
        fresh = self.used == 0
        try:
            self.sock.sendall(req)
        except (BrokenPipeError, ConnectionResetError):
            if fresh or not retry_stale:
                raise
            self.close()
            return self.send_raw(req, retry_stale=False)
        while True:
            r = parse_http(self.buf)
            if r:
                status, headers, body, nxt = r
                del self.buf[:nxt]
                self.used += 1
                if headers.get("connection", "").lower() == "close":
                    self.close()
                return status, body
            try:
                chunk = self.sock.recv(1 << 16)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.close()
                if not fresh and retry_stale and not self.buf:
                    return self.send_raw(req, retry_stale=False)
                raise ConnectionError("connection closed by the server")
            self.buf += chunk

    def request(self, method, path, body=None, brain=None):
        return self.send_raw(build_request(method, path, self.host, body, brain))

    def json(self, method, path, body=None, brain=None, ok=(200, 201, 202)):
        """Request and decode JSON; raises HTTPError unless the status is in ok."""
        st, data = self.request(method, path, body, brain)
        if st not in ok:
            raise HTTPError(st, data, f"{method} {path}")
        return json.loads(data) if data else None


def metrics(conn):
    """GET /metrics -> {name_with_labels: value} (samples only)."""
    st, data = conn.request("GET", "/metrics")
    out = {}
    if st != 200:
        return out
    for line in data.decode("utf-8", "replace").splitlines():
        if not line or line[0] == "#":
            continue
        k, _, v = line.rpartition(" ")
        try:
            out[k] = float(v)
        except ValueError:
            pass
    return out
