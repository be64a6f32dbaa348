"""omni_identity.citus_distribute() and the NULL tenant, on both legs: on one node (make
test) the function refuses with OI080 and migrate leaves it alone; on the Citus lab (make
test-citus, where every test database is distributed) the tables are distributed and
colocated, the routines registered, and no call with a NULL tenant reaches Citus's
function delegation (which dereferences it: a crashed coordinator)."""
from __future__ import annotations

import re

import psycopg
import pytest

from harness import migrate, paths
from psycopg import sql

from tests_py.support import Db, advisory_locks, blocked_behind


def _on_citus(db: Db) -> bool:
    return bool(db.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'citus'"))


def test_citus_distribute(db):
    if not _on_citus(db):
        with pytest.raises(psycopg.Error) as info:
            db.execute("SELECT omni_identity.citus_distribute()")
        assert info.value.sqlstate == "OI080"
        assert info.value.diag.message_hint
        assert migrate.distribute_on_citus(db.dsn) is False
        return
    tables = db.column("""SELECT c.oid::regclass::text FROM pg_class c
                           WHERE c.relkind = 'r' AND (c.relnamespace = 'omni_identity'::regnamespace
                                                      OR c.oid = 'public.omni_sales'::regclass)
                           ORDER BY 1""")
    dist = dict(db.rows("SELECT logicalrelid::regclass::text, partmethod::text || ':' || colocationid"
                        " FROM pg_dist_partition"))
    anchor = dist["omni_identity.customer_cluster"]
    assert dist.pop("omni_identity.key_blocklist").startswith("n:"), "key_blocklist is a reference table"
    assert {t: dist.get(t) for t in tables if t != "omni_identity.key_blocklist"} == \
        {t: anchor for t in tables if t != "omni_identity.key_blocklist"}, "every tenant table colocated"
    assert anchor.startswith("h:")
    # Every routine registered (so on every node); a second run changes nothing.
    assert db.scalar("""SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'omni_identity'::regnamespace
                         AND p.prokind IN ('f', 'p')
                         AND NOT EXISTS (SELECT 1 FROM pg_dist_object o
                                          WHERE o.classid = 'pg_proc'::regclass AND o.objid = p.oid)""") == 0
    assert db.scalar("SELECT omni_identity.citus_distribute()") == 0
    # The sequence of the batch ids exists on the workers (a delegated ingest draws from it).
    assert db.scalar("SELECT bool_and(success) FROM run_command_on_workers("
                     "$$SELECT nextval('omni_identity.batch_id_seq')$$)")


def _public_api() -> list[str]:
    """The application's API: the names functions/grants.sql lists (c_public_api)."""
    text = (paths.FUNCTIONS / "grants.sql").read_text()
    block = re.search(r"c_public_api CONSTANT text\[\] := ARRAY\[(.*?)\];", text, re.S)
    assert block, "functions/grants.sql lists the public API in c_public_api"
    return re.findall(r"'(\w+)'", block.group(1))


def _tenant_routines(db: Db) -> list[tuple[str, str]]:
    """(routine, call with a %s for the tenant) of every routine of the application's API
    that takes a p_tenant_id without a default; every other argument NULL."""
    out = []
    for fn, args, pos in db.rows("""
            SELECT p.oid::regprocedure::text, p.proargtypes::regtype[]::text[],
                   array_position(p.proargnames, 'p_tenant_id')
              FROM pg_proc p
             WHERE p.pronamespace = 'omni_identity'::regnamespace AND p.prokind = 'f'
               AND array_position(p.proargnames, 'p_tenant_id') <= p.pronargs - p.pronargdefaults
               AND p.proname = ANY (%s)
             ORDER BY 1""", _public_api()):
        name = fn.split("(")[0]
        vals = ["%s" if i + 1 == pos else f"NULL::{t}" for i, t in enumerate(args)]
        out.append((fn, f"SELECT {name}({', '.join(vals)})"))
    return out


@pytest.mark.parametrize("tenant", [None, ""], ids=["null", "empty"])
def test_null_or_empty_tenant_is_oi001_in_autocommit(db, tenant):
    """Every API routine with a tenant argument, called in autocommit (where Citus would
    delegate a registered call) with a NULL or empty tenant: OI001, and the server (the
    coordinator on the Citus leg) is still there for the next call."""
    calls = _tenant_routines(db)
    assert len(calls) >= 12, calls
    codes = {}
    for fn, call in calls:
        with psycopg.connect(db.dsn, autocommit=True) as conn:
            try:
                conn.execute(call, (tenant,))
                codes[fn] = None
            except psycopg.Error as exc:
                codes[fn] = exc.sqlstate
        assert db.scalar("SELECT 1") == 1, f"the server survived {fn}"
    assert codes == {fn: "OI001" for fn, _ in calls}


def test_a_later_strict_tenant_routine_is_delegated_by_the_next_migrate(db):
    """A routine a later migration adds is registered by the next migrate; a STRICT one with
    p_tenant_id runs on the worker holding the tenant's shards, and a NULL tenant never
    reaches the delegation (the planner folds the STRICT call to NULL first)."""
    db.execute("""CREATE FUNCTION omni_identity.citus_probe(p_tenant_id text) RETURNS integer
                  LANGUAGE sql STRICT VOLATILE SET search_path = pg_catalog, pg_temp
                  AS 'SELECT pg_catalog.inet_server_port()'""")
    on_citus = migrate.distribute_on_citus(db.dsn)
    assert on_citus is _on_citus(db)
    here = db.scalar("SELECT inet_server_port()")
    assert db.scalar("SELECT omni_identity.citus_probe(NULL)") is None
    assert db.scalar("SELECT 1") == 1
    ran_on = db.scalar("SELECT omni_identity.citus_probe('tenant-a')")
    if not on_citus:
        assert ran_on == here
        return
    assert db.rows("SELECT distribution_argument_index, force_delegation FROM pg_dist_object"
                   " WHERE objid = 'omni_identity.citus_probe(text)'::regprocedure") == [(0, True)]
    worker = db.scalar("""SELECT n.nodeport FROM pg_dist_shard s
                            JOIN pg_dist_placement p USING (shardid)
                            JOIN pg_dist_node n USING (groupid)
                           WHERE s.shardid = get_shard_id_for_distribution_column(
                                     'omni_identity.customer_cluster', 'tenant-a')""")
    assert ran_on == worker != here


def test_an_int_legacy_id_is_refused_before_anything_is_distributed(empty_db):
    """A legacy public.omni_sales whose ids come from an int sequence: Citus could not give
    the workers ids from it, so citus_distribute refuses (OI081, with the conversion as
    HINT) before distributing anything; on one node the function refuses with OI080."""
    empty_db.execute("""CREATE TABLE public.omni_sales (
        id serial PRIMARY KEY, shop_id text NOT NULL, gateway text NOT NULL DEFAULT '',
        external_id text NOT NULL, buyer_email text, buyer_phone text, buyer_name text,
        buyer_document text, product_id text, status text, amount numeric(14,2),
        currency char(3), created_at timestamptz NOT NULL)""")
    on_citus = _on_citus(empty_db)
    if on_citus:
        with pytest.raises(Exception, match="citus_distribute failed"):
            migrate.migrate(empty_db.dsn)
    else:
        migrate.migrate(empty_db.dsn)
    with pytest.raises(psycopg.Error) as info:
        empty_db.execute("SELECT omni_identity.citus_distribute()")
    assert info.value.sqlstate == ("OI081" if on_citus else "OI080")
    assert info.value.diag.message_hint
    if on_citus:
        assert empty_db.scalar("SELECT count(*) FROM pg_dist_partition") == 0


def test_a_delegated_lock_and_a_coordinator_call_exclude_each_other(db, job_login):
    """Advisory locks are per node, so the package takes them on the node holding the
    tenant's shards (tenant_node_lock). Both ways, with real connections through the
    coordinator: (1) a batch's exclusive tenant lock taken by a call Citus delegates to
    the tenant's worker (tenant_lock_exclusive, STRICT, registered by p_tenant_id, in a
    transaction block) makes a writing resolve run on the coordinator wait — the wait
    seen on the worker (pg_blocking_pids); (2) a resolve run on the coordinator, its
    transaction open, keeps that delegated exclusive request out (OI035). On one node the
    same holds with every lock on the one server."""
    tenant = "lock-where-the-data-is"
    db.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'known@x.com')", tenant)
    with db.connect_as(job_login, autocommit=False) as batch, db.connect_as("app", tenant) as caller:
        batch.execute("SELECT omni_identity.tenant_lock_exclusive(%s, '1 second')", (tenant,))
        held = advisory_locks(db, batch)
        key = db.scalar("SELECT omni_identity.tenant_lock_key(%s)", tenant)
        assert [(k, m) for k, m, _ in held] == [(key, "ExclusiveLock")]
        if _on_citus(db):
            assert held[0][2] == "worker", "taken where the tenant's shards are"
        writer, result, errors = blocked_behind(db, batch, lambda: caller.execute(
            "SELECT omni_identity.resolve_customer_cluster(%s, 'new@x.com')", (tenant,)).fetchone()[0],
            wait_events=("advisory",))
        batch.commit()
        writer.join()
    assert not errors and result[0] is not None
    with db.connect_as("app", tenant, autocommit=False) as caller, \
            db.connect_as(job_login, autocommit=False) as batch:
        caller.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'other@x.com')", (tenant,))
        with pytest.raises(psycopg.Error) as info:
            batch.execute("SELECT omni_identity.tenant_lock_exclusive(%s, '100 milliseconds')", (tenant,))
        assert info.value.sqlstate == "OI035"
        batch.rollback()
        caller.commit()


