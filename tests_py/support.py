"""Small helpers shared by the Python suites."""
from __future__ import annotations

import threading
from contextlib import contextmanager
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
    pg_stat_activity / pg_blocking_pids, never slept on. On the Citus lab the wait is
    looked for on the workers too, where the tenant's rows and locks live: a backend there
    waiting behind one that serves the holder's distributed transaction (Citus names such
    a backend `citus_internal gpid=<the holder's global pid>`)."""
    holder_pid = holder.info.backend_pid
    workers = citus_workers(db)
    holder_app = None
    if workers:
        holder_app = citus_backend_name(db, holder_pid)
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
    try:
        for _ in range(20_000):
            blocked = db.scalar("SELECT count(*) > 0 FROM pg_stat_activity"
                                " WHERE %s = ANY (pg_blocking_pids(pid)) AND wait_event = ANY (%s)",
                                holder_pid, list(wait_events))
            for w in workers:
                blocked = blocked or w.execute(
                    "SELECT count(*) > 0 FROM pg_stat_activity w"
                    " WHERE w.wait_event = ANY (%s) AND EXISTS (SELECT 1 FROM pg_stat_activity h"
                    "  WHERE h.pid = ANY (pg_blocking_pids(w.pid)) AND h.application_name = %s)",
                    (list(wait_events), holder_app)).fetchone()[0]
            if blocked or not thread.is_alive():
                break
    finally:
        for w in workers:
            w.close()
    assert blocked and not out and not errors, f"the call must wait for the open transaction ({errors})"
    return thread, out, errors


def citus_backend_name(db: Db, pid: int) -> str:
    """The application_name of the workers' backends that serve the transactions of the
    coordinator backend `pid` (Citus's global pid of it)."""
    return "citus_internal gpid=%s" % db.scalar("SELECT citus_calculate_gpid(citus_coordinator_nodeid(), %s)", pid)


def advisory_locks(db: Db, conn: psycopg.Connection) -> list[tuple[int, str, str]]:
    """The advisory locks the open transaction of `conn` holds, wherever they are:
    [(key, mode, node)], node 'here' for the server `conn` is connected to and 'worker'
    for a worker's backend serving that transaction on the Citus lab."""
    query = ("SELECT (l.classid::bigint << 32) | l.objid::bigint, l.mode FROM pg_locks l"
             " JOIN pg_stat_activity a ON a.pid = l.pid"
             # objsubid 1: a lock taken by a bigint key (Citus's own shard and
             # transaction locks are advisory locks too, with other objsubids).
             " WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND {} ORDER BY 1, 2")
    pid = conn.info.backend_pid
    held = [(k, m, "here") for k, m in db.rows(query.format("a.pid = %s"), pid)]
    workers = citus_workers(db)
    if workers:
        name = citus_backend_name(db, pid)
        for w in workers:
            held += [(k, m, "worker") for k, m in w.execute(query.format("a.application_name = %s"), (name,)).fetchall()]
            w.close()
    return held


def citus_workers(db: Db) -> list[psycopg.Connection]:
    """Autocommit connections to the workers' copies of `db` on the Citus lab (the nodes
    that hold the shards); none on one node."""
    from harness import citus

    if not citus.enabled():
        return []
    return [psycopg.connect(citus.with_db(dsn, db.name), autocommit=True)
            for dsn in citus.node_servers(db.dsn)[1:]]


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


# -- plans of the statements that run on the shards -------------------------------------

_AUTO_EXPLAIN = {
    "session_preload_libraries": "auto_explain",
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_level": "log",
    "auto_explain.log_format": "json",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "off",
}
_LOG = "current_setting('data_directory') || '/../server.log'"   # harness/embedded.py logfile


def explain_on_shards(db: Db) -> bool:
    """On the Citus lab: auto_explain (analyzed, with buffers, JSON) in every session
    opened from now on in the workers' copies of `db`, where the statements of a call run
    against the shards, written to the worker's server log (shard_plans reads it back).
    The log, not NOTICEs passed on by Citus: a worker explains a statement when its portal
    closes, which for the last statement of a remote transaction block is at the commit,
    when Citus passes no NOTICE on. Not on the coordinator: there, auto_explain of nested
    statements breaks the delegated lock call (docs/scale-out.md). Nested statements are
    not explained on the workers: Citus sends plain statements to the shards; only the
    delegated lock routine has nested ones (its buffers counted in its call's). Returns
    False on one node (nothing done: the tests load auto_explain in their own session)."""
    from harness import citus

    if not citus.enabled():
        return False
    for w in citus_workers(db):
        with w:
            w.execute("SET citus.enable_ddl_propagation = off")   # this worker's copy only
            for name, value in _AUTO_EXPLAIN.items():
                w.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(db.name), sql.Identifier(name), sql.Literal(value)))
    return True


