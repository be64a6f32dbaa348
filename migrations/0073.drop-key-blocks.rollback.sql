-- key_blocks as it stood before 0073 (self-contained: it reads key_blocklist itself).
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
