"""Small helpers shared by the Python suites."""
from __future__ import annotations

import threading
from typing import Any, Callable

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


def blocked_behind(db: Db, holder: psycopg.Connection, call: Callable[[], Any],
                   wait_events: tuple[str, ...] = ("transactionid", "tuple")):
    """Run `call` in a thread; return (thread, results, errors) once its backend waits on a
    lock held by the transaction of connection `holder` — a wait of one of `wait_events`
    (row locks by default; 'advisory' for the tenant and key locks), observed in
    pg_stat_activity / pg_blocking_pids, never slept on."""
    holder_pid = holder.execute("SELECT pg_backend_pid()").fetchone()[0]
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
