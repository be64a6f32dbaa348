"""Plans of abstraction_buyer_v2 at 200k sales, on a never-analyzed database and after ANALYZE.

The statements inside the PL/pgSQL functions are captured with auto_explain (plans sent to
the client as NOTICEs, nested statements included), so the test checks the plans the
function really runs, both as custom plans and as the generic plans PL/pgSQL switches to.
"""
from __future__ import annotations

import json
from contextlib import nullcontext

import pytest
from psycopg.types.json import Jsonb

from tests_py.support import explain_on_shards, shard_plans, shard_reltuples

SALES = 200_000
CLUSTERS = 50_000
BIG = 2_000           # sales of one big customer, spread over its live cluster and 2 aliases


def cluster_uuid(expr: str) -> str:
    return f"('00000000-0000-4000-8000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def load(db) -> None:
    """One INSERT ... SELECT generate_series per table. Cluster 1 is the big customer;
    clusters 2 and 3 were merged into it and their merges are not reconciled."""
    for table in ("public.omni_sales", "omni_identity.customer_cluster", "omni_identity.customer_cluster_keys",
                  "omni_identity.customer_cluster_merges"):
        # Keep the database never analyzed for the first half of the test.
        db.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    db.execute(f"""
        INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id)
        SELECT 'big', {cluster_uuid('g')} FROM generate_series(1, {CLUSTERS}) g""")
    db.execute(f"""
        UPDATE omni_identity.customer_cluster SET merged_into = {cluster_uuid('1')}
         WHERE tenant_id = 'big' AND cluster_id IN ({cluster_uuid('2')}, {cluster_uuid('3')})""")
    db.execute(f"""
        INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster)
        VALUES ('big', {cluster_uuid('2')}, {cluster_uuid('1')}), ('big', {cluster_uuid('3')}, {cluster_uuid('1')})""")
    db.execute(f"""
        INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
        SELECT 'big', 'email', 'buyer' || g || '@shop.com', {cluster_uuid('CASE WHEN g <= 3 THEN 1 ELSE g END')}
          FROM generate_series(1, {CLUSTERS}) g""")
    db.execute(f"""
        INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_name, amount,
                                       created_at, customer_hash)
        SELECT 'big', 'shop' || (g % 20), g::text, 'buyer' || c || '@shop.com', 'Buyer ' || c, (g % 1000) / 10.0,
               timestamptz '2026-01-01' + g * interval '1 minute', {cluster_uuid('c')}
          FROM generate_series(1, {SALES}) g,
               LATERAL (SELECT CASE WHEN g % 100 = 0 THEN 1 + g % 3 ELSE 4 + g % ({CLUSTERS} - 3) END AS c) x""")


def explained(db, sql: str, *args, generic: bool = False, as_app: bool = False,
              transaction: bool = False) -> list[dict]:
    """Run sql with auto_explain on; return every statement's {'text', 'plan'} (analyzed).
    as_app: as omni_identity_app with the session tenant set, so row-level security applies.
    transaction: in an explicit transaction block (on Citus, the shards' statements then
    run in transaction blocks on the workers, as in a transaction that has written).
    On the Citus lab the plans are the shards' (support.explain_on_shards), for as_app as
    the application login naming tenant 'big' in its transaction."""
    notices: list[str] = []
    if explain_on_shards(db):
        with shard_plans(db) as out:
            conn = db.connect_as("app", "big") if as_app else db.connect()
            try:
                conn.execute(f"SET plan_cache_mode = {'force_generic_plan' if generic else 'auto'}")
                with (conn.transaction() if transaction else nullcontext()):
                    conn.execute(sql, args or None).fetchall()
            finally:
                conn.close()
        return out
    conn = db.connect()
    try:
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        for setting in ("LOAD 'auto_explain'",
                        "SET auto_explain.log_min_duration = 0",
                        "SET auto_explain.log_nested_statements = on",
                        "SET auto_explain.log_level = notice",
                        "SET auto_explain.log_format = json",
                        "SET auto_explain.log_analyze = on",
                        "SET auto_explain.log_timing = off",
                        "SET client_min_messages = notice",
                        f"SET plan_cache_mode = {'force_generic_plan' if generic else 'auto'}"):
            conn.execute(setting)
        if as_app:
            conn.execute("SELECT set_config('app.current_tenant_id', 'big', false)")
            conn.execute("SET ROLE omni_identity_app")
        with (conn.transaction() if transaction else nullcontext()):
            conn.execute(sql, args or None).fetchall()
    finally:
        conn.close()
    out = []
    for n in notices:
        if "plan:" in n:
            doc = json.loads(n[n.index("{"):])
            out.append({"text": doc["Query Text"], "plan": doc["Plan"]})
    return out


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def sales_scans(statements: list[dict]) -> list[dict]:
    return [n for s in statements for n in nodes(s["plan"]) if n.get("Relation Name") == "omni_sales"]


