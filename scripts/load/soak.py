#!/usr/bin/env python3
"""Soak test: many concurrent keep-alive connections, mixed query/encode traffic, for minutes.

    scripts/load/soak.py [--bin bin/nmemd | --url URL [--pid PID]] [--connections 1000] [--minutes 10]
                         [--brains 10] [--warmup 30] [--seed-memories 300] [--query-share 0.8]
                         [--timeout 30] [--no-reinforce] [--set KEY=VALUE]... [--json out.json]

Starts its own nmemd (SQLite in a temporary directory, limits.max_connections
= connections + 64) unless --url is given, creates --brains brains and seeds
each with --seed-memories generated memories (scripts/bench/dataset.py), then
opens --connections HTTP/1.1 keep-alive connections from one selector loop.
Every connection sends requests back to back: with probability --query-share
POST /memory/query (a question about that brain's memories, depth 0-3),
otherwise POST /memory/encode of a new memory, on a random brain.

The first --warmup seconds are not measured; then --minutes of measurement.
Reported: requests/s, latency p50/p95/p99/max (client round trip, per kind;
server latency_ms for queries), errors (non-2xx, timeouts, connect
failures) and dropped connections (the server closing or resetting a
keep-alive connection), the daemon's RSS (VmRSS/RssAnon) after warm-up, every
minute and at the end, and the client's own CPU use (the client shares the
machine with the daemon). Exit status 1 on any error or drop, else 0.
"""
import argparse
import errno
import json
import os
import random
import re
import resource
import selectors
import socket
import sys
import time
from array import array

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import dataset  # noqa: E402
from nmemdctl import Conn, Daemon, build_request, metrics, parse_http, pct, raise_nofile, rss  # noqa: E402

LAT_RE = re.compile(rb'"latency_ms":\s*([0-9.eE+-]+)')


def log(*a):
    print(*a, flush=True)


class Stats:
    def __init__(self):
        self.n = {"query": 0, "encode": 0}
        self.lat = {"query": array("f"), "encode": array("f")}
        self.server = array("f")
        self.errors = {}
        self.drops = 0
        self.first_errors = []

    def error(self, kind, detail):
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.first_errors) < 10:
            self.first_errors.append(f"{kind}: {detail}")


class Client:
    """One keep-alive connection driven by the selector loop."""
    __slots__ = ("id", "sock", "out", "inp", "kind", "t0", "state", "late")

    def __init__(self, cid):
        self.id = cid
        self.sock = None
        self.out = b""
        self.inp = bytearray()
        self.kind = None
        self.t0 = 0.0
        self.state = "idle"
        self.late = False  # this request already counted as a timeout


