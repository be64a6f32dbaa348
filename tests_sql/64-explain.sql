-- 64-explain.sql: set_setting, explain_link, explain_identifier, top_identifiers,
-- cluster_size_histogram and preview_block_identifier (SPEC §12, §13): every error
-- (package SQLSTATE and a HINT), the application login reads its own tenant only
-- (positive and negative), and the rule key_is_generic.
BEGIN;
SELECT plan(48);
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

-- The same three sales in two tenants: x1 and x2 share a phone, x3 stands alone.
SELECT omni_identity.ingest_sales(t, '[
  {"shop_id":"s","external_id":"x1","buyer_email":"ana@shop.com","buyer_phone":"(11) 98765-4321","created_at":"2026-01-01T00:00:00Z"},
  {"shop_id":"s","external_id":"x2","buyer_email":"bia@shop.com","buyer_phone":"(11) 98765-4321","created_at":"2026-01-02T00:00:00Z"},
  {"shop_id":"s","external_id":"x3","buyer_email":"cid@shop.com","created_at":"2026-01-03T00:00:00Z"}]'::jsonb)
  FROM (VALUES ('tenant-a'), ('tenant-b')) AS v(t);
SELECT omni_identity.ingest_sales('tenant-a', '[
  {"shop_id":"s","external_id":"x4","buyer_email":"bia@shop.com","buyer_document":"529.982.247-25","created_at":"2026-01-04T00:00:00Z"}]'::jsonb);
SELECT set_config('tests.a4', (SELECT id FROM public.omni_sales WHERE tenant_id = 'tenant-a' AND external_id = 'x4')::text, true) FROM pg_temp.one;
SELECT set_config('tests.a1', (SELECT id FROM public.omni_sales WHERE tenant_id = 'tenant-a' AND external_id = 'x1')::text, true) FROM pg_temp.one;
SELECT set_config('tests.a2', (SELECT id FROM public.omni_sales WHERE tenant_id = 'tenant-a' AND external_id = 'x2')::text, true) FROM pg_temp.one;
SELECT set_config('tests.a3', (SELECT id FROM public.omni_sales WHERE tenant_id = 'tenant-a' AND external_id = 'x3')::text, true) FROM pg_temp.one;
SELECT set_config('tests.b1', (SELECT id FROM public.omni_sales WHERE tenant_id = 'tenant-b' AND external_id = 'x1')::text, true) FROM pg_temp.one;
INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex, reason)
VALUES ('tenant-a', 'email', '^spam', true, 'junk');
INSERT INTO omni_identity.forgotten_identifiers (tenant_id, key_type, value_sha256)
VALUES ('tenant-a', 'email', omni_identity.value_sha256('gone@shop.com'));
-- The ingest made the session's pipeline temp tables as the superuser; the application
-- login's own session would make its own.
DO $$
DECLARE
    v_table text;
BEGIN
    FOR v_table IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind = 'r' AND c.relname LIKE 'oi\_%' LOOP
        EXECUTE format('DROP TABLE pg_temp.%I', v_table);
    END LOOP;
END;
$$;

-- The rule.
SELECT is(omni_identity.key_is_generic(21, 0, 0, 20), true, 'key_is_generic: 21 > 20') FROM pg_temp.one;
SELECT is(omni_identity.key_is_generic(20, 3, 20, 20), false, 'key_is_generic: 20 is not more than 20') FROM pg_temp.one;
SELECT is(omni_identity.key_is_generic(0, 0, 1000, 0), false, 'key_is_generic: threshold 0 turns the guard off') FROM pg_temp.one;

