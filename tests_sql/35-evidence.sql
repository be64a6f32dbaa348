-- 35-evidence.sql: removed_keys (blocked or forgotten), the evidence resolve and the batch core record (hand cases), forgotten values dropped and redacted, and row-level security of key_evidence / key_pairs as an application login.
BEGIN;
SELECT plan(55);
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

-- removed_keys: global and tenant rows, exact and regex, tombstones; NULLs skipped.
INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex) VALUES
    ('ev-a', 'email', 'mine@shop.com', false), ('ev-b', 'email', 'theirs@shop.com', false),
    ('ev-a', 'phone', '^\+5599', true), ('ev-b', 'phone', '^\+5588', true);
INSERT INTO omni_identity.forgotten_identifiers (tenant_id, key_type, value_sha256) VALUES
    ('ev-a', 'document', omni_identity.value_sha256('52998224725')),
    ('ev-a', 'email', omni_identity.value_sha256('mine@shop.com')),
    ('ev-b', 'email', omni_identity.value_sha256('gone@shop.com'));
SELECT results_eq(
    $$ SELECT key_type, key_value, forgotten FROM omni_identity.removed_keys('ev-a',
           ARRAY['email', 'email', 'email', 'email', 'phone', 'phone', 'document', 'document', 'email'],
           ARRAY['teste@teste.com', 'mine@shop.com', 'theirs@shop.com', 'gone@shop.com',
                 '+5599123456789', '+5588123456789', '52998224725', '11222333000181', NULL])
       ORDER BY 1, 2 $$,
    $$ VALUES ('document', '52998224725', true), ('email', 'mine@shop.com', true),
              ('email', 'teste@teste.com', false), ('phone', '+5599123456789', false) $$,
    'removed_keys: global and own exact rows, own regex rows, own tombstones; never another tenant''s') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.removed_keys('ev-a', ARRAY['phone'], ARRAY['+5511987654321']) $$,
    'removed_keys: a key nothing removes') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.removed_keys('ev-a', ARRAY['document'], ARRAY['mine@shop.com']) $$,
    'removed_keys: a row or tombstone removes only its own key type') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.removed_keys('ev-a', ARRAY['email', 'email'],
                                                            ARRAY['teste@teste.com', 'teste@teste.com'])),
          2::bigint, 'removed_keys: one row per key given') FROM pg_temp.one;

-- resolve: evidence of each call (keys, pairs, names, linked counters); removed keys never recorded.
SELECT set_config('app.current_tenant_id', 'ev-a', true) FROM pg_temp.one;
SELECT isnt(omni_identity.resolve_customer_cluster('ev-a', 'Ana@X.com', '(11) 98765-4321', NULL, ' Ana  Souza ', '2024-01-02'),
            NULL, 'resolve: first call') FROM pg_temp.one;
SELECT isnt(omni_identity.resolve_customer_cluster('ev-a', 'ana@x.com', '(11) 98765-4321', '529.982.247-25', 'Bia', '2024-01-01'),
            NULL, 'resolve: the same buyer, earlier, with a forgotten document') FROM pg_temp.one;
SELECT isnt(omni_identity.resolve_customer_cluster('ev-a', 'ana@x.com', NULL, '11.222.333/0001-81', NULL, '2024-01-03'),
            NULL, 'resolve: a new document, no name') FROM pg_temp.one;
SELECT is(omni_identity.resolve_customer_cluster('ev-a', 'mine@shop.com', NULL, '529.982.247-25', 'X', '2024-01-04'),
          NULL, 'resolve: every value removed → NULL') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.key_evidence WHERE tenant_id = 'ev-a'), 3::bigint,
          'resolve: a write path (a new buyer, a new key) records its input in the call') FROM pg_temp.one;
SELECT is(omni_identity.evidence_fold('ev-a'), 1,
          'fold: the fast path''s log row (the same buyer again, earlier, its pair known)') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.resolve_evidence_log WHERE tenant_id = 'ev-a' $$,
                'fold: the log is empty after it') FROM pg_temp.one;
SELECT results_eq(
    $$ SELECT key_type, key_value, inputs, first_seen_at, last_seen_at, name, name_seen_at,
              linked_emails, linked_phones, linked_documents
         FROM omni_identity.key_evidence WHERE tenant_id = 'ev-a' ORDER BY 1, 2 $$,
    $$ VALUES ('document', '11222333000181', 1::bigint, '2024-01-03'::timestamptz, '2024-01-03'::timestamptz,
               NULL::text, NULL::timestamptz, 1::bigint, 0::bigint, 0::bigint),
              ('email', 'ana@x.com', 3, '2024-01-01', '2024-01-03', 'Ana Souza', '2024-01-02', 0, 1, 1),
              ('phone', '+5511987654321', 2, '2024-01-01', '2024-01-02', 'Ana Souza', '2024-01-02', 1, 0, 0) $$,
    'resolve: key evidence (inputs, first/last seen, greatest (seen_at, name), neighbours per type)') FROM pg_temp.one;
