"""Tenant isolation as a real application login (a LOGIN role IN ROLE omni_identity_app,
connected over its own session): fail closed without a session tenant, SET LOCAL scoping,
no way to escalate, and cross-tenant calls of the package's functions refused with OI002.
The admin login (jobs) reaches every tenant."""
from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

import psycopg
import pytest
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from tests_py.support import name_tenant

TENANT_TABLES = (
    "omni_identity.customer_cluster",
    "omni_identity.customer_cluster_keys",
    "omni_identity.customer_cluster_merges",
    "omni_identity.settings",
    "omni_identity.sales_rejects",
    "omni_identity.batch_metrics",
    "omni_identity.report_divergences",
    "public.omni_sales",
)

SEED = """
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000001'), ('tenant-a', 'a0000000-0000-0000-0000-000000000002'),
    ('tenant-b', 'b0000000-0000-0000-0000-000000000001'), ('tenant-b', 'b0000000-0000-0000-0000-000000000002');
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id) VALUES
    ('tenant-a', 'email', 'same@shop.com', 'a0000000-0000-0000-0000-000000000001'),
    ('tenant-b', 'email', 'same@shop.com', 'b0000000-0000-0000-0000-000000000001');
INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000002', 'a0000000-0000-0000-0000-000000000001'),
    ('tenant-b', 'b0000000-0000-0000-0000-000000000002', 'b0000000-0000-0000-0000-000000000001');
INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern) VALUES
    ('tenant-a', 'email', 'blocked@shop.com'), ('tenant-b', 'email', 'blocked@shop.com');
INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES
    ('tenant-a', 'flag', 'true'), ('tenant-b', 'flag', 'true');
INSERT INTO omni_identity.sales_rejects (tenant_id, batch_id, row_no, raw, reason) VALUES
    ('tenant-a', 1, 1, '{}', 'x'), ('tenant-b', 1, 1, '{}', 'x');
INSERT INTO omni_identity.batch_metrics (tenant_id, batch_id, job, started_at, duration) VALUES
    ('tenant-a', 1, 'ingest', now(), '1 s'), ('tenant-b', 1, 'ingest', now(), '1 s');
INSERT INTO omni_identity.report_divergences (tenant_id, run_id, kind) VALUES
    ('tenant-a', 1, 'sale_only_in_v1'), ('tenant-b', 1, 'sale_only_in_v1');
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, created_at) VALUES
    ('tenant-a', 'shop', 'order-1', 'same@shop.com', now()),
    ('tenant-b', 'shop', 'order-1', 'same@shop.com', now());
"""


class Login:
    """A LOGIN role created as a DBA would (`CREATE ROLE … LOGIN IN ROLE …`), and
    connections to the test database as that role."""

    def __init__(self, db, member_of: str):
        self.db = db
        self.name = f"oi_login_{uuid.uuid4().hex[:10]}"
        db.execute(f'CREATE ROLE "{self.name}" LOGIN IN ROLE {member_of}')
        self._conns: list[psycopg.Connection] = []
        self._pids: list[int] = []

    def connect(self, **kwargs) -> psycopg.Connection:
        parts = conninfo_to_dict(self.db.dsn)
        parts["user"] = self.name
        parts.pop("password", None)
        kwargs.setdefault("autocommit", True)
        conn = psycopg.connect(make_conninfo(**parts), **kwargs)
        self._conns.append(conn)
        self._pids.append(conn.info.backend_pid)
        return conn

    def drop(self) -> None:
        for conn in self._conns:
            conn.close()
        # A closed session's temporary tables (the pipeline's) still belong to the role
        # until its backend has exited: wait for those backends (and any other session of
        # the login, such as a CLI run) before dropping the role.
        while self.db.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY (%s) OR usename = %s",
                             self._pids, self.name):
            self.db.execute("SELECT pg_sleep(0.01)")
        self.db.execute(f'DROP ROLE IF EXISTS "{self.name}"')


@pytest.fixture
def app(db):
    login = Login(db, "omni_identity_app")
    yield login
    login.drop()


@pytest.fixture
def admin(db):
    login = Login(db, "omni_identity_admin")
    yield login
    login.drop()


@contextmanager
def as_tenant(conn: psycopg.Connection, tenant: str | None):
    """One transaction with `SET LOCAL app.current_tenant_id` (None: no session tenant), in
    the form the docs give for the node kind (support.name_tenant)."""
    with conn.transaction():
        if tenant is not None:
            name_tenant(conn, tenant)
        yield conn


def count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- tables ------------------------------------------------------------------------------

