-- Repoint the sales of tenant p_tenant_id that carry a from_cluster claimed in
-- pg_temp.oi_rc_claim (see reconcile_merges) to that claim's live target, in one
-- UPDATE ... FROM: per claim, one probe of omni_sales (tenant_id, customer_hash), and each
-- sale found is updated where it was found (no separate probe, no ctid array). A sale
-- another transaction updates meanwhile is re-checked on its newest version (READ
-- COMMITTED): repointed if it still carries the from_cluster, else left alone.
-- Returns the sales repointed.
--
-- Sequential and bitmap scans, hash and merge joins are off for this one statement (the
-- SET clause is local to the call), which leaves a nested loop over the claims with the
-- index probe inside: a hash join over the tenant's sales (estimated from stale or no
-- statistics on a table the backfill just filled) would read every sale of the tenant
-- for a few thousand claims.
CREATE OR REPLACE FUNCTION omni_identity.reconcile_repoint(p_tenant_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $fn$
DECLARE
    v_n integer;
BEGIN
    UPDATE public.omni_sales s
       SET customer_hash = c.live
      FROM pg_temp.oi_rc_claim c
     WHERE c.tenant_id = p_tenant_id
       AND s.tenant_id = p_tenant_id
       AND s.customer_hash = c.from_cluster;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_repoint(text)
    IS 'Repoint customer_hash of the tenant''s sales on the claimed merged-away clusters (pg_temp.oi_rc_claim) to their live targets; returns sales repointed.';
