"""Export and import (PROTOCOL.md §2.8, §3.2, §6.4, §5 rows 18-22; §7.9, §7.10)."""
import copy
import json

import harness as H
from harness import eq, expect, ok, err, field_err, enum_err, uid

T0 = "2026-01-02T03:04:05.000000"


def _neuron(i, content=None, type="entity", created_at=T0, metadata=None):
    return {"id": i, "type": type, "content": content if content is not None else f"content {i}",
            "metadata": metadata or {}, "created_at": created_at}


def _synapse(i, s, t, type="related_to", weight=0.5, direction="bi", metadata=None, created_at=T0):
    return {"id": i, "source_id": s, "target_id": t, "type": type, "weight": weight, "direction": direction,
            "metadata": metadata or {}, "reinforced_count": 0, "last_activated": None, "created_at": created_at}


def _fiber(i, neuron_ids, anchor=None, **kw):
    f = {"id": i, "neuron_ids": neuron_ids, "synapse_ids": [], "anchor_neuron_id": anchor or neuron_ids[0],
         "time_start": None, "time_end": None, "coherence": 0.0, "salience": 0.0, "frequency": 0, "summary": None,
         "tags": [], "metadata": {}, "created_at": T0}
    f.update(kw)
    return f


def _snapshot(brain_id="source-brain", name="Imported", neurons=(), synapses=(), fibers=(), config=None,
              metadata=None):
    s = {"brain_id": brain_id, "brain_name": name, "exported_at": "2026-02-01T00:00:00.000000", "version": "0.1.0",
         "neurons": list(neurons), "synapses": list(synapses), "fibers": list(fibers),
         "config": config if config is not None else {"decay_rate": 0.1}}
    if metadata is not None:
        s["metadata"] = metadata
    return s


def _typed_memory(fiber_id, memory_type="fact"):
    return {"fiber_id": fiber_id, "memory_type": memory_type, "priority": 5,
            "provenance": {"source": "user", "confidence": "high", "verified": False, "verified_at": None,
                           "created_by": "tester", "last_confirmed": None},
            "expires_at": None, "project_id": "p-1", "tags": ["t"], "metadata": {"k": 1},
            "created_at": "2026-01-01T00:00:00.000000"}


def _project(pid):
    return {"id": pid, "name": f"project {pid}", "description": "d", "start_date": "2026-01-01T00:00:00.000000",
            "end_date": None, "tags": [], "priority": 1.0, "metadata": {}, "created_at": "2026-01-01T00:00:00.000000"}


def _empty_metadata(m):
    """Snapshot metadata of a brain without typed memories or projects: {}
    or empty typed_memories/projects arrays (upstream's export shape)."""
    expect(isinstance(m, dict), f"metadata {m!r}")
    expect(set(m) <= {"typed_memories", "projects"}, f"unexpected metadata keys {m!r}")
    for k in m:
        eq(m[k], [], f"metadata.{k}")


def _import(c, target, snap, code=200):
    r = c.req("POST", f"/brain/{H.pq(target)}/import", snap)
    return r if code is None else ok(r, code, "import")


def _export_content(c, b):
    e = H.export(c, b)
    e.pop("exported_at")
    return e


def _populated(c):
    b = H.new_brain(c, name="Exported brain", config={"decay_rate": 0.25, "max_spread_hops": 6})
    H.mk_neuron(c, b, "zeta", id="n-z", type="entity", metadata={"x": 1}, created_at="2026-01-01T00:00:00")
    H.mk_neuron(c, b, "alpha", id="n-a", type="concept")
    H.mk_neuron(c, b, "Đà Nẵng", id="n-m", type="spatial")
    H.mk_synapse(c, b, "n-z", "n-a", id="s-2", type="is_a", weight=0.7, metadata={"w": True})
    H.mk_synapse(c, b, "n-a", "n-m", id="s-1", type="near", reinforced_count=2, last_activated="2026-01-03T00:00:00")
    H.mk_fiber(c, b, ["n-z", "n-a"], id="f-low", salience=0.1, tags=["b", "a"], metadata={"enc": "x"})
    H.mk_fiber(c, b, ["n-m"], id="f-high", salience=0.9, time_start="2026-01-01", time_end="2026-01-02",
               summary="sum")
    return b


