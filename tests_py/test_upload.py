"""omni-identity upload: CSV through COPY into the ingest core; rejects by line number,
header and encoding errors as one message, idempotent re-upload, the shipped sample."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from harness import cmd_jobs
from harness.errors import HarnessError
from tests_py.test_tenancy import Login

ROOT = Path(__file__).resolve().parents[1]
HEADER = "shop_id,external_id,created_at,buyer_email,buyer_phone,buyer_name,amount\n"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_upload_reports_rejects_by_line(db, tmp_path):
    f = tmp_path / "sales.csv"
    f.write_text(
        HEADER
        + 's1,a1,2024-01-01T10:00:00Z,ana@x.com,,"Ana\nSouza",10.00\n'      # lines 2-3: quoted newline
        + "s1,a2,2024-01-31,,(11) 98765-4321,,abc\n"                           # line 4: amount
        + "s1,,2024-01-02,bob@x.com,,,1\n"                                       # line 5: no external_id
        + "s1,a3,2024-01-03,Ana@X.com,11987654321,,5\n"                          # line 6
        + "s1,a4,2024-01-03,extra,,,5,too many\n"                                # line 7: field count
        + "\n"                                                                   # line 8: blank, skipped
        + "s1,a5,31/12/2024,c@x.com,,,1\n",                                      # line 9: date format
        encoding="utf-8")
    r = cmd_jobs.upload(db.dsn, f, "up", batch_size=2)
    assert (r.inserted, r.updated, r.rejected) == (2, 0, 4)
    assert [line for line, _ in r.rejects] == [4, 5, 7, 9]
    assert r.rejects[0][1].startswith("amount") and r.rejects[1][1].startswith("external_id")
    assert r.rejects[2][1].startswith("expected 7 fields")
    assert len(r.batches) == 3          # 6 records, 2 per batch
    assert db.scalar("SELECT count(*) FROM omni_identity.batch_metrics WHERE job = 'upload' AND tenant_id = 'up'") == 3
    assert db.scalar("SELECT buyer_name FROM public.omni_sales WHERE external_id = 'a1'") == "Ana\nSouza"
    assert db.scalar("SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE external_id IN ('a1', 'a3')") == 1
    again = cmd_jobs.upload(db.dsn, f, "up", batch_size=100)
    assert (again.inserted, again.updated, again.rejected) == (0, 0, 4)
    # The rerun stores no reject twice; the summary's counts come from batch_metrics.
    assert (again.unchanged, again.rejects_known, again.rejects) == (2, 4, [])
    assert db.scalar("SELECT count(*) FROM omni_identity.sales_rejects WHERE tenant_id = 'up'") == 4


def test_upload_cli_messages_and_exit_codes(db, tmp_path):
    bad_header = tmp_path / "h.csv"
    bad_header.write_text("shop,external_id,created_at\ns1,a,2024-01-01\n", encoding="utf-8")
    r = cli("upload", str(bad_header), "--tenant", "up", "--dsn", db.dsn)
    assert r.returncode == 1
    assert "header mismatch" in r.stderr and "'shop'" in r.stderr and "shop_id" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1

    latin = tmp_path / "l.csv"
    latin.write_bytes(HEADER.encode() + "s1,a,2024-01-01,,,Jos\u00e9,1\n".encode("latin-1"))
    r = cli("upload", str(latin), "--tenant", "up", "--dsn", db.dsn)
    assert r.returncode == 1 and "not valid UTF-8" in r.stderr
    assert db.scalar("SELECT count(*) FROM public.omni_sales") == 0   # nothing half-loaded

    r = cli("upload", str(ROOT / "docs" / "sample-sales.csv"), "--tenant", "sample", "--dsn", db.dsn)
    assert r.returncode == 0, r.stderr
    summary = r.stdout.strip().splitlines()[-1]
    assert "196 inserted" in summary and "4 rejected" in summary
    assert sum(1 for line in r.stdout.splitlines() if line.startswith("line ")) == 4
    assert cli("upload", "--tenant", "x").returncode == 2


def test_upload_needs_a_tenant_and_a_file(db, tmp_path):
    with pytest.raises(HarnessError):
        cmd_jobs.upload(db.dsn, tmp_path / "missing.csv", "up")
    empty = tmp_path / "e.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(HarnessError, match="empty"):
        cmd_jobs.upload(db.dsn, empty, "up")


def test_bad_values_are_rejects_and_a_rerun_stores_them_once(db, tmp_path):
    """A 3 kB status (btree limit: 54000), an amount of 16,384 digits, a leap second: each
    is its line's reject, the batches around it commit; a rerun of the file — as an
    application login through the CLI — reports the same rejects without storing them
    again and counts the unchanged lines."""
    f = tmp_path / "sales.csv"
    f.write_text(
        "shop_id,external_id,created_at,status,amount\n"
        "s1,b1,2024-01-01T10:00:00Z,paid,10.00\n"                               # line 2
        f"s1,b2,2024-01-01T10:00:00Z,{secrets.token_hex(1500)},10.00\n"         # line 3: status 3 kB
        f"s1,b3,2024-01-01T10:00:00Z,paid,{'9' * 16384}\n"                      # line 4: amount
        "s1,b4,2016-12-31T23:59:60Z,paid,1\n"                                    # line 5: leap second
        "s1,b5,2024-01-02,paid,2\n"                                              # line 6
        "s1,b6,2024-01-03,,abc\n",                                               # line 7: amount
        encoding="utf-8")
    first = cmd_jobs.upload(db.dsn, f, "up", batch_size=2)
    assert (first.inserted, first.updated, first.unchanged, first.rejected, first.rejects_known) == (2, 0, 0, 4, 0)
    assert [(line, reason.split(" ")[0]) for line, reason in first.rejects] == [
        (3, "status"), (4, "amount"), (5, "created_at"), (7, "amount")]
    assert "out of range" in first.rejects[1][1]
    login = Login(db, "omni_identity_app")
    try:
        parts = conninfo_to_dict(db.dsn)
        parts["user"] = login.name
        parts.pop("password", None)
        r = cli("upload", str(f), "--tenant", "up", "--batch-size", "4", "--dsn", make_conninfo(**parts))
    finally:
        login.drop()
    assert r.returncode == 0, r.stderr
    summary = r.stdout.strip().splitlines()[-1]
    assert "0 inserted, 0 updated, 2 unchanged, 4 rejected (4 " in summary, summary
    assert db.scalar("SELECT count(*) FROM omni_identity.sales_rejects WHERE tenant_id = 'up'") == 4
    assert db.rows("SELECT rows_in, rows_unchanged, rows_rejected, rejects_known FROM omni_identity.batch_metrics"
                   " WHERE tenant_id = 'up' ORDER BY batch_id") == [
        (2, 0, 1, 0), (2, 0, 2, 0), (2, 0, 1, 0), (4, 1, 3, 3), (2, 1, 1, 1)]
