"""Ingest + backfill + reconcile against the union-find reference model.

A random data set is split at random between raw history (rows written straight into
public.omni_sales, clustered by backfill_customer_hash) and ingest_sales batches of
random sizes, with backfill batches of random size interleaved, resolve_customer_cluster
calls running from another connection meanwhile, and a resend. After the last backfill
and reconcile batch: the sales partition by customer_hash equals the model's components,
every keyed sale carries a live cluster, keyless sales carry NULL, no sale is lost or
duplicated, and golden records follow the model.
"""
from __future__ import annotations

import itertools
import json
import threading
from datetime import datetime, timedelta, timezone

import psycopg
from hypothesis import given, settings
from hypothesis import strategies as st

from tests_py.conftest import examples
from tests_py.reference.model import Model, shipped_blocklist

# Small pools in several surface forms, so sales collide often; invalid and blocked
# values included (they must not link anything).
EMAILS = ("ana@x.com", " ANA@X.com ", "bia@y.com.br", "caio@z.com", "Caio@Z.com",
          "teste@teste.com", "nao-e-email", "dani@w.com", "eva@example.com")
PHONES = ("(11) 98765-4321", "+55 11 98765-4321", "11 3333-4444", "(11) 1111-1111",
          "21987654321", "123", "0 21 21 98765 4321", "+1 415 555 2671")
DOCS = ("529.982.247-25", "52998224725", "123.456.789-09", "111.111.111-11",
        "11.222.333/0001-81", "390.533.447-05")
NAMES = ("Ana Souza", "  ana   souza ", "José", "!!", "Bia\tLima", "Caio")
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)

sale_st = st.fixed_dictionaries({
    "buyer_email": st.one_of(st.none(), st.sampled_from(EMAILS)),
    "buyer_phone": st.one_of(st.none(), st.sampled_from(PHONES)),
    "buyer_document": st.one_of(st.none(), st.sampled_from(DOCS)),
    "buyer_name": st.one_of(st.none(), st.sampled_from(NAMES)),
    "minute": st.integers(0, 5),           # few distinct times: ties in the golden record
})

_tenants = itertools.count()


def sale_row(i: int, s: dict, shop: str = "s1") -> dict:
    row = {"shop_id": shop, "external_id": f"e{i}",
           "created_at": (T0 + timedelta(minutes=s["minute"])).isoformat(), "amount": "10.00"}
    for k in ("buyer_email", "buyer_phone", "buyer_document", "buyer_name"):
        if s[k] is not None:
            row[k] = s[k]
    return row


def insert_history(conn, tenant: str, rows: list[dict]) -> None:
    """Rows written straight into omni_sales, as an older system (or an app) left them, by
    multi-row INSERT ... VALUES statements: on Citus an INSERT ... SELECT into omni_sales
    is written into the shards with COPY, which row-level security refuses to every role
    but a superuser, and one run through intermediate results fails at commit when
    automatic mode clustered the rows on the worker (docs/scale-out.md)."""
    cols = ("shop_id", "gateway", "external_id", "buyer_email", "buyer_phone", "buyer_name",
            "buyer_document", "amount", "created_at")
    for k in range(0, len(rows), 1000):
        chunk = rows[k:k + 1000]
        values = ", ".join(["(%s" + ", %s" * len(cols) + ")"] * len(chunk))
        params = [x for r in chunk
                  for x in (tenant, r["shop_id"], r.get("gateway") or "", r["external_id"], r.get("buyer_email"),
                            r.get("buyer_phone"), r.get("buyer_name"), r.get("buyer_document"), r.get("amount"),
                            r["created_at"])]
        conn.execute(f"INSERT INTO public.omni_sales (tenant_id, {', '.join(cols)}) VALUES {values}", params)


