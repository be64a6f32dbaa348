"""The batch core's evidence and generic stages (pipeline_evidence, pipeline_generic) stay
key probes whatever key_evidence's statistics say. The trap: a tenant the last ANALYZE did
not see (a new tenant's first backfill) is estimated at one row, and a probe of one key by
(tenant, type, value) was then planned on key_evidence_linked_idx (tenant first, smaller)
with type and value as a filter: every key of the batch read the tenant's whole evidence."""
from __future__ import annotations

from harness import citus
from tests_py.support import run_in_own_session, shard_tuples_updated
from tests_py.test_query_plans import explained, nodes

SALES = 400   # per round of tenant 'b'


def sales(db, tenant: str, first: int, n: int) -> None:
    # E-mails repeating every 300 sales and phones every 250, so a second round finds
    # existing keys, and pairs old and new.
    db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_phone, created_at)"
               " SELECT %s, 'shop', %s || i, 'u' || (i %% 300) || '@x.com',"
               "        '+55 11 9' || lpad((i %% 250)::text, 8, '0'),"
               "        timestamptz '2024-01-01' + i * interval '1 minute'"
               "   FROM generate_series(%s::integer, %s::integer) i", tenant, tenant, first, first + n - 1)


def evidence_scans(statements: list[dict]) -> list[dict]:
    return [n for s in statements for n in nodes(s["plan"]) if n.get("Relation Name") == "key_evidence"]


def colocated_tenant(db, tenant: str) -> str:
    """A second tenant whose rows share `tenant`'s table: on one node 'b'; on Citus the
    first of 'b', 'b1', 'b2', ... on the same shard of key_evidence (the statistics that
    matter there are the shard's)."""
    if not citus.enabled():
        return "b"
    shard = "SELECT get_shard_id_for_distribution_column('omni_identity.key_evidence', %s::text)"
    want = db.scalar(shard, tenant)
    return next(t for t in ["b"] + [f"b{i}" for i in range(1, 100)] if db.scalar(shard, t) == want)


def test_a_batch_never_reads_a_tenants_evidence_per_key_under_stale_statistics(db):
    b = colocated_tenant(db, "a")
    sales(db, "a", 1, 2000)
    assert db.scalar("SELECT omni_identity.backfill_customer_hash('a', 10000)") == 2000
    db.execute("ANALYZE omni_identity.key_evidence")   # the statistics know tenant 'a' only
    sales(db, b, 1, SALES)
    assert db.scalar("SELECT omni_identity.backfill_customer_hash(%s, 10000)", b) == SALES
    evidence_b = db.scalar("SELECT count(*) FROM omni_identity.key_evidence WHERE tenant_id = %s", b)

    sales(db, b, SALES + 1, SALES)
    statements = explained(db, "SELECT omni_identity.backfill_customer_hash(%s, 10000)", b)
    assert db.scalar("SELECT count(*) FROM public.omni_sales WHERE tenant_id = %s AND customer_hash IS NULL", b) == 0
    scans = evidence_scans(statements)
    assert scans, [s["text"][:120] for s in statements]
    linked = [s for s in scans if s.get("Index Name") == "key_evidence_linked_idx"]
    assert not linked, [(s["Actual Loops"], s.get("Rows Removed by Filter")) for s in linked]
    # Whatever reads key_evidence reads about one row per key probed, never the tenant's
    # evidence once per key.
    for s in scans:
        read = s.get("Actual Loops", 1) * (s.get("Actual Rows", 0) + s.get("Rows Removed by Filter", 0))
        assert read <= 4 * evidence_b, (s["Node Type"], s.get("Index Name"), read, evidence_b)


def test_evidence_seen_again_is_updated_in_place(db):
    """key_pairs and key_evidence keep room on their pages (fillfactor, migration 0210), so
    a batch that sees known pairs and keys again updates them as HOT updates (no index
    entry written): a tenant's later batches mostly update evidence."""
    db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_phone, created_at)"
               " SELECT 't', 'shop', 'r1-' || i, 'u' || i || '@x.com', '+55 11 9' || lpad(i::text, 8, '0'),"
               "        timestamptz '2024-01-01' + i * interval '1 minute'"
               "   FROM generate_series(1, 3000) i")
    assert run_in_own_session(db, "SELECT omni_identity.backfill_customer_hash('t', 10000)") == 3000
    # Every 15th buyer again: a few rows of every page are updated.
    db.execute("INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_phone, created_at)"
               " SELECT 't', 'shop', 'r2-' || i, 'u' || i || '@x.com', '+55 11 9' || lpad(i::text, 8, '0'),"
               "        timestamptz '2024-02-01' + i * interval '1 minute'"
               "   FROM generate_series(15, 3000, 15) i")
    if citus.enabled():
        # The updates are the shards', on the workers: their counters before and after.
        tables = ("omni_identity.key_pairs", "omni_identity.key_evidence")
        before = {t: shard_tuples_updated(db, t) for t in tables}
        assert run_in_own_session(db, "SELECT omni_identity.backfill_customer_hash('t', 10000)") == 200
        counts = {t: tuple(a - b for a, b in zip(shard_tuples_updated(db, t), before[t])) for t in tables}
    else:
        with db.connect() as conn:
            with conn.transaction():
                assert conn.execute("SELECT omni_identity.backfill_customer_hash('t', 10000)").fetchone()[0] == 200
                counts = dict((t, (u, h)) for t, u, h in conn.execute(
                    "SELECT c.relname, pg_stat_get_xact_tuples_updated(c.oid), pg_stat_get_xact_tuples_hot_updated(c.oid)"
                    "  FROM pg_class c WHERE c.oid IN ('omni_identity.key_pairs'::regclass,"
                    "                                  'omni_identity.key_evidence'::regclass)").fetchall())
    for table, (updated, hot) in counts.items():
        assert updated >= 200, (table, updated)
        assert hot >= 0.8 * updated, (table, updated, hot)
