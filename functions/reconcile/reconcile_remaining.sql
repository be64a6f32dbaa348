-- How many merges reconcile_merges still has to reconcile, of every tenant (the job works
-- across tenants): the job's progress total. Pending is reconcile_merges' own rule
-- (design §7): a customer_cluster_merges row with reconciled_at NULL.
CREATE OR REPLACE FUNCTION omni_identity.reconcile_remaining()
RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT count(*) FROM omni_identity.customer_cluster_merges m WHERE m.reconciled_at IS NULL;
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_remaining()
    IS 'Merges not yet reconciled, of every tenant (the reconcile job''s progress total).';
