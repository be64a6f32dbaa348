-- Batch core, stage 2 (design §6): the graph "sale — key — existing cluster".
--   Input   pg_temp.oi_cl_key, pg_temp.oi_cl_occ (stage 1); p_nodes = n, the sales are
--           nodes 1..n.
--   Output  pg_temp.oi_cl_exist  the live clusters the keys name, as nodes n+1..;
--           pg_temp.oi_cl_edge   edges (a, b), a > b, each once: (sale, first sale with
--                                the same key) and (cluster, first sale with one of its
--                                keys);
--           pg_temp.oi_cl_comp   every keyed node, with root = itself (the input of
--                                pipeline_components).
CREATE OR REPLACE FUNCTION omni_identity.pipeline_graph(p_nodes integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_tenant   text;
    v_clusters uuid[];
BEGIN
    TRUNCATE pg_temp.oi_cl_exist, pg_temp.oi_cl_edge, pg_temp.oi_cl_edge2, pg_temp.oi_cl_comp;

    IF NOT omni_identity.citus_active() THEN
        -- Existing clusters (keys always name live clusters; the batch holds the tenant
        -- lock, so none is merged meanwhile): one primary-key probe each (LATERAL, LIMIT 1).
        INSERT INTO pg_temp.oi_cl_exist (cnode, tenant_id, cluster_id, created_at)
        SELECT p_nodes + row_number() OVER (ORDER BY e.tenant_id, e.cluster_id)::integer,
               e.tenant_id, e.cluster_id, c.created_at
          FROM (SELECT DISTINCT k.tenant_id, k.cluster_id
                  FROM pg_temp.oi_cl_key k WHERE k.cluster_id IS NOT NULL) e
          CROSS JOIN LATERAL (
                SELECT cc.created_at
                  FROM omni_identity.customer_cluster cc
                 WHERE cc.tenant_id = e.tenant_id AND cc.cluster_id = e.cluster_id
                 LIMIT 1) c;
    ELSE
        -- Citus (citus_active): the clusters copied in per tenant by a statement routed
        -- to its shard, then numbered from the temp table. The statement names the
        -- tenant's clusters as an array and probes the primary key once per cluster
        -- (LATERAL, LIMIT 1), as pipeline_keys does (a semi-join against an intermediate
        -- result was planned on a never-analyzed shard as a scan of the tenant's clusters).
        TRUNCATE pg_temp.oi_cl_probe;
        FOR v_tenant, v_clusters IN
            SELECT k.tenant_id, array_agg(DISTINCT k.cluster_id)
              FROM pg_temp.oi_cl_key k WHERE k.cluster_id IS NOT NULL
             GROUP BY k.tenant_id ORDER BY 1 LOOP
            INSERT INTO pg_temp.oi_cl_probe (tenant_id, cluster_id, created_at)
            SELECT v_tenant, u.cluster_id, c.created_at
              FROM unnest(v_clusters) AS u(cluster_id)
              CROSS JOIN LATERAL (
                    SELECT cc.created_at
                      FROM omni_identity.customer_cluster cc
                     WHERE cc.tenant_id = v_tenant AND cc.cluster_id = u.cluster_id
                     LIMIT 1) c;
        END LOOP;
        INSERT INTO pg_temp.oi_cl_exist (cnode, tenant_id, cluster_id, created_at)
        SELECT p_nodes + row_number() OVER (ORDER BY p.tenant_id, p.cluster_id)::integer,
               p.tenant_id, p.cluster_id, p.created_at
          FROM pg_temp.oi_cl_probe p;
    END IF;
    ANALYZE pg_temp.oi_cl_exist;

    INSERT INTO pg_temp.oi_cl_edge (a, b)
    SELECT DISTINCT o.node, o.min_node FROM pg_temp.oi_cl_occ o WHERE o.node <> o.min_node
    UNION
    SELECT x.cnode, k.min_node
      FROM pg_temp.oi_cl_key k
      JOIN pg_temp.oi_cl_exist x ON x.tenant_id = k.tenant_id AND x.cluster_id = k.cluster_id;
    ANALYZE pg_temp.oi_cl_edge;

    INSERT INTO pg_temp.oi_cl_comp (node, root)
    SELECT n.node, n.node
      FROM (SELECT DISTINCT o.node FROM pg_temp.oi_cl_occ o
            UNION ALL
            SELECT x.cnode FROM pg_temp.oi_cl_exist x) n;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_graph(integer)
    IS 'Batch core stage 2: existing clusters as nodes (oi_cl_exist), the edges (oi_cl_edge) and the node list (oi_cl_comp).';
