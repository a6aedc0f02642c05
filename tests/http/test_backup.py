"""Online backup and offline restore: POST /brain/{id}/backup (PROTOCOL.md
§6.6; lib/store_sqlite_backup.c) and `nmemd --restore FILE --brain ID`
(server/main.c, nm_store_restore in lib/store.h).

sqlite only; on the memory backend the route answers 422 with a detail.

The durability test: writer threads post neurons in a burst; every write
acknowledged (201) before the backup request is sent must be in the backup,
every write sent after the backup job was seen done must not be, and per
writer the writes present form a prefix (a backup is one consistent
snapshot). Then SIGTERM, `nmemd --restore` into brain "restored" on the same
data directory, restart, check. Synchronisation is by polling with
deadlines (job state, acknowledged counts), never by sleeping.
"""
import datetime
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading

import harness as H
from harness import eq, expect, ok, err, field_err, only, uid

REPORT_KEYS = ["path", "bytes", "duration_ms"]
JOB_KEYS = ["job_id", "kind", "brain_id", "state", "done", "total", "started_at", "finished_at", "report", "error"]
RECORD_KEYS = ("name", "owner_id", "is_public", "shared_with", "config", "metadata")
SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


# ---------------------------------------------------------------------------
# helpers

def _backup(c, b, body=None, raw=None):
    return c.req("POST", f"/brain/{H.pq(b)}/backup", body, raw=raw)


def _wait_job(c, job_id, what="backup job"):
    def ended():
        j = ok(c.req("GET", f"/jobs/{job_id}"), 200, f"GET /jobs/{job_id}")
        H.check_keys(j, JOB_KEYS, what)
        return j if j["state"] in ("done", "failed") else None
    return H.poll_until(ended, timeout=120, what=f"{what} {job_id} to end")


def _run_backup(c, b, body=None, what="backup"):
    """202 → poll → done; returns the report (keys checked)."""
    r = ok(_backup(c, b, body), 202, what)
    H.check_keys(r, ["job_id", "kind", "state"], f"{what}: 202 body")
    eq((r["kind"], r["state"]), ("backup", "queued"), f"{what}: kind/state")
    expect(H.is_uuid4(r["job_id"]), f"{what}: job_id {r['job_id']!r}")
    j = _wait_job(c, r["job_id"], what)
    eq((j["state"], j["error"], j["kind"], j["brain_id"]), ("done", None, "backup", b), f"{what}: job {j}")
    eq(j["done"], j["total"], f"{what}: done == total")
    rep = j["report"]
    H.check_keys(rep, REPORT_KEYS, f"{what} report")
    expect(isinstance(rep["path"], str) and rep["path"], f"{what}: path {rep['path']!r}")
    H.check_number(rep["bytes"], f"{what}.bytes", integer=True)
    H.check_number(rep["duration_ms"], f"{what}.duration_ms")
    expect(rep["bytes"] > 0 and rep["duration_ms"] >= 0, f"{what}: report {rep}")
    return rep


def _check_file(rep, what="backup file"):
    """The file is there, complete (its size is the report's bytes), one
    self-contained SQLite file (no -wal, no leftover .partial) that passes
    an integrity check."""
    p = rep["path"]
    expect(os.path.isfile(p), f"{what}: {p} exists")
    eq(os.path.getsize(p), rep["bytes"], f"{what}: size = report bytes")
    expect(not os.path.exists(p + "-wal"), f"{what}: no -wal file next to it")
    expect(not os.path.exists(p + ".partial"), f"{what}: no .partial leftover")
    db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    try:
        eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok", f"{what}: integrity_check")
    finally:
        db.close()


