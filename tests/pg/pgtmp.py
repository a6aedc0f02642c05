#!/usr/bin/env python3
"""pgtmp.py — a throwaway PostgreSQL server for nmemd's tests, and the test
databases in it.  Python 3 standard library only.

Owns: finding the server binaries (/usr/lib/postgresql/*/bin, highest
version), a cluster in a fresh temp dir (initdb: trust auth, superuser
`postgres`, UTF8, locale C), starting it on a free 127.0.0.1 port (its unix
socket inside the temp dir), stopping it (fast shutdown) and removing the
temp dir; and creating/dropping one database per test store or server.

    python3 tests/pg/pgtmp.py run -- CMD ARGS...

starts a server, runs CMD with
NMEMD_TEST_PG=postgresql://postgres@127.0.0.1:PORT/postgres in its
environment, stops the server (also on SIGINT/SIGTERM, which are passed on
to CMD) and exits with CMD's status.

From Python:

    srv = PgServer().start(); url = srv.create_db(); ...; srv.stop()
    url = fresh_db(); ...; drop_db(url)   # on NMEMD_TEST_PG's server when set,
                                          # else on one PgServer of this process
                                          # (started on first use, stopped at exit)

As root (CI), initdb and postgres refuse to run: they run as the `postgres`
system user (created by Debian's postgresql package) through setpriv, which
execs in place, so the pid we hold is the postmaster's; the temp dir is
given to that user.  Readiness is polled with pg_isready under a deadline;
nothing waits by sleeping a fixed time.
"""
import atexit
import glob
import itertools
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

START_TIMEOUT = 60.0   # seconds until the server must accept connections
STOP_TIMEOUT = 30.0    # seconds for a fast shutdown before escalating
POLL = 0.05            # polling period while waiting for readiness
PORT_ATTEMPTS = 3      # a free port can be taken before postgres binds it
ENV = "NMEMD_TEST_PG"


class PgError(RuntimeError):
    pass


