#!/usr/bin/env python3
"""Retrieval-quality suite for nmemd: recall@5 of /memory/query on labelled
corpora, for the default engine mode (fixed), compat mode and a BM25
baseline (SQLite FTS5).  Python 3 standard library only.

    python3 tests/quality/run.py --bin bin/nmemd [--storage memory|sqlite|postgres]
                                 [--corpus team|chat ...] [--verbose]
                                 [--bm25-only] [--start-timeout S]

For each corpus (tests/quality/data/<name>.json) and mode, a brain
"<corpus>-<mode>" is created with config {"engine_mode": mode}, every memory
is stored in order (POST /memory/encode/batch, falling back to one
/memory/encode per memory when the batch route answers 404/405), then every
question is asked (POST /memory/query with its reference_time and depth,
max_tokens 500).  recall@5 of a question = the fraction of its labelled
answer memories whose fiber ids are among the first 5 entries of
fibers_matched; a corpus's recall@5 is the mean over its questions.

Checks, per corpus (each one test): fixed >= BM25, fixed >= compat,
fixed >= floor (tests/quality/floors.json).  The last line printed is
"N passed, M failed"; the exit status is non-zero when M > 0.
--bm25-only prints the BM25 numbers without starting nmemd (no checks).
--storage postgres runs nmemd on a fresh database (tests/pg/pgtmp.py) on
the PostgreSQL server NMEMD_TEST_PG names, else on one started for the run.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pg"))
import pgtmp  # noqa: E402

DATA = os.path.join(HERE, "data")
FLOORS = os.path.join(HERE, "floors.json")
CORPORA = ("team", "chat")
MODES = ("fixed", "compat")
K = 5
BATCH_MAX = 1000
EPS = 1e-9
POLL = 0.02

SYSTEM_LABEL = {"fixed": "default (fixed)", "compat": "compat", "bm25": "BM25"}

# Stop words for the BM25 baseline's query (not for the documents).
STOP_WORDS = frozenset("""
a about after again all also am an and any are as at be been before being but by can could
d did do does doing done for from get got had has have having he her here hers him his how
i if in into is it its just ll m me my no not now of on or our ours re s she so some such t
than that the their theirs them then there these they this those to too up us ve was we were
what when where which while who whom whose why will with would you your yours
và của là có được cho với này trong để các những một đã tôi bạn anh chị em ở tại khi thì mà
nếu vì cũng như từ đến lại ra vào rồi sẽ đang vẫn còn chỉ rất quá làm gì sao nào đâu ai bao
nhiêu không
""".split())

TOKEN_RE = re.compile(r"[^\W_]+")


# ---------------------------------------------------------------------------
# Corpora

def load_corpus(name):
    path = os.path.join(DATA, f"{name}.json")
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    n = len(c["memories"])
    problems = []
    for i, m in enumerate(c["memories"]):
        if not isinstance(m.get("content"), str) or not m["content"].strip():
            problems.append(f"memories[{i}]: empty content")
        if not isinstance(m.get("timestamp"), str):
            problems.append(f"memories[{i}]: no timestamp")
    for i, q in enumerate(c["questions"]):
        ans = q.get("answers") or []
        if not ans:
            problems.append(f"questions[{i}]: no answers")
        for a in ans:
            if not isinstance(a, int) or not 0 <= a < n:
                problems.append(f"questions[{i}]: answer {a!r} out of range")
            elif q.get("reference_time") and c["memories"][a]["timestamp"] >= q["reference_time"]:
                problems.append(f"questions[{i}]: answer {a} is not before reference_time")
        if not q.get("kind"):
            problems.append(f"questions[{i}]: no kind")
    if problems:
        raise SystemExit(f"{path}: malformed corpus:\n  " + "\n  ".join(problems))
    return c


def recall_at_k(top, answers):
    want = set(answers)
    return len(want & set(top[:K])) / len(want)


def summarize(corpus, tops):
    """tops: list (per question) of ranked memory indexes -> {kind: recall, 'all': recall}."""
    per_kind = {}
    scores = []
    for q, top in zip(corpus["questions"], tops):
        r = recall_at_k(top, q["answers"])
        scores.append(r)
        per_kind.setdefault(q["kind"], []).append(r)
    out = {"all": sum(scores) / len(scores)}
    for kind in kinds_of(corpus):
        v = per_kind[kind]
        out[kind] = sum(v) / len(v)
    return out


def kinds_of(corpus):
    seen = []
    for q in corpus["questions"]:
        if q["kind"] not in seen:
            seen.append(q["kind"])
    return seen


# ---------------------------------------------------------------------------
# BM25 baseline (SQLite FTS5)

def query_terms(text):
    toks = TOKEN_RE.findall(unicodedata.normalize("NFC", text).lower())
    out = []
    for t in toks:
        if t not in STOP_WORDS and t not in out:
            out.append(t)
    return out


def bm25_rank(corpus):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(content, tokenize='unicode61 remove_diacritics 0')")
    db.executemany("INSERT INTO t(rowid, content) VALUES (?, ?)",
                   [(i, unicodedata.normalize("NFC", m["content"]))
                    for i, m in enumerate(corpus["memories"])])
    tops = []
    for q in corpus["questions"]:
        terms = query_terms(q["question"])
        if not terms:
            tops.append([])
            continue
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = db.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t), rowid LIMIT ?",
                          (match, K)).fetchall()
        tops.append([r[0] for r in rows])
    db.close()
    return tops


# ---------------------------------------------------------------------------
# nmemd

class EngineError(Exception):
    pass


class Server:
    def __init__(self, binary, storage, start_timeout, stop_timeout=30.0):
        self.binary = binary
        self.storage = storage
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.tmp = tempfile.mkdtemp(prefix="nmemd-quality-")
        self.data_dir = os.path.join(self.tmp, "data")
        os.makedirs(self.data_dir)
        self.log_path = os.path.join(self.tmp, "stderr.log")
        self.port = None
        self.proc = None
        self.conn = None
        self.pg_url = None  # postgres: its database, dropped by cleanup()

    def start(self):
        self.port = pgtmp.free_port()
        cmd = [self.binary, "--host", "127.0.0.1", "--port", str(self.port),
               "--data-dir", self.data_dir, "--storage", self.storage]
        if self.storage == "postgres":
            if self.pg_url is None:
                try:
                    self.pg_url = pgtmp.fresh_db()
                except pgtmp.PgError as e:
                    raise EngineError(f"no PostgreSQL database: {e}") from e
            cmd += ["--pg", self.pg_url]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + self.start_timeout
        last = None
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise EngineError(f"nmemd exited with status {rc} during startup "
                                  f"({' '.join(cmd)}); stderr tail:\n{self.log_tail()}")
            try:
                status, _ = self.request("GET", "/health", timeout=5)
                if status == 200:
                    return
                last = f"status {status}"
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
                self._drop_conn()
            if time.monotonic() > deadline:
                raise EngineError(f"nmemd not healthy within {self.start_timeout}s (last: {last}); "
                                  f"stderr tail:\n{self.log_tail()}")
            time.sleep(POLL)

    def stop(self):
        self._drop_conn()
        rc = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                print(f"warning: nmemd did not exit within {self.stop_timeout}s after SIGTERM; killed",
                      file=sys.stderr)
        elif self.proc is not None:
            rc = self.proc.returncode
        return rc

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self.pg_url:
                try:
                    pgtmp.drop_db(self.pg_url)
                except pgtmp.PgError as e:
                    print(f"warning: {e}", file=sys.stderr)
                self.pg_url = None

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])
        except OSError:
            return ""

    def _drop_conn(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, brain=None, timeout=300):
        """One request on a keep-alive connection (reconnects once if the
        server closed it).  Returns (status, parsed JSON or raw text)."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if brain is not None:
            headers["X-Brain-ID"] = brain
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self._drop_conn()
                break
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self._drop_conn()
                if attempt:
                    raise
        try:
            return r.status, json.loads(raw.decode("utf-8"))
        except ValueError:
            return r.status, raw.decode("utf-8", "replace")

    def call(self, method, path, body=None, brain=None, ok=(200,)):
        status, resp = self.request(method, path, body, brain)
        if status not in ok:
            raise EngineError(f"{method} {path} -> {status}: {str(resp)[:300]}")
        return resp


