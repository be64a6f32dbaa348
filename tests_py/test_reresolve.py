"""Re-resolution (SPEC §12, design §9): block_identifier and the split, forget_identifier
and forget_customer, each through the application login and as the superuser; the split
killed with SIGKILL mid-run and rerun; the split beside live resolve calls; the CLI.

The issue's example: 300 sales of 300 different people who all gave the shop's landline
become one customer; blocking that phone and reconciling gives 300 customers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from tests_py.support import surface_form_hits

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "harness.cli"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
LANDLINE = "(11) 3456-7890"
TENANT = "shop"


def sale(i: int, **extra) -> dict:
    row = {"shop_id": "s1", "external_id": f"order-{i}", "buyer_email": f"Person{i:03d}@Mail.com",
           "buyer_phone": LANDLINE, "buyer_name": f"Person {i}", "amount": "10.00", "currency": "BRL",
           "created_at": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"}
    row.update(extra)
    return row


def ingest(conn, rows: list[dict], tenant: str = TENANT):
    return conn.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)",
                        (tenant, json.dumps(rows))).fetchone()


def reconcile(db, batch: int = 5000) -> None:
    while db.scalar("SELECT omni_identity.reconcile_merges(%s)", batch):
        pass


def load_landline_shop(db, login: str, n: int = 300) -> None:
    """Sale 0 alone first (its keys are the oldest), then the others in two batches. The
    over-merge guard is off for the tenant (generic_threshold 0): this is the over-merge
    that only a block undoes."""
    with db.connect_as(login, TENANT) as app:
        app.execute("SELECT omni_identity.set_setting(%s, 'generic_threshold', '0')", (TENANT,))
        ingest(app, [sale(0)])
        ingest(app, [sale(i) for i in range(1, n // 2)])
        ingest(app, [sale(i) for i in range(n // 2, n)])
    reconcile(db)   # applies the threshold set (generic_applied): later reconciles start clean
    assert db.scalar("SELECT count(DISTINCT customer_hash) FROM omni_sales WHERE tenant_id = %s", TENANT) == 1


def check_split(db, n: int, original) -> None:
    """The state after the landline's block and a full reconcile."""
    rows = db.rows("""
        SELECT s.external_id, s.customer_hash, k.cluster_id
          FROM omni_sales s
          LEFT JOIN omni_identity.customer_cluster_keys k
            ON k.tenant_id = s.tenant_id AND k.key_type = 'email'
           AND k.key_value = omni_identity.normalize_email(s.buyer_email)
         WHERE s.tenant_id = %s""", TENANT)
    assert len(rows) == n
    assert all(r[1] is not None and r[1] == r[2] for r in rows), "every sale is on its e-mail's cluster"
    assert len({r[1] for r in rows}) == n, "300 customers"
    # The oldest key (sale 0's e-mail and phone, same created_at; 'email' < 'phone') keeps the id.
    assert dict((r[0], r[1]) for r in rows)["order-0"] == original
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_splits"
                     " WHERE tenant_id = %s AND from_cluster = %s AND reconciled_at IS NOT NULL", TENANT, original) == n - 1
    # A new cluster's created_at is its oldest key's.
    assert db.scalar("""
        SELECT count(*) FROM omni_identity.customer_cluster c
         WHERE c.tenant_id = %s AND c.merged_into IS NULL
           AND c.created_at <> (SELECT min(k.created_at) FROM omni_identity.customer_cluster_keys k
                                 WHERE k.tenant_id = c.tenant_id AND k.cluster_id = c.cluster_id)""", TENANT) == 0
    # Golden records from evidence: each customer's own e-mail and name; no phone.
    bad = db.rows("""
        SELECT s.external_id, c.last_buyer_email, c.last_buyer_name, c.last_buyer_phone
          FROM omni_sales s JOIN omni_identity.customer_cluster c
            ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash
         WHERE s.tenant_id = %s
           AND (c.last_buyer_email IS DISTINCT FROM lower(s.buyer_email)
                OR c.last_buyer_name IS DISTINCT FROM s.buyer_name
                OR c.last_buyer_email_at IS DISTINCT FROM s.created_at
                OR c.last_buyer_phone IS NOT NULL)""", TENANT)
    assert bad == []
    assert db.scalar("SELECT omni_identity.reconcile_remaining()") == 0


