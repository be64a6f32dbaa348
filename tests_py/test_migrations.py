"""Migrations: file names, up -> down -> up, idempotent migrate, an older omni_sales
kept intact, the Citus key rule, and the committed schema snapshot."""
from __future__ import annotations

import re

import pytest

from harness import citus, migrate, paths, snapshot
from tests_py.legacy_support import LEGACY_TABLE

NAME = re.compile(r"^(\d{4})\.(create|add|index|enable|grant|alter|seed|drop)(-[a-z0-9]+)+(\.rollback)?\.sql$")


def forward_migrations() -> list:
    return sorted(p for p in paths.MIGRATIONS.glob("*.sql") if not p.name.endswith(".rollback.sql"))


def test_migration_files_are_named_and_paired():
    files = sorted(paths.MIGRATIONS.iterdir())
    assert files, "no migrations found"
    for f in files:
        assert NAME.match(f.name), f"{f.name} is not NNNN.<verb>-<object>[.rollback].sql"
    forward = forward_migrations()
    ids = [f.name[:4] for f in forward]
    assert len(ids) == len(set(ids)), "two migrations share a number"
    known = {f.stem for f in forward}
    for f in forward:
        assert f.with_name(f.stem + ".rollback.sql").exists(), f"{f.name} has no rollback"
        text = f.read_text()
        deps = re.findall(r"^-- depends:\s*(.+)$", text, re.M)
        if f.name.startswith("0001."):
            continue
        assert deps, f"{f.name} has no '-- depends:' line"
        for dep in deps[0].split():
            assert dep in known, f"{f.name} depends on unknown {dep}"
    for f in paths.MIGRATIONS.glob("*.rollback.sql"):
        assert f.with_name(f.name.replace(".rollback.sql", ".sql")).exists(), f"{f.name} rolls back nothing"


def test_concurrent_indexes_are_alone_and_non_transactional():
    for f in forward_migrations():
        text = f.read_text()
        code = re.sub(r"--[^\n]*", "", text)
        if re.search(r"\bINDEX\s+CONCURRENTLY\b", code):
            assert "-- transactional: false" in text, f"{f.name}: CONCURRENTLY needs '-- transactional: false'"
            statements = [s for s in code.split(";") if s.strip()]
            assert len(statements) == 1, f"{f.name}: a CONCURRENTLY migration holds one statement"


def test_up_down_up(empty_db):
    first = migrate.migrate(empty_db.dsn)
    assert first[0] == len(forward_migrations())
    built = snapshot.dump(empty_db.dsn)
    assert migrate.migrate(empty_db.dsn)[0] == 0, "a second migrate applied something"
    # A table the package created has no tenant default: package rows name their tenant
    # (on Citus, Citus refuses the row first: it has no value to route it by).
    with pytest.raises(Exception, match="tenant_id" if not citus.enabled() else "partition column"):
        empty_db.execute("INSERT INTO public.omni_sales (shop_id, external_id, created_at) VALUES ('s', 'new', now())")

    assert migrate.rollback(empty_db.dsn, all_=True) == len(forward_migrations())
    assert empty_db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'omni_identity'") == 0
    assert empty_db.scalar("SELECT to_regclass('public.omni_sales')") is None

    migrate.migrate(empty_db.dsn)
    assert snapshot.dump(empty_db.dsn) == built


def test_rollback_one_step(empty_db):
    migrate.migrate(empty_db.dsn)
    assert migrate.rollback(empty_db.dsn) == 1
    assert migrate.migrate(empty_db.dsn)[0] == 1


LEGACY = LEGACY_TABLE + """;
CREATE INDEX legacy_buyer_email_idx ON public.omni_sales (buyer_email);
INSERT INTO public.omni_sales (shop_id, external_id, buyer_email, amount, currency, created_at)
SELECT 'shop-' || (g % 7), 'ext-' || g, 'buyer' || g || '@loja.com.br', g, 'BRL', now() - g * interval '1 hour'
  FROM generate_series(1, 500) g;
"""


