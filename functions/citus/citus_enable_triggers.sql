-- Enable again the triggers citus_disable_triggers disabled (after the table is
-- distributed, so Citus propagates the change to the shards).
CREATE OR REPLACE FUNCTION omni_identity.citus_enable_triggers(p_table regclass, p_names name[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_name name;
BEGIN
    FOREACH v_name IN ARRAY p_names LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE TRIGGER %I', p_table, v_name);
    END LOOP;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.citus_enable_triggers(regclass, name[])
    IS 'citus_distribute: enable again the triggers citus_disable_triggers disabled.';
