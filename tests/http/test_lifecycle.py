"""Lifecycle routes: POST /brain/{id}/decay and GET /jobs/{id} (PROTOCOL.md
§6.6; decay rules ENGINE.md §6.2 (compat) and §6.4 (nmemd fixed), as
lib/lifecycle.h implements them), one lifecycle job per brain (409), job
visibility with auth (§6.5), scheduled decay (decay_interval).

Times: every decay below passes an explicit reference_time, so the
arithmetic is exact: w' = w * exp(-rate * days), days counted from
last_activated (compat), or from the latest of last_activated and the
previous decay, else created_at (fixed). Synchronisation is by polling
GET /jobs/{id} (or the log, or /metrics) with a deadline, never by sleeping.
"""
import datetime
import json
import math
import re

import harness as H
from harness import eq, expect, ok, err, uid

REPORT_KEYS = ["neurons_processed", "neurons_decayed", "neurons_pruned", "synapses_processed", "synapses_decayed",
               "synapses_pruned", "orphans_removed", "duration_ms", "reference_time", "dry_run", "interrupted"]
COUNT_KEYS = REPORT_KEYS[:7]
JOB_KEYS = ["job_id", "kind", "brain_id", "state", "done", "total", "started_at", "finished_at", "report", "error"]
START_KEYS = ["job_id", "kind", "state"]

R = "2026-01-11T00:00:00.000000"       # reference time of the arithmetic tests
D0 = "2026-01-01T00:00:00.000000"      # 10 days before R
D5 = "2026-01-06T00:00:00.000000"      # 5 days before R
TOL = 1e-12


# ---------------------------------------------------------------------------
# helpers

def _decay(c, b, body=None, raw=None):
    return c.req("POST", f"/brain/{H.pq(b)}/decay", body, raw=raw)


def _check_report(rep, what="report", dry_run=None, reference_time=None, **counts):
    H.check_keys(rep, REPORT_KEYS, what)
    for k in COUNT_KEYS:
        H.check_number(rep[k], f"{what}.{k}", integer=True)
        expect(rep[k] >= 0, f"{what}.{k} negative: {rep[k]!r}")
    H.check_number(rep["duration_ms"], f"{what}.duration_ms")
    expect(rep["duration_ms"] >= 0, f"{what}.duration_ms negative")
    H.check_dt(rep["reference_time"], f"{what}.reference_time")
    expect(type(rep["dry_run"]) is bool, f"{what}.dry_run: {rep['dry_run']!r}")
    eq(rep["interrupted"], False, f"{what}.interrupted")
    if dry_run is not None:
        eq(rep["dry_run"], dry_run, f"{what}.dry_run")
    if reference_time is not None:
        eq(rep["reference_time"], reference_time, f"{what}.reference_time")
    for k, v in counts.items():
        eq(rep[k], v, f"{what}.{k}")
    return rep


def _counts(rep):
    return {k: rep[k] for k in COUNT_KEYS}


def _check_job(j, what="job", **exp):
    H.check_keys(j, JOB_KEYS, what)
    expect(H.is_uuid4(j["job_id"]), f"{what}.job_id not a UUID4: {j['job_id']!r}")
    expect(j["state"] in ("queued", "running", "done", "failed"), f"{what}.state: {j['state']!r}")
    H.check_number(j["done"], f"{what}.done", integer=True)
    H.check_number(j["total"], f"{what}.total", integer=True)
    expect(0 <= j["done"], f"{what}.done negative")
    for k in ("started_at", "finished_at"):
        if j[k] is not None:
            H.check_dt(j[k], f"{what}.{k}")
    expect(j["report"] is None or isinstance(j["report"], dict), f"{what}.report: {j['report']!r}")
    expect(j["error"] is None or isinstance(j["error"], str), f"{what}.error: {j['error']!r}")
    if j["state"] == "queued":
        eq((j["started_at"], j["finished_at"], j["report"]), (None, None, None), f"{what}: queued job fields")
    if j["state"] in ("done", "failed"):
        expect(j["started_at"] is not None and j["finished_at"] is not None, f"{what}: finished job times")
        expect(H.dt(j["started_at"]) <= H.dt(j["finished_at"]), f"{what}: started_at > finished_at")
    for k, v in exp.items():
        eq(j[k], v, f"{what}.{k}")
    return j


def _started(r, what="decay"):
    body = ok(r, 202, what)
    H.check_keys(body, START_KEYS, f"{what} 202 body")
    expect(H.is_uuid4(body["job_id"]), f"{what}: job_id {body['job_id']!r}")
    eq(body["kind"], "decay", f"{what}: kind")
    eq(body["state"], "queued", f"{what}: state")
    return body["job_id"]


