"""WebSocket sync (PROTOCOL.md §3.9, §6.5, §6.6): the RFC 6455 handshake and
framing of /sync/ws, the client messages (ping, connect, subscribe,
unsubscribe, get_history, event), the server's own events after REST
writes, encodes, imports and lifecycle jobs, per-brain fan-out, auth on the
upgrade and per brain, the bounded per-subscriber queue (overflow → 1008),
GET /sync/stats and close 1001 at shutdown.

Ordering arguments, not timing, make the negative checks deterministic:
the server handles one connection's frames in order, so "X was ignored" is
proven by sending X, then a ping, and getting the pong as the very next
frame; and a server event is written to every subscriber of its brain in one
step, so once a witness subscriber has received it, a ping sent afterwards
by any other client is answered after anything that event could have sent
that client. Reads have deadlines (socket timeouts); nothing sleeps.
"""
import json
import re
import struct

import harness as H
from harness import eq, expect, ok, uid
from wsclient import (WS, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, WSClosed, accept_for, encode_frame,
                      make_key, read_http_head, upgrade_request)

EVENT_KEYS = ["type", "brain_id", "timestamp", "data", "source_client_id"]
STATS_KEYS = ["connected_clients", "brain_subscriptions", "event_history_size", "events_sent", "events_dropped"]
BRAIN_STATS_KEYS = ["brain_id", "neuron_count", "synapse_count", "fiber_count", "project_count"]
JOB_EVENT_KEYS = ["job_id", "kind", "done", "total"]

KEYS = {"root": ("sync-admin-key-01", "admin"), "alice": ("sync-alice-key-01", "user"),
        "bob": ("sync-bob-key-01", "user")}
MiB = 1 << 20


# ---------------------------------------------------------------------------
# helpers

def _ws(srv, **kw):
    ws = WS.connect(srv.port, **kw)
    srv.clients.append(ws)  # closed by the harness after the test
    return ws


def _sub(srv, brain, client_id=None, **kw):
    """A connected client subscribed to brain (or to each of a list)."""
    ws = _ws(srv, **kw)
    ws.sync_connect(client_id)
    for b in ([brain] if isinstance(brain, str) else brain):
        ws.subscribe(b)
    return ws


def _check_event(ev, type_, brain, data=None, source=None, what="event"):
    H.check_keys(ev, EVENT_KEYS, what)
    eq(ev["type"], type_, f"{what}.type")
    eq(ev["brain_id"], brain, f"{what}.brain_id")
    H.check_dt(ev["timestamp"], f"{what}.timestamp")
    expect(isinstance(ev["data"], dict), f"{what}.data not an object: {ev!r}")
    if data is not None:
        eq(ev["data"], data, f"{what}.data")
    eq(ev["source_client_id"], source, f"{what}.source_client_id")
    return ev


def _event(ws, type_, brain, data=None, source=None, what="event"):
    return _check_event(ws.recv_json(), type_, brain, data, source, what)


def _pong_next(ws, what):
    """Send the ping action: the next frame must be its pong (so nothing
    else was sent to this client before it)."""
    eq(ws.ping(), {"type": "pong"}, f"{what}: next frame after ping")


def _stats(srv, c=None):
    st = ok((c or srv.c).req("GET", "/sync/stats"), 200, "GET /sync/stats")
    H.check_keys(st, STATS_KEYS, "sync stats")
    for k in STATS_KEYS:
        if k != "brain_subscriptions":
            H.check_number(st[k], f"sync stats.{k}", integer=True)
    expect(isinstance(st["brain_subscriptions"], dict), "brain_subscriptions not an object")
    return st


def _raw_upgrade(srv, data):
    s = srv.raw()
    try:
        s.sendall(data)
        (r,), _ = H.read_responses(s, 1)
        return r
    finally:
        s.close()


def _close_code(ws, code, what, error_first=None):
    """Read up to the close frame: its code must be `code`, then the TCP
    connection ends. With error_first (a text, maybe ""), the message just
    before the close frame must be an `error` event whose data.error
    contains it."""
    got = ws.read_until_close()
    eq(got[0], code, f"{what}: close code (reason {got[1]!r})")
    if error_first is not None:
        texts = [m for m in ws.before_close if m.opcode == OP_TEXT]
        expect(texts, f"{what}: no error event before the close frame")
        ev = json.loads(texts[-1].data)
        _check_event(ev, "error", "*", what=f"{what}: error event")
        eq(list(ev["data"]), ["error"], f"{what}: error event data keys")
        expect(isinstance(ev["data"]["error"], str) and error_first in ev["data"]["error"],
               f"{what}: error event data: {ev['data']!r}")
    ws.expect_eof()
    return got


# ---------------------------------------------------------------------------
# handshake

def test_handshake_101_and_accept(srv):
    key = make_key()
    s = srv.raw()
    try:
        s.sendall(upgrade_request(key=key))
        r, rest = read_http_head(s)
        eq(r.status, 101, "upgrade status")
        eq(r.headers.get("upgrade", "").lower(), "websocket", "Upgrade header")
        expect("upgrade" in r.headers.get("connection", "").lower(), f"Connection header: {r.header_list!r}")
        eq(r.headers.get("sec-websocket-accept"), accept_for(key), "Sec-WebSocket-Accept")
        eq(rest, b"", "no bytes after the 101 head")
    finally:
        s.close()
    # RFC 6455's own example key
    eq(accept_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "client's accept computation")
    s = srv.raw()
    try:
        s.sendall(upgrade_request(key="dGhlIHNhbXBsZSBub25jZQ==",
                                  headers={"Upgrade": "WebSocket", "Connection": "keep-alive, Upgrade"}))
        r, _ = read_http_head(s)
        eq(r.status, 101, "upgrade with mixed-case tokens and a Connection list")
        eq(r.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "accept of the RFC example")
    finally:
        s.close()
    ws = _ws(srv)
    _pong_next(ws, "fresh connection")