def test_export_shape(srv):
    c = srv.c
    b = _populated(c)
    r = c.req("GET", f"/brain/{b}/export")
    e = ok(r, 200, "export")
    H.check_keys(e, H.SNAPSHOT_KEYS, "snapshot")
    eq(e["brain_id"], b, "brain_id")
    eq(e["brain_name"], "Exported brain", "brain_name")
    H.check_dt(e["exported_at"], "exported_at")
    eq(e["version"], "0.1.0", "version")
    H.check_config(e["config"], **dict(H.DEFAULT_CONFIG, decay_rate=0.25, max_spread_hops=6))
    _empty_metadata(e["metadata"])
    for n in e["neurons"]:
        H.check_neuron(n)
        eq(n, ok(c.req("GET", f"/memory/neurons/{n['id']}", brain=b), 200), f"exported neuron {n['id']}")
    for s in e["synapses"]:
        eq(set(s), H.SNAP_SYNAPSE_KEYS, "snapshot synapse keys")
        eq(s, ok(c.req("GET", f"/memory/synapses/{s['id']}", brain=b), 200), f"exported synapse {s['id']}")
    for f in e["fibers"]:
        H.check_fiber(f)
        eq(f, ok(c.req("GET", f"/memory/fiber/{f['id']}", brain=b), 200), f"exported fiber {f['id']}")


def test_export_creation_order(srv):
    c = srv.c
    b = _populated(c)
    e = H.export(c, b)
    eq(H.ids(e["neurons"]), ["n-z", "n-a", "n-m"], "neurons in creation order")
    eq(H.ids(e["synapses"]), ["s-2", "s-1"], "synapses in creation order")
    eq(H.ids(e["fibers"]), ["f-low", "f-high"], "fibers in creation order (not salience)")


def test_export_format_param(srv):
    c = srv.c
    b = _populated(c)
    a = _export_content(c, b)
    e = ok(c.req("GET", f"/brain/{b}/export", query={"format": "json"}), 200)
    e.pop("exported_at")
    eq(e, a, "format=json is the default")
    enum_err(c.req("GET", f"/brain/{b}/export", query={"format": "xml"}), "format", ["json"])
    missing = uid("nope")
    err(c.req("GET", f"/brain/{missing}/export"), 404, f"Brain {missing} not found")


def test_export_empty_brain(srv):
    c = srv.c
    b = H.new_brain(c, name="empty")
    e = H.export(c, b)
    eq((e["neurons"], e["synapses"], e["fibers"]), ([], [], []), "empty export")
    _empty_metadata(e["metadata"])


def _ndjson_lines(r):
    expect(r[1].get("content-type", "").startswith("application/x-ndjson"), f"content-type {r[1].get('content-type')}")
    text = r.raw.decode("utf-8")
    expect(text.endswith("\n"), "NDJSON ends with a newline")
    lines = text.split("\n")[:-1]
    expect(all(lines), "no blank lines")
    return [json.loads(ln) for ln in lines]


def test_export_ndjson(srv):
    c = srv.c
    b = _populated(c)
    full = H.export(c, b)
    r = c.req("GET", f"/brain/{b}/export", query={"format": "ndjson"})
    H.status(r, 200)
    objs = _ndjson_lines(r)
    eq([o["kind"] for o in objs], ["brain", "neuron", "neuron", "neuron", "synapse", "synapse", "fiber", "fiber", "end"],
       "line kinds")
    head = objs[0]
    eq((head["brain_id"], head["brain_name"], head["version"]), (b, "Exported brain", "0.1.0"), "brain line")
    eq(head["config"], full["config"], "brain line config")
    strip = [{k: v for k, v in o.items() if k != "kind"} for o in objs]
    eq(strip[1:4], full["neurons"], "neuron lines")
    eq(strip[4:6], full["synapses"], "synapse lines")
    eq(strip[6:8], full["fibers"], "fiber lines")
    eq({k: objs[-1][k] for k in ("neuron_count", "synapse_count", "fiber_count", "typed_memory_count", "project_count")},
       {"neuron_count": 3, "synapse_count": 2, "fiber_count": 2, "typed_memory_count": 0, "project_count": 0},
       "end line counts")
    r2 = c.req("GET", f"/brain/{b}/export", headers={"Accept": "application/x-ndjson"})
    eq(len(_ndjson_lines(r2)), len(objs), "Accept: application/x-ndjson selects NDJSON")


