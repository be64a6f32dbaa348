-- depends: 0011.create-omni-sales
-- transactional: false
-- The future primary key (tenant_id, id), built without blocking writes.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS omni_sales_tenant_id_id_key ON public.omni_sales (tenant_id, id);
