"""ingest_sales: upsert and idempotency, reject accounting row by row, automatic mode,
errors, set-based locking and index probes on a never-analyzed database."""
from __future__ import annotations

import json
import secrets

import psycopg
import pytest

from harness import citus
from tests_py.support import explain_on_shards, shard_plans, shard_reltuples
from tests_py.test_query_plans import nodes, rows_read
from tests_py.test_tenancy import Login, as_tenant

T = "ing"


def ingest(db, rows, tenant=T):
    return db.rows("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", tenant, json.dumps(rows))[0]


def sale(i, **kw):
    row = {"shop_id": "s1", "external_id": f"x{i}", "created_at": f"2024-03-{1 + i % 28:02d}T10:00:00-03:00"}
    row.update(kw)
    return row


def test_resend_changes_nothing_and_updates_recluster(db):
    rows = [sale(1, buyer_email="ana@x.com", amount=10), sale(2, buyer_phone="(11) 98765-4321"),
            sale(3, buyer_email="Ana@X.com", buyer_phone="11 98765 4321")]
    assert ingest(db, rows) == (3, 0, 0, 3, 0)
    state = db.rows("SELECT external_id, customer_hash, amount FROM public.omni_sales ORDER BY 1")
    assert len({r[1] for r in state}) == 1
    assert ingest(db, rows) == (0, 0, 0, 0, 0)
    assert db.rows("SELECT external_id, customer_hash, amount FROM public.omni_sales ORDER BY 1") == state
    # A changed status is an update that keeps the cluster.
    assert ingest(db, [dict(rows[0], status="refunded")])[:3] == (0, 1, 0)
    assert db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'x1'") == state[0][1]
    # A changed buyer moves the sale to the cluster of its new keys.
    assert ingest(db, [dict(rows[0], buyer_email="bia@y.com", status="refunded")])[:4] == (0, 1, 0, 1)
    new_hash = db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'x1'")
    assert new_hash is not None and new_hash != state[0][1]
    # Keyless and invalid identifiers are kept, not rejected.
    assert ingest(db, [sale(4, buyer_email="not an email", buyer_phone="123")]) == (1, 0, 0, 0, 0)
    assert db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'x4'") is None
    metrics = db.rows("SELECT job, rows_in, rows_written, rows_rejected FROM omni_identity.batch_metrics"
                      " WHERE tenant_id = %s ORDER BY batch_id", T)
    assert metrics == [("ingest", 3, 3, 0), ("ingest", 3, 0, 0), ("ingest", 1, 1, 0),
                       ("ingest", 1, 1, 0), ("ingest", 1, 1, 0)]


def test_rejects_row_by_row(db):
    rows = [
        sale(1, buyer_email="ok@x.com"),                         # 1 good
        {"external_id": "a", "created_at": "2024-01-01"},       # 2 no shop_id
        {"shop_id": "s1", "created_at": "2024-01-01"},          # 3 no external_id
        {"shop_id": "s1", "external_id": "b"},                   # 4 no created_at
        sale(5, created_at="2024-02-30"),                        # 5 impossible date
        sale(6, created_at="now"),                               # 6 not a date
        sale(7, amount="doze reais"),                            # 7 amount
        sale(8, amount="1e20"),                                  # 8 amount not plain
        sale(9, amount=12345678901234),                          # 9 out of range
        sale(10, currency="REAL"),                               # 10 currency
        sale(11, shop_id={"x": 1}),                              # 11 wrong type
        "not an object",                                         # 12
        sale(13, colour="red"),                                  # 13 unknown column
        sale(14, id=5),                                          # 14 forbidden column
        sale(15, tenant_id="other"),                             # 15 other tenant
        sale(16, tenant_id=T, amount="12,50", buyer_phone=None), # 16 good (own tenant, comma)
        sale(17, buyer_email="dup@x.com"),                       # 17 superseded by 18
        sale(17, buyer_email="dup2@x.com"),                      # 18 good
        sale(19, gateway=True),                                  # 19 boolean
    ]
    assert ingest(db, rows)[:3] == (3, 0, 16)
    rejects = dict(db.rows("SELECT row_no, reason FROM omni_identity.sales_rejects WHERE tenant_id = %s", T))
    assert sorted(rejects) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 19]
    assert rejects[2].startswith("shop_id is missing")
    assert rejects[3].startswith("external_id is missing")
    assert rejects[4].startswith("created_at is missing")
    assert rejects[5].startswith("created_at is not a valid date-time")
    assert rejects[6].startswith("created_at is not a valid date-time")
    assert rejects[7].startswith("amount") and rejects[8].startswith("amount") and rejects[9].startswith("amount")
    assert rejects[10].startswith("currency")
    assert "shop_id must be a string or a number" in rejects[11]
    assert rejects[12] == "row is not a JSON object"
    assert "unknown column colour" in rejects[13]
    assert "column id is not accepted" in rejects[14]
    assert "column tenant_id is not accepted" in rejects[15]
    assert rejects[17].startswith("superseded by row 18")
    assert "gateway must be a string or a number" in rejects[19]
    raw = db.scalar("SELECT raw FROM omni_identity.sales_rejects WHERE tenant_id = %s AND row_no = 7", T)
    assert raw["amount"] == "doze reais"
    assert db.scalar("SELECT amount FROM public.omni_sales WHERE external_id = 'x16'") == pytest.approx(12.5)
    assert db.scalar("SELECT buyer_email FROM public.omni_sales WHERE external_id = 'x17'") == "dup2@x.com"
    assert db.rows("SELECT rows_in, rows_written, rows_rejected FROM omni_identity.batch_metrics") == [(19, 3, 16)]


