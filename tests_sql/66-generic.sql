-- 66-generic.sql: the generic-value rule (SPEC §12) in each path — resolve marks a key
-- generic in the call that crosses the threshold and drops a key already generic from
-- linking, the fold and the batch core detect a crossing (key row dropped, cluster
-- queued 'generic'), the split computes components of active keys only,
-- threshold 0 = off — and resolve/ingest as the application login.
BEGIN;
SELECT plan(44);
-- On Citus, a statement whose only table is a tenant's distributed table is sent whole to
-- the tenant's shard, the pgTAP call with it (and pgTAP's state is here): each assertion
-- reads this local one-row table too, so Citus runs it here and only its subqueries there.
CREATE TEMP TABLE one AS SELECT 1 AS one;
GRANT SELECT ON pg_temp.one TO PUBLIC;

CREATE FUNCTION pg_temp.reconcile_all() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    WHILE omni_identity.reconcile_merges(1000) > 0 LOOP
    END LOOP;
END;
$fn$;
-- The number of distinct live clusters the given e-mails' keys are on.
CREATE FUNCTION pg_temp.clusters_of(p_tenant text, p_emails text[]) RETURNS bigint LANGUAGE sql AS $fn$
    SELECT count(DISTINCT k.cluster_id) FROM omni_identity.customer_cluster_keys k
     WHERE k.tenant_id = p_tenant AND k.key_type = 'email' AND k.key_value = ANY (p_emails)
$fn$;

SELECT lives_ok($$ SELECT omni_identity.set_setting('gen-r', 'generic_threshold', '2') $$, 'threshold 2') FROM pg_temp.one;

-- resolve: a shop phone typed for three buyers; the third call crosses the threshold.
SELECT omni_identity.resolve_customer_cluster('gen-r', 'e1@x.com', '11 3333-4444', NULL, 'One', '2024-01-01');
SELECT omni_identity.resolve_customer_cluster('gen-r', 'e2@x.com', '11 3333-4444', NULL, 'Two', '2024-01-02');
SELECT is(pg_temp.clusters_of('gen-r', ARRAY['e1@x.com', 'e2@x.com']), 1::bigint,
          'at the threshold (two e-mails): the phone links') FROM pg_temp.one;
-- (e1's cluster read first: on Citus a statement that calls resolve may not also read a
-- distributed table, or it is pushed to the shard with the call.)
CREATE TEMP TABLE gen_r_e1 AS
SELECT cluster_id FROM omni_identity.customer_cluster_keys WHERE tenant_id = 'gen-r' AND key_value = 'e1@x.com';
SELECT isnt(omni_identity.resolve_customer_cluster('gen-r', 'e3@x.com', '11 3333-4444', NULL, 'Three', '2024-01-03'),
            (SELECT cluster_id FROM pg_temp.gen_r_e1),
            'resolve: the call that crosses the threshold marks the phone generic and links nothing through it') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.customer_cluster_keys
                    WHERE tenant_id = 'gen-r' AND key_type = 'phone' $$,
                'resolve: in that call, the phone''s key row is gone') FROM pg_temp.one;
SELECT results_eq($$ SELECT reason FROM omni_identity.cluster_split_queue WHERE tenant_id = 'gen-r' $$,
                  $$ VALUES ('generic') $$, 'resolve: its cluster is queued for a split, reason generic') FROM pg_temp.one;
SELECT is((SELECT linked_emails FROM omni_identity.key_evidence
            WHERE tenant_id = 'gen-r' AND key_type = 'phone' AND key_value = '+551133334444'),
          3::bigint, 'the generic key keeps its evidence') FROM pg_temp.one;
SELECT is(omni_identity.resolve_customer_cluster('gen-r', NULL, '(11) 3333-4444', NULL, NULL, '2024-01-04'),
          NULL, 'resolve: only a generic key → no cluster') FROM pg_temp.one;
