"""customer_report v1/v2, compare_customer_reports, and the per-tenant routing flags."""
from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from collections import defaultdict
from decimal import Decimal

from hypothesis import given, settings, strategies as st
from psycopg.types.json import Jsonb

from tests_py.conftest import examples
from tests_py.reference import normalize as ref
from tests_py.test_query_buyer import BASE, build_sales, load_tenant

REPORT = ("cluster_id, email, phone, document, name, orders, total_amount, "
          "first_purchase_at, last_purchase_at, shops")


def report(db, fn: str, tenant: str, filters: dict | None = None) -> list[dict]:
    return db.dicts(f"SELECT {REPORT} FROM omni_identity.{fn}(%s, %s)", tenant, Jsonb(filters or {}))


def aggregate(sales: list[dict], members) -> dict:
    rows = [sales[i] for i in members]
    return {"orders": len(rows),
            "total_amount": sum((s["amount"] or Decimal(0)) for s in rows),
            "first_purchase_at": min(s["created_at"] for s in rows),
            "last_purchase_at": max(s["created_at"] for s in rows),
            "shops": len({s["shop_id"] for s in rows})}


def without_identity(row: dict) -> dict:
    return {k: row[k] for k in ("orders", "total_amount", "first_purchase_at", "last_purchase_at", "shops")}


@settings(max_examples=examples(20))
@given(seed=st.integers(0, 2**32 - 1))
def test_reports_group_as_the_model_and_add_up_the_same(module_db, seed):
    rng = random.Random(seed)
    _, sales = build_sales(rng)
    loaded = load_tenant(module_db, f"r-{uuid.uuid4().hex[:10]}", sales, rng)
    filters = rng.choice(({}, {"shop_id": "s1"}, {"status": "paid"},
                          {"created_from": (BASE + dt.timedelta(hours=12)).isoformat(),
                           "created_to": (BASE + dt.timedelta(hours=40)).isoformat()}))
    selected = [i for i in range(len(sales)) if loaded.row_match(i, filters) and (
        "created_from" not in filters
        or BASE + dt.timedelta(hours=12) <= sales[i]["created_at"] < BASE + dt.timedelta(hours=40))]

    v1 = report(module_db, "customer_report_v1", loaded.tenant, filters)
    by_email = defaultdict(list)
    for i in selected:
        by_email[ref.email(sales[i]["email"]) if sales[i]["email"] is not None else None].append(i)
    assert {r["email"]: without_identity(r) for r in v1} == \
        {e: aggregate(sales, m) for e, m in by_email.items()}
    assert all(r["cluster_id"] is None for r in v1)
    assert len(v1) == len(by_email)

    v2 = report(module_db, "customer_report_v2", loaded.tenant, filters)
    by_cluster = defaultdict(list)
    for i in selected:
        by_cluster[loaded.live_of.get(i)].append(i)
    assert {r["cluster_id"]: without_identity(r) for r in v2} == \
        {c: aggregate(sales, m) for c, m in by_cluster.items()}
    assert len(v2) == len(by_cluster)
    for r in v2:
        if r["cluster_id"] is None:
            assert (r["email"], r["phone"], r["document"], r["name"]) == (None,) * 4
        else:
            golden = loaded.model.golden(by_cluster[r["cluster_id"]][0])
            assert (r["email"], r["phone"], r["document"], r["name"]) == \
                (golden["email"], golden["phone"], golden["document"], golden["name"])

    # Both reports add up to the same orders and amount: the selected sales.
    for rows in (v1, v2):
        assert sum(r["orders"] for r in rows) == len(selected)
        assert sum(r["total_amount"] for r in rows) == sum((sales[i]["amount"] or 0) for i in selected)
    # With no buyer filter the sale sets agree: only customer splits and joins diverge.
    n = module_db.scalar("SELECT omni_identity.compare_customer_reports(%s, %s)", loaded.tenant, Jsonb(filters))
    kinds = module_db.column(
        """SELECT kind FROM omni_identity.report_divergences
            WHERE tenant_id = %s AND run_id = (SELECT max(run_id) FROM omni_identity.report_divergences
                                               WHERE tenant_id = %s)""", loaded.tenant, loaded.tenant)
    assert len(kinds) == n
    assert not {"sale_only_in_v1", "sale_only_in_v2"} & set(kinds)


def sale(email=None, phone=None, document=None, amount="10.00", hours=0, shop="s1"):
    return {"email": email, "phone": phone, "document": document, "name": None, "shop_id": shop,
            "product_id": None, "status": "paid", "amount": Decimal(amount),
            "created_at": BASE + dt.timedelta(hours=hours)}


def divergences(db, tenant: str, filters: dict) -> tuple[int, list[dict]]:
    n = db.scalar("SELECT omni_identity.compare_customer_reports(%s, %s)", tenant, Jsonb(filters))
    rows = db.dicts(
        """SELECT run_id, kind, v1_email, cluster_id, sale_id, detail
             FROM omni_identity.report_divergences
            WHERE tenant_id = %s AND run_id = (SELECT max(run_id) FROM omni_identity.report_divergences)
            ORDER BY kind, v1_email, sale_id""", tenant)
    return n, rows


