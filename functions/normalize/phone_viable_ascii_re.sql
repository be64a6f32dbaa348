-- The text patterns of phonenumbers' parser (phonenumberutil.py of the pinned version),
-- restated for PostgreSQL: \d becomes the generated Unicode decimal-digit class and the
-- case-insensitive flag becomes explicit case pairs (PostgreSQL's flag follows the
-- locale). Proven equal to the library by tests_py/test_normalize_phone.py.

-- phone_viable_re() for ASCII text, built the same way as phone_extension_ascii_re()
-- (why ASCII forms: there).
CREATE OR REPLACE FUNCTION omni_identity.phone_viable_ascii_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT '^(?:[0-9]{2}'
    || '|[+]*(?:[-xX ().\[\]/~*]*[0-9]){3,}[-xX ().\[\]/~*A-Za-z0-9]*'
    || '(?:' || omni_identity.phone_extension_ascii_re() || ')?)$'
$fn$;
COMMENT ON FUNCTION omni_identity.phone_viable_ascii_re()
    IS 'phone_viable_re() for ASCII text (non-ASCII characters and alternatives left out).';