SELECT is(omni_identity.resolve_customer_cluster('gen-r', 'e4@x.com', '(11) 3333-4444', NULL, NULL, '2024-01-05')
          = (SELECT cluster_id FROM pg_temp.gen_r_e1),
          false, 'resolve: a generic key links nothing (a new buyer stays apart)') FROM pg_temp.one;
SELECT is((SELECT (inputs, linked_emails)::text FROM omni_identity.key_evidence
            WHERE tenant_id = 'gen-r' AND key_type = 'phone' AND key_value = '+551133334444'),
          '(5,4)', 'resolve: inputs carrying a generic key still record it') FROM pg_temp.one;
SELECT lives_ok($$ SELECT pg_temp.reconcile_all() $$, 'reconcile') FROM pg_temp.one;
SELECT is(pg_temp.clusters_of('gen-r', ARRAY['e1@x.com', 'e2@x.com', 'e3@x.com', 'e4@x.com']), 4::bigint,
          'split: components of the active keys only (four buyers)') FROM pg_temp.one;
SELECT is((SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE tenant_id = 'gen-r'), 0::bigint,
          'no sales in this tenant (resolve only)') FROM pg_temp.one;

-- The fold: a log row written before resolve recorded its write paths in the call (by
-- hand here) may hold a new pair; the fold that records it detects the crossing.
SELECT omni_identity.set_setting('gen-f', 'generic_threshold', '1');
SELECT omni_identity.resolve_customer_cluster('gen-f', 'f1@x.com', '11 3333-5555', NULL, NULL, '2024-01-01');
INSERT INTO omni_identity.resolve_evidence_log (tenant_id, email, phone, seen_at)
VALUES ('gen-f', 'f2@x.com', '+551133335555', '2024-01-02');
SELECT is(omni_identity.evidence_fold('gen-f'), 1, 'fold: the log row') FROM pg_temp.one;
SELECT results_eq($$ SELECT (SELECT count(*) FROM omni_identity.customer_cluster_keys
                              WHERE tenant_id = 'gen-f' AND key_type = 'phone'),
                            (SELECT reason FROM omni_identity.cluster_split_queue WHERE tenant_id = 'gen-f') $$,
                  $$ VALUES (0::bigint, 'generic') $$,
                  'fold: the crossing it records drops the key row and queues the cluster (generic)') FROM pg_temp.one;

-- The batch core: the crossing happens inside one batch; no sale links through the phone.
SELECT omni_identity.set_setting('gen-b', 'generic_threshold', '2');
SELECT is((SELECT clustered FROM omni_identity.ingest_sales('gen-b', $j$[
    {"shop_id": "s", "external_id": "1", "created_at": "2024-02-01", "buyer_email": "a@x.com", "buyer_phone": "11 3333-4444"},
    {"shop_id": "s", "external_id": "2", "created_at": "2024-02-02", "buyer_email": "b@x.com", "buyer_phone": "11 3333-4444"},
    {"shop_id": "s", "external_id": "3", "created_at": "2024-02-03", "buyer_email": "c@x.com", "buyer_phone": "11 3333-4444"},
    {"shop_id": "s", "external_id": "4", "created_at": "2024-02-04", "buyer_phone": "11 3333-4444"}
  ]$j$::jsonb)), 3, 'ingest: the sale with only the generic phone gets no cluster') FROM pg_temp.one;
SELECT is((SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE tenant_id = 'gen-b'), 3::bigint,
          'ingest: three buyers, not one') FROM pg_temp.one;

-- Threshold 0: the guard is off.
SELECT omni_identity.set_setting('gen-o', 'generic_threshold', '0');
SELECT omni_identity.ingest_sales('gen-o', $j$[
    {"shop_id": "s", "external_id": "1", "created_at": "2024-02-01", "buyer_email": "a@x.com", "buyer_phone": "11 3333-4444"},
    {"shop_id": "s", "external_id": "2", "created_at": "2024-02-02", "buyer_email": "b@x.com", "buyer_phone": "11 3333-4444"},
    {"shop_id": "s", "external_id": "3", "created_at": "2024-02-03", "buyer_email": "c@x.com", "buyer_phone": "11 3333-4444"}
  ]$j$::jsonb);
