"""Fiber archive: POST /brain/{id}/archive and /brain/{id}/archive/restore
(PROTOCOL.md §6.6, §2.7 archived_*_count; rules and storage at the top of
lib/archive.c).

What moves: fibers created before reference_time - older_than_days whose
anchor was not activated since; with them each of their neurons that
belongs to no other live fiber and has no synapse into it (or a
bidirectional one) from a neuron that stays; every synapse touching a moved
neuron; the fibers' typed memories. Restore brings back a fiber, its
archived neurons with their states, its typed memory, and every archived
synapse whose two endpoints are live again.

The main scenario (built through the storage API, explicit created_at and
neuron states) has, at REF with older_than_days 90:

  F1 old      a1 (anchor), a2, sh, kin, kbi, out
  F2 old      b1 (anchor), b2
  F3 old      c1 (anchor, activated after the cutoff: F3 stays), c2
  F4 recent   r1 (anchor), r2, sh
  synapses    s_a a1->a2, s_sh a1->sh, s_ab a2->b2 (uni), s_b b1<->b2,
              s_kin r1->kin, s_kbi kbi<->r2 (bi, kbi the source),
              s_out out->r1 (uni: an edge out only), s_c c1->c2, s_r r1->r2

  archived    F1, F2; a1, a2, out, b1, b2 (b2 is reached only from archived
              neurons); s_a, s_sh, s_ab, s_b, s_out
  staying     F3, F4; sh (shared with F4), kin (edge into it from r1),
              kbi (bidirectional synapse to r2), c1, c2, r1, r2; s_kin,
              s_kbi, s_c, s_r

Order: restored objects are inserted again, so they come after the objects
that never left in later exports; the tests compare exports as sets by id
(every field of every object equal), and check that the objects that never
left keep their relative order.

Synchronisation is by polling GET /jobs/{id} with a deadline; the 409 test
holds the one long-job worker (jobs.workers=1) with a streamed import whose
body is kept open, so the archive job stays queued while the other
requests are made.
"""
import datetime
import json

import harness as H
from harness import eq, expect, ok, err, field_err, uid

REF = "2026-01-01T00:00:00.000000"          # reference_time of every run here
OLD = "2025-06-01T00:00:00.000000"          # 214 days before REF
RECENT = "2025-12-20T00:00:00.000000"       # 12 days before REF
CUTOFF_90 = "2025-10-03T00:00:00.000000"    # REF - 90 days

ARCHIVE_KEYS = ["fibers_archived", "neurons_archived", "synapses_archived", "bytes_before", "bytes_after",
                "duration_ms"]
RESTORE_KEYS = ["fibers_restored", "neurons_restored", "synapses_restored", "duration_ms"]
EXTRA_REPORT_KEYS = ("dry_run", "interrupted")   # nmemd also reports these (as the decay report does)
JOB_KEYS = ["job_id", "kind", "brain_id", "state", "done", "total", "started_at", "finished_at", "report", "error"]
START_KEYS = ["job_id", "kind", "state"]

ARCH_FIBERS = {"F1", "F2"}
ARCH_NEURONS = {"a1", "a2", "out", "b1", "b2"}
ARCH_SYNAPSES = {"s_a", "s_sh", "s_ab", "s_b", "s_out"}
LIVE_FIBERS = {"F3", "F4"}
LIVE_NEURONS = {"sh", "kin", "kbi", "c1", "c2", "r1", "r2"}
LIVE_SYNAPSES = {"s_kin", "s_kbi", "s_c", "s_r"}


# ---------------------------------------------------------------------------
# helpers

def _archive(c, b, body=None, raw=None):
    return c.req("POST", f"/brain/{H.pq(b)}/archive", body, raw=raw)


def _restore(c, b, body=None, raw=None):
    return c.req("POST", f"/brain/{H.pq(b)}/archive/restore", body, raw=raw)


def _check_report(rep, keys, what, **counts):
    """The §6.6 report fields, in that order, plus only nmemd's dry_run /
    interrupted extras; integer counts, numeric duration."""
    expect(isinstance(rep, dict), f"{what}: report not an object: {rep!r}")
    spec = [k for k in rep if k not in EXTRA_REPORT_KEYS]
    if spec != keys:
        raise AssertionError(f"{what}: report keys {list(rep)}; expected {keys} (in that order) "
                             f"plus optionally {list(EXTRA_REPORT_KEYS)}")
    for k in keys:
        if k == "duration_ms":
            H.check_number(rep[k], f"{what}.{k}")
        else:
            H.check_number(rep[k], f"{what}.{k}", integer=True)
        expect(rep[k] >= 0, f"{what}.{k} negative: {rep[k]!r}")
    if "interrupted" in rep:
        eq(rep["interrupted"], False, f"{what}.interrupted")
    for k, v in counts.items():
        eq(rep[k], v, f"{what}.{k}")
    return rep


def _check_job(j, what="job", **exp):
    H.check_keys(j, JOB_KEYS, what)
    expect(H.is_uuid4(j["job_id"]), f"{what}.job_id not a UUID4: {j['job_id']!r}")
    expect(j["state"] in ("queued", "running", "done", "failed"), f"{what}.state: {j['state']!r}")
    H.check_number(j["done"], f"{what}.done", integer=True)
    H.check_number(j["total"], f"{what}.total", integer=True)
    for k in ("started_at", "finished_at"):
        if j[k] is not None:
            H.check_dt(j[k], f"{what}.{k}")
    for k, v in exp.items():
        eq(j[k], v, f"{what}.{k}")
    return j


def _started(r, kind, what):
    body = ok(r, 202, what)
    H.check_keys(body, START_KEYS, f"{what}: 202 body")
    expect(H.is_uuid4(body["job_id"]), f"{what}: job_id {body['job_id']!r}")
    eq(body["kind"], kind, f"{what}: kind")
    eq(body["state"], "queued", f"{what}: state")
    return body["job_id"]


def _wait_job(c, job_id, what="job"):
    def ended():
        j = _check_job(ok(c.req("GET", f"/jobs/{job_id}"), 200, f"GET /jobs/{job_id}"), what)
        return j if j["state"] in ("done", "failed") else None
    return H.poll_until(ended, timeout=120, what=f"{what} {job_id} to end")


def _finished(c, r, kind, b, what):
    """202 → poll → the done job; returns its report."""
    job_id = _started(r, kind, what)
    j = _wait_job(c, job_id, what)
    _check_job(j, what, job_id=job_id, kind=kind, brain_id=b, state="done", error=None)
    eq(j["done"], j["total"], f"{what}: done == total at the end")
    expect(j["started_at"] is not None and j["finished_at"] is not None, f"{what}: job times")
    return j["report"]


def _run_archive(c, b, body, what="archive", **counts):
    rep = _finished(c, _archive(c, b, body), "archive", b, what)
    _check_report(rep, ARCHIVE_KEYS, f"{what} report", **counts)
    if "dry_run" in rep:
        eq(rep["dry_run"], False, f"{what} report.dry_run")
    return rep


def _dry(c, b, body, what="dry run", **counts):
    rep = ok(_archive(c, b, dict(body, dry_run=True)), 200, what)
    _check_report(rep, ARCHIVE_KEYS, what, **counts)
    if "dry_run" in rep:
        eq(rep["dry_run"], True, f"{what}.dry_run")
    eq(rep["bytes_after"], rep["bytes_before"], f"{what}: nothing moved, bytes_after == bytes_before")
    return rep


