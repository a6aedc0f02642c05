"""GET /brain/{id}/stats (PROTOCOL.md §2.7 with nmemd's additions).

Exactly these keys, in this order: brain_id, neuron_count, synapse_count,
fiber_count, project_count (upstream + project_count), then memory_types
(memory type -> count of typed memories, only types present), freshness
({fresh: <= 1 day, recent: <= 7 days, aging: <= 30 days, stale: > 30 days}
counts of live fibers by the age of created_at at request time),
archived_fiber_count, archived_neuron_count, archived_synapse_count,
db_size_bytes (> 0 on sqlite, 0 on the memory backend).

Ages are chosen far from the band edges (now, 3, 20, 100 days), so the
request time does not matter.
"""
import datetime

import harness as H
from harness import eq, expect, ok, err, uid

MEMORY_TYPES = ["fact", "decision", "preference", "todo", "insight", "context", "instruction", "error", "workflow",
                "reference"]
BANDS = ["fresh", "recent", "aging", "stale"]


def _check_stats(st, backend, what="stats", **exp):
    H.check_keys(st, H.STATS_KEYS + H.STATS_EXTRA_KEYS, what)
    expect(isinstance(st["brain_id"], str), f"{what}.brain_id")
    for k in ("neuron_count", "synapse_count", "fiber_count", "project_count", "archived_fiber_count",
              "archived_neuron_count", "archived_synapse_count", "db_size_bytes"):
        H.check_number(st[k], f"{what}.{k}", integer=True)
        expect(st[k] >= 0, f"{what}.{k} negative")
    mt = st["memory_types"]
    expect(isinstance(mt, dict), f"{what}.memory_types not an object: {mt!r}")
    for k, v in mt.items():
        expect(k in MEMORY_TYPES, f"{what}.memory_types: unknown type {k!r}")
        H.check_number(v, f"{what}.memory_types.{k}", integer=True)
        expect(v > 0, f"{what}.memory_types.{k}: only types present are listed, got {v}")
    H.check_keys(st["freshness"], BANDS, f"{what}.freshness")
    for k in BANDS:
        H.check_number(st["freshness"][k], f"{what}.freshness.{k}", integer=True)
        expect(st["freshness"][k] >= 0, f"{what}.freshness.{k} negative")
    eq(sum(st["freshness"].values()), st["fiber_count"], f"{what}: freshness bands add up to fiber_count")
    if backend == "memory":
        eq(st["db_size_bytes"], 0, f"{what}.db_size_bytes on the memory backend")
    else:
        expect(st["db_size_bytes"] > 0, f"{what}.db_size_bytes on sqlite: {st['db_size_bytes']}")
    for k, v in exp.items():
        eq(st[k], v, f"{what}.{k}")
    return st


def _stats(c, b):
    r = c.req("GET", f"/brain/{H.pq(b)}/stats")
    ok(r, 200, "stats")
    return r.typed()


def _ago(days, minutes=0):
    t = H.utcnow() - datetime.timedelta(days=days, minutes=minutes)
    return t.isoformat(timespec="microseconds")


def _tm(fiber_id, memory_type):
    return {"fiber_id": fiber_id, "memory_type": memory_type, "priority": 5,
            "provenance": {"source": "user", "confidence": "medium", "verified": False, "verified_at": None,
                           "created_by": "t", "last_confirmed": None},
            "expires_at": None, "project_id": None, "tags": [], "metadata": {},
            "created_at": "2026-01-01T00:00:00.000000"}


def _project(pid):
    return {"id": pid, "name": pid, "description": "", "start_date": "2026-01-01T00:00:00.000000", "end_date": None,
            "tags": [], "priority": 1.0, "metadata": {}, "created_at": "2026-01-01T00:00:00.000000"}


