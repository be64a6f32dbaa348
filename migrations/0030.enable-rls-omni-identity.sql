-- depends: 0019.index-omni-sales-customer-hash
-- Row-level security on every tenant table of the package. The application role sees and
-- writes only the rows of the session tenant (app.current_tenant_id): unset or empty, the
-- comparison is NULL or false, so it gets no rows and every write fails (fail closed).
-- The admin role (jobs, migrations) gets an explicit all-tenants policy rather than
-- BYPASSRLS: it is visible per table in pg_policies and ends with the package.
-- FORCE applies the policies to the tables' owner too, unless it is a superuser.

ALTER TABLE omni_identity.customer_cluster ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.customer_cluster FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON omni_identity.customer_cluster
    FOR ALL TO omni_identity_app
    USING (tenant_id = current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON omni_identity.customer_cluster
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE omni_identity.customer_cluster_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.customer_cluster_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON omni_identity.customer_cluster_keys
    FOR ALL TO omni_identity_app
    USING (tenant_id = current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON omni_identity.customer_cluster_keys
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE omni_identity.customer_cluster_merges ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.customer_cluster_merges FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON omni_identity.customer_cluster_merges
    FOR ALL TO omni_identity_app
    USING (tenant_id = current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON omni_identity.customer_cluster_merges
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);

-- The blocklist also holds global rows (tenant_id NULL = every tenant): the application
-- reads them and its own tenant's rows, and writes only its own tenant's rows.
ALTER TABLE omni_identity.key_blocklist ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.key_blocklist FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation_read ON omni_identity.key_blocklist
    FOR SELECT TO omni_identity_app
    USING (tenant_id IS NULL OR tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY tenant_isolation_insert ON omni_identity.key_blocklist
    FOR INSERT TO omni_identity_app
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY tenant_isolation_update ON omni_identity.key_blocklist
    FOR UPDATE TO omni_identity_app
    USING (tenant_id = current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY tenant_isolation_delete ON omni_identity.key_blocklist
    FOR DELETE TO omni_identity_app
    USING (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON omni_identity.key_blocklist
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE omni_identity.settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON omni_identity.settings
    FOR ALL TO omni_identity_app
    USING (tenant_id = current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON omni_identity.settings
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE omni_identity.sales_rejects ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.sales_rejects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON omni_identity.sales_rejects
    FOR ALL TO omni_identity_app
    USING (tenant_id = current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON omni_identity.sales_rejects
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE omni_identity.batch_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.batch_metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON omni_identity.batch_metrics
    FOR ALL TO omni_identity_app
    USING (tenant_id = current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON omni_identity.batch_metrics
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);

ALTER TABLE omni_identity.report_divergences ENABLE ROW LEVEL SECURITY;
ALTER TABLE omni_identity.report_divergences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON omni_identity.report_divergences
    FOR ALL TO omni_identity_app
    USING (tenant_id = current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON omni_identity.report_divergences
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);
