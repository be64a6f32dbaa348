SET LOCAL lock_timeout = '10s';

ALTER TABLE omni_identity.batch_metrics ALTER COLUMN batch_id DROP DEFAULT;
