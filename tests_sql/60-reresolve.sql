-- 60-reresolve.sql: block_identifier, forget_identifier, forget_customer and the split
-- tables: every error (package SQLSTATE and a HINT), the application login blocks and
-- forgets in its own tenant only, row-level security of cluster_split_queue,
-- customer_cluster_splits, forgotten_identifiers and cluster_repoint_queue (positive and
-- negative), the jobs are admin-only.
BEGIN;
SELECT plan(51);
-- On Citus, a statement whose only table is a tenant's distributed table is sent whole to
-- the tenant's shard, the pgTAP call with it (and pgTAP's state is here): each assertion
-- reads this local one-row table too, so Citus runs it here and only its subqueries there.
CREATE TEMP TABLE one AS SELECT 1 AS one;
GRANT SELECT ON pg_temp.one TO PUBLIC;

DO $$
BEGIN
    -- The application login of tests_sql/support/helpers.sql (made outside the test's
    -- transaction: on Citus a role must be committed to reach the workers).
    PERFORM set_config('tests.app_login', 'oi_test_app', true);
END;
$$;

-- Two tenants, each with one customer of two keys seen together (as the superuser).
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at,
                                            last_buyer_phone, last_buyer_phone_at) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000001', 'same@shop.com', '2026-01-01', '+5511987654321', '2026-01-01'),
    ('tenant-b', 'b0000000-0000-0000-0000-000000000001', 'same@shop.com', '2026-01-01', '+5511987654321', '2026-01-01');
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
SELECT t, k, v, c::uuid
  FROM (VALUES ('tenant-a', 'a0000000-0000-0000-0000-000000000001'), ('tenant-b', 'b0000000-0000-0000-0000-000000000001')) AS x(t, c),
       (VALUES ('email', 'same@shop.com'), ('phone', '+5511987654321')) AS y(k, v);
INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at, last_seen_at, linked_emails, linked_phones)
SELECT t, k, v, 1, '2026-01-01', '2026-01-01', CASE WHEN k = 'phone' THEN 1 ELSE 0 END, CASE WHEN k = 'email' THEN 1 ELSE 0 END
  FROM (VALUES ('tenant-a'), ('tenant-b')) AS x(t), (VALUES ('email', 'same@shop.com'), ('phone', '+5511987654321')) AS y(k, v);
INSERT INTO omni_identity.key_pairs (tenant_id, a_type, a_value, b_type, b_value, seen_count, first_seen_at, last_seen_at)
VALUES ('tenant-a', 'email', 'same@shop.com', 'phone', '+5511987654321', 1, '2026-01-01', '2026-01-01'),
       ('tenant-b', 'email', 'same@shop.com', 'phone', '+5511987654321', 1, '2026-01-01', '2026-01-01');
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_phone, created_at, customer_hash) VALUES
    ('tenant-a', 'shop', 'order-1', 'Same@Shop.com', '(11) 98765-4321', '2026-01-01', 'a0000000-0000-0000-0000-000000000001'),
    ('tenant-b', 'shop', 'order-1', 'Same@Shop.com', '(11) 98765-4321', '2026-01-01', 'b0000000-0000-0000-0000-000000000001');
INSERT INTO omni_identity.cluster_split_queue (tenant_id, cluster_id, reason) VALUES
    ('tenant-b', 'b0000000-0000-0000-0000-000000000001', 'test');
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000009'), ('tenant-b', 'b0000000-0000-0000-0000-000000000009');
INSERT INTO omni_identity.customer_cluster_splits (tenant_id, from_cluster, into_cluster, reason) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000001', 'a0000000-0000-0000-0000-000000000009', 'test'),
    ('tenant-b', 'b0000000-0000-0000-0000-000000000001', 'b0000000-0000-0000-0000-000000000009', 'test');
INSERT INTO omni_identity.forgotten_identifiers (tenant_id, key_type, value_sha256) VALUES
    ('tenant-b', 'email', omni_identity.value_sha256('gone@shop.com'));
INSERT INTO omni_identity.cluster_repoint_queue (tenant_id, cluster_id) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000009'), ('tenant-b', 'b0000000-0000-0000-0000-000000000009');
-- tenant-c's clusters predate evidence and its upgrade has not finished.
INSERT INTO omni_identity.evidence_upgrade (tenant_id, through_sale_id) VALUES ('tenant-c', 10);

