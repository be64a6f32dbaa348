"""CLI: omni-identity report and sales, against the SQL functions they call."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

from harness.cli import main
from tests_py.test_report import sale
from tests_py.test_query_buyer import load_tenant


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_report_formats_and_versions(db, capsys):
    load_tenant(db, "t1", [sale("ana@x.com", "11987654321", hours=1, amount="5.00"),
                           sale("ana2@x.com", "11987654321", hours=2, amount="7.50", shop="s2"),
                           sale(None, None, hours=3, amount="1.00")])
    code, out, _ = run(capsys, "report", "--tenant", "t1", "--v2", "--format", "json", "--dsn", db.dsn)
    assert code == 0
    rows = json.loads(out)
    want = db.dicts("SELECT * FROM omni_identity.customer_report_v2('t1')")
    assert [(r["cluster_id"], r["orders"], Decimal(r["total_amount"])) for r in rows] == \
        [(w["cluster_id"] and str(w["cluster_id"]), w["orders"], w["total_amount"]) for w in want]

    code, out, _ = run(capsys, "report", "--tenant", "t1", "--format", "csv", "--dsn", db.dsn)   # flag off: v1
    table = list(csv.DictReader(io.StringIO(out)))
    assert [(r["email"], r["orders"]) for r in table] == [("ana2@x.com", "1"), ("ana@x.com", "1"), ("", "1")]

    code, out, _ = run(capsys, "report", "--tenant", "t1", "--v2", "--email", " ANA@X.COM", "--dsn", db.dsn)
    assert code == 0 and "ana" in out and "2 order(s), total 12.50" in out.splitlines()[-1]


def test_sales_pages_with_the_printed_cursor(db, capsys):
    load_tenant(db, "t1", [sale("ana@x.com", hours=h) for h in range(5)])
    seen, after = [], None
    for _ in range(5):
        argv = ["sales", "--tenant", "t1", "--email", "Ana@x.com", "--limit", "2", "--format", "json",
                "--dsn", db.dsn] + (["--after", after] if after else [])
        code, out, _ = run(capsys, *argv)
        assert code == 0
        doc = json.loads(out)
        seen += [r["id"] for r in doc["rows"]]
        if doc["next_after"] is None:
            break
        after = json.dumps(doc["next_after"])
    assert seen == db.column("SELECT id FROM omni_identity.abstraction_buyer_v1('t1', '{\"email\": \"ana@x.com\"}')")
    assert len(seen) == 5

    code, out, _ = run(capsys, "sales", "--tenant", "t1", "--limit", "2", "--dsn", db.dsn)
    assert code == 0 and "next page: --after '" in out


def test_sales_errors_exit_1_with_the_sqlstate(db, capsys):
    code, _, err = run(capsys, "sales", "--tenant", "t1", "--limit", "0", "--dsn", db.dsn)
    assert code == 1 and "OI040" in err
    code, _, err = run(capsys, "sales", "--tenant", "t1", "--after", "{nope", "--dsn", db.dsn)
    assert code == 1 and "--after" in err
    code, _, err = run(capsys, "sales", "--tenant", "t1", "--after", '{"id": 1}', "--dsn", db.dsn)
    assert code == 1 and "OI043" in err


def test_sales_cursor_is_the_query_apis_own(db, capsys):
    # Sub-second times: the cursor must name the last row to the microsecond, as SQL writes it.
    sales = [sale("ana@x.com", hours=h) for h in range(3)]
    for i, s in enumerate(sales):
        s["created_at"] += dt.timedelta(milliseconds=120 * (i + 1))
    load_tenant(db, "t1", sales)
    code, out, _ = run(capsys, "sales", "--tenant", "t1", "--limit", "2", "--format", "json", "--dsn", db.dsn)
    assert code == 0
    doc = json.loads(out)
    last = doc["rows"][-1]["id"]
    assert doc["next_after"] == db.scalar(
        "SELECT omni_identity.query_page_cursor(created_at, id) FROM public.omni_sales WHERE id = %s", last)
    code, out, _ = run(capsys, "sales", "--tenant", "t1", "--limit", "2", "--dsn", db.dsn)
    assert f"next page: --after '{json.dumps(doc['next_after'])}'" in out
