"""resolve_customer_cluster against the union-find reference model (tests_py/reference/model.py).

Random people with several identifiers, identifiers shared between people, junk, invalid
and blocked values, many surface forms, random arrival orders; run through one connection
and through four concurrent connections. After each run: the partition of the inputs by
current_cluster equals the model's components, golden records equal rule 3, every key
maps to its component's live cluster, and the invariants of SPEC §4 hold.
"""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests_py.conftest import examples
from tests_py.reference.model import FIELDS, Model, shipped_blocklist

RESOLVE = "SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, %s, %s, %s)"
ARGS = ("email", "phone", "document", "name", "seen_at")

# --- generators of identifiers, with their surface forms ------------------------------

AREA_CODES = ("11", "21", "31", "41", "47", "51", "61", "62", "71", "81", "85", "19")
BASE_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
SEEN_AT = tuple(BASE_TIME + timedelta(days=d, microseconds=m) for d, m in
                ((0, 0), (3, 0), (3, 1), (10, 0), (40, 500)))
JUNK = ("", "   ", "abc", "@", "ana@", "ana@@x.com", "12", "(00) 0000-0000", "+", "não",
        "000.000.000-00", "111.111.111-11", "a" * 70 + "@x.com", "\u200b")
BLOCKED_EMAILS = ("teste@teste.com", " Nao@Tem.com", "fulano@example.com", "EMAIL@email.com")
BLOCKED_PHONES = ("(11) 99999-9999", "(21) 3333-3333", "+55 47 98888-8888")
BLOCKED_DOCUMENTS = ("123.456.789-09", "12345678909")
NAMES = (None, "Ana", "  Ana   Maria ", "ANA\tMARIA", "José da Silva", "!!!", "", "Bia\u00a0Souza",
         "\u200bZé\ufeff", "Ana Maria", "Ω")


def cpf_from(nine: str) -> str:
    """A CPF with valid check digits from its first nine digits."""
    digits = [int(c) for c in nine]
    for weight in (10, 11):
        total = sum(d * w for d, w in zip(digits, range(weight, 1, -1)))
        r = total % 11
        digits.append(0 if r < 2 else 11 - r)
    return "".join(map(str, digits))


@st.composite
def email_value(draw) -> str:
    local = draw(st.sampled_from(("ana", "bia", "caio", "d.s", "eva+loja", "f_1")))
    domain = draw(st.sampled_from(("x.com", "loja.com.br", "gmail.com")))
    return f"{local}@{domain}"


@st.composite
def phone_value(draw) -> tuple[str, str]:
    ddd = draw(st.sampled_from(AREA_CODES))
    if draw(st.booleans()):
        number = "9" + draw(st.sampled_from(("8765", "7654", "1234", "5050"))) + draw(st.sampled_from(("4321", "0001", "9876")))
    else:
        number = draw(st.sampled_from("2345")) + draw(st.sampled_from(("456", "111", "789"))) + draw(st.sampled_from(("7890", "1212")))
    return ddd, number


@st.composite
def document_value(draw) -> str:
    return cpf_from(draw(st.sampled_from(("529982247", "111444777", "390533447", "987654321", "246813579"))))


def email_surface(value: str, form: int) -> str:
    return (value, value.upper(), f"  {value}\t", "\u200b" + value.title(), value + "\ufeff")[form % 5]


def phone_surface(value: tuple[str, str], form: int) -> str:
    ddd, n = value
    return (f"({ddd}) {n[:-4]}-{n[-4:]}", f"+55 {ddd} {n}", f"{ddd}{n}", f"0{ddd} {n[:-4]}-{n[-4:]}",
            f"+55 ({ddd}) {n[:-4]} {n[-4:]}")[form % 5]


def document_surface(value: str, form: int) -> str:
    return (value, f"{value[:3]}.{value[3:6]}.{value[6:9]}-{value[9:]}", f" {value[:9]} {value[9:]} ")[form % 3]


