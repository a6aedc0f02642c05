"""Conformance replay: exactly the requests NeuralMemory v0.5.0 SharedStorage
makes (PROTOCOL.md §4.1/§4.2), from tests/data/conformance/sharedstorage.json,
checking every response field the client reads, with datetimes parsed by
datetime.fromisoformat as the client does.

Replay file format (a JSON object):
  transport.headers   [name, value] pairs sent on every request, in order
  shapes              name -> {field: check}: the fields a client method reads
  steps[]             {call, method, path, query?, body?, body_from?, brain?,
                       capture?, note?, expect: {status, json?}}
A check is an object of operators, all of which must hold:
  eq (exact JSON value), datetime (true: parses with fromisoformat and is
  naive; a string: the same instant), type (str|int|number|bool|object|array),
  enum, len, items (positional checks; implies len), each, shape (a named
  shape: every field must be present), fields (field -> check; every field
  must be present), nullable (null passes).
`expect.json` is a `fields` mapping, or a check when it has `shape`.
"{brain}" and "{brain2}" in any string are replaced by per-run ids.
"""
import datetime
import json
import os

import harness as H
from harness import expect

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "conformance", "sharedstorage.json")


def _load():
    with open(DATA, encoding="utf-8") as f:
        return json.load(f)


def _subst(v, vars):
    if isinstance(v, str):
        for k, x in vars.items():
            v = v.replace("{" + k + "}", x)
        return v
    if isinstance(v, list):
        return [_subst(x, vars) for x in v]
    if isinstance(v, dict):
        return {k: _subst(x, vars) for k, x in v.items()}
    return v


