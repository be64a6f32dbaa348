-- transactional: false
DROP INDEX CONCURRENTLY IF EXISTS omni_identity.sales_rejects_raw_sha256_key;