@st.composite
def scenario(draw, max_people: int = 6, max_inputs: int = 24) -> list[dict]:
    """Inputs (kwargs of Model.add) for a few people whose identifiers may be shared."""
    emails = draw(st.lists(email_value(), min_size=1, max_size=6))
    phones = draw(st.lists(phone_value(), min_size=1, max_size=5))
    documents = draw(st.lists(document_value(), min_size=1, max_size=4))
    people = []
    for _ in range(draw(st.integers(1, max_people))):
        # Each person owns a few identifiers drawn from shared pools: people overlap.
        people.append({
            "email": draw(st.lists(st.sampled_from(emails), max_size=2)),
            "phone": draw(st.lists(st.sampled_from(phones), max_size=2)),
            "document": draw(st.lists(st.sampled_from(documents), max_size=1)),
        })
    inputs = []
    for _ in range(draw(st.integers(1, max_inputs))):
        person = draw(st.sampled_from(people))
        form = draw(st.integers(0, 14))
        row: dict = {}
        for key_type, surface, blocked in (("email", email_surface, BLOCKED_EMAILS),
                                           ("phone", phone_surface, BLOCKED_PHONES),
                                           ("document", document_surface, BLOCKED_DOCUMENTS)):
            kind = draw(st.sampled_from(("own", "own", "own", "none", "junk", "blocked")))
            if kind == "own" and person[key_type]:
                row[key_type] = surface(draw(st.sampled_from(person[key_type])), form)
            elif kind == "junk":
                row[key_type] = draw(st.sampled_from(JUNK))
            elif kind == "blocked":
                row[key_type] = draw(st.sampled_from(blocked))
            else:
                row[key_type] = None
        row["name"] = draw(st.sampled_from(NAMES))
        row["seen_at"] = draw(st.sampled_from(SEEN_AT))
        inputs.append(row)
    return inputs


# --- running the inputs ---------------------------------------------------------------

def guard_off(conn, tenant: str) -> None:
    """These tests hold resolve's linking, merging and locking to the model of inputs
    joined by shared keys: the over-merge guard is off for their tenants (a value shared
    by many inputs links them all). The guard has its own model test: test_generic_model."""
    conn.execute("SELECT omni_identity.set_setting(%s, 'generic_threshold', '0')", (tenant,))


def resolve_all(conn, tenant: str, inputs: list[dict]) -> list:
    guard_off(conn, tenant)
    return [conn.execute(RESOLVE, (tenant, *(row[a] for a in ARGS))).fetchone()[0] for row in inputs]


def resolve_concurrently(conns: list, tenant: str, inputs: list[dict]) -> list:
    """Each connection takes the next input from a shared cursor, all starting together."""
    guard_off(conns[0], tenant)
    ids: list = [None] * len(inputs)
    errors: list[BaseException] = []
    cursor = iter(range(len(inputs)))
    lock = threading.Lock()
    barrier = threading.Barrier(len(conns))

    def worker(conn) -> None:
        try:
            barrier.wait()
            while True:
                with lock:
                    i = next(cursor, None)
                if i is None:
                    return
                row = inputs[i]
                ids[i] = conn.execute(RESOLVE, (tenant, *(row[a] for a in ARGS))).fetchone()[0]
        except BaseException as exc:  # reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return ids


# --- checking against the model -------------------------------------------------------

def check_against_model(db, tenant: str, inputs: list[dict], ids: list, blocklist=None) -> None:
    model = Model(shipped_blocklist(db) if blocklist is None else blocklist)
    for row in inputs:
        model.add(**row)

    for i, cid in enumerate(ids):
        assert (cid is not None) == model.has_keys(i), f"input {i} {inputs[i]!r}: returned {cid}"

    returned = sorted({c for c in ids if c is not None})
    current = dict(db.rows(
        "SELECT u.id, omni_identity.current_cluster(%s, u.id) FROM unnest(%s::uuid[]) AS u(id)", tenant, returned))
    assert all(current[c] is not None for c in returned)

    by_cluster: dict = {}
    for i, cid in enumerate(ids):
        if cid is not None:
            by_cluster.setdefault(current[cid], set()).add(i)
    components = model.components()
    assert {frozenset(s) for s in by_cluster.values()} == set(components), "partition differs from the model"

    live = {r["cluster_id"]: r for r in db.dicts(
        """SELECT cluster_id, last_buyer_email AS email, last_buyer_email_at AS email_at,
                  last_buyer_phone AS phone, last_buyer_phone_at AS phone_at,
                  last_buyer_document AS document, last_buyer_document_at AS document_at,
                  last_buyer_name AS name, last_buyer_name_at AS name_at
             FROM omni_identity.customer_cluster WHERE tenant_id = %s AND merged_into IS NULL""", tenant)}
    assert set(live) == set(by_cluster), "live clusters are exactly one per component"

    cluster_of_input = {}
    for cid, members in by_cluster.items():
        for i in members:
            cluster_of_input[i] = cid
    for comp in components:
        cid = cluster_of_input[next(iter(comp))]
        got = {f: live[cid][f] for f in FIELDS} | {f + "_at": live[cid][f + "_at"] for f in FIELDS}
        assert got == model.golden_of(comp), f"golden record of {sorted(comp)}"

    # Every key on the live cluster of its component, and no other key stored.
    root_cluster = {model._find(next(iter(comp))): cluster_of_input[next(iter(comp))] for comp in components}
    expected_keys = {k: root_cluster[root] for k, root in model.keys().items()}
    stored_keys = {(t, v): c for t, v, c in db.rows(
        "SELECT key_type, key_value, cluster_id FROM omni_identity.customer_cluster_keys WHERE tenant_id = %s", tenant)}
    assert stored_keys == expected_keys

    check_invariants(db, tenant)