def access(scan: dict) -> tuple[str, ...]:
    """How a scan of omni_sales reaches its rows: the index(es) it uses, or its node type."""
    if scan["Node Type"] in ("Index Scan", "Index Only Scan"):
        return (scan["Index Name"],)
    if scan["Node Type"] == "Bitmap Heap Scan":
        return tuple(sorted(n["Index Name"] for n in nodes(scan) if n["Node Type"] == "Bitmap Index Scan"))
    return (scan["Node Type"],)


def rows_read(scan: dict) -> float:
    """Rows the scan fetched: returned plus filtered out, over all its loops."""
    return (scan.get("Actual Rows", 0) + scan.get("Rows Removed by Filter", 0)
            + scan.get("Rows Removed by Index Recheck", 0)) * scan.get("Actual Loops", 1)


V2 = "SELECT id, created_at FROM omni_identity.abstraction_buyer_v2('big', %s, %s, %s)"


def check_v2_plans(db, generic: bool, as_app: bool = False) -> None:
    big = Jsonb({"email": " Buyer2@SHOP.com "})             # an alias's key: resolves to cluster 1
    first = explained(db, V2, big, 50, None, generic=generic, as_app=as_app)
    scans = sales_scans(first)
    assert scans, "no scan of omni_sales captured"
    assert {access(s) for s in scans} == {("omni_sales_customer_hash_idx",)}, scans
    assert any(n.get("Index Name") == "customer_cluster_keys_pkey"
               for s in first for n in nodes(s["plan"])), "the key was not probed by its primary key"
    assert not any(n["Node Type"] == "Seq Scan" for s in first for n in nodes(s["plan"])
                   if n.get("Relation Name") in ("omni_sales", "customer_cluster", "customer_cluster_keys"))
    # One index probe per alias (cluster 1 and the two merged into it).
    assert sum(s.get("Actual Loops", 1) for s in scans) == 3

    # A deep page reads exactly what the first page read: the cluster's rows, once.
    rows = db.rows(V2, big, 1000, None)
    deep_after = Jsonb({"created_at": rows[-1][1].isoformat(), "id": rows[-1][0]})
    deep = explained(db, V2, big, 50, deep_after, generic=generic, as_app=as_app)
    # (EXPLAIN reports per-loop averages, rounded: allow one row per loop.)
    read_first, read_deep = sum(map(rows_read, scans)), sum(map(rows_read, sales_scans(deep)))
    assert abs(read_first - BIG) <= 3 and abs(read_deep - BIG) <= 3, (read_first, read_deep)
    assert len(db.rows(V2, big, 50, deep_after)) == 50

    # Several keys and a name filter: still key probes and the customer_hash index.
    small = explained(db, V2, Jsonb({"email": "buyer777@shop.com", "name": "buyer 777"}), 10, None,
                      generic=generic, as_app=as_app)
    assert {access(s) for s in sales_scans(small)} == {("omni_sales_customer_hash_idx",)}


@pytest.mark.slow
def test_v2_plans_use_key_probes_and_the_customer_hash_index(db):
    load(db)
    assert db.scalar("SELECT count(*) FROM public.omni_sales") == SALES
    # Never analyzed: no statistics at all (reltuples -1 until the first VACUUM/ANALYZE).
    assert set(shard_reltuples(db, "public.omni_sales")) == {-1}
    assert set(shard_reltuples(db, "omni_identity.customer_cluster_keys")) == {-1}
    # (abstraction_buyer_v2 pins generic plans itself; both modes stay checked in case it stops.)
    check_v2_plans(db, generic=False)
    check_v2_plans(db, generic=True)
    check_v2_plans(db, generic=True, as_app=True)           # under row-level security

    db.execute("ANALYZE public.omni_sales")
    db.execute("ANALYZE omni_identity.customer_cluster")
    db.execute("ANALYZE omni_identity.customer_cluster_keys")
    db.execute("ANALYZE omni_identity.customer_cluster_merges")
    assert max(shard_reltuples(db, "public.omni_sales")) > 0
    check_v2_plans(db, generic=False)
    check_v2_plans(db, generic=True, as_app=True)
    check_row_filter_inlined(db)


V1 = "SELECT id FROM omni_identity.abstraction_buyer_v1('big', %s, 50)"


def index_conds(scan: dict) -> str:
    return " ".join(n.get("Index Cond", "") for n in nodes(scan))


def check_row_filter_inlined(db) -> None:
    """The row filter (query_row_matches) is inlined: no plan calls it, and under RLS its
    range test still becomes an index condition (leakproof quals only), as when written out."""
    month = Jsonb({"shop_id": "shop3", "created_from": "2026-03-01T00:00:00Z", "created_to": "2026-03-08T00:00:00Z"})
    for as_app in (False, True):
        statements = explained(db, V1, month, as_app=as_app)
        scans = sales_scans(statements)
        assert scans and all("created_at >=" in index_conds(s) for s in scans), scans
        assert not any("query_row_matches" in json.dumps(s["plan"]) for s in statements)
    want = db.column("SELECT id FROM public.omni_sales WHERE tenant_id = 'big' AND shop_id = 'shop3'"
                     " AND created_at >= '2026-03-01T00:00:00Z' AND created_at < '2026-03-08T00:00:00Z'"
                     " ORDER BY created_at DESC, id DESC LIMIT 50")
    assert want and db.column(V1, month) == want
