-- depends: 0015.index-omni-sales-created-at
-- transactional: false
-- Per-shop listings and reports.
CREATE INDEX CONCURRENTLY IF NOT EXISTS omni_sales_shop_created_at_idx
    ON public.omni_sales (tenant_id, shop_id, created_at DESC);
