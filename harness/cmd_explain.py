"""Commands: explain (why two sales are one customer, or what is known of one identifier)
and health (cluster sizes and the identifiers linked to the most others), SPEC §13.

Each is one read of the public SQL API (explain_link, explain_identifier,
cluster_size_histogram, top_identifiers) in one transaction that names the tenant, the
same path as an application's; the harness only renders the rows."""
from __future__ import annotations

import argparse
import csv
import json
import sys

from harness.cmd_query import _cell, _json_default, _query, _text
from harness.cmd_reresolve import KEY_OPTIONS

HISTOGRAM_COLUMNS = ("size_from", "size_to", "clusters", "sales")
TOP_COLUMNS = ("key_type", "key_value", "status", "cluster_id", "linked_emails", "linked_phones",
               "linked_documents", "inputs")
IDENTIFIER_COLUMNS = ("status", "cluster_id", "linked_emails", "linked_phones", "linked_documents",
                      "inputs", "reason")


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli import add_dsn

    ex = sub.add_parser("explain", help="why two sales are one customer, or what is known of one identifier")
    ex.add_argument("--tenant", required=True, help="tenant id")
    what = ex.add_mutually_exclusive_group(required=True)
    what.add_argument("--sale", action="append", type=int, metavar="ID",
                      help="a sale id; give it twice (--sale A --sale B) for the chain linking them")
    for name, opt in KEY_OPTIONS:
        what.add_argument(opt, dest=name, metavar=name.upper(), help=f"the {name} to explain")
    ex.add_argument("--format", choices=("table", "json", "csv"), default="table")
    add_dsn(ex)
    ex.set_defaults(func=cmd_explain, parser=ex)

    he = sub.add_parser("health", help="cluster sizes and the identifiers linked to the most others (where junk hides)")
    he.add_argument("--tenant", required=True, help="tenant id")
    he.add_argument("--limit", type=int, default=20, help="top identifiers shown, 1..1000 (default 20)")
    he.add_argument("--format", choices=("table", "json", "csv"), default="table")
    add_dsn(he)
    he.set_defaults(func=cmd_health)


def cmd_explain(args: argparse.Namespace) -> int:
    from harness.dsn import resolve_dsn

    dsn = resolve_dsn(args.dsn)
    if args.sale is not None:
        if len(args.sale) != 2:
            args.parser.error("give --sale twice: --sale A --sale B")
        a, b = args.sale
        rows = _query(dsn, args.tenant,
                      "SELECT step, key_type, key_value, via_sale_id, seen_count"
                      "  FROM omni_identity.explain_link(%s, %s, %s) ORDER BY step", (args.tenant, a, b))
        _print_chain(args.format, a, b, rows)
        return 0
    key_type, value = next((n, getattr(args, n)) for n, _ in KEY_OPTIONS if getattr(args, n) is not None)
    row = _query(dsn, args.tenant, "SELECT * FROM omni_identity.explain_identifier(%s, %s, %s)",
                 (args.tenant, key_type, value))[0]
    if args.format == "json":
        print(json.dumps(row, default=_json_default, indent=2))
    elif args.format == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(IDENTIFIER_COLUMNS)
        w.writerow([_text(row[c]) for c in IDENTIFIER_COLUMNS])
    else:
        from rich.console import Console

        console = Console(soft_wrap=True)
        console.print(f"[bold]{key_type} {value}[/bold]: [bold]{row['status']}[/bold]", highlight=False)
        console.print(f"  cluster: {row['cluster_id'] or '-'}", highlight=False)
        console.print(f"  linked e-mails {row['linked_emails']}, phones {row['linked_phones']}, "
                      f"documents {row['linked_documents']}; inputs {row['inputs']}", highlight=False)
        console.print(f"  {row['reason']}", highlight=False)
    return 0


def _print_chain(fmt: str, a: int, b: int, rows: list[dict]) -> None:
    """sale A → key → sale → key → … → sale B: each key after the first is reached through
    a sale that carried it with the previous key (or direct resolve calls when none)."""
    if fmt == "json":
        print(json.dumps({"sale_a": a, "sale_b": b, "linked": bool(rows), "chain": rows},
                         default=_json_default, indent=2))
        return
    if fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(("step", "key_type", "key_value", "via_sale_id", "seen_count"))
        for r in rows:
            w.writerow([_text(r[c]) for c in ("step", "key_type", "key_value", "via_sale_id", "seen_count")])
        return
    from rich.console import Console

    console = Console(soft_wrap=True)
    if not rows:
        console.print(f"sale {a} and sale {b} are not linked (no chain of active keys)", highlight=False)
        return
    console.print(f"[bold]sale {a}[/bold]", highlight=False)
    for r in rows:
        if r["step"] > 0:
            via = f"sale {r['via_sale_id']}" if r["via_sale_id"] is not None else "direct resolve calls"
            console.print(f"  → {via}  (carried both; {r['seen_count']} input(s) did)", highlight=False)
        console.print(f"  → [cyan]{r['key_type']} {r['key_value']}[/cyan]", highlight=False)
    console.print(f"  → [bold]sale {b}[/bold]", highlight=False)
    if len(rows) == 1:
        console.print(f"sale {a} and sale {b} share this key", highlight=False)
    else:
        console.print(f"{len(rows)} keys, {len(rows) - 1} pair(s) seen together, link sale {a} to sale {b}",
                      highlight=False)


def cmd_health(args: argparse.Namespace) -> int:
    from harness.dsn import resolve_dsn

    dsn = resolve_dsn(args.dsn)
    hist = _query(dsn, args.tenant, "SELECT * FROM omni_identity.cluster_size_histogram(%s)", (args.tenant,))
    top = _query(dsn, args.tenant, "SELECT * FROM omni_identity.top_identifiers(%s, %s)", (args.tenant, args.limit))
    if args.format == "json":
        print(json.dumps({"histogram": hist, "top_identifiers": top}, default=_json_default, indent=2))
    elif args.format == "csv":
        # One CSV: a section column, then the union of both row kinds' columns.
        columns = HISTOGRAM_COLUMNS + TOP_COLUMNS
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(("section",) + columns)
        for section, rows in (("histogram", hist), ("top_identifiers", top)):
            for r in rows:
                w.writerow([section] + [_text(r.get(c)) for c in columns])
    else:
        shown = [{**r, "size_to": r["size_to"] if r["size_to"] is not None else "",
                  "size_from": f"{r['size_from']}+" if r["size_to"] is None else r["size_from"]} for r in hist]
        _table(shown, HISTOGRAM_COLUMNS, HISTOGRAM_COLUMNS, title=f"live clusters of {args.tenant} by sales")
        _table(top, TOP_COLUMNS, ("type", "value", "status", "cluster", "e-mails", "phones", "documents", "inputs"),
               title=f"identifiers of {args.tenant} linked to the most others (where junk hides)")
    return 0


def _table(rows: list[dict], columns: tuple[str, ...], headers: tuple[str, ...], title: str) -> None:
    """A rich table with short headers; off a terminal, wide enough that no value folds."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for c, h in zip(columns, headers):
        table.add_column(h, justify="left" if c in ("key_type", "key_value", "status", "cluster_id") else "right",
                         no_wrap=True)
    for r in rows:
        table.add_row(*(_cell(r.get(c)) for c in columns))
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(table)
