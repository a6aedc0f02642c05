#!/usr/bin/env python3
"""Lifecycle at scale: import, export RSS, decay and archive on a big brain.

    scripts/bench/lifecycle.py [--bin bin/nmemd] [--neurons 1000000] [--json out.json]

Starts its own nmemd (SQLite, a temporary data directory), then:
  1. streams a generated NDJSON snapshot of N neurons, about 2N synapses
     (from each memory's neurons to the next ones; half of them used in the
     last month) and N/4 fibers (memories spread over two years) into
     POST /brain/{id}/import — generated on the fly, never held whole;
  2. exports the brain as JSON and as NDJSON while sampling the daemon's
     resident set size (VmRSS, every 50 ms) and reports the baseline before
     the export, the peak during it, and the growth;
  3. runs decay (POST /brain/{id}/decay, prune_orphans) and archive
     (older_than_days 365) as jobs, timing each from the request to the
     job's end, with the jobs' own reports.
Prints a markdown summary and, with --json, writes the numbers. A benchmark,
not a test: it asserts nothing (the export's size is checked, though).
"""
import argparse
import http.client
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BRAIN = "big"
T0 = 1_700_000_000  # 2023-11-14, seconds


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))


def snapshot_lines(n, seed=7):
    """NDJSON lines of a brain with n neurons (PROTOCOL.md 6.4)."""
    rnd = random.Random(seed)
    words = ("alpha beta gamma delta deploy review budget roadmap meeting client server database cache "
             "latency invoice travel design launch metrics incident backup migration").split()
    nf = n // 4
    yield {"kind": "brain", "brain_id": BRAIN, "brain_name": "Big brain", "exported_at": iso(T0),
           "version": "0.1.0", "config": {}, "metadata": {}}
    for i in range(n):
        t = T0 + (i * 63_072_000) // n  # two years, in creation order
        text = " ".join(rnd.choice(words) for _ in range(12)) + f" #{i}"
        yield {"kind": "neuron", "id": f"n{i}", "type": "concept" if i % 4 else "entity", "content": text,
               "metadata": {}, "created_at": iso(t)}
    ns = 0
    end = T0 + 63_072_000
    for i in range(n):
        for j in (1, 7):
            if i + j >= n:
                continue  # edges run from older to newer memories, no wrap-around
            # half the synapses were used in the last month (they survive decay)
            used = iso(end - (i % 30) * 86_400) if j == 1 else None
            yield {"kind": "synapse", "id": f"s{ns}", "source_id": f"n{i}", "target_id": f"n{i + j}",
                   "type": "related_to", "weight": 0.5, "direction": "uni", "metadata": {}, "reinforced_count": 0,
                   "last_activated": used, "created_at": iso(T0 + (i * 63_072_000) // n)}
            ns += 1
    for f in range(nf):
        ids = [f"n{4 * f + k}" for k in range(4)]
        t = T0 + (4 * f * 63_072_000) // n
        yield {"kind": "fiber", "id": f"f{f}", "neuron_ids": ids, "synapse_ids": [], "anchor_neuron_id": ids[0],
               "time_start": iso(t), "time_end": iso(t + 60), "coherence": 0.5, "salience": 0.5, "frequency": 0,
               "summary": None, "tags": [], "metadata": {}, "created_at": iso(t)}
    yield {"kind": "end", "neuron_count": n, "synapse_count": ns, "fiber_count": nf, "typed_memory_count": 0,
           "project_count": 0}


def body(n):
    buf = []
    size = 0
    for line in snapshot_lines(n):
        s = json.dumps(line, separators=(",", ":")) + "\n"
        buf.append(s)
        size += len(s)
        if size > 1 << 20:
            yield "".join(buf).encode()
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode()


def rss_kib(pid, field="VmRSS"):
    """Resident memory in KiB: VmRSS (all), or RssAnon (heap and stacks)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.peak_anon, self.stop_ = pid, 0, 0, threading.Event()

    def run(self):
        while not self.stop_.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            self.peak_anon = max(self.peak_anon, rss_kib(self.pid, "RssAnon"))
            self.stop_.wait(0.05)


def call(port, method, path, payload=None, raw=None, headers=None, timeout=7200):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    if raw is not None:
        c.request(method, path, body=raw, headers=h, encode_chunked=True)
    else:
        c.request(method, path, body=json.dumps(payload).encode() if payload is not None else None, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data) if data else None


def drain_export(port, query):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=7200)
    c.request("GET", f"/brain/{BRAIN}/export{query}")
    r = c.getresponse()
    total = 0
    while True:
        chunk = r.read(1 << 20)
        if not chunk:
            break
        total += len(chunk)
    c.close()
    return total


def job(port, path, payload):
    t0 = time.perf_counter()
    j = call(port, "POST", path, payload)
    while True:
        s = call(port, "GET", f"/jobs/{j['job_id']}")
        if s["state"] in ("done", "failed"):
            return s, time.perf_counter() - t0
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="bin/nmemd")
    ap.add_argument("--neurons", type=int, default=1_000_000)
    ap.add_argument("--json")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="nmemd-life-")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen([args.bin, "--port", str(port), "--data-dir", tmp, "--set", "log.access=off"],
                            stderr=open(os.path.join(tmp, "nmemd.log"), "w"))
    res = {"machine": f"{platform.machine()} {os.cpu_count()} CPUs", "neurons": args.neurons}
    try:
        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        t0 = time.perf_counter()
        b = call(port, "POST", f"/brain/{BRAIN}/import?format=ndjson", raw=body(args.neurons),
                 headers={"Content-Type": "application/x-ndjson"})
        res["import_s"] = round(time.perf_counter() - t0, 1)
        res["counts"] = {k: b[k] for k in ("neuron_count", "synapse_count", "fiber_count")}
        res["rss_after_import_mib"] = round(rss_kib(proc.pid) / 1024, 1)
        for fmt in ("json", "ndjson"):
            base, base_anon = rss_kib(proc.pid), rss_kib(proc.pid, "RssAnon")
            sm = Sampler(proc.pid)
            sm.start()
            t0 = time.perf_counter()
            size = drain_export(port, f"?format={fmt}")
            sm.stop_.set()
            sm.join()
            res[f"export_{fmt}"] = {"seconds": round(time.perf_counter() - t0, 1), "bytes": size,
                                    "rss_before_mib": round(base / 1024, 1), "rss_peak_mib": round(sm.peak / 1024, 1),
                                    "rss_growth_mib": round((sm.peak - base) / 1024, 1),
                                    "anon_before_mib": round(base_anon / 1024, 1),
                                    "anon_growth_mib": round((sm.peak_anon - base_anon) / 1024, 1)}
        ref = iso(T0 + 63_072_000 + 86_400)  # a day after the newest memory
        d, secs = job(port, f"/brain/{BRAIN}/decay", {"reference_time": ref, "prune_orphans": True})
        res["decay"] = {"seconds": round(secs, 1), "report": d["report"], "state": d["state"], "error": d["error"]}
        a, secs = job(port, f"/brain/{BRAIN}/archive", {"older_than_days": 365, "reference_time": ref})
        res["archive"] = {"seconds": round(secs, 1), "report": a["report"], "state": a["state"], "error": a["error"]}
        res["stats_after"] = call(port, "GET", f"/brain/{BRAIN}/stats")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=600)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n### nmemd lifecycle benchmark: {args.neurons} neurons ({res['machine']})\n")
    print(f"import (NDJSON, streamed): {res['import_s']} s -> {res['counts']}; RSS after {res['rss_after_import_mib']} MiB")
    for fmt in ("json", "ndjson"):
        e = res[f"export_{fmt}"]
        print(f"export {fmt}: {e['bytes'] / 2**20:.0f} MiB in {e['seconds']} s; RSS {e['rss_before_mib']} MiB before, "
              f"peak {e['rss_peak_mib']} MiB, growth {e['rss_growth_mib']} MiB (heap: {e['anon_before_mib']} MiB, "
              f"growth {e['anon_growth_mib']} MiB)")
    print(f"decay: {res['decay']['seconds']} s, {res['decay']['report']}")
    print(f"archive: {res['archive']['seconds']} s, {res['archive']['report']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
