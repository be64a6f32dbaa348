-- Check the tenant argument of a public function and return it.
-- NULL or empty → OI001. When the session names a tenant (app.current_tenant_id), the
-- argument must equal it → else OI002. A role that is neither a superuser nor a member
-- of omni_identity_admin must name one (fail closed) → else OI002.
CREATE OR REPLACE FUNCTION omni_identity.require_tenant(p_tenant_id text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_session text := nullif(current_setting('app.current_tenant_id', true), '');
BEGIN
    IF p_tenant_id IS NULL OR p_tenant_id = '' THEN
        RAISE EXCEPTION 'tenant id must not be NULL or empty'
            USING ERRCODE = 'OI001', HINT = 'Pass the tenant the call is for as p_tenant_id.';
    END IF;
    IF v_session IS NOT NULL THEN
        IF v_session <> p_tenant_id THEN
            RAISE EXCEPTION 'tenant % does not match the session tenant %', p_tenant_id, v_session
                USING ERRCODE = 'OI002', HINT = 'SET LOCAL app.current_tenant_id to the tenant of the call.';
        END IF;
    ELSIF NOT (current_setting('is_superuser') = 'on'
               OR pg_has_role(current_user, 'omni_identity_admin', 'MEMBER')) THEN
        RAISE EXCEPTION 'no session tenant is set'
            USING ERRCODE = 'OI002', HINT = 'SET LOCAL app.current_tenant_id before calling.';
    END IF;
    RETURN p_tenant_id;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.require_tenant(text)
    IS 'Validate p_tenant_id against the session tenant (OI001 empty, OI002 mismatch); returns it.';
