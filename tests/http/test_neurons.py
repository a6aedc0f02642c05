"""Neurons and neuron state (PROTOCOL.md §2.1, §2.2, §3.4, §3.5, §1.4, §5 rows
10-12, 15, 35, 36, 38)."""
import json

import harness as H
from harness import eq, expect, ok, err, field_err, enum_err, pq, uid


def test_create_full_shape(srv):
    c = srv.c
    b = H.new_brain(c)
    body = {"id": "n-1", "type": "entity", "content": "Alice", "metadata": {"k": "v", "n": [1, 2.5, None, True]},
            "created_at": "2026-01-02T03:04:05"}
    r = c.req("POST", "/memory/neurons", body, brain=b)
    n = ok(r, 201, "create neuron")
    H.check_neuron(n, id="n-1", type="entity", content="Alice", metadata={"k": "v", "n": [1, 2.5, None, True]},
                   created_at="2026-01-02T03:04:05.000000")
    eq(ok(c.req("GET", "/memory/neurons/n-1", brain=b), 200), n, "GET equals the create answer")


def test_create_defaults(srv):
    c = srv.c
    b = H.new_brain(c)
    before = H.utcnow()
    n = ok(c.req("POST", "/memory/neurons", {"type": "concept", "content": "defaults"}, brain=b), 201)
    H.check_neuron(n, type="concept", content="defaults", metadata={})
    expect(H.is_uuid4(n["id"]), f"generated id not a UUID v4: {n['id']!r}")
    created = H.dt(n["created_at"])
    expect(abs((created - before).total_seconds()) < 86400, f"created_at is not server-now UTC: {n['created_at']}")
    n2 = ok(c.req("POST", "/memory/neurons", {"id": None, "type": "concept", "content": "", "metadata": None,
                                             "created_at": None}, brain=b), 201)
    expect(H.is_uuid4(n2["id"]) and n2["id"] != n["id"], "null id -> new UUID")
    eq(n2["content"], "", "empty content allowed")
    eq(n2["metadata"], {}, "null metadata -> {}")


def test_all_neuron_types(srv):
    c = srv.c
    b = H.new_brain(c)
    for t in H.NEURON_TYPES:
        eq(H.mk_neuron(c, b, f"a {t}", type=t)["type"], t, "type")
    eq(H.counts(c, b)[0], len(H.NEURON_TYPES), "count")


def test_unknown_type_400(srv):
    c = srv.c
    b = H.new_brain(c)
    for t in ("bogus", "Entity", "ENTITY", ""):
        enum_err(c.req("POST", "/memory/neurons", {"type": t, "content": "x"}, brain=b), "type", H.NEURON_TYPES,
                 what=f"type={t!r}")
    eq(H.counts(c, b), (0, 0, 0), "nothing created")


def test_create_field_errors(srv):
    c = srv.c
    b = H.new_brain(c)
    cases = [({"content": "x"}, "type"), ({"type": None, "content": "x"}, "type"), ({"type": 5, "content": "x"}, "type"),
             ({"type": "entity"}, "content"), ({"type": "entity", "content": None}, "content"),
             ({"type": "entity", "content": 5}, "content"), ({"type": "entity", "content": ["x"]}, "content"),
             ({"type": "entity", "content": "x", "metadata": []}, "metadata"),
             ({"type": "entity", "content": "x", "metadata": "m"}, "metadata"),
             ({"type": "entity", "content": "x", "metadata": 1}, "metadata"),
             ({"type": "entity", "content": "x", "created_at": "yesterday"}, "created_at"),
             ({"type": "entity", "content": "x", "created_at": 1767323045}, "created_at"),
             ({"id": "", "type": "entity", "content": "x"}, "id"),
             ({"id": 7, "type": "entity", "content": "x"}, "id"),
             ({"id": "x" * 256, "type": "entity", "content": "x"}, "id")]
    for body, field in cases:
        field_err(c.req("POST", "/memory/neurons", body, brain=b), field, what=str(body)[:80])
    eq(H.counts(c, b), (0, 0, 0), "nothing created")


