"""Test databases: a template is built (migrated) once per session; each test that
needs a database gets a clone of it (CREATE DATABASE ... TEMPLATE), as procrastinate does.

The server is $OMNI_IDENTITY_TEST_SERVER (a DSN), else the embedded cluster.
Hypothesis profiles: 'ci' (default, >= 2,000 examples for the normalizer properties
that ask for it) and 'thorough' (HYPOTHESIS_PROFILE=thorough, 50,000).
"""
from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import HealthCheck, settings

from harness import migrate
from harness.testdb import drop, dsn_for, recreate, server_dsn
from tests_py.support import Db, ensure_test_logins

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("thorough", parent=settings.get_profile("ci"), max_examples=50_000)
settings.register_profile("dev", parent=settings.get_profile("ci"), max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(n: int) -> int:
    """Examples for a property: n in CI, the profile's number when it asks for more."""
    return max(n, settings().max_examples) if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else n


@pytest.fixture(scope="session")
def pg_server() -> str:
    return server_dsn()


def _drop(server: str, name: str) -> None:
    drop(server, name)   # on every node of the Citus lab under make test-citus


@pytest.fixture(scope="session")
def template_db(pg_server: str):
    name = f"oi_tpl_{os.getpid()}"
    dsn = recreate(pg_server, name)
    migrate.migrate(dsn)
    ensure_test_logins(dsn)   # needs the group roles the migrations create
    yield name
    _drop(pg_server, name)


def _clone(pg_server: str, template: str) -> Db:
    name = f"oi_t_{uuid.uuid4().hex[:12]}"
    recreate(pg_server, name, template=template)
    return Db(dsn_for(pg_server, name), name)


@pytest.fixture
def db(pg_server: str, template_db: str):
    """A fresh, migrated, never-analyzed database for one test."""
    d = _clone(pg_server, template_db)
    yield d
    d.close()
    _drop(pg_server, d.name)


@pytest.fixture(scope="module")
def module_db(pg_server: str, template_db: str):
    """One migrated database shared by a module (pure functions, or per-example tenants)."""
    d = _clone(pg_server, template_db)
    yield d
    d.close()
    _drop(pg_server, d.name)


@pytest.fixture(params=["superuser", "app"])
def app_login(request, template_db) -> str:
    """Run the test twice: as the superuser, and as the application login (a LOGIN role
    in omni_identity_app). Pass it to Db.connect_as / Db.login_dsn."""
    return request.param


@pytest.fixture(params=["superuser", "job"])
def job_login(request, template_db) -> str:
    """Run the test twice: as the superuser, and as the job login (a LOGIN role in
    omni_identity_admin)."""
    return request.param


@pytest.fixture
def empty_db(pg_server: str):
    """A fresh database with nothing installed (migration tests)."""
    name = f"oi_e_{uuid.uuid4().hex[:12]}"
    dsn = recreate(pg_server, name)
    d = Db(dsn, name)
    yield d
    d.close()
    _drop(pg_server, name)


@pytest.fixture(scope="session")
def cdb(pg_server: str):
    """A migrated database created with LC_COLLATE/LC_CTYPE 'C' (libc maps only ASCII
    case there): the normalizers must be Unicode-aware whatever the locale."""
    from psycopg import sql

    name = f"oi_c_{uuid.uuid4().hex[:12]}"
    dsn = recreate(pg_server, name, options=sql.SQL("TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"))
    d = Db(dsn, name)
    migrate.migrate(d.dsn)
    yield d
    d.close()
    _drop(pg_server, name)
