-- 50-query.sql: query API (abstraction_buyer, customer_report, compare, flags): signatures, v1/v2 meaning, aliases, routing, errors, tenancy as the application role.
BEGIN;
SELECT plan(73);
-- On Citus, a statement whose only table is a tenant's distributed table is sent whole to
-- the tenant's shard, the pgTAP call with it (and pgTAP's state is here): each assertion
-- reads this local one-row table too, so Citus runs it here and only its subqueries there.
CREATE TEMP TABLE one AS SELECT 1 AS one;
GRANT SELECT ON pg_temp.one TO PUBLIC;

-- Signatures of the public contract.
SELECT has_function('omni_identity', 'abstraction_buyer_v1', ARRAY['text', 'jsonb', 'integer', 'jsonb']);
SELECT has_function('omni_identity', 'abstraction_buyer_v2', ARRAY['text', 'jsonb', 'integer', 'jsonb']);
SELECT has_function('omni_identity', 'abstraction_buyer', ARRAY['text', 'jsonb', 'integer', 'jsonb']);
SELECT function_returns('omni_identity', 'abstraction_buyer_v2', ARRAY['text', 'jsonb', 'integer', 'jsonb'], 'setof omni_sales');
SELECT has_function('omni_identity', 'customer_report_v1', ARRAY['text', 'jsonb']);
SELECT has_function('omni_identity', 'customer_report_v2', ARRAY['text', 'jsonb']);
SELECT has_function('omni_identity', 'customer_report', ARRAY['text', 'jsonb']);
SELECT has_function('omni_identity', 'compare_customer_reports', ARRAY['text', 'jsonb']);
SELECT function_returns('omni_identity', 'compare_customer_reports', ARRAY['text', 'jsonb'], 'integer');
SELECT has_function('omni_identity', 'set_flag', ARRAY['text', 'text', 'boolean']);
SELECT has_function('omni_identity', 'flag_enabled', ARRAY['text', 'text']);
SELECT volatility_is('omni_identity', 'flag_enabled', ARRAY['text', 'text'], 'stable');
SELECT isnt_definer('omni_identity', 'abstraction_buyer_v2', ARRAY['text', 'jsonb', 'integer', 'jsonb']);
-- One row type for the three reports (SPEC §7's column list).
SELECT has_type('omni_identity', 'customer_report_row', 'the report row type');
SELECT results_eq($$ SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
                       FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = (SELECT typrelid FROM pg_catalog.pg_type
                                           WHERE oid = 'omni_identity.customer_report_row'::regtype)
                        AND a.attnum > 0 ORDER BY a.attnum $$,
                  $$ VALUES ('cluster_id', 'uuid'), ('email', 'text'), ('phone', 'text'), ('document', 'text'),
                            ('name', 'text'), ('orders', 'bigint'), ('total_amount', 'numeric'),
                            ('first_purchase_at', 'timestamp with time zone'),
                            ('last_purchase_at', 'timestamp with time zone'), ('shops', 'bigint') $$,
                  'the report row: SPEC §7 columns in order') FROM pg_temp.one;
SELECT function_returns('omni_identity', 'customer_report_v1', ARRAY['text', 'jsonb'], 'setof omni_identity.customer_report_row');
SELECT function_returns('omni_identity', 'customer_report_v2', ARRAY['text', 'jsonb'], 'setof omni_identity.customer_report_row');
SELECT function_returns('omni_identity', 'customer_report', ARRAY['text', 'jsonb'], 'setof omni_identity.customer_report_row');

-- Tenant a: cluster 1 (keys ana@x.com, +5511987654321) with cluster 2 merged into it, not
-- reconciled: sale 2 still carries cluster 2. Cluster 3: bia@x.com. Sale 4 has no cluster.
-- Tenant b: the same e-mail, its own cluster.
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, last_buyer_email, last_buyer_name) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000001', 'ana@x.com', 'Ana'),
    ('tenant-a', 'a0000000-0000-0000-0000-000000000003', 'bia@x.com', 'Bia'),
    ('tenant-b', 'b0000000-0000-0000-0000-000000000001', 'ana@x.com', 'Ana B');
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, merged_into) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000002', 'a0000000-0000-0000-0000-000000000001');
INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster) VALUES
    ('tenant-a', 'a0000000-0000-0000-0000-000000000002', 'a0000000-0000-0000-0000-000000000001');
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id) VALUES
    ('tenant-a', 'email', 'ana@x.com', 'a0000000-0000-0000-0000-000000000001'),
    ('tenant-a', 'phone', '+5511987654321', 'a0000000-0000-0000-0000-000000000001'),
    ('tenant-a', 'email', 'bia@x.com', 'a0000000-0000-0000-0000-000000000003'),
    ('tenant-b', 'email', 'ana@x.com', 'b0000000-0000-0000-0000-000000000001');
