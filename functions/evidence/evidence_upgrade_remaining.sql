-- The evidence upgrade's work left, of tenant p_tenant_id or (NULL) of every tenant, in
-- the units evidence_upgrade_batch returns (its progress total): per tenant whose
-- upgrade is not complete, the sales of its range still to read, the live clusters
-- after its key-phase cursor, and 1 for the completion step.
CREATE OR REPLACE FUNCTION omni_identity.evidence_upgrade_remaining(
      p_tenant_id text DEFAULT NULL
) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT coalesce(sum(
             (SELECT count(*) FROM public.omni_sales s
               WHERE s.tenant_id = u.tenant_id
                 AND s.id > u.next_sale_id AND s.id <= u.through_sale_id)
           + (SELECT count(*) FROM omni_identity.customer_cluster c
               WHERE c.tenant_id = u.tenant_id AND c.merged_into IS NULL
                 AND (u.after_cluster_id IS NULL OR c.cluster_id > u.after_cluster_id))
           + 1), 0)::bigint
      FROM omni_identity.evidence_upgrade u
     WHERE (p_tenant_id IS NULL OR u.tenant_id = p_tenant_id)
       AND u.completed_at IS NULL;
$fn$;
COMMENT ON FUNCTION omni_identity.evidence_upgrade_remaining(text)
    IS 'Work the evidence upgrade has left (sales to read, clusters to examine, completion steps), of one tenant or of all.';
