-- The clustering step of one backfill batch (or of one tenant's part of it): clusters
-- the sales of pg_temp.oi_cluster_in (cluster_sales_batch; the caller holds their
-- tenants' locks) and records the examined sales without a usable key in
-- backfill_keyless, so the sweep skips them. Returns cluster_sales_batch's counts.
CREATE OR REPLACE FUNCTION omni_identity.backfill_cluster()
RETURNS TABLE(clustered integer, clusters_created integer, merges integer)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
BEGIN
    SELECT b.clustered, b.clusters_created, b.merges INTO clustered, clusters_created, merges
      FROM omni_identity.cluster_sales_batch() b;
    INSERT INTO omni_identity.backfill_keyless (tenant_id, sale_id)
    SELECT s.tenant_id, s.sale_id FROM pg_temp.oi_cl_sale s
     WHERE s.survivor IS NULL
     ORDER BY s.tenant_id, s.sale_id
        ON CONFLICT (tenant_id, sale_id) DO NOTHING;
    RETURN NEXT;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.backfill_cluster()
    IS 'Cluster the sales of pg_temp.oi_cluster_in for the backfill and record the keyless ones.';
