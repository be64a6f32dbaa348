-- depends: 0085.add-ingest-resend-columns
-- transactional: false
-- The identity of a reject (tenant, SHA-256 of the raw row): ingest's
-- INSERT ... ON CONFLICT (tenant_id, raw_sha256) DO NOTHING stores a resent bad row once.
-- Built without blocking the ingests that record rejects meanwhile.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS sales_rejects_raw_sha256_key
    ON omni_identity.sales_rejects (tenant_id, raw_sha256);