def _run_restore(c, b, body, what="restore", **counts):
    rep = _finished(c, _restore(c, b, body), "restore", b, what)
    return _check_report(rep, RESTORE_KEYS, f"{what} report", **counts)


def _counts(rep, verb):
    return tuple(rep[f"{k}_{verb}"] for k in ("fibers", "neurons", "synapses"))


def _export(c, b, **query):
    r = c.req("GET", f"/brain/{H.pq(b)}/export", query=query or None)
    e = ok(r, 200, "export")
    e.pop("exported_at")
    return e


def _ndjson_export(c, b):
    r = c.req("GET", f"/brain/{H.pq(b)}/export", query={"format": "ndjson"})
    H.status(r, 200, "NDJSON export")
    expect(r[1].get("content-type", "").startswith("application/x-ndjson"), "NDJSON content type")
    text = r.raw.decode("utf-8")
    expect(text.endswith("\n"), "NDJSON ends with a newline")
    return [json.loads(ln) for ln in text.split("\n")[:-1]]


def _by_id(items, key="id"):
    out = {}
    for x in items:
        expect(x[key] not in out, f"duplicate {key} {x[key]!r} in export")
        out[x[key]] = x
    return out


def _strip_flag(items):
    return [{k: v for k, v in x.items() if k != "archived"} for x in items]


def _typed(snapshot):
    return snapshot["metadata"].get("typed_memories", [])


def _as_sets(e):
    """An export as sets by id: neurons, synapses, fibers, typed memories
    (by fiber_id), projects, config, brain_name."""
    return {"neurons": _by_id(e["neurons"]), "synapses": _by_id(e["synapses"]), "fibers": _by_id(e["fibers"]),
            "typed_memories": _by_id(_typed(e), "fiber_id"),
            "projects": _by_id(e["metadata"].get("projects", [])),
            "other_metadata": {k: v for k, v in e["metadata"].items() if k not in ("typed_memories", "projects")},
            "config": e["config"], "brain_name": e["brain_name"]}


def _eq_sets(actual, expected, what):
    for k in expected:
        if actual[k] != expected[k]:
            if isinstance(expected[k], dict) and all(isinstance(v, dict) for v in expected[k].values()):
                miss = sorted(set(expected[k]) - set(actual[k]))
                extra = sorted(set(actual[k]) - set(expected[k]))
                diff = sorted(i for i in set(expected[k]) & set(actual[k]) if expected[k][i] != actual[k][i])
                first = diff[0] if diff else None
                raise AssertionError(f"{what}: {k} differ: missing {miss}, extra {extra}, changed {diff}"
                                     + (f"; {first}: expected {expected[k][first]!r}, got {actual[k][first]!r}"
                                        if first else ""))
            eq(actual[k], expected[k], f"{what}: {k}")


def _states(c, b, nids):
    return {n: ok(c.req("GET", f"/memory/neurons/{H.pq(n)}/state", brain=b), 200, f"state {n}") for n in nids}


def _set_state(c, b, nid, **body):
    ok(c.req("PUT", f"/memory/neurons/{H.pq(nid)}/state", body, brain=b), 200, f"PUT state {nid}")


def _tm(fiber_id, memory_type, i=0):
    return {"fiber_id": fiber_id, "memory_type": memory_type, "priority": 5 + i % 3,
            "provenance": {"source": "user", "confidence": "high", "verified": i % 2 == 0, "verified_at": None,
                           "created_by": "tester", "last_confirmed": None},
            "expires_at": None, "project_id": "p1", "tags": [f"t{i}"], "metadata": {"i": i, "f": 0.25},
            "created_at": "2025-05-01T00:00:00.000000"}


PROJECT = {"id": "p1", "name": "project one", "description": "d", "start_date": "2025-01-01T00:00:00.000000",
           "end_date": None, "tags": [], "priority": 1.0, "metadata": {}, "created_at": "2025-01-01T00:00:00.000000"}


def _add_typed_memories(c, b, typed, projects=()):
    """Typed memories live only in snapshots (§2.8): import the brain's own
    export with them added (upsert of everything else)."""
    snap = H.export(c, b)
    snap["metadata"] = {"typed_memories": list(typed), "projects": list(projects)}
    ok(c.req("POST", f"/brain/{H.pq(b)}/import", snap), 200, "import typed memories")


def _scenario(c, typed=True):
    b = H.new_brain(c, name="archive scenario", config={"decay_rate": 0.2})
    neurons = [
        ("a1", "concept", "quokka marmalade festival", OLD), ("a2", "concept", "marmalade", OLD),
        ("sh", "spatial", "harbour", OLD), ("kin", "entity", "lighthouse", OLD), ("kbi", "entity", "seagull", OLD),
        ("out", "entity", "kettle", OLD), ("b1", "concept", "zeppelin voyage", OLD), ("b2", "entity", "zeppelin", OLD),
        ("c1", "concept", "tangerine orchard", OLD), ("c2", "spatial", "orchard", OLD),
        ("r1", "concept", "harbour lighthouse evening", RECENT), ("r2", "time", "evening", RECENT),
    ]
    for nid, typ, content, created in neurons:
        H.mk_neuron(c, b, content, id=nid, type=typ, created_at=created, metadata={"n": nid})
    syn = [("s_a", "a1", "a2", "leads_to", {}), ("s_sh", "a1", "sh", "involves", {}),
           ("s_ab", "a2", "b2", "related_to", {"direction": "uni"}), ("s_b", "b1", "b2", "co_occurs", {}),
           ("s_kin", "r1", "kin", "is_a", {}), ("s_kbi", "kbi", "r2", "similar_to", {"direction": "bi"}),
           ("s_out", "out", "r1", "caused_by", {}), ("s_c", "c1", "c2", "has_property", {}),
           ("s_r", "r1", "r2", "involves", {})]
    for i, (sid, s, t, typ, extra) in enumerate(syn):
        H.mk_synapse(c, b, s, t, id=sid, type=typ, weight=round(0.3 + i * 0.05, 2), created_at=OLD,
                     reinforced_count=i, metadata={"s": sid}, **extra)
    H.mk_fiber(c, b, ["a1", "a2", "sh", "kin", "kbi", "out"], id="F1", created_at=OLD, salience=0.4,
               synapse_ids=["s_a", "s_sh"], tags=["old"], summary="old one", metadata={"m": 1},
               time_start="2025-05-30T00:00:00", time_end="2025-05-31T00:00:00")
    H.mk_fiber(c, b, ["b1", "b2"], id="F2", created_at=OLD, salience=0.3, synapse_ids=["s_b"], frequency=3)
    H.mk_fiber(c, b, ["c1", "c2"], id="F3", created_at=OLD, salience=0.2)
    H.mk_fiber(c, b, ["r1", "r2", "sh"], id="F4", created_at=RECENT, salience=0.6, tags=["new"])
    if typed:
        _add_typed_memories(c, b, [_tm("F1", "fact", 0), _tm("F2", "decision", 1), _tm("F3", "todo", 2),
                                   _tm("F4", "fact", 3)], [PROJECT])
    # neuron states (after the import, which would keep them anyway)
    _set_state(c, b, "a1", activation_level=0.3, access_frequency=2, last_activated="2025-06-02T00:00:00")
    _set_state(c, b, "a2", activation_level=0.45, access_frequency=7, last_activated="2025-07-01T12:34:56.789012",
               decay_rate=0.05)
    _set_state(c, b, "out", activation_level=0.1, decay_rate=0.25)
    _set_state(c, b, "b2", activation_level=0.9, access_frequency=1)
    _set_state(c, b, "c1", activation_level=0.5, access_frequency=1, last_activated="2025-12-01T00:00:00")
    _set_state(c, b, "r1", activation_level=0.7, access_frequency=4, last_activated=RECENT)
    return b


