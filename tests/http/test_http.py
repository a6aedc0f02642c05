"""HTTP transport: keep-alive, pipelining, chunked bodies, HEAD, trailing
slashes, query-string decoding, size limits (413/431), malformed requests
(400 + close), timeouts (slowloris, idle, body) and the connection limit."""
import json
import socket

import harness as H
from harness import eq, expect, ok, err, uid


def _neuron_body(content="x"):
    return json.dumps({"type": "entity", "content": content}, ensure_ascii=False).encode()


# -- keep-alive, pipelining, HTTP/1.0 -------------------------------------------------

def test_keep_alive_reuses_connection(srv):
    s = srv.raw()
    try:
        for i in range(5):
            rid = f"ka-{i}"
            s.sendall(H.http_request_bytes("GET", "/health", {"X-Request-ID": rid}))
            (r,), closed = H.read_responses(s, 1)
            eq(r.status, 200, "status")
            eq(r.headers.get("x-request-id"), rid, "request id")
            expect(not closed, "connection kept open")
            expect(r.headers.get("connection", "").lower() != "close", "no Connection: close")
    finally:
        s.close()


def test_connection_close_honoured(srv):
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("GET", "/health", {"Connection": "close"}))
        data, closed = H.read_until_close(s)
        expect(closed, "server closes after Connection: close")
        rs, _ = H.parse_responses(data)
        eq([r.status for r in rs], [200], "one response")
    finally:
        s.close()


def test_http10_closes(srv):
    s = srv.raw()
    try:
        s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        data, closed = H.read_until_close(s)
        expect(closed, "HTTP/1.0 without keep-alive is closed after the response")
        rs, _ = H.parse_responses(data)
        eq(rs[0].status, 200, "status")
        eq(rs[0].body["status"], "healthy", "body")
    finally:
        s.close()


def test_pipelining_in_order(srv):
    c = srv.c
    b = H.new_brain(c)
    reqs = [H.http_request_bytes("GET", "/health", {"X-Request-ID": "p0"}),
            H.http_request_bytes("POST", "/memory/neurons", {"X-Brain-ID": b, "X-Request-ID": "p1",
                                                             "Content-Type": "application/json"},
                                 {"id": "pipe-1", "type": "entity", "content": "first"}),
            H.http_request_bytes("GET", "/does/not/exist", {"X-Request-ID": "p2"}),
            H.http_request_bytes("GET", "/memory/neurons/pipe-1", {"X-Brain-ID": b, "X-Request-ID": "p3"}),
            H.http_request_bytes("POST", "/memory/neurons", {"X-Brain-ID": b, "X-Request-ID": "p4"}, b"{bad"),
            H.http_request_bytes("HEAD", "/health", {"X-Request-ID": "p5"}),
            H.http_request_bytes("DELETE", "/memory/neurons/pipe-1", {"X-Brain-ID": b, "X-Request-ID": "p6"}),
            H.http_request_bytes("GET", "/memory/neurons/pipe-1", {"X-Brain-ID": b, "X-Request-ID": "p7"})]
    s = srv.raw()
    try:
        s.sendall(b"".join(reqs))
        rs, closed = H.read_responses(s, len(reqs), head_methods=["GET", "POST", "GET", "GET", "POST", "HEAD"])
        eq([r.headers.get("x-request-id") for r in rs], [f"p{i}" for i in range(8)], "responses in request order")
        eq([r.status for r in rs], [200, 201, 404, 200, 422, 200, 200, 404], "statuses")
        eq(rs[3].body["content"], "first", "pipelined read sees the pipelined write")
        expect(not closed, "connection stays open after pipelined errors")
    finally:
        s.close()


def test_pipelining_many_small(srv):
    n = 100
    s = srv.raw()
    try:
        s.sendall(b"".join(H.http_request_bytes("GET", "/health", {"X-Request-ID": f"m{i}"}) for i in range(n)))
        rs, _ = H.read_responses(s, n)
        eq([r.headers.get("x-request-id") for r in rs], [f"m{i}" for i in range(n)], "order")
    finally:
        s.close()


