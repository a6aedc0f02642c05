"""Fibers (PROTOCOL.md §2.4, §3.8, §5 rows 6, 13, 14, 16, 25; §7.1)."""
import harness as H
from harness import eq, expect, ok, err, field_err, enum_err


def test_create_full_shape(srv):
    c = srv.c
    b = H.new_brain(c)
    body = {"id": "f-1", "neuron_ids": ["n-b", "n-a", "n-b", "n-c", "n-a"], "synapse_ids": ["s-2", "s-1", "s-2"],
            "anchor_neuron_id": "n-a", "time_start": "2026-01-01T00:00:00", "time_end": "2026-01-02T00:00:00.5",
            "coherence": 0.7, "salience": 0.3, "frequency": 2, "summary": "a summary", "tags": ["x", "y", "x"],
            "metadata": {"m": [1]}, "created_at": "2026-01-03T00:00:00Z"}
    r = c.req("POST", "/memory/fibers", body, brain=b)
    f = ok(r, 201, "create fiber")
    H.check_fiber(f, id="f-1", neuron_ids=["n-b", "n-a", "n-c"], synapse_ids=["s-2", "s-1"], anchor_neuron_id="n-a",
                  time_start="2026-01-01T00:00:00.000000", time_end="2026-01-02T00:00:00.500000", coherence=0.7,
                  salience=0.3, frequency=2, summary="a summary", tags=["x", "y"], metadata={"m": [1]},
                  created_at="2026-01-03T00:00:00.000000")
    t = r.typed()
    eq(t["coherence"].text, "0.7", "coherence text")
    eq(t["frequency"].text, "2", "frequency integer")
    eq(ok(c.req("GET", "/memory/fiber/f-1", brain=b), 200), f, "GET /memory/fiber/{id} (singular)")
    eq(ok(c.req("GET", "/memory/fibers/f-1", brain=b), 200), f, "GET /memory/fibers/{id} (alias)")


def test_create_defaults(srv):
    c = srv.c
    b = H.new_brain(c)
    # neurons need not exist (upstream does not check)
    r = c.req("POST", "/memory/fibers", {"neuron_ids": ["ghost"], "anchor_neuron_id": "ghost"}, brain=b)
    f = ok(r, 201)
    H.check_fiber(f, neuron_ids=["ghost"], synapse_ids=[], anchor_neuron_id="ghost", time_start=None, time_end=None,
                  coherence=0.0, salience=0.0, frequency=0, summary=None, tags=[], metadata={})
    expect(H.is_uuid4(f["id"]), f"generated id {f['id']!r}")
    t = r.typed()
    eq((t["coherence"].text, t["salience"].text, t["frequency"].text), ("0.0", "0.0", "0"), "number forms")
    f = ok(c.req("POST", "/memory/fibers", {"id": None, "neuron_ids": ["a"], "anchor_neuron_id": "a", "synapse_ids": None,
                                           "time_start": None, "time_end": None, "coherence": None, "salience": None,
                                           "frequency": None, "summary": None, "tags": None, "metadata": None,
                                           "created_at": None}, brain=b), 201)
    H.check_fiber(f, synapse_ids=[], coherence=0.0, salience=0.0, frequency=0, summary=None, tags=[], metadata={})
    # The client's add_fiber body: no metadata, null times, sets in arbitrary order.
    f = ok(c.req("POST", "/memory/fibers", {
        "id": "f-client", "neuron_ids": ["n2", "n1"], "synapse_ids": [], "anchor_neuron_id": "n1", "time_start": None,
        "time_end": None, "coherence": 0.5, "salience": 0.25, "frequency": 0, "summary": None, "tags": ["t"],
        "created_at": "2026-01-02T03:04:05.000006"}, brain=b), 201)
    H.check_fiber(f, id="f-client", neuron_ids=["n2", "n1"], metadata={}, created_at="2026-01-02T03:04:05.000006")