def test_handshake_refusals(srv):
    def bad(what, code=400, **kw):
        r = _raw_upgrade(srv, upgrade_request(**kw))
        H.err((r.status, r.headers, r.body), code, what=what)
        return r

    bad("no Upgrade header", drop=("Upgrade",))
    bad("Upgrade: h2c", headers={"Upgrade": "h2c"})
    bad("Connection without upgrade", headers={"Connection": "keep-alive"})
    bad("no Connection header", drop=("Connection",))
    bad("no key", drop=("Sec-WebSocket-Key",))
    bad("key of 15 bytes", key="MTIzNDU2Nzg5MDEyMzQ1")
    bad("key of 17 bytes", key="MTIzNDU2Nzg5MDEyMzQ1Njc=")
    bad("key not base64", key="!!!!!!!!!!!!!!!!!!!!!!==")
    bad("key 'abc'", key="abc")
    r = bad("Sec-WebSocket-Version 8", code=426, headers={"Sec-WebSocket-Version": "8"})
    eq(r.headers.get("sec-websocket-version"), "13", "426 names the supported version")
    r = _raw_upgrade(srv, upgrade_request(drop=("Sec-WebSocket-Version",)))
    expect(r.status in (400, 426), f"no Sec-WebSocket-Version: expected 400 or 426, got {r!r}")
    # a plain GET (no upgrade at all) is a bad handshake too
    H.err(srv.c.req("GET", "/sync/ws"), 400, what="plain GET /sync/ws")
    r = srv.c.req("POST", "/sync/ws", {"action": "ping"})
    H.err(r, 405, "Method Not Allowed", what="POST /sync/ws")
    expect("GET" in r[1].get("allow", ""), f"Allow header: {r[1].get('allow')!r}")
    r = _raw_upgrade(srv, upgrade_request(method="POST"))
    H.err((r.status, r.headers, r.body), 405, what="POST upgrade request")
    # the server is still fine for a real client
    _pong_next(_ws(srv), "after refusals")


# ---------------------------------------------------------------------------
# client messages

def test_ping_connect_subscribe(srv):
    ws = _ws(srv)
    eq(ws.ping(), {"type": "pong"}, "ping before connect")
    cid = uid("client")
    ev = ws.request({"action": "connect", "client_id": cid})
    _check_event(ev, "connected", "*", {"client_id": cid}, what="connected")
    eq(ws.ping(), {"type": "pong"}, "ping after connect")
    b = H.new_brain(srv.c)
    ev = ws.request({"action": "subscribe", "brain_id": b})
    _check_event(ev, "subscribed", b, {"success": True, "client_id": cid}, what="subscribed")
    # subscribing twice is still a success
    ev = ws.request({"action": "subscribe", "brain_id": b})
    _check_event(ev, "subscribed", b, {"success": True, "client_id": cid}, what="subscribed again")
    # default client ids: client-<n>, a new one per connection
    ids = []
    for _ in range(2):
        w = _ws(srv)
        ev = w.request({"action": "connect"})
        _check_event(ev, "connected", "*", what="connect without client_id")
        expect(re.fullmatch(r"client-\d+", ev["data"]["client_id"] or ""), f"default client id: {ev!r}")
        eq(list(ev["data"]), ["client_id"], "connected data keys")
        ids.append(ev["data"]["client_id"])
    expect(ids[0] != ids[1], f"two connections got one default id: {ids}")
    # a second connect re-registers under the new id
    ev = ws.request({"action": "connect", "client_id": cid + "-2"})
    _check_event(ev, "connected", "*", {"client_id": cid + "-2"}, what="second connect")
    b2 = H.new_brain(srv.c)
    _check_event(ws.request({"action": "subscribe", "brain_id": b2}), "subscribed", b2,
                 {"success": True, "client_id": cid + "-2"}, what="subscribed under the new id")


def test_actions_before_connect_ignored(srv):
    c = srv.c
    b = H.new_brain(c)
    witness = _sub(srv, b, uid("witness"))
    ws = _ws(srv)
    for msg in ({"action": "subscribe", "brain_id": b}, {"action": "get_history", "brain_id": b},
                {"action": "unsubscribe", "brain_id": b},
                {"action": "event", "event": {"type": "neuron_created", "brain_id": b, "data": {}}}):
        ws.send_json(msg)
        _pong_next(ws, f"{msg['action']} before connect")
    # the subscribe was not recorded: after connect, a write to b reaches the
    # witness but not ws
    ws.sync_connect(uid("late"))
    n = H.mk_neuron(c, b, "after connect")
    _event(witness, "neuron_created", b, n, what="witness")
    _pong_next(ws, "client whose subscribe came before connect")
    # the event sent before connect reached nobody: the witness's next
    # event is the next write
    n2 = H.mk_neuron(c, b, "second")
    _event(witness, "neuron_created", b, n2, what="witness after the ignored event")


def test_ignored_messages(srv):
    ws = _ws(srv)
    ws.sync_connect()
    b = H.new_brain(srv.c)
    for msg in ({"action": "subscribe"}, {"action": "subscribe", "brain_id": ""},
                {"action": "subscribe", "brain_id": 5}, {"action": "unsubscribe"}, {"action": "get_history"},
                {"action": "dance", "brain_id": b}, {"no_action": True}, {"action": 7}, {}):
        ws.send_json(msg)
        _pong_next(ws, f"ignored message {msg!r}")


def test_unsubscribe(srv):
    c = srv.c
    b = H.new_brain(c)
    witness = _sub(srv, b, uid("witness"))
    ws = _sub(srv, b, uid("leaver"))
    ev = ws.request({"action": "unsubscribe", "brain_id": b})
    _check_event(ev, "unsubscribed", b, {"success": True}, what="unsubscribed")
    ev = ws.request({"action": "unsubscribe", "brain_id": b})
    _check_event(ev, "unsubscribed", b, {"success": False}, what="unsubscribe when not subscribed")
    other = H.new_brain(c)
    ev = ws.request({"action": "unsubscribe", "brain_id": other})
    _check_event(ev, "unsubscribed", other, {"success": False}, what="unsubscribe a never-subscribed brain")
    n = H.mk_neuron(c, b, "after unsubscribe")
    _event(witness, "neuron_created", b, n, what="witness")
    _pong_next(ws, "unsubscribed client")
    ws.subscribe(b)
    n2 = H.mk_neuron(c, b, "after re-subscribe")
    _event(ws, "neuron_created", b, n2, what="re-subscribed client")


