-- resolve_customer_cluster on Citus: the key rows of one cluster, for each non-NULL value,
-- by one INSERT ... VALUES per key (router statements). Citus runs an INSERT fed by a
-- SELECT or a CTE that it cannot route through COPY, which row-level security refuses,
-- so the single-node statement (INSERT ... SELECT FROM VALUES ... WHERE value IS NOT
-- NULL) is not used there.
CREATE OR REPLACE FUNCTION omni_identity.citus_insert_keys(
      p_tenant_id  text
    , p_cluster_id uuid
    , p_email      text
    , p_phone      text
    , p_document   text
) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_email IS NOT NULL THEN
        INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
        VALUES (p_tenant_id, 'email', p_email, p_cluster_id);
    END IF;
    IF p_phone IS NOT NULL THEN
        INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
        VALUES (p_tenant_id, 'phone', p_phone, p_cluster_id);
    END IF;
    IF p_document IS NOT NULL THEN
        INSERT INTO omni_identity.customer_cluster_keys (tenant_id, key_type, key_value, cluster_id)
        VALUES (p_tenant_id, 'document', p_document, p_cluster_id);
    END IF;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.citus_insert_keys(text, uuid, text, text, text)
    IS 'resolve_customer_cluster on Citus: insert the key rows of a cluster by router statements (one INSERT ... VALUES per non-NULL key).';
