-- How one batch of a cross-tenant job keeps one tenant's own error from failing the other
-- tenants (design §7): the batch's work is done for every tenant together, in one
-- subtransaction; when that fails with an error that is a tenant's own (job_tenant_fault:
-- e.g. a blocklist regex that does not compile) it is rolled back and the work is done
-- for each tenant alone, each in its own subtransaction. A tenant whose part fails so is
-- recorded (job_record_failure: a batch_metrics row with error, its rows_in the rows of the
-- tenant in the batch; a WARNING naming it; job_tenant_skip, so the job leaves it out for
-- the rest of the run) and the others' parts commit. Any other error stops the batch.
-- One subtransaction per batch, not per tenant, on the usual path: more than 64
-- subtransactions that write overflow the backend's subtransaction cache and slow every
-- snapshot of the server.
--
-- The caller holds the locks the work needs and has filled the batch:
--   'backfill'  (backfill_customer_hash(NULL)): the sales of pg_temp.oi_cluster_in; the
--               work is backfill_cluster. For a tenant alone, oi_cluster_in holds that
--               tenant's sales (the batch is kept in pg_temp.oi_bf_in meanwhile).
--   'reconcile' (reconcile_merges): the merges of pg_temp.oi_rc_claim, live targets set,
--               and pg_temp.oi_hash_write; the work is reconcile_tenant of each tenant.
-- Returns the work's counts summed over the parts that committed (rows_written: sales
-- clustered or repointed), and rows_failed: the rows of the tenants recorded as failed.
CREATE OR REPLACE FUNCTION omni_identity.job_isolate_tenants(
      p_job              text
    , p_started          timestamptz
    , OUT rows_written     integer
    , OUT clusters_created integer
    , OUT merges           integer
    , OUT rows_failed      integer
)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_tenants text[];
    v_rows    integer[];
    v_tenant  text;
    v_one     record;
    v_state   text;
    v_message text;
BEGIN
    rows_written := 0; clusters_created := 0; merges := 0; rows_failed := 0;

    -- Every tenant together.
    BEGIN
        CASE p_job
        WHEN 'backfill' THEN
            SELECT b.clustered, b.clusters_created, b.merges INTO rows_written, clusters_created, merges
              FROM omni_identity.backfill_cluster() b;
        WHEN 'reconcile' THEN
            FOR v_tenant IN SELECT DISTINCT c.tenant_id FROM pg_temp.oi_rc_claim c ORDER BY 1 LOOP
                rows_written := rows_written + omni_identity.reconcile_tenant(v_tenant);
            END LOOP;
        END CASE;
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        IF NOT omni_identity.job_tenant_fault(SQLSTATE) THEN
            RAISE;
        END IF;
    END;

    -- Each tenant alone. Variables are not rolled back with the subtransaction: the
    -- counts start again. The batch's tenants, in order, with their rows.
    rows_written := 0; clusters_created := 0; merges := 0;
    CASE p_job
    WHEN 'backfill' THEN
        TRUNCATE pg_temp.oi_bf_in;
        INSERT INTO pg_temp.oi_bf_in SELECT * FROM pg_temp.oi_cluster_in;
        SELECT array_agg(t.tenant_id ORDER BY t.tenant_id), array_agg(t.n ORDER BY t.tenant_id)
          INTO v_tenants, v_rows
          FROM (SELECT i.tenant_id, count(*)::integer AS n FROM pg_temp.oi_bf_in i GROUP BY 1) t;
    WHEN 'reconcile' THEN
        SELECT array_agg(t.tenant_id ORDER BY t.tenant_id), array_agg(t.n ORDER BY t.tenant_id)
          INTO v_tenants, v_rows
          FROM (SELECT c.tenant_id, count(*)::integer AS n FROM pg_temp.oi_rc_claim c GROUP BY 1) t;
    END CASE;

    FOR v_i IN 1 .. coalesce(cardinality(v_tenants), 0) LOOP
        v_tenant := v_tenants[v_i];
        IF p_job = 'backfill' THEN
            TRUNCATE pg_temp.oi_cluster_in;
            INSERT INTO pg_temp.oi_cluster_in SELECT * FROM pg_temp.oi_bf_in i WHERE i.tenant_id = v_tenant;
        END IF;
        BEGIN
            CASE p_job
            WHEN 'backfill' THEN
                SELECT * INTO v_one FROM omni_identity.backfill_cluster();
                rows_written := rows_written + v_one.clustered;
                clusters_created := clusters_created + v_one.clusters_created;
                merges := merges + v_one.merges;
            WHEN 'reconcile' THEN
                rows_written := rows_written + omni_identity.reconcile_tenant(v_tenant);
            END CASE;
        EXCEPTION WHEN OTHERS THEN
            IF NOT omni_identity.job_tenant_fault(SQLSTATE) THEN
                RAISE;
            END IF;
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
            rows_failed := rows_failed + v_rows[v_i];
            PERFORM omni_identity.job_record_failure(p_job, v_tenant, p_started, v_rows[v_i],
                                                     v_state, v_message);
        END;
    END LOOP;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.job_isolate_tenants(text, timestamptz)
    IS 'Do a cross-tenant job batch''s work for every tenant together, or after a tenant''s own error for each alone, recording the tenants that fail.';
