"""Apply the package to a database: yoyo migrations, then every function, then grants.

yoyo's post-apply hook only runs when a migration is pending, so the function files
(one ``CREATE OR REPLACE`` per file) are re-applied here on every migrate. They are
applied in one transaction with ``check_function_bodies`` off, in path order, so a
function may call one defined in a later file; ``functions/grants.sql`` comes last.

Every session the installer opens (yoyo's, one per migration, and the functions') runs
with ``search_path = pg_catalog, pg_temp``: the installer is usually a superuser, and a
function or operator another role planted in a writable ``public`` (the default before
PostgreSQL 15) would otherwise win the resolution of an unqualified built-in in a
migration, a ``DO`` block or a SQL-standard function body, and run as the superuser.
yoyo's own tables stay in ``public`` (where earlier installs have them), named qualified.

Installing over a live legacy ``public.omni_sales`` (README, "Installing on your own
database"): a migration that needs a table lock on it first takes that lock with
short attempts (``LOCK_ATTEMPT``), backing off in between, so it never waits in the
lock queue behind a long reader while the legacy writers queue behind it; it gives up
after ``OMNI_IDENTITY_LOCK_WAIT`` seconds (the migrations already applied stay, and the
next migrate resumes). Before 0011 runs on a legacy table, its ``tenant_id`` column and
check are added here and the check validated under SHARE UPDATE EXCLUSIVE, so 0011's
``VALIDATE`` finds nothing to scan under its ACCESS EXCLUSIVE lock.
"""
from __future__ import annotations

import os
import random
import re
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
from yoyo import read_migrations
from yoyo.connections import default_migration_table, parse_uri
from yoyo.backends.base import DatabaseBackend
from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.exceptions import LockTimeout

from harness import paths
from harness.dsn import connect, yoyo_url
from harness.errors import HarnessError

GRANTS = "grants.sql"
SEARCH_PATH = "pg_catalog, pg_temp"

# yoyo's bookkeeping tables: in public (yoyo created them in the first schema of the
# installer's search_path, public unless the installer had a schema of its own name;
# such an install keeps its tables where they are).
YOYO_SCHEMA = "public"
YOYO_TABLES = ("_yoyo_log", default_migration_table, "_yoyo_version", "yoyo_lock")

# One attempt to lock public.omni_sales waits at most this long: the longest a legacy
# writer can queue behind the installer's lock request (README, BENCHMARKS.md).
LOCK_ATTEMPT = 0.1
BACKOFF_FIRST, BACKOFF_MAX = 0.05, 2.0
DEFAULT_LOCK_WAIT = 600.0

SALES = "public.omni_sales"
PACKAGE_SALES_COMMENT = "omni-identity: e-commerce sales, clustered by customer_hash"
CREATE_SALES = "0011.create-omni-sales"
ADD_SALES_KEYS = "0014.add-omni-sales-keys"
ENABLE_SALES_RLS = "0031.enable-rls-omni-sales"
# A legacy table keeps a tenant for the rows its application inserts without one
# (migration 0074). 0011 drops the default it added for the existing rows; 0074's text is
# also run inside 0011's own transaction, so no legacy INSERT ever meets the column
# without it, whatever runs (or fails) between 0011 and 0074.
LEGACY_TENANT_DEFAULT = "0074.alter-omni-sales-legacy-tenant-default"
# A legacy table's unique index on (id), built concurrently before 0011: the legacy
# application's lookups by id stay indexed after 0014, and rolling 0014 back makes it
# PRIMARY KEY (id) again instead of running the rollback file's ADD PRIMARY KEY (id), which
# builds the index under ACCESS EXCLUSIVE (reads and writes stall for the whole build).
LEGACY_ID_INDEX = "omni_sales_id_key"
# On Citus, the plain index on (id) that replaces LEGACY_ID_INDEX before distributing.
CITUS_ID_INDEX = "omni_sales_id_lookup"