def test_a_fresh_login_without_a_session_tenant_sees_nothing_and_writes_nothing(db, app):
    db.execute(SEED)
    conn = app.connect()
    assert conn.execute("SELECT current_setting('app.current_tenant_id', true)").fetchone()[0] is None
    for table in TENANT_TABLES:
        assert count(conn, table) == 0, table
    # The global blocklist stays readable: it is data, not a tenant's.
    assert conn.execute("SELECT count(*) FROM omni_identity.key_blocklist WHERE tenant_id IS NOT NULL").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM omni_identity.key_blocklist WHERE tenant_id IS NULL").fetchone()[0] > 0
    with pytest.raises(errors.InsufficientPrivilege):
        conn.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at)"
                      " VALUES ('tenant-a', 's', 'x', now())")
    with pytest.raises(errors.InsufficientPrivilege):
        conn.execute("INSERT INTO omni_identity.customer_cluster (tenant_id) VALUES ('tenant-a')")
    assert conn.execute("UPDATE public.omni_sales SET status = 'x'").rowcount == 0
    assert conn.execute("DELETE FROM omni_identity.settings").rowcount == 0
    assert db.scalar("SELECT count(*) FROM omni_identity.settings") == 2


def test_set_local_scopes_the_tenant_to_one_transaction(db, app):
    db.execute(SEED)
    conn = app.connect()
    with as_tenant(conn, "tenant-a"):
        for table in TENANT_TABLES:
            tenants = {r[0] for r in conn.execute(f"SELECT tenant_id FROM {table}")}
            assert tenants == {"tenant-a"}, table
        conn.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at)"
                     " VALUES ('tenant-a', 'shop', 'order-2', now())")
    # After COMMIT the setting is back to empty: fail closed again.
    assert conn.execute("SELECT current_setting('app.current_tenant_id', true)").fetchone()[0] == ""
    assert count(conn, "public.omni_sales") == 0
    with as_tenant(conn, "tenant-b"):
        assert conn.execute("SELECT external_id FROM public.omni_sales").fetchall() == [("order-1",)]
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE tenant_id = 'tenant-a'") == 2


def test_the_application_login_cannot_escalate(db, app):
    db.execute(SEED)
    conn = app.connect()
    for statement in ("SET ROLE omni_identity_admin",
                      "SET ROLE postgres",
                      "ALTER TABLE public.omni_sales DISABLE ROW LEVEL SECURITY",
                      "ALTER TABLE omni_identity.customer_cluster NO FORCE ROW LEVEL SECURITY",
                      "DROP POLICY tenant_isolation ON public.omni_sales",
                      "TRUNCATE omni_identity.customer_cluster_keys",
                      "CREATE TABLE omni_identity.mine (tenant_id text)",
                      "CREATE FUNCTION omni_identity.mine() RETURNS int LANGUAGE sql AS 'SELECT 1'"):
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
    # row_security = off does not bypass the policies: the query fails instead.
    conn.execute("SET row_security = off")
    with pytest.raises(errors.InsufficientPrivilege):
        with as_tenant(conn, "tenant-a"):
            conn.execute("SELECT count(*) FROM public.omni_sales")
    conn.execute("RESET row_security")
    assert db.scalar("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'public.omni_sales'::regclass")


def test_the_admin_login_reaches_every_tenant(db, admin):
    db.execute(SEED)
    conn = admin.connect()
    assert conn.execute("SELECT current_setting('app.current_tenant_id', true)").fetchone()[0] is None
    for table in TENANT_TABLES:
        assert {r[0] for r in conn.execute(f"SELECT DISTINCT tenant_id FROM {table}")} == {"tenant-a", "tenant-b"}, table
    assert conn.execute("UPDATE omni_identity.customer_cluster_merges SET reconciled_at = now()").rowcount == 2
    conn.execute("INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern)"
                 " VALUES (NULL, 'email', 'global@shop.com')")


# -- the package's functions -----------------------------------------------------------

def sqlstate(conn, query: str, *args) -> str | None:
    try:
        with conn.transaction():
            conn.execute(query, args or None)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def test_flags_stay_in_their_tenant(db, app):
    conn = app.connect()
    with as_tenant(conn, "tenant-a"):
        conn.execute("SELECT omni_identity.set_flag('tenant-a', 'abstraction_v2_enabled', true)")
        assert conn.execute("SELECT omni_identity.flag_enabled('tenant-a', 'abstraction_v2_enabled')").fetchone()[0]
    with as_tenant(conn, "tenant-b"):
        assert not conn.execute("SELECT omni_identity.flag_enabled('tenant-b', 'abstraction_v2_enabled')").fetchone()[0]
    for call in ("SELECT omni_identity.set_flag('tenant-b', 'abstraction_v2_enabled', true)",
                 "SELECT omni_identity.flag_enabled('tenant-b', 'abstraction_v2_enabled')"):
        with as_tenant(conn, "tenant-a"):
            assert sqlstate(conn, call) == "OI002", call
        with as_tenant(conn, None):
            assert sqlstate(conn, call) == "OI002", call
    assert db.rows("SELECT tenant_id, key, value FROM omni_identity.settings") == [
        ("tenant-a", "abstraction_v2_enabled", True)]