def test_import_new_brain(srv):
    c = srv.c
    target = uid("imp")
    snap = _snapshot(name="From snapshot", neurons=[_neuron("n1", created_at="2026-01-02T03:04:05"), _neuron("n2")],
                     synapses=[_synapse("s1", "n1", "n2")], fibers=[_fiber("f1", ["n1", "n2"], salience=0.5)],
                     config={"decay_rate": 0.3, "max_context_tokens": 2000})
    r = c.req("POST", f"/brain/{target}/import", snap)
    br = ok(r, 200, "import status 200")
    H.check_brain(br, id=target, name="From snapshot", owner_id=None, is_public=False, shared_with=[],
                  neuron_count=2, synapse_count=1, fiber_count=1)
    H.check_config(br["config"], **dict(H.DEFAULT_CONFIG, decay_rate=0.3, max_context_tokens=2000))
    err(c.req("GET", "/brain/source-brain"), 404, what="body brain_id is informational only")
    n1 = ok(c.req("GET", "/memory/neurons/n1", brain=target), 200)
    eq(n1, _neuron("n1"), "neuron imported (datetime normalised)")
    H.check_state(ok(c.req("GET", "/memory/neurons/n1/state", brain=target), 200), activation_level=0.0,
                  access_frequency=0, last_activated=None, decay_rate=0.1)
    eq(ok(c.req("GET", "/memory/synapses/s1", brain=target), 200), _synapse("s1", "n1", "n2"), "synapse imported")
    eq(ok(c.req("GET", "/memory/fiber/f1", brain=target), 200), _fiber("f1", ["n1", "n2"], salience=0.5), "fiber")
    eq(ok(c.req("GET", f"/brain/{target}"), 200), br, "GET brain = import answer")


def test_import_existing_upsert(srv):
    c = srv.c
    b = uid("ups")
    orig = ok(c.req("POST", "/brain/create", {"id": b, "name": "old name", "owner_id": "alice", "is_public": True,
                                              "shared_with": ["bob"], "config": {"decay_rate": 0.3, "max_spread_hops": 8},
                                              "metadata": {"keep": 1}}), 200)
    H.mk_neuron(c, b, "old content", id="n1", metadata={"old": True})
    H.mk_neuron(c, b, "untouched", id="n2")
    ok(c.req("PUT", "/memory/neurons/n1/state", {"activation_level": 0.7, "access_frequency": 4}, brain=b), 200)
    H.mk_synapse(c, b, "n1", "n2", id="s1", type="is_a", weight=0.9, metadata={"a": 1})
    H.mk_synapse(c, b, "n2", "n1", id="s-keep", type="before")
    H.mk_fiber(c, b, ["n1"], id="f1", summary="old", tags=["x"])
    snap = _snapshot(name="new name", neurons=[_neuron("n1", content="new content"), _neuron("n3")],
                     synapses=[_synapse("s1", "n1", "n2", type="before", weight=0.2, direction="uni"),
                               _synapse("s2", "n3", "n2")],
                     fibers=[_fiber("f1", ["n1", "n3"], summary="new")], config={"activation_threshold": 0.4})
    br = _import(c, b, snap)
    H.check_brain(br, id=b, name="new name", owner_id="alice", is_public=True, shared_with=["bob"],
                  created_at=orig["created_at"], neuron_count=3, synapse_count=3, fiber_count=1)
    H.check_config(br["config"], **dict(H.DEFAULT_CONFIG, activation_threshold=0.4))
    expect(H.dt(br["updated_at"]) > H.dt(orig["updated_at"]), "import bumps updated_at")
    eq(ok(c.req("GET", "/memory/neurons/n1", brain=b), 200), _neuron("n1", content="new content"), "n1 replaced")
    eq(ok(c.req("GET", "/memory/neurons/n2", brain=b), 200)["content"], "untouched", "n2 left as it was")
    ok(c.req("GET", "/memory/neurons/n3", brain=b), 200)
    st = ok(c.req("GET", "/memory/neurons/n1/state", brain=b), 200)
    eq((st["activation_level"], st["access_frequency"]), (0.7, 4), "state of an existing neuron kept")
    eq(ok(c.req("GET", "/memory/synapses/s1", brain=b), 200),
       _synapse("s1", "n1", "n2", type="before", weight=0.2, direction="uni"), "s1 replaced wholesale")
    ok(c.req("GET", "/memory/synapses/s-keep", brain=b), 200)
    eq(ok(c.req("GET", "/memory/fiber/f1", brain=b), 200), _fiber("f1", ["n1", "n3"], summary="new"), "f1 replaced")


