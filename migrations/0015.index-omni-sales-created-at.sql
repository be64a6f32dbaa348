-- depends: 0014.add-omni-sales-keys
-- transactional: false
-- Keyset pages in (created_at DESC, id DESC) order.
CREATE INDEX CONCURRENTLY IF NOT EXISTS omni_sales_created_at_idx
    ON public.omni_sales (tenant_id, created_at DESC, id DESC);