-- Errors, as the application login of tenant-a.
SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-a');
SELECT throws_ok($$ SELECT omni_identity.block_identifier('tenant-a', 'fax', '1234') $$, 'OI055', NULL, 'block: unknown key type → OI055') FROM pg_temp.one;
SELECT isnt(tests.error_hint($$ SELECT omni_identity.block_identifier('tenant-a', 'fax', '1234') $$), NULL, 'block: OI055 has a HINT') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.block_identifier('tenant-a', NULL, '1234') $$, 'OI055', NULL, 'block: NULL key type → OI055') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.block_identifier('tenant-a', 'email', 'not an e-mail') $$, 'OI056', NULL, 'block: unreadable value → OI056') FROM pg_temp.one;
SELECT isnt(tests.error_hint($$ SELECT omni_identity.block_identifier('tenant-a', 'email', 'not an e-mail') $$), NULL, 'block: OI056 has a HINT') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.block_identifier('tenant-a', 'phone', NULL) $$, 'OI056', NULL, 'block: NULL value → OI056') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.block_identifier('tenant-b', 'email', 'same@shop.com') $$, 'OI002', NULL, 'block: another tenant → OI002') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.block_identifier(NULL, 'email', 'same@shop.com') $$, 'OI001', NULL, 'block: NULL tenant → OI001') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.forget_identifier('tenant-a', 'fax', '1234') $$, 'OI055', NULL, 'forget_identifier: unknown key type → OI055') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.forget_identifier('tenant-a', 'document', '111') $$, 'OI056', NULL, 'forget_identifier: unreadable value → OI056') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.forget_identifier('tenant-b', 'email', 'same@shop.com') $$, 'OI002', NULL, 'forget_identifier: another tenant → OI002') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.forget_customer('tenant-a', NULL) $$, 'OI057', NULL, 'forget_customer: NULL cluster → OI057') FROM pg_temp.one;
SELECT isnt(tests.error_hint($$ SELECT * FROM omni_identity.forget_customer('tenant-a', NULL) $$), NULL, 'forget_customer: OI057 has a HINT') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.forget_customer('tenant-a', 'b0000000-0000-0000-0000-000000000001') $$, 'OI058', NULL,
                 'forget_customer: another tenant''s cluster id is unknown → OI058') FROM pg_temp.one;
SELECT isnt(tests.error_hint($$ SELECT * FROM omni_identity.forget_customer('tenant-a', 'b0000000-0000-0000-0000-000000000001') $$), NULL,
            'forget_customer: OI058 has a HINT') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.forget_customer('tenant-b', 'b0000000-0000-0000-0000-000000000001') $$, 'OI002', NULL,
                 'forget_customer: another tenant → OI002') FROM pg_temp.one;
SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-c');
SELECT throws_ok($$ SELECT omni_identity.block_identifier('tenant-c', 'email', 'x@shop.com') $$, 'OI050', NULL, 'block: incomplete evidence → OI050') FROM pg_temp.one;
SELECT isnt(tests.error_hint($$ SELECT omni_identity.block_identifier('tenant-c', 'email', 'x@shop.com') $$), NULL, 'block: OI050 has a HINT') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.forget_identifier('tenant-c', 'email', 'x@shop.com') $$, 'OI050', NULL, 'forget_identifier: incomplete evidence → OI050') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.forget_customer('tenant-c', 'a0000000-0000-0000-0000-000000000001') $$, 'OI050', NULL, 'forget_customer: incomplete evidence → OI050') FROM pg_temp.one;

-- RLS of the new tables, as the application login of tenant-a.
SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-a');
SELECT is((SELECT count(*) FROM omni_identity.cluster_split_queue), 0::bigint, 'cluster_split_queue: tenant-b''s row is invisible') FROM pg_temp.one;
SELECT lives_ok($$ INSERT INTO omni_identity.cluster_split_queue (tenant_id, cluster_id, reason)
                   VALUES ('tenant-a', 'a0000000-0000-0000-0000-000000000009', 'test') $$, 'cluster_split_queue: insert in the session tenant') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.cluster_split_queue), 1::bigint, 'cluster_split_queue: the own row is visible') FROM pg_temp.one;
SELECT throws_ok($$ INSERT INTO omni_identity.cluster_split_queue (tenant_id, cluster_id, reason)
                    VALUES ('tenant-b', 'b0000000-0000-0000-0000-000000000009', 'test') $$, '42501', NULL,
                 'cluster_split_queue: insert in another tenant fails') FROM pg_temp.one;
SELECT is((SELECT array_agg(into_cluster) FROM omni_identity.customer_cluster_splits),
          ARRAY['a0000000-0000-0000-0000-000000000009'::uuid], 'customer_cluster_splits: only the session tenant''s lineage') FROM pg_temp.one;
SELECT throws_ok($$ INSERT INTO omni_identity.customer_cluster_splits (tenant_id, from_cluster, into_cluster)
                    VALUES ('tenant-a', 'a0000000-0000-0000-0000-000000000009', 'a0000000-0000-0000-0000-000000000001') $$, '42501', NULL,
                 'customer_cluster_splits: the application cannot write lineage') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.forgotten_identifiers), 0::bigint, 'forgotten_identifiers: tenant-b''s tombstone is invisible') FROM pg_temp.one;