def test_import_reimport_is_idempotent(srv):
    c = srv.c
    b = _populated(c)
    before = _export_content(c, b)
    snap = H.export(c, b)
    br = _import(c, b, snap)
    eq((br["neuron_count"], br["synapse_count"], br["fiber_count"]), (3, 2, 2), "counts unchanged")
    eq(_export_content(c, b), before, "content unchanged after re-import")


def test_import_bad_synapse_all_or_nothing_new_brain(srv):
    c = srv.c
    target = uid("imp")
    snap = _snapshot(neurons=[_neuron("n1"), _neuron("n2")],
                     synapses=[_synapse("s0", "n1", "n2"), _synapse("s1", "n-9", "n2")],
                     fibers=[_fiber("f1", ["n1"])])
    field_err(_import(c, target, snap, None), "synapses[1].source_id")
    err(c.req("GET", f"/brain/{target}"), 404, f"Brain {target} not found")
    snap["synapses"][1] = _synapse("s1", "n1", "n-9")
    field_err(_import(c, target, snap, None), "synapses[1].target_id")
    err(c.req("GET", f"/brain/{target}"), 404, what="nothing created")


def test_import_bad_data_all_or_nothing_existing_brain(srv):
    c = srv.c
    b = _populated(c)
    before = H.content_of(c, b)
    good_n = [_neuron("new-1", content="new"), _neuron("n-z", content="replaced")]
    bad = [
        (_snapshot(name="renamed", neurons=good_n, synapses=[_synapse("sx", "n-z", "nowhere")]), 422,
         "synapses[0].target_id"),
        (_snapshot(name="renamed", neurons=good_n + [_neuron("n-bad", type="weird")]), 400, "neurons[2].type"),
        (_snapshot(name="renamed", neurons=good_n, synapses=[_synapse("sx", "n-z", "n-a", type="weird")]), 400,
         "synapses[0].type"),
        (_snapshot(name="renamed", neurons=good_n, synapses=[_synapse("sx", "n-z", "n-a", direction="sideways")]), 400,
         "synapses[0].direction"),
        (_snapshot(name="renamed", neurons=good_n, synapses=[_synapse("sx", "n-z", "n-a", weight=1.5)]), 422,
         "synapses[0].weight"),
        (_snapshot(name="renamed", neurons=good_n, fibers=[_fiber("fx", ["n-z"], anchor="n-q")]), 422,
         "fibers[0].anchor_neuron_id"),
        (_snapshot(name="renamed", neurons=good_n, fibers=[_fiber("fx", ["n-z"]), _fiber("fy", ["n-z"], salience=3)]),
         422, "fibers[1].salience"),
        (_snapshot(name="renamed", neurons=[_neuron("n1", created_at="garbage")]), 422, "neurons[0].created_at"),
        (_snapshot(name="renamed", neurons=good_n, config={"decay_rate": 7}), 422, ("config", "decay_rate")),
        (_snapshot(name="", neurons=good_n), 422, "brain_name"),
    ]
    for snap, code, prefix in bad:
        r = _import(c, b, snap, None)
        if code == 400:
            err(r, 400, startswith=prefix, what=prefix)
        else:
            err(r, 422, startswith=prefix, what=str(prefix))
        eq(H.content_of(c, b), before, f"brain unchanged after failed import ({prefix})")


