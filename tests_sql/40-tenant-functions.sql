-- 40-tenant-functions.sql: the package's functions as an application login: own tenant works, another tenant or no session tenant fails (OI001/OI002), jobs are admin-only.
-- Three transactions, committed: the application login's part, the admin login's part,
-- then the cleanup of the tenants written (on Citus a transaction in which the application
-- login has opened connections to the shards cannot switch to another login: Citus sends
-- the SET ROLE on to those connections, where the application login may not take it).
-- The tenants written ('*': the batch metrics of the admin's backfill across tenants),
-- cleaned up before (a failed earlier run) and after.
DO $$
BEGIN
    PERFORM set_config('tests.long_tenant', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 313) g), false);
    PERFORM set_config('tests.tenants', ARRAY['tenant-a', 'tenant-b', '*', left(current_setting('tests.long_tenant'), 256)]::text, false);
    PERFORM tests.delete_tenants(current_setting('tests.tenants')::text[]);
END;
$$;
BEGIN;
SELECT plan(70);

DO $$
BEGIN
    -- The application login of tests_sql/support/helpers.sql (made outside the test's
    -- transaction: on Citus a role must be committed to reach the workers).
    PERFORM set_config('tests.app_login', 'oi_test_app', false);
END;
$$;

-- tenant-b already knows the same buyer (written as the superuser).
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, last_buyer_email)
VALUES ('tenant-b', 'b0000000-0000-0000-0000-000000000001', 'same@shop.com');
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
VALUES ('tenant-b', 'email', 'same@shop.com', 'b0000000-0000-0000-0000-000000000001');
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, created_at, customer_hash)
VALUES ('tenant-b', 'shop', 'order-1', 'same@shop.com', '2026-01-01', 'b0000000-0000-0000-0000-000000000001');

-- require_tenant itself.
SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-a');
SELECT is(omni_identity.require_tenant('tenant-a'), 'tenant-a', 'require_tenant: the session tenant passes');
SELECT throws_ok($$ SELECT omni_identity.require_tenant('tenant-b') $$, 'OI002', NULL, 'require_tenant: another tenant fails');
SELECT throws_ok($$ SELECT omni_identity.require_tenant(NULL) $$, 'OI001', NULL, 'require_tenant: NULL fails');
SELECT throws_ok($$ SELECT omni_identity.require_tenant('') $$, 'OI001', NULL, 'require_tenant: empty fails');
SELECT tests.act_as(current_setting('tests.app_login'), NULL);
SELECT throws_ok($$ SELECT omni_identity.require_tenant('tenant-a') $$, 'OI002', NULL,
                 'require_tenant: an application without a session tenant fails');

-- Resolve.
SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-a');
SELECT isnt(omni_identity.resolve_customer_cluster('tenant-a', 'same@shop.com', '11987654321', NULL, 'Ana', '2026-01-02'),
            NULL, 'resolve: works in the session tenant');
SELECT isnt(omni_identity.resolve_customer_cluster('tenant-a', 'same@shop.com'),
            'b0000000-0000-0000-0000-000000000001'::uuid,
            'resolve: the same e-mail in another tenant is another customer');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster), 1::bigint, 'resolve: one cluster in the session tenant');
SELECT throws_ok($$ SELECT omni_identity.resolve_customer_cluster('tenant-b', 'same@shop.com') $$, 'OI002', NULL,
                 'resolve: another tenant fails');
SELECT throws_ok($$ SELECT omni_identity.current_cluster('tenant-b', 'b0000000-0000-0000-0000-000000000001') $$, 'OI002', NULL,
                 'current_cluster: another tenant fails');
SELECT is(omni_identity.current_cluster('tenant-a', 'b0000000-0000-0000-0000-000000000001'), NULL,
          'current_cluster: another tenant''s cluster id is unknown in the session tenant');

-- Ingest.
SELECT is((SELECT inserted FROM omni_identity.ingest_sales('tenant-a',
              '[{"shop_id": "shop", "external_id": "order-1", "buyer_email": "same@shop.com", "created_at": "2026-01-03T00:00:00Z", "amount": "5.00"}]')),
          1, 'ingest: works in the session tenant (the same idempotency key as tenant-b''s sale)');