ALL_NEURONS = ["a1", "a2", "sh", "kin", "kbi", "out", "b1", "b2", "c1", "c2", "r1", "r2"]


def _q(c, b, text):
    r = H.query(c, b, text, include_subgraph=True, reference_time=REF)
    r.pop("latency_ms")
    return r


def _vanished(c, b, fibers, neurons, synapses, what):
    for f in sorted(fibers):
        err(c.req("GET", f"/memory/fiber/{H.pq(f)}", brain=b), 404, f"Fiber {f} not found", what=f"{what}: fiber {f}")
        err(c.req("GET", f"/memory/fibers/{H.pq(f)}", brain=b), 404, f"Fiber {f} not found",
            what=f"{what}: fiber {f} (alias)")
    for n in sorted(neurons):
        err(c.req("GET", f"/memory/neurons/{H.pq(n)}", brain=b), 404, f"Neuron {n} not found",
            what=f"{what}: neuron {n}")
        err(c.req("GET", f"/memory/neurons/{H.pq(n)}/state", brain=b), 404, what=f"{what}: state of {n}")
        eq(ok(c.req("GET", f"/memory/neurons/{H.pq(n)}/neighbors", brain=b), 200)["neighbors"], [],
           f"{what}: neighbors of archived neuron {n} (unknown neuron: empty)")
    for s in sorted(synapses):
        err(c.req("GET", f"/memory/synapses/{H.pq(s)}", brain=b), 404, f"Synapse {s} not found",
            what=f"{what}: synapse {s}")


# ---------------------------------------------------------------------------
# the main scenario

def test_archive_scenario(srv):
    c = srv.c
    b = _scenario(c)
    before = _export(c, b)
    before_brain = ok(c.req("GET", f"/brain/{b}"), 200)
    states_before = _states(c, b, ALL_NEURONS)
    st0 = H.stats(c, b)
    eq((st0["neuron_count"], st0["synapse_count"], st0["fiber_count"]), (12, 9, 4), "counts before")
    eq((st0["archived_fiber_count"], st0["archived_neuron_count"], st0["archived_synapse_count"]), (0, 0, 0),
       "archived counts before")
    q_before = {t: _q(c, b, t) for t in ("quokka marmalade", "zeppelin voyage", "tangerine orchard",
                                         "harbour lighthouse evening")}
    expect("F1" in q_before["quokka marmalade"]["fibers_matched"], f"query finds F1 before: {q_before}")
    expect("F2" in q_before["zeppelin voyage"]["fibers_matched"], "query finds F2 before")

    # dry run: the report, nothing changes
    body = {"older_than_days": 90, "reference_time": REF}
    dry = _dry(c, b, body, fibers_archived=2, neurons_archived=5, synapses_archived=5)
    if srv.backend == "memory":
        eq((dry["bytes_before"], dry["bytes_after"]), (0, 0), "memory backend: bytes 0")
    else:
        expect(dry["bytes_before"] > 0, f"sqlite: bytes_before > 0: {dry}")
    eq(_export(c, b), before, "dry run: export unchanged")
    eq(ok(c.req("GET", f"/brain/{b}"), 200), before_brain, "dry run: brain record unchanged")
    eq(_states(c, b, ALL_NEURONS), states_before, "dry run: neuron states unchanged")
    eq({k: v for k, v in H.stats(c, b).items() if k != "db_size_bytes"},
       {k: v for k, v in st0.items() if k != "db_size_bytes"}, "dry run: stats unchanged")
    # the default older_than_days is 90
    eq(_counts(_dry(c, b, {"reference_time": REF}, what="dry run, default older_than_days"), "archived"),
       _counts(dry, "archived"), "older_than_days defaults to 90")

    # the real run: a job whose report equals the dry run's
    rep = _run_archive(c, b, body)
    eq(_counts(rep, "archived"), _counts(dry, "archived"), "real run = dry run")
    if srv.backend == "memory":
        eq((rep["bytes_before"], rep["bytes_after"]), (0, 0), "memory backend: bytes 0")

    # gone from every read route
    _vanished(c, b, ARCH_FIBERS, ARCH_NEURONS, ARCH_SYNAPSES, "after archive")
    eq(set(H.ids(H.list_neurons(c, b, limit=10000)["neurons"])), LIVE_NEURONS, "neuron list: live ones")
    eq(set(H.ids(H.list_synapses(c, b)["synapses"])), LIVE_SYNAPSES, "synapse list: live ones")
    eq(set(H.ids(H.list_fibers(c, b, limit=10000)["fibers"])), LIVE_FIBERS, "fiber list: live ones")
    eq(H.ids(H.list_fibers(c, b, contains_neuron="sh")["fibers"]), ["F4"], "fibers containing sh")
    eq(H.list_neurons(c, b, content_contains="marmalade")["neurons"], [], "content filter: archived neurons gone")
    nb = ok(c.req("GET", "/memory/neurons/r1/neighbors", brain=b), 200)["neighbors"]
    eq(sorted(x["synapse"]["id"] for x in nb), ["s_kin", "s_r"], "neighbors of r1: s_out (from archived out) gone")
    nb = ok(c.req("GET", "/memory/neurons/sh/neighbors", brain=b), 200)["neighbors"]
    eq(nb, [], "neighbors of sh: s_sh (from archived a1) gone")
    eq(ok(c.req("GET", "/memory/neurons/r1/path", brain=b, query={"target_id": "kin"}), 200)["hops"], 1,
       "path r1 -> kin still there")
    # the objects that stay are unchanged
    bi = _as_sets(before)
    for n in LIVE_NEURONS:
        eq(ok(c.req("GET", f"/memory/neurons/{n}", brain=b), 200), bi["neurons"][n], f"staying neuron {n}")
    for s in LIVE_SYNAPSES:
        eq(ok(c.req("GET", f"/memory/synapses/{s}", brain=b), 200), bi["synapses"][s], f"staying synapse {s}")
    for f in LIVE_FIBERS:
        eq(ok(c.req("GET", f"/memory/fiber/{f}", brain=b), 200), bi["fibers"][f], f"staying fiber {f}")
    eq(_states(c, b, sorted(LIVE_NEURONS)), {n: states_before[n] for n in sorted(LIVE_NEURONS)},
       "states of staying neurons unchanged")

    # queries no longer see the archived memories
    q_after = {t: _q(c, b, t) for t in q_before}
    for t, q in q_after.items():
        expect(not set(q["fibers_matched"]) & ARCH_FIBERS, f"query {t!r} after archive: {q['fibers_matched']}")
        expect(not set(q["subgraph"]["neuron_ids"]) & ARCH_NEURONS, f"query {t!r} subgraph: {q['subgraph']}")
        expect(not set(q["subgraph"]["synapse_ids"]) & ARCH_SYNAPSES, f"query {t!r} subgraph: {q['subgraph']}")
    expect("F3" in q_after["tangerine orchard"]["fibers_matched"], "F3 (anchor activated) still found")
    expect("F4" in q_after["harbour lighthouse evening"]["fibers_matched"], "F4 (recent) still found")

    # stats: live counts drop and archived counts rise by the report's numbers
    st1 = H.stats(c, b)
    eq((st1["neuron_count"], st1["synapse_count"], st1["fiber_count"]),
       (st0["neuron_count"] - rep["neurons_archived"], st0["synapse_count"] - rep["synapses_archived"],
        st0["fiber_count"] - rep["fibers_archived"]), "live counts after archive")
    eq((st1["archived_fiber_count"], st1["archived_neuron_count"], st1["archived_synapse_count"]),
       _counts(rep, "archived"), "archived counts = report")
    eq(st1["project_count"], st0["project_count"], "projects untouched")
    eq(sum(st1["freshness"].values()), 2, "freshness counts live fibers only")
    br = ok(c.req("GET", f"/brain/{b}"), 200)
    eq((br["neuron_count"], br["synapse_count"], br["fiber_count"]), (7, 4, 2), "GET brain counts live objects")

    # a second run at the same reference time finds nothing more
    _dry(c, b, body, what="dry run after the archive", fibers_archived=0, neurons_archived=0, synapses_archived=0)

    # restore F1: the fiber, its archived neurons (with their states), its
    # typed memory, and the synapses whose two endpoints are live again
    r1 = _run_restore(c, b, {"fiber_ids": ["F1"]}, "restore F1", fibers_restored=1, neurons_restored=3,
                      synapses_restored=3)
    eq(ok(c.req("GET", "/memory/fiber/F1", brain=b), 200), bi["fibers"]["F1"], "F1 back exactly")
    for n in ("a1", "a2", "out"):
        eq(ok(c.req("GET", f"/memory/neurons/{n}", brain=b), 200), bi["neurons"][n], f"neuron {n} back")
    eq(_states(c, b, ["a1", "a2", "out"]), {n: states_before[n] for n in ("a1", "a2", "out")},
       "neuron states back exactly")
    for s in ("s_a", "s_sh", "s_out"):
        eq(ok(c.req("GET", f"/memory/synapses/{s}", brain=b), 200), bi["synapses"][s], f"synapse {s} back")
    _vanished(c, b, {"F2"}, {"b1", "b2"}, {"s_ab", "s_b"}, "after restoring F1")
    st2 = H.stats(c, b)
    eq((st2["archived_fiber_count"], st2["archived_neuron_count"], st2["archived_synapse_count"]),
       (1, 2, 2), "archived counts after restoring F1")
    eq((st2["neuron_count"], st2["synapse_count"], st2["fiber_count"]), (10, 7, 3), "live counts after restoring F1")
    expect("F1" in _q(c, b, "quokka marmalade")["fibers_matched"], "F1 found by a query again")
    tms = _by_id(_typed(_export(c, b)), "fiber_id")
    eq({k: v for k, v in tms["F1"].items() if k != "archived"}, bi["typed_memories"]["F1"],
       "F1's typed memory back")
    expect("archived" not in tms["F1"], f"restored typed memory not flagged: {tms['F1']}")

    # restore of a fiber that is live, or unknown: done, nothing restored
    _run_restore(c, b, {"fiber_ids": ["F1", "no-such-fiber"]}, "restore live + unknown", fibers_restored=0,
                 neurons_restored=0, synapses_restored=0)

    # restore all: everything back, the export equals the one before archiving
    _run_restore(c, b, {"all": True}, "restore all", fibers_restored=1, neurons_restored=2, synapses_restored=2)
    after = _export(c, b)
    _eq_sets(_as_sets(after), bi, "export after restore all vs before archive (as sets by id)")
    for sec in ("neurons", "synapses", "fibers"):
        expect(all("archived" not in x for x in after[sec]), f"no archived flags after restore all ({sec})")
        never = [x for x in H.ids(before[sec]) if x not in (ARCH_NEURONS | ARCH_SYNAPSES | ARCH_FIBERS)]
        eq([x for x in H.ids(after[sec]) if x in never], never, f"{sec} that never left keep their order")
    eq(_states(c, b, ALL_NEURONS), states_before, "every neuron state equals the one before archiving")
    st3 = H.stats(c, b)
    eq((st3["archived_fiber_count"], st3["archived_neuron_count"], st3["archived_synapse_count"]), (0, 0, 0),
       "nothing archived after restore all")
    for k in ("neuron_count", "synapse_count", "fiber_count", "project_count", "memory_types", "freshness"):
        eq(st3[k], st0[k], f"stats {k} after restore all")
    q_back = {t: _q(c, b, t) for t in q_before}
    for t in q_before:
        eq(set(q_back[t]["fibers_matched"]), set(q_before[t]["fibers_matched"]),
           f"query {t!r} after restore all finds the same fibers")
    # restore all with nothing archived: done, 0
    _run_restore(c, b, {"all": True}, "restore all again", fibers_restored=0, neurons_restored=0,
                 synapses_restored=0)


