-- 20-resolve.sql: resolve_customer_cluster — new/attach/merge, chains, oldest survivor, blocklist, golden record, fast path, errors
BEGIN;
SELECT plan(77);

-- Helpers for this file only (rolled back with it).
CREATE FUNCTION pg_temp.r(p_tenant text, p_email text, p_phone text, p_document text, p_name text, p_at text)
RETURNS uuid LANGUAGE sql VOLATILE
AS $$ SELECT omni_identity.resolve_customer_cluster(p_tenant, p_email, p_phone, p_document, p_name, p_at::timestamptz) $$;
CREATE FUNCTION pg_temp.cl(p_tenant text, p_id uuid)
RETURNS omni_identity.customer_cluster LANGUAGE sql STABLE
AS $$ SELECT c FROM omni_identity.customer_cluster c WHERE c.tenant_id = p_tenant AND c.cluster_id = p_id $$;
CREATE FUNCTION pg_temp.key_owner(p_tenant text, p_type text, p_value text)
RETURNS uuid LANGUAGE sql STABLE
AS $$ SELECT k.cluster_id FROM omni_identity.customer_cluster_keys k
       WHERE k.tenant_id = p_tenant AND k.key_type = p_type AND k.key_value = p_value $$;
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid);

-- No key → NULL, nothing written.
SELECT is(pg_temp.r('t1', NULL, NULL, NULL, 'Ana', '2024-01-01'), NULL, 'no identifier at all → NULL');
SELECT is(pg_temp.r('t1', 'not an e-mail', '12', 'abc', 'Ana', '2024-01-01'), NULL, 'only invalid identifiers → NULL');
SELECT is(pg_temp.r('t1', '', '   ', E'\t', NULL, '2024-01-01'), NULL, 'blank identifiers → NULL');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster WHERE tenant_id = 't1'), 0::bigint,
          'calls without keys create no cluster');

-- New cluster.
INSERT INTO ids VALUES ('a', pg_temp.r('t1', ' Ana@Example.org ', NULL, NULL, '  Ana   Maria ', '2024-01-01'));
SELECT isnt((SELECT id FROM ids WHERE name = 'a'), NULL, 'a new e-mail creates a cluster');
SELECT is(pg_temp.key_owner('t1', 'email', 'ana@example.org'), (SELECT id FROM ids WHERE name = 'a'),
          'the normalized e-mail key points at it');
SELECT is((pg_temp.cl('t1', (SELECT id FROM ids WHERE name = 'a'))).last_buyer_name, 'Ana Maria',
          'golden name is trimmed with inner white space collapsed');
SELECT is((pg_temp.cl('t1', (SELECT id FROM ids WHERE name = 'a'))).last_buyer_email_at, '2024-01-01'::timestamptz,
          'golden e-mail carries its seen_at');

-- Attach to one.
SELECT is(pg_temp.r('t1', 'ana@example.org', '(11) 98765-4321', NULL, NULL, '2024-01-02'),
          (SELECT id FROM ids WHERE name = 'a'), 'known e-mail + new phone → the same cluster');
SELECT is(pg_temp.key_owner('t1', 'phone', '+5511987654321'), (SELECT id FROM ids WHERE name = 'a'),
          'the new phone key is attached (E.164)');
SELECT is(pg_temp.r('t1', NULL, '+55 11 98765 4321', NULL, NULL, '2024-01-03'),
          (SELECT id FROM ids WHERE name = 'a'), 'another surface form of the phone finds it');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster WHERE tenant_id = 't1'), 1::bigint,
          'attaching creates no cluster');

-- Merge of two: the oldest survives.
INSERT INTO ids VALUES ('b', pg_temp.r('t1', NULL, NULL, '111.444.777-35', 'Bia', '2024-02-01'));
SELECT isnt((SELECT id FROM ids WHERE name = 'b'), (SELECT id FROM ids WHERE name = 'a'), 'a new document: its own cluster');
-- Give b an older created_at than a, so the survivor cannot be the one named first.
-- (A constant: Citus refuses a STABLE expression over a column in an UPDATE.)
UPDATE omni_identity.customer_cluster SET created_at = '2000-01-01'
 WHERE tenant_id = 't1' AND cluster_id = (SELECT id FROM ids WHERE name = 'b');
