-- One batch of reconciliation (design §7, §9). Re-resolution first: while reconcile_splits
-- finds work (a blocklist sweep, a split of queued clusters, the repoint of split
-- clusters' sales) the batch is that work and returns its count. Otherwise it claims up to p_batch_size pending merges
-- (customer_cluster_merges.reconciled_at IS NULL, oldest first) with FOR UPDATE SKIP
-- LOCKED, repoints customer_hash of every sale that still carries a claimed from_cluster
-- to the live cluster of the merge today, marks the merges reconciled, and returns how
-- many merges it reconciled (0 = nothing left to claim). Several workers may run it at
-- once; each batch is one transaction. Every statement that locks or writes names one
-- tenant (on Citus, one shard; Citus refuses FOR UPDATE on a statement over every
-- shard): the oldest pending merges are read without locks, then claimed tenant by tenant.
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
-- Isolation across tenants (job_isolate_tenants): each tenant's repoint and mark run in
-- their own subtransaction. When one fails with an error that is the tenant's own
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
    v_claimed  integer := 0;
    v_sales    integer := 0;
    v_skip     text[];
    v_failed   integer := 0;
    v_n        integer;   -- re-resolution work done by reconcile_splits
    v_cand_tenants text[];
    v_cand_ids bigint[];
    v_ids      bigint[];
    v_from     uuid[];
    v_into     uuid[];
    v_targets  uuid[];
    v_live     uuid[];
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
    TRUNCATE pg_temp.oi_rc_claim;
    SELECT coalesce(array_agg(j.tenant_id), '{}'::text[]) INTO v_skip
      FROM omni_identity.job_tenant_skip j WHERE j.job = 'reconcile';

    -- The oldest pending merges (at most p_batch_size), read without locks: Citus refuses
    -- FOR UPDATE on a statement that reads every tenant's shards, so the claim itself is
    -- made tenant by tenant below, each statement on one tenant.
    SELECT coalesce(array_agg(p.tenant_id ORDER BY p.merge_id), '{}'), coalesce(array_agg(p.merge_id ORDER BY p.merge_id), '{}')
      INTO v_cand_tenants, v_cand_ids
      FROM (SELECT m.tenant_id, m.merge_id
              FROM omni_identity.customer_cluster_merges m
             WHERE m.reconciled_at IS NULL
               AND m.tenant_id <> ALL (v_skip)
               -- A tenant whose split clusters' sales are still being repointed by their
               -- keys (split_repoint) waits: moving a merged-away alias's sales to the
               -- live cluster now could put them on the wrong side of the split.
               AND NOT EXISTS (SELECT FROM omni_identity.cluster_repoint_queue r WHERE r.tenant_id = m.tenant_id)
             ORDER BY m.merge_id
             LIMIT p_batch_size) p;

    -- Tenant by tenant, in tenant order (the order the reconcile locks are taken in):
    -- claim the tenant's merges read above with FOR UPDATE SKIP LOCKED (one primary-key
    -- probe each; a merge another worker claimed meanwhile, or reconciled, is left out),
    -- then take its reconcile lock (see header).
    FOR v_tenant IN SELECT DISTINCT t FROM unnest(v_cand_tenants) t ORDER BY 1 LOOP
        SELECT array_agg(u.id) INTO v_ids
          FROM unnest(v_cand_tenants, v_cand_ids) u(t, id) WHERE u.t = v_tenant;
        SELECT array_agg(c.merge_id), array_agg(c.from_cluster), array_agg(c.into_cluster)
          INTO v_ids, v_from, v_into
          FROM (SELECT m.merge_id, m.from_cluster, m.into_cluster
                  FROM omni_identity.customer_cluster_merges m
                 WHERE m.tenant_id = v_tenant
                   AND m.merge_id = ANY (v_ids)
                   AND m.reconciled_at IS NULL
                   FOR UPDATE SKIP LOCKED) c;
        CONTINUE WHEN v_ids IS NULL;
        v_claimed := v_claimed + cardinality(v_ids);
        PERFORM omni_identity.reconcile_lock(v_tenant);
        -- A split that committed between the read and the lock (it takes the same lock)
        -- queued repoints: the tenant's claimed merges stay pending (see above).
        CONTINUE WHEN EXISTS (SELECT FROM omni_identity.cluster_repoint_queue r WHERE r.tenant_id = v_tenant);
        -- The live target of every claimed merge, read now (under the lock): one
        -- primary-key probe per into_cluster.
        SELECT array_agg(cc.cluster_id), array_agg(coalesce(cc.merged_into, cc.cluster_id))
          INTO v_targets, v_live
          FROM omni_identity.customer_cluster cc
         WHERE cc.tenant_id = v_tenant
           AND cc.cluster_id = ANY (v_into);
        INSERT INTO pg_temp.oi_rc_claim (tenant_id, merge_id, from_cluster, into_cluster, live)
        SELECT v_tenant, c.merge_id, c.from_cluster, c.into_cluster, l.live
          FROM unnest(v_ids, v_from, v_into) c(merge_id, from_cluster, into_cluster)
          LEFT JOIN unnest(v_targets, v_live) l(cluster_id, live) ON l.cluster_id = c.into_cluster;
    END LOOP;
    IF v_claimed = 0 THEN
        -- The run is over: the tenants it skipped are tried again by the next one.
        DELETE FROM omni_identity.job_tenant_skip j WHERE j.job = 'reconcile';
        RETURN 0;
    END IF;

    -- The sales of the claimed from_clusters go to the live target, tenant by tenant
    -- (reconcile_tenant).
    -- Every tenant's part together, or each alone after a tenant's own error (see header).
    SELECT j.rows_written, j.rows_failed INTO v_sales, v_failed
      FROM omni_identity.job_isolate_tenants('reconcile', v_started) j;

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
