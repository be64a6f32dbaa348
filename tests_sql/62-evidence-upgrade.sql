-- 62-evidence-upgrade.sql: evidence_upgrade_batch / evidence_upgrade_remaining — errors
-- (SQLSTATE + HINT), admin only, a small upgrade end to end (design §9)
BEGIN;
SELECT plan(20);
-- On Citus, a statement whose only table is a tenant's distributed table is sent whole to
-- the tenant's shard, the pgTAP call with it (and pgTAP's state is here): each assertion
-- reads this local one-row table too, so Citus runs it here and only its subqueries there.
CREATE TEMP TABLE one AS SELECT 1 AS one;
GRANT SELECT ON pg_temp.one TO PUBLIC;

-- The SQLSTATE and HINT of a call's error ('' when it succeeds).
CREATE FUNCTION pg_temp.err_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
    v_hint  text;
BEGIN
    EXECUTE p_sql;
    RETURN '';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_hint = PG_EXCEPTION_HINT;
    RETURN v_state || ': ' || coalesce(v_hint, '(no hint)');
END;
$$;

SELECT has_function('omni_identity', 'evidence_upgrade_batch', ARRAY['text', 'integer'], 'evidence_upgrade_batch(text, integer) exists');
SELECT has_function('omni_identity', 'evidence_upgrade_remaining', ARRAY['text'], 'evidence_upgrade_remaining(text) exists');
SELECT isnt(obj_description('omni_identity.evidence_upgrade_batch(text, integer)'::regprocedure, 'pg_proc'), NULL, 'evidence_upgrade_batch is documented') FROM pg_temp.one;
SELECT has_column('omni_identity', 'evidence_upgrade', 'after_cluster_id', 'the key phase has its cursor');

-- Errors: the package's SQLSTATE with a HINT.
SELECT matches(pg_temp.err_of($$ SELECT omni_identity.evidence_upgrade_batch('u1', 0) $$), '^OI065: .+', 'batch size below 1: OI065 with a hint') FROM pg_temp.one;
SELECT matches(pg_temp.err_of($$ SELECT omni_identity.evidence_upgrade_batch(NULL, 100001) $$), '^OI065: .+', 'batch size above 100000: OI065 with a hint') FROM pg_temp.one;
SELECT matches(pg_temp.err_of($$ SELECT omni_identity.evidence_upgrade_batch('', 10) $$), '^OI001: .+', 'empty tenant: OI001') FROM pg_temp.one;

-- A tenant clustered before evidence existed: its clusters, no evidence, the 0110 row.
SELECT omni_identity.resolve_customer_cluster('u1', 'ana@x.com', '(11) 98765-4321', NULL, 'Ana', '2024-01-01');
SELECT omni_identity.resolve_customer_cluster('u1', 'bia@y.com', NULL, NULL, NULL, '2024-01-02');
SELECT omni_identity.resolve_customer_cluster('u1', 'bia@y.com', '(11) 98765-4321', NULL, NULL, '2024-01-03');
DELETE FROM omni_identity.key_pairs WHERE tenant_id = 'u1';
DELETE FROM omni_identity.key_evidence WHERE tenant_id = 'u1';
INSERT INTO omni_identity.evidence_upgrade (tenant_id, through_sale_id) VALUES ('u1', 0);
SELECT matches(pg_temp.err_of($$ SELECT omni_identity.require_evidence_complete('u1') $$), '^OI050: .*evidence-upgrade', 'upgrade pending: OI050 naming the command') FROM pg_temp.one;

-- The application role may not run the job nor count it.
SELECT tests.act_as('omni_identity_app', 'u1');
SELECT throws_ok($$ SELECT omni_identity.evidence_upgrade_batch('u1') $$, '42501', NULL, 'the app role cannot run the upgrade') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.evidence_upgrade_remaining('u1') $$, '42501', NULL, 'nor count it') FROM pg_temp.one;
SELECT throws_ok($$ UPDATE omni_identity.evidence_upgrade SET completed_at = now() $$, '42501', NULL, 'nor mark it complete') FROM pg_temp.one;
RESET ROLE;
SELECT set_config('app.current_tenant_id', '', true) FROM pg_temp.one;

-- A row inserted straight into the blocklist is not swept while the upgrade is pending (a
-- split would read incomplete evidence).
INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern) VALUES ('u1', 'email', 'bia@y.com');
SELECT count(*) FROM generate_series(1, 4) g CROSS JOIN LATERAL omni_identity.reconcile_merges(100) r;
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE tenant_id = 'u1' AND key_value = 'bia@y.com'),
          1::bigint, 'no blocklist sweep while the upgrade is pending') FROM pg_temp.one;

-- Run it: the three keys' cluster is examined, then the upgrade completes.
SELECT is(omni_identity.evidence_upgrade_remaining('u1'), 2::bigint, 'one cluster and the completion step left') FROM pg_temp.one;
SELECT is(omni_identity.evidence_upgrade_batch('u1', 10), 1, 'the key phase examines the one cluster') FROM pg_temp.one;
SELECT is(omni_identity.evidence_upgrade_batch('u1', 10), 1, 'then the completion step') FROM pg_temp.one;
SELECT is(omni_identity.evidence_upgrade_batch('u1', 10), 0, 'then nothing is left') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.key_evidence WHERE tenant_id = 'u1'), 3::bigint, 'every key has evidence') FROM pg_temp.one;
-- Star rule: the keys share one created_at (one transaction), so the oldest is ana@x.com
-- (then key_type, key_value); no pair was stored: each other key is paired with it.
SELECT is((SELECT count(*) FROM omni_identity.key_pairs WHERE tenant_id = 'u1'), 2::bigint, 'each later key paired with the oldest') FROM pg_temp.one;

SELECT is((SELECT count(*) FROM omni_identity.generic_applied a WHERE a.tenant_id = 'u1' AND a.threshold IS NULL), 1::bigint,
          'the upgrade completed: the next reconcile re-evaluates the generic rule on its counters') FROM pg_temp.one;

-- Once complete, the next reconcile sweeps the tenant.
SELECT count(*) FROM generate_series(1, 6) g CROSS JOIN LATERAL omni_identity.reconcile_merges(100) r;
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE tenant_id = 'u1' AND key_value = 'bia@y.com'),
          0::bigint, 'the upgrade completed: the next reconcile sweeps the blocklist row') FROM pg_temp.one;

SELECT * FROM finish();
ROLLBACK;
