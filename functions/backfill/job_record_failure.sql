-- Record that one tenant's part of a cross-tenant job batch failed (the part was rolled
-- back by its subtransaction; the other tenants' parts commit): a batch_metrics row of
-- that tenant with error = 'SQLSTATE: message' (its own batch_id), the tenant skipped by
-- the job until the run ends (job_tenant_skip), and a WARNING naming the tenant, which the
-- CLI prints (it exits non-zero when a run recorded any failure).
CREATE OR REPLACE FUNCTION omni_identity.job_record_failure(
      p_job       text
    , p_tenant_id text
    , p_started   timestamptz
    , p_rows_in   integer
    , p_sqlstate  text
    , p_message   text
) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    INSERT INTO omni_identity.batch_metrics
           (tenant_id, batch_id, job, rows_in, rows_written, rows_rejected, clusters_created,
            merges, started_at, duration, error)
    VALUES (p_tenant_id, nextval('omni_identity.batch_id_seq'), p_job, p_rows_in, 0, 0, 0, 0,
            p_started, pg_catalog.clock_timestamp() - p_started, p_sqlstate || ': ' || p_message);
    INSERT INTO omni_identity.job_tenant_skip (tenant_id, job, sqlstate, message)
    VALUES (p_tenant_id, p_job, p_sqlstate, p_message)
        ON CONFLICT (tenant_id, job) DO UPDATE
       SET sqlstate = EXCLUDED.sqlstate, message = EXCLUDED.message, failed_at = EXCLUDED.failed_at;
    RAISE WARNING '% of tenant % failed (SQLSTATE %): %; the other tenants go on',
            p_job, p_tenant_id, p_sqlstate, p_message
        USING HINT = 'The tenant is skipped until this run ends; batch_metrics.error has the failure.';
END;
$fn$;
COMMENT ON FUNCTION omni_identity.job_record_failure(text, text, timestamptz, integer, text, text)
    IS 'Record a failed tenant part of a cross-tenant job batch: batch_metrics error row, job_tenant_skip, WARNING.';