INSERT INTO public.omni_sales (tenant_id, id, shop_id, external_id, buyer_email, buyer_phone, buyer_name,
                               amount, created_at, customer_hash) VALUES
    ('tenant-a', 900001, 's1', 'e1', 'Ana@X.com', NULL, 'Ana Souza', 10, '2026-01-01', 'a0000000-0000-0000-0000-000000000001'),
    ('tenant-a', 900002, 's2', 'e2', NULL, '(11) 98765-4321', 'ANA', 20, '2026-01-02', 'a0000000-0000-0000-0000-000000000002'),
    ('tenant-a', 900003, 's1', 'e3', 'bia@x.com', NULL, 'Bia', 5, '2026-01-03', 'a0000000-0000-0000-0000-000000000003'),
    ('tenant-a', 900004, 's1', 'e4', NULL, NULL, NULL, 7, '2026-01-04', NULL),
    ('tenant-b', 900005, 's1', 'e5', 'ana@x.com', NULL, 'Ana B', 99, '2026-01-05', 'b0000000-0000-0000-0000-000000000001');

-- v1: the sale's own columns; v2: the whole cluster including the unreconciled alias.
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v1('tenant-a', '{"email": " ANA@x.com "}') $$,
                  ARRAY[900001::bigint], 'v1 matches the sale''s own normalized e-mail') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"email": " ANA@x.com "}') $$,
                  ARRAY[900002, 900001]::bigint[], 'v2 returns the cluster and its merged-away alias, newest first') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"phone": "+55 11 98765 4321", "email": "ana@x.com"}') $$,
                  ARRAY[900002, 900001]::bigint[], 'v2 with two keys of one cluster') FROM pg_temp.one;
SELECT is_empty($$ SELECT id FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"phone": "11987654321", "email": "bia@x.com"}') $$,
                'keys of two clusters select nothing') FROM pg_temp.one;
SELECT is_empty($$ SELECT id FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"email": "nobody@x.com"}') $$,
                'an unknown key selects nothing') FROM pg_temp.one;
SELECT is_empty($$ SELECT id FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"email": "not an e-mail"}') $$,
                'a value that normalizes to NULL selects nothing (v2)') FROM pg_temp.one;
SELECT is_empty($$ SELECT id FROM omni_identity.abstraction_buyer_v1('tenant-a', '{"email": "not an e-mail"}') $$,
                'a value that normalizes to NULL selects nothing (v1)') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"email": "ana@x.com", "shop_id": "s2"}') $$,
                  ARRAY[900002::bigint], 'shop_id stays a row filter in v2') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v1('tenant-a', '{"name": "souz"}') $$,
                  ARRAY[900001::bigint], 'name is a substring of the normalized name') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"shop_id": "s1"}') $$,
                  $$ SELECT id FROM omni_identity.abstraction_buyer_v1('tenant-a', '{"shop_id": "s1"}') $$,
                  'without a buyer filter v2 is v1') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v1('tenant-a', '{}', 2) $$,
                  ARRAY[900004, 900003]::bigint[], 'first page') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v1('tenant-a', '{}', 2,
                        '{"created_at": "2026-01-03T00:00:00+00:00", "id": 900003}') $$,
                  ARRAY[900002, 900001]::bigint[], 'keyset page after the cursor') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"email": "ana@x.com"}', 1,
                        '{"created_at": "2026-01-02T00:00:00+00:00", "id": "900002"}') $$,
                  ARRAY[900001::bigint], 'v2 keyset page (id as a string)') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v1('tenant-a', '{"created_from": "2026-01-02", "created_to": "2026-01-04"}') $$,
                  ARRAY[900003, 900002]::bigint[], 'created_from inclusive, created_to exclusive') FROM pg_temp.one;

