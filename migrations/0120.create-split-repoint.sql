-- depends: 0110.create-identity-evidence
-- Re-resolution, the split's bookkeeping (design §9):
--
-- cluster_repoint_queue: clusters whose sales must be repointed by their own keys after a
-- split (the split cluster and its merged-away aliases), written in the split's own
-- transaction and deleted when no sale of the cluster needs to move: a reconcile killed
-- between the split and the repoint finds them here.
CREATE TABLE omni_identity.cluster_repoint_queue (
    tenant_id  text        NOT NULL CHECK (tenant_id <> ''),
    cluster_id uuid        NOT NULL,
    queued_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cluster_repoint_queue_pkey PRIMARY KEY (tenant_id, cluster_id)
);
COMMENT ON TABLE omni_identity.cluster_repoint_queue IS
    'Clusters whose sales reconcile repoints by their own keys after a split.';

-- blocklist_sweep: per tenant, the state of the blocklist (global rows and the tenant's)
-- that reconcile last swept the tenant's keys against; tenant_id '*' = the state of the
-- global rows every tenant was swept against. A reconcile sweeps a tenant only when that
-- state changed, so a reconcile with an unchanged blocklist costs one read of it.
CREATE TABLE omni_identity.blocklist_sweep (
    tenant_id  text        NOT NULL CHECK (tenant_id <> ''),
    state      text        NOT NULL,
    swept_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT blocklist_sweep_pkey PRIMARY KEY (tenant_id)
);
COMMENT ON TABLE omni_identity.blocklist_sweep IS
    'State of the blocklist each tenant''s keys were last swept against (* = the global rows).';

ALTER TABLE omni_identity.cluster_repoint_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.cluster_repoint_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON omni_identity.cluster_repoint_queue FOR ALL TO omni_identity_app
    USING (tenant_id = pg_catalog.current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = pg_catalog.current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON omni_identity.cluster_repoint_queue FOR ALL TO omni_identity_admin
    USING (true) WITH CHECK (true);
REVOKE ALL ON omni_identity.cluster_repoint_queue FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON omni_identity.cluster_repoint_queue TO omni_identity_admin;
GRANT SELECT ON omni_identity.cluster_repoint_queue TO omni_identity_app;

-- Not a tenant's data ('*' is shared): the jobs' own state, admin only.
ALTER TABLE omni_identity.blocklist_sweep ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.blocklist_sweep FORCE ROW LEVEL SECURITY;
CREATE POLICY admin_all_tenants ON omni_identity.blocklist_sweep FOR ALL TO omni_identity_admin
    USING (true) WITH CHECK (true);
REVOKE ALL ON omni_identity.blocklist_sweep FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON omni_identity.blocklist_sweep TO omni_identity_admin;

-- forget_identifier / forget_customer (application role, own tenant) erase the plaintext
-- of a forgotten value from the rejects' raw rows and drop the report divergences that
-- name it (a rewritten reject whose digest another reject has is deleted).
GRANT UPDATE, DELETE ON omni_identity.sales_rejects TO omni_identity_app;
GRANT DELETE ON omni_identity.report_divergences TO omni_identity_app;

-- The global rows as they are now count as swept: keys stored so far were checked against
-- them when they were stored (the blocklist rule drops blocked values from inputs).
-- Tenants' own rows are swept at the first reconcile. The digest is blocklist_state's.
INSERT INTO omni_identity.blocklist_sweep (tenant_id, state)
SELECT '*', pg_catalog.md5(coalesce(string_agg(pg_catalog.format('%s|%s|%L', b.key_type, b.is_regex, b.value_pattern), ','
                                               ORDER BY b.key_type, b.is_regex, b.value_pattern COLLATE "C"), '') || '/')
  FROM omni_identity.key_blocklist b
 WHERE b.tenant_id IS NULL;
