-- How many merges reconcile_merges still has to reconcile, of tenant p_tenant_id or (NULL,
-- what the job works on) of every tenant: the job's progress total. Pending is
-- reconcile_merges' own rule (design §7): a customer_cluster_merges row with reconciled_at
-- NULL.
CREATE OR REPLACE FUNCTION omni_identity.reconcile_remaining(
      p_tenant_id text DEFAULT NULL
) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT count(*) FROM omni_identity.customer_cluster_merges m
     WHERE (p_tenant_id IS NULL OR m.tenant_id = p_tenant_id)
       AND m.reconciled_at IS NULL;
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_remaining(text)
    IS 'Merges not yet reconciled, of one tenant or of all (the reconcile job''s progress total).';
