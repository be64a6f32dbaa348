-- The live cluster a cluster id stands for today: itself while live, else the survivor
-- it was merged into (merge chains never exceed one hop). NULL for an unknown id.
CREATE OR REPLACE FUNCTION omni_identity.current_cluster(p_tenant_id text, p_cluster_id uuid)
RETURNS uuid
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_live uuid;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    SELECT coalesce(c.merged_into, c.cluster_id) INTO v_live
      FROM omni_identity.customer_cluster c
     WHERE c.tenant_id = p_tenant_id AND c.cluster_id = p_cluster_id;
    RETURN v_live;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.current_cluster(text, uuid)
    IS 'The live cluster for a cluster id: itself, or the survivor it was merged into; NULL if unknown.';
