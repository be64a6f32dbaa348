-- depends: 0080.create-trigger-key-blocklist-check
-- A cross-tenant job (backfill_customer_hash(NULL), reconcile_merges) isolates each
-- tenant: when one tenant's part of a batch fails, the other tenants' work commits and
-- the failure is recorded as a batch_metrics row of that tenant with error set
-- ('SQLSTATE: message'); NULL = the batch succeeded.
SET LOCAL lock_timeout = '10s';
ALTER TABLE omni_identity.batch_metrics ADD COLUMN error text;
COMMENT ON COLUMN omni_identity.batch_metrics.error IS
    'NULL = success; else the failure of this tenant''s part of a cross-tenant job batch (SQLSTATE: message).';
