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
import random
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

#: The columns an upload file may name and whether each is required, read from the
#: catalog by SQL (public.omni_sales minus the columns the package sets itself).
SALE_COLUMNS = "SELECT column_name, required FROM omni_identity.sale_columns()"


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
    bf.add_argument("--batch-size", type=int, default=10_000,
                    help="most sales per batch (default 10000); see --lock-budget-ms")
    bf.add_argument("--lock-budget-ms", type=int, default=DEFAULT_LOCK_BUDGET_MS,
                    help="target duration of one batch, i.e. how long it holds its tenants' lock "
                         f"(resolves of those tenants wait for it): batch sizes adapt to it "
                         f"(default {DEFAULT_LOCK_BUDGET_MS}; 0 = always --batch-size)")
    bf.add_argument("--max-wait", type=float, default=DEFAULT_MAX_WAIT_S,
                    help="give up after waiting this many seconds in a row for busy tenants "
                         f"(default {DEFAULT_MAX_WAIT_S:.0f})")
    add_dsn(bf)
    bf.set_defaults(func=cmd_backfill)

    rc = sub.add_parser("reconcile", help="split queued clusters, then repoint sales of split and merged-away clusters")
    rc.add_argument("--batch-size", type=int, default=5_000, help="merges per batch (default 5000)")
    rc.add_argument("--workers", type=int, default=1, help="parallel workers (default 1)")
    rc.add_argument("--max-wait", type=float, default=DEFAULT_MAX_WAIT_S,
                    help="give up after retrying a batch this many seconds in a row "
                         f"(default {DEFAULT_MAX_WAIT_S:.0f})")
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


def _read_header(reader, columns: list[tuple[str, bool]]) -> list[str]:
    allowed = [name for name, _ in columns]
    try:
        header = next(reader)
    except StopIteration:
        raise HarnessError("the file is empty: expected a header row with omni_sales column names") from None
    names = [h.strip().lstrip("\ufeff").strip() for h in header]
    unknown = [n for n in names if n not in allowed]
    missing = [n for n, required in columns if required and n not in names]
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
                           + f" (allowed: {', '.join(allowed)})")
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
    with closing(_lines(path)) as lines, connect(dsn, autocommit=True) as conn:
        tape = _Tape(lines)
        reader = csv.reader(tape, strict=True)
        # One short transaction of its own, before the first batch: it reads the catalog
        # only, no tenant's rows or settings.
        columns = conn.execute(SALE_COLUMNS).fetchall()
        try:
            names = _read_header(reader, columns)
        except csv.Error as exc:
            raise HarnessError(f"{path}: CSV error in the header at line {reader.line_num}: {exc}") from None
        records = _records(reader, names, tape)
        copy_sql = f"COPY oi_copied_sales (row_no, reject_reason, {', '.join(names)}) FROM STDIN"
        with reporter_factory("upload", physical - 1) as rep:
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


# -- backfill and reconcile: retries, failures --------------------------------------------

#: Errors after which a job batch is simply tried again after a pause: a tenant busy with
#: live calls (the batch never queues for its lock), a lock wait that hit the function's
#: lock_timeout, a deadlock or serialization failure. Nothing of the batch committed.
RETRY_SQLSTATES = frozenset({"OI035", "OI090", "55P03", "40P01", "40001"})
DEFAULT_MAX_WAIT_S = 600.0
DEFAULT_LOCK_BUDGET_MS = 20
MIN_BATCH = 50
#: After this many seconds of refused tries, a backfill batch may wait in the tenant
#: lock's queue, for at most LOCK_QUEUE_WAIT (omni_identity.tenant_lock_wait): under
#: continuously overlapping resolves a moment with no holder is rare and pure tries
#: would starve the job; live calls then wait at most that long behind the request.
DEFAULT_QUEUE_AFTER_S = 0.05
LOCK_QUEUE_WAIT = "20ms"


