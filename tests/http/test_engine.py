"""The engine over HTTP: POST /memory/encode, /memory/encode/batch and
/memory/query (PROTOCOL.md §3.3, §6.1; engine semantics ENGINE.md §2, §4).

  validation   every 4xx of §3.3 (content, timestamp, metadata, tags; query,
               depth, max_tokens, include_subgraph; X-Brain-ID missing or
               unknown) and, after each one, the brain is unchanged
  shapes       encode/query answers: keys, order, types; the fiber and its
               anchor neuron exist and hold the memory text byte-exact
               (Vietnamese with combining marks, emoji, NUL)
  batch        201 {results, count}; memory i sees what 0..i-1 created; the
               results equal the same memories sent one by one; 0 / 1001
               items, one bad item, body over limits.max_batch_bytes:
               refused, nothing stored
  concurrency  20 clients encode memories mentioning "Alice" at once: one
               "Alice" neuron (fixed and compat), and in fixed mode every
               fiber holds it
  time         reference_time decides which memories a time phrase finds

Brains are created with {"engine_mode": ...} explicitly, so the tests do not
depend on the daemon's engine.default_mode.
"""
import json
import unicodedata

import harness as H
from harness import eq, expect, ok

# Vietnamese in NFC and NFD (combining marks), an emoji outside the BMP, a
# ZWJ sequence, a NUL and a few JSON escapes: must round-trip byte-exact.
TRICKY_TEXT = ("Hôm qua chị Lan đã họp với khách hàng ở Đà Nẵng; "
               + unicodedata.normalize("NFD", "Tuấn uống cà phê sữa đá") + " "
               + "😀👩‍💻 \u0000 tab\there \"quoted\" back\\slash \u2028 end")


def brain(c, mode="fixed", **fields):
    return H.new_brain(c, config={"engine_mode": mode}, **fields)


def neurons_exact(c, b, content, **params):
    return H.list_neurons(c, b, content_exact=content, limit=10000, **params)["neurons"]


# ---------------------------------------------------------------------------
# Validation (PROTOCOL.md §3.3, §1.2, §1.3).

ENCODE_BAD = [
    ({}, 422, "content", "content missing"),
    ({"content": None}, 422, "content", "content null"),
    ({"content": ""}, 422, "content", "content empty"),
    ({"content": " \t\r\n\u00a0\u3000"}, 422, "content", "content whitespace only"),
    ({"content": 42}, 422, "content", "content not a string"),
    ({"content": "ok", "timestamp": "yesterday"}, 422, "timestamp", "timestamp not a datetime"),
    ({"content": "ok", "timestamp": "2024-13-01T00:00:00"}, 422, "timestamp", "timestamp month 13"),
    ({"content": "ok", "timestamp": 1700000000}, 422, "timestamp", "timestamp a number"),
    ({"content": "ok", "metadata": [1, 2]}, 422, "metadata", "metadata a list"),
    ({"content": "ok", "metadata": "x"}, 422, "metadata", "metadata a string"),
    ({"content": "ok", "tags": "a,b"}, 422, "tags", "tags a string"),
    ({"content": "ok", "tags": ["a", 1]}, 422, "tags", "tags with a number"),
    ({"content": "ok", "tags": [None]}, 422, "tags", "tags with null"),
    ({"content": "ok", "tags": {"a": 1}}, 422, "tags", "tags an object"),
]

QUERY_BAD = [
    ({}, "query", "query missing"),
    ({"query": None}, "query", "query null"),
    ({"query": ""}, "query", "query empty"),
    ({"query": 7}, "query", "query not a string"),
    ({"query": "Alice", "depth": 4}, "depth", "depth 4"),
    ({"query": "Alice", "depth": -1}, "depth", "depth -1"),
    ({"query": "Alice", "depth": "x"}, "depth", "depth 'x'"),
    ({"query": "Alice", "depth": 1.5}, "depth", "depth 1.5"),
    ({"query": "Alice", "max_tokens": 49}, "max_tokens", "max_tokens 49"),
    ({"query": "Alice", "max_tokens": 5001}, "max_tokens", "max_tokens 5001"),
    ({"query": "Alice", "max_tokens": "100"}, "max_tokens", "max_tokens a string"),
    ({"query": "Alice", "include_subgraph": "yes"}, "include_subgraph", "include_subgraph 'yes'"),
    ({"query": "Alice", "include_subgraph": 1}, "include_subgraph", "include_subgraph 1"),
    ({"query": "Alice", "reference_time": "next tuesday"}, "reference_time", "reference_time not a datetime"),
]


