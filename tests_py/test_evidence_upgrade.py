"""The evidence upgrade of a database clustered before evidence existed (design §9,
docs/reresolution.md "Upgrading").

The pre-evidence database is made the way an upgrade meets it: sales ingested, backfilled
and resolve calls made, then every migration after 0105 rolled back (which drops the
evidence tables, so nothing of the evidence recorded by today's code survives: the
clusters, keys and golden records are what the 0105 code left, clustering being
unchanged), more raw sales written at 0105, and the package migrated to head (0110 seeds
evidence_upgrade). Block and forget then refuse with OI050; the CLI upgrade, killed with
SIGKILL after its first committed batch and rerun, completes; the partition and golden
records are unchanged; and the evidence equals what a fresh install fed the same sales
records, plus what the star rule (evidence_upgrade_keys header) adds for what resolve
calls linked.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from harness import migrate, paths
from tests_py.conftest import _clone, _drop
from tests_py.test_backfill_model import drain, insert_history

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "harness.cli"]
T = "upgrade-a"
T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
NAMES = ("Ana Souza", "Bia Lima", "Caio", None, None)


def _phone(i: int) -> str:
    return f"(11) 9{8000 + i:04d}-{1000 + 7 * i:04d}"


def _sales(rng: random.Random, prefix: str, n: int) -> list[dict]:
    rows = []
    for i in range(n):
        row = {"shop_id": "s1", "external_id": f"{prefix}{i}", "amount": "10.00",
               "created_at": (T0 + timedelta(minutes=rng.randrange(0, 600))).isoformat()}
        if rng.random() < 0.8:
            row["buyer_email"] = f"p{rng.randrange(45)}@loja.com.br"
        if rng.random() < 0.6:
            row["buyer_phone"] = _phone(rng.randrange(30))
        name = rng.choice(NAMES)
        if name:
            row["buyer_name"] = name
        rows.append(row)
    return rows


def _ingest(conn, rows: list[dict]) -> None:
    conn.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", (T, json.dumps(rows)))


def _resolves(rng: random.Random) -> list[tuple]:
    """Resolve calls: brand-new keys, a new key with a sale's key, two sales' keys."""
    out = []
    for i in range(5):
        out.append((f"r{i}@resolve.com", _phone(100 + i) if i % 2 else None, rng.choice(NAMES)))
    for i in range(5):
        out.append((f"p{rng.randrange(45)}@loja.com.br", _phone(200 + i), rng.choice(NAMES)))
    for _ in range(4):
        out.append((f"p{rng.randrange(45)}@loja.com.br", _phone(rng.randrange(30)), None))
    return [(e, p, n, T0 + timedelta(minutes=rng.randrange(-300, 900))) for e, p, n in out]


def _feed(db, rng_seed: int, *, resolves: bool, at_0105=None) -> dict:
    """The same inputs in the same order; returns the raw rows written after the fact."""
    rng = random.Random(rng_seed)
    ingest, raw_a, raw_b, raw_c = (_sales(rng, "i", 80), _sales(rng, "a", 30),
                                   _sales(rng, "b", 20), _sales(rng, "c", 10))
    calls = _resolves(rng)
    _ingest(db.conn, ingest)
    insert_history(db.conn, T, raw_a)
    drain(db.conn, "SELECT omni_identity.backfill_customer_hash(%s, 25)", T)
    if resolves:
        for email, phone, name, at in calls:
            db.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, NULL, %s, %s)",
                       T, email, phone, name, at)
    if at_0105 is not None:
        at_0105()
    insert_history(db.conn, T, raw_b)      # at 0105 in the upgraded database
    return {"c": raw_c}


def _after_0105() -> int:
    return sum(1 for p in paths.MIGRATIONS.glob("*.sql")
               if not p.name.endswith(".rollback.sql") and p.name[:4] > "0105")


def _evidence(db) -> tuple[dict, dict]:
    keys = {(r["key_type"], r["key_value"]): r for r in db.dicts(
        "SELECT key_type, key_value, inputs, first_seen_at, last_seen_at, name, name_seen_at,"
        "       linked_emails, linked_phones, linked_documents"
        "  FROM omni_identity.key_evidence WHERE tenant_id = %s", T)}
    pairs = {((r["a_type"], r["a_value"]), (r["b_type"], r["b_value"])): r for r in db.dicts(
        "SELECT a_type, a_value, b_type, b_value, seen_count, first_seen_at, last_seen_at, sale_id"
        "  FROM omni_identity.key_pairs WHERE tenant_id = %s", T)}
    return keys, pairs


def _state(db) -> tuple[dict, dict, dict]:
    """Live clusters: keys (with created_at) and golden record; sales' live cluster."""
    keys: dict = {}
    for cid, kt, kv, at in db.rows("SELECT cluster_id, key_type, key_value, created_at"
                                   "  FROM omni_identity.customer_cluster_keys WHERE tenant_id = %s", T):
        keys.setdefault(cid, {})[(kt, kv)] = at
    golden = {r.pop("cluster_id"): r for r in db.dicts(
        "SELECT cluster_id, last_buyer_email AS email, last_buyer_email_at AS email_at,"
        "       last_buyer_phone AS phone, last_buyer_phone_at AS phone_at,"
        "       last_buyer_document AS document, last_buyer_document_at AS document_at,"
        "       last_buyer_name AS name, last_buyer_name_at AS name_at"
        "  FROM omni_identity.customer_cluster WHERE tenant_id = %s AND merged_into IS NULL", T)}
    # current_cluster() written as a join: called per row of a query on omni_sales it
    # would run on the shard and read customer_cluster from there (nested distributed
    # execution, which Citus refuses).
    sales = dict(db.rows("SELECT s.external_id, coalesce(c.merged_into, c.cluster_id)"
                         "  FROM public.omni_sales s"
                         "  LEFT JOIN omni_identity.customer_cluster c"
                         "    ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash"
                         " WHERE s.tenant_id = %s", T))
    return keys, golden, sales


