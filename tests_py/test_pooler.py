"""The CLI behind a real PgBouncer in transaction pooling: every transaction names its
tenant with set_config(..., true) and nothing lives in the server session across
transactions, so a client that names no tenant, sharing the same server connection,
sees nothing and can write nothing, and two uploads of two tenants land exactly their
own rows.

The test starts its own pgbouncer (Debian package `pgbouncer`, installed by
harness/setup.sh) on 127.0.0.1, as an unprivileged user when we are root (pgbouncer
refuses root). The CLI runs as an application login (sales, report, upload) and as a job
login (backfill, reconcile), as a DBA would create them."""
from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict

from tests_py.support import citus_workers
from tests_py.test_tenancy import Login

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)


def _pgbouncer() -> str:
    exe = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(exe):
        pytest.fail("pgbouncer is not installed: harness/setup.sh installs the Debian package 'pgbouncer'")
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bouncer:
    """One pgbouncer in front of the test database: transaction pooling, `pool_size`
    server connections per login, trust authentication for the listed logins."""

    def __init__(self, db, users: list[str], pool_size: int):
        server = conninfo_to_dict(db.dsn)
        self.dbname = server["dbname"]
        self.dir = Path(tempfile.mkdtemp(prefix="oi-pgbouncer-"))
        self.port = _free_port()
        (self.dir / "userlist.txt").write_text("".join(f'"{u}" ""\n' for u in users))
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"{self.dbname} = host={server.get('host') or '127.0.0.1'} port={server.get('port') or 5432}"
            f" dbname={self.dbname}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.dir / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {pool_size}\n"
            "min_pool_size = 0\n"
            "reserve_pool_size = 0\n"
            "max_client_conn = 100\n"
            "log_connections = 0\n"
            "log_disconnections = 0\n"
            f"logfile = {self.dir / 'pgbouncer.log'}\n"
            f"pidfile = {self.dir / 'pgbouncer.pid'}\n")
        kwargs: dict = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            for p in (self.dir, *self.dir.iterdir()):
                os.chown(p, user.pw_uid, user.pw_gid)
            kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        os.chmod(self.dir, 0o755)
        self._stderr = open(self.dir / "stderr.txt", "w")   # a file: a full pipe would stall it
        self.proc = subprocess.Popen([_pgbouncer(), str(self.dir / "pgbouncer.ini")], cwd="/",
                                     stdout=subprocess.DEVNULL, stderr=self._stderr, **kwargs)
        deadline = time.monotonic() + 30
        while True:     # wait until it listens (or died)
            if self.proc.poll() is not None:
                raise AssertionError(f"pgbouncer exited: {self.log()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            assert time.monotonic() < deadline, "pgbouncer did not start listening"
            time.sleep(0.02)

    def dsn(self, user: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{self.dbname}"

    def log(self) -> str:
        return "".join(f.read_text() for f in (self.dir / "stderr.txt", self.dir / "pgbouncer.log")
                       if f.exists())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self._stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def logins(db):
    app, job = Login(db, "omni_identity_app"), Login(db, "omni_identity_admin")
    yield app, job
    app.drop()
    job.drop()


def bouncer(request, db, logins, pool_size):
    b = Bouncer(db, [logins[0].name, logins[1].name], pool_size)
    request.addfinalizer(b.stop)
    return b


def cli(*args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen([sys.executable, "-m", "harness.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, f"exit {proc.returncode}: {err}"
    return out


class Spy:
    """A client of the same login through the pooler that names no tenant: whichever
    server connection it gets, no tenant, no package temp table, no prepared statement
    of another client is there, it reads nothing and writes nothing."""

    def __init__(self, dsn: str, application: bool, tenants: list[str]):
        self.conn = psycopg.connect(dsn, autocommit=True, prepare_threshold=None)
        self.application = application
        self.tenants = tenants
        self.checks = 0

    def check(self) -> None:
        c = self.conn
        assert c.execute("SELECT current_setting('app.current_tenant_id', true)").fetchone()[0] in (None, ""), \
            "a tenant named by another client is still set"
        assert c.execute("SELECT count(*) FROM pg_catalog.pg_class c"
                         " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                         " WHERE n.oid = pg_catalog.pg_my_temp_schema() AND c.relname = 'oi_upload'"
                         ).fetchone()[0] == 0, "an upload's staging table outlived its transaction"
        assert c.execute("SELECT count(*) FROM pg_catalog.pg_prepared_statements").fetchone()[0] == 0, \
            "a prepared statement outlived its client"
        if self.application:
            for table in ("public.omni_sales", "omni_identity.customer_cluster",
                          "omni_identity.sales_rejects", "omni_identity.batch_metrics"):
                assert c.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
            for t in self.tenants:
                with pytest.raises(errors.InsufficientPrivilege):
                    c.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at)"
                              " VALUES (%s, 'spy', 'spy', now())", (t,))
                with pytest.raises(psycopg.Error) as refused:
                    c.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)",
                              (t, json.dumps([{"shop_id": "spy", "external_id": "spy",
                                               "created_at": "2024-01-01"}])))
                assert refused.value.sqlstate == "OI002"
        self.checks += 1

    def during(self, procs: list[subprocess.Popen]) -> list[str]:
        """Check in a loop while the CLI processes run, then once more; their stdout."""
        failures: list[BaseException] = []

        def loop():
            try:
                while any(p.poll() is None for p in procs):
                    self.check()
            except BaseException as exc:      # reported by the caller
                failures.append(exc)

        t = threading.Thread(target=loop)
        t.start()
        outs = [finish(p) for p in procs]
        t.join()
        if failures:
            raise failures[0]
        self.check()
        return outs


def seed(db, tenant: str, rows: list[dict]) -> None:
    with db.conn.transaction():
        db.execute("SELECT set_config('app.current_tenant_id', %s, true)", tenant)
        db.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", tenant, json.dumps(rows))


def sales_rows(prefix: str, n: int, start: int = 0) -> list[dict]:
    return [{"shop_id": "s", "external_id": f"{prefix}{i}", "buyer_email": f"c{i % 7}@x.com",
             "amount": "1.00", "created_at": (T0 + timedelta(minutes=i)).isoformat()}
            for i in range(start, start + n)]


def write_csv(path: Path, rows: list[dict], bad_line: int | None = None) -> Path:
    cols = ("shop_id", "external_id", "buyer_email", "amount", "created_at")
    lines = [",".join(cols)] + [",".join(r[c] for c in cols) for r in rows]
    if bad_line is not None:
        lines.insert(bad_line - 1, "s,bad,x@x.com,not-a-number,2024-01-01")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_commands_leave_nothing_on_the_pooled_connection(request, db, logins):
    app, job = logins
    pool = bouncer(request, db, logins, pool_size=1)   # one server connection per login: shared
    seed(db, "pa", sales_rows("pa-", 30))
    seed(db, "pb", sales_rows("pb-", 5))
    app_spy = Spy(pool.dsn(app.name), application=True, tenants=["pa", "pb"])
    job_spy = Spy(pool.dsn(job.name), application=False, tenants=["pa", "pb"])
    app_spy.check()

    out, = app_spy.during([cli("sales", "--tenant", "pa", "--email", "c1@x.com", "--limit", "2",
                                "--format", "json", "--dsn", pool.dsn(app.name))])
    assert [r["external_id"] for r in json.loads(out)["rows"]] == ["pa-29", "pa-22"]
    out, = app_spy.during([cli("report", "--tenant", "pa", "--v1", "--format", "json",
                               "--dsn", pool.dsn(app.name))])
    assert sum(r["orders"] for r in json.loads(out)) == 30
    # Two reports in a row on the same server connection (psycopg prepares a statement
    # executed 5 times; a pooled connection must never keep one for the next client).
    for tenant in ("pb", "pb"):
        out, = app_spy.during([cli("report", "--tenant", tenant, "--v1", "--format", "json",
                                   "--dsn", pool.dsn(app.name))])
        assert sum(r["orders"] for r in json.loads(out)) == 5

    f = write_csv(request.getfixturevalue("tmp_path") / "pa.csv", sales_rows("pa-up-", 40), bad_line=5)
    out, = app_spy.during([cli("upload", str(f), "--tenant", "pa", "--batch-size", "7",
                               "--dsn", pool.dsn(app.name))])
    assert out.splitlines()[-1].startswith(f"{f}: 40 inserted, 0 updated, 0 unchanged, 1 rejected")
    assert "line 5:" in out
    out, = app_spy.during([cli("upload", str(f), "--tenant", "pa", "--batch-size", "7",
                               "--dsn", pool.dsn(app.name))])
    assert out.splitlines()[-1].startswith(f"{f}: 0 inserted, 0 updated, 40 unchanged, 1 rejected (1 already recorded")

    # Jobs: sales without a cluster in two tenants, and merges to reconcile.
    db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, created_at)"
               " SELECT t, 's', 'bf-' || i, 'bf' || i || '@x.com', now() FROM generate_series(1, 12) i,"
               " unnest(ARRAY['pa', 'pb']) t")
    for tenant in ("pa", "pb"):
        job_spy.during([cli("backfill", "--tenant", tenant, "--batch-size", "2",
                            "--dsn", pool.dsn(job.name))])
        app_spy.check()
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE external_id LIKE 'bf-%%'"
                     " AND customer_hash IS NULL") == 0
    with db.conn.transaction():
        db.execute("SELECT set_config('app.current_tenant_id', 'pa', true)")
        for i in range(1, 8):   # bf(i+1)'s cluster gets a phone, bf(i) with it merges them
            for email in (f"bf{i + 1}@x.com", f"bf{i}@x.com"):
                db.execute("SELECT omni_identity.resolve_customer_cluster('pa', %s, %s)",
                           email, "+55 11 98765-%04d" % i)
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE reconciled_at IS NULL") >= 7
    job_spy.during([cli("reconcile", "--batch-size", "1", "--dsn", pool.dsn(job.name))])
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE reconciled_at IS NULL") == 0
    app_spy.check()
    # Every sale still belongs to its own tenant, and the spies wrote nothing.
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE shop_id = 'spy'") == 0
    assert db.rows("SELECT tenant_id, count(*) FROM public.omni_sales GROUP BY 1 ORDER BY 1") == \
        [("pa", 30 + 40 + 12), ("pb", 5 + 12)]