def _seed(c, b):
    H.encode(c, b, "Alice met Bob at Starbucks", timestamp="2024-03-04T09:00:00")


def test_encode_validation(srv):
    """Each invalid encode answers its 4xx with {"detail": "<field>..."} and
    leaves the brain exactly as it was (export and brain record)."""
    c = srv.c
    for mode in ("fixed", "compat"):
        b = brain(c, mode)
        _seed(c, b)
        before = H.content_of(c, b)
        for body, code, field, what in ENCODE_BAD:
            r = c.req("POST", "/memory/encode", body, brain=b)
            H.err(r, code, startswith=field, what=f"{mode}: encode {what}")
        eq(H.content_of(c, b), before, f"{mode}: brain unchanged after failed encodes")


def test_encode_content_limit(backend):
    """content longer than limits.max_content_bytes (counted in UTF-8 bytes)
    → 413; exactly at the limit → 200; the failed request stores nothing."""
    srv = H.start(backend, sets={"limits.max_content_bytes": 64})
    c = srv.c
    b = brain(c)
    _seed(c, b)
    before = H.content_of(c, b)
    H.err(c.req("POST", "/memory/encode", {"content": "x" * 65}, brain=b), 413, startswith="content",
          what="65 ASCII bytes")
    # 22 × "ộ" (3 bytes each) = 66 bytes but only 22 code points: bytes count
    H.err(c.req("POST", "/memory/encode", {"content": "ộ" * 22}, brain=b), 413, startswith="content",
          what="66 UTF-8 bytes in 22 code points")
    H.err(c.req("POST", "/memory/encode/batch", {"memories": [{"content": "fine"}, {"content": "y" * 65}]},
                brain=b), 413, startswith="memories[1].content", what="batch item over the content limit")
    eq(H.content_of(c, b), before, "brain unchanged after 413s")
    r = H.encode(c, b, "Carol " + "z" * 58, timestamp="2024-03-04T10:00:00")   # exactly 64 bytes
    expect(r["neurons_created"] >= 1, f"64-byte content stored: {r}")


def test_query_validation(srv):
    """Each invalid query answers 422 naming the field and changes nothing."""
    c = srv.c
    for mode in ("fixed", "compat"):
        b = brain(c, mode)
        _seed(c, b)
        before = H.content_of(c, b)
        for body, field, what in QUERY_BAD:
            H.field_err(c.req("POST", "/memory/query", body, brain=b), field, what=f"{mode}: query {what}")
        for body, what in [({"query": "   "}, "whitespace-only query")]:
            H.field_err(c.req("POST", "/memory/query", body, brain=b), "query", what=f"{mode}: {what}")
        eq(H.content_of(c, b), before, f"{mode}: brain unchanged after failed queries")
        # the bounds themselves are valid
        for extra in ({"depth": 0}, {"depth": 3}, {"max_tokens": 50}, {"max_tokens": 5000}, {"depth": None},
                      {"include_subgraph": False}, {"reference_time": None}):
            H.query(c, b, "Alice", what=f"{mode}: query with {extra}", **extra)


def test_brain_header(srv):
    """Missing or empty X-Brain-ID → 422; a brain that does not exist → 404
    "Brain <id> not found"; on all three engine routes, nothing created."""
    c = srv.c
    b = brain(c)
    _seed(c, b)
    before = H.content_of(c, b)
    ghost = H.uid("ghost")
    routes = [("/memory/encode", {"content": "Alice again"}),
              ("/memory/encode/batch", {"memories": [{"content": "Alice again"}]}),
              ("/memory/query", {"query": "Alice"})]
    for path, body in routes:
        H.err(c.req("POST", path, body), 422, detail="X-Brain-ID header required", what=f"{path} without header")
        H.err(c.req("POST", path, body, headers={"X-Brain-ID": ""}), 422, what=f"{path} with empty header")
        H.err(c.req("POST", path, body, brain=ghost), 404, detail=f"Brain {ghost} not found",
              what=f"{path} unknown brain")
    eq(H.content_of(c, b), before, "existing brain unchanged")
    H.err(c.req("GET", f"/brain/{ghost}"), 404, what="no brain created by the failed requests")


