"""Two tenants' traffic interleaved at random, with the same identifiers in both: resolve
and ingest as an application login of each tenant, raw inserts by the application,
backfill and reconcile as the admin login, queries. At the end each tenant's clusters equal its own
reference model (tests_py/reference/model.py), and nothing crosses between tenants."""
from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests_py.conftest import examples
from tests_py.reference.model import Model, shipped_blocklist
from tests_py.test_tenancy import as_tenant

# A small pool, so inputs collide often; the same pool in both tenants.
EMAILS = [None, "ana@shop.com", "ANA@shop.com ", "bob@shop.com", "cat@shop.com", "teste@teste.com", "not-an-email"]
PHONES = [None, "11987654321", "+55 (11) 98765-4321", "21998765432", "(21) 3333-4444", "11999999999"]
DOCUMENTS = [None, "529.982.247-25", "11144477735", "39053344705", "12345678909", "123"]
NAMES = [None, "Ana", "Bob  Silva", "Cat"]
BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)

buyer = st.fixed_dictionaries({
    "email": st.sampled_from(EMAILS), "phone": st.sampled_from(PHONES),
    "document": st.sampled_from(DOCUMENTS), "name": st.sampled_from(NAMES),
    "minute": st.integers(0, 50),
})
tenant = st.sampled_from("ab")
operation = st.one_of(
    st.tuples(st.just("resolve"), tenant, buyer),
    st.tuples(st.just("ingest"), tenant, st.lists(buyer, min_size=1, max_size=3)),
    st.tuples(st.just("resend"), tenant),                 # re-send a sale already ingested
    st.tuples(st.just("insert"), tenant, buyer),          # written by the application directly
    st.tuples(st.just("backfill"), tenant),
    st.tuples(st.just("reconcile"), tenant),              # cross-tenant job; the tenant is ignored
    st.tuples(st.just("query"), tenant, st.sampled_from(EMAILS[1:5])),
)

_run = itertools.count()


@pytest.fixture(scope="module")
def logins(module_db):
    """The shared application and job logins (tests_py/support.py); each application
    transaction below names its tenant with as_tenant (SET LOCAL)."""
    with module_db.connect_as("app") as app, module_db.connect_as("job") as admin:
        yield app, admin


class Tenant:
    """One tenant's side: its name, its reference model and what each input became."""

    def __init__(self, name: str, blocklist):
        self.name = name
        self.model = Model(blocklist)
        self.inputs: dict[int, tuple[str, object]] = {}   # model index -> ('resolve', uuid) | ('sale', external_id)
        self.raw: dict[int, dict] = {}                      # model index -> its raw identifiers
        self.sales: list[dict] = []
        self.next_sale = 0

    def sale(self, b: dict) -> dict:
        self.next_sale += 1
        return {"shop_id": "shop", "external_id": f"order-{self.next_sale}", "buyer_email": b["email"],
                "buyer_phone": b["phone"], "buyer_document": b["document"], "buyer_name": b["name"],
                "amount": "10.00", "status": "paid",
                "created_at": (BASE + timedelta(minutes=b["minute"])).isoformat()}

    def add(self, b: dict, kind: str, ref) -> None:
        i = self.model.add(email=b["email"], phone=b["phone"], document=b["document"], name=b["name"],
                           seen_at=BASE + timedelta(minutes=b["minute"]))
        self.inputs[i] = (kind, ref)
        self.raw[i] = {"email": b["email"], "phone": b["phone"], "document": b["document"]}

    def root(self, i: int) -> int:
        """The model's root of input i's component (through any of its surviving keys)."""
        key_type, value = next(iter(self.model.keys_of(**self.raw[i]).items()))
        return self.model.keys()[(key_type, value)]


def drain(conn, query: str, *args) -> None:
    while conn.execute(query, args or None).fetchone()[0] > 0:
        pass


