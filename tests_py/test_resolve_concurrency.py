"""20,000 resolve_customer_cluster calls over 4 concurrent connections: not one error
(no deadlock, no serialization failure, no unique violation reaches the caller), and the
final state equals the reference model (partition, golden records, keys, invariants).
Every test runs as the superuser and as the application login (fixture app_login).
"""
from __future__ import annotations

import random
import uuid

import pytest

from tests_py.test_resolve_model import (AREA_CODES, BLOCKED_EMAILS, BLOCKED_PHONES, JUNK, NAMES, SEEN_AT,
                                         check_against_model, cpf_from, document_surface, email_surface,
                                         phone_surface, resolve_concurrently)
from tests_py.support import blocked_behind

CALLS = 20_000
PEOPLE = 4_000


def generated_inputs(seed: int) -> list[dict]:
    rnd = random.Random(seed)

    def new_email(i: int) -> str:
        return f"p{i}.{rnd.randrange(3)}@{rnd.choice(('x.com', 'loja.com.br', 'gmail.com'))}"

    def new_phone() -> tuple[str, str]:
        return rnd.choice(AREA_CODES), "9" + "".join(rnd.choice("0123456789") for _ in range(8))

    def new_cpf() -> str:
        return cpf_from("".join(rnd.choice("0123456789") for _ in range(9)))

    people = []
    for i in range(PEOPLE):
        people.append({
            "email": [new_email(i) for _ in range(rnd.choice((1, 1, 2)))],
            "phone": [new_phone() for _ in range(rnd.choice((0, 1, 1, 2)))],
            "document": [new_cpf() for _ in range(rnd.choice((0, 1)))],
        })
    # Shared identifiers: 4 % of people also use an identifier of another person (merges).
    for person in rnd.sample(people, PEOPLE * 4 // 100):
        other = rnd.choice(people)
        key_type = rnd.choice(("email", "phone"))
        if other[key_type]:
            person[key_type].append(rnd.choice(other[key_type]))

    surfaces = {"email": email_surface, "phone": phone_surface, "document": document_surface}

    def one_input(person: dict) -> dict:
        form = rnd.randrange(15)
        row = {}
        for key_type in ("email", "phone", "document"):
            roll = rnd.random()
            if roll < 0.55 and person[key_type]:
                row[key_type] = surfaces[key_type](rnd.choice(person[key_type]), form)
            elif roll < 0.58:
                row[key_type] = rnd.choice(JUNK)
            elif roll < 0.60:
                row[key_type] = "123.456.789-09" if key_type == "document" else \
                    rnd.choice(BLOCKED_EMAILS if key_type == "email" else BLOCKED_PHONES)
            else:
                row[key_type] = None
        row["name"] = rnd.choice(NAMES)
        row["seen_at"] = rnd.choice(SEEN_AT)
        return row

    # Bursts: the connections take inputs in list order, so the inputs of one burst run at
    # the same time — concurrent creations of the same new key and concurrent merges of
    # the same clusters, the races the locking design is for.
    inputs = []
    while len(inputs) < CALLS:
        person = rnd.choice(people)
        inputs += [one_input(person) for _ in range(rnd.choice((1, 4, 8)))]
    return inputs[:CALLS]


@pytest.mark.slow
def test_twenty_thousand_calls_over_four_connections(db, app_login):
    inputs = generated_inputs(seed=20_000)
    tenant = f"load-{uuid.uuid4().hex[:8]}"
    conns = [db.connect_as(app_login, tenant) for _ in range(4)]
    try:
        ids = resolve_concurrently(conns, tenant, inputs)   # raises the first error of any connection
    finally:
        for c in conns:
            c.close()
    merges = db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE tenant_id = %s", tenant)
    assert merges > 100, "the workload must exercise the merge cascade"
    check_against_model(db, tenant, inputs, ids)


def test_batch_lock_excludes_every_call_of_its_tenant_only(db, app_login):
    """L1: a batch writer holding the tenant lock EXCLUSIVE makes every resolve of that
    tenant that keeps a key wait — a returning buyer's too, since it records its evidence
    (design §9.1) — and only that tenant's; once the batch commits, both go on, and the
    returning buyer's evidence is recorded once."""
    tenant = "locked"
    known = db.scalar("SELECT omni_identity.resolve_customer_cluster(%s, 'known@x.com', NULL, NULL, 'K', '2024-01-01')",
                      tenant)
    job = "superuser" if app_login == "superuser" else "job"
    with db.connect_as(job, autocommit=False) as batch, db.connect_as(app_login, tenant) as caller, \
            db.connect_as(app_login, tenant) as writer_conn, db.connect_as(app_login, "elsewhere") as other:
        batch.execute("SELECT pg_advisory_xact_lock(omni_identity.tenant_lock_key(%s))", (tenant,))
        # Another tenant goes through at once.
        assert other.execute("SELECT omni_identity.resolve_customer_cluster('elsewhere', 'n@x.com')").fetchone()[0]
        # A returning buyer of that tenant waits for the batch's exclusive tenant lock ...
        returning, back, back_errors = blocked_behind(db, batch, lambda: caller.execute(
            "SELECT omni_identity.resolve_customer_cluster(%s, 'known@x.com', NULL, NULL, 'K', '2023-01-01')",
            (tenant,)).fetchone()[0], wait_events=("advisory",))
        # ... and so does a writing call.
        writer, result, errors = blocked_behind(db, batch, lambda: writer_conn.execute(
            "SELECT omni_identity.resolve_customer_cluster(%s, 'new@x.com')", (tenant,)).fetchone()[0],
            wait_events=("advisory",))
        batch.commit()
        returning.join()
        writer.join()
    assert not errors and not back_errors, (errors, back_errors)
    assert back == [known]
    assert result and result[0] is not None and result[0] != known
    assert db.scalar("SELECT inputs FROM omni_identity.key_evidence WHERE tenant_id = %s AND key_value = 'known@x.com'",
                     tenant) == 2


@pytest.mark.parametrize("second_phone", ["(11) 98888-0002", None], ids=["one key new", "no key new"])
def test_key_created_between_probe_and_locks(db, app_login, second_phone):
    """A new customer's keys are probed before its locks are taken. When another call
    commits one of those keys in between, the call sees it under the locks, inserts no
    cluster and attaches to the other call's cluster: one cluster, no merge, no orphan
    row — for the application login too, which may not delete clusters (it failed with
    42501 when the call inserted a cluster and then took it back)."""
    tenant = f"race-{uuid.uuid4().hex[:8]}"
    call = "SELECT omni_identity.resolve_customer_cluster(%s, 'race@x.com', %s, NULL, %s, %s)"
    with db.connect_as(app_login, tenant, autocommit=False) as first, db.connect_as(app_login, tenant) as second:
        winner = first.execute(call, (tenant, "(11) 98888-0001", "Ana", "2024-01-01")).fetchone()[0]
        # The second call sees no key (the first is uncommitted) and waits for the first
        # call's key lock.
        thread, result, errors = blocked_behind(db, first, lambda: second.execute(
            call, (tenant, second_phone, "Bia", "2024-02-01")).fetchone()[0], wait_events=("advisory",))
        first.commit()
        thread.join()
    assert not errors, errors
    assert result == [winner]
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster WHERE tenant_id = %s", tenant) == 1
    assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE tenant_id = %s", tenant) == 0
    keys = db.rows("SELECT key_type, key_value, cluster_id FROM omni_identity.customer_cluster_keys"
                   " WHERE tenant_id = %s ORDER BY 1, 2", tenant)
    expected = [("email", "race@x.com", winner), ("phone", "+5511988880001", winner)]
    if second_phone:
        expected.append(("phone", "+5511988880002", winner))
    assert keys == expected
    golden = db.rows("SELECT last_buyer_name, last_buyer_phone FROM omni_identity.customer_cluster"
                     " WHERE tenant_id = %s", tenant)
    assert golden[0] == ("Bia", "+5511988880002" if second_phone else "+5511988880001")


@pytest.mark.parametrize("kind", ["new", "attach", "merge", "golden", "returning"])
def test_every_write_holds_the_tenant_and_key_locks(db, app_login, kind):
    """L1 (shared) and one L2 per key are held to the end of the transaction by every call
    that keeps a key — checked in pg_locks, whatever path the call took: every such call
    writes, a returning buyer its evidence (design §9.1)."""
    tenant = f"locks-{uuid.uuid4().hex[:8]}"
    db.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'a@x.com', NULL, NULL, 'Ana', '2024-01-01')", tenant)
    db.execute("SELECT omni_identity.resolve_customer_cluster(%s, NULL, '(11) 98888-0001', NULL, 'Ana', '2024-01-01')",
               tenant)
    args = {
        "new": ("b@x.com", "(11) 98888-0002", "2024-01-01"),
        "attach": ("a@x.com", "(11) 98888-0003", "2024-01-01"),
        "merge": ("a@x.com", "(11) 98888-0001", "2024-01-01"),
        "golden": ("a@x.com", None, "2025-01-01"),
        "returning": ("a@x.com", None, "2023-01-01"),
    }[kind]
    with db.connect_as(app_login, tenant, autocommit=False) as conn:
        conn.execute("SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, NULL, 'Ana', %s)", (tenant, *args))
        held = conn.execute("SELECT mode, count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
                            " AND locktype = 'advisory' GROUP BY mode ORDER BY mode").fetchall()
        conn.rollback()
    keys = sum(1 for value in args[:2] if value)
    expected = [("ExclusiveLock", keys), ("ShareLock", 1)]
    assert held == expected
