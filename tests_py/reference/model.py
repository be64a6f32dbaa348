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

Re-resolution (SPEC section 12, design §9): every input also records *evidence* (``Evidence``):
per key its inputs, first/last seen and greatest ``(seen_at, name)``, and the pairs of keys
that appeared together. ``block``/``forget``/``forget_keys`` remove keys (their evidence and
pairs; later inputs drop them), ``add_blocklist_row`` is a row inserted straight into
``key_blocklist`` (applied by ``reconcile``). After ``reconcile`` the state is a pure
function of the evidence and the removed keys: ``key_partition()`` (connected components of
the active keys over the pairs), ``sale_partition(sales)`` (a sale belongs to the component
of its active keys, None when it has none) and ``golden_of_keys(component)``. With no
removal these agree with the union-find (``components``/``golden``), which the older
suites use.

Generic values (SPEC section 12): a key linked (by the evidence pairs) to more than
``generic_threshold`` distinct keys of one other type is *generic* (0 = never): it is not
active — it links nothing and is no key of any cluster, and an input whose keys are all
generic or removed belongs to no cluster. ``generic_threshold`` is the tenant's setting
(set_setting), which the database applies at the next ``reconcile``.
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


Key = tuple[str, str]


class Evidence:
    """The evidence store of one tenant (key_evidence and key_pairs, SPEC section 12)."""

    def __init__(self) -> None:
        self.keys: dict[Key, dict] = {}
        self.pairs: dict[tuple[Key, Key], dict] = {}

    def record(self, keys: dict[str, str], name: str | None, seen_at: datetime) -> None:
        """One input's surviving keys (and its golden-form name, when it has one)."""
        ks = sorted(keys.items())
        for k in ks:
            e = self.keys.setdefault(k, {"inputs": 0, "first_seen_at": seen_at, "last_seen_at": seen_at,
                                         "name": None, "name_seen_at": None})
            e["inputs"] += 1
            e["first_seen_at"] = min(e["first_seen_at"], seen_at)
            e["last_seen_at"] = max(e["last_seen_at"], seen_at)
            if name is not None and (e["name"] is None or (seen_at, name) > (e["name_seen_at"], e["name"])):
                e["name"], e["name_seen_at"] = name, seen_at
        for i, a in enumerate(ks):
            for b in ks[i + 1:]:
                p = self.pairs.setdefault((a, b), {"seen_count": 0, "first_seen_at": seen_at,
                                                   "last_seen_at": seen_at})
                p["seen_count"] += 1
                p["first_seen_at"] = min(p["first_seen_at"], seen_at)
                p["last_seen_at"] = max(p["last_seen_at"], seen_at)

    def remove(self, key: Key) -> None:
        """A removed key (blocked or forgotten): its evidence and its pairs go."""
        self.keys.pop(key, None)
        for pair in [p for p in self.pairs if key in p]:
            del self.pairs[pair]


