"""omni-identity demo end to end (small size) on a given database."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_runs_end_to_end(db):
    r = subprocess.run([sys.executable, "-m", "harness.cli", "demo", "--sales", "3000", "--dsn", db.dsn],
                       capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    for part in ("1. upload", "3. backfill", "4. reconcile", "Top customers", "Batch metrics", "demo done"):
        assert part in r.stdout
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE tenant_id = 'demo'") > 2900
    # After reconcile no sale carries a merged-away cluster, keyed sales all have one.
    assert db.scalar("SELECT count(*) FROM public.omni_sales s JOIN omni_identity.customer_cluster c"
                     "  ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash"
                     " WHERE c.merged_into IS NOT NULL") == 0
    assert set(db.column("SELECT DISTINCT job FROM omni_identity.batch_metrics")) == {"upload", "backfill", "reconcile"}
    # The top-customer table is customer_report_v2's first customers, in the report's order.
    top = db.rows("SELECT email, orders FROM omni_identity.customer_report_v2('demo')"
                  " WHERE cluster_id IS NOT NULL LIMIT 5")
    table = r.stdout[r.stdout.index("Top customers"):r.stdout.index("Batch metrics")]
    lines = [line for line in table.splitlines() if "@" in line]
    assert [(email in line, f" {orders} " in line) for (email, orders), line in zip(top, lines)] == [(True, True)] * 5, table
