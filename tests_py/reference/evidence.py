"""The evidence of a list of inputs (SPEC section 12, design section 9.1), stated once in Python.

An *input* is a sale or a ``resolve_customer_cluster`` call: its raw identifiers, name and
``seen_at``, and the id of the sale (None for a resolve call). Its *keys* are its
normalized e-mail, phone and document that are not *removed*: blocked (the blocklist's
global rows and the tenant's own, exact or ``re.search`` on the normalized value) or
forgotten (a tombstone: SHA-256 of the normalized value). Removed keys are never recorded.

    rules = Rules(blocklist=shipped_blocklist(db) + tenant_rows, forgotten={("email", "x@y.com")})
    inputs = [Input(email="Ana@X.com", phone="(11) 98765-4321", name="Ana", seen_at=t1, sale_id=7), ...]
    ev = evidence(inputs, rules)
    ev.keys[("email", "ana@x.com")]        # KeyEvidence(inputs=1, first_seen_at=t1, ...)
    ev.pairs[("email", "ana@x.com", "phone", "+5511987654321")]   # PairEvidence(...)

What is recorded, over the inputs that kept at least one key:
- per key: ``inputs`` (how many inputs carried it), first and last ``seen_at``, the name of
  greatest ``(seen_at, name)`` (names as the golden record stores them, ``display_name``,
  compared by code point) among those inputs with a name, and ``linked_emails`` /
  ``linked_phones`` / ``linked_documents``: the number of distinct keys of that type it was
  seen with in one input;
- per pair of keys of one input, ordered ``a < b`` by ``(key_type, key_value)`` (code
  points): ``seen_count``, first and last ``seen_at``, and the sales that showed it (the
  stored ``sale_id`` is one of them; None when only resolve calls did).

A resent sale is not a new input: callers list each input once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from tests_py.reference import normalize as ref
from tests_py.reference.model import KEY_TYPES, display_name

Key = tuple[str, str]                   # (key_type, key_value)
Pair = tuple[str, str, str, str]        # (a_type, a_value, b_type, b_value), a < b


@dataclass(frozen=True)
class Rules:
    """What removes a key: blocklist rows (key_type, value_pattern, is_regex) that apply to
    the tenant (global and its own), and the tenant's forgotten keys."""
    blocklist: tuple[tuple[str, str, bool], ...] = ()
    forgotten: frozenset[Key] = frozenset()

    def blocked(self, key_type: str, value: str) -> bool:
        return any(t == key_type and (re.search(p, value) is not None if rx else p == value)
                   for t, p, rx in self.blocklist)

    def removed(self, key_type: str, value: str) -> bool:
        return (key_type, value) in self.forgotten or self.blocked(key_type, value)


@dataclass(frozen=True)
class Input:
    email: str | None = None
    phone: str | None = None
    document: str | None = None
    name: str | None = None
    seen_at: datetime | None = None
    sale_id: int | None = None


@dataclass
class KeyEvidence:
    inputs: int
    first_seen_at: datetime
    last_seen_at: datetime
    name: str | None = None
    name_seen_at: datetime | None = None
    linked_emails: int = 0
    linked_phones: int = 0
    linked_documents: int = 0


@dataclass
class PairEvidence:
    seen_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    sale_ids: set[int] = field(default_factory=set)


@dataclass
class Evidence:
    keys: dict[Key, KeyEvidence]
    pairs: dict[Pair, PairEvidence]


