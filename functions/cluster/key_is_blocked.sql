-- Whether one normalized identifier is on the blocklist (global rows and the tenant's own,
-- exact or regex): blocked_keys, which states the rule, for a single value. PL/pgSQL so
-- the plan is cached per session (a non-inlined SQL function is re-planned on every call).
CREATE OR REPLACE FUNCTION omni_identity.key_is_blocked(p_tenant_id text, p_key_type text, p_value text)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN (SELECT CASE p_key_type WHEN 'email' THEN b.email WHEN 'phone' THEN b.phone
                                   WHEN 'document' THEN b.document ELSE false END
              FROM omni_identity.blocked_keys(p_tenant_id
                                            , CASE WHEN p_key_type = 'email' THEN p_value END
                                            , CASE WHEN p_key_type = 'phone' THEN p_value END
                                            , CASE WHEN p_key_type = 'document' THEN p_value END) AS b);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.key_is_blocked(text, text, text)
    IS 'True when a normalized identifier matches the blocklist (global or the tenant''s; exact or regex).';