# Lock a transactional migration needs on public.omni_sales, by its statements.
_NEEDS_ACCESS_EXCLUSIVE = re.compile(
    r"\b(?:ALTER|DROP)\s+TABLE\s+(?:IF\s+EXISTS\s+)?public\.omni_sales\b"
    r"|\bPOLICY\s+(?:IF\s+EXISTS\s+)?\w+\s+ON\s+public\.omni_sales\b"
    r"|\bDROP\s+TRIGGER\b[^;]*\bON\s+public\.omni_sales\b", re.I)
_NEEDS_SHARE_ROW_EXCLUSIVE = re.compile(r"\bCREATE\s+TRIGGER\b[^;]*\bON\s+public\.omni_sales\b", re.I)
_CONCURRENT_INDEX = re.compile(r"\bINDEX\s+CONCURRENTLY\s+IF\s+NOT\s+EXISTS\s+(\w+)\s+ON\s+public\.omni_sales\b", re.I)


# A function whose body must name the collation of its lower() (a COLLATE clause is
# literal) has one file per collation in a directory of this name, <collation>.sql; the
# installer applies the first of COLLATION_PREFERENCE the server has, so every body in
# the database is the text of one file.
COLLATION_VARIANTS = "unicode_lower"
COLLATION_PREFERENCE = ("und-x-icu", "pg_unicode_fast", "default")
_PICK_COLLATION = """
SELECT coalesce((SELECT c.collname::text FROM pg_catalog.pg_collation c
                  WHERE c.collname IN ('und-x-icu', 'pg_unicode_fast')
                    AND c.collnamespace = 'pg_catalog'::regnamespace
                    AND c.collencoding IN (-1, pg_catalog.pg_char_to_encoding('UTF8'))
                  ORDER BY c.collname = 'und-x-icu' DESC LIMIT 1), 'default')
"""


def function_files(root: Path | None = None, collation: str | None = None) -> list[Path]:
    """The files of functions/ in apply order (grants last). With a collation, only that
    collation's file of each COLLATION_VARIANTS directory; without one, all of them."""
    root = root or paths.FUNCTIONS
    files = sorted(p for p in root.rglob("*.sql")
                   if p.name != GRANTS
                   and (collation is None or p.parent.name != COLLATION_VARIANTS
                        or p.name == f"{collation}.sql"))
    grants = root / GRANTS
    return files + ([grants] if grants.exists() else [])


def lock_wait() -> float:
    """Seconds a migration may spend, in short attempts, waiting for a lock on public.omni_sales."""
    raw = os.environ.get("OMNI_IDENTITY_LOCK_WAIT")
    try:
        return float(raw) if raw else DEFAULT_LOCK_WAIT
    except ValueError:
        raise HarnessError(f"OMNI_IDENTITY_LOCK_WAIT must be a number of seconds, not {raw!r}") from None


def _pinned(dsn: str, **kwargs) -> psycopg.Connection:
    conn = connect(dsn, **kwargs)
    conn.execute(f"SET search_path = {SEARCH_PATH}")
    if not kwargs.get("autocommit"):
        conn.commit()
    return conn


def _lock_mode(statements: str) -> str | None:
    code = re.sub(r"--[^\n]*", "", statements)
    if _NEEDS_ACCESS_EXCLUSIVE.search(code):
        return "ACCESS EXCLUSIVE"
    if _NEEDS_SHARE_ROW_EXCLUSIVE.search(code):
        return "SHARE ROW EXCLUSIVE"
    return None