def normalized(key_type: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    return {"email": ref.email, "phone": ref.phone, "document": ref.document}[key_type](raw)


def keys_of(inp: Input, rules: Rules) -> list[Key]:
    """The input's keys that survive: normalized and not removed, in (key_type, value) order."""
    out = []
    for key_type, raw in zip(KEY_TYPES, (inp.email, inp.phone, inp.document)):
        value = normalized(key_type, raw)
        if value is not None and not rules.removed(key_type, value):
            out.append((key_type, value))
    return sorted(out)


def _code_points(key: Key) -> tuple[str, tuple[int, ...]]:
    return key[0], tuple(ord(c) for c in key[1])


def evidence(inputs: Iterable[Input], rules: Rules) -> Evidence:
    keys: dict[Key, KeyEvidence] = {}
    pairs: dict[Pair, PairEvidence] = {}
    neighbours: dict[Key, set[Key]] = {}
    for inp in inputs:
        ks = keys_of(inp, rules)
        if not ks:
            continue
        t = inp.seen_at
        name = display_name(inp.name)
        for k in ks:
            e = keys.get(k)
            if e is None:
                e = keys[k] = KeyEvidence(0, t, t)
            e.inputs += 1
            e.first_seen_at = min(e.first_seen_at, t)
            e.last_seen_at = max(e.last_seen_at, t)
            if name is not None and (e.name is None or (t, [ord(c) for c in name])
                                     > (e.name_seen_at, [ord(c) for c in e.name])):
                e.name, e.name_seen_at = name, t
        for i, a in enumerate(ks):
            for b in ks[i + 1:]:
                lo, hi = sorted((a, b), key=_code_points)
                p = pairs.get(lo + hi)
                if p is None:
                    p = pairs[lo + hi] = PairEvidence(0, t, t)
                p.seen_count += 1
                p.first_seen_at = min(p.first_seen_at, t)
                p.last_seen_at = max(p.last_seen_at, t)
                if inp.sale_id is not None:
                    p.sale_ids.add(inp.sale_id)
                neighbours.setdefault(a, set()).add(b)
                neighbours.setdefault(b, set()).add(a)
    for k, e in keys.items():
        ns = neighbours.get(k, set())
        e.linked_emails = sum(1 for n in ns if n[0] == "email")
        e.linked_phones = sum(1 for n in ns if n[0] == "phone")
        e.linked_documents = sum(1 for n in ns if n[0] == "document")
    return Evidence(keys, pairs)


def stored_evidence(db, tenant: str) -> Evidence:
    """The tables key_evidence and key_pairs of one tenant, in the reference's shape
    (sale_ids: the stored sale_id alone, or empty), after folding the tenant's evidence
    log into them (evidence = the tables plus the unfolded log, design §9.1)."""
    db.scalar("SELECT omni_identity.evidence_fold(%s)", tenant)
    keys = {(r[0], r[1]): KeyEvidence(*r[2:]) for r in db.rows(
        "SELECT key_type, key_value, inputs, first_seen_at, last_seen_at, name, name_seen_at,"
        "       linked_emails, linked_phones, linked_documents"
        "  FROM omni_identity.key_evidence WHERE tenant_id = %s", tenant)}
    pairs = {tuple(r[:4]): PairEvidence(r[4], r[5], r[6], {r[7]} if r[7] is not None else set())
             for r in db.rows(
                 "SELECT a_type, a_value, b_type, b_value, seen_count, first_seen_at, last_seen_at, sale_id"
                 "  FROM omni_identity.key_pairs WHERE tenant_id = %s", tenant)}
    return Evidence(keys, pairs)


def assert_matches(stored: Evidence, expected: Evidence) -> None:
    """Key rows equal; pair rows equal in count and times, and the stored sale_id one of
    the sales that showed the pair (None only when no sale did)."""
    assert stored.keys == expected.keys
    assert set(stored.pairs) == set(expected.pairs)
    for k, want in expected.pairs.items():
        got = stored.pairs[k]
        assert (got.seen_count, got.first_seen_at, got.last_seen_at) == \
            (want.seen_count, want.first_seen_at, want.last_seen_at), k
        if want.sale_ids:
            assert len(got.sale_ids) == 1 and got.sale_ids <= want.sale_ids, (k, got, want)
        else:
            assert not got.sale_ids, (k, got)