def test_get_history(srv):
    c = srv.c
    b = H.new_brain(c)
    ws = _sub(srv, b, uid("hist"))
    ev = ws.request({"action": "get_history", "brain_id": b})
    eq(ev, {"type": "history", "brain_id": b, "events": []}, "history of a quiet brain")
    memories = [{"content": f"Memory number {i} about the topic{i} project"} for i in range(120)]
    res = ok(c.req("POST", "/memory/encode/batch", {"memories": memories}, brain=b), 201, "batch of 120")
    got = []
    for i in range(120):
        got.append(_event(ws, "memory_encoded", b, res["results"][i], what=f"memory_encoded[{i}]"))
    hist = ws.request({"action": "get_history", "brain_id": b})
    H.check_keys(hist, ["type", "brain_id", "events"], "history")
    eq((hist["type"], hist["brain_id"]), ("history", b), "history type and brain")
    eq(hist["events"], got[-50:], "history: the last 50 events, oldest first")
    kept = got[-100:]

    def expected(since):
        return [e for e in kept if H.dt(e["timestamp"]) > H.dt(since)][-50:]

    for k in (30, 60, 90, 118, 119):
        since = got[k]["timestamp"]
        h = ws.request({"action": "get_history", "brain_id": b, "since": since})
        exp = expected(since)
        eq(h["events"], exp, f"history since event {k}'s timestamp ({len(exp)} expected)")
        expect(all(H.dt(e["timestamp"]) > H.dt(since) for e in h["events"]), "history since: only newer events")
    h = ws.request({"action": "get_history", "brain_id": b, "since": "2000-01-01T00:00:00"})
    eq(h["events"], got[-50:], "history since long ago: the last 50")
    h = ws.request({"action": "get_history", "brain_id": b, "since": "2999-01-01T00:00:00"})
    eq(h["events"], [], "history since the future")
    # server and client events are both kept
    peer = _sub(srv, b, uid("peer"))
    peer.send_json({"action": "event", "event": {"type": "partial_sync", "brain_id": b, "data": {"k": 1}}})
    _event(ws, "partial_sync", b, {"k": 1}, source=peer.cid, what="peer event")
    h = ws.request({"action": "get_history", "brain_id": b, "since": got[-1]["timestamp"]})
    eq([e["type"] for e in h["events"]], ["partial_sync"], "client event in history")
    eq(h["events"][0]["source_client_id"], peer.cid, "history keeps source_client_id")


# ---------------------------------------------------------------------------
# server events after REST writes

def test_server_events_crud(srv):
    c = srv.c
    b = H.new_brain(c)
    ws = _sub(srv, b, uid("crud"))
    n1 = H.mk_neuron(c, b, "first", id="n1")
    _event(ws, "neuron_created", b, n1, what="neuron_created")
    n2 = H.mk_neuron(c, b, "second", id="n2", metadata={"k": [1, 2]})
    _event(ws, "neuron_created", b, n2, what="neuron_created 2")
    r = ok(c.req("PUT", "/memory/neurons/n1", {"content": "first, edited", "metadata": {"v": 2}}, brain=b), 200)
    _event(ws, "neuron_updated", b, r, what="neuron_updated (PUT neuron)")
    r = ok(c.req("PUT", "/memory/neurons/n1/state", {"activation_level": 0.75, "access_frequency": 3}, brain=b), 200)
    _event(ws, "neuron_updated", b, r, what="neuron_updated (PUT state)")
    s = H.mk_synapse(c, b, "n1", "n2", id="s1", weight=0.4)
    _event(ws, "synapse_created", b, s, what="synapse_created")
    r = ok(c.req("PUT", "/memory/synapses/s1", {"weight": 0.9}, brain=b), 200)
    _event(ws, "synapse_updated", b, r, what="synapse_updated")
    f = H.mk_fiber(c, b, ["n1", "n2"], id="f1", summary="a fiber")
    _event(ws, "fiber_created", b, f, what="fiber_created")
    r = ok(c.req("PUT", "/memory/fibers/f1", {"summary": "renamed", "tags": ["x"]}, brain=b), 200)
    _event(ws, "fiber_updated", b, r, what="fiber_updated")
    ok(c.req("DELETE", "/memory/synapses/s1", brain=b), 200)
    _event(ws, "synapse_deleted", b, {"id": "s1"}, what="synapse_deleted")
    ok(c.req("DELETE", "/memory/fibers/f1", brain=b), 200)
    _event(ws, "fiber_deleted", b, {"id": "f1"}, what="fiber_deleted")
    ok(c.req("DELETE", "/memory/neurons/n2", brain=b), 200)
    _event(ws, "neuron_deleted", b, {"id": "n2"}, what="neuron_deleted")
    # an id that needs percent-encoding in the path arrives decoded
    odd = "n 3/ü"
    H.mk_neuron(c, b, "odd", id=odd)
    _event(ws, "neuron_created", b, what="neuron_created odd id")
    ok(c.req("DELETE", f"/memory/neurons/{H.pq(odd)}", brain=b), 200)
    _event(ws, "neuron_deleted", b, {"id": odd}, what="neuron_deleted odd id")
    # reads emit nothing: the next event is the next write
    c.req("GET", "/memory/neurons", brain=b)
    c.req("GET", "/memory/neurons/n1", brain=b)
    H.query(c, b, "first")
    n4 = H.mk_neuron(c, b, "fourth")
    _event(ws, "neuron_created", b, n4, what="next event after reads")


def test_encode_events(srv):
    c = srv.c
    b = H.new_brain(c)
    ws = _sub(srv, b, uid("enc"))
    r = H.encode(c, b, "Alice met Bob in Paris to discuss the Falcon project", tags=["meeting"])
    _event(ws, "memory_encoded", b, r, what="memory_encoded")
    marker = H.mk_neuron(c, b, "marker 1")
    _event(ws, "neuron_created", b, marker, what="after one encode: exactly one memory_encoded, no object events")
    mems = [{"content": "Carol fixed the login bug on Monday"}, {"content": "Dave reviewed the Falcon design"},
            {"content": "Erin shipped version 2 of the parser"}]
    res = ok(c.req("POST", "/memory/encode/batch", {"memories": mems}, brain=b), 201, "batch")
    eq(res["count"], 3, "batch count")
    for i in range(3):
        _event(ws, "memory_encoded", b, res["results"][i], what=f"batch memory_encoded[{i}]")
    marker = H.mk_neuron(c, b, "marker 2")
    _event(ws, "neuron_created", b, marker, what="after a batch of 3: three memory_encoded")
    # a query emits nothing
    H.query(c, b, "Who met Bob?")
    marker = H.mk_neuron(c, b, "marker 3")
    _event(ws, "neuron_created", b, marker, what="after a query")


