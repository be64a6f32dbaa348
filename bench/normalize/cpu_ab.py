"""Two versions of the normalizers side by side: the backend's CPU time per row over the
same realistic rows (run.py's `inputs()`), this tree's functions against a git revision's.

    .venv/bin/python bench/normalize/cpu_ab.py [--dsn DSN] [--base main] [--rows 200000] [--rounds 9]

For a busy machine, where run.py's wall-clock ratios move by several floors: two scratch
databases (UTF8, C locale) on the DSN's server, one migrated from this tree and one from
`git archive <base>`, the same rows in each; every function runs as
`SELECT count(f(col))` in both, rounds interleaved (base first on odd rounds), and the
CPU time of each backend (/proc/<pid>/schedstat: the server must run on this machine) is
read around each query; the minimum over the rounds is kept. Prints ns per row for each
version, their ratio, and the floor `count(lower(col))` of each as a check that both
databases ran alike.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from psycopg import sql  # noqa: E402
from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: E402

import run as bench  # noqa: E402
from harness import migrate  # noqa: E402
from harness.dsn import connect, resolve_dsn  # noqa: E402

CASES = bench.CASES + [("golden_name", "name", "omni_identity.golden_name(name)")]


def backend_cpu_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn")
    ap.add_argument("--base", default="main", help="git revision to compare with (default: main)")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args(argv)

    server = resolve_dsn(args.dsn)
    names = {"base": "omni_identity_bench_ab_base", "this": "omni_identity_bench_ab_this"}

    def dsn_of(name: str) -> str:
        parts = conninfo_to_dict(server)
        parts["dbname"] = name
        return make_conninfo(**parts)

    with connect(server, autocommit=True) as conn:
        for name in names.values():
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
                         .format(sql.Identifier(name)))
    conns = {}
    try:
        with tempfile.TemporaryDirectory() as tree:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base, "migrations", "functions"],
                                     check=True, capture_output=True).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(tree)
            # The harness reads migrations/ and functions/ under OMNI_IDENTITY_ROOT.
            subprocess.run([sys.executable, "-c", "import sys; from harness import migrate; migrate.migrate(sys.argv[1])",
                            dsn_of(names["base"])], check=True, cwd=ROOT,
                           env={**os.environ, "OMNI_IDENTITY_ROOT": tree})
        migrate.migrate(dsn_of(names["this"]))
        for key, name in names.items():
            conn = connect(dsn_of(name), autocommit=True)
            conn.execute("CREATE TABLE normalize_inputs (email text, phone text, document text, name text)")
            rng = random.Random(20261123)
            with conn.cursor().copy("COPY normalize_inputs FROM STDIN") as copy:
                for _ in range(args.rows):
                    copy.write_row(bench.inputs(rng))
            conn.execute("VACUUM ANALYZE normalize_inputs")
            conn.execute("SET max_parallel_workers_per_gather = 0")
            conns[key] = (conn, conn.execute("SELECT pg_backend_pid()").fetchone()[0])

        print(f"{args.rows:,} rows; {args.rounds} interleaved rounds; minimum backend CPU per row; base {args.base}")
        print(f"{'function':28} {'base ns':>8} {'this ns':>8} {'this/base':>9}  floor ns base/this")
        for label, col, expr in CASES:
            best = {key: float("inf") for key in conns}
            floor = {key: float("inf") for key in conns}
            for r in range(args.rounds):
                for key in (("base", "this") if r % 2 else ("this", "base")):
                    conn, pid = conns[key]
                    t = backend_cpu_ns(pid)
                    conn.execute(f"SELECT count(lower({col})) FROM normalize_inputs").fetchone()
                    floor[key] = min(floor[key], backend_cpu_ns(pid) - t)
                    t = backend_cpu_ns(pid)
                    conn.execute(f"SELECT count({expr}) FROM normalize_inputs").fetchone()
                    best[key] = min(best[key], backend_cpu_ns(pid) - t)
            print(f"{label:28} {best['base'] / args.rows:8.0f} {best['this'] / args.rows:8.0f}"
                  f" {best['this'] / best['base']:9.3f}  {floor['base'] / args.rows:.0f} / {floor['this'] / args.rows:.0f}",
                  flush=True)
    finally:
        for conn, _ in conns.values():
            conn.close()
        with connect(server, autocommit=True) as conn:
            for name in names.values():
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