SALE = {"shop_id": "shop", "external_id": "order-1", "buyer_email": "Ana@Shop.com",
        "buyer_phone": "(11) 98765-4321", "buyer_name": "Ana", "amount": "10.00",
        "currency": "BRL", "status": "paid", "created_at": "2026-01-01T10:00:00Z"}


def test_resolve_is_confined_to_the_session_tenant(db, app):
    conn = app.connect()
    seen = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with as_tenant(conn, "tenant-a"):
        a = conn.execute("SELECT omni_identity.resolve_customer_cluster('tenant-a', 'ana@shop.com', '11987654321', NULL, 'Ana', %s)",
                         (seen,)).fetchone()[0]
        a2 = conn.execute("SELECT omni_identity.resolve_customer_cluster('tenant-a', 'other@shop.com', '11987654321', NULL, NULL, %s)",
                          (seen,)).fetchone()[0]
        assert a == a2
        assert conn.execute("SELECT omni_identity.current_cluster('tenant-a', %s)", (a,)).fetchone()[0] == a
    with as_tenant(conn, "tenant-b"):
        b = conn.execute("SELECT omni_identity.resolve_customer_cluster('tenant-b', 'ana@shop.com')").fetchone()[0]
        assert b != a, "the same identifier in another tenant is another customer"
        # tenant-a's cluster id means nothing in tenant-b.
        assert conn.execute("SELECT omni_identity.current_cluster('tenant-b', %s)", (a,)).fetchone()[0] is None
    calls = [("SELECT omni_identity.resolve_customer_cluster('tenant-b', 'ana@shop.com')", ()),
             ("SELECT omni_identity.current_cluster('tenant-b', %s)", (b,))]
    for call, args in calls:
        with as_tenant(conn, "tenant-a"):
            assert sqlstate(conn, call, *args) == "OI002", call
        with as_tenant(conn, None):
            assert sqlstate(conn, call, *args) == "OI002", call
    assert db.rows("SELECT tenant_id, count(*) FROM omni_identity.customer_cluster GROUP BY 1 ORDER BY 1") == [
        ("tenant-a", 1), ("tenant-b", 1)]
    assert db.rows("SELECT tenant_id, count(*) FROM omni_identity.customer_cluster_keys GROUP BY 1 ORDER BY 1") == [
        ("tenant-a", 3), ("tenant-b", 1)]


def test_ingest_is_confined_to_the_session_tenant(db, app):
    conn = app.connect()
    rows = json.dumps([SALE, {**SALE, "external_id": "order-2", "buyer_phone": None}])
    with as_tenant(conn, "tenant-a"):
        out = conn.execute("SELECT inserted, rejected FROM omni_identity.ingest_sales('tenant-a', %s::jsonb)", (rows,)).fetchone()
        assert out == (2, 0)
    with as_tenant(conn, "tenant-a"):
        assert sqlstate(conn, "SELECT * FROM omni_identity.ingest_sales('tenant-b', %s::jsonb)", rows) == "OI002"
    with as_tenant(conn, None):
        assert sqlstate(conn, "SELECT * FROM omni_identity.ingest_sales('tenant-a', %s::jsonb)", rows) == "OI002"
    with as_tenant(conn, "tenant-b"):
        conn.execute("SELECT * FROM omni_identity.ingest_sales('tenant-b', %s::jsonb)", (rows,))
    # The same idempotency keys in two tenants are two sets of sales with their own clusters.
    per_tenant = db.rows("SELECT tenant_id, count(*), count(DISTINCT customer_hash) FROM public.omni_sales GROUP BY 1 ORDER BY 1")
    assert per_tenant == [("tenant-a", 2, 1), ("tenant-b", 2, 1)]
    assert db.scalar("""SELECT count(*) FROM public.omni_sales s
                         WHERE NOT EXISTS (SELECT 1 FROM omni_identity.customer_cluster c
                                            WHERE c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash)""") == 0
    assert db.scalar("SELECT count(DISTINCT customer_hash) FROM public.omni_sales") == 2


