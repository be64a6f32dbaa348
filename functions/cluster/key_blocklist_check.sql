-- BEFORE INSERT OR UPDATE trigger of key_blocklist (migration 0080): a regex row whose
-- pattern does not compile is refused with OI036. Stored, such a row made every batch
-- that reads its tenant's blocklist (ingest, backfill, automatic mode) fail with 2201B,
-- and the cross-tenant backfill with it, on every run.
CREATE OR REPLACE FUNCTION omni_identity.key_blocklist_check()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_error text;
BEGIN
    IF NEW.is_regex THEN
        v_error := omni_identity.regex_error(NEW.value_pattern);
        IF v_error IS NOT NULL THEN
            RAISE EXCEPTION 'key_blocklist pattern % is not a valid regular expression: %',
                    pg_catalog.left(NEW.value_pattern, 100), v_error
                USING ERRCODE = 'OI036',
                      HINT = 'Write a POSIX regular expression (PostgreSQL ~ syntax), or set is_regex = false for an exact value.';
        END IF;
    END IF;
    RETURN NEW;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.key_blocklist_check()
    IS 'Trigger of key_blocklist: refuses a regex pattern that does not compile (OI036).';
