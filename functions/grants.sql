-- Function privileges, applied by every migrate after the functions and in the same
-- transaction, so no function is ever committed executable by PUBLIC.
--
-- omni_identity_admin (jobs, migrations) may execute every function of the package.
-- omni_identity_app may execute the public API below and, because every function is
-- SECURITY INVOKER (the caller needs EXECUTE on each function a call reaches), the
-- package functions the public API calls, found by following schema-qualified calls
-- `omni_identity.<name>(` in the bodies. Trigger functions are roots too: a trigger runs
-- its function as the role whose statement fired it (they cannot be called directly).
-- The cross-tenant jobs (backfill_customer_hash,
-- reconcile_merges) and their progress totals (backfill_remaining, reconcile_remaining)
-- are not in the list: they run as omni_identity_admin.
-- Names not (yet) defined are skipped, so the file applies at any stage of the package.
-- migrate runs this file with search_path pinned to pg_catalog, pg_temp; the DO blocks
-- pin it again (transaction-local) and qualify the built-ins, so that a function or
-- operator planted in a writable public never runs as the installer, however it is run.
REVOKE ALL ON ALL ROUTINES IN SCHEMA omni_identity FROM PUBLIC;
REVOKE ALL ON ALL ROUTINES IN SCHEMA omni_identity FROM omni_identity_app;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA omni_identity TO omni_identity_admin;

DO $grants$
DECLARE
    -- The public API of the application role.
    c_public_api CONSTANT text[] := ARRAY[
        'normalize_email', 'normalize_phone', 'normalize_document', 'normalize_name',
        'identifier_sha256',
        'resolve_customer_cluster', 'current_cluster',
        'ingest_sales', 'sale_columns', 'copied_sales_table', 'ingest_copied_sales',
        'abstraction_buyer', 'abstraction_buyer_v1', 'abstraction_buyer_v2', 'query_page_cursor',
        'customer_report', 'customer_report_v1', 'customer_report_v2',
        'compare_customer_reports',
        'set_flag', 'flag_enabled',
        'block_identifier', 'forget_identifier', 'forget_customer',
        'set_setting', 'explain_link', 'explain_identifier', 'top_identifiers',
        'cluster_size_histogram', 'preview_block_identifier'];
    v_granted  oid[] := '{}';
    v_frontier oid[];
    v_fn       regprocedure;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    SELECT coalesce(pg_catalog.array_agg(p.oid), '{}') INTO v_frontier
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'omni_identity'::regnamespace
       AND (p.proname = ANY (c_public_api) OR p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype);

    -- Transitive closure of the calls, breadth first.
    WHILE pg_catalog.cardinality(v_frontier) > 0 LOOP
        v_granted := v_granted || v_frontier;
        SELECT coalesce(pg_catalog.array_agg(DISTINCT callee.oid), '{}') INTO v_frontier
          FROM pg_catalog.pg_proc caller
          JOIN pg_catalog.pg_proc callee
            ON callee.pronamespace = 'omni_identity'::regnamespace
           AND caller.prosrc ~ ('omni_identity\.' || callee.proname || '\s*\(')
         WHERE caller.oid = ANY (v_frontier)
           AND NOT callee.oid = ANY (v_granted);
    END LOOP;

    FOREACH v_fn IN ARRAY v_granted::regprocedure[] LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON ROUTINE %s TO omni_identity_app', v_fn);
    END LOOP;
END;
$grants$;

-- New routines of the schema lose PUBLIC's EXECUTE as they are created, whoever creates
-- them (see functions/tenancy/revoke_public_execute.sql). Event triggers need a
-- superuser; under another migrating role this statement and the trigger are skipped
-- and the REVOKE at the top of this file, run by every migrate, is the guard.
DO $trigger$
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'omni_identity_revoke_public_execute')
       AND (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        CREATE EVENT TRIGGER omni_identity_revoke_public_execute ON ddl_command_end
            WHEN TAG IN ('CREATE FUNCTION', 'CREATE PROCEDURE', 'CREATE AGGREGATE')
            EXECUTE FUNCTION omni_identity.revoke_public_execute();
    END IF;
END;
$trigger$;