def test_queries_and_reports_are_confined_to_the_session_tenant(db, app):
    conn = app.connect()
    rows = json.dumps([SALE, {**SALE, "external_id": "order-2", "buyer_email": "bob@shop.com", "buyer_phone": None}])
    for tenant in ("tenant-a", "tenant-b"):
        with as_tenant(conn, tenant):
            conn.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", (tenant, rows))
    filters = json.dumps({"email": "ana@shop.com"})
    with as_tenant(conn, "tenant-a"):
        conn.execute("SELECT omni_identity.set_flag('tenant-a', 'abstraction_v2_enabled', true)")
        conn.execute("SELECT omni_identity.set_flag('tenant-a', 'customer_report_v2_enabled', true)")
        for fn in ("abstraction_buyer", "abstraction_buyer_v1", "abstraction_buyer_v2"):
            got = conn.execute(f"SELECT tenant_id, external_id FROM omni_identity.{fn}('tenant-a', %s::jsonb)", (filters,)).fetchall()
            assert got == [("tenant-a", "order-1")], fn
        for fn in ("customer_report", "customer_report_v1", "customer_report_v2"):
            orders = conn.execute(f"SELECT sum(orders) FROM omni_identity.{fn}('tenant-a')").fetchone()[0]
            assert orders == 2, fn
        conn.execute("SELECT omni_identity.compare_customer_reports('tenant-a')")
    calls = [f"SELECT * FROM omni_identity.{fn}('tenant-b', '{{}}'::jsonb)"
             for fn in ("abstraction_buyer", "abstraction_buyer_v1", "abstraction_buyer_v2",
                        "customer_report", "customer_report_v1", "customer_report_v2")]
    calls.append("SELECT omni_identity.compare_customer_reports('tenant-b')")
    for call in calls:
        with as_tenant(conn, "tenant-a"):
            assert sqlstate(conn, call) == "OI002", call
        with as_tenant(conn, None):
            assert sqlstate(conn, call) == "OI002", call
    assert db.scalar("SELECT count(*) FROM omni_identity.report_divergences WHERE tenant_id <> 'tenant-a'") == 0


def test_jobs_are_for_the_admin_role(db, app, admin):
    db.execute("""INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_phone, created_at)
                  SELECT t, 'shop', 'order-' || i, 'same' || (i % 3) || '@shop.com', CASE WHEN i % 2 = 0 THEN '11987654321' END, now()
                    FROM unnest(ARRAY['tenant-a', 'tenant-b']) AS t, generate_series(1, 6) AS i""")
    conn = app.connect()
    for call in ("SELECT omni_identity.backfill_customer_hash('tenant-a')",
                 "SELECT omni_identity.reconcile_merges()"):
        with as_tenant(conn, "tenant-a"):
            assert sqlstate(conn, call) == "42501", call
    jobs = admin.connect()
    while jobs.execute("SELECT omni_identity.backfill_customer_hash(NULL)").fetchone()[0] > 0:
        pass
    while jobs.execute("SELECT omni_identity.reconcile_merges()").fetchone()[0] > 0:
        pass
    # Both tenants' sales were clustered, each into its own tenant's clusters.
    assert db.scalar("""SELECT count(*) FROM public.omni_sales s
                         WHERE s.customer_hash IS NULL
                            OR NOT EXISTS (SELECT 1 FROM omni_identity.customer_cluster c
                                            WHERE c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash)""") == 0


def test_planner_statistics_do_not_leak_other_tenants_values(db, app):
    db.execute("""INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, created_at)
                  SELECT 'tenant-b', 'shop', g::text, 'secret@tenant-b.com', now() FROM generate_series(1, 200) g""")
    db.execute("ANALYZE public.omni_sales")
    assert db.scalar("SELECT count(*) FROM pg_stats WHERE tablename = 'omni_sales' AND attname = 'buyer_email'") == 1
    conn = app.connect()
    with as_tenant(conn, "tenant-a"):
        # pg_stats hides the statistics of tables whose rows RLS filters for the caller.
        assert conn.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'omni_sales'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM pg_stats WHERE schemaname = 'omni_identity'").fetchone()[0] == 0


def test_csv_upload_as_an_application_login_stays_in_its_tenant(db, app, tmp_path):
    import subprocess
    import sys

    csv = tmp_path / "sales.csv"
    csv.write_text("shop_id,external_id,buyer_email,buyer_phone,amount,created_at\n"
                   "shop,order-1,ana@shop.com,11987654321,10.00,2026-01-01T10:00:00Z\n"
                   "shop,order-2,ANA@shop.com,,5.00,2026-01-02T10:00:00Z\n")
    parts = conninfo_to_dict(db.dsn)
    parts["user"] = app.name
    dsn = make_conninfo(**parts)
    for tenant in ("tenant-a", "tenant-b"):
        out = subprocess.run([sys.executable, "-m", "harness.cli", "upload", str(csv), "--tenant", tenant, "--dsn", dsn],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
    assert db.rows("SELECT tenant_id, count(*), count(DISTINCT customer_hash) FROM public.omni_sales GROUP BY 1 ORDER BY 1") == [
        ("tenant-a", 2, 1), ("tenant-b", 2, 1)]
    assert db.scalar("""SELECT count(*) FROM public.omni_sales s
                         WHERE NOT EXISTS (SELECT 1 FROM omni_identity.customer_cluster c
                                            WHERE c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash)""") == 0
