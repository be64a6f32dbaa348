-- 40-rls-tables.sql: row-level security of every tenant table, as an application login: read, insert, update, delete, positive and negative, and fail-closed without a session tenant.
BEGIN;
SELECT plan(112);

-- An application login, as a DBA creates one.
DO $$
BEGIN
    -- The application login of tests_sql/support/helpers.sql (made outside the test's
    -- transaction: on Citus a role must be committed to reach the workers).
    PERFORM set_config('tests.app_login', 'oi_test_app', true);
END;
$$;

-- Rows changed by one statement, run as the current role.
CREATE FUNCTION tests.affected(p_sql text) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_rows bigint;
BEGIN
    EXECUTE p_sql;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END;
$fn$;

-- The same identifiers in two tenants: one row of each tenant in every table.
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000001'), ('tenant-a', 'a0000000-0000-0000-0000-000000000002'),
    ('tenant-b', 'b0000000-0000-0000-0000-000000000001'), ('tenant-b', 'b0000000-0000-0000-0000-000000000002');
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id) VALUES
    ('tenant-a', 'email', 'same@shop.com', 'a0000000-0000-0000-0000-000000000001'),
    ('tenant-b', 'email', 'same@shop.com', 'b0000000-0000-0000-0000-000000000001');
INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000002', 'a0000000-0000-0000-0000-000000000001'),
    ('tenant-b', 'b0000000-0000-0000-0000-000000000002', 'b0000000-0000-0000-0000-000000000001');
INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern) VALUES
    ('tenant-a', 'email', 'blocked@shop.com'), ('tenant-b', 'email', 'blocked@shop.com');
INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES
    ('tenant-a', 'flag', 'true'), ('tenant-b', 'flag', 'true');
INSERT INTO omni_identity.sales_rejects (tenant_id, batch_id, row_no, raw, reason) VALUES
    ('tenant-a', 1, 1, '{}', 'x'), ('tenant-b', 1, 1, '{}', 'x');
INSERT INTO omni_identity.batch_metrics (tenant_id, batch_id, job, started_at, duration) VALUES
    ('tenant-a', 1, 'ingest', now(), '1 s'), ('tenant-b', 1, 'ingest', now(), '1 s');
INSERT INTO omni_identity.report_divergences (tenant_id, run_id, kind) VALUES
    ('tenant-a', 1, 'sale_only_in_v1'), ('tenant-b', 1, 'sale_only_in_v1');
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, created_at) VALUES
    ('tenant-a', 'shop', 'order-1', 'same@shop.com', now()),
    ('tenant-b', 'shop', 'order-1', 'same@shop.com', now());

SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-a');

-- customer_cluster: SELECT, INSERT, UPDATE; no DELETE.
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster WHERE tenant_id = 'tenant-a'), 2::bigint,
          'customer_cluster: reads its own tenant''s rows');
SELECT is_empty($$ SELECT 1 FROM omni_identity.customer_cluster WHERE tenant_id <> 'tenant-a' $$,
          'customer_cluster: reads nothing of another tenant');
SELECT lives_ok($$ INSERT INTO omni_identity.customer_cluster (tenant_id) VALUES ('tenant-a') $$,
          'customer_cluster: inserts into its own tenant');
SELECT throws_ok($$ INSERT INTO omni_identity.customer_cluster (tenant_id) VALUES ('tenant-b') $$, '42501', NULL,
          'customer_cluster: cannot insert into another tenant');
SELECT is(tests.affected($$ UPDATE omni_identity.customer_cluster SET last_buyer_name = 'x' WHERE cluster_id = 'a0000000-0000-0000-0000-000000000001' $$),
          1::bigint, 'customer_cluster: updates its own row');
SELECT is(tests.affected($$ UPDATE omni_identity.customer_cluster SET last_buyer_name = 'x' WHERE cluster_id = 'b0000000-0000-0000-0000-000000000001' $$),
          0::bigint, 'customer_cluster: updates no row of another tenant');
SELECT throws_ok($$ UPDATE omni_identity.customer_cluster SET tenant_id = 'tenant-b' WHERE cluster_id = 'a0000000-0000-0000-0000-000000000002' $$,
          '42501', NULL, 'customer_cluster: cannot move a row to another tenant');
