#!/usr/bin/env python3
"""nmemd benchmark suite: throughput, latency, memory and traversal at several brain sizes.

    scripts/bench/suite.py [--bin bin/nmemd] [--sizes 10k,100k] [--neurons N | --memories N]
                           [--url URL [--pid PID]] [--json out.json] [--storage sqlite|memory]
                           [--mode fixed|compat] [--set KEY=VALUE]... [--queries 200] [--singles 2000]
                           [--clients 16] [--query-count 2000] [--wrk-seconds 10] [--query-budget 600]

For every size (neurons, e.g. 10k, 100k, 1M) it starts a fresh nmemd
(SQLite in a temporary directory; unless --url) and:
  1. fills one brain with generated memories (scripts/bench/dataset.py)
     through POST /memory/encode/batch in batches of 1000 until the brain
     holds the requested number of neurons (or --memories memories):
     batch throughput in memories/s (time inside the requests);
  2. queries: --queries questions per depth 0-3 about the stored memories
     ("reinforce": false), p50/p95/p99 of the server's latency_ms and of the
     client round trip, and graph traversal per depth from the
     nmemd_activation_* counters of GET /metrics (neurons expanded and
     edges examined per query and per ms of activation);
  2b. query throughput: --query-count other questions (depths 0-3 mixed,
     none asked before, so none is answered from the query cache) from
     --clients threads, one keep-alive connection each: queries/s, client
     round trip and server latency_ms p50/p99;
  3. single POST /memory/encode throughput with 1 client and with --clients
     clients (threads, one keep-alive connection each), --singles requests
     per measurement;
  4. RSS of the daemon (VmRSS, RssAnon from /proc) empty / filled / at the
     end, bytes per neuron, and db_size_bytes per neuron;
  5. GET /health requests/s with `wrk -t2 -c64 -d10s` (if wrk is installed).
Prints one markdown table per size with the targets (for 1M neurons on a
2-core machine) marked met / missed, and writes everything with --json.
A benchmark, not a test: its exit status does not depend on the targets.

--url URL benchmarks a server that is already running (one nmemd, or a
cluster's nginx: scripts/cluster-up) instead of starting one; the table is
labelled with the URL. What needs the process is then measured only with
--pid PID (RSS, bytes per neuron, database size); behind a load balancer
(its /health answer does not come with nmemd's Server header) the traversal
counters are skipped as well, since each GET /metrics may come from another
node.
"""
import argparse
import http.client
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
from nmemdctl import Conn, Daemon, HTTPError, build_request, metrics, pct, rss  # noqa: E402

TARGETS = {
    "batch_per_s": 20000, "single16_per_s": 2000, "health_per_s": 30000, "rss_bytes": 1 << 30,
    "p50_ms": 1.0, "p99_ms": 5.0, "p99_ms_depth3": 10.0,
}


def parse_size(s):
    s = s.strip().lower()
    mult = {"k": 1000, "m": 1_000_000}.get(s[-1:], 1)
    return int(float(s[:-1] if mult > 1 else s) * mult)


def label(n):
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def r3(x):
    return None if x != x else round(x, 3)  # NaN -> None for JSON


def dist(v):
    return {"n": len(v), "p50": r3(pct(v, 50)), "p95": r3(pct(v, 95)), "p99": r3(pct(v, 99)),
            "mean": r3(sum(v) / len(v)) if v else None, "max": r3(max(v)) if v else None}


# ---------------------------------------------------------------- phases

