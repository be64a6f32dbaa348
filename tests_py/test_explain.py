"""Explain and health (SPEC §12 set_setting, §13): explain_link against a Python
breadth-first search over the evidence read back, explain_identifier's counts against the
pairs, preview_block_identifier against what block_identifier + reconcile then do,
top_identifiers as an index walk, and the CLI's explain / health / block --dry-run.

Sales go in through ingest_sales as the application login (app_login runs each test as
the superuser and as that login); reconcile runs as the superuser (a job)."""
from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import subprocess
import sys
from collections import deque
from pathlib import Path

from hypothesis import given, settings, strategies as st

from tests_py.support import citus_workers

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "harness.cli"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
_tenants = itertools.count()

EMAILS = [f"p{i}@mail.com" for i in range(10)]
PHONES = [f"(11) 98765-43{i:02d}" for i in range(6)]
DOCUMENTS = ["529.982.247-25", "111.444.777-35", "123.456.789-09", "935.411.347-80"]
SHOP_PHONE = "(11) 3456-7890"      # the junk: a shop's landline typed for many buyers

buyer = st.fixed_dictionaries({
    "email": st.one_of(st.none(), st.sampled_from(EMAILS)),
    "phone": st.one_of(st.none(), st.sampled_from(PHONES + [SHOP_PHONE] * 3)),
    "document": st.one_of(st.none(), st.none(), st.sampled_from(DOCUMENTS)),
})


def rows_of(buyers: list[dict], start: int = 0) -> list[dict]:
    out = []
    for i, b in enumerate(buyers, start):
        row = {"shop_id": "s1", "external_id": f"o{i}", "amount": "1.00", "currency": "BRL",
               "created_at": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"}
        for col, key in (("buyer_email", "email"), ("buyer_phone", "phone"), ("buyer_document", "document")):
            if b[key] is not None:
                row[col] = b[key]
        out.append(row)
    return out


def ingest(conn, tenant: str, rows: list[dict]) -> None:
    conn.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", (tenant, json.dumps(rows)))


def reconcile(db) -> None:
    while db.scalar("SELECT omni_identity.reconcile_merges(%s)", 5000):
        pass


class Evidence:
    """The tenant's evidence read back, and the Python rules over it."""

    def __init__(self, db, tenant: str):
        self.threshold = db.scalar("SELECT omni_identity.generic_threshold(%s)", tenant)
        self.evidence = {(r[0], r[1]): r[2:] for r in db.rows(
            "SELECT key_type, key_value, linked_emails, linked_phones, linked_documents, inputs"
            "  FROM omni_identity.key_evidence WHERE tenant_id = %s", tenant)}
        self.pairs = {}
        self.adj: dict[tuple, set] = {}
        for at, av, bt, bv, n, sale in db.rows(
                "SELECT a_type, a_value, b_type, b_value, seen_count, sale_id"
                "  FROM omni_identity.key_pairs WHERE tenant_id = %s", tenant):
            a, b = (at, av), (bt, bv)
            self.pairs[frozenset((a, b))] = (n, sale)
            self.adj.setdefault(a, set()).add(b)
            self.adj.setdefault(b, set()).add(a)
        self.sale_keys = {}
        for sid, e, p, d in db.rows(
                "SELECT id, omni_identity.normalize_email(buyer_email), omni_identity.normalize_phone(buyer_phone),"
                "       omni_identity.normalize_document(buyer_document)"
                "  FROM omni_sales WHERE tenant_id = %s", tenant):
            self.sale_keys[sid] = {(t, v) for t, v in (("email", e), ("phone", p), ("document", d)) if v}

    def active(self, key) -> bool:
        ev = self.evidence.get(key)
        return ev is not None and not (self.threshold > 0 and max(ev[0], ev[1], ev[2]) > self.threshold)

    def shortest(self, sale_a: int, sale_b: int) -> int | None:
        """Number of pairs on a shortest chain of active keys; None when not linked."""
        start = {k for k in self.sale_keys[sale_a] if self.active(k)}
        goal = {k for k in self.sale_keys[sale_b] if self.active(k)}
        dist = {k: 0 for k in start}
        queue = deque(start)
        while queue:
            k = queue.popleft()
            if k in goal:
                return dist[k]
            for n in self.adj.get(k, ()):
                if n not in dist and self.active(n):
                    dist[n] = dist[k] + 1
                    queue.append(n)
        return None

    def linked(self, key) -> tuple[int, int, int]:
        ns = self.adj.get(key, set())
        return tuple(sum(1 for t, _ in ns if t == typ) for typ in ("email", "phone", "document"))


@settings(max_examples=20, deadline=None)
@given(buyers=st.lists(buyer, min_size=2, max_size=30), cut=st.integers(0, 30),
       threshold=st.sampled_from([None, 0, 2, 3]), probes=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)),
                                                                    min_size=1, max_size=8))
