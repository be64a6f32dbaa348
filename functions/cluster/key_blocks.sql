-- The blocklist rule, once: whether a normalized identifier matches key_blocklist — the
-- global rows (tenant_id NULL) or the tenant's own, as exact text or as a regular
-- expression (~, unanchored unless the pattern anchors itself). NULL never matches.
-- Exact rows are found by probing the unique index (tenant_id, key_type, value_pattern,
-- is_regex); regex rows are few and tested in turn.
-- A one-row plain-SQL table function, so the planner inlines it into the calling
-- statement: resolve_customer_cluster checks its three values in one statement, and a
-- batch can join it LATERAL per row. key_is_blocked is the scalar form.
CREATE OR REPLACE FUNCTION omni_identity.key_blocks(p_tenant_id text, p_key_type text, p_value text)
RETURNS TABLE (blocked boolean)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
    SELECT p_value IS NOT NULL
       AND (EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                     WHERE b.tenant_id IS NULL AND b.key_type = p_key_type
                       AND b.value_pattern = p_value AND b.is_regex = false)
            OR EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                        WHERE b.tenant_id = p_tenant_id AND b.key_type = p_key_type
                          AND b.value_pattern = p_value AND b.is_regex = false)
            OR EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                        WHERE b.is_regex AND b.key_type = p_key_type
                          AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id)
                          AND p_value ~ b.value_pattern))
$fn$;
COMMENT ON FUNCTION omni_identity.key_blocks(text, text, text)
    IS 'One row: whether a normalized identifier matches the blocklist (global or the tenant''s; exact or regex). Inlined.';
