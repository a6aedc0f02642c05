"""Export/import transport (PROTOCOL.md §3.2, §6.4, §6.6 "Export transport"):
chunked exports (JSON = NDJSON content), exclude_sensitive, streamed
imports (chunked bodies, clients that vanish, errors answered before the
body ends), NDJSON and JSON import errors with nothing written.

Synchronisation: a streamed import is dispatched at its headers and counted
in nmemd_http_requests_in_flight (on the loop, right after it is queued)
until its job has finished — after a failed import has removed the brain it
created. Tests poll that gauge (with a deadline) instead of sleeping.
"""
import json
import random

import harness as H
from harness import eq, expect, ok, err, enum_err, uid

T0 = "2026-01-02T03:04:05.000000"
ND = {"Content-Type": "application/x-ndjson"}


# ---------------------------------------------------------------------------
# snapshot builders

def _neuron(i, content=None, type="entity", created_at=T0, metadata=None):
    return {"id": i, "type": type, "content": content if content is not None else f"content {i}",
            "metadata": metadata or {}, "created_at": created_at}


def _synapse(i, s, t, type="related_to", weight=0.5, direction="bi", metadata=None, created_at=T0,
             last_activated=None, reinforced_count=0):
    return {"id": i, "source_id": s, "target_id": t, "type": type, "weight": weight, "direction": direction,
            "metadata": metadata or {}, "reinforced_count": reinforced_count, "last_activated": last_activated,
            "created_at": created_at}


def _fiber(i, neuron_ids, anchor=None, synapse_ids=(), **kw):
    f = {"id": i, "neuron_ids": list(neuron_ids), "synapse_ids": list(synapse_ids),
         "anchor_neuron_id": anchor or neuron_ids[0], "time_start": None, "time_end": None, "coherence": 0.0,
         "salience": 0.0, "frequency": 0, "summary": None, "tags": [], "metadata": {}, "created_at": T0}
    f.update(kw)
    return f


def _typed_memory(fiber_id, memory_type="fact", i=0):
    return {"fiber_id": fiber_id, "memory_type": memory_type, "priority": i % 11,
            "provenance": {"source": "user", "confidence": "high", "verified": False, "verified_at": None,
                           "created_by": "tester", "last_confirmed": None},
            "expires_at": None, "project_id": "p-1", "tags": ["t", f"t{i}"], "metadata": {"k": i},
            "created_at": "2026-01-01T00:00:00.000000"}


def _project(pid):
    return {"id": pid, "name": f"project {pid}", "description": "d", "start_date": "2026-01-01T00:00:00.000000",
            "end_date": None, "tags": ["x"], "priority": 1.0, "metadata": {}, "created_at": "2026-01-01T00:00:00.000000"}


def _snapshot(name="Imported", neurons=(), synapses=(), fibers=(), config=None, metadata=None, brain_id="src"):
    s = {"brain_id": brain_id, "brain_name": name, "exported_at": "2026-02-01T00:00:00.000000", "version": "0.1.0",
         "neurons": list(neurons), "synapses": list(synapses), "fibers": list(fibers),
         "config": config if config is not None else {"decay_rate": 0.2}}
    if metadata is not None:
        s["metadata"] = metadata
    return s


def _to_ndjson_lines(snap):
    """A JSON snapshot as NDJSON line objects (§6.4), end line included."""
    meta = dict(snap.get("metadata") or {})
    typed, projects = meta.pop("typed_memories", []), meta.pop("projects", [])
    lines = [{"kind": "brain", "brain_id": snap["brain_id"], "brain_name": snap["brain_name"],
              "exported_at": snap["exported_at"], "version": snap["version"], "config": snap["config"],
              "metadata": meta}]
    for kind, items in (("neuron", snap["neurons"]), ("synapse", snap["synapses"]), ("fiber", snap["fibers"]),
                        ("typed_memory", typed), ("project", projects)):
        lines += [dict({"kind": kind}, **o) for o in items]
    lines.append({"kind": "end", "neuron_count": len(snap["neurons"]), "synapse_count": len(snap["synapses"]),
                  "fiber_count": len(snap["fibers"]), "typed_memory_count": len(typed),
                  "project_count": len(projects)})
    return lines


def _nd(lines, sep="\n"):
    return "".join((ln if isinstance(ln, str) else json.dumps(ln, ensure_ascii=False)) + sep
                   for ln in lines).encode("utf-8")


def _dt(rng):
    return (f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999999):06d}")


