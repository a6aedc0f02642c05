"""Several nmemd nodes on one PostgreSQL database (storage = postgres):
brains, writes and /sync/ws events are shared (README "Running a cluster").

Every test starts two nodes on one fresh database. The guarantees checked:
a write acknowledged by one node is in the next answer of the other (no
waiting: every query reads the brain's generation first), including
answers the other node had cached or indexed before the write; a brain
created on one node is usable on the other at once; a WebSocket subscriber
on one node gets the events of writes made through the other; concurrent
encodes of one entity through both nodes make one neuron; one lifecycle
job per brain across the cluster.

Event delivery between nodes goes through PostgreSQL notifications, which
arrive after the write's acknowledgement; the subscriber reads with a
deadline (a socket timeout), nothing sleeps. Catalog changes other than
creation (a deletion) reach the other node the same way; that check polls
with a deadline.
"""
import concurrent.futures
import subprocess

import harness as H
from harness import eq, expect, ok, uid
from wsclient import WS

BACKENDS = ("postgres",)
JOB_LOCK_CLASS = 0x6e6d6a62  # server/cluster.c NM_PG_LOCK_JOB


def _pair(**kw):
    """Two nodes on one database: (a, b)."""
    a = H.start("postgres", **kw)
    b = H.Server("postgres", pg_url=a.pg_url, **kw)
    H._test_servers.append(b)
    b.start()
    return a, b


def _sub(srv, brain):
    ws = WS.connect(srv.port)
    srv.clients.append(ws)
    ws.sync_connect(uid("sub"))
    ws.subscribe(brain)
    return ws


def test_writes_on_one_node_read_on_the_other(backend):
    a, b = _pair()
    brain = H.new_brain(a.c)
    # created on a, known to b at once
    eq(ok(b.c.req("GET", f"/brain/{brain}"), 200)["id"], brain, "brain created on a, read on b")
    n = H.mk_neuron(a.c, brain, "Quokka habitat survey", id="n1")
    eq(ok(b.c.req("GET", "/memory/neurons/n1", brain=brain), 200), n, "neuron written on a, read on b")
    H.encode(a.c, brain, "Alice filed the quokka habitat survey for Rottnest Island")
    r = H.query(b.c, brain, "Who filed the quokka survey?")
    expect("Alice" in r["context"], f"b answers with a's memory: {r['context']!r}")
    eq(H.stats(b.c, brain)["neuron_count"], H.stats(a.c, brain)["neuron_count"], "both nodes count the same")


def test_index_and_cache_follow_the_other_node(backend):
    """b's graph index and query cache are built and filled before a writes:
    the next answer on b still has a's write."""
    a, b = _pair()
    brain = H.new_brain(a.c)
    H.encode(a.c, brain, "The lighthouse keeper repaired the foghorn on Tuesday")
    q = "What did the lighthouse keeper repair?"
    first = H.query(b.c, brain, q)
    eq(H.query(b.c, brain, q)["context"], first["context"], "b answers twice the same (cached)")
    H.encode(a.c, brain, "The lighthouse keeper also painted the lighthouse lantern room")
    after = H.query(b.c, brain, q)
    expect("lantern" in after["context"], f"b's answer has a's new memory: {after['context']!r}")
    # and the other way round, through a's index
    H.encode(b.c, brain, "The lighthouse keeper ordered a new lighthouse lens from Marseille")
    expect("Marseille" in H.query(a.c, brain, q)["context"], "a's answer has b's new memory")
    # deletes too: b deletes every fiber; a's next answer matches none
    fibers = ok(a.c.req("GET", "/memory/fibers", brain=brain), 200)["fibers"]
    expect(len(fibers) == 3, f"three memories: {fibers}")
    eq(sorted(H.query(a.c, brain, q)["fibers_matched"]), sorted(f["id"] for f in fibers), "a matches all three")
    for f in fibers:
        ok(b.c.req("DELETE", f"/memory/fibers/{H.pq(f['id'])}", brain=brain), 200)
    eq(H.query(a.c, brain, q)["fibers_matched"], [], "a matches none of the fibers b deleted")
    text = H.status(b.c.req("GET", "/metrics"), 200).raw.decode()
    caught = [ln for ln in text.splitlines() if ln.startswith("nmemd_cluster_catchups_total ")]
    expect(caught and int(caught[0].split()[1]) > 0, f"b counts its catch-ups with a: {caught}")


def test_events_cross_nodes(backend):
    a, b = _pair()
    brain = H.new_brain(a.c)
    # a subscription names a brain the node knows: b learns of a's new
    # brain on its first request for it (or from the catalog notification)
    ok(b.c.req("GET", f"/brain/{brain}"), 200)
    ws = _sub(b, brain)
    n = H.mk_neuron(a.c, brain, "seen from b", id="x1")
    ev = ws.recv_json()
    eq((ev["type"], ev["brain_id"], ev["data"]), ("neuron_created", brain, n), "b's subscriber: a's write")
    r = H.encode(a.c, brain, "Bob deployed the billing service to the Frankfurt region")
    ev = ws.recv_json()
    eq((ev["type"], ev["data"]), ("memory_encoded", r), "b's subscriber: a's encode")
    # an event too large for one notification (a big encode answer) still arrives
    big = " ".join(f"word{i}" for i in range(3000))
    r = H.encode(a.c, brain, big)
    ev = ws.recv_json()
    eq((ev["type"], ev["data"]), ("memory_encoded", r), "b's subscriber: a large event")
    # a's own subscriber gets it once, not echoed back by b
    wa = _sub(a, brain)
    H.mk_neuron(b.c, brain, "seen from a", id="x2")
    eq(wa.recv_json()["type"], "neuron_created", "a's subscriber: b's write")
    eq(ws.recv_json()["type"], "neuron_created", "b's subscriber: b's own write")
    eq(wa.ping(), {"type": "pong"}, "a: nothing else arrived (no echo)")


