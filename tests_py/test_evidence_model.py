"""Evidence recorded by every input path against the reference (tests_py/reference/evidence.py).

Random sales go through resolve_customer_cluster (several connections at once), ingest_sales,
the CSV upload's SQL path (COPY into oi_copied_sales + ingest_copied_sales), automatic mode
(direct INSERTs with auto_resolve on) and the backfill (direct INSERTs with it off), in a
random order, with resends (ingest and upload batches sent again, the backfill drained
twice), tenant blocklist rows (exact and regex) and tombstones in place from the start.
Then key_evidence and key_pairs equal the evidence of the list of inputs, each counted once,
removed keys never recorded; and no omni_sales row written by ingest, upload, automatic
mode or the backfill holds a forgotten value in its buyer column.
Runs as the superuser and as the application login (resolve, ingest, upload, automatic
mode) with the backfill as the job login.
"""
from __future__ import annotations

import itertools
import json
import threading
from datetime import datetime, timedelta, timezone

import psycopg
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cmd_jobs import COPY_TABLE
from tests_py.conftest import examples
from tests_py.reference import normalize as ref
from tests_py.reference.evidence import Input, Rules, assert_matches, evidence, stored_evidence
from tests_py.reference.model import shipped_blocklist
from tests_py.support import name_tenant
from tests_py.test_backfill_model import busy_retry, drain

EMAILS = ("ana@x.com", " ANA@X.com ", "bia@y.com.br", "caio@z.com", "Caio@Z.com",
          "teste@teste.com", "nao-e-email", "dani@w.com", "eva@blocked.example", "gil@v.com")
PHONES = ("(11) 98765-4321", "+55 11 98765-4321", "11 3333-4444", "(11) 1111-1111",
          "21987654321", "123", "+1 415 555 2671")
DOCS = ("529.982.247-25", "52998224725", "123.456.789-09", "11.222.333/0001-81", "390.533.447-05")
NAMES = ("Ana Souza", "  ana   souza ", "José", "!!", "Bia\tLima", "Caio")
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
PATHS = ("resolve", "ingest", "upload", "auto", "backfill")

# The tenant's own blocklist rows and tombstones (set before any input).
TENANT_BLOCKLIST = (("email", "caio@z.com", False), ("email", "@blocked[.]example$", True))
FORGOTTEN = (("email", "bia@y.com.br"), ("phone", "+5521987654321"), ("document", "39053344705"))

# People: a sale mostly takes some of one person's identifiers (so pairs repeat, within a
# batch and across paths), sometimes any value of the pools.
PEOPLE = (("ana@x.com", "(11) 98765-4321", "529.982.247-25"),
          (" ANA@X.com ", "+55 11 98765-4321", "11.222.333/0001-81"),
          ("dani@w.com", "11 3333-4444", "52998224725"),
          ("caio@z.com", "21987654321", "390.533.447-05"),
          ("gil@v.com", "+1 415 555 2671", "123.456.789-09"),
          ("bia@y.com.br", "(11) 1111-1111", "390.533.447-05"))


@st.composite
def sale_st(draw):
    person = draw(st.sampled_from(PEOPLE))
    sale = {}
    for col, mine, pool in zip(("buyer_email", "buyer_phone", "buyer_document"), person, (EMAILS, PHONES, DOCS)):
        sale[col] = draw(st.one_of(st.none(), st.just(mine), st.just(mine), st.sampled_from(pool)))
    sale["buyer_name"] = draw(st.one_of(st.none(), st.sampled_from(NAMES)))
    sale["minute"] = draw(st.integers(0, 5))
    sale["path"] = draw(st.sampled_from(PATHS))
    return sale


_tenants = itertools.count()
COLUMNS = ("buyer_email", "buyer_phone", "buyer_document", "buyer_name")


def row_of(i: int, s: dict) -> dict:
    row = {"shop_id": "s1", "external_id": f"e{i}", "created_at": (T0 + timedelta(minutes=s["minute"])).isoformat()}
    row.update({k: s[k] for k in COLUMNS if s[k] is not None})
    return row


