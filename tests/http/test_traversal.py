"""Graph traversal: neighbors and path (PROTOCOL.md §3.6, §5 rows 3, 24)."""
import harness as H
from harness import eq, expect, ok, err, field_err, enum_err


def _neighbor_graph(c):
    """A with: s1 A->B uni, s2 A->C bi, s3 D->A uni, s4 C->A bi, s5 A->A uni (self-loop),
    s6 B->C uni (not touching A)."""
    b = H.new_brain(c)
    for n in "ABCD":
        H.mk_neuron(c, b, f"neuron {n}", id=n)
    H.mk_synapse(c, b, "A", "B", id="s1", type="before", weight=0.9, direction="uni")
    H.mk_synapse(c, b, "A", "C", id="s2", type="related_to", weight=0.2, direction="bi")
    H.mk_synapse(c, b, "D", "A", id="s3", type="caused_by", weight=0.5, direction="uni")
    H.mk_synapse(c, b, "C", "A", id="s4", type="similar_to", weight=0.1, direction="bi")
    H.mk_synapse(c, b, "A", "A", id="s5", type="is_a", weight=0.5, direction="uni")
    H.mk_synapse(c, b, "B", "C", id="s6", type="before", weight=1.0, direction="uni")
    return b


def _nb(c, b, nid="A", **params):
    r = ok(c.req("GET", f"/memory/neurons/{H.pq(nid)}/neighbors", brain=b, query=params or None), 200)
    eq(list(r), ["neighbors", "count"], "neighbors keys")
    eq(r["count"], len(r["neighbors"]), "count = len(neighbors)")
    out = []
    for item in r["neighbors"]:
        eq(list(item), ["neuron", "synapse"], "neighbor item keys")
        H.check_neuron(item["neuron"])
        H.check_synapse(item["synapse"])
        out.append((item["neuron"]["id"], item["synapse"]["id"]))
    return out


def test_neighbors_directions(srv):
    c = srv.c
    b = _neighbor_graph(c)
    eq(_nb(c, b, direction="out"), [("B", "s1"), ("C", "s2"), ("A", "s5")], "out: targets, creation order")
    eq(_nb(c, b, direction="in"), [("C", "s4")], "in: only bi synapses pointing at A")
    both = [("B", "s1"), ("C", "s2"), ("A", "s5"), ("D", "s3"), ("C", "s4")]
    eq(_nb(c, b, direction="both"), both, "both: out then all incoming, self-loop once")
    eq(_nb(c, b), both, "default direction is both")


def test_neighbors_full_objects(srv):
    c = srv.c
    b = _neighbor_graph(c)
    r = ok(c.req("GET", "/memory/neurons/A/neighbors", brain=b, query={"direction": "out"}), 200)
    first = r["neighbors"][0]
    eq(first["neuron"], ok(c.req("GET", "/memory/neurons/B", brain=b), 200), "neighbor neuron = GET neuron")
    eq(first["synapse"], ok(c.req("GET", "/memory/synapses/s1", brain=b), 200), "synapse = GET synapse")


def test_neighbors_bi_self_loop(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "x", id="X")
    H.mk_synapse(c, b, "X", "X", id="loop", type="near")  # bi by default
    eq(_nb(c, b, "X", direction="out"), [("X", "loop")], "out")
    eq(_nb(c, b, "X", direction="in"), [("X", "loop")], "in (bi self-loop)")
    eq(_nb(c, b, "X", direction="both"), [("X", "loop")], "both: once")


def test_neighbors_synapse_types(srv):
    c = srv.c
    b = _neighbor_graph(c)
    eq(_nb(c, b, synapse_types="before,similar_to"), [("B", "s1"), ("C", "s4")], "type filter")
    eq(_nb(c, b, synapse_types=",before,,similar_to,"), [("B", "s1"), ("C", "s4")], "empty items ignored")
    eq(_nb(c, b, direction="out", synapse_types="is_a,co_occurs"), [("A", "s5")], "client example")
    eq(_nb(c, b, synapse_types="felt"), [], "no match")
    eq(_nb(c, b, synapse_types=",,"), _nb(c, b), "only empty items = no filter")
    enum_err(c.req("GET", "/memory/neurons/A/neighbors", brain=b, query={"synapse_types": "before,bogus"}),
             "synapse_types", H.SYNAPSE_TYPES)