def check_against_model(db, tenant: str, sales: dict[str, tuple[int, dict]], model: Model,
                        golden: bool = True) -> None:
    """sales: external_id -> (model index, raw sale). Asserts every invariant of the pipeline
    (the golden records too unless golden=False)."""
    got = db.rows(
        "SELECT s.external_id, s.customer_hash, c.merged_into IS NULL AS live"
        "  FROM public.omni_sales s"
        "  LEFT JOIN omni_identity.customer_cluster c"
        "    ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash"
        " WHERE s.tenant_id = %s", tenant)
    ids = [r[0] for r in got]
    assert sorted(ids) == sorted(sales), "a sale was lost or duplicated"
    by_hash: dict = {}
    for ext, chash, live in got:
        idx = sales[ext][0]
        if model.has_keys(idx):
            assert chash is not None, f"keyed sale {ext} has no customer_hash"
            assert live, f"sale {ext} carries a merged-away cluster after reconcile"
            by_hash.setdefault(chash, set()).add(idx)
        else:
            assert chash is None, f"sale {ext} without keys carries {chash}"
    sale_idx = {i for i, _ in sales.values()}
    expected = {frozenset(c & sale_idx) for c in model.components() if c & sale_idx}
    assert {frozenset(v) for v in by_hash.values()} == expected

    # Golden records of the clusters that carry sales.
    for chash, members in (by_hash.items() if golden else ()):
        g = db.dicts(
            "SELECT last_buyer_email AS email, last_buyer_email_at AS email_at,"
            "       last_buyer_phone AS phone, last_buyer_phone_at AS phone_at,"
            "       last_buyer_document AS document, last_buyer_document_at AS document_at,"
            "       last_buyer_name AS name, last_buyer_name_at AS name_at"
            "  FROM omni_identity.customer_cluster WHERE tenant_id = %s AND cluster_id = %s",
            tenant, chash)[0]
        assert g == model.golden(next(iter(members)))

    # Keys point at live clusters only.
    assert db.scalar(
        "SELECT count(*) FROM omni_identity.customer_cluster_keys k"
        "  JOIN omni_identity.customer_cluster c USING (tenant_id, cluster_id)"
        " WHERE k.tenant_id = %s AND c.merged_into IS NOT NULL", tenant) == 0


def busy_retry(conn, sql: str, *args):
    """One job call beside live calls of its tenant: a batch refuses to queue for the
    tenant's lock (OI035) and is called again after the job loop's jittered pause."""
    from harness.cmd_jobs import RETRY_SQLSTATES, Backoff

    backoff = Backoff("test", 60.0)
    while True:
        try:
            return conn.execute(sql, args or None).fetchone()[0]
        except psycopg.Error as exc:
            if exc.sqlstate not in RETRY_SQLSTATES:
                raise
            backoff.retry(exc)


def drain(conn, sql: str, *args) -> int:
    total = 0
    while True:
        n = conn.execute(sql, args).fetchone()[0]
        if n == 0:
            return total
        total += n


@settings(max_examples=examples(25))
@given(data=st.data(),
       sales=st.lists(sale_st, min_size=1, max_size=40),
       resolves=st.lists(sale_st, max_size=8))
def test_ingest_backfill_reconcile_match_model(module_db, data, sales, resolves):
    tenant = f"m{next(_tenants)}"
    db = module_db
    model = Model(shipped_blocklist(db))
    index: dict[str, tuple[int, dict]] = {}
    rows = []
    for i, s in enumerate(sales):
        rows.append(sale_row(i, s))
        idx = model.add(email=s["buyer_email"], phone=s["buyer_phone"], document=s["buyer_document"],
                        name=s["buyer_name"], seen_at=T0 + timedelta(minutes=s["minute"]))
        index[f"e{i}"] = (idx, s)
    for s in resolves:
        model.add(email=s["buyer_email"], phone=s["buyer_phone"], document=s["buyer_document"],
                  name=s["buyer_name"], seen_at=T0 + timedelta(minutes=s["minute"]))

    in_history = data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)), label="history")
    history = [r for r, h in zip(rows, in_history) if h]
    fresh = [r for r, h in zip(rows, in_history) if not h]
    chunks = []
    while fresh:
        k = data.draw(st.integers(1, max(1, len(fresh))), label="ingest batch")
        chunks.append(fresh[:k])
        fresh = fresh[k:]
    bf_size = data.draw(st.integers(1, 15), label="backfill batch")
    # Order of the operations: ingest chunks and single backfill batches interleaved.
    ops = [("ingest", c) for c in chunks] + [("backfill", None)] * data.draw(st.integers(0, 4))
    ops = data.draw(st.permutations(ops), label="ops")

    with db.connect() as other:
        insert_history(db.conn, tenant, history)

        def resolve_all():
            for s in resolves:
                other.execute(
                    "SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, %s, %s, %s)",
                    (tenant, s["buyer_email"], s["buyer_phone"], s["buyer_document"], s["buyer_name"],
                     T0 + timedelta(minutes=s["minute"])))

        thread = threading.Thread(target=resolve_all)
        thread.start()
        try:
            for kind, chunk in ops:
                if kind == "ingest":
                    ins, upd, rej, _, _ = db.rows("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)",
                                                  tenant, json.dumps(chunk))[0]
                    assert (ins, upd, rej) == (len(chunk), 0, 0)
                else:
                    busy_retry(db.conn, "SELECT omni_identity.backfill_customer_hash(%s, %s)", tenant, bf_size)
        finally:
            thread.join()
        if chunks:  # a resend changes nothing
            before = db.rows("SELECT external_id, customer_hash FROM public.omni_sales WHERE tenant_id = %s ORDER BY 1", tenant)
            again = db.rows("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", tenant, json.dumps(chunks[0]))[0]
            assert again[:3] == (0, 0, 0)
            assert db.rows("SELECT external_id, customer_hash FROM public.omni_sales WHERE tenant_id = %s ORDER BY 1", tenant) == before

    drain(db.conn, "SELECT omni_identity.backfill_customer_hash(%s, %s)", tenant, bf_size)
    drain(db.conn, "SELECT omni_identity.reconcile_merges(%s)", data.draw(st.integers(1, 10), label="reconcile batch"))
    check_against_model(db, tenant, index, model)


