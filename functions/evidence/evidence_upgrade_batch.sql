-- One resumable batch of the evidence upgrade (design §9; docs/reresolution.md,
-- "Upgrading"): a tenant clustered before evidence existed (a row of evidence_upgrade,
-- seeded by migration 0110) gets the evidence of its past inputs, after which
-- require_evidence_complete (OI050) lets block, forget and split run. Of tenant
-- p_tenant_id, or (NULL) of the first tenant in tenant_id order whose upgrade is not
-- complete. Returns the units of work done (sales read, clusters examined, 1 for the
-- completion step), 0 = nothing left: the same units as evidence_upgrade_remaining.
--
-- Phases, each call doing one batch of the first that has work:
--   1. sales: the tenant's omni_sales rows of (next_sale_id, through_sale_id], in id
--      order, p_batch_size at a time, go through the recording stages of the pipeline
--      (pg_temp.oi_cluster_in, pipeline_keys, pipeline_evidence), never through
--      clustering: the partition is already there. next_sale_id moves past them.
--      Every sale of the range is the upgrade's to read, whether the backfill had
--      processed it at migration time or not: the backfill never records the evidence
--      of a sale up to its tenant's through_sale_id (its evidence flag, design §9), so
--      no sale is recorded twice. Sales with id > through_sale_id are recorded by
--      whichever path processes them after the migration.
--   2. keys (evidence_upgrade_keys): the live clusters in cluster_id order after
--      after_cluster_id, p_batch_size at a time: keys no stored sale showed (direct
--      resolve calls before the upgrade, whose pairs were never stored) get evidence
--      that keeps today's partition and golden record (the star rule, in that
--      function's header).
--   3. completion: one scan of the tenant's keys for any still without evidence (a live
--      merge can move keys into a cluster the cursor passed); found, their clusters are
--      done as in 2 and the call returns; none, completed_at is set.
-- Concurrency: the exclusive tenant lock (L1) for the batch, tried and never queued
-- for long (tenant_lock_job, as the backfill); refused, OI035 before any work and the
-- job loop retries. resolve_customer_cluster holds the key shared, so no live call
-- changes the tenant's keys during a batch; every batch is its own short transaction,
-- and killed at any moment it leaves nothing, the next call redoing it.
CREATE OR REPLACE FUNCTION omni_identity.evidence_upgrade_batch(
      p_tenant_id  text    DEFAULT NULL
    , p_batch_size integer DEFAULT 10000
) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
SET lock_timeout = '200ms'
AS $fn$
DECLARE
    v_tenant text;
    v_up     record;
    v_n      integer;
    v_last   bigint;
