-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS public.omni_sales_product_id_idx;
