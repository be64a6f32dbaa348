-- depends: 0081.add-batch-metrics-error
-- The tenants a cross-tenant job skips for the rest of its run because their part of a
-- batch failed (the failure itself is a batch_metrics row with error set). Without it,
-- the failing tenant's sales (or merges) would be picked again by every later batch and
-- the run would never end. A run ends when the job finds nothing left to do outside the
-- skipped tenants: it then clears its rows here, so the next run tries those tenants
-- again (and reports them again while they still fail). job: 'backfill' (the '*' scope
-- of backfill_customer_hash) or 'reconcile'. Admin-only, like the backfill checkpoint.
CREATE TABLE omni_identity.job_tenant_skip (
    tenant_id  text        NOT NULL CHECK (tenant_id <> ''),
    job        text        NOT NULL CHECK (job IN ('backfill', 'reconcile')),
    sqlstate   text        NOT NULL,
    message    text        NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_tenant_skip_pkey PRIMARY KEY (tenant_id, job)
);
COMMENT ON TABLE omni_identity.job_tenant_skip IS
    'Tenants a cross-tenant job (backfill *, reconcile) skips until its run ends, after their part of a batch failed.';

ALTER TABLE omni_identity.job_tenant_skip ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.job_tenant_skip FORCE ROW LEVEL SECURITY;
CREATE POLICY admin_all_tenants ON omni_identity.job_tenant_skip
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);

REVOKE ALL ON omni_identity.job_tenant_skip FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON omni_identity.job_tenant_skip TO omni_identity_admin;
