ALTER TABLE omni_identity.batch_metrics DROP COLUMN rejects_known;
ALTER TABLE omni_identity.batch_metrics DROP COLUMN rows_unchanged;
ALTER TABLE omni_identity.sales_rejects DROP COLUMN raw_sha256;