def test_block_landline_splits_300_customers(db, app_login):
    load_landline_shop(db, app_login)
    original = db.scalar("SELECT customer_hash FROM omni_sales WHERE tenant_id = %s LIMIT 1", TENANT)
    with db.connect_as(app_login, TENANT) as app:
        queued = app.execute("SELECT omni_identity.block_identifier(%s, 'phone', %s, 'shop landline')",
                             (TENANT, LANDLINE)).fetchone()[0]
    assert queued == 1
    assert db.scalar("SELECT omni_identity.reconcile_remaining()") == 1
    reconcile(db)
    check_split(db, 300, original)
    # Blocked values are never stored again: a new sale with the landline links nothing.
    with db.connect_as(app_login, TENANT) as app:
        ingest(app, [sale(0, external_id="order-x", buyer_email="new@mail.com")])
        assert app.execute("SELECT omni_identity.resolve_customer_cluster(%s, NULL, %s)",
                           (TENANT, LANDLINE)).fetchone()[0] is None
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE key_type = 'phone'") == 0
    assert db.scalar("SELECT count(*) FROM omni_identity.key_evidence WHERE key_type = 'phone'") == 0


def test_blocklist_rows_inserted_directly_apply_at_reconcile(db):
    load_landline_shop(db, "superuser", 40)
    original = db.scalar("SELECT customer_hash FROM omni_sales WHERE tenant_id = %s LIMIT 1", TENANT)
    # Nothing changed: a reconcile sweeps nothing and splits nothing.
    assert db.scalar("SELECT omni_identity.reconcile_merges(100)") == 0
    # A tenant regex row, inserted straight into the table.
    db.execute("INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)"
               " VALUES (%s, 'phone', '^\\+5511345', true)", TENANT)
    reconcile(db)
    assert db.scalar("SELECT count(DISTINCT customer_hash) FROM omni_sales WHERE tenant_id = %s", TENANT) == 40
    assert db.scalar("SELECT customer_hash FROM omni_sales WHERE tenant_id = %s AND external_id = 'order-0'",
                     TENANT) == original
    assert db.scalar("SELECT reason FROM omni_identity.customer_cluster_splits LIMIT 1") == "blocklist"
    assert db.scalar("SELECT omni_identity.blocklist_sweep_next()") is None, "swept once, not again"
    # Removing the row affects future inputs only: the split stays.
    db.execute("DELETE FROM omni_identity.key_blocklist WHERE tenant_id = %s", TENANT)
    reconcile(db)
    assert db.scalar("SELECT count(DISTINCT customer_hash) FROM omni_sales WHERE tenant_id = %s", TENANT) == 40


def test_global_blocklist_row_sweeps_every_tenant(db):
    for tenant in ("g1", "g2"):
        ingest(db.conn, [sale(i) for i in range(5)], tenant)
    db.execute("INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern)"
               " VALUES (NULL, 'phone', '+551134567890')")
    reconcile(db, 2)
    assert db.rows("SELECT tenant_id, count(DISTINCT customer_hash) FROM omni_sales GROUP BY 1 ORDER BY 1") == \
        [("g1", 5), ("g2", 5)]


