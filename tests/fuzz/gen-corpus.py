#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into tests/fuzz/corpus/.

    python3 tests/fuzz/gen-corpus.py --bin bin/nmemd

The seeds are committed; run this again only to refresh them (it replaces
every file of tests/fuzz/corpus/<target>/). Where they come from:

  request  HTTP/1.1 request streams for every route, with the bodies the
           HTTP tests send (tests/http/), the golden memories and queries
           (tests/data/golden/compat.json), query strings, percent-encoded
           paths, chunked bodies, pipelining, an upgrade, a few broken ones
  extract  the golden memories and queries (English and Vietnamese) and
           sentences with time expressions of both languages
  import   snapshots exported (JSON and NDJSON) by a live nmemd (memory
           backend, NMEMD_TEST_IDS/NMEMD_TEST_CLOCK so the text is
           deterministic) after encoding golden memories, after CRUD like
           tests/http/test_import_export.py, with typed memories and
           projects, and after an archive run (elements flagged "archived");
           each prefixed with fuzz_import.c's control byte (format, read
           size, scanner window)

File names are <kind>-<n>, short and stable.
"""
import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "http"))

GOLDEN = json.load(open(os.path.join(ROOT, "tests", "data", "golden", "compat.json"), encoding="utf-8"))
MEMORIES = [m["content"] for m in GOLDEN["memories"]]
QUERIES = list(dict.fromkeys(q["query"] for q in GOLDEN["queries"]))
T0 = "2026-01-02T03:04:05.000000"


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def reset(target):
    d = os.path.join(HERE, "corpus", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)


# ---- request ----

def http(method, path, body=None, headers=(), raw=None, brain="b1"):
    h = [("Host", "127.0.0.1")]
    if brain:
        h.append(("X-Brain-ID", brain))
    data = b""
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        h.append(("Content-Type", "application/json"))
    if raw is not None:
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8")
    h += list(headers)
    if data and not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in h):
        h.append(("Content-Length", str(len(data))))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h) + "\r\n"
    return head.encode("utf-8") + data


def chunked(method, path, body):
    data = json.dumps(body).encode()
    half = len(data) // 2
    raw = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, data[:half], len(data) - half, data[half:])
    return http(method, path, raw=raw, headers=[("Content-Type", "application/json"),
                                               ("Transfer-Encoding", "chunked")])


def gen_request():
    reset("request")
    neuron = {"id": "n-1", "type": "entity", "content": "Alice", "metadata": {"x": 1}, "created_at": T0}
    synapse = {"id": "s-1", "source_id": "n-1", "target_id": "n-2", "type": "related_to", "weight": 0.7,
               "direction": "bi", "metadata": {}, "reinforced_count": 2, "last_activated": None, "created_at": T0}
    fiber = {"id": "f-1", "neuron_ids": ["n-1", "n-2"], "synapse_ids": ["s-1"], "anchor_neuron_id": "n-1",
             "time_start": "2026-01-01T00:00:00", "time_end": "2026-01-02T00:00:00", "coherence": 0.5,
             "salience": 0.9, "frequency": 1, "summary": "sum", "tags": ["b", "a"], "metadata": {"enc": "x"},
             "created_at": T0}
    brain = {"id": "b-new", "name": "Brain", "owner_id": "alice", "is_public": False, "shared_with": ["bob"],
             "config": {"decay_rate": 0.25, "max_spread_hops": 6, "engine_mode": "compat"}, "metadata": {"k": "v"}}
    seeds = [
        http("GET", "/health", brain=None),
        http("GET", "/", brain=None),
        http("HEAD", "/openapi.json", brain=None),
        http("GET", "/metrics", brain=None, headers=[("Authorization", "Bearer k1")]),
        http("OPTIONS", "/memory/neurons", brain=None, headers=[("Origin", "http://x"),
             ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "x-brain-id")]),
        http("GET", "/brains?limit=10&offset=0", brain=None),
        http("POST", "/brain/create", brain, brain=None),
        http("GET", "/brain/b%2Dnew/stats", brain=None),
        http("PUT", "/brain/b-new", {"name": "Renamed", "config": {"decay_rate": 0.5}, "is_public": True},
             brain=None),
        http("DELETE", "/brain/b-new/", brain=None),
        http("GET", "/brain/b1/export?format=ndjson&exclude_sensitive=true", brain=None),
        http("POST", "/brain/b1/import?format=json", {"brain_name": "x", "neurons": []}, brain=None),
        http("POST", "/brain/b1/decay", {"decay_rate": 0.1, "prune_threshold": 0.01, "min_age_days": 1,
             "prune_orphans": True, "reference_time": "2026-03-01T00:00:00", "dry_run": True}, brain=None),
        http("POST", "/brain/b1/decay", brain=None),
        http("POST", "/brain/b1/backup", {"path": "nightly.db"}, brain=None),
        http("POST", "/brain/b1/archive", {"older_than_days": 30, "reference_time": "2026-06-01T00:00:00",
             "dry_run": True}, brain=None),
        http("POST", "/brain/b1/archive/restore", {"fiber_ids": ["f-1", "f-2"]}, brain=None),
        http("POST", "/brain/b1/archive/restore", {"all": True}, brain=None),
        http("GET", "/jobs/00000000-0000-4000-8000-000000000001", brain=None),
        http("POST", "/memory/encode", {"content": MEMORIES[0], "timestamp": "2024-03-04T09:00:00",
             "metadata": {"source": "chat"}, "tags": ["work", "api"]}),
        http("POST", "/memory/encode", {"content": MEMORIES[10]}),
        http("POST", "/memory/encode/batch", {"memories": [{"content": m} for m in MEMORIES[1:4]]}),
        http("POST", "/memory/query", {"query": QUERIES[0], "depth": 2, "max_tokens": 500,
             "include_subgraph": True, "reference_time": "2024-03-06T15:30:00", "reinforce": False}),
        http("POST", "/memory/query", {"query": "anh Minh ở đâu?"}),
        http("GET", "/memory/neurons?type=entity&content_contains=Al%C3%AFce+B&limit=20&offset=5"
             "&time_start=2026-01-01T00:00:00&time_end=2026-02-01"),
        http("POST", "/memory/neurons", neuron),
        http("GET", "/memory/neurons/n%2D1"),
        http("PUT", "/memory/neurons/n-1", {"content": "Alice B.", "metadata": None}),
        http("DELETE", "/memory/neurons/n-1"),
        http("GET", "/memory/neurons/n-1/state"),
        http("PUT", "/memory/neurons/n-1/state", {"activation_level": 0.7, "access_frequency": 3,
             "last_activated": T0, "decay_rate": 0.2}),
        http("GET", "/memory/neurons/n-1/neighbors?direction=both&synapse_types=related_to,is_a&min_weight=0.2"),
        http("GET", "/memory/neurons/n-1/path?to=n-9&max_hops=4"),
        http("GET", "/memory/synapses?source_id=n-1&type=related_to&min_weight=0.5&limit=3"),
        http("POST", "/memory/synapses", synapse),
        http("PUT", "/memory/synapses/s-1", {"weight": 0.9, "direction": "uni", "reinforced_count": 3}),
        http("DELETE", "/memory/synapses/s-1"),
        http("GET", "/memory/fibers?contains_neuron=n-1&tags=a,b&min_salience=0.1&order_by=salience"
             "&descending=false&limit=10"),
        http("POST", "/memory/fibers", fiber),
        http("GET", "/memory/fiber/f-1"),
        http("PUT", "/memory/fibers/f-1", {"salience": 0.2, "tags": ["c"], "time_start": None}),
        http("DELETE", "/memory/fibers/f%201"),
        http("GET", "/api/graph?brain_id=b1&limit=100&depth=2&around=n-1", brain=None),
        http("GET", "/static/vendor/vis-network.min.js", brain=None),
        http("GET", "/sync/ws?token=k1", brain=None, headers=[("Upgrade", "websocket"), ("Connection", "Upgrade"),
             ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]),
        chunked("POST", "/memory/neurons", {"type": "concept", "content": "chunked body"}),
        http("POST", "/memory/encode", raw="{\"content\": \"a\\u0000b\", \"tags\": [\"\\ud83d\\ude00\"]}",
             headers=[("Content-Type", "application/json"), ("Expect", "100-continue")]),
        http("GET", "/memory/neurons?content_contains=%ZZ&type=bogus"),
        http("POST", "/memory/neurons", raw="[1, 2, {\"nested\": [[[[]]]]}]",
             headers=[("Content-Type", "application/json")]),
        http("GET", "/memory/neurons/%C3%28"),
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
        b"PATCH /memory/neurons/n-1 HTTP/1.0\r\n\r\n",
        b"GET /health HTTP/1.1\r\nX-Request-ID: abc:1.2_3\r\nConnection: close\r\n\r\n",
    ]
    # pipelined: three requests in one stream
    seeds.append(http("GET", "/health", brain=None) + http("POST", "/memory/neurons", neuron) +
                 http("GET", "/memory/neurons?limit=1"))
    for i, s in enumerate(seeds):
        write("request", f"req-{i:02d}", s)
    return len(seeds)


# ---- extract ----

EXTRA_TEXT = [
    "Ngày 5 tháng 3 năm 2024 chúng tôi gặp nhau ở Sài Gòn",
    "3 ngày trước, lúc 10 giờ 30 sáng, anh Tuấn gọi cho tôi",
    "tuần sau chị Hoa sẽ bay ra Hà Nội vào thứ hai",
    "Tối qua mình đi xem phim với bạn Nguyễn Văn An",
    "Meeting at 10:30am next Monday in Paris with Dr. Smith",
    "On March 5th 2024, two weeks ago, the team shipped v3",
    "earlier this month, last year, tomorrow evening, in 2 hours",
    "Why did Bob leave Google? How does the login flow work? When is the deadline?",
    "Compare PostgreSQL and MySQL for the analytics workload",
    "İstanbul ΣΊΣΥΦΟΣ straße ǅemal ﬁle — ½ ⅓ ²³ ٣٤ 𝟘𝟙",
    "\u00a0\u2003tab\there\u001cand\u001fthere\u3000end\n",
    "a" * 300,
]


def gen_extract():
    reset("extract")
    texts = MEMORIES + QUERIES + EXTRA_TEXT
    for i, t in enumerate(texts):
        write("extract", f"text-{i:02d}", t)
    return len(texts)


# ---- import ----

def ctl(ndjson, piece=7, window=0, short_lines=False):
    """fuzz_import.c's control byte."""
    return bytes([(1 if ndjson else 0) | (piece << 1) | (window << 4) | (0x80 if short_lines else 0)])


