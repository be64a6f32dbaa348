-- Turn a tenant's boolean feature flag on or off (upsert into omni_identity.settings).
-- Only the package's known flags are accepted, so a misspelt key fails loudly instead of
-- leaving the intended flag at its default. Turning a routing flag off is the rollback.
CREATE OR REPLACE FUNCTION omni_identity.set_flag(
      p_tenant_id text
    , p_key       text
    , p_value     boolean
) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    IF p_key IS NULL OR p_key NOT IN ('abstraction_v2_enabled', 'customer_report_v2_enabled', 'auto_resolve') THEN
        RAISE EXCEPTION 'unknown flag %', coalesce(quote_literal(p_key), 'NULL')
            USING ERRCODE = 'OI044',
                  HINT = 'Known flags: abstraction_v2_enabled, customer_report_v2_enabled, auto_resolve.';
    END IF;
    IF p_value IS NULL THEN
        RAISE EXCEPTION 'flag % must be set to true or false, not NULL', p_key
            USING ERRCODE = 'OI045', HINT = 'Pass false to turn the flag off (the default).';
    END IF;
    INSERT INTO omni_identity.settings AS s (tenant_id, key, value, updated_at)
    VALUES (p_tenant_id, p_key, to_jsonb(p_value), now())
    ON CONFLICT (tenant_id, key) DO UPDATE
        SET value = excluded.value, updated_at = excluded.updated_at;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.set_flag(text, text, boolean)
    IS 'Set a tenant''s boolean feature flag (abstraction_v2_enabled, customer_report_v2_enabled, auto_resolve).';
