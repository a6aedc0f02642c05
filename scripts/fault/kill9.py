#!/usr/bin/env python3
"""kill9.py — crash durability of nmemd under load (kill -9 during writes).

Usage:
    scripts/fault/kill9.py [--bin PATH] [--rounds N] [--brains K] [--clients C]
                           [--seconds-per-round S] [--seed N] [--json out.json]
                           [--keep]

Defaults: --bin bin/nmemd (of this checkout), 10 rounds, 4 brains,
8 clients, 3 s per round, seed 1.  Python 3 standard library only; it
starts its own nmemd on a free loopback port and a temporary data
directory (removed at the end unless --keep) and talks to nothing else.

What one round does
  1. C client threads (one keep-alive connection each) send a mix of
     writes over the K brains:
        encode     POST /memory/encode        unique content + tag "mk-..."
        ncreate    POST /memory/neurons       unique id + content
        nupdate    PUT  /memory/neurons/{id}  new unique content/metadata
        ndelete    DELETE /memory/neurons/{id}
        state      PUT  /memory/neurons/{id}/state   access_frequency = version
        screate    POST /memory/synapses      unique id, between live neurons
     Every object is owned by one client thread, so at most one write per
     object is ever outstanding and its history is a simple sequence.  A
     write is *acknowledged* when its complete 2xx answer arrived; a write
     whose connection broke before the answer is *in flight*; a write whose
     connection could not even be opened was *not sent*; a non-2xx answer
     is *rejected*.
  2. After S seconds (S x uniform(0.5, 1.5), from the seed) the daemon
     gets SIGKILL while the clients are mid-request.
  3. With the daemon dead: PRAGMA integrity_check on a copy of catalog.db
     and every brains/*.db (with its -wal; the data directory itself is
     not touched, so the restart exercises nmemd's own WAL recovery).
  4. Restart on the same data directory and port, then verify every
     object ever written in any round (cumulative):
        acknowledged create         present (GET by id and in the lists)
        acknowledged delete         absent (GET 404, state 404, gone from
                                    lists, its synapses gone)
        acknowledged update/state   the last acknowledged value, or the value
                                    of the one later write that was in flight
                                    at the kill -- nothing older, nothing else
        in-flight create/delete     either outcome, but all-or-nothing (an
                                    in-flight encode is found by its tag: 0 or
                                    1 fibers, complete if present)
        not sent / rejected         never visible
        acknowledged encode         its fiber (GET /memory/fiber/{fiber_id})
                                    has the tag, and every neuron and synapse
                                    it names exists
        no phantoms                 no manual neuron/synapse/fiber the ledger
                                    cannot explain; every engine neuron
                                    belongs to some fiber
        counts                      GET /brain/{id}/stats and GET /brain/{id}
                                    counts = lengths of GET /memory/neurons,
                                    /memory/synapses, /memory/fibers = export
     and the query check: POST /memory/query {"query": <content>,
     "reinforce": false} for up to 25 of the round's acknowledged encodes
     per brain finds their fiber in fibers_matched.  The queries run on
     the in-memory graph index, which the restarted daemon rebuilt from
     SQLite: they check index and storage agree on what was committed.
  After the last round nmemd is stopped with SIGTERM (exit 0 expected)
  and integrity_check runs once more, in place.

Output: a markdown table per round (writes sent, acknowledged, in flight
at the kill, lost, integrity, query check) with totals, then every
problem found.  Exit status 0 when nothing was lost, nothing phantom
appeared and every check passed; 1 otherwise; 2 on a usage/setup error.

Determinism: the kill times, contents, ids and each client's choice of
operations come from --seed; how many requests fit into a round depends
on timing, so counts vary from run to run.
"""
import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import Client, Daemon, NoAnswer, NotSent, free_port, integrity_check_dir, integrity_check_file, db_files  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

NEURON_TYPES = ["time", "spatial", "entity", "action", "state", "concept", "sensory", "intent"]
SYNAPSE_TYPES = ["related_to", "leads_to", "caused_by", "co_occurs", "involves", "is_a", "near"]
NAMES = ["Alice", "Bob", "Carol", "Dmitri", "Lan", "Minh", "Priya", "Tomas", "Yuki", "Zanele"]
PLACES = ["Berlin", "Da Nang", "Hanoi", "Lagos", "Lima", "Oslo", "Osaka", "Quito"]
WORDS = ("deploy payments search cluster certificate invoice backup restore migrate database cache "
         "queue worker latency outage incident review release branch merge ticket budget meeting "
         "customer contract report metrics dashboard alert rollback kernel network storage replica "
         "schema index shard token session login password audit compliance vendor laptop printer "
         "coffee lunch holiday travel flight hotel conference workshop training roadmap design").split()
VERBS = ["fixed", "moved", "reviewed", "broke", "renewed", "shipped", "planned", "tested", "discussed"]

WRITE_KINDS = ["encode", "ncreate", "nupdate", "ndelete", "state", "screate"]
OP_WEIGHTS = [("encode", 0.30), ("ncreate", 0.22), ("nupdate", 0.15), ("state", 0.13),
              ("screate", 0.12), ("ndelete", 0.08)]