def test_create_errors(srv):
    c = srv.c
    b = H.new_brain(c)
    base = {"neuron_ids": ["a", "b"], "anchor_neuron_id": "a"}
    cases = [({"anchor_neuron_id": "a"}, "neuron_ids"), ({"neuron_ids": ["a"]}, "anchor_neuron_id"),
             (dict(base, anchor_neuron_id="z"), "anchor_neuron_id"), ({"neuron_ids": [], "anchor_neuron_id": "a"},
                                                                      ("neuron_ids", "anchor_neuron_id")),
             (dict(base, neuron_ids="a"), "neuron_ids"), (dict(base, neuron_ids=["a", 1]), "neuron_ids"),
             (dict(base, neuron_ids=None), "neuron_ids"), (dict(base, anchor_neuron_id=None), "anchor_neuron_id"),
             (dict(base, anchor_neuron_id=5), "anchor_neuron_id"), (dict(base, synapse_ids="s"), "synapse_ids"),
             (dict(base, synapse_ids=[1]), "synapse_ids"), (dict(base, coherence=1.5), "coherence"),
             (dict(base, coherence=-0.1), "coherence"), (dict(base, salience=1.01), "salience"),
             (dict(base, salience="0.5"), "salience"), (dict(base, frequency=-1), "frequency"),
             (dict(base, frequency=1.5), "frequency"), (dict(base, summary=5), "summary"),
             (dict(base, tags="x"), "tags"), (dict(base, tags=[1]), "tags"), (dict(base, metadata=[]), "metadata"),
             (dict(base, time_start="bad"), "time_start"), (dict(base, time_end=7), "time_end"),
             (dict(base, time_start="2026-01-02", time_end="2026-01-01"), ("time_end", "time_start")),
             (dict(base, created_at="2026-02-30"), "created_at"), (dict(base, id=""), "id")]
    for body, field in cases:
        field_err(c.req("POST", "/memory/fibers", body, brain=b), field, what=str(body)[:100])
    ok(c.req("POST", "/memory/fibers", dict(base, time_start="2026-01-01", time_end="2026-01-01"), brain=b), 201)
    ok(c.req("POST", "/memory/fibers", dict(base, time_start="2026-01-01"), brain=b), 201)  # one end set: fine
    ok(c.req("POST", "/memory/fibers", dict(base, frequency=4.0, coherence=1, salience=0), brain=b), 201)
    eq(H.counts(c, b)[2], 3, "only the valid fibers were created")