def star_rule(keys: dict, golden: dict, ev: dict, pairs: dict) -> tuple[dict, dict]:
    """evidence_upgrade_keys in Python: the evidence the upgrade adds to the sales' evidence
    (ev, pairs: what a fresh install fed the sales records) for the clusters `keys`."""
    ev = {k: dict(v) for k, v in ev.items()}
    pairs = {k: dict(v) for k, v in pairs.items()}
    us = timedelta(microseconds=1)
    for cid, members in keys.items():
        g = golden[cid]
        order = sorted(members, key=lambda k: (members[k], k[0], k[1]))
        for kt, kv in order:
            if (kt, kv) in ev:
                continue
            at = g[kt + "_at"]
            seen = members[(kt, kv)] if at is None else at if g[kt] == kv else min(members[(kt, kv)], at - us)
            ev[(kt, kv)] = {"key_type": kt, "key_value": kv, "inputs": 1, "first_seen_at": seen,
                            "last_seen_at": seen, "name": None, "name_seen_at": None,
                            "linked_emails": 0, "linked_phones": 0, "linked_documents": 0}
        for f in ("email", "phone", "document"):
            k = (f, g[f])
            if g[f] is not None and k in members and ev[k]["last_seen_at"] < g[f + "_at"]:
                ev[k]["last_seen_at"] = g[f + "_at"]
        if g["name"] is not None and not any(
                ev[k]["name"] is not None and (ev[k]["name_seen_at"], ev[k]["name"]) >= (g["name_at"], g["name"])
                for k in members):
            ev[order[0]]["name"], ev[order[0]]["name_seen_at"] = g["name"], g["name_at"]
        # Components of the cluster's keys over the pairs; each one's oldest key → the oldest.
        parent = {k: k for k in members}

        def find(k):
            while parent[k] != k:
                k = parent[k]
            return k
        for a, b in list(pairs):
            if a in members and b in members:
                parent[find(a)] = find(b)
        roots: dict = {}
        for k in order:
            roots.setdefault(find(k), k)
        oldest = order[0]
        for first in roots.values():
            if first == oldest:
                continue
            a, b = sorted((first, oldest))
            at = max(members[first], members[oldest])
            pairs[(a, b)] = {"a_type": a[0], "a_value": a[1], "b_type": b[0], "b_value": b[1],
                             "seen_count": 1, "first_seen_at": at, "last_seen_at": at, "sale_id": None}
            for x, y in ((a, b), (b, a)):
                ev[x]["linked_" + y[0] + "s"] += 1
    return ev, pairs


