-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS public.omni_sales_customer_hash_idx;