def _big_snapshot(n_neurons=5000, n_synapses=5000, n_fibers=60, seed=7):
    rng = random.Random(seed)
    words = ["alpha", "beta", "Đà Nẵng", "café", "東京", "zeta", "quote\"d", "back\\slash", "tab\tbed", "emoji 🧠"]
    neurons = [_neuron(f"n{i:05d}", content=f"{rng.choice(words)} {i} {rng.choice(words)}",
                       type=rng.choice(H.NEURON_TYPES), created_at=_dt(rng),
                       metadata={"i": i, "w": rng.random()} if i % 3 == 0 else {})
               for i in range(n_neurons)]
    synapses = []
    for i in range(n_synapses):
        a, b = rng.randrange(n_neurons), rng.randrange(n_neurons)
        synapses.append(_synapse(f"s{i:05d}", neurons[a]["id"], neurons[b]["id"], type=rng.choice(H.SYNAPSE_TYPES),
                                 weight=rng.choice([0.0, 1.0, 0.5, 0.7, 0.1, rng.random()]),
                                 direction=rng.choice(H.DIRECTIONS), metadata={"k": i} if i % 5 == 0 else {},
                                 created_at=_dt(rng), last_activated=_dt(rng) if i % 2 else None,
                                 reinforced_count=i % 4))
    fibers = []
    for i in range(n_fibers):
        nids = rng.sample([n["id"] for n in neurons], rng.randint(1, 8))
        sids = rng.sample([s["id"] for s in synapses], rng.randint(0, 5))
        ts = _dt(rng)
        fibers.append(_fiber(f"f{i:03d}", nids, anchor=rng.choice(nids), synapse_ids=sids, time_start=ts,
                             time_end=ts if i % 2 else None, coherence=rng.random(), salience=rng.random(),
                             frequency=i, summary=f"summary {i}" if i % 3 else None, tags=[f"tag{i % 4}", "all"],
                             metadata={"enc": i}, created_at=_dt(rng)))
    typed = [_typed_memory(f"f{i:03d}", ["fact", "decision", "todo", "insight"][i % 4], i) for i in range(0, n_fibers, 3)]
    meta = {"typed_memories": typed, "projects": [_project("p-1"), _project("p-2")], "source": "generator"}
    config = {"decay_rate": 0.25, "reinforcement_delta": 0.1, "activation_threshold": 0.3, "max_spread_hops": 6,
              "max_context_tokens": 2000, "default_synapse_weight": 0.4}
    return _snapshot(name="Big brain", neurons=neurons, synapses=synapses, fibers=fibers, config=config,
                     metadata=meta)


def _strip(lines):
    return [{k: v for k, v in o.items() if k != "kind"} for o in lines]


def _ndjson_objs(raw):
    text = raw.decode("utf-8")
    expect(text.endswith("\n"), "NDJSON ends with a newline")
    lines = text.split("\n")[:-1]
    expect(all(lines), "no blank lines in an NDJSON export")
    return [json.loads(ln) for ln in lines]


def _in_flight(srv):
    r = srv.c.req("GET", "/metrics")
    H.status(r, 200, "metrics")
    return H.metric_value(H.parse_metrics(r.raw.decode()), "nmemd_http_requests_in_flight")


def _idle(srv, what="requests to finish"):
    H.poll_until(lambda: _in_flight(srv) == 0, what=what)


def _absent(c, b, what):
    err(c.req("GET", f"/brain/{H.pq(b)}"), 404, f"Brain {b} not found", what=what)


def _export_content(c, b, **query):
    e = ok(c.req("GET", f"/brain/{H.pq(b)}/export", query=query or None), 200, "export")
    e.pop("exported_at")
    return e


def _small_snapshot():
    return _snapshot(neurons=[_neuron("n1"), _neuron("n2", content="Đà Nẵng")],
                     synapses=[_synapse("s1", "n1", "n2", weight=0.7)],
                     fibers=[_fiber("f1", ["n1", "n2"], synapse_ids=["s1"], salience=0.5)],
                     metadata={"typed_memories": [_typed_memory("f1")], "projects": [_project("p-1")]})


def _existing(c):
    """A populated brain to import bad data into; returns (id, content_of)."""
    b = H.new_brain(c, name="existing", owner_id="alice", config={"decay_rate": 0.3})
    H.mk_neuron(c, b, "keep me", id="n1", created_at=T0)
    H.mk_neuron(c, b, "and me", id="n9", created_at=T0)
    H.mk_synapse(c, b, "n1", "n9", id="s9", weight=0.9)
    H.mk_fiber(c, b, ["n1"], id="f9")
    return b, H.content_of(c, b)


# ---------------------------------------------------------------------------
# export transport

def _raw_get(srv, path, headers=None):
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("GET", path, headers))
        (r,), _ = H.read_responses(s, 1)
        # the terminating chunk was sent: the connection stays usable
        s.sendall(H.http_request_bytes("GET", "/health"))
        (r2,), _ = H.read_responses(s, 1)
        eq(r2.status, 200, f"keep-alive after GET {path}")
    finally:
        s.close()
    return r


def test_export_is_chunked(srv):
    c = srv.c
    b = f"exp-{uid('c')}"
    ok(c.req("POST", f"/brain/{b}/import", _small_snapshot()), 200, "import")
    for query, ctype in (("", "application/json"), ("?format=json", "application/json"),
                         ("?format=ndjson", "application/x-ndjson")):
        r = _raw_get(srv, f"/brain/{b}/export{query}")
        eq(r.status, 200, f"export{query}: {r!r}")
        eq(r.headers.get("transfer-encoding", "").lower(), "chunked", f"export{query}: Transfer-Encoding")
        expect("content-length" not in r.headers, f"export{query}: no Content-Length with chunked")
        eq(r.headers.get("content-type", "").split(";")[0].strip(), ctype, f"export{query}: Content-Type")
        if ctype == "application/json":
            e = json.loads(r.raw)
            H.check_keys(e, H.SNAPSHOT_KEYS, "chunked JSON export")
        else:
            objs = _ndjson_objs(r.raw)
            eq(objs[0]["kind"], "brain", "first line")
            eq(objs[-1]["kind"], "end", "last line")
    r = _raw_get(srv, f"/brain/{b}/export", {"Accept": "application/x-ndjson"})
    eq(r.headers.get("content-type", "").split(";")[0], "application/x-ndjson", "Accept selects NDJSON")
    eq(r.headers.get("transfer-encoding", "").lower(), "chunked", "NDJSON by Accept: chunked")


