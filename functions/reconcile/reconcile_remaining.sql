-- How much reconcile_merges still has to do, of tenant p_tenant_id or (NULL, what the job
-- works on) of every tenant: the job's progress total (design §7, §9). The sum of
-- merges pending (a customer_cluster_merges row with reconciled_at NULL), clusters queued
-- for a split (cluster_split_queue), and sales of split clusters still to repoint (the
-- sales on the clusters of cluster_repoint_queue: one probe of (tenant_id, customer_hash)
-- each, an upper bound of those that will move).
-- PL/pgSQL, one statement per count: an SQL function's statements are planned with their
-- parameters, which Citus cannot route (docs/scale-out.md).
CREATE OR REPLACE FUNCTION omni_identity.reconcile_remaining(
      p_tenant_id text DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_merges  bigint;
    v_splits  bigint;
    v_repoint bigint;
BEGIN
    IF p_tenant_id IS NULL THEN
        SELECT count(*) INTO v_merges FROM omni_identity.customer_cluster_merges m
         WHERE m.reconciled_at IS NULL;
        SELECT count(*) INTO v_splits FROM omni_identity.cluster_split_queue q;
        SELECT count(*) INTO v_repoint FROM omni_identity.cluster_repoint_queue r
          JOIN public.omni_sales o ON o.tenant_id = r.tenant_id AND o.customer_hash = r.cluster_id;
    ELSE
        SELECT count(*) INTO v_merges FROM omni_identity.customer_cluster_merges m
         WHERE m.tenant_id = p_tenant_id AND m.reconciled_at IS NULL;
        SELECT count(*) INTO v_splits FROM omni_identity.cluster_split_queue q
         WHERE q.tenant_id = p_tenant_id;
        SELECT count(*) INTO v_repoint FROM omni_identity.cluster_repoint_queue r
          JOIN public.omni_sales o ON o.tenant_id = r.tenant_id AND o.customer_hash = r.cluster_id
         WHERE r.tenant_id = p_tenant_id;
    END IF;
    RETURN v_merges + v_splits + v_repoint;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_remaining(text)
    IS 'Merges not yet reconciled, clusters queued for a split and sales of split clusters to repoint, of one tenant or of all (the reconcile job''s progress total).';