SELECT throws_ok($$ DELETE FROM omni_identity.customer_cluster WHERE tenant_id = 'tenant-a' $$, '42501', NULL,
          'customer_cluster: the application never deletes clusters');

-- customer_cluster_keys: SELECT, INSERT, UPDATE, DELETE.
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE key_value = 'same@shop.com'), 1::bigint,
          'customer_cluster_keys: sees its own key, not the other tenant''s identical one');
SELECT is_empty($$ SELECT 1 FROM omni_identity.customer_cluster_keys WHERE tenant_id <> 'tenant-a' $$,
          'customer_cluster_keys: reads nothing of another tenant');
SELECT lives_ok($$ INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
                   VALUES ('tenant-a', 'phone', '+5511987654321', 'a0000000-0000-0000-0000-000000000001') $$,
          'customer_cluster_keys: inserts into its own tenant');
SELECT throws_ok($$ INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
                    VALUES ('tenant-b', 'phone', '+5511987654321', 'b0000000-0000-0000-0000-000000000001') $$, '42501', NULL,
          'customer_cluster_keys: cannot insert into another tenant');
SELECT is(tests.affected($$ UPDATE omni_identity.customer_cluster_keys SET created_at = now() WHERE key_value = 'same@shop.com' $$),
          1::bigint, 'customer_cluster_keys: an update reaches only its own tenant''s key');
SELECT is(tests.affected($$ UPDATE omni_identity.customer_cluster_keys SET created_at = now() WHERE tenant_id = 'tenant-b' $$),
          0::bigint, 'customer_cluster_keys: updates no row of another tenant');
SELECT throws_ok($$ UPDATE omni_identity.customer_cluster_keys SET tenant_id = 'tenant-b' WHERE key_value = 'same@shop.com' $$,
          '42501', NULL, 'customer_cluster_keys: cannot move a key to another tenant');
SELECT is(tests.affected($$ DELETE FROM omni_identity.customer_cluster_keys WHERE key_value = '+5511987654321' $$),
          1::bigint, 'customer_cluster_keys: deletes its own key');
SELECT is(tests.affected($$ DELETE FROM omni_identity.customer_cluster_keys WHERE tenant_id = 'tenant-b' $$),
          0::bigint, 'customer_cluster_keys: deletes no key of another tenant');

-- customer_cluster_merges: SELECT, INSERT, UPDATE; no DELETE (the lineage is kept).
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_merges), 1::bigint,
          'customer_cluster_merges: reads its own tenant''s merges only');
SELECT is_empty($$ SELECT 1 FROM omni_identity.customer_cluster_merges WHERE tenant_id <> 'tenant-a' $$,
          'customer_cluster_merges: reads nothing of another tenant');
SELECT lives_ok($$ INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster)
                   VALUES ('tenant-a', 'a0000000-0000-0000-0000-000000000001', 'a0000000-0000-0000-0000-000000000002') $$,
          'customer_cluster_merges: inserts into its own tenant');
SELECT throws_ok($$ INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster)
                    VALUES ('tenant-b', 'b0000000-0000-0000-0000-000000000001', 'b0000000-0000-0000-0000-000000000002') $$, '42501', NULL,
          'customer_cluster_merges: cannot insert into another tenant');
SELECT is(tests.affected($$ UPDATE omni_identity.customer_cluster_merges SET reconciled_at = now() $$),
          2::bigint, 'customer_cluster_merges: an unfiltered update reaches only its own tenant');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE reconciled_at IS NULL AND tenant_id = 'tenant-a'), 0::bigint,
          'customer_cluster_merges: its own rows were updated');
SELECT throws_ok($$ UPDATE omni_identity.customer_cluster_merges SET tenant_id = 'tenant-b' $$, '42501', NULL,
          'customer_cluster_merges: cannot move a merge to another tenant');
SELECT throws_ok($$ DELETE FROM omni_identity.customer_cluster_merges $$, '42501', NULL,
          'customer_cluster_merges: the application never deletes the lineage');