def test_import_full_sync(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "existing", id="e1")
    ws = _sub(srv, b, uid("imp"))
    snap = {"brain_name": "imported", "exported_at": "2026-01-01T00:00:00", "version": "0.1.0",
            "neurons": [{"id": f"i{i}", "type": "entity", "content": f"imported {i}"} for i in range(3)],
            "synapses": [{"id": "is1", "source_id": "i0", "target_id": "i1", "type": "before"}],
            "fibers": [], "config": {}}
    ok(c.req("POST", f"/brain/{H.pq(b)}/import", snap), 200, "import")
    ev = _event(ws, "full_sync", b, what="full_sync")
    st = H.stats(c, b)
    H.check_keys(ev["data"], BRAIN_STATS_KEYS, "full_sync data (Stats, §2.7)")
    eq(ev["data"], {k: st[k] for k in BRAIN_STATS_KEYS}, "full_sync data = the brain's Stats")
    eq((ev["data"]["neuron_count"], ev["data"]["synapse_count"], ev["data"]["fiber_count"]), (4, 1, 0), "counts")


def test_import_new_brain_full_sync(srv):
    c = srv.c
    b = uid("newimp")
    ws = _sub(srv, b, uid("imp2"))  # subscribing to a brain that does not exist yet is allowed (auth off)
    snap = {"brain_name": "fresh", "exported_at": "2026-01-01T00:00:00", "version": "0.1.0",
            "neurons": [{"id": "a", "type": "entity", "content": "a"}], "synapses": [], "fibers": [], "config": {}}
    ok(c.req("POST", f"/brain/{H.pq(b)}/import", snap), 200, "import into a new brain")
    ev = _event(ws, "full_sync", b, what="full_sync of a new brain")
    eq((ev["data"].get("brain_id"), ev["data"].get("neuron_count"), ev["data"].get("synapse_count"),
        ev["data"].get("fiber_count")), (b, 1, 0, 0), "full_sync counts")


def test_events_only_to_that_brains_subscribers(srv):
    c = srv.c
    bx, by = H.new_brain(c), H.new_brain(c)
    wx = _sub(srv, bx, uid("x"))
    wy = _sub(srv, by, uid("y"))
    both = _sub(srv, [bx, by], uid("xy"))
    ny = H.mk_neuron(c, by, "in y")
    nx = H.mk_neuron(c, bx, "in x")
    _event(wx, "neuron_created", bx, nx, what="x subscriber: only x's event")
    _event(wy, "neuron_created", by, ny, what="y subscriber")
    _event(both, "neuron_created", by, ny, what="subscriber of both: y first")
    _event(both, "neuron_created", bx, nx, what="subscriber of both: then x")
    _pong_next(wy, "y subscriber after x's write")
    # a brain with no subscribers: nothing anywhere
    bz = H.new_brain(c)
    H.mk_neuron(c, bz, "in z")
    nx2 = H.mk_neuron(c, bx, "x again")
    _event(wx, "neuron_created", bx, nx2, what="after a write to an unwatched brain")


def test_failed_writes_emit_nothing(srv):
    c = srv.c
    b = H.new_brain(c)
    ws = _sub(srv, b, uid("fail"))
    n = H.mk_neuron(c, b, "one", id="dup")
    _event(ws, "neuron_created", b, n, what="created")
    H.err(c.req("POST", "/memory/neurons", {"id": "dup", "type": "concept", "content": "again"}, brain=b), 409,
          what="duplicate")
    H.err(c.req("POST", "/memory/neurons", {"type": "nope", "content": "x"}, brain=b), 400, what="bad type")
    H.err(c.req("POST", "/memory/neurons", {"type": "concept"}, brain=b), 422, what="no content")
    H.err(c.req("PUT", "/memory/neurons/missing", {"content": "x"}, brain=b), 404, what="update missing")
    H.err(c.req("DELETE", "/memory/neurons/missing", brain=b), 404, what="delete missing")
    H.err(c.req("POST", "/memory/synapses", {"source_id": "dup", "target_id": "missing", "type": "before"},
                brain=b), 422, what="synapse to a missing neuron")
    H.err(c.req("POST", "/memory/encode", {"content": "   "}, brain=b), 422, what="blank encode")
    H.err(c.req("POST", "/memory/encode/batch", {"memories": [{"content": "fine"}, {"content": ""}]}, brain=b),
          422, what="batch with a bad item")
    H.err(c.req("POST", f"/brain/{H.pq(b)}/import", {"brain_name": "x"}), 422, what="bad import")
    n2 = H.mk_neuron(c, b, "two")
    _event(ws, "neuron_created", b, n2, what="the next event after failed writes")


# ---------------------------------------------------------------------------
# lifecycle jobs

def test_job_events(srv):
    c = srv.c
    b = H.new_brain(c)
    for i in range(5):
        H.mk_neuron(c, b, f"neuron {i}", id=f"n{i}")
    for i in range(4):
        H.mk_synapse(c, b, f"n{i}", f"n{i + 1}", weight=0.5, last_activated="2026-01-01T00:00:00")
    ws = _sub(srv, b, uid("jobs"))
    r = ok(c.req("POST", f"/brain/{H.pq(b)}/decay", {"reference_time": "2026-02-01T00:00:00"}), 202, "decay")
    job_id = r["job_id"]
    progress = []
    while True:
        ev = ws.recv_json(timeout=60)
        expect(ev.get("type") in ("job_progress", "job_finished"), f"unexpected event during the job: {ev!r}")
        _check_event(ev, ev["type"], b, what=ev["type"])
        eq(ev["data"]["job_id"], job_id, f"{ev['type']}.data.job_id")
        if ev["type"] == "job_finished":
            break
        H.check_keys(ev["data"], JOB_EVENT_KEYS, "job_progress data")
        eq(ev["data"]["kind"], "decay", "job_progress kind")
        progress.append(ev["data"])
    fin = ev["data"]
    H.check_keys(fin, JOB_EVENT_KEYS + ["report"], "job_finished data")
    eq(fin["kind"], "decay", "job_finished kind")
    expect(progress, "no job_progress event before job_finished")
    for p in progress:
        expect(0 <= p["done"] <= p["total"], f"job_progress done/total: {p!r}")
    eq(progress[-1]["done"], progress[-1]["total"], "the last job_progress has done == total")
    eq([p["done"] for p in progress], sorted(p["done"] for p in progress), "done never goes back")
    eq(fin["done"], fin["total"], "job_finished done == total")
    job = ok(c.req("GET", f"/jobs/{job_id}"), 200, "GET job")
    eq(job["state"], "done", "job state")
    eq(fin["report"], job["report"], "job_finished report = the job's report")
    eq((fin["done"], fin["total"]), (job["done"], job["total"]), "job_finished counts = the job's")
    # a dry run is no job: no events
    ok(c.req("POST", f"/brain/{H.pq(b)}/decay", {"dry_run": True}), 200, "dry run")
    n = H.mk_neuron(c, b, "marker")
    _event(ws, "neuron_created", b, n, what="after a dry run")


