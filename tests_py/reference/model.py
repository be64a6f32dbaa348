"""The resolution rules (SPEC section 4) stated once in Python: a union-find reference model.

One ``Model`` per tenant. Each ``add`` is one input (a sale, a ``resolve_customer_cluster``
call); the model normalizes its identifiers with the reference normalizers, drops blocked
values, and links inputs that share a key. The final state never depends on call order:

    m = Model(shipped_blocklist(db))   # the global rows the database ships
    a = m.add(email="Ana@X.com", seen_at=t1)
    b = m.add(email="ana@x.com", phone="(11) 98765-4321", seen_at=t2)
    m.components()        # [frozenset({a, b})]
    m.golden(a)           # {'email': 'ana@x.com', 'email_at': t2, 'phone': '+5511987654321', ...}

Rules (the SQL implements exactly these):
- Keys: e-mail (default, non-canonical form), phone (E.164, region BR), document. A value
  that does not normalize, or matches the blocklist (exact or ``re.search`` of the pattern
  on the normalized value; global rows and the tenant's own), is dropped.
- An input with no key left joins no cluster (``component_of`` and ``golden`` are None).
- Golden record, per field f: the greatest ``(seen_at, value)`` over the inputs of the
  component whose f survived. Values: e-mail/document as normalized, phone E.164; the
  name as given, trimmed and with every inner white-space run collapsed to one space
  (``display_name``), kept when the input had at least one key and ``normalize_name``
  of it is not NULL. Values compare by code point (SQL: ``COLLATE "C"``).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Iterable

from tests_py.reference import normalize as ref

KEY_TYPES = ("email", "phone", "document")
FIELDS = ("email", "phone", "document", "name")

Blocklist = tuple[tuple[str, str, bool], ...]


def shipped_blocklist(db) -> Blocklist:
    """The global rows of omni_identity.key_blocklist (tenant_id NULL) as the database
    holds them: (key_type, value_pattern, is_regex). Read, never copied, so the model
    cannot drift from what the migrations ship."""
    return tuple(db.rows("SELECT key_type, value_pattern, is_regex FROM omni_identity.key_blocklist"
                         " WHERE tenant_id IS NULL ORDER BY key_type, value_pattern"))

# White space for the golden name: Python's str.isspace set plus U+200B and U+FEFF (the
# set the normalizers trim); omni_identity.golden_name embeds the same class.
WHITESPACE_CLASS = ref.WHITESPACE
_WS_RUN = re.compile("[" + re.escape(WHITESPACE_CLASS) + "]+")


def display_name(raw: str | None) -> str | None:
    """The golden-record form of a name: trimmed, inner white space runs → one space.
    None when the name does not survive normalization (``normalize_name`` is NULL)."""
    if raw is None or ref.name(raw) is None:
        return None
    value = _WS_RUN.sub(" ", raw).strip(" ")
    return value or None


def _normalizer(key_type: str):
    return {"email": ref.email, "phone": ref.phone, "document": ref.document}[key_type]


class Model:
    """Union-find over inputs sharing a normalized, non-blocked key."""

    def __init__(self, blocklist: Iterable[tuple[str, str, bool]]):
        self.blocklist = [(t, p, bool(rx)) for t, p, rx in blocklist]
        self._parent: list[int] = []
        self._inputs: list[dict] = []         # per input: normalized fields + seen_at
        self._owner: dict[tuple[str, str], int] = {}   # key -> first input that had it

    # -- rules ------------------------------------------------------------------------
    def blocked(self, key_type: str, value: str) -> bool:
        for t, pattern, is_regex in self.blocklist:
            if t != key_type:
                continue
            if (re.search(pattern, value) is not None) if is_regex else (pattern == value):
                return True
        return False

    def keys_of(self, email=None, phone=None, document=None) -> dict[str, str]:
        """The surviving keys of one input: {key_type: normalized value}."""
        out = {}
        for key_type, raw in zip(KEY_TYPES, (email, phone, document)):
            if raw is None:
                continue
            value = _normalizer(key_type)(raw)
            if value is not None and not self.blocked(key_type, value):
                out[key_type] = value
        return out

    # -- union-find -------------------------------------------------------------------
    def _find(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)

    def add(self, email=None, phone=None, document=None, name=None,
            seen_at: datetime | None = None) -> int:
        """Record one input; returns its index (0, 1, 2, ...)."""
        if seen_at is None:
            raise ValueError("seen_at is required (the golden record orders by it)")
        keys = self.keys_of(email, phone, document)
        i = len(self._inputs)
        fields = dict(keys)
        if keys:
            dn = display_name(name)
            if dn is not None:
                fields["name"] = dn
        self._inputs.append({"keys": keys, "fields": fields, "seen_at": seen_at})
        self._parent.append(i)
        for key_type, value in keys.items():
            owner = self._owner.setdefault((key_type, value), i)
            self._union(owner, i)
        return i

    # -- results ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._inputs)

    def has_keys(self, i: int) -> bool:
        return bool(self._inputs[i]["keys"])

    def components(self) -> list[frozenset[int]]:
        """The partition of the inputs that have at least one key."""
        groups: dict[int, set[int]] = {}
        for i in range(len(self._inputs)):
            if self.has_keys(i):
                groups.setdefault(self._find(i), set()).add(i)
        return [frozenset(g) for g in groups.values()]

    def component_of(self, i: int) -> frozenset[int] | None:
        if not self.has_keys(i):
            return None
        root = self._find(i)
        return frozenset(j for j in range(len(self._inputs))
                         if self.has_keys(j) and self._find(j) == root)

    def keys(self) -> dict[tuple[str, str], int]:
        """Every surviving key → the root of its component."""
        return {k: self._find(i) for k, i in self._owner.items()}

    def golden(self, i: int) -> dict | None:
        """The golden record of i's component: {f: value, f_at: seen_at} for every field."""
        comp = self.component_of(i)
        return None if comp is None else self.golden_of(comp)

    def golden_of(self, comp: Iterable[int]) -> dict:
        """The golden record of a set of inputs (a component from ``components()``)."""
        comp = list(comp)
        out: dict = {}
        for f in FIELDS:
            best = max(((self._inputs[j]["seen_at"], self._inputs[j]["fields"][f])
                        for j in comp if f in self._inputs[j]["fields"]), default=None)
            out[f] = None if best is None else best[1]
            out[f + "_at"] = None if best is None else best[0]
        return out
