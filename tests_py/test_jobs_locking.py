"""The batch jobs and the live calls of one tenant (issue 11, items 5 and 6), with real
logins: resolves as an application login (IN ROLE omni_identity_app), jobs as a job login
(IN ROLE omni_identity_admin), each on its own connection; every test runs as the
superuser too (fixtures app_login and job_login).

- Lock convoy: an application transaction left idle after a resolve holds the tenant's
  lock shared. A batch (backfill, ingest) must not queue for it exclusively — a queued
  request makes every later resolve of the tenant wait behind it — so new resolves go on,
  and the batch completes once the idle transaction ends.
- Isolation: one tenant's bad data (a blocklist regex that does not compile, stored
  before validation existed) fails that tenant's part of a cross-tenant job only; the
  others are processed, and the CLI exits non-zero naming the tenant.

Every wait is observed in pg_stat_activity / pg_locks or signalled by the job loop, never
slept on."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from harness import citus, cmd_jobs
from tests_py.support import name_tenant

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "harness.cli"]
TENANT = "convoy"
# The backfill job's connections name themselves, so that the test finds them in
# pg_stat_activity whichever login runs them (the superuser's sessions are the test's too).
BACKFILL_APP = "oi_test_backfill"


def job_of(app_login: str) -> str:
    """The job login that goes with an app_login run: the superuser, or the job login."""
    return "superuser" if app_login == "superuser" else "job"


def load_sales(db, tenant: str, n: int) -> None:
    """n raw sales (no customer_hash) of one tenant, 3 sales per e-mail."""
    db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, gateway, external_id, buyer_email, created_at)"
               " SELECT %s, 'shop', '', 'o' || i, 'b' || (i / 3) || '@x.com',"
               "        timestamptz '2024-01-01' + i * interval '1 minute'"
               "   FROM generate_series(1, %s) AS i", tenant, n)


@contextmanager
def idle_after_resolve(db, login: str, tenant: str):
    """An application transaction that resolved a new buyer (so it holds the tenant's lock
    SHARED) and then sits idle, open, until the block ends (then it commits)."""
    conn = db.connect_as(login, tenant, autocommit=False)
    name_tenant(conn, tenant)
    conn.execute("SELECT omni_identity.resolve_customer_cluster(%s, p_email => 'idle@x.com')", (tenant,))
    try:
        yield conn
    finally:
        conn.commit()
        conn.close()


def holds_tenant_lock_shared(db, conn: psycopg.Connection, tenant: str) -> bool:
    key = db.scalar("SELECT omni_identity.tenant_lock_key(%s)", tenant)
    if citus.enabled():
        # On Citus the lock is taken on the node holding the tenant's shards
        # (tenant_node_lock), by the backend serving conn's transaction there.
        gpid = db.scalar("SELECT global_pid FROM citus_stat_activity WHERE nodeid = 1 AND pid = %s",
                         conn.info.backend_pid)
        return db.scalar("SELECT count(*) > 0 FROM citus_locks WHERE global_pid = %s AND locktype = 'advisory'"
                         " AND mode = 'ShareLock' AND granted"
                         " AND ((classid::bigint << 32) | objid::bigint) = %s",
                         gpid, key)
    return db.scalar("SELECT count(*) > 0 FROM pg_locks WHERE pid = %s AND locktype = 'advisory'"
                     " AND mode = 'ShareLock' AND granted"
                     " AND ((classid::bigint << 32) | objid::bigint) = %s",
                     conn.info.backend_pid, key)


def resolve_unblocked(db, conn: psycopg.Connection, tenant: str, email: str) -> None:
    """Run one write-path resolve (a new buyer) and assert, sampling pg_stat_activity and
    pg_locks until it returns, that it never waits on an advisory lock."""
    pid = conn.info.backend_pid
    out: list = []
    errors: list = []

    def call():
        try:
            with conn.transaction():
                name_tenant(conn, tenant)
                out.append(conn.execute("SELECT omni_identity.resolve_customer_cluster(%s, p_email => %s)",
                                        (tenant, email)).fetchone()[0])
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=call)
    t.start()
    while t.is_alive():
        waiting = db.scalar("SELECT count(*) FROM pg_locks l WHERE l.pid = %s AND NOT l.granted", pid)
        assert waiting == 0, "a resolve waits for a lock while the batch job runs (lock convoy)"
    t.join()
    assert not errors, errors
    assert out and out[0] is not None


def job_waits_on_advisory(db) -> bool:
    return db.scalar("SELECT count(*) > 0 FROM pg_stat_activity"
                     " WHERE datname = current_database() AND application_name = %s AND wait_event = 'advisory'",
                     BACKFILL_APP)


class Signalled(cmd_jobs.Backoff):
    """The job loop's backoff, signalling each refused try (the test's sync point)."""
    refused = threading.Event()

    def retry(self, exc):
        Signalled.refused.set()
        super().retry(exc)


def test_backfill_does_not_block_resolves_behind_an_idle_transaction(db, app_login, monkeypatch):
    load_sales(db, TENANT, 300)
    Signalled.refused = threading.Event()
    monkeypatch.setattr(cmd_jobs, "Backoff", Signalled)
    result: list = []
    errors: list = []

    def run_backfill():
        try:
            # Tries only (queue_after None): the batch must never be in the lock's queue.
            dsn = make_conninfo(db.login_dsn(job_of(app_login)), application_name=BACKFILL_APP)
            result.append(cmd_jobs.backfill(dsn, None, 100, queue_after=None))
        except BaseException as exc:
            errors.append(exc)

    with idle_after_resolve(db, app_login, TENANT) as idle:
        assert holds_tenant_lock_shared(db, idle, TENANT)
        bf = threading.Thread(target=run_backfill)
        bf.start()
        # The batch has asked for the tenant's lock and was refused (old code: it waits
        # in the lock queue instead, and this never fires).
        assert Signalled.refused.wait(30), \
            f"the backfill never reported a busy tenant (waiting on advisory: {job_waits_on_advisory(db)})"
        with db.connect_as(app_login, TENANT) as resolver:
            for i in range(5):
                resolve_unblocked(db, resolver, TENANT, f"live{i}@x.com")
                assert not job_waits_on_advisory(db), "the batch queued for the tenant's lock"
        assert bf.is_alive() and not result, "the backfill cannot finish while the idle transaction holds the lock"
    bf.join(120)
    assert not bf.is_alive() and not errors, errors
    assert result == [300]
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE tenant_id = %s AND customer_hash IS NULL",
                     TENANT) == 0


def test_tenant_backfill_refuses_at_once_when_busy(db, app_login):
    load_sales(db, TENANT, 30)
    job = job_of(app_login)
    with idle_after_resolve(db, app_login, TENANT):
        # (statement_timeout: a batch that queued instead would wait for ever.)
        with db.connect_as(job, options="-c statement_timeout=10s") as c:
            with pytest.raises(psycopg.Error) as exc:
                c.execute("SELECT omni_identity.backfill_customer_hash(%s, 100)", (TENANT,))
            assert exc.value.sqlstate == "OI035"
            # Allowed to queue (after refusals, the job loop allows 20 ms): a bounded
            # wait, then the same refusal; meanwhile the idle transaction keeps its lock.
            c.execute("BEGIN")
            c.execute("SELECT set_config('omni_identity.tenant_lock_wait', '50ms', true)")
            with pytest.raises(psycopg.Error) as exc:
                c.execute("SELECT omni_identity.backfill_customer_hash(%s, 100)", (TENANT,))
            assert exc.value.sqlstate == "OI035"
            c.execute("ROLLBACK")
            # The same for any batch writer given no time to wait.
            with pytest.raises(psycopg.Error) as exc:
                c.execute("SELECT omni_identity.tenant_lock_exclusive(%s, interval '20 ms')", (TENANT,))
            assert exc.value.sqlstate == "OI035"
    with db.connect_as(job) as c:
        assert c.execute("SELECT omni_identity.backfill_customer_hash(%s, 100)", (TENANT,)).fetchone()[0] == 30


def test_ingest_retries_without_queueing_behind_an_idle_transaction(db, app_login):
    """ingest_sales (an application call, exclusive) backs off in SQL (pg_sleep) instead
    of queueing: resolves go on meanwhile, and it completes once the lock is free."""
    rows = json.dumps([{"shop_id": "s", "external_id": f"i{i}", "buyer_email": f"i{i}@x.com",
                        "created_at": "2024-05-01T10:00:00Z"} for i in range(20)])
    out: list = []
    errors: list = []
    ingester = db.connect_as(app_login, TENANT)

    def ingest():
        try:
            with ingester.transaction():
                name_tenant(ingester, TENANT)
                out.append(ingester.execute("SELECT inserted FROM omni_identity.ingest_sales(%s, %s::jsonb)",
                                            (TENANT, rows)).fetchone()[0])
        except BaseException as exc:
            errors.append(exc)

    with idle_after_resolve(db, app_login, TENANT):
        t = threading.Thread(target=ingest)
        t.start()
        pid = ingester.info.backend_pid
        seen = None
        while t.is_alive():
            seen = db.scalar("SELECT wait_event FROM pg_stat_activity WHERE pid = %s", pid)
            if seen in ("PgSleep", "advisory"):
                break
        assert seen == "PgSleep", f"ingest_sales must back off, not queue (wait event {seen!r})"
        with db.connect_as(app_login, TENANT) as resolver:
            for i in range(3):
                resolve_unblocked(db, resolver, TENANT, f"during-ingest{i}@x.com")
    t.join(30)
    ingester.close()
    assert not t.is_alive() and not errors, errors
    assert out == [20]


# -- isolation of tenants in the cross-tenant jobs ------------------------------------

def poison(db, tenant: str) -> None:
    """A tenant regex that does not compile, stored the way rows written before the
    validation existed are: as the owner, with the validating trigger not fired (a
    transaction-local session_replication_role, which Citus sends to the nodes holding the
    reference table's copies; Citus refuses ALTER TABLE ... DISABLE TRIGGER there)."""
    with db.connect(autocommit=False) as c:
        c.execute("SET LOCAL session_replication_role = replica")
        c.execute("INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)"
                  " VALUES (%s, 'email', '(', true)", (tenant,))
        c.commit()


def cli(db, login: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(CLI + list(args) + ["--dsn", db.login_dsn(login)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def test_backfill_of_all_tenants_isolates_a_poisoned_tenant(db, job_login):
    load_sales(db, "bad", 120)
    load_sales(db, "good", 400)
    load_sales(db, "zgood", 50)   # after the bad tenant in (tenant_id, id) order
    poison(db, "bad")

    run = cli(db, job_login, "backfill", "--batch-size", "100")
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "'bad'" in run.stderr and "2201B" in run.stderr
    assert "good" not in run.stderr.replace("zgood", "")
    for tenant in ("good", "zgood"):
        assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE tenant_id = %s AND customer_hash IS NULL",
                         tenant) == 0, f"tenant {tenant} must be clustered completely"
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE tenant_id = 'bad' AND customer_hash IS NOT NULL") == 0
    failures = db.rows("SELECT tenant_id, error, rows_in FROM omni_identity.batch_metrics"
                       " WHERE job = 'backfill' AND error IS NOT NULL")
    assert failures and {t for t, _, _ in failures} == {"bad"} and all(e.startswith("2201B") for _, e, _ in failures)
    # The bad tenant's first batch (its first 100 sales) failed, then the run skipped it;
    # the batches' own rows count what the other tenants' parts wrote.
    assert [n for _, _, n in failures] == [100]
    assert db.scalar("SELECT sum(rows_written) FROM omni_identity.batch_metrics"
                     " WHERE job = 'backfill' AND tenant_id = '*'") == 450
    # The run ended: the next one tries the tenant again (and reports it again).
    assert db.scalar("SELECT count(*) FROM omni_identity.job_tenant_skip") == 0
    again = cli(db, job_login, "backfill")
    assert again.returncode == 1 and "'bad'" in again.stderr

    # Fixed, the tenant is backfilled like the others.
    db.execute("DELETE FROM omni_identity.key_blocklist WHERE tenant_id = 'bad'")
    fixed = cli(db, job_login, "backfill")
    assert fixed.returncode == 0, fixed.stderr
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE customer_hash IS NULL") == 0


def test_reconcile_isolates_a_failing_tenant(db, job_login):
    # Two tenants with pending merges: sales of two clusters each, then a resolve joins them.
    for tenant in ("bad", "good"):
        db.execute("SELECT set_config('app.current_tenant_id', %s, false)", tenant)
        db.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", tenant, json.dumps(
            [{"shop_id": "s", "external_id": f"{tenant}{i}", "buyer_email": f"{i}@{tenant}.com",
              "buyer_phone": f"+55 11 98765-{i:04d}", "created_at": "2024-05-01T10:00:00Z"}
             for i in range(6)]))
        for i in range(0, 6, 2):
            db.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s)",
                       tenant, f"{i}@{tenant}.com", f"+55 11 98765-{i + 1:04d}")
    db.execute("SELECT set_config('app.current_tenant_id', '', false)")
    pending = dict(db.rows("SELECT tenant_id, count(*) FROM omni_identity.customer_cluster_merges"
                           " WHERE reconciled_at IS NULL GROUP BY 1"))
    assert pending.get("bad") and pending.get("good")
    # Tenant bad's sales cannot be written (a stand-in for any error of that tenant's data).
    db.execute("ALTER TABLE public.omni_sales ADD CONSTRAINT test_bad_frozen CHECK (tenant_id <> 'bad') NOT VALID")

    run = cli(db, job_login, "reconcile", "--batch-size", "2")
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "'bad'" in run.stderr and "23514" in run.stderr
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges"
                     " WHERE tenant_id = 'good' AND reconciled_at IS NULL") == 0
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges"
                     " WHERE tenant_id = 'bad' AND reconciled_at IS NULL") == pending["bad"]
    # The first batch claimed two of bad's merges and failed; the run then left bad out. The
    # batches' own rows count as reconciled only the merges of the parts that committed.
    assert db.rows("SELECT rows_in FROM omni_identity.batch_metrics"
                   " WHERE job = 'reconcile' AND tenant_id = 'bad' AND error LIKE '23514:%%'") == [(2,)]
    assert db.scalar("SELECT sum(merges) FROM omni_identity.batch_metrics"
                     " WHERE job = 'reconcile' AND tenant_id = '*'") == pending["good"]
    assert db.scalar("SELECT count(*) FROM omni_identity.job_tenant_skip") == 0
