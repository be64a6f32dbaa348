-- True when Citus is loaded (citus.version is defined, as tenant_lock_exclusive tests):
-- the batch core then takes its Citus shapes (docs/scale-out.md,
-- "Batch paths"): the distributed rows a stage needs are first copied into a temporary
-- table by one statement per tenant that Citus routes to the tenant's shard (the temp
-- table shipped to the worker as an intermediate result), and the stage then joins
-- temporary tables only. On one node the stages keep their single statements (their
-- correlated probes are what keeps them fast there, and Citus refuses them).
CREATE OR REPLACE FUNCTION omni_identity.citus_active()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT pg_catalog.current_setting('citus.version', true) IS NOT NULL
$fn$;
COMMENT ON FUNCTION omni_identity.citus_active()
    IS 'True when Citus is loaded (the batch core then takes its Citus shapes).';
