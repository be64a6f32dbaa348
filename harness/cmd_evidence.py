"""Command: evidence-upgrade (design §9; docs/reresolution.md, "Upgrading").

Drives omni_identity.evidence_upgrade_batch batch by batch, one transaction per batch,
with the same progress bar, retries and plain per-batch lines as the backfill
(harness/cmd_jobs.py). Killed at any moment (even kill -9), a rerun goes on from the
last committed batch: the position is in omni_identity.evidence_upgrade.
"""
from __future__ import annotations

import argparse
import time

from harness.cmd_jobs import (DEFAULT_MAX_WAIT_S, DEFAULT_QUEUE_AFTER_S, Backoff,
                              _check_batch_size, _job_settings, _Reporter, _warnings_to_stderr,
                              tenant_batch)
from harness.dsn import connect, resolve_dsn, tenant_transaction


def register(sub: argparse._SubParsersAction) -> None:
    from harness.cli import add_dsn

    up = sub.add_parser("evidence-upgrade",
                        help="record the evidence of sales clustered before evidence existed "
                             "(once, after upgrading; block and forget refuse until then)")
    up.add_argument("--tenant", help="only this tenant (default: every tenant)")
    up.add_argument("--batch-size", type=int, default=10_000,
                    help="most sales (or clusters) per batch (default 10000)")
    up.add_argument("--max-wait", type=float, default=DEFAULT_MAX_WAIT_S,
                    help="give up after waiting this many seconds in a row for busy tenants "
                         f"(default {DEFAULT_MAX_WAIT_S:.0f})")
    add_dsn(up)
    up.set_defaults(func=cmd_evidence_upgrade)


def evidence_upgrade(dsn: str, tenant: str | None = None, batch_size: int = 10_000,
                     reporter_factory=_Reporter, max_wait: float = DEFAULT_MAX_WAIT_S,
                     queue_after: float | None = DEFAULT_QUEUE_AFTER_S) -> int:
    """Loop evidence_upgrade_batch until it returns 0; returns the units done (sales
    read, clusters examined, tenants completed). A batch refused because its tenant is
    busy (OI035) or a lock wait timed out is retried after a jittered pause; after
    `queue_after` seconds of refusals a try may queue for the lock (LOCK_QUEUE_WAIT)."""
    _check_batch_size(batch_size)
    with connect(dsn, autocommit=True) as conn:
        _warnings_to_stderr(conn)
        with tenant_transaction(conn, tenant):
            _job_settings(conn)
            total = conn.execute("SELECT omni_identity.evidence_upgrade_remaining(%s)",
                                 (tenant,)).fetchone()[0]
        done = 0
        with reporter_factory("evidence-upgrade", total, unit="units") as rep:
            backoff = Backoff("evidence-upgrade", max_wait, rep)
            while True:
                n = tenant_batch(conn, tenant, backoff, queue_after,
                                 "SELECT omni_identity.evidence_upgrade_batch(%s, %s)", (tenant, batch_size))
                if n is None:
                    continue
                if n == 0:
                    break
                done += n
                rep.batch(n)
    return done


def cmd_evidence_upgrade(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(args.dsn)
    t0 = time.monotonic()
    n = evidence_upgrade(dsn, args.tenant, args.batch_size, max_wait=args.max_wait)
    with connect(dsn, autocommit=True) as conn:
        with tenant_transaction(conn, args.tenant):
            left = conn.execute(
                "SELECT count(*) FROM omni_identity.evidence_upgrade"
                " WHERE completed_at IS NULL AND (%s::text IS NULL OR tenant_id = %s)",
                (args.tenant, args.tenant)).fetchone()[0]
    print(f"evidence-upgrade done: {n} units in {time.monotonic() - t0:.1f}s; "
          f"{left} tenant(s) still incomplete" if left else
          f"evidence-upgrade done: {n} units in {time.monotonic() - t0:.1f}s; evidence complete")
    return 0
