-- depends: 0030.enable-rls-omni-identity
-- Row-level security on the sales table, with the same two policies as the package's
-- tables. Catalog-only changes, but they take an ACCESS EXCLUSIVE lock: never queue
-- behind a long transaction.
SET LOCAL lock_timeout = '10s';

ALTER TABLE public.omni_sales ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.omni_sales FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public.omni_sales
    FOR ALL TO omni_identity_app
    USING (tenant_id = current_setting('app.current_tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.current_tenant_id', true));
CREATE POLICY admin_all_tenants ON public.omni_sales
    FOR ALL TO omni_identity_admin USING (true) WITH CHECK (true);
