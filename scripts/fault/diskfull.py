#!/usr/bin/env python3
"""diskfull.py — nmemd on a full disk: clean refusals, working reads,
recovery once space is freed, nothing lost or corrupted.

Usage:
    scripts/fault/diskfull.py [--bin PATH] [--size 8M] [--filler 1M] [--json out.json]

Needs root: it mounts a tmpfs of --size (default 8M) on a temporary
directory and uses it as nmemd's data directory.  Not root, or the mount
fails -> it says so and exits 2 (it never asks for a sudo password).
Python 3 standard library only; nmemd runs on a free loopback port, its
log goes outside the tmpfs.  The tmpfs is unmounted and every process it
started is stopped in all cases (try/finally).

Steps and checks
  1. Mount the tmpfs; write a filler file of --filler bytes (default 1/8
     of --size) into it first, so there is space to give back later.
  2. Start nmemd on <tmpfs>/data; create two brains.
  3. Fill: POST /memory/neurons (8 KiB contents, then 1 KiB, then 64 B as
     writes start failing) with an encode every 5th write, until 25 writes
     in a row fail at the smallest size.  Every refusal must be status 503
     or 507 with Content-Type application/json and a body that is exactly
     {"detail": "<string>"}; anything else is reported as a server bug.
  4. While full: the daemon is still running and GET /health, GET /brains,
     GET /brain/{id}, GET /brain/{id}/stats, GET /memory/neurons,
     GET /memory/neurons/{id} (content of an acknowledged write),
     GET /memory/fibers, POST /memory/query {"reinforce": false} and
     GET /brain/{id}/export all answer 200.  Other writes are tried too
     (PUT neuron, PUT state, DELETE neuron, POST synapse, POST encode,
     POST /brain/create, a query with reinforcement on): each must be 2xx
     (then it is acknowledged and checked later) or a 503/507 JSON error.
  5. Remove the filler file: writes must succeed again (within 15 s), then
     20 more of each kind in a row must succeed.
  6. SIGTERM (exit 0 expected), PRAGMA integrity_check on copies of
     catalog.db and every brains/*.db (+ -wal) = ok, restart on the same
     tmpfs, and verify: every acknowledged create present with its
     content, acknowledged updates/state/deletes applied, every refused
     neuron create absent (a failed request changes nothing), stats
     counts = list lengths.

Output: what happened at each step, the statuses seen for refused writes,
and PASS/FAIL.  Exit 0 pass, 1 a check failed (server bug), 2 cannot run.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import Client, Daemon, NoAnswer, NotSent, free_port, integrity_check_dir  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FULL_STATUSES = (503, 507)


def parse_size(s):
    s = s.strip().upper()
    mult = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}.get(s[-1:], 1)
    return int(float(s[:-1] if s[-1:] in "KMG" else s) * mult)


def q(s):
    return urllib.parse.quote(s, safe="")


class Run:
    def __init__(self, port, daemon):
        self.c = Client(port, timeout=60)
        self.d = daemon
        self.problems = []     # server bugs / failed checks
        self.notes = []
        self.refusals = {}     # (op, status, detail) -> count
        self.rng = random.Random(7)
        self.acked_neurons = {}    # (brain, id) -> expected content (None: acknowledged delete)
        self.acked_states = {}     # (brain, id) -> access_frequency
        self.acked_synapses = set()
        self.acked_fibers = {}     # (brain, fiber id) -> content
        self.acked_brains = set()
        self.refused_neurons = set()
        self.refused_brains = set()
        self.n = 0

    def bug(self, msg):
        self.problems.append(msg)
        print("  SERVER BUG / CHECK FAILED: " + msg, flush=True)

    def call(self, method, path, body=None, brain=None, query=None):
        try:
            return self.c.call(method, path, body, brain=brain, query=query)
        except (NotSent, NoAnswer) as e:
            alive = self.d.alive()
            self.bug(f"{method} {path}: no answer ({e}); daemon {'alive' if alive else 'DEAD (crashed)'}")
            if not alive:
                raise RuntimeError("nmemd died") from None
            return None, None, b"", {}

    def write(self, op, method, path, body=None, brain=None):
        """A write; returns the answer object when acknowledged (2xx), None
        when refused.  Checks the shape of refusals."""
        st, obj, raw, hdrs = self.call(method, path, body, brain)
        if st is None:
            return None
        if 200 <= st < 300:
            return obj if isinstance(obj, dict) else {}
        ct = hdrs.get("content-type", "")
        shape_ok = isinstance(obj, dict) and list(obj) == ["detail"] and isinstance(obj["detail"], str)
        detail = obj.get("detail") if isinstance(obj, dict) else raw[:120]
        key = (op, st, str(detail))
        self.refusals[key] = self.refusals.get(key, 0) + 1
        if self.refusals[key] == 1:
            ra = hdrs.get("retry-after")
            print(f"  refused: {method} {path} -> {st} {raw[:160].decode('utf-8', 'replace')}"
                  f"{'  (Retry-After: ' + ra + ')' if ra else ''}", flush=True)
            if st not in FULL_STATUSES:
                self.bug(f"{method} {path} on a full disk -> {st} {raw[:200]!r}; expected 503 or 507 "
                         f"with a JSON detail")
            if not shape_ok or not ct.startswith("application/json"):
                self.bug(f"{method} {path} -> {st}: body {raw[:200]!r}, Content-Type {ct!r}; expected "
                         f"application/json {{\"detail\": str}}")
        return None

    # --- individual writes -------------------------------------------------
    def neuron(self, brain, size):
        self.n += 1
        nid = f"fill-{self.n}"
        content = f"{nid} " + "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(size))
        obj = self.write("POST /memory/neurons", "POST", "/memory/neurons",
                         {"id": nid, "type": "concept", "content": content, "metadata": {"n": self.n}}, brain)
        if obj is not None:
            self.acked_neurons[(brain, nid)] = content
            return True
        self.refused_neurons.add((brain, nid))
        return False

    def encode(self, brain):
        self.n += 1
        content = f"Memory {self.n}: {self.rng.choice(['Alice', 'Bob', 'Lan'])} filled the disk marker zf{self.n}"
        obj = self.write("POST /memory/encode", "POST", "/memory/encode", {"content": content}, brain)
        if obj is not None:
            self.acked_fibers[(brain, obj.get("fiber_id"))] = content
            return True
        return False

    def update(self, brain, nid):
        content = f"{nid} updated {self.rng.getrandbits(32):08x}"
        obj = self.write("PUT /memory/neurons/{id}", "PUT", f"/memory/neurons/{q(nid)}",
                         {"type": "concept", "content": content, "metadata": {}}, brain)
        if obj is not None:
            self.acked_neurons[(brain, nid)] = content
            return True
        return False

    def state(self, brain, nid):
        v = self.rng.randint(1, 10 ** 9)
        obj = self.write("PUT /memory/neurons/{id}/state", "PUT", f"/memory/neurons/{q(nid)}/state",
                         {"access_frequency": v, "activation_level": 0.5}, brain)
        if obj is not None:
            self.acked_states[(brain, nid)] = v
            return True
        return False

    def delete(self, brain, nid):
        obj = self.write("DELETE /memory/neurons/{id}", "DELETE", f"/memory/neurons/{q(nid)}", None, brain)
        if obj is not None:
            self.acked_neurons[(brain, nid)] = None
            self.acked_states.pop((brain, nid), None)
            return True
        return False

    def synapse(self, brain, a, b):
        self.n += 1
        sid = f"syn-{self.n}"
        obj = self.write("POST /memory/synapses", "POST", "/memory/synapses",
                         {"id": sid, "source_id": a, "target_id": b, "type": "related_to"}, brain)
        if obj is not None:
            self.acked_synapses.add((brain, sid, a, b))
            return True
        return False

    def brain_create(self):
        self.n += 1
        bid = f"full-new-{self.n}"
        obj = self.write("POST /brain/create", "POST", "/brain/create", {"id": bid, "name": bid})
        if obj is not None:
            self.acked_brains.add(bid)
            return True
        self.refused_brains.add(bid)
        return False

    def live(self, brain):
        return sorted(nid for (b, nid), cont in self.acked_neurons.items() if b == brain and cont is not None)

    # --- reads ---------------------------------------------------------------
    def reads(self, brains, when):
        ok = True
        checks = [("GET", "/health", None, None), ("GET", "/brains", None, None)]
        for b in brains:
            live = self.live(b)
            checks += [("GET", f"/brain/{q(b)}", None, None), ("GET", f"/brain/{q(b)}/stats", None, None),
                       ("GET", "/memory/neurons?limit=50", None, b), ("GET", "/memory/fibers?limit=50", None, b),
                       ("POST", "/memory/query", {"query": "Who filled the disk?", "reinforce": False}, b),
                       ("GET", f"/brain/{q(b)}/export", None, None)]
            if live:
                checks.append(("GET", f"/memory/neurons/{q(live[-1])}", None, b))
        for method, path, body, b in checks:
            st, obj, raw, _ = self.call(method, path, body, b)
            if st != 200:
                ok = False
                self.bug(f"{when}: read {method} {path} -> {st} {raw[:200]!r}; expected 200")
            elif path.startswith("/memory/neurons/") and obj.get("content") != self.acked_neurons[(b, path.rsplit('/', 1)[1])]:
                ok = False
                self.bug(f"{when}: GET {path} content differs from the acknowledged write")
        return ok, len(checks)


def disk_usage(mnt):
    """'name size, ...' for every file in the tmpfs (largest first)."""
    files = []
    for dp, _, fns in os.walk(mnt):
        for fn in fns:
            path = os.path.join(dp, fn)
            try:
                files.append((os.path.getsize(path), os.path.relpath(path, mnt)))
            except OSError:
                pass
    files.sort(reverse=True)
    st = os.statvfs(mnt)
    return (f"free {st.f_bavail * st.f_frsize} B; files: "
            + ", ".join(f"{n} {sz // 1024}K" for sz, n in files if sz >= 1024))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "bin", "nmemd"))
    ap.add_argument("--size", default="8M", help="tmpfs size (K/M/G suffixes)")
    ap.add_argument("--filler", default=None, help="bytes written before nmemd starts and removed to free space "
                                                   "(default: size/8, at least 256K)")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args()
    size = parse_size(a.size)
    filler_bytes = parse_size(a.filler) if a.filler else max(256 * 1024, size // 8)
    if not os.access(a.bin, os.X_OK):
        print(f"diskfull: {a.bin} is not an executable (run make, or pass --bin)", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("diskfull: needs root to mount a tmpfs (run it as root; it does not use sudo). Not run.",
              file=sys.stderr)
        return 2

    work = tempfile.mkdtemp(prefix="nmemd-diskfull-")
    mnt = os.path.join(work, "mnt")
    os.makedirs(mnt)
    mounted = False
    d = None
    result = {"size": a.size, "filler_bytes": filler_bytes}
    r = None
    try:
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", mnt],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"diskfull: mount -t tmpfs failed (status {p.returncode}): {p.stderr.strip()}. Not run.",
                  file=sys.stderr)
            return 2
        mounted = True
        filler = os.path.join(mnt, "filler.bin")
        with open(filler, "wb") as f:
            f.write(os.urandom(filler_bytes))
        data = os.path.join(mnt, "data")
        port = free_port()
        d = Daemon(os.path.abspath(a.bin), data, port, os.path.join(work, "nmemd.log"))
        d.start()
        r = Run(port, d)
        print(f"diskfull: tmpfs {a.size} at {mnt}, filler {filler_bytes} bytes, nmemd on port {port}", flush=True)
        brains = ["full-a", "full-b"]
        for b in brains:
            if r.write("POST /brain/create", "POST", "/brain/create", {"id": b, "name": b}) is None:
                raise RuntimeError(f"could not create brain {b} on an empty tmpfs")

        # 3. fill
        print("step 3: filling the disk", flush=True)
        sizes = [8192, 1024, 64]
        si, fails_in_row, acked_fill, writes = 0, 0, 0, 0
        t0 = time.monotonic()
        while writes < 50000:
            b = brains[writes % 2]
            writes += 1
            okw = r.encode(b) if writes % 5 == 0 else r.neuron(b, sizes[si])
            if okw:
                acked_fill += 1
                fails_in_row = 0
            else:
                fails_in_row += 1
                if fails_in_row >= 25:
                    if si == len(sizes) - 1:
                        break
                    si += 1
                    fails_in_row = 0
        st = os.statvfs(mnt)
        result["fill"] = {"writes": writes, "acknowledged": acked_fill, "seconds": round(time.monotonic() - t0, 2),
                          "free_bytes_after": st.f_bavail * st.f_frsize}
        result["fill"]["usage"] = disk_usage(mnt)
        print(f"  {writes} writes, {acked_fill} acknowledged; {result['fill']['usage']}", flush=True)
        if fails_in_row < 25:
            r.bug("the disk never filled: writes kept succeeding")
        if not d.alive():
            raise RuntimeError("nmemd died while filling")

        # 4. full: reads and other writes
        print("step 4: reads and other writes while full", flush=True)
        ok1, n1 = r.reads(brains, "while full")
        other = {}
        b = brains[0]
        live = r.live(b)
        other["PUT neuron"] = r.update(b, live[0])
        other["PUT state"] = r.state(b, live[1])
        other["POST synapse"] = r.synapse(b, live[2], live[3])
        other["DELETE neuron"] = r.delete(b, live[4])
        other["POST encode"] = r.encode(b)
        other["POST /brain/create"] = r.brain_create()
        stq, objq, rawq, hq = r.call("POST", "/memory/query", {"query": "Who filled the disk?"}, b)
        other["POST query (reinforce on)"] = f"{stq} {rawq[:100].decode('utf-8', 'replace')}"
        if stq != 200 and (stq not in FULL_STATUSES or not isinstance(objq, dict) or list(objq) != ["detail"]):
            r.bug(f"POST /memory/query (reinforce on) while full -> {stq} {rawq[:200]!r}")
        ok2, n2 = r.reads(brains, "while full, after the other writes")
        result["while_full"] = {"reads_ok": ok1 and ok2, "reads": n1 + n2,
                                "other_writes_acknowledged": other, "daemon_alive": d.alive()}
        print(f"  reads: {'all 200' if ok1 and ok2 else 'FAILED'} ({n1 + n2}); other writes acknowledged: {other}",
              flush=True)
        if not d.alive():
            raise RuntimeError("nmemd died while full")

        # 5. free space
        print("step 5: removing the filler file", flush=True)
        os.remove(filler)
        print(f"  {disk_usage(mnt)}", flush=True)
        t1 = time.monotonic()
        recovered = None
        attempts = 0
        while time.monotonic() - t1 < 15:
            attempts += 1
            if r.neuron(brains[0], 64):
                recovered = time.monotonic() - t1
                break
            time.sleep(0.1)
        after = {"first_write_after_s": None if recovered is None else round(recovered, 3), "attempts": attempts}
        if recovered is None:
            r.bug("writes still fail 15 s after space was freed")
        else:
            # 20 rounds of six kinds of write, then a brain create; for every
            # refusal note the free space at that moment, to tell "refused
            # although there was room" from "the disk was full again".
            def free_now():
                st_ = os.statvfs(mnt)
                return st_.f_bavail * st_.f_frsize
            fails, free_at_fail, first_fail = 0, [], None
            done = 0
            for i in range(20):
                b = brains[i % 2]
                live = r.live(b)
                pick = [live[(i + k) % len(live)] for k in range(3)]
                for w in (lambda: r.neuron(b, 256), lambda: r.encode(b), lambda: r.update(b, pick[0]),
                          lambda: r.state(b, pick[1]), lambda: r.synapse(b, pick[0], pick[2]),
                          lambda: r.delete(b, live[-1])):
                    okw = w()
                    done += 1
                    if not okw:
                        fails += 1
                        free_at_fail.append(free_now())
                        if first_fail is None:
                            first_fail = done
            done += 1
            if not r.brain_create():
                fails += 1
                free_at_fail.append(free_now())
                first_fail = first_fail or done
            after["writes_after_recovery"] = done
            after["failed_after_recovery"] = fails
            after["first_failure_at_write"] = first_fail
            roomy = [f for f in free_at_fail if f >= 256 * 1024]
            after["refused_with_256K_or_more_free"] = len(roomy)
            after["min_free_at_refusal"] = min(free_at_fail) if free_at_fail else None
            if roomy:
                r.bug(f"after space was freed, {len(roomy)} writes were refused although >= 256 KiB were free "
                      f"(free at those refusals: {sorted(set(roomy))[:5]})")
            if fails > len(roomy):
                r.bug(f"recovery not sustained: after the filler ({filler_bytes} B) was removed, write "
                      f"#{first_fail} of {done} failed again and {fails - len(roomy)} were refused with the disk "
                      f"full again (free {min(free_at_fail)} B): the freed space went to WAL growth "
                      f"({disk_usage(mnt)})")
        after["usage"] = disk_usage(mnt)
        print(f"  {after['usage']}", flush=True)
        ok3, n3 = r.reads(brains, "after freeing space")
        after["reads_ok"] = ok3
        result["after_free"] = after
        print(f"  first write succeeded after {after['first_write_after_s']} s ({attempts} attempts); "
              f"then {after.get('writes_after_recovery', 0) - after.get('failed_after_recovery', 0)}/"
              f"{after.get('writes_after_recovery', 0)} writes ok", flush=True)

        # 6. restart and verify
        print("step 6: SIGTERM, integrity_check, restart, verify", flush=True)
        rc = d.stop()
        r.c.close()   # its keep-alive connection belonged to the stopped process
        if rc != 0:
            r.bug(f"SIGTERM: exit status {rc}, expected 0")
        integ, _ = integrity_check_dir(data, os.path.join(work, "icheck"))
        result["integrity"] = integ
        print(f"  integrity_check: " + ", ".join(f"{k} {v}" for k, v in integ.items()), flush=True)
        for k, v in integ.items():
            if v != "ok":
                r.bug(f"integrity_check {k}: {v}")
        d.start()
        c = r.c
        lost = 0
        for (b, nid), cont in sorted(r.acked_neurons.items()):
            st, obj, raw, _ = r.call("GET", f"/memory/neurons/{q(nid)}", brain=b)
            if cont is None and st != 404:
                lost += 1
                r.bug(f"after restart: neuron {b}/{nid} deleted (acknowledged) but GET -> {st}")
            elif cont is not None and (st != 200 or obj.get("content") != cont):
                lost += 1
                r.bug(f"after restart: neuron {b}/{nid} acknowledged, GET -> {st}"
                      + ("" if st != 200 else " with other content"))
        for (b, nid), v in sorted(r.acked_states.items()):
            st, obj, raw, _ = r.call("GET", f"/memory/neurons/{q(nid)}/state", brain=b)
            if st != 200 or obj.get("access_frequency") != v:
                lost += 1
                r.bug(f"after restart: state of {b}/{nid}: GET -> {st} {raw[:120]!r}, expected access_frequency {v}")
        for (b, sid, x, y) in sorted(r.acked_synapses):
            st, obj, raw, _ = r.call("GET", f"/memory/synapses/{q(sid)}", brain=b)
            gone_end = r.acked_neurons.get((b, x), "") is None or r.acked_neurons.get((b, y), "") is None
            if (st != 200) != gone_end:
                lost += 1
                r.bug(f"after restart: synapse {b}/{sid} -> {st} (endpoint deleted: {gone_end})")
        for (b, fid), cont in sorted(r.acked_fibers.items()):
            st, obj, raw, _ = r.call("GET", f"/memory/fiber/{q(fid)}", brain=b)
            if st != 200:
                lost += 1
                r.bug(f"after restart: memory {cont!r} (fiber {fid}) acknowledged, GET -> {st}")
        for bid in sorted(r.acked_brains):
            st, _, _, _ = r.call("GET", f"/brain/{q(bid)}")
            if st != 200:
                lost += 1
                r.bug(f"after restart: brain {bid} acknowledged, GET -> {st}")
        phantom = 0
        for (b, nid) in sorted(r.refused_neurons):
            st, _, _, _ = r.call("GET", f"/memory/neurons/{q(nid)}", brain=b)
            if st != 404:
                phantom += 1
                r.bug(f"after restart: neuron {b}/{nid} was refused but exists (GET -> {st})")
        for bid in sorted(r.refused_brains - r.acked_brains):
            st, _, _, _ = r.call("GET", f"/brain/{q(bid)}")
            if st != 404:
                phantom += 1
                r.bug(f"after restart: brain {bid} was refused but exists (GET -> {st})")
        st, lb, _, _ = r.call("GET", "/brains", query={"limit": 1000})
        listed = {x["id"] for x in lb["brains"]} if st == 200 else set()
        if listed != set(brains) | r.acked_brains:
            r.bug(f"after restart: GET /brains lists {sorted(listed)}, expected {sorted(set(brains) | r.acked_brains)}")
        for b in brains:
            st, stats, _, _ = r.call("GET", f"/brain/{q(b)}/stats")
            st2, lst, _, _ = r.call("GET", "/memory/neurons", brain=b, query={"limit": 10000})
            st3, syn, _, _ = r.call("GET", "/memory/synapses", brain=b)
            st4, fib, _, _ = r.call("GET", "/memory/fibers", brain=b, query={"limit": 10000})
            if (stats["neuron_count"], stats["synapse_count"], stats["fiber_count"]) != \
                    (lst["count"], syn["count"], fib["count"]):
                r.bug(f"after restart: {b} stats {stats} vs lists {lst['count']}/{syn['count']}/{fib['count']}")
        result["verify"] = {"acknowledged_neurons": len(r.acked_neurons), "acknowledged_states": len(r.acked_states),
                            "acknowledged_synapses": len(r.acked_synapses), "acknowledged_fibers": len(r.acked_fibers),
                            "acknowledged_brains": len(r.acked_brains), "lost": lost,
                            "refused_creates_checked": len(r.refused_neurons) + len(r.refused_brains),
                            "refused_but_present": phantom}
        print(f"  acknowledged: {len(r.acked_neurons)} neurons (incl. deletes), {len(r.acked_states)} states, "
              f"{len(r.acked_synapses)} synapses, {len(r.acked_fibers)} memories, {len(r.acked_brains)} new brains; "
              f"lost {lost}; refused creates present {phantom}/{len(r.refused_neurons) + len(r.refused_brains)}", flush=True)
        c.close()
        rc2 = d.stop()
        if rc2 != 0:
            r.bug(f"final SIGTERM: exit status {rc2}, expected 0")
    except Exception as e:
        if r is None:
            r = Run(0, d)
        r.bug(f"aborted: {e!r}")
        if d is not None:
            print("nmemd log tail:\n" + d.log_tail(), file=sys.stderr)
    finally:
        if d is not None and d.alive():
            d.stop()
        if mounted:
            for _ in range(20):
                if subprocess.run(["umount", mnt], capture_output=True).returncode == 0:
                    mounted = False
                    break
                time.sleep(0.25)
            if mounted:
                subprocess.run(["umount", "-l", mnt], capture_output=True)
                print(f"diskfull: warning: {mnt} needed a lazy unmount", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)

    result["refusals"] = [{"op": op, "status": st, "detail": det, "count": n}
                          for (op, st, det), n in sorted(r.refusals.items())]
    result["problems"] = r.problems
    print("\nRefused writes while the disk was full:")
    print("| write | status | detail | count |")
    print("|---|---:|---|---:|")
    for x in result["refusals"]:
        print(f"| {x['op']} | {x['status']} | {x['detail'][:90]} | {x['count']} |")
    if r.problems:
        print(f"\nProblems ({len(r.problems)}):")
        for p_ in r.problems:
            print("  - " + p_)
    failed = bool(r.problems)
    print("\nRESULT: " + ("FAIL" if failed else "PASS"))
    result["result"] = "FAIL" if failed else "PASS"
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
