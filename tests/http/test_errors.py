"""Bad input (PROTOCOL.md §1.2, §1.3, the issue's "Bad input" list): every bad
request gets {"detail": str} with the right status, and a failed request leaves
the brain exactly as it was. The runner checks /health after every test."""
import harness as H
from harness import eq, expect, ok, err, field_err, enum_err, uid

# (method, path) of every /memory/* route in scope; {n} {s} {f} are existing ids.
MEMORY_ROUTES = [
    ("GET", "/memory/neurons"), ("POST", "/memory/neurons"), ("GET", "/memory/neurons/{n}"),
    ("PUT", "/memory/neurons/{n}"), ("DELETE", "/memory/neurons/{n}"), ("GET", "/memory/neurons/{n}/state"),
    ("PUT", "/memory/neurons/{n}/state"), ("GET", "/memory/neurons/{n}/neighbors"),
    ("GET", "/memory/neurons/{n}/path?target_id={n}"), ("GET", "/memory/synapses"), ("POST", "/memory/synapses"),
    ("GET", "/memory/synapses/{s}"), ("PUT", "/memory/synapses/{s}"), ("DELETE", "/memory/synapses/{s}"),
    ("GET", "/memory/fibers"), ("POST", "/memory/fibers"), ("GET", "/memory/fiber/{f}"), ("GET", "/memory/fibers/{f}"),
    ("PUT", "/memory/fibers/{f}"), ("DELETE", "/memory/fibers/{f}"),
]

VALID_BODIES = {
    ("POST", "/memory/neurons"): {"type": "entity", "content": "valid"},
    ("PUT", "/memory/neurons/{n}"): {"content": "valid"},
    ("PUT", "/memory/neurons/{n}/state"): {"activation_level": 0.5},
    ("POST", "/memory/synapses"): {"source_id": "n", "target_id": "n", "type": "is_a"},
    ("PUT", "/memory/synapses/{s}"): {"weight": 0.4},
    ("POST", "/memory/fibers"): {"neuron_ids": ["n"], "anchor_neuron_id": "n"},
    ("PUT", "/memory/fibers/{f}"): {"salience": 0.4},
}

WRITE_ROUTES = [("POST", "/brain/create"), ("PUT", "/brain/{b}"), ("POST", "/brain/{b}/import")] + \
    [k for k in VALID_BODIES]


def _brain(c):
    b = H.new_brain(c)
    H.mk_neuron(c, b, "n", id="n")
    H.mk_synapse(c, b, "n", "n", id="s")
    H.mk_fiber(c, b, ["n"], id="f")
    return b


def _fill(path, b):
    return path.format(n="n", s="s", f="f", b=b)


def test_missing_brain_header_every_route(srv):
    c = srv.c
    _brain(c)
    for m, p in MEMORY_ROUTES:
        body = VALID_BODIES.get((m, p))
        err(c.req(m, _fill(p, ""), body), 422, "X-Brain-ID header required", what=f"{m} {p}")
        err(c.req(m, _fill(p, ""), body, headers={"X-Brain-ID": ""}), 422, "X-Brain-ID header required",
            what=f"{m} {p} with empty X-Brain-ID")


def test_unknown_brain_every_route(srv):
    c = srv.c
    bid = uid("ghost")
    for m, p in MEMORY_ROUTES:
        err(c.req(m, _fill(p, ""), VALID_BODIES.get((m, p)), brain=bid), 404, f"Brain {bid} not found",
            what=f"{m} {p}")
    for m, p in [("GET", "/brain/{b}"), ("PUT", "/brain/{b}"), ("DELETE", "/brain/{b}"), ("GET", "/brain/{b}/stats"),
                 ("GET", "/brain/{b}/export")]:
        err(c.req(m, _fill(p, bid), {"name": "x"} if m == "PUT" else None), 404, f"Brain {bid} not found",
            what=f"{m} {p}")


def test_unknown_brain_before_body_validation(srv):
    c = srv.c
    bid = uid("ghost")
    err(c.req("POST", "/memory/neurons", raw=b"{broken", brain=bid), 404, f"Brain {bid} not found")
    err(c.req("POST", "/memory/neurons", {"type": "bogus"}, brain=bid), 404, f"Brain {bid} not found")
    err(c.req("PUT", f"/brain/{bid}", {"name": ""}), 404, f"Brain {bid} not found")