SELECT is((SELECT count(*) FROM public.omni_sales WHERE customer_hash IS NOT NULL), 1::bigint,
          'ingest: the sale is clustered in the session tenant');
SELECT ok((SELECT customer_hash FROM public.omni_sales) <> 'b0000000-0000-0000-0000-000000000001',
          'ingest: the sale is not attached to tenant-b''s customer');
SELECT throws_ok($$ SELECT * FROM omni_identity.ingest_sales('tenant-b',
                    '[{"shop_id": "shop", "external_id": "order-2", "created_at": "2026-01-03T00:00:00Z"}]') $$, 'OI002', NULL,
                 'ingest: another tenant fails');

-- Queries and reports.
SELECT is((SELECT array_agg(tenant_id) FROM omni_identity.abstraction_buyer_v1('tenant-a', '{"email": "same@shop.com"}')),
          ARRAY['tenant-a'], 'abstraction_buyer_v1: only the session tenant''s sale');
SELECT is((SELECT array_agg(tenant_id) FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"email": "same@shop.com"}')),
          ARRAY['tenant-a'], 'abstraction_buyer_v2: only the session tenant''s sale');
SELECT is((SELECT array_agg(tenant_id) FROM omni_identity.abstraction_buyer('tenant-a', '{}')),
          ARRAY['tenant-a'], 'abstraction_buyer: only the session tenant''s sale');
SELECT is((SELECT sum(orders) FROM omni_identity.customer_report_v1('tenant-a')), 1::numeric, 'customer_report_v1: own sales only');
SELECT is((SELECT sum(orders) FROM omni_identity.customer_report_v2('tenant-a')), 1::numeric, 'customer_report_v2: own sales only');
SELECT is((SELECT sum(orders) FROM omni_identity.customer_report('tenant-a')), 1::numeric, 'customer_report: own sales only');
SELECT lives_ok($$ SELECT omni_identity.compare_customer_reports('tenant-a') $$, 'compare_customer_reports: works in the session tenant');
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer('tenant-b', '{}') $$, 'OI002', NULL, 'abstraction_buyer: another tenant fails');
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v1('tenant-b', '{}') $$, 'OI002', NULL, 'abstraction_buyer_v1: another tenant fails');
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v2('tenant-b', '{}') $$, 'OI002', NULL, 'abstraction_buyer_v2: another tenant fails');
SELECT throws_ok($$ SELECT * FROM omni_identity.customer_report('tenant-b') $$, 'OI002', NULL, 'customer_report: another tenant fails');
SELECT throws_ok($$ SELECT * FROM omni_identity.customer_report_v1('tenant-b') $$, 'OI002', NULL, 'customer_report_v1: another tenant fails');
SELECT throws_ok($$ SELECT * FROM omni_identity.customer_report_v2('tenant-b') $$, 'OI002', NULL, 'customer_report_v2: another tenant fails');
SELECT throws_ok($$ SELECT omni_identity.compare_customer_reports('tenant-b') $$, 'OI002', NULL, 'compare_customer_reports: another tenant fails');

-- Flags.
SELECT lives_ok($$ SELECT omni_identity.set_flag('tenant-a', 'abstraction_v2_enabled', true) $$, 'set_flag: works in the session tenant');
SELECT ok(omni_identity.flag_enabled('tenant-a', 'abstraction_v2_enabled'), 'flag_enabled: reads the session tenant''s flag');
SELECT throws_ok($$ SELECT omni_identity.set_flag('tenant-b', 'abstraction_v2_enabled', true) $$, 'OI002', NULL, 'set_flag: another tenant fails');
SELECT throws_ok($$ SELECT omni_identity.flag_enabled('tenant-b', 'abstraction_v2_enabled') $$, 'OI002', NULL, 'flag_enabled: another tenant fails');

