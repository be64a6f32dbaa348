-- depends: 0170.index-key-evidence-linked
-- The over-merge guard (SPEC §12, design §9): per tenant, the generic_threshold reconcile
-- last applied to its keys (threshold NULL: re-evaluate anyway — remove_keys lowered the
-- counters of keys that had no key row). A reconcile re-evaluates a tenant only when its
-- current threshold differs from the row (no row = the default, 20, which every writer
-- applied), so a reconcile with nothing changed costs one read of the settings.
CREATE TABLE omni_identity.generic_applied (
    tenant_id  text        NOT NULL CHECK (tenant_id <> ''),
    threshold  integer     CHECK (threshold >= 0),
    applied_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT generic_applied_pkey PRIMARY KEY (tenant_id)
);
COMMENT ON TABLE omni_identity.generic_applied IS
    'The generic_threshold reconcile last applied to each tenant''s keys (NULL: re-evaluate).';

-- Reconcile (omni_identity_admin) reads and writes every tenant's row.
ALTER TABLE omni_identity.generic_applied ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.generic_applied FORCE ROW LEVEL SECURITY;
CREATE POLICY admin_all_tenants ON omni_identity.generic_applied FOR ALL TO omni_identity_admin
    USING (true) WITH CHECK (true);
REVOKE ALL ON omni_identity.generic_applied FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON omni_identity.generic_applied TO omni_identity_admin;
-- remove_keys (block_identifier, forget_*: the application role, its own tenant) resets
-- its tenant's row when counters of keys without a key row fell.
CREATE POLICY tenant_isolation ON omni_identity.generic_applied FOR ALL TO omni_identity_app
    USING (tenant_id = pg_catalog.current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = pg_catalog.current_setting('app.current_tenant_id', true));
GRANT SELECT, INSERT, UPDATE ON omni_identity.generic_applied TO omni_identity_app;