-- The row filter alone (query_row_matches): every non-NULL argument must hold.
SELECT results_eq($$ SELECT s.id FROM public.omni_sales s
                      WHERE s.tenant_id = 'tenant-a'
                        AND omni_identity.query_row_matches(s.buyer_email, s.buyer_phone, s.buyer_document, s.buyer_name, s.shop_id, s.product_id, s.status, s.created_at,
                                                            NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
                      ORDER BY s.id $$,
                  ARRAY[900001, 900002, 900003, 900004]::bigint[], 'row filter: all NULL is no filter') FROM pg_temp.one;
SELECT results_eq($$ SELECT s.id FROM public.omni_sales s
                      WHERE s.tenant_id = 'tenant-a'
                        AND omni_identity.query_row_matches(s.buyer_email, s.buyer_phone, s.buyer_document, s.buyer_name, s.shop_id, s.product_id, s.status, s.created_at,
                                                            'ana@x.com', NULL, NULL, NULL, 's1', NULL, NULL, NULL, NULL) $$,
                  ARRAY[900001::bigint], 'row filter: the sale''s own normalized e-mail, and the shop') FROM pg_temp.one;
SELECT results_eq($$ SELECT s.id FROM public.omni_sales s
                      WHERE s.tenant_id = 'tenant-a'
                        AND omni_identity.query_row_matches(s.buyer_email, s.buyer_phone, s.buyer_document, s.buyer_name, s.shop_id, s.product_id, s.status, s.created_at,
                                                            NULL, '+5511987654321', NULL, 'ana', NULL, NULL, NULL,
                                                            '2026-01-02', '2026-01-03')
                      ORDER BY s.id $$,
                  ARRAY[900002::bigint], 'row filter: phone, name substring, created range') FROM pg_temp.one;
SELECT is_empty($$ SELECT s.id FROM public.omni_sales s
                    WHERE s.tenant_id = 'tenant-a'
                      AND omni_identity.query_row_matches(s.buyer_email, s.buyer_phone, s.buyer_document, s.buyer_name, s.shop_id, s.product_id, s.status, s.created_at,
                                                            NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2026-01-01') $$,
                'row filter: created_to is exclusive') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM pg_catalog.pg_proc p
            WHERE p.oid = 'omni_identity.query_row_matches(text, text, text, text, text, text, text, timestamptz, text, text, text, text, text, text, text, timestamptz, timestamptz)'::regprocedure
              AND p.prolang = (SELECT oid FROM pg_catalog.pg_language WHERE lanname = 'sql')
              AND p.proconfig IS NULL AND NOT p.prosecdef AND p.provolatile IN ('i', 's')),
          1::bigint, 'row filter: plain SQL with no SET clause, so the planner inlines it') FROM pg_temp.one;

-- The keyset cursor is built by SQL and read back by the page functions.
SELECT is(omni_identity.query_page_cursor('2026-01-03T00:00:00.12+00', 900003) - 'created_at',
          '{"id": 900003}'::jsonb, 'cursor: the id as a number') FROM pg_temp.one;
SELECT is((omni_identity.query_page_cursor('2026-01-03T00:00:00.12+00', 900003) ->> 'created_at')::timestamptz,
          '2026-01-03T00:00:00.12+00'::timestamptz, 'cursor: the timestamp to the microsecond') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v1('tenant-a', '{}', 2,
                        omni_identity.query_page_cursor('2026-01-03T00:00:00+00', 900003)) $$,
                  ARRAY[900002, 900001]::bigint[], 'cursor: the next page starts after its row') FROM pg_temp.one;

-- Reports add up to the same orders and amount, unidentified row included.
SELECT results_eq($$ SELECT count(*), sum(orders), sum(total_amount) FROM omni_identity.customer_report_v1('tenant-a') $$,
                  $$ VALUES (3::bigint, 4::numeric, 42.00::numeric) $$, 'v1 report: two e-mails + unidentified, all orders and amount') FROM pg_temp.one;
SELECT results_eq($$ SELECT count(*), sum(orders), sum(total_amount) FROM omni_identity.customer_report_v2('tenant-a') $$,
                  $$ VALUES (3::bigint, 4::numeric, 42.00::numeric) $$, 'v2 report: 2 clusters + unidentified, same totals') FROM pg_temp.one;
SELECT results_eq($$ SELECT cluster_id, email, name, orders, total_amount, shops FROM omni_identity.customer_report_v2('tenant-a')
                     WHERE cluster_id IS NOT NULL ORDER BY cluster_id $$,
                  $$ VALUES ('a0000000-0000-0000-0000-000000000001'::uuid, 'ana@x.com', 'Ana', 2::bigint, 30.00::numeric, 2::bigint),
                            ('a0000000-0000-0000-0000-000000000003'::uuid, 'bia@x.com', 'Bia', 1::bigint, 5.00::numeric, 1::bigint) $$,
                  'v2 report: alias sales count for the survivor, golden record shown') FROM pg_temp.one;
SELECT results_eq($$ SELECT orders, total_amount FROM omni_identity.customer_report_v2('tenant-a') WHERE cluster_id IS NULL $$,
                  $$ VALUES (1::bigint, 7.00::numeric) $$, 'v2 unidentified row') FROM pg_temp.one;
