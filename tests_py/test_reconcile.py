"""reconcile_merges: several workers (FOR UPDATE SKIP LOCKED) while resolve calls keep
merging clusters into clusters that are themselves merged (A→B, then B→C) — after the
last batch every keyed sale carries a live cluster, and the partition and the golden
records equal the model. Run as the superuser, and as the logins: the application
login for the resolve calls, the job login for the workers."""
from __future__ import annotations

import json
import random
import threading
from datetime import datetime, timedelta, timezone

import pytest

from tests_py.reference.model import Model, shipped_blocklist
from tests_py.test_backfill_model import check_against_model

T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)


def test_concurrent_workers_with_chained_merges(db, app_login):
    rng = random.Random(7)
    tenant = "rc"
    model = Model(shipped_blocklist(db))
    index = {}
    # 120 sales, each with its own e-mail: 120 clusters, ingested in batches of 10.
    rows = []
    for i in range(120):
        row = {"shop_id": "s", "external_id": f"r{i}", "buyer_email": f"c{i}@x.com",
               "created_at": (T0 + timedelta(minutes=i)).isoformat()}
        rows.append(row)
        index[row["external_id"]] = (model.add(email=row["buyer_email"], seen_at=T0 + timedelta(minutes=i)), row)
    for k in range(0, 120, 10):
        db.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", tenant, json.dumps(rows[k:k + 10]))

    # Resolve calls link neighbours in a shuffled order, building merge chains, while
    # three reconcile workers run batches of one merge.
    links = [(i, i + 1) for i in range(0, 119)]
    rng.shuffle(links)
    links = links[:90]
    done = threading.Event()
    errors: list[BaseException] = []
    job_login = "superuser" if app_login == "superuser" else "job"

    def resolver(part):
        try:
            with db.connect_as(app_login, tenant) as c:
                for a, b in part:
                    # b's cluster gets a's phone, then a's e-mail with that phone merges them.
                    c.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, NULL, NULL, %s)",
                              (tenant, f"c{b}@x.com", "+55 11 98765-%04d" % a, T0))
                    c.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, NULL, NULL, %s)",
                              (tenant, f"c{a}@x.com", "+55 11 98765-%04d" % a, T0))
        except BaseException as exc:
            errors.append(exc)

    def worker():
        try:
            with db.connect_as(job_login) as c:
                while True:
                    n = c.execute("SELECT omni_identity.reconcile_merges(1)").fetchone()[0]
                    if n == 0 and done.is_set():
                        return
        except BaseException as exc:
            errors.append(exc)

    for a, b in links:   # the same inputs, for the model
        phone = "+55 11 98765-%04d" % a
        model.add(email=f"c{b}@x.com", phone=phone, seen_at=T0)
        model.add(email=f"c{a}@x.com", phone=phone, seen_at=T0)
    resolvers = [threading.Thread(target=resolver, args=(links[i::3],)) for i in range(3)]
    workers = [threading.Thread(target=worker) for _ in range(3)]
    for t in resolvers + workers:
        t.start()
    for t in resolvers:
        t.join()
    done.set()
    for t in workers:
        t.join()
    assert not errors, errors
    # Whatever the workers left (merges made after they stopped) one more batch loop takes.
    while db.scalar("SELECT omni_identity.reconcile_merges(50)"):
        pass
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE reconciled_at IS NULL") == 0
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges") >= 80
    # Partition, liveness and the golden records of the chain-merged clusters (SPEC 4.3
    # holds under any concurrency; test_golden_race forces the interleavings one by one).
    check_against_model(db, tenant, index, model, golden=True)
    # One batch_metrics row per batch, all under tenant '*'.
    assert db.scalar("SELECT count(*) FROM omni_identity.batch_metrics WHERE job = 'reconcile'") == \
        db.scalar("SELECT count(DISTINCT batch_id) FROM omni_identity.batch_metrics WHERE job = 'reconcile' AND tenant_id = '*'")


def test_reconcile_rejects_bad_batch_size(db):
    import psycopg

    for bad in (0, -1, 100_001):
        with pytest.raises(psycopg.Error) as exc:
            db.scalar("SELECT omni_identity.reconcile_merges(%s)", bad)
        assert exc.value.sqlstate == "OI032"