# outcome of one write
ACK, INFLIGHT, NOTSENT, REJECTED = "ack", "inflight", "notsent", "rejected"


# ---------------------------------------------------------------------------
# Ledger: what each client wrote and what came back.

class NeuronRec:
    __slots__ = ("brain", "id", "owner", "create", "create_content", "content_ack", "content_inflight",
                 "ver_ack", "ver_inflight", "delete", "touched", "gone")

    def __init__(self, brain, nid, owner, content):
        self.brain, self.id, self.owner = brain, nid, owner
        self.create = None             # ACK / INFLIGHT / NOTSENT / REJECTED
        self.create_content = content
        self.content_ack = content     # last acknowledged content (create or update)
        self.content_inflight = None   # content of the update in flight at the kill
        self.ver_ack = 0               # last acknowledged state access_frequency (0 = default state)
        self.ver_inflight = None
        self.delete = None             # None / ACK / INFLIGHT (rejected/not-sent deletes leave it None)
        self.touched = 0               # round of the last write
        self.gone = False              # known absent (settled after a verification)


class SynapseRec:
    __slots__ = ("brain", "id", "src", "tgt", "create", "touched", "gone")

    def __init__(self, brain, sid, src, tgt):
        self.brain, self.id, self.src, self.tgt = brain, sid, src, tgt
        self.create = None
        self.touched = 0
        self.gone = False


class EncodeRec:
    __slots__ = ("brain", "tag", "content", "fiber_id", "create", "round", "gone")

    def __init__(self, brain, tag, content, rnd):
        self.brain, self.tag, self.content, self.round = brain, tag, content, rnd
        self.fiber_id = None
        self.create = None
        self.gone = False


class Ledger:
    def __init__(self):
        self.neurons = {}    # (brain, id) -> NeuronRec
        self.synapses = {}   # (brain, id) -> SynapseRec
        self.encodes = {}    # tag -> EncodeRec
        self.live = {}       # owner -> brain -> [neuron ids present with a settled state]


class RoundStats:
    def __init__(self):
        self.sent = {k: 0 for k in WRITE_KINDS}
        self.ack = {k: 0 for k in WRITE_KINDS}
        self.inflight = {k: 0 for k in WRITE_KINDS}
        self.notsent = {k: 0 for k in WRITE_KINDS}
        self.rejected = {k: 0 for k in WRITE_KINDS}
        self.rejected_samples = []
        self.early_errors = []   # connection failures before the kill

    def merge(self, o):
        for d in ("sent", "ack", "inflight", "notsent", "rejected"):
            a, b = getattr(self, d), getattr(o, d)
            for k in WRITE_KINDS:
                a[k] += b[k]
        self.rejected_samples += o.rejected_samples[: max(0, 10 - len(self.rejected_samples))]
        self.early_errors += o.early_errors


# ---------------------------------------------------------------------------
# Load: one client thread.

def q(s):
    return urllib.parse.quote(s, safe="")


