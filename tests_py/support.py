"""Small helpers shared by the Python suites."""
from __future__ import annotations

import threading
from typing import Any, Callable

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

# The LOGIN roles the suites connect as, made once per server (roles are cluster-wide) by
# ensure_test_logins: an application login and a job login, created the way the README
# tells a DBA to. "superuser" is the test server's own user.
APP_LOGIN = "oi_test_app"
JOB_LOGIN = "oi_test_job"
LOGINS = {"app": APP_LOGIN, "job": JOB_LOGIN}
_GROUPS = {APP_LOGIN: "omni_identity_app", JOB_LOGIN: "omni_identity_admin"}


def ensure_test_logins(dsn: str) -> None:
    """Create the test logins on the server of `dsn` unless they exist (another session
    may be creating them at the same moment), each a member of exactly its group role."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for login, group in _GROUPS.items():
            conn.execute(f"""
                DO $login$
                BEGIN
                    CREATE ROLE {login} LOGIN IN ROLE {group};
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;   -- made by an earlier or a concurrent session
                END;
                $login$""")
            conn.execute(f"ALTER ROLE {login} LOGIN INHERIT NOSUPERUSER NOBYPASSRLS")
            conn.execute(f"GRANT {group} TO {login}")


def name_tenant(conn: psycopg.Connection, tenant: str | None) -> None:
    """Name the session tenant for the rest of the transaction the way the docs tell
    applications to: on one node the driver's bind-parameter form
    (`set_config('app.current_tenant_id', $1, true)`); on the Citus lab
    (OMNI_IDENTITY_CITUS) a literal `SET LOCAL`, the only form Citus sends on to the
    workers (citus.propagate_set_commands = 'local'; docs/scale-out.md)."""
    from harness import citus

    if citus.enabled():
        conn.execute(sql.SQL("SET LOCAL app.current_tenant_id = {}").format(sql.Literal(tenant or "")))
    else:
        conn.execute("SELECT set_config('app.current_tenant_id', %s, true)", (tenant or "",))


class TenantConnection:
    """A connection that names its tenant in every transaction it opens, transaction-
    locally (`set_config(..., true)` = SET LOCAL), as the README tells applications to:
    in autocommit mode each statement runs in its own transaction with the tenant set;
    otherwise the tenant is set by the first statement of each transaction. Everything
    else is the wrapped psycopg connection's."""

    def __init__(self, conn: psycopg.Connection, tenant: str | None):
        self.conn = conn
        self.tenant = tenant

    def execute(self, query: str, params: Any = None) -> psycopg.Cursor:
        conn = self.conn
        if self.tenant is None or conn.info.transaction_status != TransactionStatus.IDLE:
            return conn.execute(query, params)
        if conn.autocommit:
            with conn.transaction():
                self._name_tenant()
                return conn.execute(query, params)
        self._name_tenant()
        return conn.execute(query, params)

    def _name_tenant(self) -> None:
        name_tenant(self.conn, self.tenant)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    def __enter__(self) -> "TenantConnection":
        self.conn.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.conn.__exit__(*exc)


class Db:
    """One autocommit connection to one test database, with terse query helpers."""

    def __init__(self, dsn: str, name: str):
        self.dsn = dsn
        self.name = name
        self.conn = psycopg.connect(dsn, autocommit=True)

    def connect(self, **kwargs) -> psycopg.Connection:
        """A further connection to the same database (for concurrency tests)."""
        kwargs.setdefault("autocommit", True)
        return psycopg.connect(self.dsn, **kwargs)

    def login_dsn(self, login: str) -> str:
        """This database's DSN as `login`: 'superuser' (the server's user), 'app' or 'job'."""
        if login == "superuser":
            return self.dsn
        parts = conninfo_to_dict(self.dsn)
        parts["user"] = LOGINS[login]
        parts.pop("password", None)   # the test servers trust local connections
        return make_conninfo(**parts)

    def connect_as(self, login: str, tenant: str | None = None, **kwargs):
        """A further connection as `login` (see login_dsn). The superuser's is a plain
        connection, as the suites always used; a login's names `tenant` in each of its
        transactions (TenantConnection; tenant None: none, as for a job)."""
        kwargs.setdefault("autocommit", True)
        conn = psycopg.connect(self.login_dsn(login), **kwargs)
        return conn if login == "superuser" else TenantConnection(conn, tenant)

    def execute(self, query: str, *args: Any) -> None:
        self.conn.execute(query, args or None)

    def scalar(self, query: str, *args: Any) -> Any:
        row = self.conn.execute(query, args or None).fetchone()
        return None if row is None else row[0]

    def rows(self, query: str, *args: Any) -> list[tuple]:
        return self.conn.execute(query, args or None).fetchall()

    def dicts(self, query: str, *args: Any) -> list[dict]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(query, args or None).fetchall()

    def column(self, query: str, *args: Any) -> list[Any]:
        return [r[0] for r in self.rows(query, *args)]

    def close(self) -> None:
        self.conn.close()


def blocked_behind(db: Db, holder: psycopg.Connection, call: Callable[[], Any],
                   wait_events: tuple[str, ...] = ("transactionid", "tuple")):
    """Run `call` in a thread; return (thread, results, errors) once its backend waits on a
    lock held by the transaction of connection `holder` — a wait of one of `wait_events`
    (row locks by default; 'advisory' for the tenant and key locks), observed in
    pg_stat_activity / pg_blocking_pids, never slept on."""
    holder_pid = holder.info.backend_pid
    out: list = []
    errors: list = []

    def run():
        try:
            out.append(call())
        except BaseException as exc:   # reported by the caller
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    blocked = False
    for _ in range(20_000):
        blocked = db.scalar("SELECT count(*) > 0 FROM pg_stat_activity"
                            " WHERE %s = ANY (pg_blocking_pids(pid)) AND wait_event = ANY (%s)",
                            holder_pid, list(wait_events))
        if blocked or not thread.is_alive():
            break
    assert blocked and not out and not errors, f"the call must wait for the open transaction ({errors})"
    return thread, out, errors


def text_columns(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """Every text-like column (text, varchar, char, json, jsonb, and arrays of them) of
    every table of the schema omni_identity and of public.omni_sales, read from the catalog
    — (schema, table, column) — so a table or column added later is scanned too."""
    return conn.execute("""
        SELECT n.nspname, c.relname, a.attname
          FROM pg_catalog.pg_attribute a
          JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
          LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
         WHERE c.relkind IN ('r', 'p')
           AND (n.nspname = 'omni_identity' OR (n.nspname = 'public' AND c.relname = 'omni_sales'))
           AND a.attnum > 0 AND NOT a.attisdropped
           AND coalesce(e.typname, t.typname) IN ('text', 'varchar', 'bpchar', 'json', 'jsonb', 'name')
         ORDER BY 1, 2, 3""").fetchall()


def surface_form_hits(conn: psycopg.Connection, forms: list[str]) -> list[tuple[str, str, int]]:
    """Where any of `forms` (surface forms of a value: as typed, normalized, digits only...)
    occurs, case-insensitively, as a substring of a text-like column (text_columns) of the
    package's tables or omni_sales: [(table, column, rows)], empty when nowhere. Run it as
    a role that sees every row (the superuser: RLS is bypassed)."""
    patterns = ["%" + f.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for f in forms]
    hits = []
    for schema, table, column in text_columns(conn):
        n = conn.execute(
            f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}"::text ILIKE ANY (%s)',
            (patterns,)).fetchone()[0]
        if n:
            hits.append((f"{schema}.{table}", column, n))
    return hits
