SET LOCAL lock_timeout = '10s';
ALTER TABLE omni_identity.batch_metrics DROP COLUMN IF EXISTS error;