def test_unknown_objects_404(srv):
    c = srv.c
    b = _brain(c)
    before = H.content_of(c, b)
    cases = [("GET", "/memory/neurons/x", "Neuron x not found"), ("PUT", "/memory/neurons/x", "Neuron x not found"),
             ("DELETE", "/memory/neurons/x", "Neuron x not found"), ("GET", "/memory/neurons/x/state", "Neuron x not found"),
             ("PUT", "/memory/neurons/x/state", "Neuron x not found"), ("GET", "/memory/synapses/x", "Synapse x not found"),
             ("PUT", "/memory/synapses/x", "Synapse x not found"), ("DELETE", "/memory/synapses/x", "Synapse x not found"),
             ("GET", "/memory/fiber/x", "Fiber x not found"), ("GET", "/memory/fibers/x", "Fiber x not found"),
             ("PUT", "/memory/fibers/x", "Fiber x not found"), ("DELETE", "/memory/fibers/x", "Fiber x not found")]
    bodies = {"PUT /memory/neurons/x": {"content": "c"}, "PUT /memory/neurons/x/state": {"activation_level": 0.1},
              "PUT /memory/synapses/x": {"weight": 0.1}, "PUT /memory/fibers/x": {"salience": 0.1}}
    for m, p, d in cases:
        err(c.req(m, p, bodies.get(f"{m} {p}"), brain=b), 404, d, what=f"{m} {p}")
    eq(H.content_of(c, b), before, "brain unchanged")


def test_unknown_paths_404(srv):
    c = srv.c
    b = _brain(c)
    for m, p in [("GET", "/nope"), ("GET", "/memory"), ("GET", "/memory/nope"), ("POST", "/memory/nope"),
                 ("GET", "/brain"), ("GET", f"/brain/{b}/nope"), ("GET", "/memory/neurons/n/nope"),
                 ("GET", "/memory/neurons/n/state/x"), ("GET", "/memory/fiber"), ("GET", "/brains/x"),
                 ("GET", "/healthz"), ("DELETE", "/nope/deeper/still"), ("GET", "/memory/synapses/s/x"),
                 ("GET", "/%2e%2e/etc/passwd")]:
        err(c.req(m, p, brain=b), 404, "Not Found", what=f"{m} {p}")
        err(c.req(m, p), 404, "Not Found", what=f"{m} {p} without X-Brain-ID (route check first)")


def _allow(r):
    return {x.strip().upper() for x in r[1].get("allow", "").split(",") if x.strip()}


def test_wrong_method_405(srv):
    c = srv.c
    b = _brain(c)
    cases = [("DELETE", "/health", {"GET"}), ("POST", "/health", {"GET"}), ("PUT", "/memory/neurons", {"GET", "POST"}),
             ("PATCH", "/memory/neurons/n", {"GET", "PUT", "DELETE"}), ("POST", "/memory/neurons/n/state", {"GET", "PUT"}),
             ("POST", "/memory/neurons/n/neighbors", {"GET"}), ("DELETE", "/memory/neurons/n/path", {"GET"}),
             ("DELETE", "/memory/synapses", {"GET", "POST"}), ("POST", "/memory/synapses/s", {"GET", "PUT", "DELETE"}),
             ("PUT", "/memory/fiber/f", {"GET"}), ("DELETE", "/memory/fiber/f", {"GET"}),
             ("POST", "/memory/fibers/f", {"GET", "PUT", "DELETE"}), ("DELETE", "/memory/fibers", {"GET", "POST"}),
             ("POST", f"/brain/{b}", {"GET", "PUT", "DELETE"}), ("POST", f"/brain/{b}/stats", {"GET"}),
             ("PUT", f"/brain/{b}/export", {"GET"}), ("GET", f"/brain/{b}/import", {"POST"}),
             ("POST", "/brains", {"GET"}), ("POST", "/metrics", {"GET"}), ("DELETE", "/openapi.json", {"GET"}),
             ("DELETE", "/", {"GET"})]
    before = H.content_of(c, b)
    for m, p, allowed in cases:
        for hdrs in ({"X-Brain-ID": b}, {}):
            r = c.req(m, p, headers=hdrs)
            err(r, 405, "Method Not Allowed", what=f"{m} {p} {hdrs}")
            got = _allow(r)
            expect(allowed <= got, f"{m} {p}: Allow {r[1].get('allow')!r} lacks {allowed}")
            expect(m not in got, f"{m} {p}: Allow {r[1].get('allow')!r} lists the refused method")
    eq(H.content_of(c, b), before, "brain unchanged")