def test_request_split_across_writes(srv):
    c = srv.c
    b = H.new_brain(c)
    data = H.http_request_bytes("POST", "/memory/neurons", {"X-Brain-ID": b}, _neuron_body("Đà Nẵng split"))
    s = srv.raw()
    try:
        for i in range(0, len(data), 7):  # byte-wise dribble, no sleeps
            s.sendall(data[i:i + 7])
        (r,), _ = H.read_responses(s, 1)
        eq(r.status, 201, "status")
        eq(r.body["content"], "Đà Nẵng split", "content")
    finally:
        s.close()


# -- chunked request bodies -----------------------------------------------------------

def test_chunked_request_body(srv):
    c = srv.c
    b = H.new_brain(c)
    body = _neuron_body("chunked Đà Nẵng body")
    cut = body.index("Đ".encode()) + 1  # split inside a multi-byte character
    payload = H.chunked(body, [3, cut - 3, 1, 5])
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("POST", "/memory/neurons", {"X-Brain-ID": b, "Transfer-Encoding": "chunked",
                                                                   "Content-Type": "application/json"}) + payload)
        (r,), closed = H.read_responses(s, 1)
        eq(r.status, 201, f"chunked POST: {r!r}")
        eq(r.body["content"], "chunked Đà Nẵng body", "content")
        # the connection is still usable
        s.sendall(H.http_request_bytes("GET", "/health"))
        (r2,), _ = H.read_responses(s, 1)
        eq(r2.status, 200, "next request on the same connection")
    finally:
        s.close()
    eq(H.counts(c, b)[0], 1, "stored once")


def test_chunked_with_extension_and_trailer(srv):
    c = srv.c
    b = H.new_brain(c)
    body = _neuron_body("ext")
    payload = b"%x;name=value\r\n" % len(body) + body + b"\r\n0\r\nX-Trailer: yes\r\n\r\n"
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("POST", "/memory/neurons", {"X-Brain-ID": b, "Transfer-Encoding": "chunked"})
                  + payload)
        (r,), _ = H.read_responses(s, 1)
        eq(r.status, 201, f"chunk extension + trailer: {r!r}")
    finally:
        s.close()


def test_chunked_pipelined(srv):
    c = srv.c
    b = H.new_brain(c)
    one = H.http_request_bytes("POST", "/memory/neurons", {"X-Brain-ID": b, "Transfer-Encoding": "chunked"}) + \
        H.chunked(_neuron_body("c1"), [4])
    two = H.http_request_bytes("GET", "/memory/neurons", {"X-Brain-ID": b})
    s = srv.raw()
    try:
        s.sendall(one + two)
        rs, _ = H.read_responses(s, 2)
        eq([r.status for r in rs], [201, 200], "statuses")
        eq(rs[1].body["count"], 1, "second request saw the first")
    finally:
        s.close()


# -- HEAD, trailing slash ---------------------------------------------------------------

def test_head_like_get(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "head", id="h")
    for p, hdr in (("/health", {}), ("/", {}), (f"/brain/{b}", {}), ("/memory/neurons", {"X-Brain-ID": b}),
                   ("/memory/neurons/h", {"X-Brain-ID": b}), (f"/brain/{b}/stats", {}), ("/openapi.json", {})):
        g = c.req("GET", p, headers=hdr)
        h = c.req("HEAD", p, headers=hdr)
        eq(h[0], g[0], f"HEAD {p} status")
        eq(h.raw, b"", f"HEAD {p} has no body")
        eq(h[1].get("content-type"), g[1].get("content-type"), f"HEAD {p} content type")
        if "content-length" in h[1]:
            eq(h[1]["content-length"], str(len(g.raw)), f"HEAD {p} Content-Length")
    # HEAD on the raw socket: the next pipelined response is parsed correctly
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("HEAD", "/health") + H.http_request_bytes("GET", "/health"))
        rs, _ = H.read_responses(s, 2, head_methods=["HEAD"])
        eq([r.status for r in rs], [200, 200], "HEAD then GET")
        eq(rs[1].body["status"], "healthy", "GET after HEAD intact")
    finally:
        s.close()