SELECT results_eq(
    $$ SELECT a_type, a_value, b_type, b_value, seen_count, first_seen_at, last_seen_at, sale_id
         FROM omni_identity.key_pairs WHERE tenant_id = 'ev-a' ORDER BY 1, 2, 3, 4 $$,
    $$ VALUES ('document', '11222333000181', 'email', 'ana@x.com', 1::bigint, '2024-01-03'::timestamptz,
               '2024-01-03'::timestamptz, NULL::bigint),
              ('email', 'ana@x.com', 'phone', '+5511987654321', 2, '2024-01-01', '2024-01-02', NULL) $$,
    'resolve: key pairs, a < b, no sale id') FROM pg_temp.one;

-- The batch core: aggregated per batch; a resend counts nothing; sale_id kept once set.
SELECT is((SELECT inserted FROM omni_identity.ingest_sales('ev-a', $j$[
    {"shop_id": "s", "external_id": "1", "created_at": "2024-02-01", "buyer_email": "ana@x.com", "buyer_phone": "11987654321", "buyer_name": "Zed"},
    {"shop_id": "s", "external_id": "2", "created_at": "2024-02-02", "buyer_email": "ana@x.com", "buyer_phone": "+55 11 98765-4321"},
    {"shop_id": "s", "external_id": "3", "created_at": "2023-02-02", "buyer_email": "cai@x.com", "buyer_phone": "+55 11 98765-4321", "buyer_document": "529.982.247-25"},
    {"shop_id": "s", "external_id": "4", "created_at": "2023-02-03", "buyer_email": "mine@shop.com", "buyer_name": "Nobody"}
  ]$j$::jsonb)), 4, 'ingest: four sales') FROM pg_temp.one;
SELECT is((SELECT inserted + updated FROM omni_identity.ingest_sales('ev-a', $j$[
    {"shop_id": "s", "external_id": "1", "created_at": "2024-02-01", "buyer_email": "ana@x.com", "buyer_phone": "11987654321", "buyer_name": "Zed"}
  ]$j$::jsonb)), 0, 'ingest: a resend writes nothing') FROM pg_temp.one;
SELECT results_eq(
    $$ SELECT key_type, key_value, inputs, first_seen_at, last_seen_at, name, name_seen_at,
              linked_emails, linked_phones, linked_documents
         FROM omni_identity.key_evidence WHERE tenant_id = 'ev-a' ORDER BY 1, 2 $$,
    $$ VALUES ('document', '11222333000181', 1::bigint, '2024-01-03'::timestamptz, '2024-01-03'::timestamptz,
               NULL::text, NULL::timestamptz, 1::bigint, 0::bigint, 0::bigint),
              ('email', 'ana@x.com', 5, '2024-01-01', '2024-02-02', 'Zed', '2024-02-01', 0, 1, 1),
              ('email', 'cai@x.com', 1, '2023-02-02', '2023-02-02', NULL, NULL, 0, 1, 0),
              ('phone', '+5511987654321', 5, '2023-02-02', '2024-02-02', 'Zed', '2024-02-01', 2, 0, 0) $$,
    'batch: key evidence added per batch; the forgotten document and the blocked e-mail not recorded') FROM pg_temp.one;
SELECT results_eq(
    $$ SELECT a_type, a_value, b_type, b_value, seen_count, first_seen_at, last_seen_at,
              sale_id = (SELECT id FROM public.omni_sales WHERE tenant_id = 'ev-a' AND external_id = '3')
         FROM omni_identity.key_pairs WHERE tenant_id = 'ev-a' ORDER BY 1, 2, 3, 4 $$,
    $$ VALUES ('document', '11222333000181', 'email', 'ana@x.com', 1::bigint, '2024-01-03'::timestamptz,
               '2024-01-03'::timestamptz, NULL::boolean),
              ('email', 'ana@x.com', 'phone', '+5511987654321', 4, '2024-01-01', '2024-02-02', false),
              ('email', 'cai@x.com', 'phone', '+5511987654321', 1, '2023-02-02', '2023-02-02', true) $$,
    'batch: pairs counted per sale; a pair first seen by resolve takes a sale id') FROM pg_temp.one;
