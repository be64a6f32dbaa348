"""Server CPU per resolve_customer_cluster call, two versions of the function side by side.

    .venv/bin/python bench/resolve/cpu_per_call.py [--dsn DSN] --base REV|FILE [--calls 1500] [--rounds 5]

Installs the function of the work tree and the one of git revision REV
(functions/resolve/resolve_customer_cluster.sql) under two names in a scratch database
(40,000 preloaded clusters, 120,000 keys), then, round after round and interleaved, runs
each kind of call `--calls` times (autocommit: one transaction per call, as applications
call it) on one connection per version and reads that backend's CPU time from
/proc/<pid>/schedstat (the server must run on this machine). Prints the minimum and the median over
the rounds, in µs per call, and the ratios work tree / REV.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
from datetime import datetime, timedelta, timezone
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from psycopg import sql  # noqa: E402
from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: E402

from harness import migrate  # noqa: E402
from harness.dsn import connect, resolve_dsn  # noqa: E402

DB = "omni_identity_bench_cpu"
FILE = "functions/resolve/resolve_customer_cluster.sql"
CLUSTERS = 40_000
T0 = datetime(2030, 1, 1, tzinfo=timezone.utc)
LOAD = """
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at,
    last_buyer_phone, last_buyer_phone_at, last_buyer_name, last_buyer_name_at, created_at)
SELECT 'cpu', md5('b' || i)::uuid, 'u' || i || '@cpu.com', '2020-01-01', '+55119' || (80000000 + i),
       '2020-01-01', 'Old Buyer', '2020-01-01', '2020-01-01'::timestamptz + i * interval '1 second'
  FROM generate_series(1, %(n)s) AS i
;;
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
SELECT 'cpu', k.key_type, CASE k.key_type WHEN 'email' THEN 'u' || i || '@cpu.com' ELSE '+55119' || (80000000 + i) END,
       md5('b' || i)::uuid
  FROM generate_series(1, %(n)s) AS i, unnest(ARRAY['email', 'phone']) AS k(key_type)
;;
-- Their evidence, as the package records it (a returning buyer's pair is known).
INSERT INTO omni_identity.key_pairs (tenant_id, a_type, a_value, b_type, b_value, seen_count,
    first_seen_at, last_seen_at)
SELECT 'cpu', 'email', 'u' || i || '@cpu.com', 'phone', '+55119' || (80000000 + i), 1, '2020-01-01', '2020-01-01'
  FROM generate_series(1, %(n)s) AS i
;;
INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at, last_seen_at,
    name, name_seen_at, linked_emails, linked_phones)
SELECT 'cpu', k.key_type, CASE k.key_type WHEN 'email' THEN 'u' || i || '@cpu.com' ELSE '+55119' || (80000000 + i) END,
       1, '2020-01-01', '2020-01-01', 'Old Buyer', '2020-01-01',
       (k.key_type = 'phone')::integer, (k.key_type = 'email')::integer
  FROM generate_series(1, %(n)s) AS i, unnest(ARRAY['email', 'phone']) AS k(key_type)
"""


def kinds(i: int, label: str) -> dict[str, tuple]:
    """Arguments of call i of each kind; `label` keeps the two versions' values apart."""
    # Each version its own half of the clusters: a golden change made by one must not
    # turn the other's call into a read-only one.
    old = 1 + (i * 7919) % (CLUSTERS // 2) + (0 if label == "base" else CLUSTERS // 2)
    return {
        "new": (f"n{i}.{label}@new.com", f"+55{21 if label == 'base' else 31}9{80000000 + i}", None, "New Buyer",
                "2024-01-01"),
        "returning": (f"u{old}@cpu.com", f"+55119{80000000 + old}", None, "Old Buyer", "2019-01-01"),
        # A later seen_at each time: the name changes the golden record (the write path).
        "golden": (f"u{old}@cpu.com", None, None, f"Name {label} {i}", T0 + timedelta(seconds=i)),
    }


def cpu_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn")
    parser.add_argument("--base", required=True,
                        help="git revision (or a file) of the version to compare against")
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = resolve_dsn(args.dsn)
    parts = conninfo_to_dict(server)
    with connect(make_conninfo(**{**parts, "dbname": "postgres"}), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    target = make_conninfo(**{**parts, "dbname": DB})
    migrate.migrate(target)
    base = Path(args.base)
    sources = {"base": base.read_text() if base.is_file() else
               subprocess.run(["git", "show", f"{args.base}:{FILE}"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout,
               "tree": (ROOT / FILE).read_text()}
    with connect(target, autocommit=True) as conn:
        for label, text in sources.items():
            conn.execute(text.replace("omni_identity.resolve_customer_cluster(",
                                      f"omni_identity.resolve_{label}("))
        for statement in LOAD.split(";;"):
            conn.execute(statement, {"n": CLUSTERS})
        conn.execute("VACUUM ANALYZE omni_identity.customer_cluster, omni_identity.customer_cluster_keys")
    samples: dict[tuple[str, str], list[float]] = {}
    conns = {label: connect(target, autocommit=True) for label in sources}
    try:
        for r in range(args.rounds):
            for kind in ("new", "returning", "golden"):
                # Alternate which version goes first: neither always runs on a warmer cache.
                for label, conn in (list(conns.items()) if r % 2 == 0 else list(conns.items())[::-1]):
                    call = f"SELECT omni_identity.resolve_{label}('cpu', %s, %s, %s, %s, %s)"
                    base = (r + 1) * 100_000
                    for i in range(5):   # plans cached, generic from the start
                        conn.execute(call, kinds(base + i, label)[kind])
                    pid = conn.info.backend_pid
                    before = cpu_ns(pid)
                    for i in range(10, 10 + args.calls):
                        conn.execute(call, kinds(base + i, label)[kind])
                    samples.setdefault((kind, label), []).append((cpu_ns(pid) - before) / args.calls / 1000)
    finally:
        for conn in conns.values():
            conn.close()
    print(f"server CPU per call, µs ({args.rounds} rounds of {args.calls} calls: minimum, median)")
    print(f"{'kind':<10} {'base ' + args.base:>18} {'work tree':>14} {'ratio min':>10} {'ratio median':>13}")
    for kind in ("new", "returning", "golden"):
        b, t = samples[(kind, "base")], samples[(kind, "tree")]
        print(f"{kind:<10} {min(b):>8.1f} {statistics.median(b):>9.1f} {min(t):>6.1f} {statistics.median(t):>7.1f}"
              f" {min(t) / min(b):>10.2f} {statistics.median(t) / statistics.median(b):>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
