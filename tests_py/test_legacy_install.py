"""Installing over a live legacy public.omni_sales (issue 11, item 8): the legacy
application's unchanged INSERT/UPDATE/SELECT keep working during and after migrate and
rollback --all; migrate never waits in the lock queue behind a long reader while the
writer queues behind it; a failed migrate resumes; foreign keys and legacy roles outside
the package roles are refused before anything is applied. Behaviour only: the stalls
themselves are measured by bench/legacy/run.py (BENCHMARKS.md)."""
from __future__ import annotations

import threading

import psycopg
import pytest

import re

from harness import citus, migrate
from harness.errors import HarnessError
from tests_py.legacy_support import LegacyWriter, create_legacy, role_dsn

ROWS = 20_000


@pytest.fixture
def legacy(empty_db, pg_server):
    role = create_legacy(empty_db.conn, empty_db.dsn, ROWS)
    yield role
    empty_db.close()
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{empty_db.name}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def _in_thread(fn, *args):
    out: list = []

    def run():
        try:
            out.append(fn(*args))
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _waits_behind(db, holder_pid: int, thread: threading.Thread, query_like: str) -> bool:
    """Whether, before `thread` ends, a backend running `query_like` is seen waiting on a lock
    the session `holder_pid` holds (observed in pg_stat_activity, never slept on)."""
    while thread.is_alive():
        if db.scalar("SELECT count(*) > 0 FROM pg_stat_activity WHERE %s = ANY (pg_blocking_pids(pid))"
                     " AND query LIKE %s", holder_pid, query_like):
            return True
    return False


def _pk(db) -> str:
    return db.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                     " WHERE conrelid = 'public.omni_sales'::regclass AND contype = 'p'")