class ClientThread(threading.Thread):
    def __init__(self, idx, rnd, port, brains, ledger, seed, stop, killed):
        super().__init__(name=f"client-{idx}", daemon=True)
        self.idx, self.rnd, self.brains, self.ledger = idx, rnd, brains, ledger
        self.rng = random.Random(f"{seed}/round{rnd}/client{idx}")
        self.client = Client(port, timeout=60)
        self.stop, self.killed = stop, killed
        self.stats = RoundStats()
        self.live = ledger.live.setdefault(idx, {b: [] for b in brains})
        self.seq = 0

    def uniq(self, prefix):
        self.seq += 1
        return f"{prefix}{self.rnd}x{self.idx}x{self.seq}"

    def send(self, kind, method, path, body, brain):
        """Returns (outcome, answer object)."""
        self.stats.sent[kind] += 1
        try:
            st, obj, raw, _ = self.client.call(method, path, body, brain=brain)
        except NotSent as e:
            self.stats.sent[kind] -= 1
            self.stats.notsent[kind] += 1
            if not self.killed.is_set():
                self.stats.early_errors.append(f"{method} {path}: could not connect before the kill: {e}")
            return NOTSENT, None
        except NoAnswer as e:
            self.stats.inflight[kind] += 1
            if not self.killed.is_set():
                self.stats.early_errors.append(f"{method} {path}: no answer before the kill: {e}")
            return INFLIGHT, None
        if 200 <= st < 300 and isinstance(obj, dict):
            self.stats.ack[kind] += 1
            return ACK, obj
        self.stats.rejected[kind] += 1
        if len(self.stats.rejected_samples) < 10:
            self.stats.rejected_samples.append(f"{method} {path} -> {st} {raw[:200]!r}")
        return REJECTED, obj

    def pick(self):
        r, acc = self.rng.random(), 0.0
        for kind, w in OP_WEIGHTS:
            acc += w
            if r < acc:
                break
        if kind in ("nupdate", "state", "screate", "ndelete") and not any(self.live.values()):
            kind = "ncreate"
        return kind

    def some_live(self):
        brains = [b for b in self.brains if self.live[b]]
        b = self.rng.choice(brains)
        return b, self.rng.choice(self.live[b])

    def run(self):
        try:
            while not self.stop.is_set():
                if not self.one(self.pick()):
                    break
        finally:
            self.client.close()

    def one(self, kind):
        """One write; False when the daemon is gone (stop this thread)."""
        L, rng, rnd = self.ledger, self.rng, self.rnd
        if kind == "encode":
            b = rng.choice(self.brains)
            tag = self.uniq("mk")
            marker = "zq" + tag[2:]   # a letters+digits token no other memory has
            words = rng.sample(WORDS, 4)
            content = (f"{rng.choice(NAMES)} {rng.choice(VERBS)} the {words[0]} {words[1]} in "
                       f"{rng.choice(PLACES)} with {words[2]} and {words[3]} ref {marker}")
            rec = EncodeRec(b, tag, content, rnd)
            L.encodes[tag] = rec
            body = {"content": content, "tags": [tag], "metadata": {"marker": tag}}
            if rng.random() < 0.3:
                body["timestamp"] = f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T{rng.randint(10, 23)}:00:00"
            out, obj = self.send(kind, "POST", "/memory/encode", body, b)
            rec.create = out
            if out == ACK:
                rec.fiber_id = obj.get("fiber_id")
        elif kind == "ncreate":
            b = rng.choice(self.brains)
            nid = self.uniq("kn")
            content = f"N|{nid}|v0|{rng.getrandbits(32):08x}"
            rec = NeuronRec(b, nid, self.idx, content)
            rec.touched = rnd
            L.neurons[(b, nid)] = rec
            body = {"id": nid, "type": rng.choice(NEURON_TYPES), "content": content, "metadata": {"v": 0}}
            out, _ = self.send(kind, "POST", "/memory/neurons", body, b)
            rec.create = out
            if out == ACK:
                self.live[b].append(nid)
        elif kind == "nupdate":
            b, nid = self.some_live()
            rec = L.neurons[(b, nid)]
            rec.touched = rnd
            content = f"N|{nid}|u{self.uniq('')}|{rng.getrandbits(32):08x}"
            body = {"type": rng.choice(NEURON_TYPES), "content": content, "metadata": {"v": content}}
            out, _ = self.send(kind, "PUT", f"/memory/neurons/{q(nid)}", body, b)
            if out == ACK:
                rec.content_ack = content
            elif out == INFLIGHT:
                rec.content_inflight = content
        elif kind == "state":
            b, nid = self.some_live()
            rec = L.neurons[(b, nid)]
            rec.touched = rnd
            self.seq += 1
            ver = rnd * 1000000 + self.seq   # unique per neuron: its owner never repeats it
            body = {"activation_level": round(rng.random(), 6), "access_frequency": ver,
                    "last_activated": "2026-03-04T05:06:07.123456" if rng.random() < 0.5 else None}
            out, _ = self.send(kind, "PUT", f"/memory/neurons/{q(nid)}/state", body, b)
            if out == ACK:
                rec.ver_ack = ver
            elif out == INFLIGHT:
                rec.ver_inflight = ver
        elif kind == "screate":
            b, src = self.some_live()
            tgt = rng.choice(self.live[b])
            sid = self.uniq("ks")
            rec = SynapseRec(b, sid, src, tgt)
            rec.touched = rnd
            L.synapses[(b, sid)] = rec
            body = {"id": sid, "source_id": src, "target_id": tgt, "type": rng.choice(SYNAPSE_TYPES),
                    "weight": round(rng.random(), 4), "metadata": {"marker": sid}}
            out, _ = self.send(kind, "POST", "/memory/synapses", body, b)
            rec.create = out
        elif kind == "ndelete":
            b, nid = self.some_live()
            rec = L.neurons[(b, nid)]
            rec.touched = rnd
            out, _ = self.send(kind, "DELETE", f"/memory/neurons/{q(nid)}", None, b)
            if out in (ACK, INFLIGHT):
                rec.delete = out
            if out == ACK:
                self.live[b].remove(nid)
        else:
            raise AssertionError(kind)
        return out not in (INFLIGHT, NOTSENT)


# ---------------------------------------------------------------------------
# Verification (daemon restarted, no writers).

def get_all(c, path, brain, key, page=None):
    """Every item of a list route, paged with limit/offset when page is set."""
    items, offset = [], 0
    while True:
        query = {"limit": page, "offset": offset} if page else None
        st, obj, raw, _ = c.call("GET", path, brain=brain, query=query)
        if st != 200:
            raise RuntimeError(f"GET {path} ({brain}) -> {st} {raw[:200]!r}")
        got = obj[key]
        if obj.get("count") != len(got):
            raise RuntimeError(f"GET {path} ({brain}): count {obj.get('count')} != {len(got)} items")
        items += got
        if not page or len(got) < page:
            return items
        offset += page