def test_malformed_json_every_write_route(srv):
    c = srv.c
    b = _brain(c)
    before = H.content_of(c, b)
    bad_bodies = [b"{", b'{"a":}', b"[1, 2", b"{} extra", b"nul", b'{"content": "x",}', b"{'a': 1}", b'{"a" 1}',
                  b'{"content": "unterminated}', b"\x00", b'{"a": 01}', b'{"a": .5}', b'{"a": NaN}', b'{"a": Infinity}',
                  b'{"a": "\\x41"}', b'{"a": "tab\there"}']
    for m, p in WRITE_ROUTES:
        for raw in bad_bodies:
            err(c.req(m, _fill(p, b), raw=raw, brain=b, headers={"Content-Type": "application/json"}), 422,
                what=f"{m} {p} body {raw!r}")
    eq(H.content_of(c, b), before, "brain unchanged after malformed bodies")


def test_body_not_an_object(srv):
    c = srv.c
    b = _brain(c)
    before = H.content_of(c, b)
    for m, p in WRITE_ROUTES:
        for raw in (b"", b"[]", b"null", b"3", b'"text"', b"true"):
            err(c.req(m, _fill(p, b), raw=raw, brain=b, headers={"Content-Type": "application/json"}), 422,
                what=f"{m} {p} body {raw!r}")
    eq(H.content_of(c, b), before, "brain unchanged")


def test_invalid_utf8_body(srv):
    c = srv.c
    b = _brain(c)
    before = H.content_of(c, b)
    for bad in (b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf8\x88\x80\x80\x80", b"\xf4\x90\x80\x80",
                b"ok\x80"):
        raw = b'{"type": "entity", "content": "' + bad + b'"}'
        err(c.req("POST", "/memory/neurons", raw=raw, brain=b), 422, what=f"content bytes {bad!r}")
        raw = b'{"type": "entity", "content": "x", "metadata": {"' + bad + b'": 1}}'
        err(c.req("POST", "/memory/neurons", raw=raw, brain=b), 422, what=f"key bytes {bad!r}")
    err(c.req("POST", "/memory/neurons", raw=b'{"type": "entity", "content": "\\ud800"}', brain=b), 422,
        what="lone surrogate escape")
    err(c.req("PUT", "/memory/neurons/n", raw=b'{"content": "\xff"}', brain=b), 422, what="PUT")
    err(c.req("POST", "/brain/create", raw=b'{"name": "\xc3"}'), 422, what="brain create")
    eq(H.content_of(c, b), before, "brain unchanged")


def test_invalid_utf8_query_and_path(srv):
    c = srv.c
    b = _brain(c)
    err(c.req("GET", "/memory/neurons?content_contains=%FF", brain=b), 422, what="query %FF")
    err(c.req("GET", "/memory/neurons?content_exact=%C3", brain=b), 422, what="query truncated sequence")
    err(c.req("GET", "/memory/fibers?tags=%ED%A0%80", brain=b), 422, what="query surrogate")
    err(c.req("GET", "/memory/neurons/%FF", brain=b), 422, what="path %FF")
    err(c.req("GET", "/memory/neurons/%C0%AF", brain=b), 422, what="path overlong")
    err(c.req("DELETE", "/memory/neurons/n%FF", brain=b), 422, what="DELETE path")
    err(c.req("GET", "/brain/%FF"), 422, what="brain path")
    ok(c.req("GET", "/memory/neurons/n", brain=b), 200)


