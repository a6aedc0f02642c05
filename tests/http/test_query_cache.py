"""The query cache (issue 7, qcache.h): answers of queries that do not
reinforce are served again until any write to the brain; never an answer
older than the last acknowledged write. Hits and misses in /metrics.

The module's server freezes the engine clock (NMEMD_TEST_CLOCK), so
queries without reference_time fall into one time bucket and whether a
query hits is decided by the cache alone.
"""
import harness as H
from harness import eq, expect, ok

CLOCK = "2026-03-01T12:00:00Z"


def server_options(backend):
    return {"env": {"NMEMD_TEST_CLOCK": CLOCK}}


def _counts(srv):
    s = H.parse_metrics(srv.req("GET", "/metrics").raw.decode("utf-8"))
    return (H.metric_value(s, "nmemd_query_cache_requests_total", result="hit"),
            H.metric_value(s, "nmemd_query_cache_requests_total", result="miss"))


def _query(srv, brain, text, **fields):
    body = {"query": text, "reinforce": False, "include_subgraph": True}
    body.update(fields)
    return ok(srv.req("POST", "/memory/query", body, brain=brain), 200, f"query {text!r}")


def _same_answer(a, b, what):
    a, b = dict(a), dict(b)
    for x in (a, b):
        H.check_number(x.pop("latency_ms"), f"{what}: latency_ms")
    eq(b, a, what)


def _encode(srv, brain, content):
    return ok(srv.req("POST", "/memory/encode", {"content": content}, brain=brain), 200, "encode")["fiber_id"]


def _delta(before, after):
    return (after[0] - before[0], after[1] - before[1])


def test_repeat_is_a_hit_with_the_same_answer(srv):
    b = H.new_brain(srv)
    _encode(srv, b, "Alice deployed the billing service on Tuesday")
    c0 = _counts(srv)
    first = _query(srv, b, "billing service")
    second = _query(srv, b, "billing service")
    eq(_delta(c0, _counts(srv)), (1, 1), "one miss then one hit")
    _same_answer(first, second, "cached answer")
    expect(first["fibers_matched"], "the memory is found")


def test_key_separates_requests(srv):
    b = H.new_brain(srv)
    _encode(srv, b, "Bob fixed the login outage with Carol")
    _query(srv, b, "login outage")
    c0 = _counts(srv)
    _query(srv, b, "login outage", depth=2)
    _query(srv, b, "login outage", max_tokens=60)
    _query(srv, b, "login outage", include_subgraph=False)
    _query(srv, b, "login outage", reference_time="2026-02-01T00:00:00Z")
    _query(srv, b, "Login outage")
    eq(_delta(c0, _counts(srv)), (0, 5), "every variation is its own entry")
    other = H.new_brain(srv)
    _query(srv, other, "login outage")
    eq(_delta(c0, _counts(srv)), (0, 6), "brains do not share entries")


def test_any_write_invalidates(srv):
    b = H.new_brain(srv)
    _encode(srv, b, "Dana moved the metrics database to Hanoi")
    before = _query(srv, b, "metrics database")
    fiber = _encode(srv, b, "Erin rebuilt the metrics database in Berlin")
    after = _query(srv, b, "metrics database")
    expect(fiber in after["fibers_matched"],
           f"the memory acknowledged before the query is found: {after['fibers_matched']} vs {before['fibers_matched']}")
    # a neuron write (not an encode) invalidates too
    n = H.mk_neuron(srv, b, "metrics database", type="concept")
    c0 = _counts(srv)
    third = _query(srv, b, "metrics database")
    eq(_delta(c0, _counts(srv)), (0, 1), "after a neuron create: a miss")
    expect(n["id"] in third["subgraph"]["neuron_ids"] or third["neurons_activated"] >= after["neurons_activated"],
           "the new neuron takes part")
    ok(srv.req("DELETE", f"/memory/neurons/{H.pq(n['id'])}", brain=b), 200, "delete")
    c0 = _counts(srv)
    fourth = _query(srv, b, "metrics database")
    eq(_delta(c0, _counts(srv)), (0, 1), "after a delete: a miss")
    expect(n["id"] not in fourth["subgraph"]["neuron_ids"], "the deleted neuron is gone from the answer")


