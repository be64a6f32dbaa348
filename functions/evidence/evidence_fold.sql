-- Fold a tenant's evidence log (design §9.1): move its resolve_evidence_log rows into
-- key_evidence / key_pairs. Evidence is those tables plus the rows not yet folded; every
-- reader that decides from evidence (block_identifier, forget_identifier, forget_customer,
-- the blocklist sweep and the split) folds first, and reconcile folds every tenant with
-- log rows. The fold is commutative (sums, min/max, the greatest (seen_at, name)), so
-- when and in which order rows are folded never changes the result.
--   1. locks: the tenant lock (L1) exclusive, its reconcile lock (R), then its evidence
--      lock (L0) exclusive — order L1 → R → L0 (design §5); each is re-entrant, so a
--      caller that already holds them (block, forget, the split) takes nothing new but L0;
--   2. the rows leave the log (DELETE ... RETURNING) and become the inputs of the batch
--      core's evidence stage: pg_temp.oi_cl_sale (sale_id NULL: no sale showed them),
--      oi_cl_occ (their keys minus those removed by now: removed_keys — a value blocked
--      or forgotten after its call was logged is never recorded), oi_cl_key;
--   3. pipeline_evidence: the one home of the aggregation and upsert rule; then
--      pipeline_generic: the folded keys whose counters now cross generic_threshold
--      (SPEC §12) lose their key rows, their clusters are queued for a split, and they
--      leave the folded occurrences (so step 4 never merges through them) — the fold is
--      where crossings caused by logged resolve calls are detected;
--   4. a folded pair whose two ends are keys of two different live clusters (possible
--      only if a writer bypassed the locks) merges them, into the oldest, as resolve
--      does: the partition stays a function of the evidence.
-- Returns the log rows folded.
CREATE OR REPLACE FUNCTION omni_identity.evidence_fold(p_tenant_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_rows    integer;
    v_types   text[];
    v_values  text[];
    v_loser   uuid;
    v_keep    uuid;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    PERFORM omni_identity.tenant_lock_exclusive(p_tenant_id, interval '5 seconds');
    PERFORM omni_identity.reconcile_lock(p_tenant_id);
    PERFORM omni_identity.evidence_lock_exclusive(p_tenant_id, interval '5 seconds');

    PERFORM omni_identity.pipeline_temp_tables();
    TRUNCATE pg_temp.oi_cl_sale, pg_temp.oi_cl_occ, pg_temp.oi_cl_key, pg_temp.oi_cl_removed;

    WITH d AS (
        DELETE FROM omni_identity.resolve_evidence_log l
         WHERE l.tenant_id = p_tenant_id
        RETURNING l.email, l.phone, l.document, l.name, l.seen_at
    )
    INSERT INTO pg_temp.oi_cl_sale (node, tenant_id, sale_id, seen_at, email, phone, document, name, evidence)
    SELECT (row_number() OVER ())::integer, p_tenant_id, NULL, d.seen_at, d.email, d.phone, d.document, d.name, true
      FROM d;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    IF v_rows = 0 THEN
        RETURN 0;
    END IF;

    -- Removed keys, once per distinct key (removed_keys: the one home of the rule).
    SELECT coalesce(array_agg(k.t), '{}'), coalesce(array_agg(k.v), '{}') INTO v_types, v_values
      FROM (SELECT DISTINCT u.t, u.v
              FROM pg_temp.oi_cl_sale s
             CROSS JOIN LATERAL (VALUES ('email', s.email), ('phone', s.phone), ('document', s.document)) AS u(t, v)
             WHERE u.v IS NOT NULL) k;
    INSERT INTO pg_temp.oi_cl_removed (tenant_id, key_type, key_value, forgotten)
    SELECT DISTINCT p_tenant_id, r.key_type, r.key_value, r.forgotten
      FROM omni_identity.removed_keys(p_tenant_id, v_types, v_values) r;

    INSERT INTO pg_temp.oi_cl_occ (node, key_type, key_value, min_node)
    SELECT s.node, u.t, u.v, s.node
      FROM pg_temp.oi_cl_sale s
     CROSS JOIN LATERAL (VALUES ('email', s.email), ('phone', s.phone), ('document', s.document)) AS u(t, v)
     WHERE u.v IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_temp.oi_cl_removed r WHERE r.key_type = u.t AND r.key_value = u.v);
    INSERT INTO pg_temp.oi_cl_key (tenant_id, key_type, key_value, min_node)
    SELECT p_tenant_id, o.key_type, o.key_value, min(o.node)
      FROM pg_temp.oi_cl_occ o
     GROUP BY o.key_type, o.key_value;
    ANALYZE pg_temp.oi_cl_sale, pg_temp.oi_cl_occ;

    PERFORM omni_identity.pipeline_evidence();
    PERFORM omni_identity.pipeline_generic();

    -- 4. Pairs across two live clusters: merge the younger into the older, one pair at a
    -- time (each merge moves keys, so the next pair is read afresh); none in a consistent
    -- database.
    LOOP
        SELECT CASE WHEN (ca.created_at, ca.cluster_id) < (cb.created_at, cb.cluster_id) THEN cb.cluster_id ELSE ca.cluster_id END
             , CASE WHEN (ca.created_at, ca.cluster_id) < (cb.created_at, cb.cluster_id) THEN ca.cluster_id ELSE cb.cluster_id END
          INTO v_loser, v_keep
          FROM (SELECT DISTINCT x.key_type AS at, x.key_value AS av, y.key_type AS bt, y.key_value AS bv
                  FROM pg_temp.oi_cl_occ x
                  JOIN pg_temp.oi_cl_occ y ON y.node = x.node AND x.key_type < y.key_type) p
          JOIN omni_identity.customer_cluster_keys ka
            ON ka.tenant_id = p_tenant_id AND ka.key_type = p.at AND ka.key_value = p.av
          JOIN omni_identity.customer_cluster_keys kb
            ON kb.tenant_id = p_tenant_id AND kb.key_type = p.bt AND kb.key_value = p.bv
          JOIN omni_identity.customer_cluster ca ON ca.tenant_id = p_tenant_id AND ca.cluster_id = ka.cluster_id
          JOIN omni_identity.customer_cluster cb ON cb.tenant_id = p_tenant_id AND cb.cluster_id = kb.cluster_id
         WHERE ka.cluster_id <> kb.cluster_id
         LIMIT 1;
        EXIT WHEN v_loser IS NULL;
        PERFORM omni_identity.merge_clusters(p_tenant_id, ARRAY[v_loser], ARRAY[v_keep]);
        v_loser := NULL;
    END LOOP;

    TRUNCATE pg_temp.oi_cl_sale, pg_temp.oi_cl_occ, pg_temp.oi_cl_key, pg_temp.oi_cl_removed;
    RETURN v_rows;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.evidence_fold(text)
    IS 'Move a tenant''s resolve_evidence_log rows into key_evidence/key_pairs (pipeline_evidence), dropping removed keys; merges clusters a folded pair joins.';