def engine_rank(srv, corpus, mode):
    """Store the corpus in a fresh brain and ask every question; return the
    ranked memory indexes per question (-1 for a fiber id the run did not
    create), and timings."""
    name = corpus["name"]
    brain = f"{name}-{mode}"
    srv.call("POST", "/brain/create",
             {"id": brain, "name": f"quality {name} ({mode})", "config": {"engine_mode": mode}},
             brain=brain)
    mems = [{"content": m["content"], "timestamp": m["timestamp"]} for m in corpus["memories"]]
    fiber_ids = []
    t0 = time.monotonic()
    batch = True
    i = 0
    while i < len(mems):
        if batch:
            chunk = mems[i:i + BATCH_MAX]
            status, resp = srv.request("POST", "/memory/encode/batch", {"memories": chunk}, brain)
            if status in (404, 405):
                batch = False
                continue
            if status not in (200, 201):
                raise EngineError(f"POST /memory/encode/batch -> {status}: {str(resp)[:300]}")
            results = resp.get("results") if isinstance(resp, dict) else None
            if not isinstance(results, list) or len(results) != len(chunk):
                raise EngineError(f"POST /memory/encode/batch: expected {len(chunk)} results, got "
                                  f"{str(resp)[:300]}")
            fiber_ids += [r["fiber_id"] for r in results]
            i += len(chunk)
        else:
            resp = srv.call("POST", "/memory/encode", mems[i], brain)
            fiber_ids.append(resp["fiber_id"])
            i += 1
    encode_s = time.monotonic() - t0
    index_of = {}
    for idx, fid in enumerate(fiber_ids):
        if fid in index_of:
            raise EngineError(f"fiber id {fid} returned for memories {index_of[fid]} and {idx}")
        index_of[fid] = idx
    tops = []
    t0 = time.monotonic()
    for q in corpus["questions"]:
        resp = srv.call("POST", "/memory/query",
                        {"query": q["question"], "reference_time": q.get("reference_time"),
                         "depth": q.get("depth"), "max_tokens": 500,
                         # asked without reinforcement on read: it runs after each
                         # answer, so results would depend on timing
                         "reinforce": False}, brain)
        fm = resp.get("fibers_matched") if isinstance(resp, dict) else None
        if not isinstance(fm, list):
            raise EngineError(f"POST /memory/query: no fibers_matched list in {str(resp)[:300]}")
        tops.append([index_of.get(f, -1) for f in fm[:K]])
    query_s = time.monotonic() - t0
    return tops, {"encode_s": encode_s, "query_s": query_s, "batch": batch}