def test_concurrent_encodes_make_one_entity(backend):
    a, b = _pair()
    brain = H.new_brain(a.c)
    texts = [f"Zephyrine Okonkwo reviewed pull request number {i} today" for i in range(20)]

    def enc(i):
        node = a if i % 2 == 0 else b
        c = H.Client(node.connect_host, node.port)
        try:
            return c.req("POST", "/memory/encode", {"content": texts[i]}, brain=brain).status
        finally:
            c.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as ex:
        statuses = list(ex.map(enc, range(20)))
    eq(statuses, [200] * 20, "every encode acknowledged")
    for node in (a, b):
        hits = ok(node.c.req("GET", "/memory/neurons?" + H.qs({"content_exact": "Zephyrine Okonkwo"}),
                             brain=brain), 200)["neurons"]
        eq(len(hits), 1, f"one 'Zephyrine Okonkwo' neuron seen from {node.port}: {hits}")
    eq(H.stats(a.c, brain)["fiber_count"], 20, "twenty memories")


def test_brain_deleted_on_one_node(backend):
    a, b = _pair()
    brain = H.new_brain(a.c)
    ok(b.c.req("GET", f"/brain/{brain}"), 200)
    ok(a.c.req("DELETE", f"/brain/{brain}"), 200)
    H.poll_until(lambda: b.c.req("GET", f"/brain/{brain}").status == 404, timeout=30,
                 what="b forgets the brain a deleted")
    # and the name can be used again, from either node
    ok(b.c.req("POST", "/brain/create", {"id": brain, "name": "again"}), 200)
    eq(ok(a.c.req("GET", f"/brain/{brain}"), 200)["name"], "again", "a sees b's new brain")
    eq(H.stats(a.c, brain)["neuron_count"], 0, "the new brain is empty")


def test_one_lifecycle_job_per_brain(backend):
    """A lifecycle job holds the brain's cluster-wide lock (a session
    advisory lock) while it runs: while another session — here psql,
    standing in for a node in the middle of a job — holds it, a node
    answers 409; once it is released, the job starts."""
    a, b = _pair()
    brain = H.new_brain(a.c)
    psql = subprocess.Popen(["psql", "-X", "-q", "-t", "-A", a.pg_url], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        psql.stdin.write(f"SELECT pg_advisory_lock({JOB_LOCK_CLASS}, s.b) FROM nm_brains r"
                         f" JOIN nm_bstate s ON s.file = r.file WHERE r.id = '{brain}';\n")
        psql.stdin.flush()
        psql.stdout.readline()  # the lock is held once psql has answered
        for node in (a, b):
            H.err(node.c.req("POST", f"/brain/{brain}/decay", {}), 409, contains=("another node",))
    finally:
        psql.stdin.close()
        psql.wait(30)
    r = ok(b.c.req("POST", f"/brain/{brain}/decay", {}), 202, "the job starts once the lock is free")
    H.poll_until(lambda: ok(b.c.req("GET", f"/jobs/{r['job_id']}"), 200)["state"] == "done", timeout=60,
                 what="decay job done")


def test_write_to_a_brain_recreated_elsewhere(backend):
    """a deletes a brain b has open and creates one of the same name: a
    write through b goes to the new brain or is refused (404) — never
    acknowledged into the deleted one."""
    a, b = _pair()
    brain = H.new_brain(a.c)
    H.mk_neuron(b.c, brain, "old", id="old")          # b has the brain open
    ok(a.c.req("DELETE", f"/brain/{brain}"), 200)
    ok(a.c.req("POST", "/brain/create", {"id": brain, "name": "new"}), 200)
    r = b.c.req("POST", "/memory/neurons", {"id": "n1", "type": "concept", "content": "x"}, brain=brain)
    expect(r.status in (201, 404), f"b: the new brain or 404, got {r.status}")
    if r.status == 201:
        ok(a.c.req("GET", "/memory/neurons/n1", brain=brain), 200, "b's write is in the new brain")
    H.poll_until(lambda: b.c.req("POST", "/memory/neurons", {"type": "concept", "content": "y"},
                                 brain=brain).status == 201, timeout=30, what="b writes into the new brain")
    eq(H.stats(a.c, brain)["neuron_count"], H.stats(b.c, brain)["neuron_count"], "both see the new brain")
    H.err(a.c.req("GET", "/memory/neurons/old", brain=brain), 404, what="the old brain's neuron is gone")


def test_brain_updates_on_two_nodes_both_kept(backend):
    """b edits the stored record, not its own copy: an update made through a
    a moment before is kept."""
    a, b = _pair()
    brain = H.new_brain(a.c)
    ok(b.c.req("GET", f"/brain/{brain}"), 200)             # b has its own copy now
    ok(a.c.req("PUT", f"/brain/{brain}", {"name": "renamed on a"}), 200)
    ok(b.c.req("PUT", f"/brain/{brain}", {"config": {"decay_rate": 0.2}}), 200)
    for node in (a, b):
        H.poll_until(lambda: ok(node.c.req("GET", f"/brain/{brain}"), 200)["config"]["decay_rate"] == 0.2,
                     timeout=30, what="the config change reaches the node")
        rec = ok(node.c.req("GET", f"/brain/{brain}"), 200)
        eq((rec["name"], rec["config"]["decay_rate"]), ("renamed on a", 0.2), f"both edits kept ({node.port})")