def test_bad_percent_escapes(srv):
    c = srv.c
    b = _brain(c)
    for p in ("/memory/neurons/%", "/memory/neurons/%G1", "/memory/neurons/%4"):
        r = c.req("GET", p, brain=b)
        expect(r[0] in (400, 404, 422), f"{p}: {r!r}")
        err(r, r[0], what=p)


def _nest(depth, leaf=1):
    return "[" * depth + str(leaf) + "]" * depth


def test_json_depth_limit(srv):
    c = srv.c
    b = _brain(c)
    shallow = '{"type": "entity", "content": "deep-ok", "metadata": {"a": ' + _nest(20) + "}}"
    n = ok(c.req("POST", "/memory/neurons", raw=shallow.encode(), brain=b), 201, "depth 22 accepted")
    ok(c.req("DELETE", f"/memory/neurons/{n['id']}", brain=b), 200)
    before = H.content_of(c, b)
    for depth in (100, 1000, 100000):
        raw = '{"type": "entity", "content": "x", "metadata": {"a": ' + _nest(depth) + "}}"
        err(c.req("POST", "/memory/neurons", raw=raw.encode(), brain=b), 422, what=f"depth {depth}")
        objs = '{"a":' * depth + "1" + "}" * depth
        err(c.req("POST", "/memory/neurons", raw=('{"type": "entity", "content": "x", "metadata": ' + objs + "}").encode(),
                  brain=b), 422, what=f"object depth {depth}")
    err(c.req("POST", "/brain/create", raw=("[" * 200000).encode()), 422, what="unterminated deep array")
    eq(H.content_of(c, b), before, "brain unchanged")


def test_numbers_out_of_range(srv):
    c = srv.c
    b = _brain(c)
    before = H.content_of(c, b)
    for raw in (b'{"source_id": "n", "target_id": "n", "type": "is_a", "weight": 1e400}',
                b'{"source_id": "n", "target_id": "n", "type": "is_a", "weight": -1e400}',
                b'{"source_id": "n", "target_id": "n", "type": "is_a", "reinforced_count": 99999999999999999999999}',
                b'{"source_id": "n", "target_id": "n", "type": "is_a", "reinforced_count": 1e30}'):
        err(c.req("POST", "/memory/synapses", raw=raw, brain=b), 422, what=raw.decode())
    err(c.req("POST", "/memory/fibers", raw=b'{"neuron_ids": ["n"], "anchor_neuron_id": "n", "frequency": 1e300}',
              brain=b), 422, what="frequency 1e300")
    eq(H.content_of(c, b), before, "brain unchanged")


def test_nul_in_strings_no_crash(srv):
    c = srv.c
    b = _brain(c)
    r = c.req("POST", "/memory/neurons", {"type": "entity", "content": "a\u0000b"}, brain=b)
    if r[0] == 201:
        eq(ok(c.req("GET", f"/memory/neurons/{r[2]['id']}", brain=b), 200)["content"], "a\u0000b", "NUL kept")
    else:
        err(r, 422, what="NUL in content")
    err(c.req("POST", "/memory/neurons", {"id": "a\u0000b", "type": "entity", "content": "x"}, brain=b), 422,
        startswith="id")


def test_other_content_type_accepted(srv):
    c = srv.c
    b = _brain(c)
    for ct in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-8", None):
        hdrs = {"Content-Type": ct} if ct else {}
        raw = b'{"type": "entity", "content": "typed"}'
        ok(c.req("POST", "/memory/neurons", raw=raw, brain=b, headers=hdrs), 201, f"Content-Type {ct}")


def test_get_delete_with_json_content_type_and_empty_body(srv):
    c = srv.c
    b = _brain(c)
    hdr = {"Content-Type": "application/json"}
    ok(c.req("GET", "/memory/neurons?limit=100", brain=b, headers=hdr), 200)
    ok(c.req("GET", "/memory/synapses", brain=b, headers=hdr), 200)
    ok(c.req("DELETE", "/memory/fibers/f", brain=b, headers=dict(hdr, **{"Content-Length": "0"})), 200)
    ok(c.req("DELETE", "/memory/synapses/s", brain=b, headers=hdr), 200)