-- Errors, as the application login of tenant-a.
SELECT tests.act_as(current_setting('tests.app_login'), 'tenant-a');
SELECT throws_ok($$ SELECT omni_identity.set_setting('tenant-a', 'no_such_key', 'true') $$, 'OI100', NULL, 'set_setting: unknown key → OI100') FROM pg_temp.one;
SELECT isnt(tests.error_hint($$ SELECT omni_identity.set_setting('tenant-a', 'no_such_key', 'true') $$), NULL, 'set_setting: OI100 has a HINT') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.set_setting('tenant-a', NULL, 'true') $$, 'OI100', NULL, 'set_setting: NULL key → OI100') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.set_setting('tenant-a', 'generic_threshold', '-1') $$, 'OI101', NULL, 'set_setting: negative threshold → OI101') FROM pg_temp.one;
SELECT isnt(tests.error_hint($$ SELECT omni_identity.set_setting('tenant-a', 'generic_threshold', '-1') $$), NULL, 'set_setting: OI101 has a HINT') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.set_setting('tenant-a', 'generic_threshold', '2.5') $$, 'OI101', NULL, 'set_setting: fractional threshold → OI101') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.set_setting('tenant-a', 'generic_threshold', '"20"') $$, 'OI101', NULL, 'set_setting: threshold as a string → OI101') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.set_setting('tenant-a', 'generic_threshold', NULL) $$, 'OI101', NULL, 'set_setting: NULL threshold → OI101') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.set_setting('tenant-a', 'auto_resolve', '1') $$, 'OI101', NULL, 'set_setting: a flag set to a number → OI101') FROM pg_temp.one;
SELECT isnt(tests.error_hint($$ SELECT omni_identity.set_setting('tenant-a', 'auto_resolve', '1') $$), NULL, 'set_setting: flag OI101 has a HINT') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.set_setting('tenant-b', 'generic_threshold', '5') $$, 'OI002', NULL, 'set_setting: another tenant → OI002') FROM pg_temp.one;
SELECT throws_ok(format('SELECT * FROM omni_identity.explain_link(%L, %s, NULL)', 'tenant-a', current_setting('tests.a1')), 'OI104', NULL, 'explain_link: NULL sale → OI104') FROM pg_temp.one;
SELECT isnt(tests.error_hint(format('SELECT * FROM omni_identity.explain_link(%L, %s, NULL)', 'tenant-a', current_setting('tests.a1'))), NULL, 'explain_link: OI104 has a HINT') FROM pg_temp.one;
SELECT throws_ok(format('SELECT * FROM omni_identity.explain_link(%L, %s, %s)', 'tenant-a', current_setting('tests.a1'), current_setting('tests.b1')),
                 'OI104', NULL, 'explain_link: another tenant''s sale is no sale → OI104') FROM pg_temp.one;
SELECT throws_ok(format('SELECT * FROM omni_identity.explain_link(%L, %s, %s)', 'tenant-b', current_setting('tests.b1'), current_setting('tests.b1')),
                 'OI002', NULL, 'explain_link: another tenant → OI002') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.explain_identifier('tenant-a', 'fax', '1') $$, 'OI102', NULL, 'explain_identifier: unknown key type → OI102') FROM pg_temp.one;
SELECT isnt(tests.error_hint($$ SELECT * FROM omni_identity.explain_identifier('tenant-a', 'fax', '1') $$), NULL, 'explain_identifier: OI102 has a HINT') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.explain_identifier('tenant-b', 'email', 'ana@shop.com') $$, 'OI002', NULL, 'explain_identifier: another tenant → OI002') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.top_identifiers('tenant-a', 0) $$, 'OI103', NULL, 'top_identifiers: limit 0 → OI103') FROM pg_temp.one;
SELECT isnt(tests.error_hint($$ SELECT * FROM omni_identity.top_identifiers('tenant-a', 0) $$), NULL, 'top_identifiers: OI103 has a HINT') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.top_identifiers('tenant-a', 1001) $$, 'OI103', NULL, 'top_identifiers: limit 1001 → OI103') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.top_identifiers('tenant-b') $$, 'OI002', NULL, 'top_identifiers: another tenant → OI002') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.cluster_size_histogram('tenant-b') $$, 'OI002', NULL, 'cluster_size_histogram: another tenant → OI002') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.preview_block_identifier('tenant-a', 'fax', '1') $$, 'OI055', NULL, 'preview: unknown key type → OI055 (as block_identifier)') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.preview_block_identifier('tenant-a', 'email', 'not an e-mail') $$, 'OI056', NULL, 'preview: unreadable value → OI056 (as block_identifier)') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.preview_block_identifier('tenant-b', 'email', 'ana@shop.com') $$, 'OI002', NULL, 'preview: another tenant → OI002') FROM pg_temp.one;