def test_neighbors_min_weight_and_limit(srv):
    c = srv.c
    b = _neighbor_graph(c)
    eq(_nb(c, b, min_weight="0.5"), [("B", "s1"), ("A", "s5"), ("D", "s3")], "min_weight inclusive")
    eq(_nb(c, b, direction="both", min_weight="0.1"), [("B", "s1"), ("C", "s2"), ("A", "s5"), ("D", "s3"), ("C", "s4")],
       "engine call: both, min_weight=0.1")
    eq(_nb(c, b, limit=2), [("B", "s1"), ("C", "s2")], "limit")
    for q in ({"limit": 0}, {"limit": 100001}, {"limit": "x"}):
        field_err(c.req("GET", "/memory/neurons/A/neighbors", brain=b, query=q), "limit", what=str(q))
    for v in ("nan", "inf", "heavy"):
        field_err(c.req("GET", "/memory/neurons/A/neighbors", brain=b, query={"min_weight": v}), "min_weight")


def test_neighbors_bad_direction(srv):
    c = srv.c
    b = _neighbor_graph(c)
    for v in ("up", "OUT", "bi"):
        enum_err(c.req("GET", "/memory/neurons/A/neighbors", brain=b, query={"direction": v}), "direction",
                 H.NEIGHBOR_DIRECTIONS)


def test_neighbors_unknown_neuron_200_empty(srv):
    c = srv.c
    b = _neighbor_graph(c)
    for d in ("both", "out", "in"):
        r = ok(c.req("GET", "/memory/neurons/ghost/neighbors", brain=b, query={"direction": d}), 200)
        eq(r, {"neighbors": [], "count": 0}, f"unknown neuron direction={d}")


def test_neighbors_after_deletes(srv):
    c = srv.c
    b = _neighbor_graph(c)
    ok(c.req("DELETE", "/memory/neurons/B", brain=b), 200)
    ok(c.req("DELETE", "/memory/synapses/s4", brain=b), 200)
    eq(_nb(c, b), [("C", "s2"), ("A", "s5"), ("D", "s3")], "deleted neuron/synapse gone")


# -- path -------------------------------------------------------------------------

def _path_graph(c):
    """A->B (0.3), A->B (0.8), A->D, B->C, D->C (0.99), C->E, E->F, F->G, G->H, X<->Y (bi)."""
    b = H.new_brain(c)
    for n in "ABCDEFGHXY":
        H.mk_neuron(c, b, f"neuron {n}", id=n)
    H.mk_synapse(c, b, "A", "B", id="ab1", type="leads_to", weight=0.3)
    H.mk_synapse(c, b, "A", "B", id="ab2", type="leads_to", weight=0.8)
    H.mk_synapse(c, b, "A", "D", id="ad", type="leads_to", weight=0.5)
    H.mk_synapse(c, b, "B", "C", id="bc", type="leads_to", weight=0.1)
    H.mk_synapse(c, b, "D", "C", id="dc", type="leads_to", weight=0.99)
    H.mk_synapse(c, b, "C", "E", id="ce1", type="leads_to", weight=0.6)
    H.mk_synapse(c, b, "C", "E", id="ce2", type="leads_to", weight=0.6)
    H.mk_synapse(c, b, "E", "F", id="ef", type="leads_to")
    H.mk_synapse(c, b, "F", "G", id="fg", type="leads_to")
    H.mk_synapse(c, b, "G", "H", id="gh", type="leads_to")
    H.mk_synapse(c, b, "X", "Y", id="xy", type="related_to", direction="bi")
    return b


def _path(c, b, src, dst, **params):
    q = {"target_id": dst}
    q.update(params)
    r = ok(c.req("GET", f"/memory/neurons/{H.pq(src)}/path", brain=b, query=q), 200)
    eq(list(r), ["path", "hops"], "path keys")
    eq(r["hops"], len(r["path"]), "hops = len(path)")
    out = []
    for item in r["path"]:
        eq(list(item), ["neuron", "synapse"], "path item keys")
        H.check_neuron(item["neuron"])
        H.check_synapse(item["synapse"])
        out.append((item["neuron"]["id"], item["synapse"]["id"]))
    return out