def test_export_head_and_format(srv):
    c = srv.c
    b = f"exp-{uid('h')}"
    ok(c.req("POST", f"/brain/{b}/import", _small_snapshot()), 200, "import")
    for query, ctype in (({}, "application/json"), ({"format": "ndjson"}, "application/x-ndjson")):
        g = c.req("GET", f"/brain/{b}/export", query=query or None)
        h = c.req("HEAD", f"/brain/{b}/export", query=query or None)
        eq(h[0], 200, f"HEAD export {query}")
        eq(h.raw, b"", f"HEAD export {query}: no body")
        eq(h[1].get("content-type", "").split(";")[0], ctype, f"HEAD export {query}: Content-Type")
        eq(g[0], 200, f"GET export {query}")
    # HEAD then GET on one connection: the HEAD answer has no body on the wire
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("HEAD", f"/brain/{b}/export") + H.http_request_bytes("GET", "/health"))
        rs, _ = H.read_responses(s, 2, head_methods=["HEAD"])
        eq([r.status for r in rs], [200, 200], "HEAD export then GET")
        eq(rs[1].body.get("status"), "healthy", "response after HEAD intact")
    finally:
        s.close()
    enum_err(c.req("GET", f"/brain/{b}/export", query={"format": "xml"}), "format", H.EXPORT_FORMATS)
    H.status(c.req("HEAD", f"/brain/{b}/export", query={"format": "xml"}), 400, "HEAD format=xml")
    err(c.req("GET", f"/brain/{b}/export", query={"exclude_sensitive": "maybe"}), 422, startswith="exclude_sensitive")
    missing = uid("nope")
    err(c.req("GET", f"/brain/{missing}/export", query={"format": "ndjson"}), 404, f"Brain {missing} not found")
    H.status(c.req("HEAD", f"/brain/{missing}/export"), 404, "HEAD export of a missing brain")


def test_export_head_headers_match_get(srv):
    """HEAD is GET without the body (§1.1): RFC 9110 §8.6 allows Content-Length
    on a HEAD answer only with the value the GET would send; the GET is
    chunked, so the HEAD must not claim "Content-Length: 0" (a client or
    proxy would take the export for empty)."""
    c = srv.c
    b = f"exp-{uid('h')}"
    ok(c.req("POST", f"/brain/{b}/import", _small_snapshot()), 200, "import")
    for query in ({}, {"format": "ndjson"}):
        g = c.req("GET", f"/brain/{b}/export", query=query or None)
        h = c.req("HEAD", f"/brain/{b}/export", query=query or None)
        if "content-length" in h[1]:
            eq(h[1]["content-length"], str(len(g.raw)), f"HEAD export {query}: Content-Length (GET body length)")


