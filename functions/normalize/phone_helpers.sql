-- phone_digits(p_number): phonenumbers' _normalize. With three or more ASCII letters the
-- number is a vanity number: letters read on the ITU E.161 keypad, ASCII digits kept,
-- everything else dropped (even non-ASCII digits, as the library does). Otherwise every
-- Unicode decimal digit becomes its ASCII digit and everything else is dropped.
CREATE OR REPLACE FUNCTION omni_identity.phone_digits(p_number text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT CASE
    WHEN p_number ~ '[A-Za-z][^A-Za-z]*[A-Za-z][^A-Za-z]*[A-Za-z]'  -- three ASCII letters
        -- The keypad as a chain of replace(): several times cheaper than one translate()
        -- over 26 letters.
        THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
             replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
                 upper(CASE WHEN replace(replace(replace(replace(replace(replace(
                                     p_number, ' ', ''), '(', ''), ')', ''), '.', ''), '-', ''), '+', '') !~ '[^0-9A-Za-z]'
                            -- The usual separators by replace(); any other by the pattern.
                            THEN replace(replace(replace(replace(replace(replace(
                                     p_number, ' ', ''), '(', ''), ')', ''), '.', ''), '-', ''), '+', '')
                            ELSE regexp_replace(p_number, '[^0-9A-Za-z]+', '', 'g') END COLLATE "C"),
                 'A', '2'), 'B', '2'), 'C', '2'), 'D', '3'), 'E', '3'), 'F', '3'), 'G', '4'), 'H', '4'), 'I', '4'),
                 'J', '5'), 'K', '5'), 'L', '5'), 'M', '6'), 'N', '6'), 'O', '6'), 'P', '7'), 'Q', '7'), 'R', '7'),
                 'S', '7'), 'T', '8'), 'U', '8'), 'V', '8'), 'W', '9'), 'X', '9'), 'Y', '9'), 'Z', '9')
    WHEN octet_length(p_number) <> length(p_number)  -- not ASCII
        THEN regexp_replace(translate(p_number, omni_identity.unicode_digit_from(),
                                      omni_identity.unicode_digit_to()), '[^0-9]+', '', 'g')
    ELSE regexp_replace(p_number, '[^0-9]+', '', 'g')
END
$fn$;
COMMENT ON FUNCTION omni_identity.phone_digits(text)
    IS 'Digits of a phone number as phonenumbers normalizes them (vanity letters on the keypad).';

-- phone_br_strip_national_prefix(p_digits): phonenumbers' _maybe_strip_national_prefix_carrier_code
-- for Brazil: a trunk 0 (or 90), with an optional carrier code whose 10–11 following
-- digits become the number; kept when the number was viable and the result is not.
CREATE OR REPLACE FUNCTION omni_identity.phone_br_strip_national_prefix(p_digits text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_match  text[] := regexp_match(p_digits, omni_identity.phone_br_national_prefix_re());
    v_prefix int;
    v_result text;
BEGIN
    IF v_match IS NULL THEN
        RETURN p_digits;
    END IF;
    v_prefix := CASE WHEN left(p_digits, 1) = '0' THEN 1 ELSE 2 END;
    IF v_match[2] IS NULL THEN
        v_result := substr(p_digits, v_prefix + 1);
    ELSE
        v_result := v_match[2] || substr(p_digits, v_prefix + length(v_match[1]) + length(v_match[2]) + 1);
    END IF;
    IF p_digits ~ omni_identity.phone_br_general_re() AND v_result !~ omni_identity.phone_br_general_re() THEN
        RETURN p_digits;
    END IF;
    RETURN v_result;
END;
$fn$;
COMMENT ON FUNCTION omni_identity.phone_br_strip_national_prefix(text)
    IS 'Brazilian national number without trunk prefix and carrier code, as phonenumbers strips them.';
