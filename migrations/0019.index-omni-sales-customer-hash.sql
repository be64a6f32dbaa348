-- depends: 0018.index-omni-sales-status
-- transactional: false
-- All sales of a cluster (abstraction_buyer_v2, reconcile).
CREATE INDEX CONCURRENTLY IF NOT EXISTS omni_sales_customer_hash_idx
    ON public.omni_sales (tenant_id, customer_hash);