def test_large_brain_json_equals_ndjson_and_round_trips(srv):
    c = srv.c
    snap = _big_snapshot()
    a = f"big-{uid('a')}"
    br = ok(c.req("POST", f"/brain/{a}/import", raw=_nd(_to_ndjson_lines(snap)), headers=ND), 200, "NDJSON import")
    eq((br["neuron_count"], br["synapse_count"], br["fiber_count"]), (5000, 5000, 60), "imported counts")
    # JSON export = what was imported
    e = _export_content(c, a)
    eq(e["brain_id"], a, "brain_id")
    eq(e["brain_name"], "Big brain", "brain_name")
    for k in ("neurons", "synapses", "fibers", "config"):
        eq(e[k], snap[k], f"JSON export {k} = imported snapshot")
    eq(e["metadata"], snap["metadata"], "metadata: typed memories, projects and other keys kept")
    # NDJSON export = JSON export, line by line
    r = c.req("GET", f"/brain/{a}/export", query={"format": "ndjson"})
    H.status(r, 200, "NDJSON export")
    objs = _ndjson_objs(r.raw)
    kinds = [o["kind"] for o in objs]
    n_tm, n_pr = len(snap["metadata"]["typed_memories"]), len(snap["metadata"]["projects"])
    eq(kinds, ["brain"] + ["neuron"] * 5000 + ["synapse"] * 5000 + ["fiber"] * 60 + ["typed_memory"] * n_tm
       + ["project"] * n_pr + ["end"], "NDJSON line kinds in section order")
    head = objs[0]
    eq(sorted(head), sorted(["kind", "brain_id", "brain_name", "exported_at", "version", "config", "metadata"]),
       "brain line keys")
    eq((head["brain_id"], head["brain_name"], head["version"], head["config"]),
       (e["brain_id"], e["brain_name"], e["version"], e["config"]), "brain line = JSON head")
    eq(head["metadata"], {"source": "generator"}, "brain line metadata: without typed_memories/projects")
    body = _strip(objs[1:-1])
    eq(body[:5000], e["neurons"], "neuron lines = JSON neurons")
    eq(body[5000:10000], e["synapses"], "synapse lines = JSON synapses")
    eq(body[10000:10060], e["fibers"], "fiber lines = JSON fibers")
    eq(body[10060:10060 + n_tm], e["metadata"]["typed_memories"], "typed_memory lines")
    eq(body[10060 + n_tm:], e["metadata"]["projects"], "project lines")
    eq(_strip([objs[-1]])[0], {"neuron_count": 5000, "synapse_count": 5000, "fiber_count": 60,
                               "typed_memory_count": n_tm, "project_count": n_pr}, "end line")
    # JSON export -> JSON import into a new brain -> the same content
    full = H.export(c, a)
    b = f"big-{uid('b')}"
    br = ok(c.req("POST", f"/brain/{b}/import", full), 200, "JSON import of the export")
    eq((br["neuron_count"], br["synapse_count"], br["fiber_count"]), (5000, 5000, 60), "copy counts")
    e2 = _export_content(c, b)
    for k in ("brain_name", "version", "neurons", "synapses", "fibers", "config", "metadata"):
        eq(e2[k], e[k], f"round trip {k}")
    # the NDJSON export imports back to the same content too
    d = f"big-{uid('d')}"
    ok(c.req("POST", f"/brain/{d}/import", raw=r.raw, headers=ND), 200, "NDJSON import of the NDJSON export")
    e3 = _export_content(c, d)
    for k in ("brain_name", "version", "neurons", "synapses", "fibers", "config", "metadata"):
        eq(e3[k], e[k], f"NDJSON round trip {k}")
    s = H.stats(c, d)
    eq(s["project_count"], n_pr, "project_count")
    eq(sum(s["memory_types"].values()), n_tm, "typed memories counted")


# ---------------------------------------------------------------------------
# exclude_sensitive

SECRETS = {
    "n-api": "config: api_key = sk-abcdefghijklmnop1234",
    "n-pw": "password: hunter2hunter2",
    "n-aws": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "n-pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "n-jwt": "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",  # jwt: severity 2
}
BENIGN = {
    "n-ok1": "Alice met Bob at the cafe",
    "n-ok2": "deploy notes for friday: password rotation is due",
    "n-hex": "commit 3f786850e387550fdab836ed7e6dc881de23001b",        # generic hex: severity 1, kept
    "n-b64": "blob QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xt",  # generic base64: severity 1, kept
    "n-akia": "an access key id alone: AKIAIOSFODNN7EXAMPLE",           # aws rule needs the key name
}


def _sensitive_snapshot():
    neurons = [_neuron(i, content=t) for i, t in list(BENIGN.items()) + list(SECRETS.items())]
    synapses = [_synapse("s-ok", "n-ok1", "n-ok2"), _synapse("s-api", "n-ok1", "n-api"),
                _synapse("s-pw", "n-pw", "n-ok2"), _synapse("s-hex", "n-ok1", "n-hex"),
                _synapse("s-pem", "n-pem", "n-jwt")]
    fibers = [_fiber("f-keep", ["n-ok1", "n-api", "n-ok2", "n-pw"], anchor="n-ok1",
                     synapse_ids=["s-ok", "s-api", "s-pw", "s-hex"]),
              _fiber("f-drop", ["n-aws", "n-ok1"], anchor="n-aws", synapse_ids=["s-ok"]),
              _fiber("f-other", ["n-hex", "n-jwt"], anchor="n-hex", synapse_ids=["s-pem"])]
    meta = {"typed_memories": [_typed_memory("f-keep"), _typed_memory("f-drop", "decision"),
                               _typed_memory("f-other", "todo")],
            "projects": [_project("p-1")]}
    return _snapshot(name="secrets", neurons=neurons, synapses=synapses, fibers=fibers, metadata=meta)


