-- One tenant's part of a reconcile_merges batch (the caller holds the tenant's reconcile
-- lock and has filled pg_temp.oi_rc_claim, live targets included, and pg_temp.oi_hash_write): repoints the sales of
-- the tenant's claimed from_clusters to their live target and marks those merges
-- reconciled. Returns the sales repointed.
CREATE OR REPLACE FUNCTION omni_identity.reconcile_tenant(p_tenant_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_ids   bigint[];
    v_sales integer;
BEGIN
    -- The sales of the claimed from_clusters (pg_temp.oi_hash_write, filled by the caller)
    -- go to their live target: the batch core's write-back (pipeline_write_customer_hash:
    -- one probe of (tenant_id, customer_hash) per merge, then one UPDATE by TID in ctid
    -- order, repeated until every sale found was written). One UPDATE ... FROM with the
    -- probes inside (a nested loop) measured the same; this form writes the heap in
    -- physical order, as the single UPDATE of the whole table does.
    v_sales := omni_identity.pipeline_write_customer_hash(p_tenant_id);

    SELECT array_agg(c.merge_id) INTO v_ids FROM pg_temp.oi_rc_claim c WHERE c.tenant_id = p_tenant_id;
    UPDATE omni_identity.customer_cluster_merges m
       SET reconciled_at = now()
     WHERE m.tenant_id = p_tenant_id
       AND m.merge_id = ANY (v_ids);
    RETURN v_sales;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_tenant(text)
    IS 'One tenant''s part of a reconcile_merges batch: repoint its claimed merges'' sales, mark them reconciled.';
