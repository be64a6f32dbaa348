"""Command: demo — the whole pipeline on a realistic Brazilian data set.

On the embedded cluster (or --dsn): (re)create the database omni_identity_demo, migrate
it, generate ~50,000 sales, upload the recent ones as a CSV file (clustered on ingest),
load the older history raw into public.omni_sales (as an older system left it) and
backfill it, reconcile the merges the history caused, then print a short customer
report and the batch metrics.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness import cmd_jobs, demo_data, migrate
from harness.dsn import connect, resolve_dsn

TENANT = "demo"


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli import add_dsn

    d = sub.add_parser("demo", help="generate, upload, backfill and reconcile a demo data set")
    d.add_argument("--sales", type=int, default=50_000, help="number of sales (default 50000)")
    d.add_argument("--history", type=float, default=0.6,
                   help="share of the sales loaded raw and backfilled (default 0.6)")
    add_dsn(d)
    d.set_defaults(func=cmd_demo)


def _demo_database(explicit: str | None) -> str:
    """--dsn as given; else a fresh omni_identity_demo database on the embedded cluster."""
    if explicit:
        return explicit
    from harness.testdb import dsn_for, recreate, server_dsn

    server = server_dsn()
    recreate(server, "omni_identity_demo")
    return dsn_for(server, "omni_identity_demo")


def cmd_demo(args: argparse.Namespace) -> int:
    console = Console(width=max(Console().width, 150))
    t_all = time.monotonic()
    dsn = resolve_dsn(args.dsn) if args.dsn else _demo_database(None)
    console.print(f"[bold]database[/bold] {dsn}")
    applied, functions = migrate.migrate(dsn)
    console.print(f"migrated: {applied} migration(s), {functions} function file(s)")

    rows = list(demo_data.sales(args.sales, seed=2024))
    cut = int(len(rows) * args.history)
    history, recent = rows[:cut], rows[cut:]
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "recent-sales.csv"
        demo_data.write_csv(recent, csv_path)
        console.print(f"\n[bold]1. upload[/bold] {len(recent)} recent sales as CSV")
        t0 = time.monotonic()
        r = cmd_jobs.upload(dsn, csv_path, TENANT)
        console.print(f"   {r.inserted} inserted, {r.updated} updated, {r.rejected} rejected, "
                      f"{r.clustered} clustered, {r.merges} merges in {time.monotonic() - t0:.1f}s")
        for line_no, reason in r.rejects[:5]:
            console.print(f"   line {line_no}: {reason}")

    console.print(f"\n[bold]2. history[/bold] {len(history)} older sales copied raw into public.omni_sales")
    t0 = time.monotonic()
    with connect(dsn, autocommit=True) as conn:
        with conn.cursor().copy(
                "COPY public.omni_sales (tenant_id, " + ", ".join(demo_data.COLUMNS) + ") FROM STDIN") as cp:
            for row in history:
                if row["external_id"] is None or "-02-30" in row["created_at"] or not row["amount"][0].isdigit():
                    continue  # the older system never stored bad rows
                cp.write_row([TENANT] + [row[c] if c != "gateway" else (row[c] or "") for c in demo_data.COLUMNS])
    console.print(f"   copied in {time.monotonic() - t0:.1f}s")

    console.print("\n[bold]3. backfill[/bold]")
    t0 = time.monotonic()
    n = cmd_jobs.backfill(dsn, None, 10_000)
    console.print(f"   {n} sales processed in {time.monotonic() - t0:.1f}s")

    console.print("\n[bold]4. reconcile[/bold]")
    t0 = time.monotonic()
    m = cmd_jobs.reconcile(dsn, 5_000, 2)
    console.print(f"   {m} merges reconciled in {time.monotonic() - t0:.1f}s")

    with connect(dsn, autocommit=True) as conn:
        stats = conn.execute(
            """SELECT count(*), count(customer_hash), count(DISTINCT customer_hash),
                      (SELECT count(*) FROM omni_identity.customer_cluster WHERE tenant_id = %(t)s AND merged_into IS NULL),
                      (SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE tenant_id = %(t)s),
                      (SELECT count(*) FROM public.omni_sales s JOIN omni_identity.customer_cluster c
                          ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash
                        WHERE s.tenant_id = %(t)s AND c.merged_into IS NOT NULL)
                 FROM public.omni_sales WHERE tenant_id = %(t)s""", {"t": TENANT}).fetchone()
        console.print(f"\n[bold]result[/bold] {stats[0]} sales, {stats[1]} with a customer "
                      f"({stats[0] - stats[1]} without any usable key), {stats[3]} live customers, "
                      f"{stats[4]} merges, {stats[5]} sales on merged-away clusters")

        # The report's own rows, in its order (largest total first); the row of the sales
        # without a cluster is not a customer.
        top = conn.execute(
            """SELECT coalesce(r.name, '?'), coalesce(r.email, ''), coalesce(r.phone, ''),
                      coalesce(r.document, ''), r.orders, r.total_amount, r.shops,
                      r.first_purchase_at::date, r.last_purchase_at::date
                 FROM omni_identity.customer_report_v2(%s, '{}') WITH ORDINALITY AS r
                WHERE r.cluster_id IS NOT NULL
                ORDER BY r.ordinality
                LIMIT 10""", (TENANT,)).fetchall()
        table = Table(title="Top customers (golden record)")
        for col in ("name", "e-mail", "phone", "document", "orders", "total", "shops", "first", "last"):
            table.add_column(col, justify="right" if col in ("orders", "total", "shops") else "left")
        for row in top:
            table.add_row(*(str(v) for v in row))
        console.print(table)

        metrics = conn.execute(
            """SELECT job, count(*), sum(rows_in), sum(rows_written), sum(rows_rejected),
                      sum(clusters_created), sum(merges), round(extract(epoch FROM sum(duration))::numeric, 2)
                 FROM omni_identity.batch_metrics GROUP BY job ORDER BY min(batch_id)""").fetchall()
        mt = Table(title="Batch metrics")
        for col in ("job", "batches", "rows in", "written", "rejected", "clusters", "merges", "seconds"):
            mt.add_column(col, justify="left" if col == "job" else "right")
        for row in metrics:
            mt.add_row(*(str(v) for v in row))
        console.print(mt)
    console.print(f"demo done in {time.monotonic() - t_all:.1f}s")
    return 0
