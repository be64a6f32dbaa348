-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS public.omni_sales_unhashed_idx;