def _wait_job(c, job_id, what="job"):
    """Poll GET /jobs/{id} until the job has ended; return the job object."""
    def ended():
        j = ok(c.req("GET", f"/jobs/{job_id}"), 200, f"GET /jobs/{job_id}")
        _check_job(j, what)
        return j if j["state"] in ("done", "failed") else None
    return H.poll_until(ended, timeout=60, what=f"{what} {job_id} to end")


def _run(c, b, body=None, what="decay"):
    """A real decay run: 202, then the finished job (state done) and its report."""
    job_id = _started(_decay(c, b, body), what)
    j = _wait_job(c, job_id, what)
    eq(j["state"], "done", f"{what}: job state (error {j['error']!r})")
    eq(j["error"], None, f"{what}: job error")
    eq(j["done"], j["total"], f"{what}: done == total at the end")
    _check_report(j["report"], f"{what} report", dry_run=False)
    return j


def _dry(c, b, body=None, what="dry run"):
    body = dict(body or {}, dry_run=True)
    return _check_report(ok(_decay(c, b, body), 200, what), what, dry_run=True)


def _weight(c, b, sid):
    return ok(c.req("GET", f"/memory/synapses/{H.pq(sid)}", brain=b), 200, f"synapse {sid}")["weight"]


def _level(c, b, nid):
    return ok(c.req("GET", f"/memory/neurons/{H.pq(nid)}/state", brain=b), 200, f"state {nid}")["activation_level"]


def _set_state(c, b, nid, level, last_activated=None, created_at=None):
    body = {"activation_level": level, "last_activated": last_activated}
    if created_at is not None:
        body["created_at"] = created_at
    ok(c.req("PUT", f"/memory/neurons/{H.pq(nid)}/state", body, brain=b), 200, f"PUT state {nid}")


def _close(actual, expected, what, tol=TOL):
    expect(isinstance(actual, (int, float)) and abs(actual - expected) <= tol,
           f"{what}: expected {expected!r} (±{tol}), got {actual!r}")


def _in_flight(srv):
    r = srv.c.req("GET", "/metrics")
    H.status(r, 200, "metrics")
    return H.metric_value(H.parse_metrics(r.raw.decode()), "nmemd_http_requests_in_flight")


def _small_brain(c, **fields):
    """Two neurons, one synapse, one fiber; both rows activated at D0."""
    b = H.new_brain(c, **fields)
    H.mk_neuron(c, b, "alpha", id="a", created_at=D0)
    H.mk_neuron(c, b, "beta", id="b", created_at=D0)
    _set_state(c, b, "a", 0.6, D0)
    H.mk_synapse(c, b, "a", "b", id="s", weight=0.8, last_activated=D0, created_at=D0)
    H.mk_fiber(c, b, ["a", "b"], id="f", created_at=D0)
    return b


# ---------------------------------------------------------------------------
# report shape, dry run, jobs

def test_decay_dry_run_changes_nothing(srv):
    c = srv.c
    b = _small_brain(c)
    before = H.content_of(c, b)
    states = H.states_of(c, b, ["a", "b"])
    rep = _dry(c, b, {"reference_time": "2026-01-11T00:00:00Z", "decay_rate": 0.05})
    _check_report(rep, "dry run", dry_run=True, reference_time=R, neurons_processed=2, neurons_decayed=1,
                  neurons_pruned=0, synapses_processed=1, synapses_decayed=1, synapses_pruned=0, orphans_removed=0)
    eq(H.content_of(c, b), before, "brain unchanged after a dry run")
    eq(H.states_of(c, b, ["a", "b"]), states, "neuron states unchanged after a dry run")
    # everything pruned and orphaned, still nothing changes
    rep = _dry(c, b, {"reference_time": "2030-01-01T00:00:00", "prune_orphans": True, "prune_threshold": 1})
    _check_report(rep, "dry run (prune all)", neurons_decayed=1, neurons_pruned=1, synapses_decayed=1,
                  synapses_pruned=1, orphans_removed=0)
    eq(H.content_of(c, b), before, "brain unchanged after a pruning dry run")
    eq(H.states_of(c, b, ["a", "b"]), states, "states unchanged after a pruning dry run")
    # without reference_time: the server's clock, emitted in the §1.4 format
    t0 = H.utcnow().replace(microsecond=0)
    rep = _dry(c, b, {})
    t1 = H.utcnow()
    t = H.dt(rep["reference_time"])
    expect(t0 <= t <= t1, f"default reference_time {rep['reference_time']!r} not between {t0} and {t1}")


