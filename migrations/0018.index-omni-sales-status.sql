-- depends: 0017.index-omni-sales-product-id
-- transactional: false
-- The status filter.
CREATE INDEX CONCURRENTLY IF NOT EXISTS omni_sales_status_idx
    ON public.omni_sales (tenant_id, status);