@pytest.mark.parametrize("bad", [None, {"a": 1}, "x", 3])
def test_p_rows_must_be_an_array(db, bad):
    with pytest.raises(psycopg.Error) as exc:
        db.scalar("SELECT inserted FROM omni_identity.ingest_sales(%s, %s::jsonb)", T,
                  None if bad is None else json.dumps(bad))
    assert exc.value.sqlstate == "OI030"


def test_tenant_and_batch_size_errors(db):
    for tenant in (None, ""):
        with pytest.raises(psycopg.Error) as exc:
            db.scalar("SELECT inserted FROM omni_identity.ingest_sales(%s, '[]')", tenant)
        assert exc.value.sqlstate == "OI001"
    for size in (0, 100_001):
        with pytest.raises(psycopg.Error) as exc:
            db.scalar("SELECT omni_identity.backfill_customer_hash(NULL, %s)", size)
        assert exc.value.sqlstate == "OI032"
    with db.connect(autocommit=False) as c:
        c.execute("SET LOCAL ROLE omni_identity_app")
        with pytest.raises(psycopg.Error) as exc:
            c.execute("SELECT omni_identity.backfill_customer_hash(NULL)")
        assert exc.value.sqlstate == "42501"   # not granted: EXECUTE is the guard


def _node_of(db, tenant: str):
    """The node holding `tenant`'s shard of omni_sales on Citus; None on one node."""
    if not db.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'citus'"):
        return None
    return db.scalar("SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)"
                     " WHERE p.shardid = get_shard_id_for_distribution_column('public.omni_sales', %s::text)", tenant)


def _shard_of(db, tenant: str):
    """The shard of omni_sales holding `tenant`'s rows (Citus only)."""
    return db.scalar("SELECT get_shard_id_for_distribution_column('public.omni_sales', %s::text)", tenant)


def test_automatic_mode_trigger(db):
    """Automatic mode, the same on one node and through the Citus coordinator (the
    trigger then fires on the tenant's shard, on its worker: docs/scale-out.md)."""
    other = "other"
    if _node_of(db, T) is not None:
        # A tenant of T's shard: a statement writing two shards with automatic-mode rows is
        # refused on Citus (test_automatic_mode_across_shards_fails_whole).
        other = next(t for t in (f"other{i}" for i in range(64)) if _shard_of(db, t) == _shard_of(db, T))
    insert = ("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email, buyer_phone)"
              " VALUES (%s, 's', %s, now(), %s, %s)")
    db.execute(insert, T, "off1", "ana@x.com", None)
    assert db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'off1'") is None
    db.execute("INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES (%s, 'auto_resolve', 'true')", T)
    db.execute(insert, T, "on1", "ana@x.com", "(21) 99876-5432")
    # One multi-row statement: clustered set-based, linked through the shared phone.
    db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email, buyer_phone)"
               " VALUES (%s, 's', 'on2', now(), 'bia@y.com', '21998765432'),"
               "        (%s, 's', 'on3', now(), NULL, NULL), (%s, 's', 'on4', now(), 'ana@x.com', NULL)", T, T, other)
    h = dict(db.rows("SELECT external_id, customer_hash FROM public.omni_sales"))
    assert h["on1"] is not None and h["on1"] == h["on2"]
    assert h["on3"] is None          # no key
    assert h["on4"] is None          # the other tenant's flag is off
    assert h["off1"] is None         # written before the flag: the backfill's job
    assert db.scalar("SELECT omni_identity.backfill_customer_hash(%s)", T) >= 1
    assert db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'off1'") == h["on1"]
    # Rows written by ingest_sales are clustered by the batch, once (on Citus the batch
    # writer's SET LOCAL reaches the shard's trigger): one more input in the evidence.
    inputs = "SELECT coalesce(sum(inputs), 0) FROM omni_identity.key_evidence WHERE tenant_id = %s"
    before = db.scalar(inputs, T)
    assert ingest(db, [sale(1, buyer_email="ana@x.com")])[3] == 1
    assert db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'x1'") == h["on1"]
    assert db.scalar(inputs, T) == before + 1


def _components(sales):
    """Connected components of (external_id, email, phone) rows sharing a key, as frozensets."""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for ext, email, phone in sales:
        for key in (("e", email and email.lower()), ("p", phone and "".join(ch for ch in phone if ch.isdigit()))):
            if key[1] is not None:
                parent[find(("s", ext))] = find(key)
    groups = {}
    for ext, _, _ in sales:
        groups.setdefault(find(("s", ext)), set()).add(ext)
    return {frozenset(g) for g in groups.values()}