def test_decay_job_object(srv):
    c = srv.c
    b = _small_brain(c)
    body = {"reference_time": R, "decay_rate": 0.05}
    dry = _dry(c, b, body)
    r = _decay(c, b, body)
    job_id = _started(r)
    j = ok(c.req("GET", f"/jobs/{job_id}"), 200, "GET job right after the 202")
    _check_job(j, "fresh job", job_id=job_id, kind="decay", brain_id=b)
    j = _wait_job(c, job_id)
    _check_job(j, "finished job", job_id=job_id, kind="decay", brain_id=b, state="done", error=None)
    eq(j["done"], j["total"], "done == total")
    expect(j["total"] > 0, f"total {j['total']}")
    rep = _check_report(j["report"], "job report", dry_run=False, reference_time=R)
    eq(_counts(rep), _counts(dry), "the real run reports what the dry run predicted")
    # the finished job stays visible (jobs.keep) and unchanged
    eq(ok(c.req("GET", f"/jobs/{job_id}"), 200), j, "GET job again")
    # trailing slash and HEAD like GET (§1.1)
    eq(ok(c.req("GET", f"/jobs/{job_id}/"), 200), j, "GET /jobs/{id}/")
    h = c.req("HEAD", f"/jobs/{job_id}")
    eq((h[0], h.raw), (200, b""), "HEAD /jobs/{id}")
    # a job per request: a second run is another job
    j2 = _run(c, b, body)
    expect(j2["job_id"] != job_id, "a new job id per run")


def test_jobs_unknown_and_methods(srv):
    c = srv.c
    err(c.req("GET", "/jobs/no-such-job"), 404, "Job no-such-job not found")
    err(c.req("GET", "/jobs/00000000-0000-4000-8000-000000000000"), 404,
        "Job 00000000-0000-4000-8000-000000000000 not found")
    r = c.req("POST", "/jobs/no-such-job", {})
    err(r, 405, "Method Not Allowed")
    expect("GET" in r[1].get("allow", ""), f"Allow header: {r[1].get('allow')!r}")
    r = c.req("GET", f"/brain/{uid('nope')}/decay")
    err(r, 405, "Method Not Allowed")


# ---------------------------------------------------------------------------
# default (fixed) mode arithmetic

def _fixed_brain(c):
    # brain config decay_rate 0.3: the body's decay_rate (0.05) must win
    b = H.new_brain(c, config={"engine_mode": "fixed", "decay_rate": 0.3})
    for nid, created in (("na", D0), ("nb", D0), ("nc", D5), ("nd", D0), ("ne", D0)):
        H.mk_neuron(c, b, f"neuron {nid}", id=nid, created_at=created)
    _set_state(c, b, "na", 0.6, D0)                                   # 10 days
    _set_state(c, b, "nb", 0.015, D0)                                 # -> 0.0091 < 0.01: pruned to 0
    _set_state(c, b, "nc", 0.5, None, created_at=D5)                  # never activated: 5 days from created_at
    # nd keeps the default level 0.0: nothing to decay
    _set_state(c, b, "ne", 0.4, "2026-01-10T12:00:00")                # half a day
    H.mk_synapse(c, b, "na", "nc", id="s1", weight=0.8, last_activated=D0, created_at=D0)
    H.mk_synapse(c, b, "nc", "na", id="s2", weight=0.6, created_at=D5)                 # never activated
    H.mk_synapse(c, b, "na", "ne", id="s3", weight=0.015, last_activated=D0, created_at=D0)  # pruned: deleted
    H.mk_synapse(c, b, "ne", "nd", id="s4", weight=0.9, last_activated=R, created_at=D0)    # 0 days
    H.mk_synapse(c, b, "nd", "na", id="s5", weight=0.7, last_activated="2026-01-12T00:00:00", created_at=D0)  # future
    H.mk_fiber(c, b, ["na", "nb", "nc", "nd", "ne"], id="f1", created_at=D0)
    return b