@settings(max_examples=examples(30))
@given(ops=st.lists(operation, min_size=1, max_size=14))
def test_two_tenants_interleaved_each_matches_its_own_model(module_db, logins, ops):
    app, admin = logins
    run = next(_run)
    tenants = {t: Tenant(f"{t}-{run}", shipped_blocklist(module_db)) for t in "ab"}

    for op in ops:
        kind, t = op[0], tenants[op[1]]
        if kind == "resolve":
            b = op[2]
            with as_tenant(app, t.name):
                cluster = app.execute(
                    "SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, %s, %s, %s)",
                    (t.name, b["email"], b["phone"], b["document"], b["name"],
                     BASE + timedelta(minutes=b["minute"]))).fetchone()[0]
            t.add(b, "resolve", cluster)
            assert (cluster is None) == (not t.model.has_keys(len(t.model) - 1))
        elif kind in ("ingest", "resend"):
            if kind == "ingest":
                rows = [t.sale(b) for b in op[2]]
                for b, row in zip(op[2], rows):
                    t.add(b, "sale", row["external_id"])
                t.sales.extend(rows)
            elif t.sales:
                rows = t.sales[-1:]
            else:
                continue
            with as_tenant(app, t.name):
                app.execute("SELECT * FROM omni_identity.ingest_sales(%s, %s::jsonb)", (t.name, json.dumps(rows)))
        elif kind == "insert":
            b = op[2]
            row = t.sale(b)
            with as_tenant(app, t.name):
                app.execute("""INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_phone,
                                                              buyer_document, buyer_name, amount, status, created_at)
                               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                            (t.name, row["shop_id"], row["external_id"], row["buyer_email"], row["buyer_phone"],
                             row["buyer_document"], row["buyer_name"], row["amount"], row["status"], row["created_at"]))
            t.add(b, "sale", row["external_id"])
            t.sales.append(row)
        elif kind == "backfill":
            drain(admin, "SELECT omni_identity.backfill_customer_hash(%s)", t.name)
        elif kind == "reconcile":
            drain(admin, "SELECT omni_identity.reconcile_merges()")
        elif kind == "query":
            with as_tenant(app, t.name):
                got = app.execute("SELECT tenant_id FROM omni_identity.abstraction_buyer_v2(%s, %s::jsonb, 1000)",
                                  (t.name, json.dumps({"email": op[2]}))).fetchall()
            assert {r[0] for r in got} <= {t.name}, "a query returned another tenant's sale"

    # Finish the jobs, then compare each tenant with its own model.
    for t in tenants.values():
        drain(admin, "SELECT omni_identity.backfill_customer_hash(%s)", t.name)
    drain(admin, "SELECT omni_identity.reconcile_merges()")

    for t in tenants.values():
        with as_tenant(app, t.name):
            hashes = dict(app.execute("SELECT external_id, customer_hash FROM public.omni_sales").fetchall())
            keys = app.execute("""SELECT k.key_type, k.key_value, k.cluster_id, c.merged_into IS NULL
                                    FROM omni_identity.customer_cluster_keys k
                                    JOIN omni_identity.customer_cluster c USING (tenant_id, cluster_id)""").fetchall()
            golden = {r[0]: r[1:] for r in app.execute(
                """SELECT cluster_id, last_buyer_email, last_buyer_phone, last_buyer_document, last_buyer_name
                     FROM omni_identity.customer_cluster WHERE merged_into IS NULL""")}
            current = {}
            for i, (kind, ref) in t.inputs.items():
                if kind == "resolve" and ref is not None:
                    current[i] = app.execute("SELECT omni_identity.current_cluster(%s, %s)", (t.name, ref)).fetchone()[0]
        assert set(hashes) == {s["external_id"] for s in t.sales}, "the tenant sees exactly its own sales"
        assert all(live for *_, live in keys), "a key points at a merged-away cluster"

        # Keys: the same keys as the model, grouped the same way.
        model_keys = t.model.keys()
        assert {(kt, kv) for kt, kv, *_ in keys} == set(model_keys)
        db_of_root: dict[int, object] = {}
        for kt, kv, cluster, _ in keys:
            assert db_of_root.setdefault(model_keys[(kt, kv)], cluster) == cluster, "one model cluster split in the database"
        assert len(set(db_of_root.values())) == len(db_of_root), "two model clusters share a database cluster"

        # Golden records: each component's, from its own tenant's inputs only.
        for comp in t.model.components():
            want = t.model.golden_of(comp)
            cluster = db_of_root[t.root(next(iter(comp)))]
            assert golden[cluster] == (want["email"], want["phone"], want["document"], want["name"])

        # Every input ends in its component's cluster; inputs without keys in none.
        for i, (kind, ref) in t.inputs.items():
            got = hashes[ref] if kind == "sale" else current.get(i)
            comp = t.model.component_of(i)
            if comp is None:
                assert got is None, f"input {i} has no key but a cluster"
            else:
                assert got == db_of_root[t.root(i)], f"input {i} is not in its component's cluster"

    # Nothing crosses: no sale, key or merge of one tenant names another tenant's cluster.
    names = [t.name for t in tenants.values()]
    assert module_db.scalar("""
        SELECT count(*) FROM public.omni_sales s
         WHERE s.tenant_id = ANY (%s) AND s.customer_hash IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM omni_identity.customer_cluster c
                            WHERE c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash)""", names) == 0
    a_clusters = set(module_db.column("SELECT cluster_id FROM omni_identity.customer_cluster WHERE tenant_id = %s", names[0]))
    b_clusters = set(module_db.column("SELECT cluster_id FROM omni_identity.customer_cluster WHERE tenant_id = %s", names[1]))
    assert not a_clusters & b_clusters



def test_two_tenants_resolving_the_same_buyers_concurrently_stay_apart(db, app_login):
    """Two application sessions, one per tenant, resolve the same identifiers at the same
    time (each tenant's writers lock only their own tenant): each tenant ends equal to
    its own model, and every returned cluster is its own tenant's. As the superuser and
    as the application login, whose every call names its tenant transaction-locally."""
    import random
    import threading

    rng = random.Random(7)
    calls = [{"email": rng.choice(EMAILS), "phone": rng.choice(PHONES), "document": rng.choice(DOCUMENTS),
              "name": rng.choice(NAMES), "minute": rng.randrange(50)} for _ in range(120)]
    tenants = {t: Tenant(f"{t}-concurrent", shipped_blocklist(db)) for t in "ab"}
    returned: dict[str, list] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def traffic(t: Tenant, order: list[dict]) -> None:
        try:
            with db.connect_as(app_login, t.name) as conn:
                start.wait()
                returned[t.name] = [conn.execute(
                    "SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, %s, %s, %s)",
                    (t.name, b["email"], b["phone"], b["document"], b["name"],
                     BASE + timedelta(minutes=b["minute"]))).fetchone()[0] for b in order]
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=traffic, args=(tenants["a"], calls)),
               threading.Thread(target=traffic, args=(tenants["b"], calls[::-1]))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    for t in tenants.values():
        for b in calls:
            t.model.add(email=b["email"], phone=b["phone"], document=b["document"], name=b["name"],
                        seen_at=BASE + timedelta(minutes=b["minute"]))
        mine = set(db.column("SELECT cluster_id FROM omni_identity.customer_cluster WHERE tenant_id = %s", t.name))
        assert {c for c in returned[t.name] if c is not None} <= mine, "a call returned another tenant's cluster"
        keys = db.rows("""SELECT k.key_type, k.key_value, k.cluster_id FROM omni_identity.customer_cluster_keys k
                           WHERE k.tenant_id = %s""", t.name)
        model_keys = t.model.keys()
        assert {(kt, kv) for kt, kv, _ in keys} == set(model_keys)
        groups: dict[int, set] = {}
        for kt, kv, cluster in keys:
            groups.setdefault(model_keys[(kt, kv)], set()).add(cluster)
        assert all(len(g) == 1 for g in groups.values()), "a model cluster is split"
        assert len({next(iter(g)) for g in groups.values()}) == len(groups), "two model clusters share one"
