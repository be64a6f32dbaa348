-- Apply the blocklist to the keys a tenant already has (SPEC §12: rows inserted straight
-- into key_blocklist, exact or regex, tenant or global, take effect at the next
-- reconcile; design §9). The caller holds the tenant's lock exclusive and its reconcile
-- lock (reconcile_splits). Every key (customer_cluster_keys) or evidence row
-- (key_evidence) of the tenant that matches a global or tenant row is removed
-- (remove_keys: its cluster is queued for a split, reason 'blocklist'), and the state
-- swept against, read before the keys were, is stored in blocklist_sweep. Exact rows:
-- one primary-key probe each; regex rows: one scan of the tenant's keys of their type.
-- Returns the keys removed.
CREATE OR REPLACE FUNCTION omni_identity.blocklist_sweep_tenant(p_tenant_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
    v_state  text := omni_identity.blocklist_state(p_tenant_id);
    v_types  text[];
    v_values text[];
    v_n      integer;
BEGIN
    SELECT coalesce(array_agg(m.key_type), '{}'), coalesce(array_agg(m.key_value), '{}')
      INTO v_types, v_values
      FROM (SELECT k.key_type, k.key_value
              FROM omni_identity.key_blocklist b
              CROSS JOIN LATERAL (SELECT x.key_type, x.key_value FROM omni_identity.customer_cluster_keys x
                                   WHERE x.tenant_id = p_tenant_id AND x.key_type = b.key_type
                                     AND x.key_value = b.value_pattern
                                  UNION ALL
                                  SELECT x.key_type, x.key_value FROM omni_identity.key_evidence x
                                   WHERE x.tenant_id = p_tenant_id AND x.key_type = b.key_type
                                     AND x.key_value = b.value_pattern) k
             WHERE NOT b.is_regex AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id)
            UNION
            SELECT k.key_type, k.key_value
              FROM omni_identity.key_blocklist b
              CROSS JOIN LATERAL (SELECT x.key_type, x.key_value FROM omni_identity.customer_cluster_keys x
                                   WHERE x.tenant_id = p_tenant_id AND x.key_type = b.key_type
                                     AND x.key_value ~ b.value_pattern
                                  UNION ALL
                                  SELECT x.key_type, x.key_value FROM omni_identity.key_evidence x
                                   WHERE x.tenant_id = p_tenant_id AND x.key_type = b.key_type
                                     AND x.key_value ~ b.value_pattern) k
             WHERE b.is_regex AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id)) m;

    SELECT r.keys_removed INTO v_n
      FROM omni_identity.remove_keys(p_tenant_id, v_types, v_values, 'blocklist') r;

    INSERT INTO omni_identity.blocklist_sweep (tenant_id, state, swept_at)
    VALUES (p_tenant_id, v_state, now())
    ON CONFLICT (tenant_id) DO UPDATE SET state = EXCLUDED.state, swept_at = EXCLUDED.swept_at;
    RETURN v_n;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.blocklist_sweep_tenant(text)
    IS 'Remove a tenant''s existing keys that match the blocklist (global or its own, exact or regex); record the state swept.';
