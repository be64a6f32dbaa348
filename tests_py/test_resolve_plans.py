"""Speed that does not depend on luck: resolve_customer_cluster on a fresh, never-analyzed
database holding a big tenant touches as few pages as on an analyzed one (every key lookup
is an index probe by construction), and a call executes few statements.

Pages, not time: EXPLAIN (ANALYZE, BUFFERS) of one call counts every buffer the call and
its nested statements touch. A plan that scanned the tenant's keys would touch the whole
table (over a thousand pages here); index probes touch a handful.
"""
from __future__ import annotations

import json
from contextlib import nullcontext

import pytest

from harness import citus
from tests_py.support import citus_workers, explain_on_shards, shard_plans, shard_reltuples

from tests_py.reference import normalize as ref

TENANT = "big"
CLUSTERS = 40_000            # 120,000 keys: a scan of them is > 1,000 pages
# Pages a call may touch: probes, its evidence (a returning buyer: the log row, a heap page
# and the log's one index; the write path: its pairs and counters), a few index inserts,
# foreign-key checks. A merge also moves keys (non-HOT
# updates: every index), writes lineage and checks its foreign keys. (Measured figures:
# BENCHMARKS.md, resolve, "Issue 13: the evidence log".)
PAGES_PER_CALL = {"returning": 60, "new": 80, "attach": 80, "merge": 250, "junk": 60, "blocked": 60,
                  "forgotten": 60}

LOAD = """
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at,
                                            last_buyer_phone, last_buyer_phone_at, created_at)
SELECT %(t)s, md5('c' || i)::uuid, 'u' || i || '@big.com', '2020-01-01', '+55119' || (80000000 + i), '2020-01-01',
       '2020-01-01'::timestamptz + i * interval '1 second'
  FROM generate_series(1, %(n)s) AS i
;;
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
SELECT %(t)s, k.key_type,
       CASE k.key_type WHEN 'email' THEN 'u' || i || '@big.com'
                       WHEN 'phone' THEN '+55119' || (80000000 + i)
                       ELSE (10000000000 + i)::text END,
       md5('c' || i)::uuid
  FROM generate_series(1, %(n)s) AS i, unnest(ARRAY['email', 'phone', 'document']) AS k(key_type)
;;
-- The evidence of those keys: each cluster's three pairs (a returning buyer's pair is known).
INSERT INTO omni_identity.key_pairs (tenant_id, a_type, a_value, b_type, b_value, seen_count,
                                     first_seen_at, last_seen_at)
SELECT %(t)s, p.a_type, p.a_value, p.b_type, p.b_value, 1, '2020-01-01', '2020-01-01'
  FROM generate_series(1, %(n)s) AS i
 CROSS JOIN LATERAL (VALUES ('document', (10000000000 + i)::text, 'email', 'u' || i || '@big.com'),
                            ('document', (10000000000 + i)::text, 'phone', '+55119' || (80000000 + i)),
                            ('email', 'u' || i || '@big.com', 'phone', '+55119' || (80000000 + i)))
       AS p(a_type, a_value, b_type, b_value)
;;
-- A long blocklist, never analyzed either: the tenant's own exact values and global ones,
-- and a few more regex rows. A call must probe it, not read it.
INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)
SELECT CASE WHEN i %% 2 = 0 THEN %(t)s END, k.key_type,
       CASE k.key_type WHEN 'email' THEN 'blocked' || i || '@big.com'
                       WHEN 'phone' THEN '+55219' || (80000000 + i)
                       ELSE (20000000000 + i)::text END,
       false
  FROM generate_series(1, %(n)s) AS i, unnest(ARRAY['email', 'phone', 'document']) AS k(key_type)
;;
INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)
VALUES (%(t)s, 'email', '@blocked[.]example$', true), (NULL, 'document', '^000', true);
;;
-- Many tombstones, never analyzed: a call probes them by primary key too.
INSERT INTO omni_identity.forgotten_identifiers (tenant_id, key_type, value_sha256)
SELECT %(t)s, 'email', omni_identity.value_sha256('gone' || i || '@big.com')
  FROM generate_series(1, %(n)s) AS i
"""


# A table's size: on the Citus lab all its shards' (the tenant's rows are on one of them;
# a reference table's one copy).
SIZE = "citus_table_size" if citus.enabled() else "pg_relation_size"


def phone_of(i: int) -> str:
    return "+55119" + str(80_000_000 + i)


BLOCKS = ("Shared Hit Blocks", "Shared Read Blocks", "Local Hit Blocks", "Local Read Blocks")