def _cli(*args, timeout=120):
    """Run nmemd with these arguments (no server); returns CompletedProcess."""
    p = subprocess.run([H.BIN, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    for m in H.SANITIZER_MARKERS:
        expect(m not in p.stderr, f"sanitizer report from nmemd {' '.join(args)}:\n{p.stderr[-3000:]}")
    return p


def _restore_cli(data_dir, file, brain, *extra):
    args = ["--data-dir", data_dir, "--storage", "sqlite", "--restore", file]
    if brain is not None:
        args += ["--brain", brain]
    return _cli(*args, *extra)


def _expect_exit(p, code, what, stderr_contains=()):
    if p.returncode != code:
        how = f"killed by signal {-p.returncode}" if p.returncode < 0 else f"exit status {p.returncode}"
        raise AssertionError(f"{what}: {how} (expected exit status {code}); stdout {p.stdout!r}; "
                             f"stderr {p.stderr[-2000:]!r}")
    if code:
        expect(p.stderr.strip().startswith("nmemd: "), f"{what}: a message on stderr: {p.stderr!r}")
        for s in stderr_contains:
            expect(s in p.stderr, f"{what}: stderr {p.stderr!r} does not mention {s!r}")


def _content(c, b):
    e = H.export(c, b)
    for k in ("exported_at", "brain_id", "brain_name", "config"):
        e.pop(k)
    st = H.stats(c, b)
    st.pop("brain_id")
    st.pop("db_size_bytes")
    st.pop("freshness")      # ages are measured at request time
    return {"export": e, "stats": st, "states": H.states_of(c, b, H.ids(e["neurons"]))}


def _record(c, b):
    br = ok(c.req("GET", f"/brain/{H.pq(b)}"), 200, f"GET brain {b}")
    return {k: br[k] for k in RECORD_KEYS}


def _populate(c, b=None, n=20):
    b = H.new_brain(c, id=b or uid("bk"), name="Backup source Đà Nẵng", owner_id="alice", is_public=True,
                    shared_with=["bob"], config={"decay_rate": 0.3, "max_spread_hops": 7},
                    metadata={"m": [1, {"x": None}]})
    for i in range(n):
        H.mk_neuron(c, b, f"neuron {i} ünïcödé " + "x" * 300, id=f"n{i}", type=H.NEURON_TYPES[i % 8],
                    metadata={"i": i}, created_at="2025-01-01T00:00:00" if i < n // 2 else None)
    ok(c.req("PUT", "/memory/neurons/n3/state", {"activation_level": 0.7, "access_frequency": 5,
                                                 "last_activated": "2025-02-03T04:05:06.789"}, brain=b), 200)
    for i in range(n - 1):
        H.mk_synapse(c, b, f"n{i}", f"n{i + 1}", id=f"s{i}", type=H.SYNAPSE_TYPES[i % 19], weight=(i % 10) / 10)
    for i in range(0, n - 1, 2):
        H.mk_fiber(c, b, [f"n{i}", f"n{i + 1}"], id=f"f{i}", salience=i / n, tags=[f"t{i}"],
                   created_at="2025-01-01T00:00:00" if i < n // 2 else None)
    snap = H.export(c, b)
    snap["metadata"] = {"typed_memories": [{"fiber_id": "f2", "memory_type": "fact", "priority": 5, "provenance": {
        "source": "u", "confidence": "high", "verified": True, "verified_at": None, "created_by": "t",
        "last_confirmed": None}, "expires_at": None, "project_id": None, "tags": [], "metadata": {},
        "created_at": "2025-01-01T00:00:00.000000"}], "projects": []}
    ok(c.req("POST", f"/brain/{H.pq(b)}/import", snap), 200, "add a typed memory")
    # archive the old half: archived objects are part of the brain's storage too
    r = ok(c.req("POST", f"/brain/{H.pq(b)}/archive", {"older_than_days": 90, "reference_time": "2026-01-01"}),
           202, "archive")
    j = _wait_job(c, r["job_id"], "archive job")
    eq(j["state"], "done", f"archive job: {j}")
    expect(j["report"]["fibers_archived"] > 0, f"something archived: {j['report']}")
    return b


def _all_neuron_ids(c, b):
    out, off = [], 0
    while True:
        page = H.ids(H.list_neurons(c, b, limit=10000, offset=off)["neurons"])
        out += page
        if len(page) < 10000:
            return out
        off += len(page)


def _utc_stamp(s):
    return datetime.datetime.strptime(s, "%Y%m%dT%H%M%SZ")


def _now_s():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


# ---------------------------------------------------------------------------
# memory backend: 422

@only("memory")
def test_backup_memory_backend(srv):
    c = srv.c
    b = H.new_brain(c)
    H.mk_neuron(c, b, "x")
    for body in (None, {}, {"path": "x.db"}):
        d = err(_backup(c, b, body), 422, what=f"backup on the memory backend, body {body!r}")
        expect("backup" in d and "memory" in d, f"detail explains why: {d!r}")
    missing = uid("nope")
    err(_backup(c, missing, {}), 404, f"Brain {missing} not found", what="unknown brain")


# ---------------------------------------------------------------------------
# sqlite: the job, the file, names

@only("sqlite")
def test_backup_job_file_and_names(backend):
    bkdir = tempfile.mkdtemp(prefix="nmemd-backups-")
    try:
        srv = H.start(backend, sets={"backup.dir": bkdir})
        c = srv.c
        b = _populate(c)
        rep = _run_backup(c, b, {"path": "one.db"})
        eq(rep["path"], os.path.join(bkdir, "one.db"), "report path = backup.dir/name")
        _check_file(rep)
        # an existing file name: 409, the file is not touched
        size = os.path.getsize(rep["path"])
        err(_backup(c, b, {"path": "one.db"}), 409, contains=["one.db"], what="existing file name")
        eq(os.path.getsize(rep["path"]), size, "existing file untouched")
        # path validation: a plain file name inside the directory
        for bad in ("../x", "a/b", ".hidden", "..", ".", "/abs.db", "", "x" * 256, 5, ["a.db"], {"a": 1}, True):
            field_err(_backup(c, b, {"path": bad}), "path", what=f"path {bad!r}")
        err(_backup(c, b, raw=b"{bad json"), 422, what="malformed JSON")
        eq(sorted(os.listdir(bkdir)), ["one.db"], "refused requests wrote nothing")
        missing = uid("nope")
        err(_backup(c, missing, {}), 404, f"Brain {missing} not found", what="unknown brain")
        err(c.req("GET", f"/brain/{b}/backup"), 405, "Method Not Allowed")
        # default name "<brain>-<UTC timestamp>.db"
        t0 = _now_s()
        rep2 = _run_backup(c, b, {}, "backup with the default name")
        t1 = _now_s()
        name = os.path.basename(rep2["path"])
        eq(os.path.dirname(rep2["path"]), bkdir, "default name: in backup.dir")
        m = re.fullmatch(re.escape(b) + r"-(\d{8}T\d{6}Z)\.db", name)
        expect(m, f"default name {name!r} is '<brain>-<UTC timestamp>.db'")
        expect(t0 <= _utc_stamp(m.group(1)) <= t1, f"default name timestamp {m.group(1)} within [{t0}, {t1}] UTC")
        _check_file(rep2)
        # no body at all: the default name too; unsafe characters of the id become '_'
        odd = "Đà/Nẵng x"   # (not sendable as X-Brain-ID: created through the path-addressed import)
        ok(c.req("POST", f"/brain/{H.pq(odd)}/import", {
            "brain_name": "odd", "exported_at": "2026-01-01T00:00:00", "version": "0.1.0", "config": {},
            "neurons": [{"id": "n", "type": "entity", "content": "in the odd brain"}], "synapses": [],
            "fibers": []}), 200, "create the odd brain")
        rep3 = _run_backup(c, odd, None, "backup without a body")
        safe = "".join(chr(ch) if ch in SAFE else "_" for ch in odd.encode("utf-8"))
        expect(re.fullmatch(re.escape(safe) + r"-\d{8}T\d{6}Z\.db", os.path.basename(rep3["path"])),
               f"default name of brain {odd!r}: {os.path.basename(rep3['path'])!r} (expected {safe}-<ts>.db)")
        _check_file(rep3)
        # the brain is unchanged by its backups
        before = _content(c, b)
        _run_backup(c, b, {"path": "two.db"})
        eq(_content(c, b), before, "a backup changes nothing in the brain")
    finally:
        shutil.rmtree(bkdir, ignore_errors=True)


@only("sqlite")
def test_backup_default_dir_and_restore_new_brain(backend):
    """Without backup.dir the files go to <data_dir>/backups; restoring one
    into a new id recreates the brain from the record inside the file."""
    srv = H.start(backend)
    c = srv.c
    b = _populate(c)
    rep = _run_backup(c, b, {"path": "x.db"})
    eq(rep["path"], os.path.join(srv.data_dir, "backups", "x.db"), "default backup directory")
    _check_file(rep)
    before, rec = _content(c, b), _record(c, b)
    srv.stop()
    p = _restore_cli(srv.data_dir, rep["path"], "copy")
    _expect_exit(p, 0, "restore into a new brain")
    eq(p.stdout, f"restored brain copy from {rep['path']} into {srv.data_dir}\n", "restore stdout")
    srv.start()
    eq(_content(c, "copy"), before, "restored copy: contents (export, stats incl. archived counts, states)")
    eq(_record(c, "copy"), rec, "restored copy: name, owner, sharing, config, metadata from the backup")
    eq(_content(c, b), before, "the original is untouched")
    # the restored brain works: archive restore, writes, another backup
    r = ok(c.req("POST", "/brain/copy/archive/restore", {"all": True}), 202, "restore the archive in the copy")
    eq(_wait_job(c, r["job_id"])["state"], "done", "archive restore in the copy")
    H.mk_neuron(c, "copy", "new one", id="new")
    _check_file(_run_backup(c, "copy", {"path": "copy.db"}))


# ---------------------------------------------------------------------------
# the durability test from the issue

@only("sqlite")
def test_backup_during_write_burst_then_restore(backend):
    srv = H.start(backend)
    c = srv.c
    b = H.new_brain(c, name="burst source", config={"decay_rate": 0.2, "max_context_tokens": 3000},
                    metadata={"k": "v"})
    base = [H.mk_neuron(c, b, "base", id=f"base{i}")["id"] for i in range(5)]
    # some bulk (about 12 MB), so the copy takes several backup steps while the writers go on
    bulk = [{"id": f"bulk{i}", "type": "concept", "content": f"bulk {i} " + "z" * 1200, "metadata": {},
             "created_at": "2025-01-01T00:00:00"} for i in range(10000)]
    ok(c.req("POST", f"/brain/{b}/import", {"brain_name": "burst source", "exported_at": "2026-01-01T00:00:00",
                                            "version": "0.1.0", "config": {"decay_rate": 0.2,
                                                                           "max_context_tokens": 3000},
                                            "neurons": bulk, "synapses": [], "fibers": []}), 200, "bulk import")
    base += [x["id"] for x in bulk]
    writers = 4
    lock = threading.Lock()
    acked = []                       # (writer, seq, id) in ack order
    sent_after_done = []             # ids whose request was sent after the job was seen done
    state = {"done_seen": False, "errors": []}
    stop = threading.Event()

    def writer(i):
        wc = H.Client(srv.connect_host, srv.port, timeout=60)
        j = 0
        try:
            while not stop.is_set():
                nid = f"w{i}-{j}"
                with lock:
                    after = state["done_seen"]
                r = wc.req("POST", "/memory/neurons", {"id": nid, "type": "entity", "content": "y" * 500},
                           brain=b)
                if r[0] != 201:
                    with lock:
                        state["errors"].append(f"{nid}: {r!r}")
                    return
                with lock:
                    acked.append((i, j, nid))
                    if after:
                        sent_after_done.append(nid)
                j += 1
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                state["errors"].append(f"writer {i}: {e!r}")
        finally:
            wc.close()

    ts = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(writers)]
    for t in ts:
        t.start()
    try:
        H.poll_until(lambda: len(acked) >= 300 or state["errors"], timeout=120, what="300 writes acknowledged")
        with lock:
            before_backup = [x[2] for x in acked]
        r = ok(_backup(c, b, {"path": "burst.db"}), 202, "backup during the burst")
        j = _wait_job(c, r["job_id"])
        with lock:
            state["done_seen"] = True
            n_at_done = len(acked)
        eq((j["state"], j["error"]), ("done", None), f"backup job: {j}")
        rep = j["report"]
        H.check_keys(rep, REPORT_KEYS, "backup report")
        # let the burst go on past the backup (writes sent after it ended)
        H.poll_until(lambda: len(sent_after_done) >= 40 or state["errors"], timeout=120,
                     what="40 writes sent after the backup ended")
    finally:
        stop.set()
        for t in ts:
            t.join(60)
    expect(not state["errors"], f"writers failed: {state['errors'][:3]}")
    expect(len(before_backup) >= 300, "writes acknowledged before the backup")
    _check_file(rep)
    all_acked = [x[2] for x in acked]
    rec = _record(c, b)
    srv.stop()

    p = _restore_cli(srv.data_dir, rep["path"], "restored")
    _expect_exit(p, 0, "nmemd --restore")
    eq(p.stdout, f"restored brain restored from {rep['path']} into {srv.data_dir}\n", "restore stdout")
    srv.start()
    got = set(_all_neuron_ids(c, "restored"))
    missing = [n for n in before_backup if n not in got]
    expect(not missing, f"{len(missing)} of {len(before_backup)} writes acknowledged before the backup started are "
                        f"missing from the restored brain, e.g. {missing[:5]}")
    late = [n for n in sent_after_done if n in got]
    expect(not late, f"writes sent after the backup ended are in it: {late[:5]}")
    expect(set(base) <= got, "the neurons from before the burst")
    # one consistent snapshot: per writer, the writes present are a prefix
    for i in range(writers):
        seqs = sorted(j for (w, j, _) in acked if w == i and f"w{i}-{j}" in got)
        eq(seqs, list(range(len(seqs))), f"writer {i}: the writes in the backup form a prefix")
    expect(got <= set(base) | set(all_acked), "nothing but acknowledged writes (and base) in the backup")
    eq(H.stats(c, "restored")["neuron_count"], len(got), "restored brain stats count what it holds")
    n = ok(c.req("GET", f"/memory/neurons/{H.pq(before_backup[0])}", brain="restored"), 200, "a restored neuron")
    eq((n["type"], n["content"]), ("entity", "y" * 500), "restored neuron content")
    eq(_record(c, "restored"), rec, "restored brain: name/owner/sharing/config/metadata of the original")
    # the original kept every acknowledged write across the restart
    orig = set(_all_neuron_ids(c, b))
    lost = [x for x in all_acked if x not in orig]
    expect(not lost, f"acknowledged writes lost by the original brain: {lost[:5]}")
    expect(n_at_done <= len(all_acked), "bookkeeping")


# ---------------------------------------------------------------------------
# restore over an existing brain; CLI errors

@only("sqlite")
def test_restore_over_existing_brain(backend):
    """Restoring over an existing brain replaces its contents with the
    backup's and keeps its record (name, config, owner, ...)."""
    srv = H.start(backend)
    c = srv.c
    b = _populate(c)
    other = H.new_brain(c, name="bystander")
    H.mk_neuron(c, other, "bystander neuron", id="o1")
    rep = _run_backup(c, b, {"path": "snap.db"})
    at_backup = _content(c, b)
    # change everything after the backup: contents and record
    ok(c.req("DELETE", "/memory/neurons/n15", brain=b), 200)
    ok(c.req("DELETE", "/memory/fibers/f10", brain=b), 200)
    H.mk_neuron(c, b, "added after the backup", id="late")
    ok(c.req("PUT", "/memory/neurons/n12/state", {"activation_level": 0.99}, brain=b), 200)
    r = ok(c.req("POST", f"/brain/{b}/archive/restore", {"all": True}), 202)
    eq(_wait_job(c, r["job_id"])["state"], "done", "un-archive after the backup")
    ok(c.req("PUT", f"/brain/{b}", {"name": "renamed", "config": {"decay_rate": 0.9}, "is_public": False,
                                    "metadata": {"new": True}}), 200)
    changed_rec = _record(c, b)
    eq(changed_rec["name"], "renamed", "renamed")
    other_before = _content(c, other)
    srv.stop()
    p = _restore_cli(srv.data_dir, rep["path"], b)
    _expect_exit(p, 0, "restore over the existing brain")
    srv.start()
    eq(_content(c, b), at_backup, "contents are the backup's (export, stats, archived counts, states)")
    err(c.req("GET", "/memory/neurons/late", brain=b), 404, what="a neuron added after the backup is gone")
    eq(_record(c, b), changed_rec, "the existing record is kept")
    eq(_content(c, other), other_before, "other brains untouched")
    eq(ok(c.req("GET", "/brains"), 200)["total"], 2, "no brain added or removed")


@only("sqlite")
def test_restore_cli_errors(backend):
    srv = H.start(backend)
    c = srv.c
    b = H.new_brain(c, name="cli")
    H.mk_neuron(c, b, "keep me", id="k")
    rep = _run_backup(c, b, {"path": "good.db"})
    tmp = srv.tmp
    # while the daemon runs on the data dir: refused (the directory is locked)
    p = _restore_cli(srv.data_dir, rep["path"], b)
    _expect_exit(p, 1, "--restore while the daemon runs on the data dir")
    eq(H.counts(c, b), (1, 0, 0), "the running daemon's brain is untouched")
    srv.stop()
    # --restore without --brain: usage error
    p = _restore_cli(srv.data_dir, rep["path"], None)
    _expect_exit(p, 2, "--restore without --brain", stderr_contains=["--brain"])
    # a file that does not exist
    p = _restore_cli(srv.data_dir, os.path.join(tmp, "nope.db"), "x1")
    _expect_exit(p, 1, "--restore of a missing file")
    # an invalid brain id
    p = _restore_cli(srv.data_dir, rep["path"], "")
    _expect_exit(p, 1, "--restore --brain ''")
    # the memory backend keeps no files
    p = _cli("--data-dir", srv.data_dir, "--storage", "memory", "--restore", rep["path"], "--brain", "x3")
    _expect_exit(p, 1, "--restore with --storage memory")
    # none of the refused restores created a brain
    srv.start()
    for x in ("x1", "x3"):
        err(c.req("GET", f"/brain/{x}"), 404, what=f"refused restore created no brain {x}")
    eq(H.counts(c, b), (1, 0, 0), "original untouched")
    srv.stop()
    # the same again with the good file: works
    _expect_exit(_restore_cli(srv.data_dir, rep["path"], "x4"), 0, "a good restore after the refused ones")
    srv.start()
    eq(H.counts(c, "x4"), (1, 0, 0), "restored x4")


@only("sqlite")
def test_restore_rejects_files_that_are_no_backup(backend):
    """A file that is not a SQLite database at all (text, bytes), or a
    SQLite database that is no nmemd brain (user_version 0): exit status 1
    with a message on stderr, no brain created."""
    srv = H.start(backend)
    c = srv.c
    srv.stop()
    text = os.path.join(srv.tmp, "notes.txt")
    with open(text, "w") as f:
        f.write("hello, this is not a database\n" * 10)
    rnd = os.path.join(srv.tmp, "random.bin")
    with open(rnd, "wb") as f:
        f.write(bytes((i * 7919 + 13) % 256 for i in range(8192)))
    empty = os.path.join(srv.tmp, "plain.db")
    db = sqlite3.connect(empty)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    failures = []
    for path, brain in ((text, "t1"), (rnd, "t2"), (empty, "t3")):
        p = _restore_cli(srv.data_dir, path, brain)
        try:
            _expect_exit(p, 1, f"--restore of {os.path.basename(path)}")
        except AssertionError as e:
            failures.append(str(e))
    expect(not failures, "; ".join(failures))
    srv.start()
    for brain in ("t1", "t2", "t3"):
        err(c.req("GET", f"/brain/{brain}"), 404, what=f"no brain {brain}")


@only("sqlite")
def test_restore_rejects_the_catalog(backend):
    """The data directory's catalog.db is a SQLite file of nmemd's but no
    brain backup: refused (exit 1), no brain created."""
    srv = H.start(backend)
    c = srv.c
    H.new_brain(c, name="a brain")
    srv.stop()
    cat = os.path.join(srv.tmp, "catalog-copy.db")
    shutil.copyfile(os.path.join(srv.data_dir, "catalog.db"), cat)
    p = _restore_cli(srv.data_dir, cat, "fromcat")
    _expect_exit(p, 1, "--restore of a copy of catalog.db")
    srv.start()
    err(c.req("GET", "/brain/fromcat"), 404, what="no brain from the catalog")