class Backoff:
    """Jittered exponential pauses between retries of a batch (10 ms doubling to 1 s,
    each × 0.5–1.5), so several jobs do not retry in step; gives up after `max_wait`
    seconds of consecutive retries."""

    def __init__(self, job: str, max_wait: float, rep=None):
        self.job = job
        self.max_wait = max_wait
        self.rep = rep
        self.rng = random.Random()
        self.streak_started: float | None = None
        self.pause = 0.01
        self.tries = 0
        self.waits = 0
        self.waited = 0.0

    def retry(self, exc: psycopg.Error) -> None:
        """Sleep before the next try, or raise when the streak exceeds max_wait."""
        now = time.monotonic()
        if self.streak_started is None:
            self.streak_started, self.pause, self.tries = now, 0.01, 0
        if now - self.streak_started > self.max_wait:
            raise HarnessError(
                f"{self.job}: gave up after retrying for {now - self.streak_started:.0f}s "
                f"({self.tries} tries); last error [{exc.sqlstate}]: {_first_line(exc)}")
        pause = self.pause * (0.5 + self.rng.random())
        self.pause = min(self.pause * 2, 1.0)
        self.tries += 1
        self.waits += 1
        self.waited += pause
        time.sleep(pause)

    def streak(self) -> float:
        """Seconds since the first refused try of the current streak (0: none)."""
        return 0.0 if self.streak_started is None else time.monotonic() - self.streak_started

    def progressed(self) -> None:
        """A batch committed: report the streak of waits it ended, if any."""
        if self.streak_started is not None:
            waited = time.monotonic() - self.streak_started
            _report(self.rep, f"{self.job}: waited {waited:.2f}s ({self.tries} retries) for busy tenants")
            self.streak_started = None

    def attempt(self, call):
        """call() once and return its result; refused for a reason worth a retry
        (RETRY_SQLSTATES), pause and return None (the caller tries again)."""
        try:
            out = call()
        except psycopg.Error as exc:
            if exc.sqlstate not in RETRY_SQLSTATES:
                raise
            self.retry(exc)
            return None
        self.progressed()
        return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _report(rep, line: str) -> None:
    """One plain line when the output is not a terminal; on a terminal, in the bar's text."""
    if rep is None or getattr(rep, "plain", True):
        print(line, flush=True)
    else:
        rep.progress.update(rep.task, description=line)


def _warnings_to_stderr(conn: psycopg.Connection) -> None:
    """Print the WARNINGs of the job functions (a tenant's failure names the tenant)."""
    def show(diag) -> None:
        if diag.severity_nonlocalized == "WARNING":
            print(f"omni-identity: warning: {diag.message_primary}", file=sys.stderr, flush=True)
    conn.add_notice_handler(show)


def _failures(conn: psycopg.Connection, job: str, since) -> list[tuple[str, str]]:
    """The tenants whose part of a batch of `job` failed since `since` (server time), with
    the last error of each: the rows the job functions record in batch_metrics."""
    return conn.execute(
        "SELECT DISTINCT ON (m.tenant_id) m.tenant_id, m.error FROM omni_identity.batch_metrics m"
        " WHERE m.job = %s AND m.error IS NOT NULL AND m.started_at >= %s"
        " ORDER BY m.tenant_id, m.started_at DESC", (job, since)).fetchall()


class TenantFailures(HarnessError):
    """A cross-tenant job finished, but some tenants' batches failed (the others ran)."""

    def __init__(self, job: str, done: int, unit: str, failures: list[tuple[str, str]]):
        self.done = done
        self.failures = failures
        names = "; ".join(f"tenant {t!r}: {e}" for t, e in failures[:10])
        more = f" and {len(failures) - 10} more" if len(failures) > 10 else ""
        super().__init__(f"{job} finished ({done} {unit}) but failed for {len(failures)} tenant(s): "
                         f"{names}{more} (omni_identity.batch_metrics.error)")


def _job_settings(conn: psycopg.Connection, lock_wait: str = "0") -> None:
    """Settings of one job transaction (opened by tenant_transaction, which names its
    tenant), all transaction-local, so a pooled connection hands none of them to the next
    client: a lock_timeout for the harness's own statements (the job functions set
    theirs), and how long a batch may queue for a tenant's lock."""
    conn.execute("SELECT set_config('lock_timeout', '5s', true),"
                 " set_config('omni_identity.tenant_lock_wait', %s, true)", (lock_wait,))


def tenant_batch(conn: psycopg.Connection, tenant: str | None, backoff: Backoff,
                 queue_after: float | None, sql: str, params: tuple):
    """One batch of a job (`sql` returns one value) in its own transaction naming its
    tenant, through backoff.attempt: None when refused. After `queue_after` seconds of
    refusals (None: never) the try may queue for the tenant's lock (LOCK_QUEUE_WAIT)."""
    queue = queue_after is not None and backoff.streak() >= queue_after

    def call():
        with tenant_transaction(conn, tenant):
            _job_settings(conn, LOCK_QUEUE_WAIT if queue else "0")
            return conn.execute(sql, params).fetchone()[0]
    return backoff.attempt(call)


