"""Synapses (PROTOCOL.md §2.3, §3.7, §1.6 default directions, §1.7 numbers)."""
import harness as H
from harness import eq, expect, ok, err, field_err, enum_err, uid


def _brain_with(c, *nids):
    b = H.new_brain(c)
    for n in nids:
        H.mk_neuron(c, b, n, id=n)
    return b


def test_create_full_shape(srv):
    c = srv.c
    b = _brain_with(c, "n-1", "n-2")
    body = {"id": "s-1", "source_id": "n-1", "target_id": "n-2", "type": "is_a", "weight": 0.7, "direction": "bi",
            "metadata": {"why": "test"}, "reinforced_count": 3, "last_activated": "2026-01-05T06:07:08.9",
            "created_at": "2026-01-02T03:04:05"}
    r = c.req("POST", "/memory/synapses", body, brain=b)
    s = ok(r, 201, "create synapse")
    H.check_synapse(s, id="s-1", source_id="n-1", target_id="n-2", type="is_a", weight=0.7, direction="bi",
                    metadata={"why": "test"}, reinforced_count=3, last_activated="2026-01-05T06:07:08.900000",
                    created_at="2026-01-02T03:04:05.000000")
    t = r.typed()
    eq(t["weight"].text, "0.7", "weight in shortest round-trip form")
    eq(t["reinforced_count"].text, "3", "reinforced_count as integer")
    eq(ok(c.req("GET", "/memory/synapses/s-1", brain=b), 200), s, "GET equals create answer")


def test_create_defaults_and_direction_by_type(srv):
    c = srv.c
    b = _brain_with(c, "a", "b")
    for t in H.SYNAPSE_TYPES:
        r = c.req("POST", "/memory/synapses", {"source_id": "a", "target_id": "b", "type": t}, brain=b)
        s = ok(r, 201, t)
        H.check_synapse(s, type=t, weight=0.5, metadata={}, reinforced_count=0, last_activated=None,
                        direction="bi" if t in H.BI_DEFAULT_TYPES else "uni")
        expect(H.is_uuid4(s["id"]), f"generated id {s['id']!r}")
        eq(r.typed()["weight"].text, "0.5", "default weight text")
    eq(H.counts(c, b)[1], len(H.SYNAPSE_TYPES), "count")
    # explicit direction overrides the default; nulls mean default
    s = H.mk_synapse(c, b, "a", "b", type="co_occurs", direction="uni")
    eq(s["direction"], "uni", "explicit uni on a bi-default type")
    s = H.mk_synapse(c, b, "a", "b", type="is_a", direction="bi")
    eq(s["direction"], "bi", "explicit bi on a uni-default type")
    s = H.mk_synapse(c, b, "a", "b", type="near", direction=None, weight=None, metadata=None, id=None,
                     reinforced_count=None, created_at=None)
    H.check_synapse(s, direction="bi", weight=0.5, metadata={}, reinforced_count=0)


def test_weight_numbers(srv):
    c = srv.c
    b = _brain_with(c, "a", "b")
    cases = [(1, "1.0"), (0, "0.0"), (0.1 + 0.2, repr(0.1 + 0.2)), (0.7, "0.7"), (1e-05, "1e-05"),
             (0.25, "0.25"), (1.0, "1.0"), (0.123456789012345678, repr(0.123456789012345678))]
    for given, _text in cases:
        r = c.req("POST", "/memory/synapses", {"source_id": "a", "target_id": "b", "type": "before", "weight": given},
                  brain=b)
        ok(r, 201, f"weight {given!r}")
        w = r.typed()["weight"]
        expect(isinstance(w, H.FloatTok), f"weight {given!r} written as a float token, got {w!r}")
        eq(float(w), float(given), f"weight {given!r} round-trips to the identical double")
        if given in (0.7, 0.25, 1, 0, 1.0):
            eq(w.text, _text, f"shortest form of {given!r}")
        else:
            eq(float(w.text), float(given), "round trip")


