-- Why a regular expression does not compile, or NULL when it does: the one test of a
-- blocklist regex (key_blocklist_check refuses such rows; the audit query of the README
-- lists rows stored before that check existed). Compiling is deterministic, and only
-- invalid_regular_expression (2201B, which also covers "too complex") is caught.
CREATE OR REPLACE FUNCTION omni_identity.regex_error(p_pattern text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM '' ~ p_pattern;
    RETURN NULL;
EXCEPTION WHEN invalid_regular_expression THEN
    RETURN SQLERRM;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.regex_error(text)
    IS 'NULL when the regular expression compiles, else the compiler''s message.';
