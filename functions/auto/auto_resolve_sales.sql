-- Automatic mode (setting auto_resolve of a tenant, default off): the AFTER INSERT
-- statement trigger omni_sales_auto_resolve (migration 0042) calls this once per INSERT
-- statement with the inserted rows as the transition table new_rows. The rows of
-- tenants whose auto_resolve flag is on and that came without a customer_hash are
-- clustered by the set-based core (cluster_sales_batch: exclusive tenant locks, merges,
-- golden records), which sets their customer_hash, so a multi-row INSERT costs one
-- batch, not one resolve per row. Rows written by the batch jobs themselves
-- (omni_identity.batch_writer = 'on' for their statement) are clustered by those jobs
-- and skipped here.
--
-- On Citus the trigger fires on the shard, on the worker that holds it, once per shard
-- the statement wrote: new_rows is read by statements that touch no distributed table
-- (Citus would send them to a shard, where the transition table does not exist), and the
-- flag is read tenant by tenant (routed to the colocated shard on the same node). The
-- batch core then runs on the worker (its Citus shapes, citus_active). Nothing but
-- new_rows is read while no tenant of the statement has the flag on: the work tables are
-- temporary, and a transaction that used temporary objects on a worker cannot take part
-- in Citus's two-phase commit, so only statements that cluster touch them
-- (docs/scale-out.md, "Automatic mode").
CREATE OR REPLACE FUNCTION omni_identity.auto_resolve_sales()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_tenants text[];
    v_on      text[] := '{}'::text[];
    v_tenant  text;
BEGIN
    IF coalesce(current_setting('omni_identity.batch_writer', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(DISTINCT n.tenant_id) INTO v_tenants
      FROM new_rows n WHERE n.customer_hash IS NULL;
    -- Cheap exit when no tenant of the statement has the flag on: one primary-key probe
    -- of settings per tenant of the statement.
    FOREACH v_tenant IN ARRAY coalesce(v_tenants, '{}'::text[]) LOOP
        IF EXISTS (SELECT 1 FROM omni_identity.settings s
                    WHERE s.tenant_id = v_tenant AND s.key = 'auto_resolve'
                      AND s.value = 'true'::jsonb) THEN
            v_on := v_on || v_tenant;
        END IF;
    END LOOP;
    IF cardinality(v_on) = 0 THEN
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
       AND n.tenant_id = ANY (v_on);
    ANALYZE pg_temp.oi_cluster_in;
    PERFORM omni_identity.cluster_sales_batch();
    RETURN NULL;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.auto_resolve_sales()
    IS 'Trigger of automatic mode: clusters the rows an INSERT wrote for tenants with auto_resolve on.';