def test_weight_range_and_types(srv):
    c = srv.c
    b = _brain_with(c, "a", "b")
    for w in (-0.01, 1.01, 2, -1, "0.5", True, [0.5]):
        field_err(c.req("POST", "/memory/synapses", {"source_id": "a", "target_id": "b", "type": "before", "weight": w},
                        brain=b), "weight", what=f"weight={w!r}")
    eq(H.counts(c, b)[1], 0, "nothing created")


def test_enum_errors(srv):
    c = srv.c
    b = _brain_with(c, "a", "b")
    enum_err(c.req("POST", "/memory/synapses", {"source_id": "a", "target_id": "b", "type": "friend_of"}, brain=b),
             "type", H.SYNAPSE_TYPES)
    enum_err(c.req("POST", "/memory/synapses", {"source_id": "a", "target_id": "b", "type": "IS_A"}, brain=b),
             "type", H.SYNAPSE_TYPES)
    enum_err(c.req("POST", "/memory/synapses", {"source_id": "a", "target_id": "b", "type": "is_a",
                                               "direction": "both"}, brain=b), "direction", H.DIRECTIONS)
    eq(H.counts(c, b)[1], 0, "nothing created")


def test_field_errors(srv):
    c = srv.c
    b = _brain_with(c, "a", "b")
    base = {"source_id": "a", "target_id": "b", "type": "is_a"}
    cases = [("source_id", None), ("target_id", None), ("type", None), ("source_id", 5), ("target_id", ""),
             ("type", 3), ("metadata", []), ("reinforced_count", -1), ("reinforced_count", 1.5),
             ("last_activated", "later"), ("created_at", "2026-99-01"), ("id", ""), ("direction", 1)]
    for k, v in cases:
        body = dict(base, **{k: v})
        field_err(c.req("POST", "/memory/synapses", body, brain=b), k, what=f"{k}={v!r}")
    for k in ("source_id", "target_id", "type"):
        body = {kk: vv for kk, vv in base.items() if kk != k}
        field_err(c.req("POST", "/memory/synapses", body, brain=b), k, what=f"missing {k}")
    eq(H.counts(c, b)[1], 0, "nothing created")


def test_missing_endpoints_422(srv):
    c = srv.c
    b = _brain_with(c, "a", "b")
    err(c.req("POST", "/memory/synapses", {"source_id": "ghost", "target_id": "b", "type": "is_a"}, brain=b), 422,
        "Source neuron ghost does not exist")
    err(c.req("POST", "/memory/synapses", {"source_id": "a", "target_id": "ghost", "type": "is_a"}, brain=b), 422,
        "Target neuron ghost does not exist")
    err(c.req("POST", "/memory/synapses", {"source_id": "g1", "target_id": "g2", "type": "is_a"}, brain=b), 422,
        "Source neuron g1 does not exist")
    # field checks come before existence checks
    field_err(c.req("POST", "/memory/synapses", {"source_id": "g1", "target_id": "g2", "type": "is_a", "weight": 3},
                    brain=b), "weight")
    enum_err(c.req("POST", "/memory/synapses", {"source_id": "g1", "target_id": "g2", "type": "nope"}, brain=b),
             "type", H.SYNAPSE_TYPES)
    # neurons of another brain do not count
    other = _brain_with(c, "only-there")
    err(c.req("POST", "/memory/synapses", {"source_id": "only-there", "target_id": "a", "type": "is_a"}, brain=b),
        422, "Source neuron only-there does not exist")
    eq(H.counts(c, b)[1], 0, "nothing created")
    eq(H.counts(c, other)[1], 0, "nothing created in the other brain")


def test_duplicate_409_comes_last(srv):
    c = srv.c
    b = _brain_with(c, "a", "b")
    H.mk_synapse(c, b, "a", "b", id="s-dup", weight=0.3)
    err(c.req("POST", "/memory/synapses", {"id": "s-dup", "source_id": "a", "target_id": "b", "type": "is_a"},
              brain=b), 409, contains=["s-dup", "already exists"])
    err(c.req("POST", "/memory/synapses", {"id": "s-dup", "source_id": "ghost", "target_id": "b", "type": "is_a"},
              brain=b), 422, "Source neuron ghost does not exist")
    field_err(c.req("POST", "/memory/synapses", {"id": "s-dup", "source_id": "a", "target_id": "b", "type": "is_a",
                                                "weight": 9}, brain=b), "weight")
    eq(ok(c.req("GET", "/memory/synapses/s-dup", brain=b), 200)["weight"], 0.3, "original unchanged")
    eq(H.counts(c, b)[1], 1, "count")


