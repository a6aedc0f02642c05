"""Health, root, metrics, openapi, request ids, command-line flags."""
import os
import re
import subprocess

import harness as H
from harness import eq, expect, ok, err, status


def test_health(srv):
    r = srv.req("GET", "/health")
    b = ok(r, 200, "health")
    eq(list(b), ["status", "version", "api_version"], "health keys")
    eq(b["status"], "healthy", "status")
    expect(isinstance(b["version"], str) and b["version"], "version is a non-empty string")
    eq(b["api_version"], "0.5.0", "api_version")
    expect(r[1].get("x-request-id"), "X-Request-ID on /health")


def test_health_with_json_content_type_and_empty_body(srv):
    # SharedStorage sends Content-Type: application/json on GETs without a body.
    ok(srv.req("GET", "/health", headers={"Content-Type": "application/json"}), 200)


def test_request_id_echoed(srv):
    rid = H.uid("rid")
    r = srv.req("GET", "/health", headers={"X-Request-ID": rid})
    eq(r[1].get("x-request-id"), rid, "echoed X-Request-ID")
    r = srv.req("GET", "/no/such/path", headers={"X-Request-ID": rid + "-404"})
    eq(r[1].get("x-request-id"), rid + "-404", "X-Request-ID on a 404")
    r = srv.req("POST", "/memory/neurons", {"type": "entity", "content": "x"}, headers={"X-Request-ID": rid + "-422"})
    eq(r[1].get("x-request-id"), rid + "-422", "X-Request-ID on a 422")


def test_request_id_on_every_response(srv):
    c = srv.c
    b = H.new_brain(c)
    cases = [("GET", "/health", None, {}), ("POST", "/memory/neurons", {"type": "entity", "content": "x"}, {"X-Brain-ID": b}),
             ("GET", "/memory/neurons", None, {}), ("GET", "/memory/neurons", None, {"X-Brain-ID": "nope"}),
             ("POST", "/memory/neurons", {"type": "bad", "content": "x"}, {"X-Brain-ID": b}), ("PATCH", "/health", None, {}),
             ("GET", "/nowhere", None, {}), ("HEAD", "/health", None, {}), ("DELETE", f"/brain/{b}", None, {}),
             ("OPTIONS", "/health", None, {"Origin": "http://x.example", "Access-Control-Request-Method": "GET"}),
             ("GET", "/metrics", None, {}), ("GET", "/openapi.json", None, {})]
    for m, p, body, hdrs in cases:
        r = c.req(m, p, body, headers=hdrs)
        expect(r[1].get("x-request-id"), f"{m} {p} -> {r[0]} lacks X-Request-ID")
    seen = []
    for _ in range(2):
        s = srv.raw()
        try:  # a request llhttp rejects still gets a generated id
            s.sendall(b"NOT HTTP\r\n\r\n")
            data, _ = H.read_until_close(s, timeout=10)
            rs, _ = H.parse_responses(data)
            rid = rs[0].headers.get("x-request-id", "") if rs else ""
            expect(rid.strip("-"), f"400 from the parser: X-Request-ID {rid!r} is not a generated id: {data[:200]!r}")
            seen.append(rid)
        finally:
            s.close()
    expect(seen[0] != seen[1], f"generated ids of two parser errors are equal: {seen}")


def test_request_id_generated_and_distinct(srv):
    a = srv.req("GET", "/health")[1].get("x-request-id")
    b = srv.req("GET", "/health")[1].get("x-request-id")
    expect(a and b, "generated X-Request-ID present")
    expect(a != b, f"generated request ids must differ: {a!r} {b!r}")


def test_root(srv):
    b = ok(srv.req("GET", "/"), 200, "root")
    for k in ("name", "description", "version", "docs", "health", "ui"):
        expect(k in b, f"root lacks {k!r}: {b}")
    eq(b["name"], "nmemd", "name")
    eq(b["docs"], "/openapi.json", "docs")
    eq(b["health"], "/health", "health")
    eq(b["ui"], "/ui", "ui")


