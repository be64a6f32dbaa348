-- How much reconcile_merges still has to do, of tenant p_tenant_id or (NULL, what the job
-- works on) of every tenant: the job's progress total (design §7, §9). The sum of
-- merges pending (a customer_cluster_merges row with reconciled_at NULL), clusters queued
-- for a split (cluster_split_queue), and sales of split clusters still to repoint (the
-- sales on the clusters of cluster_repoint_queue: one probe of (tenant_id, customer_hash)
-- each, an upper bound of those that will move).
CREATE OR REPLACE FUNCTION omni_identity.reconcile_remaining(
      p_tenant_id text DEFAULT NULL
) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT (SELECT count(*) FROM omni_identity.customer_cluster_merges m
             WHERE (p_tenant_id IS NULL OR m.tenant_id = p_tenant_id)
               AND m.reconciled_at IS NULL)
         + (SELECT count(*) FROM omni_identity.cluster_split_queue q
             WHERE (p_tenant_id IS NULL OR q.tenant_id = p_tenant_id))
         + (SELECT count(*) FROM omni_identity.cluster_repoint_queue r
              JOIN public.omni_sales o ON o.tenant_id = r.tenant_id AND o.customer_hash = r.cluster_id
             WHERE (p_tenant_id IS NULL OR r.tenant_id = p_tenant_id));
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_remaining(text)
    IS 'Merges not yet reconciled, clusters queued for a split and sales of split clusters to repoint, of one tenant or of all (the reconcile job''s progress total).';
