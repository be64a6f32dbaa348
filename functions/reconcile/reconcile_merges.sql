-- One batch of reconciliation (design §7, §9). Re-resolution first: while reconcile_splits
-- finds work (a blocklist sweep, a split of queued clusters, the repoint of split
-- clusters' sales) the batch is that work and returns its count. Otherwise it claims up to p_batch_size pending merges
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
--
-- Isolation across tenants: each tenant's repoint and mark run in their own
-- subtransaction. When one fails with an error that is the tenant's own
-- (job_tenant_fault), that part is rolled back and recorded (job_record_failure: a
-- batch_metrics row with error, a WARNING naming the tenant), its merges stay pending,
-- the claim leaves the tenant out for the rest of the run (job_tenant_skip), and the
-- other tenants' parts commit. The run ends when a claim finds nothing outside the
-- skipped tenants; the skip list is then cleared, so the next run tries them again.
-- lock_timeout (SET clause) bounds every wait of a batch (the reconcile lock of a tenant
-- held by another worker's batch, a sale's row lock); its error (55P03) stops the batch,
-- which the job loop retries. The tenant lock (L1) is not taken: reconcile never makes a
-- resolve wait.
CREATE OR REPLACE FUNCTION omni_identity.reconcile_merges(p_batch_size integer DEFAULT 5000)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
SET client_min_messages = warning
SET lock_timeout = '10s'
AS $fn$
DECLARE
    v_started  timestamptz := clock_timestamp();
    v_tenant   text;
    v_claimed  integer;
    v_n        integer;
    v_sales    integer := 0;
    v_skip     text[];
    v_failed   integer := 0;
    v_isolate  boolean := false;
    v_state    text;
    v_message  text;
BEGIN
    IF p_batch_size IS NULL OR p_batch_size < 1 OR p_batch_size > 100000 THEN
        RAISE EXCEPTION 'p_batch_size must be between 1 and 100000, got %', p_batch_size
            USING ERRCODE = 'OI032', HINT = 'Use a batch size such as 5000.';
    END IF;
    v_n := omni_identity.reconcile_splits(p_batch_size);
    IF v_n > 0 THEN
        RETURN v_n;
    END IF;
    PERFORM pg_catalog.set_config('omni_identity.reconcile_work', 'merge', true);
    PERFORM omni_identity.pipeline_temp_tables();
    TRUNCATE pg_temp.oi_rc_claim, pg_temp.oi_hash_write;
    SELECT coalesce(array_agg(j.tenant_id), '{}'::text[]) INTO v_skip
      FROM omni_identity.job_tenant_skip j WHERE j.job = 'reconcile';

    WITH claimed AS (
        SELECT m.tenant_id, m.merge_id, m.from_cluster, m.into_cluster
          FROM omni_identity.customer_cluster_merges m
         WHERE m.reconciled_at IS NULL
           AND m.tenant_id <> ALL (v_skip)
           -- A tenant whose split clusters' sales are still being repointed by their keys
           -- (split_repoint) waits: moving a merged-away alias's sales to the live
           -- cluster now could put them on the wrong side of the split.
           AND NOT EXISTS (SELECT FROM omni_identity.cluster_repoint_queue r WHERE r.tenant_id = m.tenant_id)
         ORDER BY m.merge_id
         LIMIT p_batch_size
           FOR UPDATE SKIP LOCKED
    )
    INSERT INTO pg_temp.oi_rc_claim (tenant_id, merge_id, from_cluster, into_cluster)
    SELECT c.tenant_id, c.merge_id, c.from_cluster, c.into_cluster FROM claimed c;
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
    IF v_claimed = 0 THEN
        -- The run is over: the tenants it skipped are tried again by the next one.
        DELETE FROM omni_identity.job_tenant_skip j WHERE j.job = 'reconcile';
        RETURN 0;
    END IF;

    FOR v_tenant IN SELECT DISTINCT c.tenant_id FROM pg_temp.oi_rc_claim c ORDER BY 1 LOOP
        -- Serializes the reconcilers of this tenant (see header).
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('omni_identity.reconcile'),
                                                 pg_catalog.hashtext(v_tenant));
    END LOOP;
    -- A split that committed between the claim and the locks (it takes the same lock)
    -- queued repoints: its tenant's merges wait for them (see the claim).
    DELETE FROM pg_temp.oi_rc_claim c
     WHERE EXISTS (SELECT FROM omni_identity.cluster_repoint_queue r WHERE r.tenant_id = c.tenant_id);

    -- The live target of every claimed merge, read now (under the locks): one primary-key
    -- probe each (a correlated subquery; a join on cluster_id = ANY (...) was planned as
    -- a scan of the whole customer_cluster table).
    UPDATE pg_temp.oi_rc_claim c
       SET live = (SELECT coalesce(cc.merged_into, cc.cluster_id)
                     FROM omni_identity.customer_cluster cc
                    WHERE cc.tenant_id = c.tenant_id AND cc.cluster_id = c.into_cluster
                    LIMIT 1);

    -- The sales of the claimed from_clusters go to the live target, through the batch
    -- core's write-back (pipeline_write_customer_hash), tenant by tenant in reconcile_tenant.
    INSERT INTO pg_temp.oi_hash_write (tenant_id, from_hash, hash)
    SELECT c.tenant_id, c.from_cluster, c.live FROM pg_temp.oi_rc_claim c;

    -- Every tenant's part together; when one fails with its own error, each alone (see
    -- header). One subtransaction per batch, not per tenant: more than 64 subtransactions
    -- that write overflow the backend's subtransaction cache and slow every snapshot of
    -- the server.
    BEGIN
        FOR v_tenant IN SELECT DISTINCT c.tenant_id FROM pg_temp.oi_rc_claim c ORDER BY 1 LOOP
            v_sales := v_sales + omni_identity.reconcile_tenant(v_tenant);
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        IF NOT omni_identity.job_tenant_fault(SQLSTATE) THEN
            RAISE;
        END IF;
        v_isolate := true;
    END;
    IF v_isolate THEN
        v_sales := 0;
        FOR v_tenant IN SELECT DISTINCT c.tenant_id FROM pg_temp.oi_rc_claim c ORDER BY 1 LOOP
            BEGIN
                v_sales := v_sales + omni_identity.reconcile_tenant(v_tenant);
            EXCEPTION WHEN OTHERS THEN
                IF NOT omni_identity.job_tenant_fault(SQLSTATE) THEN
                    RAISE;
                END IF;
                GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
                SELECT count(*)::integer INTO v_n FROM pg_temp.oi_rc_claim c WHERE c.tenant_id = v_tenant;
                v_failed := v_failed + v_n;
                PERFORM omni_identity.job_record_failure('reconcile', v_tenant, v_started, v_n,
                                                         v_state, v_message);
            END;
        END LOOP;
    END IF;

    INSERT INTO omni_identity.batch_metrics
           (tenant_id, batch_id, job, rows_in, rows_written, rows_rejected, clusters_created,
            merges, started_at, duration)
    VALUES ('*', nextval('omni_identity.batch_id_seq'), 'reconcile', v_claimed, v_sales, 0, 0,
            v_claimed - v_failed, v_started, clock_timestamp() - v_started);
    RETURN v_claimed;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_merges(integer)
    IS 'Repoint customer_hash of sales on merged-away clusters to the live survivor, mark merges reconciled (SKIP LOCKED workers).';
