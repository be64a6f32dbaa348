"""Benchmark of the query API at 1M sales: abstraction_buyer v1/v2 and customer_report v1/v2.

    .venv/bin/omni-identity bench queries             # or: python bench/queries/run.py --dsn DSN

Builds (once; --fresh rebuilds) a scratch database `oi_bench_queries` on the server of
--dsn: 1M sales of one tenant over 200k customers (100 big customers of ~1,000 sales,
each with a merged-away alias not yet reconciled), e-mails typed in mixed case, then
ANALYZE. Measures client-side latency (one connection, round trip included) of:

  floor        a primary-key lookup of one sale (same connection, same way of timing)
  v1/v2 first  first page (50 rows) of a random buyer looked up by e-mail
  v1/v2 deep   page 11 (after 500 rows) of a random big customer
  report v1/v2 customer report of one shop for one month

and prints p50/p95/p99 in ms and as multiples of the floor's p50.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from harness import migrate

DB = "oi_bench_queries"
TENANT = "bench"
SALES = 1_000_000
CUSTOMERS = 200_000
BIG = 100              # customers 1..100 get every 10th sale (~1,000 sales each)


def cluster(expr: str) -> str:
    return f"('00000000-0000-4000-8000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def alias(expr: str) -> str:
    return f"('00000000-0000-4000-9000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def build(dsn: str, fresh: bool) -> str:
    params = conninfo_to_dict(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone()
        if exists and fresh:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(DB)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    params["dbname"] = DB
    bench_dsn = make_conninfo(**params)
    migrate.migrate(bench_dsn)
    with psycopg.connect(bench_dsn, autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM public.omni_sales WHERE tenant_id = %s", (TENANT,)).fetchone()[0]
        if have == SALES:
            return bench_dsn
        print(f"loading {SALES:,} sales (once) ...", flush=True)
        t0 = time.perf_counter()
        conn.execute("DELETE FROM public.omni_sales WHERE tenant_id = %s", (TENANT,))
        for table in ("customer_cluster_keys", "customer_cluster_merges"):
            conn.execute(f"DELETE FROM omni_identity.{table} WHERE tenant_id = %s", (TENANT,))
        conn.execute("DELETE FROM omni_identity.customer_cluster WHERE tenant_id = %s AND merged_into IS NOT NULL", (TENANT,))
        conn.execute("DELETE FROM omni_identity.customer_cluster WHERE tenant_id = %s", (TENANT,))
        conn.execute(f"""
            INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, last_buyer_email, last_buyer_name)
            SELECT %s, {cluster('c')}, 'buyer' || c || '@shop' || c %% 7 || '.com', 'Buyer ' || c
              FROM generate_series(1, {CUSTOMERS}) c""", (TENANT,))
        conn.execute(f"""
            INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, merged_into)
            SELECT %s, {alias('c')}, {cluster('c')} FROM generate_series(1, {BIG}) c""", (TENANT,))
        conn.execute(f"""
            INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster)
            SELECT %s, {alias('c')}, {cluster('c')} FROM generate_series(1, {BIG}) c""", (TENANT,))
        conn.execute(f"""
            INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
            SELECT %s, 'email', 'buyer' || c || '@shop' || c %% 7 || '.com', {cluster('c')}
              FROM generate_series(1, {CUSTOMERS}) c""", (TENANT,))
        # Every 10th sale belongs to a big customer (every 20th of those still on its alias);
        # the rest spread over the other customers.
        conn.execute(f"""
            INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_name, product_id,
                                           status, amount, currency, created_at, customer_hash)
            SELECT %s, 'shop' || g %% 50, g::text,
                   CASE WHEN g %% 3 = 0 THEN upper(e) ELSE e END, 'Buyer ' || c, 'p' || g %% 500,
                   CASE WHEN g %% 13 = 0 THEN 'refunded' ELSE 'paid' END, (g %% 50000) / 100.0, 'BRL',
                   timestamptz '2025-01-01' + g * interval '30 seconds',
                   CASE WHEN c <= {BIG} AND g %% 200 = 0 THEN {alias('c')} ELSE {cluster('c')} END
              FROM generate_series(1, {SALES}) g,
                   LATERAL (SELECT CASE WHEN g %% 10 = 0 THEN 1 + (g / 10) %% {BIG}
                                        ELSE {BIG} + 1 + (g::bigint * 7919) %% ({CUSTOMERS} - {BIG}) END AS c) x,
                   LATERAL (SELECT 'buyer' || x.c || '@shop' || x.c %% 7 || '.com' AS e) y""", (TENANT,))
        conn.execute("VACUUM ANALYZE public.omni_sales")
        for table in ("customer_cluster", "customer_cluster_keys", "customer_cluster_merges"):
            conn.execute(f"ANALYZE omni_identity.{table}")
        print(f"loaded in {time.perf_counter() - t0:.0f} s", flush=True)
    return bench_dsn


def timed(conn, query: str, args_of, n: int) -> list[float]:
    out = []
    for i in range(n):
        args = args_of(i)
        t0 = time.perf_counter()
        conn.execute(query, args).fetchall()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", required=True, help="a database on the server to use (a scratch db is created)")
    ap.add_argument("--fresh", action="store_true", help="rebuild the data set")
    ap.add_argument("--samples", type=int, default=300, help="samples of the fast queries (default 300)")
    ap.add_argument("--slow-samples", type=int, default=3, help="samples of v1 lookups and reports (default 3; a v1 lookup at 1M sales takes tens of seconds)")
    ap.add_argument("--report-samples", type=int, default=20, help="samples of each report (default 20)")
    args = ap.parse_args()
    dsn = build(args.dsn, args.fresh)
    rng = random.Random(42)
    n, slow = args.samples, args.slow_samples

    def email(c: int) -> str:
        return f" Buyer{c}@Shop{c % 7}.com "

    with psycopg.connect(dsn, autocommit=True) as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM public.omni_sales WHERE tenant_id = %s ORDER BY id LIMIT 100000", (TENANT,))]
        buyers = [rng.randint(BIG + 1, CUSTOMERS) for _ in range(max(n, slow))]
        bigs = [rng.randint(1, BIG) for _ in range(max(n, slow))]
        # The cursor after 500 rows of each big customer (taken from v2, same order as v1).
        cursors = {}
        for c in set(bigs):
            row = conn.execute("SELECT created_at, id FROM omni_identity.abstraction_buyer_v2(%s, %s, 500)",
                               (TENANT, Jsonb({"email": email(c)}))).fetchall()[-1]
            cursors[c] = Jsonb({"created_at": row[0].isoformat(), "id": row[1]})
        page = "SELECT * FROM omni_identity.{}(%s, %s, 50, %s)"
        month = {"shop_id": "shop7", "created_from": "2025-03-01T00:00:00Z", "created_to": "2025-04-01T00:00:00Z"}
        # Warm up plans and caches.
        for q in ("abstraction_buyer_v2", "abstraction_buyer_v1"):
            conn.execute(page.format(q), (TENANT, Jsonb({"email": email(BIG + 5)}), None)).fetchall()

        results = {}
        results["floor (pk lookup)"] = timed(
            conn, "SELECT * FROM public.omni_sales WHERE tenant_id = %s AND id = %s",
            lambda i: (TENANT, rng.choice(ids)), n)
        results["v2 buyer, first page"] = timed(
            conn, page.format("abstraction_buyer_v2"), lambda i: (TENANT, Jsonb({"email": email(buyers[i])}), None), n)
        results["v2 buyer, page 11 (big customer)"] = timed(
            conn, page.format("abstraction_buyer_v2"),
            lambda i: (TENANT, Jsonb({"email": email(bigs[i])}), cursors[bigs[i]]), n)
        results["v2 buyer, first page (big customer)"] = timed(
            conn, page.format("abstraction_buyer_v2"), lambda i: (TENANT, Jsonb({"email": email(bigs[i])}), None), n)
        results["v1 buyer, first page"] = timed(
            conn, page.format("abstraction_buyer_v1"), lambda i: (TENANT, Jsonb({"email": email(buyers[i])}), None), slow)
        results["v1 buyer, page 11 (big customer)"] = timed(
            conn, page.format("abstraction_buyer_v1"),
            lambda i: (TENANT, Jsonb({"email": email(bigs[i])}), cursors[bigs[i]]), slow)
        results["report v1, one shop, one month"] = timed(
            conn, "SELECT * FROM omni_identity.customer_report_v1(%s, %s)", lambda i: (TENANT, Jsonb(month)), args.report_samples)
        results["report v2, one shop, one month"] = timed(
            conn, "SELECT * FROM omni_identity.customer_report_v2(%s, %s)", lambda i: (TENANT, Jsonb(month)), args.report_samples)
        report_rows = conn.execute("SELECT count(*), sum(orders) FROM omni_identity.customer_report_v2(%s, %s)",
                                   (TENANT, Jsonb(month))).fetchone()

    floor = statistics.median(results["floor (pk lookup)"])
    print(f"\n{SALES:,} sales, {CUSTOMERS:,} customers; report covers {report_rows[1]:,} sales "
          f"in {report_rows[0]:,} rows; floor p50 = {floor:.3f} ms")
    print(f"{'query':40} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'p50/floor':>10}")
    for name, xs in results.items():
        print(f"{name:40} {len(xs):4d} {pct(xs, 50):9.3f} {pct(xs, 95):9.3f} {pct(xs, 99):9.3f} "
              f"{pct(xs, 50) / floor:10.1f}")
    for what in ("first page", "page 11 (big customer)"):
        v1, v2 = results[f"v1 buyer, {what}"], results[f"v2 buyer, {what}"]
        print(f"v1/v2 speed-up, {what}: p50 {pct(v1, 50) / pct(v2, 50):,.0f}x, p95 {pct(v1, 95) / pct(v2, 95):,.0f}x")
    print(json.dumps({k: {"p50": round(pct(v, 50), 3), "p95": round(pct(v, 95), 3), "p99": round(pct(v, 99), 3)}
                      for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