SELECT is((SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE tenant_id = 'gen-o'), 1::bigint,
          'threshold 0: one cluster') FROM pg_temp.one;

-- Reconcile re-evaluates after a threshold change: lowered → split, raised → re-merge.
SELECT omni_identity.ingest_sales('gen-t', $j$[
    {"shop_id": "s", "external_id": "1", "created_at": "2024-02-01", "buyer_email": "a@x.com", "buyer_phone": "11 3333-4444", "buyer_name": "Ana"},
    {"shop_id": "s", "external_id": "2", "created_at": "2024-02-02", "buyer_email": "b@x.com", "buyer_phone": "11 3333-4444", "buyer_name": "Bia"},
    {"shop_id": "s", "external_id": "3", "created_at": "2024-02-03", "buyer_email": "c@x.com", "buyer_phone": "11 3333-4444", "buyer_name": "Cai"}
  ]$j$::jsonb);
SELECT pg_temp.reconcile_all();   -- applies gen-b's and gen-o's thresholds
SELECT is(omni_identity.generic_sweep_next(), NULL, 'nothing changed: no tenant to re-evaluate') FROM pg_temp.one;
SELECT omni_identity.set_setting('gen-t', 'generic_threshold', '2');
SELECT is((SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE tenant_id = 'gen-t'), 1::bigint,
          'a new threshold waits for reconcile') FROM pg_temp.one;
SELECT is(omni_identity.generic_sweep_next(), 'gen-t', 'threshold changed: the tenant is re-evaluated') FROM pg_temp.one;
SELECT pg_temp.reconcile_all();
SELECT is((SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE tenant_id = 'gen-t'), 3::bigint,
          'lowered: reconcile split the cluster (three buyers)') FROM pg_temp.one;
SELECT results_eq($$ SELECT last_buyer_name, last_buyer_phone FROM omni_identity.customer_cluster c
                      JOIN omni_identity.customer_cluster_keys k USING (tenant_id, cluster_id)
                     WHERE c.tenant_id = 'gen-t' ORDER BY 1 $$,
                  $$ VALUES ('Ana', NULL::text), ('Bia', NULL), ('Cai', NULL) $$,
                  'lowered: golden records from the active keys only') FROM pg_temp.one;
SELECT is((SELECT threshold FROM omni_identity.generic_applied WHERE tenant_id = 'gen-t'), 2,
          'the threshold applied is recorded') FROM pg_temp.one;
SELECT is(omni_identity.generic_sweep_next(), NULL, 'applied: a reconcile with nothing changed is cheap') FROM pg_temp.one;
SELECT omni_identity.set_setting('gen-t', 'generic_threshold', '20');
SELECT pg_temp.reconcile_all();
SELECT is((SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE tenant_id = 'gen-t'), 1::bigint,
          'raised: the phone links again, the clusters are merged') FROM pg_temp.one;
SELECT results_eq($$ SELECT c.last_buyer_name, c.last_buyer_phone FROM omni_identity.customer_cluster c
                     WHERE c.tenant_id = 'gen-t' AND c.merged_into IS NULL
                       AND EXISTS (SELECT FROM omni_identity.customer_cluster_keys k
                                    WHERE k.tenant_id = c.tenant_id AND k.cluster_id = c.cluster_id) $$,
                  $$ VALUES ('Cai', '+551133334444') $$, 'raised: one golden record with the phone') FROM pg_temp.one;

-- A generic key whose neighbours are forgotten falls back under the threshold.
SELECT omni_identity.set_setting('gen-t', 'generic_threshold', '2');
SELECT pg_temp.reconcile_all();
SELECT is((SELECT keys_forgotten FROM omni_identity.forget_identifier('gen-t', 'email', 'c@x.com')), 1,
          'forget one neighbour') FROM pg_temp.one;
SELECT is((SELECT threshold FROM omni_identity.generic_applied WHERE tenant_id = 'gen-t'), NULL,
          'remove_keys marks the tenant for re-evaluation') FROM pg_temp.one;