def test_self_loop_and_multigraph(srv):
    c = srv.c
    b = _brain_with(c, "a", "b")
    H.mk_synapse(c, b, "a", "a", type="similar_to", id="loop")
    H.mk_synapse(c, b, "a", "b", type="is_a", id="m1")
    H.mk_synapse(c, b, "a", "b", type="is_a", id="m2")
    H.mk_synapse(c, b, "a", "b", type="before", id="m3")
    eq(H.ids(H.list_synapses(c, b, source_id="a", target_id="b")["synapses"]), ["m1", "m2", "m3"], "parallel edges")
    eq(H.ids(H.list_synapses(c, b, source_id="a", target_id="a")["synapses"]), ["loop"], "self-loop")


def test_get_missing(srv):
    c = srv.c
    b = _brain_with(c)
    err(c.req("GET", "/memory/synapses/nope", brain=b), 404, "Synapse nope not found")


def test_put_synapse(srv):
    c = srv.c
    b = _brain_with(c, "a", "b")
    orig = H.mk_synapse(c, b, "a", "b", type="is_a", id="s-p", weight=0.3, metadata={"x": 1},
                        created_at="2026-01-01T00:00:00")
    # What the client sends.
    s = ok(c.req("PUT", "/memory/synapses/s-p", {"weight": 0.9, "metadata": {"y": 2}}, brain=b), 200)
    H.check_synapse(s, id="s-p", source_id="a", target_id="b", type="is_a", weight=0.9, metadata={"y": 2},
                    direction=orig["direction"], reinforced_count=0, last_activated=None, created_at=orig["created_at"])
    s = ok(c.req("PUT", "/memory/synapses/s-p", {"type": "before", "direction": "bi", "reinforced_count": 4,
                                                 "last_activated": "2026-03-03T03:03:03"}, brain=b), 200)
    H.check_synapse(s, type="before", direction="bi", reinforced_count=4, weight=0.9, metadata={"y": 2},
                    last_activated="2026-03-03T03:03:03.000000")
    s = ok(c.req("PUT", "/memory/synapses/s-p", {"last_activated": None, "metadata": {}}, brain=b), 200)
    eq(s["last_activated"], None, "null clears last_activated")
    eq(s["metadata"], {}, "metadata replaced")
    # immutable fields present and equal are fine
    s = ok(c.req("PUT", "/memory/synapses/s-p", {"id": "s-p", "source_id": "a", "target_id": "b",
                                                 "created_at": orig["created_at"], "weight": 0.4}, brain=b), 200)
    eq(s["weight"], 0.4, "weight")
    eq(ok(c.req("GET", "/memory/synapses/s-p", brain=b), 200), s, "GET after PUT")


def test_put_synapse_errors_leave_unchanged(srv):
    c = srv.c
    b = _brain_with(c, "a", "b", "x")
    H.mk_synapse(c, b, "a", "b", type="is_a", id="s-s", weight=0.3, created_at="2026-01-01T00:00:00")
    before = ok(c.req("GET", "/memory/synapses/s-s", brain=b), 200)
    for body, field in [({"weight": 1.5}, "weight"), ({"weight": "x"}, "weight"), ({"metadata": 1}, "metadata"),
                        ({"reinforced_count": -2}, "reinforced_count"), ({"id": "other"}, "id"),
                        ({"source_id": "x"}, "source_id"), ({"target_id": "x"}, "target_id"),
                        ({"created_at": "2027-01-01T00:00:00"}, "created_at"),
                        ({"weight": 0.9, "last_activated": "bad"}, "last_activated")]:
        field_err(c.req("PUT", "/memory/synapses/s-s", body, brain=b), field, what=str(body))
    enum_err(c.req("PUT", "/memory/synapses/s-s", {"type": "nah", "weight": 0.9}, brain=b), "type", H.SYNAPSE_TYPES)
    enum_err(c.req("PUT", "/memory/synapses/s-s", {"direction": "up"}, brain=b), "direction", H.DIRECTIONS)
    eq(ok(c.req("GET", "/memory/synapses/s-s", brain=b), 200), before, "unchanged")
    err(c.req("PUT", "/memory/synapses/ghost", {"weight": 0.5}, brain=b), 404, "Synapse ghost not found")


