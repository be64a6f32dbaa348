REVOKE SELECT, INSERT ON omni_identity.backfill_keyless FROM omni_identity_app;
DROP POLICY IF EXISTS tenant_isolation ON omni_identity.backfill_keyless;
COMMENT ON TABLE omni_identity.backfill_keyless IS
    'Sales the backfill examined and found without a usable key (customer_hash stays NULL).';