def test_archive_cutoff_and_anchor_rules(srv):
    """Fibers created exactly at the cutoff are not older than it; an
    anchor activated at or after the cutoff keeps its fiber; a non-anchor
    neuron's activation does not."""
    c = srv.c
    b = H.new_brain(c)
    # 214 days before REF
    H.mk_neuron(c, b, "x", id="x", created_at=OLD)
    H.mk_neuron(c, b, "y", id="y", created_at=OLD)
    H.mk_neuron(c, b, "z", id="z", created_at=OLD)
    H.mk_fiber(c, b, ["x"], id="Fx", created_at=OLD)
    H.mk_fiber(c, b, ["y", "z"], id="Fy", created_at=OLD)
    _set_state(c, b, "z", activation_level=0.9, last_activated=RECENT)   # not the anchor
    d = _dry(c, b, {"older_than_days": 214, "reference_time": REF}, what="cutoff == created_at")
    eq(d["fibers_archived"], 0, "a fiber created exactly older_than_days before is not older")
    d = _dry(c, b, {"older_than_days": 213, "reference_time": REF}, what="cutoff a day after created_at")
    eq(_counts(d, "archived"), (2, 3, 0), "both fibers (a non-anchor activation does not count)")
    d = _dry(c, b, {"older_than_days": 1000, "reference_time": REF})
    eq(d["fibers_archived"], 0, "older_than_days 1000: nothing that old")
    # anchor x activated exactly at the cutoff (REF - 90 days): accessed since
    _set_state(c, b, "x", last_activated=CUTOFF_90)
    d = _dry(c, b, {"older_than_days": 90, "reference_time": REF})
    eq(_counts(d, "archived"), (1, 2, 0), "anchor activated at the cutoff keeps Fx")
    _set_state(c, b, "x", last_activated="2025-10-02T23:59:59.999999")
    d = _dry(c, b, {"older_than_days": 90, "reference_time": REF})
    eq(_counts(d, "archived"), (2, 3, 0), "anchor activated just before the cutoff: Fx goes")
    # reference_time with an offset is converted to UTC
    d = _dry(c, b, {"older_than_days": 90, "reference_time": "2026-01-01T07:00:00+07:00"})
    eq(_counts(d, "archived"), (2, 3, 0), "reference_time with an offset")
    _run_archive(c, b, {"older_than_days": 90, "reference_time": REF}, fibers_archived=2, neurons_archived=3,
                 synapses_archived=0)
    eq(H.counts(c, b), (0, 0, 0), "everything archived")
    _run_restore(c, b, {"fiber_ids": ["Fy"]}, fibers_restored=1, neurons_restored=2, synapses_restored=0)
    eq(H.counts(c, b), (2, 0, 1), "Fy back")


