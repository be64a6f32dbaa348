"""Re-resolution against the reference model (SPEC section 12, design §9).

Random interleavings of inputs through every path — resolve_customer_cluster,
ingest_sales, the CSV path in SQL (copied_sales_table + ingest_copied_sales), raw rows
taken by the backfill, automatic mode — with block_identifier, rows inserted straight into
key_blocklist, forget_identifier and forget_customer at random points, reconciles in
between, and steps run from several connections at once. After the final backfill and
reconcile: the sales partition (as a set partition of sale ids, and which are NULL), the
clusters' key sets, their golden records and the evidence's counts (each input once)
equal the model, which computes them from the final evidence and removed keys alone
(tests_py/reference/model.py); no text or json column of the package's tables or
omni_sales holds a surface form of a forgotten value; and a replay of the original rows (ingest and CSV re-sent) changes none of that.
Run as the application login (inputs, block, forget) and the job login (backfill,
reconcile), and as the superuser.
"""
from __future__ import annotations

import itertools
import json
import threading
from datetime import datetime, timedelta, timezone

import psycopg
from hypothesis import given, settings
from hypothesis import strategies as st

from tests_py.reference.model import Model, shipped_blocklist
from tests_py.reference import normalize as ref
from tests_py.support import name_tenant, text_columns
from tests_py.test_backfill_model import busy_retry, insert_history

EMAILS = ("ana@x.com", " ANA@X.com ", "bia@y.com.br", "caio@z.com", "Caio@Z.com",
          "teste@teste.com", "nao-e-email", "dani@w.com")
PHONES = ("(11) 98765-4321", "+55 11 98765-4321", "11 3333-4444", "21987654321", "123",
          "(31) 99999-0001")
DOCS = ("529.982.247-25", "52998224725", "390.533.447-05", "111.111.111-11")
NAMES = ("Ana Souza", "  ana   souza ", "José", "Bia\tLima", None)
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
NORMALIZE = {"email": ref.email, "phone": ref.phone, "document": ref.document}
POOLS = {"email": EMAILS, "phone": PHONES, "document": DOCS}

inp = st.fixed_dictionaries({
    "buyer_email": st.one_of(st.none(), st.sampled_from(EMAILS)),
    "buyer_phone": st.one_of(st.none(), st.sampled_from(PHONES)),
    "buyer_document": st.one_of(st.none(), st.sampled_from(DOCS)),
    "buyer_name": st.sampled_from(NAMES),
    "minute": st.integers(0, 4),
})
# Block and forget take values that normalize (others are an error, tested in pgTAP).
key_choice = st.sampled_from([(t, v) for t, pool in POOLS.items() for v in pool if NORMALIZE[t](v) is not None])
# Rows the test inserts straight into key_blocklist (plaintext it writes itself): their
# values are never forgotten, so the erasure scan is about what the package stores.
BLOCK_ROWS = [("email", "^bia@", True), ("phone", "+551133334444", False), ("document", "39053344705", False)]
forget_choice = st.sampled_from([(t, v) for t, pool in POOLS.items() for v in pool
                                 if NORMALIZE[t](v) is not None
                                 and (t, NORMALIZE[t](v)) not in {(r[0], r[1]) for r in BLOCK_ROWS}])
input_step = st.tuples(st.sampled_from(["resolve", "ingest", "upload", "raw", "auto"]),
                       st.lists(inp, min_size=1, max_size=4))
# Inputs four times as likely as each other kind of step, so removals hit linked keys.
step = st.one_of(
    input_step, input_step, input_step, input_step,
    st.tuples(st.just("block"), key_choice),
    st.tuples(st.just("forget"), forget_choice),
    st.tuples(st.just("blockrow"), st.sampled_from(BLOCK_ROWS)),
    st.tuples(st.just("forget_customer"), st.integers(0, 1000)),
    st.tuples(st.just("reconcile"), st.none()),
    st.tuples(st.just("backfill"), st.none()),
)
_tenants = itertools.count()


def _row(ext: str, s: dict) -> dict:
    row = {"shop_id": "s1", "external_id": ext, "amount": "10.00",
           "created_at": (T0 + timedelta(minutes=s["minute"])).isoformat()}
    for k in ("buyer_email", "buyer_phone", "buyer_document", "buyer_name"):
        if s[k] is not None:
            row[k] = s[k]
    return row