INSERT INTO ids VALUES ('ab', pg_temp.r('t1', 'ana@example.org', NULL, '11144477735', NULL, '2024-01-15'));
SELECT is((SELECT id FROM ids WHERE name = 'ab'), (SELECT id FROM ids WHERE name = 'b'),
          'merge of two: the oldest (created_at) survives, whatever the argument order');
SELECT is((pg_temp.cl('t1', (SELECT id FROM ids WHERE name = 'a'))).merged_into, (SELECT id FROM ids WHERE name = 'b'),
          'the loser points at the survivor');
SELECT is(pg_temp.key_owner('t1', 'email', 'ana@example.org'), (SELECT id FROM ids WHERE name = 'b'), 'loser e-mail key moved');
SELECT is(pg_temp.key_owner('t1', 'phone', '+5511987654321'), (SELECT id FROM ids WHERE name = 'b'), 'loser phone key moved');
SELECT results_eq(
    $$ SELECT from_cluster, into_cluster FROM omni_identity.customer_cluster_merges WHERE tenant_id = 't1' $$,
    $$ SELECT (SELECT id FROM ids WHERE name = 'a'), (SELECT id FROM ids WHERE name = 'b') $$,
    'one merge row for the loser');
SELECT is(omni_identity.current_cluster('t1', (SELECT id FROM ids WHERE name = 'a')), (SELECT id FROM ids WHERE name = 'b'),
          'current_cluster follows merged_into');
SELECT is(omni_identity.current_cluster('t1', (SELECT id FROM ids WHERE name = 'b')), (SELECT id FROM ids WHERE name = 'b'),
          'current_cluster of a live cluster is itself');
SELECT is(omni_identity.current_cluster('t1', gen_random_uuid()), NULL, 'current_cluster of an unknown id is NULL');
-- Golden record combined: e-mail from a (2024-01-15 from the merging call), name from b (2024-02-01 > 2024-01-01).
SELECT is((pg_temp.cl('t1', (SELECT id FROM ids WHERE name = 'b'))).last_buyer_name, 'Bia', 'merged golden name: greatest seen_at');
SELECT is((pg_temp.cl('t1', (SELECT id FROM ids WHERE name = 'b'))).last_buyer_email_at, '2024-01-15'::timestamptz,
          'merged golden e-mail: greatest seen_at');
SELECT is((pg_temp.cl('t1', (SELECT id FROM ids WHERE name = 'b'))).last_buyer_phone, '+5511987654321', 'merged golden phone');
SELECT is((pg_temp.cl('t1', (SELECT id FROM ids WHERE name = 'b'))).last_buyer_phone_at, '2024-01-03'::timestamptz,
          'merged golden phone keeps its seen_at');

-- Merge of three, and a chain repointed on a second merge.
INSERT INTO ids VALUES ('x', pg_temp.r('t2', 'x@x.com', NULL, NULL, NULL, '2024-01-01'));
INSERT INTO ids VALUES ('y', pg_temp.r('t2', 'y@y.com', NULL, NULL, NULL, '2024-01-01'));
INSERT INTO ids VALUES ('z', pg_temp.r('t2', NULL, '(21) 3456-7890', NULL, NULL, '2024-01-01'));
INSERT INTO ids VALUES ('w', pg_temp.r('t2', NULL, NULL, '529.982.247-25', NULL, '2024-01-01'));
-- y and z merge: y (older) survives, z → y.
SELECT is(pg_temp.r('t2', 'y@y.com', '(21) 3456-7890', NULL, NULL, '2024-01-02'), (SELECT id FROM ids WHERE name = 'y'),
          'y and z merge into y (older)');
-- x, y, w merge in one call: x survives; y and w → x, and z (pointing at y) is repointed at x.
SELECT is(pg_temp.r('t2', 'y@y.com', '21 3456 7890', '52998224725', NULL, '2024-01-03'), (SELECT id FROM ids WHERE name = 'y'),
          'y and w merge into y');