def check_query_finds_encoded(c, brain, recs, rng, per_brain=25):
    """The memory must be findable through the engine (and its index).

    POST /memory/query {"query": <the memory's content>, "reinforce": false}
    (reinforcement off, so the check writes nothing) should list the fiber
    in fibers_matched.  When it does not, the query is repeated with the
    memory's unique marker token alone: found that way, the memory is in
    the search structures (fiber_fts, the marker's neuron) and only the
    engine's ranking of the full text left it out of the top list, which
    is reported as a note, not a failure.  Found by neither, the memory is
    unreachable through the engine -- an index/SQLite inconsistency."""
    problems, notes, checked, by_content = [], [], 0, 0
    sample = sorted(recs, key=lambda r: r.tag)
    if len(sample) > per_brain:
        sample = rng.sample(sample, per_brain)
    for r in sample:
        checked += 1
        found = []
        for text in (r.content, "zq" + r.tag[2:]):
            st, obj, raw, _ = c.call("POST", "/memory/query", {"query": text, "reinforce": False,
                                                                "max_tokens": 5000}, brain=brain)
            if st != 200:
                problems.append(f"query check {brain}: POST /memory/query {text!r} -> {st} {raw[:200]!r}")
                found.append(False)
                break
            found.append(r.fiber_id in obj.get("fibers_matched", []))
            if found[-1]:
                break
        if found[0]:
            by_content += 1
        elif len(found) == 2 and found[1]:
            notes.append(f"query check {brain}: memory {r.tag} (fiber {r.fiber_id}) not in fibers_matched "
                         f"for its full content, found by its marker token (ranking, not consistency)")
        elif not problems or not problems[-1].startswith(f"query check {brain}: POST"):
            problems.append(f"query check {brain}: memory {r.tag} (fiber {r.fiber_id}) found neither by its "
                            f"content nor by its marker token")
    return checked, by_content, notes, problems


