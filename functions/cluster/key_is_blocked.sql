-- Whether a normalized identifier is on the blocklist: the global rows (tenant_id NULL)
-- or the tenant's own, as exact text or as a regular expression (~, unanchored unless the
-- pattern anchors itself). Exact rows are found by probing the unique index
-- (tenant_id, key_type, value_pattern, is_regex); regex rows are few and tested in turn.
-- PL/pgSQL so its plan is cached per session (a non-inlined SQL function is re-planned
-- on every call).
CREATE OR REPLACE FUNCTION omni_identity.key_is_blocked(p_tenant_id text, p_key_type text, p_value text)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_value IS NULL THEN
        RETURN false;
    END IF;
    RETURN EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                    WHERE b.tenant_id IS NULL AND b.key_type = p_key_type
                      AND b.value_pattern = p_value AND b.is_regex = false)
        OR EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                    WHERE b.tenant_id = p_tenant_id AND b.key_type = p_key_type
                      AND b.value_pattern = p_value AND b.is_regex = false)
        OR EXISTS (SELECT 1 FROM omni_identity.key_blocklist b
                    WHERE b.is_regex AND b.key_type = p_key_type
                      AND (b.tenant_id IS NULL OR b.tenant_id = p_tenant_id)
                      AND p_value ~ b.value_pattern);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.key_is_blocked(text, text, text)
    IS 'True when a normalized identifier matches the blocklist (global or the tenant''s; exact or regex).';
