"""Server CPU per call of several variants of resolve_customer_cluster.

    .venv/bin/python bench/resolve/cpu_variants.py [--dsn DSN] [--calls 300] [--rounds 40]
        [--kind returning|new] NAME=FILE ...

For taking the fast path apart: each FILE is a version of
functions/resolve/resolve_customer_cluster.sql (a git export, or a copy edited to leave one
piece out); each is installed as omni_identity.rv_NAME in the scratch database that
bench/resolve/cpu_per_call.py leaves behind (run that first: 40,000 clusters of tenant
'cpu'), then, round after round and interleaved (the order reversed every other round),
each variant runs `--calls` calls on its own connection: returning buyers (e-mail + phone
of a stored cluster, an older seen_at: the read-only fast path) or, with `--kind new`,
never-seen buyers (an e-mail and phone of their own per variant and call: a new cluster), autocommit, and the
backend's CPU time is read from /proc/<pid>/schedstat (the server must run on this
machine). Prints minimum and median µs per call over the rounds, and each minimum against
the first variant's.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: E402

from harness.dsn import connect, resolve_dsn  # noqa: E402

DB = "omni_identity_bench_cpu"
CLUSTERS = 40_000


def cpu_ns(pid: int) -> int:
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--kind", choices=("returning", "new"), default="returning")
    parser.add_argument("variants", nargs="+", metavar="NAME=FILE")
    args = parser.parse_args()
    target = make_conninfo(**{**conninfo_to_dict(resolve_dsn(args.dsn)), "dbname": DB})
    variants = [v.split("=", 1) for v in args.variants]
    with connect(target, autocommit=True) as conn:
        for name, path in variants:
            conn.execute(Path(path).read_text().replace("omni_identity.resolve_customer_cluster(",
                                                         f"omni_identity.rv_{name}("))
    conns = {name: connect(target, autocommit=True) for name, _ in variants}
    samples: dict[str, list[float]] = {name: [] for name, _ in variants}

    def buyer(i: int, v: int) -> tuple[str, str, str]:
        if args.kind == "new":
            # Past the preloaded clusters' phones (+55119 8000xxxx) and apart per variant.
            return f"n{i}.v{v}@new.com", f"+55{31 + v}9{80000000 + i}", "2021-01-01"
        c = 1 + (i * 7919) % CLUSTERS
        return f"u{c}@cpu.com", f"+55119{80000000 + c}", "2019-01-01"

    try:
        for r in range(args.rounds):
            order = list(enumerate(conns.items()))
            for v, (name, conn) in (order if r % 2 == 0 else order[::-1]):
                call = f"SELECT omni_identity.rv_{name}('cpu', %s, %s, NULL, 'Old Buyer', %s)"
                warm = range(10_000_000 + r * 5, 10_000_000 + r * 5 + 5)  # new buyers of their own
                for i in warm:
                    conn.execute(call, buyer(i, v))
                pid = conn.info.backend_pid
                before = cpu_ns(pid)
                for i in range(r * args.calls, (r + 1) * args.calls):
                    conn.execute(call, buyer(i, v))
                samples[name].append((cpu_ns(pid) - before) / args.calls / 1000)
    finally:
        for conn in conns.values():
            conn.close()
    first = min(samples[variants[0][0]])
    print(f"server CPU per {args.kind} call, µs ({args.rounds} rounds of {args.calls} calls)")
    for name, _ in variants:
        s = samples[name]
        print(f"{name:<14} min {min(s):7.1f}  median {statistics.median(s):7.1f}  min / {variants[0][0]} {min(s) / first:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