class Verifier:
    def __init__(self, port, ledger, brains, rnd, seed):
        self.port, self.L, self.brains, self.rnd = port, ledger, brains, rnd
        self.c = Client(port, timeout=120)
        self.lost = {k: 0 for k in WRITE_KINDS}
        self.phantom = 0
        self.problems = []
        self.inflight_seen = {"applied": 0, "not applied": 0}
        self.query_checked = 0
        self.query_by_content = 0
        self.query_failed = 0
        self.notes = []
        self.rng = random.Random(f"{seed}/verify{rnd}")

    def lose(self, kind, msg):
        self.lost[kind] += 1
        self.problems.append(f"LOST {kind}: {msg}")

    def bad(self, msg):
        self.phantom += 1
        self.problems.append(f"PHANTOM/INCONSISTENT: {msg}")

    def fetch_brain(self, b):
        c = self.c
        st, exp, raw, _ = c.call("GET", f"/brain/{q(b)}/export", brain=b)
        if st != 200:
            raise RuntimeError(f"export {b} -> {st} {raw[:200]!r}")
        view = {
            "neurons": {n["id"]: n for n in exp["neurons"]},
            "synapses": {s["id"]: s for s in exp["synapses"]},
            "fibers": {f["id"]: f for f in exp["fibers"]},
        }
        lists = {
            "neurons": get_all(c, "/memory/neurons", b, "neurons", page=10000),
            "synapses": get_all(c, "/memory/synapses", b, "synapses"),
            "fibers": get_all(c, "/memory/fibers", b, "fibers", page=10000),
        }
        st, stats, raw, _ = c.call("GET", f"/brain/{q(b)}/stats")
        st2, brec, raw2, _ = c.call("GET", f"/brain/{q(b)}")
        if st != 200 or st2 != 200:
            raise RuntimeError(f"stats/brain {b} -> {st} {raw[:200]!r} / {st2} {raw2[:200]!r}")
        for kind in ("neuron", "synapse", "fiber"):
            k = kind + "s"
            n_exp, n_list = len(view[k]), len(lists[k])
            ids_list = {x["id"] for x in lists[k]}
            counts = (stats[f"{kind}_count"], brec[f"{kind}_count"])
            if not (n_exp == n_list == counts[0] == counts[1]) or ids_list != set(view[k]):
                self.bad(f"{b}: {k}: export {n_exp}, GET /memory/{k} {n_list}, stats {counts[0]}, "
                         f"GET /brain {counts[1]}" + ("" if ids_list == set(view[k]) else
                                                     f"; id sets differ by {len(ids_list ^ set(view[k]))}"))
        return view

    def get_by_id(self, jobs):
        """jobs: list of (method path, brain) -> {(path, brain): (status, obj)} using 8 threads."""
        def one(job):
            path, b = job
            cl = local.__dict__.setdefault("c", Client(self.port, timeout=60))
            st, obj, _, _ = cl.call("GET", path, brain=b)
            return job, (st, obj)
        local = threading.local()
        out = {}
        with ThreadPoolExecutor(8) as ex:
            for job, res in ex.map(one, jobs):
                out[job] = res
        return out

    def run(self):
        L, c = self.L, self.c
        st, obj, raw, _ = c.call("GET", "/brains", query={"limit": 1000})
        have = {x["id"] for x in obj["brains"]} if st == 200 else set()
        for b in self.brains:
            if b not in have:
                self.bad(f"brain {b} (create acknowledged) missing from GET /brains")
        views = {b: self.fetch_brain(b) for b in self.brains}

        # GET by id: every state of a present neuron, and every object written this round.
        jobs = []
        for (b, nid), r in L.neurons.items():
            if r.gone:
                continue
            jobs.append((f"/memory/neurons/{q(nid)}/state", b))
            if r.touched == self.rnd:
                jobs.append((f"/memory/neurons/{q(nid)}", b))
        for (b, sid), r in L.synapses.items():
            if not r.gone and r.touched == self.rnd:
                jobs.append((f"/memory/synapses/{q(sid)}", b))
        for tag, r in L.encodes.items():
            if r.fiber_id and r.round == self.rnd:
                jobs.append((f"/memory/fiber/{q(r.fiber_id)}", r.brain))
        byid = self.get_by_id(jobs)

        def agree(path, b, present):
            res = byid.get((path, b))
            if res is None:
                return
            st = res[0]
            if (st == 200) != present or st not in (200, 404):
                self.bad(f"{b}: GET {path} -> {st} but the lists say {'present' if present else 'absent'}")

        # --- neurons
        manual_neurons = set()
        for (b, nid), r in L.neurons.items():
            manual_neurons.add((b, nid))
            if r.gone:
                if nid in views[b]["neurons"]:
                    self.bad(f"{b}: neuron {nid} was gone after an earlier round and is back")
                continue
            n = views[b]["neurons"].get(nid)
            present = n is not None
            agree(f"/memory/neurons/{q(nid)}", b, present)
            stres = byid.get((f"/memory/neurons/{q(nid)}/state", b))
            if stres is not None and (stres[0] == 200) != present:
                self.bad(f"{b}: GET state of {nid} -> {stres[0]}, neuron {'present' if present else 'absent'}")
            if r.create in (NOTSENT, REJECTED):
                if present:
                    self.bad(f"{b}: neuron {nid} exists but its create was {r.create}")
                r.gone = True
                continue
            if r.create == INFLIGHT:
                self.inflight_seen["applied" if present else "not applied"] += 1
                if present and n["content"] != r.create_content:
                    self.bad(f"{b}: neuron {nid} (in-flight create) has content {n['content']!r}, "
                             f"sent {r.create_content!r}")
            elif r.delete == ACK:
                if present:
                    self.lose("ndelete", f"{b}: neuron {nid} deleted (acknowledged) but still present")
            elif r.delete == INFLIGHT:
                self.inflight_seen["applied" if not present else "not applied"] += 1
            elif not present:
                self.lose("ncreate", f"{b}: neuron {nid} (create acknowledged, never deleted) is missing")
            if present:
                allowed = {r.content_ack} | ({r.content_inflight} if r.content_inflight else set())
                if n["content"] not in allowed:
                    self.lose("nupdate", f"{b}: neuron {nid} content {n['content']!r}; last acknowledged "
                                         f"{r.content_ack!r}, in flight {r.content_inflight!r}")
                elif r.content_inflight:
                    self.inflight_seen["applied" if n["content"] == r.content_inflight else "not applied"] += 1
                sres = stres[1] if stres and stres[0] == 200 else None
                ver = sres.get("access_frequency") if sres else None
                allowed_v = {r.ver_ack} | ({r.ver_inflight} if r.ver_inflight else set())
                if ver not in allowed_v:
                    self.lose("state", f"{b}: neuron {nid} state access_frequency {ver}; last acknowledged "
                                       f"{r.ver_ack}, in flight {r.ver_inflight}")
                elif r.ver_inflight:
                    self.inflight_seen["applied" if ver == r.ver_inflight else "not applied"] += 1
                # settle for the next round
                r.content_ack, r.content_inflight = n["content"], None
                r.ver_ack, r.ver_inflight = (ver if ver is not None else r.ver_ack), None
                r.create, r.delete = ACK, None
                lv = L.live.setdefault(r.owner, {x: [] for x in self.brains})[b]
                if nid not in lv:
                    lv.append(nid)
            else:
                r.gone = True
                lv = L.live.get(r.owner, {}).get(b, [])
                if nid in lv:
                    lv.remove(nid)
        for b in self.brains:
            for nid in views[b]["neurons"]:
                if nid.startswith("kn") and (b, nid) not in manual_neurons:
                    self.bad(f"{b}: neuron {nid} exists but was never sent")

        # --- synapses
        for (b, sid), r in L.synapses.items():
            if r.gone:
                if sid in views[b]["synapses"]:
                    self.bad(f"{b}: synapse {sid} was gone after an earlier round and is back")
                continue
            s = views[b]["synapses"].get(sid)
            present = s is not None
            agree(f"/memory/synapses/{q(sid)}", b, present)
            ends = r.src in views[b]["neurons"] and r.tgt in views[b]["neurons"]
            if present and not ends:
                self.bad(f"{b}: synapse {sid} present but an endpoint ({r.src}, {r.tgt}) is gone (no cascade)")
            if r.create in (NOTSENT, REJECTED):
                if present:
                    self.bad(f"{b}: synapse {sid} exists but its create was {r.create}")
            elif r.create == INFLIGHT:
                self.inflight_seen["applied" if present else "not applied"] += 1
            elif not present and ends:
                self.lose("screate", f"{b}: synapse {sid} (create acknowledged, endpoints present) is missing")
            if present and (s["source_id"], s["target_id"]) != (r.src, r.tgt):
                self.bad(f"{b}: synapse {sid} endpoints {s['source_id']}->{s['target_id']}, sent {r.src}->{r.tgt}")
            if present:
                r.create = ACK
            else:
                r.gone = True
        for b in self.brains:
            for sid in views[b]["synapses"]:
                if sid.startswith("ks") and (b, sid) not in L.synapses:
                    self.bad(f"{b}: synapse {sid} exists but was never sent")

        # --- encodes (fibers)
        by_tag = {b: {} for b in self.brains}
        for b in self.brains:
            for f in views[b]["fibers"].values():
                tags = [t for t in f.get("tags", []) if t.startswith("mk")]
                if len(tags) != 1:
                    self.bad(f"{b}: fiber {f['id']} has no single marker tag: {f.get('tags')}")
                    continue
                if tags[0] in by_tag[b]:
                    self.bad(f"{b}: two fibers for memory {tags[0]}: {by_tag[b][tags[0]]['id']}, {f['id']}")
                by_tag[b][tags[0]] = f
        fiber_neurons = {b: set() for b in self.brains}
        for b in self.brains:
            for f in views[b]["fibers"].values():
                fiber_neurons[b].update(f["neuron_ids"])
        recent = {b: [] for b in self.brains}
        for tag, r in L.encodes.items():
            b = r.brain
            f = by_tag[b].pop(tag, None)
            if r.gone:
                if f is not None:
                    self.bad(f"{b}: memory {tag} was absent after an earlier round and is back")
                continue
            if r.create in (NOTSENT, REJECTED):
                if f is not None:
                    self.bad(f"{b}: memory {tag} stored but its encode was {r.create}")
                r.gone = True
                continue
            if r.create == INFLIGHT:
                self.inflight_seen["applied" if f is not None else "not applied"] += 1
            elif f is None:
                self.lose("encode", f"{b}: memory {tag} (fiber {r.fiber_id}, acknowledged) is missing")
            elif f["id"] != r.fiber_id:
                self.lose("encode", f"{b}: memory {tag}: fiber {f['id']} carries the tag, acknowledged {r.fiber_id}")
            if r.fiber_id:
                agree(f"/memory/fiber/{q(r.fiber_id)}", b, f is not None and f["id"] == r.fiber_id)
            if f is None:
                r.gone = True
                continue
            missing_n = [x for x in f["neuron_ids"] if x not in views[b]["neurons"]]
            missing_s = [x for x in f["synapse_ids"] if x not in views[b]["synapses"]]
            if missing_n or missing_s or f["anchor_neuron_id"] not in views[b]["neurons"]:
                self.bad(f"{b}: memory {tag} (fiber {f['id']}) is torn: {len(missing_n)} neurons and "
                         f"{len(missing_s)} synapses it names are missing")
            if r.create == INFLIGHT:
                r.fiber_id = f["id"]
                r.create = ACK
            elif r.round == self.rnd:
                recent[b].append(r)
        for b in self.brains:
            for tag, f in by_tag[b].items():
                self.bad(f"{b}: fiber {f['id']} with tag {tag} was never sent")
            orphans = [nid for nid in views[b]["neurons"]
                       if not nid.startswith("kn") and nid not in fiber_neurons[b]]
            if orphans:
                self.bad(f"{b}: {len(orphans)} engine neurons belong to no fiber (a torn encode?), "
                         f"e.g. {orphans[:3]}")

        # --- query check (through the graph index)
        for b in self.brains:
            n, by_content, notes, probs = check_query_finds_encoded(c, b, recent[b], self.rng)
            self.query_checked += n
            self.query_by_content += by_content
            self.query_failed += len(probs)
            self.problems += probs
            self.notes += notes
        c.close()


