SET LOCAL lock_timeout = '10s';
DROP TRIGGER IF EXISTS omni_sales_auto_resolve ON public.omni_sales;
DROP FUNCTION IF EXISTS omni_identity.auto_resolve_sales();
