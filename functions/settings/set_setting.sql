-- Set a tenant option (SPEC §12): the boolean flags of §7 (through set_flag, which owns
-- their list and rule) and generic_threshold, a non-negative integer (JSON number).
-- OI100 an unknown key, OI101 a bad value. A new generic_threshold takes effect at the
-- next reconcile.
CREATE OR REPLACE FUNCTION omni_identity.set_setting(
      p_tenant_id text
    , p_key       text
    , p_value     jsonb
) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_hint text;
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    IF p_key = 'generic_threshold' THEN
        -- At most 9 digits: an integer column, and no threshold near 10^9 means anything.
        IF p_value IS NULL OR jsonb_typeof(p_value) <> 'number' OR (p_value #>> '{}') !~ '^[0-9]{1,9}$' THEN
            RAISE EXCEPTION 'generic_threshold must be a non-negative integer, not %', coalesce(pg_catalog.left(p_value::text, 100), 'NULL')
                USING ERRCODE = 'OI101',
                      HINT = 'Pass a JSON integer such as 20 (the default); 0 turns the over-merge guard off.';
        END IF;
        INSERT INTO omni_identity.settings AS s (tenant_id, key, value, updated_at)
        VALUES (p_tenant_id, p_key, p_value, now())
        ON CONFLICT (tenant_id, key) DO UPDATE
            SET value = excluded.value, updated_at = excluded.updated_at;
        RETURN;
    END IF;
    -- A flag: set_flag validates the key (OI044) and refuses NULL (OI045), which is what a
    -- value other than JSON true/false becomes here; both map to this function's codes.
    BEGIN
        PERFORM omni_identity.set_flag(p_tenant_id, p_key,
                                       CASE WHEN jsonb_typeof(p_value) = 'boolean' THEN (p_value #>> '{}')::boolean END);
    EXCEPTION
        WHEN SQLSTATE 'OI044' THEN
            GET STACKED DIAGNOSTICS v_hint = PG_EXCEPTION_HINT;
            RAISE EXCEPTION 'unknown setting %', coalesce(quote_literal(pg_catalog.left(p_key, 100)), 'NULL')
                USING ERRCODE = 'OI100',
                      HINT = 'Known settings: generic_threshold (an integer) and the flags (JSON booleans). ' || v_hint;
        WHEN SQLSTATE 'OI045' THEN
            RAISE EXCEPTION 'flag % must be JSON true or false, not %', p_key, coalesce(pg_catalog.left(p_value::text, 100), 'NULL')
                USING ERRCODE = 'OI101', HINT = 'Pass ''true''::jsonb or ''false''::jsonb.';
    END;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.set_setting(text, text, jsonb)
    IS 'Set a tenant option: a §7 flag (JSON boolean) or generic_threshold (non-negative integer).';