def insert_direct(conn, tenant: str, rows: list[dict]) -> None:
    """One multi-row INSERT ... VALUES, as an application writes (on Citus an INSERT ...
    SELECT is run as a COPY, committed in two phases, which automatic mode refuses)."""
    if not rows:
        return
    cols = ("shop_id", "external_id", "buyer_email", "buyer_phone", "buyer_name", "buyer_document", "created_at")
    conn.execute(
        "INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_phone, buyer_name,"
        " buyer_document, created_at) VALUES "
        + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s::timestamptz)"] * len(rows)),
        [v for r in rows for v in (tenant, *(r.get(c) for c in cols))])


def upload(conn, tenant: str, rows: list[dict]) -> tuple:
    """The CLI's SQL path of one upload batch, in one transaction."""
    while True:
        try:
            with conn.transaction():
                name_tenant(conn, tenant)
                conn.execute(COPY_TABLE)
                with conn.cursor().copy("COPY oi_copied_sales (row_no, reject_reason, shop_id, external_id,"
                                        " created_at, buyer_email, buyer_phone, buyer_document, buyer_name,"
                                        " status) FROM STDIN") as copy:
                    for n, r in enumerate(rows, start=2):
                        copy.write_row([n, None, r["shop_id"], r["external_id"], r["created_at"],
                                        *(r.get(k) for k in ("buyer_email", "buyer_phone", "buyer_document",
                                                             "buyer_name", "status"))])
                return conn.execute("SELECT * FROM omni_identity.ingest_copied_sales(%s)", (tenant,)).fetchone()
        except psycopg.Error as exc:
            if exc.sqlstate != "OI035":
                raise


def ingest(conn, tenant: str, rows: list[dict]) -> tuple:
    return busy_retry_row(conn, "SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", tenant, json.dumps(rows))


def busy_retry_row(conn, sql: str, *args):
    while True:
        try:
            return conn.execute(sql, args).fetchone()
        except psycopg.Error as exc:
            if exc.sqlstate != "OI035":
                raise