def _same_json(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


TYPES = {"str": lambda v: isinstance(v, str), "int": lambda v: type(v) is int,
         "number": lambda v: type(v) in (int, float), "bool": lambda v: type(v) is bool,
         "object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list), "null": lambda v: v is None}


def check(value, spec, path, shapes, errors):
    if spec.get("nullable") and value is None:
        return
    if "eq" in spec and not _same_json(value, spec["eq"]):
        errors.append(f"{path}: expected {spec['eq']!r}, got {value!r}")
    if "type" in spec and not TYPES[spec["type"]](value):
        errors.append(f"{path}: expected type {spec['type']}, got {value!r}")
    if "enum" in spec and value not in spec["enum"]:
        errors.append(f"{path}: {value!r} not one of the client's enum values")
    if "datetime" in spec:
        if not isinstance(value, str):
            errors.append(f"{path}: datetime expected, got {value!r}")
        else:
            try:
                parsed = datetime.datetime.fromisoformat(value)
            except ValueError as e:
                errors.append(f"{path}: datetime.fromisoformat({value!r}) fails: {e}")
            else:
                if parsed.tzinfo is not None:
                    errors.append(f"{path}: aware datetime {value!r}; the client compares with naive utcnow()")
                if isinstance(spec["datetime"], str) and parsed != datetime.datetime.fromisoformat(spec["datetime"]):
                    errors.append(f"{path}: {value!r} is not the instant {spec['datetime']!r}")
    if "len" in spec and (not isinstance(value, list) or len(value) != spec["len"]):
        errors.append(f"{path}: expected {spec['len']} items, got {value!r:.200}")
    if "items" in spec:
        if not isinstance(value, list) or len(value) != len(spec["items"]):
            errors.append(f"{path}: expected {len(spec['items'])} items, got "
                          f"{len(value) if isinstance(value, list) else value!r}: {json.dumps(value)[:300]}")
        else:
            for i, (v, s) in enumerate(zip(value, spec["items"])):
                check(v, s, f"{path}[{i}]", shapes, errors)
    if "each" in spec and isinstance(value, list):
        for i, v in enumerate(value):
            check(v, spec["each"], f"{path}[{i}]", shapes, errors)
    for key in ("shape", "fields"):
        if key not in spec:
            continue
        fields = shapes[spec["shape"]] if key == "shape" else spec["fields"]
        if not isinstance(value, dict):
            errors.append(f"{path}: object expected, got {value!r:.200}")
            continue
        for f, s in fields.items():
            if f not in value:
                errors.append(f"{path}.{f}: missing (the client reads it)")
            else:
                check(value[f], s, f"{path}.{f}", shapes, errors)


def _client_import_body(snap):
    """What SharedStorage.import_brain sends for a snapshot it got from
    export_brain (exported_at went through fromisoformat/isoformat)."""
    return {"brain_id": snap["brain_id"], "brain_name": snap["brain_name"],
            "exported_at": datetime.datetime.fromisoformat(snap["exported_at"]).isoformat(),
            "version": snap["version"], "neurons": snap["neurons"], "synapses": snap["synapses"],
            "fibers": snap["fibers"], "config": snap["config"], "metadata": snap.get("metadata", {})}


def replay(srv, doc, vars):
    c = srv.client()
    shapes = doc["shapes"]
    captured = {}
    failures = []
    for i, step in enumerate(doc["steps"]):
        step = _subst(step, vars)
        label = f"step {i} {step['method']} {step['path']} ({step['call']})"
        headers = {k: v for k, v in _subst(doc["transport"]["headers"], vars)}
        if "brain" in step:
            headers["X-Brain-ID"] = step["brain"]
        url = H.pq_path(step["path"]) + ("?" + step["query"] if step.get("query") else "")
        body = step.get("body")
        if "body_from" in step:
            body = _client_import_body(captured[step["body_from"]])
        raw = None
        if body is not None:
            raw = json.dumps(body).encode("utf-8")  # aiohttp's json= uses json.dumps defaults
        elif step["method"] not in ("GET", "HEAD", "OPTIONS"):
            raw = b""  # aiohttp sends Content-Length: 0
        r = c.req(step["method"], url, raw=raw, headers=headers)
        errors = []
        want = step["expect"]["status"]
        if r[0] != want:
            errors.append(f"status {r[0]} (expected {want}); body {r.raw[:300]!r}")
        elif 200 <= r[0] < 300:
            if not H.is_json_ct(r[1]):
                errors.append(f"Content-Type {r[1].get('content-type')!r}: the client's response.json() would raise")
            elif not isinstance(r[2], dict):
                errors.append(f"2xx body is not a JSON object: {r.raw[:200]!r}")
            else:
                spec = step["expect"].get("json")
                if spec is not None:
                    check(r[2], spec if "shape" in spec else {"fields": spec}, "$", shapes, errors)
                if "capture" in step:
                    captured[step["capture"]] = r[2]
        else:
            if not (H.is_json_ct(r[1]) and isinstance(r[2], dict) and isinstance(r[2].get("detail"), str)):
                errors.append(f"error answer is not {{\"detail\": str}}: {r!r}")
        if errors:
            failures.append(label + ":\n  " + "\n  ".join(errors))
    return failures


def test_replay_file_well_formed():
    doc = _load()
    expect(doc["steps"], "steps")
    names = [h[0].lower() for h in doc["transport"]["headers"]]
    for h in ("x-brain-id", "content-type", "accept-encoding", "user-agent"):
        expect(h in names, f"transport header {h} missing")
    for i, s in enumerate(doc["steps"]):
        for k in ("call", "method", "path", "expect"):
            expect(k in s, f"step {i} lacks {k}")
        expect(s["path"].startswith("/") and "?" not in s["path"], f"step {i} path {s['path']!r}")
        expect(not s.get("query", "x").startswith("?"), f"step {i} query starts with '?'")
        expect(isinstance(s["expect"].get("status"), int), f"step {i} expect.status")

        def shapes_used(spec):
            if isinstance(spec, dict):
                if "shape" in spec:
                    expect(spec["shape"] in doc["shapes"], f"step {i}: unknown shape {spec['shape']}")
                for v in spec.values():
                    shapes_used(v)
            elif isinstance(spec, list):
                for v in spec:
                    shapes_used(v)
        shapes_used(s["expect"].get("json"))
    # every SharedStorage method of PROTOCOL.md §4.2 is exercised
    calls = " ".join(s["call"] for s in doc["steps"])
    for m in ("add_neuron", "get_neuron", "find_neurons", "update_neuron", "delete_neuron", "get_neuron_state",
              "update_neuron_state", "add_synapse", "get_synapse", "get_synapses", "update_synapse", "delete_synapse",
              "get_neighbors", "get_path", "add_fiber", "get_fiber", "find_fibers", "update_fiber", "delete_fiber",
              "save_brain", "get_brain", "export_brain", "import_brain", "get_stats", "clear"):
        expect(m + "(" in calls, f"replay lacks {m}")


def test_sharedstorage_replay(srv):
    doc = _load()
    failures = replay(srv, doc, {"brain": H.uid("conf"), "brain2": H.uid("conf-import")})
    if failures:
        raise AssertionError(f"{len(failures)} of {len(doc['steps'])} steps failed:\n" + "\n".join(failures))


def test_sharedstorage_replay_twice_independent(srv):
    # A second client session with other brain ids on the same server.
    doc = _load()
    failures = replay(srv, doc, {"brain": H.uid("conf2"), "brain2": H.uid("conf2-import")})
    if failures:
        raise AssertionError(f"{len(failures)} of {len(doc['steps'])} steps failed:\n" + "\n".join(failures))