SELECT pg_temp.reconcile_all();
SELECT is((SELECT count(DISTINCT customer_hash) FROM public.omni_sales WHERE tenant_id = 'gen-t' AND external_id IN ('1', '2')),
          1::bigint, 'under the threshold again: the phone links a and b at the next reconcile') FROM pg_temp.one;

-- Each input counted once (design §9.4): a sale whose keys were all generic got no
-- cluster; the backfill, which picks sales without a customer_hash, must not record it
-- again — neither right away, nor once its key is active again, nor after a split left a
-- sale without a cluster.
CREATE FUNCTION pg_temp.backfill_all(p_tenant text) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    WHILE omni_identity.backfill_customer_hash(p_tenant, 100) > 0 LOOP
    END LOOP;
END;
$fn$;
-- (PL/pgSQL: Citus cannot plan a SQL function's parameter in a query of a distributed table.)
CREATE FUNCTION pg_temp.counts(p_tenant text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    RETURN (SELECT string_agg(e.key_value || '=' || e.inputs, ' ' ORDER BY e.key_value)
              FROM omni_identity.key_evidence e WHERE e.tenant_id = p_tenant)
           || ' | ' ||
           (SELECT string_agg(p.a_value || '~' || p.b_value || '=' || p.seen_count, ' ' ORDER BY p.a_value, p.b_value)
              FROM omni_identity.key_pairs p WHERE p.tenant_id = p_tenant);
END;
$fn$;
SELECT omni_identity.set_setting('gen-dc', 'generic_threshold', '2');
SELECT omni_identity.ingest_sales('gen-dc', $j$[
    {"shop_id": "s", "external_id": "1", "created_at": "2024-02-01", "buyer_email": "a@x.com", "buyer_phone": "11 3333-4444"},
    {"shop_id": "s", "external_id": "2", "created_at": "2024-02-02", "buyer_email": "b@x.com", "buyer_phone": "11 3333-4444"},
    {"shop_id": "s", "external_id": "3", "created_at": "2024-02-03", "buyer_email": "c@x.com", "buyer_phone": "11 3333-4444"},
    {"shop_id": "s", "external_id": "4", "created_at": "2024-02-04", "buyer_phone": "11 3333-4444"}
  ]$j$::jsonb);
SELECT is(pg_temp.counts('gen-dc'),
          '+551133334444=4 a@x.com=1 b@x.com=1 c@x.com=1 | a@x.com~+551133334444=1 b@x.com~+551133334444=1 c@x.com~+551133334444=1',
          'ingest: four inputs carried the phone');
SELECT ok(EXISTS (SELECT FROM omni_identity.backfill_keyless k JOIN public.omni_sales s
                    ON s.tenant_id = k.tenant_id AND s.id = k.sale_id
                   WHERE k.tenant_id = 'gen-dc' AND s.external_id = '4'),
          'ingest: the sale with only the generic phone is recorded as processed without a cluster');
-- A resend that changes only the status is not an input (design §9.1): the sale has no
-- customer_hash, and ingest must not cluster (and record) it again.
SELECT is((SELECT (r.inserted, r.updated, r.clustered)::text
             FROM omni_identity.ingest_sales('gen-dc', $j$[
    {"shop_id": "s", "external_id": "4", "created_at": "2024-02-04", "buyer_phone": "11 3333-4444", "status": "refunded"},
    {"shop_id": "s", "external_id": "3", "created_at": "2024-02-03", "buyer_email": "c@x.com", "buyer_phone": "11 3333-4444"}
  ]$j$::jsonb) r),
          '(0,1,0)', 'ingest: a status change of the generic-only sale is one update, clustered nowhere') FROM pg_temp.one;
SELECT is(pg_temp.counts('gen-dc'),
          '+551133334444=4 a@x.com=1 b@x.com=1 c@x.com=1 | a@x.com~+551133334444=1 b@x.com~+551133334444=1 c@x.com~+551133334444=1',
          'ingest: the status change is not recorded as an input') FROM pg_temp.one;
SELECT is((SELECT status || '/' || (customer_hash IS NULL) FROM public.omni_sales
            WHERE tenant_id = 'gen-dc' AND external_id = '4'),
          'refunded/true', 'ingest: the new status is stored, the sale still has no cluster') FROM pg_temp.one;
SELECT pg_temp.backfill_all('gen-dc');
SELECT is(pg_temp.counts('gen-dc'),
          '+551133334444=4 a@x.com=1 b@x.com=1 c@x.com=1 | a@x.com~+551133334444=1 b@x.com~+551133334444=1 c@x.com~+551133334444=1',
          'backfill after ingest: the generic-only sale is not recorded again');
SELECT omni_identity.set_setting('gen-dc', 'generic_threshold', '20');
SELECT pg_temp.reconcile_all();
SELECT pg_temp.backfill_all('gen-dc');
SELECT is((SELECT count(DISTINCT customer_hash) || '/' || count(customer_hash) FROM public.omni_sales WHERE tenant_id = 'gen-dc'),
          '1/4', 'raised: the phone is active again, the four sales are one customer');
SELECT is(pg_temp.counts('gen-dc'),
          '+551133334444=4 a@x.com=1 b@x.com=1 c@x.com=1 | a@x.com~+551133334444=1 b@x.com~+551133334444=1 c@x.com~+551133334444=1',
          'raised, reconciled and backfilled: still four inputs');
SELECT omni_identity.set_setting('gen-dc', 'generic_threshold', '2');
SELECT pg_temp.reconcile_all();
SELECT is((SELECT customer_hash FROM public.omni_sales WHERE tenant_id = 'gen-dc' AND external_id = '4'), NULL,
          'lowered: the split leaves the generic-only sale without a cluster');
SELECT pg_temp.backfill_all('gen-dc');
SELECT omni_identity.set_setting('gen-dc', 'generic_threshold', '20');
SELECT pg_temp.reconcile_all();
SELECT pg_temp.backfill_all('gen-dc');
SELECT is(pg_temp.counts('gen-dc'),
          '+551133334444=4 a@x.com=1 b@x.com=1 c@x.com=1 | a@x.com~+551133334444=1 b@x.com~+551133334444=1 c@x.com~+551133334444=1',
          'split to none, backfilled, raised again: still four inputs');
SELECT is((SELECT count(DISTINCT customer_hash) || '/' || count(customer_hash) FROM public.omni_sales WHERE tenant_id = 'gen-dc'),
          '1/4', 'raised again: one customer');

-- As the application login: resolve and ingest in its own tenant apply the rule.
DO $$
BEGIN
    -- The application login of tests_sql/support/helpers.sql (made outside the test's
    -- transaction: on Citus a role must be committed to reach the workers).
    PERFORM set_config('tests.app_login', 'oi_test_app', true);
    EXECUTE format('SET LOCAL ROLE %I', current_setting('tests.app_login'));
    PERFORM set_config('app.current_tenant_id', 'gen-b', true);
END;
$$;
SELECT is(omni_identity.resolve_customer_cluster('gen-b', 'z@x.com', '11 3333-4444', NULL, NULL, '2024-03-01')
          = (SELECT customer_hash FROM public.omni_sales WHERE external_id = '1'), false,
          'application login: resolve does not link through the generic phone') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.generic_applied WHERE tenant_id <> 'gen-b' $$,
                'generic_applied: the application login reads no other tenant''s row') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.backfill_keyless k JOIN public.omni_sales s
             ON s.tenant_id = k.tenant_id AND s.id = k.sale_id WHERE s.external_id = '4'),
          1::bigint, 'application login: it reads its own sales processed without a cluster (its ingest writes them: test_generic_model)') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.backfill_keyless WHERE tenant_id <> 'gen-b' $$,
                'backfill_keyless: the application login reads no other tenant''s row') FROM pg_temp.one;
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
