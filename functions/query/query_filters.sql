-- Parse and validate the filters of the query API (abstraction_buyer_*, customer_report_*).
-- Keys: email, phone, document, name, shop_id, product_id, status, created_from,
-- created_to. Values are JSON strings (or numbers); a JSON null is the same as an absent
-- key. Buyer values (email, phone, document, name) come back normalized; a given value
-- that normalizes to NULL sets matches_none: such a filter matches no sale.
-- created_from is inclusive, created_to exclusive.
CREATE OR REPLACE FUNCTION omni_identity.query_filters(
      p_filters        jsonb
    , OUT email        text
    , OUT phone        text
    , OUT document     text
    , OUT name         text
    , OUT shop_id      text
    , OUT product_id   text
    , OUT status       text
    , OUT created_from timestamptz
    , OUT created_to   timestamptz
    , OUT by_buyer     boolean
    , OUT matches_none boolean
)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_key   text;
    v_value jsonb;
    v_text  text;
BEGIN
    by_buyer := false;
    matches_none := false;
    IF p_filters IS NULL OR jsonb_typeof(p_filters) = 'null' THEN
        RETURN;
    END IF;
    IF jsonb_typeof(p_filters) <> 'object' THEN
        RAISE EXCEPTION 'filters must be a JSON object, not a JSON %', jsonb_typeof(p_filters)
            USING ERRCODE = 'OI041', HINT = 'Pass an object such as {"email": "a@b.com"}, or ''{}'' for no filter.';
    END IF;
    FOR v_key, v_value IN SELECT e.key, e.value FROM jsonb_each(p_filters) AS e ORDER BY e.key LOOP
        IF v_key NOT IN ('email', 'phone', 'document', 'name', 'shop_id', 'product_id',
                         'status', 'created_from', 'created_to') THEN
            RAISE EXCEPTION 'unknown filter key %', quote_literal(v_key)
                USING ERRCODE = 'OI041',
                      HINT = 'Filter keys: email, phone, document, name, shop_id, product_id, status, created_from, created_to.';
        END IF;
        CONTINUE WHEN jsonb_typeof(v_value) = 'null';
        IF jsonb_typeof(v_value) NOT IN ('string', 'number') THEN
            RAISE EXCEPTION 'filter % must be a string, not a JSON %', v_key, jsonb_typeof(v_value)
                USING ERRCODE = 'OI042', HINT = 'Pass one value per filter key, as a JSON string.';
        END IF;
        v_text := v_value #>> '{}';
        CASE v_key
            WHEN 'email' THEN
                email := omni_identity.normalize_email(v_text);
                by_buyer := true;
                matches_none := matches_none OR email IS NULL;
            WHEN 'phone' THEN
                phone := omni_identity.normalize_phone(v_text);
                by_buyer := true;
                matches_none := matches_none OR phone IS NULL;
            WHEN 'document' THEN
                document := omni_identity.normalize_document(v_text);
                by_buyer := true;
                matches_none := matches_none OR document IS NULL;
            WHEN 'name' THEN
                name := omni_identity.normalize_name(v_text);
                matches_none := matches_none OR name IS NULL;
            WHEN 'shop_id' THEN
                shop_id := v_text;
            WHEN 'product_id' THEN
                product_id := v_text;
            WHEN 'status' THEN
                status := v_text;
            ELSE
                BEGIN
                    IF v_key = 'created_from' THEN
                        created_from := v_text::timestamptz;
                    ELSE
                        created_to := v_text::timestamptz;
                    END IF;
                EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
                                OR invalid_time_zone_displacement_value OR invalid_parameter_value THEN
                    RAISE EXCEPTION 'filter % is not a timestamp: %', v_key, quote_literal(v_text)
                        USING ERRCODE = 'OI042',
                              HINT = 'Use ISO 8601 with a time zone, e.g. "2026-01-31T00:00:00Z".';
                END;
        END CASE;
    END LOOP;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.query_filters(jsonb)
    IS 'Validate and normalize the filters of the query API (OI041 unknown key, OI042 bad value).';
