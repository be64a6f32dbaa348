"""Commands: report (customer report) and sales (one page of a buyer's purchases).

Both call the SQL query API (omni_identity.customer_report*/abstraction_buyer*); the
harness only builds the filter object and prints the rows. Without --v1/--v2 the call
goes through the routing function, so the tenant's flag decides, as for applications.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import json
import sys
import uuid
from typing import Any, Iterable

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from harness.dsn import connect, resolve_dsn, tenant_transaction
from harness.errors import HarnessError

# CLI option → filter key of the query API.
FILTER_OPTIONS = (
    ("--email", "email"),
    ("--phone", "phone"),
    ("--document", "document"),
    ("--name", "name"),
    ("--shop-id", "shop_id"),
    ("--product-id", "product_id"),
    ("--status", "status"),
    ("--from", "created_from"),
    ("--to", "created_to"),
)

REPORT_COLUMNS = ("cluster_id", "email", "phone", "document", "name", "orders", "total_amount",
                  "first_purchase_at", "last_purchase_at", "shops")
SALES_COLUMNS = ("id", "created_at", "shop_id", "gateway", "external_id", "buyer_email", "buyer_phone",
                 "buyer_name", "buyer_document", "product_id", "status", "amount", "currency",
                 "customer_hash")


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli import add_dsn

    r = sub.add_parser("report", help="customer report of a tenant (v1 by e-mail, v2 by cluster)")
    _common(r)
    add_dsn(r)
    r.set_defaults(func=cmd_report)

    s = sub.add_parser("sales", help="one page of sales matching the filters, with the cursor to continue")
    _common(s)
    s.add_argument("--limit", type=int, default=50, help="rows per page, 1..10000 (default 50)")
    s.add_argument("--after", metavar="CURSOR",
                   help='continue after this row: the cursor printed by the previous page, '
                        '{"created_at": ..., "id": ...}')
    add_dsn(s)
    s.set_defaults(func=cmd_sales)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tenant", required=True, help="tenant id")
    for option, key in FILTER_OPTIONS:
        what = {"created_from": "created at or after (ISO 8601)",
                "created_to": "created before (ISO 8601)"}.get(key, f"filter {key}")
        p.add_argument(option, dest=key, metavar="TS" if key.startswith("created") else key.upper(),
                       help=what)
    version = p.add_mutually_exclusive_group()
    version.add_argument("--v1", dest="version", action="store_const", const="v1",
                         help="the legacy query (filters over the sale's own columns)")
    version.add_argument("--v2", dest="version", action="store_const", const="v2",
                         help="the cluster query; default: the tenant's flag decides")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")


def filters_of(args: argparse.Namespace) -> dict[str, str]:
    return {key: getattr(args, key) for _, key in FILTER_OPTIONS if getattr(args, key) is not None}


def _function(base: str, version: str | None) -> str:
    return f"omni_identity.{base}" + (f"_{version}" if version else "")


def _query(dsn: str, tenant: str, query: str, params: tuple) -> list[dict]:
    """The rows of one query in one transaction that names the tenant (RLS shows its rows,
    require_tenant accepts the call); nothing outlives it on a pooled connection."""
    with connect(dsn, autocommit=True) as conn, tenant_transaction(conn, tenant), \
            conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def cmd_report(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    rows = _query(dsn, args.tenant,
                  f"SELECT * FROM {_function('customer_report', args.version)}(%s, %s)",
                  (args.tenant, Jsonb(filters_of(args))))
    if args.format == "json":
        print(json.dumps(rows, default=_json_default, indent=2))
    elif args.format == "csv":
        _csv(rows, REPORT_COLUMNS)
    else:
        _table(rows, REPORT_COLUMNS, title=f"customers of {args.tenant}")
        orders = sum(r["orders"] for r in rows)
        amount = sum((r["total_amount"] or 0) for r in rows)
        print(f"{len(rows)} row(s), {orders} order(s), total {amount}")
    return 0


def parse_cursor(text: str | None) -> dict | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HarnessError(f'--after is not JSON ({exc.msg}); pass the cursor printed by the previous page') from None
    return value


def cmd_sales(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    after = parse_cursor(args.after)
    # Each row comes with the query API's own cursor (query_page_cursor), not rebuilt here.
    rows = _query(dsn, args.tenant,
                  f"SELECT r.*, omni_identity.query_page_cursor(r.created_at, r.id) AS oi_cursor"
                  f" FROM {_function('abstraction_buyer', args.version)}(%s, %s, %s, %s) r",
                  (args.tenant, Jsonb(filters_of(args)), args.limit,
                   None if after is None else Jsonb(after)))
    cursors = [row.pop("oi_cursor") for row in rows]
    cursor = cursors[-1] if rows and len(rows) == args.limit else None
    cursor_text = None if cursor is None else json.dumps(cursor)
    if args.format == "json":
        print(json.dumps({"rows": rows, "next_after": cursor}, default=_json_default, indent=2))
    elif args.format == "csv":
        _csv(rows, SALES_COLUMNS)
        if cursor_text:
            print(f"next page: --after '{cursor_text}'", file=sys.stderr)
    else:
        _table(rows, SALES_COLUMNS, title=f"sales of {args.tenant}")
        print(f"{len(rows)} row(s)" + (f"; next page: --after '{cursor_text}'" if cursor_text else "; end"))
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def _cell(value: Any) -> str:
    """A table cell: short enough for a terminal (full values in --format json/csv)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, uuid.UUID):
        return str(value)[:8] + "…"
    return _text(value)


def _csv(rows: Iterable[dict], columns: tuple[str, ...]) -> None:
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r[c].isoformat() if isinstance(r.get(c), dt.datetime) else _text(r.get(c))
                    for c in columns])


def _table(rows: list[dict], columns: tuple[str, ...], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    # Drop the columns empty on every row, so the table fits a terminal.
    shown = [c for c in columns if any(r.get(c) not in (None, "") for r in rows)] or list(columns)
    table = Table(title=title, show_lines=False)
    numeric = {"orders", "total_amount", "shops", "amount", "id"}
    for c in shown:
        widest = max([len(c)] + [len(_cell(r.get(c))) for r in rows])
        table.add_column(c, justify="right" if c in numeric else "left", overflow="fold",
                         min_width=min(widest, 12))
    for r in rows:
        table.add_row(*(_cell(r.get(c)) for c in shown))
    Console().print(table)