def check_invariants(db, tenant: str) -> None:
    assert db.scalar(
        """SELECT count(*) FROM omni_identity.customer_cluster_keys k
             JOIN omni_identity.customer_cluster c USING (tenant_id, cluster_id)
            WHERE k.tenant_id = %s AND c.merged_into IS NOT NULL""", tenant) == 0, "key on a merged cluster"
    assert db.scalar(
        """SELECT count(*) FROM omni_identity.customer_cluster c
             JOIN omni_identity.customer_cluster s ON s.tenant_id = c.tenant_id AND s.cluster_id = c.merged_into
            WHERE c.tenant_id = %s AND s.merged_into IS NOT NULL""", tenant) == 0, "merge chain longer than 1"
    # Two statements, each filtering on the tenant once: Citus routes a statement to one
    # shard only when it can tell every table is filtered on the same tenant.
    merged, with_row = db.rows(
        """SELECT count(*) FILTER (WHERE c.merged_into IS NOT NULL),
                  count(*) FILTER (WHERE c.merged_into IS NOT NULL AND EXISTS (
                      SELECT 1 FROM omni_identity.customer_cluster_merges m
                       WHERE m.tenant_id = c.tenant_id AND m.from_cluster = c.cluster_id))
             FROM omni_identity.customer_cluster c WHERE c.tenant_id = %s""", tenant)[0]
    rows = db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges m WHERE m.tenant_id = %s", tenant)
    assert merged == with_row == rows, "one merge row per merged-away cluster"


# --- the properties -------------------------------------------------------------------

@pytest.fixture(scope="module")
def conns(module_db):
    cs = [module_db.connect() for _ in range(4)]
    yield cs
    for c in cs:
        c.close()


def _tenant_blocklist(db, tenant: str, inputs: list[dict], block_one: bool):
    """Optionally block, for this tenant only, the first valid e-mail of the run."""
    shipped = shipped_blocklist(db)
    if not block_one:
        return shipped
    model = Model(shipped)
    value = next((model.keys_of(email=r["email"]).get("email") for r in inputs
                  if model.keys_of(email=r["email"])), None)
    if value is None:
        return shipped
    db.execute("INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern) VALUES (%s, 'email', %s)",
               tenant, value)
    return shipped + (("email", value, False),)


@settings(max_examples=examples(40))
@given(inputs=scenario(), block_one=st.booleans())
def test_one_connection_matches_model(module_db, inputs, block_one):
    tenant = f"serial-{uuid.uuid4().hex[:10]}"
    blocklist = _tenant_blocklist(module_db, tenant, inputs, block_one)
    ids = resolve_all(module_db.conn, tenant, inputs)
    check_against_model(module_db, tenant, inputs, ids, blocklist)


@settings(max_examples=examples(25))
@given(inputs=scenario(max_people=8, max_inputs=40), block_one=st.booleans())
def test_four_connections_match_model(module_db, conns, inputs, block_one):
    tenant = f"conc-{uuid.uuid4().hex[:10]}"
    blocklist = _tenant_blocklist(module_db, tenant, inputs, block_one)
    ids = resolve_concurrently(conns, tenant, inputs)
    check_against_model(module_db, tenant, inputs, ids, blocklist)


@settings(max_examples=examples(15))
@given(inputs=scenario(), data=st.data())
def test_arrival_order_does_not_matter(module_db, inputs, data):
    """The same inputs in two orders end in the same partition and golden records."""
    order = data.draw(st.permutations(range(len(inputs))))
    t1, t2 = (f"order-{uuid.uuid4().hex[:10]}" for _ in range(2))
    ids1 = resolve_all(module_db.conn, t1, inputs)
    ids2 = resolve_all(module_db.conn, t2, [inputs[i] for i in order])
    check_against_model(module_db, t1, inputs, ids1)
    check_against_model(module_db, t2, [inputs[i] for i in order], ids2)