# ---------------------------------------------------------------------------
# Response shapes.

def _check_encode_result(r, what):
    H.check_keys(r, H.ENCODE_RESULT_KEYS, what)
    expect(isinstance(r["fiber_id"], str) and r["fiber_id"], f"{what}.fiber_id: {r['fiber_id']!r}")
    for k in H.ENCODE_RESULT_KEYS[1:]:
        H.check_number(r[k], f"{what}.{k}", integer=True)
        expect(r[k] >= 0, f"{what}.{k} negative: {r[k]}")
    return r


def _check_query_result(r, what, subgraph=False):
    H.check_keys(r, H.QUERY_RESULT_KEYS, what)
    expect(r["answer"] is None or isinstance(r["answer"], str), f"{what}.answer: {r['answer']!r}")
    H.check_number(r["confidence"], f"{what}.confidence")
    expect(0.0 <= r["confidence"] <= 1.0, f"{what}.confidence out of 0..1: {r['confidence']}")
    H.check_number(r["depth_used"], f"{what}.depth_used", integer=True)
    expect(0 <= r["depth_used"] <= 3, f"{what}.depth_used: {r['depth_used']}")
    H.check_number(r["neurons_activated"], f"{what}.neurons_activated", integer=True)
    expect(isinstance(r["fibers_matched"], list) and all(isinstance(x, str) for x in r["fibers_matched"]),
           f"{what}.fibers_matched: {r['fibers_matched']!r}")
    eq(len(set(r["fibers_matched"])), len(r["fibers_matched"]), f"{what}.fibers_matched has no duplicates")
    expect(isinstance(r["context"], str), f"{what}.context: {r['context']!r}")
    H.check_number(r["latency_ms"], f"{what}.latency_ms")
    expect(r["latency_ms"] >= 0, f"{what}.latency_ms negative: {r['latency_ms']}")
    if subgraph:
        sg = r["subgraph"]
        fixed = what.startswith("fixed")  # default mode adds each neuron's activation (nmemd addition)
        H.check_keys(sg, H.SUBGRAPH_KEYS + (["activations"] if fixed else []), f"{what}.subgraph")
        for k in H.SUBGRAPH_KEYS:
            expect(isinstance(sg[k], list) and all(isinstance(x, str) for x in sg[k]), f"{what}.subgraph.{k}")
        if fixed:
            acts = sg["activations"]
            eq(set(acts), set(sg["neuron_ids"]), f"{what}.subgraph.activations: one per neuron")
            expect(all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in acts.values()),
                   f"{what}.subgraph.activations levels: {acts}")
    else:
        expect(r["subgraph"] is None, f"{what}.subgraph: expected null, got {r['subgraph']!r}")
    md = r["metadata"]
    H.check_keys(md, H.QUERY_METADATA_KEYS, f"{what}.metadata")
    expect(md["query_intent"] in H.QUERY_INTENTS, f"{what}.metadata.query_intent: {md['query_intent']!r}")
    H.check_number(md["anchors_found"], f"{what}.metadata.anchors_found", integer=True)
    H.check_number(md["intersections"], f"{what}.metadata.intersections", integer=True)
    return r


