"""omni-identity upload: CSV through COPY into the ingest core; rejects by line number,
header and encoding errors as one message, idempotent re-upload, the shipped sample."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import cmd_jobs
from harness.errors import HarnessError

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
