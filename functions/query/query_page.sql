-- Validate the page arguments of abstraction_buyer_*: 1 <= p_limit <= 10,000, and p_after
-- either NULL or {"created_at": <timestamp>, "id": <integer>} of the last row seen.
-- Without p_after the cursor starts above every row: ('infinity', max bigint), so the
-- keyset predicate is always the same row comparison (one plan for every page).
CREATE OR REPLACE FUNCTION omni_identity.query_page(
      p_limit      integer
    , p_after      jsonb
    , OUT after_at timestamptz
    , OUT after_id bigint
)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_bad_key text;
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        RAISE EXCEPTION 'page size % is out of range', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'OI040', HINT = 'p_limit must be between 1 and 10000.';
    END IF;
    IF p_after IS NULL OR jsonb_typeof(p_after) = 'null' THEN
        after_at := 'infinity';
        after_id := 9223372036854775807;
        RETURN;
    END IF;
    IF jsonb_typeof(p_after) <> 'object' THEN
        RAISE EXCEPTION 'p_after must be a JSON object, not a JSON %', jsonb_typeof(p_after)
            USING ERRCODE = 'OI043', HINT = 'Pass {"created_at": ..., "id": ...} of the last row of the previous page.';
    END IF;
    SELECT k INTO v_bad_key FROM jsonb_object_keys(p_after) AS k
     WHERE k NOT IN ('created_at', 'id') ORDER BY k LIMIT 1;
    IF v_bad_key IS NOT NULL
       OR jsonb_typeof(p_after -> 'created_at') IS DISTINCT FROM 'string'
       OR jsonb_typeof(p_after -> 'id') NOT IN ('number', 'string')
       OR jsonb_typeof(p_after -> 'id') IS NULL
       OR (p_after ->> 'id') !~ '^\s*-?[0-9]{1,19}\s*$' THEN
        RAISE EXCEPTION 'malformed p_after: %', left(p_after::text, 200)
            USING ERRCODE = 'OI043', HINT = 'Pass {"created_at": ..., "id": ...} of the last row of the previous page.';
    END IF;
    BEGIN
        after_at := (p_after ->> 'created_at')::timestamptz;
        after_id := (p_after ->> 'id')::bigint;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
                    OR invalid_time_zone_displacement_value OR invalid_parameter_value
                    OR numeric_value_out_of_range THEN
        RAISE EXCEPTION 'malformed p_after: %', left(p_after::text, 200)
            USING ERRCODE = 'OI043', HINT = 'Pass {"created_at": ..., "id": ...} of the last row of the previous page.';
    END;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.query_page(integer, jsonb)
    IS 'Validate p_limit (OI040) and the keyset cursor p_after (OI043) of abstraction_buyer_*.';
