-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS public.omni_sales_created_at_idx;