SELECT results_eq($$ SELECT orders, total_amount FROM omni_identity.customer_report_v1('tenant-a') WHERE email IS NULL $$,
                  $$ VALUES (2::bigint, 27.00::numeric) $$, 'v1 unidentified row: the sales without a valid e-mail') FROM pg_temp.one;
SELECT is(omni_identity.compare_customer_reports('tenant-a'), 0, 'no customer split or joined by e-mail here') FROM pg_temp.one;
SELECT is(omni_identity.compare_customer_reports('tenant-a', '{"email": "ana@x.com"}'), 1,
          'one sale only in v2 under a buyer filter') FROM pg_temp.one;
SELECT results_eq($$ SELECT kind, sale_id FROM omni_identity.report_divergences
                     WHERE run_id = (SELECT max(run_id) FROM omni_identity.report_divergences) $$,
                  $$ VALUES ('sale_only_in_v2', 900002::bigint) $$, 'the divergence row names the sale') FROM pg_temp.one;

-- Flags: absent = false; routing follows the flag on every call; off is the rollback.
SELECT is(omni_identity.flag_enabled('tenant-a', 'abstraction_v2_enabled'), false, 'flags default to false') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer('tenant-a', '{"email": "ana@x.com"}') $$,
                  ARRAY[900001::bigint], 'routing: v1 by default') FROM pg_temp.one;
SELECT lives_ok($$ SELECT omni_identity.set_flag('tenant-a', 'abstraction_v2_enabled', true) $$, 'set_flag on') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer('tenant-a', '{"email": "ana@x.com"}') $$,
                  ARRAY[900002, 900001]::bigint[], 'routing: v2 when the flag is on') FROM pg_temp.one;
SELECT lives_ok($$ SELECT omni_identity.set_flag('tenant-a', 'abstraction_v2_enabled', false) $$, 'set_flag off') FROM pg_temp.one;
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer('tenant-a', '{"email": "ana@x.com"}') $$,
                  ARRAY[900001::bigint], 'routing: back to v1 (rollback)') FROM pg_temp.one;
SELECT lives_ok($$ SELECT omni_identity.set_flag('tenant-a', 'customer_report_v2_enabled', true) $$, 'report flag on') FROM pg_temp.one;
SELECT is((SELECT count(*) FROM omni_identity.customer_report('tenant-a')), 3::bigint, 'report routing: v2 rows') FROM pg_temp.one;

-- Errors: the package's SQLSTATEs.
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v2('tenant-a', '{}', 0) $$, 'OI040') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v1('tenant-a', '{}', 10001) $$, 'OI040') FROM pg_temp.one;
SELECT lives_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v1('tenant-a', '{}', 10000) $$, 'p_limit 10000 is allowed') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"mail": "a@x.com"}') $$, 'OI041') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"email": {"a": 1}}') $$, 'OI042') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.customer_report_v2('tenant-a', '{"created_from": "soon"}') $$, 'OI042') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v2('tenant-a', '{}', 5, '{"id": 3}') $$, 'OI043') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.set_flag('tenant-a', 'v2', true) $$, 'OI044') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.set_flag('tenant-a', 'abstraction_v2_enabled', NULL) $$, 'OI045') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v2(NULL, '{}') $$, 'OI001') FROM pg_temp.one;

-- As the application role: its own tenant works, another tenant fails, RLS hides the rest.
SELECT tests.act_as('omni_identity_app', 'tenant-a');
SELECT results_eq($$ SELECT id FROM omni_identity.abstraction_buyer_v2('tenant-a', '{"email": "ana@x.com"}') $$,
                  ARRAY[900002, 900001]::bigint[], 'app role: own tenant through v2') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.abstraction_buyer_v1('tenant-b', '{"email": "ana@x.com"}') $$, 'OI002') FROM pg_temp.one;
SELECT throws_ok($$ SELECT * FROM omni_identity.customer_report('tenant-b') $$, 'OI002') FROM pg_temp.one;
SELECT lives_ok($$ SELECT omni_identity.query_page_cursor(now(), 1) $$, 'app role builds a cursor') FROM pg_temp.one;
SELECT is((SELECT sum(orders) FROM omni_identity.customer_report_v1('tenant-a')), 4::numeric,
          'app role: the report sees only its tenant''s sales') FROM pg_temp.one;
SELECT lives_ok($$ SELECT omni_identity.set_flag('tenant-a', 'abstraction_v2_enabled', true) $$, 'app role sets its flag') FROM pg_temp.one;
SELECT throws_ok($$ SELECT omni_identity.set_flag('tenant-b', 'abstraction_v2_enabled', true) $$, 'OI002') FROM pg_temp.one;

SELECT * FROM finish();
ROLLBACK;
