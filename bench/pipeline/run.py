"""Pipeline benchmark: backfill and reconcile against their floors, in one run.

    .venv/bin/python bench/pipeline/run.py [--sales 1000000] [--resolve-sample 50000] [--dsn SERVER_DSN]

On the embedded cluster (or the server of --dsn) it (re)creates the database
omni_identity_bench_pipeline, migrates it, generates the demo's Brazilian data set
(≈2.3 identifiers per sale: e-mail 95 %, phone 80 %, CPF 75 % of those who have one; cached as a CSV under .omni-identity/bench/) and measures:

  1. floor: COPY of the sales into public.omni_sales (every index, the trigger);
     then backfill_customer_hash(NULL, 10000) until done               → ratio to COPY;
  2. the database is cloned; on one copy the floor is one UPDATE ... FROM that repoints
     every sale on a merged-away cluster; on the other reconcile_merges(5000) until done
     repoints the same rows                                              → ratio to UPDATE;
  3. for contrast, resolve_customer_cluster row by row (one call per sale, autocommit)
     over the first --resolve-sample sales in a fresh tenant, as rows/s.
Prints a Markdown table for BENCHMARKS.md. Never run by the test suites.
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness import citus, demo_data, migrate  # noqa: E402
from harness.testdb import drop, dsn_for, recreate, server_dsn  # noqa: E402

DB = "omni_identity_bench_pipeline"
TENANTS = ("loja-a", "loja-b", "loja-c", "loja-d")


def data_file(n: int) -> Path:
    path = ROOT / ".omni-identity" / "bench" / f"pipeline-{n}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        per = n // len(TENANTS)
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            for k, tenant in enumerate(TENANTS):
                count = per if k < len(TENANTS) - 1 else n - per * (len(TENANTS) - 1)
                for row in demo_data.sales(count, seed=100 + k, bad_rows=0, rates=(0.95, 0.8, 0.75)):
                    w.writerow([tenant] + ["" if row[c] is None else row[c] for c in demo_data.COLUMNS])
        tmp.rename(path)
    return path


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return time.monotonic() - t0, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=1_000_000)
    ap.add_argument("--resolve-sample", type=int, default=50_000)
    ap.add_argument("--dsn", help="server DSN (default: the embedded cluster)")
    args = ap.parse_args()

    server = args.dsn or server_dsn()
    print(f"generating / reading {args.sales} sales ...", flush=True)
    path = data_file(args.sales)
    dsn = recreate(server, DB)
    migrate.migrate(dsn)
    cols = "tenant_id, " + ", ".join(demo_data.COLUMNS)
    results = []

    with psycopg.connect(dsn, autocommit=True) as conn:
        def copy():
            with open(path, "rb") as fh, conn.cursor().copy(
                    f"COPY public.omni_sales ({cols}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (gateway))") as cp:
                while chunk := fh.read(1 << 20):
                    cp.write(chunk)
        t_copy, _ = timed(copy)
        keys = conn.execute(
            "SELECT (count(buyer_email) + count(buyer_phone) + count(buyer_document))::float / count(*)"
            "  FROM public.omni_sales").fetchone()[0]
        print(f"COPY {args.sales} rows: {t_copy:.1f}s ({keys:.2f} raw identifiers per sale)", flush=True)

        def backfill():
            n = 0
            while (k := conn.execute("SELECT omni_identity.backfill_customer_hash(NULL, 10000)").fetchone()[0]):
                n += k
            return n
        t_bf, n_bf = timed(backfill)
        print(f"backfill {n_bf} rows: {t_bf:.1f}s", flush=True)
        results.append(("backfill_customer_hash(NULL, 10000) until 0", f"COPY of {args.sales:,} sales",
                        t_copy, t_bf))
        pending, to_repoint = conn.execute(
            "SELECT (SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE reconciled_at IS NULL),"
            "       (SELECT count(*) FROM public.omni_sales s JOIN omni_identity.customer_cluster c"
            "          ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash"
            "         WHERE c.merged_into IS NOT NULL)").fetchone()
        conn.execute("CHECKPOINT")
    print(f"{pending} merges pending, {to_repoint} sales to repoint", flush=True)

    # Two identical copies of the post-backfill state.
    floor_db = DB + "_floor"
    recreate(server, floor_db, template=DB)
    if citus.enabled():
        # The lab clones a template on every node after closing it to connections
        # (harness/citus.py): open it again, the bench goes on in it.
        for node in citus.node_servers(server):
            with psycopg.connect(node, autocommit=True) as c:
                c.execute(f"ALTER DATABASE {DB} WITH ALLOW_CONNECTIONS true")
    with psycopg.connect(dsn_for(server, floor_db), autocommit=True) as conn:
        t_upd, n_upd = timed(lambda: conn.execute(
            "UPDATE public.omni_sales s SET customer_hash = c.merged_into"
            "  FROM omni_identity.customer_cluster c"
            " WHERE c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash"
            "   AND c.merged_into IS NOT NULL").rowcount)
    with psycopg.connect(dsn, autocommit=True) as conn:
        def reconcile():
            n = 0
            while (k := conn.execute("SELECT omni_identity.reconcile_merges(5000)").fetchone()[0]):
                n += k
            return n
        t_rec, n_rec = timed(reconcile)
        left = conn.execute(
            "SELECT count(*) FROM public.omni_sales s JOIN omni_identity.customer_cluster c"
            "  ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash"
            " WHERE c.merged_into IS NOT NULL").fetchone()[0]
    print(f"UPDATE floor: {n_upd} rows in {t_upd:.2f}s; reconcile: {n_rec} merges in {t_rec:.2f}s ({left} left)",
          flush=True)
    results.append((f"reconcile_merges(5000) until 0 ({n_rec:,} merges)",
                    f"one UPDATE … FROM repointing the same {n_upd:,} sales", t_upd, t_rec))
    drop(server, floor_db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        # Per-batch durations (batch_metrics), for the record.
        for job, n, (p10, p50, p90), top in conn.execute(
                "SELECT job, count(*)::int,"
                "       percentile_cont(ARRAY[0.1, 0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM duration)),"
                "       max(extract(epoch FROM duration))::float"
                "  FROM omni_identity.batch_metrics GROUP BY job ORDER BY job").fetchall():
            print(f"{job} batches: {n}, seconds p10 {p10:.2f} / median {p50:.2f} / p90 {p90:.2f} / max {top:.2f}",
                  flush=True)

    # Row-by-row resolve for contrast, on a sample, in a tenant of its own.
    with psycopg.connect(dsn, autocommit=True) as conn:
        sample = conn.execute(
            "SELECT buyer_email, buyer_phone, buyer_document, buyer_name, created_at FROM public.omni_sales"
            " WHERE tenant_id = %s ORDER BY id LIMIT %s", (TENANTS[0], args.resolve_sample)).fetchall()

        def resolve():
            for e, p, d, nm, at in sample:
                conn.execute("SELECT omni_identity.resolve_customer_cluster('bench-resolve', %s, %s, %s, %s, %s)",
                             (e, p, d, nm, at))
        t_res, _ = timed(resolve)
    rate_res = len(sample) / t_res
    rate_bf = n_bf / t_bf
    print(f"resolve row by row: {len(sample)} calls in {t_res:.1f}s ({rate_res:,.0f}/s)", flush=True)

    print("\n| measure | floor | floor s | measured s | ratio | target |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (what, floor, tf, tm), target in zip(results, ("≤ 8×", "≤ 1.5×")):
        print(f"| {what} | {floor} | {tf:.1f} | {tm:.1f} | {tm / tf:.2f}× | {target} |")
    print(f"| resolve_customer_cluster row by row ({len(sample):,} calls) | backfill rows/s {rate_bf:,.0f} | "
          f"| {t_res:.1f} | {rate_bf / rate_res:.1f}× slower than backfill per row | — |")
    print(f"\nmachine: {os.cpu_count()} cores, {platform.platform()}, "
          f"PostgreSQL {psycopg.connect(dsn).info.server_version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
