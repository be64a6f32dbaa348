-- Whether a normalized identifier is on the blocklist (global rows and the tenant's own,
-- exact or regex): the scalar form of key_blocks, which states the rule. PL/pgSQL so the
-- plan is cached per session (a non-inlined SQL function is re-planned on every call).
CREATE OR REPLACE FUNCTION omni_identity.key_is_blocked(p_tenant_id text, p_key_type text, p_value text)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN (SELECT k.blocked FROM omni_identity.key_blocks(p_tenant_id, p_key_type, p_value) AS k);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.key_is_blocked(text, text, text)
    IS 'True when a normalized identifier matches the blocklist (global or the tenant''s; exact or regex).';