-- key_blocklist: global rows (tenant_id NULL) are read by everyone, written by no tenant.
SELECT ok((SELECT count(*) FROM omni_identity.key_blocklist WHERE tenant_id IS NULL) > 0,
          'key_blocklist: reads the global rows');
SELECT is((SELECT count(*) FROM omni_identity.key_blocklist WHERE tenant_id IS NOT NULL), 1::bigint,
          'key_blocklist: reads its own tenant''s rows');
SELECT is_empty($$ SELECT 1 FROM omni_identity.key_blocklist WHERE tenant_id <> 'tenant-a' $$,
          'key_blocklist: reads nothing of another tenant');
SELECT lives_ok($$ INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern) VALUES ('tenant-a', 'document', '11111111111') $$,
          'key_blocklist: inserts into its own tenant');
SELECT throws_ok($$ INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern) VALUES ('tenant-b', 'document', '11111111111') $$,
          '42501', NULL, 'key_blocklist: cannot insert into another tenant');
SELECT throws_ok($$ INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern) VALUES (NULL, 'document', '22222222222') $$,
          '42501', NULL, 'key_blocklist: cannot insert a global row');
SELECT is(tests.affected($$ UPDATE omni_identity.key_blocklist SET is_regex = false WHERE value_pattern = 'blocked@shop.com' $$),
          1::bigint, 'key_blocklist: updates its own row');
SELECT is(tests.affected($$ UPDATE omni_identity.key_blocklist SET value_pattern = value_pattern WHERE tenant_id IS NULL OR tenant_id = 'tenant-b' $$),
          0::bigint, 'key_blocklist: updates no global row and no row of another tenant');
SELECT throws_ok($$ UPDATE omni_identity.key_blocklist SET tenant_id = NULL WHERE value_pattern = 'blocked@shop.com' $$,
          '42501', NULL, 'key_blocklist: cannot turn its row into a global one');
SELECT is(tests.affected($$ DELETE FROM omni_identity.key_blocklist WHERE value_pattern = '11111111111' $$),
          1::bigint, 'key_blocklist: deletes its own row');
SELECT is(tests.affected($$ DELETE FROM omni_identity.key_blocklist WHERE tenant_id IS NULL OR tenant_id = 'tenant-b' $$),
          0::bigint, 'key_blocklist: deletes no global row and no row of another tenant');

-- settings: SELECT, INSERT, UPDATE, DELETE.
SELECT is((SELECT count(*) FROM omni_identity.settings), 1::bigint, 'settings: reads its own tenant''s rows only');
SELECT is_empty($$ SELECT 1 FROM omni_identity.settings WHERE tenant_id <> 'tenant-a' $$,
          'settings: reads nothing of another tenant');
SELECT lives_ok($$ INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES ('tenant-a', 'other', 'false') $$,
          'settings: inserts into its own tenant');
SELECT throws_ok($$ INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES ('tenant-b', 'other', 'false') $$,
          '42501', NULL, 'settings: cannot insert into another tenant');
SELECT is(tests.affected($$ UPDATE omni_identity.settings SET value = 'false' WHERE key = 'flag' $$),
          1::bigint, 'settings: updates its own row only');
SELECT is((SELECT value FROM omni_identity.settings WHERE key = 'flag'), 'false'::jsonb, 'settings: its own row was updated');
SELECT throws_ok($$ UPDATE omni_identity.settings SET tenant_id = 'tenant-b' WHERE key = 'other' $$,
          '42501', NULL, 'settings: cannot move a row to another tenant');
SELECT is(tests.affected($$ DELETE FROM omni_identity.settings WHERE key = 'other' $$), 1::bigint,
          'settings: deletes its own row');
SELECT is(tests.affected($$ DELETE FROM omni_identity.settings WHERE tenant_id = 'tenant-b' $$), 0::bigint,
          'settings: deletes no row of another tenant');

