"""Which database a command talks to: --dsn, else DATABASE_URL, else the embedded cluster."""
from __future__ import annotations

import os
from urllib.parse import quote

import psycopg
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
    try:
        return psycopg.connect(dsn, **kwargs)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
        raise HarnessError(f"cannot connect to the database: {first}") from None
    except psycopg.ProgrammingError as exc:
        raise HarnessError(f"invalid DSN: {exc}") from None


def yoyo_url(dsn: str) -> str:
    """yoyo wants a URL with the psycopg 3 driver; accept any libpq DSN form."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise HarnessError(f"invalid DSN: {exc}") from None
    user = quote(parts.pop("user", "") or "", safe="")
    password = parts.pop("password", None)
    host = parts.pop("host", "") or ""
    port = parts.pop("port", "") or ""
    dbname = quote(parts.pop("dbname", "") or "", safe="")
    auth = user + (":" + quote(password, safe="") if password else "")
    netloc = (auth + "@" if auth else "")
    query = {}
    if host.startswith("/"):
        query["host"] = host
    else:
        netloc += host
    if port:
        netloc += f":{port}" if not host.startswith("/") else ""
        if host.startswith("/"):
            query["port"] = port
    query.update({k: str(v) for k, v in parts.items()})
    qs = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return f"postgresql+psycopg://{netloc}/{dbname}" + (f"?{qs}" if qs else "")
