-- The buyer query applications call: v2 when the tenant's flag abstraction_v2_enabled is
-- on, else the legacy v1. The flag is read on every call, so turning it off is the
-- rollback, with no deploy.
CREATE OR REPLACE FUNCTION omni_identity.abstraction_buyer(
      p_tenant_id text
    , p_filters   jsonb
    , p_limit     integer DEFAULT 50
    , p_after     jsonb   DEFAULT NULL
) RETURNS SETOF public.omni_sales
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM omni_identity.require_tenant(p_tenant_id);
    IF omni_identity.flag_enabled(p_tenant_id, 'abstraction_v2_enabled') THEN
        RETURN QUERY SELECT * FROM omni_identity.abstraction_buyer_v2(p_tenant_id, p_filters, p_limit, p_after);
    ELSE
        RETURN QUERY SELECT * FROM omni_identity.abstraction_buyer_v1(p_tenant_id, p_filters, p_limit, p_after);
    END IF;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.abstraction_buyer(text, jsonb, integer, jsonb)
    IS 'Buyer query routed by the tenant flag abstraction_v2_enabled (v2 when on, else v1).';