def _take_sales_lock(execute, mode: str, wait: float, what: str) -> None:
    """In the open transaction, lock public.omni_sales in `mode` with attempts of at most
    LOCK_ATTEMPT, rolling back and backing off between them (a waiting lock request
    blocks every later request that conflicts with it, so it must never wait long).
    `execute(sql)` runs one statement on the transaction's connection."""
    deadline = time.monotonic() + wait
    delay = BACKOFF_FIRST
    while True:
        if not execute("SELECT pg_catalog.to_regclass('public.omni_sales') IS NOT NULL").fetchone()[0]:
            return
        execute(f"SET LOCAL lock_timeout = '{int(LOCK_ATTEMPT * 1000)}ms'")
        try:
            execute(f"LOCK TABLE {SALES} IN {mode} MODE")
        except psycopg.errors.LockNotAvailable:
            execute("ROLLBACK")
            if time.monotonic() + delay > deadline:
                holders = execute(
                    "SELECT coalesce(pg_catalog.string_agg(DISTINCT l.pid::text, ', '), 'none left')"
                    "  FROM pg_catalog.pg_locks l WHERE l.relation = 'public.omni_sales'::pg_catalog.regclass"
                    "   AND l.granted AND l.pid <> pg_catalog.pg_backend_pid()").fetchone()[0]
                raise HarnessError(
                    f"{what}: gave up after {wait:g}s waiting for a {mode} lock on {SALES} "
                    f"(held by backend pid {holders}); migrations applied so far stay applied, "
                    "run the command again once those transactions end") from None
            time.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, BACKOFF_MAX)
            execute("BEGIN")
            continue
        execute("SET LOCAL lock_timeout = DEFAULT")
        return


class _Backend(PostgresqlPsycopgBackend):
    """yoyo's psycopg backend with the installer's rules: the pinned search_path on every
    connection (including the one yoyo opens per migration), its tables named in public,
    and per-migration locking of public.omni_sales without queueing. Every statement it
    runs is resolved under that path; built-ins are still written pg_catalog.-qualified."""

    lock_wait = DEFAULT_LOCK_WAIT
    yoyo_schema = YOYO_SCHEMA
    # What the migration run on this connection needs: the lock mode to take on
    # public.omni_sales after BEGIN, and statements to run before its COMMIT.
    _plan: tuple[str | None, list[str]] = (None, [])
    _next_plan: tuple[str | None, list[str]] = (None, [])   # for the next copy()

    def init_connection(self, connection):
        connection.execute(f"SET search_path = {SEARCH_PATH}")
        # Where Citus is loaded: trigger DDL on the distributed and reference tables (a
        # rollback of 0080 drops key_blocklist's trigger), which citus_distribute allows
        # the same way. Nothing on a node without Citus.
        # And one connection per node for the whole transaction, as citus_distribute: a
        # rollback that drops a (distributed) function after a statement on a distributed
        # table is refused in parallel mode.
        connection.execute("SELECT pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', false),"
                           "       pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', false)"
                           " WHERE pg_catalog.current_setting('citus.version', true) IS NOT NULL")

    def quote_identifier(self, s):
        quoted = super().quote_identifier(s)
        if s in YOYO_TABLES or s.startswith("yoyo_tmp_"):
            return f"{super().quote_identifier(self.yoyo_schema)}.{quoted}"
        return quoted

    def list_tables(self, **kwargs):
        return DatabaseBackend.list_tables(self, schema=self.yoyo_schema)

    # The backend yoyo copies for each migration inherits what that migration needs.
    def copy(self):
        other = self.__class__(self.uri, self.migration_table)
        other.lock_wait = self.lock_wait
        other.yoyo_schema = self.yoyo_schema
        other._plan, self._next_plan = self._next_plan, (None, [])
        return other

    def begin(self):
        super().begin()
        mode = self._plan[0]
        if mode:
            _take_sales_lock(lambda q: self.execute(q), mode, self.lock_wait, "migrate")

    def commit(self):
        for statement in self._plan[1]:
            self.execute(statement)
        super().commit()

    def _plan_for(self, migration, direction: str) -> tuple[str | None, list[str]]:
        migration.load()
        if not migration.use_transactions:
            return None, []
        path = migration.path if direction == "apply" else migration.path[:-len(".sql")] + ".rollback.sql"
        mode = _lock_mode(Path(path).read_text())
        after: list[str] = []
        if direction == "apply" and migration.id == CREATE_SALES:
            after.append((paths.MIGRATIONS / f"{LEGACY_TENANT_DEFAULT}.sql").read_text())
        return mode, after

    def apply_one(self, migration, force=False, mark=True):
        if migration.id == CREATE_SALES and _is_legacy(self):
            _prepare_legacy_sales(self)
        self._next_plan = self._plan_for(migration, "apply")
        super().apply_one(migration, force=force, mark=mark)

    def rollback_one(self, migration, force=False):
        if migration.id == ADD_SALES_KEYS and _is_legacy(self):
            _rollback_legacy_keys(self)
            self.log_migration(migration, "rollback")
            with self.transaction():
                self.unmark_one(migration, log=False)
            return
        self._next_plan = self._plan_for(migration, "rollback")
        super().rollback_one(migration, force=force)