def test_export_exclude_sensitive(srv):
    c = srv.c
    snap = _sensitive_snapshot()
    b = f"sens-{uid('x')}"
    ok(c.req("POST", f"/brain/{b}/import", snap), 200, "import")
    full = _export_content(c, b)
    eq(H.ids(full["neurons"]), [n["id"] for n in snap["neurons"]], "default export keeps everything")
    eq(_export_content(c, b, exclude_sensitive="false"), full, "exclude_sensitive=false")
    e = _export_content(c, b, exclude_sensitive="true")
    eq(H.ids(e["neurons"]), list(BENIGN), "secret neurons dropped, benign kept (severity >= 2 only)")
    eq(H.ids(e["synapses"]), ["s-ok", "s-hex"], "synapses touching a secret neuron dropped")
    eq(H.ids(e["fibers"]), ["f-keep", "f-other"], "fiber anchored on a secret neuron dropped")
    fk, fo = e["fibers"]
    eq(fk["neuron_ids"], ["n-ok1", "n-ok2"], "secret ids vanish from neuron_ids")
    eq(fk["synapse_ids"], ["s-ok", "s-hex"], "dropped synapse ids vanish from synapse_ids")
    eq(fo["neuron_ids"], ["n-hex"], "f-other neuron_ids")
    eq(fo["synapse_ids"], [], "f-other synapse_ids")
    for f, orig in ((fk, snap["fibers"][0]), (fo, snap["fibers"][2])):
        eq({k: v for k, v in f.items() if k not in ("neuron_ids", "synapse_ids")},
           {k: v for k, v in orig.items() if k not in ("neuron_ids", "synapse_ids")}, f"{f['id']} otherwise intact")
    eq([t["fiber_id"] for t in e["metadata"]["typed_memories"]], ["f-keep", "f-other"],
       "typed memory of the dropped fiber dropped")
    eq(e["metadata"]["projects"], snap["metadata"]["projects"], "projects kept")
    for k in ("brain_name", "version", "config"):
        eq(e[k], full[k], f"{k} unchanged")
    # NDJSON: the same content, end counts of what was written
    r = c.req("GET", f"/brain/{b}/export", query={"format": "ndjson", "exclude_sensitive": "1"})
    H.status(r, 200)
    objs = _ndjson_objs(r.raw)
    by = {}
    for o in objs:
        by.setdefault(o["kind"], []).append({k: v for k, v in o.items() if k != "kind"})
    eq(by["neuron"], e["neurons"], "NDJSON neurons")
    eq(by["synapse"], e["synapses"], "NDJSON synapses")
    eq(by["fiber"], e["fibers"], "NDJSON fibers")
    eq(by["typed_memory"], e["metadata"]["typed_memories"], "NDJSON typed memories")
    eq(by["end"][0], {"neuron_count": 5, "synapse_count": 2, "fiber_count": 2, "typed_memory_count": 2,
                      "project_count": 1}, "NDJSON end counts of the filtered export")
    # the filtered export is a consistent snapshot: it imports, and has no secret left
    t = f"sens-{uid('y')}"
    ok(c.req("POST", f"/brain/{t}/import", raw=r.raw, headers=ND), 200, "filtered export imports")
    eq(_export_content(c, t)["neurons"], e["neurons"], "imported filtered neurons")
    text = json.dumps(e)
    for secret in ("sk-abcdefghijklmnop1234", "hunter2hunter2", "aws_access_key_id", "BEGIN RSA", "eyJhbGci"):
        expect(secret not in text, f"{secret!r} left in the filtered export")
    eq(_export_content(c, b), full, "the brain itself is unchanged")


# ---------------------------------------------------------------------------
# NDJSON import errors: all-or-nothing

def _base_lines():
    """Lines 1 brain, 2 neuron n1, 3 neuron n2, 4 synapse s1, 5 fiber f1, 6 end."""
    return _to_ndjson_lines(_snapshot(neurons=[_neuron("n1"), _neuron("n2")], synapses=[_synapse("s1", "n1", "n2")],
                                      fibers=[_fiber("f1", ["n1", "n2"])]))


def _end(lines, **counts):
    out = [dict(o) for o in lines]
    out[-1].update(counts)
    return out


def _ndjson_bad_cases():
    L = _base_lines()
    brain, n1, n2, s1, f1, end = L
    n3 = dict(n2, id="n3")
    return [
        ("first line not brain", [n1, n2, brain, s1, f1, end], 422, 'line 1: the first line must be kind "brain"'),
        ("unknown kind", [brain, n1, {"kind": "axon", "id": "a"}, n2, s1, f1, end], 422, "line 3: unknown kind 'axon'"),
        ("no kind", [brain, {"id": "n1", "type": "entity", "content": "x"}, n2, s1, f1, end], 422, "line 2"),
        ("not an object", [brain, "[1, 2]", n2, s1, f1, end], 422, "line 2"),
        ("second brain line", [brain, brain, n1, n2, s1, f1, end], 422, 'line 2: a second "brain" line'),
        ("neuron after synapse", [brain, n1, n2, s1, n3, f1, _end(L, neuron_count=3)[-1]], 422,
         "line 5: 'neuron' line out of order"),
        ("synapse after fiber", [brain, n1, n2, f1, s1, end], 422, "line 5: 'synapse' line out of order"),
        ("end counts differ", [brain, n1, n2, s1, f1, _end(L, neuron_count=3)[-1]], 422,
         "truncated or inconsistent stream"),
        ("end count missing", [brain, n1, n2, s1, f1, {"kind": "end", "neuron_count": 2}], 422,
         "truncated or inconsistent stream"),
        ("missing end line", [brain, n1, n2, s1, f1], 422, "truncated or inconsistent stream"),
        ("data after the end line", [brain, n1, n2, s1, f1, end, n3], 422, "line 7: data after the end line"),
        ("invalid JSON on line 4", [brain, n1, n2, '{"kind": "synapse", "id": ', f1, end], 422, "line 4"),
        ("unknown synapse source", [brain, n1, n2, dict(s1, source_id="ghost"), f1, end], 422,
         "line 4: source_id: neuron ghost not found"),
        ("duplicate neuron id", [brain, n1, dict(n2, id="n1"), s1, f1, end], 422, "line 3: id: duplicate id n1"),
        ("duplicate synapse id", [brain, n1, n2, s1, dict(s1, source_id="n2"), f1, _end(L, synapse_count=2)[-1]],
         422, "line 5: id: duplicate id s1"),
        ("bad weight", [brain, n1, n2, dict(s1, weight=2), f1, end], 422, "line 4: weight"),
        ("bad anchor", [brain, n1, n2, s1, dict(f1, anchor_neuron_id="n9"), end], 422, "line 5: anchor_neuron_id"),
        ("bad neuron enum", [brain, n1, dict(n2, type="weird"), s1, f1, end], 400, "line 3: type"),
        ("bad synapse enum", [brain, n1, n2, dict(s1, direction="sideways"), f1, end], 400, "line 4: direction"),
        ("empty body", [], 422, None),
    ]


