-- depends: 0150.alter-batch-metrics-batch-id-default
-- The evidence log of direct resolve calls (design §9.1): resolve_customer_cluster appends
-- one row per call that kept a key (its normalized keys, its golden_name when it has one,
-- its seen_at) instead of upserting key_evidence/key_pairs itself; evidence_fold moves a
-- tenant's rows into those tables with the batch core's aggregation (pipeline_evidence).
-- Evidence = key_evidence/key_pairs plus the rows not yet folded. Append-only between
-- folds: no primary key, no upsert; the one index serves the fold (all rows of a tenant).
CREATE TABLE omni_identity.resolve_evidence_log (
    tenant_id text        NOT NULL CHECK (tenant_id <> ''),
    email     text,
    phone     text,
    document  text,
    name      text,
    seen_at   timestamptz NOT NULL
);
CREATE INDEX resolve_evidence_log_tenant_idx ON omni_identity.resolve_evidence_log (tenant_id);
COMMENT ON TABLE omni_identity.resolve_evidence_log IS
    'Unfolded evidence of direct resolve calls: one row per call (its kept keys, name, seen_at); evidence_fold moves them into key_evidence/key_pairs.';

ALTER TABLE omni_identity.resolve_evidence_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.resolve_evidence_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON omni_identity.resolve_evidence_log FOR ALL TO omni_identity_app
    USING (tenant_id = pg_catalog.current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = pg_catalog.current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON omni_identity.resolve_evidence_log FOR ALL TO omni_identity_admin
    USING (true) WITH CHECK (true);
REVOKE ALL ON omni_identity.resolve_evidence_log FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON omni_identity.resolve_evidence_log TO omni_identity_admin;
-- The application appends (resolve) and folds its own tenant (block/forget call the fold,
-- which deletes the rows it moves, RETURNING them: SELECT).
GRANT SELECT, INSERT, DELETE ON omni_identity.resolve_evidence_log TO omni_identity_app;
