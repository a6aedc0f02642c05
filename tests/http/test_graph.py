"""GET /api/graph (PROTOCOL.md §3.10, decided question 5): the brain from
X-Brain-ID, ?brain_id or ui.default_brain; `limit` neurons in creation
order or the `around`/`depth` neighbourhood; synapses among the returned
neurons; fibers newest first (at most 1000) with neuron_count and summary;
stats = the brain's totals; auth (§6.5). And the UI's files: /ui, /docs,
/static/{path} confined to ui.dir, no auth needed.
"""
import os
import shutil
import tempfile

import harness as H
from harness import eq, expect, ok, err, uid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_UI = os.path.normpath(os.path.join(HERE, "..", "..", "server", "ui"))

GRAPH_KEYS = ["neurons", "synapses", "fibers", "stats"]
G_NEURON_KEYS = ["id", "type", "content", "metadata"]
G_SYNAPSE_KEYS = ["id", "source_id", "target_id", "type", "weight", "direction"]
G_FIBER_KEYS = ["id", "summary", "neuron_count"]
G_STATS_KEYS = ["neuron_count", "synapse_count", "fiber_count"]

KEYS = {"root": ("graph-admin-key-01", "admin"), "alice": ("graph-alice-key-01", "user"),
        "bob": ("graph-bob-key-01", "user")}


def _graph(c, brain=None, what="graph", **params):
    r = c.req("GET", "/api/graph", brain=brain, query=params or None)
    g = ok(r, 200, what)
    H.check_keys(g, GRAPH_KEYS, what)
    for n in g["neurons"]:
        H.check_keys(n, G_NEURON_KEYS, f"{what}: neuron")
    for s in g["synapses"]:
        H.check_keys(s, G_SYNAPSE_KEYS, f"{what}: synapse")
    for f in g["fibers"]:
        H.check_keys(f, G_FIBER_KEYS, f"{what}: fiber")
        H.check_number(f["neuron_count"], f"{what}: fiber.neuron_count", integer=True)
    H.check_keys(g["stats"], G_STATS_KEYS, f"{what}: stats")
    return g


def _ids(items):
    return [x["id"] for x in items]


def _chain_brain(c, n=5):
    """n neurons n0..n{n-1}; synapses s01, s12, … (a chain) and s20 back."""
    b = H.new_brain(c)
    for i in range(n):
        H.mk_neuron(c, b, f"neuron {i}", id=f"n{i}", type=H.NEURON_TYPES[i % 8], metadata={"i": i})
    for i in range(n - 1):
        H.mk_synapse(c, b, f"n{i}", f"n{i + 1}", id=f"s{i}{i + 1}", type="before", weight=0.5 + i / 100)
    if n >= 3:
        H.mk_synapse(c, b, "n2", "n0", id="s20", type="related_to")
    return b


# ---------------------------------------------------------------------------
# choosing the brain

def test_brain_from_header_or_query(srv):
    c = srv.c
    b = _chain_brain(c)
    other = _chain_brain(c, 2)
    g = _graph(c, b, "X-Brain-ID")
    eq(_ids(g["neurons"]), ["n0", "n1", "n2", "n3", "n4"], "neurons via header")
    g2 = _graph(c, None, "?brain_id", brain_id=b)
    eq(g2, g, "?brain_id gives the same graph")
    g3 = _graph(c, b, "header wins over ?brain_id", brain_id=other)
    eq(g3, g, "the header wins")
    err(c.req("GET", "/api/graph"), 404, what="no brain and no default")
    err(c.req("GET", "/api/graph", brain="no-such-brain"), 404, "Brain no-such-brain not found", what="unknown header brain")
    err(c.req("GET", "/api/graph", query={"brain_id": "nope-brain"}), 404, "Brain nope-brain not found",
        what="unknown ?brain_id")
    err(c.req("GET", "/api/graph", query={"brain_id": "x" * 256}), 422, what="?brain_id too long")


def test_default_brain(backend):
    bid = uid("default")
    srv = H.start(backend, sets={"ui.default_brain": bid})
    c = srv.c
    err(c.req("GET", "/api/graph"), 404, f"Brain {bid} not found", what="default brain not created yet")
    H.new_brain(c, id=bid)
    H.mk_neuron(c, bid, "in the default brain", id="d1")
    other = H.new_brain(c)
    H.mk_neuron(c, other, "elsewhere", id="o1")
    eq(_ids(_graph(c, None, "default brain")["neurons"]), ["d1"], "no header, no query: the default brain")
    eq(_ids(_graph(c, other, "header over default")["neurons"]), ["o1"], "header over the default")
    eq(_ids(_graph(c, None, "query over default", brain_id=other)["neurons"]), ["o1"], "query over the default")


