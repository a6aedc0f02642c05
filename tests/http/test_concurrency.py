"""Concurrency: 50 connections writing at once; afterwards every write is
present and counts are exact. Races on one id give exactly one winner."""
import harness as H
from harness import eq, expect, ok

THREADS = 50
PER_THREAD = 20


def test_50_writers_one_brain(srv):
    b = H.new_brain(srv.c)

    def writer(i):
        c = srv.client()
        for j in range(PER_THREAD):
            nid = f"t{i:02d}-{j:02d}"
            r = c.req("POST", "/memory/neurons", {"id": nid, "type": "entity", "content": f"thread {i} item {j}"},
                      brain=b)
            ok(r, 201, f"write {nid}")
            eq(r[2]["id"], nid, "id")
        c.close()

    H.run_threads(THREADS, writer)
    want = {f"t{i:02d}-{j:02d}" for i in range(THREADS) for j in range(PER_THREAD)}
    eq(H.counts(srv.c, b), (len(want), 0, 0), "stats after concurrent writes")
    got = H.list_neurons(srv.c, b, limit=10000)
    eq(got["count"], len(want), "list count")
    eq(set(H.ids(got["neurons"])), want, "every write present")
    eq(len(H.ids(got["neurons"])), len(want), "no duplicates")
    for i in range(0, THREADS, 7):
        seq = [n for n in H.ids(got["neurons"]) if n.startswith(f"t{i:02d}-")]
        eq(seq, sorted(seq), f"per-connection creation order kept for thread {i}")
    eq(ok(srv.c.req("GET", f"/brain/{b}"), 200)["neuron_count"], len(want), "brain neuron_count")


def test_50_writers_many_brains(srv):
    brains = [H.new_brain(srv.c) for _ in range(5)]

    def writer(i):
        c = srv.client()
        b = brains[i % len(brains)]
        prev = None
        for j in range(PER_THREAD):
            nid = f"w{i:02d}-{j:02d}"
            ok(c.req("POST", "/memory/neurons", {"id": nid, "type": "concept", "content": nid}, brain=b), 201)
            if prev:  # a synapse to this thread's previous neuron
                ok(c.req("POST", "/memory/synapses", {"source_id": prev, "target_id": nid, "type": "before"},
                         brain=b), 201)
            prev = nid
        c.close()

    H.run_threads(THREADS, writer)
    per_brain = THREADS // len(brains)
    for k, b in enumerate(brains):
        eq(H.counts(srv.c, b), (per_brain * PER_THREAD, per_brain * (PER_THREAD - 1), 0), f"brain {k} counts")
        got = set(H.ids(H.list_neurons(srv.c, b, limit=10000)["neurons"]))
        want = {f"w{i:02d}-{j:02d}" for i in range(k, THREADS, len(brains)) for j in range(PER_THREAD)}
        eq(got, want, f"brain {k} holds exactly its writers' neurons")


def test_concurrent_same_neuron_id(srv):
    b = H.new_brain(srv.c)
    results = [None] * THREADS

    def writer(i):
        c = srv.client()
        results[i] = c.req("POST", "/memory/neurons", {"id": "contested", "type": "entity", "content": f"by {i}"},
                           brain=b)[0]
        c.close()

    H.run_threads(THREADS, writer)
    eq(sorted(results), [201] + [409] * (THREADS - 1), "exactly one 201, the rest 409")
    eq(H.counts(srv.c, b)[0], 1, "one neuron")


def test_concurrent_same_brain_id(srv):
    bid = H.uid("contested")
    results = [None] * THREADS

    def creator(i):
        c = srv.client()
        results[i] = c.req("POST", "/brain/create", {"id": bid, "name": f"by {i}"})[0]
        c.close()

    H.run_threads(THREADS, creator)
    eq(sorted(results), [200] + [409] * (THREADS - 1), "exactly one 200, the rest 409")
    ok(srv.c.req("GET", f"/brain/{bid}"), 200)


def test_readers_during_writes(srv):
    b = H.new_brain(srv.c)
    H.mk_neuron(srv.c, b, "seed", id="seed")

    def worker(i):
        c = srv.client()
        for j in range(PER_THREAD):
            if i % 2:
                ok(c.req("POST", "/memory/neurons", {"type": "entity", "content": f"{i}-{j}"}, brain=b), 201)
                ok(c.req("PUT", "/memory/neurons/seed/state", {"access_frequency": j}, brain=b), 200)
            else:
                r = ok(c.req("GET", "/memory/neurons", brain=b, query={"limit": 10000}), 200)
                eq(r["count"], len(r["neurons"]), "consistent list")
                expect(r["neurons"][0]["id"] == "seed", "creation order: seed first")
                ok(c.req("GET", f"/brain/{b}/stats"), 200)
                ok(c.req("GET", f"/brain/{b}/export"), 200)
        c.close()

    H.run_threads(THREADS, worker)
    eq(H.counts(srv.c, b)[0], 1 + (THREADS // 2) * PER_THREAD, "all writes present")


def test_concurrent_deletes_and_creates(srv):
    b = H.new_brain(srv.c)
    for i in range(THREADS):
        H.mk_neuron(srv.c, b, f"d{i}", id=f"d{i}")
        H.mk_synapse(srv.c, b, f"d{i}", f"d{i}", id=f"ds{i}")
    results = [None] * THREADS

    def worker(i):
        c = srv.client()
        results[i] = (c.req("DELETE", f"/memory/neurons/d{i}", brain=b)[0],
                      c.req("DELETE", f"/memory/neurons/d{(i + 1) % THREADS}", brain=b)[0])
        ok(c.req("POST", "/memory/neurons", {"id": f"new{i}", "type": "entity", "content": "x"}, brain=b), 201)
        c.close()

    H.run_threads(THREADS, worker)
    flat = [s for pair in results for s in pair]
    eq(flat.count(200), THREADS, "each neuron deleted exactly once")
    eq(flat.count(404), THREADS, "the other attempt saw 404")
    eq(H.counts(srv.c, b), (THREADS, 0, 0), "synapses cascaded, new neurons present")
