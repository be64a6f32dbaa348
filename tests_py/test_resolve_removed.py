"""resolve_customer_cluster applies the removed-keys rule written into its read-only
statement (not a call of removed_keys, for speed: BENCHMARKS.md, resolve); this holds the
two to the same answers. Every kind of blocklist row and tombstone, the tenant's own, the
global ones and another tenant's (which must not apply), and rows of another key type with
the same text (which must not apply either); each buyer once as a returning buyer (the fast
path: its keys were stored before the rows were added straight to the tables, as an
unreconciled blocklist row leaves them) and once as a new one. The call's kept keys — in its
evidence-log row, in the keys it stores, in the cluster it returns — are its keys minus
removed_keys' answer. As the superuser and as the application login.
"""
from __future__ import annotations

import itertools

EMAILS = ("ok@x.com", "gx@x.com", "ox@x.com", "a@rx.com", "fx@x.com", "fo@x.com", "tm@x.com", "teste@teste.com")
PHONES = (None, "+5511911110000", "+5511911110001", "+5511911110002", "+5521911110003")
DOCS = (None, "52998224725", "39053344705", "11144477735")

BLOCKLIST = (   # tenant_id, key_type, value_pattern, is_regex
    (None, "email", "gx@x.com", False),          # global exact
    ("t", "phone", "+5511911110001", False),     # the tenant's exact
    ("o", "email", "ox@x.com", False),           # another tenant's: not for t
    ("t", "email", "@rx[.]com$", True),          # the tenant's regex
    (None, "document", "^390", True),            # global regex
    ("o", "phone", "^[+]5521", True),            # another tenant's regex: not for t
    ("t", "phone", "tm@x.com", False),           # another type's row with an e-mail's text
)
TOMBSTONES = (  # tenant_id, key_type, value
    ("t", "email", "fx@x.com"),
    ("t", "phone", "+5511911110002"),
    ("t", "document", "11144477735"),
    ("o", "email", "fo@x.com"),                  # another tenant's: not for t
    ("t", "document", "ok@x.com"),               # another type: the e-mail stays
)


def _kept(db, tenant, email, phone, doc) -> tuple:
    removed = {t for t, in db.rows(
        "SELECT key_type FROM omni_identity.removed_keys(%s, ARRAY['email', 'phone', 'document'], ARRAY[%s, %s, %s])",
        tenant, email, phone, doc)}
    return tuple(None if t in removed else v for t, v in (("email", email), ("phone", phone), ("document", doc)))


def _inputs(db, tenant) -> dict:
    return {(t, v): n for t, v, n in db.rows(
        "SELECT key_type, key_value, inputs FROM omni_identity.key_evidence WHERE tenant_id = %s", tenant)}


def _recorded(db, tenant, before: dict) -> list:
    """The inputs a call recorded: its evidence log row (the fast path), or the keys whose
    evidence it wrote (the write path records its input in the call)."""
    log = db.rows("SELECT email, phone, document FROM omni_identity.resolve_evidence_log"
                  " WHERE tenant_id = %s", tenant)
    grown = {t: v for (t, v), n in _inputs(db, tenant).items() if n != before.get((t, v), 0)}
    written = [tuple(grown.get(t) for t in ("email", "phone", "document"))] if grown else []
    return log + written


def test_resolve_drops_what_removed_keys_removes(db, app_login):
    """Tenant t: every buyer stored first, then the rules added (its calls are returning
    buyers: the fast path). Tenant n: the same rules from the start (new buyers, then
    attaches and merges as the buyers share values: the write path)."""
    combos = list(itertools.product(EMAILS, PHONES, DOCS))
    call = "SELECT omni_identity.resolve_customer_cluster(%s, %s, %s, %s, 'Ana', %s)"
    with db.connect_as(app_login, tenant="t") as conn:
        for email, phone, doc in combos:
            conn.execute(call, ("t", email, phone, doc, "2024-01-01"))
    for tenant, key_type, value, is_regex in BLOCKLIST:
        for tt in ({"n", "t"} if tenant == "t" else {tenant}):
            db.execute("INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)"
                       " VALUES (%s, %s, %s, %s)", tt, key_type, value, is_regex)
    for tenant, key_type, value in TOMBSTONES:
        for tt in ({"n", "t"} if tenant == "t" else {tenant}):
            db.execute("INSERT INTO omni_identity.forgotten_identifiers (tenant_id, key_type, value_sha256)"
                       " VALUES (%s, %s, omni_identity.value_sha256(%s))", tt, key_type, value)
    removed_some = kept_some = 0
    for tenant, seen_at in (("t", "2023-01-01"), ("n", "2024-01-01")):   # t: older, no golden change
        with db.connect_as(app_login, tenant=tenant) as conn:
            for email, phone, doc in combos:
                kept = _kept(db, tenant, email, phone, doc)
                removed_some += kept != (email, phone, doc)
                kept_some += kept == (email, phone, doc)
                db.execute("DELETE FROM omni_identity.resolve_evidence_log WHERE tenant_id = %s", tenant)
                before = _inputs(db, tenant)
                got = conn.execute(call, (tenant, email, phone, doc, seen_at)).fetchone()[0]
                what = f"{tenant}: {(email, phone, doc)} kept {kept}"
                recorded = _recorded(db, tenant, before)
                if kept == (None, None, None):
                    assert got is None and recorded == [], what
                    continue
                assert recorded == [kept], what
                # The key's live cluster by a join (on Citus a function that reads a
                # distributed table, current_cluster, cannot run in a query pushed down to
                # a shard).
                owners = {db.scalar("SELECT coalesce(c.merged_into, c.cluster_id)"
                                    "  FROM omni_identity.customer_cluster_keys k"
                                    "  JOIN omni_identity.customer_cluster c"
                                    "    ON c.tenant_id = k.tenant_id AND c.cluster_id = k.cluster_id"
                                    " WHERE k.tenant_id = %s AND k.key_type = %s AND k.key_value = %s", tenant, t, v)
                          for t, v in zip(("email", "phone", "document"), kept) if v is not None}
                assert owners == {got}, what
    assert removed_some and kept_some
    # Tenant n never stored a removed value.
    # Its keys read first, then removed_keys over all of them in one call (on Citus the
    # function cannot run per row of a query pushed down to a shard).
    stored = db.rows("SELECT key_type, key_value FROM omni_identity.customer_cluster_keys WHERE tenant_id = 'n'")
    assert stored
    removed = db.scalar("SELECT count(*) FROM omni_identity.removed_keys('n', %s::text[], %s::text[])",
                        [r[0] for r in stored], [r[1] for r in stored])
    assert removed == 0
