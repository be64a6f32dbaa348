-- How many sales the backfill still has to process, of tenant p_tenant_id or (NULL) of
-- every tenant: the job's progress total. "Processed" is the backfill's own rule, the one
-- its sweep applies (backfill_unprocessed): a customer_hash, or a row in backfill_keyless
-- (examined, no usable key).
CREATE OR REPLACE FUNCTION omni_identity.backfill_remaining(
      p_tenant_id text DEFAULT NULL
) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT count(*) FROM omni_identity.backfill_unprocessed(p_tenant_id, '{}'::text[], NULL) u;
$fn$;
COMMENT ON FUNCTION omni_identity.backfill_remaining(text)
    IS 'Sales the backfill has yet to process (no customer_hash, not recorded keyless), of one tenant or of all.';
