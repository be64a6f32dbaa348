"""Create a fresh test database, migrate it from zero, install pgTAP and the test helpers.

    python -m harness.testdb NAME     # prints the database's DSN

Used by `make test-sql`; the server is $OMNI_IDENTITY_TEST_SERVER (a DSN to any
database of a server we may create databases on), else the embedded cluster.
"""
from __future__ import annotations

import os
import sys

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness import migrate, paths
from harness.dsn import as_uri, connect
from harness.errors import HarnessError


def server_dsn() -> str:
    env = os.environ.get("OMNI_IDENTITY_TEST_SERVER")
    if env:
        return env
    from harness.embedded import Cluster

    cluster = Cluster()
    cluster.start()
    return cluster.dsn("postgres")


def dsn_for(server: str, dbname: str) -> str:
    parts = conninfo_to_dict(server)
    parts["dbname"] = dbname
    return make_conninfo(**parts)


def recreate(server: str, dbname: str, template: str | None = None,
             options: sql.Composable | None = None) -> str:
    """`dbname` dropped and created (a clone of `template`, with CREATE DATABASE `options`).
    Under OMNI_IDENTITY_CITUS (make test-citus) it is made on every node of the Citus lab,
    with the extension and the workers added (harness/citus.py)."""
    from harness import citus

    if citus.enabled():
        return citus.create_database(server, dbname, template, options,
                                     coordinator=citus.coordinator_only() and template is None)
    with connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
        if template:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(dbname), sql.Identifier(template)))
        else:
            stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname))
            conn.execute(stmt + sql.SQL(" ") + options if options is not None else stmt)
    return dsn_for(server, dbname)


def drop(server: str, dbname: str) -> None:
    """DROP DATABASE IF EXISTS ... WITH (FORCE), on every node under OMNI_IDENTITY_CITUS."""
    from harness import citus

    if citus.enabled():
        citus.drop_database(server, dbname)
        return
    with connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def install_test_support(dsn: str) -> None:
    """pgTAP and the helper functions of tests_sql/support/ (schema tests)."""
    with connect(dsn) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgtap")
        for path in sorted((paths.ROOT / "tests_sql" / "support").glob("*.sql")):
            conn.execute(path.read_text())


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m harness.testdb NAME", file=sys.stderr)
        return 2
    try:
        dsn = recreate(server_dsn(), argv[0])
        migrate.migrate(dsn)
        install_test_support(dsn)
    except (HarnessError, psycopg.Error) as exc:
        print(f"omni-identity: error: {exc}", file=sys.stderr)
        return 1
    print(as_uri(dsn))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
