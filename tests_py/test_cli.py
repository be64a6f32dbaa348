"""The CLI: the embedded cluster's life cycle (its own home, so the shared server is
untouched), DSN errors and exit codes."""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys

import psycopg
import pytest

from harness.embedded import Cluster


def cli(*args: str, home=None, env_extra=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if home is not None:
        env["OMNI_IDENTITY_HOME"] = str(home)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          env=env, timeout=180)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    h = tmp_path_factory.mktemp("embedded")
    os.chmod(h, 0o755)
    yield h
    cli("db", "stop", home=h)
    moved = Cluster(h).datadir.parent
    if str(moved).startswith("/var/tmp/omni-identity-"):
        shutil.rmtree(moved, ignore_errors=True)


def test_db_life_cycle(home):
    assert cli("db", "url", home=home).returncode == 1  # nothing there yet
    first = cli("db", "start", home=home)
    assert first.returncode == 0, first.stderr
    dsn = first.stdout.strip().splitlines()[-1]
    assert dsn.startswith("postgresql://") and "127.0.0.1" in dsn

    again = cli("db", "start", home=home)
    assert again.returncode == 0 and again.stdout.strip().splitlines()[-1] == dsn, "start is not idempotent"
    url = cli("db", "url", home=home)
    assert url.returncode == 0 and url.stdout.strip().splitlines()[-1] == dsn
    assert cli("db", "status", home=home).returncode == 0

    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT current_setting('listen_addresses')").fetchone()[0] == "127.0.0.1"
        assert "pg_stat_statements" in conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()[0]
        assert conn.execute("SELECT current_setting('unix_socket_directories')").fetchone()[0]

    migrated = cli("migrate", home=home)
    assert migrated.returncode == 0, migrated.stderr

    stopped = cli("db", "stop", home=home)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert cli("db", "status", home=home).returncode == 1
    gone = cli("db", "url", home=home)
    assert gone.returncode == 1 and len(gone.stderr.strip().splitlines()) == 1


def test_server_runs_unprivileged_when_root(home):
    """initdb refuses root: as root the server runs as 'postgres'; otherwise as us.
    (pytest's tmp dirs are private to root, so this also covers the data directory
    the server user can't reach being placed under /var/tmp.)"""
    start = cli("db", "start", home=home)
    assert start.returncode == 0, start.stderr
    datadir = Cluster(home).datadir
    pid = int((datadir / "postmaster.pid").read_text().split()[0])
    expected = pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert os.stat(f"/proc/{pid}").st_uid == expected


def test_a_killed_server_comes_back_on_its_port(home):
    """kill -9 of the postmaster with a client connected: the server's side of that
    connection stays in TIME_WAIT on the port, and the postmaster stays a zombie until
    init reaps it. `db start` waits for the PID to go and keeps the port (the DSN that
    applications hold); only a port another program listens on moves it, loudly."""
    first = cli("db", "start", home=home)
    assert first.returncode == 0, first.stderr
    dsn = first.stdout.strip().splitlines()[-1]
    cluster = Cluster(home)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT 1")
        os.kill(int((cluster.datadir / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
        again = cli("db", "start", home=home)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == dsn and "changed" not in again.stderr
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)

    assert cli("db", "stop", home=home).returncode == 0
    port = cluster.port()
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # past any TIME_WAIT
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        moved = cli("db", "start", home=home)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.strip().splitlines()[-1] != dsn
    assert f"port {port} is taken" in moved.stderr and "DSN changed" in moved.stderr


def test_bad_dsn_is_one_line_and_exit_1():
    out = cli("migrate", "--dsn", "postgresql://nobody@127.0.0.1:1/nothing")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("omni-identity: error:") and "Traceback" not in out.stderr


def test_database_url_is_used():
    out = cli("migrate", env_extra={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/from_env"})
    assert out.returncode == 1 and "127.0.0.1" in out.stderr


def test_usage_errors_exit_2():
    assert cli().returncode == 2
    assert cli("no-such-command").returncode == 2
    assert cli("db", "explode").returncode == 2
