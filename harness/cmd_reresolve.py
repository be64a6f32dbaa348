"""Commands: block, forget (re-resolution, SPEC §12; design §9).

Each is one call of the public SQL function in one transaction that names the tenant
(the same path as an application's), and prints what it did. The split they queue runs at
the next ``omni-identity reconcile``.
"""
from __future__ import annotations

import argparse
import uuid

from harness.dsn import connect, resolve_dsn, tenant_transaction
from harness.errors import HarnessError

KEY_OPTIONS = (("email", "--email"), ("phone", "--phone"), ("document", "--document"))


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli import add_dsn

    bl = sub.add_parser("block", help="block an identifier retroactively (its cluster is split at the next reconcile)")
    bl.add_argument("--tenant", required=True, help="tenant the identifier belongs to")
    key = bl.add_mutually_exclusive_group(required=True)
    for name, opt in KEY_OPTIONS:
        key.add_argument(opt, dest=name, metavar=name.upper(), help=f"the {name} to block")
    bl.add_argument("--reason", help="why (stored in key_blocklist.reason)")
    bl.add_argument("--dry-run", action="store_true",
                    help="change nothing: print what the block and the next reconcile would do")
    add_dsn(bl)
    bl.set_defaults(func=cmd_block)

    fg = sub.add_parser("forget", help="forget an identifier or a customer (LGPD art. 18)")
    fg.add_argument("--tenant", required=True, help="tenant the identifier or customer belongs to")
    what = fg.add_mutually_exclusive_group(required=True)
    for name, opt in KEY_OPTIONS:
        what.add_argument(opt, dest=name, metavar=name.upper(), help=f"the {name} to forget")
    what.add_argument("--cluster", metavar="ID", help="the customer (cluster id = customer_hash) to forget")
    add_dsn(fg)
    fg.set_defaults(func=cmd_forget)


def _key(args: argparse.Namespace) -> tuple[str, str]:
    for name, _ in KEY_OPTIONS:
        value = getattr(args, name, None)
        if value is not None:
            return name, value
    raise HarnessError("name the identifier: --email, --phone or --document")


def block(dsn: str, tenant: str, key_type: str, value: str, reason: str | None = None) -> int:
    """block_identifier in one transaction; returns the clusters queued for a split."""
    with connect(dsn, autocommit=True) as conn, tenant_transaction(conn, tenant):
        return conn.execute("SELECT omni_identity.block_identifier(%s, %s, %s, %s)",
                            (tenant, key_type, value, reason)).fetchone()[0]


def forget(dsn: str, tenant: str, key_type: str | None = None, value: str | None = None,
           cluster: str | None = None) -> tuple[int, int, int]:
    """forget_identifier or forget_customer in one transaction; returns (keys forgotten,
    sales redacted, clusters queued)."""
    with connect(dsn, autocommit=True) as conn, tenant_transaction(conn, tenant):
        if cluster is not None:
            row = conn.execute("SELECT * FROM omni_identity.forget_customer(%s, %s::uuid)",
                               (tenant, cluster)).fetchone()
        else:
            row = conn.execute("SELECT * FROM omni_identity.forget_identifier(%s, %s, %s)",
                               (tenant, key_type, value)).fetchone()
    return tuple(row)


def cmd_block(args: argparse.Namespace) -> int:
    key_type, value = _key(args)
    if args.dry_run:
        with connect(resolve_dsn(args.dsn), autocommit=True) as conn, tenant_transaction(conn, args.tenant):
            split, after, moved = conn.execute(
                "SELECT * FROM omni_identity.preview_block_identifier(%s, %s, %s)",
                (args.tenant, key_type, value)).fetchone()
        print(f"dry run, nothing changed: blocking the {key_type} for tenant {args.tenant} and reconciling: "
              f"{split} cluster(s) would split, their sales would form {after} cluster(s), "
              f"{moved} sale(s) would change cluster")
        return 0
    n = block(resolve_dsn(args.dsn), args.tenant, key_type, value, args.reason)
    print(f"blocked the {key_type} for tenant {args.tenant}: {n} cluster(s) queued for a split "
          f"(run omni-identity reconcile)")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    if args.cluster is not None:
        try:
            uuid.UUID(args.cluster)
        except ValueError:
            raise HarnessError(f"--cluster must be a cluster id (a UUID), got {args.cluster!r}") from None
        what = f"customer {args.cluster}"
        keys, sales, queued = forget(resolve_dsn(args.dsn), args.tenant, cluster=args.cluster)
    else:
        key_type, value = _key(args)
        what = f"the {key_type}"
        keys, sales, queued = forget(resolve_dsn(args.dsn), args.tenant, key_type, value)
    print(f"forgot {what} for tenant {args.tenant}: {keys} key(s) forgotten, {sales} sale(s) redacted, "
          f"{queued} cluster(s) queued for a split (run omni-identity reconcile)")
    return 0