def test_install_and_rollback_beside_a_busy_legacy_application(empty_db, legacy):
    writer = LegacyWriter(empty_db.dsn, legacy)
    writer.start()
    try:
        assert writer.wait_for(20)
        reader = psycopg.connect(role_dsn(empty_db.dsn, legacy))
        reader.execute("SELECT count(*) FROM public.omni_sales")   # a long report: ACCESS SHARE held
        reader_pid = reader.info.backend_pid

        install, result = _in_thread(migrate.migrate, empty_db.dsn)
        # migrate needs ACCESS EXCLUSIVE (0011) and tries for it; the reader holds it off.
        assert _waits_behind(empty_db, reader_pid, install, "%omni_sales%"), f"migrate never waited: {result}"
        # While migrate still waits for the reader, the writer is not stuck behind it.
        seen = writer.done
        assert writer.wait_for(seen + 30), "the legacy writer stalled behind migrate"
        assert install.is_alive(), f"migrate gave up instead of waiting without blocking: {result}"
        reader.commit()                                            # the report ends
        install.join()
        assert not isinstance(result[0], BaseException), result[0]
        assert writer.wait_for(writer.done + 20)
        assert writer.errors == [], writer.errors[:3]

        assert _pk(empty_db) == "PRIMARY KEY (tenant_id, id)"
        assert empty_db.column("SELECT DISTINCT tenant_id FROM public.omni_sales") == ["default"]
        assert empty_db.scalar("SELECT count(*) FROM public.omni_sales WHERE shop_id = 'shop-legacy'"
                               " AND tenant_id <> 'default'") == 0
        invalid = empty_db.column("SELECT indexrelid::regclass::text FROM pg_index"
                                  " WHERE indrelid = 'public.omni_sales'::regclass AND NOT indisvalid")
        assert invalid == []

        if citus.enabled():
            # Distributed by tenant_id: the unique index on (id) became a plain one (built
            # concurrently, on every shard), so the legacy lookups by id stay indexed; the
            # legacy statements go on through the coordinator. rollback --all of a
            # distributed install is not supported (docs/scale-out.md).
            assert empty_db.scalar("SELECT count(*) FROM pg_dist_partition"
                                   " WHERE logicalrelid = 'public.omni_sales'::regclass") == 1
            assert empty_db.column("SELECT pg_get_indexdef(indexrelid) FROM pg_index"
                                   " WHERE indrelid = 'public.omni_sales'::regclass AND indkey::text = %s",
                                   str(empty_db.scalar("SELECT attnum FROM pg_attribute WHERE attrelid ="
                                                       " 'public.omni_sales'::regclass AND attname = 'id'"))) \
                == ["CREATE INDEX omni_sales_id_lookup ON public.omni_sales USING btree (id)"]
            seen = writer.done
            assert writer.wait_for(seen + 20), "the legacy writer stalled on the distributed table"
            writer.finish()
            assert writer.errors == [], writer.errors[:3]
            return
        # The legacy lookups by id keep a unique index on (id), built concurrently; rollback
        # --all makes that same index the primary key again (builds nothing under its lock).
        id_index = empty_db.scalar("SELECT indexrelid FROM pg_index WHERE indrelid = 'public.omni_sales'::regclass"
                                   " AND indisunique AND indisvalid AND indkey::text = %s",
                                   str(empty_db.scalar("SELECT attnum FROM pg_attribute WHERE attrelid ="
                                                       " 'public.omni_sales'::regclass AND attname = 'id'")))
        assert id_index is not None, "no unique index on (id) left for the legacy application"
        reader = psycopg.connect(role_dsn(empty_db.dsn, legacy))
        reader.execute("SELECT count(*) FROM public.omni_sales")
        undo, undone = _in_thread(migrate.rollback, empty_db.dsn, True)
        assert _waits_behind(empty_db, reader.info.backend_pid, undo, "%omni_sales%"), f"rollback never waited: {undone}"
        seen = writer.done
        assert writer.wait_for(seen + 30), "the legacy writer stalled behind rollback"
        reader.commit()
        undo.join()
        assert not isinstance(undone[0], BaseException), undone[0]
        assert writer.wait_for(writer.done + 20)
    finally:
        writer.finish()
    assert writer.errors == [], writer.errors[:3]
    assert _pk(empty_db) == "PRIMARY KEY (id)"
    assert empty_db.scalar("SELECT conindid FROM pg_constraint WHERE conrelid = 'public.omni_sales'::regclass"
                           " AND contype = 'p'") == id_index, "rollback rebuilt the primary key"
    assert empty_db.scalar("SELECT to_regclass('omni_identity.customer_cluster')") is None
    assert empty_db.column("SELECT attname FROM pg_attribute WHERE attrelid = 'public.omni_sales'::regclass"
                           " AND attname IN ('tenant_id', 'customer_hash')") == []
    assert empty_db.scalar("SELECT count(*) FROM public.omni_sales") == ROWS + writer.done - len(writer.errors)


def test_failed_install_resumes(empty_db, legacy, monkeypatch):
    """migrate gives up on a reader that outlasts OMNI_IDENTITY_LOCK_WAIT, with the
    migrations so far applied; the next migrate goes on from there. A concurrent index build
    interrupted half-way (left INVALID) is rebuilt on the next run."""
    writer = LegacyWriter(empty_db.dsn, legacy)
    writer.start()
    try:
        reader = psycopg.connect(role_dsn(empty_db.dsn, legacy))
        reader.execute("SELECT count(*) FROM public.omni_sales")
        monkeypatch.setenv("OMNI_IDENTITY_LOCK_WAIT", "1")
        with pytest.raises(HarnessError, match="lock"):
            migrate.migrate(empty_db.dsn)
        assert empty_db.scalar("SELECT count(*) FROM _yoyo_migration") == 10   # 0001-0010
        reader.commit()

        # Second run: a snapshot older than 0012's index build holds it; cancel the build.
        monkeypatch.setenv("OMNI_IDENTITY_LOCK_WAIT", "600")
        snapshot = psycopg.connect(empty_db.dsn)
        snapshot.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        snapshot.execute("SELECT 1")
        install, result = _in_thread(migrate.migrate, empty_db.dsn)
        assert _waits_behind(empty_db, snapshot.info.backend_pid, install, "CREATE UNIQUE INDEX CONCURRENTLY%")
        empty_db.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
                         " WHERE query LIKE 'CREATE UNIQUE INDEX CONCURRENTLY%%' AND pid <> pg_backend_pid()")
        install.join()
        assert isinstance(result[0], HarnessError), result
        assert empty_db.scalar("SELECT count(*) FROM pg_index WHERE indrelid = 'public.omni_sales'::regclass"
                               " AND NOT indisvalid") == 1
        snapshot.commit()

        migrate.migrate(empty_db.dsn)
        assert writer.wait_for(writer.done + 20)
    finally:
        writer.finish()
    assert writer.errors == [], writer.errors[:3]
    assert _pk(empty_db) == "PRIMARY KEY (tenant_id, id)"
    assert empty_db.scalar("SELECT count(*) FROM pg_index WHERE indrelid = 'public.omni_sales'::regclass"
                           " AND NOT indisvalid") == 0
    assert migrate.migrate(empty_db.dsn)[0] == 0