def test_encode_shape_and_round_trip(srv):
    """encode → 200 with exactly {fiber_id, neurons_created, neurons_linked,
    synapses_created} (integers); the fiber exists (both fiber paths), holds
    the anchor, and the anchor neuron's content is the memory text byte-exact
    (NFC and NFD Vietnamese, emoji, ZWJ, NUL, escapes); anchor metadata starts
    with is_anchor, timestamp (ENGINE.md §2.4); caller metadata and tags
    land on the fiber."""
    c = srv.c
    for mode in ("fixed", "compat"):
        b = brain(c, mode)
        meta = {"source": "chat", "nested": {"k": [1, 2.5, None, True]}, "vi": "Đà Nẵng"}
        r = _check_encode_result(H.encode(c, b, TRICKY_TEXT, timestamp="2024-03-04T09:00:00.123456",
                                          metadata=meta, tags=["Tag-1", "tag 2", "Tag-1"]), f"{mode} encode")
        expect(r["neurons_created"] >= 2, f"{mode}: at least the anchor and the timestamp neuron: {r}")
        expect(r["synapses_created"] >= 1, f"{mode}: at least the happened_at synapse: {r}")
        eq(r["neurons_linked"], 0, f"{mode}: nothing to link in an empty brain")
        f = H.check_fiber(ok(c.req("GET", f"/memory/fiber/{H.pq(r['fiber_id'])}", brain=b), 200, "get fiber"),
                          f"{mode} fiber", id=r["fiber_id"])
        eq(ok(c.req("GET", f"/memory/fibers/{H.pq(r['fiber_id'])}", brain=b), 200, "alias"), f,
           f"{mode}: /memory/fibers/{{id}} alias")
        expect(f["anchor_neuron_id"] in f["neuron_ids"], f"{mode}: anchor in neuron_ids")
        eq(f["time_start"], "2024-03-04T09:00:00.123456", f"{mode}: fiber time_start = timestamp")
        eq(f["time_end"], "2024-03-04T09:00:00.123456", f"{mode}: fiber time_end = timestamp")
        eq(sorted(f["tags"]), ["Tag-1", "tag 2"], f"{mode}: tags as a set")
        eq(f["metadata"], meta, f"{mode}: fiber metadata = caller metadata")
        rr = c.req("GET", f"/memory/neurons/{H.pq(f['anchor_neuron_id'])}", brain=b)
        a = H.check_neuron(ok(rr, 200, "anchor neuron"), f"{mode} anchor", type="concept")
        eq(a["content"], TRICKY_TEXT, f"{mode}: anchor content (decoded)")
        eq(json.loads(rr.raw)["content"].encode("utf-8"), TRICKY_TEXT.encode("utf-8"),
           f"{mode}: anchor content bytes")
        eq(list(a["metadata"])[:2], ["is_anchor", "timestamp"], f"{mode}: anchor metadata key order")
        eq(a["metadata"]["is_anchor"], True, f"{mode}: is_anchor")
        eq(H.dt(a["metadata"]["timestamp"]), H.dt("2024-03-04T09:00:00.123456"), f"{mode}: anchor timestamp")
        for k, v in meta.items():
            eq(a["metadata"][k], v, f"{mode}: caller metadata key {k} on the anchor")
        eq(H.counts(c, b)[2], 1, f"{mode}: one fiber")
        # content_exact finds an anchor byte-exact (NFD stays NFD: the NFC
        # spelling of the same text is a different string)
        text2 = TRICKY_TEXT.replace("\u0000", "")
        r2 = H.encode(c, b, text2, timestamp="2024-03-04T09:30:00")
        a2 = ok(c.req("GET", f"/memory/fiber/{H.pq(r2['fiber_id'])}", brain=b), 200, "fiber 2")["anchor_neuron_id"]
        eq(H.ids(neurons_exact(c, b, text2)), [a2], f"{mode}: content_exact finds the anchor")
        eq(neurons_exact(c, b, unicodedata.normalize("NFC", text2)), [],
           f"{mode}: the NFC spelling does not match the stored NFD text")


def test_query_answer_keeps_memory_text(srv):
    """Fixed mode answers with the memory text of the best fiber (ENGINE.md
    §8 D12) and lists it in the context (§4.5): both must carry the text
    byte-exact, a NUL and what follows it included."""
    c = srv.c
    b = brain(c, "fixed")
    r = H.encode(c, b, TRICKY_TEXT, timestamp="2024-03-04T09:00:00")
    q = H.query(c, b, "Lan khách hàng Đà Nẵng", reference_time="2024-03-05T00:00:00")
    eq(q["fibers_matched"][:1], [r["fiber_id"]], "the memory is found")
    eq(q["answer"], TRICKY_TEXT, "answer = the memory text, byte-exact")
    expect("- " + TRICKY_TEXT in q["context"], f"context lists the whole memory text: {q['context']!r}")


