-- The text patterns of phonenumbers' parser (phonenumberutil.py of the pinned version),
-- restated for PostgreSQL: \d becomes the generated Unicode decimal-digit class and the
-- case-insensitive flag becomes explicit case pairs (PostgreSQL's flag follows the
-- locale). Proven equal to the library by tests_py/test_normalize_phone.py.

-- _VALID_PUNCTUATION plus the 'X' its case-insensitive matching allows.
CREATE OR REPLACE FUNCTION omni_identity.phone_punctuation_class()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT '-xX\u2010-\u2015\u2212\u30fc\uff0d-\uff0f \u00a0\u00ad\u200b\u2060\u3000()\uff08\uff09\uff3b\uff3d.\[\]/~\u2053\u223c\uff5e'
$fn$;
COMMENT ON FUNCTION omni_identity.phone_punctuation_class()
    IS 'Regex bracket contents: punctuation phonenumbers accepts inside a phone number.';
