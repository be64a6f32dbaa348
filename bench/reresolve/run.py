"""Re-resolution benchmark: the split of one 10,000-sale cluster, in one run.

    .venv/bin/python bench/reresolve/run.py [--sales 10000] [--dsn SERVER_DSN]

On the embedded cluster (or the server of --dsn) it (re)creates the database
omni_identity_bench_reresolve, migrates it and ingests --sales sales of as many different
people who all gave the shop's landline (ingest_sales, 10,000 rows per call: the
evidence is recorded as in production), so they are one customer. Then it measures:

  1. block_identifier on the landline (one transaction);
  2. reconcile_merges(5000) until it returns 0: the split from evidence (one new cluster
     per person, golden records, lineage), then the repoint of every sale by its keys;
  3. floor: on a clone of the database as it was before step 1, one UPDATE that writes
     customer_hash of every sale of the cluster (the least a repoint must write) → ratio.
Prints a Markdown table for BENCHMARKS.md. Never run by the test suites.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness import migrate  # noqa: E402
from harness.testdb import dsn_for, recreate, server_dsn  # noqa: E402

DB = "omni_identity_bench_reresolve"
TENANT = "loja-split"
LANDLINE = "(11) 3456-7890"


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return time.monotonic() - t0, out


def load(dsn: str, n: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        # The landline links them only while it is not generic (SPEC §12: a value shared
        # by more than generic_threshold people never links): the threshold above n.
        conn.execute("SELECT omni_identity.set_setting(%s, 'generic_threshold', %s::jsonb)", (TENANT, str(n + 1)))
        for start in range(0, n, 10_000):
            rows = [{"shop_id": "s1", "external_id": f"o-{i}", "buyer_email": f"pessoa{i}@correio.com.br",
                     "buyer_phone": LANDLINE, "buyer_name": f"Pessoa {i}", "amount": "10.00", "currency": "BRL",
                     "created_at": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"}
                    for i in range(start, min(n, start + 10_000))]
            conn.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", (TENANT, json.dumps(rows)))
        conn.execute("VACUUM ANALYZE")
        clusters = conn.execute("SELECT count(DISTINCT customer_hash) FROM public.omni_sales").fetchone()[0]
        assert clusters == 1, clusters


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=10_000)
    ap.add_argument("--dsn", help="server DSN (default: the embedded cluster)")
    args = ap.parse_args()
    server = args.dsn or server_dsn()
    dsn = recreate(server, DB)
    migrate.migrate(dsn)
    t_load, _ = timed(lambda: load(dsn, args.sales))
    floor_db = DB + "_floor"
    floor_dsn = recreate(server, floor_db, template=DB)

    with psycopg.connect(dsn, autocommit=True) as conn:
        t_block, queued = timed(lambda: conn.execute(
            "SELECT omni_identity.block_identifier(%s, 'phone', %s)", (TENANT, LANDLINE)).fetchone()[0])
        assert queued == 1
        batches = {"split": [0, 0.0], "repoint": [0, 0.0], "other": [0, 0.0]}
        t0 = time.monotonic()
        while True:
            t1 = time.monotonic()
            n, kind = conn.execute("SELECT omni_identity.reconcile_merges(5000),"
                                   " current_setting('omni_identity.reconcile_work', true)").fetchone()
            if n == 0:
                break
            slot = batches.get(kind if kind in batches else "other")
            slot[0] += 1
            slot[1] += time.monotonic() - t1
        t_reconcile = time.monotonic() - t0
        clusters = conn.execute("SELECT count(DISTINCT customer_hash) FROM public.omni_sales").fetchone()[0]
        assert clusters == args.sales, clusters

    with psycopg.connect(floor_dsn, autocommit=True) as conn:
        t_floor, _ = timed(lambda: conn.execute(
            "UPDATE public.omni_sales SET customer_hash = gen_random_uuid() WHERE tenant_id = %s", (TENANT,)))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {floor_db}")

    print(f"host: {platform.node()}, PostgreSQL {psycopg.connect(dsn).info.server_version}, "
          f"sales: {args.sales} (load + evidence {t_load:.1f} s)")
    print("| step | seconds | note |")
    print("| --- | ---: | --- |")
    print(f"| block_identifier (landline of {args.sales} sales) | {t_block:.3f} | key, {args.sales} pairs, evidence removed; 1 cluster queued |")
    print(f"| reconcile: split | {batches['split'][1]:.2f} | {batches['split'][0]} batch(es); {args.sales - 1} new clusters, golden records, lineage |")
    print(f"| reconcile: repoint | {batches['repoint'][1]:.2f} | {batches['repoint'][0]} batch(es) moving sales by their keys |")
    print(f"| **block + reconcile** | **{t_block + t_reconcile:.2f}** | |")
    print(f"| floor: one UPDATE of customer_hash of the {args.sales} sales | {t_floor:.2f} | ratio {(t_block + t_reconcile) / max(t_floor, 1e-6):.1f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
