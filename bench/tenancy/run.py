"""What row-level security costs: the same calls as a superuser (RLS bypassed — the floor)
and as an application login (RLS applied, the package's functions running as the caller).

    .venv/bin/python bench/tenancy/run.py [--dsn DSN] [--seconds 5] [--clusters 100000]

A scratch database on the DSN's server holds two tenants with the same identifiers
('bench' and 'other', --clusters clusters with one e-mail key each and two sales per
cluster in each tenant), analyzed. Each workload runs with pgbench at one client for
--seconds, first as the superuser of the DSN, then as a LOGIN role IN ROLE
omni_identity_app, both with the session tenant set at connection time
(PGOPTIONS='-c app.current_tenant_id=bench'). Workloads:
  lookup      one key probe written by hand (SELECT ... customer_cluster_keys WHERE pk);
  resolve     resolve_customer_cluster of a known buyer, seen before its golden record
              (the read-only fast path: two key probes and a cluster probe);
  buyer_v2    abstraction_buyer_v2 by e-mail (the key, then the cluster's sales).
Prints tps and p50/p99 per role, and the ratio of the application's tps to the floor's.
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

BENCH_DB = "omni_identity_bench_tenancy"
APP_LOGIN = "omni_identity_bench_app"
PGBENCH_CANDIDATES = ["/usr/lib/postgresql/15/bin/pgbench", shutil.which("pgbench") or ""]

LOAD = """
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at)
SELECT t, gen_random_uuid(), 'u' || g || '@bench.com', timestamptz '2020-01-01'
  FROM unnest(ARRAY['bench', 'other']) t, generate_series(1, %(n)s) g;;
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
SELECT tenant_id, 'email', last_buyer_email, cluster_id FROM omni_identity.customer_cluster;;
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, amount, created_at, customer_hash)
SELECT c.tenant_id, 'shop', c.last_buyer_email || '-' || s, c.last_buyer_email, 10,
       timestamptz '2026-01-01' + s * interval '1 day', c.cluster_id
  FROM omni_identity.customer_cluster c, generate_series(1, 2) s;;
ANALYZE omni_identity.customer_cluster;;
ANALYZE omni_identity.customer_cluster_keys;;
ANALYZE public.omni_sales
"""

SCRIPTS = {
    "lookup": """\\set i random(1, :n)
SELECT cluster_id FROM omni_identity.customer_cluster_keys
 WHERE tenant_id = 'bench' AND key_type = 'email' AND key_value = 'u' || :i || '@bench.com';
""",
    "resolve": """\\set i random(1, :n)
SELECT omni_identity.resolve_customer_cluster('bench', 'u' || :i || '@bench.com', p_seen_at => '2019-01-01');
""",
    "buyer_v2": """\\set i random(1, :n)
SELECT count(*) FROM omni_identity.abstraction_buyer_v2('bench', jsonb_build_object('email', 'u' || :i || '@bench.com'));
""",
}


def pgbench_path() -> str:
    for p in PGBENCH_CANDIDATES:
        if p and os.access(p, os.X_OK):
            return p
    sys.exit("pgbench not found (install postgresql-client or the server package)")


def with_parts(dsn: str, **parts) -> str:
    d = conninfo_to_dict(dsn)
    d.update(parts)
    return make_conninfo(**d)


def prepare(dsn: str, clusters: int) -> str:
    target = with_parts(dsn, dbname=BENCH_DB)
    with connect(with_parts(dsn, dbname="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_LOGIN,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE omni_identity_app").format(sql.Identifier(APP_LOGIN)))
    migrate.migrate(target)
    with connect(target, autocommit=True) as conn:
        for statement in LOAD.split(";;"):
            conn.execute(statement, {"n": clusters})
        conn.execute("CHECKPOINT")
    return target


def drop(dsn: str) -> None:
    with connect(with_parts(dsn, dbname="postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(APP_LOGIN)))


def run(dsn: str, script: str, seconds: int, clusters: int, workdir: Path) -> dict:
    for old in glob.glob(str(workdir / "pgbench_log.*")):
        os.unlink(old)
    path = workdir / f"{script}.sql"
    path.write_text(SCRIPTS[script])
    env = dict(os.environ, PGOPTIONS="-c app.current_tenant_id=bench")
    cmd = [pgbench_path(), "-n", "-M", "prepared", "-c", "1", "-T", str(seconds), "-D", f"n={clusters}",
           "-l", "-f", str(path), dsn]
    out = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"pgbench failed ({script}):\n{out.stderr}")
    tps = float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout).group(1))
    latencies = []
    for log in glob.glob(str(workdir / "pgbench_log.*")):
        with open(log) as f:
            latencies += [int(line.split()[2]) for line in f if line.strip()]
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {"tps": tps, "p50": q[49] / 1000, "p99": q[98] / 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--clusters", type=int, default=100_000, help="clusters per tenant (1 key, 2 sales each)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and login")
    args = parser.parse_args()

    dsn = resolve_dsn(args.dsn)
    target = prepare(dsn, args.clusters)
    roles = {"superuser (floor)": target, "application login": with_parts(target, user=APP_LOGIN)}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{'workload':<10} {'role':<20} {'tps':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs floor':>9}")
            for script in SCRIPTS:
                floor = None
                for role, role_dsn in roles.items():
                    r = run(role_dsn, script, args.seconds, args.clusters, Path(tmp))
                    floor = floor or r["tps"]
                    print(f"{script:<10} {role:<20} {r['tps']:>9.0f} {r['p50']:>8.3f} {r['p99']:>8.3f} "
                          f"{r['tps'] / floor:>9.2f}", flush=True)
    finally:
        if not args.keep:
            drop(dsn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
