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
