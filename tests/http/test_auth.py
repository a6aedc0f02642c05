"""API keys (PROTOCOL.md §6.5): 401/403 rules, check order, /brains filtering,
keys file + SIGHUP, metrics.require_auth, refusing a non-loopback bind
without auth."""
import os

import harness as H
from harness import eq, expect, ok, err, uid

KEYS = {"root": ("admin-key-0001", "admin"), "alice": ("alice-key-0001", "user"),
        "bob": ("bob-key-0001", "user"), "carol": ("carol-key-0001", "user")}
INVALID = "Missing or invalid API key"


def server_options(backend):
    return {"config": {"auth.enabled": "on",
                       "auth.key": [f"{H.sha256_hex(k)} {p} {role}" for p, (k, role) in KEYS.items()]}}


def _as(srv, who):
    return srv.client(headers={"Authorization": f"Bearer {KEYS[who][0]}"})


def _401(r, what=""):
    err(r, 401, INVALID, what=what)
    expect(r[1].get("www-authenticate", "").lower().startswith("bearer"),
           f"{what}: WWW-Authenticate: Bearer missing: {r[1].get('www-authenticate')!r}")


def _403(r, brain, what=""):
    err(r, 403, f"Access to brain {brain} denied", what=what)


def _brain(srv, who, **fields):
    c = _as(srv, who)
    bid = uid(f"{who}-b")
    body = {"id": bid, "name": f"{who}'s brain"}
    body.update(fields)
    ok(c.req("POST", "/brain/create", body), 200, f"{who} creates a brain")
    H.mk_neuron(c, bid, "n", id="n")
    H.mk_neuron(c, bid, "m", id="m")
    H.mk_synapse(c, bid, "n", "m", id="s")
    H.mk_fiber(c, bid, ["n"], id="f")
    return bid


def test_401_without_key(srv):
    c = srv.c
    bid = _brain(srv, "alice")
    for m, p, hdr in [("GET", f"/brain/{bid}", {}), ("GET", "/memory/neurons", {"X-Brain-ID": bid}),
                      ("POST", "/brain/create", {}), ("GET", "/brains", {}), ("DELETE", f"/brain/{bid}", {}),
                      ("GET", f"/brain/{bid}/export", {}), ("POST", f"/brain/{uid('x')}/import", {}),
                      ("GET", "/memory/neurons/n/neighbors", {"X-Brain-ID": bid})]:
        _401(c.req(m, p, {"name": "x"} if m == "POST" else None, headers=hdr), f"{m} {p}")
    eq(H.counts(_as(srv, "alice"), bid), (2, 1, 1), "nothing changed")


def test_401_invalid_credentials(srv):
    bid = _brain(srv, "alice")
    c = srv.c
    for auth in ("Bearer wrong-key", "Basic YWxpY2U6cHc=", "Bearer", "Bearer ", KEYS["alice"][0],
                 "Token " + KEYS["alice"][0], "Bearer " + KEYS["alice"][0] + "x", "Bearer " + KEYS["alice"][0].upper()):
        _401(c.req("GET", f"/brain/{bid}", headers={"Authorization": auth}), f"Authorization {auth!r}")


def test_scheme_case_insensitive(srv):
    bid = _brain(srv, "alice")
    for scheme in ("bearer", "BEARER", "Bearer", "bEaReR"):
        ok(srv.c.req("GET", f"/brain/{bid}", headers={"Authorization": f"{scheme} {KEYS['alice'][0]}"}), 200, scheme)


def test_no_auth_routes(srv):
    c = srv.c
    ok(c.req("GET", "/health"), 200)
    ok(c.req("GET", "/"), 200)
    ok(c.req("GET", "/openapi.json"), 200)
    H.status(c.req("GET", "/metrics"), 200)
    H.status(c.req("HEAD", "/health"), 200)
    r = c.req("OPTIONS", "/memory/neurons", headers={"Origin": "http://localhost:3000",
                                                     "Access-Control-Request-Method": "POST",
                                                     "Access-Control-Request-Headers": "authorization, x-brain-id"})
    H.status(r, 204, "preflight without a key")


def test_order_401_before_route_and_header(srv):
    c = srv.c
    _401(c.req("GET", "/no/such/route"), "unknown route without key")
    _401(c.req("GET", "/memory/neurons"), "missing X-Brain-ID without key")
    _401(c.req("PATCH", "/memory/neurons"), "wrong method without key")
    a = _as(srv, "alice")
    err(a.req("GET", "/no/such/route"), 404, "Not Found")
    err(a.req("GET", "/memory/neurons"), 422, "X-Brain-ID header required")