def test_decay_fixed_arithmetic(srv):
    c = srv.c
    b = _fixed_brain(c)
    rate = 0.05
    e = math.exp
    la_s1 = ok(c.req("GET", "/memory/synapses/s1", brain=b), 200)["last_activated"]
    j = _run(c, b, {"reference_time": R, "decay_rate": rate})
    _check_report(j["report"], "first run", reference_time=R, neurons_processed=5, neurons_decayed=4,
                  neurons_pruned=1, synapses_processed=5, synapses_decayed=3, synapses_pruned=1, orphans_removed=0)
    _close(_level(c, b, "na"), 0.6 * e(-rate * 10), "na: 0.6 * exp(-0.05 * 10)")
    eq(_level(c, b, "nb"), 0.0, "nb below prune_threshold: activation 0")
    _close(_level(c, b, "nc"), 0.5 * e(-rate * 5), "nc never activated: decays from created_at")
    eq(_level(c, b, "nd"), 0.0, "nd level 0 stays 0")
    _close(_level(c, b, "ne"), 0.4 * e(-rate * 0.5), "ne: half a day")
    _close(_weight(c, b, "s1"), 0.8 * e(-rate * 10), "s1: 0.8 * exp(-0.05 * 10)")
    _close(_weight(c, b, "s2"), 0.6 * e(-rate * 5), "s2 never activated: decays from created_at")
    err(c.req("GET", "/memory/synapses/s3", brain=b), 404, "Synapse s3 not found", what="pruned synapse deleted")
    eq(_weight(c, b, "s4"), 0.9, "s4 activated at the reference time: unchanged")
    eq(_weight(c, b, "s5"), 0.7, "s5 activated after the reference time: unchanged (never grows)")
    eq(ok(c.req("GET", "/memory/synapses/s1", brain=b), 200)["last_activated"], la_s1,
       "decay does not move last_activated")
    eq(H.counts(c, b), (5, 4, 1), "synapse_count drops by the pruned synapse; neurons kept (no prune_orphans)")
    eq(ok(c.req("GET", "/memory/fiber/f1", brain=b), 200)["neuron_ids"], ["na", "nb", "nc", "nd", "ne"],
       "fiber untouched")

    # idempotent (D16 fixed): a second run at the same reference time changes nothing
    snap = H.content_of(c, b)["export"]
    levels = {n: _level(c, b, n) for n in ("na", "nb", "nc", "nd", "ne")}
    j2 = _run(c, b, {"reference_time": R, "decay_rate": rate}, what="second run")
    _check_report(j2["report"], "second run", neurons_processed=5, neurons_decayed=0, neurons_pruned=0,
                  synapses_processed=4, synapses_decayed=0, synapses_pruned=0, orphans_removed=0)
    eq(H.content_of(c, b)["export"], snap, "second run at the same reference time: export unchanged")
    eq({n: _level(c, b, n) for n in levels}, levels, "second run: levels unchanged")
    # an earlier reference time does not undo or redo anything either
    j3 = _run(c, b, {"reference_time": D5, "decay_rate": rate}, what="earlier run")
    eq((j3["report"]["neurons_decayed"], j3["report"]["synapses_decayed"]), (0, 0), "earlier reference time")
    eq(H.content_of(c, b)["export"], snap, "earlier reference time: export unchanged")

    # one more day: only that day is applied (total = w * exp(-rate * total days))
    r1 = "2026-01-12T00:00:00.000000"
    j4 = _run(c, b, {"reference_time": r1, "decay_rate": rate}, what="next day")
    _check_report(j4["report"], "next day", neurons_decayed=3, neurons_pruned=0, synapses_decayed=3,
                  synapses_pruned=0)
    _close(_level(c, b, "na"), 0.6 * e(-rate * 11), "na after 11 days in two runs")
    _close(_level(c, b, "nc"), 0.5 * e(-rate * 6), "nc after 6 days in two runs")
    _close(_level(c, b, "ne"), 0.4 * e(-rate * 1.5), "ne after 1.5 days in two runs")
    _close(_weight(c, b, "s1"), 0.8 * e(-rate * 11), "s1 after 11 days in two runs")
    _close(_weight(c, b, "s2"), 0.6 * e(-rate * 6), "s2 after 6 days in two runs")
    _close(_weight(c, b, "s4"), 0.9 * e(-rate * 1), "s4: one day after its activation")
    eq(_weight(c, b, "s5"), 0.7, "s5: activated at the reference time now")


def test_decay_visits_the_first_object_of_a_brain(srv):
    """The very first object created in a brain is decayed (and, isolated,
    removed as an orphan) like any other: the scans must not skip it."""
    c = srv.c
    b = H.new_brain(c, config={"engine_mode": "fixed"})
    H.mk_neuron(c, b, "first", id="first", created_at=D0)
    _set_state(c, b, "first", 0.6, D0)
    dry = _dry(c, b, {"reference_time": R, "decay_rate": 0.1, "prune_orphans": True})
    _check_report(dry, "dry run, one neuron", neurons_processed=1, neurons_decayed=1, orphans_removed=1)
    j = _run(c, b, {"reference_time": R, "decay_rate": 0.1})
    _check_report(j["report"], "run, one neuron", neurons_processed=1, neurons_decayed=1)
    _close(_level(c, b, "first"), 0.6 * math.exp(-1.0), "first neuron decayed")
    j = _run(c, b, {"reference_time": R, "prune_orphans": True})
    eq(j["report"]["orphans_removed"], 1, "the first neuron, isolated, is an orphan")
    eq(H.counts(c, b), (0, 0, 0), "orphan removed")


