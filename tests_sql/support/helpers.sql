-- Helpers for the pgTAP suites (installed in the test database only, never by migrate).
CREATE SCHEMA IF NOT EXISTS tests;

-- The LOGIN roles the suites act as, made once per server (roles are cluster-wide), the
-- way the README tells a DBA to: oi_test_app in omni_identity_app, oi_test_job in
-- omni_identity_admin (the same ones tests_py/support.py ensure_test_logins makes). On
-- Citus they must exist, committed, before a test's transaction: Citus opens its
-- connections to the workers as the current role, so neither a NOLOGIN group role nor a
-- role created inside the test's transaction can reach the shards.
DO $logins$
DECLARE
    v_login text;
    v_group text;
BEGIN
    FOR v_login, v_group IN VALUES ('oi_test_app', 'omni_identity_app'), ('oi_test_job', 'omni_identity_admin') LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %I', v_login, v_group);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;   -- made by an earlier or a concurrent session
        END;
        EXECUTE format('ALTER ROLE %I LOGIN INHERIT NOSUPERUSER NOBYPASSRLS', v_login);
        EXECUTE format('GRANT %I TO %I', v_group, v_login);
    END LOOP;
END;
$logins$;

-- Act as `p_role` with session tenant `p_tenant` for the rest of the transaction. A group
-- role (omni_identity_app / omni_identity_admin, NOLOGIN) is acted as through its test
-- login. The tenant is named with a literal SET LOCAL, the form Citus sends to the workers
-- (citus.propagate_set_commands = 'local'; set_config(..., true) stays on the node that
-- runs it: docs/scale-out.md).
CREATE OR REPLACE FUNCTION tests.act_as(p_role text, p_tenant text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $fn$
BEGIN
    EXECUTE format('SET LOCAL app.current_tenant_id = %L', coalesce(p_tenant, ''));
    EXECUTE format('SET LOCAL ROLE %I', CASE p_role WHEN 'omni_identity_app' THEN 'oi_test_app'
                                                     WHEN 'omni_identity_admin' THEN 'oi_test_job'
                                                     ELSE p_role END);
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

-- The SQLSTATE of an UPDATE that moves a row to another tenant: row-level security's
-- 42501 on one node; on Citus the distribution column cannot change at all (0A000,
-- refused by the planner before row-level security is reached). Fail closed either way.
CREATE OR REPLACE FUNCTION tests.tenant_move_error() RETURNS text
LANGUAGE sql STABLE AS $fn$
    SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN '0A000' ELSE '42501' END
$fn$;
GRANT EXECUTE ON FUNCTION tests.tenant_move_error() TO PUBLIC;

-- Delete every row of the given tenants from every table with a tenant_id (the package's
-- and public.omni_sales), referencing tables before the tables they reference. For a pgTAP
-- file that commits between its role switches (on Citus one transaction cannot switch
-- from a login that has opened connections to the shards to another login: Citus sends
-- the SET ROLE on to those connections, where it is refused): it cleans up before and
-- after itself. A table a foreign key still points to is retried after the others.
CREATE OR REPLACE FUNCTION tests.delete_tenants(p_tenants text[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
    v_left regclass[];
    v_next regclass[];
    v_table regclass;
BEGIN
    SELECT array_agg(c.oid::regclass ORDER BY c.oid) INTO v_left
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
     WHERE c.relnamespace IN ('omni_identity'::regnamespace, 'public'::regnamespace)
       AND c.relkind IN ('r', 'p') AND NOT c.relispartition;
    WHILE cardinality(v_left) > 0 LOOP
        v_next := '{}';
        FOREACH v_table IN ARRAY v_left LOOP
            BEGIN
                EXECUTE format('DELETE FROM %s WHERE tenant_id = ANY ($1)', v_table) USING p_tenants;
            EXCEPTION WHEN foreign_key_violation THEN
                v_next := v_next || v_table;
            END;
        END LOOP;
        IF cardinality(v_next) = cardinality(v_left) THEN
            RAISE EXCEPTION 'tests.delete_tenants: no progress on %', v_left;
        END IF;
        v_left := v_next;
    END LOOP;
END;
$fn$;