class Run:
    """One example: a tenant, its connections, the model and the inputs sent."""

    def __init__(self, db, tenant: str, app_login: str, job_login: str):
        self.db = db
        self.tenant = tenant
        self.model = Model(shipped_blocklist(db))
        self.app = [db.connect_as(app_login, tenant) for _ in range(2)]
        self.job = db.connect_as(job_login, None)
        self.sales: dict[str, int] = {}          # external_id -> model input
        self.resent: list[tuple[str, list[dict]]] = []
        self.forgotten: set[tuple[str, str]] = set()
        self.n = 0

    def close(self):
        for c in self.app + [self.job]:
            c.close()

    def _sale_inputs(self, kind: str, items: list[dict]) -> list[dict]:
        rows = []
        for s in items:
            ext = f"{kind}{self.n}"
            self.n += 1
            self.sales[ext] = self.model.add(email=s["buyer_email"], phone=s["buyer_phone"],
                                             document=s["buyer_document"], name=s["buyer_name"],
                                             seen_at=T0 + timedelta(minutes=s["minute"]))
            rows.append(_row(ext, s))
        return rows

    # Inputs. The model records each input once; the order of inputs does not matter.
    def do(self, conn, op: str, arg) -> None:
        t = self.tenant
        if op == "resolve":
            for s in arg:
                self.model.add(email=s["buyer_email"], phone=s["buyer_phone"], document=s["buyer_document"],
                               name=s["buyer_name"], seen_at=T0 + timedelta(minutes=s["minute"]))
                conn.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, %s, %s, %s)",
                             (t, s["buyer_email"], s["buyer_phone"], s["buyer_document"], s["buyer_name"],
                              T0 + timedelta(minutes=s["minute"])))
        elif op == "ingest":
            rows = self._sale_inputs("i", arg)
            self.resent.append(("ingest", rows))
            busy_retry(conn, "SELECT inserted FROM omni_identity.ingest_sales(%s, %s::jsonb)", t, json.dumps(rows))
        elif op == "upload":
            rows = self._sale_inputs("u", arg)
            self.resent.append(("upload", rows))
            self._upload(conn, rows)
        elif op == "raw":
            insert_history(conn, t, self._sale_inputs("r", arg))
        elif op == "auto":
            rows = self._sale_inputs("a", arg)
            with conn.transaction():
                name_tenant(conn, t)
                conn.execute("SELECT omni_identity.set_flag(%s, 'auto_resolve', true)", (t,))
                insert_history(conn, t, rows)
                conn.execute("SELECT omni_identity.set_flag(%s, 'auto_resolve', false)", (t,))

    def _upload(self, conn, rows: list[dict]) -> None:
        cols = ["row_no", "shop_id", "external_id", "created_at", "amount",
                "buyer_email", "buyer_phone", "buyer_document", "buyer_name"]
        while True:
            try:
                with conn.transaction():
                    name_tenant(conn, self.tenant)
                    conn.execute("SELECT omni_identity.copied_sales_table()")
                    with conn.cursor().copy(f"COPY oi_copied_sales ({', '.join(cols)}) FROM STDIN") as cp:
                        for i, r in enumerate(rows, 1):
                            cp.write_row([i] + [r.get(c) for c in cols[1:]])
                    conn.execute("SELECT * FROM omni_identity.ingest_copied_sales(%s)", (self.tenant,))
                return
            except psycopg.Error as exc:
                if exc.sqlstate != "OI035":
                    raise

    # Removals: the model removes the same keys.
    def remove(self, conn, op: str, arg) -> None:
        t = self.tenant
        if op == "block":
            key_type, raw = arg
            busy_retry(conn, "SELECT omni_identity.block_identifier(%s, %s, %s, 'test')", t, key_type, raw)
            self.model.block(key_type, raw)
        elif op == "forget":
            key_type, raw = arg
            busy_retry(conn, "SELECT keys_forgotten FROM omni_identity.forget_identifier(%s, %s, %s)",
                       t, key_type, raw)
            k = self.model.forget(key_type, raw)
            if k is not None:
                self.forgotten.add(k)
        elif op == "blockrow":
            key_type, pattern, is_regex = arg
            if not is_regex and (key_type, pattern) in self.forgotten:
                # Writing a forgotten value's plaintext into the blocklist is the writer's own
                # act (forget_customer may have forgotten a value of BLOCK_ROWS); the erasure
                # scan is about what the package stores.
                return
            self.db.execute("INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)"
                            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING", t, key_type, pattern, is_regex)
            self.model.add_blocklist_row(key_type, pattern, is_regex)
        elif op == "forget_customer":
            # The live clusters of the tenant's sales, by a join (on Citus a function that
            # reads a distributed table, current_cluster, cannot run per row of a query
            # pushed down to a shard).
            live = self.db.column("SELECT DISTINCT coalesce(c.merged_into, c.cluster_id)"
                                  "  FROM public.omni_sales s JOIN omni_identity.customer_cluster c"
                                  "    ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash"
                                  " WHERE s.tenant_id = %s ORDER BY 1", t)
            if not live:
                return
            cid = live[arg % len(live)]
            keys = self.db.rows("SELECT key_type, key_value FROM omni_identity.customer_cluster_keys"
                                " WHERE tenant_id = %s AND cluster_id = %s", t, cid)
            busy_retry(conn, "SELECT keys_forgotten FROM omni_identity.forget_customer(%s, %s)", t, cid)
            self.model.forget_keys(keys)
            self.forgotten.update(keys)

    def drain(self) -> None:
        busy_retry_loop(self.job, "SELECT omni_identity.backfill_customer_hash(%s, 7)", self.tenant)
        busy_retry_loop(self.job, "SELECT omni_identity.reconcile_merges(5)")
        self.model.reconcile()


def busy_retry_loop(conn, sql: str, *args) -> None:
    while busy_retry(conn, sql, *args):
        pass


def check(run: Run) -> None:
    db, t, model = run.db, run.tenant, run.model
    got = db.rows("SELECT external_id, customer_hash FROM public.omni_sales WHERE tenant_id = %s", t)
    assert sorted(e for e, _ in got) == sorted(run.sales), "a sale was lost or duplicated"
    groups: dict = {}
    nulls = set()
    for ext, h in got:
        (groups.setdefault(h, set()).add(run.sales[ext]) if h is not None else nulls.add(run.sales[ext]))
    want_groups, want_nulls = model.sale_partition(run.sales.values())
    assert nulls == want_nulls, "sales with customer_hash NULL"
    assert {frozenset(g) for g in groups.values()} == want_groups, "sales partition"
    assert db.scalar("SELECT count(*) FROM public.omni_sales s JOIN omni_identity.customer_cluster c"
                     "  ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash"
                     " WHERE s.tenant_id = %s AND c.merged_into IS NOT NULL", t) == 0, "a sale on a merged-away cluster"

    keys: dict = {}
    for cid, kt, kv in db.rows("SELECT cluster_id, key_type, key_value FROM omni_identity.customer_cluster_keys"
                               " WHERE tenant_id = %s", t):
        keys.setdefault(cid, set()).add((kt, kv))
    assert {frozenset(k) for k in keys.values()} == set(model.key_partition()), "clusters' keys"
    for cid, ks in keys.items():
        g = db.dicts("SELECT last_buyer_email AS email, last_buyer_email_at AS email_at,"
                     "       last_buyer_phone AS phone, last_buyer_phone_at AS phone_at,"
                     "       last_buyer_document AS document, last_buyer_document_at AS document_at,"
                     "       last_buyer_name AS name, last_buyer_name_at AS name_at"
                     "  FROM omni_identity.customer_cluster WHERE tenant_id = %s AND cluster_id = %s", t, cid)[0]
        assert g == model.golden_of_keys(ks), f"golden record of {sorted(ks)}"
    scan_forgotten(db, t, run.forgotten)
    check_counts(run)


def check_counts(run: Run) -> None:
    """Evidence counts each input once (design §9.4): per key its inputs and its linked_*
    counters, per pair its seen_count, equal the model's, whatever path and order recorded
    them (a sale left without a cluster by generic keys must not be recorded again by the
    backfill that later picks it, when a key is active again or not)."""
    db, t, ev = run.db, run.tenant, run.model.evidence
    db.scalar("SELECT omni_identity.evidence_fold(%s)", t)    # evidence = the tables + the log
    got_keys = {(r[0], r[1]): tuple(r[2:]) for r in db.rows(
        "SELECT key_type, key_value, inputs, linked_emails, linked_phones, linked_documents"
        "  FROM omni_identity.key_evidence WHERE tenant_id = %s", t)}
    want_keys = {k: (e["inputs"],) + tuple(run.model.linked(k)[x] for x in ("email", "phone", "document"))
                 for k, e in ev.keys.items()}
    assert got_keys == want_keys, "key_evidence: inputs, linked_emails/phones/documents"
    got_pairs = {frozenset({(r[0], r[1]), (r[2], r[3])}): r[4] for r in db.rows(
        "SELECT a_type, a_value, b_type, b_value, seen_count FROM omni_identity.key_pairs WHERE tenant_id = %s", t)}
    want_pairs = {frozenset(p): e["seen_count"] for p, e in ev.pairs.items()}
    assert got_pairs == want_pairs, "key_pairs: seen_count"


def surface_forms(key: tuple[str, str]) -> set[str]:
    """The forms a forgotten value was given in (every pool string normalizing to it), its
    normalized form, and for a phone its digits (with and without the country code)."""
    kt, v = key
    forms = {v} | {raw.strip() for raw in POOLS[kt] if NORMALIZE[kt](raw) == v}
    if kt == "phone":
        forms |= {v.lstrip("+"), v.lstrip("+")[2:]}
    return forms


def scan_forgotten(db, tenant: str, forgotten: set[tuple[str, str]]) -> None:
    """No text-like column (support.text_columns: the catalog's, so a column added later is
    scanned too) of the tenant's rows of the package's tables or omni_sales holds a surface
    form of a forgotten value (case-insensitive substring). Per tenant: the examples share
    one database and one pool of values."""
    forms = sorted({f.lower() for k in forgotten for f in surface_forms(k)})
    if not forms:
        return
    for nsp, rel, col in text_columns(db.conn):
        hits = db.rows(f'SELECT DISTINCT f FROM "{nsp}"."{rel}" t, unnest(%s::text[]) f'
                       f' WHERE t.tenant_id = %s AND strpos(lower(t."{col}"::text), f) > 0', forms, tenant)
        assert not hits, f"{nsp}.{rel}.{col} still holds {hits}"


@settings(max_examples=25, deadline=None)
@given(steps=st.lists(step, min_size=6, max_size=16), parallel=st.lists(st.booleans(), min_size=16, max_size=16))
def test_reresolution_matches_model(module_db, app_login, steps, parallel):
    login_job = "superuser" if app_login == "superuser" else "job"
    run = Run(module_db, f"rr{next(_tenants)}-{app_login}", app_login, login_job)
    try:
        i = 0
        while i < len(steps):
            op, arg = steps[i]
            # Two consecutive input steps at once, on two connections (inputs commute).
            if (parallel[i] and i + 1 < len(steps) and op in INPUTS and steps[i + 1][0] in INPUTS):
                errors: list = []

                def go(conn, s):
                    try:
                        run.do(conn, *s)
                    except BaseException as exc:   # reported below
                        errors.append(exc)
                threads = [threading.Thread(target=go, args=(run.app[j], steps[i + j])) for j in (0, 1)]
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                assert not errors, errors
                i += 2
                continue
            if op in INPUTS:
                run.do(run.app[0], op, arg)
            elif op == "reconcile":
                busy_retry_loop(run.job, "SELECT omni_identity.reconcile_merges(5)")
                run.model.reconcile()
            elif op == "backfill":
                busy_retry_loop(run.job, "SELECT omni_identity.backfill_customer_hash(%s, 7)", run.tenant)
            else:
                run.remove(run.app[1], op, arg)
            i += 1
        run.drain()
        check(run)

        # A replay of the original rows (ingest and CSV re-sent) changes nothing of that.
        for kind, rows in run.resent:
            if kind == "ingest":
                busy_retry(run.app[0], "SELECT inserted FROM omni_identity.ingest_sales(%s, %s::jsonb)",
                           run.tenant, json.dumps(rows))
            else:
                run._upload(run.app[0], rows)
        run.drain()
        check(run)
    finally:
        run.close()


INPUTS = {"resolve", "ingest", "upload", "raw", "auto"}


def _scenario(db, app_login: str, steps: list) -> Run:
    run = Run(db, f"rrx{next(_tenants)}-{app_login}", app_login, "superuser" if app_login == "superuser" else "job")
    for op, arg in steps:
        if op in INPUTS:
            run.do(run.app[0], op, arg)
        else:
            run.remove(run.app[1], op, arg)
    run.drain()
    return run


def _s(email=None, phone=None, document=None, name=None, minute=0) -> dict:
    return {"buyer_email": email, "buyer_phone": phone, "buyer_document": document,
            "buyer_name": name, "minute": minute}


def test_block_and_forget_examples(module_db, app_login):
    """Fixed cases the property must cover: a shared phone blocked splits its cluster
    (the e-mails' sides keep their own golden records); a forgotten e-mail leaves its
    sale with the phone only; forget_customer leaves its sales NULL."""
    run = _scenario(module_db, app_login, [
        ("ingest", [_s("ana@x.com", "(11) 98765-4321", name="Ana Souza", minute=1),
                    _s("bia@y.com.br", "+55 11 98765-4321", name="Bia\tLima", minute=2)]),
        ("resolve", [_s("caio@z.com", "(31) 99999-0001", minute=3)]),
        ("raw", [_s("caio@z.com", minute=4)]),
        ("block", ("phone", "(11) 98765-4321")),
        ("forget", ("email", "bia@y.com.br")),
    ])
    try:
        groups, nulls = run.model.sale_partition(run.sales.values())
        assert len(groups) == 2 and len(nulls) == 1, (groups, nulls)   # ana | caio ; bia (phone blocked, e-mail forgotten)
        check(run)
        run.remove(run.app[1], "forget_customer", 0)
        run.drain()
        check(run)
        assert run.db.scalar("SELECT count(*) FROM public.omni_sales WHERE tenant_id = %s"
                             "   AND customer_hash IS NOT NULL", run.tenant) == 1
    finally:
        run.close()