def test_stats_empty_brain(srv):
    c = srv.c
    b = H.new_brain(c)
    st = _check_stats(_stats(c, b), srv.backend, "empty brain", brain_id=b, neuron_count=0, synapse_count=0,
                      fiber_count=0, project_count=0, memory_types={}, archived_fiber_count=0,
                      archived_neuron_count=0, archived_synapse_count=0)
    eq(st["freshness"], {"fresh": 0, "recent": 0, "aging": 0, "stale": 0}, "empty freshness")
    missing = uid("nope")
    err(c.req("GET", f"/brain/{missing}/stats"), 404, f"Brain {missing} not found")
    # trailing slash like GET (§1.1)
    eq(ok(c.req("GET", f"/brain/{b}/stats/"), 200, "trailing slash")["brain_id"], b, "trailing slash")


def test_stats_counts_types_and_freshness(srv):
    c = srv.c
    b = H.new_brain(c)
    ages = [("fa", 0, 5), ("fb", 0, 600), ("ra", 3, 0), ("aa", 20, 0), ("ab", 20, 30), ("ac", 29, 0),
            ("sa", 100, 0), ("sb", 400, 0)]
    for i, (fid, days, minutes) in enumerate(ages):
        H.mk_neuron(c, b, f"neuron {fid}", id=f"n-{fid}")
        H.mk_fiber(c, b, [f"n-{fid}"], id=fid, created_at=_ago(days, minutes))
    H.mk_neuron(c, b, "loose", id="loose")
    H.mk_synapse(c, b, "n-fa", "n-ra", id="s1")
    H.mk_synapse(c, b, "n-ra", "loose", id="s2")
    st = _check_stats(_stats(c, b), srv.backend, "populated", brain_id=b, neuron_count=9, synapse_count=2,
                      fiber_count=8, project_count=0, memory_types={})
    eq(st["freshness"], {"fresh": 2, "recent": 1, "aging": 3, "stale": 2},
       "freshness by created_at age: now/10h -> fresh, 3d -> recent, 20d/20d/29d -> aging, 100d/400d -> stale")

    # typed memories and projects arrive through an import (upsert of the brain's own export)
    snap = H.export(c, b)
    snap["metadata"] = {"typed_memories": [_tm("fa", "fact"), _tm("fb", "fact"), _tm("ra", "decision"),
                                           _tm("aa", "todo"), _tm("sb", "fact"),
                                           _tm("not-a-fiber", "insight")],   # dropped: fiber not in the snapshot
                        "projects": [_project("p1"), _project("p2")]}
    ok(c.req("POST", f"/brain/{b}/import", snap), 200, "import typed memories")
    st = _check_stats(_stats(c, b), srv.backend, "with typed memories", neuron_count=9, synapse_count=2,
                      fiber_count=8, project_count=2)
    eq(st["memory_types"], {"fact": 3, "decision": 1, "todo": 1}, "memory_types: only the types present")
    eq(st["freshness"], {"fresh": 2, "recent": 1, "aging": 3, "stale": 2}, "freshness unchanged by the import")

    # deleting a fiber deletes its typed memory and leaves its band
    ok(c.req("DELETE", "/memory/fibers/ra", brain=b), 200)
    st = _check_stats(_stats(c, b), srv.backend, "after deleting ra", fiber_count=7)
    eq(st["memory_types"], {"fact": 3, "todo": 1}, "decision gone with its fiber")
    eq(st["freshness"], {"fresh": 2, "recent": 0, "aging": 3, "stale": 2}, "recent band empty")
    ok(c.req("DELETE", "/memory/neurons/loose", brain=b), 200)
    _check_stats(_stats(c, b), srv.backend, "after deleting a neuron", neuron_count=8, synapse_count=1)

    # the upstream fields agree with GET /brain/{id}
    br = ok(c.req("GET", f"/brain/{b}"), 200)
    st = _stats(c, b)
    eq((st["neuron_count"], st["synapse_count"], st["fiber_count"]),
       (br["neuron_count"], br["synapse_count"], br["fiber_count"]), "stats counts = brain counts")