def bindir():
    """The highest-version /usr/lib/postgresql/<v>/bin holding initdb and postgres."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        ver = os.path.basename(os.path.dirname(d))
        if ver.isdigit() and all(os.access(os.path.join(d, p), os.X_OK) for p in ("initdb", "postgres")):
            found.append((int(ver), d))
    if not found:
        raise PgError("no PostgreSQL server in /usr/lib/postgresql/*/bin (install the postgresql package: make deps)")
    return max(found)[1]


def tool(name):
    """A client program (psql, pg_isready): the server's own, else from PATH."""
    try:
        p = os.path.join(bindir(), name)
        if os.access(p, os.X_OK):
            return p
    except PgError:
        pass
    p = shutil.which(name)
    if not p:
        raise PgError(f"{name} not found (install postgresql-client)")
    return p


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def server_user():
    """(setpriv options, passwd entry) to run the server programs with: the
    `postgres` user when we are root, ourselves (no options) otherwise."""
    if os.geteuid() != 0:
        return [], None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise PgError("running as root and there is no `postgres` user to run the server as "
                      "(install the postgresql package: make deps)") from None
    return [f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups"], pw


def setpriv(opts):
    """Command prefix applying setpriv options (none: no prefix)."""
    return ["setpriv", *opts, "--"] if opts else []


class PgServer:
    """One throwaway cluster: start() it, url()/create_db(), stop() it."""

    def __init__(self):
        self.tmp = None
        self.proc = None
        self.port = None
        self.log_path = None

    def url(self, dbname="postgres"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_db(self, name=None):
        return create_db(self.url(), name)

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])
        except (OSError, TypeError):
            return ""

    def start(self):
        bins = bindir()
        user, pw = server_user()
        self.tmp = tempfile.mkdtemp(prefix="nmemd-pg-")
        self.log_path = os.path.join(self.tmp, "server.log")
        data = os.path.join(self.tmp, "data")
        try:
            if pw:
                os.chown(self.tmp, pw.pw_uid, pw.pw_gid)
            # --no-sync: nothing of this cluster needs to survive an OS crash
            p = subprocess.run(setpriv(user) + [os.path.join(bins, "initdb"), "-D", data, "-U", "postgres",
                                         "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                               cwd=self.tmp, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if p.returncode != 0:
                raise PgError(f"initdb failed (status {p.returncode}):\n{p.stdout}{p.stderr}")
            for _ in range(PORT_ATTEMPTS):
                if self._launch(user, bins, data):
                    return self
            raise PgError(f"postgres could not bind a free port in {PORT_ATTEMPTS} attempts; "
                          f"server log:\n{self.log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _launch(self, user, bins, data):
        """Start postgres on a fresh port and wait until it accepts
        connections: True; False when the port was taken meanwhile."""
        self.port = free_port()
        # The server stops (fast shutdown) if the process that started it dies
        # (pdeathsig); only from the main thread, as the signal follows the
        # starting thread's exit.
        death = ["--pdeathsig=INT"] if threading.current_thread() is threading.main_thread() else []
        cmd = setpriv(user + death) + [
            os.path.join(bins, "postgres"), "-D", data,
            "-c", "listen_addresses=127.0.0.1", "-p", str(self.port),
            "-c", f"unix_socket_directories={self.tmp}",
            "-c", "fsync=off",              # test speed: the cluster is thrown away after the run
            "-c", "max_connections=300",    # parallel tests, each store with a pool
            "-c", "shared_buffers=128MB"]
        with open(self.log_path, "ab") as log:
            # its own session: a terminal's ^C goes to the test command, and
            # the server is stopped by stop() after it
            self.proc = subprocess.Popen(cmd, cwd=self.tmp, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        ready = [tool("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                 "-d", "postgres", "-t", "2"]
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            rc = self.proc.poll()
            if rc is not None:
                if "could not bind" in self.log_tail():
                    return False
                raise PgError(f"postgres exited with status {rc} during startup; server log:\n{self.log_tail()}")
            if subprocess.run(ready, stdin=subprocess.DEVNULL).returncode == 0:
                return True
            if time.monotonic() > deadline:
                raise PgError(f"postgres not ready within {START_TIMEOUT}s on port {self.port}; "
                              f"server log:\n{self.log_tail()}")
            time.sleep(POLL)

    def stop(self):
        """Fast shutdown (SIGINT), escalating to immediate (SIGQUIT) and
        SIGKILL past the deadline; then remove the temp dir."""
        if self.proc is not None and self.proc.poll() is None:
            for sig, wait in ((signal.SIGINT, STOP_TIMEOUT), (signal.SIGQUIT, 10), (signal.SIGKILL, 10)):
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    print(f"pgtmp: postgres (pid {self.proc.pid}) still running after {wait}s", file=sys.stderr)
        self.proc = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


# ---------------------------------------------------------------------------
# Databases

_names = itertools.count()


def with_dbname(url, name):
    return urllib.parse.urlsplit(url)._replace(path="/" + name).geturl()


def psql(url, sql):
    p = subprocess.run([tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       env=dict(os.environ, PGCONNECT_TIMEOUT="10"))
    if p.returncode != 0:
        raise PgError(f"psql {url} -c {sql!r}: status {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def create_db(admin_url, name=None):
    """CREATE DATABASE on admin_url's server (a fresh unique name unless
    given); returns the new database's URL."""
    name = name or f"nmt_{os.getpid()}_{next(_names)}_{secrets.token_hex(3)}"
    psql(admin_url, f'CREATE DATABASE "{name}"')
    return with_dbname(admin_url, name)


def drop_db(url):
    """DROP the database url names (its sessions are ended: WITH (FORCE))."""
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    psql(with_dbname(url, "postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_shared = None
_shared_lock = threading.Lock()


def admin_url():
    """NMEMD_TEST_PG when set; else this process's own PgServer, started on
    the first call and stopped at interpreter exit."""
    global _shared
    if os.environ.get(ENV):
        return os.environ[ENV]
    with _shared_lock:
        if _shared is None:
            srv = PgServer().start()
            atexit.register(srv.stop)
            _shared = srv
    return _shared.url()


def fresh_db():
    return create_db(admin_url())


# ---------------------------------------------------------------------------
# CLI

def run(cmd):
    """Start a server, run cmd with NMEMD_TEST_PG set, stop the server;
    returns cmd's exit status (128+N when it died of signal N)."""
    state = {"child": None, "signal": None}

    def on_signal(sig, frame):
        state["signal"] = sig
        if state["child"] is None:
            raise KeyboardInterrupt  # still starting: unwind, stop() runs below
        state["child"].send_signal(sig)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    srv = PgServer()
    try:
        srv.start()
        env = dict(os.environ, **{ENV: srv.url()})
        try:
            state["child"] = subprocess.Popen(cmd, env=env)
        except OSError as e:
            print(f"pgtmp: cannot run {cmd[0]}: {e}", file=sys.stderr)
            return 127
        rc = state["child"].wait()
    except KeyboardInterrupt:
        return 128 + (state["signal"] or signal.SIGINT)
    except PgError as e:
        print(f"pgtmp: {e}", file=sys.stderr)
        return 1
    finally:
        srv.stop()
    return 128 - rc if rc < 0 else rc


def main(argv):
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--":
        print("usage: pgtmp.py run -- CMD [ARGS...]", file=sys.stderr)
        return 2
    return run(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