SELECT is(pg_temp.r('t2', 'x@x.com', '(21) 3456-7890', NULL, NULL, '2024-01-04'), (SELECT id FROM ids WHERE name = 'x'),
          'x and y merge into x (oldest)');
SELECT is((pg_temp.cl('t2', (SELECT id FROM ids WHERE name = 'z'))).merged_into, (SELECT id FROM ids WHERE name = 'x'),
          'chain repointed: z, merged into y earlier, now points at x');
SELECT is((pg_temp.cl('t2', (SELECT id FROM ids WHERE name = 'w'))).merged_into, (SELECT id FROM ids WHERE name = 'x'),
          'chain repointed: w now points at x');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster WHERE tenant_id = 't2' AND merged_into IS NULL), 1::bigint,
          'one live cluster left');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_merges WHERE tenant_id = 't2'), 3::bigint,
          'one merge row per merged-away cluster');
-- Three live clusters merged by one call.
INSERT INTO ids VALUES ('p', pg_temp.r('t3', 'p@p.com', NULL, NULL, 'P', '2024-03-01'));
INSERT INTO ids VALUES ('q', pg_temp.r('t3', NULL, '(31) 98888-1234', NULL, 'Q', '2024-03-03'));
INSERT INTO ids VALUES ('s', pg_temp.r('t3', NULL, NULL, '11.222.333/0001-81', 'S', '2024-03-02'));
SELECT is(pg_temp.r('t3', 'P@P.COM', '31988881234', '11222333000181', NULL, '2024-02-01'), (SELECT id FROM ids WHERE name = 'p'),
          'merge of three: the oldest survives');
SELECT results_eq(
    $$ SELECT from_cluster FROM omni_identity.customer_cluster_merges WHERE tenant_id = 't3' ORDER BY 1 $$,
    $$ SELECT id FROM ids WHERE name IN ('q', 's') ORDER BY 1 $$,
    'merge of three: one merge row per loser');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE tenant_id = 't3'
            AND cluster_id = (SELECT id FROM ids WHERE name = 'p')), 3::bigint, 'all three keys on the survivor');
SELECT is((pg_temp.cl('t3', (SELECT id FROM ids WHERE name = 'p'))).last_buyer_name, 'Q', 'merge of three: latest name wins');
SELECT is((pg_temp.cl('t3', (SELECT id FROM ids WHERE name = 'p'))).last_buyer_document, '11222333000181',
          'merge of three: document golden value normalized');

-- Blocked values: never a key, never a link.
SELECT is(pg_temp.r('t4', 'teste@teste.com', NULL, NULL, 'X', '2024-01-01'), NULL, 'a blocked e-mail alone → NULL');
SELECT is(pg_temp.r('t4', 'anyone@example.com', NULL, NULL, NULL, '2024-01-01'), NULL, 'a regex-blocked e-mail → NULL');
SELECT is(pg_temp.r('t4', NULL, '(11) 99999-9999', NULL, NULL, '2024-01-01'), NULL, 'a phone with all-equal subscriber digits → NULL');
SELECT is(pg_temp.r('t4', NULL, NULL, '123.456.789-09', NULL, '2024-01-01'), NULL, 'the placeholder CPF → NULL');
INSERT INTO ids VALUES ('b1', pg_temp.r('t4', 'Teste@Teste.com', '(11) 97777-1111', NULL, NULL, '2024-01-01'));
INSERT INTO ids VALUES ('b2', pg_temp.r('t4', 'teste@teste.com', '(11) 97777-2222', '123.456.789-09', NULL, '2024-01-01'));
SELECT isnt((SELECT id FROM ids WHERE name = 'b1'), (SELECT id FROM ids WHERE name = 'b2'),
            'a blocked value shared by two buyers never links their clusters');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_keys WHERE tenant_id = 't4'
            AND key_value IN ('teste@teste.com', '12345678909')), 0::bigint, 'blocked values are never stored as keys');
SELECT is((pg_temp.cl('t4', (SELECT id FROM ids WHERE name = 'b1'))).last_buyer_email, NULL,
          'a blocked value never reaches the golden record');
