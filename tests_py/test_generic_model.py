"""The generic-value rule against the reference model (SPEC section 12, design §9).

Random data where junk values (a shop's landline, a salesperson's e-mail) are shared by
many people and families share a few values, sent in random orders through random paths
(resolve_customer_cluster, ingest_sales, the CSV path, raw rows taken by the backfill,
automatic mode), two consecutive inputs at times on two connections at once, with the
tenant's generic_threshold moved up and down between reconciles (set_setting, low values
so that examples stay small). After every reconcile the sales partition, the clusters'
key sets, their golden records and the evidence's counts (inputs, linked_*, pair
seen_count: each input once) equal the model, where a key is inactive when generic under
the threshold and the partition is the components of the active keys; and after every
input step, every key generic by its counters has lost its key row already (the call or
batch that crossed the threshold marked it). Inputs and set_setting run as the application login,
the backfill and reconcile as the job login (and all as the superuser).
"""
from __future__ import annotations

import itertools
import json
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from tests_py.test_backfill_model import busy_retry
from tests_py.test_reresolution_model import INPUTS, Run, check

# Junk shared by everyone, then per-person values; families share a phone or a document.
JUNK_EMAIL, JUNK_PHONE = "vendas@loja.com", "11 3333-4444"
EMAILS = (JUNK_EMAIL, "ana@x.com", "bia@y.com", "caio@z.com", "dani@w.com", "edu@v.com", "fabi@u.com")
PHONES = (JUNK_PHONE, "(11) 98765-4321", "21987654321", "(31) 99999-0001")
DOCS = ("529.982.247-25", "390.533.447-05")
NAMES = ("Ana", "Bia", "Caio", None)

inp = st.fixed_dictionaries({
    "buyer_email": st.one_of(st.none(), st.sampled_from(EMAILS), st.just(JUNK_EMAIL)),
    "buyer_phone": st.one_of(st.none(), st.sampled_from(PHONES), st.just(JUNK_PHONE), st.just(JUNK_PHONE)),
    "buyer_document": st.one_of(st.none(), st.none(), st.sampled_from(DOCS)),
    "buyer_name": st.sampled_from(NAMES),
    "minute": st.integers(0, 4),
})
input_step = st.tuples(st.sampled_from(["resolve", "ingest", "upload", "raw", "auto"]),
                       st.lists(inp, min_size=1, max_size=4))
step = st.one_of(
    input_step, input_step, input_step,
    st.tuples(st.just("threshold"), st.sampled_from([0, 1, 2, 3, 5, 20])),
    st.tuples(st.just("reconcile"), st.none()),
)
_tenants = itertools.count()


def drain_and_check(run: Run) -> None:
    """What `omni-identity reconcile` runs (the fold of the evidence log first, then
    reconcile_merges until done), after the backfill; then the state, and the evidence's
    counts, equal the model (check)."""
    busy_retry(run.job, "SELECT omni_identity.evidence_fold(%s)", run.tenant)
    run.drain()
    check(run)


