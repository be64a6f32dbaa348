"""The backfill's rule of what is still to do (backfill_unprocessed) is planned as a walk of
omni_sales_unhashed_idx wherever it is used — the sweep of backfill_pick and the progress
total backfill_remaining — on a table never analyzed (right after a bulk load) and
analyzed: one tenant reads its own range of the index, and a sweep stops at its batch."""
from __future__ import annotations

import pytest

from harness import citus
from tests_py.test_query_plans import access, explained, rows_read, sales_scans

SALES = 2000   # per tenant
BATCH = 100


def load(db) -> None:
    """Raw sales of two tenants (no customer_hash); every 10th of tenant 'b' examined keyless."""
    db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, created_at)"
               " SELECT t, 'shop', t || i, 'b' || i || '@x.com', timestamptz '2024-01-01' + i * interval '1 minute'"
               "   FROM unnest(ARRAY['a', 'b']) t, generate_series(1, %s) i", SALES)
    db.execute("INSERT INTO omni_identity.backfill_keyless (tenant_id, sale_id)"
               " SELECT tenant_id, id FROM public.omni_sales WHERE tenant_id = 'b' AND id % 10 = 0")


def walks_unhashed_index(statements: list[dict]) -> list[dict]:
    scans = sales_scans(statements)
    assert scans, [s["text"] for s in statements]
    if citus.enabled():
        # A shard that holds no sale (a statement across tenants reads every shard) may
        # be read sequentially once analyzed: it reads nothing.
        scans = [s for s in scans if not (access(s) == ("Seq Scan",) and rows_read(s) == 0)]
    assert all(access(s) == ("omni_sales_unhashed_idx",) for s in scans), \
        [(access(s), s.get("Index Cond")) for s in scans]
    return scans


@pytest.mark.parametrize("analyzed", [False, True], ids=["never-analyzed", "analyzed"])
def test_unprocessed_sales_are_read_by_the_unhashed_index(db, analyzed):
    load(db)
    if analyzed:
        db.execute("ANALYZE public.omni_sales")
        db.execute("ANALYZE omni_identity.backfill_keyless")
    keyless = db.scalar("SELECT count(*) FROM omni_identity.backfill_keyless")

    walks_unhashed_index(explained(db, "SELECT omni_identity.backfill_remaining(NULL)"))
    assert db.scalar("SELECT omni_identity.backfill_remaining(NULL)") == 2 * SALES - keyless
    scans = walks_unhashed_index(explained(db, "SELECT omni_identity.backfill_remaining('b')"))
    assert sum(rows_read(s) for s in scans) <= SALES, "one tenant's total reads only its range"
    assert db.scalar("SELECT omni_identity.backfill_remaining('b')") == SALES - keyless

    for tenant in (None, "b"):
        # In a transaction, as backfill_customer_hash calls it (after writing its
        # checkpoint): on Citus, the settings of backfill_pick reach the workers then.
        scans = walks_unhashed_index(explained(
            db, "SELECT omni_identity.pipeline_temp_tables(),"
                " omni_identity.backfill_pick(%s, NULL, NULL, true, %s)", tenant, BATCH, transaction=True))
        # The walk stops at the batch (plus the keyless sales it steps over); on Citus
        # each shard's walk does (Citus sends the LIMIT to every shard).
        walks = [rows_read(s) for s in scans] if citus.enabled() else [sum(rows_read(s) for s in scans)]
        assert max(walks) <= 2 * BATCH, (tenant, [rows_read(s) for s in scans])
