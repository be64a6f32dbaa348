"""Every normalizer does bounded work, whatever the text (README, "Normalization bounds").

PostgreSQL's NFC/NFD sort a run of combining marks in quadratic time and nothing
interrupts them (statement_timeout and pg_terminate_backend wait for the end): one 1 MB
value pinned a core for over an hour. So each normalizer refuses text past its bound
before any Unicode normalization. Measured here as a ratio, in one session over the same
text: the time of one call of a normalizer against the time of one length() (a single
pass over the characters), over pathological text of 1 MB — combining marks, every
Unicode plane, control characters, white space, digits. Most answer from the length
word alone, a fraction of length(), and none takes more than a few length()s; the
quadratic code took thousands of times one length() at 16 kB already.

The text grows 16 kB → 1 MB and every call must pass at 16 kB before any 1 MB value is
sent: a regression fails there within seconds instead of running for an hour where no
one can stop it.
"""
from __future__ import annotations

import pytest

from tests_py.support import Db

#: The greatest accepted ratio (time of one call / time of one length() over the text),
#: generous: the figures are in BENCHMARKS.md.
MAX_RATIO = 100

SIZES = (16 * 1024, 1024 * 1024)

#: SQL expressions of about %(n)s octets of text.
PATHOLOGICAL = {
    "combining marks": "'e' || repeat(E'\\u0301\\u0316', %(n)s / 4)",
    "combining marks in an e-mail": "'a' || repeat(E'\\u0316\\u0301', %(n)s / 4) || '@x.com'",
    "Hangul jamo to compose": "repeat(E'\\u1100\\u1161\\u11a8', %(n)s / 9)",
    "every plane": "(SELECT left(repeat(string_agg(chr(c), ''), %(n)s / 3000 + 1), %(n)s / 4)"
                   "   FROM generate_series(1, 1114111, 997) c WHERE c NOT BETWEEN 55296 AND 57343)",
    "control characters": "(SELECT repeat(string_agg(chr(c), '') || E'\\u007f\\u0085', %(n)s / 34)"
                          "   FROM generate_series(1, 31) c)",
    "white space around an e-mail": "repeat(' ', %(n)s / 2) || 'ana@x.com' || repeat(E'\\t', %(n)s / 2)",
    "ideographic space around a name": "repeat(E'\\u3000', %(n)s / 6) || 'Ana Silva' || repeat(E'\\u3000', %(n)s / 6)",
    "digits": "repeat('9', %(n)s)",
    "digits after a plus": "'+' || repeat('5', %(n)s)",
    "document masks": "repeat('./-', %(n)s / 3)",
    "accented words": "repeat(E'Jos\\u00e9 da Concei\\u00e7\\u00e3o, ', %(n)s / 22)",
}

#: Every function that reads raw text ({x}), public or the any-input parser behind one.
CALLS = [
    "omni_identity.normalize_email({x})",
    "omni_identity.normalize_email({x}, true)",
    "omni_identity.email_parse({x})",
    "omni_identity.normalize_phone({x})",
    "omni_identity.normalize_phone({x}, 'US')",
    "omni_identity.phone_fallback({x}, 'BR')",
    "omni_identity.phone_parse({x}, 'BR')",
    "omni_identity.normalize_document({x})",
    "omni_identity.document_parse({x})",
    "omni_identity.normalize_name({x})",
    "omni_identity.golden_name({x})",
    "omni_identity.identifier_sha256('email', {x})",
    "omni_identity.identifier_sha256('phone', {x})",
    "omni_identity.identifier_sha256('document', {x})",
    "omni_identity.identifier_sha256('name', {x})",
    "(omni_identity.query_filters(jsonb_build_object('email', {x}))).email",
    "(omni_identity.query_filters(jsonb_build_object('phone', {x}))).phone",
    "(omni_identity.query_filters(jsonb_build_object('document', {x}))).document",
    "(omni_identity.query_filters(jsonb_build_object('name', {x}))).name",
]

# One function per call: a loop of length() until it has run p_floor_ms, then the same
# number of calls, each loop after one call on a short text (PL/pgSQL sets an expression
# up at its first run). The calls stop as soon as their mean exceeds p_give_up times the
# floor: the ratio has failed, and a quadratic call must not run more often than needed.
TIMER = """
CREATE OR REPLACE FUNCTION pg_temp.cost_ratio_{i}(p_x text, p_floor_ms float8, p_give_up float8)
RETURNS float8
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_x     text := 'warm-up';
    v_t0    timestamptz;
    v_reps  int := 0;
    v_floor float8;
    v_calls int := 0;
BEGIN
    LOOP
        PERFORM length(v_x);
        IF v_t0 IS NULL THEN
            v_x := p_x;
            v_t0 := clock_timestamp();
        ELSE
            v_reps := v_reps + 1;
            EXIT WHEN clock_timestamp() - v_t0 >= p_floor_ms * interval '1 millisecond';
        END IF;
    END LOOP;
    v_floor := extract(epoch FROM clock_timestamp() - v_t0) / v_reps;
    v_x := 'warm-up';
    v_t0 := NULL;
    LOOP
        PERFORM {call};
        IF v_t0 IS NULL THEN
            v_x := p_x;
            v_t0 := clock_timestamp();
        ELSE
            v_calls := v_calls + 1;
            EXIT WHEN v_calls >= v_reps
                   OR extract(epoch FROM clock_timestamp() - v_t0) > p_give_up * v_floor * v_calls;
        END IF;
    END LOOP;
    RETURN extract(epoch FROM clock_timestamp() - v_t0) / v_calls / v_floor;
END;
$fn$
"""


@pytest.fixture(scope="module")
def timed(module_db: Db) -> Db:
    for i, call in enumerate(CALLS):
        module_db.execute(TIMER.format(i=i, call=call.format(x="v_x")))
    module_db.execute("CREATE TEMP TABLE pathological(label text, size int, x text)")
    for size in SIZES:
        for label, expr in PATHOLOGICAL.items():
            module_db.conn.execute(f"INSERT INTO pathological SELECT %(label)s, %(n)s, {expr}",
                                   {"label": label, "n": size})
    return module_db


def cost_ratio(db: Db, i: int, label: str, size: int) -> float:
    """The ratio of call i over the text; measured again (up to three times) when it is
    over MAX_RATIO by less than tenfold, which a busy machine can cause."""
    ratio = float("inf")
    for _ in range(3):
        ratio = min(ratio, db.scalar(f"SELECT pg_temp.cost_ratio_{i}(x, %s, %s) FROM pathological"
                                     " WHERE label = %s AND size = %s", 10.0, 10.0 * MAX_RATIO, label, size))
        if ratio <= MAX_RATIO or ratio > 10 * MAX_RATIO:
            break
    return ratio


def test_pathological_inputs_take_bounded_time(timed):
    sizes = dict(timed.rows("SELECT label, min(octet_length(x)) FROM pathological WHERE size = %s GROUP BY label",
                            SIZES[-1]))
    assert min(sizes.values()) > 1_000_000, sizes      # about 1 MB each
    for size in SIZES:
        over = [(label, call, round(ratio))
                for label in PATHOLOGICAL
                for i, call in enumerate(CALLS)
                if (ratio := cost_ratio(timed, i, label, size)) > MAX_RATIO]
        assert not over, f"over {MAX_RATIO}x length() at {size} octets: {over}"
