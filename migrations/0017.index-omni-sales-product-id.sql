-- depends: 0016.index-omni-sales-shop-created-at
-- transactional: false
-- The product_id filter.
CREATE INDEX CONCURRENTLY IF NOT EXISTS omni_sales_product_id_idx
    ON public.omni_sales (tenant_id, product_id);