-- No session tenant: every public call fails.
SELECT tests.act_as(current_setting('tests.app_login'), NULL);
SELECT throws_ok($$ SELECT omni_identity.resolve_customer_cluster('tenant-a', 'same@shop.com') $$, 'OI002', NULL, 'no tenant: resolve fails');
SELECT throws_ok($$ SELECT omni_identity.current_cluster('tenant-a', 'b0000000-0000-0000-0000-000000000001') $$, 'OI002', NULL, 'no tenant: current_cluster fails');
SELECT throws_ok($$ SELECT * FROM omni_identity.ingest_sales('tenant-a', '[]') $$, 'OI002', NULL, 'no tenant: ingest fails');
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer('tenant-a', '{}') $$, 'OI002', NULL, 'no tenant: abstraction_buyer fails');
SELECT throws_ok($$ SELECT * FROM omni_identity.customer_report('tenant-a') $$, 'OI002', NULL, 'no tenant: customer_report fails');
SELECT throws_ok($$ SELECT omni_identity.compare_customer_reports('tenant-a') $$, 'OI002', NULL, 'no tenant: compare_customer_reports fails');
SELECT throws_ok($$ SELECT omni_identity.set_flag('tenant-a', 'auto_resolve', true) $$, 'OI002', NULL, 'no tenant: set_flag fails');
SELECT throws_ok($$ SELECT omni_identity.flag_enabled('tenant-a', 'auto_resolve') $$, 'OI002', NULL, 'no tenant: flag_enabled fails');

-- A tenant id over 256 bytes (here 10 kB that no index could compress): every public
-- function refuses it with OI003 — not a raw 54000 from the first index it reaches, not
-- an empty answer — even when the session names that same tenant.
SELECT tests.act_as(current_setting('tests.app_login'), current_setting('tests.long_tenant'));
SELECT throws_ok($$ SELECT omni_identity.require_tenant(current_setting('tests.long_tenant')) $$, 'OI003', NULL, 'long tenant: require_tenant');
SELECT throws_ok($$ SELECT omni_identity.resolve_customer_cluster(current_setting('tests.long_tenant'), 'same@shop.com') $$, 'OI003', NULL, 'long tenant: resolve');
SELECT throws_ok($$ SELECT omni_identity.current_cluster(current_setting('tests.long_tenant'), 'b0000000-0000-0000-0000-000000000001') $$, 'OI003', NULL, 'long tenant: current_cluster');
SELECT throws_ok($$ SELECT * FROM omni_identity.ingest_sales(current_setting('tests.long_tenant'),
                    '[{"shop_id": "shop", "external_id": "order-9", "created_at": "2026-01-03T00:00:00Z"}]') $$, 'OI003', NULL, 'long tenant: ingest_sales');
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer(current_setting('tests.long_tenant'), '{}') $$, 'OI003', NULL, 'long tenant: abstraction_buyer');
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v1(current_setting('tests.long_tenant'), '{}') $$, 'OI003', NULL, 'long tenant: abstraction_buyer_v1');
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v2(current_setting('tests.long_tenant'), '{}') $$, 'OI003', NULL, 'long tenant: abstraction_buyer_v2');
SELECT throws_ok($$ SELECT * FROM omni_identity.customer_report(current_setting('tests.long_tenant')) $$, 'OI003', NULL, 'long tenant: customer_report');
SELECT throws_ok($$ SELECT * FROM omni_identity.customer_report_v1(current_setting('tests.long_tenant')) $$, 'OI003', NULL, 'long tenant: customer_report_v1');
SELECT throws_ok($$ SELECT * FROM omni_identity.customer_report_v2(current_setting('tests.long_tenant')) $$, 'OI003', NULL, 'long tenant: customer_report_v2');
SELECT throws_ok($$ SELECT omni_identity.compare_customer_reports(current_setting('tests.long_tenant')) $$, 'OI003', NULL, 'long tenant: compare_customer_reports');
SELECT throws_ok($$ SELECT omni_identity.set_flag(current_setting('tests.long_tenant'), 'auto_resolve', true) $$, 'OI003', NULL, 'long tenant: set_flag');
SELECT throws_ok($$ SELECT omni_identity.flag_enabled(current_setting('tests.long_tenant'), 'auto_resolve') $$, 'OI003', NULL, 'long tenant: flag_enabled');
SELECT tests.act_as(current_setting('tests.app_login'), left(current_setting('tests.long_tenant'), 256));
SELECT is(omni_identity.require_tenant(left(current_setting('tests.long_tenant'), 256)), left(current_setting('tests.long_tenant'), 256),
          'a tenant id of 256 bytes passes');