# ---------------------------------------------------------------------------

def inject_loss(port, ledger):
    """--inject-loss: simulate two lost acknowledged writes behind the
    ledger's back, so a run proves the verifier notices them."""
    c = Client(port)
    cands = sorted((k for k, r in ledger.neurons.items()
                    if r.create == ACK and r.delete is None and not r.gone and r.content_inflight is None
                    and r.ver_inflight is None), key=lambda k: k[1])
    with_state = [k for k in cands if ledger.neurons[k].ver_ack]
    b, nid = cands[0]
    st, _, _, _ = c.call("DELETE", f"/memory/neurons/{q(nid)}", brain=b)
    print(f"  (--inject-loss: DELETE {b}/{nid} -> {st})")
    if with_state:
        b, nid = with_state[-1]
        st, _, _, _ = c.call("PUT", f"/memory/neurons/{q(nid)}/state", {"access_frequency": 0}, brain=b)
        print(f"  (--inject-loss: PUT state access_frequency 0 on {b}/{nid} -> {st})")
    c.close()


def qcell(r):
    """'found/checked' for the query check, with how many only by marker."""
    cell = f"{r['query_checked'] - r['query_failed']}/{r['query_checked']}"
    if r["query_by_marker_only"]:
        cell += f" ({r['query_by_marker_only']} by marker only)"
    return cell


