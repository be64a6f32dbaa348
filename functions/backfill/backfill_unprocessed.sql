-- The backfill's rule of what it still has to do (backfill_customer_hash header): a sale
-- is processed when it has a customer_hash or is recorded in backfill_keyless (examined,
-- no usable key). Returns the first p_limit (NULL: all) unprocessed sales of tenant
-- p_tenant_id or (NULL) of every tenant but those of p_skip, in (tenant_id, id) order.
-- Its callers: the sweep of backfill_pick, and backfill_remaining (the progress total).
--
-- The rule reads a table, so it is one statement in a PL/pgSQL function, never a SQL
-- function inlined into its callers' statements (Citus cannot plan an inlined function
-- that reads a distributed table).
-- Sequential, bitmap scans and sorts are off (as in backfill_pick): an ordered walk of
-- omni_sales_unhashed_idx stopped by the LIMIT, whatever the table's statistics; custom
-- plans, so that the tenant and the limit of each call reach the planner (one tenant:
-- a range of the index).
CREATE OR REPLACE FUNCTION omni_identity.backfill_unprocessed(
      p_tenant_id text
    , p_skip      text[]
    , p_limit     integer
) RETURNS TABLE(tenant_id text, id bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = off
SET plan_cache_mode = force_custom_plan
SET jit = off
AS $fn$
BEGIN
    RETURN QUERY
    SELECT s.tenant_id, s.id FROM public.omni_sales s
     WHERE (p_tenant_id IS NULL OR s.tenant_id = p_tenant_id)
       AND s.customer_hash IS NULL
       AND s.tenant_id <> ALL (p_skip)
       AND NOT EXISTS (SELECT 1 FROM omni_identity.backfill_keyless k
                        WHERE k.tenant_id = s.tenant_id AND k.sale_id = s.id)
     ORDER BY s.tenant_id, s.id
     LIMIT p_limit;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.backfill_unprocessed(text, text[], integer)
    IS 'The sales the backfill has yet to process (no customer_hash, not recorded keyless), first p_limit in (tenant_id, id) order.';