def test_divergence_audit_on_a_crafted_data_set(db):
    sales = [
        # One customer typed three e-mails; a shared phone makes them one cluster.
        sale("ana@x.com", "11987654321", hours=1),
        sale("ana.souza@y.com", "(11) 98765-4321", hours=2),
        sale("ANA@Z.COM", "+55 11 98765 4321", hours=3),
        # Two different people typed the same placeholder e-mail (blocked: it never links).
        sale("teste@teste.com", "21987651111", hours=4),
        sale("teste@teste.com", "31987652222", hours=5),
        # One ordinary customer, and a sale nobody can be identified from.
        sale("bia@x.com", hours=6),
        sale(None, None, hours=7),
    ]
    loaded = load_tenant(db, "t1", sales)
    ana = loaded.live_of[0]
    db.execute("DELETE FROM omni_identity.report_divergences")

    n, rows = divergences(db, "t1", {})
    assert n == len(rows) == 2
    assert len({r["run_id"] for r in rows}) == 1
    split = [r for r in rows if r["kind"] == "v1_customer_split"]
    joins = [r for r in rows if r["kind"] == "v2_cluster_joins"]
    assert [r["v1_email"] for r in split] == ["teste@teste.com"]
    assert sorted(split[0]["detail"]["clusters"]) == sorted(str(loaded.live_of[i]) for i in (3, 4))
    assert [r["cluster_id"] for r in joins] == [ana]
    assert sorted(joins[0]["detail"]["emails"]) == ["ana.souza@y.com", "ana@x.com", "ana@z.com"]

    # Reports: v1 has 3 Ana rows, v2 one; both add up to the same 7 orders and amount.
    v1 = report(db, "customer_report_v1", "t1")
    v2 = report(db, "customer_report_v2", "t1")
    assert len(v1) == 6 and len(v2) == 5
    assert sum(r["orders"] for r in v1) == sum(r["orders"] for r in v2) == 7
    assert sum(r["total_amount"] for r in v1) == sum(r["total_amount"] for r in v2) == Decimal("70.00")
    assert [r for r in v2 if r["cluster_id"] == ana][0]["orders"] == 3

    # A buyer filter: v1 finds the one sale typed with that e-mail, v2 the whole customer.
    n, rows = divergences(db, "t1", {"email": "ana@x.com"})
    assert n == 2
    assert {(r["kind"], r["sale_id"]) for r in rows} == \
        {("sale_only_in_v2", sales[1]["id"]), ("sale_only_in_v2", sales[2]["id"])}
    # A blocked e-mail: v1 groups its sales, v2 has no cluster for it.
    n, rows = divergences(db, "t1", {"email": "Teste@Teste.com"})
    assert {(r["kind"], r["sale_id"]) for r in rows} == \
        {("sale_only_in_v1", sales[3]["id"]), ("sale_only_in_v1", sales[4]["id"])}


def test_flags_route_per_tenant_and_turning_off_is_the_rollback(db):
    sales = [sale("ana@x.com", "11987654321", hours=1), sale("ana2@x.com", "11987654321", hours=2)]
    copy = [dict(s) for s in sales]
    load_tenant(db, "t1", sales)
    load_tenant(db, "t2", copy)
    q = "SELECT id FROM omni_identity.abstraction_buyer(%s, %s)"
    f = Jsonb({"email": "ana@x.com"})
    flag = "SELECT omni_identity.flag_enabled(%s, %s)"

    assert db.scalar(flag, "t1", "abstraction_v2_enabled") is False
    assert db.column(q, "t1", f) == db.column("SELECT id FROM omni_identity.abstraction_buyer_v1('t1', %s)", f)
    assert len(db.column(q, "t1", f)) == 1

    db.execute("SELECT omni_identity.set_flag('t1', 'abstraction_v2_enabled', true)")
    assert db.scalar(flag, "t1", "abstraction_v2_enabled") is True
    assert db.column(q, "t1", f) == db.column("SELECT id FROM omni_identity.abstraction_buyer_v2('t1', %s)", f)
    assert len(db.column(q, "t1", f)) == 2
    assert len(db.column(q, "t2", f)) == 1                       # the other tenant stays on v1

    # Reports route on their own flag.
    r = "SELECT count(*) FROM omni_identity.customer_report(%s, '{}')"
    assert db.scalar(r, "t1") == 2
    db.execute("SELECT omni_identity.set_flag('t1', 'customer_report_v2_enabled', true)")
    assert db.scalar(r, "t1") == 1
    assert db.scalar("SELECT cluster_id IS NOT NULL FROM omni_identity.customer_report('t1')") is True

    # Rollback: off again, in a connection that already ran the v2 route (no cached route).
    db.execute("SELECT omni_identity.set_flag('t1', 'abstraction_v2_enabled', false)")
    db.execute("SELECT omni_identity.set_flag('t1', 'customer_report_v2_enabled', false)")
    assert len(db.column(q, "t1", f)) == 1
    assert db.scalar(r, "t1") == 2
    assert db.scalar(flag, "t1", "abstraction_v2_enabled") is False
    assert db.rows("SELECT key, value FROM omni_identity.settings WHERE tenant_id = 't1' ORDER BY key") == \
        [("abstraction_v2_enabled", False), ("customer_report_v2_enabled", False)]


