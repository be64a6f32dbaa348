"""The committed schema snapshot: `pg_dump --schema-only --no-owner` of a fresh build, normalized.

    python -m harness.snapshot            # rewrite schema.sql (make schema-snapshot)

Normalization drops what varies between runs and servers (comments, SET lines,
\\restrict keys, blank runs) and keeps function *signatures and attributes* but not
their bodies: bodies are code, re-applied on every migrate and tested by the suites;
the snapshot guards the schema — tables, constraints, indexes, policies, grants and
the public function contract.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from harness import migrate, paths
from harness.errors import HarnessError

SNAPSHOT = paths.ROOT / "schema.sql"


def pg_dump_for(dsn: str) -> str:
    """A pg_dump at least as new as the server: the embedded cluster's own, else PATH's."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        major = conn.info.server_version // 10000
    candidates = []
    try:
        from harness.embedded import Cluster

        candidates.append(Cluster().binaries().exe("pg_dump"))
    except HarnessError:
        pass
    candidates += [f"/usr/lib/postgresql/{major}/bin/pg_dump", shutil.which("pg_dump") or "pg_dump"]
    for exe in candidates:
        if Path(exe).exists():
            out = subprocess.run([exe, "--version"], capture_output=True, text=True)
            if out.returncode == 0 and int(re.findall(r"(\d+)\.", out.stdout)[0]) >= major:
                return exe
    raise HarnessError(f"no pg_dump for PostgreSQL {major}")


def dump(dsn: str) -> str:
    parts = conninfo_to_dict(dsn)
    exe = pg_dump_for(dsn)
    text = ""
    # pg_dump ignores --schema once --table is given: one run for each.
    for selector in ("--schema=omni_identity", "--table=public.omni_sales"):
        proc = subprocess.run([exe, "--schema-only", "--no-owner", selector, "--dbname", dsn],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise HarnessError(f"pg_dump failed on {parts.get('dbname')}: {proc.stderr.strip()}")
        text += proc.stdout
    return normalize(text)


def normalize(text: str) -> str:
    out: list[str] = []
    closer: str | None = None  # while skipping a body: the text that ends it
    for line in text.splitlines():
        if closer is not None:
            if line.rstrip().endswith(closer):
                closer = None
            continue
        if line.startswith("--") or line.startswith("\\") or line.startswith("SET ") \
                or line.startswith("SELECT pg_catalog.set_config"):
            continue
        opening = re.match(r"\s+AS (\$[A-Za-z_]*\$|')", line)
        if opening:
            out.append("    AS <body>;")
            delimiter = opening.group(1)
            rest = line[opening.end():]
            closer = delimiter + ";"
            if rest.rstrip().endswith(closer):
                closer = None
            continue
        if line.startswith("    RETURN "):  # a SQL-standard body (several lines when a literal has newlines)
            out.append("    RETURN <body>;")
            closer = None if line.rstrip().endswith(";") else ";"
            continue
        if line.strip() == "" and (not out or out[-1] == ""):
            continue
        # pg_dump versions differ in inner spacing (e.g. "FUNCTIONS  TO" in 15, one space in 18).
        out.append(re.sub(r"(?<=\S)  +", " ", line.rstrip()))
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def build_fresh(server: str) -> str:
    """Migrate a new database from zero and return its normalized dump (database dropped)."""
    from harness.testdb import drop, recreate

    name = f"oi_snap_{uuid.uuid4().hex[:10]}"
    dsn = recreate(server, name)
    try:
        migrate.migrate(dsn)
        return dump(dsn)
    finally:
        drop(server, name)   # on every node of the Citus lab too


def main() -> int:
    from harness.testdb import server_dsn

    SNAPSHOT.write_text(build_fresh(server_dsn()))
    print(f"wrote {SNAPSHOT.relative_to(paths.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
