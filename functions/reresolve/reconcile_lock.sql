-- The reconcile lock of a tenant (level R of design §5), taken blocking: reconcile_merges
-- takes it for a tenant's repoints and marks; the split, the repoint of split clusters
-- and the forget functions take it too, so a repoint computed before a split or a forget
-- is never written after it. Always after L1 (tenant lock) when both are taken, never L1
-- after it. Returns nothing useful (an expression callers assign).
-- On Citus (citus_active) it is taken on the node holding the tenant's shards
-- (tenant_node_lock, called in a FROM clause so that Citus delegates it there), so two
-- reconcile workers, or a worker and a forget, exclude each other wherever they run; the
-- key is then one bigint (tenant_node_lock's), the two ints of the one-node lock packed.
CREATE OR REPLACE FUNCTION omni_identity.reconcile_lock(p_tenant_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_held boolean;
BEGIN
    IF omni_identity.citus_active() THEN
        SELECT l INTO v_held
          FROM omni_identity.tenant_node_lock(
                 p_tenant_id,
                 (pg_catalog.hashtext('omni_identity.reconcile')::bigint << 32)
                   | (pg_catalog.hashtext(p_tenant_id)::bigint & 4294967295),
                 false, interval '-1 second') AS l;
        IF v_held THEN   -- always: taken without a bound
            RETURN;
        END IF;
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('omni_identity.reconcile'),
                                             pg_catalog.hashtext(p_tenant_id));
END;
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_lock(text)
    IS 'Take the tenant''s reconcile lock (R, design §5) for the transaction, blocking (on the tenant''s node on Citus).';
