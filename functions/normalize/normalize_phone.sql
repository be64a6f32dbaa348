-- normalize_phone(p_raw, p_default_region): E.164 with '+' (SPEC §3), else NULL: '+' and
-- phone_e164_digits(), which holds the rules below and gives the digits alone (what
-- identifier_sha256 hashes, without building the '+' to drop it again).
-- Brazil: what phonenumbers (pinned) gives for parse(p_raw, 'BR') when it finds a valid
-- FIXED_LINE or MOBILE number; NULL when it cannot parse the text or finds the number
-- invalid or of another type (toll free, premium rate, shared cost). Other country
-- codes (after '+' or 00 + carrier): '+' and 8–15 digits. Other default regions: only
-- numbers written with '+'.
-- Fast path: text of ASCII digits and the separators space ( ) - (the usual
-- writings), or '+' and such text, is recognized by one small pattern and its digits D
-- taken with replace() (several times cheaper than one translate()). The integer of
-- '1' || D keeps D's length and leading zeros, so one width_bucket() over the generated
-- bounds of the linkable numbers (phone_rules.sql) tells whether D is a linkable national
-- number, trunk 0 and one, or 55 and one, and a simple CASE on its class builds the
-- answer: D is computed twice, where a pattern per reading cost several times more.
-- Digits in no such class starting 1–4 or 6–8 are a national number as they stand, not
-- linkable: NULL. For such text the library's parser can take no other road (no
-- letters, extension, second number), which the property tests check against it.
-- Everything else goes through one call of phone_fallback(): the rest of that alphabet
-- (with dots, trunk 0 and 0800 or a carrier code, 0055, 55 or 90 first, a second '+')
-- to phone_br_plain(), which reads the digits with the same rules and calls the full
-- parser where they do not decide; 0xx; words after a number; and phone_parse(), the
-- parser restated step by step. Plain SQL without SET so the planner inlines it into
-- the caller's query.
CREATE OR REPLACE FUNCTION omni_identity.normalize_phone(p_raw text, p_default_region text DEFAULT 'BR')
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT '+' || omni_identity.phone_e164_digits(p_raw, p_default_region)
$fn$;
COMMENT ON FUNCTION omni_identity.normalize_phone(text, text)
    IS 'Phone in E.164 (+ and digits): Brazilian fixed/mobile numbers as phonenumbers reads them, other countries written with + or 00; else NULL.';

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

-- phone_parse(p_raw, p_default_region): normalize_phone for any input. The parser of
-- phonenumbers restated step by step: extract the number (from the first '+' or digit,
-- trailing junk and a second number dropped), check it is viable, drop an extension,
-- read '+' / the international prefix 00 + carrier / a leading 55 as the country code
-- the way the library does, strip trunk 0 and carrier codes, then accept only what the
-- library's metadata calls FIXED_LINE or MOBILE (phone_rules.sql, generated). Inputs
-- over 250 characters (the library's limit) and RFC 3966 ';phone-context=' are not read.
-- ASCII text is read with ASCII forms of the big patterns (phone_patterns.sql), after
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
