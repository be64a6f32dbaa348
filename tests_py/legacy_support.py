"""A legacy public.omni_sales as an older system left it (no tenant_id, no customer_hash,
PRIMARY KEY (id)), owned by that system's LOGIN role, and its application: a writer that
keeps inserting, updating and reading exactly as it always did. Shared by
tests_py/test_legacy_install.py and bench/legacy/run.py."""
from __future__ import annotations

import threading
import time
import uuid

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

LEGACY_TABLE = """
CREATE TABLE public.omni_sales (
    id bigserial PRIMARY KEY,
    shop_id text NOT NULL,
    gateway text NOT NULL DEFAULT '',
    external_id text NOT NULL,
    buyer_email text, buyer_phone text, buyer_name text, buyer_document text,
    product_id text, status text, amount numeric(14,2), currency char(3),
    created_at timestamptz NOT NULL
)"""
LEGACY_ROWS = """
INSERT INTO public.omni_sales (shop_id, external_id, buyer_email, status, amount, currency, created_at)
SELECT 'shop-' || (g % 50), 'ext-' || g, 'buyer' || (g % 100000) || '@loja.com.br', 'paid', g % 1000, 'BRL',
       now() - g * interval '1 minute'
  FROM generate_series(1, {rows}) g"""


def role_dsn(dsn: str, role: str) -> str:
    parts = conninfo_to_dict(dsn)
    parts["user"] = role
    parts.pop("password", None)
    return make_conninfo(**parts)


def create_legacy(admin: psycopg.Connection, dsn: str, rows: int, grant_package_role: bool = True) -> str:
    """The legacy LOGIN role and its table with `rows` rows; returns the role's name. As the
    README asks, the role is made a member of omni_identity_admin before installing."""
    role = f"oi_legacy_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE ROLE "{role}" LOGIN')
    admin.execute(f'GRANT CREATE ON SCHEMA public TO "{role}"')
    if grant_package_role:
        if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'omni_identity_admin'").fetchone():
            admin.execute("CREATE ROLE omni_identity_admin NOLOGIN")
        admin.execute(f'GRANT omni_identity_admin TO "{role}"')
    with psycopg.connect(role_dsn(dsn, role), autocommit=True) as conn:
        conn.execute(LEGACY_TABLE)
        conn.execute(LEGACY_ROWS.format(rows=int(rows)))
        conn.execute("ANALYZE public.omni_sales")
    return role


class LegacyWriter(threading.Thread):
    """The legacy application's writes, unchanged: INSERT without tenant_id, then UPDATE and
    SELECT the row by id, in a loop, each statement in its own transaction. Records every
    error and, per INSERT, when it started and how long it took."""

    def __init__(self, dsn: str, role: str, update_and_read: bool = True):
        super().__init__(daemon=True)
        self.conn = psycopg.connect(role_dsn(dsn, role), autocommit=True)
        self.pid = self.conn.info.backend_pid
        self.update_and_read = update_and_read
        self.stop = threading.Event()
        self.progress = threading.Condition()
        self.done = 0
        self.errors: list[BaseException] = []
        self.latencies: list[tuple[float, float]] = []   # (start, seconds) per INSERT

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                start = time.monotonic()
                sale_id = self.conn.execute(
                    "INSERT INTO public.omni_sales (shop_id, external_id, buyer_email, amount, currency, created_at)"
                    " VALUES ('shop-legacy', %s, %s, 10.50, 'BRL', now()) RETURNING id",
                    (f"legacy-{self.pid}-{n}", f"w{n}@loja.com.br")).fetchone()[0]
                self.latencies.append((start, time.monotonic() - start))
                if self.update_and_read:
                    self.conn.execute("UPDATE public.omni_sales SET status = 'shipped' WHERE id = %s", (sale_id,))
                    status = self.conn.execute("SELECT status FROM public.omni_sales WHERE id = %s",
                                               (sale_id,)).fetchone()
                    assert status == ("shipped",), f"the legacy app cannot read back sale {sale_id}: {status}"
            except BaseException as exc:   # the test reports them
                self.errors.append(exc)
            with self.progress:
                self.done += 1
                self.progress.notify_all()

    def wait_for(self, count: int, timeout: float = 60.0) -> bool:
        with self.progress:
            return self.progress.wait_for(lambda: self.done >= count, timeout)

    def finish(self) -> None:
        self.stop.set()
        self.join()
        self.conn.close()