-- The application reads its own tenant (positive).
SELECT lives_ok($$ SELECT omni_identity.set_setting('tenant-a', 'generic_threshold', '1') $$, 'set_setting: threshold in the own tenant') FROM pg_temp.one;
SELECT is((SELECT value FROM omni_identity.settings WHERE key = 'generic_threshold'), '1'::jsonb, 'set_setting: stored') FROM pg_temp.one;
SELECT lives_ok($$ SELECT omni_identity.set_setting('tenant-a', 'auto_resolve', 'false') $$, 'set_setting: a flag through set_flag') FROM pg_temp.one;
SELECT is(omni_identity.flag_enabled('tenant-a', 'auto_resolve'), false, 'set_setting: the flag reads back') FROM pg_temp.one;
SELECT is((SELECT status FROM omni_identity.explain_identifier('tenant-a', 'phone', '(11) 98765-4321')), 'generic',
          'explain_identifier: linked to 2 e-mails with threshold 1 → generic') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.explain_link('tenant-a', current_setting('tests.a1')::bigint, current_setting('tests.a2')::bigint)),
          0::bigint, 'explain_link: a generic key does not link') FROM pg_temp.one;
SELECT lives_ok($$ SELECT omni_identity.set_setting('tenant-a', 'generic_threshold', '20') $$, 'set_setting: threshold back to 20') FROM pg_temp.one;
SELECT is((SELECT array_agg(row(step, key_type, key_value, via_sale_id IS NULL, seen_count)::text ORDER BY step)
             FROM omni_identity.explain_link('tenant-a', current_setting('tests.a1')::bigint, current_setting('tests.a2')::bigint)),
          ARRAY['(0,phone,+5511987654321,t,)'], 'explain_link: x1 and x2 both carry the phone: a chain of one key') FROM pg_temp.one;
SELECT is((SELECT array_agg(row(step, key_type, key_value, via_sale_id = current_setting('tests.a2')::bigint, seen_count)::text ORDER BY step)
             FROM omni_identity.explain_link('tenant-a', current_setting('tests.a1')::bigint, current_setting('tests.a4')::bigint)),
          ARRAY['(0,phone,+5511987654321,,)', '(1,email,bia@shop.com,t,1)'], 'explain_link: x1 → phone → (x2) → bia, a key of x4') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.explain_link('tenant-a', current_setting('tests.a1')::bigint, current_setting('tests.a3')::bigint)),
          0::bigint, 'explain_link: not linked → no rows') FROM pg_temp.one;
SELECT is((SELECT row(status, linked_emails, linked_phones, inputs)::text FROM omni_identity.explain_identifier('tenant-a', 'phone', '+55 11 98765-4321')),
          '(active,2,0,2)', 'explain_identifier: active, two e-mails, two inputs') FROM pg_temp.one;
SELECT is((SELECT status FROM omni_identity.explain_identifier('tenant-a', 'email', 'spam1@shop.com')), 'blocked', 'explain_identifier: the tenant''s regex row → blocked') FROM pg_temp.one;
SELECT is((SELECT status FROM omni_identity.explain_identifier('tenant-a', 'email', 'gone@shop.com')), 'forgotten', 'explain_identifier: tombstone → forgotten') FROM pg_temp.one;
SELECT is((SELECT status FROM omni_identity.explain_identifier('tenant-a', 'email', 'nope')), 'invalid', 'explain_identifier: does not normalize → invalid') FROM pg_temp.one;
SELECT is((SELECT status FROM omni_identity.explain_identifier('tenant-a', 'email', 'new@shop.com')), 'unknown', 'explain_identifier: never seen → unknown') FROM pg_temp.one;
SELECT is((SELECT array_agg(key_value ORDER BY key_value) FROM omni_identity.top_identifiers('tenant-a', 1000)),
          ARRAY['+5511987654321', '52998224725', 'ana@shop.com', 'bia@shop.com', 'cid@shop.com'], 'top_identifiers: the own tenant''s keys only') FROM pg_temp.one;
SELECT is((SELECT array_agg(row(size_from, clusters, sales)::text ORDER BY size_from) FILTER (WHERE clusters > 0) FROM omni_identity.cluster_size_histogram('tenant-a')),
          ARRAY['(1,1,1)', '(2,1,3)'], 'cluster_size_histogram: one single, one of three') FROM pg_temp.one;
SELECT is((SELECT row(clusters_split, clusters_after, sales_moved)::text FROM omni_identity.preview_block_identifier('tenant-a', 'phone', '(11) 98765-4321')),
          '(1,2,1)', 'preview: blocking the phone splits x1 off (the document, oldest key by type, keeps the cluster)') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.key_blocklist WHERE tenant_id = 'tenant-a' AND NOT is_regex), 0::bigint, 'preview: writes no blocklist row') FROM pg_temp.one;

SELECT * FROM finish();
ROLLBACK;