def _server_now(conn: psycopg.Connection):
    return conn.execute("SELECT clock_timestamp()").fetchone()[0]


# -- backfill -------------------------------------------------------------------------

def backfill(dsn: str, tenant: str | None = None, batch_size: int = 10_000,
             reporter_factory=_Reporter, lock_budget_ms: int = 0,
             max_wait: float = DEFAULT_MAX_WAIT_S,
             queue_after: float | None = DEFAULT_QUEUE_AFTER_S) -> int:
    """Loop backfill_customer_hash until it returns 0; returns the rows processed.

    A batch holds its tenants' lock for its whole duration, and every resolve of those
    tenants that writes waits for it: the batch size adapts so that a batch lasts about
    `lock_budget_ms` (between MIN_BATCH and `batch_size` sales; 0, the default of this
    function, which the demo uses: always `batch_size`; the CLI's default is
    DEFAULT_LOCK_BUDGET_MS, for backfills beside live traffic). A batch refused because a
    tenant is busy (OI035) or a lock wait timed out is retried after a jittered pause;
    after `queue_after` seconds of refusals (None: never) a try may queue for the lock for
    at most LOCK_QUEUE_WAIT.
    Across tenants, a tenant whose batch failed is skipped by the SQL for the rest of the
    run and the others go on; the run then raises TenantFailures naming it."""
    _check_batch_size(batch_size)
    if lock_budget_ms < 0:
        raise HarnessError(f"--lock-budget-ms must be 0 or more, got {lock_budget_ms}")
    size = batch_size if lock_budget_ms == 0 else min(batch_size, 250)
    # No session state: every transaction names its tenant (tenant_transaction).
    with connect(dsn, autocommit=True) as conn:
        _warnings_to_stderr(conn)
        since = _server_now(conn)
        with tenant_transaction(conn, tenant):
            _job_settings(conn)
            total = conn.execute("SELECT omni_identity.backfill_remaining(%s)", (tenant,)).fetchone()[0]
        done = 0
        with reporter_factory("backfill", total) as rep:
            backoff = Backoff("backfill", max_wait, rep)
            while True:
                t0 = time.monotonic()
                n = tenant_batch(conn, tenant, backoff, queue_after,
                                 "SELECT omni_identity.backfill_customer_hash(%s, %s)", (tenant, size))
                if n is None:
                    continue
                elapsed_ms = (time.monotonic() - t0) * 1000
                if n == 0:
                    break
                done += n
                rep.batch(n)
                if lock_budget_ms and n >= size:
                    # Proportional step toward the budget, at most ×2 or ÷2 per batch.
                    factor = min(2.0, max(0.5, lock_budget_ms / max(elapsed_ms, 1.0)))
                    size = max(MIN_BATCH, min(batch_size, int(size * factor)))
        # One tenant's backfill is not isolated: its errors are raised, never recorded.
        failures = _failures(conn, "backfill", since) if tenant is None else []
    if failures:
        raise TenantFailures("backfill", done, "sales processed", failures)
    return done


