-- The advisory-lock key of a tenant (lock level L1, design §5):
-- resolve_customer_cluster holds it SHARED for its transaction; set-based batch writers
-- (ingest, backfill, automatic mode) hold it EXCLUSIVE, so a batch never runs beside a
-- resolve of its tenant. Batch writers never queue for it (tenant_lock_exclusive, or one
-- pg_try_advisory_xact_lock per tenant in the backfill): a queued exclusive request would
-- make every resolve of the tenant wait behind it.
CREATE OR REPLACE FUNCTION omni_identity.tenant_lock_key(p_tenant_id text)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
    SELECT pg_catalog.hashtextextended('omni_identity.tenant:' || p_tenant_id, 0)
$fn$;
COMMENT ON FUNCTION omni_identity.tenant_lock_key(text)
    IS 'Advisory-lock key of a tenant: shared by resolve_customer_cluster, exclusive for batch writers.';