def test_explain_link_is_a_shortest_chain(module_db, app_login, buyers, cut, threshold, probes):
    db = module_db
    tenant = f"xl{next(_tenants)}-{app_login}"
    rows = rows_of(buyers)
    with db.connect_as(app_login, tenant) as app:
        ingest(app, tenant, rows[:cut])
        ingest(app, tenant, rows[cut:])
        if threshold is not None:
            app.execute("SELECT omni_identity.set_setting(%s, 'generic_threshold', %s::jsonb)", (tenant, str(threshold)))
        ev = Evidence(db, tenant)
        ids = sorted(ev.sale_keys)
        for i, j in probes:
            a, b = ids[i % len(ids)], ids[j % len(ids)]
            chain = app.execute("SELECT step, key_type, key_value, via_sale_id, seen_count"
                                "  FROM omni_identity.explain_link(%s, %s, %s)", (tenant, a, b)).fetchall()
            want = ev.shortest(a, b)
            if want is None:
                assert chain == [], (a, b, chain)
                continue
            assert [r[0] for r in chain] == list(range(want + 1)), (a, b, chain, want)
            keys = [(r[1], r[2]) for r in chain]
            assert keys[0] in ev.sale_keys[a] and keys[-1] in ev.sale_keys[b]
            assert all(ev.active(k) for k in keys)
            assert chain[0][3] is None and chain[0][4] is None
            for prev, row in zip(keys, chain[1:]):
                # Each step is backed by one pair row: its sale and its count.
                assert (row[4], row[3]) == ev.pairs[frozenset((prev, (row[1], row[2])))]
        # explain_identifier's counters equal the distinct neighbours of each type.
        for key in list(ev.evidence)[:6]:
            got = app.execute("SELECT status, linked_emails, linked_phones, linked_documents, inputs"
                              "  FROM omni_identity.explain_identifier(%s, %s, %s)", (tenant, *key)).fetchone()
            assert got[1:4] == ev.linked(key), key
            assert got[0] == ("active" if ev.active(key) else "generic")
            assert got[4] == ev.evidence[key][3]


def live_clusters(db, tenant: str) -> dict[int, str | None]:
    return dict(db.rows("""
        SELECT s.id, coalesce(c.merged_into, c.cluster_id)
          FROM omni_sales s LEFT JOIN omni_identity.customer_cluster c
            ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash
         WHERE s.tenant_id = %s""", tenant))