def test_query_shape(srv):
    """query → 200 with every field of PROTOCOL.md §3.3 in order; subgraph
    null unless include_subgraph; metadata exactly {query_intent,
    anchors_found, intersections}; latency_ms a number ≥ 0; fibers_matched
    and subgraph ids exist in the brain."""
    c = srv.c
    for mode in ("fixed", "compat"):
        b = brain(c, mode)
        r1 = H.encode(c, b, "Alice and Bob discussed the API design at Starbucks", timestamp="2024-03-04T09:00:00")
        H.encode(c, b, "Bob fixed the authentication bug in the login service", timestamp="2024-03-04T10:00:00")
        for body in ({"query": "What did Alice do?"}, {"query": "Bob", "depth": 2, "max_tokens": 50},
                     {"query": "login service", "reference_time": "2024-03-05T00:00:00", "include_subgraph": False},
                     {"query": "zebra quantum xylophone"}):
            r = _check_query_result(H.query(c, b, **{"text": body.pop("query")}, **body), f"{mode} query")
        r = _check_query_result(H.query(c, b, "Alice", include_subgraph=True,
                                        reference_time="2024-03-05T00:00:00"), f"{mode} query+subgraph",
                                subgraph=True)
        expect(r1["fiber_id"] in r["fibers_matched"], f"{mode}: 'Alice' finds the Alice memory: {r}")
        expect(r["answer"] is not None and r["confidence"] > 0, f"{mode}: an answer: {r}")
        expect(r["metadata"]["anchors_found"] >= 1, f"{mode}: anchors found: {r}")
        eq(r["metadata"]["anchors_found"], len(r["subgraph"]["anchor_ids"]),
           f"{mode}: anchors_found = len(subgraph.anchor_ids) (duplicates kept, ENGINE.md §4.1)")
        for nid in set(r["subgraph"]["neuron_ids"]) | set(r["subgraph"]["anchor_ids"]):
            ok(c.req("GET", f"/memory/neurons/{H.pq(nid)}", brain=b), 200, f"{mode}: subgraph neuron {nid}")
        for sid in r["subgraph"]["synapse_ids"]:
            s = ok(c.req("GET", f"/memory/synapses/{H.pq(sid)}", brain=b), 200, f"{mode}: subgraph synapse")
            expect(s["source_id"] in r["subgraph"]["neuron_ids"] and s["target_id"] in r["subgraph"]["neuron_ids"],
                   f"{mode}: subgraph synapse {sid} joins two subgraph neurons")
        for fid in r["fibers_matched"]:
            ok(c.req("GET", f"/memory/fiber/{H.pq(fid)}", brain=b), 200, f"{mode}: matched fiber {fid}")
        # the wire form: keys in order, typed numbers
        raw = c.req("POST", "/memory/query", {"query": "Alice"}, brain=b)
        ok(raw, 200, "raw query")
        t = raw.typed()
        eq(list(t), H.QUERY_RESULT_KEYS, f"{mode}: key order on the wire")
        expect(isinstance(t["confidence"], H.FloatTok), f"{mode}: confidence written as a float: {raw!r}")
        expect(isinstance(t["depth_used"], H.IntTok) and isinstance(t["neurons_activated"], H.IntTok),
               f"{mode}: integer fields written as integers: {raw!r}")


def test_query_empty_brain(srv):
    """A query on an empty brain: 200, nothing found (answer null,
    confidence 0.0, no fibers, nothing activated)."""
    c = srv.c
    for mode in ("fixed", "compat"):
        b = brain(c, mode)
        r = _check_query_result(H.query(c, b, "What happened yesterday?", include_subgraph=True,
                                        reference_time="2024-03-05T00:00:00"), f"{mode} empty", subgraph=True)
        eq(r["answer"], None, f"{mode}: answer")
        eq(r["confidence"], 0.0, f"{mode}: confidence")
        eq(r["fibers_matched"], [], f"{mode}: fibers")
        eq(r["neurons_activated"], 0, f"{mode}: activated")
        empty = {"neuron_ids": [], "synapse_ids": [], "anchor_ids": []}
        if mode == "fixed":
            empty["activations"] = {}
        eq(r["subgraph"], empty, f"{mode}: subgraph")
        eq(H.counts(c, b), (0, 0, 0), f"{mode}: a query creates nothing")


def test_query_is_read_only_for_counts(srv):
    """Queries do not create or delete neurons, synapses or fibers."""
    c = srv.c
    b = brain(c)
    _seed(c, b)
    H.encode(c, b, "Bob fixed the login bug", timestamp="2024-03-04T10:00:00")
    before = H.counts(c, b)
    for q in ("Alice", "What did Bob do yesterday?", "zebra"):
        H.query(c, b, q, reference_time="2024-03-05T00:00:00")
    eq(H.counts(c, b), before, "counts after queries")


# ---------------------------------------------------------------------------
# Batch (PROTOCOL.md §6.1).