def test_order_404_before_403(srv):
    bob = _as(srv, "bob")
    ghost = uid("ghost")
    err(bob.req("GET", f"/brain/{ghost}"), 404, f"Brain {ghost} not found")
    err(bob.req("GET", "/memory/neurons", brain=ghost), 404, f"Brain {ghost} not found")
    err(bob.req("POST", "/memory/neurons", raw=b"{bad", brain=ghost), 404, f"Brain {ghost} not found")


def test_order_403_before_body_validation(srv):
    bid = _brain(srv, "alice")
    bob = _as(srv, "bob")
    _403(bob.req("POST", "/memory/neurons", {"type": "bogus"}, brain=bid), bid, "403 before 400")
    _403(bob.req("POST", "/memory/neurons", {"content": 5}, brain=bid), bid, "403 before 422")
    _403(bob.req("POST", "/memory/neurons", raw=b"{bad json", brain=bid), bid, "403 before malformed JSON")
    _403(bob.req("PUT", f"/brain/{bid}", {"name": ""}), bid, "PUT brain 403 before 422")
    _403(bob.req("POST", "/memory/neurons", {"id": "n", "type": "entity", "content": "dup"}, brain=bid), bid,
         "403 before 409")
    # the owner gets the validation errors
    alice = _as(srv, "alice")
    err(alice.req("POST", "/memory/neurons", {"type": "bogus", "content": "x"}, brain=bid), 400)
    err(alice.req("POST", "/memory/neurons", {"id": "n", "type": "entity", "content": "dup"}, brain=bid), 409)


def test_create_owner_is_principal(srv):
    alice = _as(srv, "alice")
    b = ok(alice.req("POST", "/brain/create", {"id": uid("o"), "name": "mine"}), 200)
    eq(b["owner_id"], "alice", "owner defaults to the key's principal")
    b = ok(alice.req("POST", "/brain/create", {"id": uid("o"), "name": "mine", "owner_id": "alice"}), 200)
    eq(b["owner_id"], "alice", "explicit own principal")
    bid = uid("o")
    err(alice.req("POST", "/brain/create", {"id": bid, "name": "for bob", "owner_id": "bob"}), 403,
        what="user may not set another owner")
    err(alice.req("GET", f"/brain/{bid}"), 404, what="nothing created")
    root = _as(srv, "root")
    b = ok(root.req("POST", "/brain/create", {"id": uid("o"), "name": "for bob", "owner_id": "bob"}), 200)
    eq(b["owner_id"], "bob", "admin may set any owner")
    b = ok(root.req("POST", "/brain/create", {"id": uid("o"), "name": "admin's"}), 200)
    eq(b["owner_id"], "root", "admin's own brain")


READS = [("GET", "/brain/{b}"), ("GET", "/brain/{b}/stats"), ("GET", "/brain/{b}/export"),
         ("GET", "/memory/neurons"), ("GET", "/memory/neurons/n"), ("GET", "/memory/neurons/n/state"),
         ("GET", "/memory/neurons/n/neighbors"), ("GET", "/memory/neurons/n/path?target_id=m"),
         ("GET", "/memory/synapses"), ("GET", "/memory/synapses/s"), ("GET", "/memory/fibers"),
         ("GET", "/memory/fiber/f"), ("GET", "/memory/fibers/f")]
WRITES = [("POST", "/memory/neurons", {"type": "entity", "content": "w"}), ("PUT", "/memory/neurons/n", {"content": "w"}),
          ("PUT", "/memory/neurons/n/state", {"activation_level": 0.5}),
          ("POST", "/memory/synapses", {"source_id": "n", "target_id": "m", "type": "is_a"}),
          ("PUT", "/memory/synapses/s", {"weight": 0.9}),
          ("POST", "/memory/fibers", {"neuron_ids": ["n"], "anchor_neuron_id": "n"}),
          ("PUT", "/memory/fibers/f", {"salience": 0.9}), ("PUT", "/brain/{b}", {"name": "renamed"}),
          ("POST", "/brain/{b}/import", {"brain_name": "x", "exported_at": "2026-01-01T00:00:00", "version": "0.1.0",
                                         "neurons": [], "synapses": [], "fibers": [], "config": {}}),
          ("DELETE", "/memory/synapses/s", None), ("DELETE", "/memory/fibers/f", None),
          ("DELETE", "/memory/neurons/n", None), ("DELETE", "/brain/{b}", None)]