def _is_legacy(backend: DatabaseBackend) -> bool:
    """public.omni_sales exists and was not created by this package (an older system's)."""
    return bool(backend.execute(
        "SELECT pg_catalog.to_regclass('public.omni_sales') IS NOT NULL"
        "   AND pg_catalog.obj_description(pg_catalog.to_regclass('public.omni_sales'), 'pg_class')"
        "       IS DISTINCT FROM :comment", {"comment": PACKAGE_SALES_COMMENT}).fetchone()[0])


def _rollback_legacy_keys(backend: _Backend) -> None:
    """0014's rollback over a legacy table, with the same end state as its file
    (PRIMARY KEY (id) named omni_sales_pkey, no idempotency constraint) but the key's
    index built CONCURRENTLY beforehand (at install; here only when an older harness
    installed the table), so the ACCESS EXCLUSIVE lock covers catalog changes only."""
    with backend.copy() as b:
        b.connection.autocommit = True
        _drop_invalid_indexes(lambda q: b.execute(q), [LEGACY_ID_INDEX])
        b.execute(f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {LEGACY_ID_INDEX} ON {SALES} (id)")
        b.execute("BEGIN")
        _take_sales_lock(lambda q: b.execute(q), "ACCESS EXCLUSIVE", backend.lock_wait, "rollback")
        b.execute(f"ALTER TABLE {SALES} DROP CONSTRAINT IF EXISTS omni_sales_idempotency_key")
        b.execute(f"ALTER TABLE {SALES} DROP CONSTRAINT IF EXISTS omni_sales_pkey")
        b.execute(f"ALTER TABLE {SALES} ADD CONSTRAINT omni_sales_pkey PRIMARY KEY USING INDEX {LEGACY_ID_INDEX}")
        b.execute("COMMIT")
        # An install that was distributed replaced LEGACY_ID_INDEX by CITUS_ID_INDEX.
        b.execute(f"DROP INDEX CONCURRENTLY IF EXISTS public.{CITUS_ID_INDEX}")


def _drop_invalid_indexes(execute, names: list[str]) -> None:
    """A CREATE INDEX CONCURRENTLY that failed or was cancelled leaves an INVALID index,
    which its migration's IF NOT EXISTS would then keep: drop it so the rerun builds it."""
    invalid = execute(
        "SELECT pg_catalog.array_agg(c.relname::text) FROM pg_catalog.pg_index i"
        "  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = pg_catalog.to_regclass('public.omni_sales')"
        "   AND NOT i.indisvalid"
        "   AND c.relname::text = ANY ('{" + ",".join(names) + "}'::text[])").fetchone()[0] or []
    for name in invalid:
        execute(f"DROP INDEX CONCURRENTLY IF EXISTS public.{name}")


def _package_index_names() -> list[str]:
    names = {LEGACY_ID_INDEX, CITUS_ID_INDEX}
    for path in paths.MIGRATIONS.glob("*.sql"):
        names.update(_CONCURRENT_INDEX.findall(path.read_text()))
    return sorted(names)


def _yoyo_schema(conn: psycopg.Connection) -> str:
    """Where this database's yoyo tables are: public, or the installer's own schema ("$user",
    first on the default search_path) when an earlier install put them there."""
    found = conn.execute(
        """SELECT pg_catalog.array_agg(DISTINCT n.nspname::text) FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relname::text = %s AND c.relkind = 'r'
              AND n.nspname::text = ANY (ARRAY[%s, current_user::text])""",
        (default_migration_table, YOYO_SCHEMA)).fetchone()[0] or []
    return YOYO_SCHEMA if YOYO_SCHEMA in found or not found else found[0]


def _check_yoyo_tables(conn: psycopg.Connection, schema: str) -> None:
    """yoyo's tables must belong to the installing role or a superuser: a role that owns
    one could attach a trigger to it, which would run as the installer."""
    rows = conn.execute(
        """SELECT c.relname::text, pg_catalog.pg_get_userbyid(c.relowner)
             FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_catalog.pg_roles r ON r.oid = c.relowner
            WHERE n.nspname::text = %s
              AND c.relname::text = ANY (%s::text[])
              AND NOT r.rolsuper AND r.rolname <> current_user""",
        (schema, list(YOYO_TABLES))).fetchall()
    if rows:
        owned = ", ".join(f"{schema}.{t} (owner {o})" for t, o in rows)
        raise HarnessError(f"refusing to migrate: {owned} belongs to another role, which could run code as "
                           "the installer through it; drop it or ALTER ... OWNER TO the installing role")


@contextmanager
def _backend(dsn: str):
    """yoyo's backend, its connection closed afterwards (a template database must have none)."""
    with _pinned(dsn, autocommit=True) as conn:
        schema = _yoyo_schema(conn)
        _check_yoyo_tables(conn, schema)
    try:
        backend = _Backend(parse_uri(yoyo_url(dsn)), default_migration_table)
        backend.yoyo_schema = schema
        backend.init_database()
    except psycopg.OperationalError as exc:
        raise HarnessError(f"cannot connect to the database: {_first_line(exc)}") from None
    backend.lock_wait = lock_wait()
    try:
        yield backend
    finally:
        backend.connection.close()


def apply_functions(dsn: str) -> int:
    with _pinned(dsn) as conn:
        collation = conn.execute(_PICK_COLLATION).fetchone()[0]
        assert collation in COLLATION_PREFERENCE, collation
        files = function_files(collation=collation)
        conn.execute("SET LOCAL check_function_bodies = off")
        # Serialise concurrent migrates of one database (tests clone templates in parallel).
        conn.execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('omni_identity.apply_functions'))")
        for path in files:
            try:
                conn.execute(path.read_text())
            except psycopg.Error as exc:
                raise HarnessError(f"{path.relative_to(paths.ROOT)}: {_first_line(exc)}") from None
    return len(files)