def test_decay_default_rate_and_threshold(srv):
    c = srv.c
    b = H.new_brain(c, config={"engine_mode": "fixed", "decay_rate": 0.3})
    H.mk_neuron(c, b, "x", id="x", created_at=D0)
    H.mk_neuron(c, b, "y", id="y", created_at=D0)
    H.mk_synapse(c, b, "x", "y", id="s", weight=0.8, last_activated=D0, created_at=D0)
    H.mk_synapse(c, b, "y", "x", id="t", weight=0.9, last_activated=D0, created_at=D0)
    # no decay_rate in the body: the brain's config (0.3)
    _run(c, b, {"reference_time": R})
    _close(_weight(c, b, "s"), 0.8 * math.exp(-0.3 * 10), "brain config decay_rate used by default")
    # prune_threshold from the body: 0.8*e^-3 = 0.0398 and 0.9*e^-3*e^-0.3 ... below 0.5 -> deleted
    j = _run(c, b, {"reference_time": "2026-01-12T00:00:00", "prune_threshold": 0.5})
    _check_report(j["report"], "prune_threshold 0.5", synapses_decayed=2, synapses_pruned=2)
    eq(H.counts(c, b)[1], 0, "both synapses deleted")
    # decay_rate 0: nothing decays
    H.mk_synapse(c, b, "x", "y", id="u", weight=0.5, last_activated=D0, created_at=D0)
    j = _run(c, b, {"reference_time": R, "decay_rate": 0})
    eq((j["report"]["synapses_decayed"], j["report"]["neurons_decayed"]), (0, 0), "decay_rate 0")
    eq(_weight(c, b, "u"), 0.5, "decay_rate 0 leaves the weight")


def test_decay_min_age_days(srv):
    c = srv.c
    b = H.new_brain(c, config={"engine_mode": "fixed"})
    H.mk_neuron(c, b, "x", id="x", created_at=D0)
    H.mk_neuron(c, b, "y", id="y", created_at=D0)
    H.mk_synapse(c, b, "x", "y", id="old", weight=0.8, last_activated=D0, created_at=D0)     # 10 days
    H.mk_synapse(c, b, "y", "x", id="young", weight=0.8, last_activated=D5, created_at=D0)   # 5 days
    dry = _dry(c, b, {"reference_time": R, "min_age_days": 7})
    eq((dry["synapses_processed"], dry["synapses_decayed"]), (2, 1), "dry run with min_age_days 7")
    j = _run(c, b, {"reference_time": R, "min_age_days": 7, "decay_rate": 0.1})
    eq(_counts(j["report"]), _counts(dry), "real run = dry run")
    _close(_weight(c, b, "old"), 0.8 * math.exp(-1.0), "10-day-old synapse decayed")
    eq(_weight(c, b, "young"), 0.8, "5-day-old synapse left alone (min_age_days 7)")


def test_decay_prune_orphans(srv):
    c = srv.c
    b = H.new_brain(c, config={"engine_mode": "fixed"})
    for nid in ("o1", "o2", "o3", "o4", "o5", "o6"):
        H.mk_neuron(c, b, nid, id=nid, created_at=D0)
    # o1: no synapse, no fiber -> orphan; o2: no synapse but in a fiber -> kept
    # o3 -(weak)- o4: the weak synapse is pruned, then o3 is an orphan; o4 is in a fiber
    # o5 -(strong)- o6: kept
    H.mk_synapse(c, b, "o3", "o4", id="weak", weight=0.012, last_activated=D0, created_at=D0)
    H.mk_synapse(c, b, "o5", "o6", id="strong", weight=0.9, last_activated=D0, created_at=D0)
    H.mk_fiber(c, b, ["o2", "o4"], anchor="o2", id="f", created_at=D0)
    body = {"reference_time": R, "decay_rate": 0.1}
    # a dry run counts the orphans there are now (o1)
    dry = _dry(c, b, dict(body, prune_orphans=True))
    eq((dry["synapses_pruned"], dry["orphans_removed"]), (1, 1), "dry run: 1 pruned synapse, 1 orphan now")
    # without prune_orphans nothing but the synapse goes
    j = _run(c, b, body)
    eq((j["report"]["synapses_pruned"], j["report"]["orphans_removed"]), (1, 0), "prune_orphans false")
    eq(H.counts(c, b), (6, 1, 1), "weak synapse deleted, no neuron deleted")
    # with prune_orphans: o1 and (now) o3
    j = _run(c, b, dict(body, prune_orphans=True), what="prune_orphans run")
    _check_report(j["report"], "prune_orphans run", orphans_removed=2, synapses_pruned=0, neurons_processed=6)
    for nid in ("o1", "o3"):
        err(c.req("GET", f"/memory/neurons/{nid}", brain=b), 404, f"Neuron {nid} not found", what=f"{nid} removed")
        err(c.req("GET", f"/memory/neurons/{nid}/state", brain=b), 404, what=f"{nid} state removed")
    for nid in ("o2", "o4", "o5", "o6"):
        ok(c.req("GET", f"/memory/neurons/{nid}", brain=b), 200, f"{nid} kept")
    eq(H.counts(c, b), (4, 1, 1), "two orphans removed")
    eq(ok(c.req("GET", "/memory/fiber/f", brain=b), 200)["neuron_ids"], ["o2", "o4"], "fiber intact")
    j = _run(c, b, dict(body, prune_orphans=True), what="again")
    eq(j["report"]["orphans_removed"], 0, "no orphans left")


# ---------------------------------------------------------------------------
# compat mode (ENGINE.md §6.2, A.5)