# ---------------------------------------------------------------------------
# client events

def test_client_event_broadcast(srv):
    c = srv.c
    b = H.new_brain(c)
    sender = _sub(srv, b, "sender-" + uid())
    recv1 = _sub(srv, b, uid("r1"))
    recv2 = _sub(srv, b, uid("r2"))
    other = _sub(srv, H.new_brain(c), uid("other"))
    sid = sender.cid
    sender.send_json({"action": "event", "event": {"type": "neuron_created", "brain_id": b,
                                                   "timestamp": "2020-01-01T00:00:00", "data": {"id": "n9", "x": [1]}}})
    for w, name in ((recv1, "receiver 1"), (recv2, "receiver 2")):
        _event(w, "neuron_created", b, {"id": "n9", "x": [1]}, source=sid, what=name)
    _pong_next(sender, "sender (no echo)")
    _pong_next(other, "subscriber of another brain")
    # data absent or not an object: {}
    sender.send_json({"action": "event", "event": {"type": "memory_queried", "brain_id": b}})
    sender.send_json({"action": "event", "event": {"type": "full_sync", "brain_id": b, "data": [1, 2]}})
    for w in (recv1, recv2):
        _event(w, "memory_queried", b, {}, source=sid, what="event without data")
        _event(w, "full_sync", b, {}, source=sid, what="event with array data")
    # every sync event type is accepted
    for t in ("job_progress", "job_finished", "connected", "disconnected", "subscribed", "unsubscribed",
              "neuron_updated", "neuron_deleted", "synapse_created", "synapse_updated", "synapse_deleted",
              "fiber_created", "fiber_updated", "fiber_deleted", "memory_encoded", "partial_sync", "error"):
        sender.send_json({"action": "event", "event": {"type": t, "brain_id": b, "data": {"t": t}}})
        for w in (recv1, recv2):
            _event(w, t, b, {"t": t}, source=sid, what=f"client event {t}")
    # an event for a brain the sender is not subscribed to still reaches that brain's subscribers
    b2 = H.new_brain(c)
    w2 = _sub(srv, b2, uid("w2"))
    sender.send_json({"action": "event", "event": {"type": "partial_sync", "brain_id": b2, "data": {}}})
    _event(w2, "partial_sync", b2, {}, source=sid, what="event to an unsubscribed brain")
    _pong_next(sender, "sender after an event to another brain")


def test_bad_event_closes_1007(srv):
    b = H.new_brain(srv.c)
    for ev in ({"type": "nope", "brain_id": b}, {"type": "history", "brain_id": b}, {"type": "pong", "brain_id": b},
               {"type": "neuron_created"}, {"type": "neuron_created", "brain_id": ""},
               {"type": "neuron_created", "brain_id": 3}, {"brain_id": b}, "neuron_created", None):
        ws = _sub(srv, b, uid("bad"))
        ws.send_json({"action": "event", "event": ev})
        _close_code(ws, 1007, f"event {ev!r}", error_first="")
    # a receiver saw none of them and is still open
    w = _sub(srv, b, uid("watch"))
    _pong_next(w, "watcher")


def test_not_json_closes_1007(srv):
    for text in ("hello", "{", '{"action": "ping"', "nul", '{"action": "ping"} x'):
        ws = _ws(srv)
        ws.send_text(text)
        _close_code(ws, 1007, f"text {text!r}", error_first="")
    # also after connect
    ws = _ws(srv)
    ws.sync_connect()
    ws.send_text("not json at all")
    _close_code(ws, 1007, "non-JSON after connect", error_first="")
    # invalid UTF-8 in a text frame
    ws = _ws(srv)
    ws.send_frame(OP_TEXT, b'{"action": "ping", "x": "\xff\xfe"}')
    _close_code(ws, 1007, "invalid UTF-8")


def test_binary_closes_1003(srv):
    ws = _ws(srv)
    ws.send_binary(b'{"action": "ping"}')
    _close_code(ws, 1003, "binary frame")
    ws = _ws(srv)
    ws.sync_connect()
    ws.send_binary(b"\x00\x01\x02", pieces=[1, 1])
    _close_code(ws, 1003, "fragmented binary")


def test_protocol_errors_close_1002(srv):
    cases = [
        ("unmasked text frame", lambda ws: ws.send_frame(OP_TEXT, b'{"action": "ping"}', mask=False)),
        ("unmasked ping", lambda ws: ws.send_frame(OP_PING, b"", mask=False)),
        ("reserved bit", lambda ws: ws.send_frame(OP_TEXT, b'{"action": "ping"}', rsv=4)),
        ("ping of 126 bytes", lambda ws: ws.send_frame(OP_PING, b"p" * 126)),
        ("close of 200 bytes", lambda ws: ws.send_frame(OP_CLOSE, struct.pack("!H", 1000) + b"r" * 198)),
        ("fragmented ping", lambda ws: ws.send_frame(OP_PING, b"x", fin=False)),
        ("continuation without a message", lambda ws: ws.send_frame(OP_CONT, b'{"action": "ping"}')),
        ("new text inside a fragmented one", lambda ws: (ws.send_frame(OP_TEXT, b'{"act', fin=False),
                                                        ws.send_frame(OP_TEXT, b'{"action": "ping"}'))),
        ("unknown opcode 3", lambda ws: ws.send_frame(3, b"")),
        ("unknown control opcode 11", lambda ws: ws.send_frame(11, b"")),
    ]
    for what, send in cases:
        ws = _ws(srv)
        send(ws)
        _close_code(ws, 1002, what)