def _inputs_at_once(run: Run, pair) -> None:
    """Two input steps at once, on the run's two application connections (inputs commute)."""
    errors: list = []

    def go(conn, s):
        try:
            run.do(conn, *s)
        except BaseException as exc:   # reported below
            errors.append(exc)
    threads = [threading.Thread(target=go, args=(run.app[j], pair[j])) for j in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors


def check_crossings_marked(run: Run) -> None:
    """Right after any input step: no key generic by the stored evidence (its distinct
    neighbours in key_pairs and in the unfolded evidence log) still has a key row —
    whatever path crossed the threshold (a resolve call, a batch) marked the key generic
    in that call, without waiting for a fold or reconcile. (Only a lowered threshold
    leaves such keys to the next reconcile; the caller skips the check then.)"""
    # The threshold first, in a statement of its own: on Citus a function that reads a
    # tenant's table cannot run inside a query the shard runs.
    threshold = run.job.execute("SELECT omni_identity.generic_threshold(%s)", (run.tenant,)).fetchone()[0]
    marked_late = run.job.execute("""
        WITH p AS (
            SELECT a_type, a_value, b_type, b_value FROM omni_identity.key_pairs WHERE tenant_id = %(t)s
            UNION SELECT 'document', document, 'email', email FROM omni_identity.resolve_evidence_log
                   WHERE tenant_id = %(t)s AND document IS NOT NULL AND email IS NOT NULL
            UNION SELECT 'document', document, 'phone', phone FROM omni_identity.resolve_evidence_log
                   WHERE tenant_id = %(t)s AND document IS NOT NULL AND phone IS NOT NULL
            UNION SELECT 'email', email, 'phone', phone FROM omni_identity.resolve_evidence_log
                   WHERE tenant_id = %(t)s AND email IS NOT NULL AND phone IS NOT NULL
        ), n AS (
            SELECT a_type AS t, a_value AS v, b_type AS o FROM p UNION ALL SELECT b_type, b_value, a_type FROM p
        ), c AS (
            SELECT t, v, count(*) FILTER (WHERE o = 'email') AS e, count(*) FILTER (WHERE o = 'phone') AS ph,
                   count(*) FILTER (WHERE o = 'document') AS d
              FROM n GROUP BY t, v
        )
        SELECT c.t, c.v, c.e, c.ph, c.d
          FROM c JOIN omni_identity.customer_cluster_keys k
            ON k.tenant_id = %(t)s AND k.key_type = c.t AND k.key_value = c.v
         WHERE omni_identity.key_is_generic(c.e, c.ph, c.d, %(th)s)
        """, {"t": run.tenant, "th": threshold}).fetchall()
    assert marked_late == [], marked_late


@settings(max_examples=25, deadline=None)
@given(steps=st.lists(step, min_size=4, max_size=14), first=st.sampled_from([2, 3]),
       parallel=st.lists(st.booleans(), min_size=14, max_size=14))
def test_generic_matches_model(module_db, app_login, steps, first, parallel):
    run = Run(module_db, f"gm{next(_tenants)}-{app_login}", app_login,
              "superuser" if app_login == "superuser" else "job")
    try:
        run.app[0].execute("SELECT omni_identity.set_setting(%s, 'generic_threshold', %s::jsonb)",
                           (run.tenant, str(first)))
        run.model.generic_threshold = first
        lowered = False     # since the last reconcile
        i = 0
        while i < len(steps):
            op, arg = steps[i]
            if op == "threshold":
                run.app[0].execute("SELECT omni_identity.set_setting(%s, 'generic_threshold', %s::jsonb)",
                                   (run.tenant, str(arg)))
                old = run.model.generic_threshold
                lowered |= arg != 0 and (old == 0 or arg < old)
                run.model.generic_threshold = arg
            elif op == "reconcile":
                drain_and_check(run)
                lowered = False
            else:
                if parallel[i] and i + 1 < len(steps) and steps[i + 1][0] in INPUTS:
                    _inputs_at_once(run, steps[i:i + 2])
                    i += 1
                else:
                    run.do(run.app[0], op, arg)
                if not lowered:
                    check_crossings_marked(run)
            i += 1
        drain_and_check(run)
    finally:
        run.close()


def test_generic_examples(module_db, app_login):
    """Fixed cases: a landline typed for three buyers (threshold 2) splits them; raised,
    it links them again; lowered again, they split again."""
    run = Run(module_db, f"gx{next(_tenants)}-{app_login}", app_login,
              "superuser" if app_login == "superuser" else "job")
    s = [{"buyer_email": e, "buyer_phone": JUNK_PHONE, "buyer_document": None, "buyer_name": n, "minute": m}
         for e, n, m in (("ana@x.com", "Ana", 1), ("bia@y.com", "Bia", 2), ("caio@z.com", None, 3))]
    try:
        run.app[0].execute("SELECT omni_identity.set_setting(%s, 'generic_threshold', '2')", (run.tenant,))
        run.model.generic_threshold = 2
        run.do(run.app[0], "ingest", s[:2])
        run.do(run.app[0], "resolve", s[2:])
        drain_and_check(run)
        assert len(run.model.sale_partition(run.sales.values())[0]) == 2
        for t in (20, 2, 0):
            run.app[0].execute("SELECT omni_identity.set_setting(%s, 'generic_threshold', %s::jsonb)",
                               (run.tenant, str(t)))
            run.model.generic_threshold = t
            drain_and_check(run)
        assert len(run.model.key_partition()) == 1
    finally:
        run.close()


def test_generic_sale_counted_once(module_db, app_login):
    """Fixed case: sales whose only key is the generic phone get no cluster (through
    ingest, automatic mode and the backfill); the backfill that later picks them, before and
    after the phone is active again and after a split left one without a cluster, records
    none of them twice, nor does a resend of the ingest batch that changes only the status
    (inputs and pair counts equal the model's)."""
    run = Run(module_db, f"gc{next(_tenants)}-{app_login}", app_login,
              "superuser" if app_login == "superuser" else "job")
    buyers = [{"buyer_email": e, "buyer_phone": JUNK_PHONE, "buyer_document": None, "buyer_name": None, "minute": m}
              for e, m in (("ana@x.com", 1), ("bia@y.com", 2), ("caio@z.com", 3))]
    alone = {"buyer_email": None, "buyer_phone": JUNK_PHONE, "buyer_document": None, "buyer_name": "Ana", "minute": 4}
    try:
        run.app[0].execute("SELECT omni_identity.set_setting(%s, 'generic_threshold', '2')", (run.tenant,))
        run.model.generic_threshold = 2
        run.do(run.app[0], "ingest", buyers + [alone])
        run.do(run.app[0], "auto", [alone])
        run.do(run.app[0], "raw", [alone])
        drain_and_check(run)
        # The ingest batch again with a new status: not an input (design §9.1), though its
        # generic-only sale has no customer_hash; the status is stored.
        _, rows = run.resent[0]
        busy_retry(run.app[0], "SELECT inserted FROM omni_identity.ingest_sales(%s, %s::jsonb)",
                   run.tenant, json.dumps([dict(r, status="refunded") for r in rows]))
        drain_and_check(run)
        assert module_db.scalar("SELECT count(*) FROM public.omni_sales WHERE tenant_id = %s"
                                " AND status = 'refunded'", run.tenant) == len(rows)
        for t in (20, 2, 20):
            run.app[0].execute("SELECT omni_identity.set_setting(%s, 'generic_threshold', %s::jsonb)",
                               (run.tenant, str(t)))
            run.model.generic_threshold = t
            drain_and_check(run)
        assert len(run.model.key_partition()) == 1
    finally:
        run.close()