def test_the_bind_parameter_tenant_fails_closed_on_citus(db):
    """The session tenant named by the driver's bind-parameter form,
    set_config('app.current_tenant_id', $1, true): on one node it is the session tenant;
    on Citus it stays on the coordinator (Citus sends on only a literal SET LOCAL), so on
    the workers, where the rows are, there is no tenant: an application login reads no row
    of any tenant and writes none — fail closed, never another tenant's rows. The literal
    SET LOCAL form reads the tenant's rows on both."""
    db.execute("SELECT omni_identity.resolve_customer_cluster('bind-a', 'a@x.com')")
    db.execute("SELECT omni_identity.resolve_customer_cluster('bind-b', 'b@x.com')")
    on_citus = _on_citus(db)
    with psycopg.connect(db.login_dsn("app")) as conn:
        conn.execute("SELECT set_config('app.current_tenant_id', %s, true)", ("bind-a",))
        seen = conn.execute("SELECT tenant_id FROM omni_identity.customer_cluster_keys").fetchall()
        assert seen == ([] if on_citus else [("bind-a",)])
        if on_citus:
            with pytest.raises(psycopg.Error) as info:
                conn.execute("SELECT omni_identity.resolve_customer_cluster('bind-a', 'c@x.com')")
            assert info.value.sqlstate == "42501"   # the row-level security of the shard
        conn.rollback()
        conn.execute(sql.SQL("SET LOCAL app.current_tenant_id = {}").format(sql.Literal("bind-a")))
        assert conn.execute("SELECT tenant_id FROM omni_identity.customer_cluster_keys").fetchall() == [("bind-a",)]
        assert conn.execute("SELECT omni_identity.resolve_customer_cluster('bind-a', 'a@x.com')").fetchone()[0]
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE key_value = 'c@x.com'") == 0