def test_fragmented_message_with_ping(srv):
    ws = _ws(srv)
    msg = json.dumps({"action": "connect", "client_id": "frag-" + uid()})
    ws.send_message(msg, pieces=[5, 9], between={0: [(OP_PING, b"hb-1")], 1: [(OP_PING, b"hb-2")]})
    m = ws.recv()
    eq((m.opcode, m.data), (OP_PONG, b"hb-1"), "pong to the ping after fragment 1")
    m = ws.recv()
    eq((m.opcode, m.data), (OP_PONG, b"hb-2"), "pong to the ping after fragment 2")
    ev = ws.recv_json()
    _check_event(ev, "connected", "*", {"client_id": json.loads(msg)["client_id"]}, what="reassembled connect")
    # a pong from the client is ignored; an empty fragment is fine
    ws.send_pong(b"unsolicited")
    ws.send_message(json.dumps({"action": "ping"}), pieces=[b"", b'{"action"', b"", b': "ping"}'])
    eq(ws.recv_json(), {"type": "pong"}, "message with empty fragments")
    # a multi-byte character split between fragments
    cid = "frag-é€😀"
    data = json.dumps({"action": "connect", "client_id": cid}, ensure_ascii=False).encode()
    cut = data.index("€".encode()) + 1
    ws.send_message(data, pieces=[cut])
    _check_event(ws.recv_json(), "connected", "*", {"client_id": cid}, what="UTF-8 split between fragments")
    # ping control frame with a payload: pong echoes it
    ws.send_ping(b"x" * 125)
    m = ws.recv()
    eq((m.opcode, m.data), (OP_PONG, b"x" * 125), "pong to a 125-byte ping")