def test_trailing_slash(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "slash", id="sl")
    ok(c.req("GET", "/health/"), 200)
    eq(ok(c.req("GET", f"/brain/{b}/"), 200)["id"], b, "brain with slash")
    ok(c.req("GET", f"/brain/{b}/stats/"), 200)
    eq(ok(c.req("GET", "/memory/neurons/", brain=b), 200)["count"], 1, "list with slash")
    eq(ok(c.req("GET", "/memory/neurons/sl/", brain=b), 200)["id"], "sl", "neuron with slash")
    ok(c.req("POST", "/memory/neurons/", {"type": "entity", "content": "posted"}, brain=b), 201)
    ok(c.req("GET", "/memory/neurons/?limit=1", brain=b), 200)
    err(c.req("GET", "/memory/neurons//", brain=b), 404, what="two trailing slashes")
    nb = uid("slashbrain")
    eq(ok(c.req("POST", "/brain/create/", {"id": nb, "name": "x"}), 200)["id"], nb, "create with slash")


# -- query strings ----------------------------------------------------------------------

def test_query_plus_is_space(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "hello world", id="hw")
    H.mk_neuron(c, b, "hello+world", id="hpw")
    eq(H.ids(ok(c.req("GET", "/memory/neurons?content_contains=hello+world", brain=b), 200)["neurons"]), ["hw"], "+")
    eq(H.ids(ok(c.req("GET", "/memory/neurons?content_contains=hello%20world", brain=b), 200)["neurons"]), ["hw"],
       "%20")
    eq(H.ids(ok(c.req("GET", "/memory/neurons?content_contains=hello%2Bworld", brain=b), 200)["neurons"]), ["hpw"],
       "%2B")
    eq(H.ids(ok(c.req("GET", "/memory/neurons?content_exact=hello+world&limit=1", brain=b), 200)["neurons"]), ["hw"],
       "content_exact")


def test_query_repeated_last_wins(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "e", type="entity", id="e")
    H.mk_neuron(c, b, "c", type="concept", id="c")
    H.mk_neuron(c, b, "c2", type="concept", id="c2")
    eq(H.ids(ok(c.req("GET", "/memory/neurons?type=entity&type=concept", brain=b), 200)["neurons"]), ["c", "c2"],
       "type: last wins")
    eq(len(ok(c.req("GET", "/memory/neurons?limit=1&limit=3", brain=b), 200)["neurons"]), 3, "limit: last wins")
    eq(len(ok(c.req("GET", "/memory/neurons?limit=0&limit=2", brain=b), 200)["neurons"]), 2,
       "an invalid earlier value is overridden")
    err(c.req("GET", "/memory/neurons?limit=2&limit=0", brain=b), 422, startswith="limit", what="invalid last value")


def test_query_unknown_params_ignored(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "x", id="x")
    eq(ok(c.req("GET", "/memory/neurons?foo=bar&limit=5&zzz&unknown_flag=1", brain=b), 200)["count"], 1,
       "unknown params ignored")
    ok(c.req("GET", "/health?verbose=1"), 200)
    ok(c.req("GET", f"/brain/{b}?include=everything"), 200)
    eq(ok(c.req("GET", "/memory/neurons?", brain=b), 200)["count"], 1, "empty query string")
    eq(ok(c.req("GET", "/memory/neurons?&&limit=5&", brain=b), 200)["count"], 1, "empty pairs")


