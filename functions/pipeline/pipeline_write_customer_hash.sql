-- Batch core, stage 5 (design §6), and the write-back of reconcile_merges (design §7):
-- customer_hash of the sales of one tenant, by TID, re-probing until every sale found
-- was written.
--   Input   pg_temp.oi_hash_write, the rows of tenant p_tenant_id, either all
--             (sale_id, hash, row_ctid): sale sale_id gets hash; row_ctid is the row
--               version the caller read or wrote in this transaction (its snapshot
--               keeps it from being pruned), NULL if unknown — the batch core; or all
--             (from_hash, hash): every sale on cluster from_hash gets hash —
--               reconcile_merges.
--   Output  (in the database) omni_sales.customer_hash.
-- Returns the sales written.
-- When every row gives its ctid, one UPDATE by TID (pipeline_set_customer_hash) is the
-- whole step. Otherwise, or when a sale was updated by another transaction in between
-- (its new version has another ctid, so the TID update skips it), the sales still to
-- write are found by index probes — by primary key, or by (tenant_id, customer_hash) —
-- one per row (LATERAL with OFFSET 0, an optimization fence: never a scan of the
-- tenant's sales), and the TID update repeats until it wrote every sale found. No row
-- locks first.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_write_customer_hash(p_tenant_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_ctids   tid[];
    v_hashes  uuid[];
    v_by_sale boolean;
    v_probe   boolean;
    v_n       integer;
    v_written integer := 0;
    v_citus   boolean := omni_identity.citus_active();
BEGIN
    SELECT coalesce(array_agg(w.row_ctid) FILTER (WHERE w.row_ctid IS NOT NULL), '{}'),
           coalesce(array_agg(w.hash) FILTER (WHERE w.row_ctid IS NOT NULL), '{}'),
           bool_or(w.sale_id IS NOT NULL), bool_or(w.row_ctid IS NULL)
      INTO v_ctids, v_hashes, v_by_sale, v_probe
      FROM pg_temp.oi_hash_write w
     WHERE w.tenant_id = p_tenant_id;
    IF v_by_sale IS NULL THEN
        RETURN 0;
    END IF;
    IF NOT v_probe THEN
        v_written := omni_identity.pipeline_set_customer_hash(p_tenant_id, v_ctids, v_hashes);
        IF v_written = cardinality(v_ctids) THEN
            RETURN v_written;
        END IF;
    END IF;
    LOOP
        IF v_citus THEN
            -- Citus refuses the per-row LATERAL probes: a join, routed to the tenant's
            -- shard (oi_hash_write goes there as an intermediate result).
            IF v_by_sale THEN
                SELECT coalesce(array_agg(o.ctid), '{}'), coalesce(array_agg(w.hash), '{}')
                  INTO v_ctids, v_hashes
                  FROM pg_temp.oi_hash_write w
                  JOIN public.omni_sales o ON o.tenant_id = p_tenant_id AND o.id = w.sale_id
                 WHERE w.tenant_id = p_tenant_id
                   AND o.customer_hash IS DISTINCT FROM w.hash;
            ELSE
                SELECT coalesce(array_agg(o.ctid), '{}'), coalesce(array_agg(w.hash), '{}')
                  INTO v_ctids, v_hashes
                  FROM pg_temp.oi_hash_write w
                  JOIN public.omni_sales o ON o.tenant_id = p_tenant_id AND o.customer_hash = w.from_hash
                 WHERE w.tenant_id = p_tenant_id;
            END IF;
        ELSIF v_by_sale THEN
            SELECT coalesce(array_agg(x.row_ctid), '{}'), coalesce(array_agg(w.hash), '{}')
              INTO v_ctids, v_hashes
              FROM pg_temp.oi_hash_write w
              CROSS JOIN LATERAL (
                    SELECT o.ctid AS row_ctid, o.customer_hash
                      FROM public.omni_sales o
                     WHERE o.tenant_id = w.tenant_id AND o.id = w.sale_id
                     OFFSET 0) x
             WHERE w.tenant_id = p_tenant_id
               AND x.customer_hash IS DISTINCT FROM w.hash;
        ELSE
            SELECT coalesce(array_agg(x.row_ctid), '{}'), coalesce(array_agg(w.hash), '{}')
              INTO v_ctids, v_hashes
              FROM pg_temp.oi_hash_write w
              CROSS JOIN LATERAL (
                    SELECT o.ctid AS row_ctid
                      FROM public.omni_sales o
                     WHERE o.tenant_id = w.tenant_id AND o.customer_hash = w.from_hash
                     OFFSET 0) x
             WHERE w.tenant_id = p_tenant_id;
        END IF;
        v_n := omni_identity.pipeline_set_customer_hash(p_tenant_id, v_ctids, v_hashes);
        v_written := v_written + v_n;
        EXIT WHEN v_n = cardinality(v_ctids);
    END LOOP;
    RETURN v_written;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_write_customer_hash(text)
    IS 'Batch core stage 5 and reconcile''s write-back: customer_hash of the sales in oi_hash_write, by TID, re-probing until all found are written.';