FORGET_ROWS = [
    {"shop_id": "s1", "external_id": "f-1", "buyer_email": " Ana.Forget@Mailbox.COM.br ", "buyer_phone": "(11) 98888-7777",
     "buyer_document": "529.982.247-25", "buyer_name": "Ana Esquecida", "amount": "10.00", "currency": "BRL",
     "created_at": "2026-01-01T00:00:00Z"},
    {"shop_id": "s1", "external_id": "f-2", "buyer_email": "ana.forget@mailbox.com.br", "buyer_phone": "+55 11 3222-1111",
     "buyer_name": "Ana Esquecida", "amount": "20.00", "currency": "BRL", "created_at": "2026-01-02T00:00:00Z"},
    # A reject holding the e-mail (bad amount).
    {"shop_id": "s1", "external_id": "f-3", "buyer_email": "ANA.FORGET@mailbox.com.br", "amount": "lots",
     "created_at": "2026-01-03T00:00:00Z"},
    # Another customer who typed Ana's e-mail as his name.
    {"shop_id": "s1", "external_id": "other", "buyer_email": "bob@mailbox.com.br", "buyer_phone": "(11) 97777-6666",
     "buyer_name": "ana.forget@MAILBOX.com.br", "amount": "5.00", "currency": "BRL",
     "created_at": "2026-01-04T00:00:00Z"},
]
EMAIL_FORMS = ["ana.forget@mailbox.com.br"]
PHONE_FORMS = ["98888-7777", "988887777", "5511988887777"]
DOCUMENT_FORMS = ["529.982.247-25", "52998224725"]


def test_forget_identifier_erases_every_copy(db, app_login):
    with db.connect_as(app_login, TENANT) as app:
        ingest(app, FORGET_ROWS)
        app.execute("SELECT omni_identity.compare_customer_reports(%s)", (TENANT,))
        assert surface_form_hits(db.conn, EMAIL_FORMS)
        keys, sales, queued = app.execute(
            "SELECT * FROM omni_identity.forget_identifier(%s, 'email', 'Ana.Forget@mailbox.com.br')", (TENANT,)).fetchone()
    assert (keys, sales, queued) == (1, 3, 1)
    assert surface_form_hits(db.conn, EMAIL_FORMS) == []
    assert db.scalar("SELECT count(*) FROM omni_sales WHERE tenant_id = %s", TENANT) == 3, "sales are kept"
    assert db.scalar("SELECT sum(amount) FROM omni_sales WHERE tenant_id = %s", TENANT) == 35
    reconcile(db)
    # f-1 keeps its phone and document, f-2 its phone: two customers again (the e-mail linked them).
    assert db.scalar("SELECT count(DISTINCT customer_hash) FROM omni_sales WHERE external_id IN ('f-1', 'f-2')") == 2
    # A replay of the original rows brings nothing back. (Not bob's: ingest redacts a
    # forgotten value from the buyer column of its type only, so his name, which is Ana's
    # e-mail, would be stored again.)
    with db.connect_as(app_login, TENANT) as app:
        ingest(app, FORGET_ROWS[:3])
        app.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'ana.forget@mailbox.com.br')", (TENANT,))
    reconcile(db)
    assert surface_form_hits(db.conn, EMAIL_FORMS) == []
    assert db.scalar("SELECT count(*) FROM omni_identity.sales_rejects WHERE tenant_id = %s", TENANT) == 1


def test_forget_customer_erases_the_customer(db, app_login):
    with db.connect_as(app_login, TENANT) as app:
        ingest(app, FORGET_ROWS)
        cluster = app.execute("SELECT customer_hash FROM omni_sales WHERE external_id = 'f-1'").fetchone()[0]
        keys, sales, queued = app.execute("SELECT * FROM omni_identity.forget_customer(%s, %s)",
                                          (TENANT, cluster)).fetchone()
    # e-mail, two phones, document; f-1, f-2, and bob's name; the cluster.
    assert (keys, sales, queued) == (4, 3, 1)
    forms = EMAIL_FORMS + PHONE_FORMS + DOCUMENT_FORMS + ["3222-1111", "Ana Esquecida"]
    assert surface_form_hits(db.conn, forms) == []
    assert db.rows("SELECT external_id, customer_hash, buyer_email FROM omni_sales"
                   " WHERE external_id IN ('f-1', 'f-2') ORDER BY 1") == [("f-1", None, None), ("f-2", None, None)]
    assert db.scalar("SELECT buyer_email FROM omni_sales WHERE external_id = 'other'") == "bob@mailbox.com.br"
    assert db.scalar("SELECT count(*) FROM omni_identity.forgotten_identifiers") == 4
    reconcile(db)
    with db.connect_as(app_login, TENANT) as app:
        ingest(app, FORGET_ROWS[:3])
    reconcile(db)
    assert surface_form_hits(db.conn, EMAIL_FORMS + PHONE_FORMS + DOCUMENT_FORMS + ["3222-1111"]) == []