def _can_read(c, bid):
    for m, p in READS:
        ok(c.req(m, p.format(b=bid), brain=bid), 200, f"read {m} {p}")


def _cannot_read(c, bid):
    for m, p in READS:
        _403(c.req(m, p.format(b=bid), brain=bid), bid, f"read {m} {p}")


def _cannot_write(c, bid):
    for m, p, body in WRITES:
        _403(c.req(m, p.format(b=bid), body, brain=bid), bid, f"write {m} {p}")


def _can_write(c, bid):
    for m, p, body in WRITES:
        r = c.req(m, p.format(b=bid), body, brain=bid)
        expect(r[0] in (200, 201), f"write {m} {p}: {r!r}")


def test_private_brain(srv):
    bid = _brain(srv, "alice")
    before = H.content_of(_as(srv, "alice"), bid)
    _cannot_read(_as(srv, "bob"), bid)
    _cannot_write(_as(srv, "bob"), bid)
    eq(H.content_of(_as(srv, "alice"), bid), before, "unchanged after refused writes")
    _can_read(_as(srv, "alice"), bid)
    _can_read(_as(srv, "root"), bid)


def test_shared_with_grants_read_only(srv):
    bid = _brain(srv, "alice", shared_with=["bob"])
    before = H.content_of(_as(srv, "alice"), bid)
    _can_read(_as(srv, "bob"), bid)
    _cannot_write(_as(srv, "bob"), bid)
    _cannot_read(_as(srv, "carol"), bid)
    eq(H.content_of(_as(srv, "alice"), bid), before, "unchanged")


def test_public_grants_read_only(srv):
    bid = _brain(srv, "alice", is_public=True)
    _can_read(_as(srv, "carol"), bid)
    _cannot_write(_as(srv, "carol"), bid)


def test_owner_writes(srv):
    bid = _brain(srv, "alice")
    _can_write(_as(srv, "alice"), bid)
    err(_as(srv, "alice").req("GET", f"/brain/{bid}"), 404, what="owner deleted the brain")


def test_admin_writes(srv):
    bid = _brain(srv, "alice")
    _can_write(_as(srv, "root"), bid)


def test_change_sharing_rules(srv):
    bid = _brain(srv, "alice", shared_with=["bob"])
    bob, alice, root = _as(srv, "bob"), _as(srv, "alice"), _as(srv, "root")
    _403(bob.req("PUT", f"/brain/{bid}", {"is_public": True}), bid, "reader cannot publish")
    _403(bob.req("PUT", f"/brain/{bid}", {"shared_with": ["bob", "carol"]}), bid, "reader cannot share")
    ok(alice.req("PUT", f"/brain/{bid}", {"shared_with": ["carol"]}), 200)
    _403(bob.req("GET", f"/brain/{bid}"), bid, "unshared")
    ok(_as(srv, "carol").req("GET", f"/brain/{bid}"), 200, "newly shared")
    ok(alice.req("PUT", f"/brain/{bid}", {"owner_id": "bob"}), 200, "owner hands over")
    ok(bob.req("POST", "/memory/neurons", {"type": "entity", "content": "bob writes"}, brain=bid), 201)
    _403(alice.req("POST", "/memory/neurons", {"type": "entity", "content": "x"}, brain=bid), bid, "former owner")
    ok(root.req("PUT", f"/brain/{bid}", {"owner_id": "alice"}), 200, "admin changes owner")
    ok(alice.req("POST", "/memory/neurons", {"type": "entity", "content": "back"}, brain=bid), 201)


def test_import_rules(srv):
    bob = _as(srv, "bob")
    snap = {"brain_name": "bob's import", "exported_at": "2026-01-01T00:00:00", "version": "0.1.0",
            "neurons": [{"id": "x", "type": "entity", "content": "x"}], "synapses": [], "fibers": [], "config": {}}
    new = uid("imp")
    b = ok(bob.req("POST", f"/brain/{new}/import", snap), 200, "any key may import into a new brain")
    eq(b["owner_id"], "bob", "owner of an imported brain is the caller")
    alices = _brain(srv, "alice")
    _403(bob.req("POST", f"/brain/{alices}/import", snap), alices, "import into someone else's brain")
    err(_as(srv, "alice").req("GET", "/memory/neurons/x", brain=alices), 404, what="nothing imported")


