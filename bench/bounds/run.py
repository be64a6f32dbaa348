"""What recording evidence costs at the least, measured beside the code before it and now.

    .venv/bin/python bench/bounds/run.py [--dsn SERVER_DSN] [--sales 1000000]
        [--clusters 100000] [--seconds 5] [--repeat 1] [--parts resolve,pipeline]

Issue 13 asks that evidence cost at most 15 % of the resolve rates before it, and that the
backfill stay within 8× the COPY of the same sales. This bench asks what any
implementation of the evidence rule can reach. Three trees run the same benches, one
after the other, on one server:

  old    the package before evidence was recorded (BASE below: the evidence tables
         exist, nothing writes them);
  bound  old plus the leanest evidence writes (evidence-bound.patch, with the work tree's
         evidence_record and the migrations of the log table, the linked index and the
         tables' fillfactor): a returning buyer appends one plain row to the log (no
         evidence lock, no subtransaction, no tombstone or pair probes); a new buyer
         upserts its pairs and counters in one statement before its insert (no generic
         rule applied); the batch core calls evidence_record once per tenant after
         pipeline_keys (no removed-keys, redaction or generic stages);
  tree   this work tree.

Each runs bench/resolve/run.py (this tree's copy: 4 clients, every workload, `--repeat`
times, the median run of each) and its own
bench/pipeline/run.py (COPY of the cached CSV, then the backfill until 0). After bound's
backfill, the final evidence rows are copied once, in key order, into empty tables of the
same definition: the least time any backfill can spend writing them, however it is built.
Prints each run's output, then a summary. Needs git (worktrees of BASE, removed at the end).
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness.dsn import connect, resolve_dsn  # noqa: E402
from harness.testdb import dsn_for  # noqa: E402

BASE = "61766c8"   # migration 0110: the evidence tables, before any path recorded evidence
PATCH = Path(__file__).with_name("evidence-bound.patch")
# Work-tree files the bound tree takes as they are (migrations re-chained onto BASE's last).
FROM_TREE = {
    "functions/evidence/evidence_record.sql": None,
    "migrations/0160.create-resolve-evidence-log.sql": "0110.create-identity-evidence",
    "migrations/0170.index-key-evidence-linked.sql": "0160.create-resolve-evidence-log",
    "migrations/0210.alter-evidence-fillfactor.sql": "0170.index-key-evidence-linked",
}


def git(*args: str, cwd: Path = ROOT) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def make_tree(where: Path, bound: bool) -> None:
    git("worktree", "add", "--detach", str(where), BASE)
    (where / ".venv").symlink_to(ROOT / ".venv")
    cache = ROOT / ".omni-identity" / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    (where / ".omni-identity").mkdir()
    (where / ".omni-identity" / "bench").symlink_to(cache)
    (where / "bench" / "resolve" / "run.py").write_text((ROOT / "bench" / "resolve" / "run.py").read_text())
    if bound:
        git("apply", str(PATCH), cwd=where)
        for rel, depends in FROM_TREE.items():
            text = (ROOT / rel).read_text()
            if depends:
                text = re.sub(r"^-- depends: .*$", f"-- depends: {depends}", text, count=1, flags=re.M)
            (where / rel).parent.mkdir(parents=True, exist_ok=True)
            (where / rel).write_text(text)


def bench(name: str, tree: Path, script: str, *args: str) -> str:
    print(f"=== {name}: {script} {' '.join(args)} (load {Path('/proc/loadavg').read_text().split()[0]})",
          flush=True)
    out = subprocess.run([str(tree / ".venv" / "bin" / "python"), str(tree / "bench" / script), *args],
                         cwd=tree, check=True, capture_output=True, text=True).stdout
    print(out, flush=True)
    return out


def resolve_rates(out: str) -> dict[str, float]:
    return {m[1]: float(m[2]) for m in re.finditer(r"^\| 4 \| (\w+) \| (\d+) ", out, re.M)}


def pipeline_times(out: str) -> tuple[float, float]:
    copy = float(re.search(r"^COPY \d+ rows: ([\d.]+)s", out, re.M)[1])
    backfill = float(re.search(r"^backfill \d+ rows: ([\d.]+)s", out, re.M)[1])
    return copy, backfill


def write_once(server: str) -> float:
    """Seconds to copy the evidence rows of the bench database once into empty twins."""
    total = 0.0
    with connect(dsn_for(server, "omni_identity_bench_pipeline"), autocommit=True) as conn:
        for table, order in (("key_pairs", "tenant_id, a_type, a_value, b_type, b_value"),
                             ("key_evidence", "tenant_id, key_type, key_value")):
            conn.execute(f"DROP TABLE IF EXISTS public.bound_{table}")
            conn.execute(f"CREATE TABLE public.bound_{table} (LIKE omni_identity.{table} INCLUDING ALL)"
                         " WITH (fillfactor = 80)")
            t0 = time.monotonic()
            conn.execute(f"INSERT INTO public.bound_{table} SELECT * FROM omni_identity.{table} ORDER BY {order}")
            total += time.monotonic() - t0
            conn.execute(f"DROP TABLE public.bound_{table}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", help="server DSN (default: the embedded cluster)")
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--parts", default="resolve,pipeline", help="which benches: resolve, pipeline or both")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    server = resolve_dsn(args.dsn)
    with tempfile.TemporaryDirectory(prefix="omni-bounds-") as tmp:
        old, bound = Path(tmp) / "old", Path(tmp) / "bound"
        try:
            make_tree(old, bound=False)
            make_tree(bound, bound=True)
            trees = {"old": old, "bound": bound, "tree": ROOT}
            rates = {name: resolve_rates(bench(name, t, "resolve/run.py", "--dsn", server, "--clients", "4",
                                               "--seconds", str(args.seconds), "--repeat", str(args.repeat),
                                               "--clusters", str(args.clusters)))
                     for name, t in trees.items() if "resolve" in parts}
            times, floor = {}, 0.0
            for name, t in (trees.items() if "pipeline" in parts else ()):
                times[name] = pipeline_times(bench(name, t, "pipeline/run.py", "--dsn", server, "--sales",
                                                   str(args.sales), "--resolve-sample", "100"))
                if name == "bound":
                    floor = write_once(server)
        finally:
            for t in (old, bound):
                subprocess.run(["git", "worktree", "remove", "--force", str(t)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if rates:
        print("| tree | floor tps | new tps | new / floor | new / old | returning tps | returning / old |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, r in rates.items():
            print(f"| {name} | {r['floor']:.0f} | {r['new']:.0f} | {r['new'] / r['floor']:.2f} |"
                  f" {r['new'] / rates['old']['new']:.2f} | {r['returning']:.0f} |"
                  f" {r['returning'] / rates['old']['returning']:.2f} |")
    if times:
        print("| tree | COPY s | backfill s | backfill / COPY |")
        print("| --- | ---: | ---: | ---: |")
        for name, (copy, backfill) in times.items():
            print(f"| {name} | {copy:.1f} | {backfill:.1f} | {backfill / copy:.2f} |")
        copy_old, backfill_old = times["old"]
        print(f"\nevidence rows written once, in key order, into empty tables: {floor:.1f} s;"
              f" old's backfill plus that: {(backfill_old + floor) / copy_old:.2f}× old's COPY")
    return 0


if __name__ == "__main__":
    sys.exit(main())
