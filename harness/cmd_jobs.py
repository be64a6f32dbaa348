"""Commands: upload (CSV → ingest core), backfill, reconcile.

The SQL functions do the work; these loops only drive them batch by batch, one
transaction per batch, with a progress bar (rows, rows/s, ETA). Killed at any moment, a
rerun finishes with the same result: a batch either committed or left nothing behind.
When stdout is not a terminal, every committed batch is also reported as one plain line
(``<job>: batch <n> committed, <rows> rows``), for logs and for the tests.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import psycopg
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn,
                           TextColumn, TimeElapsedColumn, TimeRemainingColumn)

from harness.dsn import connect, resolve_dsn, tenant_transaction
from harness.errors import HarnessError

#: The columns an upload file may name (public.omni_sales minus tenant_id, id, customer_hash).
SALE_COLUMNS = ("shop_id", "gateway", "external_id", "buyer_email", "buyer_phone", "buyer_name",
                "buyer_document", "product_id", "status", "amount", "currency", "created_at")
REQUIRED_COLUMNS = ("shop_id", "external_id", "created_at")


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli import add_dsn

    up = sub.add_parser("upload", help="ingest a CSV file of sales (header = omni_sales column names)")
    up.add_argument("file", type=Path, help="UTF-8 CSV file with a header row")
    up.add_argument("--tenant", required=True, help="tenant the sales belong to")
    up.add_argument("--batch-size", type=int, default=10_000, help="rows per batch (default 10000)")
    add_dsn(up)
    up.set_defaults(func=cmd_upload)

    bf = sub.add_parser("backfill", help="set customer_hash of sales that have none, batch by batch")
    bf.add_argument("--tenant", help="only this tenant (default: every tenant)")
    bf.add_argument("--batch-size", type=int, default=10_000, help="sales per batch (default 10000)")
    add_dsn(bf)
    bf.set_defaults(func=cmd_backfill)

    rc = sub.add_parser("reconcile", help="repoint sales of merged-away clusters to their survivors")
    rc.add_argument("--batch-size", type=int, default=5_000, help="merges per batch (default 5000)")
    rc.add_argument("--workers", type=int, default=1, help="parallel workers (default 1)")
    add_dsn(rc)
    rc.set_defaults(func=cmd_reconcile)


# -- progress -------------------------------------------------------------------------

def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TaskProgressColumn(), TextColumn("{task.fields[rate]} rows/s"),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=console, transient=False, disable=not console.is_terminal,
    )


class _Reporter:
    """Progress bar on a terminal; one plain line per committed batch otherwise."""

    def __init__(self, job: str, total: int, unit: str = "rows"):
        self.job = job
        self.unit = unit
        self.console = Console(stderr=False)
        self.plain = not self.console.is_terminal
        self.progress = _progress(self.console)
        self.started = time.monotonic()
        self.done = 0
        self.batches = 0
        self.lock = threading.Lock()
        self.task = self.progress.add_task(job, total=max(total, 1), rate="0")

    def __enter__(self) -> "_Reporter":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def batch(self, rows: int) -> None:
        with self.lock:
            self.batches += 1
            self.done += rows
            elapsed = max(time.monotonic() - self.started, 1e-6)
            task = self.progress.tasks[0]
            if self.done > task.total:
                self.progress.update(self.task, total=self.done)
            self.progress.update(self.task, completed=self.done, rate=f"{self.done / elapsed:,.0f}")
            if self.plain:
                print(f"{self.job}: batch {self.batches} committed, {rows} {self.unit}", flush=True)

    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.started, 1e-6)


def _check_batch_size(n: int) -> None:
    if not 1 <= n <= 100_000:
        raise HarnessError(f"--batch-size must be between 1 and 100000, got {n}")


# -- upload ---------------------------------------------------------------------------

@dataclass
class UploadResult:
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    unchanged: int = 0          # valid rows that matched a stored sale unchanged (resends)
    rejects_known: int = 0      # rejected rows already recorded in sales_rejects
    clustered: int = 0
    merges: int = 0
    batches: list[int] = field(default_factory=list)
    rejects: list[tuple[int, str]] = field(default_factory=list)


def _read_header(reader) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise HarnessError("the file is empty: expected a header row with omni_sales column names") from None
    names = [h.strip().lstrip("\ufeff").strip() for h in header]
    unknown = [n for n in names if n not in SALE_COLUMNS]
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    dup = sorted({n for n in names if names.count(n) > 1})
    problems = []
    if unknown:
        problems.append("unknown column(s) " + ", ".join(repr(n) for n in unknown))
    if missing:
        problems.append("missing required column(s) " + ", ".join(missing))
    if dup:
        problems.append("duplicate column(s) " + ", ".join(dup))
    if problems:
        raise HarnessError("header mismatch: " + "; ".join(problems)
                           + f" (allowed: {', '.join(SALE_COLUMNS)})")
    return names


#: The staging table of one batch, made by SQL (omni_identity.copied_sales_table): created,
#: filled by COPY and consumed in the batch's transaction, dropped at its commit.
COPY_TABLE = "SELECT omni_identity.copied_sales_table()"

#: A byte that is not UTF-8, as the surrogateescape error handler decodes it.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


def _lines(path: Path) -> Iterator[str]:
    """The physical lines of the file (any line ending, kept for the CSV reader). Decoded
    line by line, so a byte that is not UTF-8 is reported on its own line (a decoder
    reading ahead by blocks would blame the line it had reached)."""
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as fh:
        for n, line in enumerate(fh, 1):
            bad = _NOT_UTF8.search(line)
            if bad:
                raise HarnessError(
                    f"{path}: not valid UTF-8 at line {n} (byte 0x{ord(bad.group()) - 0xdc00:02x});"
                    " save the file as UTF-8")
            yield line


class _Tape:
    """The physical lines the CSV reader consumed since the last take(): the text of a
    record the reader could not read into fields."""

    def __init__(self, lines: Iterator[str]):
        self.lines = lines
        self.buf: list[str] = []

    def __iter__(self):
        for line in self.lines:
            self.buf.append(line)
            yield line

    def take(self) -> str:
        text, self.buf = "".join(self.buf), []
        return text


def _unread_fields(text: str, width: int) -> list:
    """A record the reader refused, cut at its commas into the columns (the rest in the
    last one), so its reject keeps the content it had (two such lines are two rejects);
    a field over the reader's limit is kept as its length and SHA-256."""
    parts = text.rstrip("\r\n").replace("\x00", "\ufffd").split(",")
    parts = (parts[:width - 1] + [",".join(parts[width - 1:])] if len(parts) > width
             else parts + [""] * (width - len(parts)))
    limit = csv.field_size_limit()
    return [(f"({len(v):,} characters, sha256 {hashlib.sha256(v.encode()).hexdigest()})"
             if len(v) > limit else v) or None for v in parts]


