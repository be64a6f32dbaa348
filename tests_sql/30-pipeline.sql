-- 30-pipeline.sql: ingest_sales, backfill_customer_hash, reconcile_merges, automatic mode — results, rejects, metrics, errors, app role
BEGIN;
SELECT plan(88);

CREATE FUNCTION pg_temp.ing(p_tenant text, p_rows text)
RETURNS TABLE(inserted int, updated int, rejected int, clustered int, merges int) LANGUAGE sql VOLATILE
AS $$ SELECT * FROM omni_identity.ingest_sales(p_tenant, p_rows::jsonb) $$;
CREATE FUNCTION pg_temp.hash_of(p_tenant text, p_ext text)
RETURNS uuid LANGUAGE sql STABLE
AS $$ SELECT customer_hash FROM public.omni_sales WHERE tenant_id = p_tenant AND external_id = p_ext $$;

-- Signatures and documentation.
SELECT has_function('omni_identity', 'ingest_sales', ARRAY['text', 'jsonb'], 'ingest_sales(text, jsonb) exists');
SELECT has_function('omni_identity', 'backfill_customer_hash', ARRAY['text', 'integer'], 'backfill_customer_hash(text, integer) exists');
SELECT has_function('omni_identity', 'reconcile_merges', ARRAY['integer'], 'reconcile_merges(integer) exists');
SELECT has_trigger('public', 'omni_sales', 'omni_sales_auto_resolve', 'automatic-mode trigger on omni_sales');
SELECT has_index('public', 'omni_sales', 'omni_sales_unhashed_idx', 'backfill queue index');
SELECT isnt(obj_description('omni_identity.ingest_sales(text, jsonb)'::regprocedure, 'pg_proc'), NULL, 'ingest_sales is documented');