def test_forget_follows_merged_away_ids_and_other_tenants_keep_theirs(db):
    ingest(db.conn, FORGET_ROWS, "other-tenant")
    with db.connect_as("app", TENANT) as app:
        a = app.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'x1@mailbox.com.br')", (TENANT,)).fetchone()[0]
        app.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'x2@mailbox.com.br')", (TENANT,))
        app.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'x1@mailbox.com.br', NULL, '52998224725')", (TENANT,))
        app.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'x2@mailbox.com.br', NULL, '52998224725')", (TENANT,))
        merged = db.scalar("SELECT cluster_id FROM omni_identity.customer_cluster"
                           " WHERE tenant_id = %s AND merged_into IS NOT NULL", TENANT)
        assert merged is not None
        assert app.execute("SELECT keys_forgotten FROM omni_identity.forget_customer(%s, %s)",
                           (TENANT, merged)).fetchone()[0] == 3
        with pytest.raises(psycopg.Error) as err:
            app.execute("SELECT * FROM omni_identity.forget_customer(%s, %s)", ("other-tenant", a))
        assert err.value.sqlstate == "OI002"
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE tenant_id = %s", TENANT) == 0
    assert db.scalar("SELECT count(*) FROM omni_sales WHERE tenant_id = 'other-tenant'"
                     " AND buyer_document = '529.982.247-25'") == 1


def test_split_killed_then_rerun(db, job_login):
    load_landline_shop(db, "superuser")
    original = db.scalar("SELECT customer_hash FROM omni_sales WHERE tenant_id = %s LIMIT 1", TENANT)
    db.execute("SELECT omni_identity.block_identifier(%s, 'phone', %s)", TENANT, LANDLINE)
    dsn = db.login_dsn(job_login)
    proc = subprocess.Popen(CLI + ["reconcile", "--batch-size", "20", "--dsn", dsn],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
    try:
        first = proc.stdout.readline()   # printed only after the batch committed
        assert "committed" in first, (first, proc.stderr.read() if proc.poll() is not None else "")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert db.scalar("SELECT omni_identity.reconcile_remaining()") > 0, "killed mid-run: work is left"
    rerun = subprocess.run(CLI + ["reconcile", "--batch-size", "20", "--dsn", dsn],
                           capture_output=True, text=True, env=ENV, cwd=ROOT)
    assert rerun.returncode == 0, rerun.stderr
    check_split(db, 300, original)


def test_split_beside_live_resolves(db, app_login):
    """Four application connections resolve buyers of the split cluster (with new phones:
    they link and merge while the split runs) and new buyers, while two reconcile workers
    split and repoint; afterwards every invariant holds."""
    load_landline_shop(db, "superuser", 200)
    db.execute("SELECT omni_identity.block_identifier(%s, 'phone', %s)", TENANT, LANDLINE)
    started = threading.Event()
    errors: list[BaseException] = []

    def resolver(w: int) -> None:
        try:
            with db.connect_as(app_login, TENANT) as c:
                for i in range(60):
                    c.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, NULL, %s)",
                              (TENANT, f"person{(w * 60 + i) % 200:03d}@mail.com",
                               f"+55 11 9{w}{i:03d}-0000" if i % 3 else None, f"R {w} {i}"))
                    c.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s)", (TENANT, f"new{w}-{i}@mail.com"))
                    started.set()
        except BaseException as exc:
            errors.append(exc)

    def reconciler() -> None:
        try:
            started.wait(60)
            with db.connect_as("job" if app_login == "app" else "superuser") as c:
                while c.execute("SELECT omni_identity.reconcile_merges(7)").fetchone()[0]:
                    pass
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=resolver, args=(w,)) for w in range(4)]
    threads += [threading.Thread(target=reconciler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    retryable = [e for e in errors if getattr(e, "sqlstate", None) in ("OI035", "55P03", "40P01")]
    assert errors == retryable, errors
    reconcile(db)
    # Every key on a live cluster; every original sale on its e-mail's cluster.
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_keys k JOIN omni_identity.customer_cluster c"
                     " USING (tenant_id, cluster_id) WHERE c.merged_into IS NOT NULL") == 0
    assert db.scalar("""
        SELECT count(*) FROM omni_sales s
          LEFT JOIN omni_identity.customer_cluster_keys k
            ON k.tenant_id = s.tenant_id AND k.key_type = 'email'
           AND k.key_value = omni_identity.normalize_email(s.buyer_email)
         WHERE s.tenant_id = %s AND s.customer_hash IS DISTINCT FROM k.cluster_id""", TENANT) == 0
    # The landline links nobody: 200 customers, each with its own e-mail.
    assert db.scalar("SELECT count(DISTINCT customer_hash) FROM omni_sales WHERE tenant_id = %s", TENANT) == 200
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE key_value = '+551134567890'") == 0


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + list(args), capture_output=True, text=True, env=ENV, cwd=ROOT)


