-- Helpers for the pgTAP suites (installed in the test database only, never by migrate).
CREATE SCHEMA IF NOT EXISTS tests;

-- Act as `p_role` with session tenant `p_tenant` for the rest of the transaction.
CREATE OR REPLACE FUNCTION tests.act_as(p_role text, p_tenant text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $fn$
BEGIN
    PERFORM set_config('app.current_tenant_id', coalesce(p_tenant, ''), true);
    EXECUTE format('SET LOCAL ROLE %I', p_role);
END;
$fn$;

GRANT USAGE ON SCHEMA tests TO PUBLIC;

-- The HINT of the error a statement raises (NULL when it raises none).
CREATE OR REPLACE FUNCTION tests.error_hint(p_sql text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_hint text;
BEGIN
    EXECUTE p_sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_hint = PG_EXCEPTION_HINT;
    RETURN v_hint;
END;
$fn$;
GRANT EXECUTE ON FUNCTION tests.error_hint(text) TO PUBLIC;