def pages(db, conn, *args) -> int:
    """Buffers the call touches: its EXPLAIN (ANALYZE, BUFFERS), nested statements
    included. On the Citus lab, the buffers of its statements on the shards, where the
    tenant's rows are, logged by the workers (support.explain_on_shards: conn opened after
    it); the coordinator's own are planning (custom plans there, each call: catalog and
    Citus metadata), the same whatever the tables hold."""
    with (shard_plans(db) if citus.enabled() else nullcontext([])) as shard:
        plan = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, %s, %s, %s)",
            (TENANT, *args)).fetchone()[0]
    if citus.enabled():
        return sum(s["plan"].get(k, 0) for s in shard for k in BLOCKS)
    top = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
    return sum(top.get(k, 0) for k in BLOCKS)


def calls(base: int) -> dict[str, tuple]:
    """One call of each kind; `base` keeps the values of different rounds apart."""
    return {
        "returning": (f"u{base + 1}@big.com", phone_of(base + 1), None, None, "2000-01-01"),
        "new": (f"fresh{base}@new.com", None, None, "New Buyer", "2021-01-01"),
        "attach": (f"u{base + 2}@big.com", None, None, "Name", "2021-01-01"),
        "merge": (f"u{base + 3}@big.com", phone_of(base + 4), None, None, "2021-01-01"),
        "junk": ("teste@teste.com", "12", "abc", "x", "2021-01-01"),
        "blocked": (f"blocked{base + 2}@big.com", "+55219" + str(80_000_000 + base + 3), None, "x", "2021-01-01"),
        "forgotten": (f"gone{base + 5}@big.com", None, None, "x", "2021-01-01"),
    }


def workload(db, conn, base: int) -> dict[str, int]:
    """Pages touched by each kind of call, measured after 6 calls of every kind warmed the
    session's catalog caches and the function's cached plans (generic plans from then on)."""
    for round_ in range(6):
        for args in calls(base + 10 * round_).values():
            conn.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, %s, %s, %s)", (TENANT, *args))
    return {kind: pages(db, conn, *args) for kind, args in calls(base + 100).items()}


def test_fresh_database_resolves_as_fast_as_analyzed(db):
    assert ref.phone(phone_of(12345)) == phone_of(12345), "test data: phones must be valid E.164 mobiles"
    with db.connect() as loader:
        # A throwaway clone: keep autovacuum from analyzing it behind the test's back.
        loader.execute("ALTER TABLE omni_identity.customer_cluster SET (autovacuum_enabled = off)")
        loader.execute("ALTER TABLE omni_identity.customer_cluster_keys SET (autovacuum_enabled = off)")
        loader.execute("ALTER TABLE omni_identity.key_blocklist SET (autovacuum_enabled = off)")
        loader.execute("ALTER TABLE omni_identity.forgotten_identifiers SET (autovacuum_enabled = off)")
        loader.execute("ALTER TABLE omni_identity.key_pairs SET (autovacuum_enabled = off)")
        for statement in LOAD.split(";;"):
            loader.execute(statement, {"t": TENANT, "n": CLUSTERS})
    for table in ("omni_identity.customer_cluster", "omni_identity.customer_cluster_keys"):
        assert set(shard_reltuples(db, table)) == {-1}, f"the premise: {table} was never analyzed"
    # The blocklist's statistics, if any, still describe the few rows the package ships.
    assert max(shard_reltuples(db, "omni_identity.key_blocklist")) < 1000
    blocklist_pages = db.scalar(f"SELECT {SIZE}('omni_identity.key_blocklist') / 8192")
    assert blocklist_pages > 3 * max(PAGES_PER_CALL.values())
    assert db.scalar("SELECT omni_identity.resolve_customer_cluster(%s, 'blocked7@big.com', '+5521980000008')",
                     TENANT) is None, "the premise: values on the long blocklist are blocked"
    assert db.scalar("SELECT omni_identity.resolve_customer_cluster(%s, 'gone7@big.com')", TENANT) is None, \
        "the premise: forgotten values are dropped"
    assert db.scalar(f"SELECT {SIZE}('omni_identity.forgotten_identifiers') / 8192") > 4 * PAGES_PER_CALL["forgotten"]
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_keys") == 3 * CLUSTERS
    keys_pages = db.scalar(f"SELECT {SIZE}('omni_identity.customer_cluster_keys') / 8192")
    assert keys_pages > 4 * max(PAGES_PER_CALL.values())

    results = {}
    explain_on_shards(db)
    with db.connect() as conn:
        results["fresh"] = workload(db, conn, 1000)
    with db.connect() as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        results["fresh, generic plans"] = workload(db, conn, 3000)
    db.execute("ANALYZE omni_identity.customer_cluster, omni_identity.customer_cluster_keys, omni_identity.key_blocklist")
    with db.connect() as conn:
        results["analyzed"] = workload(db, conn, 5000)

    for run, by_kind in results.items():
        for kind, n in by_kind.items():
            assert n <= PAGES_PER_CALL[kind], f"{run}/{kind}: {n} pages ({results})"
    for kind in results["analyzed"]:
        fresh = max(results["fresh"][kind], results["fresh, generic plans"][kind])
        assert fresh <= results["analyzed"][kind] + 10, f"{kind}: fresh {fresh} vs analyzed ({results})"