def cmd_backfill(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    t0 = time.monotonic()
    n = backfill(dsn, args.tenant, args.batch_size, lock_budget_ms=args.lock_budget_ms,
                 max_wait=args.max_wait)
    dt = time.monotonic() - t0
    print(f"backfill done: {n} sales processed in {dt:.1f}s ({n / max(dt, 1e-6):,.0f} rows/s)")
    return 0


# -- reconcile ------------------------------------------------------------------------

@dataclass
class ReconcileResult:
    """What a reconcile run did, by kind of batch (reconcile_merges names each batch's
    work in the setting omni_identity.reconcile_work)."""
    merges: int = 0             # merges reconciled (claimed)
    splits: int = 0             # queued clusters split
    repointed: int = 0          # sales of split clusters moved by their keys
    new_clusters: int = 0       # clusters the splits made (customer_cluster_splits rows)

    def add(self, kind: str | None, n: int) -> None:
        if kind == "split":
            self.splits += n
        elif kind == "repoint":
            self.repointed += n
        elif kind not in ("sweep", "generic", "repoint-done"):
            self.merges += n


RECONCILE_BATCH = ("SELECT omni_identity.reconcile_merges(%s),"
                   " pg_catalog.current_setting('omni_identity.reconcile_work', true)")


def evidence_fold_all(dsn: str, max_wait: float = DEFAULT_MAX_WAIT_S) -> int:
    """Fold the evidence log of every tenant that has rows in it (evidence_fold, design
    §9.1), one tenant per transaction, before reconcile's sweeps, splits and merges. The
    tenants are listed once, so a run ends even while resolve calls keep logging; a busy
    tenant (OI035/OI090) is retried after a pause. Returns the log rows folded."""
    folded = 0
    with connect(dsn, autocommit=True) as conn:
        tenants = [r[0] for r in conn.execute(
            "SELECT DISTINCT l.tenant_id FROM omni_identity.resolve_evidence_log l ORDER BY 1").fetchall()]
        backoff = Backoff("evidence fold", max_wait, None)
        for tenant in tenants:
            while (n := backoff.attempt(lambda: conn.execute(
                    "SELECT omni_identity.evidence_fold(%s)", (tenant,)).fetchone()[0])) is None:
                pass
            folded += n
    return folded


def reconcile_run(dsn: str, batch_size: int = 5_000, workers: int = 1,
                  reporter_factory=_Reporter, max_wait: float = DEFAULT_MAX_WAIT_S) -> ReconcileResult:
    """Run `workers` loops of reconcile_merges until none finds work: blocklist sweeps,
    splits of queued clusters and the repoint of their sales first (the SQL does them
    before merges), then merges. A batch that hit a lock timeout, a busy tenant (OI035)
    or a deadlock is retried after a jittered pause; a tenant whose part failed is skipped
    by the SQL for the rest of the run and named in the TenantFailures raised at the end
    (the other tenants were reconciled)."""
    _check_batch_size(batch_size)
    if not 1 <= workers <= 64:
        raise HarnessError(f"--workers must be between 1 and 64, got {workers}")
    with connect(dsn, autocommit=True) as conn:
        since = _server_now(conn)
        with tenant_transaction(conn, None):
            _job_settings(conn)
            total = conn.execute("SELECT omni_identity.reconcile_remaining()").fetchone()[0]
            splits_before = conn.execute("SELECT count(*) FROM omni_identity.customer_cluster_splits").fetchone()[0]
    evidence_fold_all(dsn, max_wait)
    errors: list[BaseException] = []
    results = [ReconcileResult() for _ in range(workers)]

    with reporter_factory("reconcile", total, unit="merges, splits and sales") as rep:
        def work(i: int) -> None:
            try:
                backoff = Backoff(f"reconcile worker {i + 1}", max_wait, rep)
                with connect(dsn, autocommit=True) as c:
                    _warnings_to_stderr(c)
                    while True:
                        row = backoff.attempt(lambda: c.execute(RECONCILE_BATCH, (batch_size,)).fetchone())
                        if row is None:
                            continue
                        n, kind = row
                        if n == 0:
                            return
                        results[i].add(kind, n)
                        if kind != "repoint-done" and kind != "sweep":
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
    result = ReconcileResult()
    for r in results:
        result.merges += r.merges
        result.splits += r.splits
        result.repointed += r.repointed
    with connect(dsn, autocommit=True) as conn:
        failures = _failures(conn, "reconcile", since)
        result.new_clusters = conn.execute(
            "SELECT count(*) FROM omni_identity.customer_cluster_splits").fetchone()[0] - splits_before
    if failures:
        raise TenantFailures("reconcile", result.merges, "merges claimed", failures)
    return result


def reconcile(dsn: str, batch_size: int = 5_000, workers: int = 1,
              reporter_factory=_Reporter, max_wait: float = DEFAULT_MAX_WAIT_S) -> int:
    """reconcile_run; returns the merges reconciled."""
    return reconcile_run(dsn, batch_size, workers, reporter_factory, max_wait).merges


def cmd_reconcile(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    t0 = time.monotonic()
    r = reconcile_run(dsn, args.batch_size, args.workers, max_wait=args.max_wait)
    print(f"reconcile done: {r.splits} cluster(s) split into {r.new_clusters} new, "
          f"{r.repointed} sale(s) repointed, "
          f"{r.merges} merges reconciled in {time.monotonic() - t0:.1f}s with {args.workers} worker(s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the omni-identity command")
