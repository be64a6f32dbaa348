DO $$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['customer_cluster', 'customer_cluster_keys', 'customer_cluster_merges',
                                   'key_blocklist', 'settings', 'sales_rejects', 'batch_metrics',
                                   'report_divergences'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON omni_identity.%I', v_table);
        EXECUTE format('DROP POLICY IF EXISTS admin_all_tenants ON omni_identity.%I', v_table);
        EXECUTE format('ALTER TABLE omni_identity.%I NO FORCE ROW LEVEL SECURITY', v_table);
        EXECUTE format('ALTER TABLE omni_identity.%I DISABLE ROW LEVEL SECURITY', v_table);
    END LOOP;
END;
$$;
DROP POLICY IF EXISTS tenant_isolation_read ON omni_identity.key_blocklist;
DROP POLICY IF EXISTS tenant_isolation_insert ON omni_identity.key_blocklist;
DROP POLICY IF EXISTS tenant_isolation_update ON omni_identity.key_blocklist;
DROP POLICY IF EXISTS tenant_isolation_delete ON omni_identity.key_blocklist;
