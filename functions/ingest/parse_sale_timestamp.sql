-- A sale's created_at from text, or NULL when it is not a date-time (the row is then
-- rejected, not the batch). Only ISO 8601 style input is accepted (YYYY-MM-DD, then an
-- optional time and offset), so words such as 'now' or 'infinity' never become a date;
-- without an offset the session's TimeZone applies. Hours are 00-23 and minutes and
-- seconds 00-59: the cast would read a leap second (23:59:60) or 24:00 as the next
-- minute or day, a date the sender never wrote. The cast is tried in a sub-block because
-- only the cast itself knows every calendar rule (2024-02-30). The range of plausible
-- sale dates is the caller's check (ingest_staged_sales).
CREATE OR REPLACE FUNCTION omni_identity.parse_sale_timestamp(p_raw text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_raw IS NULL OR p_raw !~ '^\s*\d{4}-\d{1,2}-\d{1,2}([ T]([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?)?\s*(Z|z|UTC|[+-]\d{1,2}(:?\d{2})?)?\s*$' THEN
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