@settings(max_examples=examples(12))
@given(data=st.data(), sales=st.lists(sale_st(), min_size=1, max_size=30))
def test_evidence_of_every_path_matches_reference(module_db, app_login, data, sales):
    db = module_db
    tenant = f"ev{next(_tenants)}"
    db.execute("INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)"
               " SELECT %s, t, p, rx FROM unnest(%s::text[], %s::text[], %s::boolean[]) AS u(t, p, rx)"
               # RETURNING: on Citus the rows reach the reference table's copies by INSERTs,
               # not by a COPY, which the validating trigger's subtransaction breaks.
               " RETURNING 1",
               tenant, [r[0] for r in TENANT_BLOCKLIST], [r[1] for r in TENANT_BLOCKLIST],
               [r[2] for r in TENANT_BLOCKLIST])
    db.execute("INSERT INTO omni_identity.forgotten_identifiers (tenant_id, key_type, value_sha256)"
               " SELECT %s, t, omni_identity.value_sha256(v) FROM unnest(%s::text[], %s::text[]) AS u(t, v)",
               tenant, [f[0] for f in FORGOTTEN], [f[1] for f in FORGOTTEN])
    rules = Rules(shipped_blocklist(db) + TENANT_BLOCKLIST, frozenset(FORGOTTEN))

    by_path: dict[str, list[tuple[int, dict]]] = {p: [] for p in PATHS}
    for i, s in enumerate(sales):
        by_path[s["path"]].append((i, s))
    # Batches: ingest and upload in chunks (some sent twice), direct inserts for automatic
    # mode and for the backfill, in a random order; resolve calls from 3 connections meanwhile.
    ops = []
    for path in ("ingest", "upload", "auto", "backfill"):
        items = by_path[path]
        while items:
            k = data.draw(st.integers(1, len(items)), label=f"{path} batch")
            ops.append((path, [row_of(i, s) for i, s in items[:k]]))
            items = items[k:]
    # A resend is the same rows, or the same rows with a new status (not an input either).
    resends = []
    for p, rows in ops:
        if p in ("ingest", "upload") and data.draw(st.booleans(), label="resend"):
            if data.draw(st.booleans(), label="resend changes the status"):
                rows = [dict(r, status="refunded") for r in rows]
            resends.append((p, rows))
    ops += resends
    ops = data.draw(st.permutations(ops), label="ops")
    resolves = [s for _, s in by_path["resolve"]]
    lanes = [resolves[j::3] for j in range(3)]

    conns = [db.connect_as(app_login, tenant) for _ in range(4)]
    job = db.connect_as("job" if app_login == "app" else "superuser")
    errors: list[BaseException] = []

    def resolve_lane(conn, lane):
        try:
            for s in lane:
                conn.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, %s, %s, %s)",
                             (tenant, s["buyer_email"], s["buyer_phone"], s["buyer_document"], s["buyer_name"],
                              T0 + timedelta(minutes=s["minute"])))
        except BaseException as exc:   # surfaced after join
            errors.append(exc)

    threads = [threading.Thread(target=resolve_lane, args=(c, lane)) for c, lane in zip(conns[1:], lanes)]
    try:
        for t in threads:
            t.start()
        main = conns[0]
        for path, rows in ops:
            if path == "ingest":
                ingest(main, tenant, rows)
            elif path == "upload":
                upload(main.conn if hasattr(main, "conn") else main, tenant, rows)
            elif path == "auto":
                with main.transaction():
                    if hasattr(main, "conn"):
                        name_tenant(main.conn, tenant)
                    main.execute("SELECT omni_identity.set_flag(%s, 'auto_resolve', true)", (tenant,))
                    insert_direct(main, tenant, rows)
                    main.execute("SELECT omni_identity.set_flag(%s, 'auto_resolve', false)", (tenant,))
            else:
                insert_direct(db.conn, tenant, rows)
                busy_retry(job, "SELECT omni_identity.backfill_customer_hash(%s, %s)", tenant, 7)
        for t in threads:
            t.join()
        assert not errors, errors
        drain(job, "SELECT omni_identity.backfill_customer_hash(%s, %s)", tenant, 7)
        drain(job, "SELECT omni_identity.backfill_customer_hash(%s, %s)", tenant, 3)
        # Evidence = the tables plus the unfolded log (design §9.1): fold, as the
        # application login, then compare the tables.
        busy_retry_row(conns[0], "SELECT omni_identity.evidence_fold(%s)", tenant)
        assert db.scalar("SELECT count(*) FROM omni_identity.resolve_evidence_log WHERE tenant_id = %s",
                         tenant) == 0
    finally:
        for c in conns + [job]:
            c.close()

    ids = dict(db.rows("SELECT external_id, id FROM public.omni_sales WHERE tenant_id = %s", tenant))
    inputs = [Input(s["buyer_email"], s["buyer_phone"], s["buyer_document"], s["buyer_name"],
                    T0 + timedelta(minutes=s["minute"]), ids.get(f"e{i}"))
              for i, s in enumerate(sales)]
    assert len(ids) == sum(1 for s in sales if s["path"] != "resolve")
    assert_matches(stored_evidence(db, tenant), evidence(inputs, rules))
    # The status of a sale is the one of the last batch that carried it.
    last_status = {r["external_id"]: r.get("status") for p, rows in ops if p in ("ingest", "upload") for r in rows}
    refunded = {ext for ext, status in last_status.items() if status}
    assert refunded == set(db.scalar("SELECT coalesce(array_agg(external_id), '{}') FROM public.omni_sales"
                                     " WHERE tenant_id = %s AND status = 'refunded'", tenant))

    # Forgotten values are stored as NULL by every batch path.
    normal = {"buyer_email": ref.email, "buyer_phone": ref.phone, "buyer_document": ref.document}
    kind = {"buyer_email": "email", "buyer_phone": "phone", "buyer_document": "document"}
    for ext, *cols in db.rows("SELECT external_id, buyer_email, buyer_phone, buyer_document FROM public.omni_sales"
                              " WHERE tenant_id = %s", tenant):
        i = int(ext[1:])
        for col, got in zip(("buyer_email", "buyer_phone", "buyer_document"), cols):
            raw = sales[i][col]
            value = normal[col](raw) if raw is not None else None
            if value is not None and (kind[col], value) in rules.forgotten:
                assert got is None, (ext, col, got)
            else:
                assert got == raw, (ext, col, got, raw)