def test_archive_reach_through_staying_neuron(srv):
    """A neuron of an old fiber reached (one synapse) from an old neuron
    that itself stays, because a live fiber's neuron reaches it: the issue
    keeps neurons with "a live synapse path" from a live fiber, and
    archive.c keeps neurons "reachable by a synapse from a neuron that
    stays" — so both stay.

        live fiber FL: L ;  old fiber FO: t1 (anchor), t2, t3
        L -> t1 (t1 stays), t1 -> t2 (t2 stays: t1 stays),
        t3 only reached from nothing (moves)"""
    c = srv.c
    b = H.new_brain(c)
    for nid, created in (("L", RECENT), ("t1", OLD), ("t2", OLD), ("t3", OLD)):
        H.mk_neuron(c, b, f"neuron {nid}", id=nid, created_at=created)
    H.mk_synapse(c, b, "L", "t1", id="s1", type="leads_to")
    H.mk_synapse(c, b, "t1", "t2", id="s2", type="leads_to")
    H.mk_fiber(c, b, ["L"], id="FL", created_at=RECENT)
    H.mk_fiber(c, b, ["t1", "t2", "t3"], id="FO", created_at=OLD)
    d = _dry(c, b, {"older_than_days": 90, "reference_time": REF})
    eq(_counts(d, "archived"), (1, 1, 0),
       "FO moves with t3 only; t1 (reached from L) and t2 (reached from t1, which stays) stay")


def test_archive_export_and_import(srv):
    """Exports carry archived objects with "archived": true (JSON and
    NDJSON); importing them into a new brain gives the same live and
    archived sets; restoring there brings the objects back."""
    c = srv.c
    b = _scenario(c)
    before = _export(c, b)
    _run_archive(c, b, {"older_than_days": 90, "reference_time": REF}, fibers_archived=2, neurons_archived=5,
                 synapses_archived=5)
    e = _export(c, b)
    # the flags: exactly the archived objects carry "archived": true, live ones lack the key
    for sec, arch in (("neurons", ARCH_NEURONS), ("synapses", ARCH_SYNAPSES), ("fibers", ARCH_FIBERS)):
        flagged = {x["id"] for x in e[sec] if "archived" in x}
        eq(flagged, arch, f"{sec} flagged archived")
        for x in e[sec]:
            if "archived" in x:
                eq(x["archived"], True, f"{sec} {x['id']}.archived")
                eq(list(x)[-1], "archived", f"{sec} {x['id']}: archived is the last key")
        eq(_by_id(_strip_flag(e[sec])), _by_id(before[sec]), f"{sec}: every object exported, fields unchanged")
        # live objects first (creation order), archived ones after them
        live = [x["id"] for x in e[sec] if "archived" not in x]
        eq(live, [x for x in H.ids(before[sec]) if x not in arch], f"{sec}: live objects in creation order")
        eq(H.ids(e[sec])[:len(live)], live, f"{sec}: live objects before archived ones")
    tms = _typed(e)
    eq(_by_id(_strip_flag(tms), "fiber_id"), _by_id(_typed(before), "fiber_id"),
       "typed memories (also of archived fibers) exported unchanged")
    for t in tms:
        if t["fiber_id"] not in ARCH_FIBERS:
            expect("archived" not in t, f"typed memory of a live fiber not flagged: {t}")
    eq(e["metadata"].get("projects"), before["metadata"].get("projects"), "projects")

    # NDJSON: the same objects, same flags, same order
    lines = _ndjson_export(c, b)
    eq(lines[0]["kind"], "brain", "first line")
    eq(lines[-1]["kind"], "end", "last line")
    strip = lambda k: [{kk: v for kk, v in o.items() if kk != "kind"} for o in lines if o["kind"] == k]  # noqa: E731
    eq(strip("neuron"), e["neurons"], "NDJSON neuron lines = JSON neurons (flags included)")
    eq(strip("synapse"), e["synapses"], "NDJSON synapse lines = JSON synapses")
    eq(strip("fiber"), e["fibers"], "NDJSON fiber lines = JSON fibers")
    eq(_by_id(_strip_flag(strip("typed_memory")), "fiber_id"), _by_id(_strip_flag(tms), "fiber_id"),
       "NDJSON typed memory lines")
    end = lines[-1]
    eq((end["neuron_count"], end["synapse_count"], end["fiber_count"], end["typed_memory_count"]),
       (12, 9, 4, 4), "end line counts live and archived objects")

    st_src = H.stats(c, b)
    keys = ("neuron_count", "synapse_count", "fiber_count", "project_count", "memory_types", "freshness",
            "archived_fiber_count", "archived_neuron_count", "archived_synapse_count")

    # JSON import into a new brain
    t1 = uid("imp")
    snap = H.export(c, b)
    ok(c.req("POST", f"/brain/{t1}/import", snap), 200, "JSON import of the export with archived objects")
    st1 = H.stats(c, t1)
    eq({k: st1[k] for k in keys}, {k: st_src[k] for k in keys}, "imported brain stats = source stats")
    e1 = _export(c, t1)
    for k in ("brain_name", "version", "neurons", "synapses", "fibers", "config", "metadata"):
        eq(e1[k], e[k], f"imported brain export {k} = source export {k}")
    _vanished(c, t1, ARCH_FIBERS, ARCH_NEURONS, ARCH_SYNAPSES, "imported brain")
    eq(set(H.ids(H.list_neurons(c, t1, limit=10000)["neurons"])), LIVE_NEURONS, "imported brain: live neurons")

    # NDJSON import into another new brain
    t2 = uid("imp")
    r = c.req("GET", f"/brain/{b}/export", query={"format": "ndjson"})
    ok(c.req("POST", f"/brain/{t2}/import", raw=r.raw, headers={"Content-Type": "application/x-ndjson"}), 200,
       "NDJSON import")
    st2 = H.stats(c, t2)
    eq({k: st2[k] for k in keys}, {k: st_src[k] for k in keys}, "NDJSON-imported brain stats")
    e2 = _export(c, t2)
    for k in ("brain_name", "neurons", "synapses", "fibers", "config", "metadata"):
        eq(e2[k], e[k], f"NDJSON-imported brain export {k}")

    # restoring in the imported brain brings the objects back (states are
    # not part of snapshots: restored neurons there have default states)
    _run_restore(c, t1, {"all": True}, "restore all in the imported brain", fibers_restored=2, neurons_restored=5,
                 synapses_restored=5)
    _eq_sets(_as_sets(_export(c, t1)), dict(_as_sets(before), brain_name=before["brain_name"]),
             "imported brain after restore all = source before archiving (as sets)")

    # importing the export again into the source (upsert) changes nothing
    ok(c.req("POST", f"/brain/{b}/import", snap), 200, "re-import into the source")
    eq(_export(c, b), e, "re-import of its own export: export unchanged")
    eq({k: H.stats(c, b)[k] for k in keys}, {k: st_src[k] for k in keys}, "re-import: stats unchanged")