def test_a_worker_added_and_rebalanced_keeps_every_tenant_working(db, tmp_path):
    """Adding a worker and rebalancing, as docs/scale-out.md tells a DBA (citus_add_node,
    citus_rebalance_start and its wait, then migrate): the shards spread to the new worker,
    migrate gives its copies of the routines the package's privileges (no PUBLIC
    EXECUTE), every sale keeps its customer, and resolve, ingest and the queries work for
    every tenant, as the application login, also for the tenants now on the new worker. On
    one node the same data and calls run around a second migrate (no topology to change)."""
    from harness import citus

    tenants = [f"rb{i}" for i in range(8)]
    for i, t in enumerate(tenants):
        db.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", t,
                   '[{"shop_id": "s", "external_id": "1", "created_at": "2024-01-01", "buyer_email": "a@x.com",'
                   ' "buyer_phone": "11987654321"},'
                   ' {"shop_id": "s", "external_id": "2", "created_at": "2024-01-02", "buyer_phone": "11987654321",'
                   ' "buyer_document": "529.982.247-25"}]')
    before = db.rows("SELECT tenant_id, external_id, customer_hash FROM public.omni_sales ORDER BY 1, 2")
    assert len(before) == 16 and all(h is not None for _, _, h in before)

    node = None
    if _on_citus(db):
        node = citus.Node(tmp_path / "worker3")
        node.start()
        try:
            # The database on the new node, and the databases Citus's metadata names (the
            # lab's template this test database was cloned from), which citus_add_node
            # looks for there.
            names = {db.name} | set(db.column(
                "SELECT d.datname FROM pg_dist_object o JOIN pg_database d ON d.oid = o.objid"
                " WHERE o.classid = 'pg_database'::regclass"))
            with psycopg.connect(node.dsn("postgres"), autocommit=True) as c:
                for name in sorted(names):
                    c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            with psycopg.connect(node.dsn(db.name), autocommit=True) as c:
                c.execute("CREATE EXTENSION citus")
            # The lab's test logins were made on each node, outside Citus's propagation
            # (a DBA's roles made through the coordinator reach a new node with it).
            logins = db.rows("SELECT r.rolname, coalesce(array_agg(g.rolname) FILTER (WHERE g.rolname IS NOT NULL), '{}')"
                             "  FROM pg_roles r LEFT JOIN pg_auth_members m ON m.member = r.oid"
                             "  LEFT JOIN pg_roles g ON g.oid = m.roleid"
                             " WHERE r.rolcanlogin AND NOT r.rolsuper GROUP BY r.rolname")
            db.execute("SELECT citus_add_node('127.0.0.1', %s)", node.port())
            with psycopg.connect(node.dsn(db.name), autocommit=True) as c:
                for name, groups in logins:
                    if not c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
                        c.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
                    for g in groups:
                        c.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(g), sql.Identifier(name)))
            db.execute("SELECT citus_rebalance_start(shard_transfer_mode := 'block_writes')")
            db.execute("SELECT citus_rebalance_wait()")
            assert db.scalar("SELECT count(*) FROM citus_shards WHERE nodeport = %s", node.port()) > 0
            migrate.migrate(db.dsn)
            with psycopg.connect(node.dsn(db.name), autocommit=True) as c:
                public = c.execute(
                    "SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'omni_identity'::regnamespace"
                    "   AND (p.proacl IS NULL OR EXISTS (SELECT FROM aclexplode(p.proacl) a"
                    "                                    WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'))"
                ).fetchone()[0]
                routines = c.execute("SELECT count(*) FROM pg_proc p"
                                     " WHERE p.pronamespace = 'omni_identity'::regnamespace").fetchone()[0]
            assert routines > 50 and public == 0, (routines, public)
            moved = db.scalar("SELECT count(DISTINCT tenant_id) FROM public.omni_sales s"
                              " WHERE get_shard_id_for_distribution_column('public.omni_sales', s.tenant_id)"
                              "       IN (SELECT shardid FROM citus_shards WHERE nodeport = %s)", node.port())
            assert moved > 0, "some tenant lives on the new worker"
            _after_the_change(db, tenants, before)
        finally:
            node.stop()
    else:
        migrate.migrate(db.dsn)
        _after_the_change(db, tenants, before)


def _after_the_change(db: Db, tenants: list[str], before: list) -> None:
    assert db.rows("SELECT tenant_id, external_id, customer_hash FROM public.omni_sales ORDER BY 1, 2") == before
    for t in tenants:
        hash_ = next(h for tt, e, h in before if tt == t and e == "1")
        with db.connect_as("app", t) as app:
            assert app.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'a@x.com')",
                               (t,)).fetchone()[0] == hash_
            assert app.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'b@x.com', '11987654321')",
                               (t,)).fetchone()[0] == hash_
            assert app.execute(
                "SELECT inserted FROM omni_identity.ingest_sales(%s, %s::jsonb)",
                (t, '[{"shop_id": "s", "external_id": "3", "created_at": "2024-01-03", "buyer_email": "b@x.com"}]')
            ).fetchone()[0] == 1
            assert app.execute("SELECT count(*) FROM omni_identity.abstraction_buyer_v2(%s, %s::jsonb)",
                               (t, '{"email": "b@x.com"}')).fetchone()[0] == 3