-- The application role ingests its own tenant only and cannot run the cross-tenant backfill
-- (First: the session's pipeline work tables then belong to the application role.)
SELECT tests.act_as('omni_identity_app', 'p5');
SELECT results_eq($$ SELECT inserted FROM pg_temp.ing('p5', '[{"shop_id": "s", "external_id": "z", "created_at": "2024-01-01", "buyer_email": "eva@v.com"}]') $$,
    $$ VALUES (1) $$, 'the app role ingests for its session tenant');
SELECT throws_ok($$ SELECT * FROM omni_identity.ingest_sales('p1', '[]') $$, 'OI002', NULL, 'another tenant is refused');
SELECT throws_ok($$ SELECT omni_identity.backfill_customer_hash(NULL) $$, '42501', NULL, 'the cross-tenant backfill is not granted to the app role');
RESET ROLE;
SELECT set_config('app.current_tenant_id', '', true);


-- Ingest: insert, cluster, link through normalized keys.
SELECT results_eq($$ SELECT * FROM pg_temp.ing('p1', '[
    {"shop_id": "s1", "external_id": "1", "created_at": "2024-01-01T10:00:00Z", "buyer_email": "Ana@X.com"},
    {"shop_id": "s1", "external_id": "2", "created_at": "2024-01-02T10:00:00Z", "buyer_email": " ana@x.com", "buyer_phone": "(11) 98765-4321"},
    {"shop_id": "s1", "external_id": "3", "created_at": "2024-01-03T10:00:00Z", "buyer_phone": "+55 11 98765-4321", "buyer_name": "  Ana   Souza "},
    {"shop_id": "s1", "external_id": "4", "created_at": "2024-01-03T10:00:00Z", "buyer_email": "teste@teste.com"},
    {"shop_id": "s1", "external_id": "5", "created_at": "2024-01-04T10:00:00Z", "buyer_email": "bia@y.com"}]') $$,
    $$ VALUES (5, 0, 0, 4, 0) $$, 'five inserted, four clustered (a blocked e-mail is no key)');
SELECT is(pg_temp.hash_of('p1', '1'), pg_temp.hash_of('p1', '3'), 'e-mail and phone forms link sales 1-3');
SELECT is(pg_temp.hash_of('p1', '4'), NULL, 'blocked placeholder e-mail: customer_hash NULL');
SELECT isnt(pg_temp.hash_of('p1', '5'), pg_temp.hash_of('p1', '1'), 'another buyer, another cluster');
SELECT results_eq($$ SELECT c.last_buyer_email, c.last_buyer_phone, c.last_buyer_name FROM omni_identity.customer_cluster c
                     JOIN public.omni_sales s ON s.tenant_id = c.tenant_id AND s.customer_hash = c.cluster_id
                     WHERE c.tenant_id = 'p1' AND s.external_id = '1' $$,
    $$ VALUES ('ana@x.com'::text, '+5511987654321'::text, 'Ana Souza'::text) $$, 'golden record of the batch');
SELECT is((SELECT count(*)::int FROM omni_identity.customer_cluster_keys WHERE tenant_id = 'p1'), 3, 'three keys stored');

-- Resend: nothing changes.
SELECT results_eq($$ SELECT * FROM pg_temp.ing('p1', '[{"shop_id": "s1", "external_id": "1", "created_at": "2024-01-01T10:00:00Z", "buyer_email": "Ana@X.com"}]') $$,
    $$ VALUES (0, 0, 0, 0, 0) $$, 'a resend reports nothing inserted or updated');

-- A later batch joins two clusters: one merge, lineage, survivor = oldest.
SELECT results_eq($$ SELECT inserted, merges FROM pg_temp.ing('p1', '[{"shop_id": "s2", "external_id": "9", "created_at": "2024-02-01T00:00:00Z", "buyer_email": "bia@y.com", "buyer_document": "529.982.247-25"},
                                                                       {"shop_id": "s2", "external_id": "10", "created_at": "2024-02-02T00:00:00Z", "buyer_phone": "11987654321", "buyer_document": "52998224725"}]') $$,
    $$ VALUES (2, 1) $$, 'a batch linking two clusters merges them once');
SELECT is(pg_temp.hash_of('p1', '9'), pg_temp.hash_of('p1', '10'), 'both new sales share the survivor');
SELECT is((SELECT count(*)::int FROM omni_identity.customer_cluster_merges WHERE tenant_id = 'p1' AND reconciled_at IS NULL), 1, 'one pending merge');
SELECT is((SELECT count(*)::int FROM public.omni_sales s JOIN omni_identity.customer_cluster c
             ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash
          WHERE s.tenant_id = 'p1' AND c.merged_into IS NOT NULL) > 0, true, 'old sales still carry the merged-away cluster');

-- Reconcile.
SELECT is(omni_identity.reconcile_merges(100) >= 1, true, 'reconcile_merges reconciles the pending merge');
SELECT is((SELECT count(*)::int FROM public.omni_sales s JOIN omni_identity.customer_cluster c
             ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash
          WHERE s.tenant_id = 'p1' AND c.merged_into IS NOT NULL), 0, 'no sale carries a merged-away cluster');
SELECT is((SELECT count(DISTINCT customer_hash)::int FROM public.omni_sales WHERE tenant_id = 'p1'), 1, 'all keyed sales of p1 are one customer now');
SELECT is(omni_identity.reconcile_merges(100), 0, 'nothing left to reconcile');

-- Rejects with row numbers; the good rows are kept.
SELECT results_eq($$ SELECT inserted, rejected FROM pg_temp.ing('p2', '[{"shop_id": "s", "external_id": "a", "created_at": "2024-01-01"},
                                                                       {"shop_id": "s", "created_at": "2024-01-01"},
                                                                       {"shop_id": "s", "external_id": "c", "created_at": "yesterday"},
                                                                       {"shop_id": "s", "external_id": "d", "created_at": "2024-01-01", "amount": "x"}]') $$,
    $$ VALUES (1, 3) $$, 'one row kept, three rejected');
SELECT results_eq($$ SELECT row_no FROM omni_identity.sales_rejects WHERE tenant_id = 'p2' ORDER BY row_no $$,
    $$ VALUES (2), (3), (4) $$, 'rejects carry their row numbers');
SELECT results_eq($$ SELECT job, rows_in, rows_written, rows_rejected FROM omni_identity.batch_metrics WHERE tenant_id = 'p2' $$,
    $$ VALUES ('ingest'::text, 4, 1, 3) $$, 'one batch_metrics row for the batch');

-- Errors.
SELECT throws_ok($$ SELECT * FROM omni_identity.ingest_sales('p2', '{"shop_id": "s"}') $$, 'OI030', NULL, 'p_rows must be an array');
SELECT throws_ok($$ SELECT * FROM omni_identity.ingest_sales('p2', NULL) $$, 'OI030', NULL, 'p_rows must not be NULL');
SELECT throws_ok($$ SELECT * FROM omni_identity.ingest_sales(NULL, '[]') $$, 'OI001', NULL, 'tenant required');
SELECT throws_ok($$ SELECT omni_identity.backfill_customer_hash('p2', 0) $$, 'OI032', NULL, 'backfill batch size checked');
SELECT throws_ok($$ SELECT omni_identity.reconcile_merges(0) $$, 'OI032', NULL, 'reconcile batch size checked');

-- Backfill: raw rows, resumable, keyless sales recorded once.
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email, buyer_document)
VALUES ('p3', 's', 'h1', '2023-01-01', 'carla@z.com', NULL),
       ('p3', 's', 'h2', '2023-01-02', NULL, '390.533.447-05'),
       ('p3', 's', 'h3', '2023-01-03', 'CARLA@z.com', '39053344705'),
       ('p3', 's', 'h4', '2023-01-04', 'nada', NULL);