def fill(conn, brain, target_neurons, target_memories, start=0, budget_s=None):
    """Batch-encode memories start.. until the brain has target_neurons neurons (counted from the
    batch results) or target_memories memories. Returns (memories, neurons_created, stats dict)."""
    i, neurons, req_s, batch_ms, stopped = start, 0, 0.0, [], False
    wall0 = last = time.perf_counter()
    ratio = 2.0  # neurons per memory, refined as we go
    while True:
        if target_memories is not None:
            k = min(1000, start + target_memories - i)
        else:
            left = target_neurons - neurons
            k = min(1000, max(1, int(left / ratio) + 1))
        if k <= 0 or (target_memories is None and neurons >= target_neurons):
            break
        if budget_s and time.perf_counter() - wall0 > budget_s:
            stopped = True
            log(f"  fill: --fill-budget {budget_s:.0f} s reached at {i - start} memories, {neurons} neurons")
            break
        req = build_request("POST", "/memory/encode/batch", conn.host,
                            {"memories": list(dataset.memories(k, start=i))}, brain)
        t0 = time.perf_counter()
        st, data = conn.send_raw(req)
        dt = time.perf_counter() - t0
        if st != 201 and st != 200:
            raise HTTPError(st, data, "POST /memory/encode/batch")
        res = json.loads(data)["results"]
        neurons += sum(r["neurons_created"] for r in res)
        req_s += dt
        batch_ms.append(dt * 1000 * 1000 / k)  # ms per 1000 memories
        i += k
        ratio = max(0.5, neurons / (i - start))
        now = time.perf_counter()
        if now - last > 15:
            last = now
            log(f"  fill: {i - start} memories, {neurons} neurons, {(i - start) / req_s:.0f} memories/s "
                f"({now - wall0:.0f} s)")
    wall = time.perf_counter() - wall0
    n = i - start
    return n, neurons, {"memories": n, "neurons_created": neurons, "seconds_in_requests": round(req_s, 2),
                        "seconds_wall": round(wall, 2), "memories_per_s": round(n / req_s, 1) if req_s else None,
                        "ms_per_1000": dist(batch_ms), "stopped_by_budget": stopped}


def run_queries(conn, brain, n_memories, per_depth, budget_s, warmup=8):
    """per_depth questions per depth, depth by depth (each depth gets a quarter of budget_s),
    with the nmemd_activation_* counters of GET /metrics read around each depth's questions."""
    qs = dataset.questions(seed=11, n=n_memories, per_depth=per_depth + warmup)
    per = {}
    t_start = time.perf_counter()
    truncated = False
    for depth in range(4):
        mine = [q for q in qs if q["depth"] == depth]
        d = per[depth] = {"server": [], "client": [], "neurons_activated": []}
        t_depth = time.perf_counter()
        m0 = metrics(conn)
        for k, q in enumerate(mine):
            if k == warmup:
                m0 = metrics(conn)
            body = {"query": q["query"], "depth": depth, "reference_time": q["reference_time"],
                    "reinforce": False}
            req = build_request("POST", "/memory/query", conn.host, body, brain)
            t0 = time.perf_counter()
            st, data = conn.send_raw(req)
            dt = (time.perf_counter() - t0) * 1000
            if st != 200:
                raise HTTPError(st, data, "POST /memory/query")
            if k < warmup:
                continue
            r = json.loads(data)
            d["server"].append(float(r["latency_ms"]))
            d["client"].append(dt)
            d["neurons_activated"].append(r.get("neurons_activated", 0))
            if time.perf_counter() - t_depth > budget_s / 4:
                truncated = True
                break
        d["activation"] = {k[len("nmemd_activation_"):]: v - m0.get(k, 0.0)
                           for k, v in metrics(conn).items() if k.startswith("nmemd_activation_")}
    return per, truncated, time.perf_counter() - t_start


def traversal_summary(per):
    """Per depth: mean neurons visited and edges examined per activation, and both per ms of activation."""
    out = {}
    for d, v in per.items():
        a = v["activation"]
        runs, secs = a.get("runs_total", 0), a.get("seconds_total", 0)
        if not runs:
            continue
        vis, edges = a.get("neurons_visited_total", 0), a.get("edges_total", 0)
        out[str(d)] = {"runs": int(runs), "neurons_visited_mean": r3(vis / runs), "edges_mean": r3(edges / runs),
                       "activation_ms_mean": r3(secs * 1000 / runs),
                       "neurons_visited_per_ms": r3(vis / (secs * 1000)) if secs else None,
                       "edges_per_ms": r3(edges / (secs * 1000)) if secs else None}
    return out


