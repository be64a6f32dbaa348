"""Benchmark of resolve_customer_cluster with pgbench: 1, 4 and 16 clients.

    .venv/bin/python bench/resolve/run.py [--dsn DSN] [--seconds 10] [--clusters 333334] [--repeat 1]

Workloads (all in tenant 'bench' of a scratch database created on the DSN's server):
  floor      the rows of a new customer (one cluster row + its 2 key rows) written by one
             plain INSERT statement — what a new customer costs at the very least;
  new        resolve of a never-seen buyer (e-mail + phone + name): a new cluster;
  returning  resolve of a known buyer whose golden record would not change (fast path);
  mix        80 % returning, 17 % new, 3 % calls whose keys join two existing clusters;
  mix_generic  mix with 1 % of the returning calls replaced by a new buyer who gives the
             shop's landline, a generic key (its evidence preloaded with 1,000 e-mails):
             the write path records the input and drops the key from linking (SPEC §12).
Two references bound what any PL/pgSQL resolve can reach against the floor (they are not
the package's code; the bench creates them in its scratch database):
  floor_fn   the floor's own statement inside a PL/pgSQL function (with resolve's SET
             clauses): the cost of the function boundary alone;
  floor_norm the same after the three normalizers resolve needs (e-mail, phone, name).
Before those, the returning workload runs at 4 clients on the freshly loaded tenant
(1M keys and their evidence, never analyzed, autovacuum off on those tables) and again
after ANALYZE.
Prints throughput (tps), p50/p99 latency (from pgbench's per-transaction log) and ratios.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from psycopg import sql  # noqa: E402
from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: E402

from harness import migrate  # noqa: E402
from harness.dsn import connect, resolve_dsn  # noqa: E402

BENCH_DB = "omni_identity_bench_resolve"
PGBENCH_CANDIDATES = ["/usr/lib/postgresql/15/bin/pgbench", shutil.which("pgbench") or ""]

PHONE = "'+55119' || (80000000 + :{v})"
NEW_EMAIL = "'n' || CAST(:r AS bigint) || '@new.com'"
NEW_PHONE = "'+55219' || (80000000 + CAST(:r AS bigint) % 10000000)"

SCRIPTS = {
    "floor": f"""\\set r random(1, 1000000000000)
WITH c AS (
    INSERT INTO omni_identity.customer_cluster (tenant_id, last_buyer_email, last_buyer_email_at,
        last_buyer_phone, last_buyer_phone_at, last_buyer_name, last_buyer_name_at)
    VALUES ('floor', {NEW_EMAIL}, now(), {NEW_PHONE}, now(), 'New Buyer', now())
    RETURNING cluster_id)
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
SELECT 'floor', v.t, v.k, c.cluster_id FROM c, (VALUES ('email', {NEW_EMAIL}), ('phone', {NEW_PHONE})) AS v(t, k)
ON CONFLICT DO NOTHING;
""",
    "floor_fn": f"""\\set r random(1, 1000000000000)
SELECT public.bench_floor_fn({NEW_EMAIL}, {NEW_PHONE}, 'New Buyer', false);
""",
    "floor_norm": f"""\\set r random(1, 1000000000000)
SELECT public.bench_floor_fn({NEW_EMAIL}, {NEW_PHONE}, 'New Buyer', true);
""",
    "new": f"""\\set r random(1, 1000000000000)
SELECT omni_identity.resolve_customer_cluster('bench', {NEW_EMAIL}, {NEW_PHONE}, NULL, 'New Buyer', now());
""",
    "returning": f"""\\set i random(1, :n)
SELECT omni_identity.resolve_customer_cluster('bench', 'u' || :i || '@bench.com', {PHONE.format(v='i')}, NULL, 'Old Buyer', '2019-01-01');
""",
    "mix": f"""\\set p random(1, 100)
\\set i random(1, :n)
\\set j random(1, :n)
\\set r random(1, 1000000000000)
\\if :p <= 3
SELECT omni_identity.resolve_customer_cluster('bench', 'u' || :i || '@bench.com', {PHONE.format(v='j')}, NULL, NULL, '2019-01-01');
\\elif :p <= 20
SELECT omni_identity.resolve_customer_cluster('bench', {NEW_EMAIL}, {NEW_PHONE}, NULL, 'New Buyer', now());
\\else
SELECT omni_identity.resolve_customer_cluster('bench', 'u' || :i || '@bench.com', {PHONE.format(v='i')}, NULL, 'Old Buyer', '2019-01-01');
\\endif
""",

    "mix_generic": f"""\\set p random(1, 100)
