"""Constructs that crash a Citus 13.2 coordinator, kept out of the package's SQL on both
legs (docs/scale-out.md, "The evidence upgrade"): an UPDATE whose SET list subscripts a
parameter (a PL/pgSQL variable or argument, `SET c = v_ids[v_n]`) crashes the coordinator
(signal 11, in Citus's deparser) when Citus routes the UPDATE to one shard. Read the
element into a scalar variable first."""
from __future__ import annotations

import re

from harness import paths

# From UPDATE to the end of its SET list (its FROM, WHERE, RETURNING or the statement's end).
_UPDATE_SET = re.compile(r"\bUPDATE\b[^;]*?\bSET\b(.*?)(?=\bFROM\b|\bWHERE\b|\bRETURNING\b|;)", re.I | re.S)
# A parameter subscripted: p_x[...], v_x[...], (v_x)[...], $1[...].
_SUBSCRIPTED_PARAM = re.compile(r"(?<![\w.])\(?\s*(?:[pv]_\w+|\$\d+)\s*\)?\s*\[")


def subscripted_params_in_update_set(sql: str) -> list[str]:
    code = re.sub(r"--[^\n]*", "", sql)
    return [m.group(0).strip()[:120] for m in _UPDATE_SET.finditer(code)
            if _SUBSCRIPTED_PARAM.search(m.group(1))]


def test_the_check_finds_the_construct():
    assert subscripted_params_in_update_set(
        "UPDATE omni_identity.evidence_upgrade u SET after_cluster_id = v_ids[v_n]\n WHERE u.tenant_id = p_tenant_id;")
    assert subscripted_params_in_update_set("UPDATE t SET a = 1, b = (p_arr)[2] WHERE x = 1;")
    assert subscripted_params_in_update_set("UPDATE t SET c = $1[$2] WHERE tenant_id = 'x';")
    assert not subscripted_params_in_update_set(
        "UPDATE t SET c = v_last WHERE tenant_id = p_tenant_id AND d = v_ids[1];")
    assert not subscripted_params_in_update_set("UPDATE t SET c = u.hash FROM unnest(p_a) u WHERE t.k = u.k;")


def test_no_update_subscripts_a_parameter_in_its_set_list():
    found = {}
    for path in sorted(paths.ROOT.joinpath("functions").rglob("*.sql")):
        hits = subscripted_params_in_update_set(path.read_text())
        if hits:
            found[str(path.relative_to(paths.ROOT))] = hits
    assert found == {}, found