SELECT throws_ok($$ INSERT INTO omni_identity.forgotten_identifiers (tenant_id, key_type, value_sha256)
                    VALUES ('tenant-b', 'email', omni_identity.value_sha256('x@shop.com')) $$, '42501', NULL,
                 'forgotten_identifiers: insert in another tenant fails') FROM pg_temp.one;
SELECT throws_ok($$ DELETE FROM omni_identity.forgotten_identifiers $$, '42501', NULL,
                 'forgotten_identifiers: the application cannot delete tombstones') FROM pg_temp.one;
SELECT is((SELECT array_agg(cluster_id) FROM omni_identity.cluster_repoint_queue),
          ARRAY['a0000000-0000-0000-0000-000000000009'::uuid], 'cluster_repoint_queue: only the session tenant''s rows') FROM pg_temp.one;
SELECT throws_ok($$ SELECT count(*) FROM omni_identity.blocklist_sweep $$, '42501', NULL, 'blocklist_sweep: admin only') FROM pg_temp.one;

-- The application blocks and forgets in its own tenant.
SELECT is(omni_identity.block_identifier('tenant-a', 'phone', '(11) 98765-4321', 'shared'), 1, 'block: one cluster queued') FROM pg_temp.one;
SELECT is(omni_identity.block_identifier('tenant-a', 'phone', '+55 11 98765-4321'), 0, 'block: again, idempotent, nothing left to queue') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.key_blocklist WHERE tenant_id = 'tenant-a' AND value_pattern = '+5511987654321'),
          1::bigint, 'block: one exact blocklist row') FROM pg_temp.one;
SELECT is((SELECT reason FROM omni_identity.key_blocklist WHERE tenant_id = 'tenant-a' AND value_pattern = '+5511987654321'),
          'shared', 'block: the reason is kept') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE key_type = 'phone'), 0::bigint, 'block: the key is gone') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.key_pairs), 0::bigint, 'block: its pair is gone') FROM pg_temp.one;
SELECT is((SELECT linked_phones FROM omni_identity.key_evidence WHERE key_type = 'email'), 0::bigint, 'block: the other end''s counter drops') FROM pg_temp.one;
SELECT is((SELECT last_buyer_phone FROM omni_identity.customer_cluster WHERE cluster_id = 'a0000000-0000-0000-0000-000000000001'),
          NULL, 'block: the golden phone is emptied') FROM pg_temp.one;
SELECT is((SELECT reason FROM omni_identity.cluster_split_queue WHERE cluster_id = 'a0000000-0000-0000-0000-000000000001'),
          'block', 'block: the cluster is queued') FROM pg_temp.one;
SELECT is((SELECT row(keys_forgotten, sales_redacted, clusters_queued)::text
             FROM omni_identity.forget_identifier('tenant-a', 'email', ' SAME@shop.com ')), '(1,1,1)',
          'forget_identifier: one key, one sale, one cluster') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.forgotten_identifiers
            WHERE key_type = 'email' AND value_sha256 = omni_identity.value_sha256('same@shop.com')), 1::bigint,
          'forget_identifier: the tombstone') FROM pg_temp.one;
SELECT is((SELECT buyer_email FROM public.omni_sales), NULL, 'forget_identifier: the buyer column is NULL') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.key_evidence), 0::bigint, 'forget_identifier: the evidence is gone') FROM pg_temp.one;
SELECT is((SELECT row(keys_forgotten, sales_redacted)::text
             FROM omni_identity.forget_customer('tenant-a', 'a0000000-0000-0000-0000-000000000001')), '(0,1)',
          'forget_customer: its one sale is cleared') FROM pg_temp.one;
SELECT is((SELECT row(buyer_phone, customer_hash)::text FROM public.omni_sales), '(,)', 'forget_customer: buyer columns and cluster cleared') FROM pg_temp.one;

-- tenant-b is untouched (as the superuser).
RESET ROLE;
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE tenant_id = 'tenant-b'), 2::bigint, 'tenant-b keeps its keys') FROM pg_temp.one;
SELECT is((SELECT buyer_email FROM public.omni_sales WHERE tenant_id = 'tenant-b'), 'Same@Shop.com', 'tenant-b keeps its sale') FROM pg_temp.one;

-- The jobs are admin-only.
SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-a');
SELECT throws_ok($$ SELECT omni_identity.reconcile_splits(10) $$, '42501', NULL, 'reconcile_splits: not for the application') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.split_clusters('tenant-a', 10) $$, '42501', NULL, 'split_clusters: not for the application') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.blocklist_sweep_tenant('tenant-a') $$, '42501', NULL, 'blocklist_sweep_tenant: not for the application') FROM pg_temp.one;

SELECT * FROM finish();
ROLLBACK;