\\set i random(1, :n)
\\set j random(1, :n)
\\set r random(1, 1000000000000)
\\if :p <= 3
SELECT omni_identity.resolve_customer_cluster('bench', 'u' || :i || '@bench.com', {PHONE.format(v='j')}, NULL, NULL, '2019-01-01');
\\elif :p <= 20
SELECT omni_identity.resolve_customer_cluster('bench', {NEW_EMAIL}, {NEW_PHONE}, NULL, 'New Buyer', now());
\\elif :p = 100
SELECT omni_identity.resolve_customer_cluster('bench', {NEW_EMAIL}, '(11) 3333-4444', NULL, 'Walk-in', now());
\\else
SELECT omni_identity.resolve_customer_cluster('bench', 'u' || :i || '@bench.com', {PHONE.format(v='i')}, NULL, 'Old Buyer', '2019-01-01');
\\endif
""",
}

# The references: the floor's statement as a PL/pgSQL function, without and with the
# normalizers (what resolve must do before anything else).
REFERENCES = """
CREATE FUNCTION public.bench_floor_fn(p_email text, p_phone text, p_name text, p_normalize boolean)
RETURNS uuid LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    v_id uuid;
BEGIN
    IF p_normalize THEN
        p_email := omni_identity.normalize_email(p_email);
        p_phone := omni_identity.normalize_phone(p_phone);
        p_name := omni_identity.golden_name(p_name);
    END IF;
    WITH c AS (
        INSERT INTO omni_identity.customer_cluster (tenant_id, last_buyer_email, last_buyer_email_at,
            last_buyer_phone, last_buyer_phone_at, last_buyer_name, last_buyer_name_at)
        VALUES ('floor', p_email, now(), p_phone, now(), p_name, now())
        RETURNING cluster_id
    ), k AS (
        INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
        SELECT 'floor', v.t, v.k, c.cluster_id FROM c, (VALUES ('email', p_email), ('phone', p_phone)) AS v(t, k)
        ON CONFLICT DO NOTHING
    )
    SELECT c.cluster_id INTO v_id FROM c;
    RETURN v_id;
END;
$fn$
"""

LOAD = """
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at,
    last_buyer_phone, last_buyer_phone_at, last_buyer_document, last_buyer_document_at,
    last_buyer_name, last_buyer_name_at, created_at)
SELECT 'bench', md5('b' || i)::uuid, 'u' || i || '@bench.com', '2020-01-01', '+55119' || (80000000 + i),
       '2020-01-01', (10000000000 + i)::text, '2020-01-01', 'Old Buyer', '2020-01-01',
       '2020-01-01'::timestamptz + i * interval '1 second'
  FROM generate_series(1, %(n)s) AS i
;;
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
SELECT 'bench', k.key_type,
       CASE k.key_type WHEN 'email' THEN 'u' || i || '@bench.com'
                       WHEN 'phone' THEN '+55119' || (80000000 + i)
                       ELSE (10000000000 + i)::text END,
       md5('b' || i)::uuid
  FROM generate_series(1, %(n)s) AS i, unnest(ARRAY['email', 'phone', 'document']) AS k(key_type)
;;
-- Their evidence, as the package records it: each cluster's three pairs and its keys'
-- counters (a returning buyer's pair is known, so its call is the fast path).
INSERT INTO omni_identity.key_pairs (tenant_id, a_type, a_value, b_type, b_value, seen_count,
    first_seen_at, last_seen_at)
SELECT 'bench', p.a_type, p.a_value, p.b_type, p.b_value, 1, '2020-01-01', '2020-01-01'
  FROM generate_series(1, %(n)s) AS i
 CROSS JOIN LATERAL (VALUES ('document', (10000000000 + i)::text, 'email', 'u' || i || '@bench.com'),
                            ('document', (10000000000 + i)::text, 'phone', '+55119' || (80000000 + i)),
                            ('email', 'u' || i || '@bench.com', 'phone', '+55119' || (80000000 + i)))
       AS p(a_type, a_value, b_type, b_value)
;;
INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at, last_seen_at,
    name, name_seen_at, linked_emails, linked_phones, linked_documents)
SELECT 'bench', k.key_type,
       CASE k.key_type WHEN 'email' THEN 'u' || i || '@bench.com'
                       WHEN 'phone' THEN '+55119' || (80000000 + i)
                       ELSE (10000000000 + i)::text END,
       1, '2020-01-01', '2020-01-01', 'Old Buyer', '2020-01-01',
       (k.key_type <> 'email')::integer, (k.key_type <> 'phone')::integer, (k.key_type <> 'document')::integer
  FROM generate_series(1, %(n)s) AS i, unnest(ARRAY['email', 'phone', 'document']) AS k(key_type)