def test_reimport_keeps_archived_neuron_states(srv):
    """Importing a brain's own export (with its archived objects) into it:
    §3.2 resets neuron states "only for newly created neurons", and an
    archived neuron is no new neuron — after restore all, every neuron
    state equals the one before archiving."""
    c = srv.c
    b = _scenario(c)
    states_before = _states(c, b, ALL_NEURONS)
    _run_archive(c, b, {"older_than_days": 90, "reference_time": REF}, fibers_archived=2, neurons_archived=5,
                 synapses_archived=5)
    e = _export(c, b)
    ok(c.req("POST", f"/brain/{b}/import", H.export(c, b)), 200, "re-import into the source")
    eq(_export(c, b), e, "re-import of its own export: export unchanged")
    _run_restore(c, b, {"all": True}, fibers_restored=2, neurons_restored=5, synapses_restored=5)
    got = _states(c, b, ALL_NEURONS)
    changed = sorted(n for n in ALL_NEURONS if got[n] != states_before[n])
    expect(not changed, f"neuron states changed by re-import + restore: "
                        + "; ".join(f"{n}: before {states_before[n]}, after {got[n]}" for n in changed))


def test_archive_id_reused_while_archived(srv):
    """Creating objects with the ids of archived ones: either refused (409:
    the id exists in the brain) or accepted — then the export must still
    be importable (one object per id and section), and restoring keeps the
    live versions (lib/lifecycle.h: "an object whose id is live again
    meanwhile keeps the live version")."""
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "x", id="x", created_at=OLD)
    H.mk_neuron(c, b, "y", id="y", created_at=OLD)
    H.mk_synapse(c, b, "x", "y", id="sxy", type="leads_to")
    H.mk_fiber(c, b, ["x", "y"], id="F", created_at=OLD)
    _run_archive(c, b, {"older_than_days": 90, "reference_time": REF}, fibers_archived=1, neurons_archived=2,
                 synapses_archived=1)
    rn = c.req("POST", "/memory/neurons", {"id": "y", "type": "entity", "content": "new y"}, brain=b)
    expect(rn[0] in (201, 409), f"create a neuron with an archived neuron's id: {rn!r}")
    if rn[0] == 409:
        return
    live_y = rn[2]
    rf = c.req("POST", "/memory/fibers", {"id": "F", "neuron_ids": ["y"], "anchor_neuron_id": "y"}, brain=b)
    expect(rf[0] in (201, 409), f"create a fiber with an archived fiber's id: {rf!r}")
    e = H.export(c, b)
    for sec in ("neurons", "synapses", "fibers"):
        ids = H.ids(e[sec])
        dup = sorted({i for i in ids if ids.count(i) > 1})
        expect(not dup, f"export lists {sec} {dup} twice (live and archived): "
                        f"{[(x['id'], x.get('archived')) for x in e[sec]]}")
    ok(c.req("POST", f"/brain/{uid('imp')}/import", e), 200, "the export imports")
    _run_restore(c, b, {"fiber_ids": ["F"]}, "restore F")
    eq(ok(c.req("GET", "/memory/neurons/y", brain=b), 200), live_y, "the live y is kept")
    st = H.stats(c, b)
    eq((st["archived_fiber_count"], st["archived_neuron_count"], st["archived_synapse_count"]), (0, 0, 0),
       "nothing left archived")


def test_archive_import_replaces(srv):
    """An archived copy in an import replaces a live object with the same
    id, and a live copy replaces the archived one."""
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "n", id="n", created_at=OLD)
    H.mk_fiber(c, b, ["n"], id="F", created_at=OLD)
    snap = H.export(c, b)
    for x in snap["neurons"] + snap["fibers"]:
        x["archived"] = True
    ok(c.req("POST", f"/brain/{b}/import", snap), 200, "import archived copies over live objects")
    st = H.stats(c, b)
    eq((st["neuron_count"], st["fiber_count"], st["archived_neuron_count"], st["archived_fiber_count"]),
       (0, 0, 1, 1), "live objects replaced by archived copies")
    err(c.req("GET", "/memory/neurons/n", brain=b), 404, what="archived by import")
    e = _export(c, b)
    eq([x.get("archived") for x in e["neurons"] + e["fibers"]], [True, True], "flags exported")
    _run_restore(c, b, {"fiber_ids": ["F"]}, fibers_restored=1, neurons_restored=1, synapses_restored=0)
    eq(H.counts(c, b), (1, 0, 1), "restored")


def test_archive_validation(srv):
    c = srv.c
    b = _scenario(c, typed=False)
    snap = H.content_of(c, b)
    bad = [
        ({"older_than_days": 0}, "older_than_days"),
        ({"older_than_days": -1}, "older_than_days"),
        ({"older_than_days": "x"}, "older_than_days"),
        ({"older_than_days": 1.5}, "older_than_days"),
        ({"older_than_days": True}, "older_than_days"),
        ({"older_than_days": [90]}, "older_than_days"),
        ({"reference_time": "bad"}, "reference_time"),
        ({"reference_time": "2026-13-01T00:00:00"}, "reference_time"),
        ({"reference_time": 1767225600}, "reference_time"),
        ({"dry_run": "yes"}, "dry_run"),
        ({"dry_run": 1}, "dry_run"),
    ]
    for body, field in bad:
        field_err(_archive(c, b, body), field, what=f"archive {body!r}")
        field_err(_archive(c, b, dict(body, dry_run=True) if field != "dry_run" else body), field,
                  what=f"archive (dry) {body!r}")
    err(_archive(c, b, raw=b"{not json"), 422, what="archive with malformed JSON")
    err(_archive(c, b, raw=b"[1]"), 422, what="archive with a JSON array body")
    missing = uid("nope")
    err(_archive(c, missing, {"dry_run": True}), 404, f"Brain {missing} not found", what="archive unknown brain")
    err(_archive(c, missing, {}), 404, f"Brain {missing} not found", what="archive unknown brain (real)")
    err(_restore(c, missing, {"all": True}), 404, f"Brain {missing} not found", what="restore unknown brain")
    # nulls mean absent: defaults
    d = ok(_archive(c, b, {"older_than_days": None, "reference_time": REF, "dry_run": True}), 200,
           "older_than_days null")
    eq(d["fibers_archived"], 2, "older_than_days null = default 90")
    eq(H.content_of(c, b), snap, "rejected requests and dry runs change nothing")
    # methods
    err(c.req("GET", f"/brain/{b}/archive"), 405, "Method Not Allowed")
    err(c.req("GET", f"/brain/{b}/archive/restore"), 405, "Method Not Allowed")