-- sales_rejects: SELECT, INSERT; UPDATE and DELETE for the forget functions' erasure
-- (migration 0120), of its own tenant only.
SELECT is((SELECT count(*) FROM omni_identity.sales_rejects), 1::bigint, 'sales_rejects: reads its own tenant''s rows only');
SELECT is_empty($$ SELECT 1 FROM omni_identity.sales_rejects WHERE tenant_id <> 'tenant-a' $$,
          'sales_rejects: reads nothing of another tenant');
SELECT lives_ok($$ INSERT INTO omni_identity.sales_rejects (tenant_id, batch_id, row_no, raw, reason) VALUES ('tenant-a', 2, 1, '{}', 'x') $$,
          'sales_rejects: inserts into its own tenant');
SELECT throws_ok($$ INSERT INTO omni_identity.sales_rejects (tenant_id, batch_id, row_no, raw, reason) VALUES ('tenant-b', 2, 1, '{}', 'x') $$,
          '42501', NULL, 'sales_rejects: cannot insert into another tenant');
SELECT is(tests.affected($$ UPDATE omni_identity.sales_rejects SET reason = 'y' WHERE tenant_id = 'tenant-b' $$), 0::bigint,
          'sales_rejects: updates no row of another tenant');
SELECT is(tests.affected($$ DELETE FROM omni_identity.sales_rejects WHERE tenant_id = 'tenant-b' $$), 0::bigint,
          'sales_rejects: deletes no row of another tenant');

-- batch_metrics: SELECT, INSERT, UPDATE.
SELECT is((SELECT count(*) FROM omni_identity.batch_metrics), 1::bigint, 'batch_metrics: reads its own tenant''s rows only');
SELECT is_empty($$ SELECT 1 FROM omni_identity.batch_metrics WHERE tenant_id <> 'tenant-a' $$,
          'batch_metrics: reads nothing of another tenant');
SELECT lives_ok($$ INSERT INTO omni_identity.batch_metrics (tenant_id, batch_id, job, started_at, duration) VALUES ('tenant-a', 2, 'ingest', now(), '1 s') $$,
          'batch_metrics: inserts into its own tenant');
SELECT throws_ok($$ INSERT INTO omni_identity.batch_metrics (tenant_id, batch_id, job, started_at, duration) VALUES ('tenant-b', 2, 'ingest', now(), '1 s') $$,
          '42501', NULL, 'batch_metrics: cannot insert into another tenant');
SELECT is(tests.affected($$ UPDATE omni_identity.batch_metrics SET rows_in = 5 $$), 2::bigint,
          'batch_metrics: an unfiltered update reaches only its own tenant');
SELECT throws_ok($$ UPDATE omni_identity.batch_metrics SET tenant_id = 'tenant-b' WHERE batch_id = 2 $$, '42501', NULL,
          'batch_metrics: cannot move a row to another tenant');
SELECT throws_ok($$ DELETE FROM omni_identity.batch_metrics $$, '42501', NULL,
          'batch_metrics: the application never deletes metrics');

-- report_divergences: SELECT, INSERT; DELETE for the forget functions' erasure
-- (migration 0120), of its own tenant only.
SELECT is((SELECT count(*) FROM omni_identity.report_divergences), 1::bigint, 'report_divergences: reads its own tenant''s rows only');
SELECT is_empty($$ SELECT 1 FROM omni_identity.report_divergences WHERE tenant_id <> 'tenant-a' $$,
          'report_divergences: reads nothing of another tenant');
SELECT lives_ok($$ INSERT INTO omni_identity.report_divergences (tenant_id, run_id, kind) VALUES ('tenant-a', 2, 'sale_only_in_v2') $$,
          'report_divergences: inserts into its own tenant');
SELECT throws_ok($$ INSERT INTO omni_identity.report_divergences (tenant_id, run_id, kind) VALUES ('tenant-b', 2, 'sale_only_in_v2') $$,
          '42501', NULL, 'report_divergences: cannot insert into another tenant');
SELECT throws_ok($$ UPDATE omni_identity.report_divergences SET detail = '{}' $$, '42501', NULL,
          'report_divergences: the application never updates divergences');
SELECT is(tests.affected($$ DELETE FROM omni_identity.report_divergences WHERE tenant_id = 'tenant-b' $$), 0::bigint,
          'report_divergences: deletes no row of another tenant');

