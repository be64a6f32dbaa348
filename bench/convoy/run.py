"""Resolves beside a backfill of the same tenant (issue 11, item 5: the lock convoy).

    .venv/bin/python bench/convoy/run.py [--dsn DSN] [--seconds 15] [--sales 60000] [--clusters 100000]

In tenant 'bench' of a scratch database (omni_identity_bench_convoy, then one clone per
run): --clusters clusters of returning buyers (as bench/resolve loads them) and --sales
raw sales without customer_hash (the demo's data set). pgbench runs resolves at 4 clients
for --seconds, with the CLI's backfill of the same tenant running or not:

  mix      bench/resolve's mix (80 % returning buyers: the read-only fast path, no lock;
           17 % new buyers and 3 % joins: the write path, which holds the tenant's lock
           shared);
  new      new buyers only: every call takes the lock, the worst case beside a batch.

Backfill modes: none; `budget` = the CLI's defaults (batches sized to a 20 ms lock hold);
`10k` = --lock-budget-ms 0 --batch-size 10000 (every batch 10,000 sales, the hold before
this change). Latencies are those of the resolves that ended while the backfill ran.

Idle-transaction case: while `new` runs beside the default backfill, an application
transaction resolves a new buyer (so it holds the tenant's lock shared) and stays open
--idle seconds. Before this change the batch queued for the lock behind it and every
write-path resolve queued behind the batch, for the whole idle time. Reported: resolves
completed during the idle window, their longest latency, and the longest backfill batch
(batch_metrics.duration) of the run — the goal is that no resolve waits longer than one
batch.
Prints a Markdown table for BENCHMARKS.md. Never run by the test suites.
"""
from __future__ import annotations

import argparse
import csv
import glob
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness import demo_data, migrate  # noqa: E402
from harness.testdb import dsn_for, recreate, server_dsn  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_resolve", ROOT / "bench" / "resolve" / "run.py")
resolve_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(resolve_bench)

DB = "omni_identity_bench_convoy"
TENANT = "bench"
CLI = [sys.executable, "-m", "harness.cli"]