def _refuse_foreign_keys(backend: DatabaseBackend, doing: str) -> None:
    """0014 (and its rollback) replace the primary key of public.omni_sales; a foreign key
    of another table that references it would stop them half-way. Refuse before starting."""
    rows = backend.execute(
        "SELECT c.conname::text, c.conrelid::pg_catalog.regclass::text FROM pg_catalog.pg_constraint c"
        " WHERE c.contype = 'f'"
        "   AND c.confrelid = pg_catalog.to_regclass('public.omni_sales')").fetchall()
    if rows:
        fks = ", ".join(f"{name} on {table}" for name, table in rows)
        raise HarnessError(
            f"refusing to {doing}: foreign keys reference {SALES} ({fks}); its primary key changes "
            "(id) -> (tenant_id, id) on install and back on rollback. Drop them first; after the "
            "install, reference (tenant_id, id) instead. Nothing was applied.")


def _refuse_locked_out_roles(backend: DatabaseBackend) -> None:
    """0031 forces row-level security on public.omni_sales: a legacy role that is neither a
    superuser nor a member of a package role would then read an empty table and fail every
    write. Refuse before starting, naming the roles and the grant."""
    rows = backend.execute(
        """SELECT DISTINCT r.rolname::text
             FROM pg_catalog.pg_class c
             CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
             JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
            WHERE c.oid = pg_catalog.to_regclass('public.omni_sales')
              AND NOT r.rolsuper
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles p
                               WHERE p.rolname::text = ANY ('{omni_identity_admin,omni_identity_app}'::text[])
                                 AND pg_catalog.pg_has_role(r.oid, p.oid, 'MEMBER'))
            ORDER BY 1""").fetchall()
    if rows:
        roles = ", ".join(r[0] for r in rows)
        raise HarnessError(
            f"refusing to migrate: {roles} can use {SALES} but is in no package role; the install "
            "forces row-level security on it, which would leave them an empty table. Run first: "
            "CREATE ROLE omni_identity_admin NOLOGIN (if missing); "
            f"GRANT omni_identity_admin TO {roles}. Nothing was applied.")


