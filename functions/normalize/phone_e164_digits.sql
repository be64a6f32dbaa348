-- phone_e164_digits(p_raw, p_default_region): the digits of normalize_phone, E.164
-- without its '+' (the rules, fast path and fallback: normalize_phone.sql). Plain SQL
-- without SET so the planner inlines it.
CREATE OR REPLACE FUNCTION omni_identity.phone_e164_digits(p_raw text, p_default_region text DEFAULT 'BR')
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
-- The fast path answers '' for NULL and for text over 1000 octets, NULL when it cannot
-- decide; phone_fallback() then reads the text.
SELECT nullif(coalesce(CASE
    WHEN p_raw IS NULL THEN ''
    -- Over 1000 octets is over 250 characters (a character is at most 4 octets), past
    -- the library's limit: no number, known from the length word without reading the
    -- text (length() would count every character of a 1 MB value, several times over).
    WHEN octet_length(p_raw) > 1000 THEN ''
    -- octet_length() first: constant time, where length() counts the characters of every
    -- row (a text under 251 bytes cannot hold 251 characters).
    WHEN upper(p_default_region) IS DISTINCT FROM 'BR' OR (octet_length(p_raw) > 250 AND length(p_raw) > 250) THEN NULL
    WHEN p_raw !~ '[^0-9 ()+-]' THEN CASE
        WHEN strpos(p_raw, '+') = 0
            -- '1' || D cut to 16 digits: past every bound when D is longer (no overflow).
            THEN CASE get_byte(omni_identity.phone_br_reading_classes(),
                               width_bucket(left('1' || replace(replace(replace(replace(p_raw, ' ', ''), '(', ''), ')', ''), '-', ''), 16)::bigint,
                                            omni_identity.phone_br_reading_bounds()))
                WHEN 1 THEN '55' || replace(replace(replace(replace(p_raw, ' ', ''), '(', ''), ')', ''), '-', '')
                WHEN 2 THEN '55' || substr(replace(replace(replace(replace(p_raw, ' ', ''), '(', ''), ')', ''), '-', ''), 2)
                WHEN 3 THEN replace(replace(replace(replace(p_raw, ' ', ''), '(', ''), ')', ''), '-', '')
                -- Not linkable, and no trunk prefix, country code or national prefix
                -- 90 to read otherwise: the digits are the national number as they stand.
                WHEN 0 THEN CASE WHEN left(replace(replace(replace(replace(p_raw, ' ', ''), '(', ''), ')', ''), '-', ''), 1) IN ('1', '2', '3', '4', '6', '7', '8') THEN '' END
                END
        WHEN left(p_raw, 1) = '+' AND strpos(substr(p_raw, 2), '+') = 0
            -- '+' then 55 and a linkable number.
            THEN CASE get_byte(omni_identity.phone_br_reading_classes(),
                               width_bucket(left('1' || replace(replace(replace(replace(replace(p_raw, ' ', ''), '(', ''), ')', ''), '-', ''), '+', ''), 16)::bigint,
                                            omni_identity.phone_br_reading_bounds()))
                WHEN 3 THEN replace(replace(replace(replace(replace(p_raw, ' ', ''), '(', ''), ')', ''), '-', ''), '+', '')
                END
        END
    END, substr(omni_identity.phone_fallback(p_raw, p_default_region), 2)), '')
$fn$;
COMMENT ON FUNCTION omni_identity.phone_e164_digits(text, text)
    IS 'The digits of normalize_phone (E.164 without the +), or NULL. Inlined.';