def run_clients(host, port, reqs, server_ms=False):
    """Send the prepared requests reqs[c] over one keep-alive connection per client c (threads, all
    let go together). Returns clients, requests, errors, first_error, seconds (wall), per_s and the
    client round trip latency_ms; with server_ms, also the distribution of the server's latency_ms
    from each 200 JSON answer."""
    clients = len(reqs)
    conns = [Conn(host, port) for _ in range(clients)]
    lat = [[] for _ in range(clients)]
    srv = [[] for _ in range(clients)]
    errors = []
    barrier = threading.Barrier(clients + 1)

    def work(c):
        barrier.wait()
        try:
            for req in reqs[c]:
                t0 = time.perf_counter()
                st, data = conns[c].send_raw(req)
                lat[c].append((time.perf_counter() - t0) * 1000)
                if st != 200:
                    errors.append(f"{st} {data[:200]!r}")
                elif server_ms:
                    srv[c].append(float(json.loads(data)["latency_ms"]))
        except Exception as e:  # noqa: BLE001 -- reported, not hidden
            errors.append(repr(e))

    th = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
    for t in th:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in th:
        t.join()
    wall = time.perf_counter() - t0
    for c in conns:
        c.close()
    all_lat = [x for v in lat for x in v]
    res = {"clients": clients, "requests": len(all_lat), "errors": len(errors), "first_error": errors[:1],
           "seconds": round(wall, 3), "per_s": round(len(all_lat) / wall, 1) if wall else None,
           "latency_ms": dist(all_lat)}
    if server_ms:
        res["server_ms"] = dist([x for v in srv for x in v])
    return res


def singles(host, port, brain, start, count, clients):
    """count single POST /memory/encode over `clients` keep-alive connections (threads)."""
    reqs = [[build_request("POST", "/memory/encode", host, dataset.memory(i)[0], brain)
             for i in range(start + c, start + count, clients)] for c in range(clients)]
    return run_clients(host, port, reqs)


