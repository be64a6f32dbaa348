"""Commands: db start|stop|status|url, migrate, rollback."""
from __future__ import annotations

import argparse

from harness import migrate as mig
from harness.dsn import resolve_dsn
from harness.embedded import Cluster
from harness.errors import HarnessError


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli import add_dsn

    db = sub.add_parser("db", help="the embedded PostgreSQL cluster under .omni-identity/")
    db.add_argument("action", choices=["start", "stop", "status", "url"])
    db.set_defaults(func=cmd_db)

    m = sub.add_parser("migrate", help="apply migrations, then every function and the grants")
    add_dsn(m)
    m.set_defaults(func=cmd_migrate)

    r = sub.add_parser("rollback", help="roll back the last migration (or all of them)")
    add_dsn(r)
    r.add_argument("--all", action="store_true", help="roll back every applied migration")
    r.set_defaults(func=cmd_rollback)


def cmd_db(args: argparse.Namespace) -> int:
    cluster = Cluster()
    if args.action == "start":
        print(cluster.start())
    elif args.action == "stop":
        print("stopped" if cluster.stop() else "not running")
    elif args.action == "status":
        print(cluster.status())
        return 0 if cluster.running() else 1
    elif args.action == "url":
        if not cluster.initialized():
            raise HarnessError("the embedded cluster does not exist yet: run 'omni-identity db start'")
        if not cluster.running():
            raise HarnessError("the embedded cluster is stopped: run 'omni-identity db start'")
        print(cluster.dsn())
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    applied, functions = mig.migrate(dsn)
    print(f"{applied} migration(s) applied, {functions} function file(s) applied")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    n = mig.rollback(dsn, all_=args.all)
    print(f"{n} migration(s) rolled back")
    return 0

