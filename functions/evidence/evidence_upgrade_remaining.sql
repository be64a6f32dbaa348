-- The evidence upgrade's work left, of tenant p_tenant_id or (NULL) of every tenant, in
-- the units evidence_upgrade_batch returns (its progress total): per tenant whose
-- upgrade is not complete, the sales of its range still to read, the live clusters
-- after its key-phase cursor, and 1 for the completion step.
CREATE OR REPLACE FUNCTION omni_identity.evidence_upgrade_remaining(
      p_tenant_id text DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_u     record;
    v_total bigint := 0::bigint;
    v_n     bigint;
BEGIN
    -- Tenant by tenant, each count a statement on one tenant: an SQL function's statements
    -- are planned with their parameters, which Citus cannot route, and a correlated count
    -- per upgrade row over every shard is not plannable there either.
    FOR v_u IN
        SELECT u.tenant_id, u.next_sale_id, u.through_sale_id, u.after_cluster_id
          FROM omni_identity.evidence_upgrade u
         WHERE (p_tenant_id IS NULL OR u.tenant_id = p_tenant_id)
           AND u.completed_at IS NULL
    LOOP
        SELECT count(*) INTO v_n FROM public.omni_sales s
         WHERE s.tenant_id = v_u.tenant_id
           AND s.id > v_u.next_sale_id AND s.id <= v_u.through_sale_id;
        v_total := v_total + v_n + 1;
        SELECT count(*) INTO v_n FROM omni_identity.customer_cluster c
         WHERE c.tenant_id = v_u.tenant_id AND c.merged_into IS NULL
           AND (v_u.after_cluster_id IS NULL OR c.cluster_id > v_u.after_cluster_id);
        v_total := v_total + v_n;
    END LOOP;
    RETURN v_total;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.evidence_upgrade_remaining(text)
    IS 'Work the evidence upgrade has left (sales to read, clusters to examine, completion steps), of one tenant or of all.';