def test_ndjson_import_errors_write_nothing(srv):
    c = srv.c
    existing, before = _existing(c)
    for name, lines, code, prefix in _ndjson_bad_cases():
        body = _nd(lines)
        target = uid("nd")
        r = c.req("POST", f"/brain/{target}/import", raw=body, headers=ND)
        d = err(r, code, startswith=prefix, what=name)
        if code == 400:
            expect("allowed" in d, f"{name}: enum detail lists the allowed values: {d!r}")
        _absent(c, target, f"{name}: no brain created")
        r = c.req("POST", f"/brain/{existing}/import", raw=body, query={"format": "ndjson"})
        err(r, code, startswith=prefix, what=f"{name} (existing brain)")
        eq(H.content_of(c, existing), before, f"{name}: existing brain unchanged")


def test_ndjson_import_brain_line_errors(srv):
    """An invalid brain line names line 1 and the field, like any other line."""
    c = srv.c
    existing, before = _existing(c)
    brain, n1, n2, s1, f1, end = _base_lines()
    for name, first, prefix in (
        ("bad exported_at", dict(brain, exported_at="soon"), "line 1: exported_at: invalid datetime"),
        ("no brain_name", {k: v for k, v in brain.items() if k != "brain_name"}, "line 1: brain_name: field required"),
        ("empty brain_name", dict(brain, brain_name=""), "line 1: brain_name"),
        ("bad version", dict(brain, version=1), "line 1: version: must be a string"),
        ("bad config", dict(brain, config={"decay_rate": 7}), "line 1: config.decay_rate"),
        ("config not an object", dict(brain, config=[]), "line 1: config: must be an object"),
        ("metadata not an object", dict(brain, metadata=[]), "line 1: metadata: must be an object"),
    ):
        body = _nd([first, n1, n2, s1, f1, end])
        t = uid("bl")
        err(c.req("POST", f"/brain/{t}/import", raw=body, headers=ND), 422, startswith=prefix, what=name)
        _absent(c, t, f"{name}: no brain created")
        err(c.req("POST", f"/brain/{existing}/import", raw=body, headers=ND), 422, startswith=prefix,
            what=f"{name} (existing)")
        eq(H.content_of(c, existing), before, f"{name}: existing brain unchanged")


def test_ndjson_import_line_details(srv):
    c = srv.c
    L = _base_lines()
    # the line number counts physical lines, blank ones included
    body = _nd([L[0], "", L[1], "{oops", L[2]])
    d = err(c.req("POST", f"/brain/{uid('nd')}/import", raw=body, headers=ND), 422, startswith="line 4",
            what="invalid JSON after a blank line")
    expect("invalid JSON" in d, f"detail says what is wrong: {d!r}")
    d = err(c.req("POST", f"/brain/{uid('nd')}/import", raw=_nd(L[:-1]), headers=ND), 422,
            startswith="truncated or inconsistent stream", what="no end line")


def test_ndjson_blank_lines_and_crlf(srv):
    c = srv.c
    snap = _small_snapshot()
    lines = _to_ndjson_lines(snap)
    expect_content = None
    for name, body in (
        ("LF", _nd(lines)),
        ("CRLF", _nd(lines, sep="\r\n")),
        ("blank lines", _nd([lines[0], "", "   ", lines[1], "\r", ""] + lines[2:], sep="\n")),
        ("CRLF + blank lines, no final newline", _nd(["", lines[0], ""] + lines[1:], sep="\r\n")[:-2]),
        ("trailing spaces", "".join(json.dumps(o) + "  \t\n" for o in lines).encode()),
    ):
        t = uid("nd")
        br = ok(c.req("POST", f"/brain/{t}/import", raw=body, headers=ND), 200, name)
        eq((br["neuron_count"], br["synapse_count"], br["fiber_count"]), (2, 1, 1), f"{name}: counts")
        content = _export_content(c, t)
        content.pop("brain_id")
        if expect_content is None:
            expect_content = content
            eq(content["neurons"], snap["neurons"], "neurons")
            eq(content["metadata"], snap["metadata"], "metadata")
        eq(content, expect_content, f"{name}: same content")