-- The tenant's own rows (exact and regex) apply to that tenant only.
INSERT INTO omni_identity.key_blocklist (tenant_id, key_type, value_pattern, is_regex) VALUES
    ('t4', 'email', 'loja@minhaloja.com', false),
    ('t4', 'phone', '^\+551130000000$', true);
SELECT is(pg_temp.r('t4', 'loja@minhaloja.com', NULL, NULL, NULL, '2024-01-01'), NULL, 'a tenant exact row blocks for its tenant');
SELECT is(pg_temp.r('t4', NULL, '(11) 3000-0000', NULL, NULL, '2024-01-01'), NULL, 'a tenant regex row blocks for its tenant');
SELECT isnt(pg_temp.r('t5', 'loja@minhaloja.com', NULL, NULL, NULL, '2024-01-01'), NULL, 'another tenant is not affected');
SELECT ok(pg_temp.r('t5', 'nao@tem.com', NULL, NULL, NULL, '2024-01-01') IS NULL
          AND pg_temp.r('t5', 'nao@tem.com.br', NULL, NULL, NULL, '2024-01-01') IS NOT NULL,
          'global exact rows block, and exact means exact');
-- Invalid values do not stop the valid ones.
INSERT INTO ids VALUES ('i', pg_temp.r('t4', 'broken@', '(11) 97777-3333', '111.111.111-11', NULL, '2024-01-01'));
SELECT is((SELECT array_agg(key_type ORDER BY key_type) FROM omni_identity.customer_cluster_keys
            WHERE tenant_id = 't4' AND cluster_id = (SELECT id FROM ids WHERE name = 'i')), ARRAY['phone'],
          'invalid e-mail and document dropped, the valid phone kept');

-- Golden record with out-of-order seen_at.
INSERT INTO ids VALUES ('g', pg_temp.r('t6', 'late@x.com', NULL, NULL, 'Late Name', '2024-06-01'));
SELECT is(pg_temp.r('t6', 'late@x.com', NULL, NULL, 'Early Name', '2024-01-01'), (SELECT id FROM ids WHERE name = 'g'), 'same cluster');
SELECT is((pg_temp.cl('t6', (SELECT id FROM ids WHERE name = 'g'))).last_buyer_name, 'Late Name',
          'an earlier seen_at arriving later does not replace the golden name');
SELECT is(pg_temp.r('t6', 'late@x.com', '(11) 97777-4444', NULL, NULL, '2024-03-01'), (SELECT id FROM ids WHERE name = 'g'),
          'phone attached');
SELECT is(pg_temp.r('t6', 'late@x.com', '(11) 97777-5555', NULL, NULL, '2024-02-01'), (SELECT id FROM ids WHERE name = 'g'),
          'older phone attached');
SELECT is((pg_temp.cl('t6', (SELECT id FROM ids WHERE name = 'g'))).last_buyer_phone, '+5511977774444',
          'golden phone: the one with the greatest seen_at, not the last to arrive');
SELECT is((pg_temp.cl('t6', (SELECT id FROM ids WHERE name = 'g'))).last_buyer_email_at, '2024-06-01'::timestamptz,
          'golden e-mail keeps the greatest seen_at');
SELECT pg_temp.r('t6', 'late@x.com', NULL, NULL, 'Zeta', '2024-06-01');
SELECT pg_temp.r('t6', 'late@x.com', NULL, NULL, 'Alpha', '2024-06-01');
SELECT is((pg_temp.cl('t6', (SELECT id FROM ids WHERE name = 'g'))).last_buyer_name, 'Zeta',
          'equal seen_at: the greater value wins (code point order)');
-- The order itself, once (golden_rank over golden_value): code points whatever the
-- database's collation, seen_at first; a NULL candidate never wins, any beats a NULL.
SELECT is((SELECT c.collname::text FROM pg_catalog.pg_attribute a
             JOIN pg_catalog.pg_collation c ON c.oid = a.attcollation
            WHERE a.attrelid = 'omni_identity.golden_value'::regclass AND a.attname = 'value'),
          'C', 'golden_value compares values by code point (COLLATE "C")');