class Load:
    def __init__(self, host, port, brains, args):
        self.host, self.port, self.args = host, port, args
        self.brains = brains
        self.rnd = random.Random(2024)
        self.sel = selectors.DefaultSelector()
        self.clients = [Client(i) for i in range(args.connections)]
        self.total = Stats()      # whole run, warm-up included (errors, drops)
        self.meas = None          # measured phase
        self.minute = None        # current minute (for the per-minute line)
        self.enc_next = {b: args.seed_memories for b in brains}
        self.queries = {}
        for k, b in enumerate(brains):
            qs = dataset.questions(seed=300 + k, n=args.seed_memories, per_depth=50, memories_seed=100 + k)
            self.queries[b] = []
            for q in qs:
                body = {"query": q["query"], "depth": q["depth"], "reference_time": q["reference_time"]}
                if args.no_reinforce:
                    body["reinforce"] = False
                self.queries[b].append(build_request("POST", "/memory/query", host, body, b))
        self.connected = 0

    # -- requests
    def next_request(self):
        b = self.rnd.choice(self.brains)
        if self.rnd.random() < self.args.query_share:
            return "query", self.rnd.choice(self.queries[b])
        k = self.brains.index(b)
        i = self.enc_next[b]
        self.enc_next[b] = i + 1
        return "encode", build_request("POST", "/memory/encode", self.host, dataset.memory(i, seed=100 + k)[0], b)

    def start(self, c):
        c.kind, c.out = self.next_request()
        c.t0 = time.perf_counter()
        c.state = "send"
        c.late = False
        self.flush(c)

    def flush(self, c):
        try:
            n = c.sock.send(c.out)
        except BlockingIOError:
            n = 0
        except OSError as e:
            self.drop(c, f"send: {e}")
            return
        c.out = c.out[n:]
        if c.out:
            self.sel.modify(c.sock, selectors.EVENT_WRITE, c)
        else:
            c.state = "recv"
            self.sel.modify(c.sock, selectors.EVENT_READ, c)

    # -- connections
    def connect(self, c):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rc = s.connect_ex((self.host, self.port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            self.count_error("connect", os.strerror(rc))
            return False
        c.sock, c.inp, c.state, c.t0, c.late = s, bytearray(), "connect", time.perf_counter(), False
        self.sel.register(s, selectors.EVENT_WRITE, c)
        return True

    def close(self, c):
        if c.sock is not None:
            try:
                self.sel.unregister(c.sock)
            except (KeyError, ValueError):
                pass
            c.sock.close()
            c.sock = None
        c.state = "idle"

    def count_error(self, kind, detail):
        self.total.error(kind, detail)
        if self.meas:
            self.meas.error(kind, detail)

    def drop(self, c, detail):
        self.total.drops += 1
        if len(self.total.first_errors) < 10:
            self.total.first_errors.append(f"drop (connection {c.id}, {c.state}): {detail}")
        if self.meas:
            self.meas.drops += 1
        self.close(c)
        self.connect(c)  # keep the load going; the drop is already counted

    # -- events
    def on_event(self, c, mask):
        if c.state == "connect":
            err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.count_error("connect", os.strerror(err))
                self.close(c)
                self.connect(c)
                return
            self.connected += 1
            self.start(c)
            return
        if c.state == "send":
            self.flush(c)
            return
        try:
            chunk = c.sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError as e:
            self.drop(c, f"recv: {e}")
            return
        if not chunk:
            self.drop(c, "closed by the server" + (" mid-response" if c.inp else ""))
            return
        if c.state != "recv":
            self.drop(c, f"unexpected {len(chunk)} bytes while idle")
            return
        c.inp += chunk
        try:
            r = parse_http(c.inp)
        except (ValueError, IndexError) as e:
            self.count_error("bad response", repr(e))
            self.close(c)
            self.connect(c)
            return
        if r is None:
            return
        status, headers, body, nxt = r
        del c.inp[:nxt]
        dt = (time.perf_counter() - c.t0) * 1000
        for st in (self.total, self.meas, self.minute):
            if st is None:
                continue
            st.n[c.kind] += 1
            if st is not self.total:
                st.lat[c.kind].append(dt)
        if not 200 <= status < 300:
            self.count_error(f"HTTP {status}", f"{c.kind}: {body[:200]!r}")
        elif c.kind == "query" and self.meas is not None:
            m = LAT_RE.search(body)
            if m:
                self.meas.server.append(float(m.group(1)))
        if headers.get("connection", "").lower() == "close":
            self.drop(c, f"Connection: close on a {status} answer")
            return
        self.start(c)

    def check_timeouts(self, now):
        """A request still unanswered after --timeout is an error (counted once); the connection keeps
        waiting for the answer, so slow answers do not turn into a storm of reconnects."""
        lim = self.args.timeout
        for c in self.clients:
            if not c.late and c.state in ("send", "recv", "connect") and now - c.t0 > lim:
                c.late = True
                self.count_error("timeout", f"connection {c.id} {c.state} {c.kind} > {lim} s")

    def run_until(self, deadline, tick=None, tick_every=60.0):
        next_to = time.perf_counter() + 1
        next_tick = time.perf_counter() + tick_every
        while True:
            now = time.perf_counter()
            if now >= deadline:
                return
            for key, mask in self.sel.select(timeout=min(0.5, deadline - now)):
                self.on_event(key.data, mask)
            now = time.perf_counter()
            if now >= next_to:
                self.check_timeouts(now)
                next_to = now + 1
            if tick and now >= next_tick:
                tick()
                next_tick += tick_every

    def shutdown(self):
        for c in self.clients:
            self.close(c)


def summary(st, seconds):
    out = {"seconds": round(seconds, 1), "requests": sum(st.n.values()), "by_kind": dict(st.n),
           "per_s": round(sum(st.n.values()) / seconds, 1) if seconds else None,
           "errors": dict(st.errors), "error_count": sum(st.errors.values()), "drops": st.drops}
    both = array("f", st.lat["query"]) + st.lat["encode"]
    for name, v in (("all", both), ("query", st.lat["query"]), ("encode", st.lat["encode"]),
                    ("query_server", st.server)):
        if len(v):
            s = sorted(v)
            out[f"latency_ms_{name}"] = {p: round(s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))], 3)
                                         for p in (50, 95, 99)} | {"max": round(s[-1], 3), "n": len(s)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="bin/nmemd")
    ap.add_argument("--url", help="use a running nmemd instead of starting one")
    ap.add_argument("--pid", type=int, help="with --url: the daemon's PID, for RSS from /proc")
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--minutes", type=float, default=10, help="measured time, after the warm-up")
    ap.add_argument("--brains", type=int, default=10)
    ap.add_argument("--warmup", type=float, default=30, help="seconds of load before measuring")
    ap.add_argument("--seed-memories", type=int, default=300, help="memories stored in each brain first")
    ap.add_argument("--query-share", type=float, default=0.8)
    ap.add_argument("--timeout", type=float, default=30, help="seconds before a request counts as an error")
    ap.add_argument("--no-reinforce", action="store_true", help='send "reinforce": false with queries')
    ap.add_argument("--storage", default="sqlite", choices=["sqlite", "memory"])
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to nmemd")
    ap.add_argument("--json")
    args = ap.parse_args()

    soft, hard = raise_nofile(args.connections + 256)
    if soft < args.connections + 64:
        sys.exit(f"RLIMIT_NOFILE is {soft} (hard {hard}); {args.connections} connections need more: "
                 f"raise the hard limit (ulimit -Hn) or use fewer --connections")

    daemon = None
    if args.url:
        host, port = args.url.split("://", 1)[-1].rstrip("/").rsplit(":", 1)
        port, pid = int(port), args.pid
    else:
        sets = [f"limits.max_connections={args.connections + 64}"] + args.set
        daemon = Daemon(args.bin, storage=args.storage, sets=sets)  # inherits our raised RLIMIT_NOFILE
        host, port, pid = daemon.host, daemon.port, daemon.pid
        log(f"nmemd pid {pid} on {host}:{port}, data {daemon.tmp}")
    res = {"loadavg_before": os.getloadavg(), "connections": args.connections, "brains": args.brains,
           "minutes": args.minutes,
           "warmup_s": args.warmup, "query_share": args.query_share, "rlimit_nofile": soft}
    load = None
    try:
        c = Conn(host, port)
        res["version"] = c.json("GET", "/health").get("version")
        run = int(time.time())
        brains = [f"soak-{run}-{k}" for k in range(args.brains)]
        t0 = time.perf_counter()
        for k, b in enumerate(brains):
            c.json("POST", "/brain/create", {"id": b, "name": b})
            for i in range(0, args.seed_memories, 1000):
                ms = [dataset.memory(j, seed=100 + k)[0] for j in range(i, min(args.seed_memories, i + 1000))]
                c.json("POST", "/memory/encode/batch", {"memories": ms}, b)
        log(f"seeded {args.brains} brains x {args.seed_memories} memories in {time.perf_counter() - t0:.1f} s")

        load = Load(host, port, brains, args)
        for cl in load.clients:
            load.connect(cl)
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t_start = time.perf_counter()
        log(f"{args.connections} connections opening; warm-up {args.warmup:.0f} s")
        load.run_until(t_start + args.warmup)
        m = metrics(c)
        res["server_connections_after_warmup"] = m.get("nmemd_http_connections")
        rss_series = []

        def sample(tag):
            r = rss(pid) if pid else {}
            if not r:
                v = metrics(c).get("process_resident_memory_bytes")
                r = {"VmRSS": int(v // 1024)} if v else {}
            e = {"t_s": round(time.perf_counter() - t_meas, 1), "tag": tag, **r}
            rss_series.append(e)
            return e

        res["neurons_after_warmup"] = m.get("nmemd_neurons")  # all brains of the daemon
        t_meas = time.perf_counter()
        load.meas = Stats()
        load.minute = Stats()
        r0 = sample("start")
        log(f"warm-up done: {load.connected} connects, {sum(load.total.n.values())} requests, "
            f"server sees {res['server_connections_after_warmup']} connections; "
            f"RSS {r0.get('VmRSS', 0) / 1024:.0f} MiB (anon {r0.get('RssAnon', 0) / 1024:.0f} MiB)")
        minute_no = [0]
        t_min = [t_meas]

        def tick():
            minute_no[0] += 1
            now = time.perf_counter()
            s = summary(load.minute, now - t_min[0])
            r = sample(f"minute {minute_no[0]}")
            lat = s.get("latency_ms_all", {})
            log(f"minute {minute_no[0]}: {s['per_s']:.0f} req/s, p50 {lat.get(50)} ms, p99 {lat.get(99)} ms, "
                f"errors {load.meas and sum(load.meas.errors.values())}, drops {load.meas.drops}, "
                f"RSS {r.get('VmRSS', 0) / 1024:.0f} MiB (anon {r.get('RssAnon', 0) / 1024:.0f} MiB)")
            load.minute = Stats()
            t_min[0] = now

        load.run_until(t_meas + args.minutes * 60, tick=tick)
        meas_s = time.perf_counter() - t_meas
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        m = metrics(c)
        res["server_connections_at_end"] = m.get("nmemd_http_connections")
        res["neurons_at_end"] = m.get("nmemd_neurons")
        load.shutdown()
        res["rss_kib"] = rss_series
        if rss_series[-1]["tag"] != "end":
            sample("end")
        res["measured"] = summary(load.meas, meas_s)
        res["whole_run"] = {"requests": sum(load.total.n.values()), "errors": dict(load.total.errors),
                            "drops": load.total.drops, "connects": load.connected,
                            "first_errors": load.total.first_errors}
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        res["client_cpu_share"] = round(cpu / (time.perf_counter() - t_start), 2)
        c.close()
    finally:
        if load:
            load.shutdown()
        res["loadavg_after"] = os.getloadavg()
        if daemon:
            alive = daemon.proc.poll() is None
            res["daemon_alive_at_end"] = alive
            daemon.stop()

    # report
    ms = res["measured"]
    rs = res["rss_kib"]
    start, end = rs[0], rs[-1]
    growth = (end.get("VmRSS", 0) - start.get("VmRSS", 0)) / 1024
    n0, n1 = res.get("neurons_after_warmup") or 0, res.get("neurons_at_end") or 0
    lines = [f"\n### nmemd soak: {args.connections} connections, {args.brains} brains, "
             f"{int(args.query_share * 100)}% query / {100 - int(args.query_share * 100)}% encode, "
             f"{args.minutes:g} min measured after {args.warmup:.0f} s warm-up (nmemd {res.get('version')})\n",
             "| measure | result |", "|---|---|",
             f"| requests (measured) | {ms['requests']:,} ({ms['by_kind']['query']:,} query, "
             f"{ms['by_kind']['encode']:,} encode) |",
             f"| throughput | {ms['per_s']:,.0f} requests/s |"]
    for k, name in (("all", "latency, all (client)"), ("query", "latency, query (client)"),
                    ("query_server", "latency, query (server latency_ms)"), ("encode", "latency, encode (client)")):
        v = ms.get(f"latency_ms_{k}")
        if v:
            lines.append(f"| {name} p50 / p95 / p99 / max | {v[50]} / {v[95]} / {v[99]} / {v['max']} ms |")
    wr = res["whole_run"]
    lines += [f"| errors (whole run) | {sum(wr['errors'].values())} {wr['errors'] or ''} |",
              f"| dropped connections (whole run) | {wr['drops']} |",
              f"| connections seen by the server (after warm-up / end) | {res.get('server_connections_after_warmup')}"
              f" / {res.get('server_connections_at_end')} |",
              f"| RSS after warm-up → end | {start.get('VmRSS', 0) / 1024:.0f} MiB → {end.get('VmRSS', 0) / 1024:.0f} "
              f"MiB ({growth:+.0f} MiB; anon {start.get('RssAnon', 0) / 1024:.0f} → {end.get('RssAnon', 0) / 1024:.0f}"
              f" MiB) |",
              "| RSS per minute (MiB) | " + ", ".join(f"{e['VmRSS'] / 1024:.0f}" for e in rs if "VmRSS" in e) + " |",
              f"| neurons (nmemd_neurons) after warm-up → end | {n0:,.0f} → {n1:,.0f} (RSS growth per added "
              f"neuron: {growth * 2**20 / max(1, n1 - n0):,.0f} bytes, anon "
              f"{(end.get('RssAnon', 0) - start.get('RssAnon', 0)) * 1024 / max(1, n1 - n0):,.0f}) |",
              f"| client CPU (share of one core) | {res['client_cpu_share']} |",
              f"| load average before / after (1 min) | {res['loadavg_before'][0]:.2f} / "
              f"{res['loadavg_after'][0]:.2f} |"]
    if "daemon_alive_at_end" in res:
        lines.append(f"| daemon alive at the end | {res['daemon_alive_at_end']} |")
    print("\n".join(lines))
    if wr["first_errors"]:
        print("\nFirst errors:\n" + "\n".join("  " + e for e in wr["first_errors"]))
    failed = bool(sum(wr["errors"].values()) or wr["drops"]) or res.get("daemon_alive_at_end") is False
    print(f"\nResult: {'FAIL' if failed else 'PASS'} (errors {sum(wr['errors'].values())}, drops {wr['drops']})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1, ensure_ascii=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
