"""Row-level security must not turn key lookups into scans of the tenant. As an
application login (RLS applies; the package's functions run as the caller) on a
never-analyzed database of two tenants with the same identifiers, every statement of
resolve, ingest and abstraction_buyer_v2 reaches the tenant tables through an index and
reads a lookup's worth of rows, and returns only the session tenant's rows. Each call is
repeated past PL/pgSQL's fifth execution, after which it may switch to generic plans.
Plans are the ones the PL/pgSQL functions really run, captured with auto_explain (on the
Citus lab, the shards' plans, on the workers).

Why this needs its own test: under RLS the policy's qual is applied first, and a query's
own qual may become an index condition only when PostgreSQL knows it to be leakproof. An
expression it does not (COALESCE, a non-leakproof function) then filters every row the
policy lets through — the whole tenant — instead of probing an index, while the same
call as a superuser (no RLS) probes the index.
"""
from __future__ import annotations

import json

import pytest

from tests_py.support import explain_on_shards, shard_plans, shard_reltuples
from tests_py.test_tenancy import Login, as_tenant

SALES = 20_000          # per tenant
CLUSTERS = 5_000        # per tenant
MAX_ROWS_PER_LOOKUP = 2 * SALES // CLUSTERS   # a cluster's sales, with room
TENANT_TABLES = {"omni_sales", "customer_cluster", "customer_cluster_keys", "customer_cluster_merges"}


def load(db) -> None:
    """Two tenants, the same e-mails in both: one INSERT ... SELECT per table."""
    for table in ("public.omni_sales", "omni_identity.customer_cluster", "omni_identity.customer_cluster_keys"):
        db.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    cluster = "(lpad(to_hex(ascii(t)), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid"
    db.execute(f"""
        INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, last_buyer_email)
        SELECT t, {cluster}, 'buyer' || g || '@shop.com'
          FROM unnest(ARRAY['big', 'other']) t, generate_series(1, {CLUSTERS}) g""")
    db.execute(f"""
        INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
        SELECT t, 'email', 'buyer' || g || '@shop.com', {cluster}
          FROM unnest(ARRAY['big', 'other']) t, generate_series(1, {CLUSTERS}) g""")
    db.execute(f"""
        INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, amount, created_at, customer_hash)
        SELECT t, 'shop', s::text, 'buyer' || g || '@shop.com', 10, timestamptz '2026-01-01' + s * interval '1 minute',
               {cluster}
          FROM unnest(ARRAY['big', 'other']) t, generate_series(1, {SALES}) s,
               LATERAL (SELECT 1 + s % {CLUSTERS} AS g) x""")


@pytest.fixture
def app_session(db):
    """An application login of tenant 'big' (RLS applies) whose calls' plans are captured:
    yields call(sql, args) -> (rows, plans). On one node a superuser session loads
    auto_explain, then becomes the login; on the Citus lab the plans are the shards'
    (support.explain_on_shards: where the tenant tables are read), and the login names its
    tenant with SET LOCAL in each call's transaction, as applications do there."""
    login = Login(db, "omni_identity_app")
    if explain_on_shards(db):
        conn = login.connect()

        def call(query, args=None):
            with shard_plans(db) as out:
                with as_tenant(conn, "big"):
                    rows = conn.execute(query, args).fetchall()
            return rows, out
        yield call
        login.drop()
        return
    conn = db.connect()
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    for setting in ("LOAD 'auto_explain'",
                    "SET auto_explain.log_min_duration = 0",
                    "SET auto_explain.log_nested_statements = on",
                    "SET auto_explain.log_level = notice",
                    "SET auto_explain.log_format = json",
                    "SET auto_explain.log_analyze = on",
                    "SET auto_explain.log_timing = off",
                    "SET client_min_messages = notice",
                    f'SET ROLE "{login.name}"',
                    "SELECT set_config('app.current_tenant_id', 'big', false)"):
        conn.execute(setting)

    def call(query, args=None):
        rows = conn.execute(query, args).fetchall()
        return rows, plans(notices)
    yield call
    login._conns.append(conn)      # closed, and its backend awaited, before the role is dropped
    login._pids.append(conn.info.backend_pid)
    login.drop()


def plans(notices: list[str]) -> list[dict]:
    out = []
    for n in notices:
        if "plan:" in n:
            doc = json.loads(n[n.index("{"):])
            out.append({"text": doc["Query Text"], "plan": doc["Plan"]})
    notices.clear()
    return out


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def rows_read(scan: dict) -> float:
    """Rows a scan fetched: returned plus filtered out, over all its loops."""
    return (scan.get("Actual Rows", 0) + scan.get("Rows Removed by Filter", 0)
            + scan.get("Rows Removed by Index Recheck", 0)) * scan.get("Actual Loops", 1)


def wide_scans_of_tenant_tables(statements: list[dict]) -> list[tuple[str, str, str, float]]:
    """Scans of tenant tables that are sequential, or that read more than a lookup should
    (an index scan on the tenant_id prefix alone, filtering the rest, reads the tenant)."""
    return [(n["Node Type"], n["Relation Name"], s["text"][:1000], rows_read(n))
            for s in statements for n in nodes(s["plan"])
            if n.get("Relation Name") in TENANT_TABLES
            and (n["Node Type"] == "Seq Scan" or rows_read(n) > MAX_ROWS_PER_LOOKUP)]


def test_lookups_under_rls_are_index_probes(db, app_session):
    load(db)
    assert set(shard_reltuples(db, "public.omni_sales")) == {-1}
    call = app_session
    assert call("SELECT current_user")[0][0][0].startswith("oi_login_")

    # resolve: known buyers (the fast path) and new ones (the write path), each call
    # repeated so that PL/pgSQL may go generic; every call's plans are checked.
    for i in range(1, 8):
        rows, got = call("SELECT omni_identity.resolve_customer_cluster('big', %s)", (f"buyer{i}@shop.com",))
        assert got and not wide_scans_of_tenant_tables(got), (i, wide_scans_of_tenant_tables(got))
        assert rows[0][0] == db.scalar("SELECT cluster_id FROM omni_identity.customer_cluster_keys"
                                       " WHERE tenant_id = 'big' AND key_value = %s", f"buyer{i}@shop.com")
    for i in range(1, 8):
        _, got = call("SELECT omni_identity.resolve_customer_cluster('big', %s, %s)",
                      (f"new{i}@shop.com", f"1198765432{i}"))
        assert got and not wide_scans_of_tenant_tables(got), (i, wide_scans_of_tenant_tables(got))

    # ingest: one sale of a known buyer.
    row = {"shop_id": "shop", "external_id": "new-1", "buyer_email": "buyer9@shop.com",
           "created_at": "2026-06-01T00:00:00Z", "amount": "1.00"}
    _, got = call("SELECT * FROM omni_identity.ingest_sales('big', %s::jsonb)", (json.dumps([row]),))
    assert got and not wide_scans_of_tenant_tables(got), wide_scans_of_tenant_tables(got)

    # abstraction_buyer_v2: the cluster's sales through the customer_hash index.
    rows, got = call("SELECT tenant_id FROM omni_identity.abstraction_buyer_v2('big', %s::jsonb, 1000)",
                     (json.dumps({"email": "buyer7@shop.com"}),))
    assert not wide_scans_of_tenant_tables(got), wide_scans_of_tenant_tables(got)
    assert any(n.get("Index Name") == "omni_sales_customer_hash_idx" for s in got for n in nodes(s["plan"]))
    assert rows and {r[0] for r in rows} == {"big"}
    assert len(rows) == SALES // CLUSTERS