SELECT is(omni_identity.backfill_remaining('p3'), 4::bigint, 'backfill_remaining: four sales to do');
SELECT is(omni_identity.backfill_customer_hash('p3', 2), 2, 'first backfill batch: two sales');
SELECT is(omni_identity.backfill_remaining('p3'), 2::bigint, 'backfill_remaining: two left');
SELECT is(omni_identity.backfill_customer_hash('p3', 2), 2, 'second batch: the other two');
SELECT is(omni_identity.backfill_remaining('p3'), 0::bigint, 'backfill_remaining: none, the keyless sale counts as processed');
SELECT is(omni_identity.backfill_customer_hash('p3', 2), 0, '0 = done');
SELECT ok(omni_identity.reconcile_remaining('p3') >= 1, 'reconcile_remaining: the tenant''s merges to reconcile');
SELECT is(omni_identity.reconcile_merges() >= 1, true, 'the second batch merged the first batch''s clusters');
SELECT is(omni_identity.reconcile_remaining(), 0::bigint, 'reconcile_remaining: none left');
SELECT is((SELECT count(DISTINCT customer_hash)::int FROM public.omni_sales WHERE tenant_id = 'p3' AND customer_hash IS NOT NULL), 1,
          'backfill links across its batches');
SELECT is(pg_temp.hash_of('p3', 'h4'), NULL, 'a sale without keys stays NULL');
SELECT is((SELECT count(*)::int FROM omni_identity.backfill_keyless WHERE tenant_id = 'p3'), 1, '… and is recorded as processed');
SELECT is((SELECT count(*)::int FROM omni_identity.batch_metrics WHERE tenant_id = 'p3' AND job = 'backfill'), 2, 'one metrics row per backfill batch');

-- Automatic mode.
INSERT INTO omni_identity.settings (tenant_id, key, value) VALUES ('p4', 'auto_resolve', 'true');
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email)
VALUES ('p4', 's', 'a1', now(), 'dora@w.com'), ('p4', 's', 'a2', now(), 'Dora@W.com');
-- The same on Citus: the trigger fires on the tenant's shard (docs/scale-out.md).
SELECT isnt(pg_temp.hash_of('p4', 'a1'), NULL, 'auto_resolve: a direct insert gets its customer_hash');
SELECT is(pg_temp.hash_of('p4', 'a2'), pg_temp.hash_of('p4', 'a1'), 'auto_resolve: the multi-row insert is one customer');
SELECT lives_ok($$ SELECT omni_identity.set_flag('p4', 'auto_resolve', true) $$, 'auto_resolve: set_flag turns it on, also on Citus');

