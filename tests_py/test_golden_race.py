"""Golden records when a resolve merges clusters another transaction is changing: the two
interleavings of the reconcile suite's chained merges (test_reconcile), forced one step at
a time. A second connection holds its resolve uncommitted, the merging call is observed
blocked on that transaction's row lock (pg_stat_activity, not a sleep), then the first one
commits. The result must be that of the serial order (first, then second): the golden
record is the greatest (seen_at, value) of the whole component (SPEC section 4, rule 3),
chains stay at length 1 and every key names the live survivor. Each test runs as the
superuser and as the application login (fixture app_login)."""
from __future__ import annotations

from datetime import datetime, timezone

from tests_py.reference.model import Model, shipped_blocklist
from tests_py.support import blocked_behind

T = [datetime(2024, 5, 1, h, tzinfo=timezone.utc) for h in range(8)]
RESOLVE = "SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, NULL, NULL, %s)"


class Tenant:
    """One tenant's resolve calls, mirrored into the reference model."""

    def __init__(self, db, tenant: str):
        self.db, self.tenant, self.model = db, tenant, Model(shipped_blocklist(db))

    def resolve(self, conn, email=None, phone=None, at=T[0]):
        self.model.add(email=email, phone=phone, seen_at=at)
        return conn.execute(RESOLVE, (self.tenant, email, phone, at)).fetchone()[0]

    def check(self, survivor) -> None:
        db, tenant = self.db, self.tenant
        assert db.scalar("SELECT merged_into IS NULL FROM omni_identity.customer_cluster"
                         " WHERE tenant_id = %s AND cluster_id = %s", tenant, survivor)
        [component] = self.model.components()
        g = db.dicts(
            "SELECT last_buyer_email AS email, last_buyer_email_at AS email_at,"
            "       last_buyer_phone AS phone, last_buyer_phone_at AS phone_at,"
            "       last_buyer_document AS document, last_buyer_document_at AS document_at,"
            "       last_buyer_name AS name, last_buyer_name_at AS name_at"
            "  FROM omni_identity.customer_cluster WHERE tenant_id = %s AND cluster_id = %s",
            tenant, survivor)[0]
        assert g == self.model.golden_of(component)
        # Every key on the survivor; every other cluster points straight at it.
        assert db.column("SELECT DISTINCT cluster_id FROM omni_identity.customer_cluster_keys"
                         " WHERE tenant_id = %s", tenant) == [survivor]
        assert db.scalar("SELECT count(*) FROM omni_identity.customer_cluster"
                         " WHERE tenant_id = %s AND merged_into IS DISTINCT FROM %s AND cluster_id <> %s",
                         tenant, survivor, survivor) == 0


def test_merge_waits_for_a_concurrent_golden_change(db, app_login):
    """The other transaction raises B's golden e-mail while this call merges A and B: the
    merge must take the committed value, not the one of its probe's snapshot."""
    t = Tenant(db, "gr1")
    with db.connect_as(app_login, t.tenant) as c:
        a = t.resolve(c, "a@x.com", "+55 11 98765-0000", at=T[1])
        b = t.resolve(c, "b@x.com", "+55 11 98765-0001", at=T[2])
        assert a != b
    with db.connect_as(app_login, t.tenant, autocommit=False) as first, db.connect_as(app_login, t.tenant) as second:
        assert t.resolve(first, "z@x.com", "+55 11 98765-0001", at=T[7]) == b   # uncommitted
        thread, out, errors = blocked_behind(
            db, first, lambda: t.resolve(second, "b@x.com", "+55 11 98765-0000", at=T[0]))
        first.commit()
        thread.join()
    assert not errors, errors
    assert out == [a]            # the oldest cluster survives
    t.check(a)


def test_merge_retries_when_its_cluster_was_merged_meanwhile(db, app_login):
    """The other transaction merges C (whose key this call names) into B; this call, which
    probed before that commit, locks C, finds it merged and must go again from the keys, so
    A takes B's whole group — C's e-mail at 06:00 is the golden one."""
    t = Tenant(db, "gr2")
    with db.connect_as(app_login, t.tenant) as c:
        a = t.resolve(c, "a@x.com", "+55 11 98765-0002", at=T[1])
        b = t.resolve(c, "b@x.com", at=T[2])
        cc = t.resolve(c, "c@x.com", "+55 11 98765-0003", at=T[6])
        assert len({a, b, cc}) == 3
    with db.connect_as(app_login, t.tenant, autocommit=False) as first, db.connect_as(app_login, t.tenant) as second:
        # C's phone with B's e-mail: C merges into B (older); held open.
        assert t.resolve(first, "b@x.com", "+55 11 98765-0003", at=T[0]) == b
        # C's e-mail with A's phone: this call's probe still sees the e-mail on C.
        thread, out, errors = blocked_behind(
            db, first, lambda: t.resolve(second, "c@x.com", "+55 11 98765-0002", at=T[0]))
        first.commit()
        thread.join()
    assert not errors, errors
    assert out == [a]
    t.check(a)


def test_merge_into_a_cluster_whose_loser_is_merged_meanwhile(db, app_login):
    """Chained merges as in the reconcile suite (C's group grows while it is merged): the
    other transaction merges D into C, this call merges C (probed before that commit) with
    A and must carry D's golden e-mail (07:00) into A."""
    t = Tenant(db, "gr3")
    with db.connect_as(app_login, t.tenant) as c:
        a = t.resolve(c, "a@x.com", at=T[1])
        cc = t.resolve(c, "c@x.com", "+55 11 98765-0004", at=T[2])
        d = t.resolve(c, "d@x.com", "+55 11 98765-0005", at=T[7])
        assert len({a, cc, d}) == 3
    with db.connect_as(app_login, t.tenant, autocommit=False) as first, db.connect_as(app_login, t.tenant) as second:
        assert t.resolve(first, "c@x.com", "+55 11 98765-0005", at=T[0]) == cc   # D into C
        thread, out, errors = blocked_behind(
            db, first, lambda: t.resolve(second, "a@x.com", "+55 11 98765-0004", at=T[0]))
        first.commit()
        thread.join()
    assert not errors, errors
    assert out == [a]
    t.check(a)