STATEMENTS = """
SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND NOT toplevel
"""


def statements_of(conn, sql: str, *args) -> int:
    conn.execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)")
    conn.execute(sql, args)
    return conn.execute(STATEMENTS).fetchone()[0]


# On the Citus lab a call's cost is its statements on the shards (each one a round trip
# to the tenant's worker), counted by pg_stat_statements on the workers: the statements
# that name a shard of the package (Citus's own BEGIN, SAVEPOINT, COMMIT... left out),
# and the lock calls (tenant_node_lock, delegated: the form the locks L0, L1, L2 take on
# Citus, docs/scale-out.md) counted apart.
SHARD_STATEMENTS = r"""
SELECT coalesce(sum(calls) FILTER (WHERE query ~ '_[0-9]{6,}\M' AND query !~ 'tenant_node_lock'), 0),
       coalesce(sum(calls) FILTER (WHERE query ~ 'tenant_node_lock'), 0)
  FROM pg_stat_statements
 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def shard_statements_of(db, conn, sql: str, *args) -> tuple[int, int]:
    workers = citus_workers(db)
    try:
        for w in workers:
            w.execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)")
        conn.execute(sql, args)
        counts = [w.execute(SHARD_STATEMENTS).fetchone() for w in workers]
    finally:
        for w in workers:
            w.close()
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


# Counted (two keys each): a returning buyer runs one statement (the removed-keys rule of
# its ≤ 3 keys — blocklist and tombstone probes —, the key and pair probes and the cluster
# read) and records its evidence (one statement: a plain INSERT of its evidence-log row);
# every write path records its evidence in the call instead: three statements (the
# threshold with the keys' re-probe under the locks, the call of evidence_record and its
# one upsert of pairs and counters, SPEC §12); a new buyer adds the insert, guarded by the
# re-probe of its keys, and one foreign-key check (RI trigger query) per key row;
# attaching a key instead adds the probe under the locks, the row lock, the key insert
# (and its foreign-key check) and the golden-record update. A call whose keys are all
# removed stops after the first statement. require_tenant, the normalizers and the locks L0, L1 and L2 are expressions.
# On Citus (statements on the shards, lock calls): a returning buyer the same two; a new
# one ten (the threshold with the re-probe of its keys, its evidence's upsert — Citus
# sends it as more than one statement —, the re-probe of its keys, the cluster's insert
# and one INSERT ... VALUES per key are statements of their own there,
# docs/scale-out.md; the foreign-key checks run inside the inserts on the worker);
# attaching a key ten; a call whose keys are all
# removed one. Locks: L0 (shared) on every call, L1 and one L2 per key on a write path.
CITUS_LIMITS = {"returning": (2, 1), "new": (10, 4), "attach": (10, 4), "no key": (1, 1)}


@pytest.mark.parametrize("kind, limit", [("returning", 2), ("new", 7), ("attach", 9), ("no key", 1)])
def test_a_call_executes_few_statements(db, kind, limit):
    """Nested statements counted by pg_stat_statements (track = all). Plain-SQL helpers and
    normalizers are inlined into PL/pgSQL expressions and count nothing; a PL/pgSQL one
    would add its statements here."""
    assert db.scalar("SELECT 'pg_stat_statements' = ANY (string_to_array(current_setting('shared_preload_libraries'), ','))"), \
        "the test server must preload pg_stat_statements (the embedded cluster does)"
    db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    call = "SELECT omni_identity.resolve_customer_cluster('t', %s, %s, %s, %s, %s)"

    def args(i: int) -> tuple:
        return {
            "returning": (f"old{i}@x.com", f"(11) 9876{i}-4321", None, "Ana", "2023-01-01"),
            "new": (f"new{i}@x.com", f"(21) 9876{i}-4321", None, "Bia", "2024-01-01"),
            "attach": (f"old{i}@x.com", f"(31) 9876{i}-4321", None, None, "2024-02-01"),
            "no key": ("teste@teste.com", "abc", None, "Ana", "2024-01-01"),
        }[kind]

    with db.connect() as conn:
        conn.execute("SET pg_stat_statements.track = 'all'")
        for i in range(8):
            conn.execute(call, (f"old{i}@x.com", f"(11) 9876{i}-4321", None, "Ana", "2024-01-01"))
        for i in range(7):     # past the custom plans of the first 5 executions
            conn.execute(call, args(i))
        if citus.enabled():
            n, locks = shard_statements_of(db, conn, call, *args(7))
            assert n <= CITUS_LIMITS[kind][0] and locks <= CITUS_LIMITS[kind][1], \
                f"{kind}: {n} statements on the shards, {locks} lock calls"
            return
        n = statements_of(conn, call, *args(7))
    assert n <= limit, f"{kind}: {n} statements"