-- public.omni_sales: SELECT, INSERT, UPDATE, DELETE.
SELECT is((SELECT count(*) FROM public.omni_sales WHERE external_id = 'order-1'), 1::bigint,
          'omni_sales: sees its own sale, not the other tenant''s identical one');
SELECT is_empty($$ SELECT 1 FROM public.omni_sales WHERE tenant_id <> 'tenant-a' $$,
          'omni_sales: reads nothing of another tenant');
SELECT lives_ok($$ INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at) VALUES ('tenant-a', 'shop', 'order-2', now()) $$,
          'omni_sales: inserts into its own tenant');
SELECT throws_ok($$ INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at) VALUES ('tenant-b', 'shop', 'order-2', now()) $$,
          '42501', NULL, 'omni_sales: cannot insert into another tenant');
SELECT throws_ok($$ INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at) VALUES ('tenant-a', 'shop', 'order-1', now())
                    ON CONFLICT (tenant_id, shop_id, gateway, external_id) DO UPDATE SET tenant_id = 'tenant-b' $$,
          '42501', NULL, 'omni_sales: an upsert cannot move a sale to another tenant');
SELECT is(tests.affected($$ UPDATE public.omni_sales SET status = 'paid' WHERE external_id = 'order-1' $$), 1::bigint,
          'omni_sales: an update reaches only its own tenant''s sale');
SELECT is(tests.affected($$ UPDATE public.omni_sales SET status = 'paid' WHERE tenant_id = 'tenant-b' $$), 0::bigint,
          'omni_sales: updates no sale of another tenant');
SELECT throws_ok($$ UPDATE public.omni_sales SET tenant_id = 'tenant-b' WHERE external_id = 'order-2' $$, '42501', NULL,
          'omni_sales: cannot move a sale to another tenant');
SELECT is(tests.affected($$ DELETE FROM public.omni_sales WHERE external_id = 'order-2' $$), 1::bigint,
          'omni_sales: deletes its own sale');
SELECT is(tests.affected($$ DELETE FROM public.omni_sales WHERE tenant_id = 'tenant-b' $$), 0::bigint,
          'omni_sales: deletes no sale of another tenant');
SELECT lives_ok($$ SELECT nextval('omni_identity.batch_id_seq') $$, 'the application numbers its batches');

-- The backfill's bookkeeping is the admin's alone.
SELECT throws_ok($$ SELECT 1 FROM omni_identity.backfill_checkpoint $$, '42501', NULL,
          'backfill_checkpoint: the application has no access');
SELECT throws_ok($$ SELECT 1 FROM omni_identity.backfill_keyless $$, '42501', NULL,
          'backfill_keyless: the application has no access');

-- The other tenant's view is the mirror image, and its rows are intact.
SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-b');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster), 2::bigint, 'tenant-b sees its two clusters, no more');
SELECT is((SELECT last_buyer_name FROM omni_identity.customer_cluster WHERE cluster_id = 'b0000000-0000-0000-0000-000000000001'), NULL,
          'tenant-b''s cluster was not changed by tenant-a');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_keys), 1::bigint, 'tenant-b''s key is intact');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE reconciled_at IS NULL), 1::bigint,
          'tenant-b''s merge was not reconciled by tenant-a');
SELECT is((SELECT value FROM omni_identity.settings WHERE key = 'flag'), 'true'::jsonb, 'tenant-b''s flag is intact');
SELECT is((SELECT count(*) FROM omni_identity.key_blocklist WHERE tenant_id IS NOT NULL), 1::bigint, 'tenant-b''s blocklist row is intact');
SELECT is((SELECT rows_in FROM omni_identity.batch_metrics), 0, 'tenant-b''s metrics are intact');
SELECT is((SELECT status FROM public.omni_sales), NULL, 'tenant-b''s sale is intact');

