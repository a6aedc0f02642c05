"""Shared helpers for the fault-injection scripts in scripts/fault/
(kill9.py, diskfull.py): start/stop an nmemd process, a small HTTP client
that tells "never sent" from "sent, no answer", and SQLite integrity checks
of a data directory.  Python 3 standard library only.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.parse

HOST = "127.0.0.1"
START_TIMEOUT = 30.0


class NotSent(Exception):
    """The request never left this process (connecting failed): it cannot
    have been applied."""


class NoAnswer(Exception):
    """The request was (at least partly) sent but no complete answer came
    back: it may or may not have been applied."""


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Client:
    """One keep-alive HTTP/1.1 connection to nmemd."""

    def __init__(self, port, timeout=30.0):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, method, path, body=None, brain=None, query=None):
        """Returns (status, parsed JSON or None, raw bytes, headers dict).
        Raises NotSent when the connection could not be opened, NoAnswer
        when the request was written (or partly written) but no full
        answer arrived."""
        if query:
            path = path + "?" + urllib.parse.urlencode(query)
        if self.conn is None or self.conn.sock is None:
            self.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            try:
                self.conn.connect()
            except OSError as e:
                self.close()
                raise NotSent(repr(e)) from None
        headers = {"Content-Type": "application/json"}
        if brain is not None:
            headers["X-Brain-ID"] = brain
        data = None if body is None else json.dumps(body).encode("utf-8")
        try:
            self.conn.request(method, path, body=data, headers=headers)
            r = self.conn.getresponse()
            raw = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            status = r.status
            if r.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise NoAnswer(repr(e)) from None
        try:
            obj = json.loads(raw) if raw else None
        except ValueError:
            obj = None
        return status, obj, raw, hdrs


class Daemon:
    """An nmemd process on a fixed port and data directory; stderr goes to
    log_path (appended across restarts)."""

    def __init__(self, binary, data_dir, port, log_path, extra_args=()):
        self.binary = binary
        self.data_dir = data_dir
        self.port = port
        self.log_path = log_path
        self.extra_args = list(extra_args)
        self.proc = None

    def cmdline(self):
        return [self.binary, "--port", str(self.port), "--data-dir", self.data_dir] + self.extra_args

    def start(self, timeout=START_TIMEOUT):
        """Start and wait until GET /health answers 200; returns seconds taken."""
        t0 = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.cmdline(), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        c = Client(self.port, timeout=5)
        try:
            while True:
                rc = self.proc.poll()
                if rc is not None:
                    raise RuntimeError(f"nmemd exited with status {rc} during startup; log tail:\n"
                                       + self.log_tail())
                try:
                    st, _, _, _ = c.call("GET", "/health")
                    if st == 200:
                        return time.monotonic() - t0
                except (NotSent, NoAnswer):
                    pass
                if time.monotonic() - t0 > timeout:
                    raise RuntimeError(f"nmemd not healthy after {timeout} s; log tail:\n" + self.log_tail())
                time.sleep(0.02)
        finally:
            c.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        """SIGKILL this process (by its pid) and reap it."""
        if self.proc is None:
            return None
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        rc = self.proc.wait()
        self.proc = None
        return rc

    def stop(self, timeout=30.0):
        """SIGTERM, wait for the exit; returns the exit status (SIGKILL
        after timeout, then the status is reported as such)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "hung after SIGTERM (killed)"
        else:
            rc = self.proc.returncode
        self.proc = None
        return rc

    def log_tail(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"


def db_files(data_dir):
    """catalog.db first, then every brains/*.db."""
    out = []
    cat = os.path.join(data_dir, "catalog.db")
    if os.path.exists(cat):
        out.append(cat)
    bdir = os.path.join(data_dir, "brains")
    if os.path.isdir(bdir):
        out += sorted(os.path.join(bdir, f) for f in os.listdir(bdir) if f.endswith(".db"))
    return out


def integrity_check_file(path):
    con = sqlite3.connect(path, timeout=10)
    try:
        rows = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
    finally:
        con.close()
    return "ok" if rows == ["ok"] else "; ".join(rows[:5])


def integrity_check_dir(data_dir, scratch):
    """PRAGMA integrity_check on a copy of every database of data_dir (the
    .db file and its -wal, not the -shm: SQLite rebuilds the WAL index from
    the WAL exactly as crash recovery does).  Working on copies leaves the
    data directory untouched, so the daemon's own recovery is what the next
    start exercises.  Returns {relative path: "ok" | problem text} and a
    map brain file name -> brain id read from the catalog copy."""
    if os.path.exists(scratch):
        shutil.rmtree(scratch)
    os.makedirs(scratch)
    results, names = {}, {}
    for i, path in enumerate(db_files(data_dir)):
        rel = os.path.relpath(path, data_dir)
        dst = os.path.join(scratch, f"{i}-{os.path.basename(path)}")
        try:
            shutil.copyfile(path, dst)
            if os.path.exists(path + "-wal"):
                shutil.copyfile(path + "-wal", dst + "-wal")
            results[rel] = integrity_check_file(dst)
            if rel == "catalog.db":
                con = sqlite3.connect(dst)
                try:
                    for bid, f in con.execute("SELECT id, file FROM brains"):
                        names[f] = bid
                finally:
                    con.close()
        except (OSError, sqlite3.Error) as e:
            results[rel] = f"error: {e!r}"
    shutil.rmtree(scratch, ignore_errors=True)
    return results, names
