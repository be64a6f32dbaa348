"""migrate and rollback as a superuser on a database whose `public` schema another role
may write to (every database before PostgreSQL 15; the legacy app owning public.omni_sales):
no look-alike function, aggregate or operator planted in `public` runs, for every built-in
the install calls (names taken from the SQL the install runs, not from a hand-kept list).
"""
from __future__ import annotations

import inspect
import itertools
import re
import uuid

import psycopg
import psycopg.sql
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from yoyo import internalmigrations
from yoyo.backends import base as yoyo_base

from harness import migrate, paths, testdb
from harness.errors import HarnessError

# Argument types the planted look-alikes take: every type the install's expressions
# produce (catalog columns, regclass/regprocedure casts, plpgsql variables); a look-alike
# whose argument types match a call exactly beats a pg_catalog candidate that needs a
# coercion or a polymorphic / "any" parameter.
TYPES = ["text", "name", "oid", "regclass", "regprocedure", "regnamespace", "regtype", "regrole",
         "integer", "bigint", "smallint", '"char"', "boolean", "uuid", "jsonb", "timestamptz",
         "text[]", "name[]", "oid[]", "smallint[]", "regprocedure[]"]
OPERATOR_TYPES = ["text", "name", "oid", "regclass", "regprocedure", "regnamespace", "regtype",
                  "integer", "bigint", "smallint", '"char"', "boolean", "text[]", "name[]", "oid[]",
                  "smallint[]"]
CALL = re.compile(r'(?<![\w."$])([A-Za-z_][A-Za-z0-9_]*)\s*\(')
OPERATOR = re.compile(r"(?<![-+*/<>=~!@#%^&|`?])([-+*/<>=~!@#%^&|`?]{1,3})(?![-+*/<>=~!@#%^&|`?])")


def install_sql() -> str:
    """Everything the installer runs as SQL: the migrations both ways, the function files
    (SQL-standard bodies are bound when created), grants.sql, the harness and yoyo's own
    bookkeeping statements."""
    texts = [p.read_text() for p in sorted(paths.MIGRATIONS.glob("*.sql"))]
    texts += [p.read_text() for p in migrate.function_files()]
    texts += [inspect.getsource(m) for m in (migrate, testdb, yoyo_base, internalmigrations)]
    texts += [inspect.getsource(m) for m in internalmigrations.schema_versions.values() if m]
    return "\n".join(texts)


