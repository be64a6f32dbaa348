"""20,000 resolve_customer_cluster calls over 4 concurrent connections: not one error
(no deadlock, no serialization failure, no unique violation reaches the caller), and the
final state equals the reference model (partition, golden records, keys, invariants).
Every test runs as the superuser and as the application login (fixture app_login).
"""
from __future__ import annotations

import random
import uuid

import psycopg
import pytest

from tests_py.test_resolve_model import (AREA_CODES, BLOCKED_EMAILS, BLOCKED_PHONES, JUNK, NAMES, SEEN_AT,
                                         check_against_model, cpf_from, document_surface, email_surface,
                                         phone_surface, resolve_concurrently)
from tests_py.support import advisory_locks, blocked_behind

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


def test_batch_lock_excludes_writes_but_not_the_fast_path(db, app_login):
    """L1: a batch writer holding the tenant lock EXCLUSIVE makes a writing resolve of that
    tenant wait (and only that tenant's), while a returning buyer's call (the fast path:
    a read and one row appended to the evidence log under L0 shared) does not wait at
    all; its evidence reaches key_evidence at the next fold (a write path records its
    own in the call)."""
    tenant = "locked"
    known = db.scalar("SELECT omni_identity.resolve_customer_cluster(%s, 'known@x.com', NULL, NULL, 'K', '2024-01-01')",
                      tenant)
    job = "superuser" if app_login == "superuser" else "job"
    with db.connect_as(job, autocommit=False) as batch, db.connect_as(app_login, tenant) as caller, \
            db.connect_as(app_login, "elsewhere") as other:
        # As a batch takes it (on Citus: on the node holding the tenant's shards).
        batch.execute("SELECT omni_identity.tenant_lock_exclusive(%s, '1 second')", (tenant,))
        # Another tenant and the fast path go through at once.
        assert other.execute("SELECT omni_identity.resolve_customer_cluster('elsewhere', 'n@x.com')").fetchone()[0]
        assert caller.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'known@x.com', NULL, NULL, 'K', '2023-01-01')",
                              (tenant,)).fetchone()[0] == known
        # A writing call of that tenant waits for the batch's exclusive tenant lock.
        writer, result, errors = blocked_behind(db, batch, lambda: caller.execute(
            "SELECT omni_identity.resolve_customer_cluster(%s, 'new@x.com')", (tenant,)).fetchone()[0],
            wait_events=("advisory",))
        batch.commit()
        writer.join()
        # Only the fast path's input waits in the log: the write paths recorded theirs.
        assert caller.execute("SELECT omni_identity.evidence_fold(%s)", (tenant,)).fetchone()[0] == 1
    assert not errors, errors
    assert result and result[0] is not None and result[0] != known
    assert db.scalar("SELECT inputs FROM omni_identity.key_evidence WHERE tenant_id = %s AND key_value = 'known@x.com'",
                     tenant) == 2


@pytest.mark.parametrize("holder", ["block", "forget", "fold"])
def test_fast_path_waits_only_for_a_block_forget_or_fold(db, app_login, holder):
    """L0: a block, forget or fold in progress (it holds the evidence lock EXCLUSIVE until
    it commits) makes a returning buyer of its tenant wait, so the call's removed-keys
    check sees what the block or forget committed: a forgotten value is dropped (the call
    returns NULL and logs nothing), a blocked one no longer links."""
    tenant = f"l0-{uuid.uuid4().hex[:8]}"
    known = db.scalar("SELECT omni_identity.resolve_customer_cluster(%s, 'known@x.com', '(11) 97777-0001', NULL, 'K',"
                      " '2024-01-01')", tenant)
    work = {
        "block": ("SELECT omni_identity.block_identifier(%s, 'phone', '(11) 97777-0001')", None),
        "forget": ("SELECT keys_forgotten FROM omni_identity.forget_identifier(%s, 'email', 'known@x.com')", None),
        "fold": ("SELECT omni_identity.evidence_fold(%s)", None),
    }[holder][0]
    with db.connect_as(app_login, tenant, autocommit=False) as admin, db.connect_as(app_login, tenant) as caller:
        admin.execute(work, (tenant,))
        call, back, errors = blocked_behind(db, admin, lambda: caller.execute(
            "SELECT omni_identity.resolve_customer_cluster(%s, 'known@x.com', '(11) 97777-0001', NULL, 'K',"
            " '2023-01-01')", (tenant,)).fetchone()[0], wait_events=("advisory",))
        admin.commit()
        call.join()
    assert not errors, errors
    log = db.rows("SELECT email, phone FROM omni_identity.resolve_evidence_log WHERE tenant_id = %s", tenant)
    if holder == "forget":
        assert back == [known]          # by the phone alone
        assert log == [(None, "+5511977770001")]
    elif holder == "block":
        assert back == [known]          # by the e-mail alone
        assert log == [("known@x.com", None)]
    else:
        assert back == [known]
        assert log == [("known@x.com", "+5511977770001")]


