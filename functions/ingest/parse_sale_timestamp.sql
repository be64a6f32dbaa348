-- A sale's created_at from text, or NULL when it is not a date-time (the row is then
-- rejected, not the batch). Only ISO 8601 style input is accepted (YYYY-MM-DD, then an
-- optional time and offset), so words such as 'now' or 'infinity' never become a date;
-- without an offset the session's TimeZone applies. The cast is tried in a
-- sub-block because only the cast itself knows every calendar rule (2024-02-30).
CREATE OR REPLACE FUNCTION omni_identity.parse_sale_timestamp(p_raw text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_raw IS NULL OR p_raw !~ '^\s*\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?\s*(Z|z|UTC|[+-]\d{1,2}(:?\d{2})?)?\s*$' THEN
        RETURN NULL;
    END IF;
    RETURN p_raw::timestamptz;
EXCEPTION
    WHEN datetime_field_overflow OR invalid_datetime_format OR invalid_time_zone_displacement_value THEN
        RETURN NULL;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.parse_sale_timestamp(text)
    IS 'ISO 8601 text to timestamptz, NULL when it is not a valid date-time.';
