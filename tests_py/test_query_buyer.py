"""abstraction_buyer v1/v2 against the reference model.

Data is built directly: random buyers and their sales (keys in any surface form), the
clusters computed by the union-find model (tests_py/reference/model.py), and the rows of
customer_cluster / customer_cluster_keys / customer_cluster_merges / omni_sales written
as the resolver would leave them — except that some sales of a cluster keep a
merged-away alias (a merge not yet reconciled), which v2 must still return.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from decimal import Decimal

import psycopg
import pytest
from hypothesis import given, settings, strategies as st
from psycopg.types.json import Jsonb

from tests_py.conftest import examples
from tests_py.reference import normalize as ref
from tests_py.reference.model import Model, shipped_blocklist

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
AREA_CODES = (11, 21, 31, 41, 47, 51, 61, 71, 81, 85, 19, 27)
FIRST = ("Ana", "João", "Márcia", "José", "Zoë", "Luís", "Beatriz")
LAST = ("Souza", "Conceição", "Silva", "Guimarães", "Pereira")
REF_NORMALIZER = {"email": ref.email, "phone": ref.phone, "document": ref.document}


# -- data ------------------------------------------------------------------------------

def cpf(rng: random.Random) -> str:
    while True:
        d = [rng.randint(0, 9) for _ in range(9)]
        if len(set(d)) > 1:
            break
    for n in (10, 11):
        s = sum(v * w for v, w in zip(d, range(n, 1, -1)))
        d.append(0 if s % 11 < 2 else 11 - s % 11)
    return "".join(map(str, d))


def mobile(rng: random.Random) -> str:
    while True:
        sub = "9" + "".join(str(rng.randint(0, 9)) for _ in range(8))
        if len(set(sub[1:])) > 2:
            return f"{rng.choice(AREA_CODES)}{sub}"


def surface(rng: random.Random, key_type: str, value: str) -> str:
    """One of the forms people type the same key in."""
    if key_type == "email":
        v = "".join(c.upper() if rng.random() < 0.3 else c for c in value)
        return rng.choice(("", " ", "\t")) + v + rng.choice(("", " ", "\u200b"))
    if key_type == "phone":
        ddd, sub = value[:2], value[2:]
        return rng.choice((
            value,
            f"({ddd}) {sub[:5]}-{sub[5:]}",
            f"+55 {ddd} {sub[:5]} {sub[5:]}",
            f"0{ddd}{sub}",
            f"55{ddd}{sub}",
        ))
    return rng.choice((value, f"{value[:3]}.{value[3:6]}.{value[6:9]}-{value[9:]}", f" {value} "))


def name_form(rng: random.Random, name: str) -> str:
    return rng.choice((name, name.upper(), name.lower(), "  " + name.replace(" ", "   ") + " "))


def build_sales(rng: random.Random, n_buyers: int | None = None) -> tuple[list[dict], list[dict]]:
    """Random buyers and their sales. Buyers sometimes share a phone (two buyers become one
    customer) or type a blocked placeholder e-mail; a few sales carry no usable key."""
    n_buyers = n_buyers or rng.randint(2, 9)
    buyers = []
    for b in range(n_buyers):
        keys = {
            "email": [f"b{b}.{k}.{rng.randint(0, 999)}@mail{rng.randint(1, 3)}.com"
                      for k in range(rng.randint(1, 3))],
            "phone": [mobile(rng) for _ in range(rng.randint(0, 2))],
            "document": [cpf(rng) for _ in range(rng.randint(0, 1))],
        }
        other = rng.choice(buyers) if buyers else None
        if other is not None and other["keys"]["phone"] and rng.random() < 0.25:
            keys["phone"].append(rng.choice(other["keys"]["phone"]))
        if rng.random() < 0.15:
            keys["email"].append("teste@teste.com")
        buyers.append({"keys": keys, "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}"})
    sales = []
    for b, buyer in enumerate(buyers):
        for _ in range(rng.randint(1, 6)):
            sale = {"buyer": b, "email": None, "phone": None, "document": None}
            if rng.random() > 0.08:
                for key_type, values in buyer["keys"].items():
                    if values and rng.random() < 0.6:
                        sale[key_type] = surface(rng, key_type, rng.choice(values))
            if rng.random() < 0.05:
                sale["email"] = "not an e-mail"
            sale["name"] = name_form(rng, buyer["name"]) if rng.random() < 0.8 else None
            sale["shop_id"] = rng.choice(("s1", "s2", "s3"))
            sale["product_id"] = rng.choice(("p1", "p2", None))
            sale["status"] = rng.choice(("paid", "paid", "refunded"))
            sale["amount"] = Decimal(rng.randint(0, 50000)) / 100 if rng.random() > 0.05 else None
            # Coarse times: equal created_at values happen, so id breaks the ties.
            sale["created_at"] = BASE + dt.timedelta(hours=rng.randint(0, 60))
            sales.append(sale)
    rng.shuffle(sales)
    return buyers, sales


class Loaded:
    """A tenant's sales written to the database, with the model's view of them."""

    def __init__(self, tenant: str, sales: list[dict], model: Model, live_of: dict[int, uuid.UUID]):
        self.tenant = tenant
        self.sales = sales            # each with "id" (omni_sales.id) and "hash"
        self.model = model
        self.live_of = live_of        # input index -> live cluster id (inputs with keys)

    def order(self, idx) -> list[int]:
        """Sale ids of the given inputs in (created_at DESC, id DESC) order."""
        return [self.sales[i]["id"] for i in sorted(
            idx, key=lambda i: (self.sales[i]["created_at"], self.sales[i]["id"]), reverse=True)]

    def cluster_of_filter(self, filters: dict) -> uuid.UUID | None:
        """The live cluster v2 must select: the one owning every given key, else None."""
        owners = set()
        keys = self.model.keys()
        for key_type in ("email", "phone", "document"):
            if key_type in filters:
                value = REF_NORMALIZER[key_type](filters[key_type])
                root = keys.get((key_type, value)) if value is not None else None
                if root is None:
                    return None
                owners.add(self.live_of[root])
        return owners.pop() if len(owners) == 1 else None

    def row_match(self, i: int, filters: dict) -> bool:
        s = self.sales[i]
        if "name" in filters:
            want = ref.name(filters["name"])
            have = ref.name(s["name"]) if s["name"] is not None else None
            if want is None or have is None or want not in have:
                return False
        for key in ("shop_id", "product_id", "status"):
            if key in filters and s[key] != filters[key]:
                return False
        return True

    def expected_v2(self, filters: dict) -> list[int]:
        if not any(k in filters for k in ("email", "phone", "document")):
            return self.expected_v1(filters)
        live = self.cluster_of_filter(filters)
        if live is None:
            return []
        return self.order(i for i in range(len(self.sales))
                          if self.live_of.get(i) == live and self.row_match(i, filters))

    def expected_v1(self, filters: dict) -> list[int]:
        def legacy(i: int) -> bool:
            s = self.sales[i]
            for key_type in ("email", "phone", "document"):
                if key_type in filters:
                    want = REF_NORMALIZER[key_type](filters[key_type])
                    if want is None or s[key_type] is None or REF_NORMALIZER[key_type](s[key_type]) != want:
                        return False
            return self.row_match(i, filters)
        return self.order(i for i in range(len(self.sales)) if legacy(i))


def load_tenant(db, tenant: str, sales: list[dict], rng: random.Random | None = None,
                alias_share: float = 0.4) -> Loaded:
    """Write clusters, keys, merges and sales as the resolver leaves them. With rng, some
    clusters get merged-away aliases whose merge is not reconciled: part of the cluster's
    sales still carry the alias in customer_hash."""
    model = Model(shipped_blocklist(db))
    for s in sales:
        model.add(email=s["email"], phone=s["phone"], document=s["document"], name=s["name"],
                  seen_at=s["created_at"])
    live_of: dict[int, uuid.UUID] = {}
    clusters, merges = [], []
    for comp in sorted(model.components(), key=min):
        live = uuid.uuid4()
        golden = model.golden(min(comp))
        clusters.append({"cluster_id": str(live), "merged_into": None,
                         **{f"last_buyer_{f}": golden[f] for f in ("email", "phone", "document", "name")},
                         **{f"last_buyer_{f}_at": golden[f + "_at"] and golden[f + "_at"].isoformat()
                            for f in ("email", "phone", "document", "name")}})
        aliases = []
        if rng is not None and len(comp) > 1 and rng.random() < alias_share:
            aliases = [uuid.uuid4() for _ in range(rng.randint(1, min(3, len(comp) - 1)))]
            for a in aliases:
                clusters.append({"cluster_id": str(a), "merged_into": str(live)})
                merges.append({"from_cluster": str(a), "into_cluster": str(live)})
        for i in comp:
            live_of[i] = live
            sales[i]["hash"] = rng.choice([live, *aliases]) if aliases else live
    for i, s in enumerate(sales):
        s.setdefault("hash", None)
        s["external_id"] = str(i)
    keys = [{"key_type": t, "key_value": v, "cluster_id": str(live_of[root])}
            for (t, v), root in model.keys().items()]
    # Live clusters first, then the aliases that point at them (foreign key on merged_into).
    clusters.sort(key=lambda c: c["merged_into"] is not None)
    with db.conn.transaction():
        db.execute(
            """INSERT INTO omni_identity.customer_cluster
                   (tenant_id, cluster_id, merged_into, last_buyer_email, last_buyer_email_at,
                    last_buyer_phone, last_buyer_phone_at, last_buyer_document, last_buyer_document_at,
                    last_buyer_name, last_buyer_name_at)
               SELECT %s, r.cluster_id, r.merged_into, r.last_buyer_email, r.last_buyer_email_at,
                      r.last_buyer_phone, r.last_buyer_phone_at, r.last_buyer_document, r.last_buyer_document_at,
                      r.last_buyer_name, r.last_buyer_name_at
                 FROM jsonb_to_recordset(%s) AS r(cluster_id uuid, merged_into uuid,
                      last_buyer_email text, last_buyer_email_at timestamptz,
                      last_buyer_phone text, last_buyer_phone_at timestamptz,
                      last_buyer_document text, last_buyer_document_at timestamptz,
                      last_buyer_name text, last_buyer_name_at timestamptz)""",
            tenant, Jsonb(clusters))
        db.execute(
            """INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster)
               SELECT %s, r.from_cluster, r.into_cluster
                 FROM jsonb_to_recordset(%s) AS r(from_cluster uuid, into_cluster uuid)""",
            tenant, Jsonb(merges))
        db.execute(
            """INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
               SELECT %s, r.key_type, r.key_value, r.cluster_id
                 FROM jsonb_to_recordset(%s) AS r(key_type text, key_value text, cluster_id uuid)""",
            tenant, Jsonb(keys))
        rows = db.rows(
            """INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_phone,
                      buyer_name, buyer_document, product_id, status, amount, currency, created_at, customer_hash)
               SELECT %s, r.shop_id, r.external_id, r.email, r.phone, r.name, r.document, r.product_id,
                      r.status, r.amount, 'BRL', r.created_at, r.hash
                 FROM jsonb_to_recordset(%s) AS r(shop_id text, external_id text, email text, phone text,
                      name text, document text, product_id text, status text, amount numeric,
                      created_at timestamptz, hash uuid)
               RETURNING external_id, id""",
            tenant, Jsonb([{**s, "amount": None if s["amount"] is None else str(s["amount"]),
                            "created_at": s["created_at"].isoformat(),
                            "hash": None if s["hash"] is None else str(s["hash"])} for s in sales]))
    for external_id, sale_id in rows:
        sales[int(external_id)]["id"] = sale_id
    return Loaded(tenant, sales, model, live_of)


# -- calls -----------------------------------------------------------------------------

def page(db, fn: str, tenant: str, filters: dict, limit: int, after: dict | None) -> list[tuple]:
    return db.rows(f"SELECT id, created_at FROM omni_identity.{fn}(%s, %s, %s, %s)",
                   tenant, Jsonb(filters), limit, None if after is None else Jsonb(after))


def all_pages(db, fn: str, tenant: str, filters: dict, rng: random.Random) -> list[int]:
    """Every row, page by page with random page sizes, following the keyset cursor."""
    out, after = [], None
    for _ in range(10_000):
        limit = rng.randint(1, 7)
        rows = page(db, fn, tenant, filters, limit, after)
        assert len(rows) <= limit
        out += [r[0] for r in rows]
        if len(rows) < limit:
            return out
        after = {"created_at": rows[-1][1].isoformat(), "id": rows[-1][0]}
    raise AssertionError("paging did not end")


def random_filters(rng: random.Random, buyers: list[dict], loaded: Loaded) -> dict:
    buyer = rng.choice(buyers)
    have = [t for t, v in buyer["keys"].items() if v]
    filters = {}
    for key_type in rng.sample(have, rng.randint(1, len(have))):
        filters[key_type] = surface(rng, key_type, rng.choice(buyer["keys"][key_type]))
    if rng.random() < 0.2:
        filters["name"] = rng.choice((buyer["name"].split()[0].upper(), buyer["name"], "zz"))
    if rng.random() < 0.2:
        filters["shop_id"] = rng.choice(("s1", "s2"))
    return filters


# -- properties ------------------------------------------------------------------------

@settings(max_examples=examples(25))
@given(seed=st.integers(0, 2**32 - 1))
def test_v2_is_the_model_cluster_and_v1_the_legacy_rows(module_db, seed):
    rng = random.Random(seed)
    buyers, sales = build_sales(rng)
    loaded = load_tenant(module_db, f"q-{uuid.uuid4().hex[:10]}", sales, rng)
    for _ in range(5):
        filters = random_filters(rng, buyers, loaded)
        v1 = all_pages(module_db, "abstraction_buyer_v1", loaded.tenant, filters, rng)
        v2 = all_pages(module_db, "abstraction_buyer_v2", loaded.tenant, filters, rng)
        assert v2 == loaded.expected_v2(filters), filters
        assert v1 == loaded.expected_v1(filters), filters
        # Where every given key is a live key, v2 finds at least what v1 finds.
        if loaded.cluster_of_filter(filters) is not None or loaded.expected_v1(filters) == []:
            assert set(v1) <= set(v2), filters


def test_v2_follows_unreconciled_aliases(db):
    rng = random.Random(7)
    sales = [{"email": "ana@x.com", "phone": None, "document": None, "name": "Ana",
              "shop_id": "s1", "product_id": None, "status": "paid", "amount": Decimal("10"),
              "created_at": BASE + dt.timedelta(hours=h)} for h in range(6)]
    sales += [{**sales[0], "email": None, "phone": "11987654321", "created_at": BASE}]
    sales += [{**sales[0], "email": "ana@x.com", "phone": "11987654321", "created_at": BASE}]
    loaded = load_tenant(db, "t1", sales, rng, alias_share=1.0)
    hashes = {s["hash"] for s in loaded.sales}
    assert len(hashes) > 1, "the fixture must leave sales on an alias"
    got = db.column("SELECT id FROM omni_identity.abstraction_buyer_v2('t1', %s, 100)",
                    Jsonb({"phone": "(11) 98765-4321"}))
    assert got == loaded.order(range(len(sales)))
    # v1 only sees the rows carrying the phone themselves.
    got_v1 = db.column("SELECT id FROM omni_identity.abstraction_buyer_v1('t1', %s, 100)",
                       Jsonb({"phone": "(11) 98765-4321"}))
    assert got_v1 == loaded.order([6, 7])


def test_keys_of_different_clusters_select_nothing(db):
    sales = [{"email": e, "phone": None, "document": None, "name": None, "shop_id": "s1",
              "product_id": None, "status": None, "amount": Decimal(1), "created_at": BASE}
             for e in ("a@x.com", "b@x.com")]
    sales[1]["phone"] = "21987654321"
    load_tenant(db, "t1", sales)
    assert db.column("SELECT id FROM omni_identity.abstraction_buyer_v2('t1', %s)",
                     Jsonb({"email": "a@x.com", "phone": "21 98765-4321"})) == []
    assert len(db.column("SELECT id FROM omni_identity.abstraction_buyer_v2('t1', %s)",
                         Jsonb({"email": "B@X.COM", "phone": "21 98765-4321"}))) == 1
    # Unknown key, and a value that does not normalize: no rows in either version.
    for filters in ({"email": "nobody@x.com"}, {"email": "not an e-mail"}, {"document": "123"}):
        assert db.column("SELECT id FROM omni_identity.abstraction_buyer_v2('t1', %s)", Jsonb(filters)) == []
    assert db.column("SELECT id FROM omni_identity.abstraction_buyer_v1('t1', %s)",
                     Jsonb({"email": "not an e-mail"})) == []


def test_without_buyer_filter_v2_is_v1(db):
    rng = random.Random(11)
    _, sales = build_sales(rng, n_buyers=6)
    loaded = load_tenant(db, "t1", sales, rng)
    for filters in ({}, {"shop_id": "s2"}, {"name": "ana"}, {"status": "refunded", "product_id": "p1"},
                    {"created_from": (BASE + dt.timedelta(hours=10)).isoformat(),
                     "created_to": (BASE + dt.timedelta(hours=30)).isoformat()}):
        v1 = all_pages(db, "abstraction_buyer_v1", "t1", filters, rng)
        assert v1 == all_pages(db, "abstraction_buyer_v2", "t1", filters, rng)
        expected = [i for i in range(len(sales)) if loaded.row_match(i, filters)
                    and (BASE + dt.timedelta(hours=10) <= sales[i]["created_at"] < BASE + dt.timedelta(hours=30)
                         if "created_from" in filters else True)]
        assert v1 == loaded.order(expected)


def test_json_null_filter_is_no_filter(db):
    load_tenant(db, "t1", [{"email": "a@x.com", "phone": None, "document": None, "name": None,
                            "shop_id": "s1", "product_id": None, "status": None, "amount": None,
                            "created_at": BASE}])
    assert len(db.column("SELECT id FROM omni_identity.abstraction_buyer_v2('t1', %s)",
                         Jsonb({"email": None, "shop_id": "s1"}))) == 1


@pytest.mark.parametrize("call, sqlstate", [
    ("abstraction_buyer_v1('t1', '{}', 0)", "OI040"),
    ("abstraction_buyer_v2('t1', '{}', 10001)", "OI040"),
    ("abstraction_buyer('t1', '{}', NULL)", "OI040"),
    ("abstraction_buyer_v2('t1', '{\"emial\": \"a@x.com\"}')", "OI041"),
    ("abstraction_buyer_v1('t1', '[1]')", "OI041"),
    ("customer_report_v2('t1', '{\"shop\": \"s1\"}')", "OI041"),
    ("abstraction_buyer_v2('t1', '{\"email\": [\"a@x.com\"]}')", "OI042"),
    ("abstraction_buyer_v1('t1', '{\"created_from\": \"yesterday-ish\"}')", "OI042"),
    ("customer_report_v1('t1', '{\"created_to\": \"2026-13-45\"}')", "OI042"),
    ("abstraction_buyer_v2('t1', '{}', 10, '{\"created_at\": \"2026-01-01\"}')", "OI043"),
    ("abstraction_buyer_v2('t1', '{}', 10, '{\"created_at\": \"nope\", \"id\": 1}')", "OI043"),
    ("abstraction_buyer_v1('t1', '{}', 10, '{\"created_at\": \"2026-01-01\", \"id\": 1.5}')", "OI043"),
    ("abstraction_buyer_v1('t1', '{}', 10, '{\"created_at\": \"2026-01-01\", \"id\": 1, \"x\": 0}')", "OI043"),
    ("abstraction_buyer_v1('t1', '{}', 10, '\"2026-01-01\"')", "OI043"),
    ("abstraction_buyer_v2('', '{}')", "OI001"),
    ("set_flag('t1', 'abstraction_v2_enable', true)", "OI044"),
    ("set_flag('t1', 'abstraction_v2_enabled', NULL)", "OI045"),
])
def test_errors_carry_the_package_sqlstate(module_db, call, sqlstate):
    with pytest.raises(psycopg.Error) as info:
        module_db.execute(f"SELECT * FROM omni_identity.{call}")
    assert info.value.diag.sqlstate == sqlstate
    assert info.value.diag.message_hint


def test_unknown_filter_key_is_named(module_db):
    with pytest.raises(psycopg.Error) as info:
        module_db.execute("SELECT * FROM omni_identity.abstraction_buyer_v2('t1', '{\"emial\": \"a@x.com\"}')")
    assert "emial" in info.value.diag.message_primary


def test_cursor_round_trips_microseconds(db):
    t = BASE + dt.timedelta(microseconds=123457)
    load_tenant(db, "t1", [{"email": "a@x.com", "phone": None, "document": None, "name": None,
                            "shop_id": "s1", "product_id": None, "status": None, "amount": None,
                            "created_at": t + dt.timedelta(microseconds=d)} for d in (0, 0, 1)])
    rng = random.Random(3)
    for fn in ("abstraction_buyer_v1", "abstraction_buyer_v2"):
        got = all_pages(db, fn, "t1", {"email": "a@x.com"}, rng)
        assert len(got) == 3 and len(set(got)) == 3
    rows = page(db, "abstraction_buyer_v2", "t1", {"email": "a@x.com"}, 1, None)
    cursor = json.loads(json.dumps({"created_at": rows[0][1].isoformat(), "id": rows[0][0]}))
    assert [r[0] for r in page(db, "abstraction_buyer_v2", "t1", {"email": "a@x.com"}, 5, cursor)] == \
        all_pages(db, "abstraction_buyer_v2", "t1", {"email": "a@x.com"}, rng)[1:]
