-- The sales one backfill batch picks, into pg_temp.oi_bf_pick (see backfill_customer_hash):
-- the main pass (p_sweep false) takes the first p_batch_size sales without customer_hash
-- after the cursor (p_after_tenant_id, p_after_id) in (tenant_id, id) order, of tenant
-- p_tenant_id or (NULL) of every tenant; the sweep (p_sweep true) the first unprocessed
-- ones anywhere in the scope (backfill_unprocessed: customer_hash NULL and not in
-- backfill_keyless). Across tenants, both leave out the tenants the run skips after a
-- failure (job_tenant_skip). Returns the rows picked.
--
-- Sequential, bitmap scans and sorts are off for these statements (the SET clause is
-- local to the call; backfill_unprocessed has the same), which leaves the ordered walk of
-- omni_sales_unhashed_idx stopped by the LIMIT. Right after a bulk load, on a table never analyzed, the planner estimated
-- ~100 unhashed rows and read them all by a bitmap scan, then sorted them: every batch
-- read every sale still to do, so a backfill grew quadratically with the table
-- (BENCHMARKS.md, figures from comments).
-- On Citus the statement runs on the workers, where a function's SET clause does not
-- reach: there the same three settings are sent as SET LOCAL around the statement (Citus
-- sends a SET LOCAL on to the transaction's worker sessions when
-- citus.propagate_set_commands = 'local', which the lab and docs/scale-out.md set), and
-- set back to the workers' defaults after it. Without them the shard planned a bitmap
-- scan and a sort and read every sale still to do per batch
-- (tests_py/test_backfill_plans.py on the Citus lab).
CREATE OR REPLACE FUNCTION omni_identity.backfill_pick(
      p_tenant_id        text
    , p_after_tenant_id  text
    , p_after_id         bigint
    , p_sweep            boolean
    , p_batch_size       integer
)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = off
SET jit = off
AS $fn$
DECLARE
    v_n     integer;
    v_skip  text[] := '{}'::text[];
    v_citus boolean := omni_identity.citus_active();
BEGIN
    IF p_tenant_id IS NULL THEN
        SELECT coalesce(array_agg(j.tenant_id), '{}') INTO v_skip
          FROM omni_identity.job_tenant_skip j WHERE j.job = 'backfill';
    END IF;
    IF v_citus THEN
        SET LOCAL enable_seqscan = off;
        SET LOCAL enable_bitmapscan = off;
        SET LOCAL enable_sort = off;
    END IF;
    IF p_sweep THEN
        INSERT INTO pg_temp.oi_bf_pick (tenant_id, id)
        SELECT u.tenant_id, u.id FROM omni_identity.backfill_unprocessed(p_tenant_id, v_skip, p_batch_size) u;
    ELSIF p_tenant_id IS NOT NULL THEN
        INSERT INTO pg_temp.oi_bf_pick (tenant_id, id)
        SELECT s.tenant_id, s.id FROM public.omni_sales s
         WHERE s.tenant_id = p_tenant_id AND s.customer_hash IS NULL AND s.id > p_after_id
         ORDER BY s.tenant_id, s.id
         LIMIT p_batch_size;
    ELSE
        INSERT INTO pg_temp.oi_bf_pick (tenant_id, id)
        SELECT s.tenant_id, s.id FROM public.omni_sales s
         WHERE s.customer_hash IS NULL AND (s.tenant_id, s.id) > (p_after_tenant_id, p_after_id)
           AND s.tenant_id <> ALL (v_skip)
         ORDER BY s.tenant_id, s.id
         LIMIT p_batch_size;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_citus THEN
        SET LOCAL enable_seqscan TO DEFAULT;
        SET LOCAL enable_bitmapscan TO DEFAULT;
        SET LOCAL enable_sort TO DEFAULT;
    END IF;
    RETURN v_n;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.backfill_pick(text, text, bigint, boolean, integer)
    IS 'Pick the next backfill batch (main pass after the cursor, or the sweep) into pg_temp.oi_bf_pick by an ordered index walk; returns rows picked.';