-- The batch core writes customer_hash at the ctid its caller read; a sale updated since
-- (its version moved) is found again by its primary key and still gets its cluster.
SELECT omni_identity.pipeline_temp_tables();
INSERT INTO public.omni_sales (tenant_id, shop_id, external_id, created_at, buyer_email)
VALUES ('p6', 's', 'c1', '2024-03-01', 'eli@v.com'), ('p6', 's', 'c2', '2024-03-02', 'ELI@v.com');
TRUNCATE pg_temp.oi_cluster_in;
INSERT INTO pg_temp.oi_cluster_in (tenant_id, sale_id, seen_at, buyer_email, row_ctid)
SELECT o.tenant_id, o.id, o.created_at, o.buyer_email, o.ctid FROM public.omni_sales o WHERE o.tenant_id = 'p6';
UPDATE public.omni_sales SET status = 'paid' WHERE tenant_id = 'p6' AND external_id = 'c2';
SELECT results_eq($$ SELECT clustered, clusters_created FROM omni_identity.cluster_sales_batch() $$,
    $$ VALUES (2, 1) $$, 'stale ctid: both sales clustered into one new cluster');
SELECT is((SELECT count(*)::int FROM public.omni_sales o
             JOIN public.omni_sales c1 ON c1.tenant_id = o.tenant_id AND c1.external_id = 'c1'
            WHERE o.tenant_id = 'p6' AND o.customer_hash IS NOT NULL AND o.customer_hash = c1.customer_hash), 2,
          'stale ctid: the moved sale carries the cluster too');
SELECT is((SELECT status FROM public.omni_sales WHERE tenant_id = 'p6' AND external_id = 'c2'), 'paid',
          'stale ctid: the concurrent change is kept');

-- Reconcile of a chain of merges, one merge per batch, ends every sale on the live cluster.
SELECT results_eq($$ SELECT inserted, merges FROM pg_temp.ing('p7', '[{"shop_id": "s", "external_id": "1", "created_at": "2024-01-01", "buyer_email": "f1@v.com"},
                                                                       {"shop_id": "s", "external_id": "2", "created_at": "2024-01-02", "buyer_email": "f2@v.com"},
                                                                       {"shop_id": "s", "external_id": "3", "created_at": "2024-01-03", "buyer_email": "f3@v.com"}]') $$,
    $$ VALUES (3, 0) $$, 'three customers');
SELECT results_eq($$ SELECT merges FROM pg_temp.ing('p7', '[{"shop_id": "s", "external_id": "4", "created_at": "2024-01-04", "buyer_email": "f2@v.com", "buyer_phone": "11987650001"}]') $$,
    $$ VALUES (0) $$, 'a new key for customer 2');
SELECT results_eq($$ SELECT merges FROM pg_temp.ing('p7', '[{"shop_id": "s", "external_id": "5", "created_at": "2024-01-05", "buyer_email": "f3@v.com", "buyer_phone": "11987650001"}]') $$,
    $$ VALUES (1) $$, 'customer 3 merged into customer 2');
SELECT results_eq($$ SELECT merges FROM pg_temp.ing('p7', '[{"shop_id": "s", "external_id": "6", "created_at": "2024-01-06", "buyer_email": "f1@v.com", "buyer_phone": "11987650001"}]') $$,
    $$ VALUES (1) $$, 'customer 2 merged into customer 1 (the chain is repointed)');
CREATE TEMP TABLE p7_on_merged AS
SELECT count(*)::int AS n FROM public.omni_sales s
  JOIN omni_identity.customer_cluster c ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash
 WHERE s.tenant_id = 'p7' AND c.merged_into IS NOT NULL;