class Model:
    """Union-find over inputs sharing a normalized, non-blocked key, and the evidence of
    the same inputs (the re-resolution rules)."""

    def __init__(self, blocklist: Iterable[tuple[str, str, bool]]):
        self.blocklist = [(t, p, bool(rx)) for t, p, rx in blocklist]
        self._parent: list[int] = []
        self._inputs: list[dict] = []         # per input: normalized fields + seen_at
        self._owner: dict[tuple[str, str], int] = {}   # key -> first input that had it
        self.evidence = Evidence()
        self.forgotten: set[Key] = set()      # tombstones (the SQL keeps only their SHA-256)
        self.removals = 0                     # block/forget calls: the union-find is stale after one
        self.generic_threshold = 20           # the tenant's setting (SPEC section 12)

    # -- rules ------------------------------------------------------------------------
    def blocked(self, key_type: str, value: str) -> bool:
        for t, pattern, is_regex in self.blocklist:
            if t != key_type:
                continue
            if (re.search(pattern, value) is not None) if is_regex else (pattern == value):
                return True
        return False

    def removed(self, key_type: str, value: str) -> bool:
        """Blocked (any rule now) or forgotten: not an active key."""
        return (key_type, value) in self.forgotten or self.blocked(key_type, value)

    def keys_of(self, email=None, phone=None, document=None) -> dict[str, str]:
        """The surviving keys of one input: {key_type: normalized value}."""
        out = {}
        for key_type, raw in zip(KEY_TYPES, (email, phone, document)):
            if raw is None:
                continue
            value = _normalizer(key_type)(raw)
            if value is not None and not self.removed(key_type, value):
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
        self.evidence.record(keys, fields.get("name"), seen_at)
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

    # -- re-resolution (SPEC section 12) ----------------------------------------------
    def block(self, key_type: str, raw: str) -> Key | None:
        """block_identifier: a tenant row, the key and its pairs removed at once."""
        value = _normalizer(key_type)(raw)
        if value is None:
            return None
        self.blocklist.append((key_type, value, False))
        self._remove((key_type, value))
        return (key_type, value)

    def add_blocklist_row(self, key_type: str, pattern: str, is_regex: bool) -> None:
        """A row inserted straight into key_blocklist: later inputs drop its values at
        once, the evidence loses them at the next ``reconcile``."""
        self.blocklist.append((key_type, pattern, bool(is_regex)))

    def forget(self, key_type: str, raw: str) -> Key | None:
        """forget_identifier: a tombstone, the key and its pairs removed."""
        value = _normalizer(key_type)(raw)
        if value is None:
            return None
        self.forgotten.add((key_type, value))
        self._remove((key_type, value))
        return (key_type, value)

    def forget_keys(self, keys: Iterable[Key]) -> None:
        """forget_customer: every key of the cluster forgotten."""
        for k in list(keys):
            self.forgotten.add(k)
            self._remove(k)

    def _remove(self, key: Key) -> None:
        self.removals += 1
        self.evidence.remove(key)

    def reconcile(self) -> None:
        """The blocklist rows (direct ones included) applied to the evidence."""
        for k in [k for k in self.evidence.keys if self.blocked(*k)]:
            self._remove(k)

    def linked(self, key: Key) -> dict[str, int]:
        """Distinct keys of each type the key appeared with (key_evidence.linked_*)."""
        out = dict.fromkeys(KEY_TYPES, 0)
        for a, b in self.evidence.pairs:
            if a == key:
                out[b[0]] += 1
            elif b == key:
                out[a[0]] += 1
        return out

    def generic(self, key: Key) -> bool:
        """The generic-value rule: more than generic_threshold distinct keys of one other
        type (0 = the guard is off)."""
        return self.generic_threshold > 0 and max(self.linked(key).values()) > self.generic_threshold

    def active_keys(self, i: int) -> dict[str, str]:
        """Input i's keys that are still active (not removed since, not generic)."""
        return {t: v for t, v in self._inputs[i]["keys"].items()
                if not self.removed(t, v) and (t, v) in self.evidence.keys and not self.generic((t, v))}

    def key_partition(self) -> list[frozenset[Key]]:
        """Connected components of the active keys over the pairs whose both ends are
        active: a pure function of the evidence and the removed keys."""
        active = {k for k in self.evidence.keys if not self.removed(*k) and not self.generic(k)}
        parent = {k: k for k in active}

        def find(k):
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k
        for a, b in self.evidence.pairs:
            if a in active and b in active:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        groups: dict = {}
        for k in active:
            groups.setdefault(find(k), set()).add(k)
        return [frozenset(g) for g in groups.values()]

    def sale_partition(self, inputs: Iterable[int]) -> tuple[set[frozenset[int]], set[int]]:
        """The given inputs (sales) as a set partition by the component of their active
        keys, and the set of those with no active key (customer_hash NULL)."""
        comp_of = {k: c for c in self.key_partition() for k in c}
        groups: dict = {}
        none: set[int] = set()
        for i in inputs:
            ks = self.active_keys(i)
            comps = {comp_of[k] for k in ks.items()}
            assert len(comps) <= 1, f"input {i} spans several components: {comps}"
            if comps:
                groups.setdefault(comps.pop(), set()).add(i)
            else:
                none.add(i)
        return {frozenset(g) for g in groups.values()}, none

    def golden_of_keys(self, comp: Iterable[Key]) -> dict:
        """The golden record of a key component, from the evidence alone: per field the
        greatest (last_seen_at, value) of its keys of that type; the name, the greatest
        (name_seen_at, name) of its keys."""
        comp = list(comp)
        ev = self.evidence.keys
        out: dict = {}
        for f in KEY_TYPES:
            best = max(((ev[k]["last_seen_at"], k[1]) for k in comp if k[0] == f), default=None)
            out[f] = None if best is None else best[1]
            out[f + "_at"] = None if best is None else best[0]
        best = max(((ev[k]["name_seen_at"], ev[k]["name"]) for k in comp if ev[k]["name"] is not None),
                   default=None)
        out["name"] = None if best is None else best[1]
        out["name_at"] = None if best is None else best[0]
        return out
