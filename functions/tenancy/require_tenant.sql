-- Check the tenant argument of a public function and return it (design §8).
-- NULL or empty → OI001. Longer than 256 bytes → OI003: a tenant id leads every primary
-- key and index of the package, and a longer one would leave too little of a btree index
-- tuple (at most 2,704 bytes) for the columns after it (docs/pipeline.md, "Bounds"); a
-- raw 54000 from the first index it reached is no answer. When the session names a
-- tenant (app.current_tenant_id), the argument must equal it → else OI002. A role that
-- is neither a superuser nor a member of omni_identity_admin must name one (fail
-- closed) → else OI002.
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
    IF pg_catalog.octet_length(p_tenant_id) > 256 THEN
        RAISE EXCEPTION 'tenant id is % bytes long; at most 256 are allowed', pg_catalog.octet_length(p_tenant_id)
            USING ERRCODE = 'OI003', HINT = 'Use a tenant id of at most 256 bytes, such as a slug or a UUID.';
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
    IS 'Validate p_tenant_id against the session tenant (OI001 empty, OI003 over 256 bytes, OI002 mismatch); returns it.';