# ---------------------------------------------------------------------------
# contents

def test_neurons_limit_and_order(srv):
    c = srv.c
    b = H.new_brain(c)
    ids = []
    for i in range(130):
        # created_at out of order on purpose: the order is creation (insertion)
        n = H.mk_neuron(c, b, f"neuron {i}", id=f"z{129 - i:03d}", created_at=f"2026-01-01T00:{59 - i % 60:02d}:00")
        ids.append(n["id"])
    g = _graph(c, b, "default limit")
    eq(_ids(g["neurons"]), ids[:100], "default limit 100, creation order")
    eq(g["stats"]["neuron_count"], 130, "stats = brain total")
    eq(_ids(_graph(c, b, "limit 7", limit=7)["neurons"]), ids[:7], "limit 7")
    eq(_ids(_graph(c, b, "limit 1", limit=1)["neurons"]), ids[:1], "limit 1")
    eq(_ids(_graph(c, b, "limit 10000", limit=10000)["neurons"]), ids, "limit 10000")
    eq(_ids(_graph(c, b, "limit 5.0", limit="5.0")["neurons"]), ids[:5], "limit 5.0 (integral)")
    for bad in ("0", "10001", "-1", "abc", "2.5", "", "nan", "inf"):
        err(c.req("GET", "/api/graph", brain=b, query={"limit": bad}), 422, startswith="limit", what=f"limit={bad!r}")
    # a neuron's fields as stored
    n = H.mk_neuron(c, b, "with metadata", id="meta", type="entity", metadata={"k": [1, {"x": None}]})
    b2 = H.new_brain(c)
    H.mk_neuron(c, b2, "with metadata", id="meta", type="entity", metadata={"k": [1, {"x": None}]})
    g = _graph(c, b2, "one neuron")
    eq(g["neurons"], [{k: n[k] for k in G_NEURON_KEYS}], "graph neuron = the neuron's id, type, content, metadata")


def test_empty_brain(srv):
    c = srv.c
    b = H.new_brain(c)
    g = _graph(c, b, "empty brain")
    eq(g, {"neurons": [], "synapses": [], "fibers": [],
           "stats": {"neuron_count": 0, "synapse_count": 0, "fiber_count": 0}}, "empty brain")


def test_synapses_among_returned(srv):
    c = srv.c
    b = _chain_brain(c)
    g = _graph(c, b, "all")
    eq(_ids(g["synapses"]), ["s01", "s12", "s23", "s34", "s20"], "all synapses, creation order")
    s = H.check_synapse(ok(c.req("GET", "/memory/synapses/s12", brain=b), 200))
    eq(g["synapses"][1], {k: s[k] for k in G_SYNAPSE_KEYS}, "graph synapse fields")
    g = _graph(c, b, "limit 3", limit=3)
    eq(_ids(g["neurons"]), ["n0", "n1", "n2"], "neurons")
    eq(_ids(g["synapses"]), ["s01", "s12", "s20"], "only synapses among n0..n2")
    eq(g["stats"], {"neuron_count": 5, "synapse_count": 5, "fiber_count": 0}, "stats are the brain's totals")
    g = _graph(c, b, "limit 1", limit=1)
    eq(g["synapses"], [], "one neuron: no synapse")
    # a self loop is among the returned neurons
    H.mk_synapse(c, b, "n0", "n0", id="loop", type="related_to")
    eq(_ids(_graph(c, b, "self loop", limit=1)["synapses"]), ["loop"], "self loop on a returned neuron")


def test_fibers(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "a", id="a")
    H.mk_neuron(c, b, "b", id="b")
    H.mk_neuron(c, b, "c", id="c")
    H.mk_fiber(c, b, ["a"], id="f1", summary="first")
    H.mk_fiber(c, b, ["a", "b", "c"], id="f2", summary=None)
    H.mk_fiber(c, b, ["b", "c"], id="f3", summary="third", salience=0.9)
    g = _graph(c, b, "fibers")
    eq(g["fibers"], [{"id": "f3", "summary": "third", "neuron_count": 2},
                     {"id": "f2", "summary": None, "neuron_count": 3},
                     {"id": "f1", "summary": "first", "neuron_count": 1}], "fibers newest first")
    eq(g["stats"]["fiber_count"], 3, "fiber_count")
    # fibers do not depend on the neuron limit or neighbourhood
    eq(_ids(_graph(c, b, "limit 1", limit=1)["fibers"]), ["f3", "f2", "f1"], "fibers with limit 1")