def _final_partition(db, tenant):
    """The tenant's sales grouped by cluster, a merged-away cluster read as the one it was
    merged into (what reconcile_merges repoints them to)."""
    into = dict(db.rows("SELECT from_cluster, into_cluster FROM omni_identity.customer_cluster_merges"
                        " WHERE tenant_id = %s", tenant))
    groups = {}
    for ext, h in db.rows("SELECT external_id, customer_hash FROM public.omni_sales WHERE tenant_id = %s", tenant):
        assert h is not None, ext
        while h in into:
            h = into[h]
        groups.setdefault(h, set()).add(ext)
    return {frozenset(g) for g in groups.values()}


def test_automatic_mode_as_application(db, app_login):
    """The application's own INSERTs (single-row and multi-row) through its login get the
    customer_hash the batch core gives the same sales (the backfill of a tenant without
    the flag): the same clusters on one node and through the Citus coordinator."""
    ref = "ref"
    sales = [("a1", "ana@x.com", None), ("a2", None, "(21) 99876-5432"),
             ("a3", "bia@y.com", None), ("a4", "ana@x.com", "21998765432"),
             ("a5", "cid@z.com", None), ("a6", "bia@y.com", "(11) 91234-5678")]
    insert = ("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email, buyer_phone)"
              " VALUES ")
    with db.connect_as(app_login, tenant=T) as app:
        app.execute("SELECT omni_identity.set_flag(%s, 'auto_resolve', true)", (T,))
        app.execute(insert + "(%s, 's', %s, now(), %s, %s)", (T, *sales[0]))
        assert db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'a1'") is not None
        app.execute(insert + "(%s, 's', %s, now(), %s, %s)", (T, *sales[1]))
        rows = sales[2:]
        app.execute(insert + ", ".join(["(%s, 's', %s, now(), %s, %s)"] * len(rows)),
                    [v for r in rows for v in (T, *r)])
    for ext, email, phone in sales:
        db.execute(insert + "(%s, 's', %s, now(), %s, %s)", ref, ext, email, phone)
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE tenant_id = %s AND customer_hash IS NULL", ref) == 6
    assert db.scalar("SELECT omni_identity.backfill_customer_hash(%s)", ref) == 6
    expected = _components(sales)
    assert _final_partition(db, ref) == expected
    assert _final_partition(db, T) == expected
    # a1 and a2 were separate customers until a4 linked them: one merge, as in the backfill
    # of the same sales written one by one.
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE tenant_id = %s", T) == 1


def test_automatic_mode_redacts_a_forgotten_value(db, app_login):
    """A sale the application inserts with a forgotten e-mail is stored without it and
    clustered by its other keys, as on one node (on Citus the redaction's UPDATE runs in
    the trigger on the shard, where Citus allows only the local shard's tasks)."""
    db.execute("INSERT INTO omni_identity.forgotten_identifiers (tenant_id, key_type, value_sha256)"
               " VALUES (%s, 'email', omni_identity.value_sha256('gone@x.com'))", T)
    db.execute("INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES (%s, 'auto_resolve', 'true')", T)
    with db.connect_as(app_login, tenant=T) as app:
        app.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email, buyer_phone)"
                    " VALUES (%s, 's', 'g1', now(), 'Gone@x.com', '(21) 99876-5432'),"
                    "        (%s, 's', 'g2', now(), 'kept@x.com', '21998765432')", (T, T))
    rows = dict((r[0], r[1:]) for r in db.rows(
        "SELECT external_id, buyer_email, customer_hash FROM public.omni_sales WHERE tenant_id = %s", T))
    assert rows["g1"][0] is None and rows["g2"][0] == "kept@x.com"
    assert rows["g1"][1] is not None and rows["g1"][1] == rows["g2"][1]