def _plant(conn: psycopg.Connection, attacker: str, called: set[str], operators: set[str]) -> int:
    """Create the look-alikes as the attacker; returns how many."""
    statements: list[str] = []
    seen: set[str] = set()

    def body(sig: str, returns: str) -> str:
        # A witness that survives a rollback (nextval), then the escalation itself.
        return (f"LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $b$ BEGIN "
                f"PERFORM pg_catalog.nextval('attacker.ran_seq'); "
                f"INSERT INTO attacker.ran (fn) VALUES ({psycopg.sql.quote(sig)}); "
                f"IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN "
                f"EXECUTE 'ALTER ROLE \"{attacker}\" SUPERUSER'; END IF; "
                f"RETURN NULL; END $b$;")

    overloads = conn.execute(
        """SELECT p.proname, p.prokind, p.pronargs, p.provariadic <> 0,
                  ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t),
                  format_type(p.prorettype, NULL), t.typtype = 'p'
             FROM pg_proc p JOIN pg_type t ON t.oid = p.prorettype
            WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY (%s)
              AND p.prokind IN ('f', 'a')""", (sorted(called),)).fetchall()
    for name, kind, nargs, variadic, args, returns, pseudo_return in overloads:
        returns = "text" if pseudo_return or returns.startswith("any") else returns
        arities = {nargs} | ({nargs - 1, nargs + 1} if variadic else set())
        for arity in arities:
            if arity == 0:
                variants = [()]
            else:
                base = [a if not a.startswith(("any", '"any"')) else "text" for a in args[:arity]]
                base += ["text"] * (arity - len(base))
                variants = [tuple(base)]
                if arity <= 3:
                    for i in range(arity):
                        variants += [tuple(base[:i] + [t] + base[i + 1:]) for t in TYPES]
            for sig in variants:
                key = f"{name}({', '.join(sig)})"
                if key in seen or (kind == "a" and not 1 <= len(sig) <= 2):
                    continue
                seen.add(key)
                if kind == "a":
                    # An aggregate runs its state function per row: that is the witness.
                    sfunc = f"attacker.agg_{len(seen)}"
                    statements.append(f"CREATE FUNCTION {sfunc}(text, {', '.join(sig)}) RETURNS text " + body(key, "text"))
                    statements.append(f"CREATE AGGREGATE public.{name}({', '.join(sig)}) (SFUNC = {sfunc}, STYPE = text)")
                else:
                    statements.append(f"CREATE FUNCTION public.{name}({', '.join(sig)}) RETURNS {returns} " + body(key, returns))
    for op in sorted(operators):
        returns = conn.execute("SELECT CASE WHEN bool_or(oprresult = 'boolean'::regtype) THEN 'boolean' ELSE 'text' END"
                               " FROM pg_operator WHERE oprname = %s AND oprleft <> 0", (op,)).fetchone()[0]
        for i, (left, right) in enumerate(itertools.product(OPERATOR_TYPES, repeat=2)):
            key = f"OPERATOR({left} {op} {right})"
            fn = f"attacker.op_{abs(hash(op)) % 10**6}_{i}"
            statements.append(f"CREATE FUNCTION {fn}({left}, {right}) RETURNS {returns} " + body(key, returns))
            statements.append(f"CREATE OPERATOR public.{op} (LEFTARG = {left}, RIGHTARG = {right}, FUNCTION = {fn})")
    # One round trip: the statements go into a temporary table and a DO block runs them,
    # skipping the signatures PostgreSQL refuses (e.g. an operator it reserves).
    conn.execute("CREATE TEMP TABLE plant (n int, s text)")
    with conn.cursor().copy("COPY plant (n, s) FROM STDIN") as copy:
        for i, s in enumerate(statements):
            copy.write_row((i, s))
    conn.execute("""DO $p$ DECLARE v_s text; BEGIN
                      FOR v_s IN SELECT s FROM pg_temp.plant ORDER BY n LOOP
                        BEGIN EXECUTE v_s; EXCEPTION WHEN others THEN NULL; END;
                      END LOOP; END $p$""")
    return conn.execute("SELECT (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace)"
                        " + (SELECT count(*) FROM pg_operator WHERE oprnamespace = 'public'::regnamespace)").fetchone()[0]