SELECT results_eq(
    $$ SELECT external_id, buyer_email, buyer_document FROM public.omni_sales WHERE tenant_id = 'ev-a' ORDER BY 1 $$,
    $$ VALUES ('1', 'ana@x.com', NULL::text), ('2', 'ana@x.com', NULL), ('3', 'cai@x.com', NULL),
              ('4', NULL, NULL) $$,
    'ingest: a forgotten value is stored as NULL (a blocked one that is forgotten too)') FROM pg_temp.one;

SELECT is((SELECT (inserted, updated, rejected)::text FROM omni_identity.ingest_sales('ev-a', $j$[
    {"shop_id": "s", "external_id": "3", "created_at": "2023-02-02", "buyer_email": "cai@x.com", "buyer_phone": "+55 11 98765-4321", "buyer_document": "529.982.247-25"},
    {"external_id": "5", "created_at": "2023-02-02", "buyer_email": "MINE@shop.com", "buyer_document": "529.982.247-25"}
  ]$j$::jsonb)), '(0,0,1)', 'ingest: a replay of a redacted sale is unchanged (the plaintext does not come back)') FROM pg_temp.one;
SELECT is((SELECT raw FROM omni_identity.sales_rejects WHERE tenant_id = 'ev-a' AND raw->>'external_id' = '5'),
          '{"external_id": "5", "created_at": "2023-02-02", "buyer_email": null, "buyer_document": null}'::jsonb,
          'ingest: a rejected row keeps no forgotten value in its raw json') FROM pg_temp.one;

-- Automatic mode and the backfill redact forgotten values of rows written directly.
INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES ('ev-a', 'auto_resolve', 'true');
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_document, created_at)
VALUES ('ev-a', 's', 'auto-1', 'dora@x.com', '52998224725', '2024-03-01');
-- The same on Citus (the trigger fires on the tenant's shard).
SELECT results_eq(
    $$ SELECT buyer_email, buyer_document, customer_hash IS NOT NULL FROM public.omni_sales
        WHERE tenant_id = 'ev-a' AND external_id = 'auto-1' $$,
    $$ VALUES ('dora@x.com', NULL::text, true) $$, 'automatic mode: the forgotten document is NULL, the sale clustered')
  FROM pg_temp.one;
DELETE FROM omni_identity.settings WHERE tenant_id = 'ev-a' AND key = 'auto_resolve';
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, buyer_phone, created_at)
VALUES ('ev-a', 's', 'bf-1', 'mine@shop.com', '(11) 98765-4321', '2024-03-02');
SELECT ok(omni_identity.backfill_customer_hash('ev-a', 100) >= 1, 'backfill: a batch') FROM pg_temp.one;
SELECT results_eq(
    $$ SELECT buyer_email, buyer_phone, customer_hash IS NOT NULL FROM public.omni_sales
        WHERE tenant_id = 'ev-a' AND external_id = 'bf-1' $$,
    $$ VALUES (NULL::text, '(11) 98765-4321', true) $$, 'backfill: the forgotten e-mail is NULL, the sale clustered by its phone') FROM pg_temp.one;
SELECT is((SELECT inputs FROM omni_identity.key_evidence WHERE tenant_id = 'ev-a' AND key_type = 'phone'),
          6::bigint, 'backfill: its sale counted once') FROM pg_temp.one;
SELECT is(omni_identity.backfill_customer_hash('ev-a', 100), 0, 'backfill: done') FROM pg_temp.one;
SELECT is((SELECT inputs FROM omni_identity.key_evidence WHERE tenant_id = 'ev-a' AND key_type = 'phone'),
          6::bigint, 'backfill: a finished backfill counts nothing again') FROM pg_temp.one;

-- A sale up to the evidence upgrade's through_sale_id is the upgrade's: the backfill
-- clusters it but does not record it.
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, created_at)
VALUES ('ev-u', 's', 'old-1', 'old@x.com', '2020-01-01');
INSERT INTO omni_identity.evidence_upgrade (tenant_id, through_sale_id)
SELECT 'ev-u', max(id) FROM public.omni_sales WHERE tenant_id = 'ev-u';
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, buyer_email, created_at)
VALUES ('ev-u', 's', 'new-1', 'new@x.com', '2020-01-02');
SELECT set_config('app.current_tenant_id', 'ev-u', true) FROM pg_temp.one;
SELECT is(omni_identity.backfill_customer_hash('ev-u', 100), 2, 'upgrade range: both sales clustered') FROM pg_temp.one;
SELECT results_eq($$ SELECT key_value FROM omni_identity.key_evidence WHERE tenant_id = 'ev-u' $$,
                  $$ VALUES ('new@x.com') $$, 'upgrade range: only the sale after through_sale_id recorded') FROM pg_temp.one;