def test_cli_block_forget_reconcile(db):
    load_landline_shop(db, "superuser", 30)
    dsn = db.login_dsn("app")
    out = run_cli("block", "--tenant", TENANT, "--phone", LANDLINE, "--reason", "landline", "--dsn", dsn)
    assert out.returncode == 0, out.stderr
    assert "1 cluster(s) queued" in out.stdout
    out = run_cli("reconcile", "--dsn", db.login_dsn("job"))
    assert out.returncode == 0, out.stderr
    assert "1 cluster(s) split into 29 new, 29 sale(s) repointed" in out.stdout
    out = run_cli("forget", "--tenant", TENANT, "--email", "person003@mail.com", "--dsn", dsn)
    assert out.returncode == 0, out.stderr
    assert "1 key(s) forgotten, 1 sale(s) redacted, 1 cluster(s) queued" in out.stdout
    cluster = db.scalar("SELECT customer_hash FROM omni_sales WHERE external_id = 'order-4'")
    out = run_cli("forget", "--tenant", TENANT, "--cluster", str(cluster), "--dsn", dsn)
    assert out.returncode == 0, out.stderr
    assert f"forgot customer {cluster}" in out.stdout and "1 key(s) forgotten, 1 sale(s) redacted" in out.stdout
    # Errors: 1 with the package's SQLSTATE; usage: 2.
    out = run_cli("forget", "--tenant", TENANT, "--email", "not-an-email", "--dsn", dsn)
    assert out.returncode == 1 and "[OI056]" in out.stderr
    out = run_cli("forget", "--tenant", TENANT, "--cluster", "00000000-0000-0000-0000-000000000000", "--dsn", dsn)
    assert out.returncode == 1 and "[OI058]" in out.stderr
    out = run_cli("forget", "--tenant", TENANT, "--cluster", "nope", "--dsn", dsn)
    assert out.returncode == 1 and "UUID" in out.stderr
    assert run_cli("forget", "--tenant", TENANT, "--dsn", dsn).returncode == 2
    assert run_cli("block", "--tenant", TENANT, "--email", "a@b.com", "--phone", "1", "--dsn", dsn).returncode == 2