@pytest.fixture
def attacker(empty_db, pg_server):
    """A non-superuser LOGIN role that may create objects in public, as before PG 15."""
    name = f"oi_attacker_{uuid.uuid4().hex[:8]}"
    empty_db.execute(f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB')
    empty_db.execute(f'GRANT CREATE ON SCHEMA public TO "{name}"')
    empty_db.execute(f'CREATE SCHEMA attacker AUTHORIZATION "{name}"')
    parts = conninfo_to_dict(empty_db.dsn)
    parts["user"] = name
    parts.pop("password", None)
    conn = psycopg.connect(make_conninfo(**parts), autocommit=True)
    conn.execute("SET search_path = pg_catalog, pg_temp")
    conn.execute("CREATE SEQUENCE attacker.ran_seq")
    conn.execute("CREATE TABLE attacker.ran (fn text)")
    conn.execute("GRANT USAGE ON SCHEMA attacker TO PUBLIC")
    conn.execute("GRANT INSERT ON attacker.ran TO PUBLIC")
    conn.execute("GRANT USAGE ON SEQUENCE attacker.ran_seq TO PUBLIC")
    yield name, conn
    conn.close()
    empty_db.close()
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{empty_db.name}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_install_sql_names_are_found():
    """The scan sees the calls the issue found (grants.sql's format over a regprocedure)."""
    names = {m.lower() for m in CALL.findall(install_sql())}
    assert {"format", "array_agg", "cardinality", "unnest", "obj_description"} <= names


def test_planted_lookalikes_never_run_during_migrate_and_rollback(empty_db, attacker):
    name, conn = attacker
    # The legacy scenario: the attacker is the legacy application owning public.omni_sales
    # (a member of the package's admin role, as the README asks, so the install may go on).
    empty_db.execute("CREATE ROLE omni_identity_admin NOLOGIN") if not empty_db.scalar(
        "SELECT 1 FROM pg_roles WHERE rolname = 'omni_identity_admin'") else None
    empty_db.execute(f'GRANT omni_identity_admin TO "{name}"')
    conn.execute("CREATE TABLE public.omni_sales (id bigserial PRIMARY KEY, shop_id text NOT NULL,"
                 " gateway text NOT NULL DEFAULT '', external_id text NOT NULL, buyer_email text,"
                 " created_at timestamptz NOT NULL)")
    conn.execute("INSERT INTO public.omni_sales (shop_id, external_id, created_at)"
                 " SELECT 's', 'e' || g, now() FROM generate_series(1, 20) g")

    text = install_sql()
    catalog = {r[0] for r in conn.execute(
        "SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace").fetchall()}
    called = {m.lower() for m in CALL.findall(text)} & catalog
    known_ops = {r[0] for r in conn.execute("SELECT DISTINCT oprname FROM pg_operator").fetchall()}
    operators = {m for m in OPERATOR.findall(text)} & known_ops
    if re.search(r"\bLIKE\b", text):
        operators |= {"~~", "!~~"}
    assert {"format", "array_agg", "cardinality", "obj_description", "unnest"} <= called
    assert {"=", "<>", "||", "~"} <= operators
    planted = _plant(conn, name, called, operators)
    assert planted > 1000

    failed = None
    for step in (migrate.migrate, lambda dsn: migrate.rollback(dsn, all_=True), migrate.migrate):
        try:
            step(empty_db.dsn)
        except HarnessError as exc:   # reported after the witness: what ran matters most
            failed = exc
            break

    if failed is None:
        # grants.sql pins the path itself: immune even when run by hand with public first.
        with psycopg.connect(empty_db.dsn) as conn_by_hand:
            conn_by_hand.execute("SET search_path = public, pg_catalog")
            conn_by_hand.execute((paths.FUNCTIONS / migrate.GRANTS).read_text())

    empty_db.execute("SET search_path = pg_catalog, pg_temp")
    ran = empty_db.scalar("SELECT last_value FROM attacker.ran_seq WHERE is_called")
    names = empty_db.column("SELECT DISTINCT fn FROM attacker.ran ORDER BY 1")
    assert ran is None, f"{ran} calls of look-alikes ran as the installer: {names[:20]}"
    assert failed is None, f"the install failed: {failed}"
    assert empty_db.rows("SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles WHERE rolname = %s",
                         name) == [(False, False, False, False)]
    # Nothing the install created is bound to an object of public (a policy, a default,
    # a SQL-standard function body resolved at creation).
    bound = empty_db.column(
        """SELECT DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid)
             FROM pg_depend d
             LEFT JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
             LEFT JOIN pg_operator o ON d.refclassid = 'pg_operator'::regclass AND o.oid = d.refobjid
            WHERE p.pronamespace = 'public'::regnamespace OR o.oprnamespace = 'public'::regnamespace""")
    assert [b for b in bound if "attacker" not in b and not b.startswith(("function public.", "operator public.", "aggregate public."))] == []


def test_yoyo_table_owned_by_another_role_is_refused(empty_db, attacker):
    """yoyo keeps its tables in public: one created beforehand by another role could carry
    a trigger that runs as the installer on yoyo's INSERT."""
    name, conn = attacker
    conn.execute('CREATE TABLE public.yoyo_lock (locked int DEFAULT 1 PRIMARY KEY, ctime timestamp, pid int NOT NULL)')
    conn.execute("CREATE FUNCTION attacker.trap() RETURNS trigger LANGUAGE plpgsql AS $b$ BEGIN "
                 "PERFORM pg_catalog.nextval('attacker.ran_seq'); RETURN NEW; END $b$")
    conn.execute("CREATE TRIGGER trap BEFORE INSERT ON public.yoyo_lock FOR EACH ROW EXECUTE FUNCTION attacker.trap()")
    with pytest.raises(HarnessError, match="yoyo_lock"):
        migrate.migrate(empty_db.dsn)
    assert empty_db.scalar("SELECT last_value FROM attacker.ran_seq WHERE is_called") is None