@settings(max_examples=15, deadline=None)
@given(buyers=st.lists(buyer, min_size=2, max_size=25), cut=st.integers(0, 25), pick=st.integers(0, 100))
def test_preview_block_equals_block_then_reconcile(module_db, app_login, buyers, cut, pick):
    """Run the preview, then the real block and reconcile (until it finds nothing), and
    compare. The pools (10 e-mails) keep every key under the default threshold of 20, so
    no key is generic here (the preview leaves generic keys out, as the split will once
    the generic-value machinery lands)."""
    db = module_db
    tenant = f"pb{next(_tenants)}-{app_login}"
    rows = rows_of(buyers)
    with db.connect_as(app_login, tenant) as app:
        ingest(app, tenant, rows[:cut])
        ingest(app, tenant, rows[cut:])
        reconcile(db)
        values = sorted({(t, v) for b in buyers for t, v in b.items() if v is not None}) or [("email", EMAILS[0])]
        key_type, value = values[pick % len(values)]
        before = live_clusters(db, tenant)
        hit = db.scalar("""
            SELECT coalesce(c.merged_into, c.cluster_id)
              FROM omni_identity.customer_cluster_keys k
              JOIN omni_identity.customer_cluster c ON c.tenant_id = k.tenant_id AND c.cluster_id = k.cluster_id
             WHERE k.tenant_id = %s AND k.key_type = %s
               AND k.key_value = omni_identity.identifier_key(%s, %s)""", tenant, key_type, key_type, value)
        preview = app.execute("SELECT clusters_split, clusters_after, sales_moved"
                              "  FROM omni_identity.preview_block_identifier(%s, %s, %s)",
                              (tenant, key_type, value)).fetchone()
        assert live_clusters(db, tenant) == before, "the preview changed nothing"
        assert db.scalar("SELECT count(*) FROM omni_identity.key_blocklist WHERE tenant_id = %s", tenant) == 0
        app.execute("SELECT omni_identity.block_identifier(%s, %s, %s)", (tenant, key_type, value))
    reconcile(db)
    after = live_clusters(db, tenant)
    split = db.scalar("SELECT count(DISTINCT from_cluster) FROM omni_identity.customer_cluster_splits"
                      " WHERE tenant_id = %s", tenant)
    moved = sum(1 for s in before if before[s] != after[s])
    formed = {after[s] for s in before if hit is not None and before[s] == hit and after[s] is not None}
    assert tuple(preview) == (split, len(formed), moved), (key_type, value, before, after)


def test_top_identifiers_walks_the_index(db):
    """On a fresh, never-analyzed database with 20,000 keys: the function's statement reads
    key_evidence through key_evidence_linked_idx, stopped at the limit (auto_explain)."""
    db.execute("ALTER TABLE omni_identity.key_evidence SET (autovacuum_enabled = false)")
    db.execute("""
        INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at,
                                                last_seen_at, linked_emails, linked_phones)
        SELECT t, 'phone', '+55113000' || lpad(g::text, 5, '0'), 1, '2026-01-01', '2026-01-01', g % 97, g % 13
          FROM generate_series(1, 10000) g, (VALUES ('big'), ('other')) v(t)""")
    notices: list[str] = []
    settings_ = ("auto_explain.log_min_duration = 0", "auto_explain.log_nested_statements = on",
                 "auto_explain.log_level = notice", "auto_explain.log_format = json",
                 "auto_explain.log_analyze = on", "auto_explain.log_timing = off")
    workers = citus_workers(db)
    # On the Citus lab the statement's plan that reads the shard runs on the worker that
    # holds it: auto_explain is loaded there, for the connections Citus opens to this
    # database (Citus relays their NOTICEs to the client). Not on the coordinator: its
    # auto_explain of nested statements fails in Citus 13.2.2 (docs/scale-out.md).
    for w in workers:
        w.execute(f'ALTER DATABASE "{db.name}" SET session_preload_libraries = \'auto_explain\'')
        for setting in settings_:
            w.execute(f'ALTER DATABASE "{db.name}" SET {setting}')
        w.close()
    conn = db.connect()
    try:
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        if not workers:
            conn.execute("LOAD 'auto_explain'")
            for setting in settings_:
                conn.execute(f"SET {setting}")
        conn.execute("SET client_min_messages = notice")
        got = conn.execute("SELECT key_value, linked_emails FROM omni_identity.top_identifiers('big', 5)").fetchall()
    finally:
        conn.close()
    assert [r[1] for r in got] == [96] * 5
    plans = [json.loads(n[n.index("{"):])["Plan"] for n in notices if "plan:" in n]

    def nodes(plan):
        yield plan
        for child in plan.get("Plans", []):
            yield from nodes(child)

    def named(name, base):   # a table or index, or on Citus its shard's (base_<shard id>)
        return name is not None and re.fullmatch(re.escape(base) + (r"_\d+" if workers else ""), name)

    scans = [n for p in plans for n in nodes(p) if named(n.get("Relation Name"), "key_evidence")]
    assert scans and all(named(n.get("Index Name"), "key_evidence_linked_idx") for n in scans), scans
    assert sum(n.get("Actual Rows", 0) * n.get("Actual Loops", 1) for n in scans) <= 5


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=120)


