-- One resumable, idempotent, set-based batch of the backfill (design §7): clusters up to
-- p_batch_size sales that have no customer_hash yet, of one tenant or (p_tenant_id NULL,
-- an admin job) of every tenant, and returns how many sales it processed (0 = done).
-- The batch is one transaction: killed at any moment, nothing of it stays, and the next
-- call picks the same sales again.
--
-- Checkpoint (why no sale is ever skipped). Identity ids commit out of order: a sale
-- with a lower id can become visible after the cursor passed its id. So the cursor is
-- only an optimization, never the definition of "processed":
--   * a sale is processed when it has a customer_hash, or when it is recorded in
--     omni_identity.backfill_keyless (examined, no usable key);
--   * the main pass walks omni_sales_unhashed_idx (customer_hash IS NULL) after the
--     scope's cursor (backfill_checkpoint, one row per scope: a tenant or '*'), so keyless
--     sales are never examined twice by it;
--   * when the main pass finds nothing, a sweep looks for unprocessed sales anywhere in
--     the scope (customer_hash IS NULL and not in backfill_keyless): exactly the sales
--     that committed behind the cursor. Only when the sweep finds nothing either does
--     the call return 0, so a run that reaches 0 has processed every sale committed
--     before its last call.
-- Concurrency (design §5). The checkpoint row is locked FOR UPDATE first (one backfill per scope at
-- a time). The sales are picked without locks, then the tenants of the batch are locked
-- EXCLUSIVE in sorted order (L1, tenant_lock_key, at most 100 tenants per batch), and the
-- rows are read again under the locks with customer_hash IS NULL re-checked, so a sale
-- clustered meanwhile by ingest, automatic mode or another backfill scope is left alone.
-- resolve_customer_cluster calls of those tenants wait for the batch (they hold the
-- tenant key SHARED), which keeps both correct; no per-row advisory lock is taken.
-- The batch never waits in the queue of a tenant lock for long (a queued exclusive
-- request makes every resolve of the tenant wait behind it, for as long as any
-- transaction holding it shared stays open): each tenant is tried once
-- (pg_try_advisory_xact_lock; tenant_lock_job may add one queued request bounded by the
-- transaction's omni_identity.tenant_lock_wait, which the job loop sets only after its
-- tries were refused for a while). One tenant's backfill (p_tenant_id given) then fails
-- at once with OI035 ("tenant busy"), before any work; the job loop backs off and calls
-- again. Across tenants, a busy tenant's sales are left for the sweep (the cursor moves
-- past them) and the others go on; only a batch whose tenants are all busy fails with
-- OI035. lock_timeout (SET clause) bounds every
-- other wait of the batch (the checkpoint row, a sale's row lock), so a batch never holds
-- a tenant's lock for long while waiting itself; its error (55P03) reaches the job loop,
-- which retries too. How long a batch holds the lock grows with p_batch_size
-- (BENCHMARKS.md, "convoy"): the CLI sizes its batches to a target hold time.
--
-- Isolation across tenants (p_tenant_id NULL, job_isolate_tenants). The batch clusters
-- its tenants together; when that fails with an error that is a tenant's own
-- (job_tenant_fault: e.g. a blocklist regex that does not compile), it is rolled back (a
-- subtransaction) and each tenant is clustered alone, in its own subtransaction: the
-- failing tenant is recorded (job_record_failure: a batch_metrics row with error, a
-- WARNING naming it) and skipped by both passes for the rest of the run
-- (job_tenant_skip), the others commit. The run ends when the sweep finds nothing
-- outside the skipped tenants; the skip list is then cleared, so the next run tries
-- those tenants again. One tenant's backfill is not isolated: its error reaches the
-- caller.
CREATE OR REPLACE FUNCTION omni_identity.backfill_customer_hash(
      p_tenant_id  text    DEFAULT NULL
    , p_batch_size integer DEFAULT 10000
) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
SET lock_timeout = '200ms'
AS $fn$
DECLARE
    c_max_tenants CONSTANT integer := 100;
    v_started     timestamptz := clock_timestamp();
    v_scope       text;
    v_after_t     text;
    v_after_id    bigint;
    v_sweep       boolean := false;
    v_picked      integer;
    v_tenant      text;
    v_last        record;
    v_locked      text[] := '{}'::text[];
    v_busy        text[] := '{}'::text[];
    v_clustered   integer := 0;
    v_created     integer := 0;
    v_merges      integer := 0;
    v_one         record;
BEGIN
    -- Who may run it at all is EXECUTE (functions/grants.sql: omni_identity_admin only).
    IF p_tenant_id IS NOT NULL THEN
        PERFORM omni_identity.require_tenant(p_tenant_id);
    END IF;
    IF p_batch_size IS NULL OR p_batch_size < 1 OR p_batch_size > 100000 THEN
        RAISE EXCEPTION 'p_batch_size must be between 1 and 100000, got %', p_batch_size
            USING ERRCODE = 'OI032', HINT = 'Use a batch size such as 10000.';
    END IF;
    PERFORM omni_identity.pipeline_temp_tables();
    v_scope := coalesce(p_tenant_id, '*');

    -- One tenant: its lock first, before any work (never queued, see header).
    IF p_tenant_id IS NOT NULL AND NOT omni_identity.tenant_lock_job(p_tenant_id) THEN
        RAISE EXCEPTION 'tenant % is busy: open transactions hold its lock', pg_catalog.left(p_tenant_id, 100)
            USING ERRCODE = 'OI035',
                  HINT = 'Call again after a short, jittered pause (the CLI does); a transaction that called resolve_customer_cluster holds the lock until it ends.';
    END IF;

    INSERT INTO omni_identity.backfill_checkpoint (tenant_id) VALUES (v_scope)
        ON CONFLICT (tenant_id) DO NOTHING;
    SELECT c.after_tenant_id, c.after_id INTO v_after_t, v_after_id
      FROM omni_identity.backfill_checkpoint c
     WHERE c.tenant_id = v_scope
       FOR UPDATE;

    TRUNCATE pg_temp.oi_bf_pick;

    -- Main pass: after the cursor, in (tenant_id, id) order (backfill_pick: an ordered
    -- walk of omni_sales_unhashed_idx whatever the table's statistics).
    v_picked := omni_identity.backfill_pick(p_tenant_id, v_after_t, v_after_id, false, p_batch_size);

    -- Sweep: sales that committed behind the cursor.
    IF v_picked = 0 THEN
        v_sweep := true;
        v_picked := omni_identity.backfill_pick(p_tenant_id, NULL, NULL, true, p_batch_size);
        IF v_picked = 0 THEN
            -- The run is over: the tenants it skipped are tried again by the next one.
            IF p_tenant_id IS NULL THEN
                DELETE FROM omni_identity.job_tenant_skip j WHERE j.job = 'backfill';
            END IF;
            RETURN 0;
        END IF;
    END IF;

    -- At most c_max_tenants tenants per batch (few locks whatever the tenants' sizes).
    DELETE FROM pg_temp.oi_bf_pick p
     WHERE p.tenant_id > (SELECT t.tenant_id
                            FROM (SELECT DISTINCT q.tenant_id FROM pg_temp.oi_bf_pick q) t
                           ORDER BY t.tenant_id OFFSET c_max_tenants - 1 LIMIT 1);

    -- The cursor moves past every picked sale, busy tenants' included (the sweep takes them).
    IF NOT v_sweep THEN
        SELECT p.tenant_id, p.id INTO v_last FROM pg_temp.oi_bf_pick p
         ORDER BY p.tenant_id DESC, p.id DESC LIMIT 1;
    END IF;

    -- L1: exclusive tenant locks in sorted order, each tried once, before the rows are
    -- read again (a tenant of p_tenant_id is already held).
    FOR v_tenant IN SELECT DISTINCT p.tenant_id FROM pg_temp.oi_bf_pick p ORDER BY 1 LOOP
        IF pg_catalog.pg_try_advisory_xact_lock(omni_identity.tenant_lock_key(v_tenant)) THEN
            v_locked := v_locked || v_tenant;
        ELSE
            v_busy := v_busy || v_tenant;
        END IF;
    END LOOP;
    -- All refused: the first may still be had by a bounded queued request (tenant_lock_job).
    IF cardinality(v_locked) = 0 AND omni_identity.tenant_lock_job(v_busy[1]) THEN
        v_locked := v_busy[1:1];
        v_busy := v_busy[2:];
    END IF;
    IF cardinality(v_locked) = 0 THEN
        RAISE EXCEPTION 'every tenant of the batch is busy (%): open transactions hold their locks',
                pg_catalog.left(pg_catalog.array_to_string(v_busy, ', '), 200)
            USING ERRCODE = 'OI035',
                  HINT = 'Call again after a short, jittered pause (the CLI does); a transaction that called resolve_customer_cluster holds its tenant''s lock until it ends.';
    END IF;
    IF cardinality(v_busy) > 0 THEN
        DELETE FROM pg_temp.oi_bf_pick p WHERE p.tenant_id = ANY (v_busy);
    END IF;
    SELECT count(*) INTO v_picked FROM pg_temp.oi_bf_pick;

    -- Read again under the locks: one primary-key probe per picked sale (LATERAL, an
    -- optimization fence), still without a customer_hash. The ctid of the version read
    -- lets cluster_sales_batch write customer_hash without probing again.
    TRUNCATE pg_temp.oi_cluster_in;
    IF NOT omni_identity.citus_active() THEN
        -- evidence: a sale up to the evidence upgrade's through_sale_id is the upgrade's to
        -- read (design §9.1), whether or not it has run yet; the backfill never records it.
        INSERT INTO pg_temp.oi_cluster_in
               (tenant_id, sale_id, seen_at, buyer_email, buyer_phone, buyer_document, buyer_name,
                row_ctid, evidence)
        SELECT s.tenant_id, s.id, s.created_at, s.buyer_email, s.buyer_phone, s.buyer_document,
               s.buyer_name, s.row_ctid,
               NOT EXISTS (SELECT 1 FROM omni_identity.evidence_upgrade u
                            WHERE u.tenant_id = s.tenant_id AND s.id <= u.through_sale_id)
          FROM pg_temp.oi_bf_pick p
          CROSS JOIN LATERAL (
                SELECT o.tenant_id, o.id, o.created_at, o.buyer_email, o.buyer_phone,
                       o.buyer_document, o.buyer_name, o.customer_hash, o.ctid AS row_ctid
                  FROM public.omni_sales o
                 WHERE o.tenant_id = p.tenant_id AND o.id = p.id
                 OFFSET 0) s
         WHERE s.customer_hash IS NULL;
    ELSE
        -- Citus refuses the per-row LATERAL probe: per tenant, one statement routed to
        -- the tenant's shard reads the picked sales (the picks go there as an
        -- intermediate result), with the same evidence rule.
        FOR v_tenant IN SELECT DISTINCT p.tenant_id FROM pg_temp.oi_bf_pick p ORDER BY 1 LOOP
            INSERT INTO pg_temp.oi_cluster_in
                   (tenant_id, sale_id, seen_at, buyer_email, buyer_phone, buyer_document,
                    buyer_name, row_ctid, evidence)
            SELECT o.tenant_id, o.id, o.created_at, o.buyer_email, o.buyer_phone,
                   o.buyer_document, o.buyer_name, o.ctid,
                   NOT EXISTS (SELECT 1 FROM omni_identity.evidence_upgrade u
                                WHERE u.tenant_id = v_tenant AND o.id <= u.through_sale_id)
              FROM public.omni_sales o
             WHERE o.tenant_id = v_tenant
               AND o.id IN (SELECT p.id FROM pg_temp.oi_bf_pick p WHERE p.tenant_id = v_tenant)
               AND o.customer_hash IS NULL;
        END LOOP;
    END IF;
    -- No ANALYZE: cluster_sales_batch reads oi_cluster_in once, by a single scan.

    IF p_tenant_id IS NOT NULL THEN
        SELECT * INTO v_one FROM omni_identity.backfill_cluster();
        v_clustered := v_one.clustered; v_created := v_one.clusters_created; v_merges := v_one.merges;
    ELSE
        -- Every tenant together, or each alone after a tenant's own error (see header).
        SELECT j.rows_written, j.clusters_created, j.merges INTO v_clustered, v_created, v_merges
          FROM omni_identity.job_isolate_tenants('backfill', v_started) j;
    END IF;

    IF NOT v_sweep THEN
        UPDATE omni_identity.backfill_checkpoint c
           SET after_tenant_id = v_last.tenant_id, after_id = v_last.id, updated_at = now()
         WHERE c.tenant_id = v_scope;
    END IF;

    INSERT INTO omni_identity.batch_metrics
           (tenant_id, batch_id, job, rows_in, rows_written, rows_rejected, clusters_created,
            merges, started_at, duration)
    VALUES (v_scope, nextval('omni_identity.batch_id_seq'), 'backfill', v_picked,
            v_clustered, 0, v_created, v_merges, v_started,
            clock_timestamp() - v_started);
    RETURN v_picked;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.backfill_customer_hash(text, integer)
    IS 'One set-based, resumable backfill batch of sales without customer_hash (NULL tenant = all tenants); returns rows processed, 0 = done.';