def prepare(server: str, sales: int, clusters: int) -> None:
    dsn = recreate(server, DB)
    migrate.migrate(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in resolve_bench.LOAD.split(";;"):
            conn.execute(statement, {"n": clusters})
        cols = "tenant_id, " + ", ".join(demo_data.COLUMNS)
        with conn.cursor().copy(f"COPY public.omni_sales ({cols}) FROM STDIN") as cp:
            for row in demo_data.sales(sales, seed=11, bad_rows=0, rates=(0.95, 0.8, 0.75)):
                cp.write_row([TENANT] + [row[c] if c != "gateway" else (row[c] or "") for c in demo_data.COLUMNS])
        conn.execute("ANALYZE")
        conn.execute("CHECKPOINT")


def pgbench(dsn: str, script: str, seconds: int, clusters: int, work: Path) -> subprocess.Popen:
    for old in glob.glob(str(work / "pgbench_log.*")):
        os.unlink(old)
    path = work / f"{script}.sql"
    path.write_text(resolve_bench.SCRIPTS[script])
    cmd = [resolve_bench.pgbench_path(), "-n", "-M", "prepared", "-c", "4", "-j", "4", "-T", str(seconds),
           "-D", f"n={clusters}", "-l", "-f", str(path), dsn]
    return subprocess.Popen(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def latencies(work: Path) -> list[tuple[float, float]]:
    """(end time in epoch seconds, latency in ms) of every transaction pgbench logged."""
    out = []
    for log in glob.glob(str(work / "pgbench_log.*")):
        with open(log) as f:
            for line in f:
                p = line.split()
                if len(p) >= 6:
                    out.append((int(p[4]) + int(p[5]) / 1e6, int(p[2]) / 1000))
    return out


def quantiles(values: list[float]) -> dict:
    values = sorted(values)
    if len(values) < 2:
        return {"n": len(values), "p50": float("nan"), "p99": float("nan"), "p999": float("nan"),
                "max": values[0] if values else float("nan")}
    q = statistics.quantiles(values, n=1000, method="inclusive")
    return {"n": len(values), "p50": q[499], "p99": q[989], "p999": q[998], "max": values[-1]}


def batch_durations(dsn: str) -> tuple[int, int, float, float]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        n, rows, p50, top = conn.execute(
            "SELECT count(*)::int, coalesce(sum(rows_in), 0)::int,"
            "       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM duration)) * 1000,"
            "       max(extract(epoch FROM duration)) * 1000"
            "  FROM omni_identity.batch_metrics WHERE job = 'backfill'").fetchone()
    return n, rows, p50 or 0.0, top or 0.0


def one_run(server: str, script: str, mode: str, seconds: int, clusters: int, idle: float = 0.0) -> dict:
    name = f"{DB}_run"
    dsn = recreate(server, name, template=DB)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bf = None
        bf_start = bf_end = None
        idle_window = None
        if mode != "none":
            args = ["backfill", "--tenant", TENANT, "--dsn", dsn]
            if mode == "10k":
                args += ["--lock-budget-ms", "0", "--batch-size", "10000"]
            bf_start = time.time()
            bf = subprocess.Popen(CLI + args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        bench = pgbench(dsn, script, seconds, clusters, work)
        if idle:
            time.sleep(min(2.0, seconds / 4))
            with psycopg.connect(dsn) as holder:     # one open transaction, idle after a resolve
                holder.execute("SELECT set_config('app.current_tenant_id', %s, true)", (TENANT,))
                t0 = time.time()
                holder.execute("SELECT omni_identity.resolve_customer_cluster(%s, p_email => 'idle@bench.com')",
                               (TENANT,))
                time.sleep(idle)
                holder.commit()
                idle_window = (t0, time.time())
        out, err = bench.communicate()
        if bench.returncode != 0:
            sys.exit(f"pgbench failed:\n{err}")
        bench_end = time.time()
        if bf is not None:
            if bf.poll() is None:
                bf.terminate()
            bf_out, bf_err = bf.communicate()
            bf_end = min(bench_end, time.time())
            finished = [line for line in bf_out.splitlines() if line.startswith("backfill done")]
            if finished:
                # The backfill ended before pgbench: keep only resolves that ended while it ran.
                bf_end = bf_start + float(finished[0].split(" in ")[1].split("s")[0])
        lat = latencies(work)
        if bf_start is not None:
            lat = [x for x in lat if bf_start <= x[0] <= bf_end]
        res = quantiles([ms for _, ms in lat])
        res.update(script=script, mode=mode)
        if bf is not None:
            res["batches"], res["rows"], res["batch_p50"], res["batch_max"] = batch_durations(dsn)
            res["bf_rate"] = res["rows"] / max(bf_end - bf_start, 1e-6)
        if idle_window:
            inside = [(end, ms) for end, ms in latencies(work) if idle_window[0] <= end - ms / 1000 <= idle_window[1]]
            res["idle_done"] = sum(1 for end, _ in inside if end <= idle_window[1])
            res["idle_max"] = max((ms for _, ms in inside), default=float("nan"))
            res["idle_s"] = idle_window[1] - idle_window[0]
    with psycopg.connect(server, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", help="server DSN (default: the embedded cluster)")
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--sales", type=int, default=60_000)
    ap.add_argument("--clusters", type=int, default=100_000)
    ap.add_argument("--idle", type=float, default=5.0, help="seconds the idle transaction stays open")
    args = ap.parse_args()
    server = args.dsn or server_dsn()
    print(f"preparing {args.clusters:,} clusters and {args.sales:,} raw sales of tenant {TENANT!r} ...", flush=True)
    prepare(server, args.sales, args.clusters)
    runs = []
    for script, mode in (("mix", "none"), ("mix", "budget"), ("new", "none"), ("new", "budget"),
                         ("new", "10k")):
        r = one_run(server, script, mode, args.seconds, args.clusters)
        print(r, flush=True)
        runs.append(r)
    idle = one_run(server, "new", "budget", args.seconds, args.clusters, idle=args.idle)
    print(idle, flush=True)

    print()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min) at the end")
    print()
    print("| resolves (4 clients) | backfill of the same tenant | resolves | p50 ms | p99 ms | p99.9 ms | max ms "
          "| batches: median / max ms | backfill rows/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    label = {"none": "none", "budget": "CLI defaults (20 ms lock budget)", "10k": "10,000-sale batches"}
    for r in runs:
        bf = (f"{r['batch_p50']:.0f} / {r['batch_max']:.0f}", f"{r['bf_rate']:,.0f}") if "batches" in r else ("—", "—")
        print(f"| {r['script']} | {label[r['mode']]} | {r['n']:,} | {r['p50']:.2f} | {r['p99']:.2f} | "
              f"{r['p999']:.2f} | {r['max']:.1f} | {bf[0]} | {bf[1]} |")
    print()
    print(f"Idle transaction ({idle['idle_s']:.1f} s open after a resolve), `new` beside the default backfill: "
          f"{idle['idle_done']:,} resolves started and completed inside the window, the longest took "
          f"{idle['idle_max']:.1f} ms; longest backfill batch of the run {idle['batch_max']:.0f} ms; "
          f"p99.9 of the run {idle['p999']:.2f} ms.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