def test_import_enum_detail_lists_values(srv):
    c = srv.c
    snap = _snapshot(neurons=[_neuron("n1"), _neuron("n2"), _neuron("n3", type="bogus")])
    d = enum_err(_import(c, uid("imp"), snap, None), "type", H.NEURON_TYPES)
    expect(d.startswith("neurons[2].type"), f"detail prefix: {d!r}")


def test_import_duplicate_ids_422(srv):
    c = srv.c
    for key, snap in [
        ("neurons", _snapshot(neurons=[_neuron("n1"), _neuron("n2"), _neuron("n1", content="again")])),
        ("synapses", _snapshot(neurons=[_neuron("n1"), _neuron("n2")],
                               synapses=[_synapse("s1", "n1", "n2"), _synapse("s1", "n2", "n1")])),
        ("fibers", _snapshot(neurons=[_neuron("n1")], fibers=[_fiber("f1", ["n1"]), _fiber("f1", ["n1"])])),
    ]:
        target = uid("dup")
        err(_import(c, target, snap, None), 422, startswith=key, what=f"duplicate {key}")
        err(c.req("GET", f"/brain/{target}"), 404, what="nothing created")


def test_import_missing_required(srv):
    c = srv.c
    base = _snapshot(neurons=[_neuron("n1")])
    for key in ("brain_name", "exported_at", "version", "neurons", "synapses", "fibers", "config"):
        snap = {k: v for k, v in base.items() if k != key}
        target = uid("req")
        field_err(_import(c, target, snap, None), key, what=f"missing {key}")
        err(c.req("GET", f"/brain/{target}"), 404, what="nothing created")
    for key, val in (("neurons", {}), ("synapses", "x"), ("fibers", None), ("config", []), ("metadata", []),
                     ("exported_at", "yesterday"), ("version", 1), ("brain_name", 5)):
        snap = dict(base, **{key: val})
        field_err(_import(c, uid("req"), snap, None), key, what=f"{key}={val!r}")
    for raw in (b"", b"[]", b"{", b"null"):
        err(c.req("POST", f"/brain/{uid('req')}/import", raw=raw), 422, what=f"body {raw!r}")


def test_import_optional_fields(srv):
    c = srv.c
    target = uid("opt")
    snap = _snapshot(neurons=[_neuron("n1")])
    snap.pop("brain_id")  # defaults to the path id
    br = _import(c, target, snap)
    eq(br["id"], target, "id")
    e = H.export(c, target)
    eq(e["brain_id"], target, "brain_id")
    _empty_metadata(e["metadata"])
    # Minimal element bodies are validated as POSTs (defaults apply).
    snap = _snapshot(neurons=[{"id": "m1", "type": "entity", "content": "x"}, {"id": "m2", "type": "entity", "content": "y"}],
                     synapses=[{"id": "ms", "source_id": "m1", "target_id": "m2", "type": "near"}],
                     fibers=[{"id": "mf", "neuron_ids": ["m1"], "anchor_neuron_id": "m1"}], config={})
    t2 = uid("opt")
    _import(c, t2, snap)
    s = ok(c.req("GET", "/memory/synapses/ms", brain=t2), 200)
    eq((s["weight"], s["direction"]), (0.5, "bi"), "synapse defaults")
    H.check_config(ok(c.req("GET", f"/brain/{t2}"), 200)["config"], **H.DEFAULT_CONFIG)


def test_import_synapse_endpoint_already_in_brain(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "existing", id="old")
    _import(c, b, _snapshot(neurons=[_neuron("new")], synapses=[_synapse("s", "old", "new")]))
    eq(ok(c.req("GET", "/memory/synapses/s", brain=b), 200)["source_id"], "old", "endpoint from the brain accepted")


def test_import_path_is_target(srv):
    c = srv.c
    src = _populated(c)
    snap = H.export(c, src)  # brain_id = src
    target = uid("tgt")
    br = _import(c, target, snap)
    eq(br["id"], target, "path id is the target")
    eq(br["name"], "Exported brain", "name from brain_name")
    eq(H.counts(c, src), (3, 2, 2), "source brain untouched")