def test_path_bfs_and_best_synapse(srv):
    c = srv.c
    b = _path_graph(c)
    eq(_path(c, b, "A", "B"), [("B", "ab2")], "highest-weight synapse of the step")
    eq(_path(c, b, "A", "C"), [("B", "ab2"), ("C", "bc")], "first discovery fixes predecessor (B before D)")
    eq(_path(c, b, "A", "E", max_hops=4), [("B", "ab2"), ("C", "bc"), ("E", "ce1")], "weight tie -> earliest")
    eq(_path(c, b, "D", "E"), [("C", "dc"), ("E", "ce1")], "from D")


def test_path_client_request(srv):
    c = srv.c
    b = _path_graph(c)
    r = c.req("GET", "/memory/neurons/A/path?target_id=C&max_hops=4", brain=b)
    body = ok(r, 200)
    eq(body["hops"], 2, "hops")
    eq(body["path"][-1]["neuron"]["id"], "C", "target is the last item")
    eq(body["path"][0]["synapse"], ok(c.req("GET", "/memory/synapses/ab2", brain=b), 200), "full synapse object")


def test_path_max_hops(srv):
    c = srv.c
    b = _path_graph(c)
    # A->B->C->E->F->G->H is 6 hops.
    eq(_path(c, b, "A", "H"), [], "default max_hops 4: too far")
    eq(_path(c, b, "A", "G", max_hops=5), [("B", "ab2"), ("C", "bc"), ("E", "ce1"), ("F", "ef"), ("G", "fg")], "5")
    eq(_path(c, b, "A", "F"), [("B", "ab2"), ("C", "bc"), ("E", "ce1"), ("F", "ef")], "exactly 4 with the default")
    eq(_path(c, b, "A", "E", max_hops=2), [], "3 hops needed, 2 allowed")
    eq(len(_path(c, b, "A", "H", max_hops=20)), 6, "max_hops 20")
    eq(len(_path(c, b, "A", "B", max_hops=1)), 1, "max_hops 1")
    for v in (0, 21, -1, "x", "2.5"):
        field_err(c.req("GET", "/memory/neurons/A/path", brain=b, query={"target_id": "B", "max_hops": v}),
                  "max_hops", what=f"max_hops={v}")


def test_path_direction_only_forward(srv):
    c = srv.c
    b = _path_graph(c)
    eq(_path(c, b, "X", "Y"), [("Y", "xy")], "forward over a bi synapse")
    eq(_path(c, b, "Y", "X"), [], "a bi synapse is not walked backwards")
    eq(_path(c, b, "C", "A"), [], "no backward edges")


def test_path_empty_cases(srv):
    c = srv.c
    b = _path_graph(c)
    eq(_path(c, b, "A", "A"), [], "source == target")
    eq(_path(c, b, "ghost", "B"), [], "unknown source -> 200 empty")
    eq(_path(c, b, "A", "ghost"), [], "unknown target -> 200 empty")
    eq(_path(c, b, "H", "A"), [], "no path")
    field_err(c.req("GET", "/memory/neurons/A/path", brain=b), "target_id", what="missing target_id")
    field_err(c.req("GET", "/memory/neurons/A/path", brain=b, query={"max_hops": 3}), "target_id")


def test_path_after_synapse_delete(srv):
    c = srv.c
    b = _path_graph(c)
    ok(c.req("DELETE", "/memory/synapses/ab2", brain=b), 200)
    eq(_path(c, b, "A", "C"), [("B", "ab1"), ("C", "bc")], "next best synapse used")
    ok(c.req("DELETE", "/memory/neurons/B", brain=b), 200)
    eq(_path(c, b, "A", "C"), [("D", "ad"), ("C", "dc")], "path through D once B is gone")


def test_traversal_requires_brain(srv):
    err(srv.req("GET", "/memory/neurons/A/neighbors"), 422, "X-Brain-ID header required")
    err(srv.req("GET", "/memory/neurons/A/path?target_id=B"), 422, "X-Brain-ID header required")
    bid = H.uid("nobrain")
    err(srv.req("GET", "/memory/neurons/A/neighbors", brain=bid), 404, f"Brain {bid} not found")
    err(srv.req("GET", "/memory/neurons/A/path?target_id=B", brain=bid), 404, f"Brain {bid} not found")