BEGIN
    -- Who may run it is EXECUTE (functions/grants.sql: omni_identity_admin only).
    IF p_tenant_id IS NOT NULL THEN
        PERFORM omni_identity.require_tenant(p_tenant_id);
    END IF;
    IF p_batch_size IS NULL OR p_batch_size < 1 OR p_batch_size > 100000 THEN
        RAISE EXCEPTION 'p_batch_size must be between 1 and 100000, got %', p_batch_size
            USING ERRCODE = 'OI065', HINT = 'Use a batch size such as 10000.';
    END IF;

    IF p_tenant_id IS NOT NULL THEN
        v_tenant := p_tenant_id;
    ELSE
        SELECT u.tenant_id INTO v_tenant FROM omni_identity.evidence_upgrade u
         WHERE u.completed_at IS NULL ORDER BY u.tenant_id LIMIT 1;
    END IF;
    IF v_tenant IS NULL OR NOT EXISTS (SELECT 1 FROM omni_identity.evidence_upgrade u
                                        WHERE u.tenant_id = v_tenant AND u.completed_at IS NULL) THEN
        RETURN 0;
    END IF;

    IF NOT omni_identity.tenant_lock_job(v_tenant) THEN
        RAISE EXCEPTION 'tenant % is busy: open transactions hold its lock', pg_catalog.left(v_tenant, 100)
            USING ERRCODE = 'OI035',
                  HINT = 'Call again after a short, jittered pause (the CLI does); a transaction that called resolve_customer_cluster holds the lock until it ends.';
    END IF;
    SELECT u.through_sale_id, u.next_sale_id, u.after_cluster_id, u.completed_at INTO v_up
      FROM omni_identity.evidence_upgrade u
     WHERE u.tenant_id = v_tenant
       FOR UPDATE;
    IF v_up.completed_at IS NOT NULL THEN
        RETURN 0;
    END IF;

    -- 1. Sales.
    IF v_up.next_sale_id < v_up.through_sale_id THEN
        PERFORM omni_identity.pipeline_temp_tables();
        TRUNCATE pg_temp.oi_cluster_in;
        INSERT INTO pg_temp.oi_cluster_in
               (tenant_id, sale_id, seen_at, buyer_email, buyer_phone, buyer_document, buyer_name)
        SELECT s.tenant_id, s.id, s.created_at, s.buyer_email, s.buyer_phone, s.buyer_document,
               s.buyer_name
          FROM public.omni_sales s
         WHERE s.tenant_id = v_tenant
           AND s.id > v_up.next_sale_id AND s.id <= v_up.through_sale_id
         ORDER BY s.id
         LIMIT p_batch_size;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        IF v_n > 0 THEN
            IF omni_identity.pipeline_keys() > 0 THEN
                PERFORM omni_identity.pipeline_evidence();
            END IF;
        END IF;
        IF v_n < p_batch_size THEN
            v_last := v_up.through_sale_id;     -- the range is done
        ELSE
            SELECT max(i.sale_id) INTO v_last FROM pg_temp.oi_cluster_in i;
        END IF;
        UPDATE omni_identity.evidence_upgrade u SET next_sale_id = v_last
         WHERE u.tenant_id = v_tenant;
        IF v_n > 0 THEN
            RETURN v_n;
        END IF;
        -- Nothing was left to read: go on with the keys in this call.
    END IF;

    -- 2. Keys, cluster by cluster after the cursor.
    v_n := omni_identity.evidence_upgrade_keys(v_tenant, v_up.after_cluster_id, p_batch_size);
    IF v_n > 0 THEN
        RETURN v_n;
    END IF;

    -- 3. Completion: keys still without evidence anywhere in the tenant.
    v_n := omni_identity.evidence_upgrade_keys(v_tenant, NULL, p_batch_size, true);
    IF v_n > 0 THEN
        RETURN v_n;
    END IF;
    UPDATE omni_identity.evidence_upgrade u SET completed_at = now()
     WHERE u.tenant_id = v_tenant;
    -- The blocklist sweep skipped the tenant while its evidence was incomplete
    -- (blocklist_sweep_next): a state no blocklist has makes the next reconcile sweep it.
    INSERT INTO omni_identity.blocklist_sweep (tenant_id, state, swept_at)
    VALUES (v_tenant, 'upgraded', now())
    ON CONFLICT (tenant_id) DO UPDATE SET state = EXCLUDED.state, swept_at = EXCLUDED.swept_at;
    -- The upgrade wrote counters (sales and star pairs) without the generic rule; a NULL
    -- threshold applied makes the next reconcile re-evaluate every key of the tenant
    -- (generic_sweep_next), as remove_keys does when counters fall.
    INSERT INTO omni_identity.generic_applied AS a (tenant_id, threshold, applied_at)
    VALUES (v_tenant, NULL, now())
    ON CONFLICT (tenant_id) DO UPDATE SET threshold = NULL, applied_at = EXCLUDED.applied_at;
    RETURN 1;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.evidence_upgrade_batch(text, integer)
    IS 'One resumable batch of the evidence upgrade (sales of the range, then keys no sale showed, then completion) of one tenant or the next incomplete one; returns units done, 0 = nothing left.';