def test_ndjson_import_size_limit(backend):
    srv = H.start(backend, sets={"import.max_ndjson_bytes": 4096})
    c = srv.c
    snap = _snapshot(neurons=[_neuron(f"n{i}", content="x" * 100) for i in range(60)])
    big_nd = _nd(_to_ndjson_lines(snap))
    expect(len(big_nd) > 4096, "test body over the limit")
    t = uid("big")
    err(c.req("POST", f"/brain/{t}/import", raw=big_nd, headers=ND), 413, what="NDJSON over import.max_ndjson_bytes")
    _idle(srv)
    _absent(c, t, "413: nothing written")
    # the same limit applies to a chunked body (no Content-Length to refuse early)
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("POST", f"/brain/{t}/import", dict(ND, **{"Transfer-Encoding": "chunked"}))
                  + H.chunked(big_nd, [1000] * 10))
        (r,), _ = H.read_responses(s, 1)
    finally:
        s.close()
    eq(r.status, 413, f"chunked NDJSON over the limit: {r!r}")
    _idle(srv)
    _absent(c, t, "chunked 413: nothing written")
    # the JSON import has its own (larger) limit; a small NDJSON body passes
    ok(c.req("POST", f"/brain/{t}/import", snap), 200, "JSON import of the same snapshot")
    small = _nd(_to_ndjson_lines(_snapshot(neurons=[_neuron("n1")])))
    ok(c.req("POST", f"/brain/{uid('ok')}/import", raw=small, headers=ND), 200, "NDJSON under the limit")
    ok(c.req("GET", "/health"), 200, "healthy")


# ---------------------------------------------------------------------------
# JSON import: member order and errors

def test_json_import_member_order(srv):
    c = srv.c
    snap = _small_snapshot()
    for order in (["metadata", "synapses", "fibers", "neurons", "config", "version", "exported_at", "brain_name",
                   "brain_id"],
                  ["fibers", "synapses", "neurons", "metadata", "brain_name", "brain_id", "config", "version",
                   "exported_at"],
                  ["brain_name", "neurons", "metadata", "exported_at", "fibers", "version", "synapses", "config"]):
        body = {k: snap[k] for k in order if k in snap}
        t = uid("ord")
        br = ok(c.req("POST", f"/brain/{t}/import", body), 200, f"members in order {order}")
        eq((br["neuron_count"], br["synapse_count"], br["fiber_count"]), (2, 1, 1), f"{order}: counts")
        e = _export_content(c, t)
        for k in ("neurons", "synapses", "fibers", "metadata", "brain_name"):
            eq(e[k], snap[k], f"{order}: {k}")
        H.check_config(e["config"], **dict(H.DEFAULT_CONFIG, decay_rate=0.2))


def test_json_import_errors(srv):
    c = srv.c
    existing, before = _existing(c)
    good = _small_snapshot()
    raw_good = json.dumps(good).encode()
    cases = [
        ("duplicate neuron id", json.dumps(dict(good, neurons=[_neuron("n1"), _neuron("n1")])).encode(), 422,
         "neurons[1].id: duplicate id n1"),
        ("duplicate fiber id, fibers first",
         json.dumps({"fibers": [_fiber("f1", ["n1"]), _fiber("f1", ["n1"])], **{k: v for k, v in good.items()
                                                                                if k != "fibers"}}).encode(),
         422, "fibers[1].id: duplicate id f1"),
        ("missing neurons", json.dumps({k: v for k, v in good.items() if k != "neurons"}).encode(), 422,
         "neurons: field required"),
        ("neurons twice", raw_good[:-1] + b', "neurons": []}', 422, "neurons"),
        ("trailing garbage", raw_good + b" xyz", 422, None),
        ("two documents", raw_good + raw_good, 422, None),
        ("truncated document", raw_good[:-20], 422, None),
        ("synapse before its neurons, unknown endpoint",
         json.dumps({"synapses": [_synapse("s1", "n1", "ghost")], **{k: v for k, v in good.items()
                                                                     if k != "synapses"}}).encode(),
         422, "synapses[0].target_id: neuron ghost not found"),
        ("bad enum", json.dumps(dict(good, neurons=[_neuron("n1"), _neuron("n2", type="weird")])).encode(), 400,
         "neurons[1].type"),
    ]
    for name, body, code, prefix in cases:
        t = uid("js")
        err(c.req("POST", f"/brain/{t}/import", raw=body), code, startswith=prefix, what=name)
        _absent(c, t, f"{name}: no brain created")
        err(c.req("POST", f"/brain/{existing}/import", raw=body), code, startswith=prefix, what=f"{name} (existing)")
        eq(H.content_of(c, existing), before, f"{name}: existing brain unchanged")


# ---------------------------------------------------------------------------
# streamed request bodies