def _prepare_legacy_sales(backend: _Backend) -> None:
    """Before 0011 on a legacy table: a unique index on (id) built concurrently, which keeps
    the legacy application's lookups by id indexed once 0014 has replaced PRIMARY KEY (id)
    and becomes that key again on rollback (nothing built under a lock); then tenant_id and
    its check added as 0011 would (catalog only, under a short ACCESS EXCLUSIVE lock), and
    the check validated under SHARE UPDATE EXCLUSIVE, which lets the legacy application read
    and write during the scan. 0011 then finds everything in place: its VALIDATE has nothing
    left to do."""
    with backend.copy() as b:
        b.connection.autocommit = True
        _drop_invalid_indexes(lambda q: b.execute(q), [LEGACY_ID_INDEX])
        b.execute(f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {LEGACY_ID_INDEX} ON {SALES} (id)")
        b.execute("BEGIN")
        _take_sales_lock(lambda q: b.execute(q), "ACCESS EXCLUSIVE", backend.lock_wait, "migrate")
        b.execute(f"ALTER TABLE {SALES} ADD COLUMN IF NOT EXISTS tenant_id text NOT NULL DEFAULT 'default'")
        exists = b.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint"
                           " WHERE conrelid = 'public.omni_sales'::pg_catalog.regclass"
                           "   AND conname = 'omni_sales_tenant_id_check'::name)").fetchone()[0]
        if not exists:
            b.execute(f"ALTER TABLE {SALES} ADD CONSTRAINT omni_sales_tenant_id_check CHECK (tenant_id <> '') NOT VALID")
        b.execute("COMMIT")
        b.execute("BEGIN")
        _take_sales_lock(lambda q: b.execute(q), "SHARE UPDATE EXCLUSIVE", backend.lock_wait, "migrate")
        b.execute(f"ALTER TABLE {SALES} VALIDATE CONSTRAINT omni_sales_tenant_id_check")
        b.execute("COMMIT")


def _preflight(backend: _Backend, ids: set[str], direction: str) -> None:
    if not backend.execute("SELECT pg_catalog.to_regclass('public.omni_sales') IS NOT NULL").fetchone()[0]:
        return
    if ADD_SALES_KEYS in ids:
        _refuse_foreign_keys(backend, direction)
    if direction == "apply" and ENABLE_SALES_RLS in ids and _is_legacy(backend):
        _refuse_locked_out_roles(backend)
    with backend.copy() as b:
        b.connection.autocommit = True
        _drop_invalid_indexes(lambda q: b.execute(q), _package_index_names())


def migrate(dsn: str) -> tuple[int, int]:
    """Returns (migrations applied, function files applied)."""
    migrations = read_migrations(str(paths.MIGRATIONS))
    try:
        with _backend(dsn) as backend, backend.lock():
            pending = backend.to_apply(migrations)
            try:
                _preflight(backend, {m.id for m in pending}, "apply")
                backend.apply_migrations(pending)
            except psycopg.Error as exc:
                raise HarnessError(f"migration failed: {_first_line(exc)}") from None
    except LockTimeout:
        raise HarnessError("another migrate holds yoyo's lock on this database") from None
    applied = apply_functions(dsn)
    distribute_on_citus(dsn)
    return len(pending), applied