-- The log and removed values: a value blocked (a row straight into key_blocklist) after
-- a call was logged, before the fold, gains nothing from that log row; a forget
-- erases a value sitting in the unfolded log (it folds first, then removes the key's
-- evidence), and what the log held of it is gone.
SELECT set_config('app.current_tenant_id', 'ev-l', true) FROM pg_temp.one;
SELECT isnt(omni_identity.resolve_customer_cluster('ev-l', 'c@x.com', '(11) 95555-1111', NULL, 'Cid', '2024-02-01')
            = omni_identity.resolve_customer_cluster('ev-l', 'c@x.com', '(11) 95555-1111', NULL, 'Cid', '2024-01-01'),
            false, 'log: a new buyer (recorded in the call), then again (the fast path: logged)') FROM pg_temp.one;
INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex)
VALUES ('ev-l', 'phone', '+5511955551111', false);
SELECT is(omni_identity.evidence_fold('ev-l'), 1, 'log: folded after the block') FROM pg_temp.one;
SELECT results_eq($$ SELECT key_type, key_value, inputs FROM omni_identity.key_evidence
                      WHERE tenant_id = 'ev-l' ORDER BY 1, 2 $$,
                  $$ VALUES ('email', 'c@x.com', 2::bigint), ('phone', '+5511955551111', 1) $$,
                  'log: the value blocked before the fold gains nothing from the log row') FROM pg_temp.one;
SELECT results_eq($$ SELECT seen_count FROM omni_identity.key_pairs WHERE tenant_id = 'ev-l' $$,
                  $$ VALUES (1::bigint) $$, 'log: nor does its pair') FROM pg_temp.one;
SELECT set_config('app.current_tenant_id', 'ev-m', true) FROM pg_temp.one;
SELECT isnt(omni_identity.resolve_customer_cluster('ev-m', 'd@x.com', '(11) 96666-2222', NULL, 'Dora', '2024-02-01'),
            NULL, 'log: a new buyer (recorded in the call)') FROM pg_temp.one;
SELECT isnt(omni_identity.resolve_customer_cluster('ev-m', 'd@x.com', '(11) 96666-2222', NULL, 'Dora', '2024-01-01'),
            NULL, 'log: the same buyer again (the fast path) logged') FROM pg_temp.one;
SELECT is((SELECT keys_forgotten FROM omni_identity.forget_identifier('ev-m', 'email', 'd@x.com')), 1,
          'log: forget of a value only the log recorded as evidence') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.resolve_evidence_log l WHERE l.tenant_id = 'ev-m' $$,
                'log: forget folded the log') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.key_evidence e WHERE e.tenant_id = 'ev-m' AND e.key_value = 'd@x.com'
                   UNION ALL
                   SELECT 1 FROM omni_identity.key_pairs p WHERE p.tenant_id = 'ev-m' AND 'd@x.com' IN (p.a_value, p.b_value) $$,
                'log: the forgotten value is in no evidence') FROM pg_temp.one;
SELECT results_eq($$ SELECT key_type, inputs FROM omni_identity.key_evidence WHERE tenant_id = 'ev-m' $$,
                  $$ VALUES ('phone', 2::bigint) $$, 'log: the other key keeps both calls') FROM pg_temp.one;

-- A folded pair whose ends are keys of two live clusters (a log row no lock ordered
-- against the split, written here by hand) merges them into the oldest: the partition
-- stays a function of the evidence.
SELECT set_config('app.current_tenant_id', 'ev-x', true) FROM pg_temp.one;
CREATE TEMP TABLE ev_x AS
SELECT omni_identity.resolve_customer_cluster('ev-x', 'x1@x.com', '(11) 95555-3333', NULL, NULL, '2024-01-01') AS older,
       omni_identity.resolve_customer_cluster('ev-x', 'x2@x.com', NULL, NULL, NULL, '2024-01-02') AS younger;
INSERT INTO omni_identity.resolve_evidence_log (tenant_id, email, phone, seen_at)
VALUES ('ev-x', 'x2@x.com', '+5511955553333', '2024-01-03');
SELECT is(omni_identity.evidence_fold('ev-x'), 1, 'fold: a pair across two clusters') FROM pg_temp.one;
SELECT is((SELECT merged_into FROM omni_identity.customer_cluster c, ev_x
            WHERE c.tenant_id = 'ev-x' AND c.cluster_id = ev_x.younger),
          (SELECT older FROM ev_x), 'fold: the younger cluster is merged into the older') FROM pg_temp.one;
