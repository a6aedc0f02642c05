"""Brains: POST /brain/create, GET/PUT/DELETE /brain/{id}, stats, GET /brains
(PROTOCOL.md §2.5-2.7, §3.2, §5 rows 7-9, 17, 23, 28, 33)."""
import datetime

import harness as H
from harness import eq, expect, ok, err, field_err, pq, uid


def test_create_minimal_shape(srv):
    bid = uid("b")
    r = srv.req("POST", "/brain/create", {"id": bid, "name": "Minimal"})
    b = ok(r, 200, "create")  # 200, not 201 (§5 row 33)
    H.check_brain(b, id=bid, name="Minimal", owner_id=None, is_public=False, shared_with=[], metadata={},
                  neuron_count=0, synapse_count=0, fiber_count=0)
    H.check_config(b["config"], **H.DEFAULT_CONFIG)
    t = r.typed()
    for k in ("neuron_count", "synapse_count", "fiber_count"):
        expect(isinstance(t[k], H.IntTok), f"{k} must be an integer token, got {t[k]!r}")
    eq(t["config"]["max_spread_hops"].text, "4", "max_spread_hops written as integer")
    eq(t["config"]["max_context_tokens"].text, "1500", "max_context_tokens written as integer")
    eq(t["config"]["default_synapse_weight"].text, "0.5", "default_synapse_weight")
    eq(t["config"]["reinforcement_delta"].text, "0.05", "reinforcement_delta shortest form")
    expect(H.dt(b["updated_at"]) >= H.dt(b["created_at"]), "updated_at >= created_at")
    got = ok(srv.req("GET", f"/brain/{bid}"), 200)
    eq(got, b, "GET equals create answer")


def test_create_full(srv):
    bid = uid("b")
    body = {"id": bid, "name": "Full", "owner_id": "alice", "is_public": True, "shared_with": ["bob", "carol"],
            "config": {"decay_rate": 0.3, "max_spread_hops": 7}, "metadata": {"k": ["v", 1, None]},
            "unknown_key": "ignored"}
    b = ok(srv.req("POST", "/brain/create", body), 200)
    H.check_brain(b, id=bid, name="Full", owner_id="alice", is_public=True, shared_with=["bob", "carol"],
                  metadata={"k": ["v", 1, None]})
    exp = dict(H.DEFAULT_CONFIG, decay_rate=0.3, max_spread_hops=7)
    H.check_config(b["config"], **exp)


def test_create_all_config_fields(srv):
    cfg = {"decay_rate": 1, "reinforcement_delta": 0.5, "activation_threshold": 0, "max_spread_hops": 10,
           "max_context_tokens": 100, "default_synapse_weight": 1.0, "junk": 5}
    b = ok(srv.req("POST", "/brain/create", {"id": uid("b"), "name": "cfg", "config": cfg}), 200)
    H.check_config(b["config"], decay_rate=1.0, reinforcement_delta=0.5, activation_threshold=0.0,
                   max_spread_hops=10, max_context_tokens=100, default_synapse_weight=1.0)
    r = srv.req("POST", "/brain/create", {"id": uid("b"), "name": "cfg",
                                          "config": {"max_spread_hops": 1, "max_context_tokens": 10000.0}})
    b = ok(r, 200)
    eq(b["config"]["max_spread_hops"], 1, "max_spread_hops")
    eq(b["config"]["max_context_tokens"], 10000, "integral number accepted for an integer field")
    eq(r.typed()["config"]["max_context_tokens"].text, "10000", "integer field written without a fraction")


def test_create_id_rule_header(srv):
    # Rule 2: no body id, X-Brain-ID names no brain -> that id.
    hid = uid("hdr")
    b = ok(srv.req("POST", "/brain/create", {"name": "from header"}, brain=hid), 200)
    eq(b["id"], hid, "id from X-Brain-ID")
    ok(srv.req("GET", f"/brain/{hid}"), 200)


