-- The re-resolution part of one reconcile_merges batch (design §9), run before merges are
-- repointed:
--   1. a blocklist sweep of the next tenant whose blocklist changed (blocklist_sweep_next,
--      blocklist_sweep_tenant);
--   1b. else the generic-value re-evaluation of the next tenant whose generic_threshold
--      changed (generic_sweep_next, generic_sweep_tenant);
--   2. else a split of up to p_batch_size queued clusters of one tenant (split_clusters);
--   3. else the repoint of up to p_batch_size sales of split clusters of one tenant
--      (split_repoint).
-- 1, 1b and 2 read evidence, so they fold the tenant's evidence log first (evidence_fold);
-- they change keys, so they run under the tenant's lock exclusive (tenant_lock_exclusive:
-- no resolve or batch of the tenant beside them; after 1 s of trying, OI035, which the job
-- loop retries), then its reconcile lock (R, design §5); 3 only writes customer_hash, by
-- the keys of the moment, under R alone: a resolve that merges meanwhile leaves a pending
-- merge that the merge repoint handles after it. The work done is named in the
-- transaction-local setting omni_identity.reconcile_work ('sweep', 'generic', 'split', 'repoint':
-- sales moved, 'repoint-done': clusters finished; reconcile_merges names 'merge') for
-- the job loop's report. Returns the work done (keys swept + 1, clusters split, sales
-- moved or clusters finished); 0 = nothing to do (reconcile_merges then repoints merges).
CREATE OR REPLACE FUNCTION omni_identity.reconcile_splits(p_batch_size integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_tenant text;
    v_n      integer;
    v_next   text;
BEGIN
    -- One tenant's sweep is a unit of its own (the clusters it queues are split by the
    -- next call): a batch holds one tenant's locks.
    v_tenant := omni_identity.blocklist_sweep_next();
    IF v_tenant IS NOT NULL THEN
        PERFORM omni_identity.tenant_lock_exclusive(v_tenant, interval '1 second');
        PERFORM omni_identity.reconcile_lock(v_tenant);
        PERFORM omni_identity.evidence_fold(v_tenant);   -- evidence first (design §9.1)
        v_n := omni_identity.blocklist_sweep_tenant(v_tenant);
        PERFORM pg_catalog.set_config('omni_identity.reconcile_work', 'sweep', true);
        RETURN v_n + 1;
    END IF;

    -- A tenant whose generic_threshold changed (or whose counters fell for keys without a
    -- key row): its keys are re-evaluated (generic_sweep_tenant); the clusters it queues
    -- are split by the next call.
    v_tenant := omni_identity.generic_sweep_next();
    IF v_tenant IS NOT NULL THEN
        PERFORM omni_identity.tenant_lock_exclusive(v_tenant, interval '1 second');
        PERFORM omni_identity.reconcile_lock(v_tenant);
        PERFORM omni_identity.evidence_fold(v_tenant);   -- evidence first (design §9.1)
        v_n := omni_identity.generic_sweep_tenant(v_tenant);
        PERFORM pg_catalog.set_config('omni_identity.reconcile_work', 'generic', true);
        RETURN v_n + 1;
    END IF;

    -- The first tenant, in tenant order, with a queued cluster no other worker holds:
    -- tenant by tenant (the next one by an index probe over every shard, then a lock on
    -- that tenant alone), as Citus refuses FOR UPDATE on a statement over every shard.
    SELECT min(q.tenant_id) INTO v_next FROM omni_identity.cluster_split_queue q;
    WHILE v_next IS NOT NULL LOOP
        SELECT q.tenant_id INTO v_tenant
          FROM omni_identity.cluster_split_queue q
         WHERE q.tenant_id = v_next
         ORDER BY q.queued_at
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
        EXIT WHEN v_tenant IS NOT NULL;
        SELECT min(q.tenant_id) INTO v_next FROM omni_identity.cluster_split_queue q WHERE q.tenant_id > v_next;
    END LOOP;
    IF v_tenant IS NOT NULL THEN
        PERFORM omni_identity.tenant_lock_exclusive(v_tenant, interval '1 second');
        PERFORM omni_identity.reconcile_lock(v_tenant);
        PERFORM omni_identity.evidence_fold(v_tenant);   -- evidence first (design §9.1)
        v_n := omni_identity.split_clusters(v_tenant, p_batch_size);
        IF v_n > 0 THEN
            PERFORM pg_catalog.set_config('omni_identity.reconcile_work', 'split', true);
            RETURN v_n;
        END IF;
    END IF;

    SELECT r.tenant_id INTO v_tenant
      FROM omni_identity.cluster_repoint_queue r
     ORDER BY r.tenant_id
     LIMIT 1;
    IF v_tenant IS NOT NULL THEN
        PERFORM omni_identity.reconcile_lock(v_tenant);
        v_n := omni_identity.split_repoint(v_tenant, p_batch_size);
        IF v_n > 0 THEN
            RETURN v_n;     -- split_repoint named its work
        END IF;
    END IF;
    RETURN 0;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.reconcile_splits(integer)
    IS 'One unit of re-resolution work of reconcile: a blocklist sweep, else a split batch, else a repoint batch; 0 = none.';
