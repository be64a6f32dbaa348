-- The customer report applications call: v2 when the tenant's flag
-- customer_report_v2_enabled is on, else the legacy v1 (read on every call; turning the
-- flag off is the rollback).
CREATE OR REPLACE FUNCTION omni_identity.customer_report(
      p_tenant_id text
    , p_filters   jsonb DEFAULT '{}'
) RETURNS SETOF omni_identity.customer_report_row
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    IF omni_identity.flag_enabled(p_tenant_id, 'customer_report_v2_enabled') THEN
        RETURN QUERY SELECT * FROM omni_identity.customer_report_v2(p_tenant_id, p_filters);
    ELSE
        RETURN QUERY SELECT * FROM omni_identity.customer_report_v1(p_tenant_id, p_filters);
    END IF;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.customer_report(text, jsonb)
    IS 'Customer report routed by the tenant flag customer_report_v2_enabled (v2 when on, else v1).';