SELECT is((SELECT inserted FROM omni_identity.ingest_sales(left(current_setting('tests.long_tenant'), 256),
              '[{"shop_id": "shop", "external_id": "order-9", "buyer_email": "long@shop.com", "created_at": "2026-01-03T00:00:00Z"}]')),
          1, 'a tenant id of 256 bytes ingests');
SELECT isnt(omni_identity.resolve_customer_cluster(left(current_setting('tests.long_tenant'), 256), 'long@shop.com'), NULL,
            'a tenant id of 256 bytes resolves');

-- The pure functions need no tenant.
SELECT is(omni_identity.normalize_email(' Ana@Shop.com '), 'ana@shop.com', 'normalizers: executable without a tenant');

-- Jobs and internals are not the application's.
SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-a');
SELECT throws_ok($$ SELECT omni_identity.backfill_customer_hash('tenant-a') $$, '42501', NULL, 'backfill: admin-only');
SELECT throws_ok($$ SELECT omni_identity.reconcile_merges() $$, '42501', NULL, 'reconcile: admin-only');

-- Automatic mode on direct writes stays in the writer's tenant (on Citus too: the
-- trigger runs on the tenant's shard, docs/scale-out.md "Automatic mode").
SELECT lives_ok($$ SELECT omni_identity.set_flag('tenant-a', 'auto_resolve', true) $$,
                'auto_resolve: turned on for the session tenant');
SELECT lives_ok($$ INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, created_at)
                   VALUES ('tenant-a', 'shop', 'direct-1', 'same@shop.com', '2026-01-04') $$,
                'auto_resolve: the application writes a sale directly');
SELECT is((SELECT customer_hash FROM public.omni_sales WHERE external_id = 'direct-1'),
          (SELECT customer_hash FROM public.omni_sales WHERE external_id = 'order-1'),
          'auto_resolve: the direct sale joins the session tenant''s customer');

RESET ROLE;
COMMIT;

-- The admin (jobs) works across tenants without a session tenant, and the other tenant is intact.
-- (The pipeline's temporary tables belong to the role that created them in this session:
-- drop them, as a session of the admin login would not have them.)
BEGIN;
DO $$
DECLARE
    v_table regclass;
BEGIN
    FOR v_table IN SELECT c.oid FROM pg_catalog.pg_class c
                    WHERE c.relnamespace = pg_catalog.pg_my_temp_schema() AND c.relkind = 'r'
                      AND c.relowner = current_setting('tests.app_login')::regrole LOOP
        EXECUTE format('DROP TABLE %s', v_table);
    END LOOP;
END;
$$;
-- The admin through its test login (a NOLOGIN role cannot reach Citus's shards).
SELECT tests.act_as('omni_identity_admin', '');
SELECT is(omni_identity.require_tenant('tenant-b'), 'tenant-b', 'admin: no session tenant needed');
SELECT lives_ok($$ SELECT omni_identity.backfill_customer_hash(NULL) $$, 'admin: backfill across tenants');
SELECT lives_ok($$ SELECT omni_identity.reconcile_merges() $$, 'admin: reconcile across tenants');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster WHERE tenant_id = 'tenant-b'), 1::bigint,
          'tenant-b still has exactly its one cluster');
SELECT is((SELECT customer_hash FROM public.omni_sales WHERE tenant_id = 'tenant-b'), 'b0000000-0000-0000-0000-000000000001'::uuid,
          'tenant-b''s sale still points at its own cluster');
SELECT throws_ok($$ SELECT omni_identity.backfill_customer_hash(current_setting('tests.long_tenant')) $$, 'OI003', NULL,
                 'admin: a tenant id over 256 bytes fails (backfill)');
SELECT set_config('app.current_tenant_id', 'tenant-a', true);
SELECT throws_ok($$ SELECT omni_identity.require_tenant('tenant-b') $$, 'OI002', NULL,
                 'admin: a session tenant, when set, must match');
RESET ROLE;
COMMIT;

DO $$ BEGIN PERFORM tests.delete_tenants(current_setting('tests.tenants')::text[]); END; $$;
SELECT * FROM finish();