def test_restore_validation(srv):
    c = srv.c
    b = _scenario(c, typed=False)
    _run_archive(c, b, {"older_than_days": 90, "reference_time": REF})
    snap = H.content_of(c, b)
    bad = [
        ({}, "fiber_ids"),
        ({"fiber_ids": []}, "fiber_ids"),
        ({"fiber_ids": "x"}, "fiber_ids"),
        ({"fiber_ids": None}, "fiber_ids"),
        ({"fiber_ids": [1]}, "fiber_ids"),
        ({"fiber_ids": [""]}, "fiber_ids"),
        ({"fiber_ids": {"F1": 1}}, "fiber_ids"),
        ({"fiber_ids": ["F1"], "all": True}, "fiber_ids"),
        ({"all": False}, "fiber_ids"),
        ({"all": "yes"}, "all"),
        ({"all": 1}, "all"),
    ]
    for body, field in bad:
        field_err(_restore(c, b, body), field, what=f"restore {body!r}")
    err(_restore(c, b, raw=b""), 422, what="restore without a body")
    err(_restore(c, b, raw=b"{oops"), 422, what="restore with malformed JSON")
    eq(H.content_of(c, b), snap, "rejected restores change nothing")
    st = H.stats(c, b)
    eq((st["archived_fiber_count"], st["archived_neuron_count"], st["archived_synapse_count"]), (2, 5, 5),
       "still archived")
    # duplicates in fiber_ids are one fiber
    _run_restore(c, b, {"fiber_ids": ["F2", "F2", "nope"]}, fibers_restored=1, neurons_restored=2,
                 synapses_restored=1)


def test_archive_large_brain_bytes(srv):
    """A few hundred old memories with long content (two batches of the
    archive run): on sqlite the live storage shrinks (bytes_after <
    bytes_before); on the memory backend both are 0. Restore all brings
    everything back."""
    c = srv.c
    b = uid("big")
    n_old, n_new = 300, 20
    neurons, synapses, fibers = [], [], []
    for i in range(n_old + n_new):
        created = OLD if i < n_old else RECENT
        neurons.append({"id": f"m{i}", "type": "concept", "content": f"memory {i} " + "lorem ipsum " * 150,
                        "metadata": {"i": i}, "created_at": created})
        neurons.append({"id": f"k{i}", "type": "entity", "content": f"keyword{i}", "metadata": {},
                        "created_at": created})
        synapses.append({"id": f"s{i}", "source_id": f"m{i}", "target_id": f"k{i}", "type": "involves",
                         "weight": 0.5, "direction": "uni", "metadata": {}, "reinforced_count": 0,
                         "last_activated": None, "created_at": created})
        fibers.append({"id": f"f{i}", "neuron_ids": [f"m{i}", f"k{i}"], "synapse_ids": [f"s{i}"],
                       "anchor_neuron_id": f"m{i}", "time_start": None, "time_end": None, "coherence": 0.0,
                       "salience": 0.5, "frequency": 0, "summary": f"memory {i}", "tags": [], "metadata": {},
                       "created_at": created})
    snap = {"brain_id": b, "brain_name": "big", "exported_at": REF, "version": "0.1.0", "neurons": neurons,
            "synapses": synapses, "fibers": fibers, "config": {},
            "metadata": {"typed_memories": [_tm(f"f{i}", "fact", i) for i in range(0, n_old + n_new, 7)],
                         "projects": [PROJECT]}}
    ok(c.req("POST", f"/brain/{b}/import", snap), 200, "import the big brain")
    before = _export(c, b)
    st0 = H.stats(c, b)
    body = {"older_than_days": 90, "reference_time": REF}
    dry = _dry(c, b, body, fibers_archived=n_old, neurons_archived=2 * n_old, synapses_archived=n_old)
    rep = _run_archive(c, b, body, fibers_archived=n_old, neurons_archived=2 * n_old, synapses_archived=n_old)
    if srv.backend == "memory":
        eq((dry["bytes_before"], dry["bytes_after"], rep["bytes_before"], rep["bytes_after"]), (0, 0, 0, 0),
           "memory backend: bytes are 0")
    else:
        eq(rep["bytes_before"], dry["bytes_before"], "sqlite: the real run starts from the dry run's bytes_before")
        expect(0 < rep["bytes_after"] < rep["bytes_before"],
               f"sqlite: live storage shrinks: bytes_before {rep['bytes_before']}, bytes_after {rep['bytes_after']}")
    st1 = H.stats(c, b)
    eq((st1["neuron_count"], st1["synapse_count"], st1["fiber_count"]), (2 * n_new, n_new, n_new), "live counts")
    eq((st1["archived_fiber_count"], st1["archived_neuron_count"], st1["archived_synapse_count"]),
       (n_old, 2 * n_old, n_old), "archived counts")
    eq(set(H.ids(H.list_fibers(c, b, limit=10000)["fibers"])), {f"f{i}" for i in range(n_old, n_old + n_new)},
       "only recent fibers listed")
    e = _export(c, b)
    eq(sum(1 for x in e["fibers"] if x.get("archived") is True), n_old, "archived fibers flagged in the export")
    _run_restore(c, b, {"all": True}, "restore all (two batches)", fibers_restored=n_old,
                 neurons_restored=2 * n_old, synapses_restored=n_old)
    _eq_sets(_as_sets(_export(c, b)), _as_sets(before), "after restore all (as sets)")
    st2 = H.stats(c, b)
    for k in ("neuron_count", "synapse_count", "fiber_count", "memory_types", "archived_fiber_count",
              "archived_neuron_count", "archived_synapse_count"):
        eq(st2[k], st0[k], f"stats {k} after restore all")


# ---------------------------------------------------------------------------
# one lifecycle job per brain: 409

def _in_flight(srv):
    r = srv.c.req("GET", "/metrics")
    H.status(r, 200, "metrics")
    return H.metric_value(H.parse_metrics(r.raw.decode()), "nmemd_http_requests_in_flight")


def _ndjson(lines):
    return "".join(json.dumps(o) + "\n" for o in lines).encode()


def _held_import(srv):
    """A streamed NDJSON import into a new brain whose body is left
    unfinished: it holds the only long-job worker (jobs.workers=1) until the
    rest is sent. Returns (socket, rest of the body)."""
    y = uid("held")
    lines = [{"kind": "brain", "brain_id": y, "brain_name": "held import", "exported_at": REF, "version": "0.1.0",
              "config": {}, "metadata": {}},
             {"kind": "neuron", "id": "n0", "type": "entity", "content": "c", "metadata": {}, "created_at": REF},
             {"kind": "end", "neuron_count": 1, "synapse_count": 0, "fiber_count": 0, "typed_memory_count": 0,
              "project_count": 0}]
    part1, part2 = _ndjson(lines[:2]), _ndjson(lines[2:])
    head = H.http_request_bytes("POST", f"/brain/{y}/import", {"Content-Type": "application/x-ndjson",
                                                               "Content-Length": str(len(part1) + len(part2))})
    s = srv.raw()
    s.sendall(head + part1)
    H.poll_until(lambda: _in_flight(srv) == 1, what="in-flight = the import")
    return s, part2


