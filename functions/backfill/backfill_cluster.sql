-- The clustering step of one backfill batch (or of one tenant's part of it): clusters
-- the sales of pg_temp.oi_cluster_in (cluster_sales_batch; the caller holds their
-- tenants' locks), which records the examined sales left without a cluster in
-- backfill_keyless (its stage 6), so the sweep skips them. Returns cluster_sales_batch's
-- counts.
CREATE OR REPLACE FUNCTION omni_identity.backfill_cluster()
RETURNS TABLE(clustered integer, clusters_created integer, merges integer)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
BEGIN
    SELECT b.clustered, b.clusters_created, b.merges INTO clustered, clusters_created, merges
      FROM omni_identity.cluster_sales_batch() b;
    RETURN NEXT;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.backfill_cluster()
    IS 'Cluster the sales of pg_temp.oi_cluster_in for the backfill (the keyless ones are recorded by the batch core).';
