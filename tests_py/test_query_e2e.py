"""End to end: sales ingested by ingest_sales (clustered by the package itself, merges
included), then queried — v2 must return the reference model's cluster before and after
reconcile_merges, and the reports must partition the sales as the model does."""
from __future__ import annotations

import random
import uuid
from collections import Counter

from hypothesis import given, settings, strategies as st
from psycopg.types.json import Jsonb

from tests_py.conftest import examples
from tests_py.reference.model import Model, shipped_blocklist
from tests_py.test_query_buyer import Loaded, all_pages, build_sales, random_filters


def ingest(db, tenant: str, sales: list[dict], rng: random.Random) -> Loaded:
    """Ingest the sales in a few batches, in arrival order; return the model's view."""
    rows = [{"shop_id": s["shop_id"], "external_id": f"e{i}", "buyer_email": s["email"],
             "buyer_phone": s["phone"], "buyer_document": s["document"], "buyer_name": s["name"],
             "product_id": s["product_id"], "status": s["status"],
             "amount": None if s["amount"] is None else str(s["amount"]), "currency": "BRL",
             "created_at": s["created_at"].isoformat()} for i, s in enumerate(sales)]
    cut = sorted(rng.sample(range(1, len(rows)), min(3, len(rows) - 1))) if len(rows) > 1 else []
    for lo, hi in zip([0, *cut], [*cut, len(rows)]):
        db.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s)", tenant, Jsonb(rows[lo:hi]))
    ids = dict(db.rows("SELECT external_id, id FROM public.omni_sales WHERE tenant_id = %s", tenant))
    model = Model(shipped_blocklist(db))
    for i, s in enumerate(sales):
        s["id"] = ids[f"e{i}"]
        model.add(email=s["email"], phone=s["phone"], document=s["document"], name=s["name"],
                  seen_at=s["created_at"])
    # The model's component, named by its smallest input, stands for the cluster.
    live_of = {i: min(comp) for comp in model.components() for i in comp}
    return Loaded(tenant, sales, model, live_of)


@settings(max_examples=examples(8))
@given(seed=st.integers(0, 2**32 - 1))
def test_v2_after_ingest_is_the_model_cluster(module_db, seed):
    rng = random.Random(seed)
    buyers, sales = build_sales(rng)
    loaded = ingest(module_db, f"e-{uuid.uuid4().hex[:10]}", sales, rng)
    for reconciled in (False, True):
        if reconciled:
            while module_db.scalar("SELECT omni_identity.reconcile_merges(1000)"):
                pass
        for _ in range(3):
            filters = random_filters(rng, buyers, loaded)
            assert all_pages(module_db, "abstraction_buyer_v2", loaded.tenant, filters, rng) == \
                loaded.expected_v2(filters), (filters, reconciled)
            assert all_pages(module_db, "abstraction_buyer_v1", loaded.tenant, filters, rng) == \
                loaded.expected_v1(filters), (filters, reconciled)
        # The v2 report partitions the sales as the model's components (plus the unidentified).
        rows = module_db.rows("SELECT cluster_id, orders FROM omni_identity.customer_report_v2(%s)", loaded.tenant)
        want = Counter(len(c) for c in loaded.model.components())
        assert Counter(o for c, o in rows if c is not None) == want
        assert sum(o for _, o in rows) == len(sales)


def resolve_and_insert(db, tenant: str, sales: list[dict]) -> Loaded:
    """Each sale, in arrival order: resolve_customer_cluster, then INSERT with the cluster it
    returned. Later merges leave earlier sales on merged-away clusters until reconcile."""
    model = Model(shipped_blocklist(db))
    for i, s in enumerate(sales):
        cluster = db.scalar("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, %s, %s, %s)",
                            tenant, s["email"], s["phone"], s["document"], s["name"], s["created_at"])
        s["id"] = db.scalar(
            """INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_phone,
                      buyer_document, buyer_name, product_id, status, amount, created_at, customer_hash)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            tenant, s["shop_id"], f"e{i}", s["email"], s["phone"], s["document"], s["name"],
            s["product_id"], s["status"], s["amount"], s["created_at"], cluster)
        model.add(email=s["email"], phone=s["phone"], document=s["document"], name=s["name"],
                  seen_at=s["created_at"])
    live_of = {i: min(comp) for comp in model.components() for i in comp}
    return Loaded(tenant, sales, model, live_of)


def test_v2_after_resolve_per_sale_follows_merges(db):
    rng = random.Random(20261123)
    buyers, sales = build_sales(rng, n_buyers=8)
    loaded = resolve_and_insert(db, "t1", sales)
    stale = db.scalar("""SELECT count(*) FROM public.omni_sales s
                           JOIN omni_identity.customer_cluster c
                             ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash
                          WHERE c.merged_into IS NOT NULL""")
    assert stale > 0, "the arrival order must leave sales on merged-away clusters"
    for reconciled in (False, True):
        if reconciled:
            while db.scalar("SELECT omni_identity.reconcile_merges(1000)"):
                pass
        for buyer in buyers:
            for key_type, values in buyer["keys"].items():
                for value in values:
                    filters = {key_type: value}
                    assert all_pages(db, "abstraction_buyer_v2", "t1", filters, rng) == \
                        loaded.expected_v2(filters), (filters, reconciled)