def test_archive_409_while_a_job_is_queued(backend):
    """jobs.workers=1, held by a streamed import whose body is not complete.
    An archive of brain X answers 202 at once and its job waits (queued);
    meanwhile a restore or a second archive of X is 409 naming that job;
    another brain is not blocked.
    Once the import completes the job runs to done."""
    srv = H.start(backend, sets={"jobs.workers": 1})
    c = srv.c
    x = _scenario(c, typed=False)
    other = _scenario(c, typed=False)
    s_imp, rest = _held_import(srv)
    try:
        j1 = _started(_archive(c, x, {"older_than_days": 90, "reference_time": REF}), "archive", "archive of X")
        j = _check_job(ok(c.req("GET", f"/jobs/{j1}"), 200), "queued job", kind="archive", brain_id=x)
        eq(j["state"], "queued", "the job waits behind the held import")
        for what, r in (("restore of X", _restore(c, x, {"all": True})),
                        ("second archive of X", _archive(c, x, {"older_than_days": 90, "reference_time": REF}))):
            eq(r[0], 409, f"{what} while {j1} is queued: {r!r}")
            expect(H.is_json_ct(r[1]), f"{what}: 409 content type")
            expect(list(r[2]) == ["detail"] and j1 in r[2]["detail"], f"{what}: 409 detail names {j1}: {r[2]!r}")
        # validation still comes before the one-job rule
        field_err(_restore(c, x, {}), "fiber_ids", what="invalid restore of X while its job is queued")
        # another brain: its own job is accepted
        j2 = _started(_restore(c, other, {"all": True}), "restore", "restore of another brain")
        ok(c.req("GET", "/health"), 200, "health while the long-job worker is busy")
        s_imp.sendall(rest)
        (ri,), _ = H.read_responses(s_imp, 1)
        eq(ri.status, 200, f"held import completes: {ri!r}")
    finally:
        s_imp.close()
    j = _wait_job(c, j1)
    _check_job(j, "archive job", state="done", kind="archive", brain_id=x)
    eq(_counts(j["report"], "archived"), (2, 5, 5), "archive job report")
    eq(_wait_job(c, j2)["state"], "done", "the other brain's job ran")
    eq(H.stats(c, x)["archived_fiber_count"], 2, "the refused requests did nothing")
    # the brain is free again
    _run_restore(c, x, {"all": True}, fibers_restored=2, neurons_restored=5, synapses_restored=5)


# ---------------------------------------------------------------------------
# engine brains

NOUNS = ["aardvark", "bassoon", "cinnamon", "dolphin", "espresso", "falcon", "gazebo", "harpsichord", "iguana",
         "jasmine", "kayak", "lantern", "mango", "nebula", "oboe", "pelican", "quartz", "raccoon", "saffron",
         "trombone", "umbrella", "violin", "walrus", "xylophone", "yacht", "zucchini", "anchovy", "biscuit",
         "cactus", "dragonfly"]
PLACES = ["Oslo", "Lima", "Perth", "Quito", "Accra", "Hanoi", "Dakar", "Tunis", "Sofia", "Riga"]


def _memories():
    """30 memories over two years (2024-01-05 .. 2025-12-20), one unique noun
    each; Alice appears in all of them (a shared neuron in fixed mode)."""
    out = []
    t0 = datetime.datetime(2024, 1, 5, 9, 0, 0)
    for i, noun in enumerate(NOUNS):
        ts = t0 + datetime.timedelta(days=24 * i + (i % 3))
        out.append({"content": f"Alice bought a {noun} in {PLACES[i % len(PLACES)]}",
                    "timestamp": ts.isoformat(), "tags": [f"m{i}"]})
    return out


def test_archive_engine_brain(srv):
    """Encode 30 memories (POST /memory/encode/batch), archive those older
    than 365 days before 2026-01-01, query, restore all, query again.

    Encode stamps fibers with the server's clock (created_at = now; the
    memory's timestamp goes to time_start/time_end), so the brain is
    re-dated through its own snapshot: export, set each fiber's created_at
    to its time_start, import into a new brain (which also resets neuron
    states: no anchor counts as accessed)."""
    c = srv.c
    src = H.new_brain(c, config={"engine_mode": "fixed"})
    mems = _memories()
    res = ok(c.req("POST", "/memory/encode/batch", {"memories": mems}, brain=src), 201, "batch encode")
    fids = [x["fiber_id"] for x in res["results"]]
    snap = H.export(c, src)
    for f in snap["fibers"]:
        expect(f["time_start"] is not None, f"encoded fiber has time_start: {f}")
        f["created_at"] = f["time_start"]
    b = uid("eng")
    ok(c.req("POST", f"/brain/{b}/import", snap), 200, "import the re-dated brain")
    ref = "2026-01-01T00:00:00"
    cutoff = datetime.datetime(2025, 1, 1)
    old = {fids[i] for i, m in enumerate(mems) if datetime.datetime.fromisoformat(m["timestamp"]) < cutoff}
    recent = set(fids) - old
    expect(10 <= len(old) <= 20, f"about half the memories are old: {len(old)}")

    def ask(i):
        r = H.query(c, b, f"{NOUNS[i]} {PLACES[i % len(PLACES)]}", include_subgraph=True, reference_time=ref)
        r.pop("latency_ms")
        return r

    before = [ask(i) for i in range(len(mems))]
    for i, q in enumerate(before):
        expect(fids[i] in q["fibers_matched"], f"before archiving, query {i} finds its memory: {q['fibers_matched']}")
    st0 = H.stats(c, b)
    exp0 = _export(c, b)

    body = {"older_than_days": 365, "reference_time": ref}
    dry = _dry(c, b, body)
    eq(dry["fibers_archived"], len(old), "dry run: the memories from before 2025")
    rep = _run_archive(c, b, body)
    eq(_counts(rep, "archived"), _counts(dry, "archived"), "real run = dry run")
    # Engine memories share time, entity and keyword neurons, linked both ways
    # (RELATED_TO is bidirectional), so old neurons are mostly reachable from
    # a live memory and stay (the "no live synapse path" rule): the
    # counts are whatever the rule gives, the dry run's.
    st1 = H.stats(c, b)
    eq(st1["fiber_count"], len(recent), "live fibers: the recent memories")
    eq(st1["archived_fiber_count"], len(old), "archived fibers")
    eq(set(H.ids(H.list_fibers(c, b, limit=10000)["fibers"])), recent, "fiber list: recent memories")

    after = [ask(i) for i in range(len(mems))]
    for i, q in enumerate(after):
        expect(not set(q["fibers_matched"]) & old, f"query {i} after archiving returns no archived memory: "
                                                   f"{q['fibers_matched']}")
        if fids[i] in recent:
            expect(fids[i] in q["fibers_matched"], f"query {i} (recent memory) still finds it: {q['fibers_matched']}")
    # the shared Alice neuron stays (recent memories hold it)
    alice = H.list_neurons(c, b, content_exact="Alice")["neurons"]
    eq(len(alice), 1, "Alice neuron stays live")

    _run_restore(c, b, {"all": True}, fibers_restored=len(old), neurons_restored=rep["neurons_archived"],
                 synapses_restored=rep["synapses_archived"])
    st2 = H.stats(c, b)
    for k in ("neuron_count", "synapse_count", "fiber_count", "memory_types", "freshness", "archived_fiber_count",
              "archived_neuron_count", "archived_synapse_count"):
        eq(st2[k], st0[k], f"stats {k} after restore all")
    _eq_sets(_as_sets(_export(c, b)), _as_sets(exp0), "engine brain after restore all (as sets)")
    # every query finds its own memory again, as before archiving (reinforce
    # off: queries change nothing). Restored fibers come back as the newest
    # rows, so among results the engine ranks equal, creation order (its
    # tie-break) differs from before archiving: the answer sets are not
    # compared whole.
    back = [ask(i) for i in range(len(mems))]
    for i in range(len(mems)):
        expect(fids[i] in back[i]["fibers_matched"],
               f"after restore all, query {i} ({NOUNS[i]!r}) finds its memory again: {back[i]['fibers_matched']}")