SELECT ok(omni_identity.golden_wins('2024-01-01', 'a', '2024-01-01', 'B')
          AND NOT omni_identity.golden_wins('2024-01-01', 'B', '2024-01-01', 'a')
          AND omni_identity.golden_wins('2024-01-02', 'A', '2024-01-01', 'z')
          AND NOT omni_identity.golden_wins('2024-01-01', 'a', '2024-01-01', 'a')
          AND NOT omni_identity.golden_wins('2024-01-02', NULL, '2024-01-01', 'a')
          AND omni_identity.golden_wins('2024-01-01', 'a', NULL, NULL),
          'golden_wins: seen_at first, then code points; a NULL candidate never wins, any beats a NULL');

-- Fast path: a returning buyer whose golden record would not change writes nothing but its
-- evidence: one row of the evidence log (design §9.1: every input is evidence).
CREATE TEMP TABLE writes_before AS
    SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) AS n FROM pg_stat_xact_user_tables
     WHERE schemaname = 'omni_identity' AND relname <> 'resolve_evidence_log';
SELECT is(pg_temp.r('t6', ' LATE@x.com', '11977774444', NULL, 'Early Name', '2024-01-01'), (SELECT id FROM ids WHERE name = 'g'),
          'returning buyer → its cluster');
SELECT is((SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_xact_user_tables
             WHERE schemaname = 'omni_identity' AND relname <> 'resolve_evidence_log'),
          (SELECT n FROM writes_before), 'the fast path wrote no row but evidence');

-- Errors: the tenant is checked first; junk never raises.
SELECT throws_ok($$ SELECT omni_identity.resolve_customer_cluster(NULL, 'a@b.co') $$, 'OI001', NULL, 'NULL tenant → OI001');
SELECT throws_ok($$ SELECT omni_identity.resolve_customer_cluster('', 'a@b.co') $$, 'OI001', NULL, 'empty tenant → OI001');
SELECT throws_ok($$ SELECT omni_identity.current_cluster('', gen_random_uuid()) $$, 'OI001', NULL, 'current_cluster: empty tenant → OI001');
SELECT lives_ok($$ SELECT omni_identity.resolve_customer_cluster('t7', repeat('a', 5000) || '@' || repeat('b', 5000) || '.com',
                    repeat('9', 3000), repeat('1', 3000), repeat('x', 10000), NULL) $$, 'oversized junk does not raise');

-- merge_clusters directly, set-based: two groups in one call, and a chain repointed.
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, last_buyer_email, last_buyer_email_at, created_at)
VALUES ('t10', '00000000-0000-0000-0000-00000000000a', 'a@a.com', '2024-01-05', '2020-01-01'),
       ('t10', '00000000-0000-0000-0000-00000000000b', 'b@b.com', '2024-01-09', '2020-01-02'),
       ('t10', '00000000-0000-0000-0000-00000000000c', 'c@c.com', '2024-01-01', '2020-01-03'),
       ('t10', '00000000-0000-0000-0000-00000000000d', 'd@d.com', '2024-01-01', '2020-01-04'),
       ('t10', '00000000-0000-0000-0000-00000000000e', 'e@e.com', '2024-01-07', '2020-01-05');
INSERT INTO omni_identity.customer_cluster (tenant_id, cluster_id, merged_into, created_at)
VALUES ('t10', '00000000-0000-0000-0000-0000000000ff', '00000000-0000-0000-0000-00000000000e', '2020-01-06');
INSERT INTO omni_identity.customer_cluster_merges (tenant_id, from_cluster, into_cluster)
VALUES ('t10', '00000000-0000-0000-0000-0000000000ff', '00000000-0000-0000-0000-00000000000e');
INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
SELECT 't10', 'email', v, ('00000000-0000-0000-0000-00000000000' || left(v, 1))::uuid
  FROM unnest(ARRAY['a@a.com', 'b@b.com', 'c@c.com', 'd@d.com', 'e@e.com']) AS v;
SELECT is(omni_identity.merge_clusters('t10',
            ARRAY['00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000e',
                  '00000000-0000-0000-0000-00000000000d']::uuid[],
            ARRAY['00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000a',
                  '00000000-0000-0000-0000-00000000000c']::uuid[]), 3, 'merge_clusters: three merges in one call');
