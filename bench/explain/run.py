"""Explain and health benchmark (SPEC §13), in one run.

    .venv/bin/python bench/explain/run.py [--sales 1000] [--keys 1000000] [--dsn SERVER_DSN]

On the embedded cluster (or the server of --dsn) it (re)creates the database
omni_identity_bench_explain, migrates it, and measures:

  1. explain_link between random pairs of sales of one --sales-sale cluster, ingested
     with ingest_sales (evidence recorded as in production). The cluster is a random
     tree over its keys: sale i carries key i and an earlier key of the other type (e-mail
     and phone alternate by depth), every key on at most 10 sales, so no key is generic
     and every pair of sales is linked (chains of up to ~20 keys);
  2. top_identifiers(20) on a second tenant whose evidence stands for a 1M-sale shop:
     --keys e-mail keys and --keys/2 phone keys with their counters, keys and clusters,
     written straight with INSERT … SELECT generate_series (ingesting 1M sales through
     the pipeline takes far longer than the measurement needs), then ANALYZE;
  3. floors in the same run, same connection: a primary-key probe of one sale (for 1),
     a primary-key probe of one key_evidence row and a plain count(*) of the tenant's
     key_evidence (what a scan of the evidence would cost) (for 2).
Latency is client-side on one connection (round trip included). Prints a Markdown table
for BENCHMARKS.md. Never run by the test suites.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness import migrate  # noqa: E402
from harness.testdb import recreate, server_dsn  # noqa: E402

DB = "omni_identity_bench_explain"
CLUSTER_TENANT = "loja-explain"
BIG_TENANT = "loja-1m"


def cluster_rows(n: int, seed: int = 7) -> list[dict]:
    """n sales forming one cluster: a random tree over n + 1 keys, sale i = edge (key i, parent)."""
    rnd = random.Random(seed)
    kinds = ["email"]                       # key 0 is an e-mail
    children = [0]
    rows = []
    for i in range(1, n + 1):
        want = "phone" if rnd.random() < 0.5 else "email"
        parents = [j for j in range(i) if kinds[j] != want and children[j] < 9] or \
                  [j for j in range(i) if children[j] < 9]
        parent = rnd.choice(parents)
        kind = "phone" if kinds[parent] == "email" else "email"
        kinds.append(kind)
        children.append(0)
        children[parent] += 1
        keys = {kind: i, kinds[parent]: parent}
        rows.append({"shop_id": "s1", "external_id": f"o-{i}",
                     "buyer_email": f"pessoa{keys['email']}@correio.com.br",
                     "buyer_phone": f"(11) 9{keys['phone'] // 10000:04d}-{keys['phone'] % 10000:04d}",
                     "amount": "10.00", "currency": "BRL",
                     "created_at": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"})
    return rows


def load_big(conn: psycopg.Connection, keys: int) -> None:
    t = BIG_TENANT
    conn.execute(f"""
        INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, created_at)
        SELECT '{t}', ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, timestamptz '2026-01-01'
          FROM generate_series(1, {keys}) g""")
    # E-mail g on cluster g; phone g on cluster 2g. Counters: most keys link 1-2 others, a
    # few hundred junk phones link up to 5,000 e-mails.
    conn.execute(f"""
        INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at,
                                                last_seen_at, linked_emails, linked_phones)
        SELECT '{t}', 'email', 'buyer' || g || '@shop.com', 1 + g % 3, '2026-01-01', '2026-01-02', 0, 1 + (g % 7 = 0)::int
          FROM generate_series(1, {keys}) g""")
    conn.execute(f"""
        INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at,
                                                last_seen_at, linked_emails, linked_phones)
        SELECT '{t}', 'phone', '+55119' || lpad(g::text, 8, '0'), 2,  '2026-01-01', '2026-01-02',
               CASE WHEN g % 2000 = 0 THEN g % 5000 ELSE 2 END, 0
          FROM generate_series(1, {keys // 2}) g""")
    conn.execute(f"""
        INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id, created_at)
        SELECT '{t}', 'email', 'buyer' || g || '@shop.com',
               ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, timestamptz '2026-01-01'
          FROM generate_series(1, {keys}) g
        UNION ALL
        SELECT '{t}', 'phone', '+55119' || lpad(g::text, 8, '0'),
               ('00000000-0000-4000-8000-' || lpad(to_hex(2 * g), 12, '0'))::uuid, timestamptz '2026-01-01'
          FROM generate_series(1, {keys // 2}) g""")


def timings(conn: psycopg.Connection, sql: str, params_list: list[tuple]) -> list[float]:
    out = []
    for p in params_list:
        t0 = time.perf_counter()
        conn.execute(sql, p).fetchall()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def row(name: str, ms: list[float], floor: float) -> str:
    ms = sorted(ms)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    return (f"| {name} | {len(ms)} | {p(0.5):.3f} | {p(0.95):.3f} | {p(0.99):.3f} | "
            f"{p(0.5) / floor:,.0f} |")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=1000)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--dsn", help="server DSN (default: the embedded cluster)")
    args = ap.parse_args()
    server = args.dsn or server_dsn()
    dsn = recreate(server, DB)
    migrate.migrate(dsn)
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = cluster_rows(args.sales)
        conn.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", (CLUSTER_TENANT, json.dumps(rows)))
        t0 = time.monotonic()
        load_big(conn, args.keys)
        t_load = time.monotonic() - t0
        conn.execute("VACUUM ANALYZE")
        ids = [r[0] for r in conn.execute("SELECT id FROM public.omni_sales WHERE tenant_id = %s", (CLUSTER_TENANT,))]
        assert conn.execute("SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE tenant_id = %s",
                            (CLUSTER_TENANT,)).fetchone()[0] == 1
        rnd = random.Random(11)
        pairs = [(CLUSTER_TENANT, rnd.choice(ids), rnd.choice(ids)) for _ in range(args.pairs)]
        lengths = []
        for p in pairs[:50]:
            n = conn.execute("SELECT count(*) FROM omni_identity.explain_link(%s, %s, %s)", p).fetchone()[0]
            assert n > 0, p
            lengths.append(n)
        floor_sale = timings(conn, "SELECT * FROM public.omni_sales WHERE tenant_id = %s AND id = %s",
                             [(CLUSTER_TENANT, rnd.choice(ids)) for _ in range(args.pairs)])
        explain = timings(conn, "SELECT * FROM omni_identity.explain_link(%s, %s, %s)", pairs)
        floor_ev = timings(conn, "SELECT * FROM omni_identity.key_evidence WHERE tenant_id = %s AND key_type = 'email'"
                                 " AND key_value = %s",
                           [(BIG_TENANT, f"buyer{rnd.randint(1, args.keys)}@shop.com") for _ in range(100)])
        count_ev = timings(conn, "SELECT count(*) FROM omni_identity.key_evidence WHERE tenant_id = %s",
                           [(BIG_TENANT,)] * 5)
        top = timings(conn, "SELECT * FROM omni_identity.top_identifiers(%s, 20)", [(BIG_TENANT,)] * 50)
        evidence_rows = conn.execute("SELECT count(*) FROM omni_identity.key_evidence WHERE tenant_id = %s",
                                     (BIG_TENANT,)).fetchone()[0]
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

    fs, fe = statistics.median(floor_sale), statistics.median(floor_ev)
    print(f"uptime before: {uptime_before}")
    print(f"uptime after:  {uptime_after}")
    print(f"cluster: {args.sales} sales, chains of {min(lengths)}..{max(lengths)} keys (mean "
          f"{statistics.mean(lengths):.1f}) over {len(lengths)} sampled pairs")
    print(f"big tenant: {evidence_rows:,} key_evidence rows, loaded in {t_load:.1f} s (INSERT … SELECT)")
    print()
    print("| query | n | p50 ms | p95 ms | p99 ms | p50 / floor |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(row("floor: sale by primary key", floor_sale, fs))
    print(row(f"explain_link, {args.sales}-sale cluster, random pairs", explain, fs))
    print(row("floor: key_evidence by primary key", floor_ev, fe))
    print(row(f"count(*) of the tenant's key_evidence ({evidence_rows:,} rows)", count_ev, fe))
    print(row("top_identifiers(20), 1M-sale tenant", top, fe))
    return 0


if __name__ == "__main__":
    sys.exit(main())
