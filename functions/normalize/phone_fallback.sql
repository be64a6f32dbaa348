-- phone_fallback(p_raw, p_default_region): normalize_phone for the text its inlined
-- fast path leaves undecided. Brazilian text of ASCII digits, the separators space ( )
-- . - and '+' goes to phone_br_plain() with its digits; trunk 0 written 0xx and a
-- linkable number is read from its digits like trunk 0; a number followed by words is
-- answered NULL when its digits and letters are too many (below); everything else
-- (another region, other characters, over 250 characters) goes to phone_parse().
-- normalize_phone names this one function once and keeps these rarer writings out of
-- its expression: the planner adds up every branch of a CASE, and with the PL/pgSQL
-- helpers and patterns named in each branch a 1M-row query was estimated dear enough to
-- be JIT-optimized, about 0.15 s of compiling.
CREATE OR REPLACE FUNCTION omni_identity.phone_fallback(p_raw text, p_default_region text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_digits text;
BEGIN
    -- octet_length() first: over 1000 octets the text is over 250 characters, known
    -- without counting them.
    IF p_raw IS NULL OR upper(p_default_region) IS DISTINCT FROM 'BR'
       OR octet_length(p_raw) > 1000 OR length(p_raw) > 250 THEN
        RETURN omni_identity.phone_parse(p_raw, p_default_region);
    END IF;
    IF p_raw !~ '[^0-9 ().+-]' THEN
        RETURN omni_identity.phone_br_plain(p_raw, replace(replace(replace(replace(replace(replace(
                   p_raw, ' ', ''), '(', ''), ')', ''), '.', ''), '-', ''), '+', ''));
    END IF;
    IF p_raw ~ '^[ ().-]*0[ ().-]*[xX][ ().-]*[xX][0-9 ().-]*$' THEN
        -- Trunk 0 written 0xx: a linkable number after it is read as after 0 (class 2 of
        -- the readings; '1' || D cut to 16 digits cannot overflow).
        v_digits := replace(replace(replace(replace(replace(replace(replace(
                        p_raw, ' ', ''), '(', ''), ')', ''), '.', ''), '-', ''), 'x', ''), 'X', '');
        IF get_byte(omni_identity.phone_br_reading_classes(),
                    width_bucket(left('1' || v_digits, 16)::bigint, omni_identity.phone_br_reading_bounds())) = 2 THEN
            RETURN '+55' || substr(v_digits, 2);
        END IF;
    ELSIF p_raw ~ '^[ ().-]*[1-9][0-9A-HJ-WYZa-hj-wyz ().-]*$'
          AND p_raw ~ '[A-Za-z][^A-Za-z]*[A-Za-z][^A-Za-z]*[A-Za-z]' THEN
        -- Digits, letters and separators, from a digit other than 0 on, and no letter of
        -- an extension (x, i: ext, int, anexo): three letters make it a vanity number
        -- whose letters and digits are all digits (a word such as 'ramal' after the
        -- number), and more than 15 of them cannot leave the 10 or 11 of a linkable
        -- number once a national prefix and carrier code are stripped — 21 after 55,
        -- which the library strips with up to four more (see phone_parse).
        v_digits := replace(replace(replace(replace(replace(p_raw, ' ', ''), '(', ''), ')', ''), '.', ''), '-', '');
        IF length(v_digits) > (CASE WHEN left(v_digits, 2) = '55' THEN 21 ELSE 15 END) THEN
            RETURN NULL;
        END IF;
    END IF;
    RETURN omni_identity.phone_parse(p_raw, p_default_region);
END;
$fn$;
COMMENT ON FUNCTION omni_identity.phone_fallback(text, text)
    IS 'normalize_phone for the text its fast path leaves undecided (phone_br_plain, 0xx, long vanity text, phone_parse).';