def test_create_check_order(srv):
    # Fields are checked in table order: id, type, content, metadata, created_at.
    c = srv.c
    b = H.new_brain(c)
    field_err(c.req("POST", "/memory/neurons", {"id": "", "type": "bogus", "content": 5}, brain=b), "id")
    enum_err(c.req("POST", "/memory/neurons", {"type": "bogus", "content": 5}, brain=b), "type", H.NEURON_TYPES)
    field_err(c.req("POST", "/memory/neurons", {"type": "entity", "content": 5, "metadata": 1}, brain=b), "content")
    field_err(c.req("POST", "/memory/neurons", {"type": "entity", "content": "x", "metadata": 1,
                                               "created_at": "bad"}, brain=b), "metadata")
    # 409 comes last: a duplicate id with a bad field answers the field error.
    H.mk_neuron(c, b, "x", id="dup")
    enum_err(c.req("POST", "/memory/neurons", {"id": "dup", "type": "bogus", "content": "x"}, brain=b), "type",
             H.NEURON_TYPES)
    err(c.req("POST", "/memory/neurons", {"id": "dup", "type": "entity", "content": "y"}, brain=b), 409,
        "Neuron dup already exists")


def test_id_limits(srv):
    c = srv.c
    b = H.new_brain(c)
    nid = "n" * 255
    eq(H.mk_neuron(c, b, "long id", id=nid)["id"], nid, "255-byte id")
    ok(c.req("GET", f"/memory/neurons/{nid}", brain=b), 200)
    field_err(c.req("POST", "/memory/neurons", {"id": "é" * 128, "type": "entity", "content": "x"}, brain=b), "id")
    eq(H.mk_neuron(c, b, "é", id="é" * 127)["id"], "é" * 127, "254-byte unicode id")