def test_report_v2_with_buyer_filter_is_the_whole_cluster(db):
    sales = [sale("ana@x.com", "11987654321", hours=1, amount="5.00"),
             sale("ana2@x.com", "11987654321", hours=2, amount="7.00", shop="s2"),
             sale("bia@x.com", hours=3)]
    loaded = load_tenant(db, "t1", sales)
    rows = report(db, "customer_report_v2", "t1", {"email": " ANA2@x.com"})
    assert [(r["cluster_id"], r["orders"], r["total_amount"], r["shops"]) for r in rows] == \
        [(loaded.live_of[0], 2, Decimal("12.00"), 2)]
    rows = report(db, "customer_report_v1", "t1", {"email": " ANA2@x.com"})
    assert [(r["email"], r["orders"], r["phone"]) for r in rows] == [("ana2@x.com", 1, "+5511987654321")]
    assert report(db, "customer_report_v2", "t1", {"email": "nobody@x.com"}) == []


def test_report_v2_golden_record_when_every_sale_carries_an_alias(db):
    loaded = load_tenant(db, "t1", [sale("ana@x.com", "11987654321", hours=1), sale("ana@x.com", hours=2),
                                    sale("bia@x.com", hours=3)])
    live, alias = loaded.live_of[0], uuid.uuid4()
    db.execute("INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, merged_into) VALUES ('t1', %s, %s)",
               alias, live)
    db.execute("UPDATE public.omni_sales SET customer_hash = %s WHERE tenant_id = 't1' AND customer_hash = %s",
               alias, live)
    rows = {r["cluster_id"]: r for r in report(db, "customer_report_v2", "t1")}
    assert set(rows) == {live, loaded.live_of[2]}
    assert (rows[live]["email"], rows[live]["phone"], rows[live]["orders"]) == ("ana@x.com", "+5511987654321", 2)
    assert rows[loaded.live_of[2]]["email"] == "bia@x.com"


def drift_report(db, pattern: str, replacement: str) -> None:
    """Change a customer report wherever its code is written (the report or a stage of
    it: any function named customer_report*); pattern must match in exactly one."""
    patched = 0
    for fn in db.column("""SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
                            WHERE p.pronamespace = 'omni_identity'::regnamespace
                              AND p.proname LIKE 'customer\\_report%%'"""):
        src = db.scalar("SELECT pg_get_functiondef(%s::regprocedure)", fn)
        changed, n = re.subn(pattern, replacement, src)
        if n:
            db.execute(changed)
            patched += 1
    assert patched == 1


def test_compare_reads_the_reports_so_a_drifted_report_shows(db):
    sales = [sale("ana@x.com", hours=1), sale("bia@x.com", hours=2), sale("cid@x.com", hours=3)]
    sales[1]["status"] = "refunded"
    load_tenant(db, "t1", sales)
    assert divergences(db, "t1", {}) == (0, [])

    # v2's statement that reads public.omni_sales gets one more qual.
    drift_report(db, r"s\.customer_hash = ANY \(v_aliases\)\)",
                 "s.customer_hash = ANY (v_aliases)) AND s.status IS DISTINCT FROM 'refunded'")
    # The drift is real: v2 now leaves out the refunded sale, v1 still counts it.
    assert sum(r["orders"] for r in report(db, "customer_report_v2", "t1")) == 2
    assert sum(r["orders"] for r in report(db, "customer_report_v1", "t1")) == 3
    # ... and the audit says so, naming the sale.
    n, rows = divergences(db, "t1", {})
    assert n == 1
    assert [(r["kind"], r["v1_email"], r["sale_id"]) for r in rows] == \
        [("sale_only_in_v1", "bia@x.com", sales[1]["id"])]


def test_compare_reads_the_reports_so_a_report_that_stops_following_merges_shows(db):
    loaded = load_tenant(db, "t1", [sale("ana@x.com", hours=1), sale("ana@x.com", hours=2)])
    live, alias = loaded.live_of[0], uuid.uuid4()
    db.execute("INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, merged_into) VALUES ('t1', %s, %s)",
               alias, live)
    db.execute("UPDATE public.omni_sales SET customer_hash = %s WHERE id = %s", alias, loaded.sales[1]["id"])
    assert divergences(db, "t1", {}) == (0, [])

    # The drift: v2 counts a sale for its stored cluster, not that cluster's survivor.
    drift_report(db, r"coalesce\((\w+)\.merged_into, (\w+)\.customer_hash\)", r"\2.customer_hash")
    assert sorted(r["cluster_id"] for r in report(db, "customer_report_v2", "t1")) == sorted([live, alias])
    n, rows = divergences(db, "t1", {})
    assert [(r["kind"], r["v1_email"], sorted(r["detail"]["clusters"])) for r in rows] == \
        [("v1_customer_split", "ana@x.com", sorted([str(live), str(alias)]))]