-- No session tenant, or an empty one: no rows, and every write fails (fail closed).
SELECT tests.act_as(current_setting('tests.app_login'), NULL);
SELECT is(current_setting('app.current_tenant_id', true), '', 'the session tenant is empty');
SELECT is_empty($$ SELECT 1 FROM omni_identity.customer_cluster $$, 'no tenant: no clusters');
SELECT is_empty($$ SELECT 1 FROM omni_identity.customer_cluster_keys $$, 'no tenant: no keys');
SELECT is_empty($$ SELECT 1 FROM omni_identity.customer_cluster_merges $$, 'no tenant: no merges');
SELECT is_empty($$ SELECT 1 FROM omni_identity.key_blocklist WHERE tenant_id IS NOT NULL $$, 'no tenant: no tenant blocklist rows');
SELECT is_empty($$ SELECT 1 FROM omni_identity.settings $$, 'no tenant: no settings');
SELECT is_empty($$ SELECT 1 FROM omni_identity.sales_rejects $$, 'no tenant: no rejects');
SELECT is_empty($$ SELECT 1 FROM omni_identity.batch_metrics $$, 'no tenant: no metrics');
SELECT is_empty($$ SELECT 1 FROM omni_identity.report_divergences $$, 'no tenant: no divergences');
SELECT is_empty($$ SELECT 1 FROM public.omni_sales $$, 'no tenant: no sales');
SELECT throws_ok($$ INSERT INTO omni_identity.customer_cluster (tenant_id) VALUES ('tenant-a') $$, '42501', NULL,
          'no tenant: cannot insert a cluster');
SELECT throws_ok($$ INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES ('tenant-a', 'k', 'true') $$, '42501', NULL,
          'no tenant: cannot insert a setting');
SELECT throws_ok($$ INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at) VALUES ('tenant-a', 'shop', 'order-9', now()) $$,
          '42501', NULL, 'no tenant: cannot insert a sale');
SELECT throws_ok($$ INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern) VALUES ('tenant-a', 'email', 'x@y.com') $$,
          '42501', NULL, 'no tenant: cannot insert a blocklist row');
SELECT is(tests.affected($$ UPDATE public.omni_sales SET status = 'x' $$), 0::bigint, 'no tenant: updates no sale');
SELECT is(tests.affected($$ DELETE FROM public.omni_sales $$), 0::bigint, 'no tenant: deletes no sale');
SELECT is(tests.affected($$ UPDATE omni_identity.customer_cluster SET updated_at = now() $$), 0::bigint, 'no tenant: updates no cluster');
SELECT is(tests.affected($$ DELETE FROM omni_identity.settings $$), 0::bigint, 'no tenant: deletes no setting');

-- A session tenant that matches no row behaves the same.
SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-c');
SELECT is_empty($$ SELECT 1 FROM public.omni_sales $$, 'an unknown tenant sees no sales');

-- What the application login may not do at all.
SELECT throws_ok($$ TRUNCATE public.omni_sales $$, '42501', NULL, 'the application cannot truncate sales');
SELECT throws_ok($$ ALTER TABLE public.omni_sales DISABLE ROW LEVEL SECURITY $$, '42501', NULL,
          'the application cannot turn row-level security off');
SELECT throws_ok($$ SELECT setval('omni_identity.batch_id_seq', 1) $$, '42501', NULL,
          'the application cannot reset the batch sequence');

-- The admin role works across tenants without a session tenant (jobs).
RESET ROLE;
SELECT set_config('app.current_tenant_id', '', true);
SET LOCAL ROLE omni_identity_admin;
SELECT is((SELECT count(DISTINCT tenant_id) FROM public.omni_sales), 2::bigint, 'admin: reads every tenant''s sales');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE key_value = 'same@shop.com'), 2::bigint,
          'admin: reads every tenant''s keys');
SELECT is(tests.affected($$ UPDATE omni_identity.customer_cluster_merges SET reconciled_at = now() WHERE tenant_id = 'tenant-b' $$),
          1::bigint, 'admin: updates another tenant''s rows');
SELECT lives_ok($$ INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern) VALUES (NULL, 'email', 'global@shop.com') $$,
          'admin: manages the global blocklist');
SELECT lives_ok($$ DELETE FROM omni_identity.report_divergences WHERE tenant_id = 'tenant-b' $$,
          'admin: deletes across tenants');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