def test_decay_compat_arithmetic(srv):
    c = srv.c
    b = H.new_brain(c, config={"engine_mode": "compat", "decay_rate": 0.1})
    for nid in ("na", "nb", "nn", "niso", "nsmall"):
        H.mk_neuron(c, b, nid, id=nid, created_at="2025-01-01T00:00:00")
    _set_state(c, b, "na", 0.05, D0)                       # A.5 neuron
    _set_state(c, b, "nn", 0.5, None, created_at="2025-01-01T00:00:00")   # never activated: skipped
    _set_state(c, b, "nsmall", 0.012, D0)                  # pruned -> 0
    H.mk_synapse(c, b, "na", "nb", id="s", weight=0.95, last_activated=D0, created_at="2025-01-01T00:00:00")
    H.mk_synapse(c, b, "nb", "na", id="never", weight=0.7, created_at="2025-01-01T00:00:00")
    H.mk_synapse(c, b, "nb", "nn", id="small", weight=0.012, last_activated=D0, created_at="2025-01-01T00:00:00")
    H.mk_fiber(c, b, ["na"], id="f")
    ref = "2026-01-04T00:00:00"                            # 3 days after D0
    body = {"reference_time": ref, "prune_orphans": True}  # decay_rate from the brain (0.1); no orphans in compat
    expect_s = [0.703777, 0.521371, 0.386241]
    expect_n = [0.037041, 0.027441, 0.020328]
    for i in range(3):
        j = _run(c, b, body, what=f"compat run {i + 1}")
        _check_report(j["report"], f"compat run {i + 1}", neurons_processed=5, neurons_decayed=1 if i else 2,
                      neurons_pruned=0 if i else 1, synapses_processed=3, synapses_decayed=2, synapses_pruned=1,
                      orphans_removed=0)
        _close(_weight(c, b, "s"), expect_s[i], f"compat synapse after run {i + 1} (A.5)", tol=1e-6)
        _close(_level(c, b, "na"), expect_n[i], f"compat neuron after run {i + 1} (A.5)", tol=1e-6)
        _close(_weight(c, b, "s"), 0.95 * math.exp(-0.3 * (i + 1)), f"compat synapse run {i + 1} exact", tol=TOL)
        eq(_weight(c, b, "never"), 0.7, "never-activated synapse does not decay in compat")
        eq(_level(c, b, "nn"), 0.5, "never-activated neuron does not decay in compat")
        eq(_weight(c, b, "small"), 0.012, "pruned synapse counted but kept with its weight")
        eq(_level(c, b, "nsmall"), 0.0, "pruned neuron level set to 0")
    eq(H.counts(c, b), (5, 3, 1), "compat deletes nothing (no synapse prune, no orphan removal)")
    ok(c.req("GET", "/memory/neurons/niso", brain=b), 200, "isolated neuron kept in compat")
    eq(ok(c.req("GET", "/memory/synapses/s", brain=b), 200)["last_activated"], D0, "last_activated unchanged")


# ---------------------------------------------------------------------------
# validation

def test_decay_validation(srv):
    c = srv.c
    b = _small_brain(c)
    before = H.content_of(c, b)
    for body, field in [
        ({"decay_rate": 2}, "decay_rate"), ({"decay_rate": -0.1}, "decay_rate"), ({"decay_rate": "0.1"}, "decay_rate"),
        ({"prune_threshold": -1}, "prune_threshold"), ({"prune_threshold": 1.5}, "prune_threshold"),
        ({"min_age_days": -1}, "min_age_days"), ({"min_age_days": "1"}, "min_age_days"),
        ({"prune_orphans": "yes"}, "prune_orphans"), ({"prune_orphans": 1}, "prune_orphans"),
        ({"reference_time": "yesterday"}, "reference_time"), ({"reference_time": 1767225600}, "reference_time"),
        ({"dry_run": "yes"}, "dry_run"), ({"dry_run": 0}, "dry_run"),
    ]:
        err(_decay(c, b, body), 422, startswith=field, what=f"decay {body!r}")
    for raw in (b"[]", b"\"x\"", b"1", b"null", b"{", b"{\"decay_rate\": 0.1} x"):
        err(_decay(c, b, raw=raw), 422, what=f"decay body {raw!r}")
    # first failing field in order decides
    err(_decay(c, b, {"dry_run": "x", "decay_rate": 5}), 422, startswith="decay_rate", what="field order")
    eq(H.content_of(c, b), before, "brain unchanged after rejected decays")
    missing = uid("nope")
    err(_decay(c, missing, {"dry_run": True}), 404, f"Brain {missing} not found")
    err(_decay(c, missing, {"decay_rate": 7}), 404, f"Brain {missing} not found", what="404 before body checks")
    # bounds accepted; unknown keys ignored; null = absent
    for body in ({"decay_rate": 0, "prune_threshold": 0, "min_age_days": 0}, {"decay_rate": 1, "prune_threshold": 1},
                 {"decay_rate": None, "reference_time": None, "whatever": [1]}):
        _dry(c, b, body, what=f"dry run {body!r}")
    # empty body (no body at all) and {}: defaults, a real run
    _run(c, b, None, what="decay without a body")
    _run(c, b, {}, what="decay with {}")