def test_two_concurrent_uploads_land_exactly_their_own_rows(request, db, logins, tmp_path):
    app, _ = logins
    pool = bouncer(request, db, logins, pool_size=2)
    files = {t: write_csv(tmp_path / f"{t}.csv", sales_rows(f"{t}-", 300), bad_line=3 + k)
             for k, t in enumerate(("ua", "ub"))}
    spy = Spy(pool.dsn(app.name), application=True, tenants=list(files))
    # Both uploads start their first batch together: hold both tenants' locks until both
    # wait on them (retrying the refused lock: a back-off sleep; or queued: an advisory
    # wait), so their transactions interleave on the pool's two server connections.
    # On the Citus lab the tenant lock lives on the node holding the tenant's shards
    # (tenant_node_lock, docs/scale-out.md "Locks"): the holder takes it there, in its
    # transaction (closing the connection releases it), and the waits are looked for on
    # every node.
    workers = citus_workers(db)
    holder = db.connect(autocommit=not workers)
    for t in files:
        key = db.scalar("SELECT omni_identity.tenant_lock_key(%s)", t)
        if workers:
            holder.execute("SELECT l FROM omni_identity.tenant_node_lock(%s, %s, false, '-1 second') AS l", (t, key))
        else:
            holder.execute("SELECT pg_advisory_lock(%s)", (key,))
    procs = [cli("upload", str(f), "--tenant", t, "--batch-size", "10", "--dsn", pool.dsn(app.name))
             for t, f in files.items()]
    deadline = time.monotonic() + 120
    waiting = ("SELECT count(*) FROM pg_stat_activity WHERE usename = %s"
               " AND wait_event IN ('advisory', 'PgSleep')")
    while db.scalar(waiting, app.name) + sum(w.execute(waiting, (app.name,)).fetchone()[0] for w in workers) < 2:
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert time.monotonic() < deadline, "the uploads never reached the tenant lock"
    holder.close()
    for w in workers:
        w.close()
    outs = spy.during(procs)
    for (t, f), out, k in zip(files.items(), outs, (3, 4)):
        assert out.splitlines()[-1].startswith(f"{f}: 300 inserted, 0 updated, 0 unchanged, 1 rejected"), out
        assert db.column("SELECT external_id FROM public.omni_sales WHERE tenant_id = %s ORDER BY id", t) == \
            [f"{t}-{i}" for i in range(300)]
        assert db.column("SELECT row_no FROM omni_identity.sales_rejects WHERE tenant_id = %s", t) == [k]
        assert db.scalar("SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE tenant_id = %s", t) == 7
    assert db.scalar("SELECT count(*) FROM public.omni_sales") == 600
    assert spy.checks > 1
