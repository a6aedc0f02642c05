#!/usr/bin/env python3
"""Encode and query latency of nmemd over HTTP on a brain of N memories.

    scripts/bench/engine.py [--bin bin/nmemd] [--memories 100000] [--mode fixed|compat]
                            [--storage sqlite|memory] [--url URL] [--json out.json]

Starts its own nmemd (SQLite in a temporary data directory) unless --url is
given, fills one brain with N generated memories (scripts/bench/dataset.py)
through POST /memory/encode/batch, then measures:
  * batch encode throughput (memories/s),
  * single POST /memory/encode latency (p50/p99, client round trip),
  * POST /memory/query latency per depth 0–3: server-side latency_ms and
    client round trip, p50/p95/p99.
Prints a markdown table and, with --json, writes the numbers. A benchmark,
not a test: it asserts nothing.
"""
import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Client:
    def __init__(self, host, port):
        self.conn = http.client.HTTPConnection(host, port, timeout=600)

    def call(self, method, path, body=None, brain=None):
        headers = {"Content-Type": "application/json"}
        if brain:
            headers["X-Brain-ID"] = brain
        data = json.dumps(body).encode() if body is not None else None
        t0 = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        raw = r.read()
        dt = (time.perf_counter() - t0) * 1000
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {raw[:300]!r}")
        return json.loads(raw), dt


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="bin/nmemd")
    ap.add_argument("--memories", type=int, default=100000)
    ap.add_argument("--mode", default="fixed", choices=["fixed", "compat"])
    ap.add_argument("--storage", default="sqlite")
    ap.add_argument("--url")
    ap.add_argument("--json")
    args = ap.parse_args()

    proc, tmp = None, None
    if args.url:
        host, port = args.url.replace("http://", "").split(":")
        port = int(port)
    else:
        tmp = tempfile.mkdtemp(prefix="nmemd-bench-")
        host, port = "127.0.0.1", free_port()
        proc = subprocess.Popen([args.bin, "--port", str(port), "--data-dir", tmp, "--storage", args.storage,
                                 "--set", "log.access=off"], stderr=subprocess.DEVNULL)
        for _ in range(400):
            try:
                socket.create_connection((host, port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
    c = Client(host, port)
    brain = f"bench-{args.mode}"
    try:
        c.call("POST", "/brain/create", {"id": brain, "name": brain, "config": {"engine_mode": args.mode}})
        batch, t0 = [], time.perf_counter()
        for m in dataset.memories(args.memories):
            batch.append(m)
            if len(batch) == 1000:
                c.call("POST", "/memory/encode/batch", {"memories": batch}, brain)
                batch = []
        if batch:
            c.call("POST", "/memory/encode/batch", {"memories": batch}, brain)
        encode_s = time.perf_counter() - t0
        stats, _ = c.call("GET", f"/brain/{brain}/stats")

        singles = []
        for i, m in enumerate(dataset.memories(200, seed=99)):
            _, dt = c.call("POST", "/memory/encode", m, brain)
            singles.append(dt)

        per_depth = {d: {"server": [], "client": []} for d in range(4)}
        for q in dataset.questions():
            body = {"query": q["query"], "depth": q["depth"], "reference_time": "2026-01-01T00:00:00"}
            r, dt = c.call("POST", "/memory/query", body, brain)
            per_depth[q["depth"]]["server"].append(r["latency_ms"])
            per_depth[q["depth"]]["client"].append(dt)
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    res = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPUs",
        "mode": args.mode, "storage": args.storage, "memories": args.memories,
        "neurons": stats["neuron_count"], "synapses": stats["synapse_count"], "fibers": stats["fiber_count"],
        "batch_encode_per_s": round(args.memories / encode_s, 1),
        "single_encode_ms": {"p50": round(pct(singles, 50), 3), "p99": round(pct(singles, 99), 3)},
        "query_ms": {str(d): {k: {p: round(pct(v[k], p), 3) for p in (50, 95, 99)} for k in ("server", "client")}
                     for d, v in per_depth.items()},
    }
    print(f"\n### nmemd engine benchmark: {args.memories} memories, {args.mode} mode, {args.storage}\n")
    print(f"{res['neurons']} neurons, {res['synapses']} synapses, {res['fibers']} fibers; "
          f"batch encode {res['batch_encode_per_s']} memories/s; single encode p50 "
          f"{res['single_encode_ms']['p50']} ms, p99 {res['single_encode_ms']['p99']} ms\n")
    print("| depth | server p50 | server p95 | server p99 | client p50 | client p99 |")
    print("|---|---|---|---|---|---|")
    for d in range(4):
        s, cl = res["query_ms"][str(d)]["server"], res["query_ms"][str(d)]["client"]
        print(f"| {d} | {s[50]} ms | {s[95]} ms | {s[99]} ms | {cl[50]} ms | {cl[99]} ms |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