SELECT results_eq(
    $$ SELECT cluster_id::text, merged_into::text FROM omni_identity.customer_cluster WHERE tenant_id = 't10' ORDER BY 1 $$,
    $$ VALUES ('00000000-0000-0000-0000-00000000000a', NULL),
              ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000a'),
              ('00000000-0000-0000-0000-00000000000c', NULL),
              ('00000000-0000-0000-0000-00000000000d', '00000000-0000-0000-0000-00000000000c'),
              ('00000000-0000-0000-0000-00000000000e', '00000000-0000-0000-0000-00000000000a'),
              ('00000000-0000-0000-0000-0000000000ff', '00000000-0000-0000-0000-00000000000a') $$,
    'merge_clusters: losers point at their survivor, the cluster that pointed at a loser is repointed');
SELECT results_eq(
    $$ SELECT key_value, cluster_id::text FROM omni_identity.customer_cluster_keys WHERE tenant_id = 't10' ORDER BY 1 $$,
    $$ VALUES ('a@a.com', '00000000-0000-0000-0000-00000000000a'), ('b@b.com', '00000000-0000-0000-0000-00000000000a'),
              ('c@c.com', '00000000-0000-0000-0000-00000000000c'), ('d@d.com', '00000000-0000-0000-0000-00000000000c'),
              ('e@e.com', '00000000-0000-0000-0000-00000000000a') $$,
    'merge_clusters: keys moved to each survivor');
SELECT results_eq(
    $$ SELECT last_buyer_email, last_buyer_email_at FROM omni_identity.customer_cluster
        WHERE tenant_id = 't10' AND merged_into IS NULL ORDER BY cluster_id $$,
    $$ VALUES ('b@b.com', '2024-01-09'::timestamptz), ('d@d.com', '2024-01-01'::timestamptz) $$,
    'merge_clusters: golden records per group (greatest seen_at; ties by value)');
SELECT throws_ok($$ SELECT omni_identity.merge_clusters('t10', ARRAY[gen_random_uuid()], ARRAY[]::uuid[]) $$, 'OI020', NULL,
                 'merge_clusters: arrays of different lengths → OI020');

-- As the application role under RLS: create, attach and merge work for the session tenant.
SELECT tests.act_as('omni_identity_app', 't8');
SELECT isnt(omni_identity.resolve_customer_cluster('t8', 'app1@x.com'), NULL, 'app role: new cluster');
SELECT isnt(omni_identity.resolve_customer_cluster('t8', NULL, '(11) 97777-8888'), NULL, 'app role: another cluster');
SELECT is(omni_identity.resolve_customer_cluster('t8', 'app1@x.com', '(11) 97777-8888', NULL, 'App', now()),
          omni_identity.resolve_customer_cluster('t8', 'app1@x.com'), 'app role: merge');
SELECT is((SELECT count(*) FROM omni_identity.customer_cluster_merges), 1::bigint, 'app role: sees its one merge row only');
SELECT throws_ok($$ SELECT omni_identity.resolve_customer_cluster('t9', 'a@b.co') $$, 'OI002', NULL,
                 'app role: another tenant → OI002');
RESET ROLE;

-- Invariants over everything above.
SELECT is_empty($$ SELECT 1 FROM omni_identity.customer_cluster_keys k JOIN omni_identity.customer_cluster c USING (tenant_id, cluster_id)
                   WHERE c.merged_into IS NOT NULL $$, 'every key is on a live cluster');
SELECT is_empty($$ SELECT 1 FROM omni_identity.customer_cluster c JOIN omni_identity.customer_cluster s
                     ON s.tenant_id = c.tenant_id AND s.cluster_id = c.merged_into WHERE s.merged_into IS NOT NULL $$,
                'merge chains are never longer than 1');
SELECT is_empty($$ SELECT 1 FROM omni_identity.customer_cluster c WHERE c.merged_into IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM omni_identity.customer_cluster_merges m
                                    WHERE m.tenant_id = c.tenant_id AND m.from_cluster = c.cluster_id) $$,
                'every merged-away cluster has its merge row');
SELECT * FROM finish();
ROLLBACK;