def test_delete_synapse(srv):
    c = srv.c
    b = _brain_with(c, "a", "b")
    H.mk_synapse(c, b, "a", "b", id="s-d")
    f = H.mk_fiber(c, b, ["a", "b"], synapse_ids=["s-d"])
    eq(ok(c.req("DELETE", "/memory/synapses/s-d", brain=b), 200), {"status": "deleted", "id": "s-d"}, "body")
    err(c.req("GET", "/memory/synapses/s-d", brain=b), 404, "Synapse s-d not found")
    err(c.req("DELETE", "/memory/synapses/s-d", brain=b), 404, "Synapse s-d not found")
    eq(ok(c.req("GET", f"/memory/fiber/{f['id']}", brain=b), 200)["synapse_ids"], ["s-d"], "fiber not modified")
    eq(H.counts(c, b), (2, 0, 1), "neurons untouched")


def test_list_filters(srv):
    c = srv.c
    b = _brain_with(c, "n-1", "n-2", "n-3")
    H.mk_synapse(c, b, "n-1", "n-2", type="is_a", weight=0.25, id="s1")
    H.mk_synapse(c, b, "n-1", "n-3", type="is_a", weight=0.9, id="s2")
    H.mk_synapse(c, b, "n-2", "n-3", type="before", weight=0.0, id="s3")
    H.mk_synapse(c, b, "n-1", "n-2", type="before", weight=1, id="s4")
    H.mk_synapse(c, b, "n-3", "n-1", type="is_a", weight=0.2499, id="s5")
    r = c.req("GET", "/memory/synapses", brain=b)  # no query string at all (the client's get_synapses())
    body = ok(r, 200)
    eq(list(body), ["synapses", "count"], "keys")
    eq(H.ids(body["synapses"]), ["s1", "s2", "s3", "s4", "s5"], "all, creation order")
    eq(body["count"], 5, "count")
    for s in body["synapses"]:
        H.check_synapse(s)

    def q(**p):
        return H.ids(H.list_synapses(c, b, **p)["synapses"])

    eq(q(source_id="n-1"), ["s1", "s2", "s4"], "source_id")
    eq(q(target_id="n-3"), ["s2", "s3"], "target_id")
    eq(q(type="is_a"), ["s1", "s2", "s5"], "type")
    eq(q(min_weight="0.25"), ["s1", "s2", "s4"], "min_weight inclusive")
    eq(q(min_weight="0"), ["s1", "s2", "s3", "s4", "s5"], "min_weight=0")
    eq(q(min_weight="1e-05"), ["s1", "s2", "s4", "s5"], "min_weight=1e-05")
    eq(q(source_id="n-1", target_id="n-2", type="is_a", min_weight="0.25"), ["s1"], "all four (client order)")
    eq(q(limit=2), ["s1", "s2"], "limit")
    eq(q(offset=3), ["s4", "s5"], "offset")
    eq(q(offset=1, limit=1, source_id="n-1"), ["s2"], "offset+limit after filter")
    eq(q(source_id="ghost"), [], "unknown source -> empty")
    enum_err(c.req("GET", "/memory/synapses", brain=b, query={"type": "bogus"}), "type", H.SYNAPSE_TYPES)
    for v in ("nan", "NaN", "inf", "-inf", "abc", "0.5x"):
        field_err(c.req("GET", "/memory/synapses", brain=b, query={"min_weight": v}), "min_weight", what=f"min_weight={v!r}")
    for qq in ({"limit": 0}, {"limit": -1}, {"limit": "x"}, {"offset": -1}):
        field_err(c.req("GET", "/memory/synapses", brain=b, query=qq), list(qq)[0], what=str(qq))
