-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS public.omni_sales_tenant_id_id_key;
