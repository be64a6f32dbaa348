-- The text patterns of phonenumbers' parser (phonenumberutil.py of the pinned version),
-- restated for PostgreSQL: \d becomes the generated Unicode decimal-digit class and the
-- case-insensitive flag becomes explicit case pairs (PostgreSQL's flag follows the
-- locale). Proven equal to the library by tests_py/test_normalize_phone.py.

-- _VALID_PHONE_NUMBER_PATTERN (fullmatch): two digits, or optional pluses, at least three
-- digits among punctuation and '*', then punctuation, '*', ASCII letters and digits, and
-- an optional extension.
CREATE OR REPLACE FUNCTION omni_identity.phone_viable_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT '^(?:[' || omni_identity.unicode_digit_class() || ']{2}'
    || '|[+\uff0b]*(?:[' || omni_identity.phone_punctuation_class() || '*]*['
    || omni_identity.unicode_digit_class() || ']){3,}['
    || omni_identity.phone_punctuation_class() || '*A-Za-z' || omni_identity.unicode_digit_class() || ']*'
    || '(?:' || omni_identity.phone_extension_re() || ')?)$'
$fn$;
COMMENT ON FUNCTION omni_identity.phone_viable_re()
    IS 'Anchored regular expression of a viable phone number (phonenumbers _VALID_PHONE_NUMBER_PATTERN).';