def _records(reader, names: list[str], tape: _Tape) -> Iterator[list]:
    """The rows to COPY, [line, reject reason, values...], one per CSV record. A record
    the file gets wrong is a reject of its first line, with the reason, and the reader
    goes on with the next line: a CSV error (text after a closing quote, a quoted field
    still open at the end of the file, a field over csv.field_size_limit() characters), a
    quoted field running over line breaks that holds a comma (a stray quote swallowing
    the lines after it: no sale column holds both), a NUL byte (text cannot hold one), or
    the wrong number of fields."""
    width = len(names)
    start = reader.line_num + 1
    tape.take()
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield [start, _span(start, end) + _csv_reason(str(exc))] + _unread_fields(tape.take(), width)
            start = end + 1
            continue
        tape.take()
        line, end = start, reader.line_num
        start = end + 1
        if not rec or rec == [""]:
            continue
        reason = None
        if end > line and any(("\n" in v or "\r" in v) and "," in v for v in rec):
            reason = (_span(line, end) + "a quoted field runs over line breaks and holds commas"
                      " (a stray quote?)")
        elif any("\x00" in v for v in rec):
            reason = _span(line, end) + "a NUL byte"
            rec = [v.replace("\x00", "\ufffd") for v in rec]
        elif len(rec) != width:
            reason = f"expected {width} fields, got {len(rec)}" + (
                f" (the record runs from line {line} to line {end}: a stray quote?)" if end > line else "")
            rec = (rec + [""] * width)[:width]
        yield [line, reason] + [v if v != "" else None for v in rec]


def _csv_reason(message: str) -> str:
    """The csv module's error, in words about the file."""
    if message.startswith("field larger than field limit"):
        return f"a field is longer than {csv.field_size_limit():,} characters"
    if message == "unexpected end of data":
        return "a quoted field is still open at the end of the file (a stray quote?)"
    if message.startswith("',' expected after '\"'"):
        return "text follows the closing quote of a field (a stray quote?)"
    return f"CSV error: {message}"


def _span(first: int, last: int) -> str:
    return f"lines {first}-{last}: " if last > first else ""