def test_query_percent_encoded_names(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "t", type="time", id="t")
    H.mk_neuron(c, b, "e", type="entity", id="e")
    eq(H.ids(ok(c.req("GET", "/memory/neurons?%74ype=time", brain=b), 200)["neurons"]), ["t"], "%74ype = type")


def test_query_datetime_colons_unescaped_and_escaped(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "t", id="t", created_at="2026-01-01T10:00:00")
    for q in ("time_start=2026-01-01T09:00:00&time_end=2026-01-01T11:00:00",
              "time_start=2026-01-01T09%3A00%3A00&time_end=2026-01-01T11%3A00%3A00",
              "time_start=2026-01-01+09:00:00&time_end=2026-01-01+11:00:00",
              "time_start=2026-01-01T11:00:00%2B02:00&time_end=2026-01-01T10:00:00Z"):
        eq(H.ids(ok(c.req("GET", f"/memory/neurons?{q}", brain=b), 200)["neurons"]), ["t"], q)


# -- size limits ------------------------------------------------------------------------

def test_header_too_large_431(srv):
    for hdrs in ({"X-Big": "a" * 17000}, {f"X-H{i}": "b" * 100 for i in range(200)}):
        s = srv.raw()
        try:
            s.sendall(H.http_request_bytes("GET", "/health", hdrs))
            (r,), _ = H.read_responses(s, 1)
            eq(r.status, 431, f"oversized headers: {r!r}")
            expect(isinstance(r.body, dict) and "detail" in r.body, f"431 JSON body: {r!r}")
        except (BrokenPipeError, ConnectionResetError) as e:
            raise AssertionError(f"connection reset instead of a 431 answer: {e!r}")
        finally:
            s.close()
    s = srv.raw()
    try:  # a long URL counts too
        s.sendall(b"GET /health?x=" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        (r,), _ = H.read_responses(s, 1)
        expect(r.status in (414, 431), f"oversized request line: {r!r}")
    finally:
        s.close()
    ok(srv.req("GET", "/health", headers={"X-Medium": "m" * 8000}), 200, "8 KB header fine")


def test_limits_server(backend):
    """One server with small limits: body 413 (Content-Length up front, chunked,
    exact boundary), content 413, import 413, header limit."""
    srv = H.start(backend, sets={"limits.max_body_bytes": 1024, "limits.max_content_bytes": 100,
                                 "import.max_bytes": 2048, "limits.max_header_bytes": 2048})
    c = srv.c
    b = H.new_brain(c)
    # exactly at the body limit: accepted
    body = _neuron_body("at limit")
    padded = body[:-1] + b" " * (1024 - len(body)) + b"}"
    eq(len(padded), 1024, "setup")
    ok(c.req("POST", "/memory/neurons", raw=padded, brain=b), 201, "body of exactly max_body_bytes")

    def head_only_413(path, length, what):
        # Content-Length over the limit: 413 answered from the head alone,
        # before any body byte is sent.
        s = srv.raw()
        try:
            s.sendall(H.http_request_bytes("POST", path, {"X-Brain-ID": b, "Content-Length": str(length),
                                                          "Content-Type": "application/json"}))
            (r,), _ = H.read_responses(s, 1)
            eq(r.status, 413, f"{what}: {r!r}")
            expect(isinstance(r.body, dict) and isinstance(r.body.get("detail"), str), f"{what}: 413 JSON body")
        finally:
            s.close()

    head_only_413("/memory/neurons", 1025, "one byte over max_body_bytes")
    head_only_413("/memory/neurons", 5000, "Content-Length 5000")
    head_only_413("/memory/neurons", 10 ** 15, "huge Content-Length")
    head_only_413(f"/brain/{uid('imp')}/import", 2049, "import one byte over import.max_bytes")

    # Chunked body growing past the limit: send 1100 bytes of chunks (no
    # final chunk); the server must answer 413 without waiting for the end.
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("POST", "/memory/neurons", {"X-Brain-ID": b, "Transfer-Encoding": "chunked"}))
        for _ in range(11):
            s.sendall(b"64\r\n" + b"z" * 100 + b"\r\n")
        (r,), _ = H.read_responses(s, 1)
        eq(r.status, 413, f"chunked body over the limit: {r!r}")
    finally:
        s.close()

    # content limit (bytes of content) below the body limit
    ok(c.req("POST", "/memory/neurons", {"type": "entity", "content": "c" * 100}, brain=b), 201)
    err(c.req("POST", "/memory/neurons", {"type": "entity", "content": "c" * 101}, brain=b), 413)
    err(c.req("POST", "/memory/neurons", {"type": "entity", "content": "é" * 51}, brain=b), 413, what="bytes")

    # import has its own limit (larger than max_body_bytes)
    snap = {"brain_name": "imp", "exported_at": "2026-01-01T00:00:00", "version": "0.1.0",
            "neurons": [{"id": f"n{i}", "type": "entity", "content": "x"} for i in range(25)],
            "synapses": [], "fibers": [], "config": {}}
    raw = json.dumps(snap).encode()
    expect(1024 < len(raw) <= 2048, f"setup: import body {len(raw)} bytes")
    t = uid("imp")
    br = ok(c.req("POST", f"/brain/{t}/import", raw=raw), 200, "import above max_body_bytes, within import.max_bytes")
    eq(br["neuron_count"], 25, "imported")

    # header limit configured down to 2 KiB
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("GET", "/health", {"X-Big": "h" * 3000}))
        (r,), _ = H.read_responses(s, 1)
        eq(r.status, 431, f"header over limits.max_header_bytes: {r!r}")
    finally:
        s.close()
    eq(H.counts(c, b)[0], 2, "only the accepted writes stored")
    expect(srv.healthy(), "server healthy after limit tests")


