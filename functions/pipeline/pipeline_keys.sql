-- Batch core, stage 1 (design §6): the keys of the batch.
--   Input   pg_temp.oi_cluster_in  the sales to cluster, one row each (caller-filled).
--   Output  pg_temp.oi_cl_sale     one row per sale: node 1..n (by tenant, sale id), its
--                                  normalized e-mail, phone, document, golden_name, and
--                                  the ctid the caller gave;
--           pg_temp.oi_cl_key      the distinct keys of the batch that are not removed
--                                  (removed_keys: blocked or forgotten, one call per
--                                  tenant): min_node (their first sale) and cluster_id
--                                  (the live cluster that owns the key; NULL = a new key);
--           pg_temp.oi_cl_occ      (sale, key) pairs of those keys;
--           pg_temp.oi_cl_removed  the batch's keys that were removed (forgotten = a
--                                  tombstone: pipeline_redact_forgotten clears their
--                                  buyer columns).
-- Returns n, the number of sales.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_keys()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_nodes  integer;
    v_tenant text;
    v_types  text[];
    v_values text[];
BEGIN
    TRUNCATE pg_temp.oi_cl_sale, pg_temp.oi_cl_key, pg_temp.oi_cl_occ, pg_temp.oi_cl_removed;

    -- Normalize every identifier once, in one statement.
    INSERT INTO pg_temp.oi_cl_sale
           (node, tenant_id, sale_id, seen_at, email, phone, document, name, row_ctid, evidence)
    SELECT row_number() OVER (ORDER BY i.tenant_id, i.sale_id)::integer,
           i.tenant_id, i.sale_id, i.seen_at,
           omni_identity.normalize_email(i.buyer_email),
           omni_identity.normalize_phone(i.buyer_phone),
           omni_identity.normalize_document(i.buyer_document),
           omni_identity.golden_name(i.buyer_name),
           i.row_ctid, coalesce(i.evidence, true)
      FROM pg_temp.oi_cluster_in i;
    GET DIAGNOSTICS v_nodes = ROW_COUNT;
    IF v_nodes = 0 THEN
        RETURN 0;
    END IF;
    -- Statistics of the columns plans join or filter on only (the text columns would
    -- make it several times slower, see BENCHMARKS.md; their IS NOT NULL filters plan
    -- well on the defaults).
    ANALYZE pg_temp.oi_cl_sale (node, tenant_id, sale_id, seen_at);

    IF NOT omni_identity.citus_active() THEN
        -- Distinct keys of the batch (sale_keys, LATERAL), and the cluster of every known
        -- key found by one primary-key probe per key (a correlated subquery, never a join
        -- the planner could turn into a scan of the tenant's keys).
        INSERT INTO pg_temp.oi_cl_key (tenant_id, key_type, key_value, min_node, cluster_id)
        SELECT g.tenant_id, g.key_type, g.key_value, g.min_node,
               (SELECT ck.cluster_id
                  FROM omni_identity.customer_cluster_keys ck
                 WHERE ck.tenant_id = g.tenant_id AND ck.key_type = g.key_type
                   AND ck.key_value = g.key_value
                 LIMIT 1)
          FROM (SELECT s.tenant_id, k.key_type, k.key_value, min(s.node) AS min_node
                  FROM pg_temp.oi_cl_sale s
                  CROSS JOIN LATERAL omni_identity.sale_keys(s.email, s.phone, s.document) k
                 GROUP BY s.tenant_id, k.key_type, k.key_value) g;
    ELSE
        -- Citus refuses the correlated probe against a temp table: the distinct keys
        -- first, then per tenant the known ones copied in by one statement routed to the
        -- tenant's shard, then a join of temp tables. The statement names the tenant's
        -- keys as arrays (no temp table in it, so Citus sends it whole to the shard) and
        -- probes the primary key once per key (LATERAL, LIMIT 1): a semi-join against the
        -- keys shipped as an intermediate result was planned on a never-analyzed shard as
        -- a scan of the tenant's keys (tests_py/test_tenancy_plans.py on the Citus lab).
        INSERT INTO pg_temp.oi_cl_key (tenant_id, key_type, key_value, min_node)
        SELECT s.tenant_id, k.key_type, k.key_value, min(s.node)
          FROM pg_temp.oi_cl_sale s
          CROSS JOIN LATERAL omni_identity.sale_keys(s.email, s.phone, s.document) k
         GROUP BY s.tenant_id, k.key_type, k.key_value;
        TRUNCATE pg_temp.oi_cl_probe;
        FOR v_tenant, v_types, v_values IN
            SELECT k.tenant_id, array_agg(k.key_type), array_agg(k.key_value)
              FROM pg_temp.oi_cl_key k GROUP BY k.tenant_id ORDER BY 1 LOOP
            INSERT INTO pg_temp.oi_cl_probe (tenant_id, key_type, key_value, cluster_id)
            SELECT v_tenant, u.key_type, u.key_value, c.cluster_id
              FROM unnest(v_types, v_values) AS u(key_type, key_value)
              CROSS JOIN LATERAL (
                    SELECT ck.cluster_id
                      FROM omni_identity.customer_cluster_keys ck
                     WHERE ck.tenant_id = v_tenant AND ck.key_type = u.key_type
                       AND ck.key_value = u.key_value
                     LIMIT 1) c;
        END LOOP;
        UPDATE pg_temp.oi_cl_key k
           SET cluster_id = p.cluster_id
          FROM pg_temp.oi_cl_probe p
         WHERE p.tenant_id = k.tenant_id AND p.key_type = k.key_type AND p.key_value = k.key_value;
    END IF;

    -- Removed keys (blocked or forgotten, design §2) leave the set: removed_keys, the one
    -- statement of the rule, once per tenant over the batch's distinct keys.
    FOR v_tenant IN SELECT DISTINCT k.tenant_id FROM pg_temp.oi_cl_key k ORDER BY 1 LOOP
        INSERT INTO pg_temp.oi_cl_removed (tenant_id, key_type, key_value, forgotten)
        SELECT v_tenant, r.key_type, r.key_value, r.forgotten
          FROM (SELECT array_agg(k.key_type) AS types, array_agg(k.key_value) AS vals
                  FROM pg_temp.oi_cl_key k WHERE k.tenant_id = v_tenant) a
         CROSS JOIN LATERAL omni_identity.removed_keys(v_tenant, a.types, a.vals) r;
    END LOOP;
    DELETE FROM pg_temp.oi_cl_key k
     USING pg_temp.oi_cl_removed f
     WHERE f.tenant_id = k.tenant_id AND f.key_type = k.key_type AND f.key_value = k.key_value;
    ANALYZE pg_temp.oi_cl_key;

    -- Occurrences: (sale, key) pairs of the keys kept.
    INSERT INTO pg_temp.oi_cl_occ (node, key_type, key_value, min_node)
    SELECT s.node, k.key_type, k.key_value, g.min_node
      FROM pg_temp.oi_cl_sale s
      CROSS JOIN LATERAL omni_identity.sale_keys(s.email, s.phone, s.document) k
      JOIN pg_temp.oi_cl_key g
        ON g.tenant_id = s.tenant_id AND g.key_type = k.key_type AND g.key_value = k.key_value;
    ANALYZE pg_temp.oi_cl_occ;
    RETURN v_nodes;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_keys()
    IS 'Batch core stage 1: normalize pg_temp.oi_cluster_in into oi_cl_sale; distinct unblocked keys (oi_cl_key) and their occurrences (oi_cl_occ).';