def test_brains_filtered(srv):
    a1 = _brain(srv, "alice")
    a2 = _brain(srv, "alice", shared_with=["bob"])
    a3 = _brain(srv, "carol", is_public=True)
    b1 = _brain(srv, "bob")

    def listed(who):
        r = ok(_as(srv, who).req("GET", "/brains", query={"limit": 1000}), 200)
        eq(r["total"], len(r["brains"]), f"{who}: total counts visible brains only")
        return set(H.ids(r["brains"]))

    bob = listed("bob")
    expect({a2, a3, b1} <= bob and a1 not in bob, f"bob sees {sorted(bob & {a1, a2, a3, b1})}")
    alice = listed("alice")
    expect({a1, a2, a3} <= alice and b1 not in alice, f"alice sees {sorted(alice & {a1, a2, a3, b1})}")
    root = listed("root")
    expect({a1, a2, a3, b1} <= root, "admin sees every brain")
    _401(srv.c.req("GET", "/brains"), "/brains without key")


def test_metrics_require_auth(backend):
    cfg = dict(server_options(backend)["config"])
    cfg["metrics.require_auth"] = "on"
    srv = H.start(backend, config=cfg)
    _401(srv.c.req("GET", "/metrics"), "/metrics with require_auth")
    H.status(_as(srv, "carol").req("GET", "/metrics"), 200)
    ok(srv.c.req("GET", "/health"), 200)


def test_keys_file_and_sighup(backend):
    srv = H.Server(backend)  # constructed first to get its temp dir
    keys = os.path.join(srv.tmp, "keys")
    with open(keys, "w") as f:
        f.write("# test keys\n\n" + f"{H.sha256_hex('first-key')} first user\n")
    srv.config_path = os.path.join(srv.tmp, "nmemd.conf")
    srv.write_config({"auth.enabled": "on", "auth.keys_file": keys})
    H._test_servers.append(srv)
    srv.start()
    first = srv.client(headers={"Authorization": "Bearer first-key"})
    second = srv.client(headers={"Authorization": "Bearer second-key"})
    ok(first.req("GET", "/brains"), 200, "key from the keys file")
    _401(second.req("GET", "/brains"), "key not yet added")
    with open(keys, "a") as f:
        f.write(f"{H.sha256_hex('second-key')} second admin\n")
    srv.sighup()
    H.poll_until(lambda: second.req("GET", "/brains")[0] == 200, what="the new key to work after SIGHUP")
    ok(first.req("GET", "/brains"), 200, "old key still valid")
    with open(keys, "w") as f:
        f.write(f"{H.sha256_hex('second-key')} second admin\n")
    srv.sighup()
    H.poll_until(lambda: first.req("GET", "/brains")[0] == 401, what="the removed key to stop working")
    ok(second.req("GET", "/brains"), 200, "remaining key")
    expect(srv.alive(), "SIGHUP must not stop the server")


def test_auth_off_ignores_authorization(backend):
    srv = H.start(backend)
    c = srv.client(headers={"Authorization": "Bearer whatever"})
    bid = H.new_brain(c)
    ok(c.req("GET", f"/brain/{bid}"), 200)
    ok(srv.c.req("GET", "/brains"), 200)
    ok(srv.c.req("GET", f"/brain/{bid}", headers={"Authorization": "Basic garbage"}), 200)


def test_nonloopback_refused_without_auth(backend):
    srv = H.Server(backend, host="0.0.0.0")
    H._test_servers.append(srv)
    srv.start(wait=False)
    try:
        rc = srv.proc.wait(H.START_TIMEOUT)
    except H.subprocess.TimeoutExpired:
        raise AssertionError("nmemd started on 0.0.0.0 with auth off and without --insecure")
    srv.expect_dead = True
    expect(rc != 0, f"exit status {rc} must be non-zero")


def test_nonloopback_with_insecure(backend):
    srv = H.start(backend, host="0.0.0.0", args=["--insecure"])
    ok(srv.req("GET", "/health"), 200)


def test_nonloopback_with_auth(backend):
    srv = H.start(backend, host="0.0.0.0", config=server_options(backend)["config"])
    ok(srv.req("GET", "/health"), 200)
    _401(srv.req("GET", "/brains"), "auth enforced")