def test_fibers_at_most_1000(srv):
    c = srv.c
    b = uid("fib")
    n = 1003
    snap = {"brain_name": "many fibers", "exported_at": "2026-01-01T00:00:00", "version": "0.1.0",
            "neurons": [{"id": "a", "type": "entity", "content": "a"}], "synapses": [],
            "fibers": [{"id": f"f{i:04d}", "neuron_ids": ["a"], "synapse_ids": [], "anchor_neuron_id": "a",
                        "summary": f"fiber {i}",
                        "created_at": f"2026-01-{1 + i // 100:02d}T{i % 100 // 60:02d}:{i % 60:02d}:00"}
                       for i in range(n)],
            "config": {}}
    ok(c.req("POST", f"/brain/{b}/import", snap), 200, "import 1003 fibers")
    g = _graph(c, b, "1003 fibers")
    eq(len(g["fibers"]), 1000, "at most 1000 fibers")
    eq(_ids(g["fibers"]), [f"f{i:04d}" for i in range(n - 1, n - 1001, -1)], "the 1000 newest, newest first")
    eq(g["fibers"][0], {"id": "f1002", "summary": "fiber 1002", "neuron_count": 1}, "fiber entry")
    eq(g["stats"]["fiber_count"], n, "stats: the brain's total, not the list length")


def test_stats_are_brain_totals(srv):
    c = srv.c
    b = _chain_brain(c, 8)
    H.mk_fiber(c, b, ["n0", "n1"], id="f")
    g = _graph(c, b, "limit 2", limit=2)
    st = H.stats(c, b)
    eq(g["stats"], {"neuron_count": st["neuron_count"], "synapse_count": st["synapse_count"],
                    "fiber_count": st["fiber_count"]}, "stats = GET /brain/{id}/stats counts")
    eq(g["stats"], {"neuron_count": 8, "synapse_count": 8, "fiber_count": 1}, "totals")
    eq((len(g["neurons"]), len(g["synapses"])), (2, 1), "list lengths differ from the totals")


# ---------------------------------------------------------------------------
# around / depth

def _star_brain(c):
    """a → b ← c → d → e, plus x (isolated) and y → x; f → a."""
    b = H.new_brain(c)
    for i in "abcdexyf":
        H.mk_neuron(c, b, f"neuron {i}", id=i)
    H.mk_synapse(c, b, "a", "b", id="ab", type="before")
    H.mk_synapse(c, b, "c", "b", id="cb", type="before")
    H.mk_synapse(c, b, "c", "d", id="cd", type="before")
    H.mk_synapse(c, b, "d", "e", id="de", type="before")
    H.mk_synapse(c, b, "y", "x", id="yx", type="before")
    H.mk_synapse(c, b, "f", "a", id="fa", type="before")
    return b


def test_around_depth(srv):
    c = srv.c
    b = _star_brain(c)
    g = _graph(c, b, "around b", around="b")
    ids = _ids(g["neurons"])
    eq(ids[0], "b", "the centre comes first")
    eq(sorted(ids), ["a", "b", "c"], "depth 1 (default): both directions")
    eq(sorted(_ids(g["synapses"])), ["ab", "cb"], "synapses among them")
    eq(_ids(g["synapses"]), ["ab", "cb"], "synapses in creation order")
    eq(g["stats"], {"neuron_count": 8, "synapse_count": 6, "fiber_count": 0}, "stats: brain totals")
    eq(_graph(c, b, "depth=1", around="b", depth=1), g, "depth=1 is the default")
    g = _graph(c, b, "depth 2", around="b", depth=2)
    ids = _ids(g["neurons"])
    eq(ids[0], "b", "centre first")
    eq(sorted(ids[1:3]), ["a", "c"], "level 1 before level 2")
    eq(sorted(ids[3:]), ["d", "f"], "level 2")
    eq(_ids(g["synapses"]), ["ab", "cb", "cd", "fa"], "synapses at depth 2")
    g = _graph(c, b, "depth 3", around="b", depth=3)
    ids = _ids(g["neurons"])
    eq(sorted(ids[3:5]), ["d", "f"], "level 2")
    eq(ids[5:], ["e"], "level 3")
    eq(_ids(g["synapses"]), ["ab", "cb", "cd", "de", "fa"], "synapses at depth 3")
    g = _graph(c, b, "isolated side", around="x", depth=3)
    eq(_ids(g["neurons"]), ["x", "y"], "the other component")
    eq(_ids(g["synapses"]), ["yx"], "its synapse")
    H.mk_neuron(c, b, "alone", id="alone")
    eq(_ids(_graph(c, b, "lonely", around="alone")["neurons"]), ["alone"], "a neuron without synapses")
    # limit bounds the neighbourhood
    g = _graph(c, b, "limit 2", around="b", depth=3, limit=2)
    ids = _ids(g["neurons"])
    eq(len(ids), 2, "limit 2 around b")
    eq(ids[0], "b", "centre first")
    expect(ids[1] in ("a", "c"), f"the second is a level-1 neighbour: {ids}")
    eq(_ids(g["synapses"]), ["ab" if ids[1] == "a" else "cb"], "synapse among the two")
    eq(_ids(_graph(c, b, "limit 1", around="b", limit=1)["neurons"]), ["b"], "limit 1: the centre only")