def test_round_trip(srv):
    c = srv.c
    src = _populated(c)
    tm = [_typed_memory("f-low", "fact"), _typed_memory("f-high", "decision")]
    projects = [_project("p-1"), _project("p-2")]
    snap = H.export(c, src)
    snap["metadata"] = {"typed_memories": tm, "projects": projects}
    _import(c, src, snap)
    e1 = H.export(c, src)
    eq(e1["metadata"].get("typed_memories"), tm, "typed memories stored unchanged")
    eq(e1["metadata"].get("projects"), projects, "projects stored unchanged")
    target = uid("rt")
    _import(c, target, e1)
    e2 = H.export(c, target)
    for k in ("brain_name", "version", "neurons", "synapses", "fibers", "config", "metadata"):
        eq(e2[k], e1[k], f"round trip {k}")
    eq(e2["brain_id"], target, "brain_id of the copy")
    # through the wire twice more: still identical
    t3 = uid("rt")
    _import(c, t3, e2)
    e3 = H.export(c, t3)
    for k in ("neurons", "synapses", "fibers", "config", "metadata"):
        eq(e3[k], e1[k], f"second round trip {k}")


def test_typed_memories_and_projects(srv):
    c = srv.c
    target = uid("tm")
    snap = _snapshot(neurons=[_neuron("n1")], fibers=[_fiber(f, ["n1"]) for f in ("f1", "f2", "f3")],
                     metadata={"typed_memories": [_typed_memory("f1", "fact"), _typed_memory("f2", "decision"),
                                                  _typed_memory("f-absent", "todo"), _typed_memory("f3", "fact")],
                               "projects": [_project("p-1"), _project("p-2")]})
    _import(c, target, snap)
    s = H.stats(c, target)
    eq(s["project_count"], 2, "project_count")
    e = H.export(c, target)
    eq([t["fiber_id"] for t in e["metadata"]["typed_memories"]], ["f1", "f2", "f3"],
       "typed memory of a fiber absent from the snapshot dropped")
    eq(s["memory_types"], {"fact": 2, "decision": 1}, "memory_types")
    # deleting a fiber deletes its typed memories
    ok(c.req("DELETE", "/memory/fibers/f2", brain=target), 200)
    eq(H.stats(c, target)["memory_types"], {"fact": 2}, "memory_types after fiber delete")
    eq([t["fiber_id"] for t in H.export(c, target)["metadata"]["typed_memories"]], ["f1", "f3"], "export after delete")


def test_import_ndjson_round_trip(srv):
    c = srv.c
    src = _populated(c)
    r = c.req("GET", f"/brain/{src}/export", query={"format": "ndjson"})
    H.status(r, 200)
    target = uid("nd")
    r2 = c.req("POST", f"/brain/{target}/import", raw=r.raw, headers={"Content-Type": "application/x-ndjson"})
    br = ok(r2, 200, "NDJSON import")
    eq((br["id"], br["neuron_count"], br["synapse_count"], br["fiber_count"]), (target, 3, 2, 2), "imported brain")
    a, b = _export_content(c, src), _export_content(c, target)
    for k in ("neurons", "synapses", "fibers", "config", "metadata", "brain_name"):
        eq(b[k], a[k], f"NDJSON round trip {k}")
    # truncated stream (no end line) -> 422, nothing written
    lines = r.raw.decode().splitlines(keepends=True)
    t2 = uid("nd")
    err(c.req("POST", f"/brain/{t2}/import", raw="".join(lines[:-1]).encode(),
              headers={"Content-Type": "application/x-ndjson"}), 422)
    err(c.req("GET", f"/brain/{t2}"), 404, what="truncated NDJSON import wrote nothing")
    # invalid JSON on line 3 -> "line 3: ..."
    bad = lines[:2] + ["{not json\n"] + lines[3:]
    err(c.req("POST", f"/brain/{t2}/import", raw="".join(bad).encode(), query={"format": "ndjson"}), 422,
        startswith="line 3")
    err(c.req("GET", f"/brain/{t2}"), 404, what="bad NDJSON import wrote nothing")