def test_legacy_foreign_key_is_refused_before_anything_is_applied(empty_db, legacy):
    with psycopg.connect(role_dsn(empty_db.dsn, legacy), autocommit=True) as conn:
        conn.execute("CREATE TABLE public.legacy_refunds (id bigserial PRIMARY KEY,"
                     " sale_id bigint NOT NULL REFERENCES public.omni_sales (id))")
    with pytest.raises(HarnessError, match="legacy_refunds"):
        migrate.migrate(empty_db.dsn)
    assert empty_db.scalar("SELECT to_regnamespace('omni_identity')") is None
    assert empty_db.scalar("SELECT count(*) FROM _yoyo_migration") == 0
    assert _pk(empty_db) == "PRIMARY KEY (id)"


def test_legacy_role_outside_the_package_roles_is_refused(empty_db, pg_server):
    role = create_legacy(empty_db.conn, empty_db.dsn, 100, grant_package_role=False)
    try:
        with pytest.raises(HarnessError, match=role):
            migrate.migrate(empty_db.dsn)
        assert empty_db.scalar("SELECT to_regnamespace('omni_identity')") is None
    finally:
        empty_db.close()
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{empty_db.name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_a_unique_index_not_starting_with_tenant_id_is_refused_on_citus(empty_db, legacy):
    """Citus enforces uniqueness per shard only: a unique index of the DBA's on omni_sales
    that does not start with tenant_id is refused by citus_distribute before anything is
    distributed (OI105), with a HINT naming the statements that replace it by a plain
    index; run as given, migrate then distributes. On one node the index stays as it is."""
    with psycopg.connect(role_dsn(empty_db.dsn, legacy), autocommit=True) as conn:
        conn.execute("ALTER TABLE public.omni_sales ADD CONSTRAINT legacy_external_key UNIQUE (shop_id, external_id)")
    if not citus.enabled():
        migrate.migrate(empty_db.dsn)
        assert empty_db.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                               " WHERE conname = 'legacy_external_key'") == "UNIQUE (shop_id, external_id)"
        return
    with pytest.raises(HarnessError, match="citus_distribute"):
        migrate.migrate(empty_db.dsn)
    with pytest.raises(psycopg.Error) as err:
        empty_db.execute("SELECT omni_identity.citus_distribute()")
    assert err.value.sqlstate == "OI105"
    hint = err.value.diag.message_hint
    assert empty_db.scalar("SELECT count(*) FROM pg_dist_partition") == 0, "something was distributed"

    statements = [x.strip() for x in re.search(r": (CREATE .*;) Then", hint).group(1).split(";") if x.strip()]
    assert [x.split(" ")[0] for x in statements] == ["CREATE", "ALTER"]
    with psycopg.connect(empty_db.dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
    migrate.migrate(empty_db.dsn)
    assert empty_db.scalar("SELECT count(*) FROM pg_dist_partition"
                           " WHERE logicalrelid = 'public.omni_sales'::regclass") == 1
    assert empty_db.scalar("SELECT pg_get_indexdef('public.legacy_external_key_lookup'::regclass)") \
        == "CREATE INDEX legacy_external_key_lookup ON public.omni_sales USING btree (shop_id, external_id)"