def wrk_health(host, port, seconds):
    exe = shutil.which("wrk")
    if not exe:
        return {"available": False}
    cmd = [exe, "-t2", "-c64", f"-d{seconds}s", "--latency", f"http://{host}:{port}/health"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    out = p.stdout
    res = {"available": True, "command": " ".join(cmd[1:])}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["per_s"] = float(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(map(int, m.groups())) if m else 0
    for q in ("50", "99"):
        m = re.search(rf"^\s+{q}%\s+(\S+)", out, re.M)
        res[f"latency_p{q}"] = m.group(1) if m else None
    if p.returncode != 0 or res["per_s"] is None:
        res["raw"] = (out + p.stderr)[-1000:]
    return res


def rss_via(pid, conn):
    """RSS of the daemon; {} without a pid (--url without --pid: not our process to measure)."""
    if not pid:
        return {}
    r = rss(pid)
    if r:
        return r
    m = metrics(conn)
    v = m.get("process_resident_memory_bytes")
    return {"VmRSS": int(v // 1024)} if v else {}


def server_header(host, port):
    """The Server header of GET /health ("nmemd/0.1.0" from nmemd itself; nginx puts its own)."""
    c = http.client.HTTPConnection(host, port, timeout=30)
    try:
        c.request("GET", "/health")
        r = c.getresponse()
        r.read()
        return r.getheader("Server") or ""
    finally:
        c.close()


def concurrent_queries(host, port, brain, n_memories, count, clients, seq_per_depth, warmup=8):
    """count questions (depths 0-3 interleaved) over `clients` keep-alive connections (threads), all
    different from each other and from run_queries' questions, so that the query cache answers none."""
    asked = {(q["query"], q["depth"], q["reference_time"])
             for q in dataset.questions(seed=11, n=n_memories, per_depth=seq_per_depth + warmup)}
    qs, seen = [], set(asked)
    for q in dataset.questions(seed=29, n=n_memories, per_depth=count // 2 + 50):
        k = (q["query"], q["depth"], q["reference_time"])
        if k not in seen:
            seen.add(k)
            qs.append(q)
        if len(qs) == count:
            break
    reqs = [[build_request("POST", "/memory/query", host,
                           {"query": q["query"], "depth": q["depth"], "reference_time": q["reference_time"],
                            "reinforce": False}, brain) for q in qs[c::clients]] for c in range(clients)]
    return run_clients(host, port, reqs, server_ms=True)


# ---------------------------------------------------------------- one size

def run_size(args, target_neurons, target_memories):
    lab = label(target_neurons) if target_memories is None else f"{label(target_memories)} memories"
    log(f"== size {lab}")
    daemon = None
    if args.url:
        hp = args.url.split("://", 1)[-1].rstrip("/")
        host, port = hp.rsplit(":", 1)
        port, pid = int(port), args.pid
    else:
        daemon = Daemon(args.bin, storage=args.storage, sets=args.set)
        host, port, pid = daemon.host, daemon.port, daemon.pid
    res = {"size": lab, "target_neurons": target_neurons, "target_memories": target_memories,
           "loadavg_before": os.getloadavg(), "url": args.url}
    try:
        if args.url:
            res["server_header"] = server_header(host, port)
            res["behind_balancer"] = not res["server_header"].startswith("nmemd")
            if res["behind_balancer"]:
                log(f"  {args.url} answers with Server: {res['server_header'] or '(none)'}: a load balancer; "
                    "traversal counters skipped" + ("; --pid measures one process only" if pid else ""))
        conn = Conn(host, port)
        res["version"] = conn.json("GET", "/health").get("version")
        res["rss_empty_kib"] = rss_via(pid, conn)
        brain = f"bench-{lab.replace(' ', '-')}-{int(time.time())}"
        cfg = {"engine_mode": args.mode} if args.mode else {}
        conn.json("POST", "/brain/create", {"id": brain, "name": brain, "config": cfg})
        t0 = time.perf_counter()
        n_mem, _, res["batch"] = fill(conn, brain, target_neurons, target_memories, budget_s=args.fill_budget)
        log(f"  filled: {n_mem} memories in {time.perf_counter() - t0:.1f} s")
        st = conn.json("GET", f"/brain/{brain}/stats")
        res["stats"] = {k: st.get(k) for k in ("neuron_count", "synapse_count", "fiber_count", "db_size_bytes")}
        if daemon:
            res["stats"]["data_dir_bytes"] = daemon.data_bytes()
        res["rss_filled_kib"] = rss_via(pid, conn)

        per, truncated, qsecs = run_queries(conn, brain, n_mem, args.queries, args.query_budget)
        log(f"  queries: {sum(len(v['server']) for v in per.values())} in {qsecs:.1f} s"
            + (" (budget reached)" if truncated else ""))
        res["query"] = {str(d): {"server_ms": dist(v["server"]), "client_ms": dist(v["client"]),
                                 "overhead_ms_p50": r3(pct([c - s for c, s in zip(v["client"], v["server"])], 50)),
                                 "neurons_activated_mean": r3(sum(v["neurons_activated"]) /
                                                              max(1, len(v["neurons_activated"])))}
                        for d, v in per.items()}
        res["query_truncated_by_budget"] = truncated
        res["traversal"] = {} if res.get("behind_balancer") else traversal_summary(per)
        res["rss_after_queries_kib"] = rss_via(pid, conn)

        if args.query_count > 0:
            res["query_concurrent"] = concurrent_queries(host, port, brain, n_mem, args.query_count, args.clients,
                                                         args.queries)
            log(f"  queries, {args.clients} clients: {res['query_concurrent']['per_s']}/s")

        nxt = n_mem
        res["single_1"] = singles(host, port, brain, nxt, args.singles, 1)
        nxt += args.singles
        log(f"  single encode, 1 client: {res['single_1']['per_s']}/s")
        res[f"single_{args.clients}"] = singles(host, port, brain, nxt, args.singles, args.clients)
        res["single_clients"] = args.clients
        log(f"  single encode, {args.clients} clients: {res[f'single_{args.clients}']['per_s']}/s")

        st = conn.json("GET", f"/brain/{brain}/stats")
        res["stats_end"] = {k: st.get(k) for k in ("neuron_count", "synapse_count", "fiber_count", "db_size_bytes")}
        res["rss_end_kib"] = rss_via(pid, conn)
        conn.close()
        if args.wrk_seconds > 0:
            res["health"] = wrk_health(host, port, args.wrk_seconds)
            log(f"  /health: {res['health'].get('per_s')} req/s")
        if pid:
            res["rss_after_health_kib"] = rss(pid)
        neurons = res["stats"]["neuron_count"] or 0
        # after the queries: an index built lazily by the first query is counted; the single
        # encodes that follow have not yet added neurons
        rf = res["rss_after_queries_kib"]
        res["bytes_per_neuron"] = None if not pid else {
            "rss": r3(rf.get("VmRSS", 0) * 1024 / neurons) if neurons else None,
            "rss_anon": r3(rf.get("RssAnon", 0) * 1024 / neurons) if neurons and "RssAnon" in rf else None,
            "rss_growth": r3((rf.get("VmRSS", 0) - res["rss_empty_kib"].get("VmRSS", 0)) * 1024 / neurons)
            if neurons else None,
            "db": r3((res["stats"]["db_size_bytes"] or 0) / neurons) if neurons else None,
        }
    finally:
        res["loadavg_after"] = os.getloadavg()
        if daemon:
            daemon.stop()
    return res


# ---------------------------------------------------------------- report

def ok(cond):
    return "met" if cond else "**missed**"


def fmt_kib(k):
    return f"{k / 1024:.0f} MiB" if k is not None else "n/a"


def table(res, clients):
    rows = []
    s = res["stats"]
    b = res["batch"]
    rows.append(("brain", f"{s['neuron_count']:,} neurons, {s['synapse_count']:,} synapses, "
                          f"{s['fiber_count']:,} memories", "", ""))
    rows.append(("batch encode (1000/request)", f"{b['memories_per_s']:,.0f} memories/s "
                 f"({b['seconds_in_requests']} s; {b['ms_per_1000']['p50']} ms per 1000 p50)",
                 "≥ 20,000/s", ok(b["memories_per_s"] >= TARGETS["batch_per_s"])))
    s1, sn = res["single_1"], res[f"single_{clients}"]
    rows.append(("single encode, 1 client", f"{s1['per_s']:,.0f}/s (p50 {s1['latency_ms']['p50']} ms, "
                 f"p99 {s1['latency_ms']['p99']} ms){' ERRORS %d' % s1['errors'] if s1['errors'] else ''}", "", ""))
    rows.append((f"single encode, {clients} clients", f"{sn['per_s']:,.0f}/s (p50 {sn['latency_ms']['p50']} ms, "
                 f"p99 {sn['latency_ms']['p99']} ms){' ERRORS %d' % sn['errors'] if sn['errors'] else ''}",
                 "≥ 2,000/s", ok(sn["per_s"] >= TARGETS["single16_per_s"] and not sn["errors"])))
    for d in range(4):
        q = res["query"][str(d)]
        sv, cl = q["server_ms"], q["client_ms"]
        if sv["n"] == 0:
            rows.append((f"query depth {d}", "no samples", "", ""))
            continue
        if d < 3:
            tgt = "p50 ≤ 1, p99 ≤ 5 ms"
            met = sv["p50"] <= TARGETS["p50_ms"] and sv["p99"] <= TARGETS["p99_ms"]
        else:
            tgt = "p99 ≤ 10 ms"
            met = sv["p99"] <= TARGETS["p99_ms_depth3"]
        rows.append((f"query depth {d}, server latency_ms p50 / p95 / p99",
                     f"{sv['p50']} / {sv['p95']} / {sv['p99']} ms (n={sv['n']}, "
                     f"{q['neurons_activated_mean']} activated)", tgt, ok(met)))
        rows.append((f"query depth {d}, client round trip p50 / p95 / p99",
                     f"{cl['p50']} / {cl['p95']} / {cl['p99']} ms (+{q['overhead_ms_p50']} ms p50 over server)",
                     "", ""))
    qc = res.get("query_concurrent")
    if qc:
        rows.append((f"queries, {qc['clients']} clients (depths 0–3 mixed, none cached)",
                     f"{qc['per_s']:,.0f} queries/s (round trip p50 {qc['latency_ms']['p50']} ms, "
                     f"p99 {qc['latency_ms']['p99']} ms; server latency_ms p50 {qc['server_ms']['p50']}, "
                     f"p99 {qc['server_ms']['p99']} ms; n={qc['requests']})"
                     f"{' ERRORS %d' % qc['errors'] if qc['errors'] else ''}", "", ""))
    if res.get("behind_balancer"):
        rows.append(("graph traversal", "n/a: behind a load balancer, /metrics comes from any node", "", ""))
    for d, t in res["traversal"].items():
        rows.append((f"activation depth {d}: neurons visited / edges examined (mean per query)",
                     f"{t['neurons_visited_mean']} / {t['edges_mean']} in {t['activation_ms_mean']} ms: "
                     f"{t['neurons_visited_per_ms']:,} neurons/ms, {t['edges_per_ms']:,} edges (hops)/ms", "", ""))
    re_, rf, rend = res["rss_empty_kib"], res["rss_filled_kib"], res["rss_end_kib"]
    rss_val = max(rf.get("VmRSS", 0), rend.get("VmRSS", 0))
    rq = res["rss_after_queries_kib"]
    rss_val = max(rss_val, rq.get("VmRSS", 0))
    if res["bytes_per_neuron"] is None:
        rows.append(("RSS, bytes per neuron, database size", "not measured: --url without --pid", "≤ 1 GiB", ""))
    else:
        rows.append(("RSS (VmRSS) empty / filled / after queries / end",
                     f"{fmt_kib(re_.get('VmRSS'))} / {fmt_kib(rf.get('VmRSS'))} / {fmt_kib(rq.get('VmRSS'))} / "
                     f"{fmt_kib(rend.get('VmRSS'))}"
                     + (f" (RssAnon {fmt_kib(rf.get('RssAnon'))} / {fmt_kib(rq.get('RssAnon'))} / "
                        f"{fmt_kib(rend.get('RssAnon'))})" if "RssAnon" in rf else ""),
                     "≤ 1 GiB", ok(rss_val * 1024 <= TARGETS["rss_bytes"])))
        bp = res["bytes_per_neuron"]
        rows.append(("bytes per neuron (RSS after queries)", f"RSS {bp['rss']:.0f} (anon {bp['rss_anon'] or 0:.0f}, "
                     f"growth over empty {bp['rss_growth']:.0f}); database {bp['db']:.0f} "
                     f"({(s['db_size_bytes'] or 0) / 2**20:.0f} MiB)", "", ""))
    h = res.get("health")
    if h and h.get("available"):
        errs = h["non_2xx"] + h["socket_errors"]
        rows.append(("GET /health, wrk -t2 -c64", f"{h['per_s']:,.0f} req/s (p50 {h['latency_p50']}, p99 "
                     f"{h['latency_p99']}){' errors %d' % errs if errs else ''}", "≥ 30,000/s",
                     ok((h["per_s"] or 0) >= TARGETS["health_per_s"] and not errs)))
    elif h is not None:
        rows.append(("GET /health", "n/a (wrk not installed)", "≥ 30,000/s", ""))
    where = ""
    if res.get("url"):
        where = f" — {res['url']}" + (f" (load balancer: Server {res['server_header']})"
                                       if res.get("behind_balancer") else "")
    out = [f"\n### nmemd benchmark: {res['size']} (nmemd {res.get('version')}){where}\n",
           "| measure | result | target (1M neurons) | status |", "|---|---|---|---|"]
    out += [f"| {a} | {b_} | {c} | {d} |" for a, b_, c, d in rows]
    la = res.get("loadavg_before", (0, 0, 0))
    out.append(f"\nLoad average before the run {la[0]:.2f} (1 min), after {res['loadavg_after'][0]:.2f}"
               + (" — other processes were using the CPUs; the figures are pessimistic." if la[0] > 0.7 else "."))
    if res["batch"]["stopped_by_budget"]:
        out.append(f"\n**The fill stopped at --fill-budget**: the brain has {s['neuron_count']:,} neurons, "
                   f"not {res['size']}.")
    if res["query_truncated_by_budget"]:
        out.append("\nQuery phase stopped by --query-budget before all questions ran (see n=).")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="bin/nmemd")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--sizes", default="10k,100k", help="brain sizes in neurons, comma separated (10k,100k,1M)")
    g.add_argument("--neurons", type=int, help="one size, in neurons")
    g.add_argument("--memories", type=int, help="one size, in memories (instead of neurons)")
    ap.add_argument("--url", help="use a running nmemd (e.g. http://127.0.0.1:8000) instead of starting one")
    ap.add_argument("--pid", type=int, help="with --url: the daemon's PID, for RSS from /proc")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--storage", default="sqlite", choices=["sqlite", "memory"])
    ap.add_argument("--mode", choices=["fixed", "compat"], help="brain engine_mode (default: the server's)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to nmemd")
    ap.add_argument("--queries", type=int, default=200, help="questions per depth (after 8 warm-up ones)")
    ap.add_argument("--fill-budget", type=float, default=1200,
                    help="seconds for the fill; a slower daemon stops short of the size (reported)")
    ap.add_argument("--query-budget", type=float, default=300, help="seconds for the whole query phase")
    ap.add_argument("--singles", type=int, default=2000, help="single encodes per measurement")
    ap.add_argument("--clients", type=int, default=16,
                    help="client threads for the concurrent single encodes and queries")
    ap.add_argument("--query-count", type=int, default=2000,
                    help="questions for the concurrent query throughput (0 skips it)")
    ap.add_argument("--wrk-seconds", type=int, default=10, help="0 skips the /health measurement")
    args = ap.parse_args()
    if not args.url and not os.access(args.bin, os.X_OK):
        ap.error(f"{args.bin} is not an executable (build it with make, or give --url)")

    if args.memories:
        plan = [(None, args.memories)]
    elif args.neurons:
        plan = [(args.neurons, None)]
    else:
        plan = [(parse_size(s), None) for s in args.sizes.split(",") if s.strip()]
    results = {"machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} CPUs",
               "python": platform.python_version(), "binary": os.path.abspath(args.bin) if not args.url else args.url,
               "storage": args.storage, "sets": args.set, "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
               "targets": TARGETS, "sizes": []}
    t0 = time.perf_counter()
    for neurons, mems in plan:
        t = time.perf_counter()
        r = run_size(args, neurons, mems)
        r["seconds_total"] = round(time.perf_counter() - t, 1)
        results["sizes"].append(r)
        print(table(r, args.clients), flush=True)
        print(f"\n({r['seconds_total']} s for this size)", flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1, ensure_ascii=False)
    results["seconds_total"] = round(time.perf_counter() - t0, 1)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, ensure_ascii=False)
    storage = f"the server's at {args.url}" if args.url else args.storage
    print(f"\nMachine: {results['machine']}; storage {storage}; total {results['seconds_total']} s. "
          "Targets are the issue's figures for 1M neurons on a 2-core machine; at smaller sizes they are shown "
          "for reference.")


if __name__ == "__main__":
    main()
