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
-- On Citus (docs/scale-out.md, "Automatic mode") the trigger fires on the shard of the
-- tenant, on its worker, once per shard statement, in the worker's backend that serves
-- the coordinator's transaction (batch_writer reaches it as a propagated SET LOCAL).
-- There no statement may name the transition table together with a distributed table
-- (Citus replans such a statement without the tuplestore: "could not find named
-- tuplestore"), so the tenants of new_rows are read alone, each tenant's flag by one
-- statement filtered on it (routed to the local shard), and the rows copied into the
-- temporary table by a statement naming no distributed table; the batch core then runs
-- its Citus shapes on the worker, where the tenant's shards are local.
CREATE OR REPLACE FUNCTION omni_identity.auto_resolve_sales()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_tenant text;
    v_on     text[] := '{}'::text[];
    v_coordinator boolean;
    v_citus  name;
BEGIN
    IF coalesce(current_setting('omni_identity.batch_writer', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    -- omni_identity.citus_active()'s test, written out: that function's SET clause makes
    -- every call a full one, ten times this test, on every INSERT statement on one node
    -- (BENCHMARKS.md, automatic mode on Citus).
    IF pg_catalog.current_setting('citus.version', true) IS NOT NULL THEN
        FOR v_tenant IN SELECT DISTINCT n.tenant_id FROM new_rows n WHERE n.customer_hash IS NULL LOOP
            IF EXISTS (SELECT 1 FROM omni_identity.settings s
                        WHERE s.tenant_id = v_tenant AND s.key = 'auto_resolve'
                          AND s.value = 'true'::jsonb) THEN
                v_on := pg_catalog.array_append(v_on, v_tenant);
            END IF;
        END LOOP;
    ELSE
        -- One statement: the statement's tenants whose flag is on (none: a cheap exit).
        SELECT coalesce(pg_catalog.array_agg(t.tenant_id), '{}') INTO v_on
          FROM (SELECT DISTINCT n.tenant_id FROM new_rows n WHERE n.customer_hash IS NULL) t
         WHERE EXISTS (SELECT 1 FROM omni_identity.settings s
                        WHERE s.tenant_id = t.tenant_id AND s.key = 'auto_resolve'
                          AND s.value = 'true'::jsonb);
    END IF;
    IF pg_catalog.cardinality(v_on) = 0 THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.current_setting('citus.version', true) IS NOT NULL THEN
        -- A worker set to propagate SET LOCAL itself (citus.propagate_set_commands =
        -- 'local' there, also what an ALTER DATABASE ... SET on the coordinator sends it)
        -- records the coordinator's whole command string with the application's SET LOCAL
        -- and replays it on the connections the batch opens from here, which Citus 13.2
        -- then fails ("failure on connection marked as essential"): refused up front.
        IF pg_catalog.current_setting('citus.propagate_set_commands', true) = 'local' THEN
            -- Citus named at run time (as citus_distribute does): this file is created
            -- and checked on nodes without Citus.
            SELECT n.nspname INTO v_citus
              FROM pg_catalog.pg_extension e
              JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
             WHERE e.extname = 'citus';
            EXECUTE pg_catalog.format('SELECT %I.citus_is_coordinator()', v_citus) INTO v_coordinator;
            IF NOT v_coordinator THEN
                RAISE EXCEPTION 'automatic mode on a Citus worker with citus.propagate_set_commands = local'
                    USING ERRCODE = 'OI109',
                          HINT = 'Set citus.propagate_set_commands = ''local'' on the coordinator only (its postgresql.conf or ALTER SYSTEM there), not on the workers and not by ALTER DATABASE (docs/scale-out.md).';
            END IF;
        END IF;
    END IF;
    PERFORM omni_identity.pipeline_temp_tables();
    TRUNCATE pg_temp.oi_cluster_in;
    INSERT INTO pg_temp.oi_cluster_in
           (tenant_id, sale_id, seen_at, buyer_email, buyer_phone, buyer_document, buyer_name)
    SELECT n.tenant_id, n.id, n.created_at, n.buyer_email, n.buyer_phone, n.buyer_document,
           n.buyer_name
      FROM new_rows n
     WHERE n.customer_hash IS NULL AND n.tenant_id = ANY (v_on);
    ANALYZE pg_temp.oi_cluster_in;
    PERFORM omni_identity.cluster_sales_batch();
    RETURN NULL;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.auto_resolve_sales()
    IS 'Trigger of automatic mode: clusters the rows an INSERT wrote for tenants with auto_resolve on.';