BATCH = [
    {"content": "Alice met Bob at Starbucks to discuss the API design", "timestamp": "2024-03-04T09:00:00"},
    {"content": "Bob said Alice fixed the authentication bug in the login service",
     "timestamp": "2024-03-04T10:00:00", "tags": ["bugs"]},
    {"content": "Carol reviewed the API design with Bob", "timestamp": "2024-03-05T11:00:00",
     "metadata": {"source": "notes"}},
    {"content": "The payment service had an outage 2 hours ago", "timestamp": "2024-03-05T12:00:00"},
    {"content": "Hôm qua chị Lan gặp anh Minh ở Đà Nẵng", "timestamp": "2024-03-06T08:00:00"},
]


def test_batch_encode(srv):
    """201 {"results": [...], "count": n}, one result per memory in order;
    memory i sees what 0..i-1 created (fixed: the second "Alice" memory
    links the existing Alice neuron, neurons_linked ≥ 1); every result equals
    what the same memories sent one by one to a fresh brain return."""
    c = srv.c
    for mode in ("fixed", "compat"):
        b = brain(c, mode)
        r = c.req("POST", "/memory/encode/batch", {"memories": BATCH}, brain=b)
        body = ok(r, 201, f"{mode} batch")
        H.check_keys(body, ["results", "count"], f"{mode} batch body")
        eq(body["count"], len(BATCH), f"{mode}: count")
        eq(len(body["results"]), len(BATCH), f"{mode}: one result per memory")
        for i, res in enumerate(body["results"]):
            _check_encode_result(res, f"{mode} results[{i}]")
        fids = [x["fiber_id"] for x in body["results"]]
        eq(len(set(fids)), len(fids), f"{mode}: distinct fibers")
        eq(H.counts(c, b)[2], len(BATCH), f"{mode}: fiber count")
        for i, (fid, m) in enumerate(zip(fids, BATCH)):
            f = ok(c.req("GET", f"/memory/fiber/{H.pq(fid)}", brain=b), 200, f"{mode} fiber {i}")
            a = ok(c.req("GET", f"/memory/neurons/{H.pq(f['anchor_neuron_id'])}", brain=b), 200, "anchor")
            eq(a["content"], m["content"], f"{mode}: results[{i}] is memory {i}")
            eq(H.dt(f["time_start"]), H.dt(m["timestamp"]), f"{mode}: fiber {i} time")
        eq(len(neurons_exact(c, b, "Alice")), 1, f"{mode}: one Alice neuron after the batch")
        if mode == "fixed":
            expect(body["results"][1]["neurons_linked"] >= 1,
                   f"fixed: memory 1 links the Alice neuron memory 0 created: {body['results'][1]}")
            alice = neurons_exact(c, b, "Alice")[0]["id"]
            for i in (0, 1):
                f = ok(c.req("GET", f"/memory/fiber/{H.pq(fids[i])}", brain=b), 200, "fiber")
                expect(alice in f["neuron_ids"], f"fixed: fiber {i} holds the Alice neuron")
        # the same memories one by one → the same results (ids aside)
        b1 = brain(c, mode)
        singles = [_check_encode_result(ok(c.req("POST", "/memory/encode", m, brain=b1), 200, "single"), "single")
                   for m in BATCH]
        strip = [{k: v for k, v in x.items() if k != "fiber_id"} for x in singles]
        eq([{k: v for k, v in x.items() if k != "fiber_id"} for x in body["results"]], strip,
           f"{mode}: batch results = one-by-one results")
        eq(H.counts(c, b), H.counts(c, b1), f"{mode}: batch brain = one-by-one brain (counts)")


