#!/usr/bin/env python3
"""Black-box HTTP test driver for nmemd.

    python3 tests/http/run.py --bin bin/nmemd [-k SUBSTR] [--backend sqlite|memory|postgres]
                              [--keep] [--list] [-x] [--start-timeout S]

postgres servers each get a fresh database on the PostgreSQL server
NMEMD_TEST_PG names (`make http` starts one: tests/pg/pgtmp.py), else on
one this run starts when it first needs it.

Tests are functions `test_*` in tests/http/test_*.py, run in file order.
A test's parameters select how it runs:

  srv      the module's shared server for one backend (runs once per backend;
           a module may define server_options(backend) -> dict of Server
           keyword arguments, and BACKENDS to restrict backends)
  backend  the backend name (runs once per backend; the test starts its own
           servers with harness.start(backend, ...), stopped afterwards with
           SIGTERM and exit status 0 asserted)
  (none)   runs once

After every test that used the shared server, /health must still answer 200
(nothing crashes). Each server's stderr is checked for sanitizer reports when
it stops. The last line printed is exactly "N passed, M failed"; the exit
status is non-zero when M > 0.
"""
import argparse
import importlib
import inspect
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


class Runner:
    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def report(self, name, error, secs):
        if isinstance(error, harness.Skip):
            self.skipped += 1
            print(f"SKIP {name}: {error}", flush=True)
        elif error is None:
            self.passed += 1
            print(f"PASS {name} ({secs:.2f}s)", flush=True)
        else:
            self.failed += 1
            self.failures.append(name)
            print(f"FAIL {name} ({secs:.2f}s)", flush=True)
            for line in error.rstrip().splitlines():
                print(f"    {line}", flush=True)

    def run_case(self, name, fn, kwargs):
        t0 = time.monotonic()
        error = None
        try:
            fn(**kwargs)
        except harness.Skip as e:
            error = e
        except AssertionError as e:
            tb = traceback.extract_tb(e.__traceback__)
            where = next((f"{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(tb)
                          if os.path.basename(f.filename).startswith("test_")), "")
            error = f"{e}" + (f"\n(at {where})" if where else "")
        except Exception:  # noqa: BLE001 - reported as a failure
            error = traceback.format_exc()
        for s in harness.take_test_servers():
            try:
                s.stop(expect=0)
            except AssertionError as e:
                if error is None or isinstance(error, harness.Skip):
                    error = f"server shutdown: {e}"
            finally:
                s.cleanup()
        return error, time.monotonic() - t0

    def run_module(self, modname):
        mod = importlib.import_module(modname)
        fns = [(n, f) for n, f in vars(mod).items()
               if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == modname]
        fns.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        backends = [b for b in getattr(mod, "BACKENDS", harness.BACKENDS)
                    if self.args.backend in (None, b)]
        plain, per_backend = [], []
        for n, f in fns:
            params = list(inspect.signature(f).parameters)
            (per_backend if ("srv" in params or "backend" in params) else plain).append((n, f, params))

        def selected(name):
            return not self.args.k or any(k in name for k in self.args.k)

        for n, f, params in plain:
            name = f"{modname}::{n}"
            if not selected(name):
                continue
            if self.args.list:
                print(name)
                continue
            err, secs = self.run_case(name, f, {})
            self.report(name, err, secs)
            if err and not isinstance(err, harness.Skip) and self.args.x:
                return False

        for b in backends:
            shared = None
            for n, f, params in per_backend:
                name = f"{modname}::{n}[{b}]"
                if not selected(name) or b not in getattr(f, "backends", (b,)):
                    continue
                if self.args.list:
                    print(name)
                    continue
                kwargs = {}
                t0 = time.monotonic()
                if "backend" in params:
                    kwargs["backend"] = b
                if "srv" in params:
                    if shared is None:
                        opts = mod.server_options(b) if hasattr(mod, "server_options") else {}
                        shared = harness.Server(b, **opts)
                        try:
                            shared.start()
                        except Exception as e:  # noqa: BLE001 - reported as this test's failure
                            shared.cleanup()
                            shared = None
                            self.report(name, f"could not start the shared server: {e!r}",
                                        time.monotonic() - t0)
                            continue
                    kwargs["srv"] = shared
                err, secs = self.run_case(name, f, kwargs)
                if "srv" in params:
                    shared.close_clients()
                    if not shared.healthy():
                        rc = shared.proc.poll()
                        msg = (f"server not healthy after the test (exit status {rc}); stderr tail:\n"
                               f"{shared.log_tail()}")
                        err = (str(err) + "\n" + msg) if err and not isinstance(err, harness.Skip) else msg
                        shared.expect_dead = True
                        try:
                            shared.stop(expect=None)
                        except AssertionError as e:
                            err += f"\n{e}"
                        shared.cleanup()
                        shared = None
                self.report(name, err, secs)
                if err and not isinstance(err, harness.Skip) and self.args.x:
                    if shared:
                        shared.cleanup()
                    return False
            if shared is not None:
                t0 = time.monotonic()
                err = None
                try:
                    shared.stop(expect=0)
                except AssertionError as e:
                    err = str(e)
                finally:
                    shared.cleanup()
                if err:
                    self.report(f"{modname}::<shared server shutdown>[{b}]", err, time.monotonic() - t0)
        return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="bin/nmemd", help="nmemd binary (default bin/nmemd)")
    ap.add_argument("-k", action="append", help="run only tests whose name contains this (repeatable)")
    ap.add_argument("--backend", choices=harness.BACKENDS, help="run only this storage backend")
    ap.add_argument("--keep", action="store_true", help="keep temp data dirs and logs")
    ap.add_argument("--list", action="store_true", help="list test names and exit")
    ap.add_argument("-x", action="store_true", help="stop at the first failure")
    ap.add_argument("--start-timeout", type=float, default=None, help="seconds to wait for /health")
    ap.add_argument("--module", action="append", help="run only these modules (e.g. test_neurons)")
    args = ap.parse_args()

    harness.BIN = os.path.abspath(args.bin)
    harness.KEEP_TMP = args.keep
    if args.start_timeout:
        harness.START_TIMEOUT = args.start_timeout
    elif "asan" in harness.BIN:
        harness.START_TIMEOUT = 60.0

    r = Runner(args)
    if not args.list and not (os.path.isfile(harness.BIN) and os.access(harness.BIN, os.X_OK)):
        r.report("setup", f"nmemd binary not found or not executable: {harness.BIN}", 0.0)
        print(f"{r.passed} passed, {r.failed} failed", flush=True)
        return 1

    mods = sorted(f[:-3] for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))
    if args.module:
        mods = [m for m in mods if m in args.module or m + ".py" in args.module]
    if not args.list:
        print(f"nmemd HTTP tests: {harness.BIN}; modules: {len(mods)}", flush=True)
    for m in mods:
        try:
            if not r.run_module(m):
                break
        except Exception:  # noqa: BLE001 - a broken module is a failure, not a crash
            r.report(f"{m}::<module>", traceback.format_exc(), 0.0)
    if args.list:
        return 0
    if r.failures:
        print("failed tests:", flush=True)
        for n in r.failures:
            print(f"  {n}", flush=True)
    if r.skipped:
        print(f"{r.skipped} skipped (feature not offered by this nmemd build)", flush=True)
    print(f"{r.passed} passed, {r.failed} failed", flush=True)
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
