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
from tests_py.support import name_tenant
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


def test_a_byte_that_is_not_utf8_is_reported_on_its_own_line(db, tmp_path):
    """Block decoding blamed line 1 (the decoder reads ahead); the line is the one with the byte."""
    latin = tmp_path / "l.csv"
    latin.write_bytes(HEADER.encode() + b"s1,a1,2024-01-01,,,Ana,1\n"
                      + "s1,a2,2024-01-02,,,Jos\u00e9,1\n".encode("latin-1") + b"s1,a3,2024-01-03,,,Bia,1\n")
    with pytest.raises(HarnessError) as err:
        cmd_jobs.upload(db.dsn, latin, "up")
    assert "at line 3 (byte 0xe9)" in str(err.value)
    assert db.scalar("SELECT count(*) FROM public.omni_sales") == 0   # checked before the first batch
    crlf = tmp_path / "crlf.csv"      # any line ending counts as one line
    crlf.write_bytes(HEADER.encode().replace(b"\n", b"\r\n") + b"s1,a1,2024-01-01,,,Ana,1\r\n"
                     + b"s1,a2,2024-01-01,,,\"Ana\r\nSouza\",1\r\n" + b"s1,a3,2024-01-01,,,Jos\xe9,1\r\n")
    with pytest.raises(HarnessError, match=r"at line 5 \(byte 0xe9\)"):
        cmd_jobs.upload(db.dsn, crlf, "up")


def test_a_stray_quote_is_a_reject_naming_the_lines_it_swallowed(db, tmp_path):
    f = tmp_path / "q.csv"
    f.write_text(
        HEADER
        + "s1,a1,2024-01-01,,,Ana,1\n"                  # line 2
        + 's1,a2,2024-01-02,,,"Bob,1\n'                  # line 3: a quote opens, never closed here,
        + "s1,a3,2024-01-03,,,Carl,1\n"                  # line 4  ... swallows these lines
        + 's1,a4,2024-01-04,,,Dan",1\n'                  # line 5  ... and closes as a field end: 7 fields
        + "s1,a5,2024-01-05,,,Eva,1\n"                   # line 6
        + 's1,a6,2024-01-06,,,"Fay\n'                    # line 7: opens again
        + "s1,a7,2024-01-07,,,Gus,1\n"                   # line 8
        + 's1,a8,2024-01-08,,,"Hal",1\n'                 # line 9: the quote before Hal closes it: text follows
        + 's1,a9,2024-01-09,,,"Ivo\nSouza",1\n'          # lines 10-11: a real quoted line break
        + 's1,a10,2024-01-10,,,"Jo\n',                   # line 12: open at the end of the file
        encoding="utf-8")
    r = cmd_jobs.upload(db.dsn, f, "up", batch_size=3)
    assert [line for line, _ in r.rejects] == [3, 7, 12]
    reasons = dict(r.rejects)
    assert reasons[3].startswith("lines 3-5: ") and "stray quote" in reasons[3]
    assert reasons[7].startswith("lines 7-9: ") and "stray quote" in reasons[7]
    assert "end of the file" in reasons[12]
    assert db.column("SELECT external_id FROM public.omni_sales ORDER BY id") == ["a1", "a5", "a9"]
    assert db.scalar("SELECT buyer_name FROM public.omni_sales WHERE external_id = 'a9'") == "Ivo\nSouza"


def test_a_nul_byte_or_an_oversized_field_rejects_its_line_only(db, tmp_path):
    f = tmp_path / "n.csv"
    f.write_text(
        HEADER
        + "s1,a1,2024-01-01,,,Ana,1\n"                              # line 2
        + "s1,a2,2024-01-02,,,Bo\x00b,1\n"                          # line 3: NUL
        + "s1,a3,2024-01-03,,," + "x" * 131_073 + ",1\n"            # line 4: over csv's field limit
        + "s1,a4,2024-01-04,,,Dan,1\n",                             # line 5
        encoding="utf-8")
    r = cmd_jobs.upload(db.dsn, f, "up", batch_size=2)
    assert (r.inserted, r.rejected) == (2, 2)
    assert [line for line, _ in r.rejects] == [3, 4]
    assert "NUL" in r.rejects[0][1] and "131,072" in r.rejects[1][1]
    assert db.column("SELECT external_id FROM public.omni_sales ORDER BY id") == ["a1", "a4"]
    raw = db.scalar("SELECT raw FROM omni_identity.sales_rejects WHERE row_no = 3")
    assert raw["external_id"] == "a2" and raw["buyer_name"] == "Bo\ufffdb"


def test_ingest_copied_sales_is_the_public_csv_path(db, tmp_path):
    """As an application login: one transaction names the tenant, COPYs into the documented
    temp table and ingests it; the table is gone at commit; errors are the package's."""
    from tests_py.test_tenancy import Login, sqlstate

    login = Login(db, "omni_identity_app")
    try:
        conn = login.connect()
        with conn.transaction():
            name_tenant(conn, 'cp')
            conn.execute(cmd_jobs.COPY_TABLE)
            with conn.cursor().copy("COPY oi_copied_sales (row_no, reject_reason, shop_id, external_id,"
                                    " created_at, buyer_email) FROM STDIN") as copy:
                copy.write_row([2, None, "s", "c1", "2024-01-01", "ana@x.com"])
                copy.write_row([3, None, "s", "c2", "2024-01-02", "Ana@x.com"])
                copy.write_row([4, "found bad by the caller", "s", "c3", "2024-01-03", None])
            ins, upd, rej, clu, mer, batch = conn.execute(
                "SELECT * FROM omni_identity.ingest_copied_sales('cp')").fetchone()
            assert (ins, upd, rej, clu) == (2, 0, 1, 2)
            assert conn.execute("SELECT row_no, reason FROM omni_identity.sales_rejects WHERE batch_id = %s",
                                (batch,)).fetchall() == [(4, "found bad by the caller")]
        assert conn.execute("SELECT to_regclass('pg_temp.oi_copied_sales')").fetchone()[0] is None
        assert db.scalar("SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE tenant_id = 'cp'") == 1
        assert db.scalar("SELECT job FROM omni_identity.batch_metrics WHERE batch_id = %s", batch) == "upload"

        def call(setup: str, tenant: str = "cp") -> str | None:
            with conn.transaction():
                name_tenant(conn, 'cp')
                if setup:
                    conn.execute(setup)
                return sqlstate(conn, "SELECT * FROM omni_identity.ingest_copied_sales(%s)", tenant)

        assert call("") == "OI070"
        assert call("CREATE TEMP TABLE oi_copied_sales (row_no integer, shop_id text) ON COMMIT DROP") == "OI070"
        assert call("CREATE TEMP TABLE oi_copied_sales (row_no integer NOT NULL, reject_reason text,"
                    " shop_id text, gateway text, external_id text, buyer_email text, buyer_phone text,"
                    " buyer_name text, buyer_document text, product_id text, status text,"
                    " amount numeric, currency text, created_at text) ON COMMIT DROP") == "OI070"
        assert call(cmd_jobs.COPY_TABLE, tenant="other") == "OI002"
        assert call(cmd_jobs.COPY_TABLE + "; INSERT INTO oi_copied_sales (row_no)"
                    " SELECT g FROM generate_series(1, 100001) g") == "OI071"
        conn.close()
    finally:
        login.drop()