def test_reinforcing_queries_are_not_cached(srv):
    b = H.new_brain(srv)
    _encode(srv, b, "Frank renewed the TLS certificates")
    c0 = _counts(srv)
    for _ in range(2):
        ok(srv.req("POST", "/memory/query", {"query": "TLS certificates"}, brain=b), 200, "reinforcing query")
    eq(_delta(c0, _counts(srv)), (0, 0), "reinforcing queries neither hit nor miss")


def test_config_change_invalidates(srv):
    b = H.new_brain(srv)
    _encode(srv, b, "Gina wrote the incident report about the cache")
    _query(srv, b, "incident report")
    ok(srv.req("PUT", f"/brain/{b}", {"config": {"activation_threshold": 0.3}}), 200, "update config")
    c0 = _counts(srv)
    _query(srv, b, "incident report")
    eq(_delta(c0, _counts(srv)), (0, 1), "a changed config is another key")


def test_compat_brain_is_cached(srv):
    b = H.new_brain(srv, config={"engine_mode": "compat"})
    _encode(srv, b, "Hoa planned the migration of the queue")
    c0 = _counts(srv)
    first = ok(srv.req("POST", "/memory/query", {"query": "queue migration"}, brain=b), 200, "compat query")
    second = ok(srv.req("POST", "/memory/query", {"query": "queue migration"}, brain=b), 200, "compat query")
    eq(_delta(c0, _counts(srv)), (1, 1), "compat queries never reinforce: cached")
    _same_answer(first, second, "compat cached answer")


def test_disabled(backend):
    srv = H.start(backend, sets={"query_cache.max_bytes": "0"}, env={"NMEMD_TEST_CLOCK": CLOCK})
    b = H.new_brain(srv)
    _encode(srv, b, "Ivan archived the old logs")
    c0 = _counts(srv)
    _query(srv, b, "old logs")
    _query(srv, b, "old logs")
    eq(_delta(c0, _counts(srv)), (0, 0), "no cache: neither hits nor misses")


def test_bounded_by_bytes(backend):
    # answers are ~8 KB (the memory's text, the subgraph): room for one, not two
    srv = H.start(backend, sets={"query_cache.max_bytes": "12K"}, env={"NMEMD_TEST_CLOCK": CLOCK})
    b = H.new_brain(srv)
    _encode(srv, b, "Jun scaled the search cluster. " + " ".join(f"node{i} was resized" for i in range(160)))
    r = srv.req("POST", "/memory/query", {"query": "search cluster", "reinforce": False, "include_subgraph": True},
                brain=b)
    expect(6 * 1024 < len(r.raw) < 9 * 1024, f"answer size {len(r.raw)}: one fits, two do not")
    _query(srv, b, "scaled cluster")
    c0 = _counts(srv)
    _query(srv, b, "scaled cluster")
    _query(srv, b, "search cluster")
    eq(_delta(c0, _counts(srv)), (1, 1), "the most recent entry stays, the older one was evicted")


def _activation(srv):
    s = H.parse_metrics(srv.req("GET", "/metrics").raw.decode("utf-8"))
    return {k: H.metric_value(s, f"nmemd_activation_{k}") for k in
            ("runs_total", "neurons_visited_total", "edges_total", "seconds_total")}


def test_activation_counters(srv):
    """Traversal counters move with each activation run, not with cache hits."""
    b = H.new_brain(srv)
    _encode(srv, b, "Grace migrated the ledger database with Heidi in Berlin")
    _encode(srv, b, "Heidi reviewed the ledger rollback plan")
    a0 = _activation(srv)
    _query(srv, b, "ledger Heidi", depth=2)
    a1 = _activation(srv)
    eq(a1["runs_total"] - a0["runs_total"], 1, "one activation run")
    expect(a1["neurons_visited_total"] - a0["neurons_visited_total"] >= 2,
           f"the anchors were expanded: {a0} -> {a1}")
    expect(a1["edges_total"] - a0["edges_total"] >= a1["neurons_visited_total"] - a0["neurons_visited_total"],
           f"each expanded anchor has edges: {a0} -> {a1}")
    expect(a1["seconds_total"] >= a0["seconds_total"], "time only grows")
    _query(srv, b, "ledger Heidi", depth=2)
    eq(_activation(srv), a1, "a cache hit runs no activation")
    _query(srv, b, "zzqx unknown words", depth=2)
    a2 = _activation(srv)
    eq((a2["runs_total"] - a1["runs_total"], a2["neurons_visited_total"] - a1["neurons_visited_total"]), (1, 0),
       "nothing to start from: a run that visits nothing")
