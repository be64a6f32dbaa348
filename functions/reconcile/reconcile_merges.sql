-- One batch of reconciliation: claims up to p_batch_size pending merges
-- (customer_cluster_merges.reconciled_at IS NULL, oldest first) with FOR UPDATE SKIP
-- LOCKED, repoints customer_hash of every sale that still carries a claimed from_cluster
-- to the live cluster of the merge today, marks the merges reconciled, and returns how
-- many merges it reconciled (0 = nothing left to claim). Several workers may run it at
-- once; each batch is one transaction.
--
-- The chain race, and why it cannot lose a sale. Worker 1 handles A→B while B is merged
-- into C and worker 2 handles B→C: worker 1 may repoint A's sales to B in a transaction
-- worker 2's UPDATE cannot see yet, and worker 2 would then mark B→C reconciled with
-- those sales left on B. Two rules close it:
--   * per tenant, reconcilers are serialized by an advisory lock (two-int key
--     ('omni_identity.reconcile', tenant), taken blocking in sorted tenant order after the
--     claim), and every repoint and mark happens under it. A worker that handles B→C
--     therefore starts its UPDATE (a fresh READ COMMITTED snapshot) only after every
--     earlier repoint of that tenant committed, and moves A's sales from B to C too;
--   * the target is the live cluster at the time of the UPDATE (into_cluster's own
--     merged_into when it has one; chains are never longer than 1), read in the same
--     statement. If B is merged into C after that, the merge B→C is a new pending row
--     and a later batch, serialized behind this one, repoints those sales again.
-- Batch writers (ingest, backfill, automatic mode) only ever write live clusters under
-- the exclusive tenant lock, and no merge happens while they hold it, so they cannot put
-- a sale on a cluster whose merge was already reconciled.
CREATE OR REPLACE FUNCTION omni_identity.reconcile_merges(p_batch_size integer DEFAULT 5000)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_started  timestamptz := clock_timestamp();
    v_tenant   text;
    v_claimed  integer;
    v_ids      bigint[];
    v_sales    integer := 0;
BEGIN
    IF p_batch_size IS NULL OR p_batch_size < 1 OR p_batch_size > 100000 THEN
        RAISE EXCEPTION 'p_batch_size must be between 1 and 100000, got %', p_batch_size
            USING ERRCODE = 'OI032', HINT = 'Use a batch size such as 5000.';
    END IF;
    PERFORM omni_identity.pipeline_temp_tables();
    TRUNCATE pg_temp.oi_rc_claim, pg_temp.oi_hash_write;

    WITH claimed AS (
        SELECT m.tenant_id, m.merge_id, m.from_cluster, m.into_cluster
          FROM omni_identity.customer_cluster_merges m
         WHERE m.reconciled_at IS NULL
         ORDER BY m.merge_id
         LIMIT p_batch_size
           FOR UPDATE SKIP LOCKED
    )
    INSERT INTO pg_temp.oi_rc_claim (tenant_id, merge_id, from_cluster, into_cluster)
    SELECT c.tenant_id, c.merge_id, c.from_cluster, c.into_cluster FROM claimed c;
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
    IF v_claimed = 0 THEN
        RETURN 0;
    END IF;

    FOR v_tenant IN SELECT DISTINCT c.tenant_id FROM pg_temp.oi_rc_claim c ORDER BY 1 LOOP
        -- Serializes the reconcilers of this tenant (see header).
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('omni_identity.reconcile'),
                                                 pg_catalog.hashtext(v_tenant));
    END LOOP;

    -- The live target of every claimed merge, read now (under the locks): one primary-key
    -- probe each (a correlated subquery; a join on cluster_id = ANY (...) was planned as
    -- a scan of the whole customer_cluster table).
    UPDATE pg_temp.oi_rc_claim c
       SET live = (SELECT coalesce(cc.merged_into, cc.cluster_id)
                     FROM omni_identity.customer_cluster cc
                    WHERE cc.tenant_id = c.tenant_id AND cc.cluster_id = c.into_cluster
                    LIMIT 1);

    -- The sales of the claimed from_clusters go to the live target: the batch core's
    -- write-back (pipeline_write_customer_hash: one probe of (tenant_id, customer_hash)
    -- per merge, then one UPDATE by TID in ctid order, repeated until every sale found
    -- was written). One UPDATE ... FROM with the probes inside (a nested loop) measured
    -- the same; this form writes the heap in physical order, as the single UPDATE of the
    -- whole table does, not in claim order all over it.
    INSERT INTO pg_temp.oi_hash_write (tenant_id, from_hash, hash)
    SELECT c.tenant_id, c.from_cluster, c.live FROM pg_temp.oi_rc_claim c;

    FOR v_tenant IN SELECT DISTINCT c.tenant_id FROM pg_temp.oi_rc_claim c ORDER BY 1 LOOP
        v_sales := v_sales + omni_identity.pipeline_write_customer_hash(v_tenant);

        SELECT array_agg(c.merge_id) INTO v_ids FROM pg_temp.oi_rc_claim c WHERE c.tenant_id = v_tenant;
        UPDATE omni_identity.customer_cluster_merges m
           SET reconciled_at = now()
         WHERE m.tenant_id = v_tenant
           AND m.merge_id = ANY (v_ids);
    END LOOP;

    INSERT INTO omni_identity.batch_metrics
           (tenant_id, batch_id, job, rows_in, rows_written, rows_rejected, clusters_created,
            merges, started_at, duration)
    VALUES ('*', nextval('omni_identity.batch_id_seq'), 'reconcile', v_claimed, v_sales, 0, 0,
            v_claimed, v_started, clock_timestamp() - v_started);
    RETURN v_claimed;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_merges(integer)
    IS 'Repoint customer_hash of sales on merged-away clusters to the live survivor, mark merges reconciled (SKIP LOCKED workers).';