def test_stats_archived_counts(srv):
    """Archiving moves objects from the live counts (and freshness) to the
    archived_* counts; restore moves them back."""
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "old anchor", id="o1")
    H.mk_neuron(c, b, "old other", id="o2")
    H.mk_neuron(c, b, "new anchor", id="r1")
    H.mk_synapse(c, b, "o2", "o1", id="so", direction="uni", type="leads_to")  # an edge out of o2 only
    H.mk_synapse(c, b, "r1", "o1", id="sr", direction="uni", type="leads_to")   # keeps o1 live
    H.mk_fiber(c, b, ["o1", "o2"], id="old", created_at=_ago(100))
    H.mk_fiber(c, b, ["r1"], id="new", created_at=_ago(0, 1))
    st0 = _check_stats(_stats(c, b), srv.backend, "before archive", neuron_count=3, synapse_count=2, fiber_count=2)
    eq(st0["freshness"], {"fresh": 1, "recent": 0, "aging": 0, "stale": 1}, "freshness before")
    r = ok(c.req("POST", f"/brain/{b}/archive", {"older_than_days": 50}), 202, "archive")

    def done():
        j = ok(c.req("GET", f"/jobs/{r['job_id']}"), 200)
        return j if j["state"] in ("done", "failed") else None
    j = H.poll_until(done, what="archive job")
    eq(j["state"], "done", f"archive job {j}")
    rep = j["report"]
    eq((rep["fibers_archived"], rep["neurons_archived"], rep["synapses_archived"]), (1, 1, 1),
       "old fiber, o2 (o1 stays: reached from r1), synapse so (touches o2)")
    st = _check_stats(_stats(c, b), srv.backend, "after archive", neuron_count=2, synapse_count=1, fiber_count=1,
                      archived_fiber_count=1, archived_neuron_count=1, archived_synapse_count=1)
    eq(st["freshness"], {"fresh": 1, "recent": 0, "aging": 0, "stale": 0}, "freshness counts live fibers only")
    r = ok(c.req("POST", f"/brain/{b}/archive/restore", {"all": True}), 202, "restore")
    j = H.poll_until(done, what="restore job")
    eq(j["state"], "done", f"restore job {j}")
    st = _check_stats(_stats(c, b), srv.backend, "after restore", neuron_count=3, synapse_count=2, fiber_count=2,
                      archived_fiber_count=0, archived_neuron_count=0, archived_synapse_count=0)
    eq(st["freshness"], st0["freshness"], "freshness after restore")


def test_stats_db_size(srv):
    """db_size_bytes: the brain's storage size — 0 on the memory backend; on
    sqlite > 0 and it grows when about a megabyte of content is added; on
    postgres, the brain's rows as stored (compressed)."""
    c = srv.c
    b = H.new_brain(c)
    s0 = _stats(c, b)["db_size_bytes"]
    neurons = [{"id": f"n{i}", "type": "concept", "content": "q" * 4000, "metadata": {},
                "created_at": "2026-01-01T00:00:00"} for i in range(250)]
    ok(c.req("POST", f"/brain/{b}/import", {"brain_name": "big", "exported_at": "2026-01-01T00:00:00",
                                            "version": "0.1.0", "config": {}, "neurons": neurons,
                                            "synapses": [], "fibers": []}), 200, "import 1 MB")
    s1 = _check_stats(_stats(c, b), srv.backend, "after 1 MB", neuron_count=250)["db_size_bytes"]
    if srv.backend == "memory":
        eq((s0, s1), (0, 0), "memory backend: 0")
    else:
        expect(s0 > 0, f"{srv.backend}: empty brain has a size: {s0}")
        if srv.backend == "sqlite":
            expect(s1 >= s0 + 250 * 4000, f"sqlite: size grows with content: {s0} -> {s1}")
        else:  # postgres compresses long values (TOAST): the repeated text takes little room
            expect(s1 > s0 + 250 * 40, f"postgres: size grows with content: {s0} -> {s1}")
