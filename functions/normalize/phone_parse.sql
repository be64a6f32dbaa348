-- phone_parse(p_raw, p_default_region): normalize_phone for any input. The parser of
-- phonenumbers restated step by step: extract the number (from the first '+' or digit,
-- trailing junk and a second number dropped), check it is viable, drop an extension,
-- read '+' / the international prefix 00 + carrier / a leading 55 as the country code
-- the way the library does, strip trunk 0 and carrier codes, then accept only what the
-- library's metadata calls FIXED_LINE or MOBILE (generated/). Inputs
-- over 250 characters (the library's limit) and RFC 3966 ';phone-context=' are not read.
-- ASCII text is read with ASCII forms of the big patterns (phone_*_ascii_re), after
-- cheap sufficient tests (three digits among punctuation: viable; none of ; x X # ~ , i
-- I: no extension). Never raises: every step is a pattern match or a string function.
CREATE OR REPLACE FUNCTION omni_identity.phone_parse(p_raw text, p_default_region text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_brazil   boolean := coalesce(upper(p_default_region) = 'BR', false);
    v_number   text;
    v_body     text;
    v_match    text[];
    v_digits   text;
    v_cc       text;
    v_national text;
    v_stripped text;
    v_fallback boolean := false;
    v_ascii    boolean;
    v_viable   text;
BEGIN
    -- Over 1000 octets is over 250 characters: refused from the length word, before
    -- anything reads the text.
    IF p_raw IS NULL OR octet_length(p_raw) > 1000 OR length(p_raw) > 250
       OR strpos(p_raw, ';phone-context=') > 0 THEN
        RETURN NULL;
    END IF;
    -- ASCII text (the usual case) is read with the ASCII forms of the patterns.
    v_ascii := octet_length(p_raw) = length(p_raw);
    v_viable := CASE WHEN v_ascii THEN omni_identity.phone_viable_ascii_re()
                     ELSE omni_identity.phone_viable_re() END;
    -- _extract_possible_number: from the first plus sign or digit; trailing characters
    -- that are neither alphanumeric nor '#' dropped; a second number ("/ x...") cut off.
    v_number := substring(p_raw FROM CASE WHEN v_ascii THEN '[+0-9].*$'
                                          ELSE '[+\uff0b' || omni_identity.unicode_digit_class() || '].*$' END);
    IF v_number IS NULL THEN
        RETURN NULL;
    END IF;
    v_number := regexp_replace(v_number, CASE WHEN v_ascii THEN '[^#0-9A-Za-z]+$'
                                              ELSE '[^#' || omni_identity.unicode_alnum_class() || ']+$' END, '');
    v_number := regexp_replace(v_number, '[\\/] *x.*$', '');
    IF strpos(v_number, ';isub=') > 1 THEN
        v_number := left(v_number, strpos(v_number, ';isub=') - 1);
    END IF;
    -- Viable at once when, ASCII, it is three digits among punctuation and then
    -- punctuation, letters and digits (the full pattern without its optional extension).
    IF length(v_number) < 2
       OR NOT ((v_ascii AND v_number ~ '^[+]*[-xX ().\[\]/~*]*[0-9][-xX ().\[\]/~*]*[0-9][-xX ().\[\]/~*]*[0-9][-xX ().\[\]/~*A-Za-z0-9]*$')
               OR v_number ~ v_viable)
       OR (NOT v_ascii AND translate(v_number, E'\u017f\u0131\u0130\u212a', '') <> v_number) THEN
        RETURN NULL;
    END IF;
    -- _maybe_strip_extension: the leftmost extension reaching the end, when what precedes it is viable.
    -- An ASCII extension needs one of ; x X # ~ , i I (ext, x, #, ~, int, anexo, ',', ';').
    v_match := CASE WHEN v_ascii AND v_number !~ '[;xX#~,iI]' THEN NULL
                    WHEN v_ascii THEN regexp_match(v_number, '^(.*?)(?:' || omni_identity.phone_extension_ascii_re() || ')$')
                    ELSE regexp_match(v_number, '^(.*?)(?:' || omni_identity.phone_extension_re() || ')$') END;
    IF v_match IS NOT NULL AND length(v_match[1]) >= 2 AND v_match[1] ~ v_viable THEN
        v_number := v_match[1];
    END IF;
    -- _maybe_extract_country_code
    IF left(v_number, 1) IN ('+', E'\uff0b') THEN
        v_body := ltrim(v_number, E'+\uff0b');
        v_digits := omni_identity.phone_digits(v_body);
        IF length(v_digits) <= 2 THEN
            RETURN NULL;
        END IF;
        v_cc := substring(v_digits FROM omni_identity.phone_country_code_re());
        IF v_cc IS NOT NULL THEN
            v_national := substr(v_digits, length(v_cc) + 1);
        ELSIF v_brazil THEN
            -- Unknown code after '+': the library reads the rest as dialled from Brazil,
            -- keeping it only when that finds a country code.
            v_number := v_body;
            v_fallback := true;
        ELSE
            RETURN NULL;
        END IF;
    ELSIF NOT v_brazil THEN
        RETURN NULL;
    END IF;
    IF v_cc IS NULL THEN
        v_digits := omni_identity.phone_digits(v_number);
        v_match := regexp_match(v_digits, omni_identity.phone_br_international_prefix_re() || '(.?)');
        IF v_match IS NOT NULL AND v_match[1] <> '0' THEN
            v_digits := substr(v_digits, 5);
            IF length(v_digits) <= 2 THEN
                RETURN NULL;
            END IF;
            v_cc := substring(v_digits FROM omni_identity.phone_country_code_re());
            IF v_cc IS NULL THEN
                RETURN NULL;
            END IF;
            v_national := substr(v_digits, length(v_cc) + 1);
        ELSE
            -- The national number is these digits, or them without 55 and at most four of
            -- a national prefix and carrier code, less at most four more of those (the
            -- library strips them once with the country code and once after; 55x0(0xx11)
            -- … is 55, 90, then 0 and carrier 99 once the x are read as 9): more than 21
            -- cannot leave the 10 or 11 of a linkable number (an extension word read as
            -- vanity letters: ramal).
            IF length(v_digits) > 21 THEN
                RETURN NULL;
            END IF;
            IF left(v_digits, 2) = '55' THEN
                v_stripped := omni_identity.phone_br_strip_national_prefix(substr(v_digits, 3));
                IF (v_digits !~ omni_identity.phone_br_general_re() AND v_stripped ~ omni_identity.phone_br_general_re())
                   OR length(v_digits) > 11 THEN
                    v_cc := '55';
                    v_national := v_stripped;
                END IF;
            END IF;
            IF v_cc IS NULL THEN
                IF v_fallback THEN
                    RETURN NULL;
                END IF;
                v_cc := '55';
                v_national := v_digits;
            END IF;
        END IF;
    END IF;
    IF v_cc <> '55' THEN
        RETURN CASE WHEN length(v_cc || v_national) BETWEEN 8 AND 15 THEN '+' || v_cc || v_national END;
    END IF;
    IF length(v_national) < 2 THEN
        RETURN NULL;
    END IF;
    v_stripped := omni_identity.phone_br_strip_national_prefix(v_national);
    IF length(v_stripped) >= 8 THEN
        v_national := v_stripped;
    END IF;
    IF omni_identity.phone_br_is_linkable(v_national) THEN
        RETURN '+55' || v_national;
    END IF;
    RETURN NULL;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.phone_parse(text, text)
    IS 'normalize_phone for any input: the phonenumbers parser restated step by step.';
