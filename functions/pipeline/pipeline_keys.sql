-- Batch core, stage 1 (design §6): the keys of the batch.
--   Input   pg_temp.oi_cluster_in  the sales to cluster, one row each (caller-filled).
--   Output  pg_temp.oi_cl_sale     one row per sale: node 1..n (by tenant, sale id), its
--                                  normalized e-mail, phone, document, golden_name, and
--                                  the ctid the caller gave;
--           pg_temp.oi_cl_key      the distinct keys of the batch that are not blocked
--                                  (pipeline_drop_blocked_keys):
--                                  min_node (their first sale) and cluster_id (the live
--                                  cluster that owns the key; NULL = a new key);
--           pg_temp.oi_cl_occ      (sale, key) pairs of those keys.
-- Returns n, the number of sales.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_keys()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_nodes integer;
BEGIN
    TRUNCATE pg_temp.oi_cl_sale, pg_temp.oi_cl_key, pg_temp.oi_cl_occ;

    -- Normalize every identifier once, in one statement.
    INSERT INTO pg_temp.oi_cl_sale
           (node, tenant_id, sale_id, seen_at, email, phone, document, name, row_ctid)
    SELECT row_number() OVER (ORDER BY i.tenant_id, i.sale_id)::integer,
           i.tenant_id, i.sale_id, i.seen_at,
           omni_identity.normalize_email(i.buyer_email),
           omni_identity.normalize_phone(i.buyer_phone),
           omni_identity.normalize_document(i.buyer_document),
           omni_identity.golden_name(i.buyer_name),
           i.row_ctid
      FROM pg_temp.oi_cluster_in i;
    GET DIAGNOSTICS v_nodes = ROW_COUNT;
    IF v_nodes = 0 THEN
        RETURN 0;
    END IF;
    -- Statistics of the columns plans join or filter on only (the text columns would
    -- make it several times slower, see BENCHMARKS.md; their IS NOT NULL filters plan
    -- well on the defaults).
    ANALYZE pg_temp.oi_cl_sale (node, tenant_id, sale_id, seen_at);

    -- Distinct keys of the batch (sale_keys, LATERAL), and the cluster of every known
    -- key found by one primary-key probe per key (a correlated subquery, never a join the
    -- planner could turn into a scan of the tenant's keys).
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

    -- Blocked keys leave the set (design §2).
    PERFORM omni_identity.pipeline_drop_blocked_keys();
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