# ---------------------------------------------------------------------------
# one lifecycle job per brain: 409

def _ndjson(lines):
    return "".join(json.dumps(o) + "\n" for o in lines).encode()


def _import_lines(bid, n):
    lines = [{"kind": "brain", "brain_id": bid, "brain_name": "held import", "exported_at": D0, "version": "0.1.0",
              "config": {}, "metadata": {}}]
    lines += [{"kind": "neuron", "id": f"n{i}", "type": "entity", "content": f"c{i}", "metadata": {},
               "created_at": D0} for i in range(n)]
    lines.append({"kind": "end", "neuron_count": n, "synapse_count": 0, "fiber_count": 0, "typed_memory_count": 0,
                  "project_count": 0})
    return lines


def _held_import(srv, n=3):
    """A streamed import into a new brain whose body is left unfinished: it
    holds the only long-job worker (jobs.workers=1) until the rest is sent.
    Returns (socket, rest of the body, brain id)."""
    y = uid("held")
    lines = _import_lines(y, n)
    part1, part2 = _ndjson(lines[:2]), _ndjson(lines[2:])
    head = H.http_request_bytes("POST", f"/brain/{y}/import",
                                {"Content-Type": "application/x-ndjson",
                                 "Content-Length": str(len(part1) + len(part2))})
    s = srv.raw()
    s.sendall(head + part1)
    # dispatched at its headers, it takes the only long-job worker
    H.poll_until(lambda: _in_flight(srv) == 1, what="in-flight = the import")
    return s, part2, y


def test_decay_409_while_a_job_is_queued(backend):
    """The decay route answers 202 at once (validation runs on a request
    worker); the job waits in the long-job queue behind a held import, and
    a second decay of the same brain is 409 naming it. GET /jobs shows it
    queued; once the import finishes the job runs to done."""
    srv = H.start(backend, sets={"jobs.workers": 1})
    c = srv.c
    x = _small_brain(c)
    s_imp, rest, y = _held_import(srv)
    try:
        dec = {"reference_time": R, "decay_rate": 0.05}
        r1 = c.req("POST", f"/brain/{x}/decay", dec)
        eq(r1[0], 202, f"first decay: {r1!r}")
        j1 = r1[2]["job_id"]
        eq(c.req("GET", f"/jobs/{j1}")[2]["state"], "queued", "job waits behind the held import")
        r2 = c.req("POST", f"/brain/{x}/decay", dec)
        eq(r2[0], 409, f"second decay while {j1} is queued: {r2!r}")
        expect(H.is_json_ct(r2[1]), "409 content type")
        expect(list(r2[2]) == ["detail"] and j1 in r2[2]["detail"], f"409 detail names the queued job {j1}: {r2[2]!r}")
        ok(c.req("GET", "/health"), 200, "health while the long-job worker is busy")
        s_imp.sendall(rest)
        (ri,), _ = H.read_responses(s_imp, 1)
        eq(ri.status, 200, f"held import completes: {ri!r}")
        eq(ri.body["neuron_count"], 3, "imported neurons")
    finally:
        s_imp.close()
    j = _wait_job(c, j1)
    eq(j["state"], "done", "first decay job done")
    _close(_weight(c, x, "s"), 0.8 * math.exp(-0.5), "first decay applied once")
    # the brain is free again; other brains never were
    j2 = _run(c, x, {"reference_time": R}, what="decay after the job ended")
    expect(j2["job_id"] != j1, "new job")
    _run(c, y, {"reference_time": R}, what="decay of the imported brain")


def test_decay_one_job_rule_is_per_brain(backend):
    """The one-job rule is per brain: with the long-job worker held, decays
    of two different brains are both accepted (202), and both run once it
    is free."""
    srv = H.start(backend, sets={"jobs.workers": 1})
    c = srv.c
    x1, x2 = _small_brain(c), _small_brain(c)
    s_imp, rest, _ = _held_import(srv)
    try:
        r1 = c.req("POST", f"/brain/{x1}/decay", {"reference_time": R})
        r2 = c.req("POST", f"/brain/{x2}/decay", {"reference_time": R})
        eq((r1[0], r2[0]), (202, 202), f"both brains accepted: {r1!r} {r2!r}")
        s_imp.sendall(rest)
        (ri,), _ = H.read_responses(s_imp, 1)
        eq(ri.status, 200, f"held import completes: {ri!r}")
    finally:
        s_imp.close()
    for r in (r1, r2):
        eq(_wait_job(c, r[2]["job_id"])["state"], "done", "job done")