def test_message_size_limit(srv):
    # exactly 1 MiB is accepted
    base = {"action": "ping", "pad": ""}
    pad = MiB - len(json.dumps(base))
    msg = json.dumps({"action": "ping", "pad": "p" * pad})
    eq(len(msg), MiB, "test message size")
    ws = _ws(srv)
    ws.send_text(msg)
    eq(ws.recv_json(), {"type": "pong"}, "a 1 MiB message")
    ws.send_text(msg, pieces=[MiB // 3, MiB // 3])
    eq(ws.recv_json(), {"type": "pong"}, "a 1 MiB message in 3 fragments")
    # one byte more: 1009
    ws = _ws(srv)
    ws.send_text(msg + " ")
    _close_code(ws, 1009, "1 MiB + 1 in one frame")
    ws = _ws(srv)
    ws.send_text(msg + " ", pieces=[600 * 1024])
    _close_code(ws, 1009, "1 MiB + 1 in two fragments")
    # a frame announcing far more than the limit is refused at its header
    ws = _ws(srv)
    ws.send_raw(b"\x81\xff" + struct.pack("!Q", 1 << 40) + b"mask")
    _close_code(ws, 1009, "frame header announcing 1 TiB")


def test_close_handshake(srv):
    for code, reason in ((1000, "bye"), (1001, ""), (4000, "app"), (3001, "")):
        ws = _ws(srv)
        ws.sync_connect()
        ws.send_close(code, reason)
        got = ws.read_until_close()
        eq(got[0], code, f"close {code}: echoed code")
        eq(ws.before_close, [], "nothing before the echoed close")
        ws.expect_eof()
    ws = _ws(srv)
    ws.send_close(None)
    eq(ws.read_until_close()[0], 1000, "empty close → 1000")
    ws.expect_eof()
    for bad in (1005, 1006, 999, 2000, 5000):
        ws = _ws(srv)
        ws.send_close(bad)
        eq(ws.read_until_close()[0], 1002, f"close with invalid code {bad}")
        ws.expect_eof()
    ws = _ws(srv)
    ws.send_frame(OP_CLOSE, b"\x03")
    eq(ws.read_until_close()[0], 1002, "close with a 1-byte body")
    ws = _ws(srv)
    ws.send_frame(OP_CLOSE, struct.pack("!H", 1000) + b"\xff")
    eq(ws.read_until_close()[0], 1002, "close reason not UTF-8")
    # frames after our close are not answered
    ws = _ws(srv)
    ws.send_raw(encode_frame(OP_CLOSE, struct.pack("!H", 1000)) + encode_frame(OP_TEXT, b'{"action": "ping"}'))
    eq(ws.read_until_close()[0], 1000, "close then ping")
    ws.expect_eof()


def test_disconnect_drops_subscriptions(srv):
    c = srv.c
    b = H.new_brain(c)
    gone = _sub(srv, b, uid("gone"))
    stay = _sub(srv, b, uid("stay"))
    gone.send_close(1000)
    gone.read_until_close()
    gone.expect_eof()
    H.poll_until(lambda: _stats(srv)["brain_subscriptions"].get(b) == 1, timeout=30,
                 what="the closed client's subscription to go")
    n = H.mk_neuron(c, b, "after a disconnect")
    _event(stay, "neuron_created", b, n, what="remaining subscriber")
    # an abrupt disconnect (no close frame) too
    rude = _sub(srv, b, uid("rude"))
    eq(_stats(srv)["brain_subscriptions"].get(b), 2, "two subscribers")
    rude.close()
    H.poll_until(lambda: _stats(srv)["brain_subscriptions"].get(b) == 1, timeout=30,
                 what="the dropped client's subscription to go")


# ---------------------------------------------------------------------------
# /sync/stats (own server: exact numbers)

def test_sync_stats(backend):
    srv = H.start(backend)
    c = srv.c
    eq(_stats(srv), {"connected_clients": 0, "brain_subscriptions": {}, "event_history_size": 0, "events_sent": 0,
                     "events_dropped": 0}, "stats of a fresh server")
    b1, b2, b3 = H.new_brain(c, id="sb-1"), H.new_brain(c, id="sb-2"), H.new_brain(c, id="sb-3")
    upgraded = _ws(srv)
    _pong_next(upgraded, "upgraded, not connected")
    eq(_stats(srv)["connected_clients"], 0, "an upgraded socket without connect is no client")
    w1 = _ws(srv)
    w1.sync_connect("one")
    w2 = _ws(srv)
    w2.sync_connect("two")
    eq(_stats(srv)["connected_clients"], 2, "two connected clients")
    w1.subscribe(b2)
    w1.subscribe(b1)
    w2.subscribe(b1)
    w2.subscribe(b3)
    st = _stats(srv)
    eq(list(st["brain_subscriptions"].items()), [(b2, 1), (b1, 2), (b3, 1)],
       "brain_subscriptions in first-subscription order")
    w2.request({"action": "unsubscribe", "brain_id": b3})
    eq(list(_stats(srv)["brain_subscriptions"].items()), [(b2, 1), (b1, 2)], "a brain at 0 is omitted")
    w1.request({"action": "unsubscribe", "brain_id": b2})
    w1.subscribe(b2)
    eq(list(_stats(srv)["brain_subscriptions"].items()), [(b2, 1), (b1, 2)],
       "re-subscribing keeps the brain's first-subscription place")
    sent0 = _stats(srv)["events_sent"]
    n = H.mk_neuron(c, b1, "one")
    _event(w1, "neuron_created", b1, n)
    _event(w2, "neuron_created", b1, n)
    H.mk_neuron(c, b2, "two")
    _event(w1, "neuron_created", b2)
    st = _stats(srv)
    eq(st["event_history_size"], 2, "two events in the history")
    expect(st["events_sent"] >= sent0 + 3, f"events_sent counts delivered events: {sent0} → {st['events_sent']}")
    eq(st["events_dropped"], 0, "events_dropped")
    # history is kept per brain, at most 100
    res = ok(c.req("POST", "/memory/encode/batch",
                   {"memories": [{"content": f"memory {i} of topic{i}"} for i in range(130)]}, brain=b2), 201)
    eq(res["count"], 130, "batch")
    for i in range(130):
        _event(w1, "memory_encoded", b2, res["results"][i])
    eq(_stats(srv)["event_history_size"], 1 + 100, "history: 1 in b1, 100 (the cap) in b2")
    # disconnects
    w2.close()
    H.poll_until(lambda: _stats(srv)["connected_clients"] == 1, timeout=30, what="connected_clients to drop to 1")
    eq(list(_stats(srv)["brain_subscriptions"].items()), [(b2, 1), (b1, 1)], "after a disconnect")
    w1.send_close(1000)
    w1.read_until_close()
    H.poll_until(lambda: _stats(srv)["connected_clients"] == 0, timeout=30, what="connected_clients to drop to 0")
    st = _stats(srv)
    eq(st["brain_subscriptions"], {}, "no subscriptions left")
    eq(st["events_dropped"], 0, "events_dropped")


# ---------------------------------------------------------------------------
# auth (own server)

def _auth_server(backend):
    return H.start(backend, config={"auth.enabled": "on",
                                    "auth.key": [f"{H.sha256_hex(k)} {p} {role}" for p, (k, role) in KEYS.items()]})


def _as(srv, who):
    return srv.client(headers={"Authorization": f"Bearer {KEYS[who][0]}"})


def test_auth(backend):
    srv = _auth_server(backend)
    alice, bob = _as(srv, "alice"), _as(srv, "bob")
    priv = H.new_brain(alice, id="alice-private")
    shared = H.new_brain(alice, id="alice-shared", shared_with=["bob"])
    public = H.new_brain(alice, id="alice-public", is_public=True)
    own = H.new_brain(bob, id="bob-own")
    # the upgrade needs a key
    for what, kw in (("no key", {}), ("bad token", {"query": {"token": "nope"}}),
                     ("bad header", {"headers": {"Authorization": "Bearer nope"}}),
                     ("empty token", {"query": "token="})):
        r = WS.connect(srv.port, expect_status=401, **kw)
        H.err((r.status, r.headers, r.body), 401, "Missing or invalid API key", what=f"upgrade with {what}")
        expect(r.headers.get("www-authenticate", "").lower().startswith("bearer"), f"{what}: WWW-Authenticate")
    H.err(srv.c.req("GET", "/sync/stats"), 401, what="/sync/stats without a key")
    ok(bob.req("GET", "/sync/stats"), 200, "/sync/stats with any valid key")
    # ?token= and Authorization both work
    wb = _ws(srv, query={"token": KEYS["bob"][0]})
    wb.sync_connect("bob-c")
    wh = _ws(srv, headers={"Authorization": f"Bearer {KEYS['bob'][0]}"})
    wh.sync_connect("bob-h")
    # subscribe: readable brains only
    ev = wb.request({"action": "subscribe", "brain_id": priv})
    _check_event(ev, "error", priv, {"success": False, "client_id": "bob-c", "error": "forbidden"},
                 what="subscribe to an unreadable brain")
    ev = wb.request({"action": "subscribe", "brain_id": "no-such-brain"})
    eq((ev["type"], ev["data"].get("error")), ("error", "forbidden"), "subscribe to a missing brain (auth on)")
    for bid in (shared, public, own):
        wb.subscribe(bid)
    wh.subscribe(shared)
    # the refused subscription really is absent
    wa = _ws(srv, query={"token": KEYS["alice"][0]})
    wa.sync_connect("alice-c")
    wa.subscribe(priv)
    n = H.mk_neuron(alice, priv, "secret")
    _event(wa, "neuron_created", priv, n, what="alice hears her private brain")
    _pong_next(wb, "bob after a write to alice's private brain")
    n = H.mk_neuron(alice, shared, "shared")
    _event(wb, "neuron_created", shared, n, what="bob hears the shared brain")
    _event(wh, "neuron_created", shared, n, what="bob (header key) hears the shared brain")
    # event: needs write access; the connection stays open
    wb.send_json({"action": "event", "event": {"type": "partial_sync", "brain_id": shared, "data": {"x": 1}}})
    ev = wb.recv_json()
    eq((ev["type"], ev["data"].get("success"), ev["data"].get("error")), ("error", False, "forbidden"),
       f"event to a read-only brain: {ev!r}")
    _pong_next(wb, "connection open after a refused event")
    _pong_next(wh, "the refused event reached no one")
    wb.send_json({"action": "event", "event": {"type": "partial_sync", "brain_id": own, "data": {"y": 2}}})
    _pong_next(wb, "own brain event: no echo")
    wo = _ws(srv, headers={"Authorization": f"Bearer {KEYS['root'][0]}"})
    wo.sync_connect("root-c")
    wo.subscribe(priv)  # admin reads everything
    wa.send_json({"action": "event", "event": {"type": "partial_sync", "brain_id": priv, "data": {"z": 3}}})
    _event(wo, "partial_sync", priv, {"z": 3}, source="alice-c", what="owner's event reaches the admin")


def test_auth_history_needs_read(backend):
    """get_history is a read (§6.5): a key that cannot read the brain must
    not get its events."""
    srv = _auth_server(backend)
    alice = _as(srv, "alice")
    priv = H.new_brain(alice, id="hist-private")
    wa = _ws(srv, query={"token": KEYS["alice"][0]})
    wa.sync_connect("alice-h")
    wa.subscribe(priv)
    n = H.mk_neuron(alice, priv, "secret content")
    _event(wa, "neuron_created", priv, n)
    h = wa.request({"action": "get_history", "brain_id": priv})
    eq(len(h["events"]), 1, "the owner's history")
    wb = _ws(srv, query={"token": KEYS["bob"][0]})
    wb.sync_connect("bob-h")
    ev = wb.request({"action": "get_history", "brain_id": priv})
    expect(not (ev.get("type") == "history" and ev.get("events")),
           f"get_history of an unreadable brain leaked its events: {ev!r}")
    _check_event(ev, "error", priv, {"success": False, "client_id": "bob-h", "error": "forbidden"},
                 what="get_history of an unreadable brain")


# ---------------------------------------------------------------------------
# slow subscriber (own server, small queue)

def test_slow_subscriber_dropped(backend):
    srv = H.start(backend, sets={"sync.max_queue": 20})
    c = srv.c
    b = H.new_brain(c)
    slow = _ws(srv, rcvbuf=4096)
    slow.sync_connect("slow")
    slow.subscribe(b)
    fast = _sub(srv, b, "fast")
    big = "x" * (256 * 1024)
    made = []
    # writes until the server reports a drop (bounded); the fast reader gets
    # every event, in order, right after its write
    for i in range(600):
        n = H.mk_neuron(c, b, f"{i} {big}", id=f"n{i}")
        ev = fast.recv_json(timeout=60)
        _check_event(ev, "neuron_created", b, what=f"fast subscriber event {i}")
        eq(ev["data"]["id"], n["id"], f"fast subscriber event {i} id")
        made.append(n["id"])
        if i % 5 == 4 and _stats(srv)["events_dropped"] > 0:
            break
    st = _stats(srv)
    expect(st["events_dropped"] > 0, f"no event dropped after {len(made)} big events: {st!r}")
    # the slow one is closed (close frame if it could be written, else cut off)
    H.poll_until(lambda: _stats(srv)["connected_clients"] == 1, timeout=60,
                 what="the slow subscriber to be dropped (connected_clients back to 1)")
    eq(list(_stats(srv)["brain_subscriptions"].items()), [(b, 1)], "one subscriber left")
    got = []
    closed = None
    while True:
        try:
            m = slow.recv(timeout=60)
        except WSClosed:
            break
        if m.opcode == OP_CLOSE:
            closed = m.close_code()
            break
        got.append(json.loads(m.data))
    evs = [e for e in got if e.get("type") == "neuron_created"]
    eq([e["data"]["id"] for e in evs], made[:len(evs)], "the slow subscriber got a prefix of the events, in order")
    expect(len(evs) < len(made), "the slow subscriber got every event although one was dropped")
    if closed is not None:
        eq(closed[0], 1008, f"slow subscriber close code ({closed!r})")
        expect(got and got[-1].get("type") == "error" and got[-1]["data"] == {"error": "overflow"},
               f"before close 1008: the overflow error event, got {got[-1:]!r}")
        eq(got[-1]["brain_id"], "*", "overflow event brain_id")
    else:
        others = [e for e in got if e.get("type") != "neuron_created"]
        expect(len(others) <= 1 and all(e.get("data") == {"error": "overflow"} for e in others),
               f"unexpected messages to the slow subscriber: {others[:3]!r}")
    # the others go on
    n = H.mk_neuron(c, b, "after the drop")
    _event(fast, "neuron_created", b, n, what="fast subscriber after the drop")
    ok(c.req("GET", "/health"), 200, "health")
    w = _sub(srv, b, "newcomer")
    n = H.mk_neuron(c, b, "for the newcomer")
    _event(w, "neuron_created", b, n, what="a new subscriber")


# ---------------------------------------------------------------------------
# shutdown (own server)

def test_sigterm_closes_1001(backend):
    srv = H.start(backend)
    b = H.new_brain(srv.c)
    ws = _sub(srv, b, "stayer")
    idle = _ws(srv)  # upgraded, never connected
    eq(srv.terminate(), 0, "exit status after SIGTERM with WebSocket clients")
    for w, what in ((ws, "subscriber"), (idle, "unconnected socket")):
        code = w.read_until_close()
        eq(code[0], 1001, f"{what}: close code at shutdown ({code!r})")
        w.expect_eof()


# ---------------------------------------------------------------------------
# metrics (PROTOCOL.md §6.2; own server: exact numbers)

def _metrics(srv):
    r = srv.c.req("GET", "/metrics")
    H.status(r, 200, "GET /metrics")
    return H.parse_metrics(r.raw.decode())


def test_sync_metrics(backend):
    srv = H.start(backend)
    c = srv.c
    b = H.new_brain(c)
    eq(H.metric_value(_metrics(srv), "nmemd_ws_connections"), 0.0, "nmemd_ws_connections with no socket")
    w1 = _sub(srv, b, "m1")
    w2 = _ws(srv)
    _pong_next(w2, "second socket")
    eq(H.metric_value(_metrics(srv), "nmemd_ws_connections"), 2.0, "nmemd_ws_connections with two sockets")
    n = H.mk_neuron(c, b, "counted")
    _event(w1, "neuron_created", b, n)
    H.encode(c, b, "Alice met Bob in Paris")
    _event(w1, "memory_encoded", b)
    m = _metrics(srv)
    v = H.metric_value(m, "nmemd_sync_events_total", type="neuron_created")
    expect(v is not None and v >= 1, f"nmemd_sync_events_total{{type=neuron_created}}: {v!r}")
    v = H.metric_value(m, "nmemd_sync_events_total", type="memory_encoded")
    expect(v is not None and v >= 1, f"nmemd_sync_events_total{{type=memory_encoded}}: {v!r}")
    w2.send_close(1000)
    w2.read_until_close()
    w2.expect_eof()
    H.poll_until(lambda: H.metric_value(_metrics(srv), "nmemd_ws_connections") == 1.0, timeout=30,
                 what="nmemd_ws_connections back to 1")