def test_create_id_rule_header_existing_gives_uuid(srv):
    # Rule 3: header names an existing brain -> fresh UUID, the old brain untouched.
    hid = H.new_brain(srv.c, name="existing")
    b = ok(srv.req("POST", "/brain/create", {"name": "new one"}, brain=hid), 200)
    expect(H.is_uuid4(b["id"]), f"expected a generated UUID v4, got {b['id']!r}")
    expect(b["id"] != hid, "must not reuse the existing id")
    eq(ok(srv.req("GET", f"/brain/{hid}"), 200)["name"], "existing", "existing brain untouched")


def test_create_id_rule_no_id_no_header(srv):
    a = ok(srv.req("POST", "/brain/create", {"name": "anon"}), 200)
    b = ok(srv.req("POST", "/brain/create", {"name": "anon"}), 200)
    expect(H.is_uuid4(a["id"]) and H.is_uuid4(b["id"]), f"UUIDs expected: {a['id']!r} {b['id']!r}")
    expect(a["id"] != b["id"], "two generated ids differ")


def test_create_id_rule_body_wins(srv):
    bid, hid = uid("body"), uid("hdr")
    b = ok(srv.req("POST", "/brain/create", {"id": bid, "name": "x"}, brain=hid), 200)
    eq(b["id"], bid, "body id wins over header")
    err(srv.req("GET", f"/brain/{hid}"), 404, f"Brain {hid} not found")


def test_create_id_null_is_absent(srv):
    hid = uid("hdr")
    b = ok(srv.req("POST", "/brain/create", {"id": None, "name": "x"}, brain=hid), 200)
    eq(b["id"], hid, "null id = absent -> header rule")


def test_create_duplicate_409(srv):
    bid = H.new_brain(srv.c, name="first")
    err(srv.req("POST", "/brain/create", {"id": bid, "name": "second"}), 409, f"Brain {bid} already exists")
    eq(ok(srv.req("GET", f"/brain/{bid}"), 200)["name"], "first", "original kept")


def test_create_reserved_id(srv):
    field_err(srv.req("POST", "/brain/create", {"id": "create", "name": "x"}), "id")


def test_create_id_validation(srv):
    field_err(srv.req("POST", "/brain/create", {"id": "", "name": "x"}), "id")
    field_err(srv.req("POST", "/brain/create", {"id": "a" * 256, "name": "x"}), "id")
    field_err(srv.req("POST", "/brain/create", {"id": "Đ" * 128, "name": "x"}), "id")  # 256 bytes
    field_err(srv.req("POST", "/brain/create", {"id": 12, "name": "x"}), "id")
    long_id = uid("b").ljust(255, "x")
    eq(len(long_id.encode()), 255, "test setup")
    ok(srv.req("POST", "/brain/create", {"id": long_id, "name": "x"}), 200)
    ok(srv.req("GET", f"/brain/{long_id}"), 200)


def test_create_name_validation(srv):
    field_err(srv.req("POST", "/brain/create", {"id": uid("b")}), "name")
    field_err(srv.req("POST", "/brain/create", {"id": uid("b"), "name": None}), "name")
    field_err(srv.req("POST", "/brain/create", {"id": uid("b"), "name": ""}), "name")
    field_err(srv.req("POST", "/brain/create", {"id": uid("b"), "name": "n" * 101}), "name")
    field_err(srv.req("POST", "/brain/create", {"id": uid("b"), "name": 5}), "name")
    field_err(srv.req("POST", "/brain/create", {"id": uid("b"), "name": ["x"]}), "name")
    ok(srv.req("POST", "/brain/create", {"id": uid("b"), "name": "n" * 100}), 200)
    # Code points, not bytes: 100 x 'Đ' is 200 bytes.
    b = ok(srv.req("POST", "/brain/create", {"id": uid("b"), "name": "Đ" * 100}), 200)
    eq(b["name"], "Đ" * 100, "unicode name")
    field_err(srv.req("POST", "/brain/create", {"id": uid("b"), "name": "Đ" * 101}), "name")


