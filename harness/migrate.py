"""Apply the package to a database: yoyo migrations, then every function, then grants.

yoyo's post-apply hook only runs when a migration is pending, so the function files
(one ``CREATE OR REPLACE`` per file) are re-applied here on every migrate. They are
applied in one transaction with ``check_function_bodies`` off, in path order, so a
function may call one defined in a later file; ``functions/grants.sql`` comes last.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import psycopg
from yoyo import get_backend, read_migrations
from yoyo.exceptions import LockTimeout

from harness import paths
from harness.dsn import connect, yoyo_url
from harness.errors import HarnessError

GRANTS = "grants.sql"


def function_files(root: Path | None = None) -> list[Path]:
    root = root or paths.FUNCTIONS
    files = sorted(p for p in root.rglob("*.sql") if p.name != GRANTS)
    grants = root / GRANTS
    return files + ([grants] if grants.exists() else [])


@contextmanager
def _backend(dsn: str):
    """yoyo's backend, its connection closed afterwards (a template database must have none)."""
    try:
        backend = get_backend(yoyo_url(dsn))
    except psycopg.OperationalError as exc:
        raise HarnessError(f"cannot connect to the database: {_first_line(exc)}") from None
    try:
        yield backend
    finally:
        backend.connection.close()


def apply_functions(dsn: str) -> int:
    files = function_files()
    with connect(dsn) as conn:
        conn.execute("SET LOCAL check_function_bodies = off")
        # Serialise concurrent migrates of one database (tests clone templates in parallel).
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('omni_identity.apply_functions'))")
        for path in files:
            try:
                conn.execute(path.read_text())
            except psycopg.Error as exc:
                raise HarnessError(f"{path.relative_to(paths.ROOT)}: {_first_line(exc)}") from None
    return len(files)


def migrate(dsn: str) -> tuple[int, int]:
    """Returns (migrations applied, function files applied)."""
    migrations = read_migrations(str(paths.MIGRATIONS))
    try:
        with _backend(dsn) as backend, backend.lock():
            pending = backend.to_apply(migrations)
            try:
                backend.apply_migrations(pending)
            except psycopg.Error as exc:
                raise HarnessError(f"migration failed: {_first_line(exc)}") from None
    except LockTimeout:
        raise HarnessError("another migrate holds yoyo's lock on this database") from None
    return len(pending), apply_functions(dsn)


def rollback(dsn: str, all_: bool = False) -> int:
    migrations = read_migrations(str(paths.MIGRATIONS))
    with _backend(dsn) as backend, backend.lock():
        applied = backend.to_rollback(migrations)
        if not all_:
            applied = applied[:1]
        try:
            backend.rollback_migrations(applied)
        except psycopg.Error as exc:
            raise HarnessError(f"rollback failed: {_first_line(exc)}") from None
    return len(applied)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