KEYS = {"root": ("admin-key-0001", "admin"), "alice": ("alice-key-0001", "user"),
        "bob": ("bob-key-0001", "user"), "carol": ("carol-key-0001", "user")}


def test_jobs_auth(backend):
    srv = H.start(backend, config={"auth.enabled": "on",
                                   "auth.key": [f"{H.sha256_hex(k)} {p} {role}" for p, (k, role) in KEYS.items()]})
    cl = {who: srv.client(headers={"Authorization": f"Bearer {KEYS[who][0]}"}) for who in KEYS}
    anon = srv.c
    alice = cl["alice"]
    b = _small_brain(alice, shared_with=["bob"])
    # no key / bad key: 401 on both routes
    for c, what in ((anon, "no key"), (srv.client(headers={"Authorization": "Bearer wrong"}), "bad key")):
        r = _decay(c, b, {"dry_run": True})
        err(r, 401, "Missing or invalid API key", what=f"decay, {what}")
        expect(r[1].get("www-authenticate", "").lower().startswith("bearer"), "WWW-Authenticate")
        err(c.req("GET", "/jobs/whatever"), 401, "Missing or invalid API key", what=f"GET job, {what}")
    # decay needs write access: bob (shared, read-only) and carol (nothing) get 403
    for who in ("bob", "carol"):
        err(_decay(cl[who], b, {"dry_run": True}), 403, f"Access to brain {b} denied", what=f"{who} decays")
        err(_decay(cl[who], b, {"decay_rate": 7}), 403, f"Access to brain {b} denied", what=f"{who}: 403 before 422")
    job_id = _started(_decay(alice, b, {"reference_time": R}))
    j = _wait_job(alice, job_id, "alice's job")
    eq(j["brain_id"], b, "brain_id")
    eq(ok(cl["bob"].req("GET", f"/jobs/{job_id}"), 200, "bob (shared_with) reads the job"), j, "bob sees the job")
    eq(ok(cl["root"].req("GET", f"/jobs/{job_id}"), 200, "admin reads the job"), j, "admin sees the job")
    err(cl["carol"].req("GET", f"/jobs/{job_id}"), 403, what="carol cannot read alice's brain")
    err(anon.req("GET", f"/jobs/{job_id}"), 401, "Missing or invalid API key", what="no key")
    err(cl["carol"].req("GET", "/jobs/no-such-job"), 404, "Job no-such-job not found", what="unknown job with a key")
    # admin may decay any brain
    _run(cl["root"], b, {"reference_time": R}, what="admin decay")
    # once the brain is gone only admins still see its job
    ok(alice.req("DELETE", f"/brain/{b}"), 200, "delete brain")
    err(alice.req("GET", f"/jobs/{job_id}"), 403, what="owner, brain deleted")
    eq(ok(cl["root"].req("GET", f"/jobs/{job_id}"), 200, "admin, brain deleted")["job_id"], job_id, "admin")


# ---------------------------------------------------------------------------
# scheduled decay

def test_scheduled_decay(backend):
    srv = H.start(backend, sets={"decay_interval": "100ms"})
    c = srv.c
    b = H.new_brain(c, config={"engine_mode": "fixed", "decay_rate": 0.1})
    t0 = H.utcnow()
    la = t0 - datetime.timedelta(days=10)
    la_s = la.isoformat(timespec="microseconds")
    H.mk_neuron(c, b, "x", id="x", created_at=la_s)
    H.mk_neuron(c, b, "y", id="y", created_at=la_s)
    H.mk_synapse(c, b, "x", "y", id="s", weight=0.9, last_activated=la_s, created_at=la_s)
    w = H.poll_until(lambda: (lambda v: v if v < 0.9 else None)(_weight(c, b, "s")), timeout=60,
                     what="the scheduled decay to decay the synapse")
    t1 = H.utcnow()
    # fixed mode: however many rounds ran, w = 0.9 * exp(-0.1 * days(last round)),
    # and the last round's reference time lies between t0 and t1
    def at(t):
        return 0.9 * math.exp(-0.1 * (t - la).total_seconds() / 86400)
    expect(at(t1) - 1e-9 <= w <= at(t0) + 1e-9, f"scheduled decay weight {w} not in [{at(t1)}, {at(t0)}]")
    pat = re.compile(r"job ([0-9a-f-]{36}): decay of brain " + re.escape(b) + r" done: (\{.*\})")
    m = H.poll_until(lambda: pat.search(srv.log_text()), what="the scheduled job's log line")
    job_id = m.group(1)
    rep = json.loads(m.group(2))
    _check_report(rep, "scheduled report (log)", dry_run=False)
    j = ok(c.req("GET", f"/jobs/{job_id}"), 200, "scheduled job visible in GET /jobs")
    _check_job(j, "scheduled job", kind="decay", brain_id=b, state="done", error=None)
    eq(j["done"], j["total"], "scheduled job done == total")
    expect("scheduled decay" in srv.log_text(), "scheduled decay logged")