def test_duplicate_409(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_fiber(c, b, ["a"], id="f-dup", summary="first")
    err(c.req("POST", "/memory/fibers", {"id": "f-dup", "neuron_ids": ["b"], "anchor_neuron_id": "b"}, brain=b), 409,
        contains=["f-dup", "already exists"])
    field_err(c.req("POST", "/memory/fibers", {"id": "f-dup", "neuron_ids": ["b"], "anchor_neuron_id": "c"}, brain=b),
              "anchor_neuron_id")
    eq(ok(c.req("GET", "/memory/fiber/f-dup", brain=b), 200)["summary"], "first", "unchanged")


def test_get_missing(srv):
    c = srv.c
    b = H.new_brain(c)
    err(c.req("GET", "/memory/fiber/nope", brain=b), 404, "Fiber nope not found")
    err(c.req("GET", "/memory/fibers/nope", brain=b), 404, "Fiber nope not found")


def test_put_fiber(srv):
    c = srv.c
    b = H.new_brain(c)
    orig = H.mk_fiber(c, b, ["a", "b"], anchor="a", id="f-p", time_start="2026-01-01", time_end="2026-01-02",
                      metadata={"enc": 1}, summary="s0", created_at="2026-01-05T00:00:00")
    # The client's update_fiber body.
    f = ok(c.req("PUT", "/memory/fibers/f-p", {"neuron_ids": ["c", "a", "c"], "synapse_ids": ["s1"], "coherence": 0.4,
                                               "salience": 0.8, "frequency": 5, "summary": "s1", "tags": ["t2", "t1"]},
                 brain=b), 200)
    H.check_fiber(f, id="f-p", neuron_ids=["c", "a"], synapse_ids=["s1"], anchor_neuron_id="a",
                  time_start=orig["time_start"], time_end=orig["time_end"], coherence=0.4, salience=0.8, frequency=5,
                  summary="s1", tags=["t2", "t1"], metadata={"enc": 1}, created_at=orig["created_at"])
    # Re-anchor together with neuron_ids; re-time; metadata replaced; summary cleared with null? (nullable)
    f = ok(c.req("PUT", "/memory/fibers/f-p", {"neuron_ids": ["z"], "anchor_neuron_id": "z",
                                               "time_start": "2026-02-01", "time_end": None, "metadata": {"new": True}},
                 brain=b), 200)
    H.check_fiber(f, neuron_ids=["z"], anchor_neuron_id="z", time_start="2026-02-01T00:00:00.000000", time_end=None,
                  metadata={"new": True}, salience=0.8)
    eq(ok(c.req("GET", "/memory/fiber/f-p", brain=b), 200), f, "GET after PUT")
    f = ok(c.req("PUT", "/memory/fibers/f-p", {"summary": None, "tags": None, "salience": None}, brain=b), 200)
    eq(f["summary"], None, "null summary clears it (nullable)")
    eq(f["tags"], ["t2", "t1"], "null tags = absent (kept)")
    eq(f["salience"], 0.8, "null salience = absent (kept)")


def test_put_fiber_errors_leave_unchanged(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_fiber(c, b, ["a", "b"], anchor="a", id="f-s", time_start="2026-01-01", time_end="2026-01-03")
    before = ok(c.req("GET", "/memory/fiber/f-s", brain=b), 200)
    field_err(c.req("PUT", "/memory/fibers/f-s", {"neuron_ids": ["b", "c"]}, brain=b), "anchor_neuron_id",
              what="anchor dropped from neuron_ids")
    field_err(c.req("PUT", "/memory/fibers/f-s", {"anchor_neuron_id": "q"}, brain=b), "anchor_neuron_id")
    field_err(c.req("PUT", "/memory/fibers/f-s", {"salience": 2}, brain=b), "salience")
    field_err(c.req("PUT", "/memory/fibers/f-s", {"tags": "x"}, brain=b), "tags")
    field_err(c.req("PUT", "/memory/fibers/f-s", {"time_end": "2025-12-31"}, brain=b), ("time_end", "time_start"),
              what="merged time_end before stored time_start")
    field_err(c.req("PUT", "/memory/fibers/f-s", {"frequency": -3, "summary": "changed"}, brain=b), "frequency")
    eq(ok(c.req("GET", "/memory/fiber/f-s", brain=b), 200), before, "unchanged after failed PUTs")
    err(c.req("PUT", "/memory/fibers/nope", {"salience": 0.5}, brain=b), 404, "Fiber nope not found")


def test_delete_fiber(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "a", id="a")
    H.mk_fiber(c, b, ["a"], id="f-d")
    eq(ok(c.req("DELETE", "/memory/fibers/f-d", brain=b), 200), {"status": "deleted", "id": "f-d"}, "body")
    err(c.req("GET", "/memory/fiber/f-d", brain=b), 404, "Fiber f-d not found")
    err(c.req("DELETE", "/memory/fibers/f-d", brain=b), 404, "Fiber f-d not found")
    eq(H.counts(c, b), (1, 0, 0), "neuron untouched")


# -- listing --------------------------------------------------------------------

def _ordering_brain(c):
    b = H.new_brain(c)
    sal = [0.5, 0.9, 0.5, 0.1, 0.9, 0.0]
    freq = [3, 1, 2, 3, 0, 5]
    created = ["2026-01-03", "2026-01-01", "2026-01-05", "2026-01-02", "2026-01-04", "2026-01-06"]
    for i in range(6):
        H.mk_fiber(c, b, ["n"], id=f"f{i + 1}", salience=sal[i], frequency=freq[i], created_at=created[i])
    return b


def _fids(c, b, **p):
    r = H.list_fibers(c, b, **p)
    eq(r["count"], len(r["fibers"]), "count = len(fibers)")
    return H.ids(r["fibers"])


def test_list_shape(srv):
    c = srv.c
    b = _ordering_brain(c)
    r = H.list_fibers(c, b)
    eq(list(r), ["fibers", "count"], "keys")
    for f in r["fibers"]:
        H.check_fiber(f)
    eq(H.list_fibers(c, H.new_brain(c)), {"fibers": [], "count": 0}, "empty")


def test_default_order_salience_desc(srv):
    c = srv.c
    b = _ordering_brain(c)
    eq(_fids(c, b), ["f2", "f5", "f1", "f3", "f4", "f6"], "salience desc, ties creation order")
    eq(_fids(c, b, limit=2), ["f2", "f5"], "top-N over all matches")
    eq(_fids(c, b, limit=2, offset=2), ["f1", "f3"], "offset")
    eq(_fids(c, b, offset=6), [], "offset past end")
    eq(_fids(c, b, min_salience="0.5"), ["f2", "f5", "f1", "f3"], "min_salience inclusive")
    eq(_fids(c, b, min_salience="0.95"), [], "min_salience above all")


def test_order_by(srv):
    c = srv.c
    b = _ordering_brain(c)
    eq(_fids(c, b, order_by="salience"), ["f2", "f5", "f1", "f3", "f4", "f6"], "salience (descending default)")
    eq(_fids(c, b, order_by="salience", descending="false"), ["f6", "f4", "f1", "f3", "f2", "f5"],
       "salience asc, ties oldest first")
    eq(_fids(c, b, order_by="frequency"), ["f6", "f1", "f4", "f3", "f2", "f5"], "frequency desc, ties oldest first")
    eq(_fids(c, b, order_by="frequency", descending="false"), ["f5", "f2", "f3", "f1", "f4", "f6"], "frequency asc")
    eq(_fids(c, b, order_by="created_at"), ["f6", "f3", "f5", "f1", "f4", "f2"], "created_at desc")
    eq(_fids(c, b, order_by="created_at", descending="false"), ["f2", "f4", "f1", "f5", "f3", "f6"], "created_at asc")
    eq(_fids(c, b, order_by="frequency", limit=3), ["f6", "f1", "f4"], "order before limit")
    enum_err(c.req("GET", "/memory/fibers", brain=b, query={"order_by": "bogus"}), "order_by", H.ORDER_BY)
    enum_err(c.req("GET", "/memory/fibers", brain=b, query={"order_by": "Salience"}), "order_by", H.ORDER_BY)


def test_order_by_created_at_ties(srv):
    c = srv.c
    b = H.new_brain(c)
    for i in range(3):
        H.mk_fiber(c, b, ["n"], id=f"t{i}", created_at="2026-01-01T00:00:00")
    H.mk_fiber(c, b, ["n"], id="later", created_at="2026-01-02T00:00:00")
    eq(_fids(c, b, order_by="created_at", descending="true"), ["later", "t0", "t1", "t2"], "desc, ties oldest first")
    eq(_fids(c, b, order_by="created_at", descending="false"), ["t0", "t1", "t2", "later"], "asc")


def test_descending_booleans(srv):
    c = srv.c
    b = _ordering_brain(c)
    asc = ["f6", "f4", "f1", "f3", "f2", "f5"]
    desc = ["f2", "f5", "f1", "f3", "f4", "f6"]
    for v in ("false", "False", "FALSE", "0", "fAlSe"):
        eq(_fids(c, b, order_by="salience", descending=v), asc, f"descending={v}")
    for v in ("true", "True", "TRUE", "1"):
        eq(_fids(c, b, order_by="salience", descending=v), desc, f"descending={v}")
    for v in ("maybe", "2", "yes", "on", "-1"):
        field_err(c.req("GET", "/memory/fibers", brain=b, query={"order_by": "salience", "descending": v}),
                  "descending", what=f"descending={v}")


def test_limit_default_and_range(srv):
    c = srv.c
    b = H.new_brain(c)
    for i in range(101):
        H.mk_fiber(c, b, ["n"], id=f"f{i:03d}")
    eq(_fids(c, b), [f"f{i:03d}" for i in range(100)], "default limit 100, creation order on equal salience")
    eq(len(_fids(c, b, limit=10000)), 101, "limit 10000")
    for q in ({"limit": 0}, {"limit": 10001}, {"limit": -1}, {"limit": "many"}, {"offset": -1}):
        field_err(c.req("GET", "/memory/fibers", brain=b, query=q), list(q)[0], what=str(q))
    for v in ("nan", "inf", "x"):
        field_err(c.req("GET", "/memory/fibers", brain=b, query={"min_salience": v}), "min_salience")


def test_contains_neuron_exact(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_fiber(c, b, ["n-1"], id="fa")
    H.mk_fiber(c, b, ["n-10"], id="fb")
    H.mk_fiber(c, b, ["n-10", "n-1"], anchor="n-10", id="fc")
    H.mk_fiber(c, b, ["n-11"], id="fd")
    H.mk_fiber(c, b, ["xn-1"], id="fe")
    H.mk_fiber(c, b, ['n-1"'], id="ff")
    eq(_fids(c, b, contains_neuron="n-1"), ["fa", "fc"], "exact element match (n-1 is not n-10)")
    eq(_fids(c, b, contains_neuron="n-10"), ["fb", "fc"], "n-10")
    eq(_fids(c, b, contains_neuron="n-"), [], "no substring match")
    eq(_fids(c, b, contains_neuron="N-1"), [], "case-sensitive")
    eq(_fids(c, b, contains_neuron='n-1"'), ["ff"], "quote in id")


def test_tag_filter_before_limit(srv):
    # PROTOCOL.md §5 row 13: upstream SQLite applied the tag filter after LIMIT.
    c = srv.c
    b = H.new_brain(c)
    for i in range(5):
        H.mk_fiber(c, b, ["n"], id=f"hi{i}", salience=0.9)
    H.mk_fiber(c, b, ["n"], id="tagged", salience=0.1, tags=["x"])
    eq(_fids(c, b, tags="x", limit=1), ["tagged"], "filter before limit")
    eq(_fids(c, b, min_salience="0.5", limit=2, offset=3), ["hi3", "hi4"], "offset within the filtered set")


def test_contains_neuron_limit_top_salience(srv):
    # The engine's find_fibers(contains_neuron, limit=3): the 3 most salient among all matches.
    c = srv.c
    b = H.new_brain(c)
    for i, s in enumerate([0.1, 0.2, 0.9, 0.3, 0.8, 0.7]):
        H.mk_fiber(c, b, ["hub", f"x{i}"], anchor="hub", id=f"h{i}", salience=s)
    H.mk_fiber(c, b, ["other"], id="o", salience=1.0)
    eq(_fids(c, b, limit=3, contains_neuron="hub"), ["h2", "h4", "h5"], "top-3 by salience over all matches")


def test_time_overlap(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_fiber(c, b, ["n"], id="A", time_start="2026-01-01", time_end="2026-01-05")
    H.mk_fiber(c, b, ["n"], id="B", time_start="2026-01-10", time_end="2026-01-20")
    H.mk_fiber(c, b, ["n"], id="C", time_start="2026-01-01")
    H.mk_fiber(c, b, ["n"], id="D")
    H.mk_fiber(c, b, ["n"], id="E", time_start="2026-01-05", time_end="2026-01-10")
    H.mk_fiber(c, b, ["n"], id="F", time_end="2026-01-07")

    def ov(a, z, **kw):
        return _fids(c, b, time_start=a, time_end=z, **kw)

    eq(ov("2026-01-05", "2026-01-10"), ["A", "B", "E"], "inclusive overlap; fibers need both times")
    eq(ov("2026-01-06", "2026-01-09"), ["E"], "inner range")
    eq(ov("2026-01-05T00:00:00.000001", "2026-01-09T23:59:59.999999"), ["E"], "microsecond boundaries")
    eq(ov("2026-01-21", "2026-01-30"), [], "after everything")
    eq(ov("2025-01-01", "2027-01-01", limit=2), ["A", "B"], "limit")
    eq(ov("2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00Z"), ["A"], "offsets converted")
    field_err(c.req("GET", "/memory/fibers", brain=b, query={"time_start": "2026-01-01"}), ("time_start", "time_end"))
    field_err(c.req("GET", "/memory/fibers", brain=b, query={"time_end": "2026-01-01"}), ("time_start", "time_end"))
    field_err(c.req("GET", "/memory/fibers", brain=b, query={"time_start": "x", "time_end": "2026-01-01"}),
              "time_start")


def test_tags_all_of(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_fiber(c, b, ["n"], id="t1", tags=["a", "b"])
    H.mk_fiber(c, b, ["n"], id="t2", tags=["a"])
    H.mk_fiber(c, b, ["n"], id="t3", tags=["b", "c", "a"])
    H.mk_fiber(c, b, ["n"], id="t4", tags=[])
    H.mk_fiber(c, b, ["n"], id="t5", tags=["tag one", "Đà Nẵng", "ab"])
    eq(_fids(c, b, tags="a"), ["t1", "t2", "t3"], "one tag")
    eq(_fids(c, b, tags="a,b"), ["t1", "t3"], "all of two")
    eq(_fids(c, b, tags="b,a"), ["t1", "t3"], "order of listed tags irrelevant")
    eq(_fids(c, b, tags=",a,,b,"), ["t1", "t3"], "empty items ignored")
    eq(_fids(c, b, tags="c,a"), ["t3"], "c and a")
    eq(_fids(c, b, tags="a,z"), [], "missing tag")
    eq(_fids(c, b, tags="tag one"), ["t5"], "space (+ in query)")
    eq(_fids(c, b, tags="Đà Nẵng,ab"), ["t5"], "unicode tag")
    eq(_fids(c, b, tags="A"), [], "case-sensitive")
    eq(_fids(c, b, tags=","), _fids(c, b), "only empty items = no tag filter")


def test_filters_combined(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_fiber(c, b, ["n-1"], id="k1", tags=["x"], salience=0.3, time_start="2026-01-01", time_end="2026-01-02")
    H.mk_fiber(c, b, ["n-1"], id="k2", tags=["x"], salience=0.1, time_start="2026-01-01", time_end="2026-01-02")
    H.mk_fiber(c, b, ["n-2"], id="k3", tags=["x"], salience=0.9, time_start="2026-01-01", time_end="2026-01-02")
    H.mk_fiber(c, b, ["n-1"], id="k4", tags=["y"], salience=0.9, time_start="2026-01-01", time_end="2026-01-02")
    H.mk_fiber(c, b, ["n-1"], id="k5", tags=["x"], salience=0.5, time_start="2027-01-01", time_end="2027-01-02")
    # The client's find_fibers with every argument, in its parameter order.
    r = c.req("GET", "/memory/fibers?limit=5&contains_neuron=n-1&time_start=2026-01-01T00:00:00"
                     "&time_end=2026-01-01T12:00:00&tags=x&min_salience=0.2", brain=b)
    eq(H.ids(ok(r, 200)["fibers"]), ["k1"], "all filters AND-ed")