def _from_evidence(keys: dict, ev: dict, pairs: dict) -> tuple[set, dict]:
    """The partition of the clusters' keys and their golden records recomputed from
    evidence alone (SPEC §12: components of the keys over the pairs)."""
    allkeys = {k for members in keys.values() for k in members}
    parent = {k: k for k in allkeys}

    def find(k):
        while parent[k] != k:
            k = parent[k]
        return k
    for a, b in pairs:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    comps: dict = {}
    for k in allkeys:
        comps.setdefault(find(k), set()).add(k)
    golden = {}
    for comp in comps.values():
        g = {}
        for f in ("email", "phone", "document"):
            best = max(((ev[k]["last_seen_at"], k[1]) for k in comp if k[0] == f), default=None)
            g[f], g[f + "_at"] = (None, None) if best is None else (best[1], best[0])
        best = max(((ev[k]["name_seen_at"], ev[k]["name"]) for k in comp if ev[k]["name"] is not None), default=None)
        g["name"], g["name_at"] = (None, None) if best is None else (best[1], best[0])
        golden[frozenset(comp)] = g
    return {frozenset(c) for c in comps.values()}, golden


def _run_cli(dsn: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(CLI + ["evidence-upgrade", *args, "--dsn", dsn],
                          capture_output=True, text=True, env=env, cwd=ROOT)


@pytest.fixture
def fresh_db(pg_server, template_db):
    d = _clone(pg_server, template_db)
    yield d
    d.close()
    _drop(pg_server, d.name)


def test_upgrade_killed_rerun_keeps_partition_and_matches_fresh_install(db, fresh_db, job_login):
    # The database clustered before evidence existed.
    state = {}
    raw = _feed(db, 7, resolves=True, at_0105=lambda: state.setdefault(
        "rolled", [migrate.rollback(db.dsn) for _ in range(_after_0105())]))
    assert db.scalar("SELECT to_regclass('omni_identity.key_evidence')") is None
    migrate.migrate(db.dsn)
    through = db.scalar("SELECT max(id) FROM public.omni_sales WHERE tenant_id = %s", T)
    assert db.rows("SELECT through_sale_id, next_sale_id, completed_at FROM omni_identity.evidence_upgrade"
                   " WHERE tenant_id = %s", T) == [(through, 0, None)]
    assert db.scalar("SELECT count(*) FROM omni_identity.key_evidence") == 0

    # Until the upgrade has run, what recomputes from evidence refuses.
    with pytest.raises(psycopg.Error) as err:
        db.execute("SELECT omni_identity.require_evidence_complete(%s)", T)
    assert err.value.sqlstate == "OI050" and err.value.diag.message_hint
    for call in ("SELECT omni_identity.block_identifier(%s, 'email', 'p1@loja.com.br')",
                 "SELECT * FROM omni_identity.forget_identifier(%s, 'email', 'p1@loja.com.br')",
                 "SELECT * FROM omni_identity.forget_customer(%s, (SELECT cluster_id FROM"
                 " omni_identity.customer_cluster WHERE tenant_id = 'upgrade-a' LIMIT 1))"):
        with pytest.raises(psycopg.Error) as err:
            db.execute(call, T)
        assert err.value.sqlstate == "OI050", call

    # Live traffic after the migration: raw sales after the range, then the backfill of
    # those and of the sales written at 0105 (in the range: the upgrade's to record).
    insert_history(db.conn, T, raw["c"])
    drain(db.conn, "SELECT omni_identity.backfill_customer_hash(%s, 25)", T)
    drain(db.conn, "SELECT omni_identity.reconcile_merges(50)")
    keys0, golden0, sales0 = _state(db)

    total = db.scalar("SELECT omni_identity.evidence_upgrade_remaining(%s)", T)
    assert total > 0
    dsn = db.login_dsn(job_login)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(CLI + ["evidence-upgrade", "--batch-size", "7", "--dsn", dsn],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        first = proc.stdout.readline()   # printed only after the batch committed
        assert "committed" in first, (first, proc.stderr.read() if proc.poll() is not None else "")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = db.scalar("SELECT omni_identity.evidence_upgrade_remaining(%s)", T)
    assert 0 < left < total
    rerun = _run_cli(dsn, "--batch-size", "7")
    assert rerun.returncode == 0, rerun.stderr
    assert "evidence complete" in rerun.stdout
    assert db.scalar("SELECT omni_identity.evidence_upgrade_remaining()") == 0
    db.execute("SELECT omni_identity.require_evidence_complete(%s)", T)
    assert _run_cli(dsn).returncode == 0           # a rerun after completion does nothing
    keys1, golden1, sales1 = _state(db)
    assert (keys1, golden1, sales1) == (keys0, golden0, sales0), "the upgrade changed the partition"

    # Evidence alone gives today's partition and golden records.
    ev, pairs = _evidence(db)
    comps, golden_ev = _from_evidence(keys1, ev, pairs)
    assert comps == {frozenset(m) for m in keys1.values()}
    for cid, members in keys1.items():
        assert golden_ev[frozenset(members)] == golden1[cid], cid

    # A fresh install fed the same sales (no resolve calls), plus the star rule.
    _feed(fresh_db, 7, resolves=False)
    insert_history(fresh_db.conn, T, raw["c"])
    drain(fresh_db.conn, "SELECT omni_identity.backfill_customer_hash(%s, 25)", T)
    fresh_ev, fresh_pairs = _evidence(fresh_db)
    want_ev, want_pairs = star_rule(keys1, golden1, fresh_ev, fresh_pairs)
    # The data exercises the rule: keys only resolve calls showed, links they made.
    assert len(want_ev) > len(fresh_ev) and len(want_pairs) > len(fresh_pairs)
    assert ev == want_ev
    strip = lambda ps: {k: {**v, "sale_id": v["sale_id"] is not None} for k, v in ps.items()}  # noqa: E731
    assert strip(pairs) == strip(want_pairs)
    # A pair's sale showed both its keys (which sale first is order-dependent).
    for (a, b), row in pairs.items():
        if row["sale_id"] is not None:
            shown = db.scalar(
                "SELECT array[omni_identity.normalize_email(buyer_email), omni_identity.normalize_phone(buyer_phone),"
                "             omni_identity.normalize_document(buyer_document)]"
                "  FROM public.omni_sales WHERE tenant_id = %s AND id = %s", T, row["sale_id"])
            assert a[1] in shown and b[1] in shown
    # Now block works, and the split it queues follows the upgraded evidence.
    phone = db.scalar("SELECT key_value FROM omni_identity.customer_cluster_keys WHERE tenant_id = %s"
                      "   AND key_type = 'phone' ORDER BY key_value LIMIT 1", T)
    assert db.scalar("SELECT omni_identity.block_identifier(%s, 'phone', %s)", T, phone) >= 0
    drain(db.conn, "SELECT omni_identity.reconcile_merges(50)")
    keys2, golden2, _ = _state(db)
    ev2, pairs2 = _evidence(db)
    comps2, golden_ev2 = _from_evidence(keys2, ev2, pairs2)
    assert ("phone", phone) not in ev2
    assert comps2 == {frozenset(m) for m in keys2.values()}
    for cid, members in keys2.items():
        assert golden_ev2[frozenset(members)] == golden2[cid], cid


def test_upgrade_beside_live_resolves(db, app_login):
    """The upgrade runs beside live resolve calls of its tenant (new buyers, returning ones,
    calls that merge two old customers): every batch takes the tenant's lock the way the
    backfill does and retries when busy; at the end the upgrade is complete and evidence
    alone gives the partition and the golden records the database holds."""
    import threading

    from harness.cmd_evidence import evidence_upgrade

    _feed(db, 11, resolves=True, at_0105=lambda: [migrate.rollback(db.dsn) for _ in range(_after_0105())])
    migrate.migrate(db.dsn)
    drain(db.conn, "SELECT omni_identity.backfill_customer_hash(%s, 25)", T)
    rng = random.Random(5)
    calls = [(f"p{rng.randrange(45)}@loja.com.br", _phone(rng.randrange(30)) if rng.random() < 0.5 else _phone(300 + i),
              T0 + timedelta(minutes=rng.randrange(0, 900))) for i in range(120)]
    errors: list = []

    def live():
        try:
            with db.connect_as(app_login, T) as conn:
                for email, phone, at in calls:
                    conn.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, NULL, NULL, %s)",
                                 (T, email, phone, at))
        except BaseException as exc:   # reported below
            errors.append(exc)

    class Quiet:
        def __init__(self, *a, **k): pass
        def __enter__(self): return self
        def __exit__(self, *exc): pass
        def batch(self, n): pass

    worker = threading.Thread(target=live)
    worker.start()
    evidence_upgrade(db.dsn, None, 5, reporter_factory=Quiet)
    worker.join()
    assert not errors, errors
    assert evidence_upgrade(db.dsn, None, 5, reporter_factory=Quiet) == 0   # done: a rerun does nothing
    assert db.scalar("SELECT completed_at IS NOT NULL FROM omni_identity.evidence_upgrade WHERE tenant_id = %s", T)
    drain(db.conn, "SELECT omni_identity.reconcile_merges(50)")
    keys, golden, _ = _state(db)
    ev, pairs = _evidence(db)
    comps, golden_ev = _from_evidence(keys, ev, pairs)
    assert comps == {frozenset(m) for m in keys.values()}
    for cid, members in keys.items():
        assert golden_ev[frozenset(members)] == golden[cid], cid