@contextmanager
def shard_plans(db: Db):
    """Collect the shard plans (explain_on_shards) the workers log while the block runs:
    yields a list, filled when the block ends with {'text', 'plan'} per statement of `db`,
    shard names read as their tables' (unshard). Run what is measured in a connection
    opened after explain_on_shards (Citus's sessions on the workers are per coordinator
    backend, and only new ones have auto_explain)."""
    workers = citus_workers(db)
    for w in workers:
        w.execute("SET auto_explain.log_min_duration = -1")   # not this helper's own statements
    starts = [w.execute(f"SELECT (pg_stat_file({_LOG})).size").fetchone()[0] for w in workers]
    out: list[dict] = []
    try:
        yield out
        for w, start in zip(workers, starts):
            text = w.execute(f"SELECT pg_read_file({_LOG}, %s, (pg_stat_file({_LOG})).size - %s)",
                             (start, start)).fetchone()[0]
            out.extend(_logged_plans(text))
    finally:
        for w in workers:
            w.close()


def _logged_plans(text: str) -> list[dict]:
    import json

    decoder = json.JSONDecoder()
    out = []
    pos = 0
    while (at := text.find("plan:", pos)) >= 0:
        doc, pos = decoder.raw_decode(text, text.index("{", at))
        if "assign_distributed_transaction_id" in doc["Query Text"]:
            continue
        _unshard_nodes(doc["Plan"])
        out.append({"text": doc["Query Text"], "plan": doc["Plan"]})
    return out


def unshard(name: str) -> str:
    """A shard's table or index name as the distributed table's (Citus appends _<shard id>)."""
    import re

    return re.sub(r"_\d{6,}$", "", name)


def unshard_text(text: str) -> str:
    """Plan text with every shard name (…_<shard id>) as its table's or index's name."""
    import re

    return re.sub(r"(\w)_\d{6,}\b", r"\1", text)


def _unshard_nodes(plan: dict) -> None:
    for key in ("Relation Name", "Index Name"):
        if key in plan:
            plan[key] = unshard(plan[key])
    for child in plan.get("Plans", []):
        _unshard_nodes(child)


def shard_reltuples(db: Db, table: str) -> list[float]:
    """reltuples of every shard of distributed `table` (on one node: the table's own)."""
    from harness import citus

    if not citus.enabled():
        return [db.scalar("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", table)]
    return [float(r) for r in db.column(
        "SELECT result FROM run_command_on_shards(%s, $$SELECT reltuples FROM pg_class WHERE oid = '%%s'::regclass$$)",
        table)]


def run_in_own_session(db: Db, query: str, *args: Any) -> Any:
    """Run `query` in a connection of its own and return its first column; on the Citus lab
    return only once the workers' sessions that served it have exited (polled in
    pg_stat_activity): a backend reports its table statistics (tuples updated, HOT) when it
    exits, so the shards' counters then include what `query` did."""
    from harness import citus

    conn = db.connect()
    try:
        name = citus_backend_name(db, conn.info.backend_pid) if citus.enabled() else None
        value = conn.execute(query, args or None).fetchone()[0]
    finally:
        conn.close()
    if name:
        for w in citus_workers(db):
            with w:
                while w.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                                (name,)).fetchone()[0]:
                    pass
    return value


def shard_tuples_updated(db: Db, table: str) -> tuple[int, int]:
    """(tuples updated, of them HOT) of every shard of distributed `table`, summed: the
    counters the workers' backends reported (run_in_own_session waits for them)."""
    rows = db.column("SELECT result FROM run_command_on_shards(%s, $$SELECT pg_stat_get_tuples_updated('%%1$s'::regclass)"
                     " || ',' || pg_stat_get_tuples_hot_updated('%%1$s'::regclass)$$)", table)
    pairs = [tuple(int(x) for x in r.split(",")) for r in rows]
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)