def test_concurrent_ingest_backfill_and_resolve(db, app_login):
    """Ingest batches, two backfills (one tenant, and every tenant) and resolve calls run
    at once from four connections; the end state still equals the model. As the
    superuser, and as the logins: ingest and resolve as the application login, the
    backfills as the job login."""
    import random

    rng = random.Random(11)
    tenant = "conc"
    model = Model(shipped_blocklist(db))
    index: dict[str, tuple[int, dict]] = {}
    rows = []
    for i in range(400):
        s = {"buyer_email": rng.choice((None,) + EMAILS), "buyer_phone": rng.choice((None,) + PHONES),
             "buyer_document": rng.choice((None,) + DOCS), "buyer_name": rng.choice(NAMES),
             "minute": rng.randrange(6)}
        rows.append(sale_row(i, s))
        index[f"e{i}"] = (model.add(email=s["buyer_email"], phone=s["buyer_phone"], document=s["buyer_document"],
                                    name=s["buyer_name"], seen_at=T0 + timedelta(minutes=s["minute"])), s)
    resolves = []
    for _ in range(60):
        s = {"buyer_email": rng.choice((None,) + EMAILS), "buyer_phone": rng.choice((None,) + PHONES),
             "buyer_document": None, "buyer_name": None, "minute": rng.randrange(6)}
        resolves.append(s)
        model.add(email=s["buyer_email"], phone=s["buyer_phone"], seen_at=T0 + timedelta(minutes=s["minute"]))
    history, fresh = rows[::2], rows[1::2]
    insert_history(db.conn, tenant, history)
    errors: list[BaseException] = []

    def run(fn, job=False):
        login = "job" if job and app_login != "superuser" else app_login
        def wrapped():
            try:
                with db.connect_as(login, None if job else tenant) as c:
                    fn(c)
            except BaseException as exc:
                errors.append(exc)
        return threading.Thread(target=wrapped)

    def ingest(c):
        for k in range(0, len(fresh), 17):
            c.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", (tenant, json.dumps(fresh[k:k + 17])))

    def backfill_tenant(c):
        while busy_retry(c, "SELECT omni_identity.backfill_customer_hash(%s, 13)", tenant):
            pass

    def backfill_all(c):
        while busy_retry(c, "SELECT omni_identity.backfill_customer_hash(NULL, 29)"):
            pass

    def resolve(c):
        for s in resolves:
            c.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, NULL, NULL, %s)",
                      (tenant, s["buyer_email"], s["buyer_phone"], T0 + timedelta(minutes=s["minute"])))

    threads = [run(ingest), run(backfill_tenant, job=True), run(backfill_all, job=True), run(resolve)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    drain(db.conn, "SELECT omni_identity.backfill_customer_hash(NULL, %s)", 50)
    drain(db.conn, "SELECT omni_identity.reconcile_merges(%s)", 7)
    check_against_model(db, tenant, index, model)
