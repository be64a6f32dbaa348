-- Event trigger function: a routine created in the schema omni_identity, by anyone and
-- by any means (migrate, a hot fix typed in psql), is never executable by PUBLIC.
-- Database-wide default privileges cannot express "in this schema, not for PUBLIC" (a
-- schema's defaults only add to the global ones), and revoking PUBLIC's EXECUTE globally
-- for the migrating role would reach every function it creates elsewhere, extensions
-- included. The trigger runs as the role whose CREATE fired it, which owns the new
-- routine and so may revoke; it is created by functions/grants.sql when the migrating
-- role is a superuser (event triggers need one), and goes with the schema.
CREATE OR REPLACE FUNCTION omni_identity.revoke_public_execute()
RETURNS event_trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_routine regprocedure;
BEGIN
    FOR v_routine IN
        SELECT c.objid
          FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
         WHERE c.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND c.schema_name = 'omni_identity'
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', v_routine);
    END LOOP;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.revoke_public_execute()
    IS 'Event trigger: revoke PUBLIC''s EXECUTE on every routine created in omni_identity.';