def upload(dsn: str, path: Path, tenant: str, batch_size: int = 10_000,
           reporter_factory=_Reporter) -> UploadResult:
    """Stream the CSV through the ingest core. Each batch is one transaction that names the
    tenant, COPYs its rows into a staging table dropped at commit and ingests them there
    (omni_identity.ingest_copied_sales): nothing lives in the server session between
    transactions, so the upload is safe behind a transaction-pooling connection pooler."""
    _check_batch_size(batch_size)
    if not tenant:
        raise HarnessError("--tenant must not be empty")
    if not path.is_file():
        raise HarnessError(f"no such file: {path}")
    # Check the whole file is UTF-8 before the first batch commits: a file in another
    # encoding stops with nothing written.
    physical = sum(1 for _ in _lines(path))
    result = UploadResult()
    with closing(_lines(path)) as lines:
        tape = _Tape(lines)
        reader = csv.reader(tape, strict=True)
        try:
            names = _read_header(reader)
        except csv.Error as exc:
            raise HarnessError(f"{path}: CSV error in the header at line {reader.line_num}: {exc}") from None
        records = _records(reader, names, tape)
        copy_sql = f"COPY oi_copied_sales (row_no, reject_reason, {', '.join(names)}) FROM STDIN"
        with connect(dsn, autocommit=True) as conn, reporter_factory("upload", physical - 1) as rep:
            pending = next(records, None)
            while pending is not None:
                with tenant_transaction(conn, tenant):
                    conn.execute(COPY_TABLE)
                    n = 0
                    with conn.cursor().copy(copy_sql) as copy:
                        while pending is not None and n < batch_size:
                            copy.write_row(pending)
                            n += 1
                            pending = next(records, None)
                    ins, upd, rej, clu, mer, batch_id = conn.execute(
                        "SELECT * FROM omni_identity.ingest_copied_sales(%s)", (tenant,)).fetchone()
                    if rej:
                        result.rejects += conn.execute(
                            "SELECT row_no, reason FROM omni_identity.sales_rejects"
                            " WHERE tenant_id = %s AND batch_id = %s ORDER BY row_no", (tenant, batch_id)).fetchall()
                    unchanged, known = conn.execute(
                        "SELECT rows_unchanged, rejects_known FROM omni_identity.batch_metrics"
                        " WHERE tenant_id = %s AND batch_id = %s", (tenant, batch_id)).fetchone()
                result.unchanged += unchanged
                result.rejects_known += known
                result.inserted += ins
                result.updated += upd
                result.rejected += rej
                result.clustered += clu
                result.merges += mer
                result.batches.append(batch_id)
                rep.batch(n)
    return result


def cmd_upload(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    r = upload(dsn, args.file, args.tenant, args.batch_size)
    for line_no, reason in r.rejects[:50]:
        print(f"line {line_no}: {reason}")
    if len(r.rejects) > 50:
        print(f"... and {len(r.rejects) - 50} more rejects (omni_identity.sales_rejects, "
              f"batch_id {r.batches[0]}..{r.batches[-1]})")
    known = f" ({r.rejects_known} already recorded, not listed)" if r.rejects_known else ""
    print(f"{args.file}: {r.inserted} inserted, {r.updated} updated, {r.unchanged} unchanged, "
          f"{r.rejected} rejected{known}, {r.clustered} clustered, {r.merges} merges "
          f"in {len(r.batches)} batch(es)")
    return 0


# -- backfill -------------------------------------------------------------------------

def backfill(dsn: str, tenant: str | None = None, batch_size: int = 10_000,
             reporter_factory=_Reporter) -> int:
    """Loop backfill_customer_hash until it returns 0; returns the rows processed."""
    _check_batch_size(batch_size)
    with connect(dsn, autocommit=True) as conn:
        with tenant_transaction(conn, tenant):
            total = conn.execute(
                "SELECT count(*) FROM public.omni_sales s WHERE s.customer_hash IS NULL"
                " AND (%(t)s::text IS NULL OR s.tenant_id = %(t)s)"
                " AND NOT EXISTS (SELECT 1 FROM omni_identity.backfill_keyless k"
                "                  WHERE k.tenant_id = s.tenant_id AND k.sale_id = s.id)",
                {"t": tenant}).fetchone()[0]
        done = 0
        with reporter_factory("backfill", total) as rep:
            while True:
                with tenant_transaction(conn, tenant):
                    n = conn.execute("SELECT omni_identity.backfill_customer_hash(%s, %s)",
                                     (tenant, batch_size)).fetchone()[0]
                if n == 0:
                    break
                done += n
                rep.batch(n)
    return done


def cmd_backfill(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    t0 = time.monotonic()
    n = backfill(dsn, args.tenant, args.batch_size)
    dt = time.monotonic() - t0
    print(f"backfill done: {n} sales processed in {dt:.1f}s ({n / max(dt, 1e-6):,.0f} rows/s)")
    return 0


# -- reconcile ------------------------------------------------------------------------

def reconcile(dsn: str, batch_size: int = 5_000, workers: int = 1,
              reporter_factory=_Reporter) -> int:
    """Run `workers` loops of reconcile_merges until none finds work; returns merges reconciled."""
    _check_batch_size(batch_size)
    if not 1 <= workers <= 64:
        raise HarnessError(f"--workers must be between 1 and 64, got {workers}")
    with connect(dsn, autocommit=True) as conn:
        total = conn.execute("SELECT count(*) FROM omni_identity.customer_cluster_merges"
                             " WHERE reconciled_at IS NULL").fetchone()[0]
    errors: list[BaseException] = []
    counts = [0] * workers

    with reporter_factory("reconcile", total, unit="merges") as rep:
        def work(i: int) -> None:
            try:
                with connect(dsn, autocommit=True) as c:
                    while True:
                        n = c.execute("SELECT omni_identity.reconcile_merges(%s)", (batch_size,)).fetchone()[0]
                        if n == 0:
                            return
                        counts[i] += n
                        rep.batch(n)
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    return sum(counts)


def cmd_reconcile(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    t0 = time.monotonic()
    n = reconcile(dsn, args.batch_size, args.workers)
    print(f"reconcile done: {n} merges reconciled in {time.monotonic() - t0:.1f}s "
          f"with {args.workers} worker(s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the omni-identity command")