def test_create_field_types(srv):
    def bad(field, value):
        body = {"id": uid("b"), "name": "x", field: value}
        field_err(srv.req("POST", "/brain/create", body), field, what=f"{field}={value!r}")

    bad("owner_id", 5)
    bad("is_public", "yes")
    bad("is_public", 1)
    bad("shared_with", "bob")
    bad("shared_with", [1])
    bad("metadata", [])
    bad("metadata", "x")
    bad("config", [])
    bad("config", 3)


def test_create_nulls_mean_default(srv):
    bid = uid("b")
    b = ok(srv.req("POST", "/brain/create", {"id": bid, "name": "x", "owner_id": None, "is_public": None,
                                             "shared_with": None, "config": None, "metadata": None}), 200)
    H.check_brain(b, owner_id=None, is_public=False, shared_with=[], metadata={})
    H.check_config(b["config"], **H.DEFAULT_CONFIG)


def test_create_config_ranges(srv):
    bad = [("decay_rate", -0.01), ("decay_rate", 1.01), ("reinforcement_delta", 0.51),
           ("reinforcement_delta", -1), ("activation_threshold", 1.5), ("activation_threshold", -0.1),
           ("max_spread_hops", 0), ("max_spread_hops", 11), ("max_spread_hops", 4.5),
           ("max_context_tokens", 99), ("max_context_tokens", 10001), ("max_context_tokens", "500"),
           ("default_synapse_weight", 1.5), ("default_synapse_weight", -0.5), ("decay_rate", "0.1"),
           ("decay_rate", True)]
    for k, v in bad:
        bid = uid("b")
        r = srv.req("POST", "/brain/create", {"id": bid, "name": "x", "config": {k: v}})
        err(r, 422, contains=[k], what=f"config.{k}={v!r}")
        err(srv.req("GET", f"/brain/{bid}"), 404, what="nothing created")


def test_create_body_not_object(srv):
    for raw in (b"[]", b'"x"', b"42", b"null", b"", b"{", b'{"name": "x",}', b"{'name': 'x'}"):
        r = srv.req("POST", "/brain/create", raw=raw, headers={"Content-Type": "application/json"})
        err(r, 422, what=f"body {raw!r}")


def test_get_brain_missing(srv):
    bid = uid("nope")
    err(srv.req("GET", f"/brain/{bid}"), 404, f"Brain {bid} not found")


def test_get_brain_counts_current(srv):
    c = srv.c
    bid = H.new_brain(c)
    a = H.mk_neuron(c, bid, "a")
    b = H.mk_neuron(c, bid, "b")
    H.mk_synapse(c, bid, a["id"], b["id"])
    H.mk_fiber(c, bid, [a["id"]])
    H.mk_fiber(c, bid, [b["id"]])
    br = ok(c.req("GET", f"/brain/{bid}"), 200)
    H.check_brain(br, neuron_count=2, synapse_count=1, fiber_count=2)


def test_get_brain_ignores_header(srv):
    bid = H.new_brain(srv.c)
    ok(srv.req("GET", f"/brain/{bid}", brain=uid("other")), 200)
    ok(srv.req("GET", f"/brain/{bid}/stats", brain=uid("other")), 200)


def test_updated_at_bumped_by_content_write(srv):
    c = srv.c
    bid = H.new_brain(c)
    before = ok(c.req("GET", f"/brain/{bid}"), 200)
    H.mk_neuron(c, bid, "bump")
    after = ok(c.req("GET", f"/brain/{bid}"), 200)
    expect(H.dt(after["updated_at"]) > H.dt(before["updated_at"]),
           f"updated_at not bumped by a neuron write: {before['updated_at']} -> {after['updated_at']}")
    eq(after["created_at"], before["created_at"], "created_at unchanged")