def gen_import(bin_path):
    import harness as H
    reset("import")
    H.BIN = os.path.abspath(bin_path)
    srv = H.Server("memory", env={"NMEMD_TEST_IDS": "counter", "NMEMD_TEST_CLOCK": "2026-01-01T00:00:00"})
    srv.start()
    c = srv.client()
    docs = []
    try:
        def brain(bid, **kw):
            H.ok(c.req("POST", "/brain/create", dict({"id": bid, "name": f"brain {bid}"}, **kw)), 200, "create")
            return bid

        def export(bid):
            j = c.req("GET", f"/brain/{bid}/export")
            H.ok(j, 200, "export")
            nd = c.req("GET", f"/brain/{bid}/export?format=ndjson")
            H.eq(nd.status, 200, "export ndjson")
            return j.raw, nd.raw

        def encode(bid, texts):
            for k, t in enumerate(texts):
                H.ok(c.req("POST", "/memory/encode", {"content": t, "timestamp": f"2024-03-0{1 + k % 9}T09:00:00",
                     "tags": ["t%d" % k]}, brain=bid), 200, "encode")

        docs.append(export(brain("empty")))
        encode(brain("one"), MEMORIES[:1])
        docs.append(export("one"))
        encode(brain("three", config={"decay_rate": 0.2, "engine_mode": "compat"}), MEMORIES[1:4])
        docs.append(export("three"))
        encode(brain("vi"), [MEMORIES[10], MEMORIES[21]])
        docs.append(export("vi"))
        b = brain("crud", config={"decay_rate": 0.25, "max_spread_hops": 6})
        H.mk_neuron(c, b, "zeta", id="n-z", type="entity", metadata={"x": 1}, created_at="2026-01-01T00:00:00")
        H.mk_neuron(c, b, "alpha", id="n-a", type="concept")
        H.mk_neuron(c, b, "Đà Nẵng", id="n-m", type="spatial")
        H.mk_synapse(c, b, "n-z", "n-a", id="s-2", type="is_a", weight=0.7, metadata={"w": True})
        H.mk_synapse(c, b, "n-a", "n-m", id="s-1", type="near", reinforced_count=2,
                     last_activated="2026-01-03T00:00:00")
        H.mk_fiber(c, b, ["n-z", "n-a"], id="f-low", salience=0.1, tags=["b", "a"], metadata={"enc": "x"})
        H.mk_fiber(c, b, ["n-m"], id="f-high", salience=0.9, time_start="2026-01-01", time_end="2026-01-02",
                   summary="sum")
        docs.append(export(b))
        # typed memories and projects ride in the snapshot's metadata
        j = json.loads(docs[-1][0])
        j["metadata"] = {"typed_memories": [{"fiber_id": "f-low", "memory_type": "fact", "priority": 5,
                                             "tags": ["t"], "created_at": T0}],
                         "projects": [{"id": "p-1", "name": "project", "tags": [], "created_at": T0}],
                         "other": {"kept": True}}
        H.ok(c.req("POST", "/brain/typed/import", j), 200, "import typed")
        docs.append(export("typed"))
        # archived elements
        encode(brain("arch"), MEMORIES[4:6])
        r = H.ok(c.req("POST", "/brain/arch/archive", {"older_than_days": 1,
                 "reference_time": "2030-01-01T00:00:00"}), 202, "archive")
        H.poll_until(lambda: H.ok(c.req("GET", f"/jobs/{r['job_id']}"), 200, "job")["state"] in ("done", "failed"),
                     timeout=60, what="archive job")
        docs.append(export("arch"))
    finally:
        srv.stop()
    n = 0
    for i, (js, nd) in enumerate(docs):
        for k, (piece, window) in enumerate([(7, 0), (0, 0), (0, 1 + i % 7)]):
            write("import", f"json-{i}-{k}", ctl(False, piece, window) + js)
            write("import", f"ndjson-{i}-{k}", ctl(True, piece, window, short_lines=k == 2) + nd)
            n += 2
    # the scanner on plain JSON values
    values = [b'{"a": [1, -2.5e-3, true, false, null, "x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"]}',
              b'[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]', b'  "just a string"  ', b'-0.0e+00', b'{"k": {"k": {"k": {}}}}']
    for i, v in enumerate(values):
        write("import", f"value-{i}", ctl(False, 1 + i % 6, i % 8) + v)
        n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "bin", "nmemd"))
    a = ap.parse_args()
    print(f"request: {gen_request()} seeds")
    print(f"extract: {gen_extract()} seeds")
    print(f"import: {gen_import(a.bin)} seeds")


if __name__ == "__main__":
    main()
