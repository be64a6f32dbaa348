-- Read a boolean feature flag of a tenant (omni_identity.settings). An absent row, or a
-- value other than JSON true, reads as false: every flag is off until set.
CREATE OR REPLACE FUNCTION omni_identity.flag_enabled(
      p_tenant_id text
    , p_key       text
) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_value jsonb;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    SELECT s.value INTO v_value
      FROM omni_identity.settings s
     WHERE s.tenant_id = p_tenant_id AND s.key = p_key;
    RETURN coalesce(v_value = 'true'::jsonb, false);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.flag_enabled(text, text)
    IS 'Is the tenant''s boolean flag p_key on? Absent = false.';
