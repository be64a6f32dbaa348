-- The tenant's generic_threshold (SPEC §12): the setting set_setting stored, else 20.
-- Why 20: docs/reresolution.md, "The over-merge guard". A stored value that is not a
-- non-negative integer cannot come from set_setting; it reads as the default rather than
-- failing every reader of the tenant.
CREATE OR REPLACE FUNCTION omni_identity.generic_threshold(p_tenant_id text)
RETURNS integer
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_value jsonb;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    SELECT s.value INTO v_value
      FROM omni_identity.settings s
     WHERE s.tenant_id = p_tenant_id AND s.key = 'generic_threshold';
    IF jsonb_typeof(v_value) = 'number' AND (v_value #>> '{}') ~ '^[0-9]{1,9}$' THEN
        RETURN (v_value #>> '{}')::integer;
    END IF;
    RETURN 20;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.generic_threshold(text)
    IS 'The tenant''s generic_threshold setting (default 20; 0 = the over-merge guard is off).';
