-- depends: 0040.create-backfill-checkpoint
-- transactional: false
-- The backfill's queue: sales without a customer_hash, in (tenant_id, id) order. Partial,
-- so it holds only the rows still to cluster (and the few without any key).
CREATE INDEX CONCURRENTLY IF NOT EXISTS omni_sales_unhashed_idx
    ON public.omni_sales (tenant_id, id) WHERE customer_hash IS NULL;