# ---------------------------------------------------------------------------
# Output

def fmt(v):
    return "error" if v is None else f"{v:.3f}"


def print_table(corpus, results):
    kinds = kinds_of(corpus)
    counts = {k: sum(1 for q in corpus["questions"] if q["kind"] == k) for k in kinds}
    head = [f"all (n={len(corpus['questions'])})"] + [f"{k} (n={counts[k]})" for k in kinds]
    print(f"\n### {corpus['name']}: recall@{K} ({len(corpus['memories'])} memories)\n")
    print("| system | " + " | ".join(head) + " |")
    print("|---|" + "---|" * len(head))
    for system, summary in results.items():
        cells = [fmt(None if summary is None else summary["all"])]
        cells += [fmt(None if summary is None else summary[k]) for k in kinds]
        print(f"| {SYSTEM_LABEL[system]} | " + " | ".join(cells) + " |")
    print()


def short(text, n=70):
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[:n - 1] + "…"


def print_verbose(corpus, all_tops):
    mems = corpus["memories"]
    print(f"\n#### {corpus['name']}: per question (top-{K} memory indexes, * = labelled answer)")
    for qi, q in enumerate(corpus["questions"]):
        want = set(q["answers"])
        print(f"\n[{corpus['name']} Q{qi}] ({q['kind']}) {q['question']}  "
              f"ref={q.get('reference_time')} depth={q.get('depth')}")
        print(f"  terms: {query_terms(q['question'])}")
        for a in q["answers"]:
            print(f"  expected {a}: [{mems[a]['timestamp']}] {short(mems[a]['content'])}")
        for system, tops in all_tops.items():
            if tops is None:
                print(f"  {system:>6}: error")
                continue
            top = tops[qi]
            marks = ", ".join(f"{i}*" if i in want else str(i) for i in top)
            print(f"  {system:>6}: [{marks}]  recall {recall_at_k(top, q['answers']):.2f}")
        for system, tops in all_tops.items():
            if tops is None or system == "bm25":
                continue
            got = [i for i in tops[qi] if 0 <= i < len(mems)]
            if got and not want & set(got):
                print(f"  {system} top-1 {got[0]}: [{mems[got[0]]['timestamp']}] "
                      f"{short(mems[got[0]]['content'])}")


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="bin/nmemd", help="nmemd binary (default bin/nmemd)")
    ap.add_argument("--storage", default="memory", help="storage backend (default memory)")
    ap.add_argument("--corpus", action="append", choices=CORPORA,
                    help="corpus to run (repeatable; default: all)")
    ap.add_argument("--verbose", action="store_true",
                    help="per question: expected and top-5 memory indexes of every system")
    ap.add_argument("--bm25-only", action="store_true", help="BM25 baseline only (no nmemd)")
    ap.add_argument("--start-timeout", type=float, default=20.0,
                    help="seconds until /health must answer (default 20)")
    args = ap.parse_args()

    names = args.corpus or list(CORPORA)
    corpora = [load_corpus(n) for n in names]
    floors = {}
    if os.path.exists(FLOORS):
        with open(FLOORS, encoding="utf-8") as f:
            floors = json.load(f)

    srv = None
    srv_error = None
    if not args.bm25_only:
        binary = os.path.abspath(args.bin)
        if not os.access(binary, os.X_OK):
            srv_error = f"{args.bin}: not an executable"
        else:
            srv = Server(binary, args.storage, args.start_timeout)
            try:
                srv.start()
            except EngineError as e:
                srv_error = str(e)
                srv.cleanup()
                srv = None
        if srv_error:
            print(f"error: {srv_error}", file=sys.stderr)

    passed = failed = 0
    try:
        for corpus in corpora:
            name = corpus["name"]
            all_tops = {}
            results = {}
            info = {}
            systems = ["bm25"] if args.bm25_only else list(MODES) + ["bm25"]
            for system in systems:
                if system == "bm25":
                    t0 = time.monotonic()
                    tops = bm25_rank(corpus)
                    info[system] = {"query_s": time.monotonic() - t0}
                elif srv is None:
                    tops = None
                    info[system] = {"error": srv_error}
                else:
                    try:
                        tops, info[system] = engine_rank(srv, corpus, system)
                    except (EngineError, OSError, http.client.HTTPException, KeyError, TypeError) as e:
                        tops = None
                        info[system] = {"error": f"{type(e).__name__}: {e}"}
                        print(f"error: {name}/{system}: {info[system]['error']}", file=sys.stderr)
                        if srv.proc.poll() is not None:
                            print(f"nmemd exited with status {srv.proc.returncode}; stderr tail:\n"
                                  f"{srv.log_tail()}", file=sys.stderr)
                            srv_error = f"nmemd exited with status {srv.proc.returncode}"
                            srv = None
                all_tops[system] = tops
                results[system] = None if tops is None else summarize(corpus, tops)

            print_table(corpus, results)
            for system in systems:
                i = info[system]
                if "error" in i:
                    print(f"- {SYSTEM_LABEL[system]}: {i['error'].splitlines()[0]}")
                elif system != "bm25":
                    n = len(corpus["questions"])
                    print(f"- {SYSTEM_LABEL[system]}: encode {i['encode_s']:.2f}s "
                          f"({'batch' if i['batch'] else 'one by one'}), "
                          f"query {1000 * i['query_s'] / n:.1f} ms/question")
            print(json.dumps({"corpus": name, "memories": len(corpus["memories"]),
                              "questions": len(corpus["questions"]),
                              f"recall@{K}": {s: results[s] for s in systems}},
                             sort_keys=False))
            if args.verbose:
                print_verbose(corpus, all_tops)

            if args.bm25_only:
                continue
            fixed = results["fixed"]
            floor = float(floors.get(name, 0.0))
            checks = [
                (f"{name}: fixed >= BM25", results["bm25"]),
                (f"{name}: fixed >= compat", results["compat"]),
                (f"{name}: fixed >= floor", {"all": floor}),
            ]
            print()
            for label, other in checks:
                if fixed is None or other is None:
                    ok = False
                    detail = "fixed: error" if fixed is None else "other side: error"
                else:
                    ok = fixed["all"] + EPS >= other["all"]
                    detail = f"{fixed['all']:.3f} vs {other['all']:.3f}"
                print(f"{'PASS' if ok else 'FAIL'} {label} ({detail})")
                if ok:
                    passed += 1
                else:
                    failed += 1
    finally:
        if srv is not None:
            rc = srv.stop()
            if rc not in (0, None):
                print(f"warning: nmemd exited with status {rc} after SIGTERM; stderr tail:\n"
                      f"{srv.log_tail()}", file=sys.stderr)
            srv.cleanup()

    print(f"\n{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
