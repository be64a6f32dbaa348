"""Small helpers shared by the Python suites."""
from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row


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
