-- depends: 0012.index-omni-sales-tenant-id-id
-- transactional: false
-- The idempotency key (tenant_id, shop_id, gateway, external_id), built without blocking writes.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS omni_sales_idempotency_idx
    ON public.omni_sales (tenant_id, shop_id, gateway, external_id);