def test_cli_explain_health_and_dry_run(db):
    tenant = "cli"
    with db.connect_as("app", tenant) as app:
        ingest(app, tenant, rows_of([
            {"email": "ana@mail.com", "phone": SHOP_PHONE, "document": None},
            {"email": "bia@mail.com", "phone": SHOP_PHONE, "document": None},
            {"email": "bia@mail.com", "phone": None, "document": "529.982.247-25"},
            {"email": "cid@mail.com", "phone": None, "document": None}]))
    ids = db.column("SELECT id FROM omni_sales WHERE tenant_id = %s ORDER BY external_id", tenant)
    dsn = ["--dsn", db.dsn]

    r = run_cli("explain", "--tenant", tenant, "--sale", str(ids[0]), "--sale", str(ids[2]), *dsn)
    assert r.returncode == 0, r.stderr
    assert f"sale {ids[0]}" in r.stdout and "phone +551134567890" in r.stdout
    assert f"sale {ids[1]}" in r.stdout and "email bia@mail.com" in r.stdout and f"sale {ids[2]}" in r.stdout
    r = run_cli("explain", "--tenant", tenant, "--sale", str(ids[0]), "--sale", str(ids[3]), *dsn)
    assert r.returncode == 0 and "not linked" in r.stdout
    r = run_cli("explain", "--tenant", tenant, "--phone", SHOP_PHONE, "--format", "json", *dsn)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "active" and json.loads(r.stdout)["linked_emails"] == 2
    r = run_cli("explain", "--tenant", tenant, "--email", "not an e-mail", *dsn)
    assert r.returncode == 0 and "invalid" in r.stdout
    r = run_cli("explain", "--tenant", tenant, "--sale", str(ids[0]), *dsn)
    assert r.returncode == 2                                  # argument error: one sale
    r = run_cli("explain", "--tenant", tenant, "--sale", "999999999", "--sale", str(ids[0]), *dsn)
    assert r.returncode == 1 and "OI104" in r.stderr

    r = run_cli("health", "--tenant", tenant, *dsn)
    assert r.returncode == 0, r.stderr
    assert "1000+" in r.stdout and "+551134567890" in r.stdout
    r = run_cli("health", "--tenant", tenant, "--format", "json", "--limit", "2", *dsn)
    doc = json.loads(r.stdout)
    assert len(doc["histogram"]) == 8 and len(doc["top_identifiers"]) == 2
    assert {(h["size_from"], h["clusters"], h["sales"]) for h in doc["histogram"] if h["clusters"]} == {(1, 1, 1), (2, 1, 3)}
    r = run_cli("health", "--tenant", tenant, "--format", "csv", *dsn)
    lines = list(csv.reader(io.StringIO(r.stdout)))
    assert lines[0][0] == "section" and sum(1 for x in lines if x[0] == "histogram") == 8
    r = run_cli("health", "--tenant", tenant, "--limit", "0", *dsn)
    assert r.returncode == 1 and "OI103" in r.stderr

    r = run_cli("block", "--tenant", tenant, "--phone", SHOP_PHONE, "--dry-run", *dsn)
    assert r.returncode == 0, r.stderr
    assert "dry run" in r.stdout and "1 cluster(s) would split" in r.stdout and "1 sale(s)" in r.stdout
    assert db.scalar("SELECT count(*) FROM omni_identity.key_blocklist WHERE tenant_id = %s", tenant) == 0