def test_enum_errors_list_all_values(srv):
    c = srv.c
    b = _brain(c)
    enum_err(c.req("POST", "/memory/neurons", {"type": "x", "content": "c"}, brain=b), "type", H.NEURON_TYPES)
    enum_err(c.req("GET", "/memory/neurons?type=x", brain=b), "type", H.NEURON_TYPES)
    enum_err(c.req("POST", "/memory/synapses", {"source_id": "n", "target_id": "n", "type": "x"}, brain=b), "type",
             H.SYNAPSE_TYPES)
    enum_err(c.req("GET", "/memory/synapses?type=x", brain=b), "type", H.SYNAPSE_TYPES)
    enum_err(c.req("POST", "/memory/synapses", {"source_id": "n", "target_id": "n", "type": "is_a", "direction": "x"},
                   brain=b), "direction", H.DIRECTIONS)
    enum_err(c.req("GET", "/memory/fibers?order_by=x", brain=b), "order_by", H.ORDER_BY)
    enum_err(c.req("GET", "/memory/neurons/n/neighbors?direction=x", brain=b), "direction", H.NEIGHBOR_DIRECTIONS)
    enum_err(c.req("GET", "/memory/neurons/n/neighbors?synapse_types=x", brain=b), "synapse_types", H.SYNAPSE_TYPES)
    enum_err(c.req("GET", f"/brain/{b}/export?format=x"), "format", ["json"])


def test_409_every_kind(srv):
    c = srv.c
    b = _brain(c)
    before = H.content_of(c, b)
    err(c.req("POST", "/brain/create", {"id": b, "name": "again"}), 409, f"Brain {b} already exists")
    err(c.req("POST", "/memory/neurons", {"id": "n", "type": "entity", "content": "again"}, brain=b), 409,
        "Neuron n already exists")
    err(c.req("POST", "/memory/synapses", {"id": "s", "source_id": "n", "target_id": "n", "type": "before"}, brain=b),
        409, contains=["s", "already exists"])
    err(c.req("POST", "/memory/fibers", {"id": "f", "neuron_ids": ["n"], "anchor_neuron_id": "n"}, brain=b), 409,
        contains=["f", "already exists"])
    eq(H.content_of(c, b), before, "brain unchanged")


def test_failed_writes_leave_brain_unchanged(srv):
    c = srv.c
    b = _brain(c)
    before = H.content_of(c, b)
    states = H.states_of(c, b, ["n"])
    bad = [("POST", "/memory/neurons", {"type": "entity"}), ("POST", "/memory/neurons", {"type": "entity", "content": 1}),
           ("PUT", "/memory/neurons/n", {"type": "nope", "content": "changed"}),
           ("PUT", "/memory/neurons/n/state", {"activation_level": 2, "access_frequency": 9}),
           ("POST", "/memory/synapses", {"source_id": "n", "target_id": "ghost", "type": "is_a"}),
           ("PUT", "/memory/synapses/s", {"weight": 0.1, "source_id": "other"}),
           ("POST", "/memory/fibers", {"neuron_ids": ["n"], "anchor_neuron_id": "q"}),
           ("PUT", "/memory/fibers/f", {"neuron_ids": ["q"], "summary": "changed"}),
           ("PUT", f"/brain/{b}", {"name": "changed", "config": {"decay_rate": 5}}),
           ("POST", f"/brain/{b}/import", {"brain_name": "changed", "neurons": []})]
    for m, p, body in bad:
        r = c.req(m, p, body, brain=b)
        expect(r[0] in (400, 422), f"{m} {p}: expected 400/422, got {r!r}")
        err(r, r[0])
    eq(H.content_of(c, b), before, "brain unchanged after failed writes")
    eq(H.states_of(c, b, ["n"]), states, "states unchanged")


def test_head_on_errors(srv):
    r = srv.req("HEAD", "/no/such/path")
    H.status(r, 404)
    eq(r.raw, b"", "HEAD 404 has no body")
    r = srv.req("HEAD", "/memory/neurons")
    H.status(r, 422)
    eq(r.raw, b"", "HEAD 422 has no body")
