"""Installing over a busy legacy public.omni_sales: the longest stall the legacy
application sees during each step of migrate and of rollback --all.

    .venv/bin/python bench/legacy/run.py [--dsn DSN] [--rows 1000000] [--reader-seconds 30]

A scratch database on the DSN's server gets a legacy public.omni_sales (the older
system's shape, tests_py/legacy_support.py: no tenant_id, no customer_hash, PRIMARY KEY
(id)) with --rows rows, owned by a legacy LOGIN role that is a member of
omni_identity_admin (as the README asks). While migrate and then rollback --all run:
  writer   the legacy INSERT without tenant_id, one per transaction, in a loop;
  lookups  the legacy SELECT of one sale by id, in a loop (read stalls);
  reader   a legacy report: a transaction that reads the table and stays open
           --reader-seconds, opened just before migrate and again before rollback.
The writer's and the lookups' latencies before migrate are the floor. Each step is a
migration (yoyo's "Applying"/"Rolling back" log lines), the harness's legacy preparation
before 0011, 0014's legacy rollback, or the function files; a statement counts for every
step its run overlaps. Prints per step: its duration and the longest INSERT and lookup.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from harness import migrate  # noqa: E402
from harness.dsn import resolve_dsn  # noqa: E402
from harness.testdb import recreate  # noqa: E402
from tests_py.legacy_support import LegacyWriter, create_legacy, role_dsn  # noqa: E402

BENCH_DB = "omni_identity_bench_legacy"


class Steps(logging.Handler):
    """Start times of the install's steps, from yoyo's log and the harness hooks below."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.marks: list[tuple[float, str]] = []

    def mark(self, label: str) -> None:
        self.marks.append((time.monotonic(), label))

    def emit(self, record):
        msg = record.getMessage()
        if msg.startswith(("Applying ", "Rolling back ")):
            self.mark(msg)


def hook(steps: Steps) -> None:
    def around(name: str, label: str):
        original = getattr(migrate, name)

        def wrapped(*args, **kwargs):
            steps.mark(label)
            try:
                return original(*args, **kwargs)
            finally:
                steps.mark("(between steps)")
        setattr(migrate, name, wrapped)

    around("_prepare_legacy_sales", "legacy preparation (before 0011)")
    around("_rollback_legacy_keys", "Rolling back 0014.add-omni-sales-keys (legacy, concurrent key)")
    around("apply_functions", "function files + grants.sql")


class Lookups(threading.Thread):
    def __init__(self, dsn: str, role: str, rows: int):
        super().__init__(daemon=True)
        self.conn = psycopg.connect(role_dsn(dsn, role), autocommit=True)
        self.rows = rows
        self.stop = threading.Event()
        self.latencies: list[tuple[float, float]] = []
        self.errors: list[BaseException] = []

    def run(self):
        i = 0
        while not self.stop.is_set():
            i = (i * 7919 + 1) % self.rows + 1
            start = time.monotonic()
            try:
                self.conn.execute("SELECT status FROM public.omni_sales WHERE id = %s", (i,)).fetchone()
            except BaseException as exc:
                self.errors.append(exc)
            self.latencies.append((start, time.monotonic() - start))


def report_reader(dsn: str, role: str, seconds: float) -> threading.Thread:
    def run():
        with psycopg.connect(role_dsn(dsn, role)) as conn:
            conn.execute("SELECT count(*) FROM public.omni_sales")
            time.sleep(seconds)   # the report's length, a real duration here (not a test)
            conn.commit()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def per_step(marks, end: float, latencies) -> list[tuple[str, float, float]]:
    spans = [(label, t, marks[i + 1][0] if i + 1 < len(marks) else end) for i, (t, label) in enumerate(marks)]
    out = []
    for label, a, b in spans:
        if label == "(between steps)":
            continue
        overlapping = [d for s, d in latencies if s < b and s + d > a]
        out.append((label, b - a, max(overlapping, default=0.0)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--reader-seconds", type=float, default=30.0)
    args = ap.parse_args()

    server = resolve_dsn(args.dsn)
    dsn = recreate(server, BENCH_DB)
    with psycopg.connect(dsn, autocommit=True) as admin:
        t0 = time.monotonic()
        role = create_legacy(admin, dsn, args.rows)
        print(f"legacy table: {args.rows:,} rows in {time.monotonic() - t0:.1f} s")

    steps = Steps()
    logging.getLogger("yoyo.migrations").addHandler(steps)
    logging.getLogger("yoyo.migrations").setLevel(logging.INFO)
    hook(steps)

    writer = LegacyWriter(dsn, role, update_and_read=False)
    lookups = Lookups(dsn, role, args.rows)
    writer.start()
    lookups.start()
    time.sleep(3)
    floor_w = [d for _, d in writer.latencies]
    floor_l = [d for _, d in lookups.latencies]
    results = {}
    try:
        for phase, run in (("migrate", lambda: migrate.migrate(dsn)),
                           ("rollback --all", lambda: migrate.rollback(dsn, all_=True))):
            steps.marks.clear()
            reader = report_reader(dsn, role, args.reader_seconds)
            time.sleep(0.5)   # the report has its lock before the phase starts
            start = time.monotonic()
            steps.mark(f"{phase}: preflight")
            run()
            end = time.monotonic()
            reader.join()
            results[phase] = (end - start, list(steps.marks), end)
    finally:
        writer.finish()
        lookups.stop.set()
        lookups.join()

    print(f"floor before migrate: INSERT p50 {statistics.median(floor_w) * 1000:.1f} ms, "
          f"max {max(floor_w) * 1000:.1f} ms; lookup by id p50 {statistics.median(floor_l) * 1000:.2f} ms, "
          f"max {max(floor_l) * 1000:.1f} ms")
    print(f"writer: {len(writer.latencies):,} INSERTs, {len(writer.errors)} errors; "
          f"lookups: {len(lookups.latencies):,}, {len(lookups.errors)} errors")
    for exc in (writer.errors + lookups.errors)[:3]:
        print(f"  error: {exc}")
    for phase, (total, marks, end) in results.items():
        print(f"\n{phase}: {total:.1f} s (reader held {args.reader_seconds:g} s from the start)")
        print(f"  {'step':<66} {'step s':>7} {'max INSERT ms':>14} {'max lookup ms':>14}")
        w = per_step(marks, end, writer.latencies)
        r = dict((label, m) for label, _, m in per_step(marks, end, lookups.latencies))
        for label, dur, worst in w:
            print(f"  {label:<66} {dur:7.2f} {worst * 1000:14.1f} {r[label] * 1000:14.1f}")
        print(f"  longest INSERT over the phase: {max(m for _, _, m in w) * 1000:.1f} ms; "
              f"longest lookup: {max(r.values()) * 1000:.1f} ms")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    return 1 if writer.errors or lookups.errors else 0


if __name__ == "__main__":
    sys.exit(main())