def test_automatic_mode_concurrent_inserts(db):
    """Several application connections insert sales of one tenant at once (single-row and
    multi-row statements, keys shared across connections) while another links their keys
    by resolve_customer_cluster (on Citus: the inserts' batches run on the tenant's
    worker, the resolves are routed there from the coordinator; the tenant's locks are
    taken on that worker by both): every sale is clustered and the clusters are the
    connected components of the keys."""
    import threading

    db.execute("INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES (%s, 'auto_resolve', 'true')", T)
    n_conn, per_conn = 4, 6
    # Sale i of connection c: e-mail shared by connection pairs, phone shared along a chain.
    plan = {c: [(f"c{c}s{i}", f"u{(c // 2) * 10 + i}@x.com" if i % 2 == 0 else None,
                 f"(11) 9{87650000 + c + i:08d}" if i % 2 == 1 or i % 3 == 0 else None)
                for i in range(per_conn)] for c in range(n_conn)}
    # Links across the connections' groups (e-mail of connections 0/1, phones of 2 and 3).
    resolves = [(f"r{j}", f"u{j * 2}@x.com", f"(11) 9{87650000 + 2 + j * 2 + 1:08d}") for j in range(3)]
    barrier = threading.Barrier(n_conn + 1)
    errors = []
    insert = ("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email, buyer_phone)"
              " VALUES ")

    def work(c):
        try:
            with db.connect_as("app", tenant=T) as app:
                barrier.wait()
                first, rest = plan[c][:2], plan[c][2:]
                for r in first:
                    app.execute(insert + "(%s, 's', %s, now(), %s, %s)", (T, *r))
                app.execute(insert + ", ".join(["(%s, 's', %s, now(), %s, %s)"] * len(rest)),
                            [v for r in rest for v in (T, *r)])
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)

    def link():
        try:
            with db.connect_as("app", tenant=T) as app:
                barrier.wait()
                for _, email, phone in resolves:
                    assert app.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s)",
                                       (T, email, phone)).fetchone()[0] is not None
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in range(n_conn)] + [threading.Thread(target=link)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sales = [r for c in range(n_conn) for r in plan[c]]
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE tenant_id = %s", T) == len(sales)
    ids = {r[0] for r in sales}
    expected = {g & ids for g in _components(sales + resolves)} - {frozenset()}
    assert len(expected) < len(_components(sales))   # the resolves do link groups
    assert _final_partition(db, T) == expected


def test_automatic_mode_and_a_batch_exclude_each_other(db):
    """The trigger's batch takes the tenant's locks where the tenant's data is (on Citus:
    on its worker, where the trigger runs), so it and a job's exclusive tenant lock exclude
    each other both ways: an application's INSERT does not get past a job's lock held in
    an open transaction (it retries, then OI035 and nothing is written), and a job cannot
    take the lock while an INSERT's transaction is open (OI035). The same on one node."""
    db.execute("INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES (%s, 'auto_resolve', 'true')", T)
    insert = ("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email)"
              " VALUES (%s, 's', %s, now(), 'ana@x.com')")
    with db.connect_as("job", autocommit=False) as batch, db.connect_as("app", tenant=T) as app:
        batch.execute("SELECT omni_identity.tenant_lock_exclusive(%s, '1 second')", (T,))
        with pytest.raises(psycopg.Error) as info:
            app.execute(insert, (T, "l1"))
        assert info.value.sqlstate == "OI035"
        batch.commit()
        app.execute(insert, (T, "l1"))
    assert db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'l1'") is not None
    with db.connect_as("app", tenant=T, autocommit=False) as app, \
            db.connect_as("job", autocommit=False) as batch:
        app.execute(insert, (T, "l2"))
        with pytest.raises(psycopg.Error) as info:
            batch.execute("SELECT omni_identity.tenant_lock_exclusive(%s, '100 milliseconds')", (T,))
        assert info.value.sqlstate == "OI035"
        batch.rollback()
        app.commit()
    assert db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'l2'") is not None


def test_automatic_mode_flag_and_distribute(db, app_login):
    """set_flag turns automatic mode on through the application's login, on one node and
    on Citus; on Citus citus_distribute keeps the trigger enabled, and enables it again
    in a database an earlier version distributed with it disabled."""
    with db.connect_as(app_login, tenant=T) as app:
        app.execute("SELECT omni_identity.set_flag(%s, 'auto_resolve', true)", (T,))
    assert db.scalar("SELECT value FROM omni_identity.settings WHERE tenant_id = %s AND key = 'auto_resolve'", T) is True
    assert db.scalar("SELECT tgenabled FROM pg_trigger WHERE tgname = 'omni_sales_auto_resolve'") == "O"
    if _node_of(db, T) is None:
        return
    assert db.scalar("SELECT omni_identity.citus_distribute()") == 0
    db.execute("SET citus.enable_unsafe_triggers = on")
    db.execute("ALTER TABLE public.omni_sales DISABLE TRIGGER omni_sales_auto_resolve")
    assert db.scalar("SELECT omni_identity.citus_distribute()") == 1
    assert db.scalar("SELECT tgenabled FROM pg_trigger WHERE tgname = 'omni_sales_auto_resolve'") == "O"
    assert db.scalar("SELECT omni_identity.citus_distribute()") == 0
    db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email)"
               " VALUES (%s, 's', 'f1', now(), 'ana@x.com')", T)
    assert db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'f1'") is not None


def test_automatic_mode_across_shards_fails_whole(db):
    """On Citus, what Citus commits in two phases is refused as a whole at commit when it
    has automatic-mode rows (the batch's temporary tables on the worker cannot take part
    in a two-phase commit): a transaction that also writes on another node, one statement
    that writes two shards (even of one worker), a COPY into omni_sales or an INSERT ...
    SELECT (Citus runs it as a COPY). Nothing is left
    written unclustered. On one node the same writes commit, clustered."""
    db.execute("INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES (%s, 'auto_resolve', 'true')", T)
    insert = ("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email)"
              " VALUES (%s, 's', %s, now(), 'ana@x.com')")
    copy = "COPY public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email) FROM STDIN"
    # Citus runs an INSERT ... SELECT that it cannot push down to one shard as a COPY.
    select_two = ("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email)"
                  " SELECT %s, 's', 'is' || g, now(), 'ana@x.com' FROM generate_series(1, 2) g")

    def copy_two(conn):
        with conn.cursor().copy(copy) as cp:
            cp.write_row((T, "s", "cp1", "2026-01-01", "ana@x.com"))
            cp.write_row((T, "s", "cp2", "2026-01-01", "ana@x.com"))

    near = _node_of(db, T)
    if near is None:
        with db.connect(autocommit=False) as c:
            c.execute(insert, (T, "n1"))
            c.execute(insert, ("far", "n2"))
            c.commit()
            copy_two(c)
            c.commit()
            c.execute(select_two, (T,))
            c.commit()
        assert db.scalar("SELECT count(DISTINCT customer_hash) FROM public.omni_sales"
                         " WHERE tenant_id = %s AND customer_hash IS NOT NULL", T) == 1
        assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE customer_hash IS NULL") == 1   # far's
        return
    others = [f"other{i}" for i in range(64)]
    far = next(t for t in others if _node_of(db, t) != near)
    neighbour = next(t for t in others if _node_of(db, t) == near and _shard_of(db, t) != _shard_of(db, T))
    # Two statements, on two workers; one statement, on two shards of one worker.
    with db.connect(autocommit=False) as c:
        c.execute(insert, (T, "n1"))
        c.execute(insert, (far, "n2"))
        with pytest.raises(psycopg.Error) as exc:
            c.commit()
        assert exc.value.sqlstate == "0A000"
    with db.connect(autocommit=True) as c:
        with pytest.raises(psycopg.Error) as exc:
            c.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email)"
                      " VALUES (%s, 's', 'n3', now(), 'ana@x.com'), (%s, 's', 'n4', now(), 'ana@x.com')",
                      (T, neighbour))
        assert exc.value.sqlstate == "0A000"
    with db.connect(autocommit=True) as c:
        with pytest.raises(psycopg.Error) as exc:
            copy_two(c)
        assert exc.value.sqlstate == "0A000"
        with pytest.raises(psycopg.Error) as exc:
            c.execute(select_two, (T,))
        assert exc.value.sqlstate == "0A000"
    assert db.scalar("SELECT count(*) FROM public.omni_sales") == 0