def distribute_on_citus(dsn: str) -> bool:
    """On a Citus coordinator (the citus extension installed in the database): distribute
    what is not yet distributed and register the routines a migration added
    (functions/citus/citus_distribute.sql). Nothing on a single node."""
    with _pinned(dsn) as conn:
        if not conn.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension"
                            " WHERE extname = 'citus')").fetchone()[0]:
            return False
        _citus_legacy_id_index(conn)
        try:
            conn.execute("SELECT omni_identity.citus_distribute()")
        except psycopg.Error as exc:
            raise HarnessError(f"citus_distribute failed: {_first_line(exc)}") from None
    return True


def _citus_legacy_id_index(conn: psycopg.Connection) -> None:
    """A legacy table's unique index on (id) (LEGACY_ID_INDEX, made by _prepare_legacy_sales)
    cannot stay on a table distributed by tenant_id: before its first distribution it is
    replaced by a plain index on (id), built CONCURRENTLY (the legacy lookups by id stay
    indexed, on every shard). Nothing is lost: the legacy rows' ids stay unique under the
    primary key (tenant_id, id), all of them being in tenant 'default', and every id is
    drawn from the table's sequence. Any other unique index not starting with tenant_id
    is the DBA's: citus_distribute refuses it (OI105)."""
    found = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
        "  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = pg_catalog.to_regclass('public.omni_sales') AND i.indisunique"
        "   AND c.relname::text = %s)"
        "   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition"
        "                    WHERE logicalrelid = pg_catalog.to_regclass('public.omni_sales'))",
        (LEGACY_ID_INDEX,)).fetchone()[0]
    conn.commit()
    if not found:
        return
    conn.autocommit = True
    try:
        _drop_invalid_indexes(lambda q: conn.execute(q), [CITUS_ID_INDEX])
        conn.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {CITUS_ID_INDEX} ON {SALES} (id)")
        conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS public.{LEGACY_ID_INDEX}")
    except psycopg.Error as exc:
        raise HarnessError(f"replacing {LEGACY_ID_INDEX} on Citus failed: {_first_line(exc)}") from None
    finally:
        conn.autocommit = False


def _undistribute_legacy_on_citus(dsn: str) -> None:
    """rollback --all on a Citus coordinator over a legacy public.omni_sales: the table is
    first brought back to the coordinator (undistribute_table, every row kept), so its
    rollback runs as on one node: PRIMARY KEY (id) and the drop of tenant_id cannot be
    done on a table distributed by tenant_id. The package's own tables are dropped by the
    rollback where they are."""
    with _pinned(dsn, autocommit=True) as conn:
        legacy = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus')"
            "   AND pg_catalog.to_regclass('public.omni_sales') IS NOT NULL"
            "   AND pg_catalog.obj_description(pg_catalog.to_regclass('public.omni_sales'), 'pg_class')"
            "       IS DISTINCT FROM %s", (PACKAGE_SALES_COMMENT,)).fetchone()[0]
        if not legacy or not conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition"
                " WHERE logicalrelid = 'public.omni_sales'::pg_catalog.regclass)").fetchone()[0]:
            return
        try:
            conn.execute("SET citus.enable_unsafe_triggers = on")
            conn.execute("SELECT pg_catalog.undistribute_table('public.omni_sales')")
        except psycopg.Error as exc:
            raise HarnessError(f"undistributing {SALES} failed: {_first_line(exc)}") from None


def rollback(dsn: str, all_: bool = False) -> int:
    migrations = read_migrations(str(paths.MIGRATIONS))
    if all_:
        _undistribute_legacy_on_citus(dsn)
    with _backend(dsn) as backend, backend.lock():
        applied = backend.to_rollback(migrations)
        if not all_:
            applied = applied[:1]
        try:
            _preflight(backend, {m.id for m in applied}, "rollback")
            backend.rollback_migrations(applied)
        except psycopg.Error as exc:
            raise HarnessError(f"rollback failed: {_first_line(exc)}") from None
    return len(applied)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