def test_put_brain_partial(srv):
    c = srv.c
    bid = uid("b")
    orig = ok(c.req("POST", "/brain/create", {
        "id": bid, "name": "orig", "owner_id": "alice", "is_public": False, "shared_with": ["bob"],
        "config": {"decay_rate": 0.3, "max_spread_hops": 6}, "metadata": {"a": 1, "b": 2}}), 200)
    # What the client sends.
    r = c.req("PUT", f"/brain/{bid}", {"name": "renamed", "is_public": True})
    b = ok(r, 200, "PUT brain")
    H.check_brain(b, id=bid, name="renamed", is_public=True, owner_id="alice", shared_with=["bob"],
                  metadata={"a": 1, "b": 2})
    eq(b["created_at"], orig["created_at"], "created_at kept")
    expect(H.dt(b["updated_at"]) > H.dt(orig["updated_at"]), "updated_at bumped by PUT")
    # config merged key by key; metadata replaced; owner/shared changed.
    b = ok(c.req("PUT", f"/brain/{bid}", {"config": {"activation_threshold": 0.4}, "metadata": {"c": 3},
                                           "owner_id": "dave", "shared_with": ["erin"], "junk": 1}), 200)
    H.check_config(b["config"], **dict(H.DEFAULT_CONFIG, decay_rate=0.3, max_spread_hops=6,
                                       activation_threshold=0.4))
    eq(b["metadata"], {"c": 3}, "metadata replaced")
    eq(b["owner_id"], "dave", "owner_id")
    eq(b["shared_with"], ["erin"], "shared_with")
    eq(b["name"], "renamed", "name kept")
    eq(ok(c.req("GET", f"/brain/{bid}"), 200), b, "GET after PUT")
    # null for a non-nullable optional field means absent
    b = ok(c.req("PUT", f"/brain/{bid}", {"config": None, "metadata": None, "is_public": None, "shared_with": None}), 200)
    eq((b["name"], b["metadata"], b["is_public"], b["shared_with"]), ("renamed", {"c": 3}, True, ["erin"]),
       "nulls leave fields as they were")
    H.check_config(b["config"], **dict(H.DEFAULT_CONFIG, decay_rate=0.3, max_spread_hops=6, activation_threshold=0.4))
    # empty body object: nothing changes except maybe updated_at
    b2 = ok(c.req("PUT", f"/brain/{bid}", {}), 200)
    for k in ("name", "owner_id", "is_public", "shared_with", "config", "metadata", "created_at"):
        eq(b2[k], b[k], f"{k} after empty PUT")


def test_put_brain_id_must_match(srv):
    c = srv.c
    bid = H.new_brain(c, name="keep")
    field_err(c.req("PUT", f"/brain/{bid}", {"id": uid("other"), "name": "changed"}), "id")
    eq(ok(c.req("GET", f"/brain/{bid}"), 200)["name"], "keep", "unchanged after 422")
    ok(c.req("PUT", f"/brain/{bid}", {"id": bid, "name": "changed"}), 200)


def test_put_brain_missing(srv):
    bid = uid("nope")
    err(srv.req("PUT", f"/brain/{bid}", {"name": "x"}), 404, f"Brain {bid} not found")
    err(srv.req("GET", f"/brain/{bid}"), 404, what="PUT must not create")


def test_put_brain_validation_leaves_unchanged(srv):
    c = srv.c
    bid = H.new_brain(c, name="stable", config={"decay_rate": 0.2})
    before = ok(c.req("GET", f"/brain/{bid}"), 200)
    field_err(c.req("PUT", f"/brain/{bid}", {"name": ""}), "name")
    field_err(c.req("PUT", f"/brain/{bid}", {"name": "x" * 101}), "name")
    field_err(c.req("PUT", f"/brain/{bid}", {"is_public": "no"}), "is_public")
    err(c.req("PUT", f"/brain/{bid}", {"name": "ok", "config": {"max_spread_hops": 0}}), 422,
        contains=["max_spread_hops"])
    err(c.req("PUT", f"/brain/{bid}", raw=b"{not json"), 422)
    eq(ok(c.req("GET", f"/brain/{bid}"), 200), before, "brain unchanged after failed PUTs")