def test_around_errors(srv):
    c = srv.c
    b = _star_brain(c)
    err(c.req("GET", "/api/graph", brain=b, query={"around": "nope"}), 404, "Neuron nope not found",
        what="around an unknown neuron")
    other = _star_brain(c)
    H.mk_neuron(c, other, "only there", id="only-there")
    err(c.req("GET", "/api/graph", brain=b, query={"around": "only-there"}), 404, what="around a neuron of another brain")
    for bad in ("0", "4", "-1", "x", "1.5"):
        err(c.req("GET", "/api/graph", brain=b, query={"around": "b", "depth": bad}), 422, startswith="depth",
            what=f"depth={bad!r}")
    err(c.req("GET", "/api/graph", brain=b, query={"around": "b", "limit": "0"}), 422, startswith="limit",
        what="limit 0 with around")
    err(c.req("GET", "/api/graph", brain=b, query={"around": "x" * 256}), 422, what="around id too long")


# ---------------------------------------------------------------------------
# auth (own server)

def _auth_server(backend, **sets):
    return H.start(backend, config={"auth.enabled": "on",
                                    "auth.key": [f"{H.sha256_hex(k)} {p} {role}" for p, (k, role) in KEYS.items()]},
                   sets=sets)


def _as(srv, who):
    return srv.client(headers={"Authorization": f"Bearer {KEYS[who][0]}"})


def test_graph_auth(backend):
    srv = _auth_server(backend, **{"ui.default_brain": "alice-default"})
    alice, bob, root = _as(srv, "alice"), _as(srv, "bob"), _as(srv, "root")
    priv = H.new_brain(alice, id="alice-private")
    H.mk_neuron(alice, priv, "secret", id="s")
    shared = H.new_brain(alice, id="alice-shared", shared_with=["bob"])
    H.mk_neuron(alice, shared, "shared", id="t")
    H.new_brain(alice, id="alice-default")
    err(srv.c.req("GET", "/api/graph", brain=priv), 401, "Missing or invalid API key", what="no key")
    err(srv.c.req("GET", "/api/graph"), 401, "Missing or invalid API key", what="no key, default brain")
    denied = f"Access to brain {priv} denied"
    err(bob.req("GET", "/api/graph", brain=priv), 403, denied, what="unreadable brain via header")
    err(bob.req("GET", "/api/graph", query={"brain_id": priv}), 403, denied, what="unreadable brain via query")
    err(bob.req("GET", "/api/graph", query={"brain_id": priv, "around": "s"}), 403, denied, what="unreadable, around")
    err(bob.req("GET", "/api/graph", query={"brain_id": priv, "limit": "0"}), 403, denied,
        what="403 before query validation")
    err(bob.req("GET", "/api/graph"), 403, "Access to brain alice-default denied", what="unreadable default brain")
    eq(_ids(_graph(bob, shared, "shared brain")["neurons"]), ["t"], "a brain shared with bob")
    eq(_ids(_graph(alice, priv, "owner")["neurons"]), ["s"], "the owner reads")
    eq(_ids(_graph(root, None, "admin", brain_id=priv)["neurons"]), ["s"], "an admin reads")
    err(bob.req("GET", "/api/graph", brain="no-such"), 404, "Brain no-such not found", what="404 before 403")


# ---------------------------------------------------------------------------
# UI files

