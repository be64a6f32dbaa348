SET LOCAL lock_timeout = '10s';
DROP POLICY IF EXISTS tenant_isolation ON public.omni_sales;
DROP POLICY IF EXISTS admin_all_tenants ON public.omni_sales;
ALTER TABLE public.omni_sales NO FORCE ROW LEVEL SECURITY;
ALTER TABLE public.omni_sales DISABLE ROW LEVEL SECURITY;