def test_content_limit(srv):
    c = srv.c
    b = H.new_brain(c)
    limit = 1024 * 1024
    n = H.mk_neuron(c, b, "a" * limit)
    eq(len(n["content"]), limit, "content at the limit stored")
    err(c.req("POST", "/memory/neurons", {"type": "entity", "content": "a" * (limit + 1)}, brain=b), 413)
    # bytes, not code points: 2-byte characters
    err(c.req("POST", "/memory/neurons", {"type": "entity", "content": "é" * (limit // 2 + 1)}, brain=b), 413)
    eq(H.counts(c, b), (1, 0, 0), "rejected writes left no trace")


def test_content_round_trip(srv):
    c = srv.c
    b = H.new_brain(c)
    samples = ["Đà Nẵng", "日本語テキスト", "emoji 😀 ok", "tab\tnew\nline \"quote\" \\ back", "\u0001ctrl", "ß"]
    for s in samples:
        n = H.mk_neuron(c, b, s)
        eq(n["content"], s, "content echo")
        eq(ok(c.req("GET", f"/memory/neurons/{n['id']}", brain=b), 200)["content"], s, "content stored")
        # The same text sent with \uXXXX escapes (as Python's json.dumps does by default).
        raw = json.dumps({"type": "concept", "content": s}, ensure_ascii=True).encode()
        n = ok(c.req("POST", "/memory/neurons", raw=raw, brain=b), 201)
        eq(n["content"], s, "content from escaped JSON")


def test_created_at_formats(srv):
    c = srv.c
    b = H.new_brain(c)
    accepted = {
        "2026-01-02T03:04:05": "2026-01-02T03:04:05.000000",
        "2026-01-02T03:04:05.000005": "2026-01-02T03:04:05.000005",
        "2026-01-02 03:04:05.5": "2026-01-02T03:04:05.500000",
        "2026-01-02T03:04:05.123456789": "2026-01-02T03:04:05.123456",
        "2026-01-02T03:04:05Z": "2026-01-02T03:04:05.000000",
        "2026-01-02T05:04:05+02:00": "2026-01-02T03:04:05.000000",
        "2026-01-02T01:04:05.25-02:00": "2026-01-02T03:04:05.250000",
        "2026-01-02T00:30:00+01:00": "2026-01-01T23:30:00.000000",
        "2026-01-02T03:04": "2026-01-02T03:04:00.000000",
        "2026-01-02": "2026-01-02T00:00:00.000000",
        "0001-01-01T00:00:00": "0001-01-01T00:00:00.000000",
        "9999-12-31T23:59:59.999999": "9999-12-31T23:59:59.999999",
        "2024-02-29T12:00:00": "2024-02-29T12:00:00.000000",
    }
    for given, want in accepted.items():
        n = H.mk_neuron(c, b, given, created_at=given)
        eq(n["created_at"], want, f"created_at {given!r}")
        eq(ok(c.req("GET", f"/memory/neurons/{n['id']}", brain=b), 200)["created_at"], want, "stored")
    rejected = ["2026-13-01T00:00:00", "2026-01-32T00:00:00", "2026-01-02T25:00:00", "2026-01-02T03:60:00",
                "2025-02-29T00:00:00", "20260102T030405", "2026-01-02T", "2026/01/02", "now", "",
                "2026-01-02T03:04:05+0200x", "2026-01-02TT03:04:05", "2026-01-02T03:04:05.", "2026-01-02t03:04:05",
                "2026-01-02T03:04:05z", "2026-01-02T03:04:05+24:00", "0000-01-01T00:00:00", "10000-01-01",
                "2026-1-2", " 2026-01-02", "2026-01-02T03:04:05.1234567891", "2026-01-02T03:04:05,5",
                "2026-01-02T03:04:05 +01:00", "2026-01-02  03:04:05"]
    for bad in rejected:
        field_err(c.req("POST", "/memory/neurons", {"type": "time", "content": "x", "created_at": bad}, brain=b),
                  "created_at", what=f"created_at {bad!r}")
    eq(H.counts(c, b)[0], len(accepted), "rejected datetimes created nothing")


def test_duplicate_409(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "original", id="n-dup")
    err(c.req("POST", "/memory/neurons", {"id": "n-dup", "type": "entity", "content": "other"}, brain=b), 409,
        "Neuron n-dup already exists")
    eq(ok(c.req("GET", "/memory/neurons/n-dup", brain=b), 200)["content"], "original", "original unchanged")
    eq(H.counts(c, b)[0], 1, "count")


def test_same_id_in_two_brains(srv):
    c = srv.c
    b1, b2 = H.new_brain(c), H.new_brain(c)
    H.mk_neuron(c, b1, "one", id="shared")
    H.mk_neuron(c, b2, "two", id="shared")
    eq(ok(c.req("GET", "/memory/neurons/shared", brain=b1), 200)["content"], "one", "brain 1")
    eq(ok(c.req("GET", "/memory/neurons/shared", brain=b2), 200)["content"], "two", "brain 2")


def test_ids_case_sensitive(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "upper", id="AbC")
    H.mk_neuron(c, b, "lower", id="abc")
    eq(ok(c.req("GET", "/memory/neurons/AbC", brain=b), 200)["content"], "upper", "AbC")
    eq(ok(c.req("GET", "/memory/neurons/abc", brain=b), 200)["content"], "lower", "abc")
    err(c.req("GET", "/memory/neurons/ABC", brain=b), 404, "Neuron ABC not found")


def test_get_missing_and_other_brain(srv):
    c = srv.c
    b1, b2 = H.new_brain(c), H.new_brain(c)
    H.mk_neuron(c, b1, "x", id="only-in-1")
    err(c.req("GET", "/memory/neurons/only-in-1", brain=b2), 404, "Neuron only-in-1 not found")
    err(c.req("GET", "/memory/neurons/zzz", brain=b1), 404, "Neuron zzz not found")


def test_put_neuron(srv):
    c = srv.c
    b = H.new_brain(c)
    orig = H.mk_neuron(c, b, "before", type="entity", id="n-p", metadata={"a": 1, "b": 2},
                       created_at="2026-01-01T00:00:00")
    # What the client sends: all three.
    n = ok(c.req("PUT", "/memory/neurons/n-p", {"type": "concept", "content": "after", "metadata": {"c": 3}},
                 brain=b), 200)
    H.check_neuron(n, id="n-p", type="concept", content="after", metadata={"c": 3}, created_at=orig["created_at"])
    # Partial: only content; metadata replaced not merged; id/created_at ignored.
    n = ok(c.req("PUT", "/memory/neurons/n-p", {"content": "again", "id": "other", "created_at": "2030-01-01"},
                 brain=b), 200)
    H.check_neuron(n, id="n-p", type="concept", content="again", metadata={"c": 3}, created_at=orig["created_at"])
    n = ok(c.req("PUT", "/memory/neurons/n-p", {"metadata": {"d": 4}}, brain=b), 200)
    eq(n["metadata"], {"d": 4}, "metadata replaced")
    eq(ok(c.req("GET", "/memory/neurons/n-p", brain=b), 200), n, "GET after PUT")
    err(c.req("GET", "/memory/neurons/other", brain=b), 404, what="body id ignored")


def test_put_neuron_errors_leave_unchanged(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "stable", id="n-s", type="entity", metadata={"x": 1})
    before = ok(c.req("GET", "/memory/neurons/n-s", brain=b), 200)
    enum_err(c.req("PUT", "/memory/neurons/n-s", {"type": "nope", "content": "changed"}, brain=b), "type",
             H.NEURON_TYPES)
    field_err(c.req("PUT", "/memory/neurons/n-s", {"content": 3}, brain=b), "content")
    field_err(c.req("PUT", "/memory/neurons/n-s", {"content": "changed", "metadata": [1]}, brain=b), "metadata")
    err(c.req("PUT", "/memory/neurons/n-s", raw=b"{broken", brain=b), 422)
    err(c.req("PUT", "/memory/neurons/n-s", {"content": "a" * (1024 * 1024 + 1)}, brain=b), 413)
    eq(ok(c.req("GET", "/memory/neurons/n-s", brain=b), 200), before, "unchanged after failed PUTs")
    err(c.req("PUT", "/memory/neurons/missing", {"content": "x"}, brain=b), 404, "Neuron missing not found")
    err(c.req("GET", "/memory/neurons/missing", brain=b), 404, what="PUT must not create")


def test_delete_neuron_cascade(srv):
    c = srv.c
    b = H.new_brain(c)
    for i in "abc":
        H.mk_neuron(c, b, i, id=f"n-{i}")
    H.mk_synapse(c, b, "n-a", "n-b", id="s-ab")
    H.mk_synapse(c, b, "n-c", "n-a", id="s-ca")
    H.mk_synapse(c, b, "n-a", "n-a", id="s-aa")
    H.mk_synapse(c, b, "n-b", "n-c", id="s-bc")
    f = H.mk_fiber(c, b, ["n-a", "n-b"], id="f-1", synapse_ids=["s-ab"])
    r = ok(c.req("DELETE", "/memory/neurons/n-a", brain=b), 200, "delete neuron")
    eq(r, {"status": "deleted", "id": "n-a"}, "delete body")
    err(c.req("GET", "/memory/neurons/n-a", brain=b), 404, "Neuron n-a not found")
    err(c.req("GET", "/memory/neurons/n-a/state", brain=b), 404, what="state deleted")
    for s in ("s-ab", "s-ca", "s-aa"):
        err(c.req("GET", f"/memory/synapses/{s}", brain=b), 404, f"Synapse {s} not found")
    ok(c.req("GET", "/memory/synapses/s-bc", brain=b), 200)
    eq(ok(c.req("GET", "/memory/fiber/f-1", brain=b), 200), f, "fiber not modified")
    eq(H.counts(c, b), (2, 1, 1), "counts after delete")
    err(c.req("DELETE", "/memory/neurons/n-a", brain=b), 404, "Neuron n-a not found")
    # The id can be reused.
    H.mk_neuron(c, b, "again", id="n-a")


# -- listing --------------------------------------------------------------------

def test_list_shape_and_creation_order(srv):
    c = srv.c
    b = H.new_brain(c)
    order = ["z", "a", "m", "b"]
    created = ["2030-01-01T00:00:00", "2020-01-01T00:00:00", "2025-01-01T00:00:00", "2021-01-01T00:00:00"]
    for i, ca in zip(order, created):
        H.mk_neuron(c, b, f"c {i}", id=i, created_at=ca, metadata={"i": i})
    r = H.list_neurons(c, b)
    eq(list(r), ["neurons", "count"], "list keys")
    eq(H.ids(r["neurons"]), order, "creation (insertion) order, not id or created_at order")
    eq(r["count"], 4, "count")
    for n in r["neurons"]:
        H.check_neuron(n)
    eq(r["neurons"][0]["metadata"], {"i": "z"}, "metadata included in list items")


def test_list_empty(srv):
    b = H.new_brain(srv.c)
    eq(H.list_neurons(srv.c, b), {"neurons": [], "count": 0}, "empty list")


def test_list_limit_offset(srv):
    c = srv.c
    b = H.new_brain(c)
    want = [f"n{i:03d}" for i in range(105)]
    for i in want:
        H.mk_neuron(c, b, i, id=i)
    r = H.list_neurons(c, b)
    eq(H.ids(r["neurons"]), want[:100], "default limit 100")
    eq(r["count"], 100, "count = len(neurons)")
    eq(H.ids(H.list_neurons(c, b, limit=7)["neurons"]), want[:7], "limit 7")
    eq(H.ids(H.list_neurons(c, b, limit=10000)["neurons"]), want, "limit 10000")
    eq(H.ids(H.list_neurons(c, b, offset=100)["neurons"]), want[100:], "offset 100")
    eq(H.ids(H.list_neurons(c, b, offset=3, limit=2)["neurons"]), want[3:5], "offset+limit")
    eq(H.list_neurons(c, b, offset=500)["neurons"], [], "offset past the end")
    for q in ({"limit": 0}, {"limit": 10001}, {"limit": -5}, {"limit": "ten"}, {"limit": "2.5"},
              {"offset": -1}, {"offset": "x"}, {"limit": "99999999999999999999"}, {"limit": "nan"}):
        err(c.req("GET", "/memory/neurons", brain=b, query=q), 422, startswith=list(q)[0], what=str(q))


def test_filter_type(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "e1", type="entity", id="e1")
    H.mk_neuron(c, b, "c1", type="concept", id="c1")
    H.mk_neuron(c, b, "e2", type="entity", id="e2")
    eq(H.ids(H.list_neurons(c, b, type="entity")["neurons"]), ["e1", "e2"], "type=entity")
    eq(H.list_neurons(c, b, type="time")["neurons"], [], "type=time")
    enum_err(c.req("GET", "/memory/neurons", brain=b, query={"type": "bogus"}), "type", H.NEURON_TYPES)


def test_filter_content_contains_unicode(srv):
    c = srv.c
    b = H.new_brain(c)
    data = {"v1": "Tôi sống ở Đà Nẵng", "v2": "ĐÀ NẴNG mùa hè", "v3": "Hà Nội", "v4": "đà lạt",
            "r1": "Москва", "g1": "Straße", "a1": "plain ascii DA NANG"}
    for k, v in data.items():
        H.mk_neuron(c, b, v, id=k)
    eq(H.ids(H.list_neurons(c, b, content_contains="đà nẵng")["neurons"]), ["v1", "v2"], "đà nẵng")
    eq(H.ids(H.list_neurons(c, b, content_contains="ĐÀ NẴNG")["neurons"]), ["v1", "v2"], "upper query")
    eq(H.ids(H.list_neurons(c, b, content_contains="Đà")["neurons"]), ["v1", "v2", "v4"], "Đà")
    eq(H.ids(H.list_neurons(c, b, content_contains="москва")["neurons"]), ["r1"], "cyrillic")
    eq(H.ids(H.list_neurons(c, b, content_contains="STRASSE")["neurons"]), [], "no case folding beyond lower()")
    eq(H.ids(H.list_neurons(c, b, content_contains="straße")["neurons"]), ["g1"], "ß")
    eq(H.ids(H.list_neurons(c, b, content_contains="da nang")["neurons"]), ["a1"], "no accent folding")


def test_filter_content_contains_matches_python_lower(srv):
    # The definition is Python's str.lower() on both sides (full case mapping,
    # final sigma, length-changing mappings); expectations are computed with it.
    c = srv.c
    b = H.new_brain(c)
    data = {"tr": "İstanbul", "tr2": "istanbul", "lat": "ȺBC Ⱥbc", "gr": "ΟΔΟΣ ΜΑΚΡΙΑ", "gr2": "οδοσ",
            "de": "STRAẞE", "kelvin": "\u212a elvin", "fw": "ＡＢＣ", "lig": "ﬁne", "vi": "TIẾNG VIỆT", "num": "Ⅻ"}
    for k, v in data.items():
        H.mk_neuron(c, b, v, id=k)
    for q in ("istanbul", "İstanbul", "İSTANBUL", "i̇stanbul", "ⱥbc", "ȺBC", "οδος", "οδοσ", "ΟΔΟΣ", "ΟΔΟΣ Μ",
              "straße", "ẞ", "k elvin", "\u212a", "ａｂｃ", "ﬁ", "FI", "tiếng việt", "ⅻ"):
        want = [k for k, v in data.items() if q.lower() in v.lower()]
        eq(H.ids(H.list_neurons(c, b, content_contains=q)["neurons"]), want, f"content_contains={q!r}")


def test_filter_content_contains_wildcards_literal(srv):
    c = srv.c
    b = H.new_brain(c)
    data = {"p": "100% sure", "np": "1000 sure", "u": "snake_case", "nu": "snakeXcase", "bs": "a\\b", "nbs": "ab",
            "q": "it's \"quoted\"", "amp": "x&y=z", "plus": "a+b", "sp": "a b"}
    for k, v in data.items():
        H.mk_neuron(c, b, v, id=k)

    def find(s):
        return H.ids(H.list_neurons(c, b, content_contains=s)["neurons"])

    eq(find("%"), ["p"], "% literal")
    eq(find("0%"), ["p"], "0% literal")
    eq(find("_"), ["u"], "_ literal")
    eq(find("e_c"), ["u"], "e_c literal")
    eq(find("\\"), ["bs"], "backslash literal")
    eq(find("'s \"q"), ["q"], "quotes")
    eq(find("&y="), ["amp"], "& and = encoded in the query")
    eq(find("a+b"), ["plus"], "%2B is a literal plus")
    eq(find("a b"), ["sp"], "space sent as +")
    eq(H.ids(H.list_neurons(c, b, content_contains="SURE")["neurons"]), ["p", "np"], "ascii case-insensitive")


def test_filter_content_exact(srv):
    c = srv.c
    b = H.new_brain(c)
    for k, v in {"h1": "Hello", "h2": "hello", "h3": "Hello ", "h4": "Hello", "d1": "Đà Nẵng"}.items():
        H.mk_neuron(c, b, v, id=k)
    eq(H.ids(H.list_neurons(c, b, content_exact="Hello")["neurons"]), ["h1", "h4"], "exact, case-sensitive")
    eq(H.ids(H.list_neurons(c, b, content_exact="hello")["neurons"]), ["h2"], "exact lower")
    eq(H.ids(H.list_neurons(c, b, content_exact="Đà Nẵng")["neurons"]), ["d1"], "exact unicode")
    eq(H.ids(H.list_neurons(c, b, content_exact="đà nẵng")["neurons"]), [], "exact is not case-insensitive")
    eq(H.ids(H.list_neurons(c, b, content_exact="Hello", limit=1)["neurons"]), ["h1"], "engine pattern limit=1")


def test_filter_time_range(srv):
    c = srv.c
    b = H.new_brain(c)
    times = {"t1": "2026-01-01T00:00:00", "t2": "2026-01-02T00:00:00.000005", "t3": "2026-01-03T12:00:00",
             "t0": "2025-12-31T23:59:59.999999"}
    for k, v in times.items():
        H.mk_neuron(c, b, k, id=k, created_at=v, type="time")

    def rng(a, z, **kw):
        return H.ids(H.list_neurons(c, b, time_start=a, time_end=z, **kw)["neurons"])

    eq(rng("2026-01-01T00:00:00", "2026-01-02T00:00:00.000005"), ["t1", "t2"], "inclusive both ends")
    eq(rng("2026-01-02T00:00:00.000005", "2026-01-02T00:00:00.000005"), ["t2"], "point range")
    eq(rng("2026-01-02T00:00:00.000006", "2026-01-03T11:59:59.999999"), [], "microsecond precision")
    eq(rng("2026-01-01", "2026-12-31"), ["t1", "t2", "t3"], "date-only bounds")
    eq(rng("2026-01-01T02:00:00+02:00", "2026-01-01T00:00:00Z"), ["t1"], "offsets converted to UTC")
    eq(rng("2026-01-03T00:00:00", "2026-01-01T00:00:00"), [], "start > end -> empty")
    eq(rng("2000-01-01", "2100-01-01", type="time", content_contains="t", limit=2), ["t1", "t2"],
       "AND with other filters, limit after filtering")
    field_err(c.req("GET", "/memory/neurons", brain=b, query={"time_start": "2026-01-01T00:00:00"}),
              ("time_start", "time_end"), what="time_start alone")
    field_err(c.req("GET", "/memory/neurons", brain=b, query={"time_end": "2026-01-01T00:00:00"}),
              ("time_start", "time_end"), what="time_end alone")
    field_err(c.req("GET", "/memory/neurons", brain=b, query={"time_start": "junk", "time_end": "2026-01-01"}),
              "time_start")
    field_err(c.req("GET", "/memory/neurons", brain=b, query={"time_start": "2026-01-01", "time_end": "junk"}),
              "time_end")


def test_filters_combined(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "red apple", type="entity", id="a1", created_at="2026-01-01T00:00:00")
    H.mk_neuron(c, b, "red car", type="concept", id="a2", created_at="2026-01-01T00:00:00")
    H.mk_neuron(c, b, "green apple", type="entity", id="a3", created_at="2026-01-01T00:00:00")
    H.mk_neuron(c, b, "red apple", type="entity", id="a4", created_at="2027-01-01T00:00:00")
    eq(H.ids(H.list_neurons(c, b, type="entity", content_contains="RED",
                            time_start="2025-01-01", time_end="2026-06-01")["neurons"]), ["a1"], "AND of filters")
    eq(H.ids(H.list_neurons(c, b, type="entity", content_exact="red apple")["neurons"]), ["a1", "a4"], "type+exact")


# -- neuron state ---------------------------------------------------------------

def test_state_defaults(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "s", id="n-s")
    r = c.req("GET", "/memory/neurons/n-s/state", brain=b)
    s = ok(r, 200)
    H.check_state(s, neuron_id="n-s", activation_level=0.0, access_frequency=0, last_activated=None, decay_rate=0.1)
    t = r.typed()
    eq(t["activation_level"].text, "0.0", "activation_level keeps .0")
    eq(t["access_frequency"].text, "0", "access_frequency integer")
    eq(t["decay_rate"].text, "0.1", "decay_rate shortest form")


def test_state_put_client_body(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "s", id="n-s")
    created = ok(c.req("GET", "/memory/neurons/n-s/state", brain=b), 200)["created_at"]
    body = {"neuron_id": "n-s", "activation_level": 0.7, "access_frequency": 3,
            "last_activated": "2026-01-03T00:00:00.25", "decay_rate": 0.2}
    r = c.req("PUT", "/memory/neurons/n-s/state", body, brain=b)
    s = ok(r, 200)
    H.check_state(s, neuron_id="n-s", activation_level=0.7, access_frequency=3,
                  last_activated="2026-01-03T00:00:00.250000", decay_rate=0.2, created_at=created)
    eq(r.typed()["activation_level"].text, "0.7", "0.7 in shortest form")
    eq(ok(c.req("GET", "/memory/neurons/n-s/state", brain=b), 200), s, "GET after PUT")


def test_state_put_partial_and_null(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "s", id="n-s")
    ok(c.req("PUT", "/memory/neurons/n-s/state", {"activation_level": 1, "access_frequency": 5.0,
                                                  "last_activated": "2026-02-02T02:02:02", "decay_rate": 0},
             brain=b), 200)
    s = ok(c.req("PUT", "/memory/neurons/n-s/state", {"activation_level": 0.5}, brain=b), 200)
    H.check_state(s, activation_level=0.5, access_frequency=5, last_activated="2026-02-02T02:02:02.000000",
                  decay_rate=0.0)
    s = ok(c.req("PUT", "/memory/neurons/n-s/state", {"neuron_id": "n-s", "last_activated": None}, brain=b), 200)
    eq(s["last_activated"], None, "null last_activated clears it")
    eq(s["access_frequency"], 5, "kept")
    s2 = ok(c.req("PUT", "/memory/neurons/n-s/state", {"created_at": "2020-01-01T00:00:00"}, brain=b), 200)
    eq(s2["created_at"], "2020-01-01T00:00:00.000000", "created_at may be set explicitly")
    s3 = ok(c.req("PUT", "/memory/neurons/n-s/state", {"activation_level": 0.25}, brain=b), 200)
    eq(s3["created_at"], "2020-01-01T00:00:00.000000", "created_at kept when absent")


def test_state_validation(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "s", id="n-s")
    ok(c.req("PUT", "/memory/neurons/n-s/state", {"activation_level": 0.3, "access_frequency": 2}, brain=b), 200)
    before = ok(c.req("GET", "/memory/neurons/n-s/state", brain=b), 200)
    for body, field in [({"activation_level": 1.01}, "activation_level"), ({"activation_level": -0.1}, "activation_level"),
                        ({"activation_level": "0.5"}, "activation_level"), ({"access_frequency": -1}, "access_frequency"),
                        ({"access_frequency": 1.5}, "access_frequency"), ({"access_frequency": "3"}, "access_frequency"),
                        ({"access_frequency": True}, "access_frequency"), ({"decay_rate": -0.01}, "decay_rate"),
                        ({"last_activated": "not a date"}, "last_activated"), ({"last_activated": 5}, "last_activated"),
                        ({"neuron_id": "other"}, "neuron_id"), ({"neuron_id": 5}, "neuron_id"),
                        ({"activation_level": 0.9, "access_frequency": -1}, "access_frequency")]:
        field_err(c.req("PUT", "/memory/neurons/n-s/state", body, brain=b), field, what=str(body))
    eq(ok(c.req("GET", "/memory/neurons/n-s/state", brain=b), 200), before, "state unchanged")


def test_state_missing_neuron(srv):
    c = srv.c
    b = H.new_brain(c)
    err(c.req("GET", "/memory/neurons/ghost/state", brain=b), 404, "Neuron ghost not found")
    err(c.req("PUT", "/memory/neurons/ghost/state", {"neuron_id": "ghost", "activation_level": 0.5}, brain=b), 404,
        "Neuron ghost not found")
    err(c.req("GET", "/memory/neurons/ghost/state", brain=b), 404, what="PUT must not create a state")


def test_state_reset_when_neuron_recreated(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "s", id="n-r")
    ok(c.req("PUT", "/memory/neurons/n-r/state", {"activation_level": 0.9}, brain=b), 200)
    ok(c.req("DELETE", "/memory/neurons/n-r", brain=b), 200)
    H.mk_neuron(c, b, "s again", id="n-r")
    eq(ok(c.req("GET", "/memory/neurons/n-r/state", brain=b), 200)["activation_level"], 0.0, "fresh state")


def test_path_id_percent_decoded(srv):
    c = srv.c
    b = H.new_brain(c)
    for nid in ("a b", "x/y", "50%", "ü-é", "q?x", "h#t", "a+b", "semi;colon"):
        H.mk_neuron(c, b, nid, id=nid)
        n = ok(c.req("GET", f"/memory/neurons/{pq(nid)}", brain=b), 200, f"GET {nid!r}")
        eq(n["id"], nid, "decoded id")
        ok(c.req("GET", f"/memory/neurons/{pq(nid)}/state", brain=b), 200, f"state {nid!r}")
    # A literal '+' in a path is a plus (only query strings decode '+' as space).
    eq(ok(c.req("GET", "/memory/neurons/a+b", brain=b), 200)["id"], "a+b", "literal + in path")
    eq(ok(c.req("GET", "/memory/neurons/%C3%BC-%C3%A9", brain=b), 200)["id"], "ü-é", "lower/upper hex")
    eq(ok(c.req("GET", "/memory/neurons/%c3%bc-%c3%a9", brain=b), 200)["id"], "ü-é", "lower-case hex")