SELECT is(omni_identity.reconcile_merges(1), 1, 'one merge per batch: the first');
SELECT is(omni_identity.reconcile_merges(1), 1, 'the second');
SELECT is(omni_identity.reconcile_merges(1), 0, 'then none');
SELECT is((SELECT count(DISTINCT customer_hash)::int FROM public.omni_sales WHERE tenant_id = 'p7'), 1,
          'every sale of the chain is on one cluster');
SELECT is((SELECT bool_and(c.merged_into IS NULL) FROM public.omni_sales s
             JOIN omni_identity.customer_cluster c ON c.tenant_id = s.tenant_id AND c.cluster_id = s.customer_hash
            WHERE s.tenant_id = 'p7'), true, '… a live one');
SELECT is((SELECT sum(m.rows_written)::int FROM (SELECT rows_written FROM omni_identity.batch_metrics
                                                    WHERE tenant_id = '*' AND job = 'reconcile'
                                                    ORDER BY batch_id DESC LIMIT 2) m),
          (SELECT n FROM p7_on_merged), 'the two batches repointed every sale once');

-- One bad value is its row's reject, never the batch's error: a 3 kB indexed value
-- (btree limit, 54000), an amount of 16,384 digits (the cast's 22003), a leap second;
-- as the application role. The raw rows are kept in a table to be resent unchanged.
CREATE FUNCTION pg_temp.noise(n int) RETURNS text LANGUAGE sql VOLATILE
AS $$ SELECT left(string_agg(md5(random()::text), ''), n) FROM generate_series(1, n / 32 + 1) $$;
CREATE TEMP TABLE p9_rows AS SELECT jsonb_build_array(
    jsonb_build_object('shop_id', 's', 'external_id', '1', 'created_at', '2024-01-01', 'status', pg_temp.noise(3000)),
    jsonb_build_object('shop_id', 's', 'external_id', '2', 'created_at', '2024-01-01', 'amount', repeat('9', 16384)),
    jsonb_build_object('shop_id', 's', 'external_id', '3', 'created_at', '2024-01-01', 'amount', '0.' || repeat('9', 16384)),
    jsonb_build_object('shop_id', 's', 'external_id', '4', 'created_at', '2016-12-31T23:59:60Z'),
    jsonb_build_object('shop_id', pg_temp.noise(3000), 'external_id', '5', 'created_at', '2024-01-01'),
    jsonb_build_object('shop_id', 's', 'gateway', pg_temp.noise(300), 'external_id', pg_temp.noise(1100), 'created_at', '2024-01-01'),
    jsonb_build_object('shop_id', 's', 'external_id', '7', 'created_at', '2024-01-01', 'product_id', pg_temp.noise(1100)),
    jsonb_build_object('shop_id', 's', 'external_id', '8', 'created_at', '1899-12-31T23:59:59Z'),
    jsonb_build_object('shop_id', 's', 'external_id', '9', 'created_at', '2024-01-01', 'amount', 'NaN'),
    jsonb_build_object('shop_id', 's', 'external_id', '10', 'created_at', '2024-01-01', 'amount', '999999999999.995'),
    jsonb_build_object('shop_id', 's', 'external_id', '11', 'created_at', '2024-01-01', 'status', 'paid')) AS r;
GRANT SELECT ON p9_rows TO omni_identity_app;
SELECT tests.act_as('omni_identity_app', 'p9');
SELECT results_eq($$ SELECT * FROM omni_identity.ingest_sales('p9', (SELECT r FROM p9_rows)) $$,
    $$ VALUES (2, 0, 9, 0, 0) $$, 'bad values: nine rejects, two rows kept, no error');
SELECT results_eq($$ SELECT row_no, btrim(regexp_replace(reason, '[:(].*$', ''))
                      FROM omni_identity.sales_rejects WHERE tenant_id = 'p9' ORDER BY row_no $$,
    $$ VALUES (1, 'status is longer than 256 bytes'), (2, 'amount is out of range for numeric'),
              (4, 'created_at is not a valid date-time'), (5, 'shop_id is longer than 512 bytes'),
              (6, 'gateway is longer than 256 bytes'), (7, 'product_id is longer than 1024 bytes'),
              (8, 'created_at is out of range'), (9, 'amount is not a number'),
              (10, 'amount is out of range for numeric') $$,
    'bad values: each reject says which column and why');
SELECT is((SELECT amount FROM public.omni_sales WHERE tenant_id = 'p9' AND external_id = '3'), 1.00::numeric(14,2),
          '16,384 decimals: read to the cent, no error');
SELECT results_eq($$ SELECT * FROM omni_identity.ingest_sales('p9', (SELECT r FROM p9_rows)) $$,
    $$ VALUES (0, 0, 9, 0, 0) $$, 'resend: the same counts, nothing written');
SELECT is((SELECT count(*)::int FROM omni_identity.sales_rejects WHERE tenant_id = 'p9'), 9, 'resend: no reject stored twice');
SELECT results_eq($$ SELECT rows_in, rows_written, rows_unchanged, rows_rejected, rejects_known
                      FROM omni_identity.batch_metrics WHERE tenant_id = 'p9' ORDER BY batch_id $$,
    $$ VALUES (11, 2, 0, 9, 0), (11, 0, 2, 9, 9) $$, 'batch_metrics: unchanged rows and known rejects of the resend');
RESET ROLE;
SELECT set_config('app.current_tenant_id', '', true);
SELECT has_column('omni_identity', 'sales_rejects', 'raw_sha256', 'sales_rejects.raw_sha256 (identity of a reject)');
SELECT has_column('omni_identity', 'batch_metrics', 'rows_unchanged', 'batch_metrics.rows_unchanged');
SELECT has_column('omni_identity', 'batch_metrics', 'rejects_known', 'batch_metrics.rejects_known');
SELECT index_is_unique('omni_identity', 'sales_rejects', 'sales_rejects_raw_sha256_key', 'one reject per tenant and raw row');
SELECT is((SELECT count(*)::int FROM omni_identity.sales_rejects WHERE tenant_id = 'p9'
              AND raw_sha256 = sha256(convert_to(raw::text, 'UTF8'))), 9, 'raw_sha256 is the SHA-256 of the raw row''s text');
SELECT throws_ok($$ SELECT * FROM omni_identity.ingest_sales(repeat('t', 257), '[]') $$, 'OI003', NULL,
                 'a tenant id over 256 bytes is the package''s error, not 54000');

-- The parsers alone.
SELECT is(omni_identity.parse_sale_timestamp('2016-12-31T23:59:60Z'), NULL, 'leap second: not a date-time (not the next day)');
SELECT is(omni_identity.parse_sale_timestamp('2024-05-01T24:00:00Z'), NULL, '24:00: not a date-time (not the next day)');
SELECT is(omni_identity.parse_sale_timestamp('2024-05-01T23:59:59.5Z'), '2024-05-01 23:59:59.5+00'::timestamptz, 'the last instant of a day');
SELECT is(omni_identity.parse_sale_amount('0.' || repeat('9', 16384)), 1.00, 'amount: 16,384 decimals round without error');
SELECT is(omni_identity.parse_sale_amount(repeat('9', 200000)), 1e13, 'amount: 200,000 integer digits come back as 10^13');
SELECT is(omni_identity.parse_sale_amount('-1,235'), -1.24, 'amount: decimal comma, half away from zero');
SELECT is(omni_identity.parse_sale_amount('Infinity'), NULL, 'amount: Infinity is not a numeral');

-- Connected components (stage pipeline_components) on hand-made graphs: a chain, a star
-- whose centre is not its smallest node, two components, a singleton (a node without
-- edges) and a zig-zag that needs several rounds; every node's root is the smallest node
-- of its component.
TRUNCATE pg_temp.oi_cl_edge, pg_temp.oi_cl_comp;
INSERT INTO pg_temp.oi_cl_edge (a, b) VALUES
    (2, 1), (3, 2), (4, 3), (5, 4),                      -- chain 1-2-3-4-5
    (11, 10), (12, 10), (13, 10), (14, 10), (10, 6),     -- star around 10, plus 6
    (22, 20), (24, 22), (23, 21),                        -- {20, 22, 24} and {21, 23}
    (45, 41), (45, 42), (44, 42), (44, 43), (43, 40);    -- zig-zag 40..45
INSERT INTO pg_temp.oi_cl_comp (node, root)
SELECT n, n FROM unnest(ARRAY[1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24, 30,
                              40, 41, 42, 43, 44, 45]) AS n;
SELECT cmp_ok(omni_identity.pipeline_components(), '>', 0, 'components: converges in some rounds');
SELECT results_eq($$ SELECT node, root FROM pg_temp.oi_cl_comp ORDER BY node $$,
    $$ VALUES (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 6), (10, 6), (11, 6), (12, 6), (13, 6), (14, 6),
              (20, 20), (21, 21), (22, 20), (23, 21), (24, 20), (30, 30),
              (40, 40), (41, 40), (42, 40), (43, 40), (44, 40), (45, 40) $$,
    'components: every node''s root is the smallest node of its component');
SELECT is((SELECT count(*)::int FROM pg_temp.oi_cl_edge e JOIN pg_temp.oi_cl_comp c ON c.node = e.a
            WHERE e.b <> c.root), 0, 'components: the edges left are stars (node, root)');
TRUNCATE pg_temp.oi_cl_edge, pg_temp.oi_cl_comp;
INSERT INTO pg_temp.oi_cl_comp (node, root) VALUES (7, 7);
SELECT results_eq($$ SELECT omni_identity.pipeline_components(), (SELECT root FROM pg_temp.oi_cl_comp) $$,
    $$ VALUES (0, 7) $$, 'components: no edges, no rounds, a singleton is its own root');

-- A session whose work tables predate row_ctid gets the column on its next batch.
DROP TABLE pg_temp.oi_cluster_in, pg_temp.oi_cl_sale;
CREATE TEMP TABLE oi_cluster_in (
    tenant_id text NOT NULL, sale_id bigint NOT NULL, seen_at timestamptz NOT NULL,
    buyer_email text, buyer_phone text, buyer_document text, buyer_name text) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE oi_cl_sale (
    node integer NOT NULL, tenant_id text NOT NULL, sale_id bigint NOT NULL,
    seen_at timestamptz NOT NULL, email text, phone text, document text, name text,
    survivor uuid) ON COMMIT DELETE ROWS;
SELECT results_eq($$ SELECT inserted, clustered FROM pg_temp.ing('p8', '[{"shop_id": "s", "external_id": "1", "created_at": "2024-01-01", "buyer_email": "gil@v.com"}]') $$,
    $$ VALUES (1, 1) $$, 'old work tables: the batch runs');
SELECT isnt(pg_temp.hash_of('p8', '1'), NULL, 'old work tables: the sale is clustered');

-- The sale columns: one list, read from the catalog; the CSV staging table has exactly them.
SELECT results_eq($$ SELECT column_name FROM omni_identity.sale_columns() WHERE required ORDER BY 1 $$,
    $$ VALUES ('created_at'), ('external_id'), ('shop_id') $$, 'sale_columns: the required ones');
SELECT omni_identity.copied_sales_table();
SELECT set_eq($$ SELECT column_name FROM omni_identity.sale_columns() $$,
    $$ SELECT a.attname::text FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = 'pg_temp.oi_copied_sales'::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname NOT IN ('row_no', 'reject_reason') $$,
    'sale_columns: the columns of the CSV staging table');

SELECT * FROM finish();
ROLLBACK;