# -- malformed HTTP ------------------------------------------------------------------------

MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"\x00\x01\x02\x03\r\n\r\n",
    b"GET /health HTTP/1.1\r\nBad Header Line\r\n\r\n",
    b"GET /health HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
    b"POST /memory/neurons HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    b"POST /memory/neurons HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /memory/neurons HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    b"GET /health HTTP/1.1\r\nX-Ctl: a\x01b\r\n\r\n",
    b"GET /he alth HTTP/1.1\r\n\r\n",
    b"GET /health HTTP/1.1 extra\r\n\r\n",
]


def test_malformed_requests_400_and_close(srv):
    problems = []
    for raw in MALFORMED:
        s = srv.raw()
        try:
            try:
                s.sendall(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass
            data, closed = H.read_until_close(s, timeout=10)
            rs, _ = H.parse_responses(data)
            if not rs:
                problems.append(f"{raw!r}: no response (closed={closed}): {data[:200]!r}")
                continue
            if rs[0].status != 400:
                problems.append(f"{raw!r}: status {rs[0].status}, expected 400")
            elif not (isinstance(rs[0].body, dict) and isinstance(rs[0].body.get("detail"), str)):
                problems.append(f"{raw!r}: 400 without a JSON detail body: {rs[0]!r}")
            if not closed:
                problems.append(f"{raw!r}: connection left open after the answer")
        finally:
            s.close()
    ok(srv.req("GET", "/health"), 200)
    if problems:
        raise AssertionError(f"{len(problems)} of {len(MALFORMED)} malformed requests mishandled:\n" + "\n".join(problems))


def test_malformed_after_good_request(srv):
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("GET", "/health") + b"NOT HTTP AT ALL\r\n\r\n")
        data, closed = H.read_until_close(s)
        rs, _ = H.parse_responses(data)
        eq([r.status for r in rs], [200, 400], "good answer, then 400")
        expect(closed, "closed after the bad request")
    finally:
        s.close()