def test_batch_rejects(srv):
    """0 or 1001 memories, a missing/non-array `memories`, or one invalid
    item → 422 (item errors prefixed "memories[<i>]."); nothing is stored."""
    c = srv.c
    for mode in ("fixed", "compat"):
        b = brain(c, mode)
        _seed(c, b)
        before = H.content_of(c, b)
        p = "/memory/encode/batch"
        H.field_err(c.req("POST", p, {"memories": []}, brain=b), "memories", what=f"{mode}: 0 items")
        H.field_err(c.req("POST", p, {"memories": [{"content": f"m {i}"} for i in range(1001)]}, brain=b),
                    "memories", what=f"{mode}: 1001 items")
        H.field_err(c.req("POST", p, {}, brain=b), "memories", what=f"{mode}: memories missing")
        H.field_err(c.req("POST", p, {"memories": {"content": "x"}}, brain=b), "memories",
                    what=f"{mode}: memories an object")
        good = [{"content": f"Alice note number {i}", "timestamp": f"2024-03-0{i + 1}T10:00:00"} for i in range(5)]
        for bad, field in (({"content": "   "}, "content"), ({"timestamp": "x"}, "content"),
                           ({"content": "ok", "timestamp": "soon"}, "timestamp"),
                           ({"content": "ok", "metadata": 3}, "metadata"),
                           ({"content": "ok", "tags": [3]}, "tags")):
            items = list(good)
            items[3] = bad
            d = H.err(c.req("POST", p, {"memories": items}, brain=b), 422, startswith="memories[3].",
                      what=f"{mode}: item 3 = {bad}")
            expect(d.startswith(f"memories[3].{field}"), f"{mode}: detail names memories[3].{field}: {d!r}")
        eq(H.content_of(c, b), before, f"{mode}: nothing stored by the rejected batches")
        # 1000 is allowed
        r = c.req("POST", p, {"memories": [{"content": f"bulk item {i}"} for i in range(1000)]}, brain=b)
        eq(ok(r, 201, f"{mode}: 1000 items")["count"], 1000, f"{mode}: 1000 items count")


def test_batch_body_limit(backend):
    """A batch body over limits.max_batch_bytes → 413 and nothing stored;
    the batch limit is separate from (and may exceed) max_body_bytes."""
    srv = H.start(backend, sets={"limits.max_batch_bytes": 4096, "limits.max_body_bytes": 2048})
    c = srv.c
    b = brain(c)
    _seed(c, b)
    before = H.content_of(c, b)
    big = {"memories": [{"content": f"Alice wrote note {i} " + "x" * 80} for i in range(60)]}
    eq(len(json.dumps(big)) > 4096, True, "setup: body over the batch limit")
    H.err(c.req("POST", "/memory/encode/batch", big, brain=b), 413, what="batch over max_batch_bytes")
    eq(H.content_of(c, b), before, "nothing stored")
    mid = {"memories": [{"content": f"Bob wrote note {i} " + "y" * 80} for i in range(25)]}
    n = len(json.dumps(mid))
    eq(2048 < n <= 4096, True, f"setup: {n} bytes between the body and the batch limit")
    eq(ok(c.req("POST", "/memory/encode/batch", mid, brain=b), 201, "batch under max_batch_bytes")["count"], 25,
       "batch under the limit stored")


# ---------------------------------------------------------------------------
# Concurrency: dedup under concurrent encodes (one "Alice").

TOPICS = ["invoices", "roadmap", "database", "migration", "release", "standup", "budget", "hiring",
          "security", "backups", "latency", "dashboards", "onboarding", "pricing", "caching", "logging",
          "testing", "deploys", "alerts", "payroll"]


def _concurrent_alice(srv, mode):
    c = srv.c
    b = brain(c, mode)
    results = [None] * len(TOPICS)

    def worker(i):
        cl = srv.client()
        try:
            results[i] = H.encode(cl, b, f"Alice reviewed the {TOPICS[i]} plan with the team",
                                  timestamp=f"2024-06-01T10:{i:02d}:00", what=f"thread {i}")
        finally:
            cl.close()

    H.run_threads(len(TOPICS), worker)
    alice = neurons_exact(c, b, "Alice")
    eq(len(alice), 1, f"{mode}: exactly one 'Alice' neuron after {len(TOPICS)} concurrent encodes: "
                      f"{[(n['id'], n['type']) for n in alice]}")
    for w in ("reviewed", "plan", "team"):
        got = [n for n in H.list_neurons(c, b, limit=10000)["neurons"] if n["content"].lower() == w]
        expect(len(got) <= 1, f"{mode}: at most one {w!r} neuron: {got}")
    fibers = H.list_fibers(c, b, limit=1000)["fibers"]
    eq(len(fibers), len(TOPICS), f"{mode}: one fiber per encode")
    eq(sorted(r["fiber_id"] for r in results), sorted(H.ids(fibers)), f"{mode}: the fibers are the answers'")
    return b, alice[0]["id"], fibers, results


