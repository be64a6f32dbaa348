-- The shared set-based clustering core of ingest_sales, the CSV upload, the backfill and
-- automatic mode (design §6). The caller fills pg_temp.oi_cluster_in (see
-- pipeline_temp_tables) with the sales to cluster, one row per sale (raw buyer columns,
-- seen_at = the sale's created_at), and calls this once per batch, in its own
-- transaction. A driver over named stages, each one function whose header names the temp
-- tables it reads and writes; each statement works on the whole batch (no per-row call
-- touching a table that grows, no recursive CTE, no per-row advisory lock):
--   L1 lock (below): never queued behind a live call (design §5); then the stages, numbered
--   as in their headers:
--   1.  pipeline_keys        the keys of the batch, removed values (blocked or forgotten,
--                            removed_keys) dropped, their clusters;
--   1a. pipeline_redact_forgotten  NULL in the sales' buyer columns that are forgotten;
--   1b. pipeline_evidence    the batch's evidence: key_evidence and key_pairs (design §9.1);
--   1c. pipeline_generic     keys now generic (SPEC §12) leave the graph, their clusters
--                            are queued for a split;
--   2.  pipeline_graph       the graph sale — key — existing cluster;
--   3.  pipeline_components  its connected components;
--   4a. pipeline_roots       per component the survivor and the batch's golden values;
--   4b. pipeline_apply       new clusters, merges, golden records, new keys;
--   5.  pipeline_write_customer_hash  customer_hash of every keyed sale, per tenant.
-- Sales without any key are left as they are (customer_hash NULL); pg_temp.oi_cl_sale
-- keeps each sale's survivor (NULL = no key) for the caller.
--   6.  a sale left without a survivor (no usable key, or only generic keys, whose
--       evidence stage 1b recorded) is recorded in backfill_keyless: processed, whatever
--       the path, so the backfill never records its evidence again (design §9.4; it took
--       customer_hash NULL for "never processed" and counted such a sale twice) and the
--       generic re-evaluation gives it the cluster of a key active again.
-- Returns (sales clustered, clusters created, clusters merged away).
--
-- jit is off for the call (SET clause, inherited by the nested statements): the plans of
-- the correlated probes cost above jit_above_cost, and compiling them took far longer
-- than running them (BENCHMARKS.md, pipeline).
CREATE OR REPLACE FUNCTION omni_identity.cluster_sales_batch()
RETURNS TABLE(clustered integer, clusters_created integer, merges integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_tenant text;
    v_nodes  integer;
BEGIN
    clustered := 0; clusters_created := 0; merges := 0;
    PERFORM omni_identity.pipeline_temp_tables();

    -- L1 lock: tenant_lock_key(t) EXCLUSIVE on every tenant of the batch, in sorted
    -- order, by tenant_lock_exclusive (never queued: try, back off, retry for at most 5 s,
    -- then OI035; immediate when the caller already holds it, as ingest and the backfill
    -- do). resolve_customer_cluster holds the same key SHARED, so no resolve of these
    -- tenants runs beside the batch, and a batch needs no per-key or per-row advisory lock
    -- (the lock table stays small at any batch size).
    FOR v_tenant IN SELECT DISTINCT i.tenant_id FROM pg_temp.oi_cluster_in i ORDER BY 1 LOOP
        PERFORM omni_identity.tenant_lock_exclusive(v_tenant, interval '5 seconds');
    END LOOP;

    -- Stages 1-4b.
    v_nodes := omni_identity.pipeline_keys();
    IF v_nodes = 0 THEN
        RETURN NEXT;
        RETURN;
    END IF;
    PERFORM omni_identity.pipeline_redact_forgotten();
    PERFORM omni_identity.pipeline_evidence();
    PERFORM omni_identity.pipeline_generic();
    PERFORM omni_identity.pipeline_graph(v_nodes);
    PERFORM omni_identity.pipeline_components();
    PERFORM omni_identity.pipeline_roots();
    SELECT a.clusters_created, a.merges INTO clusters_created, merges
      FROM omni_identity.pipeline_apply() a;

    -- Stage 5: the sales carry their survivor.
    TRUNCATE pg_temp.oi_hash_write;
    INSERT INTO pg_temp.oi_hash_write (tenant_id, sale_id, hash, row_ctid)
    SELECT s.tenant_id, s.sale_id, s.survivor, s.row_ctid
      FROM pg_temp.oi_cl_sale s
     WHERE s.survivor IS NOT NULL;
    GET DIAGNOSTICS clustered = ROW_COUNT;
    FOR v_tenant IN SELECT DISTINCT r.tenant_id FROM pg_temp.oi_cl_root r ORDER BY 1 LOOP
        PERFORM omni_identity.pipeline_write_customer_hash(v_tenant);
    END LOOP;

    -- Stage 6: the sales processed without a cluster.
    INSERT INTO omni_identity.backfill_keyless (tenant_id, sale_id)
    SELECT s.tenant_id, s.sale_id FROM pg_temp.oi_cl_sale s
     WHERE s.survivor IS NULL
     ORDER BY s.tenant_id, s.sale_id
        ON CONFLICT (tenant_id, sale_id) DO NOTHING;

    RETURN NEXT;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.cluster_sales_batch()
    IS 'Set-based clustering of the sales in pg_temp.oi_cluster_in: locks, keys, components, merges, golden records, customer_hash.';
