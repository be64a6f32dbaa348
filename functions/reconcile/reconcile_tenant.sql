-- One tenant's part of a reconcile_merges batch (the caller holds the tenant's reconcile
-- lock and has filled pg_temp.oi_rc_claim, live targets included): repoints the sales of
-- the tenant's claimed from_clusters to their live target and marks those merges
-- reconciled. Returns the sales repointed. Not STRICT: citus_distribute would register it
-- for delegation to the tenant's worker, where the caller's temp table does not exist.
CREATE OR REPLACE FUNCTION omni_identity.reconcile_tenant(p_tenant_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_ids   bigint[];
    v_from  uuid[];
    v_live  uuid[];
    v_ctids tid[];
    v_hash  uuid[];
    v_n     integer;
    v_sales integer := 0;
BEGIN
    -- The sales of the claimed from_clusters go to their live target: one probe of
    -- (tenant_id, customer_hash) per merge (LATERAL with OFFSET 0, never a scan of the
    -- tenant's sales), then the batch core's UPDATE by TID in ctid order
    -- (pipeline_set_customer_hash), repeated until every sale found was written (a sale
    -- updated by another transaction in between has a new ctid). One UPDATE ... FROM
    -- with the probes inside (a nested loop) measured the same; this form writes the heap
    -- in physical order. The merges come as arrays, not as the temp table: on Citus a
    -- statement joining a temp table with a distributed one cannot be planned.
    SELECT array_agg(c.from_cluster), array_agg(c.live) INTO v_from, v_live
      FROM pg_temp.oi_rc_claim c
     WHERE c.tenant_id = p_tenant_id AND c.live IS NOT NULL;
    LOOP
        SELECT coalesce(array_agg(x.row_ctid), '{}'), coalesce(array_agg(w.hash), '{}')
          INTO v_ctids, v_hash
          FROM unnest(v_from, v_live) w(from_hash, hash)
          CROSS JOIN LATERAL (
                SELECT o.ctid AS row_ctid
                  FROM public.omni_sales o
                 WHERE o.tenant_id = p_tenant_id AND o.customer_hash = w.from_hash
                 OFFSET 0) x;
        v_n := omni_identity.pipeline_set_customer_hash(p_tenant_id, v_ctids, v_hash);
        v_sales := v_sales + v_n;
        EXIT WHEN v_n = cardinality(v_ctids);
    END LOOP;

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
