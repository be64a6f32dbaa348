"""The CLI backfill killed with SIGKILL after it committed a batch, then rerun: the final
state equals the reference model, as an uninterrupted run would leave it. The CLI runs as
the superuser and as the job login (fixture job_login)."""
from __future__ import annotations

import os
import zlib
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from harness import demo_data
from tests_py.reference.model import Model, shipped_blocklist
from tests_py.test_backfill_model import check_against_model

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "harness.cli"]


def load_history(db, tenants: dict[str, int]) -> dict[str, tuple[dict, Model]]:
    """Raw sales of several tenants straight into omni_sales; returns each tenant's model."""
    out = {}
    blocklist = shipped_blocklist(db)
    with db.conn.cursor().copy(
            "COPY public.omni_sales (tenant_id, " + ", ".join(demo_data.COLUMNS) + ") FROM STDIN") as cp:
        for tenant, n in tenants.items():
            model = Model(blocklist)
            index = {}
            for row in demo_data.sales(n, seed=zlib.crc32(tenant.encode()) % 1000, bad_rows=0):
                cp.write_row([tenant] + [row[c] if c != "gateway" else (row[c] or "") for c in demo_data.COLUMNS])
                idx = model.add(email=row["buyer_email"], phone=row["buyer_phone"],
                                document=row["buyer_document"], name=row["buyer_name"],
                                seen_at=datetime.fromisoformat(row["created_at"]))
                index[row["external_id"]] = (idx, row)
            out[tenant] = (index, model)
    return out


def test_backfill_killed_then_rerun_matches_model(db, job_login):
    data = load_history(db, {"kill-a": 1500, "kill-b": 700})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    dsn = db.login_dsn(job_login)
    proc = subprocess.Popen(CLI + ["backfill", "--batch-size", "150", "--dsn", dsn],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        first = proc.stdout.readline()   # printed only after the batch committed
        assert "committed" in first, (first, proc.stderr.read() if proc.poll() is not None else "")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert db.scalar("SELECT count(*) FROM omni_identity.batch_metrics WHERE job = 'backfill'") >= 1
    # Killed mid-run: work is left (15 batches in all; the kill came after the first).
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE customer_hash IS NULL"
                     " AND NOT EXISTS (SELECT 1 FROM omni_identity.backfill_keyless k"
                     "  WHERE k.tenant_id = omni_sales.tenant_id AND k.sale_id = omni_sales.id)") > 0

    rerun = subprocess.run(CLI + ["backfill", "--batch-size", "150", "--dsn", dsn],
                           capture_output=True, text=True, env=env, cwd=ROOT)
    assert rerun.returncode == 0, rerun.stderr
    assert "backfill done" in rerun.stdout
    rec = subprocess.run(CLI + ["reconcile", "--workers", "3", "--batch-size", "20", "--dsn", dsn],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert rec.returncode == 0, rec.stderr

    for tenant, (index, model) in data.items():
        check_against_model(db, tenant, index, model)
    # One batch_metrics row per committed batch, cross-tenant batches under tenant '*'.
    assert db.scalar("SELECT count(*) FROM omni_identity.batch_metrics"
                     " WHERE job = 'backfill' AND tenant_id <> '*'") == 0
    assert db.scalar("SELECT sum(rows_in) FROM omni_identity.batch_metrics WHERE job = 'backfill'") >= 2200
