-- Automatic mode (setting auto_resolve of a tenant, default off): the AFTER INSERT
-- statement trigger omni_sales_auto_resolve (migration 0042) calls this once per INSERT
-- statement with the inserted rows as the transition table new_rows. The rows of
-- tenants whose auto_resolve flag is on and that came without a customer_hash are
-- clustered by the set-based core (cluster_sales_batch: exclusive tenant locks, merges,
-- golden records), which sets their customer_hash, so a multi-row INSERT costs one
-- batch, not one resolve per row. Rows written by the batch jobs themselves
-- (omni_identity.batch_writer = 'on' for their statement) are clustered by those jobs
-- and skipped here.
CREATE OR REPLACE FUNCTION omni_identity.auto_resolve_sales()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF coalesce(current_setting('omni_identity.batch_writer', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    -- Cheap exit when no tenant of the statement has the flag on.
    IF NOT EXISTS (SELECT 1
                     FROM (SELECT DISTINCT n.tenant_id FROM new_rows n WHERE n.customer_hash IS NULL) t
                     JOIN omni_identity.settings s
                       ON s.tenant_id = t.tenant_id AND s.key = 'auto_resolve'
                    WHERE s.value = 'true'::jsonb) THEN
        RETURN NULL;
    END IF;
    PERFORM omni_identity.pipeline_temp_tables();
    TRUNCATE pg_temp.oi_cluster_in;
    INSERT INTO pg_temp.oi_cluster_in
           (tenant_id, sale_id, seen_at, buyer_email, buyer_phone, buyer_document, buyer_name)
    SELECT n.tenant_id, n.id, n.created_at, n.buyer_email, n.buyer_phone, n.buyer_document,
           n.buyer_name
      FROM new_rows n
     WHERE n.customer_hash IS NULL
       AND EXISTS (SELECT 1 FROM omni_identity.settings s
                    WHERE s.tenant_id = n.tenant_id AND s.key = 'auto_resolve'
                      AND s.value = 'true'::jsonb);
    ANALYZE pg_temp.oi_cluster_in;
    PERFORM omni_identity.cluster_sales_batch();
    RETURN NULL;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.auto_resolve_sales()
    IS 'Trigger of automatic mode: clusters the rows an INSERT wrote for tenants with auto_resolve on.';
