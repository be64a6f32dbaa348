-- The text patterns of phonenumbers' parser (phonenumberutil.py of the pinned version),
-- restated for PostgreSQL: \d becomes the generated Unicode decimal-digit class and the
-- case-insensitive flag becomes explicit case pairs (PostgreSQL's flag follows the
-- locale). Proven equal to the library by tests_py/test_normalize_phone.py.

-- _EXTN_PATTERNS_FOR_PARSING: the ways of writing an extension (without the final $).
CREATE OR REPLACE FUNCTION omni_identity.phone_extension_re()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT replace(
       ';[eE][xX][tT]=(D{1,20})'
    || '|[ \u00a0\t,]*(?:[eE]?[xX][tT](?:[eE][nN][sS][iI](?:[oO]\u0301?|[\u00f3\u00d3]))?[nN]?'
    ||     '|[\uff45\uff25]?[\uff58\uff38][\uff54\uff34][\uff4e\uff2e]?|[\u0434\u0414][\u043e\u041e][\u0431\u0411]'
    ||     '|[aA][nN][eE][xX][oO])[:.\uff0e]?[ \u00a0\t,-]*(D{1,20})#?'
    || '|[ \u00a0\t,]*(?:[xX\uff58\uff38#\uff03~\uff5e]|[iI][nN][tT]|[\uff49\uff29][\uff4e\uff2e][\uff54\uff34])'
    ||     '[:.\uff0e]?[ \u00a0\t,-]*(D{1,9})#?'
    || '|[- ]+(D{1,6})#'
    || '|[ \u00a0\t]*(?:,{2}|;)[:.\uff0e]?[ \u00a0\t,-]*(D{1,15})#?'
    || '|[ \u00a0\t]*(?:,)+[:.\uff0e]?[ \u00a0\t,-]*(D{1,9})#?',
    'D', '[' || omni_identity.unicode_digit_class() || ']')
$fn$;
COMMENT ON FUNCTION omni_identity.phone_extension_re()
    IS 'Regular expression of a phone extension as phonenumbers parses it (unanchored).';
