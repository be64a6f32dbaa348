"""Which database a command talks to: --dsn, else DATABASE_URL, else the embedded cluster."""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from harness.errors import HarnessError


def resolve_dsn(explicit: str | None) -> str:
    if explicit:
        return explicit
    env = os.environ.get("DATABASE_URL")
    if env:
        return env
    from harness.embedded import Cluster

    return Cluster().start()


def connect(dsn: str, **kwargs) -> psycopg.Connection:
    # No server-side prepared statements: behind a transaction-pooling PgBouncer the next
    # transaction may run on another server connection (where the statement does not
    # exist) and the next client on this one (where psycopg's statement name is taken).
    kwargs.setdefault("prepare_threshold", None)
    try:
        return psycopg.connect(dsn, **kwargs)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
        raise HarnessError(f"cannot connect to the database: {first}") from None
    except psycopg.ProgrammingError as exc:
        raise HarnessError(f"invalid DSN: {exc}") from None


@contextmanager
def tenant_transaction(conn: psycopg.Connection, tenant: str | None) -> Iterator[psycopg.Connection]:
    """One transaction that names its tenant first, transaction-locally: the setting ends
    with the transaction, so a pooled server connection carries no tenant to the next
    client (nor a missing one to the next transaction of this client). None: no tenant
    (a job over every tenant). A literal SET LOCAL, not set_config(..., true): on Citus
    only the SET statement is sent on to the workers, where the statements of the call
    read the tenant (docs/scale-out.md)."""
    with conn.transaction():
        if tenant is not None:
            conn.execute(sql.SQL("SET LOCAL app.current_tenant_id = {}").format(sql.Literal(tenant)))
        yield conn


def yoyo_url(dsn: str) -> str:
    """yoyo wants a URL naming the psycopg 3 driver; it passes the query string to
    psycopg as connection arguments, so every libpq parameter (a socket directory as
    host included) travels there."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise HarnessError(f"invalid DSN: {exc}") from None
    dbname = quote(parts.pop("dbname", "") or "", safe="")
    return f"postgresql+psycopg:///{dbname}?" + urlencode({k: str(v) for k, v in parts.items()})


def as_uri(dsn: str) -> str:
    """A postgresql:// URI for any DSN form (pg_prove passes -d to psql, which needs a URI)."""
    parts = conninfo_to_dict(dsn)
    user = quote(parts.pop("user", "") or "", safe="")
    password = parts.pop("password", None)
    host = parts.pop("host", "") or ""
    port = parts.pop("port", "") or ""
    dbname = quote(parts.pop("dbname", "") or "", safe="")
    auth = user + (":" + quote(password, safe="") if password else "")
    netloc = (auth + "@" if auth else "") + (quote(host, safe="") if host else "") + (f":{port}" if port else "")
    qs = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in parts.items())
    return f"postgresql://{netloc}/{dbname}" + (f"?{qs}" if qs else "")