;;
-- The shop's landline of mix_generic: seen with 1,000 e-mails, so generic (threshold 20).
INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at, last_seen_at,
    linked_emails)
VALUES ('bench', 'phone', '+551133334444', 1000, '2020-01-01', '2020-01-01', 1000);
"""


WORKLOADS = ("floor", "floor_fn", "floor_norm", "new", "returning", "mix", "mix_generic")


def pgbench_path() -> str:
    for p in PGBENCH_CANDIDATES:
        if p and os.access(p, os.X_OK):
            return p
    sys.exit("pgbench not found (install postgresql-client or the server package)")


def bench_dsn(dsn: str, name: str) -> str:
    parts = conninfo_to_dict(dsn)
    parts["dbname"] = name
    return make_conninfo(**parts)


def prepare(dsn: str, clusters: int) -> str:
    target = bench_dsn(dsn, BENCH_DB)
    with connect(bench_dsn(dsn, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    migrate.migrate(target)
    with connect(target, autocommit=True) as conn:
        for table in ("customer_cluster", "customer_cluster_keys", "key_pairs", "key_evidence"):
            conn.execute(f"ALTER TABLE omni_identity.{table} SET (autovacuum_enabled = off)")
        for statement in LOAD.split(";;"):
            conn.execute(statement, {"n": clusters})
        conn.execute(REFERENCES)
        conn.execute("CHECKPOINT")
    return target


def run(dsn: str, script: str, clients: int, seconds: int, clusters: int, workdir: Path) -> dict:
    for old in glob.glob(str(workdir / "pgbench_log.*")):
        os.unlink(old)
    path = workdir / f"{script}.sql"
    path.write_text(SCRIPTS[script])
    cmd = [pgbench_path(), "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 4)),
           "-T", str(seconds), "-D", f"n={clusters}", "-l", "-f", str(path), dsn]
    out = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"pgbench failed ({script}, {clients} clients):\n{out.stderr}")
    tps = float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    latencies = []
    for log in glob.glob(str(workdir / "pgbench_log.*")):
        with open(log) as f:
            latencies += [int(line.split()[2]) for line in f if line.strip()]
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return {"tps": tps, "p50": q[49] / 1000, "p99": q[98] / 1000, "n": len(latencies),
            "failed": int(failed.group(1)) if failed else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clusters", type=int, default=333_334, help="clusters preloaded (3 keys each)")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the workloads in turn this many times per client count and report the "
                             "median run of each (steadier ratios on a machine with other load)")
    args = parser.parse_args()
    dsn = resolve_dsn(args.dsn)
    target = prepare(dsn, args.clusters)
    clients = [int(c) for c in args.clients.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fresh = run(target, "returning", 4, args.seconds, args.clusters, work)
        with connect(target, autocommit=True) as conn:
            conn.execute("ANALYZE omni_identity.customer_cluster, omni_identity.customer_cluster_keys,"
                         " omni_identity.key_pairs, omni_identity.key_evidence")
        analyzed = run(target, "returning", 4, args.seconds, args.clusters, work)
        print(f"{3 * args.clusters:,} keys, returning customers, 4 clients: never analyzed {fresh['tps']:.0f} tps "
              f"(p99 {fresh['p99']:.2f} ms), analyzed {analyzed['tps']:.0f} tps (p99 {analyzed['p99']:.2f} ms), "
              f"ratio {fresh['tps'] / analyzed['tps']:.2f}")
        for c in clients:
            runs: dict[str, list[dict]] = {w: [] for w in WORKLOADS}
            for _ in range(args.repeat):
                for w in WORKLOADS:
                    runs[w].append(run(target, w, c, args.seconds, args.clusters, work))
            rows.append((c, {w: sorted(r, key=lambda x: x["tps"])[len(r) // 2] for w, r in runs.items()}))
    print()
    print("| clients | workload | tps | p50 ms | p99 ms | ratio |")
    print("| ---: | --- | ---: | ---: | ---: | --- |")
    for c, res in rows:
        floor = res["floor"]["tps"]
        for w in WORKLOADS:
            r = res[w]
            ratio = {"floor": "1.00 (floor)", "floor_fn": f"{r['tps'] / floor:.2f}× floor",
                     "floor_norm": f"{r['tps'] / floor:.2f}× floor", "new": f"{r['tps'] / floor:.2f}× floor",
                     "returning": f"{r['tps'] / res['new']['tps']:.2f}× new",
                     "mix": f"{r['tps'] / floor:.2f}× floor",
                     "mix_generic": f"{r['tps'] / res['mix']['tps']:.2f}× mix"}[w]
            print(f"| {c} | {w} | {r['tps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {ratio} |"
                  + (f" ({r['failed']} failed)" if r["failed"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