def brain_of(names, rel):
    base = os.path.basename(rel)
    return names.get(base) or names.get(base[:-3]) or ("catalog" if base == "catalog.db" else "?")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "bin", "nmemd"))
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--brains", type=int, default=4)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds-per-round", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    ap.add_argument("--inject-loss", action="store_true",
                    help="self-test of this script: after the first restart, delete one acknowledged neuron and "
                         "reset one acknowledged neuron state through the API; the run must then report 2 lost "
                         "writes and exit 1")
    a = ap.parse_args()
    if not os.access(a.bin, os.X_OK):
        print(f"kill9: {a.bin} is not an executable (run make, or pass --bin)", file=sys.stderr)
        return 2
    if a.rounds < 1 or a.brains < 1 or a.clients < 1 or a.seconds_per_round <= 0:
        print("kill9: --rounds, --brains, --clients must be >= 1 and --seconds-per-round > 0", file=sys.stderr)
        return 2

    tmp = tempfile.mkdtemp(prefix="nmemd-kill9-")
    data = os.path.join(tmp, "data")
    port = free_port()
    d = Daemon(os.path.abspath(a.bin), data, port, os.path.join(tmp, "nmemd.log"))
    rng = random.Random(a.seed)
    ledger = Ledger()
    brains = [f"kill9-b{i}" for i in range(a.brains)]
    rows, all_problems, all_notes = [], [], []
    failed = False
    print(f"kill9: nmemd {a.bin}, data {data}, port {port}, seed {a.seed}: {a.rounds} rounds x "
          f"{a.clients} clients x {a.brains} brains, ~{a.seconds_per_round} s per round\n", flush=True)
    try:
        d.start()
        c = Client(port)
        for b in brains:
            st, _, raw, _ = c.call("POST", "/brain/create", {"id": b, "name": f"kill -9 test {b}"})
            if st != 200:
                raise RuntimeError(f"POST /brain/create {b} -> {st} {raw[:200]!r}")
        c.close()

        for rnd in range(1, a.rounds + 1):
            secs = a.seconds_per_round * rng.uniform(0.5, 1.5)
            stop, killed = threading.Event(), threading.Event()
            threads = [ClientThread(i, rnd, port, brains, ledger, a.seed, stop, killed) for i in range(a.clients)]
            for t in threads:
                t.start()
            time.sleep(secs)
            killed.set()
            d.kill9()
            stop.set()
            for t in threads:
                t.join(120)
                if t.is_alive():
                    raise RuntimeError(f"{t.name} did not stop after the kill")
            rs = RoundStats()
            for t in threads:
                rs.merge(t.stats)

            integ, names = integrity_check_dir(data, os.path.join(tmp, "icheck"))
            bad_integ = {k: v for k, v in integ.items() if v != "ok"}

            restart_s = d.start()
            if a.inject_loss and rnd == 1:
                inject_loss(port, ledger)
            v = Verifier(port, ledger, brains, rnd, a.seed)
            try:
                v.run()
            except Exception as e:   # a verification that cannot complete is a failure, not a crash
                v.problems.append(f"verification failed: {e!r}")
                v.phantom += 1
            probs = [f"round {rnd}: {p}" for p in v.problems]
            probs += [f"round {rnd}: integrity_check {k} (brain {brain_of(names, k)}): {v_}"
                      for k, v_ in bad_integ.items()]
            probs += [f"round {rnd}: connection error before the kill: {e}" for e in rs.early_errors]
            probs += [f"round {rnd}: rejected write: {s}" for s in rs.rejected_samples]
            all_problems += probs
            all_notes += [f"round {rnd}: {n}" for n in v.notes]
            lost = sum(v.lost.values())
            row = {
                "round": rnd, "kill_after_s": round(secs, 2), "restart_s": round(restart_s, 3),
                "sent": sum(rs.sent.values()), "acknowledged": sum(rs.ack.values()),
                "in_flight_at_kill": sum(rs.inflight.values()), "not_sent": sum(rs.notsent.values()),
                "rejected": sum(rs.rejected.values()), "lost": lost, "lost_by_kind": v.lost,
                "phantom_or_inconsistent": v.phantom,
                "in_flight_outcomes": v.inflight_seen,
                "integrity": "ok" if not bad_integ else bad_integ, "files_checked": len(integ),
                "query_checked": v.query_checked, "query_failed": v.query_failed,
                "query_by_content": v.query_by_content,
                "query_by_marker_only": v.query_checked - v.query_failed - v.query_by_content,
                "by_kind": {k: {"sent": rs.sent[k], "ack": rs.ack[k], "in_flight": rs.inflight[k]}
                            for k in WRITE_KINDS},
                "early_errors": len(rs.early_errors),
            }
            rows.append(row)
            if lost or v.phantom or bad_integ or rs.early_errors or rs.rejected_samples or v.query_failed:
                failed = True
            print(f"round {rnd:2d}: killed after {secs:.2f} s; sent {row['sent']}, acknowledged "
                  f"{row['acknowledged']}, in flight {row['in_flight_at_kill']}, lost {lost}, phantom "
                  f"{v.phantom}, integrity {'ok' if not bad_integ else 'FAILED'} ({len(integ)} files), "
                  f"query {qcell(row)}, restart {restart_s:.2f} s",
                  flush=True)

        rc = d.stop()
        final = {os.path.relpath(p, data): integrity_check_file(p) for p in db_files(data)}
        final_bad = {k: v_ for k, v_ in final.items() if v_ != "ok"}
        if rc != 0:
            failed = True
            all_problems.append(f"final SIGTERM: exit status {rc} (expected 0)")
        if final_bad:
            failed = True
            all_problems += [f"final integrity_check {k}: {v_}" for k, v_ in final_bad.items()]
    except Exception as e:
        failed = True
        all_problems.append(f"aborted: {e!r}")
        rc, final = None, {}
        print(f"kill9: aborted: {e}", file=sys.stderr)
    finally:
        if d.alive():
            d.stop()
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    tot = {k: sum(r[k] for r in rows) for k in ("sent", "acknowledged", "in_flight_at_kill", "not_sent",
                                                 "rejected", "lost", "phantom_or_inconsistent",
                                                 "query_checked", "query_failed", "query_by_content",
                                                 "query_by_marker_only")}
    tot_kind = {k: {m: sum(r["by_kind"][k][m] for r in rows) for m in ("sent", "ack", "in_flight")}
                for k in WRITE_KINDS}
    lost_kind = {k: sum(r["lost_by_kind"][k] for r in rows) for k in WRITE_KINDS}
    infl = {k: sum(r["in_flight_outcomes"][k] for r in rows) for k in ("applied", "not applied")}

    print("\n| round | kill after (s) | writes sent | acknowledged | in flight at kill | lost | phantom/inconsistent "
          "| integrity_check | query check | restart (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in rows:
        integ = f"ok ({r['files_checked']} files)" if r["integrity"] == "ok" else "**FAILED**"
        print(f"| {r['round']} | {r['kill_after_s']:.2f} | {r['sent']} | {r['acknowledged']} | "
              f"{r['in_flight_at_kill']} | {r['lost']} | {r['phantom_or_inconsistent']} | {integ} | "
              f"{qcell(r)} | {r['restart_s']:.2f} |")
    all_ok = all(r["integrity"] == "ok" for r in rows)
    print(f"| **total** | | **{tot['sent']}** | **{tot['acknowledged']}** | **{tot['in_flight_at_kill']}** | "
          f"**{tot['lost']}** | **{tot['phantom_or_inconsistent']}** | {'all ok' if all_ok else '**FAILED**'} | "
          f"{qcell(tot)} | |")
    print("\n| write | sent | acknowledged | in flight at kill | lost |")
    print("|---|---:|---:|---:|---:|")
    for k in WRITE_KINDS:
        print(f"| {k} | {tot_kind[k]['sent']} | {tot_kind[k]['ack']} | {tot_kind[k]['in_flight']} | {lost_kind[k]} |")
    print(f"\nIn-flight writes found after restart: {infl['applied']} applied, {infl['not applied']} not applied "
          f"(both allowed; each all-or-nothing). Not sent: {tot['not_sent']}; rejected (non-2xx): {tot['rejected']}.")
    if final:
        print(f"Final SIGTERM exit status: {rc}; final in-place integrity_check: "
              + ("ok on all " + str(len(final)) + " files" if all(v_ == "ok" for v_ in final.values())
                 else str(final)))
    if all_notes:
        print(f"\nNotes ({len(all_notes)}; not failures):")
        for n in all_notes[:50]:
            print("  - " + n)
    if all_problems:
        print(f"\nProblems ({len(all_problems)}):")
        for p in all_problems[:200]:
            print("  - " + p)
        if len(all_problems) > 200:
            print(f"  ... and {len(all_problems) - 200} more")
    print("\nRESULT: " + ("FAIL" if failed else "PASS"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"args": vars(a), "rounds": rows, "totals": tot, "by_kind": tot_kind,
                       "lost_by_kind": lost_kind, "in_flight_outcomes": infl, "final_sigterm_status": rc,
                       "final_integrity": final, "problems": all_problems, "notes": all_notes, "result": "FAIL" if failed else "PASS"},
                      f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