def test_openapi(srv):
    r = srv.req("GET", "/openapi.json")
    doc = ok(r, 200, "openapi")
    expect(str(doc.get("openapi", "")).startswith("3.1"), f"openapi version: {doc.get('openapi')!r}")
    paths = doc.get("paths")
    expect(isinstance(paths, dict), "paths object")
    for p in ("/health", "/brain/create", "/memory/neurons", "/memory/synapses", "/memory/fibers"):
        expect(p in paths, f"openapi paths lack {p}")


def test_openapi_covers_every_route(srv):
    # proto/openapi.json must describe every route the daemon serves
    # (server/router.c's table), method by method.
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "server", "router.c")
    with open(src) as f:
        routes = re.findall(r'\{HTTP_(\w+), "([^"]+)"', f.read())
    expect(len(routes) > 30, f"routes found in router.c: {len(routes)}")
    paths = ok(srv.req("GET", "/openapi.json"), 200, "openapi")["paths"]
    for method, path in routes:
        path = re.sub(r"\{(\w+)\.\.\.\}", r"{\1}", path)  # "{path...}" (rest of the path) is "{path}" there
        expect(path in paths and method.lower() in paths[path], f"openapi lacks {method} {path}")


def test_head_health(srv):
    get = srv.req("GET", "/health")
    r = srv.req("HEAD", "/health")
    status(r, 200, "HEAD /health")
    eq(r.raw, b"", "HEAD body")
    expect(H.is_json_ct(r[1]), "HEAD keeps Content-Type")
    if "content-length" in r[1]:
        eq(r[1]["content-length"], str(len(get.raw)), "HEAD Content-Length = GET body length")


def _metrics(srv):
    r = srv.req("GET", "/metrics")
    status(r, 200, "metrics")
    ct = r[1].get("content-type", "")
    expect(ct.startswith("text/plain"), f"metrics Content-Type {ct!r}")
    expect("version=0.0.4" in ct.replace(" ", ""), f"metrics Content-Type lacks version=0.0.4: {ct!r}")
    return H.parse_metrics(r.raw.decode("utf-8"))


def test_metrics_names(srv):
    srv.req("GET", "/health")
    samples = _metrics(srv)
    names = {n for n, _, _ in samples}
    required = ["nmemd_http_requests_total", "nmemd_http_request_duration_seconds_bucket",
                "nmemd_worker_queue_depth", "nmemd_brains", "nmemd_open_brains", "nmemd_build_info"]
    if srv.backend == "sqlite":
        required += ["nmemd_sqlite_commits_total", "nmemd_sqlite_rows_written_total"]
    for n in required:
        expect(n in names, f"metric {n} missing")
    info = [l for n, l, v in samples if n == "nmemd_build_info"]
    eq(info[0].get("api_version"), "0.5.0", "build_info api_version label")
    expect(info[0].get("version"), "build_info version label")
    eq(H.metric_value(samples, "nmemd_build_info"), 1.0, "build_info value")
    reqs = [l for n, l, v in samples if n == "nmemd_http_requests_total"]
    expect(all({"method", "route", "status"} <= set(l) for l in reqs), f"request labels: {reqs[:3]}")
    expect(any(l.get("route") == "/health" and l.get("method") == "GET" and l.get("status") == "200" for l in reqs),
           "no nmemd_http_requests_total{method=GET,route=/health,status=200}")


def test_metrics_route_template_and_counts(srv):
    c = srv.c
    b = H.new_brain(c)
    n = H.mk_neuron(c, b, "metric me")
    before = _metrics(srv)
    key = dict(method="GET", route="/memory/neurons/{neuron_id}", status="200")
    base = H.metric_value(before, "nmemd_http_requests_total", **key) or 0
    for _ in range(3):
        ok(c.req("GET", f"/memory/neurons/{n['id']}", brain=b), 200)
    # counters may be updated after the response is written: poll.
    H.poll_until(lambda: (H.metric_value(_metrics(srv), "nmemd_http_requests_total", **key) or 0) >= base + 3,
                 what="requests_total for the neuron route to grow by 3")
    samples = _metrics(srv)
    expect(not any(l.get("route", "").endswith(n["id"]) for _, l, _ in samples),
           "route label must be the template, not the concrete path")