def test_automatic_mode_refused_on_a_worker_propagating_set(db):
    """citus.propagate_set_commands = 'local' on the workers (what the docs once called
    harmless, and what an ALTER DATABASE ... SET on the coordinator sends them) would make
    the batch's own connections from the worker fail: the trigger refuses it with OI109
    and nothing is written. On one node the setting is only a placeholder and the sale is
    clustered."""
    db.execute("INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES (%s, 'auto_resolve', 'true')", T)
    insert = ("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email)"
              " VALUES (%s, 's', 'w1', now(), 'ana@x.com')")
    on_citus = _node_of(db, T) is not None

    def on_workers(command):
        if on_citus:
            assert db.scalar("SELECT bool_and(success) FROM run_command_on_workers(%s)", command)
        else:
            db.execute(command)

    on_workers(f"ALTER DATABASE {db.name} SET citus.propagate_set_commands = 'local'")
    try:
        with db.connect_as("app", tenant=T) as app:
            if not on_citus:
                app.execute(insert, (T,))
                assert db.scalar("SELECT customer_hash FROM public.omni_sales WHERE external_id = 'w1'") is not None
                return
            with pytest.raises(psycopg.Error) as exc:
                app.execute(insert, (T,))
            assert exc.value.sqlstate == "OI109"
            assert exc.value.diag.message_hint
        assert db.scalar("SELECT count(*) FROM public.omni_sales") == 0
    finally:
        on_workers(f"ALTER DATABASE {db.name} RESET citus.propagate_set_commands")


def test_batch_takes_few_locks(db):
    """A backfill batch of 5,000 sales of 3 tenants holds one advisory lock per tenant and
    a bounded number of relation locks: the lock table never fills with the batch size."""
    db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email, buyer_phone)"
               " SELECT 't' || (g % 3), 's', 'k' || g, now(), 'u' || (g % 1700) || '@x.com',"
               "        '(11) 9' || (87650000 + g % 900)"
               "   FROM generate_series(1, 5000) g")
    with db.connect(autocommit=False) as c:
        assert c.execute("SELECT omni_identity.backfill_customer_hash(NULL, 5000)").fetchone()[0] == 5000
        if citus.enabled():
            # The tenant locks are taken on the nodes holding the tenants' shards
            # (tenant_node_lock), by the backends serving this transaction there: the
            # package's locks are the advisory ones on a bigint key (objsubid 1); Citus
            # takes advisory locks of its own (shard and colocation locks, other objsubid).
            # The bound is per node (shard relations and indexes are locked where they are).
            advisory, total = c.execute(
                "SELECT sum(a), max(n) FROM (SELECT count(*) FILTER (WHERE locktype = 'advisory' AND objsubid = 1) AS a,"
                "                                   count(*) AS n"
                "                              FROM citus_locks WHERE global_pid = citus_backend_gpid()"
                "                             GROUP BY nodeid) l").fetchone()
        else:
            advisory, total = c.execute(
                "SELECT count(*) FILTER (WHERE locktype = 'advisory'), count(*)"
                "  FROM pg_locks WHERE pid = pg_backend_pid()").fetchone()
        c.rollback()
    assert advisory == 3
    assert total < 300