def test_concurrent_dedup_fixed(srv):
    """20 clients at once encode 20 different memories mentioning "Alice"
    into a fixed-mode brain: one "Alice" neuron, 20 fibers, every fiber's
    neuron_ids holds it, and 19 answers report it in neurons_linked."""
    c = srv.c
    b, alice, fibers, results = _concurrent_alice(srv, "fixed")
    for f in fibers:
        expect(alice in f["neuron_ids"], f"fiber {f['id']} lacks the Alice neuron")
    eq(len(H.list_fibers(c, b, contains_neuron=alice, limit=1000)["fibers"]), len(TOPICS),
       "contains_neuron=Alice lists every fiber")
    linked = sum(1 for r in results if r["neurons_linked"] >= 1)
    expect(linked >= len(TOPICS) - 1, f"at least 19 encodes reused something: {results}")


def test_concurrent_dedup_compat(srv):
    """The same in a compat brain: still exactly one "Alice" neuron (the
    dedup check and the insert are one atomic step), 20 fibers."""
    _concurrent_alice(srv, "compat")


# ---------------------------------------------------------------------------
# reference_time and time phrases.

def _deploy_brain(c):
    """A fixed brain: the deploy memory among distractors; returns (brain,
    {text: fiber id})."""
    b = brain(c, "fixed")
    mems = [("Carol reviewed the quarterly budget", "2024-02-10T10:00:00"),
            ("Dave wrote the onboarding guide for new hires", "2024-03-04T15:00:00"),
            ("We deployed the payments service yesterday", "2024-03-05T10:00:00"),
            ("Erin paid the hosting invoices", "2024-03-31T09:00:00"),
            ("The team celebrated the product launch", "2024-03-20T17:00:00")]
    return b, {text: H.encode(c, b, text, timestamp=ts)["fiber_id"] for text, ts in mems}


def test_time_hint_reference_time(srv):
    """"We deployed the payments service yesterday" (2024-03-05T10:00, fixed
    brain): "What did we deploy yesterday?" at 2024-03-05T18:00 ranks it
    first and anchors a time neuron that denotes 2024-03-04 (the memory's
    `yesterday`); at 2024-04-01 the time window is 2024-03-31 and finds the
    memory of that day (the deploy memory may still come through its words,
    so its rank is not asserted). The same instant written with an offset
    (2024-03-06T01:00:00+07:00), asked first on an identical brain, answers
    the same."""
    c = srv.c
    b, ids = _deploy_brain(c)
    target = ids["We deployed the payments service yesterday"]
    question = "What did we deploy yesterday?"
    q = H.query(c, b, question, reference_time="2024-03-05T18:00:00", include_subgraph=True)
    eq(q["fibers_matched"][:1], [target], f"deploy memory first at ref 2024-03-05T18:00: {q}")
    window = (H.dt("2024-03-04T00:00:00"), H.dt("2024-03-04T23:59:59.999999"))
    time_anchors = []
    for nid in q["subgraph"]["anchor_ids"]:
        n = ok(c.req("GET", f"/memory/neurons/{H.pq(nid)}", brain=b), 200, "anchor")
        if n["type"] == "time":
            s, e = H.dt(n["metadata"]["absolute_start"]), H.dt(n["metadata"]["absolute_end"])
            if s <= window[1] and e >= window[0]:
                time_anchors.append(n["content"])
    expect(time_anchors, f"a time neuron denoting 2024-03-04 is an anchor: {q['subgraph']['anchor_ids']}")
    q2 = H.query(c, b, question, reference_time="2024-04-01T12:00:00")
    expect(ids["Erin paid the hosting invoices"] in q2["fibers_matched"],
           f"at ref 2024-04-01 the 2024-03-31 memory is found through the time window: {q2}")
    expect(ids["Carol reviewed the quarterly budget"] not in q2["fibers_matched"][:1], f"sanity: {q2}")
    # an offset-aware reference_time is the same instant in UTC (ENGINE.md §0, D14)
    b2, ids2 = _deploy_brain(c)
    q3 = H.query(c, b2, question, reference_time="2024-03-06T01:00:00+07:00")
    text_of = {v: k for k, v in ids.items()}
    text_of2 = {v: k for k, v in ids2.items()}
    eq([text_of2[f] for f in q3["fibers_matched"]], [text_of[f] for f in q["fibers_matched"]],
       "ref 2024-03-06T01:00+07:00 = 2024-03-05T18:00Z (fibers by memory text)")