def test_import_chunked_small_chunks(srv):
    c = srv.c
    snap = _small_snapshot()
    for name, body, hdrs in (("NDJSON", _nd(_to_ndjson_lines(snap)), ND),
                             ("JSON", json.dumps(snap, ensure_ascii=False).encode(), {"Content-Type": "application/json"})):
        t = uid("chk")
        payload = H.chunked(body, [1, 2, 3, 5, 7] + [7] * (len(body) // 7))
        s = srv.raw()
        try:
            s.sendall(H.http_request_bytes("POST", f"/brain/{t}/import", dict(hdrs, **{"Transfer-Encoding": "chunked"})))
            # one chunk per write (TCP_NODELAY): the body reaches the job in pieces
            pos = 0
            while pos < len(payload):
                end = payload.find(b"\r\n", payload.find(b"\r\n", pos) + 2) + 2
                s.sendall(payload[pos:end])
                pos = end
            (r,), _ = H.read_responses(s, 1)
            eq(r.status, 200, f"{name} chunked import: {r!r}")
            s.sendall(H.http_request_bytes("GET", f"/brain/{t}"))
            (r2,), _ = H.read_responses(s, 1)
            eq(r2.status, 200, f"{name}: keep-alive after a chunked import")
        finally:
            s.close()
        e = _export_content(c, t)
        for k in ("neurons", "synapses", "fibers", "metadata"):
            eq(e[k], snap[k], f"{name} chunked import: {k}")


def _half_then_close(srv, target, body, headers):
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("POST", f"/brain/{H.pq(target)}/import",
                                       dict(headers, **{"Content-Length": str(len(body))})) + body[:len(body) // 2])
        H.poll_until(lambda: _in_flight(srv) == 1, what="the import to be dispatched")
    finally:
        s.close()
    _idle(srv, "the abandoned import to end")


def test_import_client_vanishes(srv):
    c = srv.c
    _idle(srv)
    snap = _big_snapshot(n_neurons=500, n_synapses=500, n_fibers=10)
    for name, body, hdrs in (("NDJSON", _nd(_to_ndjson_lines(snap)), ND),
                             ("JSON", json.dumps(snap).encode(), {"Content-Type": "application/json"})):
        t = uid("gone")
        _half_then_close(srv, t, body, hdrs)
        _absent(c, t, f"{name}: half an import into a new brain leaves nothing")
        existing, before = _existing(c)
        _half_then_close(srv, existing, body, hdrs)
        eq(H.content_of(c, existing), before, f"{name}: half an import into an existing brain changes nothing")
        # chunked, stopped mid-chunk
        s = srv.raw()
        try:
            payload = H.chunked(body, [4096] * (len(body) // 4096))
            s.sendall(H.http_request_bytes("POST", f"/brain/{t}/import", dict(hdrs, **{"Transfer-Encoding": "chunked"}))
                      + payload[:len(payload) // 2])
            H.poll_until(lambda: _in_flight(srv) == 1, what="the chunked import to be dispatched")
        finally:
            s.close()
        _idle(srv, "the abandoned chunked import to end")
        _absent(c, t, f"{name}: half a chunked import leaves nothing")
    ok(c.req("GET", "/health"), 200, "healthy")
    # and the same body, sent whole, still imports
    t = uid("whole")
    ok(c.req("POST", f"/brain/{t}/import", raw=_nd(_to_ndjson_lines(snap)), headers=ND), 200, "whole import")
    eq(H.counts(c, t), (500, 500, 10), "whole import counts")


def _early_error(srv, target, head_headers, first, what):
    """Send the headers of a 50 MB body and its first bytes only; the
    answer must come without the rest, and the connection must close."""
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("POST", f"/brain/{H.pq(target)}/import",
                                       dict(head_headers, **{"Content-Length": str(50 << 20)})) + first)
        data, closed = H.read_until_close(s, timeout=H.IO_TIMEOUT)
    finally:
        s.close()
    rs, _ = H.parse_responses(data)
    expect(len(rs) == 1, f"{what}: one answer before the body is complete, got {data[:300]!r}")
    expect(closed, f"{what}: the server closes the connection (the rest of the body is not read)")
    return rs[0]


def test_import_error_answered_before_body_ends(srv):
    c = srv.c
    L = _base_lines()
    t = uid("early")
    first = _nd([L[0], "{not json", L[1], L[2]])
    r = _early_error(srv, t, ND, first, "NDJSON invalid line 2")
    eq(r.status, 422, f"NDJSON early error: {r!r}")
    expect(r.body["detail"].startswith("line 2"), f"detail: {r.body!r}")
    _idle(srv)
    _absent(c, t, "early NDJSON error: nothing written")
    # JSON: an invalid element before the end of a huge document
    first = (b'{"brain_name": "x", "exported_at": "2026-01-01T00:00:00", "version": "1", "config": {}, '
             b'"neurons": [{"id": "n1", "type": "entity", "content": "a"}, {"id": "n2", "type": "weird", '
             b'"content": "b"}, {"id": "n3", "type": "entity", "content": "')
    r = _early_error(srv, t, {"Content-Type": "application/json"}, first, "JSON bad enum in neurons[1]")
    eq(r.status, 400, f"JSON early error: {r!r}")
    expect(r.body["detail"].startswith("neurons[1].type"), f"detail: {r.body!r}")
    _idle(srv)
    _absent(c, t, "early JSON error: nothing written")
    # into an existing brain
    existing, before = _existing(c)
    r = _early_error(srv, existing, ND, _nd([L[0], L[1], dict(L[2], id="n1")]), "NDJSON duplicate id, existing")
    eq(r.status, 422, f"early error into an existing brain: {r!r}")
    _idle(srv)
    eq(H.content_of(c, existing), before, "existing brain unchanged")
    # the server keeps serving, on new connections
    ok(c.req("GET", "/health"), 200, "healthy after early errors")
    ok(c.req("POST", f"/brain/{uid('after')}/import", _small_snapshot()), 200, "import after early errors")