def test_legacy_omni_sales_is_kept_and_completed(empty_db):
    empty_db.execute(LEGACY)
    before = empty_db.rows("SELECT id, shop_id, external_id, buyer_email, amount FROM public.omni_sales ORDER BY id")
    filenode = empty_db.scalar("SELECT pg_relation_filenode('public.omni_sales')")

    migrate.migrate(empty_db.dsn)

    after = empty_db.rows("SELECT id, shop_id, external_id, buyer_email, amount FROM public.omni_sales ORDER BY id")
    assert after == before, "rows changed"
    if citus.enabled():
        # Distributed: the rows were copied to the shards and the coordinator's local copy
        # truncated (a new filenode by design); the migrations themselves rewrite nothing
        # (the single-node leg checks the filenode).
        assert empty_db.scalar("SELECT count(*) FROM pg_dist_partition"
                               " WHERE logicalrelid = 'public.omni_sales'::regclass") == 1
    else:
        assert empty_db.scalar("SELECT pg_relation_filenode('public.omni_sales')") == filenode, "the table was rewritten"
    assert empty_db.column("SELECT DISTINCT tenant_id FROM public.omni_sales") == ["default"]
    assert empty_db.scalar("SELECT count(*) FROM public.omni_sales WHERE customer_hash IS NOT NULL") == 0
    assert empty_db.scalar("SELECT to_regclass('public.legacy_buyer_email_idx')") is not None
    assert empty_db.scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'public.omni_sales'::regclass AND contype = 'p'"
    ) == "PRIMARY KEY (tenant_id, id)"
    # The legacy application inserts without tenant_id: its rows join the old ones in 'default'.
    assert empty_db.scalar("INSERT INTO public.omni_sales (shop_id, external_id, created_at)"
                           " VALUES ('s', 'new', now()) RETURNING tenant_id") == "default"
    empty_db.execute("DELETE FROM public.omni_sales WHERE external_id = 'new'")
    # A database installed before 0074 (the default dropped by 0011): 0074 gives it back.
    # Not on Citus: such a database got 0074 before it was distributed (Citus refuses DDL
    # on the distribution column, and citus_distribute came long after 0074).
    if not citus.enabled():
        since_0074 = len({p.name.split(".")[0] for p in paths.MIGRATIONS.glob("*.sql")} - {f"{n:04d}" for n in range(74)})
        for _ in range(since_0074):    # the migrations are one chain: the last since_0074 of it
            assert migrate.rollback(empty_db.dsn) == 1
        empty_db.execute("ALTER TABLE public.omni_sales ALTER COLUMN tenant_id DROP DEFAULT")
        assert migrate.migrate(empty_db.dsn)[0] == since_0074
        assert empty_db.scalar("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef JOIN pg_attribute a"
                               " ON a.attrelid = adrelid AND a.attnum = adnum"
                               " WHERE adrelid = 'public.omni_sales'::regclass AND a.attname = 'tenant_id'") == "'default'::text"

    migrate.rollback(empty_db.dsn, all_=True)
    assert empty_db.rows("SELECT id, shop_id, external_id, buyer_email, amount FROM public.omni_sales ORDER BY id") == before
    assert empty_db.scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'public.omni_sales'::regclass AND contype = 'p'"
    ) == "PRIMARY KEY (id)"
    # The legacy table's indexes as they were (on Citus, the plain index on (id) that
    # replaced omni_sales_id_key is gone too).
    assert empty_db.column("SELECT indexrelid::regclass::text FROM pg_index"
                           " WHERE indrelid = 'public.omni_sales'::regclass ORDER BY 1") \
        == ["legacy_buyer_email_idx", "omni_sales_pkey"]


def test_every_key_starts_with_tenant_id(db):
    """Citus rule: every PK and unique constraint of the package leads with tenant_id
    (key_blocklist's global rows, tenant_id NULL, make it a reference table)."""
    offenders = db.rows(
        """
        SELECT c.conrelid::regclass::text, c.conname
          FROM pg_constraint c
          JOIN pg_class t ON t.oid = c.conrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE c.contype IN ('p', 'u')
           AND (n.nspname = 'omni_identity' OR c.conrelid = 'public.omni_sales'::regclass)
           AND (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = c.conkey[1]) <> 'tenant_id'
        """
    )
    assert offenders == []
    tables = db.column(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'omni_identity' AND c.relkind = 'r'
           AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id')
        """
    )
    assert tables == [], "tables without tenant_id"


def test_schema_snapshot_has_not_drifted(pg_server):
    built = snapshot.build_fresh(pg_server)
    committed = snapshot.SNAPSHOT.read_text()
    # On Citus too: citus_distribute changes nothing the snapshot shows (automatic mode's
    # trigger stays enabled, docs/scale-out.md "Automatic mode").
    assert built == committed, (
        "the schema built from migrations/ and functions/ differs from schema.sql; "
        "if the change is intended, run 'make schema-snapshot' and commit the file"
    )
