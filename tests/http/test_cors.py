"""CORS (PROTOCOL.md §1.1): OPTIONS preflight -> 204 with the allowances;
cors.origins = auto (default: * on loopback) | list | none."""
import harness as H
from harness import eq, expect, ok


def _preflight(c, path="/memory/neurons", origin="http://example.com", method="POST",
               req_headers="content-type, x-brain-id, authorization"):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if req_headers:
        h["Access-Control-Request-Headers"] = req_headers
    return c.req("OPTIONS", path, headers=h)


def _allows_any(r, origin, what):
    """cors.origins = auto on loopback allows every origin: "*" or the
    request's Origin echoed back (then with Vary: Origin)."""
    acao = r[1].get("access-control-allow-origin")
    expect(acao in ("*", origin), f"{what}: Access-Control-Allow-Origin {acao!r}")
    if acao == origin:
        expect("origin" in _list(r[1].get("vary")), f"{what}: echoed origin without Vary: Origin")


def _list(v):
    return {x.strip().lower() for x in (v or "").split(",") if x.strip()}


def test_preflight_default(srv):
    for path, method in (("/memory/neurons", "POST"), ("/memory/neurons/abc", "PUT"), ("/brain/x", "DELETE"),
                         ("/brain/create", "POST"), ("/health", "GET"), ("/memory/fibers/f", "DELETE")):
        r = _preflight(srv.c, path, method=method)
        H.status(r, 204, f"preflight {method} {path}")
        eq(r.raw, b"", "204 has no body")
        _allows_any(r, "http://example.com", "preflight on loopback (auto)")
        methods = _list(r[1].get("access-control-allow-methods"))
        expect("*" in methods or method.lower() in methods, f"Allow-Methods {methods} lacks {method}")
        hdrs = _list(r[1].get("access-control-allow-headers"))
        expect("*" in hdrs or {"content-type", "x-brain-id", "authorization"} <= hdrs,
               f"Allow-Headers {hdrs} lacks the requested headers")


def test_preflight_needs_no_brain_or_body(srv):
    r = _preflight(srv.c, "/memory/neurons/n/neighbors", method="GET", req_headers=None)
    H.status(r, 204)
    expect("access-control-allow-origin" in r[1], "ACAO present")


def test_simple_request_gets_acao(srv):
    r = srv.c.req("GET", "/health", headers={"Origin": "http://example.com"})
    ok(r, 200)
    _allows_any(r, "http://example.com", "simple request")
    r = srv.c.req("GET", "/no/such", headers={"Origin": "http://example.com"})
    H.status(r, 404)
    _allows_any(r, "http://example.com", "error answer")


def test_cors_origin_list(backend):
    srv = H.start(backend, sets={"cors.origins": "http://a.example,http://b.example"})
    r = _preflight(srv.c, origin="http://a.example")
    H.status(r, 204)
    eq(r[1].get("access-control-allow-origin"), "http://a.example", "listed origin echoed")
    r = _preflight(srv.c, origin="http://b.example")
    eq(r[1].get("access-control-allow-origin"), "http://b.example", "second listed origin")
    r = _preflight(srv.c, origin="http://evil.example")
    expect(r[1].get("access-control-allow-origin") in (None, ""), f"unlisted origin allowed: {r[1]}")
    r = srv.c.req("GET", "/health", headers={"Origin": "http://evil.example"})
    ok(r, 200)
    expect(r[1].get("access-control-allow-origin") in (None, ""), "no ACAO for an unlisted origin")
    r = srv.c.req("GET", "/health", headers={"Origin": "http://a.example"})
    eq(r[1].get("access-control-allow-origin"), "http://a.example", "simple request, listed origin")


def test_cors_none(backend):
    srv = H.start(backend, sets={"cors.origins": "none"})
    r = _preflight(srv.c)
    expect(r[1].get("access-control-allow-origin") in (None, ""), f"cors none: {r[1]}")
    r = srv.c.req("GET", "/health", headers={"Origin": "http://example.com"})
    ok(r, 200)
    expect(r[1].get("access-control-allow-origin") in (None, ""), "no ACAO with cors none")