def test_delete_brain(srv):
    c = srv.c
    bid = H.new_brain(c)
    r = ok(c.req("DELETE", f"/brain/{bid}"), 200, "delete brain")
    eq(r, {"status": "deleted", "brain_id": bid}, "delete body")
    err(c.req("GET", f"/brain/{bid}"), 404, f"Brain {bid} not found")
    err(c.req("DELETE", f"/brain/{bid}"), 404, f"Brain {bid} not found")
    err(c.req("GET", "/memory/neurons", brain=bid), 404, f"Brain {bid} not found")


def test_delete_brain_cascades(srv):
    c = srv.c
    bid = H.new_brain(c)
    a = H.mk_neuron(c, bid, "a", id="n-a")
    b = H.mk_neuron(c, bid, "b", id="n-b")
    H.mk_synapse(c, bid, "n-a", "n-b", id="s-1")
    H.mk_fiber(c, bid, ["n-a", "n-b"], id="f-1")
    ok(c.req("DELETE", f"/brain/{bid}"), 200)
    H.new_brain(c, id=bid)
    eq(H.counts(c, bid), (0, 0, 0), "recreated brain is empty")
    for p in ("/memory/neurons/n-a", "/memory/neurons/n-a/state", "/memory/synapses/s-1", "/memory/fiber/f-1"):
        err(c.req("GET", p, brain=bid), 404, what=p)
    # Same ids can be created again.
    H.mk_neuron(c, bid, "a2", id=a["id"])
    H.mk_neuron(c, bid, "b2", id=b["id"])


def test_delete_brain_leaves_others(srv):
    c = srv.c
    b1, b2 = H.new_brain(c), H.new_brain(c)
    H.mk_neuron(c, b1, "x", id="same")
    H.mk_neuron(c, b2, "y", id="same")
    ok(c.req("DELETE", f"/brain/{b1}"), 200)
    eq(ok(c.req("GET", "/memory/neurons/same", brain=b2), 200)["content"], "y", "other brain intact")
    eq(H.counts(c, b2), (1, 0, 0), "other brain counts")


def test_stats_shape(srv):
    c = srv.c
    bid = H.new_brain(c)
    a = H.mk_neuron(c, bid, "a")
    b = H.mk_neuron(c, bid, "b")
    H.mk_neuron(c, bid, "c")
    H.mk_synapse(c, bid, a["id"], b["id"])
    H.mk_fiber(c, bid, [a["id"]])
    r = c.req("GET", f"/brain/{bid}/stats")
    s = ok(r, 200)
    eq(list(s)[:5], H.STATS_KEYS, "stats leading keys")
    for k in H.STATS_EXTRA_KEYS:
        expect(k in s, f"stats lacks {k}")
    eq(s["brain_id"], bid, "brain_id")
    eq((s["neuron_count"], s["synapse_count"], s["fiber_count"], s["project_count"]), (3, 1, 1, 0), "counts")
    t = r.typed()
    for k in H.STATS_KEYS[1:] + ["archived_fiber_count", "archived_neuron_count", "archived_synapse_count",
                                  "db_size_bytes"]:
        expect(isinstance(t[k], H.IntTok), f"stats.{k} must be an integer: {t[k]!r}")
    eq(s["memory_types"], {}, "memory_types")
    eq(set(s["freshness"]), {"fresh", "recent", "aging", "stale"}, "freshness keys")
    eq((s["archived_fiber_count"], s["archived_neuron_count"], s["archived_synapse_count"]), (0, 0, 0), "archived")
    if srv.backend == "memory":
        eq(s["db_size_bytes"], 0, "db_size_bytes for the memory backend")
    else:
        expect(s["db_size_bytes"] >= 0, "db_size_bytes")


