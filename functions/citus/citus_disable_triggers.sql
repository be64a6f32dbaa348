-- Disable a table's enabled user triggers while citus_distribute copies its rows to the
-- shards (see functions/citus/citus_distribute.sql); returns their names for
-- citus_enable_triggers.
CREATE OR REPLACE FUNCTION omni_identity.citus_disable_triggers(p_table regclass)
RETURNS name[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_names name[];
    v_name  name;
BEGIN
    SELECT coalesce(pg_catalog.array_agg(t.tgname ORDER BY t.tgname), '{}') INTO v_names
      FROM pg_catalog.pg_trigger t
     WHERE t.tgrelid = p_table AND NOT t.tgisinternal AND t.tgenabled <> 'D';
    FOREACH v_name IN ARRAY v_names LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', p_table, v_name);
    END LOOP;
    RETURN v_names;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.citus_disable_triggers(regclass)
    IS 'citus_distribute: disable a table''s enabled user triggers while it is distributed; returns their names.';
