-- Whether an error raised by one tenant's part of a cross-tenant job batch
-- (backfill_customer_hash(NULL), reconcile_merges) is that tenant's own — its data, e.g.
-- a blocklist regex that does not compile (2201B) — so the job records it for that
-- tenant (job_record_failure) and goes on with the others. Errors of the server or of
-- concurrency are nobody's data and would hit every tenant alike: they stop the batch
-- and reach the job loop, which retries or stops (classes 40 transaction rollback,
-- 53 insufficient resources, 55 lock not available / object state, 57 operator
-- intervention, 58 system error, XX internal error; 57014 query_canceled is never caught).
CREATE OR REPLACE FUNCTION omni_identity.job_tenant_fault(p_sqlstate text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
    SELECT pg_catalog.left(p_sqlstate, 2) <> ALL (ARRAY['40', '53', '55', '57', '58', 'XX'])
$fn$;
COMMENT ON FUNCTION omni_identity.job_tenant_fault(text)
    IS 'Whether an error of one tenant''s part of a cross-tenant job is that tenant''s own (recorded, the job goes on).';