def test_key_lookups_are_index_probes_on_unanalyzed_tables(db):
    """On a never-analyzed database the batch finds keys and sales by index probes, never
    by scanning the tenant's keys or sales (auto_explain of every nested statement)."""
    for table in ("public.omni_sales", "omni_identity.customer_cluster",
                  "omni_identity.customer_cluster_keys"):
        db.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    rows = [sale(i, external_id=f"p{i}", buyer_email=f"p{i % 2500}@x.com",
                 buyer_phone=f"(11) 9{87650000 + i}") for i in range(6000)]
    ingest(db, rows[:5000])
    batch = [("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", (T, json.dumps(rows[5000:]))),
             ("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email)"
              " SELECT %s, 'raw', 'r' || g, now(), 'p' || g || '@x.com' FROM generate_series(1, 300) g", (T,)),
             ("SELECT omni_identity.backfill_customer_hash(%s, 300)", (T,))]
    if citus.enabled():
        # The raw rows (setup for the backfill) before auto_explain is on in the workers:
        # automatic mode's trigger runs on the shard, where auto_explain explaining its
        # delegated lock call fails (Citus 13.2.2, "cache lookup failed for type").
        query, args = batch.pop(1)
        db.execute(query, *args)
    if explain_on_shards(db):
        # On Citus the batch core's statements on the tenant tables run on the shards:
        # their plans, logged on the workers.
        for table in ("public.omni_sales", "omni_identity.customer_cluster_keys"):
            assert set(shard_reltuples(db, table)) == {-1}, table
        with shard_plans(db) as statements:
            with db.connect() as c:
                for query, args in batch:
                    c.execute(query, args)
        scans = [(n["Node Type"], n.get("Relation Name"), n.get("Index Name"), rows_read(n))
                 for s in statements for n in nodes(s["plan"])]
        assert any(index == "customer_cluster_keys_pkey" for _, _, index, _ in scans), scans
        assert not [s for s in scans if s[0] == "Seq Scan"
                    and s[1] in ("customer_cluster_keys", "omni_sales", "customer_cluster")], scans
        # Nor an index range over the tenant: a scan of keys or clusters reads at most
        # about the batch's keys (2,000 here; the tenant has 7,500).
        assert not [s for s in scans if s[1] in ("customer_cluster_keys", "customer_cluster")
                    and s[3] > 4000], scans
        return
    assert db.scalar("SELECT count(*) FROM pg_stats WHERE tablename IN ('omni_sales', 'customer_cluster_keys')") == 0
    plans: list[str] = []
    with db.connect() as c:
        c.add_notice_handler(lambda d: plans.append(d.message_primary or ""))
        c.execute("LOAD 'auto_explain'")
        c.execute("SET auto_explain.log_min_duration = 0")
        c.execute("SET auto_explain.log_nested_statements = on")
        c.execute("SET client_min_messages = log")
        for query, args in batch:
            c.execute(query, args)
    text = "\n".join(plans)
    assert "customer_cluster_keys_pkey" in text
    assert "Seq Scan on customer_cluster_keys" not in text
    assert "Seq Scan on omni_sales" not in text
    assert "Seq Scan on customer_cluster " not in text and "Seq Scan on customer_cluster\n" not in text


# -- one bad value is one reject, never the batch's error ------------------------------

BOUNDS = {"shop_id": 512, "gateway": 256, "external_id": 1024, "product_id": 1024, "status": 256}


def noise(n: int) -> str:
    """n bytes of ASCII that pglz cannot compress (an index stores a compressible value
    compressed, so repeat('x', n) would fit where a real identifier does not)."""
    return secrets.token_hex(n)[:n]


@pytest.fixture(params=["superuser", "app_login"])
def ingest_as(request, db):
    """ingest_sales as the superuser, or as an application LOGIN role (IN ROLE
    omni_identity_app) naming its tenant with SET LOCAL, one transaction per call."""
    if request.param == "superuser":
        yield lambda rows, tenant=T: ingest(db, rows, tenant)
        return
    login = Login(db, "omni_identity_app")
    conn = login.connect()

    def call(rows, tenant=T):
        with as_tenant(conn, tenant):
            return conn.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)",
                                (tenant, json.dumps(rows))).fetchone()
    yield call
    login.drop()


@pytest.mark.parametrize("column", sorted(BOUNDS))
def test_an_oversized_indexed_value_is_a_reject(db, ingest_as, column):
    """A 3 kB value of an indexed column (btree limit 2,704 bytes: error 54000) is the
    row's reject; the rows around it are kept."""
    rows = [sale(1), sale(2, **{column: noise(3000)}), sale(3)]
    assert ingest_as(rows)[:3] == (2, 0, 1)
    reason = db.scalar("SELECT reason FROM omni_identity.sales_rejects WHERE tenant_id = %s AND row_no = 2", T)
    assert reason == f"{column} is longer than {BOUNDS[column]} bytes"
    assert db.column("SELECT external_id FROM public.omni_sales ORDER BY 1") == ["x1", "x3"]
    # One byte over the bound is a reject too; at the bound the value is kept.
    assert ingest_as([sale(4, **{column: noise(BOUNDS[column] + 1)})])[:3] == (0, 0, 1)
    assert ingest_as([sale(5, **{column: noise(BOUNDS[column])})])[:3] == (1, 0, 0)


def test_every_indexed_value_at_its_bound_fits_every_index(db):
    """The bounds hold together: a 256-byte tenant and every indexed column at its bound,
    incompressible, fit the idempotency key (tenant_id, shop_id, gateway, external_id)
    and every other index; bounds are bytes, so multibyte characters count by bytes."""
    tenant = noise(256)
    row = sale(1, **{c: noise(n) for c, n in BOUNDS.items()})
    assert ingest(db, [row], tenant)[:3] == (1, 0, 0)
    assert ingest(db, [dict(row, status="é" * 129)], tenant)[:3] == (0, 0, 1)   # 258 bytes
    assert ingest(db, [dict(row, status="é" * 128)], tenant)[:3] == (0, 1, 0)   # 256 bytes


