"""The ``omni-identity`` command line.

Exit codes: 0 ok, 1 failure (one line on stderr, no traceback), 2 usage.
Each group of commands lives in its own module with a ``register(subparsers)``
function; this file only wires them together.
"""
from __future__ import annotations

import argparse
import importlib
import sys

import psycopg

from harness.errors import HarnessError

# Modules that add sub-commands (each has register(subparsers)).
COMMAND_MODULES = [
    "harness.cmd_db",
    "harness.cmd_bench",
    "harness.cmd_query",
    "harness.cmd_jobs",
    "harness.cmd_evidence",
    "harness.cmd_reresolve",
    "harness.cmd_explain",
    "harness.cmd_demo",
]


def add_dsn(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dsn", help="libpq DSN; default $DATABASE_URL, else the embedded cluster")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omni-identity",
        description="Customer-cluster identity resolution for e-commerce sales, in PostgreSQL.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HarnessError as exc:
        print(f"omni-identity: error: {exc}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        diag = getattr(exc, "diag", None)
        code = f" [{diag.sqlstate}]" if diag is not None and diag.sqlstate else ""
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"omni-identity: error{code}: {first}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("omni-identity: interrupted; rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
