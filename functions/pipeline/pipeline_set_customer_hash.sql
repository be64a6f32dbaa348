-- Set customer_hash of the sales of tenant p_tenant_id at p_ctids[i] to p_hashes[i]: the
-- TID update of pipeline_write_customer_hash, whose caller read or wrote those row
-- versions earlier in the same transaction (whose snapshot keeps them from being
-- pruned), or which found them by index probes just before. A row updated by another
-- transaction since is skipped (its new version has another ctid); the caller compares
-- the count returned and probes again.
-- Returns the rows updated.
--
-- The plan is one parameterized TID fetch per (ctid, hash) pair, in ctid order (the heap
-- is visited in physical order). No `ctid = ANY (p_ctids)` beside the join: once the
-- function's plan went generic (after five calls) that condition stayed as a filter
-- evaluated by a linear search of the array for every row (BENCHMARKS.md, figures from comments).
-- Sequential, bitmap and index scans are off for this one statement (the SET clause is
-- local to the call), which leaves the TID scan: the cost model prices ten thousand TID
-- fetches above one scan of the whole table, or of the tenant's rows through any index
-- led by tenant_id, which is measured the other way round here by an order of magnitude
-- (with only enable_seqscan off the planner took a bitmap scan of the whole tenant;
-- BENCHMARKS.md, figures from comments), and those scans grow with the table while the batch does not.
CREATE OR REPLACE FUNCTION omni_identity.pipeline_set_customer_hash(
      p_tenant_id text
    , p_ctids     tid[]
    , p_hashes    uuid[]
)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_indexscan = off
SET jit = off
AS $fn$
DECLARE
    v_n integer;
BEGIN
    IF coalesce(cardinality(p_ctids), 0) = 0 THEN
        RETURN 0;
    END IF;
    UPDATE public.omni_sales o
       SET customer_hash = u.hash
      FROM (SELECT x.row_ctid, x.hash FROM unnest(p_ctids, p_hashes) AS x(row_ctid, hash)
             ORDER BY x.row_ctid) u
     WHERE o.ctid = u.row_ctid
       AND o.tenant_id = p_tenant_id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.pipeline_set_customer_hash(text, tid[], uuid[])
    IS 'Set customer_hash of the (locked) sales at the given ctids, by TID scan; returns rows updated.';