def _ui_dir(tmp):
    d = os.path.join(tmp, "ui")
    os.makedirs(os.path.join(d, "sub"))
    files = {"index.html": "<!doctype html><title>nmemd test ui</title>", "docs.html": "<!doctype html>docs",
             "style.css": "body{}", "app.js": "console.log(1)", "sub/deep.json": '{"ok": true}',
             ".hidden": "hidden", "sub/.env": "SECRET=1", "README": "plain"}
    for k, v in files.items():
        with open(os.path.join(d, k), "w") as f:
            f.write(v)
    with open(os.path.join(tmp, "outside.txt"), "w") as f:
        f.write("outside the ui dir")
    return d, files


def _get_raw_path(srv, path):
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("GET", path))
        (r,), _ = H.read_responses(s, 1)
        return r
    finally:
        s.close()


def test_ui_files(backend):
    tmp = tempfile.mkdtemp(prefix="nmemd-ui-")
    try:
        d, files = _ui_dir(tmp)
        srv = _auth_server(backend, **{"ui.dir": d})
        c = srv.c  # no key: the files need none
        r = c.req("GET", "/ui")
        H.status(r, 200, "/ui")
        expect(r[1].get("content-type", "").startswith("text/html"), f"/ui content type {r[1].get('content-type')!r}")
        eq(r.raw.decode(), files["index.html"], "/ui = index.html")
        r = c.req("GET", "/docs")
        H.status(r, 200, "/docs")
        expect(r[1].get("content-type", "").startswith("text/html"), "/docs content type")
        eq(r.raw.decode(), files["docs.html"], "/docs = docs.html")
        for path, ctype in (("style.css", "text/css"), ("app.js", "text/javascript"),
                            ("sub/deep.json", "application/json"), ("index.html", "text/html"),
                            ("README", "text/plain")):
            r = c.req("GET", f"/static/{path}")
            H.status(r, 200, f"/static/{path}")
            expect(r[1].get("content-type", "").startswith(ctype), f"/static/{path}: {r[1].get('content-type')!r}")
            eq(r.raw.decode(), files[path], f"/static/{path} content")
        for path in ("/static/../x", "/static/../outside.txt", "/static/%2e%2e/outside.txt",
                     "/static/sub/../../outside.txt", "/static/sub/%2E%2E/%2e%2e/outside.txt",
                     "/static/.hidden", "/static/sub/.env", "/static/%2ehidden", "/static/missing.js",
                     "/static/sub", "/static/sub/", "/static//etc/passwd", "/static/%2fetc%2fpasswd",
                     "/static/sub//deep.json"):
            r = _get_raw_path(srv, path)
            expect(r.status == 404, f"GET {path}: expected 404, got {r!r}")
            expect(b"outside the ui dir" not in r.raw and b"SECRET" not in r.raw and b"hidden" != r.raw,
                   f"GET {path} leaked a file: {r!r}")
        # the API behind the page still needs a key
        err(c.req("GET", "/api/graph", brain="x"), 401, what="/api/graph without a key")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_repo_ui(backend):
    """The bundled viewer (server/ui) is served as /ui."""
    if not os.path.isfile(os.path.join(REPO_UI, "index.html")):
        raise H.Skip("server/ui/index.html not present")
    srv = H.start(backend, sets={"ui.dir": REPO_UI})
    r = srv.c.req("GET", "/ui")
    H.status(r, 200, "/ui")
    expect(r[1].get("content-type", "").startswith("text/html"), f"/ui content type {r[1].get('content-type')!r}")
    with open(os.path.join(REPO_UI, "index.html"), "rb") as f:
        eq(r.raw, f.read(), "/ui serves server/ui/index.html")
    if os.path.isfile(os.path.join(REPO_UI, "docs.html")):
        r = srv.c.req("GET", "/docs")
        H.status(r, 200, "/docs")
        expect(r[1].get("content-type", "").startswith("text/html"), "/docs content type")
    for name in sorted(os.listdir(REPO_UI)):
        p = os.path.join(REPO_UI, name)
        if os.path.isfile(p) and not name.startswith(".") and name.endswith((".js", ".css", ".svg")):
            r = srv.c.req("GET", f"/static/{name}")
            H.status(r, 200, f"/static/{name}")
            with open(p, "rb") as f:
                eq(r.raw, f.read(), f"/static/{name} content")
    H.status(srv.c.req("GET", "/static/../Makefile"), 404, "/static/../Makefile")
