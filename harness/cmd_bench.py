"""Command: bench [AREA ...] — run the benchmark scripts of bench/<area>/.

Each area has one entry point, `bench/<area>/run.py` (or `run.sh`), that takes
`--dsn DSN`, measures its floor in the same run and prints its table; the figures worth
keeping go into BENCHMARKS.md by hand.
"""
from __future__ import annotations

import argparse
import subprocess
import sys

from harness import paths
from harness.dsn import resolve_dsn
from harness.errors import HarnessError


def areas() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for d in sorted((paths.ROOT / "bench").iterdir()):
        if (d / "run.py").exists():
            found[d.name] = [sys.executable, str(d / "run.py")]
        elif (d / "run.sh").exists():
            found[d.name] = ["bash", str(d / "run.sh")]
    return found


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli import add_dsn

    b = sub.add_parser("bench", help="run the benchmarks of bench/ (all areas, or the ones named)")
    add_dsn(b)
    b.add_argument("area", nargs="*", help="bench/<area> to run (default: all)")
    b.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    known = areas()
    chosen = args.area or list(known)
    unknown = [a for a in chosen if a not in known]
    if unknown:
        raise HarnessError(f"no benchmark named {', '.join(unknown)} (have: {', '.join(known) or 'none'})")
    dsn = resolve_dsn(args.dsn)
    failed = []
    for area in chosen:
        print(f"== bench {area}", flush=True)
        if subprocess.run([*known[area], "--dsn", dsn]).returncode != 0:
            failed.append(area)
    if failed:
        raise HarnessError(f"benchmark(s) failed: {', '.join(failed)}")
    return 0