def test_amounts_out_of_range_or_not_numbers_are_rejects(db, ingest_as):
    huge = "9" * 16384
    rows = [
        sale(1, amount=huge),                              # 1 integer part of 16,384 digits
        sale(2, amount="0." + huge),                       # 2 16,384 decimals (the cast: 22003): 1.00
        sale(3, amount="-" + huge + "." + huge),           # 3
        sale(4, amount="999999999999.995"),                # 4 rounds to 10^12
        sale(5, amount=12345678901234),                    # 5 a JSON number out of range
        sale(6, amount="NaN"),                             # 6
        sale(7, amount="Infinity"),                        # 7
        sale(8, amount="-Infinity"),                       # 8
        sale(9, amount="999999999999.99"),                 # 9 the largest amount: kept
        sale(10, amount="0.004999"),                       # 10 rounds to 0.00: kept
        sale(11, amount="000000000000000012,345"),         # 11 leading zeros, comma: 12.35
    ]
    assert ingest_as(rows)[:3] == (4, 0, 7)
    rejects = dict(db.rows("SELECT row_no, reason FROM omni_identity.sales_rejects WHERE tenant_id = %s", T))
    assert sorted(rejects) == [1, 3, 4, 5, 6, 7, 8]
    for row_no in (1, 3, 4, 5):
        assert rejects[row_no].startswith("amount is out of range"), rejects[row_no]
    for row_no in (6, 7, 8):
        assert rejects[row_no].startswith("amount is not a number"), rejects[row_no]
    assert {e: float(a) for e, a in db.rows("SELECT external_id, amount FROM public.omni_sales")} == \
        {"x2": 1.0, "x9": 999999999999.99, "x10": 0.0, "x11": 12.35}
    # A JSON number with 16,384 digits (jsonb keeps it exactly) is a reject as well.
    raw = '[{"shop_id": "s1", "external_id": "n", "created_at": "2024-01-01", "amount": 1%s}]' % ("0" * 16383)
    assert db.rows("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", T, raw)[0][:3] == (0, 0, 1)


def test_timestamps_that_roll_over_or_are_implausible_are_rejects(db, ingest_as):
    rows = [
        sale(1, created_at="2016-12-31T23:59:60Z"),        # 1 leap second: not 2017-01-01
        sale(2, created_at="2024-05-01 10:15:60"),         # 2
        sale(3, created_at="2024-05-01T24:00:00"),         # 3 end of day: not the next day
        sale(4, created_at="2024-05-01T10:60:00"),         # 4
        sale(5, created_at="0001-01-01"),                  # 5 absurd years
        sale(6, created_at="1899-12-31T23:59:59Z"),        # 6
        sale(7, created_at="2200-01-01T00:00:00Z"),        # 7
        sale(8, created_at="9999-12-31"),                  # 8
        sale(9, created_at="0000-01-01"),                  # 9 no such year
        sale(10, created_at="2024-05-01T10:00:00+16:00"),  # 10 no such offset
        sale(11, created_at="1900-01-01T00:00:00Z"),       # 11 the first plausible instant
        sale(12, created_at="2199-12-31T23:59:59.999999Z"),  # 12 the last
        sale(13, created_at="2016-12-31T23:59:59.999999Z"),  # 13
    ]
    assert ingest_as(rows)[:3] == (3, 0, 10)
    rejects = dict(db.rows("SELECT row_no, reason FROM omni_identity.sales_rejects WHERE tenant_id = %s", T))
    for row_no in (1, 2, 3, 4, 9, 10):
        assert rejects[row_no].startswith("created_at is not a valid date-time"), rejects[row_no]
    for row_no in (5, 6, 7, 8):
        assert rejects[row_no].startswith("created_at is out of range"), rejects[row_no]
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE created_at >= '2017-01-01' AND created_at < '2017-01-02'") == 0


def test_other_bad_values_are_rejects(db, ingest_as):
    rows = [
        sale(1, currency="REAIS"),                         # 1
        sale(2, status=True),                              # 2 non-string JSON types
        sale(3, external_id=["a"]),                        # 3
        sale(4, product_id={"sku": 1}),                    # 4
        sale(5, shop_id=False),                            # 5
        sale(6, currency="BRL", status="paid", product_id=7, gateway="pix"),   # 6 kept
    ]
    assert ingest_as(rows)[:3] == (1, 0, 5)
    rejects = dict(db.rows("SELECT row_no, reason FROM omni_identity.sales_rejects WHERE tenant_id = %s", T))
    assert rejects[1] == "currency is longer than 3 characters"
    assert "status must be a string or a number, not boolean" in rejects[2]
    assert "external_id must be a string or a number, not array" in rejects[3]
    assert "product_id must be a string or a number, not object" in rejects[4]
    assert "shop_id must be a string or a number, not boolean" in rejects[5]