def test_split_beside_the_fast_path_keeps_the_partition_a_function_of_evidence(db, job_login):
    """A split in progress (reconcile's split stage: it folds, then recomputes clusters,
    under L1 and L0 exclusive) and a call that was a returning buyer of the cluster being
    split: the call waits for the split, then finds its keys on two clusters and merges
    them again (it is evidence that they belong together). After the next reconcile the
    partition of the keys equals the connected components of the evidence."""
    from harness.cmd_jobs import reconcile_run

    tenant = f"split-{uuid.uuid4().hex[:8]}"
    call = "SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, NULL, 'X', '2024-01-01')"
    db.execute(call, tenant, "a@x.com", "(11) 3456-7890")
    db.execute(call, tenant, "b@x.com", "(11) 3456-7890")
    db.execute(call, tenant, "c@x.com", "(11) 3456-7890")
    db.execute("SELECT omni_identity.block_identifier(%s, 'phone', '(11) 3456-7890')", tenant)
    with db.connect_as(job_login, autocommit=False) as job, db.connect_as("app", tenant) as caller:
        for _ in range(10):
            n, kind = job.execute("SELECT omni_identity.reconcile_splits(100),"
                                  " current_setting('omni_identity.reconcile_work', true)").fetchone()
            if kind == "split":
                break
            job.commit()
        assert kind == "split"
        thread, back, errors = blocked_behind(db, job, lambda: caller.execute(
            "SELECT omni_identity.resolve_customer_cluster(%s, 'a@x.com', NULL, NULL, 'X', '2024-01-01'),"
            "       omni_identity.resolve_customer_cluster(%s, 'a@x.com', NULL, '529.982.247-25', 'X', '2024-01-01')",
            (tenant, tenant)).fetchone(), wait_events=("advisory",))
        job.commit()
        thread.join()
    assert not errors, errors
    reconcile_run(db.login_dsn(job_login), reporter_factory=_Quiet)
    assert db.scalar("SELECT count(*) FROM omni_identity.resolve_evidence_log WHERE tenant_id = %s", tenant) == 0
    assert key_partition(db, tenant) == evidence_components(db, tenant)
    assert len(key_partition(db, tenant)) == 3


class _Quiet:
    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def batch(self, n):
        pass


def key_partition(db, tenant: str) -> set[frozenset]:
    groups: dict = {}
    for key_type, value, cluster in db.rows("SELECT key_type, key_value, cluster_id FROM omni_identity.customer_cluster_keys"
                                            " WHERE tenant_id = %s", tenant):
        groups.setdefault(cluster, set()).add((key_type, value))
    return {frozenset(g) for g in groups.values()}


def evidence_components(db, tenant: str) -> set[frozenset]:
    parent = {(t, v): (t, v) for t, v in db.rows("SELECT key_type, key_value FROM omni_identity.key_evidence"
                                                 " WHERE tenant_id = %s", tenant)}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for at, av, bt, bv in db.rows("SELECT a_type, a_value, b_type, b_value FROM omni_identity.key_pairs"
                                  " WHERE tenant_id = %s", tenant):
        parent[find((at, av))] = find((bt, bv))
    groups: dict = {}
    for k in parent:
        groups.setdefault(find(k), set()).add(k)
    return {frozenset(g) for g in groups.values()}


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
    """L0 (shared) is held to the end of the transaction by every call that keeps a key
    (it appends its evidence to the log); L1 (shared) and one L2 per key by every call
    that writes clusters or keys, and by none that only reads them (a returning buyer) —
    checked in pg_locks, whatever path the call took."""
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
        # Wherever they are held (on Citus: on the worker holding the tenant's shards).
        l0, l1 = db.rows("SELECT omni_identity.evidence_lock_key(%s), omni_identity.tenant_lock_key(%s)",
                         tenant, tenant)[0]
        locks = advisory_locks(db, conn.conn if hasattr(conn, "conn") else conn)
        conn.rollback()
    counts: dict = {}
    for key, mode, _node in locks:
        level = "L0" if key == l0 else "L1" if key == l1 else "L2"
        counts[(level, mode)] = counts.get((level, mode), 0) + 1
    held = sorted((level, mode, n) for (level, mode), n in counts.items())
    keys = sum(1 for value in args[:2] if value)
    expected = [("L0", "ShareLock", 1)]
    if kind != "returning":
        expected += [("L1", "ShareLock", 1), ("L2", "ExclusiveLock", keys)]
    assert held == expected


def test_fold_behind_an_open_resolve_transaction_gives_up_with_oi090(db, app_login):
    """An application transaction left open after a resolve holds L0 shared; the fold's
    exclusive request waits for it at most its bound, then OI090 with a HINT (the job loop
    retries), and the tenant's calls go on afterwards."""
    tenant = f"idle-{uuid.uuid4().hex[:8]}"
    db.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'idle@x.com')", tenant)
    with db.connect_as(app_login, tenant, autocommit=False) as idle, db.connect_as(app_login, tenant) as other:
        # A returning buyer (older seen_at: nothing to change): the fast path, L0 alone.
        idle.execute("SELECT omni_identity.resolve_customer_cluster(%s, 'idle@x.com', NULL, NULL, NULL, '2000-01-01')",
                     (tenant,))
        with pytest.raises(psycopg.Error) as err:
            other.execute("SELECT omni_identity.tenant_lock_exclusive(%s, '1 second'),"
                          "       omni_identity.evidence_lock_exclusive(%s, '50 milliseconds')", (tenant, tenant))
        assert err.value.sqlstate == "OI090"
        assert err.value.diag.message_hint and "short" in err.value.diag.message_hint
        idle.commit()
        # The returning buyer's log row (the first call, a write path, recorded its own).
        assert other.execute("SELECT omni_identity.evidence_fold(%s)", (tenant,)).fetchone()[0] == 1
