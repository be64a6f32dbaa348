-- phone_br_plain(p_raw, p_digits): normalize_phone(p_raw, 'BR') for text made only of
-- ASCII digits, the separators space ( ) . - and '+', given p_digits, its digits (the
-- caller strips the separators once; PL/pgSQL names the value where an inlined SQL
-- expression would recompute it at every use). The regular expressions of the fast
-- paths are restated as tests on the digits: their count, the first digits, and the
-- generated table of linkable prefixes (generated/phone_br_linkable_map.sql) read with one get_byte(), a few
-- times cheaper than one pattern match. The readings, in the order normalize_phone has
-- always tried them:
--   '+' first and nowhere else, then 55 and a linkable number → '+' and the digits;
--   trunk 0 then a linkable number (11 or 12 digits in all), or 0 + carrier code + a
--   linkable number (13 or 14) → +55 and the number; other digits after 0 → NULL (the
--   library strips the 0 and finds nothing linkable: 0800 …); 00 55 + a linkable number
--   → +55 and the number (normalize_phone's reading of 0055);
--   a linkable national number (10 or 11 digits) → +55 and the digits; 55 then a
--   linkable number (12 or 13) → '+' and the digits;
--   anything else not starting with 55 or 90 (country code, national prefix 90) → NULL:
--   the digits are the national number as they stand.
-- Everything else (another '+', 55 or 90 first, 0 0 not followed by 55) goes through
-- phone_parse(). Every get_byte() index is three ASCII digits, read only once the
-- length is known to be one of the lengths above.
CREATE OR REPLACE FUNCTION omni_identity.phone_br_plain(p_raw text, p_digits text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
BEGIN
    RETURN CASE
        WHEN strpos(p_raw, '+') > 0 THEN CASE
            WHEN left(p_raw, 1) = '+' AND strpos(substr(p_raw, 2), '+') = 0 AND left(p_digits, 2) = '55'
                 AND length(p_digits) IN (12, 13)
                 AND get_byte(omni_identity.phone_br_linkable_map(), substr(p_digits, 3, 3)::int) & (length(p_digits) - 11) <> 0
                THEN '+' || p_digits
            ELSE omni_identity.phone_parse(p_raw, 'BR') END
        WHEN left(p_digits, 1) = '0' THEN CASE
            WHEN length(p_digits) IN (11, 12)
                 AND get_byte(omni_identity.phone_br_linkable_map(), substr(p_digits, 2, 3)::int) & (length(p_digits) - 10) <> 0
                THEN '+55' || substr(p_digits, 2)
            WHEN length(p_digits) IN (13, 14)
                 AND strpos(omni_identity.phone_br_carrier_codes(), substr(p_digits, 2, 2)) > 0
                 AND get_byte(omni_identity.phone_br_linkable_map(), substr(p_digits, 4, 3)::int) & (length(p_digits) - 12) <> 0
                THEN '+55' || substr(p_digits, 4)
            WHEN substr(p_digits, 2, 1) BETWEEN '1' AND '9'
                THEN NULL
            WHEN left(ltrim(p_raw), 2) = '00' AND length(p_digits) IN (14, 15) AND left(p_digits, 4) = '0055'
                 AND get_byte(omni_identity.phone_br_linkable_map(), substr(p_digits, 5, 3)::int) & (length(p_digits) - 13) <> 0
                -- 00 55 + a linkable Brazilian number: 00 read as a bare international prefix,
                -- the way SPEC §3 writes it. The library reads 00 + carrier code 55 instead and
                -- finds the rest (+1 1…, +2…) invalid; a Brazilian typing 0055 means Brazil.
                THEN '+55' || substr(p_digits, 5)
            ELSE omni_identity.phone_parse(p_raw, 'BR') END
        WHEN length(p_digits) IN (10, 11)
             AND get_byte(omni_identity.phone_br_linkable_map(), left(p_digits, 3)::int) & (length(p_digits) - 9) <> 0
            THEN '+55' || p_digits
        WHEN length(p_digits) IN (12, 13) AND left(p_digits, 2) = '55'
             AND get_byte(omni_identity.phone_br_linkable_map(), substr(p_digits, 3, 3)::int) & (length(p_digits) - 11) <> 0
            THEN '+' || p_digits
        WHEN left(p_digits, 2) IN ('55', '90') OR length(p_digits) < 2
            THEN omni_identity.phone_parse(p_raw, 'BR')
        ELSE NULL
    END;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.phone_br_plain(text, text)
    IS 'normalize_phone for Brazil of text of ASCII digits, space ( ) . - and +, given its digits.';
