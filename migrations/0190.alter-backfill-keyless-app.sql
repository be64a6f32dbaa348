-- depends: 0180.create-generic-applied
-- backfill_keyless becomes the record of every sale processed without a cluster, by any
-- path (design §9.4): the batch core (cluster_sales_batch) records the sales it leaves
-- without a survivor — no usable key, or only generic ones whose evidence it recorded —
-- and the split's repoint the sales it leaves NULL. The backfill treats a recorded sale as
-- processed and never records its evidence again; the generic re-evaluation gives it the
-- cluster of a key that is active again. Ingest, the upload and automatic mode run the
-- batch core as the application role, in its own tenant: it inserts those rows.
COMMENT ON TABLE omni_identity.backfill_keyless IS
    'Sales processed without a cluster (no usable key, or only generic ones): customer_hash stays NULL, evidence already recorded.';
CREATE POLICY tenant_isolation ON omni_identity.backfill_keyless FOR ALL TO omni_identity_app
    USING (tenant_id = pg_catalog.current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = pg_catalog.current_setting('app.current_tenant_id', true));
GRANT SELECT, INSERT ON omni_identity.backfill_keyless TO omni_identity_app;
