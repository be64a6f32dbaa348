-- How many sales the backfill still has to process, of tenant p_tenant_id or (NULL) of
-- every tenant: the job's progress total. "Processed" is the backfill's own rule
-- (backfill_customer_hash header, the sweep of backfill_pick): a customer_hash, or a row
-- in backfill_keyless (examined, no usable key).
CREATE OR REPLACE FUNCTION omni_identity.backfill_remaining(
      p_tenant_id text DEFAULT NULL
) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT count(*) FROM public.omni_sales s
     WHERE (p_tenant_id IS NULL OR s.tenant_id = p_tenant_id)
       AND s.customer_hash IS NULL
       AND NOT EXISTS (SELECT 1 FROM omni_identity.backfill_keyless k
                        WHERE k.tenant_id = s.tenant_id AND k.sale_id = s.id);
$fn$;
COMMENT ON FUNCTION omni_identity.backfill_remaining(text)
    IS 'Sales the backfill has yet to process (no customer_hash, not recorded keyless), of one tenant or of all.';
