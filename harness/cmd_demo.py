"""Command: demo — the whole pipeline on a realistic Brazilian data set.

On the embedded cluster (or --dsn): (re)create the database omni_identity_demo, migrate
it, generate ~50,000 sales, upload the recent ones as a CSV file (clustered on ingest),
load the older history raw into public.omni_sales (as an older system left it) and
backfill it, reconcile the merges the history caused. Then the over-merge guard at work
(SPEC §12-13): a day at the physical store whose clerk types the store's landline for
every walk-in buyer, sent sale by sale; what `omni-identity health` and `explain --phone`
report; the reconcile that splits the strangers the landline linked; and `explain` of
two sales of one real customer. Last, a short customer report and the batch metrics.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness import cmd_explain, cmd_jobs, demo_data, migrate
from harness.dsn import connect, resolve_dsn, tenant_transaction

TENANT = "demo"
SEED = 2024


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli import add_dsn

    d = sub.add_parser("demo", help="generate, upload, backfill and reconcile a demo data set")
    d.add_argument("--sales", type=int, default=50_000, help="number of sales (default 50000)")
    d.add_argument("--history", type=float, default=0.6,
                   help="share of the sales loaded raw and backfilled (default 0.6)")
    d.add_argument("--walk-in", type=int, default=32,
                   help="walk-in sales of the store day that shows the over-merge guard (default 32)")
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

    rows = list(demo_data.sales(args.sales, seed=SEED, walk_in=args.walk_in))
    rows, store_day = rows[:args.sales], rows[args.sales:]
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

    if store_day:
        _guard(console, dsn, store_day)

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


def _shell(console: Console, *argv: str) -> None:
    """The command a person would type for what follows (its output is the command's own)."""
    console.print("\n   [dim]$[/dim] " + " ".join(a if a.replace("-", "").replace("@", "").replace(".", "").isalnum()
                                               else f"'{a}'" for a in argv), highlight=False)


def _guard(console: Console, dsn: str, store_day: list[dict]) -> None:
    """Steps 5-7: the over-merge guard on the store's landline, and an explained link."""
    phone = demo_data.store_phone_display(SEED)
    console.print(f"\n[bold]5. a day at the store[/bold] {len(store_day)} walk-in sales at {demo_data.STORE} "
                  f"sent one by one (ingest_sales, as the till does); the clerk typed the store's landline "
                  f"{phone} for every buyer", highlight=False)
    t0 = time.monotonic()
    with connect(dsn, autocommit=True) as conn:
        for row in store_day:
            sale = {k: v for k, v in row.items() if v not in (None, "")}
            with tenant_transaction(conn, TENANT):
                conn.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", (TENANT, json.dumps([sale])))
        with tenant_transaction(conn, TENANT):
            e = conn.execute("SELECT status, linked_emails, inputs FROM omni_identity.explain_identifier(%s, 'phone', %s)",
                             (TENANT, phone)).fetchone()
            # The cluster the landline was detached from (queued for a split, reason generic):
            # its sales, those of the clusters merged into it included (one hop).
            over = conn.execute(
                """SELECT count(*), count(DISTINCT omni_identity.normalize_email(s.buyer_email))
                     FROM omni_identity.cluster_split_queue q
                     JOIN omni_identity.customer_cluster c
                       ON c.tenant_id = q.tenant_id AND q.cluster_id IN (c.cluster_id, c.merged_into)
                     JOIN public.omni_sales s ON s.tenant_id = c.tenant_id AND s.customer_hash = c.cluster_id
                    WHERE q.tenant_id = %s AND q.reason = 'generic'""", (TENANT,)).fetchone()
    console.print(f"   in {time.monotonic() - t0:.1f}s. The landline is now [bold]{e[0]}[/bold]: seen with "
                  f"{e[1]} different e-mails in {e[2]} sales (more than generic_threshold, 20, of one type). "
                  f"Before it crossed, it had linked the first buyers, their whole histories with them, into "
                  f"one 'customer' of {over[0]} sales and {over[1]} e-mails; that customer is queued for a "
                  f"split, and the later buyers were no longer linked through the landline.", highlight=False)

    _shell(console, "omni-identity", "health", "--tenant", TENANT, "--limit", "5")
    cmd_explain.cmd_health(argparse.Namespace(tenant=TENANT, limit=5, format="table", dsn=dsn))
    _shell(console, "omni-identity", "explain", "--tenant", TENANT, "--phone", phone)
    cmd_explain.cmd_explain(argparse.Namespace(tenant=TENANT, sale=None, email=None, phone=phone, document=None,
                                               format="table", dsn=dsn, parser=None))

    console.print("\n[bold]6. reconcile[/bold] (splits first)")
    t0 = time.monotonic()
    r = cmd_jobs.reconcile_run(dsn, 5_000, 2)
    with connect(dsn, autocommit=True) as conn:
        buyers = conn.execute(
            """SELECT count(DISTINCT s.customer_hash), count(*) FILTER (WHERE s.customer_hash IS NULL)
                 FROM public.omni_sales s
                WHERE s.tenant_id = %s AND s.shop_id = %s AND s.external_id LIKE 'loja-%%'""",
            (TENANT, demo_data.STORE)).fetchone()
    console.print(f"   {r.splits} cluster(s) split into {r.new_clusters} new, {r.repointed} sales repointed, "
                  f"{r.merges} merges reconciled in {time.monotonic() - t0:.1f}s: the {len(store_day)} walk-in sales now "
                  f"belong to {buyers[0]} different customers ({buyers[1]} without one: the landline was "
                  f"all they gave)", highlight=False)

    a, b = _explained_pair(dsn)
    console.print(f"\n[bold]7. explain[/bold] why walk-in sale {a} and sale {b} are one customer "
                  f"(not through the landline: it links nothing now)", highlight=False)
    _shell(console, "omni-identity", "explain", "--tenant", TENANT, "--sale", str(a), "--sale", str(b))
    cmd_explain.cmd_explain(argparse.Namespace(tenant=TENANT, sale=[a, b], format="table", dsn=dsn, parser=None))


def _explained_pair(dsn: str) -> tuple[int, int]:
    """A walk-in sale and an older sale of the same customer, the pair whose chain is the
    longest (more keys make a better picture; ties: the smallest ids)."""
    with connect(dsn, autocommit=True) as conn, tenant_transaction(conn, TENANT):
        # The pairs first, then explain_link per pair, one call each: on Citus a function
        # that reads distributed tables cannot run per row of a query routed to a shard
        # (a few dozen pairs: the walk-in sales and their customers' other sales).
        pairs = conn.execute(
            """SELECT w.id, o.id
                 FROM public.omni_sales w
                 JOIN public.omni_sales o
                   ON o.tenant_id = w.tenant_id AND o.customer_hash = w.customer_hash AND o.id <> w.id
                WHERE w.tenant_id = %s AND w.shop_id = %s AND w.external_id LIKE 'loja-%%'
                  AND w.customer_hash IS NOT NULL
                ORDER BY w.id, o.id""", (TENANT, demo_data.STORE)).fetchall()
        steps = {(a, b): conn.execute("SELECT count(*) FROM omni_identity.explain_link(%s, %s, %s)",
                                      (TENANT, a, b)).fetchone()[0] for a, b in pairs}
        return min(pairs, key=lambda p: (-steps[p], p))