def test_stats_freshness(srv):
    c = srv.c
    bid = H.new_brain(c)
    n = H.mk_neuron(c, bid, "x")["id"]
    now = H.utcnow()

    def ago(days):
        return (now - datetime.timedelta(days=days)).isoformat()

    H.mk_fiber(c, bid, [n])                        # fresh (now)
    H.mk_fiber(c, bid, [n], created_at=ago(0.5))   # fresh
    H.mk_fiber(c, bid, [n], created_at=ago(3))     # recent
    H.mk_fiber(c, bid, [n], created_at=ago(20))    # aging
    H.mk_fiber(c, bid, [n], created_at=ago(45))    # stale
    H.mk_fiber(c, bid, [n], created_at=ago(400))   # stale
    s = H.stats(c, bid)
    eq(dict(s["freshness"]), {"fresh": 2, "recent": 1, "aging": 1, "stale": 2}, "freshness")


def test_stats_missing(srv):
    bid = uid("nope")
    err(srv.req("GET", f"/brain/{bid}/stats"), 404, f"Brain {bid} not found")


def test_brains_list(srv):
    c = srv.c
    mine = [H.new_brain(c, name=f"list {i}") for i in range(3)]
    H.mk_neuron(c, mine[1], "counted")
    r = ok(c.req("GET", "/brains"), 200)
    eq(list(r), ["brains", "total"], "keys")
    total = r["total"]
    expect(isinstance(total, int) and total >= 3, f"total {total!r}")
    expect(len(r["brains"]) == min(total, 100), "default limit 100")
    page = ok(c.req("GET", "/brains", query={"limit": 3, "offset": total - 3}), 200)
    eq(H.ids(page["brains"]), mine, "the newest three, in creation order")
    eq(page["total"], total, "total independent of paging")
    for b in page["brains"]:
        H.check_brain(b)
    eq(page["brains"][1]["neuron_count"], 1, "counts in list items")
    eq(H.ids(ok(c.req("GET", "/brains", query={"limit": 1, "offset": total - 2}), 200)["brains"]), [mine[1]],
       "limit/offset")
    eq(ok(c.req("GET", "/brains", query={"offset": total + 5}), 200)["brains"], [], "offset past the end")


def test_brains_list_params(srv):
    for q in ({"limit": 0}, {"limit": 1001}, {"limit": -1}, {"limit": "x"}, {"offset": -1}, {"offset": "1.5"}):
        err(srv.req("GET", "/brains", query=q), 422, startswith=list(q)[0], what=str(q))
    ok(srv.req("GET", "/brains", query={"limit": 1000}), 200)


def test_brains_list_after_delete(srv):
    c = srv.c
    bid = H.new_brain(c)
    t1 = ok(c.req("GET", "/brains", query={"limit": 1000}), 200)
    expect(bid in H.ids(t1["brains"]) or t1["total"] > 1000, "new brain listed")
    ok(c.req("DELETE", f"/brain/{bid}"), 200)
    t2 = ok(c.req("GET", "/brains", query={"limit": 1000}), 200)
    eq(t2["total"], t1["total"] - 1, "total after delete")
    expect(bid not in H.ids(t2["brains"]), "deleted brain not listed")


def test_brain_id_percent_decoded(srv):
    c = srv.c
    for raw_id in (uid("sp ace"), uid("slash/inside"), uid("pct%41"), uid("ünï"), uid("plus+sign")):
        ok(c.req("POST", "/brain/create", {"id": raw_id, "name": "odd id"}), 200)
        b = ok(c.req("GET", f"/brain/{pq(raw_id)}"), 200, f"GET {raw_id!r}")
        eq(b["id"], raw_id, "decoded id")
        ok(c.req("GET", f"/brain/{pq(raw_id)}/stats"), 200)
        ok(c.req("DELETE", f"/brain/{pq(raw_id)}"), 200)
