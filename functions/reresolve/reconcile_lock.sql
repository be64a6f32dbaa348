-- The reconcile lock of a tenant (level R of design §5), taken blocking: reconcile_merges
-- takes it for a tenant's repoints and marks; the split, the repoint of split clusters
-- and the forget functions take it too, so a repoint computed before a split or a forget
-- is never written after it. Always after L1 (tenant lock) when both are taken, never L1
-- after it. Returns nothing useful (an expression callers assign).
CREATE OR REPLACE FUNCTION omni_identity.reconcile_lock(p_tenant_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('omni_identity.reconcile'),
                                             pg_catalog.hashtext(p_tenant_id));
END;
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_lock(text)
    IS 'Take the tenant''s reconcile lock (R, design §5) for the transaction, blocking.';