SELECT is((SELECT count(DISTINCT k.cluster_id) FROM omni_identity.customer_cluster_keys k WHERE k.tenant_id = 'ev-x'),
          1::bigint, 'fold: every key on one cluster') FROM pg_temp.one;

-- Row-level security of the evidence tables, as an application login.
INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at, last_seen_at)
VALUES ('ev-b', 'email', 'b@x.com', 1, now(), now());
INSERT INTO omni_identity.key_pairs (tenant_id, a_type, a_value, b_type, b_value, seen_count, first_seen_at, last_seen_at)
VALUES ('ev-b', 'email', 'b@x.com', 'phone', '+5511987654321', 1, now(), now());
-- The pipeline's work tables were created by this test's superuser; an application
-- session creates its own (on Citus, CREATE TEMP TABLE IF NOT EXISTS over a table of
-- another owner is refused: "must be owner", so every one of them goes, not only the fold's).
DO $$
DECLARE
    v_table regclass;
BEGIN
    FOR v_table IN SELECT c.oid FROM pg_catalog.pg_class c
                    WHERE c.relnamespace = pg_catalog.pg_my_temp_schema() AND c.relkind = 'r'
                      AND c.relname LIKE 'oi\_%' LOOP
        EXECUTE format('DROP TABLE %s', v_table);
    END LOOP;
END;
$$;
SELECT tests.act_as(current_setting('tests.app_login'), 'ev-a');
SELECT is((SELECT count(*) FROM omni_identity.key_evidence), 5::bigint, 'key_evidence: reads its own tenant''s rows') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.key_evidence WHERE tenant_id <> 'ev-a' $$,
                'key_evidence: reads nothing of another tenant') FROM pg_temp.one;
SELECT lives_ok($$ INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at, last_seen_at)
                   VALUES ('ev-a', 'email', 'z@x.com', 1, now(), now()) $$, 'key_evidence: inserts into its own tenant') FROM pg_temp.one;
SELECT throws_ok($$ INSERT INTO omni_identity.key_evidence (tenant_id, key_type, key_value, inputs, first_seen_at, last_seen_at)
                    VALUES ('ev-b', 'email', 'z@x.com', 1, now(), now()) $$, '42501', NULL,
                 'key_evidence: cannot insert into another tenant') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.key_pairs), 3::bigint, 'key_pairs: reads its own tenant''s rows') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.key_pairs WHERE tenant_id <> 'ev-a' $$,
                'key_pairs: reads nothing of another tenant') FROM pg_temp.one;
SELECT lives_ok($$ UPDATE omni_identity.key_pairs SET seen_count = seen_count WHERE tenant_id = 'ev-a' $$,
                'key_pairs: updates its own rows') FROM pg_temp.one;
SELECT throws_ok($$ INSERT INTO omni_identity.key_pairs (tenant_id, a_type, a_value, b_type, b_value, seen_count, first_seen_at, last_seen_at)
                    VALUES ('ev-b', 'email', 'q@x.com', 'phone', '+5511987654321', 1, now(), now()) $$, '42501', NULL,
                 'key_pairs: cannot insert into another tenant') FROM pg_temp.one;
SELECT is(omni_identity.resolve_customer_cluster('ev-a', 'b@x.com', '(11) 98765-4321', NULL, NULL, '2024-05-01')
          = omni_identity.resolve_customer_cluster('ev-a', 'b@x.com', '(11) 98765-4321', NULL, NULL, '2024-04-01'),
          true, 'resolve as the application login records evidence (in the call, then in the log)') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.resolve_evidence_log), 1::bigint,
          'resolve_evidence_log: reads its own tenant''s rows') FROM pg_temp.one;
SELECT is_empty($$ SELECT 1 FROM omni_identity.resolve_evidence_log WHERE tenant_id <> 'ev-a' $$,
                'resolve_evidence_log: reads nothing of another tenant') FROM pg_temp.one;
SELECT throws_ok($$ INSERT INTO omni_identity.resolve_evidence_log (tenant_id, email, seen_at)
                    VALUES ('ev-b', 'q@x.com', now()) $$, '42501', NULL,
                 'resolve_evidence_log: cannot insert into another tenant') FROM pg_temp.one;
SELECT is(omni_identity.evidence_fold('ev-a'), 1, 'the application login folds its own tenant') FROM pg_temp.one;
SELECT is((SELECT inputs FROM omni_identity.key_evidence WHERE key_type = 'email' AND key_value = 'b@x.com'),
          2::bigint, 'the application login''s evidence is its tenant''s alone') FROM pg_temp.one;

SELECT * FROM finish();
ROLLBACK;