def test_metrics_unparsed_requests_not_labelled_delete(srv):
    # llhttp's method enum starts at DELETE (0): a request whose head never
    # parsed must not be counted as a DELETE.
    def deletes():
        return sum(v for n, l, v in _metrics(srv) if n == "nmemd_http_requests_total" and l.get("method") == "DELETE")

    def health_count():
        return H.metric_value(_metrics(srv), "nmemd_http_requests_total", method="GET", route="/health", status="200") or 0

    base_del, base_health = deletes(), health_count()
    for raw in (b"NOT HTTP\r\n\r\n", b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"):
        s = srv.raw()
        try:
            s.sendall(raw)
            H.read_until_close(s, timeout=10)
        finally:
            s.close()
    ok(srv.req("GET", "/health"), 200)
    H.poll_until(lambda: health_count() >= base_health + 1, what="the /health request to be counted")
    eq(deletes(), base_del, "DELETE requests counted although none was sent")


def test_metrics_brains_gauge(srv):
    H.new_brain(srv.c)
    total = ok(srv.req("GET", "/brains", query={"limit": 1000}), 200)["total"]
    eq(H.metric_value(_metrics(srv), "nmemd_brains"), float(total), "nmemd_brains = /brains total")


@H.only("sqlite")
def test_metrics_sqlite_commits_grow(srv):
    b = H.new_brain(srv.c)
    base = H.metric_value(_metrics(srv), "nmemd_sqlite_commits_total") or 0
    rows = H.metric_value(_metrics(srv), "nmemd_sqlite_rows_written_total") or 0
    H.mk_neuron(srv.c, b, "commit me")
    after = _metrics(srv)
    expect(H.metric_value(after, "nmemd_sqlite_commits_total") > base, "sqlite commits did not grow")
    expect(H.metric_value(after, "nmemd_sqlite_rows_written_total") > rows, "rows written did not grow")


def test_access_log_one_line_per_request(srv):
    token = H.uid("logtoken")
    r = srv.req("GET", f"/no-such-route-{token}")
    err(r, 404, "Not Found")
    H.poll_until(lambda: token in srv.log_text(), what="access log line")
    lines = [ln for ln in srv.log_text().splitlines() if token in ln]
    eq(len(lines), 1, f"access-log lines for one request: {lines}")


def _run(*args, timeout=H.STOP_TIMEOUT):
    return subprocess.run([H.BIN, *args], capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_flag_version():
    p = _run("--version")
    eq(p.returncode, 0, "--version exit status")
    expect((p.stdout + p.stderr).strip(), "--version prints something")


def test_flag_help():
    p = _run("--help")
    eq(p.returncode, 0, "--help exit status")
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    for flag in ("--port", "--data-dir", "--storage"):
        expect(flag in out, f"--help does not mention {flag}")


def test_flag_hash_key():
    p = _run("--hash-key", "s3cret-key")
    eq(p.returncode, 0, "--hash-key exit status")
    eq(p.stdout.decode().strip(), H.sha256_hex("s3cret-key"), "--hash-key output")


def test_unknown_flag_fails():
    p = _run("--no-such-flag")
    expect(p.returncode != 0, "an unknown flag must fail")


def test_config_file_and_set_flag(backend):
    # A config file sets one limit, --set another; both take effect.
    srv = H.start(backend, config={"limits.max_content_bytes": 64}, sets={"limits.max_json_depth": 8})
    c = srv.c
    b = H.new_brain(c)
    ok(c.req("POST", "/memory/neurons", {"type": "entity", "content": "x" * 64}, brain=b), 201)
    err(c.req("POST", "/memory/neurons", {"type": "entity", "content": "x" * 65}, brain=b), 413)
    deep = {}
    cur = deep
    for _ in range(20):
        cur["a"] = {}
        cur = cur["a"]
    err(c.req("POST", "/memory/neurons", {"type": "entity", "content": "y", "metadata": deep}, brain=b), 422)
    eq(H.counts(c, b), (1, 0, 0), "counts after rejected writes")