def test_client_disconnects_mid_request(srv):
    for partial in (b"GET /hea", b"POST /memory/neurons HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"type\"",
                    b"POST /memory/neurons HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc"):
        s = srv.raw()
        s.sendall(partial)
        s.close()
    s = srv.raw()
    s.sendall(H.http_request_bytes("GET", "/health"))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()  # RST while the response is being written
    ok(srv.req("GET", "/health"), 200, "server fine after abrupt clients")


# -- timeouts ------------------------------------------------------------------------------

def _expect_closed_by_server(s, what):
    data, closed = H.read_until_close(s, timeout=60)
    expect(closed, f"{what}: the server did not close the connection within 60 s")
    rs, _ = H.parse_responses(data)
    for r in rs:
        expect(r.status in (408, 400), f"{what}: unexpected response before close: {r!r}")


def test_timeouts(backend):
    srv = H.start(backend, sets={"timeouts.header": 1, "timeouts.body": 1, "timeouts.idle": 1})
    # slowloris: a partial request head, then nothing
    s = srv.raw()
    try:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        _expect_closed_by_server(s, "partial head")
    finally:
        s.close()
    # a connection that never sends anything
    s = srv.raw()
    try:
        _expect_closed_by_server(s, "silent connection")
    finally:
        s.close()
    # a body that stops short of Content-Length
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("POST", "/brain/create", {"Content-Length": "100"}) + b"{")
        _expect_closed_by_server(s, "stalled body")
    finally:
        s.close()
    # keep-alive idle after a complete exchange
    s = srv.raw()
    try:
        s.sendall(H.http_request_bytes("GET", "/health"))
        (r,), _ = H.read_responses(s, 1)
        eq(r.status, 200, "first request")
        data, closed = H.read_until_close(s, timeout=60)
        expect(closed, "idle keep-alive connection closed after timeouts.idle")
        eq(data, b"", "nothing sent on an idle close")
    finally:
        s.close()
    expect(srv.healthy(), "healthy after timeouts")


def test_slowloris_does_not_block_others(backend):
    srv = H.start(backend, sets={"timeouts.header": 30})
    stalled = []
    try:
        for _ in range(20):
            s = srv.raw()
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            stalled.append(s)
        # others are served while the stalled connections are open
        for _ in range(5):
            ok(srv.req("GET", "/health"), 200)
    finally:
        for s in stalled:
            s.close()


def test_connection_limit(backend):
    limit = 4
    srv = H.start(backend, sets={"limits.max_connections": limit})
    held = []

    def served(sock):
        try:
            sock.sendall(H.http_request_bytes("GET", "/health"))
            (r,), closed = H.read_responses(sock, 1, timeout=10)
            return r.status == 200 and not closed
        except (OSError, AssertionError):
            return False

    try:
        # Fill the slots one by one (earlier probe connections may still be
        # closing on the server side, hence the poll).
        while len(held) < limit:
            def attempt():
                s = srv.raw(timeout=10)
                if served(s):
                    held.append(s)
                    return True
                s.close()
                return False
            H.poll_until(attempt, timeout=30, what=f"connection {len(held) + 1} of {limit} to be served")
        # One more: refused, closed, or 503.
        extra = None
        try:
            extra = srv.raw(timeout=10)
            extra.sendall(H.http_request_bytes("GET", "/health"))
            data, closed = H.read_until_close(extra, timeout=30)
            rs, _ = H.parse_responses(data)
            if rs:
                eq(rs[0].status, 503, f"connection over the limit answered {rs[0]!r}")
            else:
                expect(closed, "connection over the limit neither answered nor closed")
        except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
            pass
        finally:
            if extra:
                extra.close()
        for s in held:
            expect(served(s), "held connections still work")
        # Free one slot: a new connection gets served again.
        held.pop().close()

        def fresh_connection_served():
            s = srv.raw(timeout=10)
            try:
                return served(s)
            finally:
                s.close()

        H.poll_until(fresh_connection_served, timeout=30, what="a freed slot to be reusable")
    finally:
        for s in held:
            s.close()