def test_a_resent_batch_stores_its_rejects_once_and_counts_unchanged_rows(db, ingest_as):
    """Rerun: each distinct bad row of a tenant is stored once (the identity is the tenant
    and the SHA-256 of the raw row, whatever its position); batch_metrics says how many
    rows were resent unchanged and how many rejects were already recorded."""
    bad = sale(9, amount="abc")
    rows = [sale(1), sale(2), bad, sale(4, status=noise(300)), dict(bad)]
    assert ingest_as(rows)[:3] == (2, 0, 3)
    stored = db.rows("SELECT row_no, reason FROM omni_identity.sales_rejects ORDER BY row_no")
    assert [r[0] for r in stored] == [3, 4]        # the same bad row twice: stored once
    # The same rows again, in another order, with one row changed.
    again = [dict(rows[4]), rows[3], dict(rows[1], status="paid"), rows[0], rows[2]]
    assert ingest_as(again)[:3] == (0, 1, 3)
    assert db.rows("SELECT row_no, reason FROM omni_identity.sales_rejects ORDER BY row_no") == stored
    assert ingest_as(rows)[:3] == (0, 1, 3)
    assert db.rows("SELECT rows_in, rows_written, rows_unchanged, rows_rejected, rejects_known"
                   "  FROM omni_identity.batch_metrics ORDER BY batch_id") == [
        (5, 2, 0, 3, 1), (5, 1, 1, 3, 3), (5, 1, 1, 3, 3)]
    # Another tenant's identical bad row is that tenant's own reject.
    assert ingest_as([bad], "ing2")[:3] == (0, 0, 1)
    assert db.scalar("SELECT count(*) FROM omni_identity.sales_rejects") == 3


def test_a_long_tenant_id_is_a_package_error(db):
    assert ingest(db, [sale(1)], "t" * 256)[:3] == (1, 0, 0)
    for tenant in (noise(257), noise(10_000), "é" * 129):
        with pytest.raises(psycopg.Error) as exc:
            ingest(db, [sale(1)], tenant)
        assert exc.value.sqlstate == "OI003"


def test_migration_0085_gives_stored_rejects_their_identity(db):
    """Rejects stored twice before 0085: the first copy of each (tenant, raw row) gets the
    identity, later copies keep NULL, and 0086's unique index builds; a rerun after the
    upgrade does not store the row a third time. Old batches get their rows_unchanged."""
    from yoyo import read_migrations

    from harness import migrate, paths

    ours = ("0085.add-ingest-resend-columns", "0086.index-sales-rejects-raw-sha256")
    with migrate._backend(db.dsn) as backend, backend.lock():
        backend.rollback_migrations(backend.to_rollback(read_migrations(str(paths.MIGRATIONS)).filter(lambda m: m.id in ours)))
    assert db.scalar("SELECT to_regclass('omni_identity.sales_rejects_raw_sha256_key')") is None
    bad, other = json.dumps(sale(1, amount="abc")), json.dumps(sale(2, amount="x"))
    db.execute("INSERT INTO omni_identity.sales_rejects (tenant_id, batch_id, row_no, raw, reason) VALUES"
               " (%s, 9001, 1, %s, 'r'), (%s, 9002, 1, %s, 'r'), (%s, 9002, 2, %s, 'r'), ('ing2', 9003, 1, %s, 'r')",
               T, bad, T, bad, T, other, bad)
    db.execute("INSERT INTO omni_identity.batch_metrics (tenant_id, batch_id, job, rows_in, rows_written,"
               " rows_rejected, started_at, duration) VALUES (%s, 9001, 'ingest', 5, 2, 1, now(), '1 s'),"
               " ('*', 9009, 'reconcile', 5, 5, 0, now(), '1 s')", T)
    assert migrate.migrate(db.dsn)[0] == 2
    assert db.rows("SELECT tenant_id, batch_id, row_no, raw_sha256 IS NOT NULL FROM omni_identity.sales_rejects"
                   " ORDER BY 1, 2, 3") == [("ing", 9001, 1, True), ("ing", 9002, 1, False), ("ing", 9002, 2, True),
                                            ("ing2", 9003, 1, True)]
    assert db.scalar("SELECT indisvalid AND indisunique FROM pg_index"
                     " WHERE indexrelid = 'omni_identity.sales_rejects_raw_sha256_key'::regclass")
    assert db.rows("SELECT batch_id, rows_unchanged FROM omni_identity.batch_metrics ORDER BY 1") == [(9001, 2), (9009, 0)]
    assert ingest(db, [sale(1, amount="abc")])[:3] == (0, 0, 1)
    assert db.scalar("SELECT count(*) FROM omni_identity.sales_rejects WHERE tenant_id = %s", T) == 3


def test_the_timestamp_parser_runs_once_per_row(db):
    """parse_sale_timestamp opens a sub-transaction per call: the validating statement
    must call it at most once per row (fewer when the planner memoizes equal values),
    however many checks read its result (a pulled-up lateral subquery copies the call
    into every reference: 3 calls per row on main, 7 with the range checks)."""
    rows = [sale(i, amount="1.5") for i in range(200)] + [sale(900, created_at="2016-12-31T23:59:60Z")]
    with db.connect(autocommit=False) as c:
        c.execute("SET LOCAL track_functions = 'pl'")
        c.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", (T, json.dumps(rows)))
        calls = c.execute("SELECT pg_stat_get_xact_function_calls("
                          "'omni_identity.parse_sale_timestamp(text)'::regprocedure)").fetchone()[0]
        c.rollback()
    assert 0 < calls <= len(rows)
