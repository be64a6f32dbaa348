"""omni-identity demo end to end (small size) on a given database."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from harness import demo_data

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
    assert set(db.column("SELECT DISTINCT job FROM omni_identity.batch_metrics")) == {"upload", "backfill", "reconcile",
                                                                                     "ingest"}
    # The top-customer table is customer_report_v2's first customers, in the report's order.
    top = db.rows("SELECT email, orders FROM omni_identity.customer_report_v2('demo')"
                  " WHERE cluster_id IS NOT NULL LIMIT 5")
    table = r.stdout[r.stdout.index("Top customers"):r.stdout.index("Batch metrics")]
    lines = [line for line in table.splitlines() if "@" in line]
    assert [(email in line, f" {orders} " in line) for (email, orders), line in zip(top, lines)] == [(True, True)] * 5, table

    check_guard_steps(db, r.stdout)


def _keys_of_sale(db, sale_id: int) -> set[tuple[str, str]]:
    row = db.rows("SELECT omni_identity.normalize_email(buyer_email), omni_identity.normalize_phone(buyer_phone),"
                  "       omni_identity.normalize_document(buyer_document)"
                  "  FROM public.omni_sales WHERE tenant_id = 'demo' AND id = %s", sale_id)[0]
    return {(t, v) for t, v in zip(("email", "phone", "document"), row) if v is not None}


def check_guard_steps(db, out: str) -> None:
    """Steps 5-7 (SPEC §12-13 on the demo's data): the store's landline, typed for every
    walk-in buyer, is reported generic by health and explain; reconcile split the strangers
    it had linked; explain draws a chain of keys between two sales of one customer."""
    phone = demo_data.store_phone_display(2024)
    norm = db.scalar("SELECT omni_identity.normalize_phone(%s)", phone)
    for part in ("5. a day at the store", "6. reconcile", "7. explain",
                 "$ omni-identity health --tenant demo", f"$ omni-identity explain --tenant demo --phone '{phone}'"):
        assert part in out, part
    # health: the landline among the top identifiers, generic; the histogram table.
    health = out[out.index("$ omni-identity health"):out.index("$ omni-identity explain")]
    assert "live clusters of demo by sales" in health and "1000+" in health, health
    line = next((ln for ln in health.splitlines() if norm in ln), None)
    assert line is not None and "generic" in line.split(), health
    # explain --phone: generic, with more e-mails than the default threshold.
    ident = db.dicts("SELECT * FROM omni_identity.explain_identifier('demo', 'phone', %s)", phone)[0]
    assert ident["status"] == "generic" and ident["linked_emails"] > 20, ident
    assert f"phone {phone}: generic" in out
    # The split: the landline's cluster was split at reconcile (reason generic), the
    # landline is no key of any cluster, and the walk-in buyers are many customers again.
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_splits"
                     " WHERE tenant_id = 'demo' AND reason = 'generic'") > 10
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_keys"
                     " WHERE tenant_id = 'demo' AND key_type = 'phone' AND key_value = %s", norm) == 0
    buyers = db.scalar("SELECT count(DISTINCT customer_hash) FROM public.omni_sales"
                       " WHERE tenant_id = 'demo' AND shop_id = %s AND external_id LIKE 'loja-%%'", demo_data.STORE)
    assert buyers > 20, buyers
    assert re.search(rf"the \d+ walk-in sales now belong to {buyers} different customers", out), out
    # explain --sale A --sale B: sale A → key → sale → … → sale B, A a walk-in sale, both
    # of one customer; the chain starts on a key of A and ends on a key of B.
    m = re.search(r"\$ omni-identity explain --tenant demo --sale (\d+) --sale (\d+)\n", out)
    assert m, out
    a, b = int(m.group(1)), int(m.group(2))
    drawn = out[m.end():].split("\n\n")[0].splitlines()
    assert drawn[0] == f"sale {a}" and f"→ sale {b}" in drawn[-2], drawn
    chain = db.rows("SELECT key_type, key_value FROM omni_identity.explain_link('demo', %s, %s) ORDER BY step", a, b)
    assert chain and chain[0] in _keys_of_sale(db, a) and chain[-1] in _keys_of_sale(db, b), chain
    assert all(f"→ {t} {v}" in out for t, v in chain)
    assert ("phone", norm) not in chain
    assert db.scalar("SELECT count(DISTINCT customer_hash) FROM public.omni_sales"
                     " WHERE tenant_id = 'demo' AND id IN (%s, %s) AND customer_hash IS NOT NULL", a, b) == 1
    assert db.scalar("SELECT external_id FROM public.omni_sales WHERE tenant_id = 'demo' AND id = %s", a).startswith("loja-")
